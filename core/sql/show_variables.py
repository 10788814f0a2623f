"""SHOW [GLOBAL | SESSION] VARIABLES [LIKE 'pattern' | WHERE expr], as mysqld lists them.

The values are the session's `@@name` (SESSION, the default) or the values a new session
would start with (GLOBAL: the SET GLOBAL ones, and the GLOBAL-only variables kept in
system.kdb, e.g. `tidb_gc_life_time` as TiDB shows it, "10m0s").  Every value is text, a
boolean variable ON or OFF, NULL as the empty string, as mysqld's result set has them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from core.sql import sysvars
from core.sql.result import Result

if TYPE_CHECKING:
    from core.sql.host import StatementHost

COLUMNS = ["Variable_name", "Value"]
_BOOLEAN = sysvars.BOOLEAN | {"autocommit"}


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in _BOOLEAN and isinstance(value, int):
        return "ON" if value else "OFF"
    return str(value)


def run(session: StatementHost, node: exp.Show, match: Callable[[str], bool]) -> Result:
    db = session.db
    if node.args.get("global_"):  # what a new session starts with
        from core.sql.expr import EvalContext

        values = dict(EvalContext().system_variables)
        values.update(sysvars.DEFAULTS)
        values.update(db.global_limits)
    else:
        values = dict(session.ctx.system_variables)
    values.update(getattr(db, "global_vars", {}))
    rows = [[name, _text(name, values[name])] for name in sorted(values) if match(name)]
    where = node.args.get("where")
    if where is not None:
        from core.sql.expr import compile_predicate
        from core.sql.plan.scope import SourceScope

        scope = SourceScope([(None, c) for c in COLUMNS], clause="where clause")
        pred = compile_predicate(where.this, scope, session.ctx)
        rows = [r for r in rows if pred(r)]
    return Result(names=list(COLUMNS), rows=rows, rowcount=len(rows))
