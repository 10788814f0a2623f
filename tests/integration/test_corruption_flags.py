"""Corruption flags on real files: a row damaged in its .kdb, an index entry removed behind
the engine's back.  The damage is found by a query or by CHECK TABLE, flagged through the
log into system.kdb (it survives a reopen), refused afterwards (1877 naming the table, 1712
for an index a statement insists on), planned around where another access path exists, and
cleared by the repairs."""

from __future__ import annotations

import glob
import os

import pytest

import core
from core.check import corruption_flags
from core.codec import decode_index_key, decode_int, decode_row_key, encode_row
from core.errors import CorruptionError, IndexCorruptError, OperationalError
from tests.damage import edit_tablespace

N = 50


def _conn(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, **kw)


def _q(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchall() if cur.description else None


def _build(path) -> None:
    conn = _conn(path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY, b INT NOT NULL, s VARCHAR(20), "
            "KEY ib (b), UNIQUE KEY us (s))")
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)",
                    [(i, i * 10, f"s{i}") for i in range(1, N + 1)])
    conn.close()  # a clean close: everything is in the tablespace file


def _kdb(path) -> str:
    files = glob.glob(os.path.join(str(path), "test", "t*.kdb"))
    assert len(files) == 1, files
    return files[0]


def _edit(path, fn) -> None:
    """Change the table's tablespace file directly, as damage would."""
    edit_tablespace(_kdb(path), fn)


def _row_key(txn, handle: int) -> bytes:
    for k, _v in txn.cursor():
        if k[9:11] == b"_r" and decode_row_key(k)[1] == handle:
            return bytes(k)
    raise AssertionError(f"no row {handle}")


def _damage_row(path, handle: int) -> None:
    def fn(txn):
        k = _row_key(txn, handle)
        v = bytearray(txn.get(k))
        v[2] ^= 0x5A  # a flipped byte: the CRC no longer matches
        txn.put(k, bytes(v))
    _edit(path, fn)


def _remove_index_entry(path, handle: int, n_cols: int = 1, index_id: int | None = None):
    def fn(txn):
        for k, v in txn.cursor():
            if k[9:11] != b"_i":
                continue
            _tid, iid, _vals, h = decode_index_key(k, n_cols)
            if h is None:  # a unique entry: the handle is its value
                h = decode_int(v)
            if (index_id is None or iid == index_id) and h == handle:
                txn.delete(k)
                return
        raise AssertionError("no index entry")
    _edit(path, fn)


def _flags(conn):
    with conn._db.engine.snapshot() as snap:
        return corruption_flags(snap)


def test_a_damaged_row_flags_the_table_and_the_flag_persists(tmp_path):
    _build(tmp_path)
    _damage_row(tmp_path, 7)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    assert _q(cur, "SELECT b FROM t WHERE id = 3") == [(30,)]  # not read yet: not known
    with pytest.raises(CorruptionError) as e:
        _q(cur, "SELECT COUNT(*) FROM t")
    assert e.value.errno == 1877 and "test.t" in e.value.msg
    with pytest.raises(CorruptionError) as e:  # now every query on the table is refused
        _q(cur, "SELECT b FROM t WHERE id = 3")
    msg = e.value.msg
    assert e.value.errno == 1877 and "`test`.`t`" in msg and "marked corrupted" in msg
    assert "row 7, key 74" in msg and "CHECK TABLE `t`" in msg
    with pytest.raises(CorruptionError):
        _q(cur, "INSERT INTO t VALUES (100, 1, 'x')")
    flags = _flags(conn)
    assert [(f.table, f.index_id) for f in flags] == [("test.t", 0)]
    shown = _q(cur, "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, LEVEL, ROW_KEY, PERSISTED "
                    "FROM information_schema.KINTSUGI_CORRUPTION_FLAGS")
    assert shown == [("test", "t", None, "table", flags[0].key, "YES")]
    conn.close()

    conn = _conn(tmp_path)  # the flag went through the log into system.kdb
    cur = conn.cursor()
    with pytest.raises(CorruptionError) as e:
        _q(cur, "SELECT b FROM t WHERE id = 3")
    assert "marked corrupted" in e.value.msg
    rows = _q(cur, "CHECK TABLE t")
    assert rows[-1] == ("test.t", "check", "error", "Corrupt")
    assert any("row 7 fails its checksum" in r[3] for r in rows[:-1])
    with pytest.raises(CorruptionError):  # a rebuild cannot copy a damaged row
        _q(cur, "ALTER TABLE t FORCE")
    _q(cur, "DROP TABLE t")  # dropping repairs, as far as flags go
    assert _flags(conn) == []
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY)")
    _q(cur, "INSERT INTO t VALUES (1)")
    assert _q(cur, "SELECT * FROM t") == [(1,)]
    conn.close()


def test_force_recovery_reads_a_flagged_table_and_keeps_the_flag_in_memory(tmp_path):
    _build(tmp_path)
    _damage_row(tmp_path, 7)
    conn = _conn(tmp_path, force_recovery=1)
    cur = conn.cursor()
    rows = _q(cur, "SELECT * FROM t")  # level 1 skips the damaged row, with a warning
    assert [r[0] for r in rows] == [i for i in range(1, N + 1) if i != 7]
    assert [(w[0], w[1]) for w in cur.warnings] == [("Warning", 1877)]
    assert cur.warnings[0][2].startswith("Skipped damaged row 7 (key 74")
    assert [f.persisted for f in conn._db.flags.all()] == [False]
    assert _flags(conn) == []  # nothing written on a read-only open
    assert _q(cur, "SELECT b FROM t WHERE id = 3") == [(30,)]  # readable: dump the rest
    rows = _q(cur, "CHECK TABLE t QUICK")  # CHECK TABLE runs read-only too
    assert rows[-1][2:] == ("error", "Corrupt")
    with pytest.raises(OperationalError):
        _q(cur, "INSERT INTO t VALUES (100, 1, 'x')")
    conn.close()
    conn = _conn(tmp_path)
    assert _flags(conn) == []
    conn.close()


def test_a_missing_index_entry_flags_the_index_and_queries_plan_around_it(tmp_path):
    _build(tmp_path)
    _remove_index_entry(tmp_path, 7, index_id=None)  # ib is the first secondary index
    conn = _conn(tmp_path)
    cur = conn.cursor()
    rows = _q(cur, "CHECK TABLE t")  # MEDIUM: the counts
    assert rows == [("test.t", "check", "Warning", f"index ib contains {N - 1} entries, "
                     f"should be {N}"), ("test.t", "check", "error", "Corrupt")]
    rows = _q(cur, "CHECK TABLE t EXTENDED")
    assert ("test.t", "check", "Warning", "row 7 missing from index ib") in rows
    assert rows[-1][2:] == ("error", "Corrupt")
    assert [(f.index, f.level) for f in _flags(conn)] == [("ib", "index")]
    # a query that could use ib reads the table instead, and finds the row ib lost
    assert _q(cur, "SELECT id FROM t WHERE b = 70") == [(7,)]
    plan = " ".join(str(r) for r in _q(cur, "EXPLAIN SELECT id FROM t WHERE b = 70"))
    assert "ib" not in plan.replace("Table", "")
    with pytest.raises(IndexCorruptError) as e:  # the statement insists on the index
        _q(cur, "SELECT id FROM t FORCE INDEX (ib) WHERE b = 70")
    assert e.value.errno == 1712 and e.value.msg == "Index ib is corrupted"
    _q(cur, "INSERT INTO t VALUES (100, 1000, 's100')")  # ib is not unique: writes go on
    conn.close()

    conn = _conn(tmp_path)  # persisted
    cur = conn.cursor()
    with pytest.raises(IndexCorruptError):
        _q(cur, "SELECT id FROM t USE INDEX (ib) WHERE b = 70")
    rows = _q(cur, "CHECK TABLE t QUICK")  # QUICK does not look at ib: reports the flag
    assert rows[-1][2:] == ("error", "Corrupt") and "marked as corrupted" in rows[0][3]
    _q(cur, "DROP INDEX ib ON t")
    _q(cur, "CREATE INDEX ib ON t (b)")
    assert _flags(conn) == []
    assert _q(cur, "CHECK TABLE t EXTENDED") == [("test.t", "check", "status", "OK")]
    assert _q(cur, "SELECT id FROM t FORCE INDEX (ib) WHERE b = 70") == [(7,)]
    conn.close()


def test_a_flagged_unique_index_refuses_writes_and_a_rebuild_repairs(tmp_path):
    _build(tmp_path)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    with conn._db.engine.snapshot() as snap:
        us = conn._db.schema(snap).table("test", "t").index("us")
    conn.close()
    _remove_index_entry(tmp_path, 9, index_id=us.id)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    rows = _q(cur, "CHECK TABLE t EXTENDED")
    assert ("test.t", "check", "Warning", "row 9 missing from index us") in rows
    with pytest.raises(IndexCorruptError) as e:  # its uniqueness check cannot be trusted
        _q(cur, "INSERT INTO t VALUES (200, 1, 's9')")
    assert e.value.msg == "Index us is corrupted"
    _q(cur, "DELETE FROM t WHERE id = 1")  # a delete needs no unique check
    assert _q(cur, "SELECT id FROM t WHERE s = 's9'") == [(9,)]  # planned around
    _q(cur, "ALTER TABLE t FORCE")  # a rebuild builds every index again
    assert _flags(conn) == []
    assert _q(cur, "CHECK TABLE t EXTENDED") == [("test.t", "check", "status", "OK")]
    with pytest.raises(core.IntegrityError):
        _q(cur, "INSERT INTO t VALUES (200, 1, 's9')")
    conn.close()


def test_a_clean_check_clears_a_stale_table_flag(tmp_path):
    _build(tmp_path)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    row = encode_row([7, 70, "s7"])
    assert row  # the row as it should be, to put back after the damage
    conn.close()
    _damage_row(tmp_path, 7)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    with pytest.raises(CorruptionError):
        _q(cur, "SELECT * FROM t")
    conn.close()

    def restore(txn):
        txn.put(_row_key(txn, 7), row)
    _edit(tmp_path, restore)  # the damage is gone (say, a restored page)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    with pytest.raises(CorruptionError):
        _q(cur, "SELECT * FROM t")
    assert _q(cur, "CHECK TABLE t") == [("test.t", "check", "status", "OK")]
    assert _flags(conn) == []
    assert len(_q(cur, "SELECT * FROM t")) == N
    conn.close()


_FLAGGER = """
import sys, time
import core
conn = core.connect(sys.argv[1], autocommit=True, flush_interval=3600)
cur = conn.cursor()
try:
    cur.execute("SELECT * FROM t")
except core.DatabaseError as e:
    print("FLAGGED", e.errno, flush=True)
time.sleep(60)
"""


def test_a_flag_written_before_a_sigkill_comes_back_through_redo(tmp_path):
    """The flag is ordinary logged data: killed before any flush, recovery replays it."""
    import signal
    import subprocess
    import sys

    _build(tmp_path)
    _damage_row(tmp_path, 7)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-c", _FLAGGER, str(tmp_path)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.split() == ["FLAGGED", "1877"], (line, proc.stderr.read()[-2000:]
                                                     if proc.poll() is not None else "")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    conn = _conn(tmp_path)
    assert [(f.table, f.index_id) for f in _flags(conn)] == [("test.t", 0)]
    with pytest.raises(CorruptionError) as e:
        _q(conn.cursor(), "SELECT b FROM t WHERE id = 3")
    assert "marked corrupted" in e.value.msg
    conn.close()


def test_flag_keys_do_not_collide():
    from core.catalog import store
    from core.check.flags import FLAG_PREFIX, flag_key

    assert flag_key(1, 2).startswith(flag_key(1))  # a table's scan finds its index flags
    assert not flag_key(256).startswith(flag_key(1)) and not flag_key(1).startswith(
        flag_key(256))  # fixed-width ids: no table's prefix is another's
    others = [store.VER_KEY, store.DB_PREFIX, store.TBL_PREFIX, store.JOB_PREFIX,
              store.JOBSEQ_KEY, store.GC_PREFIX, store.AUTOINC_PREFIX, b"\x00space:"]
    for other in others:
        assert not other.startswith(FLAG_PREFIX) and not FLAG_PREFIX.startswith(other)


def test_table_ids_past_255_are_created_and_dropped(tmp_path):
    """A table id whose last key byte is 0xFF (255, 511, ...) has no simple "next prefix":
    DROP/TRUNCATE clear its flags with a range to the end (it failed with ValueError and
    every later CREATE TABLE did too)."""
    conn = _conn(tmp_path)
    cur = conn.cursor()
    for i in range(260):
        _q(cur, f"CREATE TABLE t{i} (id INT PRIMARY KEY)")
    for i in range(250, 260):
        _q(cur, f"TRUNCATE TABLE t{i}")
        _q(cur, f"DROP TABLE t{i}")
    _q(cur, "CREATE TABLE after_all (id INT PRIMARY KEY)")
    _q(cur, "INSERT INTO after_all VALUES (1)")
    assert _q(cur, "SELECT * FROM after_all") == [(1,)]
    conn.close()
