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
recovery history); the copy is what is left of them.  Before the log is ended, the facts
(cut LSN, commits lost, the copies) are written to `discard.json` in the copy directory: an
open killed after ending the log but before writing its history row leaves them for the next
open, which records the discard then.

When the scan stops at damage, what is lost is counted in transactions: one whose COMMIT
lies past the damage, or is the damaged record itself, is lost; one with records before the
damage and no readable COMMIT has an *unknown* outcome (its COMMIT may be in the damaged
part) and is reported with the skipped redo, never as "rolled back".
"""

from __future__ import annotations

import json
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
    # transactions with records before the damage and no COMMIT before it: whether they
    # committed is not known (their COMMIT may lie in the damaged part)
    unknown_trx: set[int] = field(default_factory=set)


def classify_damage(skipped: SkippedRedo, end: ScanEnd, *, committed: dict[int, int],
                    aborted: Iterable[int], ops: dict[int, int],
                    trx_spaces: dict[int, set[int]]) -> None:
    """Count transactions, not frames: a transaction is lost if any of its records lie at or
    after the damage and it committed (its COMMIT is past the damage, or is the damaged
    record itself); one with records before the damage and no COMMIT anywhere readable has
    an unknown outcome.  Both are reported with the skipped redo, with their tables."""
    done = set(committed) | set(aborted) | skipped.committed_trx
    unknown = {t for t in ops if t not in done}
    record = end.damaged_record
    if record is not None and record[1] not in done and record[1] not in unknown:
        kind, trx = record
        if kind in (RecordType.COMMIT, RecordType.ROWS_COMMIT):
            skipped.committed_trx.add(trx)  # the damaged record was its commit: lost
        else:
            unknown.add(trx)
    skipped.unknown_trx = unknown
    skipped.commits = len(skipped.committed_trx)
    for trx in unknown | skipped.committed_trx:
        skipped.spaces |= trx_spaces.get(trx, set())
    skipped.spaces.discard(0)


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
                      trx_spaces: dict[int, set[int]], known_durable: int = 0) -> SkippedRedo:
    """Scan past the damage the forced scan stopped at, for valid frames: how many COMMIT
    and ROWS_COMMIT records lie after it, and which spaces they touched (the row operations
    of a transaction whose COMMIT is past the damage may lie before it: `trx_spaces`)."""
    out = SkippedRedo(end.lsn, end.lsn, reason=end.reason or f"damaged log at lsn {end.lsn}")
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
    out.commits = len(out.committed_trx)
    # the log was durable at least this far (the control file says so): a missing segment
    # leaves no frame to count, but the range it held is known to be lost
    out.to_lsn = max(out.to_lsn, known_durable)
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
        out.committed_trx |= past.committed_trx
        out.commits = len(out.committed_trx)
        out.unknown_trx = set(past.unknown_trx)
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


DISCARD_FACTS = "discard.json"


def write_discard_facts(kept_dir: str, facts: dict) -> str:
    """Write what a discard is about to do (cut LSN, commits lost, the copies) into its copy
    directory, durably, *before* the log is ended: if the open dies between ending the log
    and writing its history row, the next open finds this and records the discard
    (`pending_discards`).  `facts["state"]` is "pending" until the history has the row."""
    path = os.path.join(kept_dir, DISCARD_FACTS)
    _write_json(path, dict(facts, state="pending"))
    return path


def pending_discards(dbpath: str) -> list[tuple[str, dict]]:
    """The discards whose history row was never written: (facts file, facts)."""
    found = []
    for name in sorted(os.listdir(dbpath)):
        if not name.startswith("#redo-damaged-"):
            continue
        path = os.path.join(dbpath, name, DISCARD_FACTS)
        try:
            with open(path, encoding="utf-8") as f:
                facts = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(facts, dict) and facts.get("state") == "pending":
            found.append((path, facts))
    return found


def mark_discard(path: str, facts: dict, state: str) -> None:
    """Set the state of a discard's facts file ("recorded", or "superseded": a later
    discard at the same place found the log still damaged, so this one never ended it)."""
    _write_json(path, dict(facts, state=state))


def _write_json(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o600)
    try:
        os.write(fd, json.dumps(data, sort_keys=True).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsync_dir(os.path.dirname(path))
