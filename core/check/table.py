"""CHECK TABLE's core: verify one table's rows, and its indexes against its rows.

Pure functions over a read view (a snapshot: the check sees one consistent state), shared by
CHECK TABLE and the ADMIN CHECK statements.  They return `Finding`s and change nothing; the
caller reports them and flags what they name (core.check.flags).

Modes, after MySQL's options and SQLite's integrity checks:

* QUICK: read every row once: its key decodes and keys ascend, its value passes the CRC and
  decodes, the primary key stored in the key matches the row, NOT NULL columns hold no NULL,
  and every value has its column's type and range (O(N));
* MEDIUM (no option, MySQL's default; also FAST, CHANGED): QUICK plus the number of entries
  of every index against the number of rows (one key-only scan per index);
* EXTENDED: QUICK plus `cross_check_indexes`: every index entry against its row both ways,
  the expected entries computed from the rows and compared with one scan of each index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crc32c import crc32c

from core.catalog.model import HANDLE_CLUSTERED, HANDLE_INT, IndexInfo, TableInfo
from core.codec import (
    decode_index_key,
    decode_row_key,
    decode_values,
    encode_values,
    index_prefix,
    prefix_next,
    row_prefix,
)
from core.codec.entries import NON_UNIQUE_VALUE, decode_handle, index_entry
from core.codec.rows import row_decoder

MAX_FINDINGS = 100  # per table, as SQLite's integrity_check: then one "... more" line
QUICK, MEDIUM, EXTENDED = "QUICK", "MEDIUM", "EXTENDED"

# What a finding is about: the table's rows (flag the table) or one index (flag the index).
ROWS = "rows"
INDEX = "index"


@dataclass(frozen=True)
class Finding:
    """One problem: `text` is the message CHECK TABLE shows (SQLite's wording where it has
    one); `index` is the index it concerns (None: the rows); `key` the stored key."""

    text: str
    scope: str = ROWS
    index: IndexInfo | None = None
    key: bytes = b""


def mode_of(option: str | None) -> str:
    """CHECK TABLE's option words as one of the three modes (FOR UPGRADE, FAST, CHANGED and
    MEDIUM are the default MEDIUM check)."""
    words = (option or "").upper().split()
    if "EXTENDED" in words:
        return EXTENDED
    if "QUICK" in words:
        return QUICK
    return MEDIUM


class TableReader:
    """What the checks need to know about one table's key layout (core.codec's functions;
    the SQL layer's reader is above this package)."""

    def __init__(self, table: TableInfo):
        self.table = table
        self.tid = table.id
        self._clustered = table.handle == HANDLE_CLUSTERED
        self._pos = {ix.id: [table.column_index(c) for c in ix.columns]
                     for ix in table.indexes}

    def key_range(self) -> tuple[bytes, bytes]:
        lo = row_prefix(self.tid)
        return lo, prefix_next(lo)

    def key_prefix(self, ix: IndexInfo) -> bytes:
        return index_prefix(self.tid, ix.id)

    def index_entry(self, ix: IndexInfo, row: list, handle) -> tuple[bytes, bytes]:
        return index_entry(self.tid, ix.id, ix.unique, [row[i] for i in self._pos[ix.id]],
                           handle)

    def decode_handle_value(self, value: bytes):
        return decode_handle(value, self._clustered)


def format_key_values(values) -> str:
    """MySQL's rendering of key values: joined by '-'."""
    return "-".join("NULL" if v is None else v.decode("utf-8", "replace")
                    if isinstance(v, bytes) else str(v) for v in values)


def _handle_text(table: TableInfo, handle) -> str:
    if isinstance(handle, bytes) and table.handle == HANDLE_CLUSTERED:
        try:
            return "(" + format_key_values(decode_values(handle)) + ")"
        except Exception:  # noqa: BLE001 - a message, not a decode
            return "0x" + handle.hex()
    return str(handle)


def _type_problem(col, value) -> str | None:
    """Why `value` cannot be a stored value of `col`, or None."""
    t = col.type
    try:
        py = t.python_type
    except KeyError:
        return None
    if py is int:
        if type(value) is not int:
            return f"holds a {type(value).__name__}, not an integer"
        lo, hi = t.int_range
        if not lo <= value <= hi:
            return f"value {value} is out of range for {t.sql()}"
        return None
    if py is float:
        return None if type(value) in (float, int) else \
            f"holds a {type(value).__name__}, not a number"
    if type(value) is not py:
        return f"holds a {type(value).__name__}, not a {py.__name__}"
    return None


MAX_EXPECTED = 500_000  # index entries held in memory at once (~100 MB): then in groups


class _Expected:
    """The entries every index should hold, computed from the rows as they are read.  Past
    `limit` entries it gives up (`overflow`) and the caller checks the indexes in groups
    small enough to fit, one more scan of the rows per group."""

    def __init__(self, reader: TableReader, indexes: list[IndexInfo], limit: int | None = -1):
        self.reader = reader
        self.indexes = indexes
        self.entries: dict[int, dict[bytes, tuple[bytes, object]]] = {ix.id: {}
                                                                      for ix in indexes}
        self.limit = MAX_EXPECTED if limit == -1 else limit  # None: no limit
        self.count = 0
        self.overflow = False

    def add(self, row: list, handle) -> None:
        if self.overflow:
            return
        for ix in self.indexes:
            k, v = self.reader.index_entry(ix, row, handle)
            self.entries[ix.id][k] = (v, handle)
        self.count += len(self.indexes)
        if self.limit is not None and self.count > self.limit:
            self.overflow = True
            self.entries = {ix.id: {} for ix in self.indexes}


class _Report:
    def __init__(self, limit: int = MAX_FINDINGS):
        self.items: list[Finding] = []
        self.limit = limit
        self.more = 0

    def add(self, f: Finding) -> None:
        if len(self.items) < self.limit:
            self.items.append(f)
        else:
            self.more += 1

    def result(self) -> list[Finding]:
        if self.more:
            return self.items + [Finding(f"... and {self.more} more problem(s)")]
        return self.items


def check_table(view, table: TableInfo, mode: str = MEDIUM,
                check: Callable[[], None] | None = None) -> list[Finding]:
    """Every problem of `table` in `view` (empty: the table is sound for this mode).
    `check` is called every few hundred rows (a cancel token's check)."""
    reader = TableReader(table)
    report = _Report()
    indexes = [ix for ix in table.secondary_indexes if ix.state == "public"]
    expected = _Expected(reader, indexes) if mode == EXTENDED else None
    rows = _check_rows(view, reader, report, expected, check)
    if mode == MEDIUM:
        for ix in indexes:
            n = _count(view, reader, ix, check)
            if n != rows:
                report.add(Finding(f"index {ix.name} contains {n} entries, should be {rows}",
                                   INDEX, ix))
    elif expected is not None:
        for f in _cross(view, reader, expected, rows, check):
            report.add(f)
    return report.result()


def _cross(view, reader: TableReader, expected: _Expected, rows: int, check) -> list[Finding]:
    """Compare the expected entries with the indexes; in groups of indexes if they did not
    fit in memory at once (each group scans the rows again, their problems already told)."""
    if not expected.overflow:
        return _compare(view, reader, expected, check)
    per_group = max(1, MAX_EXPECTED // max(rows, 1))
    out: list[Finding] = []
    ixs = expected.indexes
    for i in range(0, len(ixs), per_group):
        group = _Expected(reader, ixs[i:i + per_group], limit=None)
        _check_rows(view, reader, _Report(), group, check, rows_only=True)
        out.extend(_compare(view, reader, group, check))
    return out


def cross_check_indexes(view, table: TableInfo, indexes: Iterable[IndexInfo] | None = None,
                        check: Callable[[], None] | None = None) -> list[Finding]:
    """Every index entry of `indexes` (default: all public ones) against the table's rows,
    both ways: a row without its entry, an entry without its row, an entry pointing at the
    wrong row, and the counts.  Rows that fail to decode are reported and skipped."""
    reader = TableReader(table)
    ixs = [ix for ix in (indexes if indexes is not None else table.secondary_indexes)
           if ix.state == "public"]
    report = _Report()
    expected = _Expected(reader, ixs)
    rows = _check_rows(view, reader, report, expected, check, rows_only=True)
    for f in _cross(view, reader, expected, rows, check):
        report.add(f)
    return report.result()


def _type_checks(cols) -> list[tuple[int, type, int | None, int | None]]:
    """(position, stored Python type, int min, int max) per column with a known type."""
    out = []
    for i, c in enumerate(cols):
        try:
            py = c.type.python_type
        except KeyError:
            continue
        lo = hi = None
        if py is int:
            lo, hi = c.type.int_range
        out.append((i, py, lo, hi))
    return out


def _check_rows(view, reader: TableReader, report: _Report, expected: _Expected | None,
                check, rows_only: bool = False) -> int:
    """Scan the rows once; returns how many there are (damaged ones included).  The common
    case (a sound row) costs a CRC, one unpack and a loop of type tests; messages are only
    built for problems."""
    table = reader.table
    clustered = table.handle == HANDLE_CLUSTERED
    int_pk = table.handle == HANDLE_INT
    pk_pos = [table.column_index(c) for c in table.pk_columns]
    cols = table.columns
    ncols = len(cols)
    notnull = [i for i, c in enumerate(cols) if not c.nullable]
    types = _type_checks(cols)
    crc, residue, unpackb, hook = row_decoder()
    lo, hi = reader.key_range()
    prev = None
    n = 0
    for k, v in view.scan(table.id, lo, hi):
        n += 1
        if check is not None and not n & 255:
            check()
        k = bytes(k)
        if prev is not None and k <= prev:
            report.add(Finding(f"rows out of order at key {k.hex()}", ROWS, key=k))
        prev = k
        try:
            handle = decode_row_key(k, common_handle=clustered)[1]
        except Exception as e:  # noqa: BLE001 - any failure is damage to report
            report.add(Finding(f"row key {k.hex()} is malformed ({e})", ROWS, key=k))
            continue
        if crc(v) != residue:
            stored = int.from_bytes(bytes(v[-4:]), "little") if len(v) >= 4 else 0
            computed = crc32c(bytes(v[:-4])) if len(v) >= 4 else 0
            report.add(Finding(
                f"row {_handle_text(table, handle)} fails its checksum at key {k.hex()} "
                f"(stored 0x{stored:08x}, computed 0x{computed:08x})", ROWS, key=k))
            continue
        try:
            row = unpackb(v, ext_hook=hook)
            row.pop()
        except Exception as e:  # noqa: BLE001
            report.add(Finding(f"row {_handle_text(table, handle)} cannot be decoded at key "
                               f"{k.hex()} ({e})", ROWS, key=k))
            continue
        if type(row) is not list or len(row) != ncols:
            size = len(row) if type(row) is list else 0
            report.add(Finding(f"row {_handle_text(table, handle)} has {size} values, the "
                               f"table has {ncols} columns", ROWS, key=k))
            continue
        if expected is not None:
            try:
                expected.add(row, handle)
            except Exception as e:  # noqa: BLE001 - a value no index key can hold
                report.add(Finding(f"row {_handle_text(table, handle)} cannot be indexed "
                                   f"({e})", ROWS, key=k))
        if rows_only:
            continue
        for i in notnull:
            if row[i] is None:
                report.add(Finding(f"NULL value in {table.name}.{cols[i].name} (row "
                                   f"{_handle_text(table, handle)})", ROWS, key=k))
        for i, py, vlo, vhi in types:
            value = row[i]
            if value is None:
                continue
            if type(value) is not py or (vlo is not None and not vlo <= value <= vhi):
                problem = _type_problem(cols[i], value)
                if problem:
                    report.add(Finding(f"row {_handle_text(table, handle)}: {table.name}."
                                       f"{cols[i].name} {problem}", ROWS, key=k))
        if int_pk:
            if row[pk_pos[0]] != handle:
                report.add(Finding(f"row {_handle_text(table, handle)} holds primary key "
                                   f"{row[pk_pos[0]]!r}, its key says {handle}", ROWS, key=k))
        elif clustered:
            try:
                ok = encode_values([row[i] for i in pk_pos]) == handle
            except Exception:  # noqa: BLE001
                ok = False
            if not ok:
                report.add(Finding(f"row {_handle_text(table, handle)} holds a primary key "
                                   "that differs from its key", ROWS, key=k))
    return n


def _count(view, reader: TableReader, ix: IndexInfo, check) -> int:
    prefix = reader.key_prefix(ix)
    n = 0
    for _k in view.scan(reader.tid, prefix, prefix_next(prefix)):
        n += 1
        if check is not None and not n & 4095:
            check()
    return n


def _compare(view, reader: TableReader, expected: _Expected, check) -> list[Finding]:
    table = reader.table
    out: list[Finding] = []
    for ix in expected.indexes:
        want = expected.entries[ix.id]
        prefix = reader.key_prefix(ix)
        seen: set[bytes] = set()
        n = 0
        for k, v in view.scan(table.id, prefix, prefix_next(prefix)):
            n += 1
            if check is not None and not n & 1023:
                check()
            k, v = bytes(k), bytes(v)
            hit = want.get(k)
            if hit is None:
                out.append(Finding(f"index {ix.name} has an entry for "
                                   f"{_entry_target(reader, ix, k, v)} that no row needs "
                                   f"(key {k.hex()})", INDEX, ix, k))
                continue
            seen.add(k)
            if hit[0] != v:
                out.append(Finding(f"row {_handle_text(table, hit[1])} values differ from "
                                   f"index {ix.name} (its entry points to "
                                   f"{_entry_target(reader, ix, k, v)})", INDEX, ix, k))
        if len(seen) < len(want):
            missing = 0
            for k, (_v, handle) in want.items():
                if k not in seen:
                    missing += 1
                    if missing <= MAX_FINDINGS:
                        out.append(Finding(f"row {_handle_text(table, handle)} missing from "
                                           f"index {ix.name}", INDEX, ix, k))
        if n != len(want):
            out.append(Finding(f"index {ix.name} contains {n} entries, should be {len(want)}",
                               INDEX, ix))
    return out


def _entry_target(reader: TableReader, ix: IndexInfo, k: bytes, v: bytes) -> str:
    """The row an index entry points to, as text (the entry may be damaged)."""
    try:
        if v != NON_UNIQUE_VALUE:
            handle = reader.decode_handle_value(v)
        else:
            handle = decode_index_key(k, len(ix.columns),
                                      common_handle=reader.table.handle == HANDLE_CLUSTERED)[3]
        return "row " + _handle_text(reader.table, handle)
    except Exception:  # noqa: BLE001
        return "an undecodable handle"
