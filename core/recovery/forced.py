"""Forced recovery: InnoDB's `innodb_force_recovery` levels, mapped onto this engine, and
the honesty they owe the DBA.

=====  ======================  =========================================================
Level  InnoDB                  Here
=====  ======================  =========================================================
1      IGNORE_CORRUPT          The redo scan stops at damaged log records instead of
                               refusing to open; the records after the damage are not
                               applied (they are counted: `RedoSkipped`).  Rows that fail
                               their CRC or cannot be decoded are skipped when read, and a
                               missing tablespace file is left out (`TablespaceMissing`;
                               queries on it fail with ERROR 1812).
2      NO_BACKGROUND           Also no background thread: no flusher, no GC, no DDL worker
                               (`Engine.background_allowed` is False).
3      NO_TRX_UNDO             Also no clean-up of open transactions: their spill files are
                               left in `#spill` (`TransactionDiscarded(kept=True)`).
4      NO_IBUF_MERGE           The same as 3 here: there is no change buffer and no
                               persistent statistics to leave alone.
5      NO_UNDO_LOG_SCAN        Incomplete transactions are not looked at: no clean-up, no
                               lines for them, one Warning that they were left.  (InnoDB
                               treats them as committed; here their changes were never in a
                               tablespace, so they stay invisible, not applied.)
6      NO_LOG_REDO             No redo apply at all: the tablespaces are read as they are on
                               disk; everything from the checkpoint to the end of the log is
                               reported as skipped.
=====  ======================  =========================================================

Any level above 0 opens the database read-only, and every write fails with ERROR 1881
"Operation not allowed when force_recovery > 0." (`core.errors.ForcedRecoveryError`).

The one exception is `discard_damaged_log=True` (with a level of 1 to 5): it keeps a copy
of the damaged redo segments in `DIR/#redo-damaged-<UTC time>/`, ends the log at the damage
and opens *writable*, so that the DBA can go on after dumping what could be saved.  The
commits after the damage are lost for good (counted in `DamagedLogKept` and in the
recovery history); the copy is what is left of them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING

from core.errors import ProgrammingError
from core.log.record import HEADER_SIZE, RecordType, decode_body
from core.log.scanner import ScanEnd, frames_past
from core.log.segment import SegmentInfo, fsync_dir

if TYPE_CHECKING:
    from core.storage.engine import Engine

_space_of = itemgetter(0)


@dataclass
class SkippedRedo:
    """Redo a forced open did not apply: the LSN range, the COMMIT records in or after it,
    the spaces their row operations touched, and the transactions they committed."""

    from_lsn: int
    to_lsn: int
    commits: int = 0
    spaces: set[int] = field(default_factory=set)
    committed_trx: set[int] = field(default_factory=set)  # COMMIT records found past damage
    creates: list[tuple[int, dict]] = field(default_factory=list)  # (space, header)
    reason: str = ""


def check_discard_arguments(force_recovery: int, discard_damaged_log: bool) -> None:
    """`discard_damaged_log` throws committed work away: only with a forced level that
    reads the damaged log (1-5), never at 6, which applies no redo at all."""
    if not discard_damaged_log:
        return
    if force_recovery < 1:
        raise ProgrammingError(
            "discard_damaged_log=True needs force_recovery >= 1: the damaged log can only be "
            "read, and ended, by a forced open", errno=1210, sqlstate="HY000")
    if force_recovery >= 6:
        raise ProgrammingError(
            "discard_damaged_log=True cannot be used with force_recovery=6, which applies no "
            "redo: ending the log there would lose every commit since the checkpoint; use "
            "force_recovery between 1 and 5", errno=1210, sqlstate="HY000")


def count_past_damage(segments: list[SegmentInfo], end: ScanEnd,
                      trx_spaces: dict[int, set[int]]) -> SkippedRedo:
    """Scan past the damage the forced scan stopped at, for valid frames: how many COMMIT
    and ROWS_COMMIT records lie after it, and which spaces they touched (the row operations
    of a transaction whose COMMIT is past the damage may lie before it: `trx_spaces`)."""
    out = SkippedRedo(end.lsn, end.lsn, reason=f"damaged record at lsn {end.lsn}: {end.reason}")
    pending: dict[int, set[int]] = {}
    for lsn, body in frames_past(segments, end):
        out.to_lsn = lsn + HEADER_SIZE + len(body)
        try:
            rec = decode_body(body)
        except Exception:  # noqa: BLE001 - a valid CRC over a body we cannot read: skip it
            continue
        kind = rec[0]
        if kind == RecordType.ROWS:
            pending.setdefault(rec[1], set()).update(map(_space_of, rec[2]))
        elif kind == RecordType.ROWS_COMMIT:
            out.commits += 1
            out.committed_trx.add(rec[1])
            out.spaces.update(map(_space_of, rec[2]))
        elif kind == RecordType.COMMIT:
            out.commits += 1
            out.committed_trx.add(rec[1])
            out.spaces |= pending.get(rec[1], set()) | trx_spaces.get(rec[1], set())
        elif kind == RecordType.FILE_CREATE:
            out.creates.append((rec[2], rec[4]))
            out.spaces.add(rec[2])
    out.spaces.discard(0)
    return out


def skip_everything(checkpoint_lsn: int, end_lsn: int, committed: Iterable[int],
                    trx_spaces: dict[int, set[int]], past: SkippedRedo | None) -> SkippedRedo:
    """Level 6: no redo is applied, so all of it, from the checkpoint on, is skipped."""
    out = SkippedRedo(checkpoint_lsn, end_lsn, reason="force_recovery=6 applies no redo")
    for trx in committed:
        out.commits += 1
        out.committed_trx.add(trx)
        out.spaces |= trx_spaces.get(trx, set())
    if past is not None:
        out.to_lsn = max(out.to_lsn, past.to_lsn)
        out.commits += past.commits
        out.committed_trx |= past.committed_trx
        out.spaces |= past.spaces
        out.creates += past.creates
        out.reason += f"; and {past.reason}"
    out.spaces.discard(0)
    return out


def keep_damaged_segments(engine: Engine, segments: list[SegmentInfo], end: ScanEnd
                          ) -> tuple[str, tuple[str, ...]]:
    """Copy the segment holding the damage and every later one into
    `DIR/#redo-damaged-<UTC time>/`, durably, before anything ends the log there.
    Returns the directory and the copies.  Refuses (1210, nothing changed) when the log
    has no damage to discard."""
    if not end.damaged or end.segment is None:
        raise ProgrammingError(
            f"discard_damaged_log=True: the redo log has no damage to discard (it ends at lsn "
            f"{end.lsn}{', in a torn tail that any open cuts' if end.torn else ''}); nothing "
            "was changed. Open without discard_damaged_log",
            errno=1210, sqlstate="HY000")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = os.path.join(engine.path, f"#redo-damaged-{stamp}")
    n = 1
    while os.path.exists(target):
        n += 1
        target = os.path.join(engine.path, f"#redo-damaged-{stamp}-{n}")
    os.mkdir(target, 0o700)
    kept = []
    for seg in segments:
        if seg.seq < end.segment.seq:
            continue
        dest = os.path.join(target, os.path.basename(seg.path))
        shutil.copyfile(seg.path, dest)
        fd = os.open(dest, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        kept.append(dest)
    fsync_dir(target)
    fsync_dir(engine.path)
    return target, tuple(kept)
