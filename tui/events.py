"""The engine's events on the console's side: the one buffer that carries them from the
engine's threads to the app, and what the open of the database did, as they tell it.

Events stay the engine's own objects (`core.events`) all the way to the panes, which `match`
on their classes; nothing here puts them in words (`core.events.wording` does, for the
console and `kintsugi recover` alike).  This module imports no Textual: the command line
starts opening the database, events flowing into a pump, before the screens are imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.events import (
    DatabaseOpened,
    Event,
    RecoveryFinished,
    RecoveryStarted,
    RedoSkipped,
    TransactionDiscarded,
)


class EventPump:
    """Collects events from any thread and posts them in batches, at most one post per
    `interval` seconds; a trailing batch is posted by a timer so nothing waits for the next
    event.  (Posting per event froze key handling for seconds in measurements.)  Ten posts
    a second: each one lays the Recovery tab out again (~5 ms of CPU), and at twenty a
    second that work was 8% of a core beside a long recovery.

    Until `attach` gives it somewhere to post, it keeps what arrives: recovery starts
    before the app exists, and its first lines must not be lost."""

    def __init__(self, post: Callable[[list[Event]], None] | None = None,
                 interval: float = 0.1):
        self._post = post
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: list[Event] = []
        self._last = 0.0
        self._timer: threading.Timer | None = None
        self.posts = 0

    def attach(self, post: Callable[[list[Event]], None]) -> None:
        """Post from now on to `post`, starting with whatever waited."""
        with self._lock:
            self._post = post
        self.flush()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._pending.append(event)
            if self._post is None:
                return  # kept for attach()
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
            post = self._post
            if post is None:
                return
            batch, self._pending = self._pending, []
            if not batch:
                return
            self._last = time.monotonic()
            self.posts += 1
        post(batch)


@dataclass
class OpenState:
    """What opening the database did, kept once for the title line and the Recovery tab.

    `recovered` is None until the events say (a backend without recovery events never
    does); `clean` is what the engine said about the last shutdown."""

    recovered: bool | None = None
    clean: bool | None = None
    applied: int = 0  # row operations re-applied from the redo log
    discarded: int = 0  # open transactions rolled back
    forced: int = 0  # the --force-recovery level the engine reported (0: a normal open)
    skipped_commits: int = 0  # committed transactions a forced open could not apply

    def note(self, event: Event) -> None:
        match event:
            case RecoveryStarted(force_recovery=level):
                self.recovered = True
                self.forced = max(self.forced, level)
            case RedoSkipped(force_recovery=level):
                self.forced = max(self.forced, level)
            case TransactionDiscarded():
                self.discarded += 1
            case RecoveryFinished(applied_records=applied, skipped_commits=skipped):
                self.applied = applied
                self.skipped_commits = skipped
            case DatabaseOpened(clean=clean):
                self.clean = clean
                self.forced = max(self.forced, getattr(event, "force_recovery", 0))
                if clean and not self.recovered:
                    self.recovered = False
