"""information_schema.KINTSUGI_DROPPED_TABLES: the dropped and truncated tables GC has not
taken yet, and those it took, with the time left to bring each back (the console's DDL Jobs
pane reads it; see `core.catalog.dropped` for the states).

DROPPED_AT, GC_AFTER and DONE_AT are local DATETIMEs, as information_schema.DDL_JOBS' times,
so a drop lines up with its job.  SECONDS_LEFT counts down on the engine's clock
(`db.clock`), 0 once GC may take the table.  TABLE_ROWS is approximate (the file's entries
divided by 1 + its secondary indexes, as TABLES.TABLE_ROWS), NULL once collected; INDEXES
counts every index of the dropped definition, PRIMARY included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.catalog.dropped import EXPIRED, NOT_RECOVERABLE, RECOVERABLE, dropped_tables
from core.catalog.model import TableInfo

if TYPE_CHECKING:
    from core.sql.host import StatementHost

NAME = "kintsugi_dropped_tables"
COLUMNS = ["JOB_ID", "JOB_TYPE", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_ID", "DROPPED_AT",
           "GC_AFTER", "SECONDS_LEFT", "STATE", "DONE_AT", "TABLE_ROWS", "INDEXES"]


def _ts(t: float | None) -> dt.datetime | None:
    return None if not t else dt.datetime.fromtimestamp(t).replace(microsecond=0)


def rows(session: StatementHost, approx_rows: Callable[[Any, TableInfo], int]) -> list[list]:
    """The table's rows; `approx_rows` is information_schema's TABLE_ROWS estimate."""
    db = session.db
    with db.engine.snapshot() as view:
        found = dropped_tables(view, db.now(),
                               lost=getattr(db.engine, "lost_spaces", None))
    out = []
    for d in found:
        count = None
        if d.state in (RECOVERABLE, EXPIRED, NOT_RECOVERABLE) and d.table is not None:
            count = approx_rows(session, d.table)
        out.append([d.job_id, d.job_type, d.schema, d.name, d.table_id, _ts(d.dropped_at),
                    _ts(d.gc_after), d.seconds_left, d.state, _ts(d.done_at), count,
                    d.indexes])
    return out
