"""INSERT, UPDATE and DELETE through an updatable view, as MySQL's MERGE algorithm does it.

A view MySQL calls updatable (one base table, no aggregate, DISTINCT, GROUP BY, HAVING,
LIMIT, UNION, subquery or window; `ViewInfo.updatable`, information_schema.VIEWS'
IS_UPDATABLE) is one table seen through a column mapping and a filter.  A write through it is
rewritten onto that table before it runs: each view column the statement names becomes the
expression the view selects, the view's WHERE is ANDed into the statement's (an UPDATE or
DELETE through a view touches only the rows the view shows), and INSERT's column list names
the base columns.  The rewritten statement then runs as any other, with its checks, indexes,
IGNORE and atomicity, so a view adds no write path of its own.  A view over a view is
rewritten again, down to the table.

MySQL's errors: a view column that is an expression cannot be assigned (1348 "Column 'x' is
not updatable"); a view with any such column takes no INSERT (1471 "The target table v of the
INSERT is not insertable-into"); a view that is not updatable answers 1288 for UPDATE/DELETE
and 1471 for INSERT.  ``INSERT ... ON DUPLICATE KEY UPDATE`` through a view is not built
(1235).  WITH CHECK OPTION is refused when the view is created (core.sql.views).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from core.catalog.model import ViewInfo
from core.errors import NotSupportedError, ProgrammingError
from core.sql import views

if TYPE_CHECKING:
    from core.catalog.store import Schema
    from core.sql.host import StatementHost

# views over views: deeper than any real schema, short of a loop (CREATE refuses those)
_MAX_DEPTH = 32


def _err(msg: str, errno: int, sqlstate: str = "HY000") -> ProgrammingError:
    return ProgrammingError(msg, errno=errno, sqlstate=sqlstate)


def _target(node: exp.Expression) -> exp.Table | None:
    if isinstance(node, exp.Insert):
        t = node.this.this if isinstance(node.this, exp.Schema) else node.this
        return t if isinstance(t, exp.Table) else None
    if isinstance(node, (exp.Update, exp.Delete)):
        t = node.this
        if isinstance(t, exp.Table) and not t.args.get("joins") and \
                not node.args.get("tables") and not node.args.get("using"):
            return t
    return None


def _view_of(session: StatementHost, schema: Schema, t: exp.Table) -> ViewInfo | None:
    db = t.db or session.current_db
    if not db or schema.table(db, t.name) is not None:
        return None
    return schema.view(db, t.name)


def through_views(session: StatementHost, schema: Schema, node: exp.Expression
                  ) -> exp.Expression:
    """`node` rewritten onto the base table when it writes through a view; else `node`."""
    for _ in range(_MAX_DEPTH):
        t = _target(node)
        if t is None:
            return node
        v = _view_of(session, schema, t)
        if v is None:
            return node
        node = _rewrite(node, t, v, schema)
    return node


def _updatable(v: ViewInfo, q: exp.Expression) -> bool:
    return v.updatable and isinstance(q, exp.Select) and \
        not any(True for _ in q.find_all(exp.Window))


def _rewrite(node: exp.Expression, t: exp.Table, v: ViewInfo, schema: Schema
             ) -> exp.Expression:
    q = views.parsed(v)
    verb = "INSERT" if isinstance(node, exp.Insert) else \
        "UPDATE" if isinstance(node, exp.Update) else "DELETE"
    if not _updatable(v, q):
        if verb == "INSERT":
            raise _err(f"The target table {v.name} of the INSERT is not insertable-into", 1471)
        raise _err(f"The target table {v.name} of the {verb} is not updatable", 1288)
    base = q.args["from_"].this.copy()
    mapping = _columns(v, q, _base_columns(schema, base, v))
    names = {t.alias_or_name.lower(), v.name.lower()}
    if verb == "INSERT":
        return _insert(node, v, base, mapping)
    node = node.copy()
    _map_columns(node, names, mapping, schema, v.schema)
    if verb == "UPDATE":
        for a in node.expressions:
            col = a.this if isinstance(a, exp.EQ) else None
            if col is not None and not isinstance(col, exp.Column):
                raise _err(f"Column '{_view_column(col)}' is not updatable", 1348)
    node.set("this", base)
    own = q.args.get("where")
    if own is not None:
        where = node.args.get("where")
        cond = own.this.copy() if where is None else \
            exp.and_(exp.Paren(this=own.this.copy()), exp.Paren(this=where.this))
        node.set("where", exp.Where(this=cond))
    return node


def _base_columns(schema: Schema, base: exp.Table, v: ViewInfo) -> list[str]:
    """The columns `*` stands for in the view's SELECT: its table's (or view's) now."""
    db = base.db or v.schema
    t = schema.table(db, base.name)
    if t is not None:
        return [c.name for c in t.columns]
    inner = schema.view(db, base.name)
    if inner is None:
        raise views.invalid(v)
    return list(inner.columns)


def _columns(v: ViewInfo, q: exp.Select, star: list[str]) -> dict[str, exp.Expression]:
    """View column name (lower case) -> the expression the view selects for it."""
    items: list[exp.Expression] = []
    for e in q.expressions:
        if isinstance(e, exp.Star) or (isinstance(e, exp.Column) and
                                       isinstance(e.this, exp.Star)):
            items += [exp.column(c) for c in star]
        else:
            items.append(e.this if isinstance(e, exp.Alias) else e)
    known = {c.lower() for c in star}
    if len(items) != len(v.columns) or any(  # the table changed under the view: 1356
            c.name.lower() not in known for e in items for c in e.find_all(exp.Column)):
        raise views.invalid(v)
    return {name.lower(): e for name, e in zip(v.columns, items, strict=True)}


def _view_column(e: exp.Expression) -> str:
    return e.meta.get("view_column") or e.sql(dialect="mysql")


def _map_columns(node: exp.Expression, names: set[str], mapping: dict[str, exp.Expression],
                 schema: Schema, db: str) -> None:
    """Replace the statement's references to view columns in place; one that maps to an
    expression keeps the view column's name for the 1348 message.  A name the view does not
    show is 1054 as MySQL answers it, never the base table's hidden column.  Inside a
    subquery an unqualified name is the subquery's own column when one of its tables has
    it, else the view's (an outer reference), as MySQL resolves it."""
    for col in list(node.find_all(exp.Column)):
        if isinstance(col.this, exp.Star):
            continue
        name = col.name.lower()
        inner = _subquery_columns(col, node, schema, db)
        if col.table:
            if col.table.lower() not in names:
                if col.find_ancestor(exp.Select) is None:  # the statement names one table
                    raise _err(f"Unknown column '{col.table}.{col.name}' in "
                               f"'{_clause_of(col, node)}'", 1054, "42S22")
                continue  # a subquery's own table's column
        elif inner is None:
            raise NotSupportedError(
                "This version of KintsugiDB doesn't yet support writing through a view with "
                f"a subquery whose tables it cannot list (column '{col.name}')",
                errno=1235, sqlstate="42000")
        elif name in inner:
            continue  # the subquery's own column
        target = mapping.get(name)
        if target is None:
            raise _err(f"Unknown column '{col.sql(dialect='mysql').replace('`', '')}' in "
                       f"'{_clause_of(col, node)}'", 1054, "42S22")
        new = target.copy()
        if not isinstance(new, exp.Column):
            new = exp.Paren(this=new)
            new.meta["view_column"] = col.name
        col.replace(new)


def _clause_of(col: exp.Expression, root: exp.Expression) -> str:
    p = col
    while p is not None and p is not root:
        if isinstance(p, exp.Where):
            return "where clause"
        if isinstance(p, exp.Order):
            return "order clause"
        p = p.parent
    return "field list"


def _subquery_columns(col: exp.Expression, root: exp.Expression, schema: Schema,
                      db: str) -> set[str] | None:
    """The column names the subqueries enclosing `col` (inside the statement `root`) read
    from their own tables: empty outside any subquery, None when a table cannot be listed."""
    out: set[str] = set()
    p = col.parent
    while p is not None and p is not root:
        if isinstance(p, exp.Select):
            for src in [*(f.this for f in [p.args.get("from_")] if f is not None),
                        *(j.this for j in p.args.get("joins") or [])]:
                cols = _source_columns(src, schema, db)
                if cols is None:
                    return None
                out |= cols
        p = p.parent
    return out


def _source_columns(src: exp.Expression, schema: Schema, db: str) -> set[str] | None:
    if isinstance(src, exp.Table):
        t = schema.table(src.db or db, src.name)
        if t is not None:
            return {c.name.lower() for c in t.columns}
        v = schema.view(src.db or db, src.name)
        return {c.lower() for c in v.columns} if v is not None else None
    if isinstance(src, exp.Subquery) and isinstance(src.this, exp.Select) and src.alias:
        items = src.this.expressions
        if any(isinstance(e, exp.Star) or isinstance(e.this, exp.Star) for e in items):
            return None
        return {e.alias_or_name.lower() for e in items}
    return None


def _insert(node: exp.Insert, v: ViewInfo, base: exp.Table,
            mapping: dict[str, exp.Expression]) -> exp.Expression:
    if node.args.get("conflict") is not None:
        raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                "'INSERT ... ON DUPLICATE KEY UPDATE' through a view",
                                errno=1235, sqlstate="42000")
    if any(not isinstance(e, exp.Column) for e in mapping.values()):
        raise _err(f"The target table {v.name} of the INSERT is not insertable-into", 1471)
    node = node.copy()
    if isinstance(node.this, exp.Schema):
        named = [c.name for c in node.this.expressions]
    else:
        named = list(v.columns)
    cols = []
    for name in named:
        e = mapping.get(name.lower())
        if e is None:
            raise _err(f"Unknown column '{name}' in 'field list'", 1054, "42S22")
        cols.append(exp.to_identifier(e.name))
    node.set("this", exp.Schema(this=base, expressions=cols))
    return node
