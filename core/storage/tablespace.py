"""A tablespace: one LMDB environment file holding one table (or the dictionary).

Two named databases live in each file: `data` (the rows and index entries, keyed by the
memcomparable codec) and `meta` (the header and `applied_lsn`).  `applied_lsn` is written in
the *same* LMDB transaction as the data it covers, so after any crash the file says exactly
which redo records it already contains.

LMDB fails a write transaction whole with MapFullError when the map fills, and its map can
only be enlarged while no transaction of this process is open on the environment.  So every
apply first checks the room left and grows the map ahead of time (at 80% use), waiting for
the readers of this file to finish their read transactions; new readers wait meanwhile.
MapFullError is still caught, and the batch retried after growing, as a second line.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable, Iterable
from operator import itemgetter

import lmdb
import msgpack

from core.errors import OperationalError
from core.events import Event, MapGrown, null_sink
from core.storage import longkeys
from core.storage.lmdbfile import UnreadableTablespaceError, check_lmdb_file, lmdb_error

# UnreadableTablespaceError is raised here by `Tablespace.open` (and defined beside the meta
# page checks, in core.storage.lmdbfile): import it from either module.

_U64 = struct.Struct(">Q")
_KEY = itemgetter(0)
_VALUE = itemgetter(1)
HEADER_KEY = b"header"
APPLIED_KEY = b"applied_lsn"
LONG_KEYS_KEY = b"long_keys"  # present once the file holds a key stored by core.storage.longkeys
FORMAT = 1
NO_HEADER = ("it has no tablespace header (not a KintsugiDB tablespace: a spill file, or "
             "another program's LMDB file)")
# The map is address space, not disk: start every tablespace with room for 8 GiB so the
# growth below (which must wait for read transactions to close) is rarely needed.
DEFAULT_MAP_SIZE = 8 << 30
GROW_AT = 0.8


class Tablespace:
    def __init__(
        self,
        path: str,
        env: lmdb.Environment,
        header: dict,
        *,
        sink: Callable[[Event], None] = null_sink,
        readonly: bool = False,
    ):
        self.path = path
        self.env = env
        self.header = header
        self.space_id: int = header["space_id"]
        self._data = env.open_db(b"data", create=not readonly)
        self._meta = env.open_db(b"meta", create=not readonly)
        self._sink = sink
        self._gate = threading.Condition()
        self._readers = 0
        self._growing = False
        self.dirty = False  # applied since the last checkpoint's env.sync()
        self.retired = False  # GC deleted the file: no new reader (see `retire`)
        self.apply_lock = threading.Lock()  # applies vs. snapshots opening their read txn
        with env.begin() as txn:
            # Set before the first long key is written and never cleared: a reader that sees
            # False has a read transaction that cannot see a long key.
            self.long_keys = txn.get(LONG_KEYS_KEY, db=self._meta) is not None

    # -- lifecycle --------------------------------------------------------------------------

    @staticmethod
    def _open_env(path: str, map_size: int, readonly: bool) -> lmdb.Environment:
        return lmdb.open(
            path,
            subdir=False,
            map_size=map_size,
            max_dbs=4,
            sync=True,
            metasync=False,
            writemap=False,
            readahead=False,
            readonly=readonly,
            lock=True,
            mode=0o600,
            max_readers=512,
        )

    @classmethod
    def create(
        cls, path: str, header: dict, *, map_size: int = DEFAULT_MAP_SIZE, sink=null_sink
    ) -> Tablespace:
        """Create the file with its header and applied_lsn 0, atomically: it is built under a
        temporary name, synced, and renamed into place, so a file at `path` always has its
        header.  The directories on the way are synced too."""
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            os.makedirs(parent, mode=0o700, exist_ok=True)
            _fsync_dir(os.path.dirname(parent))
        tmp = path + ".creating"
        for leftover in (tmp, tmp + "-lock"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        env = cls._open_env(tmp, map_size, False)
        header = dict(header, format=FORMAT)
        env.open_db(b"data")
        meta = env.open_db(b"meta")
        with env.begin(write=True) as txn:
            txn.put(HEADER_KEY, msgpack.packb(header), db=meta)
            txn.put(APPLIED_KEY, _U64.pack(0), db=meta)
        env.sync(True)
        env.close()
        os.rename(tmp, path)
        os.unlink(tmp + "-lock")
        _fsync_dir(parent)
        return cls.open(path, map_size=map_size, sink=sink)

    @classmethod
    def open(
        cls, path: str, *, map_size: int = DEFAULT_MAP_SIZE, sink=null_sink, readonly: bool = False
    ) -> Tablespace:
        """Open an existing file.  The file is checked against its LMDB meta pages before it
        is mapped (a short file would otherwise kill the process with SIGBUS on first read),
        and every LMDB failure becomes an `UnreadableTablespaceError` (1877) naming the file."""
        size = check_lmdb_file(path)
        env = None
        try:
            env = cls._open_env(path, max(map_size, size * 2), readonly)
            try:
                meta = env.open_db(b"meta", create=False)
            except lmdb.NotFoundError:
                raise UnreadableTablespaceError(path, NO_HEADER) from None
            with env.begin() as txn:
                raw = txn.get(HEADER_KEY, db=meta)
            if raw is None:
                raise UnreadableTablespaceError(path, NO_HEADER)
            header = msgpack.unpackb(raw)
            if not isinstance(header, dict) or not isinstance(header.get("space_id"), int):
                raise UnreadableTablespaceError(path, "its tablespace header is damaged")
            return cls(path, env, header, sink=sink, readonly=readonly)
        except (lmdb.Error, ValueError, TypeError, msgpack.UnpackException) as exc:
            if env is not None:
                env.close()
            raise lmdb_error(exc, path, opening=True) from exc
        except BaseException:
            if env is not None:
                env.close()
            raise

    def close(self) -> None:
        self.env.close()

    def retire(self) -> None:
        """GC is deleting this file (its table was dropped longer than the GC life time
        ago): no new reader may start, and the environment closes as soon as the last
        reader already in it ends (a snapshot older than the drop may still be reading)."""
        with self._gate:
            self.retired = True
            if self._readers == 0:
                self.env.close()

    # -- reading ----------------------------------------------------------------------------

    def begin_read(self) -> lmdb.Transaction:
        """A read transaction; pair with `end_read`.  Waits while the map is being grown."""
        with self._gate:
            while self._growing:
                self._gate.wait()
            if self.retired:
                raise OperationalError(
                    "GC life time is shorter than transaction duration: the tablespace "
                    f"{self.path} of a dropped table was deleted by GC", errno=9006)
            self._readers += 1
        try:
            return self.env.begin(db=self._data, buffers=False)
        except BaseException:
            self.end_read(None)
            raise

    def end_read(self, txn: lmdb.Transaction | None) -> None:
        if txn is not None:
            txn.abort()
        with self._gate:
            self._readers -= 1
            if self._readers == 0 and self._growing:
                self._gate.notify_all()
            if self._readers == 0 and self.retired:
                self.env.close()  # the last reader of a file GC deleted

    @property
    def data_db(self):
        return self._data

    @property
    def applied_lsn(self) -> int:
        txn = self.begin_read()
        try:
            raw = txn.get(APPLIED_KEY, db=self._meta)
        finally:
            self.end_read(txn)
        return _U64.unpack(raw)[0] if raw else 0

    def entry_count(self) -> int:
        txn = self.begin_read()
        try:
            return txn.stat(self._data)["entries"]
        finally:
            self.end_read(txn)

    # -- writing ----------------------------------------------------------------------------

    def apply(self, items: Iterable[tuple[bytes, bytes | None]], applied_lsn: int | None) -> int:
        """Write sorted (key, value-or-None) items and the new applied_lsn atomically.

        `applied_lsn=None` leaves it unchanged (a chunk of a larger unit; replay is idempotent,
        so a crash after it only means replaying the unit again).  Returns how many items were
        written.  Raises `GrowthDeferred` when the map must grow
        but readers kept it busy: nothing was written and the caller retries later.
        """
        batch = items if isinstance(items, list) else list(items)
        # C-level passes: this runs for every flush and every redo apply chunk
        estimate = sum(map(len, map(_KEY, batch))) + \
            sum(map(len, filter(None, map(_VALUE, batch))))
        self._ensure_room(estimate)
        for _attempt in range(8):
            try:
                self._apply_once(batch, applied_lsn)
                self.dirty = True
                return len(batch)
            except lmdb.MapFullError:
                if not self._grow(self.env.info()["map_size"] * 2):
                    raise GrowthDeferred(self.path) from None
            except lmdb.Error as exc:
                raise ApplyFailed(self.path, batch, exc) from exc
        raise OperationalError(f"tablespace {self.path}: could not grow the map")

    def _apply_once(self, batch: list, applied_lsn: int | None) -> None:
        with self.env.begin(write=True, db=self._data) as txn:
            cur = txn.cursor(db=self._data)
            if max(map(len, map(_KEY, batch)), default=0) <= longkeys.MAX_INLINE and \
                    None not in map(_VALUE, batch):  # only puts of short keys: one call
                cur.putmulti(batch)
                if applied_lsn is not None:
                    txn.put(APPLIED_KEY, _U64.pack(applied_lsn), db=self._meta)
                return
            run: list[tuple[bytes, bytes]] = []
            inline = longkeys.MAX_INLINE
            saw_long = False
            for key, value in batch:
                if len(key) > inline:
                    if not saw_long:
                        saw_long = self.long_keys = True  # before the commit: see __init__
                        txn.put(LONG_KEYS_KEY, b"1", db=self._meta)
                    if value is not None:
                        value = longkeys.pack(key, value)
                    key = longkeys.stored_key(key)
                if value is None:
                    if run:
                        cur.putmulti(run)
                        run = []
                    txn.delete(key, db=self._data)
                else:
                    run.append((key, value))
            if run:
                cur.putmulti(run)
            if applied_lsn is not None:
                txn.put(APPLIED_KEY, _U64.pack(applied_lsn), db=self._meta)

    def set_applied_lsn(self, lsn: int) -> None:
        with self.env.begin(write=True) as txn:
            txn.put(APPLIED_KEY, _U64.pack(lsn), db=self._meta)

    def _used_bytes(self) -> int:
        info = self.env.info()
        return (info["last_pgno"] + 1) * self.env.stat()["psize"]

    def reserve(self, estimate: int) -> None:
        """Grow the map now, if `estimate` bytes of new data could need it (the flusher calls
        this before it pins snapshots, whose read transactions would block the growth)."""
        self._ensure_room(estimate)

    def _ensure_room(self, estimate: int) -> None:
        """Grow the map if this batch could take it past 80% (B-tree overhead ~2.5x)."""
        map_size = self.env.info()["map_size"]
        need = self._used_bytes() + int(estimate * 2.5) + (1 << 20)
        if need > map_size * GROW_AT:
            grown = self._grow(max(map_size * 2, int(need / GROW_AT) * 2))
            if not grown and need > map_size:
                raise GrowthDeferred(self.path)

    def _grow(self, new_size: int, wait: float = 2.0) -> bool:
        """Enlarge the map once no read transaction is open; False if readers stayed."""
        page = 1 << 20
        new_size = (new_size + page - 1) // page * page
        with self._gate:
            self._growing = True
            try:
                if not self._gate.wait_for(lambda: self._readers == 0, timeout=wait):
                    return False
                old = self.env.info()["map_size"]
                if new_size > old:
                    self.env.set_mapsize(new_size)
                    self._sink(MapGrown(self.space_id, old, new_size))
                return True
            finally:
                self._growing = False
                self._gate.notify_all()


def _disk_nearly_full(path: str) -> bool:
    try:
        st = os.statvfs(os.path.dirname(path) or ".")
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < (16 << 20)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ApplyFailed(OperationalError):
    """LMDB refused a batch of committed writes (the disk, the file, or a limit nobody checked
    before the commit).  Nothing of the batch was written; the caller must stop writing, not
    retry forever.  The message names the file and the first record of the batch."""

    errno = 1030

    def __init__(self, path: str, batch: list, exc: BaseException):
        first = batch[0][0][:32].hex() if batch else "-"
        cause = f"{type(exc).__name__}: {exc}"
        if "No space left" in str(exc) or _disk_nearly_full(path):
            self.errno = 1021  # LMDB often reports a full disk as "Input/output error"
            cause = f"Disk full ({cause})"
        super().__init__(
            f"could not apply {len(batch)} committed write(s) to {path} "
            f"(first key {first}...): {cause}")


class GrowthDeferred(OperationalError):
    """The map had to grow but read transactions kept it busy; retry the apply later."""

    def __init__(self, path: str):
        super().__init__(f"tablespace {path}: map growth deferred while readers are active")
