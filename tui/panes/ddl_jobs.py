"""DDL Jobs: every schema change is a job (information_schema.DDL_JOBS), live.

The list shows TiDB's columns (as many as the width allows); unfinished jobs with rows to
go through get a bar above it with their rows, rate and ETA.  The engine's events
(`DDLReorgProgress`, `DDLJobChanged`, `DDLJobRepaired`) move bars and states in place; a
state change also reads the list again (once, after a short pause, whatever the number of
events), and a slow timer reads it while jobs are unfinished, as a safety net.

`x`, `p` and `u` cancel, pause and resume the highlighted job (ADMIN CANCEL | PAUSE |
RESUME DDL JOBS) behind a confirmation that says what will happen; when the engine will
refuse (a finished job, a job that is not paused), no question is asked and the engine's
own answer (8225, 8260, 8261, 8262...) is shown.  Enter shows the job's every step; `/`
filters by words, `s` cycles the state filter.

A drop table, truncate table or drop schema job says what it dropped and how long GC keeps
it (information_schema.KINTSUGI_DROPPED_TABLES, counted down every second); `r` brings it
back (RECOVER TABLE BY JOB n, FLASHBACK DATABASE for a schema) and `f` under a new name
(FLASHBACK ... TO), each behind a confirmation saying what comes back.  Outside the GC life
time, or on another job, the key says why it refuses; the engine's errors (1050 when the
name is taken, 8055 past the safe point) are shown with their code.  After a recovery, and
on the engine's `TableRecovered`, every pane reads the schema again (the SQL tab's
completion knows the table at once); `GCRangeCollected` and `GCRoundFinished` re-read the
dropped tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from core.events import (
    DDLJobChanged,
    DDLJobRepaired,
    DDLReorgProgress,
    Event,
    GCRangeCollected,
    GCRoundFinished,
    TableRecovered,
)
from tui import actions
from tui.backend.base import (
    BackendError,
    DDLJobInfo,
    DDLJobStep,
    DroppedTable,
    TableData,
    job_list,
)
from tui.panes.base import RefreshingPane
from tui.panes.ddl_screens import DDLControlScreen, DDLJobScreen, NewNameScreen, RecoverScreen
from tui.panes.indexes import colours_of
from tui.widgets.ddl_board import DDLBoard, finished, running
from tui.widgets.ddl_detail import DDLJobDetail, state_style
from tui.widgets.ddl_progress import DDLProgress
from tui.widgets.ddl_recover import (
    DROP_SCHEMA,
    DUE,
    RECOVERABLE,
    DropStatus,
    Recovery,
    dropped_again,
    is_drop,
    latest_drop,
    recovered_by,
    recovery,
    status,
    suggested_name,
    what,
)
from tui.widgets.ddl_words import answer_words, percent, refusal, state_words, when

actions.scope("ddl", "DDL Jobs tab")
ACTIONS = actions.register(
    actions.Action("ddl", "details", "enter", "Details",
                   "DDL jobs: the highlighted job's every step with its time, its crash "
                   "case and what recovery did, its error"),
    actions.Action("ddl", "cancel_job", "x", "Cancel",
                   "DDL jobs: cancel the highlighted job (ADMIN CANCEL DDL JOBS) after a "
                   "confirmation saying what is rolled back"),
    actions.Action("ddl", "pause_job", "p", "Pause",
                   "DDL jobs: pause the highlighted job after its current step (ADMIN "
                   "PAUSE DDL JOBS), after a confirmation"),
    actions.Action("ddl", "resume_job", "u", "Resume",
                   "DDL jobs: resume the highlighted paused job from its checkpoint (ADMIN "
                   "RESUME DDL JOBS), after a confirmation"),
    actions.Action("ddl", "recover", "r", "Recover",
                   "DDL jobs: bring back what the highlighted drop table, truncate table or "
                   "drop schema job dropped, under its own name (RECOVER TABLE BY JOB, "
                   "FLASHBACK DATABASE), inside the GC life time, after a confirmation",
                   show=False),  # the footer shows its twin on drop jobs (`_bindings`)
    actions.Action("ddl", "flashback", "f", "Flashback to",
                   "DDL jobs: bring back what the highlighted drop job dropped under a new "
                   "name (FLASHBACK TABLE ... TO, FLASHBACK DATABASE ... TO): asks for the "
                   "name, then confirms", show=False),
    actions.Action("ddl", "filter", "slash", "Filter",
                   "DDL jobs: filter the list by words (job id, database, table, type, "
                   "state); Enter or Esc goes back to the list", show=False),  # on screen
    actions.Action("ddl", "cycle_state", "s", "State",
                   "DDL jobs: show every job, then only unfinished, paused, failed or "
                   "synced ones (cycles)", show=False),  # the filter line says s
    actions.Action("ddl", "refresh", "f5", "Refresh", "DDL jobs: read the job list again",
                   show=False),
)

TICK = 1.0  # seconds: the countdown of a dropped table's time before GC
FOOTER_F_WIDTH = 100  # columns: below this, f is in the detail box and the help only


def _bindings() -> list[Binding]:
    """The registry's bindings, r and f each preceded by its footer twin: the same action,
    shown and tried first while a drop job is highlighted (f where the width leaves room);
    elsewhere check_action turns the twin off and the key falls through to the registry's
    hidden binding, which refuses in words (the footer stays as short as before)."""
    out = []
    for b in actions.bindings("ddl"):
        if b.action in ("recover", "flashback"):
            out.append(Binding(b.key, f"footer_key('{b.action}')", b.description,
                               key_display=b.key_display))
        out.append(b)
    return out


REREAD_AFTER = 0.3  # seconds: a burst of state changes makes one read of the list
SAFETY_NET = 5.0  # seconds between reads while a job runs (events do the rest)
# (key, heading): the columns in display order; INCLUDE: the order they are given room
COLUMNS = [("job", "job"), ("db", "database"), ("table", "table"), ("type", "type"),
           ("schema", "schema state"), ("state", "state"), ("rows", "rows"),
           ("started", "started"), ("ended", "ended")]
INCLUDE = ["job", "table", "type", "state", "schema", "rows", "started", "db", "ended"]
STATE_ORDER = ["running", "queueing", "pausing", "paused", "cancelling", "rollingback",
               "cancelled", "rollback done", "done", "synced", "none"]


def rows_cell(job: DDLJobInfo) -> str:
    if not finished(job.state) and job.rows_total:
        return f"{percent(job)} of {job.rows_total:,}"
    return f"{job.row_count:,}" if job.row_count or job.rows_total else "-"


def cells(job: DDLJobInfo) -> dict[str, str]:
    return {"job": str(job.job_id), "db": job.db_name or "-", "table": job.table_name or "-",
            "type": job.job_type, "schema": job.schema_state or "-",
            "state": state_words(job), "rows": rows_cell(job),
            "started": when(job.start_time, short=True),
            "ended": when(job.end_time, short=True)}


def recoverable_keys(jobs: list[DDLJobInfo], taken: Callable[[DDLJobInfo], bool]) -> str:
    """'jobs 11, 9: r' or 'job 9: r; job 11: f, its name is taken': the key that brings
    each back (f where a live table has the name)."""
    r = [str(j.job_id) for j in jobs if not taken(j)]
    f = [str(j.job_id) for j in jobs if taken(j)]
    parts = []
    if r:
        parts.append(f"job{'s' if len(r) > 1 else ''} {', '.join(r)}: r")
    if f:
        parts.append(f"job{'s' if len(f) > 1 else ''} {', '.join(f)}: f, "
                     f"{'their names are' if len(f) > 1 else 'its name is'} taken")
    return "; ".join(parts)


def fit_columns(widths: dict[str, int], room: int) -> list[str]:
    """The columns that fit in `room` cells (each takes its width and 2 of padding), in
    display order, added in `INCLUDE`'s order of importance."""
    chosen: list[str] = []
    used = 0
    for key in INCLUDE:
        need = widths[key] + 2
        if used + need <= room or len(chosen) < 4:
            chosen.append(key)
            used += need
    return [k for k, _h in COLUMNS if k in chosen]


@dataclass
class JobsRead:
    """One read: the jobs, and what the drop jobs left for GC (by job id)."""

    jobs: TableData
    dropped: dict[int, list[DroppedTable]] = field(default_factory=dict)
    live: frozenset[tuple[str, str]] | None = None  # (schema, table) lower-case; None: unread
    schemas: frozenset[str] = frozenset()


class DdlJobsPane(RefreshingPane[JobsRead]):
    TITLE = "DDL Jobs"
    ID = "ddl"
    ORDER = 20
    SCOPE = "ddl"
    BINDINGS = [  # Tab stays in the pane: on the tab bar, x/p/u would do nothing
        *_bindings(),
        Binding("escape", "leave_filter", "List", show=False),
        Binding("tab", "focus_step(1)", "Next", show=False),
        Binding("shift+tab", "focus_step(-1)", "Previous", show=False),
    ]
    LOAD_ERROR_TITLE = "DDL jobs"

    DEFAULT_CSS = """
    DdlJobsPane #jobs { height: 1fr; min-height: 4; }
    DdlJobsPane #jobs-filter-row { height: 1; padding: 0 1; }
    DdlJobsPane #jobs-filter-row .label { width: auto; color: $text-muted; }
    DdlJobsPane #jobs-filter { border: none; height: 1; padding: 0 1; width: 1fr;
        background: $panel; }
    DdlJobsPane #jobs-filter:focus { background: $boost; }
    DdlJobsPane #jobs-state-filter { width: auto; padding: 0 0 0 2; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data = TableData([], [])
        self.board = DDLBoard()
        self.shown: list[int] = []  # the job ids of the list's rows
        self.columns: list[str] = []
        self.steps: dict[int, list[DDLJobStep]] = {}
        self.dropped: dict[int, list[DroppedTable]] = {}  # job id -> its tables kept for GC
        # the last control's answer (job id, words, accepted): under the job until it moves
        self.outcome: tuple[int, str, bool] | None = None
        self._reread: Timer | None = None
        self._loading = False
        self._load_again = False
        self._detail_screen: DDLJobScreen | None = None

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the database ...", id="jobs-summary", classes="summary")
        with Horizontal(id="jobs-filter-row"):
            yield Static("Filter [b]/[/b] ", classes="label")
            yield Input(placeholder="words: job id, table, type, state", id="jobs-filter")
            yield Static("", id="jobs-state-filter")
        yield DDLProgress(id="ddl-progress")
        yield DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield DDLJobDetail(id="ddl-detail")

    def on_mount(self) -> None:
        self.set_interval(SAFETY_NET, self._safety_net)
        self.set_interval(TICK, self._tick)
        self._state_filter_label()

    def focus_default(self) -> None:
        self.query_one("#jobs", DataTable).focus()

    def action_focus_step(self, step: int) -> None:
        chain = [self.query_one("#jobs", DataTable), self.query_one(DDLJobDetail)]
        now = next((i for i, w in enumerate(chain) if w.has_focus), -1)
        chain[(now + step) % len(chain)].focus()

    def activated(self) -> None:
        super().activated()
        if self.ready:
            self.load()

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> None:
        """One read at a time; asked again meanwhile, one more after it (events ask often:
        superseding a running read would cancel it, and a cancelled worker is an error to
        whoever waits for the workers)."""
        if self._loading:
            self._load_again = True
            return
        self._loading = True
        self.run_worker(self._load_once, thread=True, group="ddl-load", exit_on_error=False)

    def _load_once(self) -> None:
        try:
            self._load()
        finally:
            try:
                self.app.call_from_thread(self._loaded)
            except RuntimeError:  # the app has gone
                pass

    def _loaded(self) -> None:
        self._loading = False
        if self._load_again:
            self._load_again = False
            self.load()

    def fetch(self) -> JobsRead:
        jobs = self.backend.ddl_jobs()
        dropped: dict[int, list[DroppedTable]] = {}
        try:
            for t in self.backend.dropped_tables():
                dropped.setdefault(t.job_id, []).append(t)
        except BackendError:
            pass  # the jobs are shown all the same; r and f say nothing is kept
        live: frozenset[tuple[str, str]] | None = None
        schemas: frozenset[str] = frozenset()
        if dropped:  # which names are taken: r then asks a new name instead of a 1050
            try:
                catalog = self.backend.catalog().schemas
                live = frozenset((s.lower(), t.lower()) for s, tabs in catalog.items()
                                 for t in tabs)
                schemas = frozenset(s.lower() for s in catalog)
            except BackendError:
                pass
        return JobsRead(jobs, dropped, live, schemas)

    def show(self, data: JobsRead) -> None:
        self.data = data.jobs
        self.dropped = data.dropped
        self.live, self.live_schemas = data.live, data.schemas
        self.board.load(job_list(data.jobs))
        self._redraw()
        self._fetch_steps()

    def _redraw(self) -> None:
        self._fill()
        self._summary()
        self._bars()
        self._detail()

    def _colours(self) -> dict[str, str]:
        colours = colours_of(self.app)
        colours["primary"] = (self.app.current_theme.primary or "cyan").removeprefix("ansi_")
        return colours

    def _fill(self) -> None:
        table = self.query_one("#jobs", DataTable)
        jobs = self.board.shown()
        all_cells = [cells(j) for j in jobs]
        widths = {k: max([cell_len(h), *(cell_len(c[k]) for c in all_cells)])
                  for k, h in COLUMNS}
        # room for the rows of a job that moves (events change the cell in place)
        widths["rows"] = max([widths["rows"], *(len(f"99% of {j.rows_total:,}") + 1
                                                for j in jobs if not finished(j.state))])
        room = (table.size.width or self.size.width or self.app.size.width) - 2
        self.columns = fit_columns(widths, room)
        selected = self.selected_id()
        colours = self._colours()
        table.clear(columns=True)
        headings = dict(COLUMNS)
        for key in self.columns:
            table.add_column(headings[key], width=widths[key], key=key)
        for job, c in zip(jobs, all_cells, strict=True):
            table.add_row(*(self._cell(job, key, c[key], colours) for key in self.columns),
                          key=str(job.job_id))
        self.shown = [j.job_id for j in jobs]
        if jobs:
            row = self.shown.index(selected) if selected in self.shown else 0
            table.move_cursor(row=row, animate=False)

    @staticmethod
    def _cell(job: DDLJobInfo, key: str, value: str, colours: dict[str, str]) -> Text:
        if key == "state":
            return Text(value, style=state_style(job.state, colours))
        if key in ("rows", "job"):
            return Text(value, justify="right")
        return Text(value)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "footer_key":
            job = self.selected()
            if job is None or not is_drop(job) or not self.drop_status(job).offered:
                return False  # refused: the hidden binding says why
            return parameters[0] == "recover" or self.app.size.width >= FOOTER_F_WIDTH
        return True

    def action_footer_key(self, action: str) -> None:
        self._bring_back(action)

    def on_resize(self) -> None:
        self.refresh_bindings()
        if self.ready and self.board.jobs:
            self._fill()
            self._bars()

    def _summary(self) -> None:
        states, _running = self.board.counts()
        colours = self._colours()
        text = Text()
        n = len(self.board.jobs)
        text.append(f"{n} job{'s' if n != 1 else ''}", style="bold")
        order = sorted(states, key=lambda s: STATE_ORDER.index(s) if s in STATE_ORDER else 99)
        text.append(": " if order else ": none yet")
        for i, state in enumerate(order):
            if i:
                text.append(", ")
            text.append(f"{states[state]} {state}", style=state_style(state, colours))
        unfinished = len(self.board.unfinished())
        if unfinished:
            text.append(f" · {unfinished} unfinished", style="bold")
        crashed = self.board.crashed()
        if crashed:
            ids = ", ".join(str(j.job_id) for j in crashed[:3])
            text.append(f" · {len(crashed)} interrupted by a crash "
                        f"(job{'s' if len(crashed) > 1 else ''} {ids})",
                        style=colours.get("warning", ""))
        back = [j for j in self.board.jobs if j.job_id in self.dropped
                and self.drop_status(j).kind in (RECOVERABLE, DUE)]
        if back:
            text.append(f" · {len(back)} drop{'s' if len(back) > 1 else ''} recoverable "
                        f"({recoverable_keys(back[:3], self.name_taken)})",
                        style=colours.get("success", ""))
        shown = len(self.shown)
        if shown != n:
            text.append(f" · showing {shown}", style="bold")
        self.query_one("#jobs-summary", Static).update(text)

    def _state_filter_label(self) -> None:
        name = self.board.state_filter_name
        self.query_one("#jobs-state-filter", Static).update(
            Text.assemble("state: ", (name, "bold"), " (s)"))

    def _bars(self) -> None:
        rates = {j.job_id: self.board.rate(j.job_id) for j in self.board.unfinished()}
        self.query_one(DDLProgress).show(self.board.unfinished(), rates)

    # -- the highlighted job -----------------------------------------------------------------

    def selected_id(self) -> int | None:
        row = self.query_one("#jobs", DataTable).cursor_coordinate.row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def selected(self) -> DDLJobInfo | None:
        job_id = self.selected_id()
        return self.board.job(job_id) if job_id is not None else None

    def _detail(self) -> None:
        job = self.selected()
        note = self.outcome[1] if job and self.outcome and self.outcome[0] == job.job_id \
            else ""
        empty = ("No job matches the filter." if self.board.jobs else "No DDL job yet.")
        rate = self.board.rate(job.job_id) if job else 0.0
        colours = self._colours()
        refused = bool(note) and self.outcome is not None and not self.outcome[2]
        self.query_one(DDLJobDetail).show(job, self.steps.get(job.job_id) if job else None,
                                          colours, rate, note, empty,
                                          self.drop_status(job) if job else None,
                                          colours.get("error", "") if refused else "")
        screen = self._detail_screen
        if screen is not None and job is not None and screen.job.job_id == job.job_id:
            screen.show(job, self.steps.get(job.job_id), rate, self.drop_status(job))

    @on(DataTable.RowHighlighted, "#jobs")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # r and f in the footer on a drop job
        self._detail()
        self._fetch_steps()

    def _fetch_steps(self) -> None:
        job_id = self.selected_id()
        if job_id is None or not self.ready:
            return
        self.run_worker(lambda: self._steps_worker(job_id), thread=True, group="ddl-steps",
                        exit_on_error=False)

    def _steps_worker(self, job_id: int) -> None:
        try:
            steps = self.backend.ddl_job_steps(job_id)
        except BackendError:
            return
        self.app.call_from_thread(self._got_steps, job_id, steps)

    def _got_steps(self, job_id: int, steps: list[DDLJobStep]) -> None:
        self.steps[job_id] = steps
        screen = self._detail_screen
        if screen is not None and screen.job.job_id == job_id:
            job = self.board.job(job_id) or screen.job
            screen.show(job, steps, self.board.rate(job_id), self.drop_status(job))
        if job_id == self.selected_id():
            self._detail()

    # -- live --------------------------------------------------------------------------------

    def drop_status(self, job: DDLJobInfo) -> DropStatus:
        """What `job` dropped and whether r and f can bring it back, now."""
        tables = self.dropped.get(job.job_id, [])
        back = recovered_by(job, self.board.jobs) if is_drop(job) and not tables else None
        again = dropped_again(back, self.board.jobs) if back is not None else None
        st = status(job, tables, time.monotonic(), back, again)
        if st.offered and self.name_taken(job):
            st = replace(st, taken=True)
        return st

    def name_taken(self, job: DDLJobInfo) -> bool:
        """A live table (a database, for a drop schema) has the name `job` dropped: RECOVER
        would answer 1050 (1007), so r asks for a new name."""
        live = getattr(self, "live", None)
        if live is None or not is_drop(job):
            return False
        if job.job_type == DROP_SCHEMA:
            return job.db_name.lower() in self.live_schemas
        return (job.db_name.lower(), job.table_name.lower()) in live

    def _tick(self) -> None:
        """The countdown of the highlighted drop job's time before GC."""
        job = self.selected() if self.ready and self.dropped else None
        if job is not None and job.job_id in self.dropped and \
                self.drop_status(job).kind in (RECOVERABLE, DUE):
            self._detail()

    def engine_events(self, events: list[Event]) -> None:
        gc = False
        for e in events:
            match e:
                case TableRecovered():
                    if self.ready:  # a new table: the SQL tab's completion, every list
                        self.app.schema_changed()
                case GCRangeCollected():
                    gc = True
                case GCRoundFinished(collected=collected) if collected:
                    gc = True
        if gc and self.ready:
            self._reread_soon()
        ddl = [e for e in events
               if isinstance(e, (DDLReorgProgress, DDLJobChanged, DDLJobRepaired))]
        if not ddl:
            return
        changed, reread = self.board.note(ddl)
        if not self.ready:
            return
        moved = {e.job_id for e in ddl if isinstance(e, DDLJobChanged)}
        for job_id in moved:
            self.steps.pop(job_id, None)  # its history grew
        if self.outcome and self.outcome[2] and self.outcome[0] in moved:
            self.outcome = None  # the request was taken: the state says the rest
        if changed:
            self._update_rows(changed)
            self._bars()
            self._summary()
            if self.selected_id() in changed:
                self._detail()
        if self.selected_id() in moved:
            self._fetch_steps()
        if any(isinstance(e, DDLJobChanged) and finished(e.state) for e in ddl):
            self.app.schema_changed()  # an index appeared or went: every pane reads again
            return
        if reread:
            self._reread_soon()

    def _update_rows(self, job_ids: set[int]) -> None:
        """Change the cells of jobs the events moved, without rebuilding the list."""
        table = self.query_one("#jobs", DataTable)
        colours = self._colours()
        for job_id in job_ids:
            job = self.board.job(job_id)
            if job is None or job_id not in self.shown:
                continue
            c = cells(job)
            for key in ("schema", "state", "rows"):
                if key in self.columns:
                    try:
                        table.update_cell(str(job_id), key, self._cell(job, key, c[key],
                                                                       colours))
                    except Exception:  # noqa: BLE001 - a row gone with a refill: next read
                        pass

    def _reread_soon(self) -> None:
        if self._reread is None:
            self._reread = self.set_timer(REREAD_AFTER, self._reread_now)

    def _reread_now(self) -> None:
        self._reread = None
        self.load()

    def _safety_net(self) -> None:
        """A paused job moves only when told to (an event says so): running ones only."""
        if self.ready and any(running(j) for j in self.board.jobs):
            self.load()

    # -- filters -----------------------------------------------------------------------------

    def action_filter(self) -> None:
        # at once, not on the next idle (`focus()`): the letters typed next are the filter's
        self.screen.set_focus(self.query_one("#jobs-filter", Input))

    def action_leave_filter(self) -> None:
        self.query_one("#jobs", DataTable).focus()

    @on(Input.Changed, "#jobs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.board.text_filter = event.value
        self._refilter()

    @on(Input.Submitted, "#jobs-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#jobs", DataTable).focus()

    def action_cycle_state(self) -> None:
        self.board.cycle_state_filter()
        self._state_filter_label()
        self._refilter()

    def _refilter(self) -> None:
        self._fill()
        self._summary()
        self._detail()
        self._fetch_steps()

    # -- details and control -----------------------------------------------------------------

    @on(DataTable.RowSelected, "#jobs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    def action_details(self) -> None:
        job = self.selected()
        if job is None:
            self.notify("No job highlighted.", title="DDL jobs", timeout=3)
            return
        screen = DDLJobScreen(job, self.steps.get(job.job_id, []), self._colours(),
                              self.board.rate(job.job_id), self.drop_status(job))
        self._detail_screen = screen

        def closed(_result: None) -> None:
            self._detail_screen = None

        self.app.push_screen(screen, closed)
        self._fetch_steps()

    def action_cancel_job(self) -> None:
        self._control("cancel")

    def action_pause_job(self) -> None:
        self._control("pause")

    def action_resume_job(self) -> None:
        self._control("resume")

    def _read_only(self, what: str = "jobs cannot be changed") -> bool:
        """A forced open is read-only: say so (True) instead of asking."""
        state = self.backend.session_state()
        if state.read_only:
            self.notify(f"The database is open READ-ONLY (--force-recovery "
                        f"{state.force_recovery}): {what} (ERROR 1881). "
                        "Reopen it without --force-recovery.", title="Read-only",
                        severity="error", timeout=8)
        return state.read_only

    def _control(self, action: str) -> None:
        job = self.selected()
        if job is None:
            self.notify("Highlight a job first.", title="DDL jobs", timeout=3)
            return
        if not self.ready or not self.backend.IMPLEMENTS_DDL_CONTROL:
            self.notify("This database cannot control DDL jobs from the console.",
                        title="DDL jobs", severity="warning")
            return
        if self._read_only():
            return
        if refusal(action, job):  # the engine will refuse: its answer says why
            self._run_control(action, job)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_control(action, job)

        self.app.push_screen(DDLControlScreen(action, job), answered)

    def _run_control(self, action: str, job: DDLJobInfo) -> None:
        def work() -> None:
            try:
                result: str | BackendError = self.backend.control_ddl_job(action, job.job_id)
            except BackendError as err:
                result = err
            self.app.call_from_thread(self._controlled, action, job, result)

        self.run_worker(work, thread=True, group="ddl-control", exit_on_error=False)

    def _controlled(self, action: str, job: DDLJobInfo, result: str | BackendError) -> None:
        if isinstance(result, BackendError):
            accepted, message = False, f"ADMIN {action.upper()} DDL JOBS {job.job_id}: {result}"
        else:
            accepted, message = answer_words(action, job, result)
        self.outcome = (job.job_id, message, accepted)
        self.notify(message, title="DDL jobs", severity="information" if accepted else "error",
                    timeout=5 if accepted else 10)
        self.steps.pop(job.job_id, None)
        self._detail()
        self.load()

    # -- bringing a dropped table back ----------------------------------------------------

    def action_recover(self) -> None:
        self._bring_back("recover")

    def action_flashback(self) -> None:
        self._bring_back("flashback")

    def _bring_back(self, action: str) -> None:
        key = "r" if action == "recover" else "f"
        job = self.selected()
        if job is None:
            self.notify("Highlight a drop table, truncate table or drop schema job first.",
                        title="DDL jobs", timeout=3)
            return
        if not self.ready or not self.backend.IMPLEMENTS_RECOVER_TABLE:
            self.notify("This database cannot bring dropped tables back from the console.",
                        title="DDL jobs", severity="warning")
            return
        if self._read_only("dropped tables cannot be brought back"):
            return
        drop = self.drop_status(job)
        if not drop.offered:  # said under the job and in a toast, nothing asked
            message = f"{key} refused: {drop.why}."
            self.outcome = (job.job_id, message, False)
            self.notify(message, title="Recover" if action == "recover" else "Flashback to",
                        severity="warning", timeout=8)
            self._detail()
            return
        tables = self.dropped.get(job.job_id, [])
        title = ""
        if action == "recover" and drop.taken:
            title = (f"{what(job)} exists: bring it back under a new name"
                     if job.job_type != DROP_SCHEMA else
                     f"Database {job.db_name} exists: bring it back under a new name")
        elif action == "recover":
            self._confirm(recovery("recover", job, tables), drop)
            return

        def named(name: str | None) -> None:
            if name:
                self._confirm(recovery("flashback", job, tables, name,
                                       latest_drop(job, self.board.jobs)), drop)

        self.app.push_screen(NewNameScreen(job, what(job), suggested_name(job), title), named)

    def _confirm(self, plan: Recovery, drop: DropStatus) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._run_recovery(plan)

        self.app.push_screen(RecoverScreen(plan, drop.when), answered)

    def _run_recovery(self, plan: Recovery) -> None:
        def work() -> None:
            try:
                getattr(self.backend, plan.method)(*plan.args)
                result: BackendError | None = None
            except BackendError as err:
                result = err
            self.app.call_from_thread(self._recovered, plan, result)

        self.run_worker(work, thread=True, group="ddl-recover", exit_on_error=False)

    def _recovered(self, plan: Recovery, error: BackendError | None) -> None:
        if error is None:
            message = plan.done
            self.notify(message, title="Recovered", timeout=6)
        else:
            message = f"{plan.sql} failed, nothing changed: {error}"
            self.notify(message, title="Recover", severity="error", timeout=10)
        self.outcome = (plan.job.job_id, message, error is None)
        self._detail()
        self.load()
        if error is None:
            self.app.schema_changed()  # the table is back: completion, indexes, tablespaces
