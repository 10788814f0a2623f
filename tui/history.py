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


# each field's accepted types (bool is an int to Python: refused where a number is meant)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "sql": (str,), "ts": (int, float), "database": (str, type(None)), "path": (str,),
    "status": (str,), "rows": (int, type(None)), "seconds": (int, float, type(None)),
    "error": (str,)}


def parse_entry(raw: bytes) -> Entry | None:
    """One line of the file as an Entry, or None when it is not one."""
    try:
        d = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(d, dict) or not isinstance(d.get("sql"), str):
        return None
    fields = {}
    for name, types in _FIELD_TYPES.items():
        if name not in d:
            continue
        value = d[name]
        if isinstance(value, bool) or not isinstance(value, types):
            return None
        fields[name] = value
    ts = fields.get("ts", 0.0)
    if not 0 <= ts < 1e11:  # a time a date can show (1e20 or inf crashed the history list)
        return None
    return Entry(**fields)


class History:
    def __init__(self, path: str, size: int = 5_000):
        self.path = path
        self.size = size
        self.entries: list[Entry] = []  # oldest first
        self._lock = threading.Lock()
        self.load_error = ""

    def load(self) -> History:
        """Read the file; a line that is not a whole entry (torn mid-character by a crash,
        not JSON, or with a field of the wrong type) is skipped, never fatal."""
        try:
            with open(self.path, "rb") as f:
                lines = f.readlines()
        except FileNotFoundError:
            return self
        except OSError as err:
            self.load_error = f"cannot read the history file {self.path}: {err}"
            return self
        out = []
        for raw in lines[-2 * self.size:]:
            entry = parse_entry(raw)
            if entry is not None:
                out.append(entry)
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
