"""The console's one door to a database: the adapter interface (`base`) and the adapters.

Panes import the interface from `tui.backend.base` and never an adapter; the command line
picks the adapter (`embedded` today).  The adapters load on first use, so that importing
the interface does not import any of them.
"""

from __future__ import annotations

from typing import Any

from tui.backend.base import (
    ACCEPTED,
    INTERRUPTED,
    TOO_LATE,
    Backend,
    BackendError,
    CancelAnswer,
    Catalog,
    Columns,
    DatabaseInfo,
    IndexSummary,
    Outcome,
    RecoveryHistory,
    ResultPart,
    Rows,
    SessionState,
    TableData,
    TablespaceInfo,
)

_EMBEDDED = {"EmbeddedBackend", "check_directory"}

__all__ = [
    "ACCEPTED", "INTERRUPTED", "TOO_LATE", "Backend", "BackendError", "CancelAnswer",
    "Catalog", "Columns", "DatabaseInfo", "EmbeddedBackend", "IndexSummary", "Outcome",
    "RecoveryHistory", "ResultPart", "Rows", "SessionState", "TableData", "TablespaceInfo",
    "check_directory",
]


def __getattr__(name: str) -> Any:
    if name in _EMBEDDED:
        from tui.backend import embedded

        return getattr(embedded, name)
    raise AttributeError(f"module 'tui.backend' has no attribute {name!r}")
