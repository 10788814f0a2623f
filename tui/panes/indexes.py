"""Indexes: the tables and their indexes, as the dictionary knows them.

The index-consistency issue adds ADMIN CHECK INDEX over all of them with counts of missing
and dangling entries, and one-key RECOVER / CLEANUP INDEX repairs.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui import actions
from tui.backend.base import IndexSummary
from tui.panes.base import RefreshingPane, coming, fill_table

actions.scope("indexes", "Indexes tab")
ACTIONS = actions.register(
    actions.Action("indexes", "refresh", "r,f5", "Refresh",
                   "Indexes: read the tables and indexes again"),
)


class IndexesPane(RefreshingPane[list[IndexSummary]]):
    TITLE = "Indexes"
    ID = "indexes"
    ORDER = 30
    SCOPE = "indexes"
    BINDINGS = actions.bindings("indexes")
    LOAD_ERROR_TITLE = "Indexes"

    DEFAULT_CSS = """
    IndexesPane #index-table { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the database ...", id="index-summary", classes="summary")
        yield DataTable(id="index-table", cursor_type="row", zebra_stripes=True)
        yield coming("ADMIN CHECK INDEX on every index (rows without entries, entries without "
                     "rows, exact counts) and one-key RECOVER / CLEANUP INDEX repairs.")

    def fetch(self) -> list[IndexSummary]:
        return self.backend.indexes()

    def show(self, tables: list[IndexSummary]) -> None:
        rows = []
        n_index = 0
        for t in tables:
            name = f"{t.schema}.{t.table}"
            if not t.indexes:
                rows.append([name, "(none: rows keyed by hidden row id)", "", "", "",
                             f"{t.rows_estimate:,}"])
            for i, (index, columns, unique, primary, state) in enumerate(t.indexes):
                n_index += 1
                kind = "PRIMARY" if primary else ("UNIQUE" if unique else "INDEX")
                rows.append([name if i == 0 else "", index, ", ".join(columns), kind, state,
                             f"{t.rows_estimate:,}" if i == 0 else ""])
        fill_table(self.query_one(DataTable),
                   ["table", "index", "columns", "kind", "state", "rows (est.)"], rows)
        self.query_one("#index-summary", Static).update(
            f"[b]{len(tables)} table(s)[/b], [b]{n_index} index(es)[/b]; "
            "state 'public' means the index is complete and used by queries")
