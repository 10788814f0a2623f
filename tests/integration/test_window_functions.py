"""Window functions with MySQL 8's answers: ranking with ties, NULLs sorting first, partitions,
the default frame (peers included), ROWS and RANGE frames, LAG/LEAD defaults, named windows,
windows over GROUP BY, windows in ORDER BY, and the errors MySQL raises (3593 outside the
select list and ORDER BY, 1210 for bad arguments, 3579 for an undefined window)."""

from decimal import Decimal

import pytest

import core
from core.sql.limits import UNLIMITED
from core.sql.plan.ops import Operator, Runtime
from core.sql.plan.window import Window, WindowFunc, WindowSpec
from core.sql.types import sort_key


@pytest.fixture
def e(q):
    q("CREATE TABLE emp (id INT PRIMARY KEY, dept VARCHAR(5), sal INT)")
    q("INSERT INTO emp VALUES (1,'a',100),(2,'a',200),(3,'a',200),(4,'b',NULL),"
      "(5,'b',50),(6,'c',300),(7,NULL,70)")
    return q


def test_row_number_replaces_the_old_1235(e):
    assert e("SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM emp") == [
        (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7)]
    assert e("SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) AS rn FROM emp ORDER BY id") \
        == [(1, 7), (2, 6), (3, 5), (4, 4), (5, 3), (6, 2), (7, 1)]


def test_ranking_ties_and_nulls_first(e):
    # sal ascending: NULL(4), 50(5), 70(7), 100(1), 200(2), 200(3), 300(6)
    rows = e("SELECT id, RANK() OVER w, DENSE_RANK() OVER w, PERCENT_RANK() OVER w, "
             "CUME_DIST() OVER w FROM emp WINDOW w AS (ORDER BY sal) ORDER BY id")
    assert rows == [
        (1, 4, 4, 0.5, 4 / 7),
        (2, 5, 5, 4 / 6, 6 / 7),
        (3, 5, 5, 4 / 6, 6 / 7),
        (4, 1, 1, 0.0, 1 / 7),
        (5, 2, 2, 1 / 6, 2 / 7),
        (6, 7, 6, 1.0, 1.0),
        (7, 3, 3, 2 / 6, 3 / 7),
    ]
    # DESC: NULL last
    assert e("SELECT id, RANK() OVER (ORDER BY sal DESC) FROM emp ORDER BY id") == [
        (1, 4), (2, 2), (3, 2), (4, 7), (5, 6), (6, 1), (7, 5)]


def test_partitions_and_the_default_frame(e):
    # with ORDER BY the frame is RANGE UNBOUNDED PRECEDING .. CURRENT ROW: peers included
    rows = e("SELECT id, SUM(sal) OVER (PARTITION BY dept ORDER BY sal), "
             "COUNT(*) OVER (PARTITION BY dept), COUNT(sal) OVER (PARTITION BY dept ORDER BY sal), "
             "ROW_NUMBER() OVER (PARTITION BY dept ORDER BY sal DESC, id) FROM emp ORDER BY id")
    assert rows == [
        (1, 100, 3, 1, 3),
        (2, 500, 3, 3, 1),
        (3, 500, 3, 3, 2),
        (4, None, 2, 0, 2),
        (5, 50, 2, 1, 1),
        (6, 300, 1, 1, 1),
        (7, 70, 1, 1, 1),
    ]
    # a running total includes the current row's peers (ids 2 and 3 share sal 200)
    assert e("SELECT id, SUM(id) OVER (ORDER BY sal) FROM emp ORDER BY id") == [
        (1, 17), (2, 22), (3, 22), (4, 4), (5, 9), (6, 28), (7, 16)]
    assert e("SELECT id, LAST_VALUE(sal) OVER (ORDER BY sal), LAST_VALUE(sal) OVER () "
             "FROM emp WHERE id < 4 ORDER BY id") == [(1, 100, 200), (2, 200, 200),
                                                      (3, 200, 200)]
    # without ORDER BY: the whole partition
    assert e("SELECT id, MAX(sal) OVER (PARTITION BY dept), AVG(sal) OVER () FROM emp "
             "ORDER BY id") == [
        (1, 200, Decimal("153.3333")), (2, 200, Decimal("153.3333")),
        (3, 200, Decimal("153.3333")), (4, 50, Decimal("153.3333")),
        (5, 50, Decimal("153.3333")), (6, 300, Decimal("153.3333")),
        (7, 70, Decimal("153.3333"))]


def test_rows_frames_and_value_functions(e):
    rows = e("SELECT id, SUM(id) OVER w, FIRST_VALUE(id) OVER w, LAST_VALUE(id) OVER w, "
             "NTH_VALUE(id, 2) OVER w FROM emp "
             "WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) ORDER BY id")
    assert rows == [(1, 3, 1, 2, 2), (2, 6, 1, 3, 2), (3, 9, 2, 4, 3), (4, 12, 3, 5, 4),
                    (5, 15, 4, 6, 5), (6, 18, 5, 7, 6), (7, 13, 6, 7, 7)]
    assert e("SELECT id, SUM(id) OVER (ORDER BY id ROWS 2 PRECEDING) FROM emp ORDER BY id") \
        == [(1, 1), (2, 3), (3, 6), (4, 9), (5, 12), (6, 15), (7, 18)]
    # an empty frame: COUNT 0, SUM NULL, NTH_VALUE NULL
    assert e("SELECT id, COUNT(*) OVER w, SUM(id) OVER w, NTH_VALUE(id, 1) OVER w FROM emp "
             "WINDOW w AS (ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 3 FOLLOWING) "
             "ORDER BY id DESC LIMIT 3") == [(7, 0, None, None), (6, 0, None, None),
                                              (5, 1, 7, 7)]
    assert e("SELECT id, MIN(sal) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND "
             "UNBOUNDED FOLLOWING) FROM emp ORDER BY id") == [
        (1, 50), (2, 50), (3, 50), (4, 50), (5, 50), (6, 70), (7, 70)]
    assert e("SELECT id, SUM(id) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND "
             "1 PRECEDING) FROM emp ORDER BY id LIMIT 3") == [(1, None), (2, 1), (3, 3)]


def test_range_frames(e):
    assert e("SELECT id, SUM(id) OVER (ORDER BY id RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) "
             "FROM emp ORDER BY id") == [(1, 1), (2, 3), (3, 6), (4, 9), (5, 12), (6, 15),
                                         (7, 18)]
    # sal: NULL is its own peer group; 200 and 200 are peers
    assert e("SELECT id, COUNT(*) OVER (ORDER BY sal RANGE BETWEEN 100 PRECEDING AND "
             "100 FOLLOWING) FROM emp ORDER BY id") == [
        (1, 5), (2, 4), (3, 4), (4, 1), (5, 3), (6, 3), (7, 3)]
    assert e("SELECT id, SUM(id) OVER (ORDER BY id DESC RANGE BETWEEN 1 PRECEDING AND "
             "1 FOLLOWING) FROM emp ORDER BY id") == [(1, 3), (2, 6), (3, 9), (4, 12),
                                                     (5, 15), (6, 18), (7, 13)]
    assert e("SELECT id, COUNT(*) OVER (ORDER BY sal RANGE CURRENT ROW) FROM emp "
             "ORDER BY id") == [(1, 1), (2, 2), (3, 2), (4, 1), (5, 1), (6, 1), (7, 1)]
    with pytest.raises(core.ProgrammingError) as ei:
        e("SELECT SUM(id) OVER (ORDER BY id, sal RANGE 1 PRECEDING) FROM emp")
    assert ei.value.errno == 3587


def test_lag_lead_defaults_and_ntile(e):
    assert e("SELECT id, LAG(sal) OVER w, LAG(sal, 2, -1) OVER w, LEAD(sal) OVER w, "
             "LEAD(sal, 3, id * 10) OVER w FROM emp WINDOW w AS (ORDER BY id) ORDER BY id") == [
        (1, None, -1, 200, None),
        (2, 100, -1, 200, 50),
        (3, 200, 100, None, 300),
        (4, 200, 200, 50, 70),
        (5, None, 200, 300, 50),
        (6, 50, None, 70, 60),
        (7, 300, 50, None, 70),
    ]
    assert e("SELECT id, LAG(id, 0) OVER (ORDER BY id) FROM emp ORDER BY id LIMIT 2") == [
        (1, 1), (2, 2)]
    # 7 rows in 3 buckets: 3, 2, 2
    assert e("SELECT id, NTILE(3) OVER (ORDER BY id) FROM emp ORDER BY id") == [
        (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3)]
    assert e("SELECT id, NTILE(10) OVER (ORDER BY id) FROM emp ORDER BY id LIMIT 3") == [
        (1, 1), (2, 2), (3, 3)]
    assert e("SELECT dept, id, NTILE(2) OVER (PARTITION BY dept ORDER BY id) FROM emp "
             "WHERE dept = 'a' ORDER BY id") == [('a', 1, 1), ('a', 2, 1), ('a', 3, 2)]


def test_window_over_group_by(e):
    # evaluated after GROUP BY: over the groups, aggregates of the groups as arguments
    assert e("SELECT dept, SUM(sal), SUM(SUM(sal)) OVER (ORDER BY dept), "
             "RANK() OVER (ORDER BY SUM(sal) DESC), COUNT(*) OVER () FROM emp "
             "GROUP BY dept ORDER BY dept") == [
        (None, 70, 70, 3, 4), ("a", 500, 570, 1, 4), ("b", 50, 620, 4, 4),
        ("c", 300, 920, 2, 4)]
    assert e("SELECT dept, ROW_NUMBER() OVER (ORDER BY COUNT(*) DESC, dept) FROM emp "
             "GROUP BY dept HAVING COUNT(*) > 1") == [("a", 1), ("b", 2)]


def test_window_in_order_by_distinct_and_derived_tables(e):
    assert e("SELECT id FROM emp ORDER BY ROW_NUMBER() OVER (ORDER BY sal DESC, id) LIMIT 3") == [
        (6,), (2,), (3,)]
    assert e("SELECT id, RANK() OVER (ORDER BY sal) r FROM emp ORDER BY r DESC, id LIMIT 3") \
        == [(6, 7), (2, 5), (3, 5)]
    # DISTINCT comes after the window values are computed
    assert e("SELECT DISTINCT dept, COUNT(*) OVER (PARTITION BY dept) FROM emp "
             "ORDER BY dept") == [(None, 1), ("a", 3), ("b", 2), ("c", 1)]
    # top-1 per department through a derived table
    assert e("SELECT dept, id FROM (SELECT dept, id, ROW_NUMBER() OVER "
             "(PARTITION BY dept ORDER BY sal DESC, id) rn FROM emp) x WHERE rn = 1 "
             "ORDER BY dept") == [(None, 7), ("a", 2), ("b", 5), ("c", 6)]
    # a window in a scalar subquery belongs to the subquery
    assert e("SELECT id, (SELECT ROW_NUMBER() OVER ()) FROM emp ORDER BY id LIMIT 2") == [
        (1, 1), (2, 1)]


def test_named_windows_extend_each_other(e):
    assert e("SELECT id, RANK() OVER w2 FROM emp WINDOW w1 AS (PARTITION BY dept), "
             "w2 AS (w1 ORDER BY sal) ORDER BY id") == [
        (1, 1), (2, 2), (3, 2), (4, 1), (5, 2), (6, 1), (7, 1)]
    assert e("SELECT id, SUM(sal) OVER (w ORDER BY id) FROM emp WINDOW w AS "
             "(PARTITION BY dept) ORDER BY id") == [
        (1, 100), (2, 300), (3, 500), (4, None), (5, 50), (6, 300), (7, 70)]
    with pytest.raises(core.ProgrammingError) as ei:
        e("SELECT ROW_NUMBER() OVER nope FROM emp")
    assert ei.value.errno == 3579


@pytest.mark.parametrize("sql", [
    "SELECT id FROM emp WHERE ROW_NUMBER() OVER (ORDER BY id) > 1",
    "SELECT dept FROM emp GROUP BY dept HAVING RANK() OVER () > 1",
    "SELECT COUNT(*) FROM emp GROUP BY ROW_NUMBER() OVER ()",
    "SELECT SUM(ROW_NUMBER() OVER ()) OVER () FROM emp",
])
def test_window_outside_its_contexts_is_3593(e, sql):
    with pytest.raises(core.ProgrammingError) as ei:
        e(sql)
    assert ei.value.errno == 3593
    assert "You cannot use the window function" in str(ei.value)


@pytest.mark.parametrize("sql", [
    "SELECT NTILE(0) OVER (ORDER BY id) FROM emp",
    "SELECT NTILE(NULL) OVER (ORDER BY id) FROM emp",
    "SELECT LAG(id, -1) OVER (ORDER BY id) FROM emp",
    "SELECT NTH_VALUE(id, 0) OVER (ORDER BY id) FROM emp",
])
def test_bad_arguments_are_1210(e, sql):
    with pytest.raises(core.ProgrammingError) as ei:
        e(sql)
    assert ei.value.errno == 1210


def test_unsupported_forms_answer_1235(e):
    # MySQL 8: "doesn't yet support '<window function>(DISTINCT ..)'"
    for sql in ["SELECT COUNT(DISTINCT sal) OVER () FROM emp",
                "SELECT SUM(DISTINCT sal) OVER (ORDER BY id) FROM emp"]:
        with pytest.raises(core.NotSupportedError) as ei:
            e(sql)
        assert ei.value.errno == 1235, sql


def test_empty_input_and_explain(e):
    assert e("SELECT id, ROW_NUMBER() OVER () FROM emp WHERE id > 100") == []
    rows = e("EXPLAIN SELECT id, ROW_NUMBER() OVER (PARTITION BY dept ORDER BY id) FROM emp")
    win = [r for r in rows if "Window" in r[0]]
    assert win and "partition by dept" in win[0][3] and "ROW_NUMBER()" in win[0][3]


def test_memory_is_metered(q):
    q("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40))")
    q.cursor.executemany("INSERT INTO big VALUES (%s, %s)",
                         [(i, f"value-{i:08d}") for i in range(5000)])
    q("SET tidb_mem_quota_query = 65536")
    with pytest.raises(core.OperationalError) as ei:
        q("SELECT COUNT(*) FROM (SELECT v, ROW_NUMBER() OVER (ORDER BY v) rn FROM big) d")
    assert ei.value.errno == 8175
    q("SET tidb_mem_quota_query = 0")
    assert q("SELECT MAX(rn) FROM (SELECT ROW_NUMBER() OVER (ORDER BY v) rn FROM big) d") == \
        [(5000,)]


class _Rows(Operator):
    width = 1

    def __init__(self, n: int, parts: int):
        self.n, self.parts = n, parts

    def rows(self, rt):
        return ([i % self.parts, i] for i in range(self.n))


class _Cancelled(Exception):
    pass


def test_operator_checks_the_cancel_token():
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 5:
            raise _Cancelled()

    rt = Runtime(view=None, mem=UNLIMITED, check=check)
    part = [lambda r: r[0]]
    spec = WindowSpec(part, [(lambda r: r[1], False)], [(0, WindowFunc("ROW_NUMBER"))])
    with pytest.raises(_Cancelled):  # many partitions: checked between them
        list(Window(_Rows(10_000, 1000), [spec], 1, sort_key).rows(rt))
    calls.clear()
    # one partition, a sliding frame recomputed per row: checked inside it
    from core.sql.functions import make_aggregate
    from core.sql.plan.window import Bound, Frame
    frame = Frame(True, Bound("offset", -500), Bound("offset", 500))
    agg = WindowFunc("AGG", args=[lambda r: r[1]], make=lambda: make_aggregate("SUM"),
                     frame=lambda: frame)
    spec = WindowSpec([], [(lambda r: r[1], False)], [(0, agg)])
    with pytest.raises(_Cancelled):
        list(Window(_Rows(10_000, 1), [spec], 1, sort_key).rows(rt))


def test_parameters_are_read_at_each_run(e):
    # the plan is cached: NTILE's buckets, LAG's offset and a frame's bound come from each
    # execution's parameters
    sql = "SELECT id, NTILE(%s) OVER (ORDER BY id) FROM emp ORDER BY id LIMIT 4"
    assert e(sql, (2,)) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert e(sql, (7,)) == [(1, 1), (2, 2), (3, 3), (4, 4)]
    sql = "SELECT id, LAG(id, %s) OVER (ORDER BY id) FROM emp ORDER BY id LIMIT 3"
    assert e(sql, (1,)) == [(1, None), (2, 1), (3, 2)]
    assert e(sql, (2,)) == [(1, None), (2, None), (3, 1)]
    sql = "SELECT id, SUM(id) OVER (ORDER BY id ROWS %s PRECEDING) FROM emp ORDER BY id LIMIT 3"
    assert e(sql, (0,)) == [(1, 1), (2, 2), (3, 3)]
    assert e(sql, (1,)) == [(1, 1), (2, 3), (3, 5)]
    with pytest.raises(core.ProgrammingError) as ei:
        e("SELECT NTILE(%s) OVER () FROM emp", (0,))
    assert ei.value.errno == 1210
