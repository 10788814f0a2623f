"""What one statement returns.  Its own module so that the statement runners (DDL, DML, SHOW,
information_schema) can build one without importing the session that calls them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """What one statement returns: a result set (names + rows) or a row count.  A query run
    for an unbuffered cursor has `stream` (a `core.sql.stream.RowStream`) instead of rows."""

    names: list[str] | None = None
    rows: list[list] | None = None
    rowcount: int = -1
    lastrowid: int | None = None
    origins: list[Any] = field(default_factory=list)
    message: str = ""
    stream: Any = None
