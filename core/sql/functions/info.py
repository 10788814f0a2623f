"""Information functions: DATABASE(), VERSION(), CONNECTION_ID(), LAST_INSERT_ID(), USER(),
ROW_COUNT(), FOUND_ROWS(), and the volatile UUID() and SLEEP().  The context-reading ones
take the statement's `EvalContext` at evaluation time and are never constant-folded.
`VERSION` is also the default of the ``version`` system variable (`core.sql.expr.scope`).
"""

from __future__ import annotations

import time as _time
import uuid
from typing import Any

from core.sql.functions.registry import _reg
from core.sql.types import to_double, to_int

VERSION = "8.0.11-KintsugiDB"


@_reg("DATABASE SCHEMA", 0, context=True, strict=False)
def fn_database(ctx: Any) -> str | None:
    return getattr(ctx, "current_db", None)


@_reg("VERSION", 0, context=True, strict=False)
def fn_version(ctx: Any) -> str:
    return getattr(ctx, "version", VERSION)


@_reg("CONNECTION_ID", 0, context=True, strict=False)
def fn_connection_id(ctx: Any) -> int:
    return getattr(ctx, "connection_id", 1)


@_reg("LAST_INSERT_ID", 0, 1, context=True, strict=False)
def fn_last_insert_id(ctx: Any, *args: Any) -> Any:
    """LAST_INSERT_ID() reads ``ctx.last_insert_id``; LAST_INSERT_ID(expr) returns `expr` and
    stores it there for the session to pick up (MySQL's idiom for sequence tables)."""
    if args:
        v = args[0]
        if v is not None:
            ctx.last_insert_id = to_int(v)
        return v
    return getattr(ctx, "last_insert_id", 0)


@_reg("USER CURRENT_USER SESSION_USER SYSTEM_USER", 0, context=True, strict=False)
def fn_user(ctx: Any) -> str:
    return getattr(ctx, "user", "root@localhost")


@_reg("ROW_COUNT", 0, context=True, strict=False)
def fn_row_count(ctx: Any) -> int:
    return getattr(ctx, "row_count", -1)


@_reg("FOUND_ROWS", 0, context=True, strict=False)
def fn_found_rows(ctx: Any) -> int:
    return getattr(ctx, "found_rows", 0)


@_reg("UUID", 0, volatile=True)
def fn_uuid() -> str:
    return str(uuid.uuid1())


@_reg("SLEEP", 1, volatile=True)
def fn_sleep(n: Any) -> int:
    _time.sleep(max(0.0, to_double(n)))
    return 0
