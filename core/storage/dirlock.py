"""One process per database directory.

An exclusive `flock` on `DIR/LOCK`, which also holds the owner's pid so the second process
can say who has it.  flock locks belong to the open file description, so a second open in
the *same* process is refused too, and the kernel drops the lock when the holder dies, even
by SIGKILL: a stale LOCK file never blocks a restart.
"""

from __future__ import annotations

import errno
import fcntl
import os

from core.errors import DatabaseLockedError, DatabaseNotFoundError, OperationalError


class DirectoryLock:
    def __init__(self, directory: str):
        self.path = os.path.join(directory, "LOCK")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:  # O_NOFOLLOW: a LOCK symlinked to another file must not truncate that file
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OperationalError(
                    f"lock file {self.path} is a symbolic link; remove it (the engine never "
                    "follows links it did not create)", errno=1030) from None
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                raise DatabaseNotFoundError(
                    f"Unknown database directory {os.path.dirname(self.path)}: it does not "
                    "exist") from None
            raise OperationalError(
                f"cannot open lock file {self.path}: {exc.strerror}", errno=1030) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            directory = os.path.dirname(self.path)
            raise DatabaseLockedError(
                f"Database directory {directory} is held by process {holder}"
                f"{_parenthesised(program_of(holder))}; inspect() (`kintsugi info "
                f"{directory}`) reads it while it is held, or stop process {holder} and open "
                "it again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def program_of(pid: int | str) -> str:
    """The command line of process `pid`, shortened ("" when the system does not show it):
    a DBA told "held by process 4711 (kintsugi mydb)" knows which window to close."""
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except (OSError, ValueError):
        return ""
    if not argv:
        return ""
    argv[0] = os.path.basename(argv[0])
    if len(argv) > 1 and argv[0].startswith("python") and argv[1].endswith("kintsugi"):
        argv = argv[1:]
        argv[0] = os.path.basename(argv[0])
    text = " ".join(argv)
    return f"{text[:77]}..." if len(text) > 80 else text


def _parenthesised(text: str) -> str:
    return f" ({text})" if text else ""
