"""Crash recovery at growing log sizes: is it linear, and is its memory bounded?

For each size N (default 100k, 1M and 5M row operations), `bench.recovery_apply`'s builder
commits N ~100-byte rows with no flusher and is SIGKILLed, so all N live only in the redo
log; then `core.api.recover(DIR)` runs in a fresh process that reports its wall time, the
number of apply batches and its peak RSS (VmHWM from /proc/self/status, which includes the
interpreter, ~30 MB, and LMDB pages it has mapped).

Targets: time per record at the largest size within 1.25x of that at 1M (linear), and peak
RSS under 300 MB at 5M records (bounded batches).

    python -m bench.recovery_scale [--sizes 100000,1000000,5000000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys

from bench.common import fmt_rate, fmt_s, mb, md_table, scratch_dir, verdict
from bench.recovery_apply import build_crashed, publish, run_child

RSS_TARGET = 300 * 1024 * 1024
LINEAR_TARGET = 1.25


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recovery_scale",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000,5000000",
                    help="comma-separated record counts (100000,1000000,5000000)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with scratch_dir("recovery_scale", keep=args.keep) as d:
        for n in sizes:
            path = os.path.join(d, f"n{n}")
            built = build_crashed(path, n)
            res = run_child("recover", path)
            res["records"], res["built"] = n, built
            results.append(res)
            print(f"{n:,} records: built {fmt_s(built)}, recovered {fmt_s(res['seconds'])}, "
                  f"peak RSS {mb(res['peak_rss'])}, {res['batches']} batches", flush=True)
            if not args.keep:
                import shutil

                shutil.rmtree(path)
    per = {r["records"]: r["seconds"] / r["records"] for r in results}
    ref = 1_000_000 if 1_000_000 in per else sizes[0]
    largest = results[-1]
    linear = per[largest["records"]] / per[ref]
    linear_ok = linear <= LINEAR_TARGET
    rss_ok = largest["peak_rss"] < RSS_TARGET
    rows = [[f"{r['records']:,}", fmt_s(r["seconds"]), fmt_rate(r["records"] / r["seconds"]),
             f"{r['seconds'] / r['records'] * 1e6:.2f} µs", f"{per[r['records']] / per[ref]:.2f}x",
             r["batches"], mb(r["peak_rss"]), fmt_s(r["built"])] for r in results]
    text = (
        "### Recovery at scale (`python -m bench.recovery_scale --sizes "
        f"{args.sizes}`)\n\n"
        "N committed row operations (~100-byte rows, 10,000 per transaction) only in the redo "
        "log (writer without flusher, SIGKILLed); `core.api.recover` in a fresh process; peak "
        "RSS is that process's VmHWM (interpreter included).\n\n"
        + md_table(["records", "recovery", "records/s", "per record", f"vs {ref:,}",
                    "apply batches", "peak RSS", "build (not timed)"], rows)
        + f"\n\n- time per record at {largest['records']:,} / at {ref:,} = **{linear:.2f}x** "
        f"(target <= {LINEAR_TARGET}x, linear): **{verdict(linear_ok)}**\n"
        f"- peak RSS at {largest['records']:,} records = **{mb(largest['peak_rss'])}** "
        f"(target < 300 MB{'' if largest['records'] >= 5_000_000 else ' at 5M; measured at '}"
        f"{'' if largest['records'] >= 5_000_000 else format(largest['records'], ',')}): "
        f"**{verdict(rss_ok)}**\n")
    publish("recovery_scale", text, args, [
        {"name": f"recovery time per record, {largest['records']:,} vs {ref:,}",
         "target": f"<= {LINEAR_TARGET}x", "ratio": linear, "met": linear_ok},
        {"name": f"recovery peak RSS at {largest['records']:,} records (vs 300 MB)",
         "target": "< 1.0x", "ratio": largest["peak_rss"] / RSS_TARGET, "met": rss_ok}])
    return 0


if __name__ == "__main__":
    sys.exit(main())
