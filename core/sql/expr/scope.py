"""What the expression compiler asks its caller: `Scope` (names to row positions, sub-expressions
the planner has already computed) and `EvalContext` (the per-statement state the compiled
closures read at evaluation time: parameters, NOW(), the current database, variables,
warnings), with the errors of an unknown or ambiguous column.

The planner (`core.sql.plan`) and the session (`core.sql.session`) subclass or build these;
every other module of this package reads them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlglot import exp

from core.errors import DataError, ProgrammingError
from core.sql import functions as F
from core.sql import sqlmode

Row = Sequence[Any]
RowFn = Callable[[Row], Any]


class BadFieldError(ProgrammingError):
    """ERROR 1054 (42S22) Unknown column 'x' in 'field list'."""

    errno = 1054
    sqlstate = "42S22"


class AmbiguousColumnError(ProgrammingError):
    """ERROR 1052 (23000) Column 'x' in field list is ambiguous."""

    errno = 1052
    sqlstate = "23000"


def _err_subquery_rows() -> DataError:
    return DataError("Subquery returns more than 1 row", errno=1242, sqlstate="21000")


def _err_operand(n: int) -> DataError:
    return DataError(f"Operand should contain {n} column(s)", errno=1241, sqlstate="21000")


# --- scope and context ---------------------------------------------------------------------------


class Scope:
    """What the compiler asks about names.  Subclass it (or duck-type it)."""

    def resolve_column(self, table: str | None, name: str) -> int:
        """The row position of column `name` (optionally qualified by `table`).  Raise
        BadFieldError (1054) if unknown, AmbiguousColumnError (1052) if ambiguous."""
        raise BadFieldError(f"Unknown column '{name}' in 'field list'")

    def lookup_expr(self, node: exp.Expression) -> int | RowFn | None:
        """A position or closure for a whole sub-expression the planner has already
        computed (aggregates, GROUP BY expressions), or None.  Called first for every node."""
        return None


class RowScope(Scope):
    """A flat list of ``(table alias or None, column name)``: names are case-insensitive, an
    unqualified name matching two columns is ambiguous.  `exprs` maps sub-expressions
    (compared structurally, as sqlglot nodes are) to positions; `clause` names the clause in
    error messages (``'where clause'``, ``'order clause'``, ...)."""

    def __init__(self, columns: Iterable[tuple[str | None, str]], *,
                 exprs: dict[exp.Expression, int] | None = None, clause: str = "field list"):
        self.columns = [(t.lower() if t else None, n.lower()) for t, n in columns]
        self.exprs = exprs or {}
        self.clause = clause
        self._by_name: dict[str, list[int]] = {}
        for i, (_t, n) in enumerate(self.columns):
            self._by_name.setdefault(n, []).append(i)

    def resolve_column(self, table: str | None, name: str) -> int:
        hits = self._by_name.get(name.lower(), [])
        if table:
            t = table.lower()
            hits = [i for i in hits if self.columns[i][0] == t]
        full = f"{table}.{name}" if table else name
        if not hits:
            raise BadFieldError(f"Unknown column '{full}' in '{self.clause}'")
        if len(hits) > 1:
            raise AmbiguousColumnError(f"Column '{full}' in {self.clause} is ambiguous")
        return hits[0]

    def lookup_expr(self, node: exp.Expression) -> int | None:
        if not self.exprs:
            return None
        return self.exprs.get(node)


_DEFAULT_SYSVARS: dict[str, Any] = {
    "version": F.VERSION, "version_comment": "KintsugiDB", "autocommit": 1,
    "sql_mode": sqlmode.DEFAULT,
    "transaction_isolation": "REPEATABLE-READ", "tx_isolation": "REPEATABLE-READ",
    "character_set_client": "utf8mb4", "character_set_connection": "utf8mb4",
    "character_set_results": "utf8mb4", "character_set_server": "utf8mb4",
    "collation_connection": "utf8mb4_bin", "collation_server": "utf8mb4_bin",
    "time_zone": "SYSTEM", "system_time_zone": "UTC", "lower_case_table_names": 2,
    "max_allowed_packet": 67108864, "max_execution_time": 0,
    "tidb_mem_quota_query": 1 << 30, "auto_increment_increment": 1,
    "cte_max_recursion_depth": 1000, "tidb_ddl_reorg_batch_size": 256,
    "kintsugi_ddl_reorg_delay_ms": 0,
    "auto_increment_offset": 1, "div_precision_increment": 4, "group_concat_max_len": 1024,
    "max_error_count": 1024, "sql_select_limit": 18446744073709551615, "wait_timeout": 28800,
    "interactive_timeout": 28800, "net_write_timeout": 60, "license": "Apache-2.0",
    "have_ssl": "DISABLED", "tidb_version": F.VERSION, "innodb_lock_wait_timeout": 50,
    "performance_schema": 0, "query_cache_size": 0, "query_cache_type": "OFF",
    "init_connect": "", "storage_engine": "InnoDB", "default_storage_engine": "InnoDB",
}


# the SQLSTATE of a warning a strict write raises as an error
_STRICT_STATES = {1365: "22012", 1411: "HY000", 1292: "22007"}


class EvalContext:
    """Per-statement state the compiled closures read at evaluation time.

    The session updates `params`, `now`, `current_db`, `last_insert_id` before each
    statement; closures read them on every evaluation, so a cached compiled plan stays
    correct.  Any other attribute may be set freely (the planner keeps its own there).
    """

    def __init__(self, params: Sequence[Any] | None = None, now: datetime | None = None,
                 current_db: str | None = None,
                 compile_subquery: Callable[[exp.Expression, Any],
                                            Callable[[Row], Iterable[Row]]] | None = None,
                 **extra: Any):
        self.params: Sequence[Any] = params if params is not None else ()
        self.now: datetime = now if now is not None else datetime.now().replace(microsecond=0)
        self.current_db = current_db
        self.compile_subquery = compile_subquery
        self.last_insert_id = 0
        self.connection_id = 1
        self.version = F.VERSION
        self.user = "root@localhost"
        self.time_zone: tzinfo | None = None  # None: the system's local time
        self.rng = random.Random()
        self.warnings: list[tuple[str, int, str]] = []
        self.max_warnings = 1024
        self.user_variables: dict[str, Any] = {}
        self.system_variables: dict[str, Any] = dict(_DEFAULT_SYSVARS)
        self.param_counter = 0  # placeholders without meta["param_index"], in compile order
        # Warnings that are errors in the running statement: MySQL's strict mode with
        # ERROR_FOR_DIVISION_BY_ZERO (its default sql_mode) makes a division by zero in an
        # INSERT or UPDATE fail instead of storing NULL.  The session sets it per statement.
        self.errors_for: frozenset[int] = frozenset()
        for k, v in extra.items():
            setattr(self, k, v)

    def warn(self, code: int, message: str, level: str = "Warning") -> None:
        """Record a warning (SHOW WARNINGS); the session should reset `warnings` per
        statement.  A code in `errors_for` raises instead (SQLSTATE 22012 for 1365)."""
        if code == 1365 and not sqlmode.division_by_zero_warns(self):
            return  # no ERROR_FOR_DIVISION_BY_ZERO: NULL, without a word
        if code in self.errors_for:
            raise DataError(message, errno=code, sqlstate=_STRICT_STATES.get(code, "22000"))
        if len(self.warnings) < self.max_warnings:
            self.warnings.append((level, code, message))
