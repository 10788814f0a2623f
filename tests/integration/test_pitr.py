"""Point-in-time recovery end to end, with a real hot backup (issue 13's proof).

A hot backup taken while a writer thread commits; more work; a mistaken DROP TABLE at time
T; more work after it.  Restoring to just before T (by time, by the DROP's GTID, or by
excluding only the DROP) gives back everything committed before T, nothing after it (or, with
the exclusion, everything but the DROP), the dropped table with its indexes, and every
restored table passes ADMIN CHECK TABLE.  The writer keeps an invariant in each of its
transactions (a ledger row and the running total together), so a backup or restore that
caught half of one would show.
"""

from __future__ import annotations

import threading
import time

import pytest

import core


def _rows(conn, table: str) -> list:
    return sorted(conn.execute(f"SELECT * FROM shop.{table}").fetchall(), key=repr)


def _check_all(conn) -> None:
    for (t,) in conn.execute("SHOW TABLES FROM shop").fetchall():
        conn.execute(f"ADMIN CHECK TABLE shop.{t}")  # raises 8223 on a mismatch


def _ledger_consistent(conn) -> int:
    n, total = conn.execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM shop.ledger"
                            ).fetchall()[0]
    (kept,) = conn.execute("SELECT total FROM shop.totals WHERE id = 1").fetchall()[0]
    assert int(total) == kept, "a transaction was cut in half"
    return n


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("pitr")
    src = str(root / "src")
    conn = core.connect(src, create=True, autocommit=True)
    q = conn.execute
    q("CREATE DATABASE shop")
    q("CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, customer VARCHAR(20), "
      "total DECIMAL(10,2), ref INT, UNIQUE KEY uref (ref), KEY kcust (customer))")
    q("CREATE TABLE shop.notes (a INT, b VARCHAR(20), KEY kb (b))")  # no primary key
    q("CREATE TABLE shop.ledger (id INT PRIMARY KEY, amount INT)")
    q("CREATE TABLE shop.totals (id INT PRIMARY KEY, total INT)")
    q("INSERT INTO shop.totals VALUES (1, 0)")
    for i in range(1, 51):
        q(f"INSERT INTO shop.orders (customer, total, ref) VALUES ('c{i % 7}', {i}.50, {i})")
    q("INSERT INTO shop.notes VALUES (1, 'x'), (1, 'x'), (2, 'y')")

    stop = threading.Event()
    written = [0]

    def writer() -> None:
        w = core.connect(src)
        try:
            i = 0
            while not stop.is_set():
                i += 1
                w.execute("BEGIN")
                w.execute(f"INSERT INTO shop.ledger VALUES ({i}, {i})")
                w.execute(f"UPDATE shop.totals SET total = total + {i} WHERE id = 1")
                w.execute("COMMIT")
                written[0] = i
        finally:
            w.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        while written[0] < 20:
            time.sleep(0.01)
        bk = str(root / "bk")
        core.backup_database(src, bk)
        past = written[0] + 10  # the writer runs on a little, so the restore replays some
        while written[0] < past:
            time.sleep(0.01)
    finally:
        stop.set()
        t.join()

    q("UPDATE shop.orders SET total = total + 1 WHERE id <= 10")
    q("DELETE FROM shop.orders WHERE id > 45")
    q("INSERT INTO shop.notes VALUES (3, 'z')")
    q("UPDATE shop.notes SET b = 'w' WHERE a = 2")
    with conn.cursor() as cur:  # a swap of unique values inside one transaction
        cur.execute("BEGIN")
        cur.execute("UPDATE shop.orders SET ref = 1000 WHERE id = 1")
        cur.execute("UPDATE shop.orders SET ref = 1 WHERE id = 2")
        cur.execute("UPDATE shop.orders SET ref = 2 WHERE id = 1")
        cur.execute("COMMIT")
    before = {t: _rows(conn, t) for t in ("orders", "notes", "ledger", "totals")}
    time.sleep(0.05)  # the DROP's commit time is strictly later than everything above
    t_drop = time.time()
    time.sleep(0.05)
    q("DROP TABLE shop.orders")
    q("INSERT INTO shop.notes VALUES (9, 'after')")
    q("CREATE TABLE shop.later (x INT)")
    after = {t: _rows(conn, t) for t in ("notes",)}
    drop = [e for e in core.binlog_timeline(src) if e.ddl and "DROP TABLE" in e.ddl.upper()]
    assert len(drop) == 1
    yield {"root": root, "src": src, "bk": bk, "before": before, "after": after,
           "t_drop": t_drop, "drop": drop[0], "conn": conn}
    conn.close()


def _restored(world, name: str, **stop) -> core.Connection:
    dest = str(world["root"] / name)
    report = core.restore(world["bk"], dest, **stop)
    assert not getattr(report, "check_failures", ())
    return core.connect(dest, autocommit=True)


def test_the_backup_taken_under_writes_is_consistent(world, tmp_path):
    """Opened as it is (crash recovery of its copied redo, nothing replayed), the backup
    has whole writer transactions only, and verifies."""
    import shutil

    b = core.read_backup(world["bk"])
    assert b.lsn > 0 and b.gtid
    assert core.verify_backup(world["bk"]).ok
    copy = str(tmp_path / "copy")
    shutil.copytree(world["bk"], copy)
    conn = core.connect(copy, autocommit=True)
    try:
        assert _ledger_consistent(conn) > 0
        _check_all(conn)
    finally:
        conn.close()


def test_restore_to_just_before_the_drop_by_time(world):
    conn = _restored(world, "by_time", stop_datetime=world["t_drop"])
    try:
        for t, rows in world["before"].items():
            assert _rows(conn, t) == rows, t
        assert _ledger_consistent(conn) == len(world["before"]["ledger"])
        names = {r[0] for r in conn.execute("SHOW TABLES FROM shop").fetchall()}
        assert "later" not in names  # created after T
        idx = {r[2] for r in conn.execute("SHOW INDEX FROM shop.orders").fetchall()}
        assert {"uref", "kcust"} <= idx
        _check_all(conn)
    finally:
        conn.close()


def test_restore_to_just_before_the_drop_by_gtid(world):
    conn = _restored(world, "by_gtid", stop_gtid=world["drop"].gtid)
    try:
        for t, rows in world["before"].items():
            assert _rows(conn, t) == rows, t
        _check_all(conn)
    finally:
        conn.close()


def test_restore_everything_but_the_drop(world):
    conn = _restored(world, "but_drop", exclude_gtids=world["drop"].gtid)
    try:
        assert _rows(conn, "orders") == world["before"]["orders"]
        assert _rows(conn, "notes") == world["after"]["notes"]  # work after T is there
        names = {r[0] for r in conn.execute("SHOW TABLES FROM shop").fetchall()}
        assert "later" in names
        _ledger_consistent(conn)
        _check_all(conn)
    finally:
        conn.close()


def test_the_restored_database_keeps_the_gtid_numbering(world):
    conn = _restored(world, "numbering", stop_gtid=world["drop"].gtid)
    try:
        conn.execute("INSERT INTO shop.notes VALUES (100, 'new')")
        (status,) = conn.execute("SHOW MASTER STATUS").fetchall()
        uuid = world["drop"].gtid.rsplit(":", 1)[0]
        assert status[4].startswith(uuid)
    finally:
        conn.close()
