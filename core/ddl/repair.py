"""At open: the jobs a crash (or a close) interrupted, named and put back on their way.

Nothing here moves data: a job's last committed step is exactly where it stands (each step
is one transaction), so the worker's next step carries on from its checkpoint.  What this
does is tell: each unfinished job gets a history entry saying which case the interruption
was (the seed's A-D for a table rebuild, "index" for an index build or drop), what will be
done about it, and a `DDLJobRepaired` event for the log and the console.  Where both ways
are safe (a rebuild's cases C and D) the job is paused for the DBA: ADMIN RESUME DDL JOBS
rolls it forward, ADMIN CANCEL DDL JOBS reverts it.
"""

from __future__ import annotations

from typing import Any

from core.catalog.model import DDLJob
from core.events import DDLJobRepaired, Event, JobState
from core.txn import begin

Database = Any  # core.sql.session.Database


def describe(job: DDLJob) -> tuple[str, str, str]:
    """(case, action, detail) for an interrupted job (see the module docstring)."""
    classify = CASES.get(job.job_type)
    if classify is not None:
        return classify(job)
    state = str(job.schema_state)
    reorg = job.reorg or {}
    where = f"schema state {state}"
    if reorg.get("total"):
        where += f", {reorg.get('phase', 'reorganisation')} at row {reorg.get('done', 0):,} " \
                 f"of ~{reorg['total']:,}"
    if job.state in (JobState.ROLLINGBACK, JobState.CANCELLING):
        return "index", "rolled back", f"interrupted while rolling back ({where}); the " \
                                       "roll-back resumes where it stopped"
    if job.state is JobState.PAUSED:
        return "index", "left paused", f"paused at {where}"
    return "index", "rolled forward", f"interrupted at {where}; the job resumes from its " \
                                      "last checkpoint (no entry is lost or made twice)"


# job type -> classifier, filled by the job types that have their own cases (rebuilds)
CASES: dict[str, Any] = {}


def _last_recovery_start(db: Database) -> float | None:
    """When the newest recovery of the history began: a job whose last step is older was
    interrupted by the crash it repaired, even when that recovery ran in another process
    (the console's recovery process, `kintsugi recover`) and this open is a clean one.  (A
    clean open notes every unfinished job, so a job's last step is never older than the
    last open that ran its worker.)"""
    try:
        from core.recovery.history import read_history

        history = read_history(db.engine)
    except Exception:  # noqa: BLE001 - the history is best effort; this open is not
        return None
    return history[-1].start_time if history else None


def repair_interrupted(db: Database, emit, crashed: bool) -> list[Event]:
    """Note every unfinished job's interruption in its history, in one transaction."""
    events: list[Event] = []
    if db.engine.read_only:
        return events
    with db.engine.snapshot() as snap:
        jobs = [j for j in db.catalog.unfinished_jobs(snap)
                if j.state is not JobState.QUEUEING]
    if not jobs:
        return events
    recovered_at = None if crashed else _last_recovery_start(db)
    txn = begin(db.engine)
    try:
        txn.current_view()
        for job in jobs:
            last = job.steps[-1]["step"] if job.steps else ""
            if job.state is JobState.PAUSED or (not crashed and
                                                last.startswith("interrupted by")):
                continue  # a paused job was not interrupted; or said already (a recovery
                # in a child process, then this open)
            case, action, detail = describe(job)
            by_crash = crashed or (recovered_at is not None and bool(job.steps)
                                   and recovered_at > job.steps[-1]["at"])
            reason = "a crash" if by_crash else "a restart"
            if by_crash:
                job.crash_case = case
            elif action == "paused for the DBA":
                # a clean close between two steps lost nothing: the job carries on
                action, detail = "carried on", "closed cleanly between two steps"
            if job.state is JobState.PAUSING:  # the pause it was asked for, made now
                paused_from = job.args.pop("paused_from", "")
                if paused_from in (JobState.RUNNING, JobState.ROLLINGBACK):
                    job.args["resume_state"] = paused_from
                job.state = JobState.PAUSED
            elif action == "paused for the DBA":
                if job.state in (JobState.RUNNING, JobState.ROLLINGBACK):
                    job.args["resume_state"] = str(job.state)
                job.state = JobState.PAUSED
                job.paused_by = "recovery"
            job.note(f"interrupted by {reason}", f"case {case}: {action}; {detail}")
            db.catalog.put_job(txn, job)
            events.append(DDLJobRepaired(job.job_id, job.job_type, job.table_name, case,
                                         action, detail))
        txn.commit()
    except BaseException:
        txn.rollback()
        raise
    for e in events:
        emit(e)
    return events
