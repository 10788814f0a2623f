"""The console driven with Pilot on real database files, as a user would."""

from __future__ import annotations

import asyncio
import functools
import json
import threading

import pytest

from tests.tui.conftest import SHOP, settle
from tui.backend import EmbeddedBackend
from tui.history import History
from tui.panes.sql import SqlPane
from tui.widgets.grid import ResultsGrid


def pilot_test(fn):
    """Run an async Pilot test on its own event loop (no pytest plugin needed)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


def status_text(app) -> str:
    return str(app.pane("sql").results.query_one("#result-status").render())


def body_text(app) -> str:
    body = app.pane("sql").results.query_one("#result-body")
    return " ".join(str(w.render()) for w in body.children)


async def run_sql(pilot, sql: str, key: str = "f5") -> None:
    app = pilot.app
    app.pane("sql").editor.text = sql
    await pilot.press(key)
    await wait_run(pilot)


async def wait_run(pilot, timeout: float = 20) -> None:
    pane: SqlPane = pilot.app.pane("sql")
    for _ in range(int(timeout / 0.02)):
        await pilot.pause(0.02)
        if pane.run is None:
            break
    await settle(pilot)


@pilot_test
async def test_run_a_query_and_page_a_large_result(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT o.id, p.sku, p.price FROM orders o, products p")
        assert "Done" in status_text(app) and "24,000 rows" in status_text(app)
        grid = app.query_one(ResultsGrid)
        assert grid.row_count == 24_000
        await pilot.press("f3")
        assert grid.has_focus
        for _ in range(5):
            await pilot.press("pagedown")
        assert grid.cursor_row > 50
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert grid.cursor_row == 23_999
        assert app.pane("sql").editor.text.startswith("SELECT o.id")


@pilot_test
async def test_an_error_text_with_brackets_is_shown_whole(make_app, shop_db):
    """TiDB's 8223 text holds `[KindString Osaka]`: markup must not eat it."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "ADMIN CHECK TABLE customers")  # the demo's damaged idx_city
        text = body_text(app)
        assert "ERROR 8223 (HY000)" in text
        assert 'record-values:"handle: 2, values: [KindString ' in text


@pilot_test
async def test_honest_counts_when_the_result_is_larger_than_the_limit(make_app, shop_db):
    from dataclasses import replace

    from tui.config import load

    app = make_app(shop_db, initial_tab="sql", settings=replace(load(), max_rows=500))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT * FROM orders")
        assert "Showing 500 of 1,000 rows" in status_text(app)
        assert app.query_one(ResultsGrid).row_count == 500


@pilot_test
async def test_an_error_shows_its_code_and_leaves_the_app_usable(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        bad = "SELECT name FROM customer WHERE id = 7"
        await run_sql(pilot, bad)
        assert "Error 1146" in status_text(app)
        assert "ERROR 1146 (42S02)" in body_text(app)
        assert "Table 'shop.customer' doesn't exist" in body_text(app)
        assert app.pane("sql").editor.text == bad  # the text is kept
        # in a script, the cursor goes to the failing statement's missing table (nothing
        # selected)
        editor = app.pane("sql").editor
        await run_sql(pilot, "SELECT 1;\nSELECT 2;\n" + bad + ";\nSELECT 4", key="f6")
        assert editor.selected_text == "" and editor.selection.end == (2, 17)
        # a selection runs on its own, and its statements are found in the whole buffer
        from textual.widgets.text_area import Selection

        editor.text = "SELECT 1;\nSELECT nope FROM orders; SELECT 3"
        editor.selection = Selection((1, 0), (1, 31))
        await pilot.press("f5")
        await wait_run(pilot)
        assert editor.selected_text == "" and editor.selection.end == (1, 7)  # on `nope`
        assert "Unknown column" in body_text(app)
        await run_sql(pilot, "SELECT name FROM customers WHERE id = 7")
        assert "Done" in status_text(app) and ": 1 row" in status_text(app)
        await run_sql(pilot, "SELEC 1")
        assert "ERROR 1064 (42000)" in body_text(app)


@pilot_test
async def test_cancel_a_long_query_reports_cancelled_and_nothing_else(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane: SqlPane = app.pane("sql")
        pane.editor.text = "SELECT COUNT(*) FROM orders a, orders b, orders c"  # 10^9 rows
        await pilot.press("f5")
        for _ in range(100):
            await pilot.pause(0.02)
            if "Running" in status_text(app):
                break
        assert pane.run is not None
        run = pane.run
        await pilot.press("escape")
        await wait_run(pilot, timeout=10)
        assert run.state == "cancelled"
        assert "Cancelled" in status_text(app) and "Done" not in status_text(app)
        assert app.query_one_optional(ResultsGrid) is None  # nothing of it is shown
        entries = app.history.search("")
        assert entries[0].status == "cancelled"
        await run_sql(pilot, "SELECT COUNT(*) FROM orders")
        assert "Done" in status_text(app)


@pilot_test
async def test_cancelled_update_changes_nothing(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane: SqlPane = app.pane("sql")
        pane.editor.text = ("UPDATE orders SET total = total + 1 WHERE id IN "
                            "(SELECT id FROM (SELECT a.id FROM orders a, orders b, orders c "
                            "WHERE a.id = b.id + c.id) AS d)")
        await pilot.press("f5")
        for _ in range(100):
            await pilot.pause(0.02)
            if "Running" in status_text(app):
                break
        await pilot.pause(0.2)
        await pilot.press("escape")
        await wait_run(pilot, timeout=20)
        assert "Cancelled" in status_text(app)
        await run_sql(pilot, "SELECT SUM(total) FROM orders")
        grid = app.query_one(ResultsGrid)
        total = grid.get_cell_at(grid.cursor_coordinate)
    import core

    with core.connect(shop_db, database="shop", flush_interval=0) as conn:
        cur = conn.cursor()
        cur.execute("SELECT SUM(total) FROM orders")
        assert cur.fetchone()[0] == total


@pilot_test
async def test_cancelling_a_run_of_several_says_what_stays_done(make_app, shop_db):
    """F6 over three statements, Esc during the second: the first is done (committed under
    autocommit) and the status must say so, not "nothing changed"."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        pane: SqlPane = app.pane("sql")
        pane.editor.text = ("UPDATE orders SET total = total + 1 WHERE id = 1;\n"
                            "SELECT COUNT(*) FROM orders a, orders b, orders c;\n"
                            "UPDATE orders SET total = total + 1 WHERE id = 2;")
        await pilot.press("f6")
        for _ in range(200):
            await pilot.pause(0.02)
            if pane.run is not None and pane.run.index == 1 and "Running" in status_text(app):
                break
        await pilot.press("escape")
        await wait_run(pilot, timeout=20)
        text = status_text(app)
        assert "Cancelled" in text and "statement 2 of 3" in text, text
        assert "the 1 statement before it stays done" in text, text
        assert "the 1 after it did not run" in text and "nothing changed" not in text, text


@pilot_test
async def test_history_is_persisted_searchable_and_recalled(make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT COUNT(*) FROM customers")
        await run_sql(pilot, "SELECT MAX(total) FROM orders")
        await run_sql(pilot, "SELECT * FROM nowhere")
        editor = app.pane("sql").editor
        editor.text = "my draft"
        await pilot.press("alt+up")
        assert editor.text == "SELECT * FROM nowhere"
        await pilot.press("alt+up")
        assert editor.text == "SELECT MAX(total) FROM orders"
        await pilot.press("alt+down", "alt+down")
        assert editor.text == "my draft"  # back to what was being written
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press(*"customers")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert editor.text == "SELECT COUNT(*) FROM customers"
    lines = [json.loads(x) for x in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [e["status"] for e in lines] == ["ok", "ok", "error"]
    assert lines[2]["error"].startswith("ERROR 1146")
    again = History(str(tmp_path / "history.jsonl")).load()
    assert [e.sql for e in again.search("orders")] == ["SELECT MAX(total) FROM orders"]


@pytest.mark.parametrize("answer", ["n", "y"])
@pilot_test
async def test_delete_without_where_asks_first(make_app, shop_db, answer):
    import core

    with core.connect(shop_db, database="shop", flush_interval=0) as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM order_items")
        rows_left = cur.fetchone()[0] if answer == "n" else 0
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.pane("sql").editor.text = "DELETE FROM order_items"
        await pilot.press("f5")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press(answer)
        await wait_run(pilot)
        assert app.pane("sql").editor.text == "DELETE FROM order_items"
        await run_sql(pilot, "SELECT COUNT(*) FROM order_items")
        grid = app.query_one(ResultsGrid)
        assert grid.get_cell_at(grid.cursor_coordinate) == rows_left


@pilot_test
async def test_ddl_refreshes_the_other_tabs_and_completion(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "CREATE TABLE suppliers (id INT PRIMARY KEY, name VARCHAR(40))")
        assert "Query OK" in status_text(app)
        await settle(pilot)
        assert "suppliers" in app.pane("sql").editor.catalog.tables()
        jobs = app.pane("ddl").data
        assert any("suppliers" in str(r) for r in jobs.rows)
        words = [v for (_label, _kind), v in app.pane("sql").editor._complete_word("supp")]
        assert "suppliers" in words
        cols = [v for _l, v in app.pane("sql").editor._complete_member("suppliers.na")]
        assert cols == ["suppliers.name"]


@pilot_test
async def test_cell_detail_and_export(make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT id, description FROM products ORDER BY id")
        await pilot.press("f3", "right", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "CellScreen"
        assert "hand-finished" in app.screen._text() and "\n" in app.screen._text()
        await pilot.press("escape")
        await pilot.press("ctrl+e")
        await pilot.pause()
        inp = app.screen.query_one("#export-path")
        inp.value = str(tmp_path / "products.json")
        await pilot.press("enter")
        await settle(pilot)
    data = json.loads((tmp_path / "products.json").read_text())
    assert len(data) == SHOP["products"] and data[0]["id"] == 1


@pilot_test
async def test_recovery_tab_shows_the_recovery_of_the_open(make_app, crashed_db):
    app = make_app(crashed_db, initial_tab="recovery")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("recovery")
        kinds = [type(e).__name__ for e in pane.events]  # the engine's own event objects
        assert kinds[0] == "RecoveryStarted" and "TransactionDiscarded" in kinds
        assert pane.recovered is True
        assert "recovered after a crash" in str(app.query_one("#title").render())
        assert "Recovered" in str(pane.query_one("#recovery-state").render())


@pilot_test
async def test_a_damaged_database_says_why_and_exits_with_an_error(make_app, crashed_db):
    from core.log.control import ControlFile
    from core.log.segment import list_segments

    ckpt = ControlFile(f"{crashed_db}/control").read().checkpoint_lsn
    seg = [s for s in list_segments(f"{crashed_db}/#redo", None) if s.start_lsn <= ckpt][-1]
    off = seg.file_offset(ckpt + 3000)  # inside a record after the checkpoint: corruption
    with open(seg.path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ 0xFF]))
    app = make_app(crashed_db, initial_tab="recovery")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.open_error is not None and app.open_error.errno == 1877
        assert type(app.screen).__name__ == "OpenFailedScreen"
        # in the command line's words, with the path that ends in a writable database
        error = app.open_error
        assert "force_recovery" not in f"{error.msg} {error.hint}", error.msg
        assert "kintsugi dump shop --force-recovery 1 > dump.sql" in error.hint
        assert "kintsugi recover shop --force-recovery 1 --discard-damaged-log" in error.hint
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 1


@pilot_test
async def test_every_registered_action_is_in_help_and_palette(make_app, shop_db):
    from textual.app import SystemCommand

    from tui import actions

    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)
                  if isinstance(c, SystemCommand)]
        for a in actions.REGISTRY:
            if a.palette and a.keys:
                assert any(t.startswith(a.label) for t in titles), a
        await pilot.press("f1")
        await pilot.pause()
        shown = {(keys, text) for _heading, keys, text in app.screen.lines}
        for a in actions.REGISTRY:
            assert (a.keys_text, a.help) in shown, a
        await pilot.press("escape")
        # the palette runs a pane's action from anywhere: Export is in the SQL tab
        app.action_tab("recovery")
        await pilot.pause()
        run = next(a for a in actions.REGISTRY if a.name == "run_all")
        app.pane("sql").editor.text = "SELECT 42"
        app.run_registered(run)
        await wait_run(pilot)
        assert app.query_one("#tabs").active == "tab-sql"
        assert "Done" in status_text(app)


@pilot_test
async def test_tabs_switch_with_digits_outside_the_editor(make_app, shop_db):
    app = make_app(shop_db, initial_tab="recovery")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tabs = app.query_one("#tabs")
        await pilot.press("2")
        assert tabs.active == "tab-ddl"
        await pilot.press("ctrl+pagedown")
        assert tabs.active == "tab-indexes"
        await pilot.press("4")
        assert tabs.active == "tab-sql"
        await pilot.press("1")  # typed into the editor, not a tab switch
        assert tabs.active == "tab-sql" and app.pane("sql").editor.text == "1"
        await pilot.press("ctrl+t")
        assert app.theme == "ansi-dark"


def test_event_pump_posts_at_most_twenty_times_a_second():
    import time

    from core.events import RedoApplyProgress
    from tui.events import EventPump

    batches = []
    pump = EventPump(batches.append, interval=0.05)
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.5:
        pump(RedoApplyProgress(applied=n, total=1 << 30, percent=n % 100))
        n += 1
    time.sleep(0.1)
    assert sum(len(b) for b in batches) == n  # nothing lost, the trailing batch included
    assert len(batches) <= 0.6 / 0.05 + 1



def test_event_pump_keeps_the_events_before_the_app_attaches():
    from core.events import RecoveryStarted, RedoScanProgress
    from tui.events import EventPump

    pump = EventPump(interval=0.05)
    early = [RecoveryStarted(checkpoint_lsn=1, path="/db"), RedoScanProgress(10, 2)]
    for e in early:
        pump(e)  # the engine opens before the app exists
    batches = []
    pump.attach(batches.append)
    assert batches == [early]  # the same objects, in order, in one batch
    later = RedoScanProgress(20, 3)
    pump(later)
    pump.flush()
    assert batches[-1] == [later]


class HeldBackend(EmbeddedBackend):
    """The embedded backend, holding a result after its first chunk of rows until `release`
    is set.  Under a worker that streams flat out, each of Pilot's key presses waits for
    every widget to go idle, which takes about as long as a million rows: without the hold
    the result could be complete before the Esc lands.  The rows, the cancel and its error
    are the engine's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.release = threading.Event()

    def execute(self, sql):
        for n, part in enumerate(super().execute(sql)):
            yield part
            if n == 1:  # the columns and the first rows are out
                self.release.wait(30)


@pilot_test
async def test_a_million_row_result_shows_its_first_page_and_cancels(make_app, shop_db):
    """A million rows (the customers, cubed) stream into the grid; Esc stops them, nothing of
    them stays on screen, and the console runs the next statement."""
    app = make_app(shop_db, initial_tab="sql", backend_class=HeldBackend)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane: SqlPane = app.pane("sql")
        assert SHOP["customers"] ** 3 == 1_000_000
        pane.editor.text = ("SELECT a.id, b.name, c.city FROM customers a, customers b, "
                            "customers c")
        await pilot.press("f5")
        grid = None
        for _ in range(500):
            await pilot.pause(0.02)
            grid = app.query_one_optional(ResultsGrid)
            if grid is not None and grid.row_count:
                break
        assert grid is not None and 0 < grid.row_count < 1_000_000  # the first page
        assert pane.run is not None and "Running" in status_text(app)
        run = pane.run
        await pilot.press("escape")
        assert "Cancelling" in status_text(app)
        app.backend.release.set()
        await wait_run(pilot, timeout=20)
        assert run.state == "cancelled"
        assert "Cancelled" in status_text(app) and "Done" not in status_text(app)
        assert app.query_one_optional(ResultsGrid) is None  # its rows are not kept
        assert app.history.search("")[0].status == "cancelled"
        # the console is usable, and the same million rows run to the end when let be
        await run_sql(pilot, "SELECT COUNT(*) FROM customers")
        assert "Done" in status_text(app) and ": 1 row" in status_text(app)
        grid = app.query_one(ResultsGrid)
        assert grid.get_cell_at(grid.cursor_coordinate) == SHOP["customers"]
        await run_sql(pilot, "SELECT a.id, b.name, c.city FROM customers a, customers b, "
                             "customers c")
        assert "Done" in status_text(app) and "1,000,000 rows" in status_text(app)
        assert app.query_one(ResultsGrid).row_count == 1_000_000
