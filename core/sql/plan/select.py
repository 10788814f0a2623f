"""Planning SELECT (and UNION, INTERSECT, EXCEPT) statements into operator trees.

The shape is fixed and simple, as befits an embedded engine without statistics: sources in
the written join order (left-deep), single-table conditions pushed down to choose an access
path, equi-joins by index lookup when the inner side has a usable key and by hash otherwise,
then WHERE, GROUP BY/aggregates, the select list, DISTINCT, ORDER BY, LIMIT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from core.catalog.coltypes import MEMBER_KINDS, NUMERIC_KINDS
from core.catalog.model import HANDLE_INT, IndexInfo, TableInfo
from core.errors import NotSupportedError, ProgrammingError
from core.sql import refusals
from core.sql.expr import signedness
from core.sql.limits import MAX_SELECT_NESTING, NestingTooDeepError
from core.sql.plan import access, cte, distinct_order, group_check, join_order, right_join, using
from core.sql.plan.aggregates import AGGREGATES
from core.sql.plan.json_agg import json_aggregate_argument
from core.sql.plan.ops import (
    ConvertColumns,
    Distinct,
    Dual,
    Filter,
    HashAgg,
    HashJoin,
    IndexJoin,
    Limit,
    Materialized,
    NestedLoopJoin,
    Operator,
    Project,
    Runtime,
    ScanAggregate,
    SetOp,
    Sort,
    TableFullScan,
    Truncate,
    UnifiedParts,
    Union,
    UnionPart,
    index_rows,
)
from core.sql.plan.scope import Cell, SourceScope, inside_subquery
from core.sql.plan.window import having_aliases, is_window_aggregate, plan_windows
from core.sql.table import KEY_COLUMN, KeyedTableReader, TableReader, encode_values, prefix_next
from core.sql.types import plain_members, text_sort_key
from core.sql.types import truth as _mysql_truth

# The accumulator each aggregate class feeds (core.sql.functions.make_aggregate).  Named
# by class, not by class name: sqlglot reads MySQL's VAR_SAMP as `Variance` and VARIANCE
# as `VariancePop`, so the name alone would pick the wrong formula.
_AGG_KIND = {exp.GroupConcat: "GROUP_CONCAT", exp.Stddev: "STDDEV_POP",
             exp.StddevPop: "STDDEV_POP", exp.StddevSamp: "STDDEV_SAMP",
             exp.Variance: "VAR_SAMP", exp.VariancePop: "VAR_POP",
             exp.BitwiseAndAgg: "BIT_AND", exp.BitwiseOrAgg: "BIT_OR",
             exp.BitwiseXorAgg: "BIT_XOR", exp.JSONArrayAgg: "JSON_ARRAYAGG",
             exp.JSONObjectAgg: "JSON_OBJECTAGG"}
# column kinds msgpack decodes natively (no extension type): ints, floats, strings, bytes
_PLAIN_KINDS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "BOOLEAN", "FLOAT",
                "DOUBLE", "CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT",
                "BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"}


@dataclass
class Planned:
    """A planned query: its operator, output column names, and their source columns (for
    result metadata)."""

    op: Operator
    names: list[str]
    origins: list[Any] = field(default_factory=list)  # ColumnInfo or None per output column
    # per output column: its result kind when the planner knows it ("int", "str", ... of
    # core.sql.types.coercion), "null" for a bare NULL, None when only its values tell
    kinds: list[Any] = field(default_factory=list)
    # per output column: True when it is an integer MySQL types UNSIGNED (u - 100 from a
    # derived table still overflows); empty when not known
    unsigned: list[bool] = field(default_factory=list)


@dataclass
class Source:
    alias: str
    op: Operator
    columns: list[str]
    table: TableInfo | None = None
    reader: TableReader | None = None
    virtual: bool = False
    allowed: frozenset[str] | None = None  # index hints: usable index names, None = all
    forced: IndexInfo | None = None  # FORCE INDEX (idx): read through it even without a range
    # a parenthesised join read as one source (``t0 LEFT JOIN (t1 JOIN t2 ON ...) ON ...``):
    # its columns keep their own tables' aliases, (alias, name) per column
    qualified: list[tuple[str | None, str]] | None = None
    unsigned: list[bool] | None = None  # a derived table's UNSIGNED columns (Planned.unsigned)

    def pairs(self) -> list[tuple[str | None, str]]:
        """(table alias, column name) of each column, as a SourceScope lists them."""
        if self.qualified is not None:
            return list(self.qualified)
        return [(self.alias, c) for c in self.columns]


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    node = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def has_subquery(node: exp.Expression) -> bool:
    return any(True for _ in node.find_all(exp.Select, exp.Subquery, exp.Exists))


def has_aggregate(node: exp.Expression) -> bool:
    # an aggregate inside a subquery belongs to the subquery
    return any(not inside_subquery(agg, node) and not is_window_aggregate(agg)
               for agg in node.find_all(*AGGREGATES))


def _no_flags(_table: TableInfo) -> frozenset[int]:
    return frozenset()


class SelectPlanner:
    """Plans queries for one session.  `compile(node, scope)` compiles an expression with the
    session's EvalContext; `tables` resolves names (and virtual information_schema tables)."""

    def __init__(self, compile_fn: Callable, resolve_table: Callable, ctx: Any,
                 sort_key: Callable, make_aggregate: Callable):
        self.compile_fn = compile_fn
        self.resolve_table = resolve_table  # (db, name) -> TableInfo | virtual Source factory
        # ids of a table's indexes flagged corrupt (core.check.flags), planned around
        self.flagged_indexes: Callable[[TableInfo], frozenset[int]] = _no_flags
        # aliases of the FROM tables read with their row key as a hidden last column
        # (KEY_COLUMN): a multi-table UPDATE/DELETE's (`plan_join_rows`); never in a subquery
        self.keyed_aliases: frozenset[str] = frozenset()
        # a table's approximate row count, for the join order (core.sql.plan.join_order)
        self.row_estimate: Callable[[TableInfo], int] = lambda _t: join_order.UNKNOWN_ROWS
        self.ctx = ctx
        self.sort_key = sort_key
        self.make_aggregate = make_aggregate

    def compile(self, node: exp.Expression, scope: SourceScope, clause: str = "field list"):
        scope.clause = clause
        return self.compile_fn(node, scope)

    # -- entry points ---------------------------------------------------------------------------

    def plan(self, node: exp.Expression, outer: tuple[SourceScope, Cell] | None = None) -> Planned:
        """Plan a query.  Nesting (subqueries, derived tables, parenthesised queries) is
        counted: past MAX_SELECT_NESTING levels the statement fails with 1473, as mysqld
        does, long before the planner's recursion could exhaust the interpreter's."""
        self._nesting = getattr(self, "_nesting", 0) + 1
        keyed, self.keyed_aliases = self.keyed_aliases, frozenset()
        try:
            if self._nesting > MAX_SELECT_NESTING:
                raise NestingTooDeepError()
            if node.args.get("with_") is not None:
                return cte.plan_with(self, node, outer)
            return self._plan(node, outer)
        finally:
            self._nesting -= 1
            self.keyed_aliases = keyed

    def _plan(self, node: exp.Expression, outer) -> Planned:
        if isinstance(node, exp.Subquery):
            inner = self.plan(node.this, outer)
            return self._order_limit_union(node, inner, outer)
        if isinstance(node, exp.Union):
            return self._plan_union(node, outer)
        if isinstance(node, (exp.Intersect, exp.Except)):
            return self._plan_set_operation(node, outer)
        if isinstance(node, exp.Select):
            return self.plan_select(node, outer)
        raise NotSupportedError(f"unsupported query: {node.sql(dialect='mysql')[:60]}")

    def _plan_union(self, node: exp.Union, outer) -> Planned:
        """sqlglot nests ``a UNION b UNION c`` to the left, one level per UNION; a 5,000-way
        UNION would be 5,000 levels of recursion here and as many nested iterators when it
        runs.  The chain is walked iteratively and planned flat instead: as in MySQL, a
        UNION DISTINCT removes the duplicates of everything to its left, so the parts up to
        the last DISTINCT form one de-duplicating Union and the ALL parts after it are
        appended."""
        chain = [node]
        left = node.this
        while isinstance(left, exp.Union) and not any(
                left.args.get(k) for k in ("order", "limit", "offset")):
            chain.append(left)
            left = left.this
        chain.reverse()  # innermost (leftmost) first
        first = self.plan(left, outer)
        ops, last_distinct = [first.op], 0
        kinds = [_kinds_of(first)]
        unsigned = [first.unsigned]
        for u in chain:
            right = self.plan(u.expression, outer)
            if first.op.width != right.op.width:
                raise ProgrammingError(
                    "The used SELECT statements have a different number of columns",
                    errno=1222, sqlstate="21000")
            ops.append(right.op)
            kinds.append(_kinds_of(right))
            unsigned.append(right.unsigned)
            if u.args.get("distinct"):
                last_distinct = len(ops)
        ops, result_kinds = _unify_union(ops, kinds)
        if last_distinct == 0:
            op: Operator = Union(ops, False)
        elif last_distinct == len(ops):
            op = Union(ops, True)
        else:
            op = Union([Union(ops[:last_distinct], True)] + ops[last_distinct:], False)
        return self._order_limit_union(
            node, Planned(op, first.names, first.origins, result_kinds,
                          signedness.all_unsigned(unsigned, op.width)), outer)

    def _plan_set_operation(self, node: exp.Intersect | exp.Except, outer) -> Planned:
        """INTERSECT / EXCEPT (MySQL 8.0.31).  sqlglot already gives INTERSECT its higher
        precedence (``a UNION b INTERSECT c`` arrives as ``a UNION (b INTERSECT c)``) and
        nests EXCEPT to the left; that left spine is walked iteratively, as UNION's is, so a
        long ``a EXCEPT b EXCEPT c ...`` is not counted as nested SELECTs (1473).  Each step
        unifies the two sides' column types as UNION does (``SELECT 1 INTERSECT SELECT
        '1'`` compares as strings); names and origins come from the first query."""
        chain: list[exp.Expression] = [node]
        left = node.this
        while isinstance(left, (exp.Intersect, exp.Except)) and not any(
                left.args.get(k) for k in ("order", "limit", "offset")):
            chain.append(left)
            left = left.this
        chain.reverse()
        first = self.plan(left, outer)
        op, kinds = first.op, _kinds_of(first)
        for s in chain:
            right = self.plan(s.expression, outer)
            if op.width != right.op.width:
                raise ProgrammingError(
                    "The used SELECT statements have a different number of columns",
                    errno=1222, sqlstate="21000")
            (lop, rop), kinds = _unify_union([op, right.op], [kinds, _kinds_of(right)])
            op = SetOp(lop, rop, "intersect" if isinstance(s, exp.Intersect) else "except",
                       bool(s.args.get("distinct")))
        return self._order_limit_union(
            node, Planned(op, first.names, first.origins, kinds), outer)

    def compile_subquery(self, node: exp.Expression, outer_scope: SourceScope):
        """For core.sql.expr: a function outer_row -> rows of the subquery."""
        cell = Cell()
        query = node.this if isinstance(node, exp.Subquery) else node
        planned = self.plan(query, (outer_scope, cell))
        ctx = self.ctx
        if not cell.used:
            cache: dict = {"run": None, "rows": None}

            def uncorrelated(_outer_row):
                if cache["run"] is not ctx.run_token:
                    cache["rows"] = list(planned.op.rows(ctx.runtime))
                    cache["run"] = ctx.run_token
                return cache["rows"]

            return uncorrelated

        def correlated(outer_row):
            saved = cell.row
            cell.row = outer_row
            try:
                return list(planned.op.rows(ctx.runtime))
            finally:
                cell.row = saved

        return correlated

    def _order_limit_union(self, node, planned: Planned, outer) -> Planned:
        """ORDER BY / LIMIT attached to a UNION or a parenthesised query."""
        op = planned.op
        order = node.args.get("order")
        if order:
            scope = SourceScope([(None, n) for n in planned.names], outer=outer)
            keys = []
            extra = []
            for o in order.expressions:
                pos = self._output_position(o.this, planned.names)
                if pos is None:
                    extra.append(self.compile(o.this, scope, "order clause"))
                    pos = op.width + len(extra) - 1
                keys.append((pos, bool(o.args.get("desc"))))
            if extra:
                width = op.width
                base = [(lambda r, i=i: r[i]) for i in range(width)]
                op = Project(op, base + extra)
            # a UNION's ENUM/SET values are VARCHARs there: sorted as text, not by index
            key = text_sort_key if isinstance(node, (exp.Union, exp.Intersect, exp.Except)) \
                else self.sort_key
            op = Sort(op, keys, key, self._top(node))
            if extra:
                op = Truncate(op, len(planned.names))
        op = self._limit(node, op)
        return Planned(op, planned.names, planned.origins, planned.kinds, planned.unsigned)

    # -- SELECT ---------------------------------------------------------------------------------

    def plan_select(self, sel: exp.Select, outer) -> Planned:
        if sel.args.get("into") is not None:  # its variables would silently stay unset
            raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                    "'SELECT ... INTO'; use SET @v = value")
        refusals.check_select(sel)  # WITH ROLLUP, GROUPING(): 1235 (they were dropped)
        where = conjuncts(sel.args.get("where").this) if sel.args.get("where") else []
        from_ = sel.args.get("from_")
        joins = sel.args.get("joins") or []
        if from_ is None or (not joins and _is_dual(from_.this)):
            op: Operator = Dual()
            scope = SourceScope([], outer=outer)
        else:
            straight = any(m.name.upper() == "STRAIGHT_JOIN"
                           for m in sel.args.get("operation_modifiers") or [])
            op, scope, where = self._plan_from(from_.this, joins, where, outer, straight)
        if where:
            pred = self._and(where, scope, "where clause")
            op = Filter(op, pred, " and ".join(w.sql(dialect="mysql") for w in where)[:200])

        group = sel.args.get("group")
        having = sel.args.get("having")
        select_exprs = self._expand_star(sel.expressions, scope)
        order = sel.args.get("order")
        needs_agg = bool(group) or any(has_aggregate(e) for e in select_exprs) or (
            having is not None and has_aggregate(having.this)) or (order is not None and any(
                has_aggregate(o) for o in order.expressions))
        if needs_agg:
            group_check.check(self, sel, select_exprs, scope)  # ONLY_FULL_GROUP_BY
            op, scope = self._plan_aggregate(op, scope, sel, select_exprs, group, having, order)
        elif having is not None:  # no grouping: HAVING filters the rows, before any window
            for e in having_aliases(select_exprs, having.this):
                scope.aliases.setdefault(e.alias.lower(), self.compile(e.unalias(), scope))
            pred = self._and(conjuncts(having.this), scope, "having clause")
            op = Filter(op, pred, having.this.sql(dialect="mysql")[:200])
        op, scope = plan_windows(self, op, scope, sel, select_exprs, order,  # OVER (...)
                                 (AGGREGATES, _AGG_KIND))

        names = [self._name(e) for e in select_exprs]
        origins = [self._origin(e, scope) for e in select_exprs]
        exprs = [self.compile(e.unalias() if isinstance(e, exp.Alias) else e, scope)
                 for e in select_exprs]
        # select aliases may be used by ORDER BY
        for e, f in zip(select_exprs, exprs, strict=True):
            if isinstance(e, exp.Alias):
                scope.aliases.setdefault(e.alias.lower(), f)

        # ORDER BY: by output position, alias, or an expression computed next to the list
        sort_keys: list[tuple[int, bool]] = []
        extra: list[Callable] = []
        if order is not None:
            unshown = []
            for n, o in enumerate(order.expressions, start=1):
                target = o.this
                pos = self._output_position(target, names, select_exprs)
                if pos is None:
                    unshown.append((n, target))
                    f = self.compile(target, scope, "order clause")
                    if not isinstance(target, exp.Column) and _reads_members(target, scope):
                        f = _text_of_members(f)  # an ENUM in an expression sorts as text
                    extra.append(f)
                    pos = len(exprs) + len(extra) - 1
                sort_keys.append((pos, bool(o.args.get("desc"))))
            if unshown and sel.args.get("distinct") and not needs_agg:
                distinct_order.check(select_exprs, unshown, scope, AGGREGATES)  # 3065

        ordered_by_handle = self._order_by_handle(op, sort_keys, select_exprs, scope)
        op = Project(op, exprs + extra, ", ".join(names)[:200])
        if sel.args.get("distinct"):
            op = Distinct(op, len(exprs))
        if sort_keys and not ordered_by_handle:
            op = Sort(op, sort_keys, self.sort_key, self._top(sel))
        if extra:
            op = Truncate(op, len(exprs))
        op = self._limit(sel, op)
        kinds = [self._static_kind(e, f, scope) for e, f in zip(select_exprs, exprs, strict=True)]
        return Planned(op, names, origins, kinds,
                       signedness.unsigned_outputs(scope, self.ctx, select_exprs))

    def _static_kind(self, e: exp.Expression, f: Callable, scope: SourceScope) -> Any:
        """A select expression's result kind for UNION's type (see `Planned.kinds`)."""
        from core.sql.expr.compiler import UNKNOWN_KIND, _Compiler, _Const, constant_value

        e = e.unalias() if isinstance(e, exp.Alias) else e
        value = constant_value(f, UNKNOWN_KIND)
        try:
            k = _Compiler(scope, self.ctx).static_kind(
                e, _Const(value) if value is not UNKNOWN_KIND else None)
        except Exception:  # noqa: BLE001 - typing is best effort: the values decide then
            return None
        if k is UNKNOWN_KIND:
            return None
        return "null" if k is None else k

    def plan_join_rows(self, first: exp.Expression, joins: list[exp.Join],
                       where: exp.Expression | None, keyed: frozenset[str]):
        """The joined rows of a multi-table UPDATE/DELETE's table references, filtered by
        `where`; the tables named in `keyed` carry their row key after their columns."""
        self.keyed_aliases = keyed
        try:
            op, scope, rest = self._plan_from(first, joins, conjuncts(where), None)
        finally:
            self.keyed_aliases = frozenset()
        if rest:
            op = Filter(op, self._and(rest, scope, "where clause"),
                        " and ".join(w.sql(dialect="mysql") for w in rest)[:200])
        return op, scope

    def plan_table_rows(self, table: TableInfo, alias: str, where, order, node):
        """Rows of one table for UPDATE/DELETE, each with its row key as a hidden last column,
        filtered, ordered and limited as the statement says."""
        reader = KeyedTableReader(table)
        cols = [c.name for c in table.columns]
        src = Source(alias, TableFullScan(reader), cols, table, reader,
                     allowed=access.hinted_indexes(table, None, self.flagged_indexes(table)))
        scope = _with_kinds(SourceScope([(alias, c) for c in cols] + [(None, KEY_COLUMN)]), [src])
        conds = conjuncts(where)
        op = self._access(src, conds, scope)
        if order is not None:
            width = len(cols) + 1
            keys, extra = [], []
            for o in order.expressions:
                extra.append(self.compile(o.this, scope, "order clause"))
                keys.append((width + len(extra) - 1, bool(o.args.get("desc"))))
            base = [(lambda r, i=i: r[i]) for i in range(width)]
            op = Truncate(Sort(Project(op, base + extra), keys, self.sort_key, self._top(node)),
                          width)
        op = self._limit(node, op)
        return op, scope

    # -- FROM and joins ---------------------------------------------------------------------------

    def _source(self, node: exp.Expression, outer) -> Source:
        if isinstance(node, exp.Table):
            alias = node.alias_or_name
            hit = cte.lookup(self, node)  # a CTE in scope shadows a table
            if hit is not None:
                return Source(alias, hit[0], hit[1], unsigned=hit[2])
            resolved = self.resolve_table(node.db or None, node.name)
            if isinstance(resolved, Source):
                resolved.alias = alias
                return resolved
            t: TableInfo = resolved
            keyed = alias.lower() in self.keyed_aliases
            reader = KeyedTableReader(t) if keyed else TableReader(t)
            hints = node.args.get("hints")
            cols = [c.name for c in t.columns] + ([KEY_COLUMN] if keyed else [])
            return Source(alias, TableFullScan(reader), cols, t, reader,
                          allowed=access.hinted_indexes(t, hints, self.flagged_indexes(t)),
                          forced=access.forced_index(t, hints))
        if _join_group(node):
            # a parenthesised join on the right of an outer join (or joined USING):
            # planned on its own and joined as one source, whose columns keep their aliases
            gfirst, gjoins = _flatten_group(node)
            op, scope, rest = self._plan_from(gfirst, gjoins, [], outer)
            if rest:  # its inner ON conditions that unnesting moved out of their joins
                op = Filter(op, self._and(rest, scope, "on clause"),
                            " and ".join(c.sql(dialect="mysql") for c in rest)[:200])
            qualified = [(a, n) for (a, _), n in zip(scope.columns, scope.names, strict=True)]
            return Source("", op, [n for _a, n in qualified], qualified=qualified)
        if isinstance(node, exp.Subquery):
            alias = node.alias_or_name
            if not alias:
                raise ProgrammingError("Every derived table must have its own alias",
                                       errno=1248, sqlstate="42000")
            inner = self.plan(node.this, None)
            return Source(alias, Materialized(inner.op, alias), inner.names,
                          unsigned=inner.unsigned)
        raise NotSupportedError(f"unsupported FROM item: {node.sql(dialect='mysql')[:60]}")

    def _plan_from(self, first: exp.Expression, joins: list[exp.Join], where, outer,
                   straight: bool = False):
        # USING / NATURAL written as ON, each ON checked against the tables it sees
        first, joins, where, merged = using.prepare(self, first, joins, where, outer,
                                                    _join_group)
        first, joins, where = self._unnest_joins(first, joins, where)
        first, joins, written = right_join.rewrite(first, joins, _flatten_group)
        for j in joins:
            side = (j.args.get("side") or "").upper()
            kind = (j.args.get("kind") or "").upper()
            if side == "FULL" or kind == "FULL":
                raise NotSupportedError("FULL JOIN is not supported")
        # every source first: a column is an outer reference only if none of them has it
        srcs = [self._source(first, outer)] + [self._source(j.this, outer) for j in joins]
        whole = SourceScope([p for s in srcs for p in s.pairs()])
        if join_order.reorderable(first, joins, written, straight):
            srcs, joins, where, written = self._reorder(first, joins, srcs, where, outer)
        src = srcs[0]
        local = _with_kinds(SourceScope(src.pairs(), outer=outer), [src])
        pushed, where = self._split_pushable(where, local, outer, whole)
        op = self._access(src, pushed, local)
        scope_cols = src.pairs()
        left_srcs = [src]
        for j, rsrc in zip(joins, srcs[1:], strict=True):
            left_outer = (j.args.get("side") or "").upper() == "LEFT"
            rscope = _with_kinds(SourceScope(rsrc.pairs(), outer=outer), [rsrc])
            on = conjuncts(j.args.get("on"))
            # right-only conditions narrow the inner side; from WHERE only for inner joins
            r_on, on = self._split_pushable(on, rscope, outer, whole)
            r_where: list = []
            lscope = _with_kinds(SourceScope(scope_cols, outer=outer), left_srcs)
            combined_cols = scope_cols + rsrc.pairs()
            combined = _with_kinds(SourceScope(combined_cols, outer=outer),
                                   left_srcs + [rsrc])
            if not left_outer:
                r_where, where = self._split_pushable(where, rscope, outer, whole)
                # a WHERE condition on both sides filters an inner join's rows as its ON
                # would: applied here, an equality joins by key instead of after a product
                now, where = self._split_pushable(where, combined, outer, whole)
                on += now
            # equi-join keys: left column = right column, of the same kind of type (MySQL
            # compares '1' = 1 as numbers, a DATE with a DATETIME as datetimes: such pairs
            # are evaluated by the comparison itself, not by hashing or key lookup)
            pairs = []
            rest = []
            for c in on:
                pair = self._equi_pair(c, lscope, rscope)
                if pair and _family(pair[0], left_srcs) is not None and \
                        _family(pair[0], left_srcs) == _family(pair[1], [rsrc]):
                    pairs.append(pair)
                else:
                    rest.append(c)
            op = self._join(op, rsrc, rscope, lscope, combined, pairs, r_on + r_where,
                            rest, left_outer)
            scope_cols = combined_cols
            left_srcs.append(rsrc)
        scope = _with_kinds(SourceScope(scope_cols, outer=outer), left_srcs)
        if written:
            op, scope = right_join.reorder(op, scope, written)
        if merged is not None:
            merged.apply(scope)
        return op, scope, where

    def _reorder(self, first, joins, srcs, where, outer):
        """The sources in `join_order`'s order as a comma list, the ON conditions moved to
        WHERE, and the written table order for `right_join.reorder` (SELECT * shows it).
        Each ON condition is compiled first against the tables written left of it, so a
        column it cannot see is 1054 in 'on clause' as before, and its unqualified names are
        qualified with the table they name there: in WHERE they would see every table (an
        outer query's `x` could become a later table's, or two tables' `x` be ambiguous);
        a name no table left of it has but a later one does keeps the written order."""
        conds = list(where)
        for k, j in enumerate(joins):
            on = conjuncts(j.args.get("on"))
            if on:
                seen = SourceScope([p for s in srcs[:k + 2] for p in s.pairs()], outer=outer)
                for c in on:
                    if not has_subquery(c):
                        self.compile(c, _with_kinds(seen, srcs[:k + 2]), "on clause")
                    c = _qualified(c, seen, srcs)
                    if c is None:
                        return srcs, joins, where, None
                    conds.append(c)
        scopes = [SourceScope(s.pairs()) for s in srcs]

        def owner(col: exp.Column) -> int | None:
            hits = [i for i, sc in enumerate(scopes) if sc.resolves(col)]
            return hits[0] if len(hits) == 1 else None

        order = join_order.choose(srcs, conds, owner, self._estimate)
        if order == list(range(len(srcs))):
            if len(conds) == len(where):
                return srcs, joins, where, None
            return srcs, [exp.Join(this=j.this) for j in joins], conds, None
        written = [s.alias.lower() for s in srcs]
        nodes = [first, *(j.this for j in joins)]
        return ([srcs[i] for i in order], [exp.Join(this=nodes[i]) for i in order[1:]],
                conds, written)

    def _estimate(self, src: Source) -> int:
        if src.table is None or src.virtual:
            return join_order.UNKNOWN_ROWS
        return self.row_estimate(src.table)

    def _unnest_joins(self, first: exp.Expression, joins: list[exp.Join], where: list):
        """Parenthesised joins flattened into the left-deep chain where that keeps their
        meaning, so they keep index lookups and pushed-down conditions: a group first in
        FROM (``(t1 JOIN t2 ON ...) LEFT JOIN t3``) is just the chain's start, and a group on
        the right of an inner join or comma (``t0, (t1 JOIN t2 ON c)``, ``t0 JOIN (...) ON
        c0``) is a cross join with its first table, its own joins, and the outer ON moved
        to WHERE: inner-join conditions filter the same rows wherever they are evaluated,
        and the group's own ON conditions cannot see the tables left of it.  Each outer ON
        condition whose columns all name tables already joined at some inner join of the
        group goes to the first such join's ON instead of WHERE (``t0 JOIN (t1 JOIN t2 ON
        ..) ON t0.a = t1.a`` hash-joins t1 on it rather than crossing t0 with t1): an
        inner join's ON filters the rows joined so far, and later joins keep or pad those
        rows whatever it says.  A group on the right of LEFT JOIN, or joined USING, stays
        one source (`_source`)."""
        first, pre = _flatten_group(first)
        if not pre and not any(_join_group(j.this) for j in joins):
            return first, joins, where
        out: list[exp.Join] = list(pre)
        where = list(where)
        seen = _aliases(first) | {a for j in pre for a in _aliases(j.this)}
        # a RIGHT JOIN after a group preserves its right side against all that precedes it:
        # a condition moved from the group's ON to WHERE would then drop preserved rows
        right_after = any((j.args.get("side") or "").upper() == "RIGHT" for j in joins)
        for j in joins:
            side = (j.args.get("side") or "").upper()
            kind = (j.args.get("kind") or "").upper()
            if not _join_group(j.this) or side or kind in ("NATURAL", "FULL") or \
                    j.args.get("using") or right_after or _has_right_join(j.this):
                out.append(j)
                seen |= _aliases(j.this)
                continue
            gfirst, gjoins = _flatten_group(j.this)
            steps: list[exp.Join] = [exp.Join(this=gfirst, kind="CROSS")] + gjoins
            extra: list[list[exp.Expression]] = [[] for _ in steps]
            avail = []
            for step in steps:
                seen = seen | _aliases(step.this)
                avail.append(seen)
            for c in conjuncts(j.args.get("on")):
                tables = {(col.table or "").lower() for col in c.find_all(exp.Column)}
                at = None
                if not has_subquery(c) and "" not in tables:
                    at = next((k for k, step in enumerate(steps)
                               if not step.args.get("side") and tables <= avail[k]), None)
                if at is None:
                    where.append(c)
                else:
                    extra[at].append(c)
            for step, conds in zip(steps, extra, strict=True):
                if conds:
                    own = step.args.get("on")
                    step = step.copy()
                    step.set("kind", None if (step.args.get("kind") or "").upper() == "CROSS"
                             else step.args.get("kind"))
                    step.set("on", exp.and_(*([own] if own is not None else []), *conds))
                out.append(step)
        return first, out, where

    def _join(self, left, rsrc: Source, rscope, lscope, combined, pairs, inner_filter,
              other_nodes, left_outer) -> Operator:
        other = self._and(other_nodes, combined, "on clause") if other_nodes else None
        info = ", ".join(f"{a.sql(dialect='mysql')}={b.sql(dialect='mysql')}" for a, b in pairs)
        # index join: the right side is a table with a key on one of the equi columns
        if rsrc.table is not None and pairs and not rsrc.virtual:
            for lnode, rnode in pairs:
                lookup = self._index_lookup(rsrc, rnode, lnode, lscope, rscope, inner_filter,
                                            pairs)
                if lookup is not None:
                    fn, desc = lookup
                    # the other equalities still have to hold on the joined row; so does
                    # the looked-up one when a secondary index found the row: its entry
                    # may hold a cut value (a prefix key) or, damaged, another row's value
                    # (ADMIN CHECK finds those), and a join must not pair the wrong rows
                    by_key = desc.startswith("inner:PointGet")
                    rest = [exp.EQ(this=a.copy(), expression=b.copy())
                            for a, b in pairs if a is not lnode or not by_key]
                    check = self._and(other_nodes + rest, combined, "on clause") \
                        if other_nodes or rest else None
                    return IndexJoin(left, fn, len(rsrc.columns), check, left_outer,
                                     f"{desc}, {info}")
        right = self._access(rsrc, inner_filter, rscope)
        if pairs:
            lkeys = [self.compile(a, lscope, "on clause") for a, _b in pairs]
            rkeys = [self.compile(b, rscope, "on clause") for _a, b in pairs]
            return HashJoin(left, right, lkeys, rkeys, other, left_outer, info)
        return NestedLoopJoin(left, right, other, left_outer, "")

    def _index_lookup(self, rsrc: Source, rnode, lnode, lscope, rscope, inner_filter, pairs):
        """A per-left-row lookup of the right table through its handle or an index whose
        leading column is `rnode`."""
        t = rsrc.table
        col = rnode.name.lower()
        lkey = self.compile(lnode, lscope, "on clause")
        filt = self._and(inner_filter, rscope, "on clause") if inner_filter else None
        reader = rsrc.reader
        if t.handle == HANDLE_INT and t.pk_columns[0].lower() == col and \
                access.index_allowed(rsrc.allowed, None):
            kind = access.key_kind(t.column(col).type)

            def by_handle(rt: Runtime, lrow, lkey=lkey, kind=kind):
                v = access.key_value(lkey(lrow), kind)
                if v is access.NO_KEY:
                    return ()
                row = reader.get(rt.view, v)
                if row is None or (filt is not None and not filt(row)):
                    return ()
                return (row,)

            return by_handle, f"inner:PointGet({t.name})"
        for ix in t.indexes:
            if ix.state != "public" or ix.columns[0].lower() != col:
                continue
            if ix.primary and t.handle != "clustered" and t.handle != "rowid":
                continue
            if not access.index_allowed(rsrc.allowed, ix):
                continue
            kind = access.key_kind(t.column(col).type)
            clustered_pk = ix.primary and t.handle == "clustered"
            base = reader.key_prefix(None if clustered_pk else ix)
            # a prefix part (KEY (a(10))) finds the rows whose first characters match:
            # the join checks each against the whole value (`_join`)
            n = (ix.lengths or [None])[0]

            def by_index(rt: Runtime, lrow, lkey=lkey, kind=kind, ix=ix, base=base,
                         clustered_pk=clustered_pk, n=n):
                v = access.key_value(lkey(lrow), kind)
                if v is access.NO_KEY:
                    return ()
                lo = base + encode_values([access.cut(v, n)])
                hi = prefix_next(lo)
                if clustered_pk:
                    rows = [row for _k, row in reader.scan(rt.view, lo, hi)]
                else:
                    rows = index_rows(reader, rt.view, ix, lo, hi)
                return [r for r in rows if filt is None or filt(r)]

            return by_index, f"inner:IndexLookUp({t.name}.{ix.name})"
        return None

    def _equi_pair(self, c, lscope: SourceScope, rscope: SourceScope):
        if not isinstance(c, exp.EQ):
            return None
        a, b = c.this, c.expression
        if not (isinstance(a, exp.Column) and isinstance(b, exp.Column)):
            return None
        if lscope.resolves(a) and rscope.resolves(b) and not rscope.resolves(a):
            return (a, b)
        if lscope.resolves(b) and rscope.resolves(a) and not rscope.resolves(b):
            return (b, a)
        return None

    def _split_pushable(self, conds, scope: SourceScope, outer, whole: SourceScope):
        """Conditions that mention only `scope`'s columns (or outer/constant values); `whole`
        has the columns of every source of this SELECT, which are never outer ones."""
        pushed, rest = [], []
        for c in conds:
            cols = list(c.find_all(exp.Column))
            if has_subquery(c) or has_aggregate(c) or not cols:
                rest.append(c)
                continue
            if any(not col.table and len(whole.find(None, col.name)) > 1 for col in cols):
                rest.append(c)  # ambiguous (1052): the whole scope says so, not one table's
                continue
            if all(scope.resolves(col) or (not whole.resolves(col)
                                            and self._is_outer(col, scope, outer))
                   for col in cols) and any(scope.resolves(col) for col in cols):
                pushed.append(c)
            else:
                rest.append(c)
        return pushed, rest

    @staticmethod
    def _is_outer(col, scope, outer) -> bool:
        if outer is None or scope.find(col.table or None, col.name):
            return False
        o = outer[0]
        return bool(o.find(col.table or None, col.name)) or o.outer is not None

    def _access(self, src: Source, conds: list, scope: SourceScope) -> Operator:
        op = src.op
        if src.reader is not None and conds:
            def column_of(node):
                if isinstance(node, exp.Column) and scope.resolves(node):
                    return node.name.lower()
                return None

            def const(node):
                if has_subquery(node) or has_aggregate(node):
                    return None
                if any(scope.resolves(c) for c in node.find_all(exp.Column)):
                    return None
                f = self.compile(node, scope, "where clause")
                return lambda f=f: f(())

            op = access.choose(src.reader, access.analyse(conds, column_of, const),
                               src.allowed, src.forced)
        elif src.reader is not None and src.forced is not None:
            op = access.full_index(src.reader, src.forced)
        if conds:
            op = Filter(op, self._and(conds, scope, "where clause"),
                        " and ".join(c.sql(dialect="mysql") for c in conds)[:200])
        return op

    def _and(self, nodes, scope, clause):
        fns = [self.compile(n, scope, clause) for n in nodes]
        if len(fns) == 1:
            f = fns[0]
            return lambda row: bool(_truth(f(row)))
        return lambda row: all(_truth(f(row)) for f in fns)

    # -- aggregation ------------------------------------------------------------------------------

    def _plan_aggregate(self, op, scope: SourceScope, sel, select_exprs, group, having, order):
        group_nodes = list(group.expressions) if group else []
        # GROUP BY may name a select alias or a position
        resolved_groups = []
        for g in group_nodes:
            if isinstance(g, exp.Literal) and not g.is_string and str(g.this).isdigit():
                idx = int(g.this) - 1
                if not 0 <= idx < len(select_exprs):
                    raise ProgrammingError(f"Unknown column '{g.this}' in 'group statement'",
                                           errno=1054, sqlstate="42S22")
                g = select_exprs[idx].unalias() if isinstance(select_exprs[idx], exp.Alias) \
                    else select_exprs[idx]
            elif isinstance(g, exp.Column) and not g.table and not scope.find(None, g.name):
                for e in select_exprs:
                    if isinstance(e, exp.Alias) and e.alias.lower() == g.name.lower():
                        g = e.unalias()
                        break
            resolved_groups.append(g)
        aggs: list[exp.Expression] = []
        sources = list(select_exprs) + ([having.this] if having else []) + (
            [o.this for o in order.expressions] if order else [])
        for node in sources:
            for agg in node.find_all(*AGGREGATES):
                if agg not in aggs and not inside_subquery(agg, node) and \
                        not is_window_aggregate(agg):
                    aggs.append(agg)
        fused = self._fused_aggregate(op, scope, sel, select_exprs, resolved_groups, aggs,
                                      having, order)
        if fused is not None:
            op = fused
        else:
            group_fns = [self.compile(g, scope, "group statement") for g in resolved_groups]
            agg_specs = [self._agg_spec(agg, scope) for agg in aggs]
            scalar = not resolved_groups
            info = "group by:" + ", ".join(g.sql(dialect="mysql") for g in resolved_groups) + \
                ", funcs:" + ", ".join(a.sql(dialect="mysql") for a in aggs)
            op = HashAgg(op, group_fns, agg_specs, scalar, info[:200])
        n_g, n_a = len(resolved_groups), len(aggs)
        mapping: dict = {}
        for i, g in enumerate(resolved_groups):
            mapping.setdefault(g, i)
        for j, a in enumerate(aggs):
            mapping.setdefault(a, n_g + j)
        cols = [(None, f"\0g{i}") for i in range(n_g)] + [(None, f"\0a{j}") for j in range(n_a)]
        post = SourceScope(cols + [(a, n) for a, n in scope.columns], outer=scope.outer,
                           mapping=mapping)
        post.hidden = frozenset(i + len(cols) for i in scope.hidden)  # USING's merged sides
        off = len(cols)  # the source columns, after the keys: UNSIGNED ones stay UNSIGNED
        post.kinds = {i + off: k for i, k in scope.kinds.items()}
        post.qualifiers = {i + off: q for i, q in scope.qualifiers.items()}
        if having is not None:
            for e in having_aliases(select_exprs, having.this):  # not those with OVER
                post.aliases[e.alias.lower()] = self.compile(e.unalias(), post)
            post.alias_first = True
            pred = self._and(conjuncts(having.this), post, "having clause")
            post.alias_first = False
            op = Filter(op, pred, having.this.sql(dialect="mysql")[:200])
        return op, post

    def _fused_aggregate(self, op, scope, sel, select_exprs, groups, aggs, having, order):
        """ScanAggregate for `SELECT agg(col)[, ...] FROM t` over a plain full scan."""
        if groups or having is not None or order is not None or not aggs:
            return None
        if not isinstance(op, TableFullScan) or op.reverse:
            return None
        if any((e.unalias() if isinstance(e, exp.Alias) else e) not in aggs
               for e in select_exprs):
            return None
        specs = []
        for agg in aggs:
            kind = type(agg).__name__.upper()
            if kind not in ("SUM", "COUNT", "MIN", "MAX", "AVG"):
                return None
            arg = agg.this
            if isinstance(arg, exp.Distinct):
                return None
            if kind == "COUNT" and (arg is None or isinstance(arg, exp.Star)):
                specs.append(("COUNT", None, lambda: self.make_aggregate("COUNT", False),
                              False))
                continue
            if not isinstance(arg, exp.Column) or not scope.resolves(arg):
                return None
            pos = scope.resolve_column(arg.table or None, arg.name)
            col_kind = op.reader.table.columns[pos].type.kind
            if kind in ("SUM", "AVG") and col_kind not in NUMERIC_KINDS:
                return None  # text and dates sum by their numeric value: the general path
            if col_kind == "JSON":
                return None  # stored as text, compared as JSON values: the general path
            needs_ext = col_kind not in _PLAIN_KINDS
            specs.append((kind, pos, lambda kind=kind: self.make_aggregate(kind, False),
                          needs_ext))
        return ScanAggregate(op.reader, specs, op.width)

    def _agg_spec(self, agg: exp.Expression, scope):
        name = _AGG_KIND.get(type(agg)) or type(agg).__name__.upper()
        arg = agg.this
        if isinstance(agg, exp.GroupConcat) and isinstance(arg, exp.Order):
            return self._ordered_group_concat(agg, arg, scope)
        if isinstance(agg, (exp.JSONArrayAgg, exp.JSONObjectAgg)):
            arg = json_aggregate_argument(agg)  # a tuple: NULL values are kept
        distinct = isinstance(arg, exp.Distinct)
        if distinct:
            args = arg.expressions
            arg = args[0] if len(args) == 1 else exp.Tuple(expressions=args)
        if isinstance(agg, exp.Count) and (arg is None or isinstance(arg, exp.Star)):
            return (lambda: self.make_aggregate("COUNT", False), None)
        fn = self.compile(arg, scope)
        if isinstance(agg, exp.GroupConcat):
            sep = agg.args.get("separator")
            sep_s = sep.this if isinstance(sep, exp.Literal) else ","

            def make(sep_s=sep_s, distinct=distinct):
                return self.make_aggregate("GROUP_CONCAT", distinct, separator=sep_s)
            return (make, fn)
        return (lambda name=name, distinct=distinct: self.make_aggregate(name, distinct), fn)

    def _ordered_group_concat(self, agg: exp.GroupConcat, order: exp.Order, scope):
        """GROUP_CONCAT([DISTINCT] x ORDER BY k [ASC|DESC], ... [SEPARATOR s]): each row
        gives ``(x, (k, ...))`` to an accumulator that sorts when the group ends.  An
        integer key is a position in the concatenated list, as MySQL reads it."""
        arg = order.this
        distinct = isinstance(arg, exp.Distinct)
        if distinct:
            args = arg.expressions
            arg = args[0] if len(args) == 1 else exp.Tuple(expressions=args)
        listed = arg.expressions if isinstance(arg, (exp.Tuple, exp.Concat)) else [arg]
        value = self.compile(arg, scope)
        keys, desc = [], []
        for o in order.expressions:
            e = o.this if isinstance(o, exp.Ordered) else o
            if isinstance(e, exp.Literal) and e.is_int and 1 <= int(e.this) <= len(listed):
                e = listed[int(e.this) - 1]
            keys.append(self.compile(e, scope))
            desc.append(bool(o.args.get("desc")) if isinstance(o, exp.Ordered) else False)

        def fn(row, value=value, keys=tuple(keys)):
            return value(row), tuple(k(row) for k in keys)

        sep = agg.args.get("separator")
        sep_s = sep.this if isinstance(sep, exp.Literal) else ","

        def make(sep_s=sep_s, distinct=distinct, desc=tuple(desc)):
            return self.make_aggregate("GROUP_CONCAT", distinct, separator=sep_s,
                                       order_desc=desc)
        return (make, fn)

    # -- select list helpers -----------------------------------------------------------------------

    def _expand_star(self, exprs, scope: SourceScope) -> list[exp.Expression]:
        out = []
        for e in exprs:
            if isinstance(e, exp.Star):
                out.extend(exp.column(n, table=a) for a, n in _display(scope, star=True))
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                t = e.table.lower()
                cols = [(a, n) for a, n in _display(scope) if a and a.lower() == t]
                if not cols:
                    raise ProgrammingError(f"Unknown table '{e.table}'", errno=1051,
                                           sqlstate="42S02")
                out.extend(exp.column(n, table=a) for a, n in cols)
            else:
                out.append(e)
        return out

    @staticmethod
    def _name(e: exp.Expression) -> str:
        if isinstance(e, exp.Alias):
            return e.alias
        if isinstance(e, exp.Column):
            return e.name
        return e.sql(dialect="mysql")

    def _origin(self, e, scope: SourceScope):
        return None

    def _output_position(self, target, names, select_exprs=None) -> int | None:
        if isinstance(target, exp.Literal) and not target.is_string and \
                str(target.this).isdigit():
            idx = int(target.this) - 1
            if not 0 <= idx < len(names):
                raise ProgrammingError(f"Unknown column '{target.this}' in 'order clause'",
                                       errno=1054, sqlstate="42S22")
            return idx
        if isinstance(target, exp.Column) and not target.table:
            low = target.name.lower()
            for i, e in enumerate(select_exprs or []):
                if isinstance(e, exp.Alias) and e.alias.lower() == low:
                    return i
        if select_exprs:
            for i, e in enumerate(select_exprs):
                inner = e.unalias() if isinstance(e, exp.Alias) else e
                if inner == target:
                    return i
        return None

    def _order_by_handle(self, op, sort_keys, select_exprs, scope) -> bool:
        """ORDER BY the int primary key over a table scan: read in key order, skip the sort."""
        if len(sort_keys) != 1 or not isinstance(op, (TableFullScan,)):
            return False
        pos, desc = sort_keys[0]
        if pos >= len(select_exprs):
            return False
        e = select_exprs[pos]
        e = e.unalias() if isinstance(e, exp.Alias) else e
        t = op.reader.table
        if t.handle != HANDLE_INT or not isinstance(e, exp.Column) or \
                e.name.lower() != t.pk_columns[0].lower():
            return False
        op.reverse = desc
        return True

    def _top(self, node) -> Callable[[], int | None] | None:
        limit = node.args.get("limit")
        if limit is None:
            return None
        count = self._int_fn(limit.expression)
        offset = node.args.get("offset")
        off = self._int_fn(offset.expression) if offset is not None else (lambda: 0)
        return lambda: count() + off()

    def _limit(self, node, op):
        limit = node.args.get("limit")
        offset = node.args.get("offset")
        if limit is None and offset is None:
            return op
        count = self._int_fn(limit.expression) if limit is not None else (lambda: None)
        off = self._int_fn(offset.expression) if offset is not None else (lambda: 0)
        return Limit(op, count, off)

    def _int_fn(self, node) -> Callable[[], int]:
        f = self.compile(node, SourceScope([]), "limit clause")

        def value():
            v = f(())
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ProgrammingError("Incorrect arguments to LIMIT", errno=1210,
                                       sqlstate="HY000")
            return v

        return value


_FAMILIES = {
    # integers join integers exactly; a DECIMAL or a double against an integer compares as
    # MySQL's decimal/double arithmetic does, which hashing and key lookups do not reproduce
    **dict.fromkeys(("TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "BOOLEAN"), "int"),
    "DECIMAL": "decimal", "FLOAT": "double", "DOUBLE": "double",
    **dict.fromkeys(("CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"), "text"),
    **dict.fromkeys(("BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"),
                    "bytes"),
    "DATE": "date", "DATETIME": "datetime", "TIMESTAMP": "datetime", "TIME": "time",
}


def _kinds_of(planned: Planned) -> list[Any]:
    return planned.kinds if len(planned.kinds) == planned.op.width else \
        [None] * planned.op.width


def _unify_union(ops: list[Operator], kinds: list[list[Any]]) -> tuple[list[Operator],
                                                                        list[Any]]:
    """The UNION parts with their values converted to each column's aggregated type (MySQL:
    ``'3' UNION 5 UNION 10`` is VARCHAR), and those column kinds.  Where every part's kind
    is known, each part converts its rows as they stream; where some part's is not (an
    expression the planner cannot type), the parts are read first and the values decide
    (`UnifiedParts`)."""
    from core.sql.types.coercion import aggregate_kinds

    width = ops[0].width
    static: list[Any] = []
    dynamic = False
    for j in range(width):
        col = [k[j] for k in kinds]
        known = [k for k in col if k is not None and k != "null"]
        target = aggregate_kinds(known)
        if any(k is None for k in col) and target != "str":
            dynamic = dynamic or len(known) > 0 or sum(k is None for k in col) > 1
            static.append(None)
        else:
            static.append(target)
    if dynamic:
        per_part = [[(None if static[j] is None and k[j] is None else
                      (static[j] if static[j] is not None else
                       (None if k[j] == "null" else k[j]))) for j in range(width)]
                    for k in kinds]
        shared = UnifiedParts(ops, per_part)
        return [UnionPart(shared, i) for i in range(len(ops))], [None] * width
    out = []
    for op, k in zip(ops, kinds, strict=True):
        targets = [t if t is not None and k[j] != t and k[j] != "null" else None
                   for j, t in enumerate(static)]
        out.append(ConvertColumns(op, targets) if any(t is not None for t in targets) else op)
    return out, static


def _with_kinds(scope: SourceScope, sources: list[Source]) -> SourceScope:
    """`scope` (whose columns are the sources' columns, in order) told its base-table column
    types, for the result type of IF/CASE/COALESCE."""
    pos = 0
    for src in sources:
        for i, name in enumerate(src.columns):
            if src.table is not None:
                col = src.table.column(name)
                if col is not None:
                    scope.kinds[pos] = col.type
                    scope.qualifiers[pos] = (src.table.schema, src.alias)
            elif src.unsigned and i < len(src.unsigned) and src.unsigned[i]:
                scope.kinds[pos] = signedness.BIGINT_UNSIGNED
            pos += 1
    return scope


def _family(node: exp.Column, sources: list[Source]) -> str | None:
    """The comparison family of a base-table column (None when unknown)."""
    name = node.name.lower()
    table = (node.table or "").lower()
    for src in sources:
        if src.table is None or (table and src.alias.lower() != table):
            continue
        col = src.table.column(name)
        if col is not None:
            return _FAMILIES.get(col.type.kind)
    return None


def _join_group(node: exp.Expression) -> bool:
    """Is this FROM item a parenthesised join (``(t1 a CROSS JOIN t1 b)``, ``(t1)``)?
    sqlglot reads it as an unaliased Subquery around a table that carries the joins."""
    if not isinstance(node, exp.Subquery) or node.alias:
        return False
    inner = node.this  # a table, a derived table (aliased), or a group again
    return isinstance(inner, exp.Table) or (
        isinstance(inner, exp.Subquery) and (bool(inner.alias) or _join_group(inner)))


def _qualified(cond: exp.Expression, seen: SourceScope, srcs: list[Source]
               ) -> exp.Expression | None:
    """`cond` (an ON condition) with its unqualified columns qualified by the one table of
    `seen` that has them; None when a name no table of `seen` has belongs to another table
    of the FROM (moved to WHERE, it would name that table instead of an outer query's)."""
    out = cond
    for col in list(cond.find_all(exp.Column)):
        if col.table or isinstance(col.this, exp.Star):
            continue
        if inside_subquery(col, cond):  # a subquery's column: its own scope decides
            continue
        hits = seen.find(None, col.name)
        if len(hits) == 1 and seen.columns[hits[0]][0]:
            if out is cond:
                out = cond.copy()
            for twin in out.find_all(exp.Column):
                if twin == col and not twin.table:
                    twin.set("table", exp.to_identifier(seen.columns[hits[0]][0]))
        elif not hits and any(SourceScope(s.pairs()).find(None, col.name) for s in srcs):
            return None
    return out


def _has_right_join(node: exp.Expression) -> bool:
    """Does a parenthesised join hold a RIGHT JOIN?  Flattened into the chain, its right
    side would be preserved against the tables before the group too."""
    return any((j.args.get("side") or "").upper() == "RIGHT" for j in node.find_all(exp.Join))


def _aliases(node: exp.Expression) -> set[str]:
    """The table aliases a FROM item brings (every table of a parenthesised join)."""
    if _join_group(node):
        first, joins = _flatten_group(node)
        return _aliases(first).union(*(_aliases(j.this) for j in joins))
    name = node.alias_or_name if isinstance(node, (exp.Table, exp.Subquery)) else ""
    return {name.lower()} if name else set()


def _flatten_group(node: exp.Expression) -> tuple[exp.Expression, list[exp.Join]]:
    """A FROM item as its first table and the joins that follow it in written order,
    parentheses removed: ``((t1 JOIN t2 ON a) JOIN t3 ON b)`` is t1, [t2 ON a, t3 ON b]
    (left-deep, which is how the group evaluates anyway).  Not a group: itself, no joins."""
    own = list(node.args.get("joins") or [])
    if _join_group(node):
        first, inner = _flatten_group(node.this)
        return first, inner + own
    if own:
        node = node.copy()
        node.set("joins", None)
    return node, own


def _display(scope: SourceScope, star: bool = False):
    """The columns `t.*` picks from; with `star`, those of ``*`` in their order (a JOIN
    ... USING shows its merged columns once, first: `core.sql.plan.using`)."""
    order = scope.star if star and scope.star is not None else range(len(scope.columns))
    return [(scope.columns[i][0], scope.names[i]) for i in order
            if not scope.names[i].startswith("\0")]


def _reads_members(node: exp.Expression, scope: SourceScope) -> bool:
    """Does `node` read an ENUM or SET column of `scope`?"""
    return any(getattr(scope.column_type(c.table or None, c.name), "kind", None)
               in MEMBER_KINDS for c in node.find_all(exp.Column)
               if not isinstance(c.this, exp.Star))


def _text_of_members(f: Callable) -> Callable:
    def as_text(row):
        return plain_members(f(row))
    return as_text


def _truth(v) -> bool:
    """MySQL truthiness in WHERE/ON/HAVING: NULL and 0 are false; strings by their numeric
    prefix (``'1abc'`` is true, ``'abc'`` and ``'0.0'`` false), dates true: the same rule as
    IF() (`core.sql.types.truth`), so a condition and IF(condition, 1, 0) always agree."""
    if type(v) is int:  # what comparisons and logic give: the common case first
        return v != 0
    return bool(_mysql_truth(v))


def _is_dual(source: exp.Expression) -> bool:
    """`FROM DUAL` (unquoted, no schema, no alias): MySQL's name for no table at all.  A
    table created as `DUAL` can only be reached quoted, as in MySQL."""
    return (isinstance(source, exp.Table) and not source.args.get("db")
            and not source.alias and isinstance(source.this, exp.Identifier)
            and not source.this.quoted and source.name.upper() == "DUAL")
