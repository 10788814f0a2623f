"""The binary log writer: `DIR/binlog.000001`, ... and `DIR/binlog.index`.

How it stays consistent with the redo log (DESIGN.md, Binary log): a transaction's binlog
events are built at COMMIT, under the writer lock, and travel *inside the redo log* as
BINLOG records of the same commit (`core.log.record`), so the commit's one fdatasync makes
both durable at once.  Only then are the same bytes appended to the binlog file, in commit
order, with no fsync of their own.  A crash can therefore lose only a binlog *tail* whose
transactions are still in the redo log: at the next open the torn tail is cut at the last
whole transaction and every committed transaction the redo log has and the binlog lacks is
appended again (`recover`).  The checkpoint fsyncs the binlog before it lets redo go
(`sync_through`), so the redo past the checkpoint always covers what the binlog may lack.
No transaction is ever in one log and not the other, and group commit keeps one fsync per
group.

GTIDs are `<database uuid>:<n>`, `n` handed out under the writer lock: sequential in commit
order.  Rotation (by `max_binlog_size`, `FLUSH BINARY LOGS`), purging (`PURGE BINARY LOGS`,
`binlog_expire_logs_seconds`) and the index live here too.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from core.crashpoints import armed, crash_point
from core.errors import CorruptionError, OperationalError
from core.log import binlog_format as fmt
from core.log.gtid import GtidSet

BASENAME = "binlog"
INDEX_NAME = "binlog.index"
DEFAULT_MAX_SIZE = 1 << 30  # MySQL's max_binlog_size default
MIN_MAX_SIZE = 4096
DEFAULT_EXPIRE_SECONDS = 30 * 24 * 3600  # binlog_expire_logs_seconds
_NAME = re.compile(r"^binlog\.(\d{6,})$")


def file_name(seq: int) -> str:
    return f"{BASENAME}.{seq:06d}"


def file_seq(name: str) -> int:
    m = _NAME.match(name)
    if not m:
        raise ValueError(name)
    return int(m.group(1))


def list_index(directory: str) -> list[str]:
    """The file names `binlog.index` lists, in order (no index: none)."""
    try:
        with open(os.path.join(directory, INDEX_NAME), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (FileNotFoundError, UnicodeDecodeError):  # garbled: rebuilt from the files
        return []
    names = []
    for line in lines:
        name = os.path.basename(line.strip())
        if _NAME.match(name):
            names.append(name)
    return names


def has_binlog(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, INDEX_NAME))


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BinlogWriter:
    """The open binary log of a database (one per open engine)."""

    def __init__(self, directory: str, uuid: str, *, max_size: int = DEFAULT_MAX_SIZE,
                 expire_seconds: int = DEFAULT_EXPIRE_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.directory = directory
        self.uuid = uuid
        self.max_size = max_size
        self.expire_seconds = expire_seconds
        self.clock = clock
        self.files: list[str] = []
        self.executed = GtidSet()
        self.next_seq = 1
        self.repaired: list[str] = []  # what the open found and fixed, for the error log
        self.warnings: list[str] = []  # what the open rebuilt, a Warning in the error log
        # a tail the open found past the last whole transaction of the last file, kept
        # until `recover` shows the redo gives it back: (position, bytes, GTIDs, problem)
        self._cut: tuple[int, bytes, list, str] | None = None
        self._lock = threading.Lock()  # the file, the index, the queue's consumer side
        self._queue: deque[tuple[int, int, bytes]] = deque()  # (commit lsn, seq, events)
        self._fd: int | None = None
        self._size = 0
        self._dirty = False
        self._rotating = False  # the Rotate event is written, the next file not yet started
        self.durable_lsn = 0  # the highest commit LSN the engine said is durable in redo
        self._written_lsn = 0  # every queued commit up to here is in the file
        self.written = 0  # transactions written to files in this open (tests, benches)
        self.syncs = 0  # fsyncs of the current file (checkpoints, rotations, refills, close)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, directory: str, uuid: str, **options) -> BinlogWriter:
        """Open the binlog of `directory` for appending, laying out the first file if there
        is none.  A torn tail (a crash in the middle of an append) is cut at the last whole
        transaction by `recover`, and only once the redo log gives those transactions back;
        damage anything intact follows, or that the redo log does not explain, is refused
        (1877).  No existing file is ever truncated or overwritten here."""
        self = cls(directory, uuid, **options)
        try:
            self._open_files()
        except BaseException:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            raise
        return self

    def _open_files(self) -> None:
        directory, uuid = self.directory, self.uuid
        names = list_index(directory)
        on_disk = sorted((n for n in os.listdir(directory) if _NAME.match(n)), key=file_seq)
        if names and not any(os.path.exists(os.path.join(directory, n)) for n in names):
            names = []  # an index naming none of the files is as good as none
        if not names and on_disk:
            # the index is gone, empty or garbled (or the crash came before the first one
            # was written): the files are the log, never something to overwrite with a new
            # binlog.000001
            names = self._adopt(on_disk)
        elif names:
            # a file created by a rotation the crash cut short of the index: adopt it
            last = file_seq(names[-1])
            later = [n for n in on_disk if file_seq(n) > last]
            if later:
                names += later
                self.repaired.append(f"binlog files {', '.join(later)} added to the index")
            present = [n for n in names if os.path.exists(os.path.join(directory, n))]
            if len(present) != len(names):
                gone = sorted(set(names) - set(present))
                self.repaired.append(f"binlog files missing from {directory}: "
                                     f"{', '.join(gone)} (removed from the index)")
                names = present
        if names and _half_created(os.path.join(directory, names[-1])):
            # a crash inside _start_file: the file has not its head yet, nothing was logged
            # in it; it is made again (by the Rotate of the file before, or as the first)
            os.unlink(os.path.join(directory, names[-1]))
            self.repaired.append(f"binlog file {names[-1]} had no complete header: made again")
            names = names[:-1]
        self.files = names
        if not self.files:
            self._start_file(file_name(1), GtidSet())
        else:
            self._open_last()
        self.next_seq = self.executed.last(uuid) + 1
        self._write_index()

    def _adopt(self, on_disk: list[str]) -> list[str]:
        """The index rebuilt from the files on disk: each must be ours (the magic, a
        Format_desc naming this database) and their numbers consecutive."""
        for name in on_disk:
            path = os.path.join(self.directory, name)
            if name == on_disk[-1] and _half_created(path):
                continue  # made again below
            try:
                desc, _prev = fmt.file_head(path)
            except (OSError, fmt.BinlogFormatError) as exc:
                raise CorruptionError(
                    f"binlog.index is missing or unreadable and {path} is not a binary log "
                    f"file of this database ({exc}): move it away, then open again") from None
            if desc.get("uuid") != self.uuid:
                raise CorruptionError(
                    f"binlog.index is missing or unreadable and {path} belongs to database "
                    f"{desc.get('uuid')}, not to this one ({self.uuid}): move it away, then "
                    "open again")
        seqs = [file_seq(n) for n in on_disk]
        gaps = [file_name(b) for a, b in zip(seqs, seqs[1:], strict=False) if b != a + 1]
        if gaps:
            raise CorruptionError(
                f"binlog.index is missing or unreadable and the binary log files in "
                f"{self.directory} are not consecutive (a gap before {', '.join(gaps)}): "
                "put the missing files back or move the older ones away, then open again")
        self.warnings.append(
            f"binlog.index was missing, empty or unreadable: rebuilt from the binary log "
            f"files on disk ({', '.join(on_disk)})")
        return list(on_disk)

    def _open_last(self) -> None:
        name = self.files[-1]
        path = os.path.join(self.directory, name)
        try:
            scan = fmt.scan_file(path)
            if scan.desc is None:
                raise fmt.BinlogFormatError(
                    f"{path} has no Format_desc event: not a binlog file of ours")
        except fmt.BinlogFormatError as exc:
            raise CorruptionError(f"{exc}; move it away to start a new binary log") from None
        desc = scan.desc
        if desc.get("uuid") != self.uuid:
            raise CorruptionError(
                f"binary log file {path} belongs to database {desc.get('uuid')}, not to this "
                f"one ({self.uuid}): it was copied from elsewhere. Move binlog.* away to "
                "start a new binary log")
        if scan.resync is not None:
            self._refuse(path, scan.stop, f"{scan.problem}, and an intact event follows at "
                         f"position {scan.resync}: the file is damaged in the middle, not "
                         "torn at its end")
        self.executed = GtidSet.parse(scan.previous)
        for uuid, seq in scan.gtids:
            self.executed.add(uuid, seq)
        fd = self._fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        size = os.fstat(fd).st_size
        good = scan.good
        if size > good:
            if scan.last_kind == fmt.EventType.ROTATE:
                self._refuse(path, good, "bytes follow the Rotate event that ends the file")
            # not cut yet: `recover` first checks the redo log gives back what is there
            self._cut = (good, os.pread(fd, size - good, good), scan.cut_gtids,
                         scan.problem)
        self._fd, self._size = fd, good
        if scan.last_kind == fmt.EventType.ROTATE:  # the next file's creation: now
            self._rotating = True
            self._rotate_locked()

    def _refuse(self, path: str, pos: int, reason: str) -> None:
        raise CorruptionError(
            f"binary log file {path} is damaged at position {pos}: {reason}. Opening would "
            "cut committed transactions out of it. Either move binlog.* aside to start a new "
            "binary log (backups taken before then cannot be rolled forward past it), or "
            "open with --skip-log-bin (the binary log is then left as it is)")

    def _settle_cut(self, refill: bytes) -> None:
        """Cut the tail `_open_last` found, once it is known to be a torn write of what the
        redo log gives back (`refill`, the bytes `recover` is about to append there): its
        bytes are a start of those (a torn write may also leave zeros, or a part of a
        Rotate event).  Anything else is damage, and the cut would lose transactions."""
        assert self._cut is not None
        good, cut, gtids, problem = self._cut
        path = os.path.join(self.directory, self.files[-1])
        k = _common_prefix(cut, refill)
        rest = cut[k:]
        if rest and rest.count(0) != len(rest) and not _rotate_start(rest):
            lost = ", ".join(f"{u}:{s}" for u, s in gtids)
            self._refuse(path, good + k,
                         f"{problem or 'an unfinished transaction'} that the redo log does "
                         "not give back" + (f" (it holds {lost})" if lost else ""))
        os.ftruncate(self._fd, good)
        os.fsync(self._fd)
        self.repaired.append(
            f"binary log {self.files[-1]}: cut {len(cut)} bytes of an unfinished transaction "
            f"at position {good}" + (f" ({problem})" if problem else "")
            + " (the redo log gives it back)")
        self._cut = None

    def _start_file(self, name: str, previous: GtidSet) -> None:
        path = os.path.join(self.directory, name)
        now = self.clock()
        head = (fmt.MAGIC + fmt.format_desc(now, self.uuid, file_seq(name))
                + fmt.previous_gtids(now, str(previous)))
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            fd = os.open(path, flags | os.O_EXCL, 0o600)
        except FileExistsError:
            if not (_half_created(path) or _only_head(path, self.uuid)):
                # never overwrite a binary log file that holds anything logged
                raise CorruptionError(
                    f"binary log file {path} exists already and is not empty: it is not "
                    "overwritten; move it away, then try again") from None
            fd = os.open(path, flags | os.O_TRUNC, 0o600)  # a creation cut short
        try:
            view = memoryview(head)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.close(fd)  # no fd leak; the file is the next one again at the retry
            raise
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._size = fd, len(head)
        if name not in self.files:
            self.files.append(name)
        _fsync_dir(self.directory)

    def _write_index(self) -> None:
        path = os.path.join(self.directory, INDEX_NAME)
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW,
                     0o600)  # like every file of the data directory: its owner's only
        with open(fd, "w", encoding="utf-8") as f:
            f.write("".join(f"./{n}\n" for n in self.files))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.directory)

    # -- the commit path -------------------------------------------------------------------------

    def enqueue(self, lsn: int, seq: int, data: bytes) -> None:
        """A committed transaction's events (called under the engine's writer lock, right
        after its commit was published at `lsn`): written once the redo is durable there."""
        self._queue.append((lsn, seq, data))
        self.next_seq = seq + 1

    def write_through(self, durable_lsn: int, mine: int | None = None) -> None:
        """Append every queued transaction whose commit is durable (up to `durable_lsn`),
        in commit order: one write for all of them.  Always under the lock, even with
        nothing queued: another committer may be writing this caller's events right now,
        and the caller must not return (nor SHOW MASTER STATUS miss its GTID) before they
        are in the file.  A caller whose own commit (`mine`, else everything up to
        `durable_lsn`) is written already (and in `executed`) skips the lock: after a
        group's fdatasync, its first committer writes the group, the others return."""
        if self._written_lsn >= (durable_lsn if mine is None else mine):
            return
        with self._lock:
            self._write_locked(durable_lsn)

    def _write_locked(self, durable_lsn: int) -> None:
        if durable_lsn > self.durable_lsn:
            self.durable_lsn = durable_lsn
        q = self._queue
        if not q or q[0][0] > durable_lsn:
            return
        if self._rotating:  # a rotation that failed half-way: never append after Rotate
            self._rotate_locked()
        taken: list[tuple[int, int, bytes]] = []
        while q and q[0][0] <= durable_lsn:
            taken.append(q.popleft())
        try:
            self._append(taken[0][2] if len(taken) == 1 else b"".join(t[2] for t in taken))
        except BaseException:
            q.extendleft(reversed(taken))  # in commit order at the retry, never a gap
            raise
        first, last = taken[0][1], taken[-1][1]
        if last - first == len(taken) - 1:  # the usual: a run of consecutive GTIDs
            self.executed.add_range(self.uuid, first, last)
        else:
            for _lsn, seq, _data in taken:
                self.executed.add(self.uuid, seq)
        self.written += len(taken)
        self._written_lsn = taken[-1][0]
        if self._size >= self.max_size:
            self._rotate_locked()

    def _append(self, data: bytes) -> None:
        if self._fd is None:
            raise OperationalError("the binary log is closed", errno=1030)
        if self._cut is not None:  # opened without `recover`: nothing gives the tail back
            self._settle_cut(b"")
        crash_point("binlog.before_write")
        if self._rotating:
            raise OperationalError("the binary log's rotation did not finish", errno=1030)
        start = self._size
        try:
            if armed("binlog.torn_write"):
                half = max(1, len(data) // 2)
                os.pwrite(self._fd, data[:half], start)
                crash_point("binlog.torn_write")
            n = os.pwrite(self._fd, data, start)
            if n < len(data):  # a short write: the rest, however many calls it takes
                view, off = memoryview(data)[n:], start + n
                while view:
                    n = os.pwrite(self._fd, view, off)
                    view, off = view[n:], off + n
        except BaseException:
            try:
                os.ftruncate(self._fd, start)  # never leave half an event for a reader
            except OSError:
                pass
            raise
        self._size = start + len(data)
        self._dirty = True
        crash_point("binlog.after_write")

    def _fsync(self) -> None:
        os.fsync(self._fd)
        self._dirty = False
        self.syncs += 1

    def sync_through(self, lsn: int) -> None:
        """Before a checkpoint at `lsn` lets the redo below it go: every transaction up to
        there written and the file fsynced."""
        with self._lock:
            self._write_locked(lsn)
            if self._dirty and self._fd is not None:
                self._fsync()

    # -- recovery ---------------------------------------------------------------------------------

    def recover(self, transactions: Iterable[bytes]) -> int:
        """Append the committed transactions the redo log holds and the binlog lacks (the
        events of each, as their BINLOG records carried them, in commit order).  Returns how
        many were appended."""
        added = 0
        with self._lock:
            todo = []
            for data in transactions:
                uuid, seq = _gtid_of(data)
                if not self.executed.contains(uuid, seq):
                    todo.append((uuid, seq, data))
            if self._cut is not None:
                self._settle_cut(b"".join(t[2] for t in todo))
            for uuid, seq, data in todo:
                if self.executed.contains(uuid, seq):
                    continue
                self._append(data)
                self.executed.add(uuid, seq)
                added += 1
            if added:
                self._fsync()
            if self._size >= self.max_size:
                self._rotate_locked()
        self.next_seq = max(self.next_seq, self.executed.last(self.uuid) + 1)
        return added

    # -- rotation and purging --------------------------------------------------------------------

    def rotate(self) -> str:
        """FLUSH BINARY LOGS: close the current file, start the next; returns its name."""
        with self._lock:
            self._rotate_locked()
            return self.files[-1]

    def _rotate_locked(self) -> None:
        """A failure part-way leaves `_rotating` set: nothing is appended after the Rotate
        event, and the next write (or the next open) finishes the rotation first."""
        nxt = file_name(file_seq(self.files[-1]) + 1)
        if not self._rotating:
            self._append(fmt.rotate(self.clock(), nxt))
            self._rotating = True
        self._fsync()
        crash_point("binlog.mid_rotate")
        self._start_file(nxt, self.executed)
        self._rotating = False
        self._write_index()
        self.expire()

    def purge_to(self, name: str) -> list[str]:
        """PURGE BINARY LOGS TO 'name': every file before `name` (never the current one)."""
        with self._lock:
            if name not in self.files:
                raise KeyError(name)
            i = self.files.index(name)
            return self._purge_locked(self.files[:i])

    def purge_before(self, ts: float) -> list[str]:
        """PURGE BINARY LOGS BEFORE t: the files last written before `ts` (MySQL compares
        the file's modification time), never the current one."""
        with self._lock:
            return self._purge_locked(self._written_before(ts))

    def expire(self) -> list[str]:
        """binlog_expire_logs_seconds: purge files older than that (0 never expires)."""
        if not self.expire_seconds:
            return []
        return self._purge_locked(self._written_before(self.clock() - self.expire_seconds))

    def _written_before(self, ts: float) -> list[str]:
        """The oldest files, up to the first one modified at or after `ts` (never the
        current one): what PURGE ... BEFORE and the expiry remove."""
        old = []
        for name in self.files[:-1]:
            try:
                mtime = os.stat(os.path.join(self.directory, name)).st_mtime
            except FileNotFoundError:
                mtime = 0.0
            if mtime >= ts:
                break
            old.append(name)
        return old

    def _purge_locked(self, names: list[str]) -> list[str]:
        names = [n for n in names if n != self.files[-1]]
        if not names:
            return []
        self.files = [n for n in self.files if n not in names]
        self._write_index()  # the index first: a crash leaves unlisted files, never holes
        for n in names:
            try:
                os.unlink(os.path.join(self.directory, n))
            except FileNotFoundError:
                pass
        _fsync_dir(self.directory)
        return names

    # -- what SHOW says ---------------------------------------------------------------------------

    def listing(self) -> list[tuple[str, int]]:
        """(file name, size) of every file in the index (SHOW BINARY LOGS)."""
        with self._lock:
            out = []
            for n in self.files:
                try:
                    out.append((n, os.path.getsize(os.path.join(self.directory, n))))
                except FileNotFoundError:
                    out.append((n, 0))
            return out

    def status(self) -> tuple[str, int, str]:
        """(current file, position, executed GTID set): SHOW MASTER STATUS."""
        with self._lock:
            return self.files[-1], self._size, str(self.executed)

    def close(self, durable_lsn: int | None = None) -> None:
        """Write what is queued and durable in the redo log up to `durable_lsn` (None: as
        far as the engine last said, so a close after a failed redo fsync never logs a
        commit the redo may not have), fsync, close."""
        with self._lock:
            if self._fd is None:
                return
            try:
                self._write_locked(self.durable_lsn if durable_lsn is None else durable_lsn)
                self._fsync()
            finally:
                os.close(self._fd)
                self._fd = None
                self._queue.clear()


def _half_created(path: str) -> bool:
    """Whether `path` is a binlog file whose creation a crash cut short: a (possibly empty)
    start of the magic and head events, without the Previous_gtids event that ends a head.
    Anything else that is not a binlog file stays an error for the DBA to look at."""
    with open(path, "rb") as f:
        data = f.read(4096)
    if len(data) >= 4096:
        return False
    if len(data) <= len(fmt.MAGIC):
        return data == fmt.MAGIC[:len(data)]
    if not data.startswith(fmt.MAGIC):
        return False
    try:
        return all(ev.kind != fmt.EventType.PREVIOUS_GTIDS for ev in fmt.read_events(path))
    except fmt.BinlogFormatError:
        return False


def _only_head(path: str, uuid: str) -> bool:
    """Whether `path` holds this database's file head and nothing after it (a creation
    whose fsync failed): made again, nothing is lost."""
    try:
        if os.path.getsize(path) >= 4096:
            return False
        end = fmt.FileEnd()
        kinds = [(ev.kind, ev.fields) for ev in fmt.read_events(path, 0, end)]
    except (OSError, fmt.BinlogFormatError):
        return False
    return (not end.problem and len(kinds) == 2 and kinds[0][0] == fmt.EventType.FORMAT_DESC
            and kinds[0][1][0].get("uuid") == uuid
            and kinds[1][0] == fmt.EventType.PREVIOUS_GTIDS)


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo], a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _rotate_start(rest: bytes) -> bool:
    """Whether `rest` can be the start of a Rotate event a crash tore (its header, then a
    body that starts as a Rotate's does)."""
    if len(rest) > fmt.EVENT_HEADER_SIZE + 64:
        return False
    if len(rest) >= 4:
        length = int.from_bytes(rest[:4], "little")
        if not 2 <= length <= 64:
            return False
    body = rest[fmt.EVENT_HEADER_SIZE:]
    return body[:2] == b"\x93\x04"[:len(body[:2])]


def _gtid_of(data: bytes) -> tuple[str, int]:
    """The GTID of a transaction's events (its first event is the Gtid event)."""
    length, _crc = fmt.EVENT_HEADER.unpack_from(data, 0)
    import msgpack

    body = msgpack.unpackb(data[fmt.EVENT_HEADER_SIZE:fmt.EVENT_HEADER_SIZE + length],
                           raw=False)
    if body[0] != fmt.EventType.GTID:
        raise CorruptionError("a BINLOG redo record does not start with a Gtid event")
    return body[2], body[3]
