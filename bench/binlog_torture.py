"""The long version of `tests/crash/test_binlog_crash.py`: many SIGKILLs of a worker that
commits with the binary log on, each followed by a reopen and the full check (the binlog
replays to exactly the tables, GTIDs 1..N, every acknowledged commit there, the next commit
takes N+1).

Each round picks a workload (`mix`: autocommit INSERTs, multi-table transactions,
UPDATE/DELETE, DDL, spilling transactions; `threads`: four committers, group commit), a
max_binlog_size (tiny: rotations, or the default) and a kill: a named point (every one of
`core.crashpoints.POINTS` the workloads reach and `BINLOG_POINTS`) at a random hit, or a
SIGKILL at a random moment.  Every few rounds the reopen itself is killed during the
binlog's refill first.

    python -m bench.binlog_torture [--rounds 200] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import tempfile
import time

from core.crashpoints import BINLOG_POINTS, POINTS
from tests.crash.binlog_check import check
from tests.crash.harness import AckReader
from tests.crash.test_binlog_crash import spawn

LIMIT = 300  # transactions per worker (per thread in `threads`)
SKIP = {"recovery.mid_apply", "ddl.before_step_commit", "ddl.after_step_commit"}


def one_round(rnd: random.Random, root: str, r: int) -> str:
    path = f"{root}/r{r}"
    mode = rnd.choice(("mix", "threads"))
    env: dict[str, str] = {}
    if rnd.random() < 0.4:
        env["BINLOG_WORKER_MAX_SIZE"] = str(rnd.choice((4096, 16384)))
    points = [p for p in POINTS + BINLOG_POINTS
              if p not in SKIP and not (mode == "threads" and p.startswith("spill."))]
    how = rnd.choice(points + ["random"] * 4)
    if how != "random":
        env["KINTSUGI_CRASH_AT"] = f"{how}:{rnd.randint(1, 80)}"
    if how == "binlog.mid_rotate":
        env["BINLOG_WORKER_MAX_SIZE"] = "4096"
    proc = spawn(path, r, mode, env, LIMIT)
    reader = AckReader(proc)
    reader.start()
    if how == "random":
        # after the creation (a kill inside `create=True` is the engine's own, older matter)
        deadline = time.monotonic() + 30
        while reader.start_at is None and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rnd.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    reader.join(5)
    if proc.returncode != -signal.SIGKILL:
        return f"{how}: not reached ({mode})"
    refill = ""
    if r % 5 == 4 and "BINLOG_WORKER_MAX_SIZE" not in env:
        # cut nothing the redo does not have: only kill the reopen during its refill
        kill = rnd.choice(BINLOG_POINTS[:3])
        p2 = spawn(path, r, "reopen", {"KINTSUGI_CRASH_AT": f"{kill}:{rnd.randint(1, 3)}"})
        p2.communicate(timeout=120)
        refill = f", reopen killed at {kill}" if p2.returncode == -signal.SIGKILL else ""
    res = check(path, reader.acks, r, mode)
    return (f"{how} ({mode}{', tiny binlog' if env.get('BINLOG_WORKER_MAX_SIZE') else ''}"
            f"{refill}): {len(reader.acks)} acked, {res.transactions} in the binlog, "
            f"{res.files} file(s)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.binlog_torture",
                                 description="SIGKILL a committing worker with the binlog on, "
                                 "reopen, check binlog == committed transactions; many rounds")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rnd = random.Random(args.seed)
    t0 = time.monotonic()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="binlog-torture-") as root:
        for r in range(args.rounds):
            try:
                print(f"round {r + 1}: {one_round(rnd, root, r)}", flush=True)
            except AssertionError as exc:
                failures += 1
                print(f"round {r + 1}: FAILED: {exc}", flush=True)
    print(f"{args.rounds} rounds, {failures} failure(s), {time.monotonic() - t0:.0f} s")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
