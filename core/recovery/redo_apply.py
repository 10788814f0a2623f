"""Start-up recovery: find the end of the log and replay committed work into the tablespaces.

This is the minimal correct recovery (the watchable, force-level-rich version builds on the
same events).  Two passes over the log from the checkpoint, as InnoDB does:

1. *scan*: find the end of the log (cutting a torn tail) and which transactions committed,
   with their commit LSNs and row-operation counts;
2. *apply*: replay the row images of committed transactions whose commit LSN is above the
   target tablespace's `applied_lsn`, in batches.  A batch that ends on a commit boundary
   advances `applied_lsn` in the same LMDB transaction; a batch cut inside a huge transaction
   leaves it where it was, which is safe because full images make replay idempotent.

Transactions with records but no COMMIT are discarded; nothing of theirs ever reached a
tablespace (no-steal), so discarding them is just not replaying them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

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
from core.log.scanner import LogScanner
from core.log.segment import SegmentInfo, list_segments
from core.storage.overlay import MutableGeneration
from core.storage.tablespace import ApplyFailed

SCAN_REPORT_BYTES = 8 * 1024 * 1024
APPLY_BATCH_OPS = 200_000


@dataclass
class RecoveryResult:
    segments: list[SegmentInfo]
    end_lsn: int
    dead_segments: tuple[SegmentInfo, ...] = ()
    max_trx_id: int = 0
    applied_records: int = 0
    discarded: dict[int, int] = field(default_factory=dict)
    overlay: MutableGeneration | None = None  # read-only opens replay into memory instead
    torn: bool = False  # the log ended in a damaged record (zero what follows before writing)


def recover(engine, ctl: ControlData) -> RecoveryResult:
    t0 = time.perf_counter()
    sink = engine.sink
    sys_header_path = os.path.join(engine.path, "system.kdb")
    if not os.path.exists(sys_header_path):
        raise OperationalError(f"{sys_header_path} is missing: the dictionary is gone")
    engine.open_space_file({"path": "system.kdb"}, create=False)
    missing: dict[int, dict] = {}
    for sid, header in engine.read_space_map().items():
        if sid in engine.spaces:
            continue
        if os.path.exists(os.path.join(engine.path, header["path"])):
            engine.open_space_file(header, create=False)
        else:
            missing[sid] = header

    segments = list_segments(engine.redo_dir, ctl.uuid)
    crashed = not ctl.clean_shutdown
    if crashed:
        sink(RecoveryStarted(ctl.checkpoint_lsn, engine.path))
    allow = engine.force_recovery >= 1

    # -- pass 1: scan ------------------------------------------------------------------------
    scanner = LogScanner(segments, ctl.checkpoint_lsn, allow_corruption=allow,
                         known_durable=ctl.durable_lsn)
    committed: dict[int, int] = {}
    aborted: set[int] = set()
    ops: dict[int, int] = {}
    creates: list[tuple[int, int, dict]] = []  # (trx, space, header) of FILE_CREATE records
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
    if end.torn:
        sink(TornTailCut(end.lsn, end.reason))
    if crashed:
        sink(RedoScanProgress(end.lsn, records))
        sink(RedoScanDone(ctl.checkpoint_lsn, end.lsn, records, len(committed),
                          len([t for t in ops if t not in committed and t not in aborted])))

    # -- pass 2: apply ------------------------------------------------------------------------
    # Files of committed CREATEs first: a large transaction logs rows for a new tablespace
    # (spilled) before the FILE_CREATE it writes at COMMIT.
    for trx, space, header in creates:
        if trx in committed and space not in engine.spaces:
            if not engine.read_only:
                engine.open_space_file(dict(header, created_lsn=committed[trx]), create=True)
            elif os.path.exists(os.path.join(engine.path, header["path"])):
                # read-only: the file was made before its CREATE committed, but the space map
                # entry that points to it is still only in the redo being replayed
                engine.open_space_file(dict(header, created_lsn=committed[trx]), create=False)
    applied = 0
    overlay = MutableGeneration() if engine.read_only else None
    if committed and engine.force_recovery < 6:
        applied = _apply(engine, segments, ctl.checkpoint_lsn, committed, ops, allow, overlay)

    discarded = {t: n for t, n in ops.items() if t not in committed and t not in aborted}
    for trx, n in sorted(discarded.items()):
        sink(TransactionDiscarded(trx, n))

    for sid, header in engine.read_space_map().items():
        if sid in engine.spaces:
            continue
        if os.path.exists(os.path.join(engine.path, header["path"])):
            engine.open_space_file(header, create=False)
        elif engine.force_recovery < 1:
            raise OperationalError(
                f"tablespace {sid} ({header.get('schema')}.{header.get('table')}) file "
                f"{header['path']} is missing; open with force_recovery >= 1 to skip it"
            )
    if not engine.read_only:
        for ts in engine.spaces.values():
            ts.env.sync(True)
    del missing
    if crashed:
        sink(RecoveryFinished(end.lsn, applied, len(discarded), time.perf_counter() - t0))
    live = [s for s in segments if s not in end.dead_segments]
    if not live:
        raise LogCorruptionError("no usable redo segment")
    return RecoveryResult(live, end.lsn, end.dead_segments, max_trx, applied, discarded,
                          overlay, end.torn)


def _apply(engine, segments, from_lsn, committed, ops, allow, overlay=None) -> int:
    """Replay committed row images.  With `overlay` (a read-only open: force_recovery >= 1)
    they go into that in-memory generation instead of the tablespaces, which stay untouched."""
    sink = engine.sink
    start_applied = {sid: ts.applied_lsn for sid, ts in engine.spaces.items()}
    total = sum(n for t, n in ops.items() if t in committed)
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
                if buffered >= APPLY_BATCH_OPS:
                    flush(commit_lsn)
            elif buffered >= 4 * APPLY_BATCH_OPS and overlay is None:
                flush(None)  # inside a transaction: applied_lsn must not advance
        elif kind == RecordType.FILE_CREATE:
            trx, space, header = rec[1], rec[2], rec[4]
            commit_lsn = committed.get(trx)
            if commit_lsn is not None and space not in engine.spaces and overlay is None:
                engine.open_space_file(dict(header, created_lsn=commit_lsn), create=True)
                start_applied.setdefault(space, 0)
        elif kind == RecordType.COMMIT:
            if buffered >= APPLY_BATCH_OPS:
                flush(committed[rec[1]])
    last_commit = max(committed.values())
    flush(last_commit)
    if next_pct <= 100 and total:
        sink(RedoApplyProgress(done, total, 100))
    return done
