"""The sqllogictest corpus as engine ``mysql``: how many records of each file pass.

Issue 15 asks for the public sqllogictest files in ``../shared/sqllogictest/`` to run
against the engine and for the counts per file to be recorded: this script runs every file
(or the ones named) in full with the runner of ``tests/sqllogic/runner.py`` (each file on a
fresh database, in a worker process of its own, ``--jobs`` files at a time), prints a table
per file and writes the ``sqllogictest`` section of bench/RESULTS.md.  ``--update-baseline``
also writes ``tests/sqllogic/baseline.json``, the pass counts the CI test
(``tests/sqllogic/test_sqllogictest.py``) must not fall below: the full run's count per file
and, derived from the same run, the count of the CI's sample (every `runner.CI_EVERY`-th
query, less the queries that timed out here, which are listed; queries change no data, so a
sampled record fares as it did in the full run).  Regenerating the baseline after an engine
change is one command:

    python -m bench.sqllogictest --update-baseline

    python -m bench.sqllogictest [--files select1 select4 ...] [--budget 2] [--grace 5]
                                 [--wall 1200] [--jobs 2] [--every 1] [--failures 3]
                                 [--update-baseline] [--no-write] [--json PATH] [--note TEXT]

Counts: *records* are the file's statements and queries (up to a ``halt`` that applies to
mysql), *skipped* those marked ``skipif mysql`` or ``onlyif`` another engine, *timed out*
those cancelled at the per-statement budget or never reached before the file's wall-clock
limit; % is passed / (records - skipped).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time

from bench.common import code_version, machine_info, machine_line, md_table, write_results
from tests.sqllogic import runner

MODULE = "bench.sqllogictest"


def resolve(names: list[str] | None, directory: str) -> list[str]:
    """Corpus paths for `names` (a path, a file name, or a name without ``.test``); every
    file of the corpus when None."""
    if not names:
        return runner.corpus_files(directory)
    out = []
    for n in names:
        if os.path.isfile(n):
            out.append(n)
            continue
        p = os.path.join(directory, n if n.endswith(".test") else n + ".test")
        if not os.path.isfile(p):
            raise SystemExit(f"no such corpus file: {p}")
        out.append(p)
    return out


def _row(r: runner.FileResult) -> list[object]:
    notes = []
    if r.halted_at is not None:
        notes.append(f"halt at line {r.halted_at}")
    if r.restarts:
        notes.append(f"{r.restarts} stalled cancel(s)")
    if r.killed:
        notes.append("wall limit hit")
    if r.errors:
        notes.append(f"{len(r.errors)} worker error(s)")
    return [r.name, f"{r.records:,}", f"{r.passed:,}", f"{r.failed:,}", f"{r.skipped:,}",
            f"{r.timed_out:,}", f"{r.percent:.1f}%", f"{r.seconds:.1f}",
            "; ".join(notes)]


HEADERS = ["file", "records", "passed", "failed", "skipped", "timed out", "%", "seconds",
           "notes"]


def table(results: list[runner.FileResult]) -> str:
    rows = [_row(r) for r in results]
    tot = runner.FileResult(name="**total**")
    for r in results:
        tot.records += r.records
        tot.passed += r.passed
        tot.failed += r.failed
        tot.skipped += r.skipped
        tot.timed_out += r.timed_out
        tot.seconds += r.seconds
    rows.append(_row(tot)[:-1] + [""])
    return md_table(HEADERS, rows)


def failure_summary(results: list[runner.FileResult], per_file: int = 4) -> str:
    """The commonest failure kinds (or error messages) per file, with their counts."""
    lines = []
    for r in results:
        if not r.failure_tags and not r.timed_out:
            continue
        tags = sorted(r.failure_tags.items(), key=lambda kv: -kv[1])[:per_file]
        parts = [f"{n:,} × {t}" for t, n in tags]
        if r.timed_out:
            parts.append(f"{r.timed_out:,} timed out (first at lines "
                         f"{', '.join(map(str, r.timeouts[:5]))})")
        lines.append(f"- `{r.name}`: " + "; ".join(f"`{p}`" if "×" in p else p
                                                  for p in parts))
    return "\n".join(lines)


def update_baseline(results: list[runner.FileResult], paths: dict[str, str],
                    args: argparse.Namespace) -> str:
    """Merge this run's counts into tests/sqllogic/baseline.json (files not run keep theirs)
    and return the path written."""
    data = runner.load_baseline()
    full = data.setdefault("full", {})
    sample = data.setdefault("sample", {})
    if sample.get("every") != runner.CI_EVERY:
        sample.clear()
    sample["every"] = runner.CI_EVERY
    counts = sample.setdefault("counts", {})
    excluded = sample.setdefault("excluded", {})
    for r in results:
        if r.every != 1:
            continue  # only a full run gives both baselines
        path = paths[r.name]
        full[r.name] = r.passed
        excluded[r.name] = runner.timed_out_queries(path, r)
        counts[r.name] = runner.sample_passed(path, r, runner.CI_EVERY,
                                              exclude=excluded[r.name])
    data["engine"] = runner.DEFAULT_ENGINE
    data["budget_seconds"] = args.budget
    data["updated"] = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    data["code"] = code_version()
    data["how"] = ("python -m bench.sqllogictest --update-baseline (full run; the sample's "
                   "counts are derived from it)")
    runner.save_baseline(data)
    return runner.BASELINE_PATH


def main(argv: list[str] | None = None) -> list[runner.FileResult]:
    ap = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description="Run the sqllogictest corpus as engine mysql and count passes per file.")
    ap.add_argument("--files", nargs="*", help="corpus files to run (names, with or without "
                    ".test, or paths); default: every file")
    ap.add_argument("--dir", default=None, help="the corpus directory (default: "
                    "$KINTSUGI_SLT_DIR, else ../shared/sqllogictest)")
    ap.add_argument("--budget", type=float, default=runner.DEFAULT_BUDGET,
                    help="seconds per statement before it is cancelled (%(default)s)")
    ap.add_argument("--grace", type=float, default=runner.DEFAULT_GRACE,
                    help="seconds a cancelled statement may take to stop before its worker "
                    "is replaced (%(default)s)")
    ap.add_argument("--wall", type=float, default=runner.DEFAULT_WALL,
                    help="seconds per file; the rest counts as timed out (%(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="files at a time (%(default)s)")
    ap.add_argument("--every", type=int, default=1,
                    help="run every n-th query only (1: all, the default; "
                    f"{runner.CI_EVERY}: the CI's sample)")
    ap.add_argument("--failures", type=int, default=3,
                    help="failures to print per file (%(default)s)")
    ap.add_argument("--update-baseline", action="store_true",
                    help="write tests/sqllogic/baseline.json from this run")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write every file's result (JSON) to this path")
    ap.add_argument("--note", default="", help="a line for RESULTS.md")
    args = ap.parse_args(argv)

    directory = args.dir or runner.corpus_dir()
    paths = resolve(args.files, directory)
    if not paths:
        raise SystemExit(f"no .test files in {directory}")
    info = machine_info()
    print(f"machine: {machine_line(info)}", flush=True)
    print(f"{len(paths)} files from {directory}; budget {args.budget} s per statement, "
          f"{args.jobs} at a time, every {args.every} query", flush=True)

    def progress(r: runner.FileResult) -> None:
        print(f"  {r.name:40s} {r.passed:>6,} / {r.records:<6,} passed, {r.failed:,} failed, "
              f"{r.skipped:,} skipped, {r.timed_out:,} timed out  ({r.seconds:.1f} s)",
              flush=True)
        for text in runner.iter_failures(r, args.failures):
            print("    " + text.replace("\n", "\n    "), flush=True)

    t0 = time.monotonic()
    load_before = os.getloadavg()[0]
    results = runner.run_files(paths, jobs=args.jobs, progress=progress, engine="mysql",
                               every=args.every, budget=args.budget, grace=args.grace,
                               wall=args.wall)
    wall = time.monotonic() - t0
    text_table = table(results)
    print()
    print(text_table)
    print(f"\nwall time {wall:.0f} s with {args.jobs} jobs")

    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.to_json() for r in results], f, indent=1)
    if args.update_baseline:
        if args.every != 1:
            raise SystemExit("--update-baseline needs a full run (--every 1)")
        written = update_baseline(results, {os.path.basename(p): p for p in paths}, args)
        print(f"baseline written to {written}")
    if not args.no_write:
        sample = "" if args.every == 1 else f", every {args.every}-th query only (a sample)"
        body = [
            f"### sqllogictest as engine mysql (`python -m {MODULE}`)",
            "",
            f"Every file of `../shared/sqllogictest/` ({len(paths)} files{sample}), each on a "
            f"fresh database in its own worker process, {args.jobs} at a time; a statement "
            f"is cancelled after {args.budget:g} s (timed out), a file stops after "
            f"{args.wall:g} s. Wall time {wall:.0f} s (load average {load_before:.1f} at the "
            "start). % is passed / (records - skipped). The runner and its rules: "
            "`tests/sqllogic/runner.py`; the CI test `tests/sqllogic/test_sqllogictest.py` "
            "fails below `tests/sqllogic/baseline.json`.",
        ]
        if args.note:
            body += ["", args.note]
        body += ["", text_table]
        summary = failure_summary(results)
        if summary:
            body += ["", "What fails (the commonest kinds per file):", "", summary]
        write_results("sqllogictest", "\n".join(body), info)
        print("bench/RESULTS.md updated (section sqllogictest)")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
