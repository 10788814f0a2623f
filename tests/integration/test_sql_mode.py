"""The session's sql_mode (issue 15): `SET sql_mode` is stored and honoured, not dropped.

Expected answers are MySQL 8.0's: the value as mysqld normalises it (upper case, its order,
each name once), 1231 for a name it does not know; ONLY_FULL_GROUP_BY's 1055/1140 with
MySQL's texts and functional dependencies (keys, equalities, derived tables, views);
non-strict writes adjust values with warnings; ERROR_FOR_DIVISION_BY_ZERO decides whether a
division by zero warns.  Modes the engine does not implement answer 1235 and change nothing.
"""

import pytest

import core

DEFAULT = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
           "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION")


def _err(q, sql):
    with pytest.raises(core.Error) as info:
        q(sql)
    return info.value.errno, info.value.msg


def _mode(q):
    return q("SELECT @@sql_mode")[0][0]


def _tables(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT NOT NULL, n INT, "
      "UNIQUE KEY uc (c), UNIQUE KEY un (n))")
    q("CREATE TABLE u (x INT PRIMARY KEY, y INT)")
    q("INSERT INTO t VALUES (1, 1, 10, 100, 1), (2, 1, 20, 200, 2), (3, 2, 30, 300, 3)")
    q("INSERT INTO u VALUES (1, 7), (2, 8)")
    return q


@pytest.fixture
def g(q):
    return _tables(q)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One database for the read-only ONLY_FULL_GROUP_BY cases (a connection per case
    would spend most of the run opening databases)."""
    c = core.connect(str(tmp_path_factory.mktemp("groupby") / "db"), create=True,
                     autocommit=True)
    cur = c.cursor()

    def run(sql):
        cur.execute(sql)
        return cur.fetchall() if cur.description is not None else cur.rowcount

    yield _tables(run)
    c.close()


# -- the variable ---------------------------------------------------------------------------

def test_set_and_read_back_normalised(q):
    assert _mode(q) == DEFAULT
    q("SET sql_mode = 'strict_trans_tables, only_full_group_by,STRICT_TRANS_TABLES'")
    assert q("SELECT @@sql_mode, @@session.sql_mode") == [
        ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES",) * 2]
    q("SET SESSION sql_mode = ''")
    assert _mode(q) == ""
    q("SET @@sql_mode = 'NO_ENGINE_SUBSTITUTION'")
    assert _mode(q) == "NO_ENGINE_SUBSTITUTION"
    q("SET @@session.sql_mode = CONCAT(@@sql_mode, ',ERROR_FOR_DIVISION_BY_ZERO')")
    assert _mode(q) == "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
    q("SET sql_mode = 'TRADITIONAL'")  # a combination: expanded, its name kept
    assert _mode(q) == ("STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                        "ERROR_FOR_DIVISION_BY_ZERO,TRADITIONAL,NO_ENGINE_SUBSTITUTION")
    q("SET sql_mode = DEFAULT")
    assert _mode(q) == DEFAULT


@pytest.mark.parametrize("value, shown", [("'NO_SUCH_MODE'", "NO_SUCH_MODE"),
                                          ("'STRICT_TRANS_TABLES,bogus'", "BOGUS"),
                                          ("NULL", "NULL")])
def test_unknown_mode_is_1231_and_changes_nothing(q, value, shown):
    errno, msg = _err(q, f"SET sql_mode = {value}")
    assert errno == 1231
    assert msg.lower() == f"variable 'sql_mode' can't be set to the value of '{shown}'".lower()
    assert _mode(q) == DEFAULT


@pytest.mark.parametrize("mode", ["ANSI_QUOTES", "PIPES_AS_CONCAT", "NO_BACKSLASH_ESCAPES",
                                  "ANSI", "REAL_AS_FLOAT", "IGNORE_SPACE",
                                  "HIGH_NOT_PRECEDENCE",
                                  "PAD_CHAR_TO_FULL_LENGTH", "TIME_TRUNCATE_FRACTIONAL",
                                  "ALLOW_INVALID_DATES", "NO_UNSIGNED_SUBTRACTION"])
def test_modes_the_engine_does_not_implement_answer_1235(q, mode):
    errno, msg = _err(q, f"SET sql_mode = 'STRICT_TRANS_TABLES,{mode.lower()}'")
    assert errno == 1235 and f"'sql_mode {mode}'" in msg
    assert _mode(q) == DEFAULT


def test_global_starts_later_sessions(conn, tmp_path):
    cur = conn.cursor()
    cur.execute("SET GLOBAL sql_mode = 'STRICT_ALL_TABLES'")
    cur.execute("SELECT @@sql_mode")
    assert cur.fetchall() == [("STRICT_ALL_TABLES",)]
    other = core.connect(str(tmp_path / "db"), autocommit=True)
    try:
        c2 = other.cursor()
        c2.execute("SELECT @@sql_mode")
        assert c2.fetchall() == [("STRICT_ALL_TABLES",)]
        c2.execute("SET sql_mode = DEFAULT")  # the global value
        c2.execute("SELECT @@sql_mode")
        assert c2.fetchall() == [("STRICT_ALL_TABLES",)]
    finally:
        other.close()
        cur.execute("SET GLOBAL sql_mode = DEFAULT")


def test_set_persist_is_1235(q):
    assert _err(q, "SET PERSIST sql_mode = ''")[0] == 1235


# -- ONLY_FULL_GROUP_BY -----------------------------------------------------------------------

def _1055(n, place, col):
    return (1055, f"Expression #{n} of {place} is not in GROUP BY clause and contains "
                  f"nonaggregated column '{col}' which is not functionally dependent on "
                  "columns in GROUP BY clause; this is incompatible with "
                  "sql_mode=only_full_group_by")


@pytest.mark.parametrize("sql, expected", [
    ("SELECT a, b FROM t GROUP BY a", _1055(2, "SELECT list", "d.t.b")),
    ("SELECT x.a, x.b FROM t x GROUP BY x.a", _1055(2, "SELECT list", "d.x.b")),
    ("SELECT * FROM t GROUP BY a", _1055(1, "SELECT list", "d.t.id")),
    ("SELECT a FROM t GROUP BY a HAVING b > 1", _1055(1, "HAVING clause", "d.t.b")),
    ("SELECT a, COUNT(*) FROM t GROUP BY a ORDER BY a, b",
     _1055(2, "ORDER BY clause", "d.t.b")),
    ("SELECT n, a FROM t GROUP BY n", _1055(2, "SELECT list", "d.t.a")),  # nullable UNIQUE
    ("SELECT a + b, COUNT(*) FROM t GROUP BY a", _1055(1, "SELECT list", "d.t.b")),
    ("SELECT t.a, u.y FROM t LEFT JOIN u ON u.x = t.a AND t.b > 1 GROUP BY t.a",
     _1055(2, "SELECT list", "d.u.y")),
    ("SELECT a, (SELECT MAX(u.y) FROM u WHERE u.x = t.b) FROM t GROUP BY a",
     _1055(2, "SELECT list", "d.t.b")),
    ("SELECT a, SUM(b) OVER () FROM t GROUP BY a", _1055(2, "SELECT list", "d.t.b")),
    ("SELECT dt.k, dt.v FROM (SELECT a AS k, b AS v FROM t) dt GROUP BY dt.k",
     _1055(2, "SELECT list", "dt.v")),
    ("WITH w AS (SELECT a, b FROM t) SELECT a, b FROM w GROUP BY a",
     _1055(2, "SELECT list", "w.b")),
])
def test_only_full_group_by_refuses(shared, sql, expected):
    assert _err(shared, sql) == expected


def test_aggregate_without_group_by_is_1140(shared):
    assert _err(shared, "SELECT a, COUNT(*) FROM t") == (
        1140, "In aggregated query without GROUP BY, expression #1 of SELECT list contains "
              "nonaggregated column 'd.t.a'; this is incompatible with "
              "sql_mode=only_full_group_by")


@pytest.mark.parametrize("sql, rows", [
    ("SELECT id, a, b FROM t GROUP BY id ORDER BY id", [(1, 1, 10), (2, 1, 20), (3, 2, 30)]),
    ("SELECT c, b FROM t GROUP BY c ORDER BY c", [(100, 10), (200, 20), (300, 30)]),
    ("SELECT a, ANY_VALUE(b) > 0, COUNT(*) FROM t GROUP BY a ORDER BY a",
     [(1, 1, 2), (2, 1, 1)]),
    ("SELECT a + 1, COUNT(*) FROM t GROUP BY t.a + 1 ORDER BY 1", [(2, 2), (3, 1)]),
    ("SELECT a * 2 AS k, COUNT(*) FROM t GROUP BY k ORDER BY k", [(2, 2), (4, 1)]),
    ("SELECT a, b FROM t WHERE b = 30 GROUP BY a", [(2, 30)]),
    ("SELECT a, b FROM t WHERE b = a * 10 GROUP BY a", [(1, 10)]),
    ("SELECT COUNT(*), a FROM t WHERE a = 1", [(2, 1)]),
    ("SELECT t.id, u.y FROM t JOIN u ON u.x = t.id GROUP BY t.id ORDER BY 1",
     [(1, 7), (2, 8)]),
    ("SELECT t.a, u.y FROM t, u WHERE u.x = t.a GROUP BY t.a ORDER BY 1", [(1, 7), (2, 8)]),
    ("SELECT t.a, u.y FROM t LEFT JOIN u ON u.x = t.a GROUP BY t.a ORDER BY 1",
     [(1, 7), (2, 8)]),
    ("SELECT a, COUNT(*) AS cnt FROM t GROUP BY a HAVING cnt > 1 ORDER BY cnt", [(1, 2)]),
    ("SELECT a, (SELECT MAX(u.y) FROM u WHERE u.x = t.a) FROM t GROUP BY a ORDER BY a",
     [(1, 7), (2, 8)]),
    ("SELECT a, SUM(SUM(b)) OVER () FROM t GROUP BY a ORDER BY a", [(1, 60), (2, 60)]),
    ("SELECT dt.k, dt.v FROM (SELECT id AS k, b AS v FROM t) dt GROUP BY dt.k ORDER BY 1",
     [(1, 10), (2, 20), (3, 30)]),
    ("SELECT dt.a, dt.n FROM (SELECT a, COUNT(*) AS n FROM t GROUP BY a) dt "
     "GROUP BY dt.a ORDER BY 1", [(1, 2), (2, 1)]),
    ("SELECT 1, 'x', COUNT(*) FROM t GROUP BY a ORDER BY 3", [(1, "x", 1), (1, "x", 2)]),
    ("SELECT COUNT(*) FROM t ORDER BY a", [(3,)]),
])
def test_only_full_group_by_accepts_what_mysql_accepts(shared, sql, rows):
    assert shared(sql) == rows


def test_views_are_seen_through(g):
    g("CREATE VIEW v AS SELECT id, a, b FROM t")
    assert g("SELECT id, b FROM v GROUP BY id ORDER BY id") == [(1, 10), (2, 20), (3, 30)]
    assert _err(g, "SELECT a, b FROM v GROUP BY a") == _1055(2, "SELECT list", "d.v.b")
    assert _err(g, "CREATE VIEW bad AS SELECT a, b FROM t GROUP BY a") == \
        _1055(2, "SELECT list", "d.t.b")


def test_mode_off_accepts_and_a_cached_plan_follows_the_mode(g):
    sql = "SELECT a, b FROM t WHERE id = 3 GROUP BY a"
    assert _err(g, "SELECT a, b FROM t GROUP BY a")[0] == 1055
    g("SET sql_mode = 'STRICT_TRANS_TABLES'")
    assert g(sql) == [(2, 30)]
    g("SET sql_mode = DEFAULT")  # the plan cached above must not skip the check
    assert g(sql) == [(2, 30)]  # id = 3 fixes the row: accepted by the mode too
    assert _err(g, "SELECT a, b FROM t WHERE id > 2 GROUP BY a")[0] == 1055


# -- strict mode and ERROR_FOR_DIVISION_BY_ZERO ---------------------------------------------

@pytest.fixture
def w(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE w (a INT NOT NULL, s VARCHAR(3), n TINYINT)")
    return q


def _warnings(q):
    return [(code, msg) for _lvl, code, msg in q("SHOW WARNINGS")]


def test_strict_by_default(w):
    assert _err(w, "INSERT INTO w VALUES (1, 'abcdef', 1)")[0] == 1406
    assert _err(w, "INSERT INTO w VALUES (1, 'a', 300)")[0] == 1264
    assert _err(w, "INSERT INTO w VALUES (1, 'a', 1/0)")[0] == 1365
    assert w("SELECT COUNT(*) FROM w") == [(0,)]


def test_non_strict_adjusts_with_warnings(w):
    w("SET sql_mode = ''")
    assert w("INSERT INTO w VALUES (1, 'abcdef', 300)") == 1
    assert _warnings(w) == [(1265, "Data truncated for column 's' at row 1"),
                            (1264, "Out of range value for column 'n' at row 1")]
    assert w("INSERT INTO w VALUES (2, 'b', 'x1')") == 1
    assert _warnings(w) == [(1366, "Incorrect integer value: 'x1' for column 'n' at row 1")]
    assert w("INSERT INTO w (s) VALUES ('c')") == 1
    assert _warnings(w) == [(1364, "Field 'a' doesn't have a default value")]
    # NULL into NOT NULL: still an error for a single-row INSERT; adjusted for more rows
    assert _err(w, "INSERT INTO w VALUES (NULL, 'd', 1)")[0] == 1048
    assert w("INSERT INTO w VALUES (NULL, 'e', 1), (5, 'f', 1)") == 2
    assert _warnings(w) == [(1048, "Column 'a' cannot be null")]
    assert w("UPDATE w SET a = NULL, n = 1000 WHERE s = 'f'") == 1
    assert _warnings(w) == [(1048, "Column 'a' cannot be null"),
                            (1264, "Out of range value for column 'n' at row 1")]
    assert w("SELECT a, s, n FROM w ORDER BY s") == [
        (1, "abc", 127), (2, "b", 0), (0, "c", None), (0, "e", 1), (0, "f", 127)]
    # duplicates are not data errors: still refused without IGNORE
    w("CREATE TABLE k (id INT PRIMARY KEY)")
    w("INSERT INTO k VALUES (1)")
    assert _err(w, "INSERT INTO k VALUES (1)")[0] == 1062


def test_division_by_zero_follows_its_mode(w):
    w("SET sql_mode = ''")  # no ERROR_FOR_DIVISION_BY_ZERO: NULL, no warning
    assert w("SELECT 1/0") == [(None,)]
    assert _warnings(w) == []
    assert w("INSERT INTO w VALUES (1, 'a', 1/0)") == 1
    assert _warnings(w) == []
    w("SET sql_mode = 'ERROR_FOR_DIVISION_BY_ZERO'")  # without strict: a warning
    assert w("INSERT INTO w VALUES (2, 'b', 5 DIV 0)") == 1
    assert _warnings(w) == [(1365, "Division by 0")]
    w("SET sql_mode = 'STRICT_TRANS_TABLES'")  # strict without the mode: NULL, silently
    assert w("UPDATE w SET n = a / 0") == 0  # n is NULL already in both rows
    assert _warnings(w) == []
    w("SET sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO'")
    assert _err(w, "UPDATE w SET n = MOD(a, 0) + 1")[0] == 1365
    assert w("SELECT a, n FROM w ORDER BY a") == [(1, None), (2, None)]


def test_insert_select_is_checked_under_the_mode_in_force(g):
    g("CREATE TABLE s (a INT, b INT)")
    sql = "INSERT INTO s SELECT a, b FROM t GROUP BY a"
    assert _err(g, sql)[0] == 1055
    g("SET sql_mode = 'STRICT_TRANS_TABLES'")
    assert g(sql) == 2
    g("SET sql_mode = DEFAULT")  # the INSERT's cached plan must not skip the check
    assert _err(g, sql)[0] == 1055


def test_non_strict_upsert_adjusts_its_update_part(w):
    w("CREATE TABLE k (id INT PRIMARY KEY, s VARCHAR(3) NOT NULL)")
    w("INSERT INTO k VALUES (1, 'a')")
    assert _err(w, "INSERT INTO k VALUES (1, 'b') ON DUPLICATE KEY UPDATE s = 'abcdef'")[0] \
        == 1406
    w("SET sql_mode = ''")
    assert w("INSERT INTO k VALUES (1, 'b') ON DUPLICATE KEY UPDATE s = 'abcdef'") == 2
    assert _warnings(w) == [(1265, "Data truncated for column 's' at row 1")]
    assert w("INSERT INTO k VALUES (1, 'b') ON DUPLICATE KEY UPDATE s = NULL") == 2
    assert _warnings(w) == [(1048, "Column 's' cannot be null")]
    assert w("SELECT * FROM k") == [(1, "")]


def test_set_with_the_replace_function(q):
    """The common idiom: REPLACE here is the function, not REPLACE INTO."""
    q("SET sql_mode = REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', '')")
    assert "ONLY_FULL_GROUP_BY" not in q("SELECT @@sql_mode")[0][0]
    q("SET @x = REPLACE('abc', 'b', '')")
    assert q("SELECT @x") == [("ac",)]


def test_only_full_group_by_sees_unqualified_outer_names_in_subqueries(q):
    q("CREATE TABLE og (a INT, b INT)")
    q("CREATE TABLE og2 (x INT, y INT)")
    for sql in ("SELECT a, (SELECT b FROM og2 LIMIT 1) FROM og GROUP BY a",
                "SELECT a, EXISTS (SELECT 1 FROM og2 WHERE x = b) FROM og GROUP BY a",
                "SELECT a FROM og GROUP BY a ORDER BY (SELECT b)"):
        with pytest.raises(core.Error) as e:
            q(sql)
        assert e.value.errno == 1055 and "'test.og.b'" in str(e.value), sql
    # the subquery's own columns, and the grouped column, are fine
    q("SELECT a, (SELECT x FROM og2 LIMIT 1), (SELECT COUNT(*) FROM og2 WHERE y = a) "
      "FROM og GROUP BY a")
