"""Memcomparable key codec: byte order must equal value order, and everything round-trips."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.codec import keys
from core.codec.keys import (
    decode_bytes,
    decode_index_key,
    decode_int,
    decode_row_key,
    decode_values,
    encode_bytes,
    encode_int,
    encode_value,
    encode_values,
    index_key,
    index_prefix,
    prefix_next,
    row_key,
    row_prefix,
    table_prefix,
)
from core.errors import CorruptionError, DataError

# database=None: no .hypothesis/ directory in the repo; failures are reproduced from the seed.
FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# --- strategies --------------------------------------------------------------------------------

int64s = st.one_of(
    st.integers(INT64_MIN, INT64_MAX),
    st.sampled_from([INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX]),
)
ints_any = st.one_of(int64s, st.integers(2**63, 2**64 - 1))  # uint range sorts above int64
floats = st.one_of(
    st.floats(allow_nan=False),
    st.sampled_from([0.0, -0.0, float("inf"), float("-inf"), 5e-324, -5e-324, 1.0, -1.0]),
)


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """Decimals over a wide exponent range, with trailing zeros and zero in many spellings."""
    sign = draw(st.integers(0, 1))
    digits = draw(st.lists(st.integers(0, 9), min_size=1, max_size=30))
    exp = draw(st.integers(-40, 40))
    return Decimal((sign, tuple(digits), exp))


texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("ab\x00\xff\u00e9\u4e2d\U0001f600"), max_size=20),
)
binaries = st.one_of(
    st.binary(max_size=40),
    st.lists(st.sampled_from([b"\x00", b"\xff", b"a", b"b"]), max_size=20).map(b"".join),
)
long_binaries = st.binary(min_size=100, max_size=400)  # exercises the slice-based group path
dates = st.dates()
datetimes = st.datetimes()  # naive
times = st.times()  # naive
timedeltas = st.timedeltas(
    min_value=dt.timedelta(days=-100_000_000), max_value=dt.timedelta(days=100_000_000)
)

TYPED = {
    "int": ints_any,
    "float": floats,
    "decimal": decimals(),
    "str": texts,
    "bytes": binaries,
    "long_bytes": long_binaries,
    "date": dates,
    "datetime": datetimes,
    "time": times,
    "timedelta": timedeltas,
}


def null_first(v: Any) -> tuple[bool, Any]:
    return (v is not None, v)


def cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def assert_order_preserved(values: list[Any]) -> None:
    """Every pair compares the same way as values (NULL first) and as encoded bytes."""
    encoded = [encode_values([v]) for v in values]
    for (a, ea), (b, eb) in itertools.combinations(zip(values, encoded, strict=True), 2):
        assert cmp(null_first(a), null_first(b)) == cmp(ea, eb), (a, b, ea.hex(), eb.hex())
    by_bytes = [v for _, v in sorted(zip(encoded, values, strict=True), key=lambda t: t[0])]
    assert by_bytes == sorted(values, key=null_first)


# --- ordering properties -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TYPED))
def test_order_and_round_trip(kind: str) -> None:
    @settings(FAST, max_examples=150)  # x10 types; hypothesis overhead dominates the runtime
    @given(st.lists(st.one_of(st.none(), TYPED[kind]), min_size=2, max_size=10))
    def check(values: list[Any]) -> None:
        assert_order_preserved(values)
        decoded = decode_values(encode_values(values))
        assert decoded == values
        for v, d in zip(values, decoded, strict=True):
            if v is None:
                assert d is None
            elif isinstance(v, bool):
                assert type(d) is int  # bools are stored as INT
            else:
                assert type(d) is type(v)
        # Decoding a leading subset works and sees the same values.
        half = len(values) // 2
        assert decode_values(encode_values(values), half) == values[:half]

    check()


scalar = st.one_of(*TYPED.values())


@FAST
@given(st.lists(scalar, max_size=6))
def test_mixed_type_round_trip(values: list[Any]) -> None:
    assert decode_values(encode_values(values)) == values


@settings(FAST, max_examples=120)  # O(n^2) pair checks per example
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-3, 3)),
            st.one_of(st.none(), st.sampled_from(["", "a", "a\x00", "ab", "b"])),
            st.one_of(st.none(), decimals()),
        ),
        min_size=2,
        max_size=10,
    )
)
def test_composite_tuples_compare_lexicographically(rows: list[tuple[Any, ...]]) -> None:
    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(null_first(v) for v in row)

    encoded = [encode_values(r) for r in rows]
    for (a, ea), (b, eb) in itertools.combinations(zip(rows, encoded, strict=True), 2):
        assert cmp(key(a), key(b)) == cmp(ea, eb), (a, b)
    # A leading subset encodes to a prefix, which index range scans rely on.
    for r, e in zip(rows, encoded, strict=True):
        assert e.startswith(encode_values(r[:1]))


def test_explicit_orderings() -> None:
    seqs: list[list[Any]] = [
        [None, False, True],
        [None, INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX, 2**63, 2**64 - 1],
        [None, float("-inf"), -1e308, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e308, float("inf")],
        [Decimal(s) for s in ["-1E+10", "-100", "-10.5", "-2", "-1.15", "-1.1", "-0.001", "0"]]
        + [Decimal(s) for s in ["0.001", "1", "1.1", "1.15", "1.2", "9.99", "10", "100", "1E+30"]],
        [b"", b"\x00", b"a", b"ab", b"ab\x00", b"ab\x00\x00", b"abc", b"abcdefgh", b"abcdefgh\x00"]
        + [b"abcdefghi", b"b", b"\xff", b"\xff\xff"],
        ["", "\x00", "a", "ab", "ab\x00", "abc", "z", "\u00e9", "\u4e2d", "\U0001f600"],
        [dt.date(1, 1, 1), dt.date(1970, 1, 1), dt.date(2024, 2, 29), dt.date(9999, 12, 31)],
        [dt.datetime(1, 1, 1), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0, 0, 1)]
        + [dt.datetime(2024, 1, 1, 23, 59, 59, 999999), dt.datetime(9999, 12, 31, 23, 59, 59)],
        [dt.time(0), dt.time(0, 0, 0, 1), dt.time(12, 30), dt.time(23, 59, 59, 999999)],
        [dt.timedelta(days=-5), dt.timedelta(microseconds=-1), dt.timedelta(0)]
        + [dt.timedelta(microseconds=1), dt.timedelta(days=5)],
    ]
    for seq in seqs:
        encoded = [encode_values([v]) for v in seq]
        assert encoded == sorted(encoded), seq
        assert len(set(encoded)) == len(encoded), seq
        assert decode_values(b"".join(encoded)) == seq


def test_equal_values_encode_equal() -> None:
    assert encode_value(-0.0) == encode_value(0.0)
    assert encode_value(Decimal("1.10")) == encode_value(Decimal("1.1"))
    assert encode_value(Decimal("100")) == encode_value(Decimal("1E+2"))
    assert (
        encode_value(Decimal("0"))
        == encode_value(Decimal("-0.000"))
        == encode_value(Decimal("0E+5"))
    )
    assert encode_value(True) == encode_value(1)
    assert encode_value(False) == encode_value(0)
    assert decode_values(encode_values([Decimal("100")])) == [Decimal("100")]
    assert str(decode_values(encode_values([Decimal("100")]))[0]) == "100"


def test_null_sorts_before_every_type() -> None:
    nil = encode_value(None)
    for v in [INT64_MIN, float("-inf"), Decimal("-1E+100"), "", b"", dt.date(1, 1, 1)]:
        assert nil < encode_value(v)
        assert encode_values([None, 5]) < encode_values([v])


# --- exact byte layouts (TiDB compatibility) ---------------------------------------------------


def test_int_and_bytes_layout_matches_tidb() -> None:
    assert encode_int(0) == bytes.fromhex("8000000000000000")
    assert encode_int(-1) == bytes.fromhex("7fffffffffffffff")
    assert encode_int(INT64_MIN) == bytes(8)
    assert encode_int(INT64_MAX) == b"\xff" * 8
    assert decode_int(encode_int(-12345)) == -12345
    # Vectors from TiDB's codec tests for EncodeBytes.
    assert encode_bytes(b"") == bytes([0] * 8 + [247])
    assert encode_bytes(b"\x01\x02\x03") == bytes([1, 2, 3, 0, 0, 0, 0, 0, 250])
    assert encode_bytes(b"\x01\x02\x03\x00") == bytes([1, 2, 3, 0, 0, 0, 0, 0, 251])
    assert encode_bytes(bytes(range(1, 9))) == bytes([*range(1, 9), 255] + [0] * 8 + [247])
    assert encode_bytes(bytes(range(1, 10))) == bytes([*range(1, 9), 255, 9] + [0] * 7 + [248])
    assert encode_value(7) == bytes([keys.INT_FLAG]) + encode_int(7)
    assert encode_value(None) == bytes([keys.NIL_FLAG])


@FAST
@given(st.one_of(st.binary(max_size=300), st.binary(min_size=120, max_size=300)))
def test_group_encoding_fast_paths_agree(data: bytes) -> None:
    enc = encode_bytes(data)
    assert len(enc) == (len(data) // 8 + 1) * 9
    # Reference implementation: TiDB's loop, one group at a time.
    ref = bytearray()
    for i in range(0, len(data) + 1, 8):
        chunk = data[i : i + 8]
        ref += chunk + b"\x00" * (8 - len(chunk)) + bytes([255 - (8 - len(chunk))])
    assert enc == bytes(ref)
    assert decode_bytes(enc + b"trailing") == (data, len(enc))
    assert decode_bytes(memoryview(enc)) == (data, len(enc))


# --- table codec -------------------------------------------------------------------------------


@FAST
@given(int64s, int64s)
def test_row_key_round_trip(table_id: int, handle: int) -> None:
    key = row_key(table_id, handle)
    assert key == table_prefix(table_id) + b"_r" + encode_int(handle)
    assert key.startswith(row_prefix(table_id))
    assert decode_row_key(key) == (table_id, handle)
    assert decode_row_key(key, common_handle=False) == (table_id, handle)


@FAST
@given(st.integers(0, 1000), st.lists(st.one_of(int64s, texts, decimals()), min_size=1, max_size=3))
def test_clustered_row_key_round_trip(table_id: int, pk: list[Any]) -> None:
    handle = encode_values(pk)
    key = row_key(table_id, handle)
    tid, got = decode_row_key(key, common_handle=True)
    assert tid == table_id and got == handle
    assert decode_values(got) == pk


@FAST
@given(st.lists(st.one_of(int64s, st.binary(max_size=20).map(lambda b: encode_values([b]))),
                min_size=1, max_size=10))  # fmt: skip
def test_row_keys_stay_inside_their_table(handles: list[int | bytes]) -> None:
    lo, hi = row_prefix(5), prefix_next(row_prefix(5))
    t6 = table_prefix(6)
    for h in handles:
        k5 = row_key(5, h)
        assert lo <= k5 < hi
        assert k5 < row_prefix(6)
        assert k5 < t6
        assert k5 < row_key(6, h)
        assert row_key(4, h) < lo
        # Index keys of table 5 also sort below everything of table 6.
        assert index_key(5, 2**40, [b"\xff" * 30], h) < row_key(6, INT64_MIN)


@FAST
@given(int64s, int64s)
def test_int_handles_sort_numerically(a: int, b: int) -> None:
    assert cmp(a, b) == cmp(row_key(7, a), row_key(7, b))


@FAST
@given(
    st.integers(0, 2**40),
    st.integers(0, 2**20),
    st.lists(st.one_of(st.none(), scalar), max_size=4),
    st.one_of(st.none(), int64s),
)
def test_index_key_round_trip(table_id: int, index_id: int, values: list[Any], handle: Any) -> None:
    key = index_key(table_id, index_id, values, handle)
    assert key.startswith(index_prefix(table_id, index_id))
    tid, iid, got, h = decode_index_key(key, len(values))
    assert (tid, iid, got, h) == (table_id, index_id, values, handle)


def test_index_key_with_clustered_handle() -> None:
    handle = encode_values(["pk", 3])
    key = index_key(1, 2, [Decimal("1.5")], handle)
    assert decode_index_key(key, 1) == (1, 2, [Decimal("1.5")], handle)
    assert decode_index_key(key, 1, common_handle=True)[3] == handle
    with pytest.raises(CorruptionError):
        decode_index_key(key, 1, common_handle=False)
    int_pk = encode_values([42])
    assert decode_index_key(index_key(1, 2, ["x"], int_pk), 1, common_handle=True)[3] == int_pk


@FAST
@given(st.lists(st.tuples(st.one_of(st.none(), texts), int64s), min_size=2, max_size=8))
def test_non_unique_index_orders_by_value_then_handle(entries: list[tuple[Any, int]]) -> None:
    encoded = [index_key(3, 1, [v], h) for v, h in entries]
    for (a, ea), (b, eb) in itertools.combinations(zip(entries, encoded, strict=True), 2):
        ka = (null_first(a[0]), a[1])
        kb = (null_first(b[0]), b[1])
        assert cmp(ka, kb) == cmp(ea, eb)


def test_index_keys_sort_by_table_then_index() -> None:
    assert index_key(5, 1, [INT64_MAX]) < index_key(5, 2, [None])
    assert index_prefix(5, 1) < index_prefix(5, 2) < row_prefix(5) < table_prefix(6)
    assert index_prefix(-1, 0) < index_prefix(0, 0)


def test_prefix_next() -> None:
    assert prefix_next(b"ab") == b"ac"
    assert prefix_next(b"a\xff") == b"b"
    assert prefix_next(b"\xff\xff") == b""
    assert prefix_next(row_prefix(5)) == table_prefix(5) + b"_s"


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),
        Decimal("NaN"),
        Decimal("Infinity"),
        2**64,
        INT64_MIN - 1,
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        dt.time(1, tzinfo=dt.UTC),
        object(),
        [1, 2],
    ],
)
def test_unencodable_values_raise_data_error(bad: Any) -> None:
    with pytest.raises(DataError):
        encode_values([1, bad])


def test_out_of_range_ids_raise_data_error() -> None:
    with pytest.raises(DataError):
        row_key(2**63, 1)
    with pytest.raises(DataError):
        row_key(1, 2**63)
    with pytest.raises(DataError):
        index_prefix(1, -(2**63) - 1)
    with pytest.raises(DataError):
        encode_int(2**64)


@pytest.mark.parametrize(
    "buf",
    [
        b"\x03\x80\x00",  # truncated int
        b"\xee",  # unknown flag
        b"\x01abc",  # truncated byte group
        b"\x01abcdefgh\x00",  # marker claims 255 bytes of padding
        b"\x01a\x00\x00\x00\x00\x00\x00\x01\xf9",  # non-zero padding
        b"\x06\x03\x80\x00\x00\x00\x02",  # unterminated decimal
        b"\x06\x09",  # bad decimal class
        b"\x0c\x00\x00\x00\x00",  # date ordinal 0
        b"\x0b\xff\xfe\x00\x00\x00\x00\x00\x00\xf9",  # invalid UTF-8 in a str datum
    ],
)
def test_malformed_datums_raise_corruption(buf: bytes) -> None:
    with pytest.raises(CorruptionError):
        decode_values(buf)


def test_malformed_keys_raise_corruption() -> None:
    with pytest.raises(CorruptionError):
        decode_row_key(b"t\x80")
    with pytest.raises(CorruptionError):
        decode_row_key(index_prefix(1, 1))
    with pytest.raises(CorruptionError):
        decode_row_key(row_prefix(1) + b"\x00" * 7, common_handle=False)
    with pytest.raises(CorruptionError):
        decode_index_key(row_key(1, 1), 0)
    with pytest.raises(CorruptionError):
        decode_index_key(index_prefix(1, 1), 1)  # a value is missing


def test_subclasses_and_buffer_types_encode() -> None:
    import enum

    class Color(enum.IntEnum):
        RED = 3

    class Name(str):
        pass

    assert encode_value(Color.RED) == encode_value(3)
    assert encode_value(Name("x")) == encode_value("x")
    assert encode_value(bytearray(b"ab")) == encode_value(b"ab")
    assert encode_value(memoryview(b"ab")) == encode_value(b"ab")
    assert row_key(1, True) == row_key(1, 1)
    assert decode_values(memoryview(encode_values([1, "a", None]))) == [1, "a", None]
