"""ADMIN SHOW ORPHAN FILES / REMOVE ORPHAN FILE / ADOPT ORPHAN FILE (core.ddl.orphans):
files in the data directory the dictionary does not know are listed with why, quarantined on
request (never deleted), refused when the dictionary knows them, and a tablespace whose
table definition is still known becomes a table again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import core
from core.catalog.model import DDLJob
from core.errors import Error
from core.events import JobState, SchemaState
from core.storage.spacemap import SYSTEM_SPACE, SpaceMap
from core.txn import begin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _connect(path: str, **kw):
    return core.connect(path, autocommit=True, flush_interval=0.05, **kw)


def _run(conn, sql: str):
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def _orphans(conn) -> dict[str, dict]:
    cur = conn.cursor()
    cur.execute("ADMIN SHOW ORPHAN FILES")
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def _errno(conn, sql: str) -> tuple[int, str]:
    with pytest.raises(Error) as exc:
        _run(conn, sql)
    return exc.value.errno, exc.value.msg


def test_a_fresh_database_has_no_orphans(tmp_path):
    conn = _connect(str(tmp_path / "db"), create=True)
    try:
        _run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY ib (b))")
        _run(conn, "INSERT INTO t VALUES (1, 2), (3, 4)")
        _run(conn, "CREATE TABLE gone (a INT PRIMARY KEY)")
        _run(conn, "DROP TABLE gone")  # its file waits for GC: known, not an orphan
        assert _orphans(conn) == {}
    finally:
        conn.close()
    conn = _connect(str(tmp_path / "db"))
    try:
        assert _orphans(conn) == {}
    finally:
        conn.close()


def test_stray_files_are_listed_and_quarantined(tmp_path):
    path = str(tmp_path / "db")
    conn = _connect(path, create=True)
    try:
        _run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
        _run(conn, "INSERT INTO t VALUES (1, 2), (3, 4)")
        with open(os.path.join(path, "stray.bin"), "w") as f:
            f.write("x")
        with open(os.path.join(path, "test", "notes.txt"), "w") as f:
            f.write("hello")
        with open(os.path.join(path, "test", "junk.kdb"), "wb") as f:
            f.write(b"\0" * 100)
        with open(os.path.join(path, "test", "old.kdb-lock"), "wb") as f:
            f.write(b"\0" * 10)
        found = _orphans(conn)
        assert set(found) == {"stray.bin", "test/notes.txt", "test/junk.kdb",
                              "test/old.kdb-lock"}
        assert found["test/notes.txt"]["SIZE"] == 5
        assert found["test/notes.txt"]["KIND"] == "file"
        assert found["test/junk.kdb"]["KIND"] == "unreadable tablespace"
        assert "not a readable tablespace" in found["test/junk.kdb"]["REASON"]
        assert found["test/old.kdb-lock"]["KIND"] == "lock file"
        assert all(o["ACTIONS"] == "remove" for o in found.values())

        rows = _run(conn, "ADMIN REMOVE ORPHAN FILE 'test/notes.txt'")
        assert rows == [("test/notes.txt", "#orphans/test/notes.txt")]
        moved = os.path.join(path, "#orphans", "test", "notes.txt")
        with open(moved) as f:
            assert f.read() == "hello"  # moved, never deleted
        assert not os.path.exists(os.path.join(path, "test", "notes.txt"))
        # the same name again: a free name in the quarantine
        with open(os.path.join(path, "test", "notes.txt"), "w") as f:
            f.write("again")
        rows = _run(conn, f"ADMIN REMOVE ORPHAN FILE '{os.path.join(path, 'test/notes.txt')}'")
        assert rows == [("test/notes.txt", "#orphans/test/notes.txt.1")]
        _run(conn, "ADMIN REMOVE ORPHAN FILE 'stray.bin'")
        with open(os.path.join(path, "#orphans", "MANIFEST.jsonl")) as f:
            lines = [json.loads(x) for x in f]
        assert [x["from"] for x in lines] == ["test/notes.txt", "test/notes.txt", "stray.bin"]
        assert set(_orphans(conn)) == {"test/junk.kdb", "test/old.kdb-lock"}
        assert _run(conn, "SELECT * FROM t ORDER BY a") == [(1, 2), (3, 4)]
    finally:
        conn.close()
    conn = _connect(path)  # the quarantine is not a schema directory: the open ignores it
    try:
        assert set(_orphans(conn)) == {"test/junk.kdb", "test/old.kdb-lock"}
    finally:
        conn.close()


def test_refuses_what_the_dictionary_or_engine_knows(tmp_path):
    path = str(tmp_path / "db")
    conn = _connect(path, create=True)
    try:
        _run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
        _run(conn, "INSERT INTO t VALUES (1, 2)")
        _run(conn, "CREATE TABLE d (a INT PRIMARY KEY)")
        _run(conn, "DROP TABLE d")
        errno, msg = _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test/t.kdb'")
        assert errno == 1813 and "`test`.`t`" in msg and "not an orphan" in msg
        errno, msg = _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test/t.kdb-lock'")
        assert errno == 1813 and "lock file" in msg
        errno, msg = _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test/d.kdb'")
        assert errno == 1813 and "GC" in msg
        errno, msg = _errno(conn, "ADMIN ADOPT ORPHAN FILE 'test/t.kdb'")
        assert errno == 1813
        for engine_file in ("control", "system.kdb", "LOCK", "kintsugi.err",
                            "#redo/redo.00000001"):
            errno, msg = _errno(conn, f"ADMIN REMOVE ORPHAN FILE '{engine_file}'")
            assert errno == 1210 and "engine's own" in msg, engine_file
        assert _errno(conn, "ADMIN REMOVE ORPHAN FILE '../elsewhere'")[0] == 1210
        assert _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test/nothing.kdb'")[0] == 1017
        assert _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test'")[0] == 1210
        assert _errno(conn, "ADMIN REMOVE ORPHAN FILE nope")[0] == 1064
        assert os.path.exists(os.path.join(path, "test", "t.kdb"))
        assert _run(conn, "SELECT * FROM t") == [(1, 2)]
    finally:
        conn.close()


def test_a_copied_table_file_is_an_orphan_that_cannot_be_adopted(tmp_path):
    path = str(tmp_path / "db")
    conn = _connect(path, create=True)
    try:
        _run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
        _run(conn, "INSERT INTO t VALUES (1, 2)")
    finally:
        conn.close()
    shutil.copy(os.path.join(path, "test", "t.kdb"), os.path.join(path, "test", "t_bak.kdb"))
    conn = _connect(path)
    try:
        found = _orphans(conn)
        assert list(found) == ["test/t_bak.kdb"]
        o = found["test/t_bak.kdb"]
        assert (o["KIND"], o["SPACE_ID"], o["TABLE_NAME"]) == ("tablespace", 1, "test.t")
        assert o["CREATED_LSN"] > 0
        assert "a copy of the tablespace of table `test`.`t`" in o["REASON"]
        assert o["ACTIONS"] == "remove"
        errno, msg = _errno(conn, "ADMIN ADOPT ORPHAN FILE 'test/t_bak.kdb' AS test.t2")
        assert errno == 1235 and "space id 1 is taken" in msg
        rows = _run(conn, "ADMIN REMOVE ORPHAN FILE 'test/t_bak.kdb'")
        assert rows == [("test/t_bak.kdb", "#orphans/test/t_bak.kdb")]
        assert _orphans(conn) == {}
    finally:
        conn.close()


_KILLED_CREATE = """
import os, signal, sys
import msgpack
import core
from core.log.record import RecordType
from core.storage import commit

conn = core.connect(sys.argv[1], autocommit=True)
cur = conn.cursor()
real = commit.CommitPath._append

def append(self, bodies):
    try:
        first = msgpack.unpackb(bodies[0])
    except Exception:
        first = None
    if isinstance(first, list) and first and first[0] == RecordType.FILE_CREATE:
        os.kill(os.getpid(), signal.SIGKILL)  # the file is made, its commit not logged
    return real(self, bodies)

commit.CommitPath._append = append
cur.execute("CREATE TABLE ghost (id INT PRIMARY KEY, v VARCHAR(10))")
print("CREATE returned", flush=True)
"""


def test_leftover_of_a_killed_create_table(tmp_path):
    """SIGKILL a CREATE TABLE between making its file and logging its commit: the file is an
    orphan, its header says what it was; it cannot be adopted (no definition survived), and
    a later table does not get its space id."""
    path = str(tmp_path / "db")
    conn = _connect(path, create=True)
    _run(conn, "CREATE TABLE keep (a INT PRIMARY KEY)")
    _run(conn, "INSERT INTO keep VALUES (1)")
    conn.close()
    proc = subprocess.run([sys.executable, "-c", _KILLED_CREATE, path], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert "CREATE returned" not in proc.stdout
    assert os.path.exists(os.path.join(path, "test", "ghost.kdb"))

    conn = _connect(path)
    try:
        assert _run(conn, "SHOW TABLES") == [("keep",)]
        found = _orphans(conn)
        assert list(found) == ["test/ghost.kdb"]
        o = found["test/ghost.kdb"]
        assert o["KIND"] == "tablespace" and o["TABLE_NAME"] == "test.ghost"
        sid = o["SPACE_ID"]
        assert sid == 2
        assert "never committed" in o["REASON"] and o["ACTIONS"] == "remove"
        errno, msg = _errno(conn, "ADMIN ADOPT ORPHAN FILE 'test/ghost.kdb'")
        assert errno == 1235 and "definition" in msg and "not known" in msg
        errno, msg = _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test/ghost.kdb-lock'")
        assert errno == 1210 and "moved) with it" in msg
        # a new table does not take the orphan's id (two files would carry one id)
        _run(conn, "CREATE TABLE ghost (id INT PRIMARY KEY)")
        _run(conn, "INSERT INTO ghost VALUES (7)")
        new_id = _run(conn, "SELECT TIDB_TABLE_ID FROM information_schema.tables WHERE "
                            "TABLE_NAME = 'ghost'")[0][0]
        assert new_id > sid
        found = _orphans(conn)
        assert list(found) == ["test/ghost.kdb"]
        assert found["test/ghost.kdb"]["SPACE_ID"] == sid
        rows = _run(conn, "ADMIN REMOVE ORPHAN FILE 'test/ghost.kdb'")
        assert [r[0] for r in rows] == ["test/ghost.kdb", "test/ghost.kdb-lock"]
        assert _run(conn, "SELECT * FROM ghost") == [(7,)]
        assert _orphans(conn) == {}
    finally:
        conn.close()


def _orphan_a_table(path: str) -> int:
    """A table whose dictionary entries went away while its file stayed, with its definition
    kept in a finished DDL job's args: what a table rebuild rolled back after it made its new
    tablespace leaves (the job knows the new table, the dictionary no longer does)."""
    conn = _connect(path, create=True)
    try:
        _run(conn, "CREATE TABLE keep (a INT PRIMARY KEY)")
        _run(conn, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), n INT, KEY iv (v))")
        cur = conn.cursor()
        cur.executemany("INSERT INTO t VALUES (%s, %s, %s)",
                        [(i, f"v{i % 7}", i * 3) for i in range(300)])
        db = conn._db
        with db.engine.snapshot() as snap:
            info = db.catalog.schema(snap).table("test", "t")
        txn = begin(db.engine)
        txn.current_view()
        now = time.time()
        job = DDLJob(job_id=db.catalog.next_job_id(txn), db_name="test", table_name="t",
                     job_type="rebuild table", schema_state=SchemaState.NONE, schema_id=0,
                     table_id=info.id, row_count=0, create_time=now, start_time=now,
                     end_time=now, state=JobState.ROLLBACK_DONE,
                     args={"new_table_id": info.id, "new_table": info.to_dict()})
        db.catalog.put_job(txn, job)
        db.catalog.delete_table(txn, info.id)
        txn.delete(SYSTEM_SPACE, SpaceMap.space_map_key(info.id))
        db.catalog.bump_version(txn)
        txn.commit()
        return info.id
    finally:
        conn.close()


def test_adopt_a_tablespace_whose_definition_is_known(tmp_path):
    path = str(tmp_path / "db")
    sid = _orphan_a_table(path)
    conn = _connect(path)
    try:
        assert _run(conn, "SHOW TABLES") == [("keep",)]
        found = _orphans(conn)
        assert list(found) == ["test/t.kdb"]
        o = found["test/t.kdb"]
        assert o["SPACE_ID"] == sid and "left by DDL job" in o["REASON"]
        assert "definition is known" in o["REASON"]
        assert o["ACTIONS"] == "remove, adopt (as test.t)"
        assert _errno(conn, "ADMIN ADOPT ORPHAN FILE 'test/t.kdb' AS keep")[0] == 1050
        assert _errno(conn, "ADMIN ADOPT ORPHAN FILE 'test/t.kdb' AS nodb.t")[0] == 1049
        rows = _run(conn, "ADMIN ADOPT ORPHAN FILE 'test/t.kdb' AS test.t_back")
        assert rows == [("test/t.kdb", sid, "test.t_back")]
        assert _orphans(conn) == {}
        assert _run(conn, "SELECT COUNT(*), SUM(n) FROM t_back") == [(300, 3 * sum(range(300)))]
        assert _run(conn, "SELECT id FROM t_back WHERE v = 'v3' ORDER BY id LIMIT 3") == \
            [(3,), (10,), (17,)]
        assert _run(conn, "ADMIN CHECK TABLE t_back") in ((), [], 0)
        _run(conn, "INSERT INTO t_back VALUES (1000, 'new', 1)")
        jobs = _run(conn, "SELECT JOB_TYPE, TABLE_NAME, STATE FROM information_schema.ddl_jobs "
                          "WHERE JOB_TYPE = 'adopt table'")
        assert jobs == [("adopt table", "t_back", "synced")]
        _run(conn, "CREATE TABLE other (a INT PRIMARY KEY)")  # no id clash with the adopted
        _run(conn, "INSERT INTO other VALUES (1)")
    finally:
        conn.close()
    conn = _connect(path)
    try:
        assert _run(conn, "SELECT COUNT(*) FROM t_back") == [(301,)]
        assert _run(conn, "SELECT * FROM other") == [(1,)]
        assert _orphans(conn) == {}
    finally:
        conn.close()


def test_show_orphan_files_on_a_read_only_open(tmp_path):
    path = str(tmp_path / "db")
    conn = _connect(path, create=True)
    _run(conn, "CREATE TABLE t (a INT PRIMARY KEY)")
    conn.close()
    with open(os.path.join(path, "test", "x.txt"), "w") as f:
        f.write("x")
    conn = _connect(path, force_recovery=1)
    try:
        assert list(_orphans(conn)) == ["test/x.txt"]
        assert _errno(conn, "ADMIN REMOVE ORPHAN FILE 'test/x.txt'")[0] == 1836
    finally:
        conn.close()


_ADOPT_THEN_DIE = """
import os, signal, sys
import core

conn = core.connect(sys.argv[1], autocommit=True, flush_interval=3600)
cur = conn.cursor()
cur.execute("ADMIN ADOPT ORPHAN FILE 'test/t.kdb'")
cur.execute("INSERT INTO t VALUES (5000, 'after', 1)")
print("ADOPTED", flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # before any flush or checkpoint
"""


def test_an_adoption_survives_a_crash(tmp_path):
    """The adoption is logged (map entry, FILE_CREATE, table): recovery opens the file again
    and replays the rows written after it."""
    path = str(tmp_path / "db")
    _orphan_a_table(path)
    proc = subprocess.run([sys.executable, "-c", _ADOPT_THEN_DIE, path], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL and "ADOPTED" in proc.stdout, proc.stderr[-2000:]
    conn = _connect(path)
    try:
        assert _run(conn, "SELECT COUNT(*) FROM t") == [(301,)]
        assert _run(conn, "SELECT v FROM t WHERE id = 5000") == [("after",)]
        assert _orphans(conn) == {}
    finally:
        conn.close()
