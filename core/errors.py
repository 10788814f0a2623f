"""One exception hierarchy for the whole engine.

Every error carries the MySQL/TiDB error number and SQLSTATE a MySQL client expects, and is
also an instance of the matching PEP 249 class, so `except core.IntegrityError` and
`err.errno == 1062` both work.  Messages follow MySQL's wording where one exists.
"""

from __future__ import annotations


class Warning(Exception):  # noqa: A001 - PEP 249 requires this name
    """PEP 249 Warning."""


class Error(Exception):
    """Base of every KintsugiDB error (PEP 249 `Error`)."""

    errno: int = 1105  # ER_UNKNOWN_ERROR
    sqlstate: str = "HY000"

    def __init__(self, message: str, *, errno: int | None = None, sqlstate: str | None = None):
        super().__init__(message)
        self.msg = message
        if errno is not None:
            self.errno = errno
        if sqlstate is not None:
            self.sqlstate = sqlstate

    def __str__(self) -> str:
        return f"ERROR {self.errno} ({self.sqlstate}): {self.msg}"


class InterfaceError(Error):
    """Misuse of the API itself (closed connection, bad parameter count)."""


class DatabaseError(Error):
    """Errors related to the database."""


class DataError(DatabaseError):
    """A value that cannot be stored or encoded (out of range, NaN, wrong type)."""

    errno = 1366
    sqlstate = "HY000"


class OperationalError(DatabaseError):
    """Errors from the environment the database runs in: files, locks, timeouts."""


class IntegrityError(DatabaseError):
    """Constraint violations (duplicate key, NOT NULL)."""

    errno = 1062
    sqlstate = "23000"


class InternalError(DatabaseError):
    """The engine reached a state it should not have."""


class ProgrammingError(DatabaseError):
    """Bad SQL or a reference to something that does not exist."""

    errno = 1064
    sqlstate = "42000"


class NotSupportedError(DatabaseError):
    """A feature that is not (yet) supported."""

    errno = 1235  # ER_NOT_SUPPORTED_YET
    sqlstate = "42000"


# --- storage-level errors -------------------------------------------------------------------


class CorruptionError(DatabaseError):
    """Stored bytes failed their checksum or could not be decoded.

    Raised instead of ever returning damaged data.  1877 is MySQL's ER_TABLE_CORRUPT.
    """

    errno = 1877
    sqlstate = "HY000"


class LogCorruptionError(CorruptionError):
    """A damaged redo-log record followed by valid ones: corruption, not a torn tail.

    The database refuses to open unless `force_recovery >= 1`.
    """


class DatabaseLockedError(OperationalError):
    """Another process holds the database directory.  Like InnoDB's "Unable to lock ./ibdata1,
    error: 11", but naming the holder."""

    errno = 1030  # ER_GET_ERRNO "Got error %d from storage engine"
    sqlstate = "HY000"


class DatabaseNotFoundError(OperationalError):
    """The directory is missing or is not a KintsugiDB database."""

    errno = 1049  # ER_BAD_DB_ERROR
    sqlstate = "42000"


class LockWaitTimeoutError(OperationalError):
    """The writer lock was not granted in time."""

    errno = 1205
    sqlstate = "HY000"

    def __init__(self, message: str = "Lock wait timeout exceeded; try restarting transaction"):
        super().__init__(message)


class ReadOnlyError(OperationalError):
    """A write on a database opened read-only (e.g. with force_recovery >= 4)."""

    errno = 1836  # ER_READ_ONLY_MODE
    sqlstate = "HY000"


class TransactionStateError(InterfaceError):
    """Use of a transaction after it committed or rolled back."""

    errno = 1105
    sqlstate = "HY000"


class EngineClosedError(InterfaceError):
    """Use of an engine or snapshot after close()."""

    errno = 2006  # CR_SERVER_GONE_ERROR, what a client sees when the server went away
    sqlstate = "HY000"


class ForcedRecoveryError(OperationalError):
    """A write on a database opened with force_recovery > 0 (InnoDB's
    ER_INNODB_FORCED_RECOVERY): such an open is for reading and dumping the data."""

    errno = 1881
    sqlstate = "HY000"

    def __init__(self, message: str = "Operation not allowed when force_recovery > 0."):
        super().__init__(message)


class TablespaceMissingError(OperationalError):
    """A query on a table whose tablespace file was missing at a forced open (1812)."""

    errno = 1812
    sqlstate = "HY000"


class IndexCorruptError(CorruptionError):
    """A query needs an index flagged corrupt (ER_INDEX_CORRUPT): "Index idx is corrupted".
    A rebuild, or ADMIN RECOVER INDEX, clears the flag."""

    errno = 1712
    sqlstate = "HY000"
