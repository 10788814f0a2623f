"""Transactions at the key-value level.

A transaction buffers its writes privately (no-steal: nothing uncommitted ever reaches a
tablespace).  Reads come in two kinds, as in InnoDB:

* `get` / `scan`: a consistent read of the snapshot taken at the transaction's first read,
  plus the transaction's own writes (REPEATABLE READ);
* `get_current` / `scan_current`: the latest committed state plus its own writes, used by
  UPDATE/DELETE/INSERT checks.  It takes the writer lock, so nothing can commit under it.

The writer lock is taken at the first write (or current read) and held until COMMIT or
ROLLBACK; it is released *before* the COMMIT waits for its fdatasync, so the next writer's
records can join the same group commit.  Snapshots therefore see every *published* commit
(durable or about to be), and a reader waits for that durability (`Engine.snapshot`): a
transaction's consistent and current reads agree on every commit that came before it.

A transaction drives storage only through `core.storage.pipeline.CommitPipeline` (the engine
implements it); `begin(pipeline)` starts one.
"""

from __future__ import annotations

import itertools
import os
import time

from core.crashpoints import crash_point
from core.errors import ForcedRecoveryError, ReadOnlyError, TransactionStateError
from core.events import TransactionSpilled
from core.log import record
from core.storage.overlay import INFINITY, MISSING, Layer, SortedGeneration
from core.storage.pipeline import CommitPipeline, FileOp
from core.storage.snapshot import Snapshot
from core.txn.spill import SpillFile

# Per buffered operation, what Python objects cost beyond the key and value bytes.
OP_OVERHEAD = 160
# Commits with at least this many operations become an overlay generation of their own.
BIG_COMMIT_OPS = 4096


class WriteSet(Layer):
    """The transaction's own writes (and its spill file) as the top layer of its reads."""

    min_lsn = max_lsn = first_lsn = INFINITY

    def __init__(self, txn: Transaction):
        self._txn = txn

    def get(self, space, key, lsn):
        ops = self._txn._writes.get(space)
        if ops is not None and key in ops:
            return ops[key]
        spill = self._txn._spill
        if spill is not None:
            return spill.get(space, key, INFINITY)
        return MISSING

    def keys(self, space, lo, hi, reverse):
        ops = self._txn._writes.get(space, {})
        own = sorted((k for k in ops if k >= lo and (hi is None or k < hi)), reverse=reverse)
        spill = self._txn._spill
        if spill is None or not spill.has_space(space):
            return iter(own)
        import heapq

        return heapq.merge(own, spill.keys(space, lo, hi, reverse), reverse=reverse)

    def has_space(self, space):
        spill = self._txn._spill
        return space in self._txn._writes or (spill is not None and spill.has_space(space))

    def spaces(self):
        return list(self._txn._writes)


def begin(pipeline: CommitPipeline, lock_timeout: float | None = None) -> Transaction:
    """A new transaction on `pipeline`.  It takes nothing yet: the writer lock comes with
    its first write, the snapshot with its first read, so beginning works read-only and after
    a failed flush (reads go on), but not on a closed engine.  `lock_timeout` bounds the
    wait for the writer lock (default: the engine's lock wait timeout): bookkeeping written
    beside a statement (a check's record, a corruption flag) must not wait 50 s behind
    another connection's open transaction."""
    pipeline.check_readable()
    return Transaction(pipeline, lock_timeout)


def begin_bookkeeping(pipeline: CommitPipeline) -> Transaction:
    """`begin` for a small write that may be put off: it gives up (1205) if the writer
    lock is not free within BOOKKEEPING_LOCK_WAIT seconds."""
    return begin(pipeline, BOOKKEEPING_LOCK_WAIT)


BOOKKEEPING_LOCK_WAIT = 0.25


class Transaction:
    def __init__(self, pipeline: CommitPipeline, lock_timeout: float | None = None):
        self.pipeline = pipeline
        self.lock_timeout = lock_timeout
        self.trx_id: int | None = None
        self.state = "active"
        self._writes: dict[int, dict[bytes, bytes | None]] = {}
        self._buffered_bytes = 0
        self._ops = 0
        self._spill: SpillFile | None = None
        self._spilled_rows = 0
        self._first_lsn: int | None = None
        self._file_ops: list[FileOp] = []
        self._consistent: Snapshot | None = None
        self._current: Snapshot | None = None
        self._own = WriteSet(self)
        self._undo: list | None = None  # (space, key, previous own write) since the savepoint
        self._empty_savepoint = False  # the savepoint was taken before any write
        # The binary log (core.log.binlog): a DDL's statement (db, sql) logged by the
        # transaction that makes it take effect; `binlog_rows=False` for transactions whose
        # row writes are not the user's (a DDL job's copy, GC): the statement replays them;
        # `binlog_skip` keeps the whole transaction out (SET sql_log_bin = 0).
        self.binlog_ddl: tuple[str | None, str] | None = None
        self.binlog_rows = True
        self.binlog_skip = False

    # -- views -------------------------------------------------------------------------------

    def _check_active(self) -> None:
        if self.state != "active":
            raise TransactionStateError(f"transaction is already {self.state}")

    def snapshot(self) -> Snapshot:
        """The consistent-read view (created at the first read)."""
        self._check_active()
        if self._consistent is None:
            # Holding the writer lock, nothing can commit before us: our own commit will
            # make everything we see durable, so there is no need to wait for it here.
            self._consistent = self.pipeline.snapshot(wait_durable=self.trx_id is None)
            self._consistent.layers.insert(0, self._own)
        return self._consistent

    def current_view(self) -> Snapshot:
        """The latest committed state plus this transaction's own writes, taking the writer
        lock: what UPDATE/DELETE/INSERT read (InnoDB's locking read), as opposed to
        `snapshot()`, the transaction's consistent read."""
        self._check_active()
        self._lock_for_write()
        if self._current is None:
            self._current = self.pipeline.latest_snapshot()
            self._current.layers.insert(0, self._own)
        return self._current

    def get(self, space: int, key: bytes) -> bytes | None:
        return self.snapshot().get(space, key)

    def scan(self, space: int, lo: bytes = b"", hi: bytes | None = None, reverse: bool = False):
        return self.snapshot().scan(space, lo, hi, reverse)

    def get_current(self, space: int, key: bytes) -> bytes | None:
        view = self._current
        if view is None or self.state != "active":
            view = self.current_view()
        return view.get(space, key)

    def scan_current(self, space: int, lo: bytes = b"", hi: bytes | None = None, reverse=False):
        return self.current_view().scan(space, lo, hi, reverse)

    # -- writes ------------------------------------------------------------------------------

    def _lock_for_write(self) -> None:
        if self.trx_id is None:
            if self.pipeline.read_only:
                if self.pipeline.force_recovery > 0:
                    raise ForcedRecoveryError()  # 1881, InnoDB's wording
                raise ReadOnlyError("the database is open read-only; no changes are allowed")
            self.trx_id = self.pipeline.acquire_writer(self.lock_timeout)

    def put(self, space: int, key: bytes, value: bytes) -> None:
        self._write(space, key, value)

    def delete(self, space: int, key: bytes) -> None:
        self._write(space, key, None)

    def _write(self, space: int, key: bytes, value: bytes | None) -> None:
        self._check_active()
        self._lock_for_write()
        self.put_locked(space, key, value)

    def put_locked(self, space: int, key: bytes, value: bytes | None) -> None:
        """`put` (or delete, with None) for callers that already hold the writer lock in an
        active transaction (the SQL table writer, after its current reads): the hot path of
        a bulk load, without the per-call state checks."""
        ops = self._writes.get(space)
        if ops is None:
            ops = self._writes[space] = {}
        if self._undo is not None:
            prev = ops.get(key, _NOT_WRITTEN) if key in ops else (
                self._spill.get(space, key, INFINITY) if self._spill is not None else MISSING)
            self._undo.append((space, key, _NOT_WRITTEN if prev is MISSING else prev))
        ops[key] = value
        self._ops += 1
        self._buffered_bytes += len(key) + (len(value) if value is not None else 0) + OP_OVERHEAD
        if self._buffered_bytes >= self.pipeline.spill_limit:
            self._spill_now()

    def create_space(self, schema: str, table: str) -> int:
        """Create a tablespace at commit; returns its id, usable at once in this transaction."""
        self._check_active()
        self._lock_for_write()
        pipe = self.pipeline
        space_id, rel_path, header = pipe.plan_space(schema, table, self._file_ops)
        self._file_ops.append(("create", space_id, rel_path, header))
        self._write(0, pipe.space_map_key(space_id), pipe.space_map_value(header))
        return space_id

    def adopt_space(self, header: dict) -> None:
        """Put an existing tablespace file (`header["path"]`, relative to the database
        directory) in the map under its own id at commit (ADMIN ADOPT ORPHAN FILE): it is
        opened and checked at COMMIT as a created file is, and its FILE_CREATE record lets
        recovery open it again."""
        self._check_active()
        self._lock_for_write()
        pipe = self.pipeline
        self._file_ops.append(("create", header["space_id"], header["path"], header))
        self._write(0, pipe.space_map_key(header["space_id"]), pipe.space_map_value(header))

    def delete_space(self, space_id: int, path: str) -> None:
        """Delete tablespace `space_id`'s map entry at commit, logged as FILE_DELETE (GC
        collecting a dropped table).  The file itself is unlinked by the caller once the
        checkpoint has passed the commit (`core.gc.worker`): until then redo may name it."""
        self._check_active()
        self._lock_for_write()
        self._file_ops.append(("delete", space_id, path, {}))
        self._write(0, self.pipeline.space_map_key(space_id), None)

    # -- statement savepoints ---------------------------------------------------------------

    def savepoint(self) -> int:
        """Start recording what the next statement overwrites, so it can be undone alone.

        When the transaction has written nothing yet (the first statement, e.g. a bulk load)
        nothing needs recording: undoing means forgetting every write.
        """
        self._check_active()
        if self._ops == 0 and self._spill is None and not self._file_ops:
            self._undo = None
            self._empty_savepoint = True
        else:
            self._undo = []
            self._empty_savepoint = False
        return 1

    def release_savepoint(self, token: int) -> None:
        self._undo = None
        self._empty_savepoint = False

    def rollback_to_savepoint(self, token: int) -> None:
        """Undo the writes made since `savepoint()`; the transaction stays open.

        A key the transaction had not written before is normally just forgotten.  If it may
        also sit in the spill file (and in the redo log) with the statement's value, it is
        instead written back explicitly with its committed value, which wins at commit.
        """
        if self.state != "active":
            return
        if self._empty_savepoint:
            self._empty_savepoint = False
            spilled = self._spill
            self._writes = {}
            self._ops = 0
            self._buffered_bytes = 0
            if spilled is not None:  # every key in the spill file is this statement's
                undo = [(space, key, _NOT_WRITTEN) for space in spilled.spaces()
                        for key in spilled.keys(space, b"", None, False)]
            else:
                return
        else:
            undo, self._undo = self._undo, None
        if not undo:
            return
        base = None
        try:
            for space, key, prev in reversed(undo):
                ops = self._writes.setdefault(space, {})
                if prev is not _NOT_WRITTEN:
                    ops[key] = prev
                elif self._spill is None:
                    ops.pop(key, None)
                else:
                    if base is None:
                        base = self.pipeline.latest_snapshot()
                    ops[key] = base.get(space, key)
        finally:
            if base is not None:
                base.close()

    @property
    def operations(self) -> int:
        return self._ops

    # -- spilling ----------------------------------------------------------------------------

    def _spill_now(self) -> None:
        """Move the buffered writes to the redo log and the spill file, in chunks, so the
        encoded copies made on the way never add up to more than a chunk."""
        pipe = self.pipeline
        if self._spill is None:
            path = os.path.join(pipe.spill_dir, f"trx-{self.trx_id}.kdb")
            self._spill = SpillFile(path)
        for chunk in _chunks(self._writes, SPILL_CHUNK_OPS):
            bodies = record.rows_bodies(self.trx_id, _ops_of(chunk))
            first = pipe.append_open(bodies, self._first_lsn)
            del bodies
            if self._first_lsn is None:
                self._first_lsn = first
            self._spilled_rows += self._spill.write(chunk)
        self._writes = {}
        self._buffered_bytes = 0
        pipe.sink(TransactionSpilled(self.trx_id, self._spilled_rows))
        crash_point("spill.after_write")

    # -- end ---------------------------------------------------------------------------------

    def commit(self) -> int | None:
        """Make the writes durable and visible; returns the commit LSN (None if read-only)."""
        self._check_active()
        pipe = self.pipeline
        if self.trx_id is None:
            self._finish("committed")
            return None
        try:
            gen: Layer | None
            ts = time.time()
            if self._spill is not None:
                bodies = record.rows_bodies(self.trx_id, _ops_of(self._writes))
                bodies.append(record.commit_body(self.trx_id, ts))
                self._spill.write(self._writes)
                gen = self._spill
            else:
                bodies = record.commit_bodies(self.trx_id, _ops_of(self._writes), ts)
                gen = SortedGeneration(self._writes) if self._ops >= BIG_COMMIT_OPS else None
            if self._file_ops:
                bodies = [record.file_delete_body(self.trx_id, sid, path) if kind == "delete"
                          else record.file_create_body(self.trx_id, sid, path, hdr)
                          for kind, sid, path, hdr in self._file_ops] + bodies
            capture = pipe.binlog_capture
            logged = capture(self, ts) if capture is not None else None
            if logged is not None:  # the events travel in the redo log, before its COMMIT
                bodies = bodies[:-1] + record.binlog_bodies(self.trx_id, logged[1]) + bodies[-1:]
            end = pipe.publish_commit(bodies, self._first_lsn, gen, self._writes, self._file_ops,
                                      logged)
        except BaseException:
            self.rollback()
            raise
        self._spill = None  # now owned by the overlay
        self._finish("committed")
        pipe.release_writer()  # before the fdatasync: the next commit can join its group
        crash_point("commit.after_overlay")
        pipe.make_durable(end)
        if logged is not None:
            pipe.write_binlog(end)
        return end

    def binlog_writes(self):
        """(space, key, value|None) of every write this transaction makes, its spill file's
        included: what the binary log's capture turns into row events at COMMIT."""
        spill = self._spill
        if spill is not None:  # at COMMIT the spill file holds every write (see commit)
            for space in spill.spaces():
                for k, v in spill.latest_items(space):
                    yield space, k, v
            return
        for space, ops in self._writes.items():
            for k, v in ops.items():
                yield space, k, v

    def rollback(self) -> None:
        if self.state != "active":
            return
        pipe = self.pipeline
        if self.trx_id is not None:
            if self._first_lsn is not None:
                pipe.abort_open(self.trx_id)
            if self._spill is not None:
                self._spill.discard()
                self._spill = None
        self._finish("rolled back")
        if self.trx_id is not None:
            pipe.release_writer()

    def _finish(self, state: str) -> None:
        self.state = state
        for view in (self._consistent, self._current):
            if view is not None:
                view.close()
        self._consistent = self._current = None
        self._writes = {}

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.state != "active":
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()


_NOT_WRITTEN = object()
SPILL_CHUNK_OPS = 50_000


def _chunks(writes: dict[int, dict], n: int):
    """Split a write set into write sets of at most `n` operations each."""
    for space, ops in writes.items():
        it = iter(ops.items())
        while chunk := dict(itertools.islice(it, n)):
            yield {space: chunk}


def _ops_of(writes: dict[int, dict[bytes, bytes | None]]):
    for space, ops in writes.items():
        for k, v in ops.items():
            yield (space, k, v)
