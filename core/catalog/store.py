"""Reading and writing the dictionary in system.kdb.

Keys (all in space 0, after the engine's own `\\x00space:` map):

    m:ver                   schema version (u64), bumped by every DDL
    m:db:<name>             DatabaseInfo
    m:tbl:<id u32>          TableInfo
    m:view:<db>\x00<name>   ViewInfo (lower-case names)
    m:job:<id u64>          DDLJob (queue and history; state tells which)
    m:jobseq                last job id
    m:jobq:<id u64>         present while job <id> is unfinished: the worker and the DDL
                            statements look for work here, not through the whole history
    m:gc:<table id u32>     a delete range: a dropped/truncated table's tablespace awaiting GC
                            (and m:gci:, m:gcd:, m:gcsp, m:var: - see core.catalog.gcranges)
    m:ai:<table id u32>     the next auto-increment value (u64) of a table, written by the
                            statement that raised it, in its own transaction (MySQL 8's
                            persisted counter: it never goes back after a crash or restart)
    m:corrupt:<table id u32>[<index id u32>]   a corruption flag (core.check.flags)

`Schema` is the parsed dictionary at one version.  Loading costs a scan of a few keys per
table, so schemas are cached by version: a reader pays one `get` of `m:ver` per statement.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterable

import msgpack
from crc32c import crc32c

from core.catalog.model import DatabaseInfo, DDLJob, TableInfo, ViewInfo
from core.codec.rows import CRC_RESIDUE
from core.errors import CorruptionError

SYSTEM = 0
VER_KEY = b"m:ver"
DB_PREFIX = b"m:db:"
TBL_PREFIX = b"m:tbl:"
JOB_PREFIX = b"m:job:"
JOBSEQ_KEY = b"m:jobseq"
JOBQ_PREFIX = b"m:jobq:"
GC_PREFIX = b"m:gc:"
AUTOINC_PREFIX = b"m:ai:"
VIEW_PREFIX = b"m:view:"
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_CRC_LE = struct.Struct("<I")


def _pack(d: dict) -> bytes:
    """msgpack + CRC32C (little-endian), as rows: a flipped bit in a dictionary entry (a column
    name, a type) is detected on read instead of silently changing the schema."""
    body = msgpack.packb(d, use_bin_type=True)
    return body + _CRC_LE.pack(crc32c(body))


def _unpack(b: bytes) -> dict:
    if crc32c(b) == CRC_RESIDUE:
        b = b[:-4]
    # else: an entry written before the CRC (or damaged, and then the 4 trailing bytes make
    # msgpack refuse it with ExtraData, or the CRC of what is left fails to match)
    return msgpack.unpackb(b, raw=False, strict_map_key=False)


def _decode(ctor, key: bytes, raw: bytes):
    """A dictionary entry as an object, or a CorruptionError naming it: a damaged entry must
    read as damage (1877), never as a TypeError from deep inside a constructor."""
    try:
        value = _unpack(raw)
        if not isinstance(value, dict):
            raise TypeError(f"expected a map, found {type(value).__name__}")
        return ctor(value)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError,
            msgpack.UnpackException) as exc:
        raise CorruptionError(
            f"data dictionary entry {key[:40]!r} in system.kdb is damaged "
            f"({type(exc).__name__}: {exc})") from None


def _end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1])


class Schema:
    """The dictionary at one schema version (immutable once built)."""

    def __init__(
        self, version: int, databases: Iterable[DatabaseInfo], tables: Iterable[TableInfo],
        views: Iterable[ViewInfo] = (),
    ):
        self.version = version
        self.databases = {d.name.lower(): d for d in databases}
        self.tables_by_id = {t.id: t for t in tables}
        self._by_name = {(t.schema.lower(), t.name.lower()): t for t in self.tables_by_id.values()}
        self.views = {(v.schema.lower(), v.name.lower()): v for v in views}

    def database(self, name: str) -> DatabaseInfo | None:
        return self.databases.get(name.lower())

    def table(self, schema: str, name: str) -> TableInfo | None:
        return self._by_name.get((schema.lower(), name.lower()))

    def tables_in(self, schema: str) -> list[TableInfo]:
        low = schema.lower()
        return sorted((t for t in self.tables_by_id.values() if t.schema.lower() == low),
                      key=lambda t: t.name)

    def view(self, schema: str, name: str) -> ViewInfo | None:
        return self.views.get((schema.lower(), name.lower()))

    def views_in(self, schema: str) -> list[ViewInfo]:
        low = schema.lower()
        return sorted((v for v in self.views.values() if v.schema.lower() == low),
                      key=lambda v: v.name)


class CatalogStore:
    """Loads `Schema`s (cached by version) and writes dictionary changes into a transaction."""

    def __init__(self) -> None:
        self._cache: dict[int, Schema] = {}
        self._tables: dict[bytes, TableInfo] = {}  # entry bytes -> decoded (see _table)
        self._lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def version(view) -> int:
        raw = view.get(SYSTEM, VER_KEY)
        return _U64.unpack(raw)[0] if raw else 0

    def schema(self, view) -> Schema:
        """The schema as `view` (a snapshot or a transaction's read view) sees it."""
        ver = self.version(view)
        cached = self._cache.get(ver)
        if cached is not None:
            return cached
        dbs = [_decode(DatabaseInfo.from_dict, k, v)
               for k, v in view.scan(SYSTEM, DB_PREFIX, _end(DB_PREFIX))]
        tables = [self._table(k, v) for k, v in view.scan(SYSTEM, TBL_PREFIX, _end(TBL_PREFIX))]
        views = [_decode(ViewInfo.from_dict, k, v)
                 for k, v in view.scan(SYSTEM, VIEW_PREFIX, _end(VIEW_PREFIX))]
        try:
            schema = Schema(ver, dbs, tables, views)
        except (TypeError, ValueError, AttributeError) as exc:
            raise CorruptionError(f"the data dictionary in system.kdb is damaged ({exc})") from None
        with self._lock:
            if len(self._cache) > 64:
                self._cache.pop(min(self._cache))
            self._cache[ver] = schema
        return schema

    def _table(self, key: bytes, raw: bytes) -> TableInfo:
        """A table entry, decoded once per distinct content: a schema version that changed
        one table (each step of an online DDL job bumps the version) re-reads the others
        from here instead of parsing every column type again.  Decoded tables are never
        changed in place (DDL copies them: `TableInfo.from_dict(t.to_dict())`)."""
        raw = bytes(raw)
        hit = self._tables.get(raw)
        if hit is not None:
            return hit
        table = _decode(TableInfo.from_dict, key, raw)
        with self._lock:
            if len(self._tables) > 4096:
                self._tables.clear()
            self._tables[raw] = table
        return table

    @staticmethod
    def jobs(view) -> list[DDLJob]:
        return [_decode(DDLJob.from_dict, k, v)
                for k, v in view.scan(SYSTEM, JOB_PREFIX, _end(JOB_PREFIX))]

    @staticmethod
    def unfinished_jobs(view) -> list[DDLJob]:
        """The jobs not yet finished, oldest first (the queue, without the history)."""
        out = []
        for k, _v in view.scan(SYSTEM, JOBQ_PREFIX, _end(JOBQ_PREFIX)):
            job = CatalogStore.job(view, _U64.unpack(bytes(k[len(JOBQ_PREFIX):]))[0])
            if job is not None and not job.state.finished:
                out.append(job)
        return out

    @staticmethod
    def job(view, job_id: int) -> DDLJob | None:
        key = JOB_PREFIX + _U64.pack(job_id)
        raw = view.get(SYSTEM, key)
        return _decode(DDLJob.from_dict, key, raw) if raw else None

    @staticmethod
    def gc_ranges(view) -> list[dict]:
        return [_decode(dict, k, v) for k, v in view.scan(SYSTEM, GC_PREFIX, _end(GC_PREFIX))]

    # -- writing (inside a write transaction) -------------------------------------------------

    @staticmethod
    def bump_version(txn) -> int:
        raw = txn.get_current(SYSTEM, VER_KEY)
        ver = (_U64.unpack(raw)[0] if raw else 0) + 1
        txn.put(SYSTEM, VER_KEY, _U64.pack(ver))
        return ver

    @staticmethod
    def put_database(txn, db: DatabaseInfo) -> None:
        txn.put(SYSTEM, DB_PREFIX + db.name.lower().encode(), _pack(db.to_dict()))

    @staticmethod
    def delete_database(txn, name: str) -> None:
        txn.delete(SYSTEM, DB_PREFIX + name.lower().encode())

    @staticmethod
    def put_table(txn, table: TableInfo) -> None:
        txn.put(SYSTEM, TBL_PREFIX + _U32.pack(table.id), _pack(table.to_dict()))

    @staticmethod
    def delete_table(txn, table_id: int) -> None:
        txn.delete(SYSTEM, TBL_PREFIX + _U32.pack(table_id))

    @staticmethod
    def _view_key(schema: str, name: str) -> bytes:
        return VIEW_PREFIX + schema.lower().encode() + b"\x00" + name.lower().encode()

    @staticmethod
    def put_view(txn, v: ViewInfo) -> None:
        txn.put(SYSTEM, CatalogStore._view_key(v.schema, v.name), _pack(v.to_dict()))

    @staticmethod
    def delete_view(txn, v: ViewInfo) -> None:
        txn.delete(SYSTEM, CatalogStore._view_key(v.schema, v.name))

    @staticmethod
    def next_job_id(txn) -> int:
        raw = txn.get_current(SYSTEM, JOBSEQ_KEY)
        job_id = (_U64.unpack(raw)[0] if raw else 0) + 1
        txn.put(SYSTEM, JOBSEQ_KEY, _U64.pack(job_id))
        return job_id

    @staticmethod
    def put_job(txn, job: DDLJob) -> None:
        key = _U64.pack(job.job_id)
        txn.put(SYSTEM, JOB_PREFIX + key, _pack(job.to_dict()))
        if not job.state.finished:
            txn.put(SYSTEM, JOBQ_PREFIX + key, b"")
        elif txn.get_current(SYSTEM, JOBQ_PREFIX + key) is not None:
            txn.delete(SYSTEM, JOBQ_PREFIX + key)

    @staticmethod
    def autoinc_key(table_id: int) -> bytes:
        return AUTOINC_PREFIX + _U32.pack(table_id)

    @staticmethod
    def autoinc(view, table_id: int) -> int | None:
        """The persisted next auto-increment value of a table (None: never written, e.g. a
        database from before the counter was persisted)."""
        raw = view.get(SYSTEM, AUTOINC_PREFIX + _U32.pack(table_id))
        if raw is None:
            return None
        if len(raw) != 8:
            raise CorruptionError(f"auto-increment counter of table id {table_id} in "
                                  f"system.kdb is damaged ({len(raw)} bytes)")
        return _U64.unpack(raw)[0]

    @staticmethod
    def put_autoinc(txn, table_id: int, next_value: int) -> None:
        txn.put(SYSTEM, AUTOINC_PREFIX + _U32.pack(table_id), _U64.pack(next_value))

    @staticmethod
    def delete_autoinc(txn, table_id: int) -> None:
        txn.delete(SYSTEM, AUTOINC_PREFIX + _U32.pack(table_id))
