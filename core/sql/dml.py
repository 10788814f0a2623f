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

from core.catalog.model import HANDLE_ROWID, TableInfo
from core.errors import IntegrityError, ProgrammingError
from core.sql.plan.ops import Runtime
from core.sql.table import TableWriter

if TYPE_CHECKING:
    from core.sql.host import StatementHost


def assignment_target(a: exp.Expression) -> exp.Column:
    """The column of one ``SET col = expr`` item.  sqlglot also accepts any expression there
    (``SET X'FF' LIKE v``); mysqld's grammar does not, so anything else is a syntax error."""
    if not isinstance(a, exp.EQ) or not isinstance(a.this, exp.Column):
        near = a.sql(dialect="mysql")[:80]
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{near}' at line 1")
    return a.this


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
        from core.sql.types import coerce

        s = self.s
        # `UPDATE t JOIN u ON ... SET` and `UPDATE t, u SET ...` keep their joins on the
        # table node: updating every row of t as if they were not there would be a silent
        # wrong write, so until multi-table UPDATE exists they are refused.
        if node.args.get("from") or node.args.get("from_") or node.args.get("joins") or \
                not isinstance(node.this, exp.Table) or node.this.args.get("joins"):
            from core.errors import NotSupportedError

            raise NotSupportedError("multi-table UPDATE is not supported yet")
        table = s.table_info(schema, node.this, data=True)
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
        ignore = bool(node.args.get("ignore"))
        if ignore:  # UPDATE IGNORE: data errors adjusted with warnings, duplicates skipped
            from core.sql.types.coercion import lenient_columns

            warn = s.ctx.warn  # keeps max_error_count (1024) of them, as MySQL
            lenient, implicit = lenient_columns([c.type for c in table.columns], warn)
        writer = TableWriter(table, txn)
        changed = 0
        check = s.cancel_token.check  # the writes of a big UPDATE take seconds too
        for n, krow in enumerate(matched, start=1):
            if not n & 255:
                check()
            key, old = krow[-1], krow[:-1]
            new = list(old)
            for p, fn in assigns:
                v = fn(new + [key])
                col = table.columns[p]
                if v is not None:
                    v = lenient[p](v, col.name, n) if ignore else \
                        coerce(v, col.type, col.name, row=n)
                elif not col.nullable:
                    if ignore and implicit[p] is not None:
                        warn(1048, f"Column '{col.name}' cannot be null")
                        new[p] = implicit[p]
                        continue
                    raise IntegrityError(f"Column '{col.name}' cannot be null", errno=1048,
                                         sqlstate="23000")
                new[p] = v
            if new == old:
                continue
            old_handle = writer.handle_from_key(key)
            new_handle = writer.handle_of(new) if table.handle != HANDLE_ROWID else old_handle
            if table.auto_increment_column is not None:
                s.db.observe_autoinc(table, new[table.column_index(
                    table.auto_increment_column.name)], txn)
            if new_handle != old_handle and writer.row_exists(new_handle):
                if ignore:
                    warn(1062, writer.duplicate_error("PRIMARY", new).msg)
                    continue
                raise writer.duplicate_error("PRIMARY", new)
            clash = writer.find_conflict(new, new_handle, check_primary=False)
            if clash is not None and clash[1] != old_handle:
                if ignore:
                    warn(1062, writer.duplicate_error(clash[0], new).msg)
                    continue
                raise writer.duplicate_error(clash[0], new)
            writer.update(old, new, old_handle, new_handle)
            changed += 1
        if table.auto_increment_column is not None and changed:
            s.db.persist_autoinc(table, txn)
        return changed, len(matched)

    def delete(self, node: exp.Delete, txn, schema) -> int:
        s = self.s
        tnode = node.this
        if not isinstance(tnode, exp.Table) or node.args.get("using") or \
                node.args.get("tables"):
            from core.errors import NotSupportedError

            raise NotSupportedError("multi-table DELETE is not supported yet")
        table = s.table_info(schema, tnode)
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

