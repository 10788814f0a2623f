"""Naming tablespaces in recovery's reports: redo records carry only space ids, a DBA
reads table names.

The names come from the space map in `system.kdb` (its applied state) and from the
FILE_CREATE headers found in the redo log (tables created after the checkpoint, which the
applied map may not know yet).  A space neither names is reported as "space N".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.errors import Error, TablespaceMissingError

if TYPE_CHECKING:
    from core.storage.engine import Engine


def table_name(header: dict) -> str:
    """"schema.table" of a tablespace header."""
    return f"{header.get('schema', '?')}.{header.get('table', '?')}"


class SpaceNames:
    """space id -> "schema.table", read once per recovery."""

    def __init__(self, engine: Engine, extra: Iterable[tuple[int, dict]] = ()):
        self._headers: dict[int, dict] = {}
        try:
            self._headers.update(engine.read_space_map())
        except (Error, OSError, KeyError):
            pass  # a damaged dictionary: ids only
        for sid, header in extra:
            self._headers.setdefault(sid, header)

    def add(self, sid: int, header: dict) -> None:
        self._headers.setdefault(sid, header)

    def name(self, sid: int) -> str:
        if sid == 0:
            return "system (dictionary)"
        header = self._headers.get(sid)
        return table_name(header) if header and header.get("table") else f"space {sid}"

    def names(self, sids: Iterable[int]) -> tuple[str, ...]:
        """Sorted names of the user tables among `sids` (the dictionary is left out: every
        DDL touches it, which tells a DBA nothing)."""
        return tuple(sorted({self.name(s) for s in sids if s != 0}))


def missing_error(engine: Engine, sid: int, header: dict | None) -> TablespaceMissingError:
    """ERROR 1812 for a tablespace whose file is gone, naming its table and path."""
    if header is None:
        return TablespaceMissingError(
            f"Tablespace {sid} is missing: the redo log has records for it but the dictionary "
            "names no file; open with force_recovery >= 1 to go on without it")
    path = os.path.join(engine.path, header["path"])
    return TablespaceMissingError(
        f"Tablespace is missing for table `{header.get('schema')}`.`{header.get('table')}`: "
        f"its file {path} (space {sid}) does not exist. Open with force_recovery >= 1 to go "
        "on without it (read-only), or with scan_directories if the file was moved")
