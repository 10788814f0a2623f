"""MySQL text in pieces: code, quoted text, comments and `;`, without parsing it.

Two readers need this and must agree: the engine rewriting DB-API ``%s`` markers (only
outside strings and comments) and the console's editor, whose buffer is often half-written
(an open quote, a statement without its ``;``).  So the scanner never raises: an
unterminated string or comment simply runs to the end of the text, and the parser reports
it when the text is run.

It knows exactly MySQL's lexical rules for these pieces (``sql/sql_lex.cc``):

* ``'...'`` and ``"..."`` with backslash escapes and doubled-quote escapes, backticks with
  doubled backticks only (a backslash is an ordinary character in an identifier);
* ``#`` to the end of the line; ``--`` to the end of the line only when the second dash is
  followed by whitespace or a control character (``\\f`` included) or ends the text, so
  ``1--1`` is arithmetic; ``/* ... */`` (not nested; ``/*! ... */`` is a comment here too).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["scan"]

# Where something other than plain code may start.  `--` is checked further by hand.
_START = re.compile(r"['\"`#;]|--|/\*")
# Inside '...' / "...": the next backslash or closing quote.
_QUOTE_STOP = {"'": re.compile(r"[\\']"), '"': re.compile(r'[\\"]')}


def _dash_comment(sql: str, i: int) -> bool:
    """Whether the `--` at `i` starts a comment: mysqld wants whitespace or a control
    character after it (the end of the text counts: its lexer sees a NUL there)."""
    if i + 2 >= len(sql):
        return True
    c = sql[i + 2]
    return c <= " " or c == "\x7f"


def _quoted_end(sql: str, i: int) -> int:
    """The offset just past the quoted piece opening at `i` (the text's end if unclosed)."""
    q = sql[i]
    n = len(sql)
    j = i + 1
    if q == "`":
        while True:
            k = sql.find("`", j)
            if k < 0:
                return n
            if sql.startswith("`", k + 1):  # doubled: an escaped backtick
                j = k + 2
                continue
            return k + 1
    stop = _QUOTE_STOP[q]
    while True:
        m = stop.search(sql, j)
        if m is None:
            return n
        k = m.start()
        if sql[k] == "\\":  # the escaped character is skipped, whatever it is
            j = k + 2
        elif sql.startswith(q, k + 1):  # doubled quote
            j = k + 2
        else:
            return k + 1


def scan(sql: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(kind, start, end)`` pieces covering `sql` in order; kind is ``"code"``,
    ``"string"`` (any quoted piece: ``'...'``, ``"..."`` or a backtick identifier, whose
    ``sql[start]`` tells which), ``"comment"`` or ``";"``.  A line comment ends before its
    newline, which belongs to the following code.  Never raises."""
    n = len(sql)
    code_start = 0
    i = 0
    search = _START.search
    while True:
        m = search(sql, i)
        if m is None:
            break
        i = m.start()
        c = sql[i]
        if c == "-" and not _dash_comment(sql, i):
            i += 1  # `--x` is code; the second dash may still start `-- `
            continue
        if code_start < i:
            yield "code", code_start, i
        if c == ";":
            yield ";", i, i + 1
            i += 1
        elif c in "'\"`":
            j = _quoted_end(sql, i)
            yield "string", i, j
            i = j
        elif c == "/":
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            yield "comment", i, j
            i = j
        else:  # '#' or '-- '
            j = sql.find("\n", i)
            j = n if j < 0 else j
            yield "comment", i, j
            i = j
        code_start = i
    if code_start < n:
        yield "code", code_start, n
