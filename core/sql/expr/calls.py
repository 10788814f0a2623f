"""Function calls: sqlglot's typed function nodes and ``exp.Anonymous`` mapped onto the registry
of `core.sql.functions`, with MySQL's argument-count errors, NULL strictness, constant
folding, and the numeric and packet-size failures turned into MySQL's errors.  This module
also handles every function node that has no handler of its own (``_HANDLERS[exp.Func]``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import DecimalException
from typing import Any

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL

from core.errors import DataError
from core.sql import functions as F
from core.sql.expr.arith import _date_arith, _interval_of
from core.sql.expr.compiler import _HANDLERS, _as_fn, _Compiler, _Const, _handles
from core.sql.expr.scope import EvalContext, Row, RowFn
from core.sql.limits import PacketTooLarge
from core.sql.types import UnsupportedError, to_date

# sqlglot node class -> (registry name, argument keys in call order; "*key" splats a list)
_FUNC_ARGS: dict[type, tuple[str, tuple[str, ...]]] = {}


def _map(name: str, args: tuple[str, ...], *classes: str) -> None:
    for cname in classes:
        cls = getattr(exp, cname, None)
        if cls is not None:
            _FUNC_ARGS[cls] = (name, args)


_ONE = ("this",)
for _fname, _cname in (
    ("ABS", "Abs"), ("CEIL", "Ceil"), ("FLOOR", "Floor"), ("SQRT", "Sqrt"), ("EXP", "Exp"),
    ("LN", "Ln"), ("SIGN", "Sign"), ("LOWER", "Lower"), ("UPPER", "Upper"),
    ("REVERSE", "Reverse"), ("SPACE", "Space"), ("ASCII", "Ascii"), ("HEX", "Hex"),
    ("UNHEX", "Unhex"), ("MD5", "MD5"), ("SHA1", "SHA"), ("TO_BASE64", "ToBase64"),
    ("FROM_BASE64", "FromBase64"), ("BIT_LENGTH", "BitLength"), ("DATE", "TsOrDsToDate"),
    ("TIMESTAMP", "TsOrDsToTimestamp"), ("TIME", "Time"), ("YEAR", "Year"),
    ("MONTH", "Month"), ("DAY", "Day"), ("DAYOFMONTH", "DayOfMonth"), ("HOUR", "Hour"),
    ("MINUTE", "Minute"), ("SECOND", "Second"), ("DAYOFWEEK", "DayOfWeek"),
    ("DAYOFYEAR", "DayOfYear"), ("QUARTER", "Quarter"), ("DAYNAME", "Dayname"),
    ("MONTHNAME", "Monthname"), ("WEEKOFYEAR", "WeekOfYear"), ("LAST_DAY", "LastDay"),
    ("SIN", "Sin"), ("COS", "Cos"), ("TAN", "Tan"), ("COT", "Cot"), ("ASIN", "Asin"),
    ("ACOS", "Acos"), ("DEGREES", "Degrees"), ("RADIANS", "Radians"),
):
    _map(_fname, _ONE, _cname)
_map("ROUND", ("this", "decimals"), "Round")
_map("TRUNCATE", ("this", "decimals"), "Trunc")
_map("POW", ("this", "expression"), "Pow")
_map("LOG", ("this", "expression"), "Log")
_map("ATAN", ("this", "expression"), "Atan")
_map("ATAN2", ("this", "expression"), "Atan2")
_map("PI", (), "Pi")
_map("RAND", ("this",), "Rand")
_map("GREATEST", ("this", "*expressions"), "Greatest")
_map("LEAST", ("this", "*expressions"), "Least")
_map("CONCAT", ("*expressions",), "Concat")
_map("CONCAT_WS", ("*expressions",), "ConcatWs")
_map("SUBSTRING", ("this", "start", "length"), "Substring")
_map("LEFT", ("this", "expression"), "Left")
_map("RIGHT", ("this", "expression"), "Right")
_map("REPLACE", ("this", "expression", "replacement"), "Replace")
_map("REPEAT", ("this", "times"), "Repeat")
_map("LOCATE", ("substr", "this", "position"), "StrPosition")
_map("SHA2", ("this", "length"), "SHA2")
_map("FORMAT", ("this", "format", "culture"), "NumberToStr")
_map("SUBSTRING_INDEX", ("this", "delimiter", "count"), "SubstringIndex")
_map("ELT", ("this", "*expressions"), "Elt")
_map("CHAR", ("*expressions",), "Chr")
_map("INSERT", ("this", "start", "length", "expression"), "Stuff")
_map("NOW", ("this",), "CurrentTimestamp", "Localtime", "Localtimestamp")
_map("CURDATE", (), "CurrentDate")
_map("CURTIME", ("this",), "CurrentTime")
_map("UTC_TIMESTAMP", ("this",), "UtcTimestamp")
_map("UTC_DATE", (), "UtcDate")
_map("UTC_TIME", ("this",), "UtcTime")
_map("TIMESTAMP", ("this", "zone"), "Timestamp")
_map("WEEK", ("this", "mode"), "Week")
_map("DATEDIFF", ("this", "expression"), "DateDiff")
_map("MAKETIME", ("hour", "min", "sec"), "TimeFromParts")
_map("DATABASE", ("this",), "CurrentSchema")
_map("VERSION", (), "CurrentVersion")
_map("CURRENT_USER", (), "CurrentUser")
_map("UUID", (), "Uuid")
_map("REGEXP_REPLACE", ("this", "expression", "replacement", "position", "occurrence",
                        "modifiers"), "RegexpReplace")
_map("REGEXP_SUBSTR", ("this", "expression", "position", "occurrence", "parameters"),
     "RegexpSubstr")
_map("REGEXP_INSTR", ("this", "expression", "position", "occurrence", "option", "parameters"),
     "RegexpInstr")


def _typed_args(node: exp.Expression, keys: tuple[str, ...]) -> list[exp.Expression]:
    out: list[exp.Expression | None] = []
    for k in keys:
        if k.startswith("*"):
            out.extend(node.args.get(k[1:]) or [])
        else:
            out.append(node.args.get(k))
    while out and out[-1] is None:
        out.pop()
    return [a if a is not None else exp.Null() for a in out]


def _call(c: _Compiler, fdef: F.FunctionDef, args: Sequence[exp.Expression | _Const],
          node: exp.Expression, shown: str | None = None) -> RowFn | _Const:
    """Build the closure calling `fdef` on compiled `args` (nodes, or _Const for arguments
    the compiler made up, such as an INTERVAL's unit)."""
    fdef.check_arity(len(args), shown)
    compiled = [a if type(a) is _Const else c.sub(a) for a in args]  # type: ignore[arg-type]
    ctx = c.ctx
    if fdef.factory:
        c.volatile()
        return fdef.impl(ctx, [_as_fn(x) for x in compiled])
    if fdef.context or fdef.volatile:
        c.volatile()
    if not compiled and not fdef.context and not fdef.volatile:
        return _Const(fdef.impl())
    fns = [_as_fn(x) for x in compiled]
    impl = fdef.impl
    if fdef.context:
        base = impl

        def impl(*a: Any) -> Any:
            return base(ctx, *a)

    text = node.sql(dialect="mysql")
    strict = fdef.strict
    n = len(fns)
    if n == 0:
        def call0(row: Row) -> Any:
            try:
                return impl()
            except F.OutOfRange as e:
                raise _range(e, text) from None
            except PacketTooLarge as e:
                return _packet_overflow(ctx, e)
            except _NUMERIC_FAILURES as e:
                raise _numeric_failure(e, text) from None

        return call0
    if n == 1 and strict:
        f0 = fns[0]

        def call1(row: Row) -> Any:
            a = f0(row)
            if a is None:
                return None
            try:
                return impl(a)
            except F.OutOfRange as e:
                raise _range(e, text) from None
            except PacketTooLarge as e:
                return _packet_overflow(ctx, e)
            except _NUMERIC_FAILURES as e:
                raise _numeric_failure(e, text) from None

        return call1
    if n == 2 and strict:
        f0, f1 = fns

        def call2(row: Row) -> Any:
            a = f0(row)
            if a is None:
                return None
            b = f1(row)
            if b is None:
                return None
            try:
                return impl(a, b)
            except F.OutOfRange as e:
                raise _range(e, text) from None
            except PacketTooLarge as e:
                return _packet_overflow(ctx, e)
            except _NUMERIC_FAILURES as e:
                raise _numeric_failure(e, text) from None

        return call2
    fs = tuple(fns)

    def calln(row: Row) -> Any:
        vals = [f(row) for f in fs]
        if strict:
            for v in vals:
                if v is None:
                    return None
        try:
            return impl(*vals)
        except F.OutOfRange as e:
            raise _range(e, text) from None
        except PacketTooLarge as e:
            return _packet_overflow(ctx, e)
        except _NUMERIC_FAILURES as e:
            raise _numeric_failure(e, text) from None

    return calln


# What Python's number types raise where mysqld reports ERROR 1690 instead: a float past
# DOUBLE's range, a Decimal operation past the context, int() of 4300+ digits.
_NUMERIC_FAILURES = (OverflowError, DecimalException, ValueError)


def _numeric_failure(e: Exception, text: str) -> DataError:
    kind = "DECIMAL" if isinstance(e, DecimalException) else (
        "DOUBLE" if isinstance(e, OverflowError) else "BIGINT")
    return DataError(f"{kind} value is out of range in '{text}'", errno=1690,
                     sqlstate="22003")


def _packet_overflow(ctx: EvalContext, e: PacketTooLarge) -> None:
    """mysqld's answer to a string result over max_allowed_packet: NULL and warning 1301."""
    code, message = e.warning()
    ctx.warn(code, message)
    return None


def _range(e: F.OutOfRange, text: str) -> DataError:
    return DataError(f"{e.kind} value is out of range in '{text}'", errno=1690,
                     sqlstate="22003")


def _typed_function(c: _Compiler, node: exp.Func) -> RowFn | _Const:
    spec = _FUNC_ARGS.get(type(node))
    if spec is None:
        for cls in type(node).__mro__[1:]:
            spec = _FUNC_ARGS.get(cls)
            if spec is not None:
                break
    if spec is None:
        name = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__
        raise UnsupportedError(f"This version of KintsugiDB doesn't yet support "
                               f"'FUNCTION {name}'")
    name, keys = spec
    return _call(c, F.FUNCTIONS[name], _typed_args(node, keys), node)


# The handler of the function nodes without one of their own (see `_find_handler`).
_HANDLERS[exp.Func] = _typed_function


@_handles(exp.Anonymous)
def _anonymous(c: _Compiler, node: exp.Anonymous) -> RowFn | _Const:
    shown = str(node.this)
    name = shown.upper()
    args = list(node.expressions)
    if name in ("ADDDATE", "SUBDATE", "DATE_ADD", "DATE_SUB") and len(args) == 2:
        iv = _interval_of(args[1])
        if iv is not None:
            sign = 1 if name in ("ADDDATE", "DATE_ADD") else -1
            return _date_arith(c, args[0], iv, sign)
    if name in ("TIMESTAMPDIFF", "TIMESTAMPADD", "EXTRACT") and args:
        unit = args[0]
        if isinstance(unit, (exp.Column, exp.Var)):
            return _call(c, F.lookup(name), [_Const(unit.name)] + args[1:], node, shown)
    fdef = F.lookup(name, getattr(c.ctx, "current_db", None), shown)
    return _call(c, fdef, args, node, shown)


@_handles(exp.Length)
def _length(c: _Compiler, node: exp.Length) -> RowFn | _Const:
    name = "LENGTH" if node.args.get("binary") else "CHAR_LENGTH"
    return _call(c, F.FUNCTIONS[name], [node.this], node)


@_handles(exp.Trim)
def _trim(c: _Compiler, node: exp.Trim) -> RowFn | _Const:
    pos = (node.args.get("position") or "BOTH").upper()
    rem = node.args.get("expression")
    if rem is None:
        name = {"LEADING": "LTRIM", "TRAILING": "RTRIM"}.get(pos, "TRIM")
        return _call(c, F.FUNCTIONS[name], [node.this], node)
    name = {"LEADING": "TRIM_LEADING", "TRAILING": "TRIM_TRAILING"}.get(pos, "TRIM")
    return _call(c, F.FUNCTIONS[name], [node.this, rem], node)


@_handles(exp.Pad)
def _pad(c: _Compiler, node: exp.Pad) -> RowFn | _Const:
    name = "LPAD" if node.args.get("is_left") else "RPAD"
    return _call(c, F.FUNCTIONS[name], _typed_args(node, ("this", "expression", "fill_pattern")),
                 node)


@_handles(exp.DateAdd, exp.DateSub, exp.TimestampAdd)
def _date_add(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    unit = node.args.get("unit")
    unit_name = F.check_unit(unit.name if unit is not None else "DAY")
    name = "DATE_SUB" if isinstance(node, exp.DateSub) else "DATE_ADD"
    return _call(c, F.FUNCTIONS[name], [node.this, node.expression, _Const(unit_name)], node)


@_handles(exp.TimestampDiff)
def _timestampdiff(c: _Compiler, node: exp.TimestampDiff) -> RowFn | _Const:
    unit = node.args.get("unit")
    unit_name = F.check_unit(unit.name if unit is not None else "DAY")
    # sqlglot stores TIMESTAMPDIFF(unit, a, b) as this=b, expression=a
    return _call(c, F.FUNCTIONS["TIMESTAMPDIFF"],
                 [_Const(unit_name), node.expression, node.this], node)


@_handles(exp.DateDiff)
def _datediff(c: _Compiler, node: exp.DateDiff) -> RowFn | _Const:
    other = node.expression
    lit = other.this if isinstance(other, exp.TsOrDsToDate) else other
    if isinstance(lit, exp.Literal) and lit.is_string and lit.this == "0000-01-01":
        # TO_DAYS(x) arrives as DATEDIFF(x, '0000-01-01') + 1; year 0 is not a Python date
        fx = c.fn(node.this)

        def days_since_year_0(row: Row) -> Any:
            d = to_date(fx(row))
            return None if d is None else d.toordinal() + 364

        return days_since_year_0
    return _call(c, F.FUNCTIONS["DATEDIFF"], [node.this, other], node)


@_handles(exp.Extract)
def _extract(c: _Compiler, node: exp.Extract) -> RowFn | _Const:
    return _call(c, F.FUNCTIONS["EXTRACT"], [_Const(node.this.name), node.expression], node)


# sqlglot's strftime-style tokens back to MySQL's.  Token by token: sqlglot's own
# format_time() leaves '%I:%M:%S' untouched at the end of a string (it is a prefix of the
# '%r' expansion), so it cannot be used for the reverse direction.
_FROM_SQLGLOT_TOKENS = {k: v for k, v in MySQL.INVERSE_TIME_MAPPING.items()
                        if re.fullmatch(r"%-?[A-Za-z]", k)}
_TOKEN_RE = re.compile(r"%-?.", re.DOTALL)


def mysql_format_from_sqlglot(fmt: str) -> str:
    """Undo sqlglot's conversion of a MySQL DATE_FORMAT/STR_TO_DATE format."""
    return _TOKEN_RE.sub(lambda m: _FROM_SQLGLOT_TOKENS.get(m.group(0), m.group(0)), fmt)


def _mysql_format(fmt: exp.Expression | None) -> exp.Expression | None:
    """sqlglot turns a literal MySQL format ('%i' minutes) into its own strftime-style one
    ('%M'); turn it back so our MySQL implementation reads it."""
    if isinstance(fmt, exp.Literal) and fmt.is_string:
        return exp.Literal.string(mysql_format_from_sqlglot(fmt.this))
    return fmt


@_handles(exp.TimeToStr)
def _time_to_str(c: _Compiler, node: exp.TimeToStr) -> RowFn | _Const:
    return _call(c, F.FUNCTIONS["DATE_FORMAT"],
                 [node.this, _mysql_format(node.args.get("format")) or exp.Null()], node)


@_handles(exp.StrToDate, exp.StrToTime)
def _str_to_date(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    return _call(c, F.FUNCTIONS["STR_TO_DATE"],
                 [node.this, _mysql_format(node.args.get("format")) or exp.Null()], node)


@_handles(exp.UnixToTime)
def _unix_to_time(c: _Compiler, node: exp.UnixToTime) -> RowFn | _Const:
    fmt = _mysql_format(node.args.get("format"))
    args = [node.this] + ([fmt] if fmt is not None else [])
    return _call(c, F.FUNCTIONS["FROM_UNIXTIME"], args, node)


@_handles(exp.Window)
def _window(c: _Compiler, node: exp.Window) -> RowFn:
    """A window function reaches the compiler only where MySQL refuses it (WHERE, GROUP BY,
    HAVING, ON, inside another window's arguments): the select list and ORDER BY map each
    one to the column core.sql.plan.window computed for it."""
    from core.errors import ProgrammingError

    fn = node.this
    name = fn.sql(dialect="mysql").split("(")[0].lower() if fn is not None else "window"
    raise ProgrammingError(f"You cannot use the window function '{name}' in this context.'",
                           errno=3593, sqlstate="HY000")
