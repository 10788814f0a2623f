"""Durable single-key commits: KintsugiDB vs SQLite (WAL, synchronous=FULL).

Each commit writes one ~100-byte row under its own key and returns only once durable.
KintsugiDB: ``txn = eng.begin(); txn.put(...); txn.commit()`` (commit = log fdatasync, group
commit across threads).  SQLite: one autocommit ``INSERT`` into a table with an INTEGER
PRIMARY KEY, one connection per thread (``timeout=30``, retried on "database is locked").

Every case runs for the same wall-clock budget (``--seconds``); the cases are interleaved
``--repeat`` times and the median rate is reported.

Targets: 1 thread >= 1.0x SQLite's 1-thread rate; 4 threads >= 3x SQLite's 4-thread rate.

    python -m bench.kv_commits [--seconds 3] [--repeat 3] [--threads 4] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sqlite3
import threading
import time

from bench.common import (
    SQLITE_TABLE,
    TABLE_ID,
    create_space,
    dump_json,
    fmt_rate,
    is_locked_error,
    machine_info,
    machine_line,
    make_row,
    md_table,
    median,
    open_engine,
    percentile,
    profile_report,
    scratch_dir,
    sqlite_connect,
    verdict,
    write_results,
)

WARMUP = 50
THREAD_KEY_STRIDE = 1_000_000_000  # thread t writes handles t*STRIDE, t*STRIDE+1, ...


def run_threads(threads: int, seconds: float, body) -> tuple[int, float, list[float], list]:
    """Run `body(t, deadline, lats)` in `threads` threads, all released at once, for
    `seconds`.  Returns (total commits, elapsed, sorted latencies, per-thread extras)."""
    barrier = threading.Barrier(threads + 1)
    counts = [0] * threads
    ends = [0.0] * threads
    lats: list[list[float]] = [[] for _ in range(threads)]
    extras: list = [None] * threads
    errors: list[BaseException] = []
    box: dict[str, float] = {}

    def run(t: int) -> None:
        try:
            barrier.wait()
            counts[t], extras[t] = body(t, box["deadline"], lats[t])
            ends[t] = time.perf_counter()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            ends[t] = time.perf_counter()

    ths = [threading.Thread(target=run, args=(t,), name=f"bench-{t}") for t in range(threads)]
    for th in ths:
        th.start()
    t0 = time.perf_counter()
    box["deadline"] = t0 + seconds
    barrier.wait()
    for th in ths:
        th.join()
    if errors:
        raise errors[0]
    elapsed = max(ends) - t0
    all_lats = sorted(x for lt in lats for x in lt)
    return sum(counts), elapsed, all_lats, extras


def kdb_case(path: str, threads: int, seconds: float, profile: bool = False) -> dict:
    from core.codec.keys import row_key
    from core.codec.rows import encode_row

    eng = open_engine(path)
    try:
        sid = create_space(eng)
        for i in range(WARMUP):  # not timed; handles below every thread's range
            h = -1 - i
            txn = eng.begin()
            txn.put(sid, row_key(TABLE_ID, h), encode_row(make_row(h)))
            txn.commit()
        syncs0 = eng.log.syncs

        def body(t: int, deadline: float, lats: list[float]):
            prof = cProfile.Profile() if profile else None
            if prof:
                prof.enable()
            base = t * THREAD_KEY_STRIDE
            i = 0
            perf = time.perf_counter
            while True:
                start = perf()
                if start >= deadline:
                    break
                h = base + i
                txn = eng.begin()
                txn.put(sid, row_key(TABLE_ID, h), encode_row(make_row(h)))
                txn.commit()
                lats.append(perf() - start)
                i += 1
            if prof:
                prof.disable()
            return i, prof

        n, elapsed, lats, profs = run_threads(threads, seconds, body)
        syncs = eng.log.syncs - syncs0
        # sanity: every commit is there
        eng.flush()
        stored = eng.spaces[sid].entry_count()
        if stored != n + WARMUP:
            raise AssertionError(f"expected {n + WARMUP} rows in the tablespace, found {stored}")
    finally:
        eng.close()
    return {
        "commits": n,
        "elapsed": elapsed,
        "rate": n / elapsed,
        "syncs_per_commit": syncs / n if n else float("nan"),
        "p50_us": percentile(lats, 50) * 1e6,
        "p99_us": percentile(lats, 99) * 1e6,
        "profiles": [p for p in profs if p is not None],
    }


def sqlite_case(path: str, threads: int, seconds: float) -> dict:
    db = os.path.join(path, "bench.sqlite")
    conn = sqlite_connect(db)
    conn.execute(SQLITE_TABLE)
    for i in range(WARMUP):
        h = -1 - i
        conn.execute("INSERT INTO t VALUES (?,?,?,?,?)", make_row(h))
    conn.close()

    def body(t: int, deadline: float, lats: list[float]):
        c = sqlite_connect(db, timeout=30.0)
        base = t * THREAD_KEY_STRIDE
        i = 0
        retries = 0
        perf = time.perf_counter
        try:
            while True:
                start = perf()
                if start >= deadline:
                    break
                h = base + i
                row = make_row(h)
                while True:
                    try:
                        c.execute("INSERT INTO t VALUES (?,?,?,?,?)", row)
                        break
                    except sqlite3.OperationalError as exc:
                        if not is_locked_error(exc):
                            raise
                        retries += 1
                lats.append(perf() - start)
                i += 1
        finally:
            c.close()
        return i, retries

    n, elapsed, lats, retries = run_threads(threads, seconds, body)
    check = sqlite3.connect(db)
    stored = check.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    check.close()
    if stored != n + WARMUP:
        raise AssertionError(f"expected {n + WARMUP} rows in SQLite, found {stored}")
    return {
        "commits": n,
        "elapsed": elapsed,
        "rate": n / elapsed,
        "retries": sum(retries),
        "p50_us": percentile(lats, 50) * 1e6,
        "p99_us": percentile(lats, 99) * 1e6,
    }


def fdatasync_latency(directory: str, n: int = 300) -> float:
    """Median seconds of one 200-byte pwrite + fdatasync into a pre-zeroed file (the disk's
    floor for any durable commit)."""
    path = os.path.join(directory, "fdatasync-probe")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, bytes(n * 512), 0)
        os.fsync(fd)
        lats = []
        for i in range(n):
            t0 = time.perf_counter()
            os.pwrite(fd, b"x" * 200, i * 512)
            os.fdatasync(fd)
            lats.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    return median(lats)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(
        prog="python -m bench.kv_commits",
        description="Durable single-key commits/s: KintsugiDB vs SQLite WAL synchronous=FULL, "
        "1 thread and N threads.",
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
    with scratch_dir("kv_commits", keep=args.keep) as root:
        sync_lat = fdatasync_latency(root)
        print(f"  raw pwrite+fdatasync on this disk: {sync_lat * 1e6:.0f} µs (median)")
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
            retries = "" if eng_name == "kdb" else f" ({sum(x['retries'] for x in runs[c])} " \
                "lock retries)"
            rows.append([
                "KintsugiDB" if eng_name == "kdb" else "SQLite WAL FULL" + retries,
                threads,
                fmt_rate(med(c, "rate")),
                f"{med(c, 'p50_us'):,.0f}",
                f"{med(c, 'p99_us'):,.0f}",
                spc,
            ])
        table = md_table(
            ["engine", "threads", "commits/s (median)", "p50 µs", "p99 µs", "fdatasync/commit"],
            rows,
        )
        best_sqlite = max(s1, sn)
        summary_lines = [
            f"- 1 thread: KintsugiDB / SQLite = **{ratio1:.2f}x** (target >= 1.0x): "
            f"**{verdict(met1)}**",
            f"- {nt} threads: KintsugiDB / SQLite = **{ration:.2f}x** (target >= 3x): "
            f"**{verdict(metn)}**",
            f"- for reference, KintsugiDB {nt} threads / SQLite's best rate at any thread count "
            f"= {kn / best_sqlite:.2f}x; KintsugiDB {nt}-thread / 1-thread scaling = "
            f"{kn / k1:.2f}x",
        ]
        text = (
            f"### Durable single-key commits (`python -m bench.kv_commits`)\n\n"
            f"One ~100-byte row per commit, {args.seconds:g} s per case, median of "
            f"{args.repeat} interleaved runs; each thread writes its own keys.  SQLite: WAL, "
            f"synchronous=FULL, autocommit INSERT, one connection per thread, timeout=30.  "
            f"A bare 200-byte pwrite + fdatasync on this disk takes {sync_lat * 1e6:.0f} µs "
            f"(median of 300), i.e. at most {1 / sync_lat:,.0f} unbatched durable commits/s."
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
                print(f"\n=== cProfile, KintsugiDB {threads} thread(s): "
                      f"{fmt_rate(res['rate'])} commits/s under the profiler ===")
                print(profile_report(res["profiles"]))

    if not args.no_write:
        write_results("kv_commits", text, info)
    summary = {
        "benchmark": "kv_commits",
        "targets": [
            {"name": "1-thread commits vs SQLite", "ratio": ratio1, "target": ">= 1.0x",
             "met": met1},
            {"name": f"{nt}-thread commits vs SQLite {nt}-thread", "ratio": ration,
             "target": ">= 3x", "met": metn},
        ],
        "kdb_1": k1, "sqlite_1": s1, "kdb_n": kn, "sqlite_n": sn, "fdatasync_s": sync_lat,
    }
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
