"""The `kintsugi` command line."""

from __future__ import annotations

import difflib
import os
import re
import sys
from typing import TYPE_CHECKING

import click

from tui.wording import cli_wording, damage_hint

if TYPE_CHECKING:
    from core.api import DatabaseStatus, Inspection

# The engine is imported inside the commands: `kintsugi DIR` starts opening the database in
# a thread before anything else is imported, so start-up pays for the engine only once.


def _lines(event) -> list[tuple[str, str]]:
    """(level, text) lines of an event, InnoDB's wording (`core.events.wording.log_lines`;
    before that existed, `format_event`, every line a Note)."""
    from core.events import wording

    log_lines = getattr(wording, "log_lines", None)
    if log_lines is not None:
        return [(str(level).strip("[] ") or "Note", text) for level, text in log_lines(event)]
    line = wording.format_event(event)
    return [("Note", line)] if line else []


def _printer():
    """A sink printing each event as MySQL 8's error log does: `[Note] [KintsugiDB] text`."""

    def sink(event) -> None:
        for level, text in _lines(event):
            click.echo(f"[{level}] [KintsugiDB] {_cli_wording(text)}")

    return sink


_cli_wording = cli_wording  # the name the tests and older callers use


def error_line(err: BaseException, directory: str | None = None) -> str:
    """`ERROR nnnn (SQLSTATE): message` for any exception, on one line.

    A KintsugiDB error keeps its code; an OSError gets MySQL's file-system codes and names
    its file; anything else is a bug, reported as 1105 with its type.  With the database
    `directory`, a 1877 that stops an open gets the way out (dump, then discard the damaged
    log) instead of a hint that ends at a read-only open."""
    errno = getattr(err, "errno", None)
    sqlstate = getattr(err, "sqlstate", None)
    if isinstance(errno, int) and isinstance(sqlstate, str) and not isinstance(err, OSError):
        msg = getattr(err, "msg", None) or str(err)
        hint = getattr(err, "hint", "")
        if errno == 1877 and directory is not None and "control file" not in msg:
            hint = damage_hint(directory, log="redo" in msg)
        line = f"ERROR {errno} ({sqlstate}): {msg}".rstrip()
        if hint:
            if not line.endswith((".", "!", "?")):
                line += "."  # the hint is a sentence of its own
            line += f" Hint: {hint}"
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


def _fail(err, directory: str | None = None) -> None:
    """Print `err` as one ERROR line and exit 1 (with --debug: raise it, traceback and all).
    `directory`: the database the command opens (see `error_line`)."""
    if _debug() and isinstance(err, BaseException):
        raise err
    click.echo(error_line(err, directory), err=True)
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
        except BrokenPipeError:  # `kintsugi info DIR | head -1`: the reader has enough
            _quiet_stdout()
            sys.exit(0)
        except Exception as err:
            if _debug():
                raise
            _fail(err)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            if not self._is_path(args[0], args[1:]):
                close = difflib.get_close_matches(args[0], list(self.commands), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                ctx.fail(f"No such command '{args[0]}'.{hint}")
            args = ["open", *args]
        return super().resolve_command(ctx, args)

    def _is_path(self, word: str, rest: list[str]) -> bool:
        """Whether `kintsugi WORD ...` means `kintsugi open WORD ...`: WORD exists, or is
        written as a path (`./db`, `~/db`, `a/b`), or is to be created (`kintsugi newdb
        --create`), or is a new name followed only by options.  A word that is none of these
        and is close to a command name (`inf`), or is followed by more words (`kintsugi inf
        DIR`), is a mistyped command: click's "No such command" says so, instead of
        "unexpected extra argument"."""
        if os.path.exists(word) or os.sep in word or word.startswith((".", "~")):
            return True
        if "--create" in rest:
            return True
        if difflib.get_close_matches(word, list(self.commands), n=1, cutoff=0.8):
            return False
        return not any(not a.startswith("-") for a in rest[:1])

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
      kintsugi DIR              open the console on the database in DIR (= open DIR)
      kintsugi demo [DIR]       build a demo shop, crash it, open the console on it
      kintsugi sql DIR          the SQL client, like `mysql` (-e Q or stdin: a script)
      kintsugi info DIR         what DIR holds, whether it needs recovery (never writes)
      kintsugi recover DIR      run crash recovery and print its log, InnoDB's lines
      kintsugi dump DIR [DB]    write the data as SQL that `kintsugi sql` loads back
      kintsugi check DIR [DB]   check every index against its rows (--repair fixes them)
      kintsugi binlog DIR       the binary log as SQL that `kintsugi sql` replays
      kintsugi backup DIR DEST  a hot, consistent backup (--verify DEST checks one)
      kintsugi restore BK DIR   a backup plus the binlog up to a point in time, into DIR

    Every command that opens a database takes --force-recovery N (1-6: open read-only
    past damage, InnoDB's levels) and --scan-directories "a;b" (rebuild the tablespace
    map from the .kdb files found there).

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


TABS = ["recovery", "ddl", "indexes", "sql", "backups"]


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
        _fail_console(err, directory)
    if not headless and not (sys.stdout.isatty() and sys.stdin.isatty()):
        click.echo("kintsugi: the console needs a terminal; for scripts use "
                   "`kintsugi sql DIR -e ...`", err=True)
        sys.exit(2)
    import gc

    gc.disable()  # while the console starts (7% of it); the app turns it on once drawn
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
        _fail_console(app.open_error, directory)
    if app.reopen_path:  # the Backups tab restored a database and was asked to open it
        _console(app.reopen_path, settings, database=database, tab="sql", headless=headless)


def _fail_console(err, directory: str | None = None) -> None:
    _fail(err, directory)  # one line, the hint included


def engine_flags(f):
    """--force-recovery, --scan-directories and --skip-log-bin: one spelling on every command
    that opens a database."""
    f = click.option("--skip-log-bin", is_flag=True, expose_value=False,
                     callback=_remember_skip_log_bin,
                     help="Write no binary log (MySQL's --skip-log-bin): commits are not "
                          "logged for point-in-time recovery; SHOW BINARY LOGS answers "
                          "ERROR 1381.")(f)
    f = click.option("--scan-directories", metavar='"DIR;DIR"', default=None,
                     help="Rebuild the tablespace map from the .kdb files found in these "
                          "directories (';'-separated), when system.kdb's map or a file "
                          "was lost or moved.")(f)
    f = click.option("--force-recovery", type=click.IntRange(0, 6), default=0,
                     show_default=True, metavar="N",
                     help="InnoDB's levels 1-6: open past damage, read-only (writes fail "
                          "with ERROR 1881). 1 skips damaged redo and missing tablespaces; "
                          "6 applies no redo.")(f)
    return f


def _remember_skip_log_bin(ctx: click.Context, _param, value: bool) -> bool:
    """--skip-log-bin reaches `_engine_options` through the context, so that no command's
    signature has to carry it."""
    if value:
        ctx.meta["kintsugi.skip_log_bin"] = True
    return value


def _check_directory(directory: str, create: bool = False, *, create_flag: bool = True) -> None:
    """The same words for a missing directory, a directory without a database and a held
    one on every command, before anything is opened.  `create_flag`: the command has
    --create (only then do the messages suggest it)."""
    from core.api import check_directory
    from core.errors import Error

    try:
        check_directory(directory, create=create, create_hint=create_flag)
    except Error as err:
        _fail(err, directory)


def _engine_options(force_recovery: int, scan_directories: str | None) -> dict:
    """The engine's keyword arguments for the two flags (only those given: an engine
    option left at its default is not passed at all)."""
    options: dict = {}
    if force_recovery:
        options["force_recovery"] = force_recovery
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get("kintsugi.skip_log_bin"):
        options["log_bin"] = False
    if scan_directories is not None:
        dirs = [d.strip() for d in scan_directories.split(";") if d.strip()]
        if not dirs:
            from core.errors import ProgrammingError

            _fail(ProgrammingError('--scan-directories names no directory: give at least one, '
                                   'e.g. --scan-directories "DIR;DIR"', errno=1210,
                                   sqlstate="HY000"))
        options["scan_directories"] = dirs
    return options


@main.command("open", short_help="Open the console on a database (also: kintsugi DIR).")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--create", is_flag=True, help="Create a new database if DIRECTORY has none.")
@click.option("-D", "--database", default="test", show_default=True,
              help="Schema selected at start.")
@click.option("--tab", type=click.Choice(TABS), default=None,
              help="Tab shown first (default: sql; recovery after a crash is announced).")
@engine_flags
@click.option("--headless", is_flag=True, hidden=True)
@click.option("--ready-file", hidden=True, help="Benchmarks: write the ready time and exit.")
@console_options
@click.pass_context
def open_console(ctx: click.Context, directory: str, create: bool, database: str, tab: str | None,
                 force_recovery: int, scan_directories: str | None, headless: bool,
                 ready_file: str | None, theme: str | None, max_rows: int | None,
                 history_file: str | None) -> None:
    """Open the console on the database in DIRECTORY (also: `kintsugi DIRECTORY`).

    \b
    Tabs: Recovery, DDL Jobs, Indexes, SQL.  F1 lists every key, Ctrl+P searches
    every action, Ctrl+Q quits.
    """
    settings = _settings(ctx, theme=theme, max_rows=max_rows, history_file=history_file)
    _console(directory, settings, create=create, database=database, tab=tab or "sql",
             headless=headless, ready_file=ready_file,
             **_engine_options(force_recovery, scan_directories))


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


@main.command(short_help="Build a demo shop, crash it with SIGKILL, watch it recover.")
@click.argument("directory", default="demo-db", type=click.Path(file_okay=False))
@click.option("--no-crash", is_flag=True, help="Only build (or open) the demo; do not crash it.")
@click.option("--no-console", is_flag=True,
              help="Print the recovery instead of opening the console (automatic without a "
                   "terminal).")
@click.option("--scale", type=float, default=1.0, hidden=True, help="Demo size factor.")
@click.option("--tab", type=click.Choice(TABS), default=None, help="Tab shown first.")
@engine_flags
@console_options
@click.pass_context
def demo(ctx: click.Context, directory: str, no_crash: bool, no_console: bool, scale: float,
         tab: str | None, force_recovery: int, scan_directories: str | None,
         theme: str | None, max_rows: int | None, history_file: str | None) -> None:
    """Build a demo shop database in DIRECTORY (default ./demo-db), crash it, watch it recover.

    The shop has customers, products, orders and order items (tens of thousands of rows,
    with indexes).  A child process commits orders and is killed with SIGKILL while a large
    transaction is still open; the console then opens the database, and its Recovery tab
    shows the redo scan, the re-applied batches and the roll-back.  --force-recovery and
    --scan-directories apply to that reopening.  A dropped and a truncated table wait for
    GC (tidb_gc_life_time 1h): the DDL Jobs tab brings them back (r, f).  A backup is
    taken before them (DIRECTORY-backups/): the Backups tab restores to just before the
    drop (r).
    """
    from core.api import recover as recover_database
    from core.errors import Error
    from tui import demo as demo_mod

    settings = _settings(ctx, theme=theme, max_rows=max_rows, history_file=history_file)
    console = not no_console and sys.stdout.isatty() and sys.stdin.isatty()
    options = _engine_options(force_recovery, scan_directories)
    # small apply batches, so that the demo's few thousand redo records show as several
    # batches with their own LSN ranges and 10% steps (a real open uses 200,000)
    options["apply_batch_ops"] = demo_mod.APPLY_BATCH_OPS
    try:
        if not os.path.exists(os.path.join(directory, "control")):
            click.echo(f"Building the demo shop in {directory} ...")
            demo_mod.build(directory, scale=scale, say=click.echo)
        elif not no_crash:  # a demo built earlier: a drop to bring back again, if none is left
            demo_mod.check_demo(directory)
            dropped = demo_mod.fresh_drop(directory)
            if dropped:
                click.echo(dropped)
        if not no_crash:
            click.echo("Starting a writer and killing it with SIGKILL mid-transaction ...")
            committed = demo_mod.run_crash(directory, ddl_jobs=True)
            click.echo(f"The writer had acknowledged orders up to #{committed}.")
    except RuntimeError as err:  # the demo's own checks: not a bug, no "internal error"
        click.echo(_cli_wording(f"ERROR 1105 (HY000): {err}"), err=True)
        sys.exit(1)
    except Error as err:
        _fail(err, directory)
    try:
        if console:
            _console(directory, settings, database="shop", tab=tab or "recovery",
                     sql_text=DEMO_SQL, **options)
            return
        click.echo("Reopening:\n")
        status = recover_database(directory, sink=_printer(), **options)
        _print_forced_summary(directory, status)
        click.echo()
        _print_info(_inspect(directory))
    except Error as err:
        _fail(err, directory)


def _inspect(directory: str):
    from core.api import inspect

    return inspect(directory)


@main.command(short_help="What a database holds and whether it needs recovery (read-only).")
@click.argument("directory", type=click.Path(file_okay=False))
def info(directory: str) -> None:
    """What DIRECTORY holds and whether it needs recovery; never writes, works while open.

    Reads the control file, the redo log from the checkpoint to its end, and every
    tablespace's header, without taking the directory lock and without recovering: run it
    on a crashed database to see what `kintsugi recover` would do, or while the console
    has the database open.
    """
    from core.errors import Error

    try:
        if _print_backup_info(directory):
            return
        _print_info(_inspect(directory))
    except Error as err:
        _fail(err, directory)


def _print_backup_info(directory: str) -> bool:
    """`kintsugi info BACKUP`: what the manifest says, instead of calling a backup a crashed
    database that needs recovery."""
    import time

    import core
    from core.api import is_backup

    if not is_backup(directory):
        return False
    b = core.read_backup(directory)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(b.finished))
    click.echo(f"{directory} is a KintsugiDB backup, not a database (opening it would change "
               "it).")
    click.echo(f"  taken        {when} of {b.source}")
    click.echo(f"  consistent   at LSN {b.lsn:,}; GTID set {b.gtid or '(empty)'}")
    if b.binlog_file:
        click.echo(f"  binlog       continues at {b.binlog_file}:{b.binlog_pos}")
    click.echo(f"  files        {b.files}, {b.bytes:,} bytes")
    click.echo(f"  check it     kintsugi backup --verify {directory}")
    click.echo(f"  restore it   kintsugi restore {directory} NEW_DIR [--stop-datetime T ...]")
    return True


@main.command(short_help="Run crash recovery and print its log in InnoDB's lines.")
@click.argument("directory", type=click.Path(file_okay=False))
@engine_flags
@click.option("--discard-damaged-log", is_flag=True,
              help="After a forced dump: copy the damaged redo segments aside, end the log "
                   "at the damage and open writable (the redo past it is lost).")
def recover(directory: str, force_recovery: int, scan_directories: str | None,
            discard_damaged_log: bool) -> None:
    """Run crash recovery on DIRECTORY if it needs one and print its log, InnoDB's lines.

    \b
    Examples:
      kintsugi recover mydb                       recover after a crash
      kintsugi recover mydb --force-recovery 1    read-only, past damaged redo
      kintsugi dump mydb --force-recovery 1 > dump.sql
      kintsugi recover mydb --force-recovery 1 --discard-damaged-log
    """
    from core.api import recover as recover_database
    from core.errors import Error

    options = _engine_options(force_recovery, scan_directories)
    _check_directory(directory, create_flag=False)
    try:
        status = recover_database(directory, sink=_printer(),
                                  discard_damaged_log=discard_damaged_log, **options)
    except Error as err:
        _fail(err, directory)
    if status.recovery is None and not status.force_recovery:
        click.echo("[Note] [KintsugiDB] The last shutdown was clean: no recovery was needed.")
    _print_forced_summary(directory, status)


def _print_forced_summary(directory: str, status: DatabaseStatus, err: bool = False) -> None:
    """The last line of a forced or log-discarding open: what it could not apply and what
    to do next.  A [Warning] when anything was skipped, so it is never lost in the notes.
    `err`: on stderr (`sql` and `dump`, whose stdout is their result)."""
    rec = getattr(status, "recovery", None)
    level = status.force_recovery
    flag = f"--force-recovery {level}"
    if rec is None:
        if level:
            click.echo(f"[Note] [KintsugiDB] Opened read-only ({flag}); nothing was skipped.",
                       err=err)
        return
    skipped = []
    if rec.skipped_lsn_range:
        skipped.append(f"the redo in lsn {rec.skipped_lsn_range} was not applied "
                       f"({rec.skipped_commits} committed transaction(s) in or after it"
                       + (f", touching {', '.join(rec.skipped_tables)}" if rec.skipped_tables
                          else "") + ")")
    elif rec.skipped_commits:
        skipped.append(f"{rec.skipped_commits} committed transaction(s) were not applied")
    if rec.missing_tablespaces:
        skipped.append("tablespace file(s) missing: " + ", ".join(rec.missing_tablespaces)
                       + " (queries on them fail with ERROR 1812)")
    if rec.reason == "discard-damaged-log" or "damaged segments kept" in rec.outcome:
        click.echo(f"[Warning] [KintsugiDB] {_cli_wording(rec.outcome).rstrip('.')}. The "
                   f"database is writable again: open it without --force-recovery; "
                   "what the dump saved from before the damage can be loaded with "
                   f"`kintsugi sql {directory} < dump.sql`.", err=err)
        return
    if not skipped:
        if level:
            click.echo(f"[Note] [KintsugiDB] Opened read-only ({flag}); nothing was "
                       "skipped: open it without --force-recovery to write.", err=err)
        return
    d = directory
    save = f"`kintsugi dump {d} {flag} > dump.sql` saves what is readable"
    if level >= 6:  # nothing is damaged: the redo was left out on purpose
        then = ("; open it without --force-recovery (or at a lower level) to apply the "
                "redo instead")
    elif rec.skipped_lsn_range:
        then = (f", then `kintsugi recover {d} {flag} --discard-damaged-log` ends the log "
                "at the damage (keeping a copy) and opens it writable; or load the dump into "
                "a new directory with `kintsugi sql NEWDIR --create < dump.sql`")
    else:
        then = (f"; `kintsugi {d} --scan-directories \"DIR;DIR\"` finds tablespace files "
                "that were moved, or load the dump into a new directory with "
                "`kintsugi sql NEWDIR --create < dump.sql`")
    click.echo(f"[Warning] [KintsugiDB] Forced recovery ({flag}) opened the database "
               f"read-only: {'; '.join(skipped)}. Next: {save}{then}.", err=err)


def _print_open_summary(directory: str, status: DatabaseStatus) -> None:
    """On stderr, what the open of `sql` or `dump` did before its work began: one Note when
    it recovered after a crash (never silently), and a forced open's Warning (what it could
    not apply), as `kintsugi recover` ends."""
    rec = status.recovery
    if status.force_recovery or (rec is not None and rec.reason != "crash"):
        _print_forced_summary(directory, status, err=True)
        return
    if rec is None:
        return
    click.echo(f"[Note] [KintsugiDB] Recovered after a crash: {rec.records_applied:,} row "
               f"operation(s) re-applied, {rec.transactions_rolled_back} open transaction(s) "
               f"cleaned up; the full log is in {os.path.join(directory, 'kintsugi.err')}",
               err=True)


@main.command(short_help="Check every index against its rows; --repair fixes what is wrong.")
@click.argument("directory", type=click.Path(file_okay=False))
@click.argument("database", required=False)
@click.argument("tables", nargs=-1)
@click.option("--repair", is_flag=True,
              help="Repair each inconsistent index (RECOVER, CLEANUP or REPAIR INDEX, "
                   "whichever fits what is wrong), then check it again.")
@engine_flags
def check(directory: str, database: str | None, tables: tuple[str, ...], repair: bool,
          force_recovery: int, scan_directories: str | None) -> None:
    """Check the indexes of DIRECTORY's tables (or DATABASE's, or some of its TABLES)
    against their rows: one line per index with its missing, dangling and mismatched
    entries (ADMIN SHOW INDEX INCONSISTENCIES), then a summary with the time it took.  Each check is
    recorded (information_schema.KINTSUGI_INDEX_CHECKS, the console's Indexes tab).

    With --repair, each inconsistent index is repaired by the statement that fits, in
    batches that are each committed, and checked again.  Exit status: 0 every index
    consistent (or repaired), 2 an inconsistency is left, 1 an error stopped a table.

    \b
    Examples:
      kintsugi check mydb
      kintsugi check mydb shop orders customers
      kintsugi check mydb shop --repair
    """
    from tui.check_cmd import check_command

    _check_directory(directory, create_flag=False)
    check_command(directory, database, tables, repair,
                  _engine_options(force_recovery, scan_directories), _fail)


from tui.binlog_cmd import binlog as _binlog  # noqa: E402 - `kintsugi binlog` (mysqlbinlog)

main.add_command(_binlog)

from tui.restore_cmd import restore as _restore_command  # noqa: E402 - `kintsugi restore`

main.add_command(_restore_command)


@main.command(short_help="Write the data as SQL (mysqldump style) that `sql` loads back.")
@click.argument("directory", type=click.Path(file_okay=False))
@click.argument("database", required=False)
@click.argument("tables", nargs=-1)
@engine_flags
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
              metavar="FILE", help="Write to FILE instead of stdout (refused if FILE exists, "
                                   "unless --force).")
@click.option("--force", is_flag=True, help="Overwrite the -o FILE if it exists.")
def dump(directory: str, database: str | None, tables: tuple[str, ...], force_recovery: int,
         scan_directories: str | None, output: str | None, force: bool) -> None:
    """Write the data of DIRECTORY as SQL (mysqldump's shape) that `kintsugi sql` loads.

    Every schema (or DATABASE, or some of its TABLES): CREATE DATABASE IF NOT EXISTS,
    USE, DROP TABLE IF EXISTS + CREATE TABLE with its indexes, and multi-row INSERTs, all
    read in one snapshot.  With --force-recovery it reads a damaged database read-only:
    this is how to save the data before `kintsugi recover --discard-damaged-log`; a
    damaged row is then left out and counted on stderr, every other row is dumped.  A
    table that cannot be read (ERROR 1812, 1877) is reported on stderr and skipped; the
    dump goes on and exits 1 at the end.  A progress bar shows on stderr when it is a terminal.

    \b
    Examples:
      kintsugi dump mydb > all.sql
      kintsugi dump mydb shop orders customers -o shop.sql
      kintsugi dump mydb --force-recovery 1 > rescue.sql
      kintsugi sql newdb --create < rescue.sql
    """
    import io

    from core.dump import dump as dump_database
    from core.errors import Error

    if tables and not database:
        raise click.UsageError("name the DATABASE before its TABLES")
    if output is not None:
        _check_output(directory, output, force)
    _check_directory(directory, create_flag=False)
    partial = f"{output}.partial-{os.getpid()}" if output is not None else None
    if partial is not None:  # renamed to FILE once written: a failed dump leaves FILE as it was
        try:
            out = open(partial, "w", encoding="utf-8", newline="\n")
        except OSError as err:  # name the file the user gave, not the temporary one
            err.filename = output
            _fail(err)
    else:
        sys.stdout.flush()  # UTF-8 whatever the locale: the dump is read back as UTF-8
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    progress = _DumpBar() if sys.stderr.isatty() else None
    failed: list[str] = []

    def on_error(name: str, err: Error) -> None:
        if progress is not None:
            progress.clear()
        failed.append(name)
        click.echo(f"[ERROR] [KintsugiDB] {_table_not_dumped(directory, name, err)}", err=True)

    skipped: list[int] = []

    def on_skipped(name: str, count: int) -> None:
        if progress is not None:
            progress.clear()
        skipped.append(count)
        click.echo(f"[Warning] [KintsugiDB] {name}: skipped {count} damaged row(s) that "
                   f"could not be read (--force-recovery {force_recovery}); every other row "
                   "is in the dump", err=True)

    done = False
    try:
        summary = dump_database(directory, out, database=database, tables=tables,
                                sink=progress or (lambda e: None), on_error=on_error,
                                on_skipped=on_skipped,
                                on_open=lambda st: _print_open_summary(directory, st),
                                **_engine_options(force_recovery, scan_directories))
        done = True
    except Error as err:
        if progress is not None:
            progress.clear()
        _fail(err, directory)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(1)
    finally:
        try:
            out.flush()
        except BrokenPipeError:
            _quiet_stdout()
        if partial is not None:
            out.close()
            if done:
                try:
                    os.replace(partial, output)
                except OSError as err:
                    os.unlink(partial)
                    err.filename, err.filename2 = output, None
                    _fail(err)
            else:
                os.unlink(partial)
        else:
            out.detach()
    if progress is not None:
        progress.clear()
        click.echo(f"Dumped {summary.tables} table(s), {summary.rows} row(s) from "
                   f"{summary.schemas} schema(s)"
                   + (f"; {sum(skipped)} damaged row(s) skipped" if skipped else "")
                   + (f"; {len(failed)} table(s) failed: {', '.join(failed)}" if failed
                      else "") + ".", err=True)
    if failed:
        sys.exit(1)


def _check_output(directory: str, output: str, force: bool) -> None:
    """Refuse a -o FILE that exists (without --force) or that lies inside the database
    directory: overwriting `DIR/control` or a tablespace with the dump destroys the very
    database being saved, --force or not."""
    db = os.path.realpath(directory)
    target = os.path.realpath(output)
    if os.path.isdir(db) and os.path.commonpath([db, target]) == db:
        click.echo(_cli_wording(
            f"ERROR 1210 (HY000): Incorrect arguments to dump: the output file {output} is "
            f"inside the database directory {directory}; write the dump outside it"), err=True)
        sys.exit(1)
    if os.path.exists(output) and not force:
        click.echo(f"ERROR 1086 (HY000): File '{output}' already exists; use --force to "
                   "overwrite it", err=True)
        sys.exit(1)


_DAMAGED_KEY = re.compile(r"\bkey ([0-9a-fA-F]{8,})\b")


def _table_not_dumped(directory: str, name: str, err) -> str:
    """The ERROR line of a table the dump could not read: it is NOT in the dump (its rows
    written so far are rolled back when the file is loaded), and how to save the rest."""
    line = error_line(err)
    code, _, msg = line.partition(": ")
    if getattr(err, "errno", None) == 1877 and (m := _DAMAGED_KEY.search(msg)):
        return (f"{code}: table {name} is NOT in the dump (damaged row at key {m.group(1)}): "
                f"run `kintsugi dump {directory} --force-recovery 1` to skip damaged rows and "
                f"save the rest. {msg}")
    return f"{code}: table {name} is NOT in the dump: {msg}"


class _DumpBar:
    """The dump's progress on one rewritten stderr line: table, rows, a bar against the
    estimate.  Used only when stderr is a terminal; a pipe gets nothing."""

    def __init__(self) -> None:
        import time as _time

        self._time = _time
        self._last = 0.0
        self._shown = False

    def __call__(self, event) -> None:
        from core.dump import DumpProgress

        if not isinstance(event, DumpProgress):
            return
        now = self._time.monotonic()
        if not event.done and now - self._last < 0.1:
            return
        self._last = now
        total = max(event.total_rows_estimate, event.rows, 1)
        width = 30
        fill = width * event.rows // total
        bar = "#" * fill + "-" * (width - fill)
        name = f"{event.schema}.{event.table}"
        sys.stderr.write(f"\r\x1b[K{name[:40]:<40} [{bar}] {event.rows:>10,} rows")
        sys.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False


@main.command(short_help="The SQL client: interactive on a terminal, or -e / stdin scripts.")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("-e", "--execute", "statements", metavar="SQL",
              help="Statements to run (separated by ;). Without -e, read them from stdin, "
                   "or start the interactive client when stdin and stdout are a terminal.")
@click.option("-D", "--database", default="test", show_default=True,
              help="Schema selected at start.")
@click.option("--create", is_flag=True, help="Create the database if the directory has none.")
@click.option("-B", "--batch", is_flag=True, help="Tab-separated output, no boxes.")
@click.option("-f", "--force", is_flag=True,
              help="Continue after an error; the exit status is still 1 if any statement "
                   "failed (as `mysql --force`).")
@click.option("--pager/--no-pager", "pager", default=None,
              help="Interactive client: page every result / never page. [default: page "
                   "only a result taller or wider than the screen, with $PAGER or "
                   "`less -SFX`; env KINTSUGI_PAGER=0 turns it off]")
@click.option("--history-file", default=None, metavar="PATH",
              help="Interactive client: the history file, the console's. [default: the user "
                   "data dir; env KINTSUGI_HISTORY_FILE]")
@engine_flags
@click.pass_context
def sql(ctx: click.Context, directory: str, statements: str | None, database: str,
        create: bool, batch: bool, force: bool, pager: bool | None, force_recovery: int,
        scan_directories: str | None, history_file: str | None) -> None:
    """Run SQL against the database in DIRECTORY, like the `mysql` client.

    With -e, or statements piped on stdin, it runs them as `mysql` runs a script: split
    first, run in order, stop at the first error (`ERROR 1064 (42000) at line 2: ...`, the
    line of the script where the statement begins) unless --force.

    \b
    Examples:
      kintsugi sql mydb -e "SHOW TABLES"
      echo "SELECT COUNT(*) FROM t" | kintsugi sql mydb
      kintsugi sql newdb --create < dump.sql     (load a `kintsugi dump`)
      kintsugi sql mydb                          (the interactive client)

    \b
    On a terminal it is an interactive client, the prompt `kintsugi [db]>`:
      statements end with ; (or \\G: one column per line); Enter on an
      unfinished one continues it (`    -> `); Tab completes keywords,
      databases, tables and columns; Up/Down and Ctrl+R search the history
      (the console's file: what one runs, the other recalls).
      Ctrl+C cancels the running statement (ERROR 1317) or clears the line;
      Ctrl+D, quit, exit or \\q leave (an open transaction: you are asked to
      commit or roll it back).
    \b
    Client commands (as mysql's):
      help, \\h, \\?        this list            use DB, \\u DB       change schema
      status, \\s          database, schema, transaction, version, uptime
      source F, \\. F      run a script file    \\e                  edit in $EDITOR
      \\G                  end a statement, rows shown vertically
      pager, \\P [CMD]     page every result    nopager, \\n         never page
      warnings, \\W        show warnings after each statement (nowarning, \\w: only count them)
      quit, exit, \\q      leave
    """
    from core.api import connect
    from core.errors import Error

    interactive = statements is None and sys.stdin.isatty() and sys.stdout.isatty()
    if statements is None and not interactive:
        if sys.stdin.isatty():
            raise click.UsageError("give statements with -e, or pipe them on stdin (the "
                                   "interactive client needs stdout on a terminal too)")
        statements = sys.stdin.read()
    _check_directory(directory, create)
    try:
        conn = connect(directory, create=create, database=database, autocommit=True,
                       **_engine_options(force_recovery, scan_directories))
    except Error as err:
        _fail(err, directory)
    _print_open_summary(directory, conn.info())
    if interactive:
        from tui.client.repl import run_client

        settings = _settings(ctx, history_file=history_file)
        try:
            run_client(conn, directory, settings, pager=pager, error_line=error_line,
                       force=force)
        finally:
            conn.close()
        return
    from tui.client.script import run_script

    try:
        outcome = run_script(conn, statements, click.echo,
                             lambda line: click.echo(line, err=True), error_line,
                             force=force, batch=batch)
    except BrokenPipeError:
        # `kintsugi sql ... | head`: the reader left, so the rest of the script is not run;
        # as mysql (killed by SIGPIPE) the exit status is 128 + 13, and closing the
        # connection rolls an open transaction back, as on any abnormal end
        _quiet_stdout()
        sys.exit(141)
    finally:
        conn.close()
    if outcome.failed:
        sys.exit(1)


def _quiet_stdout() -> None:
    """After a broken pipe, send what is still buffered to /dev/null: Python would otherwise
    report the same EPIPE again when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


# what `info`'s "entries" column counts (`TablespaceInspection.entries`: the keys of the
# file's LMDB data store), said under its header so that no one reads it as a row count
ENTRIES_LEGEND = ("       entries = rows + secondary index entries (the file's keys; "
                  "system.kdb: dictionary records)")


def _print_info(st: Inspection) -> None:
    """`kintsugi info`: the inspection in the order a DBA asks: is it open, does it need
    recovery, how much, is anything damaged; then the numbers."""
    from core.events.wording import format_lsn

    d = st.path
    def row(label: str, text: str) -> None:
        click.echo(f"{label:<17}{text}")

    row("Database", d)
    if st.held_by_pid is not None:
        cmd = f" ({st.held_by_command})" if st.held_by_command else ""
        row("State", f"open in process {st.held_by_pid}{cmd}")
    elif st.clean_shutdown:
        row("State", "shut down cleanly")
    else:
        row("State", "not shut down cleanly (crashed, or killed)")
    past = (f"{st.redo_bytes_past_checkpoint:,} bytes / {st.records_past_checkpoint:,} "
            "records of redo past the checkpoint")
    if st.recovery_needed:
        row("Recovery needed", f"yes — {past}; `kintsugi recover {d}` runs it")
        row("", f"{st.committed_past_checkpoint} committed transaction(s) to re-apply "
                f"({st.row_operations_to_apply:,} row operations), "
                f"{st.unfinished_past_checkpoint} without COMMIT to discard")
    elif st.held_by_pid is not None:
        row("Recovery needed", f"no — process {st.held_by_pid} has it open ({past}; they "
                               "are replayed only if that process dies without closing)")
    else:
        row("Recovery needed", "no")
    dmg = st.log_damage
    if dmg is not None and st.log_being_written:
        row("Log damage", f"possibly damaged at lsn {dmg.lsn} (the log is being written by "
                          f"process {st.held_by_pid}; run `kintsugi info {d}` again after it "
                          "stops)")
    elif dmg is not None:
        row("Log damage", f"at lsn {dmg.lsn} ({format_lsn(dmg.lsn)}) in "
                          f"{os.path.basename(dmg.file) or '?'}: {_cli_wording(dmg.reason)}")
        if dmg.valid_to_lsn:
            row("", f"past it: {dmg.records_past:,} valid record(s) up to lsn "
                    f"{dmg.valid_to_lsn}, {dmg.committed_past} committed transaction(s) "
                    "that a normal open cannot apply")
        else:
            row("", "past it: no valid record")
        row("", "a normal open refuses it (ERROR 1877). " + damage_hint(d, info=False))
    if st.torn_tail is not None:
        lsn, reason = st.torn_tail
        why = ("the end of a write in progress" if st.held_by_pid is not None else
               "a write the crash cut short, never acknowledged; recovery cuts it")
        row("Torn tail", f"at lsn {lsn}: {reason} ({why})")
    row("Checkpoint LSN", f"{st.checkpoint_lsn} ({format_lsn(st.checkpoint_lsn)})")
    if dmg is not None and st.log_being_written:
        row("End of log", f"{st.end_lsn} ({format_lsn(st.end_lsn)}) so far (being written)")
    elif dmg is not None:
        past = (f"valid records continue to lsn {dmg.valid_to_lsn}" if dmg.valid_to_lsn
                else "no valid record after it")
        row("End of log", f"readable up to lsn {st.end_lsn} ({format_lsn(st.end_lsn)}); "
                          f"damaged at {dmg.lsn}; {past}")
    else:
        row("End of log", f"{st.end_lsn} ({format_lsn(st.end_lsn)})")
    if st.max_trx_in_log >= st.next_trx_id:
        row("Next trx id", f"{st.max_trx_in_log + 1} (from the redo log; the control file "
                           f"says {st.next_trx_id}, as of the last checkpoint)")
    else:
        row("Next trx id", f"{st.next_trx_id} (control file, at the last checkpoint)")
    segs = []
    for seg in st.segments:
        text = f"{os.path.basename(seg.path)} ({seg.size >> 20} MiB"
        text += f", from lsn {seg.start_lsn})" if not seg.error else f": {seg.error})"
        segs.append(text)
    row("Redo segments", ", ".join(segs) or "none")
    bl = st.binlog
    if bl is None:
        row("Binary log", "none (never enabled, or opened with --skip-log-bin only)")
    elif bl.error:
        row("Binary log", f"{bl.file} unreadable: {_cli_wording(bl.error)}")
    else:
        row("Binary log", f"{bl.file} position {bl.position}, {bl.files} file(s), GTIDs "
                          f"{bl.executed or 'none yet'}")
    click.echo()
    click.echo(f"{'space':>5}  {'tablespace':<28} {'entries':>9}  {'applied LSN':>12}  file")
    click.echo(ENTRIES_LEGEND)
    for ts in st.tablespaces:
        if getattr(ts, "dropped_at", None) is not None:
            continue  # listed apart below: no live table uses it
        note = ""
        if ts.missing:
            note = "  MISSING"
        elif ts.error:
            note = f"  unreadable: {ts.error}"
        if ts.pending:
            note += "  (created in the redo past the checkpoint)"
        click.echo(f"{ts.space_id:>5}  {ts.name:<28} {ts.entries:>9}  {ts.applied_lsn:>12}  "
                   f"{ts.path}{note}")
    _print_dropped(st)
    missing = [ts.name for ts in st.tablespaces
               if ts.missing and not ts.pending and ts.space_id != 0]
    if any(ts.missing and ts.space_id == 0 for ts in st.tablespaces):
        click.echo(f"\nsystem.kdb (the dictionary) is missing: no open can work without it, "
                   "forced or not, and nothing can rebuild the dictionary yet. Restore "
                   f"system.kdb from a backup into {d}; the other tablespace files and the "
                   "redo log are kept as they are.")
    if missing:
        click.echo(f"\n{len(missing)} tablespace file(s) missing ({', '.join(missing)}): a "
                   f"normal open refuses; `kintsugi {d} --scan-directories \"DIR;DIR\"` finds "
                   f"files that were moved, `--force-recovery 1` opens without them (queries "
                   "on them fail with ERROR 1812) so the rest can be dumped.")
    _print_history(st)


_DROP_VERB = {"drop table": "dropped", "truncate table": "truncated",
              "drop schema": "dropped with its database"}


def gc_text(gc_after: float, now: float, *, enabled: bool = True, state: str = "") -> str:
    """When GC takes a dropped table: "GC in 8 min", "GC due", "GC disabled"."""
    if not enabled:
        return "GC disabled"
    left = gc_after - now
    if left <= 0 or state == "expired":
        return "GC due"
    if left < 60:
        return f"GC in {int(left) or 1} s"
    minutes = -(-int(left) // 60)
    if minutes < 120:
        return f"GC in {minutes} min"
    return f"GC in {minutes // 60} h {minutes % 60} min"


def dropped_text(job_id: int | None, job_type: str, gc: str) -> str:
    """A dropped table's tablespace as `kintsugi info` lists it: which job, and when GC
    takes it; a rebuild's old tablespace says nothing brings it back."""
    verb = _DROP_VERB.get(job_type)
    if verb is not None:
        return f"{verb} by job {job_id}, {gc}"
    kind = f" ({job_type})" if job_type else ""
    return f"left by job {job_id}{kind}, not recoverable, {gc}"


def _print_dropped(st: Inspection) -> None:
    """The tablespaces of dropped and truncated tables, apart from the live ones: they stay
    until GC (tidb_gc_life_time after the drop); RECOVER TABLE brings one back until then."""
    import time as _time

    dropped = [ts for ts in st.tablespaces if getattr(ts, "dropped_at", None) is not None]
    if not dropped:
        return
    now = _time.time()
    enabled = getattr(st, "gc_enabled", True)
    click.echo(f"\nDropped tables awaiting GC ({len(dropped)}; RECOVER TABLE brings one back "
               "until GC, FLASHBACK DATABASE one dropped with its database; all of them: "
               "information_schema.KINTSUGI_DROPPED_TABLES)")
    for ts in dropped:
        gc = gc_text(ts.gc_after or 0.0, now, enabled=enabled,
                     state=getattr(ts, "drop_state", ""))
        click.echo(f"{ts.space_id:>5}  {ts.name:<28} {ts.entries:>9}  {ts.applied_lsn:>12}  "
                   f"{ts.path}  {dropped_text(ts.drop_job_id, ts.drop_job_type, gc)}")


def _print_history(st: Inspection, last: int = 10) -> None:
    import time as _time

    click.echo()
    if st.history is None:
        click.echo(f"Recovery history: not read ({st.history_note})")
        return
    if not st.history:
        click.echo("Recovery history: none (no open has had to recover)")
        return
    shown = st.history[-last:]
    more = f", the last {len(shown)}" if len(shown) < len(st.history) else ""
    click.echo(f"Recovery history ({len(st.history)} row(s){more}; all of it: SELECT * FROM "
               "information_schema.RECOVERY_HISTORY)")
    for r in shown:
        when = _time.strftime("%Y-%m-%d %H:%M:%S", _time.localtime(r.start_time))
        forced = f" force_recovery={r.force_recovery}" if r.force_recovery else ""
        skipped = f" skipped lsn {r.skipped_lsn_range}" if r.skipped_lsn_range else ""
        click.echo(f"{r.id:>5}  {when}  {r.reason:<20} {r.records_applied:>9} applied  "
                   f"{r.transactions_rolled_back:>3} rolled back{forced}{skipped}  "
                   f"{_cli_wording(r.outcome)}")


from tui.backup_cmd import command as _backup_command  # noqa: E402 - kintsugi backup

main.add_command(_backup_command(_fail))

if __name__ == "__main__":
    main()
