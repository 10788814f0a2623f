"""RECOVER / FLASHBACK of a dropped table whose tablespace file the open found missing or
unusable (`core.recovery.expendable`, `engine.lost_spaces`): putting its TableInfo back
would give the dictionary a table without rows, so the statement is refused, changing
nothing: 1812 (ER_TABLESPACE_MISSING) for a file that is gone, 1877 (ER_TABLE_CORRUPT) for
one that cannot be read.  Putting the file back (from a backup) and opening again makes the
table recoverable again; GC otherwise takes its range when due."""

from __future__ import annotations

import os
from typing import Any

from core.errors import CorruptionError, TablespaceMissingError
from core.recovery.expendable import DAMAGED

Database = Any  # core.sql.session.Database


def refuse_lost(db: Database, table_id: int) -> None:
    """Raise when table `table_id`'s file was lost at open."""
    lost = getattr(db.engine, "lost_spaces", None) or {}
    found = lost.get(table_id)
    if found is None:
        return
    path = os.path.join(db.engine.path, found.get("path") or "")
    what = found.get("what") or f"space {table_id}"
    if found.get("state") == DAMAGED:
        raise CorruptionError(
            f"Operation cannot be performed. The table {what} is missing, corrupt or contains "
            f"bad data: its file {path} could not be used when the database opened "
            f"({found.get('reason')}); it cannot be recovered")
    raise TablespaceMissingError(
        f"Tablespace is missing for table {what}: its file {path} did not exist when the "
        "database opened; it cannot be recovered")
