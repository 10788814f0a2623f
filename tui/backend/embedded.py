"""KintsugiDB in this process, through the engine's public face only (`core`, `core.api`,
`core.errors`, `core.events`).

Two connections are kept: one for the SQL pane's statements (its session: current database,
open transaction) and one for the panes' introspection, so that a long query never holds up
a refresh of the DDL jobs.  Queries stream: an unbuffered cursor hands over rows as the plan
produces them, so the first page shows at once and a cancel (`Connection.cancel()`, the
engine's own, race-free) stops the plan wherever it is.

`core.api` is imported inside the methods: the command line creates this backend and starts
opening in a thread before anything else, so the engine's import is paid in that thread.

Crash recovery runs in a child process (`tui.backend.recovery_process`): in a thread of
this one it shared the interpreter lock with the screens, which slowed it by 1.5-1.9x.  The
child's events are replayed live into the same sink, then this process opens the recovered
database (a clean open).  Opens the child cannot do for this process stay here: a forced
open (--force-recovery > 0) is read-only and replays the redo in memory, in the process that
keeps it open; --scan-directories and --discard-damaged-log are rare, one-off opens.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shlex
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core.errors import Error
from core.events import DatabaseOpened, Event, EventSink, RecoveryWarning
from tui.backend.base import (
    ACCEPTED,
    TOO_LATE,
    Backend,
    BackendError,
    BackupInfo,
    BinlogFileInfo,
    CancelAnswer,
    Catalog,
    Columns,
    DatabaseInfo,
    DDLJobStep,
    DroppedTable,
    IndexCheck,
    IndexEntry,
    IndexOverview,
    IndexSummary,
    Outcome,
    RecoveryHistory,
    RestoreReport,
    ResultPart,
    Rows,
    SessionState,
    TableData,
    TableIndexes,
    TablespaceInfo,
    TimelineEntry,
    VerifyReport,
)
from tui.wording import damage_hint, flags_named

if TYPE_CHECKING:
    from core.api import Connection
    from core.status import RecoveryRecord
    from tui.backend.recovery_process import ChildRecovery

CHUNK_ROWS = 2_000  # rows per fetch: how often the pane hears of progress

HINTS = {  # the 1030 message itself names the process that holds the database
    1881: "The database was opened with --force-recovery, read-only: dump its data with "
          "`kintsugi dump {dir} --force-recovery {level} > dump.sql`, or open it without "
          "--force-recovery to write (the Recovery tab says what the forced open skipped).",
}
# options under which the open stays in this process (see the module's docstring)
IN_PROCESS_OPTIONS = ("force_recovery", "scan_directories", "discard_damaged_log")
# errors whose messages name the engine's arguments: shown with the CLI's flags
RECOVERY_ERRORS = {1877, 1881, 1812, 1836, 1712}
NO_HISTORY = 1146  # an engine without information_schema.RECOVERY_HISTORY
CHECKS_TABLE = "information_schema.KINTSUGI_INDEX_CHECKS"  # each index's last check
DROPPED_TABLE = "information_schema.KINTSUGI_DROPPED_TABLES"  # what waits for GC

# why a statement that the engine will not interrupt runs on, by `StatementKind` name
REFUSALS = {
    "DDL": "the DDL statement is past the point of no return (a one-step change is "
           "committing, or its job is too far on to be cancelled: it finishes)",
    "SESSION": "DDL and session statements (USE, BEGIN, COMMIT) cannot be interrupted once "
               "started",
}
REFUSED = "this statement cannot be interrupted once started"


def _error(err: BaseException, directory: str = "DIR", level: int | str = "N",
           opening: bool = False) -> BackendError:
    """The error with its MySQL code and the console's advice, naming the database's
    directory and force level where known, in the command line's words: the console is a
    command-line tool, so "force_recovery >= 1" reads "--force-recovery 1" (the same
    translation as `kintsugi`'s other commands).

    Damage (1877) gets the way out that ends in a writable database, as the CLI says it:
    dump what is readable, then end the log at the damage (damaged redo) or load the dump
    into a new directory (damage in a tablespace file).  `opening`: the error stopped the
    open (every such message is the engine's own; a statement's may quote the user's SQL,
    so only the recovery errors' are translated)."""
    d = shlex.quote(directory) if directory != "DIR" else directory
    hints = {n: h.format(dir=d, level=level or "N") for n, h in HINTS.items()}
    msg = str(getattr(err, "msg", "") or err)
    if getattr(err, "errno", None) == 1877 and "control file" not in msg:
        forced = level if isinstance(level, int) and level > 0 else 1
        hints[1877] = damage_hint(d, log="redo" in msg, level=forced)
    wrapped = BackendError.wrap(err, hints)
    if not (opening or wrapped.errno in RECOVERY_ERRORS):  # an identifier may read
        return wrapped                                    # "force_recovery": left alone
    return BackendError(wrapped.errno, wrapped.sqlstate, flags_named(wrapped.msg),
                        flags_named(wrapped.hint))


def _quoted(name: str) -> str:
    """An identifier in backquotes (a name typed by the user)."""
    return "`{}`".format(name.replace("`", "``"))


def _count(value: object) -> int | None:
    """A recorded count; NULL stays None (not counted: ADMIN CHECK stopped at the first
    inconsistency), never 0, which would say "none found"."""
    return None if value is None else int(value)


def check_directory(path: str, create: bool = False) -> None:
    """Fail fast, before any screen is drawn, for a directory that is not a database or is
    held by another process.  Raises BackendError with the engine's own wording."""
    from core import check_directory as check  # core.directory: the engine is not loaded

    try:
        check(path, create=create)
    except (Error, OSError) as err:
        raise _error(err, path, opening=True) from None


class EmbeddedBackend(Backend):
    """The engine in this process, through `core.connect` (PEP 249)."""

    IMPLEMENTS_CANCEL = True
    IMPLEMENTS_RECOVERY = True
    IMPLEMENTS_INDEX_ADMIN = True
    IMPLEMENTS_DDL_CONTROL = True
    IMPLEMENTS_RECOVER_TABLE = True
    IMPLEMENTS_BACKUP = True
    IMPLEMENTS_EXPORT_QUERY = True
    kind = "embedded"

    def __init__(self, path: str, *, create: bool = False, database: str | None = "test",
                 recover_in_child: bool = True, **engine_options: Any):
        """`recover_in_child=False`: crash recovery runs in the opening thread, in this
        process (the tests that drive the engine in-process)."""
        super().__init__(path)
        self.create = create
        self.database = database
        self.engine_options = engine_options
        self.recover_in_child = recover_in_child and not any(
            engine_options.get(k) for k in IN_PROCESS_OPTIONS)
        self._child: ChildRecovery | None = None
        self._child_record: RecoveryRecord | None = None
        self._closing = False
        self._conn: Connection | None = None
        self._meta: Connection | None = None
        self._meta_lock = threading.Lock()
        self._admin: Connection | None = None  # the index checks' and repairs' own
        self._admin_lock = threading.Lock()  # held while an index statement runs
        self._ddl: Connection | None = None  # submit_ddl's own: it may wait behind a job
        self._ddl_lock = threading.Lock()
        self._busy = threading.Lock()  # held while a statement runs; close() waits for it
        self._export: Connection | None = None  # export_query's own, while it reads
        self._export_lock = threading.Lock()  # one export at a time; close() waits for it
        self._export_stop = False  # cancel_export() asked: stop at the next chunk too
        self._read_only = False
        self._force_recovery = int(engine_options.get("force_recovery") or 0)

    # -- lifecycle ----------------------------------------------------------------------------

    def start_open(self, sink: EventSink) -> None:
        """Without a crash to recover, the engine is imported first, on the caller's thread:
        imported in the opening thread while the caller imports the screens, the two took
        turns at the interpreter lock and ended ~65 ms later than one after the other.  A
        recovery starts its child process first and imports the engine while it runs."""
        from core import needs_recovery

        if not (self.recover_in_child and needs_recovery(self.path)):
            import core.api  # noqa: F401 - see above
        super().start_open(sink)

    def open(self, sink: EventSink) -> None:
        import core

        def guarded(event: Event) -> None:
            try:
                sink(event)
            except Exception:  # noqa: BLE001 - a UI problem must never break the engine
                pass

        recovered = self.recover_in_child and self._recover_in_child(guarded)
        own_open = [recovered]  # True while this process's own (clean) open runs

        def opened(event: Event) -> None:
            if own_open[0] and isinstance(event, DatabaseOpened) and event.clean:
                return  # the child's DatabaseOpened told it: one open, as the engine says
            guarded(event)

        try:
            self._conn = core.connect(self.path, create=self.create, database=None,
                                      autocommit=True, sink=opened, **self.engine_options)
            own_open[0] = False
            if self.database:
                try:
                    self._conn.cursor().execute(
                        "USE `{}`".format(self.database.replace("`", "``")))
                except Error as err:
                    if err.errno != 1049:  # an unknown schema: start without one
                        raise
            self._meta = core.connect(self.path, database=None, autocommit=True)
            st = self._meta.info()  # once: the title line asks on every change
            self._read_only = bool(st.read_only)
            self._force_recovery = int(st.force_recovery)
        except Error as err:
            self.close()
            raise _error(err, self.path, self._force_recovery, opening=True) from None

    def _recover_in_child(self, sink: EventSink) -> bool:
        """Recover in a child process, its events to `sink` as they come; True when it
        recovered (this process's open is then a clean one), False when there was nothing
        to recover or it could not run there (this process's open does it).  Raises
        BackendError for the error that stopped the child's open."""
        from core import needs_recovery
        from tui.backend.recovery_process import ChildEnded, ChildRecovery

        if not needs_recovery(self.path):  # a clean shutdown: nothing to watch elsewhere
            return False
        child = ChildRecovery.start(self.path, self.engine_options)
        if child is None:
            return False
        self._child = child
        if self._closing:
            child.kill()
        import core.api  # noqa: F401 - this open's import, paid while the child recovers

        try:
            outcome = child.replay(sink)
        except (Error, OSError) as err:
            raise _error(err, self.path, self._force_recovery, opening=True) from None
        except ChildEnded as err:
            if self._closing:
                raise BackendError(2006, "HY000", "the console closed during recovery") from None
            sink(RecoveryWarning(f"Crash recovery in a separate process did not finish: {err}; "
                                 "recovering in this process"))
            return False
        finally:
            self._child = None
        self._child_record = outcome.record
        return outcome.recovered

    def close(self, wait: float = 120.0) -> None:
        """Close the connections (the engine closes cleanly with the last one), after the
        running statement, if any, has finished (it was cancelled, or cannot be).  A
        recovery still running in a child process is stopped (crash-safe at any point, as
        the opening thread's would have been at exit)."""
        self._closing = True
        child = self._child
        if child is not None:
            child.kill()
        if self._busy.acquire(timeout=wait):
            self._busy.release()
        self.cancel_export()  # an export's re-run stops; its partial file is removed
        if self._export_lock.acquire(timeout=wait):
            self._export_lock.release()
        admin = self._admin
        if admin is not None:
            admin.cancel()  # a running check stops; a repair keeps its committed batches
        if self._admin_lock.acquire(timeout=wait):
            self._admin_lock.release()
        for conn in (self._ddl, self._admin, self._meta, self._conn):
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing on the way out
                    pass
        self._ddl = self._admin = self._meta = self._conn = None

    def session_state(self) -> SessionState:
        conn = self._conn
        if conn is None:
            return SessionState(None, False)
        return SessionState(conn.database, conn.in_transaction, self._read_only,
                            self._force_recovery)

    def shown_path(self, path: str) -> str:
        """The engine reports the absolute path; the user typed this one."""
        return self.path if path == os.path.abspath(self.path) else path

    # -- statements ---------------------------------------------------------------------------

    def execute(self, sql: str) -> Iterator[ResultPart]:
        conn = self._conn
        if conn is None:
            raise BackendError(2006, "HY000", "not connected")
        t0 = time.perf_counter()
        with self._busy:
            try:
                cur = conn.cursor(stream=True)
                try:
                    cur.executescript(sql)
                    if cur.description is None:
                        outcome = Outcome(sql, None, cur.rowcount, time.perf_counter() - t0,
                                          list(cur.warnings))
                    else:
                        names = [d[0] for d in cur.description]
                        yield Columns(names)
                        total = 0
                        while rows := cur.fetchmany(CHUNK_ROWS):
                            total += len(rows)
                            yield Rows(rows)
                        outcome = Outcome(sql, names, total, time.perf_counter() - t0,
                                          list(cur.warnings))
                finally:
                    cur.close()
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
        yield outcome

    def export_query(self, sql: str, database: str | None) -> Iterator[ResultPart]:
        """On a connection opened for this export and closed after it (the engine in this
        process serves several; the console's own one drives a single statement at a time,
        and its lock would hold up the user's next statement for the whole export).  The
        statement must be one the engine classifies as a query or SHOW, and runs in START
        TRANSACTION READ ONLY: one that would write fails with 1792 either way.  Not the
        console's session: its uncommitted changes and @variables are not seen (the pane
        does not offer the re-run then)."""
        import core

        if self._closing or self._conn is None:
            raise BackendError(2006, "HY000", "not connected")
        if not self.read_only(sql):  # DDL would commit the transaction below and run
            raise BackendError(1792, "25006", "Cannot execute statement in a READ ONLY "
                               "transaction.")
        if not self._export_lock.acquire(blocking=False):
            raise BackendError(2014, "HY000", "an export is already reading its result")
        t0 = time.perf_counter()
        try:
            wanted = self._session_variables()
            try:
                conn = core.connect(self.path, database=database, autocommit=True)
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
            self._export = conn
            self._export_stop = False
            try:
                _carry_session(conn, wanted)
                conn.cursor().execute("START TRANSACTION READ ONLY")
                cur = conn.cursor(stream=True)
                cur.execute(sql)
                if cur.description is None:
                    outcome = Outcome(sql, None, cur.rowcount, time.perf_counter() - t0,
                                      list(cur.warnings))
                else:
                    names = [d[0] for d in cur.description]
                    yield Columns(names)
                    total = 0
                    while rows := cur.fetchmany(CHUNK_ROWS):
                        total += len(rows)
                        yield Rows(rows)
                        if self._export_stop:  # asked while the rows were being written
                            raise BackendError(1317, "70100", "Query execution was "
                                               "interrupted")
                    outcome = Outcome(sql, names, total, time.perf_counter() - t0,
                                      list(cur.warnings))
                cur.close()
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
            finally:
                self._export = None
                try:
                    conn.close()  # ends the read-only transaction (nothing to commit)
                except Exception:  # noqa: BLE001 - the export's own connection, going
                    pass
        finally:
            self._export_lock.release()
        yield outcome

    def _session_variables(self) -> dict[str, str]:
        """The console session's SESSION variables (`SHOW SESSION VARIABLES` on its own
        connection, once no statement of the user's runs there)."""
        conn = self._conn
        if conn is None:
            raise BackendError(2006, "HY000", "not connected")
        if not self._busy.acquire(timeout=10):
            raise BackendError(2014, "HY000", "a statement is running in the console's "
                               "session: its settings cannot be read for the export")
        try:
            cur = conn.cursor()
            try:
                cur.execute("SHOW SESSION VARIABLES")
                return {str(k): str(v) for k, v in cur.fetchall()}
            finally:
                cur.close()
        except Error as err:
            raise _error(err, self.path, self._force_recovery) from None
        finally:
            self._busy.release()

    def cancel_export(self) -> CancelAnswer:
        """Stops the re-run inside the engine (1317), or at its next chunk when the engine
        is not running it at that moment (the rows were being written)."""
        conn = self._export
        if conn is None:
            return TOO_LATE
        self._export_stop = True
        conn.cancel()
        return ACCEPTED

    def read_only(self, sql: str) -> bool:
        from core import classify

        return classify(sql).name in ("QUERY", "SHOW")

    def cancel(self) -> CancelAnswer:
        """The engine decides (`Connection.cancel()`, race-free); when it says no, the kind
        of statement it is running says why (nothing running: it says no, and no kind)."""
        conn = self._conn
        if conn is None:
            return TOO_LATE
        if conn.cancel():
            return ACCEPTED
        kind = conn.running
        if kind is not None and not kind.interruptible:
            return CancelAnswer(False, REFUSALS.get(kind.name, REFUSED))
        return TOO_LATE

    # -- introspection (the other panes) ------------------------------------------------------

    def _meta_query(self, sql: str) -> TableData:
        if self._meta is None:
            raise BackendError(2006, "HY000", "not connected")
        with self._meta_lock:
            try:
                cur = self._meta.cursor()
                cur.execute(sql)
                return TableData([d[0] for d in cur.description], cur.fetchall())
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None

    def database_info(self) -> DatabaseInfo | None:
        if self._meta is None:
            return None
        with self._meta_lock:
            try:
                st = self._meta.info()
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
        spaces = tuple(TablespaceInfo(ts.space_id, ts.name, ts.path, ts.applied_lsn,
                                      getattr(ts, "dropped_at", None),
                                      getattr(ts, "gc_after", None),
                                      getattr(ts, "drop_job_id", None),
                                      getattr(ts, "drop_job_type", "") or "")
                       for ts in st.tablespaces)
        return DatabaseInfo(self.path, st.end_lsn, st.durable_lsn, st.checkpoint_lsn,
                            tuple(st.segments), spaces, st.overlay_entries, st.read_only,
                            int(st.force_recovery),
                            getattr(st, "recovery", None) or self._child_record)

    def recovery_history(self) -> RecoveryHistory:
        try:
            data = self._meta_query(
                "SELECT * FROM information_schema.RECOVERY_HISTORY ORDER BY ID DESC")
        except BackendError as err:
            if err.errno != NO_HISTORY:
                raise
            return RecoveryHistory([], [], "this engine keeps no recovery history yet "
                                   "(no information_schema.RECOVERY_HISTORY)")
        return RecoveryHistory(data.names, data.rows)

    def ddl_jobs(self) -> TableData:
        return self._meta_query("SELECT * FROM information_schema.ddl_jobs ORDER BY JOB_ID DESC")

    def ddl_job_steps(self, job_id: int) -> list[DDLJobStep]:
        try:
            data = self._meta_query(
                "SELECT SEQ, TIME, STEP, STATE, SCHEMA_STATE, DETAIL FROM "
                f"information_schema.kintsugi_ddl_job_steps WHERE JOB_ID = {int(job_id)} "
                "ORDER BY SEQ")
        except BackendError as err:
            if err.errno != NO_HISTORY:
                raise
            return []
        return [DDLJobStep(int(seq), at if isinstance(at, dt.datetime) else None,
                           str(step or ""), str(state or ""), str(schema or ""),
                           str(detail or ""))
                for seq, at, step, state, schema, detail in data.rows]

    def control_ddl_job(self, action: str, job_id: int) -> str:
        if action not in ("cancel", "pause", "resume"):
            raise BackendError(1064, "42000", f"unknown DDL job action {action!r}")
        data = self._meta_query(f"ADMIN {action.upper()} DDL JOBS {int(job_id)}")
        return str(data.rows[0][-1]) if data.rows else ""

    def _ddl_connection(self) -> Connection:
        """submit_ddl's and the recover statements' connection, opened on first use (hold
        `_ddl_lock`)."""
        if self._ddl is None:
            if self._meta is None or self._closing:
                raise BackendError(2006, "HY000", "not connected")
            import core

            try:
                self._ddl = core.connect(self.path, database=None, autocommit=True)
                if self.database:
                    try:
                        self._ddl.cursor().execute(
                            "USE `{}`".format(self.database.replace("`", "``")))
                    except Error as err:
                        if err.errno != 1049:
                            raise
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
        return self._ddl

    def submit_ddl(self, sql: str, batch_size: int | None = None,
                   delay_ms: int | None = None) -> int:
        """On a connection of its own: a change on a table another job works on waits for
        that job, and the panes' reads must not wait with it."""
        with self._ddl_lock:
            conn = self._ddl_connection()
            try:
                return conn.submit_ddl(sql, batch_size=batch_size, delay_ms=delay_ms)
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None

    # -- dropped tables ---------------------------------------------------------------------

    def dropped_tables(self) -> list[DroppedTable]:
        try:
            data = self._meta_query(f"SELECT * FROM {DROPPED_TABLE} ORDER BY JOB_ID DESC")
        except BackendError as err:
            if err.errno != NO_HISTORY:  # an engine without the table: nothing to offer
                raise
            return []
        now = time.monotonic()
        return [DroppedTable.of_row(data.names, row, now) for row in data.rows]

    def _recover(self, sql: str) -> str:
        """Run one RECOVER / FLASHBACK statement on the DDL connection (it is a DDL job: it
        may wait for the job before it, and the panes' reads must not wait with it)."""
        with self._ddl_lock:
            conn = self._ddl_connection()
            try:
                cur = conn.cursor()
                try:
                    cur.execute(sql)
                finally:
                    cur.close()
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
        return sql

    def recover_table(self, job_id: int, new_name: str | None = None) -> str:
        to = f" TO {_quoted(new_name)}" if new_name else ""
        return self._recover(f"RECOVER TABLE BY JOB {int(job_id)}{to}")

    def flashback_table(self, schema: str, table: str, new_name: str | None = None) -> str:
        to = f" TO {_quoted(new_name)}" if new_name else ""
        return self._recover(f"FLASHBACK TABLE {_quoted(schema)}.{_quoted(table)}{to}")

    def flashback_database(self, name: str, new_name: str | None = None) -> str:
        to = f" TO {_quoted(new_name)}" if new_name else ""
        return self._recover(f"FLASHBACK DATABASE {_quoted(name)}{to}")

    def indexes(self) -> list[IndexSummary]:
        tables = self._meta_query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_ROWS FROM information_schema.tables "
            "ORDER BY TABLE_SCHEMA, TABLE_NAME")
        stats = self._meta_query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, "
            "COMMENT FROM information_schema.statistics")
        by_table: dict[tuple[str, str], dict[str, list]] = {}
        for schema, table, index, non_unique, seq, column, comment in stats.rows:
            ix = by_table.setdefault((schema, table), {}).setdefault(
                index, [index, [], not non_unique, index == "PRIMARY", comment or "public"])
            ix[1].append((seq, column))
        out = []
        for schema, table, rows in tables.rows:
            ixs = []
            for name, cols, unique, primary, state in by_table.get((schema, table), {}).values():
                ixs.append((name, tuple(c for _s, c in sorted(cols)), unique, primary, state))
            ixs.sort(key=lambda i: (not i[3], i[0].lower()))
            out.append(IndexSummary(schema, table, rows or 0, tuple(ixs)))
        return out

    def index_overview(self) -> IndexOverview:
        tables = self.indexes()
        note = ""
        try:
            checks = self._meta_query(
                "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, CHECKED_AT, OPERATION, RESULT, "
                "ROWS_SCANNED, ENTRIES_SCANNED, MISSING, DANGLING, MISMATCHED, SECONDS "
                f"FROM {CHECKS_TABLE}")
        except BackendError as err:
            if err.errno != NO_HISTORY:
                raise
            checks = TableData([], [])
            note = "no record of past checks in this engine"
        last: dict[tuple[str, str, str], IndexCheck] = {}
        for schema, table, index, at, op, result, *numbers in checks.rows:
            rows, entries, missing, dangling, mismatched, seconds = numbers
            last[(schema.lower(), table.lower(), index.lower())] = IndexCheck(
                at if isinstance(at, dt.datetime) else None, str(op or ""),
                str(result or ""), int(rows or 0), int(entries or 0), _count(missing),
                _count(dangling), _count(mismatched), float(seconds or 0.0))
        out = []
        for t in tables:
            out.append(TableIndexes(t.schema, t.table, t.rows_estimate, tuple(
                IndexEntry(name, columns, unique, primary, state,
                           last.get((t.schema.lower(), t.table.lower(), name.lower())))
                for name, columns, unique, primary, state in t.indexes)))
        return IndexOverview(tuple(out), note)

    def _admin_connection(self) -> Connection:
        """The index statements' connection, opened on first use (most sessions never
        check an index: the start-up does not pay for it)."""
        if self._admin is None:
            if self._meta is None or self._closing:
                raise BackendError(2006, "HY000", "not connected")
            import core

            try:
                self._admin = core.connect(self.path, database=None, autocommit=True)
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
        return self._admin

    def run_index_admin(self, sql: str, sink: EventSink) -> TableData:
        with self._admin_lock:
            conn = self._admin_connection()
            conn.event_sink = sink
            try:
                cur = conn.cursor()
                try:
                    cur.execute(sql)
                    if cur.description is None:
                        return TableData([], [])
                    return TableData([d[0] for d in cur.description], cur.fetchall())
                finally:
                    cur.close()
            except Error as err:
                raise _error(err, self.path, self._force_recovery) from None
            finally:
                conn.event_sink = None

    def cancel_index_admin(self) -> CancelAnswer:
        conn = self._admin
        if conn is None:
            return TOO_LATE
        return ACCEPTED if conn.cancel() else TOO_LATE

    def catalog(self) -> Catalog:
        data = self._meta_query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.columns "
            "ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")
        schemas: dict[str, dict[str, list[str]]] = {}
        for schema, table, column in data.rows:
            schemas.setdefault(schema, {}).setdefault(table, []).append(column)
        dbs = self._meta_query("SHOW DATABASES")
        for (name,) in dbs.rows:
            schemas.setdefault(name, {})
        return Catalog(schemas)

    # -- backups and point-in-time restore (core.backup's public names) -------------------

    @staticmethod
    def _as(cls: type, value: Any) -> Any:
        """The engine's dataclass as the console's (the fields both have, by name)."""
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**{n: getattr(value, n) for n in names if hasattr(value, n)})

    def _backup_call(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """A core.backup call, its errors with their codes (a missing part of the engine
        answers 1235, naming it)."""
        try:
            return call(*args, **kwargs)
        except ImportError as err:
            raise BackendError(1235, "42000", "This version of KintsugiDB does not yet "
                               f"support '{call.__name__}' ({err})") from None
        except (Error, OSError) as err:
            raise _error(err, self.path) from None

    def backups(self) -> list[BackupInfo]:
        import core

        return [self._as(BackupInfo, b) for b in self._backup_call(core.list_backups,
                                                                   self.path)]

    def binlog_files(self) -> list[BinlogFileInfo]:
        import core

        return [self._as(BinlogFileInfo, f) for f in self._backup_call(core.binlog_files,
                                                                       self.path)]

    def binlog_timeline(self, limit: int | None = None) -> list[TimelineEntry]:
        import core

        return [self._as(TimelineEntry, t)
                for t in self._backup_call(core.binlog_timeline, self.path, limit=limit)]

    def take_backup(self, dest: str, sink: EventSink) -> BackupInfo:
        import core

        return self._as(BackupInfo, self._backup_call(core.backup_database, self.path, dest,
                                                      sink=sink))

    def verify_backup(self, path: str, sink: EventSink) -> VerifyReport:
        import core

        return self._as(VerifyReport, self._backup_call(core.verify_backup, path, sink=sink))

    def restore(self, backup: str, dest: str, stop_gtid: str, sink: EventSink) -> RestoreReport:
        import core

        return self._as(RestoreReport, self._backup_call(core.restore, backup, dest,
                                                         stop_gtid=stop_gtid, sink=sink))


_INTEGER = re.compile(r"-?[0-9]+")
_NOT_CARRIED = {"autocommit"}  # the export reads in a read-only transaction of its own


def _carry_session(conn, wanted: dict[str, str]) -> None:
    """SET on the export's connection every SESSION variable whose value differs from the
    console session's (group_concat_max_len, cte_max_recursion_depth, ...).  A read-only
    one (1238) is skipped; one that cannot be set refuses the export (1235, with the
    variable's name): a re-run under other settings could write other values."""
    cur = conn.cursor()
    try:
        cur.execute("SHOW SESSION VARIABLES")
        have = {str(k): str(v) for k, v in cur.fetchall()}
        for name, value in wanted.items():
            if have.get(name) == value or name in _NOT_CARRIED:
                continue
            literal = value if _INTEGER.fullmatch(value) else (
                "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'")
            try:
                cur.execute(f"SET SESSION `{name.replace('`', '``')}` = {literal}")
            except Error as err:
                if getattr(err, "errno", None) == 1238:  # read only: not the session's own
                    continue
                raise BackendError(1235, "42000", f"the console's session setting {name} = "
                                   f"{value!r} cannot be carried to the export's connection "
                                   f"({err}); the statement is not run again under other "
                                   "settings") from None
    finally:
        cur.close()
