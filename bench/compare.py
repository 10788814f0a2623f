"""Before and after a change, in one sitting: every benchmark on a base revision and on the
working tree, alternately, and one table of both in RESULTS.md.

A change that must not cost speed (a refactoring, a seam) is judged against the code it
replaces measured on the same machine in the same hour, not against figures from another
day.  The base revision is checked out as a git worktree under ``bench/out/`` and each
benchmark runs there and here in turn (base first), each in its own process, with
``--no-write``; the table compares the same-run ratios each benchmark already reports (vs
SQLite or bare LMDB, so machine load cancels out to first order) and, for the console, its
absolute times.  A figure that is more than 5% worse is marked REGRESSION.

    python -m bench.compare --base 3498715 [--only sql_point,sql_scan] [--no-write]
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

from bench.common import OUT_DIR, REPO_DIR, machine_info, machine_line, md_table, write_results

BENCHMARKS = ["kv_commits", "kv_bulk", "kv_scan", "spill", "sql_commits", "sql_bulk",
              "sql_point", "sql_scan", "console_tui"]
EXTRA = {"spill": ["--rows", "2000000"]}
TOLERANCE = 0.05
# For each target: does a larger ratio mean better (commits/s vs SQLite) or worse (latency)?
HIGHER_IS_BETTER = ("commit",)


def _worktree(rev: str) -> str:
    path = os.path.join(OUT_DIR, f"base-{rev}")
    if not os.path.exists(path):
        subprocess.run(["git", "worktree", "add", "--detach", "-f", path, rev], cwd=REPO_DIR,
                       check=True, capture_output=True)
    return path


def _run(name: str, cwd: str) -> dict | None:
    fd, js = tempfile.mkstemp(prefix=f"{name}-", suffix=".json", dir=OUT_DIR)
    os.close(fd)
    cmd = [sys.executable, "-m", f"bench.{name}", *EXTRA.get(name, []), "--no-write",
           "--json", js]
    env = dict(os.environ, PYTHONPATH=cwd)  # the tree's own `core`, not the installed one
    try:
        rc = subprocess.run(cmd, cwd=cwd, env=env, check=False,
                            stdout=subprocess.DEVNULL).returncode
        if rc != 0:
            return None
        with open(js) as f:
            return json.load(f)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(js)


def _figures(name: str, res: dict) -> list[tuple[str, float, bool]]:
    """(what, value, higher_is_better) for one benchmark's summary."""
    if name == "console_tui":
        grid = res.get("grid", {})
        ready = res.get("ready", {})
        out = []
        for key in ("first_page", "page_p95"):
            if isinstance(grid.get(key), (int, float)):
                out.append((f"console: {key.replace('_', ' ')} (s)", grid[key], False))
        for key, value in sorted(ready.items()) if isinstance(ready, dict) else ():
            if isinstance(value, (int, float)):
                out.append((f"console: ready, {key} (s)", value, False))
        return out
    return [(t["name"], t["ratio"], any(w in t["name"] for w in HIGHER_IS_BETTER))
            for t in res.get("targets", [])]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--only", help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.only.split(",")] if args.only else BENCHMARKS
    os.makedirs(OUT_DIR, exist_ok=True)
    base_dir = _worktree(args.base)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=REPO_DIR, capture_output=True, text=True).stdout.strip()
    here = head + ("+changes" if dirty else "")
    info = machine_info()
    print(f"machine: {machine_line(info)}\nbase {args.base} vs {here}\n", flush=True)
    rows, regressions = [], 0
    for name in names:
        t0 = time.perf_counter()
        before = _run(name, base_dir)
        after = _run(name, REPO_DIR)
        print(f"=== {name}: {time.perf_counter() - t0:.0f} s", flush=True)
        if before is None or after is None:
            rows.append([name, "-", "-", "-", "-", "FAILED (before)" if before is None
                         else "FAILED (after)"])
            regressions += 1
            continue
        old = {w: (v, hib) for w, v, hib in _figures(name, before)}
        for what, value, hib in _figures(name, after):
            if what not in old:
                continue
            was = old[what][0]
            change = (value - was) / was if was else 0.0
            worse = -change if hib else change
            verdict = "REGRESSION" if worse > TOLERANCE else "ok"
            regressions += verdict != "ok"
            unit = "" if "(s)" in what else "x"
            rows.append([name, what, f"{was:.2f}{unit}", f"{value:.2f}{unit}",
                         f"{change * 100:+.1f}%", verdict])
    table = md_table(["benchmark", "what", f"before ({args.base})", f"after ({here})",
                      "change", "verdict"], rows)
    print(table)
    text = (
        f"### Before and after (`python -m bench.compare --base {args.base}`)\n\n"
        "Each benchmark ran on the base revision and on this tree in turn, in one sitting, "
        "each in its own process.  Ratios are the benchmarks' own same-run ratios (vs SQLite "
        "or bare LMDB; commits: higher is better, the rest: lower is better); the console's "
        f"figures are seconds.  More than {TOLERANCE:.0%} worse is a REGRESSION.\n\n"
        f"{table}\n\n{regressions} regression(s).\n"
    )
    if not args.no_write and set(names) == set(BENCHMARKS):
        write_results("compare", text, info)
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
