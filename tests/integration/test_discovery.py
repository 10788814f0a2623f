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
from core.events import (
    DirectoriesToScan,
    EventLog,
    ScanningDirectory,
    SpaceFilesFound,
    SpaceFileSkipped,
    SpaceFileUnverified,
)
from core.kv import Engine
from core.recovery.discovery import read_header, rebuild_space_map, scan_directory_list
from core.storage.spacemap import SPACE_MAP_PREFIX
from core.storage.tablespace import HEADER_KEY, Tablespace
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
    # as a file made before headers recorded the database's uuid (with the uuid, it is
    # skipped as another database's: test_a_file_from_another_database_is_never_adopted)
    rewrite_header(os.path.join(scan, "t.kdb"), uuid=None)
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
    replay re-creates the table, all of it, from the redo, at its old path; a warning names
    the moved file (not used) and where the table is now."""
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
    moved, recreated = os.path.join(elsewhere, "fresh.kdb"), os.path.join(db, "test", "fresh.kdb")
    (warning,) = log.of(SpaceFileSkipped)
    assert warning.path == moved and recreated in warning.reason
    assert "re-created it from the redo log" in warning.reason
    assert select_all(db, "fresh") == ROWS


# -- files that are not this database's tablespaces ----------------------------------------------


def make_stranger(path: str) -> None:
    """Another database whose first table is also `test`.`t` (so the same space id), with
    other columns: an INT where ours has a VARCHAR."""
    conn = core.connect(path, create=True, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT, w VARCHAR(9))")
        cur.execute("INSERT INTO t VALUES (1, 5, 'hello'), (2, 6, 'x')")
    finally:
        conn.close()


def skipped(events) -> dict[str, str]:
    return {e.path: e.reason for e in events if isinstance(e, SpaceFileSkipped)}


def test_a_file_from_another_database_is_never_adopted(db, tmp_path):
    """The red team's case: our t.kdb gone, another database's test/t.kdb (same space id,
    schema and table, other columns) in the scanned directory.  Its header's uuid is not
    ours: skipped with a warning, and since it is the only file found for a table the
    dictionary needs, the open is refused naming it (1877); a forced open goes on without
    the table (1812), and nothing was written into the stranger."""
    other = str(tmp_path / "other")
    make_stranger(other)
    theirs = read_header(os.path.join(other, "test", "t.kdb"))
    assert theirs["space_id"] == read_header(os.path.join(db, "test", "t.kdb"))["space_id"]
    scan = str(tmp_path / "o3")
    os.makedirs(scan)
    os.unlink(os.path.join(db, "test", "t.kdb"))
    copied = os.path.join(scan, "t.kdb")
    shutil.copy(os.path.join(other, "test", "t.kdb"), copied)
    before = digest(copied)
    log = EventLog()
    with pytest.raises(CorruptionError) as exc:
        select_all(db, scan_directories=[scan], sink=log)
    msg = str(exc.value)
    assert exc.value.errno == 1877 and copied in msg
    assert f"belongs to another database (uuid {theirs['uuid']}" in msg
    assert "test.t" in msg and "test/t.kdb" in msg  # the table whose file it is not
    assert "belongs to another database" in skipped(log.events)[copied]
    log = EventLog()
    conn = core.connect(db, scan_directories=[scan], force_recovery=1, sink=log)
    try:
        with pytest.raises(DatabaseError) as exc:
            conn.cursor().execute("SELECT * FROM t")
        assert exc.value.errno == 1812
    finally:
        conn.close()
    assert copied in skipped(log.events)
    assert digest(copied) == before
    assert all(e["path"] != copied for e in stored_map(db).values())


def test_another_databases_file_beside_ours_is_skipped_not_a_duplicate(db, tmp_path):
    """A directory holding our moved file and a stranger with the same space id: no
    ambiguity (1877 "Multiple files") any more, ours is adopted."""
    other = str(tmp_path / "other")
    make_stranger(other)
    scan = str(tmp_path / "scan")
    move(os.path.join(db, "test", "t.kdb"), os.path.join(scan, "ours", "t.kdb"))
    move(os.path.join(other, "test", "t.kdb"), os.path.join(scan, "theirs", "t.kdb"))
    log = EventLog()
    assert select_all(db, scan_directories=[scan], sink=log) == ROWS
    assert list(skipped(log.events)) == [os.path.join(scan, "theirs", "t.kdb")]


def rewrite_header(path: str, **changes) -> None:
    """Rewrite a file's header as an older version wrote it (a key dropped when its value
    is None)."""
    ts = Tablespace.open(path)
    try:
        header = {k: v for k, v in dict(ts.header, **changes).items() if v is not None}
        with ts.env.begin(write=True) as txn:
            txn.put(HEADER_KEY, msgpack.packb(header), db=ts._meta)
    finally:
        ts.close()
    if os.path.exists(path + "-lock"):
        os.unlink(path + "-lock")


def test_a_file_without_a_uuid_is_adopted_with_a_warning_if_nothing_contradicts(db, tmp_path):
    """Files made before headers recorded the database's uuid: space id, schema and table
    match the dictionary, so it is adopted, with a warning that it cannot be proven to
    belong; one created at an LSN past everything our dictionary holds is not ours."""
    elsewhere = str(tmp_path / "elsewhere")
    target = os.path.join(elsewhere, "t.kdb")
    move(os.path.join(db, "test", "t.kdb"), target)
    rewrite_header(target, uuid=None, created_lsn=10 ** 12)
    log = EventLog()
    with pytest.raises(DatabaseError):  # not adopted: the table has no file
        select_all(db, scan_directories=[elsewhere], sink=log)
    assert "after everything this database's dictionary holds" in skipped(log.events)[target]
    rewrite_header(target, uuid=None, created_lsn=1)
    log = EventLog()
    assert select_all(db, scan_directories=[elsewhere], sink=log) == ROWS
    sid = read_header(target)["space_id"]
    assert log.of(SpaceFileUnverified) == [SpaceFileUnverified(target, sid, "test.t")]


def test_junk_and_symlinks_in_a_scanned_directory_are_skipped_with_a_warning(db, tmp_path):
    """A 0-byte file, garbage, a copied spill file (an LMDB file with no header) and a
    symbolic link, all named *.kdb: each skipped with a warning saying why, and the scan
    goes on to find the moved table (it aborted the open with 1877 before)."""
    scan = str(tmp_path / "scan")
    move(os.path.join(db, "test", "t.kdb"), os.path.join(scan, "t.kdb"))
    open(os.path.join(scan, "empty.kdb"), "wb").close()
    with open(os.path.join(scan, "garbage.kdb"), "wb") as f:
        f.write(b"not an LMDB file at all " * 500)
    spill = lmdb.open(os.path.join(scan, "trx-12.kdb"), subdir=False, max_dbs=2)
    with spill.begin(write=True) as txn:
        txn.put(b"k", b"v")
    spill.close()
    os.unlink(os.path.join(scan, "trx-12.kdb-lock"))
    os.symlink(os.path.join(db, "test", "keep.kdb"), os.path.join(scan, "link.kdb"))
    os.mkfifo(os.path.join(scan, "fifo.kdb"))
    log = EventLog()
    assert select_all(db, scan_directories=[scan], sink=log) == ROWS
    why = skipped(log.events)
    assert sorted(os.path.basename(p) for p in why) == [
        "empty.kdb", "fifo.kdb", "garbage.kdb", "link.kdb", "trx-12.kdb"]
    assert why[os.path.join(scan, "link.kdb")] == "symlink: not followed"
    assert "empty (0 bytes)" in why[os.path.join(scan, "empty.kdb")]
    assert "no tablespace header" in why[os.path.join(scan, "trx-12.kdb")]
    assert why[os.path.join(scan, "garbage.kdb")].startswith("not a readable tablespace: ")
    assert why[os.path.join(scan, "fifo.kdb")] == "not a regular file"
    assert log.of(SpaceFilesFound) == [SpaceFilesFound(1, 1)]


@pytest.mark.parametrize("dirs", [[""], ["", "  "], ";;", ""])
def test_scan_directories_naming_no_directory_is_an_error(db, dirs):
    """`--scan-directories ""` or ";;" named no directory: a clear 1210, never a scan of
    nothing that looks like success (nor "Unknown directory ''")."""
    if isinstance(dirs, list):
        with pytest.raises(DatabaseError) as exc:
            select_all(db, scan_directories=dirs)
        assert exc.value.errno == 1210, exc.value
    with pytest.raises(DatabaseError) as exc:
        scan_directory_list(dirs)  # the command line's "a;b" form too
    assert exc.value.errno == 1210 and "scan_directories names no directory" in str(exc.value)
    assert scan_directory_list("a; ;b") == ("a", "b")
