"""A binlog transaction as the SQL that replays it, in `mysqlbinlog`'s shape, for
`kintsugi binlog DIR | kintsugi sql NEWDIR`.

Each transaction opens with mysqlbinlog's header comments (`# at POS`, then its commit time
in local time, `end_log_pos` and its GTID) and a `# GTID uuid:n` line to grep for.  A DDL
is `USE db;` and its statement; row changes are `BEGIN;`, one UPDATE / DELETE per row and
the inserts as multi-row INSERTs, on `db`.`table` with columns by name and values as
`core.literals` writes them, then `COMMIT;`.  The GTID stays a comment: the engine refuses
`SET @@SESSION.GTID_NEXT` (1235), so the replaying database gives each transaction its own
next GTID.

A row is found by its primary key.  A table without one keeps only a hidden row id that
SQL cannot name (`_tidb_rowid` is unknown here, 1054), so its rows are matched on every
column (`<=>`, or `IS NULL`) with `LIMIT 1`: rows equal in every column are
interchangeable, so the table ends with the same rows.  With `verbose`, each statement
is preceded by the row images as `### ` comments, as `mysqlbinlog -v` prints them.

Order: the capture logs a table's deletes, then updates, then inserts, so values a
transaction freed are free before they are used again.  Updates that trade values with each
other (row 1 takes row 2's value while row 2 takes row 1's, which a unique key would refuse
half-way) are written as all their DELETEs, then all their INSERTs.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from typing import Any

from core.backup.events import BinlogTransaction, RowChange, TableChanges
from core.literals import comment_text, quote_identifier, sql_literal

SERVER_ID = 1
INSERT_ROWS = 1000
INSERT_BYTES = 1 << 20
ROWID_NOTE = ("# {table} has no primary key: its rows are found by every column (<=>, IS NULL) "
              "with LIMIT 1 (its hidden row id cannot be named in SQL)")


def stamp(ts: float) -> str:
    """mysqlbinlog's `#YYMMDD HH:MM:SS` (local time, the hour space-padded)."""
    t = time.localtime(ts)
    return f"#{t.tm_year % 100:02d}{t.tm_mon:02d}{t.tm_mday:02d} {t.tm_hour:2d}:{t.tm_min:02d}:" \
           f"{t.tm_sec:02d}"


def render(t: BinlogTransaction, verbose: bool = False) -> str:
    """The replayable text of one transaction (ends with a newline)."""
    kind = "DDL" if t.ddl is not None else f"trx_id={t.trx_id}"
    lines = [f"# at {t.pos}",
             f"{stamp(t.ts)} server id {SERVER_ID}  end_log_pos {t.end} \tGTID\t{t.gtid}\t{kind}",
             f"# GTID {t.gtid}"]
    if t.ddl is not None:
        if t.db:
            lines.append(f"USE {quote_identifier(t.db)};")
        lines.append(statement_text(t.ddl))
    else:
        lines.append("BEGIN;")
        for tc in t.tables:
            lines.extend(table_lines(tc, verbose))
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def statement_text(sql: str) -> str:
    """A logged statement ended by `;` (on a line of its own when the statement's last line
    holds a comment, which would swallow it)."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    last = text.rsplit("\n", 1)[-1]
    return text + ("\n;" if ("--" in last or "#" in last or "/*" in last) else ";")


def table_lines(tc: TableChanges, verbose: bool = False) -> Iterator[str]:
    """The statements (and with `verbose` the row-image comments) of one table's rows."""
    name = f"{quote_identifier(tc.db)}.{quote_identifier(tc.table)}"
    rowid = tc.handle_kind == "rowid" or not tc.pk
    if verbose:
        ins, upd, dele = tc.counts()
        yield (f"# Table_map: {comment_text(name)} ({_handle_text(tc)}); {ins} inserted, "
               f"{upd} updated, {dele} deleted")
    if rowid and any(r.kind != "insert" for r in tc.rows):
        yield ROWID_NOTE.format(table=comment_text(name))
    r = _Renderer(tc, name)
    if _trades_values(tc):
        yield (f"# updates of {comment_text(name)} trade values between rows: written as "
               "DELETE then INSERT, so no unique key sees a value twice")
        later: list = []
        for row in tc.rows:
            if verbose:
                yield from _images(row, tc, name)
            if row.kind != "insert":
                yield r.delete(row.before)
            if row.kind != "delete":
                later.append(row.after)
        yield from r.inserts(later)
        return
    pending: list = []  # consecutive inserts, written as multi-row INSERTs
    for row in tc.rows:
        if verbose:
            yield from _images(row, tc, name)
        if row.kind == "insert":
            pending.append(row.after)
            continue
        yield from r.inserts(pending)
        pending = []
        if row.kind == "delete":
            yield r.delete(row.before)
        else:
            yield r.update(row.before, row.after)
    yield from r.inserts(pending)


def _handle_text(tc: TableChanges) -> str:
    if tc.handle_kind == "rowid" or not tc.pk:
        return "no primary key"
    cols = ", ".join(quote_identifier(c) for c in tc.pk)
    return f"primary key ({cols})" + (", clustered" if tc.handle_kind == "clustered" else "")


class _Renderer:
    """The statements of one table's rows."""

    def __init__(self, tc: TableChanges, name: str):
        self.tc = tc
        self.name = name
        self.cols = [quote_identifier(c) for c in tc.columns]
        self.json = [t.lower().startswith("json") for t in tc.types]
        index = {c: i for i, c in enumerate(tc.columns)}
        self.pk = [index[c] for c in tc.pk if c in index]
        if tc.handle_kind == "rowid" or len(self.pk) != len(tc.pk) or not self.pk:
            self.pk = []

    def inserts(self, afters: list) -> Iterator[str]:
        """INSERTs of at most INSERT_ROWS rows or about INSERT_BYTES each (a statement per
        row would parse each row apart: about half the replay rate)."""
        head = f"INSERT INTO {self.name} ({', '.join(self.cols)}) VALUES "
        batch: list[str] = []
        size = 0
        for after in afters:
            text = "(" + ", ".join(sql_literal(v) for v in _values(after, len(self.cols))) + ")"
            batch.append(text)
            size += len(text)
            if len(batch) >= INSERT_ROWS or size >= INSERT_BYTES:
                yield head + ",\n".join(batch) + ";"
                batch, size = [], 0
        if batch:
            yield head + ",\n".join(batch) + ";"

    def delete(self, before: list | None) -> str:
        return f"DELETE FROM {self.name} WHERE {self._where(before)};"

    def update(self, before: list | None, after: list | None) -> str:
        old = _values(before, len(self.cols))
        new = _values(after, len(self.cols))
        sets = [f"{c}={sql_literal(b)}" for c, a, b in zip(self.cols, old, new, strict=True)
                if sql_literal(a) != sql_literal(b)]
        if not sets:  # the same values stored anew: set them all, harmless and explicit
            sets = [f"{c}={sql_literal(b)}" for c, b in zip(self.cols, new, strict=True)]
        return f"UPDATE {self.name} SET {', '.join(sets)} WHERE {self._where(before)};"

    def _where(self, before: list | None) -> str:
        values = _values(before, len(self.cols))
        if self.pk:
            return " AND ".join(f"{self.cols[i]}={sql_literal(values[i])}" for i in self.pk)
        parts = []
        for col, v, is_json in zip(self.cols, values, self.json, strict=True):
            if v is None:  # (`json <=> NULL` is refused by the engine: 1105)
                parts.append(f"{col} IS NULL")
                continue
            lit = sql_literal(v)
            parts.append(f"{col} <=> {f'CAST({lit} AS JSON)' if is_json else lit}")
        return " AND ".join(parts) + " LIMIT 1"


def _values(image: list | None, n: int) -> list:
    values = list(image or [])
    return values + [None] * (n - len(values)) if len(values) < n else values[:n]


def _images(row: RowChange, tc: TableChanges, name: str) -> Iterator[str]:
    """mysqlbinlog -v's pseudo-SQL of one row image."""
    head = {"insert": "INSERT INTO", "update": "UPDATE", "delete": "DELETE FROM"}[row.kind]
    yield f"### {head} {comment_text(name)}"
    if row.kind in ("update", "delete"):
        yield "### WHERE"
        yield from _columns(row.before, tc)
    if row.kind in ("update", "insert"):
        yield "### SET"
        yield from _columns(row.after, tc)


def _columns(image: list | None, tc: TableChanges) -> Iterator[str]:
    for i, (col, v) in enumerate(zip(tc.columns, _values(image, len(tc.columns)), strict=True),
                                 1):
        yield f"###   @{i}={comment_text(sql_literal(v))} /* {comment_text(col)} */"


def _fold(v: Any) -> Any:
    """A value as a unique key might see it: case, accents and trailing spaces ignored
    (over-matching only costs a plainer DELETE + INSERT)."""
    if isinstance(v, str):
        text = unicodedata.normalize("NFKD", v.casefold().rstrip(" "))
        return "".join(ch for ch in text if not unicodedata.combining(ch))
    return sql_literal(v)


def _trades_values(tc: TableChanges) -> bool:
    """Whether an update takes, in a column it changes, a value another updated row holds
    before the update (the order of the UPDATEs could then break a unique key)."""
    updates = [r for r in tc.rows if r.kind == "update"]
    if len(updates) < 2:
        return False
    n = len(tc.columns)
    befores: list[dict[Any, set[int]]] = [{} for _ in range(n)]
    images = []
    for i, r in enumerate(updates):
        old = _values(r.before, n)
        new = _values(r.after, n)
        images.append((old, new))
        for c, v in enumerate(old):
            if v is not None:
                befores[c].setdefault(_fold(v), set()).add(i)
    for i, (old, new) in enumerate(images):
        for c in range(n):
            v = new[c]
            if v is None or sql_literal(v) == sql_literal(old[c]):
                continue
            holders = befores[c].get(_fold(v))
            if holders and (len(holders) > 1 or i not in holders):
                return True
    return False
