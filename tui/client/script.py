"""Running a script (`-e`, stdin, `source FILE`) as `mysql` runs one in batch mode: the text
is split first by the one MySQL lexer (`core.api.script_statements`), so a syntax error in
one statement stops neither the splitting nor, with --force, the statements after it; each
error is reported with the line of the script its statement begins on.

As in mysql, a script may also hold the client's own syntax: `\\G` / `\\g` end a statement
(`\\G`: rows shown vertically), and a line at the start of a statement may be a client
command that needs no `;`: `source FILE` / `\\. FILE` (nested, at most MAX_SOURCE_DEPTH
deep), `use DB` / `\\u DB`.  `DELIMITER` is refused with ERROR 1235.  A UTF-8 byte order
mark at the start is skipped."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tui.client.output import Write, run_statement

MAX_SOURCE_DEPTH = 16
_EVENTS = re.compile(r"\n|\\[gG]")


@dataclass
class ScriptOutcome:
    ran: int = 0
    failed: int = 0
    stopped: bool = False  # an error stopped it (no --force)


@dataclass(frozen=True)
class Piece:
    """One step of a script: a statement (`sql`), a client command (`command`, `arg`), or
    an error to report in its place (`error`); `line`: the line where it begins."""

    line: int
    sql: str = ""
    vertical: bool = False
    command: str = ""  # "source", "use" or "delimiter"
    arg: str = ""
    error: BaseException | None = None


class ScriptFileError(Exception):
    """A `source`d file that cannot be read; its text is the line to show (with a code)."""


def error_at_line(line_text: str, line: int, source: str | None = None) -> str:
    """`ERROR 1064 (42000): msg` -> `ERROR 1064 (42000) at line 2: msg`, mysql's batch form
    (`... at line 2 in file: 'x.sql': msg` for a `source`d file)."""
    head, sep, msg = line_text.partition("): ")
    if not sep or not head.startswith("ERROR "):
        return line_text
    where = f" in file: '{source}'" if source is not None else ""
    return f"{head}) at line {line}{where}: {msg}"


def read_script(path: str) -> str:
    """The text of a `source`d file; ScriptFileError (shown as mysql shows it) otherwise."""
    try:
        with open(os.path.expanduser(path), "rb") as f:
            data = f.read()
    except OSError as err:
        raise ScriptFileError(
            f"ERROR: Failed to open file '{path}', error: {err.errno or 0}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScriptFileError(
            f"ERROR 1105 (HY000): Failed to read file '{path}': not UTF-8 text (byte "
            f"0x{data[err.start]:02x} at offset {err.start})") from None


def _script_command(line: str) -> tuple[str, str] | None:
    """(`source`/`use`/`delimiter`, its argument) when `line` is one, else None."""
    stripped = line.strip()
    if stripped[:2] in ("\\.", "\\u") and (len(stripped) == 2 or stripped[2].isspace()):
        word, rest = ("source" if stripped[1] == "." else "use"), stripped[2:]
    else:
        first, _, rest = stripped.partition(" ")
        word = first.rstrip(";").lower()
        if word == "delimiter":
            return "delimiter", rest.strip()
        if word not in ("source", "use") or first.endswith(";"):
            return None
    arg = rest.strip().rstrip(";").strip()
    if not arg or (word == "use" and (";" in arg or len(arg.split()) != 1)):
        return None
    if arg[0] in "`'\"" and (len(arg) < 2 or arg[-1] != arg[0]):
        return None  # a quoted name that goes on past the line (`d<newline>x`): SQL's
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "`'\"":
        arg = arg[1:-1].replace(arg[0] * 2, arg[0])  # `a``b` names a`b
    return word, arg


def script_pieces(text: str) -> Iterator[Piece]:
    """The steps of a script in order (see the module's docstring).  Never raises."""
    from core.api import scan_sql, script_statements

    if text.startswith("\ufeff"):
        text = text[1:]
    state = {"line": 1, "counted": 0}

    def line_of(offset: int) -> int:
        if offset > state["counted"]:
            state["line"] += text.count("\n", state["counted"], offset)
            state["counted"] = offset
        return state["line"]

    def statements(start: int, end: int, vertical: bool) -> Iterator[Piece]:
        first = line_of(start)
        found = script_statements(text[start:end])
        for i, st in enumerate(found):
            last = i == len(found) - 1
            yield Piece(first + st.line - 1, sql=st.text, vertical=vertical and last,
                        error=st.error)

    chunk = 0  # where the text not yet given out begins
    base = 0  # where the lexer's current scan began (it restarts after a command line)
    while True:
        restart = None
        pending = False  # code since the last terminator
        for kind, s, e in scan_sql(text[base:]):
            s, e = s + base, e + base
            if e <= chunk:
                continue
            if s < chunk:  # a token that began on a command's line: read the rest again
                restart = chunk
                break
            if kind == ";":
                pending = False
                continue
            if kind != "code":
                pending = pending or kind == "string"
                continue
            pos = s
            line_starts = [s] if s == 0 or text[s - 1] == "\n" else []
            events = _EVENTS.finditer(text, s, e)
            while True:
                if line_starts and not pending and line_starts[0] >= chunk:
                    ls = line_starts[0]
                    eol = text.find("\n", ls)
                    eol = len(text) if eol < 0 else eol
                    found = _script_command(text[ls:eol])
                    if found is not None:
                        yield from statements(chunk, ls, False)
                        yield Piece(line_of(ls), command=found[0], arg=found[1])
                        chunk = pos = eol
                        if eol < e:
                            restart = eol
                        break
                line_starts = []
                m = next(events, None)
                if m is None:
                    break
                if text[pos:m.start()].strip():
                    pending = True
                pos = m.end()
                if m.group() == "\n":
                    line_starts = [m.end()]
                    continue
                # \G or \g ends the statement
                yield from statements(chunk, m.start(), pending and m.group() == "\\G")
                if not pending:
                    yield Piece(line_of(m.start()),
                                error=ValueError("ERROR: No query specified"))
                pending = False
                chunk = m.end()
            if restart is None and text[pos:e].strip():
                pending = True
            if restart is not None:
                break
        if restart is None:
            break
        base = restart
    if text[chunk:].strip():
        yield from statements(chunk, len(text), False)


def run_script(conn, text: str, write: Write, write_error: Write,
               error_line: Callable[[BaseException], str], *, force: bool = False,
               batch: bool = False, source: str | None = None, depth: int = 0,
               each: Callable[[str], None] | None = None) -> ScriptOutcome:
    """Run every step of `text` in order; stop at the first error unless `force`.

    `source`: the file `text` was read from (its errors name it).  `each`: called with
    each statement's text before it runs."""
    from core.errors import Error

    outcome = ScriptOutcome()

    def failed(line_text: str, line: int) -> bool:
        write_error(error_at_line(line_text, line, source))
        outcome.failed += 1
        if not force:
            outcome.stopped = True
        return not force

    for piece in script_pieces(text):
        if piece.error is not None:
            msg = (str(piece.error) if not isinstance(piece.error, Error)
                   else error_line(piece.error))
            stop = failed(msg, piece.line)
            if isinstance(piece.error, Error) and piece.sql:  # an unsplittable rest
                outcome.stopped = True
                break
            if stop:
                break
            continue
        if piece.command:
            if _command(conn, piece, write, write_error, error_line, outcome, failed,
                        force=force, batch=batch, depth=depth, each=each):
                break
            continue
        if each is not None:
            each(piece.sql)
        try:
            run_statement(conn, piece.sql, write, batch=batch, vertical_rows=piece.vertical)
            outcome.ran += 1
        except Error as err:
            if failed(error_line(err), piece.line):
                break
    return outcome


def _command(conn, piece: Piece, write, write_error, error_line, outcome: ScriptOutcome,
             failed, *, force: bool, batch: bool, depth: int, each) -> bool:
    """Run a script's client command; True when the script stops there."""
    from core.errors import Error

    if piece.command == "delimiter":
        return failed(delimiter_error(), piece.line)
    if piece.command == "use":
        try:
            conn.cursor().execute(use_statement(piece.arg))
            outcome.ran += 1
        except Error as err:
            return failed(error_line(err), piece.line)
        return False
    if depth >= MAX_SOURCE_DEPTH:
        return failed(nesting_error(piece.arg), piece.line)
    try:
        text = read_script(piece.arg)
    except ScriptFileError as err:
        return failed(str(err), piece.line)
    inner = run_script(conn, text, write, write_error, error_line, force=force, batch=batch,
                       source=piece.arg, depth=depth + 1, each=each)
    outcome.ran += inner.ran
    outcome.failed += inner.failed
    outcome.stopped = outcome.stopped or inner.stopped
    return inner.stopped


def use_statement(name: str) -> str:
    return "USE `" + name.replace("`", "``") + "`"


def delimiter_error() -> str:
    return ("ERROR 1235 (42000): This version of KintsugiDB doesn't yet support 'DELIMITER' "
            "(statements end with ; or \\G)")


def nesting_error(path: str) -> str:
    return (f"ERROR 1105 (HY000): source '{path}' not run: files source each other more than "
            f"{MAX_SOURCE_DEPTH} deep")
