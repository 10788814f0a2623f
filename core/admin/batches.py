"""One batch of an index repair: a write transaction that reads the table's current state,
fixes what it finds in a bounded slice of rows or index entries, and says where the next
batch starts.

A batch holds the engine's single writer lock from its first read to its commit, so no
other write can interleave with it: what it reads is what it writes against.  Batches are
cut by count (`RECOVER_BATCH` rows, `CLEANUP_BATCH` index entries, TiDB's sizes), and each
one re-reads the table's definition in its own view, so a DDL committed between two
batches is seen by the next (a dropped table or index stops the statement).

`core.admin.repair` drives these batches as ADMIN RECOVER / CLEANUP / REPAIR INDEX.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from core.catalog.model import IndexInfo, TableInfo
from core.codec import decode_index_key, prefix_next
from core.errors import OperationalError, ProgrammingError
from core.sql.table import NON_UNIQUE_VALUE, TableWriter
from core.txn import Transaction, begin

# Batch sizes (module constants, read at each batch: tests lower them).
RECOVER_BATCH = 8192  # rows per batch of RECOVER INDEX (and REPAIR's adding pass); TiDB: 2048
CLEANUP_BATCH = 20000  # index entries per batch of CLEANUP INDEX (and REPAIR's pruning pass)

# (handle, index values, handle the unique entry points at instead)
Conflict = Callable[[Any, list, Any], None]


class Batch:
    """One batch's transaction, with the table and index as its own view defines them.

        with Batch(db, table_id, index_id) as b:
            ... b.txn, b.writer, b.index ...

    Commits on success if it wrote anything (an empty batch just releases the lock: no
    commit record, no fsync), rolls back on any error.  Taking the writer lock is also
    where a read-only engine refuses (1881 on a forced open, 1836 otherwise)."""

    def __init__(self, db, table_id: int, index_id: int):
        self.db = db
        self.table_id = table_id
        self.index_id = index_id
        self.txn: Transaction | None = None

    def __enter__(self) -> Batch:
        txn = self.txn = begin(self.db.engine)
        try:
            view = txn.current_view()  # the writer lock: nothing commits until we do
            table = self.db.schema(view).tables_by_id.get(self.table_id)
            self.table = _still_there(table, self.table_id)
            self.index = _index_still_there(self.table, self.index_id)
            self.writer = TableWriter(self.table, txn)
            self.view = view
        except BaseException:
            txn.rollback()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        txn = self.txn
        if exc_type is None and txn.operations:
            txn.commit()
        else:
            txn.rollback()


def _still_there(table: TableInfo | None, table_id: int) -> TableInfo:
    if table is None:
        raise ProgrammingError(f"Table with id {table_id} was dropped while the index was "
                               "being repaired", errno=1146, sqlstate="42S02")
    return table


def _index_still_there(table: TableInfo, index_id: int) -> IndexInfo:
    ix = next((i for i in table.indexes if i.id == index_id), None)
    if ix is None:
        raise ProgrammingError(f"Index with id {index_id} of table '{table.name}' was "
                               "dropped while it was being repaired", errno=1176,
                               sqlstate="42000")
    if ix.state != "public":
        raise OperationalError(f"Index '{ix.name}' of table '{table.name}' changed state "
                               f"('{ix.state}') while it was being repaired", errno=1105,
                               sqlstate="HY000")
    return ix


def add_missing(b: Batch, after: bytes | None, conflict: Conflict) -> tuple[int, int, bytes | None]:
    """RECOVER INDEX's batch: the next `RECOVER_BATCH` rows after row key `after` (None:
    from the first), in handle order; each row's entry is put if absent.  A unique entry
    that exists with another handle is left alone and reported to `conflict` (TiDB: the
    unique constraint is broken; overwriting would un-index the other row).  Returns (rows
    scanned, entries added, the last row key read)."""
    w, ix, txn, tid = b.writer, b.index, b.txn, b.table_id
    lo = None if after is None else after + b"\x00"  # the smallest key after `after`
    rows = list(islice(w.scan(b.view, lo), RECOVER_BATCH))
    get, put = b.view.get, txn.put_locked  # the current view: txn.get_current's
    entry = w.index_entry_at
    added = 0
    for k, row in rows:
        ek, ev = entry(ix, row, k)
        stored = get(tid, ek)
        if stored is None:
            put(tid, ek, ev)
            added += 1
        elif stored != ev:
            conflict(w.handle_from_key(k), w.index_values(ix, row), _handle_or_raw(w, stored))
    return len(rows), added, (bytes(rows[-1][0]) if rows else after)


def remove_unneeded(b: Batch, after: bytes | None, exact: bool) -> tuple[int, int, bytes | None]:
    """The next `CLEANUP_BATCH` entries of the index after key `after` (None: from the
    first); removes each one whose handle has no row (CLEANUP INDEX, TiDB's rule: only
    those), or with `exact` (REPAIR INDEX's pruning pass) also each one its row does not
    need as it is (other values, other form).  An entry whose key or handle does not
    decode points at no row: removed.  Returns (entries scanned, removed, the last key)."""
    w, ix, txn, tid = b.writer, b.index, b.txn, b.table_id
    prefix = w.key_prefix(ix)
    lo = prefix if after is None else after + b"\x00"
    entries = [(bytes(k), bytes(v))
               for k, v in islice(b.view.scan(tid, lo, prefix_next(prefix)), CLEANUP_BATCH)]
    n = len(ix.columns)
    clustered = w.table.handle == "clustered"
    removed = 0
    for k, v in entries:
        try:
            if v != NON_UNIQUE_VALUE:
                h = w.decode_handle_value(v)
            else:
                h = decode_index_key(k, n, common_handle=clustered)[3]
                if h is None:
                    raise ValueError("no handle after the values")
        except Exception:  # noqa: BLE001 - undecodable: it cannot lead to any row
            h = None
        if h is None:
            needed = False
        elif exact:
            row = w.current(h)  # a damaged row raises 1877: its entry cannot be judged
            needed = row is not None and w.index_entry(ix, row, h) == (k, v)
        else:
            needed = w.row_exists(h)
        if not needed:
            txn.delete(tid, k)
            removed += 1
    return len(entries), removed, (entries[-1][0] if entries else after)


def _handle_or_raw(w: TableWriter, value: bytes) -> Any:
    try:
        return w.decode_handle_value(value)
    except Exception:  # noqa: BLE001 - a message only
        return "0x" + bytes(value).hex()
