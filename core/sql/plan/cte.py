"""Common table expressions: ``WITH [RECURSIVE] c [(col, ...)] AS (query)[, ...]``.

The planner keeps a stack of WITH frames (`_stack`): `plan_with` pushes the CTEs of a query's
WITH while that query is planned, and `lookup` answers a table name in FROM with the nearest
CTE of that name before the catalog is asked, so a CTE shadows a table, an inner WITH shadows
an outer one, and subqueries and derived tables see the CTEs around them.  Each CTE's own
definition sees the frames around its WITH plus the CTEs written before it (and itself,
under RECURSIVE), whatever the frames are where it is first referenced.

A CTE is planned once, at its first reference, and materialised once per execution
(`CteRows`), as MySQL does: every reference reads the same rows.  A recursive CTE runs its
anchor blocks, then its recursive blocks on the rows the previous iteration produced until
an iteration produces none (`RecursiveCte`); UNION DISTINCT drops rows already produced,
UNION ALL keeps them, @@cte_max_recursion_depth bounds the iterations (3636), and the
column types are the anchor's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlglot import exp

from core.errors import DataError, NotSupportedError, OperationalError, ProgrammingError
from core.sql.limits import BLOCK, row_bytes
from core.sql.plan.ops import CHECK_WORK, Operator, Runtime, _hashable

DEFAULT_MAX_RECURSION_DEPTH = 1000


def _err(msg: str, errno: int, sqlstate: str = "HY000") -> ProgrammingError:
    return ProgrammingError(msg, errno=errno, sqlstate=sqlstate)


@dataclass
class CteDef:
    """One CTE of a WITH: its definition, and its plan once a reference asked for it."""

    name: str
    query: exp.Expression
    columns: list[str] | None
    recursive: bool  # written under WITH RECURSIVE
    visible: list[dict[str, CteDef]] = field(default_factory=list)  # frames its body sees
    planned: Any = None  # core.sql.plan.select.Planned
    rows: CteRows | None = None
    ref: RecursiveRef | None = None  # set while its recursive blocks are planned
    ref_names: list[str] = field(default_factory=list)


def _stack(planner: Any) -> list[dict[str, CteDef]]:
    stack = getattr(planner, "_cte_stack", None)
    if stack is None:
        stack = planner._cte_stack = []
    return stack


def frame_of(with_: exp.With, stack: list[dict[str, CteDef]]) -> dict[str, CteDef]:
    """The CTEs of one WITH clause as a frame; 1066 for a name written twice."""
    recursive = bool(with_.args.get("recursive"))
    frame: dict[str, CteDef] = {}
    for cte in with_.expressions:
        name = cte.alias_or_name
        key = name.lower()
        if key in frame:
            raise _err(f"Not unique table/alias: '{name}'", 1066, "42000")
        alias = cte.args.get("alias")
        cols = [c.name for c in alias.columns] if alias is not None and alias.columns else None
        d = CteDef(name, cte.this, cols, recursive)
        d.visible = list(stack) + [dict(frame)]
        if recursive:
            d.visible[-1][key] = d
        frame[key] = d
    return frame


def plan_with(planner: Any, node: exp.Expression, outer: Any) -> Any:
    """Plan `node` (a query carrying a WITH clause) with its CTEs in scope."""
    stack = _stack(planner)
    stack.append(frame_of(node.args["with_"], stack))
    try:
        return planner._plan(node, outer)
    finally:
        stack.pop()


class statement_ctes:
    """``WITH ... UPDATE`` / ``WITH ... DELETE``: the WITH's CTEs in scope for the whole
    statement (its WHERE, SET and ORDER BY subqueries).  A context manager; a statement
    without WITH costs one dictionary look-up."""

    def __init__(self, planner: Any, node: exp.Expression):
        self.planner = planner
        self.with_ = node.args.get("with_")

    def __enter__(self) -> None:
        if self.with_ is not None:
            stack = _stack(self.planner)
            stack.append(frame_of(self.with_, stack))

    def __exit__(self, *exc: Any) -> None:
        if self.with_ is not None:
            _stack(self.planner).pop()


def lookup(planner: Any, node: exp.Table) -> tuple[Operator, list[str], list[bool]] | None:
    """A FROM table name that names a CTE in scope, as the (operator, column names, UNSIGNED
    columns) of a source; None for a real table."""
    stack = getattr(planner, "_cte_stack", None)
    if not stack or node.args.get("db"):
        return None
    key = node.name.lower()
    for frame in reversed(stack):
        d = frame.get(key)
        if d is not None:
            return _source(planner, d)
    return None


def _source(planner: Any, d: CteDef) -> tuple[Operator, list[str], list[bool]]:
    if d.ref is not None:  # inside its own recursive block: the previous iteration's rows
        return d.ref, list(d.ref_names), []
    if d.planned is None:
        saved = planner._cte_stack
        planner._cte_stack = list(d.visible)
        try:
            d.planned = _plan_definition(planner, d)
        finally:
            planner._cte_stack = saved
        d.rows = CteRows(d.planned.op, d.name, planner.ctx)
    return CteScan(d.rows), list(d.planned.names), list(getattr(d.planned, "unsigned", []))


def _names(d: CteDef, planned: Any) -> list[str]:
    """The CTE's column names: its column list (1353 on a count mismatch) or the query's;
    a name twice is 1060, as for a table."""
    names = list(planned.names) if d.columns is None else list(d.columns)
    if len(names) != len(planned.names):
        raise _err("In definition of view, derived table or common table expression, SELECT "
                   "list and column names list have different column counts", 1353)
    seen: set[str] = set()
    for n in names:
        if n.lower() in seen:
            raise _err(f"Duplicate column name '{n}'", 1060, "42S21")
        seen.add(n.lower())
    return names


def _refers_to(node: exp.Expression, key: str) -> list[exp.Table]:
    return [t for t in node.find_all(exp.Table)
            if not t.args.get("db") and t.name.lower() == key]


def _plan_definition(planner: Any, d: CteDef) -> Any:
    """The CTE's plan (a `Planned` of core.sql.plan.select, built by the planner's own
    type: this module does not import the planner)."""
    key = d.name.lower()
    if not (d.recursive and _refers_to(d.query, key)):
        planned = planner.plan(d.query, None)
        return type(planned)(planned.op, _names(d, planned), planned.origins, planned.kinds,
                             planned.unsigned)
    query = d.query
    if not isinstance(query, exp.Union):
        raise _err(f"Recursive Common Table Expression '{d.name}' should contain a UNION",
                   3573)
    if query.args.get("order") is not None or query.args.get("limit") is not None or \
            query.args.get("offset") is not None:
        raise NotSupportedError("This version of KintsugiDB doesn't yet support 'ORDER BY / "
                                "LIMIT over UNION in recursive Common Table Expression'")
    # the UNION's blocks, leftmost first, and whether any UNION is DISTINCT
    blocks: list[exp.Expression] = []
    distinct = False
    left: exp.Expression = query
    while isinstance(left, exp.Union) and (left is query or not any(
            left.args.get(k) for k in ("order", "limit", "offset"))):
        blocks.append(left.expression)
        distinct = distinct or bool(left.args.get("distinct"))
        left = left.this
    blocks.append(left)
    blocks.reverse()
    recursive_at = [bool(_refers_to(b, key)) for b in blocks]
    n_anchor = recursive_at.index(True)
    if n_anchor == 0 or not all(recursive_at[n_anchor:]):
        raise _err(f"Recursive Common Table Expression '{d.name}' should have one or more "
                   "non-recursive query blocks followed by one or more recursive ones", 3574)
    for b in blocks[n_anchor:]:
        _check_recursive_block(d, b, key)
    if n_anchor == 1:
        anchor = planner.plan(blocks[0], None)
    else:
        union = blocks[0]
        for b, u in zip(blocks[1:n_anchor], _unions(query)[:n_anchor - 1], strict=True):
            union = exp.Union(this=union, expression=b, distinct=u.args.get("distinct"))
        anchor = planner.plan(union, None)
    names = _names(d, anchor)
    kinds = list(anchor.kinds) if anchor.kinds else [None] * len(names)
    widths = [_anchor_width(planner, blocks[:n_anchor], i) if k in ("str", None) else None
              for i, k in enumerate(kinds)]
    d.ref = RecursiveRef(anchor.op.width, d.name)
    d.ref_names = names
    parts: list[Operator] = []
    try:
        for b in blocks[n_anchor:]:
            part = planner.plan(b, None)
            if part.op.width != anchor.op.width:
                raise _err("The used SELECT statements have a different number of columns",
                           1222, "21000")
            targets = [k if k not in (None, "null") and pk != k else None
                       for k, pk in zip(kinds, part.kinds or [None] * len(kinds), strict=True)]
            op = part.op
            if any(t is not None for t in targets) or any(w is not None for w in widths):
                # the anchor decides the column types, and their widths
                op = AnchorTypes(op, targets, list(zip(names, widths, strict=True)))
            parts.append(op)
    finally:
        ref, d.ref = d.ref, None
    op = RecursiveCte(anchor.op, parts, ref, distinct, d.name, planner.ctx)
    return type(anchor)(op, names, anchor.origins, kinds, anchor.unsigned)  # the anchor's types


def _anchor_width(planner: Any, anchors: list[exp.Expression], i: int) -> int | None:
    """The character width of a string column as MySQL types it from the anchor blocks
    (the widest of them), or None when this planner cannot tell it statically (then the
    recursive rows are not cut)."""
    widths = []
    for block in anchors:
        if not isinstance(block, exp.Select) or i >= len(block.expressions):
            return None
        w = _char_width(planner, block, block.expressions[i])
        if w is None:
            return None
        widths.append(w)
    return max(widths) if widths else None


def _char_width(planner: Any, sel: exp.Select, node: exp.Expression) -> int | None:
    """MySQL's character length of a string expression's type: a literal's length, CAST AS
    CHAR(n)'s n, a CHAR/VARCHAR(n) column's n, CONCAT's sum; None for anything else."""
    while isinstance(node, (exp.Alias, exp.Paren)):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        return len(node.this)
    if isinstance(node, exp.Cast):
        to = node.args.get("to")
        if to is not None and to.this in (exp.DataType.Type.CHAR, exp.DataType.Type.VARCHAR,
                                          exp.DataType.Type.NCHAR, exp.DataType.Type.NVARCHAR):
            params = to.expressions
            if len(params) == 1 and isinstance(params[0].this, exp.Literal) and \
                    str(params[0].this.this).isdigit():
                return int(params[0].this.this)
        return None
    if isinstance(node, exp.Concat):
        parts = [_char_width(planner, sel, a) for a in node.expressions]
        return None if any(w is None for w in parts) else sum(parts)  # type: ignore[arg-type]
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
        t = _column_type(planner, sel, node)
        if t is not None and t.kind in ("CHAR", "VARCHAR"):
            return t.length
    return None


def _column_type(planner: Any, sel: exp.Select, col: exp.Column) -> Any:
    """The declared type of a column of one of `sel`'s base tables (None when it comes
    from anything else, or when the name is not unique among them)."""
    from_ = sel.args.get("from_")
    if from_ is None:
        return None
    tables = [from_.this] + [j.this for j in sel.args.get("joins") or []]
    stack = getattr(planner, "_cte_stack", None) or []
    hits = []
    for t in tables:
        if not isinstance(t, exp.Table):
            return None
        if not t.args.get("db") and any(t.name.lower() in f for f in stack):
            return None  # another CTE: its types are not known here
        if col.table and col.table.lower() != t.alias_or_name.lower():
            continue
        try:
            info = planner.resolve_table(t.db or None, t.name)
        except Exception:  # noqa: BLE001 - the anchor's own planning reported it already
            return None
        column = getattr(info, "column", None)
        c = column(col.name) if callable(column) else None
        if c is not None:
            hits.append(c.type)
    return hits[0] if len(hits) == 1 else None


def _unions(query: exp.Union) -> list[exp.Union]:
    """The UNION nodes of a left spine, innermost (leftmost) first."""
    out = []
    u: exp.Expression = query
    while isinstance(u, exp.Union):
        out.append(u)
        u = u.this
    out.reverse()
    return out


def _check_recursive_block(d: CteDef, block: exp.Expression, key: str) -> None:
    """MySQL's rules for a recursive query block: the CTE read once, in its FROM, not in a
    subquery (3577), and no aggregation (3575)."""
    refs = _refers_to(block, key)
    in_subquery = any(_nested_select(t, block) for t in refs)
    if len(refs) != 1 or in_subquery:
        raise _err(f"In recursive query block of Recursive Common Table Expression "
                   f"'{d.name}', the recursive table must be referenced only once, and not "
                   "in any subquery", 3577)
    if isinstance(block, exp.Select) and (
            block.args.get("group") is not None or block.args.get("distinct") is not None
            or any(True for _ in block.find_all(exp.AggFunc, exp.Window))):
        raise _err(f"Recursive Common Table Expression '{d.name}' can contain neither "
                   "aggregation nor window functions in recursive query block", 3575)


def _nested_select(node: exp.Expression, root: exp.Expression) -> bool:
    p = node.parent
    while p is not None and p is not root:
        if isinstance(p, (exp.Select, exp.SetOperation)) or (
                isinstance(p, exp.Subquery) and (p.alias or isinstance(
                    p.this, (exp.Select, exp.SetOperation)))):
            return True  # a parenthesised join (an unaliased Subquery of tables) is not
        p = p.parent
    return False


# -- operators -----------------------------------------------------------------------------


def to_anchor_kind(v: Any, kind: str) -> Any:
    """A recursive block's value in the anchor's column type: unlike UNION's widening, the
    column keeps the anchor's type, so ``SELECT 1 UNION ALL SELECT n + 0.5`` stores 2 for
    1.5 (DECIMAL rounds half away from zero, DOUBLE half to even, as MySQL's conversions)."""
    from core.sql.types.coercion import convert_to_kind

    t = type(v)
    if kind == "int":
        if t is Decimal:
            return int(v.to_integral_value(ROUND_HALF_UP))
        if t is float:
            return int(round(v))
        return v
    if kind.startswith("dec/") and t in (Decimal, float):
        return Decimal(str(v)).quantize(Decimal(1).scaleb(-int(kind[4:])), ROUND_HALF_UP)
    return convert_to_kind(v, kind)


class AnchorTypes(Operator):
    """A recursive block's rows converted to the anchor's column kinds, and its strings
    held to the anchor's widths: a longer string is MySQL's strict-mode 1406 (``SELECT 1,
    'a' UNION ALL SELECT n + 1, CONCAT(s, 'a')`` fails; CAST(... AS CHAR(20)) in the anchor
    is the way out), excess trailing spaces are cut."""

    def __init__(self, child: Operator, targets: list[str | None],
                 widths: list[tuple[str, int | None]] | None = None):
        self.child = child
        self.width = child.width
        self.targets = [(i, k) for i, k in enumerate(targets) if k is not None]
        self.widths = [(i, name, w) for i, (name, w) in enumerate(widths or [])
                       if w is not None]

    def rows(self, rt: Runtime) -> Iterator[list]:
        targets, widths = self.targets, self.widths
        for row in self.child.rows(rt):
            row = list(row)
            for i, k in targets:
                if row[i] is not None:
                    row[i] = to_anchor_kind(row[i], k)
            for i, name, w in widths:
                v = row[i]
                if type(v) is str and len(v) > w:
                    if v[w:].strip(" "):
                        raise DataError(f"Data too long for column '{name}' at row 1",
                                        errno=1406, sqlstate="22001")
                    row[i] = v[:w]
            yield row

    def explain(self):
        return ("Projection", "", "anchor column types", [self.child])


class CteRows:
    """A CTE's rows, computed once per execution and shared by all its references.  The
    execution is told by the session's run token (a new object per statement, and per
    parameter tuple of an executemany)."""

    def __init__(self, op: Operator, name: str, ctx: Any):
        self.op = op
        self.name = name
        self.ctx = ctx
        self.token: Any = None
        self.rows: list[list] | None = None

    def get(self, rt: Runtime) -> list[list]:
        token = getattr(self.ctx, "run_token", None)
        if self.rows is None or token is None or self.token is not token:
            self.rows = None
            self.rows = rt.mem.collect(self.op.rows(rt))
            self.token = token
        return self.rows


class CteScan(Operator):
    """One reference to a CTE in FROM."""

    def __init__(self, shared: CteRows):
        self.shared = shared
        self.width = shared.op.width

    def rows(self, rt: Runtime) -> Iterator[list]:
        return iter(self.shared.get(rt))

    def explain(self):
        return ("CTEFullScan", f"cte:{self.shared.name}", "", [self.shared.op])


class RecursiveRef(Operator):
    """The CTE as its recursive blocks read it: the rows of the previous iteration."""

    def __init__(self, width: int, name: str):
        self.width = width
        self.name = name
        self.current: list[list] = []

    def rows(self, rt: Runtime) -> Iterator[list]:
        return iter(self.current)

    def explain(self):
        return ("CTETable", f"cte:{self.name}", "previous iteration", [])


class RecursiveCte(Operator):
    """WITH RECURSIVE's fixpoint: anchor rows, then the recursive blocks over each new
    generation until one adds nothing.  Rows are metered, the cancel token is looked at
    every CHECK_WORK rows and every iteration, and iteration n+1 past
    @@cte_max_recursion_depth = n fails with 3636 before it runs, as in MySQL."""

    def __init__(self, anchor: Operator, parts: list[Operator], ref: RecursiveRef,
                 distinct: bool, name: str, ctx: Any):
        self.anchor = anchor
        self.parts = parts
        self.ref = ref
        self.distinct = distinct
        self.name = name
        self.ctx = ctx
        self.width = anchor.width

    def _depth(self) -> int:
        sysvars = getattr(self.ctx, "system_variables", None) or {}
        v = sysvars.get("cte_max_recursion_depth", DEFAULT_MAX_RECURSION_DEPTH)
        return v if type(v) is int else DEFAULT_MAX_RECURSION_DEPTH

    def rows(self, rt: Runtime) -> Iterator[list]:
        check, charge = rt.check, rt.mem.charge
        seen: set[tuple] | None = set() if self.distinct else None
        out: list[list] = []
        n = 0

        def keep(rows) -> list[list]:
            nonlocal n
            new = []
            for row in rows:
                n += 1
                if n >= CHECK_WORK:
                    check()
                    n = 0
                if seen is not None:
                    key = tuple(_hashable(v) for v in row)
                    if key in seen:
                        continue
                    seen.add(key)
                new.append(list(row))
                if not (len(out) + len(new)) % BLOCK:  # memory: per block of kept rows
                    charge(BLOCK * (3 if seen is not None else 1) * row_bytes(row))
            return new

        work = keep(self.anchor.rows(rt))
        out.extend(work)
        depth = self._depth()
        iteration = 0
        saved = self.ref.current
        try:
            while work:
                iteration += 1
                if iteration > depth:
                    raise OperationalError(
                        f"Recursive query aborted after {iteration} iterations. Try "
                        "increasing @@cte_max_recursion_depth to a larger value.",
                        errno=3636, sqlstate="HY000")
                check()
                self.ref.current = work
                new: list[list] = []
                for part in self.parts:
                    new.extend(keep(part.rows(rt)))
                out.extend(new)
                work = new
        finally:
            self.ref.current = saved
        return iter(out)

    def explain(self):
        return ("CTE", f"cte:{self.name}", "recursive, union " +
                ("distinct" if self.distinct else "all"), [self.anchor, *self.parts])
