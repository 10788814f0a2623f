"""Inner joins built in a chosen order (core.sql.plan.join_order): same rows, same column
order, no cross product where an equality connects the tables, and SQLite as the oracle."""

import random
import sqlite3

import pytest

from core.errors import ProgrammingError

N_TABLES = 8


def _chain(q, engine_rows: int = 12):
    """Tables t0..t7, each (a, b, x): t{i}.b = t{i+1}.a links them into a chain."""
    sql = []
    for i in range(N_TABLES):
        sql.append(f"CREATE TABLE t{i} (a INT PRIMARY KEY, b INT, x VARCHAR(10))")
        vals = ", ".join(f"({a}, {(a * 7 + i) % engine_rows}, 'r{i}_{a}')"
                         for a in range(engine_rows))
        sql.append(f"INSERT INTO t{i} VALUES {vals}")
    for s in sql:
        q(s)
    return sql


def _plan(q, sql: str) -> list[str]:
    return [r[0].strip("└├│─ ") + " " + r[3] for r in q("EXPLAIN " + sql)]


def test_eight_table_comma_join_has_no_cross_product(q):
    _chain(q)
    tables = [f"t{i}" for i in range(N_TABLES)]
    random.Random(5).shuffle(tables)
    conds = [f"t{i}.b = t{i + 1}.a" for i in range(N_TABLES - 1)]
    random.Random(6).shuffle(conds)
    sql = (f"SELECT t0.x, t7.x FROM {', '.join(tables)} WHERE {' AND '.join(conds)} "
           "AND t0.a = 3")
    plan = _plan(q, sql)
    assert not any(p.startswith("NestedLoopJoin") for p in plan), plan
    # t0.a = 3 picks one row; each step follows b -> a
    a = 3
    for i in range(N_TABLES - 1):
        a = (a * 7 + i) % 12
    assert q(sql) == [("r0_3", f"r7_{a}")]


def test_select_star_keeps_the_written_column_order(q):
    q("CREATE TABLE big (id INT PRIMARY KEY, v INT)")
    q("INSERT INTO big VALUES " + ", ".join(f"({i}, {i % 5})" for i in range(200)))
    q("CREATE TABLE small (id INT PRIMARY KEY, w VARCHAR(5))")
    q("INSERT INTO small VALUES (1, 'one'), (2, 'two')")
    sql = "SELECT * FROM big, small WHERE big.id = small.id"
    plan = _plan(q, sql)
    # the two-row table drives the join; the big one is read by key
    assert any("PointGet(big)" in p or "IndexLookUp(big" in p for p in plan), plan
    assert q(sql + " ORDER BY big.id") == [(1, 1, 1, "one"), (2, 2, 2, "two")]
    assert [d[0] for d in q.cursor.description] == ["id", "v", "id", "w"]


def test_straight_join_keeps_the_written_order(q):
    q("CREATE TABLE big (id INT PRIMARY KEY, v INT)")
    q("INSERT INTO big VALUES " + ", ".join(f"({i}, {i})" for i in range(50)))
    q("CREATE TABLE small (id INT PRIMARY KEY)")
    q("INSERT INTO small VALUES (7)")
    plan = _plan(q, "SELECT STRAIGHT_JOIN * FROM big, small WHERE big.id = small.id")
    assert not any("PointGet(big)" in p for p in plan), plan
    assert q("SELECT STRAIGHT_JOIN * FROM big, small WHERE big.id = small.id") == [(7, 7, 7)]


def test_on_condition_still_sees_only_tables_written_before_it(q):
    q("CREATE TABLE t (id INT PRIMARY KEY)")
    q("CREATE TABLE u (id INT PRIMARY KEY)")
    with pytest.raises(ProgrammingError) as e:
        q("SELECT * FROM t JOIN u ON v.id = u.id JOIN t v ON v.id = u.id")
    assert e.value.errno == 1054 and "on clause" in str(e.value)


def test_where_condition_across_a_left_join_keeps_its_meaning(q):
    q("CREATE TABLE a (id INT PRIMARY KEY)")
    q("CREATE TABLE b (id INT PRIMARY KEY, x INT)")
    q("CREATE TABLE c (id INT PRIMARY KEY)")
    q("INSERT INTO a VALUES (1), (2), (3)")
    q("INSERT INTO b VALUES (1, 10)")
    q("INSERT INTO c VALUES (1), (2), (3)")
    rows = q("SELECT a.id, b.x, c.id FROM a LEFT JOIN b ON a.id = b.id JOIN c ON c.id = a.id "
             "WHERE b.x IS NULL OR b.x + c.id = 11 ORDER BY a.id")
    assert rows == [(1, 10, 1), (2, None, 2), (3, None, 3)]


@pytest.mark.parametrize("seed", range(6))
def test_random_inner_joins_agree_with_sqlite(q, seed):
    rnd = random.Random(seed)
    lite = sqlite3.connect(":memory:")
    for i in range(5):
        ddl = f"CREATE TABLE r{i} (id INT PRIMARY KEY, k INT, v INT)"
        q(ddl)
        lite.execute(ddl)
        rows = [(j, rnd.randrange(6), rnd.choice([None, rnd.randrange(20)]))
                for j in range(rnd.randrange(1, 15))]
        ins = f"INSERT INTO r{i} VALUES " + ", ".join(
            "(" + ", ".join("NULL" if v is None else str(v) for v in r) + ")" for r in rows)
        q(ins)
        lite.execute(ins)
    for _ in range(25):
        names = rnd.sample([f"r{i}" for i in range(5)], rnd.randrange(2, 6))
        conds = []
        for a, b in zip(names, names[1:], strict=False):
            conds.append(f"{a}.{rnd.choice(['k', 'id', 'v'])} = {b}.{rnd.choice(['k', 'id'])}")
        if rnd.random() < 0.5:
            conds.append(f"{rnd.choice(names)}.v > {rnd.randrange(10)}")
        if rnd.random() < 0.3:
            conds.append(f"{names[0]}.k + {names[-1]}.k < 6")
        rnd.shuffle(conds)
        use_on = rnd.random() < 0.5
        if use_on:  # the same conditions as ON of an explicit join chain
            src = names[0] + "".join(
                f" JOIN {n} ON {conds[k] if k < len(conds) else '1=1'}"
                for k, n in enumerate(names[1:]))
            where = " AND ".join(conds[len(names) - 1:]) or "1=1"
            # an ON may only name tables already joined: fall back to commas if it does not
            if any(f"{n}." in conds[k] for k, _ in enumerate(names[1:]) if k < len(conds)
                   for n in names[k + 2:]):
                src, where = ", ".join(names), " AND ".join(conds)
        else:
            src, where = ", ".join(names), " AND ".join(conds)
        cols = ", ".join(f"{n}.id" for n in names)
        sql = f"SELECT {cols} FROM {src} WHERE {where}"
        assert sorted(q(sql), key=repr) == sorted(lite.execute(sql).fetchall(), key=repr), sql


def test_on_names_keep_their_meaning_when_reordered(q):
    """An ON condition moved to WHERE must not capture a later table's column: `x` is the
    outer query's here (only b and c are visible to that ON), as MySQL reads it."""
    q("CREATE TABLE a (id INT PRIMARY KEY, x INT)")
    q("CREATE TABLE b (id INT PRIMARY KEY, y INT)")
    q("CREATE TABLE c (id INT PRIMARY KEY, z INT)")
    q("INSERT INTO a VALUES (1, 1), (2, 2), (3, 5)")
    q("INSERT INTO b VALUES (1, 1), (2, 2), (3, 3)")
    q("INSERT INTO c VALUES (1, 5), (2, 1), (3, 1)")
    assert q("SELECT o.id, (SELECT COUNT(*) FROM b JOIN c ON c.id = x JOIN a ON a.id = b.id) "
             "FROM a o ORDER BY o.id") == [(1, 3), (2, 3), (3, 0)]
    q("ALTER TABLE c ADD INDEX (z)")
    q("CREATE TABLE c2 (id INT PRIMARY KEY, x INT)")
    q("INSERT INTO c2 VALUES (1, 7)")
    # x in the first ON can only be a.x; in WHERE it would be ambiguous with c2.x
    assert q("SELECT a.id FROM a JOIN b ON x = 1 JOIN c2 ON c2.id = b.id") == [(1,)]


@pytest.mark.parametrize("sql, expected", [
    # a parenthesised RIGHT JOIN keeps its own left side
    ("SELECT c.z, a.k, b.k FROM c, (a RIGHT JOIN b ON a.k = b.k)",
     [(1, 1, 1), (1, None, 3), (3, 1, 1), (3, None, 3)]),
    ("SELECT c.z, b.k FROM c CROSS JOIN (a RIGHT JOIN b USING (k)) WHERE k = 3",
     [(1, 3), (3, 3)]),
    # the comma binds looser than the RIGHT JOIN after a parenthesised item
    ("SELECT c.z, a.k, b.k FROM c, (a) RIGHT JOIN b ON a.k = b.k",
     [(1, 1, 1), (1, None, 3), (3, 1, 1), (3, None, 3)]),
    # an inner join's ON inside a group is not applied after a later RIGHT JOIN
    ("SELECT a.k, b.k FROM a JOIN (c LEFT JOIN b ON c.z = b.k + 10) ON a.k = b.y "
     "RIGHT JOIN b b2 ON 1 = 1 ORDER BY b2.k", [(None, None), (None, None)]),
])
def test_right_joins_in_groups(q, sql, expected):
    q("CREATE TABLE a (k INT, x INT)")
    q("CREATE TABLE b (k INT, y INT)")
    q("CREATE TABLE c (z INT)")
    q("INSERT INTO a VALUES (1, 10), (2, 20)")
    q("INSERT INTO b VALUES (1, 100), (3, 300)")
    q("INSERT INTO c VALUES (3), (1)")
    assert sorted(q(sql), key=repr) == sorted(expected, key=repr)
