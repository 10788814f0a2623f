"""The `kintsugi` command line."""

from __future__ import annotations

import os
import sys

import click

from core.errors import Error
from core.events import Event
from core.recovery.messages import format_event, format_lsn
from core.storage.engine import Engine


def _printer(prefix: str = "[Note] [KintsugiDB] "):
    def sink(event: Event) -> None:
        line = format_event(event)
        if line:
            click.echo(prefix + line)

    return sink


def _fail(err: Error) -> None:
    click.echo(f"kintsugi: {err}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kintsugidb")
def main() -> None:
    """KintsugiDB: an embedded SQL database with crash recovery you can watch.

    Run `kintsugi demo` to build a demo database, crash it and watch it recover.
    """


@main.command()
@click.argument("directory", default="demo-db", type=click.Path(file_okay=False))
@click.option("--no-crash", is_flag=True, help="Only build (or open) the demo; do not crash it.")
def demo(directory: str, no_crash: bool) -> None:
    """Build a demo shop database in DIRECTORY (default ./demo-db), crash it, recover it.

    A child process commits orders and is killed with SIGKILL while a large transaction is
    still open; reopening shows the redo scan, the re-applied batches and the roll-back.
    """
    from tui import demo as demo_mod

    try:
        fresh = not os.path.exists(os.path.join(directory, "control"))
        with Engine.open(directory, create=True) as engine:
            if fresh:
                click.echo(f"Building the demo database in {directory} ...")
                demo_mod.build(engine)
        if not no_crash:
            click.echo("Starting a writer and killing it with SIGKILL mid-transaction ...")
            committed = demo_mod.run_crash(directory)
            click.echo(f"The writer had acknowledged orders up to #{committed}. Reopening:\n")
        engine = Engine.open(directory, sink=_printer())
        try:
            click.echo()
            _print_info(engine)
        finally:
            engine.close()
    except Error as err:
        _fail(err)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def info(directory: str) -> None:
    """Show a database's LSNs, redo segments and tablespaces."""
    try:
        with Engine.open(directory) as engine:
            _print_info(engine)
    except Error as err:
        _fail(err)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force-recovery", type=click.IntRange(0, 6), default=0, show_default=True,
              help="InnoDB-style force level; any level above 0 opens read-only.")
def recover(directory: str, force_recovery: int) -> None:
    """Open DIRECTORY, run crash recovery if it needs one, and print what it did."""
    try:
        engine = Engine.open(directory, sink=_printer(), force_recovery=force_recovery)
        engine.close()
    except Error as err:
        _fail(err)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("-e", "--execute", "statements", metavar="SQL",
              help="Statements to run (separated by ;). Without -e, read them from stdin.")
@click.option("-D", "--database", default="test", show_default=True,
              help="Schema selected at start.")
@click.option("--create", is_flag=True, help="Create the database if the directory has none.")
@click.option("-B", "--batch", is_flag=True, help="Tab-separated output, no boxes.")
@click.option("-f", "--force", is_flag=True, help="Continue after an error.")
def sql(directory: str, statements: str | None, database: str, create: bool, batch: bool,
        force: bool) -> None:
    """Run SQL against the database in DIRECTORY and print the results (like `mysql -e`).

    \b
    Examples:
      kintsugi sql mydb -e "SHOW TABLES"
      echo "SELECT COUNT(*) FROM t" | kintsugi sql mydb
    """
    import time as _time

    from core.api import connect
    from core.sql import dialect
    from tui.format import format_table

    if statements is None:
        if sys.stdin.isatty():
            raise click.UsageError("give statements with -e, or pipe them on stdin")
        statements = sys.stdin.read()
    try:
        conn = connect(directory, create=create, database=database, autocommit=True)
    except Error as err:
        _fail(err)
    failed = False
    try:
        try:
            chunks = [n.sql(dialect=dialect.Kintsugi) for n in dialect.parse(statements)]
        except Error as err:
            click.echo(str(err), err=True)
            sys.exit(1)
        for text in chunks:
            t0 = _time.perf_counter()
            try:
                cur = conn.cursor()
                cur.execute(text)
            except Error as err:
                click.echo(str(err), err=True)
                failed = True
                if not force:
                    break
                continue
            secs = _time.perf_counter() - t0
            if cur.description is not None:
                names = [d[0] for d in cur.description]
                rows = cur.fetchall()
                if batch:
                    click.echo("\t".join(names))
                    for r in rows:
                        click.echo("\t".join("NULL" if v is None else str(v) for v in r))
                else:
                    if rows:
                        click.echo(format_table(names, rows))
                    n = len(rows)
                    click.echo(f"{n} row{'s' if n != 1 else ''} in set ({secs:.2f} sec)\n"
                               if rows else f"Empty set ({secs:.2f} sec)\n")
            elif not batch:
                n = cur.rowcount
                click.echo(f"Query OK, {n} row{'s' if n != 1 else ''} affected ({secs:.2f} sec)\n")
    finally:
        conn.close()
    if failed:
        sys.exit(1)


def _print_info(engine: Engine) -> None:
    st = engine.stats()
    click.echo(f"Database        {st['path']}")
    click.echo(f"End LSN         {st['end_lsn']} ({format_lsn(st['end_lsn'])})")
    click.echo(f"Checkpoint LSN  {st['checkpoint_lsn']} ({format_lsn(st['checkpoint_lsn'])})")
    click.echo(f"Redo segments   {', '.join(str(s) for s in st['segments'])}")
    click.echo()
    click.echo(f"{'space':>5}  {'tablespace':<28} {'entries':>9}  applied LSN")
    for sid, ts in sorted(engine.spaces.items()):
        name = "system (dictionary)" if sid == 0 else f"{ts.header['schema']}.{ts.header['table']}"
        click.echo(f"{sid:>5}  {name:<28} {ts.entry_count():>9}  {ts.applied_lsn}")


if __name__ == "__main__":
    main()
