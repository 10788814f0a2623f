"""The values of ENUM and SET columns: a member's text that also knows its number.

An ENUM value is one member of the column's list, a SET value a subset of it.  MySQL stores
the number (the 1-based index of an ENUM member, 0 for the '' error value; the bitmask of a
SET, bit i-1 for member i) and shows the text; both matter at once: the text in string
context (``CONCAT(e, 'x')``, ``e = 'b'``, LIKE, the client), the number in numeric context
(``e + 0``, ``SUM(e)``, ``e = 2``), in ORDER BY and in index keys.  So a value is a `str`
(every string function works on it unchanged) carrying ``number``.

Rows keep both (msgpack extension types 6 and 7 in `core.codec.rows`), so a row decodes
without its table's definition, which no scan has at hand; index keys keep the number
alone (`core.codec.keys`), which is why an index on an ENUM orders as ORDER BY does, by
index, not alphabetically.  They live in the codec because the codec builds them on every
read; the rules that make them (matching members, strict-mode errors) are
`core.sql.types.enumset`'s.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EnumValue", "SetValue"]


class EnumValue(str):
    """An ENUM column's value: the member as declared, ``number`` its 1-based index."""

    number: int

    def __new__(cls, text: str, number: int) -> EnumValue:
        self = str.__new__(cls, text)
        self.number = number
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.number))


class SetValue(str):
    """A SET column's value: its members in declared order, comma-separated, ``number``
    the bitmask (bit 0 for the first member)."""

    number: int

    def __new__(cls, text: str, number: int) -> SetValue:
        self = str.__new__(cls, text)
        self.number = number
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.number))
