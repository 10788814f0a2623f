"""Opening and closing a database directory: files, the directory lock, the control file.

Opening is two halves with crash recovery between them, and storage runs neither recovery
nor anything above it: `Lifecycle.open_storage` lays out a new database or takes the lock
of an existing one and reads its control file; the composition root (`core.kv.Engine.open`)
then runs `core.recovery`, and hands what recovery found (where the log ends, the highest
transaction id, the redo replayed in memory by a read-only open) to `start_serving`, which
opens the log for writing, builds the overlay and starts the flusher thread.

Closing flushes everything, checkpoints, writes SHUTDOWN and marks the shutdown clean, so
the next open has nothing to recover.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid as uuidlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Self

from core.errors import CorruptionError, DatabaseNotFoundError, ForcedRecoveryError
from core.events import DatabaseOpened, Event, null_sink
from core.log import record
from core.log.control import ControlData, ControlFile
from core.log.redo import RedoLog
from core.log.segment import (
    DEFAULT_SEGMENT_SIZE,
    SegmentInfo,
    create_segment,
    fsync_dir,
    header_uuid,
    read_header,
)
from core.storage.dirlock import DirectoryLock
from core.storage.lmdbfile import mapped_errors
from core.storage.overlay import Layer, MutableGeneration
from core.storage.snapshot import Snapshot
from core.storage.spacemap import SYSTEM_SPACE
from core.storage.tablespace import DEFAULT_MAP_SIZE, Tablespace

INITIAL_LSN = 8192
DEFAULT_SPILL_LIMIT = 256 * 1024 * 1024
DEFAULT_FLUSH_INTERVAL = 0.5
DEFAULT_FLUSH_THRESHOLD = 200_000
DEFAULT_LOCK_WAIT_TIMEOUT = 50.0
# What a database directory holds; one of these without a control file is a damaged database.
_DATA_NAMES = ("system.kdb", "#redo")


class Lifecycle:
    """The engine's open and close (a mixin of `Engine`; closing flushes through `Flusher`,
    whose thread `start_serving` starts)."""

    path: str
    sink: Callable[[Event], None]
    spaces: dict[int, Tablespace]
    read_only: bool
    force_recovery: int
    closed: bool
    background_allowed: bool
    flusher_error: BaseException | None
    checkpoint_lsn: int
    log: RedoLog | ReadOnlyLog
    _next_trx_id: int
    _next_space_id: int
    binlog: Any  # core.log.binlog.BinlogWriter | None

    @classmethod
    def open_storage(
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
        discard_damaged_log: bool = False,
    ) -> Self:
        """The first half of opening: lay out a new database (`create=True` and nothing
        there) or take the lock of an existing one, and read its control file
        (`control_at_open`).  Nothing is served yet: run recovery, then `start_serving`;
        on failure in between, `abandon`.  OS and LMDB errors come out as `core.errors`.

        Any `force_recovery` above 0 opens read-only, except with `discard_damaged_log`:
        recovery then ends the log at its damage and the database opens writable (see
        `core.recovery.forced`)."""
        self = cls()
        self.path = os.path.abspath(path)
        self.sink = sink
        self.force_recovery = force_recovery
        self.read_only = force_recovery > 0 and not discard_damaged_log
        self.discard_damaged_log = discard_damaged_log
        self.map_size = map_size
        self.spill_limit = spill_limit
        self.flush_interval = flush_interval
        self.flush_threshold = flush_threshold
        self.lock_wait_timeout = lock_wait_timeout
        self.redo_dir = os.path.join(self.path, "#redo")
        self.spill_dir = os.path.join(self.path, "#spill")
        with mapped_errors(path):
            self.control = ControlFile(os.path.join(self.path, "control"))
            if not self.control.exists():
                _check_can_create(self.path, create)
                self._lock = DirectoryLock(_make_dir(self.path))
                self._lock.acquire()
                try:
                    _check_can_create(self.path, create)  # again, now that nobody else can
                    try:
                        self._initialise(segment_size)
                    except BaseException:
                        _undo_initialise(self.path)
                        raise
                except BaseException:
                    self._lock.release()
                    raise
            else:
                self._lock = DirectoryLock(self.path)
                self._lock.acquire()
            try:
                _refuse_planted_links(self.path)
                ctl = self._read_control(force_recovery)
            except BaseException:
                self._lock.release()
                raise
        self.control_at_open: ControlData = ctl
        self.uuid = ctl.uuid
        self.segment_size = ctl.segment_size
        return self

    def _read_control(self, force_recovery: int) -> ControlData:
        """The control file as found.  One damaged slot: the other is used, and the shutdown
        is taken as not clean whatever it says (it may be the older slot, written before the
        log ran on past its checkpoint; replay from there is idempotent, so it is safe).
        Both damaged: refused (1877), except at force_recovery 6, which needs no redo and
        opens from the tablespaces alone (`control_lost` says why)."""
        self.control_lost = ""
        try:
            ctl = self.control.read()
        except CorruptionError as exc:
            if force_recovery < 6:
                raise
            self.control_lost = str(getattr(exc, "msg", exc))
            return _control_from_segments(self.redo_dir)
        if self.control.damaged_slots:
            ctl = replace(ctl, clean_shutdown=False)
        return ctl

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

    def start_serving(self, *, segments: list[SegmentInfo], end_lsn: int, torn: bool,
                      dead_segments: Sequence[SegmentInfo], max_trx_id: int,
                      replayed: Layer | None) -> None:
        """The second half of opening, once recovery has brought the tablespaces up to the
        log's end (`end_lsn`, in the live `segments`): open the log for appending (zeroing a
        `torn` tail first), remove `dead_segments`, mark the database open and start the
        flusher.  `replayed` is the redo a read-only open replayed into memory instead of
        into the files; it becomes the oldest overlay generation."""
        ctl = self.control_at_open
        self._next_trx_id = max(ctl.next_trx_id, max_trx_id + 1)
        # never below what the control file promised: a space GC deleted (or a file an
        # uncommitted CREATE left) is gone from `spaces`, but its id must not come back
        self._next_space_id = max(ctl.next_space_id, max(self.spaces) + 1)
        if self.read_only:
            # force_recovery: nothing on disk may change, not even the torn tail of the log
            self.log = ReadOnlyLog(segments, end_lsn)
        else:
            self.log = RedoLog(self.redo_dir, self.uuid, segments, end_lsn,
                               self.segment_size, torn=torn)

        self._writer = threading.Lock()
        self._writers_waiting = 0  # transactions blocked on _writer (see acquire_writer)
        self._state = threading.Lock()
        self._flush_lock = threading.Lock()
        self._active = MutableGeneration()
        self._gens: list[Layer] = [self._active]
        if replayed is not None:
            self._gens.insert(0, replayed)
        self._open_first_lsn: int | None = None
        self._snapshots: weakref.WeakSet[Snapshot] = weakref.WeakSet()
        self._flush_epoch = 0
        self._spaces_view = dict(self.spaces)  # copy-on-write: snapshots share it
        self.checkpoint_lsn = end_lsn
        self.closed = False
        self._control_lock = threading.RLock()
        if not self.read_only:
            # the control file names the newest live segment before the dead ones go: a
            # crash in between must not make their absence look like a deleted segment
            self._write_control(end_lsn, clean=False)
            for seg in dead_segments:
                os.unlink(seg.path)
            if dead_segments:
                fsync_dir(self.redo_dir)
            self.log.on_switch = self._segment_started
        self.sink(DatabaseOpened(self.path, end_lsn, ctl.clean_shutdown, self.read_only,
                                 self.force_recovery))

        self._stop = threading.Event()
        self._wake = threading.Event()
        self.flusher_error = None
        self._flusher: threading.Thread | None = None
        if self.flush_interval and self.background_allowed:
            self._flusher = threading.Thread(target=self._flusher_loop, name="kintsugi-flusher",
                                             daemon=True)
            self._flusher.start()

    def abandon(self) -> None:
        """Give up an open that failed before `start_serving` finished: close the files
        opened so far and release the directory lock (the log is left as recovery found
        it)."""
        for ts in self.spaces.values():
            ts.close()
        self._lock.release()

    def close(self) -> None:
        """Flush everything, checkpoint, write SHUTDOWN and mark the shutdown clean.  If that
        fails (a full disk), the files are still closed and the lock released; the shutdown
        is then not clean and the next open recovers from the redo log."""
        if self.closed:
            return
        with mapped_errors(self.path):
            self._close()

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
                if self.binlog is not None:
                    self.binlog.close(end)
                self._write_control(end, clean=True)
            self.log.close()
        finally:
            binlog, self.binlog = self.binlog, None
            if binlog is not None:
                try:
                    binlog.close()
                except OSError:
                    pass  # not clean: the next open gives the binlog its tail back
            self.closed = True
            for ts in self.spaces.values():
                ts.close()
            self._lock.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write_control(self, checkpoint_lsn: int, clean: bool) -> None:
        segments = self.log.segments
        with self._control_lock:  # the flusher's checkpoint and a segment switch
            self.control.write(
                ControlData(uuid=self.uuid, checkpoint_lsn=checkpoint_lsn, clean_shutdown=clean,
                            next_trx_id=self._next_trx_id, next_space_id=self._next_space_id,
                            segment_size=self.segment_size, durable_lsn=self.log.durable_lsn,
                            last_segment=segments[-1].seq if segments else 0)
            )
            self.checkpoint_lsn = checkpoint_lsn

    def _segment_started(self, seq: int) -> None:
        """The log switched to segment `seq` (called by the writer, once per segment): the
        control file learns the newest segment number, so a deleted newest segment is seen
        at the next open instead of silently ending the log early."""
        with self._control_lock:
            self._write_control(self.checkpoint_lsn, clean=False)


class ReadOnlyLog:
    """The log of a database opened with force_recovery: its end, and no way to write
    (ERROR 1881, as InnoDB refuses writes under innodb_force_recovery)."""

    def __init__(self, segments: list[SegmentInfo], end_lsn: int):
        self.segments = segments
        self.end_lsn = self.durable_lsn = end_lsn
        self.syncs = 0

    def sync(self, lsn: int | None = None) -> int:
        return self.durable_lsn

    def append(self, bodies: list[bytes]) -> tuple[int, int]:
        raise ForcedRecoveryError()

    def recycle_below(self, lsn: int) -> list[int]:
        return []

    def close(self) -> None:
        pass


def _refuse_planted_links(path: str) -> None:
    """The log, spill and control files are only ever real entries of the data directory: a
    symbolic link there was planted (it would make recovery read, and a writable open
    write, wherever it points), so the open is refused."""
    for name in ("#redo", "#spill", "control"):
        p = os.path.join(path, name)
        if os.path.islink(p):
            raise CorruptionError(
                f"{p} is a symbolic link (to {os.readlink(p)}); KintsugiDB never creates one "
                "there and refuses to follow it. Replace it with the real "
                f"{'directory' if name != 'control' else 'file'} (move the target in place) "
                "and open again; nothing was changed")


def _control_from_segments(redo_dir: str) -> ControlData:
    """A stand-in control file for force_recovery 6 when both slots are damaged: the uuid
    and the start of the log from the first readable segment header (the segments are then
    checked against that uuid), nothing else known."""
    segs = []
    try:
        names = sorted(os.listdir(redo_dir))
    except OSError:
        names = []
    for name in names:
        if name.startswith("redo."):
            try:
                segs.append(read_header(os.path.join(redo_dir, name), None))
            except (CorruptionError, OSError):
                continue
    first = min(segs, key=lambda s: s.seq) if segs else None
    return ControlData(uuid=header_uuid(first.path) if first else bytes(16),
                       checkpoint_lsn=first.start_lsn if first else INITIAL_LSN,
                       clean_shutdown=False, segment_size=0)


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


def _undo_initialise(path: str) -> None:
    """A new database whose layout could not be finished (a full disk) has no control file
    yet: remove what was laid out, so that the directory is what it was (empty) and
    `create` works once there is room; left there, the files would make every later
    attempt refuse it as a damaged database."""
    if os.path.exists(os.path.join(path, "control")):
        return  # written: a database after all (its own open reports what failed)
    for name in ("#redo", "#spill"):
        shutil.rmtree(os.path.join(path, name), ignore_errors=True)
    for name in ("system.kdb", "system.kdb-lock"):
        try:
            os.unlink(os.path.join(path, name))
        except OSError:
            pass


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


def destroy(path: str) -> None:
    """Remove a database directory (tests and the demo)."""
    shutil.rmtree(path, ignore_errors=True)
