"""CAST: ``CAST(x AS SIGNED / UNSIGNED / DECIMAL(p,s) / DOUBLE / CHAR(n) / BINARY(n) / DATE /
DATETIME(fsp) / TIME(fsp))``.  The expression compiler picks one per CAST node
(`core.sql.expr.cast`).
"""

from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from core.catalog.coltypes import INT64_MAX, INT64_MIN, UINT64_MAX
from core.sql.types.coercion import _round_fsp
from core.sql.types.convert import (
    _DBL_MAX,
    DEC,
    _temporal_number,
    str_to_number,
    to_double,
    to_int,
    to_str,
)
from core.sql.types.temporal import to_datetime, to_time

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


# --- CAST -------------------------------------------------------------------------------------


def cast_signed(v: Any) -> int | None:
    """CAST(v AS SIGNED): strings by integer prefix, DECIMALs rounded half away from zero,
    doubles half to even (rint, as mysqld: ``CAST(2.5e0 AS SIGNED)`` = 2), clamped to
    BIGINT (values above it wrap as MySQL's unsigned-to-signed cast does)."""
    if v is None:
        return None
    r = to_int(v)
    if r > INT64_MAX:
        r = r - (1 << 64) if r <= UINT64_MAX else INT64_MAX
    elif r < INT64_MIN:
        r = INT64_MIN
    return r


def cast_unsigned(v: Any) -> int | None:
    """CAST(v AS UNSIGNED): negative values wrap modulo 2**64 (``CAST(-1 AS UNSIGNED)`` =
    18446744073709551615).  A negative DECIMAL is rounded as a signed value first and then
    wraps too: MySQL 8's Item_typecast_unsigned converts it with my_decimal2int(...,
    unsigned=!sign), so ``CAST(-1.5 AS UNSIGNED)`` is 18446744073709551614, no warning
    (MariaDB answers 0 with a warning; MySQL 8 is the reference here)."""
    if v is None:
        return None
    r = to_int(v)
    if r < 0:
        r = r & UINT64_MAX if r >= INT64_MIN else 0
    elif r > UINT64_MAX:
        r = UINT64_MAX
    return r


def cast_decimal(v: Any, precision: int = 10, scale: int = 0) -> Decimal | None:
    """CAST(v AS DECIMAL(p,s)): rounded half away from zero to `scale`, clamped to the
    largest value of the type when it does not fit (MySQL warns and clamps)."""
    if v is None:
        return None
    t = type(v)
    if t is Decimal:
        d = v
    elif t is int or t is bool:
        d = Decimal(int(v))
    elif t is float:
        if v != v or v in (math.inf, -math.inf):
            return None
        d = Decimal(repr(v))
    elif t is str or t is bytes:
        text, _rest = str_to_number(v.decode("utf-8", "replace") if t is bytes else v)
        d = Decimal(text) if text is not None else Decimal(0)
    else:
        d = Decimal(_temporal_number(v))
    q = Decimal(1).scaleb(-scale)
    try:
        r = d.quantize(q, context=DEC)
    except InvalidOperation:
        r = None
    top = DEC.subtract(DEC.power(10, precision - scale), q).quantize(q, context=DEC)
    if r is None or abs(r) > top:
        return top if d > 0 else -top
    return r


def cast_double(v: Any) -> float | None:
    """CAST(v AS DOUBLE): a string beyond DOUBLE's range ('1e400') becomes the largest
    DOUBLE, as mysqld's conversion saturates; never inf."""
    r = to_double(v)
    if r is not None and r in (math.inf, -math.inf):
        return _DBL_MAX if r > 0 else -_DBL_MAX
    return r


def cast_char(v: Any, length: int | None = None) -> str | None:
    """CAST(v AS CHAR[(n)])."""
    s = to_str(v)
    if s is not None and length is not None:
        s = s[:length]
    return s


def cast_binary(v: Any, length: int | None = None) -> bytes | None:
    """CAST(v AS BINARY[(n)]); BINARY(n) pads with zero bytes like the column type."""
    if v is None:
        return None
    b = v if type(v) is bytes else to_str(v).encode("utf-8")
    if length is not None:
        b = b[:length] + b"\x00" * max(0, length - len(b))
    return b


def cast_datetime(v: Any, fsp: int = 0) -> datetime | None:
    """CAST(v AS DATETIME[(fsp)]): NULL when not a valid datetime; fractions rounded."""
    if type(v) is timedelta:
        return None
    r = to_datetime(v)
    if r is not None and r.microsecond and fsp < 6:
        try:
            r = _round_fsp(r, fsp)
        except OverflowError:
            return None
    return r


def cast_time(v: Any, fsp: int = 0) -> timedelta | None:
    """CAST(v AS TIME[(fsp)])."""
    r = to_time(v)
    if r is not None and r.microseconds and fsp < 6:
        r = _round_fsp(r, fsp)
    return r
