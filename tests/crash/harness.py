"""What the crash tests share: starting a worker process and following its acknowledgements.

A worker prints `START n` when it begins at transaction n and `ACK i` after each commit
returned; the test kills it (SIGKILL) whenever it likes and knows exactly which commits the
process had acknowledged.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER_VARS = ("KINTSUGI_CRASH_AT", "KV_WORKER_NO_FLUSH", "KV_WORKER_APPLY_BATCH",
               "SQL_WORKER_NO_FLUSH", "SQL_WORKER_APPLY_BATCH")


def spawn(module: str, path: str, seed: int, env_extra: dict | None = None,
          limit: int | None = None) -> subprocess.Popen:
    """Start `python -m module path seed [limit]` with a clean crash-point environment."""
    env = dict(os.environ)
    for var in WORKER_VARS:
        env.pop(var, None)
    if env_extra:
        env.update(env_extra)
    args = [sys.executable, "-m", module, path, str(seed)]
    if limit is not None:
        args.append(str(limit))
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


class AckReader(threading.Thread):
    """Collects ACK lines as they arrive, so the kill can wait for progress."""

    def __init__(self, proc: subprocess.Popen):
        super().__init__(daemon=True)
        self.proc = proc
        self.acks: list[int] = []
        self.start_at: int | None = None

    def run(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("ACK "):
                self.acks.append(int(line.split()[1]))
            elif line.startswith("START "):
                self.start_at = int(line.split()[1])
