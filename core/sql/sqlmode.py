"""The session's ``sql_mode``: what ``SET [SESSION|GLOBAL] sql_mode`` accepts and what the
engine does with it.

``@@sql_mode`` used to be a constant claiming MySQL 8's default while ``SET sql_mode`` was
dropped without a word: a client that turned strict mode off, or relied on ONLY_FULL_GROUP_BY,
was told one thing and got another.  Now the value is the session's own and every mode in it
is either honoured or refused:

* honoured: ONLY_FULL_GROUP_BY (core.sql.plan.group_check), STRICT_TRANS_TABLES and
  STRICT_ALL_TABLES (every table is transactional here, so the two mean the same: without
  either, data errors in INSERT and UPDATE become warnings with MySQL's adjusted values, as
  IGNORE's), ERROR_FOR_DIVISION_BY_ZERO (without it a division by zero is NULL and silent);
* harmless: modes whose effect the engine has anyway, or that have nothing to act on here
  (NO_ZERO_IN_DATE, NO_ZERO_DATE: a zero date cannot be stored at all; NO_ENGINE_SUBSTITUTION,
  NO_DIR_IN_CREATE; TRADITIONAL is only strict modes and these);
* refused with 1235, changing nothing: the modes that change how SQL is parsed or what it
  means (ANSI_QUOTES, PIPES_AS_CONCAT, ...), which the engine would silently ignore.

A name MySQL does not know is 1231, as mysqld.  The stored text is normalised as mysqld
normalises it: upper case, MySQL's order (the modes' bit order), each name once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from core.errors import NotSupportedError, ProgrammingError

# MySQL 8's modes in their bit order (the order SELECT @@sql_mode lists them in).
ORDER = ("REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE", "NOT_USED",
         "ONLY_FULL_GROUP_BY", "NO_UNSIGNED_SUBTRACTION", "NO_DIR_IN_CREATE", "NOT_USED_9",
         "NOT_USED_10", "NOT_USED_11", "NOT_USED_12", "NOT_USED_13", "NOT_USED_14",
         "NOT_USED_15", "NOT_USED_16", "NOT_USED_17", "NOT_USED_18", "ANSI",
         "NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES",
         "STRICT_ALL_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE", "ALLOW_INVALID_DATES",
         "ERROR_FOR_DIVISION_BY_ZERO", "TRADITIONAL", "NOT_USED_29", "HIGH_NOT_PRECEDENCE",
         "NO_ENGINE_SUBSTITUTION", "PAD_CHAR_TO_FULL_LENGTH", "TIME_TRUNCATE_FRACTIONAL")
_RANK = {name: i for i, name in enumerate(ORDER)}
# the combination modes, as mysqld expands them (the name itself is kept in the list too)
_COMBINED = {
    "ANSI": ("REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE",
             "ONLY_FULL_GROUP_BY"),
    "TRADITIONAL": ("STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "NO_ZERO_IN_DATE",
                    "NO_ZERO_DATE", "ERROR_FOR_DIVISION_BY_ZERO", "NO_ENGINE_SUBSTITUTION"),
}
SUPPORTED = frozenset({
    "ONLY_FULL_GROUP_BY", "STRICT_TRANS_TABLES", "STRICT_ALL_TABLES",
    "ERROR_FOR_DIVISION_BY_ZERO", "NO_ZERO_IN_DATE", "NO_ZERO_DATE",
    "NO_ENGINE_SUBSTITUTION", "NO_DIR_IN_CREATE", "TRADITIONAL",
    "NO_AUTO_VALUE_ON_ZERO",  # core.sql.insert: 0 into an AUTO_INCREMENT column stays 0
})
DEFAULT = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
           "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION")
VARIABLE = "sql_mode"


def _cannot_set(value: str) -> ProgrammingError:
    return ProgrammingError(f"Variable 'sql_mode' can't be set to the value of '{value}'",
                            errno=1231, sqlstate="42000")


def normalise(value: Any) -> str:
    """The text ``SET sql_mode = value`` stores, or 1231 (unknown name, NULL) / 1235 (a mode
    the engine does not implement).  A number is a bit set, as mysqld reads it."""
    if value is None:
        raise _cannot_set("NULL")
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        if value < 0 or value >> len(ORDER):
            raise _cannot_set(str(value))
        names = [ORDER[i] for i in range(len(ORDER)) if value >> i & 1]
        if any(n.startswith("NOT_USED") for n in names):
            raise _cannot_set(str(value))
    else:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        written = [n.strip() for n in str(value).split(",") if n.strip()]
        for n in written:
            if n.upper() not in _RANK or n.upper().startswith("NOT_USED"):
                raise _cannot_set(n)  # as written, as mysqld quotes it
        names = [n.upper() for n in written]
    for n in names:
        if n not in SUPPORTED:
            raise NotSupportedError(
                f"This version of KintsugiDB doesn't yet support 'sql_mode {n}'",
                errno=1235, sqlstate="42000")
    full = set(names)
    for n in names:
        full.update(_COMBINED.get(n, ()))
    return ",".join(sorted(full, key=_RANK.__getitem__))


@lru_cache(maxsize=64)
def _flags(text: str) -> frozenset[str]:
    return frozenset(n for n in text.split(",") if n)


def modes(ctx: Any) -> frozenset[str]:
    """The modes in force for the evaluation context's session (its ``@@sql_mode``)."""
    sysvars = getattr(ctx, "system_variables", None)
    text = sysvars.get(VARIABLE) if isinstance(sysvars, dict) else None
    return _flags(DEFAULT if text is None else str(text))


def strict(ctx: Any) -> bool:
    """STRICT_TRANS_TABLES or STRICT_ALL_TABLES: data errors in writes are errors."""
    m = modes(ctx)
    return "STRICT_TRANS_TABLES" in m or "STRICT_ALL_TABLES" in m


def only_full_group_by(ctx: Any) -> bool:
    return "ONLY_FULL_GROUP_BY" in modes(ctx)


def division_by_zero_warns(ctx: Any) -> bool:
    """ERROR_FOR_DIVISION_BY_ZERO: without it MySQL gives NULL with no warning."""
    return "ERROR_FOR_DIVISION_BY_ZERO" in modes(ctx)


def set_item(session: Any, item: Any) -> bool:
    """``SET [SESSION|LOCAL|GLOBAL] sql_mode = v`` / ``SET @@[session.|global.]sql_mode =
    v``: stored and True; any other SET item: False (the caller handles it).  GLOBAL does
    what the engine's other settable globals do (see Session._set_limit): the session's
    value changes and later sessions start with it.  ``= DEFAULT`` is the global value."""
    from sqlglot import exp

    target = item.this
    if not isinstance(target, exp.EQ) or \
            not isinstance(target.this, (exp.Column, exp.SessionParameter)) or \
            target.this.name.lower() != VARIABLE:
        return False
    if isinstance(target.this, exp.SessionParameter):
        scope = str(target.this.args.get("kind") or "SESSION").upper()
    else:
        scope = str(item.args.get("kind") or "SESSION").upper()
    if scope not in ("SESSION", "LOCAL", "GLOBAL"):
        raise NotSupportedError(
            f"This version of KintsugiDB doesn't yet support 'SET {scope} sql_mode'",
            errno=1235, sqlstate="42000")
    rhs = target.expression
    globals_ = session.db.global_limits  # the starting values of new sessions
    if isinstance(rhs, exp.Var) and rhs.name.upper() == "DEFAULT":
        text = DEFAULT if scope == "GLOBAL" else globals_.get(VARIABLE, DEFAULT)
    else:
        text = normalise(session.constant(rhs))
    session.ctx.system_variables[VARIABLE] = text
    if scope == "GLOBAL":
        globals_[VARIABLE] = text
    return True


def write_warner(ctx: Any) -> Any:
    """The ``warn(errno, message)`` an adjusting INSERT/UPDATE reports data errors through.
    A string cut short is 1406 ("Data too long") when strict mode is on and IGNORE made it a
    warning, but 1265 ("Data truncated") on a non-strict server, as mysqld words them."""
    warn = ctx.warn
    if strict(ctx):
        return warn

    def non_strict(code: int, message: str) -> None:
        if code == 1406:
            code, message = 1265, message.replace("Data too long", "Data truncated", 1)
        warn(code, message)

    return non_strict
