"""A table being rebuilt: its writes are applied to the new table too (the "shadow").

A table rebuild (core.ddl.rebuild: ALTER TABLE ... FORCE, a new primary key, a column
change) copies the rows into a new tablespace in batches, one transaction each, while DML
on the table goes on.  The old table's `TableInfo.shadow` names the new table and how a new
row is made from an old one (`RowMap`); `TableWriter` hands every insert, update and delete
to a `ShadowWriter` as well, in the same transaction.

Only the rows the copy has already passed are shadowed: the new table always holds exactly
the transformed rows of the old table's keys below the copy's checkpoint (`m:copy:<new id>`
in system.kdb, the old row key the next batch starts at, written by each batch with its
rows).  A write above the checkpoint is left to the copy, which reads the old table as it is
when it gets there.  So no row is copied twice or missed, and a duplicate in a new unique
key (1062) is always a real one.  After the switch the roles turn round: the new table
shadows its writes onto the old one, whole (no checkpoint), for as long as the job may
still be reverted (the seed's case D).
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from typing import Any

from core.catalog.model import HANDLE_ROWID, TableInfo
from core.catalog.store import SYSTEM
from core.codec import row_key
from core.errors import DataError, Error, IntegrityError, NotSupportedError
from core.sql.types.coercion import implicit_default, make_coercer, make_lenient_coercer

COPY_PREFIX = b"m:copy:"
ALL_COPIED = b"\xff"  # sorts after every row key: the copy is complete
_U32 = struct.Struct(">I")


def copy_key(target_id: int) -> bytes:
    return COPY_PREFIX + _U32.pack(target_id)


def put_checkpoint(txn, target_id: int, upto: bytes) -> None:
    """The copy into `target_id` has passed every old row key below `upto`."""
    txn.put(SYSTEM, copy_key(target_id), upto)


def delete_checkpoint(txn, target_id: int) -> None:
    txn.delete(SYSTEM, copy_key(target_id))


POISONED = b"\xfe"  # the checkpoint's key holds a write's error: the job must fail with it


def poison(err: Error) -> bytes:
    return POISONED + f"{err.errno}\x00{err.sqlstate}\x00{err.msg}".encode()


def poisoned_error(value: bytes | None) -> Error | None:
    """The error a write to the table left for the job (see `ShadowWriter._guard`)."""
    if not value or value[:1] != POISONED:
        return None
    errno, sqlstate, msg = bytes(value[1:]).decode().split("\x00", 2)
    cls = IntegrityError if errno == "1062" else DataError
    return cls(msg, errno=int(errno), sqlstate=sqlstate)


def check_poison(txn, target_id: int) -> None:
    """Raise the error a write to the table left for the job, if any."""
    err = poisoned_error(txn.get_current(SYSTEM, copy_key(target_id)))
    if err is not None:
        raise err


def null_error(column: str) -> DataError:
    """MySQL 8's error when ALTER makes a column holding NULLs NOT NULL in strict mode."""
    return DataError("Invalid use of NULL value", errno=1138, sqlstate="22004")


class RowMap:
    """How a row of `target` is made from a row of `source`: per target column, the source
    column position it comes from (-1: none, a new column) and whether its value must be
    converted to the target column's type (MySQL's conversion errors in strict mode, the
    adjusted value otherwise)."""

    def __init__(self, source: TableInfo, target: TableInfo, spec: Sequence[Sequence],
                 strict: bool = True, now: float | None = None, warn=None):
        self.spec = [(int(p), bool(c)) for p, c in spec]
        self.names = [c.name for c in target.columns]
        self.nullable = [c.nullable for c in target.columns]
        self.strict = strict
        quiet = warn or _ignore_warning
        self.coercers = [(make_coercer(c.type) if strict else
                          make_lenient_coercer(c.type, quiet)) for c in target.columns]
        self.implicit = [implicit_default(c.type) for c in target.columns]
        self.fill: list[Any] = []  # what a new column holds in a row that existed before it
        for i, c in enumerate(target.columns):
            if c.default_now:
                stamp = dt.datetime.fromtimestamp(now) if now else dt.datetime.now()
                self.fill.append(self.coercers[i](stamp, c.name, 1))
            elif c.has_default:
                self.fill.append(c.default)
            elif c.nullable:
                self.fill.append(None)
            else:  # NOT NULL without a DEFAULT: MySQL gives old rows the type's implicit one
                self.fill.append(self.implicit[i])
        self.source_width = len(source.columns)

    def row(self, src: Sequence[Any], current: Sequence[Any] | None = None, n: int = 1
            ) -> list:
        """The target row for source row `src` (`current`: the target row it replaces, whose
        values columns without a source keep; `n`: the row number for error texts)."""
        out: list[Any] = []
        for i, (pos, conv) in enumerate(self.spec):
            if pos < 0:
                v = current[i] if current is not None else self.fill[i]
            else:
                v = src[pos]
                if conv and v is not None:
                    v = self.coercers[i](v, self.names[i], n)
            if v is None and not self.nullable[i]:
                if self.strict or self.implicit[i] is None:
                    if pos < 0:  # a NOT NULL column whose type has no storable zero
                        raise DataError(f"Incorrect value for column '{self.names[i]}' at "
                                        f"row {n}: it is NOT NULL and has no DEFAULT",
                                        errno=1292, sqlstate="22007")
                    raise null_error(self.names[i])
                v = self.implicit[i]
            out.append(v)
        return out


def _ignore_warning(errno: int, msg: str) -> None:
    """The warnings of a conversion no statement reports (a shadow write of DML during the
    copy); the copy's own warnings go to the job (`core.ddl.rebuild`), and from it to the
    ALTER statement that waits for it."""


def handle_rule(source: TableInfo, target: TableInfo) -> str:
    """How a target row's handle is found: "row" (its primary key values), "same" (the
    source handle: rowid to rowid, or an integer key becoming the rowid), or "" when it
    cannot be (a rowid for rows keyed by encoded values, or the other way round)."""
    if target.handle != HANDLE_ROWID:
        return "row"
    if source.handle == HANDLE_ROWID or source.handle == "int":
        return "same"
    return ""


def revertible(old: TableInfo, new: TableInfo, spec: Sequence[Sequence]) -> bool:
    """Whether, after the switch, the old table can follow the new one's writes (case D):
    each new row must tell its old row's handle, and fit the old table's unique keys.  Not
    when rowids were traded for primary key values (nothing maps a key back to its rowid),
    when an old key column was dropped or converted (its old value is not in the new row),
    when any column was converted (a new value may not fit the old type), or when an old
    unique key is not implied by one of the new table."""
    if old.handle == HANDLE_ROWID and new.handle != HANDLE_ROWID:
        return False
    if any(conv for p, conv in spec if int(p) >= 0):
        # a converted column: a value the new table took (5000000000 in a BIGINT) may not
        # fit the old type, and copying it back would clamp or cut it without a word
        return False
    kept = {int(p) for p, conv in spec if int(p) >= 0 and not conv}
    if not all(old.column_index(c) in kept for c in old.pk_columns):
        return False
    # and no write the new table takes may break an old unique key: each must be implied
    # by a unique key of the new table on (some of) its columns, of unchanged values
    new_unique = [{new.column(c).id for c in ix.columns} for ix in new.indexes
                  if ix.unique and not ix.lengths]
    for ix in old.indexes:
        if not ix.unique:
            continue
        if not all(old.column_index(c) in kept for c in ix.columns):
            return False
        ids = {old.column(c).id for c in ix.columns}
        if not any(u <= ids for u in new_unique):
            return False
    return True


def require_rule(source: TableInfo, target: TableInfo) -> str:
    rule = handle_rule(source, target)
    if not rule:
        raise NotSupportedError(
            "This version of KintsugiDB doesn't yet support 'DROP PRIMARY KEY of a table "
            "clustered on a non-integer or multi-column primary key'", errno=1235,
            sqlstate="42000")
    return rule


class ShadowWriter:
    """Applies a source table's writes to the table its shadow names (see the module)."""

    def __init__(self, source: TableInfo, writer_class):
        # writer_class: core.sql.table.TableWriter, handed in (that module imports this one)
        spec = source.shadow
        self.target = TableInfo.from_dict(spec["table"])
        self.map = RowMap(source, self.target, spec["map"], spec.get("strict", True),
                          spec.get("now"))
        self.writer = writer_class(self.target, None)
        self.rule = require_rule(source, self.target)
        self.checkpointed = bool(spec.get("checkpoint", True))
        self.source_id = source.id
        self.upto = ALL_COPIED

    def bind(self, txn) -> None:
        """Bound once per statement, under the writer lock: no copy batch commits while the
        statement runs, so the checkpoint read here holds for all its writes."""
        self.writer.bind(txn)
        if self.checkpointed:
            self.upto = bytes(txn.get_current(SYSTEM, copy_key(self.target.id)) or b"")

    def covers(self, handle) -> bool:
        upto = self.upto
        if upto[:1] == POISONED:
            return False
        return upto == ALL_COPIED or row_key(self.source_id, handle) < upto

    def _guard(self, fn, *args) -> None:
        """Run one shadow write.  Before the switch, a write the new table cannot take (a
        value that does not convert, a duplicate in a new unique key) does not fail the
        statement: the table's writes go on, and the job fails with that error instead (it
        is kept under the checkpoint's key, committed or rolled back with the statement),
        as MySQL's online ALTER fails when it meets such a row in its log."""
        if not self.checkpointed:
            fn(*args)
            return
        try:
            fn(*args)
        except (DataError, IntegrityError) as err:
            self.upto = poison(err)
            self.writer.txn.put(SYSTEM, copy_key(self.target.id), self.upto)

    def target_handle(self, trow: Sequence[Any], handle):
        return handle if self.rule == "same" else self.writer.handle_of(trow)

    def _add(self, trow: list, th) -> None:
        hit = self.writer.find_conflict(trow, th)
        if hit is not None:
            raise self.writer.duplicate_error(hit[0], trow)
        self.writer.insert(trow, th)

    def _remove(self, row: Sequence[Any], handle) -> list | None:
        th = self.target_handle(self.map.row(row), handle) if self.rule == "row" else handle
        cur = self.writer.current(th)
        if cur is not None:
            self.writer.delete(cur, th)
        return cur

    def insert(self, row: Sequence[Any], handle) -> None:
        if self.covers(handle):
            self._guard(self._insert, row, handle)

    def delete(self, row: Sequence[Any], handle) -> None:
        if self.covers(handle):
            self._guard(self._remove, row, handle)

    def update(self, old: Sequence[Any], new: Sequence[Any], old_handle, new_handle) -> None:
        self._guard(self._update, old, new, old_handle, new_handle)

    def _insert(self, row: Sequence[Any], handle) -> None:
        trow = self.map.row(row)
        self._add(trow, self.target_handle(trow, handle))

    def _update(self, old: Sequence[Any], new: Sequence[Any], old_handle, new_handle) -> None:
        cur = self._remove(old, old_handle) if self.covers(old_handle) else None
        if self.covers(new_handle):
            trow = self.map.row(new, cur)
            self._add(trow, self.target_handle(trow, new_handle))
