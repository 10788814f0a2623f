"""Common table expressions (``WITH [RECURSIVE]``) and RIGHT JOIN, against the real engine.

The expected answers are MySQL 8.0's: a CTE is visible in its query, its subqueries and
derived tables and in the CTEs written after it, and shadows a table of the same name; a
recursive CTE iterates on the previous iteration's rows, UNION DISTINCT de-duplicating
across iterations, at most @@cte_max_recursion_depth (1000) times, its column types the
anchor's.  ``a RIGHT JOIN b ON c`` is ``b LEFT JOIN a ON c`` with the columns in the written
order.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

import core
from core.sql.limits import UNLIMITED
from core.sql.plan.cte import RecursiveCte, RecursiveRef
from core.sql.plan.ops import Operator, Project, Runtime


def _err(q, sql) -> core.Error:
    with pytest.raises(core.Error) as ei:
        q(sql)
    return ei.value


@pytest.fixture
def tree(q):
    q("CREATE TABLE node (id INT PRIMARY KEY, parent INT, name VARCHAR(10))")
    q("INSERT INTO node VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'a1'),"
      " (5, 4, 'a11'), (6, 3, 'b1'), (7, NULL, 'other')")
    return q


# -- non-recursive CTEs ----------------------------------------------------------------------


def test_cte_used_twice_and_chained(tree):
    q = tree
    assert q("WITH c AS (SELECT id FROM node WHERE id > 4) "
             "SELECT x.id, y.id FROM c x JOIN c y ON x.id < y.id ORDER BY 1, 2") == \
        [(5, 6), (5, 7), (6, 7)]
    # a later CTE reads an earlier one; both visible in the body
    assert q("WITH c (a, b) AS (SELECT 1, 2), d AS (SELECT a + b AS s FROM c) "
             "SELECT * FROM d, c") == [(3, 1, 2)]
    cur = q.cursor
    cur.execute("WITH c (a, b) AS (SELECT 1, 2) SELECT * FROM c")
    assert [d[0] for d in cur.description] == ["a", "b"]


def test_cte_in_subqueries_and_derived_tables(tree):
    q = tree
    assert q("WITH c AS (SELECT 2 AS a UNION ALL SELECT 3) "
             "SELECT name FROM node WHERE id IN (SELECT a FROM c) ORDER BY id") == \
        [("a",), ("b",)]
    assert q("SELECT * FROM (WITH c AS (SELECT 1 AS a) SELECT a + 1 AS b FROM c) d") == [(2,)]
    assert q("SELECT (WITH c AS (SELECT 7 AS a) SELECT a FROM c)") == [(7,)]
    # the body's subquery sees the outer WITH; a nested WITH sees it too
    assert q("WITH c AS (SELECT 5 AS a) "
             "SELECT (SELECT a FROM c), (WITH d AS (SELECT a * 2 AS b FROM c) "
             "SELECT b FROM d)") == [(5, 10)]
    assert q("WITH c AS (SELECT 1 AS a) SELECT 1 UNION SELECT a + 1 FROM c") == [(1,), (2,)]


def test_cte_shadows_a_table_and_inner_shadows_outer(tree):
    q = tree
    assert q("WITH node AS (SELECT 42 AS id) SELECT * FROM node") == [(42,)]
    assert q("WITH t AS (SELECT 1 AS v) "
             "SELECT * FROM (WITH t AS (SELECT 2 AS v) SELECT v FROM t) x, t") == [(2, 1)]
    # a non-recursive CTE's own name inside it is the table
    assert q("WITH node AS (SELECT COUNT(*) AS n FROM node) SELECT n FROM node") == [(7,)]
    # a qualified name is always the table
    db = q("SELECT DATABASE()")[0][0]
    assert q(f"WITH node AS (SELECT 1 AS id) SELECT COUNT(*) FROM {db}.node") == [(7,)]


def test_cte_column_lists(q):
    assert q("WITH c (x, y) AS (SELECT 1 AS a, 2 AS b) SELECT y, x FROM c") == [(2, 1)]
    e = _err(q, "WITH c (x, y) AS (SELECT 1) SELECT * FROM c")
    assert e.errno == 1353
    assert str(e).endswith("In definition of view, derived table or common table expression,"
                           " SELECT list and column names list have different column counts")
    e = _err(q, "WITH c (x, x) AS (SELECT 1, 2) SELECT * FROM c")
    assert e.errno == 1060
    assert _err(q, "WITH c AS (SELECT 1 AS a) SELECT b FROM c").errno == 1054


def test_duplicate_cte_name(q):
    e = _err(q, "WITH c AS (SELECT 1), c AS (SELECT 2) SELECT * FROM c")
    assert e.errno == 1066 and "Not unique table/alias: 'c'" in str(e)
    e = _err(q, "WITH RECURSIVE C AS (SELECT 1), c AS (SELECT 2) SELECT * FROM c")
    assert e.errno == 1066


def test_cte_in_insert_update_delete(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    q("INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)")
    assert q("WITH c AS (SELECT 2 AS a) UPDATE t SET v = 9 WHERE id IN (SELECT a FROM c)") == 1
    assert q("WITH c AS (SELECT 3 AS a) UPDATE t SET v = (SELECT a * 10 FROM c) "
             "WHERE id = 3") == 1
    assert q("WITH c AS (SELECT 1 AS a) DELETE FROM t WHERE id IN (SELECT a FROM c)") == 1
    assert q("INSERT INTO t WITH RECURSIVE c (n) AS "
             "(SELECT 10 UNION ALL SELECT n + 1 FROM c WHERE n < 12) SELECT n, n FROM c") == 3
    assert q("SELECT * FROM t ORDER BY id") == [(2, 9), (3, 30), (10, 10), (11, 11), (12, 12)]
    # MySQL takes WITH before SELECT, UPDATE and DELETE, not before INSERT
    assert _err(q, "WITH c AS (SELECT 50 AS a) INSERT INTO t SELECT a, a FROM c").errno == 1064


# -- WITH RECURSIVE --------------------------------------------------------------------------


def test_recursive_counting(q):
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) "
             "SELECT * FROM c") == [(1,), (2,), (3,), (4,), (5,)]
    # exactly 1000 rows: the 1000th iteration adds nothing, within the limit
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000)"
             " SELECT COUNT(*), SUM(n) FROM c") == [(1000, 500500)]
    # Fibonacci, two columns, names from the anchor
    rows = q("WITH RECURSIVE f AS (SELECT 1 AS n, 0 AS a, 1 AS b UNION ALL "
             "SELECT n + 1, b, a + b FROM f WHERE n < 10) SELECT n, a FROM f")
    assert rows[-1] == (10, 34) and len(rows) == 10
    # a recursive CTE read by a later one, twice
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3), "
             "d AS (SELECT n * 10 AS m FROM c) SELECT SUM(x.m + y.m) FROM d x, d y") == \
        [(360,)]
    # RECURSIVE without a self-reference is an ordinary CTE
    assert q("WITH RECURSIVE c (n) AS (SELECT 1) SELECT * FROM c") == [(1,)]


def test_recursive_tree_walk(tree):
    q = tree
    assert q("WITH RECURSIVE sub AS ("
             " SELECT id, name, 0 AS depth, CAST(name AS CHAR(100)) AS path FROM node"
             " WHERE parent IS NULL AND id = 1"
             " UNION ALL"
             " SELECT n.id, n.name, s.depth + 1, CONCAT(s.path, '/', n.name)"
             " FROM node n JOIN sub s ON n.parent = s.id)"
             " SELECT id, depth, path FROM sub ORDER BY path") == [
        (1, 0, "root"), (2, 1, "root/a"), (4, 2, "root/a/a1"), (5, 3, "root/a/a1/a11"),
        (3, 1, "root/b"), (6, 2, "root/b/b1")]
    # ancestors of a node, walking up (the CTE on the left of the join)
    assert q("WITH RECURSIVE up AS (SELECT id, parent FROM node WHERE id = 5 UNION ALL "
             "SELECT n.id, n.parent FROM up JOIN node n ON n.id = up.parent) "
             "SELECT id FROM up") == [(5,), (4,), (2,), (1,)]


def test_union_distinct_stops_a_cycle_union_all_does_not(q):
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION SELECT n % 3 + 1 FROM c) "
             "SELECT * FROM c ORDER BY n") == [(1,), (2,), (3,)]
    e = _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n % 3 + 1 FROM c) "
                "SELECT * FROM c")
    assert e.errno == 3636
    # DISTINCT removes duplicates within the anchor and across iterations
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION SELECT 1 UNION "
             "SELECT n * 2 FROM c WHERE n < 100) SELECT * FROM c") == \
        [(1,), (2,), (4,), (8,), (16,), (32,), (64,), (128,)]
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT 1 UNION ALL "
             "SELECT n + 1 FROM c WHERE n < 2) SELECT COUNT(*) FROM c") == [(4,)]


def test_depth_limit_3636(q):
    e = _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) "
                "SELECT COUNT(*) FROM c")
    assert e.errno == 3636
    assert str(e).endswith("Recursive query aborted after 1001 iterations. Try increasing "
                           "@@cte_max_recursion_depth to a larger value.")
    # 1001 rows need a 1001st iteration
    assert _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                   "WHERE n < 1001) SELECT COUNT(*) FROM c").errno == 3636
    assert q("SELECT @@cte_max_recursion_depth") == [(1000,)]
    q("SET cte_max_recursion_depth = 5")
    e = _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                "WHERE n < 10) SELECT * FROM c")
    assert "after 6 iterations" in str(e)
    q("SET @@cte_max_recursion_depth = 2000")
    assert q("WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
             "WHERE n < 1500) SELECT COUNT(*) FROM c") == [(1500,)]


def test_column_types_come_from_the_anchor(q):
    # the anchor's INT column keeps 1.5 as 2, so the walk is 1, 2, 3
    assert q("WITH RECURSIVE c (s) AS (SELECT 1 UNION ALL SELECT s + 0.5 FROM c "
             "WHERE s < 3) SELECT * FROM c") == [(1,), (2,), (3,)]


def test_recursive_errors(q):
    e = _err(q, "WITH RECURSIVE c (n) AS (SELECT n FROM c) SELECT * FROM c")
    assert e.errno == 3573
    assert str(e).endswith("Recursive Common Table Expression 'c' should contain a UNION")
    assert _err(q, "WITH RECURSIVE c (n) AS (SELECT n FROM c UNION ALL SELECT 1) "
                   "SELECT * FROM c").errno == 3574
    assert _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT COUNT(*) FROM c) "
                   "SELECT * FROM c").errno == 3575
    assert _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT x.n FROM c x, c y) "
                   "SELECT * FROM c").errno == 3577
    assert _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT 1 FROM DUAL WHERE 1 IN "
                   "(SELECT n FROM c)) SELECT * FROM c").errno == 3577
    assert _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n, n FROM c) "
                   "SELECT * FROM c").errno == 1222


def test_recursive_cte_is_metered(q):
    q("SET cte_max_recursion_depth = 100000")
    q("SET tidb_mem_quota_query = 65536")
    e = _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                "WHERE n < 50000) SELECT COUNT(*) FROM c")
    assert e.errno == 8175
    q("SET tidb_mem_quota_query = 0")


def test_recursive_cte_can_be_cancelled(conn, q):
    q("SET cte_max_recursion_depth = 4000000000")
    done = threading.Event()

    def cancel():
        for _ in range(2000):
            if done.is_set() or conn.cancel():
                return
            time.sleep(0.002)

    th = threading.Thread(target=cancel)
    th.start()
    start = time.monotonic()
    try:
        e = _err(q, "WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) "
                    "SELECT COUNT(*) FROM c")
    finally:
        done.set()
        th.join()
    assert e.errno == 1317
    assert time.monotonic() - start < 3


class _Rows(Operator):
    width = 1

    def __init__(self, n: int):
        self.n = n

    def rows(self, rt):
        return ([i] for i in range(self.n))


class _Cancelled(Exception):
    pass


def test_operator_checks_the_cancel_token_within_an_iteration():
    """One iteration that produces many rows (a wide recursive join) still looks at the
    cancel token every few hundred rows, not only between iterations."""
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 5:
            raise _Cancelled()

    ref = RecursiveRef(1, "c")
    op = RecursiveCte(_Rows(100_000), [Project(ref, [lambda r: r[0]])], ref, False, "c", None)
    with pytest.raises(_Cancelled):
        list(op.rows(Runtime(view=None, mem=UNLIMITED, check=check)))


def test_explain_shows_the_cte(q):
    rows = q("EXPLAIN WITH RECURSIVE c (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
             "WHERE n < 5) SELECT * FROM c")
    ops = [r[0].lstrip("└─├│ ") for r in rows]
    assert "CTEFullScan" in ops and "CTE" in ops and "CTETable" in ops


# -- RIGHT JOIN ------------------------------------------------------------------------------


@pytest.fixture
def abc(q):
    q("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))")
    q("CREATE TABLE b (id INT PRIMARY KEY, aid INT)")
    q("CREATE TABLE c (id INT PRIMARY KEY, bid INT)")
    q("INSERT INTO a VALUES (1, 'a1'), (2, 'a2')")
    q("INSERT INTO b VALUES (10, 1), (11, 3), (12, NULL)")
    q("INSERT INTO c VALUES (100, 10), (101, 99)")
    return q


def test_right_join_keeps_unmatched_rows(abc):
    q = abc
    assert q("SELECT a.v, b.id FROM a RIGHT JOIN b ON a.id = b.aid ORDER BY b.id") == \
        [("a1", 10), (None, 11), (None, 12)]
    # the same as the mirrored LEFT JOIN
    assert q("SELECT a.v, b.id FROM b LEFT JOIN a ON a.id = b.aid ORDER BY b.id") == \
        q("SELECT a.v, b.id FROM a RIGHT JOIN b ON a.id = b.aid ORDER BY b.id")
    assert q("SELECT COUNT(*) FROM a RIGHT OUTER JOIN b ON a.id = b.aid") == [(3,)]
    # a non-equality ON, USING
    assert q("SELECT a.id, b.id FROM a RIGHT JOIN b ON a.id < b.aid ORDER BY b.id, a.id") == \
        [(None, 10), (1, 11), (2, 11), (None, 12)]
    assert q("SELECT b.id, a.v FROM a RIGHT JOIN b USING (id) ORDER BY b.id") == \
        [(10, None), (11, None), (12, None)]


def test_right_join_select_star_keeps_the_written_order(abc):
    q = abc
    cur = q.cursor
    cur.execute("SELECT * FROM a RIGHT JOIN b ON a.id = b.aid ORDER BY b.id")
    assert [d[0] for d in cur.description] == ["id", "v", "id", "aid"]
    assert cur.fetchall() == [(1, "a1", 10, 1), (None, None, 11, 3), (None, None, 12, None)]
    assert q("SELECT b.*, a.* FROM a RIGHT JOIN b ON a.id = b.aid ORDER BY b.id LIMIT 1") == \
        [(10, 1, 1, "a1")]


def test_right_join_where_on_either_side(abc):
    q = abc
    # WHERE on the preserved side
    assert q("SELECT a.v, b.id FROM a RIGHT JOIN b ON a.id = b.aid WHERE b.id >= 11 "
             "ORDER BY b.id") == [(None, 11), (None, 12)]
    # WHERE on the padded side sees the NULLs (it must not be pushed into a's scan)
    assert q("SELECT b.id FROM a RIGHT JOIN b ON a.id = b.aid WHERE a.id IS NULL "
             "ORDER BY b.id") == [(11,), (12,)]
    assert q("SELECT b.id FROM a RIGHT JOIN b ON a.id = b.aid AND a.v = 'a2' "
             "WHERE a.v IS NULL ORDER BY b.id") == [(10,), (11,), (12,)]
    assert q("SELECT b.id FROM a RIGHT JOIN b ON a.id = b.aid WHERE a.v = 'a1'") == [(10,)]


def test_three_table_chains(abc):
    q = abc
    # (a JOIN b) RIGHT JOIN c: every c row, a and b only where both match
    cur = q.cursor
    cur.execute("SELECT * FROM a JOIN b ON a.id = b.aid RIGHT JOIN c ON c.bid = b.id "
                "ORDER BY c.id")
    assert [d[0] for d in cur.description] == ["id", "v", "id", "aid", "id", "bid"]
    assert cur.fetchall() == [(1, "a1", 10, 1, 100, 10), (None,) * 4 + (101, 99)]
    # a RIGHT JOIN b RIGHT JOIN c
    assert q("SELECT a.v, b.id, c.id FROM a RIGHT JOIN b ON a.id = b.aid "
             "RIGHT JOIN c ON c.bid = b.id ORDER BY c.id") == \
        [("a1", 10, 100), (None, None, 101)]
    # a RIGHT JOIN b then LEFT JOIN c: every b row
    assert q("SELECT a.v, b.id, c.id FROM a RIGHT JOIN b ON a.id = b.aid "
             "LEFT JOIN c ON c.bid = b.id ORDER BY b.id") == \
        [("a1", 10, 100), (None, 11, None), (None, 12, None)]
    # a LEFT JOIN b RIGHT JOIN c: the left join's padding, then every c row
    assert q("SELECT a.id, b.id, c.id FROM a LEFT JOIN b ON a.id = b.aid "
             "RIGHT JOIN c ON c.bid = b.id ORDER BY c.id") == \
        [(1, 10, 100), (None, None, 101)]
    # a comma binds looser: a, (b RIGHT JOIN c)
    assert q("SELECT a.id, b.id, c.id FROM a, b RIGHT JOIN c ON c.bid = b.id "
             "ORDER BY a.id, c.id") == \
        [(1, 10, 100), (1, None, 101), (2, 10, 100), (2, None, 101)]
    assert q("SELECT COUNT(*) FROM (SELECT 1 AS x) e, a RIGHT JOIN b ON a.id = b.aid "
             "WHERE e.x = 1") == [(3,)]


def test_right_join_with_cte_and_derived_table(abc):
    q = abc
    assert q("WITH k AS (SELECT 1 AS id UNION ALL SELECT 5) "
             "SELECT k.id, a.v FROM a RIGHT JOIN k ON a.id = k.id ORDER BY k.id") == \
        [(1, "a1"), (5, None)]
    assert q("SELECT d.n, a.v FROM a RIGHT JOIN (SELECT 2 AS n UNION ALL SELECT 3) d "
             "ON a.id = d.n ORDER BY d.n") == [(2, "a2"), (3, None)]


def test_cte_rows_are_recomputed_per_execution(q):
    """A CTE is materialised once per execution, not once per cached plan."""
    q("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    q("INSERT INTO t VALUES (1, 1), (2, 2)")
    sql = "WITH c AS (SELECT SUM(v) AS s FROM t) SELECT x.s + y.s FROM c x, c y"
    assert q(sql) == [(Decimal(6),)]
    q("INSERT INTO t VALUES (3, 3)")
    assert q(sql) == [(Decimal(12),)]
    # a correlated subquery reading a CTE of the outer query
    assert q("WITH c AS (SELECT v FROM t) SELECT id, (SELECT COUNT(*) FROM c WHERE c.v < t.id)"
             " FROM t ORDER BY id") == [(1, 0), (2, 1), (3, 2)]
    # parameters: one execution per parameter tuple
    sql = ("WITH RECURSIVE c (n) AS (SELECT %s UNION ALL SELECT n + 1 FROM c WHERE n < 4) "
           "SELECT COUNT(*) FROM c")
    assert q(sql, (1,)) == [(4,)]
    assert q(sql, (2,)) == [(3,)]
