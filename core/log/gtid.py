"""GTIDs and GTID sets, in MySQL's text form (`3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7`).

A transaction's GTID is `<server uuid>:<sequence number>`; the numbers of one server are
handed out in commit order.  A set is, per uuid, a sorted list of closed intervals; it is
what `SHOW MASTER STATUS` calls `Executed_Gtid_Set` and what `--include-gtids` /
`--exclude-gtids` take.  A bare number (`42`, `5-7`) means the database's own uuid where
the caller gives one, a convenience a DBA typing under pressure appreciates.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Iterable

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")


class GtidError(ValueError):
    """Text that is not a GTID or GTID set (the caller turns it into its error code)."""


def uuid_text(raw: bytes | str) -> str:
    """The uuid of a database (16 bytes from the control file, or text) as MySQL prints it."""
    if isinstance(raw, bytes):
        return str(uuidlib.UUID(bytes=raw))
    return str(uuidlib.UUID(raw))


class GtidSet:
    """A set of GTIDs: uuid -> sorted disjoint closed intervals [(start, end), ...]."""

    __slots__ = ("intervals",)

    def __init__(self, intervals: dict[str, list[tuple[int, int]]] | None = None):
        self.intervals: dict[str, list[tuple[int, int]]] = intervals or {}

    @classmethod
    def parse(cls, text: str, default_uuid: str | None = None) -> GtidSet:
        """`uuid:1-5:7,uuid2:3` (MySQL's form); with `default_uuid`, `5`, `1-5:7` and
        `:5` name that uuid's transactions.  Raises GtidError on anything else."""
        out = cls()
        text = (text or "").strip()
        if not text:
            return out
        for part in text.replace("\n", "").split(","):
            part = part.strip()
            if not part:
                continue
            head, _, rest = part.partition(":")
            if _UUID.match(head):
                uuid = uuid_text(head)
                ranges = rest
                if not ranges:
                    raise GtidError(f"'{part}' names no transaction numbers (uuid:N)")
            elif default_uuid is not None and (head == "" or head[0].isdigit()):
                uuid = default_uuid
                ranges = rest if head == "" else part
            else:
                raise GtidError(f"'{part}' is not a GTID (uuid:N or uuid:N-M)")
            for rng in ranges.split(":"):
                lo, dash, hi = rng.strip().partition("-")
                try:
                    a = int(lo)
                    b = int(hi) if dash else a
                except ValueError:
                    raise GtidError(f"'{rng}' in '{part}' is not a number or N-M") from None
                if a < 1 or b < a:
                    raise GtidError(f"'{rng}' in '{part}' is not a valid interval "
                                    "(numbers start at 1, N-M needs N <= M)")
                out.add_range(uuid, a, b)
        return out

    def add(self, uuid: str, seq: int) -> None:
        self.add_range(uuid, seq, seq)

    def add_range(self, uuid: str, a: int, b: int) -> None:
        ivs = self.intervals.setdefault(uuid, [])
        if ivs and ivs[-1][1] + 1 >= a and ivs[-1][0] <= a:  # the common case: the next one
            if b > ivs[-1][1]:
                ivs[-1] = (ivs[-1][0], b)
            return
        ivs.append((a, b))
        ivs.sort()
        merged: list[tuple[int, int]] = []
        for s, e in ivs:
            if merged and s <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        self.intervals[uuid] = merged

    def update(self, other: GtidSet) -> None:
        for uuid, ivs in other.intervals.items():
            for a, b in ivs:
                self.add_range(uuid, a, b)

    def contains(self, uuid: str, seq: int) -> bool:
        for a, b in self.intervals.get(uuid, ()):
            if a <= seq <= b:
                return True
            if a > seq:
                return False
        return False

    def last(self, uuid: str) -> int:
        """The highest number of `uuid` in the set (0 if none)."""
        ivs = self.intervals.get(uuid)
        return ivs[-1][1] if ivs else 0

    def copy(self) -> GtidSet:
        return GtidSet({u: list(v) for u, v in self.intervals.items()})

    def __bool__(self) -> bool:
        return any(self.intervals.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GtidSet) and str(self) == str(other)

    def __str__(self) -> str:
        parts = []
        for uuid in sorted(self.intervals):
            ivs = self.intervals[uuid]
            if ivs:
                parts.append(uuid + "".join(f":{a}" if a == b else f":{a}-{b}" for a, b in ivs))
        return ",".join(parts)

    def __repr__(self) -> str:
        return f"GtidSet({str(self)!r})"


def parse_gtid(text: str, default_uuid: str | None = None) -> tuple[str, int]:
    """One GTID (`uuid:N`, or `N` with a default uuid)."""
    s = GtidSet.parse(text, default_uuid)
    items = [(u, a, b) for u, ivs in s.intervals.items() for a, b in ivs]
    if len(items) != 1 or items[0][1] != items[0][2]:
        raise GtidError(f"'{text}' is not one GTID (uuid:N)")
    return items[0][0], items[0][1]


def from_pairs(pairs: Iterable[tuple[str, int]]) -> GtidSet:
    out = GtidSet()
    for uuid, seq in pairs:
        out.add(uuid, seq)
    return out
