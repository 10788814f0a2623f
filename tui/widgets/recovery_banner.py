"""The read-only banner of a forced open: what could not be applied, and what to do next.

A forced open (`--force-recovery N`, N >= 1) that skipped damaged redo used to say
"Recovered ... The database is open", with the only hint scrolled away in the log.  The
banner says it in words (not only in colour), from the RedoSkipped / TablespaceMissing
events while the open runs and from the open's history record (`DatabaseStatus.recovery`)
once it is done.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from textual.content import Content
from textual.widgets import Static

import core.events as ev
from core.events.wording import format_lsn
from core.status import RecoveryRecord


@dataclass
class ForcedSummary:
    """What a forced open could not do, gathered from the events or the history record."""

    level: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)
    commits: int = 0
    tables: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def note(self, e: ev.Event) -> None:
        match e:
            case ev.RecoveryStarted(force_recovery=level) if level:
                self.level = max(self.level, level)
            case ev.RedoSkipped():
                self.level = max(self.level, e.force_recovery)
                self.ranges.append((e.from_lsn, e.to_lsn))
                self.commits += e.commits
                self.tables += [t for t in e.tables if t not in self.tables]
            case ev.TablespaceMissing(table=table) if table not in self.missing:
                self.missing.append(table)

    def take_record(self, record: RecoveryRecord) -> None:
        """The open's history record is the final word: it replaces what the events said."""
        self.level = max(self.level, record.force_recovery)
        ranges = parse_range(record.skipped_lsn_range)
        if ranges:
            self.ranges = ranges
        self.commits = max(self.commits, record.skipped_commits)
        self.tables = list(record.skipped_tables) or self.tables
        self.missing = list(record.missing_tablespaces) or self.missing

    @property
    def redo_skipped(self) -> bool:
        """Redo was not applied (a missing tablespace alone is not that)."""
        return bool(self.ranges or self.commits)

    def range_text(self) -> str:
        return ", ".join(f"lsn {a:,} ({format_lsn(a)}) to {b:,} ({format_lsn(b)})"
                         for a, b in self.ranges)

    def title(self) -> str:
        return f"READ-ONLY: FORCED RECOVERY (--force-recovery {self.level})"

    def lines(self, directory: str) -> list[Content]:
        """The banner's text under its title: what was not applied, what to do next."""
        out = []
        if self.redo_skipped:
            where = f"redo from {self.range_text()}" if self.ranges else "damaged redo"
            tables = ", ".join(self.tables) if self.tables else "tables unknown"
            out.append(Content.assemble(
                ("NOT APPLIED: ", "bold $error"), f"{where}: ",
                (f"{self.commits:,} committed transaction(s) missing", "bold"),
                f" (tables touched: {tables})."))
        else:
            out.append(Content("Nothing was skipped: every committed transaction in the log "
                               "was applied."))
        if self.missing:
            out.append(Content.assemble(
                ("MISSING TABLESPACES: ", "bold $error"), ", ".join(self.missing),
                " (opened without their files; queries on them fail with ERROR 1812)."))
        out.append(Content.assemble("Writes fail with ERROR 1881. ", ("Next: ", "bold"),
                                    *self.advice(shlex.quote(directory))))
        return out

    def advice(self, d: str) -> list[str | tuple[str, str]]:
        """What to do next, from what happened: each path is one that works (the discard
        of a damaged log fails with 1210 when no redo was skipped, so a missing tablespace
        alone is not sent there)."""
        flag = f"--force-recovery {self.level}"
        redo = self.redo_skipped
        cmd = "bold $accent"
        dump = (f"kintsugi dump {d} {flag} > dump.sql", cmd)
        load = ("kintsugi sql NEWDIR --create < dump.sql", cmd)
        if self.level >= 6 and redo:  # the redo is not damaged: it was not applied at all
            return ["level 6 applied no redo; open without ", ("--force-recovery", cmd),
                    " to apply it (or with ", ("--force-recovery 1", cmd),
                    " if that fails)."]
        if redo and not self.missing:
            return [dump, " saves what is readable, then ",
                    (f"kintsugi recover {d} {flag} --discard-damaged-log", cmd),
                    " ends the log at the damage and opens it writable."]
        if redo:
            return [dump, " saves what is readable; load it into a new directory (", load,
                    "), or find the missing file(s), open with ",
                    ("--scan-directories DIR", cmd), " and then end the log at the damage "
                    "with ", (f"kintsugi recover {d} {flag} --discard-damaged-log", cmd), "."]
        if self.missing:
            return ["find the missing file(s) and open with ", ("--scan-directories DIR", cmd),
                    ", or save what is readable with ", dump,
                    " and load it into a new directory (", load, ")."]
        return ["the data is complete; reopening without ", ("--force-recovery", cmd),
                " is safe and writable."]


def parse_range(text: str) -> list[tuple[int, int]]:
    """"A-B" (several separated by commas) as LSN pairs; "" or anything else is none."""
    out = []
    for part in (text or "").replace(" ", "").split(","):
        a, sep, b = part.partition("-")
        if sep and a.isdigit() and b.isdigit():
            out.append((int(a), int(b)))
    return out


class ForcedBanner(Static):
    """Hidden until the open is known to be forced.  Its title says READ-ONLY in words; the
    border is the colour."""

    DEFAULT_CSS = """
    ForcedBanner { height: auto; display: none; border: heavy $error;
        border-title-color: $text; border-title-background: $error;
        border-title-style: bold; padding: 0 1; }
    ForcedBanner.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.summary = ForcedSummary()
        self.text = ""

    def show_summary(self, directory: str) -> None:
        if not self.summary.level:
            return
        self.border_title = self.summary.title()
        lines = self.summary.lines(directory)
        self.text = "\n".join([self.summary.title(), *(line.plain for line in lines)])
        self.update(Content("\n").join(lines))
        self.add_class("-shown")
