"""The `kintsugi` command line."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from core.api import DatabaseStatus

# The engine is imported inside the commands: `kintsugi DIR` starts opening the database in
# a thread before anything else is imported, so start-up pays for the engine only once.


def _printer(prefix: str = "[Note] [KintsugiDB] "):
    from core.events.wording import format_event

    def sink(event) -> None:
        line = format_event(event)
        if line:
            click.echo(prefix + line)

    return sink


# Engine wording for Python arguments -> the command line's flags.
_FLAG_WORDING = [
    (re.compile(r"create=True \(or --create\)"), "--create"),
    (re.compile(r"\bcreate=True\b"), "--create"),
    (re.compile(r"\bforce_recovery\s*>=\s*(\d)"), r"--force-recovery \1"),
    (re.compile(r"\bforce_recovery\s*=\s*(\d)"), r"--force-recovery \1"),
    (re.compile(r"\bforce_recovery\b"), "--force-recovery"),
]


_SAME_TWICE = re.compile(r"(--[\w-]+(?: \d)?) \((?:or )?\1\)")


def _cli_wording(text: str) -> str:
    for pattern, repl in _FLAG_WORDING:
        text = pattern.sub(repl, text)
    text = _SAME_TWICE.sub(r"\1", text)  # "--create (create=True)" said it twice
    return " ".join(text.split())  # one line, whatever the message held


def error_line(err: BaseException) -> str:
    """`ERROR nnnn (SQLSTATE): message` for any exception, on one line.

    A KintsugiDB error keeps its code; an OSError gets MySQL's file-system codes and names
    its file; anything else is a bug, reported as 1105 with its type."""
    errno = getattr(err, "errno", None)
    sqlstate = getattr(err, "sqlstate", None)
    if isinstance(errno, int) and isinstance(sqlstate, str) and not isinstance(err, OSError):
        msg = getattr(err, "msg", None) or str(err)
        hint = getattr(err, "hint", "")
        line = f"ERROR {errno} ({sqlstate}): {msg}"
        if hint:
            line += f"  Hint: {hint}"
        return _cli_wording(line)
    if isinstance(err, OSError):
        return _cli_wording(_os_error_line(err))
    return _cli_wording(f"ERROR 1105 (HY000): internal error: {type(err).__name__}: {err} "
                        "(run with --debug for the traceback)")


def _os_error_line(err: OSError) -> str:
    import errno as E

    code = err.errno or 0
    name = err.filename or ""
    if err.filename2:
        name = f"{name} -> {err.filename2}"
    reason = err.strerror or str(err)
    if code in (E.ENOSPC, E.EDQUOT):
        return (f"ERROR 1021 (HY000): Disk full ({name or 'the database directory'}); free "
                f"some space and try again (errno: {code} - {reason})")
    if code == E.ENOENT:
        return f"ERROR 1017 (HY000): Can't find file: '{name}' (errno: {code} - {reason})"
    if code in (E.EACCES, E.EPERM, E.EROFS):
        return (f"ERROR 1016 (HY000): Can't open file: '{name}' (errno: {code} - {reason}); "
                "check its permissions")
    where = f" on '{name}'" if name else ""
    return f"ERROR 1030 (HY000): Got error {code} from the file system{where}: {reason}"


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and (ctx.find_root().obj or {}).get("debug"))


def _fail(err) -> None:
    """Print `err` as one ERROR line and exit 1 (with --debug: raise it, traceback and all)."""
    if _debug() and isinstance(err, BaseException):
        raise err
    click.echo(error_line(err), err=True)
    sys.exit(1)


class ConsoleGroup(click.Group):
    """`kintsugi DIR` is `kintsugi open DIR`: a first word that is not a command is a path.

    Errors never show a traceback unless `--debug` is given: a KintsugiDB error prints as
    MySQL's `ERROR nnnn (SQLSTATE): message` and exits 1; so does any other exception (as
    an internal error, 1105)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as err:
            if _debug():
                raise
            _fail(err)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["open", *args]
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] DIR | COMMAND [ARGS]...")


def console_options(f):
    """Options of the console, accepted before the command and after it."""
    f = click.option("--theme", default=None, metavar="NAME",
                     help="Colour theme: kintsugi (default), ansi-dark (16 colours, safe over "
                          "SSH and in tmux) or any Textual theme. [env KINTSUGI_THEME]")(f)
    f = click.option("--max-rows", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Rows a result keeps for the grid (all are counted). "
                          "[default 1000000; env KINTSUGI_MAX_ROWS]")(f)
    f = click.option("--history-file", default=None, metavar="PATH",
                     help="Query history file. [default: the user data dir; env "
                          "KINTSUGI_HISTORY_FILE]")(f)
    return f


@click.group(cls=ConsoleGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kintsugidb")
@console_options
@click.option("--debug", is_flag=True,
              help="Show the Python traceback of an internal error instead of one ERROR line.")
@click.pass_context
def main(ctx: click.Context, theme: str | None, max_rows: int | None,
         history_file: str | None, debug: bool) -> None:
    """KintsugiDB: an embedded SQL database with crash recovery you can watch.

    \b
      kintsugi DIR            open the console on the database in DIR
      kintsugi demo [DIR]     build a demo shop, crash it, open the console on it
      kintsugi sql DIR -e Q   run SQL from a script

    Settings come from the command line, then KINTSUGI_* environment variables, then
    the config file (~/.config/kintsugi/config.toml, or $KINTSUGI_CONFIG).
    """
    ctx.ensure_object(dict)
    ctx.obj.update({"theme": theme, "max_rows": max_rows, "history_file": history_file,
                    "debug": debug})


def _settings(ctx: click.Context, **flags):
    from tui.config import ConfigError, load

    merged = dict(ctx.find_root().obj or {})
    merged.pop("debug", None)
    merged.update({k: v for k, v in flags.items() if v is not None})
    try:
        return load(merged)
    except ConfigError as err:
        click.echo(f"kintsugi: {err}", err=True)
        sys.exit(2)


TABS = ["recovery", "ddl", "indexes", "sql"]


def _console(directory: str, settings, *, create: bool = False, database: str | None = "test",
             tab: str | None = None, sql_text: str = "", headless: bool = False,
             ready_file: str | None = None, **engine_options) -> None:
    """Run the console on DIRECTORY; a clear message and exit code 1 if it cannot open."""
    from tui.backend.base import BackendError
    from tui.backend.embedded import EmbeddedBackend, check_directory
    from tui.events import EventPump

    try:
        check_directory(directory, create)
    except BackendError as err:
        _fail_console(err)
    if not headless and not (sys.stdout.isatty() and sys.stdin.isatty()):
        click.echo("kintsugi: the console needs a terminal; for scripts use "
                   "`kintsugi sql DIR -e ...`", err=True)
        sys.exit(2)
    backend = EmbeddedBackend(directory, create=create, database=database, **engine_options)
    pump = EventPump()  # holds the recovery's events until the app takes them
    backend.start_open(pump)  # the engine opens (and recovers) while the screens load
    from tui.app import KintsugiApp
    from tui.history import History

    history = History(settings.history_file, settings.history_size).load()
    app = KintsugiApp(backend, settings, history, initial_tab=tab, sql_text=sql_text,
                      system_clipboard=False, ready_file=ready_file, pump=pump)
    try:
        app.run(headless=headless)
    finally:
        backend.close()
    if app.open_error is not None:
        _fail_console(app.open_error)


def _fail_console(err) -> None:
    _fail(err)  # one line, the hint included


@main.command("open")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--create", is_flag=True, help="Create a new database if DIRECTORY has none.")
@click.option("-D", "--database", default="test", show_default=True,
              help="Schema selected at start.")
@click.option("--tab", type=click.Choice(TABS), default=None,
              help="Tab shown first (default: sql; recovery after a crash is announced).")
@click.option("--force-recovery", type=click.IntRange(0, 6), default=0, show_default=True,
              help="InnoDB-style force level; above 0 opens read-only.")
@click.option("--headless", is_flag=True, hidden=True)
@click.option("--ready-file", hidden=True, help="Benchmarks: write the ready time and exit.")
@console_options
@click.pass_context
def open_console(ctx: click.Context, directory: str, create: bool, database: str, tab: str | None,
                 force_recovery: int, headless: bool, ready_file: str | None,
                 theme: str | None, max_rows: int | None, history_file: str | None) -> None:
    """Open the console on the database in DIRECTORY (also: `kintsugi DIRECTORY`).

    \b
    Tabs: Recovery, DDL Jobs, Indexes, SQL.  F1 lists every key, Ctrl+P searches
    every action, Ctrl+Q quits.
    """
    settings = _settings(ctx, theme=theme, max_rows=max_rows, history_file=history_file)
    options = {"force_recovery": force_recovery} if force_recovery else {}
    _console(directory, settings, create=create, database=database, tab=tab or "sql",
             headless=headless, ready_file=ready_file, **options)


DEMO_SQL = """-- The demo shop. F5 (or Ctrl+J) runs the statement under the cursor; F1: keys.
SELECT c.name, c.city, COUNT(*) AS orders, SUM(o.total) AS spent
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status <> 'cancelled'
GROUP BY c.name, c.city
ORDER BY spent DESC
LIMIT 20;

SELECT * FROM order_items;

SELECT p.category, COUNT(*) AS items, SUM(i.qty * i.unit_price) AS revenue
FROM order_items i JOIN products p ON p.id = i.product_id
GROUP BY p.category ORDER BY revenue DESC;
"""


@main.command()
@click.argument("directory", default="demo-db", type=click.Path(file_okay=False))
@click.option("--no-crash", is_flag=True, help="Only build (or open) the demo; do not crash it.")
@click.option("--no-console", is_flag=True,
              help="Print the recovery instead of opening the console (automatic without a "
                   "terminal).")
@click.option("--scale", type=float, default=1.0, hidden=True, help="Demo size factor.")
@click.option("--tab", type=click.Choice(TABS), default=None, help="Tab shown first.")
@console_options
@click.pass_context
def demo(ctx: click.Context, directory: str, no_crash: bool, no_console: bool, scale: float,
         tab: str | None, theme: str | None, max_rows: int | None,
         history_file: str | None) -> None:
    """Build a demo shop database in DIRECTORY (default ./demo-db), crash it, watch it recover.

    The shop has customers, products, orders and order items (tens of thousands of rows,
    with indexes).  A child process commits orders and is killed with SIGKILL while a large
    transaction is still open; the console then opens the database, and its Recovery tab
    shows the redo scan, the re-applied batches and the roll-back.
    """
    from core.api import inspect
    from core.errors import Error
    from tui import demo as demo_mod

    settings = _settings(ctx, theme=theme, max_rows=max_rows, history_file=history_file)
    console = not no_console and sys.stdout.isatty() and sys.stdin.isatty()
    try:
        if not os.path.exists(os.path.join(directory, "control")):
            click.echo(f"Building the demo shop in {directory} ...")
            demo_mod.build(directory, scale=scale, say=click.echo)
        if not no_crash:
            click.echo("Starting a writer and killing it with SIGKILL mid-transaction ...")
            committed = demo_mod.run_crash(directory)
            click.echo(f"The writer had acknowledged orders up to #{committed}.")
    except RuntimeError as err:  # the demo's own checks: not a bug, no "internal error"
        click.echo(_cli_wording(f"ERROR 1105 (HY000): {err}"), err=True)
        sys.exit(1)
    except Error as err:
        _fail(err)
    try:
        if console:
            _console(directory, settings, database="shop", tab=tab or "recovery",
                     sql_text=DEMO_SQL)
            return
        click.echo("Reopening:\n")
        status = inspect(directory, sink=_printer())
        click.echo()
        _print_info(status)
    except Error as err:
        _fail(err)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def info(directory: str) -> None:
    """Show a database's LSNs, redo segments and tablespaces."""
    from core.api import inspect
    from core.errors import Error

    try:
        _print_info(inspect(directory))
    except Error as err:
        _fail(err)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--force-recovery", type=click.IntRange(0, 6), default=0, show_default=True,
              help="InnoDB-style force level; any level above 0 opens read-only.")
def recover(directory: str, force_recovery: int) -> None:
    """Open DIRECTORY, run crash recovery if it needs one, and print what it did."""
    from core.api import recover as recover_database
    from core.errors import Error

    try:
        recover_database(directory, sink=_printer(), force_recovery=force_recovery)
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

    from core.api import connect, split_statements
    from core.errors import Error
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
            chunks = split_statements(statements)  # parsed one by one, as mysql
        except Error as err:
            _fail(err)
        for text in chunks:
            t0 = _time.perf_counter()
            try:
                cur = conn.cursor(stream=batch)  # -B streams: rows print as they come
                cur.execute(text)
                secs = _time.perf_counter() - t0
                if cur.description is not None:
                    names = [d[0] for d in cur.description]
                    if batch:
                        click.echo("\t".join(names))
                        while rows := cur.fetchmany(1000):
                            click.echo("\n".join(
                                "\t".join("NULL" if v is None else str(v) for v in r)
                                for r in rows))
                    else:
                        rows = cur.fetchall()
                        if rows:
                            click.echo(format_table(names, rows))
                        n = len(rows)
                        click.echo(f"{n} row{'s' if n != 1 else ''} in set ({secs:.2f} sec)\n"
                                   if rows else f"Empty set ({secs:.2f} sec)\n")
                elif not batch:
                    n = cur.rowcount
                    click.echo(f"Query OK, {n} row{'s' if n != 1 else ''} affected "
                               f"({secs:.2f} sec)\n")
            except Error as err:
                click.echo(error_line(err), err=True)
                failed = True
                if not force:
                    break
            except BrokenPipeError:  # `kintsugi sql ... | head`: the reader has enough
                _quiet_stdout()
                break
    finally:
        conn.close()
    if failed:
        sys.exit(1)


def _quiet_stdout() -> None:
    """After a broken pipe, send what is still buffered to /dev/null: Python would otherwise
    report the same EPIPE again when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _print_info(st: DatabaseStatus) -> None:
    from core.events.wording import format_lsn

    click.echo(f"Database        {st.path}")
    click.echo(f"End LSN         {st.end_lsn} ({format_lsn(st.end_lsn)})")
    click.echo(f"Checkpoint LSN  {st.checkpoint_lsn} ({format_lsn(st.checkpoint_lsn)})")
    click.echo(f"Redo segments   {', '.join(str(s) for s in st.segments)}")
    click.echo()
    click.echo(f"{'space':>5}  {'tablespace':<28} {'entries':>9}  applied LSN")
    for ts in sorted(st.tablespaces, key=lambda ts: ts.space_id):
        click.echo(f"{ts.space_id:>5}  {ts.name:<28} {ts.entries:>9}  {ts.applied_lsn}")


if __name__ == "__main__":
    main()
