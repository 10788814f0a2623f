"""SQL: an editor, a results grid, history, export, and cancel without a race.

A run is one or more statements executed in a thread worker.  The worker streams the rows
into Arrow chunks and posts at most ~20 messages a second: the first page as soon as it
exists, a bigger table about once a second while a large result loads, then the final
result.  Every message carries the run's id; a message of a run that is no longer the
current one, or whose cancel was accepted, is dropped.  Whether a statement ends "done" or
"cancelled" is the database's decision, made once: a cancel it accepts makes the statement
fail with ERROR 1317 and leave nothing behind; one that came too late lets it stand.

Export (Ctrl+E) writes the rows the grid kept, or the whole result: the statement run again
and its rows streamed straight into the file (`tui.export_file`, `tui.export_writers`),
in a thread worker while the console stays usable; F9 cancels it, and one runs at a time.
The re-run does not use the console's connection: the engine runs one statement at a time
on a connection (a second thread gets 2014), and the adapter holds that connection's lock
for a whole statement, so an export there would hold up every statement the user runs
until it ends.  It uses a connection of its own (`Backend.export_query`: the engine in this
process serves many), in a read-only transaction.  That connection does not share the
console's session, so the re-run is offered only for a read-only statement (the
database's classification) that reads no @variables, and not while a transaction is open
(it would not see the transaction's uncommitted rows); the dialog says why when it is not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message

from tui import actions
from tui import text as fmt
from tui.backend.base import BackendError, Columns, Outcome, Rows
from tui.export_writers import BinarySeen
from tui.history import Entry
from tui.panes.base import Pane
from tui.panes.export_screens import ExportChoice, ExportRequest, ExportScreen
from tui.screens import CellScreen, ConfirmScreen, HistoryScreen
from tui.sqltext import (
    Statement,
    destructive_reason,
    first_keyword,
    without_leading_comments,
)
from tui.widgets.editor import SqlEditor
from tui.widgets.export_progress import ExportProgress
from tui.widgets.results import CellChosen, ResultsView

if TYPE_CHECKING:
    import pyarrow as pa

actions.scope("sql", "SQL tab")
ACTIONS = actions.register(
    actions.Action("sql", "run", "f5,ctrl+j,ctrl+enter", "Run",
                   "Run the statement under the cursor, or the selected text"),
    actions.Action("sql", "run_all", "f6", "Run all",
                   "Run every statement in the editor (or in the selection), in order"),
    actions.Action("sql", "cancel", "escape,ctrl+c", "Cancel",
                   "Cancel the running statement (its rows are discarded, its changes rolled "
                   "back)", priority=True),
    actions.Action("sql", "history", "ctrl+r", "History",
                   "Search the query history and load a statement"),
    actions.Action("sql", "history_back", "alt+up", "Older",
                   "Replace the editor text with the previous statement from the history",
                   show=False),
    actions.Action("sql", "history_forward", "alt+down", "Newer",
                   "Step forward through the history (back to your own text at the end)",
                   show=False),
    actions.Action("sql", "export", "ctrl+e", "Export",
                   "Export the result (the rows shown, or the whole result by running the "
                   "statement again) to CSV, JSON, SQL INSERT statements or Markdown"),
    actions.Action("sql", "cancel_export", "f9", "Cancel export",
                   "Cancel the running export (its partial file is removed)", priority=True),
    actions.Action("sql", "focus_editor", "f2", "Editor", "Move the focus to the SQL editor",
                   show=False),
    actions.Action("sql", "focus_results", "f3", "Results", "Move the focus to the results grid",
                   show=False),
)

SCHEMA_WORDS = {"CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "USE", "RECOVER", "FLASHBACK"}
_run_ids = count(1)


@dataclass
class Run:
    id: int
    statements: list[Statement]
    started: float = field(default_factory=time.monotonic)
    index: int = 0  # statement being run
    cancel_requested: bool = False  # the database accepted a cancel: the statement fails
    stop: bool = False  # the user asked to stop: no further statement of the run starts
    state: str = "running"  # then "done", "failed" or "cancelled"


@dataclass
class ShownResult:
    """The statement whose result the grid shows: what an export of the whole result runs
    again, in the schema it ran in, and how many rows it returned (None: still running)."""

    key: tuple[int, int]  # (run id, statement index)
    sql: str
    database: str | None = None
    total: int | None = None
    binary: BinarySeen | None = None  # binary columns among the rows the grid keeps


@dataclass
class ExportJob:
    """A running export (one at a time)."""

    request: ExportRequest
    what: str  # "the whole result", "the rows shown": as the notification says it
    total: int | None  # rows expected (counted by the first run)
    written: int = 0
    cancelled: bool = False


class SqlPane(Pane):
    TITLE = "SQL"
    ID = "sql"
    ORDER = 40
    SCOPE = "sql"
    BINDINGS = actions.bindings("sql")

    DEFAULT_CSS = """
    SqlPane #editor { height: 40%; min-height: 5; max-height: 16; }
    SqlPane.results-focus #editor { height: 6; }
    """

    # -- messages from the worker (all carry the run id) -------------------------------------

    class Page(Message):
        def __init__(self, run_id: int, index: int, table: pa.Table, names: list[str],
                     total: int, final: bool, binary: BinarySeen | None = None) -> None:
            super().__init__()
            self.run_id, self.index, self.table, self.names = run_id, index, table, names
            self.total, self.final, self.binary = total, final, binary

    class Progress(Message):
        def __init__(self, run_id: int, index: int, total: int) -> None:
            super().__init__()
            self.run_id, self.index, self.total = run_id, index, total

    class StatementDone(Message):
        def __init__(self, run_id: int, index: int, outcome: Outcome, total: int,
                     kept: int) -> None:
            super().__init__()
            self.run_id, self.index, self.outcome = run_id, index, outcome
            self.total, self.kept = total, kept

    class Failed(Message):
        def __init__(self, run_id: int, index: int, error: BackendError) -> None:
            super().__init__()
            self.run_id, self.index, self.error = run_id, index, error

    class Cancelled(Message):
        def __init__(self, run_id: int, index: int, seconds: float) -> None:
            super().__init__()
            self.run_id, self.index, self.seconds = run_id, index, seconds

    class RunEnded(Message):
        def __init__(self, run_id: int) -> None:
            super().__init__()
            self.run_id = run_id

    # -- composition -------------------------------------------------------------------------

    def __init__(self) -> None:
        super().__init__()
        self.run: Run | None = None
        self.last_run_id = 0
        self._history_pos = -1
        self._draft: str | None = None
        self._ticker = None
        self.result_rows = 0  # rows of the result on screen
        self._page_index: tuple[int, int] | None = None  # (run, statement) of the grid
        self.shown_result: ShownResult | None = None  # the statement behind the grid
        self.export_job: ExportJob | None = None  # the export running, if any

    def compose(self) -> ComposeResult:
        with Vertical(id="sql-main"):
            yield SqlEditor(getattr(self.app, "sql_text", ""), id="editor",
                            use_system_clipboard=getattr(self.app, "system_clipboard", False))
            yield ResultsView(id="results")

    def on_mount(self) -> None:
        self.results.status("[b]Ready[/b]: [b]F5[/b] runs the statement under the cursor, "
                            "[b]F6[/b] all of them")  # whole at 80 columns
        self.results.notice(
            "Results appear here.\n\n"
            f"  {self._key('run'):<25} run the statement under the cursor (or the selection)\n"
            f"  {self._key('run_all'):<25} run every statement\n"
            f"  {self._key('cancel'):<25} cancel a running statement\n"
            f"  {self._key('history'):<25} search the history (Alt+↑/↓ step through it)\n"
            f"  {self._key('focus_results'):<25} results grid ({self._key('focus_editor')} "
            "back to the editor)\n"
            f"  {'Tab':<25} accept a completion (keywords, tables, columns)\n"
            f"  {'F1':<25} every key")

    @staticmethod
    def _key(name: str) -> str:
        return next((a.keys_text for a in ACTIONS if a.name == name), "")

    @property
    def editor(self) -> SqlEditor:
        return self.query_one(SqlEditor)

    @property
    def results(self) -> ResultsView:
        return self.query_one(ResultsView)

    def focus_default(self) -> None:
        self.editor.focus()

    def database_ready(self) -> None:
        self.refresh_catalog()

    def schema_changed(self) -> None:
        self.refresh_catalog()

    @work(thread=True, group="catalog", exclusive=True, exit_on_error=False)
    def refresh_catalog(self) -> None:
        try:
            catalog = self.backend.catalog()
        except BackendError:
            return
        self.app.call_from_thread(setattr, self.editor, "catalog", catalog)

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "cancel":  # otherwise Esc and Ctrl+C go to the editor
            return self.run is not None and self.backend.IMPLEMENTS_CANCEL
        if action == "export":
            return True if self.results.table is not None else None
        if action == "cancel_export":
            return self.export_job is not None
        return True

    def action_run(self) -> None:
        self._start(self.editor.target())

    def action_run_all(self) -> None:
        self._start(self.editor.target(everything=True))

    def _start(self, statements: list[Statement]) -> None:
        if not self.ready:
            self.notify("The database is still opening; try again in a moment.",
                        severity="warning")
            return
        if self.run is not None:
            self.notify("A statement is running: Esc cancels it.", severity="warning")
            return
        if not statements:
            self.notify("Nothing to run: no statement under the cursor.", severity="warning")
            return
        reasons = [r for r in (destructive_reason(s.text) for s in statements) if r]
        if reasons:
            sql = ";\n".join(s.text for s in statements)

            def answer(yes: bool | None) -> None:
                if yes:
                    self._execute(statements)
                else:
                    self.results.status("[b]Not run[/b]: you declined the confirmation; "
                                        "the editor keeps your text")
                    self.results.notice("Not run: you declined the confirmation, so nothing "
                                        "ran and nothing changed. The editor keeps your "
                                        "text.")

            self.app.push_screen(ConfirmScreen(reasons, sql), answer)
            return
        self._execute(statements)

    def _execute(self, statements: list[Statement]) -> None:
        run = Run(next(_run_ids), statements)
        self.run = run
        self.last_run_id = run.id
        self._history_pos = -1
        self.result_rows = 0
        self._tick()
        self._ticker = self.set_interval(0.25, self._tick)
        self.refresh_bindings()
        self._worker(run)

    def _tick(self) -> None:
        run = self.run
        if run is None:
            return
        n = len(run.statements)
        where = f" (statement {run.index + 1} of {n})" if n > 1 else ""
        if run.cancel_requested:
            self.results.status(f"[b $warning]Cancelling[/]{where} ...")
            return
        elapsed = fmt.seconds(time.monotonic() - run.started)
        rows = f"; {fmt.count(self.result_rows, 'row')} so far" if self.result_rows else ""
        self.results.status(f"[b $accent]Running[/]{where}: {elapsed}{rows}; "
                            f"[b]Esc[/b] cancels")

    def action_cancel(self) -> None:
        run = self.run
        if run is None:
            return
        run.stop = True
        answer = self.backend.cancel()
        if answer.accepted:
            run.cancel_requested = True
            self._tick()
        elif answer.refusal:
            self.notify(f"Cannot cancel now: {answer.refusal}.", severity="warning", timeout=6)
        else:
            self.notify("Too late to cancel: the statement had done its work and is "
                        "finishing (committing); it stands.", severity="warning", timeout=6)

    def action_history(self) -> None:
        history = self.app.history  # type: ignore[attr-defined]

        def picked(sql: str | None) -> None:
            if sql:
                self._load_text(sql)
                self.notify("Loaded from history; Ctrl+Z in the editor restores your text.",
                            timeout=3)

        self.app.push_screen(HistoryScreen(history.search), picked)

    def action_history_back(self) -> None:
        self._step_history(+1)

    def action_history_forward(self) -> None:
        self._step_history(-1)

    def _step_history(self, step: int) -> None:
        recent = self.app.history.recent()  # type: ignore[attr-defined]
        if not recent:
            self.notify("The history is empty.", timeout=2)
            return
        pos = self._history_pos + step
        if pos < -1:
            return
        if pos >= len(recent):
            self.notify("That is the oldest statement in the history.", timeout=2)
            return
        if self._history_pos == -1:
            self._draft = self.editor.text
        self._history_pos = pos
        self._load_text(self._draft or "" if pos == -1 else recent[pos])

    def _load_text(self, sql: str) -> None:
        editor = self.editor
        editor.text = sql
        editor.focus()

    def action_focus_editor(self) -> None:
        self.remove_class("results-focus")
        self.editor.focus()

    def action_focus_results(self) -> None:
        grid = self.results.grid
        if grid is None:
            self.notify("No result to move to yet.", timeout=2)
            return
        grid.focus()

    def action_export(self) -> None:
        table = self.results.table
        if table is None:
            self.notify("There is no result to export.", severity="warning")
            return
        job = self.export_job
        if job is not None:
            self.notify(f"An export is running ({job.written:,} rows written to "
                        f"{job.request.path}): one at a time; F9 cancels it.",
                        severity="warning", timeout=6)
            return
        shown = self.shown_result
        if shown is None or shown.key != self._page_index or shown.total is None:
            self.notify("The statement is still running: export its result once it is done "
                        "(Esc cancels it).", severity="warning")
            return
        from tui.rerun import table_of

        names = list(self.results.names)
        binary = shown.binary or BinarySeen()
        choice = ExportChoice(table.num_rows, shown.total, self._why_not_whole(shown),
                              table_of(shown.sql),
                              tuple(names[i] for i in sorted(binary.ambiguous)))

        def chosen(request: ExportRequest | None) -> None:
            if request is not None:
                self._start_export(request, choice, table, names, shown)

        self.app.push_screen(ExportScreen(choice), chosen)

    def _why_not_whole(self, shown: ShownResult) -> str:
        """Why the whole result cannot be read again ("": it can)."""
        from tui.rerun import why_not_rerun

        if not self.backend.IMPLEMENTS_EXPORT_QUERY:
            return "this database cannot run a query again for an export"
        why = why_not_rerun(shown.sql, self.backend.read_only(shown.sql))
        if why:
            return why
        if self.backend.session_state().in_transaction:
            return ("a transaction is open: the re-run reads on a connection of its own, "
                    "which would not see your uncommitted changes (COMMIT or ROLLBACK first)")
        return ""

    def _start_export(self, request: ExportRequest, choice: ExportChoice, table: pa.Table,
                      names: list[str], shown: ShownResult) -> None:
        if self.export_job is not None:
            self.notify("An export is running: one at a time.", severity="warning")
            return
        whole = request.whole
        if whole:
            what = "the whole result, the database's values: the statement was run again"
        elif choice.complete:
            what = "every row, as displayed in the grid"
        else:
            what = f"the rows shown, of {choice.total:,}, as displayed in the grid"
        job = ExportJob(request, what, choice.total if request.whole else table.num_rows)
        self.export_job = job
        self.mount(ExportProgress("the whole result" if whole else "the rows as displayed",
                                  request.path, job.total))
        self.refresh_bindings()
        self._export(job, table, names, shown)

    def action_cancel_export(self) -> None:
        job = self.export_job
        if job is None or job.cancelled:
            return
        job.cancelled = True
        if job.request.whole:
            self.backend.cancel_export()
        progress = self.query_one_optional(ExportProgress)
        if progress is not None:
            progress.cancelling()

    def busy(self) -> list[str]:
        """What quitting now would stop, in words (the app asks before it does): a running
        statement (cancelled, its changes rolled back) and a running export."""
        out = []
        run = self.run
        if run is not None and not run.cancel_requested:
            st = run.statements[min(run.index, len(run.statements) - 1)]
            shown = fmt.one_line(without_leading_comments(st.text), 120)
            out.append(f"A statement has run for {fmt.seconds(time.monotonic() - run.started)}"
                       f": {shown}. Quitting cancels it: what it changed is rolled back.")
        job = self.export_job
        if job is not None and not job.cancelled:
            of = f" of {job.total:,}" if job.total else ""
            out.append(f"An export is writing {job.request.path} ({job.written:,}{of} rows "
                       "so far). Quitting stops it and removes the partial file.")
        return out

    def on_unmount(self) -> None:
        """The console is closing: a running export stops and removes its partial file
        (its thread would otherwise keep the process alive until the last row)."""
        job = self.export_job
        if job is not None:
            job.cancelled = True
            if job.request.whole:
                self.backend.cancel_export()

    @on(ExportProgress.CancelPressed)
    def _export_cancel_pressed(self, event: ExportProgress.CancelPressed) -> None:
        event.stop()
        self.action_cancel_export()

    class ExportProgressed(Message):
        def __init__(self, job: ExportJob) -> None:
            super().__init__()
            self.job = job

    class ExportEnded(Message):
        def __init__(self, job: ExportJob, state: str, error: str = "") -> None:
            super().__init__()
            self.job, self.state, self.error = job, state, error

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, job: ExportJob, table: pa.Table, names: list[str],
                shown: ShownResult) -> None:
        """Write the file in this thread; rows of the whole result come from the statement
        run again on the export's own connection (`Backend.export_query`), a chunk at a time,
        straight into the file."""
        from contextlib import closing

        from tui.export_file import ExportCancelled, ExportError, table_chunks, write_export

        req = job.request
        last = [0.0]

        def progress(n: int) -> None:
            job.written = n
            now = time.monotonic()
            if now - last[0] >= 0.1:
                last[0] = now
                self.post_message(self.ExportProgressed(job))

        def rerun():
            parts = self.backend.export_query(shown.sql, shown.database)
            with closing(parts):
                for part in parts:
                    if isinstance(part, Columns) and len(part.names) != len(names):
                        raise ExportError(1105, f"the statement now returns "
                                                f"{len(part.names)} columns, not {len(names)}")
                    if isinstance(part, Rows):
                        yield part.rows

        chunks = rerun() if req.whole else table_chunks(table)
        hexes = () if req.whole or shown.binary is None else shown.binary.hex
        try:
            with closing(chunks):
                write_export(req.path, req.format, names, chunks, table=req.table,
                             progress=progress, cancelled=lambda: job.cancelled,
                             hex_columns=hexes)
        except ExportCancelled:
            self.post_message(self.ExportEnded(job, "cancelled"))
        except BackendError as err:
            state = "cancelled" if err.interrupted and job.cancelled else "failed"
            self.post_message(self.ExportEnded(job, state, str(err)))
        except ExportError as err:
            self.post_message(self.ExportEnded(job, "failed", str(err)))
        except Exception as err:  # noqa: BLE001 - said in words, the console stays usable
            self.post_message(self.ExportEnded(job, "failed", str(BackendError.wrap(err))))
        else:
            self.post_message(self.ExportEnded(job, "done"))

    @on(ExportProgressed)
    def _export_progressed(self, msg: ExportProgressed) -> None:
        progress = self.query_one_optional(ExportProgress)
        if progress is not None and msg.job is self.export_job and not msg.job.cancelled:
            progress.advance(msg.job.written)

    @on(ExportEnded)
    def _export_ended(self, msg: ExportEnded) -> None:
        job = msg.job
        if job is not self.export_job:
            return
        self.export_job = None
        for w in self.query(ExportProgress):
            w.remove()
        self.refresh_bindings()
        path = job.request.path
        if msg.state == "done":
            self.notify(f"Exported {fmt.count(job.written, 'row')} ({job.what}) to {path}",
                        title="Export", timeout=8)
        elif msg.state == "cancelled":
            self.notify(f"Export cancelled after {fmt.count(job.written, 'row')}: {path} was "
                        "not written (the partial file is removed).", title="Export",
                        severity="warning", timeout=8)
        else:
            self.notify(f"Export failed: {msg.error}. {path} was not written (the partial "
                        "file is removed).", title="Export", severity="error", timeout=10)

    @on(CellChosen)
    def _cell(self, event: CellChosen) -> None:
        event.stop()
        names = self.results.names
        col = event.coordinate.column
        name = names[col] if col < len(names) else f"column {col + 1}"
        self.app.push_screen(CellScreen(name, event.coordinate.row, event.value))

    def on_descendant_focus(self, event) -> None:
        self.set_class(getattr(event.widget, "SCOPE", "") == "results", "results-focus")

    # -- the worker ----------------------------------------------------------------------------

    @work(thread=True, group="sql", exit_on_error=False)
    def _worker(self, run: Run) -> None:
        from tui.resultset import ResultBuilder

        backend = self.backend
        max_rows = self.app.settings.max_rows  # type: ignore[attr-defined]
        post = self.post_message
        try:
            for i, st in enumerate(run.statements):
                run.index = i
                if run.stop:  # cancelled between two statements: the rest is not run
                    post(self.Cancelled(run.id, i, time.monotonic() - run.started))
                    return
                builder = None
                binary = BinarySeen()
                shown = 0.0
                last = 0.0
                try:
                    for part in backend.execute(st.text):
                        if isinstance(part, Columns):
                            builder = ResultBuilder(part.names, max_rows)
                            if run.stop and not run.cancel_requested:
                                # the cancel came as this statement was starting
                                run.cancel_requested = backend.cancel().accepted
                        elif isinstance(part, Rows) and builder is not None:
                            room = (max_rows - builder.kept) if max_rows else len(part.rows)
                            if room > 0:
                                binary.add(part.rows[:room])
                            builder.add(part.rows)
                            now = time.monotonic()
                            if not shown or (now - shown >= 1.0 and
                                             builder.kept < (max_rows or 1 << 62)):
                                post(self.Page(run.id, i, builder.table(), builder.names,
                                               builder.total, False, binary))
                                shown = last = now
                            elif now - last >= 0.05:
                                post(self.Progress(run.id, i, builder.total))
                                last = now
                        elif isinstance(part, Outcome):
                            if builder is not None:
                                post(self.Page(run.id, i, builder.table(), builder.names,
                                               builder.total, True, binary))
                            post(self.StatementDone(run.id, i, part,
                                                    builder.total if builder else 0,
                                                    builder.kept if builder else 0))
                except BackendError as err:
                    if err.interrupted:
                        post(self.Cancelled(run.id, i, time.monotonic() - run.started))
                    else:
                        post(self.Failed(run.id, i, err))
                    return
                except Exception as err:  # noqa: BLE001 - shown as an error, app stays usable
                    post(self.Failed(run.id, i, BackendError.wrap(err)))
                    return
        finally:
            post(self.RunEnded(run.id))

    # -- handling the worker's messages (UI thread) ------------------------------------------

    def _current(self, run_id: int) -> Run | None:
        run = self.run
        if run is None or run.id != run_id:
            return None
        if getattr(self.app, "closing", False):  # quitting: its widgets are going away
            return None
        return run

    @on(Page)
    def _page(self, msg: Page) -> None:
        run = self._current(msg.run_id)
        if run is None or run.cancel_requested:
            return  # a cancelled run's rows are never shown
        keep = self.results.table is not None and self._page_index == (run.id, msg.index)
        self._page_index = (run.id, msg.index)
        if self.shown_result is None or self.shown_result.key != self._page_index:
            self.shown_result = ShownResult(self._page_index, run.statements[msg.index].text,
                                            self.backend.session_state().database)
        self.shown_result.binary = msg.binary
        self.result_rows = msg.table.num_rows
        self.results.show_table(msg.table, msg.names, keep_position=keep)
        if not msg.final:
            self._tick()

    @on(Progress)
    def _progress(self, msg: Progress) -> None:
        run = self._current(msg.run_id)
        if run is None or run.cancel_requested:
            return
        self.result_rows = msg.total
        self._tick()

    @on(StatementDone)
    def _done(self, msg: StatementDone) -> None:
        run = self._current(msg.run_id)
        if run is None:
            return
        run.state = "done"
        st = run.statements[msg.index]
        o = msg.outcome
        last = msg.index == len(run.statements) - 1
        self._record(st.text, "ok", rows=msg.total if o.names is not None else o.rowcount,
                     seconds=o.seconds)
        n = len(run.statements)
        prefix = f"statement {msg.index + 1} of {n}: " if n > 1 else ""
        note = f"; [b $warning]note[/]: {fmt.markup(o.note)}" if o.note else ""
        warn = f"; {fmt.count(len(o.warnings), 'warning')}" if o.warnings else ""
        took = f"in {fmt.seconds(o.seconds)}"  # first: a narrow status cuts the end
        if o.names is not None:
            shown = self.shown_result
            if shown is not None and shown.key == (run.id, msg.index):
                shown.total = msg.total
            if msg.kept < msg.total:
                counts = (f"[b]Showing {msg.kept:,} of {msg.total:,} rows[/b] (at most "
                          f"{msg.kept:,} kept: --max-rows)")
            else:
                counts = f"[b]{fmt.count(msg.total, 'row')}[/b]"
            self.results.status(f"[b $success]Done[/] {prefix}{took}: {counts}{warn}{note}")
            if msg.total == 0:
                self.results.notice(f"Empty set: the query returned no rows "
                                    f"({len(o.names)} column(s): "
                                    f"{fmt.markup(', '.join(o.names))}).")
        else:
            word = first_keyword(st.text)
            self.results.status(f"[b $success]Done[/] {prefix}{took}: [b]Query OK[/b], "
                                f"{fmt.count(o.rowcount if o.rowcount >= 0 else 0, 'row')} "
                                f"affected{warn}{note}")
            if last:
                shown = fmt.one_line(without_leading_comments(st.text), 200)
                self.results.notice(f"Query OK: {fmt.markup(shown)}\n\n"
                                    f"{fmt.count(max(o.rowcount, 0), 'row')} affected "
                                    f"({fmt.seconds(o.seconds)}).")
            if word in SCHEMA_WORDS:
                self.app.schema_changed()  # type: ignore[attr-defined]

    @on(Failed)
    def _failed(self, msg: Failed) -> None:
        run = self._current(msg.run_id)
        if run is None:
            return
        run.state = "failed"
        st = run.statements[msg.index]
        e = msg.error
        self._record(st.text, "error", error=str(e))
        n = len(run.statements)
        where = f" (statement {msg.index + 1} of {n})" if n > 1 else ""
        if msg.index < n - 1:
            where = f" (statement {msg.index + 1} of {n}; the other {n - msg.index - 1} not run)"
        # short: at 80 columns the status shares its line with the grid's position
        cursor = {"error": "cursor at the error (marked)",
                  "start": "cursor at its start"}.get(
            self.editor.mark_error(st, e.msg), "text unchanged")
        self.results.status(f"[b $error]Error {e.errno}[/]{where}: {cursor}")
        hint = f"\n\n{fmt.markup(e.hint)}" if e.hint else ""
        self.results.error(f"[b]ERROR {e.errno} ({e.sqlstate})[/b]: {fmt.markup(e.msg)}\n\n"
                           f"[dim]in:[/] "
                           f"{fmt.markup(fmt.one_line(without_leading_comments(st.text), 300))}"
                           f"{hint}")

    @on(Cancelled)
    def _cancelled(self, msg: Cancelled) -> None:
        run = self._current(msg.run_id)
        if run is None:
            return
        run.state = "cancelled"
        st = run.statements[msg.index]
        self._record(st.text, "cancelled")
        self.result_rows = 0
        n, i = len(run.statements), msg.index
        if n == 1:
            self.results.status(f"[b $warning]Cancelled[/] after {fmt.seconds(msg.seconds)}: "
                                "no rows kept, nothing changed")
            self.results.notice("Cancelled: the statement's rows were discarded and any "
                                "changes it made were rolled back.")
            return
        # A run of several: the statements before the cancelled one are done and stay so
        # (committed, under autocommit); saying "nothing changed" would be false.
        before = (f"the {fmt.count(i, 'statement')} before it "
                  f"{'stays' if i == 1 else 'stay'} done") if i else ""
        after = f"the {n - i - 1} after it did not run" if n - i - 1 else ""
        rest = "; ".join(x for x in (before, after) if x)
        self.results.status(f"[b $warning]Cancelled[/] after {fmt.seconds(msg.seconds)} "
                            f"(statement {i + 1} of {n}): it changed nothing"
                            f"{'; ' + rest if rest else ''}")
        self.results.notice(f"Cancelled: statement {i + 1}'s rows were discarded and any "
                            "changes it made were rolled back."
                            + (f" {rest[0].upper()}{rest[1:]}." if rest else ""))

    @on(RunEnded)
    def _ended(self, msg: RunEnded) -> None:
        if self._current(msg.run_id) is None:
            return
        self.run = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.refresh_bindings()
        self.app.session_changed()  # type: ignore[attr-defined]

    def _record(self, sql: str, status: str, rows: int | None = None,
                seconds: float | None = None, error: str = "") -> None:
        app = self.app
        state = app.backend.session_state()  # type: ignore[attr-defined]
        app.history.add(Entry(sql=without_leading_comments(sql), database=state.database,  # type: ignore[attr-defined]
                              path=app.backend.path, status=status, rows=rows,  # type: ignore
                              seconds=seconds, error=error))

