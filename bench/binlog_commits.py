"""What the binary log costs: durable autocommit INSERTs and a bulk load, binlog on vs off.

Both sides are KintsugiDB through SQL, in the same run: ``core.connect(path,
autocommit=True)`` (the binlog on, the default) against ``core.connect(path,
autocommit=True, log_bin=False)`` (``--skip-log-bin``).  With the binlog on, each commit
also reads the before-images of the rows it writes, builds its events (Gtid, Query BEGIN,
Table_map, Write_rows, Xid), carries them in its redo records, and appends them to
``binlog.NNNNNN`` once durable (no fsync of its own).  The KV engine alone writes no binary
log (the capture of row images is SQL's), so there is no KV case.

* commits: one ~100-byte row per ``INSERT INTO t VALUES (...)``, 1 thread and N threads
  (own connection each), ``--seconds`` per case, cases interleaved ``--repeat`` times,
  median rate;
* bulk load: ``--bulk-rows`` rows in ONE transaction (multi-row INSERTs of 1,000 rows, then
  COMMIT), time to the durable COMMIT.

Target: commit rate with the binlog >= 85% of the rate without it.

    python -m bench.binlog_commits [--seconds 2] [--repeat 5] [--threads 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time

from bench.common import (
    dump_json,
    fmt_rate,
    fmt_s,
    machine_info,
    make_row,
    md_table,
    median,
    percentile,
    profile_report,
    scratch_dir,
    verdict,
    write_results,
)
from bench.kv_commits import WARMUP, run_threads
from bench.sql_commits import insert_loop

TABLE = ("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, "
         "note VARCHAR(100))")
INSERT = "INSERT INTO t VALUES (%s,%s,%s,%s,%s)"
BULK_CHUNK = 1000
TARGET = 0.85


def commit_case(path: str, threads: int, seconds: float, log_bin: bool,
                profile: bool = False) -> dict:
    import core

    main = core.connect(path, create=True, autocommit=True, log_bin=log_bin)
    try:
        cur = main.cursor()
        cur.execute(TABLE)
        for i in range(WARMUP):
            cur.execute(INSERT, make_row(-1 - i))
        eng = main._engine
        syncs0 = eng.log.syncs
        bsyncs0 = eng.binlog.syncs if eng.binlog is not None else 0

        body = insert_loop(path, INSERT, profile, log_bin=log_bin)

        cpu0 = time.process_time()
        n, elapsed, lats, profs = run_threads(threads, seconds, body)
        cpu = time.process_time() - cpu0
        syncs = eng.log.syncs - syncs0
        bsyncs = (eng.binlog.syncs - bsyncs0) if eng.binlog is not None else 0
        logged = eng.binlog.written if eng.binlog is not None else 0
        cur.execute("SELECT COUNT(*) FROM t")
        stored = cur.fetchone()[0]
        if stored != n + WARMUP:
            raise AssertionError(f"expected {n + WARMUP} rows in t, found {stored}")
    finally:
        main.close()
    if log_bin and logged < n + WARMUP:
        raise AssertionError(f"{logged} transactions in the binlog for {n + WARMUP} commits")
    return {"commits": n, "elapsed": elapsed, "rate": n / elapsed,
            "syncs_per_commit": syncs / n if n else float("nan"), "binlog_syncs": bsyncs,
            "cpu_us": cpu / n * 1e6 if n else float("nan"),
            "p50_us": percentile(lats, 50) * 1e6, "p99_us": percentile(lats, 99) * 1e6,
            "profiles": [p for p in profs if p is not None]}


def bulk_case(path: str, rows: int, log_bin: bool, profile: bool = False) -> dict:
    import core

    conn = core.connect(path, create=True, autocommit=False, log_bin=log_bin)
    try:
        cur = conn.cursor()
        cur.execute(TABLE)
        conn.commit()
        prof = cProfile.Profile() if profile else None
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        for start in range(0, rows, BULK_CHUNK):
            end = min(rows, start + BULK_CHUNK)
            params = [v for i in range(start, end) for v in make_row(i)]
            cur.execute("INSERT INTO t VALUES " + ",".join(["(%s,%s,%s,%s,%s)"] * (end - start)),
                        params)
        t1 = time.perf_counter()
        conn.commit()
        t2 = time.perf_counter()
        if prof:
            prof.disable()
        eng = conn._engine
        binlog_bytes = 0
        if eng.binlog is not None:
            binlog_bytes = sum(size for _n, size in eng.binlog.listing())
    finally:
        conn.close()
    return {"total": t2 - t0, "inserts": t1 - t0, "commit": t2 - t1,
            "binlog_bytes": binlog_bytes, "profiles": [prof] if prof else []}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.binlog_commits",
        description="The binary log's cost: durable autocommit INSERTs/s (1 and N threads) "
        "and a one-transaction bulk load, with the binlog on and off (log_bin=False), "
        "interleaved in one run.")
    ap.add_argument("--seconds", type=float, default=2.0, help="time budget per case (2)")
    ap.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (5)")
    ap.add_argument("--threads", type=int, default=4, help="threads of the concurrent case (4)")
    ap.add_argument("--bulk-rows", type=int, default=200_000, help="rows of the bulk load")
    ap.add_argument("--profile", action="store_true",
                    help="afterwards, profile the binlog-on cases under cProfile")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    info = machine_info()
    nt = args.threads
    cases = [(on, th) for th in (1, nt) for on in (True, False)]
    runs: dict[tuple[bool, int], list[dict]] = {c: [] for c in cases}
    bulk: dict[bool, list[dict]] = {True: [], False: []}
    with scratch_dir("binlog_commits", keep=args.keep) as root:
        for r in range(args.repeat):
            # on and off back to back, which one first alternating between rounds
            order = [c for th in (1, nt) for c in ([(True, th), (False, th)] if r % 2 == 0
                                                   else [(False, th), (True, th)])]
            for on, th in order:
                path = os.path.join(root, f"c-{int(on)}-{th}-{r}")
                res = commit_case(path, th, args.seconds, on)
                runs[(on, th)].append(res)
                print(f"  run {r + 1}: binlog {'on ' if on else 'off'} {th} thr: "
                      f"{fmt_rate(res['rate'])} commits/s ({res['syncs_per_commit']:.3f} "
                      f"fdatasync/commit, {res['binlog_syncs']} binlog fsyncs)", flush=True)
        for r in range(args.repeat):
            for on in (True, False):
                res = bulk_case(os.path.join(root, f"b-{int(on)}-{r}"), args.bulk_rows, on)
                bulk[on].append(res)
                print(f"  bulk {r + 1}: binlog {'on ' if on else 'off'}: {fmt_s(res['total'])}"
                      f" (COMMIT {fmt_s(res['commit'])})", flush=True)
        if args.profile:
            for th in (1, nt):
                res = commit_case(os.path.join(root, f"p-{th}"), th, args.seconds, True, True)
                print(f"\n=== cProfile, binlog on, {th} thread(s) ===")
                print(profile_report(res["profiles"]))
            res = bulk_case(os.path.join(root, "p-bulk"), args.bulk_rows, True, True)
            print("\n=== cProfile, bulk load, binlog on ===")
            print(profile_report(res["profiles"]))

    def med(c, key):
        return median([x[key] for x in runs[c]])

    rows = []
    ratios = {}
    for th in (1, nt):
        # each round's on and off ran back to back: the median of those paired ratios is
        # what the disk's drift (other load on the machine) disturbs least
        ratios[th] = median([a["rate"] / b["rate"]
                             for a, b in zip(runs[(True, th)], runs[(False, th)], strict=True)])
        for flag in (True, False):
            c = (flag, th)
            rows.append([th, "on" if flag else "off (log_bin=False)", fmt_rate(med(c, "rate")),
                         f"{med(c, 'p50_us'):,.0f}", f"{med(c, 'p99_us'):,.0f}",
                         f"{med(c, 'cpu_us'):,.0f}", f"{med(c, 'syncs_per_commit'):.3f}",
                         f"{max(x['binlog_syncs'] for x in runs[c])}" if flag else "-",
                         f"{ratios[th]:.0%}" if flag else ""])
    table = md_table(["threads", "binlog", "INSERTs/s (median)", "p50 µs", "p99 µs",
                      "CPU µs/commit", "fdatasync/commit", "binlog fsyncs (max)", "on / off"], rows)
    b_on = median([x["total"] for x in bulk[True]])
    b_off = median([x["total"] for x in bulk[False]])
    c_on = median([x["commit"] for x in bulk[True]])
    c_off = median([x["commit"] for x in bulk[False]])
    bbytes = bulk[True][0]["binlog_bytes"]
    btable = md_table(
        ["binlog", f"{args.bulk_rows:,} rows, to durable COMMIT", "of which COMMIT",
         "rows/s", "binlog size"],
        [["on", fmt_s(b_on), fmt_s(c_on), fmt_rate(args.bulk_rows / b_on),
          f"{bbytes / 1e6:.1f} MB"],
         ["off (log_bin=False)", fmt_s(b_off), fmt_s(c_off),
          fmt_rate(args.bulk_rows / b_off), "-"]])
    cpu = {th: med((True, th), "cpu_us") / med((False, th), "cpu_us") for th in (1, nt)}
    worst = min(ratios.values())
    met = worst >= TARGET
    lines = [f"- commit rate with the binlog / without: 1 thread **{ratios[1]:.0%}**, "
             f"{nt} threads **{ratios[nt]:.0%}** (target >= {TARGET:.0%}): **{verdict(met)}**",
             f"- CPU per commit with the binlog / without: 1 thread {cpu[1]:.2f}x, {nt} "
             f"threads {cpu[nt]:.2f}x (the process's CPU time over the case / commits: the "
             "binlog's own work, which the disk's fdatasync time hides in the rates)",
             f"- bulk load with the binlog / without: {b_off / b_on:.0%} of the throughput "
             f"({fmt_s(b_on)} vs {fmt_s(b_off)})"]
    text = (
        "### The binary log's cost (`python -m bench.binlog_commits`)\n\n"
        f"KintsugiDB through SQL, binlog on (the default) vs `core.connect(..., "
        f"log_bin=False)`, cases interleaved in one run, median of {args.repeat} (on / off: "
        "the median of each round's back-to-back pair).  Commits: "
        f"one ~100-byte row per autocommit `INSERT INTO t VALUES (...)`, {args.seconds:g} s "
        "per case, each thread its own connection (group commit).  With the binlog on each "
        "commit reads its rows' before-images, builds Gtid/Query/Table_map/Write_rows/Xid "
        "events, carries them in its redo records (the same fdatasync) and appends them to "
        "the binlog file once durable: the binlog fsyncs only at checkpoints and rotations "
        "(its fsync count below).  Bulk: "
        f"{args.bulk_rows:,} rows in one transaction (multi-row INSERTs of {BULK_CHUNK:,} "
        "rows, then COMMIT), timed to the durable COMMIT.  The KV engine alone "
        "logs nothing to the binlog (the row-image capture is SQL's), so there is no KV "
        f"case.\n\n{table}\n\n{btable}\n\n" + "\n".join(lines) + "\n")
    print()
    print(table)
    print()
    print(btable)
    print("\n".join(lines))
    if not args.no_write:
        write_results("binlog_commits", text, info)
    summary = {"benchmark": "binlog_commits",
               "targets": [{"name": "commit rate binlog on / off", "ratio": worst,
                            "target": f">= {TARGET}", "met": met}],
               "ratio_1": ratios[1], "ratio_n": ratios[nt], "bulk_on": b_on,
               "bulk_off": b_off}
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
