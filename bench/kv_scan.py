"""Full scan with row decode over N rows (default 1M), after the data is flushed.

* KintsugiDB: ``with eng.snapshot() as snap: for row in decode_values(snap.values(sid, lo,
  hi)): total += row[QTY]`` (the values-only scan; `decode_rows(snap.scan(...))` when the
  overlay still holds rows) where [lo, hi) is the table's row-key prefix range (the table's
  index entries live in the same tablespace, just before the rows).
* bare LMDB (the baseline): a read transaction on the *same* tablespace file
  (``eng.spaces[sid].env``), a cursor over ``data_db`` from ``lo`` to ``hi``,
  ``msgpack.unpackb`` of each value (its trailing CRC32C item decoded but not verified),
  summing the same column.
* for information: the bare loop that also verifies the CRC32C, the KintsugiDB scan without
  decoding, and SQLite (same rows, WAL): ``SELECT SUM(qty) FROM t NOT INDEXED`` (a C-level
  table scan) and a Python loop over ``SELECT *``.

Each variant runs ``--repeat`` times (interleaved, warm page cache); medians are reported.

Target: the KintsugiDB scan within 1.5x of the bare LMDB loop.

    python -m bench.kv_scan [--rows 1000000] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sqlite3
import time

import msgpack
from crc32c import crc32c

from bench.common import (
    INDEX_ID,
    SQLITE_TABLE,
    TABLE_ID,
    create_space,
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    make_row,
    md_table,
    median,
    open_engine,
    profile_report,
    qty_of,
    scratch_dir,
    sqlite_connect,
    verdict,
    write_results,
)
from core.codec.rows import CRC_RESIDUE

QTY = 2  # column index of qty in make_row()
LOAD_BATCH = 100_000  # rows per loading transaction (loading is not timed)


def load_kdb(eng, sid: int, rows: int, with_index: bool) -> None:
    from core.codec.keys import index_key, row_key
    from core.codec.rows import encode_row

    for start in range(0, rows, LOAD_BATCH):
        txn = eng.begin()
        for i in range(start, min(rows, start + LOAD_BATCH)):
            row = make_row(i)
            txn.put(sid, row_key(TABLE_ID, i), encode_row(row))
            if with_index:
                txn.put(sid, index_key(TABLE_ID, INDEX_ID, [row[QTY]], i), b"")
        txn.commit()
    eng.flush()


def load_sqlite(db: str, rows: int, with_index: bool) -> None:
    conn = sqlite_connect(db)
    conn.execute(SQLITE_TABLE)
    if with_index:
        conn.execute("CREATE INDEX t_qty ON t(qty)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", (make_row(i) for i in range(rows)))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# --- the scans: each returns the sum of qty ------------------------------------------------


def scan_kdb(eng, sid, lo, hi) -> int:
    from core.codec.rows import decode_rows, decode_values

    total = 0
    with eng.snapshot() as snap:
        values = snap.values(sid, lo, hi)  # values-only scan: everything is flushed
        rows = decode_values(values) if values is not None else decode_rows(
            snap.scan(sid, lo, hi))
        for row in rows:
            total += row[QTY]
    return total


def scan_kdb_nodecode(eng, sid, lo, hi) -> int:
    n = 0
    with eng.snapshot() as snap:
        for _k, _v in snap.scan(sid, lo, hi):
            n += 1
    return n


def scan_bare(eng, sid, lo, hi) -> int:
    ts = eng.spaces[sid]
    unpackb = msgpack.unpackb
    total = 0
    with ts.env.begin(db=ts.data_db) as txn:
        cur = txn.cursor()
        if cur.set_range(lo):
            for k, v in cur.iternext():
                if k >= hi:
                    break
                total += unpackb(v)[QTY]
    return total


def scan_bare_crc(eng, sid, lo, hi) -> int:
    ts = eng.spaces[sid]
    unpackb = msgpack.unpackb
    total = 0
    with ts.env.begin(db=ts.data_db) as txn:
        cur = txn.cursor()
        if cur.set_range(lo):
            for k, v in cur.iternext():
                if k >= hi:
                    break
                if crc32c(v) != CRC_RESIDUE:
                    raise ValueError(f"bad CRC at {k.hex()}")
                total += unpackb(v)[QTY]
    return total


def scan_sqlite_sum(conn) -> int:
    return conn.execute("SELECT SUM(qty) FROM t NOT INDEXED").fetchone()[0]


def scan_sqlite_py(conn) -> int:
    total = 0
    for row in conn.execute("SELECT * FROM t"):
        total += row[QTY]
    return total


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.kv_scan",
        description="Full scan + row decode: KintsugiDB snapshot scan vs a bare LMDB cursor "
        "loop over the same tablespace (and SQLite for reference).",
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (1000000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per variant; medians (3)")
    ap.add_argument("--no-index", action="store_true",
                    help="load rows only (by default each row also has an index entry in the "
                    "same tablespace, outside the scanned range)")
    ap.add_argument("--profile", action="store_true",
                    help="profile one KintsugiDB scan and one bare scan with cProfile")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    from core.codec.keys import prefix_next, row_prefix

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    n = args.rows
    expected = sum(qty_of(i) for i in range(n))
    with_index = not args.no_index
    with scratch_dir("kv_scan", keep=args.keep) as root:
        eng = open_engine(os.path.join(root, "kdb"))
        try:
            sid = create_space(eng)
            t0 = time.perf_counter()
            load_kdb(eng, sid, n, with_index)
            print(f"  loaded KintsugiDB in {fmt_s(time.perf_counter() - t0)} "
                  f"({eng.spaces[sid].entry_count():,} entries)", flush=True)
            db = os.path.join(root, "bench.sqlite")
            t0 = time.perf_counter()
            load_sqlite(db, n, with_index)
            print(f"  loaded SQLite in {fmt_s(time.perf_counter() - t0)}", flush=True)
            conn = sqlite3.connect(db)
            lo = row_prefix(TABLE_ID)
            hi = prefix_next(lo)
            if eng.stats()["overlay_entries"]:
                raise AssertionError("the overlay is not empty after flush()")

            variants = {
                "KintsugiDB snap.scan + decode_rows": lambda: scan_kdb(eng, sid, lo, hi),
                "bare LMDB cursor + unpackb (baseline)": lambda: scan_bare(eng, sid, lo, hi),
                "bare LMDB cursor + CRC32C check + unpackb":
                    lambda: scan_bare_crc(eng, sid, lo, hi),
                "KintsugiDB snap.scan, no decode": lambda: scan_kdb_nodecode(eng, sid, lo, hi),
                "SQLite SELECT SUM(qty) NOT INDEXED": lambda: scan_sqlite_sum(conn),
                "SQLite Python loop over SELECT *": lambda: scan_sqlite_py(conn),
            }
            times: dict[str, list[float]] = {name: [] for name in variants}
            for r in range(args.repeat):
                for name, fn in variants.items():
                    t0 = time.perf_counter()
                    got = fn()
                    dt = time.perf_counter() - t0
                    want = n if "no decode" in name else expected
                    if got != want:
                        raise AssertionError(f"{name}: got {got}, expected {want}")
                    times[name].append(dt)
                    print(f"  run {r + 1}: {name:45s} {fmt_s(dt)}", flush=True)

            if args.profile:
                for name in ("KintsugiDB snap.scan + decode_rows",
                             "bare LMDB cursor + unpackb (baseline)"):
                    prof = cProfile.Profile()
                    prof.enable()
                    variants[name]()
                    prof.disable()
                    print(f"\n=== cProfile: {name} ===")
                    print(profile_report([prof], limit=15))
            conn.close()
        finally:
            eng.close()

    med = {name: median(ts) for name, ts in times.items()}
    base = med["bare LMDB cursor + unpackb (baseline)"]
    kdb = med["KintsugiDB snap.scan + decode_rows"]
    crc = med["bare LMDB cursor + CRC32C check + unpackb"]
    ratio = kdb / base
    met = ratio <= 1.5
    table = md_table(
        ["variant", f"median of {args.repeat}", "rows/s", "vs bare LMDB"],
        [[name, fmt_s(t), f"{n / t:,.0f}", f"{t / base:.2f}x"] for name, t in med.items()],
    )
    lines = [
        f"- KintsugiDB scan / bare LMDB loop = **{ratio:.2f}x** (target <= 1.5x): "
        f"**{verdict(met)}**",
        f"- a bare loop that also verifies each row's CRC32C (as decode_row must) is "
        f"already {crc / base:.2f}x the baseline; KintsugiDB / that loop = {kdb / crc:.2f}x",
    ]
    idx = " + 1 index entry each (outside the scanned range)" if with_index else ""
    text = (
        f"### Full scan with row decode (`python -m bench.kv_scan --rows {n}`)\n\n"
        f"{n:,} rows (~100-byte values){idx}, flushed to the tablespace; sum of one "
        f"column; warm cache, median of "
        f"{args.repeat} interleaved runs.\n\n{table}\n\n" + "\n".join(lines) + "\n"
    )
    print()
    print(table)
    print("\n".join(lines))
    if not args.no_write:
        write_results("kv_scan", text, info)
    summary = {
        "benchmark": "kv_scan",
        "targets": [{"name": f"full scan of {n:,} rows vs bare LMDB", "ratio": ratio,
                     "target": "<= 1.5x", "met": met}],
        "medians": med,
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
