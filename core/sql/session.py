"""Sessions: executing SQL statements against an open database.

`Database` is shared by every connection of one process to one directory (one engine, one
dictionary cache, one statement cache, the auto-increment allocators).  `Session` is one
connection's state: current schema, autocommit, the open transaction, warnings, and its own
plan cache (plans hold closures bound to the session's evaluation context, so they are not
shared between threads).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from core.catalog.model import HANDLE_INT, TableInfo
from core.catalog.store import CatalogStore, Schema
from core.check.flags import FlagRegistry, new_flag
from core.check.records import PendingRecords, write_records
from core.clock import SYSTEM_CLOCK, Clock
from core.codec import decode_row_key
from core.errors import (
    CorruptionError,
    IndexCorruptError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    TablespaceMissingError,
)
from core.events import Event, EventSink
from core.sql import (
    binlog_sql,
    binlog_vars,
    dialect,
    global_vars,
    lexer,
    limits,
    sqlmode,
    sysvars,
    version_comments,
    view_dml,
    views,
)
from core.sql.cancel import CancellableView, CancelToken, QueryInterrupted
from core.sql.ddl import DDLRunner, bootstrap
from core.sql.dml import DMLRunner
from core.sql.limits import DEFAULT_MAX_ALLOWED_PACKET as _DEFAULT_PACKET
from core.sql.limits import MemoryTracker, check_params, check_sql
from core.sql.limits import _tls as _packet_tls
from core.sql.plan import cte
from core.sql.plan.ops import Runtime
from core.sql.plan.scope import SourceScope
from core.sql.plan.select import Planned, SelectPlanner
from core.sql.result import Result
from core.sql.statements import StatementKind, kind_of, statement_name
from core.sql.stream import RowStream
from core.sql.table import TableReader, format_key_values
from core.storage.engine import Engine
from core.txn import begin, begin_bookkeeping

STATEMENT_CACHE = 512
PLAN_CACHE = 256
# Resource limits settable with SET: (minimum, maximum, granularity), as mysqld clamps them.
# tidb_mem_quota_query 0 means no quota.
_LIMIT_VARIABLES: dict[str, tuple[int, int, int]] = {
    "max_allowed_packet": (limits.MIN_MAX_ALLOWED_PACKET, limits.MAX_MAX_ALLOWED_PACKET,
                           1024),
    "max_execution_time": (0, 2**32 - 1, 1),
    "tidb_mem_quota_query": (0, 2**63 - 1, 1),
    "cte_max_recursion_depth": (0, 2**32 - 1, 1),
    "group_concat_max_len": (4, 2**64 - 1, 1),
    # the DDL worker's backfill: rows per batch (TiDB's range) and a pause between batches
    # (KintsugiDB's throttle, so a build on a busy table can yield more to its DML)
    "tidb_ddl_reorg_batch_size": (32, 10240, 1),
    "kintsugi_ddl_reorg_delay_ms": (0, 60000, 1),
}
# variables that only exist for the whole database: SET SESSION of one is MySQL's 1229
_GLOBAL_ONLY = frozenset({"tidb_ddl_reorg_batch_size", "kintsugi_ddl_reorg_delay_ms"})


def _interpreter_limit(e: BaseException) -> OperationalError:
    """A RecursionError or MemoryError as the MySQL error mysqld gives for the same
    exhaustion: 1436 (stack overrun) or 1037 (out of memory)."""
    if isinstance(e, RecursionError):
        return limits.stack_overrun()
    return OperationalError("Out of memory; restart server and try again", errno=1037,
                            sqlstate="HY001")


def _one_statement(sql: str) -> list[str] | None:
    """[the statement] when `sql` holds exactly one (a trailing ``;`` and comments allowed),
    found with the lexer alone; None otherwise.  Splitting a script tokenises all of it with
    sqlglot first, which doubles the time of a pasted 60,000-row INSERT run as a script."""
    end = None
    has_code = False
    for kind, start, stop in lexer.scan(sql):
        if kind == ";":
            if end is None:
                end = start
        elif kind != "comment" and (kind == "string" or sql[start:stop].strip()):
            if end is not None:
                return None  # code after a ';': a real script
            has_code = True
    if not has_code:
        return None
    return [sql if end is None else sql[:end]]


def _row_of(flag) -> str:
    """The damaged row a table flag names: its int handle and key where known."""
    if not flag.key:
        return "row key unknown"
    try:
        handle = decode_row_key(bytes.fromhex(flag.key))[1]
    except (ValueError, CorruptionError):
        return f"row key {flag.key}"
    return f"row {handle}, key {flag.key}" if type(handle) is int else f"row key {flag.key}"


SKIPPED_ROW_WARNINGS = 100  # damaged rows listed one by one; the rest are counted
# warnings an INSERT/UPDATE raises (strict sql_mode): division by zero, a value a date
# function cannot read (STR_TO_DATE's 1411), a string read as a number only in part (1292)
STRICT_WRITE_ERRORS = frozenset({1365, 1411, 1292})
# a strict DELETE: a string read as a number only in part in its WHERE (MySQL: 1292)
STRICT_DELETE_ERRORS = frozenset({1292})


class RowSalvage:
    """What a statement does with a damaged row on a forced open (force_recovery >= 1):
    InnoDB's SRV_FORCE_IGNORE_CORRUPT, "SELECT * FROM t skips corrupt records", so a table
    can be dumped.  The session puts one on the read view of each query as `skip_damaged`
    (see `TableReader.damaged`); for every damaged row, once per statement however often
    it is met (a join may fetch it again), it flags the table in memory as a normal read
    does and adds warning 1877 naming the row; past `SKIPPED_ROW_WARNINGS` rows, a single
    last warning counts the rest."""

    def __init__(self, db: Database, schema: Schema | None, warnings: list, level: int):
        self.db = db
        self.schema = schema
        self.warnings = warnings  # the statement's own list (a stream is read later)
        self.level = level
        self._seen: set[tuple[int, bytes]] = set()
        self._summary: int | None = None  # index of the counting warning in `warnings`

    def __call__(self, reader: TableReader, key: bytes, err: CorruptionError) -> None:
        ident = (reader.tid, key)
        if ident in self._seen:
            return
        self._seen.add(ident)
        try:
            self.db.flag_damage(err, self.schema)
        except Exception:  # noqa: BLE001 - a flag that cannot be noted must not stop the dump
            pass
        n = len(self._seen)
        table = reader.table
        if n <= SKIPPED_ROW_WARNINGS:
            problem = getattr(err, "problem", None) or err.msg
            self.warnings.append((
                "Warning", 1877,
                f"Skipped damaged row {_handle_text(reader, key)} (key {_key_hex(key)}) of "
                f"`{table.schema}`.`{table.name}`: {problem} (force_recovery {self.level})"))
            return
        text = (f"Skipped {n} damaged rows in all; only the first {SKIPPED_ROW_WARNINGS} are "
                f"listed (force_recovery {self.level})")
        if self._summary is None:
            self._summary = len(self.warnings)
            self.warnings.append(("Warning", 1877, text))
        else:
            self.warnings[self._summary] = ("Warning", 1877, text)


class _PastDamage:
    """A read view whose readers step over damaged rows without a word: the counter a
    forced open shows (SHOW CREATE TABLE) is the largest value among the good rows."""

    def __init__(self, view):
        self._view = view

    def __getattr__(self, name):
        return getattr(self._view, name)

    @staticmethod
    def skip_damaged(reader, key, err) -> None:
        return None


def _handle_text(reader: TableReader, key: bytes) -> str:
    """The row's handle as a message shows it: an int, or a clustered key's values."""
    try:
        handle = reader.handle_from_key(key)
    except Exception:  # noqa: BLE001 - a message, not a decode
        return "?"
    if isinstance(handle, bytes):
        from core.codec import decode_values

        try:
            return "(" + format_key_values(decode_values(handle)) + ")"
        except Exception:  # noqa: BLE001
            return "0x" + handle.hex()
    return str(handle)


def _key_hex(key: bytes) -> str:
    return key[:128].hex() + ("..." if len(key) > 128 else "")


class Database:
    """Process-wide state of one open database directory."""

    def __init__(self, engine: Engine, clock: Clock | None = None):
        self.engine = engine
        # the time GC and the job history compare (core.clock): tests move a ManualClock
        self.clock: Clock = clock or SYSTEM_CLOCK
        # `now()` never goes below this: the time of the last GC round (core.gc.worker)
        self.time_floor = 0.0
        self.catalog = CatalogStore()
        self._statements: OrderedDict[str, tuple] = OrderedDict()
        self._stmt_lock = threading.Lock()
        self._autoinc: dict[int, int] = {}  # next value to hand out, per table id
        self._autoinc_stored: dict[int, int] = {}  # the value last written to system.kdb
        self._rowid: dict[int, int] = {}
        self.flags = FlagRegistry()
        self.check_records = PendingRecords()  # index check records not yet written
        self.connections = 0
        # Statements run by a package above SQL (core.admin), by node type: the composition
        # root (core.api) installs them; a type missing here answers 1235.
        self.statement_handlers: dict[type, Callable[[Session, exp.Expression], Result]] = {}
        # The DDL job queue (core.ddl.queue.JobQueue), installed with the handlers: online
        # schema changes are submitted to it and waited for (core.sql.ddl).
        self.ddl_jobs: Any = None
        # The GC worker (core.gc.worker.GCWorker), installed with the handlers: it collects
        # the delete ranges older than the safe point (core.catalog.gcranges).
        self.gc: Any = None
        # The schema every snapshot at or after `schema_lsn` sees is `_latest_schema`, so
        # statements need not read the dictionary's version key; a DDL sets schema_lsn to
        # "infinity" while it commits and to its commit LSN afterwards.
        self.schema_lsn = 0
        self._latest_schema: Schema | None = None
        self.global_limits: dict[str, Any] = {}  # SET GLOBAL of _LIMIT_VARIABLES, sql_mode
        # GLOBAL-only variables kept in system.kdb (core.sql.global_vars): every session
        # reads them at each statement; loaded below
        self.global_vars: dict[str, Any] = {}
        # Schemas of virtual tables installed by a package above SQL (core.gc: `mysql`):
        # schema name -> resolver(session, schema, table name) -> Source | None
        self.virtual_schemas: dict[str, Callable[..., Any]] = {}
        self._schema_generation = 0
        with engine.snapshot() as snap:
            fresh = CatalogStore.version(snap) == 0
            self.flags.load(snap)
        if fresh and not engine.read_only:
            with begin(engine) as txn:
                bootstrap(txn, self.catalog)
        global_vars.load(self)

    def now(self) -> float:
        """The time a drop, a DDL job and a GC round are stamped with: the clock, but never
        below the last GC round's time (TiDB's TSO never goes back either).  A clock that
        jumped forward and back (or an NTP step back) must not make a fresh drop look older
        than the safe point, which would lose it at once."""
        t = self.clock.now()
        return t if t >= self.time_floor else self.time_floor

    def close(self) -> None:
        """Stop the DDL worker between two steps (a running job resumes at the next open),
        then close the engine."""
        if self.gc is not None:
            self.gc.stop()
        if self.ddl_jobs is not None:
            self.ddl_jobs.stop()
        self.engine.close()

    # -- what a statement may touch ----------------------------------------------------------

    def missing_spaces(self) -> dict:
        """Tablespaces a forced open went on without (space id -> what the map said)."""
        return getattr(self.engine, "missing_spaces", None) or {}

    def require_usable(self, table: TableInfo, write: bool = False) -> None:
        """Refuse a statement on a table whose data cannot be trusted or reached: its file
        missing (1812), its rows flagged corrupt (1877; a forced open still reads them, so
        the data can be dumped), or, for a write, a flagged UNIQUE index its uniqueness
        check would have to trust (1712).  One dict lookup when nothing is wrong."""
        missing = getattr(self.engine, "missing_spaces", None)
        if missing and table.id in missing:
            raise TablespaceMissingError(
                f"Tablespace is missing for table `{table.schema}`.`{table.name}`.")
        if not self.flags:
            return
        flag = self.flags.table_flag(table.id)
        if flag is not None and (write or not self.engine.read_only):
            raise CorruptionError(
                f"Table `{table.schema}`.`{table.name}` is marked corrupted ({_row_of(flag)}: "
                f"{flag.reason}): CHECK TABLE `{table.name}` shows it; a rebuild (ALTER TABLE "
                "... FORCE), TRUNCATE or DROP clears it; to keep the good rows, open the "
                "database with force recovery 1 and dump the table first")
        if write:
            for iid in self.flags.index_flags(table.id):
                ix = next((i for i in table.indexes if i.id == iid), None)
                if ix is not None and ix.unique:
                    raise IndexCorruptError(f"Index {ix.name} is corrupted")

    def flagged_indexes(self, table: TableInfo) -> frozenset[int]:
        """Ids of `table`'s indexes flagged corrupt: the planner plans around them."""
        if not self.flags:
            return frozenset()
        return frozenset(self.flags.index_flags(table.id))

    def flag_damage(self, err: CorruptionError, schema: Schema | None) -> None:
        """Flag the table a damaged row was read from (the error names its row key)."""
        if isinstance(err, IndexCorruptError) or schema is None:
            return
        key = getattr(err, "key", b"") or b""
        table = None
        if key:
            try:
                table = schema.tables_by_id.get(decode_row_key(key)[0])
            except CorruptionError:
                table = None
        name = getattr(err, "table", None)
        if table is None and isinstance(name, str) and "." in name:
            db, _, t = name.partition(".")
            table = schema.table(db, t)
        if table is None:
            return
        self.flags.add(new_flag(table.id, table.full_name, getattr(err, "problem", err.msg),
                                key))

    # -- statement cache --------------------------------------------------------------------

    def parse(self, text: str) -> list[exp.Expression]:
        """Parse SQL that already uses `?` placeholders (cached like `prepare`)."""
        return self.prepare(text, with_params=False)[2]

    def prepare(self, sql: str, with_params: bool = True) -> tuple[str, int, list]:
        """(text with `?` placeholders, placeholder count, parsed statements), cached by the
        SQL text as the client sent it: a repeated statement skips both the `%s` rewrite and
        the parse.  Without parameters the text is taken as written, as PyMySQL does (its
        `%` formatting only happens when parameters are given)."""
        key = (sql, with_params)
        hit = self._statements.get(key)
        if hit is not None:
            return hit
        limits.check_text_encodable(sql)
        sql = version_comments.unwrap(sql)  # /*!40101 SET NAMES utf8mb4 */ runs, as in MySQL
        if with_params:
            text, count = dialect.to_placeholders(sql)
        else:
            text, count = sql, None
        nodes = dialect.parse(text)
        if count is None:
            count = sum(len(dialect.placeholders(n)) for n in nodes)
        entry = (text, count, nodes)
        with self._stmt_lock:
            self._statements[key] = entry
            if len(self._statements) > STATEMENT_CACHE:
                self._statements.popitem(last=False)
        return entry

    def schema(self, view) -> Schema:
        """The dictionary as `view` sees it; the cached latest one when the view is at least
        as new as the last DDL.  A schema computed while a DDL was committing is used but
        not cached (the generation counter tells)."""
        generation = self._schema_generation
        if view.lsn >= self.schema_lsn:
            latest = self._latest_schema
            if latest is not None:
                return latest
            latest = self.catalog.schema(view)
            with self._stmt_lock:
                if generation == self._schema_generation and view.lsn >= self.schema_lsn:
                    self._latest_schema = latest
            return latest
        return self.catalog.schema(view)

    def commit_schema_change(self, txn) -> int | None:
        """Bump the schema version in `txn` and commit it, with the cached latest schema
        retired around the commit (see `schema`): how every dictionary change ends, a DDL
        statement's, a DDL job step's, an adoption's."""
        self.catalog.bump_version(txn)
        self.ddl_committing()
        lsn = None
        try:
            lsn = txn.commit()
        finally:
            self.ddl_done(lsn)
        return lsn

    def ddl_committing(self) -> None:
        with self._stmt_lock:
            self._schema_generation += 1
            self.schema_lsn = 1 << 64  # above every view, even a writer's "latest" one
            self._latest_schema = None

    def ddl_done(self, commit_lsn: int | None) -> None:
        with self._stmt_lock:
            self._schema_generation += 1
            self._latest_schema = None
            self.schema_lsn = commit_lsn or 0

    # -- auto-increment (called with the writer lock held) -------------------------------------

    # MySQL 8's crash-safe counter: the next value lives in system.kdb (`m:ai:<id>`), written
    # in the inserting transaction by every statement that raised it (one key per statement,
    # see persist_autoinc), and loaded as max(stored, max(column) + 1) so databases from
    # before the key, and rows inserted with explicit ids, are covered too.  Values handed
    # out in this process are never handed out again (a rollback leaves a gap, as InnoDB);
    # after a restart the counter is above every committed value, even deleted ones.

    def next_autoinc(self, table: TableInfo, txn) -> int:
        nxt = self._autoinc.get(table.id)
        if nxt is None:
            nxt = self._load_autoinc(table, txn)
        self._autoinc[table.id] = nxt + 1
        return nxt

    def observe_autoinc(self, table: TableInfo, value, txn) -> None:
        """An explicit value went into the auto-increment column: later ones go above it."""
        if type(value) is not int:
            return
        cur = self._autoinc.get(table.id)
        if cur is None:
            cur = self._autoinc[table.id] = self._load_autoinc(table, txn)
        if value >= cur:
            self._autoinc[table.id] = value + 1

    def persist_autoinc(self, table: TableInfo, txn) -> None:
        """At the end of a statement: write the counter if the statement raised it."""
        nxt = self._autoinc.get(table.id)
        if nxt is not None and nxt > self._autoinc_stored.get(table.id, 0):
            CatalogStore.put_autoinc(txn, table.id, nxt)
            self._autoinc_stored[table.id] = nxt

    def set_autoinc(self, table: TableInfo, value: int, txn) -> None:
        """ALTER TABLE ... AUTO_INCREMENT=N: as InnoDB, never below max(column) + 1."""
        nxt = max(int(value), self._max_auto(table, txn) + 1, 1)
        CatalogStore.put_autoinc(txn, table.id, nxt)
        self._autoinc.pop(table.id, None)
        self._autoinc_stored.pop(table.id, None)

    def peek_autoinc(self, table: TableInfo, view) -> int:
        """The value the next insert would get (SHOW CREATE TABLE's AUTO_INCREMENT=)."""
        nxt = self._autoinc.get(table.id)
        if nxt is not None:
            return nxt
        stored = CatalogStore.autoinc(view, table.id) or 0
        return max(stored, self._max_auto_view(table, view) + 1, 1)

    def _load_autoinc(self, table: TableInfo, txn) -> int:
        stored = CatalogStore.autoinc(txn.current_view(), table.id) or 0
        self._autoinc_stored[table.id] = stored
        return max(stored, self._max_auto(table, txn) + 1, 1)

    def _max_auto(self, table: TableInfo, txn) -> int:
        return self._max_auto_view(table, txn.current_view())

    def _max_auto_view(self, table: TableInfo, view) -> int:
        col = table.auto_increment_column
        if col is None:
            return 0
        reader = TableReader(table)
        if table.handle == HANDLE_INT and col.name.lower() == table.pk_columns[0].lower():
            return reader.last_handle(view) or 0
        if getattr(self.engine, "force_recovery", 0):  # SHOW CREATE TABLE of a dump
            view = _PastDamage(view)
        best = 0
        for row in reader.scan_rows(view):
            v = row[table.column_index(col.name)]
            if isinstance(v, int) and v > best:
                best = v
        return best

    def next_rowid(self, table: TableInfo, txn) -> int:
        nxt = self._rowid.get(table.id)
        if nxt is None:
            nxt = (TableReader(table).last_handle(txn.current_view()) or 0) + 1
        self._rowid[table.id] = nxt + 1
        return nxt

    def forget_autoinc(self, table_id: int) -> None:
        self._autoinc.pop(table_id, None)
        self._autoinc_stored.pop(table_id, None)
        self._rowid.pop(table_id, None)


def _locking(node: exp.Expression) -> bool:
    """Whether a query is a locking read (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE)."""
    return bool(node.args.get("locks"))


class Session:
    def __init__(self, db: Database, database: str | None = None, autocommit: bool = False):
        from core.sql.expr import EvalContext

        self.db = db
        self.current_db = database
        self.autocommit = autocommit
        self.txn = None
        self.txn_read_only = False  # START TRANSACTION READ ONLY: writes answer 1792
        self.warnings: list[tuple[str, int, str]] = []
        self.last_warnings: list[tuple[str, int, str]] = []
        self.ctx = EvalContext()
        self.ctx.compile_subquery = self._compile_subquery
        self.ctx.run_token = None
        self.ctx.runtime = None
        self._plans: OrderedDict = OrderedDict()
        self._planner: SelectPlanner | None = None
        self.statement_schema: Schema | None = None
        self.last_insert_id = 0
        self.last_ddl_job = 0  # the job id of the last DDL this session ran
        self.ddl_async = False  # Connection.submit_ddl: queue an online change, do not wait
        self.ddl_throttle: dict = {}  # ... and its batch_size / delay_ms, kept in the job
        self._row_count = -1  # ROW_COUNT() and FOUND_ROWS() of the last statement (`_run`)
        self._found_rows = 0
        self.cancel_token = CancelToken()
        self.cancel_token.state = "finished"
        self._mem = MemoryTracker()  # reset by each query (tidb_mem_quota_query)
        self._stream: RowStream | None = None  # an unbuffered query being read
        # Cancelling (see cancel, _begin_call, _end_call): the kind of the statement running,
        # whether the call's token is still unused, whether statements of a script follow.
        self.running: StatementKind | None = None
        self._token_fresh = False
        self._script_left = False
        self._script_cancelled = False
        self.event_sink: EventSink | None = None  # progress of this connection's statements
        self.ctx.system_variables.update(sysvars.DEFAULTS)  # @@foreign_key_checks, ...
        self.ctx.system_variables.update(db.global_limits)
        self.ctx.system_variables.update(db.global_vars)
        if database is not None:
            with db.engine.snapshot() as snap:
                if db.catalog.schema(snap).database(database) is None:
                    raise ProgrammingError(f"Unknown database '{database}'", errno=1049,
                                           sqlstate="42000")

    # -- helpers used by the runners ---------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Send a statement's progress to whoever watches this connection (the console's
        Indexes pane); nothing when nobody does.  A failing sink never fails the statement."""
        sink = self.event_sink
        if sink is not None:
            try:
                sink(event)
            except Exception:  # noqa: BLE001 - a watcher's bug is not the statement's
                pass

    def require_db(self) -> str:
        if not self.current_db:
            raise ProgrammingError("No database selected", errno=1046, sqlstate="3D000")
        return self.current_db

    def warn(self, code: int, message: str, level: str = "Warning") -> None:
        self.warnings.append((level, code, message))

    def table_info(self, schema: Schema, tnode: exp.Table, data: bool = False) -> TableInfo:
        """The table `tnode` names; `data=True` (a statement that reads or writes its rows)
        also refuses a table with a missing tablespace or a corruption flag."""
        t = self._table_info(schema, tnode)
        if data:
            self.db.require_usable(t, write=True)
        return t

    def _table_info(self, schema: Schema, tnode: exp.Table) -> TableInfo:
        if not isinstance(tnode, exp.Table) or not tnode.name:  # `INSERT INTO (a, b) ...`
            near = tnode.sql(dialect=dialect.Kintsugi)[:40] if tnode is not None else ""
            raise ProgrammingError(
                "You have an error in your SQL syntax; check the manual that corresponds to "
                f"your MySQL server version for the right syntax to use near '{near}' "
                "(a table name was expected)", errno=1064, sqlstate="42000")
        db = tnode.db or self.require_db()
        t = schema.table(db, tnode.name)
        if t is None and schema.view(db, tnode.name) is not None:
            raise views.write_refused(schema.view(db, tnode.name))
        refuse = getattr(self.db.virtual_schemas.get(db.lower()), "refusal", None)
        if t is None and refuse is not None and (refusal := refuse(tnode.name)) is not None:
            raise refusal  # a virtual table is no base table: no writes, no DESCRIBE
        if t is None:
            if tnode.db and schema.database(tnode.db) is None:
                raise ProgrammingError(f"Unknown database '{tnode.db}'", errno=1049,
                                       sqlstate="42000")
            raise ProgrammingError(f"Table '{db}.{tnode.name}' doesn't exist", errno=1146,
                                   sqlstate="42S02")
        return t

    def compile(self, node: exp.Expression, scope):
        from core.sql.expr import compile_expr

        return compile_expr(node, scope, self.ctx)

    def constant(self, node: exp.Expression):
        return self.compile(node, SourceScope([]))(())

    def planner(self) -> SelectPlanner:
        from core.sql.functions import make_aggregate
        from core.sql.types import sort_key

        if self._planner is None:
            self._planner = SelectPlanner(self.compile, self._resolve_table, self.ctx,
                                          sort_key, sysvars.group_concat_limited(
                                              make_aggregate, self))
            self._planner.flagged_indexes = self.db.flagged_indexes
            self._planner.row_estimate = self._row_estimate
        return self._planner

    def _row_estimate(self, t) -> int:
        from core.sql import infoschema

        return infoschema.approx_rows(self, t)

    def _resolve_table(self, db: str | None, name: str):
        from core.sql import infoschema

        schema = self.statement_schema
        dbname = db or self.require_db()
        if dbname.lower() == "information_schema":
            return infoschema.source(self, schema, name)
        virtual = self.db.virtual_schemas.get(dbname.lower())
        if virtual is not None and (found := virtual(self, schema, name)) is not None:
            return found  # mysql.gc_delete_range, mysql.tidb (core.gc.sqlsurface)
        t = schema.table(dbname, name)
        if t is None and schema.view(dbname, name) is not None:
            return views.source(self, schema.view(dbname, name))
        if t is None:
            if schema.database(dbname) is None:
                raise ProgrammingError(f"Unknown database '{dbname}'", errno=1049,
                                       sqlstate="42000")
            raise ProgrammingError(f"Table '{dbname}.{name}' doesn't exist", errno=1146,
                                   sqlstate="42S02")
        self.db.require_usable(t)
        return t

    def insert_plan(self, node, schema: Schema, replace: bool):
        from core.sql.insert import InsertPlan

        key = (id(node), schema.version, self.current_db, self.db.flags.generation,
               self.ctx.system_variables.get("sql_mode"))  # its SELECT's GROUP BY check
        hit = self._plans.get(key)
        if hit is not None and hit[0] is node:
            return hit[1]
        plan = InsertPlan(self, node, schema, replace)
        self._plans[key] = (node, plan)  # the node is kept alive, so its id stays unique
        if len(self._plans) > PLAN_CACHE:
            self._plans.popitem(last=False)
        return plan

    def _compile_subquery(self, node, outer_scope):
        return self.planner().compile_subquery(node, outer_scope)

    # -- transactions --------------------------------------------------------------------------

    def begin(self) -> None:
        self.implicit_commit()
        self.txn = binlog_vars.mark(self, begin(self.db.engine))

    def commit(self) -> None:
        self.txn_read_only = False
        if self._stream is not None:
            self.discard_stream()
        if self.txn is not None:
            txn, self.txn = self.txn, None
            try:
                txn.commit()
            finally:
                self._persist_flags()

    def rollback(self) -> None:
        self.txn_read_only = False
        if self._stream is not None:
            self.discard_stream()
        if self.txn is not None:
            txn, self.txn = self.txn, None
            try:
                txn.rollback()
            finally:
                self._persist_flags()

    # -- corruption flags --------------------------------------------------------------------

    def _note_corruption(self, err: CorruptionError) -> None:
        """A statement read a damaged row: flag its table (core.check.flags), written now in
        a small transaction of its own unless this session holds the writer lock (then at
        its COMMIT/ROLLBACK)."""
        try:
            self.db.flag_damage(err, self.statement_schema)
            self._persist_flags()
        except Exception:  # noqa: BLE001 - flagging must never hide the error itself
            pass

    def _persist_flags(self) -> None:
        """Bookkeeping put off while another transaction held the writer lock: corruption
        flags and index check records, written now in a small transaction of their own
        (which gives up quickly if the lock is still busy: they stay pending)."""
        if self.txn is not None and self.txn.trx_id is not None:
            return
        flags = self.db.flags
        if flags.pending:
            flags.persist(self.db.engine, begin_bookkeeping)
        if self.db.check_records:
            write_records(self.db.engine, begin_bookkeeping, (), None, self.db.check_records)

    def implicit_commit(self) -> None:
        self.commit()

    def close(self) -> None:
        self.rollback()

    # -- execution -----------------------------------------------------------------------------

    def execute(self, sql: str, params: Any = None, *, multi: bool = True,
                stream: bool = False) -> list[Result]:
        """Run every statement in `sql`, in order, stopping at the first error; returns one
        Result per statement.

        `multi=False` is MySQL without CLIENT_MULTI_STATEMENTS: text holding more than one
        statement fails with 1064 before any of it runs (the API passes False unless the
        connection was opened with ``multi_statements=True``; scripts go through
        `Cursor.executescript`).  Empty text fails with 1065 "Query was empty".
        `stream=True` leaves the last statement's rows, if it is a query, in the plan: its
        Result carries a `RowStream` (see `core.sql.stream`).
        """
        self._begin_call()
        try:
            return self._execute(sql, params, multi, stream)
        finally:
            self._end_call()

    def _execute(self, sql: str, params: Any, multi: bool, stream: bool) -> list[Result]:
        if type(sql) is not str:
            check_sql(sql)
        if params is not None and type(params) is not tuple and type(params) is not list:
            params = check_params(params)
        text, count, nodes = self.db.prepare(sql, params is not None)
        if not nodes:
            raise ProgrammingError("Query was empty", errno=1065, sqlstate="42000")
        if len(nodes) > 1 and not multi:
            try:
                dialect.parse_one(text)  # raises 1064 pointing at the second statement
            except ProgrammingError as err:
                raise ProgrammingError(
                    err.msg + " (execute() runs one statement: use executescript(), or "
                    "connect(..., multi_statements=True))", errno=1064, sqlstate="42000") from None
        params = list(params) if params is not None else []
        if count != len(params):
            raise ProgrammingError(
                f"statement has {count} placeholder(s) but {len(params)} parameter(s) given",
                errno=1210, sqlstate="HY000")
        if len(nodes) == 1:
            try:
                return [self._run(nodes[0], text, params, stream)]
            except (RecursionError, MemoryError) as e:
                raise _interpreter_limit(e) from None
        last = len(nodes) - 1
        results = []
        for i, node in enumerate(nodes):
            self._script_left = i < last
            results.append(self._guarded_run(node, node.sql(dialect=dialect.Kintsugi), params,
                                             stream and i == last))
        return results

    def execute_script(self, sql: str, *, stream: bool = False) -> Result:
        """Run the statements of a script in order, each on its own, stopping at the first
        error (the ones before it stay done, as with the `mysql` client); the last one's
        Result (streamed with `stream=True`).  An empty script runs nothing.  A cancel stops
        the statement running (if it can be interrupted) and the rest of the script."""
        self._begin_call()
        try:
            check_sql(sql)
            result = Result(rowcount=0)
            sql = version_comments.unwrap(sql)  # /*!40101 ... */ runs, as in MySQL
            texts = _one_statement(sql) or dialect.split_statements(sql)
            for i, text in enumerate(texts):  # parsed one by one: see split_statements
                ptext, _count, nodes = self.db.prepare(text, False)
                for j, node in enumerate(nodes):
                    last = i == len(texts) - 1 and j == len(nodes) - 1
                    self._script_left = not last
                    # the piece's own text keys the plan cache; regenerating it from the tree
                    # costs seconds for a pasted 60,000-row INSERT
                    key = ptext if len(nodes) == 1 else node.sql(dialect=dialect.Kintsugi)
                    result = self._guarded_run(node, key, [], stream and last)
            return result
        finally:
            self._end_call()

    def _guarded_run(self, node: exp.Expression, text: str, params: list,
                     stream: bool = False) -> Result:
        """`_run`, with the interpreter's own limits turned into MySQL errors: the depth
        limits (`core.sql.limits`) stop nesting long before the recursion limit, so a
        RecursionError here is a shape they do not foresee; it is reported as mysqld reports
        a stack overrun (1436).  The DML path has already rolled the statement back."""
        try:
            return self._run(node, text, params, stream)
        except (RecursionError, MemoryError) as e:
            raise _interpreter_limit(e) from None

    def executemany(self, sql: str, seq_of_params, *, multi: bool = True) -> Result:
        """Run one statement for each parameter tuple.  An INSERT ... VALUES runs as a single
        statement over all the tuples (as PyMySQL batches them): the plan is built once and
        a failure leaves none of the rows.  Other statements run one by one."""
        self._begin_call()
        try:
            return self._executemany(sql, seq_of_params, multi)
        finally:
            self._end_call()

    def _executemany(self, sql: str, seq_of_params, multi: bool) -> Result:
        check_sql(sql)
        if isinstance(seq_of_params, (str, bytes, dict)) or not hasattr(seq_of_params,
                                                                         "__iter__"):
            raise limits.bad_arguments("executemany", "a sequence of parameter sequences",
                                       seq_of_params)
        seq = [check_params(p) for p in seq_of_params]
        text, count, nodes = self.db.prepare(sql)
        if not nodes:
            raise ProgrammingError("Query was empty", errno=1065, sqlstate="42000")
        if len(nodes) > 1 and not multi:
            dialect.parse_one(text)
        for p in seq:
            if p is None or len(p) != count:
                raise ProgrammingError(
                    f"statement has {count} placeholder(s) but {len(p or ())} parameter(s) "
                    "given", errno=1210, sqlstate="HY000")
        if len(nodes) == 1 and isinstance(nodes[0], exp.Insert) and isinstance(
                nodes[0].expression, exp.Values):
            self._prepare_run(seq[0] if seq else [])
            if not seq:
                return Result(rowcount=0)
            try:
                return self._dml(nodes[0], text, params_list=seq)
            except RecursionError:
                raise limits.stack_overrun() from None
        total, last = 0, None
        for k, p in enumerate(seq):
            for i, node in enumerate(nodes):
                self._script_left = k < len(seq) - 1 or i < len(nodes) - 1
                last = self._guarded_run(node, text, list(p))
                total += max(last.rowcount, 0)
        return Result(rowcount=total, lastrowid=last.lastrowid if last else None)

    def cancel(self) -> bool:
        """Interrupt the statement running now (from another thread).  True if it will stop
        with ERROR 1317 and leave nothing behind (in a script, the statements after it do not
        run either); False if it is past the point of no return, or nothing runs."""
        if self.cancel_token.cancel():
            return True
        if self._script_left:  # an uninterruptible statement of a script: stop what follows
            self._script_cancelled = True
            return True
        return False

    def _begin_call(self) -> None:
        """A call from the API begins: its cancel token exists before anything else runs
        (parsing a big statement takes seconds, and a cancel meanwhile must reach it, not the
        token of the statement before)."""
        if self._stream is not None:  # any new command ends an unread result (as MySQL)
            self.discard_stream()
        self.cancel_token = CancelToken()
        self._token_fresh = True
        self._script_left = False
        self._script_cancelled = False

    def _end_call(self) -> None:
        """The call is over: nothing of it can be cancelled any more, except the rows of an
        unbuffered query still to be read (their stream keeps its token live)."""
        self._script_left = False
        stream = self._stream
        if stream is None or stream.done or stream.token is not self.cancel_token:
            self.cancel_token.settle()
            self.running = None

    def discard_stream(self) -> None:
        """Drop the rows of an unbuffered query still being read: the next statement, COMMIT
        and ROLLBACK need the evaluation context and the transaction to themselves."""
        stream = self._stream
        if stream is not None:
            self._stream = None
            stream.discard()

    def _prepare_run(self, params: list, text: str = "") -> None:
        # (an open stream was discarded when the call began: see _begin_call)
        if self._token_fresh:  # the call's own token: a cancel may already have come
            self._token_fresh = False
        else:  # the next statement of a script or multi-statement text
            self.cancel_token = CancelToken()
        if self._script_cancelled:
            self._script_cancelled = False
            raise QueryInterrupted()
        self.last_warnings, self.warnings = self.warnings, []
        self.ctx.warnings = self.warnings  # expressions warn through the context (1301, ...)
        self.ctx.params = params
        self.ctx.now = dt.datetime.now().replace(microsecond=0)
        self.ctx.current_db = self.current_db
        self.ctx.last_insert_id = self.last_insert_id
        self.ctx.run_token = object()
        sysvars = getattr(self.ctx, "system_variables", None)
        if isinstance(sysvars, dict):
            sysvars["autocommit"] = int(self.autocommit)
            if binlog_vars.mentions_gtids(text):  # @@gtid_executed moves with every commit
                binlog_vars.refresh(self.db)
            sysvars.update(self.db.global_vars)  # SET GLOBAL by another session
            _packet_tls.packet = sysvars.get("max_allowed_packet") or _DEFAULT_PACKET

    def _run(self, node: exp.Expression, text: str, params: list,
             stream: bool = False) -> Result:
        """One statement; afterwards ROW_COUNT() and FOUND_ROWS() (read by the next one) say
        what it did, as MySQL's: rows changed by DML, -1 after a result set or an error, 0
        after DDL and session statements; the rows a SELECT returned."""
        self.ctx.row_count = self._row_count
        self.ctx.found_rows = self._found_rows
        self._row_count = -1
        result = self._run_statement(node, text, params, stream)
        if result.names is not None:
            if result.rows is not None:
                self._found_rows = len(result.rows)
        else:
            self._row_count = max(result.rowcount, 0)
        return result

    def _run_statement(self, node: exp.Expression, text: str, params: list,
                       stream: bool = False) -> Result:
        self._prepare_run(params, text)
        kind = self.running = kind_of(node)
        if kind is StatementKind.QUERY and any(
                m.name.upper() == "SQL_CALC_FOUND_ROWS"
                for m in node.args.get("operation_modifiers") or []):
            raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                    "'SQL_CALC_FOUND_ROWS' (deprecated in MySQL 8.0.17: run "
                                    "SELECT COUNT(*) instead)", errno=1235, sqlstate="42000")
        if kind is StatementKind.QUERY:
            return self._stream_query(node, text) if stream else self._query(node, text)
        if kind is StatementKind.DML:
            return self._dml(node, text)
        if kind is StatementKind.CHECK:  # a long read: cancellable like a query
            from core.check import statement as check_statement

            names, rows = check_statement.run(self, node)
            return Result(names=names, rows=rows, rowcount=len(rows))
        if kind is StatementKind.INDEX_ADMIN:  # batches, cancellable between them
            handler = self.db.statement_handlers.get(type(node))
            if handler is not None:
                return handler(self, node)
        if kind is StatementKind.DDL:  # interruptible until it commits (see DDLRunner)
            DDLRunner(self).run(node, text)
            return Result(rowcount=0)
        self.cancel_token.finish()  # SHOW, transaction control: not interruptible
        if binlog_sql.handles(node):  # SHOW BINARY LOGS, PURGE/FLUSH [BINARY] LOGS, ...
            return binlog_sql.run(self, node)
        if kind is StatementKind.SESSION:
            return self._session_statement(node)
        if kind is StatementKind.SHOW:
            from core.sql import show

            if isinstance(node, dialect.AdminShowDDLJobs):
                count = node.args.get("count")
                return show.admin_show_ddl_jobs(self, int(count.this) if count else None,
                                                node.args.get("where"))
            return show.run(self, node, text)
        if kind in (StatementKind.ADMIN, StatementKind.INDEX_ADMIN):
            handler = self.db.statement_handlers.get(type(node))
            if handler is not None:  # job control and SHOW DDL (core.ddl)
                return handler(self, node)
            words = node.sql(dialect=dialect.Kintsugi).split()
            name = " ".join(words[:3] if words[0].upper() == "ADMIN" else words[:2]).upper()
            raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{name}'",
                                    errno=1235, sqlstate="42000")
        if sysvars.keys_toggle(self, node):  # ALTER TABLE t DISABLE KEYS: InnoDB's no-op
            return Result(rowcount=0)
        views.refuse_command(node)  # CREATE VIEW ... WITH CHECK OPTION names itself
        name = statement_name(text) or type(node).__name__
        raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{name}'",
                                errno=1235, sqlstate="42000")

    def _session_statement(self, node: exp.Expression) -> Result:
        """USE, BEGIN, COMMIT, ROLLBACK, SET."""
        if isinstance(node, exp.Use):
            name = node.this.name
            with self.db.engine.snapshot() as snap:
                if self.db.catalog.schema(snap).database(name) is None and \
                        name.lower() not in self.db.virtual_schemas:
                    raise ProgrammingError(f"Unknown database '{name}'", errno=1049,
                                           sqlstate="42000")
            self.current_db = name
            return Result(rowcount=0)
        if isinstance(node, exp.Transaction):
            read_only = sysvars.transaction_modes(node)  # READ ONLY / READ WRITE / ...
            self.begin()
            self.txn_read_only = read_only
        elif isinstance(node, exp.Commit):
            self.commit()
        elif isinstance(node, exp.Rollback):
            if node.args.get("savepoint") is not None:  # it rolled back everything
                raise sysvars.refusals.not_yet("ROLLBACK TO SAVEPOINT")
            self.rollback()
        else:
            return self._set(node)
        return Result(rowcount=0)

    def _set(self, node: exp.Set) -> Result:
        """SET: an item that fails leaves the items before it undone (MySQL checks them
        all first), so a refused ``SET @a = @@x, x = 0`` changes nothing."""
        saved = (dict(self.ctx.user_variables), dict(self.ctx.system_variables),
                 self.autocommit)
        try:
            result = self._set_items(node)
            global_vars.flush(self)  # SET GLOBAL tidb_gc_life_time ...: written durably
            return result
        except Exception:
            global_vars.discard(self)
            user, system, autocommit = saved
            self.ctx.user_variables.clear()
            self.ctx.user_variables.update(user)
            self.ctx.system_variables.clear()
            self.ctx.system_variables.update(system)
            self.autocommit = autocommit
            raise

    def _set_items(self, node: exp.Set) -> Result:
        keyword = "SESSION"  # MySQL: the last GLOBAL/SESSION keyword goes on to later items
        for item in node.expressions:
            if str(item.args.get("kind") or "").upper() in ("GLOBAL", "SESSION", "LOCAL"):
                keyword = str(item.args["kind"]).upper()
            sysvars.refuse_persist(item)  # SET PERSIST / PERSIST_ONLY: 1235, any variable
            if sqlmode.set_item(self, item):  # SET [GLOBAL] sql_mode, SET @@sql_mode
                continue
            target = item.this
            if isinstance(target, exp.EQ) and isinstance(target.this, exp.Parameter):
                # SET @v = expr: a user variable (names are case-insensitive); it was
                # accepted and dropped, so `SELECT @v` read NULL
                if target.expression.find(exp.Select) is not None:
                    raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                            "'SET @variable = (subquery)'")
                self.ctx.user_variables[target.this.name.lower()] = self.constant(
                    target.expression)
                continue
            if isinstance(target, exp.EQ) and isinstance(target.this, exp.SessionParameter):
                var = target.this.name.lower()
                scope = str(target.this.args.get("kind") or "session").upper()
                if global_vars.handles(var):  # kept in system.kdb (tidb_gc_*, reorg)
                    global_vars.assign(self, var, target.expression, scope)
                elif var in _LIMIT_VARIABLES:
                    self._set_limit(var, self.constant(target.expression), scope)
                elif var == "autocommit":
                    self._set_autocommit(target.expression)
                else:
                    sysvars.assign(self, var, target.expression, scope)
                continue
            if isinstance(target, exp.EQ) and isinstance(target.this, exp.Column):
                var = target.this.name.lower()
                if global_vars.handles(var):
                    global_vars.assign(self, var, target.expression,
                                       str(item.args.get("kind") or keyword))
                    continue
                if var in _LIMIT_VARIABLES:
                    self._set_limit(var, self.constant(target.expression),
                                    str(item.args.get("kind") or keyword))
                    continue
                if var == "autocommit":
                    self._set_autocommit(target.expression)
                    continue
                sysvars.assign(self, var, target.expression, str(item.args.get("kind") or
                                                                 keyword))
                continue
            # SET NAMES, SET CHARACTER SET, SET TRANSACTION: honoured, harmless or 1235
            sysvars.set_other(self, item)
        return Result(rowcount=0)

    def _set_autocommit(self, node: exp.Expression) -> None:
        on = bool(sysvars.boolean("autocommit", sysvars.value_of(self, node)))  # else 1231
        if on and not self.autocommit:
            self.commit()
        self.autocommit = on

    def _set_limit(self, var: str, value: Any, scope: str) -> None:
        """SET [GLOBAL|SESSION] of a resource limit.  The session value changes either way
        (so a test or a console can lower it for itself); GLOBAL also becomes the starting
        value of later sessions.  Out-of-range values are clamped with warning 1292, as
        mysqld does."""
        try:
            n = int(value)
        except (TypeError, ValueError, OverflowError):
            raise ProgrammingError(f"Incorrect argument type to variable '{var}'",
                                   errno=1232, sqlstate="42000") from None
        if var in _GLOBAL_ONLY and scope != "GLOBAL":
            raise ProgrammingError(f"Variable '{var}' is a GLOBAL variable and should be set "
                                   "with SET GLOBAL", errno=1229, sqlstate="HY000")
        lo, hi, step = _LIMIT_VARIABLES[var]
        clamped = min(max(n, lo), hi)
        clamped -= clamped % step
        if clamped != n:
            self.warn(1292, f"Truncated incorrect {var} value: '{value}'")
        self.ctx.system_variables[var] = clamped
        if scope == "GLOBAL":
            self.db.global_limits[var] = clamped

    # -- queries -------------------------------------------------------------------------------

    def _ensure_txn(self) -> None:
        """Outside autocommit, the first statement opens the transaction (PEP 249)."""
        if self.txn is None and not self.autocommit:
            self.txn = binlog_vars.mark(self, begin(self.db.engine))

    def _view(self, locking: bool = False):
        """(read view, closer) for a query: the transaction's snapshot, or a fresh one.  A
        locking read (SELECT ... FOR UPDATE / LOCK IN SHARE MODE) in a transaction takes the
        writer lock and reads the latest committed state, as InnoDB's locking reads do: no
        other transaction can change what it read until this one ends (waiting for the lock
        can time out with 1205).  In autocommit its lock would end with the statement, so it
        is an ordinary read, as in MySQL."""
        self._ensure_txn()
        if self.txn is not None:
            if locking:
                return self.txn.current_view(), None
            return self.txn.snapshot(), None
        snap = self.db.engine.snapshot()
        return snap, snap.close

    def _read_view(self, view) -> CancellableView:
        """The view a query's plan reads through: cancellable, and on a forced open
        (force_recovery >= 1) salvaging, skipping damaged rows (`RowSalvage`).  A normal
        open pays one attribute test per statement, nothing per row."""
        cview = CancellableView(view, self.cancel_token)
        level = getattr(self.db.engine, "force_recovery", 0)
        if level:
            cview.skip_damaged = RowSalvage(self.db, self.statement_schema, self.warnings,
                                            level)
        return cview

    def _plan(self, node, text, schema: Schema) -> Planned:
        key = (text, schema.version, self.current_db, self.db.flags.generation,
               self.ctx.system_variables.get("sql_mode"))  # ONLY_FULL_GROUP_BY is checked
        planned = self._plans.get(key)
        if planned is None:
            planned = self.planner().plan(node)
            self._plans[key] = planned
            if len(self._plans) > PLAN_CACHE:
                self._plans.popitem(last=False)
        return planned

    def _deadline(self, node) -> float | None:
        """When this SELECT times out (ERROR 3024): its MAX_EXECUTION_TIME(n) hint, else the
        session's max_execution_time, in milliseconds; 0 means never.  As in MySQL, only
        read-only SELECTs have one."""
        ms = self.ctx.system_variables.get("max_execution_time") or 0
        if type(node) is exp.Select and node.args.get("hint") is None:  # the common case
            return time.monotonic() + ms / 1000 if ms > 0 else None
        first = node
        while isinstance(first, (exp.SetOperation, exp.Subquery)):
            first = first.this
        hint = first.args.get("hint") if isinstance(first, exp.Select) else None
        if hint is not None:
            for h in hint.expressions:
                if isinstance(h, exp.Anonymous) and h.name.upper() == "MAX_EXECUTION_TIME" \
                        and h.expressions and h.expressions[0].is_int:
                    ms = int(h.expressions[0].this)
        return time.monotonic() + ms / 1000 if ms > 0 else None

    def _query(self, node, text) -> Result:
        view, close = self._view(_locking(node))
        try:
            self.cancel_token.deadline = self._deadline(node)
            self.statement_schema = self.db.schema(view)
            planned = self._plan(node, text, self.statement_schema)
            mem = self._mem
            mem.used = 0
            mem.quota = self.ctx.system_variables.get("tidb_mem_quota_query") or 0
            rt = Runtime(self._read_view(view), mem, self.cancel_token.check)
            self.ctx.runtime = rt
            rows = rt.mem.collect(planned.op.rows(rt))
            self.cancel_token.finish()
        except CorruptionError as e:
            if close:
                close()
                close = None
            self._note_corruption(e)
            raise
        finally:
            if close:
                close()
        return Result(names=planned.names, rows=rows, rowcount=len(rows),
                      origins=planned.origins)

    def _stream_query(self, node, text) -> Result:
        """A query whose rows stay in the running plan (an unbuffered cursor's): the same
        set-up as `_query`, without collecting; the RowStream owns the view from here."""
        view, close = self._view(_locking(node))
        try:
            self.cancel_token.deadline = self._deadline(node)
            self.statement_schema = self.db.schema(view)
            planned = self._plan(node, text, self.statement_schema)
            mem = self._mem
            mem.used = 0
            mem.quota = self.ctx.system_variables.get("tidb_mem_quota_query") or 0
            rt = Runtime(self._read_view(view), mem, self.cancel_token.check)
            self.ctx.runtime = rt
            rows = planned.op.rows(rt)
        except BaseException:
            if close:
                close()
            raise
        stream = self._stream = RowStream(list(planned.names), planned.origins,
                                          self._flagging(rows), close, self.cancel_token)
        return Result(names=stream.names, origins=planned.origins, stream=stream)

    def _flagging(self, rows):
        """The rows of a streamed query; a damaged row met while they are read flags its
        table as in a buffered query."""
        try:
            yield from rows
        except CorruptionError as e:
            self._note_corruption(e)
            raise

    def explain(self, node, text) -> Planned:
        view, close = self._view()
        try:
            self.statement_schema = self.db.schema(view)
            return self.planner().plan(node)
        finally:
            if close:
                close()

    # -- data changes --------------------------------------------------------------------------

    def _dml(self, node, text, params_list: list | None = None) -> Result:
        if self.txn_read_only and self.txn is not None:
            raise sysvars.read_only_transaction()
        strict = not node.args.get("ignore") and sqlmode.strict(self.ctx)
        self.ctx.errors_for = frozenset() if not strict else STRICT_WRITE_ERRORS \
            if isinstance(node, (exp.Insert, exp.Update)) else STRICT_DELETE_ERRORS
        try:
            return self._dml_run(node, text, params_list)
        except CorruptionError as e:
            self._note_corruption(e)
            raise
        finally:
            self.ctx.errors_for = frozenset()

    def _dml_run(self, node, text, params_list: list | None = None) -> Result:
        self._ensure_txn()
        own = self.txn is None  # autocommit: the statement is its own transaction
        txn = binlog_vars.mark(self, begin(self.db.engine)) if own else self.txn
        savepoint = None if own else txn.savepoint()
        try:
            view = CancellableView(txn.current_view(), self.cancel_token)
            schema = self.statement_schema = self.db.schema(view)
            self.ctx.runtime = Runtime(view, check=self.cancel_token.check)
            node = view_dml.through_views(self, schema, node)
            runner = DMLRunner(self)
            lastrowid = None
            if isinstance(node, exp.Insert):
                replace = isinstance(node, dialect.ReplaceInto)
                count, first_id = runner.insert(node, txn, schema, replace=replace,
                                                params_list=params_list)
                if first_id:
                    self.last_insert_id = first_id
                    lastrowid = first_id
            elif isinstance(node, exp.Update):
                with cte.statement_ctes(self.planner(), node):  # WITH ... UPDATE
                    count, _matched = runner.update(node, txn, schema)
            else:
                with cte.statement_ctes(self.planner(), node):  # WITH ... DELETE
                    count = runner.delete(node, txn, schema)
            self.cancel_token.finish()  # from here the statement counts as done
        except BaseException:
            if own:
                txn.rollback()
            else:
                txn.rollback_to_savepoint(savepoint)
            raise
        if own:
            txn.commit()
        else:
            txn.release_savepoint(savepoint)
        return Result(rowcount=count, lastrowid=lastrowid)

