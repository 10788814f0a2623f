"""GC's and RECOVER's events (core.gc), on the engine's sink like the DDL jobs' events.

    GCRangeCollected   one delete range collected: a tablespace file deleted (durably) or a
                       dropped index's entries removed
    GCRoundFinished    one GC round: the safe point it computed, what it collected, what waits
    TableRecovered     RECOVER / FLASHBACK TABLE (or DATABASE) put a dropped table back

The console's DDL Jobs and Recovery panes match on them to refresh what they show as dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, slots=True)
class GCRangeCollected(Event):
    """A range past the safe point is gone: `kind` "table" (its file `path` deleted) or
    "index" (`entries` removed); `name` is "schema.table" (and ".index")."""

    job_id: int
    kind: str
    table_id: int
    name: str
    path: str = ""
    entries: int = 0


@dataclass(frozen=True, slots=True)
class GCRoundFinished(Event):
    """One GC round: safe point = `run_at` - `life_time` (UNIX seconds); `collected` ranges
    removed this round, `pending` still younger than the safe point."""

    safe_point: float
    run_at: float
    life_time: float
    collected: int
    pending: int
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class TableRecovered(Event):
    """`statement` ("recover table", "flashback table", "flashback database") brought back
    the table dropped by job `drop_job_id` as `schema`.`table` (same table id, its rows and
    indexes untouched), in job `job_id`."""

    job_id: int
    drop_job_id: int
    statement: str
    schema: str
    table: str
    table_id: int
