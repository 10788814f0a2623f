"""The DDL worker: one thread per open database that runs queued jobs one step at a time.

A step is one write transaction that reads the job, does one piece of work (change a schema
state, backfill one batch, switch the dictionary) and writes the job back with its new state
and checkpoint, so a crash between two steps loses nothing and repeats nothing: reopening
finds the job exactly where its last committed step left it (`core.ddl.repair` notes the
case) and this worker carries on.  Between steps the writer lock is free, so the table's
DML goes on while an index builds (F1's online schema change; with one writer at a time in
one process, every write statement sees the latest schema state, so at most two adjacent
states ever coexist, as F1 requires).

States follow TiDB: queueing -> running -> (done) synced, or running -> rollingback ->
rollback done when the change failed (a duplicate for a unique index), cancelling ->
rollingback -> cancelled when the DBA cancelled it, pausing -> paused -> queueing on
resume.  Each job type's steps are a `JobHandler` (`core.ddl.handlers`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.catalog.model import DDLJob
from core.catalog.store import CatalogStore, Schema
from core.crashpoints import crash_point
from core.errors import EngineClosedError, Error, InternalError, LockWaitTimeoutError
from core.events import DDLJobChanged, DDLReorgProgress, Event, JobState, SchemaState
from core.txn import begin

Database = Any  # core.sql.session.Database

# TiDB's tidb_ddl_reorg_batch_size (default 256, 32..10240): rows per backfill transaction
DEFAULT_BATCH_SIZE = 256
CANCELLED_ERRNO = 8214
MAX_GROWTH = 16  # the default batch grows to at most 16 x 256 rows while uncontended
MAX_YIELD = 0.25  # seconds: the longest pause a contended step leaves to other writers


@dataclass
class Step:
    """What one step has to work with, and what it tells the worker."""

    db: Database
    txn: Any
    schema: Schema
    store: CatalogStore
    batch_size: int
    schema_changed: bool = False  # the step changed the dictionary: bump its version
    progress: DDLReorgProgress | None = None
    events: list[Event] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def view(self):
        return self.txn.current_view()


class JobHandler(Protocol):
    """One job type's steps.  `step` advances a running job by one transaction's worth and
    sets `job.state = DONE` when the change is complete; `rollback_step` undoes it step by
    step and sets ROLLBACK_DONE (or CANCELLED) when nothing of it is left.  `cancellable`
    says whether the job can still be reverted (TiDB's "rollback-able")."""

    def step(self, s: Step, job: DDLJob) -> None: ...

    def rollback_step(self, s: Step, job: DDLJob) -> None: ...

    def cancellable(self, job: DDLJob) -> bool: ...


HANDLERS: dict[str, JobHandler] = {}


def job_tables(job: DDLJob) -> set[int]:
    """The table ids a job works on (a rebuild also owns its new table's id)."""
    ids = {job.table_id}
    new_id = job.args.get("new_table_id")
    if new_id:
        ids.add(new_id)
    return ids


def handler_for(job: DDLJob) -> JobHandler | None:
    return HANDLERS.get(job.job_type)


def error_text(err: BaseException) -> tuple[int, str]:
    """(errno, `ERROR n (state): message`) as the issuing session will raise it again."""
    if isinstance(err, Error):
        return err.errno or 1105, f"ERROR {err.errno} ({err.sqlstate}): {err.msg}"
    return 1105, f"ERROR 1105 (HY000): Internal error: {type(err).__name__}: {err}"


class Worker:
    """Runs the queue: the oldest job that can run, one step at a time, until none is left;
    then sleeps until a job is submitted or controlled (`wake`)."""

    def __init__(self, db: Database, emit: Callable[[Event], None]):
        self.db = db
        self.store: CatalogStore = db.catalog
        self.emit = emit
        self._batch_size = DEFAULT_BATCH_SIZE
        self.adaptive = True  # grow the default batch while alone (see batch)
        self.batch_delay = 0.0  # seconds between two batches of one job (the demo's throttle)
        self._cond = threading.Condition()
        self._stop = False
        self._kick = False
        self._generation = 0
        self._contended = False  # writers waited for the lock during the last step
        self._growth = 1  # the default batch's multiplier (see batch)
        self._last_trx = 0  # the transaction id of the last step
        self._last_job = 0  # the job that stepped last (jobs take turns)
        self._not_before: dict[int, float] = {}  # job id -> monotonic time it may step again
        self._thread: threading.Thread | None = None
        self.failure: str = ""  # the last unexpected failure of the worker itself

    # -- thread -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kintsugi-ddl", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def wake(self) -> None:
        with self._cond:
            self._kick = True
            self._cond.notify_all()

    @property
    def generation(self) -> int:
        """Counts the worker's passes: read it before looking at a job, then
        `wait_change(generation)` cannot miss a step that committed in between."""
        return self._generation

    def wait_change(self, generation: int, timeout: float) -> None:
        """Block until a step commits after `generation` was read (or `timeout`): what a
        waiting statement sleeps on."""
        with self._cond:
            if self._generation == generation:
                self._cond.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stop or self.db.engine.closed:
                    return
                self._kick = False
            started = time.monotonic()
            try:
                job = self.run_once()
            except Exception as exc:  # noqa: BLE001 - keep the thread; say why in failure
                self.failure = f"{type(exc).__name__}: {exc}"
                job = None
                time.sleep(0.2)
            worked = job is not None
            with self._cond:
                self._generation += 1
                self._cond.notify_all()  # statements waiting for their job look again
                if self._stop:
                    return
                if not worked and not self._kick:
                    self._cond.wait(self.wait_time())
            if not worked:
                continue
            now = time.monotonic()
            pause = self.delay(job)  # the job's own throttle: other jobs may step meanwhile
            if pause:
                self._not_before[job.job_id] = now + pause
            else:
                self._not_before.pop(job.job_id, None)
            if self._contended:
                # writers waited while this step held the lock: give them as long as the
                # step took (the DML on the table keeps about half the time it would have)
                time.sleep(min(now - started, MAX_YIELD))

    # A job's throttle: SET GLOBAL (this process, every job) wins; else what the job was
    # submitted with (`Connection.submit_ddl(..., batch_size=, delay_ms=)`, kept in its
    # args, so it survives a restart); else the worker's own defaults.

    def batch(self, job: DDLJob) -> int:
        """Rows per reorganisation step (TiDB's tidb_ddl_reorg_batch_size).  Unless one was
        set (SET GLOBAL, the job's own), the worker's default grows while no other writer
        waits for the lock (fewer, larger commits: a build alone on the database runs up to
        16 times fewer steps) and falls back at once when one does."""
        fixed = self.db.global_limits.get("tidb_ddl_reorg_batch_size") or \
            job.args.get("batch_size")
        if isinstance(fixed, int) and fixed > 0:  # a damaged or hand-made arg: the default
            return fixed
        return self._batch_size * (self._growth if self.adaptive else 1)

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, rows: int) -> None:
        """A batch size set on the worker is kept as it is (tests and benchmarks count
        steps): it turns the growth off."""
        self._batch_size = rows
        self.adaptive = False

    def delay(self, job: DDLJob) -> float:
        """Seconds between two steps of `job` (kintsugi_ddl_reorg_delay_ms)."""
        ms = self.db.global_limits.get("kintsugi_ddl_reorg_delay_ms")
        if ms is None:
            ms = job.args.get("delay_ms")
        if not isinstance(ms, (int, float)) or ms < 0:
            return self.batch_delay
        return min(ms, 3_600_000) / 1000.0

    # -- steps --------------------------------------------------------------------------------

    def next_job(self) -> DDLJob | None:
        """The job whose step comes next.  A table's jobs run in order (only its oldest
        unfinished job may step; a paused one holds the ones behind it, as in TiDB), jobs on
        different tables take turns, one step each, so a long build does not hold up an
        unrelated table's change; a job whose throttle asks for a pause is skipped until
        its time.  A job cancelled or paused before it started moves at once."""
        now = time.monotonic()
        with self.db.engine.snapshot() as snap:
            jobs = self.store.unfinished_jobs(snap)
        busy: set[int] = set()  # tables whose oldest unfinished job came already
        ready: list[DDLJob] = []
        for job in jobs:  # oldest first
            tables = job_tables(job)
            first = not (tables & busy)
            busy |= tables
            if job.state is JobState.PAUSED:
                continue
            moves_at_once = job.state is JobState.PAUSING or (
                job.state is JobState.CANCELLING and job.start_time is None)
            if (first or moves_at_once) and self._not_before.get(job.job_id, 0.0) <= now:
                ready.append(job)
        if not ready:
            return None
        after = [j for j in ready if j.job_id > self._last_job]
        job = (after or ready)[0]
        self._last_job = job.job_id
        return job

    def wait_time(self) -> float:
        """Seconds until a throttled job may step again (1.0 when none waits)."""
        if not self._not_before:
            return 1.0
        return max(0.001, min(1.0, min(self._not_before.values()) - time.monotonic()))

    def run_once(self) -> DDLJob | None:
        """One step of the next job (returned); None when nothing could run."""
        if self.db.engine.closed or self.db.engine.read_only:
            return None
        job = self.next_job()
        if job is None:
            return None
        self.step(job.job_id)
        return job

    def step(self, job_id: int) -> None:
        """One step of job `job_id` in one transaction; a failure of the step's work sends
        the job to roll back, with the error kept for the session that waits for it."""
        try:
            self._step(job_id)
        except LockWaitTimeoutError:
            return  # a long transaction holds the writer lock: try again, the job is fine
        except EngineClosedError:
            return  # closing: the job resumes at the next open
        except Error as err:
            self._fail(job_id, err)
        except Exception as exc:  # noqa: BLE001 - a bug in a step must not wedge the queue
            self._fail(job_id, InternalError(f"Internal error: {type(exc).__name__}: {exc}",
                                             errno=1105, sqlstate="HY000"))

    def _step(self, job_id: int) -> None:
        txn = begin(self.db.engine)
        try:
            view = txn.current_view()  # the writer lock: no write statement runs meanwhile
            job = self.store.job(view, job_id)
            if job is None or job.state.finished or job.state is JobState.PAUSED:
                txn.rollback()
                return
            s = Step(self.db, txn, self.store.schema(view), self.store, self.batch(job))
            before = (job.state, job.schema_state)
            self._advance(s, job)
            txn.binlog_rows = False  # a step's row copies are the statement's, replayed as it
            txn.binlog_skip = bool(job.args.get("binlog_skip"))  # run under sql_log_bin=0
            if _visible(job) and not job.args.get("binlogged"):
                # the binary log gets the statement in the step that makes its change
                # visible (a rebuild's switch, else the last step): a DML logged after it
                # already has the new columns, so replay must run the statement first
                txn.binlog_ddl = (job.args.get("session_db"), job.query)
                job.args["binlogged"] = True
            self.store.put_job(txn, job)
            # others write to the database: one waits now, or one took the lock since our
            # last step (transaction ids are handed out in lock order)
            others = (txn.trx_id or 0) - self._last_trx > 1
            self._last_trx = txn.trx_id or 0
            self._contended = others or getattr(self.db.engine, "writers_waiting", 0) > 0
            self._growth = 1 if self._contended else min(self._growth * 2, MAX_GROWTH)
            crash_point("ddl.before_step_commit")
            # every step is durable when it returns: a crash after it finds the job there
            # (the crash cases name exactly the step reached)
            if s.schema_changed:
                self.db.commit_schema_change(txn)
            else:
                txn.commit()
        except BaseException:
            txn.rollback()
            raise
        crash_point("ddl.after_step_commit")
        for fn in s.after_commit:
            fn()
        if (job.state, job.schema_state) != before or not s.progress:
            self._changed(job)
        if s.progress is not None:
            self.emit(s.progress)
        for e in s.events:
            self.emit(e)

    def _advance(self, s: Step, job: DDLJob) -> None:
        handler = handler_for(job)
        if handler is None:
            raise InternalError(f"DDL job {job.job_id}: no worker knows job type "
                                f"'{job.job_type}'", errno=1105, sqlstate="HY000")
        now = s.db.now()  # the engine's clock: RECOVER and GC compare job times
        if job.state is JobState.QUEUEING:
            resume = job.args.pop("resume_state", None)
            job.state = JobState(resume) if resume else JobState.RUNNING
            job.start_time = job.start_time or now
            job.note("resumed" if resume else "started")
            return
        if job.state is JobState.PAUSING:
            paused_from = job.args.pop("paused_from", "")
            if paused_from in (JobState.RUNNING, JobState.ROLLINGBACK):
                job.args["resume_state"] = paused_from
            job.state = JobState.PAUSED
            job.note("paused", f"by {job.paused_by or 'user'}")
            return
        if job.state is JobState.CANCELLING:
            job.state = JobState.ROLLINGBACK
            job.error_code = CANCELLED_ERRNO
            job.error = f"ERROR {CANCELLED_ERRNO} (HY000): Cancelled DDL job"
            job.args["cancelled"] = True
            job.note("cancelling", "rolling back what the job did")
            return
        if job.state is JobState.RUNNING:
            handler.step(s, job)
            if job.state is JobState.DONE:
                job.state = JobState.SYNCED
                job.end_time = now
                job.progress = 1.0
                job.note("synced", "the change is done; every statement sees it")
            return
        if job.state is JobState.ROLLINGBACK:
            handler.rollback_step(s, job)
            if job.state in (JobState.ROLLBACK_DONE, JobState.CANCELLED):
                if job.args.get("cancelled"):
                    job.state = JobState.CANCELLED
                job.end_time = now
                job.note(str(job.state), job.error)
            return
        raise InternalError(f"DDL job {job.job_id} is in state '{job.state}', which no step "
                            "handles", errno=1105, sqlstate="HY000")

    def _fail(self, job_id: int, err: Error) -> None:
        """The step failed: nothing of it was committed; the job now rolls back."""
        errno, text = error_text(err)
        txn = begin(self.db.engine)
        try:
            view = txn.current_view()
            job = self.store.job(view, job_id)
            if job is None or job.state.finished:
                txn.rollback()
                return
            if job.state is JobState.ROLLINGBACK:
                # undoing failed too: stop and say so (it would fail again at once)
                job.state = JobState.PAUSED
                job.paused_by = "worker"
                job.args["resume_state"] = str(JobState.ROLLINGBACK)
                job.note("paused", f"rolling back failed: {text}")
            else:
                job.state = JobState.ROLLINGBACK
                job.error, job.error_code = text, errno
                job.note("failed", text)
            self.store.put_job(txn, job)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
        self._changed(job)

    def _changed(self, job: DDLJob) -> None:
        self.emit(DDLJobChanged(job.job_id, job.job_type, job.db_name, job.table_name,
                                job.state, SchemaState(job.schema_state),
                                job.steps[-1]["step"] if job.steps else "", job.error))


def _visible(job: DDLJob) -> bool:
    """Whether statements now see the job's change: it is synced, or (a table rebuild) the
    dictionary was switched to the new table.  A rebuild cancelled after its switch (the
    crash case D, ADMIN CANCEL) leaves the statement in the binary log: a restore replaying
    past it meets rows of the old shape and stops with 1532 naming the table."""
    return job.state is JobState.SYNCED or job.args.get("phase") in ("switched", "done")
