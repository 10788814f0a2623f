"""Name resolution for compiled expressions.

A `SourceScope` lists the columns of the rows an operator produces, as (table alias, column
name) pairs, and resolves column references to positions.  Two extras make it the planner's
tool and not just a list:

* `mapping`: whole sub-expressions (GROUP BY expressions, aggregate calls, select-list aliases
  in HAVING/ORDER BY) resolved to positions or compiled closures;
* `outer`: the scope of the enclosing query and a `Cell` holding the enclosing query's current
  row, so a correlated subquery compiles `outer.col` to a read of that cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError


class Cell:
    """The current row of an enclosing query, as seen by a correlated subquery."""

    __slots__ = ("row", "used")

    def __init__(self) -> None:
        self.row: Any = None
        self.used = False


class SourceScope:
    def __init__(
        self,
        columns: list[tuple[str | None, str]],
        *,
        outer: tuple[SourceScope, Cell] | None = None,
        mapping: dict | None = None,
        clause: str = "field list",
    ):
        self.columns = [(a.lower() if a else None, n.lower()) for a, n in columns]
        self.names = [n for _a, n in columns]
        self.outer = outer
        self.mapping: dict[exp.Expression, int | Callable] = mapping or {}
        self.clause = clause
        self.aliases: dict[str, Callable] = {}  # select aliases usable in HAVING / ORDER BY
        # HAVING: a name that is both a select alias and a column not in GROUP BY is the
        # alias (MySQL: GROUP BY columns first, then aliases, then other columns)
        self.alias_first = False
        # column types (SqlType) by position, where the planner knows them (base tables):
        # IF, CASE and COALESCE unify their branches' types with them (`column_type`)
        self.kinds: dict[int, Any] = {}
        # JOIN ... USING / NATURAL JOIN (core.sql.plan.using): the positions an unqualified
        # name does not see (the side of a merged column that does not stand for it), and
        # the positions ``SELECT *`` lists, in its order (None: every column, as they are)
        self.hidden: frozenset[int] = frozenset()
        self.star: list[int] | None = None
        # (database, table) of base-table columns by position: ERROR 1690 names `db`.`t`.`c`
        self.qualifiers: dict[int, tuple[str, str]] = {}

    def column_type(self, table: str | None, name: str) -> Any:
        """The SqlType of a column of this scope (``DATETIME``, ``DECIMAL(10,2)``), if
        known."""
        if not self.kinds:
            return None
        hits = self.find(table, name)
        return self.kinds.get(hits[0]) if len(hits) == 1 else None

    def width(self) -> int:
        return len(self.columns)

    def find(self, table: str | None, name: str) -> list[int]:
        name = name.lower()
        t = table.lower() if table else None
        return [i for i, (a, n) in enumerate(self.columns)
                if n == name and (a == t if t is not None else i not in self.hidden)]

    def resolves(self, node: exp.Expression) -> bool:
        """Does this column reference resolve here (not in an outer query)?"""
        return isinstance(node, exp.Column) and bool(self.find(node.table or None, node.name))

    # -- the Scope protocol of core.sql.expr ------------------------------------------------------

    def resolve_column(self, table: str | None, name: str) -> int:
        hits = self.find(table, name)
        if len(hits) == 1:
            return hits[0]
        full = f"{table}.{name}" if table else name
        if hits:
            raise ProgrammingError(f"Column '{full}' in {self.clause} is ambiguous",
                                   errno=1052, sqlstate="23000")
        raise ProgrammingError(f"Unknown column '{full}' in '{self.clause}'",
                               errno=1054, sqlstate="42S22")

    def lookup_expr(self, node: exp.Expression) -> int | Callable | None:
        hit = self.mapping.get(node)
        if hit is not None:
            return hit
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            table = node.table or None
            if self.alias_first and table is None and node.name.lower() in self.aliases:
                return self.aliases[node.name.lower()]
            if self.find(table, node.name):
                return None
            if table is None and node.name.lower() in self.aliases:
                return self.aliases[node.name.lower()]
            if self.outer is not None:
                outer_scope, cell = self.outer
                inner = outer_scope.lookup_expr(node)
                if inner is None:
                    pos = outer_scope.resolve_column(table, node.name)
                    cell.used = True
                    return lambda row, cell=cell, pos=pos: cell.row[pos]
                if isinstance(inner, int):
                    cell.used = True
                    return lambda row, cell=cell, pos=inner: cell.row[pos]
                cell.used = True
                return lambda row, cell=cell, f=inner: f(cell.row)
        return None


def inside_subquery(node: exp.Expression, root: exp.Expression) -> bool:
    """Is `node` inside a subquery of `root` (its own query's scope does not decide it)?"""
    p = node.parent if node is not root else None
    while p is not None and p is not root:
        if isinstance(p, (exp.Select, exp.Subquery)):
            return True
        p = p.parent
    return False
