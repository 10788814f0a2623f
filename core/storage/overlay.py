"""The overlay: committed writes that the flusher has not yet applied to the tablespaces.

It is a list of *generations*, oldest first.  Small transactions are merged into the one
mutable generation at the end of the list; a large transaction becomes a generation of its
own (its sorted write set, adopted without copying), and a transaction that spilled to disk
becomes a generation backed by its spill file.  All three answer the same two questions for
a reader at snapshot LSN `S`: what is the newest version of a key with commit LSN <= S, and
which keys lie in a range.  A value of `None` is a delete (a tombstone).

The flusher freezes the mutable generation, applies the oldest generation to the
tablespaces, then unlinks it from the list.  Snapshots hold their own reference to the list
they started with, so a flushed generation stays alive exactly as long as some snapshot that
may need it does: Python's reference counting does the bookkeeping.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Iterator

from sortedcontainers import SortedDict

MISSING = object()  # "this layer knows nothing of the key"
INFINITY = 1 << 63


class Layer:
    """What a reader needs from any source of versions above the tablespaces."""

    min_lsn: int  # commit LSN of its oldest version
    max_lsn: int  # commit LSN of its newest version
    first_lsn: int  # LSN of the first log record of its oldest transaction (for checkpoints)

    def get(self, space: int, key: bytes, lsn: int):
        """Newest value with commit LSN <= lsn; `None` for a delete; MISSING if unknown."""
        raise NotImplementedError

    def keys(self, space: int, lo: bytes, hi: bytes | None, reverse: bool) -> Iterator[bytes]:
        """Keys it holds in [lo, hi), in order (any version, even one newer than a reader)."""
        raise NotImplementedError

    def has_space(self, space: int) -> bool:
        raise NotImplementedError

    def spaces(self) -> list[int]:
        raise NotImplementedError

    def latest_items(self, space: int) -> Iterator[tuple[bytes, bytes | None]]:
        """Every key's newest value, in key order: what the flusher writes."""
        raise NotImplementedError

    @property
    def entries(self) -> int:
        raise NotImplementedError

    def space_entries(self, space: int) -> int:
        """How many keys this layer holds for `space` (writes and deletes alike); layers
        that cannot count one space cheaply answer all their keys, an upper bound."""
        return self.entries if self.has_space(space) else 0

    def approx_bytes(self, space: int) -> int:
        """About how many bytes of keys and values this layer holds for `space`."""
        return sum(len(k) + (len(v) if v is not None else 0)
                   for k, v in self.latest_items(space))

    def stamp(self, commit_lsn: int, first_lsn: int) -> None:
        """A generation holding one whole transaction learns its LSNs when it is published
        (only those layers implement it: the merged mutable generation never needs it)."""
        raise NotImplementedError


class MutableGeneration(Layer):
    """Where small commits accumulate: per space, key -> list of (commit_lsn, value)."""

    def __init__(self) -> None:
        self._spaces: dict[int, SortedDict] = {}
        self.min_lsn = INFINITY
        self.max_lsn = 0
        self.first_lsn = INFINITY
        self._entries = 0
        self._lock = threading.Lock()  # readers copy key ranges while commits insert

    def add(
        self, writes: dict[int, dict[bytes, bytes | None]], commit_lsn: int, first_lsn: int
    ) -> None:
        with self._lock:
            for space, items in writes.items():
                sd = self._spaces.get(space)
                if sd is None:
                    sd = self._spaces[space] = SortedDict()
                for key, value in items.items():
                    versions = sd.get(key)
                    if versions is None:
                        sd[key] = [(commit_lsn, value)]
                    else:
                        versions.append((commit_lsn, value))
                self._entries += len(items)
        self.min_lsn = min(self.min_lsn, commit_lsn)
        self.max_lsn = max(self.max_lsn, commit_lsn)
        self.first_lsn = min(self.first_lsn, first_lsn)

    def get(self, space, key, lsn):
        sd = self._spaces.get(space)
        if sd is None:
            return MISSING
        versions = sd.get(key)
        if versions is None:
            return MISSING
        for v_lsn, value in reversed(versions):
            if v_lsn <= lsn:
                return value
        return MISSING

    def keys(self, space, lo, hi, reverse):
        sd = self._spaces.get(space)
        if sd is None:
            return iter(())
        with self._lock:
            return iter(list(sd.irange(lo, hi, inclusive=(True, False), reverse=reverse)))

    def has_space(self, space):
        return space in self._spaces

    def spaces(self):
        return list(self._spaces)

    def space_entries(self, space):
        sd = self._spaces.get(space)
        return 0 if sd is None else len(sd)

    def latest_items(self, space):
        sd = self._spaces.get(space)
        if sd is None:
            return iter(())
        return ((k, v[-1][1]) for k, v in sd.items())

    @property
    def entries(self):
        return self._entries


class SortedGeneration(Layer):
    """One large transaction's write set, sorted once, all versions at one commit LSN."""

    def __init__(self, writes: dict[int, dict[bytes, bytes | None]]):
        self._spaces: dict[int, tuple[list[bytes], list]] = {}
        n = 0
        for space, items in writes.items():
            keys = sorted(items)
            self._spaces[space] = (keys, [items[k] for k in keys])
            n += len(keys)
        self._entries = n
        self.min_lsn = self.max_lsn = INFINITY
        self.first_lsn = INFINITY

    def stamp(self, commit_lsn: int, first_lsn: int) -> None:
        self.min_lsn = self.max_lsn = commit_lsn
        self.first_lsn = first_lsn

    def get(self, space, key, lsn):
        if self.max_lsn > lsn:
            return MISSING
        kv = self._spaces.get(space)
        if kv is None:
            return MISSING
        keys = kv[0]
        i = bisect.bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            return kv[1][i]
        return MISSING

    def keys(self, space, lo, hi, reverse):
        kv = self._spaces.get(space)
        if kv is None:
            return iter(())
        keys = kv[0]
        i = bisect.bisect_left(keys, lo)
        j = len(keys) if hi is None else bisect.bisect_left(keys, hi)
        if reverse:
            return (keys[x] for x in range(j - 1, i - 1, -1))
        return itertools.islice(keys, i, j)

    def has_space(self, space):
        return space in self._spaces

    def spaces(self):
        return list(self._spaces)

    def space_entries(self, space):
        kv = self._spaces.get(space)
        return 0 if kv is None else len(kv[0])

    def latest_items(self, space):
        kv = self._spaces.get(space)
        if kv is None:
            return iter(())
        return zip(kv[0], kv[1], strict=True)

    @property
    def entries(self):
        return self._entries
