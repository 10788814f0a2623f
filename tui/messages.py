"""Messages between the backend's threads, the app and the panes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from textual.message import Message

from tui.backend import BackendError, EngineEvent


class EngineEvents(Message):
    """A batch of engine events (at most ~20 batches a second)."""

    def __init__(self, events: list[EngineEvent]) -> None:
        super().__init__()
        self.events = events


class DatabaseOpened(Message):
    pass


class OpenFailed(Message):
    def __init__(self, error: BackendError) -> None:
        super().__init__()
        self.error = error


class SchemaChanged(Message):
    """A statement changed the schema (DDL) or the current database: panes refresh."""


class EventPump:
    """Collects events from any thread and posts them in batches, at most one post per
    `interval` seconds; a trailing batch is posted by a timer so nothing waits for the next
    event.  (Posting per event froze key handling for seconds in measurements.)"""

    def __init__(self, post: Callable[[list[EngineEvent]], None], interval: float = 0.05):
        self._post = post
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: list[EngineEvent] = []
        self._last = 0.0
        self._timer: threading.Timer | None = None
        self.posts = 0

    def __call__(self, event: EngineEvent) -> None:
        with self._lock:
            self._pending.append(event)
            wait = self._last + self.interval - time.monotonic()
            if wait > 0 or self._timer is not None:  # a pending timer posts this one too
                if self._timer is None:
                    self._timer = threading.Timer(wait, self.flush)
                    self._timer.daemon = True
                    self._timer.start()
                return
        self.flush()

    def flush(self) -> None:
        with self._lock:
            self._timer = None
            batch, self._pending = self._pending, []
            if not batch:
                return
            self._last = time.monotonic()
            self.posts += 1
        self._post(batch)
