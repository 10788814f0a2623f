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
