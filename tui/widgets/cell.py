"""What the results area and its grid share, without the grid's heavy imports (pyarrow,
textual-fastdatatable come with the first result): the grid's keys and the message for a
chosen cell."""

from __future__ import annotations

from typing import Any

from textual.coordinate import Coordinate
from textual.message import Message

from tui import actions

actions.scope("results", "Results grid")
ACTIONS = actions.register(
    actions.Action("results", "view_cell", "v", "View cell",
                   "Results: show the whole value of the cell under the cursor (also Enter)"),
    actions.Action("results", "copy_cell", "y", "Copy",
                   "Results: copy the value under the cursor to the clipboard"),
    actions.Action("results", "scroll_home", "home", "First row", "Results: go to the first row",
                   show=False),
    actions.Action("results", "scroll_end", "end", "Last row", "Results: go to the last row",
                   show=False),
)


class CellChosen(Message):
    """The user asked to see a whole cell (Enter or v in the grid)."""

    def __init__(self, value: Any, coordinate: Coordinate) -> None:
        super().__init__()
        self.value = value
        self.coordinate = coordinate
