"""Whether a directory can be opened as a database, read without opening anything: the
checks a client makes before it draws a screen.  Kept apart from `core.api`, whose import
loads the whole SQL layer (a fifth of a second): the console checks the directory on its
main thread while the engine is imported and opened in another.
"""

from __future__ import annotations

import os


def is_backup(path: str) -> bool:
    """Whether `path` holds a finished backup (`kintsugi backup`'s manifest.json), read
    without writing: clients refuse to open one as a database."""
    import json

    try:
        with open(os.path.join(path, "manifest.json"), encoding="utf-8") as f:
            return json.load(f).get("kind") == "kintsugi-backup"
    except (OSError, ValueError, AttributeError):
        return False


def check_directory(path: str, *, create: bool = False, create_hint: bool = True) -> None:
    """Fail fast for a directory that does not exist or is not a database (1049, each said
    differently) or that another process holds (1030, naming it), without opening or
    changing anything: a client calls this before it draws a screen.  With `create=True` a
    directory without a database passes.  `create_hint`: the caller can create a database
    (`create=True`), so the messages say how; a caller that cannot (recover, dump) passes
    False and is not told to use an option it does not have."""
    from core.errors import DatabaseNotFoundError
    from core.storage.dirlock import DirectoryLock
    from core.storage.lmdbfile import os_error

    full = os.path.abspath(path)
    if is_backup(path):
        raise DatabaseNotFoundError(
            f"{full} is a KintsugiDB backup (it has a manifest.json), not a database: opening "
            "it would change it (crash recovery writes), so nothing is opened. Restore it "
            f"with `kintsugi restore {path} NEW_DIR`; check it with `kintsugi backup --verify "
            f"{path}`")
    if os.path.exists(os.path.join(path, "control")):
        try:
            lock = DirectoryLock(path)
            lock.acquire()
            lock.release()
        except OSError as err:
            raise os_error(err, err.filename or path) from None
        return
    if create:
        return
    if not os.path.exists(path):
        raise DatabaseNotFoundError(
            f"Unknown database directory {full}: it does not exist"
            + ("; use --create (create=True) to make a new database there" if create_hint
               else ""))
    if not os.path.isdir(path):
        raise DatabaseNotFoundError(f"{full} is not a directory, so not a KintsugiDB database")
    try:
        empty = not os.listdir(path)
    except OSError:
        empty = False
    hint = ""
    if create_hint and empty:
        hint = "; use --create (create=True) to make one there"
    elif create_hint:
        hint = ("; it is not empty, and --create (create=True) makes a database only in a "
                "missing or empty directory: name a new directory")
    raise DatabaseNotFoundError(
        f"{full} exists but has no control file: it is not a KintsugiDB database{hint}")
