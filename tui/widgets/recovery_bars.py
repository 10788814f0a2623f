"""The Recovery tab's two bars: the redo scan (checkpoint -> scanned LSN, against the end the
log can reach) and the apply of the current batch, with the overall records applied.

`Progress` follows the events (cumulative figures: a dropped event changes nothing) and
says in words what each bar stands for; `RecoveryBars` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

import core.events as ev
from core.events.wording import format_lsn


@dataclass
class Progress:
    """Where the scan and the apply stand."""

    checkpoint_lsn: int = 0
    scanned_lsn: int = 0
    end_estimate: int = 0
    scan_records: int = 0
    scan_done: bool = False
    batch: int = 0
    batches: int | None = None  # known once recovery has finished
    batch_records: int = 0
    batch_start: int = 0
    batch_end: int = 0
    batch_percent: int = 0
    applied: int = 0
    total: int = 0
    finished: bool = False

    def note(self, e: ev.Event) -> None:
        match e:
            case ev.RecoveryStarted(checkpoint_lsn=lsn) | ev.CheckpointFound(checkpoint_lsn=lsn):
                self.checkpoint_lsn = self.scanned_lsn = lsn
            case ev.RedoScanProgress():
                if e.start_lsn:
                    self.checkpoint_lsn = e.start_lsn
                self.scanned_lsn = max(self.scanned_lsn, e.scanned_lsn)
                self.end_estimate = max(self.end_estimate, e.end_estimate)
                self.scan_records = e.records
            case ev.RedoScanDone():
                self.checkpoint_lsn = e.start_lsn or self.checkpoint_lsn
                self.scanned_lsn = self.end_estimate = e.end_lsn
                self.scan_records = e.records
                self.scan_done = True
            case ev.RedoApplyBatch():
                self.batch, self.batch_records = e.batch, e.records
                self.batch_start, self.batch_end = e.start_lsn, e.end_lsn
                self.batch_percent = 0
            case ev.RedoApplyProgress():
                self.batch = max(self.batch, e.batch)
                self.batch_percent = e.percent
                self.applied, self.total = e.applied, e.total
            case ev.RedoApplyBatchDone():
                self.batch_percent = 100
                self.applied, self.total = e.applied, e.total
            case ev.RecoveryFinished():
                self.finished = True
                self.batches = e.batches or self.batch or None
                self.applied = e.applied_records
                self.total = max(self.total, e.applied_records)
                if self.batch:
                    self.batch_percent = 100

    # -- in words ------------------------------------------------------------------------------

    @property
    def scan_total(self) -> int:
        return max(self.end_estimate - self.checkpoint_lsn, 0)

    @property
    def scan_progress(self) -> int:
        return max(self.scanned_lsn - self.checkpoint_lsn, 0)

    def scan_label(self) -> str:
        if not self.scanned_lsn:
            return "Redo scan: not started"
        end = f" of {format_lsn(self.end_estimate)}" if self.end_estimate else ""
        word = "Scanned" if self.scan_done else "Scanning"
        return (f"{word} {format_lsn(self.checkpoint_lsn)} → "
                f"{format_lsn(self.scanned_lsn)}{end}")

    def apply_label(self) -> str:
        if not self.batch:
            return "Redo apply: nothing to apply" if self.finished else "Redo apply: waiting"
        of = str(self.batches) if self.batches else "?"
        lsns = (f": lsn {format_lsn(self.batch_start)}..{format_lsn(self.batch_end)}"
                if self.batch_end else "")
        return f"Batch {self.batch} of {of}{lsns}, {self.batch_percent}%"

    def overall_label(self) -> str:
        if not self.total:
            return ""
        return f"overall {self.applied:,}/{self.total:,}"


class RecoveryBars(Vertical):
    DEFAULT_CSS = """
    RecoveryBars { height: auto; padding: 0 1; }
    RecoveryBars Horizontal { height: 1; }
    RecoveryBars .bar-label { width: auto; }
    RecoveryBars .bar-overall { width: auto; padding: 0 0 0 1; color: $text-muted; }
    RecoveryBars ProgressBar { width: 1fr; min-width: 8; }
    RecoveryBars ProgressBar Bar { width: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.progress = Progress()
        self._shown: tuple | None = None  # what `show` drew last
        self._settled = False  # `settled` drew the end: later events (checkpoints) keep it

    def compose(self) -> ComposeResult:
        with Horizontal(id="scan-row"):
            yield Static("Redo scan", id="scan-label", classes="bar-label")
            yield ProgressBar(total=100, show_eta=False, id="scan-bar")
        with Horizontal(id="apply-row"):
            yield Static("Redo apply", id="apply-label", classes="bar-label")
            # no percentage of its own: the label says it, with the batch and its LSNs
            yield ProgressBar(total=100, show_eta=False, show_percentage=False,
                              id="apply-bar")
            yield Static("", id="apply-overall", classes="bar-overall")

    def note(self, events: list[ev.Event]) -> None:
        for e in events:
            self.progress.note(e)
        if not self._settled:  # a checkpoint after a clean open is not "not started"
            self.show()

    def show(self) -> None:
        """Only what changed is updated: each update lays the screen out again, and during
        a recovery that work competes with the recovery for the CPU."""
        p = self.progress
        if p.scan_total:
            scan = (p.scan_total, p.scan_progress)
        elif p.scan_done or p.finished:
            scan = (100, 100)
        else:
            scan = None
        shown = (scan, p.batch_percent, (p.scan_label(), p.apply_label()), p.overall_label())
        last = self._shown or (None, None, None, None)
        self._shown = shown
        if scan is not None and scan != last[0]:  # a bar's update costs milliseconds
            self.query_one("#scan-bar", ProgressBar).update(total=scan[0], progress=scan[1])
        if p.batch_percent != last[1]:
            self.query_one("#apply-bar", ProgressBar).update(total=100,
                                                             progress=p.batch_percent)
        if shown[2] != last[2]:
            self._labels(*shown[2])
        if shown[3] != last[3]:
            self.query_one("#apply-overall", Static).update(shown[3])

    def _labels(self, scan: str, apply: str) -> None:
        """Both labels as wide as the wider one: the two bars start in the same column."""
        width = max(cell_len(scan), cell_len(apply)) + 1
        for label_id, text in (("#scan-label", scan), ("#apply-label", apply)):
            label = self.query_one(label_id, Static)
            label.update(text)
            label.styles.width = width

    def settled(self, label: str) -> None:
        """The open is over and nothing was (or could be) reported: full bars, one word."""
        self._shown = None
        self._settled = True
        for bar in self.query(ProgressBar):
            bar.update(total=100, progress=100)
        self._labels(label, "Redo apply: nothing to do")
