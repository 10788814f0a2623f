"""Integrity checks and corruption flags.

* `core.check.table`: CHECK TABLE's core, `check_table(view, table, mode)` and
  `cross_check_indexes(view, table, indexes)`, pure functions returning `Finding`s, shared
  with the ADMIN CHECK statements;
* `core.check.flags`: the flags a damaged table or index carries until repaired
  (`corruption_flags(view)` lists them, `clear_flag(txn, table_id, index_id)` removes one);
* `core.check.consistency`: the index consistency core (a checksum per index, then only the
  disagreeing handle buckets compared exactly) behind CHECK TABLE ... EXTENDED, ADMIN CHECK
  and ADMIN SHOW INDEX INCONSISTENCIES;
* `core.check.errors`: TiDB's errors for it (8223, 8003, 8133) and its value rendering;
* `core.check.records`: each index's last check, kept in system.kdb;
* `core.check.statement`: the CHECK TABLE result set.

Nothing here imports `core.sql`: the SQL layer calls in.
"""

from core.check.flags import (
    CorruptionFlag,
    FlagRegistry,
    clear_flag,
    clear_table_flags,
    corruption_flags,
)
from core.check.table import EXTENDED, MEDIUM, QUICK, Finding, check_table, cross_check_indexes

__all__ = ["EXTENDED", "MEDIUM", "QUICK", "CorruptionFlag", "Finding", "FlagRegistry",
           "check_table", "clear_flag", "clear_table_flags", "corruption_flags",
           "cross_check_indexes"]
