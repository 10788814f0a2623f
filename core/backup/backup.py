"""A hot, consistent backup of a database that keeps running (`kintsugi backup DIR DEST`).

The recipe is InnoDB's hot backup with LMDB as the page store:

1. Read the control file's checkpoint C0, then the binary log's executed GTID set g0
   (every transaction committed before C0 is in the binlog by then: a checkpoint fsyncs
   the binlog before it writes the control file).
2. Follow the redo log from C0 (`RedoTail`) while every tablespace is copied, each from one
   LMDB read transaction (a consistent image of that file, at its own `applied_lsn` >= C0).
   The listing of tablespaces (system.kdb's space map plus the FILE_CREATEs seen in the
   redo) is repeated until it stops growing.
3. After the last copy, the end of the valid redo is E: every tablespace's applied LSN is
   below it (the flusher applies only durable commits).  Crash recovery of the copy replays
   [C0, E) over the copied files, idempotently, and gives the state as of E exactly.
4. The GTID set at E is g0 plus the GTIDs of the commits in the copied redo; the binlog
   position is read from the source binlog just after the last of them.
5. A fresh control file (checkpoint C0, not clean, durable up to E), then checksums, fsyncs,
   and `manifest.json` last.

The copy must work from another process (LMDB read transactions registered in the files'
lock tables) and from a thread of the process that holds the database (LMDB allows one
handle per file and process: the engine's open environments are used, through the gate
that keeps their maps from growing under a reader).
"""

from __future__ import annotations

import errno
import mmap
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import lmdb
import msgpack
from crc32c import crc32c

from core.backup import manifest as mf
from core.backup.lmdbcopy import copy_snapshot
from core.backup.redotail import RedoTail, SegmentRecycled
from core.crashpoints import crash_point
from core.errors import (
    CorruptionError,
    DatabaseNotFoundError,
    Error,
    OperationalError,
    ProgrammingError,
)
from core.events import BackupFinished, BackupProgress, Event, null_sink
from core.log import binlog_format as fmt
from core.log.binlog import list_index
from core.log.control import ControlData, ControlFile
from core.log.gtid import GtidSet, uuid_text
from core.storage.lmdbfile import os_error
from core.storage.spacemap import SPACE_MAP_PREFIX
from core.storage.tablespace import APPLIED_KEY

SYSTEM = "system.kdb"
# `--force` over a finished backup builds the new one in a hidden sibling and swaps it in:
FORCE_POINTS = (
    "backup.before_swap",  # the new backup finished aside, the old one still at DEST
    "backup.after_swap",  # the new backup at DEST, the old one aside, not yet removed
)
NEW, OLD = "new", "old"  # the hidden siblings: `.NAME.kintsugi-new` / `.NAME.kintsugi-old`
POLL = 0.05  # how often the redo is followed while a file copies
BINLOG_WAIT = 10.0  # how long the binlog may lag the redo at the end
_OPEN_TRIES = 5


def backup(source: str, dest: str, *, sink: Callable[[Event], None] = null_sink,
           force: bool = False) -> Any:  # BackupInfo
    started = time.time()
    from core.api import is_backup

    if is_backup(source):
        raise DatabaseNotFoundError(
            f"{os.path.abspath(source)} is a backup, not a database: copy it with cp, or "
            "restore it first (kintsugi restore); a backup of it would write into it")
    source, dest = _check_paths(source, dest)
    if os.path.islink(dest):
        dest = os.path.realpath(dest)  # --force swaps directories, not the link
    work = _prepare(dest, source, force)
    crash_point("backup.prepared")
    job = _Backup(source, work, sink)
    try:
        info = job.run(started)
    except BaseException:
        if work != dest:  # a failed --force leaves the old backup as it was, nothing aside
            job.close()
            shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        job.close()
    if work != dest:
        try:
            _replace(work, dest)
        except OSError as exc:
            raise os_error(exc, dest) from None
        info = mf.read(dest)
    mf.record(source, info)
    sink(BackupFinished(dest, info.bytes, info.files, info.lsn, info.gtid,
                        info.finished - started))
    return info


def verify(dest: str, *, sink: Callable[[Event], None] = null_sink) -> Any:  # VerifyReport
    return mf.verify(dest, sink=sink)


def read(dest: str) -> Any:  # BackupInfo
    return mf.read(dest)


def history(source: str) -> list[Any]:  # BackupInfo
    return mf.history(source)


# -- the destination --------------------------------------------------------------------------


def _check_paths(source: str, dest: str) -> tuple[str, str]:
    source = os.path.abspath(source)
    dest = os.path.abspath(dest)
    if not os.path.isdir(source):
        raise DatabaseNotFoundError(f"Unknown database directory {source}: it does not exist")
    if not os.path.exists(os.path.join(source, "control")):
        raise DatabaseNotFoundError(
            f"{source} exists but has no control file: it is not a KintsugiDB database")
    real_src, real_dst = os.path.realpath(source), os.path.realpath(dest)
    if real_dst == real_src or real_dst.startswith(real_src + os.sep) \
            or real_src.startswith(real_dst + os.sep):
        raise ProgrammingError(
            f"Incorrect arguments to backup: {dest} and the data directory {source} overlap; "
            "back up into a directory outside it", errno=1210, sqlstate="HY000")
    return source, dest


def _prepare(dest: str, source: str, force: bool) -> str:
    """Make the directory the backup is written into: `dest` itself, an empty directory
    holding our in-progress marker (an interrupted backup, marker and no manifest, is
    cleared; anything else there is refused), or, with `force` over a finished backup, a
    hidden sibling that replaces `dest` only once it is finished (`_replace`): a crash
    leaves the old backup or the new one at `dest`, never neither.  A missing parent is
    created (the console's `<db>-backups/<time>`)."""
    parent = os.path.dirname(dest)
    try:
        _make_parent(dest, parent)
        _clear_leftovers(dest)
        if force and os.path.isfile(os.path.join(dest, mf.MANIFEST)):
            work = _aside(dest, NEW)
            os.mkdir(work, 0o700)
            _write_marker(os.path.join(work, mf.MARKER), source, fsync=False)
            os.mkdir(os.path.join(work, "#redo"), 0o700)
            mf.fsync_dir(work)
            mf.fsync_dir(parent)
            return work
        if not os.path.exists(dest):
            os.mkdir(dest, 0o700)
            mf.fsync_dir(parent)
        if not os.path.isdir(dest):
            raise OperationalError(f"Can't create backup directory '{dest}': a file has that "
                                   "name", errno=1007, sqlstate="HY000")
        names = os.listdir(dest)
        marker = os.path.join(dest, mf.MARKER)
        if mf.MANIFEST in names:
            if not force:
                raise OperationalError(
                    f"Can't create backup '{dest}'; it holds a finished backup already "
                    "(pass --force to replace it)", errno=1007, sqlstate="HY000")
        elif names and mf.MARKER not in names:
            raise OperationalError(
                f"Can't create backup '{dest}'; the directory is not empty (a backup goes "
                "into a new or empty directory)", errno=1007, sqlstate="HY000")
        _write_marker(marker, source, fsync=bool(names))  # first: a crash from here on
        # leaves "interrupted" (an empty directory gets it fsynced with #redo below)
        if mf.MANIFEST in names:
            os.unlink(os.path.join(dest, mf.MANIFEST))
            mf.fsync_dir(dest)
        for name in names:
            if name in (mf.MARKER, mf.MANIFEST):
                continue
            full = os.path.join(dest, name)
            if os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)
            else:
                os.unlink(full)
        os.makedirs(os.path.join(dest, "#redo"), mode=0o700)
        mf.fsync_dir(dest)
    except OSError as exc:
        raise os_error(exc, dest) from None
    return dest


def _make_parent(dest: str, parent: str) -> None:
    """Create the missing directories above `dest`, or say clearly why they cannot be."""
    if os.path.isdir(parent):
        return
    up = parent
    while up and not os.path.exists(up):
        up = os.path.dirname(up)
    if up and not os.path.isdir(up):
        raise OperationalError(f"Can't create backup directory '{dest}': {up} is a file, "
                               "not a directory", errno=1006, sqlstate="HY000")
    try:
        os.makedirs(parent, mode=0o700)
    except OSError as exc:
        raise OperationalError(f"Can't create backup directory '{dest}': its parent "
                               f"directory {parent} cannot be created (errno: {exc.errno} - "
                               f"{exc.strerror or exc})", errno=1006, sqlstate="HY000") from None
    mf.fsync_dir(up or os.sep)


def _aside(dest: str, kind: str) -> str:
    head, name = os.path.split(dest)
    return os.path.join(head, f".{name}.kintsugi-{kind}")


def _ours(path: str) -> bool:
    """A hidden sibling we made: a backup being built, or a finished one (old or new)."""
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return not names or mf.MARKER in names or mf.MANIFEST in names


def _clear_leftovers(dest: str) -> None:
    """What a `--force` run cut short left beside `dest`: a half-built or finished new
    backup, or the old one (put back at `dest` if the crash came between the two renames
    of a file system that cannot swap directories, else removed)."""
    parent = os.path.dirname(dest)
    changed = False
    for kind in (OLD, NEW):
        path = _aside(dest, kind)
        if not os.path.lexists(path):
            continue
        if not os.path.isdir(path) or os.path.islink(path) or not _ours(path):
            raise OperationalError(
                f"Can't create backup '{dest}'; {path} is in the way and is not a backup "
                "this program left there (remove it)", errno=1007, sqlstate="HY000")
        if kind == OLD and not os.path.exists(dest):
            os.rename(path, dest)
        else:
            shutil.rmtree(path)
        changed = True
    if changed:
        mf.fsync_dir(parent)


def _replace(work: str, dest: str) -> None:
    """Put the finished backup in `work` at `dest` in place of the finished one there: an
    atomic exchange of the two directories (renameat2 RENAME_EXCHANGE) where the file
    system has it, else old aside then new in; then the old one is removed."""
    parent = os.path.dirname(dest)
    crash_point("backup.before_swap")
    if _exchange(work, dest):
        old = work  # the exchange left the old backup under the new one's hidden name
    else:
        old = _aside(dest, OLD)
        os.rename(dest, old)
        os.rename(work, dest)
    mf.fsync_dir(parent)
    crash_point("backup.after_swap")
    shutil.rmtree(old)
    mf.fsync_dir(parent)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically; False where the system or file system cannot."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                   ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def _write_marker(path: str, source: str, *, fsync: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:  # its name is what matters (the text is for a person): no fsync of the text
        os.write(fd, f"pid {os.getpid()} backing up {source} since {time.time():.3f}\n"
                 .encode())
    finally:
        os.close(fd)
    if fsync:
        mf.fsync_dir(os.path.dirname(path))


# -- the backup -------------------------------------------------------------------------------


class _Backup:
    def __init__(self, source: str, dest: str, sink: Callable[[Event], None]):
        self.source = source
        self.dest = dest
        self.sink = sink
        self.tail: RedoTail | None = None
        self.copied: dict[str, int] = {}  # rel path -> bytes
        self.done = 0  # tablespace bytes copied
        self.total = 0  # tablespace bytes to copy (estimate)
        self.engine = _engine_here(source)
        self.crcs: dict[str, tuple[int, int]] = {}  # dst path -> (size, CRC32C) as written

    def close(self) -> None:
        if self.tail is not None:
            self.tail.close()

    def run(self, started: float) -> Any:  # BackupInfo
        ctl, g0, binlog_at = self._start()
        assert self.tail is not None
        listing = self._copy_spaces()
        self._pump()
        end = self.tail.lsn
        self._check_applied(listing, end)
        ctl_now = _read_control(self.source)
        segments = self.tail.finish(fsync=False)  # fsynced with the others below
        ControlFile(os.path.join(self.dest, "control")).write(ControlData(
            uuid=ctl.uuid, checkpoint_lsn=self.tail.start_lsn, clean_shutdown=False,
            next_trx_id=max(ctl.next_trx_id, ctl_now.next_trx_id),
            next_space_id=max(ctl.next_space_id, ctl_now.next_space_id),
            segment_size=ctl.segment_size, durable_lsn=end,
            last_segment=segments[-1].seq))
        gtids = g0.copy()
        gtids.update(self.tail.gtid_set())
        binlog_file, binlog_pos = self._binlog_position(binlog_at)
        files = self._checksums(["control", SYSTEM, *sorted(k for k in self.copied
                                                            if k != SYSTEM),
                                 *(f"#redo/{os.path.basename(s.path)}" for s in segments)])
        crash_point("backup.before_manifest")
        finished = time.time()
        data = {"format": mf.FORMAT, "kind": mf.KIND, "source": self.source,
                "uuid": uuid_text(ctl.uuid), "started": started, "finished": finished,
                "checkpoint_lsn": self.tail.start_lsn, "lsn": end,
                "gtid_executed": str(gtids), "binlog_file": binlog_file,
                "binlog_pos": binlog_pos, "files": files,
                "bytes": sum(_on_disk(os.path.join(self.dest, f["path"]), f["size"])
                             for f in files),
                "server_version": fmt.SERVER_VERSION}
        mf.write_manifest(self.dest, data)
        crash_point("backup.after_manifest")
        try:  # the manifest decides: a marker a crash leaves beside it is harmless
            os.unlink(os.path.join(self.dest, mf.MARKER))
        except FileNotFoundError:
            pass
        return mf.read(self.dest)

    # -- step 1: the checkpoint, the binlog, the redo tail -----------------------------------

    def _start(self) -> tuple[ControlData, GtidSet, tuple[str, int, str | None]]:
        """C0 first, then g0, then the redo tail opened at C0 (a checkpoint that recycled
        C0's segment in between makes us read the control file again)."""
        last: Error | None = None
        for _ in range(_OPEN_TRIES):
            ctl = _read_control(self.source)
            g0, binlog_at = _binlog_state(self.source)
            try:
                self.tail = RedoTail(os.path.join(self.source, "#redo"),
                                     os.path.join(self.dest, "#redo"), ctl.uuid,
                                     ctl.checkpoint_lsn, self._redo_bytes)
            except SegmentRecycled as exc:
                last = exc
                continue
            except OSError as exc:
                raise os_error(exc, os.path.join(self.source, "#redo")) from None
            return ctl, g0, binlog_at
        assert last is not None
        raise last

    def _redo_bytes(self, n: int) -> None:
        assert self.tail is not None
        done = self.tail.lsn + n - self.tail.start_lsn
        self.sink(BackupProgress(self.dest, "redo", done, done, "#redo"))

    def _pump(self) -> None:
        assert self.tail is not None
        try:
            self.tail.pump()
        except OSError as exc:
            raise os_error(exc, os.path.join(self.source, "#redo")) from None

    # -- step 2: the tablespaces ---------------------------------------------------------------

    def _copy_spaces(self) -> dict[str, int]:
        """Copy system.kdb and every tablespace it (or the redo) names, until no new one
        appears; returns rel path -> space id of what was copied."""
        copied: dict[str, int] = {}
        space_map = self._copy_file(SYSTEM, 0, want_map=True)
        copied[SYSTEM] = 0
        while True:
            assert self.tail is not None
            self._pump()
            wanted = {str(h["path"]): sid for sid, h in space_map.items()
                      if isinstance(h, dict) and h.get("path")}
            wanted.update((str(h["path"]), sid) for sid, h in self.tail.creates.items()
                          if h.get("path"))
            new = {rel: sid for rel, sid in wanted.items() if rel not in copied}
            for rel, sid in new.items():
                if not mf.safe_rel(rel) or not rel.endswith(".kdb"):
                    raise CorruptionError(
                        f"the tablespace map of {self.source} names {rel!r} for space {sid}: "
                        "not a tablespace path inside the data directory")
            if not new:
                return copied
            self.total = self.done + sum(_size(os.path.join(self.source, r)) for r in new)
            for rel, sid in sorted(new.items()):
                self._copy_file(rel, sid)
                copied[rel] = sid
                crash_point("backup.mid_copy")
            space_map = self._read_map()

    def _read_map(self) -> dict[int, dict]:
        out: dict[int, dict] = {}

        def read(txn: Any, _env: lmdb.Environment) -> None:
            out.update(_space_map(txn))
        self._with_read(os.path.join(self.source, SYSTEM), read)
        return out

    def _copy_file(self, rel: str, sid: int, *, want_map: bool = False) -> dict[int, dict]:
        src = os.path.join(self.source, rel)
        dst = os.path.join(self.dest, rel)
        space_map: dict[int, dict] = {}
        own = self._open_space(src)
        if not os.path.exists(src) or (own is not None and own.retired):
            if rel == SYSTEM:
                raise CorruptionError(f"{src} is missing: the database cannot be backed up")
            return space_map  # dropped and collected meanwhile: its FILE_DELETE is in the redo
        parent = os.path.dirname(dst)
        if not os.path.isdir(parent):
            os.makedirs(parent, mode=0o700, exist_ok=True)  # fsynced with the others at the end
        self.sink(BackupProgress(self.dest, "tablespaces", self.done, self.total, rel))
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            def copy(txn: Any, env: lmdb.Environment) -> None:
                got = copy_snapshot(env, txn, src, fd)  # first: it reads txn's meta
                if got is not None:
                    self.crcs[dst] = got
                else:
                    os.ftruncate(fd, 0)
                    env.copyfd(fd)  # LMDB's own copy (its read transaction; ours holds the
                    # map from growing in this process)
                if want_map:
                    space_map.update(_space_map(txn))
            self._in_thread(lambda: self._with_read(src, copy), dst)
        except OSError as exc:
            raise os_error(exc, dst) from None
        finally:
            os.close(fd)  # fsynced with every other file before the manifest (_checksums)
        size = os.path.getsize(dst)
        self.copied[rel] = size
        self.done += size
        self.total = max(self.total, self.done)
        self.sink(BackupProgress(self.dest, "tablespaces", self.done, self.total, rel))
        return space_map

    def _in_thread(self, work: Callable[[], None], dst: str) -> None:
        """Run one file's copy in a thread while this one keeps following the redo and
        reporting how far the copy is (LMDB copies a file in one call)."""
        failure: list[BaseException] = []

        def target() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                failure.append(exc)
        t = threading.Thread(target=target, name="kintsugi-backup-copy", daemon=True)
        t.start()
        while t.is_alive():
            t.join(POLL)
            self._pump()
            if t.is_alive():
                self.sink(BackupProgress(self.dest, "tablespaces",
                                         self.done + _size(dst), self.total,
                                         os.path.relpath(dst, self.dest)))
        if failure:
            raise failure[0]

    def _with_read(self, src: str, fn: Callable[[Any, lmdb.Environment], None]) -> None:
        """Call `fn` with a read transaction on the file `src` (on its data database),
        through the engine's open environment when this process holds the database."""
        own = self._open_space(src)
        if own is not None:
            txn = own.begin_read()  # through its gate: the map does not grow meanwhile
            try:
                fn(txn, own.env)
            finally:
                own.end_read(txn)
            return
        env = _open_env(src, lock=True)
        if env is None:
            if _held_elsewhere(self.source):
                raise OperationalError(
                    f"Got error from storage engine: {src}: its LMDB lock file cannot be "
                    "used, and another process writes the database", errno=1030,
                    sqlstate="HY000")
            env = _open_env(src, lock=False)
        assert env is not None
        try:
            data = env.open_db(b"data", create=False)
            with env.begin(db=data, buffers=False) as txn:
                fn(txn, env)
        except lmdb.Error as exc:
            raise CorruptionError(f"tablespace file {src} cannot be read: "
                                  f"{type(exc).__name__}: {exc}") from None
        finally:
            env.close()

    def _open_space(self, src: str) -> Any:
        """This process's open tablespace for the file `src`, if it has one."""
        if self.engine is None:
            return None
        for ts in list(self.engine.spaces.values()):
            if ts.path == src:
                return ts
        return None

    def _check_applied(self, copied: dict[str, int], end: int) -> None:
        """Every copied file must be at or below E, or the redo stopped short (a segment
        was recycled under the tail): refuse rather than write an inconsistent backup."""
        for rel in copied:
            dst = os.path.join(self.dest, rel)
            if not os.path.exists(dst):
                continue
            env = lmdb.open(dst, subdir=False, readonly=True, lock=False, max_dbs=4,
                            create=False)
            try:
                meta = env.open_db(b"meta", create=False)
                with env.begin(db=meta) as txn:
                    raw = txn.get(APPLIED_KEY)
            finally:
                env.close()
            applied = int.from_bytes(raw, "big") if raw else 0
            if applied > end:
                raise OperationalError(
                    f"Got error from storage engine: the copy of {rel} is at lsn {applied} "
                    f"but the redo log could only be followed to {end}; run the backup "
                    "again", errno=1030, sqlstate="HY000")

    # -- step 4: where the binlog continues ------------------------------------------------------

    def _binlog_position(self, binlog_at: tuple[str, int, str | None]) -> tuple[str, int]:
        name, pos, last = binlog_at
        if not name:
            return "", 0
        assert self.tail is not None
        if not self.tail.gtids:
            return name, pos
        _end, uuid, seq = self.tail.gtids[-1]
        if last == f"{uuid}:{seq}":
            return name, pos
        deadline = time.monotonic() + BINLOG_WAIT
        while True:
            found = _find_after(self.source, name, pos, uuid, seq)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise OperationalError(
                    f"the binary log of {self.source} has no transaction {uuid}:{seq} "
                    f"{BINLOG_WAIT:.0f} s after its commit reached the redo log; run the "
                    "backup again", errno=1030, sqlstate="HY000")
            time.sleep(0.05)

    # -- step 5: checksums ---------------------------------------------------------------------

    def _checksums(self, rels: list[str]) -> list[dict]:
        """CRC32C of every file (read back from the page cache, or as the redo tail wrote
        it) while every file and directory is fsynced, all at once: concurrent fsyncs share
        the file system's journal commits, and the disk works while the CPU sums."""
        fulls = [os.path.join(self.dest, r) for r in rels]
        dirs = sorted({os.path.dirname(f) for f in fulls})
        total = sum(_size(f) for f in fulls)
        done = 0
        out = []
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="kintsugi-backup-fsync"
                                ) as pool:
            syncs = [pool.submit(_fsync, f) for f in fulls if not f.endswith("/control")]
            for rel, full in zip(rels, fulls, strict=True):
                self.sink(BackupProgress(self.dest, "verify", done, total, rel))
                known = self.crcs.get(full) or (self.tail.crcs.get(full) if self.tail else None)
                size, crc = known if known is not None else mf.file_crc(full)
                done += size
                out.append({"path": rel, "size": size, "crc32c": f"{crc:08x}"})
            for f in syncs:
                f.result()
            for f in [pool.submit(_fsync, d, True) for d in dirs]:
                f.result()
        self.sink(BackupProgress(self.dest, "verify", done, total, ""))
        return out


# -- helpers ----------------------------------------------------------------------------------


def _fsync(path: str, directory: bool = False) -> None:
    try:
        fd = os.open(path, (os.O_RDONLY | os.O_DIRECTORY) if directory else os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise os_error(exc, path) from None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _read_control(source: str) -> ControlData:
    path = os.path.join(source, "control")
    try:
        return ControlFile(path).read()
    except OSError as exc:
        raise os_error(exc, path) from None


def _engine_here(source: str) -> Any:
    """The engine of this process that holds `source`, if one does."""
    from core import api

    key = os.path.realpath(source)
    with api._registry_lock:
        db = api._registry.get(key)
        return db.engine if db is not None and not db.engine.closed else None


def _held_elsewhere(source: str) -> bool:
    from core.inspection import lock_holder

    holder = lock_holder(source)
    return holder is not None and holder != os.getpid()


def _open_env(path: str, *, lock: bool) -> lmdb.Environment | None:
    size = _size(path)
    try:
        return lmdb.open(path, subdir=False, readonly=True, lock=lock, max_dbs=4,
                         map_size=max(size * 2, 8 << 30), readahead=True, create=False,
                         max_readers=512)
    except lmdb.Error:
        if lock:
            return None
        raise


def _space_map(txn: Any) -> dict[int, dict]:
    out: dict[int, dict] = {}
    cur = txn.cursor()
    if cur.set_range(SPACE_MAP_PREFIX):
        for k, v in cur.iternext():
            k = bytes(k)
            if not k.startswith(SPACE_MAP_PREFIX):
                break
            value = msgpack.unpackb(bytes(v))
            if isinstance(value, dict):
                out[int.from_bytes(k[len(SPACE_MAP_PREFIX):], "big")] = value
    return out


def _binlog_state(source: str) -> tuple[GtidSet, tuple[str, int, str | None]]:
    """The executed GTID set of the binlog as it is now (the last file's Previous_gtids and
    its whole transactions), the position after its last whole transaction, and that
    transaction's GTID; ("", 0) when the binlog is off."""
    names = list_index(source)
    if not names:
        return GtidSet(), ("", 0, None)
    path = os.path.join(source, names[-1])
    for attempt in range(20):
        try:
            prev, good, gtids = _scan_binlog(path)
            break
        except (fmt.BinlogFormatError, OSError) as exc:
            if attempt == 19:
                raise CorruptionError(f"binary log {path} cannot be read: {exc}") from None
            time.sleep(0.05)  # a file a rotation is creating
    out = GtidSet.parse(prev)
    for uuid, seq in gtids:
        out.add(uuid, seq)
    last = f"{gtids[-1][0]}:{gtids[-1][1]}" if gtids else None
    return out, (names[-1], good, last)


_HEAD_KINDS = (fmt.EventType.FORMAT_DESC, fmt.EventType.PREVIOUS_GTIDS, fmt.EventType.ROTATE,
               fmt.EventType.STOP)


def _scan_binlog(path: str) -> tuple[str, int, list[tuple[str, int]]]:
    """(Previous_gtids, the position after the last whole transaction, the GTIDs of the
    whole transactions) of one binlog file.  `fmt.transaction_ends` decodes every event;
    this checks every CRC but decodes only the few events that delimit transactions (the
    row events are most of the bytes), which is what keeps a backup's start short."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < len(fmt.MAGIC):
            raise fmt.BinlogFormatError(f"{path} is not a KintsugiDB binary log file yet")
        data = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
    try:
        return _scan_events(path, data)
    finally:
        data.close()


def _scan_events(path: str, data: Any) -> tuple[str, int, list[tuple[str, int]]]:
    if data[:len(fmt.MAGIC)] != fmt.MAGIC:
        raise fmt.BinlogFormatError(f"{path} is not a KintsugiDB binary log file")
    view = memoryview(data)
    pos = good = len(fmt.MAGIC)
    prev = ""
    gtids: list[tuple[str, int]] = []
    pending: tuple[str, int] | None = None
    begun = False
    head = fmt.EVENT_HEADER_SIZE
    while pos + head <= len(data):
        length, crc = fmt.EVENT_HEADER.unpack_from(data, pos)
        stop = pos + head + length
        if length < 2 or length > fmt.MAX_EVENT or stop > len(data):
            break
        body = view[pos + head:stop]
        if crc32c(body) != crc:
            break
        kind = body[1] if 0x90 <= body[0] <= 0x9F else -1
        if kind in (fmt.EventType.GTID, fmt.EventType.QUERY, fmt.EventType.XID) \
                or kind in _HEAD_KINDS or kind == -1:
            rec = msgpack.unpackb(body, raw=False)
            kind = rec[0]
            if kind == fmt.EventType.GTID:
                pending, begun = (str(rec[2]), int(rec[3])), False
            elif pending is None:
                if kind == fmt.EventType.PREVIOUS_GTIDS:
                    prev = rec[2]
                if kind in _HEAD_KINDS:
                    good = stop
            elif kind == fmt.EventType.QUERY and not begun:
                if rec[3] == "BEGIN":
                    begun = True
                else:
                    gtids.append(pending)
                    pending = None
                    good = stop
            elif kind == fmt.EventType.XID:
                gtids.append(pending)
                pending = None
                good = stop
        pos = stop
    view.release()
    return prev, good, gtids


def _find_after(source: str, name: str, pos: int, uuid: str, seq: int
                ) -> tuple[str, int] | None:
    """(file, position just past transaction uuid:seq), searching from `name`:`pos` on."""
    names = list_index(source)
    if name not in names:
        return None
    for n in names[names.index(name):]:
        start = pos if n == name else 0
        pending = False
        try:
            for ev in fmt.read_events(os.path.join(source, n), start):
                if ev.kind == fmt.EventType.GTID:
                    pending = str(ev.fields[0]) == uuid and int(ev.fields[1]) == seq
                elif pending and (ev.kind == fmt.EventType.XID or (
                        ev.kind == fmt.EventType.QUERY and ev.fields[1] != "BEGIN")):
                    return n, ev.end
        except (fmt.BinlogFormatError, OSError):
            return None
    return None


def _on_disk(path: str, size: int) -> int:
    """What a file takes on disk: a copied redo segment is full-size but a hole past the
    backup's end (a 30-row database's backup is not 64 MiB)."""
    try:
        return min(size, os.stat(path).st_blocks * 512)
    except OSError:
        return size
