"""SELECT ... FOR UPDATE / LOCK IN SHARE MODE are locking reads, as InnoDB's: inside a
transaction they read the latest committed state and hold the writer lock, so nobody can
change what was read before the transaction ends (the lost update they exist to prevent)."""

from __future__ import annotations

import threading
import time

import pytest

import core


@pytest.fixture
def path(tmp_path):
    p = str(tmp_path / "db")
    with core.connect(p, create=True, autocommit=True) as c:
        c.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
        c.execute("INSERT INTO t VALUES (1, 0)")
    return p


@pytest.mark.parametrize("lock", ["FOR UPDATE", "LOCK IN SHARE MODE", "FOR SHARE"])
def test_read_modify_write_loses_no_update(path, lock):
    """Two read-then-write increments: the second waits for the first and reads its
    result, so both count (with a plain SELECT the second would write a stale value)."""
    first, second = core.connect(path), core.connect(path)
    first.execute("BEGIN")
    (b,) = first.execute(f"SELECT b FROM t WHERE a = 1 {lock}").fetchone()
    waited = []

    def increment():
        t0 = time.monotonic()
        second.execute("BEGIN")
        (b2,) = second.execute(f"SELECT b FROM t WHERE a = 1 {lock}").fetchone()
        waited.append(time.monotonic() - t0)
        second.execute("UPDATE t SET b = %s WHERE a = 1", (b2 + 1,))
        second.commit()

    th = threading.Thread(target=increment)
    th.start()
    time.sleep(0.3)
    assert th.is_alive()  # blocked on the first one's lock
    first.execute("UPDATE t SET b = %s WHERE a = 1", (b + 1,))
    first.commit()
    th.join(10)
    assert waited and waited[0] >= 0.25
    with core.connect(path) as c:
        assert c.execute("SELECT b FROM t").fetchone() == (2,)
    first.close()
    second.close()


def test_a_locking_read_sees_what_committed_after_the_snapshot(path):
    reader, writer = core.connect(path), core.connect(path, autocommit=True)
    reader.execute("BEGIN")
    assert reader.execute("SELECT b FROM t").fetchone() == (0,)  # the snapshot is taken
    writer.execute("UPDATE t SET b = 7")
    assert reader.execute("SELECT b FROM t").fetchone() == (0,)  # consistent read
    assert reader.execute("SELECT b FROM t FOR UPDATE").fetchone() == (7,)  # locking read
    reader.rollback()
    reader.close()
    writer.close()
