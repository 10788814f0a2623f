"""What a statement runner needs from the session that runs it, and nothing more.

The runners (DDL, DML, INSERT plans, SHOW, information_schema) are called by
`core.sql.session.Session` and call back into it for the current database, the evaluation
context, warnings, planning and the shared `Database`.  Typing them against the session
class itself would make every runner import the module that imports them; these protocols
describe the same surface structurally, so `Session` and `Database` satisfy them without
naming them, and the imports run one way: session -> runners -> host.

Read-only members are properties so that a host may hold a more specific type (the session's
`db` is a `Database`).  `statement_schema` and `cancel_token` are the session's per-statement
state, which SHOW, information_schema and INSERT share with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlglot import exp

    from core.catalog.model import TableInfo
    from core.catalog.store import CatalogStore, Schema
    from core.check.flags import FlagRegistry
    from core.sql.cancel import CancelToken
    from core.sql.expr import EvalContext
    from core.sql.plan.scope import SourceScope
    from core.sql.plan.select import Planned, SelectPlanner
    from core.storage.engine import Engine
    from core.txn.transaction import Transaction

__all__ = ["DatabaseHost", "InsertRunner", "StatementHost"]


class DatabaseHost(Protocol):
    """The process-wide state shared by every session of one database directory."""

    @property
    def engine(self) -> Engine: ...

    @property
    def catalog(self) -> CatalogStore: ...

    def commit_schema_change(self, txn) -> int | None:
        """Bump the schema version in `txn` and commit it (the cached dictionary retired
        around the commit); returns the commit LSN."""

    def ddl_committing(self) -> None:
        """A DDL is about to commit: stop serving the cached dictionary."""

    def ddl_done(self, commit_lsn: int | None) -> None:
        """The DDL committed at `commit_lsn` (None: it did not)."""

    @property
    def flags(self) -> FlagRegistry:
        """The corruption flags of this database (see `core.check.flags`)."""

    def missing_spaces(self) -> dict: ...

    def require_usable(self, table: TableInfo, write: bool = False) -> None:
        """Refuse a statement on a table that is missing (1812) or flagged (1877/1712)."""

    def next_autoinc(self, table: TableInfo, txn: Transaction) -> int: ...

    def observe_autoinc(self, table: TableInfo, value: Any, txn: Transaction) -> None: ...

    def persist_autoinc(self, table: TableInfo, txn: Transaction) -> None: ...

    def set_autoinc(self, table: TableInfo, value: int, txn: Transaction) -> None: ...

    def peek_autoinc(self, table: TableInfo, view: Any) -> int: ...

    def next_rowid(self, table: TableInfo, txn: Transaction) -> int: ...

    def forget_autoinc(self, table_id: int) -> None: ...


class InsertRunner(Protocol):
    """A compiled INSERT/REPLACE, as `StatementHost.insert_plan` caches it."""

    def run(self, session: StatementHost, txn: Transaction,
            params_list: list | None = None) -> tuple[int, int]: ...


class StatementHost(Protocol):
    """The session as the runners see it."""

    current_db: str | None  # DROP DATABASE of the current one clears it
    statement_schema: Schema | None  # the dictionary the running statement reads

    @property
    def db(self) -> DatabaseHost: ...

    @property
    def txn(self) -> Transaction | None: ...

    @property
    def ctx(self) -> EvalContext: ...

    @property
    def last_warnings(self) -> list[tuple[str, int, str]]: ...

    @property
    def cancel_token(self) -> CancelToken: ...

    def require_db(self) -> str: ...

    def warn(self, code: int, message: str, level: str = "Warning") -> None: ...

    def table_info(self, schema: Schema, tnode: exp.Table, data: bool = False
                   ) -> TableInfo: ...

    def compile(self, node: exp.Expression, scope: SourceScope) -> Callable[..., Any]: ...

    def constant(self, node: exp.Expression) -> Any: ...

    def planner(self) -> SelectPlanner: ...

    def insert_plan(self, node: exp.Insert, schema: Schema, replace: bool) -> InsertRunner: ...

    def explain(self, node: exp.Expression, text: str) -> Planned: ...

    def implicit_commit(self) -> None: ...
