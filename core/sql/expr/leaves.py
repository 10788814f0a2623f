"""Leaves of the expression tree: literals (MySQL's exact and approximate numbers, hex and bit
strings), placeholders (read from ``ctx.params`` at evaluation time, so a cached plan runs
with new parameters), columns, user and system variables, tuples and a bare INTERVAL.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql.expr.compiler import _Compiler, _Const, _getter, _handles
from core.sql.expr.json import json_column
from core.sql.expr.scope import _DEFAULT_SYSVARS, Row, RowFn
from core.sql.limits import MAX_DECIMAL_DIGITS, illegal_double
from core.sql.types import UINT64_MAX

_INT_RE = re.compile(r"[0-9]+\Z")
_INF = float("inf")


def literal_value(node: exp.Literal) -> Any:
    """A literal's value: strings as str, ``12`` int, ``1.5`` Decimal, ``1e3`` float.

    As mysqld: a number with more digits than DECIMAL's 65 is read as DOUBLE (Python's int()
    would refuse 4300+ digits anyway), and a DOUBLE beyond its range is ERROR 1367, never
    inf."""
    text = node.this
    if node.is_string:
        return text
    if "e" in text or "E" in text or sum(ch.isdigit() for ch in text.lstrip("0")) > \
            MAX_DECIMAL_DIGITS:
        try:
            v = float(text)
        except ValueError:
            raise ProgrammingError(f"Illegal number '{text[:64]}'", errno=1064) from None
        if v in (_INF, -_INF) or v != v:
            raise illegal_double(text)
        return v
    if _INT_RE.match(text):
        v = int(text)
        return v if v <= UINT64_MAX else Decimal(text)
    return Decimal(text)


@_handles(exp.Literal)
def _literal(c: _Compiler, node: exp.Literal) -> _Const:
    return _Const(literal_value(node))


@_handles(exp.Null)
def _null(c: _Compiler, node: exp.Null) -> _Const:
    return _Const(None)


@_handles(exp.Boolean)
def _boolean(c: _Compiler, node: exp.Boolean) -> _Const:
    return _Const(1 if node.this else 0)


# operators whose operands are in numeric context: a hexadecimal literal there is the
# unsigned integer of its bytes (MySQL: ``0x10 + 0`` is 16), elsewhere a binary string
_NUMERIC_PARENTS = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Neg,
                    exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot,
                    exp.BitwiseLeftShift, exp.BitwiseRightShift)


@_handles(exp.HexString)
def _hex(c: _Compiler, node: exp.HexString) -> _Const:
    h = node.this
    raw = bytes.fromhex(h if len(h) % 2 == 0 else "0" + h)
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if isinstance(parent, _NUMERIC_PARENTS):
        return _Const(int.from_bytes(raw, "big"))
    return _Const(raw)


@_handles(exp.BitString)
def _bits(c: _Compiler, node: exp.BitString) -> _Const:
    return _Const(int(node.this or "0", 2))


@_handles(exp.National)
def _national(c: _Compiler, node: exp.National) -> _Const:
    return _Const(node.this)


@_handles(exp.Paren, exp.Alias)
def _passthrough(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    return c.compile(node.this)


@_handles(exp.Collate)
def _collate(c: _Compiler, node: exp.Collate) -> RowFn | _Const:
    """``expr COLLATE name``: the engine compares binary, so only a binary collation is
    honest; a _ci/_ai one answers 1235 (its results would differ)."""
    from core.sql import refusals

    coll = node.expression
    refusals.check_collation(coll.name if coll is not None else "")
    return c.compile(node.this)


@_handles(exp.Introducer)
def _introducer(c: _Compiler, node: exp.Introducer) -> RowFn | _Const:
    return c.compile(node.expression)


_PLAIN_PARAM = frozenset({int, str, Decimal, type(None), bytes, date, datetime, timedelta})


def _norm_param(v: Any) -> Any:
    """A DB-API parameter as a SQL value: bool as 1/0, time as TIME, aware datetimes as
    their naive wall time."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None) if v.tzinfo is not None else v
    if isinstance(v, (date, timedelta)):
        return v
    if isinstance(v, time):
        return timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                         microseconds=v.microsecond)
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, float):
        if v - v != 0:  # inf or nan: no MySQL value, and never to be returned
            raise illegal_double(repr(v))
        return v
    if isinstance(v, str):
        return str(v)  # a subclass (an ENUM value fetched earlier) is plain text here
    if isinstance(v, (int, Decimal)):
        return v
    raise ProgrammingError(
        f"Python type {type(v).__name__} cannot be converted to a SQL value",
        errno=1210, sqlstate="HY000")


@_handles(exp.Placeholder)
def _placeholder(c: _Compiler, node: exp.Placeholder) -> RowFn:
    idx = node.meta.get("param_index") if node.meta else None
    ctx = c.ctx
    if idx is None:
        idx = ctx.param_counter
        ctx.param_counter = idx + 1
    params = ctx.params
    if params is not None and idx >= len(params):
        raise ProgrammingError(
            f"Incorrect arguments to mysqld_stmt_execute: no value for parameter {idx + 1}",
            errno=1210, sqlstate="HY000")

    def param(row: Row) -> Any:
        try:
            v = ctx.params[idx]
        except (IndexError, TypeError):
            raise ProgrammingError(
                f"Incorrect arguments to mysqld_stmt_execute: no value for parameter "
                f"{idx + 1}", errno=1210, sqlstate="HY000") from None
        if type(v) in _PLAIN_PARAM:
            return v
        return _norm_param(v)

    param.param_index = idx  # type: ignore[attr-defined]  # lets comparisons specialise
    return param


@_handles(exp.Column)
def _column(c: _Compiler, node: exp.Column) -> RowFn:
    if isinstance(node.this, exp.Star):
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{node.sql()}'",
            errno=1064, sqlstate="42000")
    pos = c.scope.resolve_column(node.table or None, node.name)
    column_type = getattr(c.scope, "column_type", None)
    if column_type is not None and getattr(column_type(node.table or None, node.name),
                                           "kind", None) == "JSON":
        return json_column(_getter(pos))
    return _getter(pos)


@_handles(exp.Var, exp.Identifier)
def _var(c: _Compiler, node: exp.Expression) -> RowFn:
    return _getter(c.scope.resolve_column(None, node.name))


@_handles(exp.Parameter)
def _user_variable(c: _Compiler, node: exp.Parameter) -> RowFn:
    """``@name``: reads ``ctx.user_variables`` (unset variables are NULL)."""
    name = node.name.lower()
    ctx = c.ctx
    c.volatile()
    return lambda row: getattr(ctx, "user_variables", {}).get(name)


@_handles(exp.SessionParameter)
def _system_variable(c: _Compiler, node: exp.SessionParameter) -> RowFn:
    """``@@[session.|global.]name``: ``ctx.system_variables``, else ERROR 1193."""
    name = node.name.lower()
    ctx = c.ctx
    if name not in getattr(ctx, "system_variables", _DEFAULT_SYSVARS):
        raise ProgrammingError(f"Unknown system variable '{name}'", errno=1193,
                               sqlstate="HY000")
    c.volatile()
    return lambda row: ctx.system_variables.get(name)


@_handles(exp.Tuple)
def _tuple(c: _Compiler, node: exp.Tuple) -> RowFn | _Const:
    """A row constructor as a tuple of values (used for row comparisons, row IN, and
    COUNT(DISTINCT a, b))."""
    fns = [c.fn(e) for e in node.expressions]
    return lambda row: tuple(f(row) for f in fns)


@_handles(exp.Star)
def _star(c: _Compiler, node: exp.Star) -> RowFn:
    raise ProgrammingError(
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        "MySQL server version for the right syntax to use near '*'", errno=1064,
        sqlstate="42000")


@_handles(exp.Interval)
def _interval_alone(c: _Compiler, node: exp.Interval) -> RowFn | _Const:
    if node.args.get("unit") is None:  # sqlglot's reading of INTERVAL 1 DAY + 'x': the 'x'
        return c.compile(node.this)
    raise ProgrammingError(
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        f"MySQL server version for the right syntax to use near '{node.sql(dialect='mysql')}'",
        errno=1064, sqlstate="42000")
