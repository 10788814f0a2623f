"""Arithmetic with MySQL's result types: int op int stays BIGINT and overflow is ERROR 1690,
``/`` gives DECIMAL with `DIV_PRECISION_INCREMENT` more digits, anything with a double is a
double, division by zero is NULL.  The expression compiler calls these per row
(`core.sql.expr.arith`).

A DECIMAL quotient has two scales in MySQL: the one its type shows (the dividend's + 4, so
``1/3`` shows 0.3333) and the one its value keeps (`div_exact`: whole 9-digit groups,
0.333333333).  Later arithmetic works on the kept digits and the shown scale is applied at
the end, which is why ``1/3*3`` shows 1.0000 and ``(2/7)*1e0`` is 0.285714285.  `div` is
the quotient as shown; the compiler tracks both scales through an expression
(`core.sql.expr.arith`), and hands a sum the kept value with its shown scale attached
(`ScaledDecimal`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from core.catalog.coltypes import INT64_MAX, INT64_MIN, MAX_DECIMAL_SCALE, UINT64_MAX
from core.errors import DataError
from core.sql.types.convert import DEC, to_number

DIV_PRECISION_INCREMENT = 4

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


# --- arithmetic ----------------------------------------------------------------------------------


def _out_of_range(kind: str, text: str) -> DataError:
    return DataError(f"{kind} value is out of range in '{text}'", errno=1690, sqlstate="22003")


def check_bigint(r: int, a: int, b: int, text: str | Callable[[], str]) -> int:
    """Range-check an integer result.  It may exceed BIGINT's signed range only when an
    operand already did (a BIGINT UNSIGNED value) and the result fits 64 unsigned bits."""
    if INT64_MIN <= r <= INT64_MAX:
        return r
    unsigned = a > INT64_MAX or b > INT64_MAX
    if unsigned and 0 <= r <= UINT64_MAX:
        return r
    t = text() if callable(text) else text
    raise _out_of_range("BIGINT UNSIGNED" if unsigned else "BIGINT", t)


def _check_float(r: float, text: str | Callable[[], str]) -> float:
    if r in (math.inf, -math.inf) or r != r:
        raise _out_of_range("DOUBLE", text() if callable(text) else text)
    return r


def _scale(d: Decimal) -> int:
    e = d.as_tuple().exponent
    return -e if isinstance(e, int) and e < 0 else 0


def _exact(v: Any) -> int | Decimal | float:
    """An operand of arithmetic: numbers as they are, anything else through to_number."""
    t = type(v)
    if t is int or t is Decimal or t is float:
        return v
    return to_number(v)


def _binop(a: Any, b: Any) -> tuple[Any, Any, int]:
    """Promote two non-NULL operands: (a, b, class) with class 0 int, 1 Decimal, 2 float."""
    a = _exact(a)
    b = _exact(b)
    ta, tb = type(a), type(b)
    if ta is float or tb is float:
        return float(a), float(b), 2
    if ta is Decimal or tb is Decimal:
        return a, b, 1
    return a, b, 0


def add(a: Any, b: Any, text: str | Callable[[], str] = "?") -> Any:
    """``a + b`` with MySQL's types; `text` names the expression in ERROR 1690."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if k == 0:
        return check_bigint(x + y, x, y, text)
    if k == 1:
        return DEC.add(x, y)
    return _check_float(x + y, text)


def sub(a: Any, b: Any, text: str | Callable[[], str] = "?") -> Any:
    """``a - b`` with MySQL's types."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if k == 0:
        r = x - y
        if INT64_MIN <= r <= INT64_MAX:
            return r
        if x > INT64_MAX and 0 <= r <= UINT64_MAX:
            return r
        unsigned = x > INT64_MAX or y > INT64_MAX
        raise _out_of_range("BIGINT UNSIGNED" if unsigned else "BIGINT",
                            text() if callable(text) else text)
    if k == 1:
        return DEC.subtract(x, y)
    return _check_float(x - y, text)


def mul(a: Any, b: Any, text: str | Callable[[], str] = "?") -> Any:
    """``a * b`` with MySQL's types (DECIMAL scale = sum of scales, capped at 30)."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if k == 0:
        return check_bigint(x * y, x, y, text)
    if k == 1:
        r = DEC.multiply(x, y)
        if _scale(r) > MAX_DECIMAL_SCALE:
            r = r.quantize(Decimal(1).scaleb(-MAX_DECIMAL_SCALE), context=DEC)
        return r
    return _check_float(x * y, text)


def div(a: Any, b: Any, text: str | Callable[[], str] = "?") -> Any:
    """``a / b`` as MySQL shows it: DECIMAL with the dividend's scale + 4 for exact operands
    (``1/3`` = 0.3333, rounded half up from the kept digits of `div_exact`), double when
    either is a double; NULL when dividing by zero."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if not y:
        return None
    if k == 2:
        return _check_float(x / y, text)
    scale = min((_scale(x) if k == 1 and type(x) is Decimal else 0) + DIV_PRECISION_INCREMENT,
                MAX_DECIMAL_SCALE)
    # Rounding the exact quotient equals rounding div_exact's: the kept digits go past the
    # shown scale, and half-up rounding only reads the first digit after it.
    q = DEC.divide(Decimal(x), Decimal(y))
    try:
        r = q.quantize(_QUANTS[scale], context=DEC)
    except InvalidOperation:
        raise _out_of_range("DECIMAL", text() if callable(text) else text) from None
    return r if r else r.copy_abs()


# Quotients are computed past DEC's 65 digits: MySQL's buffer holds 9 groups of 9 digits.
_WIDE = Context(prec=100, rounding=ROUND_DOWN, Emax=999999, Emin=-999999)
_DIG_PER_DEC = 9
_DEC_BUFF_WORDS = 9
_NOT_FIXED_DEC = 31  # the most digits a product keeps after the point


def _words(digits: int) -> int:
    return -(-digits // _DIG_PER_DEC)


def div_exact(x: int | Decimal, y: int | Decimal,
              text: str | Callable[[], str] = "?") -> Decimal | None:
    """The value MySQL's decimal_div keeps for ``x / y`` (exact, non-NULL operands; None when
    `y` is 0): the quotient truncated after whole 9-digit groups.  Each operand's digits
    after the point count as whole groups; div_precision_increment (4) adds what that
    rounding did not already add, and the total is rounded up to a group: ``1/3`` keeps
    9 digits (0.333333333), ``1.5/3`` 9, ``1.123456789/3`` 18.  At most 9 groups in all."""
    if not y:
        return None
    dx = x if type(x) is Decimal else Decimal(x)
    dy = y if type(y) is Decimal else Decimal(y)
    f1, f2 = _scale(dx), _scale(dy)
    g1, g2 = _words(f1) * _DIG_PER_DEC, _words(f2) * _DIG_PER_DEC
    incr = DIV_PRECISION_INCREMENT - (g1 - f1) - (g2 - f2)
    frac = _words(g1 + g2 + (incr if incr > 0 else 0)) * _DIG_PER_DEC
    try:
        q = _WIDE.divide(dx, dy)
        if not q:
            return Decimal(0)  # MySQL has no negative zero
        intg = q.adjusted() + 1
        if intg > 0:
            room = (_DEC_BUFF_WORDS - _words(intg)) * _DIG_PER_DEC
            if room < 0:
                raise InvalidOperation
            frac = min(frac, room)
        return q.quantize(Decimal(1).scaleb(-frac), rounding=ROUND_DOWN, context=_WIDE)
    except InvalidOperation:
        raise _out_of_range("DECIMAL", text() if callable(text) else text) from None


def mul_exact(x: Decimal | int, y: Decimal | int) -> Decimal:
    """``x * y`` of exact values as MySQL's decimal_mul keeps it: the whole product, at most
    31 digits after the point (cut, not rounded: the shown scale, at most 30, is applied
    later, and half-up rounding to 30 digits only looks at the 31st)."""
    r = _WIDE.multiply(Decimal(x), Decimal(y))
    if _scale(r) > _NOT_FIXED_DEC:
        r = r.quantize(Decimal(1).scaleb(-_NOT_FIXED_DEC), rounding=ROUND_DOWN, context=_WIDE)
    return r


_QUANTS = [Decimal(1).scaleb(-i) for i in range(MAX_DECIMAL_SCALE + 1)]


def shown_value(v: Any, shown: int, text: str | Callable[[], str] = "?") -> Any:
    """A kept DECIMAL value rounded (half up) to the scale its type shows; other values as
    they are.  ERROR 1690 when the rounded value has more digits than a DECIMAL can hold."""
    if type(v) is not Decimal and not isinstance(v, Decimal):
        return v
    try:
        r = Decimal(v).quantize(_QUANTS[shown], rounding=ROUND_HALF_UP, context=_WIDE)
    except InvalidOperation:
        raise _out_of_range("DECIMAL", text() if callable(text) else text) from None
    return r if r else r.copy_abs()


class ScaledDecimal(Decimal):
    """A DECIMAL's kept value with the scale its type shows attached (`shown`): what SUM()
    and AVG() receive for an argument such as ``8/a``, so that they add the kept digits
    (SUM(1/3) over three rows is 1.0000, not 0.9999) and still show the argument's scale
    (+4 for AVG).  Only the accumulators see one; everything else gets plain Decimals."""

    __slots__ = ("shown",)

    def __new__(cls, value: Decimal, shown: int) -> ScaledDecimal:
        self = super().__new__(cls, value)
        self.shown = shown
        return self


def intdiv(a: Any, b: Any, text: str | Callable[[], str] = "?") -> int | None:
    """``a DIV b``: the quotient truncated toward zero, as BIGINT; NULL when ``b`` is 0."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if not y:
        return None
    if k == 0:
        q = abs(x) // abs(y)
        # BIGINT_MIN DIV -1 is 2^63: past BIGINT unless an operand was already unsigned
        return check_bigint(-q if (x < 0) != (y < 0) else q, x, y, text)
    else:
        try:
            dq = DEC.divide(Decimal(x), Decimal(y))
        except InvalidOperation:
            raise _out_of_range("BIGINT", text() if callable(text) else text) from None
        r = int(dq.to_integral_value(rounding=ROUND_DOWN))
    if not INT64_MIN <= r <= UINT64_MAX:
        raise _out_of_range("BIGINT", text() if callable(text) else text)
    return r


def mod(a: Any, b: Any, text: str | Callable[[], str] = "?") -> Any:
    """``a % b`` / ``MOD(a, b)``: the sign follows the dividend (C's fmod, not Python's %);
    NULL when ``b`` is 0."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if not y:
        return None
    if k == 0:
        r = abs(x) % abs(y)
        return -r if x < 0 else r
    if k == 1:
        return DEC.remainder(Decimal(x), Decimal(y))
    return math.fmod(x, y)


def neg(a: Any, text: str | Callable[[], str] = "?") -> Any:
    """Unary minus; ``-(-9223372036854775808)`` is ERROR 1690 as in MySQL."""
    if a is None:
        return None
    x = _exact(a)
    t = type(x)
    if t is int:
        r = -x
        if r < INT64_MIN or r > INT64_MAX:
            raise _out_of_range("BIGINT", text() if callable(text) else text)
        return r
    if t is Decimal:
        return DEC.minus(x)
    return -x
