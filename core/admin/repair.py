"""ADMIN RECOVER INDEX, ADMIN CLEANUP INDEX (TiDB's) and ADMIN REPAIR INDEX (KintsugiDB's).

* ``ADMIN RECOVER INDEX t idx`` -> ``ADDED_COUNT, SCAN_COUNT``: rows in handle order, 8192 a
  batch; each row's entry is added if absent.  A unique entry held by another handle is not
  overwritten (warning 1062, "constraint of unique index is broken", as TiDB logs it).
  Entries that point at no row, or at a row with other values, stay.
* ``ADMIN CLEANUP INDEX t idx`` -> ``REMOVED_COUNT``: index entries in key order, 20000 a
  batch; every entry whose handle has no row is deleted, and only those (an entry pointing
  at an existing row with wrong values stays, as in TiDB).
* ``ADMIN REPAIR INDEX t idx`` -> ``REMOVED_COUNT, ADDED_COUNT, SCAN_COUNT``: CLEANUP's pass
  removing every entry no row needs as it is (dangling and wrong-valued), then RECOVER's
  pass; afterwards the index holds exactly the entries the rows need (unless the rows
  themselves break a unique index: warned, and the re-check says so).

The clustered PRIMARY KEY is the rows themselves: RECOVER answers (0, 0), CLEANUP 0, REPAIR
(0, 0, 0).  The integer primary key is the handle, not an index: TiDB's error (target.py).

Each batch is its own write transaction (core.admin.batches): it takes the engine's single
writer lock, reads the table's *current* state, fixes its slice and commits.  A cancel
(Connection.cancel) is honoured between batches with ERROR 1317: every finished batch stays
committed and durable, none is half-done, and running the statement again finishes the
work.  A database opened read-only (force_recovery > 0) refuses with the engine's own error
(1881).  At the end the index is re-checked in a fresh snapshot (core.admin.check.recheck:
it records the result, clears the index's corruption flag when it is consistent and sets it
when not) and the reports go out with IndexAdminFinished: outcome "repaired" when the index
is consistent afterwards, "inconsistent" when not (RECOVER leaves dangling entries, CLEANUP
missing ones, by design).

Concurrent writers.  Other connections may write while these statements run: their
statements interleave between batches, never inside one, and every write maintains the
index entries of the rows it changes (TableWriter).  So:

* what a writer cannot make them miss: a row inserted or updated anywhere, before or after
  the batch cursor, gets its entry from the writer itself; a row still ahead of the cursor
  is seen in its latest state; a row moved behind the cursor (its handle changed) is
  indexed by the UPDATE that moved it.  Once the statement ends, RECOVER leaves no row of
  the table without its entry, CLEANUP no entry without its row, and REPAIR an exact index,
  as far as the damage existed before the statement's last batch passed its place;
* what it can: damage that appears *behind* the cursor after the batch there has passed
  (a fault injected meanwhile, a bug in another writer) is not seen by this run; an UPDATE
  that leaves a row's indexed values alone does not re-add that row's missing entry, so
  the statement adds it when it reaches the row, or already did; a DELETE of a row whose
  entry held wrong values leaves that entry dangling, and behind CLEANUP's cursor it stays
  (REPAIR removed it when it passed: it was already wrong).  A row moved from behind the
  cursor to ahead of it is scanned twice (SCAN_COUNT counts both), harmlessly.
"""

from __future__ import annotations

from typing import Any

from core.admin import batches
from core.admin.target import Progress, Target, resolve, start
from core.events import IndexReport
from core.sql.result import Result
from core.txn import begin

Session = Any  # core.sql.session.Session

MAX_CONFLICT_WARNINGS = 64  # one warning each; past this, one more counts the rest


def admin_recover_index(session: Session, node) -> Result:
    """ADMIN RECOVER INDEX t idx -> ADDED_COUNT, SCAN_COUNT."""
    names = ["ADDED_COUNT", "SCAN_COUNT"]
    target = _begin(session, node)
    if target.clustered_primary:
        return _answer(names, [0, 0])
    with Progress(session, "recover", target) as p:
        added, scanned = _add_missing(session, target, p)
        counts = {"ADDED_COUNT": added, "SCAN_COUNT": scanned}
        _finish(session, target, p, "recover", counts)
    return _answer(names, [added, scanned])


def admin_cleanup_index(session: Session, node) -> Result:
    """ADMIN CLEANUP INDEX t idx -> REMOVED_COUNT."""
    names = ["REMOVED_COUNT"]
    target = _begin(session, node)
    if target.clustered_primary:
        return _answer(names, [0])
    with Progress(session, "cleanup", target) as p:
        removed, _entries = _remove_unneeded(session, target, p, exact=False)
        _finish(session, target, p, "cleanup", {"REMOVED_COUNT": removed})
    return _answer(names, [removed])


def admin_repair_index(session: Session, node) -> Result:
    """ADMIN REPAIR INDEX t idx -> REMOVED_COUNT, ADDED_COUNT, SCAN_COUNT."""
    names = ["REMOVED_COUNT", "ADDED_COUNT", "SCAN_COUNT"]
    target = _begin(session, node)
    if target.clustered_primary:
        return _answer(names, [0, 0, 0])
    with Progress(session, "repair", target) as p:
        removed, _entries = _remove_unneeded(session, target, p, exact=True)
        added, scanned = _add_missing(session, target, p)
        counts = {"REMOVED_COUNT": removed, "ADDED_COUNT": added, "SCAN_COUNT": scanned}
        _finish(session, target, p, "repair", counts)
    return _answer(names, [removed, added, scanned])


# -- the passes ---------------------------------------------------------------------------------


def _add_missing(session: Session, target: Target, p: Progress) -> tuple[int, int]:
    """Batches of rows until one scans none: (entries added, rows scanned)."""
    db, tid, iid = session.db, target.table.id, target.index.id
    conflict = _Conflicts(session, target)
    after = None
    added = scanned = 0
    while True:
        p.step("rows", scanned)  # the cancellation point: the batches before are committed
        with batches.Batch(db, tid, iid) as b:
            n, a, after = batches.add_missing(b, after, conflict)
        scanned += n
        added += a
        if n == 0:
            return added, scanned


def _remove_unneeded(session: Session, target: Target, p: Progress,
                     exact: bool) -> tuple[int, int]:
    """Batches of index entries until one reads none: (entries removed, entries read)."""
    db, tid, iid = session.db, target.table.id, target.index.id
    phase = f"index {target.index.name}"
    after = None
    removed = seen = 0
    while True:
        p.step(phase, seen)
        with batches.Batch(db, tid, iid) as b:
            n, r, after = batches.remove_unneeded(b, after, exact)
        seen += n
        removed += r
        if n == 0:
            return removed, seen


# -- statement frame ----------------------------------------------------------------------------


def _begin(session: Session, node) -> Target:
    """End the session's transaction, resolve the table and index (TiDB's errors), and
    refuse a read-only database with the error its first write would raise (1881 on a
    forced open)."""
    start(session)
    target = resolve(session, node.this, node.args.get("index"))
    txn = begin(session.db.engine)
    try:
        txn.current_view()  # takes the writer lock: a read-only engine refuses here
    finally:
        txn.rollback()
    return target


def _finish(session: Session, target: Target, p: Progress, operation: str,
            counts: dict[str, int]) -> None:
    """Re-check the index in a fresh snapshot and report; past this point the statement
    has succeeded (a cancel that came during the re-check still wins: 1317, with every
    batch committed)."""
    reports = _recheck(session, target, operation, p)
    session.cancel_token.finish()
    if reports is None:
        outcome = "done"
        reports = ()
    else:
        outcome = "repaired" if all(r.consistent for r in reports) else "inconsistent"
    p.done(outcome, counts, reports=reports)


def _recheck(session: Session, target: Target, operation: str,
             p: Progress) -> tuple[IndexReport, ...] | None:
    """core.admin.check.recheck's reports: the index in a fresh snapshot, its result
    recorded and its corruption flag cleared when consistent (set when not).  Its progress
    goes out as this statement's, and a cancel stops it too.  None if there is no re-check
    (a build without core.admin.check.recheck)."""
    from core.admin import check

    recheck = getattr(check, "recheck", None)
    if recheck is None:
        return None
    got = recheck(session, target, operation, step=p.step)
    if isinstance(got, IndexReport):
        return (got,)
    return tuple(got or ())


def _answer(names: list[str], row: list[int]) -> Result:
    return Result(names=names, rows=[row], rowcount=1)


class _Conflicts:
    """Warnings for unique entries RECOVER must not overwrite: TiDB only logs "constraint
    of unique index is broken"; here the statement's warnings say which rows."""

    def __init__(self, session: Session, target: Target):
        self.session = session
        self.target = target
        self.count = 0
        self._summary: int | None = None

    def __call__(self, handle, values: list, other) -> None:
        self.count += 1
        t, ix = self.target.table, self.target.index
        if self.count <= MAX_CONFLICT_WARNINGS:
            shown = ", ".join("NULL" if v is None else repr(v) for v in values)
            self.session.warn(1062, f"constraint of unique index is broken: row {handle} of "
                              f"`{t.schema}`.`{t.name}` needs entry ({shown}) of index "
                              f"`{ix.name}`, which points at handle {other}; left as it is")
            return
        text = (f"constraint of unique index is broken for {self.count} rows of "
                f"`{t.schema}`.`{t.name}` in index `{ix.name}`; only the first "
                f"{MAX_CONFLICT_WARNINGS} are listed")
        warnings = self.session.warnings
        if self._summary is None:
            self._summary = len(warnings)
            warnings.append(("Warning", 1062, text))
        else:
            warnings[self._summary] = ("Warning", 1062, text)
