"""Following a live redo log from an LSN into a backup's `#redo` directory.

A hot backup copies tablespaces while the database keeps committing and checkpointing, so
the redo from the checkpoint the backup starts at must be kept until the copies are done:
the writer recycles a segment once a checkpoint passes it.  The tail copies every valid
frame (`check_frame`: length, CRC, and the LSN equal to its offset) as soon as it is
written, segment by segment, into files at the same offsets as the source's, so a copied
segment reads exactly like the original up to the end the tail reached, and zeros after it
(a clean end of log for the scanner).  A frame that is not valid yet is a write still in
flight: the next `pump` reads it again.  A segment that was recycled before the tail read
it cannot be recovered: the backup fails and asks to be retried.

As it copies, the tail reads the records a backup must know about: commits (which
transactions finished before the end), their BINLOG events (the GTIDs they carry), and
FILE_CREATE (tablespaces created after the checkpoint, which the space map in system.kdb
may not list yet).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

import msgpack
from crc32c import crc32c

from core.errors import OperationalError
from core.log.binlog_format import EVENT_HEADER, EVENT_HEADER_SIZE, EventType
from core.log.gtid import GtidSet
from core.log.record import HEADER_SIZE, MAX_BODY, RecordType, check_frame, decode_body
from core.log.segment import SEGMENT_HEADER_SIZE, SegmentInfo, read_header, segment_path

READ_CHUNK = 8 << 20
_ZEROS = bytes(1 << 20)
_SEG_HDR = struct.Struct("<8sIQQ16s")
# record types whose bodies the tail decodes (the others are copied without looking in)
_WANTED = frozenset({RecordType.COMMIT, RecordType.ROWS_COMMIT, RecordType.BINLOG,
                     RecordType.FILE_CREATE, RecordType.FILE_DELETE})


class SegmentRecycled(OperationalError):
    """The redo the backup needs was recycled before it could be copied (1030)."""

    errno = 1030


def _recycled(what: str) -> SegmentRecycled:
    return SegmentRecycled(
        f"Got error from storage engine: {what}: the database recycled redo the backup "
        "still needed (a checkpoint passed it before it was copied); run the backup again")


class RedoTail:
    """Copies the redo log of `src_dir` from `start_lsn` into `dst_dir` as it grows."""

    def __init__(self, src_dir: str, dst_dir: str, uuid: bytes, start_lsn: int,
                 on_bytes: Callable[[int], None] | None = None):
        self.src_dir = src_dir
        self.dst_dir = dst_dir
        self.uuid = uuid
        self.start_lsn = start_lsn
        self.lsn = start_lsn  # everything below was copied and checked
        self.on_bytes = on_bytes
        self.copied: list[SegmentInfo] = []  # the destination segments, in order
        self._seg: SegmentInfo | None = None
        self._src_fd: int | None = None
        self._dst_fd: int | None = None
        self.committed: dict[int, int] = {}  # trx id -> commit end LSN
        self._binlog: dict[int, list[bytes]] = {}  # trx id -> BINLOG event bytes
        self.gtids: list[tuple[int, str, int]] = []  # (commit end lsn, uuid, seq), in order
        self.creates: dict[int, dict] = {}  # space id -> FILE_CREATE header (committed or not)
        # CRC32C of each copied file as written (dst path -> (bytes written, crc)): the
        # frames land in order, so the backup's checksums need no second read
        self.crcs: dict[str, tuple[int, int]] = {}
        self._open_at(start_lsn)

    # -- segments -------------------------------------------------------------------------------

    def _open_at(self, lsn: int) -> None:
        """Open the source segment holding `lsn` (and its copy)."""
        best: SegmentInfo | None = None
        for name in os.listdir(self.src_dir):
            if not name.startswith("redo.") or name.endswith(".tmp"):
                continue
            try:
                info = read_header(os.path.join(self.src_dir, name), self.uuid)
            except (OSError, ValueError):
                continue  # renamed away (recycled) while we listed
            except Exception:  # noqa: BLE001 - a header being rewritten: not ours to judge
                continue
            if info.start_lsn <= lsn and (best is None or info.start_lsn > best.start_lsn):
                best = info
        if best is None:
            raise _recycled(f"no redo segment holds lsn {lsn}")
        self._open_segment(best)

    def _open_segment(self, info: SegmentInfo) -> None:
        fd = os.open(info.path, os.O_RDONLY | os.O_CLOEXEC)
        head = os.pread(fd, SEGMENT_HEADER_SIZE, 0)
        magic, _fmt, seq, start, _uuid = _SEG_HDR.unpack_from(head)
        if seq != info.seq or start != info.start_lsn:
            os.close(fd)
            raise _recycled(f"redo segment {os.path.basename(info.path)} was reused")
        info.size = os.fstat(fd).st_size
        self._close_current()
        self._src_fd = fd
        self._seg = info
        dst = segment_path(self.dst_dir, info.seq)
        self._dst_fd = os.open(dst, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        os.pwrite(self._dst_fd, head, 0)
        self.crcs[dst] = (len(head), crc32c(head))
        self.copied.append(SegmentInfo(info.seq, info.start_lsn, dst, info.size))

    def _close_current(self) -> None:
        if self._src_fd is not None:
            os.close(self._src_fd)
            self._src_fd = None
        if self._dst_fd is not None:
            os.close(self._dst_fd)
            self._dst_fd = None

    def _next_segment(self) -> SegmentInfo | None:
        assert self._seg is not None
        path = segment_path(self.src_dir, self._seg.seq + 1)
        try:
            return read_header(path, self.uuid)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - being renamed into place: look again later
            return None

    def _later_exists(self) -> bool:
        """Whether a segment after the next one exists (then the next one was removed)."""
        assert self._seg is not None
        for name in os.listdir(self.src_dir):
            seq = name[5:]
            if name.startswith("redo.") and seq.isdigit() and int(seq) > self._seg.seq + 1:
                return True
        return False

    def _still_ours(self) -> bool:
        """Whether the open source segment still is the segment we opened."""
        assert self._seg is not None and self._src_fd is not None
        try:
            if os.stat(self._seg.path).st_ino != os.fstat(self._src_fd).st_ino:
                return False  # renamed to the spare (or unlinked) by a checkpoint
        except FileNotFoundError:
            return False
        head = os.pread(self._src_fd, _SEG_HDR.size, 0)
        _m, _f, seq, start, _u = _SEG_HDR.unpack_from(head)
        return seq == self._seg.seq and start == self._seg.start_lsn

    # -- copying --------------------------------------------------------------------------------

    def pump(self) -> int:
        """Copy every valid frame written since the last call; returns the bytes copied."""
        total = 0
        while True:
            n = self._pump_segment()
            total += n
            if n:
                continue
            nxt = self._next_segment()
            if nxt is None:
                if self._later_exists():
                    name = os.path.basename(segment_path("", self._seg.seq + 1))
                    raise _recycled(f"redo segment {name} holding lsn {self.lsn} was "
                                    "recycled before it was copied")
                return total
            if nxt.start_lsn == self.lsn:  # the writer switched segments here
                self._open_segment(nxt)
                continue
            if not self._still_ours():
                raise _recycled(f"redo segment {os.path.basename(self._seg.path)} was "
                                f"reused before lsn {self.lsn} was copied")
            return total  # the rest of this segment is still being written

    def _pump_segment(self) -> int:
        seg, fd = self._seg, self._src_fd
        assert seg is not None and fd is not None and self._dst_fd is not None
        copied = 0
        while True:
            off = seg.file_offset(self.lsn)
            if off + HEADER_SIZE > seg.size:
                return copied
            data = os.pread(fd, READ_CHUNK, off)
            pos = 0
            lsn = self.lsn
            while True:
                length, reason = check_frame(data, pos, lsn)
                if length < 0:
                    break
                self._look(lsn, memoryview(data)[pos + HEADER_SIZE:pos + HEADER_SIZE + length])
                pos += HEADER_SIZE + length
                lsn += HEADER_SIZE + length
            if pos == 0 and reason.startswith("wanted") and len(data) == READ_CHUNK:
                want = struct.unpack_from("<I", data, 0)[0]
                if want <= MAX_BODY:
                    data = os.pread(fd, HEADER_SIZE + want, off)
                    length, reason = check_frame(data, 0, lsn)
                    if length >= 0:
                        self._look(lsn, memoryview(data)[HEADER_SIZE:HEADER_SIZE + length])
                        pos = HEADER_SIZE + length
                        lsn += pos
            if pos == 0:
                return copied
            view = memoryview(data)[:pos]
            dst_off = off
            path = self.copied[-1].path
            written, crc = self.crcs[path]
            # frames are copied in order; before the first one (the checkpoint lies inside
            # the segment) the copy holds zeros
            crc = crc32c(view, _zeros_crc(crc, off - written))
            self.crcs[path] = (off + pos, crc)
            while view:
                n = os.pwrite(self._dst_fd, view, dst_off)
                view, dst_off = view[n:], dst_off + n
            self.lsn = lsn
            copied += pos
            if self.on_bytes is not None:
                self.on_bytes(pos)
            if len(data) < READ_CHUNK:
                return copied

    def _look(self, lsn: int, body: memoryview) -> None:
        kind = _kind(body)
        if kind not in _WANTED:
            return
        end = lsn + HEADER_SIZE + len(body)
        if kind == RecordType.ROWS_COMMIT:
            trx = _trx(body)
            self._commit(trx, end)
            return
        rec = decode_body(body)
        if kind == RecordType.COMMIT:
            self._commit(rec[1], end)
        elif kind == RecordType.BINLOG:
            self._binlog.setdefault(rec[1], []).append(bytes(rec[2]))
        elif kind == RecordType.FILE_CREATE:  # [4, trx, space, path, header]
            header = rec[4] if isinstance(rec[4], dict) else {}
            self.creates[rec[2]] = dict(header, path=header.get("path") or rec[3])

    def _commit(self, trx: int, end: int) -> None:
        self.committed[trx] = end
        parts = self._binlog.pop(trx, None)
        if parts:
            gtid = _gtid_of(parts[0])
            if gtid is not None:
                self.gtids.append((end, gtid[0], gtid[1]))

    # -- the end --------------------------------------------------------------------------------

    def gtid_set(self) -> GtidSet:
        """The GTIDs of the transactions committed in the copied redo."""
        out = GtidSet()
        for _end, uuid, seq in self.gtids:
            out.add(uuid, seq)
        return out

    def finish(self, *, fsync: bool = True) -> list[SegmentInfo]:
        """Give every copied segment its source's size (zeros past the copied frames: the
        end of the log) and fsync them (unless the caller does); returns them."""
        self._close_current()
        for seg in self.copied:
            fd = os.open(seg.path, os.O_RDWR | os.O_CLOEXEC)
            try:
                if os.fstat(fd).st_size < seg.size:
                    os.ftruncate(fd, seg.size)
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            written, crc = self.crcs[seg.path]
            self.crcs[seg.path] = (seg.size, _zeros_crc(crc, seg.size - written))
        return self.copied

    def close(self) -> None:
        self._close_current()


def _zeros_crc(crc: int, n: int) -> int:
    """`crc` continued over `n` zero bytes."""
    while n > 0:
        step = min(n, len(_ZEROS))
        crc = crc32c(_ZEROS if step == len(_ZEROS) else _ZEROS[:step], crc)
        n -= step
    return crc


def _kind(body: memoryview) -> int:
    """The record type: bodies are msgpack arrays whose first item is a small int."""
    if len(body) >= 2 and 0x90 <= body[0] <= 0x9F:
        return body[1]
    try:
        return decode_body(body)[0]
    except Exception:  # noqa: BLE001 - a frame whose CRC held: still not one we decode
        return -1


def _trx(body: memoryview) -> int:
    unpacker = msgpack.Unpacker(raw=False)
    unpacker.feed(bytes(body[:32]))
    unpacker.read_array_header()
    unpacker.skip()
    return unpacker.unpack()


def _gtid_of(events: bytes) -> tuple[str, int] | None:
    """(uuid, seq) of a transaction's events, whose first is its Gtid event."""
    if len(events) < EVENT_HEADER_SIZE:
        return None
    length, _crc = EVENT_HEADER.unpack_from(events, 0)
    body = msgpack.unpackb(events[EVENT_HEADER_SIZE:EVENT_HEADER_SIZE + length], raw=False)
    if not body or body[0] != EventType.GTID:
        return None
    return str(body[2]), int(body[3])
