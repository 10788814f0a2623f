"""Shared helpers of the benchmarks: timing, scratch directories, memory sampling, the test
rows, SQLite setup and the RESULTS.md writer.

Every benchmark works in a scratch directory under ``bench/out/`` (gitignored), i.e. on the
same disk as the repository, and removes it when done (``--keep`` keeps it).
"""

from __future__ import annotations

import contextlib
import cProfile
import datetime as _dt
import io
import json
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
OUT_DIR = os.path.join(BENCH_DIR, "out")
RESULTS_PATH = os.path.join(BENCH_DIR, "RESULTS.md")

RESULTS_HEADER = """# KintsugiDB benchmark results

Written by the scripts in `bench/` (see `bench/README.md`); each section is replaced when its
benchmark runs again.  Numbers are from one machine and one run: compare rows of the same
section, not sections with each other.
"""

# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------


class Timer:
    """``with Timer() as t: ...`` then ``t.elapsed`` (seconds, perf_counter)."""

    def __init__(self) -> None:
        self.start = 0.0
        self.elapsed = 0.0

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.elapsed = time.perf_counter() - self.start


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[i]


# --------------------------------------------------------------------------------------------
# scratch directories
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_dir(name: str, keep: bool = False) -> Iterator[str]:
    """A fresh directory under bench/out/ (same disk as the repo), removed afterwards."""
    os.makedirs(OUT_DIR, exist_ok=True)
    path = tempfile.mkdtemp(prefix=f"{name}-", dir=OUT_DIR)
    try:
        yield path
    finally:
        if keep:
            print(f"(kept {path})", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def dir_size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(root, f)).st_blocks * 512
    return total


# --------------------------------------------------------------------------------------------
# machine description
# --------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _mem_total_gb() -> float:
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def _filesystem(path: str) -> str:
    """Filesystem type and device of the mount holding `path` (from /proc/mounts)."""
    path = os.path.realpath(path)
    best = ("", "?", "?")
    with contextlib.suppress(OSError):
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                dev, mnt, fstype = parts[0], parts[1], parts[2]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(
                    best[0]
                ):
                    best = (mnt, fstype, dev)
    return f"{best[1]} on {best[2]}"


def machine_info() -> dict:
    import lmdb
    import msgpack

    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "mem_gb": round(_mem_total_gb(), 1),
        "python": platform.python_version(),
        "lmdb": "py-lmdb {} / LMDB {}".format(lmdb.__version__,
                                             ".".join(map(str, lmdb.version()))),
        "sqlite": sqlite3.sqlite_version,
        "msgpack": ".".join(map(str, msgpack.version)),
        "filesystem": _filesystem(OUT_DIR if os.path.isdir(OUT_DIR) else BENCH_DIR),
        "kernel": platform.release(),
        "code": code_version(),
    }


def code_version() -> str:
    """Short HEAD commit, noting uncommitted changes under core/ (the code measured)."""
    import subprocess

    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR,
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "core"], cwd=REPO_DIR,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" + uncommitted changes in core/" if dirty else "")


def machine_line(info: dict | None = None) -> str:
    m = info or machine_info()
    return (
        f"{m['cpus']} CPUs ({m['cpu_model']}), {m['mem_gb']} GB RAM, Linux {m['kernel']}, "
        f"{m['filesystem']}; Python {m['python']}, {m['lmdb']}, SQLite {m['sqlite']}, "
        f"msgpack {m['msgpack']}; code {m.get('code', 'unknown')}"
    )


# --------------------------------------------------------------------------------------------
# memory
# --------------------------------------------------------------------------------------------

_STATUS_FIELDS = ("VmRSS", "RssAnon", "RssFile", "VmHWM")


def proc_status() -> dict[str, int]:
    """VmRSS / RssAnon / RssFile / VmHWM of this process, in bytes."""
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in _STATUS_FIELDS:
                out[key] = int(rest.split()[0]) * 1024
    return out


def reset_peak_rss() -> bool:
    """Reset VmHWM (Linux >= 4.0: write 5 to clear_refs); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class MemSampler:
    """Samples /proc/self/status in a daemon thread every `interval` seconds and keeps the
    peaks of VmRSS, RssAnon and RssFile, per named phase and overall.

    ``VmRSS`` counts LMDB's file-backed mmap pages (and the page cache pages the process has
    mapped); ``RssAnon`` is the private heap (Python objects, buffers) only."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.phase = "start"
        self.peaks: dict[str, dict[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mem-sampler", daemon=True)

    def _record(self) -> None:
        s = proc_status()
        for name in (self.phase, "all"):
            p = self.peaks.setdefault(name, {"VmRSS": 0, "RssAnon": 0, "RssFile": 0})
            for k in ("VmRSS", "RssAnon", "RssFile"):
                if s.get(k, 0) > p[k]:
                    p[k] = s[k]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._record()

    def set_phase(self, name: str) -> None:
        self._record()  # the end of the previous phase
        self.phase = name
        self._record()

    def __enter__(self) -> MemSampler:
        self._record()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._record()

    def peak(self, key: str, phase: str = "all") -> int:
        return self.peaks.get(phase, {}).get(key, 0)


def mb(nbytes: float) -> str:
    return f"{nbytes / 1024 / 1024:,.0f} MB"


# --------------------------------------------------------------------------------------------
# test data
# --------------------------------------------------------------------------------------------

TABLE_ID = 1
INDEX_ID = 1
COLUMNS = ("id", "name", "qty", "price", "note")
NOTE = "x" * 63  # makes an encoded row ~100 bytes (4-byte CRC + msgpack array)


def make_row(i: int) -> list:
    """Row `i`: [id, name, qty, price, note], ~100 bytes once encoded."""
    return [i, f"name-{i:08d}", (i * 7919) % 1000, (i % 100_000) / 100, NOTE]


def qty_of(i: int) -> int:
    return (i * 7919) % 1000


def write_rows(conn, table_name: str, rows: int, batch: int = 100_000,
               schema: str = "test") -> None:
    """Write make_row(0..rows-1) into the existing table `schema.table_name` (rows and index
    entries) through the SQL layer's row writer, `batch` rows per transaction: the fastest
    load the engine has, for benchmarks that measure something else."""
    from core.sql.table import TableWriter

    eng = conn._engine
    with eng.snapshot() as snap:
        table = conn._session.db.catalog.schema(snap).table(schema, table_name)
    for start in range(0, rows, batch):
        txn = eng.begin()
        writer = TableWriter(table, txn)
        for i in range(start, min(rows, start + batch)):
            writer.insert(make_row(i), i)
        txn.commit()


def open_engine(path: str, **kw):
    from core.kv import Engine

    return Engine.open(path, create=True, **kw)


def create_space(eng, table: str = "t") -> int:
    with eng.begin() as txn:
        sid = txn.create_space("bench", table)
    return sid


def sqlite_connect(path: str, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Autocommit connection (isolation_level=None), WAL, synchronous=FULL."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"SQLite refused WAL mode ({mode})")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, "
    "price REAL, note TEXT)"
)


def is_locked_error(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return "database is locked" in msg or "database is busy" in msg


# --------------------------------------------------------------------------------------------
# profiling
# --------------------------------------------------------------------------------------------


def profile_report(profiles: Sequence[cProfile.Profile], limit: int = 25,
                   sort: str = "tottime") -> str:
    """Merge profiles (one per thread) and return the top functions as text."""
    buf = io.StringIO()
    stats = None
    for p in profiles:
        if stats is None:
            stats = pstats.Stats(p, stream=buf)
        else:
            stats.add(p)
    if stats is None:
        return "(no profile)"
    stats.strip_dirs().sort_stats(sort).print_stats(limit)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def verdict(met: bool) -> str:
    return "target met" if met else "target MISSED"


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def fmt_s(x: float) -> str:
    return f"{x:.2f} s" if x >= 1 else f"{x * 1000:.0f} ms"


def write_results(section: str, text: str, info: dict | None = None,
                  path: str = RESULTS_PATH, top: bool = False) -> None:
    """Replace the block between ``<!-- section:NAME -->`` and ``<!-- /section:NAME -->`` in
    bench/RESULTS.md with `text`, stamped with the UTC date and the machine line.  A new
    section is appended (or, with `top`, put right after the file's header).  The file is
    rewritten atomically."""
    begin, end = f"<!-- section:{section} -->", f"<!-- /section:{section} -->"
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"{begin}\n_Run {now} on: {machine_line(info)}_\n\n{text.strip()}\n{end}"
    )
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = RESULTS_HEADER
    i = doc.find(begin)
    j = doc.find(end, i + len(begin)) if i >= 0 else -1
    if i >= 0 and j >= 0:
        doc = doc[:i] + block + doc[j + len(end):]
    elif top and doc.startswith(RESULTS_HEADER):
        doc = RESULTS_HEADER + "\n" + block + "\n" + doc[len(RESULTS_HEADER):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    if not doc.endswith("\n"):
        doc += "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(doc)
    os.replace(tmp, path)


def dump_json(path: str | None, summary: dict) -> None:
    """Write the benchmark's summary for run_all (when --json is given)."""
    if path:
        with open(path, "w") as f:
            json.dump(summary, f, indent=1)


# --------------------------------------------------------------------------------------------
# child processes (clean peak-RSS figures per engine)
# --------------------------------------------------------------------------------------------


def run_child(module: str, args: Sequence[str]) -> dict:
    """Run ``python -m <module> <args> --child-out FILE`` from the repository root and return
    the JSON the child wrote to FILE.  The child's stdout/stderr go to ours."""
    import subprocess

    os.makedirs(OUT_DIR, exist_ok=True)
    fd, out = tempfile.mkstemp(prefix="child-", suffix=".json", dir=OUT_DIR)
    os.close(fd)
    try:
        cmd = [sys.executable, "-m", module, *args, "--child-out", out]
        proc = subprocess.run(cmd, cwd=REPO_DIR, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}")
        with open(out) as f:
            return json.load(f)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(out)
