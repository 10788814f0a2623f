"""What kind of statement a parsed node is: the one classifier the session dispatches on and
the console asks (through `core.api.classify`) before it runs anything.

The kinds are what a caller has to decide about a statement before it runs: does it return
rows, can it be interrupted, does it change data, the schema, or only the session.  Keeping
the list here, and not once in the session's dispatch and once more in each client, means a
new statement (an ADMIN one, say) is classified in one place.
"""

from __future__ import annotations

import enum

from sqlglot import exp

from core.sql import dialect


class StatementKind(enum.Enum):
    QUERY = "query"  # SELECT, UNION, INTERSECT, EXCEPT: a result set from a plan, streamed
    DML = "dml"  # INSERT, REPLACE, UPDATE, DELETE
    DDL = "ddl"  # CREATE, DROP, TRUNCATE, ALTER, RENAME: a DDL job, not interruptible
    SESSION = "session"  # USE, BEGIN, COMMIT, ROLLBACK, SET
    SHOW = "show"  # SHOW, DESCRIBE, ADMIN SHOW DDL JOBS: a small result set, not a plan
    CHECK = "check"  # CHECK TABLE: a long read of every row, interruptible like a query
    INDEX_ADMIN = "index-admin"  # ADMIN CHECK/RECOVER/CLEANUP/REPAIR INDEX...: batches
    ADMIN = "admin"  # the other ADMIN statements, RECOVER/FLASHBACK TABLE
    OTHER = "other"  # anything else (answers 1235), or text that does not parse

    @property
    def interruptible(self) -> bool:
        """Whether `Connection.cancel()` can stop it once it runs (1317, nothing left
        behind); the others run to the end once started."""
        return self in (StatementKind.QUERY, StatementKind.DML, StatementKind.CHECK,
                        StatementKind.INDEX_ADMIN)


_BY_TYPE: dict[type, StatementKind] = {}
_BASES: tuple[tuple[tuple[type, ...], StatementKind], ...] = (
    ((exp.Select, exp.SetOperation, exp.Subquery), StatementKind.QUERY),
    ((exp.Insert, exp.Update, exp.Delete), StatementKind.DML),
    ((exp.Create, exp.Drop, exp.TruncateTable, exp.Alter, dialect.RenameTable),
     StatementKind.DDL),
    ((exp.Use, exp.Transaction, exp.Commit, exp.Rollback, exp.Set), StatementKind.SESSION),
    ((exp.Show, exp.Describe, dialect.AdminShowDDLJobs), StatementKind.SHOW),
    ((dialect.CheckTable,), StatementKind.CHECK),
    ((dialect.AdminCheckTable, dialect.AdminCheckIndex, dialect.AdminRecoverIndex,
      dialect.AdminCleanupIndex, dialect.AdminRepairIndex,
      dialect.AdminShowIndexInconsistencies), StatementKind.INDEX_ADMIN),
    ((dialect.AdminStatement, dialect.RecoverTable, dialect.FlashbackTable,
      dialect.FlashbackDatabase, dialect.PurgeBinaryLogs, dialect.FlushLogs),
     StatementKind.ADMIN),
)


def kind_of(node: exp.Expression | None) -> StatementKind:
    """The kind of one parsed statement (a dictionary hit after the first of each type:
    the session calls this for every statement)."""
    cls = type(node)
    kind = _BY_TYPE.get(cls)
    if kind is None:
        kind = StatementKind.OTHER
        for bases, k in _BASES:
            if issubclass(cls, bases):
                kind = k
                break
        _BY_TYPE[cls] = kind
    return kind


def classify(sql: str) -> StatementKind:
    """The kind of the statement in `sql`; OTHER for text that does not parse or holds more
    than one statement.  Never raises: a client asks before running, and the run reports
    the syntax error."""
    try:
        text, _count = dialect.to_placeholders(sql)
        nodes = dialect.parse(text)
    except Exception:  # noqa: BLE001 - any failure to parse is "OTHER"; the run reports it
        return StatementKind.OTHER
    if len(nodes) != 1:
        return StatementKind.OTHER
    return kind_of(nodes[0])


# a second word names the statement after these verbs (CREATE TRIGGER, LOCK TABLES, ...)
_TWO_WORDS = {"CREATE", "ALTER", "DROP", "LOCK", "UNLOCK", "ANALYZE", "OPTIMIZE", "REPAIR",
              "FLUSH", "RESET", "CHECKSUM", "LOAD", "INSTALL", "UNINSTALL", "HANDLER"}


def statement_name(text: str) -> str:
    """The words that name an unsupported statement in its 1235 (``CREATE TRIGGER``,
    ``CREATE FULLTEXT INDEX``, ``LOCK TABLES``, ``GRANT``), from the text as written."""
    words = [w.upper() for w in text.replace("(", " ").split()[:3]]
    if not words:
        return ""
    if words[0] not in _TWO_WORDS or len(words) < 2:
        return words[0]
    if words[1] in ("FULLTEXT", "SPATIAL", "UNIQUE", "OR", "TEMPORARY") and len(words) > 2:
        return " ".join(words[:3])
    return " ".join(words[:2])
