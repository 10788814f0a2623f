"""The job queue a database's sessions submit schema changes to (`Database.ddl_jobs`).

A statement that changes a schema online (`ALTER TABLE t ADD INDEX`, ...) validates the
change, writes the job as `queueing` and commits; the worker takes it from there.  The
statement then waits for its job as TiDB's does (`wait`), and fails with the job's own error
if the job did not succeed: 1062 when a unique index met a duplicate, 8214 when the DBA
cancelled it.  The API can also submit without waiting (`Connection.submit_ddl`) and follow
the job by its events, which is what the console does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from core.catalog.model import DDLJob
from core.ddl.worker import Worker, job_tables
from core.errors import CorruptionError, DataError, Error, IntegrityError, OperationalError
from core.events import DDLJobChanged, Event, JobState
from core.txn import begin

Database = Any  # core.sql.session.Database

# a job's error raised again in its session keeps its class (a rebuild fails on data)
_ERROR_CLASSES = {1062: IntegrityError, 1877: CorruptionError, 1138: DataError,
                  1264: DataError, 1265: DataError, 1292: DataError, 1366: DataError,
                  1406: DataError}
_ERROR = re.compile(r"ERROR (\d+) \(([0-9A-Z]{5})\): (.*)", re.S)


def job_error(job: DDLJob) -> Error:
    """The error a job that did not succeed ends its statement with."""
    m = _ERROR.match(job.error or "")
    if m is None:
        return OperationalError(f"DDL job {job.job_id} ended in state '{job.state}'"
                                + (f": {job.error}" if job.error else ""), errno=8214,
                                sqlstate="HY000")
    errno, sqlstate, msg = int(m.group(1)), m.group(2), m.group(3)
    cls = _ERROR_CLASSES.get(errno, OperationalError)
    return cls(msg, errno=errno, sqlstate=sqlstate)


class JobQueue:
    """The database's queue and its worker thread (none on a read-only open)."""

    def __init__(self, db: Database, emit: Callable[[Event], None]):
        self.db = db
        self._emit = emit
        self.worker = Worker(db, self.emit)

    def emit(self, event: Event) -> None:
        try:
            self._emit(event)
        except Exception:  # noqa: BLE001 - a listener's failure must not stop a job
            pass

    def start(self) -> None:
        if not self.db.engine.read_only:
            self.worker.start()

    def stop(self) -> None:
        self.worker.stop()

    def wake(self) -> None:
        self.worker.wake()

    def submit(self, txn, job: DDLJob) -> None:
        """Write `job` as queued in the caller's transaction (committed by the caller, which
        then calls `wake`)."""
        job.state = JobState.QUEUEING
        job.start_time = None
        job.note("queued", job.query[:200])
        self.db.catalog.put_job(txn, job)

    def cancel(self, job_id: int) -> str:
        """ADMIN CANCEL DDL JOBS job_id's RESULT (`successful` or TiDB's error text)."""
        from core.ddl.control import control

        return control(self.db, "cancel", [job_id])[0][1]

    def submitted(self, job: DDLJob) -> None:
        """The job's queueing committed: say so, and wake the worker."""
        self.emit(DDLJobChanged(job.job_id, job.job_type, job.db_name, job.table_name,
                                job.state, job.schema_state, "queued"))
        self.wake()

    def job(self, job_id: int, durable: bool = True) -> DDLJob | None:
        """The job as committed; `durable=False` also sees steps not yet fsynced (a
        statement waiting for its job looks that way, and confirms the end durably)."""
        with self.db.engine.snapshot(wait_durable=durable) as snap:
            return self.db.catalog.job(snap, job_id)

    def wait(self, job_id: int, timeout: float | None = None,
             check: Callable[[], None] | None = None) -> DDLJob:
        """Block until job `job_id` is finished and return it; raise its error if it did not
        succeed.  `check` is called between looks (a cancel token: it raises to stop
        waiting, the job goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            generation = self.worker.generation
            job = self.job(job_id, durable=False)
            if job is not None and job.state.finished:
                job = self.job(job_id)  # what it says is acknowledged only once durable
            if job is None:
                raise OperationalError(f"DDL Job:{job_id} not found", errno=8224,
                                       sqlstate="HY000")
            if job.state.finished:
                if job.state.succeeded:
                    return job
                raise job_error(job)
            if self.db.engine.closed:
                raise OperationalError(f"the database closed while DDL job {job_id} was "
                                       f"{job.state}; it resumes when the database is opened "
                                       "again", errno=8214, sqlstate="HY000")
            if check is not None:
                check()
            if deadline is not None and time.monotonic() > deadline:
                return job
            self.worker.wait_change(generation, 0.5)

    def unfinished_on(self, table_id: int) -> DDLJob | None:
        """A job not yet finished that works on table `table_id` (a DDL on that table waits
        for it, as TiDB runs a table's jobs in order)."""
        with self.db.engine.snapshot() as snap:
            for job in self.db.catalog.unfinished_jobs(snap):
                if table_id in job_tables(job):
                    return job
        return None


def submit_and_commit(db: Database, job: DDLJob, txn=None) -> None:
    """Queue `job` in a transaction of its own (or `txn`), commit, wake the worker."""
    own = txn is None
    txn = txn or begin(db.engine)
    try:
        db.ddl_jobs.submit(txn, job)
        if own:
            txn.commit()
    except BaseException:
        if own:
            txn.rollback()
        raise
    db.ddl_jobs.submitted(job)
