"""Recovery: what opening the database did, live while it happens and readable afterwards.

Top: the state in words, the forced-recovery banner (a read-only open says what it could
not apply and what to do next), the redo scan bar (checkpoint -> scanned LSN against the
end the log can reach) and the apply bar of the current batch.  Below, side by side on a
wide terminal and stacked on a small one: the InnoDB-style log with its repeats folded and
its warnings kept in view, and the transactions cleaned up, the recovery history (Enter:
every column of a row), the LSNs and the tablespaces (a dropped table's file, kept until
GC, is marked "dropped (job 12), GC in 8 min", not listed as a live table).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import Resize
from textual.widgets import DataTable, Static

from core.events import (
    DDLJobChanged,
    DDLReorgProgress,
    Event,
    GCRangeCollected,
    GCRoundFinished,
    RecoveryFinished,
    RecoveryStarted,
    TableRecovered,
    TransactionDiscarded,
    TransactionsToRollBack,
)
from tui import actions
from tui import text as fmt
from tui.backend.base import DatabaseInfo, RecoveryHistory, TablespaceInfo
from tui.events import OpenState
from tui.panes.base import RefreshingPane, fill_table
from tui.panes.recovery_history import RecoveryDetailScreen, listed_rows
from tui.widgets.recovery_banner import ForcedBanner
from tui.widgets.recovery_bars import RecoveryBars
from tui.widgets.recovery_batches import BatchList
from tui.widgets.recovery_log import WARNINGS_SHOWN, RecoveryLog, event_lines

JOB_EVENTS = (DDLJobChanged, DDLReorgProgress)  # the DDL Jobs tab's, not this tab's
# GC's and RECOVER's: not lines of the recovery log, but the tablespaces change
GC_EVENTS = (GCRangeCollected, GCRoundFinished, TableRecovered)

actions.scope("recovery", "Recovery tab")
ACTIONS = actions.register(
    actions.Action("recovery", "refresh", "r,f5", "Refresh",
                   "Recovery: read the LSNs, tablespaces and history again"),
    actions.Action("recovery", "history_detail", "enter", "Details",
                   "Recovery: show every column of the highlighted recovery history row"),
    actions.Action("recovery", "focus_history", "h", "History",
                   "Recovery: go to the recovery history list"),
    actions.Action("recovery", "toggle_log", "a", "All lines",
                   "Recovery: show every log line, or fold the repeats again"),
    actions.Action("recovery", "toggle_lists", "l", "Log/lists",
                   "Recovery: on a small terminal, switch between the log and the lists "
                   "(transactions cleaned up, history, tablespaces)"),
)

NARROW = 110  # below this width the log and the lists are stacked


@dataclass
class Loaded:
    """What one refresh reads."""

    info: DatabaseInfo | None
    history: RecoveryHistory


@dataclass(frozen=True)
class CleanedUp:
    """A transaction open at the crash, as the Recovery tab lists it."""

    trx_id: int
    rows: int
    tables: tuple[str, ...]
    kept: bool

    def cells(self) -> list[str]:
        what = "spill kept (force 3+)" if self.kept else "discarded"
        return [str(self.trx_id), f"{self.rows:,}", what, ", ".join(self.tables) or "-"]


class RecoveryPane(RefreshingPane[Loaded]):
    TITLE = "Recovery"
    ID = "recovery"
    ORDER = 10
    SCOPE = "recovery"
    BINDINGS = actions.bindings("recovery")
    LOAD_ERROR_TITLE = "Recovery tab"

    DEFAULT_CSS = """
    RecoveryPane #recovery-state { height: auto; padding: 0 1; }
    RecoveryPane #recovery-body { height: 1fr; }
    RecoveryPane RecoveryLog { width: 1fr; height: 1fr; }
    RecoveryPane #recovery-side { width: 1fr; height: 1fr; padding: 0 0 0 1; }
    /* a small terminal shows the log or the lists, not both squeezed ("l" switches) */
    RecoveryPane.-narrow RecoveryLog { width: 1fr; }
    RecoveryPane.-narrow #recovery-side { display: none; width: 1fr; padding: 0; }
    RecoveryPane.-narrow.-lists RecoveryLog { display: none; }
    RecoveryPane.-narrow.-lists #recovery-side { display: block; }
    RecoveryPane .section { height: 1; text-style: bold; color: $text-primary; padding: 0 1;
        margin: 1 0 0 0; }
    RecoveryPane .section.first { margin: 0; }
    RecoveryPane .note { height: auto; color: $text-muted; padding: 0 1; }
    /* no horizontal scrollbars: the last column (tables, rolled back, applied LSN) may be
       cut; the history's Enter shows a row whole */
    RecoveryPane #recovery-trx, RecoveryPane #tablespaces, RecoveryPane #recovery-history {
        height: 1; overflow-x: hidden; }
    RecoveryPane #recovery-lsns { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.cleaned: list[CleanedUp] = []
        self.to_roll_back: TransactionsToRollBack | None = None
        self.info: DatabaseInfo | None = None
        self.history = RecoveryHistory([], [])
        self.finished: RecoveryFinished | None = None

    # -- what the app keeps ------------------------------------------------------------------

    @property
    def opening(self) -> OpenState:
        """What the open did: the app keeps it (its title line says it too)."""
        return self.app.open_state  # type: ignore[attr-defined]

    @property
    def recovered(self) -> bool | None:
        """None until the open says."""
        return self.opening.recovered

    @property
    def forced_level(self) -> int:
        banner = self.query_one(ForcedBanner)
        info_level = self.info.force_recovery if self.info is not None else 0
        return max(banner.summary.level, info_level, self.opening.forced)

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ForcedBanner(id="recovery-banner")
        yield Static("Opening the database ...", id="recovery-state")
        yield RecoveryBars(id="recovery-bars")
        with Horizontal(id="recovery-body"):
            yield RecoveryLog(id="recovery-logbox")
            with VerticalScroll(id="recovery-side"):
                yield Static("Redo apply batches", classes="section first")
                yield BatchList(id="recovery-batch-list")
                yield Static("Transactions cleaned up", classes="section")
                yield Static("None yet.", id="recovery-trx-note", classes="note")
                yield DataTable(id="recovery-trx", cursor_type="none", show_cursor=False,
                                zebra_stripes=True)
                yield Static("Recovery history (Enter: every column)", classes="section")
                yield Static("Reading ...", id="recovery-history-note", classes="note")
                yield DataTable(id="recovery-history", cursor_type="row", zebra_stripes=True)
                yield Static("Log sequence numbers and tablespaces", classes="section")
                yield Static("", id="recovery-lsns")
                yield DataTable(id="tablespaces", cursor_type="none", zebra_stripes=True,
                                show_cursor=False)

    def on_mount(self) -> None:
        self.query_one("#recovery-trx", DataTable).can_focus = False
        # the tablespaces: Tab reaches them, the arrows and PgUp/PgDn scroll every one
        self.query_one("#recovery-trx", DataTable).display = False
        self.query_one("#recovery-history", DataTable).display = False

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        if narrow != self.narrow:
            self.set_class(narrow, "-narrow")
            self.refresh_bindings()
            focused = self.app.focused
            side = self.query_one("#recovery-side")
            if narrow and not self.has_class("-lists") and focused is not None and (
                    focused is side or side in focused.ancestors):
                self.query_one("#recovery-log").focus()  # the lists are hidden now: the
                # keys (l, a, h) stay live on the log, not on a table no one can see
        self.log.set_hint("l: lists · a: every line" if self.narrow else "a: every line")
        self._fit_warnings()
        self._fit_spaces()

    def _fit_spaces(self) -> None:
        """Every tablespace within reach: as many rows as the side has room for (at least
        8 lines), the rest scrolled inside the list (focusable: Tab, then arrows)."""
        side = self.query_one("#recovery-side")
        room = side.size.height or self.size.height - 4
        _fit(self.query_one("#tablespaces", DataTable), max(SPACES_SHOWN, room - 2))

    def _fit_warnings(self) -> None:
        """A small terminal under the forced banner: the warnings strip shows the latest
        one only (the banner says what was skipped), so that the log keeps some lines."""
        banner = self.query_one(ForcedBanner)
        small = self.size.height < 30 and banner.has_class("-shown")
        self.log.set_warnings_shown(1 if small else WARNINGS_SHOWN)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Log/lists is offered only where they do not fit side by side."""
        if action == "toggle_lists" and not self.narrow:
            return False
        return True

    def focus_default(self) -> None:
        history = self.query_one("#recovery-history", DataTable)
        if history.display and (not self.narrow or self.has_class("-lists")):
            history.focus(scroll_visible=False)  # the lists read from the top
        else:
            self.query_one("#recovery-log").focus()

    @property
    def log(self) -> RecoveryLog:
        return self.query_one(RecoveryLog)

    # -- events --------------------------------------------------------------------------------

    def engine_events(self, events: list[Event]) -> None:
        if self.ready and any(isinstance(e, (GCRangeCollected, TableRecovered))
                              for e in events):
            self.load()  # a file deleted or a table back: the tablespaces change
        events = [e for e in events if not isinstance(e, JOB_EVENTS + GC_EVENTS)]
        if not events:  # a DDL job's progress: ten batches a second while an index builds
            return
        backend = self.backend
        root = os.path.abspath(backend.path)
        log = self.log
        banner = self.query_one(ForcedBanner)
        for e in events:
            self.events.append(e)
            banner.summary.note(e)
            lines = event_lines(e, seconds=fmt.seconds, path=backend.shown_path, root=root,
                                shown_root=backend.path)
            log.model.add_event(e, lines)
            match e:
                case RecoveryStarted():
                    self._state("[b $warning]Crash recovery running[/]: the database was not "
                                "shut down cleanly; replaying the redo log ...")
                case TransactionsToRollBack():
                    self.to_roll_back = e
                case TransactionDiscarded():
                    self.cleaned.append(CleanedUp(e.trx_id, e.row_operations, tuple(e.tables),
                                                  e.kept))
                case RecoveryFinished():
                    self.finished = e
        self.query_one(RecoveryBars).note(events)
        self.query_one(BatchList).note(events, fill_table)
        log.refresh_lines()
        banner.show_summary(backend.path)
        self._fit_warnings()
        self._show_cleaned()

    def database_ready(self) -> None:
        batches = self.query_one(BatchList)
        if not self.backend.IMPLEMENTS_RECOVERY:  # a server recovers on its own side
            self.query_one(RecoveryBars).settled("Redo scan: not reported")
            batches.settled("Not reported by this database.")
        elif not self.opening.recovered:
            self.query_one(RecoveryBars).settled("Redo scan: nothing to do")
            batches.settled("None: there was no crash.")
            if not self.events:
                self.log.model.add("Note", "Database opened; no recovery needed")
                self.log.refresh_lines()
        elif self.forced_level >= 6:
            batches.settled("None: --force-recovery 6 applies no redo.")
        else:
            batches.settled("None: the redo log held nothing to apply.")
        self._show_state()
        self._show_cleaned()
        self.load()

    def _state(self, markup: str) -> None:
        self.query_one("#recovery-state", Static).update(markup)

    def _show_state(self) -> None:
        """The state line, in words: Opening / Crash recovery running / Recovered / Clean /
        READ-ONLY forced."""
        opening = self.opening
        level = self.forced_level
        did = (f"{fmt.count(opening.applied, 'row operation')} re-applied from the redo log, "
               f"{fmt.count(opening.discarded, 'open transaction')} cleaned up")
        if not self.backend.IMPLEMENTS_RECOVERY:
            self._state("[b $success]Connected[/]: this database does not report its "
                        "recovery to the console.")
        elif level:
            what = did if opening.recovered else "no crash to recover from"
            self._state(f"[b reverse $error] READ-ONLY [/] [b $error]forced[/] "
                        f"(--force-recovery {level}): {what}.")
        elif opening.recovered:
            self._state(f"[b $success]Recovered[/]: the last shutdown was [b]not clean[/]; "
                        f"{did}. The database is open.")
        else:
            self._state("[b $success]Clean[/]: the last shutdown was clean, no recovery was "
                        "needed. The database is open.")

    def _show_cleaned(self) -> None:
        table = self.query_one("#recovery-trx", DataTable)
        note = self.query_one("#recovery-trx-note", Static)
        if self.cleaned:
            fill_table(table, ["trx id", "rows", "result", "tables"],
                       [c.cells() for c in self.cleaned])
            _fit(table, 8)
            total = self.to_roll_back
            expected = f" of {total.transactions}" if total is not None \
                and total.transactions != len(self.cleaned) else ""
            note.update(f"{fmt.count(len(self.cleaned), 'transaction')}{expected} open at the "
                        "crash. Nothing of theirs had reached a tablespace: their row images "
                        "and spill files are dropped, not undone.")
        elif self.ready or self.finished is not None:
            if self.query_one(ForcedBanner).summary.redo_skipped:
                note.update("None in the part of the log that was applied (the skipped "
                            "part may hold some).")
            else:
                note.update("None: no transaction was open at the crash." if self.recovered
                            else "None: there was no crash.")

    # -- the history, the LSNs and the tablespaces -------------------------------------------

    def fetch(self) -> Loaded:
        return Loaded(self.backend.database_info(), self.backend.recovery_history())

    def show(self, data: Loaded) -> None:
        self.info = info = data.info
        if info is not None:
            banner = self.query_one(ForcedBanner)
            if info.force_recovery:
                banner.summary.level = max(banner.summary.level, info.force_recovery)
            if info.recovery is not None and (info.force_recovery
                                              or info.recovery.force_recovery):
                banner.summary.take_record(info.recovery)
            banner.show_summary(self.backend.path)
            self._fit_warnings()
            mode = "read-only" if info.read_only else "read-write"
            self.query_one("#recovery-lsns", Static).update(
                f"[b]LSN[/] end {fmt.lsn(info.end_lsn)} · durable {info.durable_lsn:,} · "
                f"checkpoint {fmt.lsn(info.checkpoint_lsn)}\n"
                f"[b]Redo[/] segment(s) {', '.join(map(str, info.segments))} · "
                f"{fmt.count(info.overlay_entries, 'change', 'changes')} not yet in the "
                f"tablespaces · {mode}")
            spaces = self.query_one("#tablespaces", DataTable)
            fill_table(spaces, ["space", "file (tablespace)", "applied LSN"],
                       [[str(ts.space_id), space_cell(ts), f"{ts.applied_lsn:,}"]
                        for ts in info.tablespaces])
            self._fit_spaces()
        self._show_history(data.history)
        self._show_state()

    def _show_history(self, history: RecoveryHistory) -> None:
        self.history = history
        table = self.query_one("#recovery-history", DataTable)
        note = self.query_one("#recovery-history-note", Static)
        had_focus = table.has_focus
        if history.rows:
            headers, rows = listed_rows(history.names, history.rows)
            fill_table(table, headers, rows, max_width=40)
            _fit(table, 10)
            note.display = False
            focused = self.app.focused
            if not had_focus and self.is_on_screen and not self.narrow and (
                    focused is None or focused is self.query_one("#recovery-log")):
                table.focus(scroll_visible=False)  # Enter opens a row at once; the lists stay
                # at their top (the batches), the history below them in view
        else:
            table.display = False
            note.display = True
            note.update(f"No past recovery: {history.note}." if history.note
                        else "No recovery recorded yet.")

    # -- actions -------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#recovery-history")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open_detail(event.cursor_row)

    def action_history_detail(self) -> None:
        table = self.query_one("#recovery-history", DataTable)
        if not self.history.rows:
            self.notify("No recovery history to show yet.", severity="warning", timeout=3)
            return
        self._open_detail(table.cursor_row)

    def _open_detail(self, index: int) -> None:
        if 0 <= index < len(self.history.rows):
            self.app.push_screen(RecoveryDetailScreen(self.history.names,
                                                      self.history.rows[index]))

    def action_focus_history(self) -> None:
        table = self.query_one("#recovery-history", DataTable)
        if table.display:
            self.add_class("-lists")
            table.focus()
        else:
            self.notify("No recovery history to show yet.", severity="warning", timeout=3)

    def action_toggle_lists(self) -> None:
        self.toggle_class("-lists")
        if self.narrow:
            self.focus_default()

    def action_toggle_log(self) -> None:
        self.log.toggle_every_line()


def space_file(name: str, path: str, most: int = 32) -> str:
    """A tablespace as its file: "shop/customers.kdb" names its table already, so the name
    is added only where the file does not say it ("system.kdb (dictionary)", a file found
    elsewhere by --scan-directories).  A long path keeps its end, where the name is."""
    shown = path if len(path) <= most else "…" + path[-(most - 1):]
    if path.endswith(name.replace(".", "/") + ".kdb"):
        return shown
    if name.startswith("system"):
        return f"{shown} (dictionary)"
    return f"{shown} ({name})"


def dropped_words(ts: TablespaceInfo, now: float | None = None) -> str:
    """'dropped (job 12), GC in 8 min' for a dropped table's file kept until GC ("" for a
    live table's)."""
    if not ts.dropped:
        return ""
    verb = "truncated" if ts.drop_job_type == "truncate table" else "dropped"
    job = f" (job {ts.drop_job_id})" if ts.drop_job_id is not None else ""
    if ts.drop_job_type not in ("", "drop table", "truncate table", "drop schema"):
        verb = "replaced"  # a rebuild's old copy: GC takes it, nothing brings it back
        job = f" (job {ts.drop_job_id}, {ts.drop_job_type})"
    if ts.gc_after is None:
        return f"{verb}{job}"
    left = ts.gc_after - (time.time() if now is None else now)
    if left <= 0:
        return f"{verb}{job}, GC due"
    if left < 60:
        return f"{verb}{job}, GC in {int(left)} s"
    if left < 5400:
        return f"{verb}{job}, GC in {math.ceil(left / 60)} min"
    hours, minutes = divmod(int(left) // 60, 60)
    return f"{verb}{job}, GC in {hours} h {minutes:02d} min"


def space_cell(ts: TablespaceInfo, now: float | None = None) -> str:
    """The tablespaces list's file cell, with a dropped table's mark."""
    mark = dropped_words(ts, now)
    return f"{space_file(ts.name, ts.path)}: {mark}" if mark else space_file(ts.name, ts.path)


SPACES_SHOWN = 8  # lines of the tablespace list at least (heading included)


def _fit(table: DataTable, most: int) -> None:
    """Show a small table at the height of its rows (and heading), at most `most` lines.
    An explicit height: a table shown after being hidden measured its rows on idle, and a
    picture taken before that showed it with no height at all."""
    table.styles.height = min(table.row_count + 1, most)
    table.display = True
