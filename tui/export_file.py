"""An export's file: rows written through a format's writer into a temporary file of a
unique name next to it (`.NAME.XXXX.part`: never a file of the user's), renamed to PATH
only once every row is in; a failed or cancelled export removes its partial file, and an
existing file the user agreed to overwrite stays whole until the new one is complete.

Only a regular file is ever replaced: a symlink is followed (its target is written, the
partial file beside the target) and a device, FIFO or socket is refused (renaming over
/dev/null would replace the device node itself).

Errors carry MySQL's codes for file trouble, as `SELECT ... INTO OUTFILE` reports it:
1004 (cannot create the file: no such directory, permission denied, a directory of that
name) and 1026 (error writing: the disk is full).  A cancelled export raises
`ExportCancelled`.
"""

from __future__ import annotations

import errno as errnos
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tui.export_writers import writer_for

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_ROWS = 5_000  # rows of the grid's table per chunk (the progress line's step)


class ExportError(Exception):
    """Why the file could not be written, with MySQL's code."""

    def __init__(self, errno: int, msg: str) -> None:
        super().__init__(msg)
        self.errno = errno
        self.msg = msg

    def __str__(self) -> str:
        return f"ERROR {self.errno} (HY000): {self.msg}"


class ExportCancelled(Exception):
    """The user cancelled the export; its partial file is gone."""


def cannot_create(path: str, err: OSError) -> ExportError:
    return ExportError(1004, f"Can't create file '{path}' (errno: {err.errno or 0} - "
                             f"{err.strerror or err})")


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: os.umask sets it too, for every thread


def target_of(path: str) -> str:
    """The file an export to `path` writes: `path` itself, or a symlink's resolved target.
    Raises ExportError (1004) when what exists there is not a regular file."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        st = os.stat(target)
    except OSError:
        return target  # nothing there yet (or it cannot be read: the write says why)
    if stat.S_ISDIR(st.st_mode):
        raise cannot_create(path, IsADirectoryError(errnos.EISDIR, os.strerror(errnos.EISDIR)))
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(1004, f"Can't create file '{path}' (errno: 0 - it exists and is "
                                "not a regular file: a device, FIFO or socket is never "
                                "replaced by an export)")
    return target


def problem_with(path: str) -> ExportError | None:
    """What stops a file being created at `path`, checked before anything runs (None:
    nothing seen; the write may still fail, and says so then)."""
    try:
        path_written = target_of(path)
    except ExportError as err:
        return err
    parent = os.path.dirname(os.path.abspath(path_written))
    if not os.path.isdir(parent):
        return cannot_create(path, FileNotFoundError(
            errnos.ENOENT, f"{os.strerror(errnos.ENOENT)}: no directory {parent}"))
    if not os.access(parent, os.W_OK):
        return cannot_create(path, PermissionError(errnos.EACCES, os.strerror(errnos.EACCES)))
    return None


def table_chunks(table: pa.Table, size: int = CHUNK_ROWS) -> Iterable[list[tuple]]:
    """The grid's rows as tuples, a chunk at a time (Arrow gives back the values the grid
    shows: binary data and TIME values are already text there)."""
    for batch in table.to_batches(max_chunksize=size):
        columns = [c.to_pylist() for c in batch.columns]
        yield list(zip(*columns, strict=True)) if columns else [() for _ in
                                                                range(batch.num_rows)]


def write_export(path: str, fmt: str, names: Sequence[str], chunks: Iterable[list[tuple]],
                 *, table: str = "result", progress: Callable[[int], Any] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 hex_columns: Iterable[int] = ()) -> int:
    """Write the rows of `chunks` to `path` in format `fmt`; returns the rows written.
    `progress(rows)` is called after each chunk; `cancelled()` is asked before each one.
    Raises ExportError, ExportCancelled, or what the source of the chunks raises (the
    partial file is removed in every case).  `hex_columns`: see `writer_for`."""
    target = target_of(path)
    folder, name = os.path.split(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    except OSError as err:
        raise cannot_create(path, err) from None
    try:  # the mode a new file gets (or the replaced file's): mkstemp makes it 0600
        old = os.stat(target).st_mode & 0o7777 if os.path.exists(target) else None
        os.chmod(tmp, old if old is not None else 0o666 & ~_UMASK)
        f = open(fd, "w", newline="", encoding="utf-8")  # closed by the with below
    except OSError as err:
        os.close(fd)
        _remove(tmp)
        raise cannot_create(path, err) from None
    done = 0
    try:
        with f:
            w = writer_for(fmt, f, names, table, hex_columns)
            w.begin()
            for rows in chunks:
                if cancelled is not None and cancelled():
                    raise ExportCancelled
                w.rows(rows)
                done += len(rows)
                if progress is not None:
                    progress(done)
            if cancelled is not None and cancelled():
                raise ExportCancelled
            w.end()
        os.replace(tmp, target)
    except OSError as err:
        _remove(tmp)
        raise ExportError(1026, f"Error writing file '{path}' (errno: {err.errno or 0} - "
                                f"{err.strerror or err})") from None
    except BaseException:
        _remove(tmp)
        raise
    return done


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
