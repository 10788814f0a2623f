"""Keys longer than LMDB allows, stored so that order, uniqueness and range scans still hold.

LMDB refuses keys over 511 bytes (``MDB_MAXKEYSIZE``, fixed when py-lmdb is built), while
MySQL allows index keys of 3,072 bytes, and the codec's group encoding adds an eighth on top.
A key that the SQL layer accepted must never be discovered unstorable by the flusher: that
would acknowledge a commit that can never be applied and brick every reopen.

The encoding:

* a key of at most ``MAX_INLINE`` (480) bytes is stored as it is;
* a longer key ``K`` is stored under ``K[:480] + blake2b-128(K)`` (exactly ``LONG_LEN``
  bytes, so the length alone tells the two kinds apart), and its value becomes
  ``u32 len(rest) + rest + value`` with ``rest = K[480:]``.

Ordering survives because memcmp decides any comparison that involves an inline key within
its first 480 bytes, exactly as for the full keys.  Only long keys that share the same
480-byte prefix (a *group*) sort by digest instead of by their rest; they are stored next to
each other, so a scan reads such a group whole, restores the full keys and sorts it before
yielding.  Groups are rare in practice (many values with an identical 480-byte start); a
scan then holds one group in memory, never more.  A point read goes straight to the digest
and checks that the restored key is the one asked for.

A file holding any long key records it in its meta database (``long_keys``), so the fast
paths (values-only scans, plain cursor walks) stay untouched for every other file.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

from core.errors import CorruptionError

MAX_INLINE = 480
DIGEST = 16
LONG_LEN = MAX_INLINE + DIGEST  # 496, under LMDB's 511
_AFTER_GROUP = b"\xff" * (DIGEST + 1)  # prefix + this sorts after every stored key of a group
_U32 = struct.Struct("<I")


def is_long(key: bytes) -> bool:
    return len(key) > MAX_INLINE


def stored_key(key: bytes) -> bytes:
    """The LMDB key under which `key` lives."""
    if len(key) <= MAX_INLINE:
        return key
    return key[:MAX_INLINE] + hashlib.blake2b(key, digest_size=DIGEST).digest()


def pack(key: bytes, value: bytes) -> bytes:
    """The stored value of a long key: the key's rest, then the value."""
    rest = key[MAX_INLINE:]
    return _U32.pack(len(rest)) + rest + value


def unpack(stored: bytes, raw: bytes) -> tuple[bytes, bytes]:
    """(full key, value) from a long key's stored key and value; checks the digest, so a
    damaged rest is reported, never returned as another key."""
    try:
        (n,) = _U32.unpack_from(raw)
    except struct.error:
        raise CorruptionError(f"long key {stored[:24].hex()}...: value too short") from None
    if len(raw) < 4 + n:
        raise CorruptionError(f"long key {stored[:24].hex()}...: value too short")
    key = stored[:MAX_INLINE] + raw[4:4 + n]
    if hashlib.blake2b(key, digest_size=DIGEST).digest() != stored[MAX_INLINE:]:
        raise CorruptionError(f"long key {stored[:24].hex()}...: digest mismatch")
    return key, raw[4 + n:]


def get(txn, key: bytes, db=None) -> bytes | None:
    """Point read of `key` through an LMDB transaction (``db`` as LMDB's own argument)."""
    if len(key) <= MAX_INLINE:
        return txn.get(key) if db is None else txn.get(key, db=db)
    skey = stored_key(key)
    raw = txn.get(skey) if db is None else txn.get(skey, db=db)
    if raw is None:
        return None
    full, value = unpack(skey, raw)
    if full != key:  # a 128-bit digest collision: never seen, never silently wrong
        raise CorruptionError(f"long key {skey[:24].hex()}...: digest collision")
    return value


def scan(cur, lo: bytes = b"", hi: bytes | None = None, reverse: bool = False
         ) -> Iterator[tuple[bytes, bytes]]:
    """(full key, value) with lo <= key < hi in full-key order, over an LMDB cursor of a
    database that may hold long keys."""
    return _backward(cur, lo, hi) if reverse else _forward(cur, lo, hi)


def _forward(cur, lo: bytes, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
    if not cur.set_range(lo[:MAX_INLINE]):
        return iter(())
    return _walk(cur.iternext(), lo, hi, False)


def _backward(cur, lo: bytes, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
    if hi is None:
        ok = cur.last()
    else:
        seek = hi if len(hi) <= MAX_INLINE else hi[:MAX_INLINE] + _AFTER_GROUP
        ok = cur.prev() if cur.set_range(seek) else cur.last()
    if not ok:
        return iter(())
    return _walk(cur.iterprev(), lo, hi, True)


def _walk(items, lo: bytes, hi: bytes | None, reverse: bool):
    """The stored items in cursor order, long-key groups restored and sorted, cut to
    [lo, hi): the walk stops at the first key past the far end of the range."""
    group: list[tuple[bytes, bytes]] = []
    prefix = None
    for k, v in items:
        if len(k) == LONG_LEN:
            p = k[:MAX_INLINE]
            if p != prefix:
                if group and not (yield from _emit(group, lo, hi, reverse)):
                    return
                group, prefix = [], p
            group.append(unpack(k, v))
            continue
        if group:
            if not (yield from _emit(group, lo, hi, reverse)):
                return
            group, prefix = [], None
        if (k < lo) if reverse else (hi is not None and k >= hi):
            return
        if lo <= k and (hi is None or k < hi):
            yield k, v
    if group:
        yield from _emit(group, lo, hi, reverse)


def _emit(group, lo: bytes, hi: bytes | None, reverse: bool):
    """Yield a group's items in order within [lo, hi); returns False once past the range."""
    group.sort(reverse=reverse)
    for key, value in group:
        if key < lo:
            if reverse:
                return False
            continue
        if hi is not None and key >= hi:
            if not reverse:
                return False
            continue
        yield key, value
    return True
