"""The Indexes tab's lower box: the highlighted index's whole picture (its counts, what the
one-key repair would do, the last repair and its re-check) and the sample rows that
disagree, row values beside index values."""

from __future__ import annotations

import datetime as dt
import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tui import text as fmt
from tui.backend.base import IndexEntry, TableIndexes
from tui.widgets.index_board import Finding, RepairDone
from tui.widgets.index_plan import UNKNOWN_COUNTS, RepairPlan, counts_text

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
    if f.unknown_counts:
        return "inconsistent: counts unknown"
    if f.cancelled_repair:
        return "unknown: repair cancelled"
    if f.result == "failed" and f.errno == 1877:
        return "failed: damaged row (1877)"
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


KIND = re.compile(r"^Kind([A-Za-z0-9]+) (.*)$", re.S)
QUOTED_KINDS = {"String", "MysqlTime", "MysqlDuration", "MysqlEnum", "MysqlSet", "MysqlJSON"}


def plain_value(value: str) -> str:
    """One value as SQL shows it ('Osaka', 1341, NULL) from TiDB's `Datum.String()`
    rendering (`KindString Osaka`) that the samples carry: the grid is read by people, the
    8223 text elsewhere keeps TiDB's form for those who compare it with TiDB's."""
    m = KIND.match(value)
    if m is None:
        return value
    kind, rest = m.groups()
    if kind == "Null":
        return "NULL"
    if kind in QUOTED_KINDS:
        return "'" + rest.replace("'", "''") + "'"
    if kind == "Bytes" and rest.startswith("[") and rest.endswith("]"):
        try:
            return "0x" + bytes(int(b) for b in rest[1:-1].split()).hex().upper()
        except ValueError:
            return rest
    return rest


def damaged_row_advice(name: str, table: str, directory: str = "DIR") -> str:
    """What to do when a table's check fails with 1877: the check, and every repair, read
    the rows, and one of them fails its checksum, so checking again or repairing the index
    cannot help; finding the row and saving the good ones can."""
    return (f"{name} has a damaged row (ERROR 1877): an index repair cannot help, it reads "
            f"the rows too. CHECK TABLE {table} shows the row; `kintsugi dump {directory} "
            "--force-recovery 1 > rescue.sql` saves every good row (README: Crash recovery).")


def values_text(values: tuple[str, ...] | None) -> str:
    return "(none)" if values is None else ", ".join(plain_value(v) for v in values)


class IndexDetail(VerticalScroll):
    """Sized to fit its text and the (at most 3) sample rows up to 60% of the pane; past
    that it scrolls: Tab focuses it (its border lights up) and the arrows scroll it."""

    DEFAULT_CSS = """
    IndexDetail { height: auto; max-height: 60%; border: round $secondary 40%;
        border-title-color: $text-secondary; padding: 0 1; }
    IndexDetail:focus { border: round $accent; }
    IndexDetail #index-detail-text { height: auto; }
    IndexDetail #index-samples { height: auto; margin: 1 0 0 0; }
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
             note: str = "", directory: str = "DIR") -> None:
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
                             read_only=read_only, busy=busy, directory=directory)
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
            samples.styles.height = len(rows) + 1
            samples.display = True
        else:
            samples.display = False

    def _index_text(self, text: Text, table: TableIndexes, entry: IndexEntry,
                    finding: Finding | None, plan: RepairPlan | None,
                    repair: RepairDone | None, colours: dict[str, str], *, read_only: bool,
                    busy: bool, directory: str) -> None:
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
            text.append(f" · {fmt.count(finding.rows_scanned, 'row')}, "
                        f"{fmt.count(finding.entries_scanned, 'entry', 'entries')}: ")
            if finding.unknown_counts:
                text.append(UNKNOWN_COUNTS, style=colours.get("warning", ""))
            else:
                text.append(f"{finding.missing:,} missing, {finding.dangling:,} dangling, "
                            f"{finding.mismatched:,} mismatched")
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
                text.append(f"Re-check: consistent ({fmt.count(after.rows_scanned, 'row')}, "
                            f"{fmt.count(after.entries_scanned, 'entry', 'entries')}).",
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
        elif finding is not None and finding.cancelled_repair:
            text.append(f"\n{finding.operation.upper()} INDEX was cancelled: the batches it "
                        "committed stay, so what is left to repair is unknown until the index "
                        "is checked again (", style=colours.get("warning", ""))
            text.append("c", style="bold reverse")
            text.append(").", style=colours.get("warning", ""))
        elif finding is not None and finding.result == "failed" and finding.errno == 1877:
            text.append("\n" + damaged_row_advice(table.name, table.table, directory),
                        style=colours.get("error", ""))
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
