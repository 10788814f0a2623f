"""ENUM and SET columns, with MySQL 8's answers (strict mode): storing by member or number,
1265 for what is no member (IGNORE: '' / the valid members, with the warning), numeric
context by index/bitmask, ORDER BY and index keys by index, the DDL errors, the metadata,
and the catalog and the dump keeping them."""

import io
from decimal import Decimal

import pytest

import core
from core.dump import dump
from core.sql.dialect import split_statements


def _errno(q, sql):
    with pytest.raises(core.Error) as ei:
        q(sql)
    return ei.value.errno, str(ei.value)


@pytest.fixture
def et(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, e ENUM('b','a','c  ') NOT NULL, "
      "s SET('x','y','z'), KEY ke (e))")
    q("INSERT INTO t VALUES (1,'a','x,z'), (2,'C','z,x'), (3,2,5), (4,'b',''), (5,'a ',NULL)")
    return q


def test_enum_stores_members_by_text_or_index(et):
    q = et
    # 'C' matches case-insensitively and keeps the declared spelling; 2 is the 2nd member;
    # trailing spaces of the value (and of the declared member) do not count
    assert q("SELECT id, e, e + 0 FROM t ORDER BY id") == [
        (1, "a", 2), (2, "c", 3), (3, "a", 2), (4, "b", 1), (5, "a", 2)]
    # ORDER BY sorts by index ('b' is member 1), not alphabetically
    assert q("SELECT e FROM t ORDER BY e, id") == [("b",), ("a",), ("a",), ("a",), ("c",)]
    assert q("SELECT e FROM t ORDER BY e DESC LIMIT 2") == [("c",), ("a",)]
    # e = 'b' compares text, e = 2 the index
    assert q("SELECT id FROM t WHERE e = 'a' ORDER BY id") == [(1,), (3,), (5,)]
    assert q("SELECT id FROM t WHERE e = 2 ORDER BY id") == [(1,), (3,), (5,)]
    assert q("SELECT id FROM t WHERE e > 1 ORDER BY id") == [(1,), (2,), (3,), (5,)]
    assert q("SELECT id FROM t WHERE e > 'a' ORDER BY id") == [(2,), (4,)]
    assert q("SELECT SUM(e), CAST(e AS CHAR), CAST(e AS UNSIGNED), CONCAT(e, '!') "
             "FROM t WHERE id = 2") == [(3, "c", 3, "c!")]
    assert q("SELECT SUM(e) FROM t") == [(10,)]
    # MIN/MAX compare the text (MySQL's documented exception to the index order)
    assert q("SELECT MIN(e), MAX(e) FROM t") == [("a", "c")]
    assert q("SELECT e, COUNT(*) FROM t GROUP BY e ORDER BY e") == [
        ("b", 1), ("a", 3), ("c", 1)]
    q("UPDATE t SET e = e + 1 WHERE id = 4")  # a number stores the index: next member
    assert q("SELECT e FROM t WHERE id = 4") == [("a",)]


def test_enum_strict_errors_and_ignore(et):
    q = et
    msg = "ERROR 1265 (01000): Data truncated for column 'e' at row 1"
    for bad in ("'q'", "0", "4", "''", "'10'"):
        assert _errno(q, f"INSERT INTO t VALUES (9, {bad}, NULL)") == (1265, msg)
    assert _errno(q, "INSERT INTO t VALUES (9, 'a', NULL), (10, 'nope', NULL)")[1].endswith(
        "at row 2")
    assert _errno(q, "UPDATE t SET e = 'zz' WHERE id = 1")[0] == 1265
    assert q("SELECT COUNT(*) FROM t") == [(5,)]
    # IGNORE: '' (index 0) with warning 1265
    assert q("INSERT IGNORE INTO t VALUES (9, 'q', 'x,w')") == 1
    assert q("SHOW WARNINGS") == [
        ("Warning", 1265, "Data truncated for column 'e' at row 1"),
        ("Warning", 1265, "Data truncated for column 's' at row 1")]
    assert q("SELECT e, e + 0, s, s + 0 FROM t WHERE id = 9") == [("", 0, "x", 1)]
    assert q("SELECT id FROM t ORDER BY e, id LIMIT 1") == [(9,)]  # index 0 sorts first
    assert q("UPDATE IGNORE t SET e = 'zz' WHERE id = 1") == 1
    assert q("SELECT e + 0 FROM t WHERE id = 1") == [(0,)]
    # '0' names index 0 without a warning (Field_enum::store), as a dump writes it
    q("INSERT INTO t VALUES (10, '0', NULL)")
    assert q("SELECT e, e + 0 FROM t WHERE id = 10") == [("", 0)]


def test_enum_null_and_defaults(q):
    q("CREATE TABLE d (id INT PRIMARY KEY, n ENUM('x','y'), m ENUM('p','q') NOT NULL, "
      "k ENUM('a','b') NOT NULL DEFAULT 'b')")
    assert _errno(q, "INSERT INTO d (id) VALUES (1)") == (
        1364, "ERROR 1364 (HY000): Field 'm' doesn't have a default value")
    # IGNORE stores the implicit default of a NOT NULL ENUM: its first member
    q("INSERT IGNORE INTO d (id) VALUES (1)")
    assert q("SELECT n, m, k, k + 0 FROM d") == [(None, "p", "b", 2)]
    assert _errno(q, "INSERT INTO d VALUES (2, NULL, NULL, 'a')")[0] == 1048
    assert _errno(q, "CREATE TABLE bad (e ENUM('a','b') DEFAULT 'c')") == (
        1067, "ERROR 1067 (42000): Invalid default value for 'e'")


def test_set_values(q):
    q("CREATE TABLE s (id INT PRIMARY KEY, s SET('a','b','c','d'), KEY ks (s))")
    q("INSERT INTO s VALUES (1,'a,c'), (2,'c,a'), (3,'d,a,a'), (4,5), (5,''), (6,'B'), "
      "(7, 15), (8, NULL)")
    assert q("SELECT id, s, s + 0 FROM s ORDER BY id") == [
        (1, "a,c", 5), (2, "a,c", 5), (3, "a,d", 9), (4, "a,c", 5), (5, "", 0), (6, "b", 2),
        (7, "a,b,c,d", 15), (8, None, None)]
    # ORDER BY the bitmask
    assert q("SELECT id FROM s ORDER BY s, id") == [
        (8,), (5,), (6,), (1,), (2,), (4,), (3,), (7,)]
    assert q("SELECT id, FIND_IN_SET('c', s) FROM s WHERE id IN (1, 3)") == [(1, 2), (3, 0)]
    assert q("SELECT id FROM s WHERE s = 'a,c' ORDER BY id") == [(1,), (2,), (4,)]
    assert q("SELECT id FROM s WHERE s = 'c,a'") == []  # compares the text
    assert q("SELECT id FROM s WHERE s = 9") == [(3,)]
    assert q("SELECT id FROM s WHERE s & 2 ORDER BY id") == [(6,), (7,)]
    msg = "ERROR 1265 (01000): Data truncated for column 's' at row 1"
    for bad in ("'a,x'", "16", "'a,'", "-1"):
        assert _errno(q, f"INSERT INTO s VALUES (9, {bad})") == (1265, msg)
    q("INSERT IGNORE INTO s VALUES (9, 'a,x,c'), (10, 17)")
    assert q("SHOW WARNINGS") == [
        ("Warning", 1265, "Data truncated for column 's' at row 1"),
        ("Warning", 1265, "Data truncated for column 's' at row 2")]
    assert q("SELECT s FROM s WHERE id >= 9 ORDER BY id") == [("a,c",), ("a",)]


def test_ddl_errors(q):
    assert _errno(q, "CREATE TABLE x (e ENUM('a','b','a'))") == (
        1291, "ERROR 1291 (HY000): Column 'e' has duplicated value 'a' in ENUM")
    assert _errno(q, "CREATE TABLE x (e ENUM('a','A'))")[0] == 1291
    assert _errno(q, "CREATE TABLE x (s SET('a','b ','b'))") == (
        1291, "ERROR 1291 (HY000): Column 's' has duplicated value 'b' in SET")
    assert _errno(q, "CREATE TABLE x (s SET('a,b'))") == (
        1367, "ERROR 1367 (22007): Illegal set 'a,b' value found during parsing")
    members = ",".join(f"'m{i}'" for i in range(65))
    assert _errno(q, f"CREATE TABLE x (s SET({members}))") == (
        1097, "ERROR 1097 (HY000): Too many strings for column s and SET")
    q(f"CREATE TABLE ok64 (s SET({members[:members.rindex(',')]}))")
    q("INSERT INTO ok64 VALUES (18446744073709551615)")
    assert q("SELECT s + 0 FROM ok64") == [(18446744073709551615,)]


def test_metadata(et):
    q = et
    show = q("SHOW CREATE TABLE t")[0][1]
    assert "`e` enum('b','a','c') NOT NULL," in show
    assert "`s` set('x','y','z') DEFAULT NULL," in show
    assert q("DESCRIBE t")[1:] == [
        ("e", "enum('b','a','c')", "NO", "MUL", None, ""),
        ("s", "set('x','y','z')", "YES", "", None, "")]
    assert q("SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE FROM information_schema.COLUMNS "
             "WHERE TABLE_NAME = 't' AND COLUMN_NAME <> 'id' ORDER BY ORDINAL_POSITION") == [
        ("e", "enum('b','a','c')", "enum"), ("s", "set('x','y','z')", "set")]
    cur = q.cursor
    cur.execute("SELECT e, s, CONCAT(e) FROM t WHERE id = 1")
    # what MySQL's protocol reports for ENUM/SET columns: STRING (254), not 247/248
    assert [d[1] for d in cur.description] == ["STRING", "STRING", "VAR_STRING"]
    q("CREATE TABLE quoted (e ENUM('it''s', 'back\\\\slash'))")
    assert "enum('it''s','back\\\\slash')" in q("SHOW CREATE TABLE quoted")[0][1]
    q("INSERT INTO quoted VALUES ('it''s')")
    assert q("SELECT e, e + 0 FROM quoted") == [("it's", 1)]


def test_index_on_enum(et):
    q = et
    plan = q("EXPLAIN SELECT id FROM t WHERE e = 'a'")
    assert any("index:ke" in str(r[2]) for r in plan)
    for where in ("e = 'a'", "e = 2", "e IN ('c', 'b')", "e BETWEEN 1 AND 2", "e > 'a'",
                  "e < 3", "e = 'A'", "e = 'zz'"):
        with_ix = q(f"SELECT id FROM t WHERE {where} ORDER BY id")
        without = q(f"SELECT id FROM t IGNORE INDEX (ke) WHERE {where} ORDER BY id")
        assert with_ix == without, where
    assert q("SELECT id FROM t WHERE e IN ('c', 'b') ORDER BY id") == [(2,), (4,)]
    assert q("ADMIN CHECK TABLE t") == 0
    assert q("CHECK TABLE t") == [("test.t", "check", "status", "OK")]
    # a join looking ENUM values up from a VARCHAR column compares text
    q("CREATE TABLE v (name VARCHAR(10))")
    q("INSERT INTO v VALUES ('a'), ('c'), ('C')")
    assert q("SELECT v.name, t.id FROM v JOIN t ON t.e = v.name ORDER BY t.id, v.name") == [
        ("a", 1), ("c", 2), ("a", 3), ("a", 5)]
    q("CREATE TABLE u (e ENUM('x','y'), UNIQUE KEY ue (e))")
    q("INSERT INTO u VALUES ('y')")
    assert _errno(q, "INSERT INTO u VALUES (2)") == (
        1062, "ERROR 1062 (23000): Duplicate entry 'y' for key 'u.ue'")


def test_catalog_reload_and_dump_round_trip(tmp_path):
    src = str(tmp_path / "src")
    with core.connect(src, create=True, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, e ENUM('b','a') NOT NULL DEFAULT 'a',"
                    " s SET('p','q','r') DEFAULT 'r,p', KEY ke (e))")
        cur.execute("INSERT INTO t (id) VALUES (1)")
        cur.execute("INSERT IGNORE INTO t VALUES (2, 'nope', 'q')")
        cur.execute("INSERT INTO t VALUES (3, 'b', 'q,r')")
    with core.connect(src, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("INSERT INTO t (id) VALUES (4)")  # the DEFAULT read back from the catalog
        cur.execute("SELECT id, e, e + 0, s, s + 0 FROM t ORDER BY e, id")
        before = cur.fetchall()
        assert before == [(2, "", 0, "q", 2), (3, "b", 1, "q,r", 6), (1, "a", 2, "p,r", 5),
                          (4, "a", 2, "p,r", 5)]
        cur.execute("SHOW CREATE TABLE t")
        create = cur.fetchone()[1]
        assert "`e` enum('b','a') NOT NULL DEFAULT 'a'" in create
        assert "`s` set('p','q','r') DEFAULT 'p,r'" in create
    out = io.StringIO()
    dump(src, out, database="test")
    dst = str(tmp_path / "dst")
    with core.connect(dst, create=True, autocommit=True, database=None) as conn:
        cur = conn.cursor()
        for stmt in split_statements(out.getvalue()):
            if stmt.strip():
                cur.execute(stmt)
        cur.execute("SELECT id, e, e + 0, s, s + 0 FROM test.t ORDER BY e, id")
        assert cur.fetchall() == before
        cur.execute("SHOW CREATE TABLE test.t")
        assert cur.fetchone()[1] == create
        cur.execute("ADMIN CHECK TABLE test.t")


def test_enum_into_other_columns_and_parameters(et):
    q = et
    # ENUM/SET stored into a number column give their index/bitmask, into text their text
    q("CREATE TABLE n (i INT, d DECIMAL(5,1), f DOUBLE, v VARCHAR(5))")
    q("INSERT INTO n SELECT e, e, s, e FROM t WHERE id IN (1, 2)")
    assert q("SELECT * FROM n ORDER BY i") == [
        (2, Decimal("2.0"), 5.0, "a"),
        (3, Decimal("3.0"), 5.0, "c")]
    # one ENUM into another: by text
    q("CREATE TABLE other (e ENUM('c','a'))")
    q("INSERT INTO other SELECT e FROM t WHERE id IN (1, 2)")
    assert q("SELECT e, e + 0 FROM other ORDER BY e") == [("c", 1), ("a", 2)]
    assert q("SELECT id FROM t WHERE e = %s ORDER BY id", ("c",)) == [(2,)]
    assert q("SELECT id FROM t WHERE e = %s ORDER BY id", (1,)) == [(4,)]
    fetched = q("SELECT e FROM t WHERE id = 2")[0][0]
    assert fetched == "c"
    assert q("SELECT %s + 0", (fetched,)) == [(0.0,)]  # a parameter is plain text
    assert q("SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS "
             "WHERE TABLE_NAME = 't' ORDER BY ORDINAL_POSITION") == [(None,), (1,), (5,)]


def test_index_added_later_and_clustered_key(q):
    q("CREATE TABLE t (e ENUM('z','y','x') NOT NULL, s SET('p','q') NOT NULL, n INT, "
      "PRIMARY KEY (e, s))")
    q("INSERT INTO t VALUES ('x','p',1), ('z','q,p',2), ('y','',3), ('x','q',4)")
    # the clustered key orders by (index, bitmask)
    assert q("SELECT e, s FROM t") == [("z", "p,q"), ("y", ""), ("x", "p"), ("x", "q")]
    assert q("SELECT n FROM t WHERE e = 'x' AND s = 'q'") == [(4,)]
    assert q("SELECT n FROM t WHERE e = 3 ORDER BY n") == [(1,), (4,)]
    q("CREATE INDEX kn ON t (s, e)")
    assert q("SELECT n FROM t FORCE INDEX (kn) WHERE s = 'p' ORDER BY n") == [(1,)]
    assert q("SELECT n FROM t FORCE INDEX (kn) ORDER BY s, e") == [(3,), (1,), (4,), (2,)]
    assert q("ADMIN CHECK TABLE t") == 0
    assert _errno(q, "INSERT INTO t VALUES (1, 'p,q', 5)")[1] == (
        "ERROR 1062 (23000): Duplicate entry 'z-p,q' for key 't.PRIMARY'")


def test_set_members_ignore_trailing_spaces(q):
    q("CREATE TABLE st (v SET('p', 'q'))")
    q("INSERT INTO st VALUES ('p '), ('p,q '), ('q ,p')")
    assert q("SELECT v FROM st") == [("p",), ("p,q",), ("p,q",)]


def test_enum_through_union_or_a_function_sorts_as_text(q):
    """A UNION or IF/COALESCE of an ENUM is a VARCHAR in MySQL: sorted as text."""
    q("CREATE TABLE en (e ENUM('z', 'y', 'x'))")
    q("INSERT INTO en VALUES ('x'), ('y'), ('z')")
    assert q("SELECT e FROM en ORDER BY e") == [("z",), ("y",), ("x",)]  # by index
    assert q("SELECT e FROM en UNION ALL SELECT 'a' ORDER BY 1") == [
        ("a",), ("x",), ("y",), ("z",)]
    assert q("SELECT e FROM en ORDER BY COALESCE(e, '')") == [("x",), ("y",), ("z",)]
    assert q("SELECT IF(1, e, NULL) FROM en ORDER BY 1") == [("x",), ("y",), ("z",)]
