"""INSERT IGNORE / UPDATE IGNORE turn data errors into warnings and store MySQL's adjusted
values; without IGNORE (strict sql_mode, the default) the same problems fail the whole
statement, in INSERT ... VALUES, INSERT ... SELECT and UPDATE alike.  Expected values and
SHOW WARNINGS rows are MySQL 8.0's (strict sql_mode: a string cut short warns 1406)."""

from decimal import Decimal

import pytest

import core


def _warnings(q):
    return [(r[1], r[2]) for r in q("SHOW WARNINGS")]


def _fails(q, sql, errno, text=None):
    with pytest.raises(core.Error) as e:
        q(sql)
    assert e.value.errno == errno
    if text is not None:
        assert e.value.msg == text


def test_insert_ignore_issue_example(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT NOT NULL, u INT UNSIGNED, s VARCHAR(3))")
    _fails(q, "INSERT INTO t VALUES (5, NULL, -1, 'toolong')", 1048)
    assert q("INSERT IGNORE INTO t VALUES (5, NULL, -1, 'toolong')") == 1
    assert _warnings(q) == [
        (1048, "Column 'b' cannot be null"),
        (1264, "Out of range value for column 'u' at row 1"),
        (1406, "Data too long for column 's' at row 1"),
    ]
    assert q("SELECT * FROM t") == [(5, 0, 0, "too")]


def test_insert_ignore_multi_row_some_adjusted(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, ti TINYINT, n INT, d DECIMAL(5,2), s CHAR(2))")
    n = q("INSERT IGNORE INTO t VALUES (1, 300, 'abc', 12345, 'ok'), (2, 5, '12abc', 1.5, 'xyz'),"
          " (3, -300, 7, -1e10, 'a'), (1, 0, 0, 0, ''), (4, 1, ' 42 ', 'abc', 'b')")
    assert n == 4
    assert _warnings(q) == [
        (1264, "Out of range value for column 'ti' at row 1"),
        (1366, "Incorrect integer value: 'abc' for column 'n' at row 1"),
        (1264, "Out of range value for column 'd' at row 1"),
        (1265, "Data truncated for column 'n' at row 2"),
        (1406, "Data too long for column 's' at row 2"),
        (1264, "Out of range value for column 'ti' at row 3"),
        (1264, "Out of range value for column 'd' at row 3"),
        (1062, "Duplicate entry '1' for key 't.PRIMARY'"),
        (1366, "Incorrect decimal value: 'abc' for column 'd' at row 5"),
    ]
    assert q("SELECT * FROM t ORDER BY a") == [
        (1, 127, 0, Decimal("999.99"), "ok"),
        (2, 5, 12, Decimal("1.50"), "xy"),
        (3, -128, 7, Decimal("-999.99"), "a"),
        (4, 1, 42, Decimal("0.00"), "b"),
    ]


def test_insert_ignore_unsigned_float_binary(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, u BIGINT UNSIGNED, f FLOAT, g DOUBLE,"
      " fd FLOAT(5,2), b VARBINARY(2), e DECIMAL(4,1) UNSIGNED)")
    q("INSERT IGNORE INTO t VALUES (1, -5, 1e39, 'x', 12345, 'abc', -3),"
      " (2, 99999999999999999999, -1e39, '7y', -12345, 'ab', '5')")
    assert _warnings(q) == [
        (1264, "Out of range value for column 'u' at row 1"),
        (1264, "Out of range value for column 'f' at row 1"),
        (1265, "Data truncated for column 'g' at row 1"),
        (1264, "Out of range value for column 'fd' at row 1"),
        (1406, "Data too long for column 'b' at row 1"),
        (1264, "Out of range value for column 'e' at row 1"),
        (1264, "Out of range value for column 'u' at row 2"),
        (1264, "Out of range value for column 'f' at row 2"),
        (1265, "Data truncated for column 'g' at row 2"),
        (1264, "Out of range value for column 'fd' at row 2"),
    ]
    rows = q("SELECT a, u, f > 3.4e38, f < -3.4e38, g, fd, b, e FROM t ORDER BY a")
    assert rows == [
        (1, 0, 1, 0, 0.0, 999.99, b"ab", Decimal("0.0")),
        (2, 18446744073709551615, 0, 1, 7.0, -999.99, b"ab", Decimal("5.0")),
    ]


def test_insert_ignore_missing_not_null_column(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT NOT NULL, s VARCHAR(5) NOT NULL,"
      " c INT NOT NULL DEFAULT 7, tm TIME NOT NULL)")
    _fails(q, "INSERT INTO t (a) VALUES (1)", 1364, "Field 'b' doesn't have a default value")
    assert q("INSERT IGNORE INTO t (a) VALUES (1)") == 1
    assert _warnings(q) == [
        (1364, "Field 'b' doesn't have a default value"),
        (1364, "Field 's' doesn't have a default value"),
        (1364, "Field 'tm' doesn't have a default value"),
    ]
    assert q("SELECT a, b, s, c, CAST(tm AS CHAR) FROM t") == [(1, 0, "", 7, "00:00:00")]
    # NULL into NOT NULL gets the type's implicit default, not the column's DEFAULT
    q("INSERT IGNORE INTO t VALUES (2, NULL, NULL, NULL, NULL)")
    assert _warnings(q) == [(1048, f"Column '{c}' cannot be null") for c in ("b", "s", "c", "tm")]
    assert q("SELECT a, b, s, c FROM t WHERE a = 2") == [(2, 0, "", 0)]


def test_insert_ignore_zero_dates_stay_errors(q):
    """MySQL stores '0000-00-00' with a warning; this engine cannot store a zero date, so a
    bad DATE/DATETIME (or NULL into a NOT NULL DATE) stays an error under IGNORE."""
    q("CREATE TABLE t (a INT PRIMARY KEY, d DATE, dn DATETIME NOT NULL)")
    _fails(q, "INSERT IGNORE INTO t VALUES (1, 'abc', '2020-01-01')", 1292,
           "Incorrect date value: 'abc' for column 'd' at row 1")
    _fails(q, "INSERT IGNORE INTO t VALUES (1, NULL, NULL)", 1048)
    assert q("SELECT COUNT(*) FROM t") == [(0,)]


def test_insert_ignore_select(q):
    q("CREATE TABLE src (id INT, v VARCHAR(10))")
    q("INSERT INTO src VALUES (1, '5'), (2, 'abc'), (3, '300'), (4, '9z')")
    q("CREATE TABLE t (id INT PRIMARY KEY, v TINYINT NOT NULL)")
    _fails(q, "INSERT INTO t SELECT id, v FROM src ORDER BY id", 1366,
           "Incorrect integer value: 'abc' for column 'v' at row 2")
    assert q("SELECT COUNT(*) FROM t") == [(0,)]
    assert q("INSERT IGNORE INTO t SELECT id, v FROM src ORDER BY id") == 4
    assert _warnings(q) == [
        (1366, "Incorrect integer value: 'abc' for column 'v' at row 2"),
        (1264, "Out of range value for column 'v' at row 3"),
        (1265, "Data truncated for column 'v' at row 4"),
    ]
    assert q("SELECT * FROM t ORDER BY id") == [(1, 5), (2, 0), (3, 127), (4, 9)]


def _table(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, u TINYINT UNSIGNED, s VARCHAR(2),"
      " k INT UNIQUE, n INT NOT NULL DEFAULT 5)")
    q("INSERT INTO t VALUES (1, 10, 'a', 1, 1), (2, 20, 'b', 2, 2), (3, 30, 'c', 3, 3)")


def test_update_ignore_parses_and_adjusts(q):
    _table(q)
    assert q("UPDATE IGNORE t SET u = 150 - id * 100, s = CONCAT(s, 'xyz')") == 3
    assert _warnings(q) == [
        (1406, "Data too long for column 's' at row 1"),
        (1264, "Out of range value for column 'u' at row 2"),
        (1406, "Data too long for column 's' at row 2"),
        (1264, "Out of range value for column 'u' at row 3"),
        (1406, "Data too long for column 's' at row 3"),
    ]
    assert q("SELECT id, u, s FROM t ORDER BY id") == [(1, 50, "ax"), (2, 0, "bx"), (3, 0, "cx")]
    assert q("UPDATE IGNORE t SET n = NULL WHERE id = 1") == 1
    assert _warnings(q) == [(1048, "Column 'n' cannot be null")]
    assert q("SELECT n FROM t WHERE id = 1") == [(0,)]
    assert q("UPDATE LOW_PRIORITY IGNORE t SET n = 'abc' WHERE id = 2") == 1
    assert _warnings(q) == [(1366, "Incorrect integer value: 'abc' for column 'n' at row 1")]


def test_update_ignore_skips_duplicate_rows(q):
    _table(q)
    _fails(q, "UPDATE t SET k = k + 1", 1062, "Duplicate entry '2' for key 't.k'")
    assert q("UPDATE IGNORE t SET k = k + 1") == 1
    assert _warnings(q) == [
        (1062, "Duplicate entry '2' for key 't.k'"),
        (1062, "Duplicate entry '3' for key 't.k'"),
    ]
    assert q("SELECT id, k FROM t ORDER BY id") == [(1, 1), (2, 2), (3, 4)]
    assert q("UPDATE IGNORE t SET id = id + 1 ORDER BY id") == 1
    assert _warnings(q) == [
        (1062, "Duplicate entry '2' for key 't.PRIMARY'"),
        (1062, "Duplicate entry '3' for key 't.PRIMARY'"),
    ]
    assert q("SELECT id FROM t ORDER BY id") == [(1,), (2,), (4,)]


@pytest.mark.parametrize("sql, errno, text", [
    ("UPDATE t SET u = 150 - id * 100", 1264, "Out of range value for column 'u' at row 2"),
    ("UPDATE t SET n = 'abc'", 1366, "Incorrect integer value: 'abc' for column 'n' at row 1"),
    ("UPDATE t SET n = '12abc'", 1265, "Data truncated for column 'n' at row 1"),
    ("UPDATE t SET s = CONCAT(s, 'xy')", 1406, "Data too long for column 's' at row 1"),
    ("UPDATE t SET n = NULL WHERE id > 1", 1048, "Column 'n' cannot be null"),
])
def test_strict_update_fails_whole(q, sql, errno, text):
    _table(q)
    before = q("SELECT * FROM t ORDER BY id")
    _fails(q, sql, errno, text)
    assert q("SELECT * FROM t ORDER BY id") == before


def test_strict_update_temporal(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, d DATE, tm TIME)")
    q("INSERT INTO t VALUES (1, '2020-01-01', '10:00:00')")
    _fails(q, "UPDATE t SET d = 'abc'", 1292,
           "Incorrect date value: 'abc' for column 'd' at row 1")
    _fails(q, "UPDATE t SET tm = 'abc'", 1292,
           "Incorrect time value: 'abc' for column 'tm' at row 1")


@pytest.mark.parametrize("expr, errno, text", [
    ("'abc'", 1366, "Incorrect integer value: 'abc' for column 'n' at row 2"),
    ("'1x'", 1265, "Data truncated for column 'n' at row 2"),
    ("300", 1264, "Out of range value for column 'n' at row 2"),
])
def test_strict_insert_select_fails_whole(q, expr, errno, text):
    q("CREATE TABLE src (id INT)")
    q("INSERT INTO src VALUES (1), (2)")
    q("CREATE TABLE t (id INT PRIMARY KEY, n TINYINT, d DATE, s VARCHAR(2))")
    _fails(q, f"INSERT INTO t (id, n) SELECT id, IF(id = 2, {expr}, 1) FROM src ORDER BY id",
           errno, text)
    assert q("SELECT COUNT(*) FROM t") == [(0,)]


def test_strict_insert_select_temporal_and_length(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, d DATE, s VARCHAR(2))")
    _fails(q, "INSERT INTO t (id, d) SELECT 1, 'bad'", 1292,
           "Incorrect date value: 'bad' for column 'd' at row 1")
    _fails(q, "INSERT INTO t (id, s) SELECT 1, 'long'", 1406,
           "Data too long for column 's' at row 1")
    _fails(q, "INSERT INTO t VALUES (1, NULL, 'ok'), (2, NULL, 'toolong')", 1406,
           "Data too long for column 's' at row 2")
    assert q("SELECT COUNT(*) FROM t") == [(0,)]


def test_ignore_keeps_max_error_count_warnings(conn, q):
    q("CREATE TABLE src (id INT PRIMARY KEY)")
    conn.cursor().executemany("INSERT INTO src VALUES (%s)", [(i,) for i in range(1, 1101)])
    q("CREATE TABLE t (id INT PRIMARY KEY, v TINYINT UNSIGNED)")
    assert q("INSERT IGNORE INTO t SELECT id, -id FROM src") == 1100
    w = _warnings(q)
    assert len(w) == 1024  # @@max_error_count
    assert w[-1] == (1264, "Out of range value for column 'v' at row 1024")
    assert q("SELECT COUNT(*), SUM(v) FROM t") == [(1100, 0)]
    assert q("UPDATE IGNORE t SET v = 1000") == 1100
    assert len(_warnings(q)) == 1024
    assert q("SELECT COUNT(*) FROM t WHERE v = 255") == [(1100,)]
