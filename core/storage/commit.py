"""The commit path and the read path: the writer lock, the log append, publication, snapshots.

This is the engine's side of `core.storage.pipeline.CommitPipeline`.  The one invariant it
keeps: a commit is *published* (its records in the log buffer and its writes in the overlay)
in one step under the state lock, in LSN order, and a snapshot is taken under the same lock,
so every snapshot sees a prefix of the commits.  Publication comes before durability: the
writer lock is released before the commit's fdatasync, so the next commit can join its group.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from core.errors import EngineClosedError, LockWaitTimeoutError, OperationalError
from core.log import record
from core.log.redo import RedoLog
from core.storage.lmdbfile import os_error
from core.storage.overlay import INFINITY, Layer, MutableGeneration
from core.storage.pipeline import FileOp, Writes
from core.storage.snapshot import Snapshot
from core.storage.tablespace import Tablespace


class CommitPath:
    """The engine's writer lock, commit publication and snapshots (a mixin of `Engine`; it
    creates new tablespaces through `SpaceMap.open_space_file`)."""

    path: str
    closed: bool
    lock_wait_timeout: float
    flush_threshold: int
    flusher_error: BaseException | None
    spaces: dict[int, Tablespace]
    log: RedoLog  # a ReadOnlyLog with force_recovery
    _writer: threading.Lock  # one write transaction at a time
    _state: threading.Lock  # log append + overlay publication vs snapshots
    _wake: threading.Event  # wakes the flusher early
    _next_trx_id: int
    _active: MutableGeneration  # where small commits merge
    _gens: list[Layer]  # the overlay, oldest first; the last one is `_active`
    _open_first_lsn: int | None  # first LSN of a spilled transaction still open
    _snapshots: weakref.WeakSet[Snapshot]  # live snapshots, pinned before each flush
    _flush_epoch: int
    _spaces_view: dict[int, Tablespace]  # copy-on-write copy of `spaces` that snapshots share
    binlog: Any  # core.log.binlog.BinlogWriter | None

    # -- reads -------------------------------------------------------------------------------

    def snapshot(self, *, wait_durable: bool = True) -> Snapshot:
        """A consistent view of every commit published so far.

        The visibility rule: a commit is *published* when its records are in the log buffer
        and its writes in the overlay (one step under the state lock, in LSN order).  A
        snapshot sees exactly the commits published before it was taken, so a transaction's
        consistent reads and its current reads (UPDATE/DELETE, taken under the writer lock)
        agree on every commit that preceded it.  Published is not yet durable: the writer
        lock is released before the commit's fdatasync so the next commit can join its group.
        A reader must never return data that a crash could still take back, so the snapshot
        waits (joining the group commit in flight) until what it sees is durable.  A writer
        (`wait_durable=False`, holding the writer lock) need not wait: its own commit comes
        later in the same log and cannot become durable without the ones it saw."""
        self.check_readable()
        snap = self._new_snapshot(None)
        if wait_durable and self.log.durable_lsn < snap.lsn:
            try:
                self.log.sync(snap.lsn)
            except OSError as exc:
                snap.close()
                raise self._redo_error(exc, "the redo log could not be made durable") from exc
        return snap

    def latest_snapshot(self) -> Snapshot:
        """Everything committed, durable or not (the writer lock's holder's current read)."""
        self.check_readable()
        return self._new_snapshot(INFINITY)

    def _new_snapshot(self, lsn: int | None) -> Snapshot:
        """`lsn=None`: every commit published now (the log's end, read under the lock)."""
        with self._state:
            snap = Snapshot(self.log.end_lsn if lsn is None else lsn,
                            self._gens[::-1], self._spaces_view, self._flush_epoch)
            self._snapshots.add(snap)
        return snap

    def check_open(self) -> None:
        """Before a write: the engine must be open and able to apply what it commits."""
        self.check_readable()
        if self.flusher_error is not None:
            err = self.flusher_error
            raise OperationalError(
                "the database stopped accepting writes: "
                f"{err.msg if hasattr(err, 'msg') else repr(err)}. Everything acknowledged is "
                "in the redo log and still readable; close and reopen the database (read-only "
                "with --force-recovery 1 if the reopen fails).",
                errno=getattr(err, "errno", 1030) if hasattr(err, "msg") else 1030)

    def check_readable(self) -> None:
        """Reads go on after a failed flush: the overlay still holds what was not applied."""
        if self.closed:
            raise EngineClosedError(f"database {self.path} is closed")

    # -- the writer lock ---------------------------------------------------------------------

    def acquire_writer(self, timeout: float | None = None) -> int:
        """Take the writer lock, waiting at most `timeout` seconds (default: the lock wait
        timeout, then 1205); returns a new transaction id (ids only change under it)."""
        self.check_open()
        if not self._writer.acquire(False):  # contended: count the wait (writers_waiting)
            with self._state:
                self._writers_waiting += 1
            try:
                got = self._writer.acquire(timeout=self.lock_wait_timeout if timeout is None
                                           else timeout)
            finally:
                with self._state:
                    self._writers_waiting -= 1
            if not got:
                raise LockWaitTimeoutError()
        trx = self._next_trx_id
        self._next_trx_id += 1
        return trx

    @property
    def writers_waiting(self) -> int:
        """Transactions waiting for the writer lock now: a background writer (the DDL
        worker's backfill) yields to them between its steps."""
        return self._writers_waiting

    def release_writer(self) -> None:
        """Release the writer lock; a spilled transaction's records stop holding the
        checkpoint back (they now belong to its overlay generation, or to nobody)."""
        if self._open_first_lsn is not None:
            with self._state:
                self._open_first_lsn = None
        self._writer.release()

    # -- logging and publication -------------------------------------------------------------

    def append_open(self, bodies: list[bytes], first_lsn: int | None) -> int:
        """Log records of a transaction that is still open (a spill); returns the first LSN.
        The checkpoint will not pass that LSN until the transaction ends."""
        with self._state:
            first, end = self._append(bodies)
            if self._open_first_lsn is None:
                self._open_first_lsn = first if first_lsn is None else first_lsn
        self.log.sync(end)  # write the spilled records out; bounded log buffer
        return first

    def _append(self, bodies: list[bytes]) -> tuple[int, int]:
        """`log.append`, whose segment switch may meet a full disk: then the commit fails
        with 1021 naming the redo directory, and nothing of it is published (records of it
        already framed are an unfinished transaction to recovery)."""
        try:
            return self.log.append(bodies)
        except OSError as exc:
            raise self._redo_error(exc, "the redo log could not grow into a new segment; "
                                   "the transaction was not committed") from exc

    def abort_open(self, trx_id: int) -> None:
        """Log the rollback of a spilled transaction, so recovery need not report it."""
        with self._state:
            self.log.append([record.abort_body(trx_id)])

    def publish_commit(self, bodies: list[bytes], first_lsn: int | None, gen: Layer | None,
                       writes: Writes, file_ops: list[FileOp],
                       binlogged: tuple[int, bytes] | None = None) -> int:
        """Append the commit to the log and make it visible in the overlay, atomically with
        respect to snapshots.  Called with the writer lock held.  `gen` is the transaction
        as a generation of its own (a big or spilled one), else `writes` merge into the
        mutable generation.

        New tablespaces are created (durably, under their final names) *before* the commit
        is logged: once the commit can be seen or checkpointed past, its files exist.  A crash
        in between leaves a file no dictionary entry points to, which is harmless."""
        created = [self.open_space_file(dict(header, created_lsn=self.log.end_lsn),
                                        create=True, register=False)
                   for kind, _sid, _rel, header in file_ops if kind == "create"]
        with self._state:
            first, end = self._append(bodies)
            if binlogged is not None:  # queued before a checkpoint can pass `end`
                self.binlog.enqueue(end, binlogged[0], binlogged[1])
            first_lsn = first if first_lsn is None else first_lsn
            self._open_first_lsn = None  # the transaction's records now belong to its overlay
            if gen is not None:
                gen.stamp(end, first_lsn)
                self._active = MutableGeneration()
                self._gens.append(gen)
                self._gens.append(self._active)
            else:
                self._active.add(writes, end, first_lsn)
            if created:
                for ts in created:
                    self.spaces[ts.space_id] = ts
                self._spaces_view = dict(self.spaces)
        if self._active.entries >= self.flush_threshold or gen is not None:
            self._wake.set()
        return end

    def make_durable(self, lsn: int) -> None:
        """Wait for the fdatasync that covers `lsn` (or lead it).  If it fails, the commit
        is in the log buffer and visible in the overlay but may not be on disk; nothing can
        tell whether a retried fsync covers the lost writes, so the engine stops accepting
        work and reopening recovers from what the disk has."""
        try:
            self.log.sync(lsn)
        except OSError as exc:
            self.flusher_error = exc
            raise self._redo_error(
                exc, "the redo log could not be made durable; the commit may be lost. Close "
                "and reopen the database (it recovers from what the disk has)") from exc

    def write_binlog(self, lsn: int | None = None) -> None:
        """After a commit is durable: append the binlog events of every durable commit
        still queued (`core.log.binlog`).  A failure does not undo the commit (it is in the
        redo log, which gives the events back at the next open); the engine stops accepting
        writes, as MySQL's binlog_error_action=ABORT_SERVER does, so the binlog never
        silently misses a transaction."""
        binlog = self.binlog
        if binlog is None:
            return
        try:
            binlog.write_through(self.log.durable_lsn, lsn)
        except OSError as exc:
            err = os_error(exc, exc.filename or binlog.directory)
            err.msg = (f"{err.msg}: the binary log could not be written; the commit is "
                       "durable in the redo log, which gives the binlog its events back "
                       "when the database is reopened")
            self.flusher_error = err

    def _redo_error(self, exc: OSError, what: str) -> OperationalError:
        """A failed log write or sync as MySQL says it: 1021 "Disk full" naming the redo
        segment for ENOSPC/EDQUOT (so the DBA knows which file system to free), else 1030."""
        segments = getattr(self.log, "segments", None)
        path = exc.filename or (segments[-1].path if segments else self.path)
        err = os_error(exc, path)
        err.msg = f"{err.msg}: {what}"
        return err
