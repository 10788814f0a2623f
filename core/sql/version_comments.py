"""MySQL's executable comments: ``/*! body */`` and ``/*!NNNNN body */`` run as if the
comment marks were not there (the second only when the server's version is at least
NNNNN).  mysqldump wraps its whole preamble in them (``/*!40101 SET NAMES utf8mb4 */``,
``/*!40014 SET FOREIGN_KEY_CHECKS=0 */``); read as plain comments they were skipped
without a word, so a refused setting (a latin1 client, say) went unnoticed and the
``SET x = @OLD_x`` lines at the end restored NULLs."""

from __future__ import annotations

import re

from core.sql import lexer

SERVER_VERSION = 80011  # core.sql.functions.info.VERSION, "8.0.11-KintsugiDB"
_VERSION = re.compile(r"\d{5}")


def unwrap(sql: str) -> str:
    """`sql` with each executable comment replaced by its body (a comment for a later
    server version stays a comment).  Text without ``/*!`` is returned as it is."""
    if "/*!" not in sql:
        return sql
    out: list[str] = []
    last = 0
    for kind, start, end in lexer.scan(sql):
        if kind != "comment" or not sql.startswith("/*!", start):
            continue
        stop = end - 2 if end - start >= 5 and sql.startswith("*/", end - 2) else end
        body = sql[start + 3:stop]
        m = _VERSION.match(body)
        if m is not None:
            if int(m.group()) > SERVER_VERSION:
                continue
            body = body[m.end():]
        out.append(sql[last:start])
        out.append(f" {body} ")
        last = end
    out.append(sql[last:])
    return "".join(out)
