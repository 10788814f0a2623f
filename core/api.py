"""PEP 249 (DB-API 2.0): `connect()`, Connection and Cursor.

    import core
    conn = core.connect("mydb", create=True)
    cur = conn.cursor()
    cur.execute("INSERT INTO t (a, b) VALUES (%s, %s)", (1, "x"))
    conn.commit()

Every connection of one process to one directory shares a single engine (a database
directory is opened by one process at a time); the engine closes with its last connection.
As PEP 249 asks, autocommit is off by default: the first statement opens a transaction that
`commit()` or `rollback()` ends.  `connect(..., autocommit=True)` makes each statement its own
transaction, as the `mysql` client does.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from core.errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,  # noqa: A004 - the PEP 249 name
)
from core.events import null_sink
from core.sql.session import Database, Result, Session
from core.storage.engine import Engine

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections
paramstyle = "format"

_registry: dict[str, Database] = {}
_registry_lock = threading.Lock()

# PEP 249 type objects and constructors


class _DBAPIType:
    def __init__(self, *values: str):
        self.values = frozenset(values)

    def __eq__(self, other: object) -> bool:
        return other in self.values

    def __hash__(self) -> int:
        return hash(self.values)


STRING = _DBAPIType("STRING", "VAR_STRING", "VARCHAR", "CHAR", "TEXT")
BINARY = _DBAPIType("BLOB", "BINARY", "VARBINARY")
NUMBER = _DBAPIType("LONG", "LONGLONG", "DECIMAL", "NEWDECIMAL", "DOUBLE", "FLOAT", "TINY")
DATETIME = _DBAPIType("DATETIME", "DATE", "TIMESTAMP", "TIME")
ROWID = _DBAPIType("LONGLONG")
Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime
Binary = bytes


def DateFromTicks(t: float) -> _dt.date:
    return _dt.date.fromtimestamp(t)


def TimeFromTicks(t: float) -> _dt.time:
    return _dt.datetime.fromtimestamp(t).time()


def TimestampFromTicks(t: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(t)


def connect(
    path: str,
    *,
    create: bool = False,
    database: str | None = "test",
    autocommit: bool = False,
    sink=null_sink,
    **engine_options: Any,
) -> Connection:
    """Open a connection to the database in directory `path`.

    `create=True` makes a new database if the directory has none.  `database` is the schema
    selected at start (`test` exists in every new database; pass None for none).  Other
    keyword arguments go to `Engine.open` (e.g. `force_recovery`, `flush_interval`).
    """
    key = os.path.realpath(path)
    with _registry_lock:
        db = _registry.get(key)
        if db is None or db.engine.closed:
            engine = Engine.open(path, create=create, sink=sink, **engine_options)
            try:
                db = Database(engine)
            except BaseException:
                engine.close()
                raise
            _registry[key] = db
        db.connections += 1
    try:
        return Connection(db, key, database, autocommit)
    except BaseException:
        _release(key, db)
        raise


def _release(key: str, db: Database) -> None:
    with _registry_lock:
        db.connections -= 1
        if db.connections <= 0:
            _registry.pop(key, None)
            db.engine.close()


def _type_code(value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, int):
        return "LONGLONG"
    if isinstance(value, Decimal):
        return "NEWDECIMAL"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, bytes):
        return "BLOB"
    if isinstance(value, _dt.datetime):
        return "DATETIME"
    if isinstance(value, _dt.date):
        return "DATE"
    if isinstance(value, (_dt.timedelta, _dt.time)):
        return "TIME"
    return "VAR_STRING"


class Connection:
    Error = Error
    Warning = Warning
    InterfaceError = InterfaceError
    DatabaseError = DatabaseError
    DataError = DataError
    OperationalError = OperationalError
    IntegrityError = IntegrityError
    InternalError = InternalError
    ProgrammingError = ProgrammingError
    NotSupportedError = NotSupportedError

    def __init__(self, db: Database, key: str, database: str | None, autocommit: bool):
        self._db = db
        self._key = key
        self._session = Session(db, database, autocommit)
        self._closed = False

    @property
    def engine(self) -> Engine:
        return self._db.engine

    @property
    def session(self) -> Session:
        return self._session

    @property
    def autocommit(self) -> bool:
        return self._session.autocommit

    @autocommit.setter
    def autocommit(self, on: bool) -> None:
        self._check()
        if on and not self._session.autocommit:
            self._session.commit()
        self._session.autocommit = on

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("Connection is closed", errno=2006)

    def cursor(self) -> Cursor:
        self._check()
        return Cursor(self)

    def commit(self) -> None:
        self._check()
        self._session.commit()

    def rollback(self) -> None:
        self._check()
        self._session.rollback()

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._session.close()
        finally:
            self._closed = True
            _release(self._key, self._db)

    def cancel(self) -> bool:
        """Interrupt this connection's running statement from another thread: it fails with
        ERROR 1317 (70100) "Query execution was interrupted" and leaves nothing behind.
        Returns False if it had already finished (then it stands, and reports success)."""
        return self._session.cancel()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        """Shortcut: a new cursor that has executed `sql`."""
        cur = self.cursor()
        cur.execute(sql, params)
        return cur

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._closed:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
            self.close()


class Cursor:
    arraysize = 1

    def __init__(self, conn: Connection):
        self.connection = conn
        self._rows: list[list] = []
        self._pos = 0
        self._names: list[str] | None = None
        self._description: list[tuple] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._closed = False
        self.warnings: list[tuple] = []

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("Cursor is closed", errno=2006)
        self.connection._check()

    def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> Cursor:
        self._check()
        if isinstance(parameters, dict):
            raise NotSupportedError("named parameters are not supported; use %s")
        results = self.connection._session.execute(operation, parameters)
        self._set(results[-1] if results else Result(rowcount=0))
        self.warnings = list(self.connection._session.warnings)
        return self

    def executemany(self, operation: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Cursor:
        """An INSERT ... VALUES runs as one statement over all the tuples (one plan, one
        savepoint: all rows or none); other statements run once per tuple."""
        self._check()
        result = self.connection._session.executemany(operation, seq_of_parameters)
        self._set(result)
        self.warnings = list(self.connection._session.warnings)
        return self

    def _set(self, result: Result) -> None:
        self._pos = 0
        self.lastrowid = result.lastrowid
        self._names = result.names
        self._description = None
        if result.names is None:
            self._rows = []
            self.rowcount = result.rowcount
            return
        self._rows = result.rows or []
        self.rowcount = len(self._rows)

    @property
    def description(self) -> list[tuple] | None:
        """Built on first use: most callers of a point query never look at it."""
        if self._names is None:
            return None
        if self._description is None:
            rows = self._rows
            self._description = [
                (name, _type_code(next((r[i] for r in rows if r[i] is not None), None)),
                 None, None, None, None, True)
                for i, name in enumerate(self._names)]
        return self._description

    def fetchone(self) -> tuple | None:
        self._check_result()
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return tuple(row)

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        self._check_result()
        n = self.arraysize if size is None else size
        rows = self._rows[self._pos : self._pos + n]
        self._pos += len(rows)
        return [tuple(r) for r in rows]

    def fetchall(self) -> list[tuple]:
        self._check_result()
        rows = self._rows[self._pos :]
        self._pos = len(self._rows)
        return [tuple(r) for r in rows]

    def _check_result(self) -> None:
        self._check()
        if self._names is None:
            raise ProgrammingError("no result set: the last statement returned no rows",
                                   errno=2053, sqlstate="HY000")

    def __iter__(self):
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def setinputsizes(self, sizes) -> None:
        pass

    def setoutputsize(self, size, column=None) -> None:
        pass

    def close(self) -> None:
        self._closed = True
        self._rows = []

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

