"""The key-value engine as a whole: storage, recovery and transactions composed.

`core.storage.engine` is the storage layer only: it knows neither transactions nor recovery.
This module (beside `core.api`, at the top of the layering) is where they meet: `Engine.open`
opens the storage, runs crash recovery before it serves, then starts it; `Engine.begin`
starts a transaction on the storage's commit pipeline.  Everything that wants transactional
key-value access without SQL (the crash-test worker, the KV benchmarks, the console's
`recover` command) opens an `Engine` from here.

Every open also writes `DIR/kintsugi.err` (`core.errlog`), and an open that recovered or
was forced leaves its `RecoveryRecord` in `engine.last_recovery` and in the history.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.catalog.dropped import awaiting_gc
from core.errlog import ErrorLog
from core.errors import CorruptionError, Error
from core.events import DamagedLogKept, Event, RecoveryWarning, null_sink
from core.log.binlog import BinlogWriter, has_binlog
from core.log.gtid import uuid_text
from core.log.segment import DEFAULT_SEGMENT_SIZE
from core.recovery import recover
from core.recovery.forced import check_discard_arguments, mark_discard, pending_discards
from core.recovery.history import move_pending, record_recovery
from core.recovery.redo_apply import RecoveryResult
from core.recovery.summary import interrupted_discard_record, needs_record, recovery_record
from core.status import RecoveryRecord
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


def _open_binlog(engine: Engine, result: RecoveryResult, log_bin: bool,
                 errlog: ErrorLog) -> None:
    """Open the binary log and give it back what a crash cut off: the committed
    transactions of the scanned redo that it lacks (`core.log.binlog`).  With the binlog off
    one that exists is still completed, then closed."""
    if not (log_bin or has_binlog(engine.path)):
        return
    try:
        writer = BinlogWriter.open(engine.path, uuid_text(engine.uuid))
    except CorruptionError as exc:
        if log_bin:
            raise
        errlog.warning(f"--skip-log-bin: the binary log is left as it is: {exc.msg}")
        return
    for text in writer.warnings:
        errlog.warning(text)
    try:
        added = writer.recover(result.binlog)
    except CorruptionError as exc:
        writer.close(0)  # writes nothing: the damaged file stays as it is
        if log_bin:
            raise
        errlog.warning(f"--skip-log-bin: the binary log is left as it is: {exc.msg}")
        return
    for note in writer.repaired:
        errlog.note(note)
    if added:
        errlog.note(f"Binary log: {added} committed transaction(s) written again from the "
                    f"redo log (up to {writer.files[-1]} position {writer.status()[1]})")
    if log_bin:
        engine.binlog = writer
    else:
        writer.close()


class Engine(StorageEngine):
    """An open database directory that serves transactions.  Use `Engine.open()`; close
    with `close()` or `with`."""

    _errlog: ErrorLog | None = None

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
        scan_directories: Sequence[str] | None = None,
        discard_damaged_log: bool = False,
        apply_batch_ops: int | None = None,
        expendable_spaces: Callable[[Any], Mapping[int, str]] | None = awaiting_gc,
        log_bin: bool = True,
    ) -> Engine:
        """Open (or with `create=True` make) the database in `path`, recovering if needed.

        `force_recovery` follows InnoDB (levels 1-6, see `core.recovery.forced`): any level
        above 0 opens the database read-only, and writes fail with ERROR 1881.
        `discard_damaged_log=True` (with force_recovery 1-5) keeps a copy of the damaged redo
        segments in `DIR/#redo-damaged-<time>/`, ends the log at the damage and opens
        *writable*; the commits after the damage are lost (the history says how many).
        `scan_directories` rebuilds the tablespace map from the `.kdb` files found there.
        `apply_batch_ops` sets how many row operations one redo apply batch holds (default
        200,000: memory stays bounded however long the log; the demo lowers it so that its
        small recovery shows several batches).
        `expendable_spaces(view)` names the spaces only waiting for GC (dropped tables):
        a missing or unusable file of one of them does not stop the open
        (`core.recovery.expendable`); None treats them as live tables.
        `log_bin=False` (`--skip-log-bin`) writes no binary log; one that exists is still
        completed from the redo log after a crash, so it never misses a transaction it had.
        `flush_interval=0` runs no flusher thread (tests call `flush()` themselves);
        `background` is accepted for compatibility and changes nothing.
        Every failure is a `core.errors` error: OS and LMDB errors are mapped (a full disk is
        1021 naming the file, damage 1877).
        """
        check_discard_arguments(force_recovery, discard_damaged_log)
        with mapped_errors(path):
            engine = cls.open_storage(
                path, create=create, sink=sink, force_recovery=force_recovery,
                map_size=map_size, segment_size=segment_size, spill_limit=spill_limit,
                flush_interval=flush_interval, flush_threshold=flush_threshold,
                lock_wait_timeout=lock_wait_timeout, discard_damaged_log=discard_damaged_log)
            errlog = engine._errlog = ErrorLog(engine.path)
            engine.sink = errlog.wrap(sink)
            if errlog.problem:
                engine.sink(RecoveryWarning(errlog.problem))
            engine.scan_directories = (tuple(scan_directories) if scan_directories is not None
                                       else None)
            engine.apply_batch_ops = apply_batch_ops
            engine.expendable_spaces = expendable_spaces
            try:
                result = recover(engine, engine.control_at_open)
                if not engine.read_only:  # before start_serving's checkpoint drops that redo
                    _open_binlog(engine, result, log_bin, errlog)
                engine.start_serving(
                    segments=result.segments, end_lsn=result.end_lsn, torn=result.torn,
                    dead_segments=result.dead_segments, max_trx_id=result.max_trx_id,
                    replayed=result.overlay)
            except BaseException as exc:
                errlog.error(exc)
                errlog.close()
                binlog, engine.binlog = engine.binlog, None
                if binlog is not None:
                    binlog.close()
                engine.abandon()
                raise
            if result.kept:
                # said only now that the log has been ended (start_serving zeroed it)
                engine.sink(DamagedLogKept(result.end_lsn, result.kept,
                                           result.skipped.commits if result.skipped else 0))
            if needs_record(result, engine):
                engine.last_recovery = engine._record(recovery_record(result, engine))
            if not engine.read_only:
                engine._record_interrupted_discards(result)
            if not engine.read_only:
                move_pending(engine)  # rows that forced (read-only) opens could not write
        return engine

    def _record(self, rec: RecoveryRecord) -> RecoveryRecord:
        """Give the record its id and keep it in the history; a history that cannot be
        written costs a Warning in the error log, never the open."""
        self.last_recovery = rec
        try:
            return record_recovery(self, rec)
        except (Error, OSError) as exc:
            if self._errlog is not None:
                self._errlog.warning(f"The recovery history could not be written: {exc}")
            return rec

    def _record_interrupted_discards(self, result: RecoveryResult) -> None:
        """A `discard_damaged_log` open that died after writing its facts file: if the log
        was ended (this open did not find it still damaged at the cut), record the discard
        in the history now; if this open is a new discard at the same cut, the old one never
        ended the log (superseded).  This open's own discard is marked recorded."""
        for path, facts in pending_discards(self.path):
            cut = facts.get("cut_lsn")
            if result.kept_dir and os.path.dirname(path) == result.kept_dir:
                mark_discard(path, facts, "recorded")
                continue
            skipped = result.skipped
            if skipped is not None and skipped.from_lsn == cut:
                if result.kept_dir:
                    mark_discard(path, facts, "superseded")
                continue  # the log is still damaged there: that discard never ended it
            self._record(interrupted_discard_record(facts, result.end_time))
            mark_discard(path, facts, "recorded")

    def begin(self) -> Transaction:
        """A new transaction (`core.txn.begin` without the extra call on this hot path)."""
        self.check_readable()  # a read-only transaction works after a failed flush
        return Transaction(self)

    def close(self) -> None:
        """Close (see `Lifecycle.close`), and say so in the error log."""
        if self.closed:
            return
        errlog = self._errlog
        try:
            super().close()
        except BaseException as exc:
            if errlog is not None:
                errlog.warning(f"Shutdown was not clean ({exc}); the next open recovers from "
                               "the redo log")
                errlog.close()
            raise
        if errlog is not None:
            lsn = getattr(getattr(self, "log", None), "end_lsn", 0)
            errlog.note(f"Shutdown completed; log sequence number {lsn}")
            errlog.close()
