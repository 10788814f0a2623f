"""Indexes: the tables and their indexes, as the dictionary knows them.

The index-consistency issue adds ADMIN CHECK INDEX over all of them with counts of missing
and dangling entries, and one-key RECOVER / CLEANUP INDEX repairs.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui import actions
from tui.backend import BackendError, IndexSummary
from tui.panes.base import Pane, coming, fill_table

actions.scope("indexes", "Indexes tab")
ACTIONS = actions.register(
    actions.Action("indexes", "refresh", "r,f5", "Refresh",
                   "Indexes: read the tables and indexes again"),
)


class IndexesPane(Pane):
    TITLE = "Indexes"
    ID = "indexes"
    ORDER = 30
    SCOPE = "indexes"
    BINDINGS = actions.bindings("indexes")

    DEFAULT_CSS = """
    IndexesPane #index-table { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the database ...", id="index-summary", classes="summary")
        yield DataTable(id="index-table", cursor_type="row", zebra_stripes=True)
        yield coming("ADMIN CHECK INDEX on every index (rows without entries, entries without "
                     "rows, exact counts) and one-key RECOVER / CLEANUP INDEX repairs.")

    def database_ready(self) -> None:
        self.load()

    def schema_changed(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        if self.ready:
            self.load()

    @work(thread=True, group="indexes", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        try:
            tables = self.backend.indexes()
        except BackendError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error", title="Indexes")
            return
        self.app.call_from_thread(self._show, tables)

    def _show(self, tables: list[IndexSummary]) -> None:
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
