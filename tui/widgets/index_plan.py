"""Which statement repairs an index, and what it will change, in words, before it runs.

TiDB repairs blind: RECOVER INDEX adds what rows lack, CLEANUP INDEX removes entries whose
row is gone, and neither touches an entry holding the wrong values.  The console picks the
one statement that fixes what the last check found, and says exactly what it will do:

* only missing entries: ``ADMIN RECOVER INDEX`` (adds them; TiDB's statement);
* only dangling entries: ``ADMIN CLEANUP INDEX`` (removes them; TiDB's statement);
* a mismatched entry, or missing and dangling together: ``ADMIN REPAIR INDEX``
  (KintsugiDB's: removes every entry no row needs, then adds every entry a row needs).

Nothing here imports Textual: the pane, its confirmation and the tests share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.events import IndexSample
from tui import text as fmt

SHOWN_HANDLES = 5  # handles named in a sentence; the rest are counted
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def ident(name: str) -> str:
    """An identifier as SQL: bare when it can be, else in backquotes."""
    return name if PLAIN.match(name) else "`" + name.replace("`", "``") + "`"


def table_sql(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


def check_sql(schema: str, table: str, index: str | None = None) -> str:
    """The whole picture of a table (or one index): one row per index, every count."""
    tail = f" {ident(index)}" if index else ""
    return f"ADMIN SHOW INDEX INCONSISTENCIES {table_sql(schema, table)}{tail}"


@dataclass(frozen=True)
class RepairPlan:
    """One repair, said before it runs."""

    operation: str  # "recover" | "cleanup" | "repair"
    statement: str
    changes: tuple[str, ...]  # what will change, one sentence each
    why: str  # why this statement and not another
    short: str = ""  # the change in a few words, for the list's box

    @property
    def verb(self) -> str:
        return {"recover": "RECOVER", "cleanup": "CLEANUP", "repair": "REPAIR"}[self.operation]


def handles_of(samples: tuple[IndexSample, ...], kinds: tuple[str, ...], count: int) -> str:
    """ "(rows 2, 3, 5 and 4 more)" from the samples of those kinds; "" when none known."""
    handles = [s.handle for s in samples if s.kind in kinds]
    if not handles:
        return ""
    shown = handles[:SHOWN_HANDLES]
    more = count - len(shown)
    tail = f" and {more:,} more" if more > 0 else ""
    return f"{', '.join(shown)}{tail}"


def _which(word: str, rows: str, n: int) -> str:
    """ " (row 7)", " (rows 2, 3, 5)", or "" when the handles are not known."""
    if not rows:
        return ""
    return f" ({word if n == 1 else word + 's'} {rows})"


def plan_repair(schema: str, table: str, index: str, missing: int, dangling: int,
                mismatched: int, samples: tuple[IndexSample, ...] = ()) -> RepairPlan | None:
    """The statement that makes `index` exactly what the rows need, or None when the last
    check found nothing to repair."""
    if not (missing or dangling or mismatched):
        return None
    where = f"{schema}.{table}.{index}"
    unknown = "" if samples else " (which ones: the next check names them)"
    if missing and not (dangling or mismatched):
        rows = handles_of(samples, ("missing",), missing)
        return RepairPlan(
            "recover", f"ADMIN RECOVER INDEX {table_sql(schema, table)} {ident(index)}",
            (f"adds {fmt.count(missing, 'missing entry', 'missing entries')} to {where}"
             + (f" (row {rows})" if rows and missing == 1 else
                f" (rows {rows})" if rows else unknown),
             "removes no entry; the rows themselves are not changed"),
            "entries are missing and nothing else is wrong; RECOVER INDEX (TiDB's "
            "statement) adds them from the rows in batches, each one committed (a cancel "
            "keeps the finished ones)",
            f"adds {fmt.count(missing, 'missing entry', 'missing entries')}"
            + (f" (rows {rows})" if rows else ""))
    if dangling and not (missing or mismatched):
        rows = handles_of(samples, ("dangling",), dangling)
        return RepairPlan(
            "cleanup", f"ADMIN CLEANUP INDEX {table_sql(schema, table)} {ident(index)}",
            (f"removes {fmt.count(dangling, 'dangling entry', 'dangling entries')} from "
             f"{where}" + (f" (handle {rows}: no such row)" if rows and dangling == 1 else
                           f" (handles {rows}: no such rows)" if rows else unknown),
             "adds no entry; the rows themselves are not changed"),
            "entries point at rows that do not exist and nothing else is wrong; CLEANUP "
            "INDEX (TiDB's statement) removes them and only them",
            f"removes {fmt.count(dangling, 'dangling entry', 'dangling entries')}"
            + (f" (handles {rows})" if rows else ""))
    removed = dangling + mismatched
    added = missing + mismatched
    parts_removed = [p for p in (
        fmt.count(dangling, "dangling entry", "dangling entries") if dangling else "",
        fmt.count(mismatched, "entry", "entries") + " with wrong values" if mismatched else "",
    ) if p]
    parts_added = [p for p in (
        fmt.count(missing, "missing entry", "missing entries") if missing else "",
        fmt.count(mismatched, "entry", "entries") + " with the rows' values"
        if mismatched else "",
    ) if p]
    changes = []
    if mismatched and not (missing or dangling):
        rows = handles_of(samples, ("mismatched",), mismatched)
        theirs = "its row" if mismatched == 1 else "their rows"
        changes.append(f"replaces {fmt.count(mismatched, 'entry', 'entries')} of {where} "
                       f"holding other values than {theirs}"
                       + (_which("handle", rows, mismatched) or unknown)
                       + f" by the {'entry' if mismatched == 1 else 'entries'} "
                       f"{theirs.split()[0]} {'row needs' if mismatched == 1 else 'rows need'}")
    else:
        if removed:
            rows = handles_of(samples, ("dangling", "mismatched"), removed)
            changes.append(f"removes {fmt.count(removed, 'entry', 'entries')} from {where}: "
                           f"{' and '.join(parts_removed)}"
                           + (_which("handle", rows, removed) or unknown))
        if added:
            rows = handles_of(samples, ("missing", "mismatched"), added)
            changes.append(f"adds {fmt.count(added, 'entry', 'entries')}: "
                           f"{' and '.join(parts_added)}" + _which("row", rows, added))
    changes.append("the rows themselves are not changed")
    why = ("an entry holds other values than its row, which RECOVER and CLEANUP both leave "
           "alone (its row exists); REPAIR INDEX (KintsugiDB's) removes every entry no row "
           "needs, then adds every entry a row needs" if mismatched else
           "entries are missing and others dangle; REPAIR INDEX (KintsugiDB's) does "
           "CLEANUP's and RECOVER's work in one statement")
    if mismatched and not (missing or dangling):
        rows = handles_of(samples, ("mismatched",), mismatched)
        short = (f"replaces {fmt.count(mismatched, 'entry', 'entries')} holding wrong values"
                 + _which("handle", rows, mismatched))
    else:
        short = " and ".join(p for p in (
            f"removes {fmt.count(removed, 'entry', 'entries')}" if removed else "",
            f"adds {fmt.count(added, 'entry', 'entries')}" if added else "") if p)
    return RepairPlan("repair",
                      f"ADMIN REPAIR INDEX {table_sql(schema, table)} {ident(index)}",
                      tuple(changes), why, short)


UNKNOWN_COUNTS = ("counts unknown (ADMIN CHECK stops at the first inconsistency; c shows the "
                  "whole picture)")


def plan_unknown(schema: str, table: str, index: str) -> RepairPlan:
    """The repair of an index found inconsistent by ADMIN CHECK, which stops at the first
    inconsistency: which kinds of damage and how many are unknown, so the statement is the
    one that fixes any mix (REPAIR INDEX), and the confirmation says the counts are unknown
    rather than guessing them."""
    where = f"{schema}.{table}.{index}"
    return RepairPlan(
        "repair", f"ADMIN REPAIR INDEX {table_sql(schema, table)} {ident(index)}",
        (f"removes every entry of {where} that no row needs (dangling entries and entries "
         "with wrong values) and adds every entry a row needs (missing entries)",
         "how many: unknown, the last check was an ADMIN CHECK, which stops at the first "
         "inconsistency; c counts them first if you want to know before",
         "the rows themselves are not changed"),
        "the counts are unknown, so the repair must fix any mix of missing, dangling and "
        "mismatched entries; REPAIR INDEX (KintsugiDB's) does, where RECOVER or CLEANUP "
        "alone might not",
        "fixes any mix, counts unknown")


def counts_text(counts: dict[str, int]) -> str:
    """A repair's result row in the statement's own column names: "ADDED_COUNT 1, SCAN_COUNT 3"."""
    order = ("REMOVED_COUNT", "ADDED_COUNT", "SCAN_COUNT")
    names = [n for n in order if n in counts] + [n for n in counts if n not in order]
    return ", ".join(f"{n} {counts[n]:,}" for n in names)
