"""Prefix index keys (`UNIQUE (a(10))`, `KEY (b(20))`, `CREATE INDEX i ON t (a(5), c)`), with
MySQL 8's answers: an entry keeps the first N characters (bytes for a binary column), a
UNIQUE prefix rejects rows whose prefixes collide, a lookup through a prefix finds the rows
whose full value matches and no other, and every user of index entries (the writes, CHECK
TABLE, ADMIN CHECK / RECOVER / CLEANUP / REPAIR / SHOW INDEX INCONSISTENCIES, the dump) agrees
on the cut."""

from __future__ import annotations

import io
import random

import pytest

import core
from core import faults
from core.catalog.model import IndexInfo
from core.codec import decode_row, decode_row_key, index_prefix, prefix_next, row_prefix
from core.codec.entries import index_entry
from core.dump import dump

WRONG_SUB_KEY = ("Incorrect prefix key; the used key part isn't a string, the used length is "
                 "longer than the key part, or the storage engine doesn't support unique "
                 "prefix keys")


def _err(q, sql) -> core.Error:
    with pytest.raises(core.Error) as ei:
        q(sql)
    return ei.value


@pytest.fixture
def t(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(100), b TEXT, c INT, "
      "UNIQUE (a(10)), KEY kb (b(3)))")
    q("INSERT INTO t VALUES (1, 'abcdefghijABC', 'xyz1', 1), (2, 'abcdefghiZ', 'xyz2', 2), "
      "(3, 'abcdefghi', 'xy', 3), (4, NULL, NULL, 4), (5, NULL, 'xyz', 5)")
    return q


# -- definitions ------------------------------------------------------------------------------


def test_the_three_ways_to_define_one_and_how_they_show(q):
    q("CREATE TABLE t (a VARCHAR(100), b TEXT, c INT, d VARBINARY(8), "
      "UNIQUE (a(10)), KEY (b(20)))")
    q("CREATE INDEX i ON t (a(4), c)")
    q("CREATE UNIQUE INDEX u ON t (`d`(2) DESC)")
    q("ALTER TABLE t ADD INDEX (a(5), c)")
    create = q("SHOW CREATE TABLE t")[0][1]
    assert ("  UNIQUE KEY `a` (`a`(10)),\n  KEY `b` (`b`(20)),\n  KEY `i` (`a`(4),`c`),\n"
            "  UNIQUE KEY `u` (`d`(2)),\n  KEY `a_2` (`a`(5),`c`)\n") in create
    shown = [(r[2], r[3], r[4], r[7]) for r in q("SHOW INDEX FROM t")]
    assert shown == [("a", 1, "a", 10), ("b", 1, "b", 20), ("i", 1, "a", 4), ("i", 2, "c", None),
                     ("u", 1, "d", 2), ("a_2", 1, "a", 5), ("a_2", 2, "c", None)]
    stats = q("SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART FROM "
              "information_schema.STATISTICS WHERE TABLE_NAME = 't'")
    assert [tuple(r) for r in stats] == shown


def test_a_prefix_as_long_as_the_column_is_the_whole_column(q):
    q("CREATE TABLE t (a VARCHAR(10), b CHAR(4), KEY ka (a(10)), UNIQUE KEY kb (b(4)))")
    assert [r[7] for r in q("SHOW INDEX FROM t")] == [None, None]
    assert "KEY `ka` (`a`)" in q("SHOW CREATE TABLE t")[0][1]


def test_definitions_mysql_refuses(q):
    q("CREATE TABLE base (a VARCHAR(10), n INT, d DATE, x DECIMAL(5,2), b TEXT, y BLOB)")
    for sql in ("CREATE TABLE e1 (a VARCHAR(10), KEY (a(11)))",
                "CREATE TABLE e2 (a CHAR(3), UNIQUE (a(4)))",
                "CREATE TABLE e3 (n INT, KEY (n(2)))",
                "CREATE INDEX i ON base (d(3))",
                "ALTER TABLE base ADD INDEX (x(1))",
                "CREATE INDEX i ON base (a(20))",
                "CREATE TABLE e4 (a VARCHAR(10), n INT, PRIMARY KEY (n(1)))"):
        e = _err(q, sql)
        assert (e.errno, e.sqlstate, e.msg) == (1089, "HY000", WRONG_SUB_KEY), sql
    e = _err(q, "CREATE INDEX i ON base (a(0))")
    assert (e.errno, e.msg) == (1391, "Key part 'a' length cannot be 0")
    e = _err(q, "CREATE INDEX i ON base (b)")  # TEXT/BLOB still need a length
    assert (e.errno, e.msg) == (1170, "BLOB/TEXT column 'b' used in key specification "
                                      "without a key length")
    assert _err(q, "CREATE TABLE e5 (y BLOB PRIMARY KEY)").errno == 1170
    # a key part counts 4 bytes a character (utf8mb4), 1 a byte for a binary column
    assert _err(q, "CREATE UNIQUE INDEX i ON base (b(769))").errno == 1071
    q("CREATE UNIQUE INDEX ok1 ON base (b(768))")
    q("CREATE UNIQUE INDEX ok2 ON base (y(3072))")
    assert _err(q, "CREATE INDEX i ON base (b(700), y(300))").errno == 1071
    assert q("SHOW CREATE TABLE base")[0][1].count("KEY") == 2  # nothing else was added


def test_a_plain_key_too_long_is_cut_with_a_warning(q):
    # MySQL cuts a non-unique key's too-long TEXT/BLOB prefix to what fits, with warning 1071
    q("CREATE TABLE t (b TEXT, KEY kb (b(1000)))")
    assert q("SHOW WARNINGS") == [("Warning", 1071, "Specified key was too long; max key "
                                                    "length is 3072 bytes")]
    assert q("SHOW INDEX FROM t")[0][7] == 768


# -- what the entries hold --------------------------------------------------------------------


def test_unique_prefix_rejects_colliding_prefixes(t):
    e = _err(t, "INSERT INTO t VALUES (6, 'abcdefghijXYZ', 'q', 6)")
    assert (e.errno, e.sqlstate, e.msg) == (
        1062, "23000", "Duplicate entry 'abcdefghij' for key 't.a'")
    t("INSERT INTO t VALUES (6, 'abcdefghiY', 'q', 6), (7, NULL, 'q', 7)")  # NULLs never collide
    e = _err(t, "UPDATE t SET a = 'abcdefghiZ--' WHERE id = 6")
    assert e.msg == "Duplicate entry 'abcdefghiZ' for key 't.a'"
    assert t("SELECT COUNT(*) FROM t") == [(7,)]


def test_characters_not_bytes_and_bytes_for_binary(q):
    q("CREATE TABLE u (a VARCHAR(10), v VARBINARY(10), UNIQUE KEY ua (a(3)), "
      "UNIQUE KEY uv (v(3)))")
    q("INSERT INTO u VALUES ('日本語x', 'abc1')")
    q("INSERT INTO u VALUES ('日本x', 'abd1')")  # first 3 characters differ
    e = _err(q, "INSERT INTO u VALUES ('日本語y', 'zzz')")
    assert e.msg == "Duplicate entry '日本語' for key 'u.ua'"
    q("INSERT INTO u VALUES ('éé', x'c3a9c3')")  # 3 bytes of a binary column
    e = _err(q, "INSERT INTO u VALUES ('ü', x'c3a9c3a9')")
    assert e.errno == 1062 and e.msg.endswith("for key 'u.uv'")
    assert q("SELECT a FROM u WHERE a = '日本語x'") == [("日本語x",)]
    assert q("SELECT a FROM u WHERE a = '日本語'") == []


def test_upsert_and_replace_meet_the_prefix_conflict(t):
    t("INSERT INTO t VALUES (8, 'abcdefghijQQ', 'n', 8) ON DUPLICATE KEY UPDATE c = 100")
    assert t("SELECT id, a, c FROM t WHERE c = 100") == [(1, "abcdefghijABC", 100)]
    assert t("REPLACE INTO t VALUES (9, 'abcdefghij!', 'n', 9)") == 2
    assert t("SELECT id, a FROM t WHERE a LIKE 'abcdefghij%'") == [(9, "abcdefghij!")]
    assert t("ADMIN CHECK TABLE t") == 0


# -- lookups re-check the whole value ---------------------------------------------------------


def test_point_and_in_lookups_return_only_full_matches(t):
    plan = t("EXPLAIN SELECT * FROM t WHERE a = 'abcdefghijXYZ'")
    assert any("IndexLookUp" in str(r) and "index:a" in str(r) for r in plan), plan
    assert t("SELECT id FROM t WHERE a = 'abcdefghijXYZ'") == []
    assert t("SELECT id FROM t WHERE a = 'abcdefghij'") == []
    assert t("SELECT id FROM t WHERE a = 'abcdefghijABC'") == [(1,)]
    assert t("SELECT id FROM t WHERE a IN ('abcdefghijABCD', 'abcdefghi', 'abcdefghijABC') "
             "ORDER BY id") == [(1,), (3,)]
    assert t("SELECT id FROM t WHERE b = 'xyz' ORDER BY id") == [(5,)]
    assert t("SELECT id FROM t WHERE b = 'xyz1'") == [(1,)]
    # UPDATE and DELETE find their rows the same way
    assert t("UPDATE t SET c = 0 WHERE a = 'abcdefghijXYZ'") == 0
    assert t("DELETE FROM t WHERE a = 'abcdefghij' OR b = 'xyz12'") == 0
    assert t("UPDATE t SET c = 0 WHERE a IN ('abcdefghijABC', 'abcdefghiZZ')") == 1
    assert t("DELETE FROM t WHERE b = 'xy'") == 1
    assert t("SELECT id, c FROM t ORDER BY id") == [(1, 0), (2, 2), (4, 4), (5, 5)]


def test_range_lookups_return_only_rows_in_range(t):
    cases = {
        "a > 'abcdefghij'": [1],
        "a >= 'abcdefghijABC'": [1],
        "a > 'abcdefghijABC'": [],
        "a < 'abcdefghijABC'": [2, 3],
        "a <= 'abcdefghijABC'": [1, 2, 3],
        "a BETWEEN 'abcdefghi' AND 'abcdefghijA'": [2, 3],
        "a BETWEEN 'abcdefghiZ' AND 'abcdefghijABB'": [2],
        "b > 'xyz'": [1, 2],
        "b >= 'xy' AND b < 'xyz1'": [3, 5],
    }
    for cond, ids in cases.items():
        got = [r[0] for r in t(f"SELECT id FROM t FORCE INDEX (a, kb) WHERE {cond} ORDER BY id")]
        assert got == ids, cond


def test_a_prefix_index_agrees_with_a_scan(q):
    """Random strings over a small alphabet, so prefixes collide a lot: every condition read
    through the prefix index returns what a full scan returns."""
    rnd = random.Random(15)
    q("CREATE TABLE r (id INT PRIMARY KEY, s VARCHAR(6), n INT, KEY ks (s(2), n))")
    words = ["".join(rnd.choice("ab") for _ in range(rnd.randint(0, 5))) for _ in range(120)]
    q.cursor.executemany("INSERT INTO r VALUES (%s, %s, %s)",
                         [(i, None if i % 17 == 0 else w, i % 3)
                          for i, w in enumerate(words)])
    probes = sorted(set(words[:25])) + ["a", "b", "ab", "ba", "abx", ""]
    for p in probes:
        for cond in (f"s = '{p}'", f"s > '{p}'", f"s >= '{p}'", f"s < '{p}'", f"s <= '{p}'",
                     f"s = '{p}' AND n = 1", f"s = '{p}' AND n > 0",
                     f"s IN ('{p}', 'ab', 'b')"):
            via = q(f"SELECT id FROM r FORCE INDEX (ks) WHERE {cond} ORDER BY id")
            scan = q(f"SELECT id FROM r IGNORE INDEX (ks) WHERE {cond} ORDER BY id")
            assert via == scan, cond
    assert "IndexLookUp" in str(q("EXPLAIN SELECT id FROM r WHERE s = 'ab' AND n = 1"))


def test_order_by_reads_through_a_prefix_index_still_sorts_full_values(q):
    q("CREATE TABLE o (s VARCHAR(10), KEY ks (s(1)))")
    q("INSERT INTO o VALUES ('bz'), ('ba'), ('a9'), ('bb'), ('a1')")
    got = q("SELECT s FROM o FORCE INDEX (ks) WHERE s >= 'a' ORDER BY s")
    assert got == [("a1",), ("a9",), ("ba",), ("bb",), ("bz",)]
    assert q("SELECT s FROM o FORCE INDEX (ks) ORDER BY s DESC LIMIT 2") == [("bz",), ("bb",)]


def test_index_join_through_a_prefix_checks_the_whole_value(t):
    t("CREATE TABLE w (k VARCHAR(20))")
    t("INSERT INTO w VALUES ('abcdefghijABC'), ('abcdefghijXYZ'), ('abcdefghi'), ('xyz')")
    sql = "SELECT w.k, t.id FROM w JOIN t ON t.a = w.k ORDER BY t.id"
    assert "IndexJoin" in str(t("EXPLAIN " + sql))
    assert t(sql) == [("abcdefghijABC", 1), ("abcdefghi", 3)]
    sql = "SELECT w.k, t.id FROM w LEFT JOIN t ON t.b = w.k ORDER BY w.k"
    assert t(sql) == [("abcdefghi", None), ("abcdefghijABC", None), ("abcdefghijXYZ", None),
                      ("xyz", 5)]


# -- a primary key with a prefix -------------------------------------------------------------


def test_primary_key_with_a_prefix_is_a_nonclustered_unique_key(q):
    q("CREATE TABLE p (a VARCHAR(100), b INT, PRIMARY KEY (a(3)))")
    assert "PRIMARY KEY (`a`(3)) /*T![clustered_index] NONCLUSTERED */" in \
        q("SHOW CREATE TABLE p")[0][1]
    assert q("SHOW INDEX FROM p")[0][2:8] == ("PRIMARY", 1, "a", "A", 0, 3)
    q("INSERT INTO p VALUES ('abcd', 1), ('xyz', 2)")
    e = _err(q, "INSERT INTO p VALUES ('abce', 3)")
    assert e.msg == "Duplicate entry 'abc' for key 'p.PRIMARY'"
    e = _err(q, "INSERT INTO p VALUES (NULL, 3)")
    assert e.errno == 1048  # a primary key column is NOT NULL
    assert q("SELECT b FROM p WHERE a = 'abcd'") == [(1,)]
    assert q("SELECT b FROM p WHERE a = 'abc'") == []
    q("UPDATE p SET a = 'abcz' WHERE b = 1")
    assert q("SELECT a FROM p WHERE a = 'abcz'") == [("abcz",)]
    assert q("ADMIN CHECK TABLE p") == 0
    assert q("ADMIN CHECK INDEX p PRIMARY") == 0


# -- checks and repairs agree on the cut ------------------------------------------------------


def _needed_and_stored(conn, table: str, index: str) -> tuple[dict, dict]:
    """The entries the rows need (cut here, independently of the engine's own cut) and
    those the index holds."""
    db = conn._db
    with db.engine.snapshot() as snap:
        tab = db.schema(snap).table(conn.database, table)
        ix = next(i for i in tab.indexes if i.name == index)
        pos = [tab.column_index(c) for c in ix.columns]
        cuts = ix.lengths or [None] * len(pos)
        lo = row_prefix(tab.id)
        needed = {}
        for k, v in snap.scan(tab.id, lo, prefix_next(lo)):
            row = decode_row(bytes(v))
            vals = [row[p] if n is None or row[p] is None else row[p][:n]
                    for p, n in zip(pos, cuts, strict=True)]
            ek, ev = index_entry(tab.id, ix.id, ix.unique, vals, decode_row_key(bytes(k))[1])
            needed[ek] = ev
        lo = index_prefix(tab.id, ix.id)
        stored = {bytes(k): bytes(v) for k, v in snap.scan(tab.id, lo, prefix_next(lo))}
    return needed, stored


@pytest.fixture
def big(conn, q):
    q("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(40), b BLOB, "
      "UNIQUE KEY ua (a(6)), KEY kb (b(2)))")
    q.cursor.executemany("INSERT INTO t VALUES (%s, %s, %s)",
                         [(i, None if i % 11 == 0 else f"{i:06d}-tail-{i % 7}",
                           None if i % 13 == 0 else bytes([i % 5, i % 3, i % 256]))
                          for i in range(1, 301)])
    q("UPDATE t SET a = CONCAT(a, 'x') WHERE id % 5 = 0")
    q("DELETE FROM t WHERE id % 9 = 0")
    return q


def test_writes_keep_the_entries_exact_and_every_check_agrees(conn, big):
    for name in ("ua", "kb"):
        needed, stored = _needed_and_stored(conn, "t", name)
        assert needed == stored and len(stored) == 267
    assert big("ADMIN CHECK TABLE t") == 0
    assert big("ADMIN CHECK INDEX t ua") == 0
    assert big("CHECK TABLE t EXTENDED") == [("test.t", "check", "status", "OK")]
    assert big("ADMIN SHOW INDEX INCONSISTENCIES t") == [
        ("ua", 267, 267, 0, 0, 0, None), ("kb", 267, 267, 0, 0, 0, None)]


def test_repairs_rebuild_cut_entries(conn, big):
    faults.remove_index_entries(conn, "t", "ua", [1, 2, 3])
    faults.remove_index_entries(conn, "t", "kb", [4])
    faults.remove_rows_keep_index(conn, "t", [10])
    rows = big("ADMIN SHOW INDEX INCONSISTENCIES t ua")
    assert rows[0][:6] == ("ua", 266, 264, 3, 1, 0)
    assert 'values: [KindString 000001]' in rows[0][6]  # the row's values, cut as stored
    assert big("ADMIN RECOVER INDEX t ua") == [(3, 266)]
    assert big("ADMIN CLEANUP INDEX t ua") == [(1,)]
    assert big("ADMIN REPAIR INDEX t kb") == [(1, 1, 266)]
    for name in ("ua", "kb"):
        needed, stored = _needed_and_stored(conn, "t", name)
        assert needed == stored
    assert big("ADMIN CHECK TABLE t") == 0


def test_add_index_backfills_cut_entries_and_refuses_colliding_prefixes(conn, big):
    big("CREATE INDEX ka ON t (a(3), id)")
    needed, stored = _needed_and_stored(conn, "t", "ka")
    assert needed == stored and len(stored) == 267
    e = _err(big, "ALTER TABLE t ADD UNIQUE KEY u2 (a(3))")
    assert e.errno == 1062 and e.msg.endswith("for key 't.u2'")
    assert "u2" not in big("SHOW CREATE TABLE t")[0][1]


# -- what outlives the statement --------------------------------------------------------------


def test_the_catalog_keeps_prefixes_and_reads_older_indexes():
    old = {"id": 2, "name": "k", "columns": ["a"], "unique": False, "primary": False,
           "state": "public"}
    ix = IndexInfo.from_dict(old)
    assert ix.lengths == [] and ix.to_dict() == old  # unchanged bytes for an older index
    cut = IndexInfo(3, "p", ["a", "n"], lengths=[2, None])
    assert IndexInfo.from_dict(cut.to_dict()) == cut
    assert cut.key_values(["abc", 7]) == ["ab", 7] and cut.key_values([None, 1]) == [None, 1]


def test_prefixes_survive_a_reopen_and_a_dump(tmp_path):
    path = str(tmp_path / "src")
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a VARCHAR(50), b TEXT, UNIQUE KEY ua (a(4)), "
                     "KEY kb (b(2)), PRIMARY KEY (a(8)))")
        conn.execute("INSERT INTO t VALUES ('abcd1', 'xy1'), ('zzzz', 'xy2')")
        before = conn.execute("SHOW CREATE TABLE t").fetchall()
    with core.connect(path, autocommit=True) as conn:
        assert conn.execute("SHOW CREATE TABLE t").fetchall() == before
        with pytest.raises(core.Error) as ei:
            conn.execute("INSERT INTO test.t VALUES ('abcd2', 'q')")
        assert ei.value.msg == "Duplicate entry 'abcd' for key 't.ua'"
    out = io.StringIO()
    dump(path, out)
    with core.connect(str(tmp_path / "dst"), create=True, autocommit=True) as conn:
        conn.cursor().executescript(out.getvalue())
        assert conn.execute("SHOW CREATE TABLE test.t").fetchall() == before
        assert conn.execute("SELECT b FROM test.t WHERE a = 'abcd1'").fetchall() == [("xy1",)]
        assert conn.execute("ADMIN CHECK TABLE test.t").rowcount == 0
        with pytest.raises(core.Error) as ei:
            conn.execute("INSERT INTO test.t VALUES ('zzzz9', 'q')")
        assert ei.value.errno == 1062
