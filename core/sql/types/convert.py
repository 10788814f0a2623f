"""Conversions between the value types (MySQL's string-to-number rule, numbers as integers,
values as strings, truthiness) and `DEC`, the 65-digit Decimal context every Decimal
operation of the SQL layer uses.  The other modules of this package, the functions and the
expression compiler all build on these; they run per row, so they dispatch on ``type(v) is``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from core.errors import DataError

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


# Decimal arithmetic at MySQL's maximum precision (65 digits).  The default context (28 digits,
# banker's rounding) would silently round wide DECIMAL(65,30) values; every Decimal operation
# in the SQL layer goes through this context instead.
DEC = Context(prec=65, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)


# --- conversions --------------------------------------------------------------------------------

# MySQL's string-to-number rule: skip leading whitespace, take the longest numeric prefix,
# ignore the rest (with a warning); no prefix at all is 0.
_NUM_PREFIX = re.compile(
    r"[ \t\n\r\f\v]*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)")
_INT_PREFIX = re.compile(r"[ \t\n\r\f\v]*([-+]?[0-9]+)")


def str_to_number(s: str) -> tuple[str | None, str]:
    """(numeric prefix or None, the rest) of a string, by MySQL's conversion rule."""
    m = _NUM_PREFIX.match(s)
    if m is None:
        return None, s
    return m.group(1), s[m.end():]


def truncated_number(v: Any) -> str | None:
    """The text of a string that MySQL reads as a number only in part (``'12abc'``, ``'abc'``,
    ``''``): what warning 1292 "Truncated incorrect ... value" quotes.  None for a string that
    is all number (surrounding spaces allowed) and for anything not a string."""
    t = type(v)
    if t is bytes:
        v = v.decode("utf-8", "replace")
    elif t is not str:
        return None
    num, rest = str_to_number(v)
    if num is not None and not rest.strip(" \t\n\r\f\v"):
        return None
    return v


def to_double(v: Any) -> float | None:
    """A value as a double, the way MySQL converts for mixed comparisons and arithmetic
    with strings: ``'12abc'`` -> 12.0, ``'abc'`` -> 0.0."""
    t = type(v)
    if t is float:
        return v
    if t is int or t is Decimal or t is bool:
        return float(v)
    if v is None:
        return None
    if t is bytes:
        v = v.decode("utf-8", "replace")
        t = str
    if t is str:
        m = _NUM_PREFIX.match(v)
        return float(m.group(1)) if m is not None else 0.0
    n = getattr(v, "number", None)  # an ENUM's index, a SET's bitmask (types.enumset)
    if type(n) is int:
        return float(n)
    if isinstance(v, str):  # a JSON value (core.sql.types.json.JsonText)
        return _json_double(v)
    return float(_temporal_number(v))


def _json_double(v: Any) -> float:
    """A JSON value in numeric context, as MySQL's Json_wrapper::coerce_real: a number is
    itself, a string is parsed (``"10"`` is 10), true/false are 1/0, anything else 0."""
    doc = getattr(v, "doc", None) if hasattr(type(v), "doc") else str(v)
    if type(doc) is bool:
        return 1.0 if doc else 0.0
    if type(doc) in (int, float) or isinstance(doc, Decimal):
        return float(doc)
    if isinstance(doc, str):
        return to_double(str(doc))
    return 0.0


def to_number(v: Any) -> int | float | Decimal | None:
    """A value as a number for arithmetic: numbers unchanged, strings as doubles (MySQL),
    temporals as their numeric forms (20240131, 20240131103000, 103000)."""
    t = type(v)
    if t is int or t is float or t is Decimal or v is None:
        return v
    if t is bool:
        return int(v)
    if t is str or t is bytes:
        return to_double(v)
    n = getattr(v, "number", None)  # an ENUM's index, a SET's bitmask (types.enumset)
    if type(n) is int:
        return n
    if isinstance(v, str):  # a JSON value: a DOUBLE in arithmetic, as MySQL's
        return _json_double(v)
    return _temporal_number(v)


def _temporal_number(v: Any) -> int | Decimal:
    if isinstance(v, datetime):
        n = (v.year * 10000000000 + v.month * 100000000 + v.day * 1000000 + v.hour * 10000
             + v.minute * 100 + v.second)
        return Decimal(n) + Decimal(v.microsecond).scaleb(-6) if v.microsecond else n
    if isinstance(v, date):
        return v.year * 10000 + v.month * 100 + v.day
    if isinstance(v, timedelta):
        neg = v < timedelta(0)
        total = -v if neg else v
        secs = total.days * 86400 + total.seconds
        n = (secs // 3600) * 10000 + (secs // 60 % 60) * 100 + secs % 60
        r: int | Decimal = n
        if total.microseconds:
            r = Decimal(n) + Decimal(total.microseconds).scaleb(-6)
        return -r if neg else r
    if isinstance(v, Decimal):  # a Decimal subclass (ScaledDecimal) reads as its value
        return Decimal(v)
    n = getattr(v, "number", None)  # an ENUM's index, a SET's bitmask (types.enumset)
    if type(n) is int:
        return n
    raise DataError(f"Cannot convert {type(v).__name__} to a number")


def round_half_away(v: float | Decimal) -> int:
    """Round to an integer the way MySQL converts the value's type: an exact value (DECIMAL)
    rounds halves away from zero (``2.5`` -> 3, ``-2.5`` -> -3); a DOUBLE goes through C's
    rint(), halves to even (``2.5e0`` -> 2, ``3.5e0`` -> 4, ``-2.5e0`` -> -2).  CAST AS
    SIGNED, function arguments and stores into integer columns all come here."""
    if type(v) is float:
        if v != v or v in (math.inf, -math.inf):
            raise DataError("Cannot convert NaN or infinity to an integer", errno=1264,
                            sqlstate="22003")
        return int(round(v))  # Python's round() of a float is exact, halves to even
    return int(v.to_integral_value(rounding=ROUND_HALF_UP))


_MAX_INT_DIGITS = 40  # beyond UINT64's 20 digits, far below int()'s 4300
_DBL_MAX = 1.7976931348623157e308


def to_int(v: Any) -> int | None:
    """A value as an integer where MySQL wants one (function arguments such as SUBSTRING's
    position, CAST AS SIGNED): DECIMALs rounded half away from zero, doubles half to even
    (`round_half_away`), strings by their integer prefix (``'2.7'`` -> 2, as MySQL's
    string-to-int conversion stops at the dot)."""
    t = type(v)
    if t is int:
        return v
    if v is None:
        return None
    if t is bool:
        return int(v)
    if t is float or t is Decimal:
        return round_half_away(v)
    if t is bytes:
        v = v.decode("utf-8", "replace")
        t = str
    if t is str:
        m = _INT_PREFIX.match(v)
        if m is None:
            return 0
        digits = m.group(1)
        if len(digits) > _MAX_INT_DIGITS:
            # int() refuses 4300+ digits; any value this long is out of every integer
            # type's range, so a same-signed stand-in that still is out of range will do.
            return -(10 ** _MAX_INT_DIGITS) if digits.lstrip().startswith("-") else \
                10 ** _MAX_INT_DIGITS
        return int(digits)
    n = _temporal_number(v)
    return n if type(n) is int else round_half_away(n)


def _format_float(f: float) -> str:
    """MySQL's rendering of a double: shortest round-trip digits, no trailing ``.0``,
    ``1e20`` rather than ``1e+20``."""
    if f != f:
        return "NaN"
    if f in (math.inf, -math.inf):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 1e15:
        return str(int(f)) if f != 0 else ("-0" if math.copysign(1, f) < 0 else "0")
    r = repr(f)
    if "e" in r:
        mant, ex = r.split("e")
        if mant.endswith(".0"):
            mant = mant[:-2]
        return f"{mant}e{int(ex)}"
    return r


def _format_timedelta(v: timedelta) -> str:
    neg = v < timedelta(0)
    if neg:
        v = -v
    secs = v.days * 86400 + v.seconds
    s = f"{'-' if neg else ''}{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if v.microseconds:
        s += f".{v.microseconds:06d}"
    return s


def _format_datetime(v: datetime) -> str:
    s = (f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
         f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}")
    if v.microsecond:
        s += f".{v.microsecond:06d}"
    return s


def to_str(v: Any) -> str | None:
    """A value as MySQL renders it as a string (CONCAT, LIKE, CAST AS CHAR, string
    columns): Decimal without exponent, doubles shortest, dates ISO, TIME as ``HH:MM:SS``."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return None
    if t is int:
        return str(v)
    if t is Decimal:
        return format(v, "f")
    if t is float:
        return _format_float(v)
    if t is bytes:
        return v.decode("utf-8", "replace")
    if t is datetime:
        return _format_datetime(v)
    if t is date:
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    if t is timedelta:
        return _format_timedelta(v)
    if t is bool:
        return "1" if v else "0"
    if isinstance(v, _dt.time):
        return _format_timedelta(_time_to_timedelta(v))
    if isinstance(v, Decimal):
        # A ScaledDecimal (a kept quotient on its way to SUM/AVG) shows its type's scale.
        shown = getattr(v, "shown", None)
        d = Decimal(v)
        if shown is not None:
            d = d.quantize(Decimal(1).scaleb(-shown), rounding=ROUND_HALF_UP, context=DEC)
        return format(d, "f")
    return str(v)


format_value = to_str


def truth(v: Any) -> bool | None:
    """MySQL truthiness: NULL is unknown, numbers are true when non-zero, strings by their
    numeric value (``'abc'`` is false, ``'1x'`` true), dates are true."""
    if v is None:
        return None
    t = type(v)
    if t is str or t is bytes:
        return to_double(v) != 0
    return bool(v) if t is not date and t is not datetime else True


def _time_to_timedelta(t: _dt.time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second,
                     microseconds=t.microsecond)
