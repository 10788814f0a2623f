"""`kintsugi binlog`: the chosen transactions of a binary log written out as replayable SQL.

Files only: the database may be open in another process (its last file may then end in a
transaction still being written, which is left out and noted).  Every file is read through
once before anything is written, so a damaged file or one that is not a binlog is refused
with its name and the reason and no partial SQL reaches a `| kintsugi sql` pipe.  Damage
at the very end of the last file that only a write in progress (or a crash) leaves, an
event cut short, is not damage: the transaction is not finished, so it is not printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from core.backup import events as ev
from core.backup import options
from core.backup.render import render, stamp
from core.literals import comment_text
from core.log import binlog_format as fmt
from core.log.binlog_format import EventType

_TAIL_PROBLEMS = ("a short event header", "an event at position")  # a write cut short


@dataclass
class BinlogSqlSummary:
    files: list[str] = field(default_factory=list)
    transactions: int = 0  # printed
    rows: int = 0
    ddl: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. an unfinished last transaction


@dataclass
class FileHead:
    """What a file's first events say, for its header comment."""

    ts: float = 0.0
    end: int = 0
    version: str = "?"
    uuid: str | None = None
    previous: str = ""


def scan(files: Sequence[str]) -> tuple[dict[str, FileHead], list[str]]:
    """Read every file through: each file's head (its Format_desc and Previous_gtids) and
    notes on an unfinished tail; BinlogReadError on damage or a file that is not ours."""
    heads: dict[str, FileHead] = {}
    notes = []
    for i, path in enumerate(files):
        end = fmt.FileEnd()
        head = heads[os.path.basename(path)] = FileHead()
        try:
            for e in fmt.read_events(path, 0, end):
                if e.kind == EventType.FORMAT_DESC and not head.end:
                    desc = e.fields[0] if e.fields and isinstance(e.fields[0], dict) else {}
                    head.ts, head.end = e.ts, e.end
                    head.version = str(desc.get("server_version", "?"))
                    head.uuid = desc.get("uuid")
                elif e.kind == EventType.PREVIOUS_GTIDS and not head.previous:
                    head.previous = str(e.fields[0]) if e.fields else ""
        except fmt.BinlogFormatError as exc:
            raise ev.BinlogReadError(str(exc)) from None
        except OSError as exc:
            raise ev.BinlogReadError(f"{path}: cannot be read ({exc.strerror or exc})"
                                     ) from None
        if not head.end and not end.problem:
            raise ev.BinlogReadError(f"{path} has no Format_desc event: not a binlog file "
                                     "of ours")
        if not end.problem:
            continue
        last = i == len(files) - 1
        if last and end.problem.startswith(_TAIL_PROBLEMS):
            notes.append(f"{os.path.basename(path)} ends at position {end.pos} in a "
                         f"transaction not finished ({end.problem}): it is not printed")
            continue
        raise ev.BinlogReadError(f"binary log {path} is damaged at position {end.pos}: "
                                 f"{end.problem}")
    return heads, notes


def write_sql(sources: Sequence[str], out: TextIO, *, start_datetime: str | None = None,
              stop_datetime: str | None = None, start_position: str | None = None,
              stop_position: str | None = None, include_gtids: str | None = None,
              exclude_gtids: str | None = None, database: str | None = None,
              verbose: bool = False,
              progress: Callable[[int, int], None] | None = None) -> BinlogSqlSummary:
    """Write the selected transactions of `sources` (data directories or binlog files) to
    `out`; option errors (1525, 1210, 1772) and unreadable files (1877) are raised before
    anything is written."""
    files = ev.expand(sources)
    heads, notes = scan(files)
    uuid = heads[os.path.basename(files[0])].uuid if files else None
    sel = options.selection(files, uuid, start_datetime=start_datetime,
                            stop_datetime=stop_datetime, start_position=start_position,
                            stop_position=stop_position, include_gtids=include_gtids,
                            exclude_gtids=exclude_gtids, database=database)
    summary = BinlogSqlSummary(files=list(files), notes=notes)
    sizes = {os.path.basename(f): os.path.getsize(f) for f in files}
    before = {}
    acc = 0
    for f in files:
        before[os.path.basename(f)] = acc
        acc += sizes[os.path.basename(f)]
    total = acc
    out.write(_head(files, uuid, verbose))
    current = None
    for t in sel.apply(ev.transactions(files), files):
        if t.file != current:
            current = t.file
            out.write(_file_head(t.file, heads.get(t.file, FileHead())))
        out.write(render(t, verbose))
        out.write("\n")
        summary.transactions += 1
        summary.rows += t.row_count()
        summary.ddl += t.ddl is not None
        if progress is not None:
            progress(before.get(t.file, 0) + t.end, total)
    for note in notes:
        out.write(f"# NOTE: {comment_text(note)}\n")
    out.write(f"# End of log: {summary.transactions} transaction(s) printed\n")
    return summary


def _head(files: Sequence[str], uuid: str | None, verbose: bool) -> str:
    names = ", ".join(os.path.basename(f) for f in files)
    where = os.path.dirname(os.path.abspath(files[0])) if files else ""
    return ("# KintsugiDB binlog: replayable SQL (`kintsugi binlog ... | kintsugi sql DIR`)\n"
            f"# Files: {comment_text(names)} in {comment_text(where)}\n"
            f"# Server uuid: {uuid or '?'}"
            f"{'  (-v: row images as ### comments)' if verbose else ''}\n"
            "# The GTIDs are comments: the database that replays this gives each transaction "
            "its own next GTID\n# (SET @@SESSION.GTID_NEXT is not supported).\n\n")


def _file_head(name: str, head: FileHead) -> str:
    when = f"{stamp(head.ts)} server id 1  end_log_pos {head.end} \tStart: " if head.end \
        else "# Start: "
    return (f"# at {len(fmt.MAGIC)}\n{when}binlog {comment_text(name)}, server v "
            f"{comment_text(head.version)}\n"
            f"# Previous-GTIDs: {comment_text(head.previous or '(none)')}\n\n")
