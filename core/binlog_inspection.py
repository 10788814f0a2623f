"""What `kintsugi info` says about the binary log, read from its files without opening the
database (`core.inspection`): the active file, the position a writer would append at (past
the last whole transaction) and the executed GTID set (the last file's Previous_gtids plus
its transactions' GTIDs)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.log import binlog as binlog_files
from core.log import binlog_format as fmt
from core.log.gtid import GtidSet


@dataclass(frozen=True, slots=True)
class BinlogInspection:
    files: int  # files binlog.index lists
    file: str  # the last one (the active file while a process has the database open)
    position: int  # just past its last whole transaction
    executed: str  # the executed GTID set
    error: str = ""  # why the last file could not be read ("" when it could)


def inspect_binlog(path: str) -> BinlogInspection | None:
    """None when the directory has no binary log (never enabled, or --skip-log-bin)."""
    names = binlog_files.list_index(path)
    if not names:
        return None
    last = os.path.join(path, names[-1])
    try:
        _desc, previous = fmt.file_head(last)
        good, _end, gtids = fmt.transaction_ends(last)
        executed = GtidSet.parse(previous)
        for ev in gtids:
            executed.add(ev.fields[0], ev.fields[1])
    except (OSError, ValueError) as exc:  # BinlogFormatError and GtidError are ValueErrors
        return BinlogInspection(len(names), names[-1], 0, "", str(exc))
    return BinlogInspection(len(names), names[-1], good, str(executed))
