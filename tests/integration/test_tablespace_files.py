"""Tablespace files themselves: their LMDB meta pages, the database they belong to, where they
are now (`core.storage.lmdbfile`, `core.storage.tablespace`, `core.storage.spacemap`).

Real databases made through SQL and closed cleanly; their `.kdb` files are then damaged,
swapped with another database's, or moved.  Damage that could crash LMDB is opened in a
child process, so that a SIGBUS or an abort fails the test instead of killing it.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap

import pytest

import core
from core.errors import CorruptionError, DatabaseError
from core.recovery.discovery import read_header
from core.storage.lmdbfile import P_INVALID
from core.storage.tablespace import Tablespace, UnreadableTablespaceError
from tests.crash.harness import ROOT

ROWS = [(i, f"row {i}") for i in range(1, 201)]
_TXNID = 144  # offset of mm_txnid in a meta page (LMDB 0.9, 64-bit)
_MAIN_ROOT = 128  # offset of the main tree's md_root
_LAST_PG = 136


def make_db(path: str, columns: str = "id INT PRIMARY KEY, v VARCHAR(20)",
            rows: list | None = None) -> None:
    conn = core.connect(path, create=True, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE t ({columns})")
        for lo in range(0, len(rows if rows is not None else ROWS), 100):
            chunk = (rows if rows is not None else ROWS)[lo:lo + 100]
            cur.execute("INSERT INTO t VALUES " + ", ".join(
                "(" + ", ".join(repr(v) for v in r) + ")" for r in chunk))
    finally:
        conn.close()


def select_all(path: str, **kw) -> list:
    conn = core.connect(path, **kw)
    try:
        cur = conn.cursor()
        cur.execute("SELECT * FROM t ORDER BY id")
        return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "db")
    make_db(path)
    return path


def table_file(db: str) -> str:
    return os.path.join(db, "test", "t.kdb")


def metas(path: str) -> list[tuple[int, int]]:
    """(page offset, txn id) of both meta pages, newest first."""
    with open(path, "rb") as f:
        head = f.read(8192)
    psize = struct.unpack_from("<I", head, 40)[0]
    pages = [(off, struct.unpack_from("<Q", head, off + _TXNID)[0]) for off in (0, psize)]
    return sorted(pages, key=lambda p: -p[1])


def patch(path: str, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def xor(path: str, offset: int, mask: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([b ^ mask]))


# -- damaged meta pages -------------------------------------------------------------------------


def test_a_damaged_txn_id_is_refused_not_read_as_an_older_version(db):
    """LMDB uses the meta page with the higher txn id and has no checksum: a flipped bit in
    it silently opened the previous commit's tree (the table read as empty).  The pages
    must hold T and T-1; anything else is an UnreadableTablespaceError naming the file."""
    path = table_file(db)
    (newest, t), (older, _t1) = metas(path)
    assert select_all(db) == ROWS
    xor(path, older + _TXNID + 7, 0x01)  # the older page now claims the highest txn id
    with pytest.raises(UnreadableTablespaceError) as exc:
        Tablespace.open(path)
    err = exc.value
    assert err.errno == 1877 and isinstance(err, CorruptionError)
    assert err.path == path and path in err.msg and "transaction ids" in err.reason
    # through the engine: a normal open refuses the database naming the file ...
    with pytest.raises(CorruptionError) as exc:
        select_all(db)
    assert path in str(exc.value) and "transaction ids" in str(exc.value)
    # ... and a forced one opens without the table (never with the older, empty tree)
    conn = core.connect(db, force_recovery=1)
    try:
        with pytest.raises(DatabaseError) as exc:
            conn.cursor().execute("SELECT * FROM t")
        assert exc.value.errno == 1812
    finally:
        conn.close()
    # the low bit of the newest page's txn id (its parity says which page it must be on)
    xor(path, older + _TXNID + 7, 0x01)
    xor(path, newest + _TXNID, 0x01)
    with pytest.raises(UnreadableTablespaceError, match=f"transaction ids .*{t ^ 1}"):
        Tablespace.open(path)
    xor(path, newest + _TXNID, 0x01)
    assert select_all(db) == ROWS


_OPEN_AND_READ = textwrap.dedent("""
    import json, sys
    from core.errors import Error
    from core.storage.tablespace import Tablespace, UnreadableTablespaceError
    try:
        ts = Tablespace.open(sys.argv[1])
        txn = ts.begin_read()
        n = sum(1 for _ in txn.cursor())
        ts.end_read(txn)
        ts.set_applied_lsn(ts.applied_lsn)  # a write: LMDB walks its free list too
        ts.close()
        print(json.dumps({"entries": n}))
    except UnreadableTablespaceError as err:
        print(json.dumps({"unreadable": err.msg, "errno": err.errno}))
    except Error as err:
        print(json.dumps({"error": err.msg, "errno": err.errno}))
""")


def _damage(path: str, how: str) -> None:
    (newest, _t), (older, _t1) = metas(path)
    size = os.path.getsize(path)
    if how == "redteam-100-4100":
        xor(path, 100, 0xFF)
        xor(path, 4100, 0xFF)
    elif how == "root-past-the-end":
        patch(path, newest + _MAIN_ROOT, struct.pack("<Q", size // 4096 + 50))
    elif how == "root-is-a-meta-page":
        patch(path, newest + _MAIN_ROOT, struct.pack("<Q", 1))
    elif how == "last-page-past-the-end":
        patch(path, newest + _LAST_PG, struct.pack("<Q", size // 4096 + 1000))
    elif how == "free-list-flags":  # LMDB then aborts (SIGABRT) in its next write
        xor(path, newest + 44, 0xFF)
    elif how == "main-tree-flags":
        xor(path, newest + 92, 0x04)
    elif how == "magic-of-the-older-page":
        xor(path, older + 16, 0x5A)
    elif how == "page-size":
        patch(path, 40, struct.pack("<I", 12345))
    elif how == "empty":
        os.truncate(path, 0)
    elif how == "garbage":
        with open(path, "wb") as f:
            f.write(os.urandom(3 * 4096))
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["redteam-100-4100", "root-past-the-end", "root-is-a-meta-page",
                                 "last-page-past-the-end", "free-list-flags",
                                 "main-tree-flags", "magic-of-the-older-page",
                                 "page-size", "empty", "garbage"])
def test_damaged_meta_pages_are_a_clear_error_never_a_crash(db, tmp_path, how):
    """Each damage is opened in a child, which reads every entry and writes once: it works
    (LMDB never reads the bytes the red team's XOR hit: a page-count statistic and the high
    bytes of page 1's `mp_pgno`) or the open raises UnreadableTablespaceError naming the
    file and what is wrong; never a signal (damaged tree flags made LMDB abort)."""
    path = table_file(db)
    entries = Tablespace.open(path).entry_count()
    _damage(path, how)
    res = subprocess.run([sys.executable, "-c", _OPEN_AND_READ, path], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"{how}: exit {res.returncode}: {res.stderr[-1500:]}"
    out = json.loads(res.stdout.splitlines()[-1])
    if how == "redteam-100-4100":
        assert out == {"entries": entries}
        assert select_all(db) == ROWS
        return
    assert "unreadable" in out, f"{how}: {out}"
    assert out["errno"] == 1877 and path in out["unreadable"]
    assert f"tablespace file {path} cannot be read: " in out["unreadable"]


def test_root_pointer_check_uses_the_newest_meta_page_only(db):
    """The older meta page's trees are never read (the next commit rewrites it whole): an
    empty root there (`P_INVALID`) or a stale one is no damage."""
    path = table_file(db)
    (_newest, _t), (older, _t1) = metas(path)
    patch(path, older + _MAIN_ROOT, struct.pack("<Q", P_INVALID))
    assert select_all(db) == ROWS


# -- the database a file belongs to -------------------------------------------------------------


def test_a_new_tablespace_records_the_database_uuid(db):
    header = read_header(table_file(db))
    engine_uuid = None
    conn = core.connect(db)
    try:
        engine_uuid = conn._engine.database_uuid()
    finally:
        conn.close()
    assert engine_uuid and header["uuid"] == engine_uuid


def test_a_file_copied_from_another_database_is_refused_at_open(db, tmp_path):
    """Same space id, same schema and table name, other columns: the header's uuid tells
    them apart.  A plain open refuses it (1877, naming the file and both uuids) instead of
    decoding the other database's rows with this table's columns; a forced open goes on
    without the table (1812), and nothing was written into the stranger."""
    other = str(tmp_path / "other")
    make_db(other, "id INT PRIMARY KEY, v INT, w VARCHAR(9)", [(1, 5, "hello"), (2, 6, "x")])
    theirs = table_file(other)
    assert read_header(theirs)["space_id"] == read_header(table_file(db))["space_id"]
    os.unlink(table_file(db))
    shutil.copy(theirs, table_file(db))
    with pytest.raises(CorruptionError) as exc:
        select_all(db)
    msg = str(exc.value)
    assert exc.value.errno == 1877 and table_file(db) in msg
    assert "belongs to another database" in msg and read_header(theirs)["uuid"] in msg
    conn = core.connect(db, force_recovery=1)
    try:
        with pytest.raises(DatabaseError) as exc:
            conn.cursor().execute("SELECT * FROM t")
        assert exc.value.errno == 1812
    finally:
        conn.close()
    assert select_all(other) == [(1, 5, "hello"), (2, 6, "x")]


# -- where a file is now --------------------------------------------------------------------------


def test_status_shows_where_a_moved_file_is_now(db, tmp_path):
    """The header keeps the path the file was created at; the status (and `stats()`) must
    show where it is now, after discovery found it elsewhere."""
    elsewhere = str(tmp_path / "elsewhere")
    os.makedirs(elsewhere)
    shutil.move(table_file(db), os.path.join(elsewhere, "t.kdb"))
    for lock in (table_file(db) + "-lock",):
        if os.path.exists(lock):
            os.unlink(lock)
    conn = core.connect(db, scan_directories=[elsewhere])
    try:
        spaces = {s.name: s.path for s in conn.info().tablespaces}
        engine = conn._engine
        stats = {sid: s["path"] for sid, s in engine.stats()["spaces"].items()}
    finally:
        conn.close()
    target = os.path.join(elsewhere, "t.kdb")
    assert spaces["test.t"] == target
    assert spaces["system (dictionary)"] == "system.kdb"
    assert target in stats.values()
    # and after a plain reopen (the map now points there)
    conn = core.connect(db)
    try:
        assert {s.name: s.path for s in conn.info().tablespaces}["test.t"] == target
    finally:
        conn.close()
