"""Hot backup throughput against a plain file copy of the same files (issue 13).

A database of one table ``(id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE,
note VARCHAR(100), KEY t_qty (qty))`` with ~100-byte rows of `bench.common.make_row`,
loaded with the SQL layer's row writer (`bench.common.write_rows`, not timed) and flushed,
then held open by another process (`kintsugi backup` runs beside a live server).  Rounds,
interleaved: `core.backup_database(DIR, DEST)` (LMDB read-transaction copies of each tablespace,
the redo followed from the checkpoint, CRC32C of every file, fsyncs, the manifest), and a plain
copy of the same files (`shutil.copyfile` + fsync of each file and directory: control,
system.kdb, the tablespaces and the redo segments the backup took) into another directory.
Each is timed from its call to its return; throughput is the bytes of the files over that
time.  The last backup is then opened in place (crash recovery replaying its redo) and its
rows counted.

**Target:** backup throughput >= 80% of the plain copy's (medians, same run).

    python -m bench.backup [--rows 1500000] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
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

MODULE = "bench.backup"
TABLE = ("CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, "
         "note VARCHAR(100), KEY t_qty (qty))")
TARGET = 0.80
HOLDER = ("import sys, core; c = core.connect(sys.argv[1]); print('ready', flush=True); "
          "sys.stdin.read(); c.close()")


def plain_copy(src: str, dst: str, rels: list[str]) -> int:
    """Copy the files with shutil.copyfile, fsync each file and each directory."""
    total = 0
    os.makedirs(dst, exist_ok=True)
    dirs = {dst}
    for rel in rels:
        target = os.path.join(dst, rel)
        parent = os.path.dirname(target)
        if parent not in dirs:
            os.makedirs(parent, exist_ok=True)
            dirs.add(parent)
        shutil.copyfile(os.path.join(src, rel), target)
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        total += os.path.getsize(target)
    for d in dirs:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return total


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog=f"python -m {MODULE}",
                                 description="Hot backup throughput vs a plain file copy.")
    ap.add_argument("--rows", type=int, default=1_500_000, help="rows in the table")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians")
    ap.add_argument("--note", default="", help="a line for RESULTS.md")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)
    import core

    info = machine_info()
    with scratch_dir("backup", args.keep) as tmp:
        path = os.path.join(tmp, "db")
        t0 = time.perf_counter()
        conn = core.connect(path, create=True, autocommit=True)
        conn.cursor().execute(TABLE)
        write_rows(conn, "t", args.rows)
        conn._engine.flush()
        conn.close()
        load = time.perf_counter() - t0
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  cwd=os.path.dirname(os.path.dirname(__file__)))
        assert holder.stdout.readline().strip() == "ready"
        try:
            backups, copies, kdbs = [], [], []
            bk_bytes = cp_bytes = kdb_bytes = 0
            rels: list[str] = []
            for i in range(args.repeat + 1):
                # round 0 learns the backup's file list for the copy; then the two alternate
                # which goes first, so neither always follows the other's clean-up
                dest = os.path.join(tmp, f"bk{i}")
                cp = os.path.join(tmp, f"cp{i}")
                order = ("backup", "copy", "kdb") if i % 2 else ("kdb", "copy", "backup")
                for which in order:
                    if which != "backup" and not rels:
                        continue
                    started = time.perf_counter()
                    if which == "backup":
                        got = core.backup_database(path, dest)
                        took = time.perf_counter() - started
                        bk_bytes = got.bytes
                        with open(os.path.join(dest, "manifest.json")) as f:
                            rels = [e["path"] for e in json.load(f)["files"]]
                    elif which == "copy":
                        cp_bytes = plain_copy(path, cp, rels)
                        took = time.perf_counter() - started
                    else:
                        kdb_bytes = plain_copy(path, cp + "k",
                                               [r for r in rels if r.endswith(".kdb")])
                        took = time.perf_counter() - started
                    if i:
                        {"backup": backups, "copy": copies, "kdb": kdbs}[which].append(took)
                for d in (cp, cp + "k"):
                    if os.path.exists(d):
                        shutil.rmtree(d)
                if i < args.repeat:
                    shutil.rmtree(dest)
                if not i:
                    continue
                print(f"round {i}: backup {fmt_s(backups[-1])}, copy {fmt_s(copies[-1])}, "
                      f"tablespaces only {fmt_s(kdbs[-1])}", file=sys.stderr)
        finally:
            holder.stdin.close()
            holder.wait()
        table_size = os.path.getsize(os.path.join(path, "test", "t.kdb"))
        shutil.rmtree(path)  # room on the disk: the backup is opened in place (it is scratch)
        started = time.perf_counter()
        check = core.connect(dest, autocommit=True)
        cur = check.cursor()
        cur.execute("SELECT COUNT(*) FROM t")
        count = cur.fetchall()[0][0]
        check.close()
        reopen = time.perf_counter() - started
        assert count == args.rows, count
    bk, cp, kd = median(backups), median(copies), median(kdbs)
    bk_rate, cp_rate, kd_rate = bk_bytes / bk, cp_bytes / cp, kdb_bytes / kd
    ratio = bk_rate / cp_rate
    met = ratio >= TARGET
    rows = [["core.backup (hot, checksummed, manifest)", mb(bk_bytes), fmt_s(bk),
             f"{bk_rate / 1e6:,.0f} MB/s", f"{fmt_s(min(backups))} .. {fmt_s(max(backups))}"],
            ["shutil.copyfile + fsync of the same files", mb(cp_bytes), fmt_s(cp),
             f"{cp_rate / 1e6:,.0f} MB/s", f"{fmt_s(min(copies))} .. {fmt_s(max(copies))}"],
            ["(for scale) the same, the .kdb files only", mb(kdb_bytes), fmt_s(kd),
             f"{kd_rate / 1e6:,.0f} MB/s", f"{fmt_s(min(kdbs))} .. {fmt_s(max(kdbs))}"]]
    table = md_table([f"copy (median of {args.repeat})", "bytes", "time", "throughput",
                      "range"], rows)
    text = (
        f"### Hot backup vs a plain file copy (`python -m {MODULE}`)\n\n"
        f"One table `t (id BIGINT PRIMARY KEY, name, qty INT, price DOUBLE, note, KEY t_qty "
        f"(qty))` of {args.rows:,} rows ({mb(table_size)} tablespace), loaded with the SQL "
        f"layer's row writer and flushed ({fmt_s(load)}, not timed), held open by another "
        f"process.  {args.repeat} interleaved rounds (after one not timed; each round's first "
        f"operation alternates) of `core.backup_database(DIR, DEST)` (each "
        f"tablespace copied from an LMDB read transaction, the redo followed from the "
        f"checkpoint, a CRC32C of every file, fsyncs, the manifest last) and of a plain "
        f"`shutil.copyfile` + fsync of the same files (control, system.kdb, the tablespace, "
        f"the redo segment) into another directory.  Throughput = the files' bytes / the "
        f"time.  The last backup, opened (crash recovery replays its redo), "
        f"had all {count:,} rows ({fmt_s(reopen)} to open and count).  The backup copies a "
        f"tablespace with plain reads and writes inside the read transaction (LMDB's MVCC "
        f"keeps the snapshot's pages still), sums the CRC32C on the way, starts each chunk's "
        f"write-back at once (`posix_fadvise(DONTNEED)`) and fsyncs all files together; its "
        f"redo segment holds only the log from the checkpoint (the rest is a hole), where "
        f"the plain copy writes the whole 64 MB segment, so the last row copies the "
        f".kdb files alone.\n\n{table}\n\n"
        f"- backup throughput {ratio:.0%} of the plain copy's (target >= {TARGET:.0%}): "
        f"**{verdict(met)}**; against the copy of the .kdb files alone "
        f"{bk_rate / kd_rate:.0%}\n"
        + (f"- {args.note}\n" if args.note else "")
    )
    print()
    print(text)
    if not args.no_write:
        write_results("backup", text, info)
    summary = {"benchmark": "backup",
               "targets": [{"name": "backup throughput / plain copy", "target": TARGET,
                            "ratio": ratio, "met": met}],
               "backup_s": backups, "copy_s": copies, "kdb_copy_s": kdbs, "bytes": bk_bytes}
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
