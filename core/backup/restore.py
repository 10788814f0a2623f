"""`kintsugi restore`: a backup, then the binary log up to a point, into a new directory.

Order of work, chosen so that a failure or a SIGKILL at any moment leaves nothing that looks
like a finished restore:

1. check the backup (its manifest, then every file's size and CRC32C) and plan the replay
   (which binlog transactions, that none is missing): every refusal happens here, before
   anything is written;
2. build in a hidden sibling `.DEST.restoring-<pid>` holding a marker file: copy the files,
   open the copy (crash recovery replays the copied redo up to the backup's LSN), replay the
   chosen transactions (core.backup.replay), ADMIN CHECK TABLE every table, close cleanly;
3. give the copy a binary log that continues the source's (Previous_gtids = the backup's
   GTIDs, then the replayed transactions' own events, original GTIDs and times), fsync it
   all, remove the marker, then rename it to DEST (an old DEST, with `force`, is renamed
   aside first, never deleted).

Only the hidden `.DEST.restoring-<pid>` is ever unfinished: a later run removes such
leftovers (of dead processes only) and starts again.  Whatever has been renamed to DEST is
finished, so a rerun never deletes DEST (without `force` it refuses a non-empty DEST).
DEST is refused before anything is written when a process has it open, or when it is,
contains or is inside the backup, the source or the binlog directory (core.backup.dest_guard).
Before the replay, every DDL job the backup caught unfinished is cancelled and rolled back in
the copy (core.backup.ddl_jobs): the binlog holds its statement if the source finished it.

The replay runs with the restored database's binlog off (its commits group several source
transactions, so they could not carry the source's GTIDs one by one); step 3 writes the
binlog from the source's own bytes instead, which is what MySQL's replica would have logged.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.backup import events as ev
from core.backup import manifest as mf
from core.backup.dest_guard import DestLock, check_overlap
from core.backup.restore_args import check_exclude_matches, check_stop_position, check_uuids
from core.crashpoints import crash_point
from core.errors import CorruptionError, Error, OperationalError, ProgrammingError
from core.events import Event, RestoreFinished, RestoreProgress, null_sink
from core.literals import quote_identifier
from core.log import binlog_format as fmt
from core.log.binlog import INDEX_NAME, file_name, has_binlog
from core.log.control import ControlFile
from core.log.gtid import GtidError, GtidSet, parse_gtid, uuid_text

MARKER = ".kintsugi-restoring"  # inside a directory being built: it is not finished
_CHUNK = 1 << 20

# Named crash points (core.crashpoints) a restore passes, in order.
RESTORE_POINTS = (
    "restore.mid_copy",  # some files copied into the temporary directory
    "restore.after_copy",  # every file copied, the copy not yet opened
    "restore.mid_replay",  # some replayed transactions committed
    "restore.after_replay",  # replayed, checked and closed; no binlog written yet
    "restore.before_rename",  # complete and fsynced under its temporary name
    "restore.after_rename",  # in place as DEST (finished: the marker went before)
)


class BackupDamaged(CorruptionError):
    """A backup that is not one, or whose files do not match its manifest (1877)."""


class BinlogMissing(OperationalError):
    """The transactions a restore needs are not in the binary log at hand."""

    errno = 1236


@dataclass
class Plan:
    """What a restore will do, decided before anything is written."""

    manifest: dict
    files: list[str] = field(default_factory=list)  # binlog files to read
    selection: ev.Selection | None = None
    count: int = 0  # transactions to replay
    skipped: int = 0  # left out by exclude
    stopped_before: str = ""
    binlog_dir: str | None = None


# -- the backup ----------------------------------------------------------------------------------


def read_manifest(backup_dir: str) -> dict:
    """The manifest of a backup directory, checked as `kintsugi backup --verify` checks it
    (shape, safe paths, its own checksum): 1877 naming the file and why."""
    if not os.path.isdir(backup_dir):
        raise BackupDamaged(f"{backup_dir}: no such backup directory", errno=1877)
    return mf.load(backup_dir)


def verify_files(backup_dir: str, m: dict, sink: Callable[[Event], None] = null_sink,
                 dest: str = "") -> None:
    """Every file of the manifest present with its size and CRC32C, and the control file
    of the same database as the manifest: else 1877 naming the file and what is wrong."""
    total = sum(int(i.get("size", 0)) for i in m["files"])
    done = 0
    for item in m["files"]:
        rel = item["path"]
        path = os.path.join(backup_dir, rel)
        try:
            size = os.path.getsize(path)
        except OSError:
            raise BackupDamaged(f"backup {backup_dir}: {rel} is missing", errno=1877) from None
        if size != item.get("size"):
            raise BackupDamaged(f"backup {backup_dir}: {rel} has {size} bytes, the manifest "
                                f"says {item.get('size')} (truncated or changed)", errno=1877)
        _size, crc = mf.file_crc(path)
        done += size
        if f"{crc:08x}" != str(item.get("crc32c", "")).lower():
            raise BackupDamaged(f"backup {backup_dir}: {rel} is damaged (CRC32C {crc:08x}, "
                                f"the manifest says {item.get('crc32c')})", errno=1877)
        sink(RestoreProgress(dest, "verify", done, total))
    names = {i["path"] for i in m["files"]}
    if "control" not in names:
        raise BackupDamaged(f"backup {backup_dir}: the manifest lists no control file",
                            errno=1877)
    try:
        control = ControlFile(os.path.join(backup_dir, "control")).read()
    except CorruptionError as exc:
        raise BackupDamaged(f"backup {backup_dir}: control: {exc.msg}", errno=1877) from None
    if uuid_text(control.uuid) != m["uuid"]:
        raise BackupDamaged(f"backup {backup_dir}: control belongs to database "
                            f"{uuid_text(control.uuid)}, the manifest to {m['uuid']} (files "
                            "of another backup mixed in)", errno=1877)


# -- the binary log ------------------------------------------------------------------------------


def _parse_position(text: str) -> tuple[str | None, int]:
    f, sep, p = text.rpartition(":")
    try:
        pos = int(p)
    except ValueError:
        raise ProgrammingError(f"--stop-position {text!r}: expected [file:]position, e.g. "
                               "binlog.000002:4711", errno=1210) from None
    return (os.path.basename(f) if sep and f else None), pos


def plan(backup_dir: str, *, stop_datetime: float | None = None,
         stop_position: str | None = None, stop_gtid: str | None = None,
         exclude_gtids: str | None = None, binlog_dir: str | None = None,
         manifest: dict | None = None) -> Plan:
    """Choose the transactions to replay and check the binlog has all of them (1236)."""
    m = manifest if manifest is not None else read_manifest(backup_dir)
    uuid = m["uuid"]
    try:
        executed = GtidSet.parse(m.get("gtid_executed") or "", default_uuid=uuid)
        exclude = GtidSet.parse(exclude_gtids, default_uuid=uuid) if exclude_gtids else None
        stop = parse_gtid(stop_gtid, default_uuid=uuid) if stop_gtid else None
    except (GtidError, ValueError) as exc:
        raise ProgrammingError(f"Malformed GTID set specification: {exc}", errno=1772) from None
    sel = ev.Selection(stop_datetime=stop_datetime,
                       stop_position=_parse_position(stop_position) if stop_position else None,
                       exclude=exclude, stop_gtid=stop, executed=executed)
    p = Plan(m, selection=sel)
    directory = binlog_dir or m.get("source") or ""
    asked = stop_datetime is not None or stop_position or stop_gtid
    if not (directory and os.path.isdir(directory) and has_binlog(directory)):
        if not m.get("binlog_file") and not asked and not binlog_dir:
            return p  # the source logged nothing: the backup alone is the restore
        raise BinlogMissing(
            f"no binary log to replay in {directory or '(no directory)'}: the backup is "
            f"consistent at GTID {m.get('gtid_executed') or '(none)'} and the transactions "
            "after it are needed; pass --binlog-dir with a copy of the source's binlog files",
            errno=1236)
    p.binlog_dir = directory
    p.files = ev.files_of(directory)
    check_uuids(p.files, uuid)  # every file, not only the first
    _desc, prev = fmt.file_head(p.files[0])
    if sel.stop_position is not None:
        check_stop_position(sel.stop_position, p.files, stop_position or "")
    if exclude is not None:
        inside = _missing(exclude, GtidSet(), None, within=executed)
        if inside:
            raise ProgrammingError(
                f"--exclude-gtids: {inside} is already in the backup "
                f"({m.get('gtid_executed')}), so it cannot be left out; restore a backup "
                "taken before it", errno=1210)
    purged = _missing(GtidSet.parse(prev), executed, exclude)
    if purged:
        raise BinlogMissing(
            f"The binary log has purged transactions the restore needs: GTID {purged} is "
            f"after the backup ({m.get('gtid_executed') or 'nothing'}) and before the first "
            f"file still there ({os.path.basename(p.files[0])}); restore an older backup, or "
            "pass --binlog-dir with a copy that still has them", errno=1236)
    expected = executed.last(uuid) + 1
    seen: list = [None]
    ended = [False]

    def tap(it):
        for t in it:
            seen[0] = t
            yield t
        ended[0] = True

    for t in sel.apply(tap(ev.transactions(p.files, decode=False)), p.files):
        if t.uuid == uuid:
            if t.seq > expected:
                gap = GtidSet()
                gap.add_range(uuid, expected, t.seq - 1)
                lost = _missing(gap, GtidSet(), exclude)
                if lost:
                    raise BinlogMissing(
                        f"The binary log is missing transactions the restore needs: GTID "
                        f"{lost} is not in the files of {directory} (the next one there is "
                        f"{t.gtid} in {t.file}); pass --binlog-dir with a complete copy",
                        errno=1236)
            expected = max(expected, t.seq + 1)
        p.count += 1
    last = seen[0]
    if not ended[0] and last is not None and executed.contains(last.uuid, last.seq):
        raise BinlogMissing(
            f"the stop point is before the backup's own point: {last.gtid} "
            f"({last.file}:{last.pos}) where the replay would stop is already in the backup "
            f"({m.get('gtid_executed')}); restore an older backup", errno=1236)
    if stop is not None and ended[0]:
        raise BinlogMissing(f"--stop-gtid {stop[0]}:{stop[1]} is not in the binary log of "
                            f"{directory}: nothing restored (a mistyped GTID would replay "
                            "everything)", errno=1236)
    if not ended[0] and last is not None:
        p.stopped_before = (f"{last.gtid} at {last.file}:{last.pos} "
                            f"({time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(last.ts))}"
                            + (f", {last.ddl[:60]}" if last.ddl else "") + ")")
    if exclude is not None:
        p.skipped = sum(1 for t in ev.transactions(p.files, decode=False)
                        if exclude.contains(t.uuid, t.seq)
                        and not executed.contains(t.uuid, t.seq))
        check_exclude_matches(p.skipped, exclude_gtids or "", m.get("gtid_executed") or "")
    return p


def _missing(need: GtidSet, have: GtidSet, exclude: GtidSet | None,
             within: GtidSet | None = None) -> str:
    """The first GTID of `need` in neither `have` nor `exclude` (and, given `within`, in
    it): "" when none."""
    for u, ranges in need.intervals.items():
        for a, b in ranges:
            if within is not None:  # only the part `within` covers can match
                top = within.last(u)
                b = min(b, top)
            for s in range(a, b + 1):
                if within is not None and not within.contains(u, s):
                    continue
                if not have.contains(u, s) and not (exclude and exclude.contains(u, s)):
                    return f"{u}:{s}"
    return ""


# -- the restore ---------------------------------------------------------------------------------


def restore(backup_dir: str, dest: str, *, stop_datetime: float | None = None,
            stop_position: str | None = None, stop_gtid: str | None = None,
            exclude_gtids: str | None = None, binlog_dir: str | None = None,
            force: bool = False, sink: Callable[[Event], None] = null_sink,
            group_rows: int | None = None) -> dict:
    """The restore (see the module's docstring); returns the fields of
    core.backup.api.RestoreReport, which wraps them (this module cannot import it back)."""
    started = time.monotonic()
    backup_dir = os.path.abspath(backup_dir)
    dest = os.path.abspath(dest.rstrip("/") or dest)
    m = read_manifest(backup_dir)
    check_overlap(dest, {"backup": backup_dir, "source database": m.get("source") or "",
                         "binlog directory": binlog_dir or ""})
    if os.path.lexists(dest) and not os.path.isdir(dest):
        raise OperationalError(f"{dest} exists and is not a directory", errno=1007)
    if os.path.isdir(dest) and os.listdir(dest) and not force:
        raise OperationalError(f"{dest} exists and is not empty: restore into a new "
                               "directory, or pass --force to put the existing one aside as "
                               f"{os.path.basename(dest)}.replaced-<time>", errno=1007)
    lock = DestLock(dest)
    lock.acquire()  # held until DEST is replaced: no process opens the old DEST meanwhile
    try:
        return _restore(backup_dir, dest, m, started, sink, group_rows,
                        dict(stop_datetime=stop_datetime, stop_position=stop_position,
                             stop_gtid=stop_gtid, exclude_gtids=exclude_gtids,
                             binlog_dir=binlog_dir))
    finally:
        lock.release()


def _restore(backup_dir: str, dest: str, m: dict, started: float,
             sink: Callable[[Event], None], group_rows: int | None, options: dict) -> dict:
    verify_files(backup_dir, m, sink, dest)
    p = plan(backup_dir, manifest=m, **options)
    _remove_stale(dest)
    tmp = os.path.join(os.path.dirname(dest),
                       f".{os.path.basename(dest)}.restoring-{os.getpid()}")
    os.makedirs(os.path.dirname(dest), exist_ok=True)  # the parent: the DBA's choice
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.mkdir(tmp, 0o700)
    try:
        _write_marker(tmp, backup_dir, dest)
        _copy(backup_dir, tmp, m, sink, dest)
        crash_point("restore.after_copy")
        replayed, rows, ranges, gtid, checked, failures = _build(tmp, dest, p, sink, group_rows)
        crash_point("restore.after_replay")
        _write_binlog(tmp, m, p, ranges)
        _fsync_tree(tmp)
        crash_point("restore.before_rename")
        # finished: the marker goes before the rename (the hidden name alone still says
        # unfinished), so whatever is renamed to DEST is a finished restore
        os.unlink(os.path.join(tmp, MARKER))
        _fsync_dir(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    aside = ""
    if os.path.lexists(dest):
        if os.path.isdir(dest) and not os.listdir(dest):
            os.rmdir(dest)
        else:
            aside = f"{dest}.replaced-{time.strftime('%Y%m%d-%H%M%S')}"
            n = 1
            while os.path.lexists(aside):
                n += 1
                aside = f"{dest}.replaced-{time.strftime('%Y%m%d-%H%M%S')}-{n}"
            os.rename(dest, aside)
    os.rename(tmp, dest)
    _fsync_dir(os.path.dirname(dest))
    crash_point("restore.after_rename")
    seconds = time.monotonic() - started
    report = {"dest": dest, "backup": backup_dir, "replayed": replayed, "skipped": p.skipped,
              "stopped_before": p.stopped_before, "gtid": gtid, "seconds": seconds,
              "tables_checked": tuple(checked), "check_failures": tuple(failures),
              "replaced": aside, "rows": rows}
    sink(RestoreFinished(dest, replayed, p.skipped, p.stopped_before, gtid, seconds))
    return report


def _write_marker(tmp: str, backup_dir: str, dest: str) -> None:
    with _private(os.path.join(tmp, MARKER), "w", encoding="utf-8") as f:
        json.dump({"pid": os.getpid(), "backup": backup_dir, "dest": dest,
                   "started": time.time()}, f)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(dest: str) -> None:
    """Remove what earlier runs left: hidden temporaries of dead processes (DEST itself is
    never removed: only a finished restore is ever renamed to it)."""
    parent = os.path.dirname(dest)
    base = os.path.basename(dest)
    if not os.path.isdir(parent):
        return
    prefix = f".{base}.restoring-"
    for name in os.listdir(parent):
        if not name.startswith(prefix):
            continue
        path = os.path.join(parent, name)
        try:
            pid = int(name[len(prefix):])
        except ValueError:
            continue
        if pid != os.getpid() and _alive(pid):  # building, or finished and about to rename
            raise OperationalError(f"another restore into {dest} is running (process {pid}, "
                                   f"building {path})", errno=1007)
        shutil.rmtree(path, ignore_errors=True)


def _copy(backup_dir: str, tmp: str, m: dict, sink: Callable[[Event], None], dest: str) -> None:
    total = sum(int(i["size"]) for i in m["files"])
    done = 0
    sink(RestoreProgress(dest, "copy", 0, total))
    for n, item in enumerate(m["files"]):
        rel = item["path"]
        src, dst = os.path.join(backup_dir, rel), os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(dst), 0o700, exist_ok=True)
        with open(src, "rb") as fi, _private(dst, "wb") as fo:
            while chunk := fi.read(_CHUNK):
                fo.write(chunk)
                done += len(chunk)
                sink(RestoreProgress(dest, "copy", done, total))
            fo.flush()
            os.fsync(fo.fileno())
        if n == 0:
            crash_point("restore.mid_copy")
    for sub in ("#redo",):
        os.makedirs(os.path.join(tmp, sub), 0o700, exist_ok=True)


def _build(tmp: str, dest: str, p: Plan, sink: Callable[[Event], None],
           group_rows: int | None):
    """Open the copy (recovery), replay, check every table, close: (replayed, the source
    rows, the source byte ranges replayed, executed GTID text, tables checked, check failures)."""
    import core
    from core.backup.ddl_jobs import cancel_unfinished, wait_rolled_back
    from core.backup.replay import GROUP_ROWS, Replayer

    sink(RestoreProgress(dest, "recover", 0, 0))
    cancelled = cancel_unfinished(tmp)  # a job the backup caught half done: not in the copy
    conn = core.connect(tmp, database=None, log_bin=False, autocommit=True)
    ranges: list[tuple[str, int, int]] = []
    executed = GtidSet.parse(p.manifest.get("gtid_executed") or "", default_uuid=p.manifest["uuid"])
    try:
        wait_rolled_back(conn, cancelled)
        sink(RestoreProgress(dest, "recover", 1, 1))
        done = [0]

        def committed(t: ev.BinlogTransaction) -> None:
            crash_point("restore.mid_replay")

        rep = Replayer(conn, group_rows=group_rows or GROUP_ROWS, on_commit=committed)
        if p.files and p.count:
            sink(RestoreProgress(dest, "replay", 0, p.count))
            last_emit = 0.0
            try:
                for t in p.selection.apply(ev.transactions(p.files), p.files):
                    rep.apply(t)
                    ranges.append((t.file, t.pos, t.end))
                    executed.add(t.uuid, t.seq)
                    done[0] += 1
                    now = time.monotonic()
                    if now - last_emit > 0.05 or done[0] == p.count:
                        last_emit = now
                        sink(RestoreProgress(dest, "replay", done[0], p.count, t.gtid))
                rep.flush()
            except BaseException:
                rep.abandon()
                raise
        checked, failures = _check_tables(conn, dest, sink)
    finally:
        conn.close()
    return len(ranges), rep.rows, ranges, str(executed), checked, failures


def _check_tables(conn, dest: str, sink: Callable[[Event], None]) -> tuple[list[str], list[str]]:
    rows = conn.execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                        "WHERE TABLE_TYPE = 'BASE TABLE'").fetchall()
    names = sorted((s, t) for s, t in rows
                   if s.lower() not in ("information_schema", "mysql", "performance_schema",
                                        "sys"))
    checked: list[str] = []
    failures: list[str] = []
    for i, (s, t) in enumerate(names):
        name = f"{s}.{t}"
        sink(RestoreProgress(dest, "check", i, len(names)))
        try:
            conn.execute(f"ADMIN CHECK TABLE {quote_identifier(s)}.{quote_identifier(t)}")
        except Error as exc:
            failures.append(f"{name}: {exc.errno} {exc.msg}")
        checked.append(name)
    sink(RestoreProgress(dest, "check", len(names), len(names)))
    return checked, failures


def _write_binlog(tmp: str, m: dict, p: Plan, ranges: list[tuple[str, int, int]]) -> None:
    """The restored database's binlog: it continues the source's GTIDs (Previous_gtids =
    the backup's), then holds each replayed transaction's own events.  Without a binlog at
    the source, none is made (the next open with log_bin on starts one)."""
    if p.binlog_dir is None:
        return
    now = time.time()
    name = file_name(1)
    path = os.path.join(tmp, name)
    with _private(path, "wb") as out:
        out.write(fmt.MAGIC + fmt.format_desc(now, m["uuid"], 1)
                  + fmt.previous_gtids(now, str(GtidSet.parse(m.get("gtid_executed") or "",
                                                               default_uuid=m["uuid"]))))
        handles: dict[str, object] = {}
        try:
            for file, pos, end in ranges:
                f = handles.get(file)
                if f is None:
                    f = handles[file] = open(os.path.join(p.binlog_dir, file), "rb")
                f.seek(pos)
                out.write(f.read(end - pos))
        finally:
            for f in handles.values():
                f.close()
        out.flush()
        os.fsync(out.fileno())
    with _private(os.path.join(tmp, INDEX_NAME), "w", encoding="utf-8") as f:
        f.write(f"./{name}\n")
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private(path: str, mode: str, **kw):
    """open() for writing, the file created 0600 (the engine's own files are private)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, mode, **kw)


def _fsync_tree(root: str) -> None:
    """fsync every file and directory, making each private on the way (0600 / 0700: what
    the engine wrote while the copy was open included)."""
    for d, _dirs, files in os.walk(root):
        for n in files:
            try:
                fd = os.open(os.path.join(d, n), os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.fchmod(fd, 0o600)
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(d, 0o700)
        _fsync_dir(d)
