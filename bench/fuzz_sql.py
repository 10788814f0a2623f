"""The SQL fuzzer, long: N generated and mutated statements per seed, each run in a
supervised child process (tests/fuzz/sqlfuzz.py says what is checked).

    python -m bench.fuzz_sql [--statements 20000] [--seed 0] [--seeds 1]

Prints every group of failures with its first statement and traceback, and records the count
of cases and failures in bench/RESULTS.md (section `fuzz_sql`).  Exits 1 if anything failed.
A failure is reproduced with `sqlfuzz.run(0, 0, DIR, cases=[SQL])`, or by re-running its seed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from bench.common import fmt_s, machine_info, md_table, scratch_dir, verdict, write_results
from tests.fuzz import sqlfuzz


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.fuzz_sql",
        description="Grammar-aware SQL fuzzing: no crash, no hang, only MySQL errors, a "
                    "failing statement changes nothing, the database reopens as committed.")
    ap.add_argument("--statements", type=int, default=20_000, metavar="N",
                    help="cases per seed (20000)")
    ap.add_argument("--seed", type=int, default=0, metavar="S", help="first seed (0)")
    ap.add_argument("--seeds", type=int, default=1, metavar="K", help="how many seeds (1)")
    ap.add_argument("--timeout", type=float, default=sqlfuzz.STATEMENT_TIMEOUT, metavar="SEC",
                    help=f"per-statement time limit ({sqlfuzz.STATEMENT_TIMEOUT:g})")
    ap.add_argument("--reopen-every", type=int, default=1000, metavar="N",
                    help="close, reopen and compare every N cases (1000)")
    ap.add_argument("--examples", type=int, default=2, help="statements shown per group (2)")
    ap.add_argument("--verbose", action="store_true", help="print each failure as it happens")
    ap.add_argument("--keep", action="store_true", help="keep the database directories")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args(argv)

    info = machine_info()
    rows, total_fail, groups = [], 0, Counter()
    for seed in range(args.seed, args.seed + args.seeds):
        with scratch_dir(f"fuzz-sql-{seed}", keep=args.keep) as work:
            report = sqlfuzz.run(args.statements, seed, work, timeout=args.timeout,
                                 reopen_every=args.reopen_every,
                                 say=print if args.verbose else None)
        print(report.summary(examples=args.examples))
        print()
        total_fail += len(report.failures)
        for (problem, _), fs in report.groups().items():
            groups[problem] += len(fs)
        rows.append([seed, f"{report.cases:,}", f"{report.ok:,}",
                     f"{sum(report.errors.values()):,} ({len(report.errors)} codes)",
                     len(report.failures), len(report.groups()), report.restarts,
                     report.reopens, fmt_s(report.elapsed), verdict(not report.failures)])
    text = md_table(["seed", "cases", "ok", "MySQL errors", "failures", "failure groups",
                     "child restarts", "reopen checks", "time", "verdict"], rows)
    kinds = ", ".join(f"{n} {k}" for k, n in groups.most_common()) or "none"
    print(text)
    print(f"\nfailures by kind: {kinds}")
    if not args.no_write:
        write_results("fuzz_sql", (
            "### SQL fuzzing (`python -m bench.fuzz_sql`)\n\n"
            "Generated and mutated MySQL statements (`tests/fuzz/sqlfuzz.py`), each run in a "
            "supervised child process; a failure is a crash, a hang (> "
            f"{args.timeout:g} s), an exception that is not a MySQL error, a failing "
            "statement that changed the visible state, or a database that does not reopen "
            "as committed (checked every "
            f"{args.reopen_every} cases and at the end).\n\n{text}\n\n"
            f"Failures by kind: {kinds}."), info)
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
