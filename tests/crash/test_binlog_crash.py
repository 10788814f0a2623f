"""The binary log stays consistent with the redo log across SIGKILL.

A worker (`tests.crash.binlog_worker`) commits through SQL with the binlog on -- single-row
autocommit INSERTs, multi-row multi-table transactions, UPDATE + DELETE, DDL, big
transactions that spill, and four threads committing together (group commit) -- with a
tiny max_binlog_size so that it rotates, and is killed at the named points around commit,
flush, checkpoint and the binlog's own append and rotation, and at random moments.  After
the reopen (`tests.crash.binlog_check`): the binlog's transactions replay to exactly the
tables' contents (nothing missing, nothing uncommitted, commit order), GTIDs run 1..N with
no gap or duplicate, every acknowledged commit is there, and the next commit takes N+1.
A crash *during* the reopen's refill of the binlog from the redo log is survived too.

``KINTSUGI_BINLOG_CRASH_TRIALS`` sets the number of random kills (default 3);
`bench/binlog_torture.py` runs the long version.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from core.log import binlog as binlog_mod
from core.log import binlog_format as fmt
from tests.crash.binlog_check import check
from tests.crash.harness import ROOT, AckReader

TRIALS = int(os.environ.get("KINTSUGI_BINLOG_CRASH_TRIALS", "3"))
TINY = "4096"  # max_binlog_size: a rotation every few transactions


def spawn(path: str, seed: int, mode: str, env_extra: dict | None = None,
          limit: int | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KINTSUGI_CRASH_AT", "BINLOG_WORKER_"))}
    env.update(env_extra or {})
    args = [sys.executable, "-m", "tests.crash.binlog_worker", path, str(seed), mode]
    if limit is not None:
        args.append(str(limit))
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_until_killed(path: str, seed: int, mode: str, env: dict, limit: int,
                     timeout: float = 60) -> list[int]:
    proc = spawn(path, seed, mode, env, limit)
    reader = AckReader(proc)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the worker did not finish")
    reader.join(5)
    err = proc.stderr.read()
    assert proc.returncode == -signal.SIGKILL, (
        f"the worker was not killed at {env.get('KINTSUGI_CRASH_AT')} (rc {proc.returncode}):"
        f" {err[-2000:]}")
    return reader.acks


# (point, hit, mode, extra env): a parametrized subset of every point around commit
CASES = [
    ("log.after_write", 23, "mix", {}),
    ("log.after_sync", 31, "threads", {}),
    ("commit.after_overlay", 17, "mix", {}),
    ("flush.mid_apply", 12, "mix", {}),
    ("checkpoint.before_control", 8, "threads", {}),
    ("checkpoint.after_control", 5, "mix", {}),
    ("spill.after_write", 2, "mix", {}),
    ("binlog.before_write", 29, "mix", {}),
    ("binlog.before_write", 40, "threads", {}),
    ("binlog.torn_write", 19, "mix", {}),
    ("binlog.torn_write", 45, "threads", {}),
    ("binlog.after_write", 33, "mix", {}),
    ("binlog.mid_rotate", 3, "mix", {"BINLOG_WORKER_MAX_SIZE": TINY}),
    ("binlog.mid_rotate", 4, "threads", {"BINLOG_WORKER_MAX_SIZE": TINY}),
    ("binlog.after_write", 15, "threads", {"BINLOG_WORKER_MAX_SIZE": TINY}),
]


@pytest.mark.parametrize("point,hit,mode,extra", CASES,
                         ids=[f"{c[0]}:{c[1]}-{c[2]}" for c in CASES])
def test_kill_at_point(tmp_path, point, hit, mode, extra):
    path = str(tmp_path / "db")
    seed = hit
    env = {"KINTSUGI_CRASH_AT": f"{point}:{hit}", **extra}
    acks = run_until_killed(path, seed, mode, env, limit=400)
    res = check(path, acks, seed, mode)
    if extra.get("BINLOG_WORKER_MAX_SIZE"):
        assert res.files > 1, "no rotation happened"


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_at_random_moment(tmp_path, trial):
    rnd = random.Random(1000 + trial)
    mode = ("mix", "threads")[trial % 2]
    path = str(tmp_path / "db")
    env = {"BINLOG_WORKER_MAX_SIZE": TINY} if trial % 3 == 0 else {}
    proc = spawn(path, trial, mode, env)
    reader = AckReader(proc)
    reader.start()
    want = rnd.randint(5, 60)
    deadline = time.monotonic() + 30
    while len(reader.acks) < want and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rnd.random() * 0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(5)
    assert reader.acks, proc.stderr.read()[-2000:]
    check(path, reader.acks, trial, mode)


def _cut_binlog_tail(path: str, keep_fraction: float) -> int:
    """Cut the last binlog file at a transaction boundary, as a power loss would have cut
    its unsynced pages; returns how many transactions were cut."""
    name = binlog_mod.list_index(path)[-1]
    fpath = os.path.join(path, name)
    _good, _end, gtids = fmt.transaction_ends(fpath)
    cut_at = int(len(gtids) * keep_fraction)
    os.truncate(fpath, gtids[cut_at].pos)
    return len(gtids) - cut_at


@pytest.mark.parametrize("point", ["binlog.before_write:4", "binlog.torn_write:3",
                                   "binlog.after_write:6"])
def test_crash_during_refill(tmp_path, point):
    """The binlog lost its tail (the redo log has it: no flusher, no checkpoint); the reopen
    that refills it from the redo log is killed part-way; the next reopen completes it."""
    path = str(tmp_path / "db")
    env = {"BINLOG_WORKER_NO_FLUSH": "1"}
    proc = spawn(path, 7, "mix", {**env, "KINTSUGI_CRASH_AT": "log.after_sync:60"}, 400)
    reader = AckReader(proc)
    reader.start()
    proc.wait(timeout=60)
    reader.join(5)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-2000:]
    cut = _cut_binlog_tail(path, 0.4)
    assert cut >= 10
    proc = spawn(path, 7, "reopen", {**env, "KINTSUGI_CRASH_AT": point})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the refill was not killed: {out} {err[-2000:]}"
    check(path, reader.acks, 7, "mix")


def test_reopen_with_log_bin_off_completes_the_binlog(tmp_path):
    """Killed with commits durable in the redo log and not yet in the binlog; reopened with
    log_bin=False (--skip-log-bin): the binlog still gets them (then is left closed), so a
    later open with the binlog on finds nothing missing."""
    import core
    from tests.crash import binlog_worker as w
    from tests.crash.binlog_check import replay

    path = str(tmp_path / "db")
    acks = run_until_killed(path, 3, "threads",
                            {"KINTSUGI_CRASH_AT": "binlog.before_write:30"}, limit=400)
    before = len(list(fmt.transaction_ends(os.path.join(path, binlog_mod.list_index(path)[-1]))[2]))
    conn = core.connect(path, autocommit=True, log_bin=False, **w.engine_options())
    try:
        assert conn._db.engine.binlog is None
        cur = conn.cursor()
        cur.execute("SELECT i FROM marks")
        marks = {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
    _txns, model, _created, _m = replay(path)
    assert set(model["marks"]) == marks and set(acks) <= marks
    after = len(list(fmt.transaction_ends(os.path.join(path, binlog_mod.list_index(path)[-1]))[2]))
    assert after > before
    check(path, acks, 3, "threads")
