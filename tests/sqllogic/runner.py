"""A sqllogictest runner for KintsugiDB: parse ``.test`` files, run them as engine ``mysql``,
count what passed.

The format and its rules are those of the reference runner (``sqllogictest.c`` with its ODBC
engine, the one that ran MySQL), see https://www.sqlite.org/sqllogictest/doc/trunk/about.wiki:

* a file is records separated by blank lines; lines starting with ``#`` are comments, also
  inside a record; a line of blanks is a blank line; a trailing ``\\r`` is dropped;
* ``skipif ENGINE`` / ``onlyif ENGINE`` lines before a record skip it (engine names compare
  case-insensitively); any number of them may stack;
* ``statement ok|error`` then the SQL (all lines up to the blank line);
* ``query TYPES [SORTMODE [LABEL]]``, the SQL, then ``----`` and the expected values, one per
  line; TYPES is one letter per column (``I`` integer, ``R`` real, ``T`` text);
* ``hash-threshold N``: results with more than N values (N > 0) are compared as the line
  ``"<count> values hashing to <md5>"``, the md5 of every value followed by ``\\n``;
* ``halt`` stops the file (a ``skipif``/``onlyif`` before it decides whether it applies).

Values are rendered as the ODBC engine rendered MySQL's: NULL is ``NULL`` whatever the type;
``I`` is the value as a C ``long`` (numbers truncated toward zero, strings by their integer
prefix, ``strtol``); ``R`` is ``printf("%.3f")`` of the value as a double; ``T`` is the text
MySQL sends, ``(empty)`` for an empty string, cut to the driver's 511-byte buffer, every byte
outside printable ASCII shown as ``@``.  ``rowsort`` sorts rows and ``valuesort`` every value
by ``strcmp`` of those rendered strings, ``nosort`` keeps the engine's order.  A labelled query
must hash the same as every earlier query with that label.

Where this runner is stricter than the reference, on purpose: the reference compares a
non-hashed result only up to the shorter of the two lists (a query returning no row "passes"
against any expected rows); here the number of values must match too, so a wrong answer never
counts as a pass.

Running: each file gets a fresh database in a temporary directory (schema ``slt`` created and
USEd, autocommit on, as the ODBC runner's DSN), in a worker process of its own (`run_file`).
Each statement has a time budget: a watchdog thread calls ``Connection.cancel()`` when it runs
out (ERROR 1317), and the record counts as *timed out*.  A statement that does not stop within
a grace period after its cancel stalls the worker, which is killed and restarted on a new
database that replays the file's earlier statements (not its queries) and goes on after the
stalled record; a file over its wall-clock limit is killed and its remaining records count as
timed out.  So one runaway query costs seconds, never the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

DEFAULT_ENGINE = "mysql"
DEFAULT_HASH_THRESHOLD = 8  # sqllogictest.c's DEFAULT_HASH_THRESHOLD
DEFAULT_BUDGET = 2.0  # seconds per statement before it is cancelled
DEFAULT_GRACE = 5.0  # seconds a cancelled statement may take to stop before the worker dies
DEFAULT_WALL = 1200.0  # seconds per file
CI_EVERY = 3  # the CI test runs every CI_EVERY-th query of each file (statements always)
MAX_FAILURES = 20  # failures kept (with their SQL) per file
TEXT_BUFFER = 511  # the ODBC runner's 512-byte SQLGetData buffer, less its NUL

PASSED, FAILED, SKIPPED, TIMED_OUT = "P", "F", "S", "T"

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(os.path.dirname(HERE))
BASELINE_PATH = os.path.join(HERE, "baseline.json")


# ---------------------------------------------------------------------------------------------
# where the corpus is
# ---------------------------------------------------------------------------------------------


def corpus_dir() -> str:
    """The directory of the ``.test`` files: ``$KINTSUGI_SLT_DIR``, else the project's sibling
    ``../shared/sqllogictest``, else ``/work/shared/sqllogictest``.  The corpus is read where
    it lies and never copied into the project (its licence and size are not the project's).
    Returns the first candidate that exists, or the first candidate when none does."""
    env = os.environ.get("KINTSUGI_SLT_DIR")
    if env:
        return env
    candidates = [os.path.join(os.path.dirname(REPO_DIR), "shared", "sqllogictest"),
                  "/work/shared/sqllogictest"]
    for c in candidates:
        if os.path.isdir(c):
            return c
    return candidates[0]


def corpus_files(directory: str | None = None) -> list[str]:
    """The ``.test`` files of the corpus directory, sorted by name; [] when it is missing."""
    d = directory or corpus_dir()
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".test"))


# ---------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Record:
    """One record of a ``.test`` file.  `line` is the line of its ``statement``/``query``
    (etc.) keyword, as the reference reports it; `conditions` are its skipif/onlyif lines."""

    kind: str  # "statement" | "query" | "hash-threshold" | "halt" | "unknown"
    line: int
    conditions: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    sql: str = ""
    expect_error: bool = False  # statement error
    bad_header: str | None = None  # why the header line is invalid (then the record fails)
    types: str = ""
    sort_mode: str = "nosort"
    label: str | None = None
    expected: list[str] = dataclasses.field(default_factory=list)
    has_results: bool = False  # a ---- line was present
    threshold: int = 0  # hash-threshold N
    word: str = ""  # the first word of an unknown record

    def skipped_for(self, engine: str) -> bool:
        """Whether a run as `engine` skips this record (skipif it / onlyif another)."""
        for cond, name in self.conditions:
            match = name.lower() == engine.lower()
            if (cond == "skipif" and match) or (cond == "onlyif" and not match):
                return True
        return False


def _atoi(s: str) -> int:
    """C's atoi: leading blanks, a sign, digits; 0 when there are none."""
    m = re.match(r"\s*([-+]?\d+)", s)
    return int(m.group(1)) if m else 0


def parse(text: str) -> list[Record]:
    """The records of a ``.test`` file's text, in order, with their line numbers."""
    lines = []
    for raw in text.split("\n"):
        if raw.endswith("\r"):
            raw = raw[:-1]
        lines.append("" if raw.strip() == "" else raw)
    records: list[Record] = []
    i, n = 0, len(lines)
    while i < n:
        if lines[i] == "" or lines[i].startswith("#"):
            i += 1
            continue
        block: list[tuple[int, str]] = []  # the record's non-comment lines, with line numbers
        while i < n and lines[i] != "":
            if not lines[i].startswith("#"):
                block.append((i + 1, lines[i]))
            i += 1
        records.append(_parse_block(block))
    return records


def _parse_block(block: list[tuple[int, str]]) -> Record:
    conditions: list[tuple[str, str]] = []
    j = 0
    tokens = block[0][1].split()
    while tokens and tokens[0] in ("skipif", "onlyif"):
        conditions.append((tokens[0], tokens[1] if len(tokens) > 1 else ""))
        j += 1
        tokens = block[j][1].split() if j < len(block) else []
    line = block[j][0] if j < len(block) else block[-1][0]
    body = [text for _no, text in block[j + 1:]]
    word = tokens[0] if tokens else ""
    rec = Record(kind="unknown", line=line, conditions=conditions, word=word)
    if word == "statement":
        rec.kind = "statement"
        rec.sql = "\n".join(body)
        mode = tokens[1] if len(tokens) > 1 else ""
        if mode not in ("ok", "error"):
            rec.bad_header = f"statement argument should be 'ok' or 'error', not {mode!r}"
        rec.expect_error = mode == "error"
    elif word == "query":
        rec.kind = "query"
        rec.types = tokens[1] if len(tokens) > 1 else ""
        rec.sort_mode = tokens[2] if len(tokens) > 2 else "nosort"
        rec.label = tokens[3][:20] if len(tokens) > 3 else None
        if not rec.types:
            rec.bad_header = "missing type string"
        elif any(c not in "TIR" for c in rec.types):
            rec.bad_header = f"unknown type character in type string {rec.types!r}"
        elif rec.sort_mode not in ("nosort", "rowsort", "valuesort"):
            rec.bad_header = f"unknown sort method: {rec.sort_mode!r}"
        if "----" in body:
            k = body.index("----")
            rec.sql = "\n".join(body[:k])
            rec.expected = body[k + 1:]
            rec.has_results = True
        else:
            rec.sql = "\n".join(body)
    elif word == "hash-threshold":
        rec.kind = "hash-threshold"
        rec.threshold = _atoi(tokens[1]) if len(tokens) > 1 else 0
    elif word == "halt":
        rec.kind = "halt"
    return rec


def parse_file(path: str) -> list[Record]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return parse(f.read())


@dataclasses.dataclass
class Step:
    """A record as a run sees it: `index` numbers the records that count (statements and
    queries, skipped ones included) in file order; None for the others (hash-threshold,
    halt, and queries left out of a sample)."""

    record: Record
    index: int | None
    skipped: bool


def plan(records: Sequence[Record], engine: str = DEFAULT_ENGINE, every: int = 1,
         exclude: Collection[int] = ()) -> tuple[list[Step], int | None]:
    """The steps of a run as `engine` and the line of the ``halt`` that ends it (or None).

    With ``every > 1`` only every `every`-th query record (the 1st, the every+1-th, ... in
    file order, skipped ones included in the numbering) is run and counted: a deterministic
    sample.  Queries whose line is in `exclude` are left out too (without changing which
    others the sample takes): the CI leaves out those that timed out in the baseline's run.
    Statements always run, since later queries depend on the data they make.  An unknown
    record type counts (as a failure) and ends the run, as in the reference."""
    steps: list[Step] = []
    index = 0
    query_no = 0
    for rec in records:
        skipped = rec.skipped_for(engine)
        if rec.kind == "query":
            chosen = query_no % every == 0 and rec.line not in exclude
            query_no += 1
            if not chosen:
                steps.append(Step(rec, None, skipped))
                continue
        if rec.kind in ("statement", "query") or (rec.kind == "unknown" and not skipped):
            steps.append(Step(rec, index, skipped))
            index += 1
            if rec.kind == "unknown":
                return steps, None
            continue
        steps.append(Step(rec, None, skipped))
        if rec.kind == "halt" and not skipped:
            return steps, rec.line
    return steps, None


def counted(steps: Sequence[Step]) -> int:
    return sum(1 for s in steps if s.index is not None)


# ---------------------------------------------------------------------------------------------
# rendering, sorting, hashing
# ---------------------------------------------------------------------------------------------

_INT_PREFIX = re.compile(r"[ \t\n\r\f\v]*([-+]?[0-9]+)")
_NUM_PREFIX = re.compile(
    r"[ \t\n\r\f\v]*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)")


def mysql_text(v: Any) -> bytes:
    """The bytes MySQL's text protocol sends for a value (not None): what the ODBC driver
    handed the reference runner.  DECIMAL keeps its scale, a DOUBLE is its shortest
    round-trip digits (``1e20`` style exponents), dates ISO, TIME ``[-]HH:MM:SS``."""
    import datetime as dt

    t = type(v)
    if t is bytes or t is bytearray:
        return bytes(v)
    if t is str:
        return v.encode("utf-8", "surrogateescape")
    if t is bool:
        return b"1" if v else b"0"
    if t is int:
        return str(v).encode()
    if t is Decimal:
        return format(v, "f").encode()
    if t is float:
        return _double_text(v).encode()
    if t is dt.datetime:
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        return (s + (f".{v.microsecond:06d}" if v.microsecond else "")).encode()
    if t is dt.date:
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d}".encode()
    if t is dt.timedelta:
        neg = v < dt.timedelta(0)
        v = -v if neg else v
        secs = v.days * 86400 + v.seconds
        s = f"{'-' if neg else ''}{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        return (s + (f".{v.microseconds:06d}" if v.microseconds else "")).encode()
    return str(v).encode("utf-8", "surrogateescape")


def _double_text(f: float) -> str:
    if f != f or f in (float("inf"), float("-inf")):
        return str(f)
    if f == int(f) and abs(f) < 1e15:
        return str(int(f))
    r = repr(f)
    if "e" in r:
        mant, ex = r.split("e")
        if mant.endswith(".0"):
            mant = mant[:-2]
        return f"{mant}e{int(ex)}"
    return r


def _as_long(v: Any) -> int:
    """SQL_C_SLONG of a value: numbers truncated toward zero, text by its integer prefix."""
    t = type(v)
    if t is int or t is bool:
        return int(v)
    if t is float:
        return int(v) if v == v and v not in (float("inf"), float("-inf")) else 0
    if t is Decimal:
        return int(v) if v.is_finite() else 0
    m = _INT_PREFIX.match(mysql_text(v).decode("latin-1"))
    return int(m.group(1)) if m else 0


def _as_double(v: Any) -> float:
    """SQL_C_DOUBLE of a value: numbers as doubles, text by its numeric prefix (strtod)."""
    t = type(v)
    if t is float:
        return v
    if t is int or t is bool or t is Decimal:
        try:
            return float(v)
        except OverflowError:
            return float("inf") if v > 0 else float("-inf")
    m = _NUM_PREFIX.match(mysql_text(v).decode("latin-1"))
    if not m:
        return 0.0
    try:
        return float(m.group(1))
    except (OverflowError, ValueError):
        return 0.0


def format_value(v: Any, type_char: str) -> str:
    """One result value as the reference's ODBC engine printed it for type I, R or T."""
    if v is None:
        return "NULL"
    if type_char == "I":
        return str(_as_long(v))
    if type_char == "R":
        return f"{_as_double(v):.3f}"
    raw = mysql_text(v)[:TEXT_BUFFER]
    if not raw:
        return "(empty)"
    return "".join(chr(b) if 0x20 <= b <= 0x7E else "@" for b in raw)


def format_rows(rows: Sequence[Sequence[Any]], types: str) -> list[str]:
    """The result's values row by row, each rendered for its column's type letter."""
    return [format_value(v, types[c]) for row in rows for c, v in enumerate(row)]


def sort_values(values: list[str], ncols: int, mode: str) -> list[str]:
    """`values` in the order the sort mode asks: rows (of `ncols` values) ordered by their
    values compared as strings, left to right (``rowsort``), or every value on its own
    (``valuesort``); ``nosort`` leaves them.  Python compares str by code point, which for
    these ASCII renderings is ``strcmp``'s byte order."""
    if mode == "rowsort" and ncols > 0:
        rows = [values[i:i + ncols] for i in range(0, len(values), ncols)]
        rows.sort()
        return [v for r in rows for v in r]
    if mode == "valuesort":
        return sorted(values)
    return list(values)


def hash_values(values: Sequence[str]) -> str:
    """The md5 (hex) of every value followed by a newline, as the reference hashes."""
    h = hashlib.md5()
    for v in values:
        h.update(v.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()


_HASH_LINE = re.compile(r"^\s*[-+]?\d+ values hashing to (\S{1,32})")


def expected_hash(rec: Record) -> str | None:
    """The md5 a (skipped) labelled query's expected results stand for, as the reference
    records it for its label check: the hash of a hash line, else of the listed values."""
    if not rec.expected:
        return None
    m = _HASH_LINE.match(rec.expected[0])
    return m.group(1) if m else hash_values(rec.expected)


def compare(rec: Record, values: list[str], threshold: int) -> tuple[bool, list[str], str]:
    """Check a query's rendered values (in the engine's order) against the record.  Returns
    (ok, the lines the result shows as, its md5 for the label check)."""
    values = sort_values(values, len(rec.types), rec.sort_mode)
    digest = hash_values(values)
    if threshold > 0 and len(values) > threshold:
        got = [f"{len(values)} values hashing to {digest}"]
    else:
        got = values
    return got == rec.expected, got, digest


# ---------------------------------------------------------------------------------------------
# running the records of one file (in the worker process)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Failure:
    """A record that failed: where, what ran, what the file expected and what came back."""

    line: int
    kind: str  # "wrong result", "unexpected error", "unexpected success", "bad record", ...
    sql: str
    expected: str
    got: str

    def describe(self) -> str:
        return (f"line {self.line}: {self.kind}\n  SQL: {_clip(self.sql, 600)}\n"
                f"  expected: {_clip(self.expected, 600)}\n  got:      {_clip(self.got, 600)}")


def _clip(s: str, n: int) -> str:
    s = s.replace("\n", "\n    ")
    return s if len(s) <= n else s[:n] + f"... ({len(s) - n} more chars)"


def _show(lines: Sequence[str], limit: int = 40) -> str:
    shown = list(lines[:limit])
    if len(lines) > limit:
        shown.append(f"... ({len(lines) - limit} more values)")
    return "\n".join(shown) if shown else "(no values)"


class _Watchdog:
    """Cancels the running statement when its budget is spent: one thread for the whole run
    (a Timer per statement would cost a thread start each).  `cancel()` is called with the
    lock held, so `disarm()` returns only after it, and a late cancel can never reach the
    next statement (the engine also gives each call a fresh cancel token)."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.conn: Any = None
        self._cv = threading.Condition()
        self._deadline: float | None = None
        self._fired = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="slt-watchdog", daemon=True)
        self._thread.start()

    def arm(self) -> None:
        with self._cv:
            self._fired = False
            self._deadline = time.monotonic() + self.budget
            self._cv.notify()

    def disarm(self) -> bool:
        """Stop watching; whether the budget ran out (and a cancel was sent)."""
        with self._cv:
            self._deadline = None
            return self._fired

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()

    def _run(self) -> None:
        with self._cv:
            while not self._stop:
                if self._deadline is None:
                    self._cv.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cv.wait(left)
                    continue
                self._deadline = None
                self._fired = True
                with contextlib.suppress(Exception):
                    self.conn.cancel()


@dataclasses.dataclass
class _Outcome:
    rows: list | None
    ncols: int
    error: BaseException | None
    timed_out: bool
    seconds: float


class _Database:
    """The file's database and the one connection that runs its records."""

    def __init__(self, budget: float, directory: str | None = None) -> None:
        self.own_dir = directory is None  # else the supervisor made it and removes it
        self.dir = directory or tempfile.mkdtemp(prefix="kintsugi-slt-")
        self.path = os.path.join(self.dir, "db")
        self.watchdog = _Watchdog(budget)
        self.conn = self._connect(create=True)

    def _connect(self, create: bool = False) -> Any:
        import core

        conn = core.connect(self.path, create=True, autocommit=True)
        if create:
            conn.execute("CREATE DATABASE slt")
        conn.execute("USE slt")
        # The corpus's expected results come from MySQL 5.x servers without
        # ONLY_FULL_GROUP_BY (random/groupby selects columns that are neither grouped nor
        # functionally dependent, which MySQL 8's default mode refuses with 1055): run it
        # under MySQL 8's default sql_mode minus that one mode, as the corpus was made.
        conn.execute("SET sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                     "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")
        self.watchdog.conn = conn
        return conn

    def run(self, sql: str, want_rows: bool) -> _Outcome:
        cur = None
        rows = None
        ncols = 0
        error: BaseException | None = None
        start = time.perf_counter()
        self.watchdog.arm()
        try:
            cur = self.conn.cursor()
            cur.execute(sql)
            if cur.description is not None:
                ncols = len(cur.description)
                rows = cur.fetchall() if want_rows else None
        except Exception as e:  # noqa: BLE001 - every failure of the statement is its outcome
            error = e
        finally:
            fired = self.watchdog.disarm()
            if cur is not None:
                with contextlib.suppress(Exception):
                    cur.close()
        seconds = time.perf_counter() - start
        import core

        if fired or (error is not None and not isinstance(error, core.Error)):
            self.heal()
        return _Outcome(rows, ncols, error, fired, seconds)

    def heal(self) -> None:
        """After a cancelled statement or one that escaped the API's errors: end any
        transaction it left and make sure the connection still answers, else open a new
        one, so that one bad record does not fail every record after it."""
        with contextlib.suppress(Exception):
            if self.conn.in_transaction:
                self.conn.rollback()
        try:
            self.conn.execute("SELECT 1").fetchall()
            return
        except Exception:  # noqa: BLE001 - any failure means the connection is unusable
            pass
        with contextlib.suppress(Exception):
            self.conn.close()
        self.conn = self._connect()

    def close(self) -> None:
        self.watchdog.close()
        with contextlib.suppress(Exception):
            self.conn.close()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _errtext(e: BaseException) -> str:
    import core

    return str(e) if isinstance(e, core.Error) else f"{type(e).__name__}: {e}"


def failure_tag(fail: Failure) -> str:
    """A short name for grouping failures: the kind, or the error's code and the start of its
    message (``ERROR 1235 (42000): unsupported DDL: CREATE VIEW``)."""
    if fail.kind != "unexpected error":
        return fail.kind
    m = re.match(r"(ERROR \d+ \(\w+\): )(.*)", fail.got, re.S)
    if m is None:
        return fail.got.split("\n")[0][:80]
    head, msg = m.groups()
    msg = msg.split(": ")[0].split("\n")[0]  # what follows a colon is mostly the SQL
    # names in quotes vary per record; quoted keywords ('INTERSECT') say what is missing
    msg = re.sub(r"'([^'\s]*)'", lambda q: q.group(0) if re.fullmatch(r"[A-Z_ ]+", q.group(1))
                 else "'...'", msg)
    return (head + msg)[:100]


def check_record(rec: Record, out: _Outcome, threshold: int,
                 labels: dict[str, str]) -> tuple[str, Failure | None]:
    """The verdict on one executed statement or query: (PASSED/FAILED/TIMED_OUT, the
    failure when it failed)."""
    if out.timed_out:
        return TIMED_OUT, None
    if rec.kind == "statement":
        if (out.error is not None) == rec.expect_error:
            return PASSED, None
        if rec.expect_error:
            return FAILED, Failure(rec.line, "unexpected success", rec.sql, "an error", "ok")
        return FAILED, Failure(rec.line, "unexpected error", rec.sql, "ok",
                               _errtext(out.error))
    expected = _show(rec.expected)
    if out.error is not None:
        return FAILED, Failure(rec.line, "unexpected error", rec.sql, expected,
                               _errtext(out.error))
    if out.rows is None:
        return FAILED, Failure(rec.line, "no result set", rec.sql, expected, "ok (no rows)")
    if out.ncols != len(rec.types):
        return FAILED, Failure(rec.line, "wrong number of result columns", rec.sql,
                               f"{len(rec.types)} columns ({rec.types})\n{expected}",
                               f"{out.ncols} columns")
    values = format_rows(out.rows, rec.types)
    ok, got, digest = compare(rec, values, threshold)
    if rec.label is not None:
        first = labels.setdefault(rec.label, digest)
        if ok and first != digest:
            return FAILED, Failure(rec.line, f"labelled result [{rec.label}] disagrees with "
                                   "an earlier query of that label", rec.sql,
                                   f"md5 {first}", f"md5 {digest}")
    if ok:
        return PASSED, None
    shown = _show(got)
    if len(got) == 1 and len(values) > 1 and got[0].endswith(digest):
        shown += "\n(values, sorted: " + ", ".join(
            sort_values(values, len(rec.types), rec.sort_mode)[:40]) + (
            ", ..." if len(values) > 40 else "") + ")"
    return FAILED, Failure(rec.line, "wrong result", rec.sql, expected, shown)


def execute_steps(steps: Sequence[Step], db: _Database, emit, *, resume_from: int = 0,
                  never: frozenset[int] = frozenset(), failures_left: int = MAX_FAILURES
                  ) -> None:
    """Run `steps` against `db`, calling ``emit(message)`` for each counted record at or
    after `resume_from`: ``("rec", index, code, failure-dict or None, seconds, tag or None)``
    (the failure's details only for the first `failures_left`, its `failure_tag` always).  Before
    `resume_from`, only statements run (to rebuild the data) and each sends ``("tick", index)``;
    counted records in `never` (ones that stalled a worker) do not run at all."""
    threshold = DEFAULT_HASH_THRESHOLD
    labels: dict[str, str] = {}
    for step in steps:
        rec = step.record
        if step.skipped:
            if step.index is not None and step.index >= resume_from:
                if rec.kind == "query" and rec.label is not None:
                    h = expected_hash(rec)
                    if h is not None:
                        labels.setdefault(rec.label, h)
                emit(("rec", step.index, SKIPPED, None, 0.0, None))
            continue
        if rec.kind == "hash-threshold":
            threshold = rec.threshold
            continue
        if rec.kind == "halt" or step.index is None:
            continue
        if step.index in never:
            continue
        if step.index < resume_from:
            if rec.kind == "statement" and rec.bad_header is None:
                db.run(rec.sql, want_rows=False)
                emit(("tick", step.index))
            continue
        if rec.kind == "unknown":
            code, fail = FAILED, Failure(rec.line, "unknown record type", rec.word, "", "")
            seconds = 0.0
        elif rec.bad_header is not None:
            code, fail = FAILED, Failure(rec.line, "bad record", rec.sql, rec.bad_header, "")
            seconds = 0.0
        else:
            out = db.run(rec.sql, want_rows=rec.kind == "query")
            code, fail = check_record(rec, out, threshold, labels)
            seconds = out.seconds
        payload = tag = None
        if fail is not None:
            tag = failure_tag(fail)
            if failures_left > 0:
                payload = dataclasses.asdict(fail)
                failures_left -= 1
        emit(("rec", step.index, code, payload, seconds, tag))


class _Channel:
    """The worker's end of its pipe to the supervisor: one JSON message per line, written
    unbuffered so that a worker killed mid-file has delivered every verdict before it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, msg: tuple) -> None:
        data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data):]


def _worker_main(opts: dict) -> None:
    """Entry point of the worker process (``python -m tests.sqllogic.runner --worker``): run
    one file, sending each counted record's verdict on file descriptor ``opts["fd"]``."""
    chan = _Channel(opts["fd"])
    db = None
    try:
        steps, _halt = plan(parse_file(opts["path"]), opts["engine"], opts["every"],
                            frozenset(opts.get("exclude", ())))
        db = _Database(opts["budget"], opts["dir"])
        chan.send(("ready", counted(steps)))
        execute_steps(steps, db, chan.send, resume_from=opts["resume_from"],
                      never=frozenset(opts["never"]), failures_left=opts["failures_left"])
        chan.send(("end",))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which counts it
        with contextlib.suppress(Exception):
            chan.send(("crash", f"{type(e).__name__}: {e}"))
    finally:
        if db is not None:
            db.close()
        os.close(opts["fd"])


class _WorkerProcess:
    """A worker process and the reading end of its message pipe.  A subprocess rather than
    multiprocessing: nothing of the caller (pytest, a script without a ``__main__`` guard) is
    re-imported, and killing it is a plain SIGKILL."""

    def __init__(self, opts: dict) -> None:
        # the database directory is ours, not the worker's: a killed worker cannot remove
        # it, and each holds a preallocated redo segment (~64 MB)
        self.dir = tempfile.mkdtemp(prefix="kintsugi-slt-")
        rfd, wfd = os.pipe()
        args = dict(opts, fd=wfd, dir=self.dir)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.sqllogic.runner", "--worker", json.dumps(args)],
                cwd=REPO_DIR, pass_fds=(wfd,), stdin=subprocess.DEVNULL)
        finally:
            os.close(wfd)
        self.fd = rfd
        self._buf = b""
        self._pending: list[list] = []
        self.eof = False

    def poll(self, timeout: float) -> list | None:
        """The next message, waiting up to `timeout` seconds; None if none came (see
        `eof`)."""
        deadline = time.monotonic() + timeout
        while not self._pending and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                break
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.eof = True
                break
            self._buf += chunk
            *whole, self._buf = self._buf.split(b"\n")
            self._pending.extend(json.loads(line) for line in whole if line)
        return self._pending.pop(0) if self._pending else None

    def close(self, finished: bool = False) -> None:
        """Stop the worker (one that `finished` gets a moment to close its database) and
        remove its database directory."""
        if finished:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        os.close(self.fd)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# one file, supervised (in the calling process)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class FileResult:
    """The counts of one file.  `records` are the statements and queries that count (the
    sample's, with ``every > 1``); passed + failed + skipped + timed_out == records.
    `outcomes` holds one letter per counted record (P, F, S, T) in file order."""

    name: str
    records: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    timed_out: int = 0
    seconds: float = 0.0
    every: int = 1
    outcomes: str = ""
    failures: list[Failure] = dataclasses.field(default_factory=list)
    failure_tags: dict[str, int] = dataclasses.field(default_factory=dict)  # tag -> count
    timeouts: list[int] = dataclasses.field(default_factory=list)  # lines, the first ones
    slowest: list[tuple[float, int]] = dataclasses.field(default_factory=list)
    times: list[float] = dataclasses.field(default_factory=list)  # seconds per counted record
    halted_at: int | None = None
    restarts: int = 0  # workers replaced (a statement that did not stop when cancelled)
    killed: bool = False  # over the file's wall-clock limit
    errors: list[str] = dataclasses.field(default_factory=list)  # worker crashes

    @property
    def percent(self) -> float:
        ran = self.records - self.skipped
        return 100.0 * self.passed / ran if ran else 100.0

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def run_file(path: str, *, engine: str = DEFAULT_ENGINE, every: int = 1,
             budget: float = DEFAULT_BUDGET, grace: float = DEFAULT_GRACE,
             wall: float = DEFAULT_WALL, max_failures: int = MAX_FAILURES,
             startup: float = 120.0, exclude: Collection[int] = ()) -> FileResult:
    """Run one ``.test`` file in worker processes and count its records.

    `budget`: seconds per statement before it is cancelled (timed out); `grace`: how long a
    cancelled statement may take to stop before its worker is killed and a new one replays
    the earlier statements and goes on after it; `wall`: seconds for the whole file, after
    which the rest counts as timed out; `every`: run every n-th query only (a sample);
    `exclude`: lines of queries not to run (see `plan`)."""
    started = time.monotonic()
    steps, halted_at = plan(parse_file(path), engine, every, frozenset(exclude))
    total = counted(steps)
    lines = {s.index: s.record.line for s in steps if s.index is not None}
    res = FileResult(name=os.path.basename(path), records=total, every=every,
                     halted_at=halted_at)
    codes: list[str | None] = [None] * total
    times = [0.0] * total
    never: list[int] = []
    slow: list[tuple[float, int]] = []
    resume_from = 0
    while resume_from < total:
        # the statements a new worker replays before it reports again, in order
        replay = [s.index for s in steps if s.index is not None and s.index < resume_from
                  and s.index not in never and not s.skipped and s.record.kind == "statement"
                  and s.record.bad_header is None]
        ticks = 0
        worker = _WorkerProcess({
            "path": os.path.abspath(path), "engine": engine, "every": every, "budget": budget,
            "resume_from": resume_from, "never": never, "exclude": sorted(exclude),
            "failures_left": max_failures - len(res.failures)})
        next_index = resume_from
        last = time.monotonic()
        ready = False
        finished = False
        crashed = False
        try:
            while True:
                now = time.monotonic()
                if now - started > wall:
                    res.killed = True
                    break
                limit = (budget + grace) if ready else startup
                if now - last > limit:
                    break  # stalled: a statement that did not stop when cancelled
                wait = min(1.0, max(0.01, limit - (now - last)),
                           max(0.01, wall - (now - started)))
                msg = worker.poll(wait)
                if msg is None:
                    if worker.eof:
                        crashed = True
                        worker.proc.wait(10)
                        res.errors.append(f"worker exited with code {worker.proc.returncode}"
                                          f" at record {next_index}")
                        break
                    continue
                last = time.monotonic()
                kind = msg[0]
                if kind == "ready":
                    ready = True
                elif kind == "tick":
                    ticks += 1
                elif kind == "rec":
                    _, idx, code, fail, seconds, tag = msg
                    codes[idx] = code
                    times[idx] = round(seconds, 4)
                    if tag is not None:
                        res.failure_tags[tag] = res.failure_tags.get(tag, 0) + 1
                    next_index = idx + 1
                    if fail is not None:
                        res.failures.append(Failure(**fail))
                    if seconds > 0.05:
                        slow.append((round(seconds, 3), lines[idx]))
                elif kind == "end":
                    finished = True
                    break
                elif kind == "crash":
                    crashed = True
                    res.errors.append(f"worker crashed at record {next_index}: {msg[1]}")
                    break
        finally:
            worker.close(finished)
        if finished or res.killed:
            break
        if not ready:
            break  # the worker could not even start: the rest counts as not run (timed out)
        res.restarts += 1
        if ticks < len(replay):
            # stuck replaying a statement that ran before: leave it out from now on
            never.append(replay[ticks])
            continue
        # the worker stalled (timed out) or died (failed) on record `next_index`; the rest
        # goes on in a new worker
        if next_index < total:
            if res.errors and crashed:
                codes[next_index] = FAILED
                res.failure_tags["worker died"] = res.failure_tags.get("worker died", 0) + 1
                res.failures.append(Failure(lines[next_index], "worker died", "",
                                            "", res.errors[-1]))
            else:
                codes[next_index] = TIMED_OUT
            never.append(next_index)
        resume_from = next_index + 1
    for i, c in enumerate(codes):
        if c is None:
            codes[i] = TIMED_OUT  # never reached: the file ran out of time
    res.outcomes = "".join(codes)  # type: ignore[arg-type]
    res.passed = res.outcomes.count(PASSED)
    res.failed = res.outcomes.count(FAILED)
    res.skipped = res.outcomes.count(SKIPPED)
    res.timed_out = res.outcomes.count(TIMED_OUT)
    res.timeouts = [lines[i] for i, c in enumerate(res.outcomes) if c == TIMED_OUT][:20]
    res.slowest = sorted(slow, reverse=True)[:10]
    res.times = times
    res.failures.sort(key=lambda f: f.line)
    res.seconds = time.monotonic() - started
    return res


def run_files(paths: Sequence[str], *, jobs: int = 2, progress=None,
              exclude_by_name: dict[str, Collection[int]] | None = None,
              **options: Any) -> list[FileResult]:
    """`run_file` for each path, `jobs` files at a time (each in its own worker process),
    results in the order of `paths`.  The biggest files start first, so that two workers
    finish together.  ``progress(result)`` is called as each file finishes;
    `exclude_by_name` gives each file (by base name) its `exclude` lines."""
    order = sorted(range(len(paths)), key=lambda i: -os.path.getsize(paths[i]))
    results: list[FileResult | None] = [None] * len(paths)

    def one(i: int) -> None:
        skip = (exclude_by_name or {}).get(os.path.basename(paths[i]), ())
        r = run_file(paths[i], exclude=skip, **options)
        results[i] = r
        if progress is not None:
            progress(r)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for f in [pool.submit(one, i) for i in order]:
            f.result()
    return [r for r in results if r is not None]


# ---------------------------------------------------------------------------------------------
# the sample's counts, derived from a full run; the baseline file
# ---------------------------------------------------------------------------------------------


def sample_passed(path: str, full: FileResult, every: int, engine: str = DEFAULT_ENGINE,
                  exclude: Collection[int] = ()) -> int:
    """How many records of the ``every``-th-query sample passed in the full run `full`:
    queries change no data, so a sample's records fare as they did in the full run (a
    labelled query can only do better in a sample, where fewer earlier labels are seen)."""
    full_steps, _ = plan(parse_file(path), engine, 1)
    sample_steps, _ = plan(parse_file(path), engine, every, frozenset(exclude))
    chosen_lines = {s.record.line for s in sample_steps if s.index is not None}
    return sum(1 for s in full_steps if s.index is not None and s.record.line in chosen_lines
               and s.index < len(full.outcomes) and full.outcomes[s.index] == PASSED)


def timed_out_queries(path: str, full: FileResult, engine: str = DEFAULT_ENGINE) -> list[int]:
    """The lines of the queries that timed out (or were never reached) in the full run
    `full`: the CI's sample leaves them out, since each would only cost its whole budget to
    fail again (the bench's full run keeps measuring them)."""
    steps, _ = plan(parse_file(path), engine, 1)
    return [s.record.line for s in steps if s.index is not None and s.record.kind == "query"
            and s.index < len(full.outcomes) and full.outcomes[s.index] == TIMED_OUT]


def load_baseline(path: str = BASELINE_PATH) -> dict:
    """The recorded pass counts (``{"full": {file: n}, "sample": {"every": n, "counts":
    {file: n}, "excluded": {file: [query lines]}}, ...}``); {} when there is none yet."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save_baseline(data: dict, path: str = BASELINE_PATH) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def iter_failures(result: FileResult, limit: int = MAX_FAILURES) -> Iterator[str]:
    for f in result.failures[:limit]:
        yield f.describe()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _worker_main(json.loads(sys.argv[2]))
    else:
        for p in sys.argv[1:]:
            r = run_file(p)
            print(f"{r.name}: {r.records} records, {r.passed} passed, {r.failed} failed, "
                  f"{r.skipped} skipped, {r.timed_out} timed out, {r.seconds:.1f} s")
            for text in iter_failures(r):
                print(text)
