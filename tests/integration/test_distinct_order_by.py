"""SELECT DISTINCT with an ORDER BY on what the list does not show: MySQL 8's 3065."""

import pytest

import core


@pytest.fixture
def t(q):
    q("CREATE TABLE t (a INT, b INT)")
    q("INSERT INTO t VALUES (1, 2), (1, 3), (2, 1)")
    return q


@pytest.mark.parametrize("sql, column", [
    ("SELECT DISTINCT a FROM t ORDER BY b", "test.t.b"),
    ("SELECT DISTINCT a + 1 AS k FROM t ORDER BY a", "test.t.a"),
    ("SELECT DISTINCT a FROM t ORDER BY a, b + 1", "test.t.b"),
])
def test_refused(t, sql, column):
    with pytest.raises(core.Error) as e:
        t(sql)
    assert e.value.errno == 3065 and f"references column '{column}'" in str(e.value)


@pytest.mark.parametrize("sql, rows", [
    ("SELECT DISTINCT a FROM t ORDER BY a + 1 DESC", [(2,), (1,)]),
    ("SELECT DISTINCT a AS x FROM t ORDER BY x", [(1,), (2,)]),
    ("SELECT DISTINCT t.a FROM t ORDER BY a", [(1,), (2,)]),
    ("SELECT DISTINCT a, b FROM t ORDER BY b", [(2, 1), (1, 2), (1, 3)]),
    ("SELECT DISTINCT a FROM t ORDER BY (SELECT 1), a", [(1,), (2,)]),
])
def test_accepted(t, sql, rows):
    assert t(sql) == rows
