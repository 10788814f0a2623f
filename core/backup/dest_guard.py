"""What a restore may not write to, decided before anything is written.

`restore --force` puts an existing DEST aside: done to a directory a process has open, that
process keeps writing (its control file, its redo) into whatever is at DEST afterwards; done
to a directory that contains, or lies inside, the backup or the source database, it moves
them away too.  So DEST is refused when its LOCK is held (the engine's own flock, as
core.storage.dirlock takes it, naming the holder), and when it is, contains, or is inside the
backup directory, the source directory the manifest names, or the binlog directory read.
The LOCK stays held by the restore until DEST is replaced, so no process opens the old DEST
in between.
"""

from __future__ import annotations

import errno as _errno
import fcntl
import os

from core.errors import DatabaseLockedError, ProgrammingError
from core.storage.dirlock import program_of


def check_overlap(dest: str, protected: dict[str, str]) -> None:
    """1210 when DEST is, contains or is inside one of `protected` (what -> directory)."""
    d = os.path.realpath(dest)
    for what, path in protected.items():
        if not path:
            continue
        p = os.path.realpath(path)
        if d == p:
            relation = "is"
        elif d.startswith(p.rstrip("/") + "/"):
            relation = "is inside"
        elif p.startswith(d.rstrip("/") + "/"):
            relation = "contains"
        else:
            continue
        raise ProgrammingError(
            f"{dest} {relation} the {what} {path}: a restore cannot write over, into or "
            f"around the {what}; restore into a separate directory", errno=1210,
            sqlstate="HY000")


class DestLock:
    """A non-blocking flock on DEST/LOCK, held until `release` (nothing when DEST has no
    LOCK: it was never a database)."""

    def __init__(self, dest: str):
        self.path = os.path.join(dest, "LOCK")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno in (_errno.ENOENT, _errno.ENOTDIR):
                return
            raise ProgrammingError(f"{self.path}: {exc.strerror}: DEST is not a directory a "
                                   "restore can replace", errno=1210) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            program = program_of(holder)
            raise DatabaseLockedError(
                f"{os.path.dirname(self.path)} is open: its database directory is held by "
                f"process {holder}{f' ({program})' if program else ''}; close it (stop "
                f"process {holder}) before restoring over it") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
