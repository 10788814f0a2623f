"""LIKE, ILIKE, ESCAPE and REGEXP.  A LIKE pattern is planned once (equality, prefix, suffix,
substring, or a compiled regex) and cached; `like_matcher` offers the same matching as a
plain function of a string.  REGEXP patterns come from `core.sql.functions.regexp`'s cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql import functions as F
from core.sql.expr.compiler import (
    _as_fn,
    _column_index,
    _Compiler,
    _Const,
    _const_fn,
    _handles,
    _templates,
    _unsupported,
)
from core.sql.expr.scope import Row, RowFn
from core.sql.types import to_str

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
