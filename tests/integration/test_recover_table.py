"""RECOVER TABLE / FLASHBACK TABLE / FLASHBACK DATABASE (core.gc.recover), with TiDB's
semantics and error texts (reference section 4): a dropped table comes back with its id, its
rows, its indexes and its auto-increment counter, by moving metadata only."""

from __future__ import annotations

import pytest

import core
from core.catalog import gcranges
from core.catalog.store import CatalogStore
from core.clock import ManualClock
from core.errors import Error
from core.events import TableRecovered
from core.txn import begin


def _err(q, sql: str) -> Error:
    with pytest.raises(Error) as info:
        q(sql)
    return info.value


def _state(conn):
    """What a failed statement must not change: the job history and the pending ranges."""
    with conn._db.engine.snapshot() as snap:
        return (len(CatalogStore.jobs(snap)),
                [(r["job_id"], r["table_id"]) for r in gcranges.pending(snap)])


def _jobs(q, n=20):
    return q(f"admin show ddl jobs {n}")


def _last_job_id(q, job_type: str) -> int:
    return next(r[0] for r in _jobs(q) if r[3] == job_type)


@pytest.fixture
def loaded(q):
    q("create table t (a int primary key auto_increment, b int, c varchar(20), key kb (b), "
      "unique key uc (c))")
    q("insert into t (b, c) values (10, 'x1'), (20, 'x2'), (30, 'x3'), (40, 'x4'), (50, 'x5')")
    q("delete from t where a = 5")  # the counter (6) is above max(a) + 1: it must be kept
    return q


def test_recover_table_brings_back_rows_indexes_and_counter(conn, loaded):
    q = loaded
    with conn._db.engine.snapshot() as snap:
        tid = conn._db.catalog.schema(snap).table("test", "t").id
    q("drop table t")
    assert _err(q, "select * from t").errno == 1146
    q("recover table t")
    assert q("select a, b, c from t order by a") == [
        (1, 10, "x1"), (2, 20, "x2"), (3, 30, "x3"), (4, 40, "x4")]
    assert q("select a from t where b = 30") == [(3,)]  # through kb
    assert "kb" in str(q("explain select a from t where b = 30"))
    assert q("select a from t where c = 'x2'") == [(2,)]  # through uc
    q("insert into t (b, c) values (60, 'x6')")
    assert q("select a from t where c = 'x6'") == [(6,)]  # the counter went on, not 5
    assert _err(q, "insert into t (b, c) values (99, 'x2')").errno == 1062  # uc enforced
    q("update t set b = b + 1 where a = 1")
    q("delete from t where a = 2")
    q("admin check table t")
    assert q("select count(*) from t where b = 11") == [(1,)]
    with conn._db.engine.snapshot() as snap:
        assert conn._db.catalog.schema(snap).table("test", "t").id == tid  # the same id
        assert gcranges.pending_table(snap, tid) is None
    job = _jobs(q)[0]
    assert job[3] == "recover table" and job[2] == "t" and job[6] == tid
    assert job[11] == "synced"
    with conn._db.engine.snapshot() as snap:
        stored = CatalogStore.job(snap, job[0])
    assert stored.args["drop_job_id"] == _last_job_id(q, "drop table")
    assert any(s["step"] == "recover" for s in stored.steps)


def test_recover_twice_and_flashback_twice(loaded):
    q = loaded
    q("drop table t")
    q("recover table t")
    e = _err(q, "recover table t")
    assert e.errno == 1050
    assert "Table 't' already been recover to 't', can't be recover repeatedly" in str(e)
    q("drop table t")
    q("flashback table t to t2")
    assert q("select count(*) from t2") == [(4,)]
    e = _err(q, "flashback table t")
    assert e.errno == 1050
    assert "Table 't' already been flashback to 't2', can't be flashback repeatedly" in str(e)


def test_errors_by_job_and_by_name(conn, loaded):
    q = loaded
    create_job = _last_job_id(q, "create table")
    before = _state(conn)
    e = _err(q, "recover table by job 999")
    assert e.errno == 8224 and "DDL Job:999 not found" in str(e)
    e = _err(q, f"recover table by job {create_job}")
    assert e.errno == 1105
    assert f"Job {create_job} type is create table, not dropped/truncated table" in str(e)
    e = _err(q, "recover table nope")
    assert e.errno == 1105
    assert "Can't find localTemporary/dropped/truncated table: nope in DDL history jobs" in \
        str(e)
    e = _err(q, "flashback table nope")
    assert e.errno == 1105 and "table: nope in DDL history jobs" in str(e)
    q("drop table t")
    after_drop = _state(conn)
    e = _err(q, "flashback table t to ` `")
    assert e.errno == 1103 and "Incorrect table name ' '" in str(e)
    q("create table t2 (x int)")
    e = _err(q, "flashback table t to t2")
    assert e.errno == 1050 and "Table 't2' already exists" in str(e)
    q("create table t (z int)")  # the name is taken again: RECOVER needs TO
    e = _err(q, "recover table t")
    assert e.errno == 1050 and "Table 't' already exists" in str(e)
    drop_job = _last_job_id(q, "drop table")
    e = _err(q, f"recover table by job {drop_job}")
    assert e.errno == 1050 and "Table 't' already exists" in str(e)
    assert before != after_drop
    assert _state(conn)[1] == after_drop[1]  # every failure changed nothing
    q(f"recover table by job {drop_job} to t_old")  # the console's form
    assert q("select count(*) from t_old") == [(4,)]
    e = _err(q, f"recover table by job {drop_job}")
    assert e.errno == 1050 and "already been recover to 't_old'" in str(e)


def test_unknown_database(q):
    q("create database d")
    q("create table d.t (a int primary key)")
    q("insert into d.t values (1)")
    q("drop table d.t")
    q("drop database d")
    e = _err(q, "recover table d.t")
    assert e.errno == 1049 and "Unknown database 'd' (Schema ID" in str(e)
    q("create database d")  # another database (another id): TiDB refuses it too
    e = _err(q, "recover table d.t")
    assert e.errno == 1049 and "is another one" in str(e)
    q("flashback database d to d_old")  # the database the table was in, under its id
    q("recover table d.t")
    assert q("select * from d_old.t") == [(1,)]


def test_recover_by_job_the_first_of_two_drops(loaded):
    q = loaded
    q("drop table t")
    first = _last_job_id(q, "drop table")
    q("create table t (a int primary key, b int)")
    q("insert into t values (100, 1)")
    q("drop table t")
    second = _last_job_id(q, "drop table")
    assert second != first
    q(f"recover table by job {first} to t_first")
    assert q("select count(*) from t_first") == [(4,)]
    q("recover table t")  # by name: the newest drop of t
    assert q("select * from t") == [(100, 1)]
    q("admin check table t_first")
    q("admin check table t")


def test_drop_of_two_tables_writes_one_job_each(q):
    q("create table a (x int primary key)")
    q("create table b (y int primary key)")
    q("insert into a values (1)")
    q("insert into b values (2), (3)")
    q("drop table a, b")
    drops = [r for r in _jobs(q) if r[3] == "drop table"]
    assert sorted(r[2] for r in drops) == ["a", "b"]
    assert len({r[0] for r in drops}) == 2 and len({r[6] for r in drops}) == 2
    by_name = {r[2]: r[0] for r in drops}
    q(f"recover table by job {by_name['b']}")
    assert q("select * from b order by y") == [(2,), (3,)]
    assert _err(q, "select * from a").errno == 1146
    q(f"recover table by job {by_name['a']}")
    assert q("select * from a") == [(1,)]


def test_flashback_after_truncate(conn, loaded):
    q = loaded
    q("truncate table t")
    assert q("select count(*) from t") == [(0,)]
    e = _err(q, "flashback table t")
    assert e.errno == 1050 and "Table 't' already exists" in str(e)
    q("flashback table t to t_before")
    assert q("select a, c from t_before order by a") == [
        (1, "x1"), (2, "x2"), (3, "x3"), (4, "x4")]
    q("insert into t_before (b, c) values (70, 'x7')")
    assert q("select a from t_before where c = 'x7'") == [(6,)]  # the old counter
    q("insert into t (b, c) values (1, 'n1')")  # the truncated table restarted at 1
    assert q("select a from t") == [(1,)]
    q("admin check table t_before")
    q("admin check table t")


def test_flashback_database_and_to(q):
    q("create database d")
    q("create table d.t1 (a int primary key auto_increment, b int, key (b))")
    q("create table d.t2 (s varchar(10) primary key)")
    q("insert into d.t1 (b) values (1), (2), (3)")
    q("insert into d.t2 values ('p'), ('q')")
    q("create view d.v as select a, b from d.t1 where b > 1")
    q("drop database d")
    assert _err(q, "use d").errno == 1049
    q("create database other")  # never takes d's id
    q("flashback database d")
    assert q("select * from d.v order by a") == [(2, 2), (3, 3)]
    assert q("select * from d.t2 order by s") == [("p",), ("q",)]
    q("insert into d.t1 (b) values (4)")
    assert q("select max(a) from d.t1") == [(4,)]
    q("admin check table d.t1")
    job = _jobs(q)[0]
    assert job[3] == "recover schema" and job[1] == "d"
    e = _err(q, "flashback database d")
    assert e.errno == 1007 and "Can't create database 'd'; database exists" in str(e)
    q("drop database d")
    q("flashback database d to d2")
    assert q("select * from d2.v order by a") == [(2, 2), (3, 3), (4, 4)]
    assert q("select count(*) from d2.t2") == [(2,)]
    e = _err(q, "flashback database d")
    assert e.errno == 1007
    assert "Schema 'd' already been recover to 'd2', can't be recover repeatedly" in str(e)
    e = _err(q, "flashback database nope")
    assert e.errno == 1105 and "Can't find dropped database: nope in DDL history jobs" in str(e)
    e = _err(q, "flashback database d2 to ` `")
    assert e.errno == 1102
    assert q("admin show orphan files") == []


def _advance_past_gc(conn, clock: ManualClock) -> float:
    """Move past the life time and let one GC round store its safe point (the GC worker's
    `run_once` when it is installed; the safe point written as its round would, otherwise)."""
    db = conn._db
    clock.advance(600 + 60)
    run_once = getattr(db.gc, "run_once", None)
    if run_once is not None:
        run_once()
    else:
        with begin(db.engine) as txn:
            now = clock.now()
            gcranges.put_safe_point(txn, now - 600, now, 600)
    with db.engine.snapshot() as snap:
        return gcranges.safe_point(snap)["safe_point"]


def test_older_than_the_gc_safe_point(tmp_path):
    clock = ManualClock()
    conn = core.connect(str(tmp_path / "db"), create=True, autocommit=True, clock=clock,
                        flush_interval=0.05)
    try:
        cur = conn.cursor()

        def q(sql):
            cur.execute(sql)
            return cur.fetchall() if cur.description is not None else cur.rowcount

        q("create table t (a int primary key)")
        q("insert into t values (1)")
        q("create table u (a int primary key)")
        q("drop table t")
        drop = _last_job_id(q, "drop table")
        q("create database d")
        q("drop database d")
        clock.advance(300)  # inside the life time: still recoverable
        q("drop table u")
        q("recover table u")
        q("drop table u")
        safe = _advance_past_gc(conn, clock)
        when = gcranges.go_time(safe)
        e = _err(q, "recover table t")
        assert e.errno == 1105
        assert f"Can't find dropped/truncated table 't' in GC safe point {when}" in str(e)
        e = _err(q, f"recover table by job {drop}")
        assert e.errno == 8055 and f"snapshot is older than GC safe point {when}" in str(e)
        e = _err(q, "flashback database d")
        assert e.errno == 1105
        assert f"Can't find dropped database 'd' in GC safe point {when}" in str(e)
    finally:
        conn.close()


def test_refused_read_only(tmp_path):
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True)
    cur = conn.cursor()
    cur.execute("create table t (a int primary key)")
    cur.execute("drop table t")
    conn.close()
    conn = core.connect(path, autocommit=True, force_recovery=1)
    try:
        with pytest.raises(Error) as info:
            conn.cursor().execute("recover table t")
        assert info.value.errno == 1881
    finally:
        conn.close()


def test_event_and_job_rows(tmp_path):
    seen = []
    conn = core.connect(str(tmp_path / "db"), create=True, autocommit=True,
                        sink=seen.append)
    try:
        cur = conn.cursor()
        cur.execute("create table t (a int primary key)")
        cur.execute("drop table t")
        cur.execute("flashback table t to t9")
        ev = [e for e in seen if isinstance(e, TableRecovered)]
        assert len(ev) == 1
        assert (ev[0].statement, ev[0].schema, ev[0].table) == ("flashback table", "test",
                                                                 "t9")
        cur.execute("admin show ddl jobs 1")
        assert cur.fetchall()[0][0] == ev[0].job_id
    finally:
        conn.close()


def test_table_without_primary_key_and_recent_jobs_only(q):
    q("create table n (x int, key (x))")
    q("insert into n values (3), (1), (2)")
    q("drop table n")
    q("create table other (y int)")
    q("drop table other")
    e = _err(q, "recover table n 1")  # TiDB's `RECOVER TABLE t N`: the last N jobs only
    assert e.errno == 1105 and "table: n in DDL history jobs" in str(e)
    q("recover table n 3")
    q("insert into n values (4)")  # the hidden row id goes on after the recovered rows
    assert q("select x from n order by x") == [(1,), (2,), (3,), (4,)]
    assert q("select count(*) from n where x = 2") == [(1,)]
    q("admin check table n")


def test_console_form_parses_and_prints():
    from core.sql import dialect

    node = dialect.parse_one("recover table by job 12 to t_back")
    assert isinstance(node, dialect.RecoverTable)
    assert int(node.args["job"].this) == 12 and node.args["to"].name == "t_back"
    assert node.sql(dialect=dialect.Kintsugi) == "RECOVER TABLE BY JOB 12 TO t_back"
    assert dialect.parse_one("recover table by job 12").args.get("to") is None
