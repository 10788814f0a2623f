"""`SELECT ... FROM DUAL` is MySQL's spelling of a SELECT without a table (it answered 1146
"Table 'd.DUAL' doesn't exist"; issue 15)."""

from __future__ import annotations


def test_from_dual_is_no_table(q):
    q("CREATE DATABASE d")
    q("USE d")
    assert q("SELECT 1 FROM DUAL") == [(1,)]
    assert q("SELECT 1 + 1 AS x FROM dual WHERE 1 = 0") == []
    assert q("SELECT 'a' FROM DUAL WHERE 1 LIMIT 1") == [("a",)]
    assert q("SELECT COUNT(*) FROM DUAL") == [(1,)]
