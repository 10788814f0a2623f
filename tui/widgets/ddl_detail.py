"""The highlighted DDL job, in words: the box under the list (what, where it stands, its
progress, the crash case recovery named, its error, the keys that apply) and the full
view Enter opens (the same, its times, and every step of its history with the time
between steps)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.events import JobState
from tui import text as fmt
from tui.backend.base import DDLJobInfo, DDLJobStep
from tui.widgets.ddl_board import finished
from tui.widgets.ddl_recover import DUE, GONE, RECOVERABLE, DropStatus
from tui.widgets.ddl_words import (
    crash_words,
    outcome,
    progress_words,
    refusal,
    state_words,
    step_rows,
    target,
    when,
)


def state_style(state: str, colours: dict[str, str]) -> str:
    if state in (JobState.SYNCED, JobState.DONE):
        return colours.get("success", "green")
    if state in (JobState.CANCELLED, JobState.ROLLBACK_DONE):
        return colours.get("error", "red")
    if state in (JobState.PAUSED, JobState.PAUSING, JobState.ROLLINGBACK,
                 JobState.CANCELLING):
        return colours.get("warning", "yellow")
    if state == JobState.RUNNING:
        return f"bold {colours.get('primary', 'cyan')}"
    return ""


def job_text(job: DDLJobInfo, steps: list[DDLJobStep] | None, colours: dict[str, str],
             rate: float = 0.0, *, keys: bool = True, times: bool = False,
             note: str = "", drop: DropStatus | None = None, note_style: str = "") -> Text:
    """The job in a few lines (the box and the head of the full view); `drop`: what a drop
    job left for GC and whether r and f can bring it back."""
    muted = colours.get("muted", "dim")
    text = Text()
    text.append(f"Job {job.job_id}", style="bold")
    text.append(f" · {target(job)} · ")
    text.append(state_words(job), style=state_style(job.state, colours))
    if job.schema_state:
        text.append(f" · {job.schema_state}")
    text.append("\n")
    text.append(" ".join((job.query or "").split()) or "(no statement)", style=muted)
    text.append("\n" + outcome(job))
    progress = progress_words(job, rate)
    if progress and not (finished(job.state) and job.state in (JobState.SYNCED,
                                                                 JobState.DONE)):
        text.append(f" {progress[0].upper()}{progress[1:]}.")
    if times:
        text.append(f"\nCreated {when(job.create_time)}, started {when(job.start_time)}, "
                    f"ended {when(job.end_time)}", style=muted)
        took = _took(job, steps)
        if took is not None:
            text.append(f" (took {fmt.seconds(took)})", style=muted)
        text.append(".", style=muted)
    if job.crash_case:
        text.append(f"\nInterrupted by a crash (case {job.crash_case})",
                    style=f"bold {colours.get('warning', '')}")
        crash = crash_words(job, steps)
        text.append(f": {crash}." if crash else ".")
        if job.state in (JobState.SYNCED, JobState.DONE):
            text.append(" Recovery carried it on and it finished by itself.")
    if job.error and job.state not in (JobState.SYNCED, JobState.DONE):
        text.append("\nError: ", style=f"bold {colours.get('error', 'red')}")
        text.append(job.error)
    if drop is not None and drop.line:
        style = {GONE: colours.get("error", "red"), DUE: f"bold {colours.get('warning', '')}",
                 RECOVERABLE: colours.get("success", "green")}.get(drop.kind, "")
        text.append("\n")
        text.append(drop.line, style=style)
    if note:
        text.append("\n")
        text.append(note, style=note_style)
    if keys:
        text.append("\n")
        text.append("Enter", style="bold reverse")
        text.append(" every step")
        for key, action, word in (("x", "cancel", "cancels"), ("p", "pause", "pauses"),
                                  ("u", "resume", "resumes")):
            if not refusal(action, job):
                text.append(" · ")
                text.append(key, style="bold reverse")
                text.append(f" {word}")
        if drop is not None and drop.offered:
            r = "recovers under a new name (the name is taken)" if drop.taken else "recovers"
            for key, word in (("r", r), ("f", "flashback to a new name")):
                text.append(" · ")
                text.append(key, style="bold reverse")
                text.append(f" {word}")
    return text


def _took(job: DDLJobInfo, steps: list[DDLJobStep] | None) -> float | None:
    """How long a finished job ran: from its history's step times (microseconds) when it
    has them, else from START_TIME/END_TIME (whole seconds)."""
    if not (job.start_time and job.end_time):
        return None
    times = [s.time for s in steps or () if s.time is not None]
    started = [s.time for s in steps or () if s.time is not None and s.step == "started"]
    if times and started:
        return (times[-1] - started[0]).total_seconds()
    return (job.end_time - job.start_time).total_seconds()


def steps_table(steps: list[DDLJobStep], wide: bool, colours: dict[str, str]) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), expand=True, header_style="bold")
    table.add_column("time", no_wrap=True)
    table.add_column("after", no_wrap=True, justify="right")
    table.add_column("step", no_wrap=True)
    if wide:
        table.add_column("state", no_wrap=True)
        table.add_column("schema state", no_wrap=True)
    table.add_column("detail", ratio=1)
    for at, gap, step, state, schema, detail in step_rows(steps):
        style = colours.get("warning", "") if step.startswith("interrupted") else ""
        if step in ("failed", "rollback done", "cancelled"):
            style = colours.get("error", "")
        cells = [at, gap, Text(step, style=style)]
        if wide:
            cells += [Text(state, style=state_style(state, colours)), schema]
        cells.append(Text(detail))
        table.add_row(*cells)
    return table


class DDLJobDetail(VerticalScroll):
    """The box under the list; Tab focuses it (it scrolls when its text overflows).

    A long statement (a CREATE TABLE of forty columns) overflows it: its bottom border
    then says how many lines are hidden above and below, and how to scroll them."""

    DEFAULT_CSS = """
    DDLJobDetail { height: auto; max-height: 45%; border: round $secondary 40%;
        border-title-color: $text-secondary; padding: 0 1; }
    DDLJobDetail:focus { border: round $accent; }
    DDLJobDetail { border-subtitle-color: $text-secondary; }
    DDLJobDetail #ddl-detail-text { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="ddl-detail-text")

    def on_mount(self) -> None:
        self.border_title = "Selected job"

    def show(self, job: DDLJobInfo | None, steps: list[DDLJobStep] | None,
             colours: dict[str, str], rate: float = 0.0, note: str = "",
             empty: str = "No job selected.", drop: DropStatus | None = None,
             note_style: str = "") -> None:
        body = self.query_one("#ddl-detail-text", Static)
        if job is None:
            self.border_title = "Selected job"
            body.update(Text(note or empty))
            return
        self.border_title = "Selected job"
        body.update(job_text(job, steps, colours, rate, note=note, drop=drop,
                             note_style=note_style))
        self.call_after_refresh(self.hint_hidden)

    def hidden_lines(self) -> tuple[int, int]:
        """(lines above, lines below) the visible part of the text."""
        above = round(self.scroll_y)
        return above, max(0, round(self.max_scroll_y) - above)

    def hint_hidden(self) -> None:
        above, below = self.hidden_lines()
        if not (above or below):
            self.border_subtitle = ""
            return
        where = []
        if above:
            where.append(f"↑ {above} more")
        if below:
            where.append(f"↓ {fmt.count(below, 'more line')}")
        how = ("↑/↓, PgUp/PgDn or the wheel scroll" if self.has_focus
               else "Tab here, then ↑/↓ (or the wheel) scrolls")
        self.border_subtitle = f"{' · '.join(where)} · {how}"

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.hint_hidden()

    def on_resize(self) -> None:
        self.call_after_refresh(self.hint_hidden)

    def on_focus(self) -> None:
        self.hint_hidden()

    def on_blur(self) -> None:
        self.hint_hidden()
