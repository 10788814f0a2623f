"""The restore's arguments checked against the binlog files actually read: a mistyped value
that matched nothing would otherwise replay everything and exit 0.

* every file's Format_desc must carry the backup's uuid (a foreign file anywhere in
  --binlog-dir, not only the first, is refused, named);
* --stop-position's file must be one of the files, and its position inside that file and on
  an event boundary (mysqlbinlog's positions are events' Pos / End_log_pos);
* --exclude-gtids must name at least one transaction of the binlog after the backup.
"""

from __future__ import annotations

import os

from core.errors import OperationalError, ProgrammingError
from core.log import binlog_format as fmt


def check_uuids(files: list[str], uuid: str) -> None:
    """1236 naming the first file of another database."""
    for path in files:
        try:
            desc, _prev = fmt.file_head(path)
        except (OSError, ValueError) as exc:
            raise OperationalError(f"binary log {path} cannot be read: {exc}",
                                   errno=1236) from None
        if desc.get("uuid") != uuid:
            raise OperationalError(
                f"binary log {path} belongs to database {desc.get('uuid')}, the backup to "
                f"{uuid}: --binlog-dir holds another database's binlog file", errno=1236)


def check_stop_position(position: tuple[str | None, int], files: list[str], text: str
                        ) -> None:
    """1210 when the position's file is not read, or the position is past its end or
    inside an event."""
    name, pos = position
    names = [os.path.basename(f) for f in files]
    if name is None:
        name = names[-1]
    if name not in names:
        raise ProgrammingError(
            f"--stop-position {text!r}: {name} is not among the binlog files "
            f"({', '.join(names)}): a position in another file would replay everything",
            errno=1210, sqlstate="HY000")
    path = files[names.index(name)]
    end = fmt.FileEnd()
    boundaries = {len(fmt.MAGIC)}
    for e in fmt.read_events(path, end_out=end):
        boundaries.add(e.pos)
        boundaries.add(e.end)
    if pos > end.pos:
        raise ProgrammingError(
            f"--stop-position {text!r}: position {pos} is past the end of {name} (its "
            f"events end at {end.pos})", errno=1210, sqlstate="HY000")
    if pos not in boundaries:
        before = max(b for b in boundaries if b < pos) if any(b < pos for b in boundaries) \
            else len(fmt.MAGIC)
        after = min((b for b in boundaries if b > pos), default=end.pos)
        raise ProgrammingError(
            f"--stop-position {text!r}: position {pos} is not an event boundary in {name} "
            f"(it falls inside the event at {before}; the nearest boundaries are {before} "
            f"and {after}; `kintsugi binlog` lists them)", errno=1210, sqlstate="HY000")


def check_exclude_matches(skipped: int, text: str, executed: str) -> None:
    """1236 when the exclude set names no transaction after the backup."""
    if skipped == 0:
        raise OperationalError(
            f"--exclude-gtids {text}: no transaction of the binary log after the backup "
            f"({executed or 'nothing'}) is in this set: nothing restored (a mistyped GTID "
            "would replay everything)", errno=1236)
