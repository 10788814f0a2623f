"""Start-up recovery: find the end of the log and replay committed work into the tablespaces.

It runs between the two halves of opening (`core.kv.Engine.open`): after the storage has
taken the directory lock and read the control file, before it serves.  It is four steps,
each a function that a test (or a watchable recovery) can run on its own:

1. `discover`: open the dictionary (rebuilding its tablespace map from the files' headers
   first when `scan_directories` is given) and every tablespace the map names, list the
   redo segments;
2. `scan`: read the log from the checkpoint to its end (cutting a torn tail), finding which
   transactions committed, with their commit LSNs and row-operation counts.  A forced scan
   that stops at damage looks past it and counts what it cannot apply (`core.recovery.forced`);
3. `apply`: replay the row images of committed transactions whose commit LSN is above the
   target tablespace's `applied_lsn`, in batches of bounded size, each announced, stepped in
   10%s and completed like InnoDB's.  A batch that ends on a commit boundary advances
   `applied_lsn` in the same LMDB transaction; a batch cut inside a huge transaction leaves
   it where it was, which is safe because full images make replay idempotent.  A read-only
   open (force_recovery >= 1) replays into an in-memory generation instead;
4. `clean_up`: transactions with records but no COMMIT are discarded.  Nothing of theirs
   ever reached a tablespace (no-steal), so "rolling back" is discarding their row images
   and removing their spill files.

The events come in the order `core.events` documents; `recover` runs the four and returns a
`RecoveryResult`, what the storage needs to serve and what the history records.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

import msgpack

from core.errors import CorruptionError, LogCorruptionError, OperationalError
from core.events import (
    CheckpointFound,
    RecoveryFinished,
    RecoveryStarted,
    RecoveryWarning,
    RedoScanDone,
    RedoScanProgress,
    RedoSkipped,
    TablespaceMissing,
    TornTailCut,
    TransactionDiscarded,
    TransactionsToRollBack,
    TrxIdCounter,
)
from core.log.control import ControlData
from core.log.record import HEADER_SIZE, RecordType, decode_body
from core.log.scanner import LogScanner, ScanEnd
from core.log.segment import SegmentInfo, data_end_lsn, list_segments
from core.recovery.discovery import persist_discovered, rebuild_space_map
from core.recovery.expendable import Expendable, recheck
from core.recovery.forced import (
    SkippedRedo,
    classify_damage,
    count_past_damage,
    keep_damaged_segments,
    skip_everything,
    write_discard_facts,
)
from core.recovery.replay import replay
from core.recovery.spacenames import SpaceNames, missing_error, table_name
from core.storage.overlay import INFINITY, MISSING, MutableGeneration
from core.storage.spacemap import SPACE_MAP_PREFIX

if TYPE_CHECKING:
    from core.storage.engine import Engine


SCAN_REPORT_BYTES = 5 * 1024 * 1024  # InnoDB repeats "scanned up to" every few MB of log
APPLY_BATCH_OPS = 200_000  # the crash tests lower it to make batches (and mid-apply crashes)
_space_of = itemgetter(0)
HEAD_ONLY_BYTES = 4096  # a ROWS/ROWS_COMMIT body this long: the scan reads its head only


def _rows_head(body) -> list | None:
    """[kind, trx, range(number of operations)] of a long ROWS or ROWS_COMMIT body, read
    without decoding its row images (the apply pass decodes them once: the scan decoding
    them too cost a fifth of a recovery); None for any other record."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(body)
    try:
        if unpacker.read_array_header() not in (3, 4):
            return None
        kind = unpacker.unpack()
        if kind != RecordType.ROWS and kind != RecordType.ROWS_COMMIT:
            return None
        trx = unpacker.unpack()
        return [kind, trx, range(unpacker.read_array_header())]
    except (ValueError, msgpack.UnpackException, msgpack.OutOfData):
        return None


def _fill_spaces(segments: list[SegmentInfo], deferred: dict[int, list[int]],
                 committed: dict[int, int], trx_spaces: dict[int, set[int]]) -> None:
    """The tables of the transactions that did not commit (to be cleaned up, or lost past
    damage), from the ROWS records whose images the scan skipped: read again, decoded
    once.  A committed transaction's tables are never asked for."""
    for trx, lsns in deferred.items():
        if trx in committed:
            continue
        spaces = trx_spaces.setdefault(trx, set())
        for lsn in lsns:
            for _lsn, body in LogScanner(segments, lsn, allow_corruption=True).records():
                spaces.update(map(_space_of, decode_body(body)[2]))
                break


_MAP_END = SPACE_MAP_PREFIX[:-1] + bytes([SPACE_MAP_PREFIX[-1] + 1])


@dataclass(frozen=True)
class RecoveryResult:
    """What recovery leaves for the engine to serve from, and what it did (the history)."""

    segments: list[SegmentInfo]  # the live redo segments, the last one to append to
    end_lsn: int  # the end of the log: the next record goes here
    dead_segments: tuple[SegmentInfo, ...] = ()  # later segments with nothing valid: remove
    max_trx_id: int = 0  # the highest transaction id in the log since the checkpoint
    applied_records: int = 0  # row operations replayed
    discarded: dict[int, int] = field(default_factory=dict)  # trx id -> row ops thrown away
    overlay: MutableGeneration | None = None  # read-only opens replay into memory instead
    torn: bool = False  # the log ended in a damaged record (zero what follows before writing)
    crashed: bool = False  # the last shutdown was not clean (recovery reported its events)
    checkpoint_lsn: int = 0
    records_scanned: int = 0
    batches: int = 0
    skipped: SkippedRedo | None = None  # redo a forced open could not apply
    skipped_tables: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # "schema.table" of tablespaces opened without their file
    kept: tuple[str, ...] = ()  # discard_damaged_log: the copies of the damaged segments
    kept_dir: str = ""
    start_time: float = 0.0
    end_time: float = 0.0
    # the binlog events of the committed transactions in the scanned log, in commit order:
    # what the binary log may lack after a crash (core.log.binlog.BinlogWriter.recover)
    binlog: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class RedoScan:
    """What the scan step found between the checkpoint and the end of the log."""

    end: ScanEnd
    records: int
    committed: dict[int, int]  # trx id -> LSN just past its COMMIT (its commit LSN)
    aborted: frozenset[int]  # transactions that logged ABORT: rolled back, nothing to report
    ops: dict[int, int]  # trx id -> row operations logged (0 for file operations only)
    creates: list[tuple[int, int, dict]]  # (trx id, space id, header) of FILE_CREATE records
    max_trx_id: int
    trx_spaces: dict[int, set[int]] = field(default_factory=dict)  # spaces of ROWS records
    skipped: SkippedRedo | None = None  # forced: what lies past the damage (or level 6: all)
    names: SpaceNames | None = None
    batches: list[int] = field(default_factory=list)  # apply: the sizes of its batches
    # (trx id, space id) of FILE_DELETE records: GC deleted a dropped table's tablespace
    deletes: list[tuple[int, int]] = field(default_factory=list)
    binlog: list[tuple[int, bytes]] = field(default_factory=list)  # (trx, events) in log order

    def committed_binlog(self) -> list[bytes]:
        """Each committed transaction's binlog events (its BINLOG records joined), in
        commit order; transactions that never committed are left out."""
        parts: dict[int, list[bytes]] = {}
        for trx, data in self.binlog:
            if trx in self.committed:
                parts.setdefault(trx, []).append(data)
        return [b"".join(parts[t]) for t in sorted(parts, key=self.committed.__getitem__)]

    def deleted_spaces(self) -> frozenset[int]:
        """Spaces whose deletion committed in the scanned log: their file may be gone, and
        nothing of them is replayed (GC checkpoints past its commit before it unlinks the
        file, so this is only a second line)."""
        return frozenset(sid for trx, sid in self.deletes if trx in self.committed)

    def unfinished(self) -> dict[int, int]:
        """Transactions that logged records but neither committed nor rolled back (a
        transaction whose COMMIT lies past damage a forced scan stopped at is not one: it
        is counted among the skipped commits)."""
        past: set[int] = set()
        if self.skipped is not None:
            past = self.skipped.committed_trx | self.skipped.unknown_trx
        return {t: n for t, n in self.ops.items()
                if t not in self.committed and t not in self.aborted and t not in past}


def recover(engine: Engine, ctl: ControlData) -> RecoveryResult:
    """Bring the tablespaces of `engine` (storage opened, not serving) up to the end of the
    log described by `ctl`, the control file as found at open.  After a clean shutdown there
    is nothing to replay and no event is emitted (damage and forced skips are still
    reported)."""
    t0 = time.perf_counter()
    started = time.time()
    level = engine.force_recovery
    _warn_control(engine, ctl)
    segments = discover(engine, ctl)
    crashed = not ctl.clean_shutdown
    if crashed:
        engine.sink(RecoveryStarted(ctl.checkpoint_lsn, engine.path, level))
    redo = _scan_or_skip(engine, segments, ctl, crashed=crashed)
    end = redo.end
    kept_dir, kept = "", ()
    torn = end.torn
    if getattr(engine, "discard_damaged_log", False):
        kept_dir, kept = keep_damaged_segments(engine, segments, end)
        skipped = redo.skipped
        write_discard_facts(kept_dir, {
            "cut_lsn": end.lsn, "kept": list(kept), "kept_dir": kept_dir,
            "commits_lost": skipped.commits if skipped is not None else 0,
            "unknown": len(skipped.unknown_trx) if skipped is not None else 0,
            "to_lsn": skipped.to_lsn if skipped is not None else end.lsn,
            "tables": list(redo.names.names(skipped.spaces))
            if skipped is not None and redo.names is not None else [],
            "checkpoint_lsn": ctl.checkpoint_lsn, "force_recovery": level,
            "start_time": started, "records_scanned": redo.records})
        torn = True  # zero the damaged segment from the cut on before anything is written
        # DamagedLogKept ("the log was ended") is said by the open once it has been
    applied, overlay = apply(engine, segments, ctl.checkpoint_lsn, redo)
    if getattr(engine, "scan_directories", None):
        persist_discovered(engine)  # replay may have set a moved table's old path back
    discarded = clean_up(engine, redo, overlay)
    skipped = redo.skipped
    skipped_commits = skipped.commits if skipped is not None else 0
    if crashed:
        engine.sink(RecoveryFinished(
            end.lsn, applied, len(discarded), time.perf_counter() - t0, len(redo.batches),
            skipped_commits, kept=level >= 3,
            unknown_outcome=len(skipped.unknown_trx) if skipped is not None else 0))
    live = [s for s in segments if s not in end.dead_segments]
    if not live and not (level >= 6 and engine.read_only):
        raise LogCorruptionError("no usable redo segment")
    names = redo.names or SpaceNames(engine)
    missing = tuple(sorted(table_name(h) for h in getattr(engine, "missing_spaces", {}).values()))
    return RecoveryResult(
        live, end.lsn, end.dead_segments, redo.max_trx_id, applied, discarded, overlay, torn,
        crashed, checkpoint_lsn=ctl.checkpoint_lsn, records_scanned=redo.records,
        batches=len(redo.batches), skipped=skipped,
        skipped_tables=names.names(skipped.spaces) if skipped is not None else (),
        missing=missing, kept=kept, kept_dir=kept_dir, start_time=started,
        end_time=time.time(), binlog=redo.committed_binlog())


def _warn_control(engine: Engine, ctl: ControlData) -> None:
    """A damaged control-file slot: the open goes on from the other one, but says so (the
    shutdown is taken as not clean, `core.storage.lifecycle`), and a control file lost
    altogether (force_recovery 6 only) is said too."""
    control = getattr(engine, "control", None)
    lost = getattr(engine, "control_lost", "")
    if lost:
        engine.sink(RecoveryWarning(
            f"{lost}; force_recovery = 6 opens the database from its tablespaces alone "
            "(read-only, no redo applied)"))
        return
    for slot in getattr(control, "damaged_slots", ()):
        engine.sink(RecoveryWarning(
            f"The control file {control.path} has a damaged slot {slot} (it fails its "
            f"checksum); the other slot (checkpoint lsn {ctl.checkpoint_lsn}) is used and the "
            "last shutdown is treated as not clean: the redo log is replayed from that "
            "checkpoint"))


def _scan_or_skip(engine: Engine, segments: list[SegmentInfo], ctl: ControlData, *,
                  crashed: bool) -> RedoScan:
    """Step 2; at force_recovery 6, which applies no redo, a log that cannot be read does
    not block the open: it is reported, and everything after the checkpoint is skipped."""
    if engine.force_recovery < 6:
        return scan(engine, segments, ctl, crashed=crashed)
    problem = getattr(engine, "redo_unusable", "")
    if not problem:
        try:
            return scan(engine, segments, ctl, crashed=crashed)
        except (LogCorruptionError, OSError, ValueError) as exc:
            problem = str(getattr(exc, "msg", exc))
    engine.sink(RecoveryWarning(
        f"The redo log cannot be read ({problem}); force_recovery = 6 applies no redo, so "
        "the database opens from its tablespaces as they are"))
    lsn = ctl.checkpoint_lsn
    skipped = SkippedRedo(lsn, max(lsn, ctl.durable_lsn),
                          reason=f"force_recovery=6 applies no redo; the redo log is unusable: "
                                 f"{problem}")
    engine.sink(RedoSkipped(skipped.from_lsn, skipped.to_lsn, 0, (), skipped.reason, 6))
    return RedoScan(ScanEnd(lsn=lsn), 0, {}, frozenset(), {}, [], 0, {}, skipped,
                    SpaceNames(engine))


def discover(engine: Engine, ctl: ControlData) -> list[SegmentInfo]:
    """Step 1: open the dictionary (`system.kdb`), rebuild its tablespace map from the
    files found in `engine.scan_directories` when given, open every tablespace the map names
    whose file exists, and list the redo segments.  A missing file is not an error yet:
    replay may create it; `clean_up` decides."""
    sys_path = os.path.join(engine.path, "system.kdb")
    if not os.path.exists(sys_path):
        raise OperationalError(f"{sys_path} is missing: the dictionary is gone")
    engine.open_space_file({"path": "system.kdb"}, create=False)
    directories = getattr(engine, "scan_directories", None)
    if directories is not None:  # an empty list is an error (rebuild_space_map says so)
        rebuild_space_map(engine, directories)
    _open_mapped_spaces(engine, missing_ok=True)
    try:
        return list_segments(engine.redo_dir, ctl.uuid)
    except (LogCorruptionError, OSError) as exc:
        if engine.force_recovery < 6:
            raise
        engine.redo_unusable = str(getattr(exc, "msg", exc))  # level 6 needs no redo
        return []


def scan(engine: Engine, segments: list[SegmentInfo], ctl: ControlData, *,
         crashed: bool) -> RedoScan:
    """Step 2: read every record from the checkpoint to the end of the log.  Damage followed
    by valid records is corruption (refused unless force_recovery >= 1, which stops there
    and counts what lies past it); a torn tail is cut and reported.  Progress is reported
    only when recovering from a crash."""
    sink = engine.sink
    level = engine.force_recovery
    start = ctl.checkpoint_lsn
    scanner = LogScanner(segments, start, allow_corruption=level >= 1,
                         known_durable=ctl.durable_lsn, segment_size=ctl.segment_size,
                         last_segment=ctl.last_segment)
    estimate = 0  # read when the first report is due: small logs never pay for it
    if crashed:
        sink(CheckpointFound(start, _segment_of(segments, start)))
    committed: dict[int, int] = {}
    aborted: set[int] = set()
    ops: dict[int, int] = {}
    trx_spaces: dict[int, set[int]] = {}
    creates: list[tuple[int, int, dict]] = []
    deletes: list[tuple[int, int]] = []
    binlog: list[tuple[int, bytes]] = []
    # level 6 names the tables of every commit it skips (one set for all the small ones:
    # a set per transaction would cost memory in proportion to the log)
    commit_spaces: set[int] | None = set() if level >= 6 else None
    max_trx = 0
    records = 0
    next_report = start + SCAN_REPORT_BYTES
    head_only = commit_spaces is None  # level 6 names every table: it decodes all
    deferred: dict[int, list[int]] = {}  # trx -> LSNs of ROWS records read head-only
    for lsn, body in scanner.records():
        rec = _rows_head(body) if head_only and len(body) > HEAD_ONLY_BYTES else None
        if rec is None:
            rec = decode_body(body)
        records += 1
        kind = rec[0]
        if kind == RecordType.ROWS:
            trx = rec[1]
            ops[trx] = ops.get(trx, 0) + len(rec[2])
            if type(rec[2]) is range:
                deferred.setdefault(trx, []).append(lsn)
            else:
                spaces = trx_spaces.get(trx)
                if spaces is None:
                    spaces = trx_spaces[trx] = set()
                spaces.update(map(_space_of, rec[2]))
            max_trx = max(max_trx, trx)
        elif kind == RecordType.COMMIT:
            committed[rec[1]] = lsn + HEADER_SIZE + len(body)
            max_trx = max(max_trx, rec[1])
        elif kind == RecordType.ROWS_COMMIT:
            ops[rec[1]] = ops.get(rec[1], 0) + len(rec[2])
            committed[rec[1]] = lsn + HEADER_SIZE + len(body)
            max_trx = max(max_trx, rec[1])
            if commit_spaces is not None:
                commit_spaces.update(map(_space_of, rec[2]))
        elif kind == RecordType.ABORT:
            aborted.add(rec[1])
        elif kind in (RecordType.FILE_CREATE, RecordType.FILE_DELETE, RecordType.FILE_RENAME):
            ops.setdefault(rec[1], 0)
            max_trx = max(max_trx, rec[1])
            if kind == RecordType.FILE_CREATE:
                creates.append((rec[1], rec[2], rec[4]))
                trx_spaces.setdefault(rec[1], set()).add(rec[2])
            elif kind == RecordType.FILE_DELETE:
                deletes.append((rec[1], rec[2]))
        elif kind == RecordType.BINLOG:
            binlog.append((rec[1], rec[2]))
        if crashed and lsn >= next_report:
            estimate = estimate or _end_estimate(segments, ctl)
            sink(RedoScanProgress(lsn, records, start, max(estimate, lsn)))
            next_report = lsn + SCAN_REPORT_BYTES
    end = scanner.end
    if deferred:
        _fill_spaces(segments, deferred, committed, trx_spaces)
    skipped = None
    if end.damaged:
        skipped = count_past_damage(segments, end, trx_spaces, ctl.durable_lsn)
        classify_damage(skipped, end, committed=committed, aborted=aborted, ops=ops,
                        trx_spaces=trx_spaces)
    if level >= 6:
        skipped = skip_everything(start, end.lsn, committed, trx_spaces, skipped)
        skipped.spaces |= commit_spaces or set()
        skipped.spaces.discard(0)
    names = SpaceNames(engine, ((sid, h) for _t, sid, h in creates))
    if skipped is not None:
        for sid, header in skipped.creates:
            names.add(sid, header)
    redo = RedoScan(end, records, committed, frozenset(aborted), ops, creates, max_trx,
                    trx_spaces, skipped, names, deletes=deletes, binlog=binlog)
    if crashed:
        sink(RedoScanProgress(end.lsn, records, start, end.lsn))
    if end.torn and not end.damaged:
        sink(TornTailCut(end.lsn, end.reason))
    if skipped is not None and (end.damaged or skipped.commits
                                or skipped.to_lsn > skipped.from_lsn):
        sink(RedoSkipped(skipped.from_lsn, skipped.to_lsn, skipped.commits,
                         names.names(skipped.spaces), skipped.reason, level,
                         len(skipped.unknown_trx), end.segment_missing))
    if crashed:
        sink(RedoScanDone(start, end.lsn, records, len(committed), len(redo.unfinished())))
    return redo


def apply(engine: Engine, segments: list[SegmentInfo], from_lsn: int, redo: RedoScan
          ) -> tuple[int, MutableGeneration | None]:
    """Step 3: replay what committed; returns the row operations replayed and, for a
    read-only open, the in-memory generation they went to (the files stay untouched).
    At force_recovery 6 nothing is replayed (the tablespaces are read as they are).

    The files of committed CREATEs are made first: a large transaction logs rows for a new
    tablespace (spilled) before the FILE_CREATE it writes at COMMIT."""
    overlay = MutableGeneration() if engine.read_only else None
    if engine.force_recovery >= 6:
        return 0, overlay
    committed = redo.committed
    # GC's committed FILE_DELETEs, and dropped tables whose file was lost (set aside)
    deleted = redo.deleted_spaces() | frozenset(engine.lost_spaces)
    for trx, space, header in redo.creates:
        if trx in committed and space not in engine.spaces and space not in deleted:
            if not engine.read_only:
                engine.open_space_file(dict(header, created_lsn=committed[trx]), create=True)
            elif os.path.exists(os.path.join(engine.path, header["path"])):
                # read-only: the file was made before its CREATE committed, but the space map
                # entry that points to it is still only in the redo being replayed
                engine.open_space_file(dict(header, created_lsn=committed[trx]), create=False)
    if not committed:
        return 0, overlay
    total = sum(n for t, n in redo.ops.items() if t in committed)
    done = replay(engine, segments, from_lsn, committed=committed, total=total,
                  creates=redo.creates, batches=redo.batches, overlay=overlay,
                  deleted=deleted,
                  batch_ops=getattr(engine, "apply_batch_ops", None) or APPLY_BATCH_OPS)
    return done, overlay


def clean_up(engine: Engine, redo: RedoScan, overlay: MutableGeneration | None = None
             ) -> dict[int, int]:
    """Step 4: report the transactions that never finished (returned: trx id -> row
    operations) and remove their spill files (force_recovery 3-4 keep the files, 5 does not
    look at those transactions at all); open the tablespaces that replay added to the map (a
    file still missing is refused unless force_recovery >= 1, which goes on without it); make
    what replay wrote durable."""
    sink = engine.sink
    level = engine.force_recovery
    ctl = engine.control_at_open
    crashed = not ctl.clean_shutdown
    unfinished = redo.unfinished()
    names = redo.names or SpaceNames(engine)
    discarded: dict[int, int] = {}
    if crashed:
        if unfinished:
            sink(TransactionsToRollBack(len(unfinished), sum(unfinished.values()),
                                        left=level >= 5))
        sink(TrxIdCounter(max(ctl.next_trx_id, redo.max_trx_id + 1)))
    if level < 5:
        for trx, n in sorted(unfinished.items()):
            sink(TransactionDiscarded(trx, n, names.names(redo.trx_spaces.get(trx, ())),
                                      kept=level >= 3))
        discarded = dict(unfinished)
    recheck(engine, overlay)  # a dropped table set aside but recovered in the replayed log
    for sid, header in _open_mapped_spaces(engine, missing_ok=level >= 1, overlay=overlay):
        sink(TablespaceMissing(sid, table_name(header),
                               os.path.join(engine.path, header["path"]),
                               header.get("unreadable", "")))
    if not engine.read_only:
        for ts in engine.spaces.values():
            ts.env.sync(True)
        os.makedirs(engine.spill_dir, mode=0o700, exist_ok=True)
        if level < 3:
            for name in os.listdir(engine.spill_dir):  # spill files of transactions that died
                os.unlink(os.path.join(engine.spill_dir, name))
    return discarded


def _effective_space_map(engine: Engine, overlay: MutableGeneration | None) -> dict[int, dict]:
    """The tablespace map as the open will serve it: the applied map in system.kdb, and on
    a read-only open the map entries that replay put in memory (created or dropped)."""
    spaces = engine.read_space_map()
    if overlay is not None and overlay.has_space(0):
        for key in list(overlay.keys(0, SPACE_MAP_PREFIX, _MAP_END, False)):
            value = overlay.get(0, key, INFINITY)
            sid = int.from_bytes(key[len(SPACE_MAP_PREFIX):], "big")
            if value is None:
                spaces.pop(sid, None)
            elif value is not MISSING:
                spaces[sid] = msgpack.unpackb(value)
    # what discovery (scan_directories) found where the map said otherwise; a read-only open
    # could not write it into system.kdb
    for sid, entry in (getattr(engine, "discovered_map", None) or {}).items():
        spaces[sid] = dict(spaces.get(sid, entry), path=entry["path"])
    return spaces


def _open_mapped_spaces(engine: Engine, *, missing_ok: bool,
                        overlay: MutableGeneration | None = None) -> list[tuple[int, dict]]:
    """Open every tablespace in the (applied) map that is not open yet; return the ones
    whose file is missing (kept in `engine.missing_spaces`), or refuse them (1812)."""
    missing = []
    dropped = Expendable(engine, overlay)  # a dropped table's file only waiting for GC
    for sid, header in _effective_space_map(engine, overlay).items():
        if sid in engine.spaces or sid in engine.lost_spaces:
            continue
        if os.path.exists(os.path.join(engine.path, header["path"])):
            try:
                engine.open_space_file(header, create=False)
            except CorruptionError as exc:
                why = str(getattr(exc, "msg", exc))
                if dropped.set_aside(sid, header, why):
                    continue
                # an unreadable .kdb: a forced open goes on without it, as without a
                # missing file (its table fails with 1812), instead of refusing the database
                if not missing_ok or engine.force_recovery < 1:
                    raise
                missing.append((sid, dict(header, unreadable=why)))
        elif dropped.set_aside(sid, header):
            continue
        elif not missing_ok:
            raise missing_error(engine, sid, header)
        else:
            missing.append((sid, header))
    registry = getattr(engine, "missing_spaces", None)
    if registry is not None:
        registry.clear()
        registry.update(missing)
    return missing


def _end_estimate(segments: list[SegmentInfo], ctl: ControlData) -> int:
    """How far the log can reach: the data written to its last segment, or the control
    file's durable LSN (a progress bar's 100%)."""
    best = ctl.durable_lsn
    if segments:
        try:
            best = max(best, data_end_lsn(segments[-1]))
        except OSError:
            pass
    return best


def _segment_of(segments: list[SegmentInfo], lsn: int) -> str:
    found = ""
    for seg in segments:
        if seg.start_lsn <= lsn:
            found = seg.path
    return found or (segments[0].path if segments else "")
