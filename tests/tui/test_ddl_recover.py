"""Bringing a dropped table back from the DDL Jobs tab, on real jobs: drop a table, select
the drop job, `r`, confirm, and query it in the SQL tab; `f` under a new name (the name is
checked before anything runs); the engine's refusal (1050, the name is taken) shown with its
code and nothing changed; a job that is not a drop refused in words; the Recovery tab's
tablespaces marked "dropped (job n), GC in N min" until the table is back; pictures of a
recoverable drop job and of the confirmation.

The database is built once per module: `test.orders` (1,000 rows, two secondary indexes)
dropped, `test.carts` truncated, an index added to `test.other`, with `tidb_gc_life_time` at
24h so that nothing is due while the tests run (at the real time: GC compares the drop's
time with the engine's clock).  The pictures freeze the times shown and the time left
(`ddl_words.FROZEN_TIME`, `ddl_recover.FROZEN_LEFT`).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time

import pytest

import core
from tests.tui.conftest import ENGINE_OPTIONS, settle
from tests.tui.test_console import pilot_test, run_sql
from tui.backend.base import DDLJobInfo, DroppedTable, TablespaceInfo
from tui.panes.ddl_screens import NewNameScreen, RecoverScreen
from tui.widgets import ddl_recover as words

SMALL, WIDE = (80, 24), (120, 40)
SIZES = pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "120x40"])
ROWS = 1_000
# jobs of the module's database: 1 create orders, 2 drop orders, 3 create carts,
# 4 truncate carts, 5 create other, 6 add index on other
DROP, TRUNCATE, ADD_INDEX = 2, 4, 6


def _build(path: str) -> None:
    conn = core.connect(path, create=True, database="test", autocommit=True, **ENGINE_OPTIONS)
    try:
        conn.execute("SET GLOBAL tidb_gc_life_time = '24h'")
        conn.execute("CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, customer INT, "
                     "total INT, KEY idx_customer (customer), KEY idx_total (total))")
        conn.cursor().executemany("INSERT INTO orders (customer, total) VALUES (%s, %s)",
                                  [(i % 50, i * 3) for i in range(1, ROWS + 1)])
        conn.execute("DROP TABLE orders")
        conn.execute("CREATE TABLE carts (customer INT PRIMARY KEY, items INT)")
        conn.cursor().executemany("INSERT INTO carts VALUES (%s, %s)",
                                  [(i, i % 7) for i in range(1, 101)])
        conn.execute("TRUNCATE TABLE carts")
        conn.execute("CREATE TABLE other (id INT PRIMARY KEY, v INT)")
        conn.execute("ALTER TABLE other ADD INDEX iv (v)")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("recover") / "db")
    _build(path)
    return path


@pytest.fixture
def dropped_db(_template, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(_template, tmp_path / "db", ignore=shutil.ignore_patterns("LOCK"))
    return "db"


@pytest.fixture
def frozen_drop(monkeypatch):
    from tui import text
    from tui.panes import ddl_jobs
    from tui.widgets import ddl_words

    monkeypatch.setattr(text, "FROZEN_SECONDS", "12 ms")
    monkeypatch.setattr(ddl_words, "FROZEN_TIME", "2026-01-01 10:00:00")
    monkeypatch.setattr(words, "FROZEN_LEFT", 492.0)  # 8 min 12 s
    monkeypatch.setattr(ddl_jobs, "SAFETY_NET", 3600.0)
    monkeypatch.setattr(ddl_jobs, "TICK", 3600.0)


async def _until(pilot, check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never: {what}")


async def _select(pilot, job_id: int) -> None:
    pane = pilot.app.pane("ddl")
    await _until(pilot, lambda: job_id in pane.shown, f"job {job_id} listed")
    pane.query_one("#jobs").move_cursor(row=pane.shown.index(job_id), animate=False)
    await pilot.pause()


def _box(app) -> str:
    return str(app.pane("ddl").query_one("#ddl-detail-text").render())


def _tables(app) -> list[str]:
    return app.pane("sql").editor.catalog.tables()


async def _count(pilot, table: str) -> int:
    app = pilot.app
    app.action_tab("sql")
    await pilot.pause()
    await run_sql(pilot, f"SELECT COUNT(*) FROM {table}")
    await pilot.press("f3")
    grid = app.query_one("ResultsGrid")
    return int(grid.get_cell_at(grid.cursor_coordinate))


# -- from the keys, on the real engine -----------------------------------------------------------


@pilot_test
async def test_drop_recover_and_query(make_app, dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        assert "orders" not in _tables(app)
        spaces = app.backend.database_info().tablespaces
        assert any(ts.dropped and ts.drop_job_id == DROP for ts in spaces)
        await _select(pilot, DROP)
        box = _box(app)
        assert re.search(r"Dropped test\.orders \(~[\d,]+ rows, 3 indexes\): recoverable for "
                         r"2[34] h \d\d min \(GC after .+\)\.", box), box
        assert "r recovers" in box and "f flashback to a new name" in box
        before = max(pane.shown)

        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RecoverScreen)
        said = app.screen.text()
        assert re.search(rf"RECOVER TABLE BY JOB {DROP} brings back test\.orders: ~[\d,]+ rows, "
                         r"3 indexes, as test\.orders\?", said), said
        await pilot.press("y")
        await _until(pilot, lambda: pane.outcome and pane.outcome[2], "recovered")
        await settle(pilot)
        assert "test.orders is back" in pane.outcome[1]
        assert re.search(r"brought back by job \d+ as test\.orders", _box(app)), _box(app)
        assert max(pane.shown) > before  # the recover job is listed
        assert "orders" in _tables(app)  # the SQL tab's completion knows it at once
        recovery = app.pane("recovery")
        assert not any(ts.dropped and ts.drop_job_id == DROP
                       for ts in recovery.info.tablespaces)
        assert await _count(pilot, "orders") == ROWS


@pilot_test
async def test_flashback_under_a_new_name_asks_for_a_name_first(make_app, dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _select(pilot, DROP)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, NewNameScreen)
        name = app.screen.query_one("Input")
        name.value = "   "
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewNameScreen)  # blank: not taken
        assert "must not be blank" in app.screen.problem()
        name.value = "orders_back"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecoverScreen)
        said = app.screen.text()
        assert "FLASHBACK TABLE test.orders TO orders_back brings back test.orders" in said
        assert "as test.orders_back?" in said
        await pilot.press("y")
        await _until(pilot, lambda: pane.outcome and pane.outcome[2], "flashed back")
        await settle(pilot)
        assert "orders_back" in _tables(app) and "orders" not in _tables(app)
        assert await _count(pilot, "orders_back") == ROWS


@pilot_test
async def test_the_truncated_rows_come_back_under_a_new_name(make_app, dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _select(pilot, TRUNCATE)
        assert "Truncated test.carts: its rows before the truncate" in _box(app)
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("Input").value = "carts_before"
        await pilot.press("enter")
        await pilot.pause()
        assert "brings back the rows of test.carts before the truncate" in app.screen.text()
        await pilot.press("y")
        await _until(pilot, lambda: pane.outcome and pane.outcome[2], "flashed back")
        await settle(pilot)
        assert await _count(pilot, "carts_before") == 100
        assert await _count(pilot, "carts") == 0  # the truncated table stays as it was


@pilot_test
async def test_a_dropped_database_comes_back_with_flashback_database(make_app, tmp_path):
    path = str(tmp_path / "schemas")
    conn = core.connect(path, create=True, autocommit=True, **ENGINE_OPTIONS)
    try:
        conn.execute("SET GLOBAL tidb_gc_life_time = '24h'")
        conn.execute("CREATE DATABASE archive")
        conn.execute("CREATE TABLE archive.a (id INT PRIMARY KEY, v INT, KEY iv (v))")
        conn.execute("CREATE TABLE archive.b (id INT PRIMARY KEY)")
        conn.cursor().executemany("INSERT INTO archive.a VALUES (%s, %s)",
                                  [(i, i) for i in range(1, 31)])
        conn.execute("DROP DATABASE archive")
        drop = conn.execute("SELECT MAX(JOB_ID) FROM information_schema.ddl_jobs").fetchone()[0]
    finally:
        conn.close()
    app = make_app(path, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _select(pilot, drop)
        assert re.search(r"Dropped database archive \(2 tables, ~\d+ rows\): recoverable for",
                         _box(app)), _box(app)
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("Input").value = "archive2"
        await pilot.press("enter")
        await pilot.pause()
        said = app.screen.text()
        assert "FLASHBACK DATABASE archive TO archive2 brings back database archive: 2 tables" \
            in said, said
        await pilot.press("y")
        await _until(pilot, lambda: pane.outcome and pane.outcome[0] == drop, "answered")
        await settle(pilot)
        assert pane.outcome[2], pane.outcome
        assert {"a", "b"} <= set(app.pane("sql").editor.catalog.schemas.get("archive2", {}))
        assert await _count(pilot, "archive2.a") == 30


@pilot_test
async def test_a_taken_name_is_the_engines_1050_and_changes_nothing(make_app, dropped_db):
    conn = core.connect(dropped_db, database="test", autocommit=True, **ENGINE_OPTIONS)
    try:
        conn.execute("CREATE TABLE orders (x INT PRIMARY KEY)")  # the name is taken again
    finally:
        conn.close()
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        jobs_before = list(pane.shown)
        await _select(pilot, DROP)
        await pilot.press("r")  # orders exists: r asks a new name; `other` is taken too
        await pilot.pause()
        assert isinstance(app.screen, NewNameScreen)
        assert "test.orders exists" in str(app.screen.query_one(".title").render())
        app.screen.query_one("Input").value = "other"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await _until(pilot, lambda: pane.outcome and pane.outcome[0] == DROP, "answered")
        await settle(pilot)
        ok, message = pane.outcome[2], pane.outcome[1]
        assert not ok
        assert "ERROR 1050 (42S01): Table 'other' already exists" in message, message
        assert "nothing changed" in message and "ERROR 1050" in _box(app)
        # nothing changed: no new job, the dropped table still waits to be brought back
        assert [j for j in pane.shown if j not in jobs_before] == []
        assert any(t.job_id == DROP and t.recoverable for t in app.backend.dropped_tables())
        assert "recoverable for" in _box(app)


@pilot_test
async def test_a_job_that_is_not_a_drop_is_refused_in_words(make_app, dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _select(pilot, ADD_INDEX)
        assert "r recovers" not in _box(app)
        for key in ("r", "f"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, (RecoverScreen, NewNameScreen))
            assert f"{key} refused: job {ADD_INDEX} is add index, not a drop" in pane.outcome[1]
        assert "not a drop" in _box(app)


@pilot_test
async def test_gc_due_then_collected_refuses_and_the_lists_follow_the_events(make_app,
                                                                             dropped_db):
    from core.clock import ManualClock

    clock = ManualClock()
    app = make_app(dropped_db, database="test", initial_tab="ddl",
                   engine_options={"clock": clock})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _select(pilot, DROP)
        clock.advance(24 * 3600 + 60)  # past the life time; no GC round yet
        await pilot.press("f5")
        await settle(pilot)
        assert "GC due: recover now" in _box(app), _box(app)
        # a GC round (the worker's, run now): GCRangeCollected re-reads the lists
        app.backend._conn._db.gc.run_once()
        await _until(pilot, lambda: "collected by GC at" in _box(app), "collected")
        assert "cannot be recovered" in _box(app)
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, RecoverScreen)
        assert re.search(rf"r refused: job {DROP} dropped test\.orders at [\d:]+; GC "
                         r"collected it at [\d: -]+: it cannot be recovered",
                         pane.outcome[1]), pane.outcome[1]
        await settle(pilot)
        recovery = app.pane("recovery")
        await _until(pilot, lambda: recovery.info is not None and not any(
            ts.drop_job_id == DROP for ts in recovery.info.tablespaces), "the file gone")


@pilot_test
async def test_the_recovery_tab_marks_the_dropped_tablespace(make_app, dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="recovery")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        table = app.pane("recovery").query_one("#tablespaces")
        cells = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert any(re.search(rf"test/orders\.kdb: dropped \(job {DROP}\), GC in 2[34] h \d\d min",
                             c) for c in cells), cells
        assert any(f"truncated (job {TRUNCATE})" in c for c in cells), cells
        assert not any("other" in c and "dropped" in c for c in cells)


@pilot_test
async def test_the_help_screen_and_the_footer_show_r_and_f(make_app, dropped_db):
    from tui.screens import HelpScreen

    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        keys = {b.key for b in app.pane("ddl").BINDINGS}
        assert {"r", "f"} <= {k for key in keys for k in key.split(",")}
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        lines = {k: h for heading, k, h in app.screen.lines if heading == "DDL Jobs tab"}
        assert "RECOVER TABLE BY JOB" in lines["r"] and "FLASHBACK TABLE" in lines["f"]
        assert "F5" in lines


def test_the_backend_lists_dropped_tables_and_recovers(dropped_db):
    from tui.backend import EmbeddedBackend
    from tui.backend.base import BackendError

    backend = EmbeddedBackend(dropped_db, database="test", recover_in_child=False,
                              **ENGINE_OPTIONS)
    backend.open(lambda e: None)
    try:
        assert backend.IMPLEMENTS_RECOVER_TABLE
        dropped = {t.job_id: t for t in backend.dropped_tables()}
        orders = dropped[DROP]
        assert (orders.job_type, orders.name, orders.state, orders.indexes) == \
            ("drop table", "test.orders", "recoverable", 3)  # PRIMARY included
        assert orders.seconds_left > 23 * 3600 and isinstance(orders.gc_after, dt.datetime)
        with pytest.raises(BackendError) as bad:
            backend.recover_table(99)
        assert bad.value.errno == 8224 and "DDL Job:99 not found" in bad.value.msg
        with pytest.raises(BackendError) as bad:
            backend.recover_table(ADD_INDEX)
        assert bad.value.errno != 0  # not a drop: the engine's own refusal
        assert backend.recover_table(DROP, "orders2") == f"RECOVER TABLE BY JOB {DROP} TO `orders2`"
        assert DROP not in {t.job_id for t in backend.dropped_tables()
                            if t.recoverable}
        with pytest.raises(BackendError) as bad:
            backend.recover_table(DROP)  # brought back already
        assert bad.value.errno != 0
    finally:
        backend.close()


# -- pictures ----------------------------------------------------------------------------------


def _before(*keys: str, job: int):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pane = pilot.app.pane("ddl")
        pane.query_one("#jobs").move_cursor(row=pane.shown.index(job), animate=False)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@SIZES
def test_picture_a_recoverable_drop_job(snap_compare, make_app, dropped_db, frozen_drop, size):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=size, run_before=_before(job=DROP))


@SIZES
def test_picture_the_recover_confirmation(snap_compare, make_app, dropped_db, frozen_drop,
                                          size):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=size, run_before=_before("r", job=DROP))


def test_picture_the_new_name(snap_compare, make_app, dropped_db, frozen_drop):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=SMALL, run_before=_before("f", job=DROP))


# -- the words, without a screen ---------------------------------------------------------------


def _job(job_id: int, job_type: str, state: str = "synced", **kw) -> DDLJobInfo:
    return DDLJobInfo(job_id, kw.pop("db_name", "test"), kw.pop("table_name", "orders"),
                      job_type, "none", state, **kw)


def _dropped(job_id: int = 12, job_type: str = "drop table", left: int = 492, **kw):
    gc_after = dt.datetime.now().replace(microsecond=0) + dt.timedelta(seconds=left)
    base = dict(table_id=40, dropped_at=None, gc_after=gc_after, seconds_left=left,
                state="recoverable", table_rows=1_000, indexes=2, read_at=100.0)
    return DroppedTable(job_id, job_type, kw.pop("schema", "test"), kw.pop("table", "orders"),
                        **{**base, **kw})


def test_the_drop_line_counts_down_and_says_when_gc_is_due():
    job, tables = _job(12, "drop table"), [_dropped()]
    st = words.status(job, tables, now=100.0)
    assert st.kind == words.RECOVERABLE and st.offered
    gc_after = tables[0].gc_after.strftime("%H:%M:%S")
    assert st.line == ("Dropped test.orders (~1,000 rows, 2 indexes): recoverable for "
                       f"8 min 12 s (GC after {gc_after}).")
    assert words.status(job, tables, now=160.0).line.count("recoverable for 7 min 12 s") == 1
    due = words.status(job, tables, now=600.0)
    assert due.kind == words.DUE and due.offered and "GC due: recover now" in due.line
    assert words.left_words(45) == "45 s" and words.left_words(3_900) == "1 h 05 min"


def test_collected_other_jobs_and_unfinished_drops_refuse_with_the_reason():
    gone = words.status(_job(12, "drop table"), [_dropped(
        state="collected", done_at=dt.datetime(2026, 1, 1, 10, 58, 3))])
    assert gone.kind == words.GONE and not gone.offered
    assert gone.line == ("Dropped test.orders: collected by GC at 2026-01-01 10:58:03: "
                         "cannot be recovered.")
    expired = words.status(_job(12, "drop table"), [_dropped(state="expired", left=0)])
    assert expired.kind == words.GONE and not expired.offered
    assert "past the GC safe point" in expired.line and "ERROR 8055" in expired.why
    other = words.status(_job(7, "add index"), [])
    assert other.why.startswith("job 7 is add index, not a drop")
    assert not other.offered and other.line == ""
    assert "did not finish" in words.status(_job(8, "drop table", "cancelled"), []).why
    kept = words.status(_job(9, "drop table"), [])
    assert not kept.offered and "nothing job 9 dropped is kept" in kept.why
    back = _job(14, "recover table", query="RECOVER TABLE BY JOB 9 TO orders2",
                table_name="orders2")
    assert words.recovered_by(_job(9, "drop table"), [back]) == back
    assert words.recovered_by(_job(8, "drop table"), [back]) is None
    flash = _job(15, "recover table", query="FLASHBACK TABLE `test`.`orders` TO `o3`",
                 table_name="o3")
    assert words.recovered_by(_job(8, "drop table"), [flash]) == flash
    said = words.status(_job(9, "drop table"), [], back=back)
    assert said.line == "Dropped test.orders: brought back by job 14 as test.orders2."
    assert not said.offered and "brought back already, by job 14" in said.why
    empty_schema = words.status(_job(10, "drop schema", db_name="old", table_name=""), [])
    assert empty_schema.offered and "held no table" in empty_schema.line


def test_the_statements_and_what_they_bring_back():
    drop = _job(12, "drop table")
    plan = words.recovery("recover", drop, [_dropped()])
    assert (plan.sql, plan.method, plan.args) == ("RECOVER TABLE BY JOB 12", "recover_table",
                                                  (12, None))
    assert plan.question == ("RECOVER TABLE BY JOB 12 brings back test.orders: ~1,000 rows, "
                             "2 indexes, as test.orders")
    plan = words.recovery("flashback", drop, [_dropped()], "orders_back", latest=True)
    assert plan.sql == "FLASHBACK TABLE test.orders TO orders_back"
    assert plan.args == ("test", "orders", "orders_back") and plan.back_as == "test.orders_back"
    older = words.recovery("flashback", drop, [_dropped()], "orders_back", latest=False)
    assert older.sql == "RECOVER TABLE BY JOB 12 TO orders_back"  # not the latest drop
    assert not words.latest_drop(drop, [drop, _job(15, "drop table")])
    assert words.latest_drop(drop, [drop, _job(15, "drop table", table_name="x")])
    schema = _job(20, "drop schema", db_name="shop2", table_name="")
    tables = [_dropped(20, "drop schema", schema="shop2", table=t) for t in ("a", "b")]
    plan = words.recovery("recover", schema, tables)
    assert plan.sql == "FLASHBACK DATABASE shop2" and plan.method == "flashback_database"
    assert plan.question == ("FLASHBACK DATABASE shop2 brings back database shop2: 2 tables, "
                             "~2,000 rows, as database shop2")
    assert words.recovery("flashback", schema, tables, "shop3").sql == \
        "FLASHBACK DATABASE shop2 TO shop3"
    truncate = words.recovery("recover", _job(4, "truncate table"), [_dropped(4)])
    assert "brings back the rows of test.orders before the truncate" in truncate.question
    assert any("ERROR 1050" in c and "f brings" in c for c in truncate.consequences())


def test_a_new_name_must_be_one_name():
    assert "must not be blank" in words.name_problem("  ")
    assert words.name_problem("a b") and words.name_problem("x.y") and \
        words.name_problem("a`b") and words.name_problem("n" * 65)
    assert words.name_problem(" orders_back ") == ""


def test_a_dropped_tables_row_by_column_name():
    names = ["JOB_ID", "JOB_TYPE", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_ID", "DROPPED_AT",
             "GC_AFTER", "SECONDS_LEFT", "STATE", "DONE_AT", "TABLE_ROWS", "INDEXES"]
    at = dt.datetime(2026, 1, 1, 10, 0, 0)
    row = (12, "drop table", "test", "orders", 40, at, at, 492, "recoverable", None, 1000, 2)
    t = DroppedTable.of_row(names, row, read_at=5.0)
    assert (t.job_id, t.name, t.indexes, t.left(6.5)) == (12, "test.orders", 2, 490.5)
    t = DroppedTable.of_row(names, row[:-1] + ("idx_a,idx_b,idx_c",))
    assert t.indexes == 3


def test_the_recovery_tabs_mark_of_a_dropped_tablespace():
    from tui.panes.recovery import dropped_words, space_cell

    live = TablespaceInfo(3, "test.orders", "/db/test/orders.kdb", 10)
    assert dropped_words(live) == "" and space_cell(live) == "/db/test/orders.kdb"
    gone = TablespaceInfo(3, "test.orders", "/db/test/orders.kdb", 10, 1_000.0, 1_600.0, 12,
                          "drop table")
    assert dropped_words(gone, now=1_000.0) == "dropped (job 12), GC in 10 min"
    assert dropped_words(gone, now=1_590.0) == "dropped (job 12), GC in 10 s"
    assert dropped_words(gone, now=1_700.0) == "dropped (job 12), GC due"
    assert space_cell(gone, now=1_100.0) == "/db/test/orders.kdb: dropped (job 12), GC in 9 min"
    old = TablespaceInfo(4, "test.t", "/db/test/t.kdb", 10, 0.0, 90_000.0, 7, "modify column")
    assert dropped_words(old, now=0.0) == "replaced (job 7, modify column), GC in 25 h 00 min"


# -- a taken name, quoted names, a database's words (the new user's findings) -------------------


@pilot_test
async def test_r_on_a_truncate_whose_table_exists_asks_a_new_name_and_quotes_it(make_app,
                                                                               dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _until(pilot, lambda: "recoverable" in str(
            pane.query_one("#jobs-summary").render()), "summary")
        summary = str(pane.query_one("#jobs-summary").render())
        assert f"(job {DROP}: r; job {TRUNCATE}: f, its name is taken)" in summary, summary
        await _select(pilot, TRUNCATE)
        assert "name is taken" in _box(app)
        await pilot.press("r")  # test.carts exists: no "Bring it back" that answers 1050
        await pilot.pause()
        assert isinstance(app.screen, NewNameScreen)
        assert "test.carts exists: bring it back under a new name" in \
            str(app.screen.query_one(".title").render())
        app.screen.query_one("Input").value = "carts-old"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecoverScreen)
        said = app.screen.text()
        assert "FLASHBACK TABLE test.carts TO `carts-old`" in said, said
        await pilot.press("y")
        await _until(pilot, lambda: pane.outcome and pane.outcome[0] == TRUNCATE, "answered")
        assert pane.outcome[2], pane.outcome
        await settle(pilot)
        assert await _count(pilot, "`carts-old`") == 100


@pilot_test
async def test_refused_jobs_have_no_r_f_in_the_footer_and_f_says_flashback(make_app,
                                                                            dropped_db):
    app = make_app(dropped_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        await _select(pilot, DROP)
        assert pane.check_action("footer_key", ("recover",))
        await _select(pilot, ADD_INDEX)
        assert not pane.check_action("footer_key", ("recover",))
        titles = []
        app.notify = lambda message, **kw: titles.append(kw.get("title"))
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert titles == ["Flashback to", "Recover"], titles


def test_names_are_quoted_as_they_run_and_a_database_is_worded_as_one():
    assert words.ident("carts_old") == "carts_old" and words.ident("c$1") == "c$1"
    assert words.ident("carts-old") == "`carts-old`" and words.ident("1x") == "`1x`"
    assert words.ident("select") == "`select`" and words.ident("a`b") == "`a``b`"
    drop = _job(12, "drop table")
    assert words.recovery("flashback", drop, [_dropped()], "o-1", latest=False).sql == \
        "RECOVER TABLE BY JOB 12 TO `o-1`"
    schema = _job(20, "drop schema", db_name="shop2", table_name="")
    plan = words.recovery("flashback", schema, [_dropped(20, "drop schema", schema="shop2")],
                          "shop 3")
    assert plan.sql == "FLASHBACK DATABASE shop2 TO `shop 3`"
    said = " ".join(plan.consequences())
    assert "ERROR 1007" in said and "1050" not in said and "view" in said
    assert "knows the table " not in said and "database and its tables" in said


def test_a_recovered_then_dropped_again_job_and_a_collected_one_say_so():
    back = _job(15, "recover table", query="RECOVER TABLE BY JOB 9", table_name="orders")
    again = _job(16, "drop table")
    jobs = [_job(9, "drop table"), back, again]
    assert words.dropped_again(back, jobs) == again
    st = words.status(_job(9, "drop table"), [], back=back, again=again)
    assert st.why == ("test.orders was brought back by job 15, then dropped again by job 16: "
                      "recover that job instead")
    assert words.dropped_again(back, jobs[:2]) is None
    gone = words.status(_job(7, "drop table"), [_dropped(
        7, state="collected", dropped_at=dt.datetime(2026, 1, 1, 10, 55, 0),
        done_at=dt.datetime(2026, 1, 1, 11, 5, 30))])
    assert gone.why == ("job 7 dropped test.orders at 2026-01-01 10:55:00; GC collected it "
                        "at 2026-01-01 11:05:30: it cannot be recovered")


def test_the_summary_names_the_key_of_each_recoverable_job():
    from tui.panes.ddl_jobs import recoverable_keys

    a, b = _job(11, "truncate table", table_name="carts"), _job(9, "drop table")
    assert recoverable_keys([a, b], lambda j: False) == "jobs 11, 9: r"
    assert recoverable_keys([a, b], lambda j: j.job_id == 11) == \
        "job 9: r; job 11: f, its name is taken"


@pilot_test
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_every_tablespace_is_within_reach_of_the_keyboard(make_app, dropped_db, size):
    conn = core.connect(dropped_db, database="test", autocommit=True, **ENGINE_OPTIONS)
    try:
        for i in range(30):
            conn.execute(f"CREATE TABLE t{i:02d} (id INT PRIMARY KEY)")
    finally:
        conn.close()
    app = make_app(dropped_db, database="test", initial_tab="recovery")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        pane = app.pane("recovery")
        if pane.narrow:
            await pilot.press("l")  # the lists instead of the log
            await pilot.pause()
        table = pane.query_one("#tablespaces")
        assert table.row_count > 30
        shown = table.size.height - 1
        assert shown >= 7 and (size[1] < 48 or shown > 20), shown  # the room the pane has
        for _ in range(6):  # Tab reaches the list
            if app.focused is table:
                break
            await pilot.press("tab")
            await pilot.pause()
        assert app.focused is table
        assert table.scroll_y == 0
        for _ in range(40):  # the arrows scroll it to the last one
            await pilot.press("down")
        await pilot.pause(0.5)
        assert table.scroll_y == table.max_scroll_y  # the last one in view
        assert table.max_scroll_y > 0 or shown >= table.row_count
        assert pane.query_one("#recovery-side").region.contains_region(table.region)


def test_completion_inserts_a_name_that_needs_them_in_backquotes():
    from tui.backend.base import Catalog
    from tui.widgets.editor import SqlEditor

    editor = SqlEditor()
    editor.catalog = Catalog({"test": {"carts-old": ["id"], "carts": ["id", "date"]}})
    assert [v for (_l, kind), v in editor._complete_word("cart") if kind == "table"] == \
        ["carts", "`carts-old`"]
    assert [v for _l, v in editor._complete_member("test.carts-")] == ["test.`carts-old`"]
    assert [v for _l, v in editor._complete_member("carts.da")] == ["carts.date"]
