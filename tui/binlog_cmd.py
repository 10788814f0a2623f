"""`kintsugi binlog`: mysqlbinlog for KintsugiDB, the binary log printed as SQL that
`kintsugi sql` replays, so a DBA can cut one bad transaction out by hand.

The work is `core.binlog_sql` (core.backup.binlog_sql); this module is the command: its
options, its help, a progress line on stderr when stderr is a terminal and the SQL goes
to a pipe or a file, and errors as one `ERROR nnnn` line with exit status 1.  It reads
files only, so a database another process has open can be read.
"""

from __future__ import annotations

import sys

import click

from tui.stderr_line import StderrLine, bar
from tui.wording import cli_wording

EPILOG = """\b
Examples:
  kintsugi binlog mydb                       every transaction of mydb's binary log
  kintsugi binlog mydb -v | less             with the row images as ### comments
  kintsugi binlog mydb/binlog.000003 --start-position 1234
  kintsugi binlog mydb --stop-datetime '2026-11-26 12:41:09' | kintsugi sql restored
  kintsugi binlog mydb --include-gtids 42    print only transaction 42 (mydb's own uuid)

\b
Cut one bad transaction out (find its GTID with -v, or in the console's timeline):
  kintsugi binlog mydb | grep -i -B4 'drop table'
  kintsugi binlog mydb --exclude-gtids 3e11fa47-71ca-11e1-9e33-c80aa9429562:42 \\
      | kintsugi sql restored
(`restored` holds what the binlog starts from: a backup of the moment the binlog began, or
an empty database for a binlog that starts at the database's creation; or see `kintsugi
restore`, which does this in one command.)"""


class _Bar(StderrLine):
    """Bytes of the binlog read, on stderr (a terminal only)."""

    def __call__(self, done: int, total: int) -> None:
        if self.due(done, total):
            self.show(f"binlog {bar(done, total, empty='-')} {done:,} / {total:,} bytes")


@click.command(short_help="Print the binary log as SQL that `sql` replays (mysqlbinlog).",
               epilog=EPILOG)
@click.argument("sources", nargs=-1, required=True, metavar="DIR_OR_FILES...",
                type=click.Path())
@click.option("--start-datetime", metavar="T",
              help="Only transactions committed at or after T (local time, "
                   "'YYYY-MM-DD HH:MM:SS[.ffffff]').")
@click.option("--stop-datetime", metavar="T",
              help="Stop at the first transaction committed at or after T (local time).")
@click.option("--start-position", metavar="P",
              help="Only transactions that start at or after P ('N' in the first file, or "
                   "'binlog.000003:N').")
@click.option("--stop-position", metavar="P",
              help="Stop at the first transaction that starts at or after P ('N' in the "
                   "last file, or 'binlog.000003:N').")
@click.option("--include-gtids", metavar="SET",
              help="Only these GTIDs ('uuid:1-5:7'; a bare '42' or '40-45' means the "
                   "binlog's own uuid).")
@click.option("--exclude-gtids", metavar="SET", help="Leave these GTIDs out (same forms).")
@click.option("-d", "--database", metavar="DB",
              help="Only changes to DB (rows of its tables; DDL run with DB as the default "
                   "database).")
@click.option("-v", "--verbose", is_flag=True,
              help="Add the row images as ### comments (mysqlbinlog -v).")
def binlog(sources: tuple[str, ...], start_datetime: str | None, stop_datetime: str | None,
           start_position: str | None, stop_position: str | None, include_gtids: str | None,
           exclude_gtids: str | None, database: str | None, verbose: bool) -> None:
    """Print the binary log of a database (DIR, its binlog.index) or some binlog FILES as
    SQL that `kintsugi sql` replays, like mysqlbinlog: per transaction its position,
    commit time and GTID as comments, then `USE db;` + the statement for DDL, or BEGIN;
    one INSERT / UPDATE / DELETE per row; COMMIT;.  The options choose the transactions, as
    mysqlbinlog's do.  The database may be open in another process: only files are read.
    A damaged file, or one that is not a binlog, is refused with its name and the reason
    before anything is printed."""
    import core
    from core.errors import Error

    bar = _Bar() if sys.stderr.isatty() and not sys.stdout.isatty() else None
    try:
        summary = core.binlog_sql(
            list(sources), sys.stdout, verbose=verbose, progress=bar,
            start_datetime=start_datetime, stop_datetime=stop_datetime,
            start_position=start_position, stop_position=stop_position,
            include_gtids=include_gtids, exclude_gtids=exclude_gtids, database=database)
    except Error as err:
        if bar is not None:
            bar.clear()
        _fail(err)
    if bar is not None:
        bar.clear()
    sys.stdout.flush()
    for note in summary.notes:
        click.echo(cli_wording(f"Note: {note}"), err=True)
    if sys.stderr.isatty() and not sys.stdout.isatty():
        click.echo(f"{summary.transactions:,} transaction(s) ({summary.ddl:,} DDL, "
                   f"{summary.rows:,} row change(s)) from {len(summary.files)} file(s)",
                   err=True)


def _fail(err: BaseException) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and (ctx.find_root().obj or {}).get("debug"):
        raise err
    click.echo(cli_wording(str(err)), err=True)
    sys.exit(1)
