"""TiDB's words for an index that disagrees with its rows: the errors (8223, 8003, 8133) and
the way TiDB prints the values in them.

TiDB users grep their logs for these texts, so they are reproduced exactly (pingcap/tidb
`pkg/errno/errname.go` templates, `pkg/util/logutil/consistency/reporter.go` RecordData,
`types.Datum.String()`): a row's or an entry's values print as
``handle: 10, values: [KindInt64 20 KindString ab]``; a clustered handle as ``{v1, v2}``.

Here (not in core.admin) because the SQL layer raises 8133 when a query meets a dangling
entry, and core.sql may import core.check but not core.admin.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from collections.abc import Sequence
from typing import Any

from core.errors import DatabaseError


class DataInconsistencyError(DatabaseError):
    """ERROR 8223 (HY000): an index entry and its row disagree (ADMIN CHECK)."""

    errno = 8223
    sqlstate = "HY000"


class IndexCountMismatchError(DatabaseError):
    """ERROR 8003 (HY000): ADMIN CHECK INDEX found more rows than entries or the reverse."""

    errno = 8003
    sqlstate = "HY000"


class InconsistentIndexReadError(DatabaseError):
    """ERROR 8133 (HY000): a read through an index met an entry whose row is gone."""

    errno = 8133
    sqlstate = "HY000"


# --- values as TiDB prints them ------------------------------------------------------------

_INT64_MAX = (1 << 63) - 1


def go_float(f: float) -> str:
    """Go's `%v` of a float64 (strconv 'g' with the shortest digits, exponent form below
    1e-4 and from 1e+06 on): 1.5, 100000, 1e+06, 1.5e-07."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign, digits, exp = _decimal.Decimal(repr(f)).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exp = int(exp) + len(digits) - len(ds)  # value = ds * 10**exp
    x = len(ds) + exp - 1  # decimal exponent of the first digit
    neg = "-" if sign else ""
    if x < -4 or x >= 6:
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return f"{neg}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if exp >= 0:
        return neg + ds + "0" * exp
    point = len(ds) + exp
    if point > 0:
        return neg + ds[:point] + "." + ds[point:]
    return neg + "0." + "0" * (-point) + ds


def _time_text(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        return text + (f".{v.microsecond:06d}" if v.microsecond else "")
    if isinstance(v, _dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


def _duration_text(v: Any) -> str:
    if isinstance(v, _dt.time):
        text = f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        return text + (f".{v.microsecond:06d}" if v.microsecond else "")
    micros = (v.days * 86_400 + v.seconds) * 1_000_000 + v.microseconds
    sign = "-" if micros < 0 else ""
    secs, us = divmod(abs(micros), 1_000_000)
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}" + (f".{us:06d}" if us else "")


def datum_text(v: Any, unsigned: bool = False) -> str:
    """One value as TiDB's `Datum.String()`: its kind, a space, its value."""
    if v is None:
        return "KindNull <nil>"
    if isinstance(v, bool):
        return f"KindInt64 {int(v)}"
    if isinstance(v, int):
        return f"KindUint64 {v}" if unsigned or v > _INT64_MAX else f"KindInt64 {v}"
    if isinstance(v, float):
        return f"KindFloat64 {go_float(v)}"
    if isinstance(v, str):
        return f"KindString {v}"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "KindBytes [" + " ".join(str(b) for b in bytes(v)) + "]"
    if isinstance(v, _decimal.Decimal):
        return f"KindMysqlDecimal {format(v, 'f')}"
    if isinstance(v, (_dt.datetime, _dt.date)):
        return f"KindMysqlTime {_time_text(v)}"
    if isinstance(v, (_dt.time, _dt.timedelta)):
        return f"KindMysqlDuration {_duration_text(v)}"
    return f"KindInterface {v}"


def _plain(v: Any) -> str:
    """A value as TiDB's `Datum.ToString()` (the parts of a clustered handle)."""
    if v is None:
        return ""
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, _decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (_dt.datetime, _dt.date)):
        return _time_text(v)
    if isinstance(v, (_dt.time, _dt.timedelta)):
        return _duration_text(v)
    return str(v)


def handle_text(handle: int | bytes | None) -> str:
    """A handle as TiDB prints it: an int, or a clustered key's values as `{v1, v2}`."""
    if handle is None:
        return "?"
    if isinstance(handle, (bytes, bytearray, memoryview)):
        from core.codec import decode_values

        try:
            return "{" + ", ".join(_plain(v) for v in decode_values(bytes(handle))) + "}"
        except Exception:  # noqa: BLE001 - a message: show the bytes
            return "0x" + bytes(handle).hex()
    return str(handle)


def values_text(values: Sequence[Any], unsigned: Sequence[bool] = ()) -> tuple[str, ...]:
    """Each value's `datum_text` (`unsigned[i]`: the column is unsigned: KindUint64)."""
    return tuple(datum_text(v, i < len(unsigned) and unsigned[i])
                 for i, v in enumerate(values))


def record_text(handle_str: str, values: Sequence[str] | None) -> str:
    """TiDB's `RecordData.String()`: `handle: h, values: [KindInt64 1 ...]`, or "" for the
    side that is absent (a missing entry, a row that is gone)."""
    if values is None:
        return ""
    return f"handle: {handle_str}, values: [{' '.join(values)}]"


def go_quote(s: str) -> str:
    """Go's `%#v` of a string: double-quoted, with Go's escapes."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


# --- the errors ----------------------------------------------------------------------------


def data_inconsistency_error(table: str, index: str, handle_str: str,
                             index_values: Sequence[str] | None,
                             row_values: Sequence[str] | None) -> DataInconsistencyError:
    """8223 for one disagreement: `index_values` None for a missing entry, `row_values`
    None for a dangling one (TiDB prints "" for the absent side)."""
    return DataInconsistencyError(
        f"data inconsistency in table: {table}, index: {index}, handle: {handle_str}, "
        f"index-values:{go_quote(record_text(handle_str, index_values))} != "
        f"record-values:{go_quote(record_text(handle_str, row_values))}")


def count_mismatch_error(index: str, table_count: int,
                         index_count: int) -> IndexCountMismatchError:
    """8003, what TiDB's ADMIN CHECK INDEX answers when the counts differ."""
    return IndexCountMismatchError(
        f"table count {table_count} != index({index}) count {index_count}")


def inconsistent_index_error(table: str, index: str, index_count: int,
                             record_count: int) -> InconsistentIndexReadError:
    """8133, for a query that read `index_count` entries of `index` and found only
    `record_count` of their rows (TiDB's IndexLookUp check)."""
    return InconsistentIndexReadError(
        f"data inconsistency in table: {table}, index: {index}, index-count:{index_count} "
        f"!= record-count:{record_count}")
