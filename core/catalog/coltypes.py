"""Column type descriptors: `SqlType` (a column's declared type: kind, unsigned, length,
precision, scale), the families of kinds, and the MySQL protocol type codes they report.

They live in the catalog because the catalog stores them: a column's type is persisted as its
MySQL spelling (`SqlType.sql()`) and read back with `SqlType.from_sqlglot`, which needs only
the parser, never SQL values.  What a type does to values (storing with MySQL's strict-mode
errors, comparing, converting) stays in `core.sql.types`, which re-exports everything here,
so ``from core.sql.types import SqlType`` is the same class.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

from sqlglot import exp

from core.codec.members import EnumValue, SetValue
from core.errors import NotSupportedError, ProgrammingError

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta

__all__ = [
    "ALL_KINDS",
    "BINARY_KINDS",
    "BLOB_KINDS",
    "CHAR_KINDS",
    "FLOAT_KINDS",
    "FLOAT_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "INT_KINDS",
    "LOB_BYTES",
    "MAX_DECIMAL_SCALE",
    "MEMBER_KINDS",
    "NUMERIC_KINDS",
    "TEMPORAL_KINDS",
    "TEXT_KINDS",
    "UINT64_MAX",
    "FieldType",
    "SqlType",
    "UnsupportedError",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1
MAX_DECIMAL_SCALE = 30


class UnsupportedError(NotSupportedError, ProgrammingError):
    """A feature MySQL has and KintsugiDB does not: ERROR 1235 (42000), and still catchable as
    a ProgrammingError (which is what a client expects for bad SQL)."""

    errno = 1235
    sqlstate = "42000"


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


INT_KINDS = frozenset({"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "BOOLEAN"})
FLOAT_KINDS = frozenset({"FLOAT", "DOUBLE"})
NUMERIC_KINDS = INT_KINDS | FLOAT_KINDS | {"DECIMAL"}
TEXT_KINDS = frozenset({"TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"})
CHAR_KINDS = frozenset({"CHAR", "VARCHAR"}) | TEXT_KINDS
BLOB_KINDS = frozenset({"TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"})
BINARY_KINDS = frozenset({"BINARY", "VARBINARY"}) | BLOB_KINDS
TEMPORAL_KINDS = frozenset({"DATE", "DATETIME", "TIMESTAMP", "TIME"})
ALL_KINDS = NUMERIC_KINDS | CHAR_KINDS | BINARY_KINDS | TEMPORAL_KINDS
ALL_KINDS = ALL_KINDS | {"JSON"}  # values: core.sql.types.json

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
LOB_BYTES = {"TINYTEXT": 255, "TEXT": 65535, "MEDIUMTEXT": 16777215, "LONGTEXT": 4294967295,
              "TINYBLOB": 255, "BLOB": 65535, "MEDIUMBLOB": 16777215, "LONGBLOB": 4294967295}
FLOAT_MAX = 3.402823466e38
# ENUM and SET: a list of members (`SqlType.members`), values from `core.codec.members`
MEMBER_KINDS = frozenset({"ENUM", "SET"})
ALL_KINDS = ALL_KINDS | MEMBER_KINDS
MAX_ENUM_MEMBERS = 65535
MAX_SET_MEMBERS = 64

_TYPE_CODES = {
    "TINYINT": FieldType.TINY, "BOOLEAN": FieldType.TINY, "SMALLINT": FieldType.SHORT,
    "MEDIUMINT": FieldType.INT24, "INT": FieldType.LONG, "BIGINT": FieldType.LONGLONG,
    "DECIMAL": FieldType.NEWDECIMAL, "FLOAT": FieldType.FLOAT, "DOUBLE": FieldType.DOUBLE,
    "CHAR": FieldType.STRING, "VARCHAR": FieldType.VAR_STRING, "BINARY": FieldType.STRING,
    "VARBINARY": FieldType.VAR_STRING, "DATE": FieldType.DATE, "DATETIME": FieldType.DATETIME,
    "TIMESTAMP": FieldType.TIMESTAMP, "TIME": FieldType.TIME,
    **{k: FieldType.BLOB for k in TEXT_KINDS | BLOB_KINDS},
    "JSON": FieldType.JSON,
    # what MySQL's protocol sends for ENUM/SET columns (with ENUM_FLAG/SET_FLAG): clients
    # (mysql-connector, PyMySQL) see 254, never 247/248
    "ENUM": FieldType.STRING, "SET": FieldType.STRING,
}

_PY_TYPES: dict[str, type] = {
    **{k: int for k in INT_KINDS}, "DECIMAL": Decimal, "FLOAT": float, "DOUBLE": float,
    **{k: str for k in CHAR_KINDS}, **{k: bytes for k in BINARY_KINDS},
    "DATE": date, "DATETIME": datetime, "TIMESTAMP": datetime, "TIME": timedelta,
    "JSON": str,
    "ENUM": EnumValue, "SET": SetValue,
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
    _DT.JSON: ("JSON", False),
}
for _name, _unsigned in (("UFLOAT", "FLOAT"), ("UDOUBLE", "DOUBLE")):
    if hasattr(_DT, _name):
        _SIMPLE_DTYPES[getattr(_DT, _name)] = (_unsigned, True)


@dataclass(frozen=True)
class SqlType:
    """A column type.  `length` is the character count of CHAR/VARCHAR (bytes for
    BINARY/VARBINARY; the display width ``1`` of ``tinyint(1) unsigned``), `precision`/`scale`
    are DECIMAL's (and FLOAT(M,D)'s), and `precision` is the fractional-seconds precision of
    DATETIME/TIMESTAMP/TIME.  BOOLEAN is MySQL's ``tinyint(1)``.  `members` is the list of
    an ENUM or SET (trailing spaces already stripped, as MySQL does at CREATE TABLE).

    Instances are immutable and hashable; `sql()` round-trips through
    ``SqlType.from_sqlglot(exp.DataType.build(t.sql(), dialect="mysql"))``, which is how the
    catalog stores them.
    """

    kind: str
    unsigned: bool = False
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    members: tuple[str, ...] | None = None

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
        if k in MEMBER_KINDS:
            return f"{k.lower()}({','.join(_quote_member(m) for m in self.members or ())})"
        return k.lower()

    def __str__(self) -> str:
        return self.sql()

    # -- from the parser ------------------------------------------------------------------------

    @classmethod
    def from_sqlglot(cls, dt: exp.DataType, column: str | None = None) -> SqlType:
        """The SqlType of a column definition's (or CAST's) sqlglot DataType.

        Types MySQL has and we do not (BIT, YEAR, spatial) raise
        `UnsupportedError` (ERROR 1235); impossible parameters raise MySQL's DDL errors
        (1074 column length too big, 1425/1426 scale/precision too big, 1427 M < D).
        """
        name = column or "?"
        if dt.this in _MEMBER_DTYPES:
            return cls(_MEMBER_DTYPES[dt.this], members=_members(dt, name))
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


# --- ENUM and SET --------------------------------------------------------------------------

_MEMBER_DTYPES = {_DT.ENUM: "ENUM", _DT.SET: "SET"}
_MEMBER_ESCAPES = {"\\": "\\\\", "'": "''", "\0": "\\0", "\n": "\\n", "\r": "\\r"}


def _quote_member(m: str) -> str:
    """A member as SHOW CREATE TABLE quotes it (MySQL's append_unescaped)."""
    return "'" + "".join(_MEMBER_ESCAPES.get(ch, ch) for ch in m) + "'"


def _members(dt: exp.DataType, column: str) -> tuple[str, ...]:
    """The member list of ``ENUM(...)``/``SET(...)`` with MySQL's CREATE TABLE checks:
    trailing spaces stripped, a duplicate (compared case-insensitively, as the default
    collation does) is 1291, a comma inside a SET member 1367, more than 64 SET members or
    65535 ENUM members 1097."""
    what = "ENUM" if dt.this == _DT.ENUM else "SET"
    out: list[str] = []
    for p in dt.expressions:
        node = p.this if isinstance(p, exp.DataTypeParam) else p
        if not isinstance(node, exp.Literal) or not node.is_string:
            raise ProgrammingError(
                "You have an error in your SQL syntax; check the manual that corresponds to "
                "your MySQL server version for the right syntax to use near "
                f"'{node.sql(dialect='mysql')}'", errno=1064, sqlstate="42000")
        out.append(node.this.rstrip(" "))
    if not out:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near ')' ({what} needs a "
            "member)", errno=1064, sqlstate="42000")
    if len(out) > (MAX_SET_MEMBERS if what == "SET" else MAX_ENUM_MEMBERS):
        raise ProgrammingError(f"Too many strings for column {column} and SET", errno=1097,
                               sqlstate="HY000")
    folded = [m.casefold() for m in out]
    for i, f in enumerate(folded):
        if f in folded[i + 1:]:
            raise ProgrammingError(
                f"Column '{column}' has duplicated value '{out[i][:64]}' in {what}",
                errno=1291, sqlstate="HY000")
    if what == "SET":
        for m in out:
            if "," in m:
                raise ProgrammingError(f"Illegal set '{m}' value found during parsing",
                                       errno=1367, sqlstate="22007")
    return tuple(out)


def member_value(t: SqlType, text: Any) -> Any:
    """A stored ENUM/SET value rebuilt from its text (the catalog keeps a column's DEFAULT
    as plain text); anything else is returned unchanged."""
    if t.kind not in MEMBER_KINDS or not isinstance(text, str) or t.members is None:
        return text
    members = t.members
    if t.kind == "ENUM":
        if text in members:
            return EnumValue(text, members.index(text) + 1)
        return EnumValue("", 0) if text == "" else text
    mask = 0
    for part in text.split(",") if text else ():
        if part in members:
            mask |= 1 << members.index(part)
    return SetValue(",".join(m for i, m in enumerate(members) if mask >> i & 1), mask)
