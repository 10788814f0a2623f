"""Plain-text rendering of result sets, as the `mysql` client prints them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any


def cell(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + v.hex()
    if isinstance(v, float):
        return repr(v)
    return str(v)  # Decimal, dates, times and strings print as MySQL does


def format_table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    texts = [[cell(v) for v in r] for r in rows]
    widths = [len(n) for n in names]
    for r in texts:
        for i, t in enumerate(r):
            widths[i] = max(widths[i], len(t))
    numeric = [all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in rows)
               for i in range(len(names))]
    sep = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values, align_right):
        parts = []
        for t, w, right in zip(values, widths, align_right, strict=True):
            parts.append(" " + (t.rjust(w) if right else t.ljust(w)) + " ")
        return "|" + "|".join(parts) + "|"

    out = [sep, line(names, [False] * len(names)), sep]
    out += [line(r, numeric) for r in texts]
    out.append(sep)
    return "\n".join(out)
