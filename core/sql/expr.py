"""Compile sqlglot expressions into Python closures over rows, with MySQL semantics.

``compile_expr(node, scope, ctx)`` returns ``fn(row)``; a row is any sequence of values and
every column reference is resolved to a position *at compile time*, so evaluation does no name
lookups, no node dispatch and (on the common paths) no isinstance chains.  A WHERE over a
million rows calls one small closure per row.

Semantics follow MySQL where users can see them:

* NULL propagates through operators and functions; AND/OR/NOT/XOR use three-valued logic;
  comparisons with NULL are NULL, ``<=>`` is NULL-safe.  Predicates return 1, 0 or None
  (never Python bools, so ``SELECT a = 1`` shows 1); WHERE treating NULL as false is the
  caller's job (`compile_predicate` does it).
* Exact literals: ``1`` is int, ``1.5`` is Decimal, ``1e3`` is float (MySQL's DECIMAL vs
  DOUBLE literals).  Arithmetic types and errors come from `core.sql.types`.
* Strings compare binary (case-sensitive, NO PAD), see `core.sql.types`.

How the planner plugs in
------------------------
* `Scope.lookup_expr(node)` is asked FIRST for every node.  Returning a position (int) or a
  ready closure replaces the node's compilation: that is how aggregates, GROUP BY
  expressions, select-list aliases and outer-query columns are wired in.  An aggregate that
  reaches the compiler unmapped is ERROR 1111 "Invalid use of group function".
* Subqueries go through ``ctx.compile_subquery(query, outer_scope)`` which must return
  ``fn(outer_row) -> iterable of rows``; IN/EXISTS/scalar/ANY/ALL subqueries all use it.
* Placeholders read ``ctx.params[i]`` at *evaluation* time (so a cached plan can run again
  with new parameters); ``i`` is ``node.meta["param_index"]`` when the parser set it
  (`core.sql.dialect` does, in textual order), else ``ctx.param_counter`` in compile order
  (reset it per statement if you rely on that).  Assign a new ``ctx.params`` object per
  execution rather than mutating it: ``col = ?`` converts the parameter once per object.
  NOW(), CURDATE(), DATABASE(), LAST_INSERT_ID() also read the context at evaluation time.
  Only truly constant sub-expressions are folded at compile time; a constant that fails
  (``9223372036854775807 + 1``) raises when evaluated, not when compiled.
"""

from __future__ import annotations

import operator
import random
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, DecimalException
from typing import Any

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL

from core.errors import DataError, Error, ProgrammingError
from core.sql import functions as F
from core.sql.limits import (
    MAX_DECIMAL_DIGITS,
    MAX_EXPR_DEPTH,
    PacketTooLarge,
    illegal_double,
    stack_overrun,
)
from core.sql.types import (
    INT64_MAX,
    INT64_MIN,
    UINT64_MAX,
    SqlType,
    UnsupportedError,
    _as_datetime,
    _compare_mixed,
    add,
    cast_binary,
    cast_char,
    cast_datetime,
    cast_decimal,
    cast_double,
    cast_signed,
    cast_time,
    cast_unsigned,
    compare,
    div,
    intdiv,
    mod,
    mul,
    neg,
    parse_temporal,
    sub,
    to_date,
    to_double,
    to_int,
    to_str,
    truth,
)

__all__ = [
    "AmbiguousColumnError",
    "BadFieldError",
    "EvalContext",
    "RowScope",
    "Scope",
    "compile_expr",
    "compile_predicate",
    "constant_value",
    "eval_const",
    "like_matcher",
]

Row = Sequence[Any]
RowFn = Callable[[Row], Any]


# --- errors --------------------------------------------------------------------------------------


class BadFieldError(ProgrammingError):
    """ERROR 1054 (42S22) Unknown column 'x' in 'field list'."""

    errno = 1054
    sqlstate = "42S22"


class AmbiguousColumnError(ProgrammingError):
    """ERROR 1052 (23000) Column 'x' in field list is ambiguous."""

    errno = 1052
    sqlstate = "23000"


def _err_subquery_rows() -> DataError:
    return DataError("Subquery returns more than 1 row", errno=1242, sqlstate="21000")


def _err_operand(n: int) -> DataError:
    return DataError(f"Operand should contain {n} column(s)", errno=1241, sqlstate="21000")


# --- scope and context ---------------------------------------------------------------------------


class Scope:
    """What the compiler asks about names.  Subclass it (or duck-type it)."""

    def resolve_column(self, table: str | None, name: str) -> int:
        """The row position of column `name` (optionally qualified by `table`).  Raise
        BadFieldError (1054) if unknown, AmbiguousColumnError (1052) if ambiguous."""
        raise BadFieldError(f"Unknown column '{name}' in 'field list'")

    def lookup_expr(self, node: exp.Expression) -> int | RowFn | None:
        """A position or closure for a whole sub-expression the planner has already
        computed (aggregates, GROUP BY expressions), or None.  Called first for every node."""
        return None


class RowScope(Scope):
    """A flat list of ``(table alias or None, column name)``: names are case-insensitive, an
    unqualified name matching two columns is ambiguous.  `exprs` maps sub-expressions
    (compared structurally, as sqlglot nodes are) to positions; `clause` names the clause in
    error messages (``'where clause'``, ``'order clause'``, ...)."""

    def __init__(self, columns: Iterable[tuple[str | None, str]], *,
                 exprs: dict[exp.Expression, int] | None = None, clause: str = "field list"):
        self.columns = [(t.lower() if t else None, n.lower()) for t, n in columns]
        self.exprs = exprs or {}
        self.clause = clause
        self._by_name: dict[str, list[int]] = {}
        for i, (_t, n) in enumerate(self.columns):
            self._by_name.setdefault(n, []).append(i)

    def resolve_column(self, table: str | None, name: str) -> int:
        hits = self._by_name.get(name.lower(), [])
        if table:
            t = table.lower()
            hits = [i for i in hits if self.columns[i][0] == t]
        full = f"{table}.{name}" if table else name
        if not hits:
            raise BadFieldError(f"Unknown column '{full}' in '{self.clause}'")
        if len(hits) > 1:
            raise AmbiguousColumnError(f"Column '{full}' in {self.clause} is ambiguous")
        return hits[0]

    def lookup_expr(self, node: exp.Expression) -> int | None:
        if not self.exprs:
            return None
        return self.exprs.get(node)


_DEFAULT_SYSVARS: dict[str, Any] = {
    "version": F.VERSION, "version_comment": "KintsugiDB", "autocommit": 1,
    "sql_mode": "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",
    "transaction_isolation": "REPEATABLE-READ", "tx_isolation": "REPEATABLE-READ",
    "character_set_client": "utf8mb4", "character_set_connection": "utf8mb4",
    "character_set_results": "utf8mb4", "character_set_server": "utf8mb4",
    "collation_connection": "utf8mb4_bin", "collation_server": "utf8mb4_bin",
    "time_zone": "SYSTEM", "system_time_zone": "UTC", "lower_case_table_names": 2,
    "max_allowed_packet": 67108864, "max_execution_time": 0,
    "tidb_mem_quota_query": 1 << 30, "auto_increment_increment": 1,
    "auto_increment_offset": 1, "div_precision_increment": 4, "group_concat_max_len": 1024,
    "max_error_count": 1024, "sql_select_limit": 18446744073709551615, "wait_timeout": 28800,
    "interactive_timeout": 28800, "net_write_timeout": 60, "license": "Apache-2.0",
    "have_ssl": "DISABLED", "tidb_version": F.VERSION, "innodb_lock_wait_timeout": 50,
    "performance_schema": 0, "query_cache_size": 0, "query_cache_type": "OFF",
    "init_connect": "", "storage_engine": "InnoDB", "default_storage_engine": "InnoDB",
}


class EvalContext:
    """Per-statement state the compiled closures read at evaluation time.

    The session updates `params`, `now`, `current_db`, `last_insert_id` before each
    statement; closures read them on every evaluation, so a cached compiled plan stays
    correct.  Any other attribute may be set freely (the planner keeps its own there).
    """

    def __init__(self, params: Sequence[Any] | None = None, now: datetime | None = None,
                 current_db: str | None = None,
                 compile_subquery: Callable[[exp.Expression, Any],
                                            Callable[[Row], Iterable[Row]]] | None = None,
                 **extra: Any):
        self.params: Sequence[Any] = params if params is not None else ()
        self.now: datetime = now if now is not None else datetime.now().replace(microsecond=0)
        self.current_db = current_db
        self.compile_subquery = compile_subquery
        self.last_insert_id = 0
        self.connection_id = 1
        self.version = F.VERSION
        self.user = "root@localhost"
        self.time_zone: tzinfo | None = None  # None: the system's local time
        self.rng = random.Random()
        self.warnings: list[tuple[str, int, str]] = []
        self.max_warnings = 1024
        self.user_variables: dict[str, Any] = {}
        self.system_variables: dict[str, Any] = dict(_DEFAULT_SYSVARS)
        self.param_counter = 0  # placeholders without meta["param_index"], in compile order
        for k, v in extra.items():
            setattr(self, k, v)

    def warn(self, code: int, message: str, level: str = "Warning") -> None:
        """Record a warning (SHOW WARNINGS); the session should reset `warnings` per
        statement."""
        if len(self.warnings) < self.max_warnings:
            self.warnings.append((level, code, message))


# --- entry points ---------------------------------------------------------------------------------


class _Const:
    """A compile-time constant (folded sub-expression)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_NO_CONST = F._NO_CONST


def _const_fn(v: Any) -> RowFn:
    def const(row: Row) -> Any:
        return v

    const.const_value = v  # type: ignore[attr-defined]
    return const


def constant_value(fn: RowFn, default: Any = None) -> Any:
    """The value of a compiled closure that is a compile-time constant, else `default`."""
    return getattr(fn, "const_value", default)


def compile_expr(node: exp.Expression, scope: Scope, ctx: EvalContext) -> RowFn:
    """Compile `node` into ``fn(row) -> value`` (see the module docstring)."""
    c = _Compiler(scope, ctx)
    return c.fn(node)


def compile_predicate(node: exp.Expression, scope: Scope, ctx: EvalContext) -> RowFn:
    """Like `compile_expr`, for WHERE/HAVING/ON: the result is truthy exactly when MySQL
    would keep the row (so ``WHERE name`` with name = 'abc' drops it: 'abc' is 0)."""
    c = _Compiler(scope, ctx)
    return c.truth_fn(node)


def eval_const(node: exp.Expression, ctx: EvalContext | None = None) -> Any:
    """Evaluate an expression without columns (LIMIT ?, DEFAULT values, SET x = ...)."""
    return compile_expr(node, Scope(), ctx or EvalContext())(())


# Hot closures are generated from templates so that the operator and the column access are
# inlined (``row[3] < c`` instead of ``pyop(getter(row), c)``): per-row cost is what matters
# for a WHERE over a million rows.  The templates are fixed strings; nothing user-supplied
# reaches exec.
_GETTERS = [operator.itemgetter(i) for i in range(512)]
_GETTER_INDEX = {id(g): i for i, g in enumerate(_GETTERS)}


def _getter(i: int) -> RowFn:
    return _GETTERS[i] if i < len(_GETTERS) else operator.itemgetter(i)


def _column_index(f: Any) -> int | None:
    return _GETTER_INDEX.get(id(f))


def _templates(src: str, ops: dict[str, str], **env: Any) -> dict[tuple[str, bool], Any]:
    """Instantiate `src` once per operator and per operand access (column/closure)."""
    out: dict[tuple[str, bool], Any] = {}
    for name, op in ops.items():
        for col in (True, False):
            code = src.replace("{OP}", op).replace(
                "{GET}", "row[fa]" if col else "fa(row)")
            ns: dict[str, Any] = dict(env)
            exec(code, ns)  # fixed template text, see above
            out[name, col] = ns["make"]
    return out


# --- the compiler ---------------------------------------------------------------------------------


class _Frame:
    __slots__ = ("n", "const", "volatile")

    def __init__(self) -> None:
        self.n = 0
        self.const = True
        self.volatile = False


_BOOLEAN_NODES: tuple[type, ...] = (
    exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ, exp.And, exp.Or,
    exp.Not, exp.Xor, exp.Is, exp.In, exp.Between, exp.Like, exp.RegexpLike, exp.Exists,
    exp.Boolean, exp.Null, exp.Escape,
)



class _Compiler:
    def __init__(self, scope: Scope, ctx: EvalContext):
        self.scope = scope
        self.ctx = ctx
        self.frames: list[_Frame] = []

    # -- plumbing -----------------------------------------------------------------------------

    def compile(self, node: exp.Expression) -> RowFn | _Const:
        if len(self.frames) >= MAX_EXPR_DEPTH:
            raise stack_overrun(len(self.frames) + 1)
        hit = self.scope.lookup_expr(node)
        if hit is not None:
            if isinstance(hit, int):
                return _getter(hit)
            return hit
        handler = _HANDLERS.get(type(node))
        if handler is None:
            handler = _find_handler(node)
        frame = _Frame()
        self.frames.append(frame)
        try:
            res = handler(self, node)
        finally:
            self.frames.pop()
        if type(res) is _Const:
            return res
        if frame.n and frame.const and not frame.volatile:
            warnings = self.ctx.warnings
            mark = len(warnings)
            try:
                value = res(())
            except Error:
                return res  # e.g. a constant overflow: raise it when (if) evaluated
            if len(warnings) != mark:
                # It warns (1301, ...): not folded, so that every execution of a cached plan
                # warns again; the warning of this trial run is dropped.
                del warnings[mark:]
                return res
            return _Const(value)
        return res

    def sub(self, node: exp.Expression | None) -> RowFn | _Const:
        """Compile a child, recording whether it was constant."""
        r = self.compile(node) if node is not None else _Const(None)
        if self.frames:
            f = self.frames[-1]
            f.n += 1
            if type(r) is not _Const:
                f.const = False
        return r

    def fn(self, node: exp.Expression | None) -> RowFn:
        return _as_fn(self.sub(node))

    def volatile(self) -> None:
        if self.frames:
            self.frames[-1].volatile = True

    def truth_fn(self, node: exp.Expression) -> RowFn:
        """A closure whose Python truthiness is MySQL's (strings by numeric value)."""
        r = self.sub(node)
        if type(r) is _Const:
            v = r.value
            return _const_fn(None if v is None else (1 if truth(v) else 0))
        if _is_boolean(node):
            return r
        return _truthy(r)

    def subquery(self, query: exp.Expression) -> Callable[[Row], Iterable[Row]]:
        self.volatile()
        compile_sub = getattr(self.ctx, "compile_subquery", None)
        if compile_sub is None:
            raise UnsupportedError("This version of KintsugiDB doesn't yet support "
                                   "'subqueries without a planner'")
        if isinstance(query, exp.Subquery):
            query = query.this
        return compile_sub(query, self.scope)


def _as_fn(r: RowFn | _Const) -> RowFn:
    return _const_fn(r.value) if type(r) is _Const else r


def _is_boolean(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, _BOOLEAN_NODES)


def _truthy(f: RowFn) -> RowFn:
    def truthy(row: Row) -> Any:
        v = f(row)
        t = type(v)
        if t is str or t is bytes:
            return 1 if to_double(v) != 0 else 0
        return v

    return truthy


_HANDLERS: dict[type, Callable[[_Compiler, Any], RowFn | _Const]] = {}


def _handles(*classes: type) -> Callable:
    def deco(fn: Callable) -> Callable:
        for c in classes:
            _HANDLERS[c] = fn
        return fn

    return deco


def _find_handler(node: exp.Expression) -> Callable[[_Compiler, Any], RowFn | _Const]:
    for cls in type(node).__mro__[1:]:
        h = _HANDLERS.get(cls)
        if h is not None and cls not in (exp.Func, exp.Expression, exp.Binary, exp.Condition):
            return h
    if isinstance(node, exp.AggFunc):
        return _agg_unmapped
    if isinstance(node, exp.Func):
        return _typed_function
    return _unsupported


def _unsupported(c: _Compiler, node: exp.Expression) -> RowFn:
    what = node.sql(dialect="mysql")[:60] if node else "?"
    raise UnsupportedError(f"This version of KintsugiDB doesn't yet support '{what}'")


def _agg_unmapped(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    if isinstance(node, exp.AnyValue):
        return c.compile(node.this)
    raise ProgrammingError("Invalid use of group function", errno=1111, sqlstate="HY000")


# --- leaves --------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[0-9]+\Z")
_INF = float("inf")


def literal_value(node: exp.Literal) -> Any:
    """A literal's value: strings as str, ``12`` int, ``1.5`` Decimal, ``1e3`` float.

    As mysqld: a number with more digits than DECIMAL's 65 is read as DOUBLE (Python's int()
    would refuse 4300+ digits anyway), and a DOUBLE beyond its range is ERROR 1367, never
    inf."""
    text = node.this
    if node.is_string:
        return text
    if "e" in text or "E" in text or sum(ch.isdigit() for ch in text.lstrip("0")) > \
            MAX_DECIMAL_DIGITS:
        try:
            v = float(text)
        except ValueError:
            raise ProgrammingError(f"Illegal number '{text[:64]}'", errno=1064) from None
        if v in (_INF, -_INF) or v != v:
            raise illegal_double(text)
        return v
    if _INT_RE.match(text):
        v = int(text)
        return v if v <= UINT64_MAX else Decimal(text)
    return Decimal(text)


@_handles(exp.Literal)
def _literal(c: _Compiler, node: exp.Literal) -> _Const:
    return _Const(literal_value(node))


@_handles(exp.Null)
def _null(c: _Compiler, node: exp.Null) -> _Const:
    return _Const(None)


@_handles(exp.Boolean)
def _boolean(c: _Compiler, node: exp.Boolean) -> _Const:
    return _Const(1 if node.this else 0)


@_handles(exp.HexString)
def _hex(c: _Compiler, node: exp.HexString) -> _Const:
    h = node.this
    return _Const(bytes.fromhex(h if len(h) % 2 == 0 else "0" + h))


@_handles(exp.BitString)
def _bits(c: _Compiler, node: exp.BitString) -> _Const:
    return _Const(int(node.this or "0", 2))


@_handles(exp.National)
def _national(c: _Compiler, node: exp.National) -> _Const:
    return _Const(node.this)


@_handles(exp.Paren, exp.Alias, exp.Collate)
def _passthrough(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    return c.compile(node.this)


@_handles(exp.Introducer)
def _introducer(c: _Compiler, node: exp.Introducer) -> RowFn | _Const:
    return c.compile(node.expression)


_PLAIN_PARAM = frozenset({int, str, Decimal, type(None), bytes, date, datetime, timedelta})


def _norm_param(v: Any) -> Any:
    """A DB-API parameter as a SQL value: bool as 1/0, time as TIME, aware datetimes as
    their naive wall time."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None) if v.tzinfo is not None else v
    if isinstance(v, (date, timedelta)):
        return v
    if isinstance(v, time):
        return timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                         microseconds=v.microsecond)
    if isinstance(v, (bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, float):
        if v - v != 0:  # inf or nan: no MySQL value, and never to be returned
            raise illegal_double(repr(v))
        return v
    if isinstance(v, (int, str, Decimal)):
        return v
    raise ProgrammingError(
        f"Python type {type(v).__name__} cannot be converted to a SQL value",
        errno=1210, sqlstate="HY000")


@_handles(exp.Placeholder)
def _placeholder(c: _Compiler, node: exp.Placeholder) -> RowFn:
    idx = node.meta.get("param_index") if node.meta else None
    ctx = c.ctx
    if idx is None:
        idx = ctx.param_counter
        ctx.param_counter = idx + 1
    params = ctx.params
    if params is not None and idx >= len(params):
        raise ProgrammingError(
            f"Incorrect arguments to mysqld_stmt_execute: no value for parameter {idx + 1}",
            errno=1210, sqlstate="HY000")

    def param(row: Row) -> Any:
        try:
            v = ctx.params[idx]
        except (IndexError, TypeError):
            raise ProgrammingError(
                f"Incorrect arguments to mysqld_stmt_execute: no value for parameter "
                f"{idx + 1}", errno=1210, sqlstate="HY000") from None
        if type(v) in _PLAIN_PARAM:
            return v
        return _norm_param(v)

    param.param_index = idx  # type: ignore[attr-defined]  # lets comparisons specialise
    return param


@_handles(exp.Column)
def _column(c: _Compiler, node: exp.Column) -> RowFn:
    if isinstance(node.this, exp.Star):
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{node.sql()}'",
            errno=1064, sqlstate="42000")
    pos = c.scope.resolve_column(node.table or None, node.name)
    return _getter(pos)


@_handles(exp.Var, exp.Identifier)
def _var(c: _Compiler, node: exp.Expression) -> RowFn:
    return _getter(c.scope.resolve_column(None, node.name))


@_handles(exp.Parameter)
def _user_variable(c: _Compiler, node: exp.Parameter) -> RowFn:
    """``@name``: reads ``ctx.user_variables`` (unset variables are NULL)."""
    name = node.name.lower()
    ctx = c.ctx
    c.volatile()
    return lambda row: getattr(ctx, "user_variables", {}).get(name)


@_handles(exp.SessionParameter)
def _system_variable(c: _Compiler, node: exp.SessionParameter) -> RowFn:
    """``@@[session.|global.]name``: ``ctx.system_variables``, else ERROR 1193."""
    name = node.name.lower()
    ctx = c.ctx
    if name not in getattr(ctx, "system_variables", _DEFAULT_SYSVARS):
        raise ProgrammingError(f"Unknown system variable '{name}'", errno=1193,
                               sqlstate="HY000")
    c.volatile()
    return lambda row: ctx.system_variables.get(name)


@_handles(exp.Tuple)
def _tuple(c: _Compiler, node: exp.Tuple) -> RowFn | _Const:
    """A row constructor as a tuple of values (used for row comparisons, row IN, and
    COUNT(DISTINCT a, b))."""
    fns = [c.fn(e) for e in node.expressions]
    return lambda row: tuple(f(row) for f in fns)


@_handles(exp.Star)
def _star(c: _Compiler, node: exp.Star) -> RowFn:
    raise ProgrammingError(
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        "MySQL server version for the right syntax to use near '*'", errno=1064,
        sqlstate="42000")


@_handles(exp.Interval)
def _interval_alone(c: _Compiler, node: exp.Interval) -> RowFn | _Const:
    if node.args.get("unit") is None:  # sqlglot's reading of INTERVAL 1 DAY + 'x': the 'x'
        return c.compile(node.this)
    raise ProgrammingError(
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        f"MySQL server version for the right syntax to use near '{node.sql(dialect='mysql')}'",
        errno=1064, sqlstate="42000")


# --- arithmetic ----------------------------------------------------------------------------------


def _paren_text(node: exp.Expression) -> Callable[[], str]:
    return lambda: f"({node.sql(dialect='mysql')})"


def _interval_of(node: exp.Expression) -> exp.Interval | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Interval) and node.args.get("unit") is not None:
        return node
    return None


def _date_arith(c: _Compiler, date_node: exp.Expression, iv: exp.Interval,
                sign: int) -> RowFn:
    unit = F.check_unit(iv.args["unit"].name)
    fd = c.fn(date_node)
    fa = c.fn(iv.this)
    date_add = F.date_add

    def date_plus_interval(row: Row) -> Any:
        return date_add(fd(row), fa(row), unit, sign)

    return date_plus_interval


_ARITH_CONST = _templates("""
def make(fa, k, slow, text):
    def arith_int_const(row):
        a = {GET}
        if a.__class__ is int:
            r = a {OP} k
            if MIN <= r <= MAX:
                return r
        if a is None:
            return None
        return slow(a, k, text)
    return arith_int_const
""", {"add": "+", "sub": "-", "mul": "*"}, MIN=INT64_MIN, MAX=INT64_MAX)


def _arith_const(ra: RowFn | _Const, rb: RowFn | _Const, op_name: str,
                 slow: Callable[..., Any], text: Callable[[], str]) -> RowFn | None:
    """``expr op <int constant>``: one closure per row instead of two."""
    if type(rb) is not _Const or type(ra) is _Const or type(rb.value) is not int:
        return None
    i = _column_index(ra)
    return _ARITH_CONST[op_name, i is not None](i if i is not None else ra, rb.value, slow,
                                                 text)


@_handles(exp.Add)
def _add(c: _Compiler, node: exp.Add) -> RowFn:
    iv = _interval_of(node.expression)
    if iv is not None:
        return _date_arith(c, node.this, iv, 1)
    iv = _interval_of(node.this)
    if iv is not None:
        return _date_arith(c, node.expression, iv, 1)
    ra, rb = c.sub(node.this), c.sub(node.expression)
    text = _paren_text(node)
    if type(ra) is _Const and type(rb) is not _Const:
        ra, rb = rb, ra
    special = _arith_const(ra, rb, "add", add, text)
    if special is not None:
        return special
    fa, fb = _as_fn(ra), _as_fn(rb)

    def plus(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if type(a) is int and type(b) is int:
            r = a + b
            if INT64_MIN <= r <= INT64_MAX:
                return r
        return add(a, b, text)

    return plus


@_handles(exp.Sub)
def _sub(c: _Compiler, node: exp.Sub) -> RowFn:
    iv = _interval_of(node.expression)
    if iv is not None:
        return _date_arith(c, node.this, iv, -1)
    ra, rb = c.sub(node.this), c.sub(node.expression)
    text = _paren_text(node)
    special = _arith_const(ra, rb, "sub", sub, text)
    if special is not None:
        return special
    fa, fb = _as_fn(ra), _as_fn(rb)

    def minus(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if type(a) is int and type(b) is int:
            r = a - b
            if INT64_MIN <= r <= INT64_MAX:
                return r
        return sub(a, b, text)

    return minus


@_handles(exp.Mul)
def _mul(c: _Compiler, node: exp.Mul) -> RowFn:
    ra, rb = c.sub(node.this), c.sub(node.expression)
    text = _paren_text(node)
    if type(ra) is _Const and type(rb) is not _Const:
        ra, rb = rb, ra
    special = _arith_const(ra, rb, "mul", mul, text)
    if special is not None:
        return special
    fa, fb = _as_fn(ra), _as_fn(rb)

    def times(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if type(a) is int and type(b) is int:
            r = a * b
            if INT64_MIN <= r <= INT64_MAX:
                return r
        return mul(a, b, text)

    return times


def _division(op: Callable[..., Any], node: exp.Expression, c: _Compiler) -> RowFn:
    fa, fb = c.fn(node.this), c.fn(node.expression)
    text = _paren_text(node)
    ctx = c.ctx

    def divide(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        r = op(a, b, text)
        if r is None:
            warn = getattr(ctx, "warn", None)
            if warn is not None:
                warn(1365, "Division by 0")
        return r

    return divide


@_handles(exp.Div)
def _div(c: _Compiler, node: exp.Div) -> RowFn:
    return _division(div, node, c)


@_handles(exp.IntDiv)
def _intdiv(c: _Compiler, node: exp.IntDiv) -> RowFn:
    return _division(intdiv, node, c)


@_handles(exp.Mod)
def _mod(c: _Compiler, node: exp.Mod) -> RowFn:
    fa, fb = c.fn(node.this), c.fn(node.expression)
    slow = _division(mod, node, c)

    def modulo(row: Row) -> Any:
        a = fa(row)
        b = fb(row)
        if type(a) is int and type(b) is int and a >= 0 and b > 0:
            return a % b
        return slow(row)

    return modulo


@_handles(exp.Neg)
def _neg(c: _Compiler, node: exp.Neg) -> RowFn | _Const:
    inner = c.sub(node.this)
    operand = node.this.sql(dialect="mysql")
    shown = f"-{operand}" if isinstance(node.this, exp.Paren) else f"-({operand})"

    def text() -> str:
        return shown

    if type(inner) is _Const:
        v = inner.value
        if type(v) is int and v == INT64_MAX + 1:
            return _Const(INT64_MIN)  # the literal -9223372036854775808
        if type(v) is int and v > INT64_MAX and isinstance(node.this, exp.Literal):
            return _Const(-Decimal(v))  # MySQL: a negated out-of-range literal is DECIMAL
        try:
            return _Const(neg(v, text))
        except Error:
            pass
    fa = _as_fn(inner)

    def negate(row: Row) -> Any:
        a = fa(row)
        if type(a) is int and INT64_MIN < a <= INT64_MAX:
            return -a
        return neg(a, text)

    return negate


def _u64(v: Any) -> int:
    n = to_int(v)
    if n < 0:
        return n & UINT64_MAX if n >= INT64_MIN else 0
    return n if n <= UINT64_MAX else UINT64_MAX


def _bitop(op: Callable[[int, int], int]) -> Callable[[_Compiler, exp.Expression], RowFn]:
    def handler(c: _Compiler, node: exp.Expression) -> RowFn:
        fa, fb = c.fn(node.this), c.fn(node.expression)

        def bit(row: Row) -> Any:
            a = fa(row)
            if a is None:
                return None
            b = fb(row)
            if b is None:
                return None
            return op(_u64(a), _u64(b)) & UINT64_MAX

        return bit

    return handler


_HANDLERS[exp.BitwiseAnd] = _bitop(operator.and_)
_HANDLERS[exp.BitwiseOr] = _bitop(operator.or_)
_HANDLERS[exp.BitwiseXor] = _bitop(operator.xor)
_HANDLERS[exp.BitwiseLeftShift] = _bitop(lambda a, b: a << b if b < 64 else 0)
_HANDLERS[exp.BitwiseRightShift] = _bitop(lambda a, b: a >> b if b < 64 else 0)


@_handles(exp.BitwiseNot)
def _bitnot(c: _Compiler, node: exp.BitwiseNot) -> RowFn:
    fa = c.fn(node.this)

    def bitnot(row: Row) -> Any:
        a = fa(row)
        return None if a is None else ~_u64(a) & UINT64_MAX

    return bitnot


# --- comparisons ---------------------------------------------------------------------------------

_OPS: dict[type, tuple[Callable[[Any, Any], bool], Callable[[int], bool], type]] = {
    exp.EQ: (operator.eq, lambda r: r == 0, exp.EQ),
    exp.NEQ: (operator.ne, lambda r: r != 0, exp.NEQ),
    exp.LT: (operator.lt, lambda r: r < 0, exp.GT),
    exp.LTE: (operator.le, lambda r: r <= 0, exp.GTE),
    exp.GT: (operator.gt, lambda r: r > 0, exp.LT),
    exp.GTE: (operator.ge, lambda r: r >= 0, exp.LTE),
}


def _const_comparator(c: Any) -> Callable[[Any], int]:
    """compare(a, c) for a non-NULL `a` of another class than the constant `c`, with the
    constant's conversions (string to number, string to date) done once."""
    tc = type(c)
    if tc is int or tc is Decimal:
        cf = float(c)

        def vs_exact(a: Any) -> int:
            ta = type(a)
            if ta is int or ta is Decimal:
                return (a > c) - (a < c)
            if ta is float:
                return (a > cf) - (a < cf)
            return _compare_mixed(a, c)

        return vs_exact
    if tc is float:
        def vs_float(a: Any) -> int:
            ta = type(a)
            if ta is int or ta is Decimal:
                x = float(a)
                return (x > c) - (x < c)
            return _compare_mixed(a, c)

        return vs_float
    if tc is str:
        cnum = to_double(c)
        ctemp = parse_temporal(c)
        cdate = ctemp if type(ctemp) is date else None
        cdt = _as_datetime(ctemp) if ctemp is not None else None

        def vs_str(a: Any) -> int:
            ta = type(a)
            if ta is int or ta is Decimal or ta is float:
                x = float(a)
                return (x > cnum) - (x < cnum)
            if ta is date and cdate is not None:
                return (a > cdate) - (a < cdate)
            if (ta is date or ta is datetime) and cdt is not None:
                x = _as_datetime(a)
                return (x > cdt) - (x < cdt)
            return _compare_mixed(a, c)

        return vs_str
    if tc is date or tc is datetime:
        cdt2 = _as_datetime(c)

        def vs_date(a: Any) -> int:
            ta = type(a)
            if ta is date or ta is datetime:
                x = _as_datetime(a)
                return (x > cdt2) - (x < cdt2)
            return _compare_mixed(a, c)

        return vs_date
    return lambda a: _compare_mixed(a, c)


_CMP_OPS = {"EQ": "==", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
_CMP_CONST = _templates("""
def make(fa, c, slow):
    ct = type(c)
    def cmp_const(row):
        a = {GET}
        if a.__class__ is ct:
            return 1 if a {OP} c else 0
        if a is None:
            return None
        return 1 if slow(a) {OP} 0 else 0
    return cmp_const
""", _CMP_OPS)


def _cmp_col_const(fa: RowFn, c: Any, op_name: str) -> RowFn:
    """``expr op constant`` with the constant's conversions precomputed."""
    i = _column_index(fa)
    make = _CMP_CONST[op_name, i is not None]
    return make(i if i is not None else fa, c, _const_comparator(c))


def _cmp_generic(fa: RowFn, fb: RowFn, pyop: Callable[[Any, Any], bool],
                 test: Callable[[int], bool]) -> RowFn:
    def cmp(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        if a.__class__ is b.__class__:
            return 1 if pyop(a, b) else 0
        return 1 if test(_compare_mixed(a, b)) else 0

    return cmp


def _row_compare(av: Any, bv: Any, cls: type) -> Any:
    """MySQL row comparison: ``(a, b) = (x, y)`` pairwise with NULL logic, ``<`` etc.
    lexicographic."""
    if not isinstance(av, tuple) or not isinstance(bv, tuple) or len(av) != len(bv):
        n = len(av) if isinstance(av, tuple) else 1
        raise _err_operand(n)
    if cls is exp.NullSafeEQ:
        return 1 if all(compare(x, y) == 0 or (x is None and y is None)
                        for x, y in zip(av, bv, strict=True)) else 0
    if cls in (exp.EQ, exp.NEQ):
        res: Any = 1
        for x, y in zip(av, bv, strict=True):
            r = compare(x, y)
            if r is None:
                res = None
            elif r != 0:
                res = 0
                break
        if cls is exp.NEQ and res is not None:
            res = 1 - res
        return res
    test = _OPS[cls][1]
    for x, y in zip(av, bv, strict=True):
        r = compare(x, y)
        if r is None:
            return None
        if r != 0:
            return 1 if test(r) else 0
    return 1 if test(0) else 0


def _is_rowish(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Tuple)


@_handles(exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ)
def _comparison(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    cls = type(node)
    left, right = node.this, node.expression
    if isinstance(right, (exp.Any, exp.All)):
        return _quantified(c, node, left, right)
    if _is_rowish(left) or _is_rowish(right):
        fa = _row_operand(c, left)
        fb = _row_operand(c, right)
        return lambda row: _row_compare(fa(row), fb(row), cls)
    ra, rb = c.sub(left), c.sub(right)
    if cls is exp.NullSafeEQ:
        fa, fb = _as_fn(ra), _as_fn(rb)

        def null_safe_eq(row: Row) -> int:
            a, b = fa(row), fb(row)
            if a is None or b is None:
                return 1 if a is None and b is None else 0
            if a.__class__ is b.__class__:
                return 1 if a == b else 0
            return 1 if _compare_mixed(a, b) == 0 else 0

        return null_safe_eq
    pyop, test, mirror = _OPS[cls]
    if type(rb) is _Const and type(ra) is not _Const:
        if rb.value is None:
            return _const_fn(None)
        return _cmp_col_const(ra, rb.value, cls.__name__)
    if type(ra) is _Const and type(rb) is not _Const:
        if ra.value is None:
            return _const_fn(None)
        return _cmp_col_const(rb, ra.value, mirror.__name__)
    if hasattr(rb, "param_index") and not hasattr(ra, "param_index"):
        return _cmp_col_param(ra, rb, c.ctx, pyop, test)
    if hasattr(ra, "param_index") and not hasattr(rb, "param_index"):
        mpyop, mtest, _m = _OPS[mirror]
        return _cmp_col_param(rb, ra, c.ctx, mpyop, mtest)
    return _cmp_generic(_as_fn(ra), _as_fn(rb), pyop, test)


class _NoMatch:
    """A class no value has (so ``a.__class__ is ct`` is never true)."""


def _cmp_col_param(fa: RowFn, fparam: RowFn, ctx: EvalContext,
                   pyop: Callable[[Any, Any], bool], test: Callable[[int], bool]) -> RowFn:
    """``col op ?``: the parameter is constant for one execution, so its conversions are
    done once per `ctx.params` object (the session assigns a new one per execution)."""
    seen: Any = _NO_CONST
    c: Any = None
    ct: type = type(None)
    slow: Callable[[Any], int] = _compare_mixed  # type: ignore[assignment]

    def cmp_param(row: Row) -> Any:
        nonlocal seen, c, ct, slow
        p = ctx.params
        if p is not seen:
            c = fparam(row)
            ct = type(c) if c is not None else _NoMatch
            slow = _const_comparator(c) if c is not None else _compare_mixed  # type: ignore
            seen = p
        a = fa(row)
        if a.__class__ is ct:
            return 1 if pyop(a, c) else 0
        if a is None or c is None:
            return None
        return 1 if test(slow(a)) else 0

    return cmp_param


def _row_operand(c: _Compiler, node: exp.Expression) -> RowFn:
    """A row-valued operand: a tuple, or a subquery returning one row of several columns."""
    inner = node
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if isinstance(inner, exp.Subquery):
        rows_of = c.subquery(inner)

        def row_subquery(row: Row) -> Any:
            it = iter(rows_of(row))
            first = next(it, None)
            if first is None:
                return None
            if next(it, None) is not None:
                raise _err_subquery_rows()
            return tuple(first)

        return row_subquery
    f = c.fn(node)
    return f


def _quantified(c: _Compiler, node: exp.Expression, left: exp.Expression,
                q: exp.Any | exp.All) -> RowFn:
    """``a op ANY (subquery)`` / ``a op ALL (subquery)`` with SQL's NULL rules."""
    cls = type(node)
    fa = c.fn(left)
    rows_of = c.subquery(q.this)
    is_all = isinstance(q, exp.All)
    test = (lambda r: r == 0) if cls is exp.NullSafeEQ else _OPS[cls][1]

    def quantified(row: Row) -> Any:
        a = fa(row)
        saw_null = False
        for r in rows_of(row):
            if len(r) != 1:
                raise _err_operand(1)
            cr = compare(a, r[0])
            if cr is None:
                saw_null = True
                continue
            ok = test(cr)
            if is_all and not ok:
                return 0
            if not is_all and ok:
                return 1
        if saw_null:
            return None
        return 1 if is_all else 0

    return quantified


# --- logic ---------------------------------------------------------------------------------------


def _flatten(node: exp.Expression, cls: type) -> list[exp.Expression]:
    out: list[exp.Expression] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is cls:
            stack.append(n.expression)
            stack.append(n.this)
        else:
            out.append(n)
    return out


@_handles(exp.And)
def _and(c: _Compiler, node: exp.And) -> RowFn | _Const:
    fns: list[RowFn] = []
    saw_null = False
    for part in _flatten(node, exp.And):
        f = c.truth_fn(part)
        v = constant_value(f, _NO_CONST)
        if v is _NO_CONST:
            fns.append(f)
        elif v is None:
            saw_null = True
        elif not v:
            return _Const(0)  # FALSE AND anything is FALSE, even with errors on the right
    if saw_null:
        fns.append(_const_fn(None))
    if not fns:
        return _Const(1)
    if len(fns) == 1:
        only = fns[0]
        return lambda row: (None if (v := only(row)) is None else (1 if v else 0))
    if len(fns) == 2:
        fa, fb = fns

        def and2(row: Row) -> Any:
            a = fa(row)
            if a is None:
                b = fb(row)
                return 0 if (b is not None and not b) else None
            if not a:
                return 0
            b = fb(row)
            if b is None:
                return None
            return 1 if b else 0

        return and2
    parts = tuple(fns)

    def and_n(row: Row) -> Any:
        res: Any = 1
        for f in parts:
            v = f(row)
            if v is None:
                res = None
            elif not v:
                return 0
        return res

    return and_n


@_handles(exp.Or)
def _or(c: _Compiler, node: exp.Or) -> RowFn | _Const:
    fns: list[RowFn] = []
    saw_null = False
    for part in _flatten(node, exp.Or):
        f = c.truth_fn(part)
        v = constant_value(f, _NO_CONST)
        if v is _NO_CONST:
            fns.append(f)
        elif v is None:
            saw_null = True
        elif v:
            return _Const(1)
    if saw_null:
        fns.append(_const_fn(None))
    if not fns:
        return _Const(0)
    if len(fns) == 1:
        only = fns[0]
        return lambda row: (None if (v := only(row)) is None else (1 if v else 0))
    parts = tuple(fns)

    def or_n(row: Row) -> Any:
        res: Any = 0
        for f in parts:
            v = f(row)
            if v is None:
                res = None
            elif v:
                return 1
        return res

    return or_n


@_handles(exp.Not)
def _not(c: _Compiler, node: exp.Not) -> RowFn:
    f = c.truth_fn(node.this)

    def not_(row: Row) -> Any:
        v = f(row)
        if v is None:
            return None
        return 0 if v else 1

    return not_


@_handles(exp.Xor)
def _xor(c: _Compiler, node: exp.Xor) -> RowFn:
    fa, fb = c.truth_fn(node.this), c.truth_fn(node.expression)

    def xor(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        b = fb(row)
        if b is None:
            return None
        return 1 if bool(a) != bool(b) else 0

    return xor


@_handles(exp.Is)
def _is(c: _Compiler, node: exp.Is) -> RowFn:
    target = node.expression
    if isinstance(target, exp.Null):
        f = c.fn(node.this)

        def result(row: Row) -> int:
            return 1 if f(row) is None else 0
    elif isinstance(target, exp.Boolean):
        f = c.truth_fn(node.this)
        if target.this:
            def result(row: Row) -> int:
                return 1 if f(row) else 0
        else:
            def is_false(row: Row) -> int:
                v = f(row)
                return 1 if v is not None and not v else 0

            result = is_false
    else:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near "
            f"'{target.sql(dialect='mysql')}'", errno=1064, sqlstate="42000")
    if node.args.get("negate"):
        inner = result
        return lambda row: 1 - inner(row)
    return result


@_handles(exp.Between)
def _between(c: _Compiler, node: exp.Between) -> RowFn:
    fv, rlo, rhi = c.fn(node.this), c.sub(node.args["low"]), c.sub(node.args["high"])
    if type(rlo) is _Const and type(rhi) is _Const and rlo.value is not None \
            and type(rlo.value) is type(rhi.value):
        lo_k, hi_k = rlo.value, rhi.value
        kt = type(lo_k)
        lo_cmp, hi_cmp = _const_comparator(lo_k), _const_comparator(hi_k)

        def between_const(row: Row) -> Any:
            v = fv(row)
            if v.__class__ is kt:
                return 1 if lo_k <= v <= hi_k else 0
            if v is None:
                return None
            return 1 if lo_cmp(v) >= 0 and hi_cmp(v) <= 0 else 0

        return between_const
    flo, fhi = _as_fn(rlo), _as_fn(rhi)

    def between(row: Row) -> Any:
        v = fv(row)
        if v is None:
            return None
        lo, hi = flo(row), fhi(row)
        tv = v.__class__
        if lo.__class__ is tv and hi.__class__ is tv:
            return 1 if lo <= v <= hi else 0
        c1 = None if lo is None else compare(v, lo) >= 0
        c2 = None if hi is None else compare(v, hi) <= 0
        if c1 is False or c2 is False:
            return 0
        if c1 is None or c2 is None:
            return None
        return 1

    return between


class _InSet:
    """Membership test against a fixed list of values with IN's NULL rules: 1 if found,
    NULL if not found but the list had a NULL, else 0.  Hash lookups when the classes
    allow it, `compare` otherwise."""

    __slots__ = ("values", "has_null", "exact", "floats", "strs", "all_num", "all_str",
                 "has_float", "empty")

    def __init__(self, values: Iterable[Any]):
        vals = list(values)
        self.empty = not vals
        self.has_null = any(v is None for v in vals)
        self.values = [v for v in vals if v is not None]
        nums = [v for v in self.values if type(v) in (int, Decimal, float)]
        strs = [v for v in self.values if type(v) is str]
        self.all_num = len(nums) == len(self.values)
        self.all_str = len(strs) == len(self.values)
        self.has_float = any(type(v) is float for v in nums)
        self.exact = frozenset(nums)
        self.floats = frozenset(float(v) for v in nums)
        self.strs = frozenset(strs)

    def match(self, a: Any) -> Any:
        if a is None:
            return None
        miss = None if self.has_null else 0
        t = type(a)
        if self.all_num:
            if t is int or (t is Decimal and not self.has_float):
                return 1 if a in self.exact else miss
            if t is float or t is Decimal:
                return 1 if float(a) in self.floats else miss
        elif self.all_str and t is str:
            return 1 if a in self.strs else miss
        for v in self.values:
            if compare(a, v) == 0:
                return 1
        return miss


@_handles(exp.In)
def _in(c: _Compiler, node: exp.In) -> RowFn | _Const:
    query = node.args.get("query")
    if query is not None:
        return _in_subquery(c, node.this, query)
    if node.args.get("unnest") is not None or node.args.get("field") is not None:
        return _unsupported(c, node)
    items = node.expressions
    if _is_rowish(node.this) or any(_is_rowish(e) for e in items):
        fa = c.fn(node.this)
        fitems = [c.fn(e) for e in items]

        def row_in(row: Row) -> Any:
            a = fa(row)
            res: Any = 0
            for f in fitems:
                r = _row_compare(a, f(row), exp.EQ)
                if r == 1:
                    return 1
                if r is None:
                    res = None
            return res

        return row_in
    fa = c.fn(node.this)
    compiled = [c.sub(e) for e in items]
    if all(type(x) is _Const for x in compiled):
        s = _InSet(x.value for x in compiled)  # type: ignore[union-attr]
        match = s.match
        if s.all_num and not s.has_float:
            exact = s.exact
            miss = None if s.has_null else 0

            def in_ints(row: Row) -> Any:
                a = fa(row)
                if a.__class__ is int:
                    return 1 if a in exact else miss
                return match(a)

            return in_ints
        if s.all_str:
            strs = s.strs
            miss_s = None if s.has_null else 0

            def in_strs(row: Row) -> Any:
                a = fa(row)
                if a.__class__ is str:
                    return 1 if a in strs else miss_s
                return match(a)

            return in_strs
        return lambda row: match(fa(row))
    fns = [_as_fn(x) for x in compiled]

    def in_list(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        res: Any = 0
        for f in fns:
            v = f(row)
            if v is None:
                res = None
            elif a.__class__ is v.__class__:
                if a == v:
                    return 1
            elif _compare_mixed(a, v) == 0:
                return 1
        return res

    return in_list


def _in_subquery(c: _Compiler, left: exp.Expression, query: exp.Expression) -> RowFn:
    fa = c.fn(left)
    rows_of = c.subquery(query)
    rowish = _is_rowish(left)
    cache: list[Any] = [None, None]  # (rows object, _InSet): uncorrelated subqueries return
    #                                   the same list for a whole statement

    def in_subquery(row: Row) -> Any:
        a = fa(row)
        rows = rows_of(row)
        if rowish:
            res: Any = 0
            for r in rows:
                cr = _row_compare(a, tuple(r), exp.EQ)
                if cr == 1:
                    return 1
                if cr is None:
                    res = None
            return res
        if rows is not cache[0] or not isinstance(rows, list):
            vals = []
            for r in rows:
                if len(r) != 1:
                    raise _err_operand(1)
                vals.append(r[0])
            cache[0], cache[1] = rows, _InSet(vals)
        s: _InSet = cache[1]
        if s.empty:
            return 0
        return s.match(a)

    return in_subquery


@_handles(exp.Exists)
def _exists(c: _Compiler, node: exp.Exists) -> RowFn:
    rows_of = c.subquery(node.this)

    def exists(row: Row) -> int:
        for _r in rows_of(row):
            return 1
        return 0

    return exists


@_handles(exp.Subquery)
def _scalar_subquery(c: _Compiler, node: exp.Subquery) -> RowFn:
    rows_of = c.subquery(node)

    def scalar(row: Row) -> Any:
        it = iter(rows_of(row))
        first = next(it, None)
        if first is None:
            return None
        if next(it, None) is not None:
            raise _err_subquery_rows()
        if len(first) != 1:
            raise _err_operand(1)
        return first[0]

    return scalar


@_handles(exp.Select, exp.Union)
def _bare_query(c: _Compiler, node: exp.Expression) -> RowFn:
    return _scalar_subquery(c, node)  # type: ignore[arg-type]


# --- LIKE and REGEXP -----------------------------------------------------------------------------

_LIKE_CACHE: dict[tuple[str, str | None], tuple[str, Any]] = {}


def _like_plan(pattern: str, escape: str | None) -> tuple[str, Any]:
    """(kind, argument) of a LIKE pattern: ``("eq", s)``, ``("prefix", s)``,
    ``("suffix", s)``, ``("contains", s)``, ``("always", None)`` or ``("regex", fullmatch)``."""
    key = (pattern, escape)
    plan = _LIKE_CACHE.get(key)
    if plan is not None:
        return plan
    tokens: list[str | None] = []  # None = %, "" = _ (as markers), else literal chars
    lit: list[str] = []
    regex_parts: list[str] = []
    i, n = 0, len(pattern)
    wild_underscore = False
    while i < n:
        ch = pattern[i]
        if escape and ch == escape and i + 1 < n:
            lit.append(pattern[i + 1])
            regex_parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            if lit:
                tokens.append("".join(lit))
                lit = []
            if not tokens or tokens[-1] is not None:
                tokens.append(None)
                regex_parts.append(".*")
        elif ch == "_":
            wild_underscore = True
            if lit:
                tokens.append("".join(lit))
                lit = []
            tokens.append("")
            regex_parts.append(".")
        else:
            lit.append(ch)
            regex_parts.append(re.escape(ch))
        i += 1
    if lit:
        tokens.append("".join(lit))
    plan = None
    if not wild_underscore:
        if not tokens:
            plan = ("eq", "")
        elif len(tokens) == 1 and tokens[0] is not None:
            plan = ("eq", tokens[0])
        elif tokens == [None]:
            plan = ("always", None)
        elif len(tokens) == 2 and tokens[1] is None:
            plan = ("prefix", tokens[0])
        elif len(tokens) == 2 and tokens[0] is None:
            plan = ("suffix", tokens[1])
        elif len(tokens) == 3 and tokens[0] is None and tokens[2] is None:
            plan = ("contains", tokens[1])
    if plan is None:
        plan = ("regex", re.compile("".join(regex_parts), re.DOTALL).fullmatch)
    if len(_LIKE_CACHE) > 4096:
        _LIKE_CACHE.clear()
    _LIKE_CACHE[key] = plan
    return plan


_LIKE_CONDS = {"eq": "v == p", "prefix": "v.startswith(p)", "suffix": "v.endswith(p)",
               "contains": "p in v", "always": "True", "regex": "p(v) is not None"}
_LIKE_PREDICATES = _templates("""
def make(fa, p):
    def like_predicate(v):
        return {OP}
    return like_predicate
""", _LIKE_CONDS)
_LIKE_CONST = _templates("""
def make(fa, p, yes, no):
    def like_const(row):
        v = {GET}
        if v.__class__ is str:
            return yes if {OP} else no
        if v is None:
            return None
        v = to_str(v)
        return yes if {OP} else no
    return like_const
""", _LIKE_CONDS, to_str=to_str)


def like_matcher(pattern: str, escape: str | None = "\\") -> Callable[[str], bool]:
    """A predicate for ``s LIKE pattern`` (``%`` any run, ``_`` one character, `escape`
    quoting the next character; case-sensitive under the binary collation).  Patterns that
    are a literal, a prefix, a suffix or an infix avoid regular expressions."""
    kind, arg = _like_plan(pattern, escape)
    return _LIKE_PREDICATES[kind, False](None, arg)


def _like_text(v: Any) -> str:
    return v if type(v) is str else to_str(v)


def _escape_char(c: _Compiler, node: exp.Expression | None) -> str | None:
    if node is None:
        return "\\"
    r = c.sub(node)
    if type(r) is not _Const:
        raise ProgrammingError("Incorrect arguments to ESCAPE", errno=1210, sqlstate="HY000")
    v = r.value
    if v is None:
        return "\\"
    s = _like_text(v)
    if len(s) > 1:
        raise ProgrammingError("Incorrect arguments to ESCAPE", errno=1210, sqlstate="HY000")
    return s or None


def _compile_like(c: _Compiler, like: exp.Like, escape_node: exp.Expression | None,
                  negate: bool) -> RowFn:
    esc = _escape_char(c, escape_node)
    fa = c.fn(like.this)
    rp = c.sub(like.expression)
    yes, no = (0, 1) if negate else (1, 0)
    if type(rp) is _Const:
        if rp.value is None:
            return _const_fn(None)
        kind, arg = _like_plan(_like_text(rp.value), esc)
        i = _column_index(fa)
        return _LIKE_CONST[kind, i is not None](i if i is not None else fa, arg, yes, no)
    fp = rp

    def like(row: Row) -> Any:
        v = fa(row)
        if v is None:
            return None
        p = fp(row)
        if p is None:
            return None
        return yes if like_matcher(_like_text(p), esc)(_like_text(v)) else no

    return like


@_handles(exp.Like)
def _like(c: _Compiler, node: exp.Like) -> RowFn:
    return _compile_like(c, node, None, bool(node.args.get("negate")))


@_handles(exp.Escape)
def _escape(c: _Compiler, node: exp.Escape) -> RowFn:
    inner = node.this
    if not isinstance(inner, exp.Like):
        return _unsupported(c, node)
    return _compile_like(c, inner, node.expression, bool(inner.args.get("negate")))


@_handles(exp.ILike)
def _ilike(c: _Compiler, node: exp.ILike) -> RowFn:
    fa, fp = c.fn(node.this), c.fn(node.expression)

    def ilike(row: Row) -> Any:
        v, p = fa(row), fp(row)
        if v is None or p is None:
            return None
        return 1 if like_matcher(_like_text(p).lower())(_like_text(v).lower()) else 0

    return ilike


@_handles(exp.RegexpLike)
def _regexp(c: _Compiler, node: exp.RegexpLike) -> RowFn:
    fa = c.fn(node.this)
    rp = c.sub(node.expression)
    flag = node.args.get("flag")
    rf = c.sub(flag) if flag is not None else _Const(None)
    if type(rp) is _Const and type(rf) is _Const:
        if rp.value is None:
            return _const_fn(None)
        search = F.regex(rp.value, rf.value).search

        def regexp_const(row: Row) -> Any:
            v = fa(row)
            if v is None:
                return None
            return 1 if search(v if v.__class__ is str else to_str(v)) is not None else 0

        return regexp_const
    fp, ff = _as_fn(rp), _as_fn(rf)

    def regexp(row: Row) -> Any:
        v, p = fa(row), fp(row)
        if v is None or p is None:
            return None
        return 1 if F.regex(p, ff(row)).search(_like_text(v)) is not None else 0

    return regexp


# --- control flow --------------------------------------------------------------------------------


@_handles(exp.Case)
def _case(c: _Compiler, node: exp.Case) -> RowFn:
    operand = node.this
    default = c.fn(node.args.get("default"))
    ifs = node.args.get("ifs") or []
    if operand is None:
        branches = tuple((c.truth_fn(i.this), c.fn(i.args.get("true"))) for i in ifs)

        def searched_case(row: Row) -> Any:
            for cond, val in branches:
                if cond(row):
                    return val(row)
            return default(row)

        return searched_case
    fo = c.fn(operand)
    whens = tuple((c.fn(i.this), c.fn(i.args.get("true"))) for i in ifs)

    def simple_case(row: Row) -> Any:
        v = fo(row)
        if v is not None:
            for when, val in whens:
                w = when(row)
                if w is None:
                    continue
                if w.__class__ is v.__class__:
                    if w == v:
                        return val(row)
                elif _compare_mixed(v, w) == 0:
                    return val(row)
        return default(row)

    return simple_case


@_handles(exp.If)
def _if(c: _Compiler, node: exp.If) -> RowFn:
    cond = c.truth_fn(node.this)
    ft, ff = c.fn(node.args.get("true")), c.fn(node.args.get("false"))
    return lambda row: ft(row) if cond(row) else ff(row)


@_handles(exp.Coalesce)
def _coalesce(c: _Compiler, node: exp.Coalesce) -> RowFn:
    fns = tuple([c.fn(node.this)] + [c.fn(e) for e in node.expressions])
    if len(fns) == 2:
        fa, fb = fns

        def ifnull(row: Row) -> Any:
            v = fa(row)
            return fb(row) if v is None else v

        return ifnull

    def coalesce(row: Row) -> Any:
        for f in fns:
            v = f(row)
            if v is not None:
                return v
        return None

    return coalesce


@_handles(exp.Nullif)
def _nullif(c: _Compiler, node: exp.Nullif) -> RowFn:
    fa, fb = c.fn(node.this), c.fn(node.expression)

    def nullif(row: Row) -> Any:
        a = fa(row)
        if a is None:
            return None
        return None if compare(a, fb(row)) == 0 else a

    return nullif


# --- CAST ----------------------------------------------------------------------------------------

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
    tname = t.value if hasattr(t, "value") else str(t)
    raise UnsupportedError(f"This version of KintsugiDB doesn't yet support 'CAST AS {tname}'")


@_handles(exp.Cast, exp.TryCast)
def _cast(c: _Compiler, node: exp.Cast) -> RowFn:
    conv = cast_function(node.args["to"])
    f = c.fn(node.this)

    def cast(row: Row) -> Any:
        v = f(row)
        return None if v is None else conv(v)

    return cast


# --- function calls ------------------------------------------------------------------------------

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
    raise UnsupportedError("This version of KintsugiDB doesn't yet support 'window functions'")
