"""The redo scan reads only the head of a long ROWS record (its images are decoded once, by
the apply pass); the tables of a transaction that did not commit still come from its row
images, read again when the scan ends.  These tests use records far above the head-only
threshold, in two tables, so both paths are exercised."""

from __future__ import annotations

from core.events import EventLog, TransactionDiscarded
from core.kv import Engine
from core.recovery.redo_apply import HEAD_ONLY_BYTES
from tests.damage import crash, rows, spill_open

BIG = b"v" * 200  # 200 rows of this make a ROWS body far longer than HEAD_ONLY_BYTES


def build(path: str) -> dict:
    eng = Engine.open(path, create=True, flush_interval=0)
    with eng.begin() as txn:
        a = txn.create_space("db", "a")
        b = txn.create_space("db", "b")
    done = eng.begin()  # a big transaction that commits: its images are applied once
    for i in range(300):
        done.put(a, b"c%05d" % i, BIG)
    spill_open(done)
    done.commit()
    open_txn = eng.begin()  # a big one that never commits, across both tables
    for i in range(300):
        open_txn.put(a, b"o%05d" % i, BIG)
        open_txn.put(b, b"o%05d" % i, BIG)
    spill_open(open_txn)
    crash(eng)
    assert 300 * len(BIG) > 4 * HEAD_ONLY_BYTES
    return {"a": a, "b": b, "open": open_txn.trx_id}


def test_uncommitted_big_transaction_names_its_tables_and_committed_rows_apply(tmp_path):
    path = str(tmp_path / "db")
    info = build(path)
    log = EventLog()
    with Engine.open(path, flush_interval=0, sink=log) as eng:
        (d,) = log.of(TransactionDiscarded)
        assert d.trx_id == info["open"]
        assert set(d.tables) == {"db.a", "db.b"}
        assert d.row_operations == 600
        keys = rows(eng, info["a"])
        assert len(keys) == 300 and all(k.startswith(b"c") for k in keys)
        assert rows(eng, info["b"]) == []


def test_forced_open_counts_the_same(tmp_path):
    path = str(tmp_path / "db")
    info = build(path)
    log = EventLog()
    with Engine.open(path, flush_interval=0, force_recovery=3, sink=log) as eng:
        (d,) = log.of(TransactionDiscarded)
        assert set(d.tables) == {"db.a", "db.b"} and d.kept
        assert len(rows(eng, info["a"])) == 300
