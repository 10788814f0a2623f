"""The Recovery tab's list of redo apply batches: number, records, LSN range, status.

The apply bar shows only the current (or last) batch; a DBA watching a long recovery wants
to see the batches go by, and afterwards how the log was cut.  The list keeps the last few
batches as rows (a 5M-record log is dozens of batches) and sums up the earlier ones on one
line, "+N earlier", so that it stays a few lines high beside the other lists.

`Batches` is plain data (tested on its own); `BatchList` is the widget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

import core.events as ev
from core.events.wording import format_lsn

SHOWN = 4  # batches listed as rows; the earlier ones are one "+N earlier" line
HEADINGS = ["batch", "records", "LSN range", "status"]
Fill = Callable[[DataTable, list[str], list[list[str]]], None]


def lsn_range(start: int, end: int) -> str:
    """As the apply bar writes it: 0/14EFC0A..0/1621CA7."""
    return f"{format_lsn(start)}..{format_lsn(end)}" if end else "-"


@dataclass
class Batch:
    """One apply batch as the events told it."""

    number: int
    records: int = 0
    start_lsn: int = 0
    end_lsn: int = 0
    percent: int = 0
    done: bool = False

    @property
    def status(self) -> str:
        return "completed" if self.done else f"applying {self.percent}%"

    def cells(self) -> list[str]:
        return [str(self.number), f"{self.records:,}", lsn_range(self.start_lsn, self.end_lsn),
                self.status]


@dataclass
class Batches:
    """Every batch of this open, by number."""

    batches: dict[int, Batch] = field(default_factory=dict)

    def note(self, e: ev.Event) -> bool:
        """Take an event; True when it changed the list."""
        match e:
            case ev.RedoApplyBatch():
                b = self._get(e.batch)
                b.records, b.start_lsn, b.end_lsn = e.records, e.start_lsn, e.end_lsn
            case ev.RedoApplyProgress():
                b = self._get(e.batch)
                b.percent = max(b.percent, e.percent)
            case ev.RedoApplyBatchDone():
                b = self._get(e.batch)
                b.records = b.records or e.records
                b.percent, b.done = 100, True
            case ev.RecoveryFinished() if self.batches:
                for b in self.batches.values():  # the open is over: no batch is still running
                    b.percent, b.done = 100, True
            case _:
                return False
        return True

    def _get(self, number: int) -> Batch:
        return self.batches.setdefault(number, Batch(number))

    def rows(self, most: int = SHOWN) -> list[Batch]:
        """The last `most` batches, in order."""
        ordered = [self.batches[n] for n in sorted(self.batches)]
        return ordered[-most:] if most > 0 else []

    def earlier(self, most: int = SHOWN) -> str:
        """The batches before the rows, summed up on one line ("" when there are none)."""
        ordered = [self.batches[n] for n in sorted(self.batches)]
        hidden = ordered[:-most] if most > 0 else ordered
        if not hidden:
            return ""
        first, last = hidden[0], hidden[-1]
        records = sum(b.records for b in hidden)
        numbers = f"batch {first.number}" if len(hidden) == 1 \
            else f"batches {first.number}-{last.number}"
        state = "completed" if all(b.done for b in hidden) else "not all completed"
        return (f"+{len(hidden)} earlier ({numbers}: {records:,} records, "
                f"{lsn_range(first.start_lsn, last.end_lsn)}, {state})")


class BatchList(Vertical):
    """The last few batches as a table, the earlier ones summed up above it."""

    DEFAULT_CSS = """
    BatchList { height: auto; }
    BatchList .note { height: auto; color: $text-muted; padding: 0 1; }
    BatchList DataTable { height: 1; overflow-x: hidden; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = Batches()
        self._shown: tuple | None = None  # the cells and the "earlier" line shown

    def compose(self) -> ComposeResult:
        yield Static("None yet.", id="recovery-batches-note", classes="note")
        yield DataTable(id="recovery-batches", cursor_type="none", show_cursor=False,
                        zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.can_focus = False
        table.display = False

    def note(self, events: list[ev.Event], fill: Fill) -> None:
        """Take the events; `fill` is the panes' table filler (`tui.panes.base.fill_table`:
        widths measured at once, not on idle)."""
        changed = False
        for e in events:
            changed = self.model.note(e) or changed
        if changed:
            self.show(fill)

    def show(self, fill: Fill) -> None:
        """The table is filled again only when a cell changed (a batch's 10% steps)."""
        rows = self.model.rows()
        table = self.query_one(DataTable)
        note = self.query_one("#recovery-batches-note", Static)
        if not rows:
            return
        cells = [b.cells() for b in rows]
        earlier = self.model.earlier()
        if self._shown is not None and (cells, earlier) == self._shown:
            return
        old_cells, old_earlier = self._shown or ([], None)
        self._shown = (cells, earlier)
        if [[len(c) for c in row] for row in old_cells] == [[len(c) for c in row]
                                                             for row in cells]:
            # the same batches, only their percentages changed: the cells are updated in
            # place (a DataTable filled again costs milliseconds); a change of width (a
            # batch completed) fills it again, with widths measured from the new text
            for row, (was, now) in enumerate(zip(old_cells, cells, strict=True)):
                for column, (a, b) in enumerate(zip(was, now, strict=True)):
                    if a != b:
                        table.update_cell_at((row, column), b)
        else:
            fill(table, HEADINGS, cells)
            table.styles.height = len(rows) + 1  # heading and rows: measured here, not on idle
            table.display = True
        if earlier != old_earlier:
            note.display = bool(earlier)
            note.update(earlier)

    def settled(self, text: str) -> None:
        """The open is over: say so when no batch was reported."""
        if not self.model.batches:
            self.query_one("#recovery-batches-note", Static).update(text)

    def shown_text(self) -> str:
        """The list as shown, plain (tests)."""
        table = self.query_one(DataTable)
        lines = [str(self.query_one("#recovery-batches-note", Static).render())] \
            if self.query_one("#recovery-batches-note", Static).display else []
        if table.display:
            lines += ["  ".join(map(str, table.get_row_at(i))) for i in range(table.row_count)]
        return "\n".join(lines)
