"""JOIN ... USING and NATURAL JOIN with MySQL 8's merged columns; the comma's looser binding.

MySQL reads ``t JOIN u USING (id)`` as ``t JOIN u ON t.id = u.id`` whose result has one
column `id` (the SQL standard's coalesced column): ``SELECT *`` lists the common columns
first, then the left operand's other columns, then the right's; an unqualified `id` names
the merged column (it is not ambiguous); `t.id` and `u.id` still name each side, and `t.*`
still lists all of t.  MySQL turns a RIGHT JOIN into a LEFT JOIN by swapping its operands
before it merges, so the merged column is the left operand's column for INNER and LEFT JOIN
and the right operand's for RIGHT JOIN, and a RIGHT JOIN lists the right operand first.
The common columns come in the order of that first operand (not of the USING list), as
MySQL's `store_natural_using_join_columns` builds them.  NATURAL JOIN is USING over every
column name both operands have (none: a cross join).

Because the merged column is always one side's own column, no value is computed: `prepare`
rewrites each USING / NATURAL join of the written FROM tree into the ON it stands for (each
side's column qualified, so hash and index joins see the equality) before the planner
unnests parenthesised joins and mirrors RIGHT JOINs, and its `Merged` then tells the FROM's
final scope which columns the merge hides from unqualified names and the order ``SELECT *``
shows (`SourceScope.hidden`, `SourceScope.star`).  Unqualified merged names in ON and in
the WHERE conjuncts are qualified with the side that stands for them, so conditions are
pushed to that side's table.

The comma binds looser than JOIN: ``a, b JOIN c ON ...`` is ``a, (b JOIN c ON ...)``, and
likewise a parenthesised join's ON sees only the tables inside it.  sqlglot reads the FROM
list flat, so `prepare` checks each ON against the tables its join can see: a column of
another table of the FROM is 1054 ``Unknown column 'a.x' in 'on clause'``, as in MySQL.
(`core.sql.dialect` marks a JOIN written without a condition as CROSS, which MySQL's
``a JOIN b`` is, so it is not taken for a comma.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql.plan.right_join import _is_comma
from core.sql.plan.scope import SourceScope, inside_subquery

Pair = tuple[str, str]  # (table alias, column name), lower-cased as SourceScope keeps them


def _unknown(name: str, clause: str) -> ProgrammingError:
    return ProgrammingError(f"Unknown column '{name}' in '{clause}'", errno=1054,
                            sqlstate="42S22")


def _ambiguous(name: str, clause: str) -> ProgrammingError:
    return ProgrammingError(f"Column '{name}' in {clause} is ambiguous", errno=1052,
                            sqlstate="23000")


def _natural(j: exp.Join) -> bool:
    return (j.args.get("method") or "").upper() == "NATURAL"


@dataclass
class _Rel:
    """A FROM operand as an unqualified name sees it: its columns in ``SELECT *`` order, a
    merged column once (as the side that stands for it), and its tables' aliases."""

    cols: list[Pair]
    aliases: set[str]


@dataclass
class Merged:
    """What the USING / NATURAL joins of one FROM did to its columns (see the module)."""

    star: list[Pair]
    hidden: set[Pair] = field(default_factory=set)

    def apply(self, scope: SourceScope) -> None:
        """Tell the FROM's final scope its hidden columns and its ``SELECT *`` order."""
        pos: dict[Pair, int] = {}
        for i, (a, n) in enumerate(scope.columns):
            pos.setdefault((a or "", n), i)
        if any(p not in pos for p in self.star):  # not this FROM's scope: leave it as it is
            return
        scope.star = [pos[p] for p in self.star]
        scope.hidden = frozenset(pos[p] for p in self.hidden if p in pos)


class _Walk:
    """Walks the written FROM tree, twice and in the same order: first to find what there is
    to do (nothing changed, no table read), then, with `rewriting` set, on a copy of the
    tree to merge and check (`leaf_cols` then has each table's column names, in walk
    order, when merges or unqualified ON names need them)."""

    def __init__(self, planner: Any, outer: Any, is_group: Callable):
        self.planner = planner
        self.outer = outer
        self.is_group = is_group
        self.rewriting = False
        self.leaves: list[tuple[str, exp.Expression]] = []  # (alias, node) in walk order
        self.leaf_cols: list[list[Pair]] | None = None  # per leaf, when names are needed
        self.merge_found = False  # a USING or NATURAL join
        self.check_found = False  # an ON that does not see every table before it
        self.unqualified = False  # ... and names a column without its table
        self.hidden: set[Pair] = set()
        self.merged_names: set[str] = set()
        self.aliases: set[str] = set()  # every table alias of this FROM (first walk)

    def top(self, first: exp.Expression, joins: list[exp.Join]) -> _Rel:
        self.leaves = []
        return self.level(self.node(first, False), joins, False)

    def node(self, node: exp.Expression, nested: bool = True) -> _Rel:
        """A FROM item followed by the joins sqlglot hangs on it (a parenthesised join)."""
        return self.level(self.item(node), node.args.get("joins") or [], nested)

    def item(self, node: exp.Expression) -> _Rel:
        if self.is_group(node):
            return self.node(node.this)
        alias = (node.alias_or_name if isinstance(node, (exp.Table, exp.Subquery)) else "")
        alias = alias.lower()
        k = len(self.leaves)
        self.leaves.append((alias, node))
        cols = self.leaf_cols[k] if self.leaf_cols is not None else []
        return _Rel(list(cols), {alias})

    def level(self, first: _Rel, joins: list[exp.Join], nested: bool) -> _Rel:
        """One list of joins: a comma closes the operand the next ON sees (see the module);
        a parenthesised list's ON never sees the tables outside it."""
        done: list[_Rel] = []
        seg = first
        for j in joins:
            if self.rewriting and j.this.args.get("joins") and not self.is_group(j.this):
                # ``a JOIN b JOIN c ON x ON y``: sqlglot hangs ``JOIN c ON x`` on b; it is
                # ``a JOIN (b JOIN c ON x) ON y``, which the planner reads as a group
                j.set("this", exp.Subquery(this=j.this))
            right = self.node(j.this)
            if _is_comma(j):
                done.append(seg)
                seg = right
                nested = True
                continue
            if j.args.get("using") or _natural(j):
                self.merge_found = True
                if self.rewriting:
                    seg = self.merge(j, seg, right)
                    continue
            elif j.args.get("on") is not None:
                if self.rewriting:
                    if nested or self.leaf_cols is not None:
                        self.check_on(j.args["on"], seg, right)
                elif nested:
                    self.check_found = True
                    self.unqualified = self.unqualified or _unqualified(j.args["on"])
            seg = _Rel(seg.cols + right.cols, seg.aliases | right.aliases)
        done.append(seg)
        return _Rel([c for r in done for c in r.cols], set().union(*(r.aliases for r in done)))

    # -- USING / NATURAL ----------------------------------------------------------------------

    def merge(self, j: exp.Join, left: _Rel, right: _Rel) -> _Rel:
        rnames = {n for _a, n in right.cols}
        if _natural(j):
            names = [n for _a, n in left.cols if n in rnames]
        else:
            names = [ident.name.lower() for ident in j.args["using"]]
        names = list(dict.fromkeys(names))
        eqs = []
        for name in names:
            lhits = [c for c in left.cols if c[1] == name]
            rhits = [c for c in right.cols if c[1] == name]
            if not lhits or not rhits:
                raise _unknown(name, "from clause")
            if len(lhits) > 1 or len(rhits) > 1:
                raise _ambiguous(name, "from clause")
            eqs.append(exp.EQ(this=exp.column(name, table=lhits[0][0]),
                              expression=exp.column(name, table=rhits[0][0])))
        common = set(names)
        # MySQL mirrors a RIGHT JOIN first: its right operand leads and stands for the merge
        lead, other = (right, left) if (j.args.get("side") or "").upper() == "RIGHT" \
            else (left, right)
        cols = [c for c in lead.cols if c[1] in common] + \
            [c for c in lead.cols if c[1] not in common] + \
            [c for c in other.cols if c[1] not in common]
        self.hidden.update(c for c in other.cols if c[1] in common)
        self.merged_names |= common
        j.set("using", None)
        j.set("method", None)
        if eqs:
            j.set("on", exp.and_(*eqs))
        elif j.args.get("side"):
            j.set("on", exp.true())
        else:
            j.set("kind", "CROSS")  # NATURAL JOIN without a common column
        return _Rel(cols, left.aliases | right.aliases)

    # -- ON -----------------------------------------------------------------------------------

    def check_on(self, on: exp.Expression, left: _Rel, right: _Rel) -> None:
        """The ON of a join sees its two operands only (and the enclosing query's columns):
        a column of another table of this FROM is 1054; an unqualified name is qualified
        with the one visible table that has it (two: 1052)."""
        seen = left.aliases | right.aliases
        everywhere = self.aliases
        visible = left.cols + right.cols
        for col in list(on.find_all(exp.Column)):
            if isinstance(col.this, exp.Star) or inside_subquery(col, on):
                continue
            table = col.table.lower()
            if table:
                if table in everywhere and table not in seen:
                    raise _unknown(f"{col.table}.{col.name}", "on clause")
                continue
            if self.leaf_cols is None:
                continue
            name = col.name.lower()
            hits = [a for a, n in visible if n == name]
            if len(hits) > 1:
                raise _ambiguous(col.name, "on clause")
            if hits:
                col.set("table", exp.to_identifier(hits[0]))
            elif any(n == name for cols in self.leaf_cols for _a, n in cols):
                raise _unknown(col.name, "on clause")


def _unqualified(on: exp.Expression) -> bool:
    return any(not c.table and not isinstance(c.this, exp.Star) and not inside_subquery(c, on)
               for c in on.find_all(exp.Column))


def prepare(planner: Any, first: exp.Expression, joins: list[exp.Join], where: list,
            outer: Any, is_group: Callable
            ) -> tuple[exp.Expression, list[exp.Join], list, Merged | None]:
    """The FROM list with USING and NATURAL joins written as ON, its ON conditions checked
    against the tables they can see, and the WHERE conjuncts' unqualified merged names
    qualified; with the `Merged` for the final scope (None when nothing merged).  The
    statement's own nodes are not changed: a tree may be planned again (a view keeps its
    parsed SELECT).  Naming the columns plans a derived table of such a FROM twice."""
    walk = _Walk(planner, outer, is_group)
    walk.top(first, joins)
    walk.aliases = {a for a, _node in walk.leaves}
    if len(walk.aliases) < len(walk.leaves):  # `t JOIN t`, `t AS x, u AS x`: MySQL's 1066
        seen: set[tuple[str, str]] = set()
        for a, node in walk.leaves:
            # an unaliased table is named with its database (d.t and e.t may meet)
            db = node.db.lower() if isinstance(node, exp.Table) and not node.alias else ""
            if a and (db, a) in seen:
                raise ProgrammingError(f"Not unique table/alias: '{a}'", errno=1066,
                                       sqlstate="42000")
            seen.add((db, a))
    if not (walk.merge_found or walk.check_found):
        return first, joins, where, None
    if walk.merge_found or walk.unqualified:
        # every table's column names, an ON's unqualified name may be a later table's
        walk.leaf_cols = [[(a, c.lower()) for c in planner._source(node, outer).columns]
                          for a, node in walk.leaves]
    first = first.copy()
    joins = [j.copy() for j in joins]
    walk.rewriting = True
    rel = walk.top(first, joins)
    if not walk.merged_names:
        return first, joins, where, None
    stands = {n: [a for a, m in rel.cols if m == n] for n in walk.merged_names}
    stands = {n: hits[0] for n, hits in stands.items() if len(hits) == 1}
    out = []
    for c in where:
        if any(not col.table and col.name.lower() in stands for col in c.find_all(exp.Column)) \
                and not any(True for _ in c.find_all(exp.Select, exp.Subquery, exp.Exists)):
            c = c.copy()
            for col in c.find_all(exp.Column):
                if not col.table and col.name.lower() in stands:
                    col.set("table", exp.to_identifier(stands[col.name.lower()]))
        out.append(c)
    return first, joins, out, Merged(rel.cols, walk.hidden)
