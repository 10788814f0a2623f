"""Writers that turn result rows into a file as they come: CSV, JSON, JSON lines, SQL INSERT
statements and a Markdown table.

A writer is fed chunks of rows (tuples, in the result's column order) and never holds more
than the chunk it is given, so an export of the whole result (the statement re-run, its rows
streamed from the database) writes a hundred-million-row result in constant memory.  Every
value becomes text through `tui.format.cell`, the one place the console turns a value into
text: a file reads the same digits as the grid and the `mysql` client.

What each format holds:

* CSV: a header line with the column names as the statement gave them (a repeated name
  stays repeated), NULL as an empty field, every other value as the mysql client prints it.
* JSON: one array of objects.  An object cannot hold a key twice, so a repeated column name
  gets a suffix there only (`id`, `id_2`); DECIMAL values are strings (exact, with their
  scale), dates and times are text, binary data is text when it is UTF-8 and `0x...` hex
  otherwise (as the grid shows it).
* JSON lines: the same objects, one per line (no enclosing array): a file that can be read
  a line at a time.
* SQL: `INSERT INTO `table` (`a`, `b`) VALUES (...), (...);` with at most
  `INSERT_ROWS` rows per statement; strings quoted with MySQL's escapes, NULL as NULL,
  binary data as X'..', DECIMAL in plain digits, dates and times as quoted text.
* Markdown: a GitHub table; `|` in a value is escaped, line breaks become `<br>`, NULL is
  written as NULL.

The rows shown are written as the grid holds them ("as displayed"): binary and TIME values
are text there already (`0x00ff`, `-01:00:00`).  Their SQL INSERTs must still read back as
the database's values: a binary value the grid shows as `0x..` hex is written as X'..'
(`BinarySeen` notes which columns held such values while the rows came); a column where the
hex cannot be told from text (binary data that was itself text like `0x41`) is refused.
The whole result (the statement run again) writes the database's own values.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from tui.format import cell

INSERT_ROWS = 100  # rows per INSERT statement (mysqldump's extended insert, kept readable)


@dataclass(frozen=True, slots=True)
class Format:
    key: str
    label: str  # what the export dialog offers
    extension: str  # with its dot


FORMATS: dict[str, Format] = {f.key: f for f in (
    Format("csv", "CSV (a header line; NULL as an empty field)", ".csv"),
    Format("json", "JSON (an array of objects)", ".json"),
    Format("jsonl", "JSON lines (one object per line)", ".jsonl"),
    Format("sql", "SQL INSERT statements", ".sql"),
    Format("markdown", "Markdown table", ".md"),
)}
BY_EXTENSION = {f.extension: f.key for f in FORMATS.values()}


def unique_names(names: Sequence[str]) -> list[str]:
    """Names made unique for a place that needs them so (JSON keys): the second `id` is
    `id_2`, skipping a suffix another column already has."""
    taken = set(names)
    seen: dict[str, int] = {}
    out: list[str] = []
    for n in names:
        k = seen.get(n, 0) + 1
        seen[n] = k
        if k == 1:
            out.append(n)
            continue
        while f"{n}_{k}" in taken:
            k += 1
        taken.add(f"{n}_{k}")
        out.append(f"{n}_{k}")
    return out


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def table_reference(name: str) -> str:
    """The table name the user typed for INSERT statements, as SQL: `db.t` becomes
    `db`.`t`; a name the user wrote with backquotes is taken as written."""
    name = name.strip()
    if "`" in name:
        return name
    return ".".join(quote_identifier(p) for p in name.split("."))


_SQL_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r",
                              "\x00": "\\0", "\x1a": "\\Z"})


def sql_literal(v: Any) -> str:
    """A value as a MySQL literal that reads back as the same value."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return cell(v) if math.isfinite(v) else "NULL"  # MySQL has no inf/nan DOUBLE
    if isinstance(v, Decimal):
        return cell(v) if v.is_finite() else "NULL"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "X'" + bytes(v).hex().upper() + "'"
    if isinstance(v, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return "'" + cell(v) + "'"
    return "'" + str(v).translate(_SQL_ESCAPES) + "'"


def json_value(v: Any) -> Any:
    """A value as JSON: numbers stay numbers, except DECIMAL (a string: exact, in plain
    digits with its scale, not 1E-7) and a float JSON cannot hold (inf, nan: text)."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else cell(v)
    return cell(v)


def text_value(v: Any) -> str:
    """A value as text in CSV and Markdown (NULL handled by the writer)."""
    return cell(v)


_HEX = re.compile(r"0x(?:[0-9a-f]{2})*")


class BinarySeen:
    """Which columns of the rows kept for the grid held binary data, noted as they come
    (the grid's table holds only its text): `hex` the columns where some value was shown as
    `0x..` hex (not UTF-8), `ambiguous` those where a UTF-8 value's text also reads as hex."""

    def __init__(self) -> None:
        self.hex: set[int] = set()
        self.ambiguous: set[int] = set()

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        for r in rows:
            for i, v in enumerate(r):
                if isinstance(v, (bytes, bytearray, memoryview)):
                    text = cell(bytes(v))
                    if not text.startswith("0x"):
                        continue
                    if bytes(v).startswith(b"0x"):
                        self.ambiguous.add(i)
                    else:
                        self.hex.add(i)


def hex_literal(v: Any) -> str:
    """A binary value the grid shows as `0x..` text, as the X'..' literal of its bytes."""
    if isinstance(v, str) and _HEX.fullmatch(v):
        return "X'" + v[2:].upper() + "'"
    return sql_literal(v)


class Writer:
    """Base: `begin()`, then `rows()` for each chunk, then `end()`."""

    def __init__(self, f: TextIO, names: Sequence[str]) -> None:
        self.f = f
        self.names = list(names)

    def begin(self) -> None: ...

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    def end(self) -> None: ...


class CsvWriter(Writer):
    def begin(self) -> None:
        self._csv = csv.writer(self.f)
        self._csv.writerow(self.names)

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._csv.writerows(["" if v is None else text_value(v) for v in r] for r in rows)


class JsonWriter(Writer):
    def begin(self) -> None:
        self._keys = unique_names(self.names)
        self._first = True
        self.f.write("[")

    def _object(self, r: Sequence[Any]) -> str:
        return json.dumps({k: json_value(v) for k, v in zip(self._keys, r, strict=True)},
                          ensure_ascii=False)

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        out = []
        for r in rows:
            out.append(("\n  " if self._first else ",\n  ") + self._object(r))
            self._first = False
        self.f.write("".join(out))

    def end(self) -> None:
        self.f.write("\n]\n")


class JsonLinesWriter(JsonWriter):
    def begin(self) -> None:
        self._keys = unique_names(self.names)

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self.f.write("".join(self._object(r) + "\n" for r in rows))

    def end(self) -> None: ...


class SqlWriter(Writer):
    def __init__(self, f: TextIO, names: Sequence[str], table: str,
                 hex_columns: Iterable[int] = ()) -> None:
        super().__init__(f, names)
        hexes = set(hex_columns)
        self._literals = [hex_literal if i in hexes else sql_literal
                          for i in range(len(self.names))]
        self.table = table_reference(table) if table.strip() else "`result`"
        self._pending: list[str] = []

    def begin(self) -> None:
        cols = ", ".join(quote_identifier(n) for n in self.names)
        self._head = f"INSERT INTO {self.table} ({cols}) VALUES\n"

    def _flush(self) -> None:
        if self._pending:
            self.f.write(self._head + ",\n".join(self._pending) + ";\n")
            self._pending = []

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        for r in rows:
            self._pending.append("(" + ", ".join(
                lit(v) for lit, v in zip(self._literals, r, strict=True)) + ")")
            if len(self._pending) >= INSERT_ROWS:
                self._flush()

    def end(self) -> None:
        self._flush()


def _md(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "<br>")
            .replace("\n", "<br>").replace("\r", "<br>"))


class MarkdownWriter(Writer):
    def begin(self) -> None:
        self.f.write("| " + " | ".join(_md(n) for n in self.names) + " |\n")
        self.f.write("|" + "|".join(" --- " for _ in self.names) + "|\n")

    def rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self.f.write("".join(
            "| " + " | ".join("NULL" if v is None else _md(text_value(v)) for v in r) + " |\n"
            for r in rows))


def writer_for(fmt: str, f: TextIO, names: Sequence[str], table: str = "result",
               hex_columns: Iterable[int] = ()) -> Writer:
    """The writer of format `fmt` (a key of FORMATS) on the open text file `f`;
    `hex_columns`: columns whose `0x..` text is binary data (SQL writes it as X'..')."""
    if fmt == "csv":
        return CsvWriter(f, names)
    if fmt == "json":
        return JsonWriter(f, names)
    if fmt == "jsonl":
        return JsonLinesWriter(f, names)
    if fmt == "sql":
        return SqlWriter(f, names, table, hex_columns)
    if fmt == "markdown":
        return MarkdownWriter(f, names)
    raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")
