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
  by the consistency core (core.check.consistency: a checksum per index, then only the
  disagreeing handle buckets compared exactly).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crc32c import crc32c

from core.catalog.model import HANDLE_CLUSTERED, HANDLE_INT, IndexInfo, TableInfo
from core.check.consistency import DANGLING, MISSING, compare
from core.codec import (
    decode_int,
    decode_row_key,
    decode_values,
    encode_values,
    index_prefix,
    prefix_next,
    row_prefix,
)
from core.codec.entries import decode_handle, index_entry
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
        return index_entry(self.tid, ix.id, ix.unique,
                           ix.key_values([row[i] for i in self._pos[ix.id]]), handle)

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


MAX_EXPECTED = 500_000  # expected index entries held at once by the exact comparison (~100 MB)


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
    rows = _check_rows(view, reader, report, check)
    if mode == MEDIUM:
        for ix in indexes:
            n = _count(view, reader, ix, check)
            if n != rows:
                report.add(Finding(f"index {ix.name} contains {n} entries, should be {rows}",
                                   INDEX, ix))
    elif mode == EXTENDED and indexes:
        _cross(view, table, indexes, report, check, None)
    return report.result()


def cross_check_indexes(view, table: TableInfo, indexes: Iterable[IndexInfo] | None = None,
                        check: Callable[[], None] | None = None) -> list[Finding]:
    """Every index entry of `indexes` (default: all public ones) against the table's rows,
    both ways: a row without its entry, an entry without its row, an entry pointing at the
    wrong row, and the counts.  Rows that fail to decode are reported and skipped."""
    ixs = [ix for ix in (indexes if indexes is not None else table.secondary_indexes)
           if ix.state == "public"]
    report = _Report()

    def damaged(key: bytes, value: bytes, problem: str, kind: str) -> None:
        try:
            handle = decode_row_key(key, common_handle=table.handle == HANDLE_CLUSTERED)[1]
        except Exception:  # noqa: BLE001 - a message
            handle = "?"
        h = _handle_text(table, handle)
        if kind == "checksum":
            report.add(Finding(f"row {h} fails its checksum at key {key.hex()} ({problem})",
                               ROWS, key=key))
        elif kind == "width":
            report.add(Finding(f"row {h} {problem.removeprefix('row ')}", ROWS, key=key))
        elif kind == "index":
            report.add(Finding(f"row {h} {problem.removeprefix('row ')}", ROWS, key=key))
        else:
            report.add(Finding(f"row {h} cannot be decoded at key {key.hex()} ({problem})",
                               ROWS, key=key))

    if ixs:
        _cross(view, table, ixs, report, check, damaged)
    return report.result()


def _cross(view, table: TableInfo, indexes: list[IndexInfo], report: _Report, check,
           on_damage) -> None:
    """The consistency core (core.check.consistency) as findings: each difference by
    handle (the first MAX_FINDINGS of each index; the rest counted), then the counts."""
    step = None if check is None else (lambda _p, _d, _t: check())
    results = compare(view, table, indexes, step=step, on_damage=on_damage,
                      limit=MAX_FINDINGS, hold=MAX_EXPECTED)
    clustered = table.handle == HANDLE_CLUSTERED
    for r in results:
        if r.consistent:
            continue
        ix = r.index
        for d in r.diffs:
            target = "an undecodable handle" if d.hk is None else \
                "row " + _handle_text(table, d.hk if clustered else _int_handle(d.hk))
            if d.kind == MISSING:
                report.add(Finding(f"{target} missing from index {ix.name}", INDEX, ix, d.key))
            elif d.kind == DANGLING:
                report.add(Finding(f"index {ix.name} has an entry for {target} that no row "
                                   f"needs (key {d.key.hex()})", INDEX, ix, d.key))
            else:
                report.add(Finding(f"index {ix.name} has an entry for {target} that differs "
                                   f"from what the row needs (key {d.key.hex()})", INDEX, ix,
                                   d.key))
        report.more += r.missing + r.dangling + r.mismatched - len(r.diffs)
        if r.entries != r.sound:
            report.add(Finding(f"index {ix.name} contains {r.entries} entries, should be "
                               f"{r.sound}", INDEX, ix))


def _int_handle(hk: bytes):
    try:
        return decode_int(hk)
    except Exception:  # noqa: BLE001 - a message
        return "0x" + hk.hex()


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


def _check_rows(view, reader: TableReader, report: _Report, check) -> int:
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
