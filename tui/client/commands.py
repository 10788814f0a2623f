"""The client's own commands, as mysql reads them: a named command (`use db`, `status`,
`source f.sql`, `help`, `quit`...) when it begins the input, ends at the end of its line
and needs no `;`; a backslash command (`\\s`, `\\u db`, `\\. f.sql`, `\\q`...) likewise; `\\G`
ends a statement and asks for vertical rows, `\\c` clears the input, `\\e` edits it.

`complete()` decides whether Enter runs the input or continues it on a `    -> ` line."""

from __future__ import annotations

from dataclasses import dataclass

# `\X` -> the command's name (mysql's `help` lists both spellings)
BY_LETTER = {"h": "help", "?": "help", "s": "status", "u": "use", ".": "source",
             "P": "pager", "n": "nopager", "W": "warnings", "w": "nowarning", "q": "quit",
             "e": "edit", "c": "clear"}

HELP = """List of all client commands (as mysql's; a command needs no `;`):
?         (\\?) Synonym for `help'.
clear     (\\c) Clear the current input statement.
          (\\e) Edit the current input statement in $EDITOR (or $VISUAL).
          (\\G) End a statement; its rows are shown vertically.
exit      (\\q) Exit (an open transaction: asks commit, roll back or stay).
help      (\\h) Display this help.
nopager   (\\n) Disable the pager, print to stdout.
nowarning (\\w) Don't show warnings after every statement (only count them).
pager     (\\P) Page every result: \\P [COMMAND] ($PAGER, else less -SFX).
quit      (\\q) Quit, as exit.
source    (\\.) Execute an SQL script file: source FILE.
status    (\\s) Database directory, database, transaction, version, uptime.
use       (\\u) Use another database: use DB.
warnings  (\\W) Show warnings after every statement.

Keys: Enter runs a statement ended by ; or \\G, else starts a `    -> ` line.
Tab completes keywords, databases, tables and columns.  Up/Down, Ctrl+R: the
history, shared with the console.  Ctrl+C cancels the running statement
(ERROR 1317), or clears the input at the prompt.  Ctrl+D (empty line) quits.
By default a result larger than the screen goes through $PAGER or less -SFX.
"""


@dataclass(frozen=True)
class Command:
    name: str  # one of BY_LETTER's names ("help", "use", ...)
    arg: str = ""


def parse_command(text: str) -> Command | None:
    """The client command `text` is, or None for SQL.  A named command counts only as the
    first word of the input (`use shop`, `source x.sql;`); `\\X` anywhere at its start."""
    stripped = text.strip()
    if stripped.startswith("\\") and len(stripped) >= 2:
        name = BY_LETTER.get(stripped[1])
        if name is not None and (len(stripped) == 2 or stripped[2].isspace()):
            return Command(name, _arg(stripped[2:]))
        return None
    first, _, rest = stripped.partition(" ")
    word = first.rstrip(";").lower()
    if word in ("?", "help") and "\n" not in stripped:  # `help select`: this list too
        return Command("help")
    if word in ("status", "quit", "exit", "nopager", "warnings", "nowarning",
                "clear") and not rest.strip().rstrip(";"):
        return Command("help" if word == "?" else word)
    if word in ("use", "source", "pager") and (rest or word == "pager") and "\n" not in stripped:
        return Command(word, _arg(rest))
    return None


def _arg(text: str) -> str:
    arg = text.strip().rstrip(";").strip()
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "`'\"":
        arg = arg[1:-1]
    return arg


def split_terminator(text: str) -> tuple[str, str] | None:
    """(`text` without its terminator, "G" for `\\G`, "g" for `\\g`, ";" for `;`) when the
    input ends a statement, None when it is unfinished (an open string or comment, or no
    terminator yet).  The engine's lexer decides what is inside a string."""
    from core.api import scan_sql

    body = text.rstrip()
    if not body:
        return None
    for mark in ("\\G", "\\g"):
        if body.endswith(mark) and _outside_strings(body, len(body) - 2, scan_sql):
            return body[:-2], mark[1]
    if body.endswith(";") and _outside_strings(body, len(body) - 1, scan_sql):
        return body[:-1], ";"
    return None


def _outside_strings(text: str, offset: int, scan_sql) -> bool:
    """Whether `offset` of `text` lies in code (not in a string, identifier or comment)."""
    for kind, start, end in scan_sql(text):
        if start <= offset < end:
            return kind in ("code", ";")
    return True


def ends_with_command(text: str, letter: str) -> bool:
    """Whether `text` ends with the command `\\<letter>` (`\\c` clears, `\\e` edits) in
    code: inside a string or comment (`SELECT 'a\\c`) it is part of the text."""
    from core.api import scan_sql

    body = text.rstrip()
    if not body.endswith("\\" + letter):
        return False
    return _outside_strings(body, len(body) - 2, scan_sql)


def complete(text: str) -> bool:
    """Whether Enter runs `text` (a client command, a finished statement, or nothing)."""
    if not text.strip():
        return True
    if ends_with_command(text, "c") or ends_with_command(text, "e"):
        return True
    if text.split(None, 1)[0].lower() == "delimiter":  # refused at once (ERROR 1235)
        return True
    return parse_command(text) is not None or split_terminator(text) is not None
