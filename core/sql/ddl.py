"""DDL statements.

Each DDL statement runs in a transaction of its own (MySQL commits the session's open
transaction first) and records a job row in system.kdb (DESIGN.md, DDL jobs): the job is
written as `running` and finishes as `synced` in the same transaction, so today's synchronous
DDL already leaves the history that `ADMIN SHOW DDL JOBS` and the console show, and the
asynchronous job worker can take over the same rows later.  DROP and TRUNCATE keep the old
tablespace and queue it as a GC delete range, so `RECOVER TABLE` can bring it back.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlglot import exp

from core.catalog import gcranges
from core.catalog.model import (
    HANDLE_CLUSTERED,
    HANDLE_INT,
    HANDLE_ROWID,
    ColumnInfo,
    DatabaseInfo,
    DDLJob,
    IndexInfo,
    TableInfo,
)
from core.catalog.store import _U64, SYSTEM, CatalogStore, Schema
from core.check.flags import clear_table_flags
from core.errors import (
    Error,
    LockWaitTimeoutError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from core.events import JobState, SchemaState
from core.sql import alter_table, binlog_vars, keyparts, limits, refusals, views
from core.sql.statements import statement_name
from core.sql.types import BLOB_KINDS, TEXT_KINDS, SqlType
from core.txn import begin

if TYPE_CHECKING:
    from core.sql.host import StatementHost

INT_KINDS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT"}
NOOP = object()  # a DDL handler's answer when IF [NOT] EXISTS leaves nothing to do
QUEUED = object()  # a DDL handler's answer when the job's steps are the DDL worker's


class JobInTheWay(Exception):
    """A DDL met a table that an unfinished job works on: wait for it, then try again."""

    def __init__(self, job: DDLJob):
        super().__init__(job.job_id)
        self.job = job


def _blocked(job: DDLJob, why: str) -> LockWaitTimeoutError:
    return LockWaitTimeoutError(
        f"Lock wait timeout exceeded; try restarting transaction (table "
        f"`{job.db_name}`.`{job.table_name}` has DDL job {job.job_id} ({job.job_type}), which "
        f"{why}: ADMIN RESUME DDL JOBS {job.job_id} or ADMIN CANCEL DDL JOBS {job.job_id} "
        "lets this statement run)")


def err(msg: str, errno: int, sqlstate: str = "42000") -> ProgrammingError:
    return ProgrammingError(msg, errno=errno, sqlstate=sqlstate)


class DDLRunner:
    """Runs one DDL statement for a session."""

    def __init__(self, session: StatementHost):
        self.s = session
        self.store: CatalogStore = session.db.catalog
        self._forget_flags: list[tuple[int, int | None]] = []  # applied once committed

    # -- the job wrapper ------------------------------------------------------------------

    def run(self, node: exp.Expression, query: str, step=None):
        """`step(node, txn, schema, job)` replaces the statement dispatch: a package above
        SQL (core.gc's RECOVER TABLE) runs its one-step job through this same wrapper."""
        s = self.s
        s.implicit_commit()
        while True:
            txn = binlog_vars.mark(s, begin(s.db.engine))  # sql_log_bin=0: not logged
            try:
                schema = self.store.schema(txn.current_view())
                job = self._new_job(txn, query)
                result = (step or self._dispatch)(node, txn, schema, job)
                if not job.schema_id and job.db_name:
                    db = schema.database(job.db_name)
                    job.schema_id = db.id if db is not None else 0
                if result is NOOP:  # IF [NOT] EXISTS found nothing to do: no job, no commit
                    txn.rollback()
                    return None
                if result is QUEUED:  # an online change: the DDL worker runs its steps
                    return self._queued(txn, job)
                job.state = JobState.SYNCED
                job.end_time = s.db.now()
                job.note("synced", "one atomic step")
                self.s.last_ddl_job = job.job_id
                self.store.put_job(txn, job)
                if txn.binlog_ddl is None:  # the binary log replays it as its statement
                    txn.binlog_ddl = (s.current_db, job.query)
                s.cancel_token.finish()  # the point of no return (1317 if cancelled first)
                s.db.commit_schema_change(txn)
            except JobInTheWay as blocked:
                txn.rollback()
                self._wait_out(blocked.job)
                continue
            except BaseException:
                txn.rollback()
                raise
            self._flags_committed()
            return result

    def _queued(self, txn, job: DDLJob):
        """Commit the job as queued and wait for it, as TiDB's DDL statement does; its
        failure (1062, 8214 cancelled) is this statement's."""
        queue = self.s.db.ddl_jobs
        job.args.update(self.s.ddl_throttle)
        # the worker's last step logs the statement to the binary log, run in this database
        job.args["session_db"] = self.s.current_db
        if txn.binlog_skip:  # sql_log_bin=0: the last step is not logged
            job.args["binlog_skip"] = True
        txn.binlog_rows = False
        try:
            queue.submit(txn, job)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
        queue.submitted(job)
        self.s.last_ddl_job = job.job_id
        token = self.s.cancel_token
        if self.s.ddl_async:
            token.settle()
            return None
        try:
            done = queue.wait(job.job_id, check=token.check)
            for errno, msg in done.args.get("warnings") or ():  # a non-strict conversion
                self.s.warn(errno, msg)
        except OperationalError as err:
            if err.errno != 1317:
                raise
            # the statement was cancelled while its job ran: cancel the job and wait for
            # its roll-back, so that nothing of the statement is left; a job too far on to
            # be cancelled finishes, and the statement stands
            answer = queue.cancel(job.job_id)
            try:
                queue.wait(job.job_id)
            except OperationalError as ended:
                if ended.errno == 8214:
                    raise err from None  # 1317: interrupted, the job rolled back
                raise
            if answer.startswith("error"):
                return None
            raise
        token.settle()
        return None

    def _wait_out(self, job: DDLJob) -> None:
        """Another job works on this statement's table: wait for it to finish, as TiDB runs
        a table's jobs in order; not for a paused one (1205 at once, naming it: only the DBA
        can move it).  Cancelling the statement stops the wait (1317; nothing was done)."""
        queue = self.s.db.ddl_jobs
        while True:
            if job.state is JobState.PAUSED:
                raise _blocked(job, "is paused")
            try:
                job = queue.wait(job.job_id, timeout=1.0, check=self.s.cancel_token.check)
            except OperationalError as err:
                if err.errno == 1317:
                    raise
                return  # its failure is its own; this statement goes on
            except Error:
                return
            if job.state.finished:
                return

    def _no_job_on(self, table: TableInfo) -> None:
        queue = self.s.db.ddl_jobs
        if queue is None:
            return
        job = queue.unfinished_on(table.id)
        if job is not None:
            raise JobInTheWay(job)

    def _flags_committed(self) -> None:
        """The DDL removed flags in its transaction: drop them from memory too."""
        flags = getattr(self.s.db, "flags", None)
        if not self._forget_flags or flags is None or not flags:
            return
        for tid, iid in self._forget_flags:
            flags.forget(tid, iid)
        with self.s.db.engine.snapshot() as snap:
            flags.reload(snap)

    def _fresh_id(self, txn, table_id: int) -> None:
        """A new table id starts clean: no counter or flags left by an earlier table that had
        the same id (ids are reused once a dropped table's file is gone)."""
        self.store.delete_autoinc(txn, table_id)
        clear_table_flags(txn, table_id)
        self._forget_flags.append((table_id, None))

    def _new_job(self, txn, query: str) -> DDLJob:
        now = self.s.db.now()  # the time RECOVER compares with the GC safe point
        return DDLJob(job_id=self.store.next_job_id(txn), db_name="", table_name="",
                      job_type="", schema_state=SchemaState.PUBLIC, schema_id=0, table_id=0,
                      row_count=0, create_time=now, start_time=now, end_time=None,
                      state=JobState.RUNNING, query=query.strip())

    def _dispatch(self, node, txn, schema: Schema, job: DDLJob):
        if isinstance(node, exp.Create):
            kind = (node.args.get("kind") or "").upper()
            if kind in ("DATABASE", "SCHEMA"):
                return self.create_database(node, txn, schema, job)
            if kind == "TABLE":
                if _is_temporary(node):  # it would be a permanent table other sessions see
                    raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                            "'CREATE TEMPORARY TABLE'", errno=1235,
                                            sqlstate="42000")
                return self.create_table(node, txn, schema, job)
            if kind == "INDEX":
                refusals.check_create_index(node, self.s.warn)  # DESC key parts: a Note
                return self.create_index(node, txn, schema, job)
            if kind == "VIEW":
                return views.create_view(self.s, self.store, node, txn, schema, job)
        if isinstance(node, exp.Drop):
            kind = (node.args.get("kind") or "").upper()
            if kind in ("DATABASE", "SCHEMA"):
                return self.drop_database(node, txn, schema, job)
            if kind == "TABLE":
                if node.args.get("temporary"):  # none exist, and it never drops a table
                    return self.drop_temporary(node)
                return self.drop_tables(node, txn, schema, job)
            if kind == "VIEW":
                dropped = views.drop_views(self.s, self.store, node, txn, schema, job)
                return None if dropped else NOOP
            if kind == "INDEX":
                if node.args.get("cluster") is None:  # `DROP INDEX i` names no table
                    raise ProgrammingError(
                        "You have an error in your SQL syntax; check the manual that "
                        "corresponds to your MySQL server version for the right syntax to use "
                        "near '' at line 1 (DROP INDEX needs ON table_name)", errno=1064,
                        sqlstate="42000")
                table = self._table(schema, node.args["cluster"].this)
                return self.drop_index(table, node.this.name if node.this else
                                       node.args["tables"][0].name, txn, job,
                                       bool(node.args.get("exists")))
        if isinstance(node, exp.TruncateTable):
            return self.truncate(node, txn, schema, job)
        if isinstance(node, exp.Alter):
            if (node.args.get("kind") or "").upper() == "VIEW":
                return views.alter_view(self.s, self.store, node, txn, schema, job)
            return self.alter(node, txn, schema, job)
        if type(node).__name__ == "RenameTable":
            return self.rename(node, txn, schema, job)
        raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                f"'{statement_name(node.sql(dialect='mysql'))}'", errno=1235,
                                sqlstate="42000")

    # -- databases ------------------------------------------------------------------------

    def create_database(self, node, txn, schema: Schema, job):
        name = node.this.name
        limits.check_identifier(name)
        job.job_type, job.db_name = "create schema", name
        if schema.database(name) or reserved_database(self.s, name):
            if node.args.get("exists"):
                self.s.warn(1007, f"Can't create database '{name}'; database exists", "Note")
                return NOOP
            raise err(f"Can't create database '{name}'; database exists", 1007, "HY000")
        db_id = max([d.id for d in schema.databases.values()] + [_dropped_db_id(txn)]) + 1
        job.schema_id = db_id
        self.store.put_database(txn, DatabaseInfo(name=name, id=db_id, created=time.time()))
        return None

    def drop_database(self, node, txn, schema: Schema, job):
        name = node.args["tables"][0].name if node.args.get("tables") else node.this.name
        job.job_type, job.db_name, job.schema_state = "drop schema", name, SchemaState.NONE
        db = schema.database(name)
        if db is None:
            if node.args.get("exists"):
                self.s.warn(1008, f"Can't drop database '{name}'; database doesn't exist",
                            "Note")
                return NOOP
            raise err(f"Can't drop database '{name}'; database doesn't exist", 1008, "HY000")
        job.schema_id = db.id
        for t in schema.tables_in(db.name):
            self._no_job_on(t)
        for t in schema.tables_in(db.name):
            self._drop_one(txn, t, job)
        # what FLASHBACK DATABASE puts back (its tables' ranges carry this job's id)
        job.args = {"database": db.to_dict(),
                    "views": [v.to_dict() for v in schema.views_in(db.name)]}
        txn.put(SYSTEM, DROPPED_DB_ID_KEY, _U64.pack(max(db.id, _dropped_db_id(txn))))
        views.drop_database_views(self.store, txn, schema, db.name)
        self.store.delete_database(txn, db.name)
        if self.s.current_db and self.s.current_db.lower() == name.lower():
            self.s.current_db = None
        return None

    # -- tables ---------------------------------------------------------------------------

    def create_table(self, node, txn, schema: Schema, job):
        tnode = node.this.this if isinstance(node.this, exp.Schema) else node.this
        db = self._db(schema, tnode)
        name = tnode.name
        job.job_type, job.db_name, job.table_name, job.schema_id = (
            "create table", db.name, name, db.id)
        if schema.table(db.name, name) or schema.view(db.name, name):
            if node.args.get("exists"):
                self.s.warn(1050, f"Table '{name}' already exists", "Note")
                return NOOP
            raise err(f"Table '{name}' already exists", 1050, "42S01")
        if not isinstance(node.this, exp.Schema):
            raise NotSupportedError("CREATE TABLE ... AS SELECT / LIKE is not supported yet")
        limits.check_identifier(name)
        refusals.check_create_table(node, self.s.warn)  # CHECK, FOREIGN KEY, _ci: 1235
        info = self._table_info(node.this, db.name, name)
        info.id = txn.create_space(db.name, name)
        info.created = time.time()
        job.table_id = info.id
        self._fresh_id(txn, info.id)
        start = _autoinc_option(node.args.get("properties"))
        if start is not None and start > 1:
            self.store.put_autoinc(txn, info.id, start)
        self.store.put_table(txn, info)
        return None

    def _table_info(self, sch: exp.Schema, db: str, name: str) -> TableInfo:
        from core.sql.types import SqlType, coerce

        columns: list[ColumnInfo] = []
        indexes: list[IndexInfo] = []
        pk: list[str] = []
        seen: set[str] = set()
        for item in sch.expressions:
            if not isinstance(item, exp.ColumnDef):
                continue
            cname = item.name
            limits.check_identifier(cname)
            if cname.lower() in seen:
                raise err(f"Duplicate column name '{cname}'", 1060)
            if len(seen) >= limits.MAX_COLUMNS:
                raise err("Too many columns", 1117, "HY000")
            seen.add(cname.lower())
            kind = item.args.get("kind")
            if kind is None:
                raise err(f"Column '{cname}' has no type", 1064)
            col = ColumnInfo(id=len(columns) + 1, name=cname,
                             type=SqlType.from_sqlglot(kind, cname))
            default_node = None
            for cons in item.args.get("constraints") or []:
                k = cons.args.get("kind")
                if isinstance(k, exp.NotNullColumnConstraint):
                    col.nullable = bool(k.args.get("allow_null"))
                elif isinstance(k, exp.PrimaryKeyColumnConstraint):
                    if pk:
                        raise err("Multiple primary key defined", 1068)
                    pk = [cname]
                elif isinstance(k, exp.UniqueColumnConstraint):
                    indexes.append(IndexInfo(0, cname, [cname], unique=True))
                elif isinstance(k, exp.AutoIncrementColumnConstraint):
                    col.auto_increment = True
                elif isinstance(k, exp.DefaultColumnConstraint):
                    default_node = k.this
                elif isinstance(k, exp.CommentColumnConstraint):
                    col.comment = k.this.name
            if default_node is not None and col.type.kind == "JSON" and \
                    not isinstance(default_node, (exp.Paren, exp.Null)):
                # MySQL 8.0.13+ takes an expression default, DEFAULT (JSON_ARRAY()), only
                raise err(f"BLOB, TEXT, GEOMETRY or JSON column '{cname}' can't have a default "
                          "value", 1101)
            if default_node is not None:
                if isinstance(default_node, (exp.CurrentTimestamp,)) or (
                        isinstance(default_node, exp.Anonymous)
                        and default_node.name.upper() in ("NOW", "CURRENT_TIMESTAMP")):
                    col.default_now = True
                    col.has_default = True
                else:
                    try:
                        value = self.s.constant(default_node)
                        col.default = None if value is None else coerce(value, col.type, cname)
                    except Exception as e:
                        raise err(f"Invalid default value for '{cname}'", 1067) from e
                    if value is None and not col.nullable:
                        raise err(f"Invalid default value for '{cname}'", 1067)
                    col.has_default = True
            columns.append(col)
        pk_lengths: list[int | None] = []
        for item in refusals.table_elements(sch):  # CONSTRAINT name PRIMARY KEY / UNIQUE
            if isinstance(item, exp.PrimaryKey):
                if pk:
                    raise err("Multiple primary key defined", 1068)
                pk, pk_lengths = keyparts.key_parts(item.expressions)
            elif isinstance(item, exp.IndexColumnConstraint):
                cols, lengths = keyparts.key_parts(item.expressions)
                iname = item.this.name if item.this else ""
                indexes.append(IndexInfo(0, iname, cols, lengths=lengths))
            elif isinstance(item, exp.UniqueColumnConstraint):
                target = item.this
                cols, lengths = keyparts.key_parts(target.expressions if target else [])
                iname = target.this.name if target is not None and target.this else ""
                indexes.append(IndexInfo(0, iname, cols, unique=True, lengths=lengths))
        if not columns:
            raise err("A table must have at least 1 column", 1113)
        by_name = {c.name.lower(): c for c in columns}
        if pk:
            pk_lengths = check_key("PRIMARY", pk, by_name, pk_lengths, True)
        for ix in indexes:
            ix.lengths = check_key(ix.name, ix.columns, by_name, ix.lengths, ix.unique,
                                   self.s.warn)
        pk = [by_name[c.lower()].name for c in pk]
        for c in pk:
            by_name[c.lower()].nullable = False
        autos = [c for c in columns if c.auto_increment]
        if len(autos) > 1 or (autos and autos[0].name not in pk[:1] and not any(
                ix.columns[0].lower() == autos[0].name.lower() for ix in indexes)):
            raise err("Incorrect table definition; there can be only one auto column and it "
                      "must be defined as a key", 1075)
        if autos and autos[0].type.kind not in INT_KINDS:
            raise err(f"Incorrect column specifier for column '{autos[0].name}'", 1063)
        info = TableInfo(id=0, schema=db, name=name, columns=columns, pk_columns=pk)
        if len(pk) == 1 and by_name[pk[0].lower()].type.kind in INT_KINDS:
            info.handle = HANDLE_INT
        elif pk and not pk_lengths:
            info.handle = HANDLE_CLUSTERED
        else:  # a primary key with a prefix part is a unique index (TiDB's NONCLUSTERED)
            info.handle = HANDLE_ROWID
        all_ix = ([IndexInfo(0, "PRIMARY", pk, unique=True, primary=True, lengths=pk_lengths)]
                  if pk else []) + indexes
        names: set[str] = set()
        for i, ix in enumerate(all_ix, start=1):
            ix.id = i
            if not ix.name:
                base = ix.columns[0]
                cand, n = base, 2
                while cand.lower() in names:
                    cand, n = f"{base}_{n}", n + 1
                ix.name = cand
            if ix.name.lower() in names:
                raise err(f"Duplicate key name '{ix.name}'", 1061)
            names.add(ix.name.lower())
        info.indexes = all_ix
        info.next_column_id = len(columns) + 1
        info.next_index_id = len(all_ix) + 1
        info.__post_init__()
        return info

    def drop_tables(self, node, txn, schema: Schema, job):
        tables = node.args.get("tables") or []
        found: list[TableInfo] = []
        missing: list[str] = []
        named: set[tuple[str, str]] = set()
        for t in tables:
            db = t.db or self.s.require_db()
            key = (db.lower(), t.name.lower())
            if key in named:  # MySQL: DROP TABLE a, a is 1066, before anything is looked up
                raise err(f"Not unique table/alias: '{t.name}'", 1066)
            named.add(key)
            info = schema.table(db, t.name)
            if info is None:
                self._virtual(db, t.name)
                missing.append(f"{db}.{t.name}")
            else:  # each named once (1066 above): never found twice
                self._no_job_on(info)
                found.append(info)
        if missing and not node.args.get("exists"):
            raise err(f"Unknown table '{','.join(missing)}'", 1051, "42S02")
        job.job_type, job.schema_state = "drop table", SchemaState.NONE
        for m in missing:
            self.s.warn(1051, f"Unknown table '{m}'", "Note")
        if not found:
            return NOOP
        for n, info in enumerate(found):  # one job per table, as TiDB: RECOVER BY JOB
            one = job if n == 0 else self._new_job(txn, job.query)
            one.job_type, one.schema_state = job.job_type, job.schema_state
            one.db_name, one.table_name, one.table_id = info.schema, info.name, info.id
            db = schema.database(info.schema)
            one.schema_id = db.id if db else 0
            self._drop_one(txn, info, one)
            if one is not job:  # the first is the statement's own, written by run()
                one.state, one.end_time = JobState.SYNCED, self.s.db.now()
                one.note("synced", "one atomic step (one job per table of the DROP)")
                self.store.put_job(txn, one)
        return None

    def drop_temporary(self, node) -> object:
        """DROP TEMPORARY TABLE: this engine has no temporary tables, so every name is
        MySQL's unknown temporary table (1051, a note under IF EXISTS); a base table of that
        name is not touched, as in MySQL."""
        missing = [f"{t.db or self.s.require_db()}.{t.name}"
                   for t in node.args.get("tables") or []]
        if not node.args.get("exists"):
            raise err(f"Unknown table '{','.join(missing)}'", 1051, "42S02")
        for m in missing:
            self.s.warn(1051, f"Unknown table '{m}'", "Note")
        return NOOP

    def _drop_one(self, txn, info: TableInfo, job: DDLJob) -> None:
        self.store.delete_table(txn, info.id)
        gcranges.put(txn, gcranges.table_range(info, job.job_id, self.s.db.now()))
        clear_table_flags(txn, info.id)  # dropping a table repairs it, as far as flags go
        self._forget_flags.append((info.id, None))

    def truncate(self, node, txn, schema: Schema, job):
        tnode = node.expressions[0]
        info = self._table(schema, tnode)
        job.job_type, job.db_name, job.table_name = "truncate table", info.schema, info.name
        new = TableInfo.from_dict(info.to_dict())
        new.id = txn.create_space(info.schema, info.name)
        job.table_id = new.id
        job.args["old_table_id"] = info.id  # what FLASHBACK TABLE ... TO brings back
        self._fresh_id(txn, new.id)  # TRUNCATE restarts the counter at 1, as MySQL
        self._drop_one(txn, info, job)
        self.store.put_table(txn, new)
        self.s.db.forget_autoinc(info.id)
        return None

    def rebuild(self, info: TableInfo, txn, job):
        """ALTER TABLE t FORCE / ENGINE=...: a table rebuild job (core.ddl.rebuild) copies
        every row into a new tablespace and builds every index again (MySQL's table
        rebuild), online.  It repairs index damage and clears the table's corruption flags;
        a row that fails its checksum stops it (1877): such a table is dumped under
        force_recovery and re-created instead."""
        alter_table.force_job(self, info, job)
        return QUEUED

    def rename(self, node, txn, schema: Schema, job):
        pending = {t.id: t for t in schema.tables_by_id.values()}
        pending_views = dict(schema.views)  # a view is renamed too, within its database
        job.job_type = "rename table"
        for pair in node.expressions:
            src, dst = pair.this, pair.args["to"]
            info = self._find_pending(pending, src)
            if info is None:
                db = src.db or self.s.require_db()
                if (db.lower(), src.name.lower()) in pending_views:
                    views.rename_view(self.store, txn, pending_views, db, src.name,
                                      self._db(schema, dst).name, dst.name,
                                      self._find_pending(pending, dst) is not None)
                    job.db_name, job.table_name = db, dst.name
                    continue
                raise err(f"Table '{db}.{src.name}' doesn't exist", 1146, "42S02")
            self._no_job_on(info)
            new_db = self._db(schema, dst).name
            limits.check_identifier(dst.name)
            if self._find_pending(pending, dst) is not None or \
                    (new_db.lower(), dst.name.lower()) in pending_views:
                raise err(f"Table '{dst.name}' already exists", 1050, "42S01")
            updated = TableInfo.from_dict(dict(info.to_dict(), schema=new_db, name=dst.name))
            pending[info.id] = updated
            job.db_name, job.table_name, job.table_id = new_db, dst.name, info.id
            self.store.put_table(txn, updated)
        return None

    def _find_pending(self, pending, tnode):
        db = (tnode.db or self.s.require_db()).lower()
        for t in pending.values():
            if t.schema.lower() == db and t.name.lower() == tnode.name.lower():
                return t
        return None

    # -- indexes ----------------------------------------------------------------------------

    def create_index(self, node, txn, schema: Schema, job):
        ix_node = node.this
        table = self._table(schema, ix_node.args["table"])
        params = ix_node.args.get("params")
        listed = params.args.get("columns") if params else None
        if not listed:  # `CREATE INDEX i ON t` without a column list
            raise ProgrammingError(
                "You have an error in your SQL syntax; CREATE INDEX needs a column list",
                errno=1064, sqlstate="42000")
        cols, lengths = keyparts.key_parts(listed)
        unique = bool(node.args.get("unique"))
        return self.add_index(table, ix_node.name, cols, unique, txn, job,
                              bool(node.args.get("exists")), lengths)

    def add_index(self, table: TableInfo, name: str, cols: list[str], unique: bool, txn, job,
                  if_not_exists: bool = False, lengths: list[int | None] | None = None):
        job.job_type, job.db_name, job.table_name, job.table_id = (
            "add index", table.schema, table.name, table.id)
        if not cols:
            raise err("Index needs at least one column", 1064)
        lengths = check_key(name, cols, {c.name.lower(): c for c in table.columns}, lengths,
                            unique, self.s.warn)
        if not name:  # MySQL names it after its first column: a, then a_2, a_3, ...
            base = name = table.column(cols[0]).name
            n = 2
            while table.index(name) is not None:
                name, n = f"{base}_{n}", n + 1
        if table.index(name) is not None:
            if if_not_exists:
                self.s.warn(1061, f"Duplicate key name '{name}'", "Note")
                return NOOP
            raise err(f"Duplicate key name '{name}'", 1061)
        self._require_space(table)
        ix = IndexInfo(0, name, [table.column(c).name for c in cols], unique=unique,
                       lengths=lengths)
        job.args = {"index": ix.to_dict()}
        job.schema_state = SchemaState.NONE
        return QUEUED

    def drop_index(self, table: TableInfo, name: str, txn, job, if_exists: bool = False):
        job.job_type, job.db_name, job.table_name, job.table_id = (
            "drop index", table.schema, table.name, table.id)
        ix = table.index(name)
        if ix is None or (ix.primary and table.handle != HANDLE_ROWID):
            if if_exists and ix is None:
                self.s.warn(1091, f"Can't DROP '{name}'; check that column/key exists", "Note")
                return NOOP
            if ix is not None:
                raise NotSupportedError("dropping the primary key of a table whose handle it "
                                        "is is not supported yet")
            raise err(f"Can't DROP '{name}'; check that column/key exists", 1091)
        job.args = {"index_id": ix.id, "index_name": ix.name}
        job.schema_state = SchemaState.PUBLIC
        return QUEUED

    def alter(self, node, txn, schema: Schema, job):
        table = self._table(schema, node.this)
        actions = node.args.get("actions") or []
        options = node.args.get("options") or []
        if options and not actions:
            return self._alter_options(table, options, txn, job)
        if len(actions) == 1 and isinstance(actions[0], exp.ForceProperty):
            return self.rebuild(table, txn, job)
        if len(actions) == 1 and options and _index_action(actions[0]) and \
                _online_options(options):
            # `ADD INDEX ..., ALGORITHM=INPLACE, LOCK=NONE`, as MySQL DBAs write it: the
            # index job is online already (ALGORITHM=COPY asks for a table copy: below)
            if any(_option_word(o) == "INSTANT" for o in options):
                raise err("ALGORITHM=INSTANT is not supported for this operation. Try "
                          "ALGORITHM=COPY/INPLACE.", 1845, "0A000")
            options = []
        if len(actions) != 1 or options:  # several actions: one job (multi-schema change)
            return alter_table.plan(self, table, node, txn, schema, job, queued=QUEUED,
                                    check_key=check_key)
        act = actions[0]
        refusals.check_alter_action(act, self.s.warn)  # ADD CHECK, FOREIGN KEY: 1235
        if isinstance(act, exp.AddConstraint):
            c = act.expressions[0]
            if isinstance(c, exp.IndexColumnConstraint):
                cols, lengths = keyparts.key_parts(c.expressions)
                return self.add_index(table, c.this.name if c.this else "", cols, False,
                                      txn, job, lengths=lengths)
            if isinstance(c, exp.UniqueColumnConstraint):
                target = c.this
                cols, lengths = keyparts.key_parts(target.expressions)
                name = target.this.name if target.this else ""
                return self.add_index(table, name, cols, True, txn, job, lengths=lengths)
        if isinstance(act, exp.Drop) and (act.args.get("kind") or "").upper() == "INDEX":
            return self.drop_index(table, act.args["tables"][0].name, txn, job,
                                   bool(act.args.get("exists")))
        return alter_table.plan(self, table, node, txn, schema, job, queued=QUEUED,
                                check_key=check_key)  # columns, keys, renames

    def _alter_options(self, table: TableInfo, options: list, txn, job):
        """Table options: AUTO_INCREMENT=N sets the counter (never below the column's
        largest value + 1, as InnoDB); ENGINE=... rebuilds the table, as MySQL does for
        `ALTER TABLE t ENGINE=InnoDB` on an InnoDB table."""
        rebuild = False
        for opt in options:
            if isinstance(opt, exp.AutoIncrementProperty):
                job.job_type, job.db_name, job.table_name, job.table_id = (
                    "modify table auto_increment", table.schema, table.name, table.id)
                value = _autoinc_option(exp.Properties(expressions=[opt]))
                self.s.db.set_autoinc(table, value or 1, txn)
            elif isinstance(opt, exp.EngineProperty):
                rebuild = True
            else:
                raise NotSupportedError(f"ALTER TABLE option not supported yet: "
                                        f"{opt.sql(dialect='mysql')[:60]}")
        if rebuild:
            return self.rebuild(table, txn, job)
        return None

    # -- helpers ----------------------------------------------------------------------------

    def _require_space(self, table: TableInfo) -> None:
        """A DDL that reads the rows needs the table's file (a missing one reads as empty)."""
        missing = getattr(self.s.db.engine, "missing_spaces", None)
        if missing and table.id in missing:
            from core.errors import TablespaceMissingError

            raise TablespaceMissingError(
                f"Tablespace is missing for table `{table.schema}`.`{table.name}`.")

    def _db(self, schema: Schema, tnode) -> DatabaseInfo:
        name = tnode.db or self.s.require_db()
        db = schema.database(name)
        if db is None:
            self._virtual(name, tnode.name, create=True)
            raise err(f"Unknown database '{name}'", 1049)
        return db

    def _table(self, schema: Schema, tnode) -> TableInfo:
        db = tnode.db or self.s.require_db()
        t = schema.table(db, tnode.name)
        if t is None:
            self._virtual(db, tnode.name)
            raise err(f"Table '{db}.{tnode.name}' doesn't exist", 1146, "42S02")
        self._no_job_on(t)
        return t

    def _virtual(self, dbname: str, name: str, create: bool = False) -> None:
        """A DDL on a virtual schema's table (`mysql.tidb`), or creating one in it, answers
        that schema's refusal (1235: a read-only view of system.kdb) rather than 1146/1049."""
        virtual = self.s.db.virtual_schemas.get(dbname.lower())
        if virtual is not None and hasattr(virtual, "refusal") and (
                create or name.lower() in getattr(virtual, "tables", ())):
            raise virtual.refusal(name, create=create)


def reserved_database(session, name: str) -> bool:
    """Whether `name` is a schema SHOW DATABASES lists without a DatabaseInfo (`mysql`,
    core.gc.sqlsurface): it exists, so creating it answers 1007.  information_schema answers
    MySQL's 1044: no user may create it."""
    if name.lower() == "information_schema":
        raise err(f"Access denied for user 'root'@'%' to database '{name}'", 1044, "42000")
    return name.lower() in session.db.virtual_schemas


def key_part_bytes(t: SqlType) -> int:
    """Bytes one column adds to an index key, as MySQL 8 counts them for the 3072-byte limit
    of InnoDB (DYNAMIC rows, utf8mb4): 4 per character of CHAR/VARCHAR, 1 per byte of
    BINARY/VARBINARY, the fixed storage size of numbers and temporals."""
    kind = t.kind
    if kind in ("CHAR", "VARCHAR"):
        return 4 * (t.length or 1)
    if kind in ("BINARY", "VARBINARY"):
        return t.length or 1
    if kind == "DECIMAL":
        def digits(n: int) -> int:
            return n // 9 * 4 + (0, 1, 1, 2, 2, 3, 3, 4, 4, 4)[n % 9]

        return digits((t.precision or 10) - (t.scale or 0)) + digits(t.scale or 0)
    fsp = (0, 1, 1, 2, 2, 3, 3)[min(t.precision or 0, 6)]
    return {"TINYINT": 1, "BOOLEAN": 1, "SMALLINT": 2, "MEDIUMINT": 3, "INT": 4, "BIGINT": 8,
            "FLOAT": 4, "DOUBLE": 8, "DATE": 3, "DATETIME": 5 + fsp, "TIMESTAMP": 4 + fsp,
            "TIME": 3 + fsp}.get(kind, 8)


def check_key(name: str, cols: list[str], by_name: dict[str, ColumnInfo],
              lengths: list[int | None] | None = None, unique: bool = False,
              warn=None) -> list[int | None]:
    """MySQL's checks of one index definition, in mysqld's order: the name (1059), at most
    16 parts (1070), existing columns (1072), no column twice (1060), prefix lengths
    (core.sql.keyparts: 1089, 1071), no TEXT/BLOB without a prefix length (1170), and at most
    3072 bytes of declared key length (1071).  Checked at DDL time so that no INSERT can
    later fail on a key the storage cannot hold.  Returns the prefix lengths as stored."""
    if name:
        limits.check_identifier(name)
    if len(cols) > limits.MAX_KEY_PARTS:
        raise limits.too_many_key_parts()
    seen: set[str] = set()
    total = 0
    stored: list[int | None] = []
    for i, c in enumerate(cols):
        col = by_name.get(c.lower())
        if col is None:
            raise err(f"Key column '{c}' doesn't exist in table", 1072)
        if c.lower() in seen:
            raise err(f"Duplicate column name '{col.name}'", 1060)
        seen.add(c.lower())
        if col.type.kind == "JSON":
            raise err(f"JSON column '{col.name}' supports indexing only via generated columns "
                      "on a specified JSON path.", 3152)
        n = keyparts.check_prefix(col, lengths[i] if lengths else None, unique, warn)
        stored.append(n)
        if n is None and (col.type.kind in TEXT_KINDS or col.type.kind in BLOB_KINDS):
            raise err(f"BLOB/TEXT column '{col.name}' used in key specification without a key "
                      "length", 1170)
        total += key_part_bytes(col.type) if n is None else keyparts.prefix_bytes(col, n)
    if total > limits.MAX_KEY_LENGTH:
        raise limits.key_too_long()
    return stored if any(n is not None for n in stored) else []


def _index_action(act) -> bool:
    """ADD INDEX / ADD UNIQUE / DROP INDEX: what an index job does."""
    if isinstance(act, exp.AddConstraint):
        return isinstance(act.expressions[0], (exp.IndexColumnConstraint,
                                               exp.UniqueColumnConstraint))
    return isinstance(act, exp.Drop) and (act.args.get("kind") or "").upper() == "INDEX"


def _option_word(opt) -> str:
    return opt.this.name.upper() if opt.this is not None else ""


def _online_options(options: list) -> bool:
    """Only ALGORITHM=DEFAULT|INPLACE|INSTANT and LOCK=DEFAULT|NONE: an index job honours
    them as it is (ALGORITHM=COPY and LOCK=SHARED|EXCLUSIVE take the table-copy path)."""
    return all((isinstance(o, exp.AlgorithmProperty)
                and _option_word(o) in ("DEFAULT", "INPLACE", "INSTANT"))
               or (isinstance(o, exp.LockProperty) and _option_word(o) in ("DEFAULT", "NONE"))
               for o in options)


def _is_temporary(node: exp.Create) -> bool:
    props = node.args.get("properties")
    return props is not None and any(isinstance(p, exp.TemporaryProperty)
                                     for p in props.expressions)


def _autoinc_option(props) -> int | None:
    """The AUTO_INCREMENT=N table option, if given."""
    if props is None:
        return None
    for p in props.expressions:
        if isinstance(p, exp.AutoIncrementProperty):
            try:
                value = int(p.this.name)
            except (TypeError, ValueError, AttributeError):
                raise err("Incorrect table option AUTO_INCREMENT", 1064) from None
            if value < 0:
                raise err("Incorrect table option AUTO_INCREMENT", 1064)
            return value
    return None


DROPPED_DB_ID_KEY = b"m:dbdrop"  # the highest id a dropped database had


def _dropped_db_id(txn) -> int:
    """A new database never takes a dropped one's id: FLASHBACK DATABASE brings it back
    under that id."""
    raw = txn.get_current(SYSTEM, DROPPED_DB_ID_KEY)
    return _U64.unpack(raw)[0] if raw else 0


def bootstrap(txn, store: CatalogStore) -> None:
    """A new database gets the `test` schema, as TiDB does."""
    store.put_database(txn, DatabaseInfo(name="test", id=1, created=time.time()))
    store.bump_version(txn)

