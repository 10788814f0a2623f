"""Start-up recovery: find the end of the log and replay committed work into the tablespaces.

It runs between the two halves of opening (`core.kv.Engine.open`): after the storage has
taken the directory lock and read the control file, before it serves.  It is four steps,
each a function that a test (or a future watchable recovery) can run on its own:

1. `discover`: open the dictionary and every tablespace the map names, list the redo segments;
2. `scan`: read the log from the checkpoint to its end (cutting a torn tail), finding which
   transactions committed, with their commit LSNs and row-operation counts;
3. `apply`: replay the row images of committed transactions whose commit LSN is above the
   target tablespace's `applied_lsn`, in batches.  A batch that ends on a commit boundary
   advances `applied_lsn` in the same LMDB transaction; a batch cut inside a huge transaction
   leaves it where it was, which is safe because full images make replay idempotent.  A
   read-only open (force_recovery >= 1) replays into an in-memory generation instead;
4. `clean_up`: transactions with records but no COMMIT are discarded.  Nothing of theirs
   ever reached a tablespace (no-steal), so discarding them is not replaying them, and
   removing their spill files.

`recover` runs the four and returns a `RecoveryResult`, what the storage needs to serve.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.crashpoints import crash_point
from core.errors import LogCorruptionError, OperationalError
from core.events import (
    RecoveryFinished,
    RecoveryStarted,
    RedoApplyBatch,
    RedoApplyProgress,
    RedoScanDone,
    RedoScanProgress,
    TornTailCut,
    TransactionDiscarded,
)
from core.log.control import ControlData
from core.log.record import HEADER_SIZE, RecordType, decode_body
from core.log.scanner import LogScanner, ScanEnd
from core.log.segment import SegmentInfo, list_segments
from core.storage.overlay import MutableGeneration
from core.storage.tablespace import ApplyFailed

if TYPE_CHECKING:
    from core.storage.engine import Engine

SCAN_REPORT_BYTES = 8 * 1024 * 1024
APPLY_BATCH_OPS = 200_000  # the crash tests lower it to make batches (and mid-apply crashes)


@dataclass(frozen=True)
class RecoveryResult:
    """What recovery leaves for the engine to serve from."""

    segments: list[SegmentInfo]  # the live redo segments, the last one to append to
    end_lsn: int  # the end of the log: the next record goes here
    dead_segments: tuple[SegmentInfo, ...] = ()  # later segments with nothing valid: remove
    max_trx_id: int = 0  # the highest transaction id in the log since the checkpoint
    applied_records: int = 0  # row operations replayed
    discarded: dict[int, int] = field(default_factory=dict)  # trx id -> row ops thrown away
    overlay: MutableGeneration | None = None  # read-only opens replay into memory instead
    torn: bool = False  # the log ended in a damaged record (zero what follows before writing)
    crashed: bool = False  # the last shutdown was not clean (recovery reported its events)


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

    def unfinished(self) -> dict[int, int]:
        """Transactions that logged records but neither committed nor rolled back."""
        return {t: n for t, n in self.ops.items()
                if t not in self.committed and t not in self.aborted}


def recover(engine: Engine, ctl: ControlData) -> RecoveryResult:
    """Bring the tablespaces of `engine` (storage opened, not serving) up to the end of the
    log described by `ctl`, the control file as found at open.  After a clean shutdown there
    is nothing to replay and no event is emitted (a torn tail is still reported)."""
    t0 = time.perf_counter()
    segments = discover(engine, ctl)
    crashed = not ctl.clean_shutdown
    if crashed:
        engine.sink(RecoveryStarted(ctl.checkpoint_lsn, engine.path))
    redo = scan(engine, segments, ctl, crashed=crashed)
    applied, overlay = apply(engine, segments, ctl.checkpoint_lsn, redo)
    discarded = clean_up(engine, redo)
    end = redo.end
    if crashed:
        engine.sink(RecoveryFinished(end.lsn, applied, len(discarded),
                                     time.perf_counter() - t0))
    live = [s for s in segments if s not in end.dead_segments]
    if not live:
        raise LogCorruptionError("no usable redo segment")
    return RecoveryResult(live, end.lsn, end.dead_segments, redo.max_trx_id, applied,
                          discarded, overlay, end.torn, crashed)


def discover(engine: Engine, ctl: ControlData) -> list[SegmentInfo]:
    """Step 1: open the dictionary (`system.kdb`) and every tablespace its map names whose
    file exists, and list the redo segments.  A missing file is not an error yet: replay may
    create it; `clean_up` decides."""
    sys_path = os.path.join(engine.path, "system.kdb")
    if not os.path.exists(sys_path):
        raise OperationalError(f"{sys_path} is missing: the dictionary is gone")
    engine.open_space_file({"path": "system.kdb"}, create=False)
    _open_mapped_spaces(engine, missing_ok=True)
    return list_segments(engine.redo_dir, ctl.uuid)


def scan(engine: Engine, segments: list[SegmentInfo], ctl: ControlData, *,
         crashed: bool) -> RedoScan:
    """Step 2: read every record from the checkpoint to the end of the log.  Damage followed
    by valid records is corruption (refused unless force_recovery >= 1); a torn tail is cut
    and reported.  Progress is reported only when recovering from a crash."""
    sink = engine.sink
    scanner = LogScanner(segments, ctl.checkpoint_lsn,
                         allow_corruption=engine.force_recovery >= 1,
                         known_durable=ctl.durable_lsn)
    committed: dict[int, int] = {}
    aborted: set[int] = set()
    ops: dict[int, int] = {}
    creates: list[tuple[int, int, dict]] = []
    max_trx = 0
    records = 0
    next_report = ctl.checkpoint_lsn + SCAN_REPORT_BYTES
    for lsn, body in scanner.records():
        rec = decode_body(body)
        records += 1
        kind = rec[0]
        if kind == RecordType.ROWS:
            ops[rec[1]] = ops.get(rec[1], 0) + len(rec[2])
            max_trx = max(max_trx, rec[1])
        elif kind == RecordType.COMMIT:
            committed[rec[1]] = lsn + HEADER_SIZE + len(body)
            max_trx = max(max_trx, rec[1])
        elif kind == RecordType.ROWS_COMMIT:
            ops[rec[1]] = ops.get(rec[1], 0) + len(rec[2])
            committed[rec[1]] = lsn + HEADER_SIZE + len(body)
            max_trx = max(max_trx, rec[1])
        elif kind == RecordType.ABORT:
            aborted.add(rec[1])
        elif kind in (RecordType.FILE_CREATE, RecordType.FILE_DELETE, RecordType.FILE_RENAME):
            ops.setdefault(rec[1], 0)
            max_trx = max(max_trx, rec[1])
            if kind == RecordType.FILE_CREATE:
                creates.append((rec[1], rec[2], rec[4]))
        if crashed and lsn >= next_report:
            sink(RedoScanProgress(lsn, records))
            next_report = lsn + SCAN_REPORT_BYTES
    end = scanner.end
    redo = RedoScan(end, records, committed, frozenset(aborted), ops, creates, max_trx)
    if end.torn:
        sink(TornTailCut(end.lsn, end.reason))
    if crashed:
        sink(RedoScanProgress(end.lsn, records))
        sink(RedoScanDone(ctl.checkpoint_lsn, end.lsn, records, len(committed),
                          len(redo.unfinished())))
    return redo


def apply(engine: Engine, segments: list[SegmentInfo], from_lsn: int, redo: RedoScan
          ) -> tuple[int, MutableGeneration | None]:
    """Step 3: replay what committed; returns the row operations replayed and, for a
    read-only open, the in-memory generation they went to (the files stay untouched).

    The files of committed CREATEs are made first: a large transaction logs rows for a new
    tablespace (spilled) before the FILE_CREATE it writes at COMMIT."""
    committed = redo.committed
    for trx, space, header in redo.creates:
        if trx in committed and space not in engine.spaces:
            if not engine.read_only:
                engine.open_space_file(dict(header, created_lsn=committed[trx]), create=True)
            elif os.path.exists(os.path.join(engine.path, header["path"])):
                # read-only: the file was made before its CREATE committed, but the space map
                # entry that points to it is still only in the redo being replayed
                engine.open_space_file(dict(header, created_lsn=committed[trx]), create=False)
    overlay = MutableGeneration() if engine.read_only else None
    if not committed or engine.force_recovery >= 6:
        return 0, overlay
    return _replay(engine, segments, from_lsn, redo, overlay), overlay


def clean_up(engine: Engine, redo: RedoScan) -> dict[int, int]:
    """Step 4: report the transactions that never finished (returned: trx id -> row
    operations) and remove their spill files; open the tablespaces that replay added to the
    map (a file still missing is refused unless force_recovery >= 1); make what replay
    wrote durable."""
    discarded = redo.unfinished()
    for trx, n in sorted(discarded.items()):
        engine.sink(TransactionDiscarded(trx, n))
    _open_mapped_spaces(engine, missing_ok=engine.force_recovery >= 1)
    if not engine.read_only:
        for ts in engine.spaces.values():
            ts.env.sync(True)
        os.makedirs(engine.spill_dir, mode=0o700, exist_ok=True)
        for name in os.listdir(engine.spill_dir):  # spill files of transactions that died
            os.unlink(os.path.join(engine.spill_dir, name))
    return discarded


def _open_mapped_spaces(engine: Engine, *, missing_ok: bool) -> None:
    """Open every tablespace in the (applied) map that is not open yet."""
    for sid, header in engine.read_space_map().items():
        if sid in engine.spaces:
            continue
        if os.path.exists(os.path.join(engine.path, header["path"])):
            engine.open_space_file(header, create=False)
        elif not missing_ok:
            raise OperationalError(
                f"tablespace {sid} ({header.get('schema')}.{header.get('table')}) file "
                f"{header['path']} is missing; open with force_recovery >= 1 to skip it"
            )


def _replay(engine: Engine, segments: list[SegmentInfo], from_lsn: int, redo: RedoScan,
            overlay: MutableGeneration | None) -> int:
    """The second pass over the log: buffer committed row images per tablespace and apply
    them in batches of about `APPLY_BATCH_OPS`, reporting each batch and every 10%.  With
    `overlay` they go into that in-memory generation, one version per transaction."""
    sink = engine.sink
    committed = redo.committed
    allow = engine.force_recovery >= 1
    batch_ops = APPLY_BATCH_OPS
    start_applied = {sid: ts.applied_lsn for sid, ts in engine.spaces.items()}
    total = sum(n for t, n in redo.ops.items() if t in committed)
    buffers: dict[int, dict[bytes, bytes | None]] = {}
    buffered = 0
    done = 0
    next_pct = 10
    current_commit = 0

    def flush(applied_lsn: int | None) -> None:
        nonlocal buffered, done, next_pct
        if not buffered:
            return
        sink(RedoApplyBatch(buffered))
        if overlay is not None:
            overlay.add(dict(buffers), applied_lsn or current_commit, from_lsn)
        else:
            for sid, items in buffers.items():
                try:
                    engine.spaces[sid].apply(sorted(items.items()), applied_lsn)
                except ApplyFailed as exc:
                    exc.msg += ("; the database can be opened read-only with --force-recovery 1 "
                                "(force_recovery=1), which replays the redo log in memory")
                    raise
        done += buffered
        buffers.clear()
        buffered = 0
        crash_point("recovery.mid_apply")
        pct = (done * 100 // total) // 10 * 10 if total else 100
        if pct >= next_pct:  # one line per batch, at the highest 10% step it crossed
            sink(RedoApplyProgress(done, total, pct))
            next_pct = pct + 10

    scanner = LogScanner(segments, from_lsn, allow_corruption=allow)
    for _lsn, body in scanner.records():
        rec = decode_body(body)
        kind = rec[0]
        if kind == RecordType.ROWS or kind == RecordType.ROWS_COMMIT:
            trx = rec[1]
            commit_lsn = committed.get(trx)
            if commit_lsn is None:
                continue
            if overlay is not None and commit_lsn != current_commit:
                flush(current_commit)  # one overlay version per transaction
            current_commit = commit_lsn
            for space, key, value in rec[2]:
                if commit_lsn <= start_applied.get(space, 0):
                    continue
                buf = buffers.get(space)
                if buf is None:
                    if space not in engine.spaces:
                        if allow:
                            continue  # force_recovery >= 1: skip a missing tablespace
                        raise OperationalError(
                            f"redo record for tablespace {space}, which has no file")
                    buf = buffers[space] = {}
                buf[key] = value
                buffered += 1
            if kind == RecordType.ROWS_COMMIT:
                if buffered >= batch_ops:
                    flush(commit_lsn)
            elif buffered >= 4 * batch_ops and overlay is None:
                flush(None)  # inside a transaction: applied_lsn must not advance
        elif kind == RecordType.FILE_CREATE:
            trx, space, header = rec[1], rec[2], rec[4]
            commit_lsn = committed.get(trx)
            if commit_lsn is not None and space not in engine.spaces and overlay is None:
                engine.open_space_file(dict(header, created_lsn=commit_lsn), create=True)
                start_applied.setdefault(space, 0)
        elif kind == RecordType.COMMIT:
            if buffered >= batch_ops:
                flush(committed[rec[1]])
    flush(max(committed.values()))
    if next_pct <= 100 and total:
        sink(RedoApplyProgress(done, total, 100))
    return done
