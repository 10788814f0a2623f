"""Hardening of the SQL layer and the API: every hostile input ends in a `core.errors` error
with MySQL's code, and a failed statement changes nothing (the red team's repros, exactly)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

import core
from core.errors import Error


def _errno(q, sql, params=None) -> int:
    with pytest.raises(Error) as ei:
        q(sql, params)
    assert isinstance(ei.value, Error)
    return ei.value.errno


@pytest.fixture
def fz(q):
    q("CREATE TABLE fz (id INT PRIMARY KEY, v VARCHAR(20))")
    q("INSERT INTO fz VALUES (1, 'a'), (2, 'b')")
    return q


# -- 1. raw Python exceptions ----------------------------------------------------------------


def test_thousand_term_sum_is_a_stack_overrun(q):
    assert _errno(q, "SELECT " + "+".join(["1"] * 1000)) == 1436
    assert q("SELECT 1") == [(1,)]  # the session still works


def test_five_thousand_way_union_runs_flat(q):
    assert q(" UNION ".join(["SELECT 1"] * 5000)) == [(1,)]
    assert q("SELECT 1 UNION SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT 2") == [
        (1,), (1,), (2,)]
    assert q("SELECT 1 UNION ALL SELECT 1 UNION SELECT 2") == [(1,), (2,)]


def test_deeply_nested_subqueries_are_1473(q):
    sql = "SELECT 1"
    for _ in range(100):
        sql = f"SELECT ({sql})"
    assert _errno(q, sql) == 1473


def test_set_with_a_non_assignment_is_a_syntax_error(fz):
    assert _errno(fz, "UPDATE fz SET X'FF' LIKE v") == 1064
    assert _errno(fz, "UPDATE fz SET v") == 1064
    assert fz("SELECT v FROM fz ORDER BY id") == [("a",), ("b",)]


def test_five_thousand_digit_literal(q):
    assert _errno(q, "SELECT " + "9" * 5000) == 1367
    assert q("SELECT " + "1" * 70)[0][0] == pytest.approx(1.1111111111111112e69)
    assert q("SELECT CAST(REPEAT('9', 5000) AS SIGNED)") == [(9223372036854775807,)]
    assert q("SELECT CAST(REPEAT('9', 5000) AS DECIMAL(5,2))") == [(Decimal("999.99"),)]


def test_lone_surrogates_are_1300(fz):
    assert _errno(fz, "SELECT 1 AS `\ud800`") == 1300
    assert _errno(fz, "SELECT '\ud800'") == 1300
    assert _errno(fz, "CREATE TABLE `a\ud800` (x INT)") == 1300
    assert _errno(fz, "INSERT INTO fz VALUES (%s, %s)", (3, "\ud800")) == 1366
    assert fz("SELECT COUNT(*) FROM fz") == [(2,)]
    assert fz("SHOW TABLES") == [("fz",)]


def test_wrong_argument_types_are_1210(conn):
    cur = conn.cursor()
    for sql, params in [(b"SELECT 1", None), ("SELECT %s", 5), ("SELECT %s", "ab"),
                        (None, None)]:
        with pytest.raises(core.ProgrammingError) as ei:
            cur.execute(sql, params)
        assert ei.value.errno == 1210
    with pytest.raises(core.ProgrammingError) as ei:
        cur.executemany("SELECT %s", 5)
    assert ei.value.errno == 1210
    with pytest.raises(core.DataError) as ei:
        cur.execute("SELECT %s", (float("inf"),))
    assert ei.value.errno == 1367


def test_numeric_edge_cases_never_escape(q):
    for sql, errno in [("SELECT CAST(1e300 AS DECIMAL(65,0))", None),
                       ("SELECT FORMAT(1e300, 2)", None), ("SELECT ROUND(1e308, -400)", None),
                       ("SELECT SUM(f) FROM (SELECT 1e308 AS f UNION ALL SELECT 1e308) AS x",
                        1690)]:
        if errno is None:
            q(sql)
        else:
            assert _errno(q, sql) == errno
    assert q("SELECT CAST('1e400' AS DOUBLE)") == [(1.7976931348623157e308,)]


def test_unknown_exception_becomes_internal_error(conn, monkeypatch):
    def boom(*a, **k):
        raise KeyError("x")

    monkeypatch.setattr(conn._session, "execute", boom)
    with pytest.raises(core.InternalError) as ei:
        conn.cursor().execute("SELECT 1")
    assert ei.value.errno == 1105 and "KeyError" in ei.value.msg


# -- 2. identifier limits --------------------------------------------------------------------


def test_identifier_and_key_limits(q):
    q("CREATE TABLE t (a INT, b INT)")
    cases = [
        ("CREATE TABLE " + "t" * 300 + " (a INT)", 1059),
        ("CREATE TABLE " + "t" * 65 + " (a INT)", 1059),
        ("CREATE TABLE t2 (" + "c" * 65 + " INT)", 1059),
        ("CREATE DATABASE " + "d" * 65, 1059),
        ("CREATE INDEX " + "k" * 65 + " ON t (a)", 1059),
        ("RENAME TABLE t TO " + "r" * 65, 1059),
        ("CREATE INDEX k ON t (a, a)", 1060),
        ("CREATE INDEX k ON t (" + ", ".join(["a"] * 65) + ")", 1070),
        ("CREATE TABLE t5 (" + ", ".join(f"c{i} INT" for i in range(4097)) + ")", 1117),
        ("CREATE TABLE t4 (" + ", ".join(f"c{i} INT" for i in range(17)) + ", KEY k ("
         + ", ".join(f"c{i}" for i in range(17)) + "))", 1070),
    ]
    for sql, errno in cases:
        assert _errno(q, sql) == errno, sql
    assert q("SHOW TABLES") == [("t",)]
    assert q("SHOW INDEX FROM t") == []
    q("CREATE TABLE " + "t" * 64 + " (a INT)")  # 64 is fine


# -- 3. key length ---------------------------------------------------------------------------


def test_key_length_is_checked_at_ddl_time(q):
    assert _errno(q, "CREATE TABLE t6 (a VARCHAR(769), KEY (a))") == 1071
    assert _errno(q, "CREATE TABLE t7 (a VARCHAR(769) PRIMARY KEY)") == 1071
    assert _errno(q, "CREATE TABLE t9 (a VARCHAR(500), b VARCHAR(500), UNIQUE KEY (a, b))") \
        == 1071
    assert _errno(q, "CREATE TABLE t8 (a TEXT, KEY (a))") == 1170
    q("CREATE TABLE t6 (a VARCHAR(768), b VARBINARY(3072), c INT, KEY (a))")
    assert _errno(q, "ALTER TABLE t6 ADD INDEX k2 (a, c)") == 1071
    assert _errno(q, "CREATE UNIQUE INDEX k3 ON t6 (b, c)") == 1071
    q("CREATE INDEX k4 ON t6 (b)")
    q("INSERT INTO t6 VALUES (%s, %s, 1)", ("\u00e9" * 768, b"\xff" * 3072))
    assert q("SELECT c FROM t6 WHERE a = %s", ("\u00e9" * 768,)) == [(1,)]
    assert [r[2] for r in q("SHOW INDEX FROM t6")] == ["a", "k4"]


# -- 4. multi-statements ---------------------------------------------------------------------


def test_multi_statements_are_off_by_default(fz, conn):
    assert _errno(fz, "SELECT 1; DROP TABLE fz") == 1064
    assert fz("SELECT COUNT(*) FROM fz") == [(2,)]
    with pytest.raises(core.ProgrammingError) as ei:
        conn.execute("DELETE FROM fz; SELECT 1")
    assert ei.value.errno == 1064
    cur = conn.cursor()
    cur.executescript("INSERT INTO fz VALUES (3, 'c'); SELECT COUNT(*) FROM fz;")
    assert cur.fetchall() == [(3,)]
    with pytest.raises(core.ProgrammingError):
        cur.executescript("INSERT INTO fz VALUES (4, 'd'); SELEC 1; INSERT INTO fz VALUES (5, 'e')")
    # one at a time, as the mysql client: the statement before the bad one stays done
    assert fz("SELECT id FROM fz ORDER BY id") == [(1,), (2,), (3,), (4,)]
    with pytest.raises(core.IntegrityError):
        conn.executescript("INSERT INTO fz VALUES (6, 'f'); INSERT INTO fz VALUES (1, 'x'); "
                           "INSERT INTO fz VALUES (7, 'g')")
    assert fz("SELECT MAX(id) FROM fz") == [(6,)]


def test_multi_statements_when_asked(tmp_path):
    conn = core.connect(str(tmp_path / "m"), create=True, autocommit=True,
                        multi_statements=True)
    try:
        cur = conn.execute("CREATE TABLE t (a INT); INSERT INTO t VALUES (1); SELECT a FROM t")
        assert cur.fetchall() == [(1,)]
    finally:
        conn.close()


# -- 5. one connection, two threads ----------------------------------------------------------


def test_two_threads_on_one_connection_get_2014(fz, conn):
    stop = time.monotonic() + 2.0
    seen = {"ok": 0, "busy": 0}
    other: list[BaseException] = []

    def hammer(n: int) -> None:
        cur = conn.cursor()
        while time.monotonic() < stop:
            try:
                if n % 2:
                    cur.execute("SELECT COUNT(*) FROM fz")
                    cur.fetchall()
                else:
                    cur.execute("UPDATE fz SET v = 'z' WHERE id = 1")
                seen["ok"] += 1
            except core.ProgrammingError as e:
                if e.errno != 2014:
                    other.append(e)
                seen["busy"] += 1
            except BaseException as e:  # noqa: BLE001 - anything else fails the test
                other.append(e)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    conn.cancel()  # callable from another thread at any time
    for t in threads:
        t.join()
    assert not other, other[:3]
    assert seen["ok"] > 0 and seen["busy"] > 0
    assert fz("SELECT COUNT(*) FROM fz") == [(2,)]


# -- 6. empty statements and doubles ---------------------------------------------------------


@pytest.mark.parametrize("sql", ["", ";", "  \n ", "/* nothing */", "-- x\n", ";;"])
def test_empty_statement_is_1065(q, sql):
    with pytest.raises(core.ProgrammingError) as ei:
        q(sql)
    assert (ei.value.errno, ei.value.sqlstate) == (1065, "42000")


def test_doubles_out_of_range(q):
    with pytest.raises(core.DataError) as ei:
        q("SELECT 1e400")
    assert ei.value.errno == 1367
    assert ei.value.msg == "Illegal double '1e400' value found during parsing"
    assert _errno(q, "SELECT 1e308 * 10") == 1690
    assert _errno(q, "SELECT -1e308 - 1e308") == 1690


# -- 7. index hints --------------------------------------------------------------------------


def test_index_hints_are_honoured(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ia (a), KEY ib (b))")
    q("INSERT INTO t VALUES (1, 1, 1), (2, 2, 2)")

    def access(sql):
        return [r[0].strip("└─ ") + " " + r[2] for r in q("EXPLAIN " + sql)][-1]

    assert access("SELECT * FROM t WHERE a = 1") == "IndexLookUp table:t, index:ia(a)"
    assert access("SELECT * FROM t IGNORE INDEX (ia) WHERE a = 1") == \
        "TableFullScan table:t"
    assert access("SELECT * FROM t USE INDEX (ib) WHERE a = 1 AND b = 1") == \
        "IndexLookUp table:t, index:ib(b)"
    assert access("SELECT * FROM t FORCE INDEX (ia) WHERE a = 1 AND b = 1") == \
        "IndexLookUp table:t, index:ia(a)"
    assert access("SELECT * FROM t IGNORE INDEX (PRIMARY) WHERE id = 1") == \
        "TableFullScan table:t"
    assert q("SELECT id FROM t IGNORE INDEX (ia) WHERE a = 2") == [(2,)]
    with pytest.raises(core.ProgrammingError) as ei:
        q("SELECT * FROM t IGNORE INDEX (nope) WHERE a = 1")
    assert (ei.value.errno, ei.value.msg) == (1176, "Key 'nope' doesn't exist in table 't'")


# -- 8. resource limits ----------------------------------------------------------------------


def test_max_allowed_packet_checked_before_allocating(q):
    cur = q.cursor
    t0 = time.perf_counter()
    assert q("SELECT LPAD('x', 2000000000, 'y'), SPACE(2e9)") == [(None, None)]
    assert time.perf_counter() - t0 < 1.0
    assert [w[1] for w in cur.warnings] == [1301, 1301]
    assert cur.warnings[0][2] == (
        "Result of lpad() was larger than max_allowed_packet (67108864) - truncated")
    q("SET SESSION max_allowed_packet = 2048")
    assert q("SELECT @@max_allowed_packet") == [(2048,)]
    for sql in ["SELECT REPEAT('a', 3000)", "SELECT CONCAT(REPEAT('a', 2040), 'bbbbbbbbbbb')",
                "SELECT RPAD('a', 3000, 'b')", "SELECT REPLACE(REPEAT('a', 1000), 'a', 'bbb')",
                "SELECT CONCAT_WS(',', REPEAT('a', 1500), REPEAT('b', 1500))"]:
        assert q(sql) == [(None,)], sql
        assert cur.warnings[0][1] == 1301
    for _ in range(2):  # a cached plan warns every time
        assert q("SELECT REPEAT('a', 3000)") == [(None,)]
        assert [w[1] for w in cur.warnings] == [1301]
    assert q("SELECT LENGTH(REPEAT('a', 2048))") == [(2048,)]


def test_max_execution_time(q):
    q("CREATE TABLE big (id INT PRIMARY KEY, v INT)")
    q.cursor.executemany("INSERT INTO big VALUES (%s, %s)", [(i, i) for i in range(20000)])
    q("SET max_execution_time = 1")
    with pytest.raises(core.OperationalError) as ei:
        q("SELECT COUNT(*) FROM big a JOIN big b ON a.v = b.v + 1")
    assert (ei.value.errno, ei.value.sqlstate) == (3024, "HY000")
    q("SET max_execution_time = 0")
    with pytest.raises(core.OperationalError) as ei:
        q("SELECT /*+ MAX_EXECUTION_TIME(1) */ COUNT(*) FROM big a JOIN big b ON a.v = b.v + 1")
    assert ei.value.errno == 3024
    assert q("SELECT COUNT(*) FROM big") == [(20000,)]
    q("SET max_execution_time = 1")
    q("UPDATE big SET v = v + 1 WHERE id < 5000")  # not a SELECT: no limit
    assert q("SELECT /*+ MAX_EXECUTION_TIME(0) */ SUM(v) FROM big") == [(199995000,)]


def test_memory_quota(q):
    q("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(40))")
    q.cursor.executemany("INSERT INTO big VALUES (%s, %s)",
                         [(i, f"value-{i:08d}") for i in range(5000)])
    q("SET tidb_mem_quota_query = 65536")
    for sql in ["SELECT * FROM big ORDER BY v DESC", "SELECT DISTINCT v FROM big",
                "SELECT v, COUNT(*) FROM big GROUP BY v", "SELECT * FROM big",
                "SELECT COUNT(*) FROM big a JOIN big b ON a.v = b.v"]:
        with pytest.raises(core.OperationalError) as ei:
            q(sql)
        assert ei.value.errno == 8175, sql
    assert q("SELECT COUNT(*) FROM big") == [(5000,)]
    q("SET tidb_mem_quota_query = 0")
    assert len(q("SELECT * FROM big ORDER BY v DESC")) == 5000
