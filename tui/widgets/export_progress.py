"""The running export's line at the bottom of the SQL tab: what it writes, where, how far
(rows written of how many, when the first run counted them), and how to cancel it.  Shown
while the export runs; the console stays usable meanwhile."""

from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static

from tui import text as fmt


class ExportProgress(Horizontal):
    DEFAULT_CSS = """
    ExportProgress { dock: bottom; height: 1; background: $panel; padding: 0 1; }
    ExportProgress #export-line { width: 1fr; height: 1; }
    ExportProgress ProgressBar { width: 18; height: 1; }
    ExportProgress Button { min-width: 0; width: auto; height: 1; border: none;
        margin: 0 0 0 1; padding: 0 1; }
    """

    class CancelPressed(Message):
        """The Cancel button (F9 does the same)."""

    def __init__(self, what: str, path: str, total: int | None) -> None:
        super().__init__(id="export-progress")
        self.what = what  # "the whole result" / "the rows shown"
        self.path = path
        self.total = total
        self.written = 0

    def compose(self) -> ComposeResult:
        yield Static(self._line(), id="export-line")
        yield ProgressBar(total=self.total, show_eta=False, show_percentage=False,
                          id="export-bar")
        yield Button("Cancel (F9)", id="export-cancel", compact=True)

    def _line(self) -> str:
        of = f" of {self.total:,}" if self.total else ""
        name = fmt.markup(os.path.basename(self.path) or self.path)
        # the count first: a narrow terminal cuts the end of the line
        return f"[b]Export[/b]: {self.written:,}{of} rows written ({self.what} to {name})"

    def advance(self, written: int) -> None:
        self.written = written
        self.query_one("#export-line", Static).update(self._line())
        self.query_one(ProgressBar).update(progress=written)

    def cancelling(self) -> None:
        self.query_one("#export-line", Static).update(
            f"[b $warning]Cancelling the export[/] ({self.written:,} rows written; the "
            "partial file is removed) ...")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.CancelPressed())

    @property
    def text(self) -> str:
        return str(self.query_one("#export-line", Static).render())
