"""MySQL 8's ERROR 3065: with SELECT DISTINCT, ORDER BY may use only what the select list
shows.  ``SELECT DISTINCT a FROM t ORDER BY b`` keeps one row per `a` while each may have
many `b`s, so the order would be any of them; MySQL refuses it in every sql_mode rather than
sort by an arbitrary row's value, and so does KintsugiDB.  An ORDER BY expression passes when
every column it reads (outside subqueries and aggregates) is a column of the select list.
"""

from __future__ import annotations

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql.plan.scope import SourceScope, inside_subquery


def check(select_exprs: list[exp.Expression], targets: list[tuple[int, exp.Expression]],
          scope: SourceScope, aggregates: tuple) -> None:
    """Raise 3065 for the first ORDER BY expression (1-based position, node) that reads a
    column the select list does not show."""
    shown: set[int] = set()
    for e in select_exprs:
        inner = e.unalias() if isinstance(e, exp.Alias) else e
        if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
            shown.update(scope.find(inner.table or None, inner.name))
    for n, target in targets:
        for col in target.find_all(exp.Column):
            if isinstance(col.this, exp.Star) or inside_subquery(col, target) or \
                    col.find_ancestor(*aggregates) is not None:
                continue
            hits = scope.find(col.table or None, col.name)
            if len(hits) != 1 or hits[0] in shown:
                continue  # an outer reference or an alias: not this check's business
            db, table = scope.qualifiers.get(hits[0], ("", scope.columns[hits[0]][0] or ""))
            name = ".".join(p for p in (db, table, scope.names[hits[0]]) if p)
            raise ProgrammingError(
                f"Expression #{n} of ORDER BY clause is not in SELECT list, references column "
                f"'{name}' which is not in SELECT list; this is incompatible with DISTINCT",
                errno=3065, sqlstate="HY000")
