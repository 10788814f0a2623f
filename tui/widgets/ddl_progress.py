"""The DDL Jobs tab's bars: one line per unfinished job that has rows to go through (the
backfill of an index, the copy of a rebuild, the delete of a rolled-back index's entries),
its words to the left (job, what, rows done of the estimate, rate, ETA) and a bar to the
right.  Moved in place by the engine's `DDLReorgProgress` events; hidden when no job has
rows to go through."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from core.events import JobState
from tui import text as fmt
from tui.backend.base import DDLJobInfo
from tui.widgets.ddl_words import index_name

MAX_BARS = 3


def bar_label(job: DDLJobInfo, rate: float, wide: bool) -> str:
    """'#12 idx_total on orders: backfill 12,345/~50,000, 1,234 rows/s, ETA 31 s'."""
    name = index_name(job)
    what = f"{name} on {job.table_name}" if name else f"{job.job_type} {job.table_name}"
    if wide:
        what = f"{job.job_type} {name + ' on ' if name else ''}{job.db_name}.{job.table_name}"
    of = f"/~{job.rows_total:,}" if job.rows_total else ""
    text = f"#{job.job_id} {what}: "
    if job.state in (JobState.PAUSED, JobState.PAUSING):
        return text + f"{job.state} at {job.rows_done:,}{of}"
    if job.state == JobState.QUEUEING and not job.rows_done:
        return text + "queued"
    if wide:
        text += f"{job.phase or job.schema_state} "
    text += f"{job.rows_done:,}{of}"
    if wide and rate:
        text += f", {rate:,.0f} rows/s"
    if job.eta_seconds is not None and job.state == JobState.RUNNING:
        text += f", ETA {fmt.seconds(job.eta_seconds)}"
    return text


class DDLProgress(Vertical):
    """Up to three bars, the oldest unfinished jobs first (the order the worker runs them)."""

    DEFAULT_CSS = """
    DDLProgress { height: auto; padding: 0 1; display: none; }
    DDLProgress.-running { display: block; }
    DDLProgress Horizontal { height: 1; }
    DDLProgress .bar-label { width: auto; }
    DDLProgress ProgressBar { width: 1fr; min-width: 12; }
    DDLProgress ProgressBar Bar { width: 1fr; }
    DDLProgress .-paused Bar > .bar--bar { color: $warning; }
    """

    def compose(self) -> ComposeResult:
        for i in range(MAX_BARS):
            with Horizontal(id=f"ddl-bar-{i}"):
                yield Static("", classes="bar-label")
                yield ProgressBar(total=100, show_eta=False)

    def show(self, jobs: list[DDLJobInfo], rates: dict[int, float]) -> list[int]:
        """Show `jobs` (the unfinished ones, oldest first); returns the ids shown."""
        with_rows = [j for j in jobs if j.rows_total or j.rows_done
                     or j.state == JobState.RUNNING][:MAX_BARS]
        self.set_class(bool(with_rows), "-running")
        width = self.size.width or self.app.size.width
        wide = width >= 110
        labels = [bar_label(j, rates.get(j.job_id, 0.0), wide) for j in with_rows]
        room = width - 2 - 14  # the bar keeps 14 columns (with its percentage)
        label_width = min(max([cell_len(t) for t in labels], default=0) + 1, max(room, 12))
        for i in range(MAX_BARS):
            line = self.query_one(f"#ddl-bar-{i}", Horizontal)
            if i >= len(with_rows):
                line.display = False
                continue
            job = with_rows[i]
            line.display = True
            line.set_class(job.state in (JobState.PAUSED, JobState.PAUSING), "-paused")
            label = line.query_one(".bar-label", Static)
            label.update(Text(labels[i], overflow="ellipsis", no_wrap=True))
            label.styles.width = label_width
            total = job.rows_total or max(job.rows_done, 1)
            line.query_one(ProgressBar).update(total=total, progress=min(job.rows_done, total))
        return [j.job_id for j in with_rows]
