"""ADMIN RECOVER INDEX, ADMIN CLEANUP INDEX and ADMIN REPAIR INDEX on real files.

Damage is made with `core.faults` (through the redo log, as any write); the verdict after a
repair is an independent cross-check written here: the entries every row needs, computed
from the stored rows with `core.codec.entries.index_entry`, against the entries the index
holds, read raw from a fresh snapshot.
"""

from __future__ import annotations

import threading
import time

import pytest

import core
from core import faults
from core.admin import batches, target
from core.catalog.model import HANDLE_CLUSTERED
from core.codec import decode_row, decode_row_key, index_prefix, prefix_next, row_prefix
from core.codec.entries import index_entry
from core.errors import Error
from core.events import IndexAdminFinished, IndexAdminProgress, IndexAdminStarted

# -- the cross-check --------------------------------------------------------------------------


def _table(conn, name: str):
    db = conn._db
    with db.engine.snapshot() as snap:
        return db.schema(snap).table(conn.database, name)


def index_state(conn, table: str, index: str) -> tuple[dict, dict]:
    """(needed, stored): the entries (key -> value) the rows need in `index`, and those the
    index holds, in one fresh snapshot."""
    db = conn._db
    with db.engine.snapshot() as snap:
        t = db.schema(snap).table(conn.database, table)
        ix = next(i for i in t.indexes if i.name.lower() == index.lower())
        pos = [t.column_index(c) for c in ix.columns]
        clustered = t.handle == HANDLE_CLUSTERED
        lo = row_prefix(t.id)
        needed = {}
        for k, v in snap.scan(t.id, lo, prefix_next(lo)):
            handle = decode_row_key(bytes(k), common_handle=clustered)[1]
            row = decode_row(bytes(v))
            ek, ev = index_entry(t.id, ix.id, ix.unique, [row[p] for p in pos], handle)
            needed[ek] = ev
        lo = index_prefix(t.id, ix.id)
        stored = {bytes(k): bytes(v) for k, v in snap.scan(t.id, lo, prefix_next(lo))}
    return needed, stored


def assert_exact(conn, table: str, index: str) -> int:
    """The index holds exactly the entries its rows need; returns how many."""
    needed, stored = index_state(conn, table, index)
    missing = {k for k in needed if k not in stored}
    extra = {k for k in stored if stored[k] != needed.get(k)}
    assert not missing and not extra, (f"{len(missing)} missing, {len(extra)} unneeded "
                                       f"of {len(needed)} entries")
    return len(needed)


def _diff(conn, table: str, index: str) -> tuple[int, int]:
    needed, stored = index_state(conn, table, index)
    return (sum(1 for k in needed if k not in stored),
            sum(1 for k in stored if stored[k] != needed.get(k)))


def handles(conn, table: str) -> list:
    """Every row's handle (the hidden row id of a table without a primary key)."""
    db = conn._db
    with db.engine.snapshot() as snap:
        t = db.schema(snap).table(conn.database, table)
        lo = row_prefix(t.id)
        return [decode_row_key(bytes(k))[1] for k, _ in snap.scan(t.id, lo, prefix_next(lo))]


# -- fixtures ---------------------------------------------------------------------------------


def _connect(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, flush_interval=0.05, **kw)


@pytest.fixture
def db(tmp_path):
    conn = _connect(tmp_path / "db")
    yield conn
    conn.close()


def run(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchall() if cur.description is not None else cur.rowcount


def run_cur(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    return cur


def errno_of(conn, sql) -> Error:
    with pytest.raises(Error) as ei:
        run(conn, sql)
    return ei.value


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(batches, "RECOVER_BATCH", 7)
    monkeypatch.setattr(batches, "CLEANUP_BATCH", 5)


# Index kinds: DDL, the rows, the handle of row i (1-based; None: the hidden row id), the
# index's first column with a bound below all its values, and two sets of index values that
# no row holds (a wrong entry, a dangling one).
N = 40


def _val(i):
    return None if i % 4 == 0 else i * 3


KINDS = {
    "plain": ("CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY idx (b))",
              [(i, i % 7) for i in range(1, N + 1)], lambda i: i,
              "b >= -1", [7777], [8888]),
    "unique": ("CREATE TABLE t (id INT PRIMARY KEY, b INT NOT NULL, UNIQUE KEY idx (b))",
               [(i, 1000 - i) for i in range(1, N + 1)], lambda i: i,
               "b >= -1", [7777], [8888]),
    "unique_nulls": ("CREATE TABLE t (id INT PRIMARY KEY, b INT, UNIQUE KEY idx (b))",
                     [(i, _val(i)) for i in range(1, N + 1)], lambda i: i,
                     "b >= -1", [7777], [8888]),
    "composite": ("CREATE TABLE t (id BIGINT PRIMARY KEY, a INT, s VARCHAR(20), "
                  "KEY idx (s, a))",
                  [(i, i % 3, f"k{i % 5}") for i in range(1, N + 1)], lambda i: i,
                  "s >= ''", ["q", 7777], ["w", 8888]),
    "string_unique": ("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(30), "
                      "UNIQUE KEY idx (s))",
                      [(i, f"name-{i:03d}-é") for i in range(1, N + 1)], lambda i: i,
                      "s >= ''", ["q"], ["w"]),
    "rowid": ("CREATE TABLE t (a INT, s VARCHAR(10), KEY idx (a, s))",
              [(i % 9, f"r{i}") for i in range(1, N + 1)], None,
              "a >= -1", [7777, "q"], [8888, "w"]),
    "clustered": ("CREATE TABLE t (k VARCHAR(10), n INT, v INT, PRIMARY KEY (k, n), "
                  "KEY idx (v))",
                  [(f"c{i % 4}", i, i % 6) for i in range(1, N + 1)],
                  lambda i: (f"c{i % 4}", i), "v >= -1", [7777], [8888]),
}


def _load(conn, kind):
    ddl, rows, handle = KINDS[kind][:3]
    run(conn, ddl)
    marks = ", ".join(["%s"] * len(rows[0]))
    conn.cursor().executemany(f"INSERT INTO t VALUES ({marks})", rows)
    hs = handles(conn, "t") if handle is None else [handle(i) for i in range(1, N + 1)]
    assert len(hs) == N
    return hs


def _no_row(kind):
    """A handle no row has."""
    return ("zz", 1) if kind == "clustered" else 10**6


def _through_index(conn, kind) -> int:
    """COUNT(*) read through the index (the plan says so), checked against a table scan."""
    cond = KINDS[kind][3]
    plan = run(conn, f"EXPLAIN SELECT * FROM t FORCE INDEX (idx) WHERE {cond}")
    assert any("IndexLookUp" in str(r) for r in plan), plan
    n = run(conn, f"SELECT COUNT(*) FROM t FORCE INDEX (idx) WHERE {cond}")[0][0]
    assert run(conn, f"SELECT COUNT(*) FROM t IGNORE INDEX (idx) WHERE {cond}") == [(n,)]
    return n


# -- RECOVER ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_recover_adds_missing_entries(db, kind, small_batches):
    hs = _load(db, kind)
    assert assert_exact(db, "t", "idx") == N
    gone = hs[::3]
    assert faults.remove_index_entries(db, "t", "idx", gone) == len(gone)
    assert _diff(db, "t", "idx") == (len(gone), 0)
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(len(gone), N)]
    assert_exact(db, "t", "idx")
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(0, N)]  # nothing left to add
    _through_index(db, kind)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_cleanup_removes_only_dangling_entries(db, kind, small_batches):
    hs = _load(db, kind)
    faults.remove_rows_keep_index(db, "t", hs[:5])
    faults.add_dangling_index_entry(db, "t", "idx", KINDS[kind][5], _no_row(kind))
    # an entry pointing at an existing row with wrong values stays (TiDB's rule)
    faults.change_index_entry(db, "t", "idx", hs[10], KINDS[kind][4])
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(6,)]
    assert _diff(db, "t", "idx") == (1, 1)  # the changed entry: its row lacks it, unneeded
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(0,)]
    # REPAIR fixes the mismatch: one removed, one added, every row scanned
    assert run(db, "ADMIN REPAIR INDEX t idx") == [(1, 1, N - 5)]
    assert_exact(db, "t", "idx")


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_repair_fixes_every_kind_of_damage(db, kind, small_batches):
    hs = _load(db, kind)
    faults.remove_index_entries(db, "t", "idx", hs[0:6])  # 6 missing
    faults.remove_rows_keep_index(db, "t", hs[6:9])  # 3 dangling (their rows gone)
    faults.change_index_entry(db, "t", "idx", hs[20], KINDS[kind][4])  # 1 mismatched
    faults.add_dangling_index_entry(db, "t", "idx", KINDS[kind][5], _no_row(kind))
    assert _diff(db, "t", "idx") == (7, 5)
    assert run(db, "ADMIN REPAIR INDEX t idx") == [(5, 7, N - 3)]
    assert_exact(db, "t", "idx")
    assert run(db, "ADMIN REPAIR INDEX t idx") == [(0, 0, N - 3)]
    _through_index(db, kind)


def test_empty_table(db):
    run(db, "CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY idx (b))")
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(0, 0)]
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(0,)]
    assert run(db, "ADMIN REPAIR INDEX t idx") == [(0, 0, 0)]
    # an empty table whose index still has entries: all dangling
    faults.add_dangling_index_entry(db, "t", "idx", [5], 1)
    faults.add_dangling_index_entry(db, "t", "idx", [None], 2)
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(0, 0)]
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(2,)]
    assert assert_exact(db, "t", "idx") == 0


def test_bigint_edge_handles(db, small_batches):
    run(db, "CREATE TABLE t (id BIGINT PRIMARY KEY, b BIGINT, u VARCHAR(5), KEY idx (b), "
            "UNIQUE KEY uu (u))")
    lo, hi = -(2**63), 2**63 - 1
    ids = [lo, lo + 1, -1, 0, 1, hi - 1, hi]
    db.cursor().executemany("INSERT INTO t VALUES (%s, %s, %s)",
                            [(i, -i if i != lo else hi, f"u{n}") for n, i in enumerate(ids)])
    faults.remove_index_entries(db, "t", "idx", [lo, 0, hi])
    faults.remove_index_entries(db, "t", "uu", [lo, hi])
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(3, 7)]
    assert run(db, "ADMIN RECOVER INDEX t uu") == [(2, 7)]
    assert_exact(db, "t", "idx")
    assert_exact(db, "t", "uu")
    faults.remove_rows_keep_index(db, "t", [lo, hi])
    faults.add_dangling_index_entry(db, "t", "idx", [5], hi)
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(3,)]
    assert run(db, "ADMIN REPAIR INDEX t uu") == [(2, 0, 5)]
    assert_exact(db, "t", "idx")
    assert_exact(db, "t", "uu")
    assert run(db, f"SELECT id FROM t WHERE b = {-(hi - 1)}") == [(hi - 1,)]


def test_many_nulls_in_unique_index(db, small_batches):
    run(db, "CREATE TABLE t (id INT PRIMARY KEY, b INT, UNIQUE KEY idx (b))")
    db.cursor().executemany("INSERT INTO t VALUES (%s, %s)",
                            [(i, None if i % 2 else i) for i in range(1, 21)])
    faults.remove_index_entries(db, "t", "idx", range(1, 21))
    assert _diff(db, "t", "idx") == (20, 0)
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(20, 20)]
    assert_exact(db, "t", "idx")
    assert run(db, "SELECT COUNT(*) FROM t FORCE INDEX (idx) WHERE b IS NULL") == [(10,)]


def test_unique_conflict_is_not_overwritten(db):
    run(db, "CREATE TABLE t (id INT PRIMARY KEY, b INT, UNIQUE KEY idx (b))")
    run(db, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
    faults.remove_index_entries(db, "t", "idx", [2])
    run(db, "INSERT INTO t VALUES (4, 20)")  # the missing entry let a duplicate in
    cur = run_cur(db, "ADMIN RECOVER INDEX t idx")
    assert cur.fetchall() == [(0, 4)]
    (level, code, msg), = cur.warnings
    assert (level, code) == ("Warning", 1062)
    assert "constraint of unique index is broken" in msg and "points at handle 4" in msg
    needed, stored = index_state(db, "t", "idx")
    assert len(stored) == 3  # the entry of row 4 stayed
    # REPAIR cannot invent a second entry for one unique value either
    cur = run_cur(db, "ADMIN REPAIR INDEX t idx")
    assert cur.fetchall() == [(0, 0, 4)]
    assert [w[1] for w in cur.warnings] == [1062]


def test_primary_keys(db):
    run(db, "CREATE TABLE ti (id INT PRIMARY KEY, b INT, KEY idx (b))")
    for stmt in ("RECOVER", "CLEANUP", "REPAIR"):
        err = errno_of(db, f"ADMIN {stmt} INDEX ti PRIMARY")
        assert (err.errno, err.msg) == (1105, "secondary index `PRIMARY` is not found in "
                                              "table `ti`")
    err = errno_of(db, "ADMIN RECOVER INDEX ti nope")
    assert err.errno == 1176
    err = errno_of(db, "ADMIN CLEANUP INDEX nope idx")
    assert err.errno == 1146
    run(db, "CREATE TABLE tc (k VARCHAR(5) PRIMARY KEY, b INT, KEY idx (b))")
    run(db, "INSERT INTO tc VALUES ('a', 1), ('b', 2)")
    assert run(db, "ADMIN RECOVER INDEX tc PRIMARY") == [(0, 0)]
    assert run(db, "ADMIN CLEANUP INDEX tc PRIMARY") == [(0,)]
    assert run(db, "ADMIN REPAIR INDEX tc PRIMARY") == [(0, 0, 0)]


def test_result_types_and_events(db, small_batches, monkeypatch):
    monkeypatch.setattr(target, "PROGRESS_EVERY", 0)
    events = []
    db.event_sink = events.append
    _load(db, "plain")
    faults.remove_index_entries(db, "t", "idx", [1, 2, 3])
    cur = run_cur(db, "ADMIN RECOVER INDEX t idx")
    assert [d[0] for d in cur.description] == ["ADDED_COUNT", "SCAN_COUNT"]
    assert [d[1] for d in cur.description] == ["LONGLONG", "LONGLONG"]
    assert cur.fetchall() == [(3, N)]
    started = [e for e in events if isinstance(e, IndexAdminStarted)]
    progress = [e for e in events if isinstance(e, IndexAdminProgress)]
    finished = [e for e in events if isinstance(e, IndexAdminFinished)]
    assert [(e.operation, e.table, e.indexes) for e in started] == [
        ("recover", "test.t", ("idx",))]
    # one step before each batch of 7 rows, the last one scanning none; then the re-check's
    assert [e.done for e in progress if e.phase == "rows"][:7] == [0, 7, 14, 21, 28, 35, 40]
    assert {e.operation for e in progress} == {"recover"}
    assert len(finished) == 1
    f = finished[0]
    assert dict(f.counts) == {"ADDED_COUNT": 3, "SCAN_COUNT": N}
    assert (f.outcome, f.error) == ("repaired", "")
    assert [(r.index, r.rows_scanned, r.consistent) for r in f.reports] == [("idx", N, True)]
    # RECOVER only adds: a dangling entry is still there, and the re-check says so
    events.clear()
    faults.remove_rows_keep_index(db, "t", [5])
    faults.remove_index_entries(db, "t", "idx", [6])
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(1, N - 1)]
    f = [e for e in events if isinstance(e, IndexAdminFinished)][-1]
    assert f.outcome == "inconsistent"
    (r,) = f.reports
    assert (r.missing, r.dangling, r.mismatched) == (0, 1, 0)
    events.clear()
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(1,)]
    f = [e for e in events if isinstance(e, IndexAdminFinished)][-1]
    assert (f.operation, f.outcome, dict(f.counts)) == ("cleanup", "repaired",
                                                         {"REMOVED_COUNT": 1})


def test_cancel_between_batches_keeps_finished_batches(db, monkeypatch, small_batches):
    monkeypatch.setattr(target, "PROGRESS_EVERY", 0)
    _load(db, "plain")
    faults.remove_index_entries(db, "t", "idx", range(1, N + 1))
    seen = []

    def sink(e):
        if isinstance(e, IndexAdminProgress):
            seen.append(e.done)
            if len(seen) == 3:
                assert db.cancel()  # from the statement's own thread: honoured at step 4

    db.event_sink = sink
    err = errno_of(db, "ADMIN RECOVER INDEX t idx")
    assert (err.errno, err.sqlstate) == (1317, "70100")
    assert seen == [0, 7, 14]
    # three whole batches (21 rows, in handle order) are committed; nothing else
    needed, stored = index_state(db, "t", "idx")
    present = sorted(decode_row_key_from_entry(k) for k in stored)
    assert present == list(range(1, 22))
    events = []
    db.event_sink = events.append
    assert run(db, "ADMIN RECOVER INDEX t idx") == [(N - 21, N)]
    assert_exact(db, "t", "idx")


def decode_row_key_from_entry(key: bytes) -> int:
    from core.codec import decode_index_key

    return decode_index_key(key, 1)[3]


def test_cancel_event_and_cleanup_cancel(db, monkeypatch, small_batches):
    monkeypatch.setattr(target, "PROGRESS_EVERY", 0)
    _load(db, "plain")
    faults.remove_rows_keep_index(db, "t", range(1, 21))
    events = []

    def sink(e):
        events.append(e)
        if isinstance(e, IndexAdminProgress) and e.done >= 10:
            db.cancel()

    db.event_sink = sink
    assert errno_of(db, "ADMIN CLEANUP INDEX t idx").errno == 1317
    assert events[-1].outcome == "cancelled" and "interrupted" in events[-1].error
    # three batches of 5 entries ran: what they removed stays removed, nothing else did
    first = N - len(index_state(db, "t", "idx")[1])
    assert 0 < first < 20
    db.event_sink = None
    assert run(db, "ADMIN CLEANUP INDEX t idx") == [(20 - first,)]
    assert_exact(db, "t", "idx")


def test_restart_keeps_the_repairs(tmp_path, small_batches):
    path = tmp_path / "db"
    conn = _connect(path)
    _load(conn, "composite")
    faults.remove_index_entries(conn, "t", "idx", [1, 2, 3])
    faults.remove_rows_keep_index(conn, "t", [10, 11])
    faults.change_index_entry(conn, "t", "idx", 20, ["x", 1])
    assert run(conn, "ADMIN REPAIR INDEX t idx") == [(3, 4, N - 2)]
    conn.close()
    conn = _connect(path)
    try:
        assert_exact(conn, "t", "idx")
        assert run(conn, "ADMIN REPAIR INDEX t idx") == [(0, 0, N - 2)]
    finally:
        conn.close()


def test_forced_open_refuses(tmp_path):
    path = tmp_path / "db"
    conn = _connect(path)
    _load(conn, "plain")
    faults.remove_index_entries(conn, "t", "idx", [1])
    conn.close()
    conn = _connect(path, force_recovery=1)
    try:
        for stmt in ("RECOVER", "CLEANUP", "REPAIR"):
            err = errno_of(conn, f"ADMIN {stmt} INDEX t idx")
            assert (err.errno, err.msg) == (1881, "Operation not allowed when "
                                                  "force_recovery > 0.")
        assert _diff(conn, "t", "idx") == (1, 0)
    finally:
        conn.close()


def test_open_transaction_is_committed_first(tmp_path):
    conn = core.connect(str(tmp_path / "db"), create=True, autocommit=False)
    try:
        run(conn, "CREATE TABLE t (id INT PRIMARY KEY, b INT, KEY idx (b))")
        run(conn, "INSERT INTO t VALUES (1, 1), (2, 2)")  # open, uncommitted
        assert run(conn, "ADMIN RECOVER INDEX t idx") == [(0, 2)]
        conn.rollback()  # nothing left to roll back: the INSERT was committed first
        assert run(conn, "SELECT COUNT(*) FROM t") == [(2,)]
    finally:
        conn.close()


# -- concurrent writers -------------------------------------------------------------------------


class _Writer(threading.Thread):
    """Another connection doing INSERT / UPDATE / DELETE in a loop until told to stop, on
    handles from `base` upwards and on the existing rows it is given."""

    def __init__(self, path, base: int, touch: list[int], unique_from: int = 10**6):
        super().__init__(daemon=True)
        self.path = path
        self.base = base
        self.touch = touch
        self.unique_from = unique_from
        self.stop = threading.Event()
        self.done = 0
        self.error: BaseException | None = None

    def run(self):
        conn = _connect(self.path)
        try:
            n = 0
            while not self.stop.is_set():
                h = self.base + n
                u = self.unique_from + n
                run(conn, "INSERT INTO t VALUES (%s, %s, %s)", (h, n % 11, u))
                t = self.touch[n % len(self.touch)]
                run(conn, "UPDATE t SET b = b + 1 WHERE id = %s", (t,))
                run(conn, "UPDATE t SET id = %s WHERE id = %s", (h + 500_000, h))
                if n % 3 == 0:
                    run(conn, "DELETE FROM t WHERE id = %s", (self.touch[(n * 7) % len(
                        self.touch)],))
                n += 1
                self.done = n
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            conn.close()


def _concurrent(tmp_path, monkeypatch, statement: str, damage) -> _Writer:
    monkeypatch.setattr(batches, "RECOVER_BATCH", 16)
    monkeypatch.setattr(batches, "CLEANUP_BATCH", 16)
    monkeypatch.setattr(target, "PROGRESS_EVERY", 0)
    path = tmp_path / "db"
    conn = _connect(path)
    try:
        run(conn, "CREATE TABLE t (id BIGINT PRIMARY KEY, b INT, u INT, KEY idx (b), "
                  "UNIQUE KEY uu (u))")
        conn.cursor().executemany("INSERT INTO t VALUES (%s, %s, %s)",
                                  [(i, i % 13, i) for i in range(1, 801)])
        damage(conn)
        writer = _Writer(path, 10_000, list(range(1, 801, 5)))
        # every batch lets the writer in: the sink sleeps briefly between batches
        conn.event_sink = lambda e: time.sleep(0.002) if isinstance(
            e, IndexAdminProgress) else None
        writer.start()
        time.sleep(0.02)
        before = writer.done
        result = run(conn, statement)
        after = writer.done
        writer.stop.set()
        writer.join(10)
        assert writer.error is None, writer.error
        assert after > before, "the writer never ran during the statement"
        writer.result = result
        writer.state = index_state(conn, "t", "idx")
        return writer
    finally:
        conn.close()


def _exact(state):
    needed, stored = state
    return {k for k in needed if stored.get(k) != needed[k]}, \
        {k for k in stored if stored[k] != needed.get(k)}


def test_recover_while_others_write(tmp_path, monkeypatch):
    def damage(conn):
        faults.remove_index_entries(conn, "t", "idx", range(1, 801, 2))
        faults.remove_index_entries(conn, "t", "uu", range(1, 801, 3))

    w = _concurrent(tmp_path, monkeypatch, "ADMIN RECOVER INDEX t idx", damage)
    added, scanned = w.result[0]
    assert added >= 300 and scanned >= 700
    assert _exact(w.state) == (set(), set())


def test_repair_while_others_write(tmp_path, monkeypatch):
    def damage(conn):
        faults.remove_index_entries(conn, "t", "idx", range(2, 801, 4))
        faults.remove_rows_keep_index(conn, "t", range(3, 801, 50))
        for h in range(7, 801, 40):
            faults.change_index_entry(conn, "t", "idx", h, [99])
        for h in range(5):
            faults.add_dangling_index_entry(conn, "t", "idx", [h], 5_000_000 + h)

    w = _concurrent(tmp_path, monkeypatch, "ADMIN REPAIR INDEX t idx", damage)
    assert _exact(w.state) == (set(), set())


def test_cleanup_while_others_write(tmp_path, monkeypatch):
    def damage(conn):
        faults.remove_rows_keep_index(conn, "t", range(2, 801, 5))  # not among `touch`
        for h in range(20):
            faults.add_dangling_index_entry(conn, "t", "idx", [h % 13], 6_000_000 + h)

    w = _concurrent(tmp_path, monkeypatch, "ADMIN CLEANUP INDEX t idx", damage)
    assert w.result[0][0] == 160 + 20
    assert _exact(w.state) == (set(), set())  # no entry without its row is left


def test_conflict_warnings_are_capped(db, monkeypatch):
    from core.admin import repair

    monkeypatch.setattr(repair, "MAX_CONFLICT_WARNINGS", 2)
    run(db, "CREATE TABLE t (id INT PRIMARY KEY, b INT, UNIQUE KEY idx (b))")
    db.cursor().executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(1, 6)])
    faults.remove_index_entries(db, "t", "idx", range(1, 6))
    db.cursor().executemany("INSERT INTO t VALUES (%s, %s)", [(i + 10, i) for i in range(1, 6)])
    cur = run_cur(db, "ADMIN RECOVER INDEX t idx")
    assert cur.fetchall() == [(0, 10)]
    assert [w[1] for w in cur.warnings] == [1062, 1062, 1062]
    assert cur.warnings[-1][2].startswith("constraint of unique index is broken for 5 rows")


def test_index_dropped_between_batches(tmp_path, monkeypatch, small_batches):
    monkeypatch.setattr(target, "PROGRESS_EVERY", 0)
    path = tmp_path / "db"
    conn, other = _connect(path), _connect(path)
    try:
        _load(conn, "plain")
        faults.remove_index_entries(conn, "t", "idx", range(1, N + 1))
        events = []

        def sink(e):
            events.append(e)
            if isinstance(e, IndexAdminProgress) and e.done == 14:
                run(other, "DROP INDEX idx ON t")  # between two batches: no lock held

        conn.event_sink = sink
        err = errno_of(conn, "ADMIN RECOVER INDEX t idx")
        assert err.errno == 1176
        assert events[-1].outcome == "failed"
        assert run(conn, "SELECT COUNT(*) FROM t") == [(N,)]
    finally:
        other.close()
        conn.close()


def test_cancel_from_another_thread(db, monkeypatch, small_batches):
    monkeypatch.setattr(target, "PROGRESS_EVERY", 0)
    _load(db, "plain")
    faults.remove_index_entries(db, "t", "idx", range(1, N + 1))
    started = threading.Event()

    def sink(e):
        if isinstance(e, IndexAdminProgress):
            if e.done >= 14:
                started.set()
            time.sleep(0.01)  # slow batches: the cancel lands in the middle of the run

    db.event_sink = sink
    canceller = threading.Thread(target=lambda: (started.wait(5), db.cancel()))
    canceller.start()
    err = errno_of(db, "ADMIN RECOVER INDEX t idx")
    canceller.join(5)
    assert err.errno == 1317
    present = sorted(decode_row_key_from_entry(k) for k in index_state(db, "t", "idx")[1])
    # whole batches of 7 rows in handle order, nothing of the batch that was not run
    assert present == list(range(1, len(present) + 1))
    assert len(present) % 7 == 0 and 14 <= len(present) < N


def test_repair_clears_the_corruption_flag(tmp_path):
    path = tmp_path / "db"
    conn = _connect(path)
    try:
        run(conn, "CREATE TABLE t (id INT PRIMARY KEY, b INT, UNIQUE KEY idx (b))")
        run(conn, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
        faults.remove_index_entries(conn, "t", "idx", [2])
        assert errno_of(conn, "ADMIN CHECK INDEX t idx").errno in (8003, 8223)
        tid = _table(conn, "t").id
        assert conn._db.flags.index_flags(tid)  # the check flagged the index
        assert errno_of(conn, "INSERT INTO t VALUES (4, 40)").errno == 1712
        assert run(conn, "ADMIN RECOVER INDEX t idx") == [(1, 3)]
        assert not conn._db.flags.index_flags(tid)
        run(conn, "INSERT INTO t VALUES (4, 40)")  # a write trusts the index again
    finally:
        conn.close()
    conn = _connect(path)
    try:
        assert not conn._db.flags.index_flags(_table(conn, "t").id)
        assert run(conn, "SELECT id FROM t WHERE b = 20") == [(2,)]
    finally:
        conn.close()
