"""The commit pipeline: what storage offers the transaction layer above it, and nothing more.

Storage must not know what a transaction is (`core.txn` sits above it), yet a transaction's
COMMIT is a storage operation: take the writer lock, log the records, publish the writes in
the overlay atomically with respect to snapshots, make the log durable.  This Protocol names
exactly those steps, so `core.txn.transaction.Transaction` depends on a contract instead of
on the engine's internals, and a test can drive a transaction with anything that fits.

It is a structural type for readers and checkers only: nothing calls `isinstance` on it, so
the hot path pays no more than a method call on the engine itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from core.events import Event
from core.storage.overlay import Layer
from core.storage.snapshot import Snapshot

# A transaction's buffered writes: space id -> key -> value (None: a delete).
Writes = dict[int, dict[bytes, bytes | None]]
# A file operation decided inside a transaction and carried out at its COMMIT:
# (kind, space id, path relative to the database directory, tablespace header).
FileOp = tuple[str, int, str, dict]


class CommitPipeline(Protocol):
    """What `Transaction` needs from storage.  `core.storage.engine.Engine` provides it.

    Order of calls for one write transaction: `acquire_writer` (at its first write), any
    number of `append_open` (when it spills), then either `publish_commit` followed by
    `release_writer` and `make_durable`, or `abort_open` (if it spilled) and
    `release_writer`.  Reads use `snapshot` / `latest_snapshot` at any time.
    """

    read_only: bool  # opened with force_recovery: every write is refused
    force_recovery: int  # the level, for the read-only error message
    spill_limit: int  # buffered bytes above which a transaction spills
    spill_dir: str  # where spill files live
    sink: Callable[[Event], None]  # progress events (TransactionSpilled)
    binlog: Any  # core.log.binlog.BinlogWriter | None: the commit enqueues its events there
    # (transaction, commit time) -> (gtid number, binlog events) or None: installed above SQL
    binlog_capture: Callable[..., tuple[int, bytes] | None] | None

    def check_readable(self) -> None:
        """Raise unless the engine is open (reads still work after a failed flush)."""
        ...

    def snapshot(self, *, wait_durable: bool = True) -> Snapshot:
        """A consistent view of every commit published so far."""
        ...

    def latest_snapshot(self) -> Snapshot:
        """Everything committed, durable or not: the writer lock holder's current read."""
        ...

    def acquire_writer(self, timeout: float | None = None) -> int:
        """Take the writer lock (or fail with 1205 after `timeout` seconds, default the
        lock wait timeout); returns a new transaction id."""
        ...

    @property
    def writers_waiting(self) -> int:
        """Transactions waiting for the writer lock now."""
        ...

    def release_writer(self) -> None:
        """Give the writer lock back; the transaction's open log records are settled."""
        ...

    def append_open(self, bodies: list[bytes], first_lsn: int | None) -> int:
        """Log records of a transaction still open (a spill); returns their first LSN."""
        ...

    def abort_open(self, trx_id: int) -> None:
        """Log that a transaction which logged records (a spill) rolled back."""
        ...

    def plan_space(self, schema: str, table: str, pending: list[FileOp]
                   ) -> tuple[int, str, dict]:
        """An id, a relative path and a header for a tablespace created at COMMIT."""
        ...

    def space_map_key(self, space_id: int) -> bytes:
        """The system-space key under which the tablespace map records `space_id`."""
        ...

    def space_map_value(self, header: dict) -> bytes:
        """The tablespace map's value for a header."""
        ...

    def publish_commit(self, bodies: list[bytes], first_lsn: int | None, gen: Layer | None,
                       writes: Writes, file_ops: list[FileOp],
                       binlogged: tuple[int, bytes] | None = None) -> int:
        """Log the commit and make it visible; returns its commit LSN (writer lock held)."""
        ...

    def make_durable(self, lsn: int) -> None:
        """Wait until the log is durable up to `lsn` (joining a group commit)."""
        ...

    def write_binlog(self, lsn: int | None = None) -> None:
        """Append the binlog events of the durable commits still queued."""
        ...
