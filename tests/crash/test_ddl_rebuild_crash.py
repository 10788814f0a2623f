"""A table rebuild (the seed's clustered-index rebuild: a new primary key, plus a new column)
killed with SIGKILL at each step, then reopened: the job's history names the seed's case
(A-D) and what was done, the table holds every row, ADMIN CHECK TABLE passes, and once the
job has finished no tablespace file is left that the dictionary does not know (tables and
the GC queue).  A and B roll forward by themselves; in C and D both ways are safe, so the
job waits paused for the DBA with the table in use, and RESUME or CANCEL each end with a
consistent table that kept the writes made meanwhile."""

from __future__ import annotations

import glob
import os

import pytest

import core
from core.crashpoints import DDL_POINTS
from core.events import JobState
from tests.crash.harness import spawn
from tests.crash.rebuild_worker import row

ROWS = 60  # 8 rows a batch: 8 copy steps
ALTER = ("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (b, a), ADD UNIQUE KEY ua (a), "
         "ADD COLUMN d INT DEFAULT 3")


def _crash(tmp_path, point: str, sql: str = ALTER, killed: bool = True) -> str:
    path = str(tmp_path / "db")
    proc = spawn("tests.crash.rebuild_worker", path, ROWS,
                 {"KINTSUGI_CRASH_AT": point, "REBUILD_SQL": sql})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == (-9 if killed else 0), (proc.returncode, out, err)
    assert "READY" in out and ("DONE" in out) is not killed
    return path


def _q(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def _job(conn):
    job_id = _q(conn, "SELECT MAX(JOB_ID) FROM information_schema.ddl_jobs")[0][0]
    job = conn._db.ddl_jobs.job(job_id)
    assert job.job_type == "multi-schema change"
    return job


def _no_orphans(conn, path: str) -> None:
    """Every tablespace file is a table's or queued for GC."""
    engine = conn._db.engine
    with engine.snapshot() as snap:
        ids = set(conn._db.catalog.schema(snap).tables_by_id)
        ids |= {g["table_id"] for g in conn._db.catalog.gc_ranges(snap)}
        assert not list(snap.scan(0, b"m:copy:", b"m:copy;"))  # no checkpoint left either
    known = {engine.spaces[i].header["path"] for i in ids if i in engine.spaces}
    files = {os.path.relpath(p, path) for p in glob.glob(os.path.join(path, "*", "*.kdb"))}
    assert files <= known, files - known


def _table(conn):
    with conn._db.engine.snapshot() as snap:
        return conn._db.catalog.schema(snap).table("test", "t")


def _expected(new: bool, extra: dict | None = None) -> list[tuple]:
    rows = {i: row(i) for i in range(1, ROWS + 1)}
    rows.update(extra or {})
    rows = {k: v for k, v in rows.items() if v is not None}
    if new:
        return [(*r, 3) for _k, r in sorted(rows.items())]
    return [r for _k, r in sorted(rows.items())]


def _interrupted(job, case: str, action: str) -> None:
    assert job.crash_case == case
    notes = [s["detail"] for s in job.steps if s["step"] == "interrupted by a crash"]
    assert notes and notes[0].startswith(f"case {case}: {action}"), job.steps


def test_every_rebuild_crash_point_is_covered():
    tested = {"ddl.rebuild.mid_copy", "ddl.rebuild.copied", "ddl.rebuild.before_switch",
              "ddl.rebuild.after_switch"}
    assert set(DDL_POINTS) == tested


@pytest.mark.parametrize("point, case", [
    ("ddl.rebuild.mid_copy", "A"),
    ("ddl.rebuild.copied", "B"),
])
def test_a_crash_before_the_switch_is_decided_rolls_forward(tmp_path, point, case):
    path = _crash(tmp_path, point)
    conn = core.connect(path, autocommit=True)
    try:
        job = conn._db.ddl_jobs.wait(_job(conn).job_id, timeout=60)
        assert job.state is JobState.SYNCED
        _interrupted(job, case, "rolled forward")
        assert _q(conn, "SELECT a, b, c, d FROM t ORDER BY a") == _expected(True)
        assert _table(conn).pk_columns == ["b", "a"] and not _table(conn).shadow
        assert _q(conn, "ADMIN CHECK TABLE t") == 0
        _no_orphans(conn, path)
    finally:
        conn.close()


@pytest.mark.parametrize("point, case", [
    ("ddl.rebuild.before_switch", "C"),
    ("ddl.rebuild.after_switch", "D"),
])
@pytest.mark.parametrize("choice", ["RESUME", "CANCEL"])
def test_a_crash_around_the_switch_waits_for_the_dba(tmp_path, point, case, choice):
    path = _crash(tmp_path, point)
    conn = core.connect(path, autocommit=True)
    try:
        job = _job(conn)
        assert job.state is JobState.PAUSED and job.paused_by == "recovery"
        _interrupted(job, case, "paused for the DBA")
        # the table is in use meanwhile, and both tables keep up with it
        _q(conn, "INSERT INTO t (a, b, c) VALUES (1000, 5, 'new')")
        _q(conn, "UPDATE t SET c = 'upd', b = b + 1 WHERE a = 1")
        _q(conn, "DELETE FROM t WHERE a = 2")
        extra = {1000: (1000, 5, "new"), 1: (1, row(1)[1] + 1, "upd"), 2: None}
        got = _q(conn, f"ADMIN {choice} DDL JOBS {job.job_id}")
        assert got == [(str(job.job_id), "successful")]
        try:
            job = conn._db.ddl_jobs.wait(job.job_id, timeout=60)
        except core.Error as exc:
            assert choice == "CANCEL" and exc.errno == 8214
            job = conn._db.ddl_jobs.job(job.job_id)
        forward = choice == "RESUME"
        assert job.state is (JobState.SYNCED if forward else JobState.CANCELLED)
        table = _table(conn)
        assert not table.shadow
        if forward:
            assert _q(conn, "SELECT a, b, c, d FROM t ORDER BY a") == _expected(True, extra)
            assert table.pk_columns == ["b", "a"]
        else:
            assert _q(conn, "SELECT * FROM t ORDER BY a") == _expected(False, extra)
            assert table.pk_columns == ["a"] and [c.name for c in table.columns] == \
                ["a", "b", "c"]
        assert _q(conn, "ADMIN CHECK TABLE t") == 0
        _no_orphans(conn, path)
    finally:
        conn.close()
    conn = core.connect(path, autocommit=True)  # and it all stays so after a reopen
    try:
        assert _q(conn, "SELECT COUNT(*) FROM t") == [(ROWS,)]
        assert _q(conn, "ADMIN CHECK TABLE t") == 0
    finally:
        conn.close()


def test_a_rebuild_that_cannot_follow_back_has_no_case_d(tmp_path):
    """A new primary key that allows rows the old one did not (here: a duplicate `a` with
    another `b`): after the switch the old table could not take the new one's writes, so
    the switch and the hand-over of the old tablespace to GC are one step, and case D never
    exists (its crash point is not reached).  C still waits for the DBA."""
    sql = "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (b, a)"
    path = _crash(tmp_path / "d", "ddl.rebuild.after_switch", sql, killed=False)
    conn = core.connect(path, autocommit=True)
    try:
        job = conn._db.ddl_jobs.job(
            _q(conn, "SELECT MAX(JOB_ID) FROM information_schema.ddl_jobs")[0][0])
        assert job.state is JobState.SYNCED and job.args["revertible"] is False
        assert [s["step"] for s in job.steps][-3:] == ["switched", "old table to GC", "synced"]
        _no_orphans(conn, path)
    finally:
        conn.close()
    path = _crash(tmp_path / "c", "ddl.rebuild.before_switch", sql)
    conn = core.connect(path, autocommit=True)
    try:
        job = conn._db.ddl_jobs.job(
            _q(conn, "SELECT MAX(JOB_ID) FROM information_schema.ddl_jobs")[0][0])
        assert job.state is JobState.PAUSED and job.crash_case == "C"
        _q(conn, f"ADMIN RESUME DDL JOBS {job.job_id}")
        assert conn._db.ddl_jobs.wait(job.job_id, timeout=60).state is JobState.SYNCED
        assert _table(conn).pk_columns == ["b", "a"]
        assert _q(conn, "SELECT * FROM t ORDER BY a") == _expected(False)
        assert _q(conn, "ADMIN CHECK TABLE t") == 0
        _no_orphans(conn, path)
    finally:
        conn.close()
