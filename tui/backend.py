"""The console's one door to a database.

Screens never import `core`: they talk to a `Backend`.  Today that is `EmbeddedBackend`, the
engine in this process; a MySQL-protocol client can stand behind the same class later.  The
shape follows Harlequin's adapter: a few small methods, optional abilities as class flags
(`IMPLEMENTS_CANCEL`, `IMPLEMENTS_RECOVERY_EVENTS`) that decide what the screens offer.

Everything here may block: the console calls it from thread workers, never from the event
loop.  Two connections are kept: one for the SQL pane's statements (its session: current
database, open transaction) and one for the panes' introspection, so a long query never
holds up a refresh of the DDL jobs.

Cancellation (`CancelToken`) is decided in one place, under one lock: a statement either
settles as done or as cancelled, never both.  A cancelled query's rows are discarded and its
changes rolled back; a statement that cannot be interrupted (DDL, COMMIT, USE) says so when
asked to cancel and finishes normally.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

CHUNK_ROWS = 2_000  # rows per streamed chunk (the cancellation check runs at least this often)


# ------------------------------------------------------------------------------------------
# errors and cancellation
# ------------------------------------------------------------------------------------------


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

    @classmethod
    def wrap(cls, err: BaseException) -> BackendError:
        if isinstance(err, BackendError):
            return err
        errno = getattr(err, "errno", None)
        if isinstance(errno, int) and hasattr(err, "sqlstate"):
            return cls(errno, err.sqlstate, getattr(err, "msg", str(err)), _hint(errno))
        if isinstance(err, OSError):
            return cls(1030, "HY000", f"Got error {err.errno or 0} from the file system: "
                       f"{err.strerror or err}")
        return cls(1105, "HY000", f"{type(err).__name__}: {err}")


def _hint(errno: int) -> str:
    return {
        1030: "Another process has the database open; close it (or use `kintsugi sql`).",
        1877: "The database is damaged; `kintsugi recover DIR --force-recovery 1` opens it "
              "read-only so the data can be dumped.",
    }.get(errno, "")


class QueryCancelled(BaseException):
    """Raised inside a running statement once its token is cancelled.

    A BaseException so that no `except Exception` in the engine turns it into an error."""


class CancelToken:
    """One statement's cancel switch.  `cancel()` is called by the UI thread; `settle()` by the
    worker when the statement has done its work and is about to report it."""

    RUNNING, CANCELLED, SETTLED = "running", "cancelled", "settled"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self.state = self.RUNNING
        self.uninterruptible = ""  # why cancel() is refused, while set

    def cancel(self) -> str:
        """Ask for cancellation.  Returns "cancelled" (the statement will report cancelled and
        leave nothing behind), "too late" (it already settled), or the reason it cannot be
        interrupted."""
        with self._lock:
            if self.state == self.SETTLED:
                return "too late"
            if self.uninterruptible:
                return self.uninterruptible
            self.state = self.CANCELLED
            self._event.set()
            return "cancelled"

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise QueryCancelled()

    def protect(self, reason: str) -> None:
        """From now on the statement cannot be interrupted (raises if it already was)."""
        with self._lock:
            if self.state == self.CANCELLED:
                raise QueryCancelled()
            self.uninterruptible = reason

    def settle(self) -> bool:
        """Decide: True = report success (cancel() now says "too late"); False = cancelled."""
        with self._lock:
            if self.state == self.CANCELLED:
                return False
            self.state = self.SETTLED
            return True


# ------------------------------------------------------------------------------------------
# what the backend hands to the screens
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """One engine event, already put in words.  `kind` names it ("RecoveryStarted",
    "RedoApplyProgress", ...); `line` is the InnoDB-style log line (None if not worth one)."""

    kind: str
    line: str | None
    percent: int | None = None
    lsn: int | None = None
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TablespaceInfo:
    space_id: int
    name: str
    path: str
    applied_lsn: int


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


@dataclass(frozen=True, slots=True)
class TableData:
    names: list[str]
    rows: list[tuple]


@dataclass(frozen=True, slots=True)
class IndexSummary:
    schema: str
    table: str
    rows_estimate: int
    # (name, columns, unique, primary, state)
    indexes: tuple[tuple[str, tuple[str, ...], bool, bool, str], ...]


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


class Backend(ABC):
    """What every backend offers the console."""

    IMPLEMENTS_CANCEL = False
    IMPLEMENTS_RECOVERY_EVENTS = False
    kind = "backend"

    def __init__(self, path: str):
        self.path = path  # as the user gave it (shown in the title bar)
        self._opening: threading.Thread | None = None
        self._open_lock = threading.Lock()
        self._early: list[EngineEvent] = []  # events before anyone listens
        self._listener: Callable[[EngineEvent], None] | None = None
        self._open_error: BaseException | None = None

    @abstractmethod
    def open(self, on_event: Callable[[EngineEvent], None]) -> None:
        """Connect.  Engine events (recovery progress first of all) go to `on_event`, from
        whatever thread produces them.  Raises BackendError."""

    # Opening early: the command line starts the open in a thread before the screens are
    # even imported; the app then attaches, receives the events so far, and waits.

    def _relay(self, event: EngineEvent) -> None:
        with self._open_lock:
            listener = self._listener
            if listener is None:
                self._early.append(event)
                return
        listener(event)

    def _open_in_thread(self) -> None:
        try:
            self.open(self._relay)
        except BaseException as err:  # noqa: BLE001 - handed to wait_open
            self._open_error = err

    def start_open(self) -> None:
        """Begin opening in a background thread (idempotent)."""
        with self._open_lock:
            if self._opening is None:
                self._opening = threading.Thread(target=self._open_in_thread,
                                                 name="kintsugi-open", daemon=True)
                self._opening.start()

    def wait_open(self, on_event: Callable[[EngineEvent], None]) -> None:
        """Start opening if nobody did, send `on_event` every event (the early ones first),
        wait until the database is open.  Raises what `open` raised."""
        self.start_open()
        while True:
            with self._open_lock:
                early, self._early = self._early, []
                if not early:
                    self._listener = on_event
                    break
            for e in early:
                on_event(e)
        self._opening.join()
        if self._open_error is not None:
            raise self._open_error

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def run(self, sql: str, token: CancelToken) -> Iterator[ResultPart]:
        """Run one statement: yields Columns, then Rows chunks, then one Outcome; raises
        BackendError, or QueryCancelled once `token` is cancelled (nothing left behind)."""

    @abstractmethod
    def session_state(self) -> SessionState: ...

    def database_info(self) -> DatabaseInfo | None:
        return None

    def ddl_jobs(self) -> TableData:
        return TableData([], [])

    def indexes(self) -> list[IndexSummary]:
        return []

    def catalog(self) -> Catalog:
        return Catalog({})


# ------------------------------------------------------------------------------------------
# the embedded engine
# ------------------------------------------------------------------------------------------


class _CancellableView:
    """A read view whose scans and point reads stop as soon as the token is cancelled, so a
    cancel reaches into sorts, joins and aggregates, not only between result rows."""

    def __init__(self, view: Any, token: CancelToken):
        self._view = view
        self._event = token._event

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    def get(self, *args, **kwargs):
        if self._event.is_set():
            raise QueryCancelled()
        return self._view.get(*args, **kwargs)

    def scan(self, *args, **kwargs):
        it = iter(self._view.scan(*args, **kwargs))
        event = self._event
        while True:
            chunk = list(islice(it, 512))
            if event.is_set():
                raise QueryCancelled()
            if not chunk:
                return
            yield from chunk


class _Watch:
    """The cancel switch of whatever statement the SQL session is running now.

    Every plan the session makes (queries, subqueries, the SELECT part of INSERT ... SELECT)
    is wrapped once, when it is planned, so that each operator checks this switch every few
    hundred rows: a nested-loop join feeding COUNT(*) reads nothing for billions of rows, so
    checks at the table scans alone would not stop it.  Plans are cached by the session; the
    wrapping reads the *current* statement's switch, so it is harmless between statements."""

    _IDLE = threading.Event()

    def __init__(self) -> None:
        self.event = self._IDLE

    def __call__(self, token: CancelToken | None) -> None:
        self.event = token._event if token is not None else self._IDLE

    def rows(self, rows: Callable) -> Callable:
        watch = self

        def checked(rt):
            it = iter(rows(rt))
            while True:
                chunk = list(islice(it, 256))
                if watch.event.is_set():
                    raise QueryCancelled()
                if not chunk:
                    return
                yield from chunk

        checked._kintsugi_watched = True
        return checked

    def plan(self, planned: Any) -> Any:
        from core.sql.plan.ops import Operator

        stack, seen = [getattr(planned, "op", None)], set()
        while stack:
            op = stack.pop()
            if id(op) in seen or not isinstance(op, Operator):
                continue
            seen.add(id(op))
            if not getattr(op.rows, "_kintsugi_watched", False):
                op.rows = self.rows(op.rows)
            for value in vars(op).values():
                if isinstance(value, Operator):
                    stack.append(value)
                elif isinstance(value, (list, tuple)):
                    stack.extend(v for v in value if isinstance(v, Operator))
        return planned

    def install(self, session: Any) -> bool:
        """Hook the session's planner; False if the engine's internals do not fit."""
        try:
            planner = session.planner()
            original = planner.plan
        except AttributeError:
            return False

        def plan(*args, **kwargs):
            return self.plan(original(*args, **kwargs))

        planner.plan = plan
        return True


def _event_text(event: Any, real_path: str, shown_path: str) -> EngineEvent:
    from core.events.wording import format_event

    line = format_event(event)
    if line and real_path and real_path != shown_path:
        line = line.replace(real_path, shown_path)
    detail = {k: getattr(event, k) for k in getattr(event, "__slots__", ())}
    lsn = None
    for key in ("end_lsn", "scanned_lsn", "checkpoint_lsn", "lsn", "up_to_lsn"):
        if isinstance(detail.get(key), int):
            lsn = detail[key]
            break
    return EngineEvent(type(event).__name__, line, detail.get("percent"), lsn, detail)


def check_directory(path: str, create: bool = False) -> None:
    """Fail fast, before any screen is drawn, for a directory that is not a database or is
    held by another process.  Raises BackendError with the engine's own wording."""
    from core.errors import DatabaseNotFoundError, Error
    from core.storage.dirlock import DirectoryLock

    if os.path.exists(os.path.join(path, "control")):
        try:
            lock = DirectoryLock(path)
            lock.acquire()
            lock.release()
        except Error as err:
            raise BackendError.wrap(err) from None
        except OSError as err:
            raise BackendError.wrap(err) from None
        return
    if create:
        return
    err = DatabaseNotFoundError(
        f"{os.path.abspath(path)} is not a KintsugiDB database (no control file); "
        "use --create to make one")
    raise BackendError.wrap(err)


class EmbeddedBackend(Backend):
    """The engine in this process, through `core.connect` (PEP 249)."""

    IMPLEMENTS_CANCEL = True
    IMPLEMENTS_RECOVERY_EVENTS = True
    kind = "embedded"

    def __init__(self, path: str, *, create: bool = False, database: str | None = "test",
                 **engine_options: Any):
        super().__init__(path)
        self.create = create
        self.database = database
        self.engine_options = engine_options
        self._conn = None
        self._meta = None
        self._meta_lock = threading.Lock()
        self.streaming = True  # False once the engine's internals turn out not to fit
        self._watch = _Watch()
        self._busy = threading.Lock()  # held while a statement runs; close() waits for it

    # -- lifecycle ----------------------------------------------------------------------------

    def open(self, on_event: Callable[[EngineEvent], None]) -> None:
        import core
        from core.errors import Error

        real = os.path.abspath(self.path)

        def sink(event: Any) -> None:
            try:
                on_event(_event_text(event, real, self.path))
            except Exception:  # noqa: BLE001 - a UI problem must never break the engine
                pass

        try:
            try:
                self._conn = core.connect(self.path, create=self.create, database=self.database,
                                          autocommit=True, sink=sink, **self.engine_options)
            except Error as err:
                if getattr(err, "errno", 0) != 1049 or self.database is None or \
                        not os.path.exists(os.path.join(self.path, "control")):
                    raise
                self._conn = core.connect(self.path, database=None, autocommit=True,
                                          sink=sink, **self.engine_options)
            self._meta = core.connect(self.path, database=None, autocommit=True)
            self._watch.install(self._conn.session)
        except Error as err:
            self.close()
            raise BackendError.wrap(err) from None

    def close(self, wait: float = 120.0) -> None:
        """Close the connections (the engine closes cleanly with the last one), after the
        running statement, if any, has finished (it was cancelled, or cannot be)."""
        if self._busy.acquire(timeout=wait):
            self._busy.release()
        for conn in (self._meta, self._conn):
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing on the way out
                    pass
        self._meta = self._conn = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def session_state(self) -> SessionState:
        if self._conn is None:
            return SessionState(None, False)
        s = self._conn.session
        return SessionState(s.current_db, getattr(s, "txn", None) is not None)

    # -- statements ---------------------------------------------------------------------------

    def run(self, sql: str, token: CancelToken) -> Iterator[ResultPart]:
        from core.errors import Error

        conn = self._conn
        if conn is None:
            raise BackendError(2006, "HY000", "not connected")
        t0 = time.perf_counter()
        self._busy.acquire()
        self._watch(token)
        try:
            kind, node, text = self._classify(sql)
            if kind == "query" and self.streaming:
                yield from self._stream_query(node, text, sql, token, t0)
            elif kind == "dml":
                yield from self._run_dml(sql, token, t0)
            else:
                if kind in ("ddl", "session"):
                    token.protect("DDL and session statements (USE, BEGIN, COMMIT) cannot be "
                                  "interrupted once started" if kind == "session" else
                                  "a DDL statement cannot be interrupted once started; it runs "
                                  "as a job to the end")
                yield from self._run_plain(sql, token, t0)
        except Error as err:
            raise BackendError.wrap(err) from None
        finally:
            self._watch(None)
            self._busy.release()

    def _classify(self, sql: str) -> tuple[str, Any, str]:
        from sqlglot import exp

        from core.sql import dialect

        text, count = dialect.to_placeholders(sql)
        if count:
            return "other", None, text
        nodes = self._conn.session.db.parse(text)
        if len(nodes) != 1:
            return "other", None, text
        node = nodes[0]
        name = type(node).__name__
        if isinstance(node, (exp.Select, exp.Union, exp.Subquery)):
            return "query", node, text
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete)) or name == "Replace":
            return "dml", node, text
        if isinstance(node, (exp.Create, exp.Drop, exp.TruncateTable, exp.Alter)) or \
                name in ("RenameTable",):
            return "ddl", node, text
        if isinstance(node, (exp.Use, exp.Transaction, exp.Commit, exp.Rollback, exp.Set)):
            return "session", node, text
        return "other", node, text

    def _outcome(self, sql: str, names, rowcount: int, t0: float, note: str = "") -> Outcome:
        s = self._conn.session
        warnings = list(getattr(s, "warnings", []) or [])
        return Outcome(sql, names, rowcount, time.perf_counter() - t0, warnings, note)

    def _run_plain(self, sql: str, token: CancelToken, t0: float) -> Iterator[ResultPart]:
        cur = self._conn.cursor()
        cur.executescript(sql)  # may be several statements: the script path, stopping at an error
        if cur.description is not None:
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
            token.check()
            yield Columns(names)
            for i in range(0, len(rows), CHUNK_ROWS * 10):
                yield Rows(rows[i:i + CHUNK_ROWS * 10])
            if not token.settle():
                raise QueryCancelled()
            yield self._outcome(sql, names, len(rows), t0)
            return
        token.settle()  # protected statements settle as done; others had nothing to keep
        yield self._outcome(sql, None, cur.rowcount, t0)

    def _stream_query(self, node, text: str, sql: str, token: CancelToken,
                      t0: float) -> Iterator[ResultPart]:
        """SELECT, row chunk by row chunk.  The engine's cursor materialises the whole result
        before returning; this walks the plan itself so the first rows show at once and a
        cancel stops the scan.  It uses the session's internals; if they ever change shape
        the backend falls back to the plain cursor (slower first page, same results)."""
        s = self._conn.session
        try:
            from core.sql.plan.ops import Runtime

            s.last_warnings, s.warnings = s.warnings, []
            s.ctx.params = []
            s.ctx.now = _dt.datetime.now().replace(microsecond=0)
            s.ctx.current_db = s.current_db
            s.ctx.last_insert_id = s.last_insert_id
            s.ctx.run_token = object()
            view, close = s._view()
        except (AttributeError, ImportError, TypeError):
            self.streaming = False
            yield from self._run_plain(sql, token, t0)
            return
        try:
            s._schema = s.db.catalog.schema(view)
            planned = s._plan(node, text, s._schema)
            rt = Runtime(_CancellableView(view, token))
            s.ctx.runtime = rt
            names = list(planned.names)
            yield Columns(names)
            total = 0
            it = planned.op.rows(rt)
            while True:
                chunk = [tuple(r) for r in islice(it, CHUNK_ROWS)]
                token.check()
                if not chunk:
                    break
                total += len(chunk)
                yield Rows(chunk)
        finally:
            if close:
                close()
        if not token.settle():
            raise QueryCancelled()
        yield self._outcome(sql, names, total, t0)

    def _run_dml(self, sql: str, token: CancelToken, t0: float) -> Iterator[ResultPart]:
        """INSERT/UPDATE/DELETE/REPLACE.  Outside a transaction the statement runs in one of
        our own, committed only once the token settles as done, so a cancel at any moment
        leaves nothing behind.  Its reads go through a cancellable view, so a long UPDATE
        stops promptly."""
        conn = self._conn
        s = conn.session
        explicit = getattr(s, "txn", None) is not None
        if not explicit:
            conn.autocommit = False
        try:
            try:
                s._ensure_txn()
                txn = s.txn
                original = txn._current_view
            except AttributeError:
                txn = original = None
            if txn is not None:
                txn._current_view = lambda: _CancellableView(original(), token)
            try:
                cur = conn.cursor()
                cur.execute(sql)
            finally:
                if txn is not None:
                    del txn._current_view
            if not token.settle():
                if explicit:  # our statement is already part of the user's transaction
                    yield self._outcome(sql, None, cur.rowcount, t0,
                                        note="the cancel came after the statement finished; "
                                             "it is part of the open transaction (ROLLBACK "
                                             "undoes it)")
                    return
                raise QueryCancelled()
            if not explicit:
                conn.commit()
        except BaseException:
            if not explicit:
                conn.rollback()
            raise
        finally:
            if not explicit:
                conn.autocommit = True
        yield self._outcome(sql, None, cur.rowcount, t0)

    # -- introspection (the other panes) ------------------------------------------------------

    def _meta_query(self, sql: str) -> TableData:
        from core.errors import Error

        if self._meta is None:
            raise BackendError(2006, "HY000", "not connected")
        with self._meta_lock:
            try:
                cur = self._meta.cursor()
                cur.execute(sql)
                return TableData([d[0] for d in cur.description], cur.fetchall())
            except Error as err:
                raise BackendError.wrap(err) from None

    def database_info(self) -> DatabaseInfo | None:
        if self._conn is None:
            return None
        engine = self._conn.engine
        st = engine.stats()
        spaces = []
        for sid, info in sorted(st["spaces"].items()):
            ts = engine.spaces.get(sid)
            header = getattr(ts, "header", {}) or {}
            name = "system (dictionary)" if sid == 0 else \
                f"{header.get('schema', '?')}.{header.get('table', '?')}"
            spaces.append(TablespaceInfo(sid, name, info["path"], info["applied_lsn"]))
        return DatabaseInfo(self.path, st["end_lsn"], st["durable_lsn"], st["checkpoint_lsn"],
                            tuple(st["segments"]), tuple(spaces), st["overlay_entries"],
                            bool(engine.read_only))

    def ddl_jobs(self) -> TableData:
        return self._meta_query("SELECT * FROM information_schema.ddl_jobs ORDER BY JOB_ID DESC")

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
