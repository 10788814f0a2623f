"""Recovery as typed steps run between the storage's two halves of opening, and the seams
around it: the storage engine offers the commit pipeline, `core.kv.Engine` composes."""

from __future__ import annotations

import dataclasses

import pytest

from core.errors import EngineClosedError, OperationalError
from core.events import (
    DatabaseOpened,
    EventLog,
    RecoveryFinished,
    RecoveryStarted,
    RedoScanDone,
    TransactionDiscarded,
)
from core.kv import Engine
from core.recovery import RecoveryResult, apply, clean_up, discover, recover, scan
from core.storage.engine import Engine as StorageEngine
from core.storage.pipeline import CommitPipeline
from core.txn import Transaction, begin


def _crash(engine: Engine) -> None:
    """Stop an engine the way a killed process would (no flush, no SHUTDOWN), keeping only
    what was acknowledged as durable."""
    engine.log.sync()
    for ts in engine.spaces.values():
        ts.close()
    engine.closed = True
    engine._lock.release()


def _crashed_database(path: str) -> tuple[int, int, int]:
    """A database whose last run committed 3 rows and left a transaction with 2 writes open
    (spilled to the log, so recovery sees it); returns (space, open trx id, commit LSN)."""
    eng = Engine.open(path, create=True, flush_interval=0, spill_limit=1)
    with eng.begin() as txn:
        sid = txn.create_space("db", "t")
    with eng.begin() as txn:
        for k in (b"a", b"b", b"c"):
            txn.put(sid, k, b"v")
    last = eng.stats()["end_lsn"]
    txn = eng.begin()
    txn.put(sid, b"x", b"1")
    txn.put(sid, b"y", b"2")  # spill_limit=1: each write went to the log at once
    _crash(eng)
    return sid, txn.trx_id, last


def test_recover_returns_what_the_storage_serves_from(db_path):
    sid, open_trx, last_commit = _crashed_database(db_path)
    log = EventLog()
    storage = Engine.open_storage(db_path, sink=log)
    try:
        result = recover(storage, storage.control_at_open)
    finally:
        storage.abandon()
    assert isinstance(result, RecoveryResult)
    assert result.crashed
    assert result.end_lsn >= last_commit and result.segments and not result.torn
    assert result.applied_records == 4  # the space map entry and the three rows
    assert result.discarded == {open_trx: 2}
    assert result.max_trx_id == open_trx
    assert result.overlay is None  # a writable open applied to the files
    kinds = [type(e) for e in log.events]
    assert kinds[0] is RecoveryStarted and kinds[-1] is RecoveryFinished
    assert DatabaseOpened not in kinds  # storage did not start serving
    assert [e.trx_id for e in log.of(TransactionDiscarded)] == [open_trx]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.end_lsn = 0  # type: ignore[misc]

    # the tablespaces were brought up to date: a second run has nothing to replay
    storage = Engine.open_storage(db_path)
    try:
        again = recover(storage, storage.control_at_open)
        assert again.crashed and again.applied_records == 0
        assert storage.spaces[sid].entry_count() == 3
    finally:
        storage.abandon()


def test_the_steps_run_one_by_one(db_path):
    sid, open_trx, _ = _crashed_database(db_path)
    storage = Engine.open_storage(db_path, force_recovery=1)  # read-only: files untouched
    try:
        ctl = storage.control_at_open
        segments = discover(storage, ctl)
        assert segments and set(storage.spaces) == {0}  # the map entry is still in redo
        redo = scan(storage, segments, ctl, crashed=True)
        assert redo.unfinished() == {open_trx: 2}
        assert open_trx not in redo.committed and redo.max_trx_id == open_trx
        applied, overlay = apply(storage, segments, ctl.checkpoint_lsn, redo)
        assert applied == 4 and overlay is not None and overlay.entries == 4
        assert set(storage.spaces) == {0, sid}  # its file existed before the CREATE committed
        assert storage.spaces[sid].entry_count() == 0  # replayed into memory only
        assert clean_up(storage, redo) == {open_trx: 2}
    finally:
        storage.abandon()


def test_clean_shutdown_recovers_silently(db_path):
    Engine.open(db_path, create=True, flush_interval=0).close()
    log = EventLog()
    storage = Engine.open_storage(db_path, sink=log)
    try:
        result = recover(storage, storage.control_at_open)
    finally:
        storage.abandon()
    assert not result.crashed and result.applied_records == 0 and result.discarded == {}
    assert log.events == []


def test_open_composes_storage_recovery_and_serving(db_path):
    sid, open_trx, _ = _crashed_database(db_path)
    log = EventLog()
    with Engine.open(db_path, flush_interval=0, sink=log) as eng:
        assert isinstance(eng, StorageEngine)
        kinds = [type(e) for e in log.events]
        assert kinds.index(RecoveryFinished) < kinds.index(DatabaseOpened)
        assert log.of(RedoScanDone)[0].uncommitted == 1
        txn = eng.begin()
        assert isinstance(txn, Transaction) and txn.trx_id is None
        assert [k for k, _ in txn.scan(sid)] == [b"a", b"b", b"c"]
        txn.put(sid, b"d", b"v")
        assert txn.trx_id > open_trx  # ids never repeat one the log already holds
        txn.commit()
    with pytest.raises(EngineClosedError):
        eng.begin()


def test_a_failed_recovery_leaves_the_directory_unlocked(db_path):
    sid, _, _ = _crashed_database(db_path)
    import os

    os.unlink(os.path.join(db_path, "system.kdb"))
    with pytest.raises(OperationalError, match="dictionary is gone"):
        Engine.open(db_path, flush_interval=0)
    with pytest.raises(OperationalError, match="dictionary is gone"):
        Engine.open(db_path, flush_interval=0)  # not "locked by another process"


def test_the_storage_engine_offers_the_commit_pipeline(engine):
    members = {n for n in vars(CommitPipeline) if not n.startswith("_")}
    members |= set(CommitPipeline.__annotations__)
    assert {"acquire_writer", "publish_commit", "make_durable", "read_only"} <= members
    missing = [n for n in sorted(members) if not hasattr(engine, n)]
    assert missing == []
    txn = begin(engine)  # the pipeline alone is enough to run a transaction
    sid = txn.create_space("db", "p")
    txn.commit()
    with begin(engine) as txn:
        txn.put(sid, b"k", b"v")
    with engine.snapshot() as snap:
        assert snap.get(sid, b"k") == b"v"
