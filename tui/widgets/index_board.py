"""What the Indexes pane knows of every index: the database's record of its last check,
overlaid with what this session's checks and repairs found (with sample rows, which the
record does not keep), and the progress of the running check or repair.

Fed by the backend's overview and by the engine's typed events (`core.events.IndexAdmin*`);
nothing here imports Textual.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from core.events import IndexAdminFinished, IndexAdminProgress, IndexAdminStarted, IndexReport
from tui.backend.base import IndexEntry, IndexOverview, TableIndexes


@dataclass(frozen=True)
class Finding:
    """One index's state as shown: its last check's result and counts."""

    result: str  # "consistent" | "inconsistent" | "repaired" | "failed" | "cancelled" | ""
    when: dt.datetime | None = None
    rows_scanned: int = 0
    entries_scanned: int = 0
    missing: int = 0
    dangling: int = 0
    mismatched: int = 0
    seconds: float = 0.0
    samples: tuple = ()
    from_session: bool = False  # found by this console (samples known), not the record
    operation: str = ""  # the record's: "recover", "cleanup", "repair" when a repair's re-check
    counts_known: bool = True  # False: ADMIN CHECK stopped at the first inconsistency
    errno: int = 0  # a failed check's error code (1877: a damaged row)
    error: str = ""  # a failed check's error, in words

    @property
    def damaged(self) -> bool:
        """Something to repair: counted damage, or an inconsistency not counted."""
        return bool(self.missing or self.dangling or self.mismatched) or self.unknown_counts

    @property
    def unknown_counts(self) -> bool:
        """Inconsistent, but how many of each kind is unknown (the record of an ADMIN CHECK,
        which stops at the first inconsistency)."""
        return self.result == "inconsistent" and not self.counts_known

    @property
    def cancelled_repair(self) -> bool:
        """A repair was cancelled: its committed batches may have fixed part of the index,
        so the counts before it say nothing of the index now."""
        return self.result == "cancelled" and self.operation in ("recover", "cleanup",
                                                                 "repair")


@dataclass(frozen=True)
class RepairDone:
    """A repair this session ran: its statement, its result row, and the re-check."""

    statement: str
    counts: dict[str, int]
    seconds: float
    after: Finding | None  # the automatic re-check (None: it could not run)


@dataclass
class Job:
    """The running background work: a check of some tables, or one repair."""

    kind: str  # "check" | "repair"
    tables: list[str]  # "schema.table", in order
    weights: list[int]  # each table's estimated rows (the overall bar's weights)
    current: int = -1  # index into tables
    phase: str = ""
    done: int = 0
    total: int = 0
    finished: list[str] = field(default_factory=list)
    cancelling: bool = False

    @property
    def table(self) -> str:
        return self.tables[self.current] if 0 <= self.current < len(self.tables) else ""

    def overall(self) -> tuple[int, int]:
        """(done, total) over every table, each weighing its estimated rows."""
        weights = [max(w, 1) for w in self.weights]
        done = sum(weights[i] for i in range(min(self.current, len(weights))) if i >= 0)
        if 0 <= self.current < len(weights):
            part = self.done / self.total if self.total else 0.0
            done += int(weights[self.current] * min(part, 1.0))
        return done, sum(weights) or 1


def finding_of_report(report: IndexReport, when: dt.datetime, seconds: float = 0.0,
                      result: str | None = None) -> Finding:
    return Finding(result or ("consistent" if report.consistent else "inconsistent"), when,
                   report.rows_scanned, report.entries_scanned, report.missing,
                   report.dangling, report.mismatched, seconds, tuple(report.samples), True)


def reports_of_rows(names: list[str], rows: list[tuple]) -> list[IndexReport]:
    """ADMIN SHOW INDEX INCONSISTENCIES' rows as reports (counts only), for when its
    finished event did not carry them."""
    pos = {n.upper(): i for i, n in enumerate(names)}
    if "INDEX_NAME" not in pos:
        return []

    def num(row: tuple, name: str) -> int:
        return int(row[pos[name]] or 0) if name in pos else 0

    return [IndexReport(str(r[pos["INDEX_NAME"]]), num(r, "ROWS_SCANNED"),
                        num(r, "ENTRIES_SCANNED"), num(r, "MISSING"), num(r, "DANGLING"),
                        num(r, "MISMATCHED")) for r in rows]


class IndexBoard:
    """Every table and index, and what is known of each."""

    def __init__(self) -> None:
        self.overview = IndexOverview(())
        self.session: dict[tuple[str, str], Finding] = {}  # (table, index) -> this session's
        self.repairs: dict[tuple[str, str], RepairDone] = {}
        self.job: Job | None = None
        self.last_error: str = ""  # the last job's error, in words, with its code

    # -- reading -----------------------------------------------------------------------------

    @property
    def tables(self) -> tuple[TableIndexes, ...]:
        return self.overview.tables

    def table(self, name: str) -> TableIndexes | None:
        return next((t for t in self.tables if t.name == name), None)

    def finding(self, table: str, entry: IndexEntry) -> Finding | None:
        """This session's finding unless the record is newer (a check run elsewhere)."""
        mine = self.session.get((table, entry.name))
        rec = entry.last
        recorded = None if rec is None else Finding(
            rec.result, rec.checked_at, rec.rows_scanned, rec.entries_scanned,
            rec.missing or 0, rec.dangling or 0, rec.mismatched or 0, rec.seconds,
            operation=rec.operation,
            counts_known=None not in (rec.missing, rec.dangling, rec.mismatched))
        if recorded is not None and recorded.cancelled_repair:
            recorded = replace(recorded, missing=0, dangling=0, mismatched=0)
        if mine is None:
            return recorded
        if recorded is not None and recorded.when and mine.when:
            try:
                if recorded.when > mine.when:
                    return recorded
            except TypeError:  # one aware, one naive: this session's is the one it saw
                pass
        return mine

    def checking(self, table: str) -> bool:
        return self.job is not None and self.job.table == table

    def counts(self) -> tuple[int, int, int, int]:
        """(checkable indexes, inconsistent, consistent, never checked)."""
        n = bad = good = never = 0
        for t in self.tables:
            for e in t.indexes:
                if not e.checkable:
                    continue
                n += 1
                f = self.finding(t.name, e)
                if f is None or not f.result:
                    never += 1
                elif f.damaged or f.result == "inconsistent":
                    bad += 1
                elif f.result in ("consistent", "repaired"):
                    good += 1
        return n, bad, good, never

    # -- changing ----------------------------------------------------------------------------

    def load(self, overview: IndexOverview) -> None:
        self.overview = overview

    def note(self, event: object) -> bool:
        """A progress event of the running job; True when it changed what is shown."""
        job = self.job
        if job is None:
            return False
        match event:
            case IndexAdminStarted(table=table, rows_estimate=rows) if table == job.table:
                job.phase, job.done, job.total = "starting", 0, rows
                return True
            case IndexAdminProgress(table=table, phase=phase, done=done, total=total) \
                    if table == job.table:
                job.phase, job.done, job.total = phase, done, total
                return True
        return False

    def start_table(self, name: str) -> None:
        job = self.job
        if job is not None:
            job.current = job.tables.index(name)
            t = self.table(name)
            job.phase, job.done, job.total = "starting", 0, t.rows_estimate if t else 0

    def checked(self, table: str, finished: IndexAdminFinished | None,
                reports: list[IndexReport], when: dt.datetime) -> None:
        """One table's check ended: its reports (one per index it covered)."""
        job = self.job
        if job is not None and table in job.tables:
            job.finished.append(table)
        seconds = finished.seconds if finished is not None else 0.0
        for r in reports:
            self.session[(table, r.index)] = finding_of_report(r, when, seconds)

    def failed(self, table: str, entries: list[IndexEntry], when: dt.datetime,
               errno: int = 0, error: str = "") -> None:
        """A table's check failed: its indexes say so (counts unknown), with the error.  A
        cancelled one changes nothing: the indexes keep their last result."""
        for e in entries:
            if e.checkable:
                self.session[(table, e.name)] = Finding(
                    "failed", when, from_session=True, errno=errno, error=error)

    def repair_cancelled(self, table: str, index: str, operation: str,
                         when: dt.datetime) -> None:
        """A repair stopped between two batches: the batches it committed stay, so the last
        check's counts and plan are stale: the index's state is unknown until checked."""
        self.session[(table, index)] = Finding("cancelled", when, from_session=True,
                                               operation=operation)

    def repaired(self, table: str, index: str, statement: str, counts: dict[str, int],
                 seconds: float, after: IndexReport | None, when: dt.datetime) -> RepairDone:
        finding = None
        if after is not None:
            finding = finding_of_report(after, when, result="repaired" if after.consistent
                                        else "inconsistent")
            self.session[(table, index)] = finding
        done = RepairDone(statement, counts, seconds, finding)
        self.repairs[(table, index)] = done
        return done

    def forget_repair(self, table: str, index: str) -> None:
        self.repairs.pop((table, index), None)
