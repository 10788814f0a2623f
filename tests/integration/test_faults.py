"""core.faults: each kind of damage is real (seen by a raw read of the keys), durable (it
survives closing and reopening), and refused clearly when its target does not exist."""

from __future__ import annotations

import pytest

import core
from core import faults
from core.errors import ProgrammingError


@pytest.fixture
def conn(tmp_path):
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    c.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT, c VARCHAR(10), KEY ib (b), "
              "UNIQUE KEY uc (c))")
    c.execute("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (3, 30, 'z')")
    yield c
    c.close()


def through(conn, index: str) -> list[int]:
    """The handles an index lookup over the whole index finds, in index order."""
    cond = "b > -1000" if index == "ib" else "c >= ''"
    cur = conn.execute(f"SELECT a FROM t FORCE INDEX ({index}) WHERE {cond}")
    return [r[0] for r in cur.fetchall()]


def test_removed_entries_hide_rows_from_the_index_only(conn):
    assert faults.remove_index_entries(conn, "t", "ib", [2]) == 1
    assert through(conn, "ib") == [1, 3]
    assert conn.execute("SELECT COUNT(*) FROM t IGNORE INDEX (ib)").fetchone() == (3,)
    assert faults.remove_index_entries(conn, "t", "ib", [2]) == 0  # already gone


def test_damage_survives_a_restart(tmp_path, conn):
    faults.remove_index_entries(conn, "test.t", "uc", [1])
    faults.remove_rows_keep_index(conn, "t", [3])
    conn.close()
    with core.connect(str(tmp_path / "db"), autocommit=True) as again:
        rows = again.execute("SELECT a FROM t IGNORE INDEX (uc, ib)").fetchall()
        assert rows == [(1,), (2,)]
        report = again.execute("CHECK TABLE t EXTENDED").fetchall()
        assert report[-1][2:] == ("error", "Corrupt")


def test_a_changed_entry_points_at_the_right_row_with_other_values(conn):
    assert faults.change_index_entry(conn, "t", "ib", 3, [31]) == 2
    # the row keeps b = 30, so a lookup of 30 misses it and one of 31 finds a row whose b
    # is not 31 (the filter after the lookup drops it): through the index, row 3 is lost
    assert conn.execute("SELECT b FROM t WHERE a = 3").fetchone() == (30,)
    assert conn.execute("SELECT a FROM t FORCE INDEX (ib) WHERE b = 30").fetchall() == []
    assert conn.execute("SELECT a FROM t FORCE INDEX (ib) WHERE b = 31").fetchall() == []
    assert through(conn, "ib") == [1, 2, 3]


def test_a_dangling_entry_and_a_corrupt_row(conn):
    assert faults.add_dangling_index_entry(conn, "t", "uc", ["q"], 9) == 1
    assert faults.corrupt_row(conn, "t", 2) == 1
    with pytest.raises(core.DatabaseError) as err:
        conn.execute("SELECT * FROM t WHERE a = 2").fetchall()
    assert err.value.errno == 1877


@pytest.mark.parametrize("call, errno", [
    (lambda c: faults.remove_index_entries(c, "nope", "ib", [1]), 1146),
    (lambda c: faults.remove_index_entries(c, "t", "zz", [1]), 1176),
    (lambda c: faults.corrupt_row(c, "t", 77), 1032),
    (lambda c: faults.remove_rows_keep_index(c, "t", ["1"]), 1210),
    (lambda c: faults.add_dangling_index_entry(c, "t", "ib", [1, 2], 5), 1136),
])
def test_bad_targets_are_refused_and_change_nothing(conn, call, errno):
    before = conn.execute("CHECK TABLE t EXTENDED").fetchall()
    with pytest.raises(ProgrammingError) as err:
        call(conn)
    assert err.value.errno == errno
    assert conn.execute("CHECK TABLE t EXTENDED").fetchall() == before


def test_refused_inside_a_transaction(tmp_path):
    with core.connect(str(tmp_path / "db"), create=True) as c:
        c.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY ib (b))")
        c.execute("INSERT INTO t VALUES (1, 1)")
        with pytest.raises(ProgrammingError) as err:
            faults.remove_index_entries(c, "t", "ib", [1])
        assert err.value.errno == 1210 and "transaction" in err.value.msg
