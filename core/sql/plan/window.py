"""Window functions (MySQL 8): ``f(...) OVER (PARTITION BY ... ORDER BY ... [frame])``.

They run after WHERE, GROUP BY and HAVING and before DISTINCT, ORDER BY and LIMIT, so the
planner inserts one `Window` operator between the grouped rows and the select list
(`plan_windows`).  The operator reads its input whole (metered like Sort), and for each
distinct window specification sorts the rows by partition then order keys with the engine's
MySQL sort keys (NULL first), splits partitions and peer groups by equal sort keys, and
appends one column per window function.  The select list and ORDER BY then read those
columns through the scope's expression mapping; anywhere else a window function reaches the
expression compiler, which refuses it with MySQL's 3593.

Frames: ROWS with UNBOUNDED / n PRECEDING / CURRENT ROW / n FOLLOWING bounds; RANGE with
UNBOUNDED and CURRENT ROW (peers), numeric offsets over a single numeric ORDER BY key and
INTERVAL offsets over a single temporal one (``RANGE INTERVAL 7 DAY PRECEDING``).
The default, as in MySQL, is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW with an ORDER
BY (peers included) and the whole partition without one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.errors import NotSupportedError, ProgrammingError
from core.sql.functions.interval import check_unit, date_add
from core.sql.limits import BLOCK, row_bytes
from core.sql.plan.ops import CHECK_WORK, Operator, Runtime
from core.sql.plan.scope import SourceScope
from core.sql.types import to_number

Fn = Callable[[Sequence[Any]], Any]

# functions whose value ignores the frame
_RANKING = {exp.RowNumber: "ROW_NUMBER", exp.Rank: "RANK", exp.DenseRank: "DENSE_RANK",
            exp.PercentRank: "PERCENT_RANK", exp.CumeDist: "CUME_DIST",
            exp.Ntile: "NTILE", exp.Lag: "LAG", exp.Lead: "LEAD"}
_VALUE = {exp.FirstValue: "FIRST_VALUE", exp.LastValue: "LAST_VALUE",
          exp.NthValue: "NTH_VALUE"}


def _unsupported(what: str) -> NotSupportedError:
    return NotSupportedError(f"This version of KintsugiDB doesn't yet support '{what}'",
                             errno=1235, sqlstate="42000")


def _bad_args(name: str) -> ProgrammingError:
    return ProgrammingError(f"Incorrect arguments to {name.lower()}", errno=1210,
                            sqlstate="HY000")


def is_window_aggregate(node: exp.Expression) -> bool:
    """Is this aggregate call the function of an OVER clause (``SUM(x) OVER w``)?  Such a
    call is computed by the Window operator, not by GROUP BY."""
    return isinstance(node.parent, exp.Window) and node.arg_key == "this"


@dataclass
class Bound:
    """One end of a frame: kind is 'unbounded', 'current' or 'offset'; offset is signed
    (negative = PRECEDING)."""

    kind: str
    offset: Any = 0


@dataclass
class Frame:
    rows: bool  # ROWS (physical) or RANGE (peers / values)
    start: Bound
    end: Bound


@dataclass
class WindowFunc:
    name: str  # ROW_NUMBER ... NTH_VALUE, or AGG
    args: list[Fn] = field(default_factory=list)
    make: Callable | None = None  # aggregate accumulator factory
    count_star: bool = False
    # the frame and the constant arguments (NTILE buckets, LAG offset, NTH n) are thunks,
    # evaluated (and checked) at each execution: a cached plan runs again with new `?`s
    frame: Callable[[], Frame | None] | None = None
    const: list[Callable[[], Any]] = field(default_factory=list)


@dataclass
class WindowSpec:
    partition: list[Fn]
    order: list[tuple[Fn, bool]]
    funcs: list[tuple[int, WindowFunc]]  # (output slot, function)
    info: str = ""


class Window(Operator):
    """Appends one column per window function to each input row; rows leave in the order of
    the last window's sort (as MySQL's do when no ORDER BY follows)."""

    def __init__(self, child: Operator, specs: list[WindowSpec], n_funcs: int,
                 sort_key: Callable):
        self.child = child
        self.specs = specs
        self.n_funcs = n_funcs
        self.width = child.width + n_funcs
        self.sort_key = sort_key

    def rows(self, rt: Runtime):
        data = list(rt.mem.metered(self.child.rows(rt)))
        if not data:
            return iter(())
        values = [[None] * self.n_funcs for _ in data]
        rt.mem.charge((len(data) // BLOCK + 1) * BLOCK * row_bytes(values[0]))
        order = list(range(len(data)))
        # this run's constant arguments and frames (parameters may differ between runs)
        resolved = {id(fn): ([c() for c in fn.const], fn.frame() if fn.frame else None)
                    for spec in self.specs for _slot, fn in spec.funcs}
        for spec in self.specs:
            order = self._one(rt, spec, data, values, resolved)
        return iter([data[i] + values[i] for i in order])

    def explain(self):
        info = "; ".join(s.info for s in self.specs)
        return ("Window", "", info[:300], [self.child])

    def _one(self, rt: Runtime, spec: WindowSpec, data: list, values: list,
             resolved: dict) -> list[int]:
        sk = self.sort_key
        check = rt.check
        n = len(data)
        pkeys = [[sk(f(r)) for f in spec.partition] for r in data]
        raw_order = [[f(r) for f, _d in spec.order] for r in data]
        okeys = [[sk(v) for v in vals] for vals in raw_order]
        idx = list(range(n))
        for j in reversed(range(len(spec.order))):
            idx.sort(key=lambda i, j=j: okeys[i][j], reverse=spec.order[j][1])
        for j in reversed(range(len(spec.partition))):
            idx.sort(key=lambda i, j=j: pkeys[i][j])
        check()
        start = 0
        while start < n:
            end = start + 1
            while end < n and pkeys[idx[end]] == pkeys[idx[start]]:
                end += 1
            part = idx[start:end]
            self._partition(rt, spec, data, values, part, okeys, raw_order, resolved)
            start = end
            check()
        return idx

    def _partition(self, rt, spec: WindowSpec, data, values, part: list[int], okeys,
                   raw_order, resolved: dict) -> None:
        n = len(part)
        # peer groups: [first, last] positions of each row's peers
        peer_first = [0] * n
        peer_last = [0] * n
        dense = [0] * n
        g, d = 0, 0
        for i in range(1, n + 1):
            if i == n or okeys[part[i]] != okeys[part[g]]:
                d += 1
                for k in range(g, i):
                    peer_first[k], peer_last[k], dense[k] = g, i - 1, d
                g = i
        rows = [data[i] for i in part]
        for slot, fn in spec.funcs:
            out = _compute(rt, fn, resolved[id(fn)], spec, rows, peer_first, peer_last,
                           dense, [raw_order[i] for i in part])
            for k, i in enumerate(part):
                values[i][slot] = out[k]


def _compute(rt, fn: WindowFunc, resolved: tuple[list, Frame | None], spec: WindowSpec,
             rows, peer_first, peer_last, dense, raw_order) -> list:
    n = len(rows)
    const, frame = resolved
    name = fn.name
    if name == "ROW_NUMBER":
        return list(range(1, n + 1))
    if name == "RANK":
        return [p + 1 for p in peer_first]
    if name == "DENSE_RANK":
        return dense
    if name == "PERCENT_RANK":
        return [0.0 if n == 1 else p / (n - 1) for p in peer_first]
    if name == "CUME_DIST":
        return [(p + 1) / n for p in peer_last]
    if name == "NTILE":
        buckets = const[0]
        q, r = divmod(n, buckets)
        out = []
        for i in range(n):
            if q == 0:
                out.append(i + 1)
            elif i < r * (q + 1):
                out.append(i // (q + 1) + 1)
            else:
                out.append((i - r * (q + 1)) // q + r + 1)
        return out
    if name in ("LAG", "LEAD"):
        off = const[0] if name == "LEAD" else -const[0]
        arg = fn.args[0]
        default = fn.args[1] if len(fn.args) > 1 else None
        out = []
        for i, row in enumerate(rows):
            j = i + off
            if 0 <= j < n:
                out.append(arg(rows[j]))
            else:
                out.append(default(row) if default is not None else None)
        return out
    bounds = _frames(frame, n, peer_first, peer_last, raw_order, spec)
    if name in ("FIRST_VALUE", "LAST_VALUE", "NTH_VALUE"):
        arg = fn.args[0]
        out = []
        for lo, hi in bounds:
            if name == "FIRST_VALUE":
                j = lo
            elif name == "LAST_VALUE":
                j = hi
            else:
                j = lo + const[0] - 1
            out.append(arg(rows[j]) if lo <= j <= hi else None)
        return out
    return _aggregate(rt, fn, rows, bounds)


def _aggregate(rt, fn: WindowFunc, rows, bounds) -> list:
    arg = None if fn.count_star else fn.args[0]
    vals = [1 if arg is None else arg(r) for r in rows]
    out = []
    check = rt.check
    monotone = all(lo == 0 for lo, _hi in bounds) and all(
        bounds[k][1] <= bounds[k + 1][1] for k in range(len(bounds) - 1))
    if monotone:  # frames that only grow: one accumulator, fed as the frame's end moves
        acc = fn.make()
        fed = 0
        for _lo, hi in bounds:
            while fed <= hi:
                acc.add(vals[fed])
                fed += 1
            out.append(acc.result())
        return out
    work = 0
    for lo, hi in bounds:
        acc = fn.make()
        for j in range(lo, hi + 1):
            acc.add(vals[j])
        out.append(acc.result())
        work += hi - lo + 1
        if work >= CHECK_WORK:
            check()
            work = 0
    return out


def _frames(frame: Frame | None, n: int, peer_first, peer_last, raw_order,
            spec: WindowSpec) -> list[tuple[int, int]]:
    """(first, last) row positions of each row's frame; first > last is an empty frame."""
    if frame is None:
        if spec.order:  # RANGE UNBOUNDED PRECEDING .. CURRENT ROW, peers included
            return [(0, peer_last[i]) for i in range(n)]
        return [(0, n - 1)] * n
    out = []
    keys = None
    if not frame.rows and ({"offset", "interval"} & {frame.start.kind, frame.end.kind}):
        keys = _range_keys(raw_order, spec, frame)
    for i in range(n):
        lo = _bound(frame, frame.start, True, i, n, peer_first, peer_last, keys)
        hi = _bound(frame, frame.end, False, i, n, peer_first, peer_last, keys)
        out.append((max(lo, 0), min(hi, n - 1)))
    return out


def _bound(frame: Frame, b: Bound, is_start: bool, i: int, n: int, peer_first, peer_last,
           keys) -> int:
    if b.kind == "unbounded":
        return 0 if is_start else n - 1
    if b.kind == "current":
        if frame.rows:
            return i
        return peer_first[i] if is_start else peer_last[i]
    if frame.rows:
        return i + b.offset
    # RANGE with a value offset: the rows whose key lies within [v + start, v + end]
    nulls, vals, desc, seq = keys
    k = i - nulls
    v = vals[k] if 0 <= k < len(vals) else None
    if v is None:  # a NULL key's frame is its NULL peers
        return peer_first[i] if is_start else peer_last[i]
    if b.kind == "interval":  # a temporal key: v moved by the interval, as DATE_ADD does
        sgn, amount, unit = b.offset
        moved = date_add(v, amount, unit, sgn if not desc else -sgn)
        if moved is None:  # past year 9999 or before year 1: beyond every key
            ahead = sgn > 0  # FOLLOWING lies ahead in the sort order, ASC or DESC
            if is_start:
                return nulls + len(vals) if ahead else nulls
            return nulls + len(vals) - 1 if ahead else nulls - 1
        target = _ordinal(moved)
        t = target if not desc else -target
    else:
        off = b.offset
        if type(v) is float or type(off) is float:
            v, off = float(v), float(off)
        elif isinstance(v, Decimal) or isinstance(off, Decimal):
            v, off = Decimal(v), Decimal(off)
        target = v + off if not desc else v - off
        t = target if not desc else -target
    if is_start:
        return nulls + bisect_left(seq, t)
    return nulls + bisect_right(seq, t) - 1


_KEY_ERROR = ("Window '<unnamed window>' with RANGE N PRECEDING/FOLLOWING frame requires "
              "exactly one ORDER BY expression, of numeric or temporal type")
_EPOCH = datetime(1, 1, 1)


def _ordinal(v: Any) -> int:
    """A temporal value as microseconds, so temporal keys search like numbers."""
    if type(v) is timedelta:
        return v // timedelta(microseconds=1)
    if type(v) is date:
        v = datetime(v.year, v.month, v.day)
    return (v - _EPOCH) // timedelta(microseconds=1)


def _range_keys(raw_order, spec: WindowSpec, frame: Frame):
    """For RANGE value offsets: the single ORDER BY key of each row, NULLs (which sort first
    ascending, last descending) split off, and the ascending search sequence.  A numeric key
    takes numeric offsets, a temporal one INTERVALs (MySQL's 3588 / 3589 otherwise)."""
    if len(spec.order) != 1:
        raise ProgrammingError(_KEY_ERROR, errno=3587, sqlstate="HY000")
    desc = spec.order[0][1]
    keys = [r[0] for r in raw_order]
    if desc:  # NULLs sort last
        keys = [k for k in keys if k is not None]
        nulls = 0
    else:
        nulls = sum(1 for k in keys if k is None)
        keys = keys[nulls:]
    temporal = bool(keys) and type(keys[0]) in (date, datetime, timedelta)
    for k in keys:
        if not (type(k) in (int, float, date, datetime, timedelta) or isinstance(k, Decimal)) \
                or (type(k) in (date, datetime, timedelta)) != temporal:
            raise ProgrammingError(_KEY_ERROR, errno=3587, sqlstate="HY000")
    kinds = {frame.start.kind, frame.end.kind}
    if keys and temporal and "offset" in kinds:
        raise ProgrammingError(
            "Window '<unnamed window>' with RANGE frame has ORDER BY expression of datetime "
            "type. Only INTERVAL bound value allowed.", errno=3588, sqlstate="HY000")
    if keys and not temporal and "interval" in kinds:
        raise ProgrammingError(
            "Window '<unnamed window>' with RANGE frame has ORDER BY expression of numeric "
            "type, INTERVAL bound value not allowed.", errno=3589, sqlstate="HY000")
    seq = [_ordinal(k) for k in keys] if temporal else keys
    # ascending search keys: a DESC order's values negated
    return nulls, keys, desc, (seq if not desc else [-x for x in seq])


# -- planning --------------------------------------------------------------------------------


def _windows_in(node: exp.Expression) -> list[exp.Window]:
    """The window calls of an expression that belong to this query (not to a subquery)."""
    out = []
    for w in node.find_all(exp.Window):
        p = w.parent if w is not node else None
        inside = False
        while p is not None and p is not node:
            if isinstance(p, (exp.Select, exp.Subquery)):
                inside = True
                break
            p = p.parent
        if not inside and not isinstance(w.parent, exp.Window):
            out.append(w)
    return out


def having_aliases(select_exprs: list[exp.Expression],
                   having: exp.Expression | None) -> list[exp.Alias]:
    """The select aliases HAVING may read.  HAVING runs before the window functions, so an
    alias of an expression with one is left out (compiling it there would be a false 3593
    even when HAVING never names it), and HAVING naming it is MySQL's 3594."""
    out = []
    for e in select_exprs:
        if not isinstance(e, exp.Alias):
            continue
        if not _windows_in(e.this):
            out.append(e)
            continue
        low = e.alias.lower()
        if having is not None and any(
                not c.table and c.name.lower() == low for c in having.find_all(exp.Column)):
            raise ProgrammingError(f"You cannot use the alias '{e.alias}' of an expression "
                                   "containing a window function in this context.'",
                                   errno=3594, sqlstate="HY000")
    return out


def _resolve(w: exp.Window, named: dict[str, exp.Window], depth: int = 0):
    """(partition nodes, order nodes, frame spec) of a window, named windows merged in as
    MySQL does: ``OVER (w ORDER BY b)`` adds an ORDER BY to w's PARTITION BY."""
    partition = list(w.args.get("partition_by") or [])
    order = w.args.get("order")
    order_nodes = list(order.expressions) if order is not None else []
    spec = w.args.get("spec")
    ref = w.args.get("alias")
    if ref is not None and depth < 32:
        base = named.get(ref.name.lower())
        if base is None:
            raise ProgrammingError(f"Window name '{ref.name}' is not defined.", errno=3579,
                                   sqlstate="HY000")
        bp, bo, bs = _resolve(base, named, depth + 1)
        partition = bp or partition
        order_nodes = order_nodes or bo
        spec = spec or bs
    return partition, order_nodes, spec


def _frame_of(spec: exp.WindowSpec | None, const: Callable) -> Callable[[], Frame | None]:
    """A thunk giving the frame of a window (None: the default).  Its offsets are compiled
    here and evaluated and checked when the statement runs (a `?` changes between runs)."""
    if spec is None:
        return lambda: None
    unit = (spec.args.get("kind") or "ROWS").upper()
    if unit not in ("ROWS", "RANGE"):  # GROUPS: not in MySQL 8, not computed as ROWS
        raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{unit} "
                                "frames' (MySQL has ROWS and RANGE)")
    rows = unit == "ROWS"

    def bound(value, side) -> Callable[[], Bound]:
        if value is None:  # ROWS 2 PRECEDING: the end is CURRENT ROW
            return lambda: Bound("current")
        text = value if isinstance(value, str) else None
        if text is None and isinstance(value, exp.Var):
            text = value.name
        if text is not None and text.upper() == "UNBOUNDED":
            return lambda: Bound("unbounded")
        if text is not None and text.upper().replace("_", " ") == "CURRENT ROW":
            return lambda: Bound("current")
        sgn = -1 if (side or "").upper() == "PRECEDING" else 1
        if isinstance(value, exp.Interval):
            if rows:  # MySQL's grammar has no INTERVAL in a ROWS frame
                raise ProgrammingError("Window frame bound must be a non-negative integer",
                                       errno=3586, sqlstate="HY000")
            unit = check_unit(value.unit.name if isinstance(value.unit, exp.Expression)
                              else str(value.unit or "DAY"))
            amount = const(value.this)

            def interval() -> Bound:
                v = amount()
                n = to_number(v) if v is not None else None  # '-1': sqlglot keeps text
                if n is None or n < 0:
                    raise ProgrammingError("Window frame bound must be a non-negative value",
                                           errno=3586, sqlstate="HY000")
                return Bound("interval", (sgn, v, unit))
            return interval
        thunk = const(value)

        def offset() -> Bound:
            v = thunk()
            if rows and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise ProgrammingError("Window frame bound must be a non-negative integer",
                                       errno=3586, sqlstate="HY000")
            if not rows and (isinstance(v, (str, bytes)) or v is None or v < 0):
                raise ProgrammingError("Window frame bound must be a non-negative value",
                                       errno=3586, sqlstate="HY000")
            return Bound("offset", sgn * v)
        return offset

    start_side = (spec.args.get("start_side") or "").upper()
    end_side = (spec.args.get("end_side") or "").upper()
    start = bound(spec.args.get("start"), start_side)
    if spec.args.get("end") is not None:
        end = bound(spec.args.get("end"), end_side)
    else:
        end = bound(None, None)
    probe_s, probe_e = _static_kind(spec.args.get("start")), _static_kind(spec.args.get("end"))
    if probe_s == "unbounded" and start_side == "FOLLOWING":
        raise ProgrammingError("Window frame start cannot be UNBOUNDED FOLLOWING.",
                               errno=3584, sqlstate="HY000")
    if probe_e == "unbounded" and end_side == "PRECEDING":
        raise ProgrammingError("Window frame end cannot be UNBOUNDED PRECEDING.",
                               errno=3585, sqlstate="HY000")
    return lambda: Frame(rows, start(), end())


def _static_kind(value) -> str | None:
    text = value if isinstance(value, str) else (value.name if isinstance(value, exp.Var)
                                                 else None)
    return "unbounded" if text is not None and text.upper() == "UNBOUNDED" else None


def plan_windows(planner: Any, op: Operator, scope: SourceScope, sel: exp.Select,
                 select_exprs: list[exp.Expression], order: exp.Order | None,
                 aggregates: tuple[tuple[type, ...], dict[type, str]]
                 ) -> tuple[Operator, SourceScope]:
    """The hook of SelectPlanner.plan_select (after grouping, before the select list): a
    Window operator computing every window call of the select list and ORDER BY, and a scope
    that maps each call to its column.  Without window calls, `op` and `scope` unchanged.
    `aggregates` is the planner's (aggregate classes, accumulator name by class), passed in
    rather than imported so this module stays below select.py."""
    nodes: list[exp.Expression] = list(select_exprs) + (
        [o.this for o in order.expressions] if order is not None else [])
    calls: list[exp.Window] = []
    for node in nodes:
        for w in _windows_in(node):
            if w not in calls:
                calls.append(w)
    if not calls:
        return op, scope
    named = {}
    for w in sel.args.get("windows") or []:
        key = w.name.lower() if isinstance(w.this, exp.Identifier) else str(w.this).lower()
        if key in named:
            raise ProgrammingError(f"Window '{key}' is defined twice.", errno=3591,
                                   sqlstate="HY000")
        named[key] = w

    def compile_(node):
        return planner.compile(node, scope, "window clause")

    def const(node):
        """A thunk for a constant argument, evaluated when the statement runs."""
        if any(True for _ in node.find_all(exp.Column)):
            return lambda: None
        f = planner.compile(node, SourceScope([]), "window clause")
        return lambda: f(())

    specs: dict[str, WindowSpec] = {}
    base = op.width
    mapping = dict(scope.mapping)
    for slot, w in enumerate(calls):
        partition, order_nodes, frame_node = _resolve(w, named)
        key = "|".join(p.sql(dialect="mysql") for p in partition) + "#" + "|".join(
            o.sql(dialect="mysql") for o in order_nodes)
        spec = specs.get(key)
        if spec is None:
            ords = []
            for o in order_nodes:
                e = o.this if isinstance(o, exp.Ordered) else o
                ords.append((compile_(e), bool(o.args.get("desc"))))
            info = []
            if partition:
                info.append("partition by " + ", ".join(p.sql(dialect="mysql")
                                                        for p in partition))
            if order_nodes:
                info.append("order by " + ", ".join(o.sql(dialect="mysql")
                                                    for o in order_nodes))
            spec = specs[key] = WindowSpec([compile_(p) for p in partition], ords, [],
                                           " ".join(info))
        spec.funcs.append((slot, _function(w, frame_node, compile_, const, planner,
                                           aggregates)))
        mapping.setdefault(w, base + slot)
    for spec in specs.values():
        funcs_info = ", ".join(calls[slot].this.sql(dialect="mysql") for slot, _f in spec.funcs)
        spec.info = (spec.info + (", " if spec.info else "") + "funcs:" + funcs_info)[:200]
    win = Window(op, list(specs.values()), len(calls), planner.sort_key)
    cols = list(zip([a for a, _n in scope.columns], scope.names, strict=True)) + \
        [(None, f"\0w{i}") for i in range(len(calls))]
    post = SourceScope(cols, outer=scope.outer, mapping=mapping)
    post.hidden = scope.hidden
    post.kinds = dict(scope.kinds)
    post.qualifiers = dict(scope.qualifiers)
    post.aliases = dict(scope.aliases)
    return win, post


def _function(w: exp.Window, frame_node, compile_, const, planner,
              aggregates: tuple[tuple[type, ...], dict[type, str]]) -> WindowFunc:
    f = w.this
    frame = _frame_of(frame_node, const)
    rank = _RANKING.get(type(f))
    if rank is not None:
        if rank == "NTILE":
            v = const(f.this) if f.this is not None else (lambda: None)
            return WindowFunc(rank, const=[_positive(v, "ntile", 1)])
        if rank in ("LAG", "LEAD"):
            off_node = f.args.get("offset")
            off = (lambda: 1) if off_node is None else const(off_node)
            args = [compile_(f.this)]
            if f.args.get("default") is not None:
                args.append(compile_(f.args["default"]))
            return WindowFunc(rank, args=args, const=[_positive(off, rank, 0)])
        return WindowFunc(rank)
    value = _VALUE.get(type(f))
    if value is not None:
        consts = []
        if value == "NTH_VALUE":
            nth = const(f.args["offset"]) if f.args.get("offset") is not None \
                else (lambda: None)
            consts = [_positive(nth, "nth_value", 1)]
        return WindowFunc(value, args=[compile_(f.this)], frame=frame, const=consts)
    agg_classes, agg_kind = aggregates
    if isinstance(f, agg_classes):
        if isinstance(f, exp.GroupConcat):
            raise _unsupported("GROUP_CONCAT as a window function")
        arg = f.this
        if isinstance(arg, exp.Distinct):
            raise _unsupported("<window function>(DISTINCT ..)")
        name = agg_kind.get(type(f)) or type(f).__name__.upper()
        if isinstance(f, exp.Count) and (arg is None or isinstance(arg, exp.Star)):
            return WindowFunc("AGG", make=lambda: planner.make_aggregate("COUNT", False),
                              count_star=True, frame=frame)
        return WindowFunc("AGG", args=[compile_(arg)], frame=frame,
                          make=lambda name=name: planner.make_aggregate(name, False))
    fname = f.sql(dialect="mysql").split("(")[0] if f is not None else "window"
    raise _unsupported(f"{fname} as a window function")


def _positive(thunk: Callable[[], Any], name: str, least: int) -> Callable[[], int]:
    """`thunk`'s value checked to be an integer >= `least` when it runs (MySQL: 1210)."""
    def value() -> int:
        v = thunk()
        if not isinstance(v, int) or isinstance(v, bool) or v < least:
            raise _bad_args(name)
        return v
    return value
