"""The auto-increment counter is crash-safe (MySQL 8): persisted in system.kdb by the
statement that raised it, it never goes back after a restart or a SIGKILL, even when the
highest rows were deleted; TRUNCATE and DROP reset it; AUTO_INCREMENT=N sets it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import core
from core.catalog.store import CatalogStore
from core.txn import begin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _conn(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, **kw)


def _q(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchall() if cur.description else None


def _insert_id(cur, table="t") -> int:
    cur.execute(f"INSERT INTO {table} (v) VALUES ('x')")
    return cur.lastrowid


def test_clean_restart_keeps_the_counter_above_deleted_rows(tmp_path):
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id BIGINT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))")
    ids = [_insert_id(cur) for _ in range(10)]
    assert ids == list(range(1, 11))
    _q(cur, "DELETE FROM t WHERE id > 5")
    conn.close()
    conn = _conn(tmp_path)
    cur = conn.cursor()
    assert _insert_id(cur) == 11  # not 6: the counter was persisted, not recomputed
    # an explicit id raises it too, and that survives a restart after the row is deleted
    _q(cur, "INSERT INTO t (id, v) VALUES (1000, 'y')")
    _q(cur, "DELETE FROM t WHERE id >= 11")
    conn.close()
    conn = _conn(tmp_path)
    cur = conn.cursor()
    assert _insert_id(cur) == 1001
    shown = _q(cur, "SHOW CREATE TABLE t")[0][1]
    assert "AUTO_INCREMENT=1002" in shown
    conn.close()


def test_a_non_key_autoinc_column_and_update(tmp_path):
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (k INT PRIMARY KEY, id INT AUTO_INCREMENT, v VARCHAR(10), "
            "KEY (id))")
    _q(cur, "INSERT INTO t (k, v) VALUES (1, 'a'), (2, 'b')")
    _q(cur, "UPDATE t SET id = 50 WHERE k = 2")  # MySQL 8: an UPDATE raises the counter too
    _q(cur, "DELETE FROM t WHERE k = 2")
    conn.close()
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "INSERT INTO t (k, v) VALUES (3, 'c')")
    assert _q(cur, "SELECT id FROM t WHERE k = 3") == [(51,)]
    conn.close()


def test_rollback_leaves_a_gap_and_values_are_never_reused(tmp_path):
    conn = core.connect(str(tmp_path), create=True)  # autocommit off
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))")
    _q(cur, "INSERT INTO t (v) VALUES ('a'), ('b'), ('c')")
    conn.rollback()
    _q(cur, "INSERT INTO t (v) VALUES ('d')")
    conn.commit()
    assert _q(cur, "SELECT id FROM t") == [(4,)]
    conn.close()


def test_truncate_and_drop_reset_and_the_table_option(tmp_path):
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10)) "
            "AUTO_INCREMENT=100")
    assert _insert_id(cur) == 100
    _q(cur, "ALTER TABLE t AUTO_INCREMENT=500")
    assert _insert_id(cur) == 500
    _q(cur, "ALTER TABLE t AUTO_INCREMENT=3")  # never below max(id) + 1, as InnoDB
    assert _insert_id(cur) == 501
    _q(cur, "TRUNCATE TABLE t")
    assert _insert_id(cur) == 1
    conn.close()
    conn = _conn(tmp_path)
    cur = conn.cursor()
    assert _insert_id(cur) == 2
    _q(cur, "DROP TABLE t")
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))")
    assert _insert_id(cur) == 1
    conn.close()


def test_a_database_without_the_persisted_counter_falls_back_to_max_plus_one(tmp_path):
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10))")
    for _ in range(5):
        _insert_id(cur)
    db = conn._db
    engine = db.engine
    with engine.snapshot() as snap:
        tid = db.schema(snap).table("test", "t").id
    with begin(engine) as txn:  # a database written before the counter key existed
        CatalogStore.delete_autoinc(txn, tid)
    conn.close()
    conn = _conn(tmp_path)
    cur = conn.cursor()
    assert _insert_id(cur) == 6
    conn.close()


_WORKER = textwrap.dedent("""
    import sys
    import core
    path = sys.argv[1]
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0.01,
                        flush_threshold=50, segment_size=64 * 1024)
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS t (id BIGINT PRIMARY KEY AUTO_INCREMENT, "
                "v VARCHAR(40), KEY (v))")
    n = 0
    while True:
        cur.execute("INSERT INTO t (v) VALUES (%s), (%s)", ("a" * 30, "b" * 30))
        first = cur.lastrowid
        print("ACK", first + 1, flush=True)
        n += 1
        # delete the highest row at once: a restart must not hand its id out again
        cur.execute("DELETE FROM t WHERE id = %s", (first + 1,))
        if n % 5 == 0:
            cur.execute("DELETE FROM t WHERE id >= %s", (first - 4,))
""")


@pytest.mark.parametrize("kill_after", [40, 97])
def test_the_counter_survives_sigkill(tmp_path, kill_after):
    path = str(tmp_path / "db")
    highest = 0
    for round_ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", _WORKER, path], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        acks = 0
        deadline = time.monotonic() + 60
        try:
            for line in proc.stdout:
                if line.startswith("ACK "):
                    highest = max(highest, int(line.split()[1]))
                    acks += 1
                    if acks >= kill_after + round_ * 13:
                        break
                if time.monotonic() > deadline:
                    break
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert acks, proc.stderr.read()[-2000:]
        conn = core.connect(path, autocommit=True)
        cur = conn.cursor()
        cur.execute("INSERT INTO t (v) VALUES ('after')")
        got = cur.lastrowid
        conn.close()
        assert got > highest, (got, highest)
        highest = got
