"""The DDL Jobs pane's words: what a job is ("add index idx_b on shop.orders"), where it
stands, what cancelling, pausing or resuming it will do, and when the engine will refuse.

The refusals are the engine's: `refusal` only says *that* one is coming (a finished job
cannot be cancelled, a job not paused cannot be resumed), so the pane asks no confirmation
and shows the engine's own 8225 / 8260 / 8261 / 8262 text from its answer.  Nothing here
imports Textual.
"""

from __future__ import annotations

import datetime as dt
import re

from core.events import JobState, SchemaState
from tui import text as fmt
from tui.backend.base import DDLJobInfo, DDLJobStep
from tui.widgets.ddl_board import finished

FROZEN_TIME: str | None = None  # every job time shown, when set (snapshot tests)

VERBS = {"cancel": "Cancel", "pause": "Pause", "resume": "Resume"}
_INDEX = re.compile(r"\b(?:ADD|CREATE)\s+(?:UNIQUE\s+)?(?:INDEX|KEY)\s+`?([\w$]+)`?", re.I)
_DROP_INDEX = re.compile(r"\bDROP\s+(?:INDEX|KEY)\s+`?([\w$]+)`?", re.I)
# what the engine's refusal codes mean, in a sentence (the engine's text is shown above it)
REFUSAL_WORDS = {
    "8224": "There is no such job (any more).",
    "8225": "The job has finished: there is nothing left to cancel.",
    "8226": "The job is past the point where it can be undone: it will finish.",
    "8260": "Only a queued or running job can be paused (not one that finished, or one "
            "rolling back).",
    "8261": "Only a paused job can be resumed.",
    "8262": "The job is paused already: u resumes it.",
}


def when(value: dt.datetime | None, short: bool = False) -> str:
    if value is None:
        return "-"
    if FROZEN_TIME is not None:
        return FROZEN_TIME[5:] if short else FROZEN_TIME
    return value.strftime("%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S")


def step_time(value: dt.datetime | None) -> str:
    """A step's time to the millisecond (steps a few ms apart are told apart)."""
    if value is None:
        return "-"
    if FROZEN_TIME is not None:
        return FROZEN_TIME[11:] + ".000"
    return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def index_name(job: DDLJobInfo) -> str:
    m = (_DROP_INDEX if job.job_type.startswith("drop") else _INDEX).search(job.query or "")
    return m.group(1) if m else ""


def target(job: DDLJobInfo) -> str:
    """'add index idx_b on shop.orders', 'create table shop.t'."""
    table = f"{job.db_name}.{job.table_name}" if job.table_name else job.db_name
    name = index_name(job) if "index" in job.job_type else ""
    if name:
        return f"{job.job_type} {name} on {table}"
    return f"{job.job_type} {table}".strip()


def percent(job: DDLJobInfo) -> str:
    """Rounded as the bars round it; an unfinished job never reads 100%."""
    value = round((job.progress or 0.0) * 100)
    return f"{min(value, 99) if not finished(job.state) else value}%"


def progress_words(job: DDLJobInfo, rate: float = 0.0) -> str:
    """'backfill 12,345 of ~50,000 rows (24%), 1,234 rows/s, ETA 31 s'."""
    if not job.rows_total and not job.rows_done:
        return ""
    of = f" of ~{job.rows_total:,}" if job.rows_total else ""
    text = f"{job.phase or 'reorganisation'} {job.rows_done:,}{of} rows ({percent(job)})"
    if rate and not finished(job.state) and job.state != JobState.PAUSED:
        text += f", {rate:,.0f} rows/s"
    if job.eta_seconds is not None and job.state == JobState.RUNNING:
        text += f", ETA {fmt.seconds(job.eta_seconds)}"
    return text


def state_words(job: DDLJobInfo) -> str:
    """The state, with who paused it."""
    if job.state == JobState.PAUSED and job.paused_by:
        return f"paused by {job.paused_by}" if job.paused_by != "user" else "paused"
    return job.state


def outcome(job: DDLJobInfo) -> str:
    """Where the job stands, in one sentence."""
    state = job.state
    where = f" at {job.schema_state}" if job.schema_state not in ("", "none") else ""
    if state == JobState.SYNCED or state == JobState.DONE:
        return f"Finished: the change is done ({job.row_count:,} rows)." if job.row_count \
            else "Finished: the change is done."
    if state == JobState.CANCELLED:
        return "Cancelled: what the job had done was rolled back; the table is as it was."
    if state == JobState.ROLLBACK_DONE:
        return "Failed and rolled back: the table is as it was."
    if state == JobState.PAUSED:
        who = {"user": "by ADMIN PAUSE", "recovery": "by recovery, for the DBA to choose",
               "worker": "by the worker: rolling back failed"}.get(job.paused_by, "")
        return f"Paused{where} {who}".rstrip() + ": u resumes it, x cancels it."
    if state == JobState.PAUSING:
        return f"Pausing{where}: it stops after the step it is in."
    if state in (JobState.CANCELLING, JobState.ROLLINGBACK):
        return f"Rolling back{where}: what the job did is being undone."
    if state == JobState.QUEUEING:
        return "Queued: it starts when the jobs before it have finished."
    return f"Running{where}."


def crash_words(job: DDLJobInfo, steps: list[DDLJobStep] | None = None) -> str:
    """What recovery did ('rolled forward; interrupted at ...'), from the job's history entry
    that names the case ('' when the history is not read yet)."""
    if not job.crash_case:
        return ""
    note = next((s.detail for s in reversed(steps or [])
                 if s.step == "interrupted by a crash"), "")
    return note.removeprefix(f"case {job.crash_case}: ")


# -- control -------------------------------------------------------------------------------


def refusal(action: str, job: DDLJobInfo) -> str:
    """Why the engine will refuse `action` on `job` as the list shows it ("" when it may
    accept): the pane then asks no confirmation and shows the engine's answer."""
    state = job.state
    if action == "cancel":
        if state in (JobState.SYNCED, JobState.DONE):
            return "finished"
        if state in (JobState.CANCELLED, JobState.ROLLBACK_DONE):
            return f"already {state}"
        return ""
    if action == "pause":
        if state in (JobState.PAUSED, JobState.PAUSING):
            return f"already {state}"
        if state not in (JobState.QUEUEING, JobState.RUNNING, JobState.NONE):
            return f"{state}"
        return ""
    if action == "resume":
        return "" if state == JobState.PAUSED else f"{state}, not paused"
    return "unknown action"


def _kind(job: DDLJobInfo) -> str:
    t = job.job_type
    if t in ("add index", "create index", "add primary key"):
        return "add index"
    if t == "drop index":
        return "drop index"
    return "other"


def consequences(action: str, job: DDLJobInfo) -> list[str]:
    """What `action` will do to `job`, sentence by sentence."""
    table = f"{job.db_name}.{job.table_name}"
    kind = _kind(job)
    if action == "cancel":
        if job.state in (JobState.CANCELLING, JobState.ROLLINGBACK):
            return ["The job is rolling back already: cancelling changes nothing."]
        if job.state == JobState.QUEUEING and job.schema_state in ("", SchemaState.NONE):
            return ["The job has not started: it is taken off the queue; nothing was "
                    "changed.",
                    "The statement that submitted it fails with ERROR 8214."]
        if kind == "add index":
            out = ["The index build is rolled back: the entries written so far are deleted "
                   "and the index is removed; the table stays as it was."]
        elif kind == "drop index":
            out = ["The drop is called off: the index stays, in use as before."]
        else:
            out = ["The change is undone step by step: the table goes back to what it was "
                   "before the job."]
        if job.state == JobState.PAUSED:
            out.append("The job is paused: it leaves the pause to roll back.")
        out.append("The statement that submitted it fails with ERROR 8214 (Cancelled DDL "
                   "job); the job ends as cancelled.")
        return out
    if action == "pause":
        return ["The job stops after the step it is in (one batch of rows at most) and "
                "keeps its checkpoint: nothing is lost or done twice.",
                f"It stays paused, across restarts too, until u resumes it; meanwhile "
                f"other schema changes of {table} wait behind it (its rows can still be "
                "read and written)."]
    if action == "resume":
        if job.paused_by == "recovery":
            return ["Recovery paused this job for you to choose: resuming rolls it "
                    "forward (x would revert it).",
                    "It goes back to the queue and carries on from its checkpoint."]
        return ["The job goes back to the queue and carries on from its checkpoint: the "
                f"rows done so far ({job.rows_done:,}) are not read again."
                if job.rows_done else
                "The job goes back to the queue and carries on from where it stopped."]
    return []


def question(action: str, job: DDLJobInfo) -> str:
    """'Cancel job 12 (add index idx_b on shop.orders, write reorganization, 41%)?'"""
    parts = [target(job), job.schema_state or job.state]
    if job.progress is not None and job.rows_total and not finished(job.state):
        parts.append(percent(job))
    return f"{VERBS[action]} job {job.job_id} ({', '.join(p for p in parts if p)})?"


def statement(action: str, job_id: int) -> str:
    return f"ADMIN {action.upper()} DDL JOBS {job_id}"


def answer_words(action: str, job: DDLJobInfo, result: str) -> tuple[bool, str]:
    """(accepted, message) for the engine's RESULT of `action` on `job`."""
    if result == "successful":
        said = {"cancel": "cancel requested: it rolls back now",
                "pause": "pause requested: it stops after the step it is in",
                "resume": "resumed: it carries on from its checkpoint"}[action]
        if action == "cancel" and job.state in (JobState.CANCELLED, JobState.ROLLBACK_DONE):
            said = f"already {job.state}: nothing to cancel"
        return True, f"Job {job.job_id}: {said}."
    code = re.search(r"\b(82\d\d)\b", result)
    why = REFUSAL_WORDS.get(code.group(1), "") if code else ""
    return False, (f"{statement(action, job.job_id)} refused: {result}"
                   + (f"\n{why}" if why else ""))


def step_rows(steps: list[DDLJobStep]) -> list[tuple[str, str, str, str, str, str]]:
    """(time, +since the previous step, step, state, schema state, detail) per step."""
    out = []
    prev: dt.datetime | None = None
    for s in steps:
        gap = ""
        if prev is not None and s.time is not None:
            gap = "+" + fmt.seconds(max(0.0, (s.time - prev).total_seconds()))
        out.append((step_time(s.time), gap, s.step, s.state, s.schema_state, s.detail))
        prev = s.time or prev
    return out
