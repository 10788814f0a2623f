"""SQL through the PEP 249 API: DDL, DML, errors with their MySQL codes, atomicity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import core


def err(q, sql, params=None) -> core.Error:
    with pytest.raises(core.Error) as info:
        q(sql, params)
    return info.value


SHOP = """
CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(30) NOT NULL,
    city VARCHAR(20), since DATE, UNIQUE KEY uq_name (name), KEY k_city (city));
CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2),
    placed DATETIME DEFAULT CURRENT_TIMESTAMP, status VARCHAR(10) DEFAULT 'new',
    KEY k_cust (customer_id));
"""


@pytest.fixture
def shop(conn, q):
    cur = conn.cursor()
    for stmt in SHOP.split(";"):
        if stmt.strip():
            cur.execute(stmt)
    q("INSERT INTO customers (name, city, since) VALUES ('Aiko', 'Kyoto', '2021-03-04'), "
      "('Bruno', 'Lisbon', '2020-01-01'), ('Chen', 'Kyoto', NULL)")
    q("INSERT INTO orders (id, customer_id, total, status) VALUES (1, 1, 10.50, 'paid'), "
      "(2, 1, 5, 'new'), (3, 2, 99.99, 'paid'), (4, 3, NULL, 'new')")
    return q


def test_types_round_trip(shop):
    rows = shop("SELECT id, name, since FROM customers ORDER BY id")
    assert rows == [(1, "Aiko", dt.date(2021, 3, 4)), (2, "Bruno", dt.date(2020, 1, 1)),
                    (3, "Chen", None)]
    assert shop("SELECT total FROM orders WHERE id = 1") == [(Decimal("10.50"),)]
    (placed,), = shop("SELECT placed FROM orders WHERE id = 2")
    assert isinstance(placed, dt.datetime)
    assert shop("SELECT status FROM orders WHERE id = 4") == [("new",)]


def test_auto_increment_and_lastrowid(shop, q):
    cur = q.cursor
    cur.execute("INSERT INTO customers (name) VALUES (%s)", ("Dara",))
    assert cur.lastrowid == 4 and cur.rowcount == 1
    cur.execute("INSERT INTO customers (id, name) VALUES (10, 'Emeka')")
    cur.execute("INSERT INTO customers (name) VALUES ('Farah')")
    assert cur.lastrowid == 11
    assert q("SELECT LAST_INSERT_ID()") == [(11,)]


def test_errors_carry_mysql_codes_and_change_nothing(shop):
    before = shop("SELECT * FROM customers ORDER BY id")
    cases = [
        ("INSERT INTO customers (name) VALUES ('Aiko')", 1062, "Duplicate entry 'Aiko' for key "
         "'customers.uq_name'"),
        ("INSERT INTO customers (id, name) VALUES (1, 'X')", 1062, "for key 'customers.PRIMARY'"),
        ("INSERT INTO customers (name) VALUES (NULL)", 1048, "Column 'name' cannot be null"),
        ("INSERT INTO customers (city) VALUES ('x')", 1364, "Field 'name' doesn't have a default"),
        ("INSERT INTO customers (name, city) VALUES ('x')", 1136, "Column count doesn't match"),
        ("INSERT INTO customers (nope) VALUES (1)", 1054, "Unknown column 'nope'"),
        ("INSERT INTO customers (name) VALUES ('this name is much too long for thirty')", 1406,
         "Data too long for column 'name'"),
        ("SELECT * FROM nosuch", 1146, "Table 'test.nosuch' doesn't exist"),
        ("SELECT nope FROM customers", 1054, "Unknown column 'nope' in 'field list'"),
        ("CREATE TABLE customers (a INT)", 1050, "Table 'customers' already exists"),
        ("DROP TABLE nosuch", 1051, "Unknown table 'test.nosuch'"),
        ("USE nosuch", 1049, "Unknown database 'nosuch'"),
        ("SELEC 1", 1064, "near 'SELEC 1'"),
        ("UPDATE customers SET name = 'Bruno' WHERE id = 1", 1062, "Duplicate entry 'Bruno'"),
    ]
    for sql, code, text in cases:
        e = err(shop, sql)
        assert e.errno == code, (sql, e)
        assert text in str(e), (sql, str(e))
    assert shop("SELECT * FROM customers ORDER BY id") == before


def test_multi_row_insert_fails_whole(shop):
    e = err(shop, "INSERT INTO customers (name) VALUES ('New1'), ('New2'), ('Aiko')")
    assert e.errno == 1062
    assert shop("SELECT COUNT(*) FROM customers WHERE name LIKE 'New%'") == [(0,)]


def test_failed_statement_inside_a_transaction_keeps_the_rest(conn, shop):
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("UPDATE orders SET status = 'shipped' WHERE id = 1")
    with pytest.raises(core.IntegrityError):
        cur.execute("INSERT INTO orders (id, customer_id) VALUES (5, 1), (1, 1)")
    cur.execute("INSERT INTO orders (id, customer_id) VALUES (6, 2)")
    conn.commit()
    cur.execute("SELECT id, status FROM orders ORDER BY id")
    assert cur.fetchall() == [(1, "shipped"), (2, "new"), (3, "paid"), (4, "new"), (6, "new")]


def test_rollback_and_isolation_between_connections(tmp_path):
    path = str(tmp_path / "db")
    a = core.connect(path, create=True)
    b = core.connect(path)
    try:
        ca, cb = a.cursor(), b.cursor()
        ca.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        ca.execute("INSERT INTO t VALUES (1, 10)")
        a.commit()
        cb.execute("SELECT v FROM t")  # b's snapshot starts here
        assert cb.fetchall() == [(10,)]
        ca.execute("UPDATE t SET v = 20")
        cb.execute("SELECT v FROM t")
        assert cb.fetchall() == [(10,)]  # uncommitted: invisible
        a.commit()
        cb.execute("SELECT v FROM t")
        assert cb.fetchall() == [(10,)]  # repeatable read inside b's transaction
        b.commit()
        cb.execute("SELECT v FROM t")
        assert cb.fetchall() == [(20,)]
        ca.execute("UPDATE t SET v = 30")
        a.rollback()
        cb.execute("SELECT v FROM t")
        assert cb.fetchall() == [(20,)]
        b.commit()
    finally:
        a.close()
        b.close()


def test_replace_and_upsert(shop):
    assert shop("REPLACE INTO customers (id, name, city) VALUES (1, 'Aiko', 'Osaka')") == 2
    assert shop("SELECT city FROM customers WHERE id = 1") == [("Osaka",)]
    n = shop("INSERT INTO customers (id, name) VALUES (2, 'Bruno') "
             "ON DUPLICATE KEY UPDATE city = CONCAT(city, '!')")
    assert n == 2
    assert shop("SELECT city FROM customers WHERE id = 2") == [("Lisbon!",)]


def test_update_delete_order_limit(shop):
    assert shop("UPDATE orders SET status = 'x' ORDER BY id DESC LIMIT 2") == 2
    assert shop("SELECT id FROM orders WHERE status = 'x' ORDER BY id") == [(3,), (4,)]
    assert shop("DELETE FROM orders WHERE status = 'x' ORDER BY id LIMIT 1") == 1
    assert shop("SELECT id FROM orders ORDER BY id") == [(1,), (2,), (4,)]
    assert shop("UPDATE orders SET total = total + 1 WHERE total IS NOT NULL") == 2
    assert shop("SELECT total FROM orders WHERE id = 1") == [(Decimal("11.50"),)]


def test_indexes_stay_consistent_through_updates(shop):
    shop("UPDATE customers SET city = 'Oslo' WHERE name = 'Aiko'")
    assert shop("SELECT name FROM customers WHERE city = 'Kyoto'") == [("Chen",)]
    assert shop("SELECT name FROM customers WHERE city = 'Oslo'") == [("Aiko",)]
    shop("UPDATE customers SET id = 100 WHERE id = 2")
    assert shop("SELECT id FROM customers WHERE name = 'Bruno'") == [(100,)]
    shop("DELETE FROM customers WHERE city = 'Oslo'")
    assert shop("SELECT COUNT(*) FROM customers WHERE name = 'Aiko'") == [(0,)]
    shop("INSERT INTO customers (name, city) VALUES ('Aiko', 'Oslo')")  # unique slot is free


def test_queries(shop):
    assert shop("SELECT c.name, COUNT(o.id), SUM(o.total) FROM customers c "
                "LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name") == [
        ("Aiko", 2, Decimal("15.50")), ("Bruno", 1, Decimal("99.99")), ("Chen", 1, None)]
    assert shop("SELECT name FROM customers WHERE id IN "
                "(SELECT customer_id FROM orders WHERE status = 'paid') ORDER BY 1") == [
        ("Aiko",), ("Bruno",)]
    assert shop("SELECT name, (SELECT MAX(total) FROM orders o WHERE o.customer_id = c.id) m "
                "FROM customers c ORDER BY m DESC, name") == [
        ("Bruno", Decimal("99.99")), ("Aiko", Decimal("10.50")), ("Chen", None)]
    assert shop("SELECT city, COUNT(*) n FROM customers GROUP BY city HAVING n > 1") == [
        ("Kyoto", 2)]
    assert shop("SELECT DISTINCT status FROM orders ORDER BY status") == [("new",), ("paid",)]
    assert shop("SELECT id FROM orders ORDER BY id LIMIT 2 OFFSET 1") == [(2,), (3,)]
    assert shop("SELECT name FROM customers WHERE name LIKE 'B%' UNION ALL SELECT 'x'") == [
        ("Bruno",), ("x",)]
    assert shop("SELECT CASE WHEN total > 50 THEN 'big' WHEN total IS NULL THEN '?' ELSE "
                "'small' END FROM orders ORDER BY id") == [("small",), ("small",), ("big",),
                                                          ("?",)]
    assert shop("SELECT id FROM orders WHERE total BETWEEN %s AND %s ORDER BY id",
                (5, 11)) == [(1,), (2,)]


def test_explain_shows_the_access_path(shop):
    def plan(sql):
        return "\n".join(" ".join(str(c) for c in r) for r in shop("EXPLAIN " + sql))

    assert "PointGet" in plan("SELECT * FROM customers WHERE id = 2")
    assert "IndexLookUp" in plan("SELECT * FROM customers WHERE city = 'Kyoto'")
    assert "TableRangeScan" in plan("SELECT * FROM orders WHERE id > 2")
    assert "TableFullScan" in plan("SELECT * FROM orders WHERE status = 'new'")
    assert "IndexJoin" in plan("SELECT * FROM customers c JOIN orders o ON o.customer_id = c.id")


def test_show_describe_information_schema(shop):
    assert shop("SHOW TABLES") == [("customers",), ("orders",)]
    desc = shop("DESCRIBE customers")
    assert desc[0] == ("id", "int", "NO", "PRI", None, "auto_increment")
    assert desc[1][:4] == ("name", "varchar(30)", "NO", "UNI")
    create = shop("SHOW CREATE TABLE orders")[0][1]
    assert "`status` varchar(10) DEFAULT 'new'" in create
    assert "KEY `k_cust` (`customer_id`)" in create
    cols = shop("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.columns "
                "WHERE TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION")
    assert cols[:2] == [("id", "bigint"), ("customer_id", "int")]
    idx = shop("SELECT INDEX_NAME FROM information_schema.statistics "
               "WHERE TABLE_NAME = 'customers' ORDER BY INDEX_NAME")
    assert idx == [("PRIMARY",), ("k_city",), ("uq_name",)]
    assert ("test",) in shop("SHOW DATABASES")


def test_ddl_is_recorded_as_jobs(shop):
    shop("CREATE INDEX k_total ON orders (total)")
    shop("TRUNCATE TABLE orders")
    shop("DROP TABLE orders")
    jobs = shop("SELECT JOB_TYPE, TABLE_NAME, STATE FROM information_schema.ddl_jobs "
                "ORDER BY JOB_ID")
    assert jobs[-3:] == [("add index", "orders", "synced"), ("truncate table", "orders", "synced"),
                         ("drop table", "orders", "synced")]
    assert jobs[0] == ("create table", "customers", "synced")


def test_create_index_backfills_and_checks_uniqueness(shop):
    e = err(shop, "CREATE UNIQUE INDEX u_city ON customers (city)")
    assert e.errno == 1062
    assert shop("SELECT COUNT(*) FROM information_schema.statistics WHERE INDEX_NAME = "
                "'u_city'") == [(0,)]
    shop("ALTER TABLE customers ADD INDEX k_since (since)")
    plan = shop("EXPLAIN SELECT name FROM customers WHERE since = '2020-01-01'")
    assert any("k_since" in r[2] for r in plan)
    assert shop("SELECT name FROM customers WHERE since = '2020-01-01'") == [("Bruno",)]
    e = err(shop, "DROP INDEX k_since")  # MySQL needs ON t: a syntax error, not a crash
    assert e.errno == 1064 and "ON table_name" in str(e)
    assert any("k_since" in r[2] for r in shop(
        "EXPLAIN SELECT name FROM customers WHERE since = '2020-01-01'"))  # still there
    shop("DROP INDEX k_since ON customers")
    assert shop("SELECT name FROM customers WHERE since = '2020-01-01'") == [("Bruno",)]


def test_databases_and_use(conn, q):
    q("CREATE DATABASE shop")
    e = err(q, "CREATE DATABASE shop")
    assert e.errno == 1007
    q("USE shop")
    q("CREATE TABLE t (a INT)")
    q("INSERT INTO t VALUES (1), (NULL)")
    assert q("SELECT * FROM shop.t ORDER BY a") == [(None,), (1,)]
    q("USE test")
    assert q("SELECT COUNT(*) FROM shop.t") == [(2,)]
    q("DROP DATABASE shop")
    assert err(q, "SELECT * FROM shop.t").errno == 1049


def test_table_without_primary_key_and_clustered_key(q):
    q("CREATE TABLE log (msg VARCHAR(10))")
    q("INSERT INTO log VALUES ('a'), ('a'), ('b')")
    assert q("DELETE FROM log WHERE msg = 'a' LIMIT 1") == 1
    assert q("SELECT msg FROM log ORDER BY msg") == [("a",), ("b",)]
    q("CREATE TABLE kv (k1 VARCHAR(5), k2 INT, v INT, PRIMARY KEY (k1, k2))")
    q("INSERT INTO kv VALUES ('a', 2, 1), ('a', 1, 2), ('b', 1, 3)")
    assert q("SELECT v FROM kv WHERE k1 = 'a' AND k2 = 1") == [(2,)]
    assert q("SELECT k2 FROM kv WHERE k1 = 'a'") == [(1,), (2,)]
    assert err(q, "INSERT INTO kv VALUES ('a', 1, 9)").errno == 1062


def test_data_survives_reopen(tmp_path):
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True)
    c.cursor().execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(10))")
    c.cursor().executemany("INSERT INTO t VALUES (%s, %s)", [(i, f"v{i}") for i in range(50)])
    c.close()
    c = core.connect(path)
    cur = c.cursor()
    cur.execute("SELECT COUNT(*), MAX(s) FROM t")
    assert cur.fetchall() == [(50, "v9")]
    c.close()


def test_pep249_surface(conn):
    assert core.apilevel == "2.0" and core.paramstyle == "format"
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT, b VARCHAR(5))")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(1, "x"), (2, "y"), (3, None)])
    assert cur.rowcount == 3
    cur.execute("SELECT a, b FROM t ORDER BY a")
    assert [d[0] for d in cur.description] == ["a", "b"]
    assert cur.fetchone() == (1, "x")
    assert cur.fetchmany(1) == [(2, "y")]
    assert cur.fetchall() == [(3, None)]
    assert cur.fetchone() is None
    with pytest.raises(core.ProgrammingError):
        cur.execute("SELECT %s", (1, 2))
    cur.execute("SELECT 'it''s', %s", ("%s",))
    assert cur.fetchall() == [("it's", "%s")]
    cur.close()
    with pytest.raises(core.InterfaceError):
        cur.execute("SELECT 1")


def test_inserts_into_a_table_without_keys_hold_the_writer_lock(tmp_path):
    """A rowid table with no unique index needs no current read before its puts; the insert
    must still take the writer lock, or two connections could write at once."""
    path = str(tmp_path / "db")
    a, b = core.connect(path, create=True), core.connect(path)
    try:
        a.cursor().execute("CREATE TABLE log (msg VARCHAR(10))")
        a.cursor().execute("INSERT INTO log VALUES ('a1')")  # rowid allocator now cached
        a.commit()
        a.cursor().execute("INSERT INTO log VALUES ('a2')")
        b._engine.lock_wait_timeout = 0.2
        with pytest.raises(core.OperationalError) as e:
            b.cursor().execute("INSERT INTO log VALUES ('b1')")
        assert e.value.errno == 1205
        a.commit()
        b.rollback()
        b.cursor().execute("INSERT INTO log VALUES ('b2')")
        b.commit()
        cur = a.cursor()
        cur.execute("SELECT msg FROM log ORDER BY msg")
        assert cur.fetchall() == [("a1",), ("a2",), ("b2",)]
    finally:
        a.close()
        b.close()


def test_if_not_exists_is_a_noted_no_op(q):
    q("CREATE TABLE a (id INT PRIMARY KEY)")
    jobs = q("SELECT COUNT(*) FROM information_schema.ddl_jobs")
    q("CREATE TABLE IF NOT EXISTS a (id INT PRIMARY KEY)")
    assert q("SHOW WARNINGS") == [("Note", 1050, "Table 'a' already exists")]
    q("DROP TABLE IF EXISTS nope")
    assert q("SHOW WARNINGS") == [("Note", 1051, "Unknown table 'test.nope'")]
    q("CREATE DATABASE IF NOT EXISTS test")
    assert q("SELECT COUNT(*) FROM information_schema.ddl_jobs") == jobs  # no new jobs


def test_joins_on_columns_of_different_types_compare_as_mysql(q):
    q("CREATE TABLE p (id INT PRIMARY KEY, k INT, KEY kk (k))")
    q("CREATE TABLE d (id INT PRIMARY KEY, ks VARCHAR(5), dt DATE)")
    q("CREATE TABLE e (id INT PRIMARY KEY, ts DATETIME, KEY kt (ts))")
    q("INSERT INTO p VALUES (1, 1), (2, 2)")
    q("INSERT INTO d VALUES (10, '1', '2024-01-01'), (11, '2', NULL)")
    q("INSERT INTO e VALUES (1, '2024-01-01 00:00:00')")
    assert q("SELECT d.id, p.id FROM d JOIN p ON p.k = d.ks ORDER BY d.id") == [(10, 1), (11, 2)]
    assert q("SELECT d.id, p.id FROM d JOIN p ON p.id = d.ks ORDER BY d.id") == [(10, 1), (11, 2)]
    assert q("SELECT d.id, e.id FROM d JOIN e ON e.ts = d.dt") == [(10, 1)]


def test_unqualified_column_of_a_joined_table_is_not_an_outer_reference(q):
    q("CREATE TABLE t (id INT PRIMARY KEY)")
    q("CREATE TABLE b (id INT PRIMARY KEY)")
    q("CREATE TABLE c (id INT PRIMARY KEY, x INT)")
    q("INSERT INTO t VALUES (1)")
    q("INSERT INTO b VALUES (1), (2)")
    q("INSERT INTO c VALUES (1, 1), (2, 2)")
    assert q("SELECT t.id, (SELECT COUNT(*) FROM b JOIN c ON c.id = b.id WHERE b.id = x) "
             "FROM t") == [(1, 2)]


def test_executemany_evaluates_subqueries_per_row(conn, q):
    q("CREATE TABLE u (id INT PRIMARY KEY, name VARCHAR(5))")
    q("INSERT INTO u VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    q("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(5))")
    conn.cursor().executemany("INSERT INTO t VALUES (%s, (SELECT name FROM u WHERE u.id = %s))",
                              [(1, 1), (2, 2), (3, 3)])
    assert q("SELECT name FROM t ORDER BY id") == [("one",), ("two",), ("three",)]


def test_key_access_at_the_bigint_edges_matches_a_scan(q):
    q("CREATE TABLE t (id BIGINT PRIMARY KEY, a BIGINT, KEY ka (a))")
    q("INSERT INTO t VALUES (10000000000000000, 10000000000000000), "
      "(10000000000000001, 10000000000000001), (9223372036854775807, 9223372036854775807)")
    conds = ["{id} = 1e16", "{a} = 1e16", "{id} <= 1e16", "{id} = 9223372036854775808",
             "{a} = 9223372036854775808", "{id} = -9223372036854775809",
             "{a} > -9223372036854775809", "{a} IN (9223372036854775808, 1)",
             "{id} BETWEEN 9223372036854775807 AND 9223372036854775808"]
    for cond in conds:
        by_key = q("SELECT id FROM t WHERE " + cond.format(id="id", a="a") + " ORDER BY id")
        by_scan = q("SELECT id FROM t WHERE " + cond.format(id="id + 0", a="a + 0") +
                    " ORDER BY id")
        assert by_key == by_scan, cond
    assert q("UPDATE t SET a = 2 WHERE id = 9223372036854775808") == 0


def test_cancel_interrupts_a_running_statement_and_leaves_nothing(conn, q):
    import threading
    import time

    q("CREATE TABLE big (id INT PRIMARY KEY, v INT)")
    conn.cursor().executemany("INSERT INTO big VALUES (%s, %s)", [(i, i) for i in range(3000)])
    conn.autocommit = False
    cur = conn.cursor()
    results = {}

    def run(sql):
        try:
            cur.execute(sql)
            results["ok"] = cur.rowcount
        except core.Error as e:
            results["error"] = e

    def cancel_soon():
        for _ in range(200):
            time.sleep(0.005)
            if conn.cancel():
                return

    # a cross join large enough to still be running when the cancel comes
    t = threading.Thread(target=run, args=("SELECT COUNT(*) FROM big a JOIN big b ON a.v < b.v",))
    t.start()
    cancel_soon()
    t.join(60)
    assert results["error"].errno == 1317 and results["error"].sqlstate == "70100"
    # a cancelled UPDATE inside a transaction changes nothing, and the transaction goes on
    results.clear()
    t = threading.Thread(target=run, args=(
        "UPDATE big SET v = v + 1 WHERE v IN "
        "(SELECT v FROM (SELECT a.v FROM big a JOIN big b ON a.v < b.v) AS d)",))
    t.start()
    cancel_soon()
    t.join(60)
    assert results["error"].errno == 1317
    cur.execute("SELECT SUM(v) FROM big")
    assert cur.fetchall() == [(sum(range(3000)),)]
    conn.commit()
    assert conn.cancel() is False  # nothing running: nothing to cancel


@pytest.mark.parametrize("sql, changed", [
    ("UPDATE customers JOIN orders ON orders.customer_id = customers.id "
     "SET customers.city = 'X'", {1, 2, 3}),
    ("UPDATE customers c JOIN orders o ON o.customer_id = c.id SET c.city = 'X' "
     "WHERE o.id = 1", {1}),
    ("UPDATE customers, orders SET customers.city = 'X' "
     "WHERE orders.customer_id = customers.id AND orders.status = 'paid'", {1, 2}),
])
def test_multi_table_update_changes_only_the_joined_rows(shop, sql, changed):
    """The joined table is never dropped silently: that would update every customer."""
    shop("INSERT INTO customers (name, city) VALUES ('Dana', 'Oslo')")  # no orders
    before = dict(shop("SELECT id, city FROM customers"))
    shop(sql)
    after = dict(shop("SELECT id, city FROM customers"))
    assert {k for k in after if after[k] != before[k]} == changed
    assert all(after[k] == "X" for k in changed)
