"""ADMIN CANCEL | PAUSE | RESUME DDL JOBS id[, id]: TiDB's job control.

Each answers one row per id, `JOB_ID, RESULT`, RESULT being `successful` or `error: <err>`
with TiDB's texts (pkg/ddl/job_*.go `processJobs`); all ids are decided in one transaction,
so a mix of good and bad ids changes the good ones and reports the bad ones.  The worker
notices the new state at its next step: a cancelled job rolls back and its statement fails
with 8214, a pausing job stops after the step it is in and its statement keeps waiting.
"""

from __future__ import annotations

from typing import Any

from core.catalog.model import DDLJob
from core.events import DDLJobChanged, JobState
from core.txn import begin

Database = Any  # core.sql.session.Database

PAUSABLE = (JobState.QUEUEING, JobState.NONE, JobState.RUNNING)


def _not_found(job_id: int) -> str:
    return f"error: [ddl:8224]DDL Job:{job_id} not found"


def cancel_one(job: DDLJob, handler) -> str | None:
    """Cancel `job` in place; None when it worked, else TiDB's error text."""
    state = job.state
    if state in (JobState.CANCELLING, JobState.ROLLINGBACK, JobState.CANCELLED,
                 JobState.ROLLBACK_DONE):
        return None  # already on its way back: a no-op success, as TiDB
    if state.succeeded:
        return f"error: [ddl:8225]This job:{job.job_id} is finished, so can't be cancelled"
    if handler is not None and not handler.cancellable(job):
        return f"error: [ddl:8226]This job:{job.job_id} is almost finished, can't be cancelled now"
    job.args.pop("resume_state", None)
    job.state = JobState.CANCELLING
    job.note("cancel requested", "ADMIN CANCEL DDL JOBS")
    return None


def pause_one(job: DDLJob, handler) -> str | None:
    if job.state is JobState.PAUSED or job.state is JobState.PAUSING:
        return f"error: [ddl:8262]Job [{job.job_id}] has already been paused"
    if job.state not in PAUSABLE or (job.state is JobState.RUNNING and handler is not None
                                     and not handler.cancellable(job)):
        return (f"error: [ddl:8260]Job [{job.job_id}] can't be paused: state [{job.state}] or "
                f"schema state [{job.schema_state}]")
    job.args["paused_from"] = str(job.state)
    job.state = JobState.PAUSING
    job.paused_by = "user"
    job.note("pause requested", "ADMIN PAUSE DDL JOBS")
    return None


def resume_one(job: DDLJob, handler) -> str | None:
    if job.state is not JobState.PAUSED:
        return (f"error: [ddl:8261]Job [{job.job_id}] can't be resumed: job has not been "
                f"paused, job state:{job.state}, schema state:{job.schema_state}")
    job.state = JobState.QUEUEING
    job.paused_by = ""
    job.note("resume requested", "ADMIN RESUME DDL JOBS")
    return None


ACTIONS = {"cancel": cancel_one, "pause": pause_one, "resume": resume_one}


def control(db: Database, action: str, job_ids: list[int]) -> list[list]:
    """Apply `action` to each job id in one transaction: [[JOB_ID, RESULT], ...]."""
    from core.ddl.worker import handler_for

    act = ACTIONS[action]
    out: list[list] = []
    changed: list[DDLJob] = []
    txn = begin(db.engine)
    try:
        view = txn.current_view()
        for job_id in job_ids:
            job = db.catalog.job(view, job_id) if 0 < job_id < 2**63 else None
            if job is None:
                out.append([str(job_id), _not_found(job_id)])
                continue
            problem = act(job, handler_for(job))
            if problem is None:
                db.catalog.put_job(txn, job)
                changed.append(job)
            out.append([str(job_id), problem or "successful"])
        txn.commit()
    except BaseException:
        txn.rollback()
        raise
    queue = getattr(db, "ddl_jobs", None)
    for job in changed:
        if queue is not None:
            queue.emit(DDLJobChanged(job.job_id, job.job_type, job.db_name, job.table_name,
                                     job.state, job.schema_state, job.steps[-1]["step"],
                                     job.error))
    if queue is not None and changed:
        queue.wake()
    return out
