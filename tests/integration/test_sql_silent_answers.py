"""Silent wrong answers a red team found after issue 15's first changes: each gave a result
that differs from MySQL 8 without any error."""

from __future__ import annotations

import pytest

import core


@pytest.fixture
def n(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE n (id INT PRIMARY KEY, a INT, s VARCHAR(10))")
    q("INSERT INTO n VALUES (1, 1, '3'), (2, 3000000, '4')")
    return q


def test_a_small_quotient_is_true_as_a_condition(n):
    """Truth is tested on the kept digits: 1/1000000 is 0.0000 shown but not zero."""
    assert n("SELECT 1/1000000 > 0, IF(1/1000000, 1, 0), 1/1000000 IS TRUE, "
             "NOT 1/1000000, CASE WHEN 1/1000000 THEN 1 ELSE 0 END") == [(1, 1, 1, 0, 1)]
    assert n("SELECT id FROM n WHERE a/1000000 ORDER BY id") == [(1,), (2,)]
    assert n("SELECT COUNT(*) FROM n x JOIN n y ON x.a/1000000") == [(4,)]
    assert n("SELECT id FROM n WHERE a/1000000 AND 1 ORDER BY id") == [(1,), (2,)]
    assert n("SELECT 1/3, IF(1, 1/3, 0)") == n("SELECT 0.3333, 0.3333")  # shown: rounded


def test_having_without_grouping_filters_rows(n):
    assert n("SELECT id FROM n HAVING id > 0 ORDER BY id") == [(1,), (2,)]
    assert n("SELECT id, a * 2 AS x FROM n HAVING x > 2") == [(2, 6000000)]
    assert n("SELECT COUNT(*) FROM n HAVING COUNT(*) > 1") == [(2,)]
    assert n("SELECT 1 HAVING 1 = 0") == []


def test_natural_join_is_not_run_as_a_cross_join(n):
    """NATURAL JOIN joins on every common column (tests/integration/test_join_using.py)."""
    for sql in ("SELECT COUNT(*) FROM n NATURAL JOIN n m",
                "SELECT COUNT(*) FROM n x NATURAL LEFT JOIN n y",
                "SELECT COUNT(*) FROM (n x NATURAL JOIN n y)"):
        assert n(sql) == [(2,)]


def test_user_variables_keep_their_value(n):
    n("SET @a = 5, @B := 2 * 3")
    assert n("SELECT @a, @b, @A, @unset") == [(5, 6, 5, None)]
    assert n("SELECT id FROM n WHERE id = @a - 4") == [(1,)]
    with pytest.raises(core.Error) as info:
        n("SET @c = (SELECT COUNT(*) FROM n)")
    assert info.value.errno == 1235
    with pytest.raises(core.Error) as info:
        n("SELECT 1/3 INTO @x")  # it returned the row and left @x unset
    assert info.value.errno == 1235 and "INTO" in str(info.value)


def test_sum_of_a_text_column_sums_its_numbers(n):
    """The fused whole-table aggregate raised an internal TypeError (1105)."""
    assert n("SELECT SUM(s), AVG(s), MIN(s), COUNT(s) FROM n") == [(7.0, 3.5, "3", 2)]


def test_date_column_in_a_list_of_numbers(q):
    """`dt IN (20210101, ...)` converts each number to the column's type, as `dt = 20210101`
    does (it compared numerically and matched nothing)."""
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME, d DATE, KEY k (dt))")
    q("INSERT INTO t VALUES (1, '2021-01-01 00:00:00', '2021-01-01'), "
      "(2, '2021-01-02 00:00:00', '2021-01-02')")
    assert q("SELECT id FROM t WHERE dt IN (20210101, 20210102) ORDER BY id") == [(1,), (2,)]
    assert q("SELECT id FROM t IGNORE INDEX (k) WHERE dt IN (20210101)") == [(1,)]
    assert q("SELECT id FROM t WHERE dt NOT IN (20210101)") == [(2,)]
    assert q("SELECT id FROM t WHERE d IN (20210102, NULL)") == [(2,)]
    assert q("SELECT id FROM t WHERE dt NOT IN (20210101, NULL)") == []
    assert q("SELECT id, dt IN (20210101) FROM t ORDER BY id") == [(1, 1), (2, 0)]
    assert q("SELECT id FROM t WHERE dt IN (1)") == []  # no date: compared as numbers


def test_null_safe_equal_converts_like_equal(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME)")
    q("INSERT INTO t VALUES (1, '2021-01-01 00:00:00'), (2, '2021-01-02 00:00:00'), (3, NULL)")
    assert q("SELECT id FROM t WHERE dt <=> 20210101") == [(1,)]
    assert q("SELECT id, dt <=> NULL, 20210102 <=> dt FROM t ORDER BY id") == [
        (1, 0, 0), (2, 0, 1), (3, 1, 0)]
    assert q("SELECT 'a' <=> 'a', 1 <=> '1', NULL <=> NULL, NULL <=> 1") == [(1, 1, 1, 0)]


def test_case_and_nullif_on_a_date_column_convert_numbers(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME)")
    q("INSERT INTO t VALUES (1, '2021-01-01 00:00:00'), (2, '2021-01-02 00:00:00'), (3, NULL)")
    assert q("SELECT id, CASE dt WHEN 20210101 THEN 'y' WHEN 20210102 THEN 'z' ELSE 'n' END "
             "FROM t ORDER BY id") == [(1, "y"), (2, "z"), (3, "n")]
    assert q("SELECT id, NULLIF(dt, 20210101) IS NULL FROM t ORDER BY id") == [
        (1, 1), (2, 0), (3, 1)]
    assert q("SELECT CASE id WHEN 1 THEN 'a' WHEN '2' THEN 'b' END, NULLIF(id, 2) FROM t "
             "ORDER BY id") == [("a", 1), ("b", None), (None, 3)]
