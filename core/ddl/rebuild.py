"""Table rebuilds as jobs: a new tablespace, a batched copy, one switch of the dictionary.

ALTER TABLE ... FORCE / ENGINE=, a new or dropped primary key and column changes that
rewrite rows (core.sql.alter_table) all run these steps, each one transaction:

  create     the new tablespace, and the old table's shadow (core.sql.shadow): from now on
             its writes below the copy's checkpoint are applied to the new table too
  copy       one batch of rows per step, converted, checked against the new keys (1062,
             MySQL's conversion errors), the checkpoint committed with them   -> case A
  copied     every row is in the new table; the switch is not decided yet   -> case B
  switching  the switch is decided; both tables complete, the old one in use -> case C
  switched   the dictionary names the new table (one transaction); the old one is kept
             and follows the new one's writes until the job ends            -> case D
  done       the old tablespace goes to GC (never deleted here), as DROP's does

These are the InnoDB plugin's cases (seed 002, reference section 6) with the manual
procedure gone: after a crash in A or B the job simply goes on from its checkpoint; in C
and D both ways are safe, so recovery pauses the job for the DBA (ADMIN RESUME DDL JOBS
rolls forward, ADMIN CANCEL DDL JOBS reverts) and the table stays in use meanwhile.

Rolling back (a cancel, a duplicate in a new unique key, a value that does not convert)
drops the shadow and gives the new tablespace to GC; from D it first switches back.  The old
table is then exactly as it was, plus the writes made meanwhile.
"""

from __future__ import annotations

import time

from core.catalog import gcranges
from core.catalog.model import DDLJob, TableInfo
from core.check.flags import clear_table_flags
from core.crashpoints import crash_point
from core.ddl import repair
from core.ddl.index_jobs import estimate_rows, progress
from core.ddl.worker import HANDLERS, Step
from core.errors import ProgrammingError
from core.events import JobState, SchemaState
from core.sql.alter_table import REBUILD_TYPES
from core.sql.shadow import (
    ALL_COPIED,
    RowMap,
    check_poison,
    delete_checkpoint,
    handle_rule,
    put_checkpoint,
    require_rule,
    revertible,
)
from core.sql.table import TableReader, TableWriter


def _old(s: Step, job: DDLJob) -> TableInfo:
    table = s.schema.tables_by_id.get(job.table_id)
    if table is None:
        raise ProgrammingError(f"Table '{job.db_name}.{job.table_name}' doesn't exist "
                               f"(table id {job.table_id})", errno=1146, sqlstate="42S02")
    return table


def _bare(table: TableInfo) -> TableInfo:
    info = TableInfo.from_dict(table.to_dict())
    info.shadow = {}
    return info


def _target(job: DDLJob) -> TableInfo:
    return TableInfo.from_dict(job.args["new_table"])


def _forget_later(s: Step, table_id: int) -> None:
    """After the commit: the in-memory counters and flags of a table id that changed."""
    db = s.db
    flags = getattr(db, "flags", None)

    def run() -> None:
        db.forget_autoinc(table_id)
        if flags is not None:
            flags.forget(table_id, None)

    s.after_commit.append(run)


def _to_gc(s: Step, job: DDLJob, table: TableInfo) -> None:
    """A tablespace leaves the job: to GC, as DROP TABLE's, never deleted here."""
    gcranges.put(s.txn, gcranges.table_range(_bare(table), job.job_id, s.db.now()))
    clear_table_flags(s.txn, table.id)
    _forget_later(s, table.id)


def _phase(job: DDLJob) -> str:
    return job.args.get("phase", "")


def _set_phase(job: DDLJob, phase: str, detail: str) -> None:
    job.args["phase"] = phase
    job.note(phase, detail)


class Rebuild:
    """The steps of every rebuild job type (the module docstring has them in order); the
    phase is `job.args["phase"]`, the schema state what TiDB would show for it."""

    def cancellable(self, job: DDLJob) -> bool:
        return _phase(job) != "done"

    # -- forward ------------------------------------------------------------------------------

    def step(self, s: Step, job: DDLJob) -> None:
        phase = _phase(job)
        if not phase:
            self._create(s, job)
        elif phase == "copy":
            if job.reorg.get("next") is not None:
                crash_point("ddl.rebuild.mid_copy")
            check_poison(s.txn, job.args["new_table_id"])
            self._copy(s, job)
        elif phase == "copied":
            crash_point("ddl.rebuild.copied")
            check_poison(s.txn, job.args["new_table_id"])
            _set_phase(job, "switching", "the copy is complete: switch to the new table")
        elif phase == "switching":
            crash_point("ddl.rebuild.before_switch")
            check_poison(s.txn, job.args["new_table_id"])
            self._switch(s, job)
        elif phase == "switched":
            crash_point("ddl.rebuild.after_switch")
            self._finish(s, job)
        else:
            raise ProgrammingError(f"DDL job {job.job_id}: unknown rebuild phase '{phase}'",
                                   errno=1105, sqlstate="HY000")

    def _create(self, s: Step, job: DDLJob) -> None:
        old = _old(s, job)
        target = _target(job)
        require_rule(old, target)
        target.id = s.txn.create_space(target.schema, target.name)
        target.created = time.time()
        s.store.delete_autoinc(s.txn, target.id)  # a reused id starts clean
        clear_table_flags(s.txn, target.id)
        _forget_later(s, target.id)
        job.args["new_table"] = target.to_dict()
        job.args["new_table_id"] = target.id
        shadowed = _bare(old)
        shadowed.shadow = {"table": target.to_dict(), "map": job.args["map"],
                           "strict": job.args.get("strict", True),
                           "now": job.args.get("now"), "checkpoint": True,
                           "job_id": job.job_id}
        s.store.put_table(s.txn, shadowed)
        put_checkpoint(s.txn, target.id, b"")
        s.schema_changed = True
        job.schema_state = SchemaState.WRITE_REORGANIZATION
        job.reorg = {"done": 0, "total": estimate_rows(s, old), "next": None,
                     "phase": "copy rows"}
        _set_phase(job, "copy", f"new tablespace {target.id} created; the table's writes "
                                "follow into it as the copy passes them")

    def _copy(self, s: Step, job: DDLJob) -> None:
        """One batch of rows into the new table; the checkpoint moves with them."""
        old = _old(s, job)
        target = _target(job)
        found: list[tuple[int, str]] = []
        rows = RowMap(old, target, job.args["map"], job.args.get("strict", True),
                      job.args.get("now"), warn=lambda errno, msg: found.append((errno, msg)))
        same = handle_rule(old, target) == "same"
        writer = TableWriter(target, s.txn)
        reader = TableReader(old)
        start = job.reorg.get("next")
        n, last = 0, None
        base = job.reorg.get("done", 0)
        for key, row in reader.scan(s.view(), start or None, None):
            handle = reader.handle_from_key(key)
            trow = rows.row(row, n=base + n + 1)
            th = handle if same else writer.handle_of(trow)
            hit = writer.find_conflict(trow, th)
            if hit is not None:
                raise writer.duplicate_error(hit[0], trow)
            writer.insert(trow, th)
            n += 1
            last = key
            if n >= s.batch_size:
                break
        if last is not None:
            job.reorg["next"] = bytes(last) + b"\x00"
        if found:  # a non-strict conversion adjusted values: the ALTER reports them
            kept = job.args.setdefault("warnings", [])
            kept.extend([errno, msg] for errno, msg in found[:max(0, MAX_WARNINGS - len(kept))])
            job.args["warning_count"] = job.args.get("warning_count", 0) + len(found)
        progress(s, job, old, "copy rows", n)
        if n < s.batch_size:
            put_checkpoint(s.txn, target.id, ALL_COPIED)
            job.reorg["total"] = job.reorg.get("done", 0)
            _set_phase(job, "copied", f"{job.reorg['done']:,} rows copied into tablespace "
                                      f"{target.id}")
        else:
            put_checkpoint(s.txn, target.id, job.reorg["next"])

    def _switch(self, s: Step, job: DDLJob) -> None:
        """The one transaction that makes the new table the table."""
        old = _old(s, job)
        target = _target(job)
        taken = s.schema.table(target.schema, target.name) or \
            s.schema.view(target.schema, target.name)
        if taken is not None and getattr(taken, "id", None) != old.id:  # made meanwhile
            raise ProgrammingError(f"Table '{target.name}' already exists", errno=1050,
                                   sqlstate="42S01")
        new = TableInfo.from_dict(target.to_dict())
        if old.auto_increment_column is not None or new.auto_increment_column is not None:
            s.store.put_autoinc(s.txn, new.id, s.db.peek_autoinc(_bare(old), s.view()))
        back_ok = bool(job.args.get("revertible")) and revertible(old, new, job.args["map"])
        if back_ok:  # the old table follows the new one's writes while D lasts
            back = reverse_map(job.args["map"], len(old.columns))
            new.shadow = {"table": _bare(old).to_dict(), "map": back, "strict": False,
                          "checkpoint": False, "job_id": job.job_id}
        s.store.delete_table(s.txn, old.id)
        s.store.put_table(s.txn, new)
        delete_checkpoint(s.txn, target.id)
        s.schema_changed = True
        _forget_later(s, old.id)
        _forget_later(s, new.id)
        job.args["old_table"] = _bare(old).to_dict()
        job.schema_state = SchemaState.PUBLIC
        if back_ok:
            _set_phase(job, "switched", f"the dictionary names tablespace {new.id}; the old "
                                        f"one ({old.id}) is kept until the job ends")
        else:
            job.note("switched", f"the dictionary names tablespace {new.id}")
            self._finish(s, job)

    def _finish(self, s: Step, job: DDLJob) -> None:
        old = TableInfo.from_dict(job.args["old_table"])
        current = s.schema.tables_by_id.get(job.args["new_table_id"])
        if current is not None and current.shadow:
            s.store.put_table(s.txn, _bare(current))
            s.schema_changed = True
        _to_gc(s, job, old)
        job.args["phase"] = "done"
        job.note("old table to GC", f"tablespace {old.id} queued for GC, as DROP TABLE's")
        job.state = JobState.DONE

    # -- backward -----------------------------------------------------------------------------

    def rollback_step(self, s: Step, job: DDLJob) -> None:
        phase = _phase(job)
        new_id = job.args.get("new_table_id")
        if not phase or not new_id:
            job.schema_state = SchemaState.NONE
            job.state = JobState.ROLLBACK_DONE
            return
        target = _target(job)
        if phase == "switched":
            old = TableInfo.from_dict(job.args["old_table"])
            current = s.schema.tables_by_id.get(new_id)
            if current is not None:
                if old.auto_increment_column is not None:
                    s.store.put_autoinc(s.txn, old.id,
                                        s.db.peek_autoinc(_bare(current), s.view()))
                s.store.delete_table(s.txn, new_id)
            s.store.put_table(s.txn, old)
            _forget_later(s, old.id)
            job.note("switched back", f"the dictionary names tablespace {old.id} again")
        else:
            old = s.schema.tables_by_id.get(job.table_id)
            if old is not None and old.shadow:
                s.store.put_table(s.txn, _bare(old))
            delete_checkpoint(s.txn, new_id)
        _to_gc(s, job, target)
        s.schema_changed = True
        job.args["phase"] = "rolled back"
        job.schema_state = SchemaState.NONE
        job.note("new table dropped", f"tablespace {new_id} queued for GC; the table is as "
                                      "it was")
        job.state = JobState.ROLLBACK_DONE


def reverse_map(spec: list, old_width: int) -> list[list]:
    """The map back: per old column, the new column it became (-1 if dropped)."""
    back = [[-1, False] for _ in range(old_width)]
    for new_pos, (old_pos, conv) in enumerate(spec):
        if old_pos >= 0:
            back[old_pos] = [new_pos, bool(conv)]
    return back


MAX_WARNINGS = 64  # a copy's conversion warnings kept for its statement (the count is exact)


def classify(job: DDLJob) -> tuple[str, str, str]:
    """The seed's case for an interrupted rebuild, and what is done about it."""
    phase = _phase(job)
    reorg = job.reorg or {}
    new_id = job.args.get("new_table_id")
    if job.state in (JobState.ROLLINGBACK, JobState.CANCELLING):
        case = {"switched": "D", "switching": "C", "copied": "B"}.get(phase, "A")
        return case, "rolled back", "interrupted while rolling back; the roll-back resumes " \
                                    "(the new tablespace goes to GC, the old table stays)"
    if phase in ("switching", "switched"):
        case = "C" if phase == "switching" else "D"
        where = ("the copy is complete and the switch decided, the old table still in use "
                 "(its writes go to both)" if case == "C" else
                 "the dictionary names the new table; the old one is kept and follows its "
                 "writes")
        return case, "paused for the DBA", \
            f"{where}: both ways are safe.  ADMIN RESUME DDL JOBS {job.job_id} rolls forward, " \
            f"ADMIN CANCEL DDL JOBS {job.job_id} reverts"
    if job.state is JobState.PAUSED:
        return ("B" if phase == "copied" else "A"), "left paused", f"paused in phase {phase}"
    if phase == "copied":
        return "B", "rolled forward", f"every row was copied into tablespace {new_id}, the " \
                                      "switch not begun: the job goes on to switch"
    where = f"row {reorg.get('done', 0):,} of ~{reorg.get('total', 0):,}" if new_id else \
        "before the new tablespace was made"
    return "A", "rolled forward", f"interrupted during the copy ({where}); it resumes from " \
                                  "its checkpoint: no row is lost or copied twice"


for _type in REBUILD_TYPES:
    HANDLERS[_type] = Rebuild()
    repair.CASES[_type] = classify
