"""Arithmetic operators (``+ - * / DIV %``, unary minus, the bit operators) and
``date + INTERVAL n unit``.  Result types and overflow errors come from `core.sql.types`;
the common column-op-constant shapes are generated from templates so the per-row closure
is one line.

An arithmetic expression with a DECIMAL division in it is compiled as a whole
(`_precise`): every operator works on the digits MySQL keeps (a quotient keeps whole 9-digit
groups, `div_exact`) while the scale MySQL's result type shows travels alongside, and the
expression rounds to that scale once, at the end: ``1/3*3`` is 1.0000 and ``(2/7)*1e0``
0.285714285.  Where the value goes decides which one leaves (`_consumer`): a comparison, a
numeric function, a CAST to a number, a stored value and SET get the kept digits (as
mysqld's val_decimal/val_real do), SUM/AVG get them with the shown scale attached, and
everything else (the select list, ORDER BY, GROUP BY, strings) the rounded value.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.errors import Error
from core.sql import functions as F
from core.sql.expr import signedness
from core.sql.expr.compiler import (
    _HANDLERS,
    _as_fn,
    _column_index,
    _Compiler,
    _Const,
    _handles,
)
from core.sql.expr.item_text import item_text
from core.sql.expr.scope import Row, RowFn
from core.sql.types import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    add,
    div,
    mod,
    mul,
    neg,
    sub,
    to_int,
)
from core.sql.types.arith import (
    DIV_PRECISION_INCREMENT,
    MAX_DECIMAL_SCALE,
    ScaledDecimal,
    div_exact,
    mul_exact,
    shown_value,
)
from core.sql.types.convert import to_number, truncated_number


def _paren_text(node: exp.Expression, c: _Compiler | None = None) -> Callable[[], str]:
    """The text of ERROR 1690 for `node`: mysqld's printing of it (`item_text`)."""
    scope = c.scope if c is not None else None
    return lambda: item_text(node, scope)


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


# --- exact DECIMAL division inside an expression ------------------------------------------------

_BINARY = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod)
_MAX_PRECISE_NODES = 64  # a longer chain compiles operator by operator (rounding each /)

# Where a value goes -> which value it gets (see the module docstring).
_SHOWN, _KEPT, _CARRIED = 0, 1, 2
_KEPT_PARENTS: tuple[type, ...] = tuple(
    c for c in (getattr(exp, n, None) for n in (
        "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "NullSafeEQ", "Between", "In",
        "Round", "Trunc", "Floor", "Ceil", "Sign", "Ln", "Log", "Exp", "Sqrt", "Pow",
        "Sin", "Cos", "Tan", "Cot", "Asin", "Acos", "Atan", "Atan2", "Degrees", "Radians"))
    if c is not None)
_KEPT_FUNCTIONS = frozenset({"LOG2", "LOG10", "COT", "ATAN", "ATAN2"})


def _consumer(node: exp.Expression) -> int:
    """Which value of the expression `node` its parent reads: the kept digits (a comparison,
    a numeric function, CAST to a number, INSERT ... VALUES, SET/UPDATE assignments, which
    sqlglot parses as ``=``), the kept digits with the shown scale (SUM, AVG), or the value
    rounded to the shown scale (anything else)."""
    p = node.parent
    while isinstance(p, exp.Paren):
        p = p.parent
    if isinstance(p, exp.Distinct):
        p = p.parent
    if isinstance(p, (exp.Sum, exp.Avg)):
        return _CARRIED
    if isinstance(p, _KEPT_PARENTS):
        return _KEPT
    if _is_condition(node, p):  # truth is tested on the kept digits: 1/1000000 is true
        return _KEPT
    if isinstance(p, exp.Anonymous) and p.name.upper() in _KEPT_FUNCTIONS:
        return _KEPT
    if isinstance(p, exp.Cast):
        to = p.args.get("to")
        if isinstance(to, exp.DataType) and to.this in exp.DataType.NUMERIC_TYPES:
            return _KEPT
        return _SHOWN
    if isinstance(p, exp.Tuple) and isinstance(p.parent, exp.Values):
        return _KEPT
    return _SHOWN


def _is_condition(node: exp.Expression, p: exp.Expression | None) -> bool:
    """Whether `node` is read for its truth: a WHERE/HAVING/ON condition, an operand of
    NOT/AND/OR/XOR/IS, or the condition (not a branch) of IF / CASE WHEN."""
    if isinstance(p, (exp.Where, exp.Having, exp.Not, exp.And, exp.Or, exp.Xor, exp.Is)):
        return True
    if isinstance(p, exp.Join):
        return p.args.get("on") is node
    if isinstance(p, exp.If):
        return p.this is node
    return False


def _is_arith(c: _Compiler, node: exp.Expression, top: bool) -> bool:
    """An operator node the precise compiler handles itself (not a leaf): not date +
    INTERVAL, not a negated literal (its own rules), not a sub-expression the planner has
    already computed (a GROUP BY key)."""
    if isinstance(node, _BINARY):
        if isinstance(node, (exp.Add, exp.Sub)) and _interval_of(node.expression) is not None:
            return False
        if isinstance(node, exp.Add) and _interval_of(node.this) is not None:
            return False
    elif isinstance(node, exp.Neg):
        if isinstance(node.this, exp.Literal):
            return False
    elif not isinstance(node, exp.Paren):
        return False
    return top or c.scope.lookup_expr(node) is None


def _has_division(c: _Compiler, node: exp.Expression) -> bool:
    """True when the operator tree under `node` divides (``/``) somewhere, and is small
    enough to compile as a whole."""
    stack, seen, found = [node], 0, False
    top = True
    while stack:
        n = stack.pop()
        if not _is_arith(c, n, top):
            top = False
            continue
        top = False
        seen += 1
        if seen > _MAX_PRECISE_NODES:
            return False
        if isinstance(n, exp.Div):
            found = True
        if isinstance(n, _BINARY):
            stack.append(n.this)
            stack.append(n.expression)
        else:
            stack.append(n.this)
    return found


def _tagged(v: Any) -> tuple[Any, int]:
    """A leaf's value as an operand: (number, the scale its type shows)."""
    t = type(v)
    if t is int or t is float:
        return v, 0
    if t is Decimal:
        e = v.as_tuple().exponent
        return v, (-e if isinstance(e, int) and e < 0 else 0)
    x = to_number(v)
    if type(x) is Decimal:
        return _tagged(x)
    return (int(x) if type(x) is bool else x), 0


_Pair = tuple[Any, int] | None


def _pbuild(c: _Compiler, node: exp.Expression, top: bool = False) -> Callable[[Row], _Pair]:
    """Compile an operator tree to ``fn(row) -> (kept value, shown scale)`` or None (NULL)."""
    while isinstance(node, exp.Paren) and _is_arith(c, node, top):
        node, top = node.this, False
    if not _is_arith(c, node, top):
        f = c.fn(node)

        def leaf(row: Row) -> _Pair:
            v = f(row)
            if v is None:
                return None
            t = type(v)
            if t is int:
                return v, 0
            return _tagged(v)

        return leaf
    text = _paren_text(node, c)
    if isinstance(node, exp.Neg):
        fn = _pbuild(c, node.this)

        def p_neg(row: Row) -> _Pair:
            a = fn(row)
            return None if a is None else (neg(a[0], text), a[1])

        return p_neg
    fa, fb = _pbuild(c, node.this), _pbuild(c, node.expression)
    ctx = c.ctx

    def by_zero() -> None:
        warn = getattr(ctx, "warn", None)
        if warn is not None:
            warn(1365, "Division by 0")

    if isinstance(node, (exp.Add, exp.Sub)):
        op = add if isinstance(node, exp.Add) else sub
        op = signedness.checked_op(c, node, "add" if op is add else "sub", op)

        def p_addsub(row: Row) -> _Pair:
            a = fa(row)
            if a is None:
                return None
            b = fb(row)
            if b is None:
                return None
            sa, sb = a[1], b[1]
            return op(a[0], b[0], text), (sa if sa > sb else sb)

        return p_addsub
    if isinstance(node, exp.Mul):
        mul_op = signedness.checked_op(c, node, "mul", mul)

        def p_mul(row: Row) -> _Pair:
            a = fa(row)
            if a is None:
                return None
            b = fb(row)
            if b is None:
                return None
            x, y = a[0], b[0]
            tx, ty = type(x), type(y)
            if (tx is Decimal and ty is not float) or (ty is Decimal and tx is not float):
                v = mul_exact(x, y)
            else:
                v = mul_op(x, y, text)
            return v, min(a[1] + b[1], MAX_DECIMAL_SCALE)

        return p_mul
    if isinstance(node, exp.Div):
        def p_div(row: Row) -> _Pair:
            a = fa(row)
            if a is None:
                return None
            b = fb(row)
            if b is None:
                return None
            x, y = a[0], b[0]
            v = div(x, y, text) if type(x) is float or type(y) is float else \
                div_exact(x, y, text)
            if v is None:
                by_zero()
                return None
            return v, min(a[1] + DIV_PRECISION_INCREMENT, MAX_DECIMAL_SCALE)

        return p_div
    int_result = isinstance(node, exp.IntDiv)
    op2 = signedness.checked_intdiv(c, node) if int_result else mod

    def p_divmod(row: Row) -> _Pair:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        v = op2(a[0], b[0], text)
        if v is None:
            by_zero()
            return None
        if int_result:
            return v, 0
        sa, sb = a[1], b[1]
        return v, (sa if sa > sb else sb)

    return p_divmod


def _precise(c: _Compiler, node: exp.Expression) -> RowFn:
    """The whole operator tree under `node`, rounding once at the end (see the module
    docstring); what it returns depends on `_consumer`."""
    p = _pbuild(c, node, top=True)
    mode = _consumer(node)
    if mode == _KEPT:
        def arith_kept(row: Row) -> Any:
            r = p(row)
            return None if r is None else r[0]

        return arith_kept
    if mode == _CARRIED:
        def arith_carried(row: Row) -> Any:
            r = p(row)
            if r is None:
                return None
            v = r[0]
            return ScaledDecimal(v, r[1]) if type(v) is Decimal else v

        return arith_carried
    text = _paren_text(node, c)

    def arith_shown(row: Row) -> Any:
        r = p(row)
        if r is None:
            return None
        v = r[0]
        return shown_value(v, r[1], text) if type(v) is Decimal else v

    return arith_shown


def _arith_const(ra: RowFn | _Const, rb: RowFn | _Const, op_name: str,
                 slow: Callable[..., Any], text: Callable[[], str]) -> RowFn | None:
    """``expr op <int constant>``: one closure per row instead of two."""
    if type(rb) is not _Const or type(ra) is _Const or type(rb.value) is not int:
        return None
    i = _column_index(ra)
    return signedness.BOUNDED_CONST[op_name, i is not None](
        i if i is not None else ra, rb.value, INT64_MIN, INT64_MAX, slow, text)


@_handles(exp.Add)
def _add(c: _Compiler, node: exp.Add) -> RowFn:
    iv = _interval_of(node.expression)
    if iv is not None:
        return _date_arith(c, node.this, iv, 1)
    iv = _interval_of(node.this)
    if iv is not None:
        return _date_arith(c, node.expression, iv, 1)
    if _has_division(c, node):
        return _precise(c, node)
    ra, rb = _text_checked(c, node.this), _text_checked(c, node.expression)
    text = _paren_text(node, c)
    if type(ra) is _Const and type(rb) is not _Const:
        ra, rb = rb, ra
    bounded = signedness.bounded_arith(c, node, "add", ra, rb, add, text)
    if bounded is not None:  # UNSIGNED (or a DECIMAL such as SUM): its own range
        return bounded
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
    if _has_division(c, node):
        return _precise(c, node)
    ra, rb = _text_checked(c, node.this), _text_checked(c, node.expression)
    text = _paren_text(node, c)
    bounded = signedness.bounded_arith(c, node, "sub", ra, rb, sub, text)
    if bounded is not None:  # UNSIGNED (or a DECIMAL such as SUM): its own range
        return bounded
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
    if _has_division(c, node):
        return _precise(c, node)
    ra, rb = _text_checked(c, node.this), _text_checked(c, node.expression)
    text = _paren_text(node, c)
    if type(ra) is _Const and type(rb) is not _Const:
        ra, rb = rb, ra
    bounded = signedness.bounded_arith(c, node, "mul", ra, rb, mul, text)
    if bounded is not None:  # UNSIGNED (or a DECIMAL such as SUM): its own range
        return bounded
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


def _text_checked(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    """An arithmetic operand that is a string: read as a number only in part (``'12abc' +
    1``), MySQL warns 1292, and a strict INSERT/UPDATE fails with it.  Other operands are
    compiled as they are (no cost)."""
    r = c.sub(node)
    warn = getattr(c.ctx, "warn", None)
    if warn is None or c.static_kind(node, r) != "str":
        return r
    f = _as_fn(r)

    def text_operand(row: Row) -> Any:
        v = f(row)
        if v.__class__ is str or v.__class__ is bytes:
            bad = truncated_number(v)
            if bad is not None:
                warn(1292, f"Truncated incorrect DOUBLE value: '{bad[:128]}'")
        return v

    return text_operand


def _division(op: Callable[..., Any], node: exp.Expression, c: _Compiler) -> RowFn:
    fa, fb = _as_fn(_text_checked(c, node.this)), _as_fn(_text_checked(c, node.expression))
    text = _paren_text(node, c)
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
    if _consumer(node) != _SHOWN or _has_division(c, node.this) or \
            _has_division(c, node.expression):
        return _precise(c, node)
    return _division(div, node, c)  # one rounding of the exact quotient: the same digits


@_handles(exp.IntDiv)
def _intdiv(c: _Compiler, node: exp.IntDiv) -> RowFn:
    if _has_division(c, node):
        return _precise(c, node)
    return _division(signedness.checked_intdiv(c, node), node, c)


@_handles(exp.Mod)
def _mod(c: _Compiler, node: exp.Mod) -> RowFn:
    if _has_division(c, node):
        return _precise(c, node)
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
    if _has_division(c, node):
        return _precise(c, node)
    inner = c.sub(node.this)
    text = _paren_text(node, c)  # -(`db`.`t`.`b`)

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
