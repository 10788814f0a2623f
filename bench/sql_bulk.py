"""Bulk load through SQL in ONE transaction: N rows into a table with one secondary index.

KintsugiDB (``core.connect(path, autocommit=False)``, table ``t (id BIGINT PRIMARY KEY,
name VARCHAR(32), qty INT, price DOUBLE, note VARCHAR(100), KEY t_qty (qty))``), two ways:

* ``executemany``: ``cur.executemany("INSERT INTO t VALUES (%s,%s,%s,%s,%s)", rows)``;
* ``multirow``: ``cur.execute("INSERT INTO t VALUES (%s,...),(%s,...),...", flat_params)``
  with ``--chunk`` rows (1000) per statement;

then ``conn.commit()`` ("durable": the redo log is fdatasync'ed) and ``conn._engine.flush()``
("applied": everything is in the LMDB tablespace).

SQLite (WAL, synchronous=FULL): the same rows with ``executemany`` into a table with an
INTEGER PRIMARY KEY and a pre-created index on ``qty``, one BEGIN ... COMMIT; "applied" is a
``PRAGMA wal_checkpoint(TRUNCATE)`` afterwards.

Both sides generate their rows in Python inside the timed region.  Each load runs in its own
child process so that its peak RSS / RssAnon are its own (sampled every 50 ms from
/proc/self/status).  One run per load by default (``--repeat`` for the median of more).

Target: KintsugiDB's time to durable commit <= 2x SQLite's (the faster KintsugiDB way
counts).

    python -m bench.sql_bulk [--rows 1000000] [--modes executemany,multirow] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time

from bench.common import (
    MemSampler,
    dir_size,
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    make_row,
    mb,
    md_table,
    median,
    profile_report,
    reset_peak_rss,
    run_child,
    scratch_dir,
    verdict,
    write_results,
)
from bench.kv_bulk import sqlite_child

MODES = ("executemany", "multirow")
KDB_TABLE = ("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, "
             "note VARCHAR(100), KEY t_qty (qty))")
KDB_INSERT = "INSERT INTO t VALUES (%s,%s,%s,%s,%s)"


def kdb_child(path: str, rows: int, mode: str, chunk: int, profile: bool) -> dict:
    import core
    from core.events import FlushDone, TransactionSpilled

    events = {"spills": 0, "flushes": 0}

    def sink(ev) -> None:
        if isinstance(ev, TransactionSpilled):
            events["spills"] += 1
        elif isinstance(ev, FlushDone):
            events["flushes"] += 1

    conn = core.connect(path, create=True, autocommit=False, sink=sink)
    cur = conn.cursor()
    cur.execute(KDB_TABLE)
    conn.commit()
    multi_sql = "INSERT INTO t VALUES " + ",".join(["(%s,%s,%s,%s,%s)"] * chunk)
    prof = cProfile.Profile() if profile else None
    reset_peak_rss()
    with MemSampler() as ms:
        ms.set_phase("build")
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        if mode == "executemany":
            cur.executemany(KDB_INSERT, (make_row(i) for i in range(rows)))
        else:
            for start in range(0, rows, chunk):
                end = min(rows, start + chunk)
                params = [v for i in range(start, end) for v in make_row(i)]
                sql = multi_sql if end - start == chunk else \
                    "INSERT INTO t VALUES " + ",".join(["(%s,%s,%s,%s,%s)"] * (end - start))
                cur.execute(sql, params)
        t_build = time.perf_counter()
        ms.set_phase("commit")
        conn.commit()
        t_commit = time.perf_counter()
        ms.set_phase("flush")
        conn._engine.flush()
        t_flush = time.perf_counter()
        if prof:
            prof.disable()
    conn.autocommit = True
    cur.execute("SELECT COUNT(*) FROM t")
    stored = cur.fetchone()[0]
    cur.execute("SELECT COUNT(*) FROM t WHERE qty = 7")
    by_index = cur.fetchone()[0]
    conn.close()
    want7 = sum(1 for i in range(rows) if make_row(i)[2] == 7)
    if stored != rows or by_index != want7:
        raise AssertionError(f"KintsugiDB: {stored} rows (expected {rows}), {by_index} with "
                             f"qty = 7 (expected {want7})")
    if prof:
        print(f"\n=== cProfile, KintsugiDB SQL bulk load ({mode}; build + commit + flush) ===")
        print(profile_report([prof], limit=30))
    return {
        "build": t_build - t0,
        "commit": t_commit - t_build,
        "durable": t_commit - t0,
        "applied": t_flush - t0,
        "flush": t_flush - t_commit,
        "peak_rss": ms.peak("VmRSS"),
        "peak_anon": ms.peak("RssAnon"),
        "peaks": ms.peaks,
        "disk": dir_size(path),
        **events,
    }


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser(
        prog="python -m bench.sql_bulk",
        description="Bulk load of N rows into a table with one secondary index, in one "
        "transaction, through SQL: KintsugiDB (executemany / multi-row INSERT) vs SQLite "
        "(executemany, WAL, synchronous=FULL).",
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to load (1000000)")
    ap.add_argument("--modes", default=",".join(MODES),
                    help="KintsugiDB load modes, comma-separated (executemany,multirow)")
    ap.add_argument("--chunk", type=int, default=1000,
                    help="rows per multi-row INSERT statement (1000)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of each load, interleaved; medians (1)")
    ap.add_argument("--profile", action="store_true",
                    help="run the KintsugiDB loads under cProfile and print the top functions "
                    "(the figures then include profiler overhead)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--child", choices=["kdb", "sqlite"], help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=MODES, default="executemany", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child == "kdb":
        dump_json(args.child_out,
                  kdb_child(args.dir, args.rows, args.mode, args.chunk, args.profile))
        return None
    if args.child == "sqlite":
        dump_json(args.child_out, sqlite_child(args.dir, args.rows, False))
        return None

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - set(MODES):
        ap.error(f"--modes: choose from {', '.join(MODES)}")
    info = machine_info()
    print(f"machine: {machine_line(info)}")
    loads = ["sqlite"] + modes
    runs: dict[str, list[dict]] = {name: [] for name in loads}
    with scratch_dir("sql_bulk", keep=args.keep) as root:
        for r in range(args.repeat):
            for name in loads:
                d = os.path.join(root, f"{name}-{r}")
                if name == "sqlite":
                    child_args = ["--child", "sqlite"]
                else:
                    child_args = ["--child", "kdb", "--mode", name, "--chunk", str(args.chunk)]
                    if args.profile:
                        child_args.append("--profile")
                child_args += ["--dir", d, "--rows", str(args.rows)]
                res = run_child("bench.sql_bulk", child_args)
                runs[name].append(res)
                print(f"  run {r + 1}: {name:11s}: build {fmt_s(res['build'])}, commit "
                      f"{fmt_s(res['commit'])}, applied after {fmt_s(res['applied'])}; peak "
                      f"RSS {mb(res['peak_rss'])}, peak RssAnon {mb(res['peak_anon'])}",
                      flush=True)

    def med(name: str, key: str) -> float:
        return median([x[key] for x in runs[name]])

    def last(name: str) -> dict:
        return runs[name][-1]

    n = args.rows
    s_durable = med("sqlite", "durable")
    labels = {"sqlite": "SQLite WAL FULL, executemany",
              "executemany": "KintsugiDB, executemany",
              "multirow": f"KintsugiDB, multi-row INSERT ({args.chunk} rows/statement)"}
    rows = []
    for name in loads:
        extra = "checkpoint" if name == "sqlite" else "flush"
        rows.append([
            labels[name], fmt_s(med(name, "build")), fmt_s(med(name, "commit")),
            fmt_s(med(name, "durable")),
            fmt_s(med(name, "applied")) + f" ({extra} {fmt_s(med(name, 'flush'))})",
            f"{n / med(name, 'durable'):,.0f}", f"{med(name, 'durable') / s_durable:.2f}x",
            mb(last(name)["peak_rss"]), mb(last(name)["peak_anon"]), mb(last(name)["disk"]),
        ])
    table = md_table(
        ["load", "build (statements)", "commit", "durable commit (total)",
         "applied to tablespace / DB file", "rows/s to durable", "vs SQLite", "peak RSS",
         "peak RssAnon", "on disk"],
        rows,
    )
    best = min(modes, key=lambda m: med(m, "durable"))
    ratio = med(best, "durable") / s_durable
    met = ratio <= 2.0
    lines = [
        f"- time to durable commit, best KintsugiDB way ({best}) / SQLite = **{ratio:.2f}x** "
        f"(target <= 2x): **{verdict(met)}**",
    ]
    for m in modes:
        if m != best:
            lines.append(f"- {m}: {med(m, 'durable') / s_durable:.2f}x SQLite's time")
    for m in modes:
        k = last(m)
        lines.append(f"- {m}: the transaction spilled {k['spills']} time(s) (spill_limit "
                     f"256 MB), {k['flushes']} flush(es)")
    lines.append("- peak RSS counts LMDB's file-backed mmap pages; RssAnon is the private "
                 "heap only")
    runs_word = "one run" if args.repeat == 1 else f"median of {args.repeat} interleaved runs"
    text = (
        f"### Bulk load through SQL in one transaction (`python -m bench.sql_bulk --rows {n}`)"
        f"\n\n{n:,} rows (~100 bytes) into a table with an integer primary key and one "
        f"secondary index (on `qty`), one transaction, rows generated in Python inside the "
        f"timed region; each load in its own process; {runs_word}.\n\n{table}\n\n"
        + "\n".join(lines) + "\n"
    )
    print()
    print(table)
    print("\n".join(lines))
    if not args.no_write:
        write_results("sql_bulk", text, info)
    summary = {
        "benchmark": "sql_bulk",
        "targets": [{"name": f"SQL bulk load of {n:,} rows + index vs SQLite ({best})",
                     "ratio": ratio, "target": "<= 2x", "met": met}],
        "durable_s": {name: med(name, "durable") for name in loads},
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
