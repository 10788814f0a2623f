"""Export from the SQL tab: the rows shown or the whole result (the statement run again on a
connection of the export's own), in five formats read back here; its progress line, cancel,
refusals and the overwrite question.  Also the result display's small points: repeated
column names, the elapsed time at 80 columns, a declined DROP."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from textual.coordinate import Coordinate

from tests.tui.conftest import SHOP, settle
from tests.tui.test_console import body_text, pilot_test, run_sql, status_text
from tui.config import load
from tui.widgets.grid import ResultsGrid

TYPES_DDL = ("CREATE TABLE shop.kinds (id INT PRIMARY KEY, s VARCHAR(100), b VARBINARY(20), "
             "d DECIMAL(10,3), f DOUBLE, at DATETIME, day DATE, t TIME)")
KINDS = [
    (1, "it's a \\ back\nslash, \"quoted\" | piped", b"\x00\xffA", Decimal("12.500"), 1.5e-7,
     dt.datetime(2026, 1, 1, 10, 0, 1), dt.date(2026, 2, 3), dt.timedelta(hours=-1, minutes=-2)),
    (2, None, None, None, None, None, None, None),
    (3, "", b"ok", Decimal("-0.001"), 1e20, dt.datetime(1999, 12, 31, 23, 59, 59),
     dt.date(1000, 1, 1), dt.timedelta(hours=838)),
    (4, "ünï ✓", b"", Decimal("9999999.999"), -2.5, None, None, dt.timedelta(0)),
]


def _with_kinds(path: str) -> None:
    """The shop gets a table with a value of every kind (through the engine, before the
    console opens it)."""
    import core
    from tui.export_writers import sql_literal

    conn = core.connect(path, database="shop", autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(TYPES_DDL)
        for row in KINDS:
            cur.execute("INSERT INTO shop.kinds VALUES (" +
                        ", ".join(sql_literal(v) for v in row) + ")")
    finally:
        conn.close()


def _settings(max_rows: int):
    return replace(load(), max_rows=max_rows)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def wait_export(pilot, timeout: float = 20) -> None:
    pane = pilot.app.pane("sql")
    for _ in range(int(timeout / 0.02)):
        await pilot.pause(0.02)
        if pane.export_job is None:
            break
    await settle(pilot)


async def export(pilot, path, fmt: str = "csv", whole: bool = False, table: str | None = None,
                 wait: bool = True) -> None:
    """Ctrl+E, choose, Enter in the file field."""
    from textual.widgets import Input, RadioButton, Select

    app = pilot.app
    await pilot.press("ctrl+e")
    await pilot.pause()
    screen = app.screen
    assert type(screen).__name__ == "ExportScreen"
    screen.query_one("#export-format", Select).value = fmt
    await pilot.pause()
    screen.query_one("#what-whole" if whole else "#what-shown", RadioButton).value = True
    if table is not None:
        screen.query_one("#export-table", Input).value = table
    inp = screen.query_one("#export-path", Input)
    inp.value = str(path)
    inp.focus()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    if wait:
        await wait_export(pilot)


def dialog_text(screen) -> str:
    return " ".join(str(w.render()) for w in screen.query("Static, RadioButton"))


# -- rows shown / whole result ----------------------------------------------------------------


@pilot_test
async def test_the_rows_shown_or_the_whole_result_and_the_file_says_which(make_app, shop_db,
                                                                          tmp_path):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(100))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT id, customer_id, total FROM orders ORDER BY id")
        assert "Showing 100 of 1,000 rows" in status_text(app)
        await pilot.press("ctrl+e")
        await pilot.pause()
        text = dialog_text(app.screen)
        assert "The rows shown, as displayed: 100 of 1,000 (--max-rows)" in text
        assert ("The whole result: 1,000 rows (runs the statement again: the database's own "
                "values)") in text
        assert "The file will hold the whole result (1,000 rows when it ran" in text
        await pilot.press("escape")
        await export(pilot, tmp_path / "shown.csv")
        assert ("Exported 100 rows (the rows shown, of 1,000, as displayed in the grid) to "
                in notes(app)[-1])
        await export(pilot, tmp_path / "whole.csv", whole=True)
        assert notes(app)[-1] == (f"Exported 1,000 rows (the whole result, the database's "
                                  f"values: the statement was run again) to {tmp_path}/whole.csv")
    with open(tmp_path / "shown.csv", newline="") as f:
        shown = list(csv.reader(f))
    with open(tmp_path / "whole.csv", newline="") as f:
        whole = list(csv.reader(f))
    assert shown[0] == whole[0] == ["id", "customer_id", "total"]
    assert len(shown) == 1 + 100 and len(whole) == 1 + SHOP["orders"]
    assert whole[:101] == shown
    assert [int(r[0]) for r in whole[1:]] == sorted(int(r[0]) for r in whole[1:])


FORMATS = ["csv", "json", "jsonl", "sql", "markdown"]


@pilot_test
async def test_each_format_reads_back_as_the_rows(make_app, shop_db, tmp_path):
    """The whole result (the grid keeps 2 of 4 rows) in each format, parsed back."""
    _with_kinds(shop_db)
    app = make_app(shop_db, initial_tab="sql", settings=_settings(2))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT * FROM kinds ORDER BY id")
        for fmt in FORMATS:
            await export(pilot, tmp_path / f"kinds.{fmt}", fmt=fmt, whole=True, table="copy")
            assert notes(app)[-1].startswith(
                "Exported 4 rows (the whole result, the database's values"), fmt
    for fmt in FORMATS:
        _check_format(fmt, tmp_path / f"kinds.{fmt}", tmp_path)


def _check_format(fmt: str, path, tmp_path) -> None:
    names = ["id", "s", "b", "d", "f", "at", "day", "t"]
    from tui.format import cell

    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == names
        assert rows[1:] == [["" if v is None else cell(v) for v in r] for r in KINDS]
    elif fmt in ("json", "jsonl"):
        text = path.read_text(encoding="utf-8")
        objects = (json.loads(text) if fmt == "json"
                   else [json.loads(line) for line in text.splitlines()])
        assert len(objects) == 4 and list(objects[0]) == names
        assert objects[0]["s"] == KINDS[0][1] and objects[0]["d"] == "12.500"
        assert objects[0]["f"] == 1.5e-7 and objects[0]["t"] == "-01:02:00"
        assert objects[0]["b"] == "0x00ff41" and objects[3]["b"] == ""
        assert objects[1] == {n: (2 if n == "id" else None) for n in names}
    elif fmt == "sql":
        import core

        fresh = core.connect(str(tmp_path / "fresh"), create=True, database="test",
                             autocommit=True)
        try:
            cur = fresh.cursor()
            cur.execute(TYPES_DDL.replace("shop.kinds", "copy"))
            cur.executescript(path.read_text(encoding="utf-8"))
            cur.execute("SELECT * FROM copy ORDER BY id")
            assert cur.fetchall() == KINDS
        finally:
            fresh.close()
        assert path.read_text().startswith("INSERT INTO `copy` (`id`, `s`, `b`, ")
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "| " + " | ".join(names) + " |"
        assert lines[1].count("---") == len(names) and len(lines) == 2 + 4
        assert lines[2].startswith("| 1 | it's a \\\\ back<br>slash, \"quoted\" \\| piped | ")
        assert lines[3] == "| 2 | " + " | ".join(["NULL"] * 7) + " |"


# -- progress, cancel, one at a time, the console stays usable ---------------------------------


@pilot_test
async def test_progress_then_cancel_removes_the_partial_file(make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(50))
    backend = app.backend
    go_on = threading.Event()
    first_chunk = threading.Event()
    real = backend.export_query

    def held(sql, database):
        """The real re-run, held after its first chunk until the test lets it go on."""
        parts = real(sql, database)
        try:
            for part in parts:
                yield part
                if type(part).__name__ == "Rows" and not first_chunk.is_set():
                    first_chunk.set()
                    go_on.wait(20)
        finally:
            parts.close()

    backend.export_query = held
    path = tmp_path / "big.csv"
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await run_sql(pilot, "SELECT o.id, p.sku FROM orders o, products p")
            assert "Showing 50 of 24,000 rows" in status_text(app)
            await export(pilot, path, whole=True, wait=False)
            assert first_chunk.wait(20)
            pane = app.pane("sql")
            for _ in range(100):
                await pilot.pause(0.02)
                line = pane.query("ExportProgress")
                if line and "2,000 of 24,000" in line.first().text:
                    break
            progress = pane.query_one("ExportProgress")
            assert progress.text == ("Export: 2,000 of 24,000 rows written (the whole result "
                                     "to big.csv)")
            # the console stays usable: a statement runs while the export waits
            # (not run_sql: its settle waits for every worker, the held export's too)
            pane.editor.text = "SELECT COUNT(*) FROM customers"
            await pilot.press("f5")
            for _ in range(500):
                await pilot.pause(0.02)
                if pane.run is None:
                    break
            assert status_text(app).startswith("Done") and pane.export_job is not None
            assert app.query_one(ResultsGrid).get_cell_at(Coordinate(0, 0)) == SHOP["customers"]
            # one export at a time
            await pilot.press("ctrl+e")
            await pilot.pause()
            assert "An export is running (2,000 rows written to" in notes(app)[-1]
            await pilot.press("f9")
            await pilot.pause()
            assert "Cancelling the export" in progress.text
            go_on.set()
            await wait_export(pilot)
            assert pane.export_job is None and not pane.query("ExportProgress")
            assert notes(app)[-1].startswith("Export cancelled after 2,000 rows: ")
    finally:
        go_on.set()
    assert not path.exists() and not list(tmp_path.glob("*.part"))


# -- what is not re-run, and why --------------------------------------------------------------


@pilot_test
async def test_the_whole_result_is_not_offered_when_a_rerun_would_differ(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(10))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SET @x = 5")
        await run_sql(pilot, "SELECT id, @x FROM orders")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one("#what-whole").disabled
        assert "Not offered: the statement reads @variables of the console's session" in \
            dialog_text(app.screen)
        await pilot.press("escape")
        await run_sql(pilot, "BEGIN")
        await run_sql(pilot, "SELECT id FROM orders")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert "Not offered: a transaction is open" in dialog_text(app.screen)
        assert app.screen.query_one("#what-whole").disabled
        await pilot.press("escape")
        await run_sql(pilot, "ROLLBACK")


def test_only_read_only_statements_are_run_again(tmp_path):
    from tui.backend import EmbeddedBackend
    from tui.rerun import table_of, why_not_rerun

    backend = EmbeddedBackend(str(tmp_path / "db"), create=True, recover_in_child=False)
    backend.open(lambda event: None)
    try:
        for sql in ("SELECT 1", "SHOW TABLES", "DESCRIBE orders", "(SELECT 1) UNION (SELECT 2)",
                    "WITH a AS (SELECT 1) SELECT * FROM a", "SELECT @@sql_mode",
                    "SELECT '@x' AS `a@b` -- @c"):
            assert why_not_rerun(sql, backend.read_only(sql)) == "", sql
        for sql in ("INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
                    "CALL p()", "CHECK TABLE orders", "DROP TABLE t"):
            assert "is not a read-only statement; running it again would do its work again" \
                in why_not_rerun(sql, backend.read_only(sql)), sql
        assert "@variables" in why_not_rerun("SELECT @x", backend.read_only("SELECT @x"))
        # and the export's connection refuses a write whatever it was told: 1792
        from tui.backend import BackendError

        with pytest.raises(BackendError) as err:
            list(backend.export_query("CREATE TABLE t (a INT)", "test"))
        assert err.value.errno == 1792
    finally:
        backend.close()
    assert table_of("SELECT * FROM shop.orders o JOIN c") == "shop.orders"
    assert table_of("SELECT * FROM `my t`") == "my t"
    assert table_of("SELECT 1") == "result"


# -- the file: overwrite, errors ---------------------------------------------------------------


@pilot_test
async def test_an_existing_file_is_overwritten_only_when_asked_a_directory_never(make_app, shop_db,
                                                                          tmp_path):
    path = tmp_path / "there.csv"
    path.write_text("keep me\n")
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT id FROM products ORDER BY id")
        await export(pilot, path, wait=False)
        assert type(app.screen).__name__ == "OverwriteScreen"
        assert "there.csv (8 bytes" in dialog_text(app.screen)
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen"
        assert path.read_text() == "keep me\n"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await wait_export(pilot)
        assert type(app.screen).__name__ != "ExportScreen"
        # a directory, a missing directory: refused with their code, the dialog stays
        await export(pilot, tmp_path, wait=False)
        assert type(app.screen).__name__ == "ExportScreen"
        assert notes(app)[-1] == (f"ERROR 1004 (HY000): Can't create file '{tmp_path}' "
                                  "(errno: 21 - Is a directory)")
        from textual.widgets import Input

        app.screen.query_one("#export-path", Input).value = str(tmp_path / "no" / "x.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen"
        assert notes(app)[-1].startswith("ERROR 1004 (HY000): Can't create file ")
        assert "No such file or directory" in notes(app)[-1]
    assert path.read_text().splitlines()[:2] == ["id", "1"]
    assert len(path.read_text().splitlines()) == 1 + SHOP["products"]


def test_a_failed_write_removes_its_partial_file(tmp_path):
    from tui.export_file import ExportError, write_export

    def chunks():
        yield [(1, "a")]
        raise OSError(28, "No space left on device")

    path = tmp_path / "full.csv"
    with pytest.raises(ExportError) as err:
        write_export(str(path), "csv", ["id", "s"], chunks())
    assert str(err.value) == (f"ERROR 1026 (HY000): Error writing file '{path}' (errno: 28 - "
                              "No space left on device)")
    assert os.listdir(tmp_path) == []


# -- the result display -------------------------------------------------------------------------


@pilot_test
async def test_repeated_column_names_show_and_export_as_given(make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT o.id, c.id, 3 AS id_2 FROM orders o JOIN customers c "
                             "ON c.id = o.customer_id ORDER BY o.id LIMIT 3")
        grid = app.query_one(ResultsGrid)
        assert [c.label.plain for c in grid.ordered_columns] == ["id", "id", "id_2"]
        await export(pilot, tmp_path / "dup.csv")
        await export(pilot, tmp_path / "dup.json", fmt="json")
    assert (tmp_path / "dup.csv").read_text().splitlines()[0] == "id,id,id_2"
    first = json.loads((tmp_path / "dup.json").read_text())[0]
    assert list(first) == ["id", "id_3", "id_2"] and first["id_2"] == 3


@pilot_test
async def test_the_elapsed_time_shows_at_80_columns(make_app, shop_db, frozen):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(10))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT * FROM orders")
        await pilot.press("f3")
        await settle(pilot)
        status = app.pane("sql").results.query_one("#result-status")
        line = status.render_line(0).text
        assert line.strip().startswith("Done in 12 ms: Showing 10 of 1,000 rows"), line


@pilot_test
async def test_a_declined_drop_clears_the_result_and_says_nothing_ran(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT nope FROM orders")
        assert "ERROR 1054" in body_text(app)
        app.pane("sql").editor.text = "DROP TABLE orders"
        await pilot.press("f5")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await settle(pilot)
        assert status_text(app).startswith("Not run")
        assert "ERROR 1054" not in body_text(app)
        assert "nothing ran and nothing changed" in body_text(app)
        await run_sql(pilot, "SELECT COUNT(*) FROM orders")
        assert app.query_one(ResultsGrid).get_cell_at(Coordinate(0, 0)) == SHOP["orders"]


@pilot_test
async def test_closing_the_console_stops_a_running_export(make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(50))
    backend = app.backend
    real = backend.export_query
    first_chunk = threading.Event()

    def held(sql, database):
        """The real re-run, held after its first chunk until the export is cancelled."""
        parts = real(sql, database)
        try:
            for part in parts:
                yield part
                if type(part).__name__ == "Rows" and not first_chunk.is_set():
                    first_chunk.set()
                    for _ in range(1000):
                        job = app.pane("sql").export_job
                        if job is None or job.cancelled:
                            break
                        threading.Event().wait(0.02)
        finally:
            parts.close()

    backend.export_query = held
    path = tmp_path / "big.json"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT o.id, p.sku FROM orders o, products p")
        await export(pilot, path, fmt="json", whole=True, wait=False)
        assert first_chunk.wait(20)
        await pilot.press("ctrl+q")
    for _ in range(500):  # the export's thread ends on its own once told
        if not list(tmp_path.glob("*.part")):
            break
        await asyncio.sleep(0.02)
    assert not path.exists() and not list(tmp_path.glob("*.part"))


# -- binary values: never written other than the database holds them (issue 14) -------------


@pilot_test
async def test_binary_values_are_the_databases_in_the_whole_result_and_as_displayed(
        make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(50))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "CREATE TABLE bb (id INT PRIMARY KEY, b VARBINARY(10))")
        await run_sql(pilot, "INSERT INTO bb VALUES (1, X'00FF27'), (2, NULL), (3, 'ab')")
        await run_sql(pilot, "SELECT * FROM bb ORDER BY id")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen", status_text(app)
        text = dialog_text(app.screen)  # the grid holds every row, yet the default re-runs
        assert "The file will hold the whole result" in text
        await pilot.press("escape")
        whole, shown = tmp_path / "whole.sql", tmp_path / "shown.sql"
        await export(pilot, whole, fmt="sql", whole=True, table="bb")
        assert "(the whole result, the database's values" in notes(app)[-1]
        await export(pilot, shown, fmt="sql", table="bb")
        assert "(every row, as displayed in the grid)" in notes(app)[-1]
        await run_sql(pilot, "INSERT INTO bb VALUES (4, '0x41')")  # text that reads as hex
        await run_sql(pilot, "SELECT * FROM bb ORDER BY id")
        refused = tmp_path / "refused.sql"
        await export(pilot, refused, fmt="sql", table="bb")
        assert "binary column b holds values whose text cannot be told from hex" in notes(
            app)[-1]
        await pilot.press("escape")
    for f in (whole, shown):
        body = f.read_text()
        assert "(1, X'00FF27')" in body and "(2, NULL)" in body, body
        assert "0x00ff27" not in body
    assert not refused.exists()


@pilot_test
async def test_a_statement_that_cannot_be_re_run_exports_as_displayed_and_says_so(
        make_app, shop_db, tmp_path):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(50))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SET @x = 1")
        await run_sql(pilot, "SELECT @x AS x, X'00FF' AS b")
        await pilot.press("ctrl+e")
        await pilot.pause()
        text = dialog_text(app.screen)
        assert "Not offered: the statement reads @variables" in text
        assert "The file will hold every row, as displayed" in text
        await pilot.press("escape")
        path = tmp_path / "v.sql"
        await export(pilot, path, fmt="sql")
        assert "(every row, as displayed in the grid)" in notes(app)[-1]
    assert "(1, X'00FF')" in path.read_text()


# -- the file written: never a device, a symlink followed, the user's .part kept ------------


@pilot_test
async def test_export_never_replaces_a_device_follows_a_symlink_and_keeps_a_part_file(
        make_app, shop_db, tmp_path):
    real = tmp_path / "real" / "target.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    users_part = tmp_path / "x.csv.part"
    users_part.write_text("mine\n")
    app = make_app(shop_db, initial_tab="sql", settings=_settings(50))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SELECT id FROM orders ORDER BY id LIMIT 3")
        await export(pilot, fifo)
        assert "1004" in notes(app)[-1] and "not a regular file" in notes(app)[-1]
        await pilot.press("escape")
        await pilot.press("ctrl+e")
        await pilot.pause()
        inp = app.screen.query_one("#export-path")
        inp.value = str(link)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # overwrite
        await wait_export(pilot)
        await export(pilot, tmp_path / "x.csv")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().splitlines() == ["id", "1", "2", "3"]
    assert fifo.is_fifo()
    assert users_part.read_text() == "mine\n"
    assert not list(tmp_path.rglob(".*.part"))
    from tui.export_file import ExportError, write_export

    try:
        write_export("/dev/null", "csv", ["a"], [[(1,)]])
    except ExportError as err:
        assert err.errno == 1004
    else:
        raise AssertionError("/dev/null was written")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


# -- the re-run reads under the console session's settings (issue 14) ------------------------


@pilot_test
async def test_the_whole_result_is_read_under_the_sessions_settings(make_app, shop_db,
                                                                     tmp_path):
    app = make_app(shop_db, initial_tab="sql", settings=_settings(5))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, "SET SESSION group_concat_max_len = 1000000")
        await run_sql(pilot, "SET cte_max_recursion_depth = 5000")
        await run_sql(pilot, "SELECT p.id, LENGTH(GROUP_CONCAT(o.id)) AS len FROM products p, "
                             "orders o GROUP BY p.id ORDER BY p.id")
        grid = app.pane("sql").results.table.column("len").to_pylist()
        assert int(grid[0]) > 1024
        concat = tmp_path / "concat.csv"
        await export(pilot, concat, whole=True)
        await run_sql(pilot, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                             "WHERE i < 3000) SELECT i FROM n")
        deep = tmp_path / "deep.csv"
        await export(pilot, deep, whole=True)
        assert "Exported 3,000 rows (the whole result" in notes(app)[-1], notes(app)[-1]
    lines = concat.read_text().splitlines()
    assert [line.split(",")[1] for line in lines[1:6]] == [str(v) for v in grid]
    assert len(deep.read_text().splitlines()) == 1 + 3000
