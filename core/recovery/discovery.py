"""Tablespace discovery (InnoDB's `innodb_directories`): rebuild the dictionary's map of
space ids to files from the headers of the `.kdb` files found under given directories.

It runs before the redo scan, when a table file was moved or the space map in system.kdb
lost an entry.  Every `.kdb` file under the directories is opened read-only, without LMDB's
lock file (opening and closing a lock file that this process already holds through another
environment would drop that environment's POSIX locks), and its header read.  Then:

* a `.kdb` that is no tablespace (empty, garbage, a copied spill file, damaged meta pages)
  or a symbolic link is skipped with a `SpaceFileSkipped` warning, and the scan goes on;
* a file whose header records another database's uuid is skipped the same way; if it is the
  only file found for a table the dictionary needs, the open is refused (1877) naming it,
  unless force_recovery >= 1 (the table is then missing, 1812).  A file made before headers
  recorded the uuid is adopted only if its space id, schema and table match the dictionary
  and its `created_lsn` is not past what system.kdb holds, with a `SpaceFileUnverified`
  warning: it cannot be proven to belong;
* two files with the same space id are ambiguous: refused (1877), naming both;
* a file whose header names another table than the map's entry for its id: refused (1877);
* a map entry whose file is missing, found elsewhere: the entry is rewritten to point there
  (relative to the database directory when inside it, absolute otherwise);
* a file whose id the map lost, but the dictionary still has a table for it: re-added.
  A file that neither knows is an orphan of a CREATE that never committed (its file is made
  before the commit is logged), or of a table created after the checkpoint (its map entry
  is still in the redo, and replay re-creates its file from the redo): left alone, and
  after replay a warning names it and the path replay re-created the table at.

A writable open writes the rewritten entries straight into system.kdb (synced); a read-only
open (force_recovery > 0) may change nothing, so the rebuilt entries are only kept on
`engine.discovered_map` (space id -> map entry), which recovery lays over the stored map
(`core.recovery.redo_apply`).  Either way `engine.discovered_map` says what discovery
changed.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from typing import Any

import lmdb
import msgpack

from core.errors import (
    CorruptionError,
    DatabaseNotFoundError,
    Error,
    OperationalError,
    ProgrammingError,
)
from core.events import (
    DirectoriesToScan,
    ScanningDirectory,
    SpaceFilesFound,
    SpaceFileSkipped,
    SpaceFileUnverified,
)
from core.recovery.expendable import lookup
from core.storage.lmdbfile import UnreadableTablespaceError, check_lmdb_file, lmdb_error
from core.storage.spacemap import SPACE_MAP_PREFIX, SYSTEM_SPACE, foreign_reason
from core.storage.tablespace import HEADER_KEY, NO_HEADER, GrowthDeferred

SUFFIX = ".kdb"
# The dictionary's table entries (core.catalog.store.TBL_PREFIX: the catalog sits above
# recovery, so the key layout is repeated here, not imported): a table's id is its space id.
_TABLE_PREFIX = b"m:tbl:"
_U32 = struct.Struct(">I")
SYMLINK = "symlink: not followed"


def rebuild_space_map(engine: Any, directories: Sequence[str]) -> None:
    """Scan `directories` for tablespace files and bring the space map in line with what
    they hold (see the module docstring).  Emits DirectoriesToScan, ScanningDirectory per
    directory and SpaceFilesFound."""
    dirs = scan_directory_list(directories)
    engine.sink(DirectoriesToScan(dirs))
    for d in dirs:
        if not os.path.isdir(d):
            what = "does not exist" if not os.path.lexists(d) else "is not a directory"
            raise DatabaseNotFoundError(
                f"Unknown directory '{d}' in scan_directories (--scan-directories): it {what}")
    opened_here = SYSTEM_SPACE not in engine.spaces
    if opened_here:
        engine.open_space_file({"path": "system.kdb"}, create=False)
    try:
        found, foreign = _scan(engine, dirs)
        rebuilt = _reconcile(engine, found, foreign)
        if rebuilt and not engine.read_only:
            _write_map(engine, rebuilt)
        discovered = dict(getattr(engine, "discovered_map", None) or {})
        discovered.update(rebuilt)
        engine.discovered_map = discovered
        engine.sink(SpaceFilesFound(len(found), len(rebuilt)))
    finally:
        if opened_here:
            engine.spaces.pop(SYSTEM_SPACE).close()


def scan_directory_list(directories: Sequence[str] | str) -> tuple[str, ...]:
    """The directories to scan, empty names left out; none at all is an error (1210): an
    empty `--scan-directories ""` or ";;" must not pass for a scan that found nothing.  A
    string is split at ';' (the command line's form)."""
    if isinstance(directories, str):
        directories = [d.strip() for d in directories.split(";")]
    dirs = tuple(str(d) for d in directories if str(d).strip())
    if not dirs:
        raise ProgrammingError("scan_directories names no directory: give at least one "
                               "directory to scan", errno=1210, sqlstate="HY000")
    return dirs


def persist_discovered(engine: Any) -> None:
    """After replay: name the moved files discovery left as orphans that replay re-created
    elsewhere; then, on a writable open, write again any entry discovery rewrote that
    replay set back to its old path.  A safety net: replay skips map records its
    dictionary already holds (`applied_lsn`), and a table created after the checkpoint
    (map entry only in the redo, its moved file an orphan to discovery) is re-created by
    replay at its old path from the redo, which holds all of it.  Nothing is written on a
    read-only engine."""
    _report_orphans(engine)
    discovered = getattr(engine, "discovered_map", None)
    if engine.read_only or not discovered:
        return
    stored = engine.read_space_map()
    stale = {sid: dict(stored[sid], path=e["path"]) for sid, e in discovered.items()
             if sid in stored and stored[sid].get("path") != e["path"]}
    if stale:
        _write_map(engine, stale)


def _report_orphans(engine: Any) -> None:
    """A warning per orphan file discovery found (no map entry, no table when it ran) whose
    space replay then re-created at another path: the scan found the moved file, but the
    table now lives in the re-created one, and the moved copy is not used."""
    orphans = getattr(engine, "discovered_orphans", None) or {}
    for sid, (path, header) in sorted(orphans.items()):
        name = f"{header.get('schema')}.{header.get('table')}"
        ts = engine.spaces.get(sid)
        if ts is not None:
            if os.path.realpath(ts.path) == os.path.realpath(path):
                continue
            engine.sink(SpaceFileSkipped(path, (
                f"space {sid} ({name}) was created after the last checkpoint, so recovery "
                f"re-created it from the redo log at {ts.path}; this file was not used (an "
                "older copy: remove it, or move it back over that file only after a clean "
                "shutdown)")))
        else:
            engine.sink(SpaceFileSkipped(path, (
                f"space {sid} ({name}) is not in the dictionary that discovery read: the "
                "table was created after the last checkpoint or never committed; if the "
                f"open reports {name}'s tablespace missing, this file holds a copy of it")))
    if orphans:
        engine.discovered_orphans = {}


def _scan(engine: Any, dirs: tuple[str, ...]
          ) -> tuple[dict[int, tuple[str, dict]], dict[int, tuple[str, str]]]:
    """space id -> (absolute path, header) of every tablespace file of this database under
    `dirs` (a file seen through two overlapping directories counts once; space 0 files are
    skipped: the dictionary is never discovered, and another database's system.kdb is not
    ours), and space id -> (path, why) of files that belong to another database.  A file
    that is no tablespace, or a symbolic link, is skipped with a warning."""
    by_real = {os.path.realpath(ts.path): ts.header for ts in engine.spaces.values()}
    ours = engine.database_uuid()
    found: dict[int, tuple[str, dict]] = {}
    foreign: dict[int, tuple[str, str]] = {}
    seen: set[str] = set()
    for d in dirs:
        engine.sink(ScanningDirectory(d))
        for path, problem in _kdb_files(os.path.abspath(d)):
            if problem:
                engine.sink(SpaceFileSkipped(path, problem))
                continue
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            header = by_real.get(real)
            if header is None:
                try:
                    header = read_header(path)
                except Error as exc:
                    engine.sink(SpaceFileSkipped(path, _why_unreadable(exc)))
                    continue
            sid = header["space_id"]
            if sid == SYSTEM_SPACE:
                continue
            why = foreign_reason(header, ours)
            if why:
                engine.sink(SpaceFileSkipped(path, why))
                foreign.setdefault(sid, (path, why))
                continue
            if sid in found:
                raise CorruptionError(
                    f"Multiple files found for the same tablespace ID: {sid} "
                    f"({found[sid][0]}, {path})")
            found[sid] = (path, header)
    return found, foreign


def _why_unreadable(exc: Error) -> str:
    if isinstance(exc, UnreadableTablespaceError):
        return f"not a readable tablespace: {exc.reason}"
    return f"not a readable tablespace: {exc.msg}"


def _kdb_files(top: str) -> list[tuple[str, str]]:
    """(path, problem) of the `.kdb` entries under `top`, in a stable order, outside the
    engine's own directories; `problem` is "" for a regular file, else why it is skipped
    (symbolic links are not followed: the engine never opens a tablespace through one)."""
    out = []
    for root, subdirs, files in os.walk(top, followlinks=False):
        # '#redo', '#spill' (its trx-N.kdb are private spill files, not tablespaces): no
        # schema directory starts with '#'
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("#"))
        for name in sorted(files):
            if not name.endswith(SUFFIX):
                continue
            path = os.path.join(root, name)
            if os.path.islink(path):
                out.append((path, SYMLINK))
            elif not os.path.isfile(path):
                out.append((path, "not a regular file"))
            else:
                out.append((path, ""))
    return out


def read_header(path: str) -> dict:
    """The header of the tablespace file at `path`, read without changing anything: no
    lock file is created or taken, no database created (damage is a CorruptionError naming
    the file)."""
    size = check_lmdb_file(path)
    env = None
    try:
        env = lmdb.open(path, subdir=False, readonly=True, lock=False, max_dbs=4,
                        map_size=max(size * 2, 1 << 20), readahead=False)
        try:
            meta = env.open_db(b"meta", create=False)
        except lmdb.NotFoundError:
            raise UnreadableTablespaceError(path, NO_HEADER) from None
        with env.begin() as txn:
            raw = txn.get(HEADER_KEY, db=meta)
        header = msgpack.unpackb(raw) if raw is not None else None
    except (lmdb.Error, ValueError, TypeError, msgpack.UnpackException) as exc:
        raise lmdb_error(exc, path, opening=True) from exc
    finally:
        if env is not None:
            env.close()
    if not isinstance(header, dict) or not isinstance(header.get("space_id"), int):
        raise UnreadableTablespaceError(path, NO_HEADER)
    return header


def _reconcile(engine: Any, found: dict[int, tuple[str, dict]],
               foreign: dict[int, tuple[str, str]]) -> dict[int, dict]:
    """The map entries to rewrite or re-add (space id -> entry); raises on a conflict.
    Orphans are kept on `engine.discovered_orphans` for `persist_discovered`."""
    stored = engine.read_space_map()
    rebuilt: dict[int, dict] = {}
    orphans = dict(getattr(engine, "discovered_orphans", None) or {})
    for sid, (path, header) in sorted(found.items()):
        entry = stored.get(sid)
        if entry is None:
            if not _dictionary_has_table(engine, sid):
                orphans[sid] = (path, header)
                continue  # an orphan: no map entry and no table
            if _unproven(engine, path, header, foreign):
                continue
            rebuilt[sid] = {"space_id": sid, "schema": header.get("schema"),
                            "table": header.get("table"), "path": _map_path(engine, path)}
            continue
        if (entry.get("schema"), entry.get("table")) != (header.get("schema"),
                                                          header.get("table")):
            raise _disagrees(path, header, f"space {sid} = {entry.get('schema')}."
                                           f"{entry.get('table')} ({entry.get('path')})")
        mapped = os.path.join(engine.path, entry["path"])
        if os.path.realpath(mapped) == os.path.realpath(path):
            continue
        if os.path.lexists(mapped):
            raise CorruptionError(
                f"Multiple files found for the same tablespace ID: {sid} ({mapped}, {path})")
        if _unproven(engine, path, header, foreign):
            continue
        rebuilt[sid] = dict(entry, path=_map_path(engine, path))
    engine.discovered_orphans = orphans
    _refuse_foreign(engine, stored, found, foreign)
    return rebuilt


def _unproven(engine: Any, path: str, header: dict,
              foreign: dict[int, tuple[str, str]]) -> bool:
    """For a file about to be adopted whose header has no database uuid (made before
    headers recorded it): True (not adopted, counted as another database's) when its
    created_lsn lies past everything system.kdb holds, which no file of this database's
    applied tables can; else a warning that it cannot be proven to belong, and False."""
    if header.get("uuid") is not None:
        return False
    sid = header["space_id"]
    created = header.get("created_lsn")
    applied = engine.spaces[SYSTEM_SPACE].applied_lsn
    if isinstance(created, int) and created > applied:
        why = (f"(space {sid}, {header.get('schema')}.{header.get('table')}) was created at "
               f"lsn {created}, after everything this database's dictionary holds (lsn "
               f"{applied}): it belongs to another database")
        engine.sink(SpaceFileSkipped(path, why))
        foreign.setdefault(sid, (path, why))
        return True
    engine.sink(SpaceFileUnverified(path, sid, f"{header.get('schema')}.{header.get('table')}"))
    return False


def _refuse_foreign(engine: Any, stored: dict[int, dict], found: dict[int, tuple[str, dict]],
                    foreign: dict[int, tuple[str, str]]) -> None:
    """Refuse (1877) a table of the dictionary whose file is gone when the only file found
    for its space belongs to another database: adopting it would read and write that
    database's rows as this table's.  A forced open goes on: the table is then missing."""
    if engine.force_recovery >= 1:
        return
    dropped: dict[int, str] | None = None
    for sid, (path, why) in sorted(foreign.items()):
        if sid in found:
            continue
        if dropped is None:
            dropped = lookup(engine)  # a dropped table only waiting for GC: set aside later
        if sid in dropped:
            continue
        entry = stored.get(sid)
        if entry is not None:
            if os.path.lexists(os.path.join(engine.path, entry["path"])):
                continue
            table = f"{entry.get('schema')}.{entry.get('table')} ({entry.get('path')})"
        elif _dictionary_has_table(engine, sid):
            table = f"the table with id {sid}"
        else:
            continue
        raise CorruptionError(
            f"tablespace file {path} {why}: it cannot be used for {table}, whose own file "
            "is missing; move it out of the scanned directories and scan where this "
            "database's file is (or open with force_recovery=1 to go on without the table)")


def _disagrees(path: str, header: dict, dictionary: str) -> CorruptionError:
    return CorruptionError(
        f"tablespace file {path} holds space {header.get('space_id')} "
        f"({header.get('schema')}.{header.get('table')}), but the dictionary has {dictionary}: "
        "a file was swapped or belongs to another database; move it out of the scanned "
        "directories")


def _map_path(engine: Any, path: str) -> str:
    """The map's path for a file: relative to the database directory when inside it (the
    directory can then be moved whole), absolute otherwise."""
    base = os.path.realpath(engine.path)
    real = os.path.realpath(path)
    if os.path.commonpath([base, real]) == base:
        return os.path.relpath(real, base)
    return os.path.abspath(path)


def _dictionary_has_table(engine: Any, sid: int) -> bool:
    """Whether the dictionary (its applied state) has a table with id `sid`.  Only its
    existence is checked: RENAME TABLE changes the dictionary's name for it, never the file's
    header or the map."""
    ts = engine.spaces[SYSTEM_SPACE]
    txn = ts.begin_read()
    try:
        return txn.get(_TABLE_PREFIX + _U32.pack(sid), db=ts.data_db) is not None
    finally:
        ts.end_read(txn)


def _write_map(engine: Any, rebuilt: dict[int, dict]) -> None:
    """Write the rebuilt entries into system.kdb now (not through the redo log: the log is
    not open yet, and replay rewrites an entry only if a later commit changed it)."""
    ts = engine.spaces[SYSTEM_SPACE]
    items = sorted((SPACE_MAP_PREFIX + _U32.pack(sid), msgpack.packb(entry))
                   for sid, entry in rebuilt.items())
    for _attempt in range(5):
        try:
            with ts.apply_lock:
                ts.apply(items, None)
            break
        except GrowthDeferred:
            continue
    else:
        raise OperationalError(f"could not write the rebuilt space map into {ts.path}: the map "
                               "could not grow", errno=1030)
    ts.env.sync(True)
