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
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
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


_JUSTIFIED = {None: False, "default": False, "left": False, "right": True}


def _plain_line(cell: object, content: int) -> str | None:
    """A value that renders as plain characters (one line, no style, no markup, fitting
    `content` cells), justified to `content` cells; None for anything else (NULL, styled
    text, markup, wide or multi-line values), which Rich renders as the widget does."""
    if isinstance(cell, Text):
        if cell.spans or cell.style or cell.justify not in _JUSTIFIED:
            return None
        plain, right = cell.plain, _JUSTIFIED[cell.justify]
    elif isinstance(cell, str):  # a string the widget escaped for markup: "[" changed it
        if "[" in cell or ":" in cell or "\\" in cell:  # markup, emoji codes, escapes
            return None
        plain, right = cell, False
    else:
        return None
    if not plain.isprintable():
        return None
    width = cell_len(plain)
    if width > content:
        return None
    fill = " " * (content - width)
    return fill + plain if right else plain + fill


class _ComponentStyle:
    """A component's styles with their `rich_style` read once (see
    `ResultsGrid.get_component_styles`); anything else is read from them."""

    def __init__(self, styles: Any) -> None:
        self.styles = styles
        self.rich_style: Style = styles.rich_style

    def __getattr__(self, name: str) -> Any:
        return getattr(self.styles, name)


class ResultsGrid(FastDataTable):
    """The grid.  Where its cursor is goes to `on_position(row, rows, column, columns)`,
    given by whoever shows it: the grid does not look for the results area among its
    ancestors, so the two modules do not import each other.

    Drawing a page is made cheaper than the widget's own (a page-down over a 200k-row
    result took ~50 ms, nearly all of it here): a cell holding a plain value becomes one
    segment directly instead of going through Rich's layout (padding, wrapping, cropping),
    and what is the same for every line of a frame (the widget's style, the row styles,
    the background) is read once per frame instead of once per line or cell.  Anything
    else (NULL, markup, long or multi-line values, the header) is drawn by the widget."""

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

    # -- drawing ---------------------------------------------------------------------------

    _frame: dict | None = None  # what is read once per frame, while one is drawn

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:
            return super().render_line(y)
        base = frame.get("style")
        if base is None:
            base = frame["style"] = self.rich_style
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        fixed = self.fixed_rows + (self.header_height if self.show_header else 0)
        if y >= fixed:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + width, base)

    @property
    def size(self):  # type: ignore[override]
        frame = self._frame
        if frame is None:
            return super().size
        size = frame.get("size")
        if size is None:
            size = frame["size"] = super().size
        return size

    def get_component_styles(self, *names: str):  # type: ignore[override]
        """Within a frame, the component styles' `rich_style` (all the widget's drawing
        reads of them) computed once: each reading walks the widget's ancestors."""
        frame = self._frame
        if frame is None:
            return super().get_component_styles(*names)
        styles = frame.get(names)
        if styles is None:
            styles = frame[names] = _ComponentStyle(super().get_component_styles(*names))
        return styles

    @property
    def background_colors(self):  # type: ignore[override]
        frame = self._frame
        if frame is None:
            return super().background_colors
        colours = frame.get("background")
        if colours is None:
            colours = frame["background"] = super().background_colors
        return colours

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        frame = self._frame
        if frame is None or row_index < self.fixed_rows:
            return super()._get_row_style(row_index, base_style)
        key = ("row", row_index % 2, base_style)
        style = frame.get(key)
        if style is None:
            style = frame[key] = super()._get_row_style(row_index, base_style)
        return style

    def _cell_settings(self) -> tuple:
        """The widget's settings a cell's drawing reads (reactive attributes: reading
        one costs more than drawing a plain cell), once per frame."""
        frame = self._frame
        settings = frame.get("cell") if frame is not None else None
        if settings is None:
            settings = (self.fixed_rows, self.fixed_columns, self._show_hover_cursor,
                        self._update_count, self._pseudo_class_state, self.show_cursor,
                        self.cursor_type == "range", self.cursor_foreground_priority == "css",
                        self.cursor_background_priority == "css")
            if frame is not None:
                frame["cell"] = settings
        return settings

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False, in_range: bool = False):
        (fixed_rows, fixed_columns, show_hover, update_count, pseudo_state, show_cursor,
         is_range, fg_css, bg_css) = self._cell_settings()
        if row_index < fixed_rows or column_index < fixed_columns or width < 3:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover, in_range)
        key = (row_index, column_index, base_style, cursor, hover, in_range, show_hover,
               update_count, pseudo_state)
        cache = self._cell_render_cache
        lines = cache.get(key)
        if lines is not None:
            return lines
        content = width - 2  # a cell's padding: one space each side
        text = _plain_line(self._get_cell_renderable(row_index, column_index, content),
                           content)
        if text is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover, in_range)
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, in_range, show_cursor, show_hover, is_range,
            fg_css, bg_css)
        style = base_style + Style.from_meta({"row": row_index, "column": column_index})
        style = style + component
        if post:
            style = style + post
        lines = cache[key] = [[Segment(f" {text} ", style)]]
        return lines

    def _value(self):
        if not self.row_count:
            return None
        return self.get_cell_at(self.cursor_coordinate)
