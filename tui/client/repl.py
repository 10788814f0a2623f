"""The interactive `kintsugi sql DIR`: a mysql-like client on prompt_toolkit.

The prompt is `kintsugi [db]> `, an unfinished statement continues on `    -> ` lines, Enter
runs it once it ends with `;` or `\\G`.  Each statement runs in a worker thread while the
main thread waits, so Ctrl+C reaches the main thread and becomes the engine's own
`Connection.cancel()`: the statement fails with ERROR 1317 and the client stays.  History
is the console's file (`tui.history`): each statement is written as the console writes its
own, and Up/Down recall what either ran.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable

from prompt_toolkit import PromptSession
from prompt_toolkit.history import History as PromptHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.shortcuts import CompleteStyle

from tui.client.commands import (
    HELP,
    Command,
    complete,
    ends_with_command,
    parse_command,
    split_terminator,
)
from tui.client.completer import SQLCompleter, load_catalog
from tui.client.output import run_statement
from tui.client.pager import Pager
from tui.client.script import (
    MAX_SOURCE_DEPTH,
    ScriptFileError,
    delimiter_error,
    error_at_line,
    nesting_error,
    read_script,
    script_pieces,
    use_statement,
)
from tui.history import Entry, History

INTERRUPTED = 1317
CONTINUATION = "    -> "
# first words of statements after which the completion's names are read again
_CHANGES_NAMES = {"CREATE", "DROP", "ALTER", "RENAME", "TRUNCATE", "USE", "RECOVER",
                  "FLASHBACK", "ROLLBACK", "COMMIT"}


class SharedHistory(PromptHistory):
    """prompt_toolkit's view of the console's history file: it reads the statements either
    program ran (newest first); the client writes each statement itself, with its outcome,
    as the console does, so nothing is stored here."""

    def __init__(self, history: History) -> None:
        super().__init__()
        self.shared = history

    def load_history_strings(self) -> Iterable[str]:
        yield from self.shared.recent()

    def store_string(self, string: str) -> None:
        pass


class Client:
    """One interactive session on an open connection."""

    def __init__(self, conn, directory: str, settings, *, pager: bool | None,
                 error_line: Callable[[BaseException], str], force: bool = False) -> None:
        self.conn = conn
        self.directory = directory
        self.error_line = error_line
        self.force = force
        self.history = History(settings.history_file, settings.history_size).load()
        self.history_file = settings.history_file
        self.pager = Pager(pager)
        self.show_warnings = False
        self.started = time.monotonic()
        self.completer = SQLCompleter()
        self._names_stale = True
        self._cancelled = False  # Ctrl+C cancelled a statement: the rest of the input is not run
        self._depth = 0  # of `source` files being run
        self.session: PromptSession = PromptSession(
            message=self._prompt, multiline=True,
            prompt_continuation=lambda _w, _n, _soft: CONTINUATION,
            key_bindings=self._keys(), history=SharedHistory(self.history),
            completer=self.completer, complete_style=CompleteStyle.READLINE_LIKE,
            complete_while_typing=False, enable_open_in_editor=True,
            enable_history_search=False)

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        say("Welcome to the KintsugiDB client. Commands end with ; or \\g (\\G: vertical).\n"
            f"Server version: {self.version()} (embedded, in this process)\n"
            f"Database directory: {os.path.abspath(self.directory)}\n\n"
            "Type 'help;' or '\\h' for help, '\\c' to clear the current input.\n"
            "Ctrl+C cancels a running statement; Ctrl+D or quit leaves.\n")
        if self.history.load_error:
            say(f"Warning: {self.history.load_error}")
        prompt_failures = 0
        while True:
            try:
                self._refresh_names()
                text = self.session.prompt()
                prompt_failures = 0
            except KeyboardInterrupt:
                continue  # the line is cleared, as mysql 8 does
            except EOFError:
                text = None
            except Exception as err:  # the terminal itself failing again and again ends it
                prompt_failures += 1
                if prompt_failures >= 3:
                    raise
                say(self.error_line(err), err=True)
                continue
            # nothing one input does ends the client but a quit: an unexpected exception
            # is shown as one ERROR 1105 line and the prompt comes back
            try:
                if text is None:
                    if self._leave():
                        return
                elif self.handle(text) == "quit" and self._leave():
                    return
            except KeyboardInterrupt:  # Ctrl+C as a result was printed: back to the prompt
                say("")
            except Exception as err:  # noqa: BLE001 - one input never ends the client
                say(self.error_line(err), err=True)

    def _prompt(self) -> str:
        return f"kintsugi [{self.conn.database or '(none)'}]> "

    def _keys(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("enter")
        def _enter(event) -> None:
            buf = event.current_buffer
            text = buf.text
            if ends_with_command(text, "e"):  # edit the input in $EDITOR, then come back
                buf.text = text.rstrip()[:-2].rstrip()
                buf.cursor_position = len(buf.text)
                buf.open_in_editor(validate_and_handle=False)
                return
            if complete(text):
                buf.validate_and_handle()
            else:
                buf.insert_text("\n")

        return kb

    def handle(self, text: str) -> str:
        """Run one input: a client command or statements.  Returns "quit" to leave."""
        self._cancelled = False
        if ends_with_command(text, "c"):
            return ""
        command = parse_command(text)
        if command is not None:
            return self.command(command)
        if text.split(None, 1)[:1] and text.split(None, 1)[0].lower() == "delimiter":
            say(delimiter_error(), err=True)
            return ""
        ended = split_terminator(text)
        if ended is None:
            return ""
        body, mark = ended
        if not body.strip():
            say("ERROR: No query specified", err=True)
            return ""
        self.run_text(body, vertical_last=(mark == "G"))
        return ""

    # -- statements -------------------------------------------------------------------------

    def run_text(self, text: str, *, vertical_last: bool = False,
                 source: str | None = None) -> bool:
        """Run each statement of `text`; an error is reported and the next runs (as mysql's
        interactive mode), except in a `source`d file without --force.  False if one failed."""
        from core.api import script_statements

        statements = script_statements(text)
        ok = True
        for i, st in enumerate(statements):
            if st.error is not None:
                self._error(st.error, st.line, source)
                return False
            last = i == len(statements) - 1
            if not self.run_one(st.text, vertical=vertical_last and last, line=st.line,
                                source=source):
                ok = False
                if source is not None and not self.force:
                    return False
            if self._cancelled:
                return False
        return ok

    def run_file(self, text: str, source: str) -> bool:
        """Run a `source`d file as mysql does: its statements, `\\G`, and its own client
        commands (`source`, `use`); an error stops it unless --force, a cancel always."""
        for piece in script_pieces(text):
            if piece.error is not None:
                from core.errors import Error

                if isinstance(piece.error, Error):
                    self._error(piece.error, piece.line, source)
                    return False
                say(str(piece.error), err=True)
                ok = False
            elif piece.command == "use":
                ok = self.run_one(use_statement(piece.arg), quiet=True, line=piece.line,
                                  source=source)
            elif piece.command == "delimiter":
                say(error_at_line(delimiter_error(), piece.line, source), err=True)
                ok = False
            elif piece.command == "source":
                ok = self._source(piece.arg, line=piece.line, parent=source)
            else:
                ok = self.run_one(piece.sql, vertical=piece.vertical, line=piece.line,
                                  source=source)
            if self._cancelled or (not ok and not self.force):
                return False
        return True

    def run_one(self, sql: str, *, vertical: bool = False, line: int = 1,
                source: str | None = None, quiet: bool = False) -> bool:
        """Run one statement in a worker thread; Ctrl+C meanwhile cancels it.  `quiet`:
        print nothing but an error (USE prints "Database changed" instead)."""
        pieces: list[str] = []
        outcome: dict = {}

        done = threading.Event()

        def work() -> None:
            try:
                outcome["count"] = run_statement(self.conn, sql, write,
                                                 vertical_rows=vertical,
                                                 show_warnings=self.show_warnings)
            except BaseException as err:  # noqa: BLE001 - reported by the main thread
                outcome["error"] = err
            finally:
                done.set()

        write = (lambda _text: None) if quiet else pieces.append
        t0 = time.perf_counter()
        # an Event, not Thread.join: a KeyboardInterrupt inside join() can leave the thread
        # reported dead while it still runs
        threading.Thread(target=work, name="kintsugi-sql-statement", daemon=True).start()
        asked = False
        while not done.is_set():
            try:
                done.wait(0.05)
            except SystemExit:  # the terminal went away (SIGHUP): stop the statement first
                self.conn.cancel()
                done.wait(10)
                raise
            except KeyboardInterrupt:
                if asked:
                    continue
                asked = True
                if self.conn.cancel():
                    say("-- cancelling the statement ...", err=True)
                else:
                    say("-- the statement cannot be interrupted now; it finishes first "
                        "(the rest of the input is not run)", err=True)
        seconds = time.perf_counter() - t0
        self._cancelled = self._cancelled or asked  # Ctrl+C: the rest of the input is not run
        self._names_stale = self._names_stale or _changes_names(sql)
        err = outcome.get("error")
        if err is not None:
            from core.errors import Error

            if not isinstance(err, Error):
                raise err
            self._error(err, line, source)
            status = "cancelled" if getattr(err, "errno", None) == INTERRUPTED else "error"
            self._record(sql, status, seconds=seconds, error=self.error_line(err))
            return False
        self.pager.show("\n".join(pieces))
        self._record(sql, "ok", rows=outcome.get("count"), seconds=seconds)
        return True

    def _error(self, err: BaseException, line: int, source: str | None) -> None:
        text = self.error_line(err)
        if source is not None:  # mysql: "ERROR 1146 (42S02) at line 3 in file: 'x.sql': ..."
            text = error_at_line(text, line, source)
        say(text, err=True)

    def _record(self, sql: str, status: str, *, rows: int | None = None,
                seconds: float | None = None, error: str = "") -> None:
        self.history.add(Entry(sql=sql.strip(), database=self.conn.database,
                               path=self.directory, status=status, rows=rows,
                               seconds=seconds, error=error))

    def _refresh_names(self) -> None:
        if not self._names_stale:
            return
        self._names_stale = False
        self.completer.database = self.conn.database
        try:
            self.completer.catalog = load_catalog(self.conn)
        except Exception:  # noqa: BLE001 - completion is a convenience: keep the last names
            pass

    # -- client commands --------------------------------------------------------------------

    def command(self, cmd: Command) -> str:
        name, arg = cmd.name, cmd.arg
        if name == "quit":
            return "quit"
        if name == "help":
            say(HELP)
        elif name == "status":
            say(self.status())
        elif name == "use":
            self._use(arg)
        elif name == "source":
            self._source(arg)
        elif name == "pager":
            say(self.pager.set(arg))
        elif name == "nopager":
            say(self.pager.off())
        elif name == "warnings":
            self.show_warnings = True
            say("Show warnings enabled.")
        elif name == "nowarning":
            self.show_warnings = False
            say("Show warnings disabled.")
        return ""

    def _use(self, name: str) -> None:
        if not name:
            say("USE must be followed by a database name", err=True)
            return
        quoted = "`" + name.replace("`", "``") + "`"
        if self.run_one(f"USE {quoted}", quiet=True):
            say("Database changed")

    def _source(self, path: str, *, line: int = 0, parent: str | None = None) -> bool:
        """Run the file `path` (from a `source` typed, or at `line` of the file `parent`)."""
        if self._depth >= MAX_SOURCE_DEPTH:
            problem = nesting_error(path)
        else:
            try:
                text = read_script(path)
            except ScriptFileError as err:
                problem = str(err)
            else:
                self._depth += 1
                try:
                    return self.run_file(text, path)
                finally:
                    self._depth -= 1
        say(error_at_line(problem, line, parent) if parent is not None else problem, err=True)
        return False

    def version(self) -> str:
        try:
            return str(self.conn.cursor().execute("SELECT VERSION()").fetchone()[0])
        except Exception:  # noqa: BLE001 - the banner and status show what they can
            return "?"

    def status(self) -> str:
        conn = self.conn
        version = self.version()
        try:
            info = conn.info()
            read_only = (f"yes (--force-recovery {info.force_recovery})" if info.read_only
                         else "no")
            redo = f"end lsn {info.end_lsn}, checkpoint lsn {info.checkpoint_lsn}"
        except Exception:  # noqa: BLE001
            read_only, redo = "?", "?"
        if conn.in_transaction:
            trx = "open (COMMIT or ROLLBACK ends it; quitting asks)"
        else:
            trx = "none (autocommit: each statement commits)"
        rows = [
            ("Database directory", os.path.abspath(self.directory)),
            ("Current database", conn.database or "(none)"),
            ("Transaction", trx),
            ("Server version", f"{version} (embedded, in this process)"),
            ("Read-only", read_only),
            ("Redo log", redo),
            ("Pager", self.pager.describe()),
            ("Warnings", "shown after each statement" if self.show_warnings
             else "counted (\\W shows them)"),
            ("History file", self.history_file),
            ("Uptime", f"{uptime(time.monotonic() - self.started)} (this client)"),
        ]
        width = max(len(k) for k, _ in rows) + 2
        body = "\n".join(f"{k + ':':<{width}}{v}" for k, v in rows)
        return f"--------------\n{body}\n--------------\n"

    # -- leaving ----------------------------------------------------------------------------

    def _leave(self) -> bool:
        """Whether to quit now: with a transaction open, ask commit, roll back or stay."""
        if self.conn.in_transaction:
            try:
                answer = PromptSession().prompt(
                    "A transaction is open. [c]ommit it, [r]oll it back, or [s]tay? ")
            except (EOFError, KeyboardInterrupt):
                answer = "s"
            answer = answer.strip().lower()[:1]
            if answer == "c":
                if not self.run_one("COMMIT", quiet=True):
                    say("The COMMIT failed (above); " + self._transaction_state())
                    return False
                say("Committed.")
            elif answer == "r":
                if not self.run_one("ROLLBACK", quiet=True):
                    say("The ROLLBACK failed (above); " + self._transaction_state())
                    return False
                say("Rolled back.")
            else:
                say("Staying; the transaction is still open.")
                return False
        say("Bye")
        return True

    def _transaction_state(self) -> str:
        if self.conn.in_transaction:
            return "the transaction is still open."
        return "the transaction has ended."


def _changes_names(sql: str) -> bool:
    words = sql.split(None, 1)
    return bool(words) and words[0].upper() in _CHANGES_NAMES


def uptime(seconds: float) -> str:
    """`1 hour 2 min 3 sec`, as mysql's status puts it."""
    s = int(seconds)
    parts = []
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "min")):
        if s >= size:
            n, s = divmod(s, size)
            parts.append(f"{n} {unit}{'s' if n != 1 and unit != 'min' else ''}")
    parts.append(f"{s} sec")
    return " ".join(parts)


def say(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def run_client(conn, directory: str, settings, *, pager: bool | None,
               error_line: Callable[[BaseException], str], force: bool = False) -> None:
    """The interactive client on `conn` until the user leaves.  A closed terminal (SIGHUP)
    or a SIGTERM ends it as a quit does, without the question: the caller closes the
    connection, which rolls an open transaction back, so the next open needs no recovery."""
    import signal

    def leave(signum, _frame) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, leave)
    Client(conn, directory, settings, pager=pager, error_line=error_line, force=force).run()
