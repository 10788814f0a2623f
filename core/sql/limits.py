"""Limits that keep hostile or runaway SQL inside MySQL's error vocabulary.

Python fails differently from mysqld when input is extreme: deep nesting exhausts the
interpreter's recursion limit (RecursionError), a 5,000-digit literal exceeds int parsing's
digit limit (ValueError), a huge REPEAT() allocates gigabytes before anything can object.
This module holds the limits, checked *before* Python would fail, and the MySQL/TiDB errors
they raise, so that every statement ends in a `core.errors` error with a MySQL code and a
failed statement changes nothing.

* names: 64 characters (1059), 4096 columns per table (1117), 16 key parts (1070), 3072 bytes
  per index key (1071), as MySQL 8 with InnoDB DYNAMIC rows and utf8mb4;
* nesting: expression depth (1436, mysqld's "Thread stack overrun") and SELECT nesting (1473);
* per statement: max_execution_time (3024), the memory quota of TiDB's tidb_mem_quota_query
  (8175), and max_allowed_packet for string results (warning 1301 and NULL).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import Any

from core.errors import DataError, OperationalError, ProgrammingError

# -- names and keys (MySQL 8, InnoDB DYNAMIC, utf8mb4) ---------------------------------------

MAX_IDENTIFIER = 64  # NAME_CHAR_LEN
MAX_COLUMNS = 4096  # MAX_FIELDS: MySQL's hard limit (InnoDB's own is 1017)
MAX_KEY_PARTS = 16  # MAX_REF_PARTS
MAX_KEY_LENGTH = 3072  # InnoDB, large prefixes


def check_identifier(name: str) -> None:
    """ERROR 1059 for a database, table, column or index name over 64 characters.

    Checked before anything uses the name: a 300-character table name would otherwise
    become a tablespace file name longer than the file system allows."""
    if len(name) > MAX_IDENTIFIER:
        raise ProgrammingError(f"Identifier name '{name}' is too long", errno=1059,
                               sqlstate="42000")


def too_many_key_parts() -> ProgrammingError:
    return ProgrammingError(f"Too many key parts specified; max {MAX_KEY_PARTS} parts allowed",
                            errno=1070, sqlstate="42000")


def key_too_long() -> ProgrammingError:
    return ProgrammingError(
        f"Specified key was too long; max key length is {MAX_KEY_LENGTH} bytes",
        errno=1071, sqlstate="42000")


# -- nesting ---------------------------------------------------------------------------------

# The expression compiler spends about four Python frames per level and the evaluation of a
# non-constant expression one more; 120 levels stay far below the interpreter's default limit
# of 1000 frames even when the caller is already deep (a test runner, a console worker).
# Chains of AND/OR are flattened by the compiler and UNIONs by the planner, so neither counts.
MAX_EXPR_DEPTH = 120
# mysqld's MAX_SELECT_NESTING is 63; a nested subquery costs the planner far more frames than
# an expression level, so the limit here is lower.
MAX_SELECT_NESTING = 24


class StackOverrunError(OperationalError):
    """ER_STACK_OVERRUN_NEED_MORE: mysqld's answer to an expression nested too deeply."""

    errno = 1436
    sqlstate = "HY000"


class NestingTooDeepError(OperationalError):
    """ER_TOO_HIGH_LEVEL_OF_NESTING_FOR_SELECT."""

    errno = 1473
    sqlstate = "HY000"

    def __init__(self, message: str = "Too high level of nesting for select"):
        super().__init__(message)


def stack_overrun(depth: int | None = None) -> StackOverrunError:
    """1436 with mysqld's wording; the numbers are nesting levels, not bytes, because the
    limit here is the interpreter's frame budget, not a C stack."""
    used = depth if depth is not None else MAX_EXPR_DEPTH + 1
    return StackOverrunError(
        f"Thread stack overrun:  {used} levels of nesting used of a {MAX_EXPR_DEPTH} level "
        f"stack. Simplify the statement (fewer nested expressions or subqueries).")


# -- numbers ---------------------------------------------------------------------------------

# Python refuses int() of more than 4300 digits (sys.get_int_max_str_digits); mysqld keeps
# a decimal literal of at most 65 digits exactly and reads longer ones as DOUBLE.
MAX_DECIMAL_DIGITS = 65


def illegal_double(text: str) -> DataError:
    """ERROR 1367 for a literal outside DOUBLE's range, as mysqld's parser reports it."""
    return DataError(f"Illegal double '{text[:64]}' value found during parsing",
                     errno=1367, sqlstate="22007")


# -- per-statement resources -----------------------------------------------------------------

DEFAULT_MAX_ALLOWED_PACKET = 67108864
MIN_MAX_ALLOWED_PACKET = 1024
MAX_MAX_ALLOWED_PACKET = 1073741824
DEFAULT_MEM_QUOTA = 1 << 30  # tidb_mem_quota_query


_tls = threading.local()


def set_packet_limit(value: Any) -> None:
    """The running statement's max_allowed_packet, for the string functions (per thread: a
    session runs on one thread at a time, and the functions get no session argument)."""
    _tls.packet = value if type(value) is int and value > 0 else DEFAULT_MAX_ALLOWED_PACKET


def packet_limit() -> int:
    return getattr(_tls, "packet", DEFAULT_MAX_ALLOWED_PACKET)


class PacketTooLarge(Exception):
    """Raised by a string function *before* it builds a result longer than
    max_allowed_packet; the expression compiler turns it into NULL and warning 1301."""

    def __init__(self, function: str):
        super().__init__(function)
        self.function = function

    def warning(self) -> tuple[int, str]:
        return 1301, (f"Result of {self.function}() was larger than max_allowed_packet "
                      f"({packet_limit()}) - truncated")


def check_packet(function: str, length: int) -> None:
    """Refuse a result of `length` characters (bytes for ASCII; mysqld counts bytes) before
    it is allocated: ``SPACE(2e9)`` must cost nothing, not two gigabytes."""
    if length > packet_limit():
        raise PacketTooLarge(function)


class QueryTimeoutError(OperationalError):
    """ER_QUERY_TIMEOUT: max_execution_time or MAX_EXECUTION_TIME(n) ran out."""

    errno = 3024
    sqlstate = "HY000"

    def __init__(self, message: str = "Query execution was interrupted, maximum statement "
                                      "execution time exceeded"):
        super().__init__(message)


class MemoryQuotaError(OperationalError):
    """TiDB's ErrMemExceedThreshold (8175): the statement held more than its quota."""

    errno = 8175
    sqlstate = "HY000"

    def __init__(self, message: str = (
            "Your query has been cancelled due to exceeding the allowed memory limit for a "
            "single SQL query. Please try narrowing your query scope or increase the "
            "tidb_mem_quota_query limit and try again.")):
        super().__init__(message)


BLOCK = 256
_getsizeof = sys.getsizeof


def row_bytes(row: Any) -> int:
    """Approximate bytes one row holds (the list and its values).  Called once per block of
    rows, never per row, so its cost does not show in scans."""
    try:
        return _getsizeof(row) + sum(_getsizeof(v) for v in row)
    except TypeError:
        return _getsizeof(row)


class MemoryTracker:
    """Bytes held by one statement's sorts, hash tables, DISTINCT sets and materialised
    results, charged per block of rows from a sample row; past `quota` the statement fails
    with 8175 before the process runs out of memory."""

    __slots__ = ("quota", "used")

    def __init__(self, quota: int = DEFAULT_MEM_QUOTA):
        self.quota = quota if quota and quota > 0 else 0
        self.used = 0

    def charge(self, nbytes: int) -> None:
        self.used += nbytes
        if self.quota and self.used > self.quota:
            raise MemoryQuotaError()

    def metered(self, rows: Iterable[list]) -> Iterator[list]:
        """`rows` unchanged, charging each block of BLOCK rows by its first row's size.  The
        blocks are re-flattened with chain, so a row costs no extra Python frame."""
        if not self.quota:
            return iter(rows)
        it = iter(rows)
        charge = self.charge

        def blocks() -> Iterator[list]:
            while True:
                block = list(islice(it, BLOCK))
                if not block:
                    return
                charge(len(block) * row_bytes(block[0]))
                yield block

        return chain.from_iterable(blocks())


    def collect(self, rows: Iterable[list]) -> list[list]:
        """`list(rows)`, charged per block; a result smaller than one block (a point get)
        costs one islice and nothing else."""
        it = iter(rows)
        out = list(islice(it, BLOCK))
        if len(out) < BLOCK:
            return out
        if not self.quota:
            out.extend(it)
            return out
        charge = self.charge
        charge(BLOCK * row_bytes(out[0]))
        while True:
            block = list(islice(it, BLOCK))
            if not block:
                return out
            charge(len(block) * row_bytes(block[0]))
            out += block


UNLIMITED = MemoryTracker(0)


# -- what the API hands over -----------------------------------------------------------------


def bad_arguments(call: str, wanted: str, got: Any) -> ProgrammingError:
    """ERROR 1210 (ER_WRONG_ARGUMENTS), the code this engine already uses for parameter
    mismatches, for a statement or parameters of the wrong Python type."""
    return ProgrammingError(f"Incorrect arguments to {call}: expected {wanted}, got "
                            f"{type(got).__name__}", errno=1210, sqlstate="HY000")


def check_sql(sql: Any) -> None:
    """The statement must be a str: bytes (what the wire carries) would need a character set
    decision the caller should make, and anything else is a bug in the caller."""
    if not isinstance(sql, str):
        raise bad_arguments("execute", "the statement as str", sql)


def check_params(params: Any) -> list | tuple | None:
    """DB-API parameters as a list/tuple, or None.  A bare value (``execute(sql, 5)``) and a
    str (a sequence of characters, never what was meant) are refused with 1210 rather than
    failing later as a TypeError."""
    if params is None or type(params) is tuple or type(params) is list:
        return params
    if isinstance(params, (str, bytes, bytearray, dict)) or not hasattr(params, "__iter__"):
        raise bad_arguments("execute", "parameters as a tuple or list", params)
    return list(params)


def check_text_encodable(sql: str) -> None:
    """ERROR 1300 for text that is not valid UTF-8 (a lone surrogate such as '\\ud800'): it
    could not have come over a MySQL connection, and msgpack/LMDB would fail on it later."""
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = sql[e.start:e.end].encode("utf-8", "surrogatepass").hex().upper()
        raise ProgrammingError(f"Invalid utf8mb4 character string: '{bad}'", errno=1300,
                               sqlstate="HY000") from None
