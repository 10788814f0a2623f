"""Views as MySQL 8 has them: CREATE [OR REPLACE] VIEW, DROP VIEW, SHOW CREATE VIEW,
SHOW FULL TABLES, information_schema.VIEWS/TABLES, reading a view (joins, WHERE, aggregates,
a view of a view), its errors, and a view surviving a reopen.  Expected answers are
MySQL 8.0's."""

from __future__ import annotations

import pytest

import core


@pytest.fixture
def db(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(10))")
    q("INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'x')")
    return q


def _errno(q, sql) -> tuple[int, str]:
    with pytest.raises(core.Error) as info:
        q(sql)
    return info.value.errno, str(info.value)


def test_select_from_view_where_aggregate_join_and_view_of_view(db):
    q = db
    assert q("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1") == 0
    assert q("SELECT * FROM v ORDER BY a") == [(2, "y"), (3, "x")]
    assert q("SELECT a FROM v WHERE b = 'x'") == [(3,)]
    assert q("SELECT b, COUNT(*) FROM v GROUP BY b ORDER BY b") == [("x", 1), ("y", 1)]
    assert q("SELECT COUNT(*), SUM(a) FROM v") == [(2, 5)]
    q("CREATE VIEW v2 (n, m) AS SELECT a * 10, b FROM v")
    assert q("SELECT n, m FROM v2 ORDER BY n") == [(20, "y"), (30, "x")]
    assert q("SELECT t.a, v2.m FROM t JOIN v2 ON v2.n = t.a * 10 ORDER BY t.a") == [
        (2, "y"), (3, "x")]
    assert q("SELECT x.a FROM t x LEFT JOIN v ON v.a = x.a WHERE v.a IS NULL") == [(1,)]
    assert q("SELECT V.A FROM V WHERE V.A = 2") == [(2,)]  # names are case-insensitive
    # the view reads the table as it is now
    q("INSERT INTO t VALUES (4, 'z')")
    assert q("SELECT COUNT(*) FROM v2") == [(3,)]
    # it is bound to its database, whatever the current one
    q("CREATE DATABASE e")
    q("USE e")
    assert q("SELECT a FROM d.v WHERE a = 4") == [(4,)]


def test_create_or_replace_and_clauses(db):
    q = db
    q("CREATE VIEW v AS SELECT a FROM t")
    assert _errno(q, "CREATE VIEW v AS SELECT b FROM t")[0] == 1050
    q("CREATE OR REPLACE VIEW v AS SELECT b FROM t WHERE a = 1")
    assert q("SELECT * FROM v") == [("x",)]
    q("CREATE ALGORITHM=MERGE DEFINER=`bob`@`%` SQL SECURITY INVOKER VIEW w AS SELECT 1 AS one")
    assert q("SELECT * FROM w") == [(1,)]
    q("CREATE VIEW w2 AS SELECT 2 AS two FROM DUAL")
    assert q("SELECT * FROM w2") == [(2,)]
    assert q("SELECT DEFINER, SECURITY_TYPE FROM information_schema.VIEWS "
             "WHERE TABLE_NAME = 'w'") == [("bob@%", "INVOKER")]


def test_show_create_view_and_show_full_tables(db):
    q = db
    q("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1")
    cur = q.cursor
    cur.execute("SHOW CREATE VIEW v")
    assert [c[0] for c in cur.description] == [
        "View", "Create View", "character_set_client", "collation_connection"]
    (name, text, cs, coll), = cur.fetchall()
    assert (name, cs, coll) == ("v", "utf8mb4", "utf8mb4_0900_ai_ci")
    prefix = ("CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER "
              "VIEW `v` AS ")
    assert text.startswith(prefix)
    # the text reads back to the same view
    q("DROP VIEW v")
    q(text)
    assert q("SELECT * FROM v ORDER BY a") == [(2, "y"), (3, "x")]
    # SHOW CREATE TABLE on a view answers as SHOW CREATE VIEW
    assert q("SHOW CREATE TABLE v")[0][1] == text
    assert q("SHOW FULL TABLES") == [("t", "BASE TABLE"), ("v", "VIEW")]
    assert q("SHOW TABLES") == [("t",), ("v",)]
    assert _errno(q, "SHOW CREATE VIEW t") == (1347, "ERROR 1347 (HY000): 'd.t' is not VIEW")
    assert _errno(q, "SHOW CREATE VIEW nope")[0] == 1146


def test_information_schema(db):
    q = db
    q("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1")
    q("CREATE VIEW g AS SELECT b, COUNT(*) AS n FROM t GROUP BY b")
    assert q("SELECT TABLE_SCHEMA, TABLE_NAME, CHECK_OPTION, IS_UPDATABLE, DEFINER, "
             "SECURITY_TYPE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION "
             "FROM information_schema.VIEWS ORDER BY TABLE_NAME") == [
        ("d", "g", "NONE", "NO", "root@localhost", "DEFINER", "utf8mb4", "utf8mb4_0900_ai_ci"),
        ("d", "v", "NONE", "YES", "root@localhost", "DEFINER", "utf8mb4",
         "utf8mb4_0900_ai_ci")]
    (definition,), = q("SELECT VIEW_DEFINITION FROM information_schema.VIEWS "
                       "WHERE TABLE_NAME = 'v'")
    assert "`d`.`t`" in definition
    assert q("SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COMMENT FROM "
             "information_schema.TABLES WHERE TABLE_SCHEMA = 'd' ORDER BY TABLE_NAME") == [
        ("g", "VIEW", None, "VIEW"), ("t", "BASE TABLE", "KintsugiDB", ""),
        ("v", "VIEW", None, "VIEW")]


def test_errors(db):
    q = db
    q("CREATE VIEW v AS SELECT a FROM t")
    # one namespace for tables and views
    assert _errno(q, "CREATE VIEW t AS SELECT 1") == (
        1050, "ERROR 1050 (42S01): Table 't' already exists")
    assert _errno(q, "CREATE TABLE v (a INT)")[0] == 1050
    assert _errno(q, "CREATE OR REPLACE VIEW t AS SELECT 1")[1].endswith("'d.t' is not VIEW")
    assert _errno(q, "CREATE VIEW w (x) AS SELECT 1, 2")[0] == 1353
    assert _errno(q, "CREATE VIEW w AS SELECT * FROM nope")[1].endswith(
        "Table 'd.nope' doesn't exist")
    assert _errno(q, "CREATE VIEW w AS SELECT zz FROM t")[0] == 1054
    assert _errno(q, "CREATE VIEW w AS SELECT a, a FROM t")[1].endswith(
        "Duplicate column name 'a'")
    assert _errno(q, "CREATE OR REPLACE VIEW v AS SELECT * FROM v")[0] == 1462
    # DROP VIEW of a missing view, of a table; DROP TABLE of a view
    assert _errno(q, "DROP VIEW nope")[1].endswith("Unknown table 'd.nope'")
    assert _errno(q, "DROP VIEW nope")[0] == 1051
    assert q("DROP VIEW IF EXISTS nope") == 0
    assert q("SHOW WARNINGS") == [("Note", 1051, "Unknown table 'd.nope'")]
    assert _errno(q, "DROP VIEW t") == (1347, "ERROR 1347 (HY000): 'd.t' is not VIEW")
    assert _errno(q, "DROP TABLE v")[1].endswith("Unknown table 'd.v'")
    assert _errno(q, "DROP VIEW v, nope")[0] == 1051
    assert q("SELECT * FROM v ORDER BY a") == [(1,), (2,), (3,)]  # nothing was dropped
    # writes through a view reach its table (core.sql.view_dml, tests in test_view_writes)
    assert q("INSERT INTO v VALUES (5)") == 1
    assert q("UPDATE v SET a = 9 WHERE a = 5") == 1
    assert q("DELETE FROM v WHERE a = 9") == 1
    assert q("SELECT COUNT(*) FROM t") == [(3,)]
    # a table dropped from under a view
    q("CREATE VIEW v2 AS SELECT a FROM v")
    q("DROP TABLE t")
    errno, msg = _errno(q, "SELECT * FROM v")
    assert errno == 1356
    assert msg.endswith("View 'd.v' references invalid table(s) or column(s) or function(s) "
                        "or definer/invoker of view lack rights to use them")
    assert _errno(q, "SELECT * FROM v2")[0] == 1356
    # a table of the same name brings the view back
    q("CREATE TABLE t (a INT)")
    q("INSERT INTO t VALUES (7)")
    assert q("SELECT * FROM v2") == [(7,)]


def test_drop_view_several_and_drop_database(db):
    q = db
    q("CREATE VIEW v AS SELECT a FROM t")
    q("CREATE VIEW w AS SELECT b FROM t")
    assert q("DROP VIEW v, w") == 0
    assert q("SHOW FULL TABLES") == [("t", "BASE TABLE")]
    q("CREATE VIEW v AS SELECT a FROM t")
    q("DROP DATABASE d")
    q("CREATE DATABASE d")
    q("USE d")
    assert q("SHOW FULL TABLES") == []
    assert q("SELECT COUNT(*) FROM information_schema.VIEWS") == [(0,)]
    assert _errno(q, "SELECT * FROM v")[0] == 1146


def test_view_survives_reopen(tmp_path):
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True)
    cur = c.cursor()
    for sql in ("CREATE DATABASE d", "USE d", "CREATE TABLE t (a INT, b INT)",
                "INSERT INTO t VALUES (1, 10), (2, 20)",
                "CREATE VIEW v (x, total) AS SELECT a, a + b FROM t",
                "CREATE VIEW gone AS SELECT 1"):
        cur.execute(sql)
    cur.execute("DROP VIEW gone")
    c.close()
    c = core.connect(path, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("USE d")
        cur.execute("SELECT x, total FROM v ORDER BY x")
        assert cur.fetchall() == [(1, 11), (2, 22)]
        cur.execute("SHOW FULL TABLES")
        assert cur.fetchall() == [("t", "BASE TABLE"), ("v", "VIEW")]
        cur.execute("SELECT JOB_TYPE FROM information_schema.ddl_jobs "
                    "WHERE TABLE_NAME IN ('v', 'gone') ORDER BY JOB_ID")
        assert cur.fetchall() == [("create view",), ("create view",), ("drop view",)]
    finally:
        c.close()


def test_with_check_option_answers_1235_naming_it(db):
    q = db
    for sql in ("CREATE VIEW w AS SELECT a FROM t WHERE a > 1 WITH CHECK OPTION",
                "CREATE OR REPLACE VIEW w AS SELECT a FROM t WITH LOCAL CHECK OPTION"):
        errno, msg = _errno(q, sql)
        assert errno == 1235 and "WITH CHECK OPTION" in msg
    assert q("SHOW FULL TABLES") == [("t", "BASE TABLE")]


def test_dump_writes_views_that_load_back(tmp_path):
    import io

    from core.dump import dump

    src, dst = str(tmp_path / "src"), str(tmp_path / "dst")
    with core.connect(src, create=True, autocommit=True) as c:
        cur = c.cursor()
        for sql in ("CREATE DATABASE d", "USE d", "CREATE TABLE t (a INT, b INT)",
                    "INSERT INTO t VALUES (1, 10), (2, 20)",
                    "CREATE VIEW z_base (n, s) AS SELECT a, a + b FROM t",
                    "CREATE VIEW a_top (x) AS SELECT n FROM z_base WHERE n > 1"):
            cur.execute(sql)
    out = io.StringIO()
    summary = dump(src, out)
    assert summary.views == 2
    text = out.getvalue()
    # the view it reads comes first, whatever the names' order
    assert text.index("VIEW `z_base`") < text.index("VIEW `a_top`")
    with core.connect(dst, create=True, autocommit=True) as c:
        c.cursor().executescript(text)
    with core.connect(dst, autocommit=True) as c:
        cur = c.cursor()
        cur.execute("SELECT * FROM d.a_top")
        assert cur.fetchall() == [(2,)]
        cur.execute("SELECT * FROM d.z_base ORDER BY n")
        assert cur.fetchall() == [(1, 11), (2, 22)]


def test_alter_view(db):
    q = db
    q("CREATE VIEW av AS SELECT a FROM t")
    q("ALTER VIEW av AS SELECT a + 1 AS b FROM t")
    q("SELECT * FROM av LIMIT 0")
    assert [d[0] for d in q.cursor.description] == ["b"]
    q("ALTER VIEW av (x) AS SELECT a FROM t")
    q("SELECT * FROM av LIMIT 0")
    assert [d[0] for d in q.cursor.description] == ["x"]
    assert _errno(q, "ALTER VIEW nope AS SELECT 1")[0] == 1146
    assert _errno(q, "ALTER VIEW t AS SELECT 1")[0] == 1347
