"""Binlog replay of `kintsugi restore` against the redo apply of crash recovery, same changes.

A database with one table `(id BIGINT PRIMARY KEY, u INT UNIQUE, grp INT, payload
VARCHAR(80), KEY kg (grp))` is closed cleanly and backed up (a cold copy with a manifest,
tests.backup_support.cold).  A writer process then commits a workload of `--rows` row
changes in transactions of `--txn-rows` rows (one statement each: 70% multi-row INSERT,
20% UPDATE of random live rows, 10% DELETE of random live rows) with no flusher
(`flush_interval=0`: every change is only in the redo log and the binlog) and is SIGKILLed
after its last commit.  On copies, each in a fresh process:

* **redo apply**: `core.api.recover(DIR)` of the crashed directory (scan, apply, sync);
* **binlog replay**: `core.restore(BACKUP, DEST, binlog_dir=that directory)`, timed from
  its first replay event to the end of replay (copy, recovery of the copy and the table
  check are reported apart).

Both apply the same logical changes (the redo also carries the index entries the replay
derives).  Medians of `--repeat` interleaved runs.

    python -m bench.restore [--rows 100000] [--txn-rows 10] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

from bench.common import REPO_DIR, fmt_rate, fmt_s, md_table, median, scratch_dir, write_results

DDL = ("CREATE TABLE bench (id BIGINT PRIMARY KEY, u INT UNIQUE, grp INT, "
       "payload VARCHAR(80), KEY kg (grp))")


# -- children -------------------------------------------------------------------------------


def _child_workload(path: str, rows: int, txn_rows: int) -> None:
    """Commit the workload with no flusher, print its counts, die by SIGKILL."""
    import core

    conn = core.connect(path, autocommit=True, flush_interval=0)
    cur = conn.cursor()
    rnd = random.Random(42)
    live: list[int] = []
    nxt = 1
    done = txns = 0
    counts = {"insert": 0, "update": 0, "delete": 0}
    while done < rows:
        k = min(txn_rows, rows - done)
        r = rnd.random()
        if r < 0.7 or len(live) < 4 * k:
            vals = []
            for _ in range(k):
                vals.append(f"({nxt}, {nxt}, {nxt % 97}, 'payload-{nxt:012d}-{'x' * 40}')")
                live.append(nxt)
                nxt += 1
            cur.execute("INSERT INTO bench VALUES " + ", ".join(vals))
            counts["insert"] += k
        elif r < 0.9:
            ids = set(rnd.sample(live, k))
            cur.execute(f"UPDATE bench SET grp = grp + 1, payload = CONCAT('u', payload) "
                        f"WHERE id IN ({', '.join(map(str, ids))})")
            k = len(ids)
            counts["update"] += k
        else:
            picks = set()
            while len(picks) < k:
                picks.add(rnd.randrange(len(live)))
            ids = [live[i] for i in picks]
            for i in sorted(picks, reverse=True):
                live[i] = live[-1]
                live.pop()
            cur.execute(f"DELETE FROM bench WHERE id IN ({', '.join(map(str, ids))})")
            counts["delete"] += k
        done += k
        txns += 1
    print(json.dumps({"rows": done, "transactions": txns, **counts}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _child_recover(path: str) -> dict:
    from core.api import recover

    t0 = time.perf_counter()
    recover(path)
    return {"seconds": time.perf_counter() - t0}


def _child_restore(backup: str, dest: str, binlog_dir: str) -> dict:
    import core

    marks: dict[str, float] = {}

    def sink(event) -> None:
        phase = getattr(event, "phase", None)
        if phase is not None:
            marks.setdefault(phase, time.perf_counter())
            marks[f"{phase}.end"] = time.perf_counter()

    t0 = time.perf_counter()
    r = core.restore(backup, dest, binlog_dir=binlog_dir, sink=sink)
    total = time.perf_counter() - t0
    replay_end = marks.get("check", marks.get("replay.end", t0))
    return {"seconds": total, "replay": replay_end - marks.get("replay", t0),
            "copy": marks.get("recover", t0) - marks.get("verify", t0),
            "recover": marks.get("replay", t0) - marks.get("recover", t0),
            "check": (marks.get("check.end", 0) - marks.get("check", 0)),
            "replayed": r.replayed, "rows": r.rows, "failures": list(r.check_failures)}


def _run(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.restore", *args], cwd=REPO_DIR,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the run --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--txn-rows", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--workload", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--recover", help=argparse.SUPPRESS)
    ap.add_argument("--restore", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.workload:
        _child_workload(args.workload[0], int(args.workload[1]), int(args.workload[2]))
        return
    if args.recover:
        print(json.dumps(_child_recover(args.recover)))
        return
    if args.restore:
        print(json.dumps(_child_restore(*args.restore)))
        return

    import core
    from tests.backup_support.cold import cold_backup

    started = time.perf_counter()
    with scratch_dir("restore") as root:
        src, bk = os.path.join(root, "src"), os.path.join(root, "bk")
        conn = core.connect(src, create=True, autocommit=True)
        conn.execute(DDL)
        conn.close()
        cold_backup(src, bk)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bench.restore", "--workload", src,
                               str(args.rows), str(args.txn_rows)], cwd=REPO_DIR,
                              capture_output=True, text=True)
        if proc.returncode != -signal.SIGKILL:
            raise RuntimeError(f"workload failed ({proc.returncode}): {proc.stderr[-3000:]}")
        work = json.loads(proc.stdout.strip().splitlines()[-1])
        build = time.perf_counter() - t0
        redo = sum(os.path.getsize(os.path.join(src, "#redo", n))
                   for n in os.listdir(os.path.join(src, "#redo")))
        binlog = sum(os.path.getsize(os.path.join(src, n)) for n in os.listdir(src)
                     if n.startswith("binlog.0"))
        rec_s: list[float] = []
        rep: list[dict] = []
        for i in range(args.repeat):
            copy = os.path.join(root, f"crashed{i}")
            shutil.copytree(src, copy, ignore=shutil.ignore_patterns("*-lock", "LOCK"))
            rec_s.append(_run("--recover", copy)["seconds"])
            dest = os.path.join(root, f"restored{i}")
            rep.append(_run("--restore", bk, dest, copy))
            shutil.rmtree(dest)
            shutil.rmtree(copy)
        whole = time.perf_counter() - started
    n, t = work["rows"], work["transactions"]
    r_med = median(rec_s)
    p_med = median([r["replay"] for r in rep])
    rows = [
        ["redo apply (crash recovery)", fmt_s(r_med), fmt_rate(n / r_med), fmt_rate(t / r_med),
         "1.00x"],
        ["binlog replay (restore)", fmt_s(p_med), fmt_rate(n / p_med), fmt_rate(t / p_med),
         f"{p_med / r_med:.2f}x"],
    ]
    last = rep[-1]
    text = "\n".join([
        "### RESTORE: binlog replay against redo apply (`python -m bench.restore`)",
        "",
        f"One table `(id BIGINT PRIMARY KEY, u INT UNIQUE, grp INT, payload VARCHAR(80), KEY "
        f"kg (grp))`, backed up empty (cold copy + manifest), then {n:,} row changes "
        f"({work['insert']:,} inserts, {work['update']:,} updates, {work['delete']:,} "
        f"deletes) in {t:,} transactions of {args.txn_rows} rows, committed with no flusher "
        f"and SIGKILLed: {binlog / 1e6:.1f} MB of binlog ({redo / 1e6:.0f} MB of redo segments on "
        f"disk, preallocated).  "
        f"Each of {args.repeat} interleaved rounds: crash recovery of a copy (redo apply, "
        "fresh process), then `core.restore` of the backup replaying that copy's binlog "
        "(fresh process; replay timed from its first to its last transaction).",
        "",
        md_table(["apply (median)", "time", "row changes/s", "transactions/s", "time vs redo"],
                 rows),
        "",
        f"- restore's other phases (last round): check and copy of the backup "
        f"{fmt_s(last['copy'])}, recovery of the copy {fmt_s(last['recover'])}, ADMIN CHECK "
        f"TABLE {fmt_s(last['check'])}, whole restore {fmt_s(last['seconds'])}; "
        f"{last['replayed']:,} transactions ({last['rows']:,} row changes) replayed in "
        f"restored commits of up to 10,000 rows; check failures: {len(last['failures'])}",
        "- the two do different work for the same changes: the redo carries finished keys "
        "and values (rows and index entries) that recovery puts in sorted batches; replay "
        "decodes each row image, maps its columns by name, derives every index entry (old "
        "ones removed first) and commits through the commit path, grouping source "
        "transactions; recovery's time includes opening and closing the database, replay's "
        "does not (the restore's recovery of the copy is listed apart)",
        f"- all recovery runs: {', '.join(fmt_s(x) for x in rec_s)}; replay runs: "
        f"{', '.join(fmt_s(r['replay']) for r in rep)}; building the workload "
        f"{fmt_s(build)}; whole run {fmt_s(whole)}",
    ])
    print(text)
    if not args.no_write:
        write_results("restore", text)


if __name__ == "__main__":
    main()
