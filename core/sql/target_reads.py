"""MySQL's 1093: an UPDATE or DELETE may not read the table it changes in a subquery.

``UPDATE t SET a = (SELECT MAX(a) FROM t)`` and ``DELETE FROM t WHERE a > (SELECT MIN(a)
FROM t)`` are refused by MySQL ("You can't specify target table 't' for update in FROM
clause") rather than given an order-dependent answer: here the SET list is evaluated row by
row while rows change, so such a subquery would see some of the statement's own writes.  A
derived table (``(SELECT ... FROM t) AS d``) is materialized first, so it may read the
target, as MySQL allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError


def refuse_target_reads(node: exp.Expression, own: Iterable[exp.Table],
                        targets: Iterable[tuple[str, str]], current_db: str | None,
                        schema: Any = None) -> None:
    """Raise 1093 when a subquery of `node` names one of `targets` ((db, table) pairs), and
    1443 when it reads a view whose definition reads one.  `own` are the statement's own
    table references (not subqueries)."""
    wanted = {(d.lower(), t.lower()) for d, t in targets}
    mine = {id(t) for t in own}
    verb = "DELETE" if isinstance(node, exp.Delete) else "UPDATE"
    for t in node.find_all(exp.Table):
        if id(t) in mine or not t.name or _materialized(t, node):
            continue
        key = ((t.db or current_db or "").lower(), t.name.lower())
        if key in wanted:
            raise ProgrammingError(f"You can't specify target table '{t.name}' for update "
                                   "in FROM clause", errno=1093, sqlstate="HY000")
        hit = _view_reads(schema, key, wanted, 0) if schema is not None else None
        if hit is not None:
            raise ProgrammingError(f"The definition of table '{t.name}' prevents operation "
                                   f"{verb} on table '{hit}'.", errno=1443, sqlstate="HY000")


def _view_reads(schema: Any, key: tuple[str, str], wanted: set, depth: int) -> str | None:
    """The target table a view (`key`) reads, through views under it, if any."""
    from core.sql import views

    v = schema.view(*key)
    if v is None or depth > 32:
        return None
    for t in views.parsed(v).find_all(exp.Table):
        inner = ((t.db or v.schema).lower(), t.name.lower())
        if inner in wanted:
            return t.name
        hit = _view_reads(schema, inner, wanted, depth + 1)
        if hit is not None:
            return hit
    return None


def _materialized(t: exp.Table, root: exp.Expression) -> bool:
    """Is `t` read inside a derived table (a FROM item that is a subquery)?"""
    p = t.parent
    while p is not None and p is not root:
        if isinstance(p, exp.Subquery) and isinstance(p.parent, (exp.From, exp.Join)):
            return True
        p = p.parent
    return False
