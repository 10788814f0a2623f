"""The binary log's bytes: file header, event framing, event bodies, reading a file back.

A binlog file is `MAGIC` (4 bytes, so the first event sits at position 4 as in MySQL)
followed by events.  An event is `length u32 | crc32c u32 | body`, little-endian; the body
is a msgpack array `[type, timestamp, ...]`.  An event's position is its byte offset, its
`End_log_pos` the offset just past it, so `SHOW BINLOG EVENTS`, `--start-position` and
`--stop-position` mean what they mean in MySQL.

Every file opens with `Format_desc` (server version, the database uuid, the file number)
and `Previous_gtids` (every GTID logged before this file, so the executed set is known from
the last file alone).  A transaction is `Gtid`, then either one `Query` holding a DDL
statement, or `Query BEGIN`, `Table_map` + row events per table, and `Xid`.  A rotated file
ends with `Rotate` naming the next one.  Row events carry the rows as the tablespace stores
them (a msgpack array + CRC32C) and the handle as its key encoding; `core.backup.events`
decodes them against the `Table_map`'s columns.

This module knows bytes only: no SQL, no codec.  The writer is `core.log.binlog`.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum

import msgpack
from crc32c import crc32c

from core.errors import OperationalError

MAGIC = b"\xfekbl"
FORMAT = 1
EVENT_HEADER = struct.Struct("<II")
EVENT_HEADER_SIZE = EVENT_HEADER.size
# Bounds what a torn length field can make a reader allocate.  An event travels inside a
# redo record (core.log.record.MAX_BODY, 256 MiB) before it reaches the file, so no event
# the engine can commit is larger; `frame` refuses one that is, so the writer never logs an
# event the readers would take for damage.
MAX_EVENT = 256 * 1024 * 1024
ROWS_EVENT_BYTES = 1 << 20  # row events are cut at about this many bytes of rows
SERVER_VERSION = "8.0.36-KintsugiDB"


class EventType(IntEnum):
    QUERY = 2
    STOP = 3
    ROTATE = 4
    FORMAT_DESC = 15
    XID = 16
    TABLE_MAP = 19
    WRITE_ROWS = 30
    UPDATE_ROWS = 31
    DELETE_ROWS = 32
    GTID = 33
    PREVIOUS_GTIDS = 35


# What SHOW BINLOG EVENTS calls them (MySQL 8's Event_type column).
EVENT_NAMES = {
    EventType.QUERY: "Query", EventType.STOP: "Stop", EventType.ROTATE: "Rotate",
    EventType.FORMAT_DESC: "Format_desc", EventType.XID: "Xid",
    EventType.TABLE_MAP: "Table_map", EventType.WRITE_ROWS: "Write_rows",
    EventType.UPDATE_ROWS: "Update_rows", EventType.DELETE_ROWS: "Delete_rows",
    EventType.GTID: "Gtid", EventType.PREVIOUS_GTIDS: "Previous_gtids",
}

_packb = msgpack.Packer(use_bin_type=True).pack


def frame(body: bytes) -> bytes:
    if len(body) > MAX_EVENT:
        raise _too_large(len(body))
    return EVENT_HEADER.pack(len(body), crc32c(body)) + body


def event(kind: EventType, ts: float, *fields) -> bytes:
    """One framed event."""
    return frame(_packb([int(kind), ts, *fields]))


# -- the events of a file's head and of a transaction ---------------------------------------


def format_desc(ts: float, uuid: str, file_seq: int) -> bytes:
    return event(EventType.FORMAT_DESC, ts, {"server_version": SERVER_VERSION,
                                             "format": FORMAT, "uuid": uuid, "file": file_seq})


def previous_gtids(ts: float, gtid_set: str) -> bytes:
    return event(EventType.PREVIOUS_GTIDS, ts, gtid_set)


def gtid(ts: float, uuid: str, seq: int, trx_id: int) -> bytes:
    return event(EventType.GTID, ts, uuid, seq, trx_id)


def query(ts: float, db: str | None, sql: str) -> bytes:
    return event(EventType.QUERY, ts, db, sql)


def table_map(ts: float, map_id: int, db: str, table: str, columns: list, handle: dict
              ) -> bytes:
    """`columns`: [[name, type text], ...] in stored order; `handle`: how a row's handle is
    made ({"kind": "int"|"clustered"|"rowid", "columns": [names]})."""
    return event(EventType.TABLE_MAP, ts, map_id, db, table, columns, handle)


def table_map_tail(map_id: int, db: str, table: str, columns: list, handle: dict) -> bytes:
    """A Table_map's fields after its timestamp, packed once per table version: a commit
    then frames `table_map_packed(ts, tail)` without packing the column list again."""
    return b"".join(_packb(x) for x in (map_id, db, table, columns, handle))


def table_map_packed(ts: float, tail: bytes) -> bytes:
    """The same bytes as `table_map(ts, ...)` (a msgpack array of 7 is its fixarray head
    and its elements' packings, one after the other)."""
    return frame(b"\x97" + _TABLE_MAP_KIND + _packb(ts) + tail)


_TABLE_MAP_KIND = _packb(int(EventType.TABLE_MAP))


def rows(kind: EventType, ts: float, map_id: int, items: list) -> bytes:
    """WRITE_ROWS items: [handle, after]; UPDATE_ROWS: [handle, before, after];
    DELETE_ROWS: [handle, before] (row values as stored, handles as key bytes)."""
    return event(kind, ts, map_id, items)


def xid(ts: float, trx_id: int) -> bytes:
    return event(EventType.XID, ts, trx_id)


def rotate(ts: float, next_file: str) -> bytes:
    return event(EventType.ROTATE, ts, next_file)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    pos: int  # offset of the event in its file
    end: int  # offset just past it (MySQL's End_log_pos)
    kind: int
    ts: float
    fields: list  # the body after [type, ts]

    @property
    def name(self) -> str:
        try:
            return EVENT_NAMES[EventType(self.kind)]
        except ValueError:
            return f"Unknown({self.kind})"


@dataclass
class FileEnd:
    """Where reading a file stopped: `pos` past the last whole event; `problem` says why
    it stopped before the file's end ("" when it read every byte)."""

    pos: int = len(MAGIC)
    size: int = 0
    problem: str = ""


class BinlogFormatError(ValueError):
    """A file that is not a binlog file of ours (no magic, a foreign format)."""


def read_events(path: str, start: int = 0, end_out: FileEnd | None = None
                ) -> Iterator[Event]:
    """The whole events of the file at `path`, from `start` (0: from the first).  Stops at
    the first event that is short, too long or fails its CRC; `end_out` learns where and
    why.  Raises BinlogFormatError when the file does not start with the magic."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:len(MAGIC)] != MAGIC:
        raise BinlogFormatError(
            f"{path} is not a KintsugiDB binary log file (it does not start with the "
            "binlog magic bytes)")
    pos = max(start, len(MAGIC))
    end = end_out if end_out is not None else FileEnd()
    end.size = len(data)
    while pos < len(data):
        if len(data) - pos < EVENT_HEADER_SIZE:
            end.problem = f"a short event header at position {pos}"
            break
        length, crc = EVENT_HEADER.unpack_from(data, pos)
        if length == 0 or length > MAX_EVENT:
            end.problem = f"an invalid event length {length} at position {pos}"
            break
        stop = pos + EVENT_HEADER_SIZE + length
        if stop > len(data):
            end.problem = (f"an event at position {pos} wants {length} bytes, the file holds "
                           f"{len(data) - pos - EVENT_HEADER_SIZE}")
            break
        body = memoryview(data)[pos + EVENT_HEADER_SIZE:stop]
        if crc32c(body) != crc:
            end.problem = f"a checksum mismatch in the event at position {pos}"
            break
        try:
            rec = msgpack.unpackb(body, raw=False, use_list=True, strict_map_key=False)
            kind, ts, fields = rec[0], rec[1], rec[2:]
        except Exception:  # noqa: BLE001 - a CRC-valid frame that is not ours
            end.problem = f"an undecodable event at position {pos}"
            break
        end.pos = stop
        yield Event(pos, stop, kind, ts, fields)
        pos = stop
    else:
        end.pos = pos


def transaction_ends(path: str) -> tuple[int, FileEnd, list[Event]]:
    """The offset just past the last *complete* transaction in the file (or past the head
    events), where reading stopped, and the complete transactions' GTID events.  What lies
    between that offset and the end is a torn tail a crash left: the writer truncates it
    (the redo log still has those transactions, `core.log.binlog` writes them again)."""
    end = FileEnd()
    good = len(MAGIC)
    gtids: list[Event] = []
    pending: Event | None = None  # the GTID event of a transaction not yet complete
    begun = False
    for ev in read_events(path, 0, end):
        k = ev.kind
        if k == EventType.GTID:
            pending, begun = ev, False
        elif pending is None:
            if k in (EventType.FORMAT_DESC, EventType.PREVIOUS_GTIDS, EventType.ROTATE,
                     EventType.STOP):
                good = ev.end
        elif k == EventType.QUERY and not begun:
            if ev.fields[1] == "BEGIN":
                begun = True
            else:  # a DDL statement: the whole transaction
                gtids.append(pending)
                pending = None
                good = ev.end
        elif k == EventType.XID:
            gtids.append(pending)
            pending = None
            good = ev.end
    return good, end, gtids


def file_head(path: str) -> tuple[dict, str]:
    """(Format_desc fields, Previous_gtids text) of a binlog file."""
    desc: dict = {}
    prev = ""
    for ev in read_events(path):
        if ev.kind == EventType.FORMAT_DESC:
            desc = ev.fields[0]
        elif ev.kind == EventType.PREVIOUS_GTIDS:
            prev = ev.fields[0]
            break
        else:
            break
    if not desc:
        raise BinlogFormatError(f"{path} has no Format_desc event: not a binlog file of ours")
    return desc, prev


def _too_large(size: int) -> Exception:
    return OperationalError(
        f"Multi-statement transaction required more than 'max_binlog_cache_size' bytes of "
        f"storage: a binary log event of {size} bytes is over the {MAX_EVENT}-byte limit; "
        "split the change into smaller rows or statements", errno=1197)


_KNOWN_KINDS = frozenset(int(k) for k in EventType)


@dataclass
class FileScan:
    """What `scan_file` learned of a file: `good` is just past the last whole transaction
    (or the head events), `gtids` the (uuid, seq) of the whole transactions, `last_kind`
    the type of the last event before `good`; `stop` is where reading stopped and `problem`
    why ("" when it read every byte); `resync` the position of an intact event found after
    `stop` (None: nothing intact follows, the damage is a tail)."""

    size: int = 0
    good: int = len(MAGIC)
    stop: int = len(MAGIC)
    problem: str = ""
    previous: str = ""
    desc: dict | None = None
    gtids: list = None  # type: ignore[assignment]
    last_kind: int = -1
    resync: int | None = None
    cut_gtids: list = None  # type: ignore[assignment]


def scan_file(path: str) -> FileScan:
    """The fast walk of a whole file the open needs: every frame's CRC is checked, only the
    events that delimit transactions are decoded (the row events, most of the bytes, are
    recognised by the type in their body's second byte).  When it stops early it looks for
    an intact frame further on, which tells damage in the middle from a torn tail."""
    import mmap

    out = FileScan(gtids=[], cut_gtids=[])
    with open(path, "rb") as f:
        size = out.size = os.fstat(f.fileno()).st_size
        if size < len(MAGIC):
            data: bytes | mmap.mmap = f.read()
        else:
            data = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
    try:
        if data[:len(MAGIC)] != MAGIC:
            raise BinlogFormatError(
                f"{path} is not a KintsugiDB binary log file (it does not start with the "
                "binlog magic bytes)")
        _walk(data, out)
        if out.problem:
            out.resync = _resync(data, out.stop + 1)
    finally:
        if not isinstance(data, bytes):
            data.close()
    return out


# plain ints: the walk compares every event's type, IntEnum comparisons cost
_GTID, _QUERY, _XID = int(EventType.GTID), int(EventType.QUERY), int(EventType.XID)
_FORMAT_DESC, _PREVIOUS_GTIDS = int(EventType.FORMAT_DESC), int(EventType.PREVIOUS_GTIDS)
_HEAD_KINDS = frozenset(int(k) for k in (EventType.FORMAT_DESC, EventType.PREVIOUS_GTIDS,
                                         EventType.ROTATE, EventType.STOP))
# the events whose type in the body's second byte is all the walk needs (rows, most of
# the bytes; an Xid inside a transaction)
_UNDECODED = frozenset(int(k) for k in (EventType.WRITE_ROWS, EventType.UPDATE_ROWS,
                                        EventType.DELETE_ROWS, EventType.TABLE_MAP,
                                        EventType.XID))


def _walk(data, out: FileScan) -> None:
    view = memoryview(data)
    try:
        pos = len(MAGIC)
        size = len(data)
        head = EVENT_HEADER_SIZE
        pending = None
        begun = False
        unpack = msgpack.unpackb
        while pos < size:
            if size - pos < head:
                out.problem = f"a short event header at position {pos}"
                break
            length, crc = EVENT_HEADER.unpack_from(data, pos)
            stop = pos + head + length
            if length < 2 or length > MAX_EVENT:
                out.problem = f"an invalid event length {length} at position {pos}"
                break
            if stop > size:
                out.problem = (f"an event at position {pos} wants {length} bytes, the file "
                               f"holds {size - pos - head}")
                break
            body = view[pos + head:stop]
            if crc32c(body) != crc:
                out.problem = f"a checksum mismatch in the event at position {pos}"
                break
            kind = body[1] if 0x92 <= body[0] <= 0x9F and body[1] < 0x80 else -1
            rec = None
            if kind not in _UNDECODED:
                try:
                    rec = unpack(body, raw=False, strict_map_key=False)
                    kind = int(rec[0])
                except Exception:  # noqa: BLE001 - a CRC-valid frame that is not ours
                    out.problem = f"an undecodable event at position {pos}"
                    break
            if kind == _GTID:
                pending, begun = (str(rec[2]), int(rec[3])), False
                out.cut_gtids = [pending]
            elif pending is None:
                if kind == _FORMAT_DESC and out.desc is None:
                    out.desc = rec[2]
                elif kind == _PREVIOUS_GTIDS and not out.previous:
                    out.previous = rec[2]
                if kind in _HEAD_KINDS:
                    out.good, out.last_kind = stop, kind
            elif kind == _QUERY and not begun:
                if rec[3] == "BEGIN":
                    begun = True
                else:
                    out.gtids.append(pending)
                    pending, out.good, out.last_kind, out.cut_gtids = None, stop, kind, []
            elif kind == _XID:
                out.gtids.append(pending)
                pending, out.good, out.last_kind, out.cut_gtids = None, stop, kind, []
            pos = stop
        out.stop = pos
    finally:
        view.release()


def _resync(data, start: int) -> int | None:
    """The position of the first intact event frame at or after `start`: a length that fits
    the file, a msgpack array body whose type is one of ours, and a matching CRC."""
    size = len(data)
    head = EVENT_HEADER_SIZE
    view = memoryview(data)
    try:
        for m in _FRAME_START.finditer(data, start + head):
            pos = m.start() - head
            length, crc = EVENT_HEADER.unpack_from(data, pos)
            if length < 2 or length > MAX_EVENT or pos + head + length > size:
                continue
            if crc32c(view[pos + head:pos + head + length]) == crc:
                return pos
        return None
    finally:
        view.release()


# an event body's first two bytes: a msgpack fixarray of 2..15, then one of our types
_FRAME_START = re.compile(
    b"[\x92-\x9f][" + b"".join(b"\\x%02x" % k for k in sorted(_KNOWN_KINDS)) + b"]")


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
