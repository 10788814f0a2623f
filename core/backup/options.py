"""The text a DBA types for `kintsugi binlog` (and `kintsugi restore`) turned into a
`core.backup.events.Selection`, refusing anything it cannot read exactly: a filter that is
silently ignored would replay what was meant to be cut out.

Datetimes are local time, as `mysqlbinlog` reads them (`YYYY-MM-DD HH:MM:SS[.ffffff]`, or a
date alone for its midnight); positions are `N` or `binlog.000003:N` (a named file must be
one of the files read); GTID sets are MySQL's text, where a bare number (`42`, `40-45`)
names the binlog's own uuid (the one its files' `Format_desc` carries).
"""

from __future__ import annotations

import datetime as _dt
import os
import re

from core.backup.events import Selection
from core.errors import ProgrammingError
from core.log.gtid import GtidError, GtidSet

_POSITION = re.compile(r"^(?:(?P<file>[^:]+):)?(?P<pos>\d+)$")


def _wrong(option: str, value: str, expected: str) -> ProgrammingError:
    return ProgrammingError(f"Incorrect arguments to {option}: '{value}' ({expected})",
                            errno=1210, sqlstate="HY000")


def parse_datetime(value: str, option: str = "--stop-datetime") -> float:
    """Local time text -> UNIX seconds."""
    text = value.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f",
                "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(text, fmt).timestamp()
        except ValueError:
            continue
    raise ProgrammingError(
        f"Incorrect DATETIME value: '{value}' for {option} (expected 'YYYY-MM-DD "
        "HH:MM:SS[.ffffff]', local time)", errno=1525, sqlstate="HY000")


def parse_position(value: str, files: list[str], option: str = "--stop-position"
                   ) -> tuple[str | None, int]:
    """`N` or `file:N` -> (file name or None, N); the file must be one of `files`."""
    m = _POSITION.match(value.strip())
    if m is None:
        raise _wrong(option, value, "expected a byte position N or binlog.000003:N")
    name = m.group("file")
    if name is not None:
        name = os.path.basename(name)
        names = [os.path.basename(f) for f in files]
        if name not in names:
            raise _wrong(option, value, f"{name} is not among the files read: "
                         + ", ".join(names))
    return name, int(m.group("pos"))


def parse_gtids(value: str, default_uuid: str | None, option: str = "--exclude-gtids"
                ) -> GtidSet:
    try:
        out = GtidSet.parse(value, default_uuid=default_uuid)
    except GtidError as exc:
        raise ProgrammingError(f"Malformed GTID set specification '{value}' for {option}: "
                               f"{exc}", errno=1772, sqlstate="HY000") from None
    if not out:
        raise ProgrammingError(f"Malformed GTID set specification '{value}' for {option}: "
                               "it names no transaction", errno=1772, sqlstate="HY000")
    return out


def selection(files: list[str], default_uuid: str | None, *,
              start_datetime: str | None = None, stop_datetime: str | None = None,
              start_position: str | None = None, stop_position: str | None = None,
              include_gtids: str | None = None, exclude_gtids: str | None = None,
              database: str | None = None) -> Selection:
    """The Selection the options ask for (each option None when not given)."""
    sel = Selection(database=database or None)
    if start_datetime is not None:
        sel.start_datetime = parse_datetime(start_datetime, "--start-datetime")
    if stop_datetime is not None:
        sel.stop_datetime = parse_datetime(stop_datetime, "--stop-datetime")
    if start_position is not None:
        sel.start_position = parse_position(start_position, files, "--start-position")
    if stop_position is not None:
        sel.stop_position = parse_position(stop_position, files, "--stop-position")
    if include_gtids is not None:
        sel.include = parse_gtids(include_gtids, default_uuid, "--include-gtids")
    if exclude_gtids is not None:
        sel.exclude = parse_gtids(exclude_gtids, default_uuid, "--exclude-gtids")
    return sel
