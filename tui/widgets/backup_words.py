"""The Backups tab's words and its one decision: which backup a "restore to just before
this transaction" starts from, and what it replays.

A backup holds every transaction of its GTID set; the binlog gives the rest.  Restoring to
just before transaction g therefore starts from the newest backup whose set does not hold
g (it was taken before g committed) and replays the binlog's transactions that are in
neither that set nor at or after g.  A backup that holds g is too late (g is inside it,
the mistake would come back); a damaged one is never chosen.

GTID sets are read here from their text (`uuid:1-5:7,uuid2:3`): the console reaches the
engine only through its public names, and the set's text is what the manifest gives.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.backend.base import BackupInfo, TimelineEntry

FROZEN_TIME: str | None = None  # pictures: every time shown reads this
MISTAKES = ("DROP", "TRUNCATE")  # DDL the timeline marks: what people restore to undo
DELETE_MANY = 100  # rows: a DELETE transaction at least this large is marked too


def gtid_set(text: str) -> dict[str, list[tuple[int, int]]]:
    """`uuid:1-5:7,uuid2:3` -> {uuid: [(1, 5), (7, 7)], uuid2: [(3, 3)]} (lower-case
    uuids); what does not read as a set counts as empty."""
    out: dict[str, list[tuple[int, int]]] = {}
    for part in (text or "").replace("\n", "").split(","):
        head, _, rest = part.strip().partition(":")
        if not head or not rest:
            continue
        ranges = out.setdefault(head.lower(), [])
        for r in rest.split(":"):
            a, _, b = r.partition("-")
            try:
                ranges.append((int(a), int(b or a)))
            except ValueError:
                continue
    return out


def holds(set_text: str | dict[str, list[tuple[int, int]]], gtid: str) -> bool:
    """Does the GTID set contain `gtid` (`uuid:n`)?"""
    ranges = gtid_set(set_text) if isinstance(set_text, str) else set_text
    uuid, _, seq = gtid.rpartition(":")
    try:
        n = int(seq)
    except ValueError:
        return False
    return any(a <= n <= b for a, b in ranges.get(uuid.lower(), ()))


def damaged(b: BackupInfo) -> bool:
    return bool(b.verified) and b.verified != "ok"


@dataclass(frozen=True)
class RestorePlan:
    """What `r` on a transaction will do, or why it cannot (`refusal`, with its code)."""

    target: TimelineEntry
    backup: BackupInfo | None
    dest: str
    replay: int = 0  # transactions replayed after the backup
    last: TimelineEntry | None = None  # the last one replayed
    refusal: str = ""
    errno: int = 0

    @property
    def stop_gtid(self) -> str:
        return self.target.gtid


def plan_restore(target: TimelineEntry, backups: Sequence[BackupInfo],
                 timeline: Sequence[TimelineEntry], dest: str, *,
                 complete: bool = True) -> RestorePlan:
    """The newest undamaged backup taken before `target`, and the transactions replayed
    on top of it up to just before `target`.  `complete`: `timeline` is the whole binlog
    (not only its newest part), so a gap after the backup means purged files."""
    usable = [b for b in backups if not damaged(b) and not holds(b.gtid, target.gtid)]
    if not usable:
        late = [b for b in backups if holds(b.gtid, target.gtid)]
        why = ("every backup was taken after it (its GTID set holds " f"{target.gtid})"
               if late and len(late) == len(backups) else
               "the only backups taken before it are damaged" if backups else
               "there is no backup of this database")
        return RestorePlan(target, None, dest,
                           refusal=f"No backup older than {target.gtid}: {why}. Take "
                                   "backups regularly (b) to restore to any later moment.",
                           errno=1105)
    chosen = max(usable, key=lambda b: (b.finished, b.lsn))
    inside = gtid_set(chosen.gtid)
    replay: list[TimelineEntry] = []
    for t in timeline:
        if t.gtid == target.gtid:
            break
        if not holds(inside, t.gtid):
            replay.append(t)
    uuid = target.gtid.rpartition(":")[0].lower()
    after = max((b for a, b in inside.get(uuid, ())), default=0)
    listed = {t.seq for t in timeline if t.gtid.rpartition(":")[0].lower() == uuid}
    missing = [n for n in range(after + 1, target.seq) if n not in listed]
    if complete and missing:
        return RestorePlan(target, chosen, dest, refusal=(
            f"The binary log between the backup and {target.gtid} was purged: "
            f"transactions {uuid}:{missing[0]}-{missing[-1]} are in no binlog file left, "
            "so the backup cannot be brought forward to it"), errno=1236)
    return RestorePlan(target, chosen, dest, len(replay), replay[-1] if replay else None)


def when(ts: float | None, *, date: bool = True) -> str:
    if FROZEN_TIME is not None:
        return FROZEN_TIME if date else FROZEN_TIME[-8:]
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S", time.localtime(ts))


def stamp(now: float | None = None) -> str:
    """A directory name's time: 20261126-134501."""
    if FROZEN_TIME is not None:
        return "20260101-100000"
    return dt.datetime.fromtimestamp(now if now is not None else time.time()) \
        .strftime("%Y%m%d-%H%M%S")


def default_backup_dir(db: str, now: float | None = None) -> str:
    """`<db>-backups/<time>`: beside the database, never inside it."""
    return f"{db.rstrip(os.sep)}-backups{os.sep}{stamp(now)}"


def default_restore_dir(db: str, now: float | None = None) -> str:
    return f"{db.rstrip(os.sep)}-restored-{stamp(now)}"


def shown(path: str) -> str:
    """A path as the user would type it: relative when under the working directory."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def size(n: int) -> str:
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:,.1f} {unit}"
    return f"{n:,} B"


def short_gtid(gtid: str) -> str:
    """`f9e61344-...:12` -> `f9e61344…:12` (the uuid's first group names it well enough
    for a list; the confirmation shows it whole)."""
    uuid, _, seq = gtid.rpartition(":")
    return f"{uuid[:8]}…:{seq}" if len(uuid) > 8 else gtid


def short_set(text: str) -> str:
    return ",".join(short_gtid(p.strip()) if ":" in p else p for p in (text or "").split(",")) \
        or "-"


def verification(b: BackupInfo) -> str:
    if not b.verified:
        return "not verified"
    if b.verified == "ok":
        return "verified" + (f" {when(b.verified_at)}" if b.verified_at else "")
    return f"DAMAGED: {b.verified}"


def is_mistake(t: TimelineEntry) -> bool:
    """DROP / TRUNCATE, or a large DELETE: what a restore is usually for."""
    if t.ddl:
        return t.ddl.lstrip().upper().startswith(MISTAKES)
    return any(d >= DELETE_MANY and not i and not u for _n, i, u, d in t.tables)


def changes(t: TimelineEntry, width: int = 60) -> str:
    """`shop.orders +25 ~3 -1, shop.order_items +60`, or the DDL statement on one line."""
    if t.ddl:
        return one_line(t.ddl, width)
    parts = []
    for name, i, u, d in t.tables:
        counts = " ".join(s for s in (f"+{i:,}" if i else "", f"~{u:,}" if u else "",
                                      f"-{d:,}" if d else "") if s)
        parts.append(f"{name} {counts}".strip())
    return one_line(", ".join(parts) or "(no rows)", width)


def one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - 1, 1)] + "…"


def plan_lines(p: RestorePlan) -> list[str]:
    """The confirmation's bullets."""
    b = p.backup
    assert b is not None
    t = p.target
    what = changes(t, 70)
    lines = [f"From the backup {shown(b.path)}, taken {when(b.finished)} (LSN {b.lsn:,}).",
             (f"Then replays {p.replay:,} transaction{'s' if p.replay != 1 else ''} of the "
              f"binary log, up to just before this one ({short_gtid(t.gtid)})."
              if p.replay else
              f"Replays nothing: the backup ends just before this one ({what})."),
             "This one and everything after it are left out; the open database is not "
             "touched.",
             "The new database is checked (ADMIN CHECK TABLE) before it is called finished."]
    return lines


def finished_words(dest: str, replayed: int, stopped_before: str, seconds: float) -> str:
    stop = f", stopped just before {stopped_before}" if stopped_before else ""
    return (f"Restored into {dest}: {replayed:,} transaction{'s' if replayed != 1 else ''} "
            f"replayed{stop} ({seconds:.1f} s).")
