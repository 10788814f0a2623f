"""The adapter interface: what the console asks of a database, whatever serves it.

Screens never import an adapter: they talk to a `Backend` and get the typed objects below.
Today `embedded.py` serves it, the engine in this process; a MySQL-protocol client will
stand beside it (a `kintsugi serve` process, MySQL, TiDB).  The shape follows Harlequin's
adapter: a few small methods, optional abilities as no-op defaults plus class flags
(`IMPLEMENTS_CANCEL`, `IMPLEMENTS_RECOVERY`) that decide what the screens offer.

Everything here may block: the console calls it from thread workers, never from the event
loop.  Engine events reach the console as the engine's own objects (`core.events`, the
vocabulary every backend speaks), from whatever thread produced them.

Cancelling is the database's business, decided once: a statement asked to stop either
fails with ERROR 1317 ("Query execution was interrupted") and leaves nothing behind, or it
had already finished and stands.  MySQL's KILL QUERY gives a remote backend the same.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from core.events import EventSink
from core.status import RecoveryRecord

INTERRUPTED = 1317  # ER_QUERY_INTERRUPTED: what a cancelled statement fails with


class BackendError(Exception):
    """An error with MySQL's code and SQLSTATE, whatever the backend (embedded or remote)."""

    def __init__(self, errno: int, sqlstate: str, msg: str, hint: str = ""):
        super().__init__(msg)
        self.errno = errno
        self.sqlstate = sqlstate
        self.msg = msg
        self.hint = hint

    def __str__(self) -> str:
        return f"ERROR {self.errno} ({self.sqlstate}): {self.msg}"

    @property
    def interrupted(self) -> bool:
        """The statement was cancelled (and left nothing behind)."""
        return self.errno == INTERRUPTED

    @classmethod
    def wrap(cls, err: BaseException, hints: Mapping[int, str] | None = None) -> BackendError:
        """Any exception as a BackendError: a database error keeps its code (and gets the
        backend's advice for it from `hints`), a file-system error becomes MySQL's 1030,
        anything else is an internal error (1105) naming its type."""
        if isinstance(err, BackendError):
            return err
        errno = getattr(err, "errno", None)
        if isinstance(errno, int) and hasattr(err, "sqlstate"):
            return cls(errno, err.sqlstate, getattr(err, "msg", str(err)),
                       (hints or {}).get(errno, ""))
        if isinstance(err, OSError):
            return cls(1030, "HY000", f"Got error {err.errno or 0} from the file system: "
                       f"{err.strerror or err}")
        return cls(1105, "HY000", f"{type(err).__name__}: {err}")


# ------------------------------------------------------------------------------------------
# what a backend hands to the screens
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TablespaceInfo:
    space_id: int
    name: str
    path: str
    applied_lsn: int
    # a dropped table's file, kept until GC (None / "" for a live table): UNIX seconds
    dropped_at: float | None = None
    gc_after: float | None = None
    drop_job_id: int | None = None
    drop_job_type: str = ""

    @property
    def dropped(self) -> bool:
        return self.drop_job_id is not None or self.dropped_at is not None


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    path: str
    end_lsn: int
    durable_lsn: int
    checkpoint_lsn: int
    segments: tuple[int, ...]
    tablespaces: tuple[TablespaceInfo, ...]
    overlay_entries: int
    read_only: bool
    force_recovery: int = 0  # the open's --force-recovery level (0: a normal open)
    # what this open's recovery did (None after a clean open): the Recovery tab's banner
    recovery: RecoveryRecord | None = None


@dataclass(frozen=True, slots=True)
class TableData:
    names: list[str]
    rows: list[tuple]


@dataclass(frozen=True, slots=True)
class RecoveryHistory:
    """The past recoveries (information_schema.RECOVERY_HISTORY's columns, newest first);
    `note` says why there are none when the database keeps no such history."""

    names: list[str]
    rows: list[tuple]
    note: str = ""


@dataclass(frozen=True, slots=True)
class IndexSummary:
    schema: str
    table: str
    rows_estimate: int
    # (name, columns, unique, primary, state)
    indexes: tuple[tuple[str, tuple[str, ...], bool, bool, str], ...]


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """An index's last check or repair, as the database keeps it
    (information_schema.KINTSUGI_INDEX_CHECKS): it survives restarts."""

    checked_at: dt.datetime | None
    operation: str  # "check", "inconsistencies", "recover", "cleanup", "repair"
    result: str  # "consistent", "inconsistent", "repaired", "failed", "cancelled"
    rows_scanned: int = 0
    entries_scanned: int = 0
    # None: not counted (ADMIN CHECK stops at the first inconsistency and records NULLs)
    missing: int | None = 0
    dangling: int | None = 0
    mismatched: int | None = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One index of a table, with its last check (None: never checked).  `checkable`:
    the index has entries of its own (a secondary index); the primary key is the rows'
    own key, and the rows are what the entries are checked against."""

    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool
    state: str
    last: IndexCheck | None = None

    @property
    def checkable(self) -> bool:
        return not self.primary and self.state == "public"


@dataclass(frozen=True, slots=True)
class TableIndexes:
    """A table, its estimated rows and its indexes, for the Indexes pane."""

    schema: str
    table: str
    rows_estimate: int
    indexes: tuple[IndexEntry, ...]

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


@dataclass(frozen=True, slots=True)
class IndexOverview:
    """Every table and index; `note` says why no last checks are shown when the database
    keeps none."""

    tables: tuple[TableIndexes, ...]
    note: str = ""


class _NamedRow:
    """A result row read by column name (any case), tolerant of what an engine leaves out:
    text "" for NULL, number 0 for NULL or a non-number, when None for a non-datetime."""

    def __init__(self, names: list[str], row: tuple) -> None:
        self._got = {n.upper(): v for n, v in zip(names, row, strict=False)}

    def get(self, name: str):
        return self._got.get(name)

    def text(self, name: str) -> str:
        v = self._got.get(name)
        return "" if v is None else str(v)

    def number(self, name: str) -> int:
        v = self._got.get(name)
        try:
            return int(v) if v not in (None, "") else 0
        except (TypeError, ValueError):
            return 0

    def when(self, name: str) -> dt.datetime | None:
        v = self._got.get(name)
        return v if isinstance(v, dt.datetime) else None


@dataclass(frozen=True, slots=True)
class DDLJobInfo:
    """One DDL job as information_schema.DDL_JOBS shows it: TiDB's columns and the running
    job's progress (rows done of the estimated total, fraction, ETA, phase), its error, the
    crash case recovery named and who paused it.  States stay TiDB's words (the engine's
    `core.events.JobState` values)."""

    job_id: int
    db_name: str
    table_name: str
    job_type: str
    schema_state: str
    state: str
    row_count: int = 0
    create_time: dt.datetime | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    query: str = ""
    progress: float | None = None  # 0..1; None: no reorganisation
    rows_done: int = 0
    rows_total: int = 0
    eta_seconds: float | None = None
    phase: str = ""  # "backfill", "delete entries", "copy"
    error: str = ""  # "ERROR 1062 (23000): ..."
    crash_case: str = ""  # "index", "A".."D": the interruption recovery named
    paused_by: str = ""  # "user", "recovery", "worker"

    @classmethod
    def of_row(cls, names: list[str], row: tuple) -> DDLJobInfo:
        """A row of `SELECT * FROM information_schema.ddl_jobs` (columns by name: an engine
        without the progress columns gives the defaults)."""
        got = _NamedRow(names, row)
        text, number, when = got.text, got.number, got.when
        progress, eta = got.get("PROGRESS"), got.get("ETA_SECONDS")
        return cls(number("JOB_ID"), text("DB_NAME"), text("TABLE_NAME"), text("JOB_TYPE"),
                   text("SCHEMA_STATE"), text("STATE"), number("ROW_COUNT"),
                   when("CREATE_TIME"), when("START_TIME"), when("END_TIME"), text("QUERY"),
                   None if progress is None else float(progress), number("ROWS_DONE"),
                   number("ROWS_TOTAL"), None if eta is None else float(eta), text("PHASE"),
                   text("ERROR"), text("CRASH_CASE"), text("PAUSED_BY"))


def job_list(data: TableData) -> list[DDLJobInfo]:
    """The jobs of information_schema.DDL_JOBS rows, one entry per job: the extra rows a
    multi-schema change lists for its actions (`<type> /* subjob */`, the same JOB_ID) are
    not jobs of their own."""
    jobs = [DDLJobInfo.of_row(data.names, row) for row in data.rows]
    return [j for j in jobs if not j.job_type.endswith("/* subjob */")]


@dataclass(frozen=True, slots=True)
class DDLJobStep:
    """One entry of a job's history (information_schema.KINTSUGI_DDL_JOB_STEPS): what the
    job did, when, and the state it left the job in."""

    seq: int
    time: dt.datetime | None
    step: str
    state: str
    schema_state: str
    detail: str = ""


RECOVERABLE = "recoverable"  # KINTSUGI_DROPPED_TABLES.STATE: inside the GC life time
EXPIRED = "expired"  # older than the GC safe point: the next GC round takes it
COLLECTED = "collected"  # GC deleted it: nothing can bring it back


@dataclass(frozen=True, slots=True)
class DroppedTable:
    """A table a job dropped (drop table, truncate table, drop schema, or a rebuild's old
    copy) whose data waits for GC: a row of information_schema.KINTSUGI_DROPPED_TABLES.
    `seconds_left` is the engine's count at the read (its clock, not this process's);
    `read_at` (time.monotonic()) lets the console count down from it."""

    job_id: int
    job_type: str
    schema: str
    table: str
    table_id: int = 0
    dropped_at: dt.datetime | None = None
    gc_after: dt.datetime | None = None
    seconds_left: int = 0
    state: str = RECOVERABLE  # "recoverable" | "expired" | "collected" | "not recoverable"
    done_at: dt.datetime | None = None
    table_rows: int = 0  # approximate (0 once collected)
    indexes: int = 0  # of the dropped definition, PRIMARY included
    read_at: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def recoverable(self) -> bool:
        return self.state == RECOVERABLE

    def left(self, now: float | None = None) -> float:
        """Seconds until GC may take it, counted down from the read (0 when due)."""
        if now is None or not self.read_at:
            return float(max(self.seconds_left, 0))
        return max(0.0, self.seconds_left - (now - self.read_at))

    @classmethod
    def of_row(cls, names: list[str], row: tuple, read_at: float = 0.0) -> DroppedTable:
        """A row of `SELECT * FROM information_schema.KINTSUGI_DROPPED_TABLES` (columns by
        name; INDEXES as a count or as the names, comma-separated)."""
        got = _NamedRow(names, row)
        text, number, when = got.text, got.number, got.when
        indexes = got.get("INDEXES")
        if isinstance(indexes, str) and not indexes.strip().isdigit():
            count = len([i for i in indexes.split(",") if i.strip()])
        else:
            count = number("INDEXES")
        return cls(number("JOB_ID"), text("JOB_TYPE"), text("TABLE_SCHEMA"), text("TABLE_NAME"),
                   number("TABLE_ID"), when("DROPPED_AT"), when("GC_AFTER"),
                   number("SECONDS_LEFT"), text("STATE") or RECOVERABLE, when("DONE_AT"),
                   number("TABLE_ROWS"), count, read_at)


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup of the database, as its manifest describes it (`verified`: "" never
    checked, "ok", or what is wrong)."""

    path: str
    source: str
    started: float
    finished: float
    lsn: int  # consistent at this log sequence number
    gtid: str  # the executed GTID set it holds
    binlog_file: str = ""  # where the binlog goes on after it
    binlog_pos: int = 0
    bytes: int = 0
    files: int = 0
    verified: str = ""
    verified_at: float | None = None


@dataclass(frozen=True, slots=True)
class BinlogFileInfo:
    name: str
    path: str
    size: int
    first_ts: float | None  # commit time of its first transaction (None: none yet)
    last_ts: float | None
    transactions: int = 0


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One transaction of the binary log: its GTID, commit time, place, and what it did
    (the DDL statement, or per table the rows inserted, updated and deleted)."""

    gtid: str
    seq: int
    ts: float
    file: str
    pos: int
    end: int
    ddl: str | None = None
    db: str | None = None
    tables: tuple[tuple[str, int, int, int], ...] = ()  # ("db.table", ins, upd, del)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    path: str
    ok: bool
    problems: tuple[str, ...] = ()  # "file: reason" per bad file
    files: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class RestoreReport:
    dest: str
    backup: str
    replayed: int = 0  # binlog transactions applied after the backup
    skipped: int = 0
    stopped_before: str = ""
    gtid: str = ""  # the restored database's executed GTID set
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Catalog:
    """schema -> table -> column names, for completion and the schema overview."""

    schemas: dict[str, dict[str, list[str]]]

    def tables(self) -> list[str]:
        return sorted({t for tabs in self.schemas.values() for t in tabs})

    def columns(self, table: str | None = None) -> list[str]:
        cols: set[str] = set()
        for tabs in self.schemas.values():
            for name, names in tabs.items():
                if table is None or name.lower() == table.lower():
                    cols.update(names)
        return sorted(cols)


@dataclass(frozen=True, slots=True)
class Columns:
    """First part of a result set: its column names."""

    names: list[str]


@dataclass(frozen=True, slots=True)
class Rows:
    rows: list[tuple]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a statement ended.  `names` is None for statements without a result set."""

    sql: str
    names: list[str] | None
    rowcount: int
    seconds: float
    warnings: list[tuple] = field(default_factory=list)
    note: str = ""


ResultPart = Columns | Rows | Outcome


@dataclass(frozen=True, slots=True)
class SessionState:
    database: str | None
    in_transaction: bool
    read_only: bool = False  # every write fails (a forced open: ERROR 1881)
    force_recovery: int = 0


@dataclass(frozen=True, slots=True)
class CancelAnswer:
    """What asking to cancel the running statement got.

    `accepted`: it will fail with ERROR 1317 and leave nothing behind.  Otherwise it runs
    to its end: `refusal` says why when it cannot be interrupted at all, and is empty when
    it had simply finished already (or nothing was running)."""

    accepted: bool
    refusal: str = ""


ACCEPTED = CancelAnswer(True)
TOO_LATE = CancelAnswer(False)


# ------------------------------------------------------------------------------------------
# the interface
# ------------------------------------------------------------------------------------------


class Backend(ABC):
    """What every backend offers the console."""

    IMPLEMENTS_CANCEL: ClassVar[bool] = False  # cancel() can interrupt a statement
    IMPLEMENTS_RECOVERY: ClassVar[bool] = False  # opening reports recovery as events
    IMPLEMENTS_INDEX_ADMIN: ClassVar[bool] = False  # run_index_admin checks and repairs
    IMPLEMENTS_DDL_CONTROL: ClassVar[bool] = False  # control_ddl_job / submit_ddl work
    IMPLEMENTS_RECOVER_TABLE: ClassVar[bool] = False  # dropped_tables / recover_table work
    IMPLEMENTS_BACKUP: ClassVar[bool] = False  # backups / binlog_* / take_backup / restore
    IMPLEMENTS_EXPORT_QUERY: ClassVar[bool] = False  # export_query re-runs a query apart
    kind: ClassVar[str] = "backend"

    def __init__(self, path: str):
        self.path = path  # as the user gave it (shown in the title bar)
        self._opening: threading.Thread | None = None
        self._open_lock = threading.Lock()
        self._open_error: BaseException | None = None

    # -- opening ------------------------------------------------------------------------------

    @abstractmethod
    def open(self, sink: EventSink) -> None:
        """Connect.  Engine events (recovery progress first of all) go to `sink`, from
        whatever thread produces them, for as long as the database is open.  Raises
        BackendError."""

    # Opening early: the command line starts the open in a thread before the screens are
    # even imported; its events wait in the sink (the app's event pump) until the app
    # attaches, and the app then waits for the open to end.

    def _open_in_thread(self, sink: EventSink) -> None:
        try:
            self.open(sink)
        except BaseException as err:  # noqa: BLE001 - handed to wait_open
            self._open_error = err

    def start_open(self, sink: EventSink) -> None:
        """Begin opening in a background thread.  Idempotent: the first caller's sink is
        the one that receives the events."""
        with self._open_lock:
            if self._opening is None:
                self._opening = threading.Thread(target=self._open_in_thread, args=(sink,),
                                                 name="kintsugi-open", daemon=True)
                self._opening.start()

    def wait_open(self) -> None:
        """Wait until `start_open`'s open has ended.  Raises what `open` raised."""
        with self._open_lock:
            opening = self._opening
        if opening is None:
            raise BackendError(2006, "HY000", "not connected: the open was never started")
        opening.join()
        if self._open_error is not None:
            raise self._open_error

    @abstractmethod
    def close(self) -> None:
        """Disconnect, once the running statement (if any) has ended."""

    # -- statements ---------------------------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str) -> Iterator[ResultPart]:
        """Run `sql` (a statement; a `;`-separated script stops at its first error and
        reports its last statement): yields Columns, then Rows chunks as they are read,
        then one Outcome.  Raises BackendError; `.interrupted` once cancelled."""

    def cancel(self) -> CancelAnswer:
        """Ask the running statement to stop (from any thread)."""
        return CancelAnswer(False, "this database cannot interrupt a statement")

    def export_query(self, sql: str, database: str | None) -> Iterator[ResultPart]:
        """Run a read-only statement (a query, SHOW) again for an export of its whole
        result, on a connection of the export's own with `database` as its current schema,
        in a read-only transaction, under the console session's SESSION variables (or
        refused, 1235, when one cannot be carried): yields Columns, Rows chunks, Outcome as
        `execute` does, while the console's own session stays free.  Raises BackendError
        (1235 when the database cannot; `.interrupted` after `cancel_export`)."""
        raise BackendError(1235, "42000", "this database cannot re-run a query for an export")
        yield  # pragma: no cover - a generator

    def cancel_export(self) -> CancelAnswer:
        """Stop `export_query`'s statement (from any thread)."""
        return TOO_LATE

    def read_only(self, sql: str) -> bool:
        """Whether `sql` only reads (a query, SHOW, DESCRIBE), as the database classifies
        it: what `export_query` may run again.  False when the database cannot tell."""
        return False

    @abstractmethod
    def session_state(self) -> SessionState: ...

    def shown_path(self, path: str) -> str:
        """A path the database reports, as the user would recognise it."""
        return path

    # -- introspection, for the other panes ---------------------------------------------------

    def database_info(self) -> DatabaseInfo | None:
        return None

    def ddl_jobs(self) -> TableData:
        return TableData([], [])

    def ddl_job_list(self) -> list[DDLJobInfo]:
        """Every DDL job, newest first, with its progress (the DDL Jobs pane's list): one
        entry per job; the extra rows a multi-schema change lists for its actions (`<type>
        /* subjob */`, same JOB_ID) are not jobs of their own."""
        return job_list(self.ddl_jobs())

    def ddl_job_steps(self, job_id: int) -> list[DDLJobStep]:
        """Job `job_id`'s history, oldest first (empty when the database keeps none)."""
        return []

    def control_ddl_job(self, action: str, job_id: int) -> str:
        """`ADMIN {CANCEL|PAUSE|RESUME} DDL JOBS job_id` (`action`: "cancel", "pause",
        "resume"): the engine's RESULT, `successful` or `error: [ddl:8225]...` (a refusal is
        an answer, not an exception).  Raises BackendError when the statement itself
        fails."""
        raise BackendError(1235, "42000", "this database cannot control DDL jobs")

    def submit_ddl(self, sql: str, batch_size: int | None = None,
                   delay_ms: int | None = None) -> int:
        """Queue an online schema change and return its job id at once (the job runs in the
        database's DDL worker; its events follow it).  `batch_size` and `delay_ms` throttle
        this job.  Raises BackendError for what is refused before the job is queued."""
        raise BackendError(1235, "42000", "this database cannot queue DDL jobs")

    # -- dropped tables: GC and bringing them back (the DDL Jobs pane's r and f) ------------

    def dropped_tables(self) -> list[DroppedTable]:
        """Tables dropped or truncated whose data waits for GC (or was collected), newest
        job first (information_schema.KINTSUGI_DROPPED_TABLES); empty when the database
        keeps no such list."""
        return []

    def recover_table(self, job_id: int, new_name: str | None = None) -> str:
        """`RECOVER TABLE BY JOB job_id [TO new_name]`: the table dropped or truncated by
        that job comes back (under its own name, or `new_name` in the same schema).
        Returns the statement run.  Raises BackendError with the engine's code and text
        (1050, 8055, 8224 ...); a refused statement changed nothing."""
        raise BackendError(1235, "42000", "this database cannot recover dropped tables")

    def flashback_table(self, schema: str, table: str, new_name: str | None = None) -> str:
        """`FLASHBACK TABLE schema.table [TO new_name]` (its most recent drop or truncate).
        Returns the statement run; raises BackendError."""
        raise BackendError(1235, "42000", "this database cannot flash back tables")

    def flashback_database(self, name: str, new_name: str | None = None) -> str:
        """`FLASHBACK DATABASE name [TO new_name]`.  Returns the statement run; raises
        BackendError."""
        raise BackendError(1235, "42000", "this database cannot flash back databases")

    def recovery_history(self) -> RecoveryHistory:
        return RecoveryHistory([], [], "this database does not report its recoveries")

    def indexes(self) -> list[IndexSummary]:
        return []

    # -- index consistency (the Indexes pane) -------------------------------------------------
    # Run on a connection of their own, so that a long check never waits for the SQL pane's
    # statement nor holds up the other panes' refreshes.

    def index_overview(self) -> IndexOverview:
        """Every table and index with its last check."""
        return IndexOverview(tuple(
            TableIndexes(t.schema, t.table, t.rows_estimate,
                         tuple(IndexEntry(*ix) for ix in t.indexes))
            for t in self.indexes()), "this database keeps no record of index checks")

    def run_index_admin(self, sql: str, sink: EventSink) -> TableData:
        """Run one index ADMIN statement (ADMIN SHOW INDEX INCONSISTENCIES, RECOVER /
        CLEANUP / REPAIR INDEX ...) on the index connection; its typed progress events
        (`core.events.IndexAdmin*`) go to `sink` from the thread running it.  Returns its
        result rows.  Raises BackendError (`.interrupted` once cancelled)."""
        raise BackendError(1235, "42000", "this database cannot check or repair indexes")

    def cancel_index_admin(self) -> CancelAnswer:
        """Ask the running index statement to stop (from any thread): a check stops, a
        repair keeps its committed batches and stops between two."""
        return CancelAnswer(False, "this database cannot interrupt an index check")

    def catalog(self) -> Catalog:
        return Catalog({})

    # -- backups, the binary log and point-in-time restore (the Backups pane) ---------------
    # Files the database writes beside its data, read and written as `kintsugi backup`,
    # `kintsugi binlog` and `kintsugi restore` do (BackupInfo, BinlogFileInfo,
    # TimelineEntry, VerifyReport, RestoreReport above).  Progress events
    # (core.events.Backup*/Restore*) go to `sink` from the thread doing the work.

    def backups(self) -> list[BackupInfo]:
        """The backups taken of this database that still exist, oldest first."""
        return []

    def binlog_files(self) -> list[BinlogFileInfo]:
        return []

    def binlog_timeline(self, limit: int | None = None) -> list[TimelineEntry]:
        """The binary log's transactions, oldest first (the newest `limit`)."""
        return []

    def take_backup(self, dest: str, sink: EventSink) -> BackupInfo:
        raise BackendError(1235, "42000", "this database cannot take backups from the console")

    def verify_backup(self, path: str, sink: EventSink) -> VerifyReport:
        raise BackendError(1235, "42000", "this database cannot verify backups")

    def restore(self, backup: str, dest: str, stop_gtid: str, sink: EventSink) -> RestoreReport:
        """Restore `backup` into the new directory `dest`, replaying the binary log up to
        just before `stop_gtid`."""
        raise BackendError(1235, "42000", "this database cannot restore from the console")
