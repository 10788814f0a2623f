"""MySQL 8 semantics of conditions, temporal comparisons and result types (issue 15, "Wrong
results" items 2-4).  Every expected value is MySQL 8.0's answer (default sql_mode minus
ONLY_FULL_GROUP_BY), not SQLite's."""

import datetime as dt
from decimal import Decimal

import pytest

T1 = ("CREATE TABLE t1 (a INT PRIMARY KEY, s VARCHAR(10), dt DATETIME, d DATE, tm TIME, "
      "KEY (dt), KEY (d), KEY (tm))")
ROWS = ("INSERT INTO t1 VALUES "
        "(1, '1abc', '2001-12-04 14:39:28', '2001-12-04', '10:00:00'), "
        "(2, 'abc', '2022-01-01 00:00:00', '2022-01-01', '12:30:00'), "
        "(3, NULL, NULL, NULL, NULL)")


@pytest.fixture
def t1(q):
    q(T1)
    q(ROWS)
    return q


def ids(q, sql, params=None):
    return sorted(r[0] for r in q(sql, params))


# --- item 2: a string as a condition ---------------------------------------------------------

@pytest.mark.parametrize("cond, count", [
    ("'1abc'", 3),          # numeric prefix 1: true
    ("'abc'", 0),           # no number: 0, false
    ("'0.0'", 0),
    ("' 1'", 3),            # leading spaces are skipped
    ("'-0'", 0),
    ("'1e1x'", 3),
    ("NOT '1abc'", 0),
    ("'1abc' AND 1", 3),
    ("'abc' OR '2x'", 3),
    ("DATE '2020-01-01'", 3),  # a date is true
    ("s", 1),               # '1abc' true, 'abc' false, NULL unknown
    ("NOT s", 1),
])
def test_string_as_where_condition(t1, cond, count):
    assert t1(f"SELECT COUNT(*) FROM t1 WHERE {cond}") == [(count,)]


def test_condition_agrees_with_if(t1):
    for lit in ("'1abc'", "'abc'", "'0.0'", "' 1'", "'7x'"):
        (flag,), = t1(f"SELECT IF({lit}, 1, 0)")
        assert t1(f"SELECT COUNT(*) FROM t1 WHERE {lit}") == [(3 * flag,)], lit


def test_string_as_on_condition(t1):
    assert t1("SELECT COUNT(*) FROM t1 x LEFT JOIN t1 y ON '7x'") == [(9,)]
    assert t1("SELECT COUNT(*) FROM t1 x JOIN t1 y ON '7x'") == [(9,)]
    # no match: every left row once, NULL-extended
    assert t1("SELECT COUNT(*), COUNT(y.a) FROM t1 x LEFT JOIN t1 y ON 'x7'") == [(3, 0)]


def test_string_as_having_condition(t1):
    assert ids(t1, "SELECT a FROM t1 GROUP BY a HAVING '1x'") == [1, 2, 3]
    assert t1("SELECT a FROM t1 GROUP BY a HAVING 'x1'") == []


def test_string_condition_in_update_and_delete(t1):
    assert t1("UPDATE t1 SET s = 'z' WHERE '0x'") == 0
    assert t1("DELETE FROM t1 WHERE 'abc'") == 0
    assert t1("DELETE FROM t1 WHERE '2b' AND a = 3") == 1


# --- item 3: temporal against numbers and strings ---------------------------------------------

@pytest.mark.parametrize("hint", ["", "IGNORE INDEX (dt)"])
def test_datetime_against_8_and_14_digit_integers(t1, hint):
    # MySQL stores the constant into the column's type first: 20210101 is
    # '2021-01-01 00:00:00', 20220101000000 is '2022-01-01 00:00:00'
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt < 20210101") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt >= 20210101") == [2]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE 20210101 > dt") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt = 20220101000000") == [2]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt < 20220101000000") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt <= 20220101000000") == [1, 2]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt = 20011204143928") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt < 20011204143000") == []
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt BETWEEN 20010101 AND 20211231") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt BETWEEN 20020101 AND '2023-01-01'") \
        == [2]
    # a number that is no date is not converted: numeric comparison (20011204143928 > 1)
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt > 1") == [1, 2]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE dt < %s", (20210101,)) == [1]


@pytest.mark.parametrize("hint", ["", "IGNORE INDEX (d)"])
def test_date_against_integers(t1, hint):
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE d = 20011204") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE d < 211204") == [1]  # YYMMDD: 2021-12-04
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE d = '2001-12-04'") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE d < 20210101") == [1]


@pytest.mark.parametrize("hint", ["", "IGNORE INDEX (tm)"])
def test_time_against_integers_and_strings(t1, hint):
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE tm < 110000") == [1]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE tm = 123000") == [2]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE tm = '12:30'") == [2]
    assert ids(t1, f"SELECT a FROM t1 {hint} WHERE tm >= '10:00:00'") == [1, 2]


def test_index_range_is_used_for_converted_constants(t1):
    plan = " ".join(str(r) for r in t1("EXPLAIN SELECT a FROM t1 WHERE dt < 20210101"))
    assert "index:dt" in plan
    plan = " ".join(str(r) for r in t1("EXPLAIN SELECT a FROM t1 WHERE d = '2001-12-04'"))
    assert "index:d" in plan


def test_expression_against_integer_is_numeric(t1):
    # only a column converts the constant; an expression compares as a number
    assert t1("SELECT CAST('2021-01-01' AS DATETIME) < 20210102") == [(0,)]


def test_date_against_non_date_string(t1, conn):
    # MySQL converts 'b' to a DATETIME, fails (warning 1292) and compares with the zero date
    assert t1("SELECT DATE '2020-01-01' < 'b', DATE '2020-01-01' > 'b'") == [(0, 1)]
    codes = [w[1] for w in t1("SHOW WARNINGS")]
    assert codes and set(codes) == {1292}
    assert ids(t1, "SELECT a FROM t1 WHERE d > 'b'") == [1, 2]
    assert ids(t1, "SELECT a FROM t1 WHERE d < 'b'") == []
    assert ids(t1, "SELECT a FROM t1 WHERE dt = 'abc'") == []
    warnings = t1("SHOW WARNINGS")
    assert warnings and warnings[0][1] == 1292 and "'abc'" in warnings[0][2]
    # a string that is a date still compares as one
    assert t1("SELECT DATE '2020-01-01' < '2020-01-02', DATE '2020-01-01' = '2020-1-1'") \
        == [(1, 1)]


# --- item 4: result types --------------------------------------------------------------------

def test_union_of_string_and_numbers_is_a_string_column(t1):
    cur = t1.cursor
    rows = t1("SELECT '3' UNION ALL SELECT 5 UNION ALL SELECT 10 ORDER BY 1")
    assert rows == [("10",), ("3",), ("5",)]
    assert cur.description[0][1] == "VAR_STRING"
    assert t1("SELECT 5 UNION SELECT '5'") == [("5",)]  # one row after conversion
    assert t1("SELECT a FROM t1 UNION ALL SELECT 'x' ORDER BY 1") == \
        [("1",), ("2",), ("3",), ("x",)]
    assert t1("SELECT a + 1 FROM t1 UNION ALL SELECT 'x' ORDER BY 1") == \
        [("2",), ("3",), ("4",), ("x",)]


def test_union_numeric_and_temporal_types(t1):
    cur = t1.cursor
    rows = t1("SELECT a FROM t1 UNION ALL SELECT 1.5")
    assert [str(r[0]) for r in rows] == ["1.0", "2.0", "3.0", "1.5"]  # DECIMAL(11,1)
    assert cur.description[0][1] == "NEWDECIMAL"
    assert [str(r[0]) for r in t1("SELECT 1.5 UNION SELECT 2.25")] == ["1.50", "2.25"]
    rows = t1("SELECT a FROM t1 UNION ALL SELECT 1e0")
    assert all(type(r[0]) is float for r in rows)
    assert cur.description[0][1] == "DOUBLE"
    rows = t1("SELECT d FROM t1 WHERE a = 1 UNION ALL SELECT dt FROM t1 WHERE a = 1")
    assert rows == [(dt.datetime(2001, 12, 4),), (dt.datetime(2001, 12, 4, 14, 39, 28),)]
    assert cur.description[0][1] == "DATETIME"
    # a date with a number is a string
    assert t1("SELECT d FROM t1 WHERE a = 1 UNION ALL SELECT 5") == [("2001-12-04",), ("5",)]
    assert t1("SELECT NULL UNION ALL SELECT 1") == [(None,), (1,)]


def test_ifnull_of_datetime_and_string_is_a_string(t1):
    assert t1("SELECT IFNULL(dt, 'x') FROM t1 ORDER BY a") == \
        [("2001-12-04 14:39:28",), ("2022-01-01 00:00:00",), ("x",)]
    assert t1("SELECT CAST(IFNULL(dt, 'x') AS SIGNED) FROM t1 WHERE a = 1") == [(2001,)]


def test_if_case_coalesce_unify_their_branches(t1):
    cur = t1.cursor
    assert t1("SELECT IF(a = 1, dt, d) FROM t1 ORDER BY a") == \
        [(dt.datetime(2001, 12, 4, 14, 39, 28),), (dt.datetime(2022, 1, 1),), (None,)]
    assert cur.description[0][1] == "DATETIME"
    assert t1("SELECT CASE WHEN a = 2 THEN d ELSE dt END FROM t1 WHERE a = 2") == \
        [(dt.datetime(2022, 1, 1),)]
    assert t1("SELECT COALESCE(d, dt) FROM t1 WHERE a = 1") == [(dt.datetime(2001, 12, 4),)]
    assert t1("SELECT CASE a WHEN 1 THEN 'x' ELSE a END FROM t1 ORDER BY a") == \
        [("x",), ("2",), ("3",)]
    assert t1("SELECT IF(1, 2, 'a'), IF(0, 1, 2.5), COALESCE(a, 1e0) FROM t1 WHERE a = 2") \
        == [("2", Decimal("2.5"), 2.0)]
    assert str(t1("SELECT COALESCE(a, 1.5) FROM t1 WHERE a = 2")[0][0]) == "2.0"
    assert str(t1("SELECT IF(a = 2, a, 2.25) FROM t1 WHERE a = 2")[0][0]) == "2.00"


def test_decimal_column_scale_in_ifnull(q):
    q("CREATE TABLE t2 (a INT PRIMARY KEY, m DECIMAL(10,3))")
    q("INSERT INTO t2 VALUES (1, 2.5), (2, NULL)")
    assert q("SELECT CAST(IFNULL(m, 1) AS CHAR) FROM t2 ORDER BY a") == [("2.500",), ("1.000",)]
    assert [str(r[0]) for r in q("SELECT a FROM t2 UNION ALL SELECT m FROM t2")] == \
        ["1.000", "2.000", "2.500", "None"]
