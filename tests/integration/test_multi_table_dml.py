"""Multi-table UPDATE and DELETE (core.sql.multi_dml) with MySQL 8's answers: rows changed
once, indexes kept in step, errors that change nothing."""

import pytest

import core


@pytest.fixture
def shop(q):
    q("CREATE TABLE item (id INT PRIMARY KEY, price INT, sku VARCHAR(10), UNIQUE KEY (sku), "
      "KEY (price))")
    q("CREATE TABLE upd (item_id INT, price INT, note VARCHAR(10))")
    q("INSERT INTO item VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c'), (4, 40, 'd')")
    q("INSERT INTO upd VALUES (1, 11, 'x'), (2, 22, 'y'), (2, 99, 'z'), (9, 0, 'none')")
    return q



def test_update_join_takes_values_from_the_other_table(shop):
    q = shop
    n = q("UPDATE item JOIN upd ON item.id = upd.item_id SET item.price = upd.price "
          "WHERE upd.note <> 'none'")
    # item 2 matches two rows: changed once, by the first joined row (MySQL)
    assert n == 2
    rows = dict(q("SELECT id, price FROM item"))
    assert rows[1] == 11 and rows[2] in (22, 99) and rows[3] == 30 and rows[4] == 40
    # the secondary index on price followed the rows
    assert q("SELECT id FROM item FORCE INDEX (price) WHERE price = 11") == [(1,)]
    q("ADMIN CHECK TABLE item")


def test_comma_form_and_both_tables_see_the_rows_as_they_were(shop):
    q = shop
    n = q("UPDATE item i, upd u SET i.price = u.price, u.price = i.price "
          "WHERE i.id = u.item_id AND u.note = 'x'")
    assert n == 2
    assert q("SELECT price FROM item WHERE id = 1") == [(11,)]
    assert q("SELECT price FROM upd WHERE note = 'x'") == [(10,)]  # the old item price


def test_left_join_update_skips_padded_rows(shop):
    q = shop
    n = q("UPDATE item LEFT JOIN upd ON item.id = upd.item_id SET upd.note = 'seen', "
          "item.sku = CONCAT(item.sku, '!')")
    assert n == 4 + 3  # every item; the three upd rows that matched one
    assert q("SELECT note FROM upd ORDER BY note") == [("none",), ("seen",), ("seen",),
                                                        ("seen",)]
    assert q("SELECT sku FROM item ORDER BY id") == [("a!",), ("b!",), ("c!",), ("d!",)]
    q("ADMIN CHECK TABLE item")


def test_duplicate_key_rolls_back_every_table(shop):
    q = shop
    with pytest.raises(core.IntegrityError) as e:
        q("UPDATE item JOIN upd ON item.id = upd.item_id SET upd.note = 'changed', "
          "item.sku = 'same'")
    assert e.value.errno == 1062
    assert q("SELECT sku FROM item ORDER BY id") == [("a",), ("b",), ("c",), ("d",)]
    assert q("SELECT COUNT(*) FROM upd WHERE note = 'changed'") == [(0,)]


def test_update_ignore_skips_the_duplicate(shop):
    q = shop
    q("UPDATE IGNORE item JOIN upd ON item.id = upd.item_id SET item.sku = 'same'")
    assert any(w[1] == 1062 for w in q("SHOW WARNINGS"))
    assert q("SELECT COUNT(*) FROM item WHERE sku = 'same'") == [(1,)]


def test_strict_conversion_error_in_multi_update(shop):
    q = shop
    with pytest.raises(core.DataError) as e:
        q("UPDATE item JOIN upd ON item.id = upd.item_id SET item.price = upd.note")
    assert e.value.errno == 1366
    assert q("SELECT price FROM item ORDER BY id") == [(10,), (20,), (30,), (40,)]


def test_delete_from_two_tables(shop):
    q = shop
    n = q("DELETE item, upd FROM item JOIN upd ON item.id = upd.item_id WHERE item.id = 2")
    assert n == 3  # item 2 and both of its upd rows
    assert q("SELECT id FROM item ORDER BY id") == [(1,), (3,), (4,)]
    assert q("SELECT item_id FROM upd ORDER BY item_id") == [(1,), (9,)]
    q("ADMIN CHECK TABLE item")


def test_delete_using_and_aliases(shop):
    q = shop
    assert q("DELETE FROM i USING item AS i, upd AS u WHERE i.id = u.item_id") == 2
    assert q("SELECT id FROM item ORDER BY id") == [(3,), (4,)]
    assert q("DELETE x FROM item x LEFT JOIN upd y ON x.id = y.item_id "
             "WHERE y.item_id IS NULL") == 2
    assert q("SELECT COUNT(*) FROM item") == [(0,)]


def test_delete_one_table_through_two_aliases_deletes_each_row_once(shop):
    q = shop
    assert q("DELETE a, b FROM item a JOIN item b ON b.id = a.id + 1") == 4
    assert q("SELECT COUNT(*) FROM item") == [(0,)]
    q("ADMIN CHECK TABLE item")


def test_subquery_in_where_is_planned_as_a_plain_select(shop):
    q = shop
    n = q("DELETE item FROM item JOIN upd ON item.id = upd.item_id "
          "WHERE item.id IN (SELECT * FROM (SELECT id FROM item WHERE price > 15) AS d)")
    assert n == 1
    assert q("SELECT id FROM item ORDER BY id") == [(1,), (3,), (4,)]


@pytest.mark.parametrize("sql, errno", [
    ("UPDATE item, upd SET price = 1", 1052),
    ("UPDATE item, upd SET item.nope = 1", 1054),
    ("UPDATE item JOIN (SELECT 1 AS id) d ON d.id = item.id SET d.id = 2", 1288),
    ("UPDATE item JOIN upd ON item.id = upd.item_id SET item.price = 1 ORDER BY item.id", 1221),
    ("UPDATE item JOIN upd ON item.id = upd.item_id SET item.price = 1 LIMIT 1", 1221),
    ("DELETE nope FROM item JOIN upd ON item.id = upd.item_id", 1109),
    ("DELETE item FROM item JOIN upd ON item.id = upd.item_id LIMIT 1", 1221),
    ("DELETE item FROM item JOIN missing ON item.id = missing.id", 1146),
])
def test_errors_change_nothing(shop, sql, errno):
    q = shop
    with pytest.raises(core.Error) as e:
        q(sql)
    assert e.value.errno == errno, str(e.value)
    assert q("SELECT * FROM item ORDER BY id") == [(1, 10, "a"), (2, 20, "b"), (3, 30, "c"),
                                                   (4, 40, "d")]


def test_failed_statement_inside_a_transaction_keeps_earlier_work(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE a (id INT PRIMARY KEY, v INT)")
    cur.execute("CREATE TABLE b (id INT PRIMARY KEY, v INT NOT NULL)")
    cur.execute("INSERT INTO a VALUES (1, 1), (2, NULL)")
    cur.execute("INSERT INTO b VALUES (1, 5), (2, 6)")
    cur.execute("BEGIN")
    cur.execute("UPDATE a JOIN b ON a.id = b.id SET a.v = b.v + 1 WHERE a.id = 1")
    with pytest.raises(core.IntegrityError) as e:
        cur.execute("UPDATE a JOIN b ON a.id = b.id SET b.v = a.v, a.v = 100")
    assert e.value.errno == 1048
    cur.execute("COMMIT")
    cur.execute("SELECT * FROM a ORDER BY id")
    assert cur.fetchall() == [(1, 6), (2, None)]
    cur.execute("SELECT * FROM b ORDER BY id")
    assert cur.fetchall() == [(1, 5), (2, 6)]


@pytest.mark.parametrize("sql", [
    "UPDATE item JOIN upd ON item.id = upd.item_id SET item.price = "
    "(SELECT MAX(price) FROM item i2 WHERE i2.id < item.id)",
    "DELETE item FROM item JOIN upd ON item.id = upd.item_id WHERE item.price IN "
    "(SELECT price FROM item)",
    "UPDATE item SET price = (SELECT MAX(price) FROM item)",
    "DELETE FROM item WHERE price > (SELECT MIN(price) FROM item)",
])
def test_a_subquery_reading_the_target_is_1093(shop, sql):
    q = shop
    with pytest.raises(core.Error) as e:
        q(sql)
    assert e.value.errno == 1093 and "for update in FROM clause" in str(e.value)
    assert q("SELECT price FROM item ORDER BY id") == [(10,), (20,), (30,), (40,)]


def test_a_derived_table_may_read_the_target(shop):
    q = shop
    assert q("UPDATE item SET price = (SELECT m FROM (SELECT MAX(price) AS m FROM item) d) "
             "WHERE id = 1") == 1
    assert q("SELECT price FROM item WHERE id = 1") == [(40,)]
    # a table that is read but not written may be in a subquery
    assert q("UPDATE item, upd SET item.sku = 'q' WHERE item.id = upd.item_id AND "
             "upd.item_id IN (SELECT item_id FROM upd WHERE note = 'x')") == 1


@pytest.mark.parametrize("sql", [
    "DELETE x FROM item AS x JOIN upd AS x",
    "DELETE item FROM item JOIN item",
    "UPDATE item JOIN item SET item.price = 1",
    "SELECT * FROM item, (SELECT 1) AS item",
])
def test_duplicate_alias_is_1066(shop, sql):
    q = shop
    with pytest.raises(core.Error) as e:
        q(sql)
    assert e.value.errno == 1066
    assert q("SELECT COUNT(*) FROM item") == [(4,)]
