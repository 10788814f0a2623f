"""JOIN ... USING and NATURAL JOIN merge their common columns as MySQL 8 does, and the comma
binds looser than JOIN (issue 15).  Expected answers are MySQL 8.0's."""

import pytest

import core


@pytest.fixture
def db(q):
    q("CREATE DATABASE d")
    q("USE d")
    q("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(5))")
    q("CREATE TABLE u (id INT, a INT, c VARCHAR(5))")
    q("CREATE TABLE w (id INT, d INT)")
    q("INSERT INTO t VALUES (1, 10, 'x'), (2, 20, 'y'), (4, 30, 'z')")
    q("INSERT INTO u VALUES (2, 20, 'p'), (3, 30, 'q'), (NULL, 40, 'r')")
    q("INSERT INTO w VALUES (2, 7), (3, 8)")
    return q


def names(q):
    return [d[0] for d in q.cursor.description]


def fails(q, sql, errno, text):
    with pytest.raises(core.Error) as info:
        q(sql)
    assert info.value.errno == errno
    assert text in str(info.value)


# -- USING: one merged column, listed first ---------------------------------------------------

def test_star_shows_the_using_column_once_first(db):
    assert db("SELECT * FROM t JOIN u USING (id)") == [(2, 20, "y", 20, "p")]
    assert names(db) == ["id", "a", "b", "a", "c"]


def test_common_columns_come_in_the_left_tables_order(db):
    # MySQL's store_natural_using_join_columns walks the first operand's columns
    assert db("SELECT * FROM t JOIN u USING (a, id)") == [(2, 20, "y", "p")]
    assert names(db) == ["id", "a", "b", "c"]


def test_unqualified_using_column_is_not_ambiguous(db):
    assert db("SELECT id FROM t JOIN u USING (id) WHERE id = 2 ORDER BY id") == [(2,)]
    assert db("SELECT id, COUNT(*) FROM t LEFT JOIN u USING (id) GROUP BY id "
              "HAVING id > 1 ORDER BY id") == [(2, 1), (4, 1)]
    assert db("SELECT DISTINCT id FROM u LEFT JOIN w USING (id) ORDER BY id DESC") == \
        [(3,), (2,), (None,)]
    assert db("SELECT id, ROW_NUMBER() OVER (ORDER BY id) FROM u JOIN w USING (id)") == \
        [(2, 1), (3, 2)]
    assert db("SELECT MAX(id), SUM(d) FROM u LEFT JOIN w USING (id)") == [(3, 15)]


def test_left_join_merged_column_is_the_left_value(db):
    assert db("SELECT id, t.id, u.id, c FROM t LEFT JOIN u USING (id) ORDER BY id") == \
        [(1, 1, None, None), (2, 2, 2, "p"), (4, 4, None, None)]
    assert db("SELECT * FROM t LEFT JOIN u USING (id) ORDER BY id") == \
        [(1, 10, "x", None, None), (2, 20, "y", 20, "p"), (4, 30, "z", None, None)]
    assert names(db) == ["id", "a", "b", "a", "c"]


def test_right_join_merged_column_is_the_right_value_and_leads(db):
    # MySQL mirrors RIGHT JOIN into LEFT JOIN before merging: u's columns come first
    assert db("SELECT * FROM t RIGHT JOIN u USING (id) ORDER BY id") == \
        [(None, 40, "r", None, None), (2, 20, "p", 20, "y"), (3, 30, "q", None, None)]
    assert names(db) == ["id", "a", "c", "a", "b"]
    assert db("SELECT id, t.id, u.id FROM t RIGHT JOIN u USING (id) ORDER BY c") == \
        [(2, 2, 2), (3, None, 3), (None, None, None)]
    assert db("SELECT c FROM t RIGHT JOIN u USING (id) WHERE id IS NULL") == [("r",)]
    assert db("SELECT c FROM t RIGHT JOIN u USING (id) WHERE t.id IS NULL ORDER BY c") == \
        [("q",), ("r",)]


def test_using_chains(db):
    assert db("SELECT * FROM t JOIN u USING (id) JOIN w USING (id)") == \
        [(2, 20, "y", 20, "p", 7)]
    assert names(db) == ["id", "a", "b", "a", "c", "d"]
    assert db("SELECT * FROM u LEFT JOIN t USING (id) LEFT JOIN w USING (id) ORDER BY c") == \
        [(2, 20, "p", 20, "y", 7), (3, 30, "q", None, None, 8), (None, 40, "r", None, None,
                                                                  None)]
    assert names(db) == ["id", "a", "c", "a", "b", "d"]
    assert db("SELECT * FROM t JOIN u USING (id) RIGHT JOIN w USING (id) ORDER BY id") == \
        [(2, 7, 20, "y", 20, "p"), (3, 8, None, None, None, None)]
    assert names(db) == ["id", "d", "a", "b", "a", "c"]
    assert db("SELECT * FROM t LEFT JOIN (u JOIN w USING (id)) USING (id) ORDER BY id") == \
        [(1, 10, "x", None, None, None), (2, 20, "y", 20, "p", 7),
         (4, 30, "z", None, None, None)]
    # a later ON sees the merged column once
    assert db("SELECT k, c FROM t JOIN u USING (id) JOIN (SELECT 2 AS k) AS x ON k = id") == \
        [(2, "p")]
    fails(db, "SELECT d FROM t JOIN u USING (id) JOIN w ON w.d > id", 1052,
          "Column 'id' in on clause is ambiguous")


def test_using_a_column_one_side_lacks_or_has_twice(db):
    fails(db, "SELECT * FROM t JOIN u USING (b)", 1054, "Unknown column 'b' in 'from clause'")
    fails(db, "SELECT * FROM t JOIN u USING (nope)", 1054,
          "Unknown column 'nope' in 'from clause'")
    fails(db, "SELECT * FROM t JOIN u USING (id) JOIN w USING (a)", 1054,
          "Unknown column 'a' in 'from clause'")
    fails(db, "SELECT * FROM t JOIN u ON t.id = u.id JOIN w USING (id)", 1052,
          "Column 'id' in from clause is ambiguous")
    fails(db, "SELECT * FROM t JOIN t USING (id)", 1066, "Not unique table/alias: 't'")


def test_merged_column_next_to_another_tables_column_is_ambiguous(db):
    # the comma binds looser: u JOIN w merges u.id and w.id, t.id is another column
    assert db("SELECT * FROM t, u JOIN w USING (id) ORDER BY t.id, u.id") == [
        (1, 10, "x", 2, 20, "p", 7), (1, 10, "x", 3, 30, "q", 8),
        (2, 20, "y", 2, 20, "p", 7), (2, 20, "y", 3, 30, "q", 8),
        (4, 30, "z", 2, 20, "p", 7), (4, 30, "z", 3, 30, "q", 8)]
    assert names(db) == ["id", "a", "b", "id", "a", "c", "d"]
    fails(db, "SELECT id FROM t, u JOIN w USING (id)", 1052,
          "Column 'id' in field list is ambiguous")
    fails(db, "SELECT * FROM t JOIN u USING (id), w WHERE id = 2", 1052,
          "Column 'id' in where clause is ambiguous")


def test_qualified_star_lists_all_of_its_table(db):
    assert db("SELECT u.* FROM t JOIN u USING (id)") == [(2, 20, "p")]
    assert names(db) == ["id", "a", "c"]
    assert db("SELECT t.*, u.* FROM t LEFT JOIN u USING (id) WHERE id = 1") == \
        [(1, 10, "x", None, None, None)]


def test_using_with_a_cte_and_a_derived_table(db):
    assert db("WITH c AS (SELECT 2 AS id, 'cte' AS e) SELECT * FROM c JOIN t USING (id)") == \
        [(2, "cte", 20, "y")]
    assert names(db) == ["id", "e", "a", "b"]
    assert db("SELECT * FROM (SELECT id, b FROM t) AS x JOIN w USING (id)") == [(2, "y", 7)]


def test_where_on_the_merged_column_still_uses_the_key(db):
    plan = db("EXPLAIN SELECT * FROM t JOIN u USING (id) WHERE id = 2")
    assert any("PointGet" in r[0] for r in plan)
    assert db("SELECT * FROM t JOIN u USING (id) WHERE id = 2") == [(2, 20, "y", 20, "p")]
    plan = db("EXPLAIN SELECT * FROM u JOIN t USING (id)")
    assert any("IndexJoin" in r[0] and "PointGet(t)" in r[3] for r in plan)


# -- NATURAL JOIN -----------------------------------------------------------------------------

def test_natural_join_is_using_over_the_common_names(db):
    assert db("SELECT * FROM t NATURAL JOIN u") == [(2, 20, "y", "p")]
    assert names(db) == ["id", "a", "b", "c"]
    assert db("SELECT * FROM t NATURAL LEFT JOIN u ORDER BY id") == \
        [(1, 10, "x", None), (2, 20, "y", "p"), (4, 30, "z", None)]
    assert db("SELECT * FROM t NATURAL RIGHT OUTER JOIN u ORDER BY id") == \
        [(None, 40, "r", None), (2, 20, "p", "y"), (3, 30, "q", None)]
    assert names(db) == ["id", "a", "c", "b"]
    assert db("SELECT * FROM t NATURAL JOIN u NATURAL JOIN w") == [(2, 20, "y", "p", 7)]


def test_natural_join_without_common_columns_is_a_cross_join(db):
    assert db("SELECT * FROM w NATURAL JOIN (SELECT 5 AS z) AS k ORDER BY id") == \
        [(2, 7, 5), (3, 8, 5)]
    assert db("SELECT * FROM w NATURAL LEFT JOIN (SELECT 5 AS z) AS k WHERE z = 6") == []


# -- the comma binds looser than JOIN -----------------------------------------------------------

def test_on_after_a_comma_cannot_see_the_tables_before_it(db):
    fails(db, "SELECT * FROM t, u JOIN w ON t.id = w.id", 1054,
          "Unknown column 't.id' in 'on clause'")
    fails(db, "SELECT * FROM t, u LEFT JOIN w ON t.id = w.id", 1054,
          "Unknown column 't.id' in 'on clause'")
    fails(db, "SELECT * FROM t, u JOIN w ON d = b", 1054, "Unknown column 'b' in 'on clause'")
    fails(db, "SELECT * FROM t, u JOIN w ON id = d", 1052,
          "Column 'id' in on clause is ambiguous")
    fails(db, "SELECT * FROM t JOIN (u JOIN w ON t.id = w.id) ON t.id = u.id", 1054,
          "Unknown column 't.id' in 'on clause'")


def test_valid_comma_and_join_mixes(db):
    assert db("SELECT COUNT(*) FROM t, u JOIN w ON u.id = w.id") == [(6,)]
    assert db("SELECT COUNT(*) FROM (t, u) JOIN w ON t.id = w.id") == [(3,)]
    # JOIN without ON is a cross join, not a comma: t stays visible
    assert db("SELECT COUNT(*) FROM t JOIN u JOIN w ON t.id = w.id") == [(3,)]
    # `a` names u.a and t.a, but only t is visible to this ON: t.a
    assert db("SELECT COUNT(*) FROM u, t JOIN w ON a = 20 AND t.id = w.id") == [(3,)]
    # a JOIN b JOIN c ON x ON y is a JOIN (b JOIN c ON x) ON y
    assert db("SELECT * FROM t JOIN u JOIN w ON u.id = w.id ON t.id = u.id") == \
        [(2, 20, "y", 2, 20, "p", 2, 7)]


def test_unqualified_where_column_of_two_tables_is_ambiguous(db):
    fails(db, "SELECT * FROM t JOIN u ON t.id = u.id WHERE id = 2", 1052,
          "Column 'id' in where clause is ambiguous")


# -- views ------------------------------------------------------------------------------------

def test_view_over_using_has_the_merged_columns(db):
    db("CREATE VIEW v AS SELECT * FROM t JOIN w USING (id)")
    assert db("SELECT * FROM v") == [(2, 20, "y", 7)]
    assert names(db) == ["id", "a", "b", "d"]
    # t.a and u.a are two columns of the view
    fails(db, "CREATE VIEW v2 AS SELECT * FROM t JOIN u USING (id)", 1060,
          "Duplicate column name 'a'")


def test_view_text_keeps_a_join_without_on_apart_from_a_comma(db):
    db("CREATE VIEW v3 AS SELECT t.id, w.d FROM t JOIN u JOIN w ON t.id = w.id")
    assert db("SELECT COUNT(*) FROM v3") == [(3,)]
