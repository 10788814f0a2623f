"""Arithmetic operators (``+ - * / DIV %``, unary minus, the bit operators) and
``date + INTERVAL n unit``.  Result types and overflow errors come from `core.sql.types`;
the common column-op-constant shapes are generated from templates so the per-row closure
is one line.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.errors import Error
from core.sql import functions as F
from core.sql.expr.compiler import (
    _HANDLERS,
    _as_fn,
    _column_index,
    _Compiler,
    _Const,
    _handles,
    _templates,
)
from core.sql.expr.scope import Row, RowFn
from core.sql.types import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    add,
    div,
    intdiv,
    mod,
    mul,
    neg,
    sub,
    to_int,
)


def _paren_text(node: exp.Expression) -> Callable[[], str]:
    return lambda: f"({node.sql(dialect='mysql')})"


def _interval_of(node: exp.Expression) -> exp.Interval | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Interval) and node.args.get("unit") is not None:
        return node
    return None


def _date_arith(c: _Compiler, date_node: exp.Expression, iv: exp.Interval,
                sign: int) -> RowFn:
    unit = F.check_unit(iv.args["unit"].name)
    fd = c.fn(date_node)
    fa = c.fn(iv.this)
    date_add = F.date_add

    def date_plus_interval(row: Row) -> Any:
        return date_add(fd(row), fa(row), unit, sign)

    return date_plus_interval


_ARITH_CONST = _templates("""
def make(fa, k, slow, text):
    def arith_int_const(row):
        a = {GET}
        if a.__class__ is int:
            r = a {OP} k
            if MIN <= r <= MAX:
                return r
        if a is None:
            return None
        return slow(a, k, text)
    return arith_int_const
""", {"add": "+", "sub": "-", "mul": "*"}, MIN=INT64_MIN, MAX=INT64_MAX)


def _arith_const(ra: RowFn | _Const, rb: RowFn | _Const, op_name: str,
                 slow: Callable[..., Any], text: Callable[[], str]) -> RowFn | None:
    """``expr op <int constant>``: one closure per row instead of two."""
    if type(rb) is not _Const or type(ra) is _Const or type(rb.value) is not int:
        return None
    i = _column_index(ra)
    return _ARITH_CONST[op_name, i is not None](i if i is not None else ra, rb.value, slow,
                                                 text)


@_handles(exp.Add)
def _add(c: _Compiler, node: exp.Add) -> RowFn:
    iv = _interval_of(node.expression)
    if iv is not None:
        return _date_arith(c, node.this, iv, 1)
    iv = _interval_of(node.this)
    if iv is not None:
        return _date_arith(c, node.expression, iv, 1)
    ra, rb = c.sub(node.this), c.sub(node.expression)
    text = _paren_text(node)
    if type(ra) is _Const and type(rb) is not _Const:
        ra, rb = rb, ra
    special = _arith_const(ra, rb, "add", add, text)
    if special is not None:
        return special
    fa, fb = _as_fn(ra), _as_fn(rb)

    def plus(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if type(a) is int and type(b) is int:
            r = a + b
            if INT64_MIN <= r <= INT64_MAX:
                return r
        return add(a, b, text)

    return plus


@_handles(exp.Sub)
def _sub(c: _Compiler, node: exp.Sub) -> RowFn:
    iv = _interval_of(node.expression)
    if iv is not None:
        return _date_arith(c, node.this, iv, -1)
    ra, rb = c.sub(node.this), c.sub(node.expression)
    text = _paren_text(node)
    special = _arith_const(ra, rb, "sub", sub, text)
    if special is not None:
        return special
    fa, fb = _as_fn(ra), _as_fn(rb)

    def minus(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if type(a) is int and type(b) is int:
            r = a - b
            if INT64_MIN <= r <= INT64_MAX:
                return r
        return sub(a, b, text)

    return minus


@_handles(exp.Mul)
def _mul(c: _Compiler, node: exp.Mul) -> RowFn:
    ra, rb = c.sub(node.this), c.sub(node.expression)
    text = _paren_text(node)
    if type(ra) is _Const and type(rb) is not _Const:
        ra, rb = rb, ra
    special = _arith_const(ra, rb, "mul", mul, text)
    if special is not None:
        return special
    fa, fb = _as_fn(ra), _as_fn(rb)

    def times(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if type(a) is int and type(b) is int:
            r = a * b
            if INT64_MIN <= r <= INT64_MAX:
                return r
        return mul(a, b, text)

    return times


def _division(op: Callable[..., Any], node: exp.Expression, c: _Compiler) -> RowFn:
    fa, fb = c.fn(node.this), c.fn(node.expression)
    text = _paren_text(node)
    ctx = c.ctx

    def divide(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        r = op(a, b, text)
        if r is None:
            warn = getattr(ctx, "warn", None)
            if warn is not None:
                warn(1365, "Division by 0")
        return r

    return divide


@_handles(exp.Div)
def _div(c: _Compiler, node: exp.Div) -> RowFn:
    return _division(div, node, c)


@_handles(exp.IntDiv)
def _intdiv(c: _Compiler, node: exp.IntDiv) -> RowFn:
    return _division(intdiv, node, c)


@_handles(exp.Mod)
def _mod(c: _Compiler, node: exp.Mod) -> RowFn:
    fa, fb = c.fn(node.this), c.fn(node.expression)
    slow = _division(mod, node, c)

    def modulo(row: Row) -> Any:
        a = fa(row)
        b = fb(row)
        if type(a) is int and type(b) is int and a >= 0 and b > 0:
            return a % b
        return slow(row)

    return modulo


@_handles(exp.Neg)
def _neg(c: _Compiler, node: exp.Neg) -> RowFn | _Const:
    inner = c.sub(node.this)
    operand = node.this.sql(dialect="mysql")
    shown = f"-{operand}" if isinstance(node.this, exp.Paren) else f"-({operand})"

    def text() -> str:
        return shown

    if type(inner) is _Const:
        v = inner.value
        if type(v) is int and v == INT64_MAX + 1:
            return _Const(INT64_MIN)  # the literal -9223372036854775808
        if type(v) is int and v > INT64_MAX and isinstance(node.this, exp.Literal):
            return _Const(-Decimal(v))  # MySQL: a negated out-of-range literal is DECIMAL
        try:
            return _Const(neg(v, text))
        except Error:
            pass
    fa = _as_fn(inner)

    def negate(row: Row) -> Any:
        a = fa(row)
        if type(a) is int and INT64_MIN < a <= INT64_MAX:
            return -a
        return neg(a, text)

    return negate


def _u64(v: Any) -> int:
    n = to_int(v)
    if n < 0:
        return n & UINT64_MAX if n >= INT64_MIN else 0
    return n if n <= UINT64_MAX else UINT64_MAX


def _bitop(op: Callable[[int, int], int]) -> Callable[[_Compiler, exp.Expression], RowFn]:
    def handler(c: _Compiler, node: exp.Expression) -> RowFn:
        fa, fb = c.fn(node.this), c.fn(node.expression)

        def bit(row: Row) -> Any:
            a = fa(row)
            if a is None:
                return None
            b = fb(row)
            if b is None:
                return None
            return op(_u64(a), _u64(b)) & UINT64_MAX

        return bit

    return handler


_HANDLERS[exp.BitwiseAnd] = _bitop(operator.and_)
_HANDLERS[exp.BitwiseOr] = _bitop(operator.or_)
_HANDLERS[exp.BitwiseXor] = _bitop(operator.xor)
_HANDLERS[exp.BitwiseLeftShift] = _bitop(lambda a, b: a << b if b < 64 else 0)
_HANDLERS[exp.BitwiseRightShift] = _bitop(lambda a, b: a >> b if b < 64 else 0)


@_handles(exp.BitwiseNot)
def _bitnot(c: _Compiler, node: exp.BitwiseNot) -> RowFn:
    fa = c.fn(node.this)

    def bitnot(row: Row) -> Any:
        a = fa(row)
        return None if a is None else ~_u64(a) & UINT64_MAX

    return bitnot
