"""A dropped table's tablespace file (only waiting for GC) missing or damaged at open: the
database opens anyway (core.recovery.expendable), says so in kintsugi.err and as a
RecoveryWarning, RECOVER / FLASHBACK refuse the table (1812 for a missing file, 1877 for an
unusable one), KINTSUGI_DROPPED_TABLES shows "file lost" / "damaged", and GC collects the
range when due, removing what is left of the file.  A live table's missing file is still
refused (1812)."""

from __future__ import annotations

import os
import shutil

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.events import EventLog, RecoveryWarning

PAST = gcranges.DEFAULT_LIFE_TIME + 60


def _sql(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def _make(tmp_path, *, keep: str | None = None) -> str:
    """A database where `t` (two rows, a secondary index) was dropped; `keep` names a live
    table made beside it."""
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0)
    _sql(conn, "create table t(id int primary key, b int, key(b))")
    _sql(conn, "insert into t values (1, 2), (3, 4)")
    if keep:
        _sql(conn, f"create table {keep}(id int primary key)")
        _sql(conn, f"insert into {keep} values (7)")
    _sql(conn, "drop table t")
    conn.close()
    return path


def _foreign(tmp_path) -> str:
    other = str(tmp_path / "other")
    conn = core.connect(other, create=True, autocommit=True, flush_interval=0)
    _sql(conn, "create table t(id int primary key, b int, key(b))")
    conn.close()
    return os.path.join(other, "test", "t.kdb")


def _spoil(tmp_path, f: str, how: str) -> None:
    if how == "missing":
        os.unlink(f)
        os.unlink(f + "-lock")
    elif how == "truncated":
        os.truncate(f, 100)
    elif how == "zeroed":
        with open(f, "r+b") as fh:
            fh.write(b"\0" * 200)
    elif how == "foreign":
        shutil.copyfile(_foreign(tmp_path), f)


CASES = [("missing", "file lost", 1812), ("truncated", "damaged", 1877),
         ("zeroed", "damaged", 1877), ("foreign", "damaged", 1877)]


@pytest.mark.parametrize(("how", "state", "errno"), CASES)
def test_dropped_table_file_lost_opens_and_is_collected(tmp_path, how, state, errno):
    path = _make(tmp_path, keep="k")
    f = os.path.join(path, "test", "t.kdb")
    _spoil(tmp_path, f, how)
    clock = ManualClock()
    log = EventLog()
    conn = core.connect(path, autocommit=True, clock=clock, sink=log, flush_interval=0)
    try:
        engine = conn._db.engine
        assert not engine.read_only
        assert engine.missing_spaces == {}
        warnings = [e.message for e in log.events if isinstance(e, RecoveryWarning)]
        assert len(warnings) == 1 and "`test`.`t`" in warnings[0]
        assert "drop table job" in warnings[0] and f in warnings[0]
        err = open(os.path.join(path, "kintsugi.err")).read()
        assert "[Warning]" in err and "which only waits for GC" in err
        assert _sql(conn, "select * from k") == [(7,)]  # the live table is served

        rows = _sql(conn, "select table_name, state, table_rows from "
                          "information_schema.kintsugi_dropped_tables")
        assert rows == [("t", state, None)]
        for stmt in ("recover table t", "flashback table t to t2"):
            with pytest.raises(core.Error) as exc:
                _sql(conn, stmt)
            assert exc.value.errno == errno
            assert "cannot be recovered" in str(exc.value) and "`test`.`t`" in str(exc.value)
        assert _sql(conn, "show tables") == [("k",)]  # the refusals changed nothing
        assert _sql(conn, "admin show orphan files") == []

        clock.advance(PAST)
        report = conn._db.gc.run_once()
        assert [r["table_id"] for r in report.collected] == [
            r[0] for r in _sql(conn, "select table_id from "
                                     "information_schema.kintsugi_dropped_tables")]
        assert not os.path.exists(f) and not os.path.exists(f + "-lock")
        assert _sql(conn, "select state from information_schema.kintsugi_dropped_tables") \
            == [("collected",)]
        assert _sql(conn, "admin show orphan files") == []
        assert engine.lost_spaces == {}
    finally:
        conn.close()
    conn = core.connect(path, autocommit=True, sink=(log := EventLog()), flush_interval=0)
    try:  # the next open finds nothing wrong
        assert not [e for e in log.events if isinstance(e, RecoveryWarning)]
        assert _sql(conn, "admin show orphan files") == []
        assert _sql(conn, "select * from k") == [(7,)]
    finally:
        conn.close()


def test_flashback_database_refuses_a_lost_table(tmp_path):
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0)
    _sql(conn, "create database d")
    _sql(conn, "create table d.a(id int primary key)")
    _sql(conn, "create table d.b(id int primary key)")
    _sql(conn, "drop database d")
    conn.close()
    os.unlink(os.path.join(path, "d", "b.kdb"))
    conn = core.connect(path, autocommit=True, flush_interval=0)
    try:
        with pytest.raises(core.Error) as exc:
            _sql(conn, "flashback database d")
        assert exc.value.errno == 1812 and "`d`.`b`" in str(exc.value)
        assert ("d",) not in _sql(conn, "show databases")
        states = dict(_sql(conn, "select table_name, state from "
                                 "information_schema.kintsugi_dropped_tables"))
        assert states == {"a": "recoverable", "b": "file lost"}
    finally:
        conn.close()


def test_file_put_back_makes_it_recoverable_again(tmp_path):
    path = _make(tmp_path)
    f = os.path.join(path, "test", "t.kdb")
    os.rename(f, f + ".bak")
    conn = core.connect(path, autocommit=True, flush_interval=0)
    conn.close()  # opened without it; nothing was written about the file
    os.rename(f + ".bak", f)
    conn = core.connect(path, autocommit=True, flush_interval=0)
    try:
        _sql(conn, "recover table t")
        assert _sql(conn, "select * from t order by id") == [(1, 2), (3, 4)]
    finally:
        conn.close()


@pytest.mark.parametrize("how", ["missing", "zeroed"])
def test_live_table_file_lost_still_refused(tmp_path, how):
    path = _make(tmp_path, keep="k")
    f = os.path.join(path, "test", "k.kdb")
    _spoil(tmp_path, f, how)
    with pytest.raises(core.Error) as exc:
        core.connect(path, autocommit=True, flush_interval=0)
    assert exc.value.errno == (1812 if how == "missing" else 1877)
    conn = core.connect(path, autocommit=True, flush_interval=0, force_recovery=1)
    try:
        assert conn._db.engine.read_only
        assert conn._db.engine.lost_spaces == {}
        assert [h["table"] for h in conn._db.engine.missing_spaces.values()] == ["k"]
    finally:
        conn.close()


def test_without_the_callable_a_dropped_file_is_refused(tmp_path):
    """`Engine.open(expendable_spaces=None)` treats every space as live (as before)."""
    from core.kv import Engine

    path = _make(tmp_path)
    os.unlink(os.path.join(path, "test", "t.kdb"))
    with pytest.raises(core.Error) as exc:
        Engine.open(path, expendable_spaces=None, flush_interval=0)
    assert exc.value.errno == 1812


def test_scan_directories_foreign_copy_of_a_dropped_table(tmp_path):
    """scan_directories finds only another database's file for the dropped table's space:
    not adopted, and not refused (1877) as it would be for a live table."""
    path = _make(tmp_path)
    os.unlink(os.path.join(path, "test", "t.kdb"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copyfile(_foreign(tmp_path), elsewhere / "t.kdb")
    conn = core.connect(path, autocommit=True, flush_interval=0,
                        scan_directories=[str(elsewhere)])
    try:
        assert _sql(conn, "select state from information_schema.kintsugi_dropped_tables") \
            == [("file lost",)]
    finally:
        conn.close()
