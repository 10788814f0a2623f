"""The Backups tab's dialogs: where a new backup goes, the restore's confirmation (from
which backup, into which new directory, what is replayed), and "open it now?" once the
restored database is in place.

A restore never touches the open database: it writes a new directory.  The confirmation
still starts on "Don't" (Enter on a fresh dialog does nothing), `y` restores, and the
directory is an input that Tab reaches (Enter there restores into what it says).
"""

from __future__ import annotations

import os

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.panes.ddl_screens import YesNoScreen
from tui.screens import MODAL_CSS
from tui.widgets.backup_words import RestorePlan, changes, plan_lines, when


def dest_problem(path: str, what: str = "restore") -> str:
    """Why `path` cannot take a new database or backup ("" when it can): it must be new
    or an empty directory."""
    path = path.strip()
    if not path:
        return "Give a directory."
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        return (f"{path} exists and is not empty: a {what} goes into a new directory "
                "(choose another name).")
    return ""


class _Frozen:
    def on_mount(self) -> None:
        for inp in self.query(Input):  # type: ignore[attr-defined]
            inp.cursor_blink = bool(getattr(self.app, "blink", True))  # type: ignore[attr-defined]


class BackupDestScreen(_Frozen, ModalScreen[str | None]):
    """`b`: the directory the backup goes into (a new one beside the database by
    default); Enter takes it, Esc cancels."""

    DEFAULT_CSS = MODAL_CSS.format(name="BackupDestScreen") + """
    BackupDestScreen > Vertical { max-width: 96; }
    BackupDestScreen .title { height: auto; }
    BackupDestScreen .change { height: auto; }
    BackupDestScreen #dest-problem { height: auto; color: $error; }
    BackupDestScreen #backup-dest { border: none; height: 1; padding: 0 1;
        background: $boost; margin: 0 0 1 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, db: str, default: str) -> None:
        super().__init__()
        self.db = db
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Back up {self.db} while it stays open"), classes="title")
            yield Static(Text("• A hot, consistent copy: writers go on; the backup is "
                              "consistent at one LSN and GTID set, with a manifest of "
                              "checksums, fsynced."), classes="change")
            yield Label("Into the new directory:")
            yield Input(self.default, id="backup-dest")
            yield Static("", id="dest-problem")
            yield Static("Enter starts the backup; Esc cancels.", classes="hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#dest-problem", Static).update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        problem = dest_problem(event.value, "backup")
        if problem:
            self.query_one("#dest-problem", Static).update(Text(problem))
            return
        self.dismiss(event.value.strip())

    def problem(self) -> str:
        return str(self.query_one("#dest-problem", Static).render())

    def action_cancel(self) -> None:
        self.dismiss(None)


class RestoreScreen(_Frozen, YesNoScreen):
    """'Restore to just before f9e6…:10 (DROP TABLE reviews)?', from which backup, what is
    replayed, into which new directory (editable).  Dismissed with the directory, or with
    None."""

    DEFAULT_CSS = MODAL_CSS.format(name="RestoreScreen") + """
    RestoreScreen > Vertical { border: round $warning; max-width: 110; }
    RestoreScreen .title { height: auto; }
    RestoreScreen #restore-body { height: auto; max-height: 16; }
    RestoreScreen #restore-what { height: auto; color: $text; background: $panel;
        padding: 0 1; margin: 0 0 1 0; }
    RestoreScreen .change { height: auto; }
    RestoreScreen #restore-dest-row { height: 1; margin: 1 0 0 0; }
    RestoreScreen #restore-dest-row Label { width: auto; }
    RestoreScreen #restore-dest { border: none; height: 1; padding: 0 1; width: 1fr;
        background: $panel; }
    RestoreScreen #restore-dest:focus { background: $boost; }
    RestoreScreen #dest-problem { height: auto; color: $error; }
    RestoreScreen .buttons { margin: 0; }
    RestoreScreen .buttons .answer { width: 1fr; margin: 1 0 0 0; }
    """

    def __init__(self, plan: RestorePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        t = self.plan.target
        with Vertical():
            yield Static(Text("Restore to just before this transaction, into a new "
                              "database?"), classes="title")
            with VerticalScroll(id="restore-body"):
                yield Static(Text(f"{when(t.ts)}  {t.gtid}  {changes(t, 200)}"),
                             id="restore-what")
                for line in plan_lines(self.plan):
                    yield Static(Text(f"• {line}"), classes="change")
            with Horizontal(id="restore-dest-row"):
                yield Label("New directory (Shift+Tab): ")
                yield Input(self.plan.dest, id="restore-dest")
            yield Static("", id="dest-problem")
            with Horizontal(classes="buttons"):
                yield Static("[b]y[/b] restores, [b]n[/b] or [b]Esc[/b] does not.",
                             classes="hint answer")
                yield Button("Don't", id="no", variant="primary")
                yield Button("Restore", id="yes", variant="warning")

    def on_mount(self) -> None:
        _Frozen.on_mount(self)
        YesNoScreen.on_mount(self)
        # a small terminal: the statement and the bullets scroll, the directory and the
        # buttons stay in sight
        room = max(4, self.app.size.height - 14)
        self.query_one("#restore-body").styles.max_height = min(16, room)

    def dest(self) -> str:
        return self.query_one("#restore-dest", Input).value.strip()

    def _go(self) -> None:
        problem = dest_problem(self.dest())
        if problem:
            self.query_one("#dest-problem", Static).update(Text(problem))
            self.query_one("#restore-dest", Input).focus()
            return
        self.dismiss(self.dest())  # type: ignore[arg-type]

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#dest-problem", Static).update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self._go()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()  # YesNoScreen's handler would dismiss a second time
        if event.button.id == "yes":
            self._go()
        else:
            self.dismiss(None)  # type: ignore[arg-type]

    def action_answer(self, yes: bool) -> None:
        if yes:
            self._go()
        else:
            self.dismiss(None)  # type: ignore[arg-type]

    def problem(self) -> str:
        return str(self.query_one("#dest-problem", Static).render())


class OpenRestoredScreen(YesNoScreen):
    """The restore is done: open the restored database now (the console reopens on it),
    or keep this one (the command to open it later is shown)."""

    DEFAULT_CSS = MODAL_CSS.format(name="OpenRestoredScreen") + """
    OpenRestoredScreen > Vertical { border: round $success; max-width: 100; }
    OpenRestoredScreen .title { height: auto; }
    OpenRestoredScreen .change { height: auto; }
    OpenRestoredScreen #open-command { height: auto; background: $panel; padding: 0 1;
        margin: 1 0 0 0; }
    OpenRestoredScreen .buttons { margin: 1 0 0 0; }
    OpenRestoredScreen .buttons .answer { width: 1fr; margin: 1 0 0 0; }
    """

    def __init__(self, done: str, dest: str, command: str, can_open: bool = True) -> None:
        super().__init__()
        self.done = done
        self.dest = dest
        self.command = command
        self.can_open = can_open

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Restored. Open it now?" if self.can_open else "Restored."),
                         classes="title")
            yield Static(Text(f"• {self.done}"), classes="change")
            yield Static(Text("• This database stays as it was; the console "
                              + ("closes it and opens the restored one." if self.can_open
                                 else "keeps it open.")), classes="change")
            yield Static(Text(f"Later, from a shell:  {self.command}"), id="open-command")
            with Horizontal(classes="buttons"):
                yield Static("[b]y[/b] opens it, [b]n[/b] or [b]Esc[/b] stays here."
                             if self.can_open else "[b]Esc[/b] closes.", classes="hint answer")
                yield Button("Stay here", id="no", variant="primary")
                if self.can_open:
                    yield Button("Open it", id="yes", variant="success")
