"""What a committing transaction writes to the binary log (DESIGN.md, Binary log).

Called by `core.txn.transaction.Transaction.commit` under the writer lock, just before the
commit is logged.  A DDL is logged as its statement (`txn.binlog_ddl`, set by the DDL
runner or the job worker's last step).  Anything else is logged as row images, found by
comparing the transaction's writes with the committed state it is about to replace: for
each row key of a table the dictionary shows, the value before (read now: nothing else can
commit under the writer lock) and after.  Both present: an update; only after: a write;
only before: a delete.  Index entries are never logged: replay derives them.  Reading the
write set instead of hooking each statement means no write path (INSERT, REPLACE, LOAD,
multi-table DELETE, a view's DML, an admin repair that rewrites rows) can forget to log.

A row is logged as the tablespace stores it (msgpack + CRC32C) with its handle's key
bytes; the `Table_map` event carries the column names and types, so the events are read
without the dictionary (`core.backup.events`).

It lives in SQL because it reads the dictionary's tables; `core.api` installs it.
"""

from __future__ import annotations

from typing import Any

from core.codec import row_prefix
from core.log import binlog_format as fmt
from core.log.binlog_format import EventType


class BinlogCapture:
    """The engine's `binlog_capture` for one open database (`core.sql.session.Database`)."""

    def __init__(self, db: Any):
        self.db = db

    def __call__(self, txn: Any, ts: float) -> tuple[int, bytes] | None:
        if getattr(txn, "binlog_skip", False):  # SET sql_log_bin = 0 (core.sql.binlog_vars)
            return None
        engine = self.db.engine
        binlog = engine.binlog
        if binlog is None:
            return None
        now = self.db.now()
        seq = binlog.next_seq
        head = fmt.gtid(now, binlog.uuid, seq, txn.trx_id or 0)
        ddl = txn.binlog_ddl
        if ddl is not None:
            return seq, head + fmt.query(now, ddl[0], ddl[1])
        if not txn.binlog_rows:
            return None
        body = self._rows(txn, engine, now)
        if body is None:
            return None
        return seq, head + fmt.query(now, None, "BEGIN") + body + fmt.xid(now, txn.trx_id or 0)

    def _rows(self, txn: Any, engine: Any, now: float) -> bytes | None:
        view = None
        schema = None
        tables: dict[int, tuple[Any, list, list, list]] = {}
        prefixes: dict[int, bytes | None] = {}
        try:
            for space, key, value in txn.binlog_writes():
                if space == 0:
                    continue
                prefix = prefixes.get(space, b"")
                if prefix == b"":
                    if view is None:
                        view = engine.latest_snapshot()
                        schema = self.db.schema(view)
                    table = schema.tables_by_id.get(space)
                    prefix = prefixes[space] = row_prefix(space) if table is not None else None
                    if table is not None:
                        tables[space] = (table, [], [], [])
                if prefix is None or not key.startswith(prefix):
                    continue  # an index entry, or a table the dictionary does not show
                before = view.get(space, key)
                if before == value:
                    continue
                handle = key[len(prefix):]
                _t, writes, updates, deletes = tables[space]
                if before is None:
                    writes.append([handle, value])
                elif value is None:
                    deletes.append([handle, before])
                else:
                    updates.append([handle, before, value])
        finally:
            if view is not None:
                view.close()
        parts: list[bytes] = []
        for tid, (table, writes, updates, deletes) in tables.items():
            if not (writes or updates or deletes):
                continue
            parts.append(fmt.table_map(now, tid, table.schema, table.name,
                                       [[c.name, c.type.sql()] for c in table.columns],
                                       {"kind": table.handle, "columns": list(table.pk_columns)}))
            # deletes, then updates, then writes: replay frees unique values before reusing
            for kind, items in ((EventType.DELETE_ROWS, deletes),
                                (EventType.UPDATE_ROWS, updates),
                                (EventType.WRITE_ROWS, writes)):
                parts.extend(_chunked(kind, now, tid, items))
        return b"".join(parts) if parts else None


def _chunked(kind: EventType, now: float, tid: int, items: list):
    """Row events of at most about ROWS_EVENT_BYTES each."""
    chunk: list = []
    size = 0
    for item in items:
        chunk.append(item)
        size += sum(len(x) for x in item) + 8
        if size >= fmt.ROWS_EVENT_BYTES:
            yield fmt.rows(kind, now, tid, chunk)
            chunk, size = [], 0
    if chunk:
        yield fmt.rows(kind, now, tid, chunk)


def install(db: Any) -> None:
    """Make the database's commits feed its binary log (the composition root calls this)."""
    db.engine.binlog_capture = BinlogCapture(db)
