"""Reading the binary log back as transactions, and choosing which ones to replay.

`transactions(paths)` turns the files' events (`core.log.binlog_format`) into
`BinlogTransaction`s: where each starts and ends, its GTID and commit time, and either its
DDL statement or its row changes decoded against the `Table_map` columns it carries (no
dictionary needed, so a binlog is readable without its database).  `Selection` is the
filter `kintsugi binlog` and `kintsugi restore` share: start/stop datetime, start/stop
position, GTIDs to include or exclude, a GTID to stop before, a database.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.codec import decode_int, decode_row
from core.codec.keys import decode_values
from core.errors import CorruptionError
from core.log import binlog_format as fmt
from core.log.binlog import list_index
from core.log.binlog_format import EventType
from core.log.gtid import GtidSet


@dataclass
class RowChange:
    """One row of a row event: `kind` "insert" | "update" | "delete"; `before`/`after` are
    the column values (None where the kind has none); `handle` the row's key (an int, or
    the clustered primary key's values)."""

    kind: str
    handle: Any
    handle_bytes: bytes
    before: list | None
    after: list | None


@dataclass
class TableChanges:
    """The rows one transaction changed in one table, with the table as it was then."""

    db: str
    table: str
    columns: list[str]
    types: list[str]
    handle_kind: str  # "int" | "clustered" | "rowid" (core.catalog.model)
    pk: list[str]
    rows: list[RowChange] = field(default_factory=list)

    def counts(self) -> tuple[int, int, int]:
        """(inserted, updated, deleted) rows."""
        ins = sum(1 for r in self.rows if r.kind == "insert")
        upd = sum(1 for r in self.rows if r.kind == "update")
        return ins, upd, len(self.rows) - ins - upd


@dataclass
class BinlogTransaction:
    file: str  # the binlog file's name (binlog.000003)
    pos: int  # position of its Gtid event
    end: int  # position just past its last event
    uuid: str
    seq: int
    ts: float  # commit time (UNIX seconds)
    trx_id: int
    db: str | None = None  # a DDL's default database
    ddl: str | None = None  # a DDL's statement (None for row changes)
    tables: list[TableChanges] = field(default_factory=list)
    events: list[fmt.Event] = field(default_factory=list)

    @property
    def gtid(self) -> str:
        return f"{self.uuid}:{self.seq}"

    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables)

    def table_names(self) -> list[str]:
        return [f"{t.db}.{t.table}" for t in self.tables]


class BinlogReadError(CorruptionError):
    """A binlog file that cannot be read: names the file and the reason (1877)."""


def files_of(directory: str) -> list[str]:
    """The binlog files `directory/binlog.index` lists, as paths, oldest first."""
    names = list_index(directory)
    if not names:
        raise BinlogReadError(f"{directory} has no binary log (no {directory}/binlog.index, "
                              "or it lists no file)")
    return [os.path.join(directory, n) for n in names]


def expand(paths: Iterable[str]) -> list[str]:
    """Directories (a data directory, or a copy of its binlog files) become their indexed
    files; files stay as given, in the order given."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            out.extend(files_of(p))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise BinlogReadError(f"{p}: no such binlog file or directory")
    return out


def transactions(paths: Iterable[str], *, decode: bool = True, keep_events: bool = False
                 ) -> Iterator[BinlogTransaction]:
    """Every whole transaction of the files, in order.  Damage inside a file that is not
    the last is an error naming the file and position; at the end of the last file it is a
    transaction still being written (or cut by a crash), left out."""
    paths = list(paths)
    for i, path in enumerate(paths):
        last = i == len(paths) - 1
        end = fmt.FileEnd()
        try:
            yield from _file_transactions(path, end, decode, keep_events)
        except fmt.BinlogFormatError as exc:
            raise BinlogReadError(str(exc)) from None
        if end.problem and not last:
            raise BinlogReadError(
                f"binary log {path} is damaged at position {end.pos}: {end.problem}; the "
                "transactions after it in this file cannot be read")


def _file_transactions(path: str, end: fmt.FileEnd, decode: bool, keep: bool
                       ) -> Iterator[BinlogTransaction]:
    name = os.path.basename(path)
    cur: BinlogTransaction | None = None
    maps: dict[int, TableChanges] = {}
    for ev in fmt.read_events(path, 0, end):
        k = ev.kind
        if k == EventType.GTID:
            uuid, seq, trx = ev.fields[0], ev.fields[1], ev.fields[2]
            cur = BinlogTransaction(name, ev.pos, ev.end, uuid, seq, ev.ts, trx)
            maps = {}
        if cur is None:
            continue
        if keep:
            cur.events.append(ev)
        cur.end = ev.end
        if k == EventType.QUERY:
            db, sql = ev.fields[0], ev.fields[1]
            if sql != "BEGIN":
                cur.db, cur.ddl = db, sql
                yield cur
                cur = None
        elif k == EventType.TABLE_MAP:
            map_id, db, table, cols, handle = ev.fields[:5]
            tc = TableChanges(db, table, [c[0] for c in cols], [c[1] for c in cols],
                              handle.get("kind", "rowid"), list(handle.get("columns", [])))
            maps[map_id] = tc
            cur.tables.append(tc)
        elif k in (EventType.WRITE_ROWS, EventType.UPDATE_ROWS, EventType.DELETE_ROWS):
            map_id, items = ev.fields[0], ev.fields[1]
            tc = maps.get(map_id)
            if tc is None:
                raise BinlogReadError(f"binary log {path}: a row event at position {ev.pos} "
                                      f"names table map {map_id}, which no Table_map defined")
            for item in items:
                tc.rows.append(_row(k, tc, item, decode, path, ev.pos))
        elif k == EventType.XID:
            yield cur
            cur = None


def _row(kind: int, tc: TableChanges, item: list, decode: bool, path: str, pos: int
         ) -> RowChange:
    hb = bytes(item[0])
    name = f"{tc.db}.{tc.table}"
    try:
        handle = (decode_values(hb) if tc.handle_kind == "clustered" else decode_int(hb)) \
            if decode else None
        if kind == EventType.WRITE_ROWS:
            return RowChange("insert", handle, hb, None,
                             decode_row(item[1], table=name) if decode else None)
        if kind == EventType.DELETE_ROWS:
            return RowChange("delete", handle, hb,
                             decode_row(item[1], table=name) if decode else None, None)
        return RowChange("update", handle, hb,
                         decode_row(item[1], table=name) if decode else None,
                         decode_row(item[2], table=name) if decode else None)
    except CorruptionError as exc:
        raise BinlogReadError(f"binary log {path}: a row of {name} in the event at position "
                              f"{pos} is damaged ({exc.msg})") from None


# -- choosing transactions ----------------------------------------------------------------------


@dataclass
class Selection:
    """Which transactions to print or replay, as `mysqlbinlog` chooses them.

    Datetimes are UNIX seconds; a transaction is in when start <= its commit time < stop.
    Positions are (file name or None, position): a start position without a file applies to
    the first file read, a stop position without one to the last; a transaction is in from
    the one whose Gtid event is at or after the start, and reading stops at the first whose
    Gtid event is at or after the stop.  `stop_gtid` stops before that transaction.
    `include`/`exclude` keep or drop GTIDs; `executed` (a backup's GTIDs) are skipped as
    already applied.  `database` keeps the changes of that database only."""

    start_datetime: float | None = None
    stop_datetime: float | None = None
    start_position: tuple[str | None, int] | None = None
    stop_position: tuple[str | None, int] | None = None
    include: GtidSet | None = None
    exclude: GtidSet | None = None
    stop_gtid: tuple[str, int] | None = None
    executed: GtidSet | None = None
    database: str | None = None

    def apply(self, txns: Iterable[BinlogTransaction], files: list[str]
              ) -> Iterator[BinlogTransaction]:
        """The selected transactions of `txns` (read from `files`, in order)."""
        names = [os.path.basename(f) for f in files]
        first = names[0] if names else None
        last = names[-1] if names else None
        order = {n: i for i, n in enumerate(names)}
        for t in txns:
            if self._stops(t, order, last):
                return
            if self.start_position is not None:
                sf, sp = self.start_position
                sf = sf or first
                if sf in order and (order.get(t.file, 0) < order[sf]
                                    or (t.file == sf and t.pos < sp)):
                    continue
            if self.start_datetime is not None and t.ts < self.start_datetime:
                continue
            if self.executed is not None and self.executed.contains(t.uuid, t.seq):
                continue
            if self.include is not None and not self.include.contains(t.uuid, t.seq):
                continue
            if self.exclude is not None and self.exclude.contains(t.uuid, t.seq):
                continue
            if self.database is not None:
                t = _only_database(t, self.database)
                if t is None:
                    continue
            yield t

    def _stops(self, t: BinlogTransaction, order: dict[str, int], last: str | None) -> bool:
        if self.stop_datetime is not None and t.ts >= self.stop_datetime:
            return True
        if self.stop_gtid is not None and (t.uuid, t.seq) == self.stop_gtid:
            return True
        if self.stop_position is not None:
            f, p = self.stop_position
            f = f or last
            if f in order and (order.get(t.file, 0) > order[f]
                               or (t.file == f and t.pos >= p)):
                return True
        return False


def _only_database(t: BinlogTransaction, db: str) -> BinlogTransaction | None:
    if t.ddl is not None:
        return t if (t.db or "").lower() == db.lower() else None
    kept = [tc for tc in t.tables if tc.db.lower() == db.lower()]
    if not kept:
        return None
    if len(kept) == len(t.tables):
        return t
    return BinlogTransaction(t.file, t.pos, t.end, t.uuid, t.seq, t.ts, t.trx_id, t.db, t.ddl,
                             kept, t.events)
