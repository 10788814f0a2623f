"""The command line's progress line: one line on stderr, rewritten in place.

`kintsugi check`, `backup`, `binlog` and `restore` draw their progress the same way (at most
ten redraws a second, the last one always drawn, the line cleared before the summary), so
the drawing lives here and each command only says what the line reads.
"""

from __future__ import annotations

import sys
import time

REDRAW = 0.1  # seconds between two redraws


class StderrLine:
    """A progress line; subclasses turn their events into `show(text)` calls."""

    def __init__(self) -> None:
        self.shown = False
        self.last = 0.0

    def due(self, done: int = 0, total: int = 1) -> bool:
        """Whether to redraw now: a tenth of a second since the last time, or finished."""
        now = time.monotonic()
        if now - self.last < REDRAW and done < total:
            return False
        self.last = now
        return True

    def show(self, text: str) -> None:
        sys.stderr.write("\r" + text + "\x1b[K")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def bar(done: int, total: int, width: int = 30, fill: str = "#", empty: str = ".") -> str:
    """`[####......]` for `done` of `total`."""
    filled = min(width, done * width // max(total, 1))
    return f"[{fill * filled}{empty * (width - filled)}]"
