"""The redo-log writer: appends, segment switches, group commit, recycling.

`append()` frames bodies into an in-memory buffer and returns their LSNs at once; it is
called with the engine's writer lock held, so log order is commit order.  `sync(lsn)` makes
the log durable up to `lsn`.  The first caller to reach `sync` becomes the leader: it takes
everything appended so far, writes it and issues one fdatasync, while later callers sleep on
a condition and find, when woken, that their records were already made durable.  That is
group commit: N threads committing together cost about one fdatasync, not N.

Segments are reused: a segment the checkpoint no longer needs becomes the *spare*, and the
next switch renames it into place and rewrites its header, so a switch costs a rename and
two fsyncs instead of writing 64 MiB of zeros under the log's lock.  (Its old records stay;
their LSNs do not match their new offsets, so no scan mistakes them for new ones.)  When
there is no spare, the flusher prepares a zero-filled one in the background.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from core.crashpoints import crash_point
from core.log.record import HEADER_SIZE, frame
from core.log.segment import (
    SEGMENT_HEADER_SIZE,
    SPARE_NAME,
    SegmentInfo,
    adopt_spare,
    create_segment,
    fsync_dir,
    make_spare,
)


class RedoLog:
    def __init__(
        self,
        redo_dir: str,
        uuid: bytes,
        segments: list[SegmentInfo],
        end_lsn: int,
        segment_size: int,
        torn: bool = True,
    ):
        """Open for appending at `end_lsn`, which must lie in the last of `segments`.

        If the log ended in a torn record (`torn`), whatever the last segment holds past
        `end_lsn` is zeroed first, so a half-written record of ours can never line up with a
        future offset and be mistaken for a new one.
        """
        self.redo_dir = redo_dir
        self.uuid = uuid
        self.segment_size = segment_size
        self.segments = segments
        self._lock = threading.Lock()  # buffer, current segment, LSN counter
        self._cond = threading.Condition(threading.Lock())  # leader election, waiter wake-up
        self._syncing = False
        self._chunks: list[tuple[SegmentInfo, int, bytearray]] = []  # (segment, file offset, data)
        self._current = segments[-1]
        self._fds: dict[int, int] = {}
        self.end_lsn = end_lsn  # next LSN to hand out
        self.durable_lsn = end_lsn
        self.syncs = 0  # fdatasync calls, for tests and benchmarks
        self.spare_path = os.path.join(redo_dir, SPARE_NAME)
        # called with the new segment number after each switch (the engine writes it into
        # the control file: a deleted newest segment is then seen as damage at the next open)
        self.on_switch: Callable[[int], None] | None = None
        if torn:
            self._zero_tail(self._current, end_lsn)

    # -- files --------------------------------------------------------------------------------

    def _fd(self, seg: SegmentInfo) -> int:
        fd = self._fds.get(seg.seq)
        if fd is None:
            fd = os.open(seg.path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
            self._fds[seg.seq] = fd
        return fd

    def _zero_tail(self, seg: SegmentInfo, lsn: int) -> None:
        """Zero the segment from `lsn` on, and give a truncated one (the log was ended at
        damage there) back its full preallocated size, so no later open takes it for
        damage again."""
        off = seg.file_offset(lsn)
        size = max(seg.size, self.segment_size)
        if off >= size:
            return
        fd = self._fd(seg)
        step = 1 << 20
        zeros = bytes(step)
        pos = off
        while pos < size:
            n = min(step, size - pos)
            os.pwrite(fd, zeros[:n], pos)
            pos += n
        os.fsync(fd)
        seg.size = size

    # -- appending -----------------------------------------------------------------------------

    def append(self, bodies: list[bytes]) -> tuple[int, int]:
        """Frame `bodies` into the buffer; return (lsn of the first, end lsn after the last)."""
        with self._lock:
            first = self.end_lsn
            for body in bodies:
                need = HEADER_SIZE + len(body)
                seg = self._current
                if seg.file_offset(self.end_lsn) + need > seg.size:
                    seg = self._switch(need)  # LSNs stay contiguous across the switch
                data = frame(self.end_lsn, body, self.durable_lsn)
                off = seg.file_offset(self.end_lsn)
                if self._chunks and self._chunks[-1][0] is seg:
                    self._chunks[-1][2].extend(data)
                else:
                    self._chunks.append((seg, off, bytearray(data)))
                self.end_lsn += need
            return first, self.end_lsn

    def _switch(self, need: int) -> SegmentInfo:
        """Start the next segment at the current end LSN (called with `_lock` held)."""
        size = max(self.segment_size, SEGMENT_HEADER_SIZE + need)
        seq = self._current.seq + 1
        if os.path.exists(self.spare_path) and os.path.getsize(self.spare_path) >= size:
            seg = adopt_spare(self.spare_path, self.redo_dir, seq, self.end_lsn, self.uuid)
        else:
            seg = create_segment(self.redo_dir, seq, self.end_lsn, self.uuid, size)
        self.segments.append(seg)
        self._current = seg
        if self.on_switch is not None:
            self.on_switch(seq)
        return seg

    def prepare_spare(self) -> bool:
        """Make sure a spare segment is ready for the next switch (the flusher calls this,
        outside every lock).  Returns True if it had to write one."""
        if os.path.exists(self.spare_path):
            return False
        make_spare(self.spare_path, self.segment_size)
        return True

    # -- durability ----------------------------------------------------------------------------

    def sync(self, lsn: int | None = None) -> int:
        """Make the log durable up to `lsn` (default: everything appended).  Group commit:
        the first waiter becomes the leader and writes everything appended so far with one
        fdatasync; the others sleep on a condition and are all woken when it is done, then
        return at once if the leader's write covered them."""
        if lsn is None:
            lsn = self.end_lsn
        if self.durable_lsn >= lsn:
            return self.durable_lsn
        with self._cond:
            while True:
                if self.durable_lsn >= lsn:
                    return self.durable_lsn
                if not self._syncing:
                    self._syncing = True
                    break
                self._cond.wait()
        target = self.durable_lsn
        ok = False
        try:
            with self._lock:
                chunks, self._chunks = self._chunks, []
                target = self.end_lsn
            touched: dict[int, int] = {}
            for seg, off, data in chunks:
                fd = self._fd(seg)
                view = memoryview(data)
                while view:  # pwrite may write less than asked (a signal, a full disk)
                    n = os.pwrite(fd, view, off)
                    view, off = view[n:], off + n
                touched[seg.seq] = fd
            crash_point("log.after_write")
            for fd in touched.values():
                os.fdatasync(fd)
            self.syncs += 1
            crash_point("log.after_sync")
            ok = True
        except BaseException:
            with self._lock:  # put the unwritten data back for the next leader
                self._chunks[:0] = chunks
            raise
        finally:
            with self._cond:
                if ok and target > self.durable_lsn:
                    self.durable_lsn = target
                self._syncing = False
                self._cond.notify_all()
        return target

    # -- recycling ---------------------------------------------------------------------------

    def recycle_below(self, checkpoint_lsn: int) -> list[int]:
        """Remove the segments whose records all lie below `checkpoint_lsn`."""
        removed: list[int] = []
        with self._lock:
            while len(self.segments) > 1 and self.segments[1].start_lsn <= checkpoint_lsn:
                old = self.segments.pop(0)
                fd = self._fds.pop(old.seq, None)
                if fd is not None:
                    os.close(fd)
                removed.append(old.seq)
                if old.size == self.segment_size and not os.path.exists(self.spare_path):
                    os.rename(old.path, self.spare_path)  # reused by the next switch
                else:
                    os.unlink(old.path)
            if removed:
                fsync_dir(self.redo_dir)
        return removed

    def close(self) -> None:
        self.sync()
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()
