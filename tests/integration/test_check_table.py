"""CHECK TABLE: MySQL's result shape (`Table, Op, Msg_type, Msg_text`, last row `status OK` or
`error Corrupt`), its modes, several tables at once, a missing table or tablespace, and the
row rules QUICK verifies (checksums, NOT NULL, types, the key against the row), on real
files damaged behind the engine's back."""

from __future__ import annotations

import glob
import os

import lmdb
import pytest

import core
from core.catalog.model import IndexInfo, TableInfo
from core.check.table import EXTENDED, MEDIUM, QUICK, check_table, cross_check_indexes, mode_of
from core.codec import decode_row_key, encode_row
from core.codec.entries import index_entry
from core.sql.table import TableReader

COLS = ["Table", "Op", "Msg_type", "Msg_text"]


def _conn(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, **kw)


def _q(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchall() if cur.description else None


def _build(path, n=30) -> None:
    conn = _conn(path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY, b INT NOT NULL, s VARCHAR(20), KEY ib (b))")
    _q(cur, "CREATE TABLE u (a VARCHAR(10), b INT, PRIMARY KEY (a, b), UNIQUE KEY ub (b))")
    _q(cur, "CREATE TABLE r (x INT, y DOUBLE, KEY ix (x))")  # a rowid table
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", [(i, i, f"s{i}") for i in range(n)])
    cur.executemany("INSERT INTO u VALUES (%s, %s)", [(f"a{i}", i) for i in range(n)])
    cur.executemany("INSERT INTO r VALUES (%s, %s)", [(i % 5, i / 2) for i in range(n)])
    _q(cur, "INSERT INTO r VALUES (NULL, NULL)")
    conn.close()


def _edit_t(path, fn) -> None:
    env = lmdb.open(glob.glob(os.path.join(str(path), "test", "t.kdb"))[0], subdir=False,
                    max_dbs=4, lock=False)
    try:
        with env.begin(write=True, db=env.open_db(b"data", create=False)) as txn:
            fn(txn)
    finally:
        env.close()


def _put_row(path, handle: int, values: list) -> None:
    def fn(txn):
        for k, _v in txn.cursor():
            if k[9:11] == b"_r" and decode_row_key(k)[1] == handle:
                txn.put(bytes(k), encode_row(values))
                return
        raise AssertionError(handle)
    _edit_t(path, fn)


def test_shapes_of_ok_modes_several_tables_and_a_missing_one(tmp_path):
    _build(tmp_path)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    for opt in ("", " QUICK", " EXTENDED", " FAST", " MEDIUM", " FOR UPGRADE"):
        cur.execute("CHECK TABLE t" + opt)
        assert [d[0] for d in cur.description] == COLS
        assert cur.fetchall() == [("test.t", "check", "status", "OK")]
    rows = _q(cur, "CHECK TABLE t, test.u, r, nosuch EXTENDED")
    assert rows == [
        ("test.t", "check", "status", "OK"),
        ("test.u", "check", "status", "OK"),
        ("test.r", "check", "status", "OK"),
        ("test.nosuch", "check", "Error", "Table 'test.nosuch' doesn't exist"),
        ("test.nosuch", "check", "status", "Operation failed"),
    ]
    conn.close()


def test_quick_finds_null_type_and_key_problems(tmp_path):
    _build(tmp_path)
    _put_row(tmp_path, 3, [3, None, "s3"])  # NULL in a NOT NULL column
    _put_row(tmp_path, 4, [4, "four", "s4"])  # a string in an INT column
    _put_row(tmp_path, 5, [55, 5, "s5"])  # the row's key says 5, the row says 55
    _put_row(tmp_path, 6, [6, 6])  # a value missing
    conn = _conn(tmp_path)
    cur = conn.cursor()
    rows = _q(cur, "CHECK TABLE t QUICK")
    texts = [r[3] for r in rows[:-1]]
    assert all(r[:3] == ("test.t", "check", "Warning") for r in rows[:-1])
    assert rows[-1] == ("test.t", "check", "error", "Corrupt")
    assert "NULL value in t.b (row 3)" in texts
    assert any(t.startswith("row 4: t.b holds a str") for t in texts)
    assert any(t.startswith("row 5 holds primary key 55") for t in texts)
    assert any(t.startswith("row 6 has 2 values") for t in texts)
    assert not any("index" in t for t in texts)  # QUICK does not look at the indexes
    flags = conn._db.flags.all()
    assert [(f.table, f.index_id) for f in flags] == [("test.t", 0)]
    conn.close()


def test_medium_counts_and_extended_cross_checks_both_ways(tmp_path):
    _build(tmp_path)

    def fn(txn):  # add an entry of ib for a row that does not exist (a dangling entry)
        for k, _v in txn.cursor():
            if k[9:11] == b"_i":
                tid = decode_row_key(next(kk for kk, _ in txn.cursor()
                                          if kk[9:11] == b"_r"))[0]
                key, value = index_entry(tid, 2, False, [999], 999)
                assert k[:19] == key[:19]
                txn.put(key, value)
                return
    _edit_t(tmp_path, fn)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    assert _q(cur, "CHECK TABLE t") == [
        ("test.t", "check", "Warning", "index ib contains 31 entries, should be 30"),
        ("test.t", "check", "error", "Corrupt")]
    rows = _q(cur, "CHECK TABLE t EXTENDED")
    assert rows[0][3].startswith("index ib has an entry for row 999 that no row needs")
    assert rows[1][3] == "index ib contains 31 entries, should be 30"
    assert rows[-1][2:] == ("error", "Corrupt")
    conn.close()


def test_the_core_functions_on_a_snapshot(tmp_path):
    _build(tmp_path)
    conn = _conn(tmp_path)
    with conn._db.engine.snapshot() as snap:
        schema = conn._db.schema(snap)
        for name in ("t", "u", "r"):
            table = schema.table("test", name)
            for mode in (QUICK, MEDIUM, EXTENDED):
                assert check_table(snap, table, mode) == []
            assert cross_check_indexes(snap, table) == []
    assert mode_of(None) == MEDIUM and mode_of("extended") == EXTENDED
    assert mode_of("QUICK") == QUICK and mode_of("FAST MEDIUM") == MEDIUM
    conn.close()


@pytest.mark.parametrize("handle_kind", ["int", "clustered", "rowid"])
def test_codec_index_entries_match_the_write_path(handle_kind):
    """CHECK computes entries with core.codec.entries; rows are written by TableReader: the
    two must agree byte for byte, or CHECK would call a sound index corrupt."""
    from core.catalog.model import ColumnInfo, type_from_sql

    cols = [ColumnInfo(1, "a", type_from_sql("INT")), ColumnInfo(2, "b", type_from_sql(
        "VARCHAR(10)"))]
    ixs = [IndexInfo(2, "ua", ["b"], unique=True), IndexInfo(3, "nb", ["b", "a"])]
    handle = {"int": 7, "clustered": b"\x03\x80\x00\x00\x00\x00\x00\x00\x07",
              "rowid": 7}[handle_kind]
    if handle_kind == "clustered":
        ixs = ixs[1:]
    t = TableInfo(42, "db", "t", cols, ixs, handle={"int": "int", "clustered": "clustered",
                                                    "rowid": "rowid"}[handle_kind],
                  pk_columns=["a"] if handle_kind != "rowid" else [])
    reader = TableReader(t)
    for row in ([7, "x"], [7, None]):
        for ix in ixs:
            vals = [row[t.column_index(c)] for c in ix.columns]
            assert index_entry(42, ix.id, ix.unique, vals, handle) == \
                reader.index_entry(ix, row, handle)


def test_missing_tablespace_and_read_only(tmp_path):
    _build(tmp_path)
    os.remove(glob.glob(os.path.join(str(tmp_path), "test", "u.kdb"))[0])
    conn = _conn(tmp_path, force_recovery=1)
    cur = conn.cursor()
    assert conn._db.missing_spaces()  # a forced open goes on without the file
    assert ("u",) in _q(cur, "SHOW TABLES")
    with pytest.raises(core.OperationalError) as e:
        _q(cur, "SELECT * FROM u")
    assert e.value.errno == 1812 and e.value.msg == "Tablespace is missing for table `test`.`u`."
    rows = _q(cur, "CHECK TABLE t, u")
    assert rows == [
        ("test.t", "check", "status", "OK"),
        ("test.u", "check", "Error", "Tablespace is missing for table `test`.`u`."),
        ("test.u", "check", "status", "Operation failed"),
    ]
    conn.close()


def test_check_table_is_cancellable(tmp_path):
    _build(tmp_path, n=20000)
    conn = _conn(tmp_path)
    session = conn._session
    import threading

    def cancel_soon():
        import time

        for _ in range(200):
            if session.running is not None and session.cancel():
                return
            time.sleep(0.001)

    th = threading.Thread(target=cancel_soon)
    th.start()
    with pytest.raises(core.OperationalError) as e:
        for _ in range(20):
            _q(conn.cursor(), "CHECK TABLE t EXTENDED")
    th.join()
    assert e.value.errno == 1317
    conn.close()


def test_extended_in_groups_when_the_expected_entries_do_not_fit(tmp_path, monkeypatch):
    """A big table's expected index entries are checked a group of indexes at a time (one
    more scan of the rows per group): the same findings, bounded memory."""
    import core.check.table as table_mod

    _build(tmp_path)
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "CREATE INDEX ib2 ON t (s)")
    _q(cur, "CREATE INDEX ib3 ON t (b, s)")
    conn.close()

    def fn(txn):  # drop ib's entry of row 4 (ib is index 2: the first after PRIMARY)
        from core.codec import decode_index_key

        for k, _v in txn.cursor():
            if k[9:11] == b"_i" and decode_index_key(k, 1)[1] == 2 and \
                    decode_index_key(k, 1)[3] == 4:
                txn.delete(k)
                return
        raise AssertionError("no entry")
    _edit_t(tmp_path, fn)
    monkeypatch.setattr(table_mod, "MAX_EXPECTED", 40)  # 30 rows x 3 indexes: 3 groups
    conn = _conn(tmp_path)
    cur = conn.cursor()
    rows = _q(cur, "CHECK TABLE t EXTENDED")
    assert rows == [("test.t", "check", "Warning", "row 4 missing from index ib"),
                    ("test.t", "check", "Warning", "index ib contains 29 entries, should be 30"),
                    ("test.t", "check", "error", "Corrupt")]
    conn.close()
