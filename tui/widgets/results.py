"""The results area: a status line and, below it, the grid, an error, or a notice.

The grid itself (`tui.widgets.grid`, textual-fastdatatable over Arrow) is imported with the
first result, so the console starts without paying for pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import Static

from tui.widgets.cell import ACTIONS, CellChosen

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ACTIONS", "CellChosen", "ResultsView"]


class ResultsView(Vertical):
    DEFAULT_CSS = """
    ResultsView { height: 1fr; }
    ResultsView #result-bar { height: 1; background: $panel; }
    ResultsView #result-status { width: 1fr; height: 1; padding: 0 1; }
    ResultsView #result-position { width: auto; height: 1; padding: 0 1; color: $text-muted; }
    ResultsView #result-body { height: 1fr; }
    ResultsView .notice { padding: 1 2; color: $text-muted; }
    ResultsView .error { padding: 0 1; margin: 1 1; border: round $error;
        color: $text-error; height: auto; }
    ResultsView ResultsGrid { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.table: pa.Table | None = None
        self.names: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="result-bar"):
            yield Static("", id="result-status")
            yield Static("", id="result-position")
        yield Vertical(id="result-body")

    def position(self, row: int, rows: int, column: int, columns: int) -> None:
        """'row 76 of 110,239 · column 2 of 5', or nothing without a grid."""
        text = "" if rows <= 0 else \
            f"row {row + 1:,} of {rows:,} · column {column + 1} of {columns}"
        self.query_one("#result-position", Static).update(text)

    @property
    def grid(self):
        """The ResultsGrid on screen, if any."""
        return self.query_one_optional("ResultsGrid")

    def status(self, markup: str) -> None:
        self.query_one("#result-status", Static).update(markup)

    def _replace(self, widget) -> None:
        self.query_one("#result-position", Static).update("")
        body = self.query_one("#result-body")
        body.remove_children()
        body.mount(widget)

    def notice(self, markup: str) -> None:
        self.table = None
        self._replace(Static(markup, classes="notice"))

    def error(self, markup: str) -> None:
        self.table = None
        self._replace(Static(markup, classes="error"))

    def show_table(self, table: pa.Table, names: list[str], keep_position: bool = False) -> None:
        """Show `table` (a bigger version of the one shown keeps the cursor where it was)."""
        old = self.grid
        cursor = old.cursor_coordinate if (old is not None and keep_position) else None
        scroll = (old.scroll_x, old.scroll_y) if cursor is not None else None
        had_focus = old is not None and old.has_focus
        self.table = table
        self.names = names
        from textual_fastdatatable import ArrowBackend

        from tui.widgets.grid import ResultsGrid

        # the table's own names are unique (Arrow drops repeats); the header shows the
        # statement's, repeats and all (`SELECT o.id, c.id` shows `id` twice, as mysql does)
        labels = [Text(n) for n in names] if len(names) == table.num_columns else None
        grid = ResultsGrid(backend=ArrowBackend(table), column_labels=labels,
                           cursor_type="cell", null_rep="[dim i]NULL[/]",
                           max_column_content_width=60, render_markup=False, zebra_stripes=True,
                           on_position=self.position)
        self._replace(grid)

        def restore() -> None:
            if cursor is not None and cursor.row < grid.row_count:
                grid.cursor_coordinate = Coordinate(cursor.row, cursor.column)
                grid.scroll_to(scroll[0], scroll[1], animate=False)
            if had_focus:
                grid.focus()
            self.position(grid.cursor_row, grid.row_count, grid.cursor_column,
                          grid.column_count)

        self.call_after_refresh(restore)
