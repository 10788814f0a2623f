"""Statements the engine used to accept and then silently ignore: each now either works
as in MySQL 8 or answers ERROR 1235 naming the feature, changing nothing; a mysqldump
preamble (its ``/*!NNNNN ... */`` comments now run) and ``kintsugi dump`` output still load."""

from __future__ import annotations

import time

import pytest

import core


def _err(q, sql):
    with pytest.raises(core.Error) as info:
        q(sql)
    return info.value.errno, str(info.value)


@pytest.fixture
def db(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE p (id INT PRIMARY KEY, v VARCHAR(10))")
    q("INSERT INTO p VALUES (1, 'a'), (2, 'B')")
    return q


def _tables(q):
    return sorted(r[0] for r in q("SHOW TABLES"))


@pytest.mark.parametrize("sql, feature", [
    ("CREATE TABLE t (a INT, CHECK (a > 0))", "CHECK constraints"),
    ("CREATE TABLE t (a INT CHECK (a > 0))", "CHECK constraints"),
    ("CREATE TABLE t (a INT, CONSTRAINT c1 CHECK (a > 0))", "CHECK constraints"),
    ("CREATE TABLE t (a INT, FOREIGN KEY (a) REFERENCES p (id))", "FOREIGN KEY"),
    ("CREATE TABLE t (a INT, CONSTRAINT fk FOREIGN KEY (a) REFERENCES p (id))", "FOREIGN KEY"),
    ("CREATE TABLE t (a INT REFERENCES p (id))", "FOREIGN KEY"),
    ("CREATE TABLE t (a INT, b INT AS (a + 1))", "generated columns"),
    ("CREATE TABLE t (a INT, b INT GENERATED ALWAYS AS (a + 1) STORED)", "generated columns"),
    ("CREATE TABLE t (a INT, ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP "
     "ON UPDATE CURRENT_TIMESTAMP)", "ON UPDATE CURRENT_TIMESTAMP"),
    ("CREATE TABLE t (a VARCHAR(10) COLLATE utf8mb4_general_ci)", "utf8mb4_general_ci"),
    ("CREATE TABLE t (a VARCHAR(10) CHARACTER SET latin1)", "latin1"),
    ("CREATE TABLE t (a VARCHAR(10)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci",
     "utf8mb4_0900_ai_ci"),
    ("CREATE TABLE t (a VARCHAR(10)) CHARSET=latin1", "latin1"),
    ("CREATE TABLE t (a INT INVISIBLE, b INT)", "INVISIBLE columns"),
    ("CREATE TABLE t (a INT, KEY k (a) INVISIBLE)", "INVISIBLE indexes"),
    ("CREATE TABLE t (a INT ZEROFILL)", "ZEROFILL"),
])
def test_create_table_refuses_what_it_would_drop(db, sql, feature):
    errno, msg = _err(db, sql)
    assert errno == 1235, msg
    assert "doesn't yet support" in msg and feature in msg
    assert _tables(db) == ["p"]  # nothing created


@pytest.mark.parametrize("sql, feature", [
    ("ALTER TABLE p ADD CONSTRAINT c CHECK (id > 0)", "CHECK constraints"),
    ("ALTER TABLE p ADD FOREIGN KEY (id) REFERENCES p (id)", "FOREIGN KEY"),
])
def test_alter_and_create_index_refuse(db, sql, feature):
    errno, msg = _err(db, sql)
    assert errno == 1235 and feature in msg, msg
    assert [r[2] for r in db("SHOW INDEX FROM p")] == ["PRIMARY"]


@pytest.mark.parametrize("sql", ["CREATE TABLE t (a INT, KEY (a DESC))",
                                 "ALTER TABLE p ADD INDEX i (v DESC)",
                                 "CREATE UNIQUE INDEX i ON p (v DESC, id)"])
def test_desc_key_parts_are_kept_ascending_with_a_note(db, sql):
    """A descending index changes no result, only a backward scan's speed (the sqllogictest
    corpus creates hundreds): accepted, and a Note says it is stored ascending."""
    db(sql)
    (level, code, msg), = db.cursor.warnings
    assert (level, code) == ("Note", 1235) and "DESC" in msg and "ascending" in msg


def test_what_the_engine_does_is_accepted(db):
    db("CREATE TABLE t (a VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, "
       "b INT, KEY (b ASC) VISIBLE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
       "COLLATE=utf8mb4_bin")
    db("CREATE TABLE u (a VARBINARY(4) COLLATE binary) CHARSET=binary")
    assert _tables(db) == ["p", "t", "u"]


def test_named_primary_and_unique_constraints_make_their_keys(db):
    """`CONSTRAINT pk PRIMARY KEY (b)` used to be dropped whole: no key at all."""
    db("CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (b), CONSTRAINT uq UNIQUE (a))")
    ddl = db("SHOW CREATE TABLE t")[0][1]
    assert "PRIMARY KEY (`b`)" in ddl and "UNIQUE KEY `uq` (`a`)" in ddl
    db("INSERT INTO t VALUES (1, 1)")
    assert _err(db, "INSERT INTO t VALUES (2, 1)")[0] == 1062
    assert _err(db, "INSERT INTO t VALUES (1, 2)")[0] == 1062


def test_rollup_grouping_and_cube(db):
    errno, msg = _err(db, "SELECT id, COUNT(*) FROM p GROUP BY id WITH ROLLUP")
    assert errno == 1235 and "WITH ROLLUP" in msg
    errno, msg = _err(db, "SELECT * FROM (SELECT v, COUNT(*) FROM p GROUP BY v WITH ROLLUP) x")
    assert errno == 1235
    errno, msg = _err(db, "SELECT GROUPING(id) FROM p GROUP BY id")
    assert errno == 1235 and "GROUPING()" in msg
    assert _err(db, "SELECT id FROM p GROUP BY id WITH CUBE")[0] == 1064  # not MySQL syntax


def test_collate_in_expressions(db):
    errno, msg = _err(db, "SELECT v FROM p WHERE v = 'b' COLLATE utf8mb4_general_ci")
    assert errno == 1235 and "utf8mb4_general_ci" in msg
    assert _err(db, "SELECT 'a' COLLATE utf8mb4_0900_ai_ci")[0] == 1235
    assert db("SELECT v FROM p WHERE v = 'B' COLLATE utf8mb4_bin") == [("B",)]
    assert db("SELECT 'a' COLLATE utf8mb4_bin = 'A'") == [(0,)]


# -- SET -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sql", ["SET foo = 1", "SET @@foo = 1", "SET SESSION foo = 1",
                                 "SET GLOBAL foo = 1", "SET @@session.foo = DEFAULT"])
def test_unknown_variable_is_1193(q, sql):
    errno, msg = _err(q, sql)
    assert errno == 1193 and msg.endswith("Unknown system variable 'foo'")


def test_bad_values_are_1231(q):
    errno, msg = _err(q, "SET autocommit = 'maybe'")
    assert errno == 1231 and "Variable 'autocommit' can't be set to the value of 'maybe'" in msg
    assert _err(q, "SET autocommit = 2")[0] == 1231
    assert _err(q, "SET foreign_key_checks = 'x'")[0] == 1231
    assert _err(q, "SET transaction_isolation = 'sometimes'")[0] == 1231
    assert q("SELECT @@autocommit") == [(1,)]


def test_read_only_variable_is_1238(q):
    errno, msg = _err(q, "SET version = 'x'")
    assert errno == 1238 and "read only" in msg


@pytest.mark.parametrize("sql, name", [
    ("SET sql_safe_updates = 1", "sql_safe_updates"),
    ("SET transaction_isolation = 'READ-COMMITTED'", "READ-COMMITTED"),
    ("SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SERIALIZABLE"),
    ("SET TRANSACTION READ ONLY", "READ ONLY"),
    ("SET innodb_lock_wait_timeout = 5", "innodb_lock_wait_timeout"),
    ("SET sql_select_limit = 10", "sql_select_limit"),
    ("SET NAMES latin1", "latin1"),
    ("SET NAMES utf8mb4 COLLATE utf8mb4_general_ci", "utf8mb4_general_ci"),
    ("SET character_set_results = latin1", "latin1"),
    ("SET PERSIST max_execution_time = 5", "SET PERSIST"),
])
def test_known_but_not_honoured_is_1235(q, sql, name):
    errno, msg = _err(q, sql)
    assert errno == 1235 and name in msg, msg


def test_setting_the_value_it_has_is_fine(q):
    q("SET sql_safe_updates = 0")
    q("SET transaction_isolation = 'REPEATABLE-READ'")
    q("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    q("SET innodb_lock_wait_timeout = 50")
    q("SET @@session.sql_select_limit = DEFAULT")


def test_a_refused_item_undoes_the_items_before_it(q):
    _err(q, "SET @a = 5, sql_safe_updates = 1")
    assert q("SELECT @a") == [(None,)]


def test_harmless_variables_are_remembered(q):
    q("SET foreign_key_checks = 0, unique_checks = OFF, sql_notes = 0")
    assert q("SELECT @@foreign_key_checks, @@unique_checks, @@sql_notes") == [(0, 0, 0)]
    q("SET character_set_client = utf8mb4")
    q("SET NAMES utf8mb4")
    q("SET wait_timeout = 100")
    assert q("SELECT @@character_set_client, @@wait_timeout") == [("utf8mb4", 100)]


def test_time_zone_only_the_engines_own(q):
    offset = time.localtime().tm_gmtoff // 60
    own = f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    q(f"SET time_zone = '{own}'")
    q("SET time_zone = 'SYSTEM'")
    other = "+05:30" if own != "+05:30" else "+01:00"
    errno, msg = _err(q, f"SET time_zone = '{other}'")
    assert errno == 1235 and other in msg


def test_group_concat_max_len_cuts_and_warns(db):
    cur = db.cursor
    db("INSERT INTO p VALUES (3, 'cccc'), (4, 'dddd')")
    assert db("SELECT GROUP_CONCAT(v ORDER BY id) FROM p") == [("a,B,cccc,dddd",)]
    assert cur.warnings == []
    db("SET group_concat_max_len = 6")
    assert db("SELECT @@group_concat_max_len") == [(6,)]
    assert db("SELECT GROUP_CONCAT(v ORDER BY id) FROM p") == [("a,B,cc",)]
    assert cur.warnings == [("Warning", 1260, "Row 1 was cut by GROUP_CONCAT()")]
    assert db("SELECT GROUP_CONCAT(v) FROM p") == [("a,B,cc",)]
    assert [w[1] for w in cur.warnings] == [1260]


def test_group_concat_default_cut_now_warns(db):
    db("CREATE TABLE w (s VARCHAR(600))")
    db("INSERT INTO w VALUES (REPEAT('x', 600)), (REPEAT('y', 600))")
    (value,), = db("SELECT GROUP_CONCAT(s) FROM w")
    assert len(value) == 1024
    assert [w[1] for w in db.cursor.warnings] == [1260]


# -- transactions -----------------------------------------------------------------------------

def test_rollback_to_savepoint_leaves_the_transaction_alone(db):
    db("START TRANSACTION")
    db("INSERT INTO p VALUES (3, 'c')")
    for sql in ("ROLLBACK TO SAVEPOINT nope", "ROLLBACK TO nope", "RELEASE SAVEPOINT s",
                "SAVEPOINT s"):
        assert _err(db, sql)[0] == 1235, sql
    db("COMMIT")
    assert db("SELECT id FROM p ORDER BY id") == [(1,), (2,), (3,)]


def test_read_only_transaction_refuses_writes(db):
    db("START TRANSACTION READ ONLY")
    assert db("SELECT COUNT(*) FROM p") == [(2,)]
    for sql in ("INSERT INTO p VALUES (3, 'c')", "UPDATE p SET v = 'z'", "DELETE FROM p",
                "REPLACE INTO p VALUES (1, 'q')"):
        errno, msg = _err(db, sql)
        assert errno == 1792, sql
        assert msg.endswith("Cannot execute statement in a READ ONLY transaction.")
    db("COMMIT")
    db("INSERT INTO p VALUES (3, 'c')")  # the next transaction is read-write again
    db("START TRANSACTION READ WRITE, WITH CONSISTENT SNAPSHOT")
    db("DELETE FROM p WHERE id = 3")
    db("COMMIT")
    assert db("SELECT COUNT(*) FROM p") == [(2,)]


# -- loading dumps ----------------------------------------------------------------------------

MYSQLDUMP = """
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='{tz}' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
CREATE DATABASE d;
USE d;
DROP TABLE IF EXISTS `t`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `t` (
  `id` int NOT NULL AUTO_INCREMENT,
  `s` varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
/*!40101 SET character_set_client = @saved_cs_client */;
/*!40000 ALTER TABLE `t` DISABLE KEYS */;
INSERT INTO `t` VALUES (0,'zero'),(1,'one');
/*!40000 ALTER TABLE `t` ENABLE KEYS */;
/*!80099 SET this_is_for_a_later_server = 1 */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;
"""


def test_mysqldump_preamble_runs(conn, q):
    offset = time.localtime().tm_gmtoff // 60
    tz = f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    before = q("SELECT @@sql_mode")
    conn.cursor().executescript(MYSQLDUMP.format(tz=tz))
    # NO_AUTO_VALUE_ON_ZERO was on while the rows went in: the 0 stayed 0
    assert q("SELECT id, s FROM d.t ORDER BY id") == [(0, "zero"), (1, "one")]
    # the /*!NNNNN */ lines ran: the @OLD_ values were saved and restored
    assert q("SELECT @OLD_SQL_MODE, @OLD_FOREIGN_KEY_CHECKS") == [(before[0][0], 1)]
    assert q("SELECT @@sql_mode, @@foreign_key_checks, @@unique_checks, @@sql_notes") == [
        (before[0][0], 1, 1, 1)]
    q("INSERT INTO d.t (s) VALUES ('next')")  # the mode is back: 0/NULL generate again
    assert q("SELECT id FROM d.t WHERE s = 'next'") == [(2,)]


def test_an_executable_comment_is_no_longer_skipped(q):
    """`/*!40101 SET NAMES latin1 */` was a comment: now it runs, and is refused."""
    assert _err(q, "/*!40101 SET NAMES latin1 */")[0] == 1235
    q("/*!40101 SET @x = 1 */")
    assert q("SELECT @x /*!99999 + 1 */") == [(1,)]


def test_disable_keys_is_innodbs_no_op(db):
    db("ALTER TABLE p DISABLE KEYS")
    assert db.cursor.warnings == [
        ("Note", 1031, "Table storage engine for 'p' doesn't have this option")]
    assert _err(db, "ALTER TABLE nope ENABLE KEYS")[0] == 1146


def test_kintsugi_dump_output_loads(tmp_path):
    import io

    from core.dump import dump

    src = str(tmp_path / "src")
    c = core.connect(src, create=True, autocommit=True)
    cur = c.cursor()
    for sql in ("CREATE DATABASE d", "USE d",
                "CREATE TABLE t (a INT PRIMARY KEY AUTO_INCREMENT, b VARCHAR(10) NOT NULL "
                "DEFAULT 'x', c TIMESTAMP DEFAULT CURRENT_TIMESTAMP, e ENUM('p','q'), j JSON, "
                "UNIQUE KEY u (b), KEY k (e, b(3)))",
                "INSERT INTO t (b, e, j) VALUES ('one', 'p', '[1]'), ('two', 'q', NULL)",
                "CREATE VIEW v AS SELECT a, b FROM t"):
        cur.execute(sql)
    c.close()
    out = io.StringIO()
    dump(src, out)
    other = core.connect(str(tmp_path / "db2"), create=True, autocommit=True)
    try:
        other.cursor().executescript(out.getvalue())
        cur = other.cursor()
        cur.execute("SELECT a, b, e, j FROM d.t ORDER BY a")
        assert cur.fetchall() == [(1, "one", "p", "[1]"), (2, "two", "q", None)]
        cur.execute("SELECT COUNT(*) FROM d.v")
        assert cur.fetchall() == [(2,)]
    finally:
        other.close()


def test_no_auto_value_on_zero(q):
    """mysqldump's SQL_MODE: an explicit 0 into an AUTO_INCREMENT column stays 0; NULL
    still generates the next value."""
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, s CHAR(1))")
    q("SET sql_mode = 'STRICT_TRANS_TABLES,NO_AUTO_VALUE_ON_ZERO'")
    q("INSERT INTO t VALUES (0, 'a'), (NULL, 'b')")
    assert q("SELECT id, s FROM t ORDER BY id") == [(0, "a"), (1, "b")]
    assert _err(q, "INSERT INTO t VALUES (0, 'c')")[0] == 1062
    q("SET sql_mode = DEFAULT")
    q("INSERT INTO t VALUES (0, 'c')")
    assert q("SELECT id FROM t WHERE s = 'c'") == [(2,)]
