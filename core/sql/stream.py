"""A query's rows pulled from the running plan, for unbuffered cursors.

`Cursor.execute` of a buffered cursor collects every row before it returns; a console showing
the first page of a 10M-row result cannot wait for that, nor hold it.  A `RowStream` keeps
the plan's row iterator and the read view it runs on, and hands out rows as they are asked
for (PyMySQL's SSCursor).  The statement's cancel token stays live until the last row: a
`Connection.cancel()` from another thread stops the plan inside its scans (ERROR 1317), and a
cancel between two fetches fails the next one.  The view is released when the rows run out,
on an error, or when the stream is discarded (a new statement on the session, COMMIT,
ROLLBACK, closing the cursor): a half-read result never pins a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from core.errors import ProgrammingError
from core.sql.cancel import CancelToken


class RowStream:
    __slots__ = ("_close", "_rows", "count", "discarded", "done", "error", "names", "origins",
                 "token")

    def __init__(self, names: list[str], origins: list[Any], rows: Iterator[list],
                 close: Callable[[], None] | None, token: CancelToken):
        self.names = names
        self.origins = origins
        self._rows = rows
        self._close = close
        self.token = token
        self.count = 0  # rows handed out so far
        self.done = False
        self.discarded = False  # dropped before its end: reading on is an error, not an end
        self.error: BaseException | None = None  # what ended it early (raised again on reads)

    def fetch(self, n: int | None = None) -> list[list]:
        """The next `n` rows (all the rest if None); fewer, then none, at the end."""
        if self.done:
            if self.error is not None:
                raise self.error
            if self.discarded:
                raise ProgrammingError(
                    "Commands out of sync; you can't run this command now (the rest of this "
                    "result was discarded when the connection ran another statement or ended "
                    "its transaction)",
                    errno=2014, sqlstate="HY000")
            return []
        try:
            self.token.check()  # a cancel that came while nobody was reading
            rows = list(self._rows) if n is None else list(islice(self._rows, n))
            if n is None or len(rows) < n:
                self.token.finish()  # the statement is complete: too late to cancel now
                self._end()
        except BaseException as e:
            self.error = e  # a failed result is not a complete one: later reads fail too
            self._end()
            raise
        self.count += len(rows)
        return rows

    def discard(self) -> None:
        """Stop reading: the plan is dropped and its view released."""
        if not self.done:
            self.discarded = True
            self.token.cancel()
            self._end()

    def _end(self) -> None:
        self.done = True
        self._rows = iter(())
        close, self._close = self._close, None
        if close is not None:
            close()
