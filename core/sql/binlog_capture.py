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

from itertools import chain
from typing import Any

from core.codec import row_prefix
from core.log import binlog_format as fmt
from core.log.binlog_format import EventType


class BinlogCapture:
    """The engine's `binlog_capture` for one open database (`core.sql.session.Database`)."""

    def __init__(self, db: Any):
        self.db = db
        # space -> (table, its Table_map fields packed): a DDL makes a new table object
        self._maps: dict[int, tuple[Any, bytes]] = {}

    def __call__(self, txn: Any, ts: float) -> tuple[int, bytes] | None:
        if txn.binlog_skip:  # SET sql_log_bin = 0 (core.sql.binlog_vars)
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
        view = own = None
        schema = None
        tables: dict[int, tuple[Any, list, list, list]] = {}
        prefixes: dict[int, bytes | None] = {}
        # the write set comes space by space: the current space's lookups are kept in locals
        # (a bulk load passes here once per row)
        cur_space = -1
        prefix: bytes | None = None
        plen = 0
        get = None
        writes = updates = deletes = []
        try:
            for space, key, value in txn.binlog_writes():
                if space != cur_space:
                    cur_space = space
                    if space == 0:
                        prefix = None
                        continue
                    if space not in prefixes:
                        if view is None:
                            view, own = _committed_view(txn, engine)
                            schema = self.db.schema(view)
                            get = view.get
                        table = schema.tables_by_id.get(space)
                        prefixes[space] = row_prefix(space) if table is not None else None
                        if table is not None:
                            tables[space] = (table, [], [], [])
                    prefix = prefixes[space]
                    if prefix is not None:
                        plen = len(prefix)
                        _t, writes, updates, deletes = tables[space]
                if prefix is None or not key.startswith(prefix):
                    continue  # an index entry, or a table the dictionary does not show
                before = get(space, key)
                if before is None:
                    if value is not None:
                        writes.append([key[plen:], value])
                elif value is None:
                    deletes.append([key[plen:], before])
                elif before != value:
                    updates.append([key[plen:], before, value])
        finally:
            if own is not None:
                view.layers.insert(0, own)
            elif view is not None:
                view.close()
        parts: list[bytes] = []
        for tid, (table, writes, updates, deletes) in tables.items():
            if not (writes or updates or deletes):
                continue
            cached = self._maps.get(tid)
            if cached is None or cached[0] is not table:
                cached = self._maps[tid] = (table, fmt.table_map_tail(
                    tid, table.schema, table.name,
                    [[c.name, c.type.sql()] for c in table.columns],
                    {"kind": table.handle, "columns": list(table.pk_columns)}))
            parts.append(fmt.table_map_packed(now, cached[1]))
            # deletes, then updates, then writes: replay frees unique values before reusing
            for kind, items in ((EventType.DELETE_ROWS, deletes),
                                (EventType.UPDATE_ROWS, updates),
                                (EventType.WRITE_ROWS, writes)):
                if items:
                    parts.extend(_chunked(kind, now, tid, items))
        return b"".join(parts) if parts else None


def _committed_view(txn: Any, engine: Any) -> tuple[Any, Any]:
    """(a view of the committed state, the layer to put back or None).  The transaction's
    current view was opened after it took the writer lock, so nothing has committed since:
    without its own writes on top, it *is* the committed state the commit replaces, with
    its tablespace reads already open (a commit saves a snapshot).  The caller puts the
    layer back; otherwise (no current view) a new snapshot, which the caller closes."""
    view = getattr(txn, "_current", None)
    own = getattr(txn, "_own", None)
    if view is not None and own is not None and view.layers and view.layers[0] is own:
        view.layers.pop(0)
        return view, own
    return engine.latest_snapshot(), None


def _chunked(kind: EventType, now: float, tid: int, items: list):
    """Row events of about ROWS_EVENT_BYTES each: cut by count from the total size (rows of
    one table are alike), a cut that came out far too big cut again row by row."""
    if not items:
        return
    limit = fmt.ROWS_EVENT_BYTES
    total = sum(map(len, chain.from_iterable(items))) + 8 * len(items)
    if total < 2 * limit:
        yield fmt.rows(kind, now, tid, items)
        return
    step = max(1, len(items) * limit // total)
    for i in range(0, len(items), step):
        chunk = items[i:i + step]
        if sum(map(len, chain.from_iterable(chunk))) < 2 * limit:
            yield fmt.rows(kind, now, tid, chunk)
            continue
        part: list = []
        size = 0
        for item in chunk:
            part.append(item)
            size += sum(map(len, item)) + 8
            if size >= limit:
                yield fmt.rows(kind, now, tid, part)
                part, size = [], 0
        if part:
            yield fmt.rows(kind, now, tid, part)


def install(db: Any) -> None:
    """Make the database's commits feed its binary log (the composition root calls this)."""
    db.engine.binlog_capture = BinlogCapture(db)
