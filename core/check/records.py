"""Each index's last consistency check, kept in system.kdb so it survives a restart and can be
read with SQL (information_schema.KINTSUGI_INDEX_CHECKS) and by the console's Indexes pane.

One key per index, ``m:chk:<table id u32><index id u32>``, holding a msgpack map {at (UNIX
time), operation, result, rows, entries, missing, dangling, mismatched, seconds} plus a
CRC32C (as the corruption flags).  A count that a check did not establish (ADMIN CHECK
stops at the first difference) is stored as None.  Records are written in a small
transaction of their own after the check, never on a read-only engine; records of an index
or table that no longer exists are ignored when read and removed when the table is checked
again.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import msgpack
from crc32c import crc32c

from core.codec import prefix_next
from core.codec.rows import CRC_RESIDUE
from core.errors import Error

RECORD_PREFIX = b"m:chk:"
SYSTEM = 0
_U32 = struct.Struct(">I")
_CRC = struct.Struct("<I")

CONSISTENT, INCONSISTENT = "consistent", "inconsistent"


@dataclass(frozen=True)
class CheckRecord:
    """The last check of one index."""

    table_id: int
    index_id: int
    at: float
    operation: str  # "check" | "inconsistencies" | "recheck" | ...
    result: str  # "consistent" | "inconsistent"
    rows: int | None = None
    entries: int | None = None
    missing: int | None = None
    dangling: int | None = None
    mismatched: int | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"at": self.at, "operation": self.operation, "result": self.result,
                "rows": self.rows, "entries": self.entries, "missing": self.missing,
                "dangling": self.dangling, "mismatched": self.mismatched,
                "seconds": self.seconds}


def record_key(table_id: int, index_id: int) -> bytes:
    return RECORD_PREFIX + _U32.pack(table_id) + _U32.pack(index_id)


def _num(v) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _unpack(key: bytes, raw: bytes) -> CheckRecord | None:
    rest = key[len(RECORD_PREFIX):]
    if len(rest) != 8 or crc32c(raw) != CRC_RESIDUE:
        return None
    try:
        d = msgpack.unpackb(raw[:-4], raw=False)
    except Exception:  # noqa: BLE001 - a damaged record is no record
        return None
    if not isinstance(d, dict):
        return None
    return CheckRecord(_U32.unpack(rest[:4])[0], _U32.unpack(rest[4:])[0],
                       float(d.get("at") or 0.0), str(d.get("operation", "")),
                       str(d.get("result", "")), _num(d.get("rows")), _num(d.get("entries")),
                       _num(d.get("missing")), _num(d.get("dangling")),
                       _num(d.get("mismatched")), float(d.get("seconds") or 0.0))


def read_records(view) -> list[CheckRecord]:
    """Every stored record as `view` sees it (the caller joins them with its schema)."""
    out = []
    for k, v in view.scan(SYSTEM, RECORD_PREFIX, prefix_next(RECORD_PREFIX)):
        rec = _unpack(bytes(k), bytes(v))
        if rec is not None:
            out.append(rec)
    return out


def put_record(txn, rec: CheckRecord) -> None:
    body = msgpack.packb(rec.to_dict(), use_bin_type=True)
    txn.put(SYSTEM, record_key(rec.table_id, rec.index_id), body + _CRC.pack(crc32c(body)))


class PendingRecords:
    """Records whose write was put off (another connection held the writer lock longer than
    a bookkeeping write waits): kept in memory per open database, shown by
    KINTSUGI_INDEX_CHECKS as if stored, and written with the next records or after the
    next COMMIT of any session.  Lost only if the process ends first (a record is a
    convenience; the check's answer was already given)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[int, int], CheckRecord] = {}

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, records: Iterable[CheckRecord]) -> None:
        with self._lock:
            for r in records:
                old = self._items.get((r.table_id, r.index_id))
                if old is None or old.at <= r.at:
                    self._items[(r.table_id, r.index_id)] = r

    def take(self) -> list[CheckRecord]:
        with self._lock:
            out = list(self._items.values())
            self._items.clear()
            return out

    def records(self) -> list[CheckRecord]:
        with self._lock:
            return list(self._items.values())


def write_records(engine, txn_factory: Callable, records: Iterable[CheckRecord],
                  live: dict[int, set[int]] | None = None,
                  pending: PendingRecords | None = None) -> bool:
    """Store `records` (and those `pending` held) in one small transaction; `live` (table
    id -> its index ids now) also removes the records of those tables' indexes that are
    gone.  Nothing on a read-only engine.  A failure (the writer lock not free in time)
    keeps the records in `pending`: a record is a convenience, never worth failing or
    holding up the check that made it.  True if written."""
    records = list(records)
    if pending is not None and pending:
        newer = {(r.table_id, r.index_id) for r in records}
        records = [r for r in pending.take() if (r.table_id, r.index_id) not in newer] + records
    if (not records and not live) or getattr(engine, "read_only", False):
        return False
    try:
        txn = txn_factory(engine)
        try:
            for rec in records:
                put_record(txn, rec)
            for tid, iids in (live or {}).items():
                lo = RECORD_PREFIX + _U32.pack(tid)
                for k, _v in list(txn.scan_current(SYSTEM, lo, prefix_next(lo))):
                    k = bytes(k)
                    if len(k) == len(lo) + 4 and _U32.unpack(k[-4:])[0] not in iids:
                        txn.delete(SYSTEM, k)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
    except Error:
        if pending is not None:
            pending.add(records)
        return False
    return True


def new_record(table_id: int, index_id: int, operation: str, consistent: bool,
               rows: int | None, entries: int | None, missing: int | None,
               dangling: int | None, mismatched: int | None, seconds: float) -> CheckRecord:
    return CheckRecord(table_id, index_id, time.time(), operation,
                       CONSISTENT if consistent else INCONSISTENT, rows, entries, missing,
                       dangling, mismatched, round(seconds, 6))
