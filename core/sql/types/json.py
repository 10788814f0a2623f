"""MySQL's JSON values: parsing with MySQL's errors, the canonical text, comparison and sort
order, and the conversion of SQL values into JSON.

A JSON value at run time is a `JsonText`: a ``str`` subclass whose text is MySQL's canonical
printing (``{"a": 1, "b": [1, 2]}``: object keys sorted by length then bytewise, ``", "`` and
``": "`` separators, the last of duplicate keys kept) and which carries the parsed document
(`JsonText.doc`, parsed lazily).  Being a ``str`` it goes everywhere a string goes (results,
CONCAT, GROUP_CONCAT, the dump, msgpack) with no conversion at the result boundary, and a
client sees exactly what mysqld sends; being its own class it is told apart from a string
where MySQL tells them apart: JSON_ARRAY embeds it instead of quoting it, comparisons follow
the JSON rules (``doc->'$.n' = 1`` compares numbers, ``doc->'$.s' = 'x'`` compares strings).

Storage: a JSON column stores the canonical *text* (a plain msgpack string), not the parsed
structure.  msgpack cannot keep what the JSON type distinguishes (an int from a DECIMAL, a
DATETIME scalar from a string, MySQL's key order), reading a row then needs no re-printing
(the common ``SELECT doc`` returns the stored text as is), the dump writes it as the string
literal that INSERT re-validates, and the row codec and the key codec stay untouched.  The
price is a parse when a path function reads a stored document, paid only by those calls.

Documents in Python: None (JSON null), bool, int, float (DOUBLE), Decimal, str, list, dict,
and the temporal scalars date/datetime/timedelta (MySQL's DATE/DATETIME/TIME inside JSON),
bytes (an opaque binary value).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json as _json
import math
import re
from decimal import Decimal
from typing import Any

from core.errors import DataError, ProgrammingError

__all__ = [
    "JsonText",
    "canonical",
    "dump_doc",
    "invalid_json_arg",
    "json_compare",
    "json_sort_key",
    "json_type_name",
    "parse_doc",
    "to_doc",
]

MAX_DEPTH = 100
_NUMBER_PREFIX = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INT64_MIN = -(1 << 63)
_UINT64_MAX = (1 << 64) - 1


class JsonError(Exception):
    """A JSON text that does not parse: rapidjson's message (as mysqld prints it) and the
    byte position.  Turned into 3140 (a column) or 3141 (a function argument) by callers."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


class JsonText(str):
    """A JSON value: its canonical text, with the document parsed on first use."""

    @classmethod
    def of(cls, doc: Any) -> JsonText:
        j = cls(dump_doc(doc))
        j._doc = doc
        return j

    @property
    def doc(self) -> Any:
        try:
            return self._doc
        except AttributeError:
            d = self._doc = _parse(str(self))
            return d

    # Between two JSON values, comparisons are the JSON comparison (1 = 1.0); against
    # anything else a JsonText is the string it is.  The hash is the text's; GROUP BY and
    # DISTINCT key JSON values with `json_group_key`, so 1 and 1.0 meet there.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonText):
            return str.__eq__(self, other) or json_compare(self.doc, other.doc) == 0
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: Any) -> bool:
        if isinstance(other, JsonText):
            return json_compare(self.doc, other.doc) < 0
        return str.__lt__(self, other)

    def __gt__(self, other: Any) -> bool:
        if isinstance(other, JsonText):
            return json_compare(self.doc, other.doc) > 0
        return str.__gt__(self, other)

    def __le__(self, other: Any) -> bool:
        if isinstance(other, JsonText):
            return json_compare(self.doc, other.doc) <= 0
        return str.__le__(self, other)

    def __ge__(self, other: Any) -> bool:
        if isinstance(other, JsonText):
            return json_compare(self.doc, other.doc) >= 0
        return str.__ge__(self, other)

    __hash__ = str.__hash__

    def __bool__(self) -> bool:
        """MySQL's truth of a JSON value (WHERE doc->'$.active'): true/false as they are,
        numbers non-zero, a string by its numeric prefix, null, arrays and objects false."""
        d = self.doc
        t = type(d)
        if t is bool:
            return d
        if t is int or t is float or t is Decimal:
            return d != 0
        if t is str:
            m = _NUMBER_PREFIX.match(d)
            return m is not None and float(m.group(0)) != 0
        return t in (_dt.date, _dt.datetime, _dt.timedelta)


# --- parsing --------------------------------------------------------------------------------


def _parse_int(s: str) -> int | float:
    n = int(s)
    if _INT64_MIN <= n <= _UINT64_MAX:
        return n
    return float(n)


def _parse_float(s: str) -> float:
    f = float(s)
    if math.isinf(f):
        raise ValueError("Number too big to be stored in double.")
    return f


def _no_constant(s: str) -> Any:
    raise ValueError("Invalid value.")


_DECODER = _json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float,
                             parse_constant=_no_constant)

_MESSAGES = (
    ("Expecting value", "Invalid value."),
    ("Extra data", "The document root must not be followed by other values."),
    ("Expecting property name", "Missing a name for object member."),
    ("Expecting ':'", "Missing a colon after a name of object member."),
    ("Unterminated string", "Missing a closing quotation mark in string."),
    ("Invalid control character", "Invalid encoding in string."),
    ("Invalid \\escape", "Invalid escape character in string."),
    ("Invalid \\uXXXX", "Incorrect hex digit after \\u escape in string."),
)


def _brackets(s: str):
    """The brackets of JSON text `s` outside its strings, in order."""
    in_str = esc = False
    for ch in s:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[]{}":
            yield ch


def _open_container(s: str, pos: int) -> str:
    """The innermost bracket open at `pos` ('{' or '['), skipping strings."""
    stack: list[str] = []
    for ch in _brackets(s[:pos]):
        if ch in "[{":
            stack.append(ch)
        elif stack:
            stack.pop()
    return stack[-1] if stack else "["


def _depth_ok(s: str) -> bool:
    if s.count("[") + s.count("{") <= MAX_DEPTH:
        return True
    depth = 0
    for ch in _brackets(s):
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        else:
            depth -= 1
    return True


def _parse(s: str) -> Any:
    """The document of JSON text `s`, or JsonError with rapidjson's message and the byte
    position mysqld reports."""
    if not s.strip(" \t\n\r"):
        raise JsonError("The document is empty.", len(s.encode("utf-8")))
    if not _depth_ok(s):
        raise _too_deep()
    try:
        doc, end = _DECODER.raw_decode(s, len(s) - len(s.lstrip(" \t\n\r")))
    except _json.JSONDecodeError as e:
        msg = "Invalid value."
        for prefix, text in _MESSAGES:
            if e.msg.startswith(prefix):
                msg = text
                break
        if e.msg.startswith("Expecting ','"):
            msg = ("Missing a comma or '}' after an object member."
                   if _open_container(s, e.pos) == "{"
                   else "Missing a comma or ']' after an array element.")
        raise JsonError(msg, len(s[:e.pos].encode("utf-8"))) from None
    except ValueError as e:
        raise JsonError(str(e) if str(e).endswith(".") else "Invalid value.", 0) from None
    except RecursionError:
        raise _too_deep() from None
    rest = s[end:]
    if rest.strip(" \t\n\r"):
        pos = end + len(rest) - len(rest.lstrip(" \t\n\r"))
        raise JsonError("The document root must not be followed by other values.",
                        len(s[:pos].encode("utf-8")))
    return doc


def _too_deep() -> DataError:
    return DataError("The JSON document exceeds the maximum depth.", errno=3157,
                     sqlstate="22032")


def _text_of(v: str | bytes) -> str:
    return v if isinstance(v, str) else v.decode("utf-8", "replace")


def parse_doc(v: Any, arg: int, func: str) -> Any:
    """The document of a JSON function's argument: a JSON value as it is, a string parsed
    (ERROR 3141 when it is no JSON), anything else ERROR 3146 (MySQL wants a JSON string or
    a JSON value).  NULL is the caller's business."""
    if isinstance(v, JsonText):
        return v.doc
    if isinstance(v, (str, bytes)):
        try:
            return _parse(_text_of(v))
        except JsonError as e:
            raise invalid_json_arg(e, arg, func) from None
    raise DataError(f"Invalid data type for JSON data in argument {arg} to function {func}; "
                    "a JSON string or JSON type is required.", errno=3146, sqlstate="22032")


def invalid_json_arg(e: JsonError, arg: int, func: str) -> DataError:
    return DataError(f'Invalid JSON text in argument {arg} to function {func}: '
                     f'"{e.message}" at position {e.pos}.', errno=3141, sqlstate="22032")


def is_valid(v: Any) -> bool:
    if isinstance(v, JsonText):
        return True
    if not isinstance(v, (str, bytes)):
        return False
    try:
        _parse(_text_of(v))
    except (JsonError, DataError):
        return False
    return True


def canonical(v: Any, column: str) -> str:
    """The text a JSON column stores for `v` (not NULL): a JSON value's text, a string
    validated and reprinted canonically; ERROR 3140 for anything else (mysqld: a number or
    a date must be CAST to JSON first)."""
    if isinstance(v, JsonText):
        return str(v)
    if isinstance(v, (str, bytes)):
        try:
            return dump_doc(_parse(_text_of(v)))
        except JsonError as e:
            raise _invalid_column(e.message, e.pos, column) from None
    raise _invalid_column("not a JSON text, may need CAST", 0, column)


def qualified_json_coercer(table: str) -> Any:
    """The coercer of a JSON column of `table`: ERROR 3140 names ``table.column``."""
    def coerce_json(v: Any, column: str, row: int) -> str:
        return canonical(v, f"{table}.{column}")

    return coerce_json


def _invalid_column(message: str, pos: int, column: str) -> DataError:
    return DataError(f'Invalid JSON text: "{message}" at position {pos} in value for column '
                     f"'{column}'.", errno=3140, sqlstate="22032")


# --- printing -------------------------------------------------------------------------------


def key_order(k: str) -> tuple[int, bytes]:
    b = k.encode("utf-8", "surrogatepass")
    return (len(b), b)


def sorted_keys(d: dict) -> list[str]:
    return sorted(d, key=key_order)


def _fmt_double(f: float) -> str:
    r = repr(f)
    if "e" in r:
        mant, _, ex = r.partition("e")
        sign = "-" if ex.startswith("-") else ""
        return f"{mant}e{sign}{ex.lstrip('+-').lstrip('0') or '0'}"
    if "." not in r and "n" not in r:
        r += ".0"
    return r


def _fmt_time(td: _dt.timedelta) -> str:
    total = td.days * 86400 + td.seconds
    sign = "-" if total < 0 or (total == 0 and td.microseconds < 0) else ""
    us = abs(total * 1_000_000 + td.microseconds)
    secs, frac = divmod(us, 1_000_000)
    h, rem = divmod(secs, 3600)
    return f"{sign}{h:02d}:{rem // 60:02d}:{rem % 60:02d}.{frac:06d}"


def _quote(s: str) -> str:
    return _json.dumps(s, ensure_ascii=False)


def dump_doc(doc: Any) -> str:
    """MySQL's printing of a JSON document."""
    t = type(doc)
    if t is str:
        return _quote(doc)
    if t is int:
        return str(doc)
    if doc is None:
        return "null"
    if t is bool:
        return "true" if doc else "false"
    if t is float:
        return _fmt_double(doc)
    if t is Decimal:
        return str(doc)
    if t is list:
        return "[" + ", ".join(dump_doc(x) for x in doc) + "]"
    if t is dict:
        return "{" + ", ".join(f"{_quote(k)}: {dump_doc(doc[k])}"
                               for k in sorted_keys(doc)) + "}"
    if t is _dt.datetime:
        return '"' + doc.strftime("%Y-%m-%d %H:%M:%S.") + f'{doc.microsecond:06d}"'
    if t is _dt.date:
        return '"' + doc.isoformat() + '"'
    if t is _dt.timedelta:
        return '"' + _fmt_time(doc) + '"'
    if t is bytes:
        return '"base64:type15:' + base64.b64encode(doc).decode("ascii") + '"'
    return _quote(str(doc))


def scalar_text(doc: Any) -> str:
    """JSON_UNQUOTE of a document: a string's characters, any other value's JSON text."""
    if type(doc) is str:
        return doc
    text = dump_doc(doc)
    if type(doc) in (_dt.date, _dt.datetime, _dt.timedelta, bytes):
        return text[1:-1]
    return text


# --- SQL values into JSON -------------------------------------------------------------------


def to_doc(v: Any) -> Any:
    """The JSON value of an SQL value given to JSON_ARRAY, JSON_OBJECT, JSON_SET, ...: a JSON
    value as it is, a string as a JSON string (not parsed), numbers and temporals as
    themselves, NULL as JSON null."""
    if isinstance(v, JsonText):
        return v.doc
    t = type(v)
    if t is str or v is None or t is int or t is float or t is Decimal or t is bool:
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (_dt.date, _dt.timedelta)):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, int):
        return int(v)
    return str(v)


def sql_scalar(v: Any) -> Any:
    """A JSON value as the SQL value a numeric or temporal CAST starts from: a number as
    itself, true/false as 1/0, a string's characters; anything else its JSON text."""
    if not isinstance(v, JsonText):
        return v
    d = v.doc
    t = type(d)
    if t is bool:
        return int(d)
    if t in (int, float, Decimal, str, _dt.date, _dt.datetime, _dt.timedelta):
        return d
    return str(v)


def cast_to_json(v: Any) -> JsonText:
    """CAST(v AS JSON): a string is parsed (ERROR 3141 naming cast_as_json), other values
    are converted as `to_doc` does."""
    if isinstance(v, JsonText):
        return v
    if isinstance(v, (str, bytes)):
        return JsonText.of(parse_doc(v, 1, "cast_as_json"))
    return JsonText.of(to_doc(v))


# --- comparison -----------------------------------------------------------------------------

# MySQL's order of JSON types (lowest first): NULL, numbers, STRING, OBJECT, ARRAY, BOOLEAN,
# DATE, TIME, DATETIME, OPAQUE.
def _rank(d: Any) -> int:
    t = type(d)
    if d is None:
        return 0
    if t is bool:
        return 5
    if t is int or t is float or t is Decimal:
        return 1
    if t is str:
        return 2
    if t is dict:
        return 3
    if t is list:
        return 4
    if t is _dt.datetime:
        return 8
    if t is _dt.date:
        return 6
    if t is _dt.timedelta:
        return 7
    return 9


def json_compare(a: Any, b: Any) -> int:
    """-1, 0 or 1: MySQL's comparison of two JSON documents (types by precedence, then
    numbers numerically, strings bytewise, arrays element by element, objects equal when
    they hold the same members)."""
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 2:
        ab, bb = a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
        return (ab > bb) - (ab < bb)
    if ra == 4:
        for x, y in zip(a, b, strict=False):
            c = json_compare(x, y)
            if c:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    if ra == 3:
        if len(a) != len(b):
            return -1 if len(a) < len(b) else 1
        ka, kb = sorted_keys(a), sorted_keys(b)
        if ka != kb:
            x, y = [key_order(k) for k in ka], [key_order(k) for k in kb]
            return -1 if x < y else 1
        for k in ka:
            c = json_compare(a[k], b[k])
            if c:
                return c
        return 0
    if ra == 0:
        return 0
    if ra == 9:
        x, y = dump_doc(a), dump_doc(b)
        return (x > y) - (x < y)
    return (a > b) - (a < b)


def compare_with_sql(j: JsonText, v: Any) -> int:
    """A JSON value against a non-JSON SQL value: the SQL value converted to JSON (a string
    stays a string), then the JSON comparison."""
    return json_compare(j.doc, to_doc(v))


def json_sort_key(doc: Any) -> tuple:
    """ORDER BY key of a JSON document, consistent with `json_compare` for scalars and
    arrays (objects order by their text)."""
    r = _rank(doc)
    if r == 0:
        return (0,)
    if r == 2:
        return (2, doc.encode("utf-8", "surrogatepass"))
    if r == 4:
        return (4, tuple(json_sort_key(x) for x in doc))
    if r == 3 or r == 9:
        return (r, dump_doc(doc))
    if r == 6:
        return (6, _dt.datetime(doc.year, doc.month, doc.day))
    return (r, doc)


def json_type_name(doc: Any) -> str:
    """JSON_TYPE's answer."""
    t = type(doc)
    if doc is None:
        return "NULL"
    if t is bool:
        return "BOOLEAN"
    if t is int:
        return "UNSIGNED INTEGER" if doc > (1 << 63) - 1 else "INTEGER"
    if t is float:
        return "DOUBLE"
    if t is Decimal:
        return "DECIMAL"
    if t is str:
        return "STRING"
    if t is dict:
        return "OBJECT"
    if t is list:
        return "ARRAY"
    if t is _dt.datetime:
        return "DATETIME"
    if t is _dt.date:
        return "DATE"
    if t is _dt.timedelta:
        return "TIME"
    return "BLOB"


def wrong_arguments(func: str) -> ProgrammingError:
    return ProgrammingError(f"Incorrect arguments to {func}", errno=1210, sqlstate="HY000")


def json_group_key(j: JsonText) -> tuple:
    """The GROUP BY / DISTINCT key of a JSON value: equal exactly when the values are equal
    by JSON comparison (``1`` and ``1.0`` meet; objects whatever their key order; true is
    not 1), which the canonical text alone does not give."""
    return ("\0json", _frozen(j.doc))


def _frozen(doc: Any) -> Any:
    if isinstance(doc, bool):
        return ("\0bool", doc)
    if isinstance(doc, dict):
        return frozenset((k, _frozen(x)) for k, x in doc.items())
    if isinstance(doc, list):
        return tuple(_frozen(x) for x in doc)
    return doc
