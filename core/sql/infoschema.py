"""information_schema: virtual tables built from the dictionary at the statement's snapshot.

They are ordinary row sources for the planner, so WHERE, JOIN, ORDER BY and aggregates work
on them as on any table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.catalog.model import DDL_JOB_COLUMNS, TableInfo
from core.catalog.store import Schema
from core.check.records import read_records
from core.errors import ProgrammingError
from core.recovery.history import read_history
from core.sql import infoschema_gc
from core.sql.plan.ops import Operator
from core.sql.types.enumset import member_chars
from core.sql.views import VIEWS_COLUMNS, views_rows

if TYPE_CHECKING:
    from core.sql.host import StatementHost
    from core.sql.plan.select import Source

KEY_KIND_NUMERIC = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "DECIMAL", "FLOAT",
                    "DOUBLE", "BOOLEAN"}


class RowsSource(Operator):
    def __init__(self, make_rows: Callable[[], list[list]], width: int, name: str):
        self.make_rows = make_rows
        self.width = width
        self.name = name

    def rows(self, rt):
        return iter(self.make_rows())

    def explain(self):
        return ("MemTableScan", f"table:{self.name}", "", [])


def _ts(t: float | None):
    return None if not t else dt.datetime.fromtimestamp(t).replace(microsecond=0)


def column_key(t: TableInfo, col: str) -> str:
    """MySQL's COLUMN_KEY: PRI for every column of the primary key, UNI for a one-column
    unique key, MUL for the first column of any other index."""
    low = col.lower()
    if any(ix.primary and low in (c.lower() for c in ix.columns) for ix in t.indexes):
        return "PRI"
    for ix in t.indexes:
        if ix.columns and ix.columns[0].lower() == low:
            if ix.primary:
                return "PRI"
            if ix.unique and len(ix.columns) == 1:
                return "UNI"
    for ix in t.indexes:
        if ix.columns and ix.columns[0].lower() == low:
            return "MUL"
    return ""


def column_type(c) -> str:
    return c.type.sql()


def data_type(c) -> str:
    return c.type.sql().split("(")[0].split(" ")[0]


def extra(c) -> str:
    if c.auto_increment:
        return "auto_increment"
    if c.default_now:
        return "DEFAULT_GENERATED"
    return ""


def default_text(c):
    if c.default_now:
        return "CURRENT_TIMESTAMP"
    if not c.has_default or c.default is None:
        return None
    return str(c.default)


def job_rows(session: StatementHost, query_column: bool = False) -> list[list]:
    """Every DDL job, newest first, in `DDL_JOB_COLUMNS` order; the last column is the
    query (information_schema.ddl_jobs, which adds `DDL_JOB_PROGRESS_COLUMNS`) or the
    comments (ADMIN SHOW DDL JOBS).  A multi-schema change adds one row per sub-job after
    its own, JOB_TYPE `<type> /* subjob */`, as TiDB lists them."""
    out = []
    for j in sorted(_jobs(session), key=lambda j: -j.job_id):
        row = [j.job_id, j.db_name, j.table_name, j.job_type, str(j.schema_state),
               j.schema_id, j.table_id, j.row_count, _ts(j.create_time),
               _ts(j.start_time), _ts(j.end_time), str(j.state),
               j.query if query_column else j.comments]
        if query_column:
            row += _progress(j)
        out.append(row)
        for sub in j.args.get("subjobs") or ():  # a multi-schema change: a row per action
            out.append(row[:3] + [f"{sub.get('type', '')} /* subjob */"] + row[4:12]
                       + [j.query if query_column else sub.get("detail", "")]
                       + ([None] * len(DDL_JOB_PROGRESS_COLUMNS) if query_column else []))
    return out


# information_schema.ddl_jobs' columns after TiDB's: a running job's progress, readable
# with SQL (the console's progress bars read the same), and what went wrong
DDL_JOB_PROGRESS_COLUMNS = ("PROGRESS", "ROWS_DONE", "ROWS_TOTAL", "ETA_SECONDS", "PHASE",
                            "ERROR", "CRASH_CASE", "PAUSED_BY")


def _progress(j) -> list:
    reorg = j.reorg or {}
    eta = reorg.get("eta")
    return [round(j.progress, 4), reorg.get("done", 0), reorg.get("total", 0),
            None if eta is None or j.state.finished else round(eta, 1),
            reorg.get("phase", ""), j.error, j.crash_case, j.paused_by]


def _jobs(session: StatementHost):
    view = session.db.engine.snapshot()
    try:
        return session.db.catalog.jobs(view)
    finally:
        view.close()


def job_step_rows(session: StatementHost) -> list[list]:
    """information_schema.kintsugi_ddl_job_steps: each job's history, one row per step
    (the console's detail view): when, what, the states after it, and the detail (a crash
    case and what recovery did, an error)."""
    out = []
    for j in sorted(_jobs(session), key=lambda j: -j.job_id):
        for n, st in enumerate(j.steps, start=1):
            at = st.get("at")
            out.append([j.job_id, n, None if at is None else dt.datetime.fromtimestamp(at),
                        st.get("step", ""),
                        st.get("state", ""), st.get("schema_state", ""), st.get("detail", "")])
    return out


def approx_rows(session: StatementHost, t: TableInfo) -> int:
    """Rows in the table's file plus its committed writes still in the overlay (an
    estimate: deletes and updates waiting there count as rows)."""
    engine = session.db.engine
    ts = engine.spaces.get(t.id)
    if ts is None:
        return 0
    per_row = 1 + len([ix for ix in t.secondary_indexes])
    return (ts.entry_count() + engine.pending_entries(t.id)) // per_row


TABLES = {
    "schemata": ["CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME",
                 "DEFAULT_COLLATION_NAME"],
    "tables": ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE",
               "TABLE_ROWS", "CREATE_TIME", "TABLE_COLLATION", "TABLE_COMMENT", "TIDB_TABLE_ID"],
    "columns": ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME",
                "ORDINAL_POSITION", "COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE",
                "CHARACTER_MAXIMUM_LENGTH", "NUMERIC_PRECISION", "NUMERIC_SCALE", "COLUMN_TYPE",
                "COLUMN_KEY", "EXTRA", "COLUMN_COMMENT"],
    "statistics": ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "NON_UNIQUE",
                   "INDEX_SCHEMA", "INDEX_NAME", "SEQ_IN_INDEX", "COLUMN_NAME", "SUB_PART",
                   "NULLABLE", "INDEX_TYPE", "COMMENT"],
    "views": VIEWS_COLUMNS,
    "ddl_jobs": list(DDL_JOB_COLUMNS[:-1]) + ["QUERY"] + list(DDL_JOB_PROGRESS_COLUMNS),
    "kintsugi_ddl_job_steps": ["JOB_ID", "SEQ", "TIME", "STEP", "STATE", "SCHEMA_STATE",
                               "DETAIL"],
    "recovery_history": ["ID", "START_TIME", "END_TIME", "REASON", "CHECKPOINT_LSN", "END_LSN",
                         "RECORDS_SCANNED", "RECORDS_APPLIED", "TRANSACTIONS_ROLLED_BACK",
                         "ROWS_DISCARDED", "FORCE_RECOVERY", "SKIPPED_LSN_RANGE", "OUTCOME",
                         "SKIPPED_COMMITS", "SKIPPED_TABLES", "MISSING_TABLESPACES"],
    "kintsugi_corruption_flags": ["TABLE_SCHEMA", "TABLE_NAME", "INDEX_NAME", "LEVEL",
                                  "ROW_KEY", "REASON", "FLAGGED_AT", "PERSISTED"],
    "kintsugi_index_checks": ["TABLE_SCHEMA", "TABLE_NAME", "INDEX_NAME", "CHECKED_AT",
                              "OPERATION", "RESULT", "ROWS_SCANNED", "ENTRIES_SCANNED",
                              "MISSING", "DANGLING", "MISMATCHED", "SECONDS"],
    infoschema_gc.NAME: infoschema_gc.COLUMNS,
}


def rows_for(session: StatementHost, schema: Schema, name: str) -> list[list]:
    tables = sorted(schema.tables_by_id.values(), key=lambda t: (t.schema, t.name))
    if name == "schemata":
        dbs = sorted(schema.databases.values(), key=lambda d: d.name)
        return [["def", "information_schema", "utf8mb4", "utf8mb4_bin"]] + [
            ["def", d.name, d.charset, d.collation] for d in dbs]
    if name == "tables":
        rows = [["def", t.schema, t.name, "BASE TABLE", "KintsugiDB", approx_rows(session, t),
                 _ts(t.created), "utf8mb4_bin", t.comment, t.id] for t in tables]
        rows += [["def", v.schema, v.name, "VIEW", None, None, _ts(v.created), None, "VIEW",
                  None] for v in schema.views.values()]
        return sorted(rows, key=lambda r: (r[1], r[2]))
    if name == "columns":
        out = []
        for t in tables:
            for i, c in enumerate(t.columns, start=1):
                kind = c.type.kind
                out.append(["def", t.schema, t.name, c.name, i, default_text(c),
                            "YES" if c.nullable else "NO", data_type(c),
                            c.type.length if kind in ("CHAR", "VARCHAR") else
                            member_chars(c.type),
                            c.type.precision if kind in KEY_KIND_NUMERIC else None,
                            c.type.scale if kind == "DECIMAL" else None,
                            column_type(c), column_key(t, c.name), extra(c), c.comment])
        return sorted(out + view_column_rows(session, schema), key=lambda r: (r[1], r[2]))
    if name == "statistics":
        out = []
        for t in tables:
            for ix in t.indexes:
                subs = ix.lengths or [None] * len(ix.columns)  # a prefix part's length
                for seq, col in enumerate(ix.columns, start=1):
                    c = t.column(col)
                    out.append(["def", t.schema, t.name, 0 if ix.unique else 1, t.schema,
                                ix.name, seq, col, subs[seq - 1], "YES" if c and c.nullable else "",
                                "BTREE", "" if ix.state == "public" else ix.state])
        return out
    if name == "views":
        return views_rows(schema)
    if name == "ddl_jobs":
        return job_rows(session, query_column=True)
    if name == "kintsugi_ddl_job_steps":
        return job_step_rows(session)
    if name == "recovery_history":
        return recovery_rows(session)
    if name == "kintsugi_corruption_flags":
        return flag_rows(session, schema)
    if name == "kintsugi_index_checks":
        return index_check_rows(session, schema)
    if name == infoschema_gc.NAME:
        return infoschema_gc.rows(session, approx_rows)
    raise KeyError(name)


def view_column_rows(session: StatementHost, schema: Schema) -> list[list]:
    """COLUMNS rows of the views, as MySQL lists them (see core.sql.view_columns)."""
    from core.sql.view_columns import view_columns

    out = []
    for v in sorted(schema.views.values(), key=lambda v: (v.schema, v.name)):
        cols = view_columns(session, schema, v)
        if cols is None:
            continue
        for i, (name, (t, nullable, base)) in enumerate(zip(v.columns, cols, strict=True),
                                                          start=1):
            kind = t.kind
            out.append(["def", v.schema, v.name, name, i,
                        default_text(base) if base is not None else None,
                        "YES" if nullable else "NO", t.sql().split("(")[0].split(" ")[0],
                        t.length if kind in ("CHAR", "VARCHAR") else None,
                        t.precision if kind in KEY_KIND_NUMERIC else None,
                        t.scale if kind == "DECIMAL" else None, t.sql(), "", "", ""])
    return out


def _utc(t: float | None):
    """A UNIX time as a naive DATETIME in UTC (the history is read on other machines and
    after time-zone changes; local time would make its rows ambiguous)."""
    if not t:
        return None
    return dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None)


def recovery_rows(session: StatementHost) -> list[list]:
    """information_schema.RECOVERY_HISTORY, oldest first: system.kdb's rows plus those a
    forced (read-only) open could not write there yet."""
    return [[r.id, _utc(r.start_time), _utc(r.end_time), r.reason, r.checkpoint_lsn,
             r.end_lsn, r.records_scanned, r.records_applied, r.transactions_rolled_back,
             r.rows_discarded, r.force_recovery, r.skipped_lsn_range, r.outcome,
             r.skipped_commits, ",".join(r.skipped_tables), ",".join(r.missing_tablespaces)]
            for r in read_history(session.db.engine)]


def flag_rows(session: StatementHost, schema: Schema) -> list[list]:
    """information_schema.KINTSUGI_CORRUPTION_FLAGS: the tables and indexes flagged corrupt
    (written to system.kdb, or only in memory on a read-only open: PERSISTED says which),
    named as the dictionary names them now (a rename keeps the flag)."""
    out = []
    for f in session.db.flags.all():
        t = schema.tables_by_id.get(f.table_id)
        db_name, _, t_name = f.table.partition(".")
        if t is not None:
            db_name, t_name = t.schema, t.name
        index = f.index
        if t is not None and f.index_id:
            index = next((ix.name for ix in t.indexes if ix.id == f.index_id), index)
        out.append([db_name, t_name, index or None, f.level, f.key or None, f.reason,
                    _utc(f.flagged_at), "YES" if f.persisted else "NO"])
    return out


def index_check_rows(session: StatementHost, schema: Schema) -> list[list]:
    """information_schema.KINTSUGI_INDEX_CHECKS: the last check of every index that was
    checked (ADMIN CHECK, SHOW INDEX INCONSISTENCIES, the re-check after a repair), from
    system.kdb as of now, named as the statement's dictionary names them; records of
    dropped tables and indexes are left out.  CHECKED_AT is UTC.  A count ADMIN CHECK did
    not establish (it stops at the first difference) is NULL."""
    with session.db.engine.snapshot() as snap:
        records = read_records(snap)
    pending = getattr(session.db, "check_records", None)
    if pending:  # written later (the writer lock was busy): shown as the latest
        newer = {(r.table_id, r.index_id): r for r in pending.records()}
        records = [r for r in records if (r.table_id, r.index_id) not in newer]
        records += newer.values()
    out = []
    for r in records:
        t = schema.tables_by_id.get(r.table_id)
        ix = None if t is None else next((i for i in t.indexes if i.id == r.index_id), None)
        if ix is None:
            continue
        out.append([t.schema, t.name, ix.name, _utc(r.at), r.operation, r.result, r.rows,
                    r.entries, r.missing, r.dangling, r.mismatched, r.seconds])
    out.sort(key=lambda row: (row[0], row[1], row[2]))
    return out


def source(session: StatementHost, schema: Schema, name: str) -> Source:
    from core.sql.plan.select import Source

    low = name.lower()
    if low not in TABLES:
        raise ProgrammingError(f"Table 'information_schema.{name}' doesn't exist", errno=1146,
                               sqlstate="42S02")
    cols = TABLES[low]
    op = RowsSource(lambda: rows_for(session, session.statement_schema, low), len(cols),
                    f"information_schema.{low}")
    return Source(name, op, cols, virtual=True)

