"""Copying one LMDB file as of a read transaction, at the speed of a plain file copy.

LMDB's own non-compacting copy (`env.copyfd`) writes the pages out of its memory map, which
costs a page fault per page: about half the speed of a plain file copy.  This does what it
does with plain reads and writes, summing the CRC32C of what it writes on the way.

It rests on LMDB's MVCC: while a read transaction of snapshot X is open, no page reachable
from X is written (a writer only reuses pages freed before the oldest reader's snapshot), so
the byte range up to X's last page can be copied as it is; pages not reachable from X may
change meanwhile, and do not matter (X's free list says they are free).  The two meta pages
are written from X's meta page, read right after X began (a writer overwrites X's slot only
two commits later, with one small pwrite; the page is read twice and must be the same both
times and carry txnid X): X's slot gets it, the other slot the same meta under txnid X - 1,
so the copy opens at X whatever the writer did meanwhile.

Anything unexpected (not LMDB's meta layout, X's meta already overwritten) returns None
and the caller uses `env.copyfd`.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from crc32c import crc32c

MAGIC = 0xBEEFC0DE
VERSION = 1
_MAGIC_AT = 16  # after the 16-byte page header: mm_magic, mm_version
_LAST_PG_AT = 136  # mm_last_pg: after magic, version, address, mapsize and two MDB_db
_TXNID_AT = 144
_Q = struct.Struct("<Q")
_II = struct.Struct("<II")
CHUNK = 8 << 20
_FADVISE = hasattr(os, "posix_fadvise")


def copy_snapshot(env: Any, txn: Any, src: str, dst_fd: int) -> tuple[int, int] | None:
    """Copy the file `src` of `env` as of the open read transaction `txn` into `dst_fd`;
    returns (size, CRC32C of the copy), or None when this cannot be done safely (the
    caller then uses LMDB's copy)."""
    psize = env.stat()["psize"]
    snap = txn.id()
    fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        meta = _meta_of(fd, psize, snap)
        if meta is None:
            return None
        slot, page = meta
        end = (_Q.unpack_from(page, _LAST_PG_AT)[0] + 1) * psize
        if end > os.fstat(fd).st_size:
            return None
        other = bytearray(page)
        _Q.pack_into(other, 0, 1 - slot)  # the page number in the page header
        _Q.pack_into(other, _TXNID_AT, snap - 1)
        metas = bytes(page) + bytes(other) if slot == 0 else bytes(other) + bytes(page)
        _write_all(dst_fd, metas, 0)
        crc = _copy_range(fd, dst_fd, 2 * psize, end, crc32c(metas))
    finally:
        os.close(fd)
    os.ftruncate(dst_fd, end)
    return end, crc


def _meta_of(fd: int, psize: int, snap: int) -> tuple[int, bytes] | None:
    """(slot, page) of the meta page of transaction `snap`, read twice the same."""
    raw = os.pread(fd, 2 * psize, 0)
    if len(raw) < 2 * psize:
        return None
    for slot in (0, 1):
        page = raw[slot * psize:(slot + 1) * psize]
        magic, version = _II.unpack_from(page, _MAGIC_AT)
        if magic != MAGIC or version != VERSION or _Q.unpack_from(page, 0)[0] != slot:
            return None
        if _Q.unpack_from(page, _TXNID_AT)[0] == snap:
            again = os.pread(fd, psize, slot * psize)
            return (slot, page) if again == page else None
    return None


def _copy_range(src_fd: int, dst_fd: int, start: int, end: int, crc: int) -> int:
    """Copy [start, end) at the same offsets, returning `crc` continued over the bytes
    written: the backup's checksum needs no second read.  Each chunk's write-back is
    started as soon as it is written (and the copy is not kept in the page cache), so the
    fsync before the manifest has little left to wait for."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    pos = start
    while pos < end:
        n = os.preadv(src_fd, [view[:min(CHUNK, end - pos)]], pos)
        if n <= 0:
            raise OSError(f"{end - pos} bytes missing from the tablespace file")
        crc = crc32c(view[:n], crc)
        _write_all(dst_fd, view[:n], pos)
        if _FADVISE:
            os.posix_fadvise(dst_fd, pos, n, os.POSIX_FADV_DONTNEED)
        pos += n
    return crc


def _write_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n
