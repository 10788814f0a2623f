"""What the README's "not yet" list names answers 1235 naming the feature, never a
misleading error and never a wrong result (a multi-table UPDATE ran on every row of its
first table)."""

from __future__ import annotations

import pytest

import core


@pytest.mark.parametrize("sql, names", [
    ("CREATE VIEW v AS SELECT a FROM t WITH CHECK OPTION", "WITH CHECK OPTION"),
    ("UPDATE t x JOIN t y ON x.a = y.a SET x.b = 1, y.b = 3", "two aliases"),
    ("SELECT SUM(a) OVER (ORDER BY a GROUPS 1 PRECEDING) FROM t", "GROUPS frames"),
    ("SELECT a INTO @x FROM t", "INTO"),
    ("CREATE TEMPORARY TABLE tt (a INT)", "TEMPORARY"),
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


@pytest.mark.parametrize("sql, names", [
    ("CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", "'CREATE TRIGGER'"),
    ("CREATE USER u", "'CREATE USER'"),
    ("CREATE PROCEDURE p() BEGIN END", "'CREATE PROCEDURE'"),
    ("LOCK TABLES t READ", "'LOCK TABLES'"),
    ("CREATE FULLTEXT INDEX f ON t (a)", "'CREATE FULLTEXT INDEX'"),
])
def test_unsupported_statements_name_themselves(q, sql, names):
    q("CREATE TABLE t (a INT PRIMARY KEY)")
    with pytest.raises(core.Error) as info:
        q(sql)
    assert info.value.errno == 1235 and names in str(info.value), str(info.value)
