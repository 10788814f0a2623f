"""The seed (../shared/seeds/000_5c1381cdc2f3ea71.txt, TiDB's ADMIN RECOVER INDEX page) end
to end on real files: a table of 3 rows whose index lost one entry (2 entries) fails its
CHECK, RECOVER answers ADDED_COUNT 1, SCAN_COUNT 3, and CHECK then passes.

In TiDB's example the SELECT fails too; a plain SELECT cannot see a *missing* entry without
reading the table beside the index (TiDB's current IndexLookUp does not either), so here a
read through the index misses the row until the repair, a table scan sees all three, and the
COUNT through each disagrees: exactly what CHECK reports.  A *dangling* entry (the other half
of the seed's note: rows lost, entries kept) does fail the SELECT, with ERROR 8133, and
CLEANUP + RECOVER restore it.
"""

from __future__ import annotations

import pytest

import core
from core import faults
from core.errors import Error
from tests.integration.test_admin_repair import assert_exact


@pytest.fixture
def db(tmp_path):
    conn = core.connect(str(tmp_path / "db"), create=True, autocommit=True, flush_interval=0.05)
    yield conn
    conn.close()


def run(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def error(conn, sql) -> Error:
    with pytest.raises(Error) as ei:
        run(conn, sql)
    return ei.value


def test_seed_missing_entry(db):
    run(db, "CREATE TABLE tbl (id INT PRIMARY KEY, v INT, KEY idx (v))")
    run(db, "INSERT INTO tbl VALUES (1, 10), (2, 20), (3, 30)")
    assert faults.remove_index_entries(db, "tbl", "idx", [2]) == 1

    # 3 rows, 2 index entries
    assert run(db, "SELECT * FROM tbl") == [(1, 10), (2, 20), (3, 30)]
    assert run(db, "SELECT COUNT(*) FROM tbl IGNORE INDEX (idx)") == [(3,)]
    assert run(db, "SELECT v FROM tbl FORCE INDEX (idx) WHERE v > 0") == [(10,), (30,)]

    # CHECK fails, with TiDB's error for a missing entry (8223) or its count check (8003)
    for stmt in ("ADMIN CHECK INDEX tbl idx", "ADMIN CHECK TABLE tbl"):
        err = error(db, stmt)
        assert err.errno in (8223, 8003), err
        if err.errno == 8223:
            assert err.msg == ('data inconsistency in table: tbl, index: idx, handle: 2, '
                               'index-values:"" != record-values:"handle: 2, values: '
                               '[KindInt64 20]"')
        else:
            assert err.msg == "table count 3 != index(idx) count 2"

    cur = db.cursor()
    cur.execute("ADMIN RECOVER INDEX tbl idx")
    assert [d[0] for d in cur.description] == ["ADDED_COUNT", "SCAN_COUNT"]
    assert cur.fetchall() == [(1, 3)]

    assert run(db, "ADMIN CHECK INDEX tbl idx") in ([], 0)  # no rows
    assert run(db, "ADMIN CHECK TABLE tbl") in ([], 0)
    assert run(db, "SELECT v FROM tbl FORCE INDEX (idx) WHERE v > 0") == [(10,), (20,), (30,)]
    assert_exact(db, "tbl", "idx")


def test_seed_note_rows_lost_entries_kept(db):
    """The seed's note: rows and entries may both be lost; CLEANUP then RECOVER."""
    run(db, "CREATE TABLE tbl (id INT PRIMARY KEY, v INT, KEY idx (v))")
    run(db, "INSERT INTO tbl VALUES (1, 10), (2, 20), (3, 30)")
    faults.remove_rows_keep_index(db, "tbl", [3])  # a row lost, its entry kept
    faults.remove_index_entries(db, "tbl", "idx", [1])  # an entry lost, its row kept
    err = error(db, "SELECT * FROM tbl WHERE v = 30")
    assert (err.errno, err.msg) == (8133, "data inconsistency in table: tbl, index: idx, "
                                          "index-count:1 != record-count:0")
    assert run(db, "ADMIN CLEANUP INDEX tbl idx") == [(1,)]
    assert run(db, "ADMIN RECOVER INDEX tbl idx") == [(1, 2)]
    assert run(db, "SELECT * FROM tbl WHERE v = 30") == []
    assert run(db, "SELECT id FROM tbl WHERE v = 10") == [(1,)]
    assert_exact(db, "tbl", "idx")
    assert run(db, "ADMIN CHECK INDEX tbl idx") in ([], 0)  # no rows
