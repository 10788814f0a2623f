"""SET of system variables the session does not itself handle (see Session._set).

Every such SET used to be accepted and dropped, so a DBA believed ``SET
sql_safe_updates = 1`` or ``SET transaction_isolation = 'READ-COMMITTED'`` took effect.
Now, as mysqld: a name MySQL does not know is ERROR 1193; a read-only one 1238; a bad
value for a boolean or enumerated variable 1231; a variable whose effect the engine does
not have answers 1235 naming it, unless the value is the one it already has (restoring
``@OLD_...`` at the end of a dump changes nothing); and the variables listed in
`HARMLESS` are accepted and remembered (``@@name`` reads them back), each for the reason
given there.  A typical mysqldump preamble therefore loads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from core.errors import OperationalError, ProgrammingError
from core.sql import refusals

# Variables accepted with any valid value, and why that is honest.
HARMLESS: dict[str, str] = {
    "foreign_key_checks": "FOREIGN KEY is refused at CREATE TABLE (1235): no check to skip",
    "unique_checks": "a hint InnoDB may ignore; uniqueness is still checked, as it may be",
    "sql_notes": "notes are still recorded: SHOW WARNINGS shows more, never less",
    "character_set_client": "the API takes Python str: no client bytes to decode (utf8 only)",
    "character_set_connection": "literals arrive as Python str already (utf8 only)",
    "character_set_results": "rows are returned as Python str, not bytes (utf8 only)",
    "net_read_timeout": "an embedded engine has no network connection to time out",
    "net_write_timeout": "an embedded engine has no network connection to time out",
    "wait_timeout": "an embedded connection is never closed for being idle",
    "interactive_timeout": "an embedded connection is never closed for being idle",
    "time_zone": "accepted only naming the zone the engine runs in (its NOW() is local)",
}
# Values the harmless character-set variables take: the text the API passes is Unicode.
_UTF8 = frozenset({"utf8mb4", "utf8", "utf8mb3"})
READ_ONLY = frozenset({"version", "version_comment", "system_time_zone",
                       "lower_case_table_names", "license", "have_ssl", "tidb_version",
                       "performance_schema", "character_set_system", "hostname", "port",
                       "datadir", "basedir", "server_id", "protocol_version",
                       "log_bin", "log_bin_basename", "log_bin_index", "server_uuid",
                       "gtid_executed"})
BOOLEAN = frozenset({"autocommit", "foreign_key_checks", "unique_checks", "sql_notes",
                     "sql_warnings", "sql_safe_updates", "sql_quote_show_create",
                     "sql_auto_is_null", "sql_big_selects", "sql_buffer_result", "sql_log_bin",
                     "big_tables", "transaction_read_only", "tx_read_only", "profiling",
                     "explicit_defaults_for_timestamp", "innodb_strict_mode",
                     "end_markers_in_json", "windowing_use_high_precision",
                     "sql_require_primary_key", "keep_files_on_create", "old_alter_table",
                     "show_create_table_verbosity", "sql_generate_invisible_primary_key",
                     "log_bin"})
# Values the engine has for variables @@name reads, beyond core.sql.expr.scope's defaults.
DEFAULTS: dict[str, Any] = {
    "foreign_key_checks": 1, "unique_checks": 1, "sql_notes": 1, "sql_warnings": 0,
    "sql_safe_updates": 0, "sql_quote_show_create": 1, "sql_auto_is_null": 0,
    "sql_big_selects": 1, "sql_buffer_result": 0, "sql_log_bin": 1, "big_tables": 0,
    "transaction_read_only": 0, "tx_read_only": 0, "net_read_timeout": 30,
    "character_set_database": "utf8mb4", "collation_database": "utf8mb4_bin",
    "explicit_defaults_for_timestamp": 1, "default_week_format": 0, "lc_time_names": "en_US",
    "lock_wait_timeout": 31536000, "innodb_strict_mode": 1, "profiling": 0,
    "sql_require_primary_key": 0, "end_markers_in_json": 0,
    "windowing_use_high_precision": 1,
}
# Other variables MySQL 8 has whose effect the engine lacks (1235 when changed).
_KNOWN = frozenset({
    "sql_select_limit", "max_join_size", "optimizer_switch", "optimizer_search_depth",
    "optimizer_prune_level", "optimizer_trace", "join_buffer_size", "sort_buffer_size",
    "tmp_table_size", "max_heap_table_size", "read_buffer_size", "read_rnd_buffer_size",
    "bulk_insert_buffer_size", "long_query_time", "max_sort_length", "max_seeks_for_key",
    "max_length_for_sort_data", "completion_type", "default_tmp_storage_engine",
    "information_schema_stats_expiry", "timestamp", "insert_id", "last_insert_id",
    "identity", "rand_seed1", "rand_seed2", "pseudo_thread_id", "net_buffer_length",
    "collation_connection", "collation_server", "character_set_server",
    "character_set_filesystem", "max_points_in_geometry", "max_sp_recursion_depth",
    "low_priority_updates", "sql_slave_skip_counter", "session_track_gtids",
    "session_track_schema", "session_track_state_change", "session_track_system_variables",
    "session_track_transaction_info", "transaction_allow_batching",
    "transaction_prealloc_size", "transaction_alloc_block_size", "range_optimizer_max_mem_size",
    "resultset_metadata", "use_secondary_engine", "updatable_views_with_limit",
    "eq_range_index_dive_limit", "histogram_generation_max_mem_size", "binlog_format",
    "binlog_row_image", "sql_log_off", "general_log", "slow_query_log", "max_connections",
    "max_user_connections", "event_scheduler", "read_only", "super_read_only",
    "offline_mode", "local_infile", "secure_file_priv", "default_collation_for_utf8mb4",
    "default_password_lifetime", "block_encryption_mode", "regexp_time_limit",
    "regexp_stack_limit", "thread_stack", "table_open_cache", "key_buffer_size",
})
_KNOWN_PREFIXES = ("innodb_", "tidb_", "performance_schema_", "binlog_", "log_", "ssl_",
                   "group_replication_", "replica_", "slave_", "gtid_", "optimizer_")


def _unknown(name: str) -> ProgrammingError:
    return ProgrammingError(f"Unknown system variable '{name}'", errno=1193, sqlstate="HY000")


def cannot_set(name: str, value: Any) -> ProgrammingError:
    shown = "NULL" if value is None else value
    return ProgrammingError(f"Variable '{name}' can't be set to the value of '{shown}'",
                            errno=1231, sqlstate="42000")


def known(name: str, sysvars: dict) -> bool:
    return (name in sysvars or name in HARMLESS or name in BOOLEAN or name in _KNOWN
            or name in READ_ONLY or name.startswith(_KNOWN_PREFIXES))


def value_of(session: Any, node: exp.Expression) -> Any:
    """A SET value: a bare word (``ON``, ``utf8mb4``, ``DEFAULT``) is its text, as MySQL
    reads it for a system variable; anything else is evaluated."""
    if isinstance(node, (exp.Column, exp.Var, exp.Identifier)) and not (
            isinstance(node, exp.Column) and node.table):
        return node.name
    return session.constant(node)


def boolean(name: str, value: Any) -> int:
    """ON/OFF/TRUE/FALSE/1/0 as 1 or 0, else 1231 as mysqld."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    if isinstance(value, str):
        word = value.strip().upper()
        if word in ("ON", "TRUE", "1"):
            return 1
        if word in ("OFF", "FALSE", "0"):
            return 0
    raise cannot_set(name, value)


def _local_offset() -> int:
    return time.localtime().tm_gmtoff // 60


def _offset_minutes(text: str) -> int | None:
    t = text.strip()
    if len(t) < 4 or t[0] not in "+-" or ":" not in t:
        return None
    h, _, m = t[1:].partition(":")
    if not (h.isdigit() and m.isdigit() and len(m) == 2):
        return None
    minutes = int(h) * 60 + int(m)
    return -minutes if t[0] == "-" else minutes


def _same(value: Any, current: Any) -> bool:
    if value is None or current is None:
        return value is current
    if str(value).lower() == str(current).lower():
        return True
    try:
        return float(value) == float(current)
    except (TypeError, ValueError):
        return False


def assign(session: Any, name: str, node: exp.Expression, scope: str = "SESSION") -> None:
    """``SET [GLOBAL|SESSION] name = value`` for a variable the session does not handle
    itself (sql_mode, autocommit and the resource limits are handled before)."""
    sysvars = session.ctx.system_variables
    if scope.upper() in ("PERSIST", "PERSIST_ONLY"):
        raise refusals.not_yet(f"SET {scope.upper()}")
    if not known(name, sysvars):
        raise _unknown(name)
    if name in READ_ONLY:
        raise ProgrammingError(f"Variable '{name}' is a read only variable", errno=1238,
                               sqlstate="HY000")
    value = value_of(session, node)
    if isinstance(value, str) and value.upper() == "DEFAULT":
        value = DEFAULTS.get(name, sysvars.get(name))
    if name in BOOLEAN:
        value = boolean(name, value)
    if name in ("transaction_isolation", "tx_isolation"):
        isolation(name, value)
    current = sysvars.get(name, DEFAULTS.get(name))
    if name in HARMLESS:
        _check_harmless(name, value)
    elif not _same(value, current):
        raise refusals.not_yet(f"SET {name}")
    sysvars[name] = value


def _check_harmless(name: str, value: Any) -> None:
    if name.startswith("character_set_"):
        if value is None and name == "character_set_results":
            return  # NULL: results as stored, which is what the API returns
        if not isinstance(value, str) or value.lower() not in _UTF8:
            refusals.check_charset(str(value))  # latin1 etc.: 1235 naming it
    elif name == "time_zone":
        if not isinstance(value, str):
            raise ProgrammingError(f"Unknown or incorrect time zone: '{value}'", errno=1298,
                                   sqlstate="HY000")
        if value.upper() == "SYSTEM":
            return
        minutes = _offset_minutes(value)
        if minutes is None or minutes != _local_offset():
            raise refusals.not_yet(f"time_zone {value} (the engine's time zone is "
                                   f"{time.strftime('%z')})")
    elif name in BOOLEAN:
        return
    elif name.endswith("_timeout"):
        if not isinstance(value, int) or value < 1:
            raise ProgrammingError(f"Incorrect argument type to variable '{name}'",
                                   errno=1232, sqlstate="42000")


def set_names(session: Any, item: exp.SetItem) -> None:
    """SET NAMES cs [COLLATE c] / SET CHARACTER SET cs: the client's character set; the
    API passes Python str, so any utf8 is honest; a _ci collation is not (1235)."""
    node = item.this
    name = node.name if node is not None else "DEFAULT"
    if name.upper() != "DEFAULT" and name.lower() not in _UTF8:
        refusals.check_charset(name)
    coll = item.args.get("collate")
    if coll is not None:
        refusals.check_collation(coll.name)
    if name.upper() == "DEFAULT":
        name = "utf8mb4"
    sysvars = session.ctx.system_variables
    for var in ("character_set_client", "character_set_results"):
        sysvars[var] = name.lower()
    if str(item.args.get("kind") or "").upper() == "NAMES":
        sysvars["character_set_connection"] = name.lower()


def set_transaction(item: exp.SetItem) -> None:
    """SET [GLOBAL|SESSION] TRANSACTION ...: REPEATABLE READ and READ WRITE are what every
    transaction is; another isolation level, or READ ONLY, answers 1235 naming it."""
    for mode in item.expressions:
        text = " ".join(mode.name.upper().split())
        if text in ("ISOLATION LEVEL REPEATABLE READ", "READ WRITE"):
            continue
        raise refusals.not_yet(f"SET TRANSACTION {text}")


def set_other(session: Any, item: exp.SetItem) -> None:
    """A SET item that is not ``name = value``: NAMES, CHARACTER SET, TRANSACTION."""
    kind = str(item.args.get("kind") or "").upper()
    if kind in ("NAMES", "CHARACTER SET", "CHARSET"):
        return set_names(session, item)
    if kind == "TRANSACTION":
        return set_transaction(item)
    raise refusals.not_yet(f"SET {item.sql(dialect='mysql')[:60]}")


def isolation(name: str, value: Any) -> None:
    """transaction_isolation / tx_isolation: only REPEATABLE-READ is what the engine does."""
    text = str(value).upper().replace(" ", "-") if value is not None else None
    if text not in ("READ-UNCOMMITTED", "READ-COMMITTED", "REPEATABLE-READ", "SERIALIZABLE"):
        raise cannot_set(name, value)
    if text != "REPEATABLE-READ":
        raise refusals.not_yet(f"{name} {text}")


_KEYS = re.compile(r"^\s*TABLE\s+(`[^`]+`|\w+)(?:\s*\.\s*(`[^`]+`|\w+))?\s+(DISABLE|ENABLE)\s+KEYS"
                   r"\s*$", re.IGNORECASE)


def keys_toggle(session: Any, node: exp.Expression) -> bool:
    """``ALTER TABLE t DISABLE|ENABLE KEYS`` (every mysqldump table's data is wrapped in
    it): InnoDB has no such option and answers Note 1031, changing nothing; so does the
    engine, after checking the table exists (1146)."""
    if not isinstance(node, exp.Command) or str(node.this).upper() != "ALTER":
        return False
    m = _KEYS.match(str(node.expression or ""))
    if m is None:
        return False
    names = [n.strip("`") for n in m.groups()[:2] if n]
    db, name = (names[0], names[1]) if len(names) == 2 else (session.require_db(), names[0])
    with session.db.engine.snapshot() as snap:
        found = session.db.schema(snap).table(db, name) is not None
    if not found:
        raise ProgrammingError(f"Table '{db}.{name}' doesn't exist", errno=1146,
                               sqlstate="42S02")
    session.warn(1031, f"Table storage engine for '{name}' doesn't have this option", "Note")
    return True


def transaction_modes(node: exp.Transaction) -> bool:
    """START TRANSACTION's modes: whether it is READ ONLY.  WITH CONSISTENT SNAPSHOT is
    what every transaction is (its snapshot is taken at the first read, as InnoDB's
    REPEATABLE READ without it; the difference is only when)."""
    read_only = False
    for mode in node.args.get("modes") or []:
        text = " ".join(str(mode).upper().split())
        if text == "READ ONLY":
            read_only = True
        elif text not in ("READ WRITE", "WITH CONSISTENT SNAPSHOT"):
            raise refusals.not_yet(f"START TRANSACTION {text}")
    return read_only


def read_only_transaction() -> OperationalError:
    return OperationalError("Cannot execute statement in a READ ONLY transaction.",
                            errno=1792, sqlstate="25006")


def group_concat_limited(make_aggregate: Callable[..., Any], session: Any
                         ) -> Callable[..., Any]:
    """`make_aggregate` whose GROUP_CONCAT accumulators cut at the session's
    ``@@group_concat_max_len`` (read when each group starts, so a cached plan follows a
    later SET) and warn 1260 when they do, as mysqld; the cut was silent at 1024."""
    def make(name: str, distinct: bool = False, **kw: Any) -> Any:
        acc = make_aggregate(name, distinct, **kw)
        if hasattr(acc, "on_cut"):
            limit = session.ctx.system_variables.get("group_concat_max_len")
            if isinstance(limit, int):
                acc.max_len = limit
            acc.on_cut = lambda: _cut(session)
        return acc
    return make


def _cut(session: Any) -> None:
    n = sum(1 for w in session.warnings if w[1] == 1260) + 1
    session.warn(1260, f"Row {n} was cut by GROUP_CONCAT()")


def refuse_persist(item: exp.Expression) -> None:
    """SET PERSIST writes mysqld-auto.cnf for the next start; the engine has no such file,
    so the setting would last only for this session (it did, silently)."""
    kind = str(item.args.get("kind") or "").upper()
    target = item.this.this if isinstance(item.this, exp.EQ) else None
    if isinstance(target, exp.SessionParameter):
        kind = str(target.args.get("kind") or kind).upper()
    if kind in ("PERSIST", "PERSIST_ONLY"):
        raise refusals.not_yet(f"SET {kind}")
