"""Regular-expression functions (REGEXP_LIKE(), REGEXP_REPLACE(), REGEXP_SUBSTR(),
REGEXP_INSTR()) and the pattern cache they share with the REGEXP operator, which the
expression compiler (`core.sql.expr.like`) builds on `regex`.
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import ProgrammingError
from core.sql.functions.registry import _reg, _s
from core.sql.types import to_int

_REGEX_CACHE: dict[tuple[str, int], re.Pattern[str]] = {}


def regex(pattern: Any, flags_text: Any = None) -> re.Pattern[str]:
    """A compiled REGEXP pattern (cached).  Case-sensitive by default (binary collation);
    match_type letters: c (case-sensitive), i (insensitive), m (multi-line), n (. matches
    newline).  A bad pattern is ERROR 3692 like MySQL's ICU errors."""
    p = _s(pattern)
    flags = 0
    for ch in _s(flags_text) if flags_text is not None else "":
        if ch == "i":
            flags |= re.IGNORECASE
        elif ch == "c":
            flags &= ~re.IGNORECASE
        elif ch == "m":
            flags |= re.MULTILINE
        elif ch == "n":
            flags |= re.DOTALL
        elif ch != "u":
            raise ProgrammingError("Incorrect arguments to regexp_like.", errno=1210,
                                   sqlstate="HY000")
    key = (p, flags)
    rx = _REGEX_CACHE.get(key)
    if rx is None:
        try:
            rx = re.compile(p, flags)
        except re.error as e:
            raise ProgrammingError(f"Illegal argument to a regular expression: {e}",
                                   errno=3685, sqlstate="HY000") from None
        if len(_REGEX_CACHE) > 1024:
            _REGEX_CACHE.clear()
        _REGEX_CACHE[key] = rx
    return rx


@_reg("REGEXP_LIKE", 2, 3)
def fn_regexp_like(s: Any, pattern: Any, flags: Any = None) -> int:
    return 1 if regex(pattern, flags).search(_s(s)) is not None else 0


@_reg("REGEXP_REPLACE", 3, 6)
def fn_regexp_replace(s: Any, pattern: Any, repl: Any, pos: Any = 1, occurrence: Any = 0,
                      flags: Any = None) -> str:
    s = _s(s)
    start = max(to_int(pos), 1) - 1
    occ = to_int(occurrence)
    rx = regex(pattern, flags)
    r = re.sub(r"\$(\d)", r"\\\1", _s(repl))
    head, tail = s[:start], s[start:]
    if occ <= 0:
        return head + rx.sub(r, tail)
    count = 0

    def one(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return m.expand(r) if count == occ else m.group(0)

    return head + rx.sub(one, tail)


@_reg("REGEXP_SUBSTR", 2, 5)
def fn_regexp_substr(s: Any, pattern: Any, pos: Any = 1, occurrence: Any = 1,
                     flags: Any = None) -> str | None:
    s = _s(s)
    start = max(to_int(pos), 1) - 1
    occ = max(to_int(occurrence), 1)
    for i, m in enumerate(regex(pattern, flags).finditer(s, start), 1):
        if i == occ:
            return m.group(0)
    return None


@_reg("REGEXP_INSTR", 2, 6)
def fn_regexp_instr(s: Any, pattern: Any, pos: Any = 1, occurrence: Any = 1,
                    return_option: Any = 0, flags: Any = None) -> int:
    s = _s(s)
    start = max(to_int(pos), 1) - 1
    occ = max(to_int(occurrence), 1)
    for i, m in enumerate(regex(pattern, flags).finditer(s, start), 1):
        if i == occ:
            return (m.end() if to_int(return_option) else m.start()) + 1
    return 0
