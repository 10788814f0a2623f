"""The public face of point-in-time recovery (re-exported by `core`): what the command
line and the console call.  Everything here opens files the way a client would; nothing
needs the database to be closed.

    backup(source, dest)            a hot, consistent backup with a manifest
    verify_backup(dest)             check a backup's files against its manifest
    list_backups(source)            the backups taken of a database (its backup history)
    restore(backup, dest, ...)      a backup plus the binary log up to a point, into dest
    binlog_files(source)            the binlog files with their sizes and time ranges
    binlog_timeline(source, ...)    the transactions of the binlog, newest last
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from core.backup import events as ev
from core.backup.binlog_sql import BinlogSqlSummary
from core.events import Event, null_sink


@dataclass(frozen=True)
class BinlogFileInfo:
    name: str
    path: str
    size: int
    first_ts: float | None  # commit time of its first transaction (None: none yet)
    last_ts: float | None
    transactions: int


@dataclass(frozen=True)
class TimelineEntry:
    """One transaction of the binlog, as the console's timeline lists it."""

    gtid: str
    seq: int
    ts: float
    file: str
    pos: int
    end: int
    ddl: str | None  # the statement, for DDL
    db: str | None
    tables: tuple[tuple[str, int, int, int], ...]  # ("db.table", inserted, updated, deleted)

    @property
    def rows(self) -> int:
        return sum(i + u + d for _n, i, u, d in self.tables)


def binlog_files(source: str) -> list[BinlogFileInfo]:
    """The files of `source`'s binlog (a data directory), oldest first."""
    out = []
    for path in ev.files_of(source):
        first = last = None
        n = 0
        for t in ev.transactions([path], decode=False):
            first = t.ts if first is None else first
            last = t.ts
            n += 1
        out.append(BinlogFileInfo(os.path.basename(path), path, os.path.getsize(path),
                                  first, last, n))
    return out


def binlog_timeline(source: str | Sequence[str], *, limit: int | None = None
                    ) -> list[TimelineEntry]:
    """The transactions of the binlog (a data directory or files), oldest first; with
    `limit`, only the newest `limit`."""
    paths = ev.expand([source] if isinstance(source, str) else source)
    out: list[TimelineEntry] = []
    for t in ev.transactions(paths, decode=False):
        out.append(TimelineEntry(
            t.gtid, t.seq, t.ts, t.file, t.pos, t.end, t.ddl, t.db,
            tuple((f"{tc.db}.{tc.table}", *tc.counts()) for tc in t.tables)))
        if limit is not None and len(out) > 2 * limit:
            del out[:-limit]
    return out[-limit:] if limit is not None else out


def binlog_sql(sources: str | Sequence[str], out: TextIO, *, verbose: bool = False,
               progress: Callable[[int, int], None] | None = None, **selection: str | None
               ) -> BinlogSqlSummary:
    """`kintsugi binlog`: the transactions of the binlog (data directories or files) that
    the options select (start_datetime, stop_datetime, start_position, stop_position,
    include_gtids, exclude_gtids, database: the text a DBA types) written to `out` as SQL
    that `kintsugi sql` replays (core.backup.binlog_sql); returns what was written."""
    from core.backup.binlog_sql import write_sql

    return write_sql([sources] if isinstance(sources, str) else list(sources), out,
                     verbose=verbose, progress=progress, **selection)


# -- backups and restores (core.backup.backup, core.backup.restore) -----------------------------


@dataclass(frozen=True)
class BackupInfo:
    """A backup as its manifest describes it."""

    path: str
    source: str
    started: float
    finished: float
    lsn: int  # consistent at this log sequence number
    gtid: str  # executed GTID set at that point
    binlog_file: str  # where the binlog continues after it ("" when the binlog was off)
    binlog_pos: int
    bytes: int
    files: int
    verified: str = ""  # "" not checked, "ok", or what is wrong
    verified_at: float | None = None


@dataclass(frozen=True)
class VerifyReport:
    path: str
    ok: bool
    problems: tuple[str, ...] = ()  # "file: reason" per bad file
    files: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class RestoreReport:
    dest: str
    backup: str
    replayed: int
    skipped: int
    stopped_before: str
    gtid: str
    seconds: float
    tables_checked: tuple[str, ...] = field(default_factory=tuple)
    check_failures: tuple[str, ...] = ()  # "db.table: errno message" of ADMIN CHECK TABLE
    replaced: str = ""  # where an existing DEST was put aside (force)
    rows: int = 0  # row changes replayed


def backup(source: str, dest: str, *, sink: Callable[[Event], None] = null_sink,
           force: bool = False) -> BackupInfo:
    """A hot, consistent backup of the database in `source` into `dest` (a new or empty
    directory; `force` replaces an earlier finished backup there)."""
    from core.backup import backup as impl

    return impl.backup(source, dest, sink=sink, force=force)


def verify_backup(dest: str, *, sink: Callable[[Event], None] = null_sink) -> VerifyReport:
    from core.backup import backup as impl

    return impl.verify(dest, sink=sink)


def read_backup(dest: str) -> BackupInfo:
    """The manifest of the backup in `dest` (1877 naming the file if it is damaged)."""
    from core.backup import backup as impl

    return impl.read(dest)


def list_backups(source: str) -> list[BackupInfo]:
    """The backups taken of the database in `source` that still exist, oldest first."""
    from core.backup import backup as impl

    return impl.history(source)


def restore(backup_dir: str, dest: str, *, stop_datetime: float | None = None,
            stop_position: str | None = None, stop_gtid: str | None = None,
            exclude_gtids: str | None = None, binlog_dir: str | None = None,
            force: bool = False, sink: Callable[[Event], None] = null_sink) -> RestoreReport:
    """Restore `backup_dir` into `dest` and replay the binary log up to the point given."""
    from core.backup import restore as impl

    return RestoreReport(**impl.restore(backup_dir, dest, stop_datetime=stop_datetime,
                                        stop_position=stop_position, stop_gtid=stop_gtid,
                                        exclude_gtids=exclude_gtids, binlog_dir=binlog_dir,
                                        force=force, sink=sink))


__all__ = ["BackupInfo", "BinlogFileInfo", "RestoreReport", "TimelineEntry", "VerifyReport",
           "backup", "binlog_files", "binlog_timeline", "list_backups", "read_backup",
           "restore", "verify_backup"]
