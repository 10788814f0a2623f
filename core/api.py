"""PEP 249 (DB-API 2.0): `connect()`, Connection and Cursor.

    import core
    conn = core.connect("mydb", create=True)
    cur = conn.cursor()
    cur.execute("INSERT INTO t (a, b) VALUES (%s, %s)", (1, "x"))
    conn.commit()

Every connection of one process to one directory shares a single engine (a database
directory is opened by one process at a time); the engine closes with its last connection.
As PEP 249 asks, autocommit is off by default: the first statement opens a transaction that
`commit()` or `rollback()` ends.  `connect(..., autocommit=True)` makes each statement its own
transaction, as the `mysql` client does.

Hardening, as a MySQL client/server pair behaves:

* one statement per `execute()`: text with several fails with 1064 before any of it runs
  (MySQL without CLIENT_MULTI_STATEMENTS), unless the connection was opened with
  `multi_statements=True`; `executescript()` runs a script, stopping at the first error;
* one thread at a time per connection (`threadsafety = 1`): a second thread calling in while
  another is inside gets ProgrammingError 2014 "Commands out of sync" at once instead of
  reaching LMDB concurrently; only `cancel()` is meant for another thread;
* every failure is a `core.errors.Error` with a MySQL code: a statement or parameters of the
  wrong type give 1210, and anything unforeseen that escapes the engine is reported as
  InternalError 1105 naming the original exception (OperationalError 1037 for MemoryError).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from core.clock import Clock
from core.directory import check_directory, is_backup
from core.errors import (
    CorruptionError,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,  # noqa: A004 - the PEP 249 name
)
from core.events import Event, null_sink
from core.inspection import Inspection, TablespaceInspection
from core.inspection import inspect as _inspect
from core.kv import Engine
from core.sql.result import Result
from core.sql.session import Database, Session
from core.sql.statements import StatementKind
from core.sql.types.json import JsonText
from core.status import DatabaseStatus, TablespaceStatus, status_of, with_dropped

__all__ = [
    "BINARY", "DATETIME", "NUMBER", "ROWID", "STRING", "Connection", "Cursor",
    "DatabaseStatus", "Inspection", "StatementKind", "TablespaceInspection", "TablespaceStatus",
    "apilevel", "check_directory",
    "ScriptStatement", "classify", "connect", "inspect", "is_backup", "paramstyle", "recover",
    "scan_sql", "script_statements", "split_statements", "threadsafety",
]

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "format"

_registry: dict[str, Database] = {}
_registry_lock = threading.Lock()

# PEP 249 type objects and constructors


class _DBAPIType:
    def __init__(self, *values: str):
        self.values = frozenset(values)

    def __eq__(self, other: object) -> bool:
        return other in self.values

    def __hash__(self) -> int:
        return hash(self.values)


STRING = _DBAPIType("STRING", "VAR_STRING", "VARCHAR", "CHAR", "TEXT")
BINARY = _DBAPIType("BLOB", "BINARY", "VARBINARY")
NUMBER = _DBAPIType("LONG", "LONGLONG", "DECIMAL", "NEWDECIMAL", "DOUBLE", "FLOAT", "TINY")
DATETIME = _DBAPIType("DATETIME", "DATE", "TIMESTAMP", "TIME")
ROWID = _DBAPIType("LONGLONG")
Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime
Binary = bytes


def DateFromTicks(t: float) -> _dt.date:
    return _dt.date.fromtimestamp(t)


def TimeFromTicks(t: float) -> _dt.time:
    return _dt.datetime.fromtimestamp(t).time()


def TimestampFromTicks(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t)


def connect(
    path: str,
    *,
    create: bool = False,
    database: str | None = "test",
    autocommit: bool = False,
    multi_statements: bool = False,
    sink=null_sink,
    clock: Clock | None = None,
    **engine_options: Any,
) -> Connection:
    """Open a connection to the database in directory `path`.

    `create=True` makes a new database if the directory has none.  `database` is the schema
    selected at start (`test` exists in every new database; pass None for none).
    `multi_statements=True` lets `execute()` run ``;``-separated statements (off by default,
    as in MySQL, so that injected text cannot append a second statement).  Other keyword
    arguments go to `Engine.open`: `force_recovery` (1-6, read-only), `scan_directories`
    (a list of directories whose `.kdb` headers rebuild the tablespace map),
    `clock` (a `core.clock.Clock`; GC and the job history read the time from it, so a test
    moves a `ManualClock` instead of sleeping; it applies when this call opens the database),
    `discard_damaged_log` (end the log at its damage, keeping a copy), `flush_interval`...
    """
    if not isinstance(path, (str, os.PathLike)) or "\x00" in os.fspath(path):
        raise ProgrammingError(f"Incorrect arguments to connect: path {path!r} is not a "
                               "directory name", errno=1210, sqlstate="HY000")
    key = os.path.realpath(path)
    with _registry_lock:
        db = _registry.get(key)
        if db is None or db.engine.closed:
            engine = Engine.open(path, create=create, sink=sink, **engine_options)
            try:
                db = Database(engine, clock)
                from core import admin, ddl, gc
                from core.sql import binlog_capture

                admin.install(db)
                ddl.install(db)
                gc.install(db)
                binlog_capture.install(db)
            except BaseException:
                engine.close()
                raise
            _registry[key] = db
        db.connections += 1
    try:
        conn = Connection(db, key, database, autocommit)
        conn._multi = bool(multi_statements)
        return conn
    except BaseException:
        _release(key, db)
        raise


def _release(key: str, db: Database) -> None:
    with _registry_lock:
        db.connections -= 1
        if db.connections <= 0:
            _registry.pop(key, None)
            db.close()


def _busy_error() -> ProgrammingError:
    return ProgrammingError("Commands out of sync; you can't run this command now",
                            errno=2014, sqlstate="HY000")


def _foreign(e: BaseException) -> Error:
    """A core.errors error standing for an exception the engine did not turn into one (the
    last line of defence: each known case is fixed where it arises)."""
    if isinstance(e, RecursionError):
        from core.sql.limits import stack_overrun

        return stack_overrun()
    if isinstance(e, MemoryError):
        return OperationalError("Out of memory; restart server and try again", errno=1037,
                                sqlstate="HY001")
    damage = _lmdb_damage(e)
    if damage is not None:
        return damage
    return InternalError(f"Internal error: {type(e).__name__}: {e}"[:500], errno=1105,
                         sqlstate="HY000")


def _lmdb_damage(e: BaseException) -> Error | None:
    """A damaged page met while reading a tablespace (LMDB's MDB_CORRUPTED, MDB_PAGE_NOTFOUND,
    and the MDB_BAD_TXN that follows them) is damage, 1877, not an internal error: LMDB does
    not say which file, so the message says how to find it (CHECK TABLE names the table)."""
    import lmdb

    if not isinstance(e, (lmdb.CorruptedError, lmdb.PageNotFoundError, lmdb.BadTxnError)):
        return None
    return CorruptionError(
        f"Operation cannot be performed: a tablespace file is damaged (LMDB: {e}). The "
        "database stays open; CHECK TABLE shows which table, and a dump with force recovery "
        "1 saves the readable rows of the others")


def _entry(method: Callable) -> Callable:
    """Guard a Connection/Cursor entry point.

    * Busy lock: the connection's lock is taken without waiting; a second thread that calls
      in while another is inside gets 2014 instead of driving the same session and LMDB
      transactions concurrently (which corrupted state or crashed the process).  Guarded
      methods never call each other (the Connection shortcuts call the Cursor's), so the
      lock need not be re-entrant, and the fast path is one acquire and one release.
    * Every exception that is not a `core.errors.Error` becomes one with a MySQL code.
    """

    @functools.wraps(method)
    def guarded(self, *args: Any, **kwargs: Any) -> Any:
        busy = self._busy
        if not busy.acquire(False):
            raise _busy_error()
        try:
            return method(self, *args, **kwargs)
        except Error:
            raise
        except Exception as e:  # RecursionError and MemoryError included
            raise _foreign(e) from e
        finally:
            busy.release()

    return guarded


def _json_code(origins: list[Any], i: int) -> str | None:
    """"JSON" for a column read from a JSON column (its values are plain strings)."""
    origin = origins[i] if i < len(origins) else None
    t = getattr(origin, "type", None)
    return "JSON" if getattr(t, "kind", None) == "JSON" else None


def _type_code(value: Any) -> str:
    if isinstance(value, JsonText):
        return "JSON"
    if isinstance(value, bool) or isinstance(value, int):
        return "LONGLONG"
    if isinstance(value, Decimal):
        return "NEWDECIMAL"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, bytes):
        return "BLOB"
    if isinstance(value, _dt.datetime):
        return "DATETIME"
    if isinstance(value, _dt.date):
        return "DATE"
    if isinstance(value, (_dt.timedelta, _dt.time)):
        return "TIME"
    if type(getattr(value, "number", None)) is int:  # an ENUM/SET value: MySQL sends 254
        return "STRING"
    return "VAR_STRING"


class Connection:
    Error = Error
    Warning = Warning
    InterfaceError = InterfaceError
    DatabaseError = DatabaseError
    DataError = DataError
    OperationalError = OperationalError
    IntegrityError = IntegrityError
    InternalError = InternalError
    ProgrammingError = ProgrammingError
    NotSupportedError = NotSupportedError

    def __init__(self, db: Database, key: str, database: str | None, autocommit: bool):
        self._db = db
        self._key = key
        self._session = Session(db, database, autocommit)
        self._closed = False
        self._multi = False  # execute() of several statements (connect(multi_statements=))
        self._busy = threading.Lock()  # see _entry: one thread inside at a time

    @property
    def _engine(self) -> Engine:
        return self._db.engine

    @property
    def database(self) -> str | None:
        """The current schema (``USE``), or None."""
        return self._session.current_db

    @property
    def running(self) -> StatementKind | None:
        """The kind of the statement running now (None between statements): why `cancel()`
        said no, when it says no (see `StatementKind.interruptible`)."""
        return self._session.running

    @property
    def event_sink(self) -> Callable[[Event], None] | None:
        """Where this connection's long statements (ADMIN CHECK, RECOVER INDEX...) send their
        typed progress events (`core.events.IndexAdmin*`); None: nowhere.  Set it from the
        thread that runs the statements, or before they start."""
        return self._session.event_sink

    @event_sink.setter
    def event_sink(self, sink: Callable[[Event], None] | None) -> None:
        self._session.event_sink = sink

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (BEGIN, or a statement outside autocommit)."""
        return self._session.txn is not None

    def info(self) -> DatabaseStatus:
        """The database's LSNs, redo segments and tablespaces (see `core.status`)."""
        self._check()
        return _marked_dropped(self._db, status_of(self._db.engine))

    @property
    def autocommit(self) -> bool:
        return self._session.autocommit

    @autocommit.setter
    @_entry
    def autocommit(self, on: bool) -> None:
        self._check()
        if on and not self._session.autocommit:
            self._session.commit()
        self._session.autocommit = on

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("Connection is closed", errno=2006)

    def cursor(self, stream: bool = False) -> Cursor:
        """A cursor; ``stream=True`` gives an unbuffered one (PyMySQL's SSCursor): a query's
        rows stay in the running plan and are pulled by fetchone/fetchmany/iteration, so the
        first rows of a huge result come at once and nothing holds all of them.  For such a
        query `rowcount` is -1 until the rows run out, `description` has no type codes, and
        `warnings` are complete once the rows are (they arise as rows are computed).
        `cancel()` stops the plan (1317) during execute or between fetches; the next
        statement on the connection, COMMIT, ROLLBACK or closing the cursor discards unread
        rows (reading on is 2014), and a result that failed midway fails every later fetch.
        SHOW and other small results are read at once, as with a buffered cursor."""
        self._check()
        cur = Cursor(self)
        cur._stream_wanted = bool(stream)
        return cur

    @_entry
    def commit(self) -> None:
        self._check()
        self._session.commit()

    @_entry
    def rollback(self) -> None:
        self._check()
        self._session.rollback()

    @_entry
    def close(self) -> None:
        if self._closed:
            return
        try:
            self._session.close()
        finally:
            self._closed = True
            _release(self._key, self._db)

    def cancel(self) -> bool:
        """Interrupt this connection's running statement from another thread: it fails with
        ERROR 1317 (70100) "Query execution was interrupted" and leaves nothing behind.
        Returns False if it is past the point of no return: it has done its work and is
        finishing (an autocommit write committing), or it has finished; then it stands and
        reports success.  DDL, SHOW and session statements reach that point as they start
        (see `classify(sql).interruptible`)."""
        return self._session.cancel()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        """Shortcut: a new cursor that has executed `sql` (same rules as Cursor.execute:
        one statement unless the connection allows multi-statements)."""
        cur = self.cursor()
        cur.execute(sql, params)
        return cur

    def submit_ddl(self, sql: str, *, batch_size: int | None = None,
                   delay_ms: int | None = None) -> int:
        """Run one DDL statement without waiting for its job: an online change (ADD INDEX,
        DROP INDEX, a rebuild...) is validated, queued, and its job id returned at once;
        follow it with `ddl_job(id)` or the engine's `DDLJobChanged`/`DDLReorgProgress`
        events.  A change done in one step (CREATE TABLE...) has finished when this returns
        (its job id is returned too).  Errors found before the job is queued are raised.
        `batch_size` (rows per backfill step) and `delay_ms` (a pause between steps) throttle
        this job, kept with it across restarts; SET GLOBAL tidb_ddl_reorg_batch_size /
        kintsugi_ddl_reorg_delay_ms override them for every job while this process runs."""
        for name, value, lo, hi in (("batch_size", batch_size, 1, 1_000_000),
                                    ("delay_ms", delay_ms, 0, 3_600_000)):
            if value is not None and (type(value) is not int or not lo <= value <= hi):
                raise ProgrammingError(f"Incorrect arguments to submit_ddl: {name} must be an "
                                       f"integer from {lo} to {hi:,}, not {value!r}",
                                       errno=1210, sqlstate="HY000")
        session = self._session
        before = session.last_ddl_job
        session.ddl_async = True
        session.ddl_throttle = {k: v for k, v in (("batch_size", batch_size),
                                                  ("delay_ms", delay_ms)) if v is not None}
        try:
            self.execute(sql)
        finally:
            session.ddl_async = False
            session.ddl_throttle = {}
        job = session.last_ddl_job
        return job if job != before else 0

    def ddl_job(self, job_id: int) -> dict | None:
        """One DDL job as information_schema.ddl_jobs shows it (column name -> value), or
        None if there is no such job."""
        cur = self.cursor()
        cur.execute("SELECT * FROM information_schema.ddl_jobs WHERE JOB_ID = %s", (job_id,))
        row = cur.fetchone()
        if row is None:
            return None
        names = [d[0] for d in cur.description]
        return dict(zip(names, row, strict=True))

    def wait_ddl(self, job_id: int, timeout: float | None = None) -> dict | None:
        """Wait until DDL job `job_id` finishes (or `timeout` seconds) and return it as
        `ddl_job` does; a job that failed raises its error (1062, 8214 cancelled, ...)."""
        self._check()
        try:
            self._db.ddl_jobs.wait(job_id, timeout=timeout)
        except Error:
            raise
        except Exception as e:
            raise _foreign(e) from e
        return self.ddl_job(job_id)

    def executescript(self, sql: str) -> Cursor:
        """Shortcut: a new cursor that has run the script `sql` (see Cursor.executescript)."""
        cur = self.cursor()
        cur.executescript(sql)
        return cur

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._closed:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
            self.close()


class Cursor:
    arraysize = 1

    def __init__(self, conn: Connection):
        self.connection = conn
        self._rows: list[list] = []
        self._pos = 0
        self._names: list[str] | None = None
        self._origins: list[Any] = []
        self._description: list[tuple] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._closed = False
        self.warnings: list[tuple] = []
        self._busy = conn._busy  # the connection's: see _entry
        self._stream_wanted = False  # Connection.cursor(stream=True)
        self._stream = None  # the RowStream of an unbuffered query being read

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("Cursor is closed", errno=2006)
        self.connection._check()

    @_entry
    def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> Cursor:
        """Run one statement (more only with ``connect(..., multi_statements=True)``: else
        1064, nothing run).  Empty text is 1065; wrong argument types are 1210."""
        self._check()
        if isinstance(parameters, dict):
            raise NotSupportedError("named parameters are not supported; use %s")
        session = self.connection._session
        results = session.execute(operation, parameters, multi=self.connection._multi,
                                  stream=self._stream_wanted)
        self._set(results[-1] if results else Result(rowcount=0))
        self.warnings = list(session.warnings)
        return self

    @_entry
    def executemany(self, operation: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Cursor:
        """An INSERT ... VALUES runs as one statement over all the tuples (one plan, one
        savepoint: all rows or none); other statements run once per tuple."""
        self._check()
        session = self.connection._session
        result = session.executemany(operation, seq_of_parameters,
                                     multi=self.connection._multi)
        self._set(result)
        self.warnings = list(session.warnings)
        return self

    @_entry
    def executescript(self, sql: str) -> Cursor:
        """Run a script of ``;``-separated statements in order, each on its own (its own
        transaction under autocommit), stopping at the first error: the statements before it
        stay done, as with the `mysql` client.  No parameters.  The cursor then holds the
        last statement's result; an empty script runs nothing and is not an error."""
        self._check()
        session = self.connection._session
        self._set(session.execute_script(sql, stream=self._stream_wanted))
        self.warnings = list(session.warnings)
        return self

    def _set(self, result: Result) -> None:
        self._pos = 0
        self.lastrowid = result.lastrowid
        self._names = result.names
        self._origins = result.origins or []
        self._description = None
        self._stream = result.stream
        if result.stream is not None:
            self._rows = []
            self.rowcount = -1
            return
        if result.names is None:
            self._rows = []
            self.rowcount = result.rowcount
            return
        self._rows = result.rows or []
        self.rowcount = len(self._rows)

    @property
    def description(self) -> list[tuple] | None:
        """Built on first use: most callers of a point query never look at it."""
        if self._names is None:
            return None
        if self._description is None:
            if self._stream is not None:  # the rows are not known yet: no type codes
                self._description = [(name, None, None, None, None, None, True)
                                     for name in self._names]
                return self._description
            rows = self._rows
            self._description = [
                (name, _json_code(self._origins, i) or
                 _type_code(next((r[i] for r in rows if r[i] is not None), None)),
                 None, None, None, None, True)
                for i, name in enumerate(self._names)]
        return self._description

    def _pull(self, n: int | None) -> list[tuple]:
        """Rows from the stream (n of them, or all the rest)."""
        stream = self._stream
        rows = stream.fetch(n)
        if stream.done and not stream.discarded and stream.error is None:
            self.rowcount = stream.count
            self.warnings = list(self.connection._session.warnings)  # those of the whole run
        return [tuple(r) for r in rows]

    @_entry
    def fetchone(self) -> tuple | None:
        self._check_result()
        if self._stream is not None:
            rows = self._pull(1)
            return rows[0] if rows else None
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return tuple(row)

    @_entry
    def fetchmany(self, size: int | None = None) -> list[tuple]:
        self._check_result()
        n = self.arraysize if size is None else size
        if self._stream is not None:
            return self._pull(max(n, 0))
        rows = self._rows[self._pos : self._pos + n]
        self._pos += len(rows)
        return [tuple(r) for r in rows]

    @_entry
    def fetchall(self) -> list[tuple]:
        self._check_result()
        if self._stream is not None:
            return self._pull(None)
        rows = self._rows[self._pos :]
        self._pos = len(self._rows)
        return [tuple(r) for r in rows]

    def _check_result(self) -> None:
        self._check()
        if self._names is None:
            raise ProgrammingError("no result set: the last statement returned no rows",
                                   errno=2053, sqlstate="HY000")

    def __iter__(self):
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def setinputsizes(self, sizes) -> None:
        pass

    def setoutputsize(self, size, column=None) -> None:
        pass

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and not stream.done:
            with self._busy:  # not while another thread reads it (that one holds _busy)
                session = self.connection._session
                if session._stream is stream:
                    session.discard_stream()
                else:
                    stream.discard()
        self._closed = True
        self._rows = []

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()



def scan_sql(text: str):
    """The one MySQL lexer, for tools that must read half-written SQL without parsing it (the
    console's editor): yields ``(kind, start, end)`` with kind ``"code"``, ``"string"``,
    ``"comment"`` or ``";"``; never raises.  The engine reads placeholders with the same."""
    from core.sql.lexer import scan

    return scan(text)


def classify(sql: str) -> StatementKind:
    """What kind of statement `sql` is (query, DML, DDL, session, SHOW, ADMIN, other), as the
    engine itself dispatches it; `StatementKind.interruptible` tells whether `cancel()` can
    stop it.  Never raises (text that does not parse is OTHER)."""
    from core.sql.statements import classify as _classify

    return _classify(sql)


def split_statements(sql: str) -> list[str]:
    """The statements of a ``;``-separated script, as `executescript` runs them (raises 1064
    for text that cannot be split, e.g. an unterminated string)."""
    from core.sql import dialect

    return dialect.split_statements(sql)


@dataclasses.dataclass(frozen=True, slots=True)
class ScriptStatement:
    """One statement of a script as a client runs it: its text, the 1-based line of the script
    where it begins (mysql's "ERROR nnnn (SQLSTATE) at line N"), and, for a rest that could not
    be split (an unterminated string), the 1064 to report instead of running it."""

    text: str
    line: int
    error: Error | None = None


def script_statements(sql: str) -> list[ScriptStatement]:
    """The statements of a script, each with the line it begins on, split by the one MySQL
    lexer: a syntax error inside one statement does not stop the others from being split
    (each is parsed when it runs).  Text that cannot be split (an unterminated string or
    comment) ends the list as a ScriptStatement carrying its 1064; the statements before it
    are kept.  Never raises."""
    from core.sql import dialect

    spans, err = dialect.statement_spans(sql)
    # from its first token on, as the mysql client sends it (leading comments stripped), so
    # that the "at line M" of its own 1064 counts from its first line of code
    # lines counted incrementally from one offset to the next (the spans are in order): a
    # count from the top for each statement made a 40,000-statement script quadratic
    line, counted = 1, 0

    def line_of(offset: int) -> int:
        nonlocal line, counted
        if offset > counted:
            line += sql.count("\n", counted, offset)
            counted = offset
        return line

    out = [ScriptStatement(sql[code:end], line_of(code)) for _start, end, code in spans]
    if err is not None:
        start = getattr(err, "statement_start", 0)
        rest = sql[start:]
        start += len(rest) - len(rest.lstrip())
        line_at = line_of(start) if start >= counted else 1 + sql.count("\n", 0, start)
        out.append(ScriptStatement(sql[start:], line_at, err))
    return out


def _marked_dropped(db: Database, status: DatabaseStatus) -> DatabaseStatus:
    """The tablespaces of dropped tables marked with their job and GC time (the clock is
    the engine's: a test's ManualClock moves `gc_after` closer)."""
    from core.catalog.dropped import dropped_tables

    with db.engine.snapshot() as view:
        found = dropped_tables(view, db.now(), collected=False,
                               lost=db.engine.lost_spaces)
        names = {t.id: f"{t.schema}.{t.name}"
                 for t in db.catalog.schema(view).tables_by_id.values()}
    names.update((d.table_id, f"{d.schema}.{d.name}") for d in found)
    return with_dropped(status, {d.table_id: d for d in found}, names)


def inspect(path: str) -> Inspection:
    """What the database in `path` holds and whether it needs recovery, read without writing
    anything and without the directory lock: it works while another process has the
    database open, and on a crashed database it reports the redo past the checkpoint
    instead of replaying it (see `core.inspection`).  Use `recover()` to recover."""
    if not isinstance(path, (str, os.PathLike)) or "\x00" in os.fspath(path):
        raise ProgrammingError(f"Incorrect arguments to inspect: path {path!r} is not a "
                               "directory name", errno=1210, sqlstate="HY000")
    key = os.path.realpath(path)
    with _registry_lock:  # held by this process: read its files through the open handles
        db = _registry.get(key)
        engine = db.engine if db is not None and not db.engine.closed else None
        open_files = {ts.path: ts for ts in engine.spaces.values()} if engine else None
        now = db.now() if db is not None else None  # GC times on the engine's clock
    return _inspect(os.fspath(path), open_files=open_files, now=now)


def recover(path: str, *, sink: Callable[[Event], None] | None = None,
            force_recovery: int = 0, scan_directories: Sequence[str] | None = None,
            discard_damaged_log: bool = False, **engine_options: Any) -> DatabaseStatus:
    """Open the database in `path`, running crash recovery if it needs one (its events go to
    `sink`), and close it; returns the status of that open, whose `.recovery` says what
    recovery did and what a forced open could not apply.

    ``force_recovery`` >= 1 opens read-only (InnoDB's innodb_force_recovery): redo is
    replayed in memory and nothing on disk changes.  ``scan_directories`` rebuilds the
    tablespace map from the `.kdb` headers found there.  ``discard_damaged_log=True`` keeps
    a copy of the damaged redo segments, ends the log at the damage and opens writable.
    Other keyword arguments go to `Engine.open` (e.g. `apply_batch_ops`), as `connect`'s do."""
    options: dict[str, Any] = dict(engine_options)
    if scan_directories:
        options["scan_directories"] = list(scan_directories)
    if discard_damaged_log:
        options["discard_damaged_log"] = True
    engine = Engine.open(path, sink=sink or null_sink, force_recovery=force_recovery,
                         **options)
    try:
        return status_of(engine)
    finally:
        engine.close()
