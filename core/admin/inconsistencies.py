"""ADMIN SHOW INDEX INCONSISTENCIES t [idx] (KintsugiDB's): the whole picture, one row per
index, where TiDB's ADMIN CHECK stops at the first difference.

Columns ``INDEX_NAME, ROWS_SCANNED, ENTRIES_SCANNED, MISSING, DANGLING, MISMATCHED,
SAMPLE``: exact counts of each kind (core.check.consistency: the fast checksum path, then
only the disagreeing buckets compared exactly, so a consistent table costs what ADMIN CHECK
costs) and up to three samples in TiDB's rendering (NULL for a consistent index).  The
structured reports go to the connection's event sink with IndexAdminFinished (the console
reads those); each index's result is recorded and flags are set or cleared as ADMIN CHECK
does.
"""

from __future__ import annotations

import time
from typing import Any

from core.admin.check import damage_handler, record_results
from core.admin.render import report_row
from core.admin.target import Progress, resolve, start
from core.check import consistency
from core.sql.result import Result

Session = Any  # core.sql.session.Session

COLUMNS = ["INDEX_NAME", "ROWS_SCANNED", "ENTRIES_SCANNED", "MISSING", "DANGLING",
           "MISMATCHED", "SAMPLE"]


def admin_show_inconsistencies(session: Session, node) -> Result:
    start(session)
    with session.db.engine.snapshot() as snap:
        schema = session.statement_schema = session.db.schema(snap)
        target = resolve(session, node.this, node.args.get("index"), schema=schema)
        table = target.table
        indexes = target.indexes()
        with Progress(session, "inconsistencies", target, indexes) as progress:
            t0 = time.monotonic()
            results = consistency.compare(snap, table, indexes, step=progress.step,
                                          on_damage=damage_handler(session, snap, table))
            reports = consistency.reports(snap, table, results)
            record_results(session, table, results, "inconsistencies",
                           time.monotonic() - t0, full=True)
            counts = {"ROWS": results[0].rows if results else 0,
                      "MISSING": sum(r.missing for r in reports),
                      "DANGLING": sum(r.dangling for r in reports),
                      "MISMATCHED": sum(r.mismatched for r in reports)}
            bad = any(not r.consistent for r in reports)
            progress.done("inconsistent" if bad else "consistent", counts,
                          reports=tuple(reports))
    session.cancel_token.finish()
    rows = [report_row(r) for r in reports]
    return Result(names=list(COLUMNS), rows=rows, rowcount=len(rows))
