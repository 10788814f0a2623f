"""Corruption flags: a table or an index found damaged stays marked until it is repaired.

InnoDB marks an index (or a table's clustered index) corrupted when a read or CHECK TABLE
meets damage, writes the mark through the redo log into the dictionary, and refuses the index
from then on (ERROR 1712), so a damaged structure is never silently trusted again after the
error scrolled away.  Here a flag is an ordinary dictionary key in system.kdb::

    m:corrupt:<table id u32>                 the table's rows (its clustered data)
    m:corrupt:<table id u32><index id u32>   one secondary index

written in a small transaction of its own, so it is logged like any data and recovery
replays it with everything else ("merges both" needs no code of its own).  The keys are
fixed-width, so the prefix of a table id never matches another table (``m:corrupt:`` does
not collide with the other ``m:`` keys of `core.catalog.store`).  On a database opened
with force_recovery > 0 nothing may be written: the flag is kept in memory only.

A repair clears it: DROP TABLE / TRUNCATE (the table's flags go with its id), DROP INDEX
(that index's flag), a CHECK TABLE that finds the object clean, or `clear_flag` (ADMIN
RECOVER INDEX).
"""

from __future__ import annotations

import struct
import threading
import time
from dataclasses import dataclass, replace

import msgpack
from crc32c import crc32c

from core.codec.rows import CRC_RESIDUE

FLAG_PREFIX = b"m:corrupt:"
SYSTEM = 0
_U32 = struct.Struct(">I")
_CRC = struct.Struct("<I")
TABLE_LEVEL = 0  # index id of a flag on the table's rows


@dataclass(frozen=True)
class CorruptionFlag:
    """One flag: on the table's rows (index_id 0) or on one index."""

    table_id: int
    index_id: int
    table: str  # `db.t` when flagged (a rename keeps the id)
    index: str  # "" for the table's rows
    key: str  # hex of the damaged key, "" when unknown
    reason: str
    flagged_at: float
    persisted: bool = True  # False: only in this process's memory (read-only open, pending)

    @property
    def level(self) -> str:
        return "index" if self.index_id else "table"

    def to_dict(self) -> dict:
        return {"table_id": self.table_id, "index_id": self.index_id, "table": self.table,
                "index": self.index, "key": self.key, "reason": self.reason,
                "flagged_at": self.flagged_at}


def flag_key(table_id: int, index_id: int = TABLE_LEVEL) -> bytes:
    return FLAG_PREFIX + _U32.pack(table_id) + (_U32.pack(index_id) if index_id else b"")


def _end(prefix: bytes) -> bytes | None:
    """The first key above every key that starts with `prefix` (None: no such key, scan to
    the end).  Trailing 0xFF bytes cannot be incremented: table id 255 ends in one."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def _pack(d: dict) -> bytes:
    body = msgpack.packb(d, use_bin_type=True)
    return body + _CRC.pack(crc32c(body))


def _unpack(key: bytes, raw: bytes) -> CorruptionFlag:
    """A stored flag; a damaged flag entry still flags (its ids come from the key)."""
    rest = key[len(FLAG_PREFIX):]
    tid = _U32.unpack(rest[:4])[0]
    iid = _U32.unpack(rest[4:8])[0] if len(rest) >= 8 else TABLE_LEVEL
    d: dict = {}
    if crc32c(raw) == CRC_RESIDUE:
        try:
            d = msgpack.unpackb(raw[:-4], raw=False)
        except Exception:  # noqa: BLE001 - a damaged flag is still a flag
            d = {}
    if not isinstance(d, dict):
        d = {}
    return CorruptionFlag(tid, iid, str(d.get("table", f"table id {tid}")),
                          str(d.get("index", "" if not iid else f"index id {iid}")),
                          str(d.get("key", "")), str(d.get("reason", "damaged flag entry")),
                          float(d.get("flagged_at", 0.0) or 0.0))


def corruption_flags(view) -> list[CorruptionFlag]:
    """Every flag stored in the dictionary as `view` sees it (for the console and
    information_schema; a Database's `flags.all()` adds the in-memory ones)."""
    return [_unpack(bytes(k), bytes(v))
            for k, v in view.scan(SYSTEM, FLAG_PREFIX, _end(FLAG_PREFIX))]


def put_flag(txn, flag: CorruptionFlag) -> None:
    txn.put(SYSTEM, flag_key(flag.table_id, flag.index_id), _pack(flag.to_dict()))


def clear_flag(txn, table_id: int, index_id: int = TABLE_LEVEL) -> None:
    """Remove one flag inside `txn` (a repair's transaction: the flag goes when the repair
    commits).  The Database's registry picks the change up with `FlagRegistry.reload`."""
    txn.delete(SYSTEM, flag_key(table_id, index_id))


def clear_table_flags(txn, table_id: int) -> None:
    """Remove the table's flag and every index flag of it (DROP, TRUNCATE)."""
    lo = FLAG_PREFIX + _U32.pack(table_id)
    for k, _v in list(txn.scan_current(SYSTEM, lo, _end(lo))):
        txn.delete(SYSTEM, bytes(k))


class FlagRegistry:
    """The flags of one open database, in memory (one dict lookup per statement), kept in
    step with system.kdb.  Flags that could not be written yet (the session holding the
    writer lock, a lock wait timeout) are `pending` and written at the next chance; on a
    read-only open they stay in memory for the life of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: dict[tuple[int, int], CorruptionFlag] = {}
        self._pending: dict[tuple[int, int], CorruptionFlag] = {}
        self.generation = 0  # bumped on every change: plan caches key on it

    def load(self, view) -> None:
        stored = {(f.table_id, f.index_id): f for f in corruption_flags(view)}
        with self._lock:
            for k, f in self._pending.items():
                stored.setdefault(k, f)
            self._flags = stored
            self.generation += 1

    reload = load

    def __bool__(self) -> bool:
        return bool(self._flags)

    @property
    def pending(self) -> bool:
        """Whether some flags still wait to be written to system.kdb."""
        return bool(self._pending)

    def all(self) -> list[CorruptionFlag]:
        return sorted(self._flags.values(), key=lambda f: (f.table_id, f.index_id))

    def table_flag(self, table_id: int) -> CorruptionFlag | None:
        return self._flags.get((table_id, TABLE_LEVEL))

    def index_flags(self, table_id: int) -> dict[int, CorruptionFlag]:
        return {iid: f for (tid, iid), f in self._flags.items()
                if tid == table_id and iid != TABLE_LEVEL}

    def of_table(self, table_id: int) -> list[CorruptionFlag]:
        return [f for (tid, _iid), f in sorted(self._flags.items()) if tid == table_id]

    def add(self, flag: CorruptionFlag) -> bool:
        """Note a flag in memory (not yet written); False if the object was already
        flagged."""
        key = (flag.table_id, flag.index_id)
        with self._lock:
            if key in self._flags:
                return False
            flag = replace(flag, persisted=False)
            self._flags[key] = flag
            self._pending[key] = flag
            self.generation += 1
        return True

    def forget(self, table_id: int, index_id: int | None = None) -> None:
        """Drop flags from memory (after a repair committed, or a clean CHECK on a read-only
        open)."""
        with self._lock:
            for store in (self._flags, self._pending):
                for key in [k for k in store if k[0] == table_id and
                            (index_id is None or k[1] == index_id)]:
                    del store[key]
            self.generation += 1

    def persist(self, engine, txn_factory) -> None:
        """Write the pending flags, one small transaction; on failure they stay pending.
        Call only when this thread holds no writer lock."""
        if not self._pending or getattr(engine, "read_only", False) or engine.closed:
            return
        with self._lock:
            pending = list(self._pending.values())
        try:
            txn = txn_factory(engine)
            try:
                for f in pending:
                    put_flag(txn, f)
                txn.commit()
            except BaseException:
                txn.rollback()
                raise
        except Exception:  # noqa: BLE001 - a flag that cannot be written now stays pending
            return
        with self._lock:
            for f in pending:
                key = (f.table_id, f.index_id)
                if self._pending.get(key) is f:
                    del self._pending[key]
                if self._flags.get(key) is f:
                    self._flags[key] = replace(f, persisted=True)
            self.generation += 1


def new_flag(table_id: int, table: str, reason: str, key: bytes | str = b"",
             index_id: int = TABLE_LEVEL, index: str = "") -> CorruptionFlag:
    k = key.hex() if isinstance(key, (bytes, bytearray, memoryview)) else str(key)
    return CorruptionFlag(table_id, index_id, table, index, k[:256], reason[:500], time.time(),
                          False)
