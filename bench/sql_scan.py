"""Full-scan aggregate through SQL over N rows (default 1M), after the data is flushed.

* KintsugiDB: ``cur.execute("SELECT SUM(qty) FROM t"); cur.fetchone()`` on an autocommit
  connection (each query takes its own snapshot).
* bare LMDB (the floor of this design): a read transaction on the *same* tablespace file
  (``conn._engine.spaces[table_id]``, table_id from ``information_schema.tables``), a cursor
  on its ``data_db`` from ``row_prefix(table_id)`` to the end of the file (rows are the last
  keys of a table's tablespace), and ``msgpack.unpackb(v)[qty]`` per row -- the row value is
  one msgpack array whose last item is the CRC32C, so it decodes as is (not verified).
* for information: the bare loop that also verifies each row's CRC32C (as the engine must),
  and SQLite (same rows, WAL) ``SELECT SUM(qty) FROM t``, a scan in C.

The table is ``t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, note
VARCHAR(100))``, ~100-byte rows.  By default it is loaded through the engine with the SQL
layer's own row writer (``core.sql.table.TableWriter``, the code every INSERT ends in: byte
for byte the rows an INSERT stores) because loading 1M rows through INSERT statements takes
over a minute; ``--load sql`` loads with multi-row INSERT statements instead.  Loading is not
timed.  Each variant runs ``--repeat`` times (interleaved, warm page cache); medians.

Target: ``SELECT SUM(qty)`` within 1.5x of the bare LMDB loop.

    python -m bench.sql_scan [--rows 1000000] [--repeat 3] [--load fast|sql] [--profile]
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
    SQLITE_TABLE,
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    make_row,
    md_table,
    median,
    profile_report,
    qty_of,
    scratch_dir,
    sqlite_connect,
    verdict,
    write_results,
    write_rows,
)

QTY = 2  # column position of qty in t (and in make_row())
LOAD_BATCH = 100_000  # rows per loading transaction
SQL_LOAD_CHUNK = 1000  # rows per multi-row INSERT statement with --load sql
KDB_TABLE = ("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, "
             "note VARCHAR(100))")


# --- loading (not timed) ----------------------------------------------------------------------


def kdb_create(path: str, *, index: bool = False):
    """A new database with table t; returns (autocommit connection, table id)."""
    import core

    conn = core.connect(path, create=True, autocommit=True)
    cur = conn.cursor()
    cur.execute(KDB_TABLE)
    if index:
        cur.execute("CREATE INDEX t_qty ON t (qty)")
    cur.execute("SELECT TIDB_TABLE_ID FROM information_schema.tables "
                "WHERE TABLE_SCHEMA = 'test' AND TABLE_NAME = 't'")
    return conn, cur.fetchone()[0]


def kdb_load(conn, rows: int, how: str = "fast") -> None:
    """Insert make_row(0..rows-1) into t, then flush everything to the tablespace."""
    eng = conn._engine
    if how == "sql":
        conn.autocommit = False
        cur = conn.cursor()
        for start in range(0, rows, SQL_LOAD_CHUNK):
            chunk = [make_row(i) for i in range(start, min(rows, start + SQL_LOAD_CHUNK))]
            cur.execute("INSERT INTO t VALUES " + ",".join(["(%s,%s,%s,%s,%s)"] * len(chunk)),
                        [v for r in chunk for v in r])
            if (start + SQL_LOAD_CHUNK) % LOAD_BATCH == 0:
                conn.commit()
        conn.commit()
        conn.autocommit = True
    else:
        write_rows(conn, "t", rows, LOAD_BATCH)
    eng.flush()
    if eng.stats()["overlay_entries"]:
        raise AssertionError("the overlay is not empty after flush()")


def sqlite_load(db: str, rows: int, *, index: bool = False) -> sqlite3.Connection:
    conn = sqlite_connect(db)
    conn.execute(SQLITE_TABLE)
    if index:
        conn.execute("CREATE INDEX t_qty ON t(qty)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", (make_row(i) for i in range(rows)))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn


# --- the scans: each returns the sum of qty ------------------------------------------------------


def scan_sql(cur) -> int:
    cur.execute("SELECT SUM(qty) FROM t")
    return int(cur.fetchone()[0])


def scan_bare(eng, table_id: int) -> int:
    from core.codec import row_prefix

    ts = eng.spaces[table_id]
    unpackb = msgpack.unpackb
    total = 0
    with ts.env.begin(db=ts.data_db) as txn:
        cur = txn.cursor()
        if cur.set_range(row_prefix(table_id)):
            for _k, v in cur.iternext():
                total += unpackb(v)[QTY]
    return total


def scan_bare_crc(eng, table_id: int) -> int:
    from core.codec import CRC_RESIDUE, row_prefix

    ts = eng.spaces[table_id]
    unpackb = msgpack.unpackb
    total = 0
    with ts.env.begin(db=ts.data_db) as txn:
        cur = txn.cursor()
        if cur.set_range(row_prefix(table_id)):
            for k, v in cur.iternext():
                if crc32c(v) != CRC_RESIDUE:
                    raise ValueError(f"bad CRC at {k.hex()}")
                total += unpackb(v)[QTY]
    return total


def scan_sqlite(conn) -> int:
    return conn.execute("SELECT SUM(qty) FROM t").fetchone()[0]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.sql_scan",
        description="Full-scan SELECT SUM(col) through SQL vs a bare LMDB cursor loop over "
        "the same tablespace (and SQLite).",
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (1000000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per variant; medians (3)")
    ap.add_argument("--load", choices=["fast", "sql"], default="fast",
                    help="fast: the SQL layer's row writer in 100k-row transactions "
                    "(default); sql: multi-row INSERT statements (slow)")
    ap.add_argument("--profile", action="store_true",
                    help="profile one SQL scan and one bare scan with cProfile")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    n = args.rows
    expected = sum(qty_of(i) for i in range(n))
    profiles: list[tuple[str, str]] = []
    with scratch_dir("sql_scan", keep=args.keep) as root:
        conn, tid = kdb_create(os.path.join(root, "kdb"))
        try:
            t0 = time.perf_counter()
            kdb_load(conn, n, args.load)
            print(f"  loaded KintsugiDB ({args.load}) in {fmt_s(time.perf_counter() - t0)}",
                  flush=True)
            t0 = time.perf_counter()
            sconn = sqlite_load(os.path.join(root, "bench.sqlite"), n)
            print(f"  loaded SQLite in {fmt_s(time.perf_counter() - t0)}", flush=True)
            cur = conn.cursor()
            eng = conn._engine
            variants = {
                "KintsugiDB SELECT SUM(qty) FROM t": lambda: scan_sql(cur),
                "bare LMDB cursor + unpackb (floor)": lambda: scan_bare(eng, tid),
                "bare LMDB cursor + CRC32C check + unpackb": lambda: scan_bare_crc(eng, tid),
                "SQLite SELECT SUM(qty) FROM t": lambda: scan_sqlite(sconn),
            }
            times: dict[str, list[float]] = {name: [] for name in variants}
            for r in range(args.repeat):
                for name, fn in variants.items():
                    t0 = time.perf_counter()
                    got = fn()
                    dt = time.perf_counter() - t0
                    if got != expected:
                        raise AssertionError(f"{name}: got {got}, expected {expected}")
                    times[name].append(dt)
                    print(f"  run {r + 1}: {name:45s} {fmt_s(dt)}", flush=True)
            if args.profile:
                for name in ("KintsugiDB SELECT SUM(qty) FROM t",
                             "bare LMDB cursor + unpackb (floor)"):
                    prof = cProfile.Profile()
                    prof.enable()
                    variants[name]()
                    prof.disable()
                    profiles.append((name, profile_report([prof], limit=20)))
            sconn.close()
        finally:
            conn.close()

    for name, report in profiles:
        print(f"\n=== cProfile: {name} ===")
        print(report)
    med = {name: median(ts) for name, ts in times.items()}
    base = med["bare LMDB cursor + unpackb (floor)"]
    kdb = med["KintsugiDB SELECT SUM(qty) FROM t"]
    crc = med["bare LMDB cursor + CRC32C check + unpackb"]
    lite = med["SQLite SELECT SUM(qty) FROM t"]
    ratio = kdb / base
    met = ratio <= 1.5
    table = md_table(
        ["variant", f"median of {args.repeat}", "rows/s", "vs bare LMDB"],
        [[name, fmt_s(t), f"{n / t:,.0f}", f"{t / base:.2f}x"] for name, t in med.items()],
    )
    lines = [
        f"- KintsugiDB `SELECT SUM(qty)` / bare LMDB loop = **{ratio:.2f}x** (target <= 1.5x): "
        f"**{verdict(met)}**",
        f"- KintsugiDB / the bare loop that also verifies each row's CRC32C (as the engine "
        f"must) = {kdb / crc:.2f}x",
        f"- KintsugiDB / SQLite's `SELECT SUM(qty)` (a C loop) = {kdb / lite:.1f}x",
    ]
    load = ("the SQL layer's row writer (TableWriter), the bytes an INSERT stores"
            if args.load == "fast" else "multi-row INSERT statements")
    text = (
        f"### Full-scan aggregate through SQL (`python -m bench.sql_scan --rows {n}`)\n\n"
        f"{n:,} rows (~100-byte values) of `t (id BIGINT PRIMARY KEY, name, qty INT, price "
        f"DOUBLE, note)` loaded with {load}, flushed to the tablespace; "
        f"`SELECT SUM(qty) FROM t` through `core.connect` vs a bare LMDB cursor over the same "
        f"tablespace doing `msgpack.unpackb(v)[2]` per row; warm cache, median of "
        f"{args.repeat} interleaved runs.\n\n{table}\n\n" + "\n".join(lines) + "\n"
    )
    print()
    print(table)
    print("\n".join(lines))
    if not args.no_write:
        write_results("sql_scan", text, info)
    summary = {
        "benchmark": "sql_scan",
        "targets": [{"name": f"SELECT SUM over {n:,} rows vs bare LMDB", "ratio": ratio,
                     "target": "<= 1.5x", "met": met}],
        "medians": med,
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
