"""The Indexes tab on real databases damaged with `core.faults`: detect -> confirm -> repair
-> re-check, the statement chosen for each kind of damage, a check-all cancelled while it
runs, and a read-only (forced) open refusing to repair."""

from __future__ import annotations

import threading

import pytest

import core
from core import faults
from core.events import IndexAdminProgress, IndexSample
from tests.tui.conftest import settle
from tests.tui.test_console import pilot_test
from tui.backend.base import BackendError
from tui.panes.index_confirm import RepairConfirmScreen
from tui.widgets.index_plan import check_sql, plan_repair

ROWS = 20


def _db(path: str) -> str:
    """test.t: 20 rows, a secondary index `ib` and a unique one `uc`."""
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0)
    try:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT, c VARCHAR(20), "
                     "KEY ib (b), UNIQUE KEY uc (c))")
        conn.cursor().executemany("INSERT INTO t VALUES (%s, %s, %s)",
                                  [(i, i * 10, f"c{i}") for i in range(1, ROWS + 1)])
        conn.execute("CREATE TABLE u (id INT PRIMARY KEY, v INT, KEY iv (v))")
        conn.cursor().executemany("INSERT INTO u VALUES (%s, %s)",
                                  [(i, i) for i in range(1, ROWS + 1)])
    finally:
        conn.close()
    return path


def _damage(path: str, work) -> None:
    conn = core.connect(path, database="test", autocommit=True, flush_interval=0)
    try:
        work(conn)
    finally:
        conn.close()


async def _done(pilot) -> None:
    """Until the running check or repair has ended and the list is read again."""
    pane = pilot.app.pane("indexes")
    for _ in range(500):
        if pane.board.job is None:
            break
        await pilot.pause(0.02)
    assert pane.board.job is None, "the check or repair did not end"
    await settle(pilot)


async def _select(pilot, table: str, index: str) -> None:
    pane = pilot.app.pane("indexes")
    row = pane.keys.index((table, index))
    pane.query_one("#index-table").move_cursor(row=row, animate=False)
    await pilot.pause()


def _confirm_text(screen: RepairConfirmScreen) -> str:
    return "\n".join(str(w.render()) for w in screen.query("Static"))


# -- the repair plan, in words ---------------------------------------------------------------


def test_the_statement_fits_what_the_check_found():
    missing = (IndexSample("missing", "2", ("KindInt64 20",)),)
    p = plan_repair("test", "t", "ib", 1, 0, 0, missing)
    assert p.statement == "ADMIN RECOVER INDEX test.t ib"
    assert p.changes[0] == "adds 1 missing entry to test.t.ib (row 2)"
    assert "removes no entry" in p.changes[1]
    p = plan_repair("test", "t", "ib", 0, 2, 0)
    assert p.statement == "ADMIN CLEANUP INDEX test.t ib"
    assert p.changes[0].startswith("removes 2 dangling entries from test.t.ib")
    p = plan_repair("test", "t", "ib", 1, 1, 1)
    assert p.statement == "ADMIN REPAIR INDEX test.t ib"
    assert p.changes[0].startswith("removes 2 entries from test.t.ib: 1 dangling entry and "
                                   "1 entry with wrong values")
    assert p.changes[1].startswith("adds 2 entries: 1 missing entry and 1 entry with the "
                                   "rows' values")
    assert plan_repair("test", "t", "ib", 0, 0, 0) is None
    assert check_sql("my db", "t-1", "ib") == "ADMIN SHOW INDEX INCONSISTENCIES `my db`.`t-1` ib"


# -- the whole flow --------------------------------------------------------------------------


@pilot_test
async def test_detect_confirm_repair_and_recheck(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.remove_index_entries(c, "t", "ib", [2, 5]))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        assert pane.finding("test.t", "ib") is None  # never checked
        await pilot.press("c")  # the highlighted table: test.t
        await _done(pilot)
        found = pane.finding("test.t", "ib")
        assert (found.result, found.missing, found.dangling, found.mismatched) == \
            ("inconsistent", 2, 0, 0)
        assert sorted(s.handle for s in found.samples) == ["2", "5"]
        assert pane.finding("test.t", "uc").result == "consistent"
        assert pane.finding("test.u", "iv") is None  # "c" checked one table only
        assert pane.selected()[1].name == "ib"  # the cursor went to the damaged index

        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, RepairConfirmScreen)
        text = _confirm_text(app.screen)
        assert "ADMIN RECOVER INDEX test.t ib" in text
        assert "Adds 2 missing entries to test.t.ib (rows 2, 5)." in text
        await pilot.press("y")
        await _done(pilot)
        after = pane.finding("test.t", "ib")
        assert after.result == "repaired" and not after.damaged
        assert (after.rows_scanned, after.entries_scanned) == (ROWS, ROWS)
        done = pane.board.repairs[("test.t", "ib")]
        assert done.counts == {"ADDED_COUNT": 2, "SCAN_COUNT": ROWS}
        detail = str(pane.query_one("#index-detail-text").render())
        assert "ADDED_COUNT 2, SCAN_COUNT 20" in detail and "Re-check: consistent" in detail
    conn = core.connect(path, database="test", autocommit=True)
    try:  # the repair is in the database, not only on the screen
        conn.execute("ADMIN CHECK TABLE t")  # no 8223: consistent
    finally:
        conn.close()


@pytest.mark.parametrize("damage, statement", [
    ("dangling", "ADMIN CLEANUP INDEX test.t ib"),
    ("mismatched", "ADMIN REPAIR INDEX test.t ib"),
])
@pilot_test
async def test_each_kind_of_damage_gets_its_statement(make_app, tmp_path, damage, statement):
    path = _db(str(tmp_path / "db"))
    if damage == "dangling":
        _damage(path, lambda c: faults.add_dangling_index_entry(c, "t", "ib", [999], 99))
    else:
        _damage(path, lambda c: faults.change_index_entry(c, "t", "ib", 3, [31]))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("a")
        await _done(pilot)
        found = pane.finding("test.t", "ib")
        assert getattr(found, damage) == 1 and found.samples[0].kind == damage
        assert pane.finding("test.u", "iv").result == "consistent"
        await _select(pilot, "test.t", "ib")
        await pilot.press("f")
        await pilot.pause()
        assert statement in _confirm_text(app.screen)
        await pilot.press("y")
        await _done(pilot)
        assert pane.finding("test.t", "ib").result == "repaired"


@pilot_test
async def test_declining_changes_nothing(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.remove_index_entries(c, "t", "ib", [4]))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("c")
        await _done(pilot)
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, RepairConfirmScreen)
        assert pane.finding("test.t", "ib").missing == 1
        assert not pane.board.repairs


@pilot_test
async def test_a_running_check_all_is_cancelled(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    app = make_app(path, database="test", initial_tab="indexes")
    backend = app.backend
    gate = threading.Event()
    held = threading.Event()
    real = backend.run_index_admin

    def held_at_first_progress(sql, sink):
        def gated(e):
            sink(e)
            if isinstance(e, IndexAdminProgress) and not gate.is_set():
                held.set()
                gate.wait(10)
        return real(sql, gated)

    backend.run_index_admin = held_at_first_progress
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("a")
        for _ in range(250):
            if held.is_set():
                break
            await pilot.pause(0.02)
        assert held.is_set()
        await pilot.pause(0.2)
        assert pane.board.job is not None and pane.board.job.table == "test.t"
        progress = pane.query_one("#index-progress")
        assert progress.display and progress.has_class("-running")
        assert "Checking test.t" in str(pane.query_one("#index-table-label").render())
        await pilot.press("x")
        gate.set()
        await _done(pilot)
        assert not progress.has_class("-running")
        assert "Check cancelled at test.t: 0 of 2 table(s) checked" in pane.outcome
        assert pane.finding("test.t", "ib") is None  # ERROR 1317: nothing found, nothing kept
        assert pane.finding("test.u", "iv") is None  # the second table was never started
    gate.set()


@pilot_test
async def test_a_read_only_open_checks_but_refuses_to_repair(make_app, damaged_db):
    # the crashed demo shop (its indexes damaged by the demo) opened with --force-recovery 1
    app = make_app(damaged_db, initial_tab="indexes", engine_options={"force_recovery": 1})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.backend.session_state().read_only
        pane = app.pane("indexes")
        await _select(pilot, "shop.customers", "idx_city")
        await pilot.press("c")
        await _done(pilot)
        assert pane.finding("shop.customers", "idx_city").missing == 3
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, RepairConfirmScreen)  # no question: a refusal
        assert "READ-ONLY (--force-recovery 1)" in pane.outcome
        assert "Reopen it without --force-recovery" in pane.outcome
        detail = str(pane.query_one("#index-detail-text").render())
        assert "Repair refused: the database is open READ-ONLY" in detail
        assert pane.finding("shop.customers", "idx_city").missing == 3


@pilot_test
async def test_an_error_shows_its_code_and_hint_and_the_other_tables_are_checked(make_app,
                                                                                 tmp_path):
    path = _db(str(tmp_path / "db"))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        assert pane.board.table("test.t") is not None
        list(app.backend.execute("DROP TABLE t"))  # behind the pane's back: its list is old
        await pilot.press("a")
        await _done(pilot)
        assert "ERROR 1146 (42S02)" in pane.outcome and "test.t" in pane.outcome
        assert "The table is gone: r reads the list again." in pane.outcome
        assert pane.finding("test.u", "iv").result == "consistent"  # the next table ran
        assert pane.board.table("test.t") is None  # the list was read again afterwards


def test_the_backend_checks_on_its_own_connection_and_the_record_survives_a_restart(tmp_path):
    from core.events import EventLog, IndexAdminFinished
    from tui.backend import EmbeddedBackend
    from tui.backend.base import TOO_LATE

    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.remove_index_entries(c, "t", "ib", [7]))
    backend = EmbeddedBackend(path, database="test", recover_in_child=False, flush_interval=0)
    backend.open(lambda e: None)
    try:
        assert backend.cancel_index_admin() == TOO_LATE  # nothing running
        (t, u) = backend.index_overview().tables
        assert [e.name for e in t.indexes if e.checkable] == ["ib", "uc"]
        assert all(e.last is None for e in t.indexes)
        list(backend.execute("BEGIN"))  # the SQL tab's open transaction does not block it
        log = EventLog()
        data = backend.run_index_admin(check_sql("test", "t"), log)
        assert log.of(IndexAdminFinished)[-1].outcome == "inconsistent"
        assert backend.session_state().in_transaction  # the SQL session was left alone
        assert dict((r[0], r[3]) for r in data.rows) == {"ib": 1, "uc": 0}  # MISSING
    finally:
        backend.close()
    backend = EmbeddedBackend(path, database="test", recover_in_child=False, flush_interval=0)
    backend.open(lambda e: None)
    try:
        (t, _u) = backend.index_overview().tables
        last = {e.name: e.last for e in t.indexes if e.checkable}
        assert (last["ib"].result, last["ib"].missing, last["ib"].rows_scanned) == \
            ("inconsistent", 1, ROWS)
        assert last["uc"].result == "consistent" and last["ib"].checked_at is not None
    finally:
        backend.close()


# -- what a new user found -------------------------------------------------------------------


def _notes(pane) -> list[str]:
    """Every notification the pane shows from now on (their text)."""
    seen: list[str] = []
    real = pane.notify

    def notify(message, *args, **kwargs):
        seen.append(str(message))
        return real(message, *args, **kwargs)

    pane.notify = notify
    return seen


def _detail(pane) -> str:
    return str(pane.query_one("#index-detail-text").render())


def test_sample_values_are_shown_as_sql_shows_them():
    from tui.widgets.index_detail import plain_value, values_text

    assert plain_value("KindString Osaka") == "'Osaka'"
    assert plain_value("KindString O'Hara") == "'O''Hara'"
    assert plain_value("KindInt64 1341") == "1341"
    assert plain_value("KindUint64 18446744073709551615") == "18446744073709551615"
    assert plain_value("KindNull <nil>") == "NULL"
    assert plain_value("KindMysqlDecimal 1.50") == "1.50"
    assert plain_value("KindMysqlTime 2026-01-01 10:00:00") == "'2026-01-01 10:00:00'"
    assert plain_value("KindBytes [1 255]") == "0x01FF"
    assert plain_value("plain") == "plain"  # not TiDB's rendering: as it is
    assert values_text(("KindString Osaka", "KindInt64 1341", "KindNull <nil>")) == \
        "'Osaka', 1341, NULL"
    assert values_text(None) == "(none)"


@pilot_test
async def test_counts_unknown_after_admin_check_table_and_f_offers_repair_index(make_app,
                                                                               tmp_path):
    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.remove_index_entries(c, "t", "ib", [2, 5]))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        with pytest.raises(BackendError, match="data inconsistency") as raised:  # the SQL tab
            list(app.backend.execute("ADMIN CHECK TABLE t"))
        assert raised.value.errno == 8223
        pane.load()
        await settle(pilot)
        await _select(pilot, "test.t", "ib")
        found = pane.finding("test.t", "ib")
        assert found.unknown_counts and found.damaged  # the record's NULLs, not zeros
        detail = _detail(pane)
        assert "counts unknown (ADMIN CHECK stops at the first inconsistency; c shows the " \
            "whole picture)" in detail
        assert "0 missing" not in detail
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, RepairConfirmScreen)
        text = _confirm_text(app.screen)
        assert "ADMIN REPAIR INDEX test.t ib" in text and "How many: unknown" in text
        await pilot.press("y")
        await _done(pilot)
        after = pane.finding("test.t", "ib")
        assert after.result == "repaired" and not after.damaged
        assert pane.board.repairs[("test.t", "ib")].counts.get("ADDED_COUNT") == 2


@pilot_test
async def test_a_cancelled_repair_is_checked_again_not_shown_stale(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.remove_index_entries(c, "t", "ib", [2, 5]))
    app = make_app(path, database="test", initial_tab="indexes")
    backend = app.backend
    gate, held = threading.Event(), threading.Event()
    real = backend.run_index_admin

    def held_in_the_repair(sql, sink):
        def gated(e):
            sink(e)
            if "RECOVER" in sql and isinstance(e, IndexAdminProgress) and not gate.is_set():
                held.set()
                gate.wait(10)
        return real(sql, gated)

    backend.run_index_admin = held_in_the_repair
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("c")
        await _done(pilot)
        checked_at = pane.finding("test.t", "ib").when
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(250):
            if held.is_set():
                break
            await pilot.pause(0.02)
        assert held.is_set()
        await pilot.press("escape")
        gate.set()
        for _ in range(100):  # the repair ends, then the automatic re-check runs
            await _done(pilot)
            f = pane.finding("test.t", "ib")
            if f.result != "cancelled":
                break
            await pilot.pause(0.05)
        assert "What is left to repair is unknown" in pane.outcome
        f = pane.finding("test.t", "ib")
        assert f.result in ("inconsistent", "consistent") and f.when > checked_at  # re-checked
        assert f.from_session and f.samples or not f.damaged
        assert ("test.t", "ib") not in pane.board.repairs
        assert pane.selected()[0].name == "test.t"


@pilot_test
async def test_c_stays_on_the_table_it_checked_and_a_goes_to_the_damage(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.remove_index_entries(c, "u", "iv", [3]))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await _select(pilot, "test.t", "uc")
        await pilot.press("c")  # test.t is consistent; test.u's damage is not its business
        await _done(pilot)
        assert pane.finding("test.t", "uc").result == "consistent"
        assert pane.finding("test.u", "iv") is None
        assert (pane.selected()[0].name, pane.selected()[1].name) == ("test.t", "uc")
        await pilot.press("a")  # every table: to the first damaged index
        await _done(pilot)
        assert (pane.selected()[0].name, pane.selected()[1].name) == ("test.u", "iv")


@pilot_test
async def test_one_row_and_one_entry_are_singular(make_app, tmp_path):
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0)
    try:
        conn.execute("CREATE TABLE one (id INT PRIMARY KEY, v INT, KEY iv (v))")
        conn.execute("INSERT INTO one VALUES (1, 1)")
    finally:
        conn.close()
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("c")
        await _done(pilot)
        await _select(pilot, "test.one", "iv")
        assert "1 row, 1 entry:" in _detail(pane)
        table = pane.query_one("#index-table")
        cells = [str(c) for r in range(table.row_count) for c in table.get_row_at(r)]
        assert pane.board.table("test.one").rows_estimate == 1
        assert "~1 row" in cells and "~1 rows" not in cells


@pilot_test
async def test_a_damaged_row_is_named_and_no_index_repair_is_offered(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    _damage(path, lambda c: faults.corrupt_row(c, "t", 4))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        notes = _notes(pane)
        await _select(pilot, "test.t", "ib")
        await pilot.press("c")
        await _done(pilot)
        f = pane.finding("test.t", "ib")
        assert (f.result, f.errno) == ("failed", 1877)
        assert "ERROR 1877" in pane.outcome
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, RepairConfirmScreen)
        said = notes[-1]
        assert "damaged row (ERROR 1877" in said and "an index repair cannot help" in said
        assert "CHECK TABLE t shows the row" in said and "--force-recovery 1 > rescue.sql" in said
        assert "c again" not in said
        assert "damaged row" in _detail(pane)


@pilot_test
async def test_small_terminal_shows_every_sample_and_the_footer_keeps_help(make_app, shop_db):
    app = make_app(shop_db, initial_tab="indexes")
    backend = app.backend
    gate, held = threading.Event(), threading.Event()
    real = backend.run_index_admin

    def held_in_the_second_check(sql, sink):
        def gated(e):
            sink(e)
            if "products" in sql and isinstance(e, IndexAdminProgress) and not gate.is_set():
                held.set()
                gate.wait(10)
        return real(sql, gated)

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await _select(pilot, "shop.customers", "idx_city")
        await pilot.press("c")
        await _done(pilot)
        assert len(pane.finding("shop.customers", "idx_city").samples) == 3
        detail, samples = pane.query_one("#index-detail"), pane.query_one("#index-samples")
        assert samples.display and samples.size.height == 4  # a header and 3 rows
        assert detail.max_scroll_y == 0  # nothing hidden below the box
        assert samples.region.bottom <= detail.region.bottom - 1  # inside its border
        backend.run_index_admin = held_in_the_second_check
        await _select(pilot, "shop.products", "idx_category")
        await pilot.press("c")
        for _ in range(250):
            if held.is_set():
                break
            await pilot.pause(0.02)
        assert held.is_set()
        await pilot.pause(0.2)
        keys = {k.key: k for k in app.screen.query("FooterKey")}
        assert "f1" in keys and keys["f1"].region.right <= 80  # "F1 Help" still on screen
        assert "x" in keys and "a" not in keys  # cancel offered, the checks hidden meanwhile
        gate.set()
        await _done(pilot)
        keys = {k.key for k in app.screen.query("FooterKey")}
        assert {"c", "a", "f", "f1"} <= keys


@pilot_test
async def test_the_definition_wraps_instead_of_being_cut(make_app, shop_db):
    app = make_app(shop_db, initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("a")  # the longest results: "inconsistent: 1 mismatched"
        await _done(pilot)
        table = pane.query_one("#index-table")
        used = sum(c.get_render_width(table) for c in table.columns.values())
        assert used <= table.size.width
        row = pane.keys.index(("shop.orders", "idx_status_date"))
        assert table.get_row_at(row)[-1].plain == "INDEX (status, ordered_at)"
        assert table.rows[list(table.rows)[row]].height >= 2  # wrapped, not cut


@pilot_test
async def test_tab_stays_in_the_pane_and_the_keys_keep_working(make_app, tmp_path):
    path = _db(str(tmp_path / "db"))
    app = make_app(path, database="test", initial_tab="indexes")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("indexes")
        await pilot.press("tab")
        assert app.focused is pane.query_one("#index-detail")  # its border shows it
        await pilot.press("tab")
        assert app.focused is pane.query_one("#index-table")
        await pilot.press("shift+tab", "c")
        assert app.focused is pane.query_one("#index-detail")
        await _done(pilot)
        assert pane.finding("test.t", "ib").result == "consistent"  # c worked from the box
