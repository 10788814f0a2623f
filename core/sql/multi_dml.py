"""Multi-table UPDATE and DELETE (``UPDATE t JOIN u ON ... SET t.a = u.b``, ``DELETE t, u
FROM t JOIN u ...``, ``DELETE FROM t USING t JOIN u ...``).

The FROM part is planned as a SELECT's joins are (join order, key lookups, pushed-down
conditions), with each base table read through a keyed reader so every joined row carries
each table's row key.  All joined rows are read before anything is written, as single-table
UPDATE and DELETE do (no Halloween problem, and a row changed through one table never feeds
another table's assignments: each assignment sees the rows as they were when the statement
began, which is as defined as MySQL's "no guaranteed order").  A row matched by several
joined rows is changed once, by the first, as MySQL does.  The writes go through the same
per-row rules as single-table UPDATE (`dml.UpdateRules`: coercions, NOT NULL, unique checks,
IGNORE) and `TableWriter`, inside the statement's savepoint: a failure leaves nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlglot import exp

from core.errors import NotSupportedError, ProgrammingError
from core.sql.row_update import UpdateRules, assignment_target
from core.sql.table import KEY_COLUMN, TableWriter
from core.sql.target_reads import refuse_target_reads

if TYPE_CHECKING:
    from core.sql.host import StatementHost


def is_multi_update(node: exp.Update) -> bool:
    return bool(node.args.get("from") or node.args.get("from_") or node.args.get("joins")
                or not isinstance(node.this, exp.Table) or node.this.args.get("joins"))


def is_multi_delete(node: exp.Delete) -> bool:
    return bool(not isinstance(node.this, exp.Table) or node.args.get("using")
                or node.args.get("tables"))


def _err(msg: str, errno: int, state: str = "42000") -> ProgrammingError:
    return ProgrammingError(msg, errno=errno, sqlstate=state)


def _refuse_order_limit(node: exp.Expression, verb: str) -> None:
    for arg, word in (("order", "ORDER BY"), ("limit", "LIMIT")):
        if node.args.get(arg) is not None:
            raise _err(f"Incorrect usage of {verb} and {word}", 1221, "HY000")


def _base_tables(node: exp.Expression) -> list[exp.Table]:
    """The tables of a FROM item, parenthesised joins opened (a derived table has none)."""
    if isinstance(node, exp.Table):
        found = [node]
    elif isinstance(node, exp.Subquery) and not node.alias:
        found = _base_tables(node.this)
    else:
        return []
    for j in node.args.get("joins") or []:
        found += _base_tables(j.this)
    return found


class _Joined:
    """The joined rows of a multi-table statement and where each table's part sits in them."""

    def __init__(self, session: StatementHost, refs: exp.Expression,
                 more: list[exp.Expression], where: exp.Expression | None):
        first = refs.copy()
        joins = list(first.args.get("joins") or [])
        first.set("joins", None)
        joins += [exp.Join(this=m.copy()) for m in more]
        tables = [t for node in [first, *(j.this for j in joins)] for t in _base_tables(node)]
        planner = session.planner()
        op, self.scope = planner.plan_join_rows(
            first, joins, where, frozenset(t.alias_or_name.lower() for t in tables))
        self.tables = {t.alias_or_name.lower(): t for t in tables}
        runtime = session.ctx.runtime
        self.rows: list[list[Any]] = list(op.rows(runtime))

    def aliases(self) -> list[str]:
        return [a for a in dict.fromkeys(a for a, _n in self.scope.columns) if a]

    def part(self, alias: str, session: StatementHost, schema, what: str):
        """(TableInfo, offset of its first column) of the table written as `alias`; its row
        key sits right after its columns."""
        alias = alias.lower()
        at = [i for i, (a, _n) in enumerate(self.scope.columns) if a == alias]
        tnode = self.tables.get(alias)
        if not at or tnode is None or self.scope.columns[at[-1]][1] != KEY_COLUMN:
            raise _err(f"The target table {alias} of the {what} is not updatable", 1288,
                       "HY000")
        table = session.table_info(schema, tnode, data=True)
        return table, at[0]


def update(session: StatementHost, node: exp.Update, txn, schema) -> tuple[int, int]:
    """Returns (changed rows, matched rows) over every table the SET list writes."""
    _refuse_order_limit(node, "UPDATE")
    if node.args.get("from") or node.args.get("from_"):
        raise NotSupportedError("This version of KintsugiDB doesn't yet support "
                                "'UPDATE ... FROM'; MySQL's form is UPDATE t JOIN u ... SET")
    where = node.args.get("where")
    joined = _Joined(session, node.this, [], where.this if where else None)
    scope = joined.scope
    targets: dict[str, list] = {}  # alias -> [(position in its table, compiled value)]
    for a in node.expressions:
        col = assignment_target(a)
        hits = scope.find(col.table or None, col.name)
        if not hits:
            raise _err(f"Unknown column '{col.sql(dialect='mysql').replace('`', '')}' in "
                       "'field list'", 1054, "42S22")
        if len(hits) > 1:
            raise _err(f"Column '{col.name}' in field list is ambiguous", 1052, "23000")
        alias = scope.columns[hits[0]][0] or ""
        targets.setdefault(alias, []).append((hits[0], a.expression))
    parts = []
    seen_tables: dict[int, str] = {}
    for alias, items in targets.items():
        table, off = joined.part(alias, session, schema, "UPDATE")
        if table.id in seen_tables:
            raise NotSupportedError(
                "This version of KintsugiDB doesn't yet support updating one table through "
                f"two aliases ('{seen_tables[table.id]}' and '{alias}') in one UPDATE")
        seen_tables[table.id] = alias
        assigns = [(pos - off, session.compile(e, scope)) for pos, e in items]
        parts.append((table, off, assigns, UpdateRules(session, table,
                                                         bool(node.args.get("ignore"))),
                      TableWriter(table, txn), set()))
    refuse_target_reads(node, _base_tables(node.this), [(t.schema, t.name) for t, *_ in parts],
                        session.current_db, schema)
    check = session.cancel_token.check
    changed = matched = 0
    for n, row in enumerate(joined.rows, start=1):
        if not n & 255:
            check()
        for table, off, assigns, rules, writer, done in parts:
            width = len(table.columns)
            key = row[off + width]
            if key is None or key in done:  # NULL-padded by an outer join, or done already
                continue
            done.add(key)
            matched += 1

            def context(new, row=row, off=off, width=width):
                return row[:off] + new + row[off + width:]

            changed += rules.apply(writer, list(row[off:off + width]), key, assigns, context,
                                   len(done))
    for table, *_rest in parts:
        if table.auto_increment_column is not None and changed:
            session.db.persist_autoinc(table, txn)
    return changed, matched


def delete(session: StatementHost, node: exp.Delete, txn, schema) -> int:
    """Deletes the rows of each named table that the join matched; returns how many."""
    _refuse_order_limit(node, "DELETE")
    using = node.args.get("using")
    if using:  # DELETE FROM t1, t2 USING <table references>
        names = [node.this, *(j.this for j in node.this.args.get("joins") or [])]
        refs, more = using[0], list(using[1:])
    else:  # DELETE t1, t2 FROM <table references>
        names = list(node.args.get("tables") or [])
        refs, more = node.this, []
    where = node.args.get("where")
    joined = _Joined(session, refs, more, where.this if where else None)
    known = set(joined.aliases())
    parts = []
    for name in names:
        if not isinstance(name, exp.Table):
            raise _err("You have an error in your SQL syntax; check the manual that "
                       "corresponds to your MySQL server version for the right syntax to "
                       f"use near '{name.sql(dialect='mysql')[:40]}'", 1064)
        alias = name.name.lower()
        if alias not in known:
            raise _err(f"Unknown table '{name.name}' in MULTI DELETE", 1109, "42S02")
        table, off = joined.part(alias, session, schema, "DELETE")
        parts.append((table, off, TableWriter(table, txn)))
    own = [*_base_tables(refs), *(t for m in more for t in _base_tables(m)), *names,
           *(t for n in names for t in _base_tables(n))]
    refuse_target_reads(node, own, [(t.schema, t.name) for t, *_ in parts],
                        session.current_db, schema)
    done: set[tuple[int, bytes]] = set()  # (table id, row key): one table through 2 aliases
    check = session.cancel_token.check
    for n, row in enumerate(joined.rows, start=1):
        if not n & 255:
            check()
        for table, off, writer in parts:
            width = len(table.columns)
            key = row[off + width]
            if key is None or (table.id, key) in done:
                continue
            done.add((table.id, key))
            writer.delete(list(row[off:off + width]), writer.handle_from_key(key))
    return len(done)
