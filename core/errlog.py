"""The error log file, `DIR/kintsugi.err`: what each open, recovery and close said, kept.

MySQL 8 writes its error log even when it cannot serve (a forced recovery, a refused open),
and a DBA reads it after the fact; the console's lines scroll away.  So every open of a
database appends the lines of its recovery and open events here, in MySQL 8's shape::

    2026-11-25T16:50:01.123456Z 0 [Note] [KintsugiDB] Database was not shutdown normally!

(UTC time with microseconds, thread id 0, level, subsystem, message.)  Only what concerns
recovery, opening and closing goes in: not a line per flush or per spilled transaction.

Writing the log must never make an open fail: an error (a read-only directory, a full disk)
disables it for the rest of the open and nothing else happens.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from typing import IO, Any

from core import events as ev
from core.events import Event, EventSink
from core.events.wording import ERROR, NOTE, WARNING, log_lines

FILE_NAME = "kintsugi.err"
# Events that happen during normal work, many times: not for the error log.
_NOT_LOGGED = (ev.FlushDone, ev.CheckpointDone, ev.TransactionSpilled)


def timestamp() -> str:
    """MySQL 8's log time: ISO 8601 in UTC with microseconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_line(level: str, text: str) -> str:
    return f"{timestamp()} 0 [{level}] [KintsugiDB] {text}"


class ErrorLog:
    """An append-only, line-buffered `kintsugi.err` in a database directory, and a sink
    wrapper that copies the relevant events into it before passing them on."""

    def __init__(self, directory: str):
        self.path = os.path.join(directory, FILE_NAME)
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
                         | os.O_NOFOLLOW, 0o600)
            self._file = os.fdopen(fd, "a", buffering=1, encoding="utf-8", errors="replace")
        except OSError:
            self._file = None

    def wrap(self, sink: EventSink) -> EventSink:
        """A sink that logs an event here, then hands it to `sink`."""

        def logged(event: Event) -> None:
            self.event(event)
            sink(event)

        return logged

    def event(self, event: Event) -> None:
        if self._file is None or isinstance(event, _NOT_LOGGED):
            return
        try:
            lines = log_lines(event)
        except Exception:  # noqa: BLE001 - a wording bug must not fail the open
            return
        for level, text in lines:
            self.write(level, text)

    def write(self, level: str, text: str) -> None:
        with self._lock:
            if self._file is None:
                return
            try:
                self._file.write(format_line(level, " ".join(text.split())) + "\n")
            except (OSError, ValueError):
                self._disable()

    def note(self, text: str) -> None:
        self.write(NOTE, text)

    def warning(self, text: str) -> None:
        self.write(WARNING, text)

    def error(self, exc: BaseException) -> None:
        """An open that failed: the error as the user sees it (`ERROR nnnn (...): ...`)."""
        if isinstance(exc, Exception) and hasattr(exc, "errno") and hasattr(exc, "msg"):
            text = str(exc)
        else:
            text = f"{type(exc).__name__}: {exc}"
        self.write(ERROR, text)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                try:
                    self._file.flush()
                    self._file.close()
                except (OSError, ValueError):
                    pass
                self._file = None

    def _disable(self) -> None:
        f, self._file = self._file, None
        try:
            if f is not None:
                f.close()
        except (OSError, ValueError):
            pass

    def __enter__(self) -> ErrorLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
