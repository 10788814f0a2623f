"""One UPDATE's work on one row, shared by single-table UPDATE (core.sql.dml), multi-table
UPDATE (core.sql.multi_dml) and INSERT ... ON DUPLICATE KEY UPDATE's SET list parsing."""

from __future__ import annotations

from sqlglot import exp

from core.catalog.model import HANDLE_ROWID, TableInfo
from core.errors import IntegrityError, ProgrammingError
from core.sql import sqlmode
from core.sql.table import TableWriter


def assignment_target(a: exp.Expression) -> exp.Column:
    """The column of one ``SET col = expr`` item.  sqlglot also accepts any expression there
    (``SET X'FF' LIKE v``); mysqld's grammar does not, so anything else is a syntax error."""
    if not isinstance(a, exp.EQ) or not isinstance(a.this, exp.Column):
        near = a.sql(dialect="mysql")[:80]
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{near}' at line 1")
    return a.this


class UpdateRules:
    """What one UPDATE does to each row it matched: the assignments evaluated left to right
    (each sees the values assigned before it), MySQL's coercions, NOT NULL, the unique
    checks and the write.  Shared by single- and multi-table UPDATE; `context(new)` gives
    the row the assignments are evaluated on (the table's row plus its key, or the whole
    joined row with this table's part replaced by `new`)."""

    def __init__(self, session, table: TableInfo, ignore: bool):
        self.s = session
        self.table = table
        self.ignore = ignore
        # UPDATE IGNORE, or no strict sql_mode: data errors adjusted with warnings; IGNORE
        # also skips duplicates
        self.adjust = ignore or not sqlmode.strict(session.ctx)
        self.lenient = self.implicit = None
        self.warn = sqlmode.write_warner(session.ctx)  # max_error_count (1024), as MySQL
        if self.adjust:
            from core.sql.types.coercion import lenient_columns

            self.lenient, self.implicit = lenient_columns([c.type for c in table.columns],
                                                          self.warn)

    def apply(self, writer: TableWriter, old: list, key: bytes, assigns: list,
              context, n: int) -> int:
        """1 when the row changed, else 0."""
        from core.sql.types import coerce

        s, table, ignore, adjust = self.s, self.table, self.ignore, self.adjust
        lenient, implicit, warn = self.lenient, self.implicit, self.warn
        new = list(old)
        for p, fn in assigns:
            v = fn(context(new))
            col = table.columns[p]
            if v is not None:
                v = lenient[p](v, col.name, n) if adjust else \
                    coerce(v, col.type, col.name if col.type.kind != "JSON"
                           else f"{table.name}.{col.name}", row=n)
            elif not col.nullable:
                if adjust and implicit[p] is not None:
                    warn(1048, f"Column '{col.name}' cannot be null")
                    new[p] = implicit[p]
                    continue
                raise IntegrityError(f"Column '{col.name}' cannot be null", errno=1048,
                                     sqlstate="23000")
            new[p] = v
        if new == old:
            return 0
        old_handle = writer.handle_from_key(key)
        new_handle = writer.handle_of(new) if table.handle != HANDLE_ROWID else old_handle
        if table.auto_increment_column is not None:
            s.db.observe_autoinc(table, new[table.column_index(
                table.auto_increment_column.name)], writer.txn)
        if new_handle != old_handle and writer.row_exists(new_handle):
            if ignore:
                warn(1062, writer.duplicate_error("PRIMARY", new).msg)
                return 0
            raise writer.duplicate_error("PRIMARY", new)
        clash = writer.find_conflict(new, new_handle, check_primary=False)
        if clash is not None and clash[1] != old_handle:
            if ignore:
                warn(1062, writer.duplicate_error(clash[0], new).msg)
                return 0
            raise writer.duplicate_error(clash[0], new)
        writer.update(old, new, old_handle, new_handle)
        return 1
