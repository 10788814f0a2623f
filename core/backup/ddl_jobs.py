"""Unfinished DDL jobs in a restored copy: cancelled and rolled back before the replay.

A hot backup taken while an online schema change ran (ADD INDEX backfilling, a rebuild
copying rows) holds that job half done.  Left alone, the copy's DDL worker would finish it
and the replay would then run the same statement from the binlog (1061 Duplicate key name),
or finish a job the source cancelled after the backup, or a paused job would block the
replay (1205).  The binlog logs a job's statement when its change became visible, so the
copy must be as the source was WITHOUT the job: every unfinished job is cancelled (paused
ones too), and the statement in the binlog replays it if the source finished it.

The cancel is written before the database's worker starts (the copy is opened once by the
bare engine, which also runs its crash recovery), so no step of the job can run in between;
the connection opened afterwards rolls the jobs back, and `wait_rolled_back` waits for it.
A job already past its point of no return ("almost finished": its change is visible, so it
is in the backup's own state) is left to complete.
"""

from __future__ import annotations

import time
from typing import Any

from core.errors import OperationalError

DEFAULT_TIMEOUT = 120.0  # seconds for all the copy's jobs to roll back


def cancel_unfinished(path: str) -> list[int]:
    """Mark every unfinished DDL job of the database at `path` (not open elsewhere)
    cancelling, in one transaction: the ids of the jobs cancelled."""
    from core.ddl import control, index_jobs, rebuild  # noqa: F401 - handlers register
    from core.kv import Engine
    from core.sql.session import Database

    engine = Engine.open(path, log_bin=False)
    try:
        db = Database(engine)
        with engine.snapshot() as snap:
            jobs = db.catalog.unfinished_jobs(snap)
        if not jobs:
            return []
        rows = control.control(db, "cancel", [j.job_id for j in jobs])
        return [int(job_id) for job_id, result in rows if result == "successful"]
    finally:
        engine.close()


def wait_rolled_back(conn: Any, job_ids: list[int], timeout: float = DEFAULT_TIMEOUT) -> None:
    """Block until none of the copy's jobs is unfinished any more (the cancelled ones rolled
    back, any that could not be cancelled completed); else 8214 naming what is left."""
    db = conn._db
    deadline = time.monotonic() + timeout
    while True:
        with db.engine.snapshot() as snap:
            left = db.catalog.unfinished_jobs(snap)
        if not left:
            return
        if time.monotonic() > deadline:
            names = ", ".join(f"job {j.job_id} ({j.job_type} on {j.db_name}.{j.table_name}, "
                              f"{j.state})" for j in left)
            raise OperationalError(
                f"the restored copy's unfinished DDL jobs did not roll back within "
                f"{timeout:.0f}s: {names}; nothing restored", errno=8214, sqlstate="HY000")
        worker = db.ddl_jobs.worker if db.ddl_jobs is not None else None
        if worker is not None:
            worker.wake()
            worker.wait_change(worker.generation, 0.2)
        else:
            time.sleep(0.05)
