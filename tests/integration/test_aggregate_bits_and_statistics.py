"""BIT_AND/BIT_OR/BIT_XOR and the standard deviation and variance aggregates, as MySQL 8
answers them (they answered 1111 "Invalid use of group function"; issue 15)."""

from __future__ import annotations

import math

import pytest


@pytest.fixture
def t(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, g INT)")
    q("INSERT INTO t VALUES (1, 6, 1), (2, 3, 1), (3, 5, 2), (4, NULL, 2)")
    return q


def test_bit_aggregates(t):
    assert t("SELECT BIT_AND(b), BIT_OR(b), BIT_XOR(b) FROM t") == [(6 & 3 & 5, 7, 6 ^ 3 ^ 5)]
    # no rows: BIT_AND is all ones (unsigned 64-bit), BIT_OR and BIT_XOR zero
    assert t("SELECT BIT_AND(b), BIT_OR(b), BIT_XOR(b) FROM t WHERE a > 10") == [
        (18446744073709551615, 0, 0)]
    assert t("SELECT g, BIT_OR(b) FROM t GROUP BY g ORDER BY g") == [(1, 7), (2, 5)]


def test_population_and_sample_statistics(t):
    (pop_sd, sd, std, samp_sd, var_pop, variance, var_samp), = t(
        "SELECT STDDEV_POP(b), STDDEV(b), STD(b), STDDEV_SAMP(b), VAR_POP(b), VARIANCE(b), "
        "VAR_SAMP(b) FROM t")
    values = [6, 3, 5]
    mean = sum(values) / 3
    ss = sum((v - mean) ** 2 for v in values)
    assert var_pop == pytest.approx(ss / 3) and variance == var_pop  # VARIANCE is VAR_POP
    assert var_samp == pytest.approx(ss / 2)  # VAR_SAMP divides by n - 1
    assert pop_sd == pytest.approx(math.sqrt(ss / 3)) and sd == std == pop_sd
    assert samp_sd == pytest.approx(math.sqrt(ss / 2))


def test_sample_statistics_of_one_row_are_null(t):
    assert t("SELECT VAR_SAMP(b), STDDEV_SAMP(b), VAR_POP(b) FROM t WHERE a = 1") == [
        (None, None, 0.0)]
    assert t("SELECT g, VAR_SAMP(b) FROM t GROUP BY g ORDER BY g") == [(1, 4.5), (2, None)]


def test_group_concat_order_by_and_separator(q):
    """GROUP_CONCAT(... ORDER BY ... SEPARATOR ...) (it answered 1235)."""
    q("CREATE DATABASE g")
    q("USE g")
    q("CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(5), g INT)")
    q("INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 1), (3, 'x', 2), (4, NULL, 1), (5, 'a', 1)")
    assert q("SELECT GROUP_CONCAT(b ORDER BY b) FROM t") == [("a,x,x,y",)]
    assert q("SELECT GROUP_CONCAT(b ORDER BY b DESC SEPARATOR ';') FROM t") == [("y;x;x;a",)]
    assert q("SELECT g, GROUP_CONCAT(DISTINCT b ORDER BY b DESC) FROM t GROUP BY g "
             "ORDER BY g") == [(1, "y,x,a"), (2, "x")]
    assert q("SELECT GROUP_CONCAT(a, b ORDER BY a DESC) FROM t") == [("5a,3x,2y,1x",)]
    # NULL keys first ascending; ties broken by the next key
    assert q("SELECT GROUP_CONCAT(a ORDER BY b, a DESC) FROM t") == [("4,5,3,1,2",)]
    assert q("SELECT GROUP_CONCAT(a ORDER BY 1 DESC) FROM t") == [("5,4,3,2,1",)]
    assert q("SELECT GROUP_CONCAT(a ORDER BY a) FROM t WHERE a > 9") == [(None,)]
