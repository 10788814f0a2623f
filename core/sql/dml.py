"""INSERT, REPLACE, UPDATE and DELETE.

All of them read with *current* reads (the transaction holds the writer lock, so nothing can
commit underneath), materialise the rows they will change before changing any (no
Halloween problem), and go through `TableWriter` so rows and index entries move together.
The caller wraps each statement in a savepoint: a statement that fails half-way leaves
nothing behind, even inside a larger transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from core.catalog.model import TableInfo
from core.errors import ProgrammingError
from core.sql import multi_dml
from core.sql.plan.ops import Runtime
from core.sql.row_update import UpdateRules, assignment_target
from core.sql.table import TableWriter
from core.sql.target_reads import refuse_target_reads

if TYPE_CHECKING:
    from core.sql.host import StatementHost


def _err(msg, errno, state="42000"):
    return ProgrammingError(msg, errno=errno, sqlstate=state)


class DMLRunner:
    def __init__(self, session: StatementHost):
        self.s = session

    # -- INSERT / REPLACE --------------------------------------------------------------------

    def insert(self, node: exp.Insert, txn, schema, replace: bool = False,
               params_list: list | None = None) -> tuple[int, int]:
        """Returns (affected rows, first auto-generated id or 0).  `params_list` runs the
        statement once per parameter tuple inside this one statement (executemany)."""
        plan = self.s.insert_plan(node, schema, replace)
        return plan.run(self.s, txn, params_list)

    # -- UPDATE / DELETE -----------------------------------------------------------------------

    def _matching(self, node, txn, schema, table: TableInfo, alias: str):
        planner = self.s.planner()
        where = node.args.get("where")
        op, scope = planner.plan_table_rows(table, alias, where.this if where else None,
                                            node.args.get("order"), node)
        rows = list(op.rows(self.s.ctx.runtime if self.s.ctx.runtime is not None
                            else Runtime(txn.current_view())))
        return rows, scope

    def update(self, node: exp.Update, txn, schema) -> tuple[int, int]:
        """Returns (changed rows, matched rows)."""
        s = self.s
        if multi_dml.is_multi_update(node):
            return multi_dml.update(s, node, txn, schema)
        table = s.table_info(schema, node.this, data=True)
        refuse_target_reads(node, [node.this], [(table.schema, table.name)], s.current_db, schema)
        alias = node.this.alias_or_name
        matched, scope = self._matching(node, txn, schema, table, alias)
        assigns = []
        for a in node.expressions:
            col = assignment_target(a)
            if col.table and col.table.lower() != alias.lower():
                raise _err(f"Unknown column '{col.sql()}' in 'field list'", 1054, "42S22")
            p = table.column_index(col.name)
            if p is None:
                raise _err(f"Unknown column '{col.name}' in 'field list'", 1054, "42S22")
            assigns.append((p, s.compile(a.expression, scope)))
        rules = UpdateRules(s, table, bool(node.args.get("ignore")))
        writer = TableWriter(table, txn)
        changed = 0
        check = s.cancel_token.check  # the writes of a big UPDATE take seconds too
        for n, krow in enumerate(matched, start=1):
            if not n & 255:
                check()
            key, old = krow[-1], krow[:-1]
            changed += rules.apply(writer, old, key, assigns, lambda new, key=key: new + [key],
                                   n)
        if table.auto_increment_column is not None and changed:
            s.db.persist_autoinc(table, txn)
        return changed, len(matched)

    def delete(self, node: exp.Delete, txn, schema) -> int:
        s = self.s
        tnode = node.this
        if multi_dml.is_multi_delete(node):
            return multi_dml.delete(s, node, txn, schema)
        table = s.table_info(schema, tnode)
        refuse_target_reads(node, [tnode], [(table.schema, table.name)], s.current_db, schema)
        s.db.require_usable(table)  # a DELETE needs no unique check: a flagged index is kept
        matched, _scope = self._matching(node, txn, schema, table, tnode.alias_or_name)
        writer = TableWriter(table, txn)
        check = s.cancel_token.check
        for n, krow in enumerate(matched, start=1):
            if not n & 255:
                check()
            key, row = krow[-1], krow[:-1]
            writer.delete(row, writer.handle_from_key(key))
        return len(matched)
