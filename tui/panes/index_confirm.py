"""'Repair this index?': the statement, what it will change in plain sentences, and why this
statement; the safe answer is the default."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.screens import MODAL_CSS
from tui.widgets.index_plan import RepairPlan


class RepairConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = MODAL_CSS.format(name="RepairConfirmScreen") + """
    RepairConfirmScreen > Vertical { border: round $warning; max-width: 96; }
    RepairConfirmScreen #repair-sql { height: auto; color: $text; background: $panel;
        padding: 0 1; margin: 0 0 1 0; }
    RepairConfirmScreen .change { height: auto; }
    RepairConfirmScreen .why { height: auto; color: $text-muted; margin: 1 0 0 0; }
    RepairConfirmScreen .answer { margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Repair", key_display="y"),
        Binding("n,escape", "answer(False)", "Don't repair", key_display="n / Esc"),
    ]

    def __init__(self, target: str, plan: RepairPlan) -> None:
        super().__init__()
        self.target = target
        self.plan = plan

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Repair {self.target}?"), classes="title")
            yield Static(Text(self.plan.statement), id="repair-sql")
            for change in self.plan.changes:
                yield Static(Text(f"• {change[0].upper()}{change[1:]}."), classes="change")
            yield Static(Text(f"Why {self.plan.verb}: {self.plan.why}. The index is "
                              "checked again when it ends."), classes="why")
            yield Static("[b]y[/b] repairs, [b]n[/b] or [b]Esc[/b] does not.",
                         classes="hint answer")
            with Horizontal(classes="buttons"):
                yield Button("Don't repair", id="no", variant="primary")
                yield Button("Repair", id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
