"""A hot backup taken while an online DDL job runs (a throttled ADD INDEX backfill, an ADD
COLUMN rebuild): the restored copy cancels and rolls back the job before the replay, so the
copy is the source without the job, and the binlog's statement replays it when the source
finished it (restore to the end equals the source; stopped before the DDL's GTID, no index /
column).  A job cancelled in the source after the backup, or paused at the backup, is not
completed in the copy and does not block the replay.
"""

from __future__ import annotations

import time

import pytest

import core

ROWS = 300


def _start(path: str, stmt: str):
    conn = core.connect(path, create=True, autocommit=True, database=None)
    conn.execute("CREATE DATABASE d")
    conn.execute("USE d")
    conn.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    for i in range(0, ROWS, 50):
        conn.execute("INSERT INTO t VALUES " + ",".join(f"({j},{j})" for j in range(i, i + 50)))
    job = conn.submit_ddl(stmt, batch_size=5, delay_ms=20)
    deadline = time.monotonic() + 10
    while conn.ddl_job(job)["STATE"] != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    return conn, job


def _state(path: str) -> dict:
    conn = core.connect(path, autocommit=True, database="d")
    try:
        conn.execute("ADMIN CHECK TABLE d.t")
        unfinished = [r for r in conn.execute("SELECT JOB_ID, STATE FROM "
                                              "information_schema.ddl_jobs").fetchall()
                      if r[1] not in ("synced", "cancelled", "rollback done", "done")]
        assert unfinished == []
        return {"rows": sorted(conn.execute("SELECT * FROM t").fetchall()),
                "indexes": sorted({r[2] for r in conn.execute("SHOW INDEX FROM t").fetchall()}),
                "columns": [r[0] for r in conn.execute("SHOW COLUMNS FROM t").fetchall()],
                "by_v": conn.execute("SELECT id FROM t WHERE v = 7").fetchall()}
    finally:
        conn.close()


def _ddl_entry(src: str, word: str):
    return next(e for e in core.binlog_timeline(src) if word in (e.ddl or "").upper())


@pytest.mark.parametrize("stmt,word,what", [
    ("ALTER TABLE t ADD INDEX ix (v)", "ADD INDEX", ("indexes", "ix")),
    ("ALTER TABLE t ADD COLUMN w INT DEFAULT 5", "ADD COLUMN", ("columns", "w")),
])
def test_backup_during_a_ddl_job_restores(tmp_path, stmt, word, what):
    src = str(tmp_path / "src")
    conn, job = _start(src, stmt)
    info = core.backup_database(src, str(tmp_path / "bk"))
    assert info is not None
    conn.wait_ddl(job, timeout=60)
    conn.execute("INSERT INTO t (id, v) VALUES (1000, 1000)")
    conn.close()
    want = _state(src)
    key, name = what
    assert name in want[key]

    r = core.restore(str(tmp_path / "bk"), str(tmp_path / "full"))
    assert not r.check_failures
    assert _state(str(tmp_path / "full")) == want

    ddl = _ddl_entry(src, word)
    r = core.restore(str(tmp_path / "bk"), str(tmp_path / "before"), stop_gtid=ddl.gtid)
    got = _state(str(tmp_path / "before"))
    assert name not in got[key]
    assert len(got["rows"]) == ROWS


def test_a_job_cancelled_in_the_source_after_the_backup_is_not_completed(tmp_path):
    src = str(tmp_path / "src")
    conn, job = _start(src, "ALTER TABLE t ADD INDEX ix (v)")
    core.backup_database(src, str(tmp_path / "bk"))
    conn.execute(f"ADMIN CANCEL DDL JOBS {job}")
    with pytest.raises(core.Error):
        conn.wait_ddl(job, timeout=60)
    conn.execute("INSERT INTO t VALUES (1000, 1000)")
    conn.close()
    want = _state(src)
    assert "ix" not in want["indexes"]
    core.restore(str(tmp_path / "bk"), str(tmp_path / "r"))
    assert _state(str(tmp_path / "r")) == want


def test_a_paused_job_does_not_block_the_replay(tmp_path):
    src = str(tmp_path / "src")
    conn, job = _start(src, "ALTER TABLE t ADD COLUMN w INT DEFAULT 5")
    conn.execute(f"ADMIN PAUSE DDL JOBS {job}")
    deadline = time.monotonic() + 10
    while conn.ddl_job(job)["STATE"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.02)
    core.backup_database(src, str(tmp_path / "bk"))
    conn.execute(f"ADMIN RESUME DDL JOBS {job}")
    conn.wait_ddl(job, timeout=60)
    conn.execute("ALTER TABLE t ADD COLUMN z INT")  # a DDL the paused job would block
    conn.execute("INSERT INTO t (id, v, w, z) VALUES (1000, 1000, 1, 2)")
    conn.close()
    want = _state(src)
    r = core.restore(str(tmp_path / "bk"), str(tmp_path / "r"))
    assert not r.check_failures
    assert _state(str(tmp_path / "r")) == want
