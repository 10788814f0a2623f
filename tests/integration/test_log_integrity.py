"""Damage to the redo log and its neighbours that used to pass for a clean end, or block an
open that needs no redo: truncated and missing segments, a damaged COMMIT, counting what is
lost, a discard killed half-way, damaged control-file slots, level 6 over a broken log, the
level-3 summary, an error log that is not a regular file, a planted `#redo` symlink.

Real directories; a crash is an engine stopped as SIGKILL would stop it (log synced,
nothing flushed, no SHUTDOWN), or a real SIGKILL of a subprocess where the moment matters."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from core.errors import CorruptionError, LogCorruptionError
from core.events import (
    DamagedLogKept,
    EventLog,
    RecoveryFinished,
    RecoveryStarted,
    RecoveryWarning,
    RedoSkipped,
    TablespaceMissing,
    TransactionDiscarded,
)
from core.events.wording import log_lines
from core.kv import Engine
from core.log.control import SLOT_SIZE, ControlFile
from core.log.record import HEADER_SIZE, RecordType, decode_body
from core.log.scanner import LogScanner
from core.log.segment import list_segments
from core.recovery.history import read_history
from tests.damage import crash, rows, spill_open

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1 << 20


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "db")


def wide_commits(path: str, n: int, *, size: int = 30_000, create: bool = True) -> dict:
    """`n` committed one-row transactions of `size` bytes on db.wide (1 MiB segments: 30
    KiB rows fill one in about 34 commits), then a crash."""
    eng = Engine.open(path, create=create, flush_interval=0, segment_size=MIB)
    with eng.begin() as txn:
        sid = txn.create_space("db", "wide")
    starts = []
    for i in range(n):
        starts.append(eng.log.end_lsn)
        with eng.begin() as txn:
            txn.put(sid, b"k%05d" % i, bytes([i % 251]) * size)
    end = eng.log.end_lsn
    crash(eng)
    return {"sid": sid, "starts": starts, "end": end}


def segments(path: str):
    return list_segments(os.path.join(path, "#redo"), None)


def flip(path: str, offset: int, n: int = 4) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        raw = f.read(n)
        f.seek(offset)
        f.write(bytes(b ^ 0x5A for b in raw))


# -- 1. a truncated segment -----------------------------------------------------------------


def test_a_truncated_segment_is_damage_not_a_torn_tail(db_path):
    info = wide_commits(db_path, 25)  # ~750 KiB, all in the first 1 MiB segment
    (seg,) = segments(db_path)
    os.truncate(seg.path, 400_000)
    kept = len([s for s in info["starts"] if seg.file_offset(s) + 30_000 < 400_000])
    with pytest.raises(LogCorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1877
    assert "redo.00000001" in err.value.msg and "400000 bytes" in err.value.msg
    assert f"expected {MIB}" in err.value.msg
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        (s,) = log.of(RedoSkipped)
        assert "redo.00000001 is truncated: 400000 bytes" in s.reason
        assert len(rows(eng, info["sid"])) == kept
        assert eng.last_recovery.skipped_lsn_range.startswith(f"{s.from_lsn}-")
    with Engine.open(db_path, flush_interval=0, force_recovery=1,
                     discard_damaged_log=True) as eng:  # the log goes on from the cut
        with eng.begin() as txn:
            txn.put(info["sid"], b"after", b"1")
    assert os.path.getsize(seg.path) == MIB  # ended there, and whole again
    with Engine.open(db_path, flush_interval=0) as eng:
        assert len(rows(eng, info["sid"])) == kept + 1


# -- 2. a missing segment ---------------------------------------------------------------------


def test_a_deleted_newest_segment_is_damage(db_path):
    info = wide_commits(db_path, 80)  # three segments
    segs = segments(db_path)
    assert [s.seq for s in segs] == [1, 2, 3]
    os.unlink(segs[-1].path)
    with pytest.raises(LogCorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1877 and "segment redo.00000003 is missing" in err.value.msg
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        (s,) = log.of(RedoSkipped)
        assert s.reason == "segment redo.00000003 is missing" and s.uncounted
        assert "at least 0 committed" in " ".join(t for _lvl, t in log_lines(s))
        assert len(rows(eng, info["sid"])) < 80


def test_a_gap_in_the_segments_names_the_missing_one(db_path):
    wide_commits(db_path, 80)
    segs = segments(db_path)
    os.unlink(segs[1].path)
    with pytest.raises(LogCorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert "segment redo.00000002 is missing" in err.value.msg
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log):
        (s,) = log.of(RedoSkipped)
        assert s.reason == "segment redo.00000002 is missing"
        assert "zero header" not in s.reason
        assert s.commits > 0  # the commits of redo.00000003 are counted


def test_the_control_file_learns_each_new_segment(db_path):
    wide_commits(db_path, 80)
    assert ControlFile(os.path.join(db_path, "control")).read().last_segment == 3


# -- 3./4. what a damaged record costs --------------------------------------------------------


def _records(path: str) -> list[tuple[int, int, int]]:
    out = []
    for lsn, body in LogScanner(segments(path), 8192).records():
        rec = decode_body(body)
        out.append((lsn, rec[0], rec[1] if len(rec) > 1 else 0))
    return out


def test_a_damaged_commit_leaves_an_unknown_outcome_not_a_rollback(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        big = txn.create_space("db", "big")
        small = txn.create_space("db", "small")
    with eng.begin() as txn:  # over 1 MiB: ROWS records, then a COMMIT record
        for i in range(3000):
            txn.put(big, b"r%05d" % i, b"z" * 500)
        big_trx = txn.trx_id
    for i in range(5):
        with eng.begin() as txn:
            txn.put(small, b"s%d" % i, b"1")
    crash(eng)
    (commit_lsn,) = [lsn for lsn, kind, trx in _records(db_path)
                     if kind == RecordType.COMMIT and trx == big_trx]
    (seg,) = segments(db_path)
    flip(seg.path, seg.file_offset(commit_lsn) + HEADER_SIZE + 4)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        assert not [d for d in log.of(TransactionDiscarded) if d.trx_id == big_trx]
        (s,) = log.of(RedoSkipped)
        assert s.unknown == 1 and s.commits == 5
        assert s.tables == ("db.big", "db.small")
        text = " ".join(t for _lvl, t in log_lines(s))
        assert "1 transaction(s) whose outcome is unknown" in text
        (fin,) = log.of(RecoveryFinished)
        assert fin.unknown_outcome == 1 and fin.discarded_transactions == 0
        assert "outcome is unknown" in eng.last_recovery.outcome


def test_a_zeroed_record_says_what_was_wrong(db_path):
    info = wide_commits(db_path, 20)
    (seg,) = segments(db_path)
    lsn = info["starts"][10]
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(lsn))
        f.write(bytes(HEADER_SIZE))
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log):
        (s,) = log.of(RedoSkipped)
        assert s.reason == f"damaged record at lsn {lsn}: zero header in the middle of the log"
        assert s.commits == 9  # the zeroed record cannot be read: only whole ones are counted


# -- 5. a discard killed after ending the log --------------------------------------------------


_KILL_BEFORE_HISTORY = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    import core.kv
    core.kv.Engine._record = lambda self, rec: os.kill(os.getpid(), signal.SIGKILL)
    core.kv.Engine.open({path!r}, flush_interval=0, force_recovery=1,
                        discard_damaged_log=True)
""")


def test_a_discard_killed_before_its_history_row_is_recorded_by_the_next_open(db_path):
    info = wide_commits(db_path, 20)
    (seg,) = segments(db_path)
    cut = info["starts"][12]
    flip(seg.path, seg.file_offset(cut) + HEADER_SIZE + 4)
    proc = subprocess.run([sys.executable, "-c",
                           _KILL_BEFORE_HISTORY.format(root=ROOT, path=db_path)],
                          capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    with Engine.open(db_path, flush_interval=0) as eng:  # the log was ended: it opens
        assert len(rows(eng, info["sid"])) == 12
        discards = [r for r in read_history(eng) if r.reason == "discard-damaged-log"]
        assert len(discards) == 1
        assert discards[0].end_lsn == cut and discards[0].skipped_commits == 8
        assert "died before" in discards[0].outcome
    with Engine.open(db_path, flush_interval=0) as eng:  # recorded once only
        assert len([r for r in read_history(eng) if r.reason == "discard-damaged-log"]) == 1


def test_the_error_log_says_the_log_was_ended_only_once_it_was(db_path):
    info = wide_commits(db_path, 20)
    (seg,) = segments(db_path)
    flip(seg.path, seg.file_offset(info["starts"][12]) + HEADER_SIZE + 4)
    code = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {ROOT!r})
        import core.kv
        core.kv.Engine.open({db_path!r}, flush_interval=0, force_recovery=1,
                            discard_damaged_log=True)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                          env=dict(os.environ, KINTSUGI_CRASH_AT="recovery.mid_apply"))
    assert proc.returncode == -9
    with open(os.path.join(db_path, "kintsugi.err"), encoding="utf-8") as f:
        assert "The redo log was ended" not in f.read()
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, discard_damaged_log=True,
                     sink=log):
        assert len(log.of(DamagedLogKept)) == 1
    with open(os.path.join(db_path, "kintsugi.err"), encoding="utf-8") as f:
        assert f.read().count("The redo log was ended") == 1


# -- 6. damaged control-file slots ------------------------------------------------------------


def _newest_slot(path: str) -> int:
    return ControlFile(os.path.join(path, "control")).read().seq % 2


def test_a_damaged_newest_control_slot_is_not_a_clean_shutdown(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    eng.close()  # the newest slot says: clean
    eng = Engine.open(db_path, flush_interval=0)  # writes the other slot: not clean
    for i in range(50):
        with eng.begin() as txn:
            txn.put(sid, b"k%d" % i, b"v")
    crash(eng)
    slot = _newest_slot(db_path)
    flip(os.path.join(db_path, "control"), slot * SLOT_SIZE + 20)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, sink=log) as eng:
        (w,) = log.of(RecoveryWarning)
        assert f"damaged slot {slot}" in w.message
        assert log.of(RecoveryStarted)  # "Database was not shutdown normally!"
        assert len(rows(eng, sid)) == 50
        assert eng.last_recovery is not None and eng.last_recovery.reason == "crash"


def test_both_control_slots_damaged_refuse_except_at_level_6(db_path):
    info = wide_commits(db_path, 5)
    for slot in (0, 1):
        flip(os.path.join(db_path, "control"), slot * SLOT_SIZE + 20)
    with pytest.raises(CorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1877 and "both slots" in err.value.msg
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=6, sink=log) as eng:
        assert eng.read_only
        assert any("both slots" in w.message for w in log.of(RecoveryWarning))
        assert rows(eng, info["sid"]) == []  # nothing was ever flushed: the files as they are


# -- 7. level 6 over an unusable log ----------------------------------------------------------


def test_level_6_opens_over_a_damaged_segment_header(db_path):
    info = wide_commits(db_path, 5)
    (seg,) = segments(db_path)
    flip(seg.path, 12, 1)
    with pytest.raises(LogCorruptionError):
        Engine.open(db_path, flush_interval=0)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=6, sink=log) as eng:
        (w,) = log.of(RecoveryWarning)
        assert "header checksum mismatch" in w.message
        assert rows(eng, info["sid"]) == []


def test_level_6_opens_without_the_checkpoint_segment(db_path):
    info = wide_commits(db_path, 5)
    (seg,) = segments(db_path)
    os.unlink(seg.path)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=6, sink=log) as eng:
        assert log.of(RecoveryWarning)
        assert rows(eng, info["sid"]) == []


# -- 8. the level-3 summary -------------------------------------------------------------------


def test_level_3_summary_says_kept_not_rolled_back(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    txn = eng.begin()
    txn.put(sid, b"open", b"x")
    spill_open(txn)
    crash(eng)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=3, sink=log) as eng:
        (fin,) = log.of(RecoveryFinished)
        text = " ".join(t for _lvl, t in log_lines(fin))
        assert "1 transaction(s) left as found, not rolled back" in text
        assert "rolled back;" not in text.replace("not rolled back", "")
        assert eng.last_recovery.transactions_rolled_back == 0
        assert "not rolled back" in eng.last_recovery.outcome


# -- 9. the error log -------------------------------------------------------------------------


_OPEN = textwrap.dedent("""
    import sys; sys.path.insert(0, {root!r})
    from core.events import EventLog, RecoveryWarning
    from core.kv import Engine
    log = EventLog()
    Engine.open({path!r}, flush_interval=0, sink=log).close()
    print("|".join(w.message for w in log.of(RecoveryWarning)))
""")


def test_an_error_log_fifo_neither_hangs_nor_fails_the_open(db_path):
    Engine.open(db_path, create=True, flush_interval=0).close()
    err = os.path.join(db_path, "kintsugi.err")
    os.unlink(err)
    os.mkfifo(err)
    proc = subprocess.run([sys.executable, "-c", _OPEN.format(root=ROOT, path=db_path)],
                          capture_output=True, timeout=60, text=True)
    assert proc.returncode == 0, proc.stderr
    warnings = proc.stdout.strip().split("|")
    assert len(warnings) == 1 and "a FIFO" in warnings[0]


def test_an_error_log_symlink_is_refused_with_a_warning(db_path, tmp_path):
    Engine.open(db_path, create=True, flush_interval=0).close()
    err = os.path.join(db_path, "kintsugi.err")
    os.unlink(err)
    target = tmp_path / "elsewhere.txt"
    target.write_text("")
    os.symlink(target, err)
    log = EventLog()
    Engine.open(db_path, flush_interval=0, sink=log).close()
    (w,) = log.of(RecoveryWarning)
    assert "symbolic link" in w.message
    assert target.read_text() == ""


# -- 10. a planted #redo symlink --------------------------------------------------------------


def test_a_redo_symlink_is_refused(db_path, tmp_path):
    wide_commits(db_path, 3)
    moved = str(tmp_path / "elsewhere")
    shutil.move(os.path.join(db_path, "#redo"), moved)
    os.symlink(moved, os.path.join(db_path, "#redo"))
    with pytest.raises(CorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1877 and "symbolic link" in err.value.msg
    assert not glob.glob(os.path.join(moved, "*.tmp"))


# -- an unreadable tablespace file under force_recovery ------------------------------------


def test_an_unreadable_tablespace_is_left_out_like_a_missing_one(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
        keep = txn.create_space("db", "u")
    with eng.begin() as txn:
        txn.put(sid, b"a", b"1")
        txn.put(keep, b"b", b"2")
    eng.close()
    kdb = os.path.join(db_path, "db", "t.kdb")
    with open(kdb, "r+b") as f:
        f.write(bytes(range(256)) * 64)  # both meta pages garbage
    with pytest.raises(CorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1877 and "t.kdb" in err.value.msg
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        (m,) = log.of(TablespaceMissing)
        assert m.space_id == sid and m.table == "db.t" and "t.kdb" in m.reason
        assert "cannot be read" in " ".join(t for _lvl, t in log_lines(m))
        assert sid in eng.missing_spaces
        assert rows(eng, keep) == [b"b"]


def test_a_torn_last_record_is_said_in_the_history(db_path):
    """A damaged LAST record cannot be told from a write the crash cut short (InnoDB and
    PostgreSQL end the log there too): the open goes on, but the history's outcome says a
    torn record was cut and where, instead of a bare "recovered"."""
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    for i in range(5):
        with eng.begin() as txn:
            txn.put(sid, b"k%d" % i, b"v")
    last = eng.log.end_lsn
    with eng.begin() as txn:
        txn.put(sid, b"last", b"v" * 100)
    crash(eng)
    seg = [s for s in list_segments(os.path.join(db_path, "#redo"), None)
           if s.start_lsn <= last][-1]
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(last) + HEADER_SIZE + 20)
        byte = f.read(1)
        f.seek(seg.file_offset(last) + HEADER_SIZE + 20)
        f.write(bytes([byte[0] ^ 0xFF]))
    eng = Engine.open(db_path, flush_interval=0)
    try:
        assert b"last" not in rows(eng, sid) and b"k4" in rows(eng, sid)
        outcome = read_history(eng)[-1].outcome
    finally:
        eng.close()
    assert outcome.startswith("recovered; a torn record at the end of the log was cut at "
                              f"lsn {last}"), outcome


def test_a_create_that_fails_half_way_leaves_the_directory_as_it_was(tmp_path, monkeypatch):
    """A full disk while laying out a new database: the directory must not keep `#redo`,
    `#spill` or `system.kdb` without a control file (every later create refused it as a
    damaged database); once there is room, create works."""
    import errno as errno_mod

    from core.storage import lifecycle

    path = str(tmp_path / "db")

    def full(*_a, **_k):
        raise OSError(errno_mod.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(lifecycle.Tablespace, "create", full)
        with pytest.raises(Exception):  # noqa: B017 - whatever the mapping, then the check
            Engine.open(path, create=True)
    assert sorted(os.listdir(path)) in ([], ["LOCK"])
    Engine.open(path, create=True).close()
