"""Row codec: msgpack + CRC32C round-trips every type and never returns damaged data."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any

import msgpack
import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st

from core.codec import keys
from core.codec.rows import CRC_RESIDUE, ROW_TRAILER_SIZE, decode_row, encode_row
from core.errors import CorruptionError, DataError

FAST = settings(max_examples=200, deadline=None, database=None)

KEY = keys.row_key(1, 42)
TABLE = "db.t"

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)

SAMPLE_ROW: list[Any] = [
    None,
    True,
    False,
    0,
    -(2**63),
    2**64 - 1,
    -1.5,
    float("inf"),
    "h\u00e9llo \U0001f600\x00",
    b"\x00\xff\x80",
    Decimal("-12.3400"),
    Decimal("1E+30"),
    dt.date(2024, 2, 29),
    dt.datetime(2024, 1, 2, 3, 4, 5),
    dt.datetime(1, 1, 1, 0, 0, 0, 999999),
    dt.time(23, 59, 59),
    dt.time(0, 0, 0, 1),
    dt.timedelta(days=-3, seconds=5, microseconds=7),
]


def same(a: Any, b: Any) -> bool:
    """Equality that also checks type and Decimal spelling (NaN-aware)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return bool(a == b)


def test_round_trip_sample_row() -> None:
    buf = encode_row(SAMPLE_ROW)
    got = decode_row(buf, table=TABLE, key=KEY)
    assert len(got) == len(SAMPLE_ROW)
    for a, b in zip(SAMPLE_ROW, got, strict=True):
        assert same(a, b), (a, b)


@FAST
@given(st.lists(values, max_size=10))
def test_round_trip_property(row: list[Any]) -> None:
    got = decode_row(encode_row(row))
    assert all(same(a, b) for a, b in zip(row, got, strict=True)) and len(got) == len(row)


def test_layout_is_one_msgpack_array_ending_in_its_crc() -> None:
    buf = encode_row([1, "a"])
    data = buf[:-4]
    assert buf[-ROW_TRAILER_SIZE] == 0xCE
    assert int.from_bytes(buf[-4:], "little") == crc32c(data)
    assert crc32c(buf) == CRC_RESIDUE
    assert msgpack.unpackb(buf) == [1, "a", int.from_bytes(buf[-4:], "big")]
    assert decode_row(memoryview(buf)) == [1, "a"]
    assert decode_row(encode_row(())) == []
    assert decode_row(encode_row(iter([1, 2]))) == [1, 2]


def test_every_flipped_bit_is_detected() -> None:
    buf = encode_row(SAMPLE_ROW)
    for i in range(len(buf)):
        for bit in range(8):
            damaged = bytearray(buf)
            damaged[i] ^= 1 << bit
            with pytest.raises(CorruptionError) as info:
                decode_row(bytes(damaged), table=TABLE, key=KEY)
            msg = str(info.value)
            assert f"'{TABLE}'" in msg and KEY.hex() in msg
            assert "checksum mismatch" in msg
            assert info.value.errno == 1877


def test_every_truncation_is_detected() -> None:
    buf = encode_row(SAMPLE_ROW)
    for n in range(len(buf)):
        with pytest.raises(CorruptionError) as info:
            decode_row(buf[:n], table=TABLE, key=KEY)
        assert TABLE in str(info.value) and KEY.hex() in str(info.value)


def _with_crc(payload: bytes) -> bytes:
    return crc32c(payload).to_bytes(4, "big") + payload


@pytest.mark.parametrize(
    "payload",
    [
        b"\xc1",  # never-used msgpack byte
        b"\x92\x01",  # array claims 2 items, has 1
        b"\x91\x01\x02",  # trailing data
        msgpack.packb({"a": 1}),  # not an array
        msgpack.packb(5),
        msgpack.packb([msgpack.ExtType(99, b"x")]),  # unknown extension
        msgpack.packb([msgpack.ExtType(1, b"not a number")]),  # bad decimal
        msgpack.packb([msgpack.ExtType(2, b"\x07\xe8\x02\x1e")]),  # 2024-02-30
        msgpack.packb([msgpack.ExtType(3, b"\x00")]),  # short datetime
        b"\x91\xa2\xff\xfe",  # invalid UTF-8 str
    ],
)
def test_valid_checksum_over_bad_payload_is_corruption(payload: bytes) -> None:
    with pytest.raises(CorruptionError) as info:
        decode_row(_with_crc(payload), table=TABLE, key=KEY)
    assert TABLE in str(info.value) and KEY.hex() in str(info.value)


def test_long_key_is_abbreviated_in_message() -> None:
    long_key = b"k" * 1000
    with pytest.raises(CorruptionError) as info:
        decode_row(b"\x00" * 3, table=TABLE, key=long_key)
    assert long_key[:16].hex() in str(info.value) and long_key.hex() not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        2**64,
        -(2**63) - 1,
        object(),
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        dt.time(1, tzinfo=dt.UTC),
    ],
)
def test_unstorable_values_raise_data_error(bad: Any) -> None:
    with pytest.raises(DataError):
        encode_row([1, bad])
    assert decode_row(encode_row([1, 2])) == [1, 2]  # the packer was reset after the error


def test_encode_row_is_thread_safe() -> None:
    rows = [[i, Decimal(i) / 7, dt.datetime(2000, 1, 1 + i % 28), "x" * i] for i in range(200)]
    expected = [encode_row(r) for r in rows]
    failures: list[int] = []

    def work() -> None:
        for _ in range(20):
            for r, e in zip(rows, expected, strict=True):
                if encode_row(r) != e:
                    failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_decode_values_and_decode_rows_verify_every_row() -> None:
    from core.codec.rows import decode_rows, decode_values

    good = [encode_row([i, "x" * i]) for i in range(5)]
    assert list(decode_values(good)) == [[i, "x" * i] for i in range(5)]
    assert list(decode_rows(zip([b"k"] * 5, good, strict=True))) == [[i, "x" * i]
                                                                    for i in range(5)]
    bad = list(good)
    bad[3] = bad[3][:-1] + bytes([bad[3][-1] ^ 1])
    with pytest.raises(CorruptionError, match="checksum mismatch"):
        list(decode_values(bad, "db.t"))
    with pytest.raises(CorruptionError, match="db.t"):
        list(decode_rows(zip([b"k"] * 5, bad, strict=True), "db.t"))
