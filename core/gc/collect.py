"""Collecting one delete range, so that a crash at any moment neither loses a file that is
still needed nor leaves an orphan.

A table range (a dropped or truncated table, a rebuild's old table) is its tablespace file:

1. one transaction (holding the writer lock, so RECOVER TABLE cannot take the range at the
   same time) checks the range is still pending, deletes the space-map entry with a logged
   FILE_DELETE record (`Transaction.delete_space`) and moves the range to the done list
   (`m:gcd:`, recording the file's path, device and inode).  A crash before its commit
   leaves the range pending and the file in place: RECOVER still finds it;
2. after the commit, `engine.flush()`: the checkpoint passes the commit, so no redo that
   recovery would replay still names the space (recovery also skips a space whose
   FILE_DELETE committed, as a second line);
3. the engine forgets the space (new snapshots no longer see it; a reader already in the
   file ends normally, then its LMDB environment closes), its `-lock` file and then the
   file are unlinked and the directory is fsynced.

A crash after step 1 leaves a done range whose file still exists: `finish_done` (at every
open and every round) removes such a file, after checking it is the very file recorded (same
path and inode; its header names that space), with a line in kintsugi.err, so it is never
listed as an orphan either (`core.ddl.orphans` skips it).  Any other file carrying the id (a
backup copied back, at that path or another) is an orphan for the DBA: GC never deletes a
file it did not record.  The lock file goes first, so a crash between the two unlinks
leaves the `.kdb` (removed as above), not a lone lock file.

An index range (DROP INDEX) is the index's entries in its table's file: deleted in batches of
`INDEX_BATCH` keys, one transaction each, the last one also marking the range done; a crash
between two batches leaves the range pending with fewer entries, and the next round goes on.
"""

from __future__ import annotations

import os
from typing import Any

import msgpack

from core.catalog import gcranges
from core.catalog.store import SYSTEM
from core.codec.keys import index_prefix, prefix_next
from core.crashpoints import crash_point
from core.errors import Error
from core.events import GCRangeCollected, RecoveryWarning
from core.log.segment import fsync_dir
from core.recovery.discovery import read_header
from core.txn import begin

Database = Any  # core.sql.session.Database

INDEX_BATCH = 10_000  # index entries deleted per transaction
LOCK_WAIT = 5.0  # seconds GC waits for the writer lock before leaving a range to the next round


def range_name(db: Database, rng: dict, view=None) -> str:
    """"schema.table" (and ".index") of a range, for its event and log line."""
    table = rng.get("table") or {}
    schema, name = table.get("schema"), table.get("name")
    if (schema is None or name is None) and view is not None:
        live = db.catalog.schema(view).tables_by_id.get(int(rng.get("table_id", -1)))
        if live is not None:
            schema, name = live.schema, live.name
    text = f"{schema or '?'}.{name or rng.get('table_id')}"
    if rng.get("kind") == "index":
        text += f".{rng.get('index_name') or rng.get('index_id')}"
    return text


# -- tables ------------------------------------------------------------------------------------


def collect_table(db: Database, rng: dict, now: float) -> GCRangeCollected | None:
    """Collect a pending table range (see the module docstring); the event to emit, or None
    when the range is no longer pending (recovered meanwhile) or its table is live."""
    engine = db.engine
    sid = int(rng["table_id"])
    if engine.pending_entries(sid):
        engine.flush()  # nothing writes a dropped table; whatever it had goes to its file first
    txn = begin(engine, LOCK_WAIT)
    try:
        view = txn.current_view()
        if view.get(SYSTEM, gcranges.range_key(rng)) is None:
            txn.rollback()
            return None  # RECOVER TABLE took it back
        if sid in db.catalog.schema(view).tables_by_id:
            txn.rollback()  # a live table has this id: never delete its file
            return None
        raw = view.get(SYSTEM, engine.space_map_key(sid))
        path = ""
        if raw is not None:
            path = msgpack.unpackb(bytes(raw)).get("path") or ""
            txn.delete_space(sid, path)
        elif sid in engine.spaces:
            path = engine.shown_path(engine.spaces[sid])
        name = range_name(db, rng, view)
        ident = gcranges.file_identity(os.path.join(engine.path, path)) if path else {}
        gcranges.mark_done(txn, dict(rng, path=path, **ident), now)
        crash_point("gc.before_commit")
        txn.commit()
    except BaseException:
        txn.rollback()
        raise
    crash_point("gc.after_commit")
    remove_file(db, sid, path)
    return GCRangeCollected(int(rng.get("job_id") or 0), "table", sid, name,
                            path=path)


def remove_file(db: Database, sid: int, path: str) -> bool:
    """Unlink the file of space `sid`, whose map entry a committed transaction deleted:
    checkpoint past that commit first, then stop serving the file.  False when it was left
    (something still in the overlay for it, or a file at `path` that is another space's).
    A file the open set aside as unusable (`engine.lost_spaces`: a dropped table's damaged
    or foreign file) is removed without reading its header; a missing one is done."""
    engine = db.engine
    if engine.pending_entries(sid):
        return False  # cannot happen (nothing writes a dropped table); retried next round
    engine.flush()  # the checkpoint passes the deletion: no redo to replay names the space
    full = os.path.join(engine.path, path) if path else ""
    ts = engine.spaces.get(sid)
    lost = engine.lost_spaces.pop(sid, None)  # its file was missing or unusable at open
    if ts is not None:
        full = ts.path
    elif not full or not os.path.exists(full):
        if full:
            _unlink(full + "-lock")
        return True
    elif lost is not None and lost.get("path") == path:
        pass  # the damaged (or foreign) file the open set aside at this space's path
    else:
        try:
            if read_header(full).get("space_id") != sid:
                return False  # another table's file took the name since
        except (Error, OSError):
            return False  # unreadable: ADMIN SHOW ORPHAN FILES names it
    # under the writer lock: CREATE TABLE lists the open files to name a new one meanwhile
    engine.acquire_writer(LOCK_WAIT)
    try:
        engine.forget_space(sid)
    finally:
        engine.release_writer()
    for p in (full + "-lock", full):  # the lock first: a crash between leaves the .kdb
        _unlink(p)
        if p != full:
            crash_point("gc.between_unlinks")
    crash_point("gc.after_unlink")
    fsync_dir(os.path.dirname(full))
    return True


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def finish_done(db: Database) -> int:
    """Remove the files of done table ranges a crash left behind (the deletion committed,
    the unlink did not happen); returns how many, each with a line in kintsugi.err.  Only
    the exact file the range recorded goes (its path, and its inode: a copy put back there
    later, or any other file carrying the id, is an orphan `core.ddl.orphans` lists).  A map
    entry found again for such a space at that path (a `scan_directories` open rebuilt it
    from the file's header) is deleted first, logged as GC's own."""
    engine = db.engine
    with engine.snapshot() as snap:
        done = [r for r in gcranges.done(snap) if r.get("kind", "table") == "table"]
        if not done:
            return 0
        live = db.catalog.schema(snap).tables_by_id
        mapped = {}
        for r in done:
            raw = snap.get(SYSTEM, engine.space_map_key(int(r["table_id"])))
            if raw is not None:
                mapped[int(r["table_id"])] = msgpack.unpackb(bytes(raw))
    removed = 0
    for rng in done:
        sid = int(rng["table_id"])
        path = rng.get("path") or ""
        if sid in live or not path:
            continue
        full = os.path.join(engine.path, path)
        if not os.path.exists(full):
            _remove_lock(full)  # a crash between the unlinks (before the lock went first)
            continue
        ts = engine.spaces.get(sid)
        if not gcranges.is_collected_file(rng, engine.path, path) or (
                ts is not None and os.path.realpath(ts.path) != os.path.realpath(full)):
            continue  # not the file GC deleted: an orphan, for the DBA to look at
        if sid in mapped:
            mpath = mapped[sid].get("path") or path
            if os.path.realpath(os.path.join(engine.path, mpath)) != os.path.realpath(full):
                continue
            with begin(engine, LOCK_WAIT) as txn:
                txn.delete_space(sid, mpath)
        if remove_file(db, sid, path):
            removed += 1
            _log(db, f"GC finished deleting {path} (space {sid}, {range_name(db, rng)}, "
                     f"collected for DDL job {rng.get('job_id')}): a crash had interrupted "
                     "the deletion after it committed")
    return removed


def _remove_lock(full: str) -> None:
    try:
        os.unlink(full + "-lock")
    except FileNotFoundError:
        return
    fsync_dir(os.path.dirname(full))


def _log(db: Database, text: str) -> None:
    """One [Warning] line in kintsugi.err (the engine's sink copies it there)."""
    try:
        db.engine.sink(RecoveryWarning(text))
    except Exception:  # noqa: BLE001 - a listener's failure must not stop GC
        pass


# -- indexes -----------------------------------------------------------------------------------


def collect_index(db: Database, rng: dict, now: float, stopping) -> GCRangeCollected | None:
    """Delete a dropped index's entries, `INDEX_BATCH` per transaction, the last batch
    marking the range done; None when the range is no longer pending or `stopping()` said
    to stop between two batches (the next round goes on)."""
    engine = db.engine
    tid, iid = int(rng["table_id"]), int(rng["index_id"])
    lo = index_prefix(tid, iid)
    hi = prefix_next(lo)
    entries = 0
    name = ""
    while True:
        txn = begin(engine, LOCK_WAIT)
        try:
            view = txn.current_view()
            if view.get(SYSTEM, gcranges.range_key(rng)) is None:
                txn.rollback()
                return None
            name = name or range_name(db, rng, view)
            keys = []
            if tid in engine.spaces:  # its table's file still exists (even if dropped)
                for k, _v in view.scan(tid, lo, hi):
                    keys.append(bytes(k))
                    if len(keys) >= INDEX_BATCH:
                        break
            for k in keys:
                txn.delete(tid, k)
            entries += len(keys)
            last = len(keys) < INDEX_BATCH
            if last:
                gcranges.mark_done(txn, dict(rng, entries=entries), now)
            txn.commit()
        except BaseException:
            txn.rollback()
            raise
        if last:
            return GCRangeCollected(int(rng.get("job_id") or 0), "index", tid, name,
                                    entries=entries)
        crash_point("gc.mid_index")
        if stopping():
            return None
