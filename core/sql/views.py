"""Views: CREATE [OR REPLACE] VIEW, DROP VIEW, and reading a view as a derived table.

A view is a dictionary entry (`ViewInfo`, core.catalog) holding its SELECT as text with every
table qualified by its database, so it means the same thing from any current database.  It
is written by the DDL runner's job like any other DDL, so it survives a restart and leaves a
job row.  Reading one plans the stored SELECT as a derived table under the view's name; the
parsed SELECT is kept on the `ViewInfo` object, which belongs to one cached `Schema`, so it is
parsed once per catalog version.  Writes through a view answer 1235.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from sqlglot import exp

from core.catalog.model import ViewInfo
from core.catalog.store import CatalogStore, Schema
from core.errors import NotSupportedError, ProgrammingError
from core.sql import dialect, limits, view_freeze

if TYPE_CHECKING:
    from core.sql.host import StatementHost
    from core.sql.plan.select import Source

CHARSET_CLIENT = "utf8mb4"
COLLATION_CONNECTION = "utf8mb4_0900_ai_ci"
# errors that mean "the tables or columns under the view are gone": a read answers 1356
_INVALID = {1146, 1054, 1049, 1305, 1052}
VIEWS_COLUMNS = ["TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "VIEW_DEFINITION",
                 "CHECK_OPTION", "IS_UPDATABLE", "DEFINER", "SECURITY_TYPE",
                 "CHARACTER_SET_CLIENT", "COLLATION_CONNECTION"]


def _err(msg: str, errno: int, sqlstate: str = "HY000") -> ProgrammingError:
    return ProgrammingError(msg, errno=errno, sqlstate=sqlstate)


def not_a_view(schema: str, name: str) -> ProgrammingError:
    return _err(f"'{schema}.{name}' is not VIEW", 1347)


def invalid(v: ViewInfo) -> ProgrammingError:
    return _err(f"View '{v.schema}.{v.name}' references invalid table(s) or column(s) or "
                "function(s) or definer/invoker of view lack rights to use them", 1356)


def write_refused(v: ViewInfo) -> NotSupportedError:
    """DESCRIBE and SHOW COLUMNS naming a view (writes through one: core.sql.view_dml)."""
    return NotSupportedError(
        f"This version of KintsugiDB doesn't yet support 'describing view "
        f"{v.schema}.{v.name}' (SELECT from it and writes through it work)", errno=1235,
        sqlstate="42000")


_CHECK_OPTION = re.compile(r"^\s*(OR\s+REPLACE\s+)?.*\bVIEW\b.*\bWITH\s+"
                           r"(CASCADED\s+|LOCAL\s+)?CHECK\s+OPTION\s*;?\s*$",
                           re.IGNORECASE | re.DOTALL)


def refuse_command(node: exp.Expression | None) -> None:
    """sqlglot leaves `CREATE VIEW ... WITH CHECK OPTION` unparsed (a Command): answer 1235
    naming the clause rather than a bare 'CREATE'."""
    if isinstance(node, exp.Command) and str(node.this).upper() == "CREATE":
        rest = node.expression
        text = rest.name if isinstance(rest, exp.Expression) else str(rest or "")
        if _CHECK_OPTION.match(text):
            raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                    "'CREATE VIEW ... WITH CHECK OPTION'", errno=1235,
                                    sqlstate="42000")


def parsed(v: ViewInfo) -> exp.Expression:
    """The view's SELECT, parsed once per `ViewInfo` (that is, per catalog version)."""
    node = getattr(v, "_parsed", None)
    if node is None:
        node = dialect.parse_one(v.definition)
        v._parsed = node  # type: ignore[attr-defined]
    return node


# -- reading ----------------------------------------------------------------------------------

def source(session: StatementHost, v: ViewInfo) -> Source:
    """The view as a FROM item: its SELECT planned as a derived table named after it (the
    planner sets the alias).  A table or column gone from under it is 1356, as mysqld."""
    from core.sql.plan.ops import Materialized
    from core.sql.plan.select import Source

    try:
        inner = session.planner().plan(parsed(v).copy(), None)
    except ProgrammingError as e:
        if getattr(e, "errno", None) in _INVALID:
            raise invalid(v) from None
        raise
    if len(inner.names) != len(v.columns):
        raise invalid(v)
    src = Source(v.name, Materialized(inner.op, v.name), list(v.columns),
                 unsigned=inner.unsigned)
    # what ONLY_FULL_GROUP_BY (core.sql.plan.group_check) sees through, as a derived table
    src.view = (v.schema, parsed(v), list(v.columns))  # type: ignore[attr-defined]
    return src


# -- DDL --------------------------------------------------------------------------------------

def alter_view(s: StatementHost, store: CatalogStore, node: exp.Alter, txn, schema: Schema,
               job) -> None:
    """ALTER VIEW v [(cols)] AS ...: CREATE OR REPLACE VIEW of a view that must exist
    (MySQL: 1146 when it does not, 1347 when `v` is a table)."""
    named = node.this
    target = named.this if isinstance(named, exp.Schema) else named
    db = target.db or s.require_db()
    if schema.view(db, target.name) is None:
        if schema.table(db, target.name) is not None:
            raise not_a_view(db, target.name)
        raise _err(f"Table '{db}.{target.name}' doesn't exist", 1146, "42S02")
    actions = node.args.get("actions") or []
    if len(actions) != 1 or not isinstance(actions[0], exp.Query):
        raise NotSupportedError("This version of KintsugiDB doesn't yet support this ALTER "
                                "VIEW form", errno=1235, sqlstate="42000")
    create = exp.Create(this=named.copy(), kind="VIEW", replace=True,
                        expression=actions[0].copy())
    create_view(s, store, create, txn, schema, job)
    job.job_type = "alter view"


def create_view(s: StatementHost, store: CatalogStore, node: exp.Create, txn, schema: Schema,
                job) -> None:
    """CREATE [OR REPLACE] VIEW, inside the DDL runner's transaction and job."""
    target = node.this
    col_list: list[str] = []
    named = isinstance(target, exp.Schema)
    if named:
        col_list = [e.name for e in target.expressions]
        target = target.this
    db = schema.database(target.db or s.require_db())
    if db is None:
        raise _err(f"Unknown database '{target.db}'", 1049, "42000")
    name = target.name
    limits.check_identifier(name)
    job.job_type, job.db_name, job.table_name, job.schema_id = (
        "create view", db.name, name, db.id)
    old = schema.view(db.name, name)
    if schema.table(db.name, name) is not None:
        if node.args.get("replace"):
            raise not_a_view(db.name, name)
        raise _err(f"Table '{name}' already exists", 1050, "42S01")
    if old is not None and not node.args.get("replace"):
        raise _err(f"Table '{name}' already exists", 1050, "42S01")
    query = node.args.get("expression")
    if query is None:
        raise NotSupportedError("This version of KintsugiDB doesn't yet support this CREATE "
                                "VIEW form", errno=1235, sqlstate="42000")
    query = query.copy()
    if query.args.get("with_") is not None:
        raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                "'WITH (common table expressions)' in a view", errno=1235,
                                sqlstate="42000")
    for sel in list(query.find_all(exp.Select)):
        frm = sel.args.get("from_")
        if frm is not None and _is_dual(frm.this) and not sel.args.get("joins"):
            sel.set("from_", None)  # the text would read it back as a table `DUAL`
    for t in query.find_all(exp.Table):
        if not t.db:
            t.set("db", exp.to_identifier(db.name))
    _check_recursion(schema, db.name, name, query)
    # plan it against the dictionary this DDL sees: a missing table is 1146, a missing
    # column 1054, as CREATE VIEW answers in mysqld
    saved = s.statement_schema
    s.statement_schema = schema
    try:
        planner = s.planner()
        names = list(planner.plan(query.copy(), None).names)
        # `*` is expanded now, as MySQL does: the view keeps these columns
        query = view_freeze.freeze(query, view_freeze.table_columns_from(
            planner.resolve_table), lambda q: list(planner.plan(q, None).names))
    finally:
        s.statement_schema = saved
    if named:
        if len(col_list) != len(names):
            raise _err("In definition of view, derived table or common table expression, "
                       "SELECT list and column names list have different column counts", 1353)
        names = col_list
    seen: set[str] = set()
    for n in names:
        if n.lower() in seen:
            raise _err(f"Duplicate column name '{n}'", 1060, "42S21")
        seen.add(n.lower())
    v = ViewInfo(schema=db.name, name=name, definition=query.sql(dialect=dialect.Kintsugi),
                 columns=names, named=named, created=time.time(), updatable=_updatable(query))
    for p in (node.args.get("properties") or exp.Properties(expressions=[])).expressions:
        if isinstance(p, exp.AlgorithmProperty):
            v.algorithm = p.this.name.upper()
        elif isinstance(p, exp.SqlSecurityProperty):
            v.security = p.this.name.upper() if isinstance(p.this, exp.Expression) else \
                str(p.this).upper()
        elif isinstance(p, exp.DefinerProperty):
            v.definer = _definer(p)
    if old is not None:
        v.created = old.created
    store.put_view(txn, v)


def drop_views(s: StatementHost, store: CatalogStore, node: exp.Drop, txn, schema: Schema,
               job) -> bool:
    """DROP VIEW [IF EXISTS] v, ...: a table named is 1347, a missing view 1051 (all
    missing ones in one message, nothing dropped), or a note under IF EXISTS.  False when
    nothing was dropped (the job is then not written)."""
    found: list[ViewInfo] = []
    missing: list[str] = []
    for t in node.args.get("tables") or []:
        dbname = t.db or s.require_db()
        v = schema.view(dbname, t.name)
        if v is None:
            if schema.table(dbname, t.name) is not None:
                raise not_a_view(dbname, t.name)
            missing.append(f"{dbname}.{t.name}")
        elif v not in found:
            found.append(v)
    if missing and not node.args.get("exists"):
        raise _err(f"Unknown table '{','.join(missing)}'", 1051, "42S02")
    job.job_type, job.schema_state = "drop view", "none"
    for m in missing:
        s.warn(1051, f"Unknown table '{m}'", "Note")
    for v in found:
        job.db_name, job.table_name = v.schema, v.name
        store.delete_view(txn, v)
    return bool(found)


def rename_view(store: CatalogStore, txn, pending: dict, db: str, name: str, new_db: str,
                new_name: str, table_there: bool) -> None:
    """RENAME TABLE v TO w for a view: only within its database (1450, as MySQL), not onto
    an existing table or view (1050).  `pending` is the statement's views by (db, name),
    lowered, updated so that a later pair of the same RENAME sees this one."""
    v = pending.pop((db.lower(), name.lower()))
    if new_db.lower() != v.schema.lower():
        raise _err(f"Changing schema from '{v.schema}' to '{new_db}' is not allowed.", 1450)
    limits.check_identifier(new_name)
    if table_there or (new_db.lower(), new_name.lower()) in pending:
        raise _err(f"Table '{new_name}' already exists", 1050, "42S01")
    store.delete_view(txn, v)
    renamed = ViewInfo.from_dict(dict(v.to_dict(), name=new_name))
    store.put_view(txn, renamed)
    pending[(new_db.lower(), new_name.lower())] = renamed


def drop_database_views(store: CatalogStore, txn, schema: Schema, dbname: str) -> None:
    """DROP DATABASE takes its views with it."""
    for v in schema.views_in(dbname):
        store.delete_view(txn, v)


def _check_recursion(schema: Schema, db: str, name: str, query: exp.Expression) -> None:
    """CREATE OR REPLACE VIEW v AS ... FROM v (or through another view): 1462."""
    seen: set[tuple[str, str]] = set()
    todo = [query]
    while todo:
        q = todo.pop()
        for t in q.find_all(exp.Table):
            key = ((t.db or db).lower(), t.name.lower())
            if key == (db.lower(), name.lower()):
                raise _err(f"`{db}`.`{name}` contains view recursion", 1462)
            v = schema.view(*key)
            if v is not None and key not in seen:
                seen.add(key)
                todo.append(parsed(v))


def _is_dual(t: exp.Expression) -> bool:
    """`FROM DUAL` as the planner reads it: unquoted, no schema, no alias."""
    return (isinstance(t, exp.Table) and not t.args.get("db") and not t.alias
            and isinstance(t.this, exp.Identifier) and not t.this.quoted
            and t.name.upper() == "DUAL")


def _updatable(q: exp.Expression) -> bool:
    """MySQL's IS_UPDATABLE, simplified: one table, no DISTINCT, GROUP BY, HAVING, aggregate,
    LIMIT, UNION or subquery."""
    from core.sql.plan.select import AGGREGATES

    if not isinstance(q, exp.Select) or q.args.get("distinct") or q.args.get("group") or \
            q.args.get("having") or q.args.get("limit") or q.args.get("joins"):
        return False
    frm = q.args.get("from_") or q.args.get("from")
    if frm is None or not isinstance(frm.this, exp.Table):
        return False
    if any(True for _ in q.find_all(*AGGREGATES)):
        return False
    return not any(True for _ in q.find_all(exp.Subquery, exp.Exists)) and \
        sum(1 for _ in q.find_all(exp.Select)) == 1


def _definer(p: exp.DefinerProperty) -> str:
    text = p.this.name if isinstance(p.this, exp.Expression) else str(p.this)
    user, _, host = text.replace("`", "").replace('"', "").replace("'", "").partition("@")
    return f"`{user}`@`{host or '%'}`"


# -- SHOW and information_schema --------------------------------------------------------------

def _quote(n: str) -> str:
    return "`" + n.replace("`", "``") + "`"


def display_sql(v: ViewInfo, qualify_own: bool = False) -> str:
    """The SELECT as SHOW CREATE VIEW writes it: identifiers in backticks, tables of the
    view's own database unqualified (information_schema.VIEWS keeps them qualified)."""
    q = parsed(v).copy()
    if not qualify_own:
        for t in q.find_all(exp.Table):
            if t.db and t.db.lower() == v.schema.lower():
                t.set("db", None)
    return q.sql(dialect=dialect.Kintsugi, identify=True)


def create_view_sql(v: ViewInfo) -> str:
    cols = f" ({','.join(_quote(c) for c in v.columns)})" if v.named else ""
    check = "" if v.check_option == "NONE" else f" WITH {v.check_option} CHECK OPTION"
    return (f"CREATE ALGORITHM={v.algorithm} DEFINER={v.definer} SQL SECURITY {v.security} "
            f"VIEW {_quote(v.name)}{cols} AS {display_sql(v)}{check}")


def show_create_view(schema: Schema, db: str, name: str) -> tuple[list[str], list[list]]:
    v = schema.view(db, name)
    if v is None:
        if schema.table(db, name) is not None:
            raise not_a_view(db, name)
        raise _err(f"Table '{db}.{name}' doesn't exist", 1146, "42S02")
    return (["View", "Create View", "character_set_client", "collation_connection"],
            [[v.name, create_view_sql(v), CHARSET_CLIENT, COLLATION_CONNECTION]])


def views_rows(schema: Schema) -> list[list]:
    out = []
    for v in sorted(schema.views.values(), key=lambda v: (v.schema, v.name)):
        out.append(["def", v.schema, v.name, display_sql(v, qualify_own=True), v.check_option,
                    "YES" if v.updatable else "NO", v.definer.replace("`", ""), v.security,
                    CHARSET_CLIENT, COLLATION_CONNECTION])
    return out
