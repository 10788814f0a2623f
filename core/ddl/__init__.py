"""DDL as jobs: the queue, the worker, each job type's steps, job control and repair.

This package sits above `core.sql` (a job's steps write rows and entries through
`core.sql.table`'s key layout); the SQL session reaches it only through what `install` puts
on the database: `Database.ddl_jobs` (submit a job, wait for it) and the handlers of the job
control statements, so `core.sql` never imports it.

* `core.ddl.worker`: the worker thread and the state machine every job shares;
* `core.ddl.index_jobs`: ADD INDEX / DROP INDEX through F1's states, with a batched,
  checkpointed backfill;
* `core.ddl.control`: ADMIN CANCEL | PAUSE | RESUME DDL JOBS;
* `core.ddl.repair`: at open, what a crash interrupted, named (the seed's cases) and resumed;
* `core.ddl.queue`: the queue a statement submits to and waits on.
"""

from __future__ import annotations

from typing import Any

Database = Any  # core.sql.session.Database


def install(db: Database) -> None:
    """Give `db` its job queue and worker, and its sessions the job control statements (the
    composition root calls this once per open database, after recovery)."""
    from core.ddl import control, index_jobs, queue, rebuild, repair, show  # noqa: F401
    from core.sql import dialect
    from core.sql.result import Result

    def controller(action: str):
        def run(session, node) -> Result:
            session.implicit_commit()  # the change is its own transaction, as a DDL's
            ids = [int(e.this) for e in node.expressions]
            rows = control.control(session.db, action, ids)
            return Result(names=["JOB_ID", "RESULT"], rows=rows, rowcount=len(rows))

        return run

    db.statement_handlers.update({
        dialect.AdminCancelDDLJobs: controller("cancel"),
        dialect.AdminPauseDDLJobs: controller("pause"),
        dialect.AdminResumeDDLJobs: controller("resume"),
        dialect.AdminShowDDL: show.admin_show_ddl,
        dialect.AdminShowDDLJobQueries: show.admin_show_ddl_job_queries,
    })
    from core.ddl import orphans

    orphans.install(db)  # ADMIN SHOW ORPHAN FILES, REMOVE / ADOPT ORPHAN FILE
    orphans.reserve_orphan_ids(db)  # a new table never takes an orphan file's space id
    db.ddl_jobs = jobs = queue.JobQueue(db, db.engine.sink)
    crashed = getattr(db.engine, "last_recovery", None) is not None
    repair.repair_interrupted(db, jobs.emit, crashed)
    jobs.start()
