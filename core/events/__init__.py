"""Typed progress events that long operations emit.

The engine never prints or renders: it calls an `EventSink` with one of these dataclasses.
The console turns them into widgets, `kintsugi recover` into InnoDB-style log lines, and the
tests into assertions.  Events carry cumulative figures so that a consumer that drops some
(a UI throttled to 20 posts a second) still shows the right state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event."""


EventSink = Callable[[Event], None]


def null_sink(event: Event) -> None:
    """The sink used when nobody listens."""


class EventLog:
    """A sink that keeps every event, for tests and for replaying to a late subscriber."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Event]) -> list:
        return [e for e in self.events if isinstance(e, kind)]


# --- recovery ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveryStarted(Event):
    """The last shutdown was not clean; recovery starts from `checkpoint_lsn`."""

    checkpoint_lsn: int
    path: str


@dataclass(frozen=True, slots=True)
class RedoScanProgress(Event):
    """InnoDB's "Doing recovery: scanned up to log sequence number N"."""

    scanned_lsn: int
    records: int


@dataclass(frozen=True, slots=True)
class RedoScanDone(Event):
    """The scan found the end of the log at `end_lsn`."""

    start_lsn: int
    end_lsn: int
    records: int
    committed: int
    uncommitted: int


@dataclass(frozen=True, slots=True)
class TornTailCut(Event):
    """The log ended in a partly written record; it was cut at `lsn` (PostgreSQL's
    "invalid record length at X: wanted N, got M")."""

    lsn: int
    reason: str


@dataclass(frozen=True, slots=True)
class RedoApplyBatch(Event):
    """A batch of redo records is about to be applied ("Applying a batch of N redo log records")."""

    records: int


@dataclass(frozen=True, slots=True)
class RedoApplyProgress(Event):
    """Cumulative progress of the apply step; emitted at each 10% step."""

    applied: int
    total: int
    percent: int


@dataclass(frozen=True, slots=True)
class TransactionDiscarded(Event):
    """A transaction had records but no COMMIT at the crash; its changes were dropped."""

    trx_id: int
    row_operations: int


@dataclass(frozen=True, slots=True)
class RecoveryFinished(Event):
    end_lsn: int
    applied_records: int
    discarded_transactions: int
    seconds: float


# --- normal operation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseOpened(Event):
    path: str
    lsn: int
    clean: bool


@dataclass(frozen=True, slots=True)
class FlushDone(Event):
    """The flusher applied an overlay generation to the tablespaces."""

    up_to_lsn: int
    entries: int
    spaces: int
    seconds: float


@dataclass(frozen=True, slots=True)
class CheckpointDone(Event):
    checkpoint_lsn: int
    recycled_segments: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class MapGrown(Event):
    """A tablespace's LMDB map was enlarged before it could fill."""

    space_id: int
    old_size: int
    new_size: int


@dataclass(frozen=True, slots=True)
class TransactionSpilled(Event):
    """A large transaction moved its buffered writes to the log and its spill file."""

    trx_id: int
    spilled_rows: int
