"""Memcomparable key encoding, after TiDB's ``pkg/util/codec`` and ``pkg/tablecodec``.

LMDB orders keys by plain ``memcmp``.  Every key this module produces is built so that comparing
the bytes gives the same answer as comparing the SQL values they encode; that is what lets a
range scan over an index or a primary key be a single cursor walk with no decoding.

Key layout (identical in shape to TiDB's)::

    row key    b"t" + encode_int(table_id) + b"_r" + handle
    index key  b"t" + encode_int(table_id) + b"_i" + encode_int(index_id)
                    + encode_values(values) [+ handle datum, non-unique indexes only]

``encode_int`` is the flag-less 8-byte form (big-endian, sign bit flipped), so all keys of one
table share the 9-byte prefix ``b"t" + encode_int(table_id)`` and tables sort by id.

An int handle is ``encode_int(handle)`` in a row key (8 bytes, no flag) and an INT datum (flag
byte + 8 bytes) at the end of an index key, exactly as TiDB does.  A clustered (common) handle
is already ``encode_values(pk_values)`` and is appended unchanged in both places.

Datum encoding (``encode_values``): each value is one flag byte followed by a body whose byte
order equals value order within that flag.  NULL has the smallest flag, so NULL sorts first.
Bodies are self-delimiting, so the encoding of a tuple is the concatenation of its values and
tuples compare lexicographically, and the encoding of ``(a,)`` is a prefix of ``(a, b)`` --
which is what index range scans on a leading column rely on.  Values of different flags are
ordered by flag only; the SQL layer must coerce values to the column type before encoding.

=====  ===========  ==================================================================
flag   type         body
=====  ===========  ==================================================================
0      NULL         (empty)
1      bytes        group-encoded (TiDB ``EncodeBytes``)
3      int / bool   8 bytes big-endian, sign bit flipped (-2**63 .. 2**63-1)
4      int >= 2**63 8 bytes big-endian (up to 2**64-1; every uint sorts above every int)
5      float        IEEE-754 double, sign bit flipped (positive) or all bits flipped
6      Decimal      class byte, biased exponent, one byte per digit, terminator
7      timedelta    signed microseconds, 8 bytes, sign bit flipped
11     str          UTF-8, group-encoded like bytes (UTF-8 byte order == code point order)
12     date         4-byte proleptic ordinal
13     datetime     8-byte microseconds since proleptic ordinal day 0 (naive only)
14     time         8-byte microseconds since midnight (naive only)
250    (max)        never produced by a value; ``MAX_FLAG`` is an upper sentinel for scans
=====  ===========  ==================================================================

Flags 0-7 and 250 keep TiDB's numbers; TiDB has no separate str/date/datetime/time flags
(it relies on column metadata), so those take fresh numbers above TiDB's.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import struct
from collections.abc import Callable, Sequence
from typing import Any

from core.codec.members import EnumValue, SetValue
from core.errors import CorruptionError, DataError

__all__ = [
    "BYTES_FLAG",
    "DATETIME_FLAG",
    "DATE_FLAG",
    "DECIMAL_FLAG",
    "DURATION_FLAG",
    "FLOAT_FLAG",
    "INT_FLAG",
    "MAX_FLAG",
    "NIL_FLAG",
    "STRING_FLAG",
    "TIME_FLAG",
    "UINT_FLAG",
    "decode_bytes",
    "decode_index_key",
    "decode_int",
    "decode_row_key",
    "decode_values",
    "encode_bytes",
    "encode_int",
    "encode_value",
    "encode_values",
    "index_key",
    "index_prefix",
    "prefix_next",
    "row_key",
    "row_prefix",
    "table_prefix",
]

NIL_FLAG = 0
BYTES_FLAG = 1
INT_FLAG = 3
UINT_FLAG = 4
FLOAT_FLAG = 5
DECIMAL_FLAG = 6
DURATION_FLAG = 7
STRING_FLAG = 11
DATE_FLAG = 12
DATETIME_FLAG = 13
TIME_FLAG = 14
MAX_FLAG = 250

_SIGN = 1 << 63  # adding this to an int64 == flipping its sign bit as a uint64
_U64_MAX = (1 << 64) - 1

_U64 = struct.Struct(">Q")
_U32 = struct.Struct(">I")
_FLAG_U64 = struct.Struct(">BQ")
_FLAG_U32 = struct.Struct(">BI")
_F64_BITS = struct.Struct(">d")
# b"t" + int + b"_r" + int in one C call: the hot path of every bulk load.
_ROW_KEY_INT = struct.Struct(">cQ2sQ")
_TABLE_TAG = struct.Struct(">cQ2s")
_INDEX_PREFIX = struct.Struct(">cQ2sQ")

_ROW_TAG = b"_r"
_INDEX_TAG = b"_i"
_PREFIX_LEN = 11  # b"t" + 8 + b"_r"/b"_i"

_NIL = bytes([NIL_FLAG])
_INT_FLAG_BYTE = bytes([INT_FLAG])
_STRING_FLAG_BYTE = bytes([STRING_FLAG])
_BYTES_FLAG_BYTE = bytes([BYTES_FLAG])
_BOOL = {False: _FLAG_U64.pack(INT_FLAG, _SIGN), True: _FLAG_U64.pack(INT_FLAG, _SIGN + 1)}


def _corrupt(what: str, buf: bytes | memoryview) -> CorruptionError:
    return CorruptionError(f"Malformed key encoding ({what}) in {bytes(buf)[:64].hex()}")


# --- fixed-width integers ----------------------------------------------------------------------


def encode_int(value: int) -> bytes:
    """8-byte memcomparable signed int64 (TiDB ``EncodeInt``): big-endian with the sign bit
    flipped, so negative numbers sort below positive ones under memcmp."""
    try:
        return _U64.pack(value + _SIGN)
    except struct.error:
        raise DataError(f"Integer {value} out of range for a 64-bit key") from None


def decode_int(buf: bytes | memoryview, pos: int = 0) -> int:
    """Inverse of :func:`encode_int` reading 8 bytes at ``pos``."""
    try:
        return _U64.unpack_from(buf, pos)[0] - _SIGN
    except struct.error:
        raise _corrupt("truncated int", buf) from None


# --- group-encoded byte strings ----------------------------------------------------------------

_GROUP = 8
_MARKER = 0xFF
# _TAIL[p] = p zero pad bytes + marker (255 - p): closes the last, partial group.
_TAIL = [b""] + [b"\x00" * p + bytes([_MARKER - p]) for p in range(1, _GROUP + 1)]
_FULL_MARK = bytes([_MARKER])
_SLICE_THRESHOLD = 128


def encode_bytes(data: bytes) -> bytes:
    """TiDB ``EncodeBytes``: 8-byte groups, each followed by a marker ``255 - padding``.

    The marker makes the encoding self-delimiting (so it can be followed by more columns) and
    keeps prefix order: ``b"ab"`` < ``b"ab\\x00"`` < ``b"abc"``, even though plain zero padding
    alone would make the first two equal.  A string whose length is a multiple of 8 gets one
    extra all-padding group.
    """
    n = len(data)
    if n < 8:
        return data + _TAIL[8 - n]
    # Unrolled for short values (names, e-mails, codes): they are the common case, and a
    # concatenation chain is ~2x faster than the loop below.
    if n < 16:
        return data[:8] + _FULL_MARK + data[8:] + _TAIL[16 - n]
    if n < 24:
        return data[:8] + _FULL_MARK + data[8:16] + _FULL_MARK + data[16:] + _TAIL[24 - n]
    full = n & ~7
    tail = data[full:] + _TAIL[_GROUP - (n - full)]
    if n < _SLICE_THRESHOLD:
        return b"".join([data[i : i + _GROUP] + _FULL_MARK for i in range(0, full, _GROUP)]) + tail
    # Long values: interleave the markers with 8 extended-slice copies instead of a Python
    # loop over every group (~6x faster for 2 KB strings).
    groups = full >> 3
    out = bytearray(9 * groups)
    for i in range(_GROUP):
        out[i::9] = data[i:full:_GROUP]
    out[8::9] = _FULL_MARK * groups
    return bytes(out) + tail


def decode_bytes(buf: bytes | memoryview, pos: int = 0) -> tuple[bytes, int]:
    """Inverse of :func:`encode_bytes`; returns ``(data, position after the encoding)``."""
    chunks = []
    end = len(buf)
    while True:
        if pos + 9 > end:
            raise _corrupt("truncated byte group", buf)
        marker = buf[pos + 8]
        if marker == _MARKER:
            chunks.append(buf[pos : pos + 8])
            pos += 9
            continue
        pad = _MARKER - marker
        if pad > _GROUP:
            raise _corrupt(f"bad group marker {marker}", buf)
        keep = _GROUP - pad
        if any(buf[pos + keep : pos + 8]):
            raise _corrupt("non-zero group padding", buf)
        chunks.append(buf[pos : pos + keep])
        return b"".join(chunks), pos + 9


# --- datum encoders ----------------------------------------------------------------------------


def _enc_int(v: int) -> bytes:
    try:
        return _FLAG_U64.pack(INT_FLAG, v + _SIGN)
    except struct.error:
        pass
    if _SIGN <= v <= _U64_MAX:
        return _FLAG_U64.pack(UINT_FLAG, v)
    raise DataError(f"Integer {v} out of range for an index key (-2**63 .. 2**64-1)")


def _enc_bool(v: bool) -> bytes:
    return _BOOL[v]


def _enc_float(v: float) -> bytes:
    if v != v:
        raise DataError("NaN cannot be stored in a key")
    bits = _U64.unpack(_F64_BITS.pack(v))[0]
    # Positive: set the sign bit so they sort above all negatives.  Negative: flip every bit,
    # which both clears the sign bit and reverses magnitude order.  Both zeros map to the
    # same bytes, since -0.0 == 0.0.
    bits = bits | _SIGN if v > 0 else bits ^ _U64_MAX if v < 0 else _SIGN
    return _FLAG_U64.pack(FLOAT_FLAG, bits)


def _enc_str(v: str) -> bytes:
    # surrogatepass keeps lone surrogates encodable and still in code point order.
    return _STRING_FLAG_BYTE + encode_bytes(v.encode("utf-8", "surrogatepass"))


def _enc_bytes(v: bytes) -> bytes:
    return _BYTES_FLAG_BYTE + encode_bytes(bytes(v))


# Decimal body: a class byte (negative < zero < positive), then for non-zero values the
# adjusted exponent (position of the leading digit) as a biased 4-byte int, then the
# significant digits one byte each (digit + 1, i.e. 1..10) and a 0 terminator.  Trailing zeros
# are stripped first, so equal values always produce equal bytes, and for equal exponents a
# shorter digit string is a prefix of any longer one and sorts first (1.1 < 1.15), which the
# 0 terminator guarantees.  Negative values store the bitwise complement of the positive body:
# that body is prefix-free, and complementing a prefix-free code exactly reverses its order.
_DEC_NEG, _DEC_ZERO, _DEC_POS = 1, 2, 3
_DEC_ZERO_BYTES = bytes([DECIMAL_FLAG, _DEC_ZERO])
_DEC_EXP_BIAS = 1 << 31
_DIGIT_UP = bytes((b + 1) & 0xFF for b in range(256))
_DIGIT_DOWN = bytes((b - 1) & 0xFF for b in range(256))
_INVERT = bytes(255 - b for b in range(256))
_DEC_PLAIN_MAX_EXP = 32


def _enc_decimal(v: _decimal.Decimal) -> bytes:
    if not v.is_finite():
        raise DataError(f"Decimal {v} cannot be stored in a key")
    sign, digits, exp = v.as_tuple()
    raw = bytes(digits)
    stripped = raw.rstrip(b"\x00")
    if not stripped:
        return _DEC_ZERO_BYTES
    exp += len(raw) - len(stripped)  # type: ignore[operator]  # finite => int exponent
    digits_b = stripped.lstrip(b"\x00")
    adjusted = exp + len(digits_b) - 1
    try:
        body = _U32.pack(adjusted + _DEC_EXP_BIAS) + digits_b.translate(_DIGIT_UP) + b"\x00"
    except struct.error:
        raise DataError(f"Decimal exponent out of range in {v}") from None
    if sign:
        return bytes([DECIMAL_FLAG, _DEC_NEG]) + body.translate(_INVERT)
    return bytes([DECIMAL_FLAG, _DEC_POS]) + body


def _enc_date(v: _dt.date) -> bytes:
    return _FLAG_U32.pack(DATE_FLAG, v.toordinal())


def _micros_of_day(v: _dt.datetime | _dt.time) -> int:
    return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond


def _enc_datetime(v: _dt.datetime) -> bytes:
    if v.tzinfo is not None:
        raise DataError(f"Timezone-aware datetime {v} cannot be stored in a key")
    return _FLAG_U64.pack(DATETIME_FLAG, v.toordinal() * 86_400_000_000 + _micros_of_day(v))


def _enc_time(v: _dt.time) -> bytes:
    if v.tzinfo is not None:
        raise DataError(f"Timezone-aware time {v} cannot be stored in a key")
    return _FLAG_U64.pack(TIME_FLAG, _micros_of_day(v))


def _enc_timedelta(v: _dt.timedelta) -> bytes:
    micros = (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
    try:
        return _FLAG_U64.pack(DURATION_FLAG, micros + _SIGN)
    except struct.error:
        raise DataError(f"Interval {v} out of range for a key") from None


def _enc_none(_v: None) -> bytes:
    return _NIL


def _enc_member(v: EnumValue | SetValue) -> bytes:
    """An ENUM or SET value by its number (index, bitmask): keys order as ORDER BY does."""
    return _enc_int(v.number)


_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    type(None): _enc_none,
    bool: _enc_bool,
    int: _enc_int,
    float: _enc_float,
    str: _enc_str,
    bytes: _enc_bytes,
    bytearray: _enc_bytes,
    memoryview: _enc_bytes,
    _decimal.Decimal: _enc_decimal,
    _dt.date: _enc_date,
    _dt.datetime: _enc_datetime,
    _dt.time: _enc_time,
    _dt.timedelta: _enc_timedelta,
    EnumValue: _enc_member,
    SetValue: _enc_member,
}
# Subclasses (IntEnum, str enums, ...) are resolved by isinstance in this order; datetime must
# precede date and bool precede int because they are subclasses of them.
_FALLBACK_ORDER = (
    bool, int, float, str, bytes, bytearray, memoryview, _decimal.Decimal,
    _dt.datetime, _dt.date, _dt.time, _dt.timedelta,
)  # fmt: skip


def _encoder_for(value: Any) -> Callable[[Any], bytes]:
    for cls in _FALLBACK_ORDER:
        if isinstance(value, cls):
            return _ENCODERS[cls]
    raise DataError(f"Cannot encode value of type {type(value).__name__} in a key")


def encode_value(value: Any) -> bytes:
    """Encode one datum (flag byte + body)."""
    enc = _ENCODERS.get(type(value))
    if enc is None:
        enc = _encoder_for(value)
    return enc(value)


def encode_values(values: Sequence[Any]) -> bytes:
    """Encode a tuple of datums; byte order equals lexicographic tuple order (NULL first).

    Raises DataError for NaN, non-finite Decimals, out-of-range ints, timezone-aware
    datetimes and unsupported types.
    """
    get = _ENCODERS.get
    out = []
    for v in values:
        enc = get(type(v))
        if enc is None:
            enc = _encoder_for(v)
        out.append(enc(v))
    return b"".join(out)


# --- datum decoding ----------------------------------------------------------------------------


def _decode_one(buf: bytes | memoryview, pos: int) -> tuple[Any, int]:
    try:
        flag = buf[pos]
    except IndexError:
        raise _corrupt("truncated datum", buf) from None
    pos += 1
    try:
        if flag == INT_FLAG:
            return _U64.unpack_from(buf, pos)[0] - _SIGN, pos + 8
        if flag == STRING_FLAG:
            raw, pos = decode_bytes(buf, pos)
            return raw.decode("utf-8", "surrogatepass"), pos
        if flag == NIL_FLAG:
            return None, pos
        if flag == BYTES_FLAG:
            return decode_bytes(buf, pos)
        if flag == FLOAT_FLAG:
            bits = _U64.unpack_from(buf, pos)[0]
            bits = bits & ~_SIGN if bits & _SIGN else bits ^ _U64_MAX
            return _F64_BITS.unpack(_U64.pack(bits))[0], pos + 8
        if flag == DECIMAL_FLAG:
            return _decode_decimal(buf, pos)
        if flag == DATE_FLAG:
            return _dt.date.fromordinal(_U32.unpack_from(buf, pos)[0]), pos + 4
        if flag == DATETIME_FLAG:
            days, micros = divmod(_U64.unpack_from(buf, pos)[0], 86_400_000_000)
            base = _dt.datetime.fromordinal(days)
            return base + _dt.timedelta(microseconds=micros), pos + 8
        if flag == TIME_FLAG:
            secs, us = divmod(_U64.unpack_from(buf, pos)[0], 1_000_000)
            mins, s = divmod(secs, 60)
            h, m = divmod(mins, 60)
            return _dt.time(h, m, s, us), pos + 8
        if flag == DURATION_FLAG:
            micros = _U64.unpack_from(buf, pos)[0] - _SIGN
            return _dt.timedelta(microseconds=micros), pos + 8
        if flag == UINT_FLAG:
            return _U64.unpack_from(buf, pos)[0], pos + 8
    except (struct.error, ValueError, OverflowError) as exc:
        raise _corrupt(f"bad datum with flag {flag}: {exc}", buf) from None
    raise _corrupt(f"unknown datum flag {flag}", buf)


def _decode_decimal(buf: bytes | memoryview, pos: int) -> tuple[_decimal.Decimal, int]:
    cls = buf[pos]
    pos += 1
    if cls == _DEC_ZERO:
        return _decimal.Decimal(0), pos
    if cls not in (_DEC_POS, _DEC_NEG):
        raise _corrupt(f"bad decimal class {cls}", buf)
    neg = cls == _DEC_NEG
    term = 0xFF if neg else 0x00
    end = bytes(buf[pos + 4 :]).find(bytes([term]))  # offset relative to pos + 4
    if end <= 0:
        raise _corrupt("unterminated decimal", buf)
    body = bytes(buf[pos : pos + 4 + end])
    if neg:
        body = body.translate(_INVERT)
    adjusted = _U32.unpack_from(body)[0] - _DEC_EXP_BIAS
    digits = body[4:].translate(_DIGIT_DOWN)
    if max(digits) > 9:
        raise _corrupt("bad decimal digit", buf)
    exp = adjusted - len(digits) + 1
    if 0 < exp <= _DEC_PLAIN_MAX_EXP:
        # Give 100 back as Decimal('100'), not the equal but surprising Decimal('1E+2').
        digits += b"\x00" * exp
        exp = 0
    return _decimal.Decimal((int(neg), tuple(digits), exp)), pos + 4 + end + 1


def decode_values(buf: bytes | memoryview, n: int | None = None) -> list[Any]:
    """Decode ``n`` datums from the start of ``buf`` (all of it when ``n`` is None).

    Bools come back as ints (they are encoded as INT).  Malformed input raises
    CorruptionError: keys come from disk, so a bad one means damaged storage.
    """
    values, pos = _decode_n(buf, 0, n)
    if n is None and pos != len(buf):  # pragma: no cover - _decode_n consumes everything
        raise _corrupt("trailing bytes", buf)
    return values


def _decode_n(buf: bytes | memoryview, pos: int, n: int | None) -> tuple[list[Any], int]:
    values = []
    end = len(buf)
    if n is None:
        while pos < end:
            v, pos = _decode_one(buf, pos)
            values.append(v)
    else:
        for _ in range(n):
            v, pos = _decode_one(buf, pos)
            values.append(v)
    return values, pos


# --- table codec ---------------------------------------------------------------------------------


def table_prefix(table_id: int) -> bytes:
    """``b"t" + encode_int(table_id)``: every key (rows and indexes) of the table starts so."""
    return b"t" + encode_int(table_id)


def row_prefix(table_id: int) -> bytes:
    """Prefix shared by all row keys of a table; scan ``[row_prefix, prefix_next(...))``."""
    try:
        return _TABLE_TAG.pack(b"t", table_id + _SIGN, _ROW_TAG)
    except struct.error:
        raise DataError(f"Table id {table_id} out of range") from None


def row_key(table_id: int, handle: int | bytes) -> bytes:
    """Row key ``t{table_id}_r{handle}``.

    An int handle is ``encode_int`` (8 bytes, no flag); a bytes handle is a clustered primary
    key already produced by ``encode_values`` and is appended unchanged.
    """
    if type(handle) is int:
        try:
            return _ROW_KEY_INT.pack(b"t", table_id + _SIGN, _ROW_TAG, handle + _SIGN)
        except struct.error:
            raise DataError(f"Table id {table_id} or handle {handle} out of range") from None
    if isinstance(handle, (bytes, bytearray, memoryview)):
        return row_prefix(table_id) + bytes(handle)
    if isinstance(handle, int):  # bool / IntEnum
        return row_key(table_id, int(handle))
    raise DataError(f"Row handle must be int or encoded bytes, not {type(handle).__name__}")


def _split_prefix(key: bytes | memoryview, tag: bytes) -> int:
    if len(key) < _PREFIX_LEN or key[0] != 0x74 or bytes(key[9:11]) != tag:  # 0x74 == "t"
        raise _corrupt(f"not a {'row' if tag == _ROW_TAG else 'index'} key", key)
    return _U64.unpack_from(key, 1)[0] - _SIGN


def decode_row_key(
    key: bytes | memoryview, *, common_handle: bool | None = None
) -> tuple[int, int | bytes]:
    """Split a row key into ``(table_id, handle)``.

    The key alone cannot say whether its handle is an int or a clustered key (an encoded
    clustered key may also be 8 bytes long), so callers that know the table should pass
    ``common_handle``: False -> int (must be 8 bytes), True -> the raw encoded bytes.  With the
    default None an 8-byte handle is returned as int and anything else as bytes.
    """
    table_id = _split_prefix(key, _ROW_TAG)
    rest = bytes(key[_PREFIX_LEN:])
    if common_handle is True:
        return table_id, rest
    if len(rest) == 8:
        return table_id, _U64.unpack(rest)[0] - _SIGN
    if common_handle is False:
        raise _corrupt("int handle is not 8 bytes", key)
    return table_id, rest


def index_prefix(table_id: int, index_id: int) -> bytes:
    """Prefix shared by all entries of one index."""
    try:
        return _INDEX_PREFIX.pack(b"t", table_id + _SIGN, _INDEX_TAG, index_id + _SIGN)
    except struct.error:
        raise DataError(f"Table id {table_id} or index id {index_id} out of range") from None


def index_key(
    table_id: int,
    index_id: int,
    values: Sequence[Any],
    handle: int | bytes | None = None,
) -> bytes:
    """Index entry key.  Non-unique indexes pass ``handle`` so equal values stay distinct keys
    (ordered by handle); an int handle is appended as an INT datum, a clustered handle
    (``encode_values`` of the PK) unchanged."""
    key = index_prefix(table_id, index_id) + encode_values(values)
    if handle is None:
        return key
    if isinstance(handle, (bytes, bytearray, memoryview)):
        return key + bytes(handle)
    if isinstance(handle, int):
        return key + _INT_FLAG_BYTE + encode_int(int(handle))
    raise DataError(f"Index handle must be int or encoded bytes, not {type(handle).__name__}")


def decode_index_key(
    key: bytes | memoryview, n_values: int, *, common_handle: bool | None = None
) -> tuple[int, int, list[Any], int | bytes | None]:
    """Split an index key into ``(table_id, index_id, values, handle)``.

    ``handle`` is None when nothing follows the values (unique index entry).  Otherwise, with
    ``common_handle`` None, a lone INT datum is returned as int and anything else as the raw
    encoded clustered key; pass True/False to force the interpretation.
    """
    table_id = _split_prefix(key, _INDEX_TAG)
    if len(key) < _PREFIX_LEN + 8:
        raise _corrupt("truncated index id", key)
    index_id = _U64.unpack_from(key, _PREFIX_LEN)[0] - _SIGN
    values, pos = _decode_n(key, _PREFIX_LEN + 8, n_values)
    rest = bytes(key[pos:])
    if not rest:
        return table_id, index_id, values, None
    if common_handle is True:
        return table_id, index_id, values, rest
    if len(rest) == 9 and rest[0] == INT_FLAG:
        return table_id, index_id, values, _U64.unpack_from(rest, 1)[0] - _SIGN
    if common_handle is False:
        raise _corrupt("int handle is not an INT datum", key)
    return table_id, index_id, values, rest


def prefix_next(prefix: bytes) -> bytes:
    """Smallest key greater than every key starting with ``prefix`` (TiDB ``PrefixNext``),
    i.e. the exclusive upper bound of a prefix scan.  Returns b"" if none exists (all 0xFF)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return b""
    return stripped[:-1] + bytes([stripped[-1] + 1])
