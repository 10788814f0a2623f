"""RECOVER TABLE moves metadata, not rows (issue 12): its time, and DROP TABLE's, on a 1M-row
table against a 10k-row one.

Both tables, ``small`` and ``big``, are ``(id BIGINT PRIMARY KEY, name VARCHAR(32), qty
INT, price DOUBLE, note VARCHAR(100), KEY t_qty (qty))`` with ~100-byte rows of
`bench.common.make_row` (plus one index entry each), in the same database (so the
dictionary, the job history and the log they commit to are the same), loaded with the SQL
layer's row writer in 100k-row transactions as `bench.sql_scan` does (not timed) and flushed.
Then, `--repeat` rounds, interleaved: ``DROP TABLE small``, ``RECOVER TABLE small``, ``DROP
TABLE big``, ``RECOVER TABLE big`` (each an autocommit statement: durable on return), each
timed from ``execute`` to its return.  After the last round the recovered tables are checked
(row count, a query through the index, ADMIN CHECK TABLE of the small one, and of the big one
with ``--check``).  For scale: the time the big table's load took, what moving its rows
would cost at least.

**Target:** RECOVER of the 1M-row table within 1.5x the 10k-row one's (medians): its time does
not depend on the table's size.  The DROP ratio is reported too (for information).

    python -m bench.recover_table [--rows 1000000] [--small 10000] [--repeat 25] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench.common import (
    dump_json,
    fmt_s,
    machine_info,
    mb,
    md_table,
    median,
    scratch_dir,
    verdict,
    write_results,
    write_rows,
)

MODULE = "bench.recover_table"
LOAD_BATCH = 100_000  # rows per loading transaction (as bench.sql_scan)
TABLE = ("CREATE TABLE {name} (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price "
         "DOUBLE, note VARCHAR(100), KEY t_qty (qty))")
TARGET = 1.5


def load(conn, name: str, rows: int) -> float:
    """Create `name` and write make_row(0..rows-1) into it (rows and index entries) through
    the SQL layer's row writer, then flush; returns the seconds it took."""
    started = time.perf_counter()
    cur = conn.cursor()
    cur.execute(TABLE.format(name=name))
    write_rows(conn, name, rows, LOAD_BATCH)
    conn._engine.flush()
    return time.perf_counter() - started


def ms(x: float) -> str:
    return f"{x * 1000:.2f} ms"


def timed(cur, sql: str) -> float:
    started = time.perf_counter()
    cur.execute(sql)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog=f"python -m {MODULE}",
                                 description="RECOVER TABLE / DROP TABLE of a big table vs "
                                 "a small one: the time must not depend on the size.")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the big table")
    ap.add_argument("--small", type=int, default=10_000, help="rows in the small table")
    ap.add_argument("--repeat", type=int, default=25, help="interleaved rounds; medians (25)")
    ap.add_argument("--check", action="store_true",
                    help="ADMIN CHECK TABLE the big table after the last RECOVER (slow)")
    ap.add_argument("--note", default="", help="a line for RESULTS.md")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)
    import core

    info = machine_info()
    names = {"small": args.small, "big": args.rows}
    times: dict[str, list[float]] = {f"{op} {k}": [] for op in ("drop", "recover")
                                     for k in names}
    with scratch_dir("recover_table", args.keep) as tmp:
        path = os.path.join(tmp, "db")
        conn = core.connect(path, create=True, autocommit=True)
        try:
            loads = {k: load(conn, k, n) for k, n in names.items()}
            sizes = {k: os.stat(os.path.join(path, "test", f"{k}.kdb")).st_blocks * 512
                     for k in names}
            print("loaded: " + ", ".join(f"{k} {n:,} rows in {fmt_s(loads[k])}"
                                         for k, n in names.items()), file=sys.stderr)
            cur = conn.cursor()
            for _ in range(args.repeat):
                for k in names:
                    times[f"drop {k}"].append(timed(cur, f"DROP TABLE {k}"))
                    times[f"recover {k}"].append(timed(cur, f"RECOVER TABLE {k}"))
            for k, n in names.items():  # everything came back
                cur.execute(f"SELECT COUNT(*) FROM {k}")
                assert cur.fetchall() == [(n,)], k
                cur.execute(f"SELECT COUNT(*) FROM {k} WHERE qty = 7")
                assert cur.fetchall()[0][0] > 0, k
            cur.execute("ADMIN CHECK TABLE small" + (", big" if args.check else ""))
        finally:
            conn.close()
    med = {k: median(v) for k, v in times.items()}
    ratio = {op: med[f"{op} big"] / med[f"{op} small"] for op in ("drop", "recover")}
    met = ratio["recover"] <= TARGET
    rows = [[f"{op.upper()} TABLE", ms(med[f"{op} small"]), ms(med[f"{op} big"]),
             f"{ratio[op]:.2f}x", f"{ms(min(times[f'{op} big']))} .. "
             f"{ms(max(times[f'{op} big']))}"] for op in ("recover", "drop")]
    table = md_table([f"statement (median of {args.repeat})", f"{args.small:,} rows",
                      f"{args.rows:,} rows", "ratio", "range (big)"], rows)
    text = (
        f"### RECOVER TABLE: metadata, not rows (`python -m {MODULE}`)\n\n"
        f"Two tables `small` and `big`, each `(id BIGINT PRIMARY KEY, name, qty INT, price "
        f"DOUBLE, note, KEY t_qty (qty))`, in one database: {args.small:,} rows "
        f"({mb(sizes['small'])} tablespace) and {args.rows:,} rows ({mb(sizes['big'])}), "
        f"loaded with the SQL layer's row writer "
        f"(the big one in {fmt_s(loads['big'])}: what copying its rows would cost at least).  "
        f"{args.repeat} interleaved rounds of DROP TABLE then RECOVER TABLE of each, autocommit "
        f"(durable on return), timed around `execute`; afterwards every row and a query "
        f"through `t_qty` were checked.  DROP removes the TableInfo and queues the tablespace "
        f"as a delete range; RECOVER puts the TableInfo back under the same id and takes the "
        f"range off the queue, one transaction, no row read.\n\n{table}\n\n"
        f"- RECOVER ratio {ratio['recover']:.2f}x (target <= {TARGET}x): "
        f"**{verdict(met)}**\n"
        + (f"- {args.note}\n" if args.note else "")
    )
    print()
    print(text)
    if not args.no_write:
        write_results("recover_table", text, info)
    summary = {"benchmark": "recover_table",
               "targets": [{"name": "RECOVER TABLE 1M rows / 10k rows", "target": TARGET,
                            "ratio": ratio["recover"], "met": met}],
               "medians": med, "loads": loads}
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
