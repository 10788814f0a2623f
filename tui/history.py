"""Query history: every statement the console ran, persisted as JSON lines.

One line per run: {"ts", "sql", "database", "path", "status" ("ok"/"error"/"cancelled"),
"rows", "seconds", "error"}.  The file is appended to (cheap, crash-safe enough for a
history) and compacted to the newest `size` entries when it grows past twice that.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    sql: str
    ts: float = 0.0
    database: str | None = None
    path: str = ""
    status: str = "ok"
    rows: int | None = None
    seconds: float | None = None
    error: str = ""

    def matches(self, words: list[str]) -> bool:
        low = self.sql.lower()
        return all(w in low for w in words)


class History:
    def __init__(self, path: str, size: int = 5_000):
        self.path = path
        self.size = size
        self.entries: list[Entry] = []  # oldest first
        self._lock = threading.Lock()
        self.load_error = ""

    def load(self) -> History:
        try:
            with open(self.path, encoding="utf-8") as f:
                lines = f.readlines()
        except FileNotFoundError:
            return self
        except OSError as err:
            self.load_error = f"cannot read the history file {self.path}: {err}"
            return self
        out = []
        for line in lines[-2 * self.size:]:
            try:
                d = json.loads(line)
                out.append(Entry(**{k: d[k] for k in d if k in Entry.__slots__}))
            except (ValueError, TypeError):
                continue  # a torn last line after a crash: skip it
        self.entries = out[-self.size:]
        if len(lines) > 2 * self.size:
            self._rewrite()
        return self

    def add(self, entry: Entry) -> None:
        if not entry.sql.strip():
            return
        if not entry.ts:
            entry = Entry(**{**asdict(entry), "ts": time.time()})
        with self._lock:
            self.entries.append(entry)
            if len(self.entries) > self.size:
                del self.entries[: len(self.entries) - self.size]
            try:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            except OSError as err:
                self.load_error = f"cannot write the history file {self.path}: {err}"

    def _rewrite(self) -> None:
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                for e in self.entries:
                    f.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
            os.replace(tmp, self.path)
        except OSError:
            pass

    def search(self, text: str, limit: int = 500) -> list[Entry]:
        """Newest first, each distinct statement once, every word of `text` in it."""
        words = text.lower().split()
        seen: set[str] = set()
        out = []
        for e in reversed(self.entries):
            key = e.sql.strip()
            if key in seen or not e.matches(words):
                continue
            seen.add(key)
            out.append(e)
            if len(out) >= limit:
                break
        return out

    def recent(self) -> list[str]:
        """Distinct statements, newest first (for Alt+Up / Alt+Down)."""
        return [e.sql for e in self.search("")]
