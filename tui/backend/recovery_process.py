"""Crash recovery in a child process, watched live: the embedded backend's way to recover
without sharing the interpreter lock with the screens.

The console recovering in a thread of its own process slowed a 1M-record recovery by
1.5-1.9x (the screens starting up and drawing the events held the lock the recovery needed).
`python -m core.recovery_child` (the engine's own program) recovers on another core and
writes the open's events, pickled, on a pipe; `ChildRecovery.replay` hands them to the
console's sink as they come, so the Recovery tab shows the same events in the same order.
The child closes the database cleanly; the console then opens it in this process (a clean
open: a few tens of milliseconds).

Only what the engine sends is unpickled: `core.events` and `core.status` classes.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any

import core.errors
import core.events
import core.status
from core.events import EventSink
from core.status import RecoveryRecord

ALLOWED_MODULES = {"core.events": core.events, "core.status": core.status}


class ChildEnded(Exception):
    """The child ended without saying how the recovery went (killed, out of memory)."""


@dataclass(frozen=True)
class ChildOutcome:
    """`recovered`: the child recovered and closed the database (the record says what it
    did); False: nothing to recover there, the console's own open does everything."""

    recovered: bool
    record: RecoveryRecord | None = None


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        owner = ALLOWED_MODULES.get(module)
        found = getattr(owner, name, None) if owner is not None else None
        if not isinstance(found, type):
            raise pickle.UnpicklingError(f"the recovery process sent {module}.{name}")
        return found


def _rebuilt(name: str, errno: int, sqlstate: str, msg: str) -> core.errors.Error:
    """The child's error as the same `core.errors` class, code and message (built without
    its own constructor, whose signature varies by class)."""
    cls = getattr(core.errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, core.errors.Error)):
        cls = core.errors.Error
    err = cls.__new__(cls)
    Exception.__init__(err, msg)
    err.msg, err.errno, err.sqlstate = msg, errno, sqlstate
    return err


def _source_root() -> str:
    """The directory that holds the `core` package (the child imports it from there)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(core.errors.__file__)))


class ChildRecovery:
    """One recovery in a child process (see the module's docstring)."""

    def __init__(self, proc: subprocess.Popen, stderr: IO):
        self.proc = proc
        self._stderr = stderr

    @classmethod
    def start(cls, path: str, options: dict[str, Any]) -> ChildRecovery | None:
        """Start recovering `path`; None when it cannot run in a child (options that are not
        plain data, no way to start a process): the console's own open does it then."""
        try:
            encoded = json.dumps(options)
        except (TypeError, ValueError):
            return None
        if not sys.executable:  # an embedded interpreter: no `python` to start
            return None
        env = dict(os.environ)
        root = _source_root()
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"]
                                    if env.get("PYTHONPATH") else "")
        stderr = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "core.recovery_child", path, encoded],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=stderr, env=env)
        except OSError:
            stderr.close()
            return None
        return cls(proc, stderr)

    def replay(self, sink: EventSink) -> ChildOutcome:
        """Hand every event to `sink` as it arrives, until the child ends.  Raises the
        child's `core.errors.Error` (same class, code and message) or OSError, and
        ChildEnded when it ended without a word."""
        assert self.proc.stdout is not None
        reader = _Unpickler(self.proc.stdout)
        try:
            while True:
                try:
                    message = reader.load()
                except EOFError:
                    break
                kind = message[0]
                if kind == "event":
                    sink(message[1])
                elif kind == "clean":
                    return ChildOutcome(False)
                elif kind == "done":
                    return ChildOutcome(True, message[1])
                elif kind == "error":
                    raise _rebuilt(*message[1:])
                elif kind == "oserror":
                    raise OSError(*message[1:])
            self._finish()
            raise ChildEnded(self._why_ended())
        finally:
            self._finish()
            self._close_stderr()

    def _finish(self) -> None:
        try:
            self.proc.wait(timeout=30)  # it exits at once after its last message
        except subprocess.TimeoutExpired:
            self.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def _close_stderr(self) -> None:
        try:
            self._stderr.close()
        except (OSError, ValueError):
            pass

    def _why_ended(self) -> str:
        code = self.proc.returncode
        how = f"was killed by signal {-code}" if code is not None and code < 0 \
            else f"exited with code {code}"
        last = ""
        try:
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
            last = f" ({lines[-1].strip()})" if lines else ""
        except (OSError, ValueError):
            pass
        return f"the recovery process {how}{last}"

    def kill(self) -> None:
        """Stop it now (the console is closing): recovery is crash-safe at any point."""
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

