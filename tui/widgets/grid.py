"""The results grid: textual-fastdatatable's DataTable over an Arrow table (a million rows
page in milliseconds).  Values are shown as the `mysql` client shows them (dates with a
space, no thousands separators, NULL in words), not in the widget's locale-aware defaults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import textual_fastdatatable.data_table as _fdt_table
import textual_fastdatatable.format as _fdt_format
from rich.text import Text
from textual_fastdatatable import DataTable as FastDataTable

from tui import actions
from tui.format import cell
from tui.widgets.cell import CellChosen

_original_formatter = _fdt_format.cell_formatter


def _mysql_cell_formatter(obj, null_rep, col=None, render_markup=True, truncate_multiline=True,
                          max_width=None):
    if isinstance(obj, bool) or obj is None:
        return _original_formatter(obj, null_rep, col, render_markup, truncate_multiline,
                                   max_width)
    if isinstance(obj, (int, float, Decimal, dt.datetime)):
        return Text(cell(obj), justify="right")
    if isinstance(obj, (dt.date, dt.time)):
        return Text(obj.isoformat(), justify="right")
    return _original_formatter(obj, null_rep, col, render_markup, truncate_multiline, max_width)


# the widget and its width measurement both look the formatter up in these modules
_fdt_format.cell_formatter = _mysql_cell_formatter
_fdt_table.cell_formatter = _mysql_cell_formatter


class ResultsGrid(FastDataTable):
    """The grid.  Where its cursor is goes to `on_position(row, rows, column, columns)`,
    given by whoever shows it: the grid does not look for the results area among its
    ancestors, so the two modules do not import each other."""

    SCOPE = "results"
    BINDINGS = actions.bindings("results")

    def __init__(self, *args: Any,
                 on_position: Callable[[int, int, int, int], None] | None = None,
                 **kwargs: Any) -> None:
        self._on_position = on_position
        super().__init__(*args, **kwargs)

    def action_view_cell(self) -> None:
        self.post_message(CellChosen(self._value(), self.cursor_coordinate))

    def on_data_table_cell_selected(self, event: FastDataTable.CellSelected) -> None:
        event.stop()
        self.post_message(CellChosen(event.value, event.coordinate))

    def action_copy_cell(self) -> None:
        from tui.resultset import text_of

        value = self._value()
        self.app.copy_to_clipboard("NULL" if value is None else text_of(value))
        self.notify("Copied the cell value (OSC 52 clipboard)", timeout=2)

    def watch_cursor_coordinate(self, old, new) -> None:
        super().watch_cursor_coordinate(old, new)
        if self._on_position is not None:
            self._on_position(new.row, self.row_count, new.column, self.column_count)

    def _value(self):
        if not self.row_count:
            return None
        return self.get_cell_at(self.cursor_coordinate)
