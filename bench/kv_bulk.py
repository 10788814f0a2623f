"""Bulk load in ONE transaction: N rows plus one secondary-index entry per row.

KintsugiDB::

    txn = eng.begin()
    for i in range(N):
        txn.put(sid, row_key(1, i), encode_row([i, name, qty, price, note]))
        txn.put(sid, index_key(1, 1, [qty], i), b"")
    txn.commit()          # <- "durable": the redo log is fdatasync'ed
    eng.flush()           # <- "applied": the rows are in the LMDB tablespace (checkpointed)

SQLite (WAL, synchronous=FULL): the same rows with ``executemany`` into a table with an
INTEGER PRIMARY KEY and a pre-created index on ``qty``, in one BEGIN ... COMMIT; "applied" is
a ``PRAGMA wal_checkpoint(TRUNCATE)`` afterwards (the WAL copied into the database file).

Both sides generate the rows in Python inside the timed region.  Each engine runs in its own
child process so that its peak RSS / RssAnon are its own (sampled every 50 ms from
/proc/self/status; VmRSS includes LMDB's file-backed mmap pages, RssAnon does not).

Target: KintsugiDB's time to durable commit <= 2x SQLite's time to COMMIT.

    python -m bench.kv_bulk [--rows 1000000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time

from bench.common import (
    INDEX_ID,
    SQLITE_TABLE,
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
    profile_report,
    reset_peak_rss,
    run_child,
    scratch_dir,
    sqlite_connect,
    verdict,
    write_results,
)


def kdb_child(path: str, rows: int, profile: bool) -> dict:
    from core.codec.keys import index_key, row_key
    from core.codec.rows import encode_row
    from core.events import FlushDone, MapGrown, TransactionSpilled

    events = {"spills": 0, "flushes": 0, "map_grown": 0}

    def sink(ev) -> None:
        if isinstance(ev, TransactionSpilled):
            events["spills"] += 1
        elif isinstance(ev, FlushDone):
            events["flushes"] += 1
        elif isinstance(ev, MapGrown):
            events["map_grown"] += 1

    eng = open_engine(path, sink=sink)
    sid = create_space(eng)
    prof = cProfile.Profile() if profile else None
    reset_peak_rss()
    with MemSampler() as ms:
        ms.set_phase("build")
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        txn = eng.begin()
        put = txn.put
        for i in range(rows):
            row = make_row(i)
            put(sid, row_key(TABLE_ID, i), encode_row(row))
            put(sid, index_key(TABLE_ID, INDEX_ID, [row[2]], i), b"")
        t_build = time.perf_counter()
        ms.set_phase("commit")
        txn.commit()
        t_commit = time.perf_counter()
        ms.set_phase("flush")
        eng.flush()
        t_flush = time.perf_counter()
        if prof:
            prof.disable()
    stored = eng.spaces[sid].entry_count()
    eng.close()
    if stored != 2 * rows:
        raise AssertionError(f"expected {2 * rows} entries in the tablespace, found {stored}")
    if prof:
        print("\n=== cProfile, KintsugiDB bulk load (build + commit + flush) ===")
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


def sqlite_child(path: str, rows: int, profile: bool) -> dict:
    os.makedirs(path, exist_ok=True)
    db = os.path.join(path, "bench.sqlite")
    conn = sqlite_connect(db)
    conn.execute(SQLITE_TABLE)
    conn.execute("CREATE INDEX t_qty ON t(qty)")
    prof = cProfile.Profile() if profile else None
    reset_peak_rss()
    with MemSampler() as ms:
        ms.set_phase("build")
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", (make_row(i) for i in range(rows)))
        t_build = time.perf_counter()
        ms.set_phase("commit")
        conn.execute("COMMIT")
        t_commit = time.perf_counter()
        ms.set_phase("flush")
        busy, _log, _ckpt = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        t_flush = time.perf_counter()
        if prof:
            prof.disable()
    stored = conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    conn.close()
    if stored != rows or busy:
        raise AssertionError(f"SQLite: {stored} rows (expected {rows}), checkpoint busy={busy}")
    if prof:
        print("\n=== cProfile, SQLite bulk load ===")
        print(profile_report([prof], limit=15))
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
    }


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser(
        prog="python -m bench.kv_bulk",
        description="Bulk put of N rows + 1 index entry each in one transaction: KintsugiDB "
        "vs SQLite (executemany, WAL, synchronous=FULL).",
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to load (1000000)")
    ap.add_argument("--profile", action="store_true",
                    help="run the KintsugiDB load under cProfile and print the top functions "
                    "(the figures then include profiler overhead)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--child", choices=["kdb", "sqlite"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        fn = kdb_child if args.child == "kdb" else sqlite_child
        dump_json(args.child_out, fn(args.dir, args.rows, args.profile))
        return None

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    res = {}
    with scratch_dir("kv_bulk", keep=args.keep) as root:
        for name in ("sqlite", "kdb"):
            child_args = ["--child", name, "--dir", os.path.join(root, name),
                          "--rows", str(args.rows)]
            if args.profile and name == "kdb":
                child_args.append("--profile")
            res[name] = r = run_child("bench.kv_bulk", child_args)
            print(f"  {name:6s}: build {fmt_s(r['build'])}, commit {fmt_s(r['commit'])}, "
                  f"applied after {fmt_s(r['applied'])}; peak RSS {mb(r['peak_rss'])}, "
                  f"peak RssAnon {mb(r['peak_anon'])}", flush=True)

    k, s = res["kdb"], res["sqlite"]
    ratio = k["durable"] / s["durable"]
    met = ratio <= 2.0
    n = args.rows
    table = md_table(
        ["engine", "build (puts / executemany)", "commit", "durable commit (total)",
         "applied to tablespace / DB file", "rows/s to durable", "peak RSS", "peak RssAnon",
         "on disk"],
        [
            ["KintsugiDB", fmt_s(k["build"]), fmt_s(k["commit"]), fmt_s(k["durable"]),
             fmt_s(k["applied"]) + f" (flush {fmt_s(k['flush'])})",
             f"{n / k['durable']:,.0f}", mb(k["peak_rss"]), mb(k["peak_anon"]), mb(k["disk"])],
            ["SQLite WAL FULL", fmt_s(s["build"]), fmt_s(s["commit"]), fmt_s(s["durable"]),
             fmt_s(s["applied"]) + f" (checkpoint {fmt_s(s['flush'])})",
             f"{n / s['durable']:,.0f}", mb(s["peak_rss"]), mb(s["peak_anon"]), mb(s["disk"])],
        ],
    )
    phases = md_table(
        ["engine", "phase", "peak RSS", "peak RssAnon", "peak RssFile"],
        [[name, ph, mb(p["VmRSS"]), mb(p["RssAnon"]), mb(p["RssFile"])]
         for name, r in (("KintsugiDB", k), ("SQLite", s))
         for ph, p in r["peaks"].items() if ph in ("build", "commit", "flush")],
    )
    lines = [
        f"- time to durable commit, KintsugiDB / SQLite = **{ratio:.2f}x** (target <= 2x): "
        f"**{verdict(met)}**",
        f"- time until applied (KintsugiDB flush / SQLite checkpoint): "
        f"{k['applied'] / s['applied']:.2f}x",
        f"- KintsugiDB transaction spilled {k['spills']} time(s) to its spill file "
        f"(spill_limit 256 MB), flushes {k['flushes']}, map growths {k['map_grown']}",
        "- peak RSS counts LMDB's file-backed mmap pages; RssAnon is the private heap only",
    ]
    text = (
        f"### Bulk load in one transaction (`python -m bench.kv_bulk --rows {n}`)\n\n"
        f"{n:,} rows (~100-byte values) + 1 secondary-index entry each, one transaction; "
        f"each engine in its own process; one run.\n\n{table}\n\n{phases}\n\n"
        + "\n".join(lines) + "\n"
    )
    print()
    print(table)
    print()
    print(phases)
    print("\n".join(lines))
    if not args.no_write:
        write_results("kv_bulk", text, info)
    summary = {
        "benchmark": "kv_bulk",
        "targets": [{"name": f"bulk load of {n:,} rows + index vs SQLite", "ratio": ratio,
                     "target": "<= 2x", "met": met}],
        "kdb": k, "sqlite": s,
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
