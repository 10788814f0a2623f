"""A query that reads through an index and meets an entry whose row does not exist fails
with TiDB's ERROR 8133 instead of returning a wrong answer (or silently fewer rows), on
every index-to-row path: the IndexLookUp operator (point, range, IN list, UPDATE/DELETE
through an index, an unbuffered cursor) and the inner side of an index join.  A row that
exists but is damaged and skipped by a forced open stays a warning (1877), not 8133.
"""

from __future__ import annotations

import pytest

import core
from core import faults
from core.errors import Error


def _connect(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, flush_interval=0.05, **kw)


@pytest.fixture
def db(tmp_path):
    conn = _connect(tmp_path / "db")
    yield conn
    conn.close()


def run(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def fails_8133(conn, sql, table="t", index="idx", counts=(1, 0)) -> None:
    with pytest.raises(Error) as ei:
        run(conn, sql)
    err = ei.value
    assert (err.errno, err.sqlstate) == (8133, "HY000"), err
    assert err.msg == (f"data inconsistency in table: {table}, index: {index}, "
                       f"index-count:{counts[0]} != record-count:{counts[1]}")


def _plan(conn, sql) -> str:
    return " ".join(str(r) for r in run(conn, "EXPLAIN " + sql))


@pytest.fixture
def dangling(db):
    """t(id, b, u): idx on b, unique uu on u; row 2 is gone, its entries stay."""
    run(db, "CREATE TABLE t (id INT PRIMARY KEY, b INT, u INT, KEY idx (b), UNIQUE KEY uu (u))")
    run(db, "INSERT INTO t VALUES (1, 10, 100), (2, 20, 200), (3, 30, 300), (4, 20, 400)")
    assert faults.remove_rows_keep_index(db, "t", [2]) == 1
    return db


def test_point_lookup_through_an_index(dangling):
    db = dangling
    sql = "SELECT * FROM t WHERE u = 200"
    assert "IndexLookUp" in _plan(db, sql)
    fails_8133(db, sql, index="uu")
    # two entries for b = 20, the first (handle 2) dangling
    fails_8133(db, "SELECT * FROM t WHERE b = 20", counts=(1, 0))
    # a sound lookup still works
    assert run(db, "SELECT id FROM t WHERE u = 300") == [(3,)]
    assert run(db, "SELECT id FROM t WHERE b = 10") == [(1,)]


def test_range_and_in_list_count_what_they_read(dangling):
    db = dangling
    # entries in key order: (10,1) (20,2) ...: the second one dangles
    fails_8133(db, "SELECT * FROM t FORCE INDEX (idx) WHERE b >= 5", counts=(2, 1))
    fails_8133(db, "SELECT * FROM t WHERE b IN (30, 20, 10)", counts=(2, 1))
    fails_8133(db, "SELECT COUNT(*) FROM t FORCE INDEX (uu) WHERE u > 0", index="uu",
               counts=(2, 1))
    # a range that does not reach the dangling entry is fine
    assert run(db, "SELECT id FROM t FORCE INDEX (idx) WHERE b >= 25") == [(3,)]


def test_table_scans_are_unaffected(dangling):
    db = dangling
    assert run(db, "SELECT id FROM t IGNORE INDEX (idx, uu) WHERE b = 20") == [(4,)]
    assert run(db, "SELECT COUNT(*) FROM t") == [(3,)]
    assert run(db, "SELECT id FROM t WHERE id = 2") == []  # by handle: no index involved


def test_index_join_inner_lookup(dangling):
    db = dangling
    run(db, "CREATE TABLE o (x INT)")
    run(db, "INSERT INTO o VALUES (10), (20)")
    sql = "SELECT o.x, t.id FROM o JOIN t ON t.b = o.x"
    assert "IndexJoin" in _plan(db, sql) and "inner:IndexLookUp" in _plan(db, sql)
    # the lookup for 20 reads two entries (handles 2 and 4) and finds one row
    fails_8133(db, sql, counts=(2, 1))
    fails_8133(db, "SELECT o.x, t.id FROM o LEFT JOIN t ON t.b = o.x", counts=(2, 1))
    run(db, "DELETE FROM o WHERE x = 20")
    assert run(db, sql) == [(10, 1)]


def test_writes_through_the_index_fail_and_change_nothing(dangling):
    db = dangling
    fails_8133(db, "UPDATE t SET u = u + 1 WHERE b = 20")
    fails_8133(db, "DELETE FROM t WHERE b = 20")
    assert run(db, "SELECT id, u FROM t IGNORE INDEX (idx, uu) ORDER BY id") == [
        (1, 100), (3, 300), (4, 400)]


def test_unbuffered_cursor(dangling):
    db = dangling
    cur = db.cursor(stream=True)
    with pytest.raises(Error) as ei:
        cur.execute("SELECT id FROM t FORCE INDEX (idx) WHERE b >= 5 ORDER BY b")
        cur.fetchall()
    assert ei.value.errno == 8133


def test_cleanup_makes_the_query_work_again(dangling):
    db = dangling
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(1,)]
    assert run(db, "ADMIN CLEANUP INDEX t uu") == [(1,)]
    assert run(db, "SELECT id FROM t WHERE b = 20") == [(4,)]
    assert run(db, "SELECT * FROM t WHERE u = 200") == []


def test_clustered_table_and_string_index(db):
    run(db, "CREATE TABLE c (k VARCHAR(10) PRIMARY KEY, s VARCHAR(10), KEY si (s))")
    run(db, "INSERT INTO c VALUES ('a', 'x'), ('b', 'y'), ('c', 'y')")
    faults.remove_rows_keep_index(db, "c", ["c"])
    fails_8133(db, "SELECT * FROM c WHERE s = 'y'", table="c", index="si", counts=(2, 1))
    assert run(db, "SELECT k FROM c WHERE s = 'x'") == [("a",)]


def test_own_deletes_in_a_transaction_are_not_dangling(tmp_path):
    conn = core.connect(str(tmp_path / "db"), create=True, autocommit=False)
    try:
        run(conn, "CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY idx (b))")
        run(conn, "INSERT INTO t VALUES (1, 1), (2, 1)")
        conn.commit()
        run(conn, "DELETE FROM t WHERE id = 2")
        assert run(conn, "SELECT id FROM t WHERE b = 1") == [(1,)]
        conn.rollback()
        assert run(conn, "SELECT id FROM t WHERE b = 1") == [(1,), (2,)]
    finally:
        conn.close()


def test_damaged_row_on_a_forced_open_is_a_warning(tmp_path):
    path = tmp_path / "db"
    conn = _connect(path)
    run(conn, "CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY idx (b))")
    run(conn, "INSERT INTO t VALUES (1, 5), (2, 5), (3, 5)")
    faults.corrupt_row(conn, "t", 2)
    with pytest.raises(Error) as ei:  # a normal open: the damaged row is an error
        run(conn, "SELECT id FROM t WHERE b = 5")
    assert ei.value.errno == 1877
    conn.close()
    conn = _connect(path, force_recovery=1)
    try:
        cur = conn.cursor()
        cur.execute("SELECT id FROM t WHERE b = 5")
        assert cur.fetchall() == [(1,), (3,)]
        assert [w[1] for w in cur.warnings] == [1877]
        # the join's inner lookup too
        join = ("SELECT a.id, b.id FROM t AS a IGNORE INDEX (idx) JOIN t AS b "
                "ON b.b = a.b WHERE a.id = 1")
        assert "inner:IndexLookUp" in _plan(conn, join)
        cur.execute(join)
        assert cur.fetchall() == [(1, 1), (1, 3)]
        assert {w[1] for w in cur.warnings} == {1877}
    finally:
        conn.close()


@pytest.mark.parametrize("stmt", [
    "INSERT INTO u VALUES (2, 'zz')",
    "INSERT IGNORE INTO u VALUES (2, 'zz')",
    "REPLACE INTO u VALUES (2, 'zz')",
    "UPDATE u SET s = 'zz' WHERE a = 1",
])
def test_a_dangling_unique_entry_is_8133_not_a_duplicate(tmp_path, stmt):
    """The entry that blocks the write points at no row: 1062 would send the DBA looking
    for a row that does not exist; 8133 names the index and CLEANUP fixes it."""
    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        c.execute("CREATE TABLE u (a INT PRIMARY KEY, s VARCHAR(10), UNIQUE KEY us (s))")
        c.execute("INSERT INTO u VALUES (1, 'a')")
        faults.add_dangling_index_entry(c, "u", "us", ["zz"], 9)
        with pytest.raises(core.DatabaseError) as err:
            c.execute(stmt)
        assert err.value.errno == 8133
        assert "ADMIN CLEANUP INDEX u us" in err.value.msg
        assert c.execute("SELECT * FROM u").fetchall() == [(1, "a")]  # nothing changed
        with pytest.raises(core.IntegrityError) as dup:  # a real duplicate stays 1062
            c.execute("INSERT INTO u VALUES (3, 'a')")
        assert dup.value.errno == 1062
        c.execute("ADMIN CLEANUP INDEX u us")
        c.execute(stmt)  # and once cleaned up, the write goes through


def test_force_index_without_a_range_reads_the_whole_index(tmp_path):
    """TiDB's way to compare an index with its table by hand: COUNT(*) through the index
    (an IndexFullScan) against COUNT(*) with USE INDEX ()."""
    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        c.execute("CREATE TABLE tbl (id INT PRIMARY KEY, c INT, KEY idx (c))")
        c.execute("INSERT INTO tbl VALUES (1, 30), (2, 20), (3, 10)")
        plan = c.execute("EXPLAIN SELECT COUNT(*) FROM tbl FORCE INDEX (idx)").fetchall()
        assert "full index (FORCE INDEX)" in plan[-1][3] and "index:idx" in plan[-1][2]
        assert c.execute("SELECT id FROM tbl FORCE INDEX (idx)").fetchall() == \
            [(3,), (2,), (1,)]  # index order
        faults.remove_index_entries(c, "tbl", "idx", [3])
        assert c.execute("SELECT COUNT(*) FROM tbl FORCE INDEX (idx)").fetchone() == (2,)
        assert c.execute("SELECT COUNT(*) FROM tbl USE INDEX ()").fetchone() == (3,)
        faults.add_dangling_index_entry(c, "tbl", "idx", [5], 9)
        with pytest.raises(Error) as err:
            c.execute("SELECT COUNT(*) FROM tbl FORCE INDEX (idx)")
        assert err.value.errno == 8133
