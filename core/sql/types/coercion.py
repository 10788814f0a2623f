"""Storing a value into a column (`coerce`, `make_coercer`): MySQL *strict mode*.  A value that
does not fit is an error with MySQL's number, SQLSTATE and wording ("Out of range value for
column 'c' at row 1"), never a silent clamp.  INSERT (`core.sql.insert`) builds one coercer
per column with `make_coercer` and calls it per row; UPDATE and DDL (`core.sql.dml`,
`core.sql.ddl`) call `coerce`.  INSERT IGNORE / UPDATE IGNORE use `lenient_columns`: the
same coercers, but a data error becomes a warning and MySQL's adjusted value is stored.
"""

from __future__ import annotations

import datetime as _dt
import math
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from core.catalog.coltypes import (
    BINARY_KINDS,
    CHAR_KINDS,
    FLOAT_KINDS,
    FLOAT_MAX,
    INT_KINDS,
    LOB_BYTES,
    MEMBER_KINDS,
    TEMPORAL_KINDS,
    SqlType,
)
from core.errors import DataError
from core.sql.types.comparison import _normalize_foreign
from core.sql.types.convert import _NUM_PREFIX, DEC, _temporal_number, round_half_away, to_str
from core.sql.types.enumset import member_adjuster, member_coercer, member_default
from core.sql.types.json import canonical as json_canonical
from core.sql.types.temporal import TIME_MAX, to_date, to_datetime, to_time

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta


def _err_range(column: str, row: int) -> DataError:
    return DataError(f"Out of range value for column '{column}' at row {row}",
                     errno=1264, sqlstate="22003")


def _err_too_long(column: str, row: int) -> DataError:
    return DataError(f"Data too long for column '{column}' at row {row}",
                     errno=1406, sqlstate="22001")


def _err_truncated(column: str, row: int) -> DataError:
    return DataError(f"Data truncated for column '{column}' at row {row}",
                     errno=1265, sqlstate="01000")


def _err_incorrect(what: str, value: Any, column: str, row: int) -> DataError:
    return DataError(
        f"Incorrect {what} value: '{_quote_value(value)}' for column '{column}' at row {row}",
        errno=1366, sqlstate="HY000")


def _err_temporal(what: str, value: Any, column: str, row: int) -> DataError:
    return DataError(
        f"Incorrect {what} value: '{_quote_value(value)}' for column '{column}' at row {row}",
        errno=1292, sqlstate="22007")


def _quote_value(value: Any) -> str:
    s = to_str(value) if not isinstance(value, str) else value
    return s[:128]


# --- storing into columns -------------------------------------------------------------------------

Coercer = Callable[[Any, str, int], Any]
_COERCERS: dict[SqlType, Coercer] = {}


def coerce(value: Any, t: SqlType, column: str, *, row: int = 1) -> Any:
    """`value` converted for storage in a column of type `t`, by MySQL strict-mode rules.

    None passes through (NOT NULL is the caller's check).  Errors carry MySQL's codes:
    1264 out of range, 1406 data too long, 1366 incorrect integer/decimal value, 1265 data
    truncated (``'12abc'`` into a number, non-numeric text into a double), 1292 incorrect
    date/datetime/time value.  `row` is the 1-based row number in the statement for the
    "at row N" text.  For bulk inserts, `make_coercer(t)` once per column is faster.
    """
    if value is None:
        return None
    f = _COERCERS.get(t)
    if f is None:
        f = make_coercer(t)
    return f(value, column, row)


def make_coercer(t: SqlType) -> Coercer:
    """A function ``(value, column, row) -> stored value`` for type `t` (see `coerce`)."""
    f = _COERCERS.get(t)
    if f is not None:
        return f
    k = t.kind
    if k in INT_KINDS:
        f = _int_coercer(t)
    elif k == "DECIMAL":
        f = _decimal_coercer(t)
    elif k in FLOAT_KINDS:
        f = _float_coercer(t)
    elif k in CHAR_KINDS:
        f = _str_coercer(t)
    elif k in BINARY_KINDS:
        f = _bytes_coercer(t)
    elif k == "DATE":
        f = _date_coercer()
    elif k in ("DATETIME", "TIMESTAMP"):
        f = _datetime_coercer(t)
    elif k == "JSON":
        f = _json_coercer
    elif k in MEMBER_KINDS:
        f = member_coercer(t)
    else:
        f = _time_coercer(t)
    _COERCERS[t] = f
    return f


def _numeric_text(v: str | bytes, what: str, column: str, row: int) -> Decimal | float:
    """A string stored into a numeric column: the numeric prefix, or MySQL's strict errors.
    Surrounding spaces are fine; other trailing text is 1265, no number at all is 1366 (1265
    for doubles, which MySQL reports as truncation)."""
    s = v.decode("utf-8", "replace") if type(v) is bytes else v
    m = _NUM_PREFIX.match(s)
    if m is None:
        if what == "double":
            raise _err_truncated(column, row)
        raise _err_incorrect(what, s, column, row)
    if s[m.end():].strip(" \t\n\r\f\v"):
        raise _err_truncated(column, row)
    text = m.group(1)
    if what == "double":
        return float(text)
    return Decimal(text)


def _int_coercer(t: SqlType) -> Coercer:
    lo, hi = t.int_range

    def coerce_int(v: Any, column: str, row: int) -> int:
        tv = type(v)
        if tv is int:
            if lo <= v <= hi:
                return v
            raise _err_range(column, row)
        if tv is bool:
            return int(v)
        if tv is float or tv is Decimal:
            if tv is float and (v != v or v in (math.inf, -math.inf)):
                raise _err_range(column, row)
            r = round_half_away(v)
        elif tv is str or tv is bytes:
            r = round_half_away(_numeric_text(v, "integer", column, row))
        elif isinstance(v, (date, timedelta)):
            n = _temporal_number(v)
            r = n if type(n) is int else round_half_away(n)
        elif isinstance(v, int):
            r = int(v)
        elif type(getattr(v, "number", None)) is int:  # ENUM/SET: index/bitmask (MySQL)
            r = v.number
        else:
            raise _err_incorrect("integer", v, column, row)
        if lo <= r <= hi:
            return r
        raise _err_range(column, row)

    return coerce_int


def _decimal_coercer(t: SqlType) -> Coercer:
    p, s = t.precision or 10, t.scale or 0
    q = Decimal(1).scaleb(-s)
    limit = Decimal(10) ** (p - s)
    unsigned = t.unsigned

    def coerce_decimal(v: Any, column: str, row: int) -> Decimal:
        tv = type(v)
        if tv is Decimal:
            d = v
        elif tv is int:
            d = Decimal(v)
        elif tv is bool:
            d = Decimal(int(v))
        elif tv is float:
            if v != v or v in (math.inf, -math.inf):
                raise _err_range(column, row)
            d = Decimal(repr(v))
        elif tv is str or tv is bytes:
            d = _numeric_text(v, "decimal", column, row)
        elif isinstance(v, (date, timedelta)):
            d = Decimal(_temporal_number(v))
        elif type(getattr(v, "number", None)) is int:  # ENUM/SET: index/bitmask (MySQL)
            d = Decimal(v.number)
        else:
            raise _err_incorrect("decimal", v, column, row)
        if not d.is_finite():
            raise _err_range(column, row)
        try:
            r = d.quantize(q, context=DEC)
        except InvalidOperation:
            raise _err_range(column, row) from None
        if abs(r) >= limit or (unsigned and r < 0):
            raise _err_range(column, row)
        if r.is_zero() and r.is_signed():
            r = abs(r)
        return r

    return coerce_decimal


def _float_coercer(t: SqlType) -> Coercer:
    single = t.kind == "FLOAT"
    unsigned = t.unsigned
    m, d = t.precision, t.scale
    limit = 10.0 ** (m - d) if m is not None and d is not None else None

    def coerce_float(v: Any, column: str, row: int) -> float:
        tv = type(v)
        if tv is float:
            f = v
        elif tv is int or tv is Decimal or tv is bool:
            f = float(v)
        elif tv is str or tv is bytes:
            f = float(_numeric_text(v, "double", column, row))
        elif isinstance(v, (date, timedelta)):
            f = float(_temporal_number(v))
        elif type(getattr(v, "number", None)) is int:  # ENUM/SET: index/bitmask (MySQL)
            f = float(v.number)
        else:
            raise _err_truncated(column, row)
        if f != f or f in (math.inf, -math.inf):
            raise _err_range(column, row)
        if d is not None:
            f = float(Decimal(repr(f)).quantize(Decimal(1).scaleb(-d), context=DEC))
        if (single and abs(f) > FLOAT_MAX) or (unsigned and f < 0) or \
                (limit is not None and abs(f) >= limit):
            raise _err_range(column, row)
        return f

    return coerce_float


def _str_coercer(t: SqlType) -> Coercer:
    k = t.kind
    n = t.length if k in ("CHAR", "VARCHAR") else None
    max_bytes = LOB_BYTES.get(k)
    is_char = k == "CHAR"

    def coerce_str(v: Any, column: str, row: int) -> str:
        if type(v) is not str:
            if type(v) is bytes:
                try:
                    v = v.decode("utf-8")
                except UnicodeDecodeError:
                    bad = v[:8].hex().upper()
                    raise DataError(
                        "Incorrect string value: '"
                        + "".join(f"\\x{bad[i:i + 2]}" for i in range(0, len(bad), 2))
                        + f"' for column '{column}' at row {row}",
                        errno=1366, sqlstate="HY000") from None
            else:
                v = to_str(_normalize_foreign(v))
        if n is not None:
            if len(v) > n:
                # Excess trailing spaces are cut silently (a note in MySQL), anything else
                # is an error in strict mode.
                if v[n:].strip(" "):
                    raise _err_too_long(column, row)
                v = v[:n]
            if is_char:
                # CHAR values are space-padded on disk and read back without the padding.
                v = v.rstrip(" ")
        elif max_bytes is not None and len(v) * 4 > max_bytes:
            if len(v.encode("utf-8")) > max_bytes:
                raise _err_too_long(column, row)
        return v

    return coerce_str


def _bytes_coercer(t: SqlType) -> Coercer:
    k = t.kind
    n = t.length if k in ("BINARY", "VARBINARY") else LOB_BYTES[k]
    pad = k == "BINARY"

    def coerce_bytes(v: Any, column: str, row: int) -> bytes:
        tv = type(v)
        if tv is not bytes:
            if tv is str:
                v = v.encode("utf-8")
            elif isinstance(v, (bytearray, memoryview)):
                v = bytes(v)
            else:
                v = to_str(_normalize_foreign(v)).encode("utf-8")
        if len(v) > n:
            raise _err_too_long(column, row)
        if pad and len(v) < n:
            v = v + b"\x00" * (n - len(v))
        return v

    return coerce_bytes


def _json_coercer(v: Any, column: str, row: int) -> str:
    """A JSON column stores the canonical text (see `core.sql.types.json`)."""
    return json_canonical(v, column)


def _temporal_input(v: Any) -> Any:
    tv = type(v)
    if tv is bytes:
        return v.decode("utf-8", "replace")
    if tv is bool:
        return int(v)
    return v


def _date_coercer() -> Coercer:
    def coerce_date(v: Any, column: str, row: int) -> date:
        tv = type(v)
        if tv is date:
            return v
        if tv is datetime:
            return v.date()
        v = _normalize_foreign(_temporal_input(v))
        if type(v) is datetime:
            return v.date()
        if type(v) is date:
            return v
        r = to_date(v) if type(v) in (str, int, Decimal, float) else None
        if r is None:
            raise _err_temporal("date", v, column, row)
        return r

    return coerce_date


_TS_MIN = datetime(1970, 1, 1, 0, 0, 1)
_TS_MAX = datetime(2038, 1, 19, 3, 14, 7, 999999)


def _round_fsp(v: datetime | timedelta, fsp: int) -> Any:
    """Round fractional seconds to the column's precision (MySQL rounds, not truncates)."""
    us = v.microseconds if type(v) is timedelta else v.microsecond
    if not us:
        return v
    unit = 10 ** (6 - fsp)
    kept = (us + unit // 2) // unit * unit
    return v + timedelta(microseconds=kept - us)


def _datetime_coercer(t: SqlType) -> Coercer:
    fsp = t.precision or 0
    ts = t.kind == "TIMESTAMP"

    def coerce_datetime(v: Any, column: str, row: int) -> datetime:
        tv = type(v)
        if tv is datetime:
            r = v
        elif tv is date:
            r = datetime(v.year, v.month, v.day)
        else:
            v = _normalize_foreign(_temporal_input(v))
            if type(v) is datetime:
                r = v
            elif type(v) is date:
                r = datetime(v.year, v.month, v.day)
            else:
                r = to_datetime(v) if type(v) in (str, int, Decimal, float) else None
                if r is None:
                    raise _err_temporal("datetime", v, column, row)
        if r.tzinfo is not None:
            r = r.replace(tzinfo=None)
        if r.microsecond and fsp < 6:
            try:
                r = _round_fsp(r, fsp)
            except OverflowError:
                raise _err_temporal("datetime", v, column, row) from None
        if ts and not _TS_MIN <= r <= _TS_MAX:
            raise _err_temporal("datetime", v, column, row)
        return r

    return coerce_datetime


def _time_coercer(t: SqlType) -> Coercer:
    fsp = t.precision or 0

    def coerce_time(v: Any, column: str, row: int) -> timedelta:
        r = to_time(_normalize_foreign(_temporal_input(v)))
        if r is None or r > TIME_MAX or r < -TIME_MAX:
            raise _err_temporal("time", v, column, row)
        if r.microseconds and fsp < 6:
            r = _round_fsp(r, fsp)
        return r

    return coerce_time


# --- INSERT IGNORE / UPDATE IGNORE: adjusted values with a warning ----------------------------
# MySQL's IGNORE turns the strict-mode data errors into warnings and stores the value a
# non-strict server would: out of range clamps to the type's limit (1264), a string too long is
# cut to the column (1406, the strict sql_mode's code), 'abc' into a number is 0 (1366; 1265
# for doubles) and '12abc' is 12 (1265).  The strict coercer still runs first, so a value that
# fits costs one try block and nothing else.  Temporal errors stay errors: the adjusted value
# would be a zero date ('0000-00-00'), which this engine cannot store.

Warn = Callable[[int, str], None]


def make_lenient_coercer(t: SqlType, warn: Warn) -> Coercer:
    """A coercer for type `t` that stores MySQL's adjusted value and reports the data error
    through ``warn(errno, message)`` instead of raising it (see `coerce`)."""
    strict = make_coercer(t)
    adjust = _adjuster(t)

    def coerce_lenient(v: Any, column: str, row: int) -> Any:
        try:
            return strict(v, column, row)
        except DataError as e:
            r, err = adjust(v, e, column, row)
            warn(err.errno, err.msg)
            return r

    return coerce_lenient


def implicit_default(t: SqlType) -> Any:
    """The value IGNORE stores for NULL into a NOT NULL column, or for a NOT NULL column
    without a default that the INSERT left out: MySQL's implicit default of the type (0, '',
    00:00:00).  None where that is a zero date, which this engine cannot store."""
    k = t.kind
    if k in MEMBER_KINDS:
        return member_default(t)
    if k in TEMPORAL_KINDS:
        return timedelta(0) if k == "TIME" else None
    if k in CHAR_KINDS:
        return ""
    if k == "JSON":
        return "null"
    return make_coercer(t)(b"" if k in BINARY_KINDS else 0, "", 1)


def lenient_columns(types: list[SqlType], warn: Warn) -> tuple[list[Coercer], list[Any]]:
    """Per column of a table (its types in order): the IGNORE coercer and the implicit
    default NULL into NOT NULL gets (None: that stays an error), for INSERT and UPDATE."""
    return [make_lenient_coercer(t, warn) for t in types], [implicit_default(t) for t in types]


Adjuster = Callable[[Any, DataError, str, int], tuple[Any, DataError]]


def _adjuster(t: SqlType) -> Adjuster:
    k = t.kind
    if k in INT_KINDS:
        return _int_adjuster(t)
    if k == "DECIMAL":
        return _decimal_adjuster(t)
    if k in FLOAT_KINDS:
        return _float_adjuster(t)
    if k in CHAR_KINDS:
        return _str_adjuster(t)
    if k in BINARY_KINDS:
        return _bytes_adjuster(t)
    if k in MEMBER_KINDS:
        return member_adjuster(t)
    return _no_adjuster


def _no_adjuster(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
    raise e


def _number_of(v: Any, e: DataError) -> Any:
    """The number a value that failed a numeric column stands for: the numeric prefix of a
    string (None when there is none: the adjusted value is 0), or the value itself."""
    tv = type(v)
    if tv is str or tv is bytes:
        s = v.decode("utf-8", "replace") if tv is bytes else v
        m = _NUM_PREFIX.match(s)
        return Decimal(m.group(1)) if m is not None else None
    if tv is float:
        if v != v:
            raise e
        return v
    if tv is int or tv is Decimal or tv is bool:
        return v
    if isinstance(v, (date, timedelta)):
        return _temporal_number(v)
    raise e


def _is_inf(n: Any) -> bool:
    return type(n) is float and n in (math.inf, -math.inf) or \
        type(n) is Decimal and n.is_infinite()


def _int_adjuster(t: SqlType) -> Adjuster:
    lo, hi = t.int_range

    def adjust(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
        n = _number_of(v, e)
        if n is None:
            return 0, e
        if _is_inf(n) or n < lo - 1 or n > hi + 1:
            return (lo if n < 0 else hi), _err_range(column, row)
        r = n if type(n) is int else round_half_away(n)
        if r < lo:
            return lo, _err_range(column, row)
        if r > hi:
            return hi, _err_range(column, row)
        return r, e

    return adjust


def _decimal_adjuster(t: SqlType) -> Adjuster:
    p, s = t.precision or 10, t.scale or 0
    q = Decimal(1).scaleb(-s)
    top = Decimal(10) ** (p - s) - q
    bottom = Decimal(0).quantize(q) if t.unsigned else -top
    zero = Decimal(0).quantize(q)

    def adjust(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
        n = _number_of(v, e)
        if n is None:
            return zero, e
        d = n if type(n) is Decimal else Decimal(repr(n)) if type(n) is float else Decimal(n)
        if d.is_infinite() or d > top or d < bottom:
            return (bottom if d < 0 else top), _err_range(column, row)
        r = d.quantize(q, context=DEC)
        if r > top or r < bottom:
            return (bottom if r < 0 else top), _err_range(column, row)
        return (abs(r) if r.is_zero() else r), e

    return adjust


def _float_adjuster(t: SqlType) -> Adjuster:
    d = t.scale
    if t.precision is not None and d is not None:
        top = float(Decimal(10) ** (t.precision - d) - Decimal(1).scaleb(-d))
    else:
        top = FLOAT_MAX if t.kind == "FLOAT" else sys.float_info.max
    bottom = 0.0 if t.unsigned else -top

    def adjust(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
        n = _number_of(v, e)
        if n is None:
            return 0.0, e
        f = float(n)
        if d is not None and not _is_inf(f):
            f = float(Decimal(repr(f)).quantize(Decimal(1).scaleb(-d), context=DEC))
        if f > top or f < bottom:
            return (bottom if f < 0 else top), _err_range(column, row)
        return f, e

    return adjust


def _str_adjuster(t: SqlType) -> Adjuster:
    k = t.kind
    n = t.length if k in ("CHAR", "VARCHAR") else None
    max_bytes = LOB_BYTES.get(k, 0)
    is_char = k == "CHAR"

    def adjust(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
        if e.errno != 1406:
            raise e
        if type(v) is bytes:
            v = v.decode("utf-8")
        elif type(v) is not str:
            v = to_str(_normalize_foreign(v))
        if n is not None:
            v = v[:n].rstrip(" ") if is_char else v[:n]
        else:
            v = v.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
        return v, e

    return adjust


def _bytes_adjuster(t: SqlType) -> Adjuster:
    k = t.kind
    n = t.length if k in ("BINARY", "VARBINARY") else LOB_BYTES[k]

    def adjust(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
        if e.errno != 1406:
            raise e
        if type(v) is str:
            v = v.encode("utf-8")
        elif type(v) is not bytes:
            v = bytes(v) if isinstance(v, (bytearray, memoryview)) else \
                to_str(_normalize_foreign(v)).encode("utf-8")
        return v[:n], e

    return adjust


# --- result type unification -------------------------------------------------------------------
# The type of a column that several expressions feed (UNION's parts, the branches of IF, CASE,
# COALESCE/IFNULL) is MySQL's aggregate of their types, and every value is converted to it:
# a string wins over numbers and temporals (``'3' UNION 5`` is VARCHAR: '5'), DATETIME over
# DATE (a DATE becomes its midnight), DECIMAL over INT (with the largest scale: ``a UNION
# 1.5`` gives 2.0), DOUBLE over DECIMAL; a temporal with a number is a string.  Kinds: "int",
# "dec" or "dec/S" (a DECIMAL of scale S), "dbl", "str", "bin", "date", "datetime", "time".

_VALUE_KINDS: dict[type, str] = {
    int: "int", bool: "int", float: "dbl", str: "str", bytes: "bin",
    date: "date", datetime: "datetime", timedelta: "time",
}
_COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(INT_KINDS, "int"), "DECIMAL": "dec",
    **dict.fromkeys(FLOAT_KINDS, "dbl"), **dict.fromkeys(CHAR_KINDS, "str"),
    **dict.fromkeys(BINARY_KINDS, "bin"), "DATE": "date", "DATETIME": "datetime",
    "TIMESTAMP": "datetime", "TIME": "time",
}
# an ENUM/SET next to other branches is a string (IFNULL(e, 0) gives '0', as MySQL)
_COLUMN_KINDS.update(dict.fromkeys(MEMBER_KINDS, "str"))


def _dec_kind(scale: int) -> str:
    return f"dec/{scale}" if scale > 0 else "dec/0"


def kind_of_value(v: Any) -> str | None:
    """The unification kind of a value (None for NULL or an unknown class)."""
    if v is None:
        return None
    t = type(v)
    if t is Decimal:
        e = v.as_tuple().exponent
        return _dec_kind(-e if type(e) is int and e < 0 else 0)
    k = _VALUE_KINDS.get(t)
    if k is None:
        v = _normalize_foreign(v)
        if type(v) is Decimal:
            return kind_of_value(v)
        k = _VALUE_KINDS.get(type(v))
    return k


def kind_of_column(type_kind: str | SqlType) -> str | None:
    """The unification kind of a column type (``"VARCHAR"`` -> ``"str"``, a DECIMAL(10,2)
    SqlType -> ``"dec/2"``)."""
    if isinstance(type_kind, SqlType):
        if type_kind.kind == "DECIMAL":
            return _dec_kind(type_kind.scale or 0)
        type_kind = type_kind.kind
    return _COLUMN_KINDS.get(type_kind)


def aggregate_kinds(kinds: Any) -> str | None:
    """MySQL's aggregate of several result kinds (NULLs, given as None, do not count)."""
    out: str | None = None
    for k in kinds:
        if k is None or k == out:
            continue
        if out is None:
            out = k
            continue
        out = _merge(out, k)
    return out


def _rank(k: str) -> int | None:
    if k == "int":
        return 0
    if k.startswith("dec"):
        return 1
    if k == "dbl":
        return 2
    return None


def _scale(k: str) -> int | None:
    return int(k[4:]) if k.startswith("dec/") else None


def _merge(a: str, b: str) -> str:
    if a == "bin" or b == "bin":
        return "bin"
    if a == "str" or b == "str":
        return "str"
    na, nb = _rank(a), _rank(b)
    if na is not None and nb is not None:
        if na == 1 and nb == 1:
            sa, sb = _scale(a), _scale(b)
            if sa is None or sb is None:
                return "dec"
            return _dec_kind(max(sa, sb))
        return a if na > nb else b
    if na is not None or nb is not None:
        return "str"  # a temporal with a number
    # two different temporals: DATE/DATETIME/TIME together are DATETIME
    return "datetime"


def convert_to_kind(v: Any, kind: str | None) -> Any:
    """`v` as a value of the aggregated `kind` (see `aggregate_kinds`); NULL stays NULL."""
    if v is None or kind is None:
        return v
    t = type(v)
    if kind == "str":
        if t is str or t is bytes:
            return v
        return to_str(_normalize_foreign(v))
    if kind == "datetime":
        if t is date:
            return datetime(v.year, v.month, v.day)
        if t is timedelta:
            # MySQL: a TIME as a DATETIME is today's date plus the time
            today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
            return today + v
        return v
    if kind[:3] == "dec":
        if t is int or t is bool:
            v = Decimal(int(v))
        elif t is not Decimal:
            return v
        scale = _scale(kind)
        if scale:
            e = v.as_tuple().exponent
            if type(e) is int and -e < scale:
                return v.quantize(Decimal(1).scaleb(-scale), context=DEC)
        return v
    if kind == "dbl":
        if t is int or t is Decimal or t is bool:
            return float(v)
        return v
    return v  # "bin": binary and character strings are left as they are
