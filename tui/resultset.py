"""Result sets as Arrow tables (what the results grid pages through), and their export.

Rows arrive from the backend in chunks; each chunk becomes one Arrow array per column, so
a million rows cost a few dozen MB, not a Python tuple each.  Types are taken from the
values (ints, decimals, dates...); a column whose chunks disagree (a UNION of an int and a
string column) is shown as text.  Binary and TIME values are shown as MySQL prints them.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from typing import Any

import pyarrow as pa

from tui.format import cell

_TEXT_TYPES = (bytes, bytearray, memoryview, dt.timedelta, dt.time)


_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError, ValueError)


def _column_array(values: list, known: pa.DataType | None = None) -> pa.Array:
    """One chunk of one column.  `known` is the type of the column's earlier chunks: giving
    it to Arrow skips the inference, which for DECIMAL costs ten times the conversion."""
    if known is not None:
        try:
            return pa.array(values, type=known)
        except _ERRORS:
            pass
    if any(isinstance(v, _TEXT_TYPES) for v in values):
        return pa.array([None if v is None else cell(v) for v in values], type=pa.string())
    first = next((v for v in values if v is not None), None)
    if isinstance(first, Decimal) and first.is_finite():
        try:
            scale = max(0, -int(first.as_tuple().exponent))
            return pa.array(values, type=pa.decimal128(38, scale))
        except _ERRORS:
            pass
    try:
        arr = pa.array(values)
    except _ERRORS:
        return pa.array([None if v is None else cell(v) for v in values], type=pa.string())
    if pa.types.is_decimal(arr.type):
        arr = arr.cast(pa.decimal128(38, arr.type.scale))
    return arr


class ResultBuilder:
    """Accumulates a result set; keeps at most `max_rows` rows and counts all of them."""

    def __init__(self, names: list[str], max_rows: int | None = None):
        self.names = list(names)
        self.max_rows = max_rows
        self.total = 0  # rows seen
        self.kept = 0  # rows stored
        self._chunks: list[list[pa.Array]] = [[] for _ in names]

    @property
    def truncated(self) -> bool:
        return self.kept < self.total

    def add(self, rows: list[tuple]) -> None:
        self.total += len(rows)
        if self.max_rows is not None:
            room = self.max_rows - self.kept
            if room <= 0:
                return
            rows = rows[:room]
        if not rows:
            return
        self.kept += len(rows)
        columns = list(zip(*rows, strict=True)) if self.names else []
        for i, values in enumerate(columns):
            chunks = self._chunks[i]
            known = next((c.type for c in reversed(chunks) if not pa.types.is_null(c.type)),
                         None)
            chunks.append(_column_array(list(values), known))

    def table(self) -> pa.Table:
        """The rows kept so far, as one table (chunks are not copied)."""
        arrays = [_unify(chunks) for chunks in self._chunks]
        names = _unique(self.names)
        if not arrays:
            return pa.table({})
        return pa.Table.from_arrays(arrays, names=names)


def _unify(chunks: list[pa.Array]) -> pa.ChunkedArray:
    if not chunks:
        return pa.chunked_array([], type=pa.string())
    types = {c.type for c in chunks if not pa.types.is_null(c.type)}
    if not types:
        return pa.chunked_array(chunks, type=pa.null())
    if len(types) == 1:
        target = types.pop()
    elif all(pa.types.is_decimal(t) for t in types):
        target = pa.decimal128(38, max(t.scale for t in types))
    elif all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in types):
        target = pa.float64() if any(pa.types.is_floating(t) for t in types) else pa.int64()
    else:
        target = pa.string()
    out = []
    for c in chunks:
        if c.type == target:
            out.append(c)
            continue
        try:
            out.append(c.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            target = pa.string()
            return _as_text(chunks)
    return pa.chunked_array(out, type=target)


def _as_text(chunks: list[pa.Array]) -> pa.ChunkedArray:
    out = []
    for c in chunks:
        out.append(pa.array([None if v is None else cell(v) for v in c.to_pylist()],
                            type=pa.string()))
    return pa.chunked_array(out, type=pa.string())


def _unique(names: list[str]) -> list[str]:
    """The table's internal column names (Arrow's to_pylist drops a repeated name): the grid
    shows the real names (`ResultBuilder.names`), repeats and all, as the mysql client does."""
    from tui.export_writers import unique_names

    return unique_names(names)


# ------------------------------------------------------------------------------------------
# values as text, and export
# ------------------------------------------------------------------------------------------


def text_of(value: Any) -> str:
    """A value as the `mysql` client prints it (NULL for None, no thousands separators)."""
    return cell(value)


def export(table: pa.Table, path: str, fmt: str | None = None, progress=None,
           names: list[str] | None = None) -> int:
    """Write `table` to `path` (format from the extension, or `fmt`: a key of
    `tui.export_writers.FORMATS`) under the column names `names` (default: the table's).
    Returns the rows written.  See `tui.export_writers` for what each format holds."""
    from tui.export_file import table_chunks, write_export
    from tui.export_writers import BY_EXTENSION

    ext = os.path.splitext(path)[1].lower()
    fmt = (fmt or BY_EXTENSION.get(ext) or ext.lstrip(".") or "csv").lower()
    return write_export(path, fmt, names or table.column_names, table_chunks(table),
                        progress=progress)
