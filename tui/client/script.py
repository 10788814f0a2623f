"""Running a script (`-e`, stdin, `source FILE`) as `mysql` runs one in batch mode: the text
is split first by the one MySQL lexer (`core.api.script_statements`), so a syntax error in
one statement stops neither the splitting nor, with --force, the statements after it; each
error is reported with the line of the script its statement begins on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tui.client.output import Write, run_statement


@dataclass
class ScriptOutcome:
    ran: int = 0
    failed: int = 0
    stopped: bool = False  # an error stopped it (no --force)


def error_at_line(line_text: str, line: int) -> str:
    """`ERROR 1064 (42000): msg` -> `ERROR 1064 (42000) at line 2: msg`, mysql's batch form."""
    head, sep, msg = line_text.partition("): ")
    if not sep or not head.startswith("ERROR "):
        return line_text
    return f"{head}) at line {line}: {msg}"


def run_script(conn, text: str, write: Write, write_error: Write,
               error_line: Callable[[BaseException], str], *, force: bool = False,
               batch: bool = False, first_line: int = 1,
               each: Callable[[str], None] | None = None) -> ScriptOutcome:
    """Run every statement of `text` in order; stop at the first error unless `force`.

    `first_line`: the line `text` starts on (a `source`d file counts its own lines from 1).
    `each`: called with each statement's text before it runs (the client's history)."""
    from core.api import script_statements
    from core.errors import Error

    outcome = ScriptOutcome()
    for st in script_statements(text):
        line = first_line + st.line - 1
        if st.error is not None:  # the rest could not be split: nothing of it runs
            write_error(error_at_line(error_line(st.error), line))
            outcome.failed += 1
            outcome.stopped = True
            break
        if each is not None:
            each(st.text)
        try:
            run_statement(conn, st.text, write, batch=batch)
            outcome.ran += 1
        except Error as err:
            write_error(error_at_line(error_line(err), line))
            outcome.failed += 1
            if not force:
                outcome.stopped = True
                break
    return outcome
