"""GC delete ranges, the safe point and persisted global settings, in system.kdb.

TiDB keeps what a DROP/TRUNCATE left behind as rows of `mysql.gc_delete_range` (moved to
`mysql.gc_delete_range_done` once collected) and the safe point as `mysql.tidb` rows; these are
the same facts under the dictionary's keys, written in the DDL's own transaction, so a drop and
its range commit or vanish together:

    m:gc:<space id u32>           a whole tablespace awaiting GC: a dropped or truncated table,
                                  a rebuild's old table (or its never-visible new one)
    m:gci:<table u32><index u32>  a dropped index's entries awaiting GC (same tablespace)
    m:gcd:<job u64><element u32>  a range GC finished (`mysql.gc_delete_range_done`)
    m:gcsp                        the last GC round: {"safe_point", "run_at", "life_time"}
    m:var:<name>                  a global variable set with SET GLOBAL, as text

A range is a dict: kind ("table" | "index"), job_id, element_id (the table id, or the index
id), table_id, index_id (index ranges), ts (when it was queued, UNIX seconds from the engine's
clock), start_key/end_key (hex, TiDB's columns), and for a table its TableInfo as it was
(`table`): RECOVER TABLE puts exactly that back.  Durations are Go's ("10m0s"), as TiDB's
`tidb_gc_life_time`.
"""

from __future__ import annotations

import os
import re
import struct
import time

from core.catalog.model import TableInfo
from core.catalog.store import SYSTEM, _decode, _end, _pack
from core.codec.keys import index_prefix, prefix_next, table_prefix

GC_TABLE_PREFIX = b"m:gc:"
GC_INDEX_PREFIX = b"m:gci:"
GC_DONE_PREFIX = b"m:gcd:"
SAFE_POINT_KEY = b"m:gcsp"
VAR_PREFIX = b"m:var:"
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")

DEFAULT_LIFE_TIME = 600.0  # TiDB's tidb_gc_life_time default, 10m0s
DEFAULT_RUN_INTERVAL = 600.0  # TiDB's tidb_gc_run_interval default, 10m0s


# -- the ranges --------------------------------------------------------------------------------

def table_range(table: TableInfo, job_id: int, ts: float) -> dict:
    start = table_prefix(table.id)
    return {"kind": "table", "job_id": job_id, "element_id": table.id, "table_id": table.id,
            "ts": ts, "start_key": start.hex(), "end_key": prefix_next(start).hex(),
            "table": table.to_dict()}


def index_range(table: TableInfo, index_id: int, job_id: int, ts: float) -> dict:
    start = index_prefix(table.id, index_id)
    return {"kind": "index", "job_id": job_id, "element_id": index_id, "table_id": table.id,
            "index_id": index_id, "ts": ts, "start_key": start.hex(),
            "end_key": prefix_next(start).hex()}


def range_key(rng: dict) -> bytes:
    """The key of a pending range."""
    if rng.get("kind", "table") == "index":
        return GC_INDEX_PREFIX + _U32.pack(rng["table_id"]) + _U32.pack(rng["index_id"])
    return GC_TABLE_PREFIX + _U32.pack(rng["table_id"])


def done_key(rng: dict) -> bytes:
    return GC_DONE_PREFIX + _U64.pack(int(rng.get("job_id") or 0)) + _U32.pack(
        int(rng.get("element_id", rng.get("table_id", 0))))


def _normalise(rng: dict) -> dict:
    """A range as written before index ranges existed ({table_id, job_id, ts, table}) in the
    current shape."""
    if "kind" not in rng:
        rng = dict(rng, kind="table", element_id=rng.get("table_id"))
        start = table_prefix(int(rng["table_id"]))
        rng.setdefault("start_key", start.hex())
        rng.setdefault("end_key", prefix_next(start).hex())
    return rng


def pending(view) -> list[dict]:
    """Every range awaiting GC (tables first, then indexes), oldest job first."""
    out = [_normalise(_decode(dict, k, v))
           for k, v in view.scan(SYSTEM, GC_TABLE_PREFIX, _end(GC_TABLE_PREFIX))]
    out += [_decode(dict, k, v) for k, v in view.scan(SYSTEM, GC_INDEX_PREFIX,
                                                      _end(GC_INDEX_PREFIX))]
    out.sort(key=lambda r: (r.get("job_id") or 0, r.get("element_id") or 0))
    return out


def pending_table(view, table_id: int) -> dict | None:
    """The pending range of tablespace `table_id`, or None (never dropped, or collected)."""
    key = GC_TABLE_PREFIX + _U32.pack(table_id)
    raw = view.get(SYSTEM, key)
    return _normalise(_decode(dict, key, raw)) if raw else None


def done(view) -> list[dict]:
    """Every range GC finished, oldest job first (each with `done_ts`)."""
    return [_normalise(_decode(dict, k, v))
            for k, v in view.scan(SYSTEM, GC_DONE_PREFIX, _end(GC_DONE_PREFIX))]


def put(txn, rng: dict) -> None:
    """Queue a range (inside the DDL's transaction)."""
    txn.put(SYSTEM, range_key(rng), _pack(rng))


def remove(txn, rng: dict) -> None:
    """Take a range off the queue without collecting it (RECOVER TABLE)."""
    txn.delete(SYSTEM, range_key(rng))


def mark_done(txn, rng: dict, when: float) -> None:
    """Move a collected range to the done list (the GC worker, in the transaction that
    removes what it covered)."""
    txn.delete(SYSTEM, range_key(rng))
    txn.put(SYSTEM, done_key(rng), _pack(dict(rng, done_ts=when)))


def file_identity(full: str) -> dict:
    """The device and inode of the file GC is about to delete, recorded in its done range:
    a file put back at that path later (a backup copied in) is another inode, so GC never
    deletes it as the one a crash left (it is an orphan instead).  {} when there is none."""
    try:
        st = os.stat(full)
    except OSError:
        return {}
    return {"dev": st.st_dev, "ino": st.st_ino}


def is_collected_file(rng: dict, top: str, rel: str) -> bool:
    """Whether the file at `rel` (relative to the data directory `top`) is the very file the
    done range `rng` recorded: its path, and its inode when the range has one."""
    path = rng.get("path") or ""
    full = os.path.join(top, rel)
    if not path or os.path.realpath(os.path.join(top, path)) != os.path.realpath(full):
        return False
    if "ino" not in rng:
        return True  # a range recorded before inodes were: its path is all there is
    ident = file_identity(full)
    return bool(ident) and ident["ino"] == rng["ino"] and ident["dev"] == rng.get("dev")


# -- the safe point ------------------------------------------------------------------------------

def safe_point(view) -> dict | None:
    """The last GC round's {"safe_point", "run_at", "life_time"} or None (GC never ran)."""
    raw = view.get(SYSTEM, SAFE_POINT_KEY)
    return _decode(dict, SAFE_POINT_KEY, raw) if raw else None


def put_safe_point(txn, point: float, run_at: float, life_time: float) -> None:
    txn.put(SYSTEM, SAFE_POINT_KEY, _pack({"safe_point": point, "run_at": run_at,
                                           "life_time": life_time}))


# -- persisted global variables ------------------------------------------------------------

def global_variable(view, name: str) -> str | None:
    raw = view.get(SYSTEM, VAR_PREFIX + name.lower().encode())
    if raw is None:
        return None
    return _decode(dict, VAR_PREFIX, raw).get("value")


def global_variables(view) -> dict[str, str]:
    return {bytes(k[len(VAR_PREFIX):]).decode(): _decode(dict, k, v).get("value")
            for k, v in view.scan(SYSTEM, VAR_PREFIX, _end(VAR_PREFIX))}


def put_global_variable(txn, name: str, value: str) -> None:
    txn.put(SYSTEM, VAR_PREFIX + name.lower().encode(), _pack({"value": str(value)}))


def life_time(view) -> float:
    """`tidb_gc_life_time` in seconds (persisted with SET GLOBAL; 10m0s by default)."""
    text = global_variable(view, "tidb_gc_life_time")
    if text is None:
        return DEFAULT_LIFE_TIME
    try:
        return parse_duration(text)
    except ValueError:
        return DEFAULT_LIFE_TIME


# -- Go durations and times, as TiDB writes them -----------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration ("24h", "10m0s", "1h30m", "90s"), in seconds; ValueError when
    `text` is not one."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty duration")
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION.match(s, pos)
        if m is None:
            raise ValueError(f"time: invalid duration {text!r}")
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    return sign * total


def format_duration(seconds: float) -> str:
    """Go's Duration.String() for whole seconds and more: 600 -> "10m0s", 86400 ->
    "24h0m0s", 90.5 -> "1m30.5s"."""
    neg = seconds < 0
    seconds = abs(float(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    s_text = f"{s:.9f}".rstrip("0").rstrip(".") if s != int(s) else str(int(s))
    if h:
        out = f"{int(h)}h{int(m)}m{s_text}s"
    elif m:
        out = f"{int(m)}m{s_text}s"
    else:
        out = f"{s_text}s"
    return ("-" if neg else "") + out


def go_time(ts: float) -> str:
    """A time as Go's Time.String() prints it in TiDB's messages, in the machine's zone:
    "2019-07-10 13:45:57 +0800 CST"."""
    lt = time.localtime(ts)
    return time.strftime("%Y-%m-%d %H:%M:%S %z ", lt) + (lt.tm_zone or "UTC")


def tidb_time(ts: float) -> str:
    """A time as TiDB stores it in `mysql.tidb` ("20060102-15:04:05.000 -0700")."""
    lt = time.localtime(ts)
    ms = int(round((ts - int(ts)) * 1000)) % 1000
    return time.strftime("%Y%m%d-%H:%M:%S", lt) + f".{ms:03d} " + time.strftime("%z", lt)
