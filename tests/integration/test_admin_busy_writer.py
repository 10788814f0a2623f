"""A check's bookkeeping (its record, the flags it sets or clears) must not hold the check up
behind another connection's open write transaction: it is put off, shown meanwhile, and
written once the writer lock is free."""

from __future__ import annotations

import time

import core
from core import faults


def test_check_beside_an_open_writer_is_quick_and_its_record_is_kept(tmp_path):
    path = str(tmp_path / "db")
    admin = core.connect(path, create=True, autocommit=True)
    admin.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY ib (b))")
    admin.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    writer = core.connect(path)
    writer.execute("INSERT INTO t VALUES (3, 3)")  # holds the writer lock, uncommitted
    t0 = time.monotonic()
    assert admin.execute("ADMIN CHECK TABLE t").rowcount == 0
    assert time.monotonic() - t0 < 5  # not the 50 s lock wait timeout
    rows = admin.execute("SELECT INDEX_NAME, RESULT FROM information_schema."
                         "KINTSUGI_INDEX_CHECKS").fetchall()
    assert rows == [("ib", "consistent")]  # pending, shown as the latest
    writer.commit()  # the lock is free: the next commit writes what waited
    writer.execute("INSERT INTO t VALUES (4, 4)")
    writer.commit()
    writer.close()
    admin.close()
    with core.connect(path, autocommit=True) as again:
        rows = again.execute("SELECT INDEX_NAME, RESULT, ROWS_SCANNED FROM "
                             "information_schema.KINTSUGI_INDEX_CHECKS").fetchall()
        assert rows == [("ib", "consistent", 2)]


def test_an_inconsistency_found_beside_an_open_writer_is_reported_at_once(tmp_path):
    path = str(tmp_path / "db")
    admin = core.connect(path, create=True, autocommit=True)
    admin.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY ib (b))")
    admin.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    faults.remove_index_entries(admin, "t", "ib", [2])
    writer = core.connect(path)
    writer.execute("INSERT INTO t VALUES (3, 3)")
    t0 = time.monotonic()
    rows = admin.execute("ADMIN SHOW INDEX INCONSISTENCIES t").fetchall()
    assert time.monotonic() - t0 < 5
    assert rows[0][:6] == ("ib", 2, 1, 1, 0, 0)
    writer.rollback()
    writer.close()
    admin.close()
