"""ADMIN SHOW INDEX INCONSISTENCIES: the whole picture in one statement, exact counts of each
kind, TiDB-rendered samples, the structured reports on the event sink, the record it leaves,
and `recheck` (the repairs' last step) clearing flags.  The bucket machinery is exercised
with small blocks and a small hold, so large damage is handled in groups."""

from __future__ import annotations

import pytest

import core
from core import faults
from core.admin.check import recheck
from core.admin.target import Target
from core.check import consistency
from core.events import IndexAdminFinished


@pytest.fixture
def conn(tmp_path):
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    yield c
    c.close()


def q(conn, sql):
    cur = conn.execute(sql)
    return cur.fetchall() if cur.description is not None else cur.rowcount


@pytest.fixture
def t(conn):
    q(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT, s VARCHAR(10), INDEX ib (b), "
            "UNIQUE INDEX us (s))")
    conn.cursor().executemany("INSERT INTO t VALUES (%s, %s, %s)",
                              [(i, i * 10, f"v{i}") for i in range(1, 201)])
    return conn


def test_consistent_indexes_have_zero_counts_and_no_sample(t):
    rows = q(t, "ADMIN SHOW INDEX INCONSISTENCIES t")
    assert rows == [("ib", 200, 200, 0, 0, 0, None), ("us", 200, 200, 0, 0, 0, None)]
    assert q(t, "ADMIN SHOW INDEX INCONSISTENCIES t us") == [("us", 200, 200, 0, 0, 0, None)]


def test_every_kind_counted_with_tidb_samples(t):
    faults.remove_index_entries(t, "t", "ib", [3, 4, 150])
    faults.add_dangling_index_entry(t, "t", "ib", [7], 999)
    faults.change_index_entry(t, "t", "ib", 5, [51])
    faults.remove_rows_keep_index(t, "t", [100])
    cur = t.execute("ADMIN SHOW INDEX INCONSISTENCIES t")
    assert [d[0] for d in cur.description] == [
        "INDEX_NAME", "ROWS_SCANNED", "ENTRIES_SCANNED", "MISSING", "DANGLING", "MISMATCHED",
        "SAMPLE"]
    ib, us = cur.fetchall()
    assert ib[:6] == ("ib", 199, 198, 3, 2, 1)
    assert ib[6] == (
        'missing handle: 3, index-values:"" != record-values:"handle: 3, values: '
        '[KindInt64 30]"; missing handle: 4, index-values:"" != record-values:"handle: 4, '
        'values: [KindInt64 40]"; mismatched handle: 5, index-values:"handle: 5, values: '
        '[KindInt64 51]" != record-values:"handle: 5, values: [KindInt64 50]"')
    assert us[:6] == ("us", 199, 200, 0, 1, 0)
    assert us[6] == ('dangling handle: 100, index-values:"handle: 100, values: '
                     '[KindString v100]" != record-values:""')
    rec = q(t, "SELECT INDEX_NAME, OPERATION, RESULT, MISSING, DANGLING, MISMATCHED "
               "FROM information_schema.KINTSUGI_INDEX_CHECKS")
    assert rec == [("ib", "inconsistencies", "inconsistent", 3, 2, 1),
                   ("us", "inconsistencies", "inconsistent", 0, 1, 0)]


def test_a_unique_entry_pointing_at_another_row(t):
    # the entry of 'v8' now points at row 9: row 8 has no entry, row 9 has two
    faults.change_index_entry(t, "t", "us", 8, ["v8x"])
    faults.add_dangling_index_entry(t, "t", "us", ["v8"], 9)
    assert q(t, "ADMIN SHOW INDEX INCONSISTENCIES t us")[0][:6] == ("us", 200, 201, 0, 0, 2)


def test_events_carry_the_structured_reports(t):
    seen = []
    t.event_sink = seen.append
    faults.remove_index_entries(t, "t", "us", [1])
    q(t, "ADMIN SHOW INDEX INCONSISTENCIES t")
    (done,) = [e for e in seen if isinstance(e, IndexAdminFinished)]
    assert done.operation == "inconsistencies" and done.outcome == "inconsistent"
    assert dict(done.counts)["MISSING"] == 1
    ib, us = done.reports
    assert ib.consistent and not us.consistent
    (s,) = us.samples
    assert (s.kind, s.handle, s.row_values, s.index_values) == \
        ("missing", "1", ("KindString v1",), None)


@pytest.mark.parametrize("hold", [5, 50, 10_000])
def test_large_damage_in_buckets_and_groups(t, monkeypatch, hold):
    monkeypatch.setattr(consistency, "BLOCK", 16)
    monkeypatch.setattr(consistency, "HOLD", hold)
    faults.remove_index_entries(t, "t", "ib", range(1, 60))  # whole buckets without entries
    faults.remove_index_entries(t, "t", "ib", range(101, 200, 3))  # scattered
    faults.remove_rows_keep_index(t, "t", range(160, 181))  # a gap between blocks
    faults.change_index_entry(t, "t", "ib", 200, [1])
    ib, us = q(t, "ADMIN SHOW INDEX INCONSISTENCIES t")
    scattered = len([h for h in range(101, 200, 3) if not 160 <= h <= 180])
    gone = len([h for h in range(160, 181) if (h - 101) % 3 != 0])
    assert ib[:6] == ("ib", 179, 200 - 59 - 33 - 0, 59 + scattered, gone, 1)
    assert us[:6] == ("us", 179, 200, 0, 21, 0)


def test_every_entry_missing_and_an_empty_index(t):
    faults.remove_index_entries(t, "t", "ib", range(1, 201))
    assert q(t, "ADMIN SHOW INDEX INCONSISTENCIES t ib")[0][:6] == ("ib", 200, 0, 200, 0, 0)
    q(t, "DELETE FROM t")
    faults.add_dangling_index_entry(t, "t", "ib", [1], 1)
    assert q(t, "ADMIN SHOW INDEX INCONSISTENCIES t ib")[0][:6] == ("ib", 0, 1, 0, 1, 0)


def test_recheck_records_and_clears_flags(t):
    faults.remove_index_entries(t, "t", "ib", [7])
    q(t, "ADMIN SHOW INDEX INCONSISTENCIES t")
    assert q(t, "SELECT INDEX_NAME FROM information_schema.KINTSUGI_CORRUPTION_FLAGS") == \
        [("ib",)]
    session = t._session
    with t._db.engine.snapshot() as snap:
        table = t._db.schema(snap).table("test", "t")
    target = Target(table, table.index("ib"), "test.t")
    (report,) = recheck(session, target, "recover")
    assert report.missing == 1  # still broken: the flag stays
    assert q(t, "SELECT COUNT(*) FROM information_schema.KINTSUGI_CORRUPTION_FLAGS") == [(1,)]
    faults.add_dangling_index_entry(t, "t", "ib", [70], 7)  # puts back the right entry
    (report,) = recheck(session, target, "recover")
    assert report.consistent
    assert q(t, "SELECT * FROM information_schema.KINTSUGI_CORRUPTION_FLAGS") == []
    assert q(t, "SELECT INDEX_NAME, OPERATION, RESULT FROM "
                "information_schema.KINTSUGI_INDEX_CHECKS WHERE INDEX_NAME = 'ib'") == \
        [("ib", "recover", "consistent")]


def test_unknown_table_and_index(t):
    with pytest.raises(core.Error) as e:
        q(t, "ADMIN SHOW INDEX INCONSISTENCIES nosuch")
    assert e.value.errno == 1146
    with pytest.raises(core.Error) as e:
        q(t, "ADMIN SHOW INDEX INCONSISTENCIES t nosuch")
    assert e.value.errno == 1176


@pytest.mark.parametrize("also_missing", [False, True])
def test_a_forced_open_does_not_call_a_damaged_rows_entries_dangling(tmp_path, also_missing):
    """A row that fails its CRC is skipped by a forced open: its index entries cannot be
    judged, so they are counted as unverified (a warning), neither dangling nor flagged,
    and reads through the index keep working; real differences are still found exactly
    (red-team finding: the entry was called dangling and the index flagged)."""
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as c:
        c.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT, KEY idx (v))")
        c.execute("INSERT INTO t VALUES " + ", ".join(f"({i}, {i * 10})" for i in range(1, 11)))
        if also_missing:
            faults.remove_index_entries(c, "t", "idx", [7])
        faults.corrupt_row(c, "t", 4)
    with core.connect(path, autocommit=True, force_recovery=1) as c:
        cur = c.execute("ADMIN SHOW INDEX INCONSISTENCIES t")
        assert cur.fetchall()[0][:6] == ("idx", 10, 9 if also_missing else 10,
                                         1 if also_missing else 0, 0, 0)
        assert any("could not be verified" in w[2] for w in cur.warnings)
        if also_missing:
            with pytest.raises(core.DatabaseError) as err:
                c.execute("ADMIN CHECK TABLE t")
            assert err.value.errno == 8223 and "handle: 7," in err.value.msg
            return
        c.execute("ADMIN CHECK TABLE t")  # consistent as far as it can be read
        n = c.execute("SELECT COUNT(*) FROM t FORCE INDEX (idx) WHERE v > 0").fetchone()
        assert n == (9,)  # the salvage read still works: the index was not flagged


def test_wide_keys_hold_fewer_entries(monkeypatch):
    """The exact comparison holds entries up to a byte budget, not only a count."""
    from core.check import consistency as cc

    assert cc.HOLD_BYTES // (2 * 1500 + cc.ENTRY_OVERHEAD) < cc.HOLD // 4
