"""CAST and CONVERT: the target type's conversion function (`cast_function`), built on the
``cast_*`` conversions of `core.sql.types`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from core.sql.expr.compiler import _Compiler, _handles
from core.sql.expr.scope import Row, RowFn
from core.sql.types import (
    SqlType,
    UnsupportedError,
    cast_binary,
    cast_char,
    cast_datetime,
    cast_decimal,
    cast_double,
    cast_signed,
    cast_time,
    cast_unsigned,
    to_date,
)
from core.sql.types.convert import truncated_number
from core.sql.types.json import JsonText, cast_to_json, sql_scalar

_DT = exp.DataType.Type
_SIGNED = {_DT.BIGINT, _DT.INT, _DT.SMALLINT, _DT.TINYINT, _DT.MEDIUMINT}
_UNSIGNED = {_DT.UBIGINT, _DT.UINT, _DT.USMALLINT, _DT.UTINYINT, _DT.UMEDIUMINT}
_CHARS = {_DT.CHAR, _DT.NCHAR, _DT.VARCHAR, _DT.NVARCHAR, _DT.TEXT, _DT.CHARACTER_SET}
_BINARIES = {_DT.BINARY, _DT.VARBINARY, _DT.BLOB}


def cast_function(dt: exp.DataType) -> Callable[[Any], Any]:
    """The conversion CAST(x AS `dt`) applies (SIGNED, UNSIGNED, DECIMAL(p,s), CHAR(n),
    BINARY(n), DATE, DATETIME(fsp), TIME(fsp), DOUBLE/FLOAT)."""
    t = dt.this
    params = []
    for p in dt.expressions:
        node = p.this if isinstance(p, exp.DataTypeParam) else p
        try:
            params.append(int(node.name))
        except (TypeError, ValueError):
            params.append(None)
    if t in _SIGNED:
        return cast_signed
    if t in _UNSIGNED:
        return cast_unsigned
    if t in (_DT.DECIMAL, _DT.UDECIMAL):
        p = params[0] if params and params[0] is not None else 10
        s = params[1] if len(params) > 1 and params[1] is not None else 0
        SqlType.from_sqlglot(exp.DataType(this=_DT.DECIMAL, expressions=list(dt.expressions)),
                             column="CAST")  # validates p/s with MySQL's errors
        return lambda v: cast_decimal(v, p, s)
    if t in (_DT.DOUBLE, _DT.FLOAT):
        return cast_double
    if t in _CHARS:
        n = params[0] if params and t is not _DT.CHARACTER_SET else None
        return lambda v: cast_char(v, n)
    if t in _BINARIES:
        n = params[0] if params and t is _DT.BINARY else None
        return lambda v: cast_binary(v, n)
    if t is _DT.DATE:
        return to_date
    if t in (_DT.DATETIME, _DT.TIMESTAMP, _DT.TIMESTAMPTZ, _DT.TIMESTAMPLTZ):
        fsp = params[0] if params and params[0] is not None else 0
        if t is not _DT.DATETIME and not params:
            fsp = 6  # TIMESTAMP 'literal' keeps its fraction
        return lambda v: cast_datetime(v, fsp)
    if t is _DT.TIME:
        fsp = params[0] if params and params[0] is not None else 0
        return lambda v: cast_time(v, fsp)
    if t is _DT.JSON:
        return cast_to_json
    tname = t.value if hasattr(t, "value") else str(t)
    raise UnsupportedError(f"This version of KintsugiDB doesn't yet support 'CAST AS {tname}'")


def _from_json(conv: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A numeric or temporal CAST of a JSON value starts from its scalar (JSON 10 is 10)."""
    def from_json(v: Any) -> Any:
        return conv(sql_scalar(v) if type(v) is JsonText else v)

    return from_json


@_handles(exp.Cast, exp.TryCast)
def _cast(c: _Compiler, node: exp.Cast) -> RowFn:
    conv = cast_function(node.args["to"])
    to = node.args["to"].this
    if to not in _CHARS and to is not _DT.JSON:
        conv = _from_json(conv)
    f = c.fn(node.this)
    what = _TRUNCATED.get(to)
    warn = getattr(c.ctx, "warn", None)
    if what is not None and warn is not None:
        def cast_warning(row: Row) -> Any:
            v = f(row)
            if v is None:
                return None
            if v.__class__ is str or v.__class__ is bytes:
                bad = truncated_number(v)
                if bad is not None:  # '12abc' AS SIGNED is 12, with MySQL's warning
                    warn(1292, f"Truncated incorrect {what} value: '{bad}'")
            return conv(v)

        return cast_warning

    def cast(row: Row) -> Any:
        v = f(row)
        return None if v is None else conv(v)

    return cast


# CAST targets that read a string as a number, and the type word of their warning 1292
_TRUNCATED = {**dict.fromkeys(_SIGNED | _UNSIGNED, "INTEGER"), _DT.DECIMAL: "DECIMAL",
              _DT.UDECIMAL: "DECIMAL", _DT.DOUBLE: "DOUBLE", _DT.FLOAT: "DOUBLE"}
