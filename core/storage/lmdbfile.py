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
An ``MDB_db`` is ``md_pad u32, md_flags u16, md_depth u16``, three page counts, ``md_entries``
and ``md_root u64`` (at +40; ``P_INVALID`` when the tree is empty).

LMDB has no checksum on its meta pages and uses the one with the higher ``mm_txnid``: a
damaged txn id silently opens an *older* tree (a table that reads as empty), a damaged root
or last page reads past the file.  Commits alternate between the pages (txn T writes page
``T & 1``) and txn ids go up by one, so the pages must hold T and T-1 (both 0 in a file never
written): anything else, and any root outside the file, is refused before LMDB maps it, as
`UnreadableTablespaceError`.
"""

from __future__ import annotations

import errno as _errno
import os
import stat
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import lmdb

from core.errors import CorruptionError, DatabaseError, OperationalError

MAGIC = 0xBEEFC0DE
P_META = 0x08
P_INVALID = 0xFFFFFFFFFFFFFFFF  # md_root of an empty tree
_INTEGERKEY = 0x08
_FREE_FLAGS = _INTEGERKEY | 0x01 | 0x4000  # | MDB_FIXEDMAP, MDB_NOSUBDIR (environment flags)
_PAGE_HEADER = struct.Struct("<QHHHH")
_META_HEAD = struct.Struct("<IIQQ")  # magic, version, address, mapsize
_DB = struct.Struct("<IHHQQQQQ")  # pad, flags, depth, branch, leaf, overflow, entries, root
_TAIL = struct.Struct("<QQ")  # last page, txn id
_DBS_AT = _PAGE_HEADER.size + _META_HEAD.size  # 40
_TAIL_AT = _DBS_AT + 2 * _DB.size  # 136
_PAGE_SIZES = (4096, 8192, 16384, 32768, 65536)
_MAX_DEPTH = 32  # LMDB's cursor stack (CURSOR_STACK): no tree is deeper


class UnreadableTablespaceError(CorruptionError):
    """A tablespace file LMDB cannot be trusted to open: empty, cut short, or its meta pages
    damaged or inconsistent (1877).  Raised before LMDB maps the file, never a SIGBUS;
    `path` names the file and `reason` says what is wrong.  A forced open (force_recovery
    >= 1) may go on without the table (it then reads as missing, 1812)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"tablespace file {path} cannot be read: {reason}")
        self.path = path
        self.reason = reason


class _Meta(NamedTuple):
    psize: int
    last_pg: int
    txnid: int
    free: tuple  # the free list's MDB_db record (its md_pad is the page size)
    main: tuple  # the main tree's


def _meta(buf: bytes, offset: int, index: int) -> tuple[_Meta | None, str]:
    """Meta page `index` at `offset` if LMDB would accept it (its magic, version and page
    flag; LMDB never reads `mp_pgno`), else (None, what is wrong with it)."""
    if len(buf) < offset + _TAIL_AT + _TAIL.size:
        return None, f"meta page {index} lies past the end of the file"
    _pgno, _pad, flags, _lo, _up = _PAGE_HEADER.unpack_from(buf, offset)
    magic, version, _addr, _mapsize = _META_HEAD.unpack_from(buf, offset + _PAGE_HEADER.size)
    if magic != MAGIC:
        return None, f"meta page {index} has no LMDB magic number"
    if version != 1:
        return None, f"meta page {index} has LMDB format version {version}, not 1"
    if not flags & P_META:
        return None, f"meta page {index} has a damaged page header"
    free = _DB.unpack_from(buf, offset + _DBS_AT)
    main = _DB.unpack_from(buf, offset + _DBS_AT + _DB.size)
    last_pg, txnid = _TAIL.unpack_from(buf, offset + _TAIL_AT)
    return _Meta(free[0], last_pg, txnid, free, main), ""


def _newest_meta(path: str, head: bytes, size: int) -> _Meta:
    """The meta page LMDB would use, once it is known to be sound; raises otherwise."""
    first, why = _meta(head, 0, 0)
    if first is None:
        raise UnreadableTablespaceError(path, f"{why} ({size} bytes): not an LMDB file, or "
                                              "its first page is damaged")
    if first.psize not in _PAGE_SIZES:
        raise UnreadableTablespaceError(
            path, f"meta page 0 records an impossible page size ({first.psize})")
    second, why = _meta(head, first.psize, 1)
    if second is None:
        raise UnreadableTablespaceError(path, why)
    t0, t1 = first.txnid, second.txnid
    # txn T writes meta page T & 1, so the pages hold T and T-1 (or both 0: never written)
    if t0 % 2 or (t1 % 2 == 0 and t1 != 0) or (abs(t0 - t1) != 1 and not t0 == t1 == 0):
        raise UnreadableTablespaceError(
            path, f"the meta pages hold damaged transaction ids ({t0}, {t1}); LMDB would "
                  "open an older or unknown version of the data")
    newest, index = (first, 0) if t0 >= t1 else (second, 1)
    if newest.psize != first.psize:
        raise UnreadableTablespaceError(
            path, f"the meta pages disagree on the page size ({first.psize}, {newest.psize})")
    # the older page's trees are never read (the next commit rewrites it whole).  The free
    # list's md_flags are MDB_INTEGERKEY plus the environment's low flags; the main tree
    # (which holds the named trees `data` and `meta`) has none: any other bit makes LMDB
    # walk a tree as what it is not, and abort on an assertion (SIGABRT) while writing
    free_flags, main_flags = newest.free[1], newest.main[1]
    if (not free_flags & _INTEGERKEY or free_flags & ~_FREE_FLAGS or main_flags
            or max(newest.free[2], newest.main[2]) > _MAX_DEPTH):
        raise UnreadableTablespaceError(
            path, f"meta page {index}: a tree record is damaged (flags {free_flags:#x}, "
                  f"{main_flags:#x}; depths {newest.free[2]}, {newest.main[2]})")
    for root in (newest.free[7], newest.main[7]):
        if root != P_INVALID and not 2 <= root <= newest.last_pg:
            raise UnreadableTablespaceError(
                path, f"meta page {index} points to page {root}, outside the "
                      f"{newest.last_pg + 1} pages in use")
    return newest


def _where_damaged(path: str, text: str) -> str:
    """Where to look, when LMDB says a page is damaged but not which: opening descends from
    the main tree's root (which holds the named trees), so name that page and its offset.
    "" when the meta pages cannot be read either (their own error says so)."""
    if "CORRUPTED" not in text.upper() and "wrong type" not in text:
        return ""
    try:
        with open(path, "rb") as f:
            head = f.read(2 * 65536)
        newest = _newest_meta(path, head, os.path.getsize(path))
    except (OSError, CorruptionError):
        return ""
    root = newest.main[7]
    if root == P_INVALID:
        return ""
    return (f" (a damaged page on the way down from the main tree's root, page {root} at "
            f"offset {root * newest.psize})")


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
        raise UnreadableTablespaceError(path, "it is not a regular file")
    size = st.st_size
    if size == 0:
        raise UnreadableTablespaceError(path, "the file is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(2 * 65536)
    except OSError as exc:
        raise os_error(exc, path) from exc
    newest = _newest_meta(path, head, size)
    need = (newest.last_pg + 1) * newest.psize
    if size < need:
        raise UnreadableTablespaceError(
            path, f"the file is truncated: {size} bytes, its meta page needs {need}")
    return size


def os_error(exc: OSError, path: str) -> DatabaseError:
    """An OSError about `path` as a MySQL error: 1021 for a full disk, 1030 otherwise."""
    if exc.errno in (_errno.ENOSPC, _errno.EDQUOT):
        return OperationalError(f"Disk full ({path}); free some space and try again",
                                errno=1021, sqlstate="HY000")
    return OperationalError(f"Got error {exc.errno or 0} from storage engine: {path}: "
                            f"{exc.strerror or exc}", errno=1030, sqlstate="HY000")


def lmdb_error(exc: BaseException, path: str, *, opening: bool = False) -> DatabaseError:
    """An exception from py-lmdb (or from decoding what it returned) as a MySQL error;
    `opening`: raised while the file was opened and its header read, so the file cannot be
    used at all (`UnreadableTablespaceError`)."""
    if isinstance(exc, DatabaseError):
        return exc
    text = str(exc)
    if isinstance(exc, OSError):
        return os_error(exc, path)
    if "No space left" in text:
        return OperationalError(f"Disk full ({path}); free some space and try again",
                                errno=1021, sqlstate="HY000")
    if opening:
        return UnreadableTablespaceError(
            path, f"LMDB refused it: {type(exc).__name__}: {text}{_where_damaged(path, text)}")
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
