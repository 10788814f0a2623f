"""MySQL 8's default sql_mode (STRICT_TRANS_TABLES, ERROR_FOR_DIVISION_BY_ZERO): a division
by zero inside INSERT or UPDATE is ERROR 1365 and writes nothing; INSERT IGNORE and reads
keep it a warning and NULL (issue 15: NULL was stored silently)."""

from __future__ import annotations

import datetime

import pytest

import core


@pytest.fixture
def t(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES (1, 2), (2, 4)")
    return q


@pytest.mark.parametrize("sql", [
    "INSERT INTO t VALUES (3, 1/0)",
    "INSERT INTO t VALUES (3, 5 DIV 0)",
    "INSERT INTO t VALUES (3, MOD(5, 0))",
    "INSERT INTO t VALUES (3, 1), (4, 1/0)",
    "INSERT INTO t SELECT a + 10, b / 0 FROM t",
    "REPLACE INTO t VALUES (1, 1/0)",
    "INSERT INTO t VALUES (1, 1) ON DUPLICATE KEY UPDATE b = 1/0",
    "UPDATE t SET b = b / 0",
    "UPDATE t SET b = 9 WHERE a / 0 IS NULL",
])
def test_division_by_zero_in_a_write_is_1365_and_writes_nothing(t, sql):
    with pytest.raises(core.Error) as info:
        t(sql)
    assert info.value.errno == 1365 and info.value.sqlstate == "22012"
    assert t("SELECT * FROM t ORDER BY a") == [(1, 2), (2, 4)]


def test_ignore_and_reads_keep_the_warning(t):
    assert t("INSERT IGNORE INTO t VALUES (3, 1/0)") == 1
    assert t("SHOW WARNINGS") == [("Warning", 1365, "Division by 0")]
    assert t("SELECT b FROM t WHERE a = 3") == [(None,)]
    assert t("SELECT 1/0") == [(None,)]
    assert t("SHOW WARNINGS") == [("Warning", 1365, "Division by 0")]
    # the next write after a failed one is strict again, and a clean one succeeds
    assert t("UPDATE t SET b = 8 WHERE a = 3") == 1
    with pytest.raises(core.Error):
        t("UPDATE t SET b = 1 DIV 0 WHERE a = 3")
    assert t("SELECT b FROM t WHERE a = 3") == [(8,)]


def test_str_to_date_that_cannot_read_is_1411_in_strict_writes(q):
    """MySQL: NULL with warning 1411 in a SELECT; in a strict INSERT/UPDATE the error."""
    q("CREATE TABLE sd (id INT PRIMARY KEY, d DATE)")
    q("INSERT INTO sd VALUES (1, '2020-01-01')")
    assert q("SELECT STR_TO_DATE('bad', '%Y-%m-%d')") == [(None,)]
    assert [w[1] for w in q("SHOW WARNINGS")] == [1411]
    with pytest.raises(core.DataError) as e:
        q("UPDATE sd SET d = STR_TO_DATE('bad', '%Y-%m-%d')")
    assert e.value.errno == 1411
    assert q("SELECT d FROM sd") == [(datetime.date(2020, 1, 1),)]
    q("UPDATE IGNORE sd SET d = STR_TO_DATE('bad', '%Y-%m-%d')")
    assert q("SELECT d FROM sd") == [(None,)]
