"""JSON expressions: the nodes sqlglot parses JSON syntax into (``->``, ``->>``,
JSON_EXTRACT, JSON_OBJECT, JSON_ARRAY, JSON_SET, JSON_REMOVE, MEMBER OF, ...) mapped onto
`core.sql.functions.json`, and the read of a JSON column as a JSON value.

Two things need the expression and not just its value, which is why these are compiled
here and not through the plain registry call: a predicate given as a value (``JSON_ARRAY(1
= 1)``, ``JSON_OBJECT('ok', TRUE)``) is JSON true/false in MySQL, not 1/0; and a column
declared JSON is read as a `JsonText` (its stored text is canonical, so no parsing happens
until a path function needs the document).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from core.sql.dialect import JSONObjectCall
from core.sql.expr.cast import cast_function
from core.sql.expr.compiler import _Compiler, _handles, _is_boolean
from core.sql.expr.scope import Row, RowFn
from core.sql.functions import json as J
from core.sql.functions.registry import FUNCTIONS, FunctionDef
from core.sql.types import UnsupportedError
from core.sql.types.json import JsonText, sql_scalar


def _as_bool(f: RowFn) -> RowFn:
    def boolean(row: Row) -> Any:
        v = f(row)
        return None if v is None else bool(v)

    return boolean


def _arg(c: _Compiler, node: exp.Expression, as_value: bool) -> RowFn:
    f = c.fn(node)
    if as_value and not isinstance(node, exp.Null) and _is_boolean(node):
        return _as_bool(f)
    return f


def _json_call(c: _Compiler, impl: Callable[..., Any], nodes: Sequence[exp.Expression],
               strict: bool = True, values: Callable[[int], bool] = lambda i: False) -> RowFn:
    """``impl(*args)`` per row; `strict`: a NULL argument gives NULL; `values(i)`: argument
    i is embedded in a document (so a predicate there is true/false)."""
    fns = [_arg(c, n, values(i)) for i, n in enumerate(nodes)]
    if strict:
        def call_strict(row: Row) -> Any:
            vals = [f(row) for f in fns]
            for v in vals:
                if v is None:
                    return None
            return impl(*vals)

        return call_strict

    def call(row: Row) -> Any:
        return impl(*[f(row) for f in fns])

    return call


@_handles(exp.JSONExtract)
def _extract(c: _Compiler, node: exp.JSONExtract) -> RowFn:
    return _json_call(c, J.json_extract,
                      [node.this, node.expression, *(node.expressions or [])])


@_handles(exp.JSONExtractScalar)
def _extract_unquoted(c: _Compiler, node: exp.JSONExtractScalar) -> RowFn:
    return _json_call(c, J.json_extract_unquoted, [node.this, node.expression])


@_handles(exp.JSONObject)
def _object(c: _Compiler, node: exp.JSONObject) -> RowFn:
    nodes: list[exp.Expression] = []
    for kv in node.expressions or []:
        nodes.extend([kv.this, kv.expression])
    return _json_call(c, J.json_object, nodes, strict=False, values=lambda i: i % 2 == 1)


@_handles(JSONObjectCall)
def _object_call(c: _Compiler, node: JSONObjectCall) -> RowFn:
    return _json_call(c, J.json_object, list(node.expressions or []), strict=False,
                      values=lambda i: i % 2 == 1)


@_handles(exp.JSONArray)
def _array(c: _Compiler, node: exp.JSONArray) -> RowFn:
    return _json_call(c, J.json_array, list(node.expressions or []), strict=False,
                      values=lambda i: True)


@_handles(exp.JSONType)
def _type(c: _Compiler, node: exp.JSONType) -> RowFn:
    return _json_call(c, J.json_type, [node.this])


@_handles(exp.JSONKeys)
def _keys(c: _Compiler, node: exp.JSONKeys) -> RowFn:
    nodes = [node.this] + ([node.expression] if node.args.get("expression") else []) + \
        list(node.expressions or [])
    return _json_call(c, J.json_keys, nodes)


_MODIFIERS: dict[type, Callable[..., Any]] = {
    exp.JSONSet: J.json_set, exp.JSONArrayAppend: J.json_array_append,
    exp.JSONArrayInsert: J.json_array_insert,
}


@_handles(exp.JSONSet, exp.JSONArrayAppend, exp.JSONArrayInsert)
def _modify(c: _Compiler, node: exp.Expression) -> RowFn:
    args = list(node.expressions or [])
    return _json_call(c, _MODIFIERS[type(node)], [node.this, *args], strict=False,
                      values=lambda i: i > 0 and i % 2 == 0)


@_handles(exp.JSONRemove)
def _remove(c: _Compiler, node: exp.JSONRemove) -> RowFn:
    return _json_call(c, J.json_remove, [node.this, *(node.expressions or [])])


@_handles(exp.JSONArrayContains)
def _member_of(c: _Compiler, node: exp.JSONArrayContains) -> RowFn:
    return _json_call(c, J.member_of, [node.this, node.expression], values=lambda i: i == 0)


def json_column(getter: RowFn) -> RowFn:
    """The read of a JSON column: its stored (canonical) text as a JSON value."""
    def read_json(row: Row) -> Any:
        v = getter(row)
        return JsonText(v) if type(v) is str else v

    return read_json


@_handles(exp.JSONValue)
def _value(c: _Compiler, node: exp.JSONValue) -> RowFn:
    """JSON_VALUE(doc, path [RETURNING type]): the scalar at the path, unquoted, converted
    to the type (NULL when there is none or it is an array or object: MySQL's default NULL
    ON EMPTY / NULL ON ERROR)."""
    if node.args.get("on_condition") is not None:
        raise UnsupportedError("This version of KintsugiDB doesn't yet support "
                               "'JSON_VALUE ... ON EMPTY / ON ERROR'")
    to = node.args.get("returning")
    conv = cast_function(to) if isinstance(to, exp.DataType) else None

    def value(doc: Any, path: Any) -> Any:
        r = J.json_extract(doc, path)
        if r is None or type(r.doc) in (list, dict):
            return None
        v = sql_scalar(r)
        return conv(v) if conv is not None else (v if type(v) is str else str(r))

    return _json_call(c, value, [node.this, node.args["path"]])


def _not_built(name: str) -> Callable[..., Any]:
    def refuse(ctx: Any, fns: Any) -> Any:
        raise UnsupportedError(f"This version of KintsugiDB doesn't yet support '{name}'")

    return refuse


# MySQL's other JSON functions: 1235 naming them, not 1305 "does not exist"
for _name in ("JSON_SCHEMA_VALID", "JSON_SCHEMA_VALIDATION_REPORT", "JSON_STORAGE_SIZE",
              "JSON_STORAGE_FREE"):
    FUNCTIONS[_name] = FunctionDef(_name, _not_built(_name), 0, None, factory=True)
