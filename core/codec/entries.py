"""Index entries as stored: the (key, value) pair a row needs in one index.

`core.sql.table.TableReader.index_entry` builds the same pairs on the write path (with its
prefixes cached); this plain function is for code below the SQL layer that must know what an
index *should* hold, such as CHECK TABLE's cross-check (core.check), without importing SQL.

A unique index whose values hold no NULL stores ``prefix + values -> handle``; any other
entry stores ``prefix + values + handle -> NON_UNIQUE_VALUE`` (NULLs never collide, so such
entries of a unique index take the non-unique form).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.codec.keys import INT_FLAG, decode_int, encode_int, encode_values, index_key, index_prefix

NON_UNIQUE_VALUE = b"0"
_INT_FLAG = bytes([INT_FLAG])


def encode_handle(handle: int | bytes) -> bytes:
    """A handle as a unique entry's value: a clustered key as is, an int as an INT datum."""
    return bytes(handle) if isinstance(handle, (bytes, bytearray, memoryview)) else \
        encode_int(handle)


def decode_handle(value: bytes, clustered: bool) -> int | bytes:
    return bytes(value) if clustered else decode_int(value)


def index_entry(table_id: int, index_id: int, unique: bool, values: Sequence[Any],
                handle: int | bytes) -> tuple[bytes, bytes]:
    """(key, value) of the entry a row with `values` (the index's columns) and `handle`
    needs in the index."""
    if unique and None not in values:
        return index_prefix(table_id, index_id) + encode_values(values), encode_handle(handle)
    if type(handle) is int:
        return (index_prefix(table_id, index_id) + encode_values(values) + _INT_FLAG
                + encode_int(handle), NON_UNIQUE_VALUE)
    return index_key(table_id, index_id, values, handle), NON_UNIQUE_VALUE
