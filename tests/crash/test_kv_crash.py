"""Kill a committing process with SIGKILL and check what survives.

Every acknowledged commit must be there after reopening, and nothing else may be: the state
must equal exactly the state after some prefix `0..k` of the transactions, with `k` at least
the last acknowledged one (a commit can be durable a moment before its acknowledgement is
printed, so `k` may be one more).  No partial transaction, no lost one.
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from core.crashpoints import POINTS
from tests.crash.harness import AckReader, spawn
from tests.crash.kv_worker import committed_count, find_space, model, open_engine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIALS = int(os.environ.get("KINTSUGI_CRASH_TRIALS", "12"))


def _spawn(path: str, seed: int, env_extra: dict | None = None, limit: int | None = None):
    return spawn("tests.crash.kv_worker", path, seed, env_extra, limit)


_Reader = AckReader


def verify(path: str, seed: int, last_acked: int) -> int:
    """Reopen and check the state is exactly a prefix of the transactions; return its length."""
    engine = open_engine(path)
    try:
        space = find_space(engine)
        assert space is not None, "the tablespace created by a committed transaction is gone"
        k = committed_count(engine, space)
        assert k >= last_acked + 1, f"acknowledged commit {last_acked} lost (have {k})"
        assert k <= last_acked + 2, f"{k} commits present but only {last_acked + 1} were acked"
        with engine.snapshot() as snap:
            actual = dict(snap.scan(space))
        expected = model(seed, k)
        if actual != expected:
            missing = sorted(set(expected) - set(actual))[:5]
            extra = sorted(set(actual) - set(expected))[:5]
            wrong = [x for x in expected if x in actual and actual[x] != expected[x]][:5]
            pytest.fail(f"state after {k} commits differs: missing {missing}, "
                        f"extra {extra}, wrong {wrong}")
        return k
    finally:
        engine.close()


@pytest.mark.slow
def test_random_kills_lose_no_acknowledged_commit(tmp_path):
    rng = random.Random(int(os.environ.get("KINTSUGI_CRASH_SEED", "20261121")))
    path = str(tmp_path / "db")
    seed = 7
    last_acked = -1
    for _trial in range(TRIALS):
        proc = _spawn(path, seed)
        reader = _Reader(proc)
        reader.start()
        deadline = time.monotonic() + 20
        want = len(reader.acks) + rng.randint(1, 40)
        while len(reader.acks) < want and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.random() * 0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join()
        err = proc.stderr.read()
        assert reader.start_at is not None, f"worker did not start: {err}"
        if reader.acks:
            last_acked = max(last_acked, reader.acks[-1])
        last_acked = max(last_acked, reader.start_at - 1)
        k = verify(path, seed, last_acked)
        last_acked = k - 1
    assert last_acked > TRIALS, "the workers made too little progress to test anything"


@pytest.mark.slow
@pytest.mark.parametrize("point", [p for p in POINTS if p != "recovery.mid_apply"
                                   and not p.startswith("ddl.")])
def test_kill_at_named_point(tmp_path, point):
    """Die exactly at each named crash point, then check and run on from the same files."""
    path = str(tmp_path / "db")
    seed = 11
    proc = _spawn(path, seed, {"KINTSUGI_CRASH_AT": f"{point}:3"}, limit=120)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"{point} was never reached: {err[-2000:]}"
    acks = [int(x.split()[1]) for x in out.splitlines() if x.startswith("ACK ")]
    k = verify(path, seed, acks[-1] if acks else -1)
    # the database keeps working after recovery
    proc = _spawn(path, seed, limit=5)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    verify(path, seed, k + 4)


@pytest.mark.slow
def test_kill_during_recovery_then_recover_again(tmp_path):
    """A crash in the middle of recovery's apply step; the next open finishes the job."""
    path = str(tmp_path / "db")
    seed = 5
    no_flush = {"KV_WORKER_NO_FLUSH": "1"}
    proc = _spawn(path, seed, {**no_flush, "KINTSUGI_CRASH_AT": "commit.after_overlay:80"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    acks = [int(x.split()[1]) for x in out.splitlines() if x.startswith("ACK ")]
    assert acks[-1] == 77  # hit 1 is the CREATE, hits 2..79 are transactions 0..77
    proc = _spawn(path, seed, {**no_flush, "KV_WORKER_APPLY_BATCH": "50",
                               "KINTSUGI_CRASH_AT": "recovery.mid_apply:2"}, limit=1)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, "recovery never reached its second batch"
    assert "START" not in out
    verify(path, seed, 77)
