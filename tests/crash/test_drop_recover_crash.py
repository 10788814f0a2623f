"""DROP TABLE, DROP DATABASE, RECOVER TABLE, FLASHBACK TABLE ... TO and FLASHBACK DATABASE
SIGKILLed at named points around their commit: the redo write (`log.after_write`, before the
fsync), the overlay before the fsync (`commit.after_overlay`), the fsync (`log.after_sync`),
the recover transaction built or committed (`gc.recover.before_commit` / `after_commit`,
core.crashpoints.RECOVER_POINTS), and the flusher right after.

After the reopen (in this process) the statement happened or did not, never half: a table is
live exactly when its delete range is not pending (no TableInfo beside its range, no range
without its table gone); a commit that passed its fsync is there.  Then what is dropped is
brought back, and every row and index entry is there (ADMIN CHECK TABLE passes, queries
through both indexes answer), the auto-increment counter goes on, and no orphan file is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from core.catalog import gcranges
from core.crashpoints import RECOVER_POINTS
from tests.crash import recover_worker as w
from tests.crash.harness import ROOT, WORKER_VARS

# points a one-step DDL's commit passes (commit.after_overlay: published, before the fsync
# that log.after_sync follows, on the committing thread or the group leader's)
COMMIT_POINTS = ("log.after_write", "commit.after_overlay", "log.after_sync",
                 "flush.before_apply", "flush.after_apply")
NOT_DURABLE = ("log.after_write", "commit.after_overlay", "gc.recover.before_commit")
# written to the log, not yet synced: a process kill (not a power cut) keeps the bytes
MAY_BE_DURABLE = ("log.after_write", "commit.after_overlay")

CASES = ([("drop_table", p) for p in COMMIT_POINTS]
         + [("recover_table", p) for p in COMMIT_POINTS[:3] + RECOVER_POINTS]
         + [("flashback_to", p) for p in ("log.after_sync",) + RECOVER_POINTS]
         + [("drop_db", p) for p in COMMIT_POINTS[:3]]
         + [("flashback_db", p) for p in ("log.after_write",) + RECOVER_POINTS])


def _run(path: str, mode: str, point: str) -> list[str]:
    env = dict(os.environ)
    for var in WORKER_VARS:
        env.pop(var, None)
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash.recover_worker", path, mode,
                             point], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, (
        f"{point} was never reached (exit {proc.returncode}): {out[-500:]} {err[-3000:]}")
    assert "ARMED" in out.splitlines()
    return out.splitlines()


def _ids(path: str) -> dict[str, int]:
    conn = w.connect(path)
    try:
        with conn._db.engine.snapshot() as snap:
            schema = conn._db.catalog.schema(snap)
            return {"t": schema.table("test", "t").id, "x": schema.table("d", "x").id,
                    "y": schema.table("d", "y").id}
    finally:
        conn.close()


def _live_and_pending(conn, table_id: int):
    with conn._db.engine.snapshot() as snap:
        live = conn._db.catalog.schema(snap).tables_by_id.get(table_id)
        rng = gcranges.pending_table(snap, table_id)
    return live, rng


def _check_t(cur, name: str) -> None:
    cur.execute(f"SELECT COUNT(*), SUM(b), MAX(id) FROM {name}")
    assert cur.fetchall() == [(w.ROWS, sum(i % 97 for i in range(w.ROWS)), w.ROWS)]
    cur.execute(f"SELECT COUNT(*) FROM {name} WHERE b = 5")  # through ib
    assert cur.fetchall() == [(len([i for i in range(w.ROWS) if i % 97 == 5]),)]
    cur.execute(f"SELECT id FROM {name} WHERE c = 'c123'")  # through uc
    assert cur.fetchall() == [(124,)]
    cur.execute(f"ADMIN CHECK TABLE {name}")
    cur.execute(f"INSERT INTO {name} (b, c) VALUES (1, 'new')")
    cur.execute(f"SELECT id FROM {name} WHERE c = 'new'")
    assert cur.fetchall() == [(w.ROWS + 1,)]


def _check_d(cur) -> None:
    cur.execute("SELECT COUNT(*) FROM d.x")
    assert cur.fetchall() == [(200,)]
    cur.execute("SELECT a FROM d.x WHERE s = 's77'")
    assert cur.fetchall() == [(77,)]
    cur.execute("SELECT COUNT(*) FROM d.v")
    assert cur.fetchall() == [(10,)]
    cur.execute("ADMIN CHECK TABLE d.x, d.y")
    cur.execute("INSERT INTO d.y (a) VALUES (NULL)")
    cur.execute("SELECT MAX(a) FROM d.y")
    assert cur.fetchall() == [(4,)]


@pytest.mark.parametrize("mode,point", CASES)
def test_crash_around_drop_and_recover(tmp_path, mode, point):
    path = str(tmp_path / "db")
    dropped_first = mode not in ("drop_table", "drop_db")
    w.setup(path, dropped=dropped_first)
    if dropped_first:  # the ids as the drop left them, in the ranges
        ids = {}
        conn = w.connect(path)
        with conn._db.engine.snapshot() as snap:
            for r in gcranges.pending(snap):
                ids[r["table"]["name"]] = r["table_id"]
        conn.close()
    else:
        ids = _ids(path)
    lines = _run(path, mode, point)
    conn = w.connect(path)
    try:
        cur = conn.cursor()
        on_t = mode in ("drop_table", "recover_table", "flashback_to")
        watched = [ids["t"]] if on_t else [ids["x"], ids["y"]]
        states = [_live_and_pending(conn, tid) for tid in watched]
        for live, rng in states:  # never half
            assert (live is None) != (rng is None), (mode, point, live, rng)
        is_dropped = {live is None for live, _ in states}
        assert len(is_dropped) == 1  # a database's tables go (and come) together
        is_dropped = is_dropped.pop()
        happened = is_dropped if mode.startswith("drop") else not is_dropped
        if point not in NOT_DURABLE:
            assert happened, f"{mode} at {point}: a durable commit was lost"
        elif point not in MAY_BE_DURABLE:
            assert not happened, f"{mode} at {point}: committed without its commit"
        if "DONE" in lines:
            assert happened
        if not on_t:
            cur.execute("SELECT COUNT(*) FROM information_schema.schemata "
                        "WHERE schema_name = 'd'")
            assert cur.fetchall() == [(0 if is_dropped else 1,)]
        # bring back whatever is dropped, then everything must be there
        if is_dropped:
            cur.execute({"drop_table": "RECOVER TABLE t", "recover_table": "RECOVER TABLE t",
                         "flashback_to": "FLASHBACK TABLE t TO t2"}.get(
                             mode, "FLASHBACK DATABASE d"))
        for live, rng in (_live_and_pending(conn, tid) for tid in watched):
            assert live is not None and rng is None
        if on_t:
            _check_t(cur, "t2" if mode == "flashback_to" else "t")
        else:
            _check_d(cur)
        cur.execute("ADMIN SHOW ORPHAN FILES")
        assert cur.fetchall() == []
    finally:
        conn.close()
