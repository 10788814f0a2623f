"""GC killed at every step of collecting a range: a child process (`gc_worker`) opens the
database with a clock moved past the GC life time and runs one round, SIGKILLed at a named
point of `core.crashpoints.GC_POINTS` (the first or the second table range, or between two
batches of a dropped index's entries).

After the reopen: each table range is either still pending with its file and map entry
(RECOVER TABLE would find it) or done with its file gone; the index range is pending with
some of its entries or done with none; `ADMIN SHOW ORPHAN FILES` is empty; the other tables
pass `ADMIN CHECK TABLE` with all their rows; a new table gets a space id never used before.
Then a round past the life time finishes the work and a further reopen finds it all done.
Also: kills at random moments of a longer round, and a GC that (unlike the real one) unlinked
a file before the checkpoint passed its FILE_DELETE: recovery skips that space's redo.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.codec.keys import index_prefix, prefix_next
from core.crashpoints import GC_POINTS
from core.kv import Engine
from tests.crash import gc_worker as w
from tests.crash.harness import ROOT, WORKER_VARS


def run_gc(path: str, point: str | None) -> str:
    env = dict(os.environ)
    for var in WORKER_VARS:
        env.pop(var, None)
    if point:
        env["KINTSUGI_CRASH_AT"] = point
    proc = subprocess.run([sys.executable, "-m", "tests.crash.gc_worker", path], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    if point:
        assert proc.returncode == -signal.SIGKILL, (
            f"{point} was never reached (exit {proc.returncode}): {proc.stdout[-500:]} "
            f"{proc.stderr[-3000:]}")
    else:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def state(engine, ids: dict[str, int], *, finished: bool = True) -> dict:
    """What GC left, read at the storage level: per table range "pending" (its map entry,
    open file: RECOVER TABLE would find it), "done" (map entry gone, file gone) or, when
    not `finished`, "done, file left" (the deletion committed, the unlink did not happen:
    the next SQL open removes it); the index range's state and the entries left."""
    out: dict = {}
    with engine.snapshot() as snap:
        pending = {(r["kind"], r["table_id"]): r for r in gcranges.pending(snap)}
        done = {(r.get("kind", "table"), r["table_id"]): r for r in gcranges.done(snap)}
        for name in ("gone", "trunc"):
            sid = ids[name]
            mapped = snap.get(0, engine.space_map_key(sid)) is not None
            if ("table", sid) in pending:
                assert ("table", sid) not in done
                assert mapped and sid in engine.spaces, f"{name}: pending without its file"
                assert os.path.exists(engine.spaces[sid].path)
                assert gcranges.pending_table(snap, sid) is not None
                out[name] = "pending"
                continue
            rng = done.get(("table", sid))
            assert rng is not None, f"{name}: neither pending nor done"
            assert not mapped, f"{name}: done, but still in the tablespace map"
            full = os.path.join(engine.path, rng["path"])
            if os.path.exists(full) and not finished:
                out[name] = "done, file left"
                continue
            assert not os.path.exists(full) and not os.path.exists(full + "-lock"), full
            assert sid not in engine.spaces
            out[name] = "done"
        tid = ids["ix"]
        lo = index_prefix(tid, 2)
        left = sum(1 for _ in snap.scan(tid, lo, prefix_next(lo)))
        if ("index", tid) in pending:
            out["ix"] = ("pending", left)
        else:
            assert ("index", tid) in done and left == 0, left
            out["ix"] = ("done", 0)
    return out


def check_intact(conn, ids: dict[str, int]) -> None:
    cur = conn.cursor()
    cur.execute("ADMIN SHOW ORPHAN FILES")
    assert cur.fetchall() == []
    for name in ("keep", "trunc", "ix"):
        cur.execute(f"ADMIN CHECK TABLE {name}")
    cur.execute("SELECT COUNT(*), SUM(b) FROM keep")
    assert cur.fetchall() == [(w.ROWS, sum(i * 7 for i in range(w.ROWS)))]
    cur.execute("SELECT COUNT(*) FROM ix WHERE b = 70")
    assert cur.fetchall() == [(1,)]
    cur.execute("SELECT COUNT(*) FROM trunc")
    assert cur.fetchall() == [(0,)]


def new_table_id(conn, name: str) -> int:
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {name} (a INT PRIMARY KEY)")
    cur.execute("SELECT TIDB_TABLE_ID FROM information_schema.tables WHERE TABLE_SCHEMA = "
                f"'test' AND TABLE_NAME = '{name}'")
    return int(cur.fetchall()[0][0])


CASES = [(p, n) for p in ("gc.before_commit", "gc.after_commit", "gc.between_unlinks",
                          "gc.after_unlink")
         for n in (1, 2)] + [("gc.mid_index", 1), ("gc.mid_index", 2)]
# what the kill leaves of the table range it stopped in (the first, gone, or the second)
AT_KILL = {"gc.before_commit": "pending", "gc.after_commit": "done, file left",
           "gc.between_unlinks": "done, file left",  # its lock file gone first
           "gc.after_unlink": "done"}
ALL_DONE = {"gone": "done", "trunc": "done", "ix": ("done", 0)}


@pytest.mark.parametrize(("point", "hit"), CASES, ids=[f"{p[3:]}-{n}" for p, n in CASES])
def test_gc_killed_at_each_step(tmp_path, point, hit):
    path = str(tmp_path / "db")
    ids = w.setup(path)
    with core.connect(path) as conn:
        used = max(conn._db.engine.spaces)  # the truncated table's new id is the highest
    run_gc(path, f"{point}:{hit}")

    # recovery alone (no GC at open): the round's ranges in job order gone, trunc, index
    with Engine.open(path) as engine:
        found = state(engine, ids, finished=False)
    if point == "gc.mid_index":
        assert found == {"gone": "done", "trunc": "done",
                         "ix": ("pending", w.ROWS - hit * w.INDEX_BATCH)}, found
    else:
        first, second = ("gone", "trunc") if hit == 1 else ("trunc", "gone")
        assert found[first] == AT_KILL[point], found
        assert found[second] == ("done" if hit == 2 else "pending"), found
        assert found["ix"] == ("pending", w.ROWS), found

    # an SQL open finishes a deletion the kill interrupted but collects nothing more (a
    # short command must not delete on its way); the next round collects the rest (the
    # safe point stored before the kill already passed every range)
    with core.connect(path, autocommit=True, clock=ManualClock()) as conn:
        if point != "gc.mid_index":
            assert state(conn._db.engine, ids)["ix"] == ("pending", w.ROWS)
        conn._db.gc.run_once()
        assert state(conn._db.engine, ids) == ALL_DONE
        check_intact(conn, ids)
        fresh = new_table_id(conn, "fresh")
        assert fresh > used, (fresh, used)
    with core.connect(path, autocommit=True) as conn:
        assert state(conn._db.engine, ids) == ALL_DONE
        check_intact(conn, ids)
        assert new_table_id(conn, "fresh2") > fresh


def test_every_gc_point_is_covered():
    assert {p for p, _n in CASES} == set(GC_POINTS)


def test_gc_round_uninterrupted(tmp_path):
    path = str(tmp_path / "db")
    ids = w.setup(path)
    out = run_gc(path, None)
    assert "GC DONE 3" in out
    with core.connect(path, autocommit=True) as conn:
        assert state(conn._db.engine, ids) == ALL_DONE
        check_intact(conn, ids)


# A GC that unlinked the file before the checkpoint passed its FILE_DELETE (GC never does:
# it flushes first), then died: recovery must not need the file (the second line).
EARLY_UNLINK = """
import os, sys
import core
from core.catalog import gcranges
from core.gc import collect
conn = core.connect(sys.argv[1], create=True, autocommit=True, flush_interval=0)
cur = conn.cursor()
cur.execute("CREATE TABLE keep (id INT PRIMARY KEY)")
cur.execute("INSERT INTO keep VALUES (1), (2)")
cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY ib (b))")
cur.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
db = conn._db
engine = db.engine
engine.flush()  # t's file and map entry are on disk, before the checkpoint
cur.execute("INSERT INTO t VALUES (3, 3)")  # redo after the checkpoint names t's space
cur.execute("DROP TABLE t")
with engine.snapshot() as snap:
    rng = gcranges.pending(snap)[0]
sid = rng["table_id"]
path = engine.shown_path(engine.spaces[sid])
with core.txn.begin(engine) as txn:
    txn.delete_space(sid, path)
    gcranges.mark_done(txn, dict(rng, path=path), db.clock.now())
engine.forget_space(sid)
os.unlink(os.path.join(engine.path, path))
os.unlink(os.path.join(engine.path, path) + "-lock")
print(sid, flush=True)
os._exit(0)
"""


def test_recovery_needs_no_file_whose_deletion_committed(tmp_path):
    path = str(tmp_path / "db")
    proc = subprocess.run([sys.executable, "-c", EARLY_UNLINK, path], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sid = int(proc.stdout.split()[0])
    with Engine.open(path) as engine:  # replay skips the space: no file is made again
        assert sid not in engine.spaces
        assert sorted(os.listdir(os.path.join(path, "test"))) == ["keep.kdb", "keep.kdb-lock"]
    with core.connect(path, autocommit=True) as conn:
        assert sid not in conn._db.engine.spaces
        cur = conn.cursor()
        cur.execute("SELECT id FROM keep ORDER BY id")
        assert cur.fetchall() == [(1,), (2,)]
        cur.execute("ADMIN SHOW ORPHAN FILES")
        assert cur.fetchall() == []
        cur.execute("CREATE TABLE n (id INT PRIMARY KEY)")
        cur.execute("SELECT TIDB_TABLE_ID FROM information_schema.tables WHERE TABLE_NAME "
                    "= 'n'")
        assert int(cur.fetchall()[0][0]) > sid


def ranges_consistent(engine) -> None:
    """Every table range is pending with its map entry and file, or done without a map
    entry (its file gone, or left for the next open to remove)."""
    with engine.snapshot() as snap:
        for rng in gcranges.pending(snap):
            if rng["kind"] == "table":
                sid = rng["table_id"]
                assert snap.get(0, engine.space_map_key(sid)) is not None
                assert sid in engine.spaces and os.path.exists(engine.spaces[sid].path)
        for rng in gcranges.done(snap):
            if rng.get("kind", "table") == "table":
                assert snap.get(0, engine.space_map_key(rng["table_id"])) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gc_killed_at_a_random_moment(tmp_path, seed):
    path = str(tmp_path / "db")
    ids = w.setup(path, extra=12)
    env = dict(os.environ)
    for var in WORKER_VARS:
        env.pop(var, None)
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash.gc_worker", path], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("GC BEGIN")
    time.sleep(random.Random(seed).uniform(0.0, 0.15))  # the round lasts ~0.2 s
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    with Engine.open(path) as engine:
        ranges_consistent(engine)
    with core.connect(path, autocommit=True, clock=ManualClock()) as conn:
        ranges_consistent(conn._db.engine)
        conn._db.gc.run_once()
        with conn._db.engine.snapshot() as snap:
            assert gcranges.pending(snap) == []
        assert state(conn._db.engine, ids) == ALL_DONE
        check_intact(conn, ids)
        files = set(os.listdir(os.path.join(path, "test")))
        assert files.isdisjoint({f"x{i}.kdb" for i in range(0, 12, 2)})  # dropped: gone
        assert {f"x{i}.kdb" for i in range(1, 12, 2)} <= files  # an index dropped: kept
