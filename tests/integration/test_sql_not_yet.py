"""What the README's "not yet" list names answers 1235 naming the feature, never a
misleading error (a CTE's name read as a missing table, 1146) and never a wrong result."""

from __future__ import annotations

import pytest

import core


@pytest.mark.parametrize("sql, names", [
    ("WITH c AS (SELECT 1) SELECT * FROM c", "WITH"),
    ("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) "
     "SELECT * FROM c", "WITH"),
    ("SELECT * FROM (WITH c AS (SELECT 1 AS x) SELECT x FROM c) z", "WITH"),
    ("CREATE VIEW v AS SELECT a FROM t", "VIEW"),
    ("SELECT ROW_NUMBER() OVER (ORDER BY a) FROM t", "window functions"),
    ("SELECT * FROM t x RIGHT JOIN t y ON x.a = y.a", "RIGHT JOIN"),
    ("DELETE x FROM t x JOIN t y ON x.a = y.a", "multi-table DELETE"),
    ("UPDATE t x JOIN t y ON x.a = y.a SET x.b = 1", "multi-table UPDATE"),
    ("CREATE TABLE j (a JSON)", "JSON"),
])
def test_not_yet_answers_1235_naming_it(q, sql, names):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES (1, 2)")
    with pytest.raises(core.Error) as info:
        q(sql)
    assert info.value.errno == 1235, str(info.value)
    assert names in str(info.value)
    assert q("SELECT * FROM t") == [(1, 2)]
