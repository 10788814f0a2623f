"""Numeric answers that must agree with MySQL 8 (issue 15, "Wrong results" items 1, 5, 6).

The expected values come from MySQL 8.0's own rules (sql/item_func.cc, strings/decimal.cc),
not from SQLite: a DECIMAL quotient keeps whole 9-digit groups and rounds to its type's scale
only at the end; DOUBLE to integer rounds half to even; case mapping is one character to one.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

import core

D = Decimal


def one(q, sql):
    rows = q(sql)
    assert len(rows) == 1, rows
    return rows[0]


def warnings(q):
    return [(code, msg) for _level, code, msg in q("SHOW WARNINGS")]


# --- 1. DECIMAL division keeps its digits and rounds at the end -----------------------------------


@pytest.mark.parametrize("expr, expected", [
    ("1/3", D("0.3333")),
    ("10/4", D("2.5000")),
    ("1/3 + 1/3", D("0.6667")),          # 0.333333333 + 0.333333333, rounded once
    ("1/3 + 1/3 + 1/3", D("1.0000")),    # the dba.stackexchange example: not 0.9999
    ("1/3*3", D("1.0000")),
    ("-(1/3)*3", D("-1.0000")),
    ("(1/3)/3", D("0.11111111")),        # shown scale 4 + 4; kept 18 digits
    ("1.5/3*2", D("1.00000")),           # dividend scale 1 -> shows 5
    ("1/7*7", D("1.0000")),
    ("2/3 - 1/3", D("0.3333")),
    ("0/3", D("0.0000")),
    ("-1/3", D("-0.3333")),
    ("(1/3) DIV 1", 0),
    ("ROUND(1/3, 6)", D("0.333333")),    # ROUND reads the kept digits
    ("TRUNCATE(1/3*3, 2)", D("0.99")),   # ... so does TRUNCATE: 0.999999999 -> 0.99
    ("FLOOR(1/3*3)", 0),
    ("CAST(1/3 AS DECIMAL(20,12))", D("0.333333333000")),
    ("CONCAT(1/3*3)", "1.0000"),         # a string shows the type's scale
])
def test_division_keeps_nine_digit_groups(q, expr, expected):
    got = one(q, f"SELECT {expr}")[0]
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(expected, Decimal):
        assert str(got) == str(expected)  # the scale too


def test_division_kept_digits_reach_doubles_and_comparisons(q):
    # (2/7) keeps 0.285714285: a double made from it shows those digits, not 0.2857.
    assert one(q, "SELECT (2/7)*1e0")[0] == 0.285714285
    # Comparisons read the kept value (mysqld's compare_decimal): 0.999999999 <> 1.
    assert one(q, "SELECT 1/3*3 = 1, 1/3 = 0.3333, 1/3 = 0.333333333, 1/3 > 0.3333")\
        == (0, 0, 1, 1)
    assert one(q, "SELECT 1/3 BETWEEN 0.3333 AND 0.33333, 1/3 IN (0.3333)") == (0, 0)


def test_division_inside_aggregates_functions_and_where(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, x INT, y DECIMAL(10,2))")
    q("INSERT INTO t VALUES (1, 100, 1.00), (2, 125, 3.00), (3, 120, 7.00)")
    # SUM adds the kept digits: 8 + 4 + 2.666666666, shown with the argument's scale.
    s, a, third, dist = one(q, "SELECT SUM(8/a), AVG(8/a), SUM(1/3), SUM(DISTINCT 8/a) FROM t")
    assert (str(s), str(a), str(third), str(dist)) == \
        ("14.6667", "4.88888889", "1.0000", "14.6667")
    assert str(one(q, "SELECT SUM(y/3) FROM t")[0]) == "3.666667"
    # LN reads the kept quotient: LN(120/7.00) is ln(17.142857142), not ln(17.1429).
    ln = one(q, "SELECT LN(x/y) FROM t WHERE a = 3")[0]
    assert ln == pytest.approx(math.log(17.142857142), abs=1e-12)
    assert abs(ln - math.log(17.1429)) > 1e-7
    # WHERE compares the kept quotient: 125/1000000 is 0.000125, not 0.0001.
    assert q("SELECT x FROM t WHERE x/1000000 > 0.00012 ORDER BY x") == [(125,)]
    assert q("SELECT x FROM t WHERE x/1000000 = 0.0001") == [(100,)]
    # The select list, ORDER BY and GROUP BY show the type's scale.
    assert q("SELECT x/y*y FROM t ORDER BY a") == \
        [(D("100.000000"),), (D("125.000000"),), (D("120.000000"),)]
    assert q("SELECT x/1000000 AS r, COUNT(*) FROM t GROUP BY x/1000000") == \
        [(D("0.0001"), 3)]


def test_division_stored_reads_the_kept_value(q):
    q("CREATE TABLE s (a INT PRIMARY KEY, d DECIMAL(20,10), f DOUBLE, i INT)")
    q("INSERT INTO s VALUES (1, 1/3, 2/7, 7/2)")
    assert one(q, "SELECT d, f, i FROM s") == (D("0.3333333330"), 0.285714285, 4)
    q("UPDATE s SET d = 2/3, f = 1/3*3")
    assert one(q, "SELECT d, f FROM s") == (D("0.6666666660"), 0.999999999)
    q("INSERT INTO s VALUES (1, 0, 0, 0) ON DUPLICATE KEY UPDATE d = 1/7")
    assert one(q, "SELECT d FROM s")[0] == D("0.1428571420")


def test_division_by_zero_still_null_with_warning(q):
    assert one(q, "SELECT 1/0*3, (1/3)/0 + 1") == (None, None)
    assert warnings(q) == [(1365, "Division by 0"), (1365, "Division by 0")]


# --- 5. DOUBLE -> integer rounds half to even ---------------------------------------------------


def test_cast_double_to_integer_rounds_half_to_even(q):
    assert one(q, "SELECT CAST(2.5e0 AS SIGNED), CAST(3.5e0 AS SIGNED), "
                  "CAST(-2.5e0 AS SIGNED), CAST(0.5e0 AS SIGNED), CAST(2.6e0 AS SIGNED)") \
        == (2, 4, -2, 0, 3)
    # DECIMAL still rounds halves away from zero; a string stops at the point (MySQL 8).
    assert one(q, "SELECT CAST(2.5 AS SIGNED), CAST(-2.5 AS SIGNED), CAST('2.5' AS SIGNED)") \
        == (3, -3, 2)


def test_double_stored_into_int_rounds_half_to_even(q):
    q("CREATE TABLE k (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO k VALUES (1, -2.5e0), (2, 2.5e0), (3, 2.5), (4, 3.5e0)")
    assert q("SELECT b FROM k ORDER BY a") == [(-2,), (2,), (3,), (4,)]
    q("UPDATE k SET b = 0.5e0 WHERE a = 3")
    q("INSERT INTO k VALUES (2, 0) ON DUPLICATE KEY UPDATE b = -2.5e0")
    assert q("SELECT b FROM k ORDER BY a") == [(-2,), (-2,), (0,), (4,)]


# --- 6. case mapping, CAST AS UNSIGNED, numbers read as dates, AVG(FLOOR()) -------------------


def test_case_mapping_is_one_to_one(q):
    assert one(q, "SELECT UPPER('ß'), UCASE('straße'), LOWER('İ'), LCASE('ẞ')") == \
        ("ß", "STRAßE", "i", "ß")
    assert one(q, "SELECT CHAR_LENGTH(UPPER('ßﬁŉ')), CHAR_LENGTH(LOWER('İİ'))") == (3, 2)
    assert one(q, "SELECT UPPER('abc é'), LOWER('ÀÉ')") == ("ABC É", "àé")


def test_cast_negative_to_unsigned_wraps_as_mysql_8(q):
    # MySQL 8's Item_typecast_unsigned converts a negative DECIMAL as a signed value
    # (my_decimal2int(..., unsigned = !sign)): -1.5 rounds to -2 and wraps, no warning.
    assert one(q, "SELECT CAST(-1.5 AS UNSIGNED), CAST(-1 AS UNSIGNED), "
                  "CAST(-2.5e0 AS UNSIGNED)") == \
        (18446744073709551614, 18446744073709551615, 18446744073709551614)
    assert warnings(q) == []


def test_numbers_read_as_dates(q):
    assert one(q, "SELECT LAST_DAY(103.348), DATE(103), YEAR(103.5), MONTH(20210315.25)") == \
        (dt.date(2000, 1, 31), dt.date(2000, 1, 3), 2000, 3)
    assert one(q, "SELECT LAST_DAY(20240215), LAST_DAY(-1), LAST_DAY(99)") == \
        (dt.date(2024, 2, 29), None, None)


def test_avg_of_floor(q):
    q("CREATE TABLE v (d DOUBLE, e DECIMAL(5,1))")
    q("INSERT INTO v VALUES (1.5, 1.5), (2.5, 2.5), (2.7, 2.7)")
    # FLOOR of a DECIMAL is a BIGINT, so AVG is DECIMAL with scale 0 + 4; FLOOR of a DOUBLE is
    # a DOUBLE with unspecified decimals in MySQL 8 (set_data_type_double), so AVG of it is
    # a full double (MariaDB types it with 0 decimals and shows 1.6667).
    d, e = one(q, "SELECT AVG(FLOOR(d)), AVG(FLOOR(e)) FROM v")
    assert (d, str(e)) == (5 / 3, "1.6667")
    assert type(d) is float


@pytest.mark.parametrize("x, y, kept", [
    (1, 3, "0.333333333"),                       # 0 + 0 + 4 -> one group
    (2, 7, "0.285714285"),                       # cut, not rounded
    (D("1.5"), 3, "0.500000000"),                # 1 digit pads to 9: the 4 are already there
    (D("1.12345"), 3, "0.374483333"),            # 5 -> 9 pads 4: still one group
    (D("1.123456"), 3, "0.374485333333333333"),  # 6 -> 9 pads 3: one more digit, two groups
    (D("1.123456789"), 3, "0.374485596333333333"),
    (1, D("0.5"), "2.000000000"),
    (D("0.333333333"), 3, "0.111111111000000000"),
    (-1, 3, "-0.333333333"),
    (0, -3, "0"),
])
def test_div_exact_keeps_mysql_digit_groups(x, y, kept):
    from core.sql.types.arith import div_exact

    assert str(div_exact(x, y)) == kept


def test_int_div_overflow_is_1690(q):
    """`-9223372036854775808 DIV -1` is 2^63: ERROR 1690 as in MySQL (it returned 2^63)."""
    with pytest.raises(core.Error) as info:
        q("SELECT -9223372036854775808 DIV -1")
    assert info.value.errno == 1690 and "BIGINT value is out of range" in str(info.value)
    assert q("SELECT 18446744073709551615 DIV 1, 7 DIV -2, -7 DIV 2") == [
        (18446744073709551615, -3, -3)]
