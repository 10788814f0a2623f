"""What a database directory holds, read without changing one byte of it (`kintsugi info`,
`core.api.inspect`).  (Named `inspection`, not `inspect`: a submodule `core.inspect` would
replace the public function `core.inspect()` on the package once imported.)

An inspection must leave the evidence as it found it: it writes no control file, replays no
redo, writes no tablespace and takes no directory lock, so it also works while another
process has the database open, and on a crashed database it says what recovery *would* do
instead of doing it.  It reads:

* the control file (checkpoint, clean-shutdown flag);
* the redo segment headers, and every record from the checkpoint to the end of the log (a
  damaged record is reported with its file and LSN, never raised);
* each tablespace's header, applied LSN and entry count, through LMDB opened read-only.

Damage is reported with what lies past it (the valid records `frames_past` finds, and how
many COMMITs they hold), since that is what a forced open would lose.  While a live process
holds the database, its writer appends behind the scan, and the end of a write in progress
can look like damage (a frame not yet written, with the writer's next frames landing before
the scan looks past it): the scan then reads on from that point a few times, and reports
damage that stays put only as possible (`log_being_written`), never as a verdict.

LMDB and its `-lock` file: a read-only environment opened with ``lock=True`` still opens (and
creates) `FILE-lock` read-write, and the first process to open it re-initialises it -- a
write.  So the tablespaces are opened with ``lock=False`` (no `-lock` file touched at all)
unless *another* process holds the database: then that process may be writing the file while
it is read, and registering in its reader table (``lock=True``, the table already set up by
the holder, so only the reader's own slot changes, and is freed at close) keeps the writer
from reusing the pages being read.  If the `-lock` file cannot be opened that way (read-only
media, permissions), the read falls back to ``lock=False``: a few page reads that the
holder's next-but-one commit could in theory overwrite, caught as a damaged-read note rather
than trusted silently.  When the holder is this very process, its files are read through
the handles it has open (`core.api.inspect` passes them): py-lmdb refuses a second handle on
a file in one process, and a second handle on its `-lock` file would drop the process's own
fcntl locks on close (POSIX locks are per process).
"""

from __future__ import annotations

import os
import re
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import lmdb
import msgpack

from core.binlog_inspection import BinlogInspection, inspect_binlog
from core.errors import DatabaseNotFoundError, Error, LogCorruptionError
from core.log.control import ControlData, ControlFile
from core.log.record import HEADER_SIZE, RecordType
from core.log.scanner import LogScanner, ScanEnd, frames_past
from core.log.segment import SegmentInfo, read_header
from core.recovery.history import HISTORY_PREFIX, decode_stored, pending_history
from core.status import RecoveryRecord
from core.storage.dirlock import program_of
from core.storage.lmdbfile import check_lmdb_file, os_error
from core.storage.spacemap import SPACE_MAP_PREFIX, SYSTEM_SPACE
from core.storage.tablespace import APPLIED_KEY, HEADER_KEY

__all__ = ["Inspection", "LogDamage", "SegmentInspection", "TablespaceInspection", "inspect"]

_U64 = struct.Struct(">Q")
_U32 = struct.Struct(">I")
_SEGMENT_NAME = re.compile(r"^redo\.(\d+)$")  # as core.log.segment names them
_RESCANS = 3  # re-reads of a log that looks damaged while a live process writes it
_RESCAN_PAUSE = 0.1  # seconds between them: a group commit lands well within that


@dataclass(frozen=True, slots=True)
class LogDamage:
    """Where the log stops being readable although it was acknowledged past that point."""

    lsn: int
    file: str  # the redo segment (absolute path)
    reason: str  # what is wrong with the record at `lsn` (no LSN or file in it)
    # the valid records found past the damage (what a forced open could not apply): where
    # the last one ends (0: none found), how many, and how many transactions' COMMITs
    valid_to_lsn: int = 0
    records_past: int = 0
    committed_past: int = 0


@dataclass(frozen=True, slots=True)
class SegmentInspection:
    seq: int
    start_lsn: int
    path: str
    size: int
    error: str = ""  # a header that could not be read (the segment is then left out)


@dataclass(frozen=True, slots=True)
class TablespaceInspection:
    space_id: int
    name: str  # "system (dictionary)" for space 0, else "schema.table"
    path: str
    applied_lsn: int  # redo up to here is in the file (0 when unreadable)
    entries: int  # LMDB entries: rows and index entries
    missing: bool = False  # the map names the file but it is not there
    error: str = ""  # the file exists but could not be read
    pending: bool = False  # created by redo past the checkpoint, not yet in the map
    # a dropped table's tablespace awaiting GC, as `core.status.TablespaceStatus` has them
    # (read from system.kdb as applied: redo past the checkpoint may hold newer drops)
    dropped_at: float | None = None
    gc_after: float | None = None
    drop_job_id: int | None = None
    drop_job_type: str = ""
    drop_state: str = ""  # "recoverable", "expired", "not recoverable" (core.catalog.dropped)

    @property
    def dropped(self) -> bool:
        return self.dropped_at is not None


@dataclass(frozen=True, slots=True)
class Inspection:
    """A database directory as found on disk (see the module docstring)."""

    path: str
    clean_shutdown: bool  # the control file's flag (False while a process has it open)
    recovery_needed: bool  # not shut down cleanly and nobody holds it: an open would recover
    checkpoint_lsn: int
    end_lsn: int  # where the readable log ends
    durable_lsn: int  # the control file's record of how far the log was durable
    redo_bytes_past_checkpoint: int
    records_past_checkpoint: int
    committed_past_checkpoint: int  # transactions with a COMMIT past the checkpoint
    unfinished_past_checkpoint: int  # records but no COMMIT/ABORT: recovery discards them
    row_operations_to_apply: int  # row operations of those committed transactions
    torn_tail: tuple[int, str] | None  # (lsn, reason): the log ended in a partly written record
    log_damage: LogDamage | None
    held_by_pid: int | None  # the process holding the directory lock, if any
    held_by_command: str  # its command line ("" if unknown or not held)
    segments: tuple[SegmentInspection, ...]
    tablespaces: tuple[TablespaceInspection, ...]
    next_trx_id: int
    # the recovery history (system.kdb's rows, then the rows forced opens left beside it),
    # oldest first; None when system.kdb could not be read
    history: tuple[RecoveryRecord, ...] | None
    history_note: str = ""
    # the log looked damaged, but a live process is appending to it and re-reading it did
    # not settle: possibly only the writer's records half-way through being written
    log_being_written: bool = False
    max_trx_in_log: int = 0  # the highest transaction id the scan saw (0: none)
    gc_enabled: bool = True  # tidb_gc_enable as stored in system.kdb
    binlog: BinlogInspection | None = None  # the binary log's files (None: there is none)


def inspect(path: str, *, open_files: Mapping[str, Any] | None = None,
            now: float | None = None) -> Inspection:
    """Read the database in `path` without writing anything (see the module docstring).

    `open_files` (absolute path -> the open `Tablespace`) is for a database that this very
    process holds: LMDB allows one handle per file and process, so those files are read
    through the handles already open (read transactions only).

    Raises DatabaseNotFoundError (1049) for a directory that does not exist or has no
    control file, CorruptionError (1877) for a control file whose both slots are damaged,
    1030 for one that cannot be read; everything past the control file is reported, not
    raised."""
    path = os.path.abspath(path)
    ctl = _read_control(path)
    held = lock_holder(path)
    redo_dir = os.path.join(path, "#redo")
    segments, seg_infos = _read_segments(redo_dir, ctl.uuid)
    scan = _scan(seg_infos, ctl)
    if held is not None and scan.damage is not None:
        segments, seg_infos, scan = _settle(redo_dir, ctl, scan)
    lmdb_lock = held is not None and held != os.getpid()
    gc: dict = {}
    spaces, history = _read_tablespaces(path, lmdb_lock, scan.creates, open_files or {},
                                        gc=gc, now=time.time() if now is None else now)
    return Inspection(
        path=path, clean_shutdown=ctl.clean_shutdown,
        recovery_needed=not ctl.clean_shutdown and held is None,
        checkpoint_lsn=ctl.checkpoint_lsn, end_lsn=scan.end_lsn, durable_lsn=ctl.durable_lsn,
        redo_bytes_past_checkpoint=max(0, scan.end_lsn - ctl.checkpoint_lsn),
        records_past_checkpoint=scan.records, committed_past_checkpoint=len(scan.committed),
        unfinished_past_checkpoint=len(scan.unfinished()),
        row_operations_to_apply=sum(n for t, n in scan.ops.items() if t in scan.committed),
        torn_tail=scan.torn, log_damage=scan.damage, held_by_pid=held,
        log_being_written=scan.damage is not None and held is not None,
        max_trx_in_log=scan.max_trx, gc_enabled=gc.get("enabled", True),
        held_by_command=program_of(held) if held is not None else "",
        segments=tuple(segments), tablespaces=tuple(spaces), next_trx_id=ctl.next_trx_id,
        history=history, binlog=inspect_binlog(path),
        history_note="" if history is not None else
        "system.kdb could not be read; the history is in information_schema."
        "RECOVERY_HISTORY once the database opens")


def _settle(redo_dir: str, ctl: ControlData, scan: _Scan
            ) -> tuple[list[SegmentInspection], list[SegmentInfo], _Scan]:
    """Re-read a log that looked damaged while a live process appends to it.

    The scan reads the end of the log while the writer is still filling it in: a frame not
    yet written, then the writer's next frames land before the scanner looks past it, and
    that reads as acknowledged damage.  So the scan goes on from the damage point after a
    pause: if it reads past it, that was the writer's end (and the new stop probably is
    too); damage that stays at the same LSN does not go away by waiting."""
    segments: list[SegmentInspection] = []
    infos: list[SegmentInfo] = []
    moved = False
    for _ in range(_RESCANS):
        if scan.damage is None:
            break
        before = scan.damage.lsn
        time.sleep(_RESCAN_PAUSE)
        segments, infos = _read_segments(redo_dir, ctl.uuid)
        scan = _scan(infos, ctl, again=scan)
        moved = scan.damage is None or scan.damage.lsn > before
    if scan.damage is not None and moved:  # still the writer's moving end, not damage
        scan.torn = (scan.damage.lsn, "records still being written")
        scan.end_lsn = scan.damage.lsn
        scan.damage = None
    return segments, infos, scan


# -- the control file and the lock ---------------------------------------------------------


def _read_control(path: str) -> ControlData:
    if not os.path.isdir(path):
        raise DatabaseNotFoundError(
            f"Unknown database directory {path}: it does not exist")
    control = ControlFile(os.path.join(path, "control"))
    if not control.exists():
        raise DatabaseNotFoundError(
            f"{path} exists but has no control file: it is not a KintsugiDB database")
    try:
        return control.read()
    except OSError as exc:
        raise os_error(exc, control.path) from None


def lock_holder(path: str) -> int | None:
    """The pid holding the directory lock of `path`, or None, found without locking anything.

    On Linux, /proc/locks lists every flock with the inode it is on (exact, and the kernel
    drops it when the holder dies).  Elsewhere the pid written in LOCK is checked for life:
    a guess, since a dead holder's pid can be reused."""
    lock = os.path.join(path, "LOCK")
    try:
        st = os.stat(lock)
    except OSError:
        return None
    try:
        with open("/proc/locks") as f:
            table = f.read()
    except OSError:
        table = None
    if table is not None:
        written = _written_pid(lock)
        for line in table.splitlines():
            parts = line.split()
            if len(parts) < 6 or parts[1] != "FLOCK":
                continue
            try:
                pid = int(parts[4])
                major, minor, ino = parts[5].split(":")
                same_dev = (int(major, 16), int(minor, 16)) == (os.major(st.st_dev),
                                                                 os.minor(st.st_dev))
            except ValueError:
                continue
            # some file systems (btrfs, overlayfs) report another device number here
            if int(ino) == st.st_ino and (same_dev or pid == written):
                return pid
        return None
    pid = _written_pid(lock)
    if pid is None:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _written_pid(lock: str) -> int | None:
    try:
        with open(lock, "rb") as f:
            return int(f.read(64).decode(errors="replace").strip() or "x")
    except (OSError, ValueError):
        return None


# -- the log ----------------------------------------------------------------------------------


def _read_segments(redo_dir: str, uuid: bytes
                   ) -> tuple[list[SegmentInspection], list[SegmentInfo]]:
    shown: list[SegmentInspection] = []
    good: list[SegmentInfo] = []
    try:
        names = sorted(os.listdir(redo_dir))
    except OSError:
        return shown, good
    for name in names:
        m = _SEGMENT_NAME.match(name)
        if not m:
            continue
        full = os.path.join(redo_dir, name)
        try:
            seg = read_header(full, uuid)
        except (LogCorruptionError, OSError) as exc:
            size = os.path.getsize(full) if os.path.exists(full) else 0
            reason = exc.msg if isinstance(exc, Error) else str(exc)
            shown.append(SegmentInspection(int(m.group(1)), 0, full, size, reason))
            continue
        good.append(seg)
        shown.append(SegmentInspection(seg.seq, seg.start_lsn, seg.path, seg.size))
    good.sort(key=lambda s: s.seq)
    shown.sort(key=lambda s: s.seq)
    return shown, good


@dataclass
class _Scan:
    end_lsn: int
    records: int
    committed: set[int]
    aborted: set[int]
    ops: dict[int, int]
    creates: dict[int, tuple[int, dict]]  # space id -> (trx, header) of FILE_CREATE records
    torn: tuple[int, str] | None
    damage: LogDamage | None
    max_trx: int = 0

    def unfinished(self) -> set[int]:
        return {t for t in self.ops if t not in self.committed and t not in self.aborted}


def _scan(segments: list[SegmentInfo], ctl: ControlData, again: _Scan | None = None) -> _Scan:
    """Read every record from the checkpoint on, as recovery's scan would, without applying.
    Only the head of each record is decoded (type, transaction, operation count).  `again`:
    an earlier scan that stopped at damage, continued from there (a live writer's records
    may have landed since)."""
    if again is not None and again.damage is not None:
        out, start = again, again.damage.lsn
        out.damage = None
    else:
        out, start = _Scan(ctl.checkpoint_lsn, 0, set(), set(), {}, {}, None, None), \
            ctl.checkpoint_lsn
    scanner = LogScanner(segments, start, allow_corruption=True, known_durable=ctl.durable_lsn)
    lsn = start
    try:
        for rec_lsn, body in scanner.records():
            _count(out, body)
            lsn = rec_lsn + HEADER_SIZE + len(body)
            out.records += 1
    except LogCorruptionError as exc:  # no way to read on at all (a segment is missing)
        out.damage = LogDamage(lsn, _segment_of(segments, lsn), _plain_reason(exc.msg))
        out.end_lsn = lsn
        return out
    end = scanner.end
    out.end_lsn = end.lsn
    if end.damaged:
        out.damage = _past_damage(segments, end)
    elif end.torn:
        out.torn = (end.lsn, end.reason)
    return out


_LSN_PREFIX = re.compile(r"^(?:damaged record at lsn \d+: |redo log corruption at lsn \d+ "
                         r"in \S+: )")


def _plain_reason(reason: str) -> str:
    """The scanner's reason without the LSN and file it starts with (shown beside it)."""
    return _LSN_PREFIX.sub("", reason).strip() or "unreadable record"


def _past_damage(segments: list[SegmentInfo], end: ScanEnd) -> LogDamage:
    """The damage the scan stopped at, with what lies past it: the valid records (found by
    their frame checks), where the last one ends and how many COMMITs they hold."""
    past = _Scan(end.lsn, 0, set(), set(), {}, {}, None, None)
    valid_to = 0
    for rec_lsn, body in frames_past(segments, end):
        _count(past, body)
        past.records += 1
        valid_to = rec_lsn + HEADER_SIZE + len(body)
    file = end.segment.path if end.segment is not None else _segment_of(segments, end.lsn)
    return LogDamage(end.lsn, file, _plain_reason(end.reason), valid_to_lsn=valid_to,
                     records_past=past.records, committed_past=len(past.committed))


def _segment_of(segments: list[SegmentInfo], lsn: int) -> str:
    best = ""
    for seg in segments:
        if seg.start_lsn <= lsn:
            best = seg.path
    return best


def _count(out: _Scan, body) -> None:
    u = msgpack.Unpacker(raw=False, strict_map_key=False)
    u.feed(body)
    try:
        u.read_array_header()
        kind = u.unpack()
        if kind in (RecordType.CHECKPOINT, RecordType.SHUTDOWN):
            return
        trx = u.unpack()
        if isinstance(trx, int) and trx > out.max_trx:
            out.max_trx = trx
        if kind in (RecordType.ROWS, RecordType.ROWS_COMMIT):
            out.ops[trx] = out.ops.get(trx, 0) + u.read_array_header()
            if kind == RecordType.ROWS_COMMIT:
                out.committed.add(trx)
        elif kind == RecordType.COMMIT:
            out.committed.add(trx)
        elif kind == RecordType.ABORT:
            out.aborted.add(trx)
        elif kind in (RecordType.FILE_CREATE, RecordType.FILE_DELETE, RecordType.FILE_RENAME):
            out.ops.setdefault(trx, 0)
            if kind == RecordType.FILE_CREATE:
                space = u.unpack()
                u.skip()
                header = u.unpack()
                if isinstance(header, dict):
                    out.creates[space] = (trx, header)
        else:
            out.ops.setdefault(trx, 0)
    except (ValueError, msgpack.UnpackException, msgpack.OutOfData):
        return  # a body that passed its CRC but does not decode: recovery will say so


# -- the tablespaces --------------------------------------------------------------------------


def _read_tablespaces(path: str, lmdb_lock: bool, creates: dict[int, tuple[int, dict]],
                      open_files: Mapping[str, Any], *, gc: dict | None = None,
                      now: float = 0.0
                      ) -> tuple[list[TablespaceInspection], tuple[RecoveryRecord, ...] | None]:
    sys_path = os.path.join(path, "system.kdb")
    system, space_map = _read_file(sys_path, lmdb_lock, want_map=True,
                                   own=open_files.get(sys_path), now=now)
    if gc is not None:
        gc["enabled"] = system.gc_enabled
    history = None
    if system.history is not None:
        rows = {r.id: r for r in system.history}
        for r in pending_history(path):
            rows.setdefault(r.id, r)
        history = tuple(rows[i] for i in sorted(rows))
    out = [TablespaceInspection(SYSTEM_SPACE, "system (dictionary)", "system.kdb",
                                system.applied_lsn, system.entries,
                                missing=not os.path.lexists(sys_path), error=system.error)]
    for sid, header in sorted(space_map.items()):
        out.append(_space(path, sid, header, lmdb_lock, open_files, pending=False))
    for sid, (_trx, header) in sorted(creates.items()):
        if sid not in space_map and "path" in header:
            out.append(_space(path, sid, header, lmdb_lock, open_files, pending=True))
    return [_marked(ts, system.dropped.get(ts.space_id), system.names.get(ts.space_id))
            for ts in out], history


def _marked(ts: TablespaceInspection, d: Any, name: str | None = None) -> TablespaceInspection:
    """`ts` under its table's name now (a file's header keeps the name it was created under:
    RENAME TABLE and FLASHBACK ... TO change only the dictionary), marked as a dropped table's
    from its pending GC range (`d`), if it has one."""
    if name:
        ts = replace(ts, name=name)
    if d is None:
        return ts
    return replace(ts, dropped_at=d.dropped_at, gc_after=d.gc_after, drop_job_id=d.job_id,
                   drop_job_type=d.job_type, drop_state=d.state)


def _space(path: str, sid: int, header: dict, lmdb_lock: bool,
           open_files: Mapping[str, Any], *, pending: bool) -> TablespaceInspection:
    rel = str(header.get("path", ""))
    name = f"{header.get('schema', '?')}.{header.get('table', '?')}"
    full = os.path.join(path, rel)
    if not rel or not os.path.lexists(full):
        return TablespaceInspection(sid, name, rel, 0, 0, missing=True, pending=pending)
    got, _ = _read_file(full, lmdb_lock, want_map=False, own=open_files.get(full))
    return TablespaceInspection(sid, name, rel, got.applied_lsn, got.entries,
                                error=got.error, pending=pending)


@dataclass
class _FileRead:
    applied_lsn: int = 0
    entries: int = 0
    error: str = ""
    history: list[RecoveryRecord] | None = None  # system.kdb only
    dropped: dict = field(default_factory=dict)  # system.kdb only: space id -> DroppedTable
    names: dict = field(default_factory=dict)  # system.kdb only: space id -> "schema.table"
    gc_enabled: bool = True  # system.kdb only


def _read_file(full: str, lmdb_lock: bool, *, want_map: bool, own: Any = None,
               now: float = 0.0) -> tuple[_FileRead, dict]:
    """Header, applied LSN and entry count of one tablespace file, opened read-only (and
    the space map, from the dictionary).  Any failure is returned as text."""
    got = _FileRead()
    space_map: dict[int, dict] = {}
    if not os.path.lexists(full):
        return got, space_map
    try:
        size = check_lmdb_file(full)
    except Error as exc:
        got.error = exc.msg
        return got, space_map
    if own is not None:  # this process holds the file: read through its open handle
        try:
            got.applied_lsn = own.applied_lsn
            got.entries = own.entry_count()
            if want_map:
                txn = own.begin_read()  # through its gate: not while its map grows
                try:
                    space_map = _space_map(txn)
                    got.history = _history(txn)
                    _read_gc(got, txn, now)
                finally:
                    own.end_read(txn)
        except (lmdb.Error, ValueError, TypeError, struct.error,
                msgpack.UnpackException) as exc:
            got.error = f"{type(exc).__name__}: {exc}"
        return got, space_map
    env = None
    try:
        env = _open_env(full, size, lmdb_lock)
        meta = env.open_db(b"meta", create=False)
        data = env.open_db(b"data", create=False)
        with env.begin(db=data) as txn:
            if txn.get(HEADER_KEY, db=meta) is None:
                got.error = "the file has no tablespace header"
            applied = txn.get(APPLIED_KEY, db=meta)
            got.applied_lsn = _U64.unpack(applied)[0] if applied else 0
            got.entries = txn.stat(data)["entries"]
            if want_map:
                space_map = _space_map(txn)
                got.history = _history(txn)
                _read_gc(got, txn, now)
    except (lmdb.Error, ValueError, TypeError, struct.error, msgpack.UnpackException) as exc:
        got.error = f"{type(exc).__name__}: {exc}"
    finally:
        if env is not None:
            env.close()
    return got, space_map


def _space_map(txn: lmdb.Transaction) -> dict[int, dict]:
    """The tablespace map as applied to system.kdb (`txn` opened on its data database)."""
    out: dict[int, dict] = {}
    cur = txn.cursor()
    if cur.set_range(SPACE_MAP_PREFIX):
        for k, v in cur.iternext():
            if not k.startswith(SPACE_MAP_PREFIX):
                break
            value = msgpack.unpackb(v)
            if isinstance(value, dict):
                out[_U32.unpack(k[len(SPACE_MAP_PREFIX):])[0]] = value
    return out


class _TxnView:
    """A read transaction on system.kdb's data as the catalog reads a view (`get`, `scan`),
    so the GC ranges and the job history decode as an open database decodes them."""

    def __init__(self, txn: lmdb.Transaction):
        self.txn = txn

    def get(self, _space: int, key: bytes) -> bytes | None:
        value = self.txn.get(key)
        return None if value is None else bytes(value)

    def scan(self, _space: int, lo: bytes, hi: bytes | None):
        cur = self.txn.cursor()
        if not cur.set_range(lo):
            return
        for k, v in cur.iternext():
            if hi is not None and bytes(k) >= hi:
                return
            yield bytes(k), bytes(v)


def _read_gc(got: _FileRead, txn: lmdb.Transaction, now: float) -> None:
    """The dropped tables awaiting GC and whether GC is on; a damaged entry leaves them
    unmarked (the inspection reports files, it does not fail on the dictionary)."""
    from core.catalog.dropped import dropped_tables
    from core.catalog.gcranges import global_variable
    from core.catalog.store import CatalogStore

    view = _TxnView(txn)
    try:
        got.dropped = {d.table_id: d for d in dropped_tables(view, now, collected=False)}
        got.names = {t.id: f"{t.schema}.{t.name}"
                     for t in CatalogStore().schema(view).tables_by_id.values()}
        got.names.update((d.table_id, f"{d.schema}.{d.name}") for d in got.dropped.values())
        got.gc_enabled = str(global_variable(view, "tidb_gc_enable") or "ON").upper() in (
            "ON", "1", "TRUE")
    except (Error, ValueError, TypeError, KeyError, msgpack.UnpackException):
        got.dropped = {}


def _history(txn: lmdb.Transaction) -> list[RecoveryRecord]:
    cur = txn.cursor()
    return decode_stored(cur.iternext() if cur.set_range(HISTORY_PREFIX) else ())


def _open_env(full: str, size: int, lmdb_lock: bool) -> lmdb.Environment:
    kwargs = dict(subdir=False, readonly=True, max_dbs=4, map_size=max(size, 1 << 20) * 2,
                  readahead=False, create=False)
    if lmdb_lock and os.access(full + "-lock", os.R_OK | os.W_OK):
        try:
            return lmdb.open(full, lock=True, max_readers=512, **kwargs)
        except lmdb.Error:
            pass  # the -lock file could not be used: read without it (module docstring)
    return lmdb.open(full, lock=False, **kwargs)
