"""MySQL's comparison rules (`compare`: numbers across int/Decimal/float, strings against
numbers as numbers, strings against dates as dates, binary NO PAD strings) and the sort keys
of ORDER BY and GROUP BY (`sort_key`, NULL first).  The compiler's comparisons fall back to
`compare` per row when they cannot specialise (`core.sql.expr.comparison`).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from core.codec.members import EnumValue, SetValue
from core.sql.types.convert import _temporal_number, _time_to_timedelta, to_double, to_str
from core.sql.types.json import JsonText, compare_with_sql, json_sort_key
from core.sql.types.temporal import parse_temporal, parse_time

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


# --- comparison -------------------------------------------------------------------------------

_KIND_NUM, _KIND_STR, _KIND_BYTES, _KIND_DATE, _KIND_TIME = 1, 2, 3, 4, 5
_KINDS = {int: _KIND_NUM, float: _KIND_NUM, Decimal: _KIND_NUM, bool: _KIND_NUM,
          str: _KIND_STR, bytes: _KIND_BYTES, date: _KIND_DATE, datetime: _KIND_DATE,
          timedelta: _KIND_TIME}


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def compare(a: Any, b: Any) -> int | None:
    """MySQL's comparison of two values: -1, 0 or 1, or None if either is NULL.

    * int/Decimal compare exactly; a double on either side makes it a double comparison.
    * A string against a number compares as doubles (``'12abc' = 12``, ``'' = 0``).
    * Strings compare by code point (binary collation, case-sensitive, NO PAD); bytes by byte.
    * A date against a string parses the string (``date_col = '2024-01-31'``); a string that
      is no date is the zero date '0000-00-00', before every date (``DATE '2020-01-01' <
      'b'`` is 0, as MySQL); a date against a datetime compares as datetimes (midnight).
    """
    if a is None or b is None:
        return None
    if type(a) is type(b):
        return (a > b) - (a < b)
    return _compare_mixed(a, b)


def _compare_mixed(a: Any, b: Any) -> int:
    ka = _KINDS.get(type(a))
    kb = _KINDS.get(type(b))
    if ka is None or kb is None:
        if type(a) is JsonText or type(b) is JsonText:  # MySQL's JSON comparison
            return _compare_json(a, b)
        # an ENUM/SET value (types.enumset) against a number compares its index/bitmask
        if ka is None and kb == _KIND_NUM:
            a = getattr(a, "number", a)
        elif kb is None and ka == _KIND_NUM:
            b = getattr(b, "number", b)
        a, b = _normalize_foreign(a), _normalize_foreign(b)
        if type(a) is type(b):
            return _cmp(a, b)
        ka, kb = _KINDS.get(type(a)), _KINDS.get(type(b))
        if ka is None or kb is None:
            return _cmp(to_str(a), to_str(b))
    if ka == _KIND_NUM:
        if kb == _KIND_NUM:
            if type(a) is float or type(b) is float:
                return _cmp(float(a), float(b))
            return _cmp(a, b)
        if kb == _KIND_DATE or kb == _KIND_TIME:
            return _cmp(to_double(a), float(_temporal_number(b)))
        return _cmp(float(a), to_double(b))
    if kb == _KIND_NUM:
        return -_compare_mixed(b, a)
    if ka == _KIND_DATE:
        if kb == _KIND_DATE:
            return _cmp(_as_datetime(a), _as_datetime(b))
        if kb == _KIND_STR or kb == _KIND_BYTES:
            s = b if kb == _KIND_STR else b.decode("utf-8", "replace")
            other = parse_temporal(s)
            if other is None:
                # MySQL converts the string to a DATETIME; one that is no date becomes the
                # zero date (with warning 1292), which every real date is after.
                return 1
            return _cmp(_as_datetime(a), _as_datetime(other))
        return _cmp(to_str(a), to_str(b))
    if kb == _KIND_DATE:
        return -_compare_mixed(b, a)
    if ka == _KIND_TIME:
        s = to_str(b)
        other = parse_time(s)
        if other is None:
            return _cmp(to_str(a), s)
        return _cmp(a, other)
    if kb == _KIND_TIME:
        return -_compare_mixed(b, a)
    # str against bytes: compare as binary strings
    ab = a.encode("utf-8") if type(a) is str else a
    bb = b.encode("utf-8") if type(b) is str else b
    return _cmp(ab, bb)


def _compare_json(a: Any, b: Any) -> int:
    if type(a) is JsonText:
        if type(b) is JsonText:
            return (a > b) - (a < b)
        return compare_with_sql(a, b)
    return -compare_with_sql(b, a)


def _normalize_foreign(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, datetime):
        return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
    if isinstance(v, date):
        return date(v.year, v.month, v.day)
    if isinstance(v, _dt.time):
        return _time_to_timedelta(v)
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str):
        return str(v)
    return v


def _as_datetime(v: date | datetime) -> datetime:
    if type(v) is datetime:
        return v
    return datetime(v.year, v.month, v.day)


def equal(a: Any, b: Any) -> bool:
    """Non-NULL MySQL equality (for DISTINCT-like uses); False when either is NULL."""
    c = compare(a, b)
    return c == 0


# Sort keys: NULL first (MySQL puts NULLs first ascending, last descending), then numbers, then
# strings, bytes, temporals.  Within a class the order is `compare`'s; a column normally holds
# one class, so the rank only matters for mixed expression results.
def _sk_num(v: Any) -> tuple:
    return (1, v)


def _sk_float(v: float) -> tuple:
    return (1, v if v == v else -math.inf)


def _sk_str(v: str) -> tuple:
    return (2, v)


def _sk_bytes(v: bytes) -> tuple:
    return (3, v)


def _sk_date(v: date) -> tuple:
    return (4, datetime(v.year, v.month, v.day))


def _sk_datetime(v: datetime) -> tuple:
    return (4, v)


def _sk_time(v: timedelta) -> tuple:
    return (5, v)


_SORT_KEYS: dict[type, Callable[[Any], tuple]] = {
    int: _sk_num, Decimal: _sk_num, bool: _sk_num, float: _sk_float, str: _sk_str,
    bytes: _sk_bytes, date: _sk_date, datetime: _sk_datetime, timedelta: _sk_time,
    JsonText: lambda v: (7, json_sort_key(v.doc)),
}
_NULL_KEY = (0, 0)


def _sk_member(v: Any) -> tuple:
    """ENUM/SET values sort by index/bitmask, as MySQL's ORDER BY does."""
    return (1, v.number)


_SORT_KEYS[EnumValue] = _SORT_KEYS[SetValue] = _sk_member


def sort_key(value: Any) -> tuple:
    """A key for ``sorted()`` that orders values as ORDER BY does: NULL first, numbers
    numerically across int/Decimal/float, strings binary.  Use ``reverse=True`` for DESC
    (NULLs then come last, as in MySQL)."""
    if value is None:
        return _NULL_KEY
    f = _SORT_KEYS.get(type(value))
    if f is None:
        v = _normalize_foreign(value)
        f = _SORT_KEYS.get(type(v))
        if f is None:
            return (6, to_str(v))
        return f(v)
    return f(value)


def plain_members(value: Any) -> Any:
    """An ENUM/SET value as the plain string it shows: what a UNION or a function (IF,
    COALESCE, CASE) of one gives in MySQL (a VARCHAR, sorted as text, not by index)."""
    return str.__str__(value) if value.__class__ is EnumValue or \
        value.__class__ is SetValue else value


def text_sort_key(value: Any) -> tuple:
    """`sort_key` with ENUM/SET values sorted as their text (a UNION's ORDER BY)."""
    return sort_key(plain_members(value))
