"""Crash recovery in a process of its own, for a client that watches it.

A console that recovers in a thread of its own process shares the interpreter lock with
its screens: drawing them slowed a 1M-record recovery by 1.5-1.9x.  Run here, the recovery
has a core and a lock to itself, and the client replays the events it reads live.

    python -m core.recovery_child PATH OPTIONS_JSON

`OPTIONS_JSON` is a JSON object of `core.api.recover`'s keyword arguments (the engine's
options).  Standard output carries pickled messages, one after another, each flushed:

    ("clean",)                       no recovery needed (or nothing to recover here): the
                                     client opens the database itself, as usual
    ("event", Event)                 a `core.events` event of the open, in the engine's order,
                                     up to and including DatabaseOpened (what the close then
                                     emits is not the open's, and is not sent)
    ("done", RecoveryRecord | None)  recovered and closed cleanly: the client's own open is
                                     a clean one; the record is what this recovery did
    ("error", name, errno, sqlstate, msg)       a `core.errors` error stopped the open
    ("oserror", errno, strerror, filename)      a file-system error stopped it

Only a normal open (force_recovery 0) belongs here: a forced open is read-only and replays
the redo in memory, so a recovery in another process would leave the client nothing.
If the client goes away, the next event cannot be written and this process ends at once,
as a recovery in the client's own thread would have (recovery is crash-safe at any point).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sys
from typing import IO, Any

from core import needs_recovery
from core.errors import Error
from core.events import DatabaseOpened, Event


class _Channel:
    """The pickled messages on the client's pipe."""

    def __init__(self, out: IO[bytes]):
        self.out = out

    def send(self, *message: Any) -> None:
        try:
            self.out.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
            self.out.flush()
        except (BrokenPipeError, OSError):
            os._exit(3)  # the client is gone: stop as its own thread would have


def run(path: str, options: dict[str, Any], channel: _Channel) -> int:
    if not needs_recovery(path):
        channel.send("clean")
        return 0
    from core.api import recover

    opened = False

    def sink(e: Event) -> None:
        nonlocal opened
        if opened:
            return
        channel.send("event", e)
        opened = isinstance(e, DatabaseOpened)

    try:
        status = recover(path, sink=sink, **options)
    except Error as err:
        channel.send("error", type(err).__name__, err.errno, err.sqlstate, err.msg)
        return 1
    except OSError as err:
        channel.send("oserror", err.errno, err.strerror, err.filename)
        return 1
    except Exception as err:  # noqa: BLE001 - reported with MySQL's "unknown error"
        channel.send("error", "InternalError", 1105, "HY000", f"{type(err).__name__}: {err}")
        return 1
    channel.send("done", status.recovery)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m core.recovery_child PATH OPTIONS_JSON", file=sys.stderr)
        return 2
    # Ctrl-C before the console takes the terminal reaches this whole process group: the
    # console decides (it kills this process when it closes; its pipe closing ends it too)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the messages
    return run(argv[1], json.loads(argv[2]), _Channel(out))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
