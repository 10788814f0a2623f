"""Checks on an LMDB file before it is mapped, and LMDB's exceptions as MySQL errors.

LMDB maps the whole file and trusts it: a file cut short makes the first read past its end a
SIGBUS that kills the process with no message, and an empty file is silently made into a new,
empty database.  Both meta pages (pages 0 and 1) record the last page in use; the newer valid
one must lie inside the file.  Reading them costs two small reads per open, and turns every
such file into an error that names it.

Meta page layout (LMDB 0.9, 64-bit): a 16-byte page header (``mp_pgno u64, mp_pad u16,
mp_flags u16, mp_lower u16, mp_upper u16``), then ``mm_magic u32 = 0xBEEFC0DE``,
``mm_version u32 = 1``, ``mm_address u64``, ``mm_mapsize u64``, two 48-byte ``MDB_db``
records (the free list's ``md_pad`` holds the page size), ``mm_last_pg u64``, ``mm_txnid u64``.
"""

from __future__ import annotations

import errno as _errno
import os
import stat
import struct
from collections.abc import Iterator
from contextlib import contextmanager

import lmdb

from core.errors import CorruptionError, DatabaseError, OperationalError

MAGIC = 0xBEEFC0DE
P_META = 0x08
_PAGE_HEADER = struct.Struct("<QHHHH")
_META_HEAD = struct.Struct("<IIQQ")  # magic, version, address, mapsize
_DB_PAD = struct.Struct("<I")
_TAIL = struct.Struct("<QQ")  # last page, txn id
_DBS_AT = _PAGE_HEADER.size + _META_HEAD.size  # 40
_TAIL_AT = _DBS_AT + 2 * 48  # 136
_PAGE_SIZES = (4096, 8192, 16384, 32768, 65536)


def _meta(buf: bytes, offset: int) -> tuple[int, int, int] | None:
    """(page size, last page, txn id) of the meta page at `offset`, or None if it is not one."""
    if len(buf) < offset + _TAIL_AT + _TAIL.size:
        return None
    pgno, _pad, flags, _lo, _up = _PAGE_HEADER.unpack_from(buf, offset)
    magic, version, _addr, _mapsize = _META_HEAD.unpack_from(buf, offset + _PAGE_HEADER.size)
    if magic != MAGIC or version != 1 or not flags & P_META or pgno not in (0, 1):
        return None
    (psize,) = _DB_PAD.unpack_from(buf, offset + _DBS_AT)
    last_pg, txnid = _TAIL.unpack_from(buf, offset + _TAIL_AT)
    if psize not in _PAGE_SIZES:
        return None
    return psize, last_pg, txnid


def check_lmdb_file(path: str) -> int:
    """Raise a CorruptionError naming `path` unless it is a whole LMDB file; returns its size.

    A symlink is refused too: the engine creates its files itself and never follows a link
    that someone else put in the data directory."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise OperationalError(f"tablespace file {path} is missing", errno=1812,
                               sqlstate="HY000") from None
    except OSError as exc:
        raise os_error(exc, path) from exc
    if stat.S_ISLNK(st.st_mode):
        raise OperationalError(f"tablespace file {path} is a symbolic link; refusing to follow it",
                               errno=1030)
    if not stat.S_ISREG(st.st_mode):
        raise CorruptionError(f"tablespace file {path} is not a regular file")
    size = st.st_size
    if size == 0:
        raise CorruptionError(f"tablespace file {path} is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(2 * 65536)
    except OSError as exc:
        raise os_error(exc, path) from exc
    metas = [m for m in (_meta(head, 0),) if m]
    if metas:
        second = _meta(head, metas[0][0])
        if second:
            metas.append(second)
    if not metas:
        raise CorruptionError(
            f"tablespace file {path} is damaged: no valid LMDB meta page ({size} bytes)")
    psize, last_pg, _txnid = max(metas, key=lambda m: m[2])
    need = (last_pg + 1) * psize
    if size < need:
        raise CorruptionError(
            f"tablespace file {path} is truncated: {size} bytes, its meta page needs {need}")
    return size


def os_error(exc: OSError, path: str) -> DatabaseError:
    """An OSError about `path` as a MySQL error: 1021 for a full disk, 1030 otherwise."""
    if exc.errno in (_errno.ENOSPC, _errno.EDQUOT):
        return OperationalError(f"Disk full ({path}); free some space and try again",
                                errno=1021, sqlstate="HY000")
    return OperationalError(f"Got error {exc.errno or 0} from storage engine: {path}: "
                            f"{exc.strerror or exc}", errno=1030, sqlstate="HY000")


def lmdb_error(exc: BaseException, path: str) -> DatabaseError:
    """An exception from py-lmdb (or from decoding what it returned) as a MySQL error."""
    if isinstance(exc, DatabaseError):
        return exc
    text = str(exc)
    if isinstance(exc, OSError):
        return os_error(exc, path)
    if "No space left" in text:
        return OperationalError(f"Disk full ({path}); free some space and try again",
                                errno=1021, sqlstate="HY000")
    return CorruptionError(f"tablespace file {path} is damaged: {type(exc).__name__}: {text}")


@contextmanager
def mapped_errors(path: str) -> Iterator[None]:
    """Let no OS or LMDB exception out of opening or closing a database: callers of the
    engine see only `core.errors` errors (a full disk is 1021 naming the file, damage 1877)."""
    try:
        yield
    except OSError as exc:
        raise os_error(exc, exc.filename or path) from exc
    except lmdb.Error as exc:
        raise lmdb_error(exc, path) from exc
