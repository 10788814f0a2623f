"""Redo-log segment files: `#redo/redo.<seq>`, a 4 KiB header and then records.

The header names the segment number, the LSN of its first byte and the database uuid, under
a CRC, so a segment from another database or a half-written header is recognised.  Segments
are written full of zeros when created: an fdatasync on already-allocated blocks is cheaper
than one that must also allocate, and a zeroed tail reads as a clean end of log.
"""

from __future__ import annotations

import errno
import os
import re
import struct
from dataclasses import dataclass

from crc32c import crc32c

from core.errors import LogCorruptionError

MAGIC = b"KDBREDO1"
FORMAT = 1
SEGMENT_HEADER_SIZE = 4096
_HDR = struct.Struct("<8sIQQ16s")  # magic, format, seq, start_lsn, uuid
_NAME = re.compile(r"^redo\.(\d+)$")
DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024
SPARE_NAME = "spare"  # a segment file waiting to become the next one (not matched by _NAME)
_ZEROS = bytes(1 << 20)


@dataclass
class SegmentInfo:
    seq: int
    start_lsn: int
    path: str
    size: int  # file size in bytes

    @property
    def capacity(self) -> int:
        """How many bytes of records the segment can hold."""
        return self.size - SEGMENT_HEADER_SIZE

    def file_offset(self, lsn: int) -> int:
        return SEGMENT_HEADER_SIZE + (lsn - self.start_lsn)


def segment_path(redo_dir: str, seq: int) -> str:
    return os.path.join(redo_dir, f"redo.{seq:08d}")


def _header_bytes(seq: int, start_lsn: int, uuid: bytes) -> bytes:
    raw = _HDR.pack(MAGIC, FORMAT, seq, start_lsn, uuid)
    return raw + struct.pack("<I", crc32c(raw))


def write_header(fd: int, seq: int, start_lsn: int, uuid: bytes) -> None:
    os.pwrite(fd, _header_bytes(seq, start_lsn, uuid), 0)


def create_segment(redo_dir: str, seq: int, start_lsn: int, uuid: bytes, size: int) -> SegmentInfo:
    """Create a zero-filled segment and make its existence durable."""
    path = segment_path(redo_dir, seq)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        _write_zeros(fd, size)
        write_header(fd, seq, start_lsn, uuid)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)  # a full disk: give the space back
        raise
    os.close(fd)
    os.rename(tmp, path)
    fsync_dir(redo_dir)
    return SegmentInfo(seq, start_lsn, path, size)


def _write_zeros(fd: int, size: int) -> None:
    """Write `size` zero bytes.  A write may be short (a file system that is nearly full
    writes what fits and returns the count): go on from there, so that the next write
    raises ENOSPC, and a segment is never renamed into place shorter than it should be
    (the next open would rightly call it truncated: damage)."""
    remaining = size
    while remaining > 0:
        n = os.write(fd, _ZEROS[: min(remaining, len(_ZEROS))])
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        remaining -= n


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def make_spare(path: str, size: int) -> None:
    """Write a zero-filled file to become a segment later (built under a temporary name)."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        _write_zeros(fd, size)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(tmp)
        raise
    os.close(fd)
    os.rename(tmp, path)
    fsync_dir(os.path.dirname(path))


def adopt_spare(spare: str, redo_dir: str, seq: int, start_lsn: int, uuid: bytes) -> SegmentInfo:
    """Turn the spare into segment `seq` starting at `start_lsn`: header first, then the
    rename, so a file named like a segment always has a valid header."""
    fd = os.open(spare, os.O_RDWR)
    try:
        write_header(fd, seq, start_lsn, uuid)
        os.fsync(fd)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    path = segment_path(redo_dir, seq)
    os.rename(spare, path)
    fsync_dir(redo_dir)
    return SegmentInfo(seq, start_lsn, path, size)


def read_header(path: str, uuid: bytes | None) -> SegmentInfo:
    with open(path, "rb") as f:
        raw = f.read(_HDR.size + 4)
        size = os.fstat(f.fileno()).st_size
    if len(raw) < _HDR.size + 4:
        raise LogCorruptionError(f"redo segment {path}: header is truncated")
    (crc,) = struct.unpack_from("<I", raw, _HDR.size)
    if crc32c(raw[: _HDR.size]) != crc:
        raise LogCorruptionError(f"redo segment {path}: header checksum mismatch")
    magic, fmt, seq, start_lsn, seg_uuid = _HDR.unpack_from(raw)
    if magic != MAGIC or fmt != FORMAT:
        raise LogCorruptionError(f"redo segment {path}: not a KintsugiDB redo segment")
    if uuid is not None and seg_uuid != uuid:
        raise LogCorruptionError(f"redo segment {path} belongs to another database")
    return SegmentInfo(seq, start_lsn, path, size)


def header_uuid(path: str) -> bytes:
    """The database uuid in a segment's (checked) header."""
    read_header(path, None)
    with open(path, "rb") as f:
        return _HDR.unpack(f.read(_HDR.size))[4]


def list_segments(redo_dir: str, uuid: bytes | None) -> list[SegmentInfo]:
    """All segments of the log in order, their headers checked."""
    segs = []
    for name in os.listdir(redo_dir):
        if _NAME.match(name):
            segs.append(read_header(os.path.join(redo_dir, name), uuid))
    segs.sort(key=lambda s: s.seq)
    return segs


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def data_end_lsn(seg: SegmentInfo) -> int:
    """The LSN just past the last non-zero byte of `seg`: how far its records can reach.
    A fresh segment is zeros after its records; a reused one still holds stale records, so
    this over-estimates there, never under (what a progress bar needs).  Whole zero
    megabytes are compared from the end at memcmp speed."""
    size = seg.size
    step = len(_ZEROS)
    with open(seg.path, "rb") as f:
        pos = size
        while pos > SEGMENT_HEADER_SIZE:
            start = max(SEGMENT_HEADER_SIZE, pos - step)
            f.seek(start)
            block = f.read(pos - start)
            stripped = block.rstrip(b"\x00")
            if stripped:
                return seg.start_lsn + (start + len(stripped) - SEGMENT_HEADER_SIZE)
            pos = start
    return seg.start_lsn
