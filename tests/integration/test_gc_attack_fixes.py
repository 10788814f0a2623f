"""What an attack on GC and RECOVER TABLE found, each held here: files carrying a collected
table's space id (GC deletes only the very file it recorded), a lock file left by a crash
between GC's two unlinks, the reserved database names, RECOVER TABLE finding the database by
id, an out-of-range job id, and DDL on the virtual `mysql` tables."""

from __future__ import annotations

import os
import shutil

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.errors import Error

PAST = gcranges.DEFAULT_LIFE_TIME + 60


@pytest.fixture
def env(tmp_path):
    clock = ManualClock()
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, clock=clock, flush_interval=0.05)
    yield conn, _runner(conn), clock, path
    conn.close()


def _runner(conn):
    cur = conn.cursor()

    def q(sql, params=None):
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else cur.rowcount

    return q


def _err(q, sql: str) -> Error:
    with pytest.raises(Error) as info:
        q(sql)
    return info.value


def _orphans(q) -> dict[str, str]:
    return {r[0]: r[7] for r in q("admin show orphan files")}


def _collect_with_backup(env) -> tuple[str, str, int, dict]:
    """t dropped, its file copied aside, collected by GC; the backup, the file's path, the
    space id and the done range."""
    conn, q, clock, path = env
    q("create table t (a int primary key)")
    q("insert into t values (1), (2)")
    sid = int(q("select tidb_table_id from information_schema.tables where table_name = 't'")
              [0][0])
    q("drop table t")
    conn._db.engine.flush()
    full = os.path.join(path, "test", "t.kdb")
    backup = os.path.join(os.path.dirname(path), "backup_t.kdb")
    shutil.copyfile(full, backup)
    clock.advance(PAST)
    assert len(conn._db.gc.run_once().collected) == 1
    assert not os.path.exists(full)
    with conn._db.engine.snapshot() as snap:
        (rng,) = gcranges.done(snap)
    assert rng["path"] == os.path.join("test", "t.kdb") and "ino" in rng
    return backup, full, sid, rng


def _reopen(path: str):
    conn = core.connect(path, autocommit=True, clock=ManualClock())
    return conn, _runner(conn)


# -- 2. a file carrying a collected table's id ------------------------------------------------

def test_a_file_put_back_after_gc_is_an_orphan_never_deleted(env):
    conn, q, clock, path = env
    backup, full, sid, rng = _collect_with_backup(env)
    conn.close()
    restored = os.path.join(path, "test", "t_restored.kdb")
    shutil.copyfile(backup, full)  # put back at the path GC recorded
    shutil.copyfile(backup, restored)
    err_log = os.path.join(path, "kintsugi.err")
    log_before = open(err_log).read()
    conn, q = _reopen(path)
    try:
        assert os.path.exists(full) and os.path.exists(restored)  # neither deleted at open
        conn._db.gc.run_once()
        assert os.path.exists(full) and os.path.exists(restored)  # nor by a round
        assert "GC finished deleting" not in open(err_log).read()[len(log_before):]
        found = _orphans(q)
        why = f"its table was collected by GC (job {rng['job_id']})"
        assert why in found["test/t.kdb"] and why in found["test/t_restored.kdb"], found
        e = _err(q, "admin adopt orphan file 'test/t_restored.kdb'")
        assert e.errno == 1235 and "collected by GC" in e.msg, e.msg
        moved = q("admin remove orphan file 'test/t_restored.kdb'")
        assert moved[0][0] == "test/t_restored.kdb"
        q("admin remove orphan file 'test/t.kdb'")
        assert _orphans(q) == {}
    finally:
        conn.close()


def test_the_file_a_crash_left_is_removed_with_a_log_line(env):
    """The done range's own file (same inode: the unlink never happened) still goes, and
    kintsugi.err says so."""
    conn, q, clock, path = env
    q("create table t (a int primary key)")
    q("drop table t")
    conn._db.engine.flush()
    full = os.path.join(path, "test", "t.kdb")
    keep = full + ".hardlink"
    os.link(full, keep)  # the same inode survives GC's unlink
    clock.advance(PAST)
    conn._db.gc.run_once()
    conn.close()
    os.rename(keep, full)  # as if the unlink had not happened
    conn, q = _reopen(path)
    try:
        assert not os.path.exists(full)
        assert _orphans(q) == {}
    finally:
        conn.close()
    log = open(os.path.join(path, "kintsugi.err")).read()
    assert "GC finished deleting test/t.kdb" in log and "[Warning]" in log


# -- 1. the lock file of a collected table (a crash between the two unlinks) ----------------

def test_a_lock_file_left_of_a_collected_table_is_removed(env):
    """Before the lock file went first, a kill between the unlinks left only `t.kdb-lock`
    (tests/crash/test_gc_crash.py kills at gc.between_unlinks with the order fixed)."""
    conn, q, clock, path = env
    q("create table t (a int primary key)")
    q("drop table t")
    clock.advance(PAST)
    conn._db.gc.run_once()
    conn.close()
    lock = os.path.join(path, "test", "t.kdb-lock")
    open(lock, "wb").close()
    conn, q = _reopen(path)
    try:
        assert not os.path.exists(lock)
        assert _orphans(q) == {}
    finally:
        conn.close()


# -- 3. reserved database names -----------------------------------------------------------------

def test_information_schema_and_mysql_cannot_be_created(env):
    conn, q, clock, path = env
    denied = "Access denied for user 'root'@'%' to database 'information_schema'"
    for sql in ("create database information_schema",
                "create database if not exists INFORMATION_SCHEMA"):
        e = _err(q, sql)
        assert e.errno == 1044 and e.msg.lower() == denied.lower(), e.msg
    e = _err(q, "create database mysql")
    assert (e.errno, e.msg) == (1007, "Can't create database 'mysql'; database exists")
    assert q("create database if not exists mysql") == 0
    q("create database d")
    q("create table d.x (a int)")
    q("drop database d")
    e = _err(q, "flashback database d to information_schema")
    assert e.errno == 1044 and e.msg == denied, e.msg
    e = _err(q, "flashback database d to MySQL")
    assert (e.errno, e.msg) == (1007, "Can't create database 'MySQL'; database exists")
    q("flashback database d to d2")  # the drop is still there to recover
    assert q("select count(*) from d2.x") == [(0,)]


# -- 4. RECOVER TABLE finds the database by id ------------------------------------------------

def test_recover_table_into_the_database_flashed_back_under_another_name(env):
    conn, q, clock, path = env
    q("create database d")
    q("create table d.y (a int primary key)")
    q("insert into d.y values (7)")
    q("drop table d.y")
    q("drop database d")
    q("flashback database d to e")
    q("recover table d.y")
    assert q("select a from e.y") == [(7,)]


def test_recover_table_refuses_a_new_database_of_the_same_name(env):
    conn, q, clock, path = env
    q("create database d")
    q("create table d.y (a int primary key)")
    q("drop table d.y")
    q("drop database d")
    q("create database d")
    e = _err(q, "recover table d.y")
    assert e.errno == 1049 and e.msg.startswith("Unknown database 'd' (Schema ID "), e.msg
    assert "is another one" in e.msg
    assert q("show tables from d") == []
    q("flashback database d to d_old")  # the old database back: y goes into it
    q("recover table d.y")
    assert q("show tables from d_old") == [("y",)]


# -- 5. an out-of-range job id ------------------------------------------------------------------

@pytest.mark.parametrize("job", ["18446744073709551616", "99999999999999999999999"])
def test_recover_by_a_job_id_out_of_range(env, job):
    conn, q, clock, path = env
    e = _err(q, f"recover table by job {job}")
    assert (e.errno, e.msg) == (8224, f"DDL Job:{job} not found")


# -- 6. DDL on the virtual mysql tables ---------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "truncate table mysql.gc_delete_range", "drop table mysql.tidb",
    "drop table if exists mysql.gc_delete_range_done", "create table mysql.x (a int)",
    "alter table mysql.tidb add column z int", "create index i on mysql.tidb (COMMENT)"])
def test_ddl_on_mysql_is_refused_as_read_only(env, sql):
    conn, q, clock, path = env
    e = _err(q, sql)
    assert e.errno == 1235 and "read-only view of system.kdb" in e.msg, (e.errno, e.msg)
    assert q("select count(*) from mysql.tidb")[0][0] >= 3


def test_unknown_mysql_tables_answer_as_before(env):
    conn, q, clock, path = env
    assert _err(q, "drop table mysql.nope").errno == 1051
    assert _err(q, "truncate table mysql.nope").errno == 1146
