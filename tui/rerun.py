"""Whether a statement may be run again to export its whole result, and the table its
rows come from (the INSERT statements' default name).

Only a read-only statement is run again: a query (SELECT, UNION ..., TABLE) or a
SHOW / DESCRIBE, as the database classifies it (`Backend.read_only`).  Running an INSERT, UPDATE,
DELETE, CALL or DDL statement again would do its work again.  A statement that reads the
console session's user variables (`@x`) is not run again either: the export reads on a
connection of its own, which has none of them.  (The export's connection also runs it in a
read-only transaction, so a statement misjudged here fails with 1792 rather than write.)
"""

from __future__ import annotations

import re

from tui import sqltext

_WORD = re.compile(r"`(?:[^`]|``)+`|[A-Za-z_$][A-Za-z0-9_$]*|[().,@]")


def _tokens(sql: str) -> list[str]:
    out: list[str] = []
    for kind, a, b in sqltext.scan_sql(sql):  # the engine's lexer, as the editor reads
        if kind == "code":
            out.extend(_WORD.findall(sql[a:b]))
        elif kind == "string" and sql[a] == "`":
            out.append(sql[a:b])  # a quoted name
        elif kind == "string" and out and out[-1] == "@":
            out.append("'name'")  # @'quoted variable'
    return out


def why_not_rerun(sql: str, read_only: bool) -> str:
    """"" when `sql` may be run again for an export; otherwise why not, in a sentence
    that follows "Not offered: ".  `read_only`: the database's word for it."""
    tokens = _tokens(sql)
    first = next((t.upper() for t in tokens if t not in ("(", ")")), "")
    if not read_only:
        return (f"{first or 'this statement'} is not a read-only statement; running it "
                "again would do its work again (only SELECT, SHOW and the like are re-run)")
    if "@" in tokens and any(t == "@" and (i + 1 >= len(tokens) or tokens[i + 1] != "@")
                             and (i == 0 or tokens[i - 1] != "@")
                             for i, t in enumerate(tokens)):
        return ("the statement reads @variables of the console's session, which the "
                "export's own connection does not have")
    return ""


def table_of(sql: str) -> str:
    """The first table after FROM (outside parentheses), without backquotes: "result" when
    there is none."""
    depth = 0
    tokens = _tokens(sql)
    for i, t in enumerate(tokens):
        if t == "(":
            depth += 1
        elif t == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and t.upper() == "FROM" and i + 1 < len(tokens):
            parts: list[str] = []
            j = i + 1
            while j < len(tokens) and tokens[j] not in ("(", ")", "@", ",", "."):
                t2 = tokens[j]
                parts.append(t2[1:-1].replace("``", "`") if t2.startswith("`") else t2)
                if j + 1 < len(tokens) and tokens[j + 1] == ".":
                    j += 2
                else:
                    break
            return ".".join(parts) or "result"
    return "result"
