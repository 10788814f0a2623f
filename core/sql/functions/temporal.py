"""Date and time functions, first part: the clock (NOW(), CURDATE(), UTC_*(), which read the
statement's context so a cached plan sees a new time on each run), the parts of a value
(YEAR() ... LAST_DAY()) and MySQL's week numbering (`calc_week`, WEEK(), YEARWEEK()).

The formats (`core.sql.functions.dateformat`) and the INTERVAL arithmetic
(`core.sql.functions.interval`) build on the helpers here; callers reach the functions
through `FUNCTIONS`.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import math
from decimal import Decimal
from typing import Any

from core.errors import ProgrammingError
from core.sql.functions.registry import _reg
from core.sql.types import to_date, to_datetime, to_int, to_temporal, to_time
from core.sql.types.temporal import number_to_temporal

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _fsp_now(v: datetime, fsp: Any) -> datetime:
    n = 0 if fsp is None else to_int(fsp)
    if not 0 <= n <= 6:
        raise ProgrammingError(f"Too-big precision {n} specified for 'now'. Maximum is 6.",
                               errno=1426, sqlstate="42000")
    unit = 10 ** (6 - n)
    return v.replace(microsecond=v.microsecond // unit * unit)


def _ctx_now(ctx: Any) -> datetime:
    now = getattr(ctx, "now", None)
    return now if now is not None else datetime.now()


@_reg("NOW CURRENT_TIMESTAMP LOCALTIME LOCALTIMESTAMP", 0, 1, context=True, strict=False)
def fn_now(ctx: Any, fsp: Any = None) -> datetime:
    """The statement's fixed time (``ctx.now``), truncated to `fsp` digits."""
    return _fsp_now(_ctx_now(ctx), fsp)


@_reg("SYSDATE", 0, 1, volatile=True, strict=False)
def fn_sysdate(fsp: Any = None) -> datetime:
    """The time at evaluation, not at statement start (MySQL's SYSDATE)."""
    return _fsp_now(datetime.now(), fsp)


@_reg("CURDATE CURRENT_DATE", 0, context=True)
def fn_curdate(ctx: Any) -> date:
    return _ctx_now(ctx).date()


@_reg("CURTIME CURRENT_TIME", 0, 1, context=True, strict=False)
def fn_curtime(ctx: Any, fsp: Any = None) -> timedelta:
    n = _fsp_now(_ctx_now(ctx), fsp)
    return timedelta(hours=n.hour, minutes=n.minute, seconds=n.second,
                     microseconds=n.microsecond)


def _utc_now(ctx: Any) -> datetime:
    now = _ctx_now(ctx)
    tz = getattr(ctx, "time_zone", None)
    aware = now.replace(tzinfo=tz) if tz is not None else now.astimezone()
    return aware.astimezone(_dt.UTC).replace(tzinfo=None)


@_reg("UTC_TIMESTAMP", 0, 1, context=True, strict=False)
def fn_utc_timestamp(ctx: Any, fsp: Any = None) -> datetime:
    return _fsp_now(_utc_now(ctx), fsp)


@_reg("UTC_DATE", 0, context=True)
def fn_utc_date(ctx: Any) -> date:
    return _utc_now(ctx).date()


@_reg("UTC_TIME", 0, 1, context=True, strict=False)
def fn_utc_time(ctx: Any, fsp: Any = None) -> timedelta:
    n = _fsp_now(_utc_now(ctx), fsp)
    return timedelta(hours=n.hour, minutes=n.minute, seconds=n.second,
                     microseconds=n.microsecond)


@_reg("DATE", 1)
def fn_date(v: Any) -> date | None:
    """A number reads as MySQL's number_to_datetime (``DATE(103)`` = 2000-01-03)."""
    t = type(v)
    if t is int or t is Decimal or t is float:
        r = _dt_part(v)
        return r.date() if type(r) is datetime else r
    return to_date(v)


@_reg("TIME", 1)
def fn_time(v: Any) -> timedelta | None:
    return to_time(v)


@_reg("TIMESTAMP", 1, 2)
def fn_timestamp(v: Any, add_time: Any = None) -> datetime | None:
    d = to_datetime(v)
    if d is None or add_time is None:
        return d
    t = to_time(add_time)
    return None if t is None else d + t


def _dt_part(v: Any) -> date | datetime | None:
    """The date a date function reads from its argument.  A number is MySQL's
    number_to_datetime of its integer part (``LAST_DAY(103.348)``: 103 is YYMMDD 000103,
    2000-01-03); the digits after the point are fractional seconds, which no date part
    needs.  Everything else is `to_temporal`'s."""
    t = type(v)
    if t is int or t is Decimal or t is float:
        if t is not int:
            if not math.isfinite(v):
                return None
            v = int(v)  # toward zero: the integer part
        return number_to_temporal(v) if v >= 0 else None
    return to_temporal(v)


@_reg("YEAR", 1)
def fn_year(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.year


@_reg("MONTH", 1)
def fn_month(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.month


@_reg("DAY DAYOFMONTH", 1)
def fn_day(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.day


@_reg("QUARTER", 1)
def fn_quarter(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else (d.month + 2) // 3


def _time_part(v: Any) -> timedelta | None:
    if type(v) is datetime:
        return timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                         microseconds=v.microsecond)
    if type(v) is date:
        return timedelta(0)
    return to_time(v)


@_reg("HOUR", 1)
def fn_hour(v: Any) -> int | None:
    """For a TIME the hours may exceed 23 (``HOUR('100:00:00')`` = 100)."""
    t = _time_part(v)
    if t is None:
        return None
    secs = abs(t.days * 86400 + t.seconds)
    return secs // 3600


@_reg("MINUTE", 1)
def fn_minute(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return abs(t.days * 86400 + t.seconds) // 60 % 60


@_reg("SECOND", 1)
def fn_second(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return abs(t.days * 86400 + t.seconds) % 60


@_reg("MICROSECOND", 1)
def fn_microsecond(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return abs(t).microseconds


@_reg("DAYOFWEEK", 1)
def fn_dayofweek(v: Any) -> int | None:
    """1 = Sunday .. 7 = Saturday (ODBC)."""
    d = _dt_part(v)
    return None if d is None else (d.weekday() + 1) % 7 + 1


@_reg("WEEKDAY", 1)
def fn_weekday(v: Any) -> int | None:
    """0 = Monday .. 6 = Sunday."""
    d = _dt_part(v)
    return None if d is None else d.weekday()


@_reg("DAYOFYEAR", 1)
def fn_dayofyear(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.timetuple().tm_yday


@_reg("DAYNAME", 1)
def fn_dayname(v: Any) -> str | None:
    d = _dt_part(v)
    return None if d is None else _DAYS[d.weekday()]


@_reg("MONTHNAME", 1)
def fn_monthname(v: Any) -> str | None:
    d = _dt_part(v)
    return None if d is None else _MONTHS[d.month - 1]


@_reg("LAST_DAY", 1)
def fn_last_day(v: Any) -> date | None:
    d = _dt_part(v)
    if d is None:
        return None
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


# MySQL's week computation (sql_time.cc calc_week), so WEEK()/%U/%V/%X agree with a server.
_WEEK_MONDAY_FIRST, _WEEK_YEAR, _WEEK_FIRST_WEEKDAY = 1, 2, 4


def _days_in_year(y: int) -> int:
    return 366 if calendar.isleap(y) else 365


def calc_week(d: date, behaviour: int) -> tuple[int, int]:
    """(week, year) of `d` under MySQL's week `behaviour` flags."""
    monday_first = bool(behaviour & _WEEK_MONDAY_FIRST)
    week_year = bool(behaviour & _WEEK_YEAR)
    first_weekday = bool(behaviour & _WEEK_FIRST_WEEKDAY)
    daynr = d.toordinal()
    first = date(d.year, 1, 1)
    first_daynr = first.toordinal()
    weekday = first.weekday() if monday_first else (first.weekday() + 1) % 7
    year = d.year
    if d.month == 1 and d.day <= 7 - weekday:
        if not week_year and ((first_weekday and weekday != 0)
                              or (not first_weekday and weekday >= 4)):
            return 0, year
        week_year = True
        year -= 1
        days = _days_in_year(year)
        first_daynr -= days
        weekday = (weekday + 53 * 7 - days) % 7
    if (first_weekday and weekday != 0) or (not first_weekday and weekday >= 4):
        days = daynr - (first_daynr + (7 - weekday))
    else:
        days = daynr - (first_daynr - weekday)
    if week_year and days >= 52 * 7:
        weekday = (weekday + _days_in_year(year)) % 7
        if (not first_weekday and weekday < 4) or (first_weekday and weekday == 0):
            return 1, year + 1
    return days // 7 + 1, year


def _week_mode(mode: int) -> int:
    m = mode & 7
    if not m & _WEEK_MONDAY_FIRST:
        m ^= _WEEK_FIRST_WEEKDAY
    return m


@_reg("WEEK", 1, 2)
def fn_week(v: Any, mode: Any = 0) -> int | None:
    d = _dt_part(v)
    return None if d is None else calc_week(d, _week_mode(to_int(mode)))[0]


@_reg("WEEKOFYEAR", 1)
def fn_weekofyear(v: Any) -> int | None:
    return fn_week(v, 3)


@_reg("YEARWEEK", 1, 2)
def fn_yearweek(v: Any, mode: Any = 0) -> int | None:
    d = _dt_part(v)
    if d is None:
        return None
    week, year = calc_week(d, _week_mode(to_int(mode)) | _WEEK_YEAR)
    return year * 100 + week
