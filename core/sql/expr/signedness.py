"""UNSIGNED arithmetic: which integer expressions MySQL types BIGINT UNSIGNED, decided before
any row is read, and the range their ``+ - * DIV`` results must stay in.

Values carry no signedness (a Python int is just a number), so the type comes from the
expression: an UNSIGNED column, ``CAST(... AS UNSIGNED)``, an integer literal above
9223372036854775807, a bit operator.  As in mysqld (Item_func_additive_op / Item_func_mul /
Item_func_int_div), an integer ``+ - * DIV`` is UNSIGNED when either operand is, and its exact
result must then lie in [0, 18446744073709551615], else ERROR 1690 "BIGINT UNSIGNED value is
out of range"; ``u - 100`` with u = 3 is that error, not -97.  ``%`` and unary minus never
overflow this way (MOD keeps the dividend's signedness and shrinks it; ``-u`` is signed).
IF/CASE/COALESCE/IFNULL/NULLIF/GREATEST/LEAST are UNSIGNED only when every branch is (a mix of
signed and unsigned integers is typed DECIMAL by mysqld, so it cannot overflow BIGINT).
SUM and AVG of integers are DECIMAL: ``SUM(b) + 1`` is exact past 2^64 (the sum is still a
Python int, but its class here says DECIMAL, so it is not range-checked as a BIGINT).

The classes (`arith_class`): ``"u"`` BIGINT UNSIGNED, ``"s"`` signed BIGINT, ``"d"`` exact
DECIMAL, ``"f"`` DOUBLE, None when not known before the values (a string, a parameter, a
subquery, a derived table's column): those keep the value-based rules of
`core.sql.types.arith` (an operand above BIGINT's range counts as unsigned).

Compile time decides everything; per row, an UNSIGNED or DECIMAL-typed sum/difference/product
costs the same range comparison a signed one does (`bounded_arith`).  Signed expressions
are left to the existing closures of `core.sql.expr.arith`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from core.catalog.coltypes import INT_KINDS, SqlType
from core.errors import DataError
from core.sql.expr.compiler import _as_fn, _column_index, _Compiler, _Const, _templates
from core.sql.expr.scope import RowFn
from core.sql.types import INT64_MAX, INT64_MIN, UINT64_MAX, intdiv

UNSIGNED, SIGNED, DECIMAL, DOUBLE = "u", "s", "d", "f"
BIGINT_UNSIGNED = SqlType("BIGINT", unsigned=True)  # a derived table's UNSIGNED column
_INTS = (UNSIGNED, SIGNED)
_DEC_MAX = 10 ** 65 - 1  # DECIMAL's 65 digits
# class -> (lowest, highest, the type ERROR 1690 names)
_RANGES = {UNSIGNED: (0, UINT64_MAX, "BIGINT UNSIGNED"),
           SIGNED: (INT64_MIN, INT64_MAX, "BIGINT"),
           DECIMAL: (-_DEC_MAX, _DEC_MAX, "DECIMAL")}

_DT = exp.DataType.Type
_CAST_CLASSES = {
    **dict.fromkeys((_DT.UBIGINT, _DT.UINT, _DT.USMALLINT, _DT.UTINYINT, _DT.UMEDIUMINT),
                    UNSIGNED),
    **dict.fromkeys((_DT.BIGINT, _DT.INT, _DT.SMALLINT, _DT.TINYINT, _DT.MEDIUMINT), SIGNED),
    _DT.DECIMAL: DECIMAL, _DT.UDECIMAL: DECIMAL, _DT.DOUBLE: DOUBLE, _DT.FLOAT: DOUBLE,
}
_BITS = (exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor, exp.BitwiseNot,
         exp.BitwiseLeftShift, exp.BitwiseRightShift)
_SAME_AS_ARG = (exp.Abs, exp.Floor, exp.Ceil, exp.Round, exp.Trunc, exp.Min, exp.Max,
                exp.AnyValue)


def out_of_range(kind: str, text: str | Callable[[], str]) -> DataError:
    """ERROR 1690 (22003) "<kind> value is out of range in '<text>'"."""
    t = text() if callable(text) else text
    return DataError(f"{kind} value is out of range in '{t}'", errno=1690, sqlstate="22003")


# --- the static class of an expression -----------------------------------------------------------


def arith_class(c: _Compiler, node: exp.Expression) -> str | None:
    """The class of `node`'s values (see the module docstring): "u", "s", "d", "f" or None."""
    cache = c.__dict__.setdefault("_arith_classes", {})
    hit = cache.get(id(node))
    if hit is not None:
        return hit[1]
    k = _class(c, node)
    cache[id(node)] = (node, k)  # the node held, so that its id is not reused meanwhile
    return k


def _class(c: _Compiler, node: exp.Expression) -> str | None:
    while isinstance(node, (exp.Paren, exp.Alias)):
        node = node.this
    if isinstance(node, exp.Literal):
        return _literal_class(node)
    if isinstance(node, exp.HexString):  # in arithmetic, the unsigned integer of its bytes
        return UNSIGNED
    if isinstance(node, exp.Column):
        return _column_class(c, node)
    if isinstance(node, exp.Placeholder):
        # a parameter stands for a literal of its value: with an UNSIGNED operand it is
        # checked as UNSIGNED when it is an integer, else its value decides (`_slow`)
        return SIGNED
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        return _CAST_CLASSES.get(to.this) if isinstance(to, exp.DataType) else None
    if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
        if any(isinstance(_bare(x), exp.Interval) for x in (node.this, node.expression)):
            return None
        return _combine(arith_class(c, node.this), arith_class(c, node.expression))
    if isinstance(node, exp.IntDiv):
        a, b = arith_class(c, node.this), arith_class(c, node.expression)
        if a is None or b is None or any(
                isinstance(_bare(x), exp.Placeholder) for x in (node.this, node.expression)):
            return None  # a parameter above BIGINT would be unsigned: its value decides
        return UNSIGNED if UNSIGNED in (a, b) else SIGNED
    if isinstance(node, exp.Mod):
        a, b = arith_class(c, node.this), arith_class(c, node.expression)
        k = _combine(a, b)
        return (UNSIGNED if a == UNSIGNED else SIGNED) if k in _INTS else k
    if isinstance(node, exp.Div):
        k = _combine(arith_class(c, node.this), arith_class(c, node.expression))
        return k if k in (None, DOUBLE) else DECIMAL
    if isinstance(node, exp.Neg):
        inner = _bare(node.this)
        k = arith_class(c, inner)
        if k in _INTS:
            if isinstance(inner, exp.Literal) and int(inner.this) > INT64_MAX + 1:
                return DECIMAL  # -18446744073709551615 is a DECIMAL literal
            return SIGNED
        return k
    if isinstance(node, _BITS):
        return UNSIGNED
    if isinstance(node, (exp.Sum, exp.Avg)):
        k = arith_class(c, _agg_arg(node))
        return DECIMAL if k in (UNSIGNED, SIGNED, DECIMAL) else k
    if isinstance(node, exp.Count):
        return SIGNED
    if isinstance(node, _SAME_AS_ARG):
        return arith_class(c, _agg_arg(node))
    if isinstance(node, exp.If):
        return _branches(c, [node.args.get("true"), node.args.get("false")])
    if isinstance(node, (exp.Coalesce, exp.Greatest, exp.Least)):
        return _branches(c, [node.this, *node.expressions])
    if isinstance(node, exp.Case):
        return _branches(c, [i.args.get("true") for i in node.args.get("ifs") or []] +
                         [node.args.get("default")])
    if isinstance(node, exp.Nullif):
        return arith_class(c, node.this)
    return None


def _bare(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _agg_arg(node: exp.Expression) -> exp.Expression | None:
    arg = node.this
    if isinstance(arg, exp.Distinct):
        arg = arg.expressions[0] if len(arg.expressions) == 1 else None
    return arg


def _literal_class(node: exp.Literal) -> str | None:
    if node.is_string:
        return None
    t = node.this
    if "e" in t or "E" in t:
        return DOUBLE
    if "." in t or not t.isdigit():
        return DECIMAL
    v = int(t)
    if v <= INT64_MAX:
        return SIGNED
    return UNSIGNED if v <= UINT64_MAX else DECIMAL


def _column_class(c: _Compiler, node: exp.Column) -> str | None:
    column_type = getattr(c.scope, "column_type", None)
    if column_type is None or isinstance(node.this, exp.Star):
        return None
    try:
        t = column_type(node.table or None, node.name)
    except Exception:  # noqa: BLE001 - typing is best effort: the values decide then
        return None
    kind = getattr(t, "kind", None)
    if kind in INT_KINDS:
        return UNSIGNED if t.unsigned else SIGNED
    if kind == "DECIMAL":
        return DECIMAL
    if kind in ("FLOAT", "DOUBLE"):
        return DOUBLE
    return None


def _combine(a: str | None, b: str | None) -> str | None:
    """The class of ``a + b``, ``a - b``, ``a * b``."""
    if a is None or b is None:
        return None
    if a == DOUBLE or b == DOUBLE:
        return DOUBLE
    if a == DECIMAL or b == DECIMAL:
        return DECIMAL
    return UNSIGNED if UNSIGNED in (a, b) else SIGNED


def _branches(c: _Compiler, parts: list[exp.Expression | None]) -> str | None:
    """The class of IF/CASE/COALESCE/...: NULL branches do not count; UNSIGNED only when every
    other branch is.  Signed and unsigned integers together (mysqld's Item::aggregate_type)
    are a signed BIGINT when every unsigned one is narrower (an INT UNSIGNED column), else
    DECIMAL (BIGINT and BIGINT UNSIGNED widen to DECIMAL(20))."""
    kinds = set()
    wide_unsigned = False
    for p in parts:
        if p is None or isinstance(_bare(p), exp.Null):
            continue
        k = arith_class(c, p)
        if k is None:
            return None
        kinds.add(k)
        if k == UNSIGNED and not _narrow_column(c, p):
            wide_unsigned = True
    if not kinds:
        return None
    if DOUBLE in kinds:
        return DOUBLE
    if DECIMAL in kinds:
        return DECIMAL
    if kinds == {UNSIGNED, SIGNED}:
        return DECIMAL if wide_unsigned else SIGNED
    return kinds.pop()


def _narrow_column(c: _Compiler, node: exp.Expression) -> bool:
    """A column of an integer type narrower than BIGINT (INT UNSIGNED, ...)."""
    node = _bare(node)
    if not isinstance(node, exp.Column):
        return False
    column_type = getattr(c.scope, "column_type", None)
    try:
        t = column_type(node.table or None, node.name) if column_type is not None else None
    except Exception:  # noqa: BLE001 - typing is best effort
        return False
    return getattr(t, "kind", "BIGINT") in INT_KINDS and t.kind != "BIGINT"


# --- the closures --------------------------------------------------------------------------------

# ``expr op <int constant>`` kept in [lo, hi] by the fast path, else `slow` (which raises
# or widens): BIGINT's range for signed arithmetic (core.sql.expr.arith), UNSIGNED's here
BOUNDED_CONST = _templates("""
def make(fa, k, lo, hi, slow, text):
    def arith_bounded_const(row):
        a = {GET}
        if a.__class__ is int:
            r = a {OP} k
            if lo <= r <= hi:
                return r
        if a is None:
            return None
        return slow(a, k, text)
    return arith_bounded_const
""", {"add": "+", "sub": "-", "mul": "*"})

_BOUNDED = _templates("""
def make(fa, fb, lo, hi, slow, text):
    def arith_bounded(row):
        a = {GET}
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if a.__class__ is int and b.__class__ is int:
            r = a {OP} b
            if lo <= r <= hi:
                return r
        return slow(a, b, text)
    return arith_bounded
""", {"add": "+", "sub": "-", "mul": "*"})

_PY_OPS: dict[str, Callable[[int, int], int]] = {
    "add": int.__add__, "sub": int.__sub__, "mul": int.__mul__}


def _slow(name: str, generic: Callable[..., Any], cls: str) -> Callable[..., Any]:
    """Past the fast path: two ints out of the class's range are ERROR 1690; anything else
    (a DECIMAL or DOUBLE value) is computed by `generic` (`core.sql.types.add`, ...)."""
    lo, hi, kind = _RANGES[cls]
    pyop = _PY_OPS[name]

    def slow(a: Any, b: Any, text: Any) -> Any:
        if a.__class__ is int and b.__class__ is int:
            r = pyop(a, b)
            if lo <= r <= hi:
                return r
            raise out_of_range(kind, text)
        return generic(a, b, text)

    return slow


def checked_op(c: _Compiler, node: exp.Expression, name: str,
               generic: Callable[..., Any]) -> Callable[..., Any]:
    """`generic` (``fn(a, b, text)`` for `name` "add", "sub" or "mul"), or, when `node` is
    UNSIGNED or DECIMAL-typed, the same with that class's range (for callers that combine
    values themselves, such as the exact-division compiler)."""
    cls = arith_class(c, node)
    if cls != UNSIGNED and cls != DECIMAL:
        return generic
    return _slow(name, generic, cls)


def bounded_arith(c: _Compiler, node: exp.Expression, name: str, ra: RowFn | _Const,
                  rb: RowFn | _Const, generic: Callable[..., Any],
                  text: Callable[[], str]) -> RowFn | None:
    """The closure of ``ra <name> rb`` (compiled operands) when `node` is UNSIGNED or a
    DECIMAL that may hold integers beyond BIGINT (SUM), else None: signed BIGINT arithmetic
    keeps `core.sql.expr.arith`'s closures."""
    cls = arith_class(c, node)
    if cls != UNSIGNED and cls != DECIMAL:
        return None
    lo, hi, _kind = _RANGES[cls]
    slow = _slow(name, generic, cls)
    if type(rb) is _Const and type(ra) is not _Const and type(rb.value) is int:
        i = _column_index(ra)
        return BOUNDED_CONST[name, i is not None](i if i is not None else ra, rb.value, lo,
                                                   hi, slow, text)
    fa, fb = _as_fn(ra), _as_fn(rb)
    return _BOUNDED[name, False](fa, fb, lo, hi, slow, text)


def checked_intdiv(c: _Compiler, node: exp.Expression) -> Callable[..., Any]:
    """``a DIV b`` with its result checked against the BIGINT or BIGINT UNSIGNED range its
    class says (``u DIV -1`` with u = 5 is ERROR 1690; ``9223372036854775807 DIV 0.5`` too,
    since the quotient of a DECIMAL is converted to the integer type); `intdiv` alone when the
    class is not known."""
    cls = arith_class(c, node)
    if cls not in _INTS:
        return intdiv
    lo, hi, kind = _RANGES[cls]

    def checked(a: Any, b: Any, text: Any = "?") -> Any:
        r = intdiv(a, b, text)
        if r is None or lo <= r <= hi:
            return r
        raise out_of_range(kind, text)

    return checked



# --- through derived tables, views and UNION -----------------------------------------------------


def unsigned_outputs(scope: Any, ctx: Any, exprs: list[exp.Expression]) -> list[bool]:
    """Which select-list expressions are UNSIGNED integers, for a derived table, a view or a
    UNION built on the query (`core.sql.plan.select.Planned.unsigned`)."""
    try:
        c = _Compiler(scope, ctx)
        return [arith_class(c, e) == UNSIGNED for e in exprs]
    except Exception:  # noqa: BLE001 - typing is best effort: the values decide then
        return []


def all_unsigned(parts: list[list[bool]], width: int) -> list[bool]:
    """A UNION's columns: UNSIGNED only where every part's is (a signed part makes the
    column signed or DECIMAL)."""
    if any(len(p) != width for p in parts):
        return []
    return [all(p[j] for p in parts) for j in range(width)]
