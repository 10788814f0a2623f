"""DDL jobs' vocabulary: their states, their schema states and the events a job emits.

They live with the events (a leaf every part may import) because the catalog stores them,
the job worker moves them, and the console matches on them: one definition for all three.
States are `StrEnum`s whose values are TiDB's strings, so a job row stored as msgpack, a
`STATE` column and a `match` in a pane all speak the same words.

A job emits, on the engine's sink (every console on the database sees it):

    DDLJobChanged     every change of state or schema state, and each step the job took
    DDLReorgProgress  after each batch of a reorganisation (backfill, copy, delete of entries)
    DDLJobRepaired    at open, for a job a crash interrupted: the case and what was done
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.events import Event


class JobState(StrEnum):
    """TiDB's `JobState` (pkg/meta/model/job.go), same words."""

    NONE = "none"
    QUEUEING = "queueing"
    RUNNING = "running"
    ROLLINGBACK = "rollingback"
    ROLLBACK_DONE = "rollback done"
    DONE = "done"
    SYNCED = "synced"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    PAUSING = "pausing"
    PAUSED = "paused"

    @property
    def finished(self) -> bool:
        """A job in history: it will never run again."""
        return self in _FINISHED

    @property
    def succeeded(self) -> bool:
        return self in (JobState.DONE, JobState.SYNCED)


_FINISHED = frozenset({JobState.SYNCED, JobState.DONE, JobState.CANCELLED,
                       JobState.ROLLBACK_DONE})
FINISHED_STATES = tuple(sorted(s.value for s in _FINISHED))


class SchemaState(StrEnum):
    """F1's schema states as TiDB names them (`SchemaState.String`)."""

    NONE = "none"
    DELETE_ONLY = "delete only"
    WRITE_ONLY = "write only"
    WRITE_REORGANIZATION = "write reorganization"
    DELETE_REORGANIZATION = "delete reorganization"
    PUBLIC = "public"


def job_state(value: str) -> JobState:
    """A stored state as its enum (an unknown word, from a damaged or future row, is NONE)."""
    try:
        return JobState(value)
    except ValueError:
        return JobState.NONE


def schema_state(value: str) -> SchemaState:
    try:
        return SchemaState(value or "none")
    except ValueError:
        return SchemaState.NONE


@dataclass(frozen=True, slots=True)
class DDLJobChanged(Event):
    """A job moved: `step` says what it just did ("queued", "delete only", "backfill done",
    "paused", "cancelled by the user", ...); `error` is the failure that sent it back, as
    `ERROR 1062 (23000): ...`."""

    job_id: int
    job_type: str
    db_name: str
    table_name: str
    state: JobState
    schema_state: SchemaState
    step: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class DDLReorgProgress(Event):
    """A reorganisation's progress after one batch (cumulative, so a throttled consumer
    still shows the truth): rows done of the estimated total, the rate over the job's
    run so far, and the seconds left at that rate (None until there is a rate)."""

    job_id: int
    table_name: str
    phase: str  # "backfill", "copy", "delete entries"
    rows_done: int
    rows_total: int
    rows_per_second: float = 0.0
    eta_seconds: float | None = None

    @property
    def fraction(self) -> float:
        if self.rows_total <= 0:
            return 0.0
        return min(1.0, self.rows_done / self.rows_total)


@dataclass(frozen=True, slots=True)
class DDLJobRepaired(Event):
    """At open: a job a crash interrupted, which of the seed's cases it was (A-D for a table
    rebuild, "index" for an index build) and what recovery did ("rolled forward", "rolled
    back", "paused for the DBA")."""

    job_id: int
    job_type: str
    table_name: str
    case: str
    action: str
    detail: str = ""
