"""The CHECK TABLE statement: MySQL's result set over `core.check.table`'s findings.

Columns `Table, Op, Msg_type, Msg_text`, `Table` as `db.t`, `Op` always `check`.  Each table
gets its problems first (`Warning` rows, SQLite-style texts), then one last row: `status |
OK` or `error | Corrupt`; a table that does not exist (or whose tablespace is missing) gets
MySQL's `Error | Table 'db.t' doesn't exist` and `status | Operation failed`.

Every table is checked in one snapshot (a consistent state, also under force_recovery, where
nothing can be written).  What a check finds is flagged (core.check.flags): the table for
damaged rows, the index for wrong entries; a check that finds a flagged object sound clears
its flag (MyISAM's "marks the table as okay"), except an index flag in QUICK or MEDIUM mode,
which does not look at the index entries themselves (reported as a warning instead, as
InnoDB's "Index ... is marked as corrupted").
"""

from __future__ import annotations

from typing import Any

from core.check import flags as flagmod
from core.check.table import EXTENDED as _EXTENDED
from core.check.table import INDEX, ROWS, check_table, mode_of
from core.errors import Error, OperationalError
from core.txn import begin_bookkeeping

Session = Any  # core.sql.session.Session (above this package: not imported)

COLUMNS = ["Table", "Op", "Msg_type", "Msg_text"]


def run(session: Session, node) -> tuple[list[str], list[list]]:
    """(column names, rows) of CHECK TABLE; the session wraps them in its Result."""
    mode = mode_of(node.args.get("option"))
    view, close = session._view()
    rows: list[list] = []
    new_flags: list[flagmod.CorruptionFlag] = []
    cleared: list[tuple[int, int]] = []
    try:
        schema = session.statement_schema = session.db.schema(view)
        for tnode in node.expressions:
            db = tnode.db or session.require_db()
            name = f"{db}.{tnode.name}"
            table = schema.table(db, tnode.name)
            if table is None:
                rows.append([name, "check", "Error", f"Table '{name}' doesn't exist"])
                rows.append([name, "check", "status", "Operation failed"])
                continue
            if table.id in session.db.missing_spaces():
                rows.append([name, "check", "Error", f"Tablespace is missing for table "
                                                     f"`{table.schema}`.`{table.name}`."])
                rows.append([name, "check", "status", "Operation failed"])
                continue
            findings = check_table(view, table, mode, session.cancel_token.check)
            corrupt = bool(findings)
            for f in findings:
                rows.append([name, "check", "Warning", f.text])
            registry = session.db.flags
            bad_rows = next((f for f in findings if f.scope == ROWS), None)
            if bad_rows is not None:
                new_flags.append(flagmod.new_flag(table.id, table.full_name, bad_rows.text,
                                                  bad_rows.key))
            elif registry.table_flag(table.id) is not None:
                cleared.append((table.id, flagmod.TABLE_LEVEL))
            bad_ix = {f.index.id: f for f in findings if f.scope == INDEX and f.index}
            for iid, f in bad_ix.items():
                new_flags.append(flagmod.new_flag(table.id, table.full_name, f.text, f.key,
                                                  iid, f.index.name))
            for iid, flag in registry.index_flags(table.id).items():
                if iid in bad_ix:
                    continue
                ix = next((i for i in table.indexes if i.id == iid), None)
                if ix is None:
                    cleared.append((table.id, iid))
                elif mode == _EXTENDED:
                    cleared.append((table.id, iid))
                else:
                    corrupt = True
                    rows.append([name, "check", "Warning",
                                 f"index {ix.name} is marked as corrupted ({flag.reason}); "
                                 "CHECK TABLE ... EXTENDED verifies it again"])
            rows.append([name, "check", "error", "Corrupt"] if corrupt
                        else [name, "check", "status", "OK"])
        session.cancel_token.finish()
    finally:
        if close:
            close()
    apply_flags(session, new_flags, cleared)
    return list(COLUMNS), rows


def apply_flags(session: Session, new_flags: list, cleared: list[tuple[int, int]]) -> None:
    """Record what the check found: new flags (written now, or pending while the session
    holds the writer lock, or in memory only on a read-only open) and flags of objects found
    sound (removed in a small transaction; on a read-only open only from memory, and only
    those that were never written).  ADMIN CHECK and SHOW INDEX INCONSISTENCIES record
    theirs the same way."""
    db = session.db
    for f in new_flags:
        db.flags.add(f)
    if cleared:
        engine = db.engine
        holds_lock = session.txn is not None and session.txn.trx_id is not None
        if engine.read_only or holds_lock:
            for tid, iid in cleared:
                flag = db.flags.table_flag(tid) if iid == flagmod.TABLE_LEVEL else \
                    db.flags.index_flags(tid).get(iid)
                if flag is not None and not flag.persisted:
                    db.flags.forget(tid, iid)
        else:
            try:
                txn = begin_bookkeeping(engine)
                try:
                    for tid, iid in cleared:
                        flagmod.clear_flag(txn, tid, iid)
                    txn.commit()
                except BaseException:
                    txn.rollback()
                    raise
                for tid, iid in cleared:
                    db.flags.forget(tid, iid)
            except (Error, OperationalError):
                pass  # the flags stay; a later check clears them
    session._persist_flags()
