"""An expression as mysqld prints it in an error message (its ``Item::print``), for the text
of ERROR 1690 "BIGINT UNSIGNED value is out of range in '(`db`.`t`.`u` - 100)'".

mysqld prints the expression it resolved, not the one that was typed: every binary operator
in its own parentheses (``a + b + c`` is ``((a + b) + c)``, the user's parentheses gone),
columns qualified by database and table alias in backquotes, CAST and function names in lower
case (``cast(0 as unsigned)``, ``abs(x)``), arguments separated by a bare comma.  What this
module does not know how to print falls back to sqlglot's MySQL rendering, and a column whose
table the scope cannot tell (a derived table, an outer query's column) is printed as written.
Only ever called when an error is raised, so its cost does not matter.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

_BINARY = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.IntDiv: "DIV",
           exp.Mod: "%", exp.BitwiseAnd: "&", exp.BitwiseOr: "|", exp.BitwiseXor: "^",
           exp.BitwiseLeftShift: "<<", exp.BitwiseRightShift: ">>", exp.EQ: "=",
           exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=",
           exp.NullSafeEQ: "<=>"}
_DT = exp.DataType.Type
_CAST_NAMES = {
    **dict.fromkeys((_DT.UBIGINT, _DT.UINT, _DT.USMALLINT, _DT.UTINYINT, _DT.UMEDIUMINT),
                    "unsigned"),
    **dict.fromkeys((_DT.BIGINT, _DT.INT, _DT.SMALLINT, _DT.TINYINT, _DT.MEDIUMINT),
                    "signed"),
    _DT.DOUBLE: "double", _DT.FLOAT: "float", _DT.DATE: "date", _DT.DATETIME: "datetime",
    _DT.TIME: "time",
}
_FUNCTIONS = {exp.Abs: "abs", exp.Floor: "floor", exp.Ceil: "ceiling", exp.Sum: "sum",
              exp.Avg: "avg", exp.Min: "min", exp.Max: "max", exp.Count: "count",
              exp.Coalesce: "coalesce", exp.Nullif: "nullif", exp.Greatest: "greatest",
              exp.Least: "least", exp.Round: "round", exp.Trunc: "truncate", exp.If: "if"}


def item_text(node: exp.Expression, scope: Any = None) -> str:
    """`node` printed as mysqld prints it in ERROR 1690 (see the module docstring); `scope`
    (a `core.sql.plan.scope.SourceScope`, or anything without `qualifiers`) tells each
    column's database and table alias."""
    try:
        return _text(node, scope)
    except Exception:  # noqa: BLE001 - a message must never fail: sqlglot's rendering then
        return node.sql(dialect="mysql")


def _text(node: exp.Expression, scope: Any) -> str:
    while isinstance(node, exp.Paren):
        node = node.this
    op = _BINARY.get(type(node))
    if op is not None:
        return f"({_text(node.this, scope)} {op} {_text(node.expression, scope)})"
    if isinstance(node, exp.Column):
        return _column(node, scope)
    if isinstance(node, exp.Neg):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return f"-{inner.this}"  # the parser's negative literal
        return f"-({_text(inner, scope)})"
    if isinstance(node, exp.Cast):
        return f"cast({_text(node.this, scope)} as {_cast_target(node.args['to'])})"
    if isinstance(node, exp.Literal) and not node.is_string:
        return node.this
    name = _FUNCTIONS.get(type(node))
    if name is not None:
        args = [node.this] if node.this is not None else []
        if isinstance(node, exp.If):
            args = [node.this, node.args.get("true"), node.args.get("false")]
        elif isinstance(node, exp.Nullif):
            args = [node.this, node.expression]
        elif isinstance(node, exp.Round | exp.Trunc):
            d = node.args.get("decimals")
            if d is not None:
                args.append(d)
        else:
            args += list(node.expressions)
        if isinstance(node, exp.Count) and (not args or isinstance(args[0], exp.Star)):
            return "count(0)"
        parts = []
        for a in args:
            if a is None:
                parts.append("NULL")
            elif isinstance(a, exp.Distinct):
                parts.append("distinct " + ",".join(_text(x, scope) for x in a.expressions))
            else:
                parts.append(_text(a, scope))
        return f"{name}({','.join(parts)})"
    return node.sql(dialect="mysql")


def _cast_target(to: exp.Expression) -> str:
    if isinstance(to, exp.DataType):
        name = _CAST_NAMES.get(to.this)
        if name is not None:
            return name
        if to.this in (_DT.DECIMAL, _DT.UDECIMAL):
            params = [p.sql(dialect="mysql") for p in to.expressions]
            return f"decimal({','.join(params) if params else '10,0'})" if len(params) != 1 \
                else f"decimal({params[0]},0)"
    return to.sql(dialect="mysql").lower()


def _column(node: exp.Column, scope: Any) -> str:
    quals = getattr(scope, "qualifiers", None)
    if quals and not isinstance(node.this, exp.Star):
        hits = scope.find(node.table or None, node.name)
        if len(hits) == 1 and hits[0] in quals:
            db, alias = quals[hits[0]]
            name = scope.names[hits[0]]
            return f"`{db}`.`{alias}`.`{name}`"
    return node.sql(dialect="mysql")
