"""Index key parts as a DDL writes them: a column, or the prefix of one (`KEY (a(10))`).

MySQL 8's prefix keys: an entry keeps the first N characters of a CHAR/VARCHAR/TEXT value
(utf8mb4: characters, not bytes) or the first N bytes of a BINARY/VARBINARY/BLOB one.  The
cut itself is `IndexInfo.key_values` (core.catalog.model), the one place every writer and
checker of entries takes it from; this module reads the lengths from the statement and
checks them as mysqld's `prepare_key_column` does, so a definition that MySQL refuses is
refused here with the same error:

* `a(0)`: 1391; a prefix on a column that is not a string (INT, DATE, ...), or longer than a
  CHAR/VARCHAR/BINARY/VARBINARY column: 1089;
* a TEXT/BLOB column without a prefix: 1170;
* a prefix as long as the column is no prefix at all (SHOW INDEX's Sub_part is NULL);
* a TEXT/BLOB prefix longer than the 3072 bytes a key part can hold: cut to fit with
  warning 1071 in a plain KEY, error 1071 in a UNIQUE or PRIMARY KEY.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from core.catalog.coltypes import BINARY_KINDS, CHAR_KINDS, TEXT_KINDS
from core.catalog.model import ColumnInfo
from core.errors import ProgrammingError
from core.sql import limits

__all__ = ["check_prefix", "key_part", "key_parts", "part_sql", "prefix_bytes"]

_FIXED = frozenset({"CHAR", "VARCHAR", "BINARY", "VARBINARY"})
_WRONG_SUB_KEY = ("Incorrect prefix key; the used key part isn't a string, the used length is "
                  "longer than the key part, or the storage engine doesn't support unique "
                  "prefix keys")


def key_part(e: Any) -> tuple[str, int | None]:
    """(column name, prefix length or None) of one key part node: `a`, `a DESC`, `a(10)`
    (a ColumnPrefix in CREATE TABLE / ALTER TABLE, a call-shaped node in CREATE INDEX)."""
    if isinstance(e, exp.Ordered):
        e = e.this
    if isinstance(e, (exp.Column, exp.Identifier)):
        return e.name, None
    length_node = None
    if isinstance(e, exp.ColumnPrefix) and isinstance(e.this, (exp.Identifier, exp.Column)):
        name, length_node = e.this.name, e.expression
    elif isinstance(e, exp.Anonymous) and len(e.expressions) == 1:
        name, length_node = e.name, e.expressions[0]
    if length_node is None or not isinstance(length_node, exp.Literal) or \
            length_node.is_string or not str(length_node.this).isdigit():
        raise ProgrammingError(f"unsupported key part: {e.sql(dialect='mysql')}", errno=1064,
                               sqlstate="42000")
    length = int(str(length_node.this))
    if length == 0:
        raise ProgrammingError(f"Key part '{name}' length cannot be 0", errno=1391,
                               sqlstate="HY000")
    return name, length


def key_parts(nodes: Sequence[Any]) -> tuple[list[str], list[int | None]]:
    """Column names and prefix lengths of a key's parts; the lengths are [] when no part
    has a prefix (the catalog's form for a whole-value index)."""
    parts = [key_part(e) for e in nodes]
    lengths = [n for _c, n in parts]
    return [c for c, _n in parts], lengths if any(n is not None for n in lengths) else []


def check_prefix(col: ColumnInfo, n: int | None, unique: bool,
                 warn: Callable[[int, str], None] | None = None) -> int | None:
    """A part's prefix length as stored (None: the whole value), after mysqld's checks (see
    the module's docstring); `warn` takes the warning of a plain KEY's cut prefix."""
    if n is None:
        return None
    t = col.type
    kind = t.kind
    if kind not in CHAR_KINDS and kind not in BINARY_KINDS:
        raise ProgrammingError(_WRONG_SUB_KEY, errno=1089, sqlstate="HY000")
    if kind in _FIXED:
        size = t.length or 1
        if n > size:
            raise ProgrammingError(_WRONG_SUB_KEY, errno=1089, sqlstate="HY000")
        return None if n == size else n
    per = 4 if kind in TEXT_KINDS else 1
    if n * per > limits.MAX_KEY_LENGTH:
        if unique or warn is None:
            raise limits.key_too_long()
        n = limits.MAX_KEY_LENGTH // per
        warn(1071, f"Specified key was too long; max key length is {limits.MAX_KEY_LENGTH} "
                   "bytes")
    return n


def prefix_bytes(col: ColumnInfo, length: int | None) -> int | None:
    """Bytes a prefix part adds to the key for the 3072-byte limit (None: not a prefix)."""
    if length is None:
        return None
    kind = col.type.kind
    return length if kind in BINARY_KINDS else 4 * length


def part_sql(quoted: str, length: int | None) -> str:
    """A key part as SHOW CREATE TABLE writes it: `a` or `a`(10)."""
    return quoted if length is None else f"{quoted}({length})"
