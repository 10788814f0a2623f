"""Named points where a test can make the process die.

`KINTSUGI_CRASH_AT="flush.before_commit"` (or `"name:N"` to die on the N-th hit) makes the
process SIGKILL itself when execution reaches that point, so crash tests can place a kill
exactly between two steps that must stay atomic, in addition to killing at random moments.
The check is one dict lookup when the variable is unset.
"""

from __future__ import annotations

import os
import signal

_targets: dict[str, int] = {}


def _load() -> None:
    spec = os.environ.get("KINTSUGI_CRASH_AT", "")
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, count = item.partition(":")
        _targets[name] = int(count or 1)


_load()

# Every point the engine defines, so tests can iterate over them.
POINTS = (
    "log.after_write",  # records written to the segment, before fdatasync
    "log.after_sync",  # fdatasync done, before waiters are woken
    "commit.after_overlay",  # commit visible in the overlay, before the caller returns
    "flush.before_apply",  # overlay frozen, nothing applied yet
    "flush.mid_apply",  # some tablespaces applied, others not
    "flush.after_apply",  # all tablespaces applied, generation not yet dropped
    "checkpoint.before_control",  # checkpoint computed, control file not yet written
    "checkpoint.after_control",  # control file written, segments not yet recycled
    "spill.after_write",  # a large transaction spilled part of its writes
    "recovery.mid_apply",  # recovery applied some batches
    "ddl.before_step_commit",  # a DDL job's step done in its transaction, not committed
    "ddl.after_step_commit",  # a DDL job's step committed, its events not yet emitted
)

# Points only a DDL job reaches (the workloads that iterate POINTS run none of them): a
# table rebuild job's (core.ddl.rebuild), each at the start of a step, so the crash leaves
# the job where the step before left it, the seed's case A, B, C and D in turn.
DDL_POINTS = (
    "ddl.rebuild.mid_copy",  # some batches copied, the rest not (case A)
    "ddl.rebuild.copied",  # every row copied, the switch not decided (case B)
    "ddl.rebuild.before_switch",  # the switch decided, the dictionary not switched (case C)
    "ddl.rebuild.after_switch",  # switched, the old table not yet given to GC (case D)
)

# RECOVER / FLASHBACK (core.gc.recover): its one transaction built, or committed.
RECOVER_POINTS = (
    "gc.recover.before_commit",  # table(s) and job row written, range(s) removed, not committed
    "gc.recover.after_commit",  # committed, its events not yet emitted
)

# Points only the GC worker reaches (core.gc.collect), in the order a round passes them.
GC_POINTS = (
    "gc.before_commit",  # a table range's deletion decided in its transaction, not committed
    "gc.after_commit",  # range done and map entry gone (committed), the file still there
    "gc.between_unlinks",  # the file's LMDB lock file unlinked, the .kdb still there
    "gc.after_unlink",  # the file unlinked, the directory not fsynced, no event emitted
    "gc.mid_index",  # a dropped index's entries: one batch deleted and committed, more left
)


# The binary log (core.log.binlog), around the append that follows a durable commit.
BINLOG_POINTS = (
    "binlog.before_write",  # commit durable in the redo log, its events not yet appended
    "binlog.torn_write",  # half of the events appended (a torn binlog tail)
    "binlog.after_write",  # appended, not fsynced (the checkpoint fsyncs)
    "binlog.mid_rotate",  # Rotate event written, the next file not yet created
)

# A hot backup (core.backup.backup), in the order it passes them.
BACKUP_POINTS = (
    "backup.prepared",  # the destination cleared and marked in progress, nothing copied
    "backup.mid_copy",  # a tablespace copied, others not (hit once per tablespace)
    "backup.before_manifest",  # every file written and fsynced, no manifest yet
    "backup.after_manifest",  # the manifest in place, the in-progress marker still there
)


def armed(name: str) -> bool:
    """Whether the environment asks to die at `name` (a point that must first prepare its
    damage, such as a half-written append)."""
    return bool(_targets) and name in _targets


def crash_point(name: str) -> None:
    """Die here (SIGKILL, no clean-up) if the environment asks for it."""
    if not _targets:
        return
    left = _targets.get(name)
    if left is None:
        return
    if left <= 1:
        os.kill(os.getpid(), signal.SIGKILL)
    _targets[name] = left - 1
