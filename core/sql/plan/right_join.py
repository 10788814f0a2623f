"""RIGHT JOIN, planned as the LEFT JOIN it mirrors.

``a RIGHT JOIN b ON c`` keeps every row of b, so it is ``b LEFT JOIN a ON c``; in a chain
the left side is everything joined so far (``a JOIN b RIGHT JOIN c ON x`` is ``c LEFT JOIN
(a JOIN b) ON x``), a parenthesised join the planner already reads as one source.  A comma
binds looser than any JOIN in MySQL, so the left side stops at the last comma.  The rows then
come with the preserved side's columns first; `reorder` puts them back in the written order,
which ``SELECT *`` shows.  Rewriting the FROM list keeps one join operator for both sides
(the hash, index and nested-loop joins need no mirrored variant).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.sql.plan.ops import Operator, Project
from core.sql.plan.scope import SourceScope


def _side(j: exp.Join) -> str:
    return (j.args.get("side") or "").upper()


def _is_comma(j: exp.Join) -> bool:
    """A comma in FROM reads as a join with no side, kind, ON or USING."""
    return not (j.args.get("side") or j.args.get("kind") or j.args.get("on")
                or j.args.get("using") or j.args.get("method"))


def _group(first: exp.Expression, joins: list[exp.Join]) -> exp.Expression:
    """``(first joins...)`` as sqlglot reads a parenthesised join."""
    if not joins:
        return first
    head = first.copy()
    head.set("joins", [j.copy() for j in joins])
    return exp.Subquery(this=head)


def written_aliases(first: exp.Expression, joins: list[exp.Join], flatten) -> list[str]:
    """The table aliases of a FROM list in written order (parenthesised joins opened)."""
    out: list[str] = []

    def walk(node: exp.Expression) -> None:
        f, js = flatten(node)
        if f is node and not js:
            name = node.alias_or_name if isinstance(node, (exp.Table, exp.Subquery)) else ""
            out.append(name.lower())
            return
        walk(f)
        for j in js:
            walk(j.this)

    walk(first)
    for j in joins:
        walk(j.this)
    return out


def rewrite(first: exp.Expression, joins: list[exp.Join], flatten
            ) -> tuple[exp.Expression, list[exp.Join], list[str] | None]:
    """The FROM list with each RIGHT JOIN turned into a LEFT JOIN (see the module), and the
    written order of its table aliases for `reorder`; None when there was no RIGHT JOIN."""
    if not any(_side(j) == "RIGHT" for j in joins):
        return first, joins, None
    order = written_aliases(first, joins, flatten)
    out_first: exp.Expression | None = None
    out_joins: list[exp.Join] = []
    seg_first, seg_joins, seg_comma = first, [], None  # the current comma-separated item

    def flush() -> None:
        nonlocal out_first
        if out_first is None:
            out_first = seg_first
        else:
            cj = seg_comma.copy()
            cj.set("this", seg_first)
            out_joins.append(cj)
        out_joins.extend(seg_joins)

    for j in joins:
        if _is_comma(j):
            flush()
            seg_first, seg_joins, seg_comma = j.this, [], j
        elif _side(j) == "RIGHT":
            left = j.copy()
            left.set("side", "LEFT")
            left.set("this", _group(seg_first, seg_joins))
            seg_first, seg_joins = j.this, [left]
        else:
            seg_joins.append(j)
    flush()
    assert out_first is not None
    return out_first, out_joins, order


def reorder(op: Operator, scope: SourceScope, order: list[str]) -> tuple[Operator, SourceScope]:
    """The joined rows' columns in the written order of their tables (a stable reorder by
    table alias: each table's own columns keep their order)."""
    rank = {a: i for i, a in reversed(list(enumerate(order)))}
    perm = sorted(range(len(scope.columns)),
                  key=lambda i: rank.get(scope.columns[i][0] or "", len(order)))
    if perm == list(range(len(perm))):
        return op, scope
    new = SourceScope([(scope.columns[i][0], scope.names[i]) for i in perm],
                      outer=scope.outer)
    new.kinds = {k: scope.kinds[i] for k, i in enumerate(perm) if i in scope.kinds}
    new.qualifiers = {k: scope.qualifiers[i] for k, i in enumerate(perm)
                      if i in scope.qualifiers}
    getters: list[Any] = [(lambda r, i=i: r[i]) for i in perm]
    return Project(op, getters, "right join column order"), new
