"""Control flow as sqlglot types it: CASE, IF(), COALESCE() (and IFNULL()), NULLIF().  (Called by
name through ``exp.Anonymous`` they go through `core.sql.functions.control` instead.)

The result of CASE, IF and COALESCE has one type for all rows, MySQL's aggregate of the
branches' types (`core.sql.expr.compiler.unify`): ``IF(c, datetime_col, date_col)`` is a
DATETIME, ``IFNULL(datetime_col, 'x')`` a VARCHAR, ``COALESCE(int_col, 1.5)`` a DECIMAL.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.catalog.coltypes import MEMBER_KINDS
from core.sql.expr.compiler import _as_fn, _Compiler, _handles, unify
from core.sql.expr.scope import Row, RowFn
from core.sql.types import _compare_mixed, compare, plain_members


def _as_varchar(c: _Compiler, fn: RowFn, branches: list[Any]) -> RowFn:
    """An ENUM/SET column among the branches gives its text, a VARCHAR, as in MySQL (sorted
    as text, not by index).  Decided at compile time: other branches cost nothing."""
    column_type = getattr(c.scope, "column_type", None)
    if column_type is None or not any(
            isinstance(b, exp.Column) and not isinstance(b.this, exp.Star) and
            getattr(column_type(b.table or None, b.name), "kind", None) in MEMBER_KINDS
            for b in branches):
        return fn
    return lambda row: plain_members(fn(row))


@_handles(exp.Case)
def _case(c: _Compiler, node: exp.Case) -> RowFn:
    results = _case_results(node)
    return _as_varchar(c, unify(_case_fn(c, node), [c.static_kind(r) for r in results]), results)


def _case_results(node: exp.Case) -> list[exp.Expression | None]:
    return [i.args.get("true") for i in node.args.get("ifs") or []] + \
        [node.args.get("default")]


def _case_fn(c: _Compiler, node: exp.Case) -> RowFn:
    """CASE before its result type is applied (`unify`)."""
    operand = node.this
    default = c.fn(node.args.get("default"))
    ifs = node.args.get("ifs") or []
    if operand is None:
        branches = tuple((c.truth_fn(i.this), c.fn(i.args.get("true"))) for i in ifs)

        def searched_case(row: Row) -> Any:
            for cond, val in branches:
                if cond(row):
                    return val(row)
            return default(row)

        return searched_case
    if isinstance(operand, exp.Column):
        # CASE col WHEN v: each WHEN is `col = v`, with the conversions `=` makes (a number
        # against a DATETIME column is a datetime); reading a column twice is harmless
        branches = tuple((c.truth_fn(exp.EQ(this=operand.copy(), expression=i.this.copy())),
                          c.fn(i.args.get("true"))) for i in ifs)

        def column_case(row: Row) -> Any:
            for cond, val in branches:
                if cond(row):
                    return val(row)
            return default(row)

        return column_case
    fo = c.fn(operand)
    whens = tuple((c.fn(i.this), c.fn(i.args.get("true"))) for i in ifs)

    def simple_case(row: Row) -> Any:
        v = fo(row)
        if v is not None:
            for when, val in whens:
                w = when(row)
                if w is None:
                    continue
                if w.__class__ is v.__class__:
                    if w == v:
                        return val(row)
                elif _compare_mixed(v, w) == 0:
                    return val(row)
        return default(row)

    return simple_case


@_handles(exp.If)
def _if(c: _Compiler, node: exp.If) -> RowFn:
    cond = c.truth_fn(node.this)
    nt, nf = node.args.get("true"), node.args.get("false")
    rt, rf = c.sub(nt), c.sub(nf)
    ft, ff = _as_fn(rt), _as_fn(rf)
    return _as_varchar(c, unify(lambda row: ft(row) if cond(row) else ff(row),
                             [c.static_kind(nt, rt), c.static_kind(nf, rf)]), [nt, nf])


@_handles(exp.Coalesce)
def _coalesce(c: _Compiler, node: exp.Coalesce) -> RowFn:
    nodes = [node.this] + list(node.expressions)
    compiled = [c.sub(e) for e in nodes]
    kinds = [c.static_kind(e, r) for e, r in zip(nodes, compiled, strict=True)]
    fns = tuple(_as_fn(r) for r in compiled)
    if len(fns) == 2:
        fa, fb = fns

        def ifnull(row: Row) -> Any:
            v = fa(row)
            return fb(row) if v is None else v

        return _as_varchar(c, unify(ifnull, kinds), nodes)

    def coalesce(row: Row) -> Any:
        for f in fns:
            v = f(row)
            if v is not None:
                return v
        return None

    return _as_varchar(c, unify(coalesce, kinds), nodes)


@_handles(exp.Nullif)
def _nullif(c: _Compiler, node: exp.Nullif) -> RowFn:
    fa = c.fn(node.this)
    if isinstance(node.this, exp.Column):  # NULLIF(col, v) tests `col = v` as `=` does
        eq = c.truth_fn(exp.EQ(this=node.this.copy(), expression=node.expression.copy()))

        def nullif_column(row: Row) -> Any:
            a = fa(row)
            return None if a is None or eq(row) else a

        return nullif_column
    fb = c.fn(node.expression)

    def nullif(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        return None if compare(a, fb(row)) == 0 else a

    return nullif
