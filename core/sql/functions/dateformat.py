"""DATE_FORMAT(), TIME_FORMAT() and STR_TO_DATE(): MySQL's format specifiers in both
directions.  The expression compiler also maps sqlglot's TimeToStr and StrToDate nodes
onto these (`core.sql.expr.calls`).
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from core.sql.functions.registry import _reg, _s
from core.sql.functions.temporal import (
    _DAYS,
    _MONTHS,
    _WEEK_FIRST_WEEKDAY,
    _WEEK_MONDAY_FIRST,
    _WEEK_YEAR,
    calc_week,
)
from core.sql.types import to_temporal, to_time

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


def _ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def date_format(v: Any, fmt: str, time_only: bool = False) -> str | None:
    """MySQL DATE_FORMAT (and TIME_FORMAT when `time_only`)."""
    if time_only:
        t = to_time(v)
        if t is None:
            return None
        secs = abs(t.days * 86400 + t.seconds)
        hh, mi, ss, us = secs // 3600, secs // 60 % 60, secs % 60, abs(t).microseconds
        d = None
    else:
        d = to_temporal(v)
        if d is None:
            return None
        if type(d) is datetime:
            hh, mi, ss, us = d.hour, d.minute, d.second, d.microsecond
        else:
            hh = mi = ss = us = 0
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%" or i + 1 == n:
            out.append(c)
            i += 1
            continue
        s = fmt[i + 1]
        i += 2
        h12 = (hh % 12) or 12
        if s == "H":
            out.append(f"{hh:02d}")
        elif s == "k":
            out.append(str(hh))
        elif s in "hI":
            out.append(f"{h12:02d}")
        elif s == "l":
            out.append(str(h12))
        elif s == "i":
            out.append(f"{mi:02d}")
        elif s in "sS":
            out.append(f"{ss:02d}")
        elif s == "f":
            out.append(f"{us:06d}")
        elif s == "p":
            out.append("AM" if hh % 24 < 12 else "PM")
        elif s == "r":
            out.append(f"{h12:02d}:{mi:02d}:{ss:02d} {'AM' if hh % 24 < 12 else 'PM'}")
        elif s == "T":
            out.append(f"{hh:02d}:{mi:02d}:{ss:02d}")
        elif s == "%":
            out.append("%")
        elif d is None:
            if s in "YyXxmcdeDjUuVvaWbMw":
                return None
            out.append(s)
        elif s == "Y":
            out.append(f"{d.year:04d}")
        elif s == "y":
            out.append(f"{d.year % 100:02d}")
        elif s == "m":
            out.append(f"{d.month:02d}")
        elif s == "c":
            out.append(str(d.month))
        elif s == "d":
            out.append(f"{d.day:02d}")
        elif s == "e":
            out.append(str(d.day))
        elif s == "D":
            out.append(f"{d.day}{_ordinal_suffix(d.day)}")
        elif s == "j":
            out.append(f"{d.timetuple().tm_yday:03d}")
        elif s == "M":
            out.append(_MONTHS[d.month - 1])
        elif s == "b":
            out.append(_MONTHS[d.month - 1][:3])
        elif s == "W":
            out.append(_DAYS[d.weekday()])
        elif s == "a":
            out.append(_DAYS[d.weekday()][:3])
        elif s == "w":
            out.append(str((d.weekday() + 1) % 7))
        elif s == "U":
            out.append(f"{calc_week(d, _WEEK_FIRST_WEEKDAY)[0]:02d}")
        elif s == "u":
            out.append(f"{calc_week(d, _WEEK_MONDAY_FIRST)[0]:02d}")
        elif s == "V":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_FIRST_WEEKDAY)[0]:02d}")
        elif s == "v":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_MONDAY_FIRST)[0]:02d}")
        elif s == "X":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_FIRST_WEEKDAY)[1]:04d}")
        elif s == "x":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_MONDAY_FIRST)[1]:04d}")
        else:
            out.append(s)
    return "".join(out)


@_reg("DATE_FORMAT", 2)
def fn_date_format(v: Any, fmt: Any) -> str | None:
    return date_format(v, _s(fmt))


@_reg("TIME_FORMAT", 2)
def fn_time_format(v: Any, fmt: Any) -> str | None:
    return date_format(v, _s(fmt), time_only=True)


_MONTH_LOOKUP = {m.lower(): i for i, m in enumerate(_MONTHS, 1)}
_MONTH_LOOKUP.update({m[:3].lower(): i for i, m in enumerate(_MONTHS, 1)})
_DAY_NAMES = {d.lower() for d in _DAYS} | {d[:3].lower() for d in _DAYS}


def str_to_date(s: str, fmt: str) -> date | datetime | timedelta | None:
    """MySQL STR_TO_DATE: a DATE when the format has only date parts, a DATETIME when it has
    both, a TIME when only time parts; NULL when the string does not match or the date is
    invalid.  Text after the last format item is ignored (MySQL warns)."""
    vals: dict[str, int] = {}
    pm: bool | None = None
    ndigits = 0
    pos, i, n, ln = 0, 0, len(fmt), len(s)

    def digits(maxlen: int) -> int | None:
        nonlocal pos, ndigits
        while pos < ln and s[pos].isspace():
            pos += 1
        start = pos
        while pos < ln and pos - start < maxlen and s[pos].isdigit():
            pos += 1
        ndigits = pos - start
        return int(s[start:pos]) if ndigits else None

    def word(allowed: set[str] | dict[str, int]) -> str | None:
        nonlocal pos
        start = pos
        while pos < ln and s[pos].isalpha():
            pos += 1
        w = s[start:pos].lower()
        return w if w in allowed else None

    while i < n:
        c = fmt[i]
        if c.isspace():
            i += 1
            while pos < ln and s[pos].isspace():
                pos += 1
            continue
        if c != "%" or i + 1 == n:
            if pos >= ln or s[pos] != c:
                return None
            pos += 1
            i += 1
            continue
        spec = fmt[i + 1]
        i += 2
        if spec in "Yy":
            v = digits(4 if spec == "Y" else 2)
            if v is None:
                return None
            if ndigits <= 2:  # MySQL applies the 2-digit year rule to %Y as well
                v += 2000 if v < 70 else 1900
            vals["year"] = v
        elif spec in "mc":
            v = digits(2)
            if v is None:
                return None
            vals["month"] = v
        elif spec in "de":
            v = digits(2)
            if v is None:
                return None
            vals["day"] = v
        elif spec == "D":
            v = digits(2)
            if v is None:
                return None
            vals["day"] = v
            pos += 2 if s[pos:pos + 2].isalpha() else 0
        elif spec in "Hk":
            v = digits(2)
            if v is None:
                return None
            vals["hour"] = v
        elif spec in "hIl":
            v = digits(2)
            if v is None or not 1 <= v <= 12:
                return None
            vals["hour12"] = v
        elif spec == "i":
            v = digits(2)
            if v is None:
                return None
            vals["minute"] = v
        elif spec in "sS":
            v = digits(2)
            if v is None:
                return None
            vals["second"] = v
        elif spec == "f":
            start = pos
            while pos < ln and pos - start < 6 and s[pos].isdigit():
                pos += 1
            if pos == start:
                return None
            vals["micro"] = int(s[start:pos].ljust(6, "0"))
        elif spec == "p":
            w = s[pos:pos + 2].upper()
            if w not in ("AM", "PM"):
                return None
            pm = w == "PM"
            pos += 2
        elif spec in "Mb":
            w = word(_MONTH_LOOKUP)
            if w is None:
                return None
            vals["month"] = _MONTH_LOOKUP[w]
        elif spec in "Wa":
            if word(_DAY_NAMES) is None:
                return None
        elif spec == "j":
            v = digits(3)
            if v is None:
                return None
            vals["yday"] = v
        elif spec == "T":
            sub = str_to_date(s[pos:], "%H:%i:%s")
            if not isinstance(sub, timedelta):
                return None
            secs = sub.seconds
            vals.update(hour=secs // 3600, minute=secs // 60 % 60, second=secs % 60)
            m = re.match(r"\s*\d{1,2}:\d{1,2}:\d{1,2}", s[pos:])
            pos += m.end() if m else 0
        elif spec == "r":
            m = re.match(r"\s*(\d{1,2}):(\d{1,2}):(\d{1,2})\s*([AaPp][Mm])", s[pos:])
            if m is None:
                return None
            vals.update(hour12=int(m.group(1)), minute=int(m.group(2)), second=int(m.group(3)))
            pm = m.group(4).upper() == "PM"
            pos += m.end()
        elif spec == "%":
            if pos >= ln or s[pos] != "%":
                return None
            pos += 1
        else:
            return None
    has_date = any(k in vals for k in ("year", "month", "day", "yday"))
    has_time = any(k in vals for k in ("hour", "hour12", "minute", "second", "micro"))
    hour = vals.get("hour", 0)
    if "hour12" in vals:
        hour = vals["hour12"] % 12 + (12 if pm else 0)
    elif pm is not None and "hour" in vals:
        return None
    minute, second, micro = vals.get("minute", 0), vals.get("second", 0), vals.get("micro", 0)
    if minute > 59 or second > 59:
        return None
    if not has_date:
        if hour > 838:
            return None
        return timedelta(hours=hour, minutes=minute, seconds=second, microseconds=micro)
    if hour > 23:
        return None
    year = vals.get("year", 0)
    try:
        if "yday" in vals and "month" not in vals and "day" not in vals:
            d = date(year, 1, 1) + timedelta(days=vals["yday"] - 1)
        else:
            d = date(year, vals.get("month", 0), vals.get("day", 0))
    except (ValueError, OverflowError):
        return None
    if has_time:
        return datetime(d.year, d.month, d.day, hour, minute, second, micro)
    return d


@_reg("STR_TO_DATE", 2, context=True)
def fn_str_to_date(ctx: Any, s: Any, fmt: Any) -> Any:
    """NULL with warning 1411 for a string the format does not read: strict INSERT and
    UPDATE turn that warning into the error, as MySQL does."""
    if s is None or fmt is None:
        return None
    r = str_to_date(_s(s), _s(fmt))
    if r is None:
        warn = getattr(ctx, "warn", None)
        if warn is not None:
            warn(1411, f"Incorrect datetime value: '{_s(s)}' for function str_to_date")
    return r
