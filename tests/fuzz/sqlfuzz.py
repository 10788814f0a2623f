"""A grammar-aware SQL fuzzer and the supervisor that runs it in a child process.

`FuzzGenerator(seed)` makes a schema (the three tables of the differential tests'
`sqlgen.Generator` plus two tables of its own with DATETIME, DECIMAL and long VARCHAR columns,
a VARCHAR primary key and unique/secondary indexes) and then an endless, seeded stream of
cases: valid queries and DML from `sqlgen`, rows with 600-3000 character values, odd literals
(1e400, 70-digit numbers, X'FF', lone surrogates, NUL bytes), functions with huge arguments
(REPEAT/LPAD/SPACE with 2e9), deep expressions, long and strange identifiers, optimizer hints
and comments, DDL, transaction control, multi-statement text, garbage, and token-level
mutations (deletion, duplication, swaps, replacement, truncation) of valid statements.  The
stream depends on the seed only, never on what the engine answered, so a seed names a run.

`run(n, seed, workdir)` sends the cases one by one to a child process (multiprocessing,
spawn) that executes them through `core.connect()` and checks, for each one:

* **no crash**: the child is not killed by a signal and does not exit on its own;
* **no hang**: each case answers within `timeout` seconds;
* **only MySQL errors**: a failure is a `core.errors.Error` with an int `errno` and a
  5-character SQLSTATE; any other exception is reported with its type and traceback, and so
  is a 1105 "Internal error: <Python exception>" (a bug wrapped, not an answer);
* **a failing statement changes nothing**: a fingerprint of the visible state (SHOW DATABASES,
  SHOW TABLES of each, every table's rows, information_schema COLUMNS and STATISTICS) taken
  before and after a failing statement is equal, in autocommit mode and inside explicit
  transactions alike (multi-statement text is exempt: its first statements may have run);
* **what was acknowledged can be reopened**: every `reopen_every` cases and at the end, the
  child commits, fingerprints, closes, and a new child must open the directory and see the
  same fingerprint.

A crash or a hang kills the child; a new one reopens the same directory (running recovery)
and the run goes on, so one bug does not hide the next.  If the directory no longer opens, the
run goes on in a fresh one.  The child's memory is capped (RLIMIT_DATA) so REPEAT('x', 2e9)
fails with MemoryError (reported) instead of swapping the machine.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import re
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from tests.integration import sqlgen
from tests.integration.sqlgen import MYSQL

STATEMENT_TIMEOUT = 10.0
MEMORY_LIMIT = 3 << 30  # the child's heap (RLIMIT_DATA); LMDB's maps are not counted
SHOW_SQL = 300  # characters of a statement shown in a report


# -- the generator ---------------------------------------------------------------------------


@dataclass
class Case:
    index: int
    kind: str
    sql: str

    @property
    def multi(self) -> bool:
        return ";" in self.sql


EXTRA_TABLES = [
    "CREATE TABLE w (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(3000) NOT NULL, "
    "note VARCHAR(700), amount DECIMAL(12,3), at DATETIME, code VARCHAR(40), "
    "UNIQUE KEY ux_code (code), KEY ix_at (at), KEY ix_note (note), "
    "KEY ix_amount_at (amount, at))",
    "CREATE TABLE kv (k VARCHAR(760) NOT NULL PRIMARY KEY, v INT, d DATETIME, "
    "n DECIMAL(30,10), KEY ix_v (v), KEY ix_d_v (d, v))",
]

ODD_LITERALS = [
    "1e400", "-1e400", "1e308", "1.7976931348623157e308", "4.9e-324", "1e-400", "-0", "-0.0",
    "9" * 70, "-" + "9" * 70, "0." + "0" * 80 + "1", "18446744073709551616",
    "18446744073709551615", "-9223372036854775809", "9223372036854775807",
    "-9223372036854775808", "2147483648", "0x" + "F" * 40, "0xFF", "X'FF'", "X''", "X'0'",
    "x'ZZ'", "b'101'", "0b" + "1" * 70, "'\ud800'", "'a\udfffb'", "'a\x00b'", "'\x00'", "''",
    "'\\\\'", "'\\0'", "'\\Z\\n\\t%_'", "N'x'", "_utf8mb4'x'", "_binary'\xff'", "'😀'",
    "'\U0010ffff'", "'\u202e'", "'it''s'", "\"dq\"", "NULL", "TRUE", "FALSE", "@x", "@@version",
    "@@autocommit", "?", "%s", "'%s'", "1.", ".5", "1e", "1e+", "0e0", "00000000000000000001",
    "'2024-02-30 00:00:00'", "'0000-00-00 00:00:00'", "'9999-12-31 23:59:59.999999'",
    "'10000-01-01 00:00:00'", "'2024-01-01 25:61:61'", "'garbage'", "20240101", "20241399",
    "DATE '2020-01-01'", "TIMESTAMP '2020-01-01 00:00:00'", "INTERVAL 1 DAY",
    "CURRENT_TIMESTAMP", "NOW()", "'" + "x" * 3000 + "'", "'" + "é" * 700 + "'",
    "'  padded  '", "' '", "'\t\r\n'",
]

HUGE = ["2e9", "2000000000", "4294967296", "-1", "-2147483648", "9223372036854775807",
        "18446744073709551615", "1e400", "NULL", "0", "1e18", "16777216", "-2e9", "2.5",
        "'abc'", "99999999999999999999999"]

HUGE_FUNCS = [
    "REPEAT('x', {n})", "LPAD('a', {n}, 'b')", "RPAD('a', {n}, 'xy')", "SPACE({n})",
    "LPAD('a', {n}, '')", "INSERT('abc', 1, {n}, 'x')", "SUBSTRING('abc', {n})",
    "SUBSTRING('abc', 1, {n})", "LEFT('abc', {n})", "RIGHT('abc', {n})",
    "CONCAT(REPEAT('a', {n}), 'b')", "LENGTH(REPEAT('ab', {n}))", "ROUND(1.5, {n})",
    "TRUNCATE(1.5, {n})", "FORMAT(1, {n})", "DATE_ADD('2020-01-01', INTERVAL {n} DAY)",
    "DATE_SUB('2020-01-01 00:00:00', INTERVAL {n} SECOND)", "POW(10, {n})", "POWER(2, {n})",
    "EXP({n})", "CHAR({n})", "LOCATE('a', 'abc', {n})", "MAKEDATE(2020, {n})",
    "FROM_UNIXTIME({n})", "CONV({n}, 10, 36)", "LOG({n})", "SQRT({n})", "1 / {n}",
    "MOD(1, {n})", "{n} DIV 0", "{n} * {n}", "{n} + 9223372036854775807", "-{n} - {n}",
    "CAST({n} AS SIGNED)", "CAST({n} AS UNSIGNED)", "CAST({n} AS DECIMAL(65,30))",
    "CAST({n} AS CHAR)", "CAST({n} AS DATETIME)", "ABS({n})", "LEAST({n}, 1, 'a')",
    "COALESCE(NULL, {n})", "IFNULL({n}, 1)", "NULLIF({n}, {n})", "GREATEST({n}, 1e308)",
    "ELT({n}, 'a', 'b')", "FIELD({n}, 1, 2)", "REPEAT(REPEAT('ab', 30000), {n})",
    "SUBSTRING_INDEX('a,b,c', ',', {n})", "LPAD(REPEAT('z', 3000), {n}, '.')",
]

DEPTHS = [8, 40, 120, 400, 1500, 5000]

HINTS = [
    "/*+ MAX_EXECUTION_TIME(1) */", "/*+ SET_VAR(sort_buffer_size = 16M) */",
    "/*+ NO_INDEX_MERGE(t0) BKA(t1) */", "/*+ USE_INDEX(t0, nope) */", "/*!40101 */",
    "/*!STRAIGHT_JOIN*/", "/*+", "/* unterminated", "SQL_NO_CACHE", "SQL_CALC_FOUND_ROWS",
    "HIGH_PRIORITY", "STRAIGHT_JOIN", "DISTINCTROW", "/*+ " + "X(" * 200 + ")" * 200 + " */",
]

INDEX_HINTS = ["FORCE INDEX (PRIMARY)", "USE INDEX ()", "IGNORE INDEX (PRIMARY)",
               "FORCE INDEX (nope)", "USE KEY (ix_v)", "FORCE INDEX FOR ORDER BY (PRIMARY)"]

IDENTS = [
    "a" * 64, "a" * 65, "b" * 255, "c" * 3000, "`d``e`", "`\x00`", "`😀`", "` `", "`t0 `",
    "`.`", "`..`", "`/`", "`../escape`", "`a/b`", "`#redo`", "`system`", "`con`", "`nul`",
    "`information_schema`", "`mysql`", "``", "`" + "é" * 64 + "`", "`" + "é" * 65 + "`",
    "`\ud800`", "`a\tb`", "`select`", "select", "`t0`", "`T0`", "`test`.`t0`",
    "`nodb`.`x`", "test.t0.id", "`" + "x" * 64 + "`",
]

COLUMN_TYPES = [
    "INT", "BIGINT", "BIGINT UNSIGNED", "TINYINT", "SMALLINT", "VARCHAR(1)", "VARCHAR(255)",
    "VARCHAR(700)", "VARCHAR(3000)", "VARCHAR(16383)", "VARCHAR(70000)", "VARCHAR(0)",
    "CHAR(10)", "CHAR(300)", "DECIMAL(10,2)", "DECIMAL(65,30)", "DECIMAL(66,0)",
    "DECIMAL(10,20)", "DECIMAL", "DATETIME", "DATETIME(6)", "DATETIME(7)", "DATE", "TIMESTAMP",
    "TIME", "TEXT", "BLOB", "DOUBLE", "FLOAT", "JSON", "ENUM('a','b')", "BIT(65)", "BOOL",
    "INT(300)", "NOSUCHTYPE",
]

CAST_TYPES = ["SIGNED", "UNSIGNED", "DECIMAL(65,30)", "CHAR", "DATETIME", "BINARY", "DOUBLE"]
COLUMN_ATTRS = ["", " NOT NULL", " NULL", " DEFAULT 1", " DEFAULT 1e400", " AUTO_INCREMENT",
                " UNIQUE", " PRIMARY KEY"]

TXN = [
    "BEGIN", "START TRANSACTION", "START TRANSACTION READ ONLY", "START TRANSACTION READ WRITE",
    "START TRANSACTION WITH CONSISTENT SNAPSHOT", "COMMIT", "ROLLBACK", "COMMIT WORK",
    "ROLLBACK WORK", "COMMIT AND CHAIN", "ROLLBACK AND NO CHAIN", "COMMIT RELEASE",
    "SAVEPOINT s1", "ROLLBACK TO SAVEPOINT s1", "RELEASE SAVEPOINT s1", "ROLLBACK TO nope",
    "SET autocommit = 0", "SET autocommit = 1", "SET autocommit = 2", "SET @@autocommit = 1e400",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET SESSION TRANSACTION READ ONLY",
    "XA START 'x'", "LOCK TABLES t0 WRITE", "UNLOCK TABLES", "BEGIN WORK", "BEGIN; COMMIT",
]

TOKEN_POOL = [
    "SELECT", "FROM", "WHERE", "(", ")", ",", "NULL", "AND", "OR", "NOT", "=", "<=>", "+", "-",
    "*", "/", "%", "'", "`", '"', "\\", "JOIN", "ON", "GROUP", "BY", "ORDER", "LIMIT", "UNION",
    "ALL", "INTO", "VALUES", "SET", "DEFAULT", "IN", "EXISTS", "CASE", "WHEN", "THEN", "END",
    "1e400", "X'FF'", "@x", "?", "%s", "\x00", "\ud800", "/*", "*/", "--", "#", "KEY", "INDEX",
    "PRIMARY", "TABLE", "DROP", "AS", "DISTINCT", "HAVING", "t0", "w", "kv", "id", "*", ".",
    "9" * 40, "-0", "''", "DUAL", "IS", "LIKE", "ESCAPE", "BETWEEN", "INTERVAL", "BINARY",
]

_TOKEN_RE = re.compile(r"'(?:[^'\\]|\\.|'')*'|`(?:[^`]|``)*`|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|"
                       r"\w+|<=>|<=|>=|<>|!=|\S", re.S)


class FuzzGenerator:
    """The schema and the case stream of one seed."""

    WEIGHTS = {"query": 12, "dml": 12, "long": 10, "odd": 10, "func": 6, "deep": 5, "ident": 5,
               "hint": 4, "ddl": 10, "txn": 7, "multi": 4, "mutant": 16, "garbage": 3}

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(f"sqlfuzz-{seed}")
        self.gen = sqlgen.Generator(seed)
        self.tables = self.gen.tables
        self._kinds = list(self.WEIGHTS)
        self._weights = [self.WEIGHTS[k] for k in self._kinds]
        self._n = 0

    # -- the schema ------------------------------------------------------------------------

    def setup(self) -> list[str]:
        """Statements that build the starting database (all must succeed)."""
        out = []
        for t in self.tables:
            out += t.create(MYSQL)
            out.append(sqlgen.insert_sql(t, self.gen.rows[t.name]))
        out += EXTRA_TABLES
        rng = random.Random(f"setup-{self.seed}")
        rows = []
        for i in range(24):
            name = "n" * rng.choice([1, 10, 600, 1500, 3000])  # long, but not indexed
            note = "NULL" if i % 5 == 0 else f"'note{i}'"
            amount = format(Decimal(rng.randint(-10**6, 10**6)).scaleb(-3), "f")
            at = f"'2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00'"
            code = "NULL" if i % 7 == 0 else f"'c{i}'"
            rows.append(f"('{name}', {note}, {amount}, {at}, {code})")
        out.append("INSERT INTO w (name, note, amount, at, code) VALUES " + ", ".join(rows))
        kvs = [f"('k{i:03d}', {i % 9}, '2023-06-{1 + i % 28:02d} 12:00:00', {i}.5)"
               for i in range(30)]
        out.append("INSERT INTO kv (k, v, d, n) VALUES " + ", ".join(kvs))
        return out

    # -- the stream ------------------------------------------------------------------------

    def cases(self, n: int) -> list[Case]:
        return [self.case() for _ in range(n)]

    def case(self) -> Case:
        kind = self.rng.choices(self._kinds, self._weights)[0]
        sql = getattr(self, f"c_{kind}")()
        self._n += 1
        return Case(self._n - 1, kind, sql)

    # helpers

    def _table(self):
        return self.rng.choice(self.tables)

    def _tname(self) -> str:
        return self.rng.choice([t.name for t in self.tables] + ["w", "kv"])

    def _col_of(self, tname: str) -> str:
        cols = {"w": ["id", "name", "note", "amount", "at", "code"],
                "kv": ["k", "v", "d", "n"]}.get(tname)
        if cols is None:
            cols = next(t for t in self.tables if t.name == tname).names
        return self.rng.choice(cols)

    def _long(self) -> str:
        r = self.rng.random()
        n = self.rng.randint(600, 3000)
        if r < 0.4:
            return "'" + self.rng.choice("abcxyz") * n + "'"
        if r < 0.7:
            return f"REPEAT('{self.rng.choice('kq')}', {n})"
        if r < 0.85:
            return "'" + "".join(self.rng.choice("aé😀 ") for _ in range(n // 2)) + "'"
        return f"CONCAT('p', REPEAT('-', {n}), {self.rng.randint(0, 99)})"

    def _datetime(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return (f"'{rng.randint(1000, 9999)}-{rng.randint(1, 12):02d}-"
                    f"{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
                    f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}'")
        return rng.choice(["'2024-02-30 00:00:00'", "'0000-00-00 00:00:00'", "NULL", "NOW()",
                           "'9999-12-31 23:59:59.999999'", "'garbage'", "20240101",
                           "'2024-01-01'", "1e400", "'1000-01-01 00:00:00'"])

    def _odd(self) -> str:
        return self.rng.choice(ODD_LITERALS)

    # kinds

    def c_query(self) -> str:
        return self.gen.query().mysql

    def c_dml(self) -> str:
        return self.gen.dml().mysql

    def c_long(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            n = rng.randint(1, 3)
            vals = ", ".join(
                f"({self._long() if rng.random() < 0.6 else repr('nm')}, "
                f"{self._long() if rng.random() < 0.5 else 'NULL'}, "
                f"{rng.choice(['1.5', '-99.999', '123456789.123', '1e400', 'NULL'])}, "
                f"{self._datetime()}, "
                f"{self._long() if rng.random() < 0.2 else repr('u' + str(rng.randint(0, 60)))})"
                for _ in range(n))
            verb = rng.choice(["INSERT", "INSERT IGNORE", "REPLACE"])
            return f"{verb} INTO w (name, note, amount, at, code) VALUES {vals}"
        if r < 0.5:
            k = self._long() if rng.random() < 0.6 else f"'k{rng.randint(0, 40):03d}'"
            tail = (" ON DUPLICATE KEY UPDATE v = v + 1, n = n * 2" if rng.random() < 0.3
                    else "")
            verb = "INSERT" if tail else rng.choice(["INSERT", "INSERT IGNORE", "REPLACE"])
            return (f"{verb} INTO kv (k, v, d, n) VALUES ({k}, {rng.randint(-5, 20)}, "
                    f"{self._datetime()}, {rng.choice(['0.5', '1e20', '12345678901234567890'])}"
                    f"){tail}")
        if r < 0.7:
            col = rng.choice(["note", "name", "code"])
            cond = rng.choice([f"id = {rng.randint(1, 30)}", f"id < {rng.randint(1, 30)}",
                               "note IS NULL", f"at > {self._datetime()}"])
            return f"UPDATE w SET {col} = {self._long()} WHERE {cond}"
        if r < 0.8:
            return (f"UPDATE kv SET k = {self._long()} WHERE v = {rng.randint(0, 9)} "
                    f"{rng.choice(['', 'LIMIT 1', 'ORDER BY k DESC LIMIT 2'])}")
        if r < 0.9:
            return rng.choice([
                f"SELECT id, LENGTH(name) FROM w WHERE note = {self._long()}",
                f"SELECT * FROM kv WHERE k >= {self._long()} ORDER BY k LIMIT 3",
                f"DELETE FROM w WHERE note = {self._long()}",
                f"SELECT COUNT(*) FROM w WHERE at BETWEEN {self._datetime()} AND "
                f"{self._datetime()}",
                f"DELETE FROM kv WHERE d < {self._datetime()} LIMIT 2",
            ])
        return f"SELECT {self._long()} = {self._long()}, LENGTH({self._long()})"

    def c_odd(self) -> str:
        rng = self.rng
        t = self._table()
        c = rng.choice(t.names)
        lit, lit2 = self._odd(), self._odd()
        return rng.choice([
            f"SELECT {lit}", f"SELECT {lit} + 1, {lit2}",
            f"SELECT * FROM {t.name} WHERE {c} = {lit}",
            f"SELECT {c} FROM {t.name} WHERE {c} IN ({lit}, {lit2}) ORDER BY 1",
            f"INSERT INTO w (name, amount, at, code) VALUES ({lit}, {lit2}, {self._odd()}, "
            f"{self._odd()})",
            f"UPDATE w SET amount = {lit} WHERE id = {rng.randint(1, 30)}",
            f"UPDATE w SET at = {lit} WHERE id < {rng.randint(1, 30)}",
            f"INSERT INTO kv (k, v, d, n) VALUES ({lit}, {lit2}, {self._odd()}, {self._odd()})",
            f"SELECT CAST({lit} AS {rng.choice(CAST_TYPES)})",
            f"SELECT {lit} LIKE {lit2}", f"SELECT * FROM {t.name} LIMIT {lit}",
            f"SELECT * FROM {t.name} ORDER BY {lit}", f"SELECT {lit} FROM {t.name} GROUP BY 1",
            f"UPDATE {t.name} SET {c} = {lit} WHERE {c} = {lit2}",
            f"DELETE FROM {t.name} WHERE {c} = {lit}",
            f"SELECT COUNT(*) FROM kv WHERE k = {lit}", f"SELECT {lit} AS {lit2}",
        ])

    def c_func(self) -> str:
        rng = self.rng
        exprs = [rng.choice(HUGE_FUNCS).format(n=rng.choice(HUGE))
                 for _ in range(rng.randint(1, 2))]
        shape = rng.random()
        if shape < 0.6:
            return "SELECT " + ", ".join(exprs)
        if shape < 0.8:
            return f"SELECT LENGTH({exprs[0]}) FROM w WHERE id = {rng.randint(1, 5)}"
        if shape < 0.9:
            return f"UPDATE w SET note = {exprs[0]} WHERE id = {rng.randint(1, 30)}"
        return f"INSERT INTO kv (k, v) VALUES ({exprs[0]}, 1)"

    def c_deep(self) -> str:
        rng = self.rng
        d = rng.choice(DEPTHS)
        r = rng.random()
        if r < 0.15:
            e = "(" * d + "1" + ")" * d
        elif r < 0.3:
            e = "1" + "+1" * d
        elif r < 0.4:
            e = "NOT " * d + "1"
        elif r < 0.5:
            e = "- " * d + "1"
        elif r < 0.6:
            e = "CONCAT(" * d + "'a'" + ", 'b')" * d
        elif r < 0.7:
            e = "CASE WHEN 1 THEN " * d + "1" + " END" * d
        elif r < 0.8:
            e = "(SELECT " * min(d, 400) + "1" + ")" * min(d, 400)
        elif r < 0.9:
            e = "1 IN (" + ", ".join(str(i) for i in range(d * 10)) + ")"
        else:
            t = self._table()
            c = rng.choice(t.names)
            return f"SELECT * FROM {t.name} WHERE " + " OR ".join(
                f"{c} = {i}" for i in range(d))
        return rng.choice([f"SELECT {e}", f"SELECT * FROM kv WHERE v = {e}",
                           f"UPDATE kv SET v = {e} WHERE k = 'k001'"])

    def c_ident(self) -> str:
        rng = self.rng
        a, b = rng.choice(IDENTS), rng.choice(IDENTS)
        return rng.choice([
            f"SELECT {a} FROM t0", f"SELECT 1 AS {a}", f"SELECT * FROM {a}",
            f"CREATE TABLE {a} (x INT PRIMARY KEY)", f"CREATE TABLE f1 ({a} INT, {b} INT)",
            f"CREATE DATABASE {a}", f"DROP DATABASE {a}", f"DROP TABLE {a}", f"USE {a}",
            f"CREATE INDEX {a} ON w (code)", f"ALTER TABLE kv ADD INDEX {a} (v)",
            f"RENAME TABLE f1 TO {a}", f"SELECT * FROM t0 AS {a}", f"SHOW TABLES FROM {a}",
            f"DESCRIBE {a}", f"INSERT INTO {a} VALUES (1)", f"SELECT {a}.{b} FROM t0",
        ])

    def c_hint(self) -> str:
        rng = self.rng
        t = self._table()
        h = rng.choice(HINTS)
        ih = rng.choice(INDEX_HINTS)
        return rng.choice([
            f"SELECT {h} * FROM {t.name} LIMIT 3", f"SELECT {h} COUNT(*) FROM {t.name}",
            f"SELECT * FROM kv {ih} WHERE v = 1", f"SELECT * FROM {t.name} {ih} LIMIT 1",
            f"INSERT {h} INTO kv (k, v) VALUES ('h{rng.randint(0, 99)}', 1)",
            f"UPDATE {h} kv SET v = v WHERE k = 'k002'", f"DELETE {h} FROM kv WHERE k = 'zz'",
            "/*!40101 SELECT 1 */", "-- only a comment", "# only a comment", "/* */",
            f"SELECT 1 /* {h} */ + /**/ 1", "SELECT 1 -- tail", "SELECT 1 #tail",
            f"{h} SELECT 1", "SELECT 1 /*!50000 + 1 */",
        ])

    def c_ddl(self) -> str:
        rng = self.rng
        f = f"f{rng.randint(0, 4)}"
        r = rng.random()
        if r < 0.3:
            cols = []
            for i in range(rng.choice([0, 1, 2, 3, 5])):
                cols.append(f"c{i} {rng.choice(COLUMN_TYPES)}{rng.choice(COLUMN_ATTRS)}")
            names = [c.split()[0] for c in cols] or ["nope"]
            if rng.random() < 0.6:
                pk = rng.sample(names, min(len(names), rng.randint(1, 2)))
                cols.append(f"PRIMARY KEY ({', '.join(pk)})")
            for _ in range(rng.randint(0, 2)):
                cols.append(f"{rng.choice(['KEY', 'UNIQUE KEY', 'INDEX', 'FULLTEXT KEY'])} "
                            f"ix{rng.randint(0, 2)} ({rng.choice(names)}"
                            f"{rng.choice(['', '(10)', ' DESC', '(5000)'])})")
            if rng.random() < 0.1:
                cols.append("c0 INT")  # a duplicate column
            ine = rng.choice(["", "IF NOT EXISTS "])
            return f"CREATE TABLE {ine}{f} ({', '.join(cols)})"
        if r < 0.4:
            return rng.choice([f"CREATE TABLE {f} LIKE {self._tname()}",
                               f"CREATE TABLE {f} AS SELECT * FROM {self._tname()}",
                               f"CREATE TABLE {f} SELECT 1 AS x"])
        if r < 0.55:
            return rng.choice([f"DROP TABLE {f}", f"DROP TABLE IF EXISTS {f}",
                               f"DROP TABLE {f}, f{rng.randint(0, 4)}", f"TRUNCATE TABLE {f}",
                               f"TRUNCATE {f}", f"DROP TABLE IF EXISTS {f}, nope"])
        if r < 0.75:
            tname = rng.choice([self._tname(), f])
            col = self._col_of(tname) if tname != f else "c0"
            col2 = self._col_of(tname) if tname != f else "c1"
            ix = f"fx{rng.randint(0, 3)}"
            return rng.choice([
                f"CREATE INDEX {ix} ON {tname} ({col})",
                f"CREATE UNIQUE INDEX {ix} ON {tname} ({col})",
                f"ALTER TABLE {tname} ADD INDEX {ix} ({col}, {col2})",
                f"ALTER TABLE {tname} ADD UNIQUE KEY {ix} ({col})",
                f"ALTER TABLE {tname} DROP INDEX {ix}", f"DROP INDEX {ix} ON {tname}",
                f"ALTER TABLE {tname} DROP INDEX PRIMARY",
                f"ALTER TABLE {tname} ADD COLUMN z INT", f"ALTER TABLE {tname} ENGINE = InnoDB",
                f"CREATE INDEX {ix} ON {tname} (nope)", f"CREATE INDEX {ix} ON {tname} ()",
                f"CREATE INDEX {ix} ON {tname} ({col}(10))",
            ])
        if r < 0.85:
            return rng.choice([f"RENAME TABLE {f} TO f{rng.randint(0, 4)}",
                               f"RENAME TABLE {f} TO fdb{rng.randint(0, 2)}.{f}",
                               f"RENAME TABLE {self._tname()} TO {self._tname()}",
                               f"ALTER TABLE {f} RENAME TO f{rng.randint(0, 4)}"])
        db = f"fdb{rng.randint(0, 2)}"
        return rng.choice([f"CREATE DATABASE {db}", f"CREATE DATABASE IF NOT EXISTS {db}",
                           f"DROP DATABASE {db}", f"DROP DATABASE IF EXISTS {db}",
                           f"CREATE TABLE {db}.{f} (x INT PRIMARY KEY, y VARCHAR(800), KEY (y))",
                           f"INSERT INTO {db}.{f} VALUES (1, {self._long()})",
                           "ADMIN SHOW DDL JOBS", "ADMIN CHECK TABLE t0",
                           "SELECT * FROM information_schema.ddl_jobs",
                           f"SHOW CREATE TABLE {self._tname()}", "SHOW TABLES",
                           f"DESCRIBE {self._tname()}", f"EXPLAIN SELECT * FROM {self._tname()}"])

    def c_txn(self) -> str:
        return self.rng.choice(TXN)

    def c_multi(self) -> str:
        rng = self.rng
        parts = []
        for _ in range(rng.randint(2, 4)):
            kind = rng.choice(["query", "dml", "long", "txn", "odd", "ddl"])
            parts.append(getattr(self, f"c_{kind}")())
        sep = rng.choice([";", "; ", ";\n", " ;; "])
        return sep.join(parts) + rng.choice(["", ";", ";;", "; -- end"])

    def _valid(self) -> str:
        kind = self.rng.choice(["query", "query", "dml", "dml", "long", "ddl", "hint"])
        return getattr(self, f"c_{kind}")()

    def c_mutant(self) -> str:
        rng = self.rng
        toks = _TOKEN_RE.findall(self._valid())
        for _ in range(rng.randint(1, 3)):
            if not toks:
                toks = [rng.choice(TOKEN_POOL)]
            i = rng.randrange(len(toks))
            op = rng.random()
            if op < 0.25:
                del toks[i]
            elif op < 0.45:
                toks.insert(i, toks[i])
            elif op < 0.65:
                j = rng.randrange(len(toks))
                toks[i], toks[j] = toks[j], toks[i]
            elif op < 0.85:
                toks[i] = rng.choice(TOKEN_POOL)
            elif op < 0.95:
                toks.insert(i, rng.choice(TOKEN_POOL))
            else:
                toks = toks[:i]
        text = " ".join(toks)
        if rng.random() < 0.1 and text:  # cut inside a token, quotes included
            text = text[: rng.randrange(len(text))]
        return text.replace(";", " ")

    def c_garbage(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            return " ".join(rng.choice(TOKEN_POOL) for _ in range(rng.randint(0, 12)))
        if r < 0.7:
            return "".join(chr(rng.randint(0, 0x7F)) for _ in range(rng.randint(0, 40))) \
                .replace(";", ",")
        if r < 0.85:
            return "".join(chr(rng.choice([rng.randint(0x80, 0xFFFF), 0xD800, 0, 0x10FFFF]))
                           for _ in range(rng.randint(1, 10)))
        return rng.choice(["", " ", "\n", "\x00", "SELECT", "(", "'", "`", "/*", "--",
                           "SELECT 1" + "\x00" + "garbage", "SELECT\x001"])


# -- the child: runs the cases -----------------------------------------------------------------


_INTERNAL_RE = re.compile(r"\s*internal error\b", re.I)
_READ_RE = re.compile(r"\s*\(*\s*(SELECT|SHOW|DESCRIBE|DESC|EXPLAIN)\b", re.I)


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _digest(obj) -> str:
    return hashlib.sha256(repr(obj).encode("utf-8", "backslashreplace")).hexdigest()[:16]


def fingerprint(cur) -> dict[str, str]:
    """The state a session can see, as {part: digest}: databases, each database's tables,
    each table's rows (as a sorted multiset), and the columns and indexes of every table."""
    out: dict[str, str] = {}
    cur.execute("SHOW DATABASES")
    dbs = sorted(r[0] for r in cur.fetchall() if r[0].lower() != "information_schema")
    out["databases"] = _digest(dbs)
    for db in dbs:
        cur.execute(f"SHOW TABLES FROM {_q(db)}")
        tables = sorted(r[0] for r in cur.fetchall())
        out[f"tables of {db}"] = _digest(tables)
        for t in tables:
            cur.execute(f"SELECT * FROM {_q(db)}.{_q(t)}")
            out[f"rows of {db}.{t}"] = _digest(sorted(repr(r) for r in cur.fetchall()))
    cur.execute("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, "
                "IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS")
    out["columns"] = _digest(sorted(repr(r) for r in cur.fetchall()))
    cur.execute("SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, "
                "NON_UNIQUE FROM information_schema.STATISTICS")
    out["indexes"] = _digest(sorted(repr(r) for r in cur.fetchall()))
    return out


def diff(a: dict, b: dict) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _describe(exc: BaseException) -> dict:
    return {"type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "msg": str(exc)[:500],
            "tb": "".join(traceback.format_exception(exc))[-3000:]}


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def _resolve(dotted: str):
    import importlib

    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def child_main(pipe, path: str, setup: list[str] | None, options: dict,
               connect: str = "core.api:connect") -> None:
    """The supervised child: open `path` (creating it and running `setup` if given), answer
    ("ready", fingerprint), then run cases until told to finish.  `connect` names the
    function that opens a connection ("module:function"; the supervisor's own tests pass a
    fake engine)."""
    import faulthandler

    _limit_memory()
    crash_log = open(os.path.join(os.path.dirname(path), "faulthandler.log"), "a")
    faulthandler.enable(crash_log)
    try:
        from core.errors import Error

        conn = _resolve(connect)(path, create=setup is not None, autocommit=True, **options)
        cur = conn.cursor()
        for sql in setup or ():
            cur.execute(sql)
        pipe.send(("ready", fingerprint(cur)))
    except BaseException as exc:  # noqa: BLE001 - reported to the supervisor
        pipe.send(("fatal", _describe(exc)))
        return
    cached: dict | None = None
    while True:
        msg = pipe.recv()
        if msg[0] == "finish":
            out: dict = {}
            try:
                try:
                    cur.execute("COMMIT")
                except Error as err:
                    out["commit"] = f"{type(err).__name__}: {err}"
                out["fingerprint"] = fingerprint(cur)
            except BaseException as exc:  # noqa: BLE001
                out["raw"] = _describe(exc)
            try:
                conn.close()
            except BaseException as exc:  # noqa: BLE001
                out["close"] = _describe(exc)
            pipe.send(("finished", out))
            return
        _, sql, check = msg
        res: dict = {"status": "ok"}
        try:
            before = None
            if check:
                before = cached if cached is not None else fingerprint(cur)
            try:
                cur.execute(sql)
                if cur.description is not None:
                    cur.fetchall()
                cached = before if before is not None and _READ_RE.match(sql) else None
                pipe.send(("done", res))
                continue
            except Error as err:
                ok = isinstance(err.errno, int) and not isinstance(err.errno, bool) and \
                    isinstance(err.sqlstate, str) and len(err.sqlstate) == 5
                status = "error" if ok else "bad-error"
                if ok and _INTERNAL_RE.match(getattr(err, "msg", "") or ""):
                    status = "internal"  # a raw exception wrapped as 1105: still a bug
                res.update(status=status, errno=err.errno, sqlstate=err.sqlstate,
                           **_describe(err))
            except BaseException as exc:  # noqa: BLE001 - the finding
                res.update(status="raw", **_describe(exc))
            if before is not None:
                after = fingerprint(cur)
                changed = diff(before, after)
                if changed:
                    res["changed"] = changed
                cached = after
            else:
                cached = None
        except BaseException as exc:  # noqa: BLE001 - the fingerprint itself failed
            res.update(status="fingerprint", **_describe(exc))
            cached = None
        pipe.send(("done", res))


# -- the supervisor ----------------------------------------------------------------------------


def _clip(text: str, n: int = SHOW_SQL) -> str:
    return text if len(text) <= n else text[:n] + f"... ({len(text)} chars)"


@dataclass
class Failure:
    index: int
    kind: str  # the case kind
    problem: str  # crash, hang, raw-exception, bad-error, state-changed, reopen, ...
    sql: str
    detail: str
    tb: str = ""

    def key(self) -> tuple:
        first = self.detail.splitlines()[0] if self.detail else ""
        return (self.problem, re.sub(r"\d+", "N", first)[:90])

    def show(self) -> str:
        return (f"#{self.index} [{self.kind}] {self.problem}: {_clip(self.detail)}\n"
                f"    SQL: {_clip(self.sql)!r}")


@dataclass
class Report:
    seed: int
    cases: int = 0
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    restarts: int = 0
    reopens: int = 0
    elapsed: float = 0.0

    def groups(self) -> dict[tuple, list[Failure]]:
        out: dict[tuple, list[Failure]] = {}
        for f in self.failures:
            out.setdefault(f.key(), []).append(f)
        return out

    def summary(self, examples: int = 1, tracebacks: bool = True) -> str:
        lines = [f"seed {self.seed}: {self.cases} cases in {self.elapsed:.1f} s, {self.ok} ok, "
                 f"{sum(self.errors.values())} MySQL errors "
                 f"({len(self.errors)} distinct codes), {len(self.failures)} failures in "
                 f"{len(self.groups())} groups, {self.restarts} child restarts, "
                 f"{self.reopens} reopen checks"]
        for (problem, _), fs in sorted(self.groups().items(), key=lambda kv: -len(kv[1])):
            first = fs[0].detail.splitlines()[0] if fs[0].detail else ""
            lines.append(f"- {len(fs)} x {problem}: {_clip(first, 200)}")
            for f in fs[:examples]:
                lines.append("  " + f.show().replace("\n", "\n  "))
                if tracebacks and f.tb:
                    tail = f.tb.strip().splitlines()[-6:]
                    lines += ["      | " + _clip(t, 200) for t in tail]
        return "\n".join(lines)


class _Child:
    def __init__(self, ctx, path: str, setup, options: dict, connect: str):
        self.parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=child_main, args=(child, path, setup, options, connect),
                                daemon=True)
        self.proc.start()
        child.close()

    def ask(self, msg, timeout: float):
        """Send `msg`, wait for the answer: (answer, None) or (None, 'hang'|'died')."""
        try:
            if msg is not None:
                self.parent.send(msg)
            if not self.parent.poll(timeout):
                return None, "hang"
            return self.parent.recv(), None
        except (EOFError, OSError, BrokenPipeError):
            return None, "died"

    def death(self) -> str:
        self.proc.join(5)
        code = self.proc.exitcode
        if code is None:
            return "did not exit"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code}"

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.parent.close()


def _crash_log(workdir: str) -> str:
    p = os.path.join(workdir, "faulthandler.log")
    try:
        with open(p) as f:
            text = f.read()
        os.truncate(p, 0)
    except OSError:
        return ""
    return text[-2000:]


def run(n: int, seed: int, workdir: str, *, timeout: float = STATEMENT_TIMEOUT,
        reopen_every: int | None = 250, say=None, options: dict | None = None,
        cases: list[str] | None = None, setup: list[str] | None = None,
        connect: str = "core.api:connect") -> Report:
    """Run `n` cases of `seed` against a new database under `workdir`; see the module doc.
    `cases` replaces the generated stream with given statements (reproducing a report),
    `setup` the generated schema."""
    t0 = time.perf_counter()
    options = {"flush_interval": 0.05} if options is None else options
    ctx = multiprocessing.get_context("spawn")
    gen = FuzzGenerator(seed)
    setup = gen.setup() if setup is None else setup
    report = Report(seed)
    generation = 0
    os.makedirs(workdir, exist_ok=True)

    def fresh_path() -> str:
        nonlocal generation
        generation += 1
        return os.path.join(workdir, f"db{generation}")

    def fail(case: Case | None, problem: str, detail: str, tb: str = "") -> None:
        f = Failure(case.index if case else -1, case.kind if case else "-", problem,
                    case.sql if case else "", detail, tb)
        report.failures.append(f)
        if say:
            say(f.show())

    def start(path: str, setup, case: Case | None, expect: dict | None = None):
        """A ready child on `path`, or None (after recording why) if it does not open."""
        child = _Child(ctx, path, setup, options, connect)
        answer, problem = child.ask(None, max(timeout, 60.0))
        what = "setup" if setup is not None else "reopen"
        if problem is not None or answer[0] != "ready":
            if problem == "hang":
                detail = f"{what} hangs"
            elif problem == "died":
                detail = f"{what}: child {child.death()}"
            else:
                detail = f"{what} fails: {answer[1]['type']}: {answer[1]['msg']}"
            log = _crash_log(workdir)
            fail(case, what, detail, answer[1]["tb"] if answer else log)
            child.kill()
            return None
        if expect is not None:
            report.reopens += 1
            changed = diff(expect, answer[1])
            if changed:
                fail(case, "reopen", "after reopening, the committed state differs: "
                     + ", ".join(changed[:6]))
        return child

    path = fresh_path()
    child = start(path, setup, None)
    if child is None:
        report.elapsed = time.perf_counter() - t0
        return report

    def reopen(case: Case | None):
        """Finish the child, reopen in a new one and compare; a fresh database if it fails."""
        nonlocal child, path
        answer, problem = child.ask(("finish",), max(timeout, 60.0))
        expect = None
        if problem is not None:
            fail(case, "close", f"closing: child {child.death() if problem == 'died' else 'hangs'}",
                 _crash_log(workdir))
        else:
            out = answer[1]
            for k in ("raw", "close"):
                if k in out:
                    fail(case, k if k == "close" else "raw-exception",
                         f"at {'close' if k == 'close' else 'commit/fingerprint'}: "
                         f"{out[k]['type']}: {out[k]['msg']}", out[k]["tb"])
            expect = out.get("fingerprint")
        child.kill()
        child = start(path, None, case, expect)
        if child is None:
            path = fresh_path()
            child = start(path, setup, case)

    given = None if cases is None else [Case(i, "given", sql) for i, sql in enumerate(cases)]
    if given is not None:
        n = len(given)
    for i in range(n):
        case = gen.case() if given is None else given[i]
        report.cases += 1
        if child is None:
            break
        answer, problem = child.ask(("case", case.sql, not case.multi), timeout)
        if problem is not None:
            if problem == "hang":
                fail(case, "hang", f"no answer within {timeout:g} s")
            else:
                log = _crash_log(workdir)
                fail(case, "crash", f"child {child.death()}", log)
            child.kill()
            report.restarts += 1
            child = start(path, None, case)
            if child is None:
                path = fresh_path()
                child = start(path, setup, case)
            continue
        res = answer[1]
        status = res["status"]
        if status == "ok":
            report.ok += 1
        elif status == "error":
            report.errors[res["errno"]] += 1
        elif status == "raw":
            fail(case, "raw-exception", f"{res['type']}: {res['msg']}", res["tb"])
        elif status == "internal":
            fail(case, "internal-error", f"{res['type']}: {res['msg']}", res["tb"])
        elif status == "bad-error":
            fail(case, "bad-error", f"errno={res['errno']!r} sqlstate={res['sqlstate']!r}: "
                 f"{res['type']}: {res['msg']}", res["tb"])
        else:
            fail(case, "fingerprint", f"the state check failed: {res['type']}: {res['msg']}",
                 res["tb"])
        if res.get("changed"):
            fail(case, "state-changed", f"a failing statement ({res.get('type')} "
                 f"{res.get('errno', '')}) changed: {', '.join(res['changed'][:6])}")
        if reopen_every and (i + 1) % reopen_every == 0 and i + 1 < n:
            reopen(case)
    if child is not None:
        reopen(None)
        if child is not None:
            child.ask(("finish",), max(timeout, 60.0))
            child.kill()
    report.elapsed = time.perf_counter() - t0
    return report
