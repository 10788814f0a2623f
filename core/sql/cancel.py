"""Cancelling a running statement from another thread, without races.

Each statement gets a `CancelToken`.  `cancel()` from any thread and the statement's own
`finish()` race for the token under one lock: whichever comes first wins.  A statement that
finished first has succeeded and the cancel is refused; a cancelled statement raises ERROR
1317 at its next check and rolls back (its savepoint, or its autocommit transaction), so a
cancelled statement never also reports success, and a write is never half done.  Read paths
check the token every few hundred rows through `CancellableView`; the INSERT loop checks it
per row; autocommit statements call `finish()` before they commit.

A token may also carry a deadline (max_execution_time, or the MAX_EXECUTION_TIME(n) hint of a
SELECT): the same checks then compare the clock once per block and fail with ERROR 3024,
through the same cancelled state, so a timed-out statement also leaves nothing behind.
"""

from __future__ import annotations

import threading
import time
from itertools import chain, islice

from core.errors import OperationalError

CHECK_EVERY = 256


class QueryInterrupted(OperationalError):
    errno = 1317
    sqlstate = "70100"

    def __init__(self, message: str = "Query execution was interrupted"):
        super().__init__(message)


class CancelToken:
    __slots__ = ("_lock", "deadline", "state", "timed_out")

    def __init__(self, deadline: float | None = None) -> None:
        self._lock = threading.Lock()
        self.state = "running"  # -> "cancelled" | "finished"
        self.deadline = deadline  # time.monotonic() past which the statement times out
        self.timed_out = False

    def _error(self) -> OperationalError:
        if self.timed_out:
            from core.sql.limits import QueryTimeoutError

            return QueryTimeoutError()
        return QueryInterrupted()

    def _expire(self) -> None:
        """The deadline passed: cancel with the 3024 reason (unless already settled)."""
        with self._lock:
            if self.state == "running":
                self.state = "cancelled"
                self.timed_out = True
        if self.state == "cancelled":
            raise self._error()

    def cancel(self) -> bool:
        """Ask the statement to stop; False if it had already finished."""
        with self._lock:
            if self.state == "running":
                self.state = "cancelled"
            return self.state == "cancelled"

    def finish(self) -> None:
        """The statement is about to report success: from here on it cannot be cancelled.
        Raises QueryInterrupted if a cancel came first."""
        with self._lock:
            if self.state == "cancelled":
                raise self._error()
            self.state = "finished"

    def settle(self) -> None:
        """The call that owned this token is over (it failed, or ran nothing that finished
        it): a later cancel() has nothing to stop and must say so."""
        with self._lock:
            if self.state == "running":
                self.state = "finished"

    def check(self) -> None:
        if self.state == "cancelled":
            raise self._error()
        deadline = self.deadline
        if deadline is not None and time.monotonic() > deadline:
            self._expire()


class CancellableView:
    """A read view whose scans and gets stop with ERROR 1317 once the token is cancelled."""

    def __init__(self, view, token: CancelToken):
        self._view = view
        self._token = token
        self.lsn = view.lsn

    def __getattr__(self, name):
        return getattr(self._view, name)

    def get(self, space: int, key: bytes):
        self._token.check()
        return self._view.get(space, key)

    def scan(self, *args, **kwargs):
        return self._checked(self._view.scan(*args, **kwargs))

    def values(self, *args, **kwargs):
        it = self._view.values(*args, **kwargs)
        return None if it is None else self._checked(it)

    def _checked(self, it):
        """`it`, checking the token once per block of rows: the blocks are cut with islice
        and re-flattened with chain, so a row costs no extra Python frame."""
        token = self._token

        def blocks():
            while True:
                block = list(islice(it, CHECK_EVERY))
                if not block:
                    return
                token.check()
                yield block

        return chain.from_iterable(blocks())
