"""INSERT and REPLACE, compiled once per statement text and schema version.

A bulk load runs the same INSERT hundreds of thousands of times (executemany, or one long
multi-row VALUES list), so everything that does not depend on the row is done when the plan is
built: the column mapping, defaults, per-column coercers, NOT NULL checks, the value getters
(a literal is evaluated once, a `%s` parameter is one list index), the table writer.  Running
a row is then a handful of list operations, the coercions, the uniqueness probes and the puts.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from core.catalog.model import HANDLE_ROWID, TableInfo
from core.errors import IntegrityError, ProgrammingError
from core.sql import sqlmode
from core.sql.cancel import CancellableView
from core.sql.expr.json import json_column
from core.sql.plan.ops import Runtime
from core.sql.plan.scope import SourceScope
from core.sql.table import TableWriter
from core.sql.types.json import qualified_json_coercer

if TYPE_CHECKING:
    from core.sql.host import StatementHost

DEFAULT = object()
_AUTO = object()


def _err(msg, errno, state="42000"):
    return ProgrammingError(msg, errno=errno, sqlstate=state)


class InsertPlan:
    def __init__(self, session: StatementHost, node: exp.Insert, schema, replace: bool):
        from core.sql.expr import constant_value
        from core.sql.types import make_coercer

        s = session
        target = node.this
        tnode = target.this if isinstance(target, exp.Schema) else target
        table: TableInfo = s.table_info(schema, tnode)
        self.table = table
        if isinstance(target, exp.Schema) and target.expressions:
            names = [e.name for e in target.expressions]
        else:
            names = [c.name for c in table.columns]
        positions: list[int] = []
        for n in names:
            p = table.column_index(n)
            if p is None:
                raise _err(f"Unknown column '{n}' in 'field list'", 1054, "42S22")
            if p in positions:
                raise _err(f"Column '{n}' specified twice", 1110)
            positions.append(p)
        self.positions = positions
        # columns checked in the statement's order, then the ones it leaves out: MySQL's
        # order, so the first error (or IGNORE's warnings) names the same column
        self.order = positions + [i for i in range(len(table.columns)) if i not in positions]
        self.replace = replace
        self.ignore = bool(node.args.get("ignore"))
        cols = table.columns
        self.coercers = [make_coercer(c.type) for c in cols]
        for i, c in enumerate(cols):  # 3140 names a JSON column 'table.column'
            if c.type.kind == "JSON":
                self.coercers[i] = qualified_json_coercer(table.name)
        self.names = [c.name for c in cols]
        self.nullable = [c.nullable for c in cols]
        auto = table.auto_increment_column
        self.auto_pos = table.column_index(auto.name) if auto else None
        # what a column not given (or given DEFAULT) gets
        self.defaults: list[Any] = []
        for c in cols:
            if c.auto_increment:
                self.defaults.append(None)
            elif c.default_now:
                self.defaults.append(_NOW)
            elif c.has_default:
                self.defaults.append(c.default)
            elif c.nullable:
                self.defaults.append(None)
            else:
                self.defaults.append(_MISSING)
        self.writer = TableWriter(table, None)
        # the rows: VALUES lists compiled to getters, or a query planned once
        source = node.expression
        if node.args.get("with_") is not None:  # MySQL: INSERT ... WITH ... SELECT only
            raise _err("You have an error in your SQL syntax; check the manual that corresponds "
                       "to your MySQL server version for the right syntax to use near 'INSERT'"
                       " at line 1", 1064)
        self.select = None
        self.value_rows: list[list] = []
        if isinstance(source, exp.Values):
            empty = SourceScope([])
            for n, tup in enumerate(source.expressions, start=1):
                exprs = tup.expressions if isinstance(tup, exp.Tuple) else [tup]
                if len(exprs) != len(names):
                    raise _err(f"Column count doesn't match value count at row {n}", 1136,
                               "21S01")
                getters = []
                for e in exprs:
                    if isinstance(e, exp.Var) and e.name.upper() == "DEFAULT":
                        getters.append((DEFAULT, None))
                    elif isinstance(e, exp.Placeholder) and "param_index" in e.meta:
                        getters.append((_PARAM, e.meta["param_index"]))
                    else:
                        f = s.compile(e, empty)
                        const = constant_value(f, _MISSING)
                        if const is not _MISSING and not _volatile(e):
                            getters.append((_CONST, const))
                        else:
                            getters.append((_EXPR, f))
                self.value_rows.append(getters)
        elif isinstance(source, (exp.Select, exp.SetOperation, exp.Subquery)):
            self.select = s.planner().plan(source)
            if len(self.select.names) != len(names):
                raise _err("Column count doesn't match value count at row 1", 1136, "21S01")
        else:
            raise _err("unsupported INSERT source", 1064)
        self.plain_params = len(self.value_rows) == 1 and all(
            kind is _PARAM and idx == i for i, (kind, idx) in enumerate(self.value_rows[0]))
        conflict = node.args.get("conflict")
        self.updates = _compile_upsert(s, conflict, table) if conflict is not None else None

    # -- running ---------------------------------------------------------------------------------

    def _rows(self, session: StatementHost, txn, params_list):
        if self.select is not None:
            for params in params_list or [None]:
                if params is not None:
                    session.ctx.params = params
                token = session.cancel_token
                view = CancellableView(txn.current_view(), token)
                yield from self.select.op.rows(Runtime(view, check=token.check))
            return
        ctx = session.ctx
        if self.plain_params:  # VALUES (%s, %s, ...): the parameters are the values
            yield from (params_list or [ctx.params])
            return
        for params in params_list or [ctx.params]:
            if params_list:
                ctx.params = params  # for placeholders inside expressions
                ctx.run_token = object()  # and a subquery per parameter tuple
            for getters in self.value_rows:
                yield [v if kind is _CONST else params[v] if kind is _PARAM else
                       DEFAULT if kind is DEFAULT else v(()) for kind, v in getters]

    def run(self, session: StatementHost, txn, params_list: list | None = None
            ) -> tuple[int, int]:
        table, writer = self.table, self.writer
        db = session.db
        db.require_usable(table, write=True)
        writer.bind(txn)
        positions, defaults, coercers = self.positions, self.defaults, self.coercers
        names, nullable, auto_pos = self.names, self.nullable, self.auto_pos
        rowid = table.handle == HANDLE_ROWID
        affected = 0
        first_id = 0
        n = 0
        order = self.order
        token = session.cancel_token
        ignore = self.ignore
        keep_zero = "NO_AUTO_VALUE_ON_ZERO" in sqlmode.modes(session.ctx)  # a dump's rows
        # IGNORE, or no strict sql_mode: data errors become warnings and MySQL's adjusted
        # values (a missing default too); NULL into NOT NULL stays an error for a non-strict
        # single-row INSERT, as in MySQL; duplicates are skipped by IGNORE only
        adjust = ignore or not sqlmode.strict(session.ctx)
        null_adjust = ignore or (adjust and (self.select is not None or len(
            self.value_rows) > 1 or len(params_list or ()) > 1))
        if adjust:
            from core.sql.types.coercion import lenient_columns

            warn = sqlmode.write_warner(session.ctx)  # max_error_count, as MySQL
            coercers, implicit = lenient_columns([c.type for c in table.columns], warn)
        for values in self._rows(session, txn, params_list):
            n += 1
            if not n & 255:
                token.check()
            row = list(defaults)
            for p, v in zip(positions, values, strict=True):
                if v is not DEFAULT:
                    row[p] = v
            explicit_auto = False
            if auto_pos is not None:
                v = row[auto_pos]
                if v is None or (v == 0 and not keep_zero):
                    v = row[auto_pos] = db.next_autoinc(table, txn)
                    if not first_id:
                        first_id = v
                else:
                    explicit_auto = True
            for i in order:
                v = row[i]
                if v is None:
                    if not nullable[i]:
                        if null_adjust and implicit[i] is not None:
                            warn(1048, f"Column '{names[i]}' cannot be null")
                            row[i] = implicit[i]
                            continue
                        raise IntegrityError(f"Column '{names[i]}' cannot be null",
                                             errno=1048, sqlstate="23000")
                    continue
                if v is _MISSING:
                    if adjust and implicit[i] is not None:
                        warn(1364, f"Field '{names[i]}' doesn't have a default value")
                        row[i] = implicit[i]
                        continue
                    raise IntegrityError(f"Field '{names[i]}' doesn't have a default value",
                                         errno=1364, sqlstate="HY000")
                if v is _NOW:
                    v = session.ctx.now
                row[i] = coercers[i](v, names[i], n)
            if explicit_auto:
                db.observe_autoinc(table, row[auto_pos], txn)
            handle = db.next_rowid(table, txn) if rowid else writer.handle_of(row)
            hit = writer.find_conflict(row, handle)
            if hit is None:
                writer.insert(row, handle)
                affected += 1
            elif self.replace:
                while hit is not None:  # REPLACE: delete every conflicting row, then insert
                    other = writer.current(hit[1])
                    if other is not None:
                        writer.delete(other, hit[1])
                        affected += 1
                    hit = writer.find_conflict(row, handle)
                writer.insert(row, handle)
                affected += 1
            elif self.updates is not None:
                affected += self._upsert(writer, row, hit, n, rowid, db,
                                         (coercers, implicit, warn) if adjust else None)
            elif self.ignore:
                session.warn(1062, writer.duplicate_error(hit[0], row).msg)
            else:
                raise writer.duplicate_error(hit[0], row)
        if auto_pos is not None:
            db.persist_autoinc(table, txn)
        return affected, first_id

    def _upsert(self, writer, row, hit, n, rowid, db, lenient=None) -> int:
        """ON DUPLICATE KEY UPDATE: 2 affected rows for a changed row, 0 if unchanged.  An
        update that sets the auto-increment column raises the counter above the new value,
        as an UPDATE does (MySQL 8); `run` persists it at the end of the statement.
        `lenient` (IGNORE, or no strict sql_mode): (coercers, implicit defaults, warn), so
        the update part adjusts its data errors as an UPDATE would."""
        old = writer.current(hit[1])
        new = list(old)
        coercers = lenient[0] if lenient else self.coercers
        for pos, fn in self.updates:  # VALUES(col) reads the row that was to be inserted
            v = fn(new + row)
            if v is not None:
                v = coercers[pos](v, self.names[pos], n)
            elif not self.nullable[pos] and lenient and lenient[1][pos] is not None:
                lenient[2](1048, f"Column '{self.names[pos]}' cannot be null")
                v = lenient[1][pos]
            elif not self.nullable[pos]:
                raise IntegrityError(f"Column '{self.names[pos]}' cannot be null", errno=1048,
                                     sqlstate="23000")
            new[pos] = v
        if new == old:
            return 0
        new_handle = hit[1] if rowid else writer.handle_of(new)
        clash = writer.find_conflict(new, new_handle, check_primary=new_handle != hit[1])
        if clash is not None and clash[1] != hit[1]:
            raise writer.duplicate_error(clash[0], new)
        if self.auto_pos is not None:
            db.observe_autoinc(self.table, new[self.auto_pos], writer.txn)
        writer.update(old, new, hit[1], new_handle)
        return 2


_MISSING = object()
_NOW = object()
_PARAM = object()
_CONST = object()
_EXPR = object()


def _volatile(node: exp.Expression) -> bool:
    """Expressions whose value changes between executions (NOW(), RAND(), LAST_INSERT_ID())
    are evaluated per row even when they look constant."""
    for n in node.walk():
        if isinstance(n, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Rand)):
            return True
        if isinstance(n, exp.Anonymous):
            return True
    return False


def _compile_upsert(s: StatementHost, conflict, table: TableInfo):
    """ON DUPLICATE KEY UPDATE assignments over (existing row + new row)."""
    cols = [(table.name, c.name) for c in table.columns]
    scope = SourceScope(cols)
    # u = u - 10: UNSIGNED; JSON columns read as JSON
    scope.kinds = {i: c.type for i, c in enumerate(table.columns)}
    scope.qualifiers = dict.fromkeys(range(len(cols)), (table.schema, table.name))
    width = len(table.columns)
    for e in conflict.find_all(exp.Anonymous):
        if e.name.upper() == "VALUES" and e.expressions:
            name = e.expressions[0].name
            p = table.column_index(name)
            if p is None:
                raise _err(f"Unknown column '{name}' in 'field list'", 1054, "42S22")
            scope.mapping[e] = width + p
            if table.columns[p].type.kind == "JSON":
                scope.mapping[e] = json_column(operator.itemgetter(width + p))
    out = []
    from core.sql.row_update import assignment_target

    for a in conflict.expressions:
        col = assignment_target(a).name
        p = table.column_index(col)
        if p is None:
            raise _err(f"Unknown column '{col}' in 'field list'", 1054, "42S22")
        out.append((p, s.compile(a.expression, scope)))
    return out
