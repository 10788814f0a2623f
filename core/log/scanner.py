"""Reading the redo log from an LSN to its end.

The end of the log is the first record whose header is short or zero, whose length or CRC is
wrong, or whose LSN is not its offset in the log stream: a torn tail.  A bad record that is
*followed by good ones* is corruption instead, and raises `LogCorruptionError` unless the
caller allows it (`force_recovery >= 1`), in which case the scan stops at the damage.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass

from core.errors import LogCorruptionError
from core.log.record import HEADER, HEADER_SIZE, check_frame
from core.log.segment import SEGMENT_HEADER_SIZE, SegmentInfo


@dataclass
class ScanEnd:
    """Where the log ended and why; filled in when the scan is exhausted."""

    lsn: int = 0
    segment: SegmentInfo | None = None
    reason: str = ""  # "" when the log ended on a clean boundary (zeros)
    torn: bool = False
    dead_segments: tuple[SegmentInfo, ...] = ()  # later segments holding no valid record


class LogScanner:
    """Iterate `(lsn, body)` over the records from `from_lsn`; see `end` afterwards."""

    def __init__(
        self, segments: list[SegmentInfo], from_lsn: int, *, allow_corruption: bool = False
    ):
        self.segments = segments
        self.from_lsn = from_lsn
        self.allow_corruption = allow_corruption
        self.end = ScanEnd(lsn=from_lsn)

    def _first_segment_index(self) -> int:
        idx = None
        for i, seg in enumerate(self.segments):
            if seg.start_lsn <= self.from_lsn:
                idx = i
        if idx is None:
            raise LogCorruptionError(
                f"redo log starts after the checkpoint lsn {self.from_lsn}: "
                "a segment is missing"
            )
        return idx

    def records(self) -> Iterator[tuple[int, bytes]]:
        if not self.segments:
            raise LogCorruptionError("the redo log has no segments")
        i = self._first_segment_index()
        lsn = self.from_lsn
        while True:
            seg = self.segments[i]
            nxt = self.segments[i + 1] if i + 1 < len(self.segments) else None
            with open(seg.path, "rb") as f:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            try:
                off = seg.file_offset(lsn)
                if off > len(mm):
                    raise LogCorruptionError(f"lsn {lsn} lies past the end of segment {seg.path}")
                reason = ""
                while True:
                    length, reason = check_frame(mm, off, lsn)
                    if length < 0:
                        break
                    body_start = off + HEADER_SIZE
                    yield lsn, mm[body_start : body_start + length]
                    off = body_start + length
                    lsn += HEADER_SIZE + length
                if nxt is not None and nxt.start_lsn == lsn:
                    i += 1  # the writer switched segments here
                    continue
                self._finish(mm, off, lsn, seg, reason, i)
                return
            finally:
                mm.close()

    def _finish(self, mm, off: int, lsn: int, seg: SegmentInfo, reason: str, i: int) -> None:
        later = self.segments[i + 1 :]
        followed = self._good_record_follows(mm, off, lsn)
        if not followed:
            for other in later:
                if _segment_has_record(other):
                    followed = True
                    break
        if followed:
            msg = (
                f"redo log corruption at lsn {lsn} in {os.path.basename(seg.path)}: {reason}, "
                "and valid records follow it"
            )
            if not self.allow_corruption:
                raise LogCorruptionError(msg + "; open with force_recovery >= 1 to stop there")
        self.end = ScanEnd(
            lsn=lsn,
            segment=seg,
            reason=reason if reason != "zero header" else "",
            torn=reason not in ("", "zero header"),
            dead_segments=tuple(later),
        )

    @staticmethod
    def _good_record_follows(mm, off: int, lsn: int) -> bool:
        """Is the bad record's length plausible, and is the record after it valid?"""
        if len(mm) - off < HEADER_SIZE:
            return False
        length, _crc, rec_lsn = HEADER.unpack_from(mm, off)
        if length == 0 or rec_lsn != lsn:
            return False
        nxt_off = off + HEADER_SIZE + length
        if nxt_off >= len(mm):
            return False
        ok, _ = check_frame(mm, nxt_off, lsn + HEADER_SIZE + length)
        return ok >= 0


def _segment_has_record(seg: SegmentInfo) -> bool:
    with open(seg.path, "rb") as f:
        f.seek(SEGMENT_HEADER_SIZE)
        buf = f.read(HEADER_SIZE + 1)
        if len(buf) < HEADER_SIZE:
            return False
        length, _, rec_lsn = HEADER.unpack_from(buf, 0)
        if length == 0 or rec_lsn != seg.start_lsn:
            return False
        f.seek(SEGMENT_HEADER_SIZE)
        buf = f.read(HEADER_SIZE + length)
    ok, _ = check_frame(buf, 0, seg.start_lsn)
    return ok >= 0
