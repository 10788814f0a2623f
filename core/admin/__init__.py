"""Index consistency: TiDB's ADMIN CHECK TABLE / CHECK INDEX / RECOVER INDEX / CLEANUP INDEX,
and KintsugiDB's ADMIN SHOW INDEX INCONSISTENCIES and ADMIN REPAIR INDEX.

This package sits above `core.sql` (it reads tables through `core.sql.table`'s key layout and
answers with `core.sql.result.Result`s); the SQL session reaches it only through the handlers
that `install` puts in `Database.statement_handlers`, so `core.sql` never imports it.

* `core.admin.check`: CHECK TABLE / CHECK INDEX (fast checksum pass, then buckets) and the
  range form of CHECK INDEX;
* `core.admin.inconsistencies`: the whole picture, one row per index;
* `core.admin.repair`: RECOVER, CLEANUP and REPAIR INDEX, in batches, each its own transaction;
* `core.admin.render`: TiDB's texts (8223, 8003, 8133) and value rendering;
* `core.admin.records`: each index's last check, kept in system.kdb.
"""

from __future__ import annotations

from typing import Any

Database = Any  # core.sql.session.Database


def install(db: Database) -> None:
    """Make `db`'s sessions run the index ADMIN statements (the composition root calls this
    once per open database)."""
    from core.admin import check, inconsistencies, repair
    from core.sql import dialect

    db.statement_handlers.update({
        dialect.AdminCheckTable: check.admin_check_table,
        dialect.AdminCheckIndex: check.admin_check_index,
        dialect.AdminShowIndexInconsistencies: inconsistencies.admin_show_inconsistencies,
        dialect.AdminRecoverIndex: repair.admin_recover_index,
        dialect.AdminCleanupIndex: repair.admin_cleanup_index,
        dialect.AdminRepairIndex: repair.admin_repair_index,
    })
