"""Plain-text rendering of result sets, as the `mysql` client prints them.

`cell` is the one place a result value becomes text: the `kintsugi sql` table and -B
output, the console's grid, its cell dialog, copy and CSV export all go through it, so a DBA
reads the same digits wherever the value is shown, and the digits `mysql` would show.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

# my_gcvt's MAX_DECPT_FOR_F_FORMAT (DBL_DIG): the plain form is kept for decimal-point
# positions -14..15; outside them the exponent form is shorter and as exact
_MAX_DECPT_FOR_F = 15


def cell(v: Any) -> str:
    """A value as the mysql 8 client shows it: NULL in words, DECIMAL with its scale and no
    exponent, DOUBLE as mysqld writes it, TIME as [-]HH:MM:SS[.ffffff]."""
    if v is None:
        return "NULL"
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + v.hex()
    if isinstance(v, float):
        return double_text(v)
    if isinstance(v, Decimal):
        return decimal_text(v)
    if isinstance(v, dt.timedelta):
        return time_text(v)
    if isinstance(v, dt.datetime):
        return datetime_text(v)
    return str(v)  # dates, times of day, integers and strings print as MySQL does


def double_text(x: float) -> str:
    """A DOUBLE as mysqld turns it into text (`String::set_real` -> `my_gcvt`, the text
    protocol the mysql client reads) for a value whose decimals are not fixed.

    The digits are the shortest that read back as the same double (dtoa mode 0, what
    Python's repr gives too).  With the decimal point `decpt` places after the first digit
    position (value = 0.DIGITS x 10**decpt) and `n` digits, my_gcvt writes the plain form
    when -14 <= decpt <= 15, or when decpt > 15 but the number has digits after the point
    (n > decpt); otherwise the exponent form `De[-]X` / `D.DDDeX` (no `+`, no leading zeros
    in the exponent).  So `1e14` -> 100000000000000, `1e15` -> 1e15, `1.5e15` -> 1.5e15,
    `1e-5` -> 0.00001, `1e-15` -> 0.000000000000001, `1e-16` -> 1e-16, `1e0` -> 1 (no `.0`),
    `-0e0` -> -0.  A column with fixed decimals (PI() is a DOUBLE with 6; ROUND(x, 2) has
    2) is written with exactly that many by mysqld: the engine does not report them, so
    such values print here in the general form (3.141592653589793, not 3.141593).
    """
    if not math.isfinite(x):  # MySQL has no such DOUBLE; show what Python has
        return repr(x)
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    if ds == "0":
        return "-0" if sign else "0"
    # value = 0.ds x 10**decpt
    decpt = len(digits) + int(exponent)
    n = len(ds)
    minus = "-" if sign else ""
    if -_MAX_DECPT_FOR_F + 1 <= decpt and (decpt <= _MAX_DECPT_FOR_F or n > decpt):
        if decpt <= 0:
            return f"{minus}0.{'0' * -decpt}{ds}"
        if decpt >= n:
            return minus + ds + "0" * (decpt - n)
        return f"{minus}{ds[:decpt]}.{ds[decpt:]}"
    mantissa = ds if n == 1 else f"{ds[0]}.{ds[1:]}"
    return f"{minus}{mantissa}e{decpt - 1}"


def decimal_text(d: Decimal) -> str:
    """A DECIMAL with its scale, in plain digits: the engine's Decimal carries the scale as
    its exponent (ROUND(123.456, -1) is 1.2E+2 with scale 0 -> `120`; 0.0000001 * 1 is 1E-7
    -> `0.0000001`; CAST(1e-10 AS DECIMAL(20,15)) -> `0.000000000100000`).  MySQL has no
    negative zero DECIMAL: -0.00 prints 0.00."""
    if not d.is_finite():
        return str(d)
    if d.as_tuple().exponent > 0:  # a negative scale: the digits up to the point
        d = d.quantize(Decimal(1))
    text = format(d, "f")
    return text[1:] if d.is_zero() and text.startswith("-") else text


def time_text(t: dt.timedelta) -> str:
    """A TIME value ([-]HH:MM:SS, hours past 24 up to 838): Python's str(timedelta) says
    '1 day, 1:00:00' and '-1 day, 23:59:59'.  Microseconds show, as six digits, only when
    the value has them: the column's fsp is not in the engine's result metadata."""
    micro = (t.days * 86_400 + t.seconds) * 1_000_000 + t.microseconds
    sign = "-" if micro < 0 else ""
    secs, frac = divmod(abs(micro), 1_000_000)
    mins, s = divmod(secs, 60)
    h, m = divmod(mins, 60)
    text = f"{sign}{h:02d}:{m:02d}:{s:02d}"
    return f"{text}.{frac:06d}" if frac else text


def datetime_text(v: dt.datetime) -> str:
    """DATETIME/TIMESTAMP with a space; microseconds, as six digits, only when non-zero (the
    column's fsp, which mysql pads to, is not in the engine's result metadata)."""
    return v.isoformat(sep=" ")


def format_table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    texts = [[cell(v) for v in r] for r in rows]
    widths = [len(n) for n in names]
    for r in texts:
        for i, t in enumerate(r):
            widths[i] = max(widths[i], len(t))
    numeric = [all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in rows)
               for i in range(len(names))]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values, align_right):
        parts = []
        for t, w, right in zip(values, widths, align_right, strict=True):
            parts.append(" " + (t.rjust(w) if right else t.ljust(w)) + " ")
        return "|" + "|".join(parts) + "|"

    out = [sep, line(names, [False] * len(names)), sep]
    out += [line(r, numeric) for r in texts]
    out.append(sep)
    return "\n".join(out)
