"""Global variables kept in system.kdb (`m:var:<name>`), so a SET GLOBAL survives a restart.

TiDB keeps its GC settings in the cluster, not in the server's memory: `tidb_gc_life_time`,
`tidb_gc_run_interval` and `tidb_gc_enable` are GLOBAL-only (SET SESSION answers 1229) and
read back from storage by every session.  They are validated as TiDB's sysvar code does
(`pkg/sessionctx/variable/variable.go` `checkDurationSystemVar`, `sysvar.go`): a Go duration
in [10m0s, 8760h0m0s]; a shorter or longer one is clamped to the bound with warning 1292
("Truncated incorrect tidb_gc_life_time value: '1m'"); text that is no Go duration is
ERROR 1232; `tidb_gc_enable` takes ON/OFF/1/0/TRUE/FALSE (else 1231) and shows ON/OFF.  The
DDL worker's `tidb_ddl_reorg_batch_size` and `kintsugi_ddl_reorg_delay_ms` were lost at each
restart; they are kept the same way now (and `= DEFAULT` forgets them).

The SET GLOBALs of one statement are one durable write transaction of their own, committed
once every item of the SET has passed and before the statement returns (as TiDB writes
`mysql.global_variables`): not part of the session's transaction, so a ROLLBACK does not
undo it.  `db.global_vars` holds the values every session reads (`@@name`, SHOW
VARIABLES), loaded at open.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from core.catalog import gcranges
from core.catalog.store import SYSTEM
from core.errors import ProgrammingError
from core.sql import binlog_vars, refusals, sysvars
from core.txn import begin

MIN_GC_DURATION = 600.0  # TiDB: MinValue int64(time.Minute * 10)
MAX_GC_DURATION = 8760 * 3600.0  # TiDB: MaxValue uint64(time.Hour * 24 * 365)

# name -> (kind, default as sessions read it)
GC_VARIABLES: dict[str, tuple[str, Any]] = {
    "tidb_gc_life_time": ("duration", gcranges.format_duration(gcranges.DEFAULT_LIFE_TIME)),
    "tidb_gc_run_interval": ("duration",
                             gcranges.format_duration(gcranges.DEFAULT_RUN_INTERVAL)),
    "tidb_gc_enable": ("bool", "ON"),
}
# the DDL worker's throttles (resource limits clamped by Session._set_limit); their default
# is "not set": the worker's own (adaptive) batch size and no pause
REORG_VARIABLES: dict[str, int] = {"tidb_ddl_reorg_batch_size": 256,
                                   "kintsugi_ddl_reorg_delay_ms": 0}
NAMES = frozenset(GC_VARIABLES) | frozenset(REORG_VARIABLES) | binlog_vars.NAMES


def handles(name: str) -> bool:
    return name in NAMES


def load(db: Any) -> None:
    """`db.global_vars` (and the reorg throttles in `db.global_limits`) from system.kdb, at
    open.  A value that no longer parses (written by hand, or by an older version) reads as
    the default, as TiDB's relaxed validation of stored values does."""
    values: dict[str, Any] = {name: default for name, (_k, default) in GC_VARIABLES.items()}
    values.update(REORG_VARIABLES)
    with db.engine.snapshot() as snap:
        stored = gcranges.global_variables(snap)
    for name, text in stored.items():
        if name in GC_VARIABLES:
            try:
                values[name] = _normalise(name, text, None)
            except ProgrammingError:
                pass
        elif name in REORG_VARIABLES:
            try:
                n = int(text)
            except (TypeError, ValueError):
                continue
            values[name] = n
            db.global_limits[name] = n
    binlog_vars.load(db, stored, values)  # max_binlog_size, ..., read-only log_bin, ...
    db.global_vars = values


def current(view: Any, name: str) -> str:
    """A GC variable as stored at `view` (its default when never set), as TiDB shows it."""
    kind, default = GC_VARIABLES[name]
    text = gcranges.global_variable(view, name)
    if text is None:
        return default
    try:
        return _normalise(name, text, None)
    except ProgrammingError:
        return default


def gc_enabled(view: Any) -> bool:
    """Whether `tidb_gc_enable` is ON at `view` (the GC worker skips its rounds when OFF)."""
    return current(view, "tidb_gc_enable") == "ON"


def run_interval(view: Any) -> float:
    """`tidb_gc_run_interval` in seconds."""
    return gcranges.parse_duration(current(view, "tidb_gc_run_interval"))


def assign(session: Any, name: str, node: exp.Expression, scope: str) -> None:
    """SET [GLOBAL|SESSION] name = value for one of `NAMES`: validated now, written by
    `flush` once every item of the SET has passed (a failed SET changes nothing)."""
    if name in binlog_vars.NAMES:  # sql_log_bin (SESSION), max_binlog_size, ...
        assigned = binlog_vars.assign(session, name, node, scope)
        if assigned is not None:
            session.__dict__.setdefault("_global_writes", []).append((name, *assigned))
            session.ctx.system_variables[name] = assigned[1]
        return
    if str(scope).upper() != "GLOBAL":
        raise ProgrammingError(f"Variable '{name}' is a GLOBAL variable and should be set "
                               "with SET GLOBAL", errno=1229, sqlstate="HY000")
    db = session.db
    value = sysvars.value_of(session, node)
    is_default = isinstance(value, str) and value.upper() == "DEFAULT"
    if name in REORG_VARIABLES:
        if is_default:  # back to the worker's own default: the stored value is forgotten
            shown: Any = REORG_VARIABLES[name]
            text = None
        else:
            before = db.global_limits.get(name, _UNSET)
            session._set_limit(name, value, "GLOBAL")  # clamps (1292) or refuses (1232)
            shown = db.global_limits[name]
            text = str(shown)
            if before is _UNSET:  # ... and takes effect at flush, not before
                db.global_limits.pop(name, None)
            else:
                db.global_limits[name] = before
    else:
        shown = GC_VARIABLES[name][1] if is_default else _normalise(name, value, session)
        text = shown
    pending = session.__dict__.setdefault("_global_writes", [])
    pending.append((name, text, shown))
    session.ctx.system_variables[name] = shown


def flush(session: Any) -> None:
    """Write the SET GLOBALs `assign` accepted, in one durable transaction of their own,
    then make them every session's value (and the DDL worker's, for the reorg throttles)."""
    pending = session.__dict__.pop("_global_writes", None)
    if not pending:
        return
    _write(session, [(name, text) for name, text, _shown in pending])
    db = session.db
    for name, text, shown in pending:
        db.global_vars[name] = shown
        if name in REORG_VARIABLES:
            if text is None:
                db.global_limits.pop(name, None)
            else:
                db.global_limits[name] = shown
    binlog_vars.apply(db)  # the writer's max_size / expire_seconds


def discard(session: Any) -> None:
    """Forget what `assign` accepted (another item of the same SET failed)."""
    session.__dict__.pop("_global_writes", None)


_UNSET = object()


def _normalise(name: str, value: Any, session: Any | None) -> str:
    """The value TiDB would store: a duration clamped into range (warning 1292 through
    `session`), a boolean as ON/OFF."""
    kind = GC_VARIABLES[name][0]
    if kind == "bool":
        return "ON" if sysvars.boolean(name, value) else "OFF"
    text = "" if value is None else str(value)
    try:
        seconds = gcranges.parse_duration(text)
    except ValueError:
        raise ProgrammingError(f"Incorrect argument type to variable '{name}'", errno=1232,
                               sqlstate="42000") from None
    if seconds < MIN_GC_DURATION or seconds > MAX_GC_DURATION:
        if session is not None:
            session.warn(1292, f"Truncated incorrect {name} value: '{text}'")
        seconds = MIN_GC_DURATION if seconds < MIN_GC_DURATION else MAX_GC_DURATION
    return gcranges.format_duration(seconds)


def _write(session: Any, items: list[tuple[str, str | None]]) -> None:
    """One durable transaction of its own (None: forget the stored value).  The session's
    open transaction cannot be the one (a ROLLBACK would undo a SET GLOBAL), and while it
    holds the writer lock a second transaction on the same thread would wait for itself:
    that case is refused."""
    txn = getattr(session, "txn", None)
    if txn is not None and getattr(txn, "trx_id", None) is not None:
        raise refusals.not_yet(f"SET GLOBAL {items[0][0]} in a transaction that has written "
                               "(COMMIT or ROLLBACK first)")
    with begin(session.db.engine) as own:
        for name, text in items:
            if text is None:
                own.delete(SYSTEM, gcranges.VAR_PREFIX + name.encode())
            else:
                gcranges.put_global_variable(own, name, text)
