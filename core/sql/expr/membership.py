"""IN (a constant list, or the rows of an uncorrelated subquery, becomes a hash set with IN's
NULL rules) and the other subquery forms: EXISTS, scalar subqueries, a bare SELECT.
Subqueries are compiled by the planner through ``ctx.compile_subquery``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.sql.expr.comparison import _is_rowish, _row_compare
from core.sql.expr.compiler import (
    _as_fn,
    _Compiler,
    _Const,
    _handles,
    _unsupported,
)
from core.sql.expr.scope import Row, RowFn, _err_operand, _err_subquery_rows
from core.sql.types import _compare_mixed, compare


class _InSet:
    """Membership test against a fixed list of values with IN's NULL rules: 1 if found,
    NULL if not found but the list had a NULL, else 0.  Hash lookups when the classes
    allow it, `compare` otherwise."""

    __slots__ = ("values", "has_null", "exact", "floats", "strs", "all_num", "all_str",
                 "has_float", "empty")

    def __init__(self, values: Iterable[Any]):
        vals = list(values)
        self.empty = not vals
        self.has_null = any(v is None for v in vals)
        self.values = [v for v in vals if v is not None]
        nums = [v for v in self.values if type(v) in (int, Decimal, float)]
        strs = [v for v in self.values if type(v) is str]
        self.all_num = len(nums) == len(self.values)
        self.all_str = len(strs) == len(self.values)
        self.has_float = any(type(v) is float for v in nums)
        self.exact = frozenset(nums)
        self.floats = frozenset(float(v) for v in nums)
        self.strs = frozenset(strs)

    def match(self, a: Any) -> Any:
        if a is None:
            return None
        miss = None if self.has_null else 0
        t = type(a)
        if self.all_num:
            if t is int or (t is Decimal and not self.has_float):
                return 1 if a in self.exact else miss
            if t is float or t is Decimal:
                return 1 if float(a) in self.floats else miss
        elif self.all_str and t is str:
            return 1 if a in self.strs else miss
        for v in self.values:
            if compare(a, v) == 0:
                return 1
        return miss


@_handles(exp.In)
def _in(c: _Compiler, node: exp.In) -> RowFn | _Const:
    query = node.args.get("query")
    if query is not None:
        return _in_subquery(c, node.this, query)
    if node.args.get("unnest") is not None or node.args.get("field") is not None:
        return _unsupported(c, node)
    items = node.expressions
    if _is_rowish(node.this) or any(_is_rowish(e) for e in items):
        fa = c.fn(node.this)
        fitems = [c.fn(e) for e in items]

        def row_in(row: Row) -> Any:
            a = fa(row)
            res: Any = 0
            for f in fitems:
                r = _row_compare(a, f(row), exp.EQ)
                if r == 1:
                    return 1
                if r is None:
                    res = None
            return res

        return row_in
    fa = c.fn(node.this)
    by_date = _dates_against_numbers(c, node, fa)
    if by_date is not None:
        return by_date
    compiled = [c.sub(e) for e in items]
    if all(type(x) is _Const for x in compiled):
        s = _InSet(x.value for x in compiled)  # type: ignore[union-attr]
        match = s.match
        if s.all_num and not s.has_float:
            exact = s.exact
            miss = None if s.has_null else 0

            def in_ints(row: Row) -> Any:
                a = fa(row)
                if a.__class__ is int:
                    return 1 if a in exact else miss
                return match(a)

            return in_ints
        if s.all_str:
            strs = s.strs
            miss_s = None if s.has_null else 0

            def in_strs(row: Row) -> Any:
                a = fa(row)
                if a.__class__ is str:
                    return 1 if a in strs else miss_s
                return match(a)

            return in_strs
        return lambda row: match(fa(row))
    fns = [_as_fn(x) for x in compiled]

    def in_list(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        res: Any = 0
        for f in fns:
            v = f(row)
            if v is None:
                res = None
            elif a.__class__ is v.__class__:
                if a == v:
                    return 1
            elif _compare_mixed(a, v) == 0:
                return 1
        return res

    return in_list


def _dates_against_numbers(c: _Compiler, node: exp.In, fa: RowFn) -> RowFn | None:
    """`col IN (20210101, ...)`: when the column holds a DATE/DATETIME, each number is
    converted to the column's type as `col = 20210101` converts it (MySQL's
    convert_constant_item), so the list reads as `col = x OR col = y ...`.  Other values
    keep the list's own fast path.  None when the left side is no plain column or no item
    is a number literal."""
    items = node.expressions
    if not isinstance(node.this, exp.Column) or not any(
            (isinstance(e, exp.Literal) and not e.is_string) or
            (isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal)) for e in items):
        return None
    col = node.this
    column_type = getattr(c.scope, "column_type", None)
    known = column_type(col.table or None, col.name) if column_type is not None else None
    if known is not None and known.kind not in ("DATE", "DATETIME", "TIMESTAMP"):
        return None  # a known non-date column keeps the plain list (the hot path)
    as_eqs = c.fn(exp.or_(*[exp.EQ(this=node.this.copy(), expression=e.copy())
                            for e in items], copy=False))
    rest = node.copy()
    rest.set("this", exp.Paren(this=node.this.copy()))  # not a plain column: no recursion
    fallback = c.fn(rest)
    temporal = (date, datetime)

    def in_dates(row: Row) -> Any:
        a = fa(row)
        if a.__class__ in temporal:
            return as_eqs(row)
        return fallback(row)

    return in_dates


def _in_subquery(c: _Compiler, left: exp.Expression, query: exp.Expression) -> RowFn:
    fa = c.fn(left)
    rows_of = c.subquery(query)
    rowish = _is_rowish(left)
    cache: list[Any] = [None, None]  # (rows object, _InSet): uncorrelated subqueries return
    #                                   the same list for a whole statement

    def in_subquery(row: Row) -> Any:
        a = fa(row)
        rows = rows_of(row)
        if rowish:
            res: Any = 0
            for r in rows:
                cr = _row_compare(a, tuple(r), exp.EQ)
                if cr == 1:
                    return 1
                if cr is None:
                    res = None
            return res
        if rows is not cache[0] or not isinstance(rows, list):
            vals = []
            for r in rows:
                if len(r) != 1:
                    raise _err_operand(1)
                vals.append(r[0])
            cache[0], cache[1] = rows, _InSet(vals)
        s: _InSet = cache[1]
        if s.empty:
            return 0
        return s.match(a)

    return in_subquery


@_handles(exp.Exists)
def _exists(c: _Compiler, node: exp.Exists) -> RowFn:
    rows_of = c.subquery(node.this)

    def exists(row: Row) -> int:
        for _r in rows_of(row):
            return 1
        return 0

    return exists


@_handles(exp.Subquery)
def _scalar_subquery(c: _Compiler, node: exp.Subquery) -> RowFn:
    rows_of = c.subquery(node)

    def scalar(row: Row) -> Any:
        it = iter(rows_of(row))
        first = next(it, None)
        if first is None:
            return None
        if next(it, None) is not None:
            raise _err_subquery_rows()
        if len(first) != 1:
            raise _err_operand(1)
        return first[0]

    return scalar


@_handles(exp.Select, exp.Union)
def _bare_query(c: _Compiler, node: exp.Expression) -> RowFn:
    return _scalar_subquery(c, node)  # type: ignore[arg-type]
