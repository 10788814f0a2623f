"""Which drop a RECOVER / FLASHBACK brings back: the DDL history walked newest first and held
against the stored GC safe point, as TiDB's `getRecoverTableByTableName`,
`getRecoverTableByJobID` and `getRecoverDBByName` do (reference section 4).

A drop is recoverable while its job is not older than the safe point and its delete range is
still pending under that job's id: a range already collected (`gcranges.done`) or taken back
by an earlier RECOVER is not.  Everything here only reads, through the recovering
transaction's view, so what it finds cannot change before that transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from core.catalog import gcranges
from core.catalog.model import DDLJob
from core.catalog.store import JOB_PREFIX, SYSTEM, CatalogStore, _decode, _end
from core.errors import OperationalError, ProgrammingError
from core.events import JobState

TABLE_DROPS = ("drop table", "truncate table")
SCHEMA_DROP = "drop schema"


def unknown(msg: str) -> OperationalError:
    """TiDB's `errors.Errorf`: a plain error, which MySQL clients see as 1105."""
    return OperationalError(msg, errno=1105, sqlstate="HY000")


def too_old(safe: float) -> OperationalError:
    return OperationalError(f"snapshot is older than GC safe point {gcranges.go_time(safe)}",
                            errno=8055, sqlstate="HY000")


@dataclass
class Dropped:
    """A drop or truncate job and the table it removed: `rng` is its pending delete range
    (the TableInfo as it was is `rng["table"]`), None when the range is gone: recovered
    already (the table id is live again) or collected."""

    job: DDLJob
    table_id: int
    rng: dict | None


def safe_point(view) -> float:
    """The stored safe point (the GC worker writes it each round); 0 before the first."""
    sp = gcranges.safe_point(view)
    return float(sp.get("safe_point") or 0.0) if sp else 0.0


def job_time(job: DDLJob) -> float:
    """The job's time as TiDB's StartTS: when it was submitted (CREATE_TIME, from the
    engine's clock; a one-step drop ran then too).  The worker's START_TIME of an online job
    is the wall clock's, which a test's ManualClock does not move."""
    return float(job.create_time if job.create_time is not None else job.start_time or 0.0)


def history(view) -> Iterator[DDLJob]:
    """Finished jobs, newest first (the keys are big-endian job ids)."""
    for k, v in view.scan(SYSTEM, JOB_PREFIX, _end(JOB_PREFIX), True):
        job = _decode(DDLJob.from_dict, k, v)
        if job.state.finished:
            yield job


def dropped_table_id(job: DDLJob) -> int:
    """The table a drop/truncate job removed: a truncate job names the new table, and keeps
    the old id in its args."""
    if job.job_type == "truncate table":
        return int(job.args.get("old_table_id") or 0)
    return int(job.table_id or 0)


def _range_of(view, job: DDLJob, table_id: int) -> dict | None:
    if table_id:
        rng = gcranges.pending_table(view, table_id)
        return rng if rng is not None and rng.get("job_id") == job.job_id else None
    for rng in gcranges.pending(view):  # a truncate job written before args named the id
        if rng.get("kind") == "table" and rng.get("job_id") == job.job_id:
            return rng
    return None


def _collected(view, job: DDLJob) -> bool:
    return any(r.get("job_id") == job.job_id and r.get("kind") == "table" for r in
               gcranges.done(view))


def _dropped(view, job: DDLJob) -> Dropped:
    tid = dropped_table_id(job)
    rng = _range_of(view, job, tid)
    if rng is not None and not tid:
        tid = int(rng["table_id"])
    return Dropped(job, tid, rng)


def table_by_name(view, schema, db_name: str, name: str, limit: int | None = None) -> Dropped:
    """The newest drop/truncate of `db_name`.`name`; a job older than the safe point ends
    the walk (TiDB: 'Can't find dropped/truncated table ... in GC safe point').  `limit`:
    look at the last `limit` history jobs only (`RECOVER TABLE t N`)."""
    safe = safe_point(view)
    for seen, job in enumerate(history(view)):
        if limit is not None and seen >= limit:
            break
        if job_time(job) < safe:
            raise unknown(f"Can't find dropped/truncated table '{name}' in GC safe point "
                          f"{gcranges.go_time(safe)}")
        if job.job_type not in TABLE_DROPS or job.state is not JobState.SYNCED:
            continue
        if job.db_name.lower() != db_name.lower() or job.table_name.lower() != name.lower():
            continue
        found = _dropped(view, job)
        if found.rng is not None or found.table_id in schema.tables_by_id:
            return found  # pending, or recovered already (the caller says so)
        if _collected(view, job):
            raise unknown(f"Can't find dropped/truncated table '{name}' in GC safe point "
                          f"{gcranges.go_time(safe)}")
        # recovered, then dropped again under another name by a later job: an older drop
        # of this name may still be there
    raise unknown(f"Can't find localTemporary/dropped/truncated table: {name} in DDL "
                  "history jobs")


def table_by_job(view, schema, job_id: int) -> Dropped:
    """The drop/truncate job `job_id`: 8224 when no finished job has that id, 1105 when it
    is of another type, 8055 when it is older than the safe point."""
    job = CatalogStore.job(view, job_id) if 0 < job_id < 2 ** 64 else None
    if job is None or not job.state.finished:
        raise OperationalError(f"DDL Job:{job_id} not found", errno=8224, sqlstate="HY000")
    if job.job_type not in TABLE_DROPS:
        raise unknown(f"Job {job_id} type is {job.job_type}, not dropped/truncated table")
    safe = safe_point(view)
    if job_time(job) < safe:
        raise too_old(safe)
    found = _dropped(view, job)
    if found.rng is None and found.table_id not in schema.tables_by_id:
        if job.state is not JobState.SYNCED:
            raise unknown(f"Job {job_id} ({job.job_type}) did not finish ({job.state}): it "
                          "dropped nothing")
        if _collected(view, job):
            raise too_old(safe)
        holder = next((r["job_id"] for r in gcranges.pending(view)
                       if r.get("kind") == "table" and r.get("table_id") == found.table_id),
                      None)
        raise unknown(f"Can't find localTemporary/dropped/truncated table: "
                      f"{job.table_name} in DDL history jobs (job {job_id}'s table was "
                      f"recovered{f', then dropped again by job {holder}' if holder else ''})")
    return found


def database_of(schema, job: DDLJob, name: str):
    """The database a dropped table goes back into: the one with the drop job's schema id,
    as TiDB looks it up (so after FLASHBACK DATABASE d TO e it is e; after DROP DATABASE d,
    CREATE DATABASE d it is none: the new d is another database).  A job without a schema
    id (written before jobs had one) falls back to the name."""
    sid = int(job.schema_id or 0)
    if not sid:
        db = schema.database(name)
        if db is None:
            raise ProgrammingError(f"Unknown database '{name}'", errno=1049, sqlstate="42000")
        return db
    db = next((d for d in schema.databases.values() if d.id == sid), None)
    if db is None:  # TiDB: ErrDatabaseNotExists.GenWithStackByArgs("(Schema ID n)"), named
        now = schema.database(name)
        also = f"; the database now named '{now.name}' is another one (id {now.id})" \
            if now is not None else ""
        raise ProgrammingError(f"Unknown database '{name}' (Schema ID {sid}): it was "
                               f"dropped after {job.job_type} job {job.job_id}{also}",
                               errno=1049, sqlstate="42000")
    return db


def database_by_name(view, name: str) -> DDLJob:
    """The newest DROP DATABASE of `name` (its args hold the DatabaseInfo and the views; its
    tables' ranges carry its id)."""
    safe = safe_point(view)
    for job in history(view):
        if job_time(job) < safe:
            raise unknown(f"Can't find dropped database '{name}' in GC safe point "
                          f"{gcranges.go_time(safe)}")
        if job.job_type == SCHEMA_DROP and job.state is JobState.SYNCED and \
                job.db_name.lower() == name.lower():
            return job
    raise unknown(f"Can't find dropped database: {name} in DDL history jobs")


def ranges_of(view, job: DDLJob) -> list[dict]:
    """The table ranges of `job` still pending (a DROP DATABASE's tables)."""
    return [r for r in gcranges.pending(view)
            if r.get("kind") == "table" and r.get("job_id") == job.job_id and r.get("table")]
