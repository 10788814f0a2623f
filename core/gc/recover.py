"""RECOVER TABLE [BY JOB n [TO t2]], FLASHBACK TABLE t [TO t2], FLASHBACK DATABASE d [TO d2].

A DROP / TRUNCATE / DROP DATABASE removed only dictionary entries: the tablespace file, its
space-map entry and the auto-increment counter (`m:ai:<id>`) stay, and the TableInfo as it was
waits in the delete range (`core.catalog.gcranges`) until GC collects it.  Bringing a table
back is therefore metadata only, in ONE transaction (a one-step DDL job run through
`DDLRunner.run`, so it takes the writer lock, writes its job row as synced and bumps the
schema as every DDL does): the TableInfo goes back under the SAME table id (renamed for `TO`)
and its range comes off the queue.  No row is read or copied, so the time does not depend on
the table's size, and the rows and indexes are readable at once.  A crash leaves either the
drop (range queued, no TableInfo) or the recovery (TableInfo, no range), never half.

Which drop is found, and TiDB's errors when none is, is `core.gc.find`'s.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.catalog import gcranges
from core.catalog.model import DatabaseInfo, DDLJob, TableInfo, ViewInfo
from core.crashpoints import crash_point
from core.errors import ProgrammingError
from core.events import SchemaState, TableRecovered
from core.gc import find
from core.gc.lost import refuse_lost
from core.sql import dialect, limits
from core.sql.ddl import DDLRunner, reserved_database
from core.sql.result import Result

Database = Any  # core.sql.session.Database
Session = Any  # core.sql.session.Session


def install(db: Database) -> None:
    """Give `db`'s sessions the three statements (they answer 1235 without this)."""
    db.statement_handlers.update({
        dialect.RecoverTable: recover_table,
        dialect.FlashbackTable: flashback_table,
        dialect.FlashbackDatabase: flashback_database,
    })


# -- the statements -------------------------------------------------------------------------

def recover_table(session: Session, node: dialect.RecoverTable) -> Result:
    """`RECOVER TABLE t [N]` (the newest drop of that name, among the last N jobs) or
    `RECOVER TABLE BY JOB n [TO t2]` (that exact job; TO is KintsugiDB's, for the console)."""
    if node.args.get("job") is not None:
        job_id = int(node.args["job"].this)
        return _recover(session, node, "recover table", _name(node.args.get("to")),
                        lambda view, schema: find.table_by_job(view, schema, job_id))
    tnode = node.this
    db_name = tnode.db or session.require_db()
    number = node.args.get("number")
    limit = int(number.this) if number is not None else None
    return _recover(session, node, "recover table", None,
                    lambda view, schema: find.table_by_name(view, schema, db_name,
                                                            tnode.name, limit))


def flashback_table(session: Session, node: dialect.FlashbackTable) -> Result:
    """`FLASHBACK TABLE t [TO t2]`: the newest drop or truncate of `t`; after TRUNCATE the
    name is taken by the new, empty table, so the old rows come back under `TO t2`."""
    tnode = node.this
    db_name = tnode.db or session.require_db()
    return _recover(session, node, "flashback table", _name(node.args.get("to")),
                    lambda view, schema: find.table_by_name(view, schema, db_name,
                                                            tnode.name))


def flashback_database(session: Session, node: dialect.FlashbackDatabase) -> Result:
    """`FLASHBACK DATABASE d [TO d2]` (TiDB's recover schema): the database under its id,
    every table its DROP left pending, and its views."""
    name = node.this.name
    target = _name(node.args.get("to"))
    if target is not None:
        _check_name(target, "database")
    new_name = target or name
    done: list[TableInfo] = []
    drop_job: list[int] = []

    def step(_node, txn, schema, job: DDLJob):
        if schema.database(new_name) is not None or \
                reserved_database(session, new_name):  # TiDB checks the name first
            raise ProgrammingError(f"Can't create database '{new_name}'; database exists",
                                   errno=1007, sqlstate="HY000")
        view = txn.current_view()
        dropped = find.database_by_name(view, name)
        old = DatabaseInfo.from_dict(dropped.args.get("database") or {
            "name": dropped.db_name, "id": dropped.schema_id})
        live = next((d for d in schema.databases.values() if d.id == old.id), None)
        if live is not None:
            raise ProgrammingError(f"Schema '{name}' already been recover to '{live.name}', "
                                   "can't be recover repeatedly", errno=1007, sqlstate="HY000")
        store = session.db.catalog
        store.put_database(txn, DatabaseInfo.from_dict(dict(old.to_dict(), name=new_name)))
        for rng in find.ranges_of(view, dropped):
            refuse_lost(session.db, int(rng["table_id"]))  # its file lost at open
            info = TableInfo.from_dict(dict(rng["table"], schema=new_name))
            store.put_table(txn, info)
            gcranges.remove(txn, rng)
            done.append(info)
        for v in dropped.args.get("views") or ():
            store.put_view(txn, _moved_view(ViewInfo.from_dict(v), old.name, new_name))
        job.job_type, job.db_name, job.schema_id = "recover schema", new_name, old.id
        job.schema_state = SchemaState.PUBLIC
        job.args = {"drop_job_id": dropped.job_id, "statement": "flashback database",
                    "old_name": old.name, "tables": [t.id for t in done]}
        job.note("recover", f"database `{new_name}` (id {old.id}) back from drop job "
                            f"{dropped.job_id} with {len(done)} table(s); their delete ranges "
                            "removed")
        drop_job.append(dropped.job_id)
        crash_point("gc.recover.before_commit")

    DDLRunner(session).run(node, node.sql(dialect=dialect.Kintsugi), step=step)
    crash_point("gc.recover.after_commit")
    for info in done:
        _recovered(session, info, drop_job[0], "flashback database")
    return Result(rowcount=0)


# -- one table --------------------------------------------------------------------------

def _recover(session: Session, node, statement: str, target: str | None, locate) -> Result:
    """Run the one-step recover job: `locate(view, schema)` names the drop (find.*)."""
    verb = statement.split()[0]
    if target is not None:
        _check_name(target, "table")
    done: list[tuple[TableInfo, int]] = []

    def step(_node, txn, schema, job: DDLJob):
        dropped = locate(txn.current_view(), schema)
        if dropped.rng is not None:
            refuse_lost(session.db, dropped.table_id)  # its file lost at open
        asked = node.this.name if node.this is not None else dropped.job.table_name
        live = schema.tables_by_id.get(dropped.table_id)
        if live is not None:
            raise ProgrammingError(f"Table '{asked}' already been {verb} to '{live.name}', "
                                   f"can't be {verb} repeatedly", errno=1050, sqlstate="42S01")
        old = TableInfo.from_dict(dropped.rng["table"])
        name = target or old.name
        db = find.database_of(schema, dropped.job, old.schema)
        if schema.table(db.name, name) is not None or schema.view(db.name, name) is not None:
            raise ProgrammingError(f"Table '{name}' already exists", errno=1050,
                                   sqlstate="42S01")
        info = TableInfo.from_dict(dict(old.to_dict(), schema=db.name, name=name))
        session.db.catalog.put_table(txn, info)
        gcranges.remove(txn, dropped.rng)
        job.job_type, job.db_name, job.table_name = "recover table", db.name, name
        job.schema_id, job.table_id, job.schema_state = db.id, info.id, SchemaState.PUBLIC
        job.args = {"drop_job_id": dropped.job.job_id, "statement": statement,
                    "old_name": old.name}
        job.note("recover", f"table id {info.id} back from {dropped.job.job_type} job "
                            f"{dropped.job.job_id} as `{db.name}`.`{name}`; its delete range "
                            "removed (no row read or copied)")
        done.append((info, dropped.job.job_id))
        if node.args.get("job") is not None:
            # job ids are this database's own: a restore replaying the binary log has other
            # ones, so the log names the drop by its table instead (the newest drop of it)
            txn.binlog_ddl = (db.name, f"FLASHBACK TABLE {_quoted(db.name)}."
                                       f"{_quoted(old.name)} TO {_quoted(name)}")
        crash_point("gc.recover.before_commit")

    DDLRunner(session).run(node, node.sql(dialect=dialect.Kintsugi), step=step)
    crash_point("gc.recover.after_commit")
    for info, drop_job in done:
        _recovered(session, info, drop_job, statement)
    return Result(rowcount=0)


def _recovered(session: Session, info: TableInfo, drop_job: int, statement: str) -> None:
    """After the commit: the counter is read again from `m:ai:<id>` (kept by the drop), and
    the console hears of it."""
    db = session.db
    db.forget_autoinc(info.id)
    event = TableRecovered(job_id=session.last_ddl_job or 0, drop_job_id=drop_job,
                           statement=statement, schema=info.schema, table=info.name,
                           table_id=info.id)
    emit = getattr(db.ddl_jobs, "emit", None) or getattr(db.engine, "sink", None)
    if emit is None:
        return
    try:
        emit(event)
    except Exception:  # noqa: BLE001 - a listener's failure must not fail the statement
        pass


# -- names ----------------------------------------------------------------------------------

def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _name(ident) -> str | None:
    return None if ident is None else ident.name


def _check_name(name: str, kind: str) -> None:
    """MySQL's 1103/1102 for a blank name or one ending in a space (`TO ' '`)."""
    if not name or name.endswith(" "):
        if kind == "table":
            raise ProgrammingError(f"Incorrect table name '{name}'", errno=1103,
                                   sqlstate="42000")
        raise ProgrammingError(f"Incorrect database name '{name}'", errno=1102,
                               sqlstate="42000")
    limits.check_identifier(name)


def _moved_view(v: ViewInfo, old_db: str, new_db: str) -> ViewInfo:
    """A view of a database brought back under another name reads that database's tables:
    its definition names them qualified (core.sql.views), so they are re-qualified."""
    if old_db.lower() == new_db.lower():
        return v
    node = dialect.parse_one(v.definition)
    for t in node.find_all(exp.Table):
        if t.db and t.db.lower() == old_db.lower():
            t.set("db", exp.to_identifier(new_db))
    return ViewInfo.from_dict(dict(v.to_dict(), schema=new_db,
                                   definition=node.sql(dialect=dialect.Kintsugi)))
