"""Run every benchmark at its default size and update bench/RESULTS.md.

Each benchmark runs in its own Python process (clean memory figures, no state carried over)
and writes its own section of RESULTS.md; this script then writes a ``summary`` section
listing every target, met or MISSED.  The spill benchmark runs with 2M rows unless
``--full-spill`` (10M rows, a few minutes).

    python -m bench.run_all [--full-spill] [--only kv_commits,kv_scan] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

from bench.common import (
    OUT_DIR,
    REPO_DIR,
    machine_info,
    machine_line,
    md_table,
    verdict,
    write_results,
)

BENCHMARKS = ["kv_commits", "kv_bulk", "kv_scan", "spill",
              "sql_commits", "sql_bulk", "sql_point", "sql_scan",
              "recovery_apply", "recovery_scale", "recovery_console", "recovery_torture",
              "admin_index", "ddl_online", "recover_table"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.run_all",
        description="Run kv_commits, kv_bulk, kv_scan, spill and the SQL benchmarks (sql_commits, "
        "sql_bulk, sql_point, sql_scan) and the recovery ones (recovery_apply, recovery_scale, "
        "recovery_console, recovery_torture at 100 kills) and the index-consistency one "
        "(admin_index), the online-DDL one (ddl_online) and RECOVER TABLE's (recover_table); "
        "write bench/RESULTS.md.",
    )
    ap.add_argument("--full-spill", action="store_true",
                    help="run the spill benchmark at its full 10M rows (default: 2M)")
    ap.add_argument("--only", help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    ap.add_argument("--profile", action="store_true",
                    help="pass --profile to the benchmarks that have it")
    args = ap.parse_args(argv)

    names = BENCHMARKS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = set(names) - set(BENCHMARKS)
        if unknown:
            ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    info = machine_info()
    print(f"machine: {machine_line(info)}\n")
    os.makedirs(OUT_DIR, exist_ok=True)
    results: list[dict] = []
    failed: list[str] = []
    for name in names:
        extra: list[str] = []
        if name == "spill" and not args.full_spill:
            extra += ["--rows", "2000000"]
        if name == "recovery_torture":  # the 500-kill run takes ~15 min: run it alone;
            extra += ["--kills", "100", "--no-write"]  # this short one keeps its section
        if args.profile and name not in ("spill",) and not name.startswith("recovery_"):
            extra.append("--profile")
        fd, js = tempfile.mkstemp(prefix=f"{name}-", suffix=".json", dir=OUT_DIR)
        os.close(fd)
        cmd = [sys.executable, "-m", f"bench.{name}", *extra, "--json", js]
        print(f"=== {' '.join(cmd[1:-2])}", flush=True)
        t0 = time.perf_counter()
        try:
            rc = subprocess.run(cmd, cwd=REPO_DIR, check=False).returncode
            if rc == 0:
                with open(js) as f:
                    res = json.load(f)
                res["wall"] = time.perf_counter() - t0
                results.append(res)
            else:
                failed.append(f"{name} (exit code {rc})")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(js)
        print(f"=== {name}: {time.perf_counter() - t0:.1f} s\n", flush=True)

    rows = []
    for res in results:
        for t in res["targets"]:
            rows.append([res["benchmark"], t["name"], t["target"], f"{t['ratio']:.2f}x",
                         verdict(t["met"]), f"{res['wall']:.0f} s"])
    for f in failed:
        rows.append([f, "-", "-", "-", "FAILED", "-"])
    table = md_table(["benchmark", "what", "target", "measured", "verdict", "wall time"], rows)
    missed = sum(1 for r in rows if r[4] != "target met")
    text = (
        "### Summary (`python -m bench.run_all`)\n\n"
        f"{table}\n\n"
        f"{len(rows) - missed} of {len(rows)} targets met.\n"
    )
    print(table)
    print(f"\n{len(rows) - missed} of {len(rows)} targets met.")
    if results and set(names) == set(BENCHMARKS):
        write_results("summary", text, info, top=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
