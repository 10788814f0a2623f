"""Recovery: what happened when the database was opened, and where its LSNs stand.

For now it shows the recovery of this open, live (InnoDB-style lines, the redo-apply
percentage), the log sequence numbers and the tablespaces.  The recovery issue adds the
per-tablespace replay view and force-recovery levels.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, ProgressBar, Static

from core.events import Event, RecoveryStarted, RedoApplyProgress
from core.events.wording import format_event
from tui import actions
from tui import text as fmt
from tui.backend.base import DatabaseInfo
from tui.events import OpenState
from tui.panes.base import RefreshingPane, coming, fill_table

actions.scope("recovery", "Recovery tab")
ACTIONS = actions.register(
    actions.Action("recovery", "refresh", "r,f5", "Refresh",
                   "Recovery: read the LSNs and tablespaces again"),
)


class RecoveryPane(RefreshingPane[DatabaseInfo | None]):
    TITLE = "Recovery"
    ID = "recovery"
    ORDER = 10
    SCOPE = "recovery"
    BINDINGS = actions.bindings("recovery")

    DEFAULT_CSS = """
    /* fixed heights: the log keeps its size while the open fills the rest in, so it stays
       scrolled to its last line */
    RecoveryPane #recovery-state { height: 2; padding: 0 1; }
    RecoveryPane #recovery-progress-row { height: 1; padding: 0 1; }
    RecoveryPane #recovery-progress-label { width: auto; padding: 0 1 0 0; }
    RecoveryPane ProgressBar { width: 1fr; }
    RecoveryPane ProgressBar Bar { width: 1fr; }
    RecoveryPane #recovery-log { height: 1fr; min-height: 4; border: round $secondary 40%;
        border-title-color: $text-secondary; padding: 0 1; }
    RecoveryPane #recovery-lines { min-height: 100%; }  /* short logs start at the top */
    RecoveryPane #recovery-lsns { height: 2; padding: 0 1; }
    RecoveryPane #tablespaces { height: 7; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.lines: list[str] = []

    @property
    def opening(self) -> OpenState:
        """What the open did: the app keeps it (its title line says it too)."""
        return self.app.open_state  # type: ignore[attr-defined]

    @property
    def recovered(self) -> bool | None:
        """None until the open says."""
        return self.opening.recovered

    def compose(self) -> ComposeResult:
        yield Static("Opening the database ...", id="recovery-state")
        with Horizontal(id="recovery-progress-row"):
            yield Static("Redo apply", id="recovery-progress-label")
            yield ProgressBar(total=100, show_eta=False, id="recovery-progress")
        # a Static in a scroll, not a RichLog: a RichLog wraps each line at the width it has
        # when the line arrives, and recovery lines arrive before the layout
        log = VerticalScroll(Static("", id="recovery-lines"), id="recovery-log")
        log.border_title = "Open log (InnoDB-style)"
        yield log
        yield Static("", id="recovery-lsns")
        yield DataTable(id="tablespaces", cursor_type="none", zebra_stripes=True,
                        show_cursor=False)
        yield coming("per-tablespace redo replay with LSN ranges, the force-recovery levels "
                     "(1-6, read-only) and recovery of a copy of the database, from this tab.")

    # -- events --------------------------------------------------------------------------------

    def engine_events(self, events: list[Event]) -> None:
        lines = []
        bar = self.query_one(ProgressBar)
        for e in events:
            self.events.append(e)
            match e:
                case RecoveryStarted():
                    self._state("[b $warning]Crash recovery running[/]: the database was not "
                                "shut down cleanly; replaying the redo log ...")
                case RedoApplyProgress(percent=percent):
                    bar.update(progress=percent)
            line = format_event(e, seconds=fmt.seconds, path=self.backend.shown_path)
            if line:
                lines.append(f"[Note] {line}")
        if lines:
            self._write(lines)

    def on_mount(self) -> None:
        # anchored: the layout itself keeps the last line in view, whenever lines arrive
        self.query_one("#recovery-log", VerticalScroll).anchor()

    def _write(self, lines: list[str]) -> None:
        self.lines += lines
        self.query_one("#recovery-lines", Static).update(Text("\n".join(self.lines)))

    def _state(self, markup: str) -> None:
        self.query_one("#recovery-state", Static).update(markup)

    def database_ready(self) -> None:
        bar = self.query_one(ProgressBar)
        label = self.query_one("#recovery-progress-label", Static)
        opening = self.opening
        if not self.backend.IMPLEMENTS_RECOVERY:  # a server recovers on its own side
            self._state("[b $success]Connected[/]: this database does not report its "
                        "recovery to the console.")
            bar.update(progress=100)
            label.update("Redo apply: not reported")
        elif opening.recovered:
            self._state(
                "[b $success]Recovered[/]: the last shutdown was [b]not clean[/]; "
                f"{fmt.count(opening.applied, 'row operation')} re-applied from the redo log, "
                f"{fmt.count(opening.discarded, 'open transaction')} rolled back. "
                "The database is open.")
            bar.update(progress=100)
            label.update("Redo applied")
        else:
            self._state("[b $success]Clean[/]: the last shutdown was clean, no recovery was "
                        "needed. The database is open.")
            bar.update(progress=100)
            label.update("Redo apply: nothing to do")
            if not self.events:
                self._write(["[Note] Database opened; no recovery needed"])
        self.load()

    # -- the LSNs and tablespaces ------------------------------------------------------------

    def fetch(self) -> DatabaseInfo | None:
        return self.backend.database_info()

    def show(self, info: DatabaseInfo | None) -> None:
        if info is None:
            return
        mode = "read-only" if info.read_only else "read-write"
        self.query_one("#recovery-lsns", Static).update(
            f"[b]LSN[/] end {fmt.lsn(info.end_lsn)} · durable {info.durable_lsn:,} · "
            f"checkpoint {fmt.lsn(info.checkpoint_lsn)}\n"
            f"[b]Redo[/] segment(s) {', '.join(map(str, info.segments))} · "
            f"{fmt.count(info.overlay_entries, 'change', 'changes')} not yet in the tablespaces "
            f"· {mode}")
        fill_table(self.query_one("#tablespaces", DataTable),
                   ["space", "tablespace", "file", "applied LSN"],
                   [[str(ts.space_id), ts.name, ts.path, f"{ts.applied_lsn:,}"]
                    for ts in info.tablespaces])

