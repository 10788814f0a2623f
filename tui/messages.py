"""Messages between the backend's threads, the app and the panes."""

from __future__ import annotations

from textual.message import Message

from core.events import Event
from tui.backend.base import BackendError


class EngineEvents(Message):
    """A batch of the engine's events, as it emitted them (at most ~20 batches a second)."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events


class DatabaseReady(Message):
    """The database is open and the session usable."""


class OpenFailed(Message):
    def __init__(self, error: BackendError) -> None:
        super().__init__()
        self.error = error
