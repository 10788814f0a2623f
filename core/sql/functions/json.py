"""MySQL's JSON functions and path expressions.

Paths are MySQL 8's: ``$``, ``.key``, ``."quoted key"``, ``.*``, ``[n]``, ``[*]``, ``**``,
``[last]``, ``[last - n]`` and ranges ``[m to n]``.  A path is parsed once per distinct text
(cached) into legs; a bad one is ERROR 3143 "Invalid JSON path expression. The error is
around character position N."  An index on a value that is no array treats the value as a
one-element array (MySQL's auto-wrapping: ``'$[0]'`` of a scalar is the scalar).

The modifying functions (JSON_SET, JSON_INSERT, JSON_REPLACE, JSON_REMOVE,
JSON_ARRAY_APPEND, JSON_ARRAY_INSERT) rebuild the path they change and share everything
else: a document parsed for a JsonText is never modified in place.

Registered here: the functions called by name.  Those sqlglot parses into nodes of their
own (``->``, ``->>``, JSON_EXTRACT, JSON_OBJECT, MEMBER OF, ...) are mapped onto these by
`core.sql.expr.json`, which also turns predicates (``1 = 1``) into JSON true/false.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from core.errors import DataError, NotSupportedError, ProgrammingError
from core.sql.functions.registry import _reg
from core.sql.types.json import (
    JsonText,
    dump_doc,
    is_valid,
    json_compare,
    json_type_name,
    parse_doc,
    scalar_text,
    sorted_keys,
    to_doc,
)

# --- paths ----------------------------------------------------------------------------------

_MEMBER, _MEMBER_ANY, _CELL, _CELL_ANY, _RANGE, _DESCEND = range(6)
_IDENT = re.compile(r"[A-Za-z_$\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*")
_INDEX = re.compile(r"\s*(?:(last)\s*(?:-\s*(\d+))?|(\d+))\s*")


class Path:
    __slots__ = ("legs", "wild", "text")

    def __init__(self, legs: tuple, text: str):
        self.legs = legs
        self.text = text
        self.wild = any(leg[0] in (_MEMBER_ANY, _CELL_ANY, _RANGE, _DESCEND) for leg in legs)


def _bad_path(pos: int) -> ProgrammingError:
    return ProgrammingError("Invalid JSON path expression. The error is around character "
                            f"position {pos}.", errno=3143, sqlstate="42000")


@functools.lru_cache(maxsize=512)
def parse_path(text: str) -> Path:
    s = text
    n = len(s)
    i = 0
    while i < n and s[i].isspace():
        i += 1
    if i >= n or s[i] != "$":
        raise _bad_path(i)
    i += 1
    legs: list[tuple] = []
    while True:
        while i < n and s[i].isspace():
            i += 1
        if i >= n:
            break
        ch = s[i]
        if ch == ".":
            i += 1
            while i < n and s[i].isspace():
                i += 1
            if i < n and s[i] == "*":
                legs.append((_MEMBER_ANY,))
                i += 1
            elif i < n and s[i] == '"':
                j = i + 1
                while j < n and s[j] != '"':
                    j += 2 if s[j] == "\\" else 1
                if j >= n:
                    raise _bad_path(i)
                try:
                    name = parse_doc(s[i:j + 1], 1, "json_path")
                except DataError:
                    raise _bad_path(i) from None
                legs.append((_MEMBER, name))
                i = j + 1
            else:
                m = _IDENT.match(s, i)
                if m is None:
                    raise _bad_path(i)
                legs.append((_MEMBER, m.group(0)))
                i = m.end()
        elif ch == "[":
            i += 1
            close = s.find("]", i)
            if close < 0:
                raise _bad_path(i)
            body = s[i:close]
            if body.strip() == "*":
                legs.append((_CELL_ANY,))
            else:
                parts = re.split(r"\s+to\s+", body.strip())
                specs = []
                for p in parts:
                    m = _INDEX.fullmatch(p)
                    if m is None or len(parts) > 2:
                        raise _bad_path(i)
                    specs.append((True, int(m.group(2) or 0)) if m.group(1)
                                 else (False, int(m.group(3))))
                if len(specs) == 2:
                    legs.append((_RANGE, specs[0], specs[1]))
                else:
                    legs.append((_CELL, specs[0]))
            i = close + 1
        elif ch == "*" and s.startswith("**", i):
            i += 2
            legs.append((_DESCEND,))
        else:
            raise _bad_path(i)
    if legs and legs[-1][0] == _DESCEND:
        raise _bad_path(n)
    return Path(tuple(legs), text)


def _path(v: Any) -> Path:
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return parse_path(str(v))


def _no_wildcards(p: Path) -> Path:
    if p.wild:
        raise ProgrammingError("In this situation, path expressions may not contain the * and "
                               "** tokens or an array range.", errno=3149, sqlstate="42000")
    return p


def _index(spec: tuple[bool, int], n: int) -> int:
    from_last, k = spec
    return n - 1 - k if from_last else k


def _children(d: Any) -> list:
    if type(d) is dict:
        return [d[k] for k in sorted_keys(d)]
    if type(d) is list:
        return d
    return []


def _seek(d: Any, legs: tuple, i: int, out: list) -> None:
    if i == len(legs):
        out.append(d)
        return
    leg = legs[i]
    kind = leg[0]
    if kind == _MEMBER:
        if type(d) is dict and leg[1] in d:
            _seek(d[leg[1]], legs, i + 1, out)
    elif kind == _CELL:
        if type(d) is list:
            k = _index(leg[1], len(d))
            if 0 <= k < len(d):
                _seek(d[k], legs, i + 1, out)
        elif _index(leg[1], 1) == 0:
            _seek(d, legs, i + 1, out)
    elif kind == _MEMBER_ANY:
        if type(d) is dict:
            for x in _children(d):
                _seek(x, legs, i + 1, out)
    elif kind == _CELL_ANY:
        if type(d) is list:
            for x in d:
                _seek(x, legs, i + 1, out)
    elif kind == _RANGE:
        items = d if type(d) is list else [d]
        lo, hi = _index(leg[1], len(items)), _index(leg[2], len(items))
        for x in items[max(lo, 0):hi + 1]:
            _seek(x, legs, i + 1, out)
    else:  # ** : this value and every value below it
        _seek(d, legs, i + 1, out)
        for x in _children(d):
            _seek(x, legs, i, out)


def find(doc: Any, p: Path) -> list:
    out: list = []
    _seek(doc, p.legs, 0, out)
    return out


# --- the functions --------------------------------------------------------------------------


def _doc(v: Any, arg: int, func: str) -> Any:
    return parse_doc(v, arg, func)


def json_extract(doc: Any, *paths: Any) -> Any:
    d = _doc(doc, 1, "json_extract")
    ps = [_path(p) for p in paths]
    if len(ps) == 1 and not ps[0].wild:
        hits = find(d, ps[0])
        return JsonText.of(hits[0]) if hits else None
    found: list = []
    for p in ps:
        found.extend(find(d, p))
    return JsonText.of(found) if found else None


def json_unquote(v: Any) -> Any:
    if isinstance(v, JsonText):
        return scalar_text(v.doc)
    s = v if isinstance(v, str) else (v.decode("utf-8", "replace") if isinstance(v, bytes)
                                      else str(v))
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        d = parse_doc(s, 1, "json_unquote")
        return d if type(d) is str else s
    return s


def json_extract_unquoted(doc: Any, path: Any) -> Any:
    """``doc->>'path'``."""
    r = json_extract(doc, path)
    return None if r is None else scalar_text(r.doc)


@_reg("JSON_ARRAY", 0, None, strict=False)
def json_array(*vals: Any) -> JsonText:
    return JsonText.of([to_doc(v) for v in vals])


def json_object(*vals: Any) -> JsonText:
    if len(vals) % 2:
        raise ProgrammingError("Incorrect parameter count in the call to native function "
                               "'json_object'", errno=1582, sqlstate="42000")
    out: dict = {}
    for k, v in zip(vals[::2], vals[1::2], strict=True):
        if k is None:
            raise DataError("JSON documents may not contain NULL member names.", errno=3158,
                            sqlstate="22032")
        out[k if type(k) is str else scalar_text(to_doc(k)) if isinstance(k, JsonText)
            else _key_text(k)] = to_doc(v)
    return JsonText.of(out)


def _key_text(k: Any) -> str:
    from core.sql.types import to_str

    return to_str(k)


_reg("JSON_OBJECT", 0, None, strict=False)(json_object)
_reg("JSON_EXTRACT", 2, None)(json_extract)
_reg("JSON_UNQUOTE", 1)(json_unquote)


@_reg("JSON_QUOTE", 1)
def json_quote(v: Any) -> str:
    if not isinstance(v, str):
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        else:
            raise ProgrammingError("Incorrect arguments to json_quote", errno=1210,
                                   sqlstate="HY000")
    return dump_doc(str(v))


@_reg("JSON_VALID", 1)
def json_valid(v: Any) -> int:
    return 1 if is_valid(v) else 0


@_reg("JSON_TYPE", 1)
def json_type(v: Any) -> str:
    return json_type_name(_doc(v, 1, "json_type"))


@_reg("JSON_LENGTH", 1, 2)
def json_length(v: Any, path: Any = None) -> Any:
    d = _doc(v, 1, "json_length")
    if path is not None:
        hits = find(d, _no_wildcards(_path(path)))
        if not hits:
            return None
        d = hits[0]
    return len(d) if type(d) in (list, dict) else 1


@_reg("JSON_DEPTH", 1)
def json_depth(v: Any) -> int:
    def depth(d: Any) -> int:
        kids = _children(d)
        return 1 + max((depth(x) for x in kids), default=0) if kids else 1
    return depth(_doc(v, 1, "json_depth"))


@_reg("JSON_KEYS", 1, 2)
def json_keys(v: Any, path: Any = None) -> Any:
    d = _doc(v, 1, "json_keys")
    if path is not None:
        hits = find(d, _no_wildcards(_path(path)))
        if not hits:
            return None
        d = hits[0]
    if type(d) is not dict:
        return None
    return JsonText.of(sorted_keys(d))


def _contains(target: Any, cand: Any) -> bool:
    tt, tc = type(target), type(cand)
    if tt is list:
        if tc is list:
            return all(any(_contains(t, c) for t in target) for c in cand)
        return any(_contains(t, cand) for t in target)
    if tt is dict:
        if tc is not dict:
            return False
        return all(k in target and _contains(target[k], cand[k]) for k in cand)
    if tc is list or tc is dict:
        return False
    return json_compare(target, cand) == 0


@_reg("JSON_CONTAINS", 2, 3)
def json_contains(target: Any, cand: Any, path: Any = None) -> Any:
    t = _doc(target, 1, "json_contains")
    c = _doc(cand, 2, "json_contains")
    if path is not None:
        hits = find(t, _no_wildcards(_path(path)))
        if not hits:
            return None
        t = hits[0]
    return 1 if _contains(t, c) else 0


@_reg("JSON_CONTAINS_PATH", 3, None)
def json_contains_path(doc: Any, mode: Any, *paths: Any) -> Any:
    d = _doc(doc, 1, "json_contains_path")
    m = (mode if isinstance(mode, str) else str(mode)).lower()
    if m not in ("one", "all"):
        raise ProgrammingError("The oneOrAll argument to json_contains_path may take these "
                               "values: 'one' or 'all'.", errno=3154, sqlstate="42000")
    hits = [bool(find(d, _path(p))) for p in paths]
    return 1 if (any(hits) if m == "one" else all(hits)) else 0


@_reg("MEMBER_OF", 2)
def member_of(v: Any, arr: Any) -> int:
    d = _doc(arr, 2, "member of")
    x = to_doc(v)
    items = d if type(d) is list else [d]
    return 1 if any(type(i) not in (list, dict) and _contains(i, x) or
                    type(i) in (list, dict) and json_compare(i, x) == 0 for i in items) else 0


@_reg("JSON_OVERLAPS", 2)
def json_overlaps(a: Any, b: Any) -> int:
    x, y = _doc(a, 1, "json_overlaps"), _doc(b, 2, "json_overlaps")
    if type(x) is dict and type(y) is dict:
        return 1 if any(k in y and json_compare(x[k], y[k]) == 0 for k in x) else 0
    xs = x if type(x) is list else [x]
    ys = y if type(y) is list else [y]
    return 1 if any(json_compare(p, q) == 0 for p in xs for q in ys) else 0


# --- modifying ------------------------------------------------------------------------------

_SET, _INSERT, _REPLACE, _REMOVE, _APPEND, _ARR_INSERT = range(6)


def _wrap_append(target: Any, v: Any) -> Any:
    return target + [v] if type(target) is list else [target, v]


def _apply(d: Any, legs: tuple, i: int, op: int, v: Any) -> Any:
    """`d` with the change of `op` at ``legs[i:]``; `d` itself when nothing changes."""
    leg = legs[i]
    last = i == len(legs) - 1
    if leg[0] == _MEMBER:
        if type(d) is not dict:
            return d
        name = leg[1]
        exists = name in d
        if not last:
            if not exists:
                return d
            child = _apply(d[name], legs, i + 1, op, v)
            if child is d[name]:
                return d
            new = dict(d)
            new[name] = child
            return new
        new = dict(d)
        if op == _SET or (op == _INSERT and not exists) or (op == _REPLACE and exists):
            new[name] = v
        elif op == _REMOVE and exists:
            del new[name]
        elif op == _APPEND and exists:
            new[name] = _wrap_append(d[name], v)
        else:
            return d
        return new
    # a cell
    if type(d) is not list:
        k = _index(leg[1], 1)
        if not last:
            return _apply(d, legs, i + 1, op, v) if k == 0 else d
        if k == 0:
            if op in (_SET, _REPLACE):
                return v
            if op == _APPEND:
                return _wrap_append(d, v)
            return d
        if op in (_SET, _INSERT) and k > 0:
            return [d, v]
        return d
    n = len(d)
    k = _index(leg[1], n)
    if not last:
        if not 0 <= k < n:
            return d
        child = _apply(d[k], legs, i + 1, op, v)
        if child is d[k]:
            return d
        new = list(d)
        new[k] = child
        return new
    new = list(d)
    if 0 <= k < n and op in (_SET, _REPLACE):
        new[k] = v
    elif k >= n and op in (_SET, _INSERT):
        new.append(v)
    elif 0 <= k < n and op == _REMOVE:
        del new[k]
    elif 0 <= k < n and op == _APPEND:
        new[k] = _wrap_append(d[k], v)
    elif op == _ARR_INSERT and k >= 0:
        new.insert(min(k, n), v)
    else:
        return d
    return new


def _modify(func: str, op: int, doc: Any, args: tuple) -> Any:
    if doc is None:
        return None
    d = _doc(doc, 1, func)
    if len(args) % 2:
        raise ProgrammingError("Incorrect parameter count in the call to native function "
                               f"'{func}'", errno=1582, sqlstate="42000")
    for p, v in zip(args[::2], args[1::2], strict=True):
        if p is None:
            return None
        path = _no_wildcards(_path(p))
        val = to_doc(v)
        if not path.legs:
            if op in (_SET, _REPLACE):
                d = val
            elif op == _APPEND:
                d = _wrap_append(d, val)
            elif op == _ARR_INSERT:
                raise _not_cell()
            continue
        if op == _ARR_INSERT and path.legs[-1][0] != _CELL:
            raise _not_cell()
        d = _apply(d, path.legs, 0, op, val)
    return JsonText.of(d)


def _not_cell() -> ProgrammingError:
    return ProgrammingError("A path expression is not a path to a cell in an array.",
                            errno=3165, sqlstate="42000")


@_reg("JSON_SET", 3, None, strict=False)
def json_set(doc: Any, *args: Any) -> Any:
    return _modify("json_set", _SET, doc, args)


@_reg("JSON_INSERT", 3, None, strict=False)
def json_insert(doc: Any, *args: Any) -> Any:
    return _modify("json_insert", _INSERT, doc, args)


@_reg("JSON_REPLACE", 3, None, strict=False)
def json_replace(doc: Any, *args: Any) -> Any:
    return _modify("json_replace", _REPLACE, doc, args)


@_reg("JSON_ARRAY_APPEND", 3, None, strict=False)
def json_array_append(doc: Any, *args: Any) -> Any:
    return _modify("json_array_append", _APPEND, doc, args)


@_reg("JSON_ARRAY_INSERT", 3, None, strict=False)
def json_array_insert(doc: Any, *args: Any) -> Any:
    return _modify("json_array_insert", _ARR_INSERT, doc, args)


@_reg("JSON_REMOVE", 2, None)
def json_remove(doc: Any, *paths: Any) -> Any:
    d = _doc(doc, 1, "json_remove")
    for p in paths:
        path = _no_wildcards(_path(p))
        if not path.legs:
            raise ProgrammingError("The path expression '$' is not allowed in this context.",
                                   errno=3153, sqlstate="42000")
        d = _apply(d, path.legs, 0, _REMOVE, None)
    return JsonText.of(d)


def _merge_preserve(a: Any, b: Any) -> Any:
    if type(a) is dict and type(b) is dict:
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge_preserve(out[k], v) if k in out else v
        return out
    la = a if type(a) is list else [a]
    lb = b if type(b) is list else [b]
    return la + lb


def _merge_patch(a: Any, b: Any) -> Any:
    if type(b) is not dict:
        return b
    out = dict(a) if type(a) is dict else {}
    for k, v in b.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out


@_reg("JSON_MERGE_PRESERVE JSON_MERGE", 2, None)
def json_merge_preserve(*docs: Any) -> JsonText:
    d = _doc(docs[0], 1, "json_merge_preserve")
    for n, x in enumerate(docs[1:], 2):
        d = _merge_preserve(d, _doc(x, n, "json_merge_preserve"))
    return JsonText.of(d)


@_reg("JSON_MERGE_PATCH", 2, None)
def json_merge_patch(*docs: Any) -> JsonText:
    d = _doc(docs[0], 1, "json_merge_patch")
    for n, x in enumerate(docs[1:], 2):
        d = _merge_patch(d, _doc(x, n, "json_merge_patch"))
    return JsonText.of(d)


@_reg("JSON_PRETTY", 1)
def json_pretty(v: Any) -> str:
    def pretty(d: Any, ind: str) -> str:
        if type(d) is list and d:
            inner = ind + "  "
            return "[\n" + ",\n".join(inner + pretty(x, inner) for x in d) + "\n" + ind + "]"
        if type(d) is dict and d:
            inner = ind + "  "
            return "{\n" + ",\n".join(f"{inner}{dump_doc(k)}: {pretty(d[k], inner)}"
                                      for k in sorted_keys(d)) + "\n" + ind + "}"
        return dump_doc(d)
    return pretty(_doc(v, 1, "json_pretty"), "")


def _like(pattern: str, esc: str) -> Any:
    """LIKE as a regex (binary collation, as strings compare here)."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == esc and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    rx = re.compile("".join(out), re.DOTALL)
    return lambda s: rx.fullmatch(s) is not None


@_reg("JSON_SEARCH", 3, None, strict=False)
def json_search(doc: Any, mode: Any, search: Any, escape: Any = None, *paths: Any) -> Any:
    if doc is None or mode is None or search is None:
        return None
    d = _doc(doc, 1, "json_search")
    m = str(mode).lower()
    if m not in ("one", "all"):
        raise ProgrammingError("The oneOrAll argument to json_search may take these "
                               "values: 'one' or 'all'.", errno=3154, sqlstate="42000")
    esc = "\\" if escape is None or escape == "" else str(escape)
    match = _like(str(search), esc)
    found: list[str] = []

    def walk(x: Any, where: str) -> None:
        if m == "one" and found:
            return
        if type(x) is str:
            if match(x):
                found.append(where)
        elif type(x) is dict:
            for k in sorted_keys(x):
                key = k if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", k) else dump_doc(k)
                walk(x[k], f"{where}.{key}")
        elif type(x) is list:
            for i, y in enumerate(x):
                walk(y, f"{where}[{i}]")

    roots = [(d, "$")]
    if paths:
        roots = []
        for p in paths:
            pp = _path(p)
            if not pp.wild:
                roots.extend((h, pp.text.strip()) for h in find(d, pp))
    for r, where in roots:
        walk(r, where)
    if not found:
        return None
    if len(found) == 1 and m == "one":
        return JsonText.of(found[0])
    return JsonText.of(found) if m == "all" and len(found) > 1 else JsonText.of(found[0])


# --- aggregates -----------------------------------------------------------------------------


class _JsonArrayAgg:
    """JSON_ARRAYAGG: every value, NULLs as JSON null, in the order rows come."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list | None = None

    def add(self, value: Any) -> None:
        if self.items is None:
            self.items = []
        # a 1-tuple from GROUP BY (NULLs kept), the bare value from a window
        self.items.append(to_doc(value[0] if type(value) is tuple else value))

    def result(self) -> Any:
        return None if self.items is None else JsonText.of(self.items)


class _JsonObjectAgg:
    """JSON_OBJECTAGG: key/value pairs, the last value of a key kept; a NULL key is
    ERROR 3158."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: dict | None = None

    def add(self, value: Any) -> None:
        if type(value) is not tuple:  # a window passes one argument: not built
            raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                    "'JSON_OBJECTAGG as a window function'", errno=1235,
                                    sqlstate="42000")
        k, v = value
        if k is None:
            raise DataError("JSON documents may not contain NULL member names.", errno=3158,
                            sqlstate="22032")
        if self.members is None:
            self.members = {}
        self.members[k if type(k) is str else _key_text(k)] = to_doc(v)

    def result(self) -> Any:
        return None if self.members is None else JsonText.of(self.members)


def json_aggregate(name: str) -> Any:
    """A fresh accumulator of JSON_ARRAYAGG or JSON_OBJECTAGG (fed tuples, see
    `core.sql.plan.json_agg`)."""
    return _JsonArrayAgg() if name == "JSON_ARRAYAGG" else _JsonObjectAgg()
