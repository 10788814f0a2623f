"""Indexes: every table and index with its last check, checks in the background, and a
one-key repair that proves itself with a re-check.

The list shows each index's last check (the database keeps it:
information_schema.KINTSUGI_INDEX_CHECKS, so it survives restarts) with its result in words
and colour and its counts.  `c` checks the highlighted table and `a` every table, one
`ADMIN SHOW INDEX INCONSISTENCIES` per table on the backend's own index connection, in a
thread worker: the SQL tab and the other panes never wait for it, and the engine's typed
events (`core.events.IndexAdmin*`) drive the bars.  `x` cancels (the engine stops at its
next batch and leaves nothing half-done).  The box below shows the highlighted index's whole
picture with sample rows; `f` repairs it with the statement that fits what was found
(`tui.widgets.index_plan`), behind a confirmation that says what will change, then shows the
statement's counts and the automatic re-check.
"""

from __future__ import annotations

import datetime as dt
import shlex
import threading
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static

from core.events import Event, IndexAdminFinished, IndexReport
from tui import actions
from tui import text as fmt
from tui.backend.base import BackendError, IndexEntry, IndexOverview, TableData, TableIndexes
from tui.events import EventPump
from tui.panes.base import RefreshingPane
from tui.panes.index_confirm import RepairConfirmScreen
from tui.widgets.index_board import Finding, IndexBoard, Job, reports_of_rows
from tui.widgets.index_detail import (
    IndexDetail,
    damaged_row_advice,
    result_style,
    result_words,
    when_text,
)
from tui.widgets.index_plan import RepairPlan, check_sql, counts_text, plan_repair, plan_unknown
from tui.widgets.index_progress import IndexProgress

actions.scope("indexes", "Indexes tab")
ACTIONS = actions.register(
    actions.Action("indexes", "check_table", "c", "Check table",
                   "Indexes: check every index of the highlighted table (missing, dangling "
                   "and mismatched entries, with sample rows)"),
    actions.Action("indexes", "check_all", "a", "Check all",
                   "Indexes: check every table, one after the other, in the background"),
    actions.Action("indexes", "repair", "f", "Repair",
                   "Indexes: repair the highlighted index (RECOVER, CLEANUP or REPAIR INDEX, "
                   "as the last check calls for), after a confirmation, then re-check it"),
    actions.Action("indexes", "cancel", "x,escape", "Cancel",
                   "Indexes: cancel the running check or repair (a repair keeps the batches "
                   "it committed)"),
    actions.Action("indexes", "refresh", "r,f5", "Refresh",
                   "Indexes: read the tables, indexes and last checks again", show=False),
)

HINTS = {  # advice shown under an index statement's error, by code
    1235: "This engine cannot run the index ADMIN statements yet.",
    1881: "The database is open read-only (--force-recovery): reopen it without the flag "
          "to repair.",
    1146: "The table is gone: r reads the list again.",
    1176: "The index is gone: r reads the list again.",
    1812: "The table's tablespace file is missing: see the Recovery tab.",
    1877: "A row of the table is damaged: an index repair cannot help (it reads the rows "
          "too). CHECK TABLE names the row; `kintsugi dump DIR --force-recovery 1` saves the "
          "good rows (README, \"Crash recovery\").",
}


def colours_of(app) -> dict[str, str]:
    """The theme's state colours as Rich colours (the 16-colour theme's "ansi_green" is
    Rich's "green")."""
    theme = app.current_theme

    def rich(c: str | None, default: str) -> str:
        return (c or default).removeprefix("ansi_")

    return {"success": rich(theme.success, "green"), "error": rich(theme.error, "red"),
            "warning": rich(theme.warning, "yellow"), "muted": "dim"}


class IndexEvents(Message):
    """A batch of the running index statement's events."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events


@dataclass(frozen=True)
class Ran:
    """One index statement's end, as the worker saw it."""

    data: TableData | None
    finished: IndexAdminFinished | None
    error: BackendError | None


class IndexesPane(RefreshingPane[IndexOverview]):
    TITLE = "Indexes"
    ID = "indexes"
    ORDER = 30
    SCOPE = "indexes"
    BINDINGS = [  # Tab stays in the pane: on the tab bar, c/a/f would do nothing
        *actions.bindings("indexes"),
        Binding("tab", "focus_step(1)", "Next", show=False),
        Binding("shift+tab", "focus_step(-1)", "Previous", show=False),
    ]
    LOAD_ERROR_TITLE = "Indexes"

    DEFAULT_CSS = """
    IndexesPane #index-table { height: 1fr; min-height: 4; scrollbar-size-horizontal: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.board = IndexBoard()
        self.keys: list[tuple[str, str | None]] = []  # each list row: (table, index)
        self._halt = threading.Event()  # the running job was asked to stop
        self.outcome = ""  # the last job's outcome, under the picture
        self._recheck: tuple[TableIndexes, str] | None = None  # after a cancelled repair

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the database ...", id="index-summary", classes="summary")
        yield IndexProgress(id="index-progress")
        yield DataTable(id="index-table", cursor_type="row", zebra_stripes=True)
        yield IndexDetail(id="index-detail")

    def focus_default(self) -> None:
        self.query_one("#index-table", DataTable).focus()

    def action_focus_step(self, step: int) -> None:
        """Tab between the list and the box below it (which scrolls when it overflows),
        never out of the pane: 1-4 change tabs."""
        chain = [self.query_one("#index-table", DataTable), self.query_one(IndexDetail)]
        now = next((i for i, w in enumerate(chain) if w.has_focus), -1)
        chain[(now + step) % len(chain)].focus()

    def activated(self) -> None:
        """Read the last checks again: an ADMIN statement run in the SQL tab records one."""
        super().activated()
        if self.ready and self.board.job is None:
            self.load()

    # -- loading -----------------------------------------------------------------------------

    def fetch(self) -> IndexOverview:
        return self.backend.index_overview()

    def show(self, overview: IndexOverview) -> None:
        self.board.load(overview)
        self._redraw()

    def _redraw(self) -> None:
        self._fill()
        self._summary()
        self._detail()
        self.query_one(IndexProgress).show(self.board.job)
        self.refresh_bindings()

    def _fill(self) -> None:
        table = self.query_one("#index-table", DataTable)
        colours = colours_of(self.app)
        muted = colours["muted"]
        headers = ["table", "index", "result", "rows / entries", "checked", "definition"]
        rows: list[list[Text]] = []
        keys: list[tuple[str, str | None]] = []
        for t in self.board.tables:
            checking = self.board.checking(t.name)
            estimate = Text("~" + fmt.count(t.rows_estimate, "row"), style=muted)
            if not t.indexes:
                rows.append([Text(t.name), Text("(none)", style=muted),
                             Text("rows keyed by a hidden row id", style=muted), estimate,
                             Text(""), Text("")])
                keys.append((t.name, None))
            for i, e in enumerate(t.indexes):
                kind = "PRIMARY" if e.primary else ("UNIQUE" if e.unique else "INDEX")
                if not e.checkable:
                    result = Text("the rows' own key" if e.primary else f"({e.state})",
                                  style=muted)
                    when, counts = Text(""), estimate if e.primary else Text("")
                elif checking:
                    result = Text("checking ...", style=colours["warning"])
                    when, counts = Text(""), Text("")
                else:
                    f = self.board.finding(t.name, e)
                    result = Text(result_words(f), style=result_style(f, colours))
                    when = Text(when_text(f.when) if f and f.when else "-", style=muted)
                    counts = Text(f"{f.rows_scanned:,} / {f.entries_scanned:,}"
                                  if f and f.result and f.result not in ("failed", "cancelled")
                                  else "")
                rows.append([Text(t.name if i == 0 else ""), Text(e.name), result, counts,
                             when, Text(f"{kind} ({', '.join(e.columns)})")])
                keys.append((t.name, e.name))
        cursor = table.cursor_coordinate
        selected = self.keys[cursor.row] if 0 <= cursor.row < len(self.keys) else None
        table.clear(columns=True)
        widths = [min(max([len(h), *(r[i].cell_len for r in rows)]), 48)
                  for i, h in enumerate(headers)]
        wrap = self._fit_last(widths, len(headers[-1]))
        for h, width in zip(headers, widths, strict=True):
            table.add_column(h, width=width)
        for n, row in enumerate(rows):
            table.add_row(*row, key=f"{n}", height=None if wrap else 1)
        self.keys = keys
        if rows:
            if selected in keys:
                row = keys.index(selected)
            elif selected is None:  # the first fill: the first index with entries of its own
                row = next((n for n, (t, i) in enumerate(keys) if self._checkable(t, i)), 0)
            else:
                row = min(cursor.row, len(rows) - 1)
            table.move_cursor(row=row, animate=False)

    def _fit_last(self, widths: list[int], least: int) -> bool:
        """Narrow the last column (the definition) to the room left, so it wraps instead of
        being cut at the screen's edge; True when it must wrap.  With less room than its
        header, it keeps its width (cut: the box below names the definition)."""
        table = self.query_one("#index-table", DataTable)
        room = (table.size.width or self.size.width or self.app.size.width) - 2  # scrollbar
        room -= sum(w + 2 * table.cell_padding for w in widths[:-1]) + 2 * table.cell_padding
        if least <= room < widths[-1]:
            widths[-1] = room
            return True
        return False

    def on_resize(self) -> None:
        if self.ready and self.board.tables:
            self._fill()

    def _checkable(self, table: str, index: str | None) -> bool:
        t = self.board.table(table)
        return t is not None and any(e.name == index and e.checkable for e in t.indexes)

    def _to_first_damaged(self, checked: list[str]) -> None:
        """After a check, the cursor goes to the first inconsistent index of the tables
        `checked`, unless it is on one already: the next key (f) is then the repair.  It
        never leaves for a table that was not checked (c on one table stays on it)."""
        table, entry = self.selected()
        if table is not None and entry is not None:
            f = self.board.finding(table.name, entry)
            if f is not None and f.damaged:
                return
        for n, (name, index) in enumerate(self.keys):
            if name not in checked:
                continue
            t = self.board.table(name)
            e = next((e for e in t.indexes if e.name == index), None) if t else None
            f = self.board.finding(name, e) if e is not None and e.checkable else None
            if f is not None and f.damaged:
                self.query_one("#index-table", DataTable).move_cursor(row=n, animate=False)
                return

    def _summary(self) -> None:
        n, bad, good, never = self.board.counts()
        tables = len(self.board.tables)
        colours = colours_of(self.app)
        text = Text()
        text.append(f"{tables} table{'s' if tables != 1 else ''}, {n} secondary "
                    f"index{'es' if n != 1 else ''}: ", style="bold")
        text.append(f"{bad} inconsistent", style=f"bold {colours['error']}" if bad else "")
        text.append(", ")
        text.append(f"{good} consistent", style=colours["success"] if good else "")
        text.append(f", {never} never checked")
        if self.board.overview.note:
            text.append(f" ({self.board.overview.note})", style=colours["muted"])
        self.query_one("#index-summary", Static).update(text)

    # -- the highlighted index ---------------------------------------------------------------

    def selected(self) -> tuple[TableIndexes | None, IndexEntry | None]:
        row = self.query_one("#index-table", DataTable).cursor_coordinate.row
        if not 0 <= row < len(self.keys):
            return None, None
        name, index = self.keys[row]
        table = self.board.table(name)
        if table is None or index is None:
            return table, None
        return table, next((e for e in table.indexes if e.name == index), None)

    def plan_for(self, table: TableIndexes, entry: IndexEntry) -> RepairPlan | None:
        f = self.board.finding(table.name, entry)
        if f is None or not entry.checkable:
            return None
        if f.unknown_counts:
            return plan_unknown(table.schema, table.table, entry.name)
        return plan_repair(table.schema, table.table, entry.name, f.missing, f.dangling,
                           f.mismatched, f.samples)

    def _detail(self) -> None:
        table, entry = self.selected()
        finding = plan = repair = None
        if table is not None and entry is not None:
            finding = self.board.finding(table.name, entry)
            plan = self.plan_for(table, entry)
            repair = self.board.repairs.get((table.name, entry.name))
        self.query_one(IndexDetail).show(
            table, entry, finding, plan, repair, colours_of(self.app),
            read_only=self._read_only(), busy=self.board.job is not None, note=self.outcome,
            directory=self._directory())

    @on(DataTable.RowHighlighted, "#index-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _directory(self) -> str:
        """The database's directory as the command line takes it (in advice)."""
        path = getattr(self.backend, "path", "") if self.ready else ""
        return shlex.quote(path) if path else "DIR"

    def _read_only(self) -> bool:
        return self.ready and self.backend.session_state().read_only

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Cancel is offered while something runs; checks and repairs while nothing does
        (hidden, not greyed, while running: the footer keeps room for x and F1 Help at 80
        columns)."""
        running = self.board.job is not None
        if action == "cancel":
            return running
        if action in ("check_table", "check_all", "repair"):
            return not running
        return True

    # -- checking ----------------------------------------------------------------------------

    def action_check_table(self) -> None:
        table, _entry = self.selected()
        if table is not None:
            self.check([table])

    def action_check_all(self) -> None:
        self.check(list(self.board.tables))

    def check(self, tables: list[TableIndexes], index: str | None = None) -> None:
        """Check `tables` in the background, one after the other (only `index` of a single
        table, when given)."""
        if not self._can_start():
            return
        tables = [t for t in tables if any(e.checkable for e in t.indexes)]
        if not tables:
            self.notify("Nothing to check: no secondary index (a primary key is the rows' "
                        "own key).", title="Indexes", timeout=4)
            return
        self._start(Job("check", [t.name for t in tables], [t.rows_estimate for t in tables]))
        self.run_worker(lambda: self._check_worker(tables, index), thread=True,
                        group="index-admin", exit_on_error=False)

    def _can_start(self) -> bool:
        if not self.ready or not self.backend.IMPLEMENTS_INDEX_ADMIN:
            self.notify("This database cannot check indexes from the console.",
                        title="Indexes", severity="warning")
            return False
        if self.board.job is not None:
            self.notify("A check or repair is running: x cancels it.", title="Indexes",
                        severity="warning", timeout=3)
            return False
        return True

    def _start(self, job: Job) -> None:
        self._halt.clear()
        self.outcome = ""
        self.board.job = job
        self._redraw()

    def _run(self, sql: str, pump: EventPump) -> Ran:
        """One statement on the index connection (in the worker thread)."""
        finished: list[IndexAdminFinished] = []

        def sink(e: Event) -> None:
            pump(e)
            if isinstance(e, IndexAdminFinished):
                finished.append(e)

        try:
            data, error = self.backend.run_index_admin(sql, sink), None
        except BackendError as err:
            data, error = None, err
        pump.flush()
        return Ran(data, finished[-1] if finished else None, error)

    def _check_worker(self, tables: list[TableIndexes], index: str | None = None) -> None:
        pump = EventPump(lambda batch: self.post_message(IndexEvents(batch)))
        for t in tables:
            if self._halt.is_set():
                break
            self.app.call_from_thread(self._table_started, t.name)
            ran = self._run(check_sql(t.schema, t.table, index), pump)
            self.app.call_from_thread(self._table_checked, t, ran)
            if ran.error is not None and (ran.error.interrupted or ran.error.errno == 1235):
                break
        self.app.call_from_thread(self._job_ended)

    def _table_started(self, name: str) -> None:
        self.board.start_table(name)
        self._fill()
        self.query_one(IndexProgress).show(self.board.job)

    def _table_checked(self, table: TableIndexes, ran: Ran) -> None:
        now = dt.datetime.now()
        if ran.error is not None:
            if not ran.error.interrupted:
                self.board.failed(table.name, list(table.indexes), now, ran.error.errno,
                                  str(ran.error))
                advice = (damaged_row_advice(table.name, table.table, self._directory())
                          if ran.error.errno == 1877 else None)
                self._error(ran.error, f"Checking {table.name}", advice)
            self._fill()
            return
        reports = list(ran.finished.reports) if ran.finished is not None else []
        if not reports and ran.data is not None:
            reports = reports_of_rows(ran.data.names, ran.data.rows)
        self.board.checked(table.name, ran.finished, reports, now)
        self._fill()
        self._summary()

    def _job_ended(self) -> None:
        job = self.board.job
        self.board.job = None
        if job is not None and job.kind == "check":
            done, n = len(job.finished), len(job.tables)
            if self._halt.is_set() and done < n:
                self.outcome = (f"Check cancelled at {job.table}: {done} of {n} table(s) "
                                "checked; the others keep their last result.")
                self.notify(self.outcome, title="Indexes", severity="warning", timeout=5)
            elif done:  # the summary line and the list say what was found (errors: outcome)
                self._fill()
                self._to_first_damaged(job.finished)
        self._halt.clear()
        self._redraw()
        self.load()  # the record of the last checks, and row estimates
        recheck, self._recheck = self._recheck, None
        if recheck is not None:  # a cancelled repair: what it left is known only by checking
            said = self.outcome
            self.check([recheck[0]], index=recheck[1])
            self.outcome = said  # under the re-check's result, until the next job
            self._detail()

    @on(IndexEvents)
    def _events(self, message: IndexEvents) -> None:
        if any([self.board.note(e) for e in message.events]):
            self.query_one(IndexProgress).show(self.board.job)

    def action_cancel(self) -> None:
        job = self.board.job
        if job is None:
            return
        self._halt.set()
        job.cancelling = True
        answer = self.backend.cancel_index_admin()
        self.query_one(IndexProgress).show(job)
        if not answer.accepted and answer.refusal:
            self.notify(answer.refusal, title="Indexes", severity="warning")

    # -- repairing ---------------------------------------------------------------------------

    def action_repair(self) -> None:
        table, entry = self.selected()
        if table is None or entry is None:
            self.notify("Highlight an index to repair.", title="Indexes", timeout=3)
            return
        if not entry.checkable:
            self.notify(f"{entry.name} of {table.name} is the rows' own key, not a separate "
                        "index: there is nothing to repair in it.", title="Indexes",
                        timeout=4)
            return
        if self.board.job is not None:
            self._can_start()
            return
        plan = self.plan_for(table, entry)
        finding = self.board.finding(table.name, entry)
        if plan is None:
            severity = "information"
            if finding is None or not finding.result:
                msg = f"{table.name}.{entry.name} was never checked: c checks it first."
            elif finding.cancelled_repair:
                msg = (f"The last repair of {table.name}.{entry.name} was cancelled: what is "
                       "left to repair is unknown; c checks it again.")
            elif finding.result == "failed" and finding.errno == 1877:
                msg = damaged_row_advice(table.name, table.table, self._directory())
                severity = "error"
            elif finding.result in ("cancelled", "failed"):
                msg = f"The last check of {table.name}.{entry.name} did not finish: c again."
            else:
                msg = f"Nothing to repair: {table.name}.{entry.name} is {finding.result}."
            self.notify(msg, title="Indexes", severity=severity,
                        timeout=10 if severity == "error" else 4)
            return
        if self._read_only():
            level = self.backend.session_state().force_recovery
            self.outcome = (f"Repair refused: the database is open READ-ONLY "
                            f"(--force-recovery {level}) and {plan.verb} INDEX writes (ERROR "
                            "1881). Reopen it without --force-recovery to repair; checks work.")
            self.notify(self.outcome, title="Read-only", severity="error", timeout=8)
            self._detail()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.repair(table, entry, plan)

        self.app.push_screen(RepairConfirmScreen(f"{table.name}.{entry.name}", plan), answered)

    def repair(self, table: TableIndexes, entry: IndexEntry, plan: RepairPlan) -> None:
        """Run `plan` in the background, then re-check the index."""
        if not self._can_start():
            return
        self._start(Job("repair", [table.name], [table.rows_estimate]))
        self.board.start_table(table.name)
        self.run_worker(lambda: self._repair_worker(table, entry, plan), thread=True,
                        group="index-admin", exit_on_error=False)

    def _repair_worker(self, table: TableIndexes, entry: IndexEntry, plan: RepairPlan) -> None:
        pump = EventPump(lambda batch: self.post_message(IndexEvents(batch)))
        ran = self._run(plan.statement, pump)
        recheck = None
        if ran.error is None and not self._report(ran.finished, entry.name):
            recheck = self._run(check_sql(table.schema, table.table, entry.name), pump)
        self.app.call_from_thread(self._repaired, table, entry, plan, ran, recheck)
        self.app.call_from_thread(self._job_ended)

    @staticmethod
    def _report(finished: IndexAdminFinished | None, index: str) -> IndexReport | None:
        if finished is None:
            return None
        return next((r for r in finished.reports if r.index.lower() == index.lower()), None)

    def _repaired(self, table: TableIndexes, entry: IndexEntry, plan: RepairPlan, ran: Ran,
                  recheck: Ran | None) -> None:
        target = f"{table.name}.{entry.name}"
        if ran.error is not None:
            if ran.error.interrupted:
                self.outcome = (f"{plan.verb} INDEX cancelled between two batches: the batches "
                                "it committed stay, nothing is half-done. What is left to "
                                f"repair is unknown: {target} is checked again.")
                self.board.repair_cancelled(table.name, entry.name, plan.operation,
                                            dt.datetime.now())
                self.board.repairs.pop((table.name, entry.name), None)
                self._recheck = (table, entry.name)
                self.notify(self.outcome, title="Indexes", severity="warning", timeout=6)
            else:
                self._error(ran.error, f"{plan.verb} INDEX {target}")
            return
        counts = dict(ran.finished.counts) if ran.finished is not None else {}
        if not counts and ran.data is not None and ran.data.rows:
            counts = dict(zip(ran.data.names, ran.data.rows[0], strict=False))
        seconds = ran.finished.seconds if ran.finished is not None else 0.0
        after = self._report(ran.finished, entry.name)
        if after is None and recheck is not None:
            if recheck.error is not None:
                self._error(recheck.error, f"Re-checking {target}")
            else:
                after = self._report(recheck.finished, entry.name)
                if after is None and recheck.data is not None:
                    after = next(iter(reports_of_rows(recheck.data.names, recheck.data.rows)),
                                 None)
        done = self.board.repaired(table.name, entry.name, plan.statement, counts, seconds,
                                   after, dt.datetime.now())
        self.outcome = ""  # the box below the list shows the result and the re-check
        if done.after is None or done.after.damaged:
            still = result_words(done.after) if done.after is not None else "not re-checked"
            self.notify(f"{target}: {counts_text(done.counts)}. Re-check: {still}.",
                        title="Repair", severity="warning", timeout=8)

    # -- errors ------------------------------------------------------------------------------

    def _error(self, err: BackendError, doing: str, advice: str | None = None) -> None:
        """The error under the picture, with its hint; `advice` (already in the box above,
        for a damaged row) replaces the hint in the notification and is not repeated."""
        hint = err.hint or HINTS.get(err.errno, "")
        self.outcome = f"{doing}: {err}" + (f"\n{hint}" if hint and advice is None else "")
        said = advice if advice is not None else hint
        self.notify(f"{err}" + (f"\n{said}" if said else ""), title=doing, severity="error",
                    timeout=10)

    # -- for tests ---------------------------------------------------------------------------

    def finding(self, table: str, index: str) -> Finding | None:
        """What the list shows for `table`.`index` (tests read it)."""
        t = self.board.table(table)
        entry = next((e for e in t.indexes if e.name == index), None) if t else None
        return self.board.finding(table, entry) if entry is not None else None
