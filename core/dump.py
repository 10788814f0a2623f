"""`kintsugi dump`: the data of a database as mysqldump-style SQL that `kintsugi sql` loads.

This is how InnoDB's advice after a forced recovery ("dump, drop, and re-create") is done
here: open with `force_recovery` (read-only), write every table out, load the file into a
new directory; at level 1 and above the engine leaves damaged rows out of the `SELECT *`
with a warning each, and the dump counts them from the cursor's warnings.  It uses only
the public API (`core.api.connect`, SHOW and a streaming SELECT), so it reads exactly what
a client would, and a table that cannot be read (1812 missing tablespace, 1877 damage at
level 0) is reported and skipped while the others are still dumped.

The output, per schema: ``CREATE DATABASE IF NOT EXISTS`` and ``USE``; per table: ``DROP
TABLE IF EXISTS``, the ``CREATE TABLE`` of ``SHOW CREATE TABLE`` (with its indexes), and
multi-row INSERTs of at most `batch_rows` rows or about `batch_bytes` bytes each.  Values
are written as literals that read back to the same value: strings escaped as
mysql_real_escape_string does, bytes as ``X'..'``, floats by `repr` (which round-trips),
decimals in plain notation, temporal values quoted.  All tables are read in one transaction,
so the dump is one consistent snapshot.  Views follow every schema's tables: ``DROP VIEW IF
EXISTS`` and the text of ``SHOW CREATE VIEW``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from core.api import connect
from core.errors import Error, ProgrammingError
from core.events import Event, null_sink
from core.literals import comment_text, quote_identifier, sql_literal
from core.status import DatabaseStatus

__all__ = ["DumpProgress", "DumpSummary", "dump", "quote_identifier", "skipped_rows",
           "sql_literal"]

SYSTEM_SCHEMAS = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
BATCH_ROWS = 1000
BATCH_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class DumpProgress(Event):
    """Rows of `schema`.`table` written so far (cumulative; `done` on its last event).
    `total_rows_estimate` comes from information_schema.TABLES (0 when unknown)."""

    schema: str
    table: str
    rows: int
    total_rows_estimate: int
    done: bool = False


@dataclass
class DumpSummary:
    """What a dump wrote; `failed` lists ("schema.table", the error) of tables skipped."""

    schemas: int = 0
    tables: int = 0
    rows: int = 0
    failed: list[tuple[str, Error]] = field(default_factory=list)
    # ("schema.table", rows left out): damaged rows a forced open skipped (warning 1877)
    skipped: list[tuple[str, int]] = field(default_factory=list)
    views: int = 0  # views written (after all tables; none when `tables` limits the dump)


def dump(
    path: str,
    out: TextIO,
    *,
    database: str | None = None,
    tables: Sequence[str] = (),
    force_recovery: int = 0,
    scan_directories: Sequence[str] | None = None,
    sink: Callable[[Event], None] = null_sink,
    on_error: Callable[[str, Error], None] | None = None,
    on_skipped: Callable[[str, int], None] | None = None,
    on_open: Callable[[DatabaseStatus], None] | None = None,
    batch_rows: int = BATCH_ROWS,
    batch_bytes: int = BATCH_BYTES,
) -> DumpSummary:
    """Write the database in `path` to `out` as SQL (see the module docstring).

    `database` limits the dump to one schema and `tables` to some of its tables.  A table
    that cannot be read is passed to `on_error` ("schema.table", error), noted in the output
    as a comment and in the summary's `failed`, and the dump goes on.  Under force_recovery
    >= 1 a damaged row is left out by the engine itself (warning 1877): every good row of
    the table is written, and the count of rows left out goes to `on_skipped`
    ("schema.table", count), to a comment in the output and to the summary's `skipped`.
    `on_open` gets the status of the open before anything is written: its `recovery` says
    whether the open recovered after a crash, and what a forced open could not apply.
    Errors opening the database (or naming a schema or table that does not exist) are
    raised."""
    options: dict[str, Any] = {"force_recovery": force_recovery} if force_recovery else {}
    if scan_directories:
        options["scan_directories"] = list(scan_directories)
    conn = connect(path, database=None, autocommit=False, **options)
    summary = DumpSummary()
    try:
        if on_open is not None:
            on_open(conn.info())
        cur = conn.cursor()
        schemas = _schemas(cur, database)
        _header(out, os.path.abspath(path), force_recovery, database)
        for schema in schemas:
            names = _tables(cur, schema, tables if database else ())
            estimates = _estimates(cur, schema)
            summary.schemas += 1
            q = quote_identifier(schema)
            out.write(f"\n--\n-- Current Database: {comment_text(q)}\n--\n\n"
                      f"CREATE DATABASE IF NOT EXISTS {q};\n\nUSE {q};\n")
            for table in names:
                try:
                    rows, skipped = _dump_table(conn, out, schema, table,
                                                estimates.get(table, 0), sink,
                                                batch_rows, batch_bytes)
                    summary.rows += rows
                    summary.tables += 1
                    if skipped:
                        name = f"{schema}.{table}"
                        summary.skipped.append((name, skipped))
                        out.write(f"\n-- WARNING: {skipped} damaged row(s) of "
                                  + comment_text(f"{quote_identifier(schema)}."
                                                 f"{quote_identifier(table)}")
                                  + " could not be read and are not in this dump\n")
                        if on_skipped is not None:
                            on_skipped(name, skipped)
                except Error as err:
                    name = f"{schema}.{table}"
                    summary.failed.append((name, err))
                    what = comment_text(f"{quote_identifier(schema)}.{quote_identifier(table)}")
                    why = comment_text(" ".join(str(err).split()))
                    out.write(f"\n-- ERROR: table {what} was NOT dumped: {why}\n-- Any of its "
                              "rows written above are rolled back: loading this file leaves "
                              "the table empty.\n")
                    if on_error is not None:
                        on_error(name, err)
        if not tables:
            summary.views = _dump_views(cur, out, schemas)
        out.write(f"\n-- Dump completed on {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()
    return summary


def _dump_views(cur, out: TextIO, schemas: list[str]) -> int:
    """Every view, after every table of every schema (as mysqldump: a view may read any
    schema's tables), a view after the views it reads, as SHOW CREATE VIEW writes it."""
    count = 0
    for schema in schemas:
        cur.execute("SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
                    "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", (schema,))
        pending = {name: text for name, text in cur.fetchall()}
        if not pending:
            continue
        q = quote_identifier(schema)
        out.write(f"\n--\n-- Views of {comment_text(q)}\n--\n\nUSE {q};\n")
        while pending:
            # a view whose definition names a view still pending waits for it
            ready = [n for n, text in pending.items()
                     if not any(f"{q}.{quote_identifier(o)}" in text
                                for o in pending if o != n)] or list(pending)[:1]
            for name in ready:
                del pending[name]
                cur.execute(f"SHOW CREATE VIEW {q}.{quote_identifier(name)}")
                text = cur.fetchone()[1]
                out.write(f"\nDROP VIEW IF EXISTS {quote_identifier(name)};\n{text};\n")
                count += 1
    return count


def _header(out: TextIO, path: str, force_recovery: int, database: str | None) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("kintsugidb")
    except PackageNotFoundError:
        ver = "unknown"
    out.write(f"-- KintsugiDB dump {ver}\n--\n-- Directory: {comment_text(path)}"
              f"{'    Database: ' + comment_text(database) if database else ''}\n")
    if force_recovery:
        out.write(f"-- Read with force_recovery = {force_recovery} (read-only): what recovery "
                  "could not apply is not in this dump\n")
    out.write("-- ------------------------------------------------------\n\n"
              "SET NAMES utf8mb4;\n")


def _schemas(cur, database: str | None) -> list[str]:
    cur.execute("SHOW DATABASES")
    names = [r[0] for r in cur.fetchall()]
    if database is None:
        return [n for n in names if n.lower() not in SYSTEM_SCHEMAS]
    if database not in names:
        raise ProgrammingError(f"Unknown database '{database}'", errno=1049, sqlstate="42000")
    return [database]


def _tables(cur, schema: str, wanted: Iterable[str]) -> list[str]:
    cur.execute(f"SHOW FULL TABLES FROM {quote_identifier(schema)}")
    names = [r[0] for r in cur.fetchall() if len(r) < 2 or r[1] == "BASE TABLE"]
    wanted = list(wanted)
    if not wanted:
        return names
    for t in wanted:
        if t not in names:
            raise ProgrammingError(f"Table '{schema}.{t}' doesn't exist", errno=1146,
                                   sqlstate="42S02")
    return wanted


def _estimates(cur, schema: str) -> dict[str, int]:
    """Row counts for the progress bar; a table that cannot be read counts 0 here (its own
    read reports the error)."""
    try:
        cur.execute("SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = %s", (schema,))
        return {r[0]: int(r[1] or 0) for r in cur.fetchall()}
    except Error:
        return {}


_CREATE_HEAD = re.compile(r"^\s*CREATE\s+TABLE\s+`(?:[^`]|``)*`\s*\(", re.IGNORECASE)


def _create_statement(conn, schema: str, table: str) -> str:
    cur = conn.cursor()
    cur.execute(f"SHOW CREATE TABLE {quote_identifier(schema)}.{quote_identifier(table)}")
    text = cur.fetchone()[1]
    # the head is rebuilt from the name, quoted here: SHOW CREATE TABLE does not double a
    # backtick inside a table name
    head = f"CREATE TABLE {quote_identifier(table)} ("
    if text.startswith(f"CREATE TABLE `{table}` ("):
        return head + text[len(f"CREATE TABLE `{table}` ("):]
    m = _CREATE_HEAD.match(text)
    return head + text[m.end():] if m else text


_SKIPPED_ONE = re.compile(r"^Skipped damaged row ")
_SKIPPED_ALL = re.compile(r"^Skipped (\d+) damaged rows in all")


def skipped_rows(warnings: Iterable[tuple]) -> int:
    """How many damaged rows a statement skipped, from its warnings (1877: one per row,
    then one that counts them all once there are too many to list)."""
    listed = total = 0
    for w in warnings:
        if len(w) < 3 or w[1] != 1877:
            continue
        m = _SKIPPED_ALL.match(str(w[2]))
        if m:
            total = int(m.group(1))
        elif _SKIPPED_ONE.match(str(w[2])):
            listed += 1
    return max(listed, total)


def _dump_table(conn, out: TextIO, schema: str, table: str, estimate: int,
                sink: Callable[[Event], None], batch_rows: int,
                batch_bytes: int) -> tuple[int, int]:
    """(rows written, damaged rows the engine skipped) of one table."""
    qname = quote_identifier(table)
    full = f"{quote_identifier(schema)}.{qname}"
    create = _create_statement(conn, schema, table)
    cur = conn.cursor(stream=True)
    try:
        cur.execute(f"SELECT * FROM {full}")
        columns = ", ".join(quote_identifier(d[0]) for d in cur.description)
        out.write(f"\n--\n-- Table structure for table {comment_text(qname)}\n--\n\n"
                  f"DROP TABLE IF EXISTS {qname};\n{create};\n")
        sink(DumpProgress(schema, table, 0, estimate))
        rows = 0
        pending: list[str] = []
        size = 0
        head = f"INSERT INTO {qname} ({columns}) VALUES\n"
        # the rows go in one transaction: a table that fails half-way (a damaged row) ends
        # in ROLLBACK, so loading the file never leaves a partial table behind
        data_head = (f"\n--\n-- Dumping data for table {comment_text(qname)}\n--\n\n"
                     "START TRANSACTION;\n")
        wrote_header = False
        try:
            while True:
                batch = cur.fetchmany(batch_rows)
                if not batch:
                    break
                for row in batch:
                    text = "(" + ",".join(map(sql_literal, row)) + ")"
                    pending.append(text)
                    size += len(text) + 2
                    if len(pending) >= batch_rows or size >= batch_bytes:
                        if not wrote_header:
                            out.write(data_head)
                            wrote_header = True
                        out.write(head + ",\n".join(pending) + ";\n")
                        pending, size = [], 0
                rows += len(batch)
                sink(DumpProgress(schema, table, rows, max(estimate, rows)))
        except Error:
            if wrote_header:
                out.write("ROLLBACK;\n")
            raise
        if pending:
            if not wrote_header:
                out.write(data_head)
                wrote_header = True
            out.write(head + ",\n".join(pending) + ";\n")
        if wrote_header:
            out.write("COMMIT;\n")
        sink(DumpProgress(schema, table, rows, max(estimate, rows), done=True))
        return rows, skipped_rows(cur.warnings)  # complete now that the rows ran out
    finally:
        cur.close()
