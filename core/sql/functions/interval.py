"""INTERVAL arithmetic (DATE_ADD(), DATE_SUB(), TIMESTAMPADD(), ``d + INTERVAL n unit``) and
the other arithmetic on dates and times: differences, day and second numbers, UNIX time,
ADDTIME(), EXTRACT().

The compiler calls `date_add` and `check_unit` directly for ``d + INTERVAL n unit`` and the
typed DATE_ADD/TIMESTAMPADD nodes (`core.sql.expr.arith`, `core.sql.expr.calls`); everything
else is reached through `FUNCTIONS`.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.errors import ProgrammingError
from core.sql.functions.dateformat import date_format
from core.sql.functions.registry import _reg, _s
from core.sql.functions.temporal import _ctx_now, _time_part, _week_mode, calc_week
from core.sql.types import (
    round_half_away,
    to_date,
    to_datetime,
    to_int,
    to_number,
    to_str,
    to_temporal,
    to_time,
)

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


_SIMPLE_UNITS = {"MICROSECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER",
                 "YEAR"}
# composite unit -> its fields, largest first
_COMPOSITE_UNITS = {
    "SECOND_MICROSECOND": ("SECOND", "MICROSECOND"),
    "MINUTE_MICROSECOND": ("MINUTE", "SECOND", "MICROSECOND"),
    "MINUTE_SECOND": ("MINUTE", "SECOND"),
    "HOUR_MICROSECOND": ("HOUR", "MINUTE", "SECOND", "MICROSECOND"),
    "HOUR_SECOND": ("HOUR", "MINUTE", "SECOND"),
    "HOUR_MINUTE": ("HOUR", "MINUTE"),
    "DAY_MICROSECOND": ("DAY", "HOUR", "MINUTE", "SECOND", "MICROSECOND"),
    "DAY_SECOND": ("DAY", "HOUR", "MINUTE", "SECOND"),
    "DAY_MINUTE": ("DAY", "HOUR", "MINUTE"),
    "DAY_HOUR": ("DAY", "HOUR"),
    "YEAR_MONTH": ("YEAR", "MONTH"),
}
INTERVAL_UNITS = _SIMPLE_UNITS | set(_COMPOSITE_UNITS)
_USEC = {"MICROSECOND": 1, "SECOND": 1_000_000, "MINUTE": 60_000_000, "HOUR": 3_600_000_000,
         "DAY": 86_400_000_000, "WEEK": 604_800_000_000}


def check_unit(unit: str) -> str:
    u = unit.upper()
    if u not in INTERVAL_UNITS:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{unit}'",
            errno=1064, sqlstate="42000")
    return u


def interval_parts(amount: Any, unit: str) -> tuple[int, int] | None:
    """An INTERVAL as (months, microseconds), or None for a NULL/invalid amount."""
    if amount is None:
        return None
    if unit in _COMPOSITE_UNITS:
        fields = _COMPOSITE_UNITS[unit]
        text = _s(amount).strip()
        neg = text.startswith("-")
        nums = re.findall(r"\d+", text)
        if not nums or len(nums) > len(fields):
            return None
        # Too few numbers: MySQL assumes the leftmost fields were left out.
        named = dict(zip(fields[len(fields) - len(nums):], nums, strict=True))
        months, usec = 0, 0
        for f, txt in named.items():
            if f == "MICROSECOND":
                # the last part of a *_MICROSECOND value is a fraction: '1.5' = 1.500000 s
                val = int(txt.ljust(6, "0")[:6]) if len(nums) > 1 else int(txt)
            else:
                val = int(txt)
            if f == "YEAR":
                months += 12 * val
            elif f == "MONTH":
                months += val
            else:
                usec += val * _USEC[f]
        return (-months, -usec) if neg else (months, usec)
    t = type(amount)
    if unit == "SECOND":
        num = to_number(amount) if t is not str else Decimal(str_num(amount))
        if type(num) is int:
            return 0, num * 1_000_000
        d = Decimal(repr(num)) if type(num) is float else Decimal(num)
        return 0, int((d * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))
    if t is str or t is bytes:
        n = to_int(amount)
    else:
        num = to_number(amount)
        n = num if type(num) is int else round_half_away(num)
    if unit == "YEAR":
        return 12 * n, 0
    if unit == "QUARTER":
        return 3 * n, 0
    if unit == "MONTH":
        return n, 0
    return 0, n * _USEC[unit]


def str_num(s: str) -> str:
    m = re.match(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))", s)
    return m.group(1) if m else "0"


def _add_months(d: date | datetime, months: int) -> date | datetime | None:
    total = d.year * 12 + (d.month - 1) + months
    y, m = divmod(total, 12)
    if not 1 <= y <= 9999:
        return None
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return d.replace(year=y, month=m + 1, day=day)


def date_add(v: Any, amount: Any, unit: str, sign: int = 1) -> Any:
    """DATE_ADD / DATE_SUB / ``d + INTERVAL n unit``.

    Month arithmetic clamps to the month's last day (2024-01-31 + 1 MONTH = 2024-02-29).
    A DATE stays a DATE for day-or-larger units and becomes a DATETIME otherwise; a string
    argument gives a string result (MySQL's VARCHAR); a result outside years 1..9999 or an
    invalid date is NULL.
    """
    parts = interval_parts(amount, unit)
    if parts is None or v is None:
        return None
    months, usec = parts
    if sign < 0:
        months, usec = -months, -usec
    as_text = type(v) is str or type(v) is bytes
    if type(v) is timedelta:
        if months:
            return None
        r = v + timedelta(microseconds=usec)
        return r
    d = to_temporal(v)
    if d is None:
        return None
    if type(d) is date and usec % _USEC["DAY"] != 0:
        d = datetime(d.year, d.month, d.day)
    try:
        if months:
            d = _add_months(d, months)
            if d is None:
                return None
        if usec:
            d = d + timedelta(microseconds=usec)
    except OverflowError:
        return None
    if not 1 <= d.year <= 9999:
        return None
    return to_str(d) if as_text else d


@_reg("DATE_ADD", 3)
def fn_date_add(v: Any, amount: Any, unit: Any) -> Any:
    return date_add(v, amount, check_unit(_s(unit)))


@_reg("DATE_SUB", 3)
def fn_date_sub(v: Any, amount: Any, unit: Any) -> Any:
    return date_add(v, amount, check_unit(_s(unit)), -1)


@_reg("ADDDATE", 2, 3)
def fn_adddate(v: Any, amount: Any, unit: Any = "DAY") -> Any:
    return date_add(v, amount, check_unit(_s(unit)))


@_reg("SUBDATE", 2, 3)
def fn_subdate(v: Any, amount: Any, unit: Any = "DAY") -> Any:
    return date_add(v, amount, check_unit(_s(unit)), -1)


@_reg("TIMESTAMPADD", 3)
def fn_timestampadd(unit: Any, amount: Any, v: Any) -> Any:
    return date_add(v, amount, check_unit(_s(unit)))


@_reg("DATEDIFF", 2)
def fn_datediff(a: Any, b: Any) -> int | None:
    """Days from `b` to `a`, ignoring times."""
    x, y = to_date(a), to_date(b)
    if x is None or y is None:
        return None
    return x.toordinal() - y.toordinal()


@_reg("TIMESTAMPDIFF", 3)
def fn_timestampdiff(unit: Any, a: Any, b: Any) -> int | None:
    """``b - a`` in whole `unit`s, truncated toward zero; months count only when the day and
    time of month have been reached (MySQL)."""
    u = check_unit(_s(unit))
    x, y = to_datetime(a), to_datetime(b)
    if x is None or y is None:
        return None
    if u in ("MONTH", "QUARTER", "YEAR"):
        months = (y.year - x.year) * 12 + (y.month - x.month)
        rx = (x.day, x.hour, x.minute, x.second, x.microsecond)
        ry = (y.day, y.hour, y.minute, y.second, y.microsecond)
        if y >= x and ry < rx:
            months -= 1
        elif y < x and ry > rx:
            months += 1
        div = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[u]
        q = abs(months) // div
        return -q if months < 0 else q
    if u not in _USEC:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{u}'",
            errno=1064, sqlstate="42000")
    delta = y - x
    us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    q = abs(us) // _USEC[u]
    return -q if us < 0 else q


def _tz(ctx: Any) -> _dt.tzinfo | None:
    return getattr(ctx, "time_zone", None)


@_reg("UNIX_TIMESTAMP", 0, 1, context=True, strict=False)
def fn_unix_timestamp(ctx: Any, *args: Any) -> int | Decimal | None:
    """Seconds since the epoch of a local time (the session time zone, ``ctx.time_zone``,
    default the system's); 0 before the epoch as in MySQL; a Decimal when the time has
    fractional seconds.  UNIX_TIMESTAMP(NULL) is NULL, UNIX_TIMESTAMP() is now."""
    if not args:
        d = _ctx_now(ctx).replace(microsecond=0)
    else:
        v = args[0]
        if v is None:
            return None
        d = to_datetime(v)
        if d is None:
            return None
    tz = _tz(ctx)
    aware = d.replace(tzinfo=tz) if tz is not None else d.astimezone()
    ts = aware.timestamp()
    if ts < 0:
        return 0
    if d.microsecond:
        return Decimal(int(ts)) + Decimal(d.microsecond).scaleb(-6)
    return int(ts)


@_reg("FROM_UNIXTIME", 1, 2, context=True)
def fn_from_unixtime(ctx: Any, n: Any, fmt: Any = None) -> Any:
    num = to_number(n)
    if num < 0 or num > 32536771199:
        return None
    d = Decimal(repr(num)) if type(num) is float else Decimal(num)
    secs = int(d)
    micro = int(((d - secs) * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))
    tz = _tz(ctx)
    base = datetime.fromtimestamp(secs, tz) if tz is not None else datetime.fromtimestamp(secs)
    r = base.replace(tzinfo=None, microsecond=micro)
    return r if fmt is None else date_format(r, _s(fmt))


@_reg("MAKEDATE", 2)
def fn_makedate(year: Any, doy: Any) -> date | None:
    y, n = to_int(year), to_int(doy)
    if n < 1 or not 0 <= y <= 9999:
        return None
    if y < 70:
        y += 2000
    elif y < 100:
        y += 1900
    try:
        return date(y, 1, 1) + timedelta(days=n - 1)
    except OverflowError:
        return None


@_reg("MAKETIME", 3)
def fn_maketime(h: Any, m: Any, s: Any) -> timedelta | None:
    hh, mm = to_int(h), to_int(m)
    ss = to_number(s)
    if not 0 <= mm <= 59 or not 0 <= ss < 60:
        return None
    sec = Decimal(repr(ss)) if type(ss) is float else Decimal(ss)
    t = timedelta(hours=abs(hh), minutes=mm, microseconds=int(sec * 1_000_000))
    return -t if hh < 0 else t


@_reg("FROM_DAYS", 1)
def fn_from_days(n: Any) -> date | None:
    k = to_int(n)
    if k < 366:
        return None
    try:
        return date.fromordinal(k - 365)
    except (ValueError, OverflowError):
        return None


@_reg("TO_DAYS", 1)
def fn_to_days(v: Any) -> int | None:
    d = to_date(v)
    return None if d is None else d.toordinal() + 365


@_reg("TO_SECONDS", 1)
def fn_to_seconds(v: Any) -> int | None:
    d = to_datetime(v)
    if d is None:
        return None
    return (d.toordinal() + 365) * 86400 + d.hour * 3600 + d.minute * 60 + d.second


@_reg("TIME_TO_SEC", 1)
def fn_time_to_sec(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return t.days * 86400 + t.seconds if t >= timedelta(0) else -((-t).days * 86400
                                                                   + (-t).seconds)


@_reg("SEC_TO_TIME", 1)
def fn_sec_to_time(v: Any) -> timedelta:
    num = to_number(v)
    d = Decimal(repr(num)) if type(num) is float else Decimal(num)
    t = timedelta(microseconds=int(d * 1_000_000))
    cap = timedelta(hours=838, minutes=59, seconds=59)
    return max(-cap, min(cap, t))


@_reg("TIMEDIFF", 2)
def fn_timediff(a: Any, b: Any) -> timedelta | None:
    """``a - b`` for two TIMEs or two DATETIMEs; NULL when they are of different kinds."""
    ta = type(a) in (datetime, date) or (type(a) is str and to_temporal(a) is not None
                                          and ":" in a and "-" in a)
    tb = type(b) in (datetime, date) or (type(b) is str and to_temporal(b) is not None
                                          and ":" in b and "-" in b)
    if ta != tb:
        return None
    if ta:
        x, y = to_datetime(a), to_datetime(b)
    else:
        x, y = to_time(a), to_time(b)
    if x is None or y is None:
        return None
    r = x - y
    cap = timedelta(hours=838, minutes=59, seconds=59)
    return max(-cap, min(cap, r))


@_reg("ADDTIME", 2)
def fn_addtime(a: Any, b: Any) -> Any:
    t = to_time(b)
    if t is None:
        return None
    if type(a) is timedelta or (type(a) is str and to_temporal(a) is None):
        x = to_time(a)
        return None if x is None else x + t
    d = to_datetime(a)
    return None if d is None else d + t


@_reg("SUBTIME", 2)
def fn_subtime(a: Any, b: Any) -> Any:
    t = to_time(b)
    return None if t is None else fn_addtime(a, -t)


_EXTRACT = {
    "YEAR": lambda d, t: d.year, "MONTH": lambda d, t: d.month, "DAY": lambda d, t: d.day,
    "QUARTER": lambda d, t: (d.month + 2) // 3,
    "WEEK": lambda d, t: calc_week(d, _week_mode(0))[0],
    "HOUR": lambda d, t: t[0], "MINUTE": lambda d, t: t[1], "SECOND": lambda d, t: t[2],
    "MICROSECOND": lambda d, t: t[3],
    "YEAR_MONTH": lambda d, t: d.year * 100 + d.month,
    "DAY_HOUR": lambda d, t: d.day * 100 + t[0],
    "DAY_MINUTE": lambda d, t: (d.day * 100 + t[0]) * 100 + t[1],
    "DAY_SECOND": lambda d, t: ((d.day * 100 + t[0]) * 100 + t[1]) * 100 + t[2],
    "HOUR_MINUTE": lambda d, t: t[0] * 100 + t[1],
    "HOUR_SECOND": lambda d, t: (t[0] * 100 + t[1]) * 100 + t[2],
    "MINUTE_SECOND": lambda d, t: t[1] * 100 + t[2],
    "SECOND_MICROSECOND": lambda d, t: t[2] * 1000000 + t[3],
}


@_reg("EXTRACT", 2)
def fn_extract(unit: Any, v: Any) -> int | None:
    u = check_unit(_s(unit))
    if type(v) is timedelta or (type(v) is str and to_temporal(v) is None):
        tv = to_time(v)
        if tv is None:
            return None
        secs = abs(tv.days * 86400 + tv.seconds)
        parts = (secs // 3600, secs // 60 % 60, secs % 60, abs(tv).microseconds)
        if u in ("YEAR", "MONTH", "DAY", "QUARTER", "WEEK", "YEAR_MONTH"):
            return 0
        d = date(2000, 1, 1)
    else:
        d = to_temporal(v)
        if d is None:
            return None
        if type(d) is datetime:
            parts = (d.hour, d.minute, d.second, d.microsecond)
        else:
            parts = (0, 0, 0, 0)
    return _EXTRACT[u](d, parts)
