"""The storage engine: one open database directory, composed of four parts.

Directory layout::

    DIR/LOCK                 the directory lock (holder's pid)
    DIR/control              checkpoint LSN, clean-shutdown flag (two slots with CRCs)
    DIR/system.kdb           space 0: the dictionary, including the tablespace map
    DIR/#redo/redo.<seq>     redo-log segments
    DIR/#spill/              spill files of large open transactions
    DIR/<schema>/<table>.kdb one tablespace per table

The parts, each in its own module:

* `core.storage.lifecycle` — open (in two halves, recovery runs between them), close, the
  control file;
* `core.storage.spacemap` — which file holds which space, naming new ones;
* `core.storage.commit` — the writer lock, logging and publishing commits, snapshots: the
  `core.storage.pipeline.CommitPipeline` that transactions use;
* `core.storage.flusher` — the background flush of the overlay and the checkpoint.

Storage knows no transactions and runs no recovery: `core.kv.Engine` composes it with
`core.recovery` and `core.txn`; open a database through that.

Locks, outermost first: the *writer lock* (one write transaction at a time, held from its
first write to COMMIT/ROLLBACK), the *flush lock* (one flush/checkpoint at a time), the
*state lock* (short: makes "append to the log + publish in the overlay" atomic with respect
to taking a snapshot, and guards the generation list and the space map).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.events import Event, null_sink
from core.storage.commit import CommitPath
from core.storage.flusher import Flusher
from core.storage.lifecycle import INITIAL_LSN, Lifecycle, ReadOnlyLog, destroy
from core.storage.spacemap import SPACE_MAP_PREFIX, SYSTEM_SPACE, SpaceMap
from core.storage.tablespace import Tablespace

__all__ = ["INITIAL_LSN", "SPACE_MAP_PREFIX", "SYSTEM_SPACE", "Engine", "ReadOnlyLog",
           "destroy"]


class Engine(Lifecycle, SpaceMap, CommitPath, Flusher):
    """An open database directory at the storage level (no transactions, no recovery).
    `core.kv.Engine.open()` makes one that serves; close with `close()` or `with`."""

    def __init__(self) -> None:  # use core.kv.Engine.open
        self.path = ""
        self.sink: Callable[[Event], None] = null_sink
        self.spaces: dict[int, Tablespace] = {}
        self.read_only = False
        self.force_recovery = 0
        self.closed = True
        self.flusher_error: BaseException | None = None
        # recovery's findings, for status and the console (see core.recovery)
        self.missing_spaces: dict[int, dict] = {}  # space id -> header: opened without file
        # dropped tables' spaces whose file was lost (core.recovery.expendable)
        self.lost_spaces: dict[int, dict] = {}
        self.expendable_spaces: Callable[[Any], Any] | None = None
        self.last_recovery = None  # core.status.RecoveryRecord of this open, if it recovered
        self.scan_directories: tuple[str, ...] | None = None
        self.discard_damaged_log = False
        # the binary log (core.log.binlog.BinlogWriter), None when off; `binlog_capture`
        # (installed above SQL, core.backup.capture) turns a committing transaction into its
        # events: (gtid number, event bytes) or None
        self.binlog = None
        self.binlog_capture: Callable[..., tuple[int, bytes] | None] | None = None

    @property
    def background_allowed(self) -> bool:
        """Whether background work may run: the flusher, GC, a DDL worker.  force_recovery
        >= 2 forbids it (InnoDB's NO_BACKGROUND), and a read-only open has nothing to do."""
        return not self.read_only and self.force_recovery < 2

    # ------------------------------------------------------------------------------------------
    # introspection (the console and tests read these)
    # ------------------------------------------------------------------------------------------

    def pending_entries(self, space: int) -> int:
        """Keys of `space` committed but not yet flushed to its file (an upper bound on the
        rows a table gained since: deletes and rewrites count too), for row estimates."""
        with self._state:
            return sum(g.space_entries(space) for g in self._gens)

    def stats(self) -> dict:
        with self._state:
            overlay = sum(g.entries for g in self._gens)
            gens = len(self._gens)
        return {
            "path": self.path,
            "end_lsn": self.log.end_lsn,
            "durable_lsn": self.log.durable_lsn,
            "checkpoint_lsn": self.checkpoint_lsn,
            "overlay_entries": overlay,
            "overlay_generations": gens,
            "log_syncs": self.log.syncs,
            "segments": [s.seq for s in self.log.segments],
            # where each file is now (a moved file's header still names its first place)
            "spaces": {sid: {"path": self.shown_path(ts), "applied_lsn": ts.applied_lsn}
                       for sid, ts in list(self.spaces.items())},
        }
