"""What tests do to a database that a crash or a disk would: stop an engine as a SIGKILL
would, read a space's keys, and change a tablespace file behind the engine's back.  One
copy for the recovery, log-integrity and corruption tests."""

from __future__ import annotations

from collections.abc import Callable

import lmdb


def crash(engine) -> None:
    """Stop an engine the way a killed process would: what was acknowledged is in the log,
    nothing flushed, no SHUTDOWN, the lock released."""
    engine.log.sync()
    for ts in engine.spaces.values():
        ts.close()
    engine.closed = True
    engine._lock.release()
    if engine._errlog is not None:
        engine._errlog.close()


def spill_open(txn) -> None:
    """Send an open transaction's rows to the log and its spill file, and leave the file on
    disk whatever happens to the Python object: a killed process never removes its spill
    file, and a finalizer run by a later garbage collection (the transaction sits in a
    reference cycle) would otherwise delete it in the middle of the test that inspects it."""
    txn._spill_now()
    txn._spill._finalizer.detach()


def rows(engine, sid: int) -> list[bytes]:
    """The keys of space `sid`, as a snapshot sees them."""
    with engine.snapshot() as snap:
        return [k for k, _ in snap.scan(sid)]


def edit_tablespace(kdb: str, fn: Callable) -> None:
    """Run `fn(txn)` in a write transaction on a tablespace file's data (the database
    closed), as damage would change it."""
    env = lmdb.open(kdb, subdir=False, max_dbs=4, lock=False)
    try:
        data = env.open_db(b"data", create=False)
        with env.begin(write=True, db=data) as txn:
            fn(txn)
    finally:
        env.close()
