"""ROW_COUNT() and FOUND_ROWS() as MySQL's: what the previous statement did."""

import pytest

import core


def test_row_count_and_found_rows(q):
    q("CREATE TABLE t (a INT)")
    assert q("SELECT ROW_COUNT()") == [(0,)]  # after DDL
    q("INSERT INTO t VALUES (1), (2)")
    assert q("SELECT ROW_COUNT()") == [(2,)]
    assert q("SELECT ROW_COUNT()") == [(-1,)]  # after a result set
    q("UPDATE t SET a = a + 1 WHERE a = 1")
    assert q("SELECT ROW_COUNT()") == [(1,)]
    q("SELECT * FROM t")
    assert q("SELECT FOUND_ROWS()") == [(2,)]
    with pytest.raises(core.Error):
        q("INSERT INTO t VALUES ('x')")
    assert q("SELECT ROW_COUNT()") == [(-1,)]  # after an error
    with pytest.raises(core.Error) as e:
        q("SELECT SQL_CALC_FOUND_ROWS a FROM t LIMIT 1")
    assert e.value.errno == 1235 and "SQL_CALC_FOUND_ROWS" in str(e.value)
