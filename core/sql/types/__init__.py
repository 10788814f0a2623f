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

The declared types themselves (`SqlType`, the kind families, `FieldType`) are column
descriptors that the catalog stores: they live in `core.catalog.coltypes` and are re-exported
here.  The value rules are one module each, imported in one direction only:
`convert` <- `temporal` <- `comparison` <- `coercion` <- `cast`, and `arith` on `convert`;
`json` (JSON values, `JsonText`) is below `comparison` and `coercion`;
`dbapi` holds the PEP 249 type objects.  Every name importable from here before the split
still is.
"""

from __future__ import annotations

from core.catalog.coltypes import (
    ALL_KINDS,
    BINARY_KINDS,
    BLOB_KINDS,
    CHAR_KINDS,
    FLOAT_KINDS,
    INT64_MAX,
    INT64_MIN,
    INT_KINDS,
    MAX_DECIMAL_SCALE,
    NUMERIC_KINDS,
    TEMPORAL_KINDS,
    TEXT_KINDS,
    UINT64_MAX,
    FieldType,
    SqlType,
    UnsupportedError,
)
from core.sql.types.arith import (
    DIV_PRECISION_INCREMENT,
    add,
    check_bigint,
    div,
    intdiv,
    mod,
    mul,
    neg,
    sub,
)
from core.sql.types.cast import (
    cast_binary,
    cast_char,
    cast_datetime,
    cast_decimal,
    cast_double,
    cast_signed,
    cast_time,
    cast_unsigned,
)
from core.sql.types.coercion import Coercer, coerce, make_coercer
from core.sql.types.comparison import (
    _as_datetime,
    _compare_mixed,
    compare,
    equal,
    plain_members,
    sort_key,
    text_sort_key,
)
from core.sql.types.convert import (
    DEC,
    format_value,
    round_half_away,
    str_to_number,
    to_double,
    to_int,
    to_number,
    to_str,
    truth,
)
from core.sql.types.dbapi import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    DBAPITypeObject,
    type_code_of_value,
)
from core.sql.types.temporal import (
    TIME_MAX,
    parse_date,
    parse_datetime,
    parse_temporal,
    parse_time,
    to_date,
    to_datetime,
    to_temporal,
    to_time,
)

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
    "plain_members",
    "text_sort_key",
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
# Importable from here as before the split: constants, kind families, the CAST conversions and
# two helpers of the expression compiler.
__all__ += [
    "ALL_KINDS",
    "BINARY_KINDS",
    "BLOB_KINDS",
    "CHAR_KINDS",
    "DIV_PRECISION_INCREMENT",
    "FLOAT_KINDS",
    "INT64_MAX",
    "INT64_MIN",
    "INT_KINDS",
    "MAX_DECIMAL_SCALE",
    "NUMERIC_KINDS",
    "TEMPORAL_KINDS",
    "TEXT_KINDS",
    "TIME_MAX",
    "UINT64_MAX",
    "Coercer",
    "_as_datetime",
    "_compare_mixed",
    "cast_binary",
    "cast_char",
    "cast_datetime",
    "cast_decimal",
    "cast_double",
    "cast_signed",
    "cast_time",
    "cast_unsigned",
    "check_bigint",
    "equal",
    "neg",
    "round_half_away",
    "to_temporal",
]
