"""SQL text as the editor sees it: statements, the one at the cursor, the risky ones.

The editor's buffer is often half-written (an open quote, a statement without its `;`), so
this is a small hand-written scanner rather than a parser: it knows MySQL's quotes
('...', "...", `...` with backslash and doubled-quote escapes) and comments (`-- `, `#`,
`/* */`) and nothing else.  It never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Statement:
    text: str  # without the trailing ';' and surrounding blanks
    start: int  # offset of the first character of `text` in the buffer
    end: int  # offset just past `text`


def _scan(sql: str):
    """Yield (kind, start, end) for each lexical piece: 'code', 'string', 'comment', ';'."""
    i, n = 0, len(sql)
    code_start = 0
    while i < n:
        c = sql[i]
        if c in "'\"`":
            if code_start < i:
                yield "code", code_start, i
            j = i + 1
            while j < n:
                d = sql[j]
                if d == "\\" and c != "`":
                    j += 2
                    continue
                if d == c:
                    if j + 1 < n and sql[j + 1] == c:  # doubled quote
                        j += 2
                        continue
                    j += 1
                    break
                j += 1
            else:
                j = n
            yield ("ident" if c == "`" else "string"), i, min(j, n)
            i = code_start = min(j, n)
            continue
        if (c == "-" and sql.startswith("--", i) and (i + 2 >= n or sql[i + 2] in " \t\r\n")) \
                or c == "#":
            if code_start < i:
                yield "code", code_start, i
            j = sql.find("\n", i)
            j = n if j < 0 else j
            yield "comment", i, j
            i = code_start = j
            continue
        if c == "/" and sql.startswith("/*", i):
            if code_start < i:
                yield "code", code_start, i
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            yield "comment", i, j
            i = code_start = j
            continue
        if c == ";":
            if code_start < i:
                yield "code", code_start, i
            yield ";", i, i + 1
            i = code_start = i + 1
            continue
        i += 1
    if code_start < n:
        yield "code", code_start, n


def split(sql: str) -> list[Statement]:
    """The statements of `sql`, in order; empty statements (only blanks/comments) are left out."""
    out: list[Statement] = []
    start = 0
    has_code = False

    def close(end: int) -> None:
        if has_code:
            chunk = sql[start:end]
            lead = len(chunk) - len(chunk.lstrip())
            text = chunk.strip()
            out.append(Statement(text, start + lead, start + lead + len(text)))

    for kind, a, b in _scan(sql):
        if kind == ";":
            close(a)
            start, has_code = b, False
        elif kind != "comment" and sql[a:b].strip():
            has_code = True
    close(len(sql))
    return out


def statement_at(sql: str, offset: int) -> Statement | None:
    """The statement the cursor at `offset` is in (or just after, before the next one)."""
    stmts = split(sql)
    if not stmts:
        return None
    best = stmts[0]
    for st in stmts:
        if st.start <= offset:
            best = st
        if st.start <= offset <= st.end:
            return st
    # between statements: the one that ended before the cursor, if any
    return best


def offset_of(sql: str, line: int, column: int) -> int:
    """Buffer offset of a (line, column) editor location."""
    lines = sql.split("\n")
    line = max(0, min(line, len(lines) - 1))
    return sum(len(x) + 1 for x in lines[:line]) + min(column, len(lines[line]))


def location_of(sql: str, offset: int) -> tuple[int, int]:
    """Editor (line, column) of a buffer offset."""
    before = sql[:offset]
    line = before.count("\n")
    return line, offset - (before.rfind("\n") + 1)


def _code_words(sql: str) -> list[tuple[str, int]]:
    """Upper-cased words outside strings and comments, with their parenthesis depth."""
    words: list[tuple[str, int]] = []
    depth = 0
    for kind, a, b in _scan(sql):
        if kind != "code":
            continue
        for m in re.finditer(r"[()]|[A-Za-z_][A-Za-z0-9_$]*", sql[a:b]):
            tok = m.group(0)
            if tok == "(":
                depth += 1
            elif tok == ")":
                depth = max(0, depth - 1)
            else:
                words.append((tok.upper(), depth))
    return words


def destructive_reason(sql: str) -> str | None:
    """Why running `sql` deserves a confirmation, or None.

    DROP (table, database, index), TRUNCATE, and UPDATE/DELETE without a WHERE clause.
    """
    words = _code_words(sql)
    if not words:
        return None
    first = words[0][0]
    if first == "DROP":
        what = words[1][0] if len(words) > 1 else ""
        return f"DROP {what}".strip() + " removes it and everything in it"
    if first == "TRUNCATE":
        return "TRUNCATE removes every row of the table"
    if first in ("UPDATE", "DELETE"):
        if not any(w == "WHERE" and d == 0 for w, d in words):
            return f"{first} without WHERE changes every row of the table"
    return None


def without_leading_comments(sql: str) -> str:
    """The statement from its first word on (for the history and messages)."""
    for kind, a, _b in _scan(sql):
        if kind == "comment":
            continue
        if kind == "code" and not sql[a:_b].strip():
            continue
        return sql[a:].lstrip()
    return sql.strip()


def first_keyword(sql: str) -> str:
    words = _code_words(sql)
    return words[0][0] if words else ""


KEYWORDS = sorted(set("""
ADD ADMIN ALL ALTER AND AS ASC AUTO_INCREMENT BEGIN BETWEEN BIGINT BLOB BY CASE CAST CHAR
CHECK COLUMN COLUMNS COMMIT COUNT CREATE CROSS CURRENT_TIMESTAMP DATABASE DATABASES DATE
DATETIME DDL DECIMAL DEFAULT DELETE DESC DESCRIBE DISTINCT DOUBLE DROP ELSE END EXISTS EXPLAIN
FALSE FLOAT FROM FULL GROUP HAVING IF IN INDEX INDEXES INFORMATION_SCHEMA INNER INSERT INT
INTEGER INTO IS JOB JOBS JOIN KEY LEFT LIKE LIMIT NOT NULL OFFSET ON OR ORDER OUTER PRIMARY
RECOVER REPLACE RIGHT ROLLBACK SCHEMA SCHEMAS SELECT SET SHOW SMALLINT START TABLE TABLES TEXT
THEN TIME TIMESTAMP TINYINT TRANSACTION TRUE TRUNCATE UNION UNIQUE UPDATE USE USING VALUES
VARBINARY VARCHAR WHEN WHERE
AVG MAX MIN SUM COALESCE IFNULL CONCAT LENGTH LOWER UPPER SUBSTRING NOW ROUND ABS
""".split()))
