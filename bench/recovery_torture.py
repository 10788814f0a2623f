"""The crash torture at length: hundreds of SIGKILLs of a mixed SQL workload.

Runs `tests.crash.torture` (the driver of tests/crash/test_torture.py) with `--kills` kills:
random kills, every named crash point in turn, and recovery trials (a reopen killed at
``recovery.mid_apply`` and a ``kintsugi recover`` killed at random).  After every kill the
database is reopened and checked: acknowledged commits present, every transaction whole or
absent, nothing rolled back visible, indexes equal to full scans (and CHECK TABLE EXTENDED
OK), AUTO_INCREMENT never reused.  Target: 0 failures.

    python -m bench.recovery_torture [--kills 500] [--seed 1] [--minutes 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench.common import (
    RESULTS_PATH,
    dump_json,
    fmt_s,
    md_table,
    scratch_dir,
    verdict,
    write_results,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recovery_torture",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=500, help="kills to run (500)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--minutes", type=float, default=None,
                    help="stop starting new trials after this long (default: no limit)")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="write a summary here")
    ap.add_argument("--results", default=RESULTS_PATH,
                    help="the RESULTS.md to update (a run from a frozen copy of the tree "
                         "writes to the real one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.crash import torture as T

    last = [time.monotonic()]

    def progress(r: T.Report) -> None:
        if time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            print(f"{r.trials} trials, {r.total_kills} kills, {r.ledger.acks} acks, "
                  f"{len(r.problems)} problems", flush=True)

    with scratch_dir("recovery_torture", keep=args.keep) as d:
        rep = T.torture(os.path.join(d, "db"), args.kills, args.seed,
                        max_seconds=args.minutes * 60 if args.minutes else None,
                        progress=progress)
    failures = len(rep.problems)
    ok = failures == 0
    short = (f" (of {args.kills} asked: the time limit of {args.minutes:g} min stopped it)"
             if rep.total_kills < args.kills and args.minutes else "")
    kinds = md_table(["kill", "count"], sorted(rep.kills.items(), key=lambda kv: -kv[1]))
    cats = rep.by_category()
    text = (
        f"### Crash torture (`python -m bench.recovery_torture --kills {args.kills}`)\n\n"
        "A worker process runs a randomised mixed SQL workload (3 threads, each its own "
        "connection: autocommit INSERTs, multi-statement transactions, ~80 KB transactions "
        "that spill with a 64 KiB spill limit, AUTO_INCREMENT inserts, group UPDATEs of an "
        "indexed column, deletes of the highest ids, purges, rolled-back decoys, CREATE/DROP "
        "TABLE and CREATE/DROP INDEX on side tables) and is SIGKILLed; after every kill the "
        "database is reopened and checked (acknowledged commits present, transactions whole "
        "or absent, nothing rolled back visible, every index equal to a full scan, CHECK "
        f"TABLE EXTENDED {rep.check_table}, AUTO_INCREMENT above every id acknowledged "
        "before).\n\n"
        f"- kills: **{rep.total_kills}**{short} in {rep.trials} trials, {fmt_s(rep.seconds)} "
        f"({rep.ledger.acks:,} acknowledged commits checked, seed {args.seed})\n"
        f"- failures: **{failures}** (target 0): **{verdict(ok)}**\n"
        + "".join(f"- {cat}: {len(m)}, e.g. {m[0]}\n" for cat, m in cats.items())
        + "".join(f"- note: {n}\n" for n in rep.notes[:5] if not n.startswith("stopped"))
        + "\n" + kinds + "\n")
    print(text)
    if rep.problems:
        print(rep.summary())
    if not args.no_write:
        write_results("recovery_torture", text, path=args.results)
    if args.json:
        dump_json(args.json, {"benchmark": "recovery_torture", "targets": [
            {"name": f"{rep.total_kills} SIGKILLs, failures", "target": "0 failures",
             "ratio": float(failures), "met": ok}]})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
