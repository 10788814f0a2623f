"""ADD INDEX and DROP INDEX as jobs, through F1's schema states.

ADD INDEX: none -> delete only -> write only -> write reorganization (the backfill, one
batch of rows per step, its checkpoint the next row key, committed with the entries) ->
public.  DML keeps its own entries right from write only, so the backfill only has to
cover the rows that were there before; a row it meets twice gets the same entry twice.  A
unique index that meets two rows with the same values fails the job with 1062 and it rolls
back: the index goes to delete only (writes stop adding entries), its entries are deleted in
batches, then it leaves the table definition.

DROP INDEX runs the other way: public -> write only (reads stop using it) -> delete only ->
delete reorganization -> none, whose step removes the index from the table and queues its
entries as a delete range (`core.catalog.gcranges.index_range`), as TiDB does: the GC worker
deletes them in batches once the range is older than the safe point.  Index ids are never
reused (`TableInfo.next_index_id`), so nothing reads or checks the entries meanwhile.  Once
the index has left public it can no longer be cancelled (8226), as in TiDB.
"""

from __future__ import annotations

import time
from dataclasses import replace

from core.catalog import gcranges
from core.catalog.model import DDLJob, IndexInfo, TableInfo
from core.check.flags import clear_flag
from core.ddl.worker import HANDLERS, Step
from core.errors import ProgrammingError
from core.events import DDLReorgProgress, JobState, SchemaState
from core.sql.table import TableWriter, index_range

_RATE_WINDOW = 60.0  # seconds: a pause longer than this does not count as one slow batch


def _table(s: Step, job: DDLJob) -> TableInfo:
    table = s.schema.tables_by_id.get(job.table_id)
    if table is None:
        raise ProgrammingError(f"Table '{job.db_name}.{job.table_name}' doesn't exist "
                               f"(table id {job.table_id})", errno=1146, sqlstate="42S02")
    return table


def _index(table: TableInfo, job: DDLJob) -> IndexInfo | None:
    iid = job.args.get("index_id")
    return next((ix for ix in table.indexes if ix.id == iid), None)


def _set_index_state(s: Step, job: DDLJob, table: TableInfo, ix: IndexInfo,
                     state: SchemaState) -> TableInfo:
    info = TableInfo.from_dict(table.to_dict())
    for i in info.indexes:
        if i.id == ix.id:
            i.state = str(state)
    s.store.put_table(s.txn, info)
    s.schema_changed = True
    job.schema_state = state
    job.note(str(state), f"index {ix.name}")
    return info


def _remove_index(s: Step, job: DDLJob, table: TableInfo, ix: IndexInfo) -> None:
    info = TableInfo.from_dict(table.to_dict())
    info.indexes = [i for i in info.indexes if i.id != ix.id]
    s.store.put_table(s.txn, info)
    clear_flag(s.txn, table.id, ix.id)  # its entries are gone, and its damage with them
    flags = getattr(s.db, "flags", None)
    if flags is not None:
        s.after_commit.append(lambda: flags.forget(table.id, ix.id))
    s.schema_changed = True


def estimate_rows(s: Step, table: TableInfo, full: IndexInfo | None = None) -> int:
    """Rows in the table's file plus its unflushed writes, from the entry counts: each row
    has one entry of its own and one in every public secondary index (an index being built
    or dropped has some, not one per row: counting it would halve the estimate), except
    `full`, an index leaving public, which still has one entry per row."""
    engine = s.db.engine
    ts = engine.spaces.get(table.id)
    if ts is None:
        return 0
    per_row = 1 + sum(1 for ix in table.secondary_indexes
                      if ix.state == SchemaState.PUBLIC or (full is not None and ix.id == full.id))
    return (ts.entry_count() + engine.pending_entries(table.id)) // per_row


def progress(s: Step, job: DDLJob, table: TableInfo, phase: str, n: int) -> None:
    """Account one batch of `n` rows in the job's checkpoint and announce it: the rate is a
    moving average over batches (a pause or a restart does not count as a slow batch)."""
    reorg = job.reorg
    now = time.time()
    reorg["done"] = reorg.get("done", 0) + n
    reorg["total"] = max(reorg.get("total", 0), reorg["done"])
    last = reorg.get("last_at")
    if last is not None and 0 < now - last < _RATE_WINDOW and n:
        rate = n / (now - last)
        old = reorg.get("rate") or 0.0
        reorg["rate"] = rate if not old else 0.7 * old + 0.3 * rate
    reorg["last_at"] = now
    rate = reorg.get("rate") or 0.0
    left = reorg["total"] - reorg["done"]
    eta = left / rate if rate > 0 else None
    job.row_count = reorg["done"]
    job.progress = reorg["done"] / reorg["total"] if reorg["total"] else 0.0
    reorg["eta"] = eta
    s.progress = DDLReorgProgress(job.job_id, table.name, phase, reorg["done"],
                                  reorg["total"], rate, eta)


def finished(s: Step, job: DDLJob) -> None:
    """The reorganisation is complete: the estimate becomes the count, nothing is left."""
    done = job.reorg.get("done", 0)
    job.reorg["total"], job.reorg["eta"] = done, 0.0
    job.progress = 1.0
    if s.progress is not None:
        s.progress = replace(s.progress, rows_total=done, eta_seconds=0.0)


def delete_entries(s: Step, job: DDLJob, table: TableInfo, ix: IndexInfo) -> bool:
    """Delete one batch of `ix`'s entries; True when none is left."""
    lo, hi = index_range(table.id, ix.id)
    keys = []
    for k, _v in s.txn.scan_current(table.id, lo, hi):
        keys.append(bytes(k))
        if len(keys) >= s.batch_size:
            break
    for k in keys:
        s.txn.delete(table.id, k)
    if keys:
        progress(s, job, table, "delete entries", len(keys))
    return len(keys) < s.batch_size


class AddIndex:
    def cancellable(self, job: DDLJob) -> bool:
        return job.schema_state is not SchemaState.PUBLIC

    def step(self, s: Step, job: DDLJob) -> None:
        table = _table(s, job)
        state = job.schema_state
        if state is SchemaState.NONE:
            spec = IndexInfo.from_dict(job.args["index"])
            if table.index(spec.name) is not None:  # a job queued before took the name
                raise ProgrammingError(f"Duplicate key name '{spec.name}'", errno=1061,
                                       sqlstate="42000")
            info = TableInfo.from_dict(table.to_dict())
            spec.id = info.next_index_id
            spec.state = str(SchemaState.DELETE_ONLY)
            info.next_index_id += 1
            info.indexes.append(spec)
            s.store.put_table(s.txn, info)
            s.schema_changed = True
            job.args["index_id"] = spec.id
            job.schema_state = SchemaState.DELETE_ONLY
            job.note(str(SchemaState.DELETE_ONLY), f"index {spec.name} added, id {spec.id}")
            return
        ix = _index(table, job)
        if ix is None:
            raise ProgrammingError(f"the index of DDL job {job.job_id} is gone from "
                                   f"{table.full_name}", errno=1105, sqlstate="HY000")
        if state is SchemaState.DELETE_ONLY:
            _set_index_state(s, job, table, ix, SchemaState.WRITE_ONLY)
        elif state is SchemaState.WRITE_ONLY:
            _set_index_state(s, job, table, ix, SchemaState.WRITE_REORGANIZATION)
            job.reorg = {"done": 0, "total": estimate_rows(s, table), "next": None,
                         "phase": "backfill"}
        elif state is SchemaState.WRITE_REORGANIZATION:
            if self._backfill(s, job, table, ix):
                _set_index_state(s, job, table, ix, SchemaState.PUBLIC)
                finished(s, job)
                job.state = JobState.DONE

    def _backfill(self, s: Step, job: DDLJob, table: TableInfo, ix: IndexInfo) -> bool:
        """One batch of rows gets its entries; True when the last row has them."""
        writer = TableWriter(table, s.txn, write_indexes=[ix])
        view = s.view()
        txn, tid = s.txn, table.id
        start = job.reorg.get("next")
        n, last = 0, None
        put, entry_at = txn.put, writer.index_entry_at
        for key, row in writer.scan(view, start or None, None):
            if ix.unique:
                values = writer.index_values(ix, row)
                if None not in values:
                    raw = txn.get_current(tid, writer.unique_key(ix, values))
                    if raw is not None and (writer.decode_handle_value(raw)
                                            != writer.handle_from_key(key)):
                        raise writer.duplicate_error(ix.name, row)
            # the entry from the row key's own handle bytes: no decoding and re-encoding
            k, v = entry_at(ix, row, key)
            put(tid, k, v)
            n += 1
            last = key
            if n >= s.batch_size:
                break
        if last is not None:
            job.reorg["next"] = bytes(last) + b"\x00"
        progress(s, job, table, "backfill", n)
        return n < s.batch_size

    def rollback_step(self, s: Step, job: DDLJob) -> None:
        table = s.schema.tables_by_id.get(job.table_id)
        ix = _index(table, job) if table is not None else None
        if ix is None:  # never added (or its table is gone): nothing to undo
            job.state = JobState.ROLLBACK_DONE
            job.schema_state = SchemaState.NONE
            return
        if ix.state not in (SchemaState.DELETE_ONLY, SchemaState.DELETE_REORGANIZATION):
            _set_index_state(s, job, table, ix, SchemaState.DELETE_ONLY)
            return
        if ix.state == SchemaState.DELETE_ONLY:
            _set_index_state(s, job, table, ix, SchemaState.DELETE_REORGANIZATION)
            job.reorg = {"done": 0, "total": job.reorg.get("done", 0), "phase": "delete entries"}
            return
        if delete_entries(s, job, table, ix):
            _remove_index(s, job, table, ix)
            job.schema_state = SchemaState.NONE
            job.note("index removed", f"index {ix.name} and its entries are gone")
            job.state = JobState.ROLLBACK_DONE


class DropIndex:
    def cancellable(self, job: DDLJob) -> bool:
        return job.schema_state is SchemaState.PUBLIC

    def step(self, s: Step, job: DDLJob) -> None:
        table = _table(s, job)
        ix = _index(table, job)
        if ix is None:
            raise ProgrammingError(f"Can't DROP '{job.args.get('index_name', '?')}'; check "
                                   "that column/key exists", errno=1091, sqlstate="42000")
        state = job.schema_state
        if state is SchemaState.PUBLIC:
            _set_index_state(s, job, table, ix, SchemaState.WRITE_ONLY)
        elif state is SchemaState.WRITE_ONLY:
            _set_index_state(s, job, table, ix, SchemaState.DELETE_ONLY)
        elif state is SchemaState.DELETE_ONLY:
            _set_index_state(s, job, table, ix, SchemaState.DELETE_REORGANIZATION)
        elif state is SchemaState.DELETE_REORGANIZATION:
            # TiDB's way: the index leaves the table and its entries become a delete range
            # the GC worker removes once it is older than the safe point (core.gc.collect)
            _remove_index(s, job, table, ix)
            rng = gcranges.index_range(table, ix.id, job.job_id, s.db.now())
            gcranges.put(s.txn, dict(rng, index_name=ix.name))
            job.schema_state = SchemaState.NONE
            job.note(str(SchemaState.NONE), f"index {ix.name} removed; its entries are "
                                            "queued for GC")
            job.state = JobState.DONE

    def rollback_step(self, s: Step, job: DDLJob) -> None:
        # only a job that has not started can be cancelled: the index is still public
        job.state = JobState.ROLLBACK_DONE


HANDLERS["add index"] = AddIndex()
HANDLERS["drop index"] = DropIndex()
