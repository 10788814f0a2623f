"""The recovery history in the Recovery tab: one row per open that had to recover or was
forced (information_schema.RECOVERY_HISTORY), and a dialog with every column of one row.

The list shows a few columns, worded; the dialog shows them all, LSNs in both forms and
times as dates, so that a past recovery can be read without writing SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import text as fmt
from tui.screens import MODAL_CSS

# pictures freeze the dates shown (the snapshot tests set it, like tui.text.FROZEN_SECONDS)
FROZEN_TIME: str | None = None

EXPLAIN_WIDTH = 110  # the dialog says what each column means from this terminal width
LSN_COLUMNS = {"CHECKPOINT_LSN", "END_LSN"}
TIME_COLUMNS = {"START_TIME", "END_TIME"}
LIST_COLUMNS = {"SKIPPED_TABLES", "MISSING_TABLESPACES"}  # "a,b" in the table
# the list's columns: (heading, column).  The outcome comes right after what the open was
# (for a forced open it is what matters), worded short (`short_outcome`; Enter shows it
# whole); the numbers follow, where a narrow list may cut them.
LISTED = [("id", "ID"), ("started", "START_TIME"), ("reason", "REASON"),
          ("force", "FORCE_RECOVERY"), ("outcome", "OUTCOME"), ("applied", "RECORDS_APPLIED"),
          ("rolled back", "TRANSACTIONS_ROLLED_BACK")]
SHORT_REASON = {"discard-damaged-log": "discard log"}
EXPLAINED = {
    "ID": "the history row's number",
    "START_TIME": "when the open began",
    "END_TIME": "when the database was open",
    "REASON": "crash, forced (--force-recovery) or discard-damaged-log",
    "CHECKPOINT_LSN": "where the redo scan started",
    "END_LSN": "the end of the log after recovery",
    "RECORDS_SCANNED": "redo records read",
    "RECORDS_APPLIED": "row operations re-applied to the tablespaces",
    "TRANSACTIONS_ROLLED_BACK": "transactions open at the crash, cleaned up",
    "ROWS_DISCARDED": "their row operations, discarded",
    "FORCE_RECOVERY": "the --force-recovery level (0: a normal open)",
    "SKIPPED_LSN_RANGE": "redo a forced open could not apply",
    "OUTCOME": "how the open ended",
    "SKIPPED_COMMITS": "committed transactions in or after the skipped redo",
    "SKIPPED_TABLES": "the tables those transactions touched",
    "MISSING_TABLESPACES": "tables opened without their file",
}


def when(value: object) -> str:
    """A time column (UNIX seconds, or a datetime) as a local date and time."""
    if FROZEN_TIME is not None:
        return FROZEN_TIME
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (int, float)) and value > 0:
        return dt.datetime.fromtimestamp(float(value)).strftime("%Y-%m-%d %H:%M:%S")
    return "-" if value in (None, 0, "") else str(value)


def cell(name: str, value: object) -> str:
    """A value of the list, short (a time without its year and seconds: the dialog has
    them)."""
    if name in TIME_COLUMNS:
        return when(value)[5:16]
    if name == "REASON" and isinstance(value, str):
        return SHORT_REASON.get(value, value)
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def detail(name: str, value: object) -> str:
    """A value of the dialog, whole."""
    if name in LSN_COLUMNS and isinstance(value, int):
        return fmt.lsn(value)
    if name in TIME_COLUMNS:
        shown = when(value)
        return f"{shown} UTC" if isinstance(value, dt.datetime) else shown
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value)) or "(none)"
    if name in LIST_COLUMNS and isinstance(value, str) and value:
        return ", ".join(value.split(","))
    if value in (None, ""):
        return "(none)"
    return cell(name, value)


def _number(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def short_outcome(values: dict[str, object]) -> str:
    """OUTCOME in a few words, from the row's columns: the engine's sentence ("read-only:
    25 committed transaction(s) in lsn 21756848-23207053 not applied; ...") does not fit
    a list beside the log, and its first words are the same for every forced open."""
    text = str(values.get("OUTCOME") or "")
    commits = _number(values.get("SKIPPED_COMMITS"))
    skipped = commits or bool(values.get("SKIPPED_LSN_RANGE"))
    missing = values.get("MISSING_TABLESPACES")
    files = len(missing.split(",")) if isinstance(missing, str) and missing \
        else len(missing) if isinstance(missing, (tuple, list)) else 0
    if values.get("REASON") == "discard-damaged-log":
        short = f"log cut, {fmt.count(commits, 'commit')} lost" if commits \
            else "log cut, writable"
    elif _number(values.get("FORCE_RECOVERY")) > 0:
        short = f"{fmt.count(commits, 'commit')} NOT applied" if skipped \
            else "" if files else "nothing skipped"
    elif text == "recovered" or not text:
        short = text or "-"
    else:
        return text  # an outcome this list does not know: the engine's words
    if not files:
        return short
    return ", ".join(filter(None, [short, f"{fmt.count(files, 'file')} missing"]))


def listed_rows(names: Sequence[str], rows: Sequence[tuple]) -> tuple[list[str], list[list[str]]]:
    """The list's headings and cells (the columns the table has, of those listed)."""
    index = {n.upper(): i for i, n in enumerate(names)}
    cols = [(h, c) for h, c in LISTED if c in index]
    out = []
    for row in rows:
        values = {n: row[i] for n, i in index.items()}
        out.append([short_outcome(values) if c == "OUTCOME" else cell(c, row[index[c]])
                    for _h, c in cols])
    return [h for h, _c in cols], out


def took(names: Sequence[str], row: tuple) -> str:
    index = {n.upper(): i for i, n in enumerate(names)}
    try:
        start, end = row[index["START_TIME"]], row[index["END_TIME"]]
    except KeyError:
        return ""
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        return fmt.seconds((end - start).total_seconds())
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end >= start:
        return fmt.seconds(end - start)
    return ""


class RecoveryDetailScreen(ModalScreen[None]):
    """Every column of one recovery history row."""

    DEFAULT_CSS = MODAL_CSS.format(name="RecoveryDetailScreen") + """
    RecoveryDetailScreen VerticalScroll { height: auto; max-height: 30; }
    """
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", key_display="Esc")]

    def __init__(self, names: Sequence[str], row: tuple) -> None:
        super().__init__()
        self.names = list(names)
        self.row = row

    def pairs(self) -> list[tuple[str, str]]:
        return [(n, detail(n.upper(), v)) for n, v in zip(self.names, self.row, strict=False)]

    def compose(self) -> ComposeResult:
        values = dict(self.pairs())
        head = f"Recovery #{values.get('ID', '?')}: {values.get('REASON', '')}"
        duration = took(self.names, self.row)
        explain = self.app.size.width >= EXPLAIN_WIDTH  # no room on a small terminal
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), expand=True)
        table.add_column("column", style="bold", no_wrap=True)
        table.add_column("value", no_wrap=not explain, ratio=None if explain else 1)
        if explain:
            table.add_column("meaning", style="dim", ratio=1)
        for name, value in self.pairs():
            meaning = [EXPLAINED.get(name.upper(), "")] if explain else []
            table.add_row(name, value, *meaning)
        with Vertical():
            yield Static(head, classes="title")
            with VerticalScroll():
                yield Static(table, id="recovery-detail")
            hint = f"The open took {duration}. " if duration else ""
            yield Static(f"{hint}Esc or Enter closes.", classes="hint")

    def text(self) -> str:
        """Every column as shown (tests)."""
        return "\n".join(f"{n}: {v}" for n, v in self.pairs())

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
