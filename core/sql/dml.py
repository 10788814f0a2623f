"""INSERT, REPLACE, UPDATE and DELETE.

All of them read with *current* reads (the transaction holds the writer lock, so nothing can
commit underneath), materialise the rows they will change before changing any (no
Halloween problem), and go through `TableWriter` so rows and index entries move together.
The caller wraps each statement in a savepoint: a statement that fails half-way leaves
nothing behind, even inside a larger transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from core.catalog.model import HANDLE_ROWID, TableInfo
from core.codec import row_key
from core.errors import IntegrityError, ProgrammingError
from core.sql.plan.ops import Runtime
from core.sql.plan.scope import SourceScope
from core.sql.table import TableWriter

if TYPE_CHECKING:
    from core.sql.session import Session

_DEFAULT = object()


def _err(msg, errno, state="42000"):
    return ProgrammingError(msg, errno=errno, sqlstate=state)


class DMLRunner:
    def __init__(self, session: Session):
        self.s = session

    # -- INSERT / REPLACE --------------------------------------------------------------------

    def insert(self, node: exp.Insert, txn, schema, replace: bool = False) -> tuple[int, int]:
        """Returns (affected rows, first auto-generated id or 0)."""
        from core.sql.types import coerce

        s = self.s
        target = node.this
        tnode = target.this if isinstance(target, exp.Schema) else target
        table = s.table_info(schema, tnode)
        if isinstance(target, exp.Schema) and target.expressions:
            names = [e.name for e in target.expressions]
        else:
            names = [c.name for c in table.columns]
        positions = []
        for n in names:
            p = table.column_index(n)
            if p is None:
                raise _err(f"Unknown column '{n}' in 'field list'", 1054, "42S22")
            if p in positions:
                raise _err(f"Column '{n}' specified twice", 1110)
            positions.append(p)
        writer = TableWriter(table, txn)
        source = node.expression
        rows_in = self._source_rows(source, len(names), txn, schema)
        ignore = bool(node.args.get("ignore"))
        conflict = node.args.get("conflict")
        updates = self._compile_upsert(conflict, table) if conflict is not None else None
        auto = table.auto_increment_column
        auto_pos = table.column_index(auto.name) if auto else None
        affected = 0
        first_id = 0
        for n, values in enumerate(rows_in, start=1):
            row: list[Any] = [_DEFAULT] * len(table.columns)
            for p, v in zip(positions, values, strict=True):
                row[p] = v
            for i, col in enumerate(table.columns):
                v = row[i]
                if v is _DEFAULT:
                    if col.auto_increment:
                        v = None
                    elif col.default_now:
                        v = s.ctx.now
                    elif col.has_default:
                        v = col.default
                    elif col.nullable:
                        v = None
                    else:
                        raise IntegrityError(f"Field '{col.name}' doesn't have a default value",
                                             errno=1364, sqlstate="HY000")
                if v is not None:
                    v = coerce(v, col.type, col.name, row=n)
                row[i] = v
            if auto_pos is not None:
                v = row[auto_pos]
                if v is None or v == 0:
                    v = s.db.next_autoinc(table, txn)
                    row[auto_pos] = v
                    if not first_id:
                        first_id = v
                else:
                    s.db.observe_autoinc(table, v)
            for i, col in enumerate(table.columns):
                if row[i] is None and not col.nullable:
                    raise IntegrityError(f"Column '{col.name}' cannot be null", errno=1048,
                                         sqlstate="23000")
            handle = writer.handle_of(row)
            if table.handle == HANDLE_ROWID:
                handle = s.db.next_rowid(table, txn)
            hit = writer.find_conflict(row, handle)
            if hit is None:
                writer.insert(row, handle)
                affected += 1
                continue
            if replace:
                # REPLACE: delete every row that conflicts, then insert
                while hit is not None:
                    other = writer.current(hit[1])
                    if other is not None:
                        writer.delete(other, hit[1])
                        affected += 1
                    hit = writer.find_conflict(row, handle)
                writer.insert(row, handle)
                affected += 1
            elif updates is not None:
                old = writer.current(hit[1])
                new = list(old)
                for pos, fn in updates:  # VALUES(col) reads the row that was to be inserted
                    v = fn(new + row)
                    col = table.columns[pos]
                    new[pos] = None if v is None else coerce(v, col.type, col.name, row=n)
                    if new[pos] is None and not col.nullable:
                        raise IntegrityError(f"Column '{col.name}' cannot be null",
                                             errno=1048, sqlstate="23000")
                if new != old:
                    new_handle = writer.handle_of(new) if table.handle != HANDLE_ROWID \
                        else hit[1]
                    clash = writer.find_conflict(new, new_handle,
                                                 check_primary=new_handle != hit[1])
                    if clash is not None and clash[1] != hit[1]:
                        raise writer.duplicate_error(clash[0], new)
                    writer.update(old, new, hit[1], new_handle)
                    affected += 2  # MySQL: 2 for an updated row, 0 if unchanged
            elif ignore:
                s.warn(1062, str(writer.duplicate_error(hit[0], row).msg))
            else:
                raise writer.duplicate_error(hit[0], row)
        return affected, first_id

    def _source_rows(self, source, width: int, txn, schema):
        s = self.s
        if isinstance(source, exp.Values):
            out = []
            empty = SourceScope([])
            for n, tup in enumerate(source.expressions, start=1):
                exprs = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
                if len(exprs) != width:
                    raise _err(f"Column count doesn't match value count at row {n}", 1136,
                               "21S01")
                vals = []
                for e in exprs:
                    if isinstance(e, exp.Var) and e.name.upper() == "DEFAULT":
                        vals.append(_DEFAULT)
                    else:
                        vals.append(s.compile(e, empty)(()))
                out.append(vals)
            return out
        if isinstance(source, (exp.Select, exp.Union, exp.Subquery)):
            planned = s.planner().plan(source)
            if len(planned.names) != width:
                raise _err("Column count doesn't match value count at row 1", 1136, "21S01")
            return list(planned.op.rows(Runtime(txn._current_view())))
        raise _err("unsupported INSERT source", 1064)

    def _compile_upsert(self, conflict, table: TableInfo):
        """ON DUPLICATE KEY UPDATE assignments over (existing row + new row)."""
        s = self.s
        cols = [(None, c.name) for c in table.columns]
        scope = SourceScope(cols)
        width = len(table.columns)
        for e in conflict.find_all(exp.Anonymous):
            if e.name.upper() == "VALUES" and e.expressions:
                name = e.expressions[0].name
                p = table.column_index(name)
                if p is None:
                    raise _err(f"Unknown column '{name}' in 'field list'", 1054, "42S22")
                scope.mapping[e] = width + p
        out = []
        for a in conflict.expressions:
            col = a.this.name
            p = table.column_index(col)
            if p is None:
                raise _err(f"Unknown column '{col}' in 'field list'", 1054, "42S22")
            out.append((p, s.compile(a.expression, scope)))
        return out

    # -- UPDATE / DELETE -----------------------------------------------------------------------

    def _matching(self, node, txn, schema, table: TableInfo, alias: str):
        planner = self.s.planner()
        where = node.args.get("where")
        op, scope = planner.plan_table_rows(table, alias, where.this if where else None,
                                            node.args.get("order"), node)
        rows = list(op.rows(Runtime(txn._current_view())))
        return rows, scope

    def update(self, node: exp.Update, txn, schema) -> tuple[int, int]:
        """Returns (changed rows, matched rows)."""
        from core.sql.types import coerce

        s = self.s
        if node.args.get("from") or node.args.get("from_") or node.args.get("joins") or \
                not isinstance(node.this, exp.Table):
            from core.errors import NotSupportedError

            raise NotSupportedError("multi-table UPDATE is not supported yet")
        table = s.table_info(schema, node.this)
        alias = node.this.alias_or_name
        matched, scope = self._matching(node, txn, schema, table, alias)
        assigns = []
        for a in node.expressions:
            col = a.this
            if col.table and col.table.lower() != alias.lower():
                raise _err(f"Unknown column '{col.sql()}' in 'field list'", 1054, "42S22")
            p = table.column_index(col.name)
            if p is None:
                raise _err(f"Unknown column '{col.name}' in 'field list'", 1054, "42S22")
            assigns.append((p, s.compile(a.expression, scope)))
        writer = TableWriter(table, txn)
        changed = 0
        for n, krow in enumerate(matched, start=1):
            key, old = krow[-1], krow[:-1]
            new = list(old)
            for p, fn in assigns:
                v = fn(new + [key])
                col = table.columns[p]
                if v is not None:
                    v = coerce(v, col.type, col.name, row=n)
                elif not col.nullable:
                    raise IntegrityError(f"Column '{col.name}' cannot be null", errno=1048,
                                         sqlstate="23000")
                new[p] = v
            if new == old:
                continue
            old_handle = writer.handle_from_key(key)
            new_handle = writer.handle_of(new) if table.handle != HANDLE_ROWID else old_handle
            if table.auto_increment_column is not None:
                s.db.observe_autoinc(table, new[table.column_index(
                    table.auto_increment_column.name)])
            if new_handle != old_handle and txn.get_current(
                    table.id, row_key(table.id, new_handle)) is not None:
                raise writer.duplicate_error("PRIMARY", new)
            clash = writer.find_conflict(new, new_handle, check_primary=False)
            if clash is not None and clash[1] != old_handle:
                raise writer.duplicate_error(clash[0], new)
            writer.update(old, new, old_handle, new_handle)
            changed += 1
        return changed, len(matched)

    def delete(self, node: exp.Delete, txn, schema) -> int:
        s = self.s
        tnode = node.this
        if not isinstance(tnode, exp.Table) or node.args.get("using") or \
                node.args.get("tables"):
            from core.errors import NotSupportedError

            raise NotSupportedError("multi-table DELETE is not supported yet")
        table = s.table_info(schema, tnode)
        matched, _scope = self._matching(node, txn, schema, table, tnode.alias_or_name)
        writer = TableWriter(table, txn)
        for krow in matched:
            key, row = krow[-1], krow[:-1]
            writer.delete(row, writer.handle_from_key(key))
        return len(matched)

