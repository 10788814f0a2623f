"""GC and bringing dropped data back: the safe point, the GC worker, RECOVER / FLASHBACK.

DROP/TRUNCATE/DROP DATABASE/DROP INDEX and table rebuilds remove only dictionary entries and
queue what they left behind as delete ranges (`core.catalog.gcranges`, TiDB's
`mysql.gc_delete_range`), in the DDL's own transaction.  This package sits above `core.sql`
(beside `core.ddl`); sessions reach it only through what `install` puts on the database:

* `core.gc.worker`: the GC worker thread: safe point = now - `tidb_gc_life_time`, ranges older
  than it collected (tablespace files deleted durably, index entries in batches);
* `core.gc.recover`: RECOVER TABLE [BY JOB], FLASHBACK TABLE [TO], FLASHBACK DATABASE [TO];
* `core.gc.sqlsurface`: `mysql.gc_delete_range[_done]`, `mysql.tidb`, the GC variables.
"""

from __future__ import annotations

from typing import Any

Database = Any  # core.sql.session.Database


def install(db: Database) -> None:
    """Give `db` its GC worker and its sessions the recover statements and the GC tables
    (the composition root calls this once per open database, after `core.ddl.install`)."""
    from core.gc import recover, sqlsurface, worker

    sqlsurface.install(db)
    recover.install(db)
    worker.install(db)
