"""Choosing how to read one table: point get, handle range, index lookup, or full scan.

The planner hands over the WHERE (or ON) conjuncts that mention only this table.  A conjunct
is usable when one side is a column of the table and the other side is constant for one
execution (literals, parameters, and columns of an *outer* query in a correlated subquery).
The conjuncts stay in the Filter above the access too, so the access only has to narrow the
rows, never to reproduce MySQL's comparison rules exactly: a constant that cannot be turned
into a key of the column's type simply disables that access path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlglot import exp

from core.catalog.model import HANDLE_CLUSTERED, HANDLE_INT, IndexInfo, TableInfo
from core.sql.plan.ops import IndexLookup, Operator, PointGet, TableFullScan, TableRangeScan
from core.sql.table import TableReader, encode_values, prefix_next
from core.sql.types import enumset
from core.sql.types.enumset import key_kind
from core.sql.types.temporal import temporal_constant, to_time

NO_KEY = object()
INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
UINT_MAX = (1 << 64) - 1
_INT_KINDS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "BOOLEAN"}
_STR_KINDS = {"CHAR", "VARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT"}
_BIN_KINDS = {"BLOB", "BINARY", "VARBINARY", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB"}


def key_value(v: Any, kind: str) -> Any:
    """`v` as stored in a column of `kind`, or NO_KEY if an index cannot be used for it."""
    if v is None:
        return NO_KEY
    if type(kind) is not str:  # ENUM/SET (see enumset.key_kind)
        return enumset.key_value(v, kind, NO_KEY)
    if kind in _INT_KINDS:
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, float) and abs(v) > 2**53:
            return NO_KEY  # many integers compare equal to this double: let the filter decide
        if isinstance(v, Decimal):
            if not v.is_finite() or v != v.to_integral_value():
                return NO_KEY
            v = int(v)
        elif isinstance(v, float):
            if not v.is_integer():  # also NaN and the infinities
                return NO_KEY
            v = int(v)
        if isinstance(v, int):
            return v if INT_MIN <= v <= UINT_MAX else NO_KEY
        return NO_KEY
    if kind == "DECIMAL":
        if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
            return Decimal(v)
        return NO_KEY
    if kind in ("FLOAT", "DOUBLE"):
        return float(v) if isinstance(v, (int, float, Decimal)) else NO_KEY
    if kind in _STR_KINDS:
        return v if isinstance(v, str) else NO_KEY
    if kind in _BIN_KINDS:
        return v if isinstance(v, bytes) else NO_KEY
    if kind in ("DATE", "DATETIME", "TIMESTAMP"):
        if type(v) is dt.date and kind == "DATE" or type(v) is dt.datetime and kind != "DATE":
            return v
        # The comparison converts the constant to the column's type first (a date string,
        # ``20210101`` or ``20210101123000``, see temporal_constant); the key is that value.
        # One MySQL does not convert (``1``, ``'abc'``) compares otherwise: scan, filter.
        r = temporal_constant(v, kind)
        return NO_KEY if r is None else r
    if kind == "TIME":
        if type(v) is dt.timedelta:
            return v
        if type(v) is int or type(v) is str:
            r = to_time(v)  # valid HHMMSS numbers order as the times they are
            return NO_KEY if r is None else r
    return NO_KEY


def cut(v: Any, n: int | None) -> Any:
    """A key value as a prefix part of `n` characters (bytes) stores it (None: whole)."""
    return v[:n] if n is not None and isinstance(v, (str, bytes)) else v


def _bound(v: Any, n: int | None, inclusive: bool) -> tuple[Any, bool]:
    """A range bound on a prefix part: as long as the prefix or longer, it is cut, and the
    entries equal to the cut value may hold rows on either side of it, so it includes them
    (the filter above decides each)."""
    if n is not None and isinstance(v, (str, bytes)) and len(v) >= n:
        return v[:n], True
    return v, inclusive


@dataclass
class ColumnConds:
    """What the conjuncts say about one column: equalities, an IN list, bounds."""

    eq: list[Callable[[], Any]] = field(default_factory=list)
    in_list: list[Callable[[], Any]] | None = None
    lo: tuple[Callable[[], Any], bool] | None = None  # (value, inclusive)
    hi: tuple[Callable[[], Any], bool] | None = None


_FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ}


def analyse(conjuncts: list[exp.Expression], column_of: Callable[[exp.Expression], str | None],
            const: Callable[[exp.Expression], Callable[[], Any] | None]) -> dict[str, ColumnConds]:
    """Collect usable conditions per column name (lower case)."""
    out: dict[str, ColumnConds] = {}

    def cc(name):
        return out.setdefault(name, ColumnConds())

    for c in conjuncts:
        if isinstance(c, (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            kind = type(c)
            col, other = column_of(c.this), c.expression
            if col is None:
                col, other, kind = column_of(c.expression), c.this, _FLIP[kind]
            if col is None:
                continue
            f = const(other)
            if f is None:
                continue
            if kind is exp.EQ:
                cc(col).eq.append(f)
            elif kind in (exp.GT, exp.GTE):
                cc(col).lo = (f, kind is exp.GTE)
            else:
                cc(col).hi = (f, kind is exp.LTE)
        elif isinstance(c, exp.In) and not c.args.get("query") and not c.args.get("not"):
            col = column_of(c.this)
            fs = [const(e) for e in c.expressions]
            if col is not None and fs and all(f is not None for f in fs):
                cc(col).in_list = fs
        elif isinstance(c, exp.Between):
            col = column_of(c.this)
            lo, hi = const(c.args["low"]), const(c.args["high"])
            if col is not None and lo is not None and hi is not None:
                cc(col).lo = (lo, True)
                cc(col).hi = (hi, True)
    return out


def index_allowed(allowed: frozenset[str] | None, ix: IndexInfo | None) -> bool:
    """Whether an index hint lets the planner use `ix` (None: the primary key / handle)."""
    if allowed is None:
        return True
    return ("primary" if ix is None or ix.primary else ix.name.lower()) in allowed


def hinted_indexes(t: TableInfo, hints: list[exp.Expression] | None,
                   flagged: frozenset[int] = frozenset()) -> frozenset[str] | None:
    """The index names USE/FORCE/IGNORE INDEX hints leave usable (lower case, "primary" for
    the primary key), or None without hints.  An unknown name is ERROR 1176, as in MySQL.
    FORCE is USE here: the rule-based choice already prefers any usable index to a scan.

    `flagged` are the ids of indexes flagged corrupt (core.check.flags): the plan goes
    around them (another index or a scan reads the same rows), unless a USE/FORCE INDEX hint
    names one: that statement asked for the index itself, and fails with ERROR 1712."""
    if not hints and not flagged:
        return None
    from core.errors import IndexCorruptError, ProgrammingError

    names = {ix.name.lower() for ix in t.indexes}
    if t.pk_columns:
        names.add("primary")
    bad = {ix.name.lower(): ix.name for ix in t.indexes if ix.id in flagged}
    if not hints:
        return frozenset(names - set(bad))
    allowed: set[str] | None = None
    ignored: set[str] = set()
    for h in hints:
        if not isinstance(h, exp.IndexTableHint):
            continue
        listed = set()
        for e in h.expressions:
            name = e.name
            if name.lower() not in names:
                raise ProgrammingError(f"Key '{name}' doesn't exist in table '{t.name}'",
                                       errno=1176, sqlstate="42000")
            listed.add(name.lower())
        if str(h.this).upper() == "IGNORE":
            ignored |= listed
        else:  # USE / FORCE: only these (USE INDEX () means none)
            for name in listed:
                if name in bad:
                    raise IndexCorruptError(f"Index {bad[name]} is corrupted")
            allowed = listed if allowed is None else allowed | listed
    usable = set(names) if allowed is None else allowed
    return frozenset(usable - ignored - set(bad))


def forced_index(t: TableInfo, hints: list[exp.Expression] | None) -> IndexInfo | None:
    """The one secondary index a FORCE INDEX (idx) hint names, or None.  With no condition
    it can use, the statement still reads through that index, all of it (TiDB's
    IndexFullScan): `SELECT COUNT(*) FROM t FORCE INDEX (idx)` counts the index's entries,
    the way a DBA compares an index with its table by hand."""
    for h in hints or ():
        if isinstance(h, exp.IndexTableHint) and str(h.this).upper() == "FORCE" and \
                len(h.expressions) == 1:
            name = h.expressions[0].name.lower()
            for ix in t.secondary_indexes:
                if ix.name.lower() == name and ix.state == "public" and not ix.primary:
                    return ix
    return None


def full_index(reader: TableReader, ix: IndexInfo) -> Operator:
    """Every row through every entry of `ix`, in index order."""
    return IndexLookup(reader, ix, lambda: [(None, None)], "full index (FORCE INDEX)")


def choose(reader: TableReader, conds: dict[str, ColumnConds],
           allowed: frozenset[str] | None = None, forced: IndexInfo | None = None) -> Operator:
    """The cheapest access for these conditions (by a simple rule order, no statistics),
    among the indexes `allowed` by the table's index hints (None: all); with `forced` (a
    FORCE INDEX hint) and no usable condition, that whole index rather than a scan."""
    t = reader.table
    kinds = {c.name.lower(): key_kind(c.type) for c in t.columns}
    if t.handle == HANDLE_INT and index_allowed(allowed, None):
        pk = t.pk_columns[0].lower()
        c = conds.get(pk)
        if c is not None:
            op = _int_handle_access(reader, c, kinds[pk])
            if op is not None:
                return op
    best: tuple[int, int, Operator] | None = None
    candidates: list[tuple[IndexInfo | None, list[str]]] = []
    if t.handle == HANDLE_CLUSTERED and index_allowed(allowed, None):
        candidates.append((None, [c.lower() for c in t.pk_columns]))
    for ix in t.indexes:
        if ix.state == "public" and not (ix.primary and t.handle != "rowid") and \
                index_allowed(allowed, ix):
            candidates.append((ix, [c.lower() for c in ix.columns]))
    for ix, cols in candidates:
        scored = _prefix_access(reader, ix, cols, conds, kinds)
        if scored is not None and (best is None or scored[:2] > best[:2]):
            best = scored
    if best is not None:
        return best[2]
    if forced is not None:
        return full_index(reader, forced)
    return TableFullScan(reader)


def _int_handle_access(reader: TableReader, c: ColumnConds, kind: str) -> Operator | None:
    if c.eq:
        fs = c.eq

        def handles(fs=fs):
            vals = [key_value(f(), kind) for f in fs]
            if any(v is NO_KEY or not INT_MIN <= v <= INT_MAX for v in vals):
                return None  # not a key of this type: scan, let the filter decide
            return vals[:1] if len(set(vals)) == 1 else []

        return PointGet(reader, handles, "handle = const")
    if c.in_list:
        fs = c.in_list

        def handles_in(fs=fs):
            vals = [key_value(f(), kind) for f in fs]
            if any(v is NO_KEY and raw is not None for v, raw in zip(vals, (f() for f in fs),
                                                                     strict=True)):
                return None
            return [v for v in vals if v is not NO_KEY and INT_MIN <= v <= INT_MAX]

        return PointGet(reader, handles_in, f"handle in ({len(fs)} values)")
    if c.lo or c.hi:
        lo_spec, hi_spec = c.lo, c.hi

        def bounds():
            lo, hi = INT_MIN, INT_MAX
            if lo_spec:
                raw = lo_spec[0]()
                if raw is None:
                    return ()  # a comparison with NULL matches nothing
                v = _int_bound(raw, up=True)
                if v is None:
                    return None
                lo = v if lo_spec[1] or v != raw else v + 1
            if hi_spec:
                raw = hi_spec[0]()
                if raw is None:
                    return ()
                v = _int_bound(raw, up=False)
                if v is None:
                    return None
                hi = v if hi_spec[1] or v != raw else v - 1
            if lo > hi:
                return ()
            return reader.key_range(max(lo, INT_MIN), hi + 1 if hi < INT_MAX else None)

        return TableRangeScan(reader, bounds, "range: handle")
    return None


def _int_bound(v, up: bool) -> int | None:
    """Round a bound to an int handle: a lower bound up, an upper bound down."""
    if v is None or isinstance(v, (str, bytes)):
        return None
    if isinstance(v, float) and abs(v) > 2**53:
        return None  # a double this large stands for many integers: scan, filter decides
    try:
        if isinstance(v, int):
            iv = v
        else:
            import math

            iv = math.ceil(v) if up else math.floor(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(iv, INT_MIN), INT_MAX)


def _prefix_access(reader, ix: IndexInfo | None, cols: list[str], conds, kinds):
    """Equalities on a leading prefix of `cols`, then IN or a range on the next column."""
    eqs = []
    for col in cols:
        c = conds.get(col)
        if c is None or not c.eq:
            break
        eqs.append((col, c.eq[0]))
    nxt = cols[len(eqs)] if len(eqs) < len(cols) else None
    nc = conds.get(nxt) if nxt else None
    in_list = nc.in_list if nc and nc.in_list else None
    rng = (nc.lo, nc.hi) if nc and (nc.lo or nc.hi) and not in_list else None
    if not eqs and not in_list and not rng:
        return None
    base = reader.key_prefix(ix)
    full_eq = len(eqs) == len(cols)
    unique = ix is None or ix.unique
    eq_kinds = [kinds[col] for col, _ in eqs]
    nxt_kind = kinds.get(nxt) if nxt else None
    # prefix parts (KEY (a(10))): keys hold cut values, so a lookup only narrows the rows;
    # the conditions stay in the Filter above, which checks the whole value of each row
    lengths = (ix.lengths if ix is not None else None) or [None] * len(cols)
    eq_lengths, nxt_len = lengths[:len(eqs)], lengths[len(eqs)] if nxt else None
    rng_kind = enumset.range_kind(nxt_kind)

    def prefix_values():
        vals = [key_value(f(), k) for (_c, f), k in zip(eqs, eq_kinds, strict=True)]
        if any(v is NO_KEY for v in vals):
            return None
        return [cut(v, n) for v, n in zip(vals, eq_lengths, strict=True)]

    def ranges():
        vals = prefix_values()
        if vals is None:
            return None  # not keys of these types: scan, let the filter decide
        pre = base + encode_values(vals)
        if in_list:
            out = []
            for f in in_list:
                raw = f()
                v = key_value(raw, nxt_kind)
                if v is NO_KEY:
                    if raw is None:
                        continue
                    return None
                k = pre + encode_values([cut(v, nxt_len)])
                out.append((k, prefix_next(k)))
            return sorted(set(out))
        if rng:
            lo_spec, hi_spec = rng
            lo, hi = pre, prefix_next(pre)
            if lo_spec:
                v = key_value(lo_spec[0](), rng_kind)
                if v is NO_KEY:
                    return [(pre, prefix_next(pre))] if vals or ix else None
                v, inclusive = _bound(v, nxt_len, lo_spec[1])
                k = pre + encode_values([v])
                lo = k if inclusive else prefix_next(k)
            if hi_spec:
                v = key_value(hi_spec[0](), rng_kind)
                if v is NO_KEY:
                    return [(pre, prefix_next(pre))] if vals or ix else None
                v, inclusive = _bound(v, nxt_len, hi_spec[1])
                k = pre + encode_values([v])
                hi = prefix_next(k) if inclusive else k
            return [(lo, hi)] if lo < hi else []
        return [(pre, prefix_next(pre))]

    used = [c for c, _ in eqs] + ([nxt] if (in_list or rng) else [])
    info = "range:" + ",".join(used)
    if ix is None:
        if full_eq:
            def handles():
                vals = prefix_values()
                return None if vals is None else [encode_values(vals)]
            op = PointGet(reader, handles, "clustered handle = const")
        else:
            op = _ClusteredRange(reader, ranges, info)
    else:
        op = IndexLookup(reader, ix, ranges, info)
    score = (len(eqs) * 2 + (1 if (in_list or rng) else 0), 2 if full_eq and unique else 0)
    return score[0], score[1], op


class _ClusteredRange(TableRangeScan):
    """Ranges over a clustered primary key: row keys are the encoded key values."""

    def __init__(self, reader, ranges, info):
        super().__init__(reader, lambda: None, info)
        self.ranges = ranges

    def rows(self, rt):
        ranges = self.ranges()
        if ranges is None:
            yield from self.reader.scan_rows(rt.view)
            return
        for lo, hi in ranges:
            for _k, row in self.reader.scan(rt.view, lo, hi):
                yield row


def table_of(t: TableInfo) -> str:
    return t.full_name
