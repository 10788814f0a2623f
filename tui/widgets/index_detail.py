"""The Indexes tab's lower box: the highlighted index's whole picture (its counts, what the
one-key repair would do, the last repair and its re-check) and the sample rows that
disagree, row values beside index values."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui import text as fmt
from tui.backend.base import IndexEntry, TableIndexes
from tui.widgets.index_board import Finding, RepairDone
from tui.widgets.index_plan import RepairPlan, counts_text

FROZEN_TIME: str | None = None  # every check time shown, when set (snapshot tests)
KIND_WORDS = {"missing": "missing entry", "dangling": "dangling entry",
              "mismatched": "wrong values"}


def when_text(when: dt.datetime | None) -> str:
    if when is not None and FROZEN_TIME is not None:
        return FROZEN_TIME
    return when.strftime("%Y-%m-%d %H:%M") if when else "-"


def result_words(f: Finding | None) -> str:
    """The result in words (the colour only repeats it)."""
    if f is None or not f.result:
        return "never checked"
    if f.result in ("inconsistent", "repaired", "consistent") and f.damaged:
        parts = [f"{n:,} {w}" for n, w in ((f.missing, "missing"), (f.dangling, "dangling"),
                                           (f.mismatched, "mismatched")) if n]
        return "inconsistent: " + ", ".join(parts)
    return f.result


def result_style(f: Finding | None, colours: dict[str, str]) -> str:
    if f is None or not f.result:
        return colours.get("muted", "")
    if f.damaged or f.result in ("inconsistent", "failed"):
        return f"bold {colours.get('error', 'red')}"
    if f.result in ("consistent", "repaired"):
        return colours.get("success", "green")
    return colours.get("warning", "yellow")  # cancelled


def values_text(values: tuple[str, ...] | None) -> str:
    return "(none)" if values is None else ", ".join(values)


class IndexDetail(Vertical):
    DEFAULT_CSS = """
    IndexDetail { height: auto; max-height: 50%; border: round $secondary 40%;
        border-title-color: $text-secondary; padding: 0 1; }
    IndexDetail #index-detail-text { height: auto; }
    IndexDetail #index-samples { height: auto; max-height: 7; margin: 1 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="index-detail-text")
        table = DataTable(id="index-samples", cursor_type="none", show_cursor=False,
                          zebra_stripes=True)
        table.can_focus = False
        yield table

    def on_mount(self) -> None:
        self.border_title = "Selected index"
        self.query_one("#index-samples", DataTable).display = False

    def show(self, table: TableIndexes | None, entry: IndexEntry | None,
             finding: Finding | None, plan: RepairPlan | None, repair: RepairDone | None,
             colours: dict[str, str], *, read_only: bool = False, busy: bool = False,
             note: str = "") -> None:
        samples = self.query_one("#index-samples", DataTable)
        text = Text()
        if table is None:
            self.border_title = "Selected index"
            text.append("No table selected." if not note else note)
            samples.display = False
            self.query_one("#index-detail-text", Static).update(text)
            return
        self.border_title = f"{table.name}.{entry.name}" if entry else table.name
        if entry is None:
            text.append("No index: the rows are keyed by a hidden row id, there is nothing "
                        "to check against them.", style=colours.get("muted", ""))
        elif not entry.checkable:
            cols = ", ".join(entry.columns)
            text.append(f"PRIMARY KEY ({cols}): the rows' own key, not a separate index. "
                        "Its entries are the rows, which every secondary index is checked "
                        "against.", style=colours.get("muted", ""))
        else:
            self._index_text(text, table, entry, finding, plan, repair, colours,
                             read_only=read_only, busy=busy)
        if note:
            text.append("\n" + note)
        self.query_one("#index-detail-text", Static).update(text)
        rows = list(finding.samples) if finding is not None and entry is not None \
            and entry.checkable and finding.damaged else []
        if rows:
            samples.clear(columns=True)
            headers = ["disagreement", "handle", "row values", "index values"]
            cells = [[KIND_WORDS.get(s.kind, s.kind), s.handle, values_text(s.row_values),
                      values_text(s.index_values)] for s in rows]
            for i, h in enumerate(headers):
                width = max(len(h), *(len(c[i]) for c in cells))
                samples.add_column(h, width=min(width, 40))
            for c in cells:
                samples.add_row(*(Text(v) for v in c))
            samples.styles.height = min(len(rows) + 1, 7)
            samples.display = True
        else:
            samples.display = False

    def _index_text(self, text: Text, table: TableIndexes, entry: IndexEntry,
                    finding: Finding | None, plan: RepairPlan | None,
                    repair: RepairDone | None, colours: dict[str, str], *, read_only: bool,
                    busy: bool) -> None:
        kind = "UNIQUE" if entry.unique else "INDEX"
        text.append(f"{kind} ({', '.join(entry.columns)})  ", style="bold")
        counted = finding is not None and finding.result not in ("", "cancelled", "failed")
        word = result_words(finding)
        if counted and finding.damaged:
            word = "inconsistent"  # the counts follow
        elif counted and finding.result == "repaired":
            word = "repaired, consistent"
        text.append(word, style=result_style(finding, colours))
        if counted:
            text.append(f" · {finding.rows_scanned:,} rows, {finding.entries_scanned:,} "
                        f"entries: {finding.missing:,} missing, {finding.dangling:,} "
                        f"dangling, {finding.mismatched:,} mismatched")
        if finding is not None and finding.when:
            by = (f" (re-check of {finding.operation.upper()} INDEX)"
                  if finding.operation in ("recover", "cleanup", "repair") else "")
            text.append(f" · checked {when_text(finding.when)}{by}",
                        style=colours.get("muted", ""))
        if repair is not None:
            text.append("\nLast repair: ", style="bold")
            text.append(f"{repair.statement} → {counts_text(repair.counts)} "
                        f"({fmt.seconds(repair.seconds)}). ")
            after = repair.after
            if after is None:
                text.append("Re-check: could not run.", style=colours.get("warning", ""))
            elif not after.damaged:
                text.append(f"Re-check: consistent ({after.rows_scanned:,} rows, "
                            f"{after.entries_scanned:,} entries).",
                            style=f"bold {colours.get('success', 'green')}")
            else:
                text.append(f"Re-check: still {result_words(after)}.",
                            style=f"bold {colours.get('error', 'red')}")
        if plan is not None and not busy:
            text.append("\n")
            if read_only:
                text.append("Read-only (forced recovery): a repair writes, so it is refused "
                            f"here; it would be {plan.verb} INDEX ({plan.short}).",
                            style=colours.get("warning", ""))
            else:
                text.append("f", style="bold reverse")
                text.append(f" repairs it: {plan.verb} INDEX {plan.short} (asks first).")
        elif finding is None or not finding.result:
            text.append("\n")
            text.append("c", style="bold reverse")
            text.append(" checks this table, ")
            text.append("a", style="bold reverse")
            text.append(" every table.")
        elif finding.result == "consistent" and repair is None:
            text.append("\nEvery row has its entry and every entry its row, with the same "
                        "values.", style=colours.get("muted", ""))
        if finding is not None and finding.damaged and not finding.samples:
            text.append("\nSample rows: the record keeps counts only; c checks again and "
                        "lists them.", style=colours.get("muted", ""))
