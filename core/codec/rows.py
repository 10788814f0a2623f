"""Row values: a msgpack array of column values guarded by a CRC32C.

On-disk layout of one row value: a single msgpack array with one item per column, in
column-id order, plus one last item, a msgpack uint32 (marker byte 0xce + 4 bytes) whose 4
bytes are the CRC32C of everything before them, little-endian::

    | array header (n+1) | col 1 | ... | col n | 0xce | crc32c(all of the above), LE |

Why this shape: a CRC32C over data followed by its own CRC in little-endian gives a fixed
residue (0x48674BC7), so a whole value is verified by one C call over the buffer as it
comes from LMDB, with no slicing, and the same buffer is then decoded by one `unpackb` (the
checksum comes out as the last list item and is popped).  A full scan pays one CRC call, one
unpackb and one pop per row: that is what keeps SQL scans close to a bare LMDB loop.

msgpack handles None, bool, int (up to 64 bits), float, str and bytes natively; other SQL
values use extension types with compact fixed layouts so that decoding is a single C call:

====  ==========  ================================================================
code  type        payload
====  ==========  ================================================================
1     Decimal     ``str(d)`` in ASCII (exact, keeps the exponent)
2     date        ``>HBB``      year, month, day
3     datetime    ``>HBBBBB``   (no microseconds) or ``>HBBBBBI`` (with) -- naive only
4     time        ``>BBB``      (no microseconds) or ``>BBBI``     (with) -- naive only
5     timedelta   ``>iii``      days, seconds, microseconds (Python's normal form)
6     ENUM value  ``>H`` index, then the member's UTF-8 text (`core.codec.members`)
7     SET value   ``>Q`` bitmask, then the members' UTF-8 text, comma-separated
====  ==========  ================================================================

The packer runs with ``strict_types``, so that a subclass of str (an ENUM or SET value)
reaches ``default=`` instead of being packed as a plain string; other subclasses of the
native types are packed as their base type there.

Any damage -- checksum mismatch, short buffer, undecodable payload -- raises
:class:`core.errors.CorruptionError` naming the table and the key; damaged data is never
returned.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import struct
import threading
from collections.abc import Sequence
from typing import Any

import msgpack
from crc32c import crc32c

from core.codec.members import EnumValue, SetValue
from core.errors import CorruptionError, DataError

__all__ = [
    "CRC_RESIDUE", "ROW_TRAILER_SIZE", "corrupt_row", "decode_row", "decode_rows",
    "decode_values", "encode_row", "row_damage", "row_decoder",
]

ROW_TRAILER_SIZE = 5  # 0xce + the 4 CRC bytes at the end of every row value
CRC_RESIDUE = 0x48674BC7  # crc32c(data + crc32c(data) as 4 little-endian bytes)
_CRC_SLOT = 0xFFFFFFFF  # packs as 0xce + 4 bytes, the place the CRC is written into

EXT_DECIMAL = 1
EXT_DATE = 2
EXT_DATETIME = 3
EXT_TIME = 4
EXT_TIMEDELTA = 5
EXT_ENUM = 6
EXT_SET = 7

_CRC = struct.Struct(">I")
_DATE = struct.Struct(">HBB")
_DATETIME = struct.Struct(">HBBBBB")
_DATETIME_US = struct.Struct(">HBBBBBI")
_TIME = struct.Struct(">BBB")
_TIME_US = struct.Struct(">BBBI")
_TIMEDELTA = struct.Struct(">iii")
_ENUM = struct.Struct(">H")
_SET = struct.Struct(">Q")
_MAX_KEY_HEX = 128  # bytes of the key shown in error messages

_ExtType = msgpack.ExtType
_Decimal = _decimal.Decimal
_date = _dt.date
_datetime = _dt.datetime
_time = _dt.time
_timedelta = _dt.timedelta


def _default(obj: Any) -> msgpack.ExtType:
    """msgpack ``default=`` hook for the non-native SQL types."""
    cls = type(obj)
    if cls is _Decimal or isinstance(obj, _Decimal):
        return _ExtType(EXT_DECIMAL, str(obj).encode("ascii"))
    if isinstance(obj, _datetime):  # before date: datetime is a date subclass
        if obj.tzinfo is not None:
            raise DataError(f"Timezone-aware datetime {obj} cannot be stored")
        if obj.microsecond:
            data = _DATETIME_US.pack(
                obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second, obj.microsecond
            )
        else:
            data = _DATETIME.pack(obj.year, obj.month, obj.day, obj.hour, obj.minute, obj.second)
        return _ExtType(EXT_DATETIME, data)
    if isinstance(obj, _date):
        return _ExtType(EXT_DATE, _DATE.pack(obj.year, obj.month, obj.day))
    if isinstance(obj, _time):
        if obj.tzinfo is not None:
            raise DataError(f"Timezone-aware time {obj} cannot be stored")
        if obj.microsecond:
            data = _TIME_US.pack(obj.hour, obj.minute, obj.second, obj.microsecond)
        else:
            data = _TIME.pack(obj.hour, obj.minute, obj.second)
        return _ExtType(EXT_TIME, data)
    if isinstance(obj, _timedelta):
        return _ExtType(EXT_TIMEDELTA, _TIMEDELTA.pack(obj.days, obj.seconds, obj.microseconds))
    if cls is EnumValue:
        return _ExtType(EXT_ENUM, _ENUM.pack(obj.number) + obj.encode("utf-8"))
    if cls is SetValue:
        return _ExtType(EXT_SET, _SET.pack(obj.number) + obj.encode("utf-8"))
    # strict_types hands over subclasses of the native types: stored as their base type
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        if cls is not int and -(1 << 63) <= obj < (1 << 64):
            return int(obj)
        # msgpack hands us ints it cannot represent
        raise DataError(f"Integer {obj} out of range for a row (-2**63 .. 2**64-1)")
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj)
    if isinstance(obj, (tuple, list)):
        return list(obj)
    raise DataError(f"Cannot store value of type {cls.__name__} in a row")


def _ext_hook(code: int, data: bytes) -> Any:
    """msgpack ``ext_hook=``; any exception here becomes a CorruptionError in decode_row."""
    if code == EXT_DECIMAL:
        return _Decimal(data.decode("ascii"))
    if code == EXT_DATETIME:
        if len(data) == 7:
            return _datetime(*_DATETIME.unpack(data))
        return _datetime(*_DATETIME_US.unpack(data))
    if code == EXT_DATE:
        return _date(*_DATE.unpack(data))
    if code == EXT_TIME:
        if len(data) == 3:
            return _time(*_TIME.unpack(data))
        return _time(*_TIME_US.unpack(data))
    if code == EXT_TIMEDELTA:
        return _timedelta(*_TIMEDELTA.unpack(data))
    if code == EXT_ENUM:
        return EnumValue(data[2:].decode("utf-8"), _ENUM.unpack_from(data)[0])
    if code == EXT_SET:
        return SetValue(data[8:].decode("utf-8"), _SET.unpack_from(data)[0])
    raise ValueError(f"unknown msgpack extension type {code}")


# A Packer keeps an internal buffer, and ``default=`` runs Python code in the middle of a pack
# (so the GIL can switch threads there); one Packer per thread keeps encode_row thread-safe
# while still avoiding packb's per-call Packer construction (~2x slower for small rows).
_local = threading.local()


def _new_packer() -> msgpack.Packer:
    packer = msgpack.Packer(default=_default, use_bin_type=True, autoreset=True,
                            strict_types=True)
    _local.packer = packer
    return packer


def encode_row(values: Sequence[Any]) -> bytes:
    """Encode one row (see the module docstring for the layout).

    Raises DataError for values that cannot be stored (unsupported type, int outside
    -2**63 .. 2**64-1, timezone-aware datetime/time).
    """
    try:
        packer = _local.packer
    except AttributeError:
        packer = _new_packer()
    values = list(values)
    values.append(_CRC_SLOT)
    try:
        packed = packer.pack(values)
    except (OverflowError, TypeError, ValueError) as exc:
        packer.reset()
        raise DataError(f"Cannot encode row: {exc}") from None
    except BaseException:
        packer.reset()
        raise
    data = packed[:-4]
    return data + crc32c(data).to_bytes(4, "little")


def _describe_key(key: bytes | memoryview) -> str:
    raw = bytes(key)
    if len(raw) > _MAX_KEY_HEX:
        return raw[:_MAX_KEY_HEX].hex() + "..."
    return raw.hex() or "(empty)"


def _corrupt(table: str, key: bytes | memoryview, problem: str) -> CorruptionError:
    """The error for one damaged row; it carries the table name and the row key as
    attributes (`table`, `key`), so the session can flag the table (core.check.flags)."""
    err = CorruptionError(f"Row in table '{table}' at key {_describe_key(key)}: {problem}")
    err.table = table
    err.key = bytes(key)
    err.problem = problem
    return err


corrupt_row = _corrupt  # for readers that inline the decoding and find damage themselves


def decode_row(buf: bytes | memoryview, *, table: str = "?", key: bytes = b"") -> list[Any]:
    """Verify the checksum and decode one row value into its list of column values.

    ``table`` and ``key`` are only used in the CorruptionError message raised for a checksum
    mismatch, a buffer too short to hold a row, or a payload that is not a msgpack array.
    """
    if crc32c(buf) != CRC_RESIDUE:
        raise row_damage(buf, table, key)
    try:
        row = _unpackb(buf, ext_hook=_ext_hook)
    except Exception as exc:  # any decode failure of checksummed data is damage
        raise _corrupt(table, key, f"undecodable row payload ({exc})") from exc
    if type(row) is not list or not row:
        raise _corrupt(table, key, f"row payload is a {type(row).__name__}, not an array")
    row.pop()
    return row


_unpackb = msgpack.unpackb


def row_damage(buf, table: str, key: bytes) -> CorruptionError:
    """The error for a value that failed its checksum, with the stored and computed CRCs."""
    if len(buf) <= ROW_TRAILER_SIZE:
        return _corrupt(table, key, f"row value truncated to {len(buf)} bytes")
    stored = int.from_bytes(bytes(buf[-4:]), "little")
    computed = crc32c(bytes(buf[:-4]))
    return _corrupt(
        table, key, f"checksum mismatch (stored 0x{stored:08x}, computed 0x{computed:08x})"
    )


def decode_rows(pairs, table: str = "?", on_damage=None):
    """Decode a stream of (key, row value) pairs, yielding each row's values: decode_row
    inlined into one generator, which is what a full scan should use.

    A damaged row raises its CorruptionError, or, given `on_damage(key, error)`, is handed
    to it and left out (a forced open's salvage; it may raise to stop).  The callback is
    only consulted on damage, so a sound table pays nothing for it."""
    crc, residue, unpackb, hook = crc32c, CRC_RESIDUE, _unpackb, _ext_hook
    for k, v in pairs:
        if crc(v) != residue:
            err = row_damage(v, table, k)
            if on_damage is None:
                raise err
            on_damage(k, err)
            continue
        try:  # free in CPython >= 3.11 when nothing raises
            row = unpackb(v, ext_hook=hook)
            row.pop()
        except Exception as exc:  # checksummed but undecodable: damage all the same
            err = _corrupt(table, k, f"undecodable row payload ({exc})")
            if on_damage is None:
                raise err from exc
            on_damage(k, err)
            continue
        yield row


def decode_values(values, table: str = "?"):
    """Like `decode_rows` for a stream of row values without their keys (a values-only
    scan); a damaged row is reported without its key."""
    crc, residue, unpackb, hook = crc32c, CRC_RESIDUE, _unpackb, _ext_hook
    for v in values:
        if crc(v) != residue:
            raise row_damage(v, table, b"")
        row = unpackb(v, ext_hook=hook)
        row.pop()
        yield row


def row_decoder():
    """(crc32c, residue, unpackb, ext_hook) for loops that inline decode_row (full scans):
    `if crc(v) != residue: raise row_damage(...)`, then `row = unpackb(v, ext_hook=hook)`
    and `row.pop()`.  Keeping the per-row work inline saves a Python call per row."""
    return crc32c, CRC_RESIDUE, _unpackb, _ext_hook
