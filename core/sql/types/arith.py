"""Arithmetic with MySQL's result types: int op int stays BIGINT and overflow is ERROR 1690,
``/`` gives DECIMAL with `DIV_PRECISION_INCREMENT` more digits, anything with a double is a
double, division by zero is NULL.  The expression compiler calls these per row
(`core.sql.expr.arith`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, InvalidOperation
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
    """``a / b``: DECIMAL with the dividend's scale + 4 for exact operands (``1/3`` =
    0.3333), double when either is a double; NULL when dividing by zero."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if not y:
        return None
    if k == 2:
        return _check_float(x / y, text)
    scale = min((_scale(x) if k == 1 and type(x) is Decimal else 0) + DIV_PRECISION_INCREMENT,
                MAX_DECIMAL_SCALE)
    q = DEC.divide(Decimal(x), Decimal(y))
    try:
        return q.quantize(Decimal(1).scaleb(-scale), context=DEC)
    except InvalidOperation:
        raise _out_of_range("DECIMAL", text() if callable(text) else text) from None


def intdiv(a: Any, b: Any, text: str | Callable[[], str] = "?") -> int | None:
    """``a DIV b``: the quotient truncated toward zero, as BIGINT; NULL when ``b`` is 0."""
    if a is None or b is None:
        return None
    x, y, k = _binop(a, b)
    if not y:
        return None
    if k == 0:
        q = abs(x) // abs(y)
        r = -q if (x < 0) != (y < 0) else q
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
