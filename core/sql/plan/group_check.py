"""ONLY_FULL_GROUP_BY, as MySQL 8 enforces it (errors 1055 and 1140).

A grouped query may show, filter on (HAVING) and sort by (ORDER BY) only what has one value
per group: aggregates, ANY_VALUE(), the GROUP BY expressions themselves, and columns that are
*functionally dependent* on the grouped ones.  MySQL 8 finds the dependencies this module
finds (manual, "Detection of Functional Dependence"):

* a column named in GROUP BY;
* every column of a table whose PRIMARY KEY, or a UNIQUE key over NOT NULL columns, is
  entirely determined;
* a column equal, in WHERE or an inner join's ON (or USING), to a constant or to a
  determined column or expression;
* an expression built only from determined columns, and an expression written in GROUP BY;
* a column of a derived table or CTE, through its definition (a grouped definition's
  columns all follow from its own GROUP BY).

A false 1055 on a query MySQL accepts is as bad as a missed one, so whatever this module
cannot see through (a view, an information_schema table, a UNION or recursive CTE, a
derived table written with ``*``, a name it cannot place) counts as determined: when in
doubt, the query is accepted.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql import sqlmode
from core.sql.plan.aggregates import AGGREGATES as _AGGREGATES

_QUERY = (exp.Select, exp.Subquery, exp.Union, exp.Intersect, exp.Except)
_VOLATILE = frozenset({"RAND", "UUID", "UUID_SHORT", "SYSDATE", "CONNECTION_ID",
                       "LAST_INSERT_ID", "ROW_COUNT", "FOUND_ROWS", "SLEEP"})
_UNSURE = None  # a determination this module cannot make: counts as determined


def _any_value(node: exp.Expression) -> bool:
    return isinstance(node, exp.AnyValue) or (
        isinstance(node, exp.Anonymous) and str(node.name).upper() == "ANY_VALUE")


def check(planner: Any, sel: exp.Select, select_exprs: list[exp.Expression],
          scope: Any) -> None:
    """Raise 1055/1140 if the grouped or aggregated `sel` (its select list already expanded,
    `scope` its FROM's columns) breaks ONLY_FULL_GROUP_BY; nothing when the mode is off."""
    if not sqlmode.only_full_group_by(planner.ctx):
        return
    columns: dict[str, list[str]] = {}
    for a, n in scope.columns:
        if a is not None and not n.startswith("\0"):
            columns.setdefault(a, []).append(n)
    block = _Block(planner, sel, columns)
    group = sel.args.get("group")
    groups = [_group_target(g, select_exprs, block) for g in
              (group.expressions if group else [])]
    determined, exprs = block.closure(groups)
    aliases = {e.alias.lower() for e in select_exprs if isinstance(e, exp.Alias)}
    implicit = not groups
    places: list[tuple[str, list[exp.Expression]]] = [
        ("SELECT list", [e.unalias() if isinstance(e, exp.Alias) else e
                         for e in select_exprs])]
    having = sel.args.get("having")
    if having is not None:
        places.append(("HAVING clause", [having.this]))
    order = sel.args.get("order")
    if order is not None and not implicit:  # one row: mysqld drops the ORDER BY first
        places.append(("ORDER BY clause", [o.this for o in order.expressions]))
    for place, nodes in places:
        by_name = place != "SELECT list"
        for n, node in enumerate(nodes, start=1):
            if by_name and isinstance(node, exp.Literal) and node.is_int:
                continue  # ORDER BY 2: the select list's item, checked there
            bad = block.offending(node, determined, exprs, aliases if by_name else set())
            if bad is None:
                continue
            if implicit:
                raise ProgrammingError(
                    f"In aggregated query without GROUP BY, expression #{n} of {place} "
                    f"contains nonaggregated column '{bad}'; this is incompatible with "
                    "sql_mode=only_full_group_by", errno=1140, sqlstate="42000")
            raise ProgrammingError(
                f"Expression #{n} of {place} is not in GROUP BY clause and contains "
                f"nonaggregated column '{bad}' which is not functionally dependent on "
                "columns in GROUP BY clause; this is incompatible with "
                "sql_mode=only_full_group_by", errno=1055, sqlstate="42000")


def _group_target(g: exp.Expression, select_exprs: list[exp.Expression],
                  block: _Block) -> exp.Expression:
    """A GROUP BY item as the expression it groups by: a position or a select alias is the
    select list's expression (as the planner reads them)."""
    if isinstance(g, exp.Literal) and g.is_int:
        idx = int(g.this) - 1
        if 0 <= idx < len(select_exprs):
            e = select_exprs[idx]
            return e.unalias() if isinstance(e, exp.Alias) else e
    if isinstance(g, exp.Column) and not g.table and block.place(g) is None:
        for e in select_exprs:
            if isinstance(e, exp.Alias) and e.alias.lower() == g.name.lower():
                return e.unalias()
    return g


class _Src:
    """One FROM item of a query block: a base table (its keys known), a derived table or
    CTE (its definition known), or something this module does not see into."""

    def __init__(self, alias: str, written: str, columns: list[str] | None):
        self.alias = alias
        self.written = written
        self.columns = columns  # lower-case names; None: unknown
        self._table: Any = None
        self.db: str = ""
        self.resolve: Any = None  # () -> None: looks the table up on first need
        self.query: exp.Select | None = None  # a derived table's or CTE's SELECT
        self.names: list[str] | None = None  # its output names (lower case), by position
        self._inner: _Block | None = None

    @property
    def table(self) -> Any:
        """The base table's TableInfo (None for anything else), looked up when first asked:
        a grouped query whose columns are all grouped never needs it."""
        if self.resolve is not None:
            resolve, self.resolve = self.resolve, None
            resolve(self)
        return self._table

    def keys(self) -> list[list[str]]:
        """Column sets that identify a row: the primary key, UNIQUE keys over NOT NULL
        columns (a nullable unique column may repeat NULL)."""
        t = self.table
        if t is None:
            return []
        out = []
        if t.pk_columns:
            out.append([c.lower() for c in t.pk_columns])
        for ix in t.indexes:
            if not ix.unique or ix.primary or getattr(ix, "state", "public") != "public":
                continue
            cols = [c.split("(")[0].strip().lower() for c in ix.columns]
            if all(t.column(c) is not None and not t.column(c).nullable for c in cols):
                out.append(cols)
        return out

    def column_name(self, name: str) -> str:
        if self.table is not None:
            col = self.table.column(name)
            if col is not None:
                return col.name
        return name


class _Block:
    """One SELECT's FROM items and the equalities its WHERE and inner joins promise."""

    def __init__(self, planner: Any, sel: exp.Select,
                 columns: dict[str, list[str]] | None = None, depth: int = 0):
        self.planner = planner
        self.sel = sel
        self.depth = depth
        self.srcs: dict[str, _Src] = {}
        self.conds: list[exp.Expression] = list(_conjuncts(
            sel.args.get("where").this if sel.args.get("where") else None))
        self.using: set[str] = set()
        self.outer_ons: list[tuple[set[str], list[exp.Expression]]] = []
        self.complete = True  # every FROM item understood (names placeable)
        from_ = sel.args.get("from_")
        if from_ is not None:
            self._walk(from_.this, columns)
        for j in sel.args.get("joins") or []:
            self._join(j, columns)

    # -- FROM -----------------------------------------------------------------------------

    def _join(self, j: exp.Join, columns) -> None:
        before = set(self.srcs)
        self._walk(j.this, columns)
        side = (j.args.get("side") or "").upper()
        kind = (j.args.get("kind") or "").upper()
        if side in ("LEFT", "RIGHT") and kind != "NATURAL":
            # an outer join's ON: its equalities fix an inner-side column only where every
            # preserved-side column the ON reads is determined (else one group may mix
            # matched rows with NULL-padded ones)
            joined = set(self.srcs) - before
            inner = joined if side == "LEFT" else before
            self.outer_ons.append((inner, _conjuncts(j.args.get("on"))))
            return
        if side or kind in ("FULL", "NATURAL"):
            return
        self.conds.extend(_conjuncts(j.args.get("on")))
        for ident in j.args.get("using") or []:
            self.using.add(ident.name.lower())

    def _walk(self, node: exp.Expression, columns) -> None:
        if isinstance(node, exp.Subquery) and not node.alias:  # a parenthesised join
            self._walk(node.this, columns)
            for j in node.args.get("joins") or []:
                self._join(j, columns)
            return
        if isinstance(node, exp.Table):
            self._add_table(node, columns)
            for j in node.args.get("joins") or []:
                self._join(j, columns)
            return
        if isinstance(node, exp.Subquery):
            alias = node.alias_or_name.lower()
            src = _Src(alias, node.alias_or_name, (columns or {}).get(alias))
            self._definition(src, node.this, [c.name for c in
                                              (node.args.get("alias").columns
                                               if node.args.get("alias") else [])])
            self.srcs[alias] = src
            return
        self.complete = False

    def _add_table(self, node: exp.Table, columns) -> None:
        alias = node.alias_or_name.lower()
        src = _Src(alias, node.alias_or_name, (columns or {}).get(alias))
        self.srcs[alias] = src
        cte = None if node.args.get("db") else _cte(self.planner, node.name)
        if cte is not None:
            if not cte.recursive:
                self._definition(src, cte.query, list(cte.columns or []))
            return
        if (node.db or "").lower() == "information_schema":
            return  # not seen into (and its rows are not computed twice)
        planner = self.planner

        def resolve(src: _Src) -> None:
            try:
                resolved = planner.resolve_table(node.db or None, node.name)
            except Exception:  # noqa: BLE001 - the planner reports it with its own error
                return
            if hasattr(resolved, "pk_columns"):  # a base table
                src._table = resolved
                src.db = resolved.schema
                if src.columns is None:
                    src.columns = [c.name.lower() for c in resolved.columns]
                return
            view = getattr(resolved, "view", None)  # a view: seen through as a derived table
            if view is not None and self.depth < 8:
                src.db, query, names = view
                self._definition(src, query, names)

        src.resolve = resolve
        if src.columns is None:  # a block inside a definition: names must be placeable
            resolve(src)
            if src.columns is None:
                self.complete = False

    def _definition(self, src: _Src, query: exp.Expression, names: list[str]) -> None:
        """A derived table's or CTE's SELECT, when it is one plain block without ``*``."""
        if not isinstance(query, exp.Select) or query.args.get("with_") is not None:
            return
        if any(isinstance(e, exp.Star) or (isinstance(e, exp.Column) and
                                           isinstance(e.this, exp.Star))
               for e in query.expressions):
            return
        out = [e.alias_or_name for e in query.expressions]
        if names and len(names) == len(out):
            out = names
        src.query = query
        src.names = [n.lower() for n in out]
        if src.columns is None:
            src.columns = list(src.names)

    # -- names ----------------------------------------------------------------------------

    def place(self, col: exp.Column) -> tuple[_Src, str] | None:
        """The FROM item and column a reference names, or None (an outer reference, a
        select alias, or a name this block cannot place)."""
        name = col.name.lower()
        if col.table:
            src = self.srcs.get(col.table.lower())
            return (src, name) if src is not None else None
        hits = [s for s in self.srcs.values() if s.columns is not None and name in s.columns]
        if len(hits) == 1 and self.complete and \
                all(s.columns is not None for s in self.srcs.values()):
            return hits[0], name
        return None  # outer, a select alias, or maybe in an item not seen into: unsure

    # -- what is determined -----------------------------------------------------------------

    def closure(self, groups: list[exp.Expression], seed: set | None = None
                ) -> tuple[set, set[str]]:
        """(determined (item, column) pairs, canonical texts of determined expressions),
        from the GROUP BY expressions, WHERE/ON equalities and keys, to a fixpoint."""
        det: set[tuple[str, str]] = set(seed or ())
        exprs: set[str] = set()
        for g in groups:
            while isinstance(g, exp.Paren):
                g = g.this
            if isinstance(g, exp.Column):
                p = self.place(g)
                if p is not None:
                    det.add((p[0].alias, p[1]))
                    continue
            exprs.add(self.canon(g))
        changed = True
        rounds = 0
        while changed and rounds < 64:
            changed = False
            rounds += 1
            for inner, conds in [(None, self.conds), *self.outer_ons]:
                if inner is not None and not self._preserved_fixed(inner, conds, det):
                    continue
                for c in conds:
                    if not isinstance(c, exp.EQ):
                        continue
                    for a, b in ((c.this, c.expression), (c.expression, c.this)):
                        if isinstance(a, exp.Paren):
                            a = a.unnest()
                        if not isinstance(a, exp.Column):
                            continue
                        p = self.place(a)
                        if p is None or (p[0].alias, p[1]) in det or \
                                (inner is not None and p[0].alias not in inner):
                            continue
                        if self._fixed(b, det, exprs):
                            det.add((p[0].alias, p[1]))
                            changed = True
            for name in self.using:  # USING (x): every item's x is the same value
                owners = [s for s in self.srcs.values()
                          if s.columns is not None and name in s.columns]
                if any((s.alias, name) in det for s in owners):
                    for s in owners:
                        if (s.alias, name) not in det:
                            det.add((s.alias, name))
                            changed = True
            for src in self.srcs.values():
                if src.columns is None:
                    continue
                if all((src.alias, c) in det for c in src.columns):
                    continue
                src.table  # noqa: B018 - looked up now: its keys or definition may tell
                if any(all((src.alias, k) in det for k in key) for key in src.keys()):
                    det.update((src.alias, c) for c in src.columns)
                    changed = True
                elif src.query is not None and self.depth < 8:
                    for c in self._derived(src, det):
                        if (src.alias, c) not in det:
                            det.add((src.alias, c))
                            changed = True
        return det, exprs

    def _preserved_fixed(self, inner: set[str], conds: list[exp.Expression],
                         det: set) -> bool:
        """Does every column an outer join's ON reads from its preserved side have one
        value (so that the whole group is matched, or the whole group is padded)?"""
        for c in conds:
            for col in c.find_all(exp.Column):
                p = self.place(col)
                if p is None:
                    if col.table and col.table.lower() in self.srcs:
                        return False
                    continue
                if p[0].alias not in inner and (p[0].alias, p[1]) not in det:
                    return False
        return True

    def _derived(self, src: _Src, det: set) -> list[str]:
        """The output columns of a derived table or CTE determined by those in `det`."""
        if src._inner is None:
            src._inner = _Block(self.planner, src.query, None, self.depth + 1)
        inner = src._inner
        q = src.query
        items = [e.unalias() if isinstance(e, exp.Alias) else e for e in q.expressions]
        seed_groups = [items[i] for i, n in enumerate(src.names or []) if (src.alias, n) in det]
        group = q.args.get("group")
        inner_groups = list(group.expressions) if group else []
        grouped = bool(inner_groups) or any(_has_aggregate(e) for e in items)
        idet, iexprs = inner.closure(seed_groups)
        if grouped:
            targets = [_group_target(g, list(q.expressions), inner) for g in inner_groups]
            if all(inner._fixed(t, idet, iexprs) for t in targets):
                return list(src.names or [])  # a group is one row: all of it follows
        out = []
        for name, e in zip(src.names or [], items, strict=False):
            if not _has_aggregate(e) and inner._fixed(e, idet, iexprs):
                out.append(name)
        return out

    def _fixed(self, node: exp.Expression, det: set, exprs: set[str]) -> bool:
        """Is `node` one value once `det` is: built from constants, outer references and
        determined columns (or written in GROUP BY), with nothing volatile?"""
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean, exp.Placeholder,
                             exp.Parameter, exp.SessionParameter)):
            return True
        if isinstance(node, _QUERY) or isinstance(node, _AGGREGATES) or \
                isinstance(node, exp.Window):
            return False
        if exprs and self.canon(node) in exprs:
            return True
        if isinstance(node, exp.Column):
            p = self.place(node)
            if p is None:
                return True  # an outer reference: one value per evaluation of this block
            return (p[0].alias, p[1]) in det
        if isinstance(node, exp.Func) and _function_name(node) in _VOLATILE:
            return False
        return all(self._fixed(ch, det, exprs) for ch in _children(node))

    def offending(self, node: exp.Expression, det: set, exprs: set[str],
                  aliases: set[str]) -> str | None:
        """The first column of `node` that has no single value per group, as MySQL names
        it (``db.table.column``), or None when `node` is allowed."""
        if isinstance(node, _AGGREGATES) or _any_value(node):
            return None
        if isinstance(node, (exp.Literal, exp.Null, exp.Boolean, exp.Placeholder,
                             exp.Parameter, exp.SessionParameter, exp.Star)):
            return None
        if exprs and self.canon(node) in exprs:
            return None
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return None
            if not node.table and node.name.lower() in aliases:
                return None  # HAVING/ORDER BY naming a select alias
            p = self.place(node)
            if p is None:
                return None
            src, name = p
            if (src.alias, name) in det or src.columns is None:
                return None
            if src.query is None and src.table is None:
                return None  # a view or I_S table: not seen into, accepted
            shown = src.column_name(name)
            return f"{src.db}.{src.written}.{shown}" if src.db else f"{src.written}.{shown}"
        if isinstance(node, exp.Window):
            parts = [node.args.get("partition_by") or [], []]
            fn = node.this
            inner = list(_children(fn)) if isinstance(fn, _AGGREGATES) else [fn]
            order = node.args.get("order")
            if order is not None:
                parts[1] = [o.this for o in order.expressions]
            for ch in [*inner, *parts[0], *parts[1]]:
                bad = self.offending(ch, det, exprs, aliases)
                if bad is not None:
                    return bad
            return None
        if isinstance(node, _QUERY):
            return self._outer_references(node, det, exprs)
        for ch in _children(node):
            bad = self.offending(ch, det, exprs, aliases)
            if bad is not None:
                return bad
        return None

    def _outer_references(self, query: exp.Expression, det: set, exprs: set[str]
                          ) -> str | None:
        """A subquery in a grouped query: its references to this block's items (outside any
        aggregate) must be determined too.  An unqualified name is the subquery's own when
        one of its tables (or an enclosing subquery's) has it; when a table cannot be
        listed, the name is accepted."""
        inner_aliases = {t.alias_or_name.lower() for t in query.find_all(exp.Table)} | {
            s.alias_or_name.lower() for s in query.find_all(exp.Subquery) if s.alias}
        blocks: dict[int, _Block] = {}
        for col in query.find_all(exp.Column):
            if isinstance(col.this, exp.Star):
                continue
            if not col.table and not self._outer_name(col, query, blocks):
                continue
            if col.table and col.table.lower() in inner_aliases:
                continue
            if any(isinstance(p, _AGGREGATES) or _any_value(p) for p in _ancestors(col, query)):
                continue
            bad = self.offending(col, det, exprs, set())
            if bad is not None:
                return bad
        return None

    def _outer_name(self, col: exp.Column, query: exp.Expression,
                    blocks: dict[int, _Block]) -> bool:
        """Is unqualified `col`, inside subquery `query`, a name of this block (no table of
        the subqueries around it has it, and all of theirs could be listed)?"""
        name = col.name.lower()
        p = col.parent
        while p is not None:
            if isinstance(p, exp.Select):
                b = blocks.get(id(p))
                if b is None:
                    b = blocks[id(p)] = _Block(self.planner, p, depth=self.depth + 1)
                if not b.complete or any(src.columns is None or name in src.columns
                                         for src in b.srcs.values()):
                    return False
            if p is query:
                break
            p = p.parent
        return True

    def canon(self, node: exp.Expression) -> str:
        """`node` as text with every column placed (``t.a``), so that ``a + 1`` in the
        select list matches ``t.a + 1`` in GROUP BY."""
        def place(n: exp.Expression) -> exp.Expression:
            while isinstance(n, exp.Paren):  # GROUP BY (a + 1) groups by a + 1
                n = n.this
            if isinstance(n, exp.Column) and not isinstance(n.this, exp.Star):
                p = self.place(n)
                if p is not None:
                    return exp.column(p[1], table=p[0].alias)
            return n
        if isinstance(node, exp.Column):
            return place(node).sql(dialect="mysql").lower()
        return node.copy().transform(place).sql(dialect="mysql").lower()


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).upper()
    return node.sql_name().upper()


def _children(node: exp.Expression):
    for v in node.args.values():
        if isinstance(v, exp.Expression):
            yield v
        elif isinstance(v, list):
            yield from (x for x in v if isinstance(x, exp.Expression))


def _ancestors(node: exp.Expression, root: exp.Expression):
    p = node.parent
    while p is not None and p is not root:
        yield p
        p = p.parent


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _has_aggregate(node: exp.Expression) -> bool:
    for agg in node.find_all(*_AGGREGATES):
        if not any(isinstance(p, (*_QUERY, exp.Window)) for p in _ancestors(agg, node)) \
                and not isinstance(agg.parent, exp.Window):
            return True
    return False


def _cte(planner: Any, name: str) -> Any:
    """The CteDef a FROM name refers to, if a WITH in scope defines it."""
    key = name.lower()
    for frame in reversed(getattr(planner, "_cte_stack", None) or []):
        d = frame.get(key)
        if d is not None:
            return d
    return None
