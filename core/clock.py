"""The clock the engine takes: every time GC and the DDL history compare (a drop's time, the
GC safe point, the time left before a dropped table is collected) is read from it.

A test passes `connect(path, clock=ManualClock())` and moves time with `advance()` instead of
sleeping ten minutes for the GC life time to pass; everything else uses `SystemClock`.  A leaf
of the vocabulary, as errors and events: every layer may read the time through it.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """UNIX seconds."""
        ...


class SystemClock:
    """The wall clock (`time.time()`)."""

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told: starts at `start` (default: the wall clock at
    creation, so times it gives sort with those written by other processes), then keeps
    following the wall clock plus every `advance()`, unless `frozen` (then only `advance()`
    and `set()` move it)."""

    def __init__(self, start: float | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base = time.time() if start is None else float(start)
        self._wall0 = time.time()
        self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            if self._frozen:
                return self._base + self._offset
            return self._base + self._offset + (time.time() - self._wall0)

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds`; returns the new time."""
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def set(self, when: float) -> None:
        """Jump to `when` (UNIX seconds)."""
        with self._lock:
            self._base, self._offset, self._wall0 = float(when), 0.0, time.time()

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now():.3f})"


SYSTEM_CLOCK = SystemClock()
