"""A statement's result as the `mysql` client prints it: the table (or `\\G`'s vertical
rows, or -B's tab-separated lines), then `3 rows in set (0.01 sec)`, `Empty set`, or
`Query OK, 1 row affected, 1 warning (0.00 sec)`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from tui.format import cell, format_table

Write = Callable[[str], None]  # one piece of output; a newline is added after it


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def warning_count(warnings: Sequence) -> str:
    """", N warning(s)" as the mysql client puts it after a result, or ""."""
    return f", {plural(len(warnings), 'warning')}" if warnings else ""


def rows_line(n: int, secs: float, warnings: Sequence = ()) -> str:
    """`3 rows in set (0.01 sec)` or `Empty set (0.00 sec)`, the warnings counted."""
    if n:
        return f"{plural(n, 'row')} in set{warning_count(warnings)} ({secs:.2f} sec)"
    return f"Empty set{warning_count(warnings)} ({secs:.2f} sec)"


def ok_line(n: int, secs: float, warnings: Sequence = ()) -> str:
    """`Query OK, 1 row affected, 1 warning (0.00 sec)`."""
    return f"Query OK, {plural(n, 'row')} affected{warning_count(warnings)} ({secs:.2f} sec)"


def vertical(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """`\\G`'s output: each row under a `*** N. row ***` rule, one `name: value` a line, the
    names right-aligned, as mysql prints it."""
    width = max((len(n) for n in names), default=0)
    out = []
    for i, row in enumerate(rows, 1):
        out.append(f"{'*' * 27} {i}. row {'*' * 27}")
        out += [f"{name.rjust(width)}: {cell(v)}" for name, v in zip(names, row, strict=True)]
    return "\n".join(out)


def warnings_text(warnings: Sequence[tuple]) -> str:
    """`\\W`'s lines after a statement: `Warning (Code 1365): Division by 0`."""
    return "\n".join(f"{level} (Code {code}): {msg}" for level, code, msg in warnings)


def run_statement(conn, text: str, write: Write, *, batch: bool = False,
                  vertical_rows: bool = False, show_warnings: bool = False) -> int:
    """Run one statement on `conn` and write its result; returns its row count (rows in
    the result, or rows affected).  Raises the engine's Error.  -B (`batch`) streams: rows
    print as they come, no summary line.  `show_warnings`: \\W's lines after the result."""
    t0 = time.perf_counter()
    cur = conn.cursor(stream=batch)
    cur.execute(text)
    secs = time.perf_counter() - t0
    if cur.description is not None:
        names = [d[0] for d in cur.description]
        if batch:
            write("\t".join(names))
            count = 0
            while rows := cur.fetchmany(1000):
                count += len(rows)
                write("\n".join("\t".join(cell(v) for v in r) for r in rows))
            return count
        rows = cur.fetchall()
        secs = time.perf_counter() - t0
        if rows:
            write(vertical(names, rows) if vertical_rows else format_table(names, rows))
        write(rows_line(len(rows), secs, cur.warnings) + "\n")
        count = len(rows)
    else:
        count = cur.rowcount
        if not batch:
            write(ok_line(count, secs, cur.warnings) + "\n")
    if show_warnings and cur.warnings:
        write(warnings_text(cur.warnings) + "\n")
    return count
