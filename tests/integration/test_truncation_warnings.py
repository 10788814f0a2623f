"""A string read as a number only in part: MySQL's warning 1292 in a SELECT, the error in
a strict INSERT, UPDATE or DELETE (nothing written), a warning again under IGNORE."""

import pytest

import core


@pytest.fixture
def sm(q):
    q("CREATE TABLE sm (id INT PRIMARY KEY, s VARCHAR(10), n INT)")
    q("INSERT INTO sm VALUES (1, '12abc', 12), (2, '5', 5)")
    return q


def test_warnings_in_a_select(sm):
    q = sm
    assert q("SELECT id FROM sm WHERE s = 12") == [(1,)]
    assert q("SHOW WARNINGS") == [("Warning", 1292, "Truncated incorrect DOUBLE value: '12abc'")]
    assert q("SELECT CAST('abc' AS SIGNED), CAST('1.5x' AS DECIMAL(5,2))")[0][0] == 0
    assert [w[2] for w in q("SHOW WARNINGS")] == [
        "Truncated incorrect INTEGER value: 'abc'", "Truncated incorrect DECIMAL value: '1.5x'"]
    assert q("SELECT id FROM sm WHERE s = '5'") == [(2,)]  # strings compare as strings
    assert q("SHOW WARNINGS") == []


@pytest.mark.parametrize("sql", [
    "DELETE FROM sm WHERE s = 12",
    "UPDATE sm SET n = 1 WHERE s = 12",
    "INSERT INTO sm SELECT 3, 'x', CAST('9z' AS SIGNED)",
])
def test_strict_writes_fail(sm, sql):
    q = sm
    with pytest.raises(core.DataError) as e:
        q(sql)
    assert e.value.errno == 1292 and e.value.sqlstate == "22007"
    assert q("SELECT * FROM sm ORDER BY id") == [(1, "12abc", 12), (2, "5", 5)]


def test_ignore_and_non_strict_keep_the_warning(sm):
    q = sm
    assert q("UPDATE IGNORE sm SET n = 1 WHERE s = 12") == 1
    assert [w[1] for w in q("SHOW WARNINGS")] == [1292]
    q("SET sql_mode = ''")
    assert q("DELETE FROM sm WHERE s = 12") == 1


def test_arithmetic_on_a_partly_numeric_string(sm):
    q = sm
    assert q("SELECT s + 1 FROM sm ORDER BY id") == [(13.0,), (6.0,)]
    assert q("SHOW WARNINGS") == [("Warning", 1292, "Truncated incorrect DOUBLE value: '12abc'")]
    with pytest.raises(core.DataError) as e:
        q("UPDATE sm SET n = s + 1")
    assert e.value.errno == 1292
    assert q("SELECT n FROM sm ORDER BY id") == [(12,), (5,)]
    assert q("SELECT '3' + 4") == [(7.0,)]
    assert q("SHOW WARNINGS") == []
