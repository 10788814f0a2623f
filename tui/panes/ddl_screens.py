"""The DDL Jobs tab's dialogs: 'Cancel job 12 (...)?' with what will happen (the safe
answer is the default), the full view of one job with every step of its history, and
bringing a dropped table back: its new name (FLASHBACK ... TO) and the confirmation saying
what comes back."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.backend.base import DDLJobInfo, DDLJobStep
from tui.screens import MODAL_CSS
from tui.widgets.ddl_detail import job_text, steps_table
from tui.widgets.ddl_recover import DropStatus, Recovery, name_problem
from tui.widgets.ddl_words import VERBS, consequences, question, statement, step_rows

NOT = {"cancel": "Don't cancel", "pause": "Don't pause", "resume": "Don't resume"}


class YesNoScreen(ModalScreen[bool]):
    """A question answered y (the "yes" button) or n / Esc (the "no" button, focused first,
    so Enter on a fresh dialog never does the risky thing)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", key_display="y"),
        Binding("n,escape", "answer(False)", "No", key_display="n / Esc"),
    ]

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def text(self) -> str:
        """Every line shown (tests)."""
        return "\n".join(str(w.render()) for w in self.query("Static"))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class DDLControlScreen(YesNoScreen):
    DEFAULT_CSS = MODAL_CSS.format(name="DDLControlScreen") + """
    DDLControlScreen > Vertical { border: round $warning; max-width: 96; }
    DDLControlScreen .title { height: auto; }
    DDLControlScreen #ddl-sql { height: auto; color: $text; background: $panel;
        padding: 0 1; margin: 0 0 1 0; }
    DDLControlScreen .change { height: auto; }
    DDLControlScreen .answer { margin: 1 0 0 0; }
    """

    def __init__(self, action: str, job: DDLJobInfo) -> None:
        super().__init__()
        self.action = action
        self.job = job

    def compose(self) -> ComposeResult:
        verb = VERBS[self.action]
        with Vertical():
            yield Static(Text(question(self.action, self.job)), classes="title")
            yield Static(Text(statement(self.action, self.job.job_id)), id="ddl-sql")
            for change in consequences(self.action, self.job):
                yield Static(Text(f"• {change}"), classes="change")
            yield Static(f"[b]y[/b] {verb.lower()}s the job, [b]n[/b] or [b]Esc[/b] does "
                         "not.", classes="hint answer")
            with Horizontal(classes="buttons"):
                yield Button(NOT[self.action], id="no", variant="primary")
                yield Button(f"{verb} job", id="yes", variant="warning")


class DDLJobScreen(ModalScreen[None]):
    """One job: the words of the box, its times, and its steps; updated live while open."""

    DEFAULT_CSS = MODAL_CSS.format(name="DDLJobScreen") + """
    DDLJobScreen > Vertical { height: 90%; max-width: 140; }
    DDLJobScreen VerticalScroll { height: 1fr; }
    DDLJobScreen #ddl-job-head { height: auto; margin: 0 0 1 0; }
    DDLJobScreen #ddl-job-steps { height: auto; }
    """
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", key_display="Esc")]

    def __init__(self, job: DDLJobInfo, steps: list[DDLJobStep], colours: dict[str, str],
                 rate: float = 0.0, drop: DropStatus | None = None) -> None:
        super().__init__()
        self.job = job
        self.steps = steps
        self.colours = colours
        self.rate = rate
        self.drop = drop  # a drop job: what it left for GC

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"DDL job {self.job.job_id}: history", classes="title")
            with VerticalScroll():
                yield Static("", id="ddl-job-head")
                yield Static("", id="ddl-job-steps")
            yield Static("Esc or Enter closes; x, p, u, r and f act from the list.",
                         classes="hint")

    def on_mount(self) -> None:
        self._draw()

    def show(self, job: DDLJobInfo, steps: list[DDLJobStep] | None = None,
             rate: float = 0.0, drop: DropStatus | None = None) -> None:
        self.job = job
        if steps is not None:
            self.steps = steps
        self.rate = rate
        self.drop = drop
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        self.query_one("#ddl-job-head", Static).update(
            job_text(self.job, self.steps, self.colours, self.rate, keys=False, times=True,
                     drop=self.drop))
        wide = self.app.size.width >= 110
        body = self.query_one("#ddl-job-steps", Static)
        if self.steps:
            body.update(steps_table(self.steps, wide, self.colours))
        else:
            body.update(Text("No history recorded for this job.",
                             style=self.colours.get("muted", "dim")))

    def text(self) -> str:
        """What is shown, as plain text (tests)."""
        head = job_text(self.job, self.steps, self.colours, self.rate, keys=False, times=True,
                        drop=self.drop)
        rows = ["  ".join(str(c) for c in r[:3] + r[5:]) for r in step_rows(self.steps)]
        return head.plain + "\n" + "\n".join(rows)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)



class RecoverScreen(YesNoScreen):
    """'RECOVER TABLE BY JOB 12 brings back test.orders: ~1,000 rows, 2 indexes, as
    test.orders' with its statement and what it does; No is the default."""

    DEFAULT_CSS = MODAL_CSS.format(name="RecoverScreen") + """
    RecoverScreen > Vertical { border: round $success; max-width: 96; }
    RecoverScreen .title { height: auto; }
    RecoverScreen #recover-sql { height: auto; color: $text; background: $panel;
        padding: 0 1; margin: 0 0 1 0; }
    RecoverScreen .change { height: auto; }
    RecoverScreen .answer { margin: 1 0 0 0; }
    """

    def __init__(self, plan: Recovery, left: str = "") -> None:
        super().__init__()
        self.plan = plan
        self.left = left  # "recoverable for 8 min 12 s (GC after 10:58:03)."

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.plan.question + "?"), classes="title")
            yield Static(Text(self.plan.sql), id="recover-sql")
            if self.left:
                yield Static(Text(f"• {self.left}"), classes="change")
            for change in self.plan.consequences():
                yield Static(Text(f"• {change}"), classes="change")
            yield Static("[b]y[/b] runs it, [b]n[/b] or [b]Esc[/b] does not.",
                         classes="hint answer")
            with Horizontal(classes="buttons"):
                yield Button("Don't", id="no", variant="primary")
                yield Button("Bring it back" if self.plan.action == "recover"
                             else "Flash back", id="yes", variant="success")


class NewNameScreen(ModalScreen[str | None]):
    """FLASHBACK ... TO: the new name, checked as it is typed (not blank, one name); Enter
    goes on to the confirmation, Esc cancels."""

    DEFAULT_CSS = MODAL_CSS.format(name="NewNameScreen") + """
    NewNameScreen > Vertical { max-width: 90; }
    NewNameScreen .title { height: auto; }
    NewNameScreen #new-name-problem { height: auto; color: $error; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", key_display="Esc")]

    def __init__(self, job: DDLJobInfo, what: str, default: str = "", title: str = "") -> None:
        super().__init__()
        self.title_text = title  # "shop.carts exists: bring it back under a new name"
        self.job = job
        self.what = what  # "test.orders", "database shop2"
        self.default = default

    def compose(self) -> ComposeResult:
        schema = self.job.job_type == "drop schema"
        with Vertical():
            what = (f"the rows {self.what} had before the truncate"
                    if self.job.job_type == "truncate table" else self.what)
            yield Static(Text(self.title_text or
                              f"Bring back {what} (job {self.job.job_id}) under a new name"),
                         classes="title")
            yield Label("New database name:" if schema else
                        f"New table name (in {self.job.db_name}):")
            yield Input(self.default, id="new-name", max_length=64)
            yield Static("", id="new-name-problem")
            yield Static("Enter goes on to the confirmation; Esc cancels.", classes="hint")

    def on_mount(self) -> None:
        inp = self.query_one(Input)
        inp.cursor_blink = bool(getattr(self.app, "blink", True))  # pictures: no blink
        inp.focus()

    @on(Input.Changed, "#new-name")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#new-name-problem", Static).update("")

    @on(Input.Submitted, "#new-name")
    def _submit(self, event: Input.Submitted) -> None:
        problem = name_problem(event.value)
        if problem:
            self.query_one("#new-name-problem", Static).update(Text(problem))
            return
        self.dismiss(event.value.strip())

    def problem(self) -> str:
        """What the dialog says is wrong with the name (tests)."""
        return str(self.query_one("#new-name-problem", Static).render())

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
