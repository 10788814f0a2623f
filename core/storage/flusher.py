"""The flusher and the checkpoint: from the overlay to the tablespaces, and the log let go.

A background thread (or a caller of `flush()`) freezes the mutable generation, applies each
generation to its tablespaces in large LMDB transactions together with their new
`applied_lsn`, unlinks it from the overlay, and checkpoints: the control file records the
oldest LSN something still needs, and the log segments below it are recycled.

Write-ahead is kept by syncing the log up to a generation's newest commit before applying
it; snapshot isolation by *pinning* every live snapshot on a tablespace (opening its read
transaction, under the tablespace's apply lock) before a newer generation lands there.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from core.crashpoints import crash_point
from core.errors import OperationalError
from core.events import CheckpointDone, Event, FlushDone
from core.log.redo import RedoLog
from core.storage.overlay import Layer, MutableGeneration
from core.storage.snapshot import Snapshot
from core.storage.tablespace import GrowthDeferred, Tablespace

# Items per LMDB write transaction when a generation is applied to one tablespace.
APPLY_CHUNK = 200_000


class Flusher:
    """The engine's flush and checkpoint (a mixin of `Engine`; `Lifecycle` starts the thread
    and owns `_write_control`)."""

    sink: Callable[[Event], None]
    flush_interval: float
    checkpoint_lsn: int
    flusher_error: BaseException | None
    spaces: dict[int, Tablespace]
    log: RedoLog
    _state: threading.Lock
    _flush_lock: threading.Lock  # one flush/checkpoint at a time
    _stop: threading.Event
    _wake: threading.Event
    _active: MutableGeneration
    _gens: list[Layer]
    _open_first_lsn: int | None
    _snapshots: weakref.WeakSet[Snapshot]
    _flush_epoch: int
    binlog: Any  # core.log.binlog.BinlogWriter | None

    def _flusher_loop(self) -> None:
        """The background thread: flush every `flush_interval` or when woken.  A failure
        stops it and is kept in `flusher_error`, which refuses the next write."""
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
                pending = self._gens[:-1]
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
                    if len(chunk) >= APPLY_CHUNK:
                        n += ts.apply(chunk, None)  # applied_lsn advances with the last chunk
                        chunk = []
                n += ts.apply(chunk, gen.max_lsn)
            crash_point("flush.mid_apply")
        crash_point("flush.after_apply")
        self.sink(FlushDone(gen.max_lsn, n, len(spaces), time.perf_counter() - t0))
        return n

    def _checkpoint(self) -> None:
        """Record the oldest LSN still needed (an unflushed generation's first record, an
        open spilled transaction's, or the log's end) and recycle the segments below it."""
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
        if self.binlog is not None:  # the redo below ckpt goes: the binlog must have it all
            self.binlog.sync_through(ckpt)
        crash_point("checkpoint.before_control")
        self._write_control(ckpt, clean=False)
        crash_point("checkpoint.after_control")
        removed = self.log.recycle_below(ckpt)
        self.sink(CheckpointDone(ckpt, tuple(removed)))
