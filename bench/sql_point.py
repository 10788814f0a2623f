"""Point SELECT by primary key through the SQL API: KintsugiDB vs SQLite.

After loading N rows (default 1M, flushed to the tablespace; see `bench.sql_scan` for the
table and the loader), each variant looks up the same ``--lookups`` random ids, one
statement each, and fetches the row:

* KintsugiDB: ``cur.execute("SELECT * FROM t WHERE id = %s", (i,)); cur.fetchone()`` on an
  autocommit connection (each statement takes its own snapshot);
* SQLite (WAL): ``conn.execute("SELECT * FROM t WHERE id = ?", (i,)).fetchone()``;
* for information: KintsugiDB inside one open transaction (autocommit off: the snapshot is
  taken once), and the engine's floor without SQL: ``snap.get(table_id, row_key(table_id,
  i))`` + ``decode_row`` on one snapshot.

Every returned row is checked against the expected one.  Variants are interleaved
``--repeat`` times; the median of the runs' mean latencies is reported, with p50/p99 of the
individual calls.

Target: KintsugiDB's mean latency <= 3x SQLite's.

    python -m bench.sql_point [--rows 1000000] [--lookups 20000] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import time

from bench.common import (
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    make_row,
    md_table,
    median,
    percentile,
    profile_report,
    scratch_dir,
    verdict,
    write_results,
)
from bench.sql_scan import kdb_create, kdb_load, sqlite_load

KDB_SQL = "SELECT * FROM t WHERE id = %s"
SQLITE_SQL = "SELECT * FROM t WHERE id = ?"


def _timed(ids, lookup) -> tuple[list[float], list]:
    perf = time.perf_counter
    lats = []
    got = []
    for i in ids:
        t0 = perf()
        row = lookup(i)
        lats.append(perf() - t0)
        got.append(row)
    return lats, got


def kdb_autocommit(conn, ids):
    cur = conn.cursor()
    execute, fetchone = cur.execute, cur.fetchone

    def lookup(i):
        execute(KDB_SQL, (i,))
        return fetchone()

    return _timed(ids, lookup)


def kdb_in_txn(path, ids):
    import core

    conn = core.connect(path, autocommit=False)  # shares the open engine
    try:
        cur = conn.cursor()
        execute, fetchone = cur.execute, cur.fetchone

        def lookup(i):
            execute(KDB_SQL, (i,))
            return fetchone()

        out = _timed(ids, lookup)
        conn.commit()
    finally:
        conn.close()
    return out


def kdb_kv(eng, tid, ids):
    from core.codec import decode_row, row_key

    with eng.snapshot() as snap:
        get = snap.get

        def lookup(i):
            v = get(tid, row_key(tid, i))
            return None if v is None else tuple(decode_row(v))

        return _timed(ids, lookup)


def sqlite_point(sconn, ids):
    execute = sconn.execute

    def lookup(i):
        return execute(SQLITE_SQL, (i,)).fetchone()

    return _timed(ids, lookup)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.sql_point",
        description="Point SELECT by primary key through the SQL API (random ids): KintsugiDB "
        "vs SQLite.",
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (1000000)")
    ap.add_argument("--lookups", type=int, default=20_000,
                    help="random ids looked up per run (20000)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs; medians (3)")
    ap.add_argument("--load", choices=["fast", "sql"], default="fast",
                    help="how to load the table (see bench.sql_scan; default fast)")
    ap.add_argument("--profile", action="store_true",
                    help="profile the KintsugiDB autocommit lookups with cProfile")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    n = args.rows
    rng = random.Random(42)
    profile_text = ""
    with scratch_dir("sql_point", keep=args.keep) as root:
        path = os.path.join(root, "kdb")
        conn, tid = kdb_create(path)
        try:
            t0 = time.perf_counter()
            kdb_load(conn, n, args.load)
            print(f"  loaded KintsugiDB ({args.load}) in {fmt_s(time.perf_counter() - t0)}",
                  flush=True)
            t0 = time.perf_counter()
            sconn = sqlite_load(os.path.join(root, "bench.sqlite"), n)
            print(f"  loaded SQLite in {fmt_s(time.perf_counter() - t0)}", flush=True)
            eng = conn._engine
            variants = {
                "KintsugiDB SELECT ... WHERE id = %s (autocommit)":
                    lambda ids: kdb_autocommit(conn, ids),
                "SQLite SELECT ... WHERE id = ?": lambda ids: sqlite_point(sconn, ids),
                "KintsugiDB, all lookups in one transaction":
                    lambda ids: kdb_in_txn(path, ids),
                "KintsugiDB engine floor: snapshot.get + decode_row":
                    lambda ids: kdb_kv(eng, tid, ids),
            }
            # warm-up (caches, page cache), not timed
            warm = [rng.randrange(n) for _ in range(500)]
            for fn in variants.values():
                fn(warm)
            means: dict[str, list[float]] = {name: [] for name in variants}
            lats_all: dict[str, list[float]] = {name: [] for name in variants}
            for r in range(args.repeat):
                ids = [rng.randrange(n) for _ in range(args.lookups)]
                want = [tuple(make_row(i)) for i in ids]
                for name, fn in variants.items():
                    lats, got = fn(ids)
                    if got != want:
                        bad = next(j for j in range(len(ids)) if got[j] != want[j])
                        raise AssertionError(f"{name}: id {ids[bad]} gave {got[bad]}, "
                                             f"expected {want[bad]}")
                    m = sum(lats) / len(lats)
                    means[name].append(m)
                    lats_all[name].extend(lats)
                    print(f"  run {r + 1}: {name:52s} {m * 1e6:7.1f} µs/lookup", flush=True)
            if args.profile:
                ids = [rng.randrange(n) for _ in range(args.lookups)]
                prof = cProfile.Profile()
                prof.enable()
                kdb_autocommit(conn, ids)
                prof.disable()
                profile_text = profile_report([prof], limit=30)
            sconn.close()
        finally:
            conn.close()

    if profile_text:
        print("\n=== cProfile: KintsugiDB SELECT * FROM t WHERE id = %s (autocommit) ===")
        print(profile_text)
    med = {name: median(ms) for name, ms in means.items()}
    kdb = med["KintsugiDB SELECT ... WHERE id = %s (autocommit)"]
    lite = med["SQLite SELECT ... WHERE id = ?"]
    ratio = kdb / lite
    met = ratio <= 3.0
    rows = []
    for name, m in med.items():
        s = sorted(lats_all[name])
        rows.append([name, f"{m * 1e6:.1f}", f"{percentile(s, 50) * 1e6:.1f}",
                     f"{percentile(s, 99) * 1e6:.1f}", f"{1 / m:,.0f}", f"{m / lite:.2f}x"])
    table = md_table(["variant", "mean µs (median of runs)", "p50 µs", "p99 µs", "lookups/s",
                      "vs SQLite"], rows)
    floor = med["KintsugiDB engine floor: snapshot.get + decode_row"]
    lines = [
        f"- KintsugiDB / SQLite point-SELECT latency = **{ratio:.2f}x** (target <= 3x): "
        f"**{verdict(met)}**",
        f"- of KintsugiDB's {kdb * 1e6:.0f} µs, the storage engine's own read (snapshot get "
        f"+ row decode) is {floor * 1e6:.1f} µs; the rest is the SQL layer and the API",
    ]
    text = (
        f"### Point SELECT by primary key through SQL (`python -m bench.sql_point --rows {n}`)"
        f"\n\n{n:,} rows (~100 bytes each, flushed to the tablespace; SQLite WAL), "
        f"`SELECT * FROM t WHERE id = %s` with {args.lookups:,} random ids per run, one "
        f"statement and one `fetchone()` each; mean latency, median of {args.repeat} "
        f"interleaved runs (p50/p99 over all calls).\n\n{table}\n\n" + "\n".join(lines) + "\n"
    )
    print()
    print(table)
    print("\n".join(lines))
    if not args.no_write:
        write_results("sql_point", text, info)
    summary = {
        "benchmark": "sql_point",
        "targets": [{"name": "point SELECT latency vs SQLite", "ratio": ratio,
                     "target": "<= 3x", "met": met}],
        "medians_s": med,
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
