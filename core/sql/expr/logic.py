"""Three-valued logic (AND, OR, NOT, XOR, IS) and BETWEEN.  AND/OR chains are flattened and
their constant operands folded; BETWEEN builds on the comparison helpers of
`core.sql.expr.comparison`.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql.expr.comparison import _const_comparator
from core.sql.expr.compiler import (
    _NO_CONST,
    _as_fn,
    _column_index,
    _Compiler,
    _Const,
    _const_fn,
    _handles,
    constant_value,
)
from core.sql.expr.scope import Row, RowFn
from core.sql.types import compare


def _flatten(node: exp.Expression, cls: type) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is cls:
            stack.append(n.expression)
            stack.append(n.this)
        else:
            out.append(n)
    return out


@_handles(exp.And)
def _and(c: _Compiler, node: exp.And) -> RowFn | _Const:
    fns: list[RowFn] = []
    saw_null = False
    for part in _flatten(node, exp.And):
        f = c.truth_fn(part)
        v = constant_value(f, _NO_CONST)
        if v is _NO_CONST:
            fns.append(f)
        elif v is None:
            saw_null = True
        elif not v:
            return _Const(0)  # FALSE AND anything is FALSE, even with errors on the right
    if saw_null:
        fns.append(_const_fn(None))
    if not fns:
        return _Const(1)
    if len(fns) == 1:
        only = fns[0]
        return lambda row: (None if (v := only(row)) is None else (1 if v else 0))
    if len(fns) == 2:
        fa, fb = fns

        def and2(row: Row) -> Any:
            a = fa(row)
            if a is None:
                b = fb(row)
                return 0 if (b is not None and not b) else None
            if not a:
                return 0
            b = fb(row)
            if b is None:
                return None
            return 1 if b else 0

        return and2
    parts = tuple(fns)

    def and_n(row: Row) -> Any:
        res: Any = 1
        for f in parts:
            v = f(row)
            if v is None:
                res = None
            elif not v:
                return 0
        return res

    return and_n


@_handles(exp.Or)
def _or(c: _Compiler, node: exp.Or) -> RowFn | _Const:
    fns: list[RowFn] = []
    saw_null = False
    for part in _flatten(node, exp.Or):
        f = c.truth_fn(part)
        v = constant_value(f, _NO_CONST)
        if v is _NO_CONST:
            fns.append(f)
        elif v is None:
            saw_null = True
        elif v:
            return _Const(1)
    if saw_null:
        fns.append(_const_fn(None))
    if not fns:
        return _Const(0)
    if len(fns) == 1:
        only = fns[0]
        return lambda row: (None if (v := only(row)) is None else (1 if v else 0))
    parts = tuple(fns)

    def or_n(row: Row) -> Any:
        res: Any = 0
        for f in parts:
            v = f(row)
            if v is None:
                res = None
            elif v:
                return 1
        return res

    return or_n


@_handles(exp.Not)
def _not(c: _Compiler, node: exp.Not) -> RowFn:
    f = c.truth_fn(node.this)

    def not_(row: Row) -> Any:
        v = f(row)
        if v is None:
            return None
        return 0 if v else 1

    return not_


@_handles(exp.Xor)
def _xor(c: _Compiler, node: exp.Xor) -> RowFn:
    fa, fb = c.truth_fn(node.this), c.truth_fn(node.expression)

    def xor(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        return 1 if bool(a) != bool(b) else 0

    return xor


@_handles(exp.Is)
def _is(c: _Compiler, node: exp.Is) -> RowFn:
    target = node.expression
    if isinstance(target, exp.Null):
        f = c.fn(node.this)

        def result(row: Row) -> int:
            return 1 if f(row) is None else 0
    elif isinstance(target, exp.Boolean):
        f = c.truth_fn(node.this)
        if target.this:
            def result(row: Row) -> int:
                return 1 if f(row) else 0
        else:
            def is_false(row: Row) -> int:
                v = f(row)
                return 1 if v is not None and not v else 0

            result = is_false
    else:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near "
            f"'{target.sql(dialect='mysql')}'", errno=1064, sqlstate="42000")
    if node.args.get("negate"):
        inner = result
        return lambda row: 1 - inner(row)
    return result


class _NoClass:
    """A class no value has (BETWEEN bounds of two classes take no fast path)."""


@_handles(exp.Between)
def _between(c: _Compiler, node: exp.Between) -> RowFn:
    fv, rlo, rhi = c.fn(node.this), c.sub(node.args["low"]), c.sub(node.args["high"])
    if type(rlo) is _Const and type(rhi) is _Const and rlo.value is not None \
            and rhi.value is not None:
        # Constant bounds convert as a comparison's constants do (a number against a DATE
        # column is a date: the planner's key range assumes the same), each bound by itself.
        lo_k, hi_k = rlo.value, rhi.value
        kt = type(lo_k) if type(lo_k) is type(hi_k) else _NoClass
        column = _column_index(fv) is not None
        lo_cmp = _const_comparator(lo_k, column, c.ctx)
        hi_cmp = _const_comparator(hi_k, column, c.ctx)

        def between_const(row: Row) -> Any:
            v = fv(row)
            if v.__class__ is kt:
                return 1 if lo_k <= v <= hi_k else 0
            if v is None:
                return None
            return 1 if lo_cmp(v) >= 0 and hi_cmp(v) <= 0 else 0

        return between_const
    flo, fhi = _as_fn(rlo), _as_fn(rhi)

    def between(row: Row) -> Any:
        v = fv(row)
        if v is None:
            return None
        lo, hi = flo(row), fhi(row)
        tv = v.__class__
        if lo.__class__ is tv and hi.__class__ is tv:
            return 1 if lo <= v <= hi else 0
        c1 = None if lo is None else compare(v, lo) >= 0
        c2 = None if hi is None else compare(v, hi) <= 0
        if c1 is False or c2 is False:
            return 0
        if c1 is None or c2 is None:
            return None
        return 1

    return between
