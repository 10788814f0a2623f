"""`kintsugi demo`'s crash on a directory it did not build: one clear sentence, never the
writer's traceback."""

from __future__ import annotations

import pytest

import core
from tui import demo


def test_a_database_that_is_not_the_demo_shop_is_refused_before_any_writer(tmp_path, capfd):
    path = str(tmp_path / "other")
    conn = core.connect(path, create=True, autocommit=True)
    conn.cursor().execute("CREATE DATABASE app")
    conn.close()
    with pytest.raises(RuntimeError, match=r"not the demo shop \(it has no schema `shop`\)"):
        demo.run_crash(path)
    assert capfd.readouterr().err == ""


def test_the_writers_failure_is_one_line_not_its_traceback(shop_db, capfd):
    held = core.connect(shop_db)  # the writer cannot take the directory: it fails at once
    try:
        with pytest.raises(RuntimeError) as failure:
            demo.run_crash(shop_db, batches=1, open_orders=10)
    finally:
        held.close()
    message = str(failure.value)
    assert "stopped before it held an open transaction: ERROR 1030 (HY000)" in message
    assert "Traceback" not in message
    assert capfd.readouterr().err == ""  # the child's stderr was kept, not shown


def test_the_demo_ships_indexes_that_disagree_with_their_rows(shop_db):
    # what `damage_indexes` did (core.faults, durable): the Indexes tab has these to find
    expected = {(table, index): kind for table, index, kind in demo.DAMAGE}
    counts = {"missing": 3, "dangling": 2, "mismatched": 1}
    conn = core.connect(shop_db, database="shop", autocommit=True)
    try:
        for table in demo.TABLES:
            cur = conn.execute(f"ADMIN SHOW INDEX INCONSISTENCIES {table}")
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                got = dict(zip(names, row, strict=True))
                kind = expected.get((table, got["INDEX_NAME"]))
                found = {k: got[k.upper()] for k in counts}
                want = {k: (counts[k] if k == kind else 0) for k in counts}
                assert found == want, (table, got["INDEX_NAME"], got)
    finally:
        conn.close()


def test_the_demo_leaves_a_ddl_job_in_every_state(tmp_path):
    # `kintsugi demo`: build (a failed, a cancelled, a paused job), then the crash child's two
    # index builds, the first killed mid-backfill; the reopen names its case and finishes it
    path = str(tmp_path / "demo")
    demo.build(path, scale=0.02, earlier_crash=False, damaged_indexes=False)
    demo.run_crash(path, batches=2, open_orders=100, ddl_jobs=True)
    conn = core.connect(path, database="shop", autocommit=True)
    try:
        jobs = {}
        cur = conn.execute("SELECT JOB_ID, QUERY, STATE, CRASH_CASE, ERROR "
                           "FROM information_schema.ddl_jobs")
        for job_id, query, state, case, error in cur.fetchall():
            jobs[query] = (job_id, state, case, error)
        (failed, _), (cancelled, _), (paused, _) = [(q, s) for _t, q, s in demo.DDL_JOBS]
        assert jobs[failed][1] == "rollback done" and jobs[failed][3].startswith("ERROR 1062")
        assert jobs[cancelled][1] == "cancelled"
        assert jobs[paused][1] == "paused"
        crashed, slow = demo.CRASH_JOBS
        job = conn.wait_ddl(jobs[crashed][0], 30)
        assert job["STATE"] == "synced" and job["CRASH_CASE"] == "index"
        # jobs on different tables take turns: the slow one may have started in the child
        # too, and then the crash interrupted it as well
        assert jobs[slow][1] in ("queueing", "running") and jobs[slow][2] in ("", "index")
    finally:
        conn.close()


def test_the_demo_leaves_a_dropped_and_a_truncated_table_to_bring_back(tmp_path):
    # the DDL Jobs tab's r and f have something to bring back for an hour (tidb_gc_life_time
    # persisted), and a later `kintsugi demo` drops `reviews` again once it was brought back
    path = str(tmp_path / "demo")
    demo.build(path, scale=0.02, earlier_crash=False, damaged_indexes=False, ddl_jobs=False)
    conn = core.connect(path, database="shop", autocommit=True)
    try:
        cur = conn.execute("SELECT JOB_ID, JOB_TYPE, TABLE_NAME, STATE, SECONDS_LEFT, "
                           "TABLE_ROWS, INDEXES FROM information_schema.KINTSUGI_DROPPED_TABLES")
        rows = {r[2]: r for r in cur.fetchall()}
        job, kind, _n, state, left, count, indexes = rows["reviews"]
        assert (kind, state, count, indexes) == ("drop table", "recoverable", 40, 3)
        assert 3_500 < left <= 3_600
        assert rows["carts"][1:4] == ("truncate table", "carts", "recoverable")
        assert conn.execute("SELECT @@global.tidb_gc_life_time").fetchone()[0] == "1h0m0s"
        assert conn.execute("SELECT COUNT(*) FROM carts").fetchone()[0] == 0
    finally:
        conn.close()
    assert demo.fresh_drop(path) == ""  # the drop is still there to bring back
    conn = core.connect(path, database="shop", autocommit=True)
    try:
        conn.execute(f"RECOVER TABLE BY JOB {job}")
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 40
    finally:
        conn.close()
    assert demo.fresh_drop(path).startswith("shop.reviews (40 rows) dropped again")
    conn = core.connect(path, database="shop", autocommit=True)
    try:
        cur = conn.execute("SELECT JOB_ID FROM information_schema.KINTSUGI_DROPPED_TABLES "
                           "WHERE TABLE_NAME = 'reviews' AND STATE = 'recoverable'")
        assert [r[0] for r in cur.fetchall()] != [job]
    finally:
        conn.close()
