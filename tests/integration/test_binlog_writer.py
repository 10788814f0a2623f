"""The binary log writer (`core.log.binlog.BinlogWriter`) on real files: torn tails, the
index against the directory, foreign files, purging, rotation, and the bugs its review
found (commit path thread safety, error paths, fd leaks)."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

import core
from core.backup.events import files_of, transactions
from core.errors import CorruptionError
from core.log import binlog as bl
from core.log import binlog_format as fmt
from core.log.binlog import BinlogWriter, list_index
from core.log.gtid import GtidSet

UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
OTHER = "11111111-2222-3333-4444-555555555555"


def ddl(seq: int, uuid: str = UUID) -> bytes:
    """A whole one-event transaction (a DDL) with GTID `seq`."""
    return fmt.gtid(1.0, uuid, seq, seq) + fmt.query(1.0, "test", f"CREATE TABLE x{seq} (a INT)")


def rows_txn(seq: int) -> bytes:
    """A row transaction: Gtid, BEGIN, Table_map, Write_rows, Xid."""
    return (fmt.gtid(1.0, UUID, seq, seq) + fmt.query(1.0, None, "BEGIN")
            + fmt.table_map(1.0, 7, "test", "t", [["a", "int"]], {"kind": "int", "columns": ["a"]})
            + fmt.rows(fmt.EventType.WRITE_ROWS, 1.0, 7, [[b"\x01", b"\x90"]])
            + fmt.xid(1.0, seq))


def commit(w: BinlogWriter, seq: int, lsn: int | None = None, data: bytes | None = None) -> None:
    lsn = seq if lsn is None else lsn
    w.enqueue(lsn, seq, data if data is not None else ddl(seq))
    w.write_through(lsn)


def gtids_of(path: str) -> list[int]:
    return [ev.fields[1] for ev in fmt.transaction_ends(path)[2]]


def last_event(path: str) -> fmt.Event:
    return list(fmt.read_events(path))[-1]


@pytest.fixture
def d(tmp_path):
    return str(tmp_path)


def test_torn_tail_cut_at_last_whole_transaction(d):
    w = BinlogWriter.open(d, UUID)
    for s in (1, 2, 3):
        commit(w, s, data=rows_txn(s))
    good = w.status()[1]
    w.close()
    path = os.path.join(d, "binlog.000001")
    with open(path, "ab") as f:  # a transaction without its Xid, then half an event
        t = rows_txn(4)
        f.write(t[:-len(fmt.xid(1.0, 4))] + fmt.xid(1.0, 4)[:5])
    w = BinlogWriter.open(d, UUID)
    try:
        assert w.status()[1] == good
        assert os.path.getsize(path) > good  # nothing cut before the redo gives it back
        assert str(w.executed) == f"{UUID}:1-3" and w.next_seq == 4
        assert w.recover([t]) == 1  # the redo log still has transaction 4
        assert any("cut" in r and str(good) in r for r in w.repaired), w.repaired
        commit(w, 5)
    finally:
        w.close()
    assert gtids_of(path) == [1, 2, 3, 4, 5]


def test_missing_file_in_the_index_is_dropped_from_it(d):
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    w.rotate()
    commit(w, 2)
    w.rotate()
    commit(w, 3)
    w.close()
    os.unlink(os.path.join(d, "binlog.000002"))
    w = BinlogWriter.open(d, UUID)
    w.close()
    assert list_index(d) == ["binlog.000001", "binlog.000003"]
    assert any("binlog.000002" in r and "missing" in r for r in w.repaired), w.repaired
    assert str(w.executed) == f"{UUID}:1-3"


def test_file_a_rotation_created_but_the_index_lacks_is_adopted(d):
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    w.rotate()
    commit(w, 2)
    w.close()
    with open(os.path.join(d, bl.INDEX_NAME), "w") as f:
        f.write("./binlog.000001\n")
    w = BinlogWriter.open(d, UUID)
    try:
        assert w.files == ["binlog.000001", "binlog.000002"] == list_index(d)
        assert w.next_seq == 3
        commit(w, 3)
    finally:
        w.close()
    assert gtids_of(os.path.join(d, "binlog.000002")) == [2, 3]


@pytest.mark.parametrize("size", [0, 2, 30])
def test_file_whose_creation_was_cut_short_is_made_again(d, size):
    """A crash inside the rotation's file creation: the new file is empty or half a head,
    the index does not list it.  The open makes it again, with the right Previous_gtids."""
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    w.rotate()
    w.close()
    p2 = os.path.join(d, "binlog.000002")
    os.truncate(p2, size)
    with open(os.path.join(d, bl.INDEX_NAME), "w") as f:
        f.write("./binlog.000001\n")
    w = BinlogWriter.open(d, UUID)
    try:
        assert w.files == ["binlog.000001", "binlog.000002"]
        assert fmt.file_head(p2)[1] == f"{UUID}:1"
        commit(w, 2)
    finally:
        w.close()
    assert gtids_of(p2) == [2]


def test_missing_index_adopts_the_files_never_overwrites_them(d):
    w = BinlogWriter.open(d, UUID)
    for s in (1, 2):
        commit(w, s)
    w.close()
    os.unlink(os.path.join(d, bl.INDEX_NAME))
    w = BinlogWriter.open(d, UUID)
    w.close()
    assert gtids_of(os.path.join(d, "binlog.000001")) == [1, 2]
    assert w.next_seq == 3 and list_index(d) == ["binlog.000001"]


def test_binlog_of_another_database_is_refused(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    for p in (a, b):
        c = core.connect(p, create=True, autocommit=True)
        c.cursor().execute("CREATE TABLE t (a INT PRIMARY KEY)")
        c.close()
    for name in os.listdir(a):
        if name.startswith("binlog."):
            shutil.copy(os.path.join(a, name), os.path.join(b, name))
    with pytest.raises(CorruptionError) as exc:
        core.connect(b, autocommit=True)
    assert exc.value.errno == 1877
    assert "belongs to database" in str(exc.value) and "copied from elsewhere" in str(exc.value)
    # the failed open released everything: moving the files away makes it open again
    for name in os.listdir(b):
        if name.startswith("binlog."):
            os.unlink(os.path.join(b, name))
    core.connect(b, autocommit=True).close()


def _three_files(d, clock=time.time) -> BinlogWriter:
    w = BinlogWriter.open(d, UUID, clock=clock, expire_seconds=0)
    commit(w, 1)
    w.rotate()
    commit(w, 2)
    w.rotate()
    commit(w, 3)
    return w


def test_purge_to_keeps_the_named_and_later_files_index_first(d, monkeypatch):
    w = _three_files(d)
    seen = []
    real = os.unlink

    def unlink(path, *a, **k):
        if os.path.basename(path).startswith("binlog.0"):
            seen.append((os.path.basename(path), list_index(d)))
        return real(path, *a, **k)

    monkeypatch.setattr(bl.os, "unlink", unlink)
    with pytest.raises(KeyError):
        w.purge_to("binlog.000009")
    assert w.purge_to("binlog.000002") == ["binlog.000001"]
    assert seen == [("binlog.000001", ["binlog.000002", "binlog.000003"])]
    assert w.purge_to("binlog.000003") == ["binlog.000002"]
    assert w.purge_to("binlog.000003") == []
    assert list_index(d) == ["binlog.000003"] and w.files == ["binlog.000003"]
    commit(w, 4)
    w.close()


def test_purge_before_and_expire_never_take_the_active_file(d):
    now = [time.time()]
    w = _three_files(d, clock=lambda: now[0])
    old = time.time() - 3600
    for n in ("binlog.000001", "binlog.000002"):
        os.utime(os.path.join(d, n), (old, old))
    assert w.purge_before(old + 1) == ["binlog.000001", "binlog.000002"]
    assert w.purge_before(time.time() + 10**6) == []  # the active one stays
    w.rotate()
    assert w.files == ["binlog.000003", "binlog.000004"]
    w.expire_seconds = 60
    os.utime(os.path.join(d, "binlog.000003"), (old, old))
    now[0] = time.time()
    assert w.expire() == ["binlog.000003"]
    assert list_index(d) == ["binlog.000004"]
    w.close()


def test_rotation_at_max_size_and_previous_gtids(d):
    w = BinlogWriter.open(d, UUID, max_size=4096)
    for s in range(1, 200):
        commit(w, s, data=rows_txn(s))
    w.close()
    names = list_index(d)
    assert len(names) > 3
    seen = GtidSet()
    for i, n in enumerate(names):
        p = os.path.join(d, n)
        desc, prev = fmt.file_head(p)
        assert desc["uuid"] == UUID and desc["file"] == i + 1
        assert GtidSet.parse(prev) == seen, (n, prev, str(seen))
        for s in gtids_of(p):
            seen.add(UUID, s)
        if n != names[-1]:
            ev = last_event(p)
            assert ev.kind == fmt.EventType.ROTATE and ev.fields[0] == names[i + 1]
            # rotated once the size reached max_size: only the last append overshoots
            assert 4096 <= ev.pos < 4096 + len(rows_txn(s))
    assert str(seen) == f"{UUID}:1-199"


def test_log_bin_off_leaves_the_files_alone(tmp_path):
    p = str(tmp_path / "db")
    c = core.connect(p, create=True, autocommit=True)
    c.cursor().execute("CREATE TABLE t (a INT PRIMARY KEY)")
    c.cursor().execute("INSERT INTO t VALUES (1)")
    c.close()
    before = {n: open(os.path.join(p, n), "rb").read() for n in os.listdir(p)
              if n.startswith("binlog.")}
    c = core.connect(p, autocommit=True, log_bin=False)
    assert c._db.engine.binlog is None
    c.cursor().execute("INSERT INTO t VALUES (2)")
    c.close()
    after = {n: open(os.path.join(p, n), "rb").read() for n in os.listdir(p)
             if n.startswith("binlog.")}
    assert after == before
    assert [t.seq for t in transactions(files_of(p))] == [1, 2]


# -- the review's findings ------------------------------------------------------------------


def test_committer_returns_only_once_its_events_are_written(d, monkeypatch):
    """Thread A writes the group holding B's events; B, whose commit is durable, must not
    return from write_through (nor miss its GTID in SHOW MASTER STATUS) before A is done.
    It used to see an empty queue and return at once (or hit IndexError on queue[0])."""
    w = BinlogWriter.open(d, UUID)
    w.enqueue(1, 1, ddl(1))
    w.enqueue(2, 2, ddl(2))
    entered, release = threading.Event(), threading.Event()
    real = os.pwrite

    def slow(fd, data, off):
        entered.set()
        release.wait(5)
        return real(fd, data, off)

    monkeypatch.setattr(bl.os, "pwrite", slow)
    a = threading.Thread(target=w.write_through, args=(2,))
    a.start()
    assert entered.wait(5)
    done = []
    b = threading.Thread(target=lambda: done.append(w.executed.contains(UUID, 2)
                                                    or w.write_through(2, 2)
                                                    or w.executed.contains(UUID, 2)))
    b.start()
    b.join(0.2)
    assert b.is_alive(), "write_through returned before the events were in the file"
    release.set()
    a.join(5)
    b.join(5)
    assert done == [True]
    monkeypatch.setattr(bl.os, "pwrite", real)
    w.close()


def test_failed_append_keeps_the_transactions_in_order(d, monkeypatch):
    """A write error must not drop the group it took from the queue: the retry writes it,
    before what came after, so the binlog has no gap and no reordering."""
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    real = os.pwrite
    calls = []

    def fail_once(fd, data, off):
        if not calls:
            calls.append(1)
            raise OSError(28, "No space left on device")
        return real(fd, data, off)

    monkeypatch.setattr(bl.os, "pwrite", fail_once)
    w.enqueue(2, 2, ddl(2))
    with pytest.raises(OSError):
        w.write_through(2)
    assert not w.executed.contains(UUID, 2)
    commit(w, 3)
    w.close()
    assert gtids_of(os.path.join(d, "binlog.000001")) == [1, 2, 3]


def test_failed_rotation_is_finished_before_the_next_append(d, monkeypatch):
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    real = BinlogWriter._start_file
    monkeypatch.setattr(BinlogWriter, "_start_file",
                        lambda self, *a: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(OSError):
        w.rotate()
    monkeypatch.setattr(BinlogWriter, "_start_file", real)
    commit(w, 2)
    w.close()
    p1, p2 = (os.path.join(d, n) for n in ("binlog.000001", "binlog.000002"))
    assert last_event(p1).kind == fmt.EventType.ROTATE and gtids_of(p1) == [1]
    assert gtids_of(p2) == [2] and list_index(d) == ["binlog.000001", "binlog.000002"]


def test_close_writes_only_what_the_redo_made_durable(d):
    """After a failed redo fsync the engine closes without a clean shutdown: a commit whose
    redo may be lost must not reach the binlog (the next open refills what redo has)."""
    w = BinlogWriter.open(d, UUID)
    commit(w, 1, lsn=10)
    w.enqueue(20, 2, ddl(2))  # published, its redo never made durable
    w.close()
    assert gtids_of(os.path.join(d, "binlog.000001")) == [1]
    w = BinlogWriter.open(d, UUID)
    w.enqueue(30, 2, ddl(2))
    w.close(30)  # a clean shutdown passes the LSN it made durable
    assert gtids_of(os.path.join(d, "binlog.000001")) == [1, 2]


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_no_fd_leak_when_a_file_cannot_be_started(d, monkeypatch):
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    n = _fds()
    real = os.fsync

    def fsync(fd):  # the new file's fsync fails, the current one's works
        if fd != w._fd:
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(bl.os, "fsync", fsync)
    for _ in range(3):
        with pytest.raises(OSError):
            w.rotate()
    monkeypatch.setattr(bl.os, "fsync", real)
    assert _fds() == n
    w.close()


def test_no_fd_leak_when_the_open_fails(d, monkeypatch):
    w = BinlogWriter.open(d, UUID)
    commit(w, 1)
    w.close()
    n = _fds()
    for _ in range(3):
        with pytest.raises(CorruptionError):
            BinlogWriter.open(d, OTHER)
    monkeypatch.setattr(BinlogWriter, "_write_index",
                        lambda self: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(OSError):
        BinlogWriter.open(d, UUID)
    assert _fds() == n


def test_commit_is_queued_before_a_checkpoint_can_pass_it(tmp_path):
    """The events are queued under the commit pipeline's state lock, with the commit's
    append: a checkpoint computed right after the commit is published finds them queued
    (it used to be possible for it to pass the commit before its events were queued, so
    neither its fsync nor the redo it kept covered them)."""
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True, flush_interval=0)
    eng = c._db.engine
    seen = []
    real = eng.publish_commit

    def publish(*a, **k):
        end = real(*a, **k)
        seen.append([lsn for lsn, _s, _d in eng.binlog._queue])
        seen[-1].append(end)
        return end

    eng.publish_commit = publish
    c.cursor().execute("CREATE TABLE t (a INT PRIMARY KEY)")
    c.cursor().execute("INSERT INTO t VALUES (1)")
    del eng.publish_commit
    c.close()
    assert seen and all(s[-1] in s[:-1] for s in seen), seen


# -- the capture (core.sql.binlog_capture) ---------------------------------------------------


def _kinds(path: str) -> list[list[str]]:
    return [[ev.name for ev in t.events]
            for t in transactions(files_of(path), keep_events=True)]


def test_capture_single_row_insert_is_five_events_and_images_are_the_committed_ones(tmp_path):
    p = str(tmp_path / "db")
    c = core.connect(p, create=True, autocommit=False)
    cur = c.cursor()
    cur.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    cur.execute("INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
    c.commit()
    cur.execute("INSERT INTO t VALUES (9, 90)")
    c.commit()
    # one transaction: updated twice (one update, the first before-image), inserted then
    # deleted (nothing), deleted then inserted again (an update), plain delete
    cur.execute("UPDATE t SET b = 11 WHERE a = 1")
    cur.execute("UPDATE t SET b = 12 WHERE a = 1")
    cur.execute("INSERT INTO t VALUES (5, 50)")
    cur.execute("DELETE FROM t WHERE a = 5")
    cur.execute("DELETE FROM t WHERE a = 2")
    cur.execute("INSERT INTO t VALUES (2, 21)")
    cur.execute("DELETE FROM t WHERE a = 3")
    c.commit()
    c.close()
    assert _kinds(p)[2] == ["Gtid", "Query", "Table_map", "Write_rows", "Xid"]
    last = list(transactions(files_of(p)))[-1]
    got = sorted((r.kind, r.handle, r.before, r.after) for r in last.tables[0].rows)
    assert got == [("delete", 3, [3, 30], None), ("update", 1, [1, 10], [1, 12]),
                   ("update", 2, [2, 20], [2, 21])]
    assert _kinds(p)[3] == ["Gtid", "Query", "Table_map", "Delete_rows", "Update_rows", "Xid"]


def test_capture_cuts_big_row_events_near_the_limit_and_keeps_every_row():
    from core.sql.binlog_capture import _chunked

    items = [[i.to_bytes(8, "big"), b"x" * (100 if i % 50 else 5000)] for i in range(40_000)]
    events = list(_chunked(fmt.EventType.WRITE_ROWS, 1.0, 3, items))
    assert len(events) > 3
    assert all(len(e) < 3 * fmt.ROWS_EVENT_BYTES for e in events)
    import msgpack

    back = [it for e in events for it in msgpack.unpackb(e[8:], raw=False)[3]]
    assert back == items
    assert list(_chunked(fmt.EventType.WRITE_ROWS, 1.0, 3, [])) == []
    # skewed: the big rows all fall in the last cut, which is cut again row by row
    skewed = [[b"k%d" % i, b"y" * 10] for i in range(1000)] + [[b"b", b"z" * 900_000]] * 5
    events = list(_chunked(fmt.EventType.WRITE_ROWS, 1.0, 3, skewed))
    assert all(len(e) < 2 * fmt.ROWS_EVENT_BYTES for e in events)
    assert [it for e in events for it in msgpack.unpackb(e[8:], raw=False)[3]] == skewed
