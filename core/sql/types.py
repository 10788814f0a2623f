"""SQL column types, storing values into them, and MySQL's comparison and arithmetic rules.

Values are the codec's Python types: None, int, float, Decimal, str, bytes, date, datetime and
timedelta (MySQL TIME).  Three groups of rules live here because the expression compiler
(`core.sql.expr`), the functions (`core.sql.functions`) and the DML path all need the same ones:

* **Storing** (`coerce`): MySQL *strict mode*.  A value that does not fit its column is an error
  with MySQL's number, SQLSTATE and wording ("Out of range value for column 'c' at row 1"),
  never a silent clamp.
* **Comparing** (`compare`, `sort_key`): numbers compare numerically across int/Decimal/float,
  a string against a number compares as numbers, a string against a date as dates.  Strings
  compare with a binary, case-sensitive, NO PAD collation (``utf8mb4_0900_bin``): TiDB's
  default is the binary ``utf8mb4_bin``, and NO PAD (``'a' < 'a '``) is exactly the byte order
  of the key codec, so a range scan over an index and a full scan with a WHERE always agree.
* **Arithmetic** (`add`, `sub`, `mul`, `div`, `intdiv`, `mod`): MySQL's result types
  (int op int stays BIGINT and overflow is ERROR 1690, ``/`` gives DECIMAL with
  ``div_precision_increment`` = 4 more digits, anything with a double is double, division by
  zero is NULL).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from enum import IntEnum
from typing import Any

from sqlglot import exp

from core.errors import DataError, NotSupportedError, ProgrammingError

__all__ = [
    "BINARY",
    "DATETIME",
    "DEC",
    "NUMBER",
    "ROWID",
    "STRING",
    "DBAPITypeObject",
    "FieldType",
    "SqlType",
    "UnsupportedError",
    "add",
    "coerce",
    "compare",
    "div",
    "format_value",
    "intdiv",
    "make_coercer",
    "mod",
    "mul",
    "parse_date",
    "parse_datetime",
    "parse_temporal",
    "parse_time",
    "sort_key",
    "str_to_number",
    "sub",
    "to_date",
    "to_datetime",
    "to_double",
    "to_int",
    "to_number",
    "to_str",
    "to_time",
    "truth",
    "type_code_of_value",
]

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta

# Decimal arithmetic at MySQL's maximum precision (65 digits).  The default context (28 digits,
# banker's rounding) would silently round wide DECIMAL(65,30) values; every Decimal operation
# in the SQL layer goes through this context instead.
DEC = Context(prec=65, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1
DIV_PRECISION_INCREMENT = 4
MAX_DECIMAL_SCALE = 30


class UnsupportedError(NotSupportedError, ProgrammingError):
    """A feature MySQL has and KintsugiDB does not: ERROR 1235 (42000), and still catchable as
    a ProgrammingError (which is what a client expects for bad SQL)."""

    errno = 1235
    sqlstate = "42000"


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


# --- the types ----------------------------------------------------------------------------------


class FieldType(IntEnum):
    """MySQL protocol column types (``enum_field_types``), the `type_code` of
    cursor.description, as mysql-connector and PyMySQL report them."""

    DECIMAL = 0
    TINY = 1
    SHORT = 2
    LONG = 3
    FLOAT = 4
    DOUBLE = 5
    NULL = 6
    TIMESTAMP = 7
    LONGLONG = 8
    INT24 = 9
    DATE = 10
    TIME = 11
    DATETIME = 12
    YEAR = 13
    VARCHAR = 15
    BIT = 16
    JSON = 245
    NEWDECIMAL = 246
    ENUM = 247
    SET = 248
    TINY_BLOB = 249
    MEDIUM_BLOB = 250
    LONG_BLOB = 251
    BLOB = 252
    VAR_STRING = 253
    STRING = 254
    GEOMETRY = 255


class DBAPITypeObject(frozenset):
    """PEP 249 type objects: ``cursor.description[i][1] == STRING`` is true for every string
    type code."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int):
            return other in self
        return frozenset.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = frozenset.__hash__


STRING = DBAPITypeObject({FieldType.VARCHAR, FieldType.VAR_STRING, FieldType.STRING,
                          FieldType.ENUM, FieldType.SET, FieldType.JSON})
BINARY = DBAPITypeObject({FieldType.TINY_BLOB, FieldType.MEDIUM_BLOB, FieldType.LONG_BLOB,
                          FieldType.BLOB, FieldType.GEOMETRY, FieldType.BIT})
NUMBER = DBAPITypeObject({FieldType.DECIMAL, FieldType.NEWDECIMAL, FieldType.TINY,
                          FieldType.SHORT, FieldType.LONG, FieldType.FLOAT, FieldType.DOUBLE,
                          FieldType.LONGLONG, FieldType.INT24, FieldType.YEAR})
DATETIME = DBAPITypeObject({FieldType.TIMESTAMP, FieldType.DATE, FieldType.TIME,
                            FieldType.DATETIME})
ROWID = DBAPITypeObject()

INT_KINDS = frozenset({"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "BOOLEAN"})
FLOAT_KINDS = frozenset({"FLOAT", "DOUBLE"})
NUMERIC_KINDS = INT_KINDS | FLOAT_KINDS | {"DECIMAL"}
TEXT_KINDS = frozenset({"TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"})
CHAR_KINDS = frozenset({"CHAR", "VARCHAR"}) | TEXT_KINDS
BLOB_KINDS = frozenset({"TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"})
BINARY_KINDS = frozenset({"BINARY", "VARBINARY"}) | BLOB_KINDS
TEMPORAL_KINDS = frozenset({"DATE", "DATETIME", "TIMESTAMP", "TIME"})
ALL_KINDS = NUMERIC_KINDS | CHAR_KINDS | BINARY_KINDS | TEMPORAL_KINDS

# (signed min, signed max, unsigned max)
_INT_RANGES = {
    "TINYINT": (-128, 127, 255),
    "BOOLEAN": (-128, 127, 255),
    "SMALLINT": (-32768, 32767, 65535),
    "MEDIUMINT": (-8388608, 8388607, 16777215),
    "INT": (-2147483648, 2147483647, 4294967295),
    "BIGINT": (INT64_MIN, INT64_MAX, UINT64_MAX),
}
# Byte limits of the TEXT/BLOB families.
_LOB_BYTES = {"TINYTEXT": 255, "TEXT": 65535, "MEDIUMTEXT": 16777215, "LONGTEXT": 4294967295,
              "TINYBLOB": 255, "BLOB": 65535, "MEDIUMBLOB": 16777215, "LONGBLOB": 4294967295}
_FLOAT_MAX = 3.402823466e38

_TYPE_CODES = {
    "TINYINT": FieldType.TINY, "BOOLEAN": FieldType.TINY, "SMALLINT": FieldType.SHORT,
    "MEDIUMINT": FieldType.INT24, "INT": FieldType.LONG, "BIGINT": FieldType.LONGLONG,
    "DECIMAL": FieldType.NEWDECIMAL, "FLOAT": FieldType.FLOAT, "DOUBLE": FieldType.DOUBLE,
    "CHAR": FieldType.STRING, "VARCHAR": FieldType.VAR_STRING, "BINARY": FieldType.STRING,
    "VARBINARY": FieldType.VAR_STRING, "DATE": FieldType.DATE, "DATETIME": FieldType.DATETIME,
    "TIMESTAMP": FieldType.TIMESTAMP, "TIME": FieldType.TIME,
    **{k: FieldType.BLOB for k in TEXT_KINDS | BLOB_KINDS},
}

_PY_TYPES: dict[str, type] = {
    **{k: int for k in INT_KINDS}, "DECIMAL": Decimal, "FLOAT": float, "DOUBLE": float,
    **{k: str for k in CHAR_KINDS}, **{k: bytes for k in BINARY_KINDS},
    "DATE": date, "DATETIME": datetime, "TIMESTAMP": datetime, "TIME": timedelta,
}

_DT = exp.DataType.Type
_SIMPLE_DTYPES: dict[Any, tuple[str, bool]] = {
    _DT.TINYINT: ("TINYINT", False), _DT.UTINYINT: ("TINYINT", True),
    _DT.SMALLINT: ("SMALLINT", False), _DT.USMALLINT: ("SMALLINT", True),
    _DT.MEDIUMINT: ("MEDIUMINT", False), _DT.UMEDIUMINT: ("MEDIUMINT", True),
    _DT.INT: ("INT", False), _DT.UINT: ("INT", True),
    _DT.BIGINT: ("BIGINT", False), _DT.UBIGINT: ("BIGINT", True),
    _DT.SERIAL: ("BIGINT", True), _DT.BOOLEAN: ("BOOLEAN", False),
    _DT.DECIMAL: ("DECIMAL", False), _DT.UDECIMAL: ("DECIMAL", True),
    _DT.FLOAT: ("FLOAT", False), _DT.DOUBLE: ("DOUBLE", False),
    _DT.CHAR: ("CHAR", False), _DT.NCHAR: ("CHAR", False),
    _DT.VARCHAR: ("VARCHAR", False), _DT.NVARCHAR: ("VARCHAR", False),
    _DT.TEXT: ("TEXT", False), _DT.TINYTEXT: ("TINYTEXT", False),
    _DT.MEDIUMTEXT: ("MEDIUMTEXT", False), _DT.LONGTEXT: ("LONGTEXT", False),
    _DT.BLOB: ("BLOB", False), _DT.TINYBLOB: ("TINYBLOB", False),
    _DT.MEDIUMBLOB: ("MEDIUMBLOB", False), _DT.LONGBLOB: ("LONGBLOB", False),
    _DT.BINARY: ("BINARY", False), _DT.VARBINARY: ("VARBINARY", False),
    _DT.DATE: ("DATE", False), _DT.DATETIME: ("DATETIME", False),
    _DT.TIMESTAMP: ("TIMESTAMP", False), _DT.TIMESTAMPTZ: ("TIMESTAMP", False),
    _DT.TIMESTAMPLTZ: ("TIMESTAMP", False), _DT.TIME: ("TIME", False),
}
for _name, _unsigned in (("UFLOAT", "FLOAT"), ("UDOUBLE", "DOUBLE")):
    if hasattr(_DT, _name):
        _SIMPLE_DTYPES[getattr(_DT, _name)] = (_unsigned, True)


@dataclass(frozen=True)
class SqlType:
    """A column type.  `length` is the character count of CHAR/VARCHAR (bytes for
    BINARY/VARBINARY; the display width ``1`` of ``tinyint(1) unsigned``), `precision`/`scale`
    are DECIMAL's (and FLOAT(M,D)'s), and `precision` is the fractional-seconds precision of
    DATETIME/TIMESTAMP/TIME.  BOOLEAN is MySQL's ``tinyint(1)``.

    Instances are immutable and hashable; `sql()` round-trips through
    ``SqlType.from_sqlglot(exp.DataType.build(t.sql(), dialect="mysql"))``, which is how the
    catalog stores them.
    """

    kind: str
    unsigned: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None

    def __post_init__(self) -> None:
        kind = self.kind.upper()
        if kind not in ALL_KINDS:
            raise ValueError(f"unknown SQL type kind {self.kind!r}")
        object.__setattr__(self, "kind", kind)
        # MySQL's defaults, so that DECIMAL == DECIMAL(10,0) and CHAR == CHAR(1).
        if kind == "DECIMAL":
            if self.precision is None:
                object.__setattr__(self, "precision", 10)
            if self.scale is None:
                object.__setattr__(self, "scale", 0)
        elif kind in ("CHAR", "BINARY") and self.length is None:
            object.__setattr__(self, "length", 1)
        elif kind in TEMPORAL_KINDS and kind != "DATE" and self.precision is None:
            object.__setattr__(self, "precision", 0)

    # -- classification ---------------------------------------------------------------------

    @property
    def is_integer(self) -> bool:
        return self.kind in INT_KINDS

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_string(self) -> bool:
        return self.kind in CHAR_KINDS

    @property
    def is_binary(self) -> bool:
        return self.kind in BINARY_KINDS

    @property
    def is_temporal(self) -> bool:
        return self.kind in TEMPORAL_KINDS

    @property
    def python_type(self) -> type:
        """The Python class values of this type are stored as."""
        return _PY_TYPES[self.kind]

    @property
    def type_code(self) -> int:
        """PEP 249 `type_code` for cursor.description (a MySQL `FieldType`)."""
        return int(_TYPE_CODES[self.kind])

    @property
    def int_range(self) -> tuple[int, int]:
        """(min, max) of an integer type."""
        lo, hi, uhi = _INT_RANGES[self.kind]
        return (0, uhi) if self.unsigned else (lo, hi)

    # -- spelling -----------------------------------------------------------------------------

    def sql(self) -> str:
        """MySQL 8's SHOW CREATE TABLE spelling: ``int``, ``bigint unsigned``,
        ``varchar(20)``, ``decimal(10,2)``, ``tinyint(1)``, ``datetime(6)``."""
        k = self.kind
        uns = " unsigned" if self.unsigned else ""
        if k == "BOOLEAN":
            return "tinyint(1)" + uns
        if k in INT_KINDS:
            # MySQL 8.0.19+ drops integer display widths except tinyint(1).
            width = "(1)" if k == "TINYINT" and self.length == 1 else ""
            return k.lower() + width + uns
        if k == "DECIMAL":
            return f"decimal({self.precision},{self.scale}){uns}"
        if k in FLOAT_KINDS:
            if self.precision is not None and self.scale is not None:
                return f"{k.lower()}({self.precision},{self.scale}){uns}"
            return k.lower() + uns
        if k in ("CHAR", "VARCHAR", "BINARY", "VARBINARY"):
            return f"{k.lower()}({self.length})"
        if k in ("DATETIME", "TIMESTAMP", "TIME") and self.precision:
            return f"{k.lower()}({self.precision})"
        return k.lower()

    def __str__(self) -> str:
        return self.sql()

    # -- from the parser ------------------------------------------------------------------------

    @classmethod
    def from_sqlglot(cls, dt: exp.DataType, column: str | None = None) -> SqlType:
        """The SqlType of a column definition's (or CAST's) sqlglot DataType.

        Types MySQL has and we do not (JSON, ENUM, SET, BIT, YEAR, spatial) raise
        `UnsupportedError` (ERROR 1235); impossible parameters raise MySQL's DDL errors
        (1074 column length too big, 1425/1426 scale/precision too big, 1427 M < D).
        """
        name = column or "?"
        mapped = _SIMPLE_DTYPES.get(dt.this)
        if mapped is None:
            tname = dt.this.value if hasattr(dt.this, "value") else str(dt.this)
            raise UnsupportedError(
                f"This version of KintsugiDB doesn't yet support 'column type {tname}'")
        kind, unsigned = mapped
        params = [_type_param(p) for p in dt.expressions]
        if kind in INT_KINDS:
            width = params[0] if params else None
            if kind == "TINYINT" and width == 1:
                if not unsigned:
                    return cls("BOOLEAN")
                return cls("TINYINT", unsigned=True, length=1)
            return cls(kind, unsigned=unsigned)
        if kind == "DECIMAL":
            p = params[0] if params else 10
            s = params[1] if len(params) > 1 else 0
            if p > 65:
                raise ProgrammingError(
                    f"Too-big precision {p} specified for '{name}'. Maximum is 65.",
                    errno=1426, sqlstate="42000")
            if s > MAX_DECIMAL_SCALE:
                raise ProgrammingError(
                    f"Too big scale {s} specified for column '{name}'. Maximum is 30.",
                    errno=1425, sqlstate="42000")
            if s > p:
                raise ProgrammingError(
                    "For float(M,D), double(M,D) or decimal(M,D), M must be >= D "
                    f"(column '{name}').", errno=1427, sqlstate="42000")
            return cls("DECIMAL", unsigned=unsigned, precision=p, scale=s)
        if kind in FLOAT_KINDS:
            if len(params) == 1:
                # FLOAT(p): single precision up to 24 bits, double up to 53 (MySQL).
                if params[0] > 53:
                    raise ProgrammingError(f"Incorrect column specifier for column '{name}'",
                                           errno=1063, sqlstate="42000")
                return cls("DOUBLE" if params[0] > 24 else "FLOAT", unsigned=unsigned)
            if len(params) == 2:
                if params[1] > params[0]:
                    raise ProgrammingError(
                        "For float(M,D), double(M,D) or decimal(M,D), M must be >= D "
                        f"(column '{name}').", errno=1427, sqlstate="42000")
                return cls(kind, unsigned=unsigned, precision=params[0], scale=params[1])
            return cls(kind, unsigned=unsigned)
        if kind in ("CHAR", "BINARY"):
            n = params[0] if params else 1
            if n > 255:
                raise ProgrammingError(
                    f"Column length too big for column '{name}' (max = 255); "
                    "use BLOB or TEXT instead", errno=1074, sqlstate="42000")
            return cls(kind, length=n)
        if kind in ("VARCHAR", "VARBINARY"):
            if not params:
                raise ProgrammingError(
                    "You have an error in your SQL syntax; check the manual that corresponds "
                    f"to your MySQL server version for the right syntax to use near '' "
                    f"(a length is required for {kind})", errno=1064, sqlstate="42000")
            n = params[0]
            limit = 16383 if kind == "VARCHAR" else 65535
            if n > limit:
                raise ProgrammingError(
                    f"Column length too big for column '{name}' (max = {limit}); "
                    "use BLOB or TEXT instead", errno=1074, sqlstate="42000")
            return cls(kind, length=n)
        if kind in ("DATETIME", "TIMESTAMP", "TIME"):
            fsp = params[0] if params else 0
            if fsp > 6:
                raise ProgrammingError(
                    f"Too-big precision {fsp} specified for '{name}'. Maximum is 6.",
                    errno=1426, sqlstate="42000")
            return cls(kind, precision=fsp)
        return cls(kind)


def _type_param(p: exp.Expression) -> int:
    node = p.this if isinstance(p, exp.DataTypeParam) else p
    try:
        return int(node.name if isinstance(node, exp.Expression) else node)
    except (TypeError, ValueError):
        raise ProgrammingError(f"Incorrect type parameter {p.sql(dialect='mysql')!r}",
                               errno=1064, sqlstate="42000") from None


def type_code_of_value(value: Any) -> int:
    """cursor.description type code for a computed column, judged from a value."""
    return int(_VALUE_CODES.get(type(value), FieldType.VAR_STRING))


_VALUE_CODES = {
    type(None): FieldType.NULL, bool: FieldType.LONGLONG, int: FieldType.LONGLONG,
    float: FieldType.DOUBLE, Decimal: FieldType.NEWDECIMAL, str: FieldType.VAR_STRING,
    bytes: FieldType.BLOB, date: FieldType.DATE, datetime: FieldType.DATETIME,
    timedelta: FieldType.TIME,
}


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
    return float(_temporal_number(v))


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
    raise DataError(f"Cannot convert {type(v).__name__} to a number")


def round_half_away(v: float | Decimal) -> int:
    """Round to an integer, halves away from zero (MySQL for exact values)."""
    if type(v) is float:
        if v != v or v in (math.inf, -math.inf):
            raise DataError("Cannot convert NaN or infinity to an integer", errno=1264,
                            sqlstate="22003")
        v = Decimal(v)
    return int(v.to_integral_value(rounding=ROUND_HALF_UP))


_MAX_INT_DIGITS = 40  # beyond UINT64's 20 digits, far below int()'s 4300
_DBL_MAX = 1.7976931348623157e308


def to_int(v: Any) -> int | None:
    """A value as an integer where MySQL wants one (function arguments such as SUBSTRING's
    position, CAST AS SIGNED): numbers rounded half away from zero, strings by their integer
    prefix (``'2.7'`` -> 2, as MySQL's string-to-int conversion stops at the dot)."""
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
    * A date against a string parses the string (``date_col = '2024-01-31'``); a date against
      a datetime compares as datetimes (the date is midnight).
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
                return _cmp(to_str(a), s)
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
}
_NULL_KEY = (0, 0)


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
        else:
            raise _err_truncated(column, row)
        if f != f or f in (math.inf, -math.inf):
            raise _err_range(column, row)
        if d is not None:
            f = float(Decimal(repr(f)).quantize(Decimal(1).scaleb(-d), context=DEC))
        if (single and abs(f) > _FLOAT_MAX) or (unsigned and f < 0) or \
                (limit is not None and abs(f) >= limit):
            raise _err_range(column, row)
        return f

    return coerce_float


def _str_coercer(t: SqlType) -> Coercer:
    k = t.kind
    n = t.length if k in ("CHAR", "VARCHAR") else None
    max_bytes = _LOB_BYTES.get(k)
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
    n = t.length if k in ("BINARY", "VARBINARY") else _LOB_BYTES[k]
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


# --- CAST -------------------------------------------------------------------------------------


def cast_signed(v: Any) -> int | None:
    """CAST(v AS SIGNED): strings by integer prefix, numbers rounded half away from zero,
    clamped to BIGINT (values above it wrap as MySQL's unsigned-to-signed cast does)."""
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
    18446744073709551615)."""
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
