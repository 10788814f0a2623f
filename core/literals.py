"""SQL text of values and names that reads back to the same thing: what `kintsugi dump`
writes in its INSERTs and `kintsugi binlog` in its replayable statements.

It sits apart from both (which are independent layers) and needs nothing of the engine:
values arrive as a cursor or the row codec gives them.  Strings are escaped as
mysql_real_escape_string does, bytes become ``X'..'``, floats `repr` (which round-trips),
decimals plain notation, temporal values quoted, JSON documents their text.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["comment_text", "quote_identifier", "sql_literal", "time_text"]


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def comment_text(text: str) -> str:
    """`text` made safe for a `-- ` comment line: a comment ends at the line's end, so a
    newline in a directory or table name would end it and run the rest of the name as SQL.
    Control characters are written as escapes (\\n, \\x01) instead."""
    def escape(m: re.Match) -> str:
        ch = m.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{ord(ch):02x}")

    return _CONTROL.sub(escape, text)


_ESCAPES = str.maketrans({
    "\0": "\\0", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "'": "\\'", '"': '\\"',
    "\x1a": "\\Z",
})


def sql_literal(value: Any) -> str:
    """`value` (as a cursor returns it) as a SQL literal that reads back to the same value."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "NULL"  # not storable; a column cannot hold one
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        if value == "" and getattr(value, "number", None) == 0:
            return "'0'"  # an ENUM's '' error value (index 0): '' would not store again
        return "'" + value.translate(_ESCAPES) + "'"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'" + bytes(value).hex().upper() + "'"
    if isinstance(value, _dt.datetime):
        return "'" + value.isoformat(sep=" ") + "'"
    if isinstance(value, _dt.date):
        return "'" + value.isoformat() + "'"
    if isinstance(value, _dt.timedelta):
        return "'" + time_text(value) + "'"
    if isinstance(value, _dt.time):
        return "'" + value.isoformat() + "'"
    if isinstance(value, (dict, list)):
        return sql_literal(json.dumps(value, ensure_ascii=False))
    return sql_literal(str(value))


def time_text(td: _dt.timedelta) -> str:
    """MySQL's TIME text ([-]HHH:MM:SS[.ffffff]) of a timedelta."""
    micros = td.days * 86_400_000_000 + td.seconds * 1_000_000 + td.microseconds
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    secs, frac = divmod(micros, 1_000_000)
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{text}.{frac:06d}" if frac else text
