"""The storage engine: open/close, the write path, snapshots, the flusher and checkpoints.

Directory layout::

    DIR/LOCK                 the directory lock (holder's pid)
    DIR/control              checkpoint LSN, clean-shutdown flag (two slots with CRCs)
    DIR/system.kdb           space 0: the dictionary, including the tablespace map
    DIR/#redo/redo.<seq>     redo-log segments
    DIR/#spill/              spill files of large open transactions
    DIR/<schema>/<table>.kdb one tablespace per table

Locks, outermost first: the *writer lock* (one write transaction at a time, held from its
first write to COMMIT/ROLLBACK), the *flush lock* (one flush/checkpoint at a time), the
*state lock* (short: makes "append to the log + publish in the overlay" atomic with respect
to taking a snapshot, and guards the generation list and the space map).
"""

from __future__ import annotations

import os
import shutil
import struct
import threading
import time
import uuid as uuidlib
import weakref
from collections.abc import Callable

import lmdb
import msgpack

from core.crashpoints import crash_point
from core.errors import (
    CorruptionError,
    DatabaseNotFoundError,
    EngineClosedError,
    LockWaitTimeoutError,
    OperationalError,
    ReadOnlyError,
)
from core.events import CheckpointDone, DatabaseOpened, Event, FlushDone, null_sink
from core.log import record
from core.log.control import ControlData, ControlFile
from core.log.redo import RedoLog
from core.log.segment import DEFAULT_SEGMENT_SIZE, create_segment, fsync_dir
from core.storage.dirlock import DirectoryLock
from core.storage.lmdbfile import lmdb_error, os_error
from core.storage.overlay import INFINITY, Layer, MutableGeneration
from core.storage.snapshot import Snapshot
from core.storage.tablespace import DEFAULT_MAP_SIZE, GrowthDeferred, Tablespace
from core.txn.transaction import Transaction

INITIAL_LSN = 8192
SYSTEM_SPACE = 0
SPACE_MAP_PREFIX = b"\x00space:"
_U32 = struct.Struct(">I")


class Engine:
    """An open database directory.  Use `Engine.open()`; close with `close()` or `with`."""

    def __init__(self) -> None:  # use Engine.open
        self.path = ""
        self.sink: Callable[[Event], None] = null_sink
        self.spaces: dict[int, Tablespace] = {}
        self.read_only = False
        self.force_recovery = 0
        self.closed = True

    # ------------------------------------------------------------------------------------------
    # opening and closing
    # ------------------------------------------------------------------------------------------

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
        spill_limit: int = 256 * 1024 * 1024,
        flush_interval: float = 0.5,
        flush_threshold: int = 200_000,
        lock_wait_timeout: float = 50.0,
        background: bool = True,
    ) -> Engine:
        """Open (or with `create=True` make) the database in `path`, recovering if needed.

        `force_recovery` follows InnoDB: any level above 0 opens the database read-only.
        `background=False` runs no flusher thread (tests call `flush()` themselves).
        Every failure is a `core.errors` error: OS and LMDB errors are mapped (a full disk is
        1021 naming the file, damage 1877).
        """
        try:
            return cls._open(path, create=create, sink=sink, force_recovery=force_recovery,
                             map_size=map_size, segment_size=segment_size,
                             spill_limit=spill_limit, flush_interval=flush_interval,
                             flush_threshold=flush_threshold,
                             lock_wait_timeout=lock_wait_timeout, background=background)
        except OSError as exc:
            raise os_error(exc, exc.filename or path) from exc
        except lmdb.Error as exc:
            raise lmdb_error(exc, path) from exc

    @classmethod
    def _open(cls, path: str, *, create: bool, sink, force_recovery: int, map_size: int,
              segment_size: int, spill_limit: int, flush_interval: float,
              flush_threshold: int, lock_wait_timeout: float, background: bool) -> Engine:
        self = cls()
        self.path = os.path.abspath(path)
        self.sink = sink
        self.force_recovery = force_recovery
        self.read_only = force_recovery > 0
        self.map_size = map_size
        self.spill_limit = spill_limit
        self.flush_interval = flush_interval
        self.flush_threshold = flush_threshold
        self.lock_wait_timeout = lock_wait_timeout
        self.redo_dir = os.path.join(self.path, "#redo")
        self.spill_dir = os.path.join(self.path, "#spill")
        self.control = ControlFile(os.path.join(self.path, "control"))

        if not self.control.exists():
            _check_can_create(self.path, create)
            self._lock = DirectoryLock(_make_dir(self.path))
            self._lock.acquire()
            try:
                _check_can_create(self.path, create)  # again, now that nobody else can
                self._initialise(segment_size)
            except BaseException:
                self._lock.release()
                raise
        else:
            self._lock = DirectoryLock(self.path)
            self._lock.acquire()
        try:
            self._start()
        except BaseException:
            for ts in self.spaces.values():
                ts.close()
            self._lock.release()
            raise
        return self

    def _initialise(self, segment_size: int) -> None:
        """Lay out a new database: redo segment, system tablespace, control file last (its
        existence is what makes the directory a database)."""
        os.makedirs(self.redo_dir, mode=0o700, exist_ok=True)
        os.makedirs(self.spill_dir, mode=0o700, exist_ok=True)
        db_uuid = uuidlib.uuid4().bytes
        for name in os.listdir(self.redo_dir):
            os.unlink(os.path.join(self.redo_dir, name))
        create_segment(self.redo_dir, 1, INITIAL_LSN, db_uuid, segment_size)
        sys_path = os.path.join(self.path, "system.kdb")
        for p in (sys_path, sys_path + "-lock"):
            if os.path.exists(p):
                os.unlink(p)
        header = {"space_id": SYSTEM_SPACE, "schema": "", "table": "", "path": "system.kdb",
                  "created_lsn": INITIAL_LSN}
        Tablespace.create(sys_path, header, map_size=self.map_size).close()
        fsync_dir(self.path)
        self.control.write(
            ControlData(uuid=db_uuid, checkpoint_lsn=INITIAL_LSN, clean_shutdown=True,
                        segment_size=segment_size)
        )
        fsync_dir(self.path)

    def _start(self) -> None:
        from core.recovery.redo_apply import recover

        ctl = self.control.read()
        self.uuid = ctl.uuid
        self.segment_size = ctl.segment_size
        if not self.read_only:
            os.makedirs(self.spill_dir, mode=0o700, exist_ok=True)
            for name in os.listdir(self.spill_dir):  # spill files of transactions that died
                os.unlink(os.path.join(self.spill_dir, name))

        result = recover(self, ctl)
        self._next_trx_id = max(ctl.next_trx_id, result.max_trx_id + 1)
        self._next_space_id = max(self.spaces) + 1
        if self.read_only:
            # force_recovery: nothing on disk may change, not even the torn tail of the log
            self.log = ReadOnlyLog(result.segments, result.end_lsn)
        else:
            self.log = RedoLog(self.redo_dir, self.uuid, result.segments, result.end_lsn,
                               self.segment_size, torn=result.torn)
            for seg in result.dead_segments:
                os.unlink(seg.path)

        self._writer = threading.Lock()
        self._state = threading.Lock()
        self._flush_lock = threading.Lock()
        self._active = MutableGeneration()
        self._gens: list[Layer] = [self._active]
        if result.overlay is not None:  # a read-only open replayed the redo into memory
            self._gens.insert(0, result.overlay)
        self._open_first_lsn: int | None = None
        self._snapshots: weakref.WeakSet[Snapshot] = weakref.WeakSet()
        self._flush_epoch = 0
        self._spaces_view = dict(self.spaces)  # copy-on-write: snapshots share it
        self.checkpoint_lsn = result.end_lsn
        self.closed = False
        if not self.read_only:
            self._write_control(result.end_lsn, clean=False)
        self.sink(DatabaseOpened(self.path, result.end_lsn, ctl.clean_shutdown))

        self._stop = threading.Event()
        self._wake = threading.Event()
        self.flusher_error: BaseException | None = None
        self._flusher: threading.Thread | None = None
        if self.flush_interval and not self.read_only:
            self._flusher = threading.Thread(target=self._flusher_loop, name="kintsugi-flusher",
                                             daemon=True)
            self._flusher.start()

    def close(self) -> None:
        """Flush everything, checkpoint, write SHUTDOWN and mark the shutdown clean.  If that
        fails (a full disk), the files are still closed and the lock released; the shutdown
        is then not clean and the next open recovers from the redo log."""
        if self.closed:
            return
        try:
            self._close()
        except OSError as exc:
            raise os_error(exc, exc.filename or self.path) from exc
        except lmdb.Error as exc:
            raise lmdb_error(exc, self.path) from exc

    def _close(self) -> None:
        if self._flusher is not None:
            self._stop.set()
            self._wake.set()
            self._flusher.join()
        try:
            if not self.read_only and self.flusher_error is None:
                # after a failed flush the shutdown is not clean: the next open replays redo
                self.flush()
                end = self.log.append([record.shutdown_body()])[1]
                self.log.sync(end)
                self._write_control(end, clean=True)
            self.log.close()
        finally:
            self.closed = True
            for ts in self.spaces.values():
                ts.close()
            self._lock.release()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write_control(self, checkpoint_lsn: int, clean: bool) -> None:
        self.control.write(
            ControlData(uuid=self.uuid, checkpoint_lsn=checkpoint_lsn, clean_shutdown=clean,
                        next_trx_id=self._next_trx_id, next_space_id=self._next_space_id,
                        segment_size=self.segment_size, durable_lsn=self.log.durable_lsn)
        )
        self.checkpoint_lsn = checkpoint_lsn

    # ------------------------------------------------------------------------------------------
    # tablespace map
    # ------------------------------------------------------------------------------------------

    @staticmethod
    def space_map_key(space_id: int) -> bytes:
        return SPACE_MAP_PREFIX + _U32.pack(space_id)

    @staticmethod
    def space_map_value(header: dict) -> bytes:
        return msgpack.packb(header)

    def open_space_file(self, header: dict, *, create: bool, register: bool = True
                        ) -> Tablespace:
        """Open (or create) the file of a space, and register it unless told not to."""
        path = os.path.join(self.path, header["path"])
        if create and not os.path.exists(path):
            ts = Tablespace.create(path, header, map_size=self.map_size, sink=self.sink)
        else:
            ts = Tablespace.open(path, map_size=self.map_size, sink=self.sink,
                                 readonly=self.read_only)
            if "space_id" in header and ts.space_id != header["space_id"]:
                ts.close()
                raise CorruptionError(
                    f"tablespace file {path} holds space {ts.space_id} "
                    f"({ts.header.get('schema')}.{ts.header.get('table')}), but the dictionary "
                    f"expects space {header['space_id']} there (a file was moved or swapped)")
        if register:
            self.spaces[ts.space_id] = ts
        return ts

    def read_space_map(self) -> dict[int, dict]:
        """The tablespace map as stored in system.kdb (applied state only)."""
        sys_ts = self.spaces[SYSTEM_SPACE]
        out = {}
        with sys_ts.env.begin(db=sys_ts.data_db) as txn:
            cur = txn.cursor()
            if cur.set_range(SPACE_MAP_PREFIX):
                for k, v in cur.iternext():
                    if not k.startswith(SPACE_MAP_PREFIX):
                        break
                    out[_U32.unpack(k[len(SPACE_MAP_PREFIX):])[0]] = msgpack.unpackb(v)
        return out

    def _plan_space(self, schema: str, table: str, pending: list) -> tuple[int, str, dict]:
        """Pick an id and a file name for a new tablespace (writer lock held)."""
        space_id = self._next_space_id
        self._next_space_id += 1
        safe_schema = _safe_name(schema) or "_"
        if safe_schema in ("control", "LOCK", "system", "spare"):  # the engine's own names
            safe_schema = "_" + safe_schema
        base = _safe_name(table) or "t"
        taken = {h["path"] for h in self._headers()} | {p for _k, _s, p, _h in pending}
        rel = f"{safe_schema}/{base}.kdb"
        if rel in taken or os.path.exists(os.path.join(self.path, rel)):
            rel = f"{safe_schema}/{base}.{space_id}.kdb"
        header = {"space_id": space_id, "schema": schema, "table": table, "path": rel}
        return space_id, rel, header

    def _headers(self) -> list[dict]:
        return [ts.header for ts in self.spaces.values()]

    # ------------------------------------------------------------------------------------------
    # transactions and snapshots
    # ------------------------------------------------------------------------------------------

    def begin(self) -> Transaction:
        self._check_readable()  # a read-only transaction works after a failed flush
        return Transaction(self)

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
        self._check_readable()
        snap = self._new_snapshot(None)
        if wait_durable and self.log.durable_lsn < snap.lsn:
            try:
                self.log.sync(snap.lsn)
            except OSError as exc:
                snap.close()
                raise OperationalError(
                    f"the redo log could not be made durable ({exc})", errno=1030) from exc
        return snap

    def _latest_snapshot(self) -> Snapshot:
        """Everything committed, durable or not (the writer lock's holder's current read)."""
        self._check_readable()
        return self._new_snapshot(INFINITY)

    def _new_snapshot(self, lsn: int | None) -> Snapshot:
        """`lsn=None`: every commit published now (the log's end, read under the lock)."""
        with self._state:
            snap = Snapshot(self.log.end_lsn if lsn is None else lsn,
                            self._gens[::-1], self._spaces_view, self._flush_epoch)
            self._snapshots.add(snap)
        return snap

    def _check_open(self) -> None:
        """Before a write: the engine must be open and able to apply what it commits."""
        self._check_readable()
        if self.flusher_error is not None:
            err = self.flusher_error
            raise OperationalError(
                "the database stopped accepting writes: "
                f"{err.msg if hasattr(err, 'msg') else repr(err)}. Everything acknowledged is "
                "in the redo log and still readable; close and reopen the database (read-only "
                "with --force-recovery 1 if the reopen fails).",
                errno=getattr(err, "errno", 1030) if hasattr(err, "msg") else 1030)

    def _check_readable(self) -> None:
        """Reads go on after a failed flush: the overlay still holds what was not applied."""
        if self.closed:
            raise EngineClosedError(f"database {self.path} is closed")

    def _acquire_writer(self) -> int:
        """Take the writer lock; returns a new transaction id (ids only change under it)."""
        self._check_open()
        if not self._writer.acquire(timeout=self.lock_wait_timeout):
            raise LockWaitTimeoutError()
        trx = self._next_trx_id
        self._next_trx_id += 1
        return trx

    def _release_writer(self) -> None:
        if self._open_first_lsn is not None:
            with self._state:
                self._open_first_lsn = None
        self._writer.release()

    def _append_open(self, bodies: list[bytes], first_lsn: int | None) -> int:
        """Log records of a transaction that is still open (a spill); returns the first LSN.
        The checkpoint will not pass that LSN until the transaction ends."""
        with self._state:
            first, end = self.log.append(bodies)
            if self._open_first_lsn is None:
                self._open_first_lsn = first if first_lsn is None else first_lsn
        self.log.sync(end)  # write the spilled records out; bounded log buffer
        return first

    def _abort_open(self, trx_id: int) -> None:
        with self._state:
            self.log.append([record.abort_body(trx_id)])

    def _publish_commit(self, bodies, first_lsn, gen, writes, file_ops) -> int:
        """Append the commit to the log and make it visible in the overlay, atomically with
        respect to snapshots.  Called with the writer lock held.

        New tablespaces are created (durably, under their final names) *before* the commit
        is logged: once the commit can be seen or checkpointed past, its files exist.  A crash
        in between leaves a file no dictionary entry points to, which is harmless."""
        created = [self.open_space_file(dict(header, created_lsn=self.log.end_lsn),
                                        create=True, register=False)
                   for _kind, _sid, _rel, header in file_ops]
        with self._state:
            first, end = self.log.append(bodies)
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

    # ------------------------------------------------------------------------------------------
    # flushing and checkpoints
    # ------------------------------------------------------------------------------------------

    def _flusher_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.flush()
                seg = self.log.segments[-1]
                if self.log.end_lsn - seg.start_lsn > seg.capacity // 2:
                    self.log.prepare_spare()  # the next switch then costs only a rename
            except GrowthDeferred:
                continue
            except BaseException as exc:  # noqa: BLE001 - surfaced to the next caller
                self.flusher_error = exc
                return

    def flush(self) -> int:
        """Apply every committed generation to the tablespaces, then checkpoint.
        Returns how many entries were applied."""
        with self._flush_lock:
            with self._state:
                if self._active.entries:
                    self._active = MutableGeneration()
                    self._gens.append(self._active)
                pending = [g for g in self._gens[:-1]]
            applied = 0
            for gen in pending:
                applied += self._apply_generation(gen)
                with self._state:
                    self._gens.remove(gen)
            self._checkpoint()
            return applied

    def _apply_generation(self, gen: Layer) -> int:
        t0 = time.perf_counter()
        if gen.entries == 0:
            return 0
        self.log.sync(gen.max_lsn)  # write-ahead: never apply what the log has not made durable
        with self._state:
            self._flush_epoch += 1
            epoch = self._flush_epoch
            live = list(self._snapshots)
        crash_point("flush.before_apply")
        n = 0
        spaces = gen.spaces()
        for space in spaces:
            ts = self.spaces.get(space)
            if ts is None:
                raise OperationalError(f"overlay holds writes for unknown tablespace {space}")
            if ts.applied_lsn >= gen.max_lsn:
                continue  # applied before a GrowthDeferred retry
            chunk: list = []
            with ts.apply_lock:
                ts.reserve(gen.approx_bytes(space))  # grow before pins add readers
                for snap in live:  # older snapshots must keep seeing the file as it is now
                    snap.pin(space, epoch)
                for item in gen.latest_items(space):
                    chunk.append(item)
                    if len(chunk) >= 200_000:
                        n += ts.apply(chunk, None)  # applied_lsn advances with the last chunk
                        chunk = []
                n += ts.apply(chunk, gen.max_lsn)
            crash_point("flush.mid_apply")
        crash_point("flush.after_apply")
        self.sink(FlushDone(gen.max_lsn, n, len(spaces), time.perf_counter() - t0))
        return n

    def _checkpoint(self) -> None:
        with self._state:
            candidates = [g.first_lsn for g in self._gens if g.entries]
            if self._open_first_lsn is not None:
                candidates.append(self._open_first_lsn)
            candidates.append(self.log.end_lsn)
            ckpt = min(candidates)
            spaces = list(self.spaces.values())
        if ckpt <= self.checkpoint_lsn:
            return
        for ts in spaces:
            if ts.dirty:
                ts.dirty = False
                ts.env.sync(True)
        self.log.sync(ckpt)
        crash_point("checkpoint.before_control")
        self._write_control(ckpt, clean=False)
        crash_point("checkpoint.after_control")
        removed = self.log.recycle_below(ckpt)
        self.sink(CheckpointDone(ckpt, tuple(removed)))

    # ------------------------------------------------------------------------------------------
    # introspection (the console and tests read these)
    # ------------------------------------------------------------------------------------------

    def stats(self) -> dict:
        with self._state:
            overlay = sum(g.entries for g in self._gens)
            gens = len(self._gens)
        return {
            "path": self.path,
            "end_lsn": self.log.end_lsn,
            "durable_lsn": self.log.durable_lsn,
            "checkpoint_lsn": self.checkpoint_lsn,
            "overlay_entries": overlay,
            "overlay_generations": gens,
            "log_syncs": self.log.syncs,
            "segments": [s.seq for s in self.log.segments],
            "spaces": {sid: {"path": ts.header["path"], "applied_lsn": ts.applied_lsn}
                       for sid, ts in self.spaces.items()},
        }


class ReadOnlyLog:
    """The log of a database opened with force_recovery: its end, and no way to write."""

    def __init__(self, segments, end_lsn: int):
        self.segments = segments
        self.end_lsn = self.durable_lsn = end_lsn
        self.syncs = 0

    def sync(self, lsn: int | None = None) -> int:
        return self.durable_lsn

    def append(self, bodies):
        raise ReadOnlyError("the database is open read-only (force_recovery)")

    def recycle_below(self, lsn: int) -> list[int]:
        return []

    def close(self) -> None:
        pass


def _make_dir(path: str) -> str:
    """Make `path` and every missing parent 0700 (os.makedirs gives the parents 0755)."""
    missing = []
    p = path
    while p and not os.path.isdir(p):
        missing.append(p)
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            if not os.path.isdir(d):
                raise DatabaseNotFoundError(f"{d} exists and is not a directory") from None
    return path


# What a database directory holds; one of these without a control file is a damaged database.
_DATA_NAMES = ("system.kdb", "#redo")


def _check_can_create(path: str, create: bool) -> None:
    """`create` makes a database only where there is nothing: a missing or empty directory.
    A directory that holds data files but no control file is a damaged database, and must
    never be initialised over (that would orphan every table file)."""
    if os.path.lexists(path) and not os.path.isdir(path):
        raise DatabaseNotFoundError(f"{path} is not a directory")
    names = set(os.listdir(path)) - {"LOCK"} if os.path.isdir(path) else set()
    ours = sorted(n for n in names if n in _DATA_NAMES)
    if ours:
        raise CorruptionError(
            f"{path} holds KintsugiDB data files ({', '.join(ours)}) but no control file: "
            "the database is damaged, not new, and nothing was changed. It is never "
            "re-initialised over its data. Rebuilding the control file is not built yet; "
            "keep a copy of the directory before trying anything else.")
    inside = sorted(n for n in names
                    if os.path.isfile(os.path.join(path, n, "control")))
    if inside:
        raise DatabaseNotFoundError(
            f"{path} is not a KintsugiDB database, but it contains one: "
            f"{os.path.join(path, inside[0])}")
    if not create:
        if not os.path.isdir(path):
            raise DatabaseNotFoundError(
                f"Unknown database directory {path} (it does not exist); "
                "use create=True (or --create) to make one")
        raise DatabaseNotFoundError(
            f"{path} is not a KintsugiDB database (no control file); "
            "use create=True (or --create) to make one in an empty directory")
    if names:
        raise DatabaseNotFoundError(
            f"{path} is not empty ({', '.join(sorted(names)[:4])}) and is not a KintsugiDB "
            "database: --create (create=True) makes a database only in a missing or empty "
            "directory")


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _safe_name(name: str) -> str:
    """A file-system-safe name: ASCII letters, digits and ``_-$`` only, at most 64 characters,
    so no identifier can make a path component the file system refuses (255 bytes)."""
    return "".join(c if (c.isascii() and c.isalnum()) or c in "_-$" else "_"
                   for c in name[:64])


def destroy(path: str) -> None:
    """Remove a database directory (tests and the demo)."""
    shutil.rmtree(path, ignore_errors=True)
