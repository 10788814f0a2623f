"""Snapshots: a consistent view of committed data at one LSN.

A snapshot is made of layers (overlay generations, newest first, filtered by commit LSN)
over a read transaction on every tablespace, all taken at the same moment under the engine's
state lock.  Taking a tablespace's read transaction later would be a trap: the flusher may
have moved the file past the snapshot's LSN by then, and LMDB keeps no older version.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from core.errors import EngineClosedError
from core.storage.overlay import MISSING, Layer
from core.storage.tablespace import Tablespace


class Snapshot:
    def __init__(self, lsn: int, layers: list[Layer], spaces: dict[int, Tablespace]):
        self.lsn = lsn
        self.layers = layers  # newest first; a transaction may put its own writes in front
        self._spaces = spaces
        self._txns = {}
        try:
            for sid, ts in spaces.items():
                self._txns[sid] = ts.begin_read()
        except BaseException:
            self.close()
            raise
        self.closed = False

    # -- point reads -------------------------------------------------------------------------

    def get(self, space: int, key: bytes) -> bytes | None:
        for layer in self.layers:
            value = layer.get(space, key, self.lsn)
            if value is not MISSING:
                return value
        txn = self._txns.get(space)
        if txn is None:
            if self.closed:
                raise EngineClosedError("snapshot is closed")
            return None
        return txn.get(key)

    def has_space(self, space: int) -> bool:
        return space in self._txns or any(layer.has_space(space) for layer in self.layers)

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
        txn = self._txns.get(space)
        if txn is None:
            return iter(())
        cur = txn.cursor()
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

    def close(self) -> None:
        txns, self._txns = self._txns, {}
        for sid, txn in txns.items():
            self._spaces[sid].end_read(txn)
        self.layers = []
        self.closed = True

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_txns", None):
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
