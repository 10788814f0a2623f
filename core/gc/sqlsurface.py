"""What GC shows in SQL: TiDB's `mysql` tables, read from system.kdb at each statement.

* `mysql.gc_delete_range` / `mysql.gc_delete_range_done`: the ranges DROP/TRUNCATE/DROP
  INDEX/DROP DATABASE and table rebuilds left for GC, and those it collected
  (`core.catalog.gcranges.pending` / `done`), with TiDB's columns;
* `mysql.tidb`: TiDB's GC rows (`tikv_gc_safe_point`, `tikv_gc_last_run_time` from the last
  round the GC worker recorded; `tikv_gc_life_time`, `tikv_gc_run_interval`, `tikv_gc_enable`
  from the persisted variables), with the comments TiDB's GC worker writes
  (`pkg/store/gcworker/gc_worker.go`, `gcVariableComments`).

They are virtual: the schema `mysql` is resolved like information_schema
(`Database.virtual_schemas`), so SELECT, WHERE and joins work; a write, DESCRIBE or SHOW
CREATE answers ERROR 1235 naming the table.  TiDB lets root UPDATE `mysql.tidb`, but since
TiDB 5.0 the GC settings are system variables precisely because such updates went
unvalidated (pingcap/tidb#20655): here `SET GLOBAL tidb_gc_life_time = '24h'` is the way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.catalog import gcranges
from core.errors import NotSupportedError, ProgrammingError
from core.sql import global_vars
from core.sql.infoschema import RowsSource
from core.sql.result import Result

Database = Any  # core.sql.session.Database

RANGE_COLUMNS = ["job_id", "element_id", "start_key", "end_key", "ts"]
TIDB_COLUMNS = ["VARIABLE_NAME", "VARIABLE_VALUE", "COMMENT"]
TABLES: dict[str, list[str]] = {
    "gc_delete_range": RANGE_COLUMNS,
    "gc_delete_range_done": RANGE_COLUMNS,
    "tidb": TIDB_COLUMNS,
}
COMMENTS = {  # TiDB's gcVariableComments
    "tikv_gc_last_run_time": "The time when last GC starts. (DO NOT EDIT)",
    "tikv_gc_run_interval": "GC run interval, at least 10m, in Go format.",
    "tikv_gc_life_time": "All versions within life time will not be collected by GC, at "
                         "least 10m, in Go format.",
    "tikv_gc_safe_point": "All versions after safe point can be accessed. (DO NOT EDIT)",
    "tikv_gc_enable": "Current GC enable status",
}


def tso(ts: float) -> int:
    """A UNIX time as a TiDB timestamp (TSO): physical milliseconds << 18, the logical part
    0.  TiDB's `gc_delete_range.ts` is the drop job's commit TSO; here it is the time the
    range was queued (the engine's clock, in the DDL's own transaction), in the same
    encoding, so `ts >> 18` is milliseconds since the epoch as in TiDB."""
    return int(round(float(ts) * 1000)) << 18


def range_rows(ranges: list[dict]) -> list[list]:
    return [[int(r.get("job_id") or 0), int(r.get("element_id") or r.get("table_id") or 0),
             r.get("start_key", ""), r.get("end_key", ""), tso(r.get("ts") or 0)]
            for r in ranges]


def tidb_rows(view: Any) -> list[list]:
    """mysql.tidb's GC rows in the order TiDB's docs list them; the two times only once a
    GC round has run (TiDB has no `tikv_gc_safe_point` row before its first round either,
    and RECOVER TABLE then answers "can not get 'tikv_gc_safe_point'")."""
    enable = "true" if global_vars.gc_enabled(view) else "false"  # TiDB stores true/false
    rows = [["tikv_gc_enable", enable],
            ["tikv_gc_run_interval", global_vars.current(view, "tidb_gc_run_interval")],
            ["tikv_gc_life_time", global_vars.current(view, "tidb_gc_life_time")]]
    point = gcranges.safe_point(view)
    if point is not None:
        if point.get("run_at") is not None:
            rows.append(["tikv_gc_last_run_time", gcranges.tidb_time(point["run_at"])])
        if point.get("safe_point") is not None:
            rows.append(["tikv_gc_safe_point", gcranges.tidb_time(point["safe_point"])])
    return [[name, value, COMMENTS[name]] for name, value in rows]


def rows_for(db: Database, name: str) -> list[list]:
    with db.engine.snapshot() as view:
        if name == "gc_delete_range":
            return range_rows(gcranges.pending(view))
        if name == "gc_delete_range_done":
            return range_rows(gcranges.done(view))
        return tidb_rows(view)


class MysqlSchema:
    """The resolver `Database.virtual_schemas["mysql"]` holds (see the module docstring)."""

    schema = "mysql"

    def __init__(self, db: Database):
        self.db = db

    @property
    def tables(self) -> list[str]:
        return sorted(TABLES)

    def __call__(self, session: Any, schema: Any, name: str) -> Any:
        """The row source of `mysql.<name>`, or None for a name that is not one of its
        tables (the statement then answers as for any missing table)."""
        from core.sql.plan.select import Source

        low = name.lower()
        if low not in TABLES:
            if schema.table(self.schema, name) is not None or \
                    schema.view(self.schema, name) is not None:
                return None  # a base table of a database the user named `mysql`
            raise _missing(name)
        cols = TABLES[low]
        make: Callable[[], list[list]] = lambda: rows_for(self.db, low)  # noqa: E731
        return Source(name, RowsSource(make, len(cols), f"mysql.{low}"), list(cols),
                      virtual=True)

    def refusal(self, name: str, create: bool = False) -> NotSupportedError | ProgrammingError:
        """What a statement that needs `mysql.<name>` as a base table answers (`create`:
        CREATE TABLE / VIEW in `mysql`)."""
        low = name.lower()
        if create:
            return NotSupportedError(
                f"This version of KintsugiDB doesn't yet support 'creating tables in mysql' "
                f"(mysql is a read-only view of system.kdb: {', '.join(self.tables)}; "
                "CREATE DATABASE another name)", errno=1235, sqlstate="42000")
        if low not in TABLES:
            return _missing(name)
        how = ("SET GLOBAL tidb_gc_life_time / tidb_gc_run_interval / tidb_gc_enable change "
               "its settings" if low == "tidb" else
               "DROP/TRUNCATE queue its rows, GC and RECOVER TABLE take them off")
        return NotSupportedError(
            f"This version of KintsugiDB doesn't yet support 'mysql.{low} as a base table' "
            f"(a read-only view of system.kdb: SELECT from it; {how})",
            errno=1235, sqlstate="42000")

    def show_tables(self, dbname: str, match: Callable[[str], bool], full: bool) -> Result:
        rows = [[n] + (["SYSTEM VIEW"] if full else []) for n in self.tables if match(n)]
        names = [f"Tables_in_{dbname}"] + (["Table_type"] if full else [])
        return Result(names=names, rows=rows, rowcount=len(rows))


def _missing(name: str) -> ProgrammingError:
    return ProgrammingError(f"Table 'mysql.{name}' doesn't exist", errno=1146,
                            sqlstate="42S02")


def install(db: Database) -> None:
    """Give `db` its `mysql` schema (the composition root calls this once per open)."""
    db.virtual_schemas["mysql"] = MysqlSchema(db)
