"""Modal screens: help, confirmation, cell detail, history search, open failure (the export
dialog is `tui.panes.export_screens`)."""

from __future__ import annotations

import datetime as dt

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui import actions
from tui import text as fmt
from tui.backend.base import BackendError
from tui.history import Entry

MODAL_CSS = """
{name} {{ align: center middle; background: $background 60%; }}
{name} > Vertical {{ width: 90%; max-width: 110; height: auto; max-height: 90%;
    border: round $primary; background: $surface; padding: 0 1; }}
{name} .title {{ text-style: bold; color: $text-primary; height: 1; margin: 0 0 1 0; }}
{name} .hint {{ color: $text-muted; height: auto; }}
{name} .buttons {{ height: auto; align-horizontal: right; margin: 1 0 0 0; }}
{name} Button {{ margin: 0 0 0 2; min-width: 12; }}
"""


def _freeze(screen: ModalScreen) -> None:
    """No blinking cursors when the app says so (snapshot tests)."""
    if not getattr(screen.app, "blink", True):
        for w in screen.query("Input, TextArea"):
            w.cursor_blink = False


TAB_KEYS_HINT = (
    "\nSwitching tabs, and where each key works: the digits 1-5 whenever the focus is not "
    "in the editor (F3 leaves it for the results); Alt+1..5 everywhere, the editor too, in "
    "terminals whose Alt (Meta) sends ESC first (xterm's default, and what tmux, screen and "
    "ssh pass on); F7 / F8 step to the previous / next tab in any terminal, through tmux, "
    "screen and ssh alike; Ctrl+PgUp / Ctrl+PgDn and Alt+← / Alt+→ do too where the "
    "terminal sends them.")
GENERAL_HINT = (
    "Every action is also in the command palette (Ctrl+P). States are always written in "
    "words; Ctrl+T switches to a 16-colour theme for plain terminals. The mouse works too: "
    "click tabs, cells, buttons.")


class HelpScreen(ModalScreen[None]):
    """Every key and action, from the registry, by scope."""

    DEFAULT_CSS = MODAL_CSS.format(name="HelpScreen") + """
    HelpScreen > Vertical { height: 90%; }
    HelpScreen VerticalScroll { height: 1fr; }
    """
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close", key_display="Esc")]

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str, str]] = []  # (heading, keys, help) as shown

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("KintsugiDB console: keys and actions", classes="title")
            with VerticalScroll():
                panes = [p.SCOPE for p in getattr(self.app, "pane_classes", [])]
                order = ["app", *panes]
                order += [s for s in actions.SCOPES if s not in order]
                for scope in order:
                    heading = actions.SCOPES.get(scope, scope)
                    acts = [a for a in actions.of_scope(scope) if a.keys]
                    if not acts:
                        continue
                    table = Table(title=heading, title_justify="left", show_header=False,
                                  box=None, padding=(0, 2, 0, 0), expand=True,
                                  title_style="bold")
                    table.add_column("keys", width=20, style="bold")
                    table.add_column("action", ratio=1)
                    for a in acts:
                        table.add_row(a.keys_text, a.help)
                        self.lines.append((heading, a.keys_text, a.help))
                    yield Static(table)
                yield Static(TAB_KEYS_HINT + " " + GENERAL_HINT, classes="hint")
            yield Static("Esc, F1 or q closes this help.", classes="hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """'Run it?' for statements that destroy data.  The safe answer is the default."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen") + """
    ConfirmScreen > Vertical { border: round $error; max-width: 90; }
    ConfirmScreen #confirm-sql { max-height: 8; height: auto; color: $text;
        background: $panel; padding: 0 1; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Run it", key_display="y"),
        Binding("n,escape", "answer(False)", "Don't run", key_display="n / Esc"),
    ]

    def __init__(self, reasons: list[str], sql: str) -> None:
        super().__init__()
        self.reasons = reasons
        self.sql = sql

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Confirm: this statement destroys data", classes="title")
            for r in self.reasons:
                yield Static(f"• {r}")
            yield Static(Text(fmt.one_line(self.sql, 400)), id="confirm-sql")
            yield Static("Run it? [b]y[/b] runs it, [b]n[/b] or [b]Esc[/b] does not "
                         "(the editor keeps your text either way).", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Don't run", id="no", variant="primary")
                yield Button("Run it", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class CellScreen(ModalScreen[None]):
    """The whole value of one cell, with its column, row and type."""

    DEFAULT_CSS = MODAL_CSS.format(name="CellScreen") + """
    CellScreen TextArea { height: auto; max-height: 30; border: round $secondary 40%; }
    CellScreen TextArea:focus { border: round $primary; }
    """
    BINDINGS = [
        Binding("escape,v,q", "dismiss", "Close", key_display="Esc"),
        Binding("y", "copy", "Copy value"),
    ]

    def __init__(self, column: str, row: int, value: object) -> None:
        super().__init__()
        self.column = column
        self.row = row
        self.value = value

    def on_mount(self) -> None:
        _freeze(self)

    def _text(self) -> str:
        from tui.resultset import text_of

        return "NULL" if self.value is None else text_of(self.value)

    def compose(self) -> ComposeResult:
        kind = "NULL" if self.value is None else type(self.value).__name__
        text = self._text()
        with Vertical():
            yield Static(f"{self.column}, row {self.row + 1:,}", classes="title")
            yield Static(f"type {kind}; {fmt.count(len(text), 'character')}", classes="hint")
            yield TextArea(text, read_only=True, soft_wrap=True, show_line_numbers=False,
                           id="cell-text")
            yield Static("Esc closes; y copies the value.", classes="hint")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self._text())
        self.notify("Copied the value (OSC 52 clipboard)", timeout=2)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


class HistoryScreen(ModalScreen[str | None]):
    """Search the query history; Enter loads the statement into the editor."""

    DEFAULT_CSS = MODAL_CSS.format(name="HistoryScreen") + """
    HistoryScreen > Vertical { height: 85%; }
    HistoryScreen OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close", key_display="Esc")]

    def __init__(self, entries_for, now: float | None = None) -> None:
        super().__init__()
        self.entries_for = entries_for  # text -> list[Entry]
        self.now = now
        self.shown: list[Entry] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Query history", classes="title")
            yield Input(placeholder="type words to search (all must match)", id="history-search")
            yield OptionList(id="history-list")
            yield Static("Enter loads the statement into the editor (Ctrl+Z there restores "
                         "your text); ↑/↓ choose; Esc closes.", classes="hint")

    def on_mount(self) -> None:
        _freeze(self)
        self._fill("")

    @on(Input.Changed, "#history-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, text: str) -> None:
        ol = self.query_one(OptionList)
        ol.clear_options()
        self.shown = self.entries_for(text)
        for e in self.shown:
            ol.add_option(Option(self._prompt(e)))
        if self.shown:
            ol.highlighted = 0
        else:
            ol.add_option(Option("(no statement matches)", disabled=True))

    def _prompt(self, e: Entry) -> Text:
        status = {"ok": ("ok       ", "green"), "error": ("error    ", "red"),
                  "cancelled": ("cancelled", "yellow")}.get(e.status, (e.status, ""))
        when = dt.datetime.fromtimestamp(e.ts).strftime("%m-%d %H:%M") if e.ts else ""
        t = Text()
        t.append(f"{when:11} ", style="dim")
        t.append(status[0] + " ", style=status[1])
        t.append(fmt.one_line(e.sql, 200))
        return t

    _MOVES = {"up": "cursor_up", "down": "cursor_down", "pageup": "page_up",
              "pagedown": "page_down"}

    def on_key(self, event) -> None:
        """The search box keeps the focus; the arrow keys move in the list."""
        move = self._MOVES.get(event.key)
        if move and isinstance(self.focused, Input):
            getattr(self.query_one(OptionList), f"action_{move}")()
            event.stop()
            event.prevent_default()

    @on(Input.Submitted, "#history-search")
    def _submit(self) -> None:
        self._pick(self.query_one(OptionList).highlighted)

    @on(OptionList.OptionSelected, "#history-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is None or index >= len(self.shown):
            return
        self.dismiss(self.shown[index].sql)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class OpenFailedScreen(ModalScreen[None]):
    """The database could not be opened: say why, with the error code, then leave."""

    DEFAULT_CSS = MODAL_CSS.format(name="OpenFailedScreen") + """
    OpenFailedScreen > Vertical { border: round $error; }
    """
    BINDINGS = [Binding("escape,enter,q,ctrl+q", "leave", "Quit")]

    def __init__(self, path: str, error: BackendError) -> None:
        super().__init__()
        self.path = path
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Cannot open {self.path}", classes="title")
            yield Static(Text(str(self.error), style="bold"))
            if self.error.hint:
                yield Static(self.error.hint, classes="hint")
            yield Static("Press Enter or Esc to leave.", classes="hint")

    def action_leave(self) -> None:
        self.app.exit(return_code=1)


class OpenTransactionScreen(ModalScreen[str | None]):
    """Closing the database with a transaction open: commit, roll back, or stay.

    Answers "commit", "rollback" or None (stay, the default: Esc and the focused button).
    The app runs the COMMIT or ROLLBACK and closes only if it succeeded."""

    DEFAULT_CSS = MODAL_CSS.format(name="OpenTransactionScreen") + """
    OpenTransactionScreen > Vertical { border: round $warning; max-width: 90; }
    OpenTransactionScreen #pending-sql { height: auto; max-height: 8; color: $text;
        background: $panel; padding: 0 1; }
    """
    BINDINGS = [
        Binding("c", "answer('commit')", "Commit", key_display="c"),
        Binding("r", "answer('rollback')", "Roll back", key_display="r"),
        Binding("escape,s", "answer(None)", "Stay", key_display="Esc"),
    ]

    def __init__(self, summary: str, statements: list[str], closing: str = "Quitting") -> None:
        super().__init__()
        self.summary = summary
        self.statements = statements
        self.closing = closing

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.closing}: a transaction is open", classes="title")
            yield Static(self.summary, id="pending-summary")
            if self.statements:
                yield Static(Text("\n".join(self.statements)), id="pending-sql")
            yield Static("[b]c[/b] commits it, then closes; [b]r[/b] rolls it back, then "
                         "closes; [b]Esc[/b] stays in the console with the transaction open.",
                         classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Stay", id="stay", variant="primary")
                yield Button("Roll back", id="rollback", variant="error")
                yield Button("Commit", id="commit", variant="success")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class QuitBusyScreen(ModalScreen[bool]):
    """Quitting while a statement or an export runs (no transaction open): the work would
    be stopped (a statement cancelled, its changes rolled back; an export's partial file
    removed), so ask.  Answers True (stop it and quit) or False (stay, the default)."""

    DEFAULT_CSS = MODAL_CSS.format(name="QuitBusyScreen") + """
    QuitBusyScreen > Vertical { border: round $warning; max-width: 90; }
    """
    BINDINGS = [
        Binding("q", "answer(True)", "Stop and quit", key_display="q"),
        Binding("escape,s", "answer(False)", "Stay", key_display="Esc"),
    ]

    def __init__(self, busy: list[str], closing: str = "Quitting") -> None:
        super().__init__()
        self.busy = busy
        self.closing = closing

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.closing}: work is still running", classes="title")
            for line in self.busy:
                yield Static(Text(f"• {line}"))
            yield Static("[b]q[/b] stops it and closes the database; [b]Esc[/b] stays in the "
                         "console and lets it finish.", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Stay", id="stay", variant="primary")
                yield Button("Stop it and quit", id="quit", variant="error")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
