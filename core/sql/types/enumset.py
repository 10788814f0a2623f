"""ENUM and SET columns: storing into them with MySQL 8's strict-mode rules, and the keys an
index lookup uses for them.

A value is a `str` that knows its number (`core.codec.members`): an ENUM's 1-based index (0
for '', the value IGNORE stores for an invalid member), a SET's bitmask.  Why both and not
one: MySQL itself stores the number and shows the text, and SQL needs each in its place.
String context sees the member (``CONCAT(e, '')``, ``e = 'b'``, LIKE, the client); numeric
context sees the number (``e + 0``, ``SUM(e)``, ``e = 2``, CAST AS UNSIGNED), through the
``number`` attribute that `core.sql.types.convert` and `core.sql.types.comparison` consult
for values of no native type; ORDER BY and index keys sort by the number (MySQL sorts an
ENUM by its index, not alphabetically).  Storing the number alone would need the column's
member list at every read, and rows are decoded without their table's definition.

Matching a member: an ENUM value's trailing spaces are dropped (Field_enum::store), then
the member is found by its exact spelling or, failing that, case-insensitively, as
MySQL's default collation (utf8mb4_0900_ai_ci) finds it; the declared spelling is stored.
A number is the index (a SET's bitmask), and so is a string of digits that names no member.
Anything else is ERROR 1265 "Data truncated for column 'e' at row N"; INSERT/UPDATE IGNORE
store '' (ENUM) or the members that were valid (SET) with warning 1265.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from core.catalog.coltypes import MEMBER_KINDS, SqlType
from core.codec.members import EnumValue, SetValue
from core.errors import DataError
from core.sql.types.convert import to_str

__all__ = [
    "EnumValue",
    "SetValue",
    "is_member_kind",
    "key_kind",
    "key_value",
    "member_adjuster",
    "member_chars",
    "member_coercer",
    "member_default",
    "range_kind",
]

_DIGITS = re.compile(r"[ \t\n\r\f\v]*\+?[0-9]+\Z")

Coercer = Callable[[Any, str, int], Any]
Adjuster = Callable[[Any, DataError, str, int], tuple[Any, DataError]]


def _err_truncated(column: str, row: int) -> DataError:
    return DataError(f"Data truncated for column '{column}' at row {row}",
                     errno=1265, sqlstate="01000")


def is_member_kind(t: SqlType) -> bool:
    return t.kind in MEMBER_KINDS


class _Members:
    """One ENUM/SET member list with its lookups, built once per column type."""

    def __init__(self, t: SqlType):
        self.members: tuple[str, ...] = t.members or ()
        self.is_set = t.kind == "SET"
        self.exact = {m: i for i, m in enumerate(self.members, start=1)}
        self.folded: dict[str, int] = {}
        for i, m in enumerate(self.members, start=1):
            self.folded.setdefault(m.casefold(), i)
        self.enum_values = [EnumValue("", 0)] + [
            EnumValue(m, i) for i, m in enumerate(self.members, start=1)]
        self.full_mask = (1 << len(self.members)) - 1

    def find(self, s: str) -> int:
        """The 1-based position of member `s` (0: none)."""
        i = self.exact.get(s)
        if i is None:
            i = self.folded.get(s.casefold(), 0)
        return i

    def set_value(self, mask: int) -> SetValue:
        ms = self.members
        return SetValue(",".join(ms[i] for i in range(len(ms)) if mask >> i & 1), mask)

    def parse_set(self, s: str) -> tuple[int, bool]:
        """(bitmask of the members named in `s`, whether every part named one)."""
        if s == "":
            return 0, True
        mask, ok = 0, True
        for part in s.split(","):
            i = self.find(part.rstrip(" "))  # trailing spaces do not count (find_set)
            if i:
                mask |= 1 << (i - 1)
            else:
                ok = False
        return mask, ok


_LISTS: dict[SqlType, _Members] = {}


def _members_of(t: SqlType) -> _Members:
    m = _LISTS.get(t)
    if m is None:
        m = _LISTS[t] = _Members(t)
    return m


def _as_text(v: Any) -> str | None:
    """A value stored into an ENUM/SET by its text (None: it is a number)."""
    tv = type(v)
    if tv is str or tv is EnumValue or tv is SetValue:
        return v
    if tv is bytes:
        return v.decode("utf-8", "replace")
    if tv is int or tv is bool or tv is float or tv is Decimal:
        return None
    return to_str(v)


def _as_int(v: Any) -> int:
    # Field_enum::store(double) casts to longlong (truncation); a DECIMAL goes through double
    return int(v) if type(v) is not float else int(v) if v == v and abs(v) < 2e19 else -1


def member_coercer(t: SqlType) -> Coercer:
    """The strict-mode coercer of an ENUM or SET column (see the module docstring)."""
    ml = _members_of(t)
    if ml.is_set:
        return _set_coercer(ml)
    values, n = ml.enum_values, len(ml.members)

    def coerce_enum(v: Any, column: str, row: int) -> EnumValue:
        s = _as_text(v)
        if s is None:
            i = _as_int(v)
            if 1 <= i <= n:
                return values[i]
            raise _err_truncated(column, row)
        s = s.rstrip(" ")
        i = ml.find(s)
        if i:
            return values[i]
        if len(s) < 6 and _DIGITS.match(s):  # '2' is member 2; '0' is '' (no warning)
            i = int(s)
            if i <= n:
                return values[i]
        raise _err_truncated(column, row)

    return coerce_enum


def _set_coercer(ml: _Members) -> Coercer:
    full = ml.full_mask

    def coerce_set(v: Any, column: str, row: int) -> SetValue:
        s = _as_text(v)
        if s is None:
            mask = _as_int(v)
            if 0 <= mask <= full:
                return ml.set_value(mask)
            raise _err_truncated(column, row)
        mask, ok = ml.parse_set(s)
        if ok:
            return ml.set_value(mask)
        if not mask and len(s) < 22 and _DIGITS.match(s):  # '5' is the bitmask 5
            mask = int(s)
            if mask <= full:
                return ml.set_value(mask)
        raise _err_truncated(column, row)

    return coerce_set


def member_adjuster(t: SqlType) -> Adjuster:
    """What IGNORE stores instead of an invalid value: '' for an ENUM; for a SET, the
    members that were valid (a number: its bits that name members)."""
    ml = _members_of(t)

    def adjust(v: Any, e: DataError, column: str, row: int) -> tuple[Any, DataError]:
        if not ml.is_set:
            return ml.enum_values[0], e
        s = _as_text(v)
        if s is None:
            return ml.set_value(_as_int(v) & ml.full_mask), e
        return ml.set_value(ml.parse_set(s)[0]), e

    return adjust


def member_chars(t: SqlType) -> int | None:
    """information_schema.COLUMNS.CHARACTER_MAXIMUM_LENGTH of an ENUM (its longest member)
    or a SET (all members and their commas); None for other types."""
    if t.kind not in MEMBER_KINDS or not t.members:
        return None
    if t.kind == "ENUM":
        return max(len(m) for m in t.members)
    return sum(len(m) for m in t.members) + len(t.members) - 1


def member_default(t: SqlType) -> Any:
    """MySQL's implicit default: an ENUM's first member, the empty SET."""
    ml = _members_of(t)
    return ml.set_value(0) if ml.is_set else ml.enum_values[1]


# --- index keys ---------------------------------------------------------------------------------
# An ENUM/SET index orders by number.  An equality with a number (``e = 2``) looks the number
# up; an equality with a string (``e = 'b'``, which compares the text) looks up the member
# spelled exactly so, and a string no member is spelled as equals no row.  A range with a
# string compares text, which is not the index order: no key, the filter decides.


def key_kind(t: SqlType) -> Any:
    """What `core.sql.plan.access.key_value` gets as the kind of a column: the kind name,
    or for ENUM/SET the type itself (the lookup needs the members)."""
    return t if t.kind in MEMBER_KINDS else t.kind


def range_kind(kind: Any) -> Any:
    """The kind to convert a range bound with (ENUM/SET: numbers only)."""
    return ("range", kind) if isinstance(kind, SqlType) else kind


def key_value(v: Any, kind: Any, no_key: Any) -> Any:
    """`v` as a key of an ENUM/SET column (`kind` from `key_kind`/`range_kind`), or
    `no_key` when an index cannot be used for it."""
    ranged = type(kind) is tuple
    t: SqlType = kind[1] if ranged else kind
    tv = type(v)
    if tv is bool:
        return int(v)
    if tv is int:
        return v if -(1 << 63) <= v < (1 << 64) else no_key
    if tv is Decimal or tv is float:
        if tv is float and (v != v or abs(v) > 2 ** 53):
            return no_key
        return int(v) if v == int(v) else no_key
    if ranged:
        return no_key
    if tv is bytes:
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError:
            return no_key
    elif tv is not str and tv is not EnumValue and tv is not SetValue:
        return no_key
    s = str(v)
    ml = _members_of(t)
    if ml.is_set:
        mask, ok = ml.parse_set(s)
        if ok and ml.set_value(mask) == s:
            return mask
        return no_key
    if s == "":
        return 0
    i = ml.exact.get(s)
    return no_key if i is None else i
