"""What an open transaction holds, in words, for the question asked before closing.

The engine says only *that* a transaction is open; which statements it holds is read back
from this session's history (the console records every statement it runs): the ones that
succeeded since the last statement that began or ended a transaction.  Cheap (no query),
and honest about its limits: statements run outside the console are not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui import text as fmt
from tui.history import Entry
from tui.sqltext import first_keyword

# statements after which nothing earlier is pending: they begin or end a transaction (DDL
# commits implicitly, as in MySQL)
BOUNDARIES = frozenset({"BEGIN", "START", "COMMIT", "ROLLBACK", "CREATE", "DROP", "ALTER",
                        "TRUNCATE", "RENAME"})
READS = frozenset({"SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "WITH", "TABLE",
                   "VALUES", "USE", "SET"})
SHOWN = 5  # statements listed by name; the rest are counted


@dataclass(frozen=True)
class Pending:
    """The changes an open transaction holds, as far as this session's history knows."""

    writes: list[Entry]  # oldest first

    @property
    def rows(self) -> int:
        return sum(e.rows or 0 for e in self.writes if (e.rows or 0) > 0)

    def summary(self) -> str:
        """One sentence: what rolling back would undo."""
        if not self.writes:
            return ("No statement run in this console since BEGIN changed a row (the history "
                    "shows none); rolling back undoes whatever it holds.")
        rows = f", {fmt.count(self.rows, 'row')} changed" if self.rows else ""
        return (f"It holds {fmt.count(len(self.writes), 'statement')}{rows}: "
                "rolling back (or leaving without committing) loses "
                f"{'it' if len(self.writes) == 1 else 'them'}.")

    def lines(self, width: int = 70) -> list[str]:
        """The pending statements, one line each (the newest last), at most SHOWN."""
        shown = self.writes[-SHOWN:]
        out = []
        if len(self.writes) > SHOWN:
            out.append(f"... and {fmt.count(len(self.writes) - SHOWN, 'earlier statement')}")
        for e in shown:
            rows = f"  ({fmt.count(e.rows, 'row')})" if e.rows is not None and e.rows >= 0 else ""
            out.append(fmt.one_line(e.sql, width) + rows)
        return out


def pending(entries: Sequence[Entry], path: str, since: float) -> Pending:
    """The writes since the transaction began: `entries` (oldest first) run on the database
    at `path` from `since` on, walked back to the first boundary."""
    writes: list[Entry] = []
    for e in reversed(entries):
        if e.ts < since:
            break
        if e.path != path or e.status != "ok":
            continue
        word = first_keyword(e.sql)
        if word in BOUNDARIES:
            break
        if word not in READS:
            writes.append(e)
    writes.reverse()
    return Pending(writes)
