"""UNSIGNED arithmetic as MySQL 8 does it (issue 15, "Errors MySQL raises that the engine does
not"): an integer ``+ - * DIV`` with an UNSIGNED operand is BIGINT UNSIGNED and a result below
0 (or past 2^64 - 1) is ERROR 1690, named in mysqld's printing of the expression.

Expected answers follow mysqld's rules (sql/item_func.cc: Item_func_plus/minus/mul::int_op,
Item_func_int_div::val_int, check_integer_overflow; Item::aggregate_type for IF/CASE/COALESCE)
and MySQL 8.0's documented IGNORE behaviour (1690 is not among the errors IGNORE downgrades).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import core

UMAX = 18446744073709551615


@pytest.fixture
def t(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, u INT UNSIGNED, b BIGINT UNSIGNED, s INT, "
      "d DECIMAL(10,2))")
    q(f"INSERT INTO t VALUES (1, 3, {UMAX}, -5, 1.50), (2, 200, 9223372036854775807, 7, NULL)")
    return q


def err(q, sql, params=None):
    with pytest.raises(core.Error) as info:
        q(sql, params)
    return info.value.errno, info.value.msg


def unsigned_err(text):
    return 1690, f"BIGINT UNSIGNED value is out of range in '{text}'"


# --- the examples of the issue --------------------------------------------------------------------


def test_cast_unsigned_minus_one(q):
    assert err(q, "SELECT CAST(0 AS UNSIGNED) - 1") == unsigned_err("(cast(0 as unsigned) - 1)")
    assert err(q, "SELECT CONVERT(1, UNSIGNED) + -5") == \
        unsigned_err("(cast(1 as unsigned) + -5)")
    assert q("SELECT CAST(1 AS UNSIGNED) - 1, CAST(5 AS UNSIGNED) + -5") == [(0, 0)]


def test_unsigned_column_minus_constant(t):
    assert err(t, "SELECT u - 100 FROM t") == unsigned_err("(`test`.`t`.`u` - 100)")
    assert err(t, "SELECT x.u - 100 FROM t AS x") == unsigned_err("(`test`.`x`.`u` - 100)")
    assert err(t, "SELECT u - 100 FROM t WHERE id = 2 OR u - 4 > 0") == \
        unsigned_err("(`test`.`t`.`u` - 4)")  # a WHERE evaluates it too
    assert t("SELECT u - 3, u * 2 FROM t ORDER BY id") == [(0, 6), (197, 400)]
    assert t("SELECT u + s FROM t WHERE id = 2") == [(207,)]
    assert err(t, "SELECT u + s FROM t WHERE id = 1") == \
        unsigned_err("(`test`.`t`.`u` + `test`.`t`.`s`)")  # 3 + -5
    assert err(t, "SELECT u - s - 10 FROM t WHERE id = 1") == \
        unsigned_err("((`test`.`t`.`u` - `test`.`t`.`s`) - 10)")
    assert err(t, "SELECT 10 - u - 10 FROM t WHERE id = 1") == \
        unsigned_err("((10 - `test`.`t`.`u`) - 10)")
    assert err(t, "SELECT u * -1 FROM t WHERE id = 1") == unsigned_err("(`test`.`t`.`u` * -1)")
    assert t("SELECT u * 0, u * -0 FROM t WHERE id = 1") == [(0, 0)]


def test_bigint_unsigned_limits(t):
    assert err(t, "SELECT b + 1 FROM t WHERE id = 1") == unsigned_err("(`test`.`t`.`b` + 1)")
    assert t("SELECT b - 1, b + -1, b - b FROM t WHERE id = 1") == [(UMAX - 1, UMAX - 1, 0)]
    assert t("SELECT b + 1, b * 2 FROM t WHERE id = 2") == [
        (9223372036854775808, 18446744073709551614)]
    assert err(t, "SELECT b * 3 FROM t WHERE id = 2") == unsigned_err("(`test`.`t`.`b` * 3)")
    assert t(f"SELECT {UMAX} - 1") == [(UMAX - 1,)]
    assert err(t, f"SELECT {UMAX} + 1") == unsigned_err(f"({UMAX} + 1)")
    assert err(t, "SELECT 9223372036854775808 - 9223372036854775809") == \
        unsigned_err("(9223372036854775808 - 9223372036854775809)")


def test_signed_bigint_overflow_is_1690_bigint(t):
    assert err(t, "SELECT 9223372036854775807 + 1") == (
        1690, "BIGINT value is out of range in '(9223372036854775807 + 1)'")
    assert err(t, "SELECT -9223372036854775808 - 1") == (
        1690, "BIGINT value is out of range in '(-9223372036854775808 - 1)'")
    assert err(t, "SELECT 1 + 2 + 9223372036854775807") == (
        1690, "BIGINT value is out of range in '((1 + 2) + 9223372036854775807)'")
    assert err(t, "SELECT s * 4611686018427387904 FROM t WHERE id = 2") == (
        1690, "BIGINT value is out of range in '(`test`.`t`.`s` * 4611686018427387904)'")


def test_int_div(t):
    assert err(t, "SELECT -9223372036854775808 DIV -1") == (
        1690, "BIGINT value is out of range in '(-9223372036854775808 DIV -1)'")
    assert err(t, "SELECT u DIV -1 FROM t WHERE id = 1") == \
        unsigned_err("(`test`.`t`.`u` DIV -1)")  # an UNSIGNED quotient cannot be negative
    assert t("SELECT b DIV 2, u DIV 2, 5 DIV -1 FROM t WHERE id = 1") == [
        (UMAX // 2, 1, -5)]
    assert err(t, "SELECT 9223372036854775807 DIV 0.5") == (
        1690, "BIGINT value is out of range in '(9223372036854775807 DIV 0.5)'")


def test_mod_and_unary_minus_do_not_overflow_as_unsigned(t):
    assert t("SELECT b % 7, MOD(u, -2), u % 2 FROM t WHERE id = 1") == [(UMAX % 7, 1, 1)]
    assert t("SELECT -u, -s FROM t ORDER BY id") == [(-3, 5), (-200, -7)]  # -u is signed
    assert err(t, "SELECT -b FROM t WHERE id = 1") == (
        1690, "BIGINT value is out of range in '-(`test`.`t`.`b`)'")


def test_comparisons_with_negative_numbers(t):
    assert t("SELECT u > -1, b > -1, u = -3, b < 0 FROM t WHERE id = 1") == [(1, 1, 0, 0)]
    assert t("SELECT COUNT(*) FROM t WHERE u > -1 AND b >= -9223372036854775808") == [(2,)]


def test_cast_of_an_overflowing_expression_still_raises(t):
    assert err(t, "SELECT CAST(u - 4 AS SIGNED) FROM t WHERE id = 1") == \
        unsigned_err("(`test`.`t`.`u` - 4)")
    assert t("SELECT CAST(u AS SIGNED) - 4 FROM t WHERE id = 1") == [(-1,)]
    assert t("SELECT CAST(b AS SIGNED) FROM t WHERE id = 1") == [(-1,)]


def test_division_and_decimals_with_unsigned(t):
    assert err(t, "SELECT (u - 4) / 2 FROM t WHERE id = 1") == \
        unsigned_err("(`test`.`t`.`u` - 4)")  # the integer part overflows first
    assert t("SELECT u - 4.5, u - 4e0, u / -3 FROM t WHERE id = 1") == [
        (Decimal("-1.5"), -1.0, Decimal("-1.0000"))]  # DECIMAL and DOUBLE are signed
    assert t("SELECT u - d FROM t WHERE id = 1") == [(Decimal("1.50"),)]


# --- aggregates -----------------------------------------------------------------------------------


def test_sum_of_bigint_unsigned_is_decimal(t):
    assert t("SELECT SUM(b) FROM t") == [(27670116110564327422,)]
    assert t("SELECT SUM(b) + 1, SUM(b) * 2, SUM(u) - 1000 FROM t") == [
        (27670116110564327423, 55340232221128654844, -797)]
    assert t("SELECT SUM(b) + 1 + 1/2 FROM t") == [(Decimal("27670116110564327423.5000"),)]
    assert t("SELECT AVG(b) - 20000000000000000000 FROM t") == [
        (Decimal("-6164941944717836289.0000"),)]
    assert t("SELECT id, SUM(u) - 100 FROM t GROUP BY id ORDER BY id") == [(1, -97), (2, 100)]


def test_min_max_and_group_by_keep_unsigned(t):
    assert err(t, "SELECT MAX(u) - 300 FROM t") == unsigned_err("(max(`test`.`t`.`u`) - 300)")
    assert err(t, "SELECT u - 300 FROM t GROUP BY u") == unsigned_err("(`test`.`t`.`u` - 300)")
    assert err(t, "SELECT id FROM t GROUP BY id, u HAVING u - 10 > 0") == \
        unsigned_err("(`test`.`t`.`u` - 10)")
    assert t("SELECT COUNT(*) - 5 FROM t") == [(-3,)]  # COUNT is signed


# --- IF / CASE / COALESCE -------------------------------------------------------------------------


def test_branches_are_unsigned_only_when_all_are(t):
    assert err(t, "SELECT IF(id = 1, u, b) - 100 FROM t ORDER BY id") == unsigned_err(
        "(if((`test`.`t`.`id` = 1),`test`.`t`.`u`,`test`.`t`.`b`) - 100)")
    assert err(t, "SELECT COALESCE(u, NULL) - 100 FROM t") == \
        unsigned_err("(coalesce(`test`.`t`.`u`,NULL) - 100)")
    assert err(t, "SELECT CASE WHEN id = 1 THEN u END - 100 FROM t ORDER BY id") [0] == 1690
    # a signed branch makes the result signed (INT UNSIGNED + BIGINT: BIGINT) or DECIMAL
    assert t("SELECT COALESCE(u, -1) - 100, IF(id = 1, u, s) - 100, IFNULL(b, -1) - b - 1 "
             "FROM t WHERE id = 1") == [(-97, -97, -1)]


# --- writes ---------------------------------------------------------------------------------------


def test_update_insert_and_upsert_raise_1690(t):
    assert err(t, "UPDATE t SET u = u - 10") == unsigned_err("(`test`.`t`.`u` - 10)")
    assert t("SELECT id, u FROM t ORDER BY id") == [(1, 3), (2, 200)]  # nothing changed
    # IGNORE downgrades only the errors MySQL lists (1048, 1062, 1264, ...): not 1690
    assert err(t, "UPDATE IGNORE t SET u = u - 10") == unsigned_err("(`test`.`t`.`u` - 10)")
    assert t("SELECT id, u FROM t ORDER BY id") == [(1, 3), (2, 200)]
    assert t("UPDATE t SET u = u - 3 WHERE id = 1") == 1
    assert err(t, "INSERT INTO t (id, u) VALUES (3, CAST(0 AS UNSIGNED) - 1)") == \
        unsigned_err("(cast(0 as unsigned) - 1)")
    assert err(t, "INSERT INTO t (id, u) VALUES (1, 0) ON DUPLICATE KEY UPDATE u = u - 1") == \
        unsigned_err("(`test`.`t`.`u` - 1)")
    assert t("SELECT id, u FROM t ORDER BY id") == [(1, 0), (2, 200)]


def test_prepared_parameters_follow_their_values(t):
    # a parameter is a literal of its value (the client library interpolates it)
    assert t("SELECT u - %s FROM t WHERE id = 2", (100,)) == [(100,)]
    assert err(t, "SELECT u - %s FROM t WHERE id = 1", (4,)) == \
        unsigned_err("(`test`.`t`.`u` - ?)")
    assert t("SELECT u - %s, %s - 1 FROM t WHERE id = 1", (4.5, UMAX)) == [(-1.5, UMAX - 1)]


# --- derived tables, views, UNION -----------------------------------------------------------------


def test_derived_tables_views_and_unions_keep_unsigned(t):
    assert err(t, "SELECT x - 100 FROM (SELECT u AS x FROM t) d")[0] == 1690
    assert t("SELECT d.x - 1 FROM (SELECT u AS x FROM t) d WHERE x = 200") == [(199,)]
    t("CREATE VIEW v AS SELECT id, u, u + 1 AS u1, s FROM t")
    assert err(t, "SELECT u1 - 100 FROM v")[0] == 1690
    assert t("SELECT s - 100 FROM v ORDER BY id") == [(-105,), (-93,)]
    # UNION: UNSIGNED only when every part is
    assert err(t, "SELECT x - 100 FROM (SELECT u AS x FROM t UNION ALL SELECT b FROM t) d")[
        0] == 1690
    assert t("SELECT x - 100 FROM (SELECT u AS x FROM t UNION ALL SELECT -5) d "
             "ORDER BY 1") == [(-105,), (-97,), (100,)]


def test_ctes_keep_unsigned(t):
    assert err(t, "WITH c AS (SELECT u FROM t) SELECT u - 100 FROM c")[0] == 1690
    assert t("WITH c AS (SELECT s FROM t) SELECT s - 100 FROM c ORDER BY 1") == [(-105,), (-93,)]
    # a recursive CTE's columns have its anchor's types
    assert err(t, "WITH RECURSIVE r(n) AS (SELECT CAST(1 AS UNSIGNED) UNION ALL "
                  "SELECT n + 1 FROM r WHERE n < 3) SELECT n - 2 FROM r")[0] == 1690
    assert t("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
             "SELECT n - 2 FROM r") == [(-1,), (0,), (1,)]
