"""Applying binary-log transactions to a restored database (the replay half of
`kintsugi restore`).

A DDL runs as its statement in a SQL session, exactly as the source ran it.  Row changes do
not go through SQL: each row is written under the handle the source stored it under (a
rowid table keeps its hidden row id, so a later delete finds the row), looked up by table
NAME in the restored dictionary and mapped column by column by name, with the index
entries derived here (the binlog never carries them).  Within one source transaction every
old index entry of an updated or deleted row goes first, then rows and new entries are
written, so unique values swapped inside a transaction land right.  Several source
transactions share one restored commit (up to about `GROUP_ROWS` rows) for speed, but never
across a DDL: the DDL's own commit must see the rows before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from core.backup.events import BinlogTransaction, TableChanges
from core.catalog.model import HANDLE_CLUSTERED, TableInfo
from core.codec import encode_row, row_key
from core.errors import Error, ProgrammingError
from core.literals import quote_identifier
from core.sql.table import TableWriter
from core.txn import begin

GROUP_ROWS = 10_000  # row changes per restored commit (source transactions are never split)


class ReplayError(ProgrammingError):
    """A binlog transaction that cannot be applied to the restored database."""


class Replayer:
    """Applies transactions, in order, to the open database behind `conn` (a core.api
    Connection opened on the restored copy)."""

    def __init__(self, conn: Any, *, group_rows: int = GROUP_ROWS,
                 on_commit: Callable[[BinlogTransaction], None] | None = None):
        self.conn = conn
        self.db = conn._db
        self.group_rows = group_rows
        self.on_commit = on_commit
        self.rows = 0  # row changes applied
        self.transactions = 0
        self._txn = None
        self._pending = 0
        self._last: BinlogTransaction | None = None
        self._writers: dict[int, tuple[TableWriter, list[int], int | None]] = {}
        self._auto: set[int] = set()
        self._schema = None

    # -- the loop ---------------------------------------------------------------------------

    def apply_all(self, txns: Iterable[BinlogTransaction]) -> None:
        for t in txns:
            self.apply(t)
        self.flush()

    def apply(self, t: BinlogTransaction) -> None:
        if t.ddl is not None:
            self.flush()
            self._ddl(t)
            self.transactions += 1
            self._last = t
            if self.on_commit is not None:
                self.on_commit(t)
            return
        if self._txn is None:
            self._txn = begin(self.db.engine)
            self._schema = self.db.schema(self._txn.current_view())
        self._rows(t)
        self.transactions += 1
        self._last = t
        self._pending += max(1, t.row_count())
        if self._pending >= self.group_rows:
            self.flush()

    def flush(self) -> None:
        """Commit the transactions applied since the last commit."""
        txn = self._txn
        if txn is None:
            return
        try:
            for tid in self._auto:
                writer = self._writers[tid][0]
                self.db.persist_autoinc(writer.table, txn)
            txn.commit()
        except BaseException:
            try:
                txn.rollback()
            except Exception:  # noqa: BLE001 - the commit's own error is the one to see
                pass
            raise
        finally:
            self._txn = None
            self._writers = {}
            self._auto = set()
            self._pending = 0
        if self.on_commit is not None and self._last is not None:
            self.on_commit(self._last)

    def abandon(self) -> None:
        """Roll back what is not committed (an error stopped the replay)."""
        txn, self._txn = self._txn, None
        if txn is not None:
            try:
                txn.rollback()
            except Exception:  # noqa: BLE001 - already failing; the copy is thrown away
                pass

    # -- one transaction --------------------------------------------------------------------

    def _ddl(self, t: BinlogTransaction) -> None:
        cur = self.conn.cursor()
        try:
            if t.db:
                cur.execute(f"USE {quote_identifier(t.db)}")
            cur.execute(t.ddl)
        except Error as exc:
            msg = getattr(exc, "msg", str(exc))
            raise ReplayError(f"replaying {t.gtid} ({t.file}:{t.pos}) failed: {t.ddl!r}: "
                              f"{msg}", errno=getattr(exc, "errno", 1105)) from None
        finally:
            cur.close()

    def _rows(self, t: BinlogTransaction) -> None:
        plans = [(tc, *self._writer(tc, t)) for tc in t.tables]
        # old index entries of every updated / deleted row first
        for tc, w, pos, _auto in plans:
            put, tid = w.txn.put_locked, w.tid  # the writer lock is held (TableWriter.bind)
            get = w.txn.get_current
            for r in tc.rows:
                if r.kind == "insert":
                    if get(tid, row_key(tid, _handle(r, w))) is not None:
                        raise _diverged(t, tc, r, 1062, "Duplicate entry for key 'PRIMARY' "
                                        "(the row is already there)")
                    continue
                old = _mapped(r.before, pos)
                h = _handle(r, w)
                if get(tid, row_key(tid, h)) is None:
                    raise _diverged(t, tc, r, 1032, f"Can't find record in '{tc.table}'")
                for ix in w.delete_indexes:
                    put(tid, w.index_entry(ix, old, h)[0], None)
                if r.kind == "delete":
                    put(tid, row_key(tid, h), None)
        # then rows and their new entries
        for tc, w, pos, auto in plans:
            txn, put, tid = w.txn, w.txn.put_locked, w.tid
            for r in tc.rows:
                if r.kind == "delete":
                    continue
                new = _mapped(r.after, pos)
                h = _handle(r, w)
                put(tid, row_key(tid, h), encode_row(new))
                for ix in w.indexes:
                    k, v = w.index_entry(ix, new, h)
                    put(tid, k, v)
                if auto is not None:
                    self.db.observe_autoinc(w.table, new[auto], txn)
            self.rows += len(tc.rows)

    def _writer(self, tc: TableChanges, t: BinlogTransaction
                ) -> tuple[TableWriter, list[int] | None, int | None]:
        table = self._schema.table(tc.db, tc.table)
        if table is None:
            raise ReplayError(f"replaying {t.gtid} ({t.file}:{t.pos}): table "
                              f"'{tc.db}.{tc.table}' doesn't exist in the restored database",
                              errno=1146)
        got = self._writers.get(table.id)
        if got is None:
            pos = _column_map(table, tc, t)
            auto_col = table.auto_increment_column
            auto = None if auto_col is None else table.column_index(auto_col.name)
            got = self._writers[table.id] = (TableWriter(table, self._txn), pos, auto)
            if auto is not None:
                self._auto.add(table.id)
        return got


def _diverged(t: BinlogTransaction, tc: TableChanges, r: Any, errno: int, what: str
              ) -> ReplayError:
    """The restored rows are not what the source had when it ran `t` (a transaction
    before it was left out, or the backup is not the binlog's): 1032 / 1062, as a MySQL
    replica stops."""
    return ReplayError(
        f"replaying {t.gtid} ({t.file}:{t.pos}) into {tc.db}.{tc.table}: {what}; handle "
        f"{r.handle!r} ({r.kind}). The restored data differs from the source's at this "
        "point: a transaction this one depends on was left out (--exclude-gtids), or the "
        "binlog does not continue this backup", errno=errno)


def _column_map(table: TableInfo, tc: TableChanges, t: BinlogTransaction) -> list[int] | None:
    """For each column of the restored table, its position in the binlog's row (None when
    the orders agree).  A column missing on either side, or a different handle, is refused:
    the rows would be written wrong."""
    mine = [c.name.lower() for c in table.columns]
    theirs = [c.lower() for c in tc.columns]
    where = f"replaying {t.gtid} ({t.file}:{t.pos}) into {tc.db}.{tc.table}"
    if sorted(mine) != sorted(theirs):
        extra = sorted(set(theirs) - set(mine))
        missing = sorted(set(mine) - set(theirs))
        raise ReplayError(
            f"{where}: Table definition on source and restored database does not match: "
            f"the binlog's row has columns {tc.columns}, the table has "
            f"{[c.name for c in table.columns]}"
            + (f" (not in the table: {extra})" if extra else "")
            + (f" (not in the row: {missing})" if missing else ""), errno=1532)
    if tc.handle_kind != table.handle:
        raise ReplayError(f"{where}: Table definition on source and restored database does "
                          f"not match: rows keyed by {tc.handle_kind}, the table by "
                          f"{table.handle}", errno=1532)
    if mine == theirs:
        return None
    return [theirs.index(n) for n in mine]


def _mapped(row: list, pos: list[int] | None) -> list:
    return row if pos is None else [row[i] for i in pos]


def _handle(r: Any, w: TableWriter):
    return r.handle_bytes if w.table.handle == HANDLE_CLUSTERED else r.handle
