"""Comparison operators (``= <> < <= > >= <=>``), row-value comparisons and ANY/ALL
subqueries.  Against a constant, the constant's conversions (string to number, string to
date) are done once at compile time and column-vs-constant closures come from templates;
against a placeholder, the conversion is done once per parameter object.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.sql.expr.compiler import (
    _NO_CONST,
    _as_fn,
    _column_index,
    _Compiler,
    _Const,
    _const_fn,
    _handles,
    _is_boolean,
    _templates,
)
from core.sql.expr.scope import EvalContext, Row, RowFn, _err_operand, _err_subquery_rows
from core.sql.types import _as_datetime, _compare_mixed, compare, parse_temporal, to_double
from core.sql.types.convert import truncated_number
from core.sql.types.temporal import number_to_temporal, temporal_constant

_OPS: dict[type, tuple[Callable[[Any, Any], bool], Callable[[int], bool], type]] = {
    exp.EQ: (operator.eq, lambda r: r == 0, exp.EQ),
    exp.NEQ: (operator.ne, lambda r: r != 0, exp.NEQ),
    exp.LT: (operator.lt, lambda r: r < 0, exp.GT),
    exp.LTE: (operator.le, lambda r: r <= 0, exp.GTE),
    exp.GT: (operator.gt, lambda r: r > 0, exp.LT),
    exp.GTE: (operator.ge, lambda r: r >= 0, exp.LTE),
}


def _bad_date_warning(ctx: EvalContext | None, c: str) -> Callable[[Any], None]:
    """Warn 1292 once per execution that string `c`, compared with a date, is no date (MySQL
    converts the constant once and warns once)."""
    seen: list[Any] = [_NO_CONST]

    def warn(a: Any) -> None:
        if ctx is None:
            return
        token = getattr(ctx, "run_token", None)
        if seen[0] is token and token is not None:
            return
        seen[0] = token
        what = "date" if type(a) is date else "datetime"
        ctx.warn(1292, f"Incorrect {what} value: '{c[:128]}'")

    return warn


def _const_comparator(c: Any, column: bool = False,
                      ctx: EvalContext | None = None) -> Callable[[Any], int]:
    """compare(a, c) for a non-NULL `a` of another class than the constant `c`, with the
    constant's conversions (string to number, string to date) done once.

    With `column` (the other operand is a plain column), a number compared with a
    DATE/DATETIME value is first converted to that type, as MySQL's convert_constant_item
    does (``dt < 20210101`` is ``dt < '2021-01-01 00:00:00'``); a number that is no date
    compares numerically (``dt > 1``).  A string that is no date compared with a date is the
    zero date, with warning 1292 through `ctx`."""
    tc = type(c)
    if tc is int or tc is Decimal or tc is float:
        forms: list[Any] = []  # the constant's DATETIME and DATE forms, made when first met

        def vs_other(a: Any, ta: type) -> int:
            """A value that is no number: a date against the constant's date form (worked
            out on the first date met: a point lookup's parameter never needs it)."""
            if ta is str or ta is bytes:
                _number_text_warning(ctx, a, c)
            if column and (ta is datetime or ta is date):
                if not forms:
                    ctemp = number_to_temporal(c)
                    forms.append(_as_datetime(ctemp) if ctemp is not None else None)
                    forms.append(temporal_constant(ctemp, "DATE") if ctemp is not None
                                 else None)
                tdt, tdate = forms
                if tdt is not None:
                    if ta is datetime:
                        return (a > tdt) - (a < tdt)
                    if tdate is not None:
                        return (a > tdate) - (a < tdate)
            return _compare_mixed(a, c)

        if tc is float:
            def vs_float(a: Any) -> int:
                ta = type(a)
                if ta is int or ta is Decimal:
                    x = float(a)
                    return (x > c) - (x < c)
                return vs_other(a, ta)

            return vs_float
        cf = float(c)

        def vs_exact(a: Any) -> int:
            ta = type(a)
            if ta is int or ta is Decimal:
                return (a > c) - (a < c)
            if ta is float:
                return (a > cf) - (a < cf)
            return vs_other(a, ta)

        return vs_exact
    if tc is str:
        cnum = to_double(c)
        ctemp = parse_temporal(c)
        cdate = ctemp if type(ctemp) is date else None
        cdt = _as_datetime(ctemp) if ctemp is not None else None
        warn = _bad_date_warning(ctx, c) if ctemp is None else None
        # an integer column against a string that is an integer: the string is converted
        # to the column's integer type (MySQL's convert_constant_item), not both to DOUBLE,
        # which cannot tell 9007199254740993 from 9007199254740992
        cint = _int_text(c) if column else None
        cbad = truncated_number(c)
        text_warning = None
        if cbad is not None and ctx is not None:
            def text_warning() -> None:
                ctx.warn(1292, f"Truncated incorrect DOUBLE value: '{cbad[:128]}'")

        def vs_str(a: Any) -> int:
            ta = type(a)
            if ta is int and cint is not None:
                return (a > cint) - (a < cint)
            if (ta is int or ta is Decimal or ta is float) and text_warning is not None:
                text_warning()
            if ta is int or ta is Decimal or ta is float:
                x = float(a)
                return (x > cnum) - (x < cnum)
            if ta is date and cdate is not None:
                return (a > cdate) - (a < cdate)
            if ta is date or ta is datetime:
                if cdt is None:
                    warn(a)  # type: ignore[misc]
                    return 1  # after the zero date
                x = _as_datetime(a)
                return (x > cdt) - (x < cdt)
            return _compare_mixed(a, c)

        return vs_str
    if tc is date or tc is datetime:
        cdt2 = _as_datetime(c)

        def vs_date(a: Any) -> int:
            ta = type(a)
            if ta is date or ta is datetime:
                x = _as_datetime(a)
                return (x > cdt2) - (x < cdt2)
            return _compare_mixed(a, c)

        return vs_date
    return lambda a: _compare_mixed(a, c)


def _int_text(c: str) -> int | None:
    """The integer a string spells exactly (surrounding spaces allowed), else None."""
    t = c.strip()
    body = t[1:] if t[:1] in "+-" else t
    return int(t) if body.isascii() and body.isdigit() else None


_CMP_OPS = {"EQ": "==", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
_CMP_CONST = _templates("""
def make(fa, c, slow):
    ct = type(c)
    def cmp_const(row):
        a = {GET}
        if a.__class__ is ct:
            return 1 if a {OP} c else 0
        if a is None:
            return None
        return 1 if slow(a) {OP} 0 else 0
    return cmp_const
""", _CMP_OPS)


def _cmp_col_const(fa: RowFn, c: Any, op_name: str, ctx: EvalContext | None = None) -> RowFn:
    """``expr op constant`` with the constant's conversions precomputed."""
    i = _column_index(fa)
    make = _CMP_CONST[op_name, i is not None]
    return make(i if i is not None else fa, c, _const_comparator(c, i is not None, ctx))


_NUMBERS = (int, float, Decimal)


def _number_text_warning(ctx: EvalContext | None, a: Any, b: Any) -> None:
    """A string compared with a number is read as one; when only in part (``'12abc' = 12``)
    MySQL warns 1292, and a strict INSERT/UPDATE/DELETE fails with it."""
    if ctx is None:
        return
    ta, tb = type(a), type(b)
    if ta in _NUMBERS and (tb is str or tb is bytes):
        s = b
    elif tb in _NUMBERS and (ta is str or ta is bytes):
        s = a
    else:
        return
    bad = truncated_number(s)
    if bad is not None:
        ctx.warn(1292, f"Truncated incorrect DOUBLE value: '{bad[:128]}'")


def _mixed_warning(ctx: EvalContext | None) -> Callable[[Any, Any], int]:
    """`_compare_mixed` that also warns 1292 when a date meets a string that is no date
    (MySQL compares it as the zero date and says so)."""
    def mixed(a: Any, b: Any) -> int:
        r = _compare_mixed(a, b)
        if ctx is not None:
            ta, tb = type(a), type(b)
            if (ta is date or ta is datetime) and (tb is str or tb is bytes):
                d, s = a, b
            elif (tb is date or tb is datetime) and (ta is str or ta is bytes):
                d, s = b, a
            else:
                _number_text_warning(ctx, a, b)
                return r
            text = s if type(s) is str else s.decode("utf-8", "replace")
            if parse_temporal(text) is None:
                what = "date" if type(d) is date else "datetime"
                ctx.warn(1292, f"Incorrect {what} value: '{text[:128]}'")
        return r

    return mixed


def _cmp_generic(fa: RowFn, fb: RowFn, pyop: Callable[[Any, Any], bool],
                 test: Callable[[int], bool], ctx: EvalContext | None = None) -> RowFn:
    mixed = _mixed_warning(ctx)

    def cmp(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if a.__class__ is b.__class__:
            return 1 if pyop(a, b) else 0
        return 1 if test(mixed(a, b)) else 0

    return cmp


def _row_compare(av: Any, bv: Any, cls: type) -> Any:
    """MySQL row comparison: ``(a, b) = (x, y)`` pairwise with NULL logic, ``<`` etc.
    lexicographic."""
    if not isinstance(av, tuple) or not isinstance(bv, tuple) or len(av) != len(bv):
        n = len(av) if isinstance(av, tuple) else 1
        raise _err_operand(n)
    if cls is exp.NullSafeEQ:
        return 1 if all(compare(x, y) == 0 or (x is None and y is None)
                        for x, y in zip(av, bv, strict=True)) else 0
    if cls in (exp.EQ, exp.NEQ):
        res: Any = 1
        for x, y in zip(av, bv, strict=True):
            r = compare(x, y)
            if r is None:
                res = None
            elif r != 0:
                res = 0
                break
        if cls is exp.NEQ and res is not None:
            res = 1 - res
        return res
    test = _OPS[cls][1]
    for x, y in zip(av, bv, strict=True):
        r = compare(x, y)
        if r is None:
            return None
        if r != 0:
            return 1 if test(r) else 0
    return 1 if test(0) else 0


def _is_rowish(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Tuple)


@_handles(exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ)
def _comparison(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    cls = type(node)
    left, right = node.this, node.expression
    if isinstance(right, (exp.Any, exp.All)):
        return _quantified(c, node, left, right)
    if _is_rowish(left) or _is_rowish(right):
        fa = _row_operand(c, left)
        fb = _row_operand(c, right)
        return lambda row: _row_compare(fa(row), fb(row), cls)
    if _json_operand(c, left) and _is_boolean(right):  # MySQL: JSON true/false, not 1/0
        return _cmp_generic(c.fn(left), _as_bool(c.fn(right)), *_OPS[cls][:2], c.ctx)
    if _json_operand(c, right) and _is_boolean(left):
        return _cmp_generic(_as_bool(c.fn(left)), c.fn(right), *_OPS[cls][:2], c.ctx)
    ra, rb = c.sub(left), c.sub(right)
    if cls is exp.NullSafeEQ:
        for col, k in ((ra, rb), (rb, ra)):
            if type(k) is _Const and type(col) is not _Const and k.value is not None:
                # `x <=> constant` is `x = constant` with NULL false: the constant gets the
                # conversions `=` gives it (a number against a DATETIME column is a datetime)
                eq, fcol = _cmp_col_const(col, k.value, "EQ", c.ctx), _as_fn(col)

                def null_safe_const(row: Row, eq=eq, fcol=fcol) -> int:
                    return 0 if fcol(row) is None else (1 if eq(row) == 1 else 0)

                return null_safe_const
        fa, fb = _as_fn(ra), _as_fn(rb)

        def null_safe_eq(row: Row) -> int:
            a, b = fa(row), fb(row)
            if a is None or b is None:
                return 1 if a is None and b is None else 0
            if a.__class__ is b.__class__:
                return 1 if a == b else 0
            return 1 if _compare_mixed(a, b) == 0 else 0

        return null_safe_eq
    pyop, test, mirror = _OPS[cls]
    if type(rb) is _Const and type(ra) is not _Const:
        if rb.value is None:
            return _const_fn(None)
        return _cmp_col_const(ra, rb.value, cls.__name__, c.ctx)
    if type(ra) is _Const and type(rb) is not _Const:
        if ra.value is None:
            return _const_fn(None)
        return _cmp_col_const(rb, ra.value, mirror.__name__, c.ctx)
    if hasattr(rb, "param_index") and not hasattr(ra, "param_index"):
        return _cmp_col_param(ra, rb, c.ctx, pyop, test)
    if hasattr(ra, "param_index") and not hasattr(rb, "param_index"):
        mpyop, mtest, _m = _OPS[mirror]
        return _cmp_col_param(rb, ra, c.ctx, mpyop, mtest)
    return _cmp_generic(_as_fn(ra), _as_fn(rb), pyop, test, c.ctx)


def _json_operand(c: _Compiler, node: exp.Expression) -> bool:
    """Is `node` a JSON value (``doc->'$.a'``, JSON_EXTRACT, a JSON column, CAST AS JSON)?
    Compared with one, a boolean expression is JSON true/false (get_json_atom_wrapper)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.JSONExtract, exp.JSONObject, exp.JSONArray)):
        return True
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        return isinstance(to, exp.DataType) and to.this == exp.DataType.Type.JSON
    if isinstance(node, exp.Column):
        column_type = getattr(c.scope, "column_type", None)
        t = column_type(node.table or None, node.name) if column_type is not None else None
        return getattr(t, "kind", None) == "JSON"
    return False


def _as_bool(f: RowFn) -> RowFn:
    def boolean(row: Row) -> Any:
        v = f(row)
        return None if v is None else bool(v)

    return boolean


class _NoMatch:
    """A class no value has (so ``a.__class__ is ct`` is never true)."""


def _cmp_col_param(fa: RowFn, fparam: RowFn, ctx: EvalContext,
                   pyop: Callable[[Any, Any], bool], test: Callable[[int], bool]) -> RowFn:
    """``col op ?``: the parameter is constant for one execution, so its conversions are
    done once per `ctx.params` object (the session assigns a new one per execution)."""
    seen: Any = _NO_CONST
    c: Any = None
    ct: type = type(None)
    slow: Callable[[Any], int] = _compare_mixed  # type: ignore[assignment]
    column = _column_index(fa) is not None

    def cmp_param(row: Row) -> Any:
        nonlocal seen, c, ct, slow
        p = ctx.params
        if p is not seen:
            c = fparam(row)
            ct = type(c) if c is not None else _NoMatch
            slow = _const_comparator(c, column, ctx) if c is not None \
                else _compare_mixed  # type: ignore
            seen = p
        a = fa(row)
        if a.__class__ is ct:
            return 1 if pyop(a, c) else 0
        if a is None or c is None:
            return None
        return 1 if test(slow(a)) else 0

    return cmp_param


def _row_operand(c: _Compiler, node: exp.Expression) -> RowFn:
    """A row-valued operand: a tuple, or a subquery returning one row of several columns."""
    inner = node
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Subquery):
        rows_of = c.subquery(inner)

        def row_subquery(row: Row) -> Any:
            it = iter(rows_of(row))
            first = next(it, None)
            if first is None:
                return None
            if next(it, None) is not None:
                raise _err_subquery_rows()
            return tuple(first)

        return row_subquery
    f = c.fn(node)
    return f


def _quantified(c: _Compiler, node: exp.Expression, left: exp.Expression,
                q: exp.Any | exp.All) -> RowFn:
    """``a op ANY (subquery)`` / ``a op ALL (subquery)`` with SQL's NULL rules."""
    cls = type(node)
    fa = c.fn(left)
    rows_of = c.subquery(q.this)
    is_all = isinstance(q, exp.All)
    test = (lambda r: r == 0) if cls is exp.NullSafeEQ else _OPS[cls][1]

    def quantified(row: Row) -> Any:
        a = fa(row)
        saw_null = False
        for r in rows_of(row):
            if len(r) != 1:
                raise _err_operand(1)
            cr = compare(a, r[0])
            if cr is None:
                saw_null = True
                continue
            ok = test(cr)
            if is_all and not ok:
                return 0
            if not is_all and ok:
                return 1
        if saw_null:
            return None
        return 1 if is_all else 0

    return quantified
