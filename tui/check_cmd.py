"""`kintsugi check`: every index of a database against its rows, from a shell or a cron job.

The command runs what the console's Indexes tab runs (one ADMIN SHOW INDEX INCONSISTENCIES
per table, then, with --repair, the statement `tui.widgets.index_plan` picks for each
inconsistent index) and prints one line per index.  Its exit status is for scripts: 0 all
consistent (or repaired and re-checked consistent), 2 something inconsistent is left, 1 an
error stopped a table.  Progress goes to stderr when it is a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import click

from core.events import Event, IndexAdminFinished, IndexAdminProgress, IndexReport
from tui.stderr_line import StderrLine, bar
from tui.widgets.index_plan import check_sql, plan_repair, table_sql
from tui.wording import cli_wording

SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")


@dataclass
class Outcome:
    """What `run` found, for the exit status."""

    inconsistent: int = 0
    repaired: int = 0
    failed: int = 0
    indexes: int = 0


class _Bar(StderrLine):
    """The check's (or repair's) progress on stderr (a terminal only)."""

    def __call__(self, event: Event) -> None:
        if not isinstance(event, IndexAdminProgress) or not self.due():
            return
        total = max(event.total, event.done, 1)
        self.show(f"{event.table} {event.operation} {event.phase}: "
                  f"{bar(event.done, total)} {event.done:,}")


def tables_of(conn, database: str | None, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(schema, table) to check: the TABLES named, every table of DATABASE, or every table
    outside the system schemas."""
    if tables:
        return [(database, t) for t in tables]
    sql = ("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
           "WHERE TABLE_TYPE = 'BASE TABLE'")
    rows = conn.execute(sql).fetchall()
    out = [(s, t) for s, t in rows if s.lower() not in SYSTEM_SCHEMAS]
    if database is not None:
        out = [(s, t) for s, t in out if s.lower() == database.lower()]
        if not out:
            names = {s.lower() for s, _t in rows}
            if database.lower() not in names and not _database_exists(conn, database):
                from core.errors import ProgrammingError

                raise ProgrammingError(f"Unknown database '{database}'", errno=1049,
                                       sqlstate="42000")
    return sorted(out)


def _database_exists(conn, name: str) -> bool:
    rows = conn.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA").fetchall()
    return any(r[0].lower() == name.lower() for r in rows)


def _reports(conn, sql: str) -> tuple[tuple[IndexReport, ...], list, tuple]:
    """Run a statement: (the reports its IndexAdminFinished carried, its rows, its
    description)."""
    got: list[IndexAdminFinished] = []
    bar = conn.event_sink

    def sink(event: Event) -> None:
        if isinstance(event, IndexAdminFinished):
            got.append(event)
        if bar is not None:
            bar(event)

    conn.event_sink = sink
    try:
        cur = conn.execute(sql)
        rows = cur.fetchall() if cur.description else []
    finally:
        conn.event_sink = bar
    reports = got[-1].reports if got else ()
    return reports, rows, (cur.description or ())


def _line(name: str, r: IndexReport) -> str:
    state = "consistent" if r.consistent else (
        f"INCONSISTENT: {r.missing:,} missing, {r.dangling:,} dangling, "
        f"{r.mismatched:,} mismatched")
    return f"{name}.{r.index}: {state} ({r.rows_scanned:,} rows, {r.entries_scanned:,} entries)"


def run(conn, targets: list[tuple[str, str]], *, repair: bool,
        echo: Callable[[str], None], bar: _Bar | None) -> Outcome:
    """Check each table (and repair what is wrong, if asked); one line per index."""
    from core.errors import Error

    out = Outcome()
    conn.event_sink = bar
    for schema, table in targets:
        name = f"{schema}.{table}"
        try:
            reports, _rows, _desc = _reports(conn, check_sql(schema, table))
        except Error as err:
            if bar is not None:
                bar.clear()
            out.failed += 1
            echo(f"{name}: ERROR {err.errno}: {cli_wording(err.msg)}")
            continue
        if bar is not None:
            bar.clear()
        if not reports:
            echo(f"{name}: no secondary index to check")
        for r in reports:
            out.indexes += 1
            echo(_line(name, r))
            if r.consistent:
                continue
            if not repair:
                out.inconsistent += 1
                continue
            plan = plan_repair(schema, table, r.index, r.missing, r.dangling, r.mismatched,
                               r.samples)
            try:
                after, rows, desc = _reports(conn, plan.statement)
            except Error as err:
                if bar is not None:
                    bar.clear()
                out.failed += 1
                out.inconsistent += 1  # still as found
                echo(f"  {plan.statement}: ERROR {err.errno}: {cli_wording(err.msg)}")
                continue
            if bar is not None:
                bar.clear()
            counts = ", ".join(f"{d[0]} {v:,}" for d, v in zip(desc, rows[0], strict=False)) \
                if rows else ""
            again = next((a for a in after if a.index == r.index), None)
            if again is not None and again.consistent:
                out.repaired += 1
                echo(f"  repaired: {plan.statement} -> {counts}; re-check: consistent")
            else:
                out.inconsistent += 1
                left = _line(name, again).split(": ", 1)[1] if again else "not re-checked"
                echo(f"  {plan.statement} -> {counts}; re-check: {left}")
    return out


def check_command(directory: str, database: str | None, tables: tuple[str, ...],
                  repair: bool, engine_options: dict, fail: Callable) -> None:
    """The body of `kintsugi check` (tui.cli declares its options)."""
    import core
    from core.errors import Error

    if tables and not database:
        raise click.UsageError("name the DATABASE before its TABLES")
    bar = _Bar() if sys.stderr.isatty() else None
    try:
        conn = core.connect(directory, autocommit=True, database=None, **engine_options)
    except Error as err:
        fail(err, directory)
        return
    try:
        targets = tables_of(conn, database, tables)
        t0 = time.monotonic()
        out = run(conn, targets, repair=repair, echo=click.echo, bar=bar)
    except Error as err:
        if bar is not None:
            bar.clear()
        fail(err, directory)
        return
    finally:
        conn.close()
    where = table_sql(database, tables[0]) if len(tables) == 1 else (database or "every schema")
    click.echo(f"Checked {out.indexes} index(es) of {len(targets)} table(s) in {where} in "
               f"{time.monotonic() - t0:.1f} s: "
               + (f"{out.repaired} repaired, " if repair else "")
               + f"{out.inconsistent} inconsistent, {out.failed} failed.", err=True)
    if out.failed:
        sys.exit(1)
    if out.inconsistent:
        sys.exit(2)
