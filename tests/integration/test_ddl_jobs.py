"""DDL as jobs: the states an online ADD/DROP INDEX goes through, job control with TiDB's
results and errors, DML during a build, a restart in the middle, and the SQL that shows it."""

from __future__ import annotations

import threading
import time

import pytest

import core
from core.events import DDLJobChanged, DDLReorgProgress, EventLog, JobState

ROWS = 2_000


def _fill(q, n: int = ROWS) -> None:
    q("CREATE TABLE t (id INT PRIMARY KEY, b INT, c VARCHAR(20))")
    cur = q.cursor
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", [(i, i % 97, f"r{i}") for i in range(n)])


def _steps(q, job_id: int) -> list[str]:
    return [r[0] for r in q("SELECT STEP FROM information_schema.kintsugi_ddl_job_steps "
                            "WHERE JOB_ID = %s ORDER BY SEQ", (job_id,))]


def _state(conn, job_id: int) -> str:
    return conn.ddl_job(job_id)["STATE"]


def _wait_for(pred, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _index_agrees(q) -> None:
    """ADMIN CHECK TABLE passes and the index returns exactly what a full scan does."""
    q("ADMIN CHECK TABLE t")  # raises 8223 on a disagreement
    via_index = q("SELECT id, b FROM t FORCE INDEX (ib) WHERE b >= 0 ORDER BY id")
    via_scan = q("SELECT id, b FROM t IGNORE INDEX (ib) WHERE b >= 0 ORDER BY id")
    assert via_index == via_scan
    plan = " ".join(str(r) for r in q("EXPLAIN SELECT id FROM t FORCE INDEX (ib) WHERE b = 3"))
    assert "index:ib" in plan


def test_add_index_walks_f1_states(conn, q):
    _fill(q)
    q("ALTER TABLE t ADD INDEX ib (b)")
    job = conn.ddl_job(2)
    assert (job["JOB_TYPE"], job["STATE"], job["SCHEMA_STATE"]) == ("add index", "synced",
                                                                     "public")
    assert job["ROW_COUNT"] == ROWS and job["ROWS_DONE"] == ROWS and job["PROGRESS"] == 1.0
    assert _steps(q, 2) == ["queued", "started", "delete only", "write only",
                            "write reorganization", "public", "synced"]
    _index_agrees(q)
    q("DROP INDEX ib ON t")
    assert _steps(q, 3) == ["queued", "started", "write only", "delete only",
                            "delete reorganization", "none", "synced"]
    assert [r[2] for r in q("SHOW INDEX FROM t")] == ["PRIMARY"]


def test_admin_show_ddl_jobs_keeps_tidb_columns(conn, q):
    _fill(q, 10)
    q("CREATE INDEX ib ON t (b)")
    cur = q.cursor
    cur.execute("ADMIN SHOW DDL JOBS")
    names = [d[0] for d in cur.description]
    assert names == ["JOB_ID", "DB_NAME", "TABLE_NAME", "JOB_TYPE", "SCHEMA_STATE", "SCHEMA_ID",
                     "TABLE_ID", "ROW_COUNT", "CREATE_TIME", "START_TIME", "END_TIME", "STATE",
                     "COMMENTS"]
    rows = cur.fetchall()
    assert [(r[0], r[3], r[4], r[11]) for r in rows] == [
        (2, "add index", "public", "synced"), (1, "create table", "public", "synced")]
    assert rows[0][5] == rows[1][5] != 0  # SCHEMA_ID: the database's id
    assert q("ADMIN SHOW DDL JOBS 2 WHERE JOB_TYPE = 'create table'") == [rows[1]]
    assert q("ADMIN SHOW DDL JOBS 1 WHERE JOB_TYPE = 'create table'") == []  # last 1, then WHERE
    assert q("ADMIN SHOW DDL JOB QUERIES 2, 1") == [
        ("CREATE INDEX ib ON t (b)",),
        ("CREATE TABLE t (id INT PRIMARY KEY, b INT, c VARCHAR(20))",)]
    assert q("ADMIN SHOW DDL JOB QUERIES LIMIT 1 OFFSET 1")[0][0] == 1
    owner = q("ADMIN SHOW DDL")
    assert len(owner) == 1 and owner[0][3] == ""  # no running job


def test_unique_index_over_duplicates_fails_with_1062_and_rolls_back(conn, q):
    _fill(q)
    with pytest.raises(core.IntegrityError) as e:
        q("CREATE UNIQUE INDEX ub ON t (b)")
    assert e.value.errno == 1062 and "for key 't.ub'" in e.value.msg
    job = conn.ddl_job(2)
    assert job["STATE"] == "rollback done" and job["ERROR"].startswith("ERROR 1062 (23000)")
    assert [r[2] for r in q("SHOW INDEX FROM t")] == ["PRIMARY"]
    assert "failed" in _steps(q, 2)
    # nothing of it is left: the same name can be built again, as a plain index
    q("CREATE INDEX ub ON t (b)")
    q("ADMIN CHECK TABLE t")


def test_control_errors_follow_tidb(conn, q):
    _fill(q, 10)
    q("CREATE INDEX ib ON t (b)")
    assert q("ADMIN CANCEL DDL JOBS 2, 99") == [
        ("2", "error: [ddl:8225]This job:2 is finished, so can't be cancelled"),
        ("99", "error: [ddl:8224]DDL Job:99 not found")]
    assert q("ADMIN PAUSE DDL JOBS 2") == [
        ("2", "error: [ddl:8260]Job [2] can't be paused: state [synced] or schema state "
              "[public]")]
    assert q("ADMIN RESUME DDL JOBS 2") == [
        ("2", "error: [ddl:8261]Job [2] can't be resumed: job has not been paused, job "
              "state:synced, schema state:public")]


def test_pause_resume_while_the_statement_waits(tmp_path):
    path = str(tmp_path / "db")
    a = core.connect(path, create=True, autocommit=True)
    b = core.connect(path, autocommit=True)
    try:
        qa = a.cursor()
        qa.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT, c VARCHAR(20))")
        qa.executemany("INSERT INTO t VALUES (%s, %s, %s)",
                       [(i, i % 97, f"r{i}") for i in range(ROWS)])
        qa.execute("SET GLOBAL tidb_ddl_reorg_batch_size = 32")
        qa.execute("SET GLOBAL kintsugi_ddl_reorg_delay_ms = 5")
        outcome: list = []

        def alter() -> None:
            try:
                qa.execute("ALTER TABLE t ADD INDEX ib (b)")
                outcome.append("ok")
            except core.Error as err:
                outcome.append(err)

        th = threading.Thread(target=alter)
        th.start()
        qb = b.cursor()
        _wait_for(lambda: (b.ddl_job(2) or {}).get("SCHEMA_STATE") == "write reorganization")
        qb.execute("ADMIN PAUSE DDL JOBS 2")
        assert qb.fetchall() == [("2", "successful")]
        _wait_for(lambda: _state(b, 2) == "paused")
        qb.execute("ADMIN PAUSE DDL JOBS 2")
        assert qb.fetchall() == [("2", "error: [ddl:8262]Job [2] has already been paused")]
        done = b.ddl_job(2)["ROWS_DONE"]
        time.sleep(0.1)
        assert b.ddl_job(2)["ROWS_DONE"] == done and th.is_alive()  # paused: no progress
        qb.execute("UPDATE t SET b = 1000 WHERE id = 1")  # DML goes on during the pause
        qb.execute("INSERT INTO t VALUES (%s, 7, 'new')", (ROWS + 1,))
        with pytest.raises(core.OperationalError) as e:  # DDL on the table: not behind it
            qb.execute("ALTER TABLE t ADD INDEX ic (c)")
        assert e.value.errno == 1205 and "DDL job 2" in e.value.msg and "paused" in e.value.msg
        qb.execute("ADMIN RESUME DDL JOBS 2")
        assert qb.fetchall() == [("2", "successful")]
        th.join(30)
        assert outcome == ["ok"]
        qb.execute("SELECT STEP FROM information_schema.kintsugi_ddl_job_steps WHERE JOB_ID = 2")
        steps = [r[0] for r in qb.fetchall()]
        assert {"pause requested", "paused", "resume requested", "resumed"} <= set(steps)
        qb.execute("ADMIN CHECK TABLE t")
        qb.execute("SELECT id FROM t FORCE INDEX (ib) WHERE b = 1000")
        assert qb.fetchall() == [(1,)]
    finally:
        a.close()
        b.close()


def test_cancel_fails_the_waiting_statement_with_8214(tmp_path):
    path = str(tmp_path / "db")
    a = core.connect(path, create=True, autocommit=True)
    b = core.connect(path, autocommit=True)
    try:
        qa = a.cursor()
        qa.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
        qa.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(ROWS)])
        qa.execute("SET GLOBAL tidb_ddl_reorg_batch_size = 32")
        qa.execute("SET GLOBAL kintsugi_ddl_reorg_delay_ms = 5")
        errors: list = []

        def alter() -> None:
            try:
                qa.execute("CREATE UNIQUE INDEX ub ON t (b)")
            except core.Error as err:
                errors.append(err)

        th = threading.Thread(target=alter)
        th.start()
        _wait_for(lambda: ((b.ddl_job(2) or {}).get("ROWS_DONE") or 0) > 100)
        qb = b.cursor()
        qb.execute("ADMIN CANCEL DDL JOBS 2")
        assert qb.fetchall() == [("2", "successful")]
        th.join(30)
        assert [(e.errno, e.msg) for e in errors] == [(8214, "Cancelled DDL job")]
        job = b.ddl_job(2)
        assert job["STATE"] == "cancelled" and job["SCHEMA_STATE"] == "none"
        qb.execute("SHOW INDEX FROM t")
        assert [r[2] for r in qb.fetchall()] == ["PRIMARY"]
        qb.execute("ADMIN CANCEL DDL JOBS 2")  # already cancelled: a no-op success
        assert qb.fetchall() == [("2", "successful")]
        qb.execute("CREATE UNIQUE INDEX ub ON t (b)")  # no entry of the cancelled one is left
        qb.execute("ADMIN CHECK TABLE t")
    finally:
        a.close()
        b.close()


def test_dml_while_the_index_builds_keeps_it_consistent(conn, q):
    _fill(q, 3_000)
    job_id = conn.submit_ddl("ALTER TABLE t ADD INDEX ib (b)", batch_size=40, delay_ms=2)
    other = core.connect(conn._key, autocommit=True)
    cur = other.cursor()
    n = 0
    try:
        while _state(conn, job_id) != "synced":
            i = n % 3_000
            cur.execute("UPDATE t SET b = b + 1 WHERE id = %s", (i,))
            cur.execute("INSERT INTO t VALUES (%s, %s, 'x')", (10_000 + n, n % 13))
            if n % 3 == 0:
                cur.execute("DELETE FROM t WHERE id = %s", (2_999 - i,))
            n += 1
            assert n < 100_000
    finally:
        other.close()
    assert n > 5  # the writes really interleaved with the backfill
    _index_agrees(q)


def test_submit_ddl_is_asynchronous_and_events_follow_it(tmp_path):
    log = EventLog()
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True, sink=log)
    try:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
        cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(500)])
        job_id = c.submit_ddl("CREATE INDEX ib ON t (b)", batch_size=50)
        assert job_id == 2
        assert c.wait_ddl(job_id, timeout=30)["STATE"] == "synced"
        assert c.submit_ddl("CREATE TABLE u (a INT)") == 3  # one step: done already
        with pytest.raises(core.ProgrammingError) as e:  # found before it is queued
            c.submit_ddl("CREATE INDEX ib ON t (b)")
        assert e.value.errno == 1061
    finally:
        c.close()
    progress = [e for e in log.of(DDLReorgProgress) if e.job_id == job_id]
    assert [p.rows_done for p in progress] == list(range(50, 501, 50)) + [500]
    assert progress[-1].rows_total == 500 and progress[-1].fraction == 1.0
    states = [e.state for e in log.of(DDLJobChanged) if e.job_id == job_id]
    assert states[0] is JobState.QUEUEING and states[-1] is JobState.SYNCED


def test_a_restart_in_the_middle_resumes_from_the_checkpoint(tmp_path):
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True)
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT, c VARCHAR(20))")
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", [(i, i % 7, "r") for i in range(ROWS)])
    job_id = c.submit_ddl("ALTER TABLE t ADD INDEX ib (b)", batch_size=32, delay_ms=10)
    _wait_for(lambda: (c.ddl_job(job_id)["ROWS_DONE"] or 0) >= 200)
    c.close()  # the worker stops between two steps; the job stays running
    c = core.connect(path, autocommit=True)
    try:
        job = c.wait_ddl(job_id, timeout=60)
        assert job["STATE"] == "synced" and job["ROWS_DONE"] == ROWS
        q = c.cursor()
        q.execute("SELECT DETAIL FROM information_schema.kintsugi_ddl_job_steps WHERE "
                  "JOB_ID = %s AND STEP = 'interrupted by a restart'", (job_id,))
        detail = q.fetchall()
        assert len(detail) == 1 and "resumes from its last checkpoint" in detail[0][0]
        q.execute("ADMIN CHECK TABLE t")
    finally:
        c.close()


def test_reorg_variables_are_global_only(q):
    with pytest.raises(core.ProgrammingError) as e:
        q("SET tidb_ddl_reorg_batch_size = 64")
    assert e.value.errno == 1229
    q("SET GLOBAL tidb_ddl_reorg_batch_size = 1")  # clamped to TiDB's minimum, with 1292
    assert q("SHOW WARNINGS")[0][1] == 1292
    assert q("SELECT @@tidb_ddl_reorg_batch_size") == [(32,)]


def test_interrupted_and_failed_jobs_reach_the_error_log(tmp_path):
    from core.events.wording import log_lines

    log = EventLog()
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True, sink=log)
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i % 3) for i in range(300)])
    with pytest.raises(core.IntegrityError):
        cur.execute("CREATE UNIQUE INDEX ub ON t (b)")
    job_id = c.submit_ddl("CREATE INDEX ib ON t (b)", batch_size=32, delay_ms=20)
    _wait_for(lambda: (c.ddl_job(job_id)["ROWS_DONE"] or 0) >= 32)
    c.close()
    c = core.connect(path, autocommit=True, sink=log)
    c.wait_ddl(job_id, timeout=30)
    c.close()
    lines = [(lvl, text) for e in log.events for lvl, text in log_lines(e)]
    assert ("Warning", "DDL job 2 (add index on test.t) rollback done: ERROR 1062 (23000): "
            "Duplicate entry '0' for key 't.ub'") in lines
    repaired = [text for _lvl, text in lines if text.startswith(f"DDL job {job_id} ")]
    assert repaired and "(case index): rolled forward; interrupted at schema state write " \
        "reorganization, backfill at row" in repaired[0]
    text = open(f"{path}/kintsugi.err").read()
    assert f"DDL job {job_id} (add index on t) was interrupted (case index)" in text


def test_a_long_transaction_delays_a_job_but_does_not_fail_it(tmp_path):
    path = str(tmp_path / "db")
    a = core.connect(path, create=True, autocommit=True, lock_wait_timeout=0.2)
    b = core.connect(path, autocommit=False)
    try:
        ca = a.cursor()
        ca.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
        ca.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(200)])
        job_id = a.submit_ddl("CREATE INDEX ib ON t (b)", batch_size=32, delay_ms=50)
        cb = b.cursor()
        cb.execute("UPDATE t SET b = b + 1 WHERE id = 1")  # holds the writer lock
        time.sleep(0.8)  # several lock wait timeouts of the worker
        assert a.ddl_job(job_id)["STATE"] in ("queueing", "running")
        b.commit()
        assert a.wait_ddl(job_id, timeout=30)["STATE"] == "synced"
        ca.execute("ADMIN CHECK TABLE t")
    finally:
        b.close()
        a.close()


def test_jobs_on_different_tables_take_turns(tmp_path):
    """A throttled build on one table does not hold up a change of another table (jobs take
    turns, one step each); a table's own jobs still run in order."""
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    try:
        cur = c.cursor()
        for t, n in (("big", 3000), ("small", 300)):
            cur.execute(f"CREATE TABLE {t} (a INT PRIMARY KEY, b INT)")
            cur.executemany(f"INSERT INTO {t} VALUES (%s, %s)", [(i, i) for i in range(n)])
        slow = c.submit_ddl("ALTER TABLE big ADD INDEX ib (b)", batch_size=32, delay_ms=100)
        _wait_for(lambda: (c.ddl_job(slow)["ROWS_DONE"] or 0) > 0)
        t0 = time.monotonic()
        cur.execute("ALTER TABLE small ADD INDEX isb (b)")
        assert time.monotonic() - t0 < 5  # not the ~9 s the slow job needs
        assert c.ddl_job(slow)["STATE"] == "running"
        cur.execute(f"ADMIN CANCEL DDL JOBS {slow}")
        with pytest.raises(core.OperationalError) as e:
            c.wait_ddl(slow, timeout=60)
        assert e.value.errno == 8214
        cur.execute("ADMIN CHECK TABLE small")
        cur.execute("ADMIN CHECK TABLE big")
    finally:
        c.close()


def test_cancelling_the_statement_cancels_its_job(tmp_path):
    """Connection.cancel() (Esc in the console) on an ALTER waiting for its job: the job is
    cancelled and rolled back and the statement fails with 1317, leaving nothing behind; a
    statement waiting behind another job on its table stops waiting the same way."""
    path = str(tmp_path / "db")
    a = core.connect(path, create=True, autocommit=True)
    b = core.connect(path, autocommit=True)
    try:
        cur = a.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT)")
        cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(2000)])
        cur.execute("SET GLOBAL tidb_ddl_reorg_batch_size = 32")
        cur.execute("SET GLOBAL kintsugi_ddl_reorg_delay_ms = 10")
        errors: list = []

        def alter(conn, sql) -> None:
            try:
                conn.cursor().execute(sql)
            except core.Error as err:
                errors.append(err)

        th = threading.Thread(target=alter, args=(a, "ALTER TABLE t ADD INDEX ib (b)"))
        th.start()
        _wait_for(lambda: ((b.ddl_job(2) or {}).get("ROWS_DONE") or 0) > 64)
        assert a.cancel() is True
        th.join(30)
        assert [e.errno for e in errors] == [1317]
        assert b.ddl_job(2)["STATE"] == "cancelled"
        qb = b.cursor()
        qb.execute("SHOW INDEX FROM t")
        assert [r[2] for r in qb.fetchall()] == ["PRIMARY"]
        # behind another job on the same table: the wait stops, nothing is queued
        job = b.submit_ddl("ALTER TABLE t ADD INDEX ib (b)")
        th = threading.Thread(target=alter, args=(a, "ALTER TABLE t ADD INDEX ic (b)"))
        th.start()
        time.sleep(0.2)
        assert a.cancel() is True
        th.join(30)
        assert [e.errno for e in errors] == [1317, 1317]
        b.wait_ddl(job, timeout=60)
        qb.execute("SELECT COUNT(*) FROM information_schema.ddl_jobs WHERE QUERY LIKE '%ic%'")
        assert qb.fetchall() == [(0,)]
    finally:
        a.close()
        b.close()


def test_lock_none_and_algorithm_keep_an_index_job_online(conn, q):
    _fill(q, 50)
    q("ALTER TABLE t ADD INDEX ib (b), ALGORITHM=INPLACE, LOCK=NONE")
    q("ALTER TABLE t DROP INDEX ib, LOCK=NONE")
    with pytest.raises(core.ProgrammingError) as e:
        q("ALTER TABLE t ADD UNIQUE ub (id), ALGORITHM=INSTANT")
    assert e.value.errno == 1845
    types = q("SELECT JOB_TYPE FROM information_schema.ddl_jobs ORDER BY JOB_ID")
    assert [r[0] for r in types] == ["create table", "add index", "drop index"]


def test_one_alter_may_not_change_a_column_twice(conn, q):
    _fill(q, 5)
    for sql, errno in (("ALTER TABLE t ADD COLUMN y INT, DROP COLUMN y", 1091),
                       ("ALTER TABLE t MODIFY b BIGINT, DROP COLUMN b", 1054),
                       ("ALTER TABLE t CHANGE c d INT, RENAME COLUMN c TO e", 1054)):
        with pytest.raises(core.ProgrammingError) as e:
            q(sql)
        assert e.value.errno == errno, sql
    assert [r[0] for r in q("SHOW COLUMNS FROM t")] == ["id", "b", "c"]
    assert q("SELECT COUNT(*) FROM information_schema.ddl_jobs") == [(1,)]
