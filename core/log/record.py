"""Redo-record framing and bodies.

A frame is `length u32 | crc32c u32 | lsn u64 | synced u64 | body`, little-endian.  The CRC
covers the LSNs and the body, so a record copied to the wrong place, or a stale record left
in a recycled segment, fails either its CRC or the check that its LSN equals its offset in
the log stream.  `synced` is the LSN up to which the log was already durable when the record
was framed: a damaged record followed by a valid one whose `synced` lies past it had been
made durable, so the damage is corruption, not a torn write of the last, unacknowledged
group commit (whose records all carry a `synced` at or below their own LSN).

Bodies are msgpack arrays whose first element is the record type.  Row changes travel in
`ROWS` records that carry many `(space, key, value)` operations at once (value `None` is a
delete): one msgpack call and one CRC per batch instead of per row is what lets a bulk load
log a million rows in well under a second.  Each operation is still a full after-image, so
replay stays idempotent.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from enum import IntEnum

import msgpack
from crc32c import crc32c

HEADER = struct.Struct("<IIQQ")
HEADER_SIZE = HEADER.size
_LSNS = struct.Struct("<QQ")

# Records larger than this are refused: it bounds what a torn length field can make us read.
MAX_BODY = 256 * 1024 * 1024
# ROWS records are cut at about this many bytes of payload.
ROWS_CHUNK_BYTES = 1 << 20


class RecordType(IntEnum):
    ROWS = 1  # [1, trx, [[space, key, value|None], ...]]
    COMMIT = 2  # [2, trx, unix_ts]
    ABORT = 3  # [3, trx]
    FILE_CREATE = 4  # [4, trx, space, path, header_dict]
    FILE_RENAME = 5  # [5, trx, space, old_path, new_path]
    FILE_DELETE = 6  # [6, trx, space, path]
    DDL = 7  # [7, trx, job_id, step]
    CHECKPOINT = 8  # [8, lsn]
    SHUTDOWN = 9  # [9]
    ROWS_COMMIT = 10  # [10, trx, [[space, key, value|None], ...], unix_ts]: a whole small txn
    BINLOG = 11  # [11, trx, events]: the transaction's binary-log events (core.log.binlog)


_packb = msgpack.Packer(use_bin_type=True).pack


def frame(lsn: int, body: bytes, synced: int = 0) -> bytes:
    """Frame one body at `lsn`; `synced` is the log's durable LSN when it was framed."""
    crc = crc32c(body, crc32c(_LSNS.pack(lsn, synced)))
    return HEADER.pack(len(body), crc, lsn, synced) + body


def frame_synced(buf, offset: int) -> int:
    """The `synced` field of the (valid) frame at `offset`."""
    return HEADER.unpack_from(buf, offset)[3]


def check_frame(buf, offset: int, expected_lsn: int) -> tuple[int, str]:
    """Validate the frame at `offset`; return (body_length, "") or (-1, reason)."""
    if len(buf) - offset < HEADER_SIZE:
        return -1, "short header"
    length, crc, lsn, synced = HEADER.unpack_from(buf, offset)
    if length == 0 and crc == 0 and lsn == 0:
        return -1, "zero header"
    if length == 0 or length > MAX_BODY:
        return -1, f"invalid record length {length}"
    if lsn != expected_lsn:
        return -1, f"record says lsn {lsn}"
    end = offset + HEADER_SIZE + length
    if end > len(buf):
        return -1, f"wanted {length} bytes, got {len(buf) - offset - HEADER_SIZE}"
    body = memoryview(buf)[offset + HEADER_SIZE : end]
    if crc32c(body, crc32c(_LSNS.pack(lsn, synced))) != crc:
        return -1, "checksum mismatch"
    return length, ""


def rows_bodies(trx_id: int, ops: Iterable[tuple[int, bytes, bytes | None]]) -> list[bytes]:
    """Encode row operations as ROWS bodies of about ROWS_CHUNK_BYTES each."""
    bodies: list[bytes] = []
    chunk: list = []
    size = 0
    for op in ops:
        chunk.append(op)
        size += len(op[1]) + (len(op[2]) if op[2] is not None else 0) + 8
        if size >= ROWS_CHUNK_BYTES:
            bodies.append(_packb([RecordType.ROWS, trx_id, chunk]))
            chunk = []
            size = 0
    if chunk:
        bodies.append(_packb([RecordType.ROWS, trx_id, chunk]))
    return bodies


def commit_bodies(trx_id: int, ops: Iterable[tuple[int, bytes, bytes | None]],
                  ts: float) -> list[bytes]:
    """The records of a COMMIT: a transaction whose operations fit in one chunk is logged as
    one ROWS_COMMIT record (one frame, one CRC); a larger one as ROWS chunks + COMMIT."""
    ops = list(ops)
    size = sum(len(op[1]) + (len(op[2]) if op[2] is not None else 0) + 8 for op in ops)
    if size < ROWS_CHUNK_BYTES:
        return [_packb([RecordType.ROWS_COMMIT, trx_id, ops, ts])]
    return rows_bodies(trx_id, ops) + [commit_body(trx_id, ts)]


def binlog_bodies(trx_id: int, events: bytes, chunk: int = ROWS_CHUNK_BYTES) -> list[bytes]:
    """A transaction's binlog events as BINLOG bodies, cut at event boundaries every
    `chunk` bytes or so (an event is never split: `core.log.binlog_format` frames them)."""
    if len(events) <= chunk:
        return [_packb([RecordType.BINLOG, trx_id, events])]
    from core.log.binlog_format import EVENT_HEADER, EVENT_HEADER_SIZE

    bodies = []
    start = pos = 0
    while pos < len(events):
        length = EVENT_HEADER.unpack_from(events, pos)[0]
        pos += EVENT_HEADER_SIZE + length
        if pos - start >= chunk:
            bodies.append(_packb([RecordType.BINLOG, trx_id, events[start:pos]]))
            start = pos
    if start < len(events):
        bodies.append(_packb([RecordType.BINLOG, trx_id, events[start:]]))
    return bodies


def commit_body(trx_id: int, ts: float) -> bytes:
    return _packb([RecordType.COMMIT, trx_id, ts])


def abort_body(trx_id: int) -> bytes:
    return _packb([RecordType.ABORT, trx_id])


def file_create_body(trx_id: int, space_id: int, path: str, header: dict) -> bytes:
    return _packb([RecordType.FILE_CREATE, trx_id, space_id, path, header])


def file_delete_body(trx_id: int, space_id: int, path: str) -> bytes:
    return _packb([RecordType.FILE_DELETE, trx_id, space_id, path])


def checkpoint_body(lsn: int) -> bytes:
    return _packb([RecordType.CHECKPOINT, lsn])


def shutdown_body() -> bytes:
    return _packb([RecordType.SHUTDOWN])


def decode_body(body) -> list:
    return msgpack.unpackb(body, raw=False, use_list=True, strict_map_key=False)
