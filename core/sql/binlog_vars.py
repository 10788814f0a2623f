"""The binary log's system variables, as MySQL 8 has them.

Read-only, from the open binlog (`engine.binlog`, None with ``--skip-log-bin``): ``log_bin``
(ON/OFF), ``log_bin_basename`` (DIR/binlog), ``log_bin_index`` (DIR/binlog.index; both NULL
when off, as mysqld), ``server_uuid`` (the database's uuid, the one in its GTIDs),
``gtid_executed`` (refreshed at each statement); fixed: ``binlog_format=ROW``,
``binlog_row_image=FULL``, ``gtid_mode=ON``, ``enforce_gtid_consistency=ON`` (SET to another
value answers 1235, `core.sql.sysvars`), ``server_id=1``.

GLOBAL, kept in system.kdb like the GC variables (`core.sql.global_vars` stores them):
``binlog_expire_logs_seconds`` (0..4294967295, default 2592000) and ``max_binlog_size``
(4096..1073741824 in steps of 4096, default 1073741824).  Out of range or off a step, the
value is clamped with warning 1292 as mysqld's `getopt_ull_limit_value` does; text is 1232.
They are applied to the writer (`expire_seconds`, `max_size`) at open and at SET GLOBAL; the
open also expires old files, as mysqld's startup does.

SESSION-only ``sql_log_bin``: OFF keeps the session's transactions (rows and DDL) out of the
binary log.  The session marks each transaction it begins (`mark`, read by
`core.sql.binlog_capture`); a queued online DDL carries the mark in its job.  SET GLOBAL is
1228 and a change inside a transaction 1694, as mysqld.
"""

from __future__ import annotations

import os
from typing import Any

from sqlglot import exp

from core.errors import ProgrammingError
from core.sql import sysvars

# name -> (minimum, maximum, step, default)
SETTABLE: dict[str, tuple[int, int, int, int]] = {
    "binlog_expire_logs_seconds": (0, 4294967295, 1, 30 * 24 * 3600),
    "max_binlog_size": (4096, 1 << 30, 4096, 1 << 30),
}
NAMES = frozenset(SETTABLE) | {"sql_log_bin"}
FIXED: dict[str, Any] = {"binlog_format": "ROW", "binlog_row_image": "FULL",
                         "gtid_mode": "ON", "enforce_gtid_consistency": "ON", "server_id": 1}


def load(db: Any, stored: dict[str, str], values: dict[str, Any]) -> None:
    """At open: the stored SET GLOBALs (a value that no longer parses reads as the default)
    and the read-only variables into `values` (`db.global_vars`), applied to the writer."""
    for name, (lo, hi, step, default) in SETTABLE.items():
        values[name] = default
        text = stored.get(name)
        if text is not None:
            try:
                values[name] = _clamp(int(text), lo, hi, step)
            except (TypeError, ValueError):
                pass
    values.update(FIXED)
    binlog = db.engine.binlog
    on = binlog is not None
    base = os.path.join(os.path.abspath(db.engine.path), "binlog")
    values["log_bin"] = int(on)
    values["log_bin_basename"] = base if on else None
    values["log_bin_index"] = base + ".index" if on else None
    values["server_uuid"] = binlog.uuid if on else _uuid(db)
    values["gtid_executed"] = binlog.status()[2] if on else ""
    apply(db, values)
    if on:
        try:
            binlog.expire()  # mysqld purges expired files at startup too
        except OSError:
            pass  # the next rotation tries again


def _uuid(db: Any) -> str:
    try:
        from core.log.gtid import uuid_text

        return uuid_text(db.engine.uuid)
    except Exception:  # noqa: BLE001 - a read-only variable must never fail an open
        return ""


def apply(db: Any, values: dict[str, Any] | None = None) -> None:
    """Hand the writer its limits (at open, and after a SET GLOBAL is written)."""
    binlog = db.engine.binlog
    if binlog is None:
        return
    values = db.global_vars if values is None else values
    binlog.expire_seconds = int(values["binlog_expire_logs_seconds"])
    binlog.max_size = int(values["max_binlog_size"])


def mentions_gtids(text: str) -> bool:
    """Whether a statement may read @@gtid_executed (SELECT @@gtid_executed, SHOW
    VARIABLES, information_schema's variable tables): only those pay for the set's text,
    not every INSERT."""
    low = text.lower()
    return "gtid" in low or "variables" in low


def refresh(db: Any) -> None:
    """``@@gtid_executed`` as of now (every commit adds to it)."""
    binlog = db.engine.binlog
    if binlog is not None:
        seen = (id(binlog), binlog.written, len(binlog.files))
        if getattr(db, "_gtid_seen", None) == seen:  # no commit since: the text stands
            return
        db._gtid_seen = seen
        try:
            db.global_vars["gtid_executed"] = str(binlog.executed)
        except RuntimeError:  # the writer added a uuid meanwhile: ask under its lock
            db.global_vars["gtid_executed"] = binlog.status()[2]


def assign(session: Any, name: str, node: exp.Expression, scope: str
           ) -> tuple[str | None, Any] | None:
    """SET of one of `NAMES`.  sql_log_bin is set at once (None is returned); a GLOBAL one
    returns (text to store or None to forget it, value shown) for `global_vars` to write."""
    scope = str(scope).upper()
    value = sysvars.value_of(session, node)
    is_default = isinstance(value, str) and value.upper() == "DEFAULT"
    if name == "sql_log_bin":
        if scope == "GLOBAL":
            raise ProgrammingError("Variable 'sql_log_bin' is a SESSION variable and can't be "
                                   "used with SET GLOBAL", errno=1228, sqlstate="HY000")
        on = 1 if is_default else sysvars.boolean(name, value)
        if session.txn is not None:
            raise ProgrammingError("Cannot modify @@session.sql_log_bin inside a transaction",
                                   errno=1694, sqlstate="HY000")
        session.ctx.system_variables[name] = on
        return None
    if scope != "GLOBAL":
        raise ProgrammingError(f"Variable '{name}' is a GLOBAL variable and should be set "
                               "with SET GLOBAL", errno=1229, sqlstate="HY000")
    lo, hi, step, default = SETTABLE[name]
    if is_default:
        return None, default
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        raise ProgrammingError(f"Incorrect argument type to variable '{name}'", errno=1232,
                               sqlstate="42000")
    shown = _clamp(value, lo, hi, step)
    if shown != value:
        session.warn(1292, f"Truncated incorrect {name} value: '{value}'")
    return str(shown), shown


def _clamp(n: int, lo: int, hi: int, step: int) -> int:
    """mysqld's getopt_ull_limit_value: down to a multiple of the step, then into range."""
    if step > 1:
        n -= n % step
    return min(max(n, lo), hi)


def logging(session: Any) -> bool:
    """Whether the session's transactions go to the binary log (@@sql_log_bin)."""
    return bool(session.ctx.system_variables.get("sql_log_bin", 1))


def mark(session: Any, txn: Any) -> Any:
    """A transaction the session begins: kept out of the binary log under sql_log_bin=0."""
    if not logging(session):
        txn.binlog_skip = True
    return txn
