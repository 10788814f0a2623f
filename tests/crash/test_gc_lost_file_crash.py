"""A process SIGKILLed right after DROP TABLE (the drop and the table's last rows only in the
redo log, the table's map entry already checkpointed), then the dropped table's file
deleted: recovery replays the drop, skips the rows of the missing file (the replayed
dictionary says it only waits for GC), and the database opens writable without it.  The same
kill with a live table's file deleted is still refused (1812), and so is a dropped table
recovered after the checkpoint (system.kdb still says it waits for GC, the log says not)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.events import EventLog, RecoveryStarted, RecoveryWarning
from tests.crash.harness import ROOT, WORKER_VARS

CHILD = """
import os, signal, sys
import core
conn = core.connect(sys.argv[1], create=True, autocommit=True, flush_interval=0)
cur = conn.cursor()
cur.execute("create table t(id int primary key, b int, key(b))")
cur.execute("create table k(id int primary key)")
cur.execute("insert into t values (1, 2)")
conn._db.engine.flush()  # checkpoint: the map entries are in system.kdb
cur.execute("insert into t values (3, 4)")
cur.execute("insert into k values (7)")
if sys.argv[2] == "drop":
    cur.execute("drop table t")
if sys.argv[2] == "recover":
    cur.execute("drop table t")
    conn._db.engine.flush()  # checkpoint: system.kdb says t only waits for GC
    cur.execute("recover table t")
    cur.execute("insert into t values (5, 6)")
os.kill(os.getpid(), signal.SIGKILL)
"""


def _crash(path: str, what: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in WORKER_VARS}
    proc = subprocess.run([sys.executable, "-c", CHILD, path, what], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


def test_killed_after_drop_then_file_lost(tmp_path):
    path = str(tmp_path / "db")
    _crash(path, "drop")
    f = os.path.join(path, "test", "t.kdb")
    os.unlink(f)
    log = EventLog()
    clock = ManualClock()
    conn = core.connect(path, autocommit=True, sink=log, clock=clock, flush_interval=0)
    try:
        assert any(isinstance(e, RecoveryStarted) for e in log.events)
        assert [e for e in log.events if isinstance(e, RecoveryWarning)
                and "`test`.`t`" in e.message]
        assert not conn._db.engine.read_only and conn._db.engine.missing_spaces == {}
        cur = conn.cursor()
        cur.execute("select * from k")
        assert cur.fetchall() == [(7,)]
        with pytest.raises(core.Error) as exc:
            cur.execute("recover table t")
        assert exc.value.errno == 1812
        clock.advance(gcranges.DEFAULT_LIFE_TIME + 60)
        assert len(conn._db.gc.run_once().collected) == 1
        cur.execute("admin show orphan files")
        assert cur.fetchall() == []
    finally:
        conn.close()


def test_killed_live_table_file_lost_still_refused(tmp_path):
    path = str(tmp_path / "db")
    _crash(path, "keep")
    os.unlink(os.path.join(path, "test", "t.kdb"))
    with pytest.raises(core.Error) as exc:
        core.connect(path, autocommit=True, flush_interval=0)
    assert exc.value.errno == 1812 and "`test`.`t`" in str(exc.value)


def test_recovered_after_the_checkpoint_then_file_lost_is_refused(tmp_path):
    """system.kdb (at the checkpoint) says `t` only waits for GC, the replayed log has it
    recovered: a live table again, whose missing file is refused as any live table's."""
    path = str(tmp_path / "db")
    _crash(path, "recover")
    os.unlink(os.path.join(path, "test", "t.kdb"))
    with pytest.raises(core.Error) as exc:
        core.connect(path, autocommit=True, flush_interval=0)
    assert exc.value.errno == 1812 and "`test`.`t`" in str(exc.value)
    conn = core.connect(path, autocommit=True, flush_interval=0, force_recovery=1)
    try:
        engine = conn._db.engine
        assert engine.lost_spaces == {}
        assert [h["table"] for h in engine.missing_spaces.values()] == ["t"]
    finally:
        conn.close()
