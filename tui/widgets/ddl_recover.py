"""Bringing a dropped table back from the DDL Jobs pane, in words: what a drop, truncate or
drop schema job left for GC and for how long ("recoverable for 8 min 12 s (GC after
10:58:03)"), what `r` (RECOVER) and `f` (FLASHBACK ... TO) will run and bring back, and why
they refuse (not a drop, collected by GC, nothing kept).

The job's dropped tables are the engine's (information_schema.KINTSUGI_DROPPED_TABLES, its
clock): the pane counts down from the SECONDS_LEFT it read.  Refusals said here are only
the ones the list shows for certain; everything else is the engine's answer (1050 when the
name is taken, 8055 past the safe point ...), shown with its code.  Nothing here imports
Textual.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.events import JobState
from tui.backend.base import COLLECTED, EXPIRED, DDLJobInfo, DroppedTable
from tui.sqltext import ident
from tui.widgets import ddl_words

FROZEN_LEFT: float | None = None  # the seconds left shown, when set (pictures)

DROP_TABLE, TRUNCATE, DROP_SCHEMA = "drop table", "truncate table", "drop schema"
DROPS = (DROP_TABLE, TRUNCATE, DROP_SCHEMA)
NAME = re.compile(r"^[^\s`.]{1,64}$")  # a table or database name typed in the dialog

# what the pane's list shows of a job's drop (`status`'s kind)
RECOVERABLE, DUE, GONE, NONE, NOT_A_DROP, UNFINISHED, REFUSED = (
    "recoverable", "due", "collected", "none", "not a drop", "unfinished", "refused")


def left_words(seconds: float) -> str:
    """'8 min 12 s', '45 s', '1 h 05 min'."""
    s = int(seconds)
    if s >= 3600:
        h, rest = divmod(s, 3600)
        return f"{h} h {rest // 60:02d} min"
    if s >= 60:
        m, sec = divmod(s, 60)
        return f"{m} min {sec} s"
    return f"{s} s"


def clock(value: dt.datetime | None, left: float | None = None) -> str:
    """A GC time as the user reads it: the time of day today, the date too otherwise.
    Pictures (`ddl_words.FROZEN_TIME`) show the frozen time plus `left`."""
    frozen = ddl_words.FROZEN_TIME
    if frozen is not None:
        base = dt.datetime.strptime(frozen, "%Y-%m-%d %H:%M:%S")
        return (base + dt.timedelta(seconds=left or 0)).strftime("%H:%M:%S")
    if value is None:
        return "-"
    if value.date() == dt.datetime.now().date():
        return value.strftime("%H:%M:%S")
    return value.strftime("%Y-%m-%d %H:%M:%S")


def is_drop(job: DDLJobInfo) -> bool:
    return job.job_type in DROPS


def what(job: DDLJobInfo) -> str:
    """'test.orders', 'database shop2'."""
    if job.job_type == DROP_SCHEMA:
        return f"database {job.db_name}"
    return f"{job.db_name}.{job.table_name}"


def _size(tables: list[DroppedTable], schema: bool = False) -> str:
    rows = sum(t.table_rows for t in tables)
    indexes = sum(t.indexes for t in tables)
    parts = []
    if schema:
        parts.append(f"{len(tables)} table{'s' if len(tables) != 1 else ''}")
    parts.append(f"~{rows:,} row{'s' if rows != 1 else ''}")
    if not schema:
        parts.append(f"{indexes} index{'es' if indexes != 1 else ''}")
    return ", ".join(parts)


@dataclass(frozen=True)
class DropStatus:
    """Where a job's drop stands: `kind` (RECOVERABLE, DUE, GONE, NONE, NOT_A_DROP,
    UNFINISHED, REFUSED), the detail box's sentence, and `why` the keys refuse ("" when
    r and f are offered)."""

    kind: str
    line: str
    why: str = ""
    left: float = 0.0
    when: str = ""  # "Recoverable for 8 min 12 s (GC after 10:58:03)."
    taken: bool = False  # a live table (database) has the name: r asks a new name too

    @property
    def offered(self) -> bool:
        return self.kind in (RECOVERABLE, DUE, NONE) and not self.why


def recovered_by(job: DDLJobInfo, jobs: list[DDLJobInfo]) -> DDLJobInfo | None:
    """The later RECOVER / FLASHBACK job that brought `job`'s table (or database) back, by
    its statement: BY JOB <id>, or FLASHBACK of the same name."""
    by_job = re.compile(rf"\bBY\s+JOB\s+{job.job_id}\b", re.I)
    name = job.db_name if job.job_type == DROP_SCHEMA else job.table_name
    flashback = re.compile(r"\bFLASHBACK\s+(?:TABLE|DATABASE|SCHEMA)\s+(?:`?[\w$]+`?\.)?`?"
                           rf"{re.escape(name)}`?(?:\s|$)", re.I)
    for j in sorted(jobs, key=lambda j: j.job_id):
        if j.job_id <= job.job_id or not j.job_type.startswith("recover") or \
                j.state not in (JobState.SYNCED, JobState.DONE):
            continue
        if by_job.search(j.query or "") or flashback.search(j.query or ""):
            return j
    return None


def dropped_again(back: DDLJobInfo, jobs: list[DDLJobInfo]) -> DDLJobInfo | None:
    """The first drop of what `back` brought back, after it (that job is the one to
    recover now)."""
    schema = back.job_type.endswith("schema") or not back.table_name
    for j in sorted(jobs, key=lambda j: j.job_id):
        if j.job_id <= back.job_id or j.state not in (JobState.SYNCED, JobState.DONE):
            continue
        if schema and j.job_type == DROP_SCHEMA and j.db_name.lower() == back.db_name.lower():
            return j
        if not schema and j.job_type in (DROP_TABLE, TRUNCATE) and \
                j.db_name.lower() == back.db_name.lower() and \
                j.table_name.lower() == back.table_name.lower():
            return j
        if not schema and j.job_type == DROP_SCHEMA and \
                j.db_name.lower() == back.db_name.lower():
            return j
    return None


def status(job: DDLJobInfo, tables: list[DroppedTable], now: float | None = None,
           back: DDLJobInfo | None = None, again: DDLJobInfo | None = None) -> DropStatus:
    """`job`'s drop as the detail box says it; `tables` are its KINTSUGI_DROPPED_TABLES
    rows (a drop schema has one per table), `now` the monotonic time to count down to,
    `back` the job that brought it back (`recovered_by`), `again` the later drop of what
    `back` brought back (`dropped_again`)."""
    if not is_drop(job):
        return DropStatus(NOT_A_DROP, "", f"job {job.job_id} is {job.job_type or 'no job'}, "
                          "not a drop: only a drop table, truncate table or drop schema job "
                          "can be brought back")
    if job.state not in (JobState.SYNCED, JobState.DONE):
        return DropStatus(UNFINISHED, "", f"job {job.job_id} did not finish ({job.state}): "
                          "nothing was dropped")
    name = what(job)
    schema = job.job_type == DROP_SCHEMA
    verb = "Truncated" if job.job_type == TRUNCATE else "Dropped"
    if not tables and back is not None:
        as_ = f"{back.db_name}.{back.table_name}" if back.table_name else back.db_name
        if again is not None:
            return DropStatus(GONE, f"{verb} {name}: brought back by job {back.job_id} as "
                              f"{as_}, then dropped again by job {again.job_id}.",
                              f"{name} was brought back by job {back.job_id}, then dropped "
                              f"again by job {again.job_id}: recover that job instead")
        return DropStatus(GONE, f"{verb} {name}: brought back by job {back.job_id} as {as_}.",
                          f"{name} was brought back already, by job {back.job_id}")
    if not tables:
        if schema:  # an empty database leaves no table to wait for GC
            return DropStatus(NONE, f"Dropped {name}: it held no table; FLASHBACK DATABASE "
                              "brings it back inside the GC life time.")
        return DropStatus(GONE, f"{verb} {name}: nothing of it waits for GC any more (brought "
                          "back already, or collected).",
                          f"nothing job {job.job_id} dropped is kept any more: {name} was "
                          "brought back already, or GC collected it")
    size = _size(tables, schema)
    what_of = (f"{verb} {name} ({size})" if job.job_type != TRUNCATE else
               f"Truncated {name}: its rows before the truncate ({size})")
    gone = [t for t in tables if t.state == COLLECTED]
    if gone:
        at = max((t.done_at for t in gone if t.done_at), default=None)
        when = f" at {clock(at)}" if at else ""
        dropped_at = min((t.dropped_at for t in tables if t.dropped_at), default=None)
        if dropped_at is None and job.end_time:
            dropped_at = job.end_time
        dropped = f" at {clock(dropped_at)}" if dropped_at else ""
        line = (f"{verb} {name}: collected by GC{when}: cannot be recovered."  # no count left
                if job.job_type != TRUNCATE else f"Truncated {name}: its rows before the "
                f"truncate were collected by GC{when}: cannot be recovered.")
        return DropStatus(GONE, line,
                          f"job {job.job_id} {verb.lower()} {name}{dropped}; GC collected it"
                          f"{when}: it cannot be recovered")
    expired = [t for t in tables if t.state == EXPIRED]
    if expired:
        gc_after = min((t.gc_after for t in expired if t.gc_after), default=None)
        return DropStatus(GONE, f"{what_of}: past the GC safe point (GC after "
                          f"{clock(gc_after, 0)}): cannot be recovered; GC takes it at its "
                          "next round.",
                          f"{name} is older than the GC safe point: it cannot be recovered "
                          "(RECOVER would answer ERROR 8055)")
    refused = [t for t in tables if not t.recoverable]
    if refused:
        return DropStatus(REFUSED, f"{what_of}: {refused[0].state}.",
                          f"{name} is {refused[0].state}")
    left = FROZEN_LEFT if FROZEN_LEFT is not None else min(t.left(now) for t in tables)
    gc_after = min((t.gc_after for t in tables if t.gc_after), default=None)
    if left <= 0:
        when = f"GC due: recover now (GC after {clock(gc_after, 0)} has passed)."
        return DropStatus(DUE, f"{what_of}: {when}", left=0.0, when=when)
    when = f"recoverable for {left_words(left)} (GC after {clock(gc_after, left)})."
    return DropStatus(RECOVERABLE, f"{what_of}: {when}", left=left,
                      when=when[0].upper() + when[1:])


# -- the statements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """One RECOVER / FLASHBACK the pane will run: its SQL (shown), the backend call
    (`method`, `args`), and what comes back, in words."""

    action: str  # "recover" (r) or "flashback" (f)
    sql: str
    method: str  # Backend method: recover_table, flashback_table, flashback_database
    args: tuple
    job: DDLJobInfo
    back_as: str  # "test.orders", "database shop2"
    size: str

    @property
    def question(self) -> str:
        """'RECOVER TABLE BY JOB 12 brings back test.orders: ~1,000 rows, 2 indexes, as
        test.orders'."""
        job = self.job
        if job.job_type == DROP_SCHEMA:
            return f"{self.sql} brings back database {job.db_name}: {self.size}, as {self.back_as}"
        rows = "the rows of" if job.job_type == TRUNCATE else ""
        before = " before the truncate" if job.job_type == TRUNCATE else ""
        return (f"{self.sql} brings back {rows} {what(job)}{before}: {self.size}, as "
                f"{self.back_as}").replace("  ", " ")

    def consequences(self) -> list[str]:
        job = self.job
        if job.job_type == DROP_SCHEMA:
            return ["The database comes back with every table and view it had, the tables' "
                    "rows and indexes; only the dictionary changes.",
                    "If a database has the name already the engine refuses (ERROR 1007) and "
                    "nothing changes.",
                    "It runs as a DDL job of its own; the SQL tab's completion knows the "
                    "database and its tables at once."]
        out = ["Only the dictionary changes: the table's own file comes back with its rows, "
               "indexes and auto-increment counter, whatever its size."]
        if job.job_type == TRUNCATE and self.action == "recover":
            out.append(f"{what(job)} still exists (the truncate left it, empty): the engine "
                       "refuses with ERROR 1050 unless it was dropped since; f brings the "
                       "rows back under a new name.")
        else:
            out.append("If the name is taken the engine refuses (ERROR 1050) and nothing "
                       "changes.")
        out.append("It runs as a DDL job of its own; the SQL tab's completion knows the "
                   "table at once.")
        return out

    @property
    def done(self) -> str:
        """The toast after success."""
        return f"{self.sql}: {self.back_as} is back ({self.size})."


def recovery(action: str, job: DDLJobInfo, tables: list[DroppedTable],
             new_name: str | None = None, latest: bool = True) -> Recovery:
    """The statement for `r` (action "recover") or `f` ("flashback", `new_name` given).
    `latest`: job is the most recent drop of its table, so FLASHBACK TABLE (which takes the
    most recent one) brings back this job's; otherwise RECOVER TABLE BY JOB ... TO does."""
    schema = job.job_type == DROP_SCHEMA
    size = _size(tables, schema) if tables else ("no table" if schema else "")
    if schema:
        to = f" TO {ident(new_name)}" if new_name else ""
        return Recovery(action, f"FLASHBACK DATABASE {ident(job.db_name)}{to}",
                        "flashback_database",
                        (job.db_name, new_name), job, f"database {new_name or job.db_name}",
                        size)
    back_as = f"{job.db_name}.{new_name or job.table_name}"
    if new_name and latest:
        return Recovery(action, f"FLASHBACK TABLE {ident(job.db_name)}.{ident(job.table_name)} "
                        f"TO {ident(new_name)}",
                        "flashback_table", (job.db_name, job.table_name, new_name), job,
                        back_as, size)
    to = f" TO {ident(new_name)}" if new_name else ""
    return Recovery(action, f"RECOVER TABLE BY JOB {job.job_id}{to}", "recover_table",
                    (job.job_id, new_name), job, back_as, size)


def latest_drop(job: DDLJobInfo, jobs: list[DDLJobInfo]) -> bool:
    """No later drop or truncate of the same table in the list (FLASHBACK TABLE takes the
    most recent one)."""
    return not any(j.job_id > job.job_id and j.job_type in (DROP_TABLE, TRUNCATE)
                   and j.db_name.lower() == job.db_name.lower()
                   and j.table_name.lower() == job.table_name.lower()
                   and j.state in (JobState.SYNCED, JobState.DONE) for j in jobs)


def name_problem(name: str) -> str:
    """Why a typed new name cannot be used ("" when it can): blank, or not one name."""
    name = name.strip()
    if not name:
        return "Type the new name (it must not be blank)."
    if not NAME.match(name):
        return "One name, without spaces, dots or backquotes, at most 64 characters."
    return ""


def suggested_name(job: DDLJobInfo) -> str:
    base = job.db_name if job.job_type == DROP_SCHEMA else job.table_name
    return f"{base}_recovered"
