"""Rows and index entries of one table: reading them, writing them, keeping them in step.

Every write path (INSERT, UPDATE, DELETE, REPLACE, index backfill, later the admin repairs)
goes through `TableWriter`, so a row and its index entries always change in the same
transaction.  Uniqueness is checked with *current* reads (the writer lock is held), as
InnoDB's locking reads do, never against a possibly older snapshot.

This module is also the one place in `core.sql` that knows how table keys and rows are laid
out in bytes (DESIGN.md, Storage): planners and runners ask a `TableReader` for prefixes and
ranges, and build key values and bounds with the few codec functions re-exported below.
Those are the codec's own function objects, not wrappers, because the planners call them
per row of a join or per IN value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from crc32c import crc32c

from core.catalog.model import HANDLE_CLUSTERED, HANDLE_INT, HANDLE_ROWID, IndexInfo, TableInfo
from core.check.errors import inconsistent_index_error
from core.codec import (
    CRC_RESIDUE,
    INT_FLAG,
    decode_index_key,
    decode_int,
    decode_row,
    decode_row_key,
    decode_rows,
    encode_int,
    encode_row,
    encode_values,
    index_key,
    index_prefix,
    prefix_next,
    row_decoder,
    row_key,
    row_prefix,
)
from core.codec.rows import corrupt_row, row_damage
from core.errors import CorruptionError, IntegrityError

__all__ = [
    "NON_UNIQUE_VALUE",
    "KeyedTableReader",
    "TableReader",
    "TableWriter",
    "encode_values",
    "format_key_values",
    "index_range",
    "prefix_next",
    "row_decoder",
]

NON_UNIQUE_VALUE = b"0"
_INT_FLAG = bytes([INT_FLAG])  # an int handle after the values of a non-unique entry
_INT_ROW_KEY_LEN = 19  # b"t" + table id (8) + b"_r" + an int handle (8)


def _undecodable(table: str, key: bytes, exc: BaseException) -> CorruptionError:
    return corrupt_row(table, key, f"undecodable row payload ({exc})")


def index_range(table_id: int, index_id: int) -> tuple[bytes, bytes]:
    """[lo, hi) of every entry of one index, for code that has no reader at hand (DROP
    INDEX deletes them)."""
    lo = index_prefix(table_id, index_id)
    return lo, prefix_next(lo)


def format_key_values(values: Sequence[Any]) -> str:
    """MySQL's rendering of a duplicate key in error 1062: values joined by '-'."""
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        elif isinstance(v, bytes):
            out.append(v.decode("utf-8", "replace"))
        else:
            out.append(str(v))
    return "-".join(out)


class TableReader:
    """Read access to one table through a view (a snapshot or a transaction's reads)."""

    def __init__(self, table: TableInfo):
        self.table = table
        self.tid = table.id
        self.name = table.full_name
        self._prefix = row_prefix(table.id)
        self._end = prefix_next(self._prefix)
        self._clustered = table.handle == HANDLE_CLUSTERED
        self._pk_pos = [table.column_index(c) for c in table.pk_columns]
        # per index id: the row positions of its columns and its key prefix
        self._ix_pos = {ix.id: [table.column_index(c) for c in ix.columns]
                        for ix in table.indexes}
        self._ix_prefix = {ix.id: index_prefix(table.id, ix.id) for ix in table.indexes}

    @property
    def width(self) -> int:
        """How many values each row this reader yields has."""
        return len(self.table.columns)

    # -- handles ----------------------------------------------------------------------------

    def handle_of(self, row: Sequence[Any]) -> int | bytes | None:
        """The handle a row is stored under (None for a rowid table: assigned on insert)."""
        h = self.table.handle
        if h == HANDLE_INT:
            return row[self._pk_pos[0]]
        if h == HANDLE_CLUSTERED:
            return encode_values([row[i] for i in self._pk_pos])
        return None

    def handle_from_key(self, key: bytes) -> int | bytes:
        return decode_row_key(key, common_handle=self._clustered)[1]

    def key_range(self, lo_handle=None, hi_handle=None) -> tuple[bytes, bytes]:
        """[lo, hi) of the row keys from `lo_handle` up to, not including, `hi_handle`
        (None: from the first row / to past the last one)."""
        lo = self._prefix if lo_handle is None else row_key(self.tid, lo_handle)
        hi = self._end if hi_handle is None else row_key(self.tid, hi_handle)
        return lo, hi

    def key_prefix(self, ix: IndexInfo | None = None) -> bytes:
        """What every key of `ix` starts with, before its encoded values (`encode_values`);
        None stands for the clustered primary key, whose encoded values follow the row
        prefix as the handle."""
        if ix is None:
            return self._prefix
        return self._ix_prefix.get(ix.id) or index_prefix(self.tid, ix.id)

    def unique_key(self, ix: IndexInfo, values: Sequence[Any]) -> bytes:
        """The key a unique index stores `values` under (no NULL among them): probing it
        finds the row holding those values."""
        return index_key(self.tid, ix.id, values)

    # -- rows -------------------------------------------------------------------------------

    def decode(self, key: bytes, value: bytes) -> list:
        return decode_row(value, table=self.name, key=key)

    # A damaged row (checksum or decoding fails) raises its CorruptionError (1877), except
    # under a read view carrying `skip_damaged` (set by the session on a forced open,
    # force_recovery >= 1): the row is then reported to it, `skip_damaged(reader, key,
    # error)`, and left out, as InnoDB's SRV_FORCE_IGNORE_CORRUPT lets `SELECT *` skip
    # corrupt records so a table can be dumped.  The view is asked only once a row turned
    # out damaged, so a sound table, and any normal open, pay nothing per row.

    def damaged(self, view, key: bytes, err: CorruptionError) -> None:
        """A read met a damaged row: raise `err`, unless `view` salvages (see above)."""
        skip = getattr(view, "skip_damaged", None)
        if skip is None:
            raise err
        skip(self, bytes(key), err)

    def scan(self, view, lo: bytes | None = None, hi: bytes | None = None,
             reverse: bool = False) -> Iterator[tuple[bytes, list]]:
        """(row key, row) pairs in handle order within [lo, hi)."""
        name = self.name
        for k, v in view.scan(self.tid, lo or self._prefix, hi or self._end, reverse):
            try:
                row = decode_row(v, table=name, key=k)
            except CorruptionError as err:
                self.damaged(view, k, err)
                continue
            yield k, row

    def raw_rows(self, view) -> Iterator[tuple[bytes, bytes]]:
        """(key, encoded row) of every row.  Rows are the last keys of a table's own
        tablespace (`_r` sorts after `_i`), so the scan needs no upper bound check.  The
        values are not verified: the caller checks each CRC (see `damaged`)."""
        return view.scan(self.tid, self._prefix, None)

    def scan_rows(self, view) -> Iterator[list]:
        """Rows only, as fast as a Python loop over LMDB allows (full scans, aggregates)."""
        return decode_rows(view.scan(self.tid, self._prefix, None), self.name,
                           partial(self.damaged, view))

    def sound_values(self, view) -> Iterator[bytes]:
        """The encoded value of every row that verifies and decodes, the others reported
        to `damaged` (and so skipped on a forced open): what a loop that inlines the
        decoding (`row_decoder`) reads once it met damage under a salvaging view."""
        crc, residue, unpackb, hook = row_decoder()
        for k, v in self.raw_rows(view):
            if crc(v) != residue:
                self.damaged(view, k, row_damage(v, self.name, k))
                continue
            try:
                row = unpackb(v, ext_hook=hook)
                if type(row) is not list or not row:
                    raise ValueError(f"row payload is a {type(row).__name__}, not an array")
            except Exception as exc:  # noqa: BLE001 - checksummed but undecodable: damage
                self.damaged(view, k, _undecodable(self.name, k, exc))
                continue
            yield v

    def get(self, view, handle) -> list | None:
        key = row_key(self.tid, handle)
        raw = view.get(self.tid, key)
        if raw is None:
            return None
        try:
            return decode_row(raw, table=self.name, key=key)
        except CorruptionError as err:
            self.damaged(view, key, err)
            return None

    def has_row(self, view, handle) -> bool:
        """Whether a row is stored under `handle` in `view`, damaged or not (not decoded).
        `get` answers None both for a missing row and for a damaged one a forced open
        skipped; an index read asks this on that rare path to tell a dangling index entry
        (ERROR 8133) from a salvaged row (a warning)."""
        return view.get(self.tid, row_key(self.tid, handle)) is not None

    def damage(self, view) -> CorruptionError:
        """The error for the first row that fails its checksum, with its key: a loop that
        found a damaged value without keeping keys (`row_decoder`) scans again for it."""
        for k, v in self.raw_rows(view):
            if crc32c(v) != CRC_RESIDUE:
                return row_damage(v, self.name, k)
        return row_damage(b"", self.name, b"")

    def last_handle(self, view) -> int | None:
        """The largest int handle stored (auto-increment and rowid allocation)."""
        for k, _v in view.scan(self.tid, self._prefix, self._end, True):
            return decode_row_key(k, common_handle=False)[1]
        return None

    # -- indexes ----------------------------------------------------------------------------

    def index_values(self, ix: IndexInfo, row: Sequence[Any]) -> list:
        pos = self._ix_pos.get(ix.id)
        if pos is None:  # an index being added: not in the reader's table definition
            pos = [self.table.column_index(c) for c in ix.columns]
        if ix.lengths:  # a prefix index keeps the first characters (catalog.model)
            return ix.key_values([row[i] for i in pos])
        return [row[i] for i in pos]

    def index_entry(self, ix: IndexInfo, row: Sequence[Any], handle) -> tuple[bytes, bytes]:
        """(key, value) of the entry `row` needs in `ix`.  A unique index keeps the handle
        in the value, except when a value is NULL: NULLs never collide, so such entries take
        the non-unique form."""
        values = self.index_values(ix, row)
        prefix = self._ix_prefix.get(ix.id) or index_prefix(self.tid, ix.id)
        if ix.unique and None not in values:
            return prefix + encode_values(values), self.encode_handle(handle)
        if type(handle) is int:
            return prefix + encode_values(values) + _INT_FLAG + encode_int(handle), \
                NON_UNIQUE_VALUE
        return index_key(self.tid, ix.id, values, handle), NON_UNIQUE_VALUE

    def index_entry_at(self, ix: IndexInfo, row: Sequence[Any], key: bytes) -> tuple[bytes, bytes]:
        """`index_entry` for a row read under row key `key`.  An int handle's entry holds
        the same 8 memcomparable bytes the row key ends with, so a bulk pass (ADMIN RECOVER
        INDEX) builds the entry without decoding the handle and encoding it again."""
        if self._clustered or len(key) != _INT_ROW_KEY_LEN:  # a malformed key raises there
            return self.index_entry(ix, row, self.handle_from_key(key))
        tail = bytes(key[-8:])
        values = self.index_values(ix, row)
        prefix = self._ix_prefix.get(ix.id) or index_prefix(self.tid, ix.id)
        if ix.unique and None not in values:
            return prefix + encode_values(values), tail
        return prefix + encode_values(values) + _INT_FLAG + tail, NON_UNIQUE_VALUE

    def encode_handle(self, handle) -> bytes:
        return handle if isinstance(handle, bytes) else encode_int(handle)

    def decode_handle_value(self, value: bytes):
        return value if self._clustered else decode_int(value)

    def index_scan(self, view, ix: IndexInfo, lo: bytes | None, hi: bytes | None,
                   reverse: bool = False) -> Iterator[tuple[bytes, Any]]:
        """(index key, handle) pairs of `ix` in [lo, hi) (defaults: the whole index)."""
        prefix = index_prefix(self.tid, ix.id)
        n = len(ix.columns)
        for k, v in view.scan(self.tid, lo or prefix, hi or prefix_next(prefix), reverse):
            if v != NON_UNIQUE_VALUE:
                yield k, self.decode_handle_value(v)
            else:
                yield k, decode_index_key(k, n, common_handle=self._clustered)[3]


# the name of a keyed reader's hidden last column in a planner scope: no SQL name can reach it
KEY_COLUMN = "\0key"


class KeyedTableReader(TableReader):
    """A reader whose rows carry their row key as a hidden last element, so UPDATE and
    DELETE know each row's handle (a rowid table's handle is not in the row)."""

    @property
    def width(self) -> int:
        return len(self.table.columns) + 1

    def scan(self, view, lo=None, hi=None, reverse=False):
        for k, row in super().scan(view, lo, hi, reverse):
            row.append(k)
            yield k, row

    def scan_rows(self, view):
        for _k, row in self.scan(view):
            yield row

    def get(self, view, handle):
        row = super().get(view, handle)
        if row is not None:
            row.append(row_key(self.tid, handle))
        return row


# F1: an index in these states gets no new entries (one being dropped, or rolled back);
# writes still delete theirs, so none is left behind
_DELETE_ONLY_STATES = ("delete only", "delete reorganization")


class TableWriter(TableReader):
    """Writes rows and their index entries inside a transaction (current reads)."""

    def __init__(self, table: TableInfo, txn, write_indexes: list[IndexInfo] | None = None):
        super().__init__(table)
        self.txn = None
        self.shadow = None
        if txn is not None:
            self.bind(txn)
        # indexes to maintain: public ones plus those being built (write only / reorg)
        self.indexes = [ix for ix in (write_indexes or table.secondary_indexes)
                        if ix.state not in _DELETE_ONLY_STATES]
        self.delete_indexes = write_indexes or table.secondary_indexes
        if table.shadow:  # a job rebuilds the table: its writes go to the new one too
            from core.sql.shadow import ShadowWriter

            self.shadow = ShadowWriter(table, TableWriter)
        if txn is not None and self.shadow is not None:
            self.shadow.bind(txn)

    def bind(self, txn) -> None:
        """Write through `txn` from now on; takes its writer lock, which the puts assume."""
        txn._lock_for_write()
        self.txn = txn
        if self.shadow is not None:
            self.shadow.bind(txn)

    def row_exists(self, handle) -> bool:
        """Whether a row is stored under `handle` now (a current read, not decoded)."""
        return self.txn.get_current(self.tid, row_key(self.tid, handle)) is not None

    def current(self, handle) -> list | None:
        key = row_key(self.tid, handle)
        raw = self.txn.get_current(self.tid, key)
        return None if raw is None else decode_row(raw, table=self.name, key=key)

    def find_conflict(self, row: Sequence[Any], handle,
                      check_primary: bool = True) -> tuple[str, Any] | None:
        """The first unique constraint `row` would break: (key name, conflicting handle).
        An UPDATE that keeps its handle passes check_primary=False (the row is itself)."""
        if check_primary and handle is not None and self.table.handle != HANDLE_ROWID:
            if self.txn.get_current(self.tid, row_key(self.tid, handle)) is not None:
                return "PRIMARY", handle
        for ix in self.indexes:
            if not ix.unique:
                continue
            values = self.index_values(ix, row)
            if None in values:
                continue
            raw = self.txn.get_current(self.tid, index_key(self.tid, ix.id, values))
            if raw is not None:
                other = self.decode_handle_value(raw)
                if other != handle:
                    if not self.row_exists(other):  # rare path: the entry dangles
                        raise dangling_unique_error(self.table, ix)
                    return ix.name, other
        return None

    def duplicate_error(self, key_name: str, row: Sequence[Any]) -> IntegrityError:
        if key_name == "PRIMARY" and self.table.handle != HANDLE_ROWID:
            values = [row[i] for i in self._pk_pos]
        else:
            values = self.index_values(self.table.index(key_name), row)
        return IntegrityError(
            f"Duplicate entry '{format_key_values(values)}' for key "
            f"'{self.table.name}.{key_name}'", errno=1062, sqlstate="23000")

    def insert(self, row: list, handle) -> None:
        """Write a new row and its index entries (the caller checked constraints with current
        reads, so the transaction holds the writer lock)."""
        put, tid = self.txn.put_locked, self.tid
        put(tid, row_key(tid, handle), encode_row(row))
        for ix in self.indexes:
            k, v = self.index_entry(ix, row, handle)
            put(tid, k, v)
        if self.shadow is not None:
            self.shadow.insert(row, handle)

    def delete(self, row: Sequence[Any], handle) -> None:
        txn, tid = self.txn, self.tid
        txn.delete(tid, row_key(tid, handle))
        for ix in self.delete_indexes:
            txn.delete(tid, self.index_entry(ix, row, handle)[0])
        if self.shadow is not None:
            self.shadow.delete(row, handle)

    def update(self, old: Sequence[Any], new: list, old_handle, new_handle) -> None:
        txn, tid = self.txn, self.tid
        if new_handle != old_handle:
            txn.delete(tid, row_key(tid, old_handle))
        txn.put(tid, row_key(tid, new_handle), encode_row(new))
        for ix in self.delete_indexes:
            ok, _ = self.index_entry(ix, old, old_handle)
            nk, nv = self.index_entry(ix, new, new_handle)
            if ok != nk:
                txn.delete(tid, ok)
            if ix in self.indexes and (ok != nk or new_handle != old_handle):
                txn.put(tid, nk, nv)
        if self.shadow is not None:
            self.shadow.update(old, new, old_handle, new_handle)


def dangling_unique_error(table: TableInfo, ix: IndexInfo):
    """A unique entry that would block a write points at no row: not a duplicate (1062 would
    send the DBA looking for a row that is not there) but TiDB's 8133, with what fixes it."""
    err = inconsistent_index_error(table.name, ix.name, 1, 0)
    err.msg += (f"; the entry of UNIQUE index {ix.name} for these values points at no row: "
                f"ADMIN CLEANUP INDEX {table.name} {ix.name} removes such entries")
    return err
