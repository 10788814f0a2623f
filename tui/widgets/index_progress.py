"""The Indexes tab's progress while a check or a repair runs: one bar for the table being
read (rows, then each index's entries, as the engine's events say) and one for the whole
job (every table weighed by its estimated rows), each with its words."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from tui.widgets.index_board import Job

PHASES = {"rows": "reading rows", "starting": "starting", "buckets": "narrowing to buckets"}


def phase_words(phase: str) -> str:
    if phase.startswith("index "):
        return f"reading index {phase[6:]}'s entries"
    if phase.startswith("batch "):
        return phase
    return PHASES.get(phase, phase)


def job_labels(job: Job) -> tuple[str, str]:
    """(table line, overall line) in words."""
    n = len(job.tables)
    what = "Checking" if job.kind == "check" else "Repairing"
    of = f"{job.done:,} of ~{job.total:,}" if job.total else f"{job.done:,}"
    table = f"{what} {job.table or '...'}: {phase_words(job.phase)}, {of}"
    if job.cancelling:
        table += " (cancelling ...)"
    done = len(job.finished)
    overall = (f"{done} of {n} table{'s' if n != 1 else ''} done"
               if job.kind == "check" else "re-check follows")
    return table, overall


class IndexProgress(Vertical):
    """Hidden unless a job runs."""

    DEFAULT_CSS = """
    IndexProgress { height: auto; padding: 0 1; display: none; }
    IndexProgress.-running { display: block; }
    IndexProgress Horizontal { height: 1; }
    IndexProgress .bar-label { width: auto; }
    IndexProgress ProgressBar { width: 1fr; min-width: 8; }
    IndexProgress ProgressBar Bar { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("", id="index-table-label", classes="bar-label")
            yield ProgressBar(total=100, show_eta=False, id="index-table-bar")
        with Horizontal():
            yield Static("", id="index-all-label", classes="bar-label")
            yield ProgressBar(total=100, show_eta=False, id="index-all-bar")

    def show(self, job: Job | None) -> None:
        self.set_class(job is not None, "-running")
        if job is None:
            return
        table, overall = job_labels(job)
        room = (self.size.width or self.app.size.width) - 2 - 16  # the bars keep 16 columns
        width = min(max(cell_len(table), cell_len(overall)) + 1, max(room, 12))
        for label_id, text in (("#index-table-label", table), ("#index-all-label", overall)):
            label = self.query_one(label_id, Static)
            label.update(Text(text))
            label.styles.width = width
        total = job.total or max(job.done, 1)
        self.query_one("#index-table-bar", ProgressBar).update(
            total=total, progress=min(job.done, total))
        done, all_ = job.overall()
        self.query_one("#index-all-bar", ProgressBar).update(total=all_, progress=done)
