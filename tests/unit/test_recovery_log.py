"""The recovery log as InnoDB writes it: the events of a crashed open in their documented
order, their (level, text) lines, several apply batches each with its own 10% steps, and
`kintsugi.err` in MySQL 8's line shape."""

from __future__ import annotations

import os
import re
import stat

import pytest

from core.errors import LogCorruptionError
from core.events import (
    CheckpointFound,
    DatabaseOpened,
    EventLog,
    FlushDone,
    RecoveryFinished,
    RecoveryStarted,
    RedoApplyBatch,
    RedoApplyBatchDone,
    RedoApplyProgress,
    RedoScanDone,
    RedoScanProgress,
    TransactionDiscarded,
    TransactionsToRollBack,
    TrxIdCounter,
)
from core.events.wording import engine_version, format_event, log_lines
from core.kv import Engine
from core.log.record import HEADER_SIZE
from core.log.segment import list_segments
from core.recovery import redo_apply
from tests.damage import crash, spill_open

ERR_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z 0 \[(Note|Warning|ERROR)\] \[KintsugiDB\] \S.*$")


def crashed_database(path: str, commits: int = 30, rows: int = 20) -> dict:
    """`commits` transactions of `rows` rows each in table db.t, only in the redo log, and
    one transaction left open with 3 rows spilled to the log."""
    eng = Engine.open(path, create=True, flush_interval=0, spill_limit=1 << 30)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    for i in range(commits):
        with eng.begin() as txn:
            for j in range(rows):
                txn.put(sid, b"k%04d-%03d" % (i, j), b"v")
    open_txn = eng.begin()
    for k in (b"x", b"y", b"z"):
        open_txn.put(sid, k, b"1")
    spill_open(open_txn)  # its rows reach the log (and a spill file), never a COMMIT
    end = eng.log.end_lsn
    crash(eng)
    return {"sid": sid, "open_trx": open_txn.trx_id, "end": end}


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(redo_apply, "APPLY_BATCH_OPS", 250)


def texts(events) -> list[str]:
    return [text for e in events for _level, text in log_lines(e)]


def test_a_crashed_open_says_what_innodb_says_in_its_order(db_path, small_batches):
    info = crashed_database(db_path)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, sink=log) as eng:
        with eng.snapshot() as snap:
            assert sum(1 for _ in snap.scan(info["sid"])) == 600
    batches = log.of(RedoApplyBatch)
    # 601 row operations (the space map entry and 600 rows) in batches of about 250, cut at
    # commit boundaries: several batches, each its own lines
    assert [b.records for b in batches] == [261, 260, 80]
    assert [b.batch for b in batches] == [1, 2, 3]
    assert all(b.start_lsn < b.end_lsn for b in batches)
    assert [b.start_lsn for b in batches[1:]] == [b.end_lsn for b in batches[:-1]]

    trx = info["open_trx"]
    end = info["end"]
    steps = [f"{p}%" for p in range(10, 101, 10)]
    expected = [
        "Database was not shutdown normally!",
        "Starting crash recovery.",
        "The latest found checkpoint is at lsn = 8192 in redo log file ./#redo/redo.00000001",
        f"Doing recovery: scanned up to log sequence number {end}",
        f"Redo scan done: 33 records from lsn 8192 to {end}; 31 committed transaction(s), "
        "1 without COMMIT",
        "Applying a batch of 261 redo log records ...", *steps, "Apply batch completed!",
        "Applying a batch of 260 redo log records ...", *steps, "Apply batch completed!",
        # a batch of at most 100 records prints only 100% (InnoDB's log0recv.cc)
        "Applying a batch of 80 redo log records ...", "100%", "Apply batch completed!",
        "1 transaction(s) which must be rolled back or cleaned up in total 3 row operations "
        "to undo",
        f"Trx id counter is {trx + 1}",
        f"Rolling back trx with id {trx}, 3 rows to undo",
    ]
    lines = texts(log.events)
    assert lines[:len(expected)] == expected
    honest = lines[len(expected)]
    assert honest.startswith(f"Rolled back trx with id {trx}: it did not commit")
    assert "nothing it wrote had reached a tablespace" in honest
    assert "spill file" in honest and honest.endswith("tables touched: db.t")
    assert lines[len(expected) + 1].startswith("Recovery finished in ")
    assert lines[-1] == f"KintsugiDB {engine_version()} started; log sequence number {end}"
    assert len(lines) == len(expected) + 3

    kinds = [type(e) for e in log.events]
    assert kinds[:3] == [RecoveryStarted, CheckpointFound, RedoScanProgress]
    assert kinds[-4:] == [TrxIdCounter, TransactionDiscarded, RecoveryFinished, DatabaseOpened]
    assert kinds.index(TransactionsToRollBack) == kinds.index(TrxIdCounter) - 1
    # per-batch percents; cumulative counts end at the total
    progress = log.of(RedoApplyProgress)
    assert [(p.batch, p.percent) for p in progress if p.batch == 3] == [(3, 100)]
    assert [p.percent for p in progress if p.batch == 1] == list(range(10, 101, 10))
    done = log.of(RedoApplyBatchDone)
    assert [d.applied for d in done] == [261, 521, 601] and done[-1].total == 601
    finished = log.of(RecoveryFinished)[0]
    assert finished.batches == 3 and finished.applied_records == 601
    # levels: all Notes on a healthy crash
    assert {lvl for e in log.events for lvl, _ in log_lines(e)} == {"Note"}


def test_scan_progress_repeats_every_few_megabytes_with_an_end_estimate(db_path, monkeypatch):
    monkeypatch.setattr(redo_apply, "SCAN_REPORT_BYTES", 4096)
    info = crashed_database(db_path, commits=40, rows=30)
    log = EventLog()
    Engine.open(db_path, flush_interval=0, sink=log).close()
    scans = log.of(RedoScanProgress)
    assert len(scans) >= 3
    assert [s.scanned_lsn for s in scans] == sorted(s.scanned_lsn for s in scans)
    assert all(s.start_lsn == 8192 for s in scans)
    # a bar of scanned against the estimate never goes past 100% and ends there
    assert all(s.scanned_lsn <= s.end_estimate for s in scans)
    assert scans[-1].scanned_lsn == scans[-1].end_estimate == info["end"]
    assert log.of(RedoScanDone)[0].end_lsn == info["end"]


def test_a_large_log_is_applied_in_many_bounded_batches(db_path, monkeypatch):
    monkeypatch.setattr(redo_apply, "APPLY_BATCH_OPS", 1000)
    crashed_database(db_path, commits=50, rows=200)  # 10,001 row operations
    log = EventLog()
    Engine.open(db_path, flush_interval=0, sink=log).close()
    batches = log.of(RedoApplyBatch)
    assert len(batches) == 10
    assert all(b.records <= 1200 for b in batches)  # bounded: cut at the next commit
    assert sum(b.records for b in batches) == 10_001
    # each batch its own 10 steps, never a line per record
    assert len(log.of(RedoApplyProgress)) == 10 * len(batches)
    assert len(texts(log.events)) < 150


def test_format_event_is_the_join_of_the_lines():
    started = RecoveryStarted(checkpoint_lsn=9, path="/db")
    assert format_event(started) == "Database was not shutdown normally! Starting crash recovery."
    assert log_lines(RecoveryStarted(9, "/db", force_recovery=2))[-1] == \
        ("Warning", "!!! force_recovery is set to 2 !!!")
    assert format_event(RedoApplyProgress(applied=5, total=10, percent=50)) == "50%"
    assert format_event(FlushDone(1, 2, 3, 0.1)) is None and log_lines(FlushDone(1, 2, 3, 0)) == []
    discarded = TransactionDiscarded(7, 3, ("db.t",), kept=True)
    assert log_lines(discarded)[0][0] == "Warning"
    assert "spill file is left" in format_event(discarded)
    left = TransactionsToRollBack(2, 5, left=True)
    assert log_lines(left)[0][0] == "Warning" and "left as found" in format_event(left)


def test_the_error_log_has_mysql_8_lines(db_path, small_batches):
    crashed_database(db_path)
    err = os.path.join(db_path, "kintsugi.err")
    before = open(err).read().splitlines()  # the creating open wrote its lines too
    Engine.open(db_path, flush_interval=0).close()
    lines = open(err).read().splitlines()[len(before):]
    assert lines and all(ERR_LINE.match(line) for line in lines), lines
    assert stat.S_IMODE(os.stat(err).st_mode) == 0o600
    messages = [line.split("[KintsugiDB] ", 1)[1] for line in lines]
    assert messages[:2] == ["Database was not shutdown normally!", "Starting crash recovery."]
    assert "Apply batch completed!" in messages
    assert messages[-2].startswith(f"KintsugiDB {engine_version()} started")
    assert messages[-1].startswith("Shutdown completed; log sequence number ")
    # work during the open (flushes, checkpoints) is not the error log's business
    with Engine.open(db_path, flush_interval=0) as eng:
        with eng.begin() as txn:
            txn.put(1, b"k", b"v")
        eng.flush()
    again = open(err).read().splitlines()[len(before) + len(lines):]
    assert len(again) == 2 and "started" in again[0] and "Shutdown completed" in again[1]


def test_a_refused_open_and_a_forced_one_still_write_the_error_log(db_path):
    info = crashed_database(db_path, commits=6, rows=3)
    seg = list_segments(os.path.join(db_path, "#redo"), None)[0]
    # damage the body of a record in the committed middle of the log
    eng_end = info["end"]
    with open(seg.path, "r+b") as f:
        off = seg.file_offset(8192) + 200
        f.seek(off)
        f.write(bytes(b ^ 0xFF for b in f.read(4)))
    err = os.path.join(db_path, "kintsugi.err")
    size = os.path.getsize(err)
    with pytest.raises(LogCorruptionError) as refused:
        Engine.open(db_path, flush_interval=0)
    tail = open(err).read()[size:].splitlines()
    assert ERR_LINE.match(tail[-1]) and "[ERROR]" in tail[-1]
    assert f"ERROR {refused.value.errno} (HY000)" in tail[-1]
    size = os.path.getsize(err)
    with Engine.open(db_path, flush_interval=0, force_recovery=1) as eng:
        assert eng.read_only
    tail = open(err).read()[size:].splitlines()
    assert all(ERR_LINE.match(line) for line in tail)
    assert any("[Warning]" in line and "was not applied" in line for line in tail)
    assert any("[Warning]" in line and "open read-only" in line for line in tail)
    assert eng_end > 8192 + HEADER_SIZE


def test_an_error_log_that_cannot_be_written_never_fails_the_open(db_path):
    Engine.open(db_path, create=True, flush_interval=0).close()
    err = os.path.join(db_path, "kintsugi.err")
    os.unlink(err)
    os.mkdir(err)  # opening it for appending fails
    with Engine.open(db_path, flush_interval=0) as eng:
        assert not eng.closed
    assert os.path.isdir(err)


def test_every_batch_reaches_100_percent_when_its_records_rewrite_the_same_rows(db_path):
    """Records that rewrite one row are applied once: the parts applied add up to fewer than
    the batch's records, and the steps must still reach 100% before "Apply batch completed!"
    (they stopped at 60% for a table of rows updated a few times each)."""
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    for i in range(40):
        with eng.begin() as txn:
            for j in range(10):
                txn.put(sid, b"row%02d" % j, b"v%d" % i)  # the same 10 rows, 40 times
    crash(eng)
    log = EventLog()
    Engine.open(db_path, sink=log, flush_interval=0).close()
    [batch] = log.of(RedoApplyBatch)
    assert batch.records >= 400  # and the space map entry of CREATE
    steps = [e.percent for e in log.of(RedoApplyProgress)]
    assert steps == list(range(10, 101, 10))
    kinds = [type(e) for e in log.events]
    assert kinds.index(RedoApplyBatchDone) > max(
        i for i, k in enumerate(kinds) if k is RedoApplyProgress)
