"""The recovery history (`core.recovery.history`, `information_schema.RECOVERY_HISTORY`).

Every database here was left by a real writer process killed with SIGKILL (the KV crash
worker, stopped at a named crash point so that redo is waiting to be replayed).  The first
tests drive `record_recovery` / `read_history` / `move_pending` themselves; the last ones
check that an open through `core.connect` records its own row (the engine's wiring).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time

import core
from core.events import EventLog, RecoveryHistoryLineSkipped
from core.kv import Engine
from core.recovery import history
from core.recovery.history import PENDING_FILE, move_pending, read_history, record_recovery
from core.status import RecoveryRecord
from tests.crash.harness import ROOT, spawn

COLUMNS = ["ID", "START_TIME", "END_TIME", "REASON", "CHECKPOINT_LSN", "END_LSN",
           "RECORDS_SCANNED", "RECORDS_APPLIED", "TRANSACTIONS_ROLLED_BACK", "ROWS_DISCARDED",
           "FORCE_RECOVERY", "SKIPPED_LSN_RANGE", "OUTCOME", "SKIPPED_COMMITS",
           "SKIPPED_TABLES", "MISSING_TABLESPACES"]


def crashed_db(tmp_path, name: str = "db") -> str:
    """A database whose writer was SIGKILLed after 29 commits, with nothing flushed: its
    next open must replay them."""
    path = str(tmp_path / name)
    proc = spawn("tests.crash.kv_worker", path, 3,
                 {"KV_WORKER_NO_FLUSH": "1", "KINTSUGI_CRASH_AT": "commit.after_overlay:31"})
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, err[-2000:]
    assert out.splitlines()[-1] == "ACK 28"  # hit 1 is the CREATE
    return path


def a_record(tag: str, **kw) -> RecoveryRecord:
    now = time.time()
    fields = dict(id=0, start_time=now - 0.5, end_time=now, reason="crash", checkpoint_lsn=8192,
                  end_lsn=99_000, records_scanned=31, records_applied=200,
                  transactions_rolled_back=1, rows_discarded=7, force_recovery=0,
                  skipped_lsn_range="", outcome=tag)
    fields.update(kw)
    return RecoveryRecord(**fields)


def file_digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mine(rows, tag):
    return [r for r in rows if r.outcome == tag]


# A process that opens (recovering), records a row, says so, and waits to be killed.
_RECORD_AND_WAIT = """
import sys, time
from core.kv import Engine
from core.recovery.history import record_recovery
from core.status import RecoveryRecord
engine = Engine.open(sys.argv[1], flush_interval=0)
now = time.time()
rec = record_recovery(engine, RecoveryRecord(0, now, now, "crash", 1, 2, 3, 4, 5, 6, 0, "",
                                             "killed-after-recording"))
print("RECORDED", rec.id, flush=True)
time.sleep(60)
"""


def test_row_survives_sigkill_of_the_process_that_wrote_it(tmp_path):
    """The row goes straight into system.kdb, synced: killing the recording process before
    any flush or clean close loses nothing; reopening twice shows it once each time."""
    path = crashed_db(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", _RECORD_AND_WAIT, path], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("RECORDED "), proc.stderr.read()[-2000:]
    rid = int(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _reopen in range(2):
        engine = Engine.open(path, flush_interval=0)
        try:
            rows = mine(read_history(engine), "killed-after-recording")
            assert [(r.id, r.records_scanned, r.transactions_rolled_back) for r in rows] == \
                [(rid, 3, 5)]
        finally:
            engine.close()


def test_ids_increase_and_information_schema_shows_them(tmp_path):
    path = crashed_db(tmp_path)
    engine = Engine.open(path, flush_interval=0)
    try:
        a = record_recovery(engine, a_record("first", skipped_tables=("s.a", "s.b")))
        b = record_recovery(engine, a_record("second", missing_tablespaces=("s.c",)))
        assert b.id == a.id + 1
    finally:
        engine.close()
    conn = core.connect(path, database=None)
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM information_schema.RECOVERY_HISTORY ORDER BY ID DESC")
        assert [d[0] for d in cur.description] == COLUMNS
        rows = {r[12]: r for r in cur.fetchall()}
        first, second = rows["first"], rows["second"]
        assert first[0] == a.id and second[0] == b.id
        assert first[14] == "s.a,s.b" and first[15] == ""
        assert second[15] == "s.c"
        # DATETIME in UTC, with microseconds
        assert first[2] == dt.datetime.fromtimestamp(a.end_time, dt.UTC).replace(tzinfo=None)
        assert first[1] < first[2]
        assert first[3:13] == ("crash", 8192, 99_000, 31, 200, 1, 7, 0, "", "first")
        cur.execute("SELECT COUNT(*) FROM information_schema.recovery_history "
                    "WHERE OUTCOME = 'second'")
        assert cur.fetchall() == [(1,)]
    finally:
        conn.close()


def test_forced_open_row_waits_beside_the_files_then_reaches_system_kdb(tmp_path):
    """force_recovery > 0 changes no data file: the row goes to the sidecar (0600) and is
    readable at once; the next writable open moves it into system.kdb and removes the
    sidecar, keeping the id order."""
    path = crashed_db(tmp_path)
    sys_kdb = os.path.join(path, "system.kdb")
    before = file_digest(sys_kdb)
    engine = Engine.open(path, force_recovery=1)
    try:
        assert engine.read_only
        forced = record_recovery(engine, a_record("forced", reason="forced", force_recovery=1,
                                                  skipped_lsn_range="9000-9500"))
        sidecar = os.path.join(path, PENDING_FILE)
        assert os.stat(sidecar).st_mode & 0o777 == 0o600
        assert mine(read_history(engine), "forced") == [forced]
        assert move_pending(engine) == 0 and os.path.exists(sidecar)
    finally:
        engine.close()
    assert file_digest(sys_kdb) == before, "a forced open changed system.kdb"
    # a second forced open sees the first one's row and numbers after it
    engine = Engine.open(path, force_recovery=2)
    try:
        again = record_recovery(engine, a_record("forced again", force_recovery=2))
        assert again.id > forced.id  # (the open itself may have recorded one in between)
        ids = [r.id for r in read_history(engine)]
        assert ids[-1] == again.id and forced.id in ids
    finally:
        engine.close()
    assert file_digest(sys_kdb) == before

    engine = Engine.open(path, flush_interval=0)
    try:
        move_pending(engine)  # (the engine's own open may have moved them already)
        assert not os.path.exists(sidecar)
        rows = read_history(engine)
        assert [r.outcome for r in rows if r.id in (forced.id, again.id)] == \
            ["forced", "forced again"]
        later = record_recovery(engine, a_record("writable"))
        assert later.id > again.id
    finally:
        engine.close()
    # they are in system.kdb itself now: no sidecar, nothing in memory
    engine = Engine.open(path, flush_interval=0)
    try:
        stored = {r.id: r for r in history._read_stored(engine)}
        assert stored[forced.id].skipped_lsn_range == "9000-9500"
        assert stored[again.id].force_recovery == 2
        assert later.id in stored
    finally:
        engine.close()


def test_history_that_cannot_be_written_never_fails_the_open(tmp_path):
    """A sidecar that cannot be written (here a directory in its place) keeps the row in
    memory: readable until close, and record_recovery does not raise."""
    path = crashed_db(tmp_path)
    os.mkdir(os.path.join(path, PENDING_FILE))
    engine = Engine.open(path, force_recovery=1)
    try:
        rec = record_recovery(engine, a_record("memory only", force_recovery=1))
        assert rec.id >= 1
        assert mine(read_history(engine), "memory only") == [rec]
    finally:
        engine.close()


def test_only_the_last_rows_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "KEEP_ROWS", 5)
    path = crashed_db(tmp_path)
    engine = Engine.open(path, flush_interval=0)
    try:
        ids = [record_recovery(engine, a_record(f"r{i}")).id for i in range(8)]
        kept = [r.id for r in read_history(engine)]
        assert kept == sorted(kept) and len(kept) == 5
        assert kept == ids[-5:]
    finally:
        engine.close()


# -- the engine's own rows (core.kv wires record_recovery into every open that recovers) ----


def history_rows(conn):
    cur = conn.cursor()
    cur.execute("SELECT ID, REASON, FORCE_RECOVERY, RECORDS_APPLIED, OUTCOME "
                "FROM information_schema.RECOVERY_HISTORY ORDER BY ID")
    return cur.fetchall()


def test_a_crashed_open_records_one_row_and_a_clean_reopen_none(tmp_path):
    path = crashed_db(tmp_path)
    for _reopen in range(2):
        conn = core.connect(path, database=None)
        try:
            rows = history_rows(conn)
        finally:
            conn.close()
        assert len(rows) == 1, rows
        assert rows[0][1] == "crash" and rows[0][2] == 0 and rows[0][3] > 0


def test_a_forced_open_records_its_row_and_the_next_open_stores_it(tmp_path):
    path = crashed_db(tmp_path)
    sys_kdb = os.path.join(path, "system.kdb")
    before = file_digest(sys_kdb)
    conn = core.connect(path, database=None, force_recovery=1)
    try:
        rows = history_rows(conn)
        assert [r[2] for r in rows] == [1]
    finally:
        conn.close()
    assert file_digest(sys_kdb) == before
    assert os.path.exists(os.path.join(path, PENDING_FILE))
    conn = core.connect(path, database=None)
    try:
        assert not os.path.exists(os.path.join(path, PENDING_FILE))
        rows = history_rows(conn)
        assert rows[0][2] == 1 and rows[0][0] < rows[-1][0]
    finally:
        conn.close()


def test_the_next_clean_writable_open_stores_a_forced_opens_row(tmp_path):
    """No crash to recover: the forced open still records its row, and the next (clean,
    writable) open moves it into system.kdb although it records nothing itself."""
    path = str(tmp_path / "db")
    Engine.open(path, create=True, flush_interval=0).close()
    conn = core.connect(path, database=None, force_recovery=3)
    try:
        assert [r[2] for r in history_rows(conn)] == [3]
    finally:
        conn.close()
    conn = core.connect(path, database=None)
    try:
        assert not os.path.exists(os.path.join(path, PENDING_FILE))
        assert [r[2] for r in history_rows(conn)] == [3]
    finally:
        conn.close()


def test_a_torn_sidecar_line_does_not_swallow_the_next_row(tmp_path):
    """A crash while a forced open appended its row leaves a torn last line, no newline.
    The next row appended must start a line of its own (it was glued to the torn bytes, and
    the two made one undecodable line: the new row was lost at the next open), and the torn
    line is skipped with a warning naming the file and the line."""
    path = str(tmp_path / "db")
    Engine.open(path, create=True, flush_interval=0).close()
    sidecar = os.path.join(path, PENDING_FILE)
    engine = Engine.open(path, force_recovery=1)
    try:
        first = record_recovery(engine, a_record("before the tear", force_recovery=1))
    finally:
        engine.close()
    kept = history.pending_history(path)  # (the forced open recorded its own row too)
    assert [r.outcome for r in kept][-1] == "before the tear"
    with open(sidecar, "rb") as f:
        torn = f.read().count(b"\n") + 1
    with open(sidecar, "ab") as f:
        f.write(b'{"id": 777, "outcome": "torn by a cr')  # what a crash mid-append leaves
    log = EventLog()
    engine = Engine.open(path, force_recovery=1, sink=log)
    try:
        second = record_recovery(engine, a_record("after the tear", force_recovery=1))
    finally:
        engine.close()
    assert log.of(RecoveryHistoryLineSkipped) == [RecoveryHistoryLineSkipped(sidecar, torn)]
    with open(sidecar, "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[torn - 1] == b'{"id": 777, "outcome": "torn by a cr' and lines[-1] == b""
    # nothing in memory: the rows read back from the sidecar are all of them, the second
    # forced open's own row (appended right after the tear) and ours ...
    rows = history.pending_history(path)
    assert len(rows) == len(kept) + 2
    assert rows[:len(kept)] == kept and rows[-1] == second
    # ... and the next writable open moves both into system.kdb, noting the torn line
    log = EventLog()
    engine = Engine.open(path, flush_interval=0, sink=log)
    try:
        assert not os.path.exists(sidecar)
        stored = {r.id: r.outcome for r in history._read_stored(engine)}
        assert stored[first.id] == "before the tear" and stored[second.id] == "after the tear"
        assert 777 not in stored
    finally:
        engine.close()
    assert log.of(RecoveryHistoryLineSkipped) == [RecoveryHistoryLineSkipped(sidecar, torn)]
