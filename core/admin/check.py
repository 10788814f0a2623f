"""ADMIN CHECK TABLE / ADMIN CHECK INDEX (TiDB's statements) and `recheck`, the check a
repair ends with.

A check commits the session's open transaction, takes one fresh snapshot and runs the
consistency core (core.check.consistency) on it: the fast path (a count and a checksum per
index from one scan of the rows and one of each index), and only when an index disagrees,
the bucket narrowing down to its first difference by handle.  A consistent table answers
no rows; an inconsistent one fails with TiDB's error:

* ADMIN CHECK TABLE: 8223 ``data inconsistency in table: t, index: idx, handle: H,
  index-values:"..." != record-values:"..."`` for the first difference (a missing entry, a
  dangling one or a value mismatch), as TiDB's fast check and its legacy CHECK TABLE both
  do (they look for the offending row even when the counts differ);
* ADMIN CHECK INDEX: when the counts differ, 8003 ``table count N != index(idx) count M``
  straight away, as TiDB's CHECK INDEX does (`pkg/executor`, CheckIndicesCount, reference
  section 1); with equal counts, 8223 for the first difference.

Every check records its result per index (core.check.records, read by
information_schema.KINTSUGI_INDEX_CHECKS and the console), flags an inconsistent index
corrupt (the planner then reads around it, as after CHECK TABLE ... EXTENDED) and clears
the flag of an index it found consistent.  A forced (read-only) open checks all the same
and writes nothing (flags stay in memory).  A damaged row fails the check with 1877, as any
read of it does (on a forced open it is skipped with a warning).

The range form ``ADMIN CHECK INDEX t idx (b, e)[, ...]`` is not a check (TiDB's
CheckIndexRangeExec): it returns the index columns and ``extra_handle`` of the entries whose
int handle h satisfies b <= h < e, in index key order.
"""

from __future__ import annotations

import time
from typing import Any

from core.admin.render import count_mismatch_error, sample_error
from core.admin.target import Progress, Target, resolve, start
from core.catalog.model import HANDLE_CLUSTERED, IndexInfo, TableInfo
from core.check import consistency
from core.check import flags as flagmod
from core.check import records as recmod
from core.check.statement import apply_flags
from core.codec import decode_index_key, decode_int
from core.codec.entries import NON_UNIQUE_VALUE
from core.errors import CorruptionError, Error, NotSupportedError, ProgrammingError
from core.events import IndexReport, IndexSample
from core.sql.result import Result
from core.sql.table import TableReader
from core.txn import begin_bookkeeping

Session = Any  # core.sql.session.Session


def _todo(what: str):
    raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{what}'",
                            errno=1235, sqlstate="42000")


# --- the statements --------------------------------------------------------------------------


def admin_check_table(session: Session, node) -> Result:
    """ADMIN CHECK TABLE t[, t2 ...]: every table in one snapshot, in the order named; the
    first inconsistency fails the statement (tables after it are not checked)."""
    start(session)
    with session.db.engine.snapshot() as snap:
        schema = session.statement_schema = session.db.schema(snap)
        targets = [resolve(session, t, schema=schema) for t in node.expressions]
        for target in targets:
            _check(session, snap, target, index_mode=False)
    session.cancel_token.finish()
    return _empty()


def admin_check_index(session: Session, node) -> Result:
    """ADMIN CHECK INDEX t idx, or its range form."""
    start(session)
    with session.db.engine.snapshot() as snap:
        schema = session.statement_schema = session.db.schema(snap)
        target = resolve(session, node.this, node.args.get("index"), schema=schema)
        ranges = node.args.get("ranges")
        if ranges:
            result = _check_range(session, snap, target, _ranges(ranges))
        else:
            _check(session, snap, target, index_mode=True)
            result = _empty()
    session.cancel_token.finish()
    return result


def _empty() -> Result:
    """What a consistent check answers: no result set (TiDB's CheckTableExec has an empty
    schema, which its protocol layer sends as an OK packet: the mysql client prints
    "Query OK, 0 rows affected", as the seed shows)."""
    return Result(rowcount=0)


def recheck(session: Session, target: Target, operation: str,
            step: consistency.Step | None = None) -> list[IndexReport]:
    """The whole picture of `target`'s indexes in a fresh snapshot (the repair helper calls
    it at the end of RECOVER / CLEANUP / REPAIR INDEX): recorded under `operation`, an index
    found consistent loses its corruption flag, an inconsistent one gets one.  The entries
    of damaged rows (a forced open skips them) are not judged: a warning counts them."""
    with session.db.engine.snapshot() as snap:
        schema = session.db.schema(snap)
        table = schema.tables_by_id.get(target.table.id)
        if table is None:
            return []
        wanted = {ix.id for ix in target.indexes()}
        indexes = [ix for ix in table.indexes if ix.id in wanted and ix.state == "public"]
        t0 = time.monotonic()
        results = consistency.compare(snap, table, indexes, step=step)
        reports = consistency.reports(snap, table, results)
        record_results(session, table, results, operation, time.monotonic() - t0, full=True)
    return reports


# --- one table -------------------------------------------------------------------------------


def damage_handler(session: Session, view, table: TableInfo) -> consistency.OnDamage:
    """What a check does with a damaged row: what any read does (1877, or on a forced open
    skip it with a warning); the table gets flagged either way."""
    reader = TableReader(table)
    cview = session._read_view(view)

    def on_damage(key: bytes, value: bytes, problem: str, kind: str) -> None:
        err = consistency.damage_error(table, key, value, problem, kind)
        try:
            reader.damaged(cview, key, err)
        except CorruptionError as e:
            session._note_corruption(e)
            raise
    return on_damage


def _check(session: Session, view, target: Target, index_mode: bool) -> None:
    indexes = target.indexes()
    table = target.table
    with Progress(session, "check", target, indexes) as progress:
        if not indexes:
            progress.done("consistent", {"ROWS": 0})
            return
        t0 = time.monotonic()
        results, first = consistency.first_difference(
            view, table, indexes, step=progress.step,
            on_damage=damage_handler(session, view, table))
        seconds = time.monotonic() - t0
        err: Error | None = None
        reason: dict[int, str] = {}
        if first is not None:
            ix, sample = first
            res = next(r for r in results if r.index.id == ix.id)
            if index_mode and res.entries != res.sound:
                err = count_mismatch_error(ix.name, res.sound, res.entries)
            else:
                err = sample_error(table.name, ix.name, sample)
            reason[ix.id] = err.msg
        record_results(session, table, results, "check", seconds, full=False,
                       reasons=reason)
        reports = _check_reports(results, first)
        rows = results[0].rows
        counts = {"ROWS": rows, "ENTRIES": sum(r.entries for r in results),
                  "INCONSISTENT_INDEXES": sum(not r.consistent for r in results)}
        if err is None:
            progress.done("consistent", counts, reports=reports)
            return
        progress.done("inconsistent", counts, reports=reports, error=err.msg)
        raise err


def _check_reports(results, first) -> tuple[IndexReport, ...]:
    """ADMIN CHECK's reports: counts of rows and entries; it stops at the first difference,
    so an inconsistent index reports that one difference (a lower bound)."""
    out = []
    for r in results:
        sample: IndexSample | None = None
        if first is not None and first[0].id == r.index.id:
            sample = first[1]
        kinds = {"missing": 0, "dangling": 0, "mismatched": 0}
        if sample is not None and sample.kind in kinds:
            kinds[sample.kind] = 1
        out.append(IndexReport(r.index.name, r.rows, r.entries, kinds["missing"],
                               kinds["dangling"], kinds["mismatched"],
                               (sample,) if sample is not None else ()))
    return tuple(out)


def record_results(session: Session, table: TableInfo, results, operation: str,
                   seconds: float, full: bool, reasons: dict[int, str] | None = None) -> None:
    """Record each index's result and flag or unflag it.  `full`: the counts of each kind
    are exact (an inconsistency scan); otherwise (ADMIN CHECK) they are stored as unknown
    for an inconsistent index."""
    db = session.db
    recs = []
    new_flags: list[flagmod.CorruptionFlag] = []
    cleared: list[tuple[int, int]] = []
    flagged = db.flags.index_flags(table.id)
    for r in results:
        if r.unverified:  # a forced open skipped damaged rows: their entries are unjudged
            session.warn(1877, f"{r.unverified} entr{'y' if r.unverified == 1 else 'ies'} "
                               f"of index {r.index.name} point at damaged rows of "
                               f"{table.full_name} and could not be verified")
        ok = r.consistent
        known = full or ok
        recs.append(recmod.new_record(
            table.id, r.index.id, operation, ok, r.rows, r.entries,
            r.missing if known else None, r.dangling if known else None,
            r.mismatched if known else None, seconds))
        if ok:
            if r.index.id in flagged:
                cleared.append((table.id, r.index.id))
            continue
        why = (reasons or {}).get(r.index.id) or _reason(r, full, operation)
        new_flags.append(flagmod.new_flag(table.id, table.full_name, why, b"", r.index.id,
                                          r.index.name))
    live = {table.id: {ix.id for ix in table.indexes}}
    recmod.write_records(db.engine, begin_bookkeeping, recs, live, db.check_records)
    apply_flags(session, new_flags, cleared)


def _reason(r, full: bool, operation: str) -> str:
    if full:
        return (f"ADMIN {operation}: {r.missing} missing, {r.dangling} dangling, "
                f"{r.mismatched} mismatched entries")
    return (f"ADMIN CHECK: the index disagrees with its rows ({r.entries} entries for "
            f"{r.sound} rows)")


# --- the range form ----------------------------------------------------------------------------


def _ranges(nodes) -> list[tuple[int, int]]:
    out = []
    for t in nodes:
        b, e = t.expressions
        out.append((int(b.this), int(e.this)))
    return out


def _check_range(session: Session, view, target: Target,
                 ranges: list[tuple[int, int]]) -> Result:
    table = target.table
    ix: IndexInfo | None = target.index
    names = ([table.column(c).name for c in ix.columns] if ix else []) + ["extra_handle"]
    if ix is None or target.clustered_primary:
        return Result(names=names, rows=[], rowcount=0)
    if table.handle == HANDLE_CLUSTERED:
        raise ProgrammingError(f"Incorrect arguments to ADMIN CHECK INDEX: handle ranges "
                               f"need an integer handle, and table `{table.name}` has a "
                               "clustered primary key", errno=1210, sqlstate="HY000")
    reader = TableReader(table)
    lo = reader.key_prefix(ix)
    n = len(ix.columns)
    rows: list[list] = []
    seen = 0
    with Progress(session, "check", target, [ix]) as progress:
        for blk in consistency.index_blocks(view, table.id, lo):
            for k, v in blk:
                _t, _i, values, handle = decode_index_key(k, n, common_handle=False)
                if v != NON_UNIQUE_VALUE:
                    handle = decode_int(v)
                if any(b <= handle < e for b, e in ranges):
                    rows.append(list(values) + [handle])
            seen += len(blk)
            progress.step(f"index {ix.name}", seen)
        progress.done("done", {"ROWS": len(rows), "ENTRIES": seen})
    return Result(names=names, rows=rows, rowcount=len(rows))
