"""ADMIN SHOW DDL and ADMIN SHOW DDL JOB QUERIES, with TiDB's columns.

`ADMIN SHOW DDL` names the DDL owner (here: this process, the only one that can open the
directory) and its running jobs in TiDB's one-line job format.  `... JOB QUERIES id[, id]`
searches the unfinished jobs and the last 10 finished ones, as TiDB does, and answers one
`QUERY` column; `... JOB QUERIES LIMIT m [OFFSET n]` pages through all jobs as
`JOB_ID, QUERY`.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from core.catalog.model import DDLJob
from core.sql.result import Result

Session = Any  # core.sql.session.Session
HISTORY = 10  # TiDB's DefNumHistoryJobs


def _jobs(session: Session) -> list[DDLJob]:
    with session.db.engine.snapshot() as snap:
        return sorted(session.db.catalog.jobs(snap), key=lambda j: -j.job_id)


def _version(session: Session) -> int:
    with session.db.engine.snapshot() as snap:
        return session.db.catalog.version(snap)


def job_line(job: DDLJob) -> str:
    """A job as TiDB's `Job.String()` prints it in ADMIN SHOW DDL's RUNNING_JOBS."""
    start = dt.datetime.fromtimestamp(job.start_time or job.create_time)
    return (f"ID:{job.job_id}, Type:{job.job_type}, State:{job.state}, "
            f"SchemaState:{job.schema_state}, SchemaID:{job.schema_id}, "
            f"TableID:{job.table_id}, RowCount:{job.row_count}, ArgLen:{len(job.args)}, "
            f"start time: {start:%Y-%m-%d %H:%M:%S}, Err:{job.error or '<nil>'}, ErrCount:"
            f"{1 if job.error else 0}, SnapshotVersion:0")


def admin_show_ddl(session: Session, node) -> Result:
    running = [j for j in _jobs(session) if not j.state.finished]
    owner = f"kintsugi-{os.getpid()}"
    row = [_version(session), owner, f"embedded (pid {os.getpid()})",
           "\n".join(job_line(j) for j in reversed(running)), owner,
           "\n".join(j.query for j in reversed(running))]
    return Result(names=["SCHEMA_VER", "OWNER_ID", "OWNER_ADDRESS", "RUNNING_JOBS", "SELF_ID",
                         "QUERY"], rows=[row], rowcount=1)


def admin_show_ddl_job_queries(session: Session, node) -> Result:
    jobs = _jobs(session)
    if node.args.get("limit") is not None:
        limit = int(node.args["limit"].this)
        offset = int(node.args["offset"].this) if node.args.get("offset") is not None else 0
        rows = [[j.job_id, j.query] for j in jobs[offset:offset + limit]]
        return Result(names=["JOB_ID", "QUERY"], rows=rows, rowcount=len(rows))
    wanted = [int(e.this) for e in node.expressions]
    visible = [j for j in jobs if not j.state.finished] + \
        [j for j in jobs if j.state.finished][:HISTORY]
    by_id = {j.job_id: j for j in visible}
    rows = [[by_id[i].query] for i in wanted if i in by_id]
    return Result(names=["QUERY"], rows=rows, rowcount=len(rows))
