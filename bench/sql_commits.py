"""Durable single-row autocommit INSERTs through the SQL API: KintsugiDB vs SQLite (WAL,
synchronous=FULL).

KintsugiDB: ``conn = core.connect(path, autocommit=True)``, then one
``cur.execute("INSERT INTO t VALUES (%s,%s,%s,%s,%s)", row)`` per commit; the statement
returns once its redo records are fdatasync'ed (group commit across threads).  With N
threads each thread opens its own connection to the same path; connections of one process
share one engine.  SQLite: the same INSERT with ``?`` parameters, autocommit
(isolation_level=None), one connection per thread, ``timeout=30``, retried on "database is
locked".  Same table shape on both sides: an integer primary key and four columns, ~100-byte
rows, each thread writing its own ids.

Every case runs for the same wall-clock budget (``--seconds``); the cases are interleaved
``--repeat`` times and the median rate is reported.  Every committed row is counted after
each case.

Targets: 1 thread >= 1.0x SQLite's 1-thread rate; 4 threads >= 3x SQLite's 4-thread rate.

    python -m bench.sql_commits [--seconds 3] [--repeat 3] [--threads 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import time

from bench.common import (
    dump_json,
    fmt_rate,
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
from bench.kv_commits import WARMUP, fdatasync_latency, run_threads, sqlite_case

THREAD_KEY_STRIDE = 1_000_000_000  # thread t inserts ids t*STRIDE, t*STRIDE+1, ...
KDB_TABLE = ("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, "
             "note VARCHAR(100))")
KDB_INSERT = "INSERT INTO t VALUES (%s,%s,%s,%s,%s)"


def insert_loop(path: str, sql: str, profile: bool, **connect_options):
    """A `run_threads` body: each thread its own connection, one autocommit INSERT of
    `make_row` after another until the deadline, each one's latency kept."""
    import core

    def body(t: int, deadline: float, lats: list[float]):
        conn = core.connect(path, autocommit=True, **connect_options)
        execute = conn.cursor().execute
        prof = cProfile.Profile() if profile else None
        base = t * THREAD_KEY_STRIDE
        i = 0
        perf = time.perf_counter
        try:
            if prof:
                prof.enable()
            while True:
                start = perf()
                if start >= deadline:
                    break
                execute(sql, make_row(base + i))
                lats.append(perf() - start)
                i += 1
            if prof:
                prof.disable()
        finally:
            conn.close()
        return i, prof

    return body


def kdb_case(path: str, threads: int, seconds: float, profile: bool = False) -> dict:
    import core

    main = core.connect(path, create=True, autocommit=True)
    try:
        cur = main.cursor()
        cur.execute(KDB_TABLE)
        for i in range(WARMUP):  # not timed; ids below every thread's range
            cur.execute(KDB_INSERT, make_row(-1 - i))
        eng = main._engine
        syncs0 = eng.log.syncs

        body = insert_loop(path, KDB_INSERT, profile)  # shares the engine of `main`
        n, elapsed, lats, profs = run_threads(threads, seconds, body)
        syncs = eng.log.syncs - syncs0
        cur.execute("SELECT COUNT(*) FROM t")
        stored = cur.fetchone()[0]
        if stored != n + WARMUP:
            raise AssertionError(f"expected {n + WARMUP} rows in t, found {stored}")
    finally:
        main.close()
    return {
        "commits": n,
        "elapsed": elapsed,
        "rate": n / elapsed,
        "syncs_per_commit": syncs / n if n else float("nan"),
        "p50_us": percentile(lats, 50) * 1e6,
        "p99_us": percentile(lats, 99) * 1e6,
        "profiles": [p for p in profs if p is not None],
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.sql_commits",
        description="Durable single-row autocommit INSERTs/s through the SQL API: KintsugiDB "
        "(core.connect, one connection per thread) vs SQLite WAL synchronous=FULL, 1 thread "
        "and N threads.",
    )
    ap.add_argument("--seconds", type=float, default=3.0, help="time budget per case (3)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved repetitions; the "
                    "median is reported (3)")
    ap.add_argument("--threads", type=int, default=4, help="threads of the concurrent case (4)")
    ap.add_argument("--profile", action="store_true",
                    help="afterwards, run each KintsugiDB case once more under cProfile and "
                    "print the top functions")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    nt = args.threads
    cases = [("kdb", 1), ("sqlite", 1), ("kdb", nt), ("sqlite", nt)]
    runs: dict[tuple[str, int], list[dict]] = {c: [] for c in cases}
    with scratch_dir("sql_commits", keep=args.keep) as root:
        sync_before = fdatasync_latency(root)
        print(f"  raw pwrite+fdatasync on this disk: {sync_before * 1e6:.0f} µs (median)")
        for r in range(args.repeat):
            for eng_name, threads in cases:
                path = os.path.join(root, f"{eng_name}-{threads}-{r}")
                os.makedirs(path)
                if eng_name == "kdb":
                    res = kdb_case(os.path.join(path, "db"), threads, args.seconds)
                else:
                    res = sqlite_case(path, threads, args.seconds)
                runs[(eng_name, threads)].append(res)
                extra = (f", {res['syncs_per_commit']:.3f} fdatasync/commit"
                         if eng_name == "kdb" else f", {res['retries']} lock retries")
                print(f"  run {r + 1}: {eng_name:6s} {threads} thr: {fmt_rate(res['rate'])} "
                      f"commits/s ({res['commits']} in {res['elapsed']:.2f} s{extra})",
                      flush=True)
        sync_after = fdatasync_latency(root)
        print(f"  raw pwrite+fdatasync afterwards: {sync_after * 1e6:.0f} µs (median)")

        def med(case, key):
            return median([x[key] for x in runs[case]])

        k1, s1 = med(("kdb", 1), "rate"), med(("sqlite", 1), "rate")
        kn, sn = med(("kdb", nt), "rate"), med(("sqlite", nt), "rate")
        ratio1, ration = k1 / s1, kn / sn
        met1, metn = ratio1 >= 1.0, ration >= 3.0
        rows = []
        for eng_name, threads in cases:
            c = (eng_name, threads)
            spc = f"{med(c, 'syncs_per_commit'):.3f}" if eng_name == "kdb" else "n/a"
            retries = "" if eng_name == "kdb" else \
                f" ({sum(x['retries'] for x in runs[c])} lock retries)"
            rows.append([
                "KintsugiDB SQL" if eng_name == "kdb" else "SQLite WAL FULL" + retries,
                threads,
                fmt_rate(med(c, "rate")),
                f"{med(c, 'p50_us'):,.0f}",
                f"{med(c, 'p99_us'):,.0f}",
                spc,
            ])
        table = md_table(
            ["engine", "threads", "INSERTs/s (median)", "p50 µs", "p99 µs", "fdatasync/commit"],
            rows,
        )
        sync_lat = median([sync_before, sync_after])
        summary_lines = [
            f"- 1 thread: KintsugiDB / SQLite = **{ratio1:.2f}x** (target >= 1.0x): "
            f"**{verdict(met1)}**",
            f"- {nt} threads: KintsugiDB / SQLite = **{ration:.2f}x** (target >= 3x): "
            f"**{verdict(metn)}**",
            f"- KintsugiDB {nt}-thread / 1-thread scaling = {kn / k1:.2f}x; SQLite's "
            f"= {sn / s1:.2f}x",
        ]
        text = (
            f"### Durable autocommit INSERTs through SQL (`python -m bench.sql_commits`)\n\n"
            f"One ~100-byte row per autocommit `INSERT INTO t VALUES (...)` with parameters, "
            f"{args.seconds:g} s per case, median of {args.repeat} interleaved runs; each "
            f"thread has its own connection and ids.  KintsugiDB: `core.connect(path, "
            f"autocommit=True)` (connections share one engine: group commit).  SQLite: WAL, "
            f"synchronous=FULL, one connection per thread, timeout=30.  A bare 200-byte "
            f"pwrite + fdatasync on this disk took {sync_before * 1e6:,.0f} µs before the "
            f"cases and {sync_after * 1e6:,.0f} µs after (medians of 300), i.e. at most "
            f"~{1 / sync_lat:,.0f} unbatched durable commits/s."
            f"\n\n"
            f"{table}\n\n" + "\n".join(summary_lines) + "\n"
        )
        print()
        print(table)
        print("\n".join(summary_lines))

        if args.profile:
            for threads in (1, nt):
                path = os.path.join(root, f"profile-{threads}")
                res = kdb_case(os.path.join(path, "db"), threads, args.seconds, profile=True)
                print(f"\n=== cProfile, KintsugiDB SQL {threads} thread(s): "
                      f"{fmt_rate(res['rate'])} INSERTs/s under the profiler ===")
                print(profile_report(res["profiles"]))

    if not args.no_write:
        write_results("sql_commits", text, info)
    summary = {
        "benchmark": "sql_commits",
        "targets": [
            {"name": "1-thread autocommit INSERTs vs SQLite", "ratio": ratio1,
             "target": ">= 1.0x", "met": met1},
            {"name": f"{nt}-thread autocommit INSERTs vs SQLite {nt}-thread", "ratio": ration,
             "target": ">= 3x", "met": metn},
        ],
        "kdb_1": k1, "sqlite_1": s1, "kdb_n": kn, "sqlite_n": sn,
        "fdatasync_s": [sync_before, sync_after],
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
