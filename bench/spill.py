"""Memory of one huge transaction: N rows (default 10M) written in ONE transaction, then
COMMIT, then (unless ``--no-flush``) ``eng.flush()`` applying it to the tablespace.

A transaction buffers its writes in memory until ``spill_limit`` (256 MB of estimated
buffer) and then spills them to a private LMDB file (``#spill/trx-<id>.kdb``), logging them
to the redo log as it goes; so its memory should stay bounded whatever its size.

A thread samples /proc/self/status every 50 ms and keeps the peaks, per phase, of
``VmRSS`` (resident: private memory *plus* file-backed pages mapped by this process, which
includes every page of the LMDB spill file and tablespace the process has touched through
LMDB's read-only mmap -- page cache the kernel can drop) and ``RssAnon`` (private heap
only: Python objects, LMDB's dirty-page buffers, log buffers).

Target: the transaction (writes + COMMIT) stays under 1 GB resident (peak VmRSS).

    python -m bench.spill [--rows 10000000] [--no-flush]

The default size takes about a minute on a fast disk (more on a slow one);
``python -m bench.run_all`` runs it with 2M rows.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.common import (
    TABLE_ID,
    MemSampler,
    create_space,
    dir_size,
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    make_row,
    mb,
    md_table,
    open_engine,
    reset_peak_rss,
    scratch_dir,
    verdict,
    write_results,
)

GB = 1 << 30


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.spill",
        description="Peak RSS / RssAnon of one transaction writing N rows (spills to disk).",
    )
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows (10000000)")
    ap.add_argument("--no-flush", action="store_true",
                    help="stop after COMMIT (do not time/measure eng.flush())")
    ap.add_argument("--interval", type=float, default=0.05, help="sampling period, s (0.05)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    from core.codec.keys import row_key
    from core.codec.rows import encode_row
    from core.events import FlushDone, MapGrown, TransactionSpilled

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    n = args.rows
    events = {"spills": 0, "flushes": 0, "map_grown": 0}

    def sink(ev) -> None:
        if isinstance(ev, TransactionSpilled):
            events["spills"] += 1
        elif isinstance(ev, FlushDone):
            events["flushes"] += 1
        elif isinstance(ev, MapGrown):
            events["map_grown"] += 1

    times: dict[str, float] = {}
    spill_bytes = 0
    with scratch_dir("spill", keep=args.keep) as root:
        path = os.path.join(root, "db")
        eng = open_engine(path, sink=sink)
        try:
            sid = create_space(eng)
            reset_peak_rss()
            with MemSampler(args.interval) as ms:
                ms.set_phase("write")
                t0 = time.perf_counter()
                txn = eng.begin()
                put = txn.put
                report_every = max(1, n // 10)
                for i in range(n):
                    put(sid, row_key(TABLE_ID, i), encode_row(make_row(i)))
                    if (i + 1) % report_every == 0:
                        print(f"  {i + 1:>12,} rows  {fmt_s(time.perf_counter() - t0):>8}  "
                              f"RSS peak {mb(ms.peak('VmRSS'))}, RssAnon peak "
                              f"{mb(ms.peak('RssAnon'))}, spills {events['spills']}",
                              flush=True)
                t1 = time.perf_counter()
                spill_bytes = dir_size(eng.spill_dir)
                ms.set_phase("commit")
                txn.commit()
                t2 = time.perf_counter()
                times.update(write=t1 - t0, commit=t2 - t1, durable=t2 - t0)
                print(f"  committed after {fmt_s(t2 - t0)}", flush=True)
                if not args.no_flush:
                    ms.set_phase("flush")
                    eng.flush()
                    t3 = time.perf_counter()
                    times.update(flush=t3 - t2, applied=t3 - t0)
                    print(f"  flushed after {fmt_s(t3 - t0)}", flush=True)
                ms.set_phase("end")
            if not args.no_flush:
                stored = eng.spaces[sid].entry_count()
                if stored != n:
                    raise AssertionError(f"expected {n} rows in the tablespace, found {stored}")
            log_bytes = dir_size(eng.redo_dir)
            ts_bytes = os.path.getsize(eng.spaces[sid].path)
        finally:
            eng.close()

    phases = ["write", "commit"] + ([] if args.no_flush else ["flush"])
    txn_rss = max(ms.peak("VmRSS", p) for p in ("write", "commit"))
    txn_anon = max(ms.peak("RssAnon", p) for p in ("write", "commit"))
    met = txn_rss < GB
    rows = []
    for p in phases:
        rows.append([p, fmt_s(times[p]), mb(ms.peak("VmRSS", p)), mb(ms.peak("RssAnon", p)),
                     mb(ms.peak("RssFile", p))])
    table = md_table(["phase", "time", "peak VmRSS", "peak RssAnon", "peak RssFile"], rows)
    lines = [
        f"- the transaction (writes + COMMIT): peak RSS **{mb(txn_rss)}**, peak RssAnon "
        f"**{mb(txn_anon)}** (target < 1 GB resident): **{verdict(met)}** "
        f"({txn_rss / GB:.2f}x the 1 GB budget)",
        f"- whole run incl. flush: peak RSS {mb(ms.peak('VmRSS'))}, peak RssAnon "
        f"{mb(ms.peak('RssAnon'))}, peak RssFile {mb(ms.peak('RssFile'))}",
        f"- {events['spills']} spill(s); spill file {mb(spill_bytes)} before COMMIT, redo log "
        f"{mb(log_bytes)} at the end, tablespace file {mb(ts_bytes)}; durable after "
        f"{fmt_s(times['durable'])} ({n / times['durable']:,.0f} rows/s)",
        "- VmRSS includes LMDB's file-backed mmap pages (spill file and tablespace read "
        "through the read-only map: reclaimable page cache); RssAnon is private memory only",
    ]
    text = (
        f"### One transaction of {n:,} rows (`python -m bench.spill --rows {n}`)\n\n"
        f"~100-byte rows, one transaction, default spill_limit (256 MB); /proc/self/status "
        f"sampled every {args.interval * 1000:.0f} ms.\n\n{table}\n\n" + "\n".join(lines) + "\n"
    )
    print()
    print(table)
    print("\n".join(lines))
    if not args.no_write:
        write_results("spill", text, info)
    summary = {
        "benchmark": "spill",
        "targets": [{"name": f"one {n:,}-row transaction under 1 GB resident",
                     "ratio": txn_rss / GB, "target": "< 1 GB (ratio < 1.0)", "met": met}],
        "times": times, "peaks": ms.peaks, **events,
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
