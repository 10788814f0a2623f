"""Damage on purpose: make a table's indexes disagree with its rows, or a row fail its
checksum, so tests, the demo and a DBA rehearsing a repair have something real to find.

Nothing here is reachable from SQL.  Every change goes through the redo log in a
transaction of its own, like any write, so it survives a restart and a crash exactly as a
real disagreement would (one left by a bug, or by a disk that lost a page): that is what
ADMIN CHECK / RECOVER / CLEANUP INDEX and the console's Indexes pane must find and repair.

    from core import faults
    faults.remove_index_entries(conn, "t", "idx", [2])           # rows stay, entries go
    faults.add_dangling_index_entry(conn, "t", "idx", [7], 99)   # an entry for no row
    faults.change_index_entry(conn, "t", "idx", 3, [30])         # points at wrong values
    faults.remove_rows_keep_index(conn, "t", [5])                # rows go, entries stay
    faults.corrupt_row(conn, "t", 4)                             # bytes fail their CRC

`table` is ``"t"`` (the connection's current database) or ``"db.t"``; `handles` are row
handles: the integer primary key, the hidden row id of a table without a primary key, or,
for a clustered (non-integer) primary key, the tuple of its values.  Each function returns
how many keys it changed.  The connection must not be inside a transaction (the damage
needs the engine's single writer lock, which that transaction may hold).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from core.api import Connection
from core.catalog.model import HANDLE_CLUSTERED, IndexInfo, TableInfo
from core.codec import encode_values, row_key
from core.errors import ProgrammingError
from core.sql.table import TableReader
from core.txn import begin

__all__ = ["add_dangling_index_entry", "change_index_entry", "corrupt_row",
           "remove_index_entries", "remove_rows_keep_index"]

Handle = int | Sequence[Any]


def remove_index_entries(conn: Connection, table: str, index: str,
                         handles: Iterable[Handle]) -> int:
    """Delete the entries of `index` that the rows with `handles` need; the rows stay (the
    index is missing entries: ADMIN RECOVER INDEX adds them back)."""
    with _Damage(conn, table) as d:
        ix = d.index(index)
        n = 0
        for h in handles:
            key, _value = d.reader.index_entry(ix, d.row(h), d.handle(h))
            if d.txn.get_current(d.tid, key) is not None:
                d.txn.delete(d.tid, key)
                n += 1
        return n


def add_dangling_index_entry(conn: Connection, table: str, index: str,
                             values: Sequence[Any], handle: Handle) -> int:
    """Add an entry of `index` with `values` pointing at `handle`, whose row need not exist
    (an entry without its row: ADMIN CLEANUP INDEX removes it)."""
    with _Damage(conn, table) as d:
        ix = d.index(index)
        if len(values) != len(ix.columns):
            raise ProgrammingError(f"index {ix.name} has {len(ix.columns)} column(s), "
                                   f"{len(values)} value(s) given", errno=1136,
                                   sqlstate="21S01")
        key, value = _entry(d, ix, list(values), d.handle(handle))
        d.txn.put(d.tid, key, value)
        return 1


def change_index_entry(conn: Connection, table: str, index: str, handle: Handle,
                       values: Sequence[Any]) -> int:
    """Replace the entry the row `handle` needs in `index` by one holding `values` (the
    entry points at the right row with the wrong values: a mismatch, which ADMIN REPAIR
    INDEX fixes)."""
    with _Damage(conn, table) as d:
        ix = d.index(index)
        h = d.handle(handle)
        old_key, _ = d.reader.index_entry(ix, d.row(handle), h)
        new_key, new_value = _entry(d, ix, list(values), h)
        d.txn.delete(d.tid, old_key)
        d.txn.put(d.tid, new_key, new_value)
        return 2


def remove_rows_keep_index(conn: Connection, table: str, handles: Iterable[Handle]) -> int:
    """Delete the rows with `handles` and nothing else (their index entries dangle)."""
    with _Damage(conn, table) as d:
        n = 0
        for h in handles:
            d.row(h)  # exists, or a clear error
            d.txn.delete(d.tid, row_key(d.tid, d.handle(h)))
            n += 1
        return n


def corrupt_row(conn: Connection, table: str, handle: Handle) -> int:
    """Flip bytes inside the stored row `handle` so that it fails its CRC32C: every read of
    it reports ERROR 1877 and CHECK TABLE flags the table."""
    with _Damage(conn, table) as d:
        key = row_key(d.tid, d.handle(handle))
        raw = d.txn.get_current(d.tid, key)
        if raw is None:
            raise d.no_row(handle)
        raw = bytearray(raw)
        mid = max(0, (len(raw) - 4) // 2)
        raw[mid] ^= 0x5A
        d.txn.put(d.tid, key, bytes(raw))
        return 1


# -- one damage: a transaction on one table -----------------------------------------------------


class _Damage:
    """Resolves the table, opens a write transaction, commits it on success."""

    def __init__(self, conn: Connection, table: str):
        if not isinstance(conn, Connection):
            raise ProgrammingError("core.faults needs a core.api Connection", errno=1210,
                                   sqlstate="HY000")
        conn._check()
        if conn.in_transaction:
            raise ProgrammingError("core.faults: commit or roll back the connection's "
                                   "transaction first (the damage needs the writer lock)",
                                   errno=1210, sqlstate="HY000")
        self.db = conn._db
        self.table = _table(conn, table)
        self.tid = self.table.id
        self.reader = TableReader(self.table)
        self.txn = None

    def __enter__(self) -> _Damage:
        self.db.require_usable(self.table, write=False)
        self.txn = begin(self.db.engine)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.txn.commit()
        else:
            self.txn.rollback()

    def index(self, name: str) -> IndexInfo:
        t = self.table
        ix = next((i for i in t.secondary_indexes if i.name.lower() == name.lower()), None)
        if ix is None:
            raise ProgrammingError(f"Key '{name}' doesn't exist in table '{t.name}'",
                                   errno=1176, sqlstate="42000")
        return ix

    def handle(self, h: Handle) -> int | bytes:
        if self.table.handle == HANDLE_CLUSTERED:
            values = list(h) if isinstance(h, (list, tuple)) else [h]
            return encode_values(values)
        if isinstance(h, bool) or not isinstance(h, int):
            raise ProgrammingError(f"handle {h!r} of table '{self.table.name}' must be an "
                                   "integer", errno=1210, sqlstate="HY000")
        return h

    def row(self, h: Handle) -> list:
        row = self.reader.get(self.txn.current_view(), self.handle(h))
        if row is None:
            raise self.no_row(h)
        return row

    def no_row(self, h: Handle) -> ProgrammingError:
        return ProgrammingError(f"Can't find record in '{self.table.name}' (handle {h!r})",
                                errno=1032, sqlstate="HY000")


def _entry(d: _Damage, ix: IndexInfo, values: list, handle) -> tuple[bytes, bytes]:
    """The entry a row with `values` in `ix`'s columns and `handle` would need."""
    row: list = [None] * len(d.table.columns)
    for col, v in zip(ix.columns, values, strict=True):
        row[d.table.column_index(col)] = v
    return d.reader.index_entry(ix, row, handle)


def _table(conn: Connection, name: str) -> TableInfo:
    if not isinstance(name, str) or not name:
        raise ProgrammingError(f"table name {name!r} is not a name", errno=1210,
                               sqlstate="HY000")
    db, _, table = name.rpartition(".")
    db = db or conn.database
    if not db:
        raise ProgrammingError("No database selected", errno=1046, sqlstate="3D000")
    session_db = conn._db
    with session_db.engine.snapshot() as snap:
        schema = session_db.schema(snap)
    info = schema.table(db, table)
    if info is None:
        raise ProgrammingError(f"Table '{db}.{table}' doesn't exist", errno=1146,
                               sqlstate="42S02")
    return info
