"""Reading the redo log from an LSN to its end.

The end of the log is the first record whose header is short or zero, whose length or CRC is
wrong, or whose LSN is not its offset in the log stream: a torn tail.  A bad record that is
*followed by good ones* is corruption instead, and raises `LogCorruptionError` unless the
caller allows it (`force_recovery >= 1`), in which case the scan stops at the damage and
`frames_past` finds the valid records beyond it (what a forced open reports as not applied).
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import msgpack

from core.errors import LogCorruptionError
from core.log.record import HEADER, HEADER_SIZE, MAX_BODY, RecordType, check_frame, frame_synced
from core.log.segment import SEGMENT_HEADER_SIZE, SegmentInfo, segment_path


@dataclass
class ScanEnd:
    """Where the log ended and why; filled in when the scan is exhausted."""

    lsn: int = 0
    segment: SegmentInfo | None = None
    reason: str = ""  # "" when the log ended on a clean boundary (zeros)
    torn: bool = False
    dead_segments: tuple[SegmentInfo, ...] = ()  # later segments holding no valid record
    # the scan stopped at acknowledged damage (allowed by force_recovery), not at a torn
    # tail: valid records lie past `lsn` (`frames_past` finds them)
    damaged: bool = False
    # the damaged frame's record type and transaction id, when its first bytes still decode
    # (whose commit the damage cost); None when unknown
    damaged_record: tuple[int, int] | None = None
    # a segment file is gone: the records it held cannot be found, let alone counted
    segment_missing: bool = False


def segment_problems(segments: list[SegmentInfo], segment_size: int = 0,
                     last_segment: int = 0) -> dict[int, str]:
    """Damage the segment files show by themselves, by the segment after which the log
    cannot be read on: a segment shorter than the preallocated `segment_size` (truncated:
    its cut-off part held records, or zeros nobody can tell from them), a number missing in
    the sequence (1, 2, 4), and a newest segment below `last_segment`, the newest one the
    control file saw the writer start (it was deleted)."""
    broken: dict[int, list[str]] = {}
    for i, seg in enumerate(segments):
        if segment_size and seg.size < segment_size:
            broken.setdefault(seg.seq, []).append(
                f"segment {os.path.basename(seg.path)} is truncated: {seg.size} bytes, "
                f"expected {segment_size}")
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        if nxt is not None and nxt.seq != seg.seq + 1:
            broken.setdefault(seg.seq, []).append(_missing(seg.seq + 1, nxt.seq - 1))
    if segments and last_segment > segments[-1].seq:
        broken.setdefault(segments[-1].seq, []).append(
            _missing(segments[-1].seq + 1, last_segment))
    return {seq: "; ".join(reasons) for seq, reasons in broken.items()}


def _missing(first: int, last: int) -> str:
    name = os.path.basename(segment_path("", first))
    if first == last:
        return f"segment {name} is missing"
    return f"segments {name} to {os.path.basename(segment_path('', last))} are missing"


def describe_bad_frame(reason: str) -> str:
    """What was wrong with a frame, in words a DBA reads (`check_frame`'s short reasons)."""
    if reason == "checksum mismatch":
        return "CRC mismatch"
    if reason == "zero header":
        return "zero header in the middle of the log"
    if reason.startswith("invalid record length"):
        return "bad length (" + reason + ")"
    if reason.startswith("record says"):
        return f"record at the wrong place ({reason})"
    if reason == "short header" or reason.startswith("wanted"):
        return f"record cut short ({reason})"
    return reason or "unreadable record"


class LogScanner:
    """Iterate `(lsn, body)` over the records from `from_lsn`; see `end` afterwards."""

    def __init__(
        self, segments: list[SegmentInfo], from_lsn: int, *, allow_corruption: bool = False,
        known_durable: int = 0, segment_size: int = 0, last_segment: int = 0,
    ):
        """`known_durable`: an LSN the log is known to have been durable up to (from the
        control file); damage below it is corruption even with nothing valid after it.
        `segment_size` and `last_segment` (the control file's) let a truncated, missing or
        deleted newest segment be seen as damage instead of an end (`segment_problems`)."""
        self.segments = segments
        self.from_lsn = from_lsn
        self.allow_corruption = allow_corruption
        self.known_durable = known_durable
        self.broken = segment_problems(segments, segment_size, last_segment)
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
                    if seg.seq in self.broken:
                        self._damage(lsn, seg, self.broken[seg.seq], tuple(self.segments[i + 1:]),
                                     None)
                        return
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
        """The log stops being readable at `lsn`.  If a valid record anywhere after it says
        the log was already durable past `lsn` when it was written, the bad spot had been
        acknowledged: corruption.  Otherwise it is the torn tail of the last group commit."""
        later = self.segments[i + 1 :]
        broken = [self.broken[s.seq] for s in self.segments[i:] if s.seq in self.broken]
        if broken:
            self._damage(lsn, seg, "; ".join(broken), tuple(later), None)
            return
        durable_after = _max_synced_after(mm, off + 1, seg)
        chained = _max_synced_along_headers(mm, off, lsn, seg)
        if chained is not None:
            durable_after = max(durable_after or 0, chained)
        for other in later:
            synced = _first_record_synced(other)
            if synced is not None:
                durable_after = max(durable_after or 0, synced)
        if self.known_durable > (durable_after or 0):
            durable_after = self.known_durable
        damaged = durable_after is not None and durable_after > lsn
        if damaged:
            why = describe_bad_frame(reason)
            msg = (
                f"redo log corruption at lsn {lsn} in {os.path.basename(seg.path)}: {why}, "
                f"and a valid record after it shows the log was durable up to lsn "
                f"{durable_after}"
            )
            if not self.allow_corruption:
                raise LogCorruptionError(msg + "; open with force_recovery >= 1 to stop there")
            self.end = ScanEnd(lsn=lsn, segment=seg, reason=f"damaged record at lsn {lsn}: {why}",
                               torn=True, dead_segments=tuple(later), damaged=True,
                               damaged_record=_peek_record(mm, off))
            return
        self.end = ScanEnd(
            lsn=lsn,
            segment=seg,
            reason=reason if reason != "zero header" else "",
            # a frame of ours cut short or damaged; a stale frame of a reused segment (its
            # LSN does not match the offset) and zeros are clean ends
            torn=reason not in ("", "zero header") and not reason.startswith("record says"),
            dead_segments=tuple(later),
            damaged=damaged,
        )

    def _damage(self, lsn: int, seg: SegmentInfo, reason: str,
                later: tuple[SegmentInfo, ...], record: tuple[int, int] | None) -> None:
        """The log cannot be read past `lsn` because of damage to the segment files."""
        if not self.allow_corruption:
            raise LogCorruptionError(
                f"redo log corruption at lsn {lsn} in {seg.path}: {reason}; the records "
                "after it cannot be read. Open with force_recovery >= 1 to stop there")
        self.end = ScanEnd(lsn=lsn, segment=seg, reason=reason, torn=True,
                           dead_segments=later, damaged=True, damaged_record=record,
                           segment_missing=" missing" in reason)


def _peek_record(mm, off: int) -> tuple[int, int] | None:
    """(record type, trx id) of a damaged frame, if its body still starts like a record:
    the type and the transaction id are its first bytes, and one flipped byte elsewhere in
    the body leaves them readable.  None when they do not decode."""
    try:
        length = HEADER.unpack_from(mm, off)[0]
        if length == 0 or length > MAX_BODY:
            return None
        start = off + HEADER_SIZE
        head = bytes(mm[start : min(len(mm), start + min(length, 64))])
        unpacker = msgpack.Unpacker(raw=False)
        unpacker.feed(head)
        if unpacker.read_array_header() < 2:
            return None
        kind, trx = unpacker.unpack(), unpacker.unpack()
    except Exception:  # noqa: BLE001 - damaged bytes: any decoding error means "unknown"
        return None
    if not isinstance(kind, int) or not isinstance(trx, int) or trx <= 0:
        return None
    if kind not in (RecordType.ROWS, RecordType.COMMIT, RecordType.ROWS_COMMIT):
        return None
    return kind, trx


_NONZERO = re.compile(rb"[^\x00]")
_ZERO_BLOCK = bytes(1 << 20)


def _first_nonzero(mm, pos: int) -> int | None:
    """Offset of the first non-zero byte at or after `pos`: whole zero megabytes are
    skipped by comparison (memcmp speed; the tail of a fresh segment is all zeros), and
    the regex runs only inside the block that has data."""
    n = len(mm)
    block = len(_ZERO_BLOCK)
    while pos < n:
        end = min(n, pos + block)
        if mm[pos:end] != _ZERO_BLOCK[: end - pos]:
            m = _NONZERO.search(mm, pos, end)
            return m.start() if m else None
        pos = end
    return None


def _next_valid_frame(mm, start: int, seg: SegmentInfo) -> int | None:
    """The offset of the first valid frame at or after `start` in this segment.

    A frame's LSN equals its offset, so the LSN a candidate must carry is known for every
    offset; the search looks for the upper six bytes of that LSN (constant over 64 KiB of
    offsets) with `find`, and checks each hit.  Zero runs are skipped at C speed."""
    end = len(mm) - HEADER_SIZE
    q = start
    while q <= end:
        nz = _first_nonzero(mm, q)
        if nz is None:
            return None
        q = max(q, nz - 3)  # a frame's first non-zero byte is in its length field
        exp = seg.start_lsn + (q - SEGMENT_HEADER_SIZE)
        window = ((exp | 0xFFFF) + 1) - exp  # offsets until the upper LSN bytes change
        q_end = min(end + 1, q + window)
        high = exp.to_bytes(8, "little")[2:]
        x = mm.find(high, q + 10, q_end + 16)
        while x != -1:
            cand = x - 10
            if q <= cand < q_end:
                want = seg.start_lsn + (cand - SEGMENT_HEADER_SIZE)
                ok, _ = check_frame(mm, cand, want)
                if ok >= 0:
                    return cand
            x = mm.find(high, x + 1, q_end + 16)
        q = q_end
    return None


def frames_past(segments: list[SegmentInfo], end: ScanEnd) -> Iterator[tuple[int, bytes]]:
    """The valid records that lie past the damage a forced scan stopped at (`end`), in the
    damaged segment and every later one: what a forced open could not apply.  Each is found
    by its LSN-equals-offset frame check, so stale frames of a reused segment are not."""
    if end.segment is None:
        return
    start = next((i for i, s in enumerate(segments) if s.seq == end.segment.seq), None)
    if start is None:
        return
    for i, seg in enumerate(segments[start:]):
        with open(seg.path, "rb") as f:
            if os.fstat(f.fileno()).st_size <= SEGMENT_HEADER_SIZE:
                continue
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            first = seg.file_offset(end.lsn) + 1 if i == 0 else SEGMENT_HEADER_SIZE
            q = _next_valid_frame(mm, first, seg)
            while q is not None:
                lsn = seg.start_lsn + (q - SEGMENT_HEADER_SIZE)
                while True:
                    length, _ = check_frame(mm, q, lsn)
                    if length < 0:
                        break
                    yield lsn, mm[q + HEADER_SIZE : q + HEADER_SIZE + length]
                    q += HEADER_SIZE + length
                    lsn += HEADER_SIZE + length
                q = _next_valid_frame(mm, q + 1, seg)
        finally:
            mm.close()


def _max_synced_after(mm, start: int, seg: SegmentInfo) -> int | None:
    """The largest `synced` of the valid records after `start`: find one, then follow the
    chain of records behind it, and search again where the chain breaks."""
    best = None
    q = _next_valid_frame(mm, start, seg)
    while q is not None:
        lsn = seg.start_lsn + (q - SEGMENT_HEADER_SIZE)
        while True:
            length, _ = check_frame(mm, q, lsn)
            if length < 0:
                break
            synced = frame_synced(mm, q)
            best = synced if best is None else max(best, synced)
            q += HEADER_SIZE + length
            lsn += HEADER_SIZE + length
        q = _next_valid_frame(mm, q + 1, seg)
    return best


def _max_synced_along_headers(mm, off: int, lsn: int, seg: SegmentInfo) -> int | None:
    """Evidence from frames whose bodies are damaged too.  When the bad frame's header is
    intact (its LSN is its offset), follow the chain of headers behind it, by their lengths,
    as long as each header's LSN equals its offset -- eight bytes that stale data of a reused
    segment, zeros or a torn write do not reproduce.  Such a header whose `synced` lies past
    the bad frame (and not past itself) was written after the bad frame had been made
    durable: the damage is corruption of acknowledged data, even if no frame after it is
    whole.  Frames of the same, unacknowledged group carry a `synced` below the bad frame."""
    best = None
    end = len(mm)
    q, want = off, lsn
    first = True
    while q + HEADER_SIZE <= end:
        length, _crc, got, synced = HEADER.unpack_from(mm, q)
        if got != want or length == 0 or length > MAX_BODY:
            break
        if not first and lsn < synced <= got:
            best = synced if best is None else max(best, synced)
        first = False
        q += HEADER_SIZE + length
        want += HEADER_SIZE + length
    return best


def _first_record_synced(seg: SegmentInfo) -> int | None:
    with open(seg.path, "rb") as f:
        f.seek(SEGMENT_HEADER_SIZE)
        buf = f.read(HEADER_SIZE)
        if len(buf) < HEADER_SIZE:
            return None
        length = HEADER.unpack_from(buf, 0)[0]
        if length == 0 or length > MAX_BODY:
            return None
        f.seek(SEGMENT_HEADER_SIZE)
        buf = f.read(HEADER_SIZE + length)
    ok, _ = check_frame(buf, 0, seg.start_lsn)
    return frame_synced(buf, 0) if ok >= 0 else None
