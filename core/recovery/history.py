"""The recovery history: one row per open that had to recover or was forced, kept in
`system.kdb` (space 0) under `HISTORY_PREFIX` + an 8-byte big-endian id, and read back as
`information_schema.RECOVERY_HISTORY`.

Rows are written straight into system.kdb's LMDB file (and synced), not through the redo log:
the history describes recovery itself, so it must not depend on the log it describes, and
`core.recovery` sits below `core.txn` in the layering.  A forced open (force_recovery > 0)
may not change a byte of the data files, so its row goes to a sidecar file beside them,
`#recovery-pending.jsonl` (the name cannot be a schema directory: those never hold '#'), and
stays in memory on the engine; the next writable open moves those rows into system.kdb, in
id order, and removes the sidecar.  Ids keep increasing across both places.

Recording is best effort: a history that cannot be written must never make an open fail, so
every failure leaves the row in memory (readable until close) and returns.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import struct
import threading
from collections.abc import Iterable
from typing import Any

import msgpack

from core.events import RecoveryHistoryLineSkipped
from core.status import RecoveryRecord
from core.storage.spacemap import SYSTEM_SPACE
from core.storage.tablespace import GrowthDeferred

HISTORY_PREFIX = b"\x00recovery:"
_U64 = struct.Struct(">Q")
KEEP_ROWS = 1000
PENDING_FILE = "#recovery-pending.jsonl"
# Rows not (yet) in system.kdb, kept on the engine: a read-only open's rows and rows whose
# write failed.  Read through `read_history` until the engine closes.
_UNSAVED_ATTR = "recovery_history_unsaved"
_NOTED_ATTR = "recovery_history_damaged_lines"  # sidecar lines already warned about
_lock = threading.Lock()  # one history writer at a time (ids are max + 1)
_FIELDS = tuple(f.name for f in dataclasses.fields(RecoveryRecord))
_TUPLE_FIELDS = ("skipped_tables", "missing_tablespaces")


def history_key(record_id: int) -> bytes:
    return HISTORY_PREFIX + _U64.pack(record_id)


def record_recovery(engine: Any, rec: RecoveryRecord) -> RecoveryRecord:
    """Give `rec` the next id and keep it: in system.kdb when the engine may write, else in
    the sidecar and in memory.  Returns the record with its id.  Never raises (a failure
    keeps the row in memory only)."""
    with _lock:
        try:
            rec = dataclasses.replace(rec, id=_next_id(engine))
        except Exception:  # noqa: BLE001 - the history must never fail an open
            rec = dataclasses.replace(rec, id=_max_unsaved(engine) + 1)
        unsaved = _unsaved(engine)
        unsaved.append(rec)
        try:
            if engine.read_only:
                _append_pending(engine.path, rec)
            else:
                _save_unsaved(engine)
        except Exception:  # noqa: BLE001 - kept in memory: move_pending and read_history retry
            pass
    return rec


def move_pending(engine: Any) -> int:
    """Move the rows a read-only open left (the sidecar, and this engine's unsaved rows)
    into system.kdb and remove the sidecar; returns how many rows moved.  Does nothing on a
    read-only engine.  Never raises: run it at every writable open."""
    if engine.read_only:
        return 0
    with _lock:
        try:
            return _save_unsaved(engine)
        except Exception:  # noqa: BLE001 - the history must never fail an open
            return 0


def read_history(engine: Any) -> list[RecoveryRecord]:
    """Every recovery recorded for this database, oldest first: system.kdb's rows plus the
    pending ones (the sidecar of forced opens, rows this engine could not write yet)."""
    if not engine.read_only:
        move_pending(engine)
    with _lock:
        rows: dict[int, RecoveryRecord] = {}
        for r in _read_stored(engine):
            rows[r.id] = r
        for r in _pending_rows(engine):
            rows.setdefault(r.id, r)
        for r in _unsaved(engine):
            rows.setdefault(r.id, r)
    return [rows[i] for i in sorted(rows)]


# -- system.kdb ------------------------------------------------------------------------------


def _system(engine: Any):
    return engine.spaces[SYSTEM_SPACE]


def _read_stored(engine: Any) -> list[RecoveryRecord]:
    ts = engine.spaces.get(SYSTEM_SPACE)
    if ts is None:
        return []
    txn = ts.begin_read()
    try:
        cur = txn.cursor(db=ts.data_db)
        return decode_stored(cur.iternext() if cur.set_range(HISTORY_PREFIX) else ())
    finally:
        ts.end_read(txn)


def decode_stored(items: Iterable[tuple[bytes, bytes]]) -> list[RecoveryRecord]:
    """The history rows among system.kdb's (key, value) pairs from `HISTORY_PREFIX` on (a
    cursor positioned there; it stops at the first other key).  For readers that open the
    file themselves (`kintsugi info` opens no engine); a damaged row is left out."""
    out = []
    for key, raw in items:
        if not bytes(key).startswith(HISTORY_PREFIX):
            break
        try:
            rec = _decode(msgpack.unpackb(raw))
        except (ValueError, msgpack.UnpackException):
            rec = None  # a damaged row is left out, never fails the query
        if rec is not None:
            out.append(rec)
    return out


def pending_history(dbpath: str) -> list[RecoveryRecord]:
    """The rows forced opens left in the sidecar of the database in `dbpath`, not yet in
    system.kdb (shown after the stored ones: their ids are higher)."""
    return _read_pending(dbpath)


def _stored_ids(engine: Any) -> list[int]:
    ts = engine.spaces.get(SYSTEM_SPACE)
    if ts is None:
        return []
    ids = []
    txn = ts.begin_read()
    try:
        cur = txn.cursor(db=ts.data_db)
        if cur.set_range(HISTORY_PREFIX):
            for key in cur.iternext(values=False):
                if not key.startswith(HISTORY_PREFIX):
                    break
                ids.append(_U64.unpack(key[len(HISTORY_PREFIX):])[0])
    finally:
        ts.end_read(txn)
    return ids


def _next_id(engine: Any) -> int:
    stored = _stored_ids(engine)
    top = stored[-1] if stored else 0
    pending = [r.id for r in _pending_rows(engine)]
    return max([top, _max_unsaved(engine), *pending]) + 1


def _save_unsaved(engine: Any) -> int:
    """Write the sidecar's rows and the engine's unsaved rows into system.kdb in one LMDB
    transaction, drop the oldest beyond `KEEP_ROWS`, sync, then remove the sidecar.  A crash
    between the sync and the removal only writes the same rows (same ids) again."""
    rows: dict[int, RecoveryRecord] = {r.id: r for r in _pending_rows(engine)}
    unsaved = _unsaved(engine)
    for r in unsaved:
        rows[r.id] = r
    if not rows:
        return 0
    items: list[tuple[bytes, bytes | None]] = [
        (history_key(i), msgpack.packb(_encode(rows[i]))) for i in sorted(rows)]
    ids = sorted(set(_stored_ids(engine)) | set(rows))
    items += [(history_key(i), None) for i in ids[:max(0, len(ids) - KEEP_ROWS)]]
    items.sort(key=lambda kv: kv[0])
    ts = _system(engine)
    for _attempt in range(5):
        try:
            with ts.apply_lock:  # not while the flusher applies a generation here
                ts.apply(items, None)  # applied_lsn stays: these rows are not redo
            break
        except GrowthDeferred:
            continue
    else:
        return 0
    ts.env.sync(True)
    unsaved.clear()
    pending = os.path.join(engine.path, PENDING_FILE)
    if os.path.exists(pending):
        os.unlink(pending)
        _fsync_dir(engine.path)
    return len(rows)


# -- the sidecar and the engine's unsaved rows -------------------------------------------------


def _unsaved(engine: Any) -> list[RecoveryRecord]:
    rows = getattr(engine, _UNSAVED_ATTR, None)
    if rows is None:
        rows = []
        setattr(engine, _UNSAVED_ATTR, rows)
    return rows


def _max_unsaved(engine: Any) -> int:
    return max((r.id for r in _unsaved(engine)), default=0)


def _append_pending(dbpath: str, rec: RecoveryRecord) -> None:
    """Append one row as a line.  A crash while appending leaves a torn last line with no
    newline; the row appended after it starts on a line of its own (a newline is written
    first), or the torn bytes would make the two one undecodable line and lose this row."""
    path = os.path.join(dbpath, PENDING_FILE)
    created = not os.path.exists(path)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        data = (json.dumps(_encode(rec), sort_keys=True) + "\n").encode()
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # end the torn line: it stays one skipped line
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(dbpath)


def _read_pending(dbpath: str, damaged: list[int] | None = None) -> list[RecoveryRecord]:
    """The sidecar's rows.  A line that does not decode (a torn write: a crash while
    appending) is skipped, and its number (from 1) added to `damaged`; the lines after it
    are read as usual."""
    try:
        with open(os.path.join(dbpath, PENDING_FILE), "rb") as f:
            lines = f.read().split(b"\n")
    except OSError:
        return []
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = _decode(json.loads(line.decode("utf-8")))
        except ValueError:  # also UnicodeDecodeError
            rec = None
        if rec is None:
            if damaged is not None:
                damaged.append(number)
            continue
        out.append(rec)
    return out


def _pending_rows(engine: Any) -> list[RecoveryRecord]:
    """The sidecar's rows, a `RecoveryHistoryLineSkipped` warning (once per engine and
    line) for each damaged line among them."""
    damaged: list[int] = []
    rows = _read_pending(engine.path, damaged)
    if damaged:
        noted = getattr(engine, _NOTED_ATTR, None)
        if noted is None:
            noted = set()
            with contextlib.suppress(AttributeError):
                setattr(engine, _NOTED_ATTR, noted)
        sink = getattr(engine, "sink", None)
        path = os.path.join(engine.path, PENDING_FILE)
        for number in damaged:
            if number not in noted and sink is not None:
                noted.add(number)
                with contextlib.suppress(Exception):
                    sink(RecoveryHistoryLineSkipped(path, number))
    return rows


# -- encoding ----------------------------------------------------------------------------------


def _encode(rec: RecoveryRecord) -> dict:
    d = {name: getattr(rec, name) for name in _FIELDS}
    for name in _TUPLE_FIELDS:
        d[name] = list(d[name])
    return d


def _decode(d: Any) -> RecoveryRecord | None:
    """A stored row as a record; None for a damaged one (rows of a newer version keep the
    fields this version knows)."""
    if not isinstance(d, dict):
        return None
    try:
        kw = {name: d[name] for name in _FIELDS if name in d}
        for name in _TUPLE_FIELDS:
            if name in kw:
                kw[name] = tuple(str(x) for x in kw[name])
        rec = RecoveryRecord(**kw)
    except (TypeError, ValueError):
        return None
    return rec if isinstance(rec.id, int) else None


def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
