"""ADMIN CHECK TABLE / ADMIN CHECK INDEX on a real engine: TiDB's exact texts for each kind of
inconsistency (reference section 1), the range form's examples, the errors for unknown
names, cancellation, the records and flags a check leaves, and a forced open."""

from __future__ import annotations

import threading
import time

import pytest

import core
from core import faults
from core.events import IndexAdminFinished, IndexAdminStarted


@pytest.fixture
def conn(tmp_path):
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    yield c
    c.close()


def q(conn, sql):
    cur = conn.execute(sql)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def err(conn, sql):
    with pytest.raises(core.Error) as e:
        q(conn, sql)
    return e.value.errno, e.value.msg


def checks(conn):
    return q(conn, "SELECT TABLE_NAME, INDEX_NAME, OPERATION, RESULT, ROWS_SCANNED, "
                   "ENTRIES_SCANNED, MISSING, DANGLING, MISMATCHED "
                   "FROM information_schema.KINTSUGI_INDEX_CHECKS")


@pytest.fixture
def admin_test(conn):
    """TiDB's admin_test shape: handles -10, -1, 0, 10; index c2 = handle * 2 (c2 of -1 is
    -10, as in TiDB's test)."""
    q(conn, "CREATE TABLE admin_test (c1 INT PRIMARY KEY, c2 INT, c3 INT DEFAULT 1, "
            "INDEX c2 (c2))")
    q(conn, "INSERT INTO admin_test (c1, c2) VALUES (-10, -20), (-1, -10), (0, 0), (10, 20)")
    return conn


def test_consistent_table_answers_no_rows_and_is_recorded(admin_test):
    conn = admin_test
    cur = conn.execute("ADMIN CHECK TABLE admin_test")
    assert cur.description is None and cur.rowcount == 0  # no result set: "Query OK"
    assert q(conn, "ADMIN CHECK INDEX admin_test c2") == 0
    assert checks(conn) == [("admin_test", "c2", "check", "consistent", 4, 4, 0, 0, 0)]


def test_missing_entry_is_tidbs_8223(admin_test):
    faults.remove_index_entries(admin_test, "admin_test", "c2", [-1])
    assert err(admin_test, "ADMIN CHECK TABLE admin_test") == (
        8223, 'data inconsistency in table: admin_test, index: c2, handle: -1, '
              'index-values:"" != record-values:"handle: -1, values: [KindInt64 -10]"')
    # CHECK INDEX: the counts differ, so TiDB's CHECK INDEX answers 8003 straight away
    assert err(admin_test, "ADMIN CHECK INDEX admin_test c2") == (
        8003, "table count 4 != index(c2) count 3")
    assert checks(admin_test) == [
        ("admin_test", "c2", "check", "inconsistent", 4, 3, None, None, None)]


def test_dangling_entry_is_tidbs_8223(admin_test):
    faults.remove_rows_keep_index(admin_test, "admin_test", [0])
    assert err(admin_test, "ADMIN CHECK TABLE admin_test") == (
        8223, 'data inconsistency in table: admin_test, index: c2, handle: 0, '
              'index-values:"handle: 0, values: [KindInt64 0]" != record-values:""')
    assert err(admin_test, "ADMIN CHECK INDEX admin_test c2") == (
        8003, "table count 3 != index(c2) count 4")


def test_value_mismatch_is_tidbs_8223_for_both_statements(admin_test):
    faults.change_index_entry(admin_test, "admin_test", "c2", 10, [19])
    text = ('data inconsistency in table: admin_test, index: c2, handle: 10, '
            'index-values:"handle: 10, values: [KindInt64 19]" != '
            'record-values:"handle: 10, values: [KindInt64 20]"')
    assert err(admin_test, "ADMIN CHECK TABLE admin_test") == (8223, text)
    assert err(admin_test, "ADMIN CHECK INDEX admin_test c2") == (8223, text)


def test_first_difference_is_the_smallest_handle(admin_test):
    faults.add_dangling_index_entry(admin_test, "admin_test", "c2", [5], 7)
    faults.remove_index_entries(admin_test, "admin_test", "c2", [0])
    errno, msg = err(admin_test, "ADMIN CHECK TABLE admin_test")
    assert errno == 8223 and "handle: 0," in msg and 'index-values:""' in msg


def test_the_inconsistent_index_is_flagged_and_a_clean_check_clears_it(admin_test):
    conn = admin_test
    faults.remove_index_entries(conn, "admin_test", "c2", [10])
    err(conn, "ADMIN CHECK TABLE admin_test")
    flags = q(conn, "SELECT TABLE_NAME, INDEX_NAME, LEVEL FROM "
                    "information_schema.KINTSUGI_CORRUPTION_FLAGS")
    assert flags == [("admin_test", "c2", "index")]
    # the planner reads around the flagged index: the row is still found
    assert q(conn, "SELECT c1 FROM admin_test WHERE c2 = 20") == [(10,)]
    q(conn, "ADMIN RECOVER INDEX admin_test c2") if _has_repair(conn) else \
        faults.add_dangling_index_entry(conn, "admin_test", "c2", [20], 10)
    q(conn, "ADMIN CHECK TABLE admin_test")
    assert q(conn, "SELECT * FROM information_schema.KINTSUGI_CORRUPTION_FLAGS") == []


def _has_repair(conn) -> bool:
    try:
        conn.execute("ADMIN CLEANUP INDEX nosuch_table_x i")
    except core.Error as e:
        return e.errno != 1235
    return True


def test_unique_composite_string_and_nullable_indexes(conn):
    q(conn, "CREATE TABLE t (id BIGINT PRIMARY KEY, s VARCHAR(20), n INT, "
            "UNIQUE INDEX us (s), INDEX sn (s, n), UNIQUE INDEX un (n))")
    conn.cursor().executemany("INSERT INTO t VALUES (%s, %s, %s)",
                              [(i, f"name{i}", None if i % 3 else i) for i in range(1, 31)])
    q(conn, "ADMIN CHECK TABLE t")
    faults.remove_index_entries(conn, "t", "un", [2])  # an entry with NULL in a unique index
    assert err(conn, "ADMIN CHECK INDEX t un")[0] == 8003
    assert err(conn, "ADMIN CHECK TABLE t")[1] == (
        'data inconsistency in table: t, index: un, handle: 2, index-values:"" != '
        'record-values:"handle: 2, values: [KindNull <nil>]"')
    faults.change_index_entry(conn, "t", "sn", 5, ["name5", 7])
    assert err(conn, "ADMIN CHECK INDEX t sn")[1] == (
        'data inconsistency in table: t, index: sn, handle: 5, '
        'index-values:"handle: 5, values: [KindString name5 KindInt64 7]" != '
        'record-values:"handle: 5, values: [KindString name5 KindNull <nil>]"')
    faults.add_dangling_index_entry(conn, "t", "us", ["ghost"], 99)
    assert err(conn, "ADMIN CHECK INDEX t us") == (8003, "table count 30 != index(us) count 31")


def test_empty_tables_and_huge_handles(conn):
    q(conn, "CREATE TABLE e (a BIGINT PRIMARY KEY, b INT, INDEX ib (b))")
    q(conn, "ADMIN CHECK TABLE e")
    faults.add_dangling_index_entry(conn, "e", "ib", [1], -2**63)
    assert err(conn, "ADMIN CHECK TABLE e")[1] == (
        'data inconsistency in table: e, index: ib, handle: -9223372036854775808, '
        'index-values:"handle: -9223372036854775808, values: [KindInt64 1]" != '
        'record-values:""')
    q(conn, "CREATE TABLE h (a BIGINT PRIMARY KEY, b BIGINT UNSIGNED, INDEX ib (b))")
    q(conn, f"INSERT INTO h VALUES ({-2**63}, 0), ({2**63 - 1}, {2**64 - 1}), (0, {2**63})")
    q(conn, "ADMIN CHECK TABLE h")
    faults.remove_index_entries(conn, "h", "ib", [2**63 - 1])
    assert err(conn, "ADMIN CHECK TABLE h")[1] == (
        'data inconsistency in table: h, index: ib, handle: 9223372036854775807, '
        'index-values:"" != record-values:"handle: 9223372036854775807, '
        'values: [KindUint64 18446744073709551615]"')


def test_rowid_and_clustered_tables(conn):
    q(conn, "CREATE TABLE r (a INT, b VARCHAR(5), INDEX ia (a))")
    q(conn, "INSERT INTO r VALUES (1, 'x'), (2, 'y')")
    q(conn, "ADMIN CHECK TABLE r")
    faults.remove_rows_keep_index(conn, "r", [2])  # the hidden row id
    assert err(conn, "ADMIN CHECK TABLE r")[1] == (
        'data inconsistency in table: r, index: ia, handle: 2, '
        'index-values:"handle: 2, values: [KindInt64 2]" != record-values:""')
    q(conn, "CREATE TABLE c (k VARCHAR(10), m INT, v INT, PRIMARY KEY (k, m), INDEX iv (v))")
    q(conn, "INSERT INTO c VALUES ('hello', 1, 5), ('hello', 2, 6)")
    q(conn, "ADMIN CHECK TABLE c")
    q(conn, "ADMIN CHECK INDEX c PRIMARY")  # the clustered primary key is not checked
    faults.remove_index_entries(conn, "c", "iv", [("hello", 2)])
    assert err(conn, "ADMIN CHECK TABLE c")[1] == (
        'data inconsistency in table: c, index: iv, handle: {hello, 2}, index-values:"" != '
        'record-values:"handle: {hello, 2}, values: [KindInt64 6]"')


def test_unknown_names(admin_test):
    assert err(admin_test, "ADMIN CHECK TABLE nosuch")[0] == 1146
    assert err(admin_test, "ADMIN CHECK TABLE admin_test, nosuch")[0] == 1146
    assert err(admin_test, "ADMIN CHECK INDEX admin_test nosuch") == (
        1176, "Key 'nosuch' doesn't exist in table 'admin_test'")
    assert err(admin_test, "ADMIN CHECK INDEX admin_test PRIMARY") == (
        1105, "secondary index `PRIMARY` is not found in table `admin_test`")
    assert checks(admin_test) == []  # nothing checked, nothing recorded


def test_several_tables_stop_at_the_first_inconsistent_one(admin_test):
    conn = admin_test
    q(conn, "CREATE TABLE t2 (a INT PRIMARY KEY, b INT, INDEX ib (b))")
    q(conn, "INSERT INTO t2 VALUES (1, 1)")
    faults.remove_index_entries(conn, "t2", "ib", [1])
    assert err(conn, "ADMIN CHECK TABLE admin_test, t2")[1].startswith(
        "data inconsistency in table: t2, index: ib, handle: 1,")
    assert [r[:4] for r in checks(conn)] == [("admin_test", "c2", "check", "consistent"),
                                             ("t2", "ib", "check", "inconsistent")]


def test_range_form_returns_tidbs_rows(conn):
    q(conn, "CREATE TABLE admin_test (a INT, b VARCHAR(10), INDEX idx (a, b))")
    q(conn, "INSERT INTO admin_test VALUES (3, 'ab'), (2, 'cd'), (1, 'ef'), (-1, 'hi')")
    cur = conn.execute("ADMIN CHECK INDEX admin_test idx (2,4)")
    assert [d[0] for d in cur.description] == ["a", "b", "extra_handle"]
    assert cur.fetchall() == [(1, "ef", 3), (2, "cd", 2)]
    assert q(conn, "ADMIN CHECK INDEX admin_test idx (3,5)") == [(-1, "hi", 4), (1, "ef", 3)]
    assert q(conn, "ADMIN CHECK INDEX admin_test idx (2,3),(4,5)") == \
        [(-1, "hi", 4), (2, "cd", 2)]
    assert q(conn, "ADMIN CHECK INDEX admin_test idx (10,20)") == []


def test_events_carry_the_reports(admin_test):
    seen = []
    admin_test.event_sink = seen.append
    faults.remove_index_entries(admin_test, "admin_test", "c2", [0])
    err(admin_test, "ADMIN CHECK TABLE admin_test")
    assert isinstance(seen[0], IndexAdminStarted) and seen[0].indexes == ("c2",)
    done = [e for e in seen if isinstance(e, IndexAdminFinished)]
    assert len(done) == 1 and done[0].outcome == "inconsistent"
    (report,) = done[0].reports
    assert (report.index, report.rows_scanned, report.entries_scanned) == ("c2", 4, 3)
    assert report.samples[0].kind == "missing" and report.samples[0].handle == "0"


def test_cancel_mid_check_is_1317_and_records_nothing(conn, monkeypatch):
    from core.check import consistency

    monkeypatch.setattr(consistency, "BLOCK", 64)
    q(conn, "CREATE TABLE big (a INT PRIMARY KEY, b INT, INDEX ib (b))")
    conn.cursor().executemany("INSERT INTO big VALUES (%s, %s)",
                              [(i, i % 97) for i in range(20000)])
    started = threading.Event()

    def sink(e):
        if isinstance(e, IndexAdminStarted):
            started.set()
    conn.event_sink = sink

    def cancel():
        started.wait(5)
        for _ in range(500):
            if conn.cancel():
                return
            time.sleep(0.001)
    th = threading.Thread(target=cancel)
    th.start()
    with pytest.raises(core.OperationalError) as e:
        for _ in range(50):
            q(conn, "ADMIN CHECK TABLE big")
            started.clear()
    th.join()
    assert e.value.errno == 1317
    conn.event_sink = None
    recorded = checks(conn)
    assert recorded == [] or all(r[3] == "consistent" for r in recorded)


def test_a_forced_open_checks_and_writes_nothing(tmp_path):
    path = str(tmp_path / "f")
    with core.connect(path, create=True, autocommit=True) as c:
        q(c, "CREATE TABLE t (a INT PRIMARY KEY, b INT, INDEX ib (b))")
        q(c, "INSERT INTO t VALUES (1, 1), (2, 2)")
        faults.remove_index_entries(c, "t", "ib", [2])
    with core.connect(path, autocommit=True, force_recovery=1) as c:
        assert err(c, "ADMIN CHECK TABLE t")[0] == 8223
        assert checks(c) == []  # read-only: no record written
        flags = q(c, "SELECT INDEX_NAME, PERSISTED FROM "
                     "information_schema.KINTSUGI_CORRUPTION_FLAGS")
        assert flags == [("ib", "NO")]
    with core.connect(path, autocommit=True) as c:
        assert checks(c) == []


def test_records_survive_a_restart(tmp_path):
    path = str(tmp_path / "r")
    with core.connect(path, create=True, autocommit=True) as c:
        q(c, "CREATE TABLE t (a INT PRIMARY KEY, b INT, c INT, INDEX ib (b), INDEX ic (c))")
        q(c, "INSERT INTO t VALUES (1, 1, 1)")
        q(c, "ADMIN CHECK TABLE t")
        q(c, "DROP INDEX ic ON t")
    with core.connect(path, autocommit=True) as c:
        assert checks(c) == [("t", "ib", "check", "consistent", 1, 1, 0, 0, 0)]
        when = q(c, "SELECT CHECKED_AT, SECONDS FROM information_schema.KINTSUGI_INDEX_CHECKS")
        assert when[0][0] is not None and when[0][1] >= 0


def test_a_damaged_row_fails_the_check_with_1877(conn):
    q(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT, INDEX ib (b))")
    q(conn, "INSERT INTO t VALUES (1, 1), (2, 2)")
    faults.corrupt_row(conn, "t", 2)
    assert err(conn, "ADMIN CHECK TABLE t")[0] == 1877


def test_writers_meanwhile_never_make_a_sound_table_look_broken(tmp_path):
    """A check reads one snapshot: rows and entries another connection changes during the
    check are either all seen or not at all."""
    path = str(tmp_path / "w")
    with core.connect(path, create=True, autocommit=True) as c:
        q(c, "CREATE TABLE t (a INT PRIMARY KEY, b INT, s VARCHAR(10), INDEX ib (b), "
             "UNIQUE INDEX us (s))")
        c.cursor().executemany("INSERT INTO t VALUES (%s, %s, %s)",
                               [(i, i % 50, f"s{i}") for i in range(3000)])
        stop = threading.Event()
        errors = []

        def write():
            with core.connect(path, autocommit=True) as w:
                i = 3000
                while not stop.is_set():
                    try:
                        q(w, f"INSERT INTO t VALUES ({i}, {i % 7}, 'n{i}')")
                        q(w, f"UPDATE t SET b = b + 1, s = CONCAT(s, 'x') WHERE a = {i - 2990}")
                        q(w, f"DELETE FROM t WHERE a = {i - 2995}")
                    except core.Error as e:  # pragma: no cover - reported below
                        errors.append(e)
                        return
                    i += 1
        th = threading.Thread(target=write)
        th.start()
        try:
            for _ in range(8):
                q(c, "ADMIN CHECK TABLE t")
                assert all(r[3:6] == (0, 0, 0)
                           for r in q(c, "ADMIN SHOW INDEX INCONSISTENCIES t"))
        finally:
            stop.set()
            th.join()
        assert not errors


def test_information_schema_tables_are_refused_as_not_stored(admin_test):
    for sql in ("ADMIN CHECK TABLE information_schema.tables",
                "ADMIN SHOW INDEX INCONSISTENCIES INFORMATION_SCHEMA.COLUMNS",
                "ADMIN RECOVER INDEX information_schema.tables x"):
        errno, msg = err(admin_test, sql)
        assert errno == 1235 and "not stored" in msg
