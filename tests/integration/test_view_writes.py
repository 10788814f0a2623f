"""INSERT, UPDATE and DELETE through updatable views (core.sql.view_dml), with MySQL 8's
answers: the view's filter limits UPDATE/DELETE, expression columns are read-only, and a
view that is not updatable says so."""

import pytest

import core


@pytest.fixture
def shop(q):
    q("CREATE TABLE item (id INT PRIMARY KEY, price INT NOT NULL, sku VARCHAR(5), "
      "UNIQUE KEY (sku), KEY (price))")
    q("INSERT INTO item VALUES (1, 5, 'a'), (2, 8, 'b'), (3, 50, 'c')")
    q("CREATE VIEW cheap AS SELECT id, price AS cost, sku, price * 2 AS twice FROM item "
      "WHERE price < 10")
    q("CREATE VIEW plain AS SELECT id, price, sku FROM item WHERE price > 6")
    q("CREATE VIEW top AS SELECT * FROM plain WHERE id > 1")
    return q


def test_update_through_a_view_touches_only_the_rows_it_shows(shop):
    q = shop
    assert q("UPDATE cheap SET cost = cost + 1") == 2
    assert q("SELECT id, price FROM item ORDER BY id") == [(1, 6), (2, 9), (3, 50)]
    # the index on price followed
    assert q("SELECT id FROM item FORCE INDEX (price) WHERE price = 9") == [(2,)]
    q("ADMIN CHECK TABLE item")


def test_update_with_alias_order_and_limit(shop):
    q = shop
    assert q("UPDATE cheap AS c SET c.sku = 'z' WHERE c.cost > 0 ORDER BY c.cost DESC "
             "LIMIT 1") == 1
    assert q("SELECT sku FROM item ORDER BY id") == [("a",), ("z",), ("c",)]


def test_delete_through_a_view_of_a_view(shop):
    q = shop
    assert q("DELETE FROM top") == 2  # rows with price > 6 and id > 1
    assert q("SELECT id FROM item") == [(1,)]


def test_insert_through_views(shop):
    q = shop
    assert q("INSERT INTO plain VALUES (4, 1, 'd')") == 1  # no CHECK OPTION: it may not show
    assert q("INSERT INTO top (id, price) VALUES (5, 70)") == 1
    assert q("SELECT * FROM item WHERE id > 3 ORDER BY id") == [(4, 1, "d"), (5, 70, None)]
    assert q("SELECT id FROM top ORDER BY id") == [(2,), (3,), (5,)]


def test_errors_change_nothing(shop):
    q = shop
    q("CREATE VIEW counted AS SELECT COUNT(*) AS n FROM item")
    cases = [
        ("UPDATE cheap SET twice = 1", 1348, "Column 'twice' is not updatable"),
        ("INSERT INTO cheap (id, cost) VALUES (9, 1)", 1471,
         "The target table cheap of the INSERT is not insertable-into"),
        ("UPDATE counted SET n = 1", 1288, "The target table counted of the UPDATE is not "
                                           "updatable"),
        ("DELETE FROM counted", 1288, "not updatable"),
        ("INSERT INTO counted VALUES (1)", 1471, "not insertable-into"),
        ("UPDATE plain SET sku = 'a'", 1062, "Duplicate entry 'a'"),
        ("UPDATE plain SET price = NULL", 1048, "cannot be null"),
        ("UPDATE plain SET nope = 1", 1054, "Unknown column 'nope'"),
        ("INSERT INTO plain (nope) VALUES (1)", 1054, "Unknown column 'nope'"),
        ("INSERT INTO plain VALUES (1, 1, 'q') ON DUPLICATE KEY UPDATE price = 2", 1235,
         "ON DUPLICATE KEY UPDATE"),
    ]
    before = q("SELECT * FROM item ORDER BY id")
    for sql, errno, text in cases:
        with pytest.raises(core.Error) as e:
            q(sql)
        assert e.value.errno == errno and text in str(e.value), (sql, str(e.value))
    assert q("SELECT * FROM item ORDER BY id") == before


def test_update_ignore_through_a_view(shop):
    q = shop
    q("UPDATE IGNORE plain SET sku = 'a'")
    assert [w[1] for w in q("SHOW WARNINGS")] == [1062, 1062]
    assert q("SELECT sku FROM item ORDER BY id") == [("a",), ("b",), ("c",)]


def test_writes_inside_a_transaction_roll_back(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    cur.execute("CREATE VIEW vv AS SELECT id, v FROM t WHERE v IS NOT NULL")
    cur.execute("INSERT INTO t VALUES (1, 1), (2, NULL)")
    cur.execute("BEGIN")
    cur.execute("UPDATE vv SET v = 10")
    cur.execute("INSERT INTO vv VALUES (3, 3)")
    cur.execute("ROLLBACK")
    cur.execute("SELECT * FROM t ORDER BY id")
    assert cur.fetchall() == [(1, 1), (2, None)]


def test_a_write_through_a_view_sees_only_the_view_columns(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, c INT, secret INT DEFAULT 0)")
    q("INSERT INTO t VALUES (1, 10, 100, 0), (2, 20, 200, 0), (3, 30, 300, 0)")
    q("CREATE VIEW v AS SELECT a AS k, b FROM t WHERE c >= 200")
    for sql, clause in [("UPDATE v SET secret = 1", "field list"),
                        ("UPDATE v SET b = c", "field list"),
                        ("UPDATE v SET b = a", "field list"),
                        ("UPDATE v SET t.secret = 5", "field list"),
                        ("DELETE FROM v WHERE c = 300", "where clause"),
                        ("DELETE FROM v ORDER BY c LIMIT 1", "order clause")]:
        with pytest.raises(core.Error) as e:
            q(sql)
        assert e.value.errno == 1054 and clause in str(e.value), sql
    assert q("SELECT * FROM t ORDER BY a") == [(1, 10, 100, 0), (2, 20, 200, 0),
                                               (3, 30, 300, 0)]


def test_view_columns_inside_subqueries_are_the_views(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, c INT)")
    q("CREATE TABLE u (x INT, y INT)")
    q("INSERT INTO t VALUES (1, 10, 100), (2, 20, 200), (3, 30, 300), (4, 40, 400)")
    q("INSERT INTO u VALUES (1, 1), (2, 2), (3, 3)")
    q("CREATE VIEW w AS SELECT a AS b, b AS a FROM t WHERE c > 100")
    # b is the view's (t.a): u has no b
    assert q("UPDATE w SET a = 0 WHERE EXISTS (SELECT 1 FROM u WHERE u.y = b)") == 2
    assert q("SELECT a, b FROM t ORDER BY a") == [(1, 10), (2, 0), (3, 0), (4, 40)]
    assert q("DELETE FROM w WHERE EXISTS (SELECT 1 FROM u WHERE u.x = w.b AND u.y = 3)") == 1
    assert q("SELECT a FROM t ORDER BY a") == [(1,), (2,), (4,)]


def test_a_view_whose_table_lost_a_column_is_1356_for_writes(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, c INT)")
    q("CREATE VIEW vs AS SELECT * FROM t")
    q("DROP TABLE t")
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES (1, 1)")
    for sql in ("UPDATE vs SET b = 5", "INSERT INTO vs VALUES (2, 2)", "DELETE FROM vs"):
        with pytest.raises(core.Error) as e:
            q(sql)
        assert e.value.errno == 1356, sql
    assert q("SELECT * FROM t") == [(1, 1)]


@pytest.mark.parametrize("sql", [
    "UPDATE a SET x = (SELECT MAX(x) FROM v)",
    "DELETE FROM a WHERE id IN (SELECT id FROM vv)",
    "UPDATE v SET x = (SELECT MAX(x) FROM v)",
])
def test_a_subquery_reading_the_target_through_a_view_is_refused(q, sql):
    q("CREATE TABLE a (id INT PRIMARY KEY, x INT)")
    q("INSERT INTO a VALUES (1, 1), (2, 2)")
    q("CREATE VIEW v AS SELECT id, x FROM a")
    q("CREATE VIEW vv AS SELECT id FROM v")
    with pytest.raises(core.Error) as e:
        q(sql)
    assert e.value.errno in (1093, 1443), str(e.value)
    assert q("SELECT * FROM a ORDER BY id") == [(1, 1), (2, 2)]
