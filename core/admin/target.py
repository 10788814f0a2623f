"""What every index ADMIN statement does first: find its table and index (with TiDB's and
MySQL's errors), end the session's open transaction, and report progress.

The statements run outside any user transaction: an open one is committed first, as a DDL
statement does (MySQL's implicit commit).  A check then reads one fresh snapshot; a repair
runs batches that are each their own transaction, so a cancel between two batches leaves
every finished batch committed and nothing half-done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from core.catalog.model import HANDLE_CLUSTERED, HANDLE_INT, IndexInfo, TableInfo
from core.errors import Error, NotSupportedError, OperationalError, ProgrammingError
from core.events import IndexAdminFinished, IndexAdminProgress, IndexAdminStarted
from core.sql.cancel import QueryInterrupted
from core.sql.infoschema import approx_rows

Session = Any  # core.sql.session.Session

PROGRESS_EVERY = 0.1  # seconds between two progress events of one statement
VIRTUAL_SCHEMAS = ("information_schema", "performance_schema")


@dataclass
class Target:
    """One table (and optionally one of its indexes) an ADMIN statement works on."""

    table: TableInfo
    index: IndexInfo | None
    name: str  # "db.t", for events and records

    @property
    def clustered_primary(self) -> bool:
        """The index is the clustered primary key: its entries are the rows (TiDB does not
        check it; RECOVER and CLEANUP return 0)."""
        ix = self.index
        return ix is not None and ix.primary and self.table.handle == HANDLE_CLUSTERED

    def indexes(self) -> list[IndexInfo]:
        """The indexes the statement covers: the one named, or every public secondary one."""
        if self.index is not None:
            return [] if self.clustered_primary else [self.index]
        return [ix for ix in self.table.secondary_indexes if ix.state == "public"]


def start(session: Session) -> None:
    """Commit the session's open transaction (the statement runs on its own)."""
    if session.txn is not None:
        session.commit()


def resolve(session: Session, table_node, index_node=None, *, schema=None) -> Target:
    """The table of `table_node` (an exp.Table) and the index named by `index_node` (an
    exp.Identifier or None).  Errors: 1146 for an unknown table, 1812 for a table whose
    tablespace is missing; for an index name the table does not have, 1176 (MySQL's
    ER_KEY_DOES_NOT_EXITS); for the integer primary key, which is the handle and not an
    index, TiDB's own text."""
    db = table_node.db or session.require_db()
    if db.lower() in VIRTUAL_SCHEMAS:
        raise NotSupportedError(f"{db}.{table_node.name} is computed when it is read, not "
                                "stored: the index statements work on stored tables only",
                                errno=1235, sqlstate="42000")
    if schema is None:
        with session.db.engine.snapshot() as snap:
            schema = session.db.schema(snap)
    table = schema.table(db, table_node.name)
    if table is None:
        raise ProgrammingError(f"Table '{db}.{table_node.name}' doesn't exist", errno=1146,
                               sqlstate="42S02")
    session.db.require_usable(table)
    index = None
    if index_node is not None:
        wanted = index_node.name.lower()
        index = next((ix for ix in table.indexes if ix.name.lower() == wanted), None)
        if index is not None and index.primary and table.handle == HANDLE_INT:
            index = None
        if index is None:
            if wanted == "primary" and table.handle == HANDLE_INT:
                raise Error(f"secondary index `{index_node.name}` is not found in table "
                            f"`{table.name}`", errno=1105, sqlstate="HY000")
            raise ProgrammingError(f"Key '{index_node.name}' doesn't exist in table "
                                   f"'{table.name}'", errno=1176, sqlstate="42000")
        if index.state != "public":
            raise OperationalError(f"Index '{index.name}' of table '{table.name}' is being "
                                   f"built (state '{index.state}'): wait for its DDL job",
                                   errno=1105, sqlstate="HY000")
    return Target(table, index, f"{table.schema}.{table.name}")


class Progress:
    """One statement's events: Started at once, Progress at most every PROGRESS_EVERY
    seconds (each call is also a cancellation point), Finished once, whatever happens.

        with Progress(session, "check", target) as p:
            for n, row in enumerate(rows):
                p.step("rows", n, total)
            p.done("consistent", {"ROWS": n})
    """

    def __init__(self, session: Session, operation: str, target: Target,
                 indexes: list[IndexInfo] | None = None):
        self.session = session
        self.operation = operation
        self.target = target
        self.indexes = indexes if indexes is not None else target.indexes()
        self.rows_estimate = approx_rows(session, target.table)
        self._t0 = time.monotonic()
        self._last = 0.0
        self._finished = False
        self.check = session.cancel_token.check

    def __enter__(self) -> Progress:
        self.session.emit(IndexAdminStarted(self.operation, self.target.name,
                                            tuple(ix.name for ix in self.indexes),
                                            self.rows_estimate))
        return self

    def step(self, phase: str, done: int, total: int = 0, force: bool = False) -> None:
        """Cancellation point; an event if enough time passed (or `force`)."""
        self.check()
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_EVERY:
            self._last = now
            self.session.emit(IndexAdminProgress(self.operation, self.target.name, phase,
                                                 done, total or self.rows_estimate))

    def done(self, outcome: str, counts: dict[str, int] | None = None, **extra) -> None:
        self._finished = True
        self.session.emit(IndexAdminFinished(
            self.operation, self.target.name, outcome, tuple((counts or {}).items()),
            time.monotonic() - self._t0, **extra))

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._finished:
            return
        if exc is None:
            self.done("done")
        elif isinstance(exc, QueryInterrupted):
            self.done("cancelled", error=str(exc))
        else:
            self.done("failed", error=str(exc))
