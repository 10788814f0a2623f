"""The columns of a view as information_schema.COLUMNS lists them.

MySQL lists a view's columns with their types: a column the view reads unchanged from a
table (or from another view) has that column's type, nullability and default; a computed
one has its expression's type.  The engine knows the first exactly; for the second it knows
the expression's result kind (int, decimal scale, double, string, temporal) and the
character width of literals, CAST AS CHAR(n), CHAR/VARCHAR columns and CONCATs of those,
so a computed column's type is MySQL's where those suffice and an approximation otherwise
(an integer expression is BIGINT, a string of unknown width LONGTEXT, a decimal
DECIMAL(65,scale)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from core.catalog.coltypes import SqlType
from core.catalog.model import ColumnInfo, ViewInfo
from core.catalog.store import Schema
from core.sql import views

if TYPE_CHECKING:
    from core.sql.host import StatementHost

_KIND_TYPES = {"dbl": SqlType("DOUBLE"), "date": SqlType("DATE"),
               "datetime": SqlType("DATETIME"), "time": SqlType("TIME"),
               "bin": SqlType("LONGBLOB")}


def view_columns(session: StatementHost, schema: Schema, v: ViewInfo
                 ) -> list[tuple[SqlType, bool, Any]] | None:
    """(type, nullable, default) per column of `v`; None when the view is invalid (its
    tables or columns are gone), which MySQL leaves out of COLUMNS with a warning."""
    from core.sql.plan import cte

    query = views.parsed(v)
    try:
        planned = session.planner().plan(query.copy(), None)
    except Exception:  # noqa: BLE001 - an invalid view has no columns to list
        return None
    if len(planned.names) != len(v.columns):
        return None
    top = query
    while isinstance(top, exp.SetOperation):
        top = top.this
    items = top.expressions if isinstance(top, exp.Select) else []
    if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
           for e in items) or len(items) != len(v.columns) or top is not query:
        items = [None] * len(v.columns)  # `*` as written, or a UNION: kinds only
    out = []
    kinds = planned.kinds or [None] * len(v.columns)
    planner = session.planner()
    for item, kind in zip(items, kinds, strict=True):
        node = item.unalias() if isinstance(item, exp.Alias) else item
        col = _base_column(schema, v.schema, top, node, 0) if node is not None else None
        if col is not None:
            out.append((col.type, col.nullable, col if col.has_default else None))
            continue
        nullable = _nullable(schema, v.schema, top, node) if node is not None else True
        width = cte._char_width(planner, top, node) if node is not None else None
        if kind is None and node is not None:
            kind = _expr_kind(schema, v.schema, top, node)
        out.append((_type_of(kind, node, width), nullable, None))
    return out


def _nullable(schema: Schema, db: str, sel: exp.Expression, node: exp.Expression) -> bool:
    """MySQL's IS_NULLABLE of a computed column: a literal and COUNT are NOT NULL, + - *
    of NOT NULL operands too; anything else may be NULL."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Null):
        return True
    if isinstance(node, (exp.Literal, exp.Count)):
        return False
    if isinstance(node, exp.Column):
        c = _base_column(schema, db, sel, node, 0)
        return c is None or c.nullable
    if isinstance(node, exp.Neg):
        return _nullable(schema, db, sel, node.this)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        return _nullable(schema, db, sel, node.this) or \
            _nullable(schema, db, sel, node.expression)
    return True


def _expr_kind(schema: Schema, db: str, sel: exp.Expression, node: exp.Expression) -> Any:
    """The result kind of the arithmetic and aggregates MySQL types simply (integers stay
    BIGINT under + - *, a decimal keeps the larger scale, a double wins; COUNT is BIGINT,
    SUM/AVG of integers DECIMAL); None when unknown."""
    from core.sql.types.coercion import kind_of_column

    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        c = _base_column(schema, db, sel, node, 0)
        return kind_of_column(c.type) if c is not None else None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "str"
        text = str(node.this)
        if "e" in text.lower():
            return "dbl"
        return f"dec/{len(text) - text.index('.') - 1}" if "." in text else "int"
    if isinstance(node, exp.Count):
        return "int"
    if isinstance(node, exp.Neg):
        return _expr_kind(schema, db, sel, node.this)
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
        a = _expr_kind(schema, db, sel, node.this)
        b = _expr_kind(schema, db, sel, node.expression)
        if a is None or b is None or "str" in (a, b):
            return None
        if "dbl" in (a, b):
            return "dbl"
        scales = [int(k[4:]) if k.startswith("dec/") else 0 for k in (a, b)]
        if isinstance(node, exp.Div):
            return f"dec/{min(scales[0] + 4, 30)}"
        if a == b == "int":
            return "int"
        if not all(k == "int" or k.startswith("dec/") for k in (a, b)):
            return None
        scale = sum(scales) if isinstance(node, exp.Mul) else max(scales)
        return f"dec/{min(scale, 30)}"
    if isinstance(node, (exp.Sum, exp.Avg)):
        k = _expr_kind(schema, db, sel, node.this)
        if k == "dbl":
            return "dbl"
        if k == "int" or (k or "").startswith("dec/"):
            scale = int(k[4:]) if k.startswith("dec/") else 0
            return f"dec/{min(scale + (4 if isinstance(node, exp.Avg) else 0), 30)}"
        return None
    if isinstance(node, (exp.Min, exp.Max)):
        return _expr_kind(schema, db, sel, node.this)
    return None


def _type_of(kind: Any, node: exp.Expression | None, width: int | None) -> SqlType:
    if kind == "int":
        if isinstance(node, exp.Literal) and -2**31 <= int(node.this) < 2**31:
            return SqlType("INT")
        return SqlType("BIGINT")
    if isinstance(kind, str) and kind.startswith("dec"):
        scale = int(kind[4:]) if kind[4:].isdigit() else 0
        return SqlType("DECIMAL", precision=65, scale=min(scale, 30))
    if kind == "str" or (kind is None and width is not None):
        return SqlType("VARCHAR", length=width) if width is not None else SqlType("LONGTEXT")
    if kind in _KIND_TYPES:
        return _KIND_TYPES[kind]
    return SqlType("BINARY", length=0) if kind == "null" else SqlType("LONGTEXT")


def _base_column(schema: Schema, db: str, sel: exp.Expression, node: exp.Expression,
                 depth: int) -> ColumnInfo | None:
    """The table column a select item reads unchanged, through views; None otherwise."""
    if depth > 16 or not isinstance(node, exp.Column) or not isinstance(sel, exp.Select):
        return None
    from_ = sel.args.get("from_")
    if from_ is None:
        return None
    items = [from_.this] + [j.this for j in sel.args.get("joins") or []]
    hits = []
    for t in items:
        if not isinstance(t, exp.Table):
            return None
        if node.table and node.table.lower() != t.alias_or_name.lower():
            continue
        tdb = t.db or db
        info = schema.table(tdb, t.name)
        if info is not None:
            c = info.column(node.name)
            if c is not None:
                hits.append(c)
            continue
        inner = schema.view(tdb, t.name)
        if inner is None:
            return None
        names = [n.lower() for n in inner.columns]
        if node.name.lower() not in names:
            continue
        q = views.parsed(inner)
        if not isinstance(q, exp.Select) or len(q.expressions) != len(names):
            return None
        e = q.expressions[names.index(node.name.lower())]
        e = e.unalias() if isinstance(e, exp.Alias) else e
        c = _base_column(schema, inner.schema, q, e, depth + 1)
        if c is None:
            return None
        hits.append(c)
    return hits[0] if len(hits) == 1 else None
