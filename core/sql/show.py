"""SHOW, DESCRIBE and EXPLAIN: result sets about the database itself."""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import TYPE_CHECKING

from sqlglot import exp

from core.catalog.model import DDL_JOB_COLUMNS, TableInfo
from core.errors import NotSupportedError, ProgrammingError
from core.sql import infoschema, views
from core.sql.keyparts import part_sql
from core.sql.result import Result

if TYPE_CHECKING:
    from core.sql.host import StatementHost


def _like(pattern: str | None):
    if pattern is None:
        return lambda s: True
    regex = fnmatch.translate(pattern.replace("%", "*").replace("_", "?"))
    import re

    rx = re.compile(regex, re.IGNORECASE)
    return lambda s: bool(rx.match(s))


def run(session: StatementHost, node: exp.Expression, text: str) -> Result:
    with session.db.engine.snapshot() if session.txn is None else _Borrowed(
            session.txn.snapshot()) as view:
        schema = session.statement_schema = session.db.catalog.schema(view)
        if isinstance(node, exp.Describe):
            target = node.this
            if isinstance(target, exp.Table):
                names, rows = columns_of(session.table_info(schema, target))
                return Result(names=names, rows=rows, rowcount=len(rows))
            return explain(session, target, text)
        what = (node.name or "").upper()
        like = node.args.get("like")
        pattern = like.name if like is not None else None
        match = _like(pattern)
        if what == "DATABASES":
            names = ["information_schema"] + sorted(
                {d.name for d in schema.databases.values()} | set(session.db.virtual_schemas))
            rows = [[n] for n in names if match(n)]
            return Result(names=["Database"], rows=rows, rowcount=len(rows))
        if what == "TABLES":
            db = node.args.get("db")
            dbname = db.name if db is not None else session.require_db()
            virtual = session.db.virtual_schemas.get(dbname.lower())
            if schema.database(dbname) is None and virtual is not None:
                return virtual.show_tables(dbname, match, bool(node.args.get("full")))
            if schema.database(dbname) is None:
                raise ProgrammingError(f"Unknown database '{dbname}'", errno=1049)
            full = bool(node.args.get("full"))
            listed = sorted([(t.name, "BASE TABLE") for t in schema.tables_in(dbname)]
                            + [(v.name, "VIEW") for v in schema.views_in(dbname)])
            rows = [[n] + ([kind] if full else []) for n, kind in listed if match(n)]
            names = [f"Tables_in_{dbname}"] + (["Table_type"] if full else [])
            return Result(names=names, rows=rows, rowcount=len(rows))
        if what == "CREATE VIEW" or (what == "CREATE TABLE" and _is_view(session, schema, node)):
            tnode = _table_node(node)
            names, rows = views.show_create_view(schema, tnode.db or session.require_db(),
                                                 tnode.name)
            return Result(names=names, rows=rows, rowcount=1)
        if what in ("CREATE TABLE",):
            t = session.table_info(schema, _table_node(node))
            rows = [[t.name, create_table_sql(t, _next_autoinc(session, t, view))]]
            return Result(names=["Table", "Create Table"], rows=rows, rowcount=1)
        if what in ("COLUMNS", "FIELDS"):
            names, rows = columns_of(session.table_info(schema, _table_node(node)))
            rows = [r for r in rows if match(r[0])]
            return Result(names=names, rows=rows, rowcount=len(rows))
        if what in ("INDEX", "INDEXES", "KEYS"):
            t = session.table_info(schema, _table_node(node))
            names, rows = indexes_of(t)
            return Result(names=names, rows=rows, rowcount=len(rows))
        if what == "VARIABLES":
            from core.sql import show_variables

            return show_variables.run(session, node, match)
        if what == "WARNINGS":
            rows = [list(w) for w in session.last_warnings]
            return Result(names=["Level", "Code", "Message"], rows=rows, rowcount=len(rows))
    raise NotSupportedError(f"This version of KintsugiDB doesn't yet support 'SHOW {what}'",
                            errno=1235)


class _Borrowed:
    def __init__(self, view):
        self.view = view

    def __enter__(self):
        return self.view

    def __exit__(self, *exc):
        return None


def _is_view(session: StatementHost, schema, node) -> bool:
    """SHOW CREATE TABLE on a view answers as SHOW CREATE VIEW, as mysqld."""
    tnode = _table_node(node)
    return schema.view(tnode.db or session.require_db(), tnode.name) is not None


def _table_node(node) -> exp.Table:
    target = node.args.get("target")
    db = node.args.get("db")
    if isinstance(target, exp.Table):
        t = target
    else:
        t = exp.Table(this=exp.to_identifier(target.name if target is not None else ""))
    if db is not None and not t.db:
        t.set("db", exp.to_identifier(db.name))
    return t


def columns_of(t: TableInfo):
    names = ["Field", "Type", "Null", "Key", "Default", "Extra"]
    rows = [[c.name, infoschema.column_type(c), "YES" if c.nullable else "NO",
             infoschema.column_key(t, c.name), infoschema.default_text(c), infoschema.extra(c)]
            for c in t.columns]
    return names, rows


def indexes_of(t: TableInfo):
    names = ["Table", "Non_unique", "Key_name", "Seq_in_index", "Column_name", "Collation",
             "Cardinality", "Sub_part", "Packed", "Null", "Index_type", "Comment",
             "Index_comment", "Visible", "Expression", "Clustered"]
    rows = []
    for ix in t.indexes:
        subs = ix.lengths or [None] * len(ix.columns)  # Sub_part: a prefix part's length
        for seq, col in enumerate(ix.columns, start=1):
            c = t.column(col)
            rows.append([t.name, 0 if ix.unique else 1, ix.name, seq, col, "A", 0,
                         subs[seq - 1], None,
                         "YES" if c and c.nullable else "", "BTREE", "", "", "YES", None,
                         "YES" if ix.primary and t.handle != "rowid" else "NO"])
    return names, rows


def _sql_literal(v) -> str:
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'"
    if isinstance(v, (dt.date, dt.datetime)):
        return f"'{v}'"
    if isinstance(v, bytes):
        return "0x" + v.hex()
    return str(v)


def _next_autoinc(session: StatementHost, t: TableInfo, view) -> int | None:
    """The counter SHOW CREATE TABLE prints (MySQL omits it while it is 1)."""
    if t.auto_increment_column is None:
        return None
    peek = getattr(session.db, "peek_autoinc", None)
    if peek is None:
        return None
    try:
        return peek(t, view)
    except Exception:  # noqa: BLE001 - a damaged or missing table: show the definition alone
        return None


def create_table_sql(t: TableInfo, auto_increment: int | None = None) -> str:
    lines = []
    for c in t.columns:
        parts = [f"  {_quote(c.name)} {c.type.sql()}"]
        if not c.nullable:
            parts.append("NOT NULL")
        if c.auto_increment:
            parts.append("AUTO_INCREMENT")
        elif c.default_now:
            parts.append("DEFAULT CURRENT_TIMESTAMP")
        elif c.has_default:
            if c.default is not None and c.type.kind == "JSON":  # an expression default
                parts.append(f"DEFAULT ({_sql_literal(c.default)})")
            else:
                parts.append("DEFAULT " + ("NULL" if c.default is None
                                           else _sql_literal(c.default)))
        elif c.nullable:
            parts.append("DEFAULT NULL")
        if c.comment:
            parts.append("COMMENT " + _sql_literal(c.comment))
        lines.append(" ".join(parts))
    for ix in t.indexes:
        cols = ",".join(part_sql(_quote(c), n) for c, n in
                        zip(ix.columns, ix.lengths or [None] * len(ix.columns), strict=True))
        if ix.primary:
            clustered = "CLUSTERED" if t.handle != "rowid" else "NONCLUSTERED"
            lines.append(f"  PRIMARY KEY ({cols}) /*T![clustered_index] {clustered} */")
        elif ix.unique:
            lines.append(f"  UNIQUE KEY {_quote(ix.name)} ({cols})")
        else:
            lines.append(f"  KEY {_quote(ix.name)} ({cols})")
    body = ",\n".join(lines)
    ai = f" AUTO_INCREMENT={auto_increment}" if auto_increment and auto_increment > 1 else ""
    return (f"CREATE TABLE {_quote(t.name)} (\n{body}\n) ENGINE=KintsugiDB{ai} DEFAULT "
            "CHARSET=utf8mb4 COLLATE=utf8mb4_bin")


def explain(session: StatementHost, target: exp.Expression, text: str) -> Result:
    planned = session.explain(target, text)
    rows = []

    def walk(op, depth, last_flags):
        name, access_obj, info, children = op.explain()
        prefix = ""
        for flag in last_flags[:-1]:
            prefix += "  " if flag else "│ "
        if last_flags:
            prefix += "└─" if last_flags[-1] else "├─"
        rows.append([prefix + name, "root", access_obj, info])
        for i, ch in enumerate(children):
            walk(ch, depth + 1, last_flags + [i == len(children) - 1])

    walk(planned.op, 0, [])
    return Result(names=["id", "task", "access object", "operator info"], rows=rows,
                  rowcount=len(rows))


def admin_show_ddl_jobs(session: StatementHost, count: int | None,
                        where: exp.Where | None = None) -> Result:
    """TiDB's ADMIN SHOW DDL JOBS [n] [WHERE ...]: running/queued jobs, then the last n
    (default 10) finished ones; WHERE filters on the output column names."""
    from core.sql.plan.scope import SourceScope

    rows = infoschema.job_rows(session)
    running = [r for r in rows if r[11] not in ("synced", "cancelled", "rollback done")]
    done = [r for r in rows if r not in running]
    last = set(list(dict.fromkeys(r[0] for r in done))[: (count or 10)])  # n jobs, not rows
    done = [r for r in done if r[0] in last]  # a multi-schema change's sub-job rows too
    rows = running + done
    if where is not None:
        scope = SourceScope([(None, c) for c in DDL_JOB_COLUMNS], clause="where clause")
        from core.sql.expr import compile_predicate

        pred = compile_predicate(where.this, scope, session.ctx)
        rows = [r for r in rows if pred(r)]
    return Result(names=list(DDL_JOB_COLUMNS), rows=rows, rowcount=len(rows))


def _quote(name: str) -> str:
    """An identifier as MySQL's SHOW CREATE TABLE writes it: in backticks, a backtick inside
    doubled, so that the statement reads back (a dump relies on it)."""
    return "`" + name.replace("`", "``") + "`"
