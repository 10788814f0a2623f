"""Tablespace discovery (InnoDB's `innodb_directories`): rebuild the dictionary's map of
space ids to files from the headers of the `.kdb` files found under given directories.

It runs before the redo scan, when a table file was moved or the space map in system.kdb
lost an entry.  Every `.kdb` file under the directories is opened read-only, without LMDB's
lock file (opening and closing a lock file that this process already holds through another
environment would drop that environment's POSIX locks), and its header read.  Then:

* two files with the same space id are ambiguous: refused (1877), naming both;
* a file whose header names another table than the map's entry for its id: refused (1877);
* a map entry whose file is missing, found elsewhere: the entry is rewritten to point there
  (relative to the database directory when inside it, absolute otherwise);
* a file whose id the map lost, but the dictionary still has a table for it: re-added.
  A file that neither knows is an orphan of a CREATE that never committed (its file is made
  before the commit is logged), or of a table created after the checkpoint (its map entry
  is still in the redo, and replay re-creates its file from the redo): left alone.

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

from core.errors import CorruptionError, DatabaseNotFoundError, OperationalError
from core.events import DirectoriesToScan, ScanningDirectory, SpaceFilesFound
from core.storage.lmdbfile import check_lmdb_file, lmdb_error
from core.storage.spacemap import SPACE_MAP_PREFIX, SYSTEM_SPACE
from core.storage.tablespace import HEADER_KEY, GrowthDeferred

SUFFIX = ".kdb"
# The dictionary's table entries (core.catalog.store.TBL_PREFIX: the catalog sits above
# recovery, so the key layout is repeated here, not imported): a table's id is its space id.
_TABLE_PREFIX = b"m:tbl:"
_U32 = struct.Struct(">I")


def rebuild_space_map(engine: Any, directories: Sequence[str]) -> None:
    """Scan `directories` for tablespace files and bring the space map in line with what
    they hold (see the module docstring).  Emits DirectoriesToScan, ScanningDirectory per
    directory and SpaceFilesFound."""
    dirs = tuple(str(d) for d in directories)
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
        found = _scan(engine, dirs)
        rebuilt = _reconcile(engine, found)
        if rebuilt and not engine.read_only:
            _write_map(engine, rebuilt)
        discovered = dict(getattr(engine, "discovered_map", None) or {})
        discovered.update(rebuilt)
        engine.discovered_map = discovered
        engine.sink(SpaceFilesFound(len(found), len(rebuilt)))
    finally:
        if opened_here:
            engine.spaces.pop(SYSTEM_SPACE).close()


def persist_discovered(engine: Any) -> None:
    """After replay, on a writable open: write again any entry discovery rewrote that
    replay set back to its old path.  A safety net: replay skips map records its
    dictionary already holds (`applied_lsn`), and a table created after the checkpoint
    (map entry only in the redo, its moved file an orphan to discovery) is re-created by
    replay at its old path from the redo, which holds all of it.  Nothing on a read-only
    engine."""
    discovered = getattr(engine, "discovered_map", None)
    if engine.read_only or not discovered:
        return
    stored = engine.read_space_map()
    stale = {sid: dict(stored[sid], path=e["path"]) for sid, e in discovered.items()
             if sid in stored and stored[sid].get("path") != e["path"]}
    if stale:
        _write_map(engine, stale)


def _scan(engine: Any, dirs: tuple[str, ...]) -> dict[int, tuple[str, dict]]:
    """space id -> (absolute path, header) of every tablespace file under `dirs` (a file
    seen through two overlapping directories counts once; space 0 files are skipped: the
    dictionary is never discovered, and another database's system.kdb is not ours)."""
    by_real = {os.path.realpath(ts.path): ts.header for ts in engine.spaces.values()}
    found: dict[int, tuple[str, dict]] = {}
    seen: set[str] = set()
    for d in dirs:
        engine.sink(ScanningDirectory(d))
        for path in _kdb_files(os.path.abspath(d)):
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            header = by_real.get(real) or read_header(path)
            sid = header["space_id"]
            if sid == SYSTEM_SPACE:
                continue
            if sid in found:
                raise CorruptionError(
                    f"Multiple files found for the same tablespace ID: {sid} "
                    f"({found[sid][0]}, {path})")
            found[sid] = (path, header)
    return found


def _kdb_files(top: str) -> list[str]:
    """Regular `.kdb` files under `top`, in a stable order, outside the engine's own
    directories (symbolic links are not followed: the engine never opens a tablespace
    through one)."""
    out = []
    for root, subdirs, files in os.walk(top, followlinks=False):
        # '#redo', '#spill' (its trx-N.kdb are private spill files, not tablespaces): no
        # schema directory starts with '#'
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("#"))
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(SUFFIX) and os.path.isfile(path) and not os.path.islink(path):
                out.append(path)
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
        meta = env.open_db(b"meta", create=False)
        with env.begin() as txn:
            raw = txn.get(HEADER_KEY, db=meta)
        header = msgpack.unpackb(raw) if raw is not None else None
    except (lmdb.Error, ValueError, TypeError, msgpack.UnpackException) as exc:
        raise lmdb_error(exc, path) from exc
    finally:
        if env is not None:
            env.close()
    if not isinstance(header, dict) or not isinstance(header.get("space_id"), int):
        raise CorruptionError(f"tablespace file {path} has no readable header")
    return header


def _reconcile(engine: Any, found: dict[int, tuple[str, dict]]) -> dict[int, dict]:
    """The map entries to rewrite or re-add (space id -> entry); raises on a conflict."""
    stored = engine.read_space_map()
    rebuilt: dict[int, dict] = {}
    for sid, (path, header) in sorted(found.items()):
        entry = stored.get(sid)
        if entry is None:
            if not _dictionary_has_table(engine, sid):
                continue  # an orphan: no map entry and no table
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
        rebuilt[sid] = dict(entry, path=_map_path(engine, path))
    return rebuilt


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
