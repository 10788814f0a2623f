"""KintsugiDB's engine.  `core.connect()` is the public entry point (PEP 249); with it,
`core.inspect()` (what a database directory holds and whether it needs recovery, read
without writing anything), `core.recover()` (open, recover if needed, close: the status),
`core.classify()` (what kind a statement is), `core.check_directory()`.  Clients (the console,
the command line) use only these, `core.api`, `core.errors` and `core.events`: the layering
contracts in pyproject.toml check it.

The names are loaded lazily, so `import core.kv` (the crash-test worker, the KV benchmarks)
does not pay for the SQL layer.
"""

from __future__ import annotations

_API = {"connect", "Connection", "Cursor", "apilevel", "paramstyle", "threadsafety", "STRING",
        "BINARY", "NUMBER", "DATETIME", "ROWID", "inspect", "recover", "classify",
        "StatementKind", "DatabaseStatus", "TablespaceStatus",
        "Inspection", "TablespaceInspection",
        "split_statements"}
_DIRECTORY = {"check_directory"}  # core.directory: no SQL layer
# Point-in-time recovery (core.backup.api): backups, restores, the binary log read back.
_BACKUP = {"backup_database", "verify_backup", "read_backup", "list_backups", "restore",
           "binlog_files", "binlog_timeline", "BackupInfo", "BinlogFileInfo", "RestoreReport",
           "TimelineEntry", "VerifyReport"}
_BACKUP |= {"binlog_sql"}  # `kintsugi binlog` (core.backup.binlog_sql)
_ERRORS = {"Error", "Warning", "InterfaceError", "DatabaseError", "DataError",
           "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
           "NotSupportedError"}
__all__ = sorted(_API | _DIRECTORY | _BACKUP | _ERRORS | {"scan_sql", "needs_recovery"})


def needs_recovery(path: str) -> bool:
    """Whether the control file of the database in `path` says its last shutdown was not
    clean, read without opening anything (a client decides cheaply whether a recovery is
    coming, e.g. to watch it from another process).  False for anything unusual (no control
    file, both slots damaged): the open itself reports those."""
    import os

    from core.errors import Error
    from core.log.control import ControlFile

    control = ControlFile(os.path.join(path, "control"))
    try:
        return control.exists() and not control.read().clean_shutdown
    except (Error, OSError):
        return False


def __getattr__(name: str):
    if name == "scan_sql":  # the lexer alone: an editor loads it without the engine
        from core.sql.lexer import scan

        return scan
    if name in _DIRECTORY:  # checked before the engine is imported (the console's start)
        from core import directory

        return getattr(directory, name)
    if name in _API:
        from core import api

        return getattr(api, name)
    if name in _BACKUP:
        from core.backup import api as backup_api

        return getattr(backup_api, "backup" if name == "backup_database" else name)
    if name in _ERRORS:
        from core import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
