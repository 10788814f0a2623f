"""Small formatting helpers shared by the screens.

`FROZEN_SECONDS`, when set (the snapshot tests set it), replaces every elapsed time shown,
so that pictures of the screens do not depend on how fast the machine was.
"""

from __future__ import annotations

FROZEN_SECONDS: str | None = None


def seconds(s: float | None) -> str:
    if FROZEN_SECONDS is not None:
        return FROZEN_SECONDS
    if s is None:
        return "-"
    if s < 1:
        return f"{s * 1000:.0f} ms" if s >= 0.001 else "<1 ms"
    if s < 60:
        return f"{s:.2f} s"
    m, sec = divmod(int(s), 60)
    return f"{m} min {sec:02d} s"


def count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def lsn(n: int) -> str:
    """An LSN as a decimal and in PostgreSQL's X/X form."""
    return f"{n:,} ({n >> 32:X}/{n & 0xFFFFFFFF:X})"


def one_line(sql: str, width: int = 80) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


KEY_NAMES = {
    "escape": "Esc", "question_mark": "?", "enter": "Enter", "pageup": "PgUp",
    "pagedown": "PgDn", "up": "↑", "down": "↓", "left": "←", "right": "→", "tab": "Tab",
    "delete": "Del", "space": "Space", "slash": "/",
}


def key(k: str) -> str:
    """'ctrl+j' -> 'Ctrl+J', 'f5' -> 'F5', 'alt+up' -> 'Alt+↑'."""
    if k == "ctrl+underscore":
        return "Ctrl+/"
    parts = k.split("+")
    out = []
    for p in parts[:-1]:
        out.append(p.capitalize())
    last = parts[-1]
    if last in KEY_NAMES:
        last = KEY_NAMES[last]
    elif last[0] == "f" and last[1:].isdigit():
        last = last.upper()
    elif len(last) == 1:
        last = last.upper() if len(parts) > 1 else last
    else:
        last = last.capitalize()
    out.append(last)
    return "+".join(out)


def markup(text: str) -> str:
    """`text` made literal inside Textual markup: every ``[`` escaped.  Rich's `escape`
    leaves ``[KindString Osaka]`` alone (it only escapes what looks like a Rich tag), and
    Textual would read it as a tag and drop it: an 8223 message lost its values."""
    return text.replace("[", "\\[")
