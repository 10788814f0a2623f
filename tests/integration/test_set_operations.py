"""INTERSECT / EXCEPT (MySQL 8.0.31) and parenthesised joins, against the real engine.

The expected answers are MySQL 8.0's: INTERSECT binds tighter than UNION and EXCEPT, which
are left-associative; DISTINCT is the default; ALL works on multiset counts; NULLs are equal
to each other for set operations; the column names come from the first query; the column
types are unified as UNION's.
"""

from __future__ import annotations

import pytest

import core
from core.sql.limits import UNLIMITED
from core.sql.plan.ops import Operator, Runtime, SetOp


@pytest.fixture
def tu(q):
    q("CREATE TABLE t (a INT, b VARCHAR(10))")
    q("INSERT INTO t VALUES (1,'x'),(1,'x'),(2,'y'),(NULL,NULL),(NULL,NULL),(3,'z')")
    q("CREATE TABLE u (a INT, b VARCHAR(10))")
    q("INSERT INTO u VALUES (1,'x'),(NULL,NULL),(4,'w'),(1,'x'),(1,'x')")
    return q


def _sorted(rows):
    return sorted(rows, key=lambda r: tuple((v is not None, v) for v in r))


def test_intersect_and_except_distinct_by_default(tu):
    q = tu
    assert _sorted(q("SELECT a FROM t INTERSECT SELECT a FROM u")) == [(None,), (1,)]
    assert _sorted(q("SELECT a FROM t INTERSECT DISTINCT SELECT a FROM u")) == [(None,), (1,)]
    assert _sorted(q("SELECT a FROM t EXCEPT SELECT a FROM u")) == [(2,), (3,)]
    assert _sorted(q("SELECT a FROM t EXCEPT DISTINCT SELECT a FROM u")) == [(2,), (3,)]
    # whole rows, NULLs equal to each other
    assert _sorted(q("SELECT * FROM t INTERSECT SELECT * FROM u")) == [(None, None), (1, "x")]
    assert q("SELECT NULL INTERSECT SELECT NULL") == [(None,)]
    assert q("SELECT 1 EXCEPT SELECT NULL") == [(1,)]


def test_all_uses_multiset_counts(tu):
    q = tu
    # t has 1 twice, NULL twice; u has 1 three times, NULL once
    assert _sorted(q("SELECT a FROM t INTERSECT ALL SELECT a FROM u")) == \
        [(None,), (1,), (1,)]
    assert _sorted(q("SELECT a FROM t EXCEPT ALL SELECT a FROM u")) == [(None,), (2,), (3,)]
    assert _sorted(q("SELECT a FROM u EXCEPT ALL SELECT a FROM t")) == [(1,), (4,)]
    assert q("SELECT * FROM t EXCEPT ALL SELECT * FROM u ORDER BY a") == \
        [(None, None), (2, "y"), (3, "z")]


def test_precedence_and_associativity(q):
    # INTERSECT first: 1 UNION (2 INTERSECT 3)
    assert q("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3") == [(1,)]
    assert q("SELECT 1 INTERSECT SELECT 2 UNION SELECT 3") == [(3,)]
    assert q("SELECT 1 EXCEPT SELECT 2 INTERSECT SELECT 1") == [(1,)]
    # UNION and EXCEPT: left to right
    assert q("SELECT 1 UNION SELECT 2 EXCEPT SELECT 1") == [(2,)]
    assert q("SELECT 1 EXCEPT SELECT 1 UNION SELECT 1") == [(1,)]
    assert q("SELECT 2 EXCEPT SELECT 1 EXCEPT SELECT 2") == []
    assert q("SELECT 1 UNION ALL SELECT 1 EXCEPT ALL SELECT 1") == [(1,)]
    assert q("SELECT 1 UNION ALL SELECT 1 INTERSECT ALL SELECT 1") == [(1,), (1,)]
    assert q("(SELECT 1 UNION SELECT 2) INTERSECT SELECT 2") == [(2,)]


def test_order_limit_names_and_parenthesised_blocks(tu):
    q = tu
    assert q("SELECT a FROM t EXCEPT SELECT a FROM u ORDER BY a DESC LIMIT 1") == [(3,)]
    assert q("SELECT a AS first FROM t INTERSECT SELECT a AS second FROM u ORDER BY first") \
        == [(None,), (1,)]
    assert [d[0] for d in q.cursor.description] == ["first"]
    # a block's own ORDER BY / LIMIT: the two smallest of t are NULL, NULL
    assert q("(SELECT a FROM t ORDER BY a LIMIT 2) INTERSECT (SELECT a FROM u)") == [(None,)]
    assert q("(SELECT a FROM t ORDER BY a DESC LIMIT 2) EXCEPT (SELECT a FROM u) "
             "ORDER BY 1") == [(2,), (3,)]


def test_result_types_unified_like_union(q):
    assert q("SELECT 1 INTERSECT SELECT '1'") == [("1",)]
    assert q("SELECT '3' EXCEPT SELECT 3") == []
    from decimal import Decimal

    assert q("SELECT 1 INTERSECT SELECT 1.0") == [(Decimal("1.0"),)]


def test_column_count_mismatch_is_1222(tu):
    with pytest.raises(core.ProgrammingError) as ei:
        tu("SELECT a, b FROM t INTERSECT SELECT a FROM u")
    assert ei.value.errno == 1222
    with pytest.raises(core.ProgrammingError) as ei:
        tu("SELECT a FROM t EXCEPT ALL SELECT a, b FROM u")
    assert ei.value.errno == 1222


def test_inside_subqueries_and_derived_tables(tu):
    q = tu
    assert q("SELECT a FROM t WHERE a IN (SELECT a FROM u INTERSECT SELECT 1)") == [(1,), (1,)]
    assert q("SELECT (SELECT 3 EXCEPT SELECT 4)") == [(3,)]
    assert _sorted(q("SELECT * FROM (SELECT a FROM t EXCEPT SELECT 4) d")) == \
        [(None,), (1,), (2,), (3,)]
    # parts whose types only their values tell (derived UNIONs): every part is read once
    assert _sorted(q(
        "SELECT * FROM (SELECT 1 a UNION ALL SELECT 1 UNION ALL SELECT 2) x "
        "INTERSECT ALL SELECT * FROM (SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT 1) y")) == \
        [(1,), (1,)]
    # correlated: the set operation runs again for every outer row
    assert q("SELECT a, EXISTS (SELECT u.a FROM u WHERE u.a = t.a INTERSECT ALL SELECT 1), "
             "(SELECT u.a FROM u WHERE u.a = t.a + 1 EXCEPT SELECT 1) "
             "FROM t WHERE a IS NOT NULL ORDER BY a") == \
        [(1, 1, None), (1, 1, None), (2, 0, None), (3, 0, 4)]


def test_long_except_chain_is_not_nesting(q):
    # 40 EXCEPTs are one query block level each in sqlglot's tree, not 40 nested SELECTs
    assert q("SELECT 1 " + "EXCEPT SELECT 2 " * 40) == [(1,)]
    assert q("SELECT 1 " + "INTERSECT SELECT 1 " * 40) == [(1,)]


def test_explain_shows_them(tu):
    rows = tu("EXPLAIN SELECT a FROM t INTERSECT ALL SELECT a FROM u")
    assert rows[0][0] == "Intersect" and rows[0][3] == "all"
    rows = tu("EXPLAIN SELECT a FROM t EXCEPT SELECT a FROM u")
    assert rows[0][0] == "Except" and rows[0][3] == "distinct"
    assert sum("TableFullScan" in r[0] for r in rows) == 2


def test_memory_is_metered(q):
    q("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40))")
    q.cursor.executemany("INSERT INTO big VALUES (%s, %s)",
                         [(i, f"value-{i:08d}") for i in range(5000)])
    q("SET tidb_mem_quota_query = 65536")
    for sql in ["SELECT COUNT(*) FROM (SELECT v FROM big INTERSECT SELECT v FROM big) d",
                "SELECT COUNT(*) FROM (SELECT v FROM big EXCEPT SELECT 'x') d",
                "SELECT COUNT(*) FROM (SELECT 'x' EXCEPT ALL SELECT v FROM big) d"]:
        with pytest.raises(core.OperationalError) as ei:
            q(sql)
        assert ei.value.errno == 8175, sql
    # EXCEPT ALL streams its left side: only the right side's counts are held
    assert q("SELECT COUNT(*) FROM (SELECT v FROM big EXCEPT ALL SELECT 'x') d") == [(5000,)]
    q("SET tidb_mem_quota_query = 0")
    assert q("SELECT COUNT(*) FROM (SELECT v FROM big INTERSECT SELECT v FROM big) d") == \
        [(5000,)]


class _Rows(Operator):
    width = 1

    def __init__(self, n: int):
        self.n = n

    def rows(self, rt):
        return ([i] for i in range(self.n))


class _Cancelled(Exception):
    pass


@pytest.mark.parametrize("kind", ["intersect", "except"])
@pytest.mark.parametrize("distinct", [True, False])
def test_operator_checks_the_cancel_token(kind, distinct):
    """The set operator looks at the cancel token while it counts the right side and while
    it streams the left one, not only when its inputs happen to scan storage."""
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 5:
            raise _Cancelled()

    rt = Runtime(view=None, mem=UNLIMITED, check=check)
    with pytest.raises(_Cancelled):
        list(SetOp(_Rows(10_000), _Rows(10_000), kind, distinct).rows(rt))
    calls.clear()
    with pytest.raises(_Cancelled):  # a small right side: the left loop checks too
        list(SetOp(_Rows(100_000), _Rows(3), kind, distinct).rows(rt))


# -- parenthesised joins ----------------------------------------------------------------------


@pytest.fixture
def j3(q):
    q("CREATE TABLE t1 (a INT PRIMARY KEY, b INT)")
    q("CREATE TABLE t2 (a INT, c INT)")
    q("CREATE TABLE t3 (a INT, d INT)")
    q("INSERT INTO t1 VALUES (1,10),(2,20),(3,30)")
    q("INSERT INTO t2 VALUES (1,100),(2,200)")
    q("INSERT INTO t3 VALUES (1,1000)")
    return q


def test_parenthesised_cross_join(j3):
    q = j3
    assert q("SELECT COUNT(*) FROM (t1 AS a CROSS JOIN t1 AS b)") == [(9,)]
    assert q("SELECT a.a, b.a FROM (t1 AS a CROSS JOIN t1 AS b) WHERE a.a = b.a + 1 "
             "ORDER BY 1") == [(2, 1), (3, 2)]
    assert q("SELECT COUNT(*) FROM (t1, t2)") == [(6,)]
    assert q("SELECT * FROM (t1) ORDER BY a") == [(1, 10), (2, 20), (3, 30)]
    assert q("SELECT * FROM ((SELECT 1 x) AS d)") == [(1,)]


def test_parenthesised_join_then_left_join(j3):
    q = j3
    assert q("SELECT * FROM (t1 JOIN t2 ON t1.a = t2.a) LEFT JOIN t3 ON t3.a = t1.a "
             "ORDER BY t1.a") == [(1, 10, 1, 100, 1, 1000), (2, 20, 2, 200, None, None)]
    assert q("SELECT * FROM ((t1 JOIN t2 ON t1.a = t2.a) JOIN t3 ON t3.a = t1.a)") == \
        [(1, 10, 1, 100, 1, 1000)]


def test_left_join_of_a_parenthesised_inner_join(j3):
    # the group is joined as a whole: t1 rows without a (t2, t3) pair are padded
    q = j3
    assert q("SELECT * FROM t1 LEFT JOIN (t2 JOIN t3 ON t2.a = t3.a) ON t1.a = t2.a "
             "ORDER BY t1.a") == [(1, 10, 1, 100, 1, 1000),
                                  (2, 20, None, None, None, None),
                                  (3, 30, None, None, None, None)]
    assert q("SELECT t2.* FROM t1 LEFT JOIN (t2 JOIN t3 ON t2.a = t3.a) ON t1.a = t2.a "
             "ORDER BY t1.a") == [(1, 100), (None, None), (None, None)]


def test_inner_join_of_a_parenthesised_left_join(j3):
    q = j3
    expected = [(1, 10, 1, 100, 1, 1000), (2, 20, 2, 200, None, None)]
    assert q("SELECT * FROM t1 JOIN (t2 LEFT JOIN t3 ON t2.a = t3.a) ON t1.a = t2.a "
             "ORDER BY t1.a") == expected
    assert q("SELECT * FROM t1, (t2 LEFT JOIN t3 ON t2.a = t3.a) WHERE t1.a = t2.a "
             "ORDER BY t1.a") == expected


def test_unaliased_derived_table_is_still_1248(q):
    with pytest.raises(core.ProgrammingError) as ei:
        q("SELECT * FROM ((SELECT 1 x))")
    assert ei.value.errno == 1248


def test_outer_on_of_a_flattened_group_keeps_its_equi_join(j3):
    """``t1 JOIN (t2 JOIN t3 ON ..) ON t1.a = t2.a``: the outer ON goes to the join with t2,
    where it is a hash/index join key, not to a filter over t1 crossed with t2."""
    q = j3
    sql = ("SELECT * FROM t1 JOIN (t2 JOIN t3 ON t2.a = t3.a) ON t1.a = t2.a AND t1.b > 5 "
           "AND t3.d = t1.b * 100")
    assert q(sql) == [(1, 10, 1, 100, 1, 1000)]
    plan = [r[0] for r in q("EXPLAIN " + sql)]
    assert not any("NestedLoopJoin" in p for p in plan), plan
    # the outer ON naming a padded column of the group's LEFT JOIN filters after it
    assert q("SELECT * FROM t1 JOIN (t2 LEFT JOIN t3 ON t2.a = t3.a) "
             "ON t1.a = t2.a AND t3.d IS NULL") == [(2, 20, 2, 200, None, None)]


def test_classified_as_queries():
    """The console asks `core.classify` before it runs a statement: a set operation is a
    query (a result set, interruptible), not "other"."""
    for sql in ["SELECT 1 INTERSECT SELECT 1", "SELECT 1 EXCEPT ALL SELECT 2",
                "(SELECT 1) EXCEPT (SELECT 2) ORDER BY 1"]:
        kind = core.classify(sql)
        assert kind.value == "query" and kind.interruptible, sql
