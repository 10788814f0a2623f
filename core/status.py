"""A database's state as typed values: what `Connection.info()`, `core.api.inspect` and
`core.api.recover` return, and what `kintsugi info` and the console's panes show.

Read from the engine's own counters in one pass, so a client never needs the engine object
(or a remote server's internals) to show LSNs, redo segments and tablespaces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class TablespaceStatus:
    space_id: int
    name: str  # "system (dictionary)" for space 0, else "schema.table"
    path: str
    applied_lsn: int  # redo up to here is in the file
    entries: int  # LMDB entries (rows + index entries) in the file
    # A tablespace no live table uses any more, awaiting GC (`core.catalog.dropped`): when
    # its job dropped it (UNIX seconds), when GC may take it (dropped_at + the GC life
    # time), that job's id and type ("drop table", "truncate table", "drop schema", or a
    # rebuild's, e.g. "modify column"); None / "" for a live table's tablespace
    dropped_at: float | None = None
    gc_after: float | None = None
    drop_job_id: int | None = None
    drop_job_type: str = ""

    @property
    def dropped(self) -> bool:
        return self.dropped_at is not None


@dataclass(frozen=True, slots=True)
class RecoveryRecord:
    """One row of the recovery history (`information_schema.RECOVERY_HISTORY`, kept in
    system.kdb): an open that had to recover, or that was forced.  Times are UNIX seconds;
    `skipped_lsn_range` is "" or "A-B" (redo a forced open could not apply)."""

    id: int
    start_time: float
    end_time: float
    reason: str  # "crash", "forced", "discard-damaged-log"
    checkpoint_lsn: int
    end_lsn: int
    records_scanned: int
    records_applied: int
    transactions_rolled_back: int
    rows_discarded: int
    force_recovery: int
    skipped_lsn_range: str
    outcome: str  # "recovered", "read-only: ...", "log ended at N, damaged segments kept"
    skipped_commits: int = 0
    skipped_tables: tuple[str, ...] = ()
    missing_tablespaces: tuple[str, ...] = ()  # "schema.table" opened without its file


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    path: str
    end_lsn: int
    durable_lsn: int
    checkpoint_lsn: int
    segments: tuple[int, ...]  # redo segment numbers, oldest first
    tablespaces: tuple[TablespaceStatus, ...]
    overlay_entries: int  # committed row images not yet applied to the tablespaces
    read_only: bool
    force_recovery: int
    map_size: int  # bytes each tablespace may map before it grows
    spill_limit: int  # bytes of an open transaction kept in memory before it spills
    # what this open's recovery did (None after a clean shutdown and no force_recovery):
    # the console's read-only banner and `kintsugi recover`'s last line come from it
    recovery: RecoveryRecord | None = None


def with_dropped(status: DatabaseStatus, dropped: dict[int, Any],
                 names: dict[int, str] | None = None) -> DatabaseStatus:
    """`status` with its dropped tablespaces marked (`dropped`: space id -> an object with
    `dropped_at`, `gc_after`, `job_id`, `job_type`, as `core.catalog.dropped.DroppedTable`)
    and each under its table's name now (`names`: a file's header keeps the name it was
    created under; RENAME TABLE and FLASHBACK ... TO change only the dictionary)."""
    if names:
        status = replace(status, tablespaces=tuple(
            replace(ts, name=names[ts.space_id]) if ts.space_id in names else ts
            for ts in status.tablespaces))
    if not dropped:
        return status
    spaces = tuple(
        replace(ts, dropped_at=d.dropped_at, gc_after=d.gc_after, drop_job_id=d.job_id,
                drop_job_type=d.job_type) if (d := dropped.get(ts.space_id)) is not None
        else ts for ts in status.tablespaces)
    return replace(status, tablespaces=spaces)


def status_of(engine: Any) -> DatabaseStatus:
    """The status of an open engine (the storage engine's `stats()` and its tablespaces)."""
    st = engine.stats()
    spaces = []
    for sid, info in sorted(st["spaces"].items()):
        ts = engine.spaces.get(sid)
        header = getattr(ts, "header", None) or {}
        name = "system (dictionary)" if sid == 0 else \
            f"{header.get('schema', '?')}.{header.get('table', '?')}"
        entries = ts.entry_count() if ts is not None else 0
        spaces.append(TablespaceStatus(sid, name, info["path"], info["applied_lsn"], entries))
    return DatabaseStatus(
        path=st["path"], end_lsn=st["end_lsn"], durable_lsn=st["durable_lsn"],
        checkpoint_lsn=st["checkpoint_lsn"], segments=tuple(st["segments"]),
        tablespaces=tuple(spaces), overlay_entries=st["overlay_entries"],
        read_only=bool(engine.read_only), force_recovery=int(engine.force_recovery),
        map_size=int(engine.map_size), spill_limit=int(engine.spill_limit),
        recovery=getattr(engine, "last_recovery", None))
