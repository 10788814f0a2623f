"""The engine at the key-value level: snapshots, own writes, flushes, spills, locks, growth."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from core.errors import (
    DatabaseLockedError,
    DatabaseNotFoundError,
    LockWaitTimeoutError,
    TransactionStateError,
)
from core.events import EventLog, MapGrown, TransactionDiscarded, TransactionSpilled
from core.kv import Engine


def make_space(engine, name="t") -> int:
    with engine.begin() as txn:
        return txn.create_space("db", name)


def crash(engine: Engine) -> None:
    """Drop an engine the way a killed process would: no flush, no checkpoint, no SHUTDOWN.
    (The real SIGKILL tests live in tests/crash; this one lets unit tests reopen quickly.)"""
    if engine._flusher is not None:
        engine._stop.set()
        engine._wake.set()
        engine._flusher.join()
    engine.log.sync()  # only durable (acknowledged) work may survive
    for ts in engine.spaces.values():
        ts.close()
    engine.closed = True
    engine._lock.release()


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(DatabaseNotFoundError) as err:
        Engine.open(str(tmp_path / "nope"))
    assert err.value.errno == 1049 and "create=True" in str(err.value)


def test_reader_never_sees_a_later_commit(engine):
    sid = make_space(engine)
    with engine.begin() as txn:
        txn.put(sid, b"a", b"1")
    snap = engine.snapshot()
    with engine.begin() as txn:
        txn.put(sid, b"a", b"2")
        txn.put(sid, b"b", b"new")
        txn.delete(sid, b"missing")
    assert snap.get(sid, b"a") == b"1"
    assert snap.get(sid, b"b") is None
    engine.flush()  # flushing must not change what an open snapshot sees
    assert snap.get(sid, b"a") == b"1"
    assert list(snap.scan(sid)) == [(b"a", b"1")]
    snap.close()
    with engine.snapshot() as later:
        assert list(later.scan(sid)) == [(b"a", b"2"), (b"b", b"new")]


def test_snapshot_survives_many_flushes_and_deletes(engine):
    sid = make_space(engine)
    with engine.begin() as txn:
        for i in range(100):
            txn.put(sid, b"%03d" % i, b"v0")
    engine.flush()
    snap = engine.snapshot()
    for round_ in range(1, 4):
        with engine.begin() as txn:
            for i in range(0, 100, round_ + 1):
                txn.delete(sid, b"%03d" % i)
            txn.put(sid, b"%03d" % (100 + round_), b"v%d" % round_)
        engine.flush()
    assert [v for _k, v in snap.scan(sid)] == [b"v0"] * 100
    assert [k for k, _v in snap.scan(sid, b"010", b"013")] == [b"010", b"011", b"012"]
    assert [k for k, _v in snap.scan(sid, b"010", b"013", reverse=True)] == [
        b"012", b"011", b"010"]
    snap.close()


def test_writer_reads_its_own_writes_and_scans_merge_them(engine):
    sid = make_space(engine)
    with engine.begin() as txn:
        for k in (b"a", b"c", b"e"):
            txn.put(sid, k, b"old")
    engine.flush()
    with engine.begin() as txn:
        txn.put(sid, b"b", b"mine")
        txn.delete(sid, b"c")
        txn.put(sid, b"e", b"changed")
        assert txn.get(sid, b"b") == b"mine"
        assert txn.get(sid, b"c") is None
        assert txn.get_current(sid, b"e") == b"changed"
        assert list(txn.scan(sid)) == [(b"a", b"old"), (b"b", b"mine"), (b"e", b"changed")]
        assert [k for k, _ in txn.scan(sid, reverse=True)] == [b"e", b"b", b"a"]
        with engine.snapshot() as other:  # nobody else sees it before COMMIT
            assert other.get(sid, b"b") is None and other.get(sid, b"c") == b"old"


def test_rollback_leaves_nothing(engine):
    sid = make_space(engine)
    txn = engine.begin()
    txn.put(sid, b"x", b"1")
    txn.rollback()
    with pytest.raises(TransactionStateError):
        txn.put(sid, b"y", b"2")
    with engine.snapshot() as s:
        assert s.get(sid, b"x") is None
    engine.flush()
    assert engine.spaces[sid].entry_count() == 0


def test_one_writer_at_a_time_with_a_timeout(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0, lock_wait_timeout=0.2)
    try:
        sid = make_space(eng)
        first = eng.begin()
        first.put(sid, b"k", b"1")
        second = eng.begin()
        with pytest.raises(LockWaitTimeoutError) as err:
            second.put(sid, b"k", b"2")
        assert err.value.errno == 1205
        first.commit()
        second2 = eng.begin()
        second2.put(sid, b"k", b"3")
        second2.commit()
        with eng.snapshot() as s:
            assert s.get(sid, b"k") == b"3"
    finally:
        eng.close()


def test_reopen_after_clean_close_and_after_crash(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    sid = make_space(eng)
    with eng.begin() as txn:
        txn.put(sid, b"flushed", b"1")
    eng.flush()
    with eng.begin() as txn:
        txn.put(sid, b"in-log-only", b"2")
    open_txn = eng.begin()
    open_txn.put(sid, b"never-committed", b"3")
    crash(eng)
    log = EventLog()
    eng = Engine.open(db_path, sink=log, flush_interval=0)
    with eng.snapshot() as s:
        assert dict(s.scan(sid)) == {b"flushed": b"1", b"in-log-only": b"2"}
    eng.close()
    eng = Engine.open(db_path, flush_interval=0)  # clean now: no recovery events
    assert eng.stats()["checkpoint_lsn"] == eng.stats()["end_lsn"]
    eng.close()


def test_large_transaction_spills_and_recovery_discards_it_if_uncommitted(db_path):
    log = EventLog()
    eng = Engine.open(db_path, create=True, flush_interval=0, spill_limit=64 * 1024, sink=log)
    sid = make_space(eng)
    txn = eng.begin()
    for i in range(5000):
        txn.put(sid, b"k%05d" % i, b"v" * 50)
    txn.delete(sid, b"k00007")
    assert log.of(TransactionSpilled), "the transaction never spilled"
    assert os.listdir(eng.spill_dir)
    assert txn.get(sid, b"k00010") == b"v" * 50 and txn.get(sid, b"k00007") is None
    assert sum(1 for _ in txn.scan(sid)) == 4999
    with eng.snapshot() as s:  # no-steal: nothing visible, nothing in the tablespace
        assert s.get(sid, b"k00010") is None
    assert eng.spaces[sid].entry_count() == 0
    trx = txn.trx_id
    crash(eng)
    log2 = EventLog()
    eng = Engine.open(db_path, flush_interval=0, sink=log2)
    discarded = log2.of(TransactionDiscarded)
    assert [(d.trx_id, d.row_operations > 4000) for d in discarded] == [(trx, True)]
    assert os.listdir(eng.spill_dir) == []
    with eng.snapshot() as s:
        assert list(s.scan(sid)) == []
    eng.close()


def test_spilled_transaction_commits_and_survives_a_crash(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0, spill_limit=64 * 1024)
    sid = make_space(eng)
    with eng.begin() as txn:
        for i in range(5000):
            txn.put(sid, b"k%05d" % i, b"%d" % i)
        for i in range(0, 5000, 2):
            txn.delete(sid, b"k%05d" % i)
    with eng.snapshot() as s:
        assert sum(1 for _ in s.scan(sid)) == 2500
        assert s.get(sid, b"k00001") == b"1" and s.get(sid, b"k00002") is None
    crash(eng)
    eng = Engine.open(db_path, flush_interval=0)
    with eng.snapshot() as s:
        rows = dict(s.scan(sid))
    assert len(rows) == 2500 and rows[b"k04999"] == b"4999"
    eng.flush()
    assert eng.spaces[sid].entry_count() == 2500
    eng.close()


def test_map_grows_before_it_fills(db_path):
    log = EventLog()
    eng = Engine.open(db_path, create=True, flush_interval=0, map_size=1 << 20, sink=log)
    sid = make_space(eng)
    for batch in range(6):
        with eng.begin() as txn:
            for i in range(4000):
                txn.put(sid, b"%02d-%06d" % (batch, i), os.urandom(200))
        eng.flush()
    assert eng.spaces[sid].entry_count() == 24000
    grown = [e for e in log.of(MapGrown) if e.space_id == sid]
    assert grown and grown[-1].new_size > 4 << 20
    eng.close()


def test_map_growth_waits_for_readers(db_path):
    """LMDB may only remap when no read transaction of the process is open on the file."""
    eng = Engine.open(db_path, create=True, flush_interval=0, map_size=1 << 20)
    sid = make_space(eng)
    snap = eng.snapshot()
    assert snap.get(sid, b"nothing") is None  # opens its read transaction on the file
    with eng.begin() as txn:
        for i in range(6000):
            txn.put(sid, b"%06d" % i, b"x" * 200)
    done = threading.Event()

    def flush():
        eng.flush()
        done.set()

    t = threading.Thread(target=flush)
    t.start()
    assert not done.wait(0.3), "the map grew under an open read transaction"
    snap.close()
    t.join(10)
    assert done.is_set()
    assert eng.spaces[sid].entry_count() == 6000
    eng.close()


def test_second_open_is_refused_with_the_holders_pid(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    try:
        code = (
            "import sys; from core.kv import Engine\n"
            "from core.errors import DatabaseLockedError\n"
            "try:\n    Engine.open(sys.argv[1])\n"
            "except DatabaseLockedError as e:\n    print(e.errno, e)\n"
        )
        root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
        out = subprocess.run([sys.executable, "-c", code, db_path], cwd=root,
                             capture_output=True, text=True, timeout=60).stdout
        assert out.startswith("1030 ") and f"process {os.getpid()}" in out
        with pytest.raises(DatabaseLockedError):  # the same process, a second time
            Engine.open(db_path)
    finally:
        eng.close()
    Engine.open(db_path).close()  # released on close


def test_files_are_readable_by_their_owner_only(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    make_space(eng)
    eng.close()
    for root, dirs, files in os.walk(db_path):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode) & 0o077 == 0, d
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(root, f)).st_mode) & 0o077 == 0, f
    assert stat.S_IMODE(os.stat(db_path).st_mode) & 0o077 == 0


def test_concurrent_commits_share_syncs_and_all_land(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0.05)
    sid = make_space(eng)
    before = eng.log.syncs

    def worker(t):
        for i in range(100):
            with eng.begin() as txn:
                txn.put(sid, b"%d-%03d" % (t, i), b"v")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with eng.snapshot() as s:
        assert sum(1 for _ in s.scan(sid)) == 400
    assert eng.log.syncs - before < 400
    eng.close()


def test_tablespace_created_in_a_rolled_back_transaction_leaves_no_file(engine):
    txn = engine.begin()
    sid = txn.create_space("db", "ghost")
    txn.rollback()
    assert sid not in engine.spaces
    assert not os.path.exists(os.path.join(engine.path, "db", "ghost.kdb"))


def test_first_read_of_a_table_after_a_flush_still_sees_the_snapshot(engine):
    """Snapshots open a tablespace's read transaction lazily; the flusher must pin them
    before it moves that file past them."""
    a, b = make_space(engine, "a"), make_space(engine, "b")
    with engine.begin() as txn:
        txn.put(a, b"k", b"a1")
        txn.put(b, b"k", b"b1")
    engine.flush()
    snap = engine.snapshot()
    assert snap.get(a, b"k") == b"a1"  # opens a's read transaction only
    with engine.begin() as txn:
        txn.put(b, b"k", b"b2")
        txn.put(b, b"new", b"x")
    engine.flush()  # applies to b: must pin snap on b first
    assert snap.get(b, b"k") == b"b1"
    assert list(snap.scan(b)) == [(b"k", b"b1")]
    snap.close()
    with engine.snapshot() as later:
        assert later.get(b, b"k") == b"b2"


def test_values_only_scan_matches_scan_and_defers_to_it_over_the_overlay(engine):
    sid = make_space(engine)
    with engine.begin() as txn:
        for i in range(20):
            txn.put(sid, b"%02d" % i, b"v%d" % i)
    with engine.snapshot() as snap:
        assert snap.values(sid) is None  # rows still in the overlay: the caller must scan
    engine.flush()
    with engine.snapshot() as snap:
        assert list(snap.values(sid)) == [v for _k, v in snap.scan(sid)]
        assert list(snap.values(sid, b"05", b"08")) == [b"v5", b"v6", b"v7"]
        assert list(snap.values(sid, b"15")) == [b"v%d" % i for i in range(15, 20)]


def test_an_idle_snapshot_does_not_stop_map_growth(db_path):
    """A snapshot that never read a table must not keep that table's map from growing
    (the flusher grows the map before it pins the snapshot on the file)."""
    eng = Engine.open(db_path, create=True, flush_interval=0, map_size=1 << 20)
    sid = make_space(eng)
    idle = eng.snapshot()
    with eng.begin() as txn:
        for i in range(6000):
            txn.put(sid, b"%06d" % i, b"x" * 200)
    eng.flush()
    assert eng.stats()["overlay_entries"] == 0
    assert idle.get(sid, b"000001") is None  # and it still sees the table as it was
    idle.close()
    eng.close()
