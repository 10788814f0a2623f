"""The control file: two alternating slots, each with a CRC.

A checkpoint writes the slot that is not the newest, then fsyncs.  A crash in the middle of
that write leaves the other slot intact, so reading takes the valid slot with the higher
sequence number and never sees a half-written checkpoint.
"""

from __future__ import annotations

import os
import struct
from dataclasses import asdict, dataclass, field

import msgpack
from crc32c import crc32c

from core.errors import CorruptionError

SLOT_SIZE = 4096
_SLOT_HDR = struct.Struct("<II")  # crc, length


@dataclass
class ControlData:
    uuid: bytes
    checkpoint_lsn: int
    clean_shutdown: bool
    next_trx_id: int = 1
    next_space_id: int = 1
    segment_size: int = 64 * 1024 * 1024
    format: int = 1
    seq: int = 0
    durable_lsn: int = 0  # the log was durable at least up to here when this was written
    extra: dict = field(default_factory=dict)
    # the newest redo segment number when this was written (0: not known, an older file).
    # Written at every segment switch, so a deleted newest segment is seen as damage.
    last_segment: int = 0


class ControlFile:
    def __init__(self, path: str):
        self.path = path
        self._seq = 0
        # slots (0, 1) that hold bytes but fail their CRC or decoding, found by `read`: a
        # slot never written is zeros and is not damaged
        self.damaged_slots: tuple[int, ...] = ()

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def read(self) -> ControlData:
        with open(self.path, "rb") as f:
            raw = f.read(2 * SLOT_SIZE)
        best: ControlData | None = None
        damaged = []
        for slot in (0, 1):
            part = raw[slot * SLOT_SIZE : (slot + 1) * SLOT_SIZE]
            data = _decode_slot(part)
            if data is None and part.strip(b"\0"):
                damaged.append(slot)
            if data is not None and (best is None or data.seq > best.seq):
                best = data
        self.damaged_slots = tuple(damaged)
        if best is None:
            raise CorruptionError(
                f"control file {self.path}: both slots are damaged; force_recovery = 6 "
                "opens the database read-only from its tablespaces as they are (no redo "
                "applied), so that it can be dumped")
        self._seq = best.seq
        return best

    def write(self, data: ControlData) -> None:
        self._seq += 1
        data.seq = self._seq
        payload = msgpack.packb(asdict(data), use_bin_type=True)
        if len(payload) > SLOT_SIZE - _SLOT_HDR.size:
            raise CorruptionError("control data does not fit in a slot")
        slot = _SLOT_HDR.pack(crc32c(payload), len(payload)) + payload
        slot = slot.ljust(SLOT_SIZE, b"\0")
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(self.path, flags, 0o600)
        try:
            if os.fstat(fd).st_size < 2 * SLOT_SIZE:
                os.pwrite(fd, bytes(2 * SLOT_SIZE), 0)
            os.pwrite(fd, slot, (data.seq % 2) * SLOT_SIZE)
            os.fsync(fd)
        finally:
            os.close(fd)


def _decode_slot(raw: bytes) -> ControlData | None:
    if len(raw) < _SLOT_HDR.size:
        return None
    crc, length = _SLOT_HDR.unpack_from(raw)
    if length == 0 or length > SLOT_SIZE - _SLOT_HDR.size:
        return None
    payload = raw[_SLOT_HDR.size : _SLOT_HDR.size + length]
    if crc32c(payload) != crc:
        return None
    try:
        fields = msgpack.unpackb(payload, raw=False)
        return ControlData(**fields)
    except (ValueError, TypeError, msgpack.UnpackException):
        return None
