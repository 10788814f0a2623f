"""Control flow as sqlglot types it: CASE, IF(), COALESCE(), NULLIF().  (Called by name through
``exp.Anonymous`` they go through `core.sql.functions.control` instead.)
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.sql.expr.compiler import _Compiler, _handles
from core.sql.expr.scope import Row, RowFn
from core.sql.types import _compare_mixed, compare


@_handles(exp.Case)
def _case(c: _Compiler, node: exp.Case) -> RowFn:
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
    ft, ff = c.fn(node.args.get("true")), c.fn(node.args.get("false"))
    return lambda row: ft(row) if cond(row) else ff(row)


@_handles(exp.Coalesce)
def _coalesce(c: _Compiler, node: exp.Coalesce) -> RowFn:
    fns = tuple([c.fn(node.this)] + [c.fn(e) for e in node.expressions])
    if len(fns) == 2:
        fa, fb = fns

        def ifnull(row: Row) -> Any:
            v = fa(row)
            return fb(row) if v is None else v

        return ifnull

    def coalesce(row: Row) -> Any:
        for f in fns:
            v = f(row)
            if v is not None:
                return v
        return None

    return coalesce


@_handles(exp.Nullif)
def _nullif(c: _Compiler, node: exp.Nullif) -> RowFn:
    fa, fb = c.fn(node.this), c.fn(node.expression)

    def nullif(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        return None if compare(a, fb(row)) == 0 else a

    return nullif
