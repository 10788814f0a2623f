"""What an open's recovery did, as one row of the recovery history (`RecoveryRecord`).

The same record is `engine.last_recovery`, `DatabaseStatus.recovery` (the console's
read-only banner, the last line of `kintsugi recover`) and, once `core.recovery.history`
has given it an id, a row of `information_schema.RECOVERY_HISTORY`.  Its `outcome` says in
one line what a DBA must know: above all, committed work that a forced open did not apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.recovery.redo_apply import RecoveryResult
from core.status import RecoveryRecord

if TYPE_CHECKING:
    from core.storage.engine import Engine


def needs_record(result: RecoveryResult, engine: Engine) -> bool:
    """One row per open that had to recover or was forced."""
    return result.crashed or engine.force_recovery > 0 or bool(result.kept)


def recovery_record(result: RecoveryResult, engine: Engine) -> RecoveryRecord:
    """The history row of this open (id 0 until the history assigns one)."""
    skipped = result.skipped
    level = engine.force_recovery
    if result.kept:
        reason = "discard-damaged-log"
    elif level > 0:
        reason = "forced"
    else:
        reason = "crash"
    rng = f"{skipped.from_lsn}-{skipped.to_lsn}" if skipped is not None else ""
    commits = skipped.commits if skipped is not None else 0
    unknown = len(skipped.unknown_trx) if skipped is not None else 0
    missing = result.missing
    if result.kept:
        outcome = (f"log ended at lsn {result.end_lsn}, damaged segments kept in "
                   f"{result.kept_dir}; {commits} committed transaction(s) in lsn {rng} lost; "
                   "open writable")
    elif engine.read_only:
        if skipped is not None:
            outcome = (f"read-only: {commits} committed transaction(s) in lsn {rng} "
                       "not applied")
        else:
            outcome = f"read-only (force_recovery={level}): all redo applied in memory"
    else:
        outcome = "recovered"
    if unknown:
        outcome += (f"; {unknown} transaction(s) whose outcome is unknown (their COMMIT may "
                    "lie in the damaged part) not applied")
    kept_open = level >= 3 and bool(result.discarded)
    if kept_open:
        outcome += (f"; {len(result.discarded)} transaction(s) without COMMIT left as found "
                    f"(force_recovery={level}), not rolled back")
    if missing:
        outcome += f"; opened without the tablespace(s) of {', '.join(missing)}"
    if result.torn and skipped is None and not result.kept:
        # the last record was cut short: the crash tore a write that was never acknowledged,
        # or (indistinguishably, as for InnoDB and PostgreSQL) damage hit the last record
        outcome += (f"; a torn record at the end of the log was cut at lsn {result.end_lsn} "
                    "(see kintsugi.err)")
    return RecoveryRecord(
        id=0, start_time=result.start_time, end_time=result.end_time, reason=reason,
        checkpoint_lsn=result.checkpoint_lsn, end_lsn=result.end_lsn,
        records_scanned=result.records_scanned, records_applied=result.applied_records,
        transactions_rolled_back=0 if kept_open else len(result.discarded),
        rows_discarded=0 if kept_open else sum(result.discarded.values()), force_recovery=level,
        skipped_lsn_range=rng, outcome=outcome, skipped_commits=commits,
        skipped_tables=result.skipped_tables, missing_tablespaces=missing)


def interrupted_discard_record(facts: dict, now: float) -> RecoveryRecord:
    """The history row of a `discard_damaged_log` open that ended the log but died before
    writing its row, rebuilt from the facts it wrote first (`core.recovery.forced`)."""
    cut = int(facts.get("cut_lsn", 0))
    rng = f"{cut}-{int(facts.get('to_lsn', cut))}"
    commits = int(facts.get("commits_lost", 0))
    outcome = (f"log ended at lsn {cut}, damaged segments kept in {facts.get('kept_dir', '')}; "
               f"{commits} committed transaction(s) in lsn {rng} lost; open writable "
               "(recorded by a later open: the discarding open died before writing this row)")
    if facts.get("unknown"):
        outcome += (f"; {facts['unknown']} transaction(s) whose outcome is unknown not "
                    "applied")
    return RecoveryRecord(
        id=0, start_time=float(facts.get("start_time", now)), end_time=now,
        reason="discard-damaged-log", checkpoint_lsn=int(facts.get("checkpoint_lsn", 0)),
        end_lsn=cut, records_scanned=int(facts.get("records_scanned", 0)), records_applied=0,
        transactions_rolled_back=0, rows_discarded=0,
        force_recovery=int(facts.get("force_recovery", 0)), skipped_lsn_range=rng,
        outcome=outcome, skipped_commits=commits,
        skipped_tables=tuple(facts.get("tables", ())))
