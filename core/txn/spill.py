"""Spill files: where a large transaction keeps its row images once they outgrow memory.

A private LMDB environment `#spill/trx-<id>.kdb`, written without fsync (the redo log, not
this file, makes a commit durable; after a crash spill files are just deleted).  Keys are
`space (u32 big-endian) + key`, so one file serves every tablespace in key order; values
are `b"\\x01" + value`, or `b"\\x00"` for a delete.  Keys past LMDB's limit are stored
as `core.storage.longkeys` says, as in a tablespace.  After COMMIT the same file serves as the
transaction's overlay generation until the flusher has applied it.
"""

from __future__ import annotations

import os
import struct
import weakref
from collections.abc import Iterator

import lmdb

from core.storage import longkeys
from core.storage.overlay import INFINITY, MISSING, Layer

_SPACE = struct.Struct(">I")
_PUT = b"\x01"
_DEL = b"\x00"
SPILL_MAP_SIZE = 1 << 38  # address space only; the file grows as it is written


class SpillFile(Layer):
    def __init__(self, path: str):
        self.path = path
        self.env = lmdb.open(
            path,
            subdir=False,
            map_size=SPILL_MAP_SIZE,
            sync=False,
            metasync=False,
            lock=True,
            mode=0o600,
            max_readers=512,
            readahead=False,
        )
        self._spaces: set[int] = set()
        self._entries = 0
        self._long = False  # holds a key stored by core.storage.longkeys
        self.min_lsn = self.max_lsn = INFINITY
        self.first_lsn = INFINITY
        self._finalizer = weakref.finalize(self, _remove, self.env, path)

    # -- writing (by the owning transaction only) ----------------------------------------------

    def write(self, writes: dict[int, dict[bytes, bytes | None]]) -> int:
        items = []
        for space, ops in writes.items():
            prefix = _SPACE.pack(space)
            self._spaces.add(space)
            items.extend(
                (prefix + k, _DEL if v is None else _PUT + v) for k, v in ops.items()
            )
        if any(len(k) > longkeys.MAX_INLINE for k, _v in items):
            self._long = True
            items = [(longkeys.stored_key(k), longkeys.pack(k, v)) if len(k) > longkeys.MAX_INLINE
                     else (k, v) for k, v in items]
        items.sort()
        with self.env.begin(write=True) as txn:
            added = txn.cursor().putmulti(items, overwrite=True)[1]
        self._entries += added
        return len(items)

    def stamp(self, commit_lsn: int, first_lsn: int) -> None:
        self.min_lsn = self.max_lsn = commit_lsn
        self.first_lsn = first_lsn

    # -- Layer -------------------------------------------------------------------------------

    def get(self, space, key, lsn):
        if self.max_lsn > lsn or space not in self._spaces:
            return MISSING
        with self.env.begin() as txn:
            raw = longkeys.get(txn, _SPACE.pack(space) + key)
        if raw is None:
            return MISSING
        return None if raw == _DEL else raw[1:]

    def keys(self, space, lo, hi, reverse):
        return (k for k, _v in self._items(space, lo, hi, reverse))

    def _items(self, space, lo=b"", hi=None, reverse=False) -> Iterator[tuple[bytes, bytes | None]]:
        if space not in self._spaces:
            return
        prefix = _SPACE.pack(space)
        start = prefix + lo
        end = prefix + hi if hi is not None else _SPACE.pack(space + 1)
        n = len(prefix)
        with self.env.begin() as txn:
            cur = txn.cursor()
            if self._long:
                for k, v in longkeys.scan(cur, start, end, reverse):
                    yield k[n:], (None if v == _DEL else v[1:])
                return
            if not reverse:
                if not cur.set_range(start):
                    return
                for k, v in cur.iternext():
                    if k >= end:
                        return
                    yield k[n:], (None if v == _DEL else v[1:])
            else:
                ok = cur.prev() if cur.set_range(end) else cur.last()
                if not ok:
                    return
                for k, v in cur.iterprev():
                    if k < start:
                        return
                    yield k[n:], (None if v == _DEL else v[1:])

    def has_space(self, space):
        return space in self._spaces

    def spaces(self):
        return sorted(self._spaces)

    def latest_items(self, space):
        return self._items(space)

    @property
    def entries(self):
        return self._entries

    def approx_bytes(self, space: int) -> int:
        return os.path.getsize(self.path)  # all spaces together: an upper bound

    def discard(self) -> None:
        self._finalizer()


def _remove(env: lmdb.Environment, path: str) -> None:
    env.close()
    for p in (path, path + "-lock"):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
