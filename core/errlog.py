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
import stat
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
        # why the log is not written ("" when it is): the open says it once, as a Warning
        self.problem = ""
        try:
            self._file = self._open()
        except OSError as exc:
            self.problem = (f"The error log {self.path} cannot be written "
                            f"({exc.strerror or exc}); the database opens without it")

    def _open(self) -> IO[str] | None:
        """Append to a regular file only.  O_NONBLOCK: a FIFO planted there must not hang
        the open; O_NOFOLLOW: a symbolic link is not followed.  Anything else found there
        (a link, a FIFO, a device, a directory) is left alone and reported."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            self.problem = (f"The error log {self.path} is not a regular file "
                            f"({_kind(st.st_mode)}); it is left alone and not written")
            return None
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
                     | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):  # swapped in between lstat and open
                self.problem = (f"The error log {self.path} is not a regular file "
                                f"({_kind(mode)}); it is left alone and not written")
                os.close(fd)
                return None
            os.set_blocking(fd, True)
            return os.fdopen(fd, "a", buffering=1, encoding="utf-8", errors="replace")
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass
            raise

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


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"
