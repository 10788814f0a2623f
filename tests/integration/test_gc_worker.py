"""The GC worker (core.gc.worker, core.gc.collect) on a real engine: a `ManualClock` moves
past the GC life time instead of sleeping; `db.gc.run_once()` runs a round."""

from __future__ import annotations

import os
import threading
import time

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.codec.keys import index_prefix, prefix_next
from core.events import EventLog, GCRangeCollected, GCRoundFinished
from core.txn import begin

PAST = gcranges.DEFAULT_LIFE_TIME + 60  # seconds: past the default life time


@pytest.fixture
def env(tmp_path):
    clock = ManualClock()
    log = EventLog()
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, clock=clock, sink=log,
                        flush_interval=0.05)
    cur = conn.cursor()

    def q(sql, params=None):
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else cur.rowcount

    yield conn, q, clock, log, path
    conn.close()


def table_id(q, name: str, schema: str = "test") -> int:
    return int(q("SELECT TIDB_TABLE_ID FROM information_schema.tables WHERE TABLE_SCHEMA = "
                 f"'{schema}' AND TABLE_NAME = '{name}'")[0][0])


def file_of(conn, sid: int) -> str:
    return conn._db.engine.spaces[sid].path


def pending_ids(conn) -> set[int]:
    with conn._db.engine.snapshot() as snap:
        return {r["table_id"] for r in gcranges.pending(snap)}


def stored_point(conn) -> float:
    with conn._db.engine.snapshot() as snap:
        return gcranges.safe_point(snap)["safe_point"]


def set_var(conn, name: str, value: str) -> None:
    with begin(conn._db.engine) as txn:
        gcranges.put_global_variable(txn, name, value)


def make(q, name: str, rows: int = 50, schema: str = "test") -> None:
    q(f"CREATE TABLE {schema}.{name} (id INT PRIMARY KEY, b INT, KEY ib (b))")
    q(f"INSERT INTO {schema}.{name} VALUES " + ", ".join(f"({i}, {i})" for i in range(rows)))


def test_dropped_table_collected_only_after_the_life_time(env):
    conn, q, clock, log, path = env
    make(q, "t")
    make(q, "keep")
    sid = table_id(q, "t")
    f = file_of(conn, sid)
    q("DROP TABLE t")
    report = conn._db.gc.run_once()
    assert report.collected == [] and report.pending == 1
    assert os.path.exists(f) and sid in pending_ids(conn)
    clock.advance(PAST - 120)  # still inside the life time
    assert conn._db.gc.run_once().collected == []
    assert os.path.exists(f)

    clock.advance(120)
    report = conn._db.gc.run_once()
    assert [r["table_id"] for r in report.collected] == [sid]
    assert report.pending == 0
    assert not os.path.exists(f) and not os.path.exists(f + "-lock")
    assert sid not in conn._db.engine.spaces
    with conn._db.engine.snapshot() as snap:
        assert snap.get(0, conn._db.engine.space_map_key(sid)) is None
        done = gcranges.done(snap)
    assert [(r["table_id"], r["path"]) for r in done] == [(sid, "test/t.kdb")]
    events = log.of(GCRangeCollected)
    assert [(e.kind, e.table_id, e.name, e.path) for e in events] == [
        ("table", sid, "test.t", "test/t.kdb")]
    rounds = log.of(GCRoundFinished)
    assert rounds[-1].collected == 1 and rounds[-1].pending == 0
    assert q("SELECT COUNT(*) FROM keep") == [(50,)]
    q("ADMIN CHECK TABLE keep")
    with open(os.path.join(path, "kintsugi.err")) as fh:
        assert "table test.t) is older than the safe point and was collected" in fh.read()


def test_safe_point_is_stored_at_open_and_never_moves_back(env):
    conn, q, clock, log, path = env
    first = stored_point(conn)  # the round run at install
    assert abs(first - (clock.now() - gcranges.DEFAULT_LIFE_TIME)) < 5
    clock.advance(100)
    second = conn._db.gc.run_once().safe_point
    assert second > first and stored_point(conn) == second
    clock.set(clock.now() - 3600)  # the clock goes back: the safe point stays
    assert conn._db.gc.run_once().safe_point == second
    set_var(conn, "tidb_gc_life_time", "24h")  # a longer life time: it stays too
    clock.advance(3700)
    assert conn._db.gc.run_once().safe_point == second
    assert stored_point(conn) == second


def test_life_time_variable_is_used(env):
    conn, q, clock, log, path = env
    make(q, "t")
    q("DROP TABLE t")
    set_var(conn, "tidb_gc_life_time", "1h")
    clock.advance(PAST)
    report = conn._db.gc.run_once()
    assert report.collected == [] and report.life_time == 3600
    clock.advance(3600)
    assert len(conn._db.gc.run_once().collected) == 1


def test_gc_disabled_collects_nothing(env):
    conn, q, clock, log, path = env
    make(q, "t")
    sid = table_id(q, "t")
    f = file_of(conn, sid)
    q("DROP TABLE t")
    before = stored_point(conn)
    set_var(conn, "tidb_gc_enable", "OFF")
    clock.advance(PAST)
    report = conn._db.gc.run_once()
    assert not report.enabled and report.collected == []
    assert os.path.exists(f) and stored_point(conn) == before
    set_var(conn, "tidb_gc_enable", "ON")
    assert [r["table_id"] for r in conn._db.gc.run_once().collected] == [sid]
    assert not os.path.exists(f)


def test_truncate_drop_database_and_rebuild_leave_files_gc_deletes(env):
    conn, q, clock, log, path = env
    make(q, "tr")
    q("CREATE DATABASE d2")
    make(q, "a", schema="d2")
    make(q, "b", schema="d2")
    make(q, "rb")
    old = {"tr": table_id(q, "tr"), "a": table_id(q, "a", "d2"), "b": table_id(q, "b", "d2"),
           "rb": table_id(q, "rb")}
    files = {k: file_of(conn, v) for k, v in old.items()}
    q("TRUNCATE TABLE tr")
    q("DROP DATABASE d2")
    q("ALTER TABLE rb FORCE")
    assert table_id(q, "rb") != old["rb"]
    assert set(old.values()) <= pending_ids(conn)
    assert all(os.path.exists(f) for f in files.values())
    clock.advance(PAST)
    report = conn._db.gc.run_once()
    assert set(old.values()) <= {r["table_id"] for r in report.collected}
    assert not any(os.path.exists(f) for f in files.values())
    assert q("SELECT COUNT(*) FROM rb") == [(50,)]
    assert q("SELECT COUNT(*) FROM tr") == [(0,)]
    q("ADMIN CHECK TABLE rb")
    assert q("ADMIN SHOW ORPHAN FILES") == []


def test_drop_index_entries_wait_for_gc(env):
    conn, q, clock, log, path = env
    make(q, "t", rows=300)
    tid = table_id(q, "t")

    def entries() -> int:
        lo = index_prefix(tid, 2)
        with conn._db.engine.snapshot() as snap:
            return sum(1 for _ in snap.scan(tid, lo, prefix_next(lo)))

    q("DROP INDEX ib ON t")
    assert entries() == 300  # TiDB's way: queued, not deleted by the job
    q("ADMIN CHECK TABLE t")  # entries of a dropped index are not "dangling"
    assert {r[2] for r in q("SHOW INDEX FROM t")} == {"PRIMARY"}
    q("ALTER TABLE t ADD INDEX ib (b)")  # a new index of that name gets a new id
    q("ADMIN CHECK TABLE t")
    clock.advance(PAST)
    report = conn._db.gc.run_once()
    assert [(r["kind"], r["index_id"]) for r in report.collected] == [("index", 2)]
    assert entries() == 0
    ev = log.of(GCRangeCollected)[-1]
    assert (ev.kind, ev.name, ev.entries) == ("index", "test.t.ib", 300)
    q("ADMIN CHECK TABLE t")
    assert q("SELECT id FROM t FORCE INDEX (ib) WHERE b = 7") == [(7,)]


def test_index_range_of_a_dropped_table(env):
    conn, q, clock, log, path = env
    make(q, "t")
    q("DROP INDEX ib ON t")
    q("DROP TABLE t")
    clock.advance(PAST)
    report = conn._db.gc.run_once()
    assert {r["kind"] for r in report.collected} == {"index", "table"}
    assert report.pending == 0


def test_readers_of_other_tables_are_unaffected(env):
    conn, q, clock, log, path = env
    make(q, "keep", rows=500)
    for i in range(8):
        make(q, f"t{i}")
    reader = core.connect(path, autocommit=False)
    rcur = reader.cursor()
    rcur.execute("SELECT COUNT(*) FROM keep")  # an open snapshot from before the drops
    assert rcur.fetchall() == [(500,)]
    for i in range(8):
        q(f"DROP TABLE t{i}")
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        c = core.connect(path, autocommit=True)
        cur = c.cursor()
        try:
            while not stop.is_set():
                cur.execute("SELECT COUNT(*), SUM(b) FROM keep")
                assert cur.fetchall() == [(500, sum(range(500)))]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    clock.advance(PAST)
    assert len(conn._db.gc.run_once().collected) == 8
    time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    rcur.execute("SELECT COUNT(*) FROM keep")  # the old snapshot still reads
    assert rcur.fetchall() == [(500,)]
    reader.rollback()
    reader.close()


def test_reopen_after_gc_has_no_orphans_and_reuses_no_id(tmp_path):
    clock = ManualClock()
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True, clock=clock) as conn:
        cur = conn.cursor()
        for name in ("a", "b", "c"):
            cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY)")
        cur.execute("SELECT MAX(TIDB_TABLE_ID) FROM information_schema.tables "
                    "WHERE TABLE_SCHEMA = 'test'")
        top = int(cur.fetchall()[0][0])
        cur.execute("DROP TABLE c")  # the highest id: the first to come back if reused
        cur.execute("DROP TABLE b")
        clock.advance(PAST)
        assert len(conn._db.gc.run_once().collected) == 2
    with core.connect(path, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("ADMIN SHOW ORPHAN FILES")
        assert cur.fetchall() == []
        cur.execute("CREATE TABLE n (id INT PRIMARY KEY)")
        cur.execute("SELECT TIDB_TABLE_ID FROM information_schema.tables WHERE TABLE_NAME "
                    "= 'n'")
        assert int(cur.fetchall()[0][0]) > top
        assert sorted(os.listdir(os.path.join(path, "test"))) == [
            "a.kdb", "a.kdb-lock", "n.kdb", "n.kdb-lock"]


def test_the_thread_runs_rounds_at_the_interval_and_stops_on_close(tmp_path):
    clock = ManualClock()
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, clock=clock)
    db = conn._db
    assert db.gc.running
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    sid = table_id(lambda s: (cur.execute(s), cur.fetchall())[1], "t")
    cur.execute("DROP TABLE t")
    set_var(conn, "tidb_gc_run_interval", "1s")
    db.gc.wake()  # the thread re-reads the interval after a round
    clock.advance(PAST)
    deadline = time.monotonic() + 10
    while sid in pending_ids(conn) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sid not in pending_ids(conn), db.gc.failure
    t0 = time.monotonic()
    conn.close()
    assert time.monotonic() - t0 < 5
    assert not db.gc.running


def test_read_only_open_runs_no_gc(tmp_path):
    clock = ManualClock()
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True, clock=clock) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        cur.execute("DROP TABLE t")
    clock.advance(PAST)
    with core.connect(path, force_recovery=1, clock=clock) as conn:
        assert not conn._db.gc.running
        report = conn._db.gc.run_once()
        assert report.collected == [] and report.pending == 1
    assert os.path.exists(os.path.join(path, "test", "t.kdb"))


def test_a_snapshot_reading_the_dropped_file_keeps_it_until_it_ends(env):
    """A reader already in the file when GC deletes it reads on (its LMDB environment closes
    when it ends); a snapshot older than the drop that reaches the file only after GC gets
    TiDB's 9006 (GC life time is shorter than transaction duration)."""
    conn, q, clock, log, path = env
    make(q, "t")
    sid = table_id(q, "t")
    conn._db.engine.flush()
    from core.codec.keys import row_prefix

    engine = conn._db.engine
    inside = engine.snapshot()
    late = engine.snapshot()
    lo = row_prefix(sid)
    assert sum(1 for _ in inside.scan(sid, lo, prefix_next(lo))) == 50
    q("DROP TABLE t")
    clock.advance(PAST)
    assert len(conn._db.gc.run_once().collected) == 1
    assert sum(1 for _ in inside.scan(sid, lo, prefix_next(lo))) == 50
    inside.close()
    with pytest.raises(core.OperationalError) as exc:
        list(late.scan(sid, lo, prefix_next(lo)))
    assert exc.value.errno == 9006
    late.close()
