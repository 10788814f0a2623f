"""DDL Jobs: every schema change is a job row (`information_schema.ddl_jobs`).

For now a list of the jobs with their states and the statement of the selected one; the DDL
jobs issue adds live progress with an ETA, and pause / resume / cancel on keys.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui import actions
from tui.backend.base import TableData
from tui.panes.base import RefreshingPane, coming, fill_table

actions.scope("ddl", "DDL Jobs tab")
ACTIONS = actions.register(
    actions.Action("ddl", "refresh", "r,f5", "Refresh", "DDL jobs: read the job list again"),
)

COLUMNS = [  # (source column, heading)
    ("JOB_ID", "job"), ("DB_NAME", "database"), ("TABLE_NAME", "table"),
    ("JOB_TYPE", "type"), ("SCHEMA_STATE", "schema state"), ("STATE", "state"),
    ("ROW_COUNT", "rows"), ("START_TIME", "started"), ("END_TIME", "ended"),
]
DONE_STATES = ("synced", "cancelled", "rollback done")


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return str(v)


class DdlJobsPane(RefreshingPane[TableData]):
    TITLE = "DDL Jobs"
    ID = "ddl"
    ORDER = 20
    SCOPE = "ddl"
    BINDINGS = actions.bindings("ddl")
    LOAD_ERROR_TITLE = "DDL jobs"

    DEFAULT_CSS = """
    DdlJobsPane #jobs { height: 1fr; }
    DdlJobsPane #job-query { height: auto; max-height: 6; padding: 0 1;
        border: round $secondary 40%; border-title-color: $text-secondary; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data = TableData([], [])

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the database ...", id="jobs-summary", classes="summary")
        yield DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        q = Static("", id="job-query")
        q.border_title = "Statement of the selected job"
        yield q
        yield coming("live progress of running jobs (rows done, percent, ETA) and "
                     "ADMIN PAUSE / RESUME / CANCEL DDL JOBS on keys.")

    def fetch(self) -> TableData:
        return self.backend.ddl_jobs()

    def show(self, data: TableData) -> None:
        self.data = data
        pos = {n: i for i, n in enumerate(data.names)}
        states: Counter[str] = Counter()
        rows = []
        for row in data.rows:
            states[row[pos["STATE"]]] += 1
            rows.append([_cell(row[pos[c]]) if c in pos else "-" for c, _h in COLUMNS])
        fill_table(self.query_one("#jobs", DataTable), [h for _c, h in COLUMNS], rows,
                   keys=[str(row[pos["JOB_ID"]]) for row in data.rows])
        running = sum(n for s, n in states.items() if s not in DONE_STATES)
        parts = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        self.query_one("#jobs-summary", Static).update(
            f"[b]{len(data.rows)} job(s)[/b]: {parts or 'none yet'}; "
            f"[b]{running} running[/b] (newest first)")
        self._show_query(0)

    @on(DataTable.RowHighlighted, "#jobs")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_query(event.cursor_row)

    def _show_query(self, index: int) -> None:
        query = self.query_one("#job-query", Static)
        if not self.data.rows or index >= len(self.data.rows):
            query.update("(no job selected)")
            return
        pos = {n: i for i, n in enumerate(self.data.names)}
        row = self.data.rows[index]
        query.update(str(row[pos["QUERY"]]) if "QUERY" in pos else "")
