"""InnoDB-style log lines for engine events.

The same events drive the console's recovery pane, `kintsugi recover`, the error log file
(`kintsugi.err`, see `core.errlog`) and the tests; this module is the one place they are
worded.  Wording follows InnoDB (`log0recv.cc`, `trx0roll.cc`) and, for the end of the log,
PostgreSQL.  `log_lines` gives each line its level ("Note", "Warning", "ERROR"), so a file
or a screen can show MySQL 8's `[Note]`/`[Warning]` without guessing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache

from core import events as ev

NOTE = "Note"
WARNING = "Warning"
ERROR = "ERROR"

Line = tuple[str, str]  # (level, text)


def format_seconds(seconds: float) -> str:
    """A duration as `kintsugi recover` prints it."""
    return f"{seconds:.2f} s"


def _as_reported(path: str) -> str:
    return path


def format_lsn(lsn: int) -> str:
    """PostgreSQL's `%X/%X` form, easier to compare by eye than a long decimal."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@lru_cache(maxsize=1)
def engine_version() -> str:
    """The installed package's version (what InnoDB's "8.0.1 started" line names)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("kintsugidb")
    except (ImportError, PackageNotFoundError, ValueError):
        return "(development)"


def _tables(tables: tuple[str, ...]) -> str:
    if not tables:
        return "no table"
    shown = ", ".join(tables[:8])
    return shown + (f" and {len(tables) - 8} more" if len(tables) > 8 else "")


def _redo_file(path: str) -> str:
    """A segment as MySQL names its redo files: relative to the data directory."""
    return "./" + os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path))


def log_lines(
    e: ev.Event,
    *,
    seconds: Callable[[float], str] = format_seconds,
    path: Callable[[str], str] = _as_reported,
) -> list[Line]:
    """The (level, text) lines an event becomes; [] for events not worth a line (a flush,
    a checkpoint).  Never one line per record: the engine emits one event per batch step."""
    if isinstance(e, ev.RecoveryStarted):
        lines = [(NOTE, "Database was not shutdown normally!"), (NOTE, "Starting crash recovery.")]
        if e.force_recovery:
            lines.append((WARNING, f"!!! force_recovery is set to {e.force_recovery} !!!"))
        return lines
    if isinstance(e, ev.CheckpointFound):
        return [(NOTE, f"The latest found checkpoint is at lsn = {e.checkpoint_lsn} "
                       f"in redo log file {_redo_file(e.segment)}")]
    if isinstance(e, ev.RedoScanProgress):
        return [(NOTE, f"Doing recovery: scanned up to log sequence number {e.scanned_lsn}")]
    if isinstance(e, ev.TornTailCut):
        return [(WARNING, f"The redo log ends in a torn record at lsn {e.lsn} "
                          f"({format_lsn(e.lsn)}): {e.reason}; the log was cut there (a write "
                          "that was never acknowledged)")]
    if isinstance(e, ev.RedoSkipped):
        why = f" ({e.reason})" if e.reason else ""
        unknown = (f", and {e.unknown} transaction(s) whose outcome is unknown: their COMMIT "
                   "may lie in the damaged part" if e.unknown else "")
        floor = "at least " if e.uncounted else ""
        gone = (" (those in the missing segment cannot be counted)" if e.uncounted else "")
        return [(WARNING, f"force_recovery = {e.force_recovery}: the redo log from lsn "
                          f"{e.from_lsn} to {e.to_lsn} was not applied{why}; {floor}{e.commits} "
                          f"committed transaction(s) lie in or after that range{gone}{unknown}, "
                          f"touching {_tables(e.tables)}")]
    if isinstance(e, ev.RedoScanDone):
        return [(NOTE, f"Redo scan done: {e.records} records from lsn {e.start_lsn} to "
                       f"{e.end_lsn}; {e.committed} committed transaction(s), "
                       f"{e.uncommitted} without COMMIT")]
    if isinstance(e, ev.RedoApplyBatch):
        return [(NOTE, f"Applying a batch of {e.records} redo log records ...")]
    if isinstance(e, ev.RedoApplyProgress):
        return [(NOTE, f"{e.percent}%")]
    if isinstance(e, ev.RedoApplyBatchDone):
        return [(NOTE, "Apply batch completed!")]
    if isinstance(e, ev.TransactionsToRollBack):
        if e.left:
            return [(WARNING, f"{e.transactions} transaction(s) without COMMIT, with "
                              f"{e.row_operations} row operations, were left as found "
                              "(force_recovery >= 5): not rolled back, their spill files "
                              "kept; none of their changes is visible")]
        return [(NOTE, f"{e.transactions} transaction(s) which must be rolled back or cleaned "
                       f"up in total {e.row_operations} row operations to undo")]
    if isinstance(e, ev.TrxIdCounter):
        return [(NOTE, f"Trx id counter is {e.next_trx_id}")]
    if isinstance(e, ev.TransactionDiscarded):
        if e.kept:
            return [(WARNING, f"Not rolling back trx with id {e.trx_id}, {e.row_operations} "
                              "rows to undo (force_recovery >= 3): nothing of it reached a "
                              "tablespace; its spill file is left in #spill; tables touched: "
                              f"{_tables(e.tables)}")]
        return [(NOTE, f"Rolling back trx with id {e.trx_id}, {e.row_operations} rows to undo"),
                (NOTE, f"Rolled back trx with id {e.trx_id}: it did not commit, and nothing it "
                       "wrote had reached a tablespace (no-steal), so rolling back is "
                       f"discarding its {e.row_operations} row image(s) and its spill file; "
                       f"tables touched: {_tables(e.tables)}")]
    if isinstance(e, ev.RecoveryFinished):
        done = "left as found, not rolled back" if e.kept else "rolled back"
        lines = [(NOTE, f"Recovery finished in {seconds(e.seconds)}: {e.applied_records} row "
                        f"operation(s) re-applied, {e.discarded_transactions} transaction(s) "
                        f"{done}; log sequence number {e.end_lsn}")]
        if e.skipped_commits:
            lines.append((WARNING, f"{e.skipped_commits} committed transaction(s) in the redo "
                                   "log were not applied (force_recovery)"))
        if e.unknown_outcome:
            lines.append((WARNING, f"{e.unknown_outcome} transaction(s) whose outcome is "
                                   "unknown were not applied: their COMMIT may lie in the "
                                   "damaged part of the redo log"))
        return lines
    if isinstance(e, ev.DatabaseOpened):
        lines = [(NOTE, f"KintsugiDB {engine_version()} started; log sequence number {e.lsn}")]
        if e.read_only:
            lines.append((WARNING, f"The database is open read-only (force_recovery = "
                                   f"{e.force_recovery}): every write fails with ERROR 1881"))
        return lines
    if isinstance(e, ev.DirectoriesToScan):
        return [(NOTE, f"Directories to scan '{';'.join(path(d) for d in e.directories)}'")]
    if isinstance(e, ev.ScanningDirectory):
        return [(NOTE, f"Scanning '{path(e.directory)}'")]
    if isinstance(e, ev.SpaceFilesFound):
        rebuilt = f"; {e.rebuilt} tablespace map entr(ies) rebuilt" if e.rebuilt else ""
        return [(NOTE, f"Found {e.files} '.kdb' file(s){rebuilt}")]
    if isinstance(e, ev.DamagedLogKept):
        kept = ", ".join(path(p) for p in e.kept)
        return [(WARNING, f"The redo log was ended at lsn {e.cut_lsn} (discard_damaged_log): "
                          f"{e.commits_lost} committed transaction(s) after it are lost; the "
                          f"damaged segments were copied to {kept}")]
    if isinstance(e, ev.TablespaceMissing):
        what = f"cannot be read ({e.reason})" if e.reason else "does not exist"
        return [(WARNING, f"Tablespace {e.space_id} for table {e.table} is missing: "
                          f"{path(e.path)} {what}; the database opened without it "
                          "(force_recovery), and queries on it fail with ERROR 1812")]
    if isinstance(e, ev.RecoveryWarning):
        return [(WARNING, e.message)]
    if isinstance(e, ev.SpaceFileSkipped):
        return [(WARNING, f"Ignoring the tablespace file '{path(e.path)}': {e.reason}")]
    if isinstance(e, ev.SpaceFileUnverified):
        return [(WARNING, f"Tablespace file '{path(e.path)}' (space {e.space_id}, table "
                          f"{e.table}) was adopted, but it was written before tablespace "
                          "files recorded their database's uuid: it cannot be proven to "
                          "belong to this database")]
    if isinstance(e, ev.RecoveryHistoryLineSkipped):
        return [(WARNING, f"Line {e.line} of '{path(e.path)}' (the recovery history of forced "
                          "opens) is damaged (a write torn by a crash) and was skipped")]
    if isinstance(e, ev.MapGrown):
        return [(NOTE, f"Tablespace {e.space_id}: map grown from {e.old_size >> 20} MiB "
                       f"to {e.new_size >> 20} MiB")]
    if isinstance(e, ev.TransactionSpilled):
        return [(NOTE, f"Transaction {e.trx_id} spilled: {e.spilled_rows} row images on disk")]
    if isinstance(e, ev.DDLJobRepaired):
        level = WARNING if e.action == "paused for the DBA" else NOTE
        return [(level, f"DDL job {e.job_id} ({e.job_type} on {e.table_name}) was interrupted "
                        f"(case {e.case}): {e.action}; {e.detail}")]
    if isinstance(e, ev.GCRangeCollected):
        what = (f"its tablespace file {path(e.path)} deleted" if e.kind == "table"
                else f"{e.entries} index entr(ies) deleted")
        return [(NOTE, f"GC: the delete range of DDL job {e.job_id} ({e.kind} {e.name}) is "
                       f"older than the safe point and was collected: {what}")]
    if isinstance(e, ev.DDLJobChanged) and e.state in _DDL_LOGGED:
        why = f": {e.error}" if e.error else ""
        return [(WARNING, f"DDL job {e.job_id} ({e.job_type} on {e.db_name}.{e.table_name}) "
                        f"{e.state}{why}")]
    return []


# the job states worth a line in the error log: a job that did not succeed, and a pause
_DDL_LOGGED = frozenset({ev.JobState.ROLLBACK_DONE, ev.JobState.CANCELLED, ev.JobState.PAUSED})


def format_event(
    e: ev.Event,
    *,
    seconds: Callable[[float], str] = format_seconds,
    path: Callable[[str], str] = _as_reported,
) -> str | None:
    """One human line for an event (its `log_lines` joined), or None for events that are not
    worth a line.

    The console words events the same way but shows durations its own way (pictures of it
    freeze them: `seconds`) and paths as the user typed them, where the engine reports
    absolute ones (`path`).  The open itself it words as "Database X open", naming the
    database it shows, where the log says which KintsugiDB started."""
    if isinstance(e, ev.DatabaseOpened):
        state = "clean shutdown" if e.clean else "recovered"
        line = f"Database {path(e.path)} open ({state}); log sequence number {e.lsn}"
        if e.read_only:
            line += f"; read-only (force_recovery = {e.force_recovery})"
        return line
    lines = log_lines(e, seconds=seconds, path=path)
    return " ".join(text for _level, text in lines) if lines else None
