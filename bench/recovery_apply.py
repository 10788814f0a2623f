"""Redo apply throughput: crash recovery against the floor of a bare replay loop.

A writer process commits N row operations (~100-byte rows, transactions of 10,000 rows) with
no flusher (`flush_interval=0`: nothing reaches a tablespace, everything is in the redo log)
and is killed with SIGKILL after its last commit.  The crashed directory is copied, and on
separate copies, each in a fresh process, the same log is replayed two ways:

* **recovery**: `core.api.recover(DIR)` (scan, apply in batches, sync, close);
* **bare loop**: read every redo segment, check each frame's CRC32C, `msgpack`-decode its
  body, keep the operations of committed transactions and `putmulti` them, sorted, into a
  fresh LMDB file (the tablespace's settings) every 200,000 operations, then sync.

Target: recovery applies at >= 75% of the bare loop's rate (time ratio bare / recovery).
Medians of `--repeat` interleaved runs.  The builder and the timed children are reused by
`bench.recovery_scale` and `bench.recovery_console`.

    python -m bench.recovery_apply [--records 1000000] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from bench.common import (
    REPO_DIR,
    dir_size,
    dump_json,
    fmt_rate,
    fmt_s,
    mb,
    md_table,
    median,
    scratch_dir,
    verdict,
    write_results,
)

TARGET = 0.75
TXN_ROWS = 10_000
BARE_BATCH = 200_000


# --------------------------------------------------------------------------------------------
# children (python -m bench.recovery_apply --build/--recover/--bare DIR)
# --------------------------------------------------------------------------------------------


def _child_build(path: str, records: int) -> None:
    """Commit `records` row operations with no flusher, then die by SIGKILL."""
    from bench.common import create_space, make_row, open_engine
    from core.codec.keys import row_key
    from core.codec.rows import encode_row

    eng = open_engine(path, flush_interval=0)
    sid = create_space(eng)
    for lo in range(0, records, TXN_ROWS):
        txn = eng.begin()
        for i in range(lo, min(records, lo + TXN_ROWS)):
            txn.put(sid, row_key(1, i), encode_row(make_row(i)))
        txn.commit()
    print("BUILT", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _peak_rss() -> int:
    """VmHWM of this process, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _child_recover(path: str) -> dict:
    from core.api import recover

    batches: list[int] = []

    def sink(event) -> None:
        if type(event).__name__ == "RedoApplyBatch":
            batches.append(getattr(event, "batch", 0))

    base = _peak_rss()
    t0 = time.perf_counter()
    recover(path, sink=sink)
    secs = time.perf_counter() - t0
    return {"seconds": secs, "peak_rss": _peak_rss(), "rss_at_start": base,
            "batches": len(batches), "ops": sum(b for b in batches if isinstance(b, int))}


def _child_bare(path: str) -> dict:
    """The floor: read, CRC-check, decode, putmulti, sync; nothing else."""
    import lmdb
    import msgpack
    from crc32c import crc32c

    from core.log.record import HEADER, HEADER_SIZE, RecordType
    from core.log.segment import SEGMENT_HEADER_SIZE

    lsns = __import__("struct").Struct("<QQ")
    redo = os.path.join(path, "#redo")
    out = os.path.join(path, "bare.lmdb")
    env = lmdb.open(out, subdir=False, map_size=8 << 30, max_dbs=4, sync=True,
                    metasync=False, writemap=False, readahead=False)
    data = env.open_db(b"data")
    t0 = time.perf_counter()
    pending: dict[int, list] = {}
    batch: dict[int, dict[bytes, bytes | None]] = {}
    buffered = total = log_bytes = 0

    def put(ops: list) -> None:
        nonlocal buffered
        for space, key, value in ops:
            batch.setdefault(space, {})[key] = value
        buffered += len(ops)

    def apply() -> None:
        nonlocal buffered, total
        with env.begin(write=True, db=data) as txn:
            cur = txn.cursor(db=data)
            for items in batch.values():
                cur.putmulti(sorted(items.items()))
        total += buffered
        batch.clear()
        buffered = 0

    for name in sorted(n for n in os.listdir(redo) if n.startswith("redo.")):
        with open(os.path.join(redo, name), "rb") as f:
            buf = f.read()
        pos = SEGMENT_HEADER_SIZE
        while pos + HEADER_SIZE <= len(buf):
            length, crc, lsn, synced = HEADER.unpack_from(buf, pos)
            if length == 0:
                break
            body = memoryview(buf)[pos + HEADER_SIZE:pos + HEADER_SIZE + length]
            if crc32c(body, crc32c(lsns.pack(lsn, synced))) != crc:
                break
            rec = msgpack.unpackb(body, raw=False, use_list=True, strict_map_key=False)
            kind = rec[0]
            if kind == RecordType.ROWS_COMMIT:
                put(rec[2])
            elif kind == RecordType.ROWS:
                pending.setdefault(rec[1], []).extend(rec[2])
            elif kind == RecordType.COMMIT:
                put(pending.pop(rec[1], []))
            if buffered >= BARE_BATCH:
                apply()
            pos += HEADER_SIZE + length
        log_bytes += pos - SEGMENT_HEADER_SIZE
    apply()
    env.sync(True)
    secs = time.perf_counter() - t0
    env.close()
    return {"seconds": secs, "peak_rss": _peak_rss(), "ops": total, "log_bytes": log_bytes}


def run_child(mode: str, path: str, *extra: str, env: dict | None = None) -> dict:
    """Run `python -m bench.recovery_apply --MODE PATH` and return its JSON result."""
    proc = subprocess.run([sys.executable, "-m", "bench.recovery_apply", f"--{mode}", path,
                           *extra], cwd=REPO_DIR, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} {path} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def build_crashed(path: str, records: int) -> float:
    """A database whose last `records` committed row operations are only in the redo log
    (the writer was SIGKILLed); returns the build time."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.recovery_apply", "--build", path,
                           str(records)], cwd=REPO_DIR, capture_output=True, text=True)
    if proc.returncode != -signal.SIGKILL or "BUILT" not in proc.stdout:
        raise RuntimeError(f"building {path} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return time.perf_counter() - t0


def publish(name: str, text: str, args: argparse.Namespace, targets: list[dict]) -> None:
    """Print a recovery benchmark's section, write it to RESULTS.md (unless --no-write) and
    its targets to --json (for run_all)."""
    print(text)
    if not args.no_write:
        write_results(name, text)
    dump_json(args.json, {"benchmark": name, "targets": targets})


def copy_db(src: str, dst: str) -> str:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*-lock", "LOCK"))
    return dst


def redo_bytes(path: str) -> int:
    return dir_size(os.path.join(path, "#redo"))


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] in ("--build", "--recover", "--bare"):
        if argv[0] == "--build":
            _child_build(argv[1], int(argv[2]))
        else:
            res = (_child_recover if argv[0] == "--recover" else _child_bare)(argv[1])
            print(json.dumps(res))
        return 0
    ap = argparse.ArgumentParser(prog="python -m bench.recovery_apply",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000, help="row operations (1M)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs (3)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    with scratch_dir("recovery_apply", keep=args.keep) as d:
        src = os.path.join(d, "crashed")
        built = build_crashed(src, args.records)
        print(f"built {args.records:,} records in {fmt_s(built)}", flush=True)
        rec, bare = [], []
        for r in range(args.repeat):
            for mode, out in (("recover", rec), ("bare", bare)):
                work = copy_db(src, os.path.join(d, f"{mode}{r}"))
                res = run_child(mode, work)
                out.append(res)
                shutil.rmtree(work)
                print(f"run {r}: {mode} {fmt_s(res['seconds'])}", flush=True)
    for res in bare:
        if res["ops"] < args.records:  # (+ the space map's own records)
            raise SystemExit(f"the bare loop applied {res['ops']} of {args.records} operations")
    log = bare[0]["log_bytes"]
    t_rec = median([x["seconds"] for x in rec])
    t_bare = median([x["seconds"] for x in bare])
    ratio = t_bare / t_rec
    ok = ratio >= TARGET
    rows = [["recovery (`core.api.recover`)", fmt_s(t_rec), fmt_rate(args.records / t_rec),
             mb(median([x["peak_rss"] for x in rec])), rec[0]["batches"]],
            ["bare loop (read, CRC32C, msgpack, putmulti, sync)", fmt_s(t_bare),
             fmt_rate(args.records / t_bare), mb(median([x["peak_rss"] for x in bare])), "-"]]
    text = (
        f"### Redo apply vs a bare loop (`python -m bench.recovery_apply --records "
        f"{args.records}`)\n\n"
        f"{args.records:,} committed row operations (~100-byte rows, {TXN_ROWS:,} per "
        f"transaction), {mb(log)} of redo, only in the log (the writer had no flusher and was "
        f"SIGKILLed); each replay on its own copy in a fresh process; median of "
        f"{args.repeat} interleaved runs.\n\n"
        + md_table(["replay", "time", "records/s", "peak RSS", "apply batches"], rows)
        + f"\n\n- recovery rate / bare-loop rate = **{ratio:.2f}x** (target >= {TARGET}x): "
        f"**{verdict(ok)}**\n")
    publish("recovery_apply", text, args, [
        {"name": f"redo apply of {args.records:,} records vs bare loop",
         "target": f">= {TARGET}x", "ratio": ratio, "met": ok}])
    return 0


if __name__ == "__main__":
    sys.exit(main())
