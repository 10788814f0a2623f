"""Snapshots: a consistent view of committed data at one LSN.

A snapshot is made of layers (overlay generations, newest first, filtered by commit LSN)
over a read transaction on every tablespace, all taken at the same moment under the engine's
state lock.  Taking a tablespace's read transaction later would be a trap: the flusher may
have moved the file past the snapshot's LSN by then, and LMDB keeps no older version.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterator

from core.errors import EngineClosedError
from core.storage import longkeys
from core.storage.overlay import MISSING, Layer
from core.storage.tablespace import Tablespace


class Snapshot:
    """Read transactions are opened lazily, per tablespace, at first use: a statement that
    touches two tables of a thousand pays for two.  That is safe because the flusher, before
    it applies a generation newer than this snapshot to a tablespace, *pins* the snapshot on
    that tablespace (opens its read transaction first, under the tablespace's apply lock), so
    a late first read still sees the file as it was when the snapshot was taken."""

    def __init__(self, lsn: int, layers: list[Layer], spaces: dict[int, Tablespace],
                 epoch: int = 0):
        self.lsn = lsn
        self.layers = layers  # newest first; a transaction may put its own writes in front
        self.epoch = epoch  # the flush epoch when taken: later flushes must pin us first
        self._spaces = spaces
        self._txns: dict = {}
        self._lock = threading.Lock()
        self.closed = False

    def _txn(self, space: int):
        txn = self._txns.get(space)
        if txn is not None:
            return txn
        ts = self._spaces.get(space)
        if ts is None:
            if self.closed:
                raise EngineClosedError("snapshot is closed")
            return None
        with ts.apply_lock:
            return self._open(space, ts)

    def _open(self, space: int, ts: Tablespace):
        with self._lock:
            if self.closed:
                raise EngineClosedError("snapshot is closed")
            txn = self._txns.get(space)
            if txn is None:
                txn = self._txns[space] = ts.begin_read()
            return txn

    def pin(self, space: int, epoch: int) -> None:
        """Called by the flusher (holding the tablespace's apply lock) before it applies a
        generation of flush epoch `epoch` to `space`."""
        if self.epoch < epoch and space in self._spaces and space not in self._txns:
            try:
                self._open(space, self._spaces[space])
            except EngineClosedError:
                pass

    # -- point reads -------------------------------------------------------------------------

    def get(self, space: int, key: bytes) -> bytes | None:
        for layer in self.layers:
            value = layer.get(space, key, self.lsn)
            if value is not MISSING:
                return value
        txn = self._txns.get(space) or self._txn(space)
        if txn is None:
            return None
        if len(key) > longkeys.MAX_INLINE:
            return longkeys.get(txn, key)
        return txn.get(key)

    def has_space(self, space: int) -> bool:
        return space in self._spaces or any(layer.has_space(space) for layer in self.layers)

    # -- range reads -------------------------------------------------------------------------

    def scan(
        self, space: int, lo: bytes = b"", hi: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """Live (key, value) pairs with lo <= key < hi, in key order (or reversed)."""
        base = self._base_iter(space, lo, hi, reverse)
        layers = [layer for layer in self.layers if layer.has_space(space)]
        if not layers:
            return base
        return _merge(base, self._overlay_iter(space, layers, lo, hi, reverse), reverse)

    def _base_iter(self, space, lo, hi, reverse) -> Iterator[tuple[bytes, bytes]]:
        txn = self._txn(space)
        if txn is None:
            return iter(())
        cur = txn.cursor()
        if self._spaces[space].long_keys:  # read after the txn opened: see Tablespace
            return longkeys.scan(cur, lo, hi, reverse)
        if not reverse:
            if not cur.set_range(lo):
                return iter(())
            if hi is None or not txn.cursor().set_range(hi):
                return cur.iternext()  # nothing at or past hi: no per-key bound check needed
            return _until(cur.iternext(), hi)
        if hi is None:
            ok = cur.last()
        elif cur.set_range(hi):
            ok = cur.prev()
        else:
            ok = cur.last()
        if not ok:
            return iter(())
        return _down_to(cur.iterprev(), lo)

    def _overlay_iter(self, space, layers, lo, hi, reverse):
        """(key, value-or-None) for every overlay key in range that this snapshot can see."""
        streams = [layer.keys(space, lo, hi, reverse) for layer in layers]
        keys = streams[0] if len(streams) == 1 else heapq.merge(*streams, reverse=reverse)
        last = None
        lsn = self.lsn
        for key in keys:
            if key == last:
                continue
            last = key
            for layer in layers:
                value = layer.get(space, key, lsn)
                if value is not MISSING:
                    yield key, value
                    break

    def values(self, space: int, lo: bytes = b"", hi: bytes | None = None
               ) -> Iterator[bytes] | None:
        """Values only, of the keys in [lo, hi), when no overlay layer holds the space (the
        common case after a flush); None otherwise (use `scan`).  Full scans that do not
        need keys (aggregates) use it to skip building a tuple per row."""
        if any(layer.has_space(space) for layer in self.layers):
            return None
        txn = self._txn(space)
        if txn is None:
            return iter(())
        if self._spaces[space].long_keys:
            return None  # stored values of long keys carry the key's rest
        cur = txn.cursor()
        if not cur.set_range(lo):
            return iter(())
        if hi is not None and txn.cursor().set_range(hi):
            return (v for _k, v in _until(cur.iternext(), hi))
        return cur.iternext(keys=False)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            txns, self._txns = self._txns, {}
        for sid, txn in txns.items():
            self._spaces[sid].end_read(txn)
        self.layers = []

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "closed", True):
            try:
                self.close()
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass


def _until(it, hi):
    for kv in it:
        if kv[0] >= hi:
            return
        yield kv


def _down_to(it, lo):
    for kv in it:
        if kv[0] < lo:
            return
        yield kv


def _merge(base, overlay, reverse: bool):
    """Merge the tablespace stream with the overlay stream; the overlay wins on equal keys and
    its `None` values (deletes) hide the key."""
    b = next(base, None)
    o = next(overlay, None)
    while b is not None and o is not None:
        bk, ok = b[0], o[0]
        if bk == ok:
            if o[1] is not None:
                yield o
            b = next(base, None)
            o = next(overlay, None)
        elif (bk < ok) != reverse:
            yield b
            b = next(base, None)
        else:
            if o[1] is not None:
                yield o
            o = next(overlay, None)
    while b is not None:
        yield b
        b = next(base, None)
    while o is not None:
        if o[1] is not None:
            yield o
        o = next(overlay, None)
