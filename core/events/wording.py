"""InnoDB-style log lines for engine events.

The same events drive the console's recovery pane and the tests; this module is what
`kintsugi recover` and `kintsugi demo` print.  Wording follows InnoDB (`log0recv.cc`) and,
for the end of the log, PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable

from core import events as ev


def format_seconds(seconds: float) -> str:
    """A duration as `kintsugi recover` prints it."""
    return f"{seconds:.2f} s"


def _as_reported(path: str) -> str:
    return path


def format_lsn(lsn: int) -> str:
    """PostgreSQL's `%X/%X` form, easier to compare by eye than a long decimal."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def format_event(
    e: ev.Event,
    *,
    seconds: Callable[[float], str] = format_seconds,
    path: Callable[[str], str] = _as_reported,
) -> str | None:
    """One human line for an event, or None for events that are not worth a line.

    The console words events the same way but shows durations its own way (pictures of it
    freeze them: `seconds`) and paths as the user typed them, where the engine reports
    absolute ones (`path`)."""
    if isinstance(e, ev.RecoveryStarted):
        return (
            "Database was not shutdown normally! Starting crash recovery from checkpoint "
            f"lsn = {e.checkpoint_lsn} ({format_lsn(e.checkpoint_lsn)})."
        )
    if isinstance(e, ev.RedoScanProgress):
        return f"Doing recovery: scanned up to log sequence number {e.scanned_lsn}"
    if isinstance(e, ev.TornTailCut):
        return f"Torn log tail cut at lsn {e.lsn} ({format_lsn(e.lsn)}): {e.reason}"
    if isinstance(e, ev.RedoScanDone):
        return (
            f"Redo scan done: {e.records} records from lsn {e.start_lsn} to {e.end_lsn}; "
            f"{e.committed} committed transaction(s), {e.uncommitted} without COMMIT"
        )
    if isinstance(e, ev.RedoApplyBatch):
        return f"Applying a batch of {e.records} redo row operations ..."
    if isinstance(e, ev.RedoApplyProgress):
        return f"{e.percent}% ({e.applied} of {e.total} row operations)"
    if isinstance(e, ev.TransactionDiscarded):
        return (
            f"Rolled back trx with id {e.trx_id}: it did not commit before the crash, "
            f"{e.row_operations} row operation(s) discarded"
        )
    if isinstance(e, ev.RecoveryFinished):
        return (
            f"Recovery finished in {seconds(e.seconds)}: {e.applied_records} row operation(s) "
            f"re-applied, {e.discarded_transactions} transaction(s) rolled back; "
            f"log sequence number {e.end_lsn}"
        )
    if isinstance(e, ev.DatabaseOpened):
        state = "clean shutdown" if e.clean else "recovered"
        return f"Database {path(e.path)} open ({state}); log sequence number {e.lsn}"
    if isinstance(e, ev.MapGrown):
        return (
            f"Tablespace {e.space_id}: map grown from {e.old_size >> 20} MiB "
            f"to {e.new_size >> 20} MiB"
        )
    if isinstance(e, ev.TransactionSpilled):
        return f"Transaction {e.trx_id} spilled: {e.spilled_rows} row images on disk"
    return None
