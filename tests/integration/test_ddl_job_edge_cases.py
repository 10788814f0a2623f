"""DDL jobs at their edges, as an independent attacker found them: a revert that would have
clamped acknowledged writes, a clean close around the switch, a pause a crash interrupted, a
throttle that could stop the worker, a FIFO among the orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import core
from core.sql.shadow import revertible

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _phase(conn, job_id: int) -> str:
    return conn._db.ddl_jobs.job(job_id, durable=False).args.get("phase", "")


def _wait(pred, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_rebuild_that_converts_a_column_cannot_be_reverted_after_its_switch(tmp_path):
    """After the switch the old table follows the new one's writes only when every value
    fits it: a converted column (INT -> BIGINT) may hold what the old type cannot, so such a
    rebuild has no case D (a revert would have clamped 5000000000 to 2147483647 silently)."""
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT NOT NULL, c VARCHAR(20))")
        cur.execute("ALTER TABLE t FORCE")  # nothing converted: revertible
        db = c._db
        with db.engine.snapshot() as snap:
            old = db.catalog.schema(snap).table("test", "t")
        assert revertible(old, old, [[0, False], [1, False], [2, False]])
        assert not revertible(old, old, [[0, False], [1, True], [2, False]])
    finally:
        c.close()


def test_a_clean_close_around_the_switch_carries_on(tmp_path):
    """A close between two steps (not a crash) in the switch's phases: the reopen names a
    restart and the job goes on by itself; it is not paused for the DBA."""
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True)
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY ib (b))")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(300)])
    job = c.submit_ddl("ALTER TABLE t ADD COLUMN d INT DEFAULT 1", batch_size=64, delay_ms=300)
    _wait(lambda: _phase(c, job) in ("switching", "switched"))
    c.close()
    c = core.connect(path, autocommit=True)
    try:
        done = c.wait_ddl(job, timeout=60)
        assert done["STATE"] == "synced" and done["PAUSED_BY"] == ""
        cur = c.cursor()
        cur.execute("SELECT COUNT(*), MIN(d) FROM t")
        assert cur.fetchall() == [(300, 1)]
        cur.execute("ADMIN CHECK TABLE t")
    finally:
        c.close()


_PAUSED_THEN_KILLED = textwrap.dedent("""
    import os, signal, sys, time
    import core
    path = sys.argv[1]
    c = core.connect(path, create=True, autocommit=True)
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(300)])
    j = c.submit_ddl("ALTER TABLE t ADD COLUMN d INT DEFAULT 1", batch_size=64, delay_ms=3000)
    while c._db.ddl_jobs.job(j, durable=False).args.get("phase") != "switching":
        time.sleep(0.01)
    cur.execute(f"ADMIN PAUSE DDL JOBS {j}")
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_pause_interrupted_by_a_crash_resumes_running(tmp_path):
    """ADMIN PAUSE while the job is between steps, then a crash before the pause was made:
    the reopen pauses it, and RESUME sends it on (it used to pause itself again)."""
    path = str(tmp_path / "db")
    proc = subprocess.run([sys.executable, "-c", _PAUSED_THEN_KILLED, path], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    c = core.connect(path, autocommit=True)
    try:
        cur = c.cursor()
        assert c.ddl_job(2)["STATE"] == "paused"
        cur.execute("ADMIN RESUME DDL JOBS 2")
        assert cur.fetchall() == [("2", "successful")]
        cur.execute("SET GLOBAL kintsugi_ddl_reorg_delay_ms = 0")
        assert c.wait_ddl(2, timeout=60)["STATE"] == "synced"
        cur.execute("ADMIN CHECK TABLE t")
    finally:
        c.close()


def test_a_bad_throttle_is_refused_and_a_stored_one_cannot_stop_the_worker(tmp_path):
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
        cur.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
        for kw in ({"batch_size": -1}, {"batch_size": 0}, {"delay_ms": -5}):
            with pytest.raises(core.ProgrammingError) as e:
                c.submit_ddl("ALTER TABLE t ADD INDEX ib (b)", **kw)
            assert e.value.errno == 1210
        assert c.ddl_job(2) is None  # nothing was queued
        # a job whose stored throttle is nonsense (a hand-made or damaged row) still runs
        worker = c._db.ddl_jobs.worker
        job = c._db.ddl_jobs.job(1)
        job.args.update(batch_size=-1, delay_ms=-5)
        assert worker.batch(job) > 0 and worker.delay(job) >= 0
    finally:
        c.close()


def test_a_fifo_among_the_orphans_is_moved_without_blocking(tmp_path):
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        os.mkfifo(os.path.join(path, "test", "fifo.kdb"))
        cur.execute("ADMIN REMOVE ORPHAN FILE 'test/fifo.kdb'")
        assert cur.fetchall() == [("test/fifo.kdb", "#orphans/test/fifo.kdb")]
        cur.execute("INSERT INTO t VALUES (1)")  # the writer lock was given back
    finally:
        c.close()


def test_a_non_strict_alter_reports_its_conversion_warnings(tmp_path):
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("SET sql_mode = ''")
        cur.execute("CREATE TABLE m (id INT PRIMARY KEY, s VARCHAR(20), n INT)")
        cur.execute("INSERT INTO m VALUES (1, '12abc', 300), (2, 'x', -5)")
        cur.execute("ALTER TABLE m MODIFY s INT, MODIFY n TINYINT UNSIGNED")
        cur.execute("SHOW WARNINGS")
        assert [(r[1], r[2]) for r in cur.fetchall()] == [
            (1265, "Data truncated for column 's' at row 1"),
            (1264, "Out of range value for column 'n' at row 1"),
            (1366, "Incorrect integer value: 'x' for column 's' at row 2"),
            (1264, "Out of range value for column 'n' at row 2")]
        cur.execute("SELECT * FROM m")
        assert cur.fetchall() == [(1, 12, 255), (2, 0, 0)]
    finally:
        c.close()
