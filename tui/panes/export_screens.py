"""The export dialog (what to export, in which format, to which file) and its overwrite
question.

Two things can be exported, and the dialog says which one the file will hold: the rows
shown, as displayed (the grid's text: at most --max-rows rows; binary data as `0x..`), or
the whole result with the database's own values, read again by re-running the statement on
a connection of the export's own (offered only for a read-only statement; when it is not
offered the dialog says why).  The whole result is the default whenever it is offered, even
when the grid holds every row: only it writes the values exactly as the database holds them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from tui import text as fmt
from tui.export_file import problem_with
from tui.export_writers import BY_EXTENSION, FORMATS
from tui.screens import MODAL_CSS, _freeze


@dataclass(frozen=True, slots=True)
class ExportRequest:
    path: str
    format: str  # a key of tui.export_writers.FORMATS
    whole: bool  # re-run the statement for its whole result
    table: str = "result"  # the table named by SQL INSERT statements


@dataclass(frozen=True, slots=True)
class ExportChoice:
    """What the pane knows of the result on screen."""

    shown: int  # rows the grid holds
    total: int  # rows the statement returned (counted by the first run)
    whole_refused: str = ""  # why re-running it is not offered ("": it is)
    table: str = "result"  # a table name guessed from the statement
    ambiguous_binary: tuple[str, ...] = ()  # binary columns whose text reads as hex too

    @property
    def complete(self) -> bool:
        return self.shown >= self.total


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Ask what to export, how, and where."""

    DEFAULT_CSS = MODAL_CSS.format(name="ExportScreen") + """
    ExportScreen .title { margin: 0; }
    ExportScreen RadioSet { width: 1fr; border: none; padding: 0; margin: 1 0 0 0; }
    ExportScreen #export-why { color: $text-muted; padding: 0 0 0 4; height: auto; }
    ExportScreen .field { height: auto; margin: 1 0 0 0; }
    ExportScreen .field Label { width: 8; padding: 0 1 0 0; }
    ExportScreen .field Input, ExportScreen .field Select { width: 1fr; }
    ExportScreen #export-holds { margin: 1 0 0 0; height: auto; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", key_display="Esc")]

    def __init__(self, choice: ExportChoice, directory: str | None = None,
                 fmt_key: str = "csv") -> None:
        super().__init__()
        self.choice = choice
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.default = os.path.join(directory or ".", f"result-{stamp}"
                                    f"{FORMATS[fmt_key].extension}")
        self.fmt_key = fmt_key

    def compose(self) -> ComposeResult:
        c = self.choice
        with Vertical():
            yield Static("Export the result", classes="title")
            with RadioSet(id="export-what", compact=True):
                shown = (f"Every row, as displayed: {fmt.count(c.total, 'row')} (the grid's "
                         "text)" if c.complete else
                         f"The rows shown, as displayed: {c.shown:,} of {c.total:,} "
                         "(--max-rows)")
                yield RadioButton(shown, value=bool(c.whole_refused), id="what-shown")
                yield RadioButton(f"The whole result: {fmt.count(c.total, 'row')} (runs the "
                                  "statement again: the database's own values)",
                                  id="what-whole", value=not c.whole_refused,
                                  disabled=bool(c.whole_refused))
            if c.whole_refused:
                yield Static(f"Not offered: {fmt.markup(c.whole_refused)}", id="export-why")
            with Horizontal(classes="field"):
                yield Label("Format")
                yield Select([(f.label, f.key) for f in FORMATS.values()], value=self.fmt_key,
                             allow_blank=False, id="export-format", compact=True)
            with Horizontal(classes="field"):
                yield Label("File")
                yield Input(self.default, id="export-path", compact=True)
            with Horizontal(classes="field", id="export-table-field"):
                yield Label("Table")
                yield Input(c.table, id="export-table", compact=True,
                            tooltip="the table the INSERT statements name")
            yield Static("", id="export-holds")
            yield Static("Enter writes the file; Tab moves between the fields; Esc cancels. "
                         "A long export runs while you work on (F9 cancels it).",
                         classes="hint")

    def on_mount(self) -> None:
        _freeze(self)
        inp = self.query_one("#export-path", Input)
        inp.focus()
        inp.cursor_position = len(inp.value)
        self._update()

    @property
    def whole(self) -> bool:
        button = self.query_one_optional("#what-whole", RadioButton)
        return button is not None and button.value

    @property
    def format(self) -> str:
        return str(self.query_one("#export-format", Select).value)

    def _update(self) -> None:
        c = self.choice
        self.query_one("#export-table-field").display = self.format == "sql"
        if self.whole:
            holds = (f"the whole result ({c.total:,} rows when it ran; read again by "
                     "running the statement again, on a connection of the export's own)")
        elif c.complete:
            holds = f"every row, as displayed ({fmt.count(c.total, 'row')}, the grid's text)"
        else:
            holds = f"the rows shown, as displayed ({c.shown:,} of the result's {c.total:,})"
        self.query_one("#export-holds", Static).update(f"The file will hold [b]{holds}[/b].")

    @on(RadioSet.Changed)
    def _what(self) -> None:
        self._update()

    @on(Select.Changed, "#export-format")
    def _format(self, event: Select.Changed) -> None:
        inp = self.query_one("#export-path", Input)
        stem, ext = os.path.splitext(inp.value)
        if ext.lower() in BY_EXTENSION or not ext:
            inp.value = stem + FORMATS[str(event.value)].extension
        self._update()

    @on(Input.Changed, "#export-path")
    def _path(self, event: Input.Changed) -> None:
        """A file name ending in a format's extension picks that format."""
        key = BY_EXTENSION.get(os.path.splitext(event.value)[1].lower())
        select = self.query_one("#export-format", Select)
        if key is not None and select.value != key:
            select.value = key

    @on(Input.Submitted)
    def _submit(self) -> None:
        path = os.path.expanduser(self.query_one("#export-path", Input).value.strip())
        if not path:
            self.notify("Give the name of the file to write.", severity="error")
            return
        problem = problem_with(path)
        if problem is not None:
            self.notify(str(problem), severity="error", timeout=8)
            return
        if self.format == "sql" and not self.whole and self.choice.ambiguous_binary:
            cols = ", ".join(self.choice.ambiguous_binary)
            self.notify(f"SQL INSERT statements of the rows as displayed are not offered: "
                        f"binary column {fmt.markup(cols)} holds values whose text cannot be "
                        "told from hex. Export the whole result, or another format.",
                        severity="error", timeout=10)
            return
        table = self.query_one("#export-table", Input).value.strip() or "result"
        request = ExportRequest(path, self.format, self.whole, table)
        if os.path.exists(path):
            def answer(yes: bool | None) -> None:
                if yes:
                    self.dismiss(request)

            self.app.push_screen(OverwriteScreen(path), answer)
            return
        self.dismiss(request)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class OverwriteScreen(ModalScreen[bool]):
    """'The file exists: overwrite it?'  No is the default; the old file stays whole until
    the new one is complete."""

    DEFAULT_CSS = MODAL_CSS.format(name="OverwriteScreen") + """
    OverwriteScreen > Vertical { border: round $warning; max-width: 80; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Overwrite", key_display="y"),
        Binding("n,escape", "answer(False)", "Keep it", key_display="n / Esc"),
    ]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        try:
            st = os.stat(self.path)
            what = (f"{fmt.count(st.st_size, 'byte')}, changed "
                    f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(st.st_mtime))}")
        except OSError:
            what = "it exists"
        with Vertical():
            yield Static("The file exists", classes="title")
            yield Static(f"{fmt.markup(self.path)} ({what}).")
            yield Static("Overwrite it? [b]y[/b] replaces it once the export is complete; "
                         "[b]n[/b] or [b]Esc[/b] goes back to the dialog.", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Keep it", id="no", variant="primary")
                yield Button("Overwrite", id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
