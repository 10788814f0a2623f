"""Dropped tables as a DBA asks about them: which job dropped each, when, and until when it
can come back (`information_schema.KINTSUGI_DROPPED_TABLES`, `kintsugi info`,
`Connection.info()`).

Computed from the GC delete ranges (`core.catalog.gcranges`), the job history and the
stored safe point, all read at one view, and a time `now` the caller takes from the
engine's clock: a range is collected once a GC round's safe point (its time minus
`tidb_gc_life_time`) passes the range's `ts`, so `gc_after = ts + life_time`.  A table is
"recoverable" while its range is pending and not older than the stored safe point (what
RECOVER TABLE checks, answering 8055 otherwise) and its job is a DROP TABLE, TRUNCATE TABLE
or DROP DATABASE; a rebuild's old tablespace waits for GC the same way but nothing brings it
back ("not recoverable"); "expired": older than the safe point, taken at the next round;
"collected": GC removed it (`mysql.gc_delete_range_done`), its file is gone.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.catalog import gcranges
from core.catalog.model import TableInfo
from core.catalog.store import SYSTEM, TBL_PREFIX, CatalogStore

RECOVERABLE_JOB_TYPES = frozenset({"drop table", "truncate table", "drop schema"})
RECOVERABLE, EXPIRED, NOT_RECOVERABLE, COLLECTED = (
    "recoverable", "expired", "not recoverable", "collected")


@dataclass(frozen=True, slots=True)
class DroppedTable:
    job_id: int
    job_type: str  # "drop table", "truncate table", "drop schema", a rebuild's type, or ""
    table_id: int  # == its tablespace id
    schema: str
    name: str
    dropped_at: float  # UNIX seconds (the range's ts)
    gc_after: float  # dropped_at + tidb_gc_life_time: GC may take it from then on
    seconds_left: int  # until gc_after, 0 when due
    state: str  # RECOVERABLE, EXPIRED, NOT_RECOVERABLE or COLLECTED
    done_at: float | None  # when GC collected it
    table: TableInfo | None  # the definition as it was (None if not stored)

    @property
    def indexes(self) -> int:
        return len(self.table.indexes) if self.table is not None else 0


def _table(rng: dict) -> TableInfo | None:
    try:
        return TableInfo.from_dict(rng["table"]) if rng.get("table") else None
    except (KeyError, TypeError, ValueError):
        return None


def dropped_tables(view: Any, now: float, *, collected: bool = True,
                   lost: Mapping[int, dict] | None = None) -> list[DroppedTable]:
    """Every table range awaiting GC (and, with `collected`, those GC took), oldest job
    first.  Index ranges (DROP INDEX) are not tables and are left out.  `lost` is the
    engine's `lost_spaces`: a pending table whose file the open found missing or unusable
    is "file lost" or "damaged" (nothing brings it back; GC still takes it when due)."""
    life = gcranges.life_time(view)
    point = gcranges.safe_point(view) or {}
    safe = point.get("safe_point")
    types: dict[int, str] = {}

    def job_type(job_id: int) -> str:
        if job_id not in types:
            job = CatalogStore.job(view, job_id) if job_id else None
            types[job_id] = job.job_type if job is not None else ""
        return types[job_id]

    out = []
    pending = [(r, False) for r in gcranges.pending(view) if r.get("kind") == "table"]
    done = [(r, True) for r in gcranges.done(view) if r.get("kind") == "table"] \
        if collected else []
    for rng, is_done in pending + done:
        job_id = int(rng.get("job_id") or 0)
        jtype = job_type(job_id)
        ts = float(rng.get("ts") or 0.0)
        gc_after = ts + life
        if is_done:
            state = COLLECTED
        elif jtype not in RECOVERABLE_JOB_TYPES:
            state = NOT_RECOVERABLE
        elif safe is not None and ts < float(safe):
            state = EXPIRED
        else:
            state = RECOVERABLE
        table = _table(rng)
        table_id = int(rng.get("table_id") or rng.get("element_id") or 0)
        if not is_done and lost and table_id in lost:
            state = lost[table_id].get("state") or state
        left = 0 if is_done else max(0, math.ceil(gc_after - now))
        out.append(DroppedTable(
            job_id=job_id, job_type=jtype, table_id=table_id,
            schema=table.schema if table is not None else "",
            name=table.name if table is not None else "", dropped_at=ts, gc_after=gc_after,
            seconds_left=left, state=state,
            done_at=float(rng["done_ts"]) if is_done and rng.get("done_ts") else None,
            table=table))
    out.sort(key=lambda d: (d.state == COLLECTED, d.job_id, d.table_id))
    return out


def awaiting_gc(view: Any) -> dict[int, str]:
    """{space id: "`schema`.`table` (dropped by job n)"} of every tablespace only waiting
    for GC, read from system.kdb: what `core.kv.Engine.open` gives recovery as
    `expendable_spaces`, so that such a file missing or damaged does not stop the open
    (`core.recovery.expendable`).  A space the dictionary has a table for is never one."""
    out: dict[int, str] = {}
    for rng in gcranges.pending(view):
        if rng.get("kind") != "table":
            continue
        sid = int(rng.get("table_id") or 0)
        if not sid or view.get(SYSTEM, TBL_PREFIX + struct.pack(">I", sid)) is not None:
            continue
        table = rng.get("table") or {}
        job_id = int(rng.get("job_id") or 0)
        job = CatalogStore.job(view, job_id) if job_id else None
        how = f"{job.job_type} job" if job is not None and job.job_type else "job"
        out[sid] = (f"`{table.get('schema', '?')}`.`{table.get('name', sid)}` "
                    f"(dropped by {how} {job_id})")
    return out
