"""Parsing dates, datetimes and times from strings and numbers the way MySQL does (``'2024-1-5'``,
``20240105``, ``'838:59:59'``), and converting any value to a temporal one (`to_date`,
`to_datetime`, `to_time`).  Used by comparison, storing, CAST and the date functions.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

from core.sql.types.convert import _time_to_timedelta, to_str

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


# --- temporal parsing -----------------------------------------------------------------------------

_DATE_RE = re.compile(
    r"\s*(\d{1,4})[^\w\s](\d{1,2})[^\w\s](\d{1,2})"
    r"(?:(?:T|\s+)(\d{1,2})[^\w\s](\d{1,2})(?:[^\w\s](\d{1,2})(?:\.(\d*))?)?)?\s*\Z")
_COMPACT_RE = re.compile(r"\s*(\d{14}|\d{12}|\d{8}|\d{6})(?:\.(\d*))?\s*\Z")
_TIME_RE = re.compile(
    r"\s*(-)?\s*(?:(\d+)\s+)?(\d+):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?\s*\Z")
_TIME_COMPACT_RE = re.compile(r"\s*(-)?(\d+)(?:\.(\d*))?\s*\Z")
TIME_MAX = timedelta(hours=838, minutes=59, seconds=59)


def _year(text: str) -> int:
    y = int(text)
    if len(text) <= 2:
        y += 2000 if y < 70 else 1900
    return y


def _micro(frac: str | None) -> tuple[int, int]:
    """(microseconds, carry seconds) of a fraction string, rounded to 6 digits (MySQL)."""
    if not frac:
        return 0, 0
    if len(frac) <= 6:
        return int(frac.ljust(6, "0")), 0
    us = int(frac[:6]) + (1 if frac[6] >= "5" else 0)
    return (0, 1) if us == 1000000 else (us, 0)


def parse_temporal(s: str) -> date | datetime | None:
    """A date or datetime string as MySQL accepts it (any punctuation as delimiter,
    ``T`` or spaces between date and time, 2-digit years, compact ``YYYYMMDD[hhmmss]``), or
    None.  A date-only string gives a `date`."""
    m = _DATE_RE.match(s)
    try:
        if m is not None:
            y, mo, d, hh, mi, ss, frac = m.groups()
            year = _year(y)
            if hh is None:
                return date(year, int(mo), int(d)) if year else None
            us, carry = _micro(frac)
            r = datetime(year, int(mo), int(d), int(hh), int(mi), int(ss or 0), us)
            return r + timedelta(seconds=carry) if carry else r
        m = _COMPACT_RE.match(s)
        if m is not None:
            digits, frac = m.groups()
            if len(digits) in (6, 12):
                year, rest = _year(digits[:2]), digits[2:]
            else:
                year, rest = int(digits[:4]), digits[4:]
            if not year:
                return None
            if len(rest) == 4:
                return date(year, int(rest[:2]), int(rest[2:]))
            us, carry = _micro(frac)
            r = datetime(year, int(rest[:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]),
                         int(rest[8:10]), us)
            return r + timedelta(seconds=carry) if carry else r
    except (ValueError, OverflowError):
        return None
    return None


def parse_date(s: str) -> date | None:
    """A string as a DATE (a time part is dropped, as MySQL does), or None."""
    v = parse_temporal(s)
    if type(v) is datetime:
        return v.date()
    return v


def parse_datetime(s: str) -> datetime | None:
    """A string as a DATETIME (a date alone is midnight), or None."""
    v = parse_temporal(s)
    if type(v) is date:
        return datetime(v.year, v.month, v.day)
    return v


def parse_time(s: str) -> timedelta | None:
    """A TIME string: ``[-][D ]HH:MM[:SS[.f]]``, compact ``[H]HMMSS``, or a datetime whose
    time part is taken; None if invalid or outside -838:59:59 .. 838:59:59."""
    m = _TIME_RE.match(s)
    try:
        if m is not None:
            neg, days, hh, mi, ss, frac = m.groups()
            if int(mi) > 59 or (ss is not None and int(ss) > 59):
                return None
            us, carry = _micro(frac)
            td = timedelta(days=int(days or 0), hours=int(hh), minutes=int(mi),
                           seconds=int(ss or 0) + carry, microseconds=us)
        else:
            m = _TIME_COMPACT_RE.match(s)
            if m is None:
                dtv = parse_temporal(s)
                if type(dtv) is datetime:
                    return timedelta(hours=dtv.hour, minutes=dtv.minute, seconds=dtv.second,
                                     microseconds=dtv.microsecond)
                return None
            neg, digits, frac = m.groups()
            if len(digits) > 7:
                dtv = parse_temporal(s)
                if type(dtv) is datetime:
                    return timedelta(hours=dtv.hour, minutes=dtv.minute, seconds=dtv.second,
                                     microseconds=dtv.microsecond)
                return None
            n = int(digits)
            hh, mi, ss = n // 10000, n // 100 % 100, n % 100
            if mi > 59 or ss > 59:
                return None
            us, carry = _micro(frac)
            td = timedelta(hours=hh, minutes=mi, seconds=ss + carry, microseconds=us)
    except (ValueError, OverflowError):
        return None
    if td > TIME_MAX:
        return None
    return -td if neg else td


def to_temporal(v: Any) -> date | datetime | None:
    """A value as a date or datetime for date functions (YEAR(), DATE_ADD(), ...): dates as
    they are, strings parsed, numbers as ``YYYYMMDD[hhmmss]``; None if not a valid date."""
    t = type(v)
    if t is date or t is datetime:
        return v
    if v is None:
        return None
    if t is str:
        return parse_temporal(v)
    if t is bytes:
        return parse_temporal(v.decode("utf-8", "replace"))
    if t is int or t is Decimal or t is float:
        if v < 0:
            return None
        return parse_temporal(to_str(v) if t is not float else to_str(Decimal(repr(v))))
    if t is timedelta:
        return None
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return v
    return None


def to_date(v: Any) -> date | None:
    """A value as a DATE, or None if it is not a valid one."""
    r = to_temporal(v)
    if type(r) is datetime:
        return r.date()
    return r


def to_datetime(v: Any) -> datetime | None:
    """A value as a DATETIME, or None if it is not a valid one."""
    r = to_temporal(v)
    if type(r) is date:
        return datetime(r.year, r.month, r.day)
    return r


def to_time(v: Any) -> timedelta | None:
    """A value as a TIME (timedelta), or None if it is not a valid one."""
    t = type(v)
    if t is timedelta:
        return v
    if v is None:
        return None
    if t is str:
        return parse_time(v)
    if t is bytes:
        return parse_time(v.decode("utf-8", "replace"))
    if t is datetime:
        return timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                         microseconds=v.microsecond)
    if t is date:
        return timedelta(0)
    if t is int or t is Decimal or t is float:
        return parse_time(to_str(v) if t is not float else to_str(Decimal(repr(v))))
    if isinstance(v, _dt.time):
        return _time_to_timedelta(v)
    return None


def number_to_temporal(v: Any) -> date | datetime | None:
    """A number as MySQL's number_to_datetime reads it (``20210101`` -> 2021-01-01,
    ``210101`` -> 2021-01-01, ``20210101123000`` -> 2021-01-01 12:30:00, 5 and 7 digits
    zero-padded on the left), or None when it is no valid date (0, 123, 20211301, a fraction
    or a negative number).  A value with a zero time part of 8 or fewer digits is a `date`.

    Comparisons use it to convert an integer constant compared with a DATE/DATETIME column
    (MySQL's convert_constant_item: the constant is stored into the column's type first), and
    the planner uses it for the same constant as an index key."""
    t = type(v)
    if t is float:
        if not v.is_integer():
            return None
        v = int(v)
    elif t is Decimal:
        if not v.is_finite() or v != v.to_integral_value():
            return None
        v = int(v)
    elif t is bool:
        v = int(v)
    elif t is not int:
        return None
    if v < 101:
        return None
    if v <= 991231:
        digits = f"{v:06d}"
    elif v < 10000101:
        return None
    elif v <= 99991231:
        digits = f"{v:08d}"
    elif v < 101000000:
        return None
    elif v <= 991231235959:
        digits = f"{v:012d}"
    elif v < 10000101000000 or v > 99991231235959:
        return None
    else:
        digits = f"{v:014d}"
    return parse_temporal(digits)


def temporal_constant(v: Any, kind: str) -> date | datetime | None:
    """A constant compared with a column of temporal `kind` ("DATE", "DATETIME",
    "TIMESTAMP") as the column's type, the way MySQL converts it before comparing, or None
    when MySQL would not convert it (the comparison then is numeric, or, for a string that
    is no date, against the zero date).  Numbers go through `number_to_temporal`; a DATE
    column takes a value only when its time part is zero (MySQL stores it without a note)."""
    t = type(v)
    if t is str or t is bytes:
        r: Any = parse_temporal(v if t is str else v.decode("utf-8", "replace"))
    elif t is date or t is datetime:
        r = v
    else:
        r = number_to_temporal(v)
    if r is None:
        return None
    if kind == "DATE":
        if type(r) is datetime:
            if r.hour or r.minute or r.second or r.microsecond:
                return None
            return r.date()
        return r
    if type(r) is date:
        return datetime(r.year, r.month, r.day)
    return r
