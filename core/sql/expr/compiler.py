"""The compiler proper: the entry points (`compile_expr`, `compile_predicate`, `eval_const`),
constant folding, and the handler registry (`_HANDLERS`, filled by `_handles`) that maps each
sqlglot node class to the function compiling it.

The node families (`leaves`, `arith`, `comparison`, `logic`, `membership`, `like`,
`control`, `cast`, `calls`) register their handlers here when imported; the package
`__init__` imports them all.  Also here: the code templates that inline the operator and the
column access into the hot closures.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from sqlglot import exp

from core.errors import Error, ProgrammingError
from core.sql import functions as F
from core.sql.expr.scope import EvalContext, Row, RowFn, Scope
from core.sql.limits import MAX_EXPR_DEPTH, stack_overrun
from core.sql.types import UnsupportedError, to_double, truth
from core.sql.types.coercion import aggregate_kinds, convert_to_kind, kind_of_column, kind_of_value


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

    def static_kind(self, node: exp.Expression | None, compiled: Any = None) -> Any:
        """The result kind of `node` as `core.sql.types.coercion.aggregate_kinds` names them
        ("int", "str", "datetime", ...), None for NULL, or `UNKNOWN_KIND` when it is only
        known per value.  `compiled` is the node's compiled form, if at hand (a folded
        constant tells its kind by its value)."""
        while isinstance(node, (exp.Paren, exp.Alias)):
            node = node.this
        if node is None or isinstance(node, exp.Null):
            return None
        if type(compiled) is _Const:
            return kind_of_value(compiled.value)
        if isinstance(node, exp.Literal):
            if node.is_string:
                return "str"
            text = node.this
            if "e" in text or "E" in text:
                return "dbl"
            if "." in text:
                return f"dec/{len(text) - text.index('.') - 1}"
            return "int"
        if isinstance(node, exp.Column):
            column_type = getattr(self.scope, "column_type", None)
            if column_type is not None and not isinstance(node.this, exp.Star):
                try:
                    tk = column_type(node.table or None, node.name)
                except Error:
                    tk = None
                k = kind_of_column(tk) if tk else None
                if k is not None:
                    return k
            return UNKNOWN_KIND
        if isinstance(node, exp.Cast):
            to = node.args.get("to")
            name = to.this.name if to is not None and hasattr(to.this, "name") else ""
            k = _CAST_KINDS.get(name, UNKNOWN_KIND)
            if k == "dec":  # DECIMAL(M, D): scale D, 0 when not given
                params = to.expressions
                scale = params[1].this.name if len(params) > 1 else "0"
                k = f"dec/{scale}" if scale.isdigit() else "dec"
            return k
        if isinstance(node, (exp.If, exp.Coalesce, exp.Case)):
            if isinstance(node, exp.If):
                parts = [node.args.get("true"), node.args.get("false")]
            elif isinstance(node, exp.Coalesce):
                parts = [node.this] + list(node.expressions)
            else:
                parts = [i.args.get("true") for i in node.args.get("ifs") or []] + \
                    [node.args.get("default")]
            kinds = [self.static_kind(p) for p in parts]
            if any(k is UNKNOWN_KIND for k in kinds):
                return UNKNOWN_KIND
            return aggregate_kinds(kinds)
        return UNKNOWN_KIND

    def subquery(self, query: exp.Expression) -> Callable[[Row], Iterable[Row]]:
        self.volatile()
        compile_sub = getattr(self.ctx, "compile_subquery", None)
        if compile_sub is None:
            raise UnsupportedError("This version of KintsugiDB doesn't yet support "
                                   "'subqueries without a planner'")
        if isinstance(query, exp.Subquery):
            query = query.this
        return compile_sub(query, self.scope)


UNKNOWN_KIND = object()
_CAST_KINDS = {
    "CHAR": "str", "VARCHAR": "str", "NCHAR": "str", "NVARCHAR": "str", "TEXT": "str",
    "DATE": "date", "DATETIME": "datetime", "TIMESTAMP": "datetime",
    "TIMESTAMPTZ": "datetime", "TIMESTAMPLTZ": "datetime", "TIME": "time", "INT": "int",
    "BIGINT": "int", "UBIGINT": "int", "UINT": "int", "SIGNED": "int", "UNSIGNED": "int",
    "DECIMAL": "dec", "DOUBLE": "dbl", "FLOAT": "dbl", "BINARY": "bin", "VARBINARY": "bin",
}


def unify(fn: RowFn, kinds: list[Any]) -> RowFn:
    """`fn`'s values converted to the aggregate of the branch kinds `kinds` (IF, CASE,
    COALESCE): statically when every branch's kind is known, else per value, with the
    returned value's own kind standing in for the unknown branches."""
    known = [k for k in kinds if k is not UNKNOWN_KIND]
    if len(known) == len(kinds):
        target = aggregate_kinds(known)
        if target is None or all(k is None or k == target for k in known):
            return fn  # one kind already (or bytes mixed in, left alone)

        def unified(row: Row) -> Any:
            return convert_to_kind(fn(row), target)

        return unified
    if not any(k is not None for k in known):
        return fn  # nothing known beyond the value itself
    base = aggregate_kinds(known)

    def unified_per_value(row: Row) -> Any:
        v = fn(row)
        if v is None:
            return v
        return convert_to_kind(v, aggregate_kinds((base, kind_of_value(v))))

    return unified_per_value


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
        return _HANDLERS[exp.Func]  # `core.sql.expr.calls`: by name, through the registry
    return _unsupported


def _unsupported(c: _Compiler, node: exp.Expression) -> RowFn:
    what = node.sql(dialect="mysql")[:60] if node else "?"
    raise UnsupportedError(f"This version of KintsugiDB doesn't yet support '{what}'")


def _agg_unmapped(c: _Compiler, node: exp.Expression) -> RowFn | _Const:
    if isinstance(node, exp.AnyValue):
        return c.compile(node.this)
    raise ProgrammingError("Invalid use of group function", errno=1111, sqlstate="HY000")
