"""SQL text as the editor sees it: statements, the one at the cursor, the risky ones.

The editor's buffer is often half-written (an open quote, a statement without its `;`), so
this reads the pieces of the engine's own never-raising MySQL lexer (`core.api.scan_sql`)
rather than parsing: the editor and the engine then agree on what is a string or a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core import scan_sql  # the engine's own lexer, without loading the engine


@dataclass(frozen=True, slots=True)
class Statement:
    text: str  # without the trailing ';' and surrounding blanks
    start: int  # offset of the first character of `text` in the buffer
    end: int  # offset just past `text`


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

    for kind, a, b in scan_sql(sql):
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
    for kind, a, b in scan_sql(sql):
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
    for kind, a, _b in scan_sql(sql):
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
BARE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")  # a name that needs no backquotes
# the keywords MySQL reserves (a table or column may be called date, time, text, count ...)
RESERVED = frozenset(KEYWORDS) - frozenset("""
ADMIN AUTO_INCREMENT BEGIN COLUMNS COMMIT DATE DATETIME DDL END INDEXES INFORMATION_SCHEMA JOB
JOBS RECOVER ROLLBACK SCHEMAS START TABLES TEXT TIME TIMESTAMP TRANSACTION
AVG MAX MIN SUM COUNT COALESCE IFNULL CONCAT LENGTH LOWER UPPER SUBSTRING NOW ROUND ABS
""".split())


def ident(name: str) -> str:
    """A name as the statement that runs spells it: bare when it can be, in backquotes when
    it has other characters, starts with a digit or is a keyword (so the dialog shows what
    runs, not a statement that would fail if typed)."""
    if BARE.match(name) and name.upper() not in RESERVED:
        return name
    return "`" + name.replace("`", "``") + "`"
