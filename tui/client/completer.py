"""Tab completion for the interactive client: SQL keywords, databases, tables and columns.

The names come from the engine's catalog (information_schema.columns and SHOW DATABASES,
the queries the console's completion reads) and are read again after every statement that
may change them (DDL, USE), never while a statement runs: the connection serves one thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from tui.backend.base import Catalog
from tui.sqltext import KEYWORDS

# words after which a table (or a database, for `db.table`) is expected
_TABLE_CONTEXT = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE", "DESC", "EXPLAIN"}
_DATABASE_CONTEXT = {"USE", "DATABASE", "SCHEMA", "\\U"}
_WORD = re.compile(r"[`\w$.\\]*$")
_PREVIOUS = re.compile(r"([\w\\]+)\W*$")
# client commands, completed at the start of the buffer
COMMANDS = ["help", "status", "source", "pager", "nopager", "warnings", "nowarning", "quit",
            "exit", "use"]


def load_catalog(conn) -> Catalog:
    """schema -> table -> columns, read through `conn` between statements."""
    cur = conn.cursor()
    cur.execute("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.columns "
                "ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")
    schemas: dict[str, dict[str, list[str]]] = {}
    for schema, table, column in cur.fetchall():
        schemas.setdefault(schema, {}).setdefault(table, []).append(column)
    for (name,) in conn.cursor().execute("SHOW DATABASES").fetchall() or []:
        schemas.setdefault(name, {})
    return Catalog(schemas)


class SQLCompleter(Completer):
    """Completes the word before the cursor, the candidates chosen by the word before it:
    tables after FROM/JOIN/INTO/UPDATE, databases after USE, a table's columns after
    `table.`, and otherwise keywords, tables and columns of the current database first."""

    def __init__(self) -> None:
        self.catalog = Catalog({})
        self.database: str | None = None

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterable[Completion]:
        before = document.text_before_cursor
        word = _WORD.search(before).group(0)  # type: ignore[union-attr]
        head = before[:len(before) - len(word)]
        prev = _PREVIOUS.search(head)
        previous = prev.group(1).upper() if prev else ""
        qualifier, dot, stem = word.rpartition(".")
        if dot:
            yield from self._after_dot(qualifier.strip("`"), stem)
            return
        if not head.strip() and not word.startswith("\\"):
            yield from _matching(COMMANDS, word, meta="command")
        if previous in _DATABASE_CONTEXT:
            yield from _matching(sorted(self.catalog.schemas), word, meta="database")
            return
        if previous in _TABLE_CONTEXT:
            yield from _matching(self._tables(), word, meta="table")
            yield from _matching(sorted(self.catalog.schemas), word, meta="database")
            return
        yield from _matching(self._columns(), word, meta="column")
        yield from _matching(self._tables(), word, meta="table")
        yield from _matching(KEYWORDS, word, meta="keyword", upper=not word.islower())
        yield from _matching(sorted(self.catalog.schemas), word, meta="database")

    def _tables(self) -> list[str]:
        here = self.catalog.schemas.get(self.database or "", {})
        return sorted(here) + [t for t in self.catalog.tables() if t not in here]

    def _columns(self) -> list[str]:
        here = self.catalog.schemas.get(self.database or "", {})
        return sorted({c for cols in here.values() for c in cols})

    def _after_dot(self, qualifier: str, stem: str) -> Iterable[Completion]:
        schemas = self.catalog.schemas
        if qualifier in schemas:  # db.table
            yield from _matching(sorted(schemas[qualifier]), stem, meta="table")
        here = schemas.get(self.database or "", {})
        if qualifier in here:  # table.column of the current database first
            yield from _matching(here[qualifier], stem, meta="column")
            return
        yield from _matching(self.catalog.columns(qualifier), stem, meta="column")


def _matching(names: Iterable[str], word: str, *, meta: str,
              upper: bool = True) -> Iterable[Completion]:
    low = word.lower().lstrip("`")
    seen: set[str] = set()
    for name in names:
        if name.lower().startswith(low) and name not in seen:
            seen.add(name)
            text = name if upper else name.lower()
            yield Completion(text, start_position=-len(word), display_meta=meta)
