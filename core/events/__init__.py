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
#
# The order a crashed open emits them in, with the InnoDB line each becomes (see
# `core.events.wording.log_lines`, which gives every line its level):
#
#   RecoveryStarted        Database was not shutdown normally! / Starting crash recovery.
#   CheckpointFound        The latest found checkpoint is at lsn = N in redo log file F
#   RedoScanProgress       Doing recovery: scanned up to log sequence number N   (every ~5 MB)
#   TornTailCut            [Warning] the log ended in a torn record, cut at N
#   RedoSkipped            [Warning] force_recovery: redo from A to B not applied (C commits)
#   RedoScanDone           (summary of the scan)
#   RedoApplyBatch         Applying a batch of N redo log records ...
#   RedoApplyProgress      10% 20% ... 100%   (each its own line, per batch)
#   RedoApplyBatchDone     Apply batch completed!
#   TransactionsToRollBack N transaction(s) which must be rolled back or cleaned up in total
#                          N row operations to undo
#   TrxIdCounter           Trx id counter is N
#   TransactionDiscarded   Rolling back trx with id N, N rows to undo  (one per transaction)
#   RecoveryFinished       (summary: applied, discarded, seconds)
#   DatabaseOpened         KintsugiDB <version> started; log sequence number N
#
# Tablespace discovery (`scan_directories`) emits DirectoriesToScan, ScanningDirectory and
# SpaceFilesFound before the checkpoint line.


@dataclass(frozen=True, slots=True)
class RecoveryStarted(Event):
    """The last shutdown was not clean; recovery starts from `checkpoint_lsn`."""

    checkpoint_lsn: int
    path: str
    force_recovery: int = 0


@dataclass(frozen=True, slots=True)
class CheckpointFound(Event):
    """InnoDB's "The latest found checkpoint is at lsn = N in redo log file F"."""

    checkpoint_lsn: int
    segment: str  # the redo segment file (absolute path) holding the checkpoint


@dataclass(frozen=True, slots=True)
class RedoScanProgress(Event):
    """InnoDB's "Doing recovery: scanned up to log sequence number N".  `end_estimate` is
    the highest LSN the log can reach (the end of the data written to its last segment, or
    the durable LSN of the control file, whichever is larger): a bar of scanned against it
    never goes backwards and ends at 100% with RedoScanDone."""

    scanned_lsn: int
    records: int
    start_lsn: int = 0
    end_estimate: int = 0


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
class RedoSkipped(Event):
    """A forced open (force_recovery >= 1) could not apply the redo from `from_lsn` to
    `to_lsn` (damaged; or, at level 6, all of it): `commits` COMMIT records lie in or after
    that range (found by scanning past the damage for valid frames), touching `tables`
    ("schema.table", or "space N" when the dictionary does not name it).  Always a
    [Warning]; it is also what the console's read-only banner and the history show."""

    from_lsn: int
    to_lsn: int
    commits: int
    tables: tuple[str, ...] = ()
    reason: str = ""
    force_recovery: int = 1
    # transactions with records before the damage but no COMMIT before it: their COMMIT
    # may lie in the damaged part, so whether they committed is not known
    unknown: int = 0
    # a redo segment is missing: the commits it held cannot be counted (`commits` is a floor)
    uncounted: bool = False


@dataclass(frozen=True, slots=True)
class RedoApplyBatch(Event):
    """A batch of redo records is about to be applied ("Applying a batch of N redo log
    records ..."); batches are numbered from 1 and cover the LSN range given."""

    records: int
    batch: int = 1
    start_lsn: int = 0
    end_lsn: int = 0


@dataclass(frozen=True, slots=True)
class RedoApplyProgress(Event):
    """Progress of the apply step, emitted at each 10% step of the current batch
    (`percent`, 10..100); `applied`/`total` are cumulative over all batches."""

    applied: int
    total: int
    percent: int
    batch: int = 1


@dataclass(frozen=True, slots=True)
class RedoApplyBatchDone(Event):
    """InnoDB's "Apply batch completed!"."""

    batch: int
    records: int
    applied: int
    total: int


@dataclass(frozen=True, slots=True)
class TransactionsToRollBack(Event):
    """InnoDB's "N transaction(s) which must be rolled back or cleaned up in total N row
    operations to undo" (nothing of theirs reached a tablespace: cleaning up is discarding
    their row images and spill files)."""

    transactions: int
    row_operations: int
    left: bool = False  # force_recovery >= 5: not cleaned up at all, left as found (Warning)


@dataclass(frozen=True, slots=True)
class TrxIdCounter(Event):
    """InnoDB's "Trx id counter is N": the next transaction id."""

    next_trx_id: int


@dataclass(frozen=True, slots=True)
class TransactionDiscarded(Event):
    """A transaction had records but no COMMIT at the crash; its changes were dropped
    ("Rolling back trx with id N, N rows to undo"), with the tables it had touched.
    `kept` is True under force_recovery >= 3, which leaves its spill file in place."""

    trx_id: int
    row_operations: int
    tables: tuple[str, ...] = ()
    kept: bool = False


@dataclass(frozen=True, slots=True)
class RecoveryFinished(Event):
    end_lsn: int
    applied_records: int
    discarded_transactions: int
    seconds: float
    batches: int = 0
    skipped_commits: int = 0  # COMMIT records a forced open could not apply (RedoSkipped)
    kept: bool = False  # force_recovery >= 3: the transactions without COMMIT were left as found
    unknown_outcome: int = 0  # transactions whose COMMIT may lie in the damaged log


@dataclass(frozen=True, slots=True)
class DirectoriesToScan(Event):
    """InnoDB's "Directories to scan 'a;b'" (tablespace discovery)."""

    directories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScanningDirectory(Event):
    """InnoDB's "Scanning 'a'"."""

    directory: str


@dataclass(frozen=True, slots=True)
class SpaceFilesFound(Event):
    """InnoDB's "Found N '.kdb' file(s)"; `rebuilt` entries of the space map were rewritten
    from the files' headers."""

    files: int
    rebuilt: int = 0


@dataclass(frozen=True, slots=True)
class DamagedLogKept(Event):
    """`--discard-damaged-log`: the log was ended at `cut_lsn` and the damaged segments were
    copied to `kept` (paths) before the database opened writable."""

    cut_lsn: int
    kept: tuple[str, ...]
    commits_lost: int


@dataclass(frozen=True, slots=True)
class TablespaceMissing(Event):
    """A forced open went on without a tablespace file: queries on the table fail with
    ERROR 1812."""

    space_id: int
    table: str  # "schema.table"
    path: str
    reason: str = ""  # why the file could not be used ("" : it does not exist)


@dataclass(frozen=True, slots=True)
class RecoveryWarning(Event):
    """Something an open found wrong and went on despite (a damaged control-file slot, a
    redo log a level-6 open does not need, an error log that is not a regular file): always
    one [Warning] line with `message`."""

    message: str


# --- normal operation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseOpened(Event):
    """InnoDB's "<version> started; log sequence number N"."""

    path: str
    lsn: int
    clean: bool
    read_only: bool = False
    force_recovery: int = 0


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


# --- tablespace discovery and the recovery history: warnings ------------------------------------


@dataclass(frozen=True, slots=True)
class SpaceFileSkipped(Event):
    """Tablespace discovery left a `.kdb` file it found unused and went on: not a readable
    tablespace (empty, garbage, a copied spill file), a symbolic link, another database's
    file, or an orphan whose table replay re-created elsewhere; `reason` says which."""

    path: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SpaceFileUnverified(Event):
    """Discovery adopted a file made before tablespace headers recorded their database's
    uuid: its space id, schema and table match the dictionary, but it cannot be proven to
    belong to this database."""

    path: str = ""
    space_id: int = 0
    table: str = ""  # "schema.table"


@dataclass(frozen=True, slots=True)
class RecoveryHistoryLineSkipped(Event):
    """A damaged line of the forced opens' history sidecar (`#recovery-pending.jsonl`, a
    write torn by a crash) was skipped; the rows around it were kept."""

    path: str = ""
    line: int = 0


# --- index consistency (core.admin) -----------------------------------------------------------
#
# Every ADMIN statement on indexes (CHECK TABLE/INDEX, SHOW INDEX INCONSISTENCIES, RECOVER /
# CLEANUP / REPAIR INDEX) emits, on the connection's event sink (`Connection.event_sink`):
#
#   IndexAdminStarted    once, with the rows the table is estimated to hold
#   IndexAdminProgress   every few thousand rows or entries (cumulative), and per batch
#   IndexAdminFinished   once, with the outcome (also when it fails or is cancelled)


@dataclass(frozen=True, slots=True)
class IndexSample:
    """One disagreeing entry: `kind` is "missing" (a row without its entry), "dangling" (an
    entry without its row) or "mismatched" (the entry holds other values than the row);
    `handle` as TiDB prints it; the values as TiDB renders them (`KindInt64 10`), None for
    the side that is absent."""

    kind: str
    handle: str
    row_values: tuple[str, ...] | None = None
    index_values: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class IndexReport:
    """The whole picture of one index (ADMIN SHOW INDEX INCONSISTENCIES' row)."""

    index: str
    rows_scanned: int = 0
    entries_scanned: int = 0
    missing: int = 0
    dangling: int = 0
    mismatched: int = 0
    samples: tuple[IndexSample, ...] = ()

    @property
    def consistent(self) -> bool:
        return not (self.missing or self.dangling or self.mismatched)


@dataclass(frozen=True, slots=True)
class IndexAdminStarted(Event):
    """`operation` is "check", "inconsistencies", "recover", "cleanup" or "repair";
    `indexes` the index names it covers; `rows_estimate` what the table is thought to hold."""

    operation: str = ""
    table: str = ""  # "schema.table"
    indexes: tuple[str, ...] = ()
    rows_estimate: int = 0


@dataclass(frozen=True, slots=True)
class IndexAdminProgress(Event):
    """`phase` says what is being read ("rows", "index idx", "buckets", "batch N"); `done`
    of `total` are rows or entries (total is an estimate, 0 if unknown)."""

    operation: str = ""
    table: str = ""
    phase: str = ""
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class IndexAdminFinished(Event):
    """`outcome` is "consistent", "inconsistent", "repaired", "failed" or "cancelled";
    `counts` the statement's numbers by name (ADDED_COUNT, SCAN_COUNT, REMOVED_COUNT,
    MISSING, DANGLING, MISMATCHED...); `error` the message when it failed; `reports` one
    per index a check or an inconsistency scan looked at."""

    operation: str = ""
    table: str = ""
    outcome: str = ""
    counts: tuple[tuple[str, int], ...] = ()
    seconds: float = 0.0
    error: str = ""
    reports: tuple[IndexReport, ...] = ()


# --- DDL jobs (core.ddl): states and events, defined in core.events.ddl -----------------------

# Backups and restores (core.backup): events defined in core.events.backup
from core.events.backup import (  # noqa: E402, F401 - they subclass Event, defined above
    BackupFinished,
    BackupProgress,
    RestoreFinished,
    RestoreProgress,
)
from core.events.ddl import (  # noqa: E402, F401 - they subclass Event, defined above
    FINISHED_STATES,
    DDLJobChanged,
    DDLJobRepaired,
    DDLReorgProgress,
    JobState,
    SchemaState,
)

# GC and RECOVER TABLE (core.gc): events defined in core.events.gc
from core.events.gc import (  # noqa: E402, F401 - they subclass Event, defined above
    GCRangeCollected,
    GCRoundFinished,
    TableRecovered,
)
