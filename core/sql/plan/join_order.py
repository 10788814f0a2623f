"""The order in which a SELECT's inner joins are built.

The planner joins left-deep: each source is joined to everything before it, by key lookup
or hashing when an equality connects the two sides, by a nested loop otherwise.  In written
order, ``FROM t48, t57, t27, t2 WHERE b30 = a48 AND ...`` joins t48 with t57 before any
condition connects them: a cross product at every step, 10^8 rows for sqllogictest's
8-table joins where the answer has one.  Inner joins commute (MySQL reorders them too), so
for a FROM list made only of commas, ``JOIN ... ON``, ``INNER`` and ``CROSS`` joins the
sources are taken greedily: the smallest estimated source first, then always a source
connected to those already joined by an equality (smallest first), a cross product only
when nothing connects.  The ON conditions join the WHERE conditions (for inner joins they
filter the same rows) so each is applied at the first join where all its columns exist
(`SelectPlanner._plan_from`).  Outer joins, USING, NATURAL and STRAIGHT_JOIN keep the
written order, as does a FROM list with a parenthesised group the planner reads as one
source.  The estimates are coarse on purpose (row counts from LMDB's entry counts, a fixed
selectivity per condition): they only have to tell a filtered or single-row source from a
large one and a connected join from a cross product.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

# derived tables, CTEs and virtual tables: no count is known before they run
UNKNOWN_ROWS = 1000
# the fraction of rows a condition on one source keeps, by kind of condition
_EQ_SELECTIVITY = 0.1
_OTHER_SELECTIVITY = 0.3


def reorderable(first: exp.Expression, joins: Sequence[exp.Join], written: Any,
                straight: bool) -> bool:
    """Whether the FROM list may be joined in any order: inner joins only, each source a
    table or derived table (not a parenthesised join kept as one source)."""
    if straight or written is not None or len(joins) < 1:
        return False
    for j in joins:
        side = (j.args.get("side") or "").upper()
        kind = (j.args.get("kind") or "").upper()
        if side or kind not in ("", "INNER", "CROSS") or j.args.get("using") or \
                j.args.get("method"):
            return False
    return all(isinstance(n, (exp.Table, exp.Subquery)) and not n.args.get("joins")
               and not (isinstance(n, exp.Subquery) and not n.alias)
               for n in [first, *(j.this for j in joins)])


def choose(sources: Sequence[Any], conds: Sequence[exp.Expression],
           owner: Callable[[exp.Column], int | None],
           estimate: Callable[[Any], int]) -> list[int]:
    """Source positions in join order.

    `owner` names the source a column belongs to (None: an outer reference or unknown);
    `estimate` gives a source's row count before conditions."""
    n = len(sources)
    local: list[list[exp.Expression]] = [[] for _ in range(n)]
    edges: list[set[int]] = [set() for _ in range(n)]  # equality-connected sources
    for c in conds:
        owners = {owner(col) for col in c.find_all(exp.Column)}
        owners.discard(None)
        if len(owners) == 1:
            local[owners.pop()].append(c)
        elif len(owners) == 2 and _is_column_equality(c):
            a, b = owners
            edges[a].add(b)
            edges[b].add(a)
    rows = [_filtered(estimate(s), local[i], s) for i, s in enumerate(sources)]
    order = [min(range(n), key=lambda i: (rows[i], i))]
    joined = set(order)
    while len(order) < n:
        rest = [i for i in range(n) if i not in joined]
        connected = [i for i in rest if edges[i] & joined]
        pick = min(connected or rest, key=lambda i: (rows[i], i))
        order.append(pick)
        joined.add(pick)
    return order


def _is_column_equality(c: exp.Expression) -> bool:
    return isinstance(c, exp.EQ) and isinstance(c.this, exp.Column) and \
        isinstance(c.expression, exp.Column)


def _filtered(rows: int, conds: list[exp.Expression], source: Any) -> float:
    """`rows` after the source's own conditions: one row for an equality on a unique key."""
    est = float(max(rows, 1))
    unique = _unique_columns(source)
    for c in conds:
        if isinstance(c, exp.EQ):
            col = c.this if isinstance(c.this, exp.Column) else c.expression
            if isinstance(col, exp.Column) and col.name.lower() in unique:
                return 1.0
            est *= _EQ_SELECTIVITY
        else:
            est *= _OTHER_SELECTIVITY
    return max(est, 1.0)


def _unique_columns(source: Any) -> set[str]:
    """Columns that alone identify a row of the source's table (a one-column primary or
    unique key)."""
    t = getattr(source, "table", None)
    if t is None:
        return set()
    out = {t.pk_columns[0].lower()} if len(t.pk_columns) == 1 else set()
    for ix in t.indexes:
        if ix.unique and len(ix.columns) == 1 and ix.state == "public":
            out.add(ix.columns[0].lower())
    return out
