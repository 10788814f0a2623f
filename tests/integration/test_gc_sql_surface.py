"""What GC shows in SQL and how it is set: TiDB's `mysql.gc_delete_range[_done]` and
`mysql.tidb`, the GC variables kept in system.kdb (SET GLOBAL survives a reopen), and
information_schema.KINTSUGI_DROPPED_TABLES on the engine's clock."""

from __future__ import annotations

import datetime as dt

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.txn import begin


@pytest.fixture
def clock():
    return ManualClock(frozen=True)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "db")


@pytest.fixture
def db(path, clock):
    c = core.connect(path, create=True, autocommit=True, clock=clock)
    c.execute("CREATE DATABASE shop")
    c.execute("USE shop")
    yield c
    c.close()


def q(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def err(conn, sql):
    with pytest.raises(core.Error) as info:
        q(conn, sql)
    return info.value


def _job(conn, kind: str) -> int:
    return max(r[0] for r in q(conn, "ADMIN SHOW DDL JOBS 50") if r[3] == kind)


def _engine(conn):
    return conn._db.engine


def _collect(conn, table_id: int, when: float) -> None:
    """What the GC worker does to a collected range (helper G's worker, by hand)."""
    with _engine(conn).snapshot() as view:
        rng = gcranges.pending_table(view, table_id)
    with begin(_engine(conn)) as txn:
        gcranges.mark_done(txn, rng, when)


def _safe_point(conn, point: float, run_at: float) -> None:
    with begin(_engine(conn)) as txn:
        gcranges.put_safe_point(txn, point, run_at, 600.0)


# -- mysql.gc_delete_range, mysql.gc_delete_range_done -------------------------------------


def test_a_drop_is_a_row_of_gc_delete_range_with_tidbs_columns(db, clock):
    q(db, "CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY (b))")
    q(db, "INSERT INTO t VALUES (1, 2)")
    tid = q(db, "SELECT TIDB_TABLE_ID FROM information_schema.TABLES WHERE TABLE_NAME = 't'")
    tid = tid[0][0]
    q(db, "DROP TABLE t")
    cur = db.cursor()
    cur.execute("SELECT * FROM mysql.gc_delete_range")
    assert [d[0] for d in cur.description] == ["job_id", "element_id", "start_key", "end_key",
                                               "ts"]
    ((job, element, start, end, ts),) = cur.fetchall()
    assert job == _job(db, "drop table") and element == tid
    assert start == (b"t" + (tid ^ (1 << 63)).to_bytes(8, "big")).hex()
    assert end > start
    # a TSO: physical milliseconds << 18, from the engine's clock
    assert ts >> 18 == round(clock.now() * 1000) and ts & ((1 << 18) - 1) == 0
    assert q(db, "SELECT * FROM mysql.gc_delete_range_done") == []


def test_a_collected_range_moves_to_gc_delete_range_done(db, clock):
    q(db, "CREATE TABLE t (a INT PRIMARY KEY)")
    tid = q(db, "SELECT TIDB_TABLE_ID FROM information_schema.TABLES WHERE TABLE_NAME='t'")[0][0]
    q(db, "DROP TABLE t")
    before = q(db, "SELECT job_id, element_id, ts FROM mysql.gc_delete_range")
    _collect(db, tid, clock.now() + 700)
    assert q(db, "SELECT job_id, element_id, ts FROM mysql.gc_delete_range") == []
    assert q(db, "SELECT job_id, element_id, ts FROM mysql.gc_delete_range_done") == before


def test_drop_index_and_drop_database_ranges_are_listed(db):
    q(db, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q(db, "CREATE TABLE u (a INT PRIMARY KEY)")
    q(db, "DROP DATABASE shop")
    rows = q(db, "SELECT job_id, element_id FROM mysql.gc_delete_range ORDER BY element_id")
    job = _job(db, "drop schema")
    assert [r[0] for r in rows] == [job, job] and len({r[1] for r in rows}) == 2


# -- mysql.tidb ------------------------------------------------------------------------


def test_mysql_tidb_has_tidbs_gc_rows(db, clock):
    rows = q(db, "SELECT * FROM mysql.tidb")
    assert rows[:3] == [
        ("tikv_gc_enable", "true", "Current GC enable status"),
        ("tikv_gc_run_interval", "10m0s", "GC run interval, at least 10m, in Go format."),
        ("tikv_gc_life_time", "10m0s", "All versions within life time will not be collected "
                                       "by GC, at least 10m, in Go format.")]
    # the GC worker's first round at open stored a safe point: the last two rows exist
    assert [r[0] for r in rows[3:]] == ["tikv_gc_last_run_time", "tikv_gc_safe_point"]
    now = clock.now()
    _safe_point(db, now - 600, now)
    got = dict(q(db, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM mysql.tidb WHERE "
                     "VARIABLE_NAME LIKE 'tikv_gc_%t%'"))
    assert got["tikv_gc_safe_point"] == gcranges.tidb_time(now - 600)
    assert got["tikv_gc_last_run_time"] == gcranges.tidb_time(now)
    # TiDB's format: 20060102-15:04:05.000 -0700
    dt.datetime.strptime(got["tikv_gc_safe_point"], "%Y%m%d-%H:%M:%S.%f %z")
    comment = q(db, "SELECT COMMENT FROM mysql.tidb WHERE VARIABLE_NAME = "
                    "'tikv_gc_safe_point'")
    assert comment == [("All versions after safe point can be accessed. (DO NOT EDIT)",)]


def test_the_mysql_schema_is_listed_and_usable(db):
    assert ("mysql",) in q(db, "SHOW DATABASES")
    assert q(db, "SHOW TABLES FROM mysql") == [("gc_delete_range",), ("gc_delete_range_done",),
                                               ("tidb",)]
    assert q(db, "SHOW FULL TABLES FROM mysql LIKE 'tidb'") == [("tidb", "SYSTEM VIEW")]
    q(db, "USE mysql")
    assert q(db, "SELECT COUNT(*) FROM tidb") == [(5,)]  # 3 settings, the last round's 2
    q(db, "USE shop")
    # joins and WHERE work: it is an ordinary row source
    assert q(db, "SELECT t.VARIABLE_VALUE FROM mysql.tidb t JOIN mysql.tidb u ON "
                 "t.VARIABLE_NAME = u.VARIABLE_NAME WHERE t.VARIABLE_NAME = "
                 "'tikv_gc_life_time'") == [("10m0s",)]


def test_writes_to_the_mysql_tables_are_refused_clearly(db):
    for sql in ("INSERT INTO mysql.tidb VALUES ('tikv_gc_life_time', '24h', '')",
                "UPDATE mysql.tidb SET VARIABLE_VALUE = '24h'",
                "DELETE FROM mysql.gc_delete_range",
                "REPLACE INTO mysql.gc_delete_range_done VALUES (1, 1, '', '', 0)"):
        e = err(db, sql)
        assert e.errno == 1235, sql
        assert "read-only view of system.kdb" in e.msg
    assert "SET GLOBAL tidb_gc_life_time" in err(db, "UPDATE mysql.tidb SET COMMENT=''").msg
    assert err(db, "SELECT * FROM mysql.user").errno == 1146
    assert err(db, "INSERT INTO mysql.user VALUES (1)").errno == 1146
    assert q(db, "SELECT COUNT(*) FROM mysql.tidb") == [(5,)]  # unchanged


# -- the GC variables ------------------------------------------------------------------


def test_set_global_gc_life_time_persists_across_a_reopen(path, clock):
    c = core.connect(path, create=True, autocommit=True, clock=clock)
    try:
        assert q(c, "SELECT @@tidb_gc_life_time, @@global.tidb_gc_life_time") == [
            ("10m0s", "10m0s")]
        q(c, "SET GLOBAL tidb_gc_life_time = '24h'")
        q(c, "SET @@global.tidb_gc_run_interval = '1h30m'")
        q(c, "SET GLOBAL tidb_gc_enable = OFF")
        assert q(c, "SELECT @@tidb_gc_life_time, @@tidb_gc_run_interval, @@tidb_gc_enable") \
            == [("24h0m0s", "1h30m0s", "OFF")]
    finally:
        c.close()
    c = core.connect(path, autocommit=True, clock=clock)
    try:
        assert q(c, "SELECT @@global.tidb_gc_life_time, @@tidb_gc_run_interval, "
                    "@@tidb_gc_enable") == [("24h0m0s", "1h30m0s", "OFF")]
        assert q(c, "SHOW GLOBAL VARIABLES LIKE 'tidb_gc%'") == [
            ("tidb_gc_enable", "OFF"), ("tidb_gc_life_time", "24h0m0s"),
            ("tidb_gc_run_interval", "1h30m0s")]
        assert q(c, "SHOW VARIABLES WHERE Variable_name = 'tidb_gc_life_time'") == [
            ("tidb_gc_life_time", "24h0m0s")]
        got = dict((r[0], r[1]) for r in q(c, "SELECT * FROM mysql.tidb"))
        assert {k: got[k] for k in ("tikv_gc_enable", "tikv_gc_run_interval",
                                    "tikv_gc_life_time")} == {
            "tikv_gc_enable": "false", "tikv_gc_run_interval": "1h30m0s",
            "tikv_gc_life_time": "24h0m0s"}
        with c._db.engine.snapshot() as view:  # what the GC worker reads
            assert gcranges.life_time(view) == 86400.0
            assert gcranges.global_variable(view, "tidb_gc_enable") == "OFF"
    finally:
        c.close()


def test_gc_durations_follow_tidbs_range_and_errors(db):
    q(db, "SET GLOBAL tidb_gc_life_time = '1m'")  # below 10m0s: clamped, warning 1292
    assert q(db, "SHOW WARNINGS") == [
        ("Warning", 1292, "Truncated incorrect tidb_gc_life_time value: '1m'")]
    assert q(db, "SELECT @@tidb_gc_life_time") == [("10m0s",)]
    q(db, "SET GLOBAL tidb_gc_life_time = '9000h'")  # above 8760h0m0s
    assert q(db, "SELECT @@tidb_gc_life_time") == [("8760h0m0s",)]
    q(db, "SET GLOBAL tidb_gc_run_interval = '0'")
    assert q(db, "SELECT @@tidb_gc_run_interval") == [("10m0s",)]
    q(db, "SET GLOBAL tidb_gc_life_time = '90m'")
    assert q(db, "SHOW WARNINGS") == []
    assert q(db, "SELECT @@tidb_gc_life_time") == [("1h30m0s",)]
    for bad in ("'abc'", "600", "'10 minutes'", "NULL"):  # not a Go duration: 1232
        e = err(db, f"SET GLOBAL tidb_gc_life_time = {bad}")
        assert (e.errno, e.msg) == (1232, "Incorrect argument type to variable "
                                          "'tidb_gc_life_time'"), bad
    e = err(db, "SET GLOBAL tidb_gc_enable = 'maybe'")
    assert (e.errno, e.msg) == (1231, "Variable 'tidb_gc_enable' can't be set to the value "
                                      "of 'maybe'")
    for sql in ("SET tidb_gc_life_time = '1h'", "SET SESSION tidb_gc_enable = ON",
                "SET @@tidb_gc_run_interval = '1h'", "SET @@session.tidb_gc_life_time = '1h'"):
        e = err(db, sql)
        assert e.errno == 1229 and "is a GLOBAL variable and should be set with SET GLOBAL" \
            in e.msg, sql
    assert q(db, "SELECT @@tidb_gc_life_time, @@tidb_gc_enable") == [("1h30m0s", "ON")]
    q(db, "SET GLOBAL tidb_gc_enable = 0")
    assert q(db, "SELECT @@tidb_gc_enable") == [("OFF",)]
    q(db, "SET GLOBAL tidb_gc_enable = 'true'")
    assert q(db, "SELECT @@tidb_gc_enable") == [("ON",)]


def test_a_failed_set_changes_nothing(path, clock):
    c = core.connect(path, create=True, autocommit=True, clock=clock)
    try:
        e = err(c, "SET GLOBAL tidb_gc_life_time = '24h', GLOBAL tidb_gc_enable = 'x'")
        assert e.errno == 1231
        assert q(c, "SELECT @@tidb_gc_life_time") == [("10m0s",)]
        e = err(c, "SET GLOBAL tidb_ddl_reorg_batch_size = 100, GLOBAL tidb_gc_life_time = 'x'")
        assert e.errno == 1232
        assert q(c, "SELECT @@tidb_ddl_reorg_batch_size") == [(256,)]
        assert "tidb_ddl_reorg_batch_size" not in c._db.global_limits
        # a transaction that has written holds the writer lock: refused, nothing written
        q(c, "CREATE TABLE t (a INT)")
        q(c, "BEGIN")
        q(c, "INSERT INTO t VALUES (1)")
        e = err(c, "SET GLOBAL tidb_gc_life_time = '1h'")
        assert e.errno == 1235 and "COMMIT or ROLLBACK first" in e.msg
        q(c, "ROLLBACK")
        q(c, "BEGIN")  # one that has only read: the SET is its own write, kept at ROLLBACK
        q(c, "SELECT * FROM t")
        q(c, "SET GLOBAL tidb_gc_life_time = '1h'")
        q(c, "ROLLBACK")
        assert q(c, "SELECT @@tidb_gc_life_time") == [("1h0m0s",)]
    finally:
        c.close()
    c = core.connect(path, autocommit=True, clock=clock)
    try:
        assert q(c, "SELECT @@tidb_gc_life_time, @@tidb_gc_enable") == [("1h0m0s", "ON")]
    finally:
        c.close()


def test_another_connection_sees_a_set_global_at_its_next_statement(path, clock):
    a = core.connect(path, create=True, autocommit=True, clock=clock)
    b = core.connect(path, autocommit=True, clock=clock)
    try:
        assert q(b, "SELECT @@tidb_gc_life_time") == [("10m0s",)]
        q(a, "SET GLOBAL tidb_gc_life_time = '2h', GLOBAL kintsugi_ddl_reorg_delay_ms = 7")
        assert q(b, "SELECT @@tidb_gc_life_time, @@kintsugi_ddl_reorg_delay_ms") == [
            ("2h0m0s", 7)]
    finally:
        b.close()
        a.close()


def test_set_global_default(path, clock):
    c = core.connect(path, create=True, autocommit=True, clock=clock)
    try:
        q(c, "SET GLOBAL tidb_gc_life_time = '24h'")
        q(c, "SET GLOBAL tidb_gc_enable = OFF")
        q(c, "SET GLOBAL tidb_gc_life_time = DEFAULT, tidb_gc_enable = DEFAULT")
        assert q(c, "SELECT @@tidb_gc_life_time, @@tidb_gc_enable") == [("10m0s", "ON")]
        q(c, "SET GLOBAL tidb_ddl_reorg_batch_size = 1000")
        q(c, "SET @@global.kintsugi_ddl_reorg_delay_ms = 5")
        q(c, "SET GLOBAL tidb_ddl_reorg_batch_size = DEFAULT")  # was ERROR 1054
        assert q(c, "SELECT @@tidb_ddl_reorg_batch_size") == [(256,)]
        assert "tidb_ddl_reorg_batch_size" not in c._db.global_limits  # the worker's own
    finally:
        c.close()
    c = core.connect(path, autocommit=True, clock=clock)
    try:
        assert q(c, "SELECT @@tidb_gc_life_time, @@tidb_gc_enable, "
                    "@@tidb_ddl_reorg_batch_size, @@kintsugi_ddl_reorg_delay_ms") == [
            ("10m0s", "ON", 256, 5)]
        assert c._db.global_limits.get("kintsugi_ddl_reorg_delay_ms") == 5
        assert "tidb_ddl_reorg_batch_size" not in c._db.global_limits
        q(c, "SET GLOBAL kintsugi_ddl_reorg_delay_ms = DEFAULT")
        assert "kintsugi_ddl_reorg_delay_ms" not in c._db.global_limits
    finally:
        c.close()


def test_the_reorg_throttles_survive_a_reopen(path):
    c = core.connect(path, create=True, autocommit=True)
    try:
        q(c, "SET GLOBAL tidb_ddl_reorg_batch_size = 1000")
        q(c, "SET GLOBAL kintsugi_ddl_reorg_delay_ms = 99999")  # clamped to 60000, 1292
        assert q(c, "SHOW WARNINGS")[0][1] == 1292
        assert err(c, "SET tidb_ddl_reorg_batch_size = 64").errno == 1229
    finally:
        c.close()
    c = core.connect(path, autocommit=True)
    try:
        assert q(c, "SELECT @@tidb_ddl_reorg_batch_size, @@kintsugi_ddl_reorg_delay_ms") == [
            (1000, 60000)]
        assert c._db.global_limits["tidb_ddl_reorg_batch_size"] == 1000  # the worker reads it
        assert c._db.global_limits["kintsugi_ddl_reorg_delay_ms"] == 60000
        assert q(c, "SHOW GLOBAL VARIABLES LIKE 'tidb_ddl_reorg_batch_size'") == [
            ("tidb_ddl_reorg_batch_size", "1000")]
        q(c, "SET GLOBAL kintsugi_ddl_reorg_delay_ms = 0")
    finally:
        c.close()


def test_show_variables_lists_session_values(db):
    q(db, "SET SESSION max_execution_time = 1234")
    assert q(db, "SHOW VARIABLES LIKE 'max_execution_time'") == [
        ("max_execution_time", "1234")]
    assert q(db, "SHOW GLOBAL VARIABLES LIKE 'max_execution_time'") == [
        ("max_execution_time", "0")]
    assert q(db, "SHOW VARIABLES LIKE 'autocommit'") == [("autocommit", "ON")]
    assert q(db, "SHOW VARIABLES LIKE 'no_such_thing'") == []


# -- information_schema.KINTSUGI_DROPPED_TABLES ----------------------------------------

COLUMNS = ["JOB_ID", "JOB_TYPE", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_ID", "DROPPED_AT",
           "GC_AFTER", "SECONDS_LEFT", "STATE", "DONE_AT", "TABLE_ROWS", "INDEXES"]


def _dropped(conn) -> list[dict]:
    cur = conn.cursor()
    cur.execute("SELECT * FROM information_schema.KINTSUGI_DROPPED_TABLES")
    names = [d[0] for d in cur.description]
    assert names == COLUMNS
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_dropped_tables_count_down_on_the_engines_clock(db, clock):
    q(db, "CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY kb (b), UNIQUE KEY ub (b, a))")
    q(db, "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)")
    tid = q(db, "SELECT TIDB_TABLE_ID FROM information_schema.TABLES WHERE TABLE_NAME='t'")[0][0]
    dropped_at = clock.now()
    q(db, "DROP TABLE t")
    assert q(db, "SHOW TABLES") == []
    (row,) = _dropped(db)
    assert row["JOB_ID"] == _job(db, "drop table") and row["JOB_TYPE"] == "drop table"
    assert (row["TABLE_SCHEMA"], row["TABLE_NAME"], row["TABLE_ID"]) == ("shop", "t", tid)
    assert row["DROPPED_AT"] == dt.datetime.fromtimestamp(dropped_at).replace(microsecond=0)
    assert row["GC_AFTER"] == dt.datetime.fromtimestamp(dropped_at + 600).replace(
        microsecond=0)
    assert row["SECONDS_LEFT"] == 600 and row["STATE"] == "recoverable"
    assert row["DONE_AT"] is None
    assert row["TABLE_ROWS"] == 3 and row["INDEXES"] == 3
    clock.advance(480)
    assert _dropped(db)[0]["SECONDS_LEFT"] == 120
    clock.advance(200)
    assert _dropped(db)[0]["SECONDS_LEFT"] == 0  # due; still recoverable until a GC round
    assert _dropped(db)[0]["STATE"] == "recoverable"
    # a longer life time moves GC_AFTER at once
    q(db, "SET GLOBAL tidb_gc_life_time = '24h'")
    assert _dropped(db)[0]["SECONDS_LEFT"] == 86400 - 680
    # a GC round whose safe point passed the drop: expired (RECOVER answers 8055)
    _safe_point(db, dropped_at + 1, clock.now())
    assert _dropped(db)[0]["STATE"] == "expired"
    _collect(db, tid, clock.now())
    (row,) = _dropped(db)
    assert row["STATE"] == "collected" and row["SECONDS_LEFT"] == 0
    assert row["DONE_AT"] == dt.datetime.fromtimestamp(clock.now()).replace(microsecond=0)
    assert row["TABLE_ROWS"] is None and row["INDEXES"] == 3


def test_truncate_drop_database_and_a_rebuild_each_have_their_row(db):
    q(db, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q(db, "INSERT INTO t VALUES (1, 1)")
    q(db, "TRUNCATE TABLE t")
    q(db, "CREATE TABLE r (a INT PRIMARY KEY, b INT)")
    q(db, "ALTER TABLE r MODIFY b BIGINT")  # a rebuild: the old tablespace goes to GC
    q(db, "CREATE DATABASE other")
    q(db, "CREATE TABLE other.x (a INT)")
    q(db, "DROP DATABASE other")
    rows = [(r["JOB_TYPE"], r["TABLE_SCHEMA"], r["TABLE_NAME"], r["STATE"])
            for r in _dropped(db)]
    rebuild = [r for r in rows if r[2] == "r"]
    assert ("truncate table", "shop", "t", "recoverable") in rows
    assert ("drop schema", "other", "x", "recoverable") in rows
    assert len(rebuild) == 1 and rebuild[0][3] == "not recoverable"
    assert rebuild[0][0] not in ("drop table", "truncate table", "drop schema", "")
    # the live tables are not listed as dropped
    live = {r[0] for r in q(db, "SELECT TIDB_TABLE_ID FROM information_schema.TABLES "
                                "WHERE TABLE_SCHEMA = 'shop'")}
    assert not live & {r["TABLE_ID"] for r in _dropped(db)}


def test_connection_info_marks_dropped_tablespaces(db, clock):
    q(db, "CREATE TABLE t (a INT PRIMARY KEY)")
    q(db, "CREATE TABLE keep (a INT PRIMARY KEY)")
    when = clock.now()
    q(db, "DROP TABLE t")
    job = _job(db, "drop table")
    spaces = {ts.name: ts for ts in db.info().tablespaces}
    t = spaces["shop.t"]
    assert (t.dropped_at, t.gc_after, t.drop_job_id, t.drop_job_type) == (
        when, when + 600, job, "drop table")
    assert t.dropped
    k = spaces["shop.keep"]
    assert (k.dropped_at, k.gc_after, k.drop_job_id, k.drop_job_type) == (None, None, None, "")
    assert not k.dropped and not spaces["system (dictionary)"].dropped
    q(db, "SET GLOBAL tidb_gc_life_time = '1h'")
    assert {ts.name: ts for ts in db.info().tablespaces}["shop.t"].gc_after == when + 3600
