"""Redo-log framing, segments, torn tails and corruption."""

from __future__ import annotations

import os
import threading

import pytest

from core.errors import LogCorruptionError
from core.log import record
from core.log.control import SLOT_SIZE, ControlData, ControlFile
from core.log.record import HEADER_SIZE, check_frame, decode_body, frame
from core.log.redo import RedoLog
from core.log.scanner import LogScanner
from core.log.segment import SEGMENT_HEADER_SIZE, create_segment, list_segments

UUID = b"0123456789abcdef"
START = 8192


def new_log(tmp_path, segment_size=64 * 1024) -> RedoLog:
    d = str(tmp_path / "redo")
    os.makedirs(d, exist_ok=True)
    seg = create_segment(d, 1, START, UUID, segment_size)
    return RedoLog(d, UUID, [seg], START, segment_size)


def scan(log_or_dir, from_lsn=START, allow=False):
    d = log_or_dir if isinstance(log_or_dir, str) else log_or_dir.redo_dir
    sc = LogScanner(list_segments(d, UUID), from_lsn, allow_corruption=allow)
    recs = [(lsn, decode_body(b)) for lsn, b in sc.records()]
    return recs, sc.end


def test_frame_round_trip_and_each_kind_of_damage():
    body = record.commit_body(7, 1.5)
    buf = frame(100, body)
    assert check_frame(buf, 0, 100) == (len(body), "")
    assert check_frame(buf, 0, 101)[1] == "record says lsn 100"
    assert check_frame(buf[:-1], 0, 100)[1].startswith("wanted")
    assert check_frame(buf[:10], 0, 100)[1] == "short header"
    assert check_frame(bytes(32), 0, 100)[1] == "zero header"
    flipped = bytearray(buf)
    flipped[-1] ^= 1
    assert check_frame(bytes(flipped), 0, 100)[1] == "checksum mismatch"


def test_lsn_is_the_byte_offset_and_records_read_back(tmp_path):
    log = new_log(tmp_path)
    first, end = log.append([record.commit_body(1, 0.0), record.abort_body(2)])
    assert first == START
    assert end == START + 2 * HEADER_SIZE + len(record.commit_body(1, 0.0)) + len(
        record.abort_body(2))
    log.sync(end)
    recs, stop = scan(log)
    assert [r[0] for r in recs] == [START, START + HEADER_SIZE + len(record.commit_body(1, 0.0))]
    assert recs[0][1][:2] == [record.RecordType.COMMIT, 1]
    assert stop.lsn == end and not stop.torn


def test_rows_bodies_chunk_and_keep_every_operation():
    ops = [(3, b"k%06d" % i, b"v" * 100 if i % 3 else None) for i in range(30_000)]
    bodies = record.rows_bodies(9, ops)
    assert len(bodies) > 1
    decoded = [tuple(op) for b in bodies for op in decode_body(b)[2]]
    assert decoded == ops


def test_segment_switch_keeps_lsns_contiguous(tmp_path):
    log = new_log(tmp_path, segment_size=SEGMENT_HEADER_SIZE + 1000)
    lsns = []
    for i in range(200):
        first, end = log.append([record.commit_body(i, 0.0)])
        lsns.append(first)
    log.sync()
    assert len(log.segments) > 3
    recs, stop = scan(log)
    assert [r[0] for r in recs] == lsns
    assert [r[1][1] for r in recs] == list(range(200))
    assert stop.lsn == log.end_lsn


def test_record_larger_than_a_segment_gets_a_segment_of_its_own(tmp_path):
    log = new_log(tmp_path, segment_size=SEGMENT_HEADER_SIZE + 1000)
    big = record.rows_bodies(1, [(1, b"k", b"x" * 5000)])
    log.append([record.commit_body(0, 0.0)])
    log.append(big + [record.commit_body(1, 0.0)])
    log.sync()
    recs, _ = scan(log)
    assert [r[1][0] for r in recs] == [2, 1, 2]


def test_torn_tail_is_cut_and_the_log_continues_there(tmp_path):
    log = new_log(tmp_path)
    log.append([record.commit_body(1, 0.0)])
    _, end = log.append([record.commit_body(2, 123.456)])
    log.sync()
    log.close()
    seg = log.segments[-1]
    # tear the second record: keep its header and half its body
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(end) - 5)
        f.write(b"\0" * 5)
    recs, stop = scan(log)
    assert [r[1][1] for r in recs] == [1]
    assert stop.torn and stop.reason == "checksum mismatch"
    # reopening for writes zeroes the tail, and the next record lands at the cut
    log2 = RedoLog(log.redo_dir, UUID, list_segments(log.redo_dir, UUID), stop.lsn, 64 * 1024)
    log2.append([record.commit_body(3, 0.0)])
    log2.sync()
    recs, stop2 = scan(log2)
    assert [r[1][1] for r in recs] == [1, 3]
    assert not stop2.torn


def test_bad_record_followed_by_good_ones_is_corruption(tmp_path):
    """Damage in an acknowledged record, found by a later group commit whose records say the
    log was durable past it."""
    log = new_log(tmp_path)
    log.append([record.commit_body(i, 0.0) for i in range(5)])
    log.sync()  # acknowledged
    log.append([record.commit_body(5, 0.0)])
    log.sync()  # a later group commit: its frame says "durable up to the end of the first"
    seg = log.segments[-1]
    second = START + HEADER_SIZE + len(record.commit_body(0, 0.0))
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(second) + 2)  # the record's length field
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x40]))
    with pytest.raises(LogCorruptionError) as err:
        scan(log)
    assert err.value.errno == 1877
    assert "durable up to" in str(err.value)
    recs, stop = scan(log, allow=True)  # force_recovery >= 1: stop at the damage
    assert len(recs) == 1 and stop.lsn == second


def test_damage_inside_the_last_unacknowledged_group_commit_is_a_torn_tail(tmp_path):
    """An OS crash during the last group commit's write may lose a page in the middle of it;
    nothing of that write was acknowledged, so it is cut, not reported as corruption."""
    log = new_log(tmp_path)
    log.append([record.commit_body(0, 0.0)])
    first_end = log.sync()
    log.append([record.commit_body(i, 1.5) for i in range(1, 6)])
    log.sync()  # written together; pretend the machine died before this returned
    seg = log.segments[-1]
    second = first_end + HEADER_SIZE + len(record.commit_body(1, 1.5))
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(second) + HEADER_SIZE + 1)
        f.write(b"\xff\xff")
    recs, stop = scan(log)
    assert [r[1][1] for r in recs] == [0, 1]
    assert stop.torn and stop.lsn == second


def test_the_control_file_knows_what_was_durable(tmp_path):
    """Damage below the durable LSN the control file recorded is corruption even when no
    valid record follows it."""
    log = new_log(tmp_path)
    log.append([record.commit_body(i, 1.5) for i in range(3)])
    end = log.sync()
    seg = log.segments[-1]
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(START) + HEADER_SIZE + 1)
        f.write(b"\xff")
    sc = LogScanner(list_segments(log.redo_dir, UUID), START, known_durable=end)
    with pytest.raises(LogCorruptionError):
        list(sc.records())


def test_segment_from_another_database_is_refused(tmp_path):
    log = new_log(tmp_path)
    log.close()
    with pytest.raises(LogCorruptionError, match="another database"):
        list_segments(log.redo_dir, b"x" * 16)


def test_group_commit_shares_fdatasyncs_between_threads(tmp_path):
    log = new_log(tmp_path, segment_size=8 * 1024 * 1024)
    n_threads, per_thread = 8, 40
    barrier = threading.Barrier(n_threads)

    def worker(t):
        barrier.wait()
        for i in range(per_thread):
            _, end = log.append([record.commit_body(t * 1000 + i, 0.0)])
            log.sync(end)
            assert log.durable_lsn >= end

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = n_threads * per_thread
    assert log.syncs < total, "every commit paid its own fdatasync: no grouping"
    recs, _ = scan(log)
    assert sorted(r[1][1] for r in recs) == sorted(
        t * 1000 + i for t in range(n_threads) for i in range(per_thread))


def test_recycle_removes_segments_below_the_checkpoint(tmp_path):
    log = new_log(tmp_path, segment_size=SEGMENT_HEADER_SIZE + 1000)
    for i in range(200):
        log.append([record.commit_body(i, 0.0)])
    log.sync()
    before = len(log.segments)
    cut = log.segments[3].start_lsn
    removed = log.recycle_below(cut)
    assert removed == [1, 2, 3]
    assert len(log.segments) == before - 3
    recs, _ = scan(log, from_lsn=cut)
    assert recs[0][0] == cut


def test_control_file_survives_a_torn_slot(tmp_path):
    cf = ControlFile(str(tmp_path / "control"))
    cf.write(ControlData(uuid=UUID, checkpoint_lsn=100, clean_shutdown=False))
    cf.write(ControlData(uuid=UUID, checkpoint_lsn=200, clean_shutdown=True))
    assert ControlFile(cf.path).read().checkpoint_lsn == 200
    # damage the newest slot: the older one is used
    newest = ControlFile(cf.path).read().seq % 2
    with open(cf.path, "r+b") as f:
        f.seek(newest * SLOT_SIZE + 10)
        f.write(b"garbage")
    data = ControlFile(cf.path).read()
    assert data.checkpoint_lsn == 100 and data.clean_shutdown is False


def test_recycled_segment_becomes_the_spare_and_the_next_switch_reuses_it(tmp_path):
    size = SEGMENT_HEADER_SIZE + 1000
    log = new_log(tmp_path, segment_size=size)
    for i in range(60):
        log.append([record.commit_body(i, 0.0)])
    log.sync()
    assert len(log.segments) >= 3
    removed = log.recycle_below(log.segments[-1].start_lsn)
    assert removed and os.path.exists(log.spare_path)
    spare_inode = os.stat(log.spare_path).st_ino
    while not any(os.stat(s.path).st_ino == spare_inode for s in log.segments):
        log.append([record.commit_body(99, 0.0)])
    assert not os.path.exists(log.spare_path)
    log.sync()
    recs, stop = scan(log, from_lsn=log.segments[0].start_lsn)
    assert recs and not stop.torn  # old records in the reused file are not mistaken for new
    assert log.prepare_spare() is True and os.path.exists(log.spare_path)
    assert log.prepare_spare() is False


def test_a_short_write_never_leaves_a_short_segment(tmp_path, monkeypatch):
    """A nearly full file system writes what fits and returns the count: the segment must
    not be renamed into place shorter than its size (the next open calls that damage); the
    next write raises ENOSPC and the temporary file is removed."""
    import errno as errno_mod

    from core.log import segment as segmod

    real_write = os.write
    room = {"left": 300_000}

    def short_write(fd, data):
        n = min(len(data), room["left"])
        if n == 0:
            raise OSError(errno_mod.ENOSPC, "No space left on device")
        room["left"] -= n
        return real_write(fd, data[:n])

    monkeypatch.setattr(segmod.os, "write", short_write)
    with pytest.raises(OSError) as e:
        segmod.create_segment(str(tmp_path), 2, 8192, b"u" * 16, 1 << 20)
    assert e.value.errno == errno_mod.ENOSPC
    assert os.listdir(tmp_path) == []
