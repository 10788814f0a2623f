"""KintsugiDB's engine.  `core.connect()` is the public entry point (PEP 249).

The names are loaded lazily, so `import core.storage.engine` (the crash-test worker, the
recovery command) does not pay for the SQL layer.
"""

from __future__ import annotations

_API = {"connect", "Connection", "Cursor", "apilevel", "paramstyle", "threadsafety", "STRING",
        "BINARY", "NUMBER", "DATETIME", "ROWID"}
_ERRORS = {"Error", "Warning", "InterfaceError", "DatabaseError", "DataError",
           "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
           "NotSupportedError"}
__all__ = sorted(_API | _ERRORS)


def __getattr__(name: str):
    if name in _API:
        from core import api

        return getattr(api, name)
    if name in _ERRORS:
        from core import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'core' has no attribute {name!r}")
