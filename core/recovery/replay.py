"""Redo apply, the second pass over the log: committed row images, in batches.

Memory stays bounded however long the log: row images are buffered per tablespace until a
batch holds about `batch_ops` of them (cut at a commit boundary, or at four times that
inside one huge transaction), then applied and dropped.  Each batch is reported as InnoDB
reports its own: "Applying a batch of N redo log records ...", its 10% steps, "Apply batch
completed!".  A writable open applies a batch in ten LMDB transactions per tablespace, so
the steps are true; a read-only open adds it to an in-memory generation.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from core.crashpoints import crash_point
from core.events import RedoApplyBatch, RedoApplyBatchDone, RedoApplyProgress
from core.log.record import HEADER_SIZE, RecordType, decode_body
from core.log.scanner import LogScanner
from core.log.segment import SegmentInfo
from core.recovery.expendable import lookup
from core.recovery.spacenames import missing_error
from core.storage.overlay import MutableGeneration
from core.storage.tablespace import ApplyFailed

if TYPE_CHECKING:
    from core.storage.engine import Engine

_SPACE = itemgetter(0)
_KEY_VALUE = itemgetter(1, 2)


class _Batch:
    """One apply batch's 10% steps (InnoDB's log0recv.cc: a batch of at most 100 records
    prints only 100%)."""

    def __init__(self, engine: Engine, number: int, records: int, before: int, total: int):
        self.sink = engine.sink
        self.number = number
        self.records = records
        self.before = before  # cumulative row operations before this batch
        self.total = total
        self.done = 0
        self.next_pct = 100 if records <= 100 else 10

    def advance(self, n: int) -> None:
        self.done += n
        pct = self.done * 100 // self.records if self.records else 100
        while self.next_pct <= pct and self.next_pct <= 100:
            self.sink(RedoApplyProgress(self.before + self.done, self.total, self.next_pct,
                                        self.number))
            self.next_pct += 10

    def finish(self) -> None:
        """Every step up to 100%: the batch is applied.  (A batch's records can rewrite the
        same row more than once; those are applied once, so the parts applied add up to
        fewer than its records.)"""
        self.advance(self.records - self.done)


def replay(engine: Engine, segments: list[SegmentInfo], from_lsn: int, *,
           committed: dict[int, int], total: int, creates: list[tuple[int, int, dict]],
           batches: list[int], overlay: MutableGeneration | None, batch_ops: int,
           deleted: frozenset[int] = frozenset()) -> int:
    """The second pass over the log: buffer committed row images per tablespace and apply
    them in batches of about `batch_ops` (memory stays bounded however long the log),
    each reported as InnoDB does: "Applying a batch", its 10% steps, "Apply batch
    completed!".  With `overlay` they go into that in-memory generation instead."""
    sink = engine.sink
    allow = engine.force_recovery >= 1
    start_applied = {sid: ts.applied_lsn for sid, ts in engine.spaces.items()}
    buffers: dict[int, dict[bytes, bytes | None]] = {}
    buffered = 0
    done = 0  # row operations applied (written)
    passed = 0  # row operations dealt with: applied, or already in their file
    current_commit = 0
    batch_start = from_lsn
    last_lsn = from_lsn

    def flush(applied_lsn: int | None) -> None:
        nonlocal buffered, done, passed, batch_start
        if not buffered:
            return
        number = len(batches) + 1
        batches.append(buffered)
        sink(RedoApplyBatch(buffered, number, batch_start, last_lsn))
        steps = _Batch(engine, number, buffered, passed, total)
        if overlay is not None:
            overlay.add(dict(buffers), applied_lsn or current_commit, from_lsn)
            steps.advance(buffered)
        else:
            unique = sum(len(items) for items in buffers.values())
            chunk = max(1, -(-unique // 10))  # ten LMDB transactions: ten true steps
            for sid, items in buffers.items():
                ts = engine.spaces[sid]
                ordered = sorted(items.items())
                for i in range(0, len(ordered), chunk):
                    part = ordered[i:i + chunk]
                    last = i + chunk >= len(ordered)
                    try:
                        ts.apply(part, applied_lsn if last else None)
                    except ApplyFailed as exc:
                        exc.msg += ("; the database can be opened read-only with "
                                    "--force-recovery 1 (force_recovery=1), which replays the "
                                    "redo log in memory")
                        raise
                    steps.advance(len(part) * buffered // unique)
            steps.finish()
        done += buffered
        passed += buffered
        sink(RedoApplyBatchDone(number, buffered, passed, total))
        buffers.clear()
        buffered = 0
        batch_start = last_lsn
        crash_point("recovery.mid_apply")

    unreplayed: set[int] = set()  # missing spaces whose rows were skipped
    scanner = LogScanner(segments, from_lsn, allow_corruption=allow)
    for lsn, body in scanner.records():
        last_lsn = lsn + HEADER_SIZE + len(body)
        rec = decode_body(body)
        kind = rec[0]
        if kind == RecordType.ROWS or kind == RecordType.ROWS_COMMIT:
            trx = rec[1]
            commit_lsn = committed.get(trx)
            if commit_lsn is None:
                continue
            current_commit = commit_lsn
            ops = rec[2]
            if ops and len(set(map(_SPACE, ops))) == 1:  # the common case, in C loops
                space = ops[0][0]
                buf = buffers.get(space)
                if buf is not None and commit_lsn > start_applied.get(space, 0):
                    buf.update(map(_KEY_VALUE, ops))
                    buffered += len(ops)
                    ops = ()
            for space, key, value in ops:
                if commit_lsn <= start_applied.get(space, 0):
                    passed += 1  # already in its file before the crash
                    continue
                buf = buffers.get(space)
                if buf is None:
                    if space not in engine.spaces:
                        if allow or space in deleted:
                            # a forced open skips a missing tablespace; GC's committed
                            # FILE_DELETE says the file is gone on purpose
                            passed += 1  # force_recovery >= 1: skip a missing tablespace
                            continue
                        # a drop later in this log may have left it only waiting for GC:
                        # decided once replay has applied the dictionary (below)
                        unreplayed.add(space)
                        passed += 1
                        continue
                    buf = buffers[space] = {}
                buf[key] = value
                buffered += 1
            if kind == RecordType.ROWS_COMMIT:
                if buffered >= batch_ops:
                    flush(commit_lsn)
            elif buffered >= 4 * batch_ops:
                flush(None)  # inside a transaction: applied_lsn must not advance
        elif kind == RecordType.FILE_CREATE:
            trx, space, header = rec[1], rec[2], rec[4]
            commit_lsn = committed.get(trx)
            if commit_lsn is not None and space not in engine.spaces and overlay is None \
                    and space not in deleted:
                engine.open_space_file(dict(header, created_lsn=commit_lsn), create=True)
                start_applied.setdefault(space, 0)
        elif kind == RecordType.COMMIT:
            if buffered >= batch_ops:
                flush(committed[rec[1]])
    flush(max(committed.values()))
    if unreplayed:
        dropped = lookup(engine, overlay)
        for space in sorted(unreplayed - set(dropped)):
            raise missing_error(engine, space, _header_of(engine, creates, space))
    return done


def _header_of(engine: Engine, creates: list[tuple[int, int, dict]], space: int
               ) -> dict | None:
    for _trx, sid, header in creates:
        if sid == space:
            return header
    try:
        return engine.read_space_map().get(space)
    except (OSError, KeyError):
        return None
