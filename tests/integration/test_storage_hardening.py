"""Regressions of the red team's storage findings: nothing acknowledged that cannot be applied,
no file that crashes the process, `create` creates only, one view per transaction."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import lmdb
import pytest

import core
from core.errors import CorruptionError, DatabaseNotFoundError, OperationalError
from core.kv import Engine
from core.storage.tablespace import Tablespace

LONG = 600


def _reopen_rows(path: str, sql: str) -> list[tuple]:
    with core.connect(path, flush_interval=0.05) as c:
        cur = c.cursor()
        cur.execute(sql)
        return cur.fetchall()


# -- 1. keys past LMDB's 511 bytes -------------------------------------------------------------


def test_long_indexed_value_is_applied_and_reopens(tmp_path):
    """The red team's repro (with a length MySQL accepts for an index: 700 x 4 <= 3072)."""
    path = str(tmp_path / "db")
    with core.connect(path, create=True, flush_interval=0.05) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(700), KEY ix_s (s))")
        cur.execute("INSERT INTO t VALUES (2, REPEAT('x', %s))", (LONG,))
        c.commit()
        c._engine.flush()  # the flusher used to fail here with BadValsizeError
        assert c._engine.flusher_error is None
    rows = _reopen_rows(path, "SELECT id, LENGTH(s) FROM t WHERE s = REPEAT('x', 600)")
    assert rows == [(2, LONG)]


def test_long_primary_and_unique_keys_keep_order_uniqueness_and_ranges(tmp_path):
    path = str(tmp_path / "db")
    base = "k" * 560
    with core.connect(path, create=True, autocommit=True, flush_interval=0.05) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE p (k VARCHAR(760) PRIMARY KEY, u VARCHAR(700), n INT, "
                    "UNIQUE KEY uq (u))")
        for i in range(40):
            cur.execute("INSERT INTO p VALUES (%s, %s, %s)",
                        (base + f"{i:03d}", "u" * 590 + f"{i:03d}", i))
        c._engine.flush()
        with pytest.raises(core.IntegrityError) as err:
            cur.execute("INSERT INTO p VALUES (%s, 'other', 99)", (base + "007",))
        assert err.value.errno == 1062
        with pytest.raises(core.IntegrityError):
            cur.execute("INSERT INTO p VALUES ('short', %s, 99)", ("u" * 590 + "011",))
        cur.execute("SELECT n FROM p WHERE k >= %s AND k < %s ORDER BY k DESC",
                    (base + "010", base + "015"))
        assert [r[0] for r in cur.fetchall()] == [14, 13, 12, 11, 10]
        cur.execute("SELECT n FROM p WHERE u > %s ORDER BY u LIMIT 3", ("u" * 590 + "036",))
        assert [r[0] for r in cur.fetchall()] == [37, 38, 39]
        cur.execute("UPDATE p SET n = n + 100 WHERE k = %s", (base + "020",))
        cur.execute("DELETE FROM p WHERE k = %s", (base + "021",))
    assert _reopen_rows(path, "SELECT COUNT(*), SUM(n) FROM p") == [(39, sum(range(40)) + 79)]
    rows = _reopen_rows(path, "SELECT n FROM p ORDER BY k LIMIT 3 OFFSET 19")
    assert rows == [(19,), (120,), (22,)]


def test_create_index_over_existing_long_values(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True, flush_interval=0.05) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(768))")
        cur.executemany("INSERT INTO t VALUES (%s, %s)",
                        [(i, "y" * 700 + str(i % 5)) for i in range(30)])
        c._engine.flush()
        cur.execute("CREATE INDEX ix ON t (s)")
        c._engine.flush()
    rows = _reopen_rows(path, "SELECT COUNT(*) FROM t WHERE s = CONCAT(REPEAT('y', 700), '3')")
    assert rows == [(6,)]


def test_large_transaction_with_long_keys_spills_and_recovers(tmp_path):
    """A spilled transaction keeps its row images in an LMDB spill file: long keys there too."""
    path = str(tmp_path / "db")
    with core.connect(path, create=True, flush_interval=0.05, spill_limit=64 * 1024) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (s VARCHAR(700) PRIMARY KEY, n INT)")
        c.commit()
        cur.executemany("INSERT INTO t VALUES (%s, %s)",
                        [("z" * 650 + f"{i:04d}", i) for i in range(400)])
        cur.execute("SELECT COUNT(*), MIN(n), MAX(n) FROM t")
        assert cur.fetchall() == [(400, 0, 399)]
        c.commit()
    assert _reopen_rows(path, "SELECT COUNT(*), SUM(n) FROM t") == [(400, sum(range(400)))]


# -- the second line: a record the flusher cannot apply ----------------------------------------


def test_failed_flush_stops_writes_keeps_reads_and_reopens(tmp_path, monkeypatch):
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True, flush_interval=0)
    cur = c.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    cur.execute("INSERT INTO t VALUES (1, 10), (2, 20)")

    def refuse(self, batch, applied_lsn):
        raise lmdb.Error("simulated: the file refused the write")

    monkeypatch.setattr(Tablespace, "_apply_once", refuse)
    with pytest.raises(OperationalError) as err:
        c._engine.flush()
    assert "could not apply" in err.value.msg and err.value.errno == 1030
    c._engine.flusher_error = err.value  # what the flusher thread records
    with pytest.raises(OperationalError) as err:
        cur.execute("INSERT INTO t VALUES (3, 30)")
    assert "stopped accepting writes" in err.value.msg
    cur.execute("SELECT SUM(v) FROM t")  # reads go on from the overlay
    assert cur.fetchall() == [(30,)]
    monkeypatch.undo()
    c.close()  # not a clean shutdown: the next open replays the redo log
    assert _reopen_rows(path, "SELECT id, v FROM t ORDER BY id") == [(1, 10), (2, 20)]


# -- 2. damaged files: an error naming the file, never SIGBUS ----------------------------------


def _open_in_child(path: str) -> subprocess.CompletedProcess:
    code = (
        "import core, sys\n"
        "try:\n"
        f"    c = core.connect({path!r})\n"
        "    cur = c.cursor(); cur.execute('SELECT COUNT(*) FROM t'); print(cur.fetchall())\n"
        "except core.Error as e:\n"
        "    print('ERR', e.errno, e.msg); sys.exit(3)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(os.path.dirname(__file__)) + "/..")


@pytest.fixture
def small_db(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True, flush_interval=0.05) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(100), KEY ix (s))")
        cur.executemany("INSERT INTO t VALUES (%s, %s)", [(i, "v" * 90) for i in range(3000)])
    return path


@pytest.mark.parametrize("target", ["test/t.kdb", "system.kdb"])
def test_truncated_tablespace_is_an_error_not_sigbus(small_db, target):
    f = os.path.join(small_db, target)
    os.truncate(f, os.path.getsize(f) // 2)
    proc = _open_in_child(small_db)
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    assert "ERR 1877" in proc.stdout and target in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("damage", ["empty", "zero_header", "symlink"])
def test_damaged_tablespace_file_names_the_file(small_db, damage, tmp_path):
    f = os.path.join(small_db, "test", "t.kdb")
    if damage == "empty":
        os.truncate(f, 0)
    elif damage == "zero_header":
        with open(f, "r+b") as fh:
            fh.write(bytes(8192))
    else:
        moved = str(tmp_path / "elsewhere.kdb")
        os.rename(f, moved)
        os.symlink(moved, f)
    with pytest.raises(core.Error) as err:
        core.connect(small_db)
    assert err.value.errno in (1877, 1030) and "t.kdb" in err.value.msg


# -- 4. create creates only ---------------------------------------------------------------------


def test_create_never_initialises_over_data_files(small_db):
    os.unlink(os.path.join(small_db, "control"))
    before = sorted(os.listdir(small_db))
    with pytest.raises(CorruptionError) as err:
        core.connect(small_db)
    assert err.value.errno == 1877 and "no control file" in err.value.msg
    with pytest.raises(CorruptionError):
        core.connect(small_db, create=True)  # the advice used to be to do this
    assert sorted(os.listdir(small_db)) == before
    assert os.path.getsize(os.path.join(small_db, "test", "t.kdb")) > 0


def test_create_refuses_a_non_empty_directory_and_accepts_empty_or_missing(tmp_path):
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me")
    with pytest.raises(DatabaseNotFoundError) as err:
        core.connect(str(other), create=True)
    assert "not empty" in err.value.msg and (other / "todo.txt").read_text() == "keep me"
    empty = tmp_path / "empty"
    empty.mkdir()
    core.connect(str(empty), create=True).close()
    with pytest.raises(DatabaseNotFoundError) as err:
        core.connect(str(tmp_path / "missing"))
    assert err.value.errno == 1049 and "does not exist" in err.value.msg


def test_files_and_directories_are_private(tmp_path):
    path = tmp_path / "a" / "b" / "db"
    with core.connect(str(path), create=True, autocommit=True, flush_interval=0.05) as c:
        c.cursor().execute("CREATE TABLE t (id INT PRIMARY KEY)")
    for d in (tmp_path / "a", tmp_path / "a" / "b", path, path / "test", path / "#redo"):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    for f in ("control", "LOCK", "system.kdb", "test/t.kdb"):
        assert stat.S_IMODE(os.stat(path / f).st_mode) & 0o077 == 0, f


def test_lock_file_symlink_is_not_followed(tmp_path, small_db):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    lock = os.path.join(small_db, "LOCK")
    os.unlink(lock)
    os.symlink(victim, lock)
    with pytest.raises(OperationalError) as err:
        core.connect(small_db)
    assert "symbolic link" in err.value.msg
    assert victim.read_text() == "precious"


# -- 5. one consistent view per transaction -----------------------------------------------------


def _slow_fdatasync(monkeypatch, seconds: float) -> threading.Event:
    """Make every fdatasync take `seconds`; the event is set when the first one starts."""
    syncing = threading.Event()
    real = os.fdatasync

    def slow(fd):
        syncing.set()
        time.sleep(seconds)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", slow)
    return syncing


def test_transaction_reads_include_the_commit_its_writes_are_based_on(tmp_path, monkeypatch):
    """Deterministic repro: slow the fdatasync, commit T1, start T2 while T1's group commit is
    in flight; T2's consistent read and its current read must agree on T1."""
    eng = Engine.open(str(tmp_path / "db"), create=True, flush_interval=0)
    try:
        with eng.begin() as t0:
            sp = t0.create_space("s", "t")
        with eng.begin() as t0:
            t0.put(sp, b"a", b"1000")
            t0.put(sp, b"b", b"2000")
        syncing = _slow_fdatasync(monkeypatch, 0.4)

        def t1():
            with eng.begin() as t:
                t.put(sp, b"a", b"900")
                t.put(sp, b"b", b"2100")

        th = threading.Thread(target=t1)
        th.start()
        assert syncing.wait(5)  # T1 is published, its fdatasync is in flight
        t2 = eng.begin()
        seen_a = t2.get(sp, b"a")  # consistent read (the snapshot)
        current_b = t2.get_current(sp, b"b")  # what an UPDATE would read
        t2.put(sp, b"b", str(int(current_b) + 1).encode())
        total = int(t2.get(sp, b"a")) + int(t2.get(sp, b"b"))
        t2.commit()
        th.join()
        assert (seen_a, current_b) == (b"900", b"2100")
        assert total == 3001
    finally:
        monkeypatch.undo()
        eng.close()


def test_a_reader_never_sees_a_commit_before_it_is_durable(tmp_path, monkeypatch):
    eng = Engine.open(str(tmp_path / "db"), create=True, flush_interval=0)
    try:
        with eng.begin() as t0:
            sp = t0.create_space("s", "t")
        syncing = _slow_fdatasync(monkeypatch, 0.3)

        def t1():
            with eng.begin() as t:
                t.put(sp, b"k", b"v")

        th = threading.Thread(target=t1)
        th.start()
        assert syncing.wait(5)
        with eng.snapshot() as snap:
            value = snap.get(sp, b"k")
            durable_then = eng.log.durable_lsn
            assert value == b"v" and durable_then >= snap.lsn
        th.join()
    finally:
        monkeypatch.undo()
        eng.close()


@pytest.mark.parametrize("where", [5, -2])  # inside the msgpack body / inside the CRC
def test_damaged_dictionary_entry_is_corruption_not_a_type_error(small_db, where):
    env = lmdb.open(os.path.join(small_db, "system.kdb"), subdir=False, max_dbs=4)
    try:
        data = env.open_db(b"data", create=False)
        with env.begin(write=True, db=data) as txn:
            cur = txn.cursor()
            assert cur.set_range(b"m:tbl:")
            key, value = cur.item()
            raw = bytearray(value)
            raw[where] ^= 0x20
            txn.put(key, bytes(raw))
    finally:
        env.close()
    with pytest.raises(core.Error) as err:
        with core.connect(small_db) as c:
            c.cursor().execute("SELECT COUNT(*) FROM t")
    assert err.value.errno == 1877 and "system.kdb" in err.value.msg


def test_recovery_that_cannot_apply_a_record_says_so_and_forced_open_reads_it(tmp_path,
                                                                              monkeypatch):
    """Second line at reopen: an unappliable record fails the open with the record named and
    the way out; force_recovery=1 replays the log in memory and the data is readable."""
    path = str(tmp_path / "db")
    code = (
        "import os, signal, core\n"
        f"c = core.connect({path!r}, create=True, autocommit=True, flush_interval=0)\n"
        "cur = c.cursor()\n"
        "cur.execute('CREATE TABLE t (id INT PRIMARY KEY, v INT)')\n"
        "cur.execute('INSERT INTO t VALUES (1, 10), (2, 20)')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == -9

    def refuse(self, batch, applied_lsn):
        raise lmdb.Error("simulated: the file refused the write")

    monkeypatch.setattr(Tablespace, "_apply_once", refuse)
    with pytest.raises(OperationalError) as err:
        core.connect(path)
    assert "could not apply" in err.value.msg and "--force-recovery 1" in err.value.msg
    with core.connect(path, force_recovery=1) as c:
        cur = c.cursor()
        cur.execute("SELECT id, v FROM t ORDER BY id")
        assert cur.fetchall() == [(1, 10), (2, 20)]
    monkeypatch.undo()
    assert _reopen_rows(path, "SELECT SUM(v) FROM t") == [(30,)]
