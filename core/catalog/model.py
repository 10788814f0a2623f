"""The dictionary's objects: databases, tables, columns, indexes, DDL jobs.

They are plain dataclasses stored as msgpack in system.kdb and loaded into an immutable
`Schema` per schema version, so a snapshot that fixes the data also fixes the schema it sees.
A table's id is also its tablespace id and its key prefix (`t{id}_...`): TRUNCATE and
rebuilding ALTERs give a table a new id, and the old id's file goes to GC whole.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from sqlglot import exp

from core.catalog.coltypes import SqlType, member_value
from core.events.ddl import JobState, SchemaState, job_state, schema_state

HANDLE_INT = "int"  # the integer primary key is the handle
HANDLE_CLUSTERED = "clustered"  # the encoded primary-key values are the handle
HANDLE_ROWID = "rowid"  # no primary key: a hidden auto-increment row id (_tidb_rowid)


@lru_cache(maxsize=4096)
def type_from_sql(text: str) -> SqlType:
    """A stored column type (`SqlType` is frozen, so one parse serves every table)."""
    return SqlType.from_sqlglot(exp.DataType.build(text, dialect="mysql"))


@dataclass
class ColumnInfo:
    id: int
    name: str
    type: SqlType
    nullable: bool = True
    default: Any = None
    has_default: bool = False
    default_now: bool = False  # DEFAULT CURRENT_TIMESTAMP
    auto_increment: bool = False
    comment: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["type"] = self.type.sql()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ColumnInfo:
        d = dict(d)
        d["type"] = type_from_sql(d["type"])
        if d.get("default") is not None:  # an ENUM/SET default was stored as its text
            d["default"] = member_value(d["type"], d["default"])
        return cls(**d)


@dataclass
class IndexInfo:
    id: int
    name: str
    columns: list[str]
    unique: bool = False
    primary: bool = False
    state: str = "public"  # F1 schema states: delete only, write only, write reorganization
    # Prefix key parts (`KEY (a(10))`): per column, how many leading characters (bytes for
    # a binary column) the entries keep; None keeps the whole value, and an empty list (every
    # index without a prefix, and every catalog written before prefixes) keeps all of them.
    lengths: list[int | None] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.lengths:
            del d["lengths"]  # the catalog of an index without prefixes stays as it was
        return d

    @classmethod
    def from_dict(cls, d: dict) -> IndexInfo:
        return cls(**d)

    def key_values(self, values: list) -> list:
        """What an entry of this index stores for a row's `values` of its columns: each
        prefix part cut to its length.  Every writer and checker of entries goes through
        here, so they all agree on the bytes; a lookup through a prefix part only narrows
        the rows, the full condition is checked on each row."""
        if not self.lengths:
            return values
        return [v[:n] if n is not None and isinstance(v, (str, bytes)) else v
                for v, n in zip(values, self.lengths, strict=True)]


@dataclass
class TableInfo:
    id: int
    schema: str
    name: str
    columns: list[ColumnInfo]
    indexes: list[IndexInfo] = field(default_factory=list)
    handle: str = HANDLE_ROWID
    pk_columns: list[str] = field(default_factory=list)
    created: float = 0.0
    comment: str = ""
    next_column_id: int = 1
    next_index_id: int = 1
    # While a DDL job rebuilds the table (core.ddl.rebuild): the table its writes are also
    # applied to, and how (core.sql.shadow).  Empty otherwise.
    shadow: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {
            "id": self.id, "schema": self.schema, "name": self.name,
            "columns": [c.to_dict() for c in self.columns],
            "indexes": [i.to_dict() for i in self.indexes],
            "handle": self.handle, "pk_columns": self.pk_columns, "created": self.created,
            "comment": self.comment, "next_column_id": self.next_column_id,
            "next_index_id": self.next_index_id,
        }
        if self.shadow:  # the entry of a table no job rebuilds stays as it was
            d["shadow"] = self.shadow
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TableInfo:
        d = dict(d)
        d["columns"] = [ColumnInfo.from_dict(c) for c in d["columns"]]
        d["indexes"] = [IndexInfo.from_dict(i) for i in d["indexes"]]
        return cls(**d)

    # -- lookups ----------------------------------------------------------------------------

    def __post_init__(self) -> None:
        self._pos = {c.name.lower(): i for i, c in enumerate(self.columns)}

    def column_index(self, name: str) -> int | None:
        return self._pos.get(name.lower())

    def column(self, name: str) -> ColumnInfo | None:
        i = self._pos.get(name.lower())
        return None if i is None else self.columns[i]

    def index(self, name: str) -> IndexInfo | None:
        low = name.lower()
        for ix in self.indexes:
            if ix.name.lower() == low:
                return ix
        return None

    @property
    def primary(self) -> IndexInfo | None:
        for ix in self.indexes:
            if ix.primary:
                return ix
        return None

    @property
    def secondary_indexes(self) -> list[IndexInfo]:
        """Indexes stored as separate entries (all but a primary key that is the handle)."""
        return [ix for ix in self.indexes if not ix.primary or self.handle == HANDLE_ROWID]

    @property
    def auto_increment_column(self) -> ColumnInfo | None:
        for c in self.columns:
            if c.auto_increment:
                return c
        return None

    @property
    def full_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class DatabaseInfo:
    name: str
    id: int
    created: float = 0.0
    charset: str = "utf8mb4"
    collation: str = "utf8mb4_bin"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DatabaseInfo:
        return cls(**d)


@dataclass
class ViewInfo:
    """A view: its SELECT as text, tables qualified with their database (so it reads the same
    whatever the session's current database), and its output column names as CREATE VIEW
    found them.  `columns` was written by the user (`CREATE VIEW v (a, b)`) when `named`."""

    schema: str
    name: str
    definition: str
    columns: list[str] = field(default_factory=list)
    named: bool = False
    algorithm: str = "UNDEFINED"
    definer: str = "`root`@`localhost`"
    security: str = "DEFINER"
    check_option: str = "NONE"
    updatable: bool = False
    created: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ViewInfo:
        return cls(**d)

    @property
    def full_name(self) -> str:
        return f"{self.schema}.{self.name}"


# Columns of ADMIN SHOW DDL JOBS, in TiDB's order.
DDL_JOB_COLUMNS = (
    "JOB_ID", "DB_NAME", "TABLE_NAME", "JOB_TYPE", "SCHEMA_STATE", "SCHEMA_ID", "TABLE_ID",
    "ROW_COUNT", "CREATE_TIME", "START_TIME", "END_TIME", "STATE", "COMMENTS",
)


@dataclass
class DDLJob:
    """One schema change: a row of `ADMIN SHOW DDL JOBS` plus what the worker needs to run it
    and what the console shows of it.  `args` holds the change itself (the index or table
    definition), `reorg` the checkpoint of a reorganisation (`next`: the first row key not yet
    done; `done`/`total` rows), `steps` the job's history, one entry per step it took, with
    the crash case and what recovery did when a crash interrupted it."""

    job_id: int
    db_name: str
    table_name: str
    job_type: str  # TiDB's lower-case action names: "create table", "add index", ...
    schema_state: SchemaState
    schema_id: int
    table_id: int
    row_count: int
    create_time: float
    start_time: float | None
    end_time: float | None
    state: JobState
    comments: str = ""
    query: str = ""
    progress: float = 0.0
    error: str = ""
    extra: dict = field(default_factory=dict)
    args: dict = field(default_factory=dict)
    reorg: dict = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)
    error_code: int = 0
    crash_case: str = ""
    paused_by: str = ""  # "user", or "recovery" when a crash left the DBA a choice

    def __post_init__(self) -> None:
        self.state = job_state(self.state)
        self.schema_state = schema_state(self.schema_state)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["state"], d["schema_state"] = str(self.state), str(self.schema_state)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DDLJob:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})

    def note(self, step: str, detail: str = "") -> None:
        """Add one entry to the job's history (the detail view lists them)."""
        self.steps.append({"at": time.time(), "step": step, "state": str(self.state),
                           "schema_state": str(self.schema_state), "detail": detail})
