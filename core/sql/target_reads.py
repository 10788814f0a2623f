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

from sqlglot import exp

from core.errors import ProgrammingError


def refuse_target_reads(node: exp.Expression, own: Iterable[exp.Table],
                        targets: Iterable[tuple[str, str]], current_db: str | None) -> None:
    """Raise 1093 when a subquery of `node` names one of `targets` ((db, table) pairs).
    `own` are the statement's own table references (not subqueries)."""
    wanted = {(d.lower(), t.lower()) for d, t in targets}
    mine = {id(t) for t in own}
    for t in node.find_all(exp.Table):
        if id(t) in mine or not t.name:
            continue
        key = ((t.db or current_db or "").lower(), t.name.lower())
        if key not in wanted or _materialized(t, node):
            continue
        raise ProgrammingError(f"You can't specify target table '{t.name}' for update in "
                               "FROM clause", errno=1093, sqlstate="HY000")


def _materialized(t: exp.Table, root: exp.Expression) -> bool:
    """Is `t` read inside a derived table (a FROM item that is a subquery)?"""
    p = t.parent
    while p is not None and p is not root:
        if isinstance(p, exp.Subquery) and isinstance(p.parent, (exp.From, exp.Join)):
            return True
        p = p.parent
    return False
