"""More SIGKILL trials than CI runs: the key-value crash test at a larger trial count.

Runs tests/crash/test_kv_crash.py's random-kill test with KINTSUGI_CRASH_TRIALS trials for
each of several seeds, plus every named crash point, and records how many kills were
survived.

    python -m bench.crash_soak [--trials 60] [--seeds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bench.common import REPO_DIR, fmt_s, md_table, verdict, write_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=60, help="kills per seed (60)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds (3)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args()
    rows = []
    ok_all = True
    for seed in range(args.seeds):
        env = dict(os.environ, KINTSUGI_CRASH_TRIALS=str(args.trials),
                   KINTSUGI_CRASH_SEED=str(1000 + seed))
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "tests/crash/test_kv_crash.py"], cwd=REPO_DIR, env=env, capture_output=True,
            text=True)
        ok = proc.returncode == 0
        ok_all &= ok
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        rows.append([1000 + seed, args.trials, fmt_s(time.perf_counter() - t0), last,
                     verdict(ok)])
        print(rows[-1], flush=True)
        if not ok:
            print(proc.stdout[-4000:], proc.stderr[-2000:])
    text = ("### SIGKILL soak (key-value level)\n\n"
            "Random kills (plus every named crash point once per seed); after each kill the "
            "database is reopened and must equal exactly a prefix of the transactions that "
            "includes every acknowledged one.\n\n"
            + md_table(["seed", "random kills", "time", "pytest", "verdict"], rows))
    print(text)
    if not args.no_write:
        write_results("crash_soak", text)
    if not ok_all:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
