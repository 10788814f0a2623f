"""The tablespace map: which file holds which space, and how new files are named.

The map lives in `system.kdb` under `SPACE_MAP_PREFIX` and changes like any other data
(through the log and the overlay), so a snapshot also fixes which tables exist.  The engine
keeps the open files in `spaces` (space id -> `Tablespace`); recovery and the commit path
open and register them through `open_space_file`.
"""

from __future__ import annotations

import os
import struct
import threading
import uuid as uuidlib
from collections.abc import Callable

import msgpack

from core.errors import CorruptionError
from core.events import Event
from core.storage.tablespace import Tablespace

SYSTEM_SPACE = 0
SPACE_MAP_PREFIX = b"\x00space:"
_U32 = struct.Struct(">I")
# Names the engine uses itself in the database directory: no schema directory may take them.
_RESERVED = ("control", "LOCK", "system", "spare")


class SpaceMap:
    """The engine's part that maps space ids to tablespace files (a mixin of `Engine`)."""

    path: str
    sink: Callable[[Event], None]
    map_size: int
    read_only: bool
    spaces: dict[int, Tablespace]
    _next_space_id: int
    _state: threading.Lock
    _flush_lock: threading.Lock
    _spaces_view: dict[int, Tablespace]

    @staticmethod
    def space_map_key(space_id: int) -> bytes:
        return SPACE_MAP_PREFIX + _U32.pack(space_id)

    @staticmethod
    def space_map_value(header: dict) -> bytes:
        return msgpack.packb(header)

    def database_uuid(self) -> str:
        """This database's uuid (the control file's) as text, as tablespace headers record
        it; "" before the control file was read."""
        raw = getattr(self, "uuid", None)
        return str(uuidlib.UUID(bytes=bytes(raw))) if raw else ""

    def open_space_file(self, header: dict, *, create: bool, register: bool = True
                        ) -> Tablespace:
        """Open (or create) the file of a space, and register it unless told not to.  A new
        file's header records the database's uuid; a file whose header names another
        database is refused (1877), whatever its space id: it was copied in from another
        database, and reading or writing it would mix the two."""
        path = os.path.join(self.path, header["path"])
        if create and not os.path.exists(path):
            ours = self.database_uuid()
            if ours and header.get("space_id") != SYSTEM_SPACE:
                header = dict(header, uuid=ours)
            ts = Tablespace.create(path, header, map_size=self.map_size, sink=self.sink)
        else:
            ts = Tablespace.open(path, map_size=self.map_size, sink=self.sink,
                                 readonly=self.read_only)
            if "space_id" in header and ts.space_id != header["space_id"]:
                ts.close()
                raise CorruptionError(
                    f"tablespace file {path} holds space {ts.space_id} "
                    f"({ts.header.get('schema')}.{ts.header.get('table')}), but the dictionary "
                    f"expects space {header['space_id']} there (a file was moved or swapped)")
            foreign = foreign_reason(ts.header, self.database_uuid())
            if foreign:
                ts.close()
                raise CorruptionError(f"tablespace file {path} {foreign}; move it away and "
                                      "put back this database's own file")
        if register:
            self.spaces[ts.space_id] = ts
        return ts

    def shown_path(self, ts: Tablespace) -> str:
        """Where a tablespace's file is now, as the map names it: relative to the database
        directory when inside it, absolute otherwise (the header keeps the path the file was
        created at, which a move made stale)."""
        base = os.path.realpath(self.path)
        real = os.path.realpath(ts.path)
        if os.path.commonpath([base, real]) == base:
            return os.path.relpath(real, base)
        return os.path.abspath(ts.path)

    def read_space_map(self) -> dict[int, dict]:
        """The tablespace map as stored in system.kdb (applied state only)."""
        sys_ts = self.spaces[SYSTEM_SPACE]
        out = {}
        with sys_ts.env.begin(db=sys_ts.data_db) as txn:
            cur = txn.cursor()
            if cur.set_range(SPACE_MAP_PREFIX):
                for k, v in cur.iternext():
                    if not k.startswith(SPACE_MAP_PREFIX):
                        break
                    out[_U32.unpack(k[len(SPACE_MAP_PREFIX):])[0]] = msgpack.unpackb(v)
        return out

    def forget_space(self, space_id: int) -> Tablespace | None:
        """Stop serving tablespace `space_id` (GC deleted its map entry and the checkpoint
        passed that commit): new snapshots no longer see it, a reader already in it ends
        normally, and then its LMDB environment closes (`Tablespace.retire`), before the
        caller unlinks the file.  Returns the tablespace, or None if it was not open.
        Under the flush lock: no flush or checkpoint is between listing the tablespaces and
        applying to (or syncing) them."""
        with self._flush_lock:
            with self._state:
                ts = self.spaces.pop(space_id, None)
                if ts is not None:
                    self._spaces_view = dict(self.spaces)  # copy-on-write: snapshots share it
            if ts is not None:
                ts.retire()
        return ts

    def reserve_space_id(self, space_id: int) -> None:
        """Never hand out `space_id` (or a lower id) to a new tablespace: a file adopted
        under its own id holds it (writer lock held)."""
        self._next_space_id = max(self._next_space_id, space_id + 1)

    def plan_space(self, schema: str, table: str, pending: list) -> tuple[int, str, dict]:
        """Pick an id and a file name for a new tablespace (writer lock held).  `pending`
        holds the file operations of the same transaction, whose paths are taken too."""
        space_id = self._next_space_id
        self._next_space_id += 1
        safe_schema = _safe_name(schema) or "_"
        if safe_schema in _RESERVED:
            safe_schema = "_" + safe_schema
        base = _safe_name(table) or "t"
        taken = {ts.header["path"] for ts in self.spaces.values()}
        taken.update(self.shown_path(ts) for ts in self.spaces.values())
        taken.update(p for _k, _s, p, _h in pending)
        rel = f"{safe_schema}/{base}.kdb"
        if rel in taken or os.path.exists(os.path.join(self.path, rel)):
            rel = f"{safe_schema}/{base}.{space_id}.kdb"
        header = {"space_id": space_id, "schema": schema, "table": table, "path": rel}
        return space_id, rel, header


def foreign_reason(header: dict, ours: str) -> str:
    """Why a tablespace file with `header` belongs to another database than the one whose
    uuid is `ours`, or "" when it does not (or cannot be told: files made before headers
    recorded the uuid have none)."""
    theirs = header.get("uuid")
    if not ours or theirs is None or str(theirs) == ours:
        return ""
    return (f"(space {header.get('space_id')}, {header.get('schema')}.{header.get('table')}) "
            f"belongs to another database (uuid {theirs}; this database's uuid is {ours})")


def _safe_name(name: str) -> str:
    """A file-system-safe name: ASCII letters, digits and ``_-$`` only, at most 64 characters,
    so no identifier can make a path component the file system refuses (255 bytes)."""
    return "".join(c if (c.isascii() and c.isalnum()) or c in "_-$" else "_"
                   for c in name[:64])
