"""Events of backups and restores (core.backup), on the sink the caller passes.

    BackupProgress   bytes copied so far of a hot backup (per phase: tablespaces, redo,
                     checksums), so a terminal draws a progress bar and the console a gauge
    BackupFinished   the backup is complete and fsynced: its manifest is written
    RestoreProgress  a restore's phase (copy, recover, replay) and how far it is
    RestoreFinished  the restored database is complete and in place

The console's Backups pane matches on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, slots=True)
class BackupProgress(Event):
    dest: str
    phase: str  # "tablespaces" | "redo" | "verify"
    done: int  # bytes done in this phase
    total: int  # bytes this phase has (an estimate for "redo")
    file: str = ""  # the file being copied or checked


@dataclass(frozen=True, slots=True)
class BackupFinished(Event):
    dest: str
    bytes: int
    files: int
    lsn: int  # the backup is consistent at this log sequence number
    gtid: str  # the executed GTID set at that point
    seconds: float


@dataclass(frozen=True, slots=True)
class RestoreProgress(Event):
    dest: str
    phase: str  # "verify" | "copy" (bytes) | "recover" | "replay" (transactions) | "check" (tables)
    done: int  # bytes checked or copied, transactions replayed, tables checked
    total: int  # bytes to copy, or transactions selected (0: not known yet)
    gtid: str = ""  # replay: the last transaction applied


@dataclass(frozen=True, slots=True)
class RestoreFinished(Event):
    dest: str
    replayed: int  # binlog transactions applied after the backup
    skipped: int  # transactions left out (--exclude-gtids)
    stopped_before: str  # what ended the replay ("" when the binlog ran out)
    gtid: str  # the restored database's executed GTID set
    seconds: float
