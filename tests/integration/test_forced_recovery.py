"""Forced recovery that tells the truth: the levels 1, 3, 5 and 6, writes refused with 1881,
what a forced open could not apply counted past the damage (commits and tables), a missing
tablespace, and `discard_damaged_log`, which keeps the damaged segments and opens writable.

The databases are real directories; a crash is a process killed with SIGKILL, or (for the
KV-level cases that need the LSN of every commit) an engine stopped as a kill would stop it:
log synced, nothing flushed, no SHUTDOWN."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys

import pytest

import core
from core.errors import (
    ForcedRecoveryError,
    LogCorruptionError,
    ProgrammingError,
    TablespaceMissingError,
)
from core.events import (
    DamagedLogKept,
    EventLog,
    RecoveryStarted,
    RedoSkipped,
    TablespaceMissing,
    TornTailCut,
    TransactionDiscarded,
    TransactionsToRollBack,
)
from core.kv import Engine
from core.log.record import HEADER_SIZE
from core.log.segment import list_segments
from core.status import status_of
from tests.damage import crash, rows, spill_open

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def committed_then_open(path: str, commits: int = 200) -> dict:
    """`commits` single-row transactions on db.t (each one record, durable before the next
    begins), then one open transaction with 2 rows spilled to the log; nothing flushed."""
    eng = Engine.open(path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    starts = []  # the LSN each commit's record starts at
    for i in range(commits):
        starts.append(eng.log.end_lsn)
        with eng.begin() as txn:
            txn.put(sid, b"k%05d" % i, b"v%d" % i)
    end_commits = eng.log.end_lsn
    txn = eng.begin()
    txn.put(sid, b"open-1", b"x")
    txn.put(sid, b"open-2", b"x")
    spill_open(txn)
    end = eng.log.end_lsn
    crash(eng)
    return {"sid": sid, "starts": starts, "end_commits": end_commits, "end": end,
            "open_trx": txn.trx_id}


def damage(path: str, lsn: int) -> None:
    """Flip bytes in the body of the record at `lsn`."""
    for seg in list_segments(os.path.join(path, "#redo"), None):
        if seg.start_lsn <= lsn < seg.start_lsn + seg.capacity:
            with open(seg.path, "r+b") as f:
                f.seek(seg.file_offset(lsn) + HEADER_SIZE + 4)
                raw = f.read(4)
                f.seek(seg.file_offset(lsn) + HEADER_SIZE + 4)
                f.write(bytes(b ^ 0x5A for b in raw))
            return
    raise AssertionError(f"no segment holds lsn {lsn}")


# -- damage in the committed middle of the log ---------------------------------------------------


def test_a_forced_open_counts_the_commits_past_the_damage(db_path):
    info = committed_then_open(db_path)
    cut = info["starts"][100]  # the 101st commit's record is damaged
    damage(db_path, cut)
    with pytest.raises(LogCorruptionError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1877 and "force_recovery >= 1" in err.value.msg

    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        assert eng.read_only
        assert len(rows(eng, info["sid"])) == 100  # what lies before the damage
        skipped = log.of(RedoSkipped)
        assert len(skipped) == 1
        s = skipped[0]
        # 99 whole commits lie past the damaged one, up to the end of the log, and the
        # damaged record was a committed transaction too: 100 are lost
        assert (s.from_lsn, s.to_lsn, s.commits) == (cut, info["end"], 100)
        assert s.tables == ("db.t",) and s.force_recovery == 1
        assert s.reason == f"damaged record at lsn {cut}: CRC mismatch"
        assert not log.of(TornTailCut)  # damage is not called a torn tail
        # the open transaction's rows lie past the damage too: it is not "rolled back"
        assert not log.of(TransactionDiscarded)
        rec = status_of(eng).recovery
        assert rec is eng.last_recovery and rec is not None
        assert rec.reason == "forced" and rec.force_recovery == 1
        assert rec.skipped_lsn_range == f"{cut}-{info['end']}"
        assert rec.skipped_commits == 100 and rec.skipped_tables == ("db.t",)
        assert rec.outcome == f"read-only: 100 committed transaction(s) in lsn {cut}-" \
                              f"{info['end']} not applied"
        with pytest.raises(ForcedRecoveryError) as refused:
            with eng.begin() as txn:
                txn.put(info["sid"], b"new", b"1")
        assert refused.value.errno == 1881
        assert refused.value.msg == "Operation not allowed when force_recovery > 0."
    # nothing on disk changed: a normal open still refuses
    with pytest.raises(LogCorruptionError):
        Engine.open(db_path, flush_interval=0)


def test_discard_damaged_log_keeps_a_copy_and_opens_writable(db_path):
    info = committed_then_open(db_path)
    cut = info["starts"][150]
    damage(db_path, cut)
    segs = list_segments(os.path.join(db_path, "#redo"), None)
    originals = {os.path.basename(s.path): open(s.path, "rb").read() for s in segs}

    with pytest.raises(ProgrammingError) as err:
        Engine.open(db_path, flush_interval=0, discard_damaged_log=True)
    assert err.value.errno == 1210
    assert "discard_damaged_log" in err.value.msg and "force_recovery" in err.value.msg

    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, discard_damaged_log=True,
                     sink=log) as eng:
        assert not eng.read_only  # said so in the docs: the one writable forced open
        kept = log.of(DamagedLogKept)
        assert len(kept) == 1 and kept[0].cut_lsn == cut and kept[0].commits_lost == 50
        (copy_dir,) = glob.glob(os.path.join(db_path, "#redo-damaged-*"))
        assert {os.path.dirname(p) for p in kept[0].kept} == {copy_dir}
        for p in kept[0].kept:  # byte for byte what the log held, damage included
            assert open(p, "rb").read() == originals[os.path.basename(p)]
        assert len(rows(eng, info["sid"])) == 150
        assert eng.last_recovery.reason == "discard-damaged-log"
        assert eng.last_recovery.skipped_commits == 50  # 49 after + the damaged one
        assert copy_dir in eng.last_recovery.outcome
        with eng.begin() as txn:
            txn.put(info["sid"], b"after", b"1")
        assert eng.stats()["end_lsn"] > cut
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, sink=log) as eng:  # a clean open now
        assert not log.of(RecoveryStarted) and eng.last_recovery is None
        assert len(rows(eng, info["sid"])) == 151
    assert glob.glob(os.path.join(db_path, "#redo-damaged-*")) == [copy_dir]


def test_discard_damaged_log_refuses_a_log_without_damage(db_path):
    info = committed_then_open(db_path, commits=5)
    before = {p: open(p, "rb").read() for p in glob.glob(os.path.join(db_path, "#redo", "*"))}
    with pytest.raises(ProgrammingError) as err:
        Engine.open(db_path, flush_interval=0, force_recovery=1, discard_damaged_log=True)
    assert err.value.errno == 1210 and "no damage" in err.value.msg
    assert "nothing was changed" in err.value.msg
    assert not glob.glob(os.path.join(db_path, "#redo-damaged-*"))
    after = {p: open(p, "rb").read() for p in glob.glob(os.path.join(db_path, "#redo", "*"))}
    assert after == before
    with Engine.open(db_path, flush_interval=0) as eng:  # and an ordinary open recovers
        assert len(rows(eng, info["sid"])) == 5


# -- the levels ---------------------------------------------------------------------------------


def test_level_1_replays_in_memory_and_cleans_up_nothing_on_disk(db_path):
    info = committed_then_open(db_path, commits=10)
    spill = os.listdir(os.path.join(db_path, "#spill"))
    assert spill
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        assert eng.read_only and not eng.background_allowed and eng._flusher is None
        assert len(rows(eng, info["sid"])) == 10
        (d,) = log.of(TransactionDiscarded)
        assert (d.trx_id, d.row_operations, d.tables, d.kept) == \
            (info["open_trx"], 2, ("db.t",), False)
        assert eng.last_recovery.outcome.startswith("read-only (force_recovery=1)")
    assert os.listdir(os.path.join(db_path, "#spill")) == spill  # read-only: untouched


def test_level_3_leaves_the_spill_files_and_says_so(db_path):
    info = committed_then_open(db_path, commits=3)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=3, sink=log):
        (d,) = log.of(TransactionDiscarded)
        assert d.trx_id == info["open_trx"] and d.kept


def test_level_5_does_not_look_at_incomplete_transactions(db_path):
    committed_then_open(db_path, commits=3)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=5, sink=log) as eng:
        assert not log.of(TransactionDiscarded)
        (left,) = log.of(TransactionsToRollBack)
        assert left.left and left.transactions == 1 and left.row_operations == 2
        assert eng.last_recovery.transactions_rolled_back == 0


def test_level_6_applies_no_redo_and_counts_all_of_it(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    with eng.begin() as txn:
        txn.put(sid, b"flushed", b"1")
    eng.flush()  # in the tablespace, and the checkpoint moves past it
    checkpoint = eng.checkpoint_lsn
    for i in range(7):
        with eng.begin() as txn:
            txn.put(sid, b"redo-%d" % i, b"1")
    end = eng.log.end_lsn
    crash(eng)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=6, sink=log) as eng:
        assert rows(eng, sid) == [b"flushed"]  # the tablespace as it is on disk
        (s,) = log.of(RedoSkipped)
        assert (s.from_lsn, s.to_lsn, s.commits, s.tables) == (checkpoint, end, 7, ("db.t",))
        assert s.force_recovery == 6
        assert eng.last_recovery.records_applied == 0
        assert eng.last_recovery.skipped_commits == 7
    with pytest.raises(ProgrammingError):  # no discarding with a level that applies nothing
        Engine.open(db_path, force_recovery=6, discard_damaged_log=True)
    with Engine.open(db_path, flush_interval=0) as eng:  # nothing was lost by looking
        assert len(rows(eng, sid)) == 8


def test_level_2_runs_no_background_thread_even_when_writable(db_path):
    info = committed_then_open(db_path, commits=20)
    damage(db_path, info["starts"][10])
    with Engine.open(db_path, force_recovery=2, discard_damaged_log=True) as eng:
        assert not eng.read_only and not eng.background_allowed
        assert eng._flusher is None  # the default flush_interval would start one


# -- missing tablespaces ------------------------------------------------------------------------


def test_a_missing_tablespace_is_refused_by_name_or_left_out_when_forced(db_path):
    with Engine.open(db_path, create=True, flush_interval=0) as eng:
        with eng.begin() as txn:
            sid = txn.create_space("shop", "orders")
            keep = txn.create_space("shop", "customers")
        with eng.begin() as txn:
            txn.put(sid, b"1", b"x")
            txn.put(keep, b"1", b"y")
        path = eng.spaces[sid].path
    os.unlink(path)
    with pytest.raises(TablespaceMissingError) as err:
        Engine.open(db_path, flush_interval=0)
    assert err.value.errno == 1812
    assert "`shop`.`orders`" in err.value.msg and path in err.value.msg
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        (m,) = log.of(TablespaceMissing)
        assert (m.space_id, m.table, m.path) == (sid, "shop.orders", path)
        assert set(eng.missing_spaces) == {sid}
        assert eng.missing_spaces[sid]["table"] == "orders"
        assert rows(eng, keep) == [b"1"]
        assert eng.last_recovery.missing_tablespaces == ("shop.orders",)
        assert "shop.orders" in eng.last_recovery.outcome


# -- SQL: every write refused with 1881 ---------------------------------------------------------


def test_sql_writes_fail_with_1881_under_force_recovery(tmp_path):
    path = str(tmp_path / "db")
    code = (
        "import os, signal, core\n"
        f"c = core.connect({path!r}, create=True, autocommit=True, flush_interval=0)\n"
        "cur = c.cursor()\n"
        "cur.execute('CREATE TABLE t (id INT PRIMARY KEY, v INT)')\n"
        "cur.execute('INSERT INTO t VALUES (1, 10), (2, 20)')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with core.connect(path, force_recovery=1, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT id, v FROM t ORDER BY id")
        assert cur.fetchall() == [(1, 10), (2, 20)]
        for sql in ("INSERT INTO t VALUES (3, 30)", "UPDATE t SET v = 0 WHERE id = 1",
                    "DELETE FROM t WHERE id = 2", "CREATE TABLE u (id INT PRIMARY KEY)",
                    "DROP TABLE t"):
            with pytest.raises(core.Error) as err:
                cur.execute(sql)
            assert err.value.errno == 1881, sql
            assert err.value.msg == "Operation not allowed when force_recovery > 0.", sql
        st = conn.info()
        assert st.read_only and st.recovery is not None and st.recovery.reason == "forced"
        cur.execute("SELECT id, v FROM t ORDER BY id")
        assert cur.fetchall() == [(1, 10), (2, 20)]
    with core.connect(path) as conn:  # the forced open changed nothing: recovery still runs
        st = conn.info()
        assert st.recovery is not None and st.recovery.reason == "crash"


def test_damage_in_an_early_segment_counts_and_keeps_every_later_one(db_path):
    eng = Engine.open(db_path, create=True, flush_interval=0, segment_size=1 << 20)
    with eng.begin() as txn:
        sid = txn.create_space("db", "wide")
    starts = []
    for i in range(120):  # ~30 KiB each: the log runs over four 1 MiB segments
        starts.append(eng.log.end_lsn)
        with eng.begin() as txn:
            txn.put(sid, b"k%05d" % i, bytes([i % 251]) * 30_000)
    end = eng.log.end_lsn
    crash(eng)
    segs = list_segments(os.path.join(db_path, "#redo"), None)
    assert len(segs) >= 4
    cut = next(s for s in starts if segs[1].start_lsn < s < segs[2].start_lsn)
    damage(db_path, cut)
    after = len([s for s in starts if s >= cut])  # the damaged commit is lost too
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, sink=log) as eng:
        (s,) = log.of(RedoSkipped)
        assert (s.from_lsn, s.to_lsn, s.commits, s.tables) == (cut, end, after, ("db.wide",))
        assert len(rows(eng, sid)) == starts.index(cut)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, force_recovery=1, discard_damaged_log=True,
                     sink=log) as eng:
        (kept,) = log.of(DamagedLogKept)
        assert sorted(os.path.basename(p) for p in kept.kept) == \
            [os.path.basename(s.path) for s in segs[1:]]
        assert kept.commits_lost == after
        with eng.begin() as txn:  # the log goes on from the cut
            txn.put(sid, b"after", b"1" * 30_000)
    with Engine.open(db_path, flush_interval=0) as eng:
        assert len(rows(eng, sid)) == starts.index(cut) + 1
        assert eng.last_recovery is None
