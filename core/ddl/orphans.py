"""Orphan files: what lies in the data directory that neither the dictionary nor the engine
knows, listed with why it is there, and a safe way to remove or adopt each.

Whatever left them (a CREATE TABLE killed between making its file and logging its commit, a
table rebuild rolled back, a copy made by hand, a stray editor backup), such files are never
read, but they take space, and one whose header repeats a live table's space id makes a
later `scan_directories` open ambiguous.  The seed's manual procedure had the DBA find and
delete them by hand; here:

* `ADMIN SHOW ORPHAN FILES` lists them (path, size, time, kind, and for a `.kdb` what its
  header says it was: space id, table, created LSN), with the reason and what can be done;
* `ADMIN REMOVE ORPHAN FILE 'path'` moves one (and its LMDB lock file) into `#orphans/` in
  the data directory, synced, with a line in `#orphans/MANIFEST.jsonl` saying where it came
  from: never a silent delete, and a file the dictionary knows is refused (1813);
* `ADMIN ADOPT ORPHAN FILE 'path' [AS db.t]` makes a `.kdb` a table again, under its own
  space id (its rows' keys carry it), when its definition is still known: a DDL job's args
  record it (a table rebuild's new table).  Otherwise it answers 1235 naming what is
  missing: the rows alone do not say what the columns were.  A dropped table's file is no
  orphan (the map and its GC range still name it), so its GC range is never needed here.

"Known" is decided under the writer lock (no CREATE can be between making its file and
publishing its map entry meanwhile): a tablespace the map names (a dropped table's file
stays in the map until GC), one open in the engine, one a DDL job not yet finished owns
(`table_id`, `args["new_table_id"]`), one queued for GC (`m:gc:`), the very file (path and
inode) a done GC range records deleting (a crash left it: GC removes it; any other file
with a collected table's id is an orphan); and the engine's own
files: LOCK, control, system.kdb, `kintsugi.err`, `#recovery-pending.jsonl`, the LMDB lock
file beside every known tablespace, and the whole of `#redo/`, `#spill/` (open
transactions' spill files; recovery removes dead ones), `#redo-damaged-*` (kept by a forced
recovery on purpose) and the quarantine `#orphans/` itself.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import stat
import time
from dataclasses import dataclass, field
from typing import Any

import msgpack

from core.catalog import gcranges
from core.catalog.model import DDLJob, TableInfo
from core.catalog.store import GC_PREFIX
from core.errors import (
    Error,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    ReadOnlyError,
)
from core.events import JobState, SchemaState
from core.recovery.discovery import read_header
from core.storage.lmdbfile import UnreadableTablespaceError
from core.storage.spacemap import SPACE_MAP_PREFIX, SYSTEM_SPACE, foreign_reason
from core.txn import begin

Database = Any  # core.sql.session.Database
Session = Any  # core.sql.session.Session

QUARANTINE = "#orphans"
MANIFEST = "MANIFEST.jsonl"
SUFFIX = ".kdb"
LOCK_SUFFIX = "-lock"  # LMDB's lock file beside a tablespace
CREATING = ".creating"  # core.storage.tablespace builds a new file under this name first
# The engine's own names at the top of the data directory (core.storage.engine's layout).
ENGINE_FILES = frozenset({"LOCK", "control", "system.kdb", "system.kdb-lock", "kintsugi.err",
                          "#recovery-pending.jsonl", "#backup-history.jsonl", "binlog.index",
                          "binlog.index.tmp"})
BINLOG_FILE = re.compile(r"^binlog\.\d{6,}$")  # the binary log (core.log.binlog)
ENGINE_DIRS = frozenset({"#redo", "#spill", QUARANTINE})
ENGINE_DIR_PREFIXES = ("#redo-damaged-",)  # core.recovery.forced keeps a damaged log here
COLUMNS = ["PATH", "SIZE", "MODIFIED", "KIND", "SPACE_ID", "TABLE_NAME", "CREATED_LSN",
           "REASON", "ACTIONS"]
_MAP_END = SPACE_MAP_PREFIX[:-1] + bytes([SPACE_MAP_PREFIX[-1] + 1])


@dataclass
class Orphan:
    path: str  # relative to the data directory
    size: int
    modified: float
    kind: str
    reason: str
    space_id: int | None = None
    table: str = ""  # `schema`.`table` as the header (or the known definition) names it
    created_lsn: int | None = None
    header: dict | None = None
    definition: TableInfo | None = None  # what adopting it would make it
    adopt_refusal: str = ""  # why it cannot be adopted ("" when it can)

    @property
    def actions(self) -> str:
        if self.definition is not None and not self.adopt_refusal:
            return f"remove, adopt (as {self.definition.schema}.{self.definition.name})"
        return "remove"

    def row(self) -> list:
        when = _dt.datetime.fromtimestamp(self.modified).strftime("%Y-%m-%d %H:%M:%S")
        return [self.path, self.size, when, self.kind, self.space_id, self.table or None,
                self.created_lsn, self.reason, self.actions]


@dataclass
class Known:
    """What the dictionary and the engine know, read under the writer lock."""

    map: dict[int, dict]  # space id -> map entry (a dropped table's too, until GC)
    paths: dict[str, str]  # real path of each known tablespace file -> what it is
    tables: dict[int, TableInfo]
    gc: dict[int, dict]  # table id -> GC range entry (its "table" is the definition)
    jobs: list[DDLJob]
    owned: dict[int, DDLJob] = field(default_factory=dict)  # space id -> unfinished job
    done: dict[int, dict] = field(default_factory=dict)  # space id -> GC's done range

    def describe(self, sid: int) -> str:
        entry = self.map.get(sid) or {}
        table = self.tables.get(sid)
        if table is not None:
            return f"the tablespace of table `{table.schema}`.`{table.name}` (space {sid})"
        if sid in self.gc:
            return f"space {sid}, a dropped table's tablespace queued for GC"
        if sid in self.done:
            return (f"space {sid}, a dropped table's tablespace GC collected (the file is "
                    "removed at the next GC round or open)")
        if sid in self.owned:
            job = self.owned[sid]
            return f"space {sid}, owned by DDL job {job.job_id} ({job.job_type}, {job.state})"
        return f"space {sid} ({entry.get('schema')}.{entry.get('table')}) in the tablespace map"


def read_known(db: Database, view) -> Known:
    engine = db.engine
    entries = {}
    for k, v in view.scan(SYSTEM_SPACE, SPACE_MAP_PREFIX, _MAP_END):
        sid = int.from_bytes(bytes(k[len(SPACE_MAP_PREFIX):]), "big")
        entries[sid] = msgpack.unpackb(bytes(v))
    store = db.catalog
    schema = store.schema(view)
    gc = {int(r.get("table_id", -1)): r for r in store.gc_ranges(view)}
    jobs = store.jobs(view)
    known = Known(entries, {}, dict(schema.tables_by_id), gc, jobs)
    known.done = {int(r.get("table_id", -1)): r for r in gcranges.done(view)
                  if r.get("kind", "table") == "table"}
    for job in jobs:
        if not job.state.finished:
            for sid in (job.table_id, job.args.get("new_table_id")):
                if isinstance(sid, int) and sid > 0:
                    known.owned[sid] = job
    for sid, entry in entries.items():
        if entry.get("path"):
            known.paths[os.path.realpath(os.path.join(engine.path, entry["path"]))] = \
                known.describe(sid)
    for sid, ts in list(engine.spaces.items()):
        known.paths.setdefault(os.path.realpath(ts.path), known.describe(sid)
                               if sid != SYSTEM_SPACE else "the dictionary (system.kdb)")
    return known


# -- listing -----------------------------------------------------------------------------------


def find_orphans(db: Database, known: Known) -> list[Orphan]:
    """Every orphan under the data directory, in path order."""
    top = db.engine.path
    out: list[Orphan] = []
    for root, dirs, files in os.walk(top, followlinks=False):
        rel_root = os.path.relpath(root, top)
        if rel_root == ".":
            dirs[:] = sorted(d for d in dirs if not _engine_dir(d))
        else:
            dirs.sort()
        for name in sorted(files):
            rel = name if rel_root == "." else os.path.join(rel_root, name)
            orphan = classify(db, known, rel)
            if orphan is not None:
                out.append(orphan)
    return out


def _engine_dir(name: str) -> bool:
    return name in ENGINE_DIRS or name.startswith(ENGINE_DIR_PREFIXES)


def engine_file(rel: str) -> bool:
    """Whether `rel` is one of the engine's own files (not a tablespace)."""
    parts = rel.split(os.sep)
    if len(parts) == 1 and (parts[0] in ENGINE_FILES or BINLOG_FILE.match(parts[0])):
        return True
    return _engine_dir(parts[0])


def classify(db: Database, known: Known, rel: str) -> Orphan | None:
    """The orphan at `rel` (relative to the data directory), or None when the file is known
    (a tablespace, its lock file, or the engine's own)."""
    top = db.engine.path
    full = os.path.join(top, rel)
    if engine_file(rel):
        return None
    real = os.path.realpath(full)
    if real in known.paths:
        return None
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None

    def orphan(kind: str, reason: str, **kw) -> Orphan:
        return Orphan(rel, st.st_size, st.st_mtime, kind, reason, **kw)

    if os.path.islink(full):
        return orphan("symbolic link", f"a symbolic link (to {os.readlink(full)}); the engine "
                                       "never makes or follows links in the data directory")
    if os.sep not in rel:
        return orphan("file", "not a file the engine makes at the top of the data directory")
    if rel.endswith(SUFFIX + LOCK_SUFFIX):
        base = full[:-len(LOCK_SUFFIX)]
        if os.path.realpath(base) in known.paths:
            return None
        if os.path.lexists(base):
            return None  # it goes with its tablespace file, listed (and moved) with it
        return orphan("lock file", "an LMDB lock file whose tablespace file "
                                   f"{os.path.basename(base)} is gone")
    if rel.endswith(SUFFIX + CREATING) or rel.endswith(SUFFIX + CREATING + LOCK_SUFFIX):
        return orphan("partial tablespace", "a tablespace whose creation was interrupted: the "
                                            "engine builds a new file under this name and "
                                            "renames it when complete; nothing refers to it")
    if not rel.endswith(SUFFIX):
        return orphan("file", "not a file the engine makes (a schema directory holds only "
                              "tablespace files and their lock files)")
    return _classify_kdb(db, known, rel, orphan)


def _classify_kdb(db: Database, known: Known, rel: str, orphan) -> Orphan | None:
    full = os.path.join(db.engine.path, rel)
    try:
        header = read_header(full)
    except UnreadableTablespaceError as exc:
        return orphan("unreadable tablespace", f"not a readable tablespace: {exc.reason}")
    except Error as exc:
        return orphan("unreadable tablespace", f"not a readable tablespace: {exc.msg}")
    sid = header["space_id"]
    name = f"{header.get('schema')}.{header.get('table')}"
    info = {"space_id": sid, "table": name, "created_lsn": header.get("created_lsn"),
            "header": header}
    foreign = foreign_reason(header, db.engine.database_uuid())
    if foreign:
        return orphan("foreign tablespace", f"this file {foreign}", **info,
                      adopt_refusal="it belongs to another database")
    if sid == SYSTEM_SPACE:
        return orphan("tablespace", "a copy of the dictionary (system.kdb): only the one at the "
                                    "top of the data directory is used", **info,
                      adopt_refusal="it is a copy of the dictionary")
    if sid in known.map:
        live = _live_header(db, known, sid)
        where = known.map[sid].get("path")
        what = known.describe(sid)
        if live is not None and live == header:  # a copy keeps its header, path included
            reason = (f"a copy of {what}, whose file is {where}: only that file is used")
        else:
            reason = (f"space id {sid} is now {what} (file {where}, created at lsn "
                      f"{(live or {}).get('created_lsn', '?')}); this file is another tablespace "
                      f"that had the id (made for {name} at lsn {header.get('created_lsn')}), "
                      "whose CREATE never committed or whose map entry was lost")
        return orphan("tablespace", reason, **info,
                      adopt_refusal=f"its space id {sid} is taken by {what}; a copy cannot be "
                                    "adopted (IMPORT TABLESPACE)")
    if sid in known.done and sid not in known.tables:
        return _collected(db, known, rel, sid, orphan, info)
    if sid in known.owned or sid in known.gc or sid in known.tables:
        return None  # a job or GC will deal with it where the map does not name it
    definition, source = find_definition(known, sid)
    by_job = _job_about(known, sid)
    if by_job is not None:
        reason = (f"left by DDL job {by_job.job_id} ({by_job.job_type}, {by_job.state}): no "
                  f"tablespace map entry or table has space {sid} any more")
    else:
        reason = (f"no tablespace map entry, table, GC range or DDL job has space {sid}: a "
                  "CREATE TABLE (or table rebuild) that never committed leaves such a file (it "
                  "is made before the commit is logged)")
    refusal = ""
    if definition is None:
        refusal = (f"the table definition of space {sid} ({name}) is not known: no DDL job "
                   "records it (the rows alone do not say what the columns were)")
    else:
        reason += f"; its table definition is known ({source})"
        pending = [ix.name for ix in definition.indexes if ix.state != SchemaState.PUBLIC]
        if pending:
            refusal = (f"its definition has indexes that are not public ({', '.join(pending)})")
    return orphan("tablespace", reason, **info, definition=definition, adopt_refusal=refusal)


def _collected(db: Database, known: Known, rel: str, sid: int, orphan, info: dict):
    """A file carrying the id of a table GC collected: None for the very file GC deleted
    (a crash left it; the next round or open removes it), an orphan for any other (a copy,
    or the file put back after GC): GC never deletes what it did not record."""
    rng = known.done[sid]
    if gcranges.is_collected_file(rng, db.engine.path, rel):
        return None
    job = rng.get("job_id")
    return orphan("tablespace", f"its table was collected by GC (job {job}): space {sid} "
                                f"was {rng.get('path') or 'a tablespace'}, deleted then; "
                                "nothing refers to this file", **info,
                  adopt_refusal=f"its table was collected by GC (job {job}); a collected "
                                "table is not brought back (RECOVER TABLE cannot either)")


def _live_header(db: Database, known: Known, sid: int) -> dict | None:
    ts = db.engine.spaces.get(sid)
    if ts is not None:
        return ts.header
    entry = known.map.get(sid) or {}
    try:
        return read_header(os.path.join(db.engine.path, entry.get("path", "")))
    except (Error, OSError):
        return None


def _job_about(known: Known, sid: int) -> DDLJob | None:
    for job in reversed(known.jobs):
        if job.table_id == sid or job.args.get("new_table_id") == sid:
            return job
    return None


def find_definition(known: Known, sid: int) -> tuple[TableInfo | None, str]:
    """The last known definition of the table whose id is `sid` and where it was found: a
    DDL job's args (a GC range also holds one, but a space queued for GC is no orphan)."""
    for job in reversed(known.jobs):
        for found in _table_dicts(job.args):
            if found.get("id") == sid:
                try:
                    return TableInfo.from_dict(found), f"args of DDL job {job.job_id}"
                except (KeyError, TypeError, ValueError):
                    continue
    return None, ""


def _table_dicts(value) -> list[dict]:
    """The table definitions (TableInfo dicts) anywhere inside a job's args."""
    out = []
    if isinstance(value, dict):
        if {"id", "schema", "name", "columns", "indexes"} <= value.keys():
            out.append(value)
        for v in value.values():
            out.extend(_table_dicts(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(_table_dicts(v))
    return out


# -- the statements ----------------------------------------------------------------------------


def _locked(db: Database):
    """A transaction holding the writer lock: no file is being created meanwhile."""
    txn = begin(db.engine)
    view = txn.current_view()
    return txn, view


def show(db: Database) -> list[list]:
    """ADMIN SHOW ORPHAN FILES's rows."""
    if db.engine.read_only:  # no writer lock, and nothing is created: a snapshot will do
        with db.engine.snapshot() as snap:
            return [o.row() for o in find_orphans(db, read_known(db, snap))]
    txn, view = _locked(db)
    try:
        return [o.row() for o in find_orphans(db, read_known(db, view))]
    finally:
        txn.rollback()


def _wrong(stmt: str, why: str) -> Error:
    return ProgrammingError(f"Incorrect arguments to {stmt}: {why}", errno=1210,
                            sqlstate="HY000")


def resolve(db: Database, path: str, stmt: str) -> str:
    """`path` (relative to the data directory, or absolute inside it) as a relative path."""
    top = os.path.realpath(db.engine.path)
    full = path if os.path.isabs(path) else os.path.join(top, path)
    full = os.path.normpath(full)
    parent = os.path.realpath(os.path.dirname(full))  # the file itself may be a link
    if os.path.commonpath([top, parent]) != top:
        raise _wrong(stmt, f"'{path}' is not inside the data directory {top}")
    rel = os.path.relpath(os.path.join(parent, os.path.basename(full)), top)
    if rel == "." or rel.startswith(".."):
        raise _wrong(stmt, f"'{path}' is not a file inside the data directory {top}")
    if not os.path.lexists(os.path.join(top, rel)):
        raise OperationalError(f"Can't find file: '{path}' (errno: 2 - No such file or "
                               "directory)", errno=1017, sqlstate="HY000")
    if os.path.isdir(os.path.join(top, rel)) and not os.path.islink(os.path.join(top, rel)):
        raise _wrong(stmt, f"'{path}' is a directory; name the files in it")
    return rel


def _the_orphan(db: Database, known: Known, rel: str, stmt: str) -> Orphan:
    """The orphan at `rel`, or the error that says why the file is no orphan."""
    if rel.split(os.sep)[0] == QUARANTINE:
        raise _wrong(stmt, f"'{rel}' is already in the quarantine {QUARANTINE}/")
    if engine_file(rel):
        raise _wrong(stmt, f"'{rel}' is one of the engine's own files, not an orphan")
    orphan = classify(db, known, rel)
    if orphan is not None:
        return orphan
    full = os.path.realpath(os.path.join(db.engine.path, rel))
    base = full[:-len(LOCK_SUFFIX)] if full.endswith(LOCK_SUFFIX) else full
    if base != full and classify(db, known, rel[:-len(LOCK_SUFFIX)]) is not None:
        raise _wrong(stmt, f"'{rel}' is the lock file of {os.path.basename(base)}, an orphan "
                           "listed (and moved) with it")
    what = known.paths.get(base)
    if what is None and base.endswith(SUFFIX):
        try:  # a file of a space a job or GC owns, at a path the map does not name
            what = known.describe(read_header(base)["space_id"])
        except (Error, OSError, KeyError):
            what = None
    if base != full:
        what = f"the lock file of {what or os.path.basename(base)}"
    hint = " (DROP TABLE removes a table's file)" if what and "of table" in what else ""
    raise OperationalError(
        f"Tablespace '{rel}' exists: it is {what or 'known to the dictionary'}, not an "
        f"orphan{hint}", errno=1813, sqlstate="HY000")


def _writable(db: Database, stmt: str) -> None:
    if db.engine.read_only:
        raise ReadOnlyError(f"{stmt} changes the data directory; the database is open "
                            "read-only (force_recovery)")


def remove(db: Database, path: str) -> list[list]:
    """ADMIN REMOVE ORPHAN FILE: move the file (and a `.kdb`'s lock file) into the
    quarantine; rows (PATH, MOVED_TO)."""
    stmt = "ADMIN REMOVE ORPHAN FILE"
    _writable(db, stmt)
    txn, view = _locked(db)
    try:
        rel = resolve(db, path, stmt)
        orphan = _the_orphan(db, read_known(db, view), rel, stmt)
        moved = [(rel, quarantine(db.engine.path, rel, orphan.reason))]
        lock = rel + LOCK_SUFFIX
        if rel.endswith(SUFFIX) and os.path.lexists(os.path.join(db.engine.path, lock)):
            moved.append((lock, quarantine(db.engine.path, lock, f"lock file of {rel}")))
    finally:
        txn.rollback()
    return [[src, dst] for src, dst in moved]


def quarantine(top: str, rel: str, reason: str) -> str:
    """Move `rel` to `#orphans/rel` (a free name: `.1`, `.2`, ... appended when taken), the
    file synced before and both directories after; a manifest line says where it was."""
    src = os.path.join(top, rel)
    dst_rel = os.path.join(QUARANTINE, rel)
    n = 0
    while os.path.lexists(os.path.join(top, dst_rel)):
        n += 1
        dst_rel = os.path.join(QUARANTINE, f"{rel}.{n}")
    dst = os.path.join(top, dst_rel)
    _makedirs_synced(top, os.path.dirname(dst))
    if stat.S_ISREG(os.lstat(src).st_mode):  # a FIFO would block the open: only files
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    os.rename(src, dst)
    _fsync_dir(os.path.dirname(dst))
    _fsync_dir(os.path.dirname(src))
    line = json.dumps({"at": time.time(), "from": rel, "to": dst_rel, "reason": reason},
                      sort_keys=True)
    fd = os.open(os.path.join(top, QUARANTINE, MANIFEST),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_dir(os.path.join(top, QUARANTINE))
    return dst_rel


def _makedirs_synced(top: str, path: str) -> None:
    missing = []
    p = path
    while not os.path.isdir(p):
        missing.append(p)
        p = os.path.dirname(p)
    for d in reversed(missing):
        os.mkdir(d, 0o700)
        _fsync_dir(os.path.dirname(d))


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def adopt(session: Session, path: str, to) -> list[list]:
    """ADMIN ADOPT ORPHAN FILE: the `.kdb` at `path` becomes table `to` (default: the name
    its definition had) under its own space id, in one transaction that also writes a
    finished "adopt table" job row; rows (PATH, SPACE_ID, TABLE_NAME)."""
    stmt = "ADMIN ADOPT ORPHAN FILE"
    db = session.db
    _writable(db, stmt)
    txn, view = _locked(db)
    store = db.catalog
    try:
        rel = resolve(db, path, stmt)
        known = read_known(db, view)
        orphan = _the_orphan(db, known, rel, stmt)
        if orphan.space_id is None or orphan.header is None:
            raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{stmt}' "
                                    f"for '{rel}': it is {_article(orphan.kind)} "
                                    f"{orphan.kind}, not a tablespace it can read",
                                    errno=1235, sqlstate="42000")
        sid = orphan.space_id
        if orphan.definition is None or orphan.adopt_refusal:
            raise NotSupportedError(
                f"This version of KintsugiDB doesn't yet support '{stmt}' for '{rel}' (space "
                f"{sid}, {orphan.table}): {orphan.adopt_refusal or 'no definition is known'}; "
                f"ADMIN REMOVE ORPHAN FILE '{rel}' quarantines it instead", errno=1235,
                sqlstate="42000")
        info = TableInfo.from_dict(orphan.definition.to_dict())
        schema = store.schema(view)
        if to is not None:
            info.schema = to.db or session.require_db()
            info.name = to.name
        dbinfo = schema.database(info.schema)
        if dbinfo is None:
            raise ProgrammingError(f"Unknown database '{info.schema}'", errno=1049,
                                   sqlstate="42000")
        info.schema = dbinfo.name
        if schema.table(info.schema, info.name) or schema.view(info.schema, info.name):
            raise ProgrammingError(f"Table '{info.name}' already exists", errno=1050,
                                   sqlstate="42S01")
        header = orphan.header
        txn.adopt_space({"space_id": sid, "schema": header.get("schema"),
                         "table": header.get("table"), "path": rel})
        db.engine.reserve_space_id(sid)
        store.put_table(txn, info)
        txn.delete(SYSTEM_SPACE, GC_PREFIX + sid.to_bytes(4, "big"))  # GC must not take it
        now = time.time()
        job = DDLJob(job_id=store.next_job_id(txn), db_name=info.schema, table_name=info.name,
                     job_type="adopt table", schema_state=SchemaState.PUBLIC,
                     schema_id=dbinfo.id, table_id=sid, row_count=0, create_time=now,
                     start_time=now, end_time=now, state=JobState.SYNCED,
                     query=f"{stmt} '{rel}'" + (f" AS {info.schema}.{info.name}" if to else ""))
        job.note("adopted", f"{rel} (space {sid}) is table {info.schema}.{info.name} again; "
                            f"{orphan.reason}")
        store.put_job(txn, job)
        db.commit_schema_change(txn)
    except BaseException:
        txn.rollback()
        raise
    db.forget_autoinc(sid)
    return [[rel, sid, f"{info.schema}.{info.name}"]]


def reserve_orphan_ids(db: Database) -> None:
    """At open: keep the space ids that orphaned tablespace files carry away from new
    tables.  A CREATE TABLE killed between making its file and committing leaves a file
    whose id the dictionary never recorded; handing that id to the next table would give
    two files one id (the orphan could never be adopted, and a directory scan would find
    them clashing).  Costs a walk of the data directory and the tablespace map; a header is
    read only for a `.kdb` file neither knows (no job history, no dictionary: this runs at
    every open)."""
    engine = db.engine
    if engine.read_only:
        return
    top = engine.path
    try:
        known = {os.path.realpath(ts.path) for ts in engine.spaces.values()}
        known.update(os.path.realpath(os.path.join(top, e["path"]))
                     for e in engine.read_space_map().values() if e.get("path"))
        for root, dirs, files in os.walk(top, followlinks=False):
            if root == top:
                dirs[:] = [d for d in dirs if not _engine_dir(d)]
            for name in files:
                full = os.path.join(root, name)
                if not name.endswith(".kdb") or os.path.realpath(full) in known:
                    continue
                try:
                    engine.reserve_space_id(read_header(full)["space_id"])
                except (Error, OSError):
                    continue  # unreadable: ADMIN SHOW ORPHAN FILES says why
    except OSError:
        return  # best effort here


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def install(db: Database) -> None:
    """Make `db`'s sessions run the orphan file statements (core.ddl.install calls this)."""
    from core.sql import dialect
    from core.sql.result import Result

    def run_show(session, node) -> Result:
        rows = show(session.db)
        return Result(names=list(COLUMNS), rows=rows, rowcount=len(rows))

    def run_remove(session, node) -> Result:
        rows = remove(session.db, node.this.this)
        return Result(names=["PATH", "MOVED_TO"], rows=rows, rowcount=len(rows))

    def run_adopt(session, node) -> Result:
        rows = adopt(session, node.this.this, node.args.get("to"))
        return Result(names=["PATH", "SPACE_ID", "TABLE_NAME"], rows=rows, rowcount=len(rows))

    db.statement_handlers.update({
        dialect.AdminShowOrphanFiles: run_show,
        dialect.AdminRemoveOrphanFile: run_remove,
        dialect.AdminAdoptOrphanFile: run_adopt,
    })
