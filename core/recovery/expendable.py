"""Tablespaces only waiting for GC whose file is gone or unusable at open.

A dropped or truncated table (or a rebuild's old one) keeps its file and its space-map entry
until GC collects its delete range (`m:gc:<space id>` in system.kdb).  Its table is gone from
the dictionary, so nothing reads it but RECOVER / FLASHBACK: a missing, truncated, zeroed or
foreign file of such a space must not stop the database from opening, as a live table's
does (1812/1877, only force_recovery goes on without it).

Recovery sits below the catalog, so it does not read GC ranges itself: the composition root
(`core.kv.Engine.open`) gives the engine `expendable_spaces`, a callable that takes a read
view of system.kdb and returns {space id: "`schema`.`table` (dropped by job n)"} for the
spaces only waiting for GC.  It is called only when a file is found missing or unusable.  A
space set aside this way is not registered, not counted in `missing_spaces`, skipped by
replay, and kept in `engine.lost_spaces` (space id -> {"state", "path", "reason",
"what"}) for RECOVER (which refuses it), information_schema.KINTSUGI_DROPPED_TABLES and
GC (which deletes what is left of the file).  Nothing is written at open: a read-only
(forced) open could not, and the next open finds the file as it is then (put back from a
backup, it is recoverable again).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from core.events import RecoveryWarning
from core.storage.overlay import INFINITY, MutableGeneration
from core.storage.snapshot import Snapshot
from core.storage.spacemap import SYSTEM_SPACE

if TYPE_CHECKING:
    from core.storage.engine import Engine

LOST, DAMAGED = "file lost", "damaged"


def lookup(engine: Engine, overlay: MutableGeneration | None = None) -> dict[int, str]:
    """The spaces only waiting for GC, as system.kdb says now (with a read-only open's
    replayed `overlay` laid over it); {} when the engine was given no callable."""
    find = getattr(engine, "expendable_spaces", None)
    sys_ts = engine.spaces.get(SYSTEM_SPACE)
    if find is None or sys_ts is None:
        return {}
    view = Snapshot(INFINITY, [overlay] if overlay is not None else [],
                    {SYSTEM_SPACE: sys_ts})
    try:
        return {int(sid): str(what) for sid, what in dict(find(view)).items()}
    finally:
        view.close()


class Expendable:
    """One pass over the map's files: asks `lookup` once, at the first file in trouble."""

    def __init__(self, engine: Engine, overlay: MutableGeneration | None = None):
        self.engine = engine
        self.overlay = overlay
        self._found: dict[int, str] | None = None

    def set_aside(self, sid: int, header: dict, reason: str = "") -> bool:
        """True (and a warning) when space `sid`, whose file is missing (`reason` "") or
        unusable (`reason` says why), only waits for GC: the open goes on without it."""
        engine = self.engine
        if sid in engine.lost_spaces:
            return True
        if self._found is None:
            self._found = lookup(engine, self.overlay)
        what = self._found.get(sid)
        if what is None:
            return False
        path = os.path.join(engine.path, header["path"])
        state = DAMAGED if reason else LOST
        engine.lost_spaces[sid] = {"state": state, "path": header["path"], "reason": reason,
                                   "what": what}
        engine.missing_spaces.pop(sid, None)
        found = f"cannot be used ({reason})" if reason else "does not exist"
        engine.sink(RecoveryWarning(
            f"The tablespace file {path} (space {sid}) of table {what}, which only waits "
            f"for GC, {found}: the database opens without it. The table cannot be "
            "recovered (RECOVER TABLE / FLASHBACK refuse it); GC removes what is left of "
            "the file and its map entry when its delete range is due"))
        return True


def recheck(engine: Engine, overlay: MutableGeneration | None = None) -> None:
    """After replay: a space set aside before it (as system.kdb stood at the checkpoint)
    that the replayed log brought back (RECOVER TABLE after the checkpoint) is a live
    table again: it leaves `lost_spaces`, so that its missing or damaged file is refused
    (1812/1877), or kept in `missing_spaces` by a forced open, as any live table's."""
    if not engine.lost_spaces:
        return
    still = lookup(engine, overlay)
    for sid in [s for s in engine.lost_spaces if s not in still]:
        del engine.lost_spaces[sid]
