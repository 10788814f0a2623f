"""The key-value engine as a whole: storage, recovery and transactions composed.

`core.storage.engine` is the storage layer only: it knows neither transactions nor recovery.
This module (beside `core.api`, at the top of the layering) is where they meet: `Engine.open`
opens the storage, runs crash recovery before it serves, then starts it; `Engine.begin`
starts a transaction on the storage's commit pipeline.  Everything that wants transactional
key-value access without SQL (the crash-test worker, the KV benchmarks, the console's
`recover` command) opens an `Engine` from here.
"""

from __future__ import annotations

from collections.abc import Callable

from core.events import Event, null_sink
from core.log.segment import DEFAULT_SEGMENT_SIZE
from core.recovery import recover
from core.storage.engine import Engine as StorageEngine
from core.storage.engine import destroy
from core.storage.lifecycle import (
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_FLUSH_THRESHOLD,
    DEFAULT_LOCK_WAIT_TIMEOUT,
    DEFAULT_SPILL_LIMIT,
)
from core.storage.lmdbfile import mapped_errors
from core.storage.tablespace import DEFAULT_MAP_SIZE
from core.txn.transaction import Transaction

__all__ = ["Engine", "destroy"]


class Engine(StorageEngine):
    """An open database directory that serves transactions.  Use `Engine.open()`; close
    with `close()` or `with`."""

    @classmethod
    def open(
        cls,
        path: str,
        *,
        create: bool = False,
        sink: Callable[[Event], None] = null_sink,
        force_recovery: int = 0,
        map_size: int = DEFAULT_MAP_SIZE,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        spill_limit: int = DEFAULT_SPILL_LIMIT,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        flush_threshold: int = DEFAULT_FLUSH_THRESHOLD,
        lock_wait_timeout: float = DEFAULT_LOCK_WAIT_TIMEOUT,
        background: bool = True,
    ) -> Engine:
        """Open (or with `create=True` make) the database in `path`, recovering if needed.

        `force_recovery` follows InnoDB: any level above 0 opens the database read-only.
        `flush_interval=0` runs no flusher thread (tests call `flush()` themselves);
        `background` is accepted for compatibility and changes nothing.
        Every failure is a `core.errors` error: OS and LMDB errors are mapped (a full disk is
        1021 naming the file, damage 1877).
        """
        with mapped_errors(path):
            engine = cls.open_storage(
                path, create=create, sink=sink, force_recovery=force_recovery,
                map_size=map_size, segment_size=segment_size, spill_limit=spill_limit,
                flush_interval=flush_interval, flush_threshold=flush_threshold,
                lock_wait_timeout=lock_wait_timeout)
            try:
                result = recover(engine, engine.control_at_open)
                engine.start_serving(
                    segments=result.segments, end_lsn=result.end_lsn, torn=result.torn,
                    dead_segments=result.dead_segments, max_trx_id=result.max_trx_id,
                    replayed=result.overlay)
            except BaseException:
                engine.abandon()
                raise
        return engine

    def begin(self) -> Transaction:
        """A new transaction (`core.txn.begin` without the extra call on this hot path)."""
        self.check_readable()  # a read-only transaction works after a failed flush
        return Transaction(self)
