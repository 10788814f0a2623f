"""Physical operators.

An operator is built once per (statement, schema version) and executed many times: `rows(rt)`
takes a `Runtime` (the read view and the statement's parameters) and yields rows as Python
lists.  Expressions inside operators are closures compiled by `core.sql.expr`; they read
parameters through the shared `EvalContext`, which the session fills before each run.

`explain()` returns `(operator, access object, operator info, children)` for EXPLAIN, in the
spirit of TiDB's plan output (`TableFullScan`, `PointGet`, `IndexRangeScan`, ...).
"""

from __future__ import annotations

import heapq
import itertools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.check.errors import inconsistent_index_error
from core.errors import DatabaseError, Error
from core.sql.limits import BLOCK, UNLIMITED, MemoryTracker, row_bytes
from core.sql.table import TableReader, row_decoder
from core.sql.types.json import JsonText, json_group_key

Row = list
Fn = Callable[[Sequence[Any]], Any]
CHECK_WORK = 256  # rows combined by a join between two looks at the cancel token


def _never_cancelled() -> None:
    return None


@dataclass
class Runtime:
    """What changes between two executions of the same plan."""

    view: Any  # Snapshot or a transaction's read view: get(space, key), scan(space, lo, hi, rev)
    # Bytes held by sorts, hash tables and DISTINCT sets (tidb_mem_quota_query, ERROR 8175).
    mem: MemoryTracker = UNLIMITED
    # The statement's cancel check (raises 1317/3024).  Scans check through their read view;
    # joins also call this, because a join can combine rows for minutes out of a handful
    # of scanned ones (a cross join feeding COUNT(*) reads nothing new for each output row).
    check: Callable[[], None] = _never_cancelled


class Operator:
    width: int = 0

    def rows(self, rt: Runtime) -> Iterator[Row]:
        raise NotImplementedError

    def explain(self) -> tuple[str, str, str, list[Operator]]:
        return (type(self).__name__, "", "", [])


# -- sources ---------------------------------------------------------------------------------


class Dual(Operator):
    """SELECT without FROM: one empty row."""

    width = 0

    def rows(self, rt):
        yield []

    def explain(self):
        return ("TableDual", "", "rows:1", [])


class TableFullScan(Operator):
    def __init__(self, reader: TableReader, reverse: bool = False):
        self.reader = reader
        self.width = reader.width
        self.reverse = reverse

    def rows(self, rt):
        if self.reverse:
            for _k, row in self.reader.scan(rt.view, reverse=True):
                yield row
        else:
            yield from self.reader.scan_rows(rt.view)

    def explain(self):
        return ("TableFullScan", f"table:{self.reader.table.name}",
                "keep order:" + ("desc" if self.reverse else "false"), [])


class PointGet(Operator):
    """Rows by handle: one handle (`=`) or several (`IN`), computed per execution."""

    def __init__(self, reader: TableReader, handles: Callable[[], list], info: str):
        self.reader = reader
        self.handles = handles
        self.width = reader.width
        self.info = info

    def rows(self, rt):
        handles = self.handles()
        if handles is None:  # the constants were not keys of the column's type
            yield from self.reader.scan_rows(rt.view)
            return
        seen = set()
        for h in handles:
            if h in seen:
                continue
            seen.add(h)
            row = self.reader.get(rt.view, h)
            if row is not None:
                yield row

    def explain(self):
        return ("PointGet", f"table:{self.reader.table.name}, handle", self.info, [])


class TableRangeScan(Operator):
    """Rows whose handle lies in a range, by one cursor walk over the row keys."""

    def __init__(self, reader: TableReader, bounds: Callable[[], tuple[bytes, bytes] | None],
                 info: str, reverse: bool = False):
        self.reader = reader
        self.bounds = bounds
        self.width = reader.width
        self.info = info
        self.reverse = reverse

    def rows(self, rt):
        b = self.bounds()
        if b is None:
            b = (None, None)  # bounds of another type: scan everything, the filter decides
        elif not b:
            return
        for _k, row in self.reader.scan(rt.view, b[0], b[1], self.reverse):
            yield row

    def explain(self):
        return ("TableRangeScan", f"table:{self.reader.table.name}", self.info, [])


class IndexLookup(Operator):
    """Rows through an index: walk index entries in key ranges, then fetch each row.

    An entry whose row does not exist (a dangling entry) stops the query with TiDB's ERROR
    8133 rather than returning a wrong answer; rows are streamed, so it is raised at the
    first such entry, with the counts read so far: `index-count:n != record-count:n-1`
    (n entries read, every one before it found its row).  A row that exists but is damaged
    and skipped by a forced open (force_recovery >= 1) stays a warning (1877)."""

    def __init__(self, reader: TableReader, index, ranges: Callable[[], list[tuple[bytes, bytes]]],
                 info: str, reverse: bool = False):
        self.reader = reader
        self.index = index
        self.ranges = ranges
        self.width = reader.width
        self.info = info
        self.reverse = reverse

    def rows(self, rt):
        reader, view = self.reader, rt.view
        ranges = self.ranges()
        if ranges is None:
            yield from reader.scan_rows(view)
            return
        for i, (lo, hi) in enumerate(ranges):
            for k, handle in reader.index_scan(view, self.index, lo, hi, self.reverse):
                row = reader.get(view, handle)
                if row is None:
                    if reader.has_row(view, handle):
                        continue  # a damaged row a forced open skipped (its warning says so)
                    seen = _entries_read(reader, view, self.index, ranges, i, k, self.reverse)
                    raise dangling_entry(reader.table, self.index, seen, seen - 1)
                yield row

    def explain(self):
        return ("IndexLookUp", f"table:{self.reader.table.name}, index:{self.index.name}"
                f"({', '.join(self.index.columns)})", self.info, [])


def dangling_entry(table, index, index_count: int, record_count: int) -> DatabaseError:
    """TiDB's ERROR 8133: a read through `index` met an entry whose row does not exist.
    The counts are those of the lookup that met it: index entries read, rows found."""
    return inconsistent_index_error(table.name, index.name, index_count, record_count)


def index_rows(reader: TableReader, view, index, lo: bytes, hi: bytes) -> list[Row]:
    """The rows of the entries of `index` in [lo, hi), for an index join's inner lookup.
    The lookup is materialised, so a dangling entry's ERROR 8133 carries its exact counts:
    entries read vs rows that exist among them."""
    get = reader.get
    handles = [h for _k, h in reader.index_scan(view, index, lo, hi)]
    rows = [get(view, h) for h in handles]
    if None not in rows:
        return rows
    for h, row in zip(handles, rows, strict=True):
        if row is None and not reader.has_row(view, h):
            found = sum(1 for x in handles if reader.has_row(view, x))
            raise dangling_entry(reader.table, index, len(handles), found)
    return [r for r in rows if r is not None]  # damaged, skipped by a forced open


def _entries_read(reader: TableReader, view, index, ranges, i: int, key: bytes,
                  reverse: bool) -> int:
    """How many entries an `IndexLookup` had read when it met the dangling one at `key`,
    in range `i` of `ranges`: counted again on this error path only, so the rows of a sound
    index pay nothing for the message.  Every entry before the dangling one found its row
    (the operator stops at the first that does not), so the rows found are this minus one."""
    n = 0
    for lo, hi in ranges[:i]:
        n += sum(1 for _ in reader.index_scan(view, index, lo, hi))
    lo, hi = ranges[i]
    for k, _h in reader.index_scan(view, index, lo, hi, reverse):
        n += 1
        if k == key:
            break
    return n


class Materialized(Operator):
    """Rows computed by a sub-plan (a derived table or a view-like subquery in FROM)."""

    def __init__(self, child: Operator, name: str):
        self.child = child
        self.width = child.width
        self.name = name

    def rows(self, rt):
        return self.child.rows(rt)

    def explain(self):
        return ("Projection", f"derived:{self.name}", "", [self.child])


class ValuesSource(Operator):
    def __init__(self, values: list[list[Fn]]):
        self.values = values
        self.width = len(values[0]) if values else 0

    def rows(self, rt):
        for exprs in self.values:
            yield [f(()) for f in exprs]


# -- row transformations --------------------------------------------------------------------


class Filter(Operator):
    def __init__(self, child: Operator, pred: Fn, info: str):
        self.child = child
        self.pred = pred
        self.width = child.width
        self.info = info

    def rows(self, rt):
        pred = self.pred
        for row in self.child.rows(rt):
            if pred(row):
                yield row

    def explain(self):
        return ("Selection", "", self.info, [self.child])


class Project(Operator):
    def __init__(self, child: Operator, exprs: list[Fn], info: str = ""):
        self.child = child
        self.exprs = exprs
        self.width = len(exprs)
        self.info = info

    def rows(self, rt):
        exprs = self.exprs
        if len(exprs) == 1:
            f = exprs[0]
            for row in self.child.rows(rt):
                yield [f(row)]
            return
        for row in self.child.rows(rt):
            yield [f(row) for f in exprs]

    def explain(self):
        return ("Projection", "", self.info, [self.child])


class Limit(Operator):
    def __init__(self, child: Operator, count: Callable[[], int | None],
                 offset: Callable[[], int]):
        self.child = child
        self.count = count
        self.offset = offset
        self.width = child.width

    def rows(self, rt):
        count, offset = self.count(), self.offset()
        if count == 0 or offset >= sys.maxsize:
            return iter(())
        # LIMIT 18446744073709551615 is MySQL's idiom for "all the rest"
        stop = None if count is None or offset + count >= sys.maxsize else offset + count
        return itertools.islice(self.child.rows(rt), offset, stop)

    def explain(self):
        return ("Limit", "", "", [self.child])


class Distinct(Operator):
    def __init__(self, child: Operator, width: int | None = None):
        self.child = child
        self.width = child.width
        self.key_width = width  # compare only the first `width` columns (hidden sort keys)

    def rows(self, rt):
        seen = set()
        w = self.key_width
        charge = rt.mem.charge
        for row in self.child.rows(rt):
            key = tuple(_hashable(v) for v in (row if w is None else row[:w]))
            if key not in seen:
                seen.add(key)
                if not len(seen) % BLOCK:  # memory: per block of new keys, not per row
                    charge(BLOCK * 2 * row_bytes(key))
                yield row

    def explain(self):
        return ("HashAgg", "", "distinct", [self.child])


class Sort(Operator):
    """ORDER BY: `keys` are (position, descending) over the child's rows; a LIMIT above it
    turns it into a top-N with a heap."""

    def __init__(self, child: Operator, keys: list[tuple[int, bool]], sort_key: Callable,
                 top: Callable[[], int | None] | None = None):
        self.child = child
        self.keys = keys
        self.width = child.width
        self.sort_key = sort_key
        self.top = top

    def rows(self, rt):
        sk = self.sort_key
        n = self.top() if self.top else None
        rows = self.child.rows(rt) if n is not None else rt.mem.metered(self.child.rows(rt))
        if len(self.keys) == 1:
            pos, desc = self.keys[0]
            def key(r, pos=pos):
                return sk(r[pos])

            if n is not None:
                pick = heapq.nlargest if desc else heapq.nsmallest
                return iter(pick(n, rows, key=key))
            return iter(sorted(rows, key=key, reverse=desc))
        data = list(rows)
        # stable multi-key sort: sort by the least significant key first
        for pos, desc in reversed(self.keys):
            data.sort(key=lambda r, p=pos: sk(r[p]), reverse=desc)
        if n is not None:
            del data[n:]
        return iter(data)

    def explain(self):
        info = ", ".join(f"#{p}{':desc' if d else ''}" for p, d in self.keys)
        return ("TopN" if self.top else "Sort", "", info, [self.child])


class Truncate(Operator):
    """Drops hidden trailing columns (sort keys computed next to the select list)."""

    def __init__(self, child: Operator, width: int):
        self.child = child
        self.width = width

    def rows(self, rt):
        w = self.width
        for row in self.child.rows(rt):
            yield row[:w]

    def explain(self):
        return self.child.explain()


class Union(Operator):
    def __init__(self, children: list[Operator], distinct: bool):
        self.children = children
        self.width = children[0].width
        self.distinct = distinct

    def rows(self, rt):
        chained = itertools.chain.from_iterable(c.rows(rt) for c in self.children)
        if not self.distinct:
            return chained
        return Distinct(_Wrap(chained, self.width)).rows(rt)

    def explain(self):
        return ("Union", "", "distinct" if self.distinct else "all", list(self.children))


class SetOp(Operator):
    """INTERSECT / EXCEPT (MySQL 8.0.31): the right side's rows are counted by value (NULLs
    equal, as DISTINCT compares them), then the left side streams through in its order.
    DISTINCT emits each qualifying row once; ALL works on multiset counts: INTERSECT ALL
    gives a row min(left, right) times, EXCEPT ALL max(left - right, 0) times, by spending
    the right side's count as the left rows come.  The counts are metered like a hash
    join's table, and both loops look at the cancel token every CHECK_WORK rows."""

    def __init__(self, left: Operator, right: Operator, kind: str, distinct: bool):
        self.left, self.right = left, right
        self.kind = kind  # "intersect" or "except"
        self.distinct = distinct
        self.width = left.width

    def rows(self, rt):
        check, charge = rt.check, rt.mem.charge
        counts: dict[tuple, int] = {}
        n = 0
        for row in self.right.rows(rt):
            key = tuple(_hashable(v) for v in row)
            if key in counts:
                counts[key] += 1
            else:
                counts[key] = 1
                if not len(counts) % BLOCK:  # memory: per block of new keys
                    charge(BLOCK * 2 * row_bytes(key))
            n += 1
            if n >= CHECK_WORK:
                check()
                n = 0
        intersect = self.kind == "intersect"
        seen: set[tuple] = set()
        for row in self.left.rows(rt):
            n += 1
            if n >= CHECK_WORK:
                check()
                n = 0
            key = tuple(_hashable(v) for v in row)
            if self.distinct:
                if key in seen or (key in counts) != intersect:
                    continue
                seen.add(key)
                if not len(seen) % BLOCK:
                    charge(BLOCK * 2 * row_bytes(key))
                yield row
                continue
            left_over = counts.get(key, 0)
            if left_over:
                counts[key] = left_over - 1
                if intersect:
                    yield row
            elif not intersect:
                yield row

    def explain(self):
        name = "Intersect" if self.kind == "intersect" else "Except"
        return (name, "", "distinct" if self.distinct else "all", [self.left, self.right])


class ConvertColumns(Operator):
    """A UNION part's rows with some columns converted to the UNION's column type (MySQL:
    ``SELECT '3' UNION SELECT 5`` is a VARCHAR column, 5 becomes '5'), before the UNION
    compares them for DISTINCT or ORDER BY.  `targets[i]` is a kind of
    `core.sql.types.coercion.convert_to_kind`, or None to leave column i alone."""

    def __init__(self, child: Operator, targets: list[str | None]):
        self.child = child
        self.width = child.width
        self.targets = [(i, k) for i, k in enumerate(targets) if k is not None]

    def rows(self, rt):
        from core.sql.types.coercion import convert_to_kind

        targets = self.targets
        for row in self.child.rows(rt):
            row = list(row)
            for i, k in targets:
                row[i] = convert_to_kind(row[i], k)
            yield row

    def explain(self):
        return ("Projection", "", "union column types", [self.child])


class UnifiedParts:
    """The parts of a UNION whose column types are known only from their values (expressions
    the planner cannot type): every part is read, each column's type is MySQL's aggregate
    of the parts' types (`kinds[part][col]`, a kind or None for "judge by the values"), and
    the values are converted to it.  One run serves each part once: a part read before any
    run, or read again after it was served, starts a new run (a new execution, or the
    next row of a correlated subquery), whichever part the consumer reads first (UNION
    reads part 0 first, INTERSECT / EXCEPT their right side), so one execution reads every
    part once."""

    def __init__(self, ops: list[Operator], kinds: list[list[Any]]):
        self.ops = ops
        self.kinds = kinds
        self.parts: list[list[list]] = []
        self.served: set[int] | None = None  # parts read since the last run; None: no run

    def part(self, rt: Runtime, index: int) -> list[list]:
        if self.served is None or index in self.served:
            self.served = None  # until this run completes (an error leaves it to redo)
            self.run(rt)
            self.served = set()
        self.served.add(index)
        return self.parts[index]

    def run(self, rt: Runtime) -> None:
        from core.sql.types.coercion import aggregate_kinds, convert_to_kind, kind_of_value

        parts = [list(rt.mem.metered(list(r) for r in op.rows(rt))) for op in self.ops]
        width = self.ops[0].width
        for j in range(width):
            seen: set[Any] = set()
            for p, rows in enumerate(parts):
                k = self.kinds[p][j]
                if k is not None:
                    seen.add(k)
                    continue
                for r in rows:
                    v = r[j]
                    if v is not None:
                        seen.add(kind_of_value(v))
            target = aggregate_kinds(sorted(k for k in seen if k is not None))
            if target is None or len(seen - {None}) <= 1:
                continue
            for rows in parts:
                for r in rows:
                    if r[j] is not None:
                        r[j] = convert_to_kind(r[j], target)
        self.parts = parts


class UnionPart(Operator):
    """One part of a UNION read through `UnifiedParts`."""

    def __init__(self, shared: UnifiedParts, index: int):
        self.shared = shared
        self.index = index
        self.width = shared.ops[index].width

    def rows(self, rt):
        return iter(self.shared.part(rt, self.index))

    def explain(self):
        return ("Projection", "", "union column types", [self.shared.ops[self.index]])


class _Wrap(Operator):
    def __init__(self, it, width):
        self.it = it
        self.width = width

    def rows(self, rt):
        return self.it


# -- joins -----------------------------------------------------------------------------------


class NestedLoopJoin(Operator):
    """Any join condition: the inner side is materialised once per execution."""

    def __init__(self, left: Operator, right: Operator, on: Fn | None, left_outer: bool,
                 info: str):
        self.left, self.right = left, right
        self.on = on
        self.left_outer = left_outer
        self.width = left.width + right.width
        self.info = info

    def rows(self, rt):
        inner = list(rt.mem.metered(self.right.rows(rt)))
        on = self.on
        pad = [None] * self.right.width
        check, per_row, work = rt.check, len(inner) + 1, 0
        for lrow in self.left.rows(rt):
            work += per_row
            if work >= CHECK_WORK:
                check()
                work = 0
            matched = False
            for rrow in inner:
                row = lrow + rrow
                if on is None or on(row):
                    matched = True
                    yield row
            if not matched and self.left_outer:
                yield lrow + pad

    def explain(self):
        kind = "left outer join" if self.left_outer else "inner join"
        return ("NestedLoopJoin", "", f"{kind}{', ' + self.info if self.info else ''}",
                [self.left, self.right])


class HashJoin(Operator):
    """Equi-joins: hash the inner side on its join keys, probe with the outer rows."""

    def __init__(self, left: Operator, right: Operator, left_keys: list[Fn],
                 right_keys: list[Fn], other: Fn | None, left_outer: bool, info: str):
        self.left, self.right = left, right
        self.left_keys, self.right_keys = left_keys, right_keys
        self.other = other
        self.left_outer = left_outer
        self.width = left.width + right.width
        self.info = info

    def rows(self, rt):
        table: dict = {}
        rkeys = self.right_keys
        for rrow in rt.mem.metered(self.right.rows(rt)):
            key = tuple(_join_key(f(rrow)) for f in rkeys)
            if None in key:
                continue  # NULL never equals anything
            table.setdefault(key, []).append(rrow)
        lkeys, other = self.left_keys, self.other
        pad = [None] * self.right.width
        check, work = rt.check, 0
        for lrow in self.left.rows(rt):
            key = tuple(_join_key(f(lrow)) for f in lkeys)
            matched = False
            if None not in key:
                bucket = table.get(key, ())
                work += len(bucket) + 1
                if work >= CHECK_WORK:
                    check()
                    work = 0
                for rrow in bucket:
                    row = lrow + rrow
                    if other is None or other(row):
                        matched = True
                        yield row
            if not matched and self.left_outer:
                yield lrow + pad

    def explain(self):
        kind = "left outer join" if self.left_outer else "inner join"
        return ("HashJoin", "", f"{kind}, equal:[{self.info}]", [self.left, self.right])


class IndexJoin(Operator):
    """For each outer row, fetch the matching inner rows by primary key or index."""

    def __init__(self, left: Operator, lookup: Callable[[Runtime, Row], Iterator[Row]],
                 inner_width: int, other: Fn | None, left_outer: bool, info: str):
        self.left = left
        self.lookup = lookup
        self.inner_width = inner_width
        self.other = other
        self.left_outer = left_outer
        self.width = left.width + inner_width
        self.info = info

    def rows(self, rt):
        other, lookup = self.other, self.lookup
        pad = [None] * self.inner_width
        for lrow in self.left.rows(rt):
            matched = False
            for rrow in lookup(rt, lrow):
                row = lrow + rrow
                if other is None or other(row):
                    matched = True
                    yield row
            if not matched and self.left_outer:
                yield lrow + pad

    def explain(self):
        kind = "left outer join" if self.left_outer else "inner join"
        return ("IndexJoin", "", f"{kind}, {self.info}", [self.left])


# -- aggregation -----------------------------------------------------------------------------


class HashAgg(Operator):
    """GROUP BY: output rows are group values + aggregate results + the group's first row
    (so a bare column of a non-grouped expression reads its first value, like ANY_VALUE)."""

    def __init__(self, child: Operator, group: list[Fn], aggs: list[tuple[Callable, Fn | None]],
                 scalar: bool, info: str):
        self.child = child
        self.group = group
        self.aggs = aggs  # (accumulator factory, argument fn or None for COUNT(*))
        self.scalar = scalar  # no GROUP BY: exactly one output row, even over no input
        self.width = len(group) + len(aggs) + child.width
        self.info = info

    def rows(self, rt):
        group, aggs = self.group, self.aggs
        if self.scalar:
            accs = [make() for make, _ in aggs]
            first = None
            if len(aggs) == 1 and not group:
                acc, arg = accs[0], aggs[0][1]
                add = acc.add
                if arg is None:
                    for row in self.child.rows(rt):
                        if first is None:
                            first = row
                        add(1)
                else:
                    for row in self.child.rows(rt):
                        if first is None:
                            first = row
                        add(arg(row))
            else:
                for row in self.child.rows(rt):
                    if first is None:
                        first = row
                    for acc, (_m, arg) in zip(accs, aggs, strict=True):
                        acc.add(1 if arg is None else arg(row))
            yield [a.result() for a in accs] + (first or [None] * self.child.width)
            return
        groups: dict = {}
        charge = rt.mem.charge
        for row in self.child.rows(rt):
            gvals = [f(row) for f in group]
            key = tuple(_hashable(v) for v in gvals)
            entry = groups.get(key)
            if entry is None:
                entry = groups[key] = (gvals, [make() for make, _ in aggs], row)
                if not len(groups) % BLOCK:  # memory: per block of new groups
                    charge(BLOCK * (2 * row_bytes(gvals) + row_bytes(row) + 64 * len(aggs)))
            for acc, (_m, arg) in zip(entry[1], aggs, strict=True):
                acc.add(1 if arg is None else arg(row))
        for gvals, accs, first in groups.values():
            yield gvals + [a.result() for a in accs] + first

    def explain(self):
        return ("HashAgg", "", self.info, [self.child])


class ScanAggregate(Operator):
    """`SELECT agg(col), ... FROM t` with no WHERE/GROUP BY: the aggregates are computed in
    the scan loop itself, as TiDB pushes such aggregates down to the storage layer.  `specs`
    are (kind, column position or None for COUNT(*), accumulator factory, needs_ext) where
    needs_ext says the column holds msgpack extension values (DECIMAL, dates) that must be
    decoded; other columns are summed straight from `unpackb` output.  The output row has
    HashAgg's shape.  Every row's checksum is still verified; on a forced open (a view
    that salvages, see `TableReader.damaged`) a damaged row makes it start over on the rows
    that verify, so the loop itself stays as it is."""

    def __init__(self, reader: TableReader, specs: list, child_width: int):
        self.reader = reader
        self.specs = specs
        self.child_width = child_width
        self.width = len(specs) + child_width

    def _values(self, rt):
        """Row values only (no keys) when the view allows it, else from (key, value)."""
        view = rt.view
        prefix = self.reader.key_range()[0]
        fast = view.values(self.reader.tid, prefix) if hasattr(view, "values") else None
        if fast is not None:
            return fast
        return (v for _k, v in self.reader.raw_rows(view))

    def _damaged(self, rt):
        """What to raise at a damaged row: its error, found again with its key for the
        message; or, when the view salvages (a forced open), `_Salvage`: the aggregates
        start over on the rows that verify (`rows`)."""
        if getattr(rt.view, "skip_damaged", None) is None:
            return self.reader.damage(rt.view)
        return _Salvage()

    def rows(self, rt):
        try:
            out = self._aggregate(rt, self._values(rt))
        except _Salvage:
            out = None
        except Exception as e:
            # a row whose checksum holds but whose payload does not decode: a salvaging
            # view starts over on the sound rows; else the error stands
            if isinstance(e, Error) or getattr(rt.view, "skip_damaged", None) is None:
                raise
            out = None
        if out is None:
            out = self._aggregate(rt, self.reader.sound_values(rt.view))
        yield out

    def _aggregate(self, rt, vals):
        crc, residue, unpackb, hook = row_decoder()
        pad = [None] * self.child_width
        if len(self.specs) == 1:
            kind, pos, make, needs_ext = self.specs[0]
            if pos is None:  # COUNT(*)
                n = 0
                for v in vals:
                    if crc(v) != residue:
                        raise self._damaged(rt)
                    n += 1
                return [n] + pad
            if kind == "COUNT":  # COUNT(col): the non-NULL values
                n = 0
                if needs_ext:
                    for v in vals:
                        if crc(v) != residue:
                            raise self._damaged(rt)
                        if unpackb(v, ext_hook=hook)[pos] is not None:
                            n += 1
                else:
                    for v in vals:
                        if crc(v) != residue:
                            raise self._damaged(rt)
                        if unpackb(v)[pos] is not None:
                            n += 1
                return [n] + pad
            if kind == "SUM":
                total, n = 0, 0
                if needs_ext:
                    for v in vals:
                        if crc(v) != residue:
                            raise self._damaged(rt)
                        x = unpackb(v, ext_hook=hook)[pos]
                        if x is not None:
                            total += x
                            n += 1
                else:
                    for v in vals:
                        if crc(v) != residue:
                            raise self._damaged(rt)
                        x = unpackb(v)[pos]
                        if x is not None:
                            total += x
                            n += 1
                acc = make()
                if n:
                    acc.add(total)
                return [acc.result()] + pad
        accs = [(make(), pos) for _kind, pos, make, _ext in self.specs]
        for v in vals:
            if crc(v) != residue:
                raise self._damaged(rt)
            row = unpackb(v, ext_hook=hook)
            for acc, pos in accs:
                acc.add(1 if pos is None else row[pos])
        return [a.result() for a, _ in accs] + pad

    def explain(self):
        funcs = ", ".join(f"{k.lower()}({'*' if p is None else '#' + str(p)})"
                          for k, p, _m, _e in self.specs)
        return ("StreamAgg", f"table:{self.reader.table.name}",
                f"funcs:{funcs}, pushed down to the scan", [])


# -- helpers ---------------------------------------------------------------------------------


class _Salvage(Exception):  # a signal inside ScanAggregate, never seen outside
    """A pushed-down aggregate met a damaged row under a salvaging view: start over."""


def _hashable(v):
    """Group/distinct key of a value: numbers that compare equal group together, and so do
    JSON values (``1`` and ``1.0``, objects whatever their key order)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, bytearray):
        return bytes(v)
    if v.__class__ is JsonText:
        return json_group_key(v)
    return v


def _join_key(v):
    return _hashable(v)
