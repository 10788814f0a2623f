"""Tablespace discovery (`core.recovery.discovery.rebuild_space_map`, `scan_directories`).

Real databases made through SQL, real files moved, copied and swapped between directories.
The direct tests run discovery on a database opened by the storage's first half
(`Engine.open_storage`), the way `Engine.open` runs it before recovery, then open normally;
the `scan_directories` tests go through `core.connect`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys

import lmdb
import msgpack
import pytest

import core
from core.errors import CorruptionError, DatabaseError, DatabaseNotFoundError
from core.events import DirectoriesToScan, EventLog, ScanningDirectory, SpaceFilesFound
from core.kv import Engine
from core.recovery.discovery import read_header, rebuild_space_map
from core.storage.spacemap import SPACE_MAP_PREFIX
from core.storage.tablespace import Tablespace
from tests.crash.harness import ROOT


def make_db(path: str, table: str = "t") -> None:
    conn = core.connect(path, create=True, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY, v VARCHAR(20))")
        cur.execute(f"INSERT INTO {table} VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        cur.execute("CREATE TABLE keep (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO keep VALUES (7)")
    finally:
        conn.close()


def move(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.move(src, dst)
    if os.path.exists(src + "-lock"):
        os.unlink(src + "-lock")


def discover(path: str, dirs, **kw):
    """Run discovery between the two halves of an open, then give up the open."""
    log = EventLog()
    engine = Engine.open_storage(path, sink=log, **kw)
    try:
        rebuild_space_map(engine, dirs)
        return log.events, dict(engine.discovered_map)
    finally:
        engine.abandon()


def stored_map(path: str) -> dict[int, dict]:
    engine = Engine.open_storage(path)
    try:
        engine.open_space_file({"path": "system.kdb"}, create=False)
        return engine.read_space_map()
    finally:
        engine.abandon()


def select_all(path: str, table: str = "t", **kw) -> list:
    conn = core.connect(path, **kw)
    try:
        cur = conn.cursor()
        cur.execute(f"SELECT id, v FROM {table} ORDER BY id")
        return cur.fetchall()
    finally:
        conn.close()


def digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


ROWS = [(1, "one"), (2, "two"), (3, "three")]


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "db")
    make_db(path)
    return path


def test_a_moved_file_is_found_and_the_map_points_to_it(db, tmp_path):
    elsewhere = str(tmp_path / "elsewhere")
    move(os.path.join(db, "test", "t.kdb"), os.path.join(elsewhere, "deep", "t.kdb"))
    with pytest.raises(DatabaseError):
        select_all(db)  # without discovery the open refuses: the file is missing
    events, found = discover(db, [elsewhere])
    assert events == [DirectoriesToScan((elsewhere,)), ScanningDirectory(elsewhere),
                      SpaceFilesFound(1, 1)]
    target = os.path.join(elsewhere, "deep", "t.kdb")
    (sid, entry), = found.items()
    assert entry["path"] == target and (entry["schema"], entry["table"]) == ("test", "t")
    assert stored_map(db)[sid]["path"] == target  # written into system.kdb: absolute
    assert not os.path.exists(target + "-lock"), "reading the header took LMDB's lock file"
    assert select_all(db) == ROWS  # a plain open now finds it


def test_a_file_moved_inside_the_database_directory_is_mapped_relatively(db):
    move(os.path.join(db, "test", "t.kdb"), os.path.join(db, "moved", "t.kdb"))
    # a spill file of a transaction that died is an LMDB file too, but no tablespace
    spill = lmdb.open(os.path.join(db, "#spill", "trx-9.kdb"), subdir=False)
    spill.close()
    events, found = discover(db, [db])
    assert events[-1] == SpaceFilesFound(2, 1)  # t and keep; system.kdb is not counted
    assert [e["path"] for e in found.values()] == [os.path.join("moved", "t.kdb")]
    assert select_all(db) == ROWS


def test_a_read_only_open_rebuilds_the_map_in_memory_only(db, tmp_path):
    elsewhere = str(tmp_path / "elsewhere")
    move(os.path.join(db, "test", "t.kdb"), os.path.join(elsewhere, "t.kdb"))
    sys_kdb = os.path.join(db, "system.kdb")
    before = digest(sys_kdb)
    _events, found = discover(db, [elsewhere], force_recovery=1)
    assert [e["path"] for e in found.values()] == [os.path.join(elsewhere, "t.kdb")]
    assert digest(sys_kdb) == before
    assert all(e["path"] != os.path.join(elsewhere, "t.kdb") for e in stored_map(db).values())


def test_a_lost_map_entry_is_added_back(db):
    sys_kdb = os.path.join(db, "system.kdb")
    ts = Tablespace.open(sys_kdb)
    try:
        txn = ts.begin_read()
        try:
            entries = {k: msgpack.unpackb(v) for k, v in txn.cursor(db=ts.data_db)
                       if k.startswith(SPACE_MAP_PREFIX)}
        finally:
            ts.end_read(txn)
        key = next(k for k, v in entries.items() if v["table"] == "t")
        ts.apply([(key, None)], None)
        ts.env.sync(True)
    finally:
        ts.close()
    assert all(e["table"] != "t" for e in stored_map(db).values())
    events, found = discover(db, [db])
    assert events[-1] == SpaceFilesFound(2, 1)
    assert [(e["table"], e["path"]) for e in found.values()] == [("t", "test/t.kdb")]
    assert select_all(db) == ROWS


def test_an_orphan_file_is_left_alone(db, tmp_path):
    """A file no map entry and no table knows (a CREATE that never committed makes one)."""
    scan = str(tmp_path / "scan")
    os.makedirs(scan)
    Tablespace.create(os.path.join(scan, "orphan.kdb"),
                      {"space_id": 77, "schema": "x", "table": "y", "path": "x/y.kdb"}).close()
    events, found = discover(db, [scan])
    assert events[-1] == SpaceFilesFound(1, 0) and found == {}
    assert 77 not in stored_map(db)


def test_two_files_with_one_space_id_are_refused(db, tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    src = os.path.join(db, "test", "t.kdb")
    os.makedirs(a)
    shutil.copy(src, os.path.join(a, "t.kdb"))
    sid = read_header(src)["space_id"]
    # the copy beside the file the map names
    with pytest.raises(CorruptionError) as exc:
        discover(db, [a])
    assert exc.value.errno == 1877
    assert f"Multiple files found for the same tablespace ID: {sid} (" in str(exc.value)
    assert os.path.join(a, "t.kdb") in str(exc.value) and src in str(exc.value)
    # two copies under the scanned directories, the original gone
    move(src, os.path.join(b, "t2.kdb"))
    with pytest.raises(CorruptionError) as exc:
        discover(db, [a, b])
    msg = str(exc.value)
    assert f"Multiple files found for the same tablespace ID: {sid} " \
           f"({os.path.join(a, 't.kdb')}, {os.path.join(b, 't2.kdb')})" in msg
    # the same directory given twice (or nested) is one file, not a duplicate
    os.unlink(os.path.join(a, "t.kdb"))
    events, _found = discover(db, [b, b, str(tmp_path / "b" / ".")])
    assert events[-1] == SpaceFilesFound(1, 1)


def test_a_file_whose_header_names_another_table_is_refused(db, tmp_path):
    other = str(tmp_path / "other")
    make_db(other, table="stranger")  # its first table has the same space id as ours
    mine = read_header(os.path.join(db, "test", "t.kdb"))
    theirs = read_header(os.path.join(other, "test", "stranger.kdb"))
    assert mine["space_id"] == theirs["space_id"]
    scan = str(tmp_path / "scan")
    move(os.path.join(db, "test", "t.kdb"), str(tmp_path / "away" / "t.kdb"))
    move(os.path.join(other, "test", "stranger.kdb"), os.path.join(scan, "t.kdb"))
    with pytest.raises(CorruptionError) as exc:
        discover(db, [scan])
    msg = str(exc.value)
    assert exc.value.errno == 1877
    assert os.path.join(scan, "t.kdb") in msg  # the file
    assert "test.stranger" in msg  # what its header says
    assert "test.t" in msg and "test/t.kdb" in msg  # what the dictionary says


def test_a_directory_that_does_not_exist_is_named(db, tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(DatabaseNotFoundError) as exc:
        discover(db, [missing])
    assert exc.value.errno == 1049 and missing in str(exc.value)
    afile = str(tmp_path / "afile")
    open(afile, "w").close()
    with pytest.raises(DatabaseNotFoundError, match="is not a directory"):
        discover(db, [afile])


# -- through core.connect(scan_directories=...) ------------------------------------------------


def test_connect_with_scan_directories_finds_a_moved_table(db, tmp_path):
    elsewhere = str(tmp_path / "elsewhere")
    move(os.path.join(db, "test", "t.kdb"), os.path.join(elsewhere, "t.kdb"))
    log = EventLog()
    assert select_all(db, scan_directories=[elsewhere], sink=log) == ROWS
    assert log.of(SpaceFilesFound) == [SpaceFilesFound(1, 1)]
    assert select_all(db) == ROWS  # the map was rewritten: no scan needed any more


def test_forced_connect_with_scan_directories_reads_a_moved_table_and_writes_nothing(
        db, tmp_path):
    elsewhere = str(tmp_path / "elsewhere")
    move(os.path.join(db, "test", "t.kdb"), os.path.join(elsewhere, "t.kdb"))
    sys_kdb = os.path.join(db, "system.kdb")
    before = digest(sys_kdb)
    assert select_all(db, scan_directories=[elsewhere], force_recovery=1) == ROWS
    assert digest(sys_kdb) == before


_CREATE_AND_WAIT = """
import sys, time
import core
conn = core.connect(sys.argv[1], autocommit=True, flush_interval=0)
cur = conn.cursor()
cur.execute("CREATE TABLE fresh (id INT PRIMARY KEY, v VARCHAR(20))")
cur.execute("INSERT INTO fresh VALUES (1, 'one'), (2, 'two'), (3, 'three')")
print("READY", flush=True)
time.sleep(60)
"""


def test_a_table_created_after_the_checkpoint_is_found_after_replay(db, tmp_path):
    """Its map entry and its dictionary entry are only in the redo of a writer killed with
    SIGKILL: discovery sees the moved file as an orphan (no error, nothing rewritten), and
    replay re-creates the table, all of it, from the redo."""
    proc = subprocess.Popen([sys.executable, "-c", _CREATE_AND_WAIT, db], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line == "READY\n", proc.stderr.read()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    elsewhere = str(tmp_path / "elsewhere")
    move(os.path.join(db, "test", "fresh.kdb"), os.path.join(elsewhere, "fresh.kdb"))
    log = EventLog()
    assert select_all(db, "fresh", scan_directories=[elsewhere], sink=log) == ROWS
    assert log.of(SpaceFilesFound) == [SpaceFilesFound(1, 0)]
    assert select_all(db, "fresh") == ROWS
