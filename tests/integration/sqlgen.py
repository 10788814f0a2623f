"""A seeded generator of schemas, data, queries and DML for differential SQL tests.

Everything is generated from one `random.Random(seed)`, so a seed names a corpus exactly.  One
AST renders to two dialects: ``"mysql"`` (run on KintsugiDB) and ``"sqlite"`` (the stdlib
reference).  The generator only produces constructs whose semantics agree between MySQL and
SQLite; what it leaves out on purpose, and why, is listed in `EXCLUDED` at the bottom.

Conventions that keep the two engines comparable:

* **Decimals.**  ``DECIMAL(10,2)`` columns are REAL in SQLite (NUMERIC affinity).  Every stored
  value is the double nearest to its exact two-place value (literals are parsed that way, and
  DML on the SQLite side wraps decimal results in ``ROUND(x, 2)``), so comparing a decimal
  *column* with a literal or another column gives the same answer as MySQL's exact DECIMAL.
  Arithmetic on decimals is not exact in SQLite: such expressions are marked ``exact=False``
  and only appear where the value is merely compared afterwards with a tolerance (the select
  list, SUM/AVG), never in WHERE, ON, HAVING, GROUP BY, DISTINCT, UNION or ORDER BY.
* **Integers** stay far from 64-bit overflow (MySQL raises ERROR 1690, SQLite turns to REAL):
  every INT expression carries a magnitude bound and `*` is only generated below 2**60.
* **Strings** are ASCII without backslashes (MySQL's LIKE escape and string-literal escape);
  KintsugiDB's collation is binary (``utf8mb4_bin``, case-sensitive, NO PAD) like SQLite's
  BINARY, and the SQLite side runs ``PRAGMA case_sensitive_like = ON``.
* **Order.**  A query is compared as an ordered list only when its ORDER BY is total (the
  primary keys of every source are appended, or every output column for DISTINCT, GROUP BY
  and UNION); LIMIT/OFFSET only ever come with such an ORDER BY.  Otherwise the results are
  compared as multisets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

MYSQL, SQLITE = "mysql", "sqlite"
INT, DEC, STR, BOOL = "int", "dec", "str", "bool"
NUMERIC = (INT, DEC)
MAX_BOUND = 1 << 60
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
DOUBLE_EXACT = 1 << 50
SUM_BOUND = 1 << 52  # SUM/AVG only of columns below this (SQLite's SUM overflows at 2**63)

STR_POOL = [
    "", "a", "A", "b", "ab", "aB", "Ab", "abc", "ABC", "abC", "b_c", "bxc", "50%", "5000",
    "x y", " x", "x ", "  ", "hello", "Hello", "HELLO", "help", "zz", "z", "a%b", "a_b", "aab",
    "ba", "bab", "xyz", "XYZ", "Mix3d", "it's",
]
DEC_POOL = [Decimal(x) for x in (
    "-12.50", "-1.00", "-0.01", "-0.00", "0.00", "0.10", "0.20", "0.30", "1.00", "1.25", "1.50",
    "2.00", "2.25", "3.33", "7.07", "10.01", "99.99", "100.00", "-100.00", "12345.67")]
LIKE_WILDS = "%_"


# -- schema ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    sqltype: str  # INT, BIGINT, VARCHAR(16), DECIMAL(10,2)
    nullable: bool
    domain: str  # pk, bigpk, small, uint, str, ustr, dec, derived
    unique: bool = False
    maxabs: int = 0  # the bound of a derived table's column

    @property
    def type(self) -> str:
        if self.sqltype.startswith("VARCHAR"):
            return STR
        if self.sqltype.startswith("DECIMAL"):
            return DEC
        return INT

    @property
    def bound(self) -> int:
        if self.maxabs:
            return self.maxabs
        return {"pk": 1 << 31, "bigpk": 1 << 63, "small": 1000, "uint": 1 << 31}.get(
            self.domain, 1 << 31)


@dataclass
class Table:
    name: str
    columns: list[Column]
    pk: list[str]
    indexes: list[tuple[str, tuple[str, ...], bool]]  # (name, columns, unique)

    def col(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def indexed(self) -> set[str]:
        return set(self.pk) | {ix[1][0] for ix in self.indexes}

    def create(self, d: str) -> list[str]:
        cols = [f"{c.name} {c.sqltype} {'NULL' if c.nullable else 'NOT NULL'}"
                for c in self.columns]
        cols.append(f"PRIMARY KEY ({', '.join(self.pk)})")
        if d == MYSQL:
            for name, ixcols, unique in self.indexes:
                cols.append(f"{'UNIQUE KEY' if unique else 'KEY'} {name} ({', '.join(ixcols)})")
            return [f"CREATE TABLE {self.name} ({', '.join(cols)})"]
        out = [f"CREATE TABLE {self.name} ({', '.join(cols)})"]
        for name, ixcols, unique in self.indexes:
            out.append(f"CREATE {'UNIQUE ' if unique else ''}INDEX {self.name}_{name} "
                       f"ON {self.name} ({', '.join(ixcols)})")
        return out


def make_tables(rng: random.Random, n: int = 3) -> list[Table]:
    """`n` tables: an INT, a BIGINT and a composite (INT, BIGINT) primary key (rotated), 2-3
    small-domain INT columns, 1-2 VARCHARs, usually a DECIMAL(10,2), usually one UNIQUE column,
    and random single-column and composite secondary indexes."""
    kinds = ["int", "bigint", "composite"]
    rng.shuffle(kinds)
    tables = []
    for ti in range(n):
        kind = kinds[ti % 3]
        cols: list[Column] = []
        if kind == "composite":
            cols += [Column("k1", "INT", False, "small"), Column("k2", "BIGINT", False, "pk")]
            pk = ["k1", "k2"]
        else:
            cols.append(Column("id", "INT" if kind == "int" else "BIGINT", False,
                               "pk" if kind == "int" else "bigpk"))
            pk = ["id"]
        for i in range(rng.randint(2, 3)):
            cols.append(Column(f"i{i}", "INT", i == 0 or rng.random() < 0.7, "small"))
        for i in range(rng.randint(1, 2)):
            cols.append(Column(f"s{i}", "VARCHAR(16)", i == 0 or rng.random() < 0.7, "str"))
        if ti == 0 or rng.random() < 0.8:
            cols.append(Column("d0", "DECIMAL(10,2)", rng.random() < 0.7, "dec"))
        u = rng.random()
        if u < 0.4:
            cols.append(Column("u0", "INT", rng.random() < 0.5, "uint", unique=True))
        elif u < 0.8:
            cols.append(Column("u0", "VARCHAR(16)", rng.random() < 0.5, "ustr", unique=True))
        indexes: list[tuple[str, tuple[str, ...], bool]] = []
        for c in cols:
            if c.unique:
                indexes.append((f"ux_{c.name}", (c.name,), True))
            elif c.name not in pk and rng.random() < 0.45:
                indexes.append((f"ix_{c.name}", (c.name,), False))
        plain = [c.name for c in cols if c.name not in pk and not c.unique]
        if rng.random() < 0.7:
            a, b = rng.sample(plain, 2)
            indexes.append((f"ix_{a}_{b}", (a, b), False))
        if kind == "composite" and rng.random() < 0.5:
            indexes.append(("ix_k2", ("k2",), False))
        tables.append(Table(f"t{ti}", cols, pk, indexes))
    return tables


def _str_value(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(STR_POOL)
    return "".join(rng.choice("abAB_% xyz") for _ in range(rng.randint(0, 6)))


def _dec_value(rng: random.Random) -> Decimal:
    if rng.random() < 0.7:
        return rng.choice(DEC_POOL)
    return Decimal(rng.randint(-99999, 99999)).scaleb(-2)


def make_rows(rng: random.Random, table: Table, n: int) -> list[tuple]:
    """`n` rows with NULLs and duplicates; unique columns get distinct values (and NULLs)."""
    keys: set = set()
    span = max(300, 3 * n)  # key domains grow with `n` (dense enough for range hits)
    while len(keys) < n:
        if table.pk == ["k1", "k2"]:
            keys.add((rng.randint(-2, 6), rng.randint(-30, span // 5)))
        elif table.col("id").domain == "bigpk":
            r = rng.random()
            v = rng.randint(-40, span) if r < 0.6 else rng.choice(
                [1 << 40, (1 << 40) + 1, (1 << 50) - 7, -(1 << 35), (1 << 31), (1 << 31) - 1,
                 -(1 << 31) - 1, 10**12 + rng.randint(0, 9), INT64_MAX, INT64_MIN,
                 INT64_MAX - 1])
            keys.add((v,))
        else:
            keys.add((rng.randint(-40, span + 100),))
    keys_l = sorted(keys)
    rng.shuffle(keys_l)
    uniq_int = rng.sample(range(-50, span + 200), n)
    uniq_str = rng.sample([f"{w}{i}" for i, w in enumerate(STR_POOL * (2 + n // 16))], n)
    rows = []
    for r in range(n):
        key = iter(keys_l[r])
        row = []
        for c in table.columns:
            if c.name in table.pk:
                row.append(next(key))
                continue
            if c.nullable and rng.random() < 0.2:
                row.append(None)
            elif c.domain == "small":
                row.append(rng.randint(-3, 9))
            elif c.domain == "uint":
                row.append(uniq_int[r])
            elif c.domain == "ustr":
                row.append(uniq_str[r])
            elif c.domain == "str":
                row.append(_str_value(rng))
            else:
                row.append(_dec_value(rng))
        rows.append(tuple(row))
    return rows


def lit_sql(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, str):
        assert "\\" not in v
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, Decimal):
        s = format(v, "f")
    else:
        s = str(v)
    return f"({s})" if s.startswith("-") else s


def insert_sql(table: Table, rows: list[tuple], columns: list[str] | None = None) -> str:
    cols = columns or table.names
    idx = [table.names.index(c) for c in cols]
    vals = ", ".join("(" + ", ".join(lit_sql(r[i]) for i in idx) + ")" for r in rows)
    return f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES {vals}"


# -- expressions -----------------------------------------------------------------------------


class Expr:
    type: str = INT
    exact: bool = True  # the same value on both engines (no float arithmetic in SQLite)
    bound: int = 0  # |value| bound for INT expressions

    def sql(self, d: str) -> str:
        raise NotImplementedError


class Col(Expr):
    def __init__(self, alias: str, column: Column):
        self.alias, self.column = alias, column
        self.type, self.bound = column.type, column.bound

    def sql(self, d):
        return f"{self.alias}.{self.column.name}" if self.alias else self.column.name


class Raw(Expr):
    """Text that is the same in both dialects (an output column alias in ORDER BY)."""

    def __init__(self, text: str, like: Expr):
        self.text, self.type, self.exact, self.bound = text, like.type, like.exact, like.bound

    def sql(self, d):
        return self.text


_PARAMS: list | None = None  # collects literal values while rendering with placeholders


class Lit(Expr):
    """A literal; rendered as a placeholder by `render_params` unless `fixed` (positions and
    lengths whose changed values would leave the agreed semantics, e.g. ROUND(x, -1))."""

    def __init__(self, value, type_: str, fixed: bool = False):
        self.value, self.type, self.fixed = value, type_, fixed
        # at least 8: a parameterised run may use a slightly different value (`mutate_params`)
        self.bound = max(abs(value), 8) if isinstance(value, int) else 0

    def sql(self, d):
        if _PARAMS is not None and not self.fixed:
            _PARAMS.append(self.value)
            return "%s" if d == MYSQL else "?"
        return lit_sql(self.value)


def render_params(stmt, d: str) -> tuple[str, list]:
    """`stmt` with its literals as DB-API placeholders (%s for KintsugiDB, ? for SQLite) and
    the values in placeholder order (the same in both dialects)."""
    global _PARAMS
    _PARAMS = []
    try:
        return stmt.sql(d), _PARAMS
    finally:
        _PARAMS = None


def mutate_params(values: list, rng: random.Random) -> list:
    """Other values of the same types, to run a cached statement (and plan) again."""
    out = []
    for v in values:
        if v is None or rng.random() < 0.3:
            out.append(v)
        elif isinstance(v, int):
            out.append(v if abs(v) > 1 << 40 else v + rng.randint(-3, 3))
        elif isinstance(v, Decimal):
            out.append(v + Decimal(rng.randint(-300, 300)).scaleb(-2))
        else:
            out.append(_str_value(rng))
    return out


class Op(Expr):
    """`+ - *`.  `/` and `%` are never generated (MySQL 1/2 = 0.5000, SQLite 0)."""

    def __init__(self, op: str, left: Expr, right: Expr):
        self.op, self.left, self.right = op, left, right
        self.type = DEC if DEC in (left.type, right.type) else INT
        self.exact = self.type == INT and left.exact and right.exact
        self.bound = (left.bound * right.bound if op == "*" else left.bound + right.bound)

    def sql(self, d):
        return f"({self.left.sql(d)} {self.op} {self.right.sql(d)})"


class Neg(Expr):
    def __init__(self, e: Expr):
        self.e, self.type, self.exact, self.bound = e, e.type, e.exact, e.bound

    def sql(self, d):
        return f"(-{self.e.sql(d)})"


class Fn(Expr):
    def __init__(self, name: str, args: list[Expr], type_: str, exact: bool = True,
                 bound: int = 0, sqlite_name: str | None = None):
        self.name, self.args, self.type, self.exact, self.bound = name, args, type_, exact, bound
        self.sqlite_name = sqlite_name or name

    def sql(self, d):
        name = self.sqlite_name if d == SQLITE else self.name
        return f"{name}({', '.join(a.sql(d) for a in self.args)})"


class Concat(Expr):
    """MySQL's CONCAT(a, b) is SQLite's (a || b); MySQL's || is OR."""

    type = STR

    def __init__(self, a: Expr, b: Expr):
        self.a, self.b = a, b

    def sql(self, d):
        if d == SQLITE:
            return f"({self.a.sql(d)} || {self.b.sql(d)})"
        return f"CONCAT({self.a.sql(d)}, {self.b.sql(d)})"


class Case(Expr):
    def __init__(self, whens: list[tuple[Expr, Expr]], else_: Expr | None, type_: str,
                 subject: Expr | None = None):
        self.whens, self.else_, self.type, self.subject = whens, else_, type_, subject
        parts = [v for _, v in whens] + ([else_] if else_ else [])
        self.exact = all(p.exact for p in parts)
        self.bound = max(p.bound for p in parts)

    def sql(self, d):
        s = "CASE"
        if self.subject is not None:
            s += " " + self.subject.sql(d)
        for w, v in self.whens:
            s += f" WHEN {w.sql(d)} THEN {v.sql(d)}"
        if self.else_ is not None:
            s += f" ELSE {self.else_.sql(d)}"
        return s + " END"


class Pred(Expr):
    type = BOOL
    bound = 1


class Cmp(Pred):
    """Comparisons; MySQL's NULL-safe ``<=>`` is SQLite's ``IS``."""

    def __init__(self, op: str, left: Expr, right: Expr):
        self.op, self.left, self.right = op, left, right

    def sql(self, d):
        op = "IS" if self.op == "<=>" and d == SQLITE else self.op
        return f"({self.left.sql(d)} {op} {self.right.sql(d)})"


class Between(Pred):
    def __init__(self, e: Expr, lo: Expr, hi: Expr, neg: bool):
        self.e, self.lo, self.hi, self.neg = e, lo, hi, neg

    def sql(self, d):
        n = "NOT " if self.neg else ""
        return f"({self.e.sql(d)} {n}BETWEEN {self.lo.sql(d)} AND {self.hi.sql(d)})"


class InList(Pred):
    def __init__(self, e: Expr, items: list[Expr], neg: bool):
        self.e, self.items, self.neg = e, items, neg

    def sql(self, d):
        n = "NOT " if self.neg else ""
        return f"({self.e.sql(d)} {n}IN ({', '.join(i.sql(d) for i in self.items)}))"


class IsNull(Pred):
    def __init__(self, e: Expr, neg: bool):
        self.e, self.neg = e, neg

    def sql(self, d):
        return f"({self.e.sql(d)} IS {'NOT ' if self.neg else ''}NULL)"


class Like(Pred):
    def __init__(self, e: Expr, pattern: Expr, neg: bool):
        self.e, self.pattern, self.neg = e, pattern, neg

    def sql(self, d):
        return f"({self.e.sql(d)} {'NOT ' if self.neg else ''}LIKE {self.pattern.sql(d)})"


class BoolOp(Pred):
    def __init__(self, op: str, items: list[Expr]):
        self.op, self.items = op, items

    def sql(self, d):
        return "(" + f" {self.op} ".join(i.sql(d) for i in self.items) + ")"


class Not(Pred):
    def __init__(self, e: Expr):
        self.e = e

    def sql(self, d):
        return f"(NOT {self.e.sql(d)})"


class InSub(Pred):
    def __init__(self, e: Expr, sub: Select, neg: bool):
        self.e, self.sub, self.neg = e, sub, neg

    def sql(self, d):
        return f"({self.e.sql(d)} {'NOT ' if self.neg else ''}IN ({self.sub.sql(d)}))"


class Exists(Pred):
    def __init__(self, sub: Select, neg: bool):
        self.sub, self.neg = sub, neg

    def sql(self, d):
        return f"({'NOT ' if self.neg else ''}EXISTS ({self.sub.sql(d)}))"


class Scalar(Expr):
    """A scalar subquery; always an aggregate without GROUP BY, so exactly one row (MySQL
    raises 1242 for more than one row, SQLite silently takes the first)."""

    def __init__(self, sub: Select):
        self.sub = sub
        item = sub.items[0]
        self.type, self.exact, self.bound = item.type, item.exact, item.bound

    def sql(self, d):
        return f"({self.sub.sql(d)})"


class Agg(Expr):
    def __init__(self, name: str, arg: Expr | None, distinct: bool = False):
        self.name, self.arg, self.distinct = name, arg, distinct
        if name == "COUNT":
            self.type, self.bound = INT, 1 << 20
        elif name == "AVG":
            # MySQL: DECIMAL with 4 more places; SQLite: REAL.  Compared with a tolerance.
            self.type, self.exact = DEC, False
        elif name == "SUM":
            self.type = arg.type
            self.exact = arg.type == INT and arg.exact
            self.bound = arg.bound << 10
        else:
            self.type, self.exact, self.bound = arg.type, arg.exact, arg.bound

    def sql(self, d):
        inner = "*" if self.arg is None else self.arg.sql(d)
        return f"{self.name}({'DISTINCT ' if self.distinct else ''}{inner})"


# -- statements ------------------------------------------------------------------------------


@dataclass
class Source:
    table: Table
    alias: str
    join: str | None = None  # None (first), "JOIN", "LEFT JOIN"
    on: Expr | None = None
    sub: Select | None = None  # a derived table: (SELECT ...) AS alias


@dataclass
class Select:
    items: list[Expr]
    sources: list[Source]
    where: Expr | None = None
    group_by: list[Expr] = field(default_factory=list)
    having: Expr | None = None
    order_by: list[tuple[Expr | int, bool]] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    distinct: bool = False
    aliases: bool = True

    def sql(self, d: str) -> str:
        items = ", ".join(f"{e.sql(d)} AS c{i}" if self.aliases else e.sql(d)
                          for i, e in enumerate(self.items))
        s = f"SELECT {'DISTINCT ' if self.distinct else ''}{items} FROM "
        for src in self.sources:
            if src.join:
                s += f" {src.join} "
            name = f"({src.sub.sql(d)})" if src.sub is not None else src.table.name
            s += f"{name} AS {src.alias}"
            if src.on is not None:
                s += f" ON {src.on.sql(d)}"
        if self.where is not None:
            s += f" WHERE {self.where.sql(d)}"
        if self.group_by:
            s += " GROUP BY " + ", ".join(g.sql(d) for g in self.group_by)
        if self.having is not None:
            s += f" HAVING {self.having.sql(d)}"
        s += order_sql(self.order_by, d)
        if self.limit is not None:
            s += f" LIMIT {self.limit}"
            if self.offset is not None:
                s += f" OFFSET {self.offset}"
        return s


def order_sql(order_by, d: str) -> str:
    if not order_by:
        return ""
    parts = [(str(e) if isinstance(e, int) else e.sql(d)) + (" DESC" if desc else "")
             for e, desc in order_by]
    return " ORDER BY " + ", ".join(parts)


@dataclass
class UnionQ:
    selects: list[Select]
    all: bool
    order_by: list[tuple[int, bool]] = field(default_factory=list)
    limit: int | None = None

    def sql(self, d: str) -> str:
        s = (" UNION ALL " if self.all else " UNION ").join(sel.sql(d) for sel in self.selects)
        s += order_sql(self.order_by, d)
        if self.limit is not None:
            s += f" LIMIT {self.limit}"
        return s


@dataclass
class Query:
    stmt: Select | UnionQ
    kind: str
    ordered: bool  # the ORDER BY is total: compare as lists

    @property
    def mysql(self) -> str:
        return self.stmt.sql(MYSQL)

    @property
    def sqlite(self) -> str:
        return self.stmt.sql(SQLITE)

    def with_params(self, d: str) -> tuple[str, list]:
        return render_params(self.stmt, d)


@dataclass
class Statement:
    """A DML statement; `errno` is the MySQL error it must fail with (None: it succeeds)."""

    table: Table
    kind: str
    mysql: str
    sqlite: str
    errno: int | None = None


# -- the generator ---------------------------------------------------------------------------


class Generator:
    """Schemas, data and statements for one seed.  `rows` holds each table's current rows,
    which the DML generator needs (fresh keys, existing keys); call `set_rows` after DML."""

    def __init__(self, seed: int, n_tables: int = 3):
        self.seed = seed
        self.rng = random.Random(seed)
        self.tables = make_tables(self.rng, n_tables)
        self.rows: dict[str, list[tuple]] = {
            t.name: make_rows(self.rng, t, self.rng.randint(18, 40)) for t in self.tables}
        self._alias = 0
        self._depth = 0

    # -- helpers ---------------------------------------------------------------------------

    def set_rows(self, table: Table, rows: list[tuple]) -> None:
        self.rows[table.name] = list(rows)

    def _new_alias(self, prefix: str = "q") -> str:
        self._alias += 1
        return f"{prefix}{self._alias}"

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _values(self, table: Table, col: Column) -> list:
        i = table.names.index(col.name)
        return [r[i] for r in self.rows.get(table.name, ()) if r[i] is not None]

    def lit_for(self, table: Table | None, col: Column | None, type_: str,
                null_p: float = 0.04) -> Lit:
        """A literal of `type_`, usually a value present in the column (equality hits)."""
        rng = self.rng
        if rng.random() < null_p:
            return Lit(None, type_)
        if table is not None and col is not None and rng.random() < 0.75:
            vals = self._values(table, col)
            if vals:
                v = rng.choice(vals)
                if col.type == type_:
                    return Lit(v, type_)
                if type_ == DEC and col.type == INT and abs(v) < 10**8:
                    return Lit(Decimal(v) + rng.choice([Decimal(0), Decimal("0.5")]), DEC)
        if type_ == INT:
            if col is not None and col.domain == "bigpk" and rng.random() < 0.5:
                return Lit(rng.choice([1 << 40, (1 << 31), -(1 << 35), 10**12, INT64_MAX,
                                       INT64_MIN, INT64_MAX - 1, INT64_MIN + 1]), INT)
            return Lit(rng.randint(-5, 12) if rng.random() < 0.8 else rng.randint(-50, 400), INT)
        if type_ == DEC:
            v = _dec_value(rng)
            r = rng.random()
            if r < 0.1:  # other scales: 1.5, 2, 1.255 (the index key must not care)
                v = v.quantize(Decimal("0.1"))
            elif r < 0.2:
                v = v.quantize(Decimal("1"))
            elif r < 0.25:
                v = v + Decimal("0.005")
            return Lit(v, DEC)
        if type_ == STR:
            return Lit(_str_value(rng), STR)
        return Lit(rng.choice([INT64_MAX, INT64_MIN, 1 << 40]), INT)

    def _cols(self, scope: list[tuple[str, Table]], types) -> list[Col]:
        return [Col(a, c) for a, t in scope for c in t.columns if c.type in types]

    def _col(self, scope, types) -> Col | None:
        cols = self._cols(scope, types)
        return self.rng.choice(cols) if cols else None

    def _table_of(self, scope, alias: str) -> Table:
        return next(t for a, t in scope if a == alias)

    # -- value expressions -----------------------------------------------------------------

    def expr(self, scope, type_: str, depth: int = 2, exact: bool = True,
             sub_ok: bool = False) -> Expr:
        """A value expression of `type_` over the columns of `scope`."""
        rng = self.rng
        c = self._col(scope, [type_]) if type_ != DEC else self._col(scope, [DEC])
        if depth <= 0 or rng.random() < 0.45:
            if c is not None and rng.random() < 0.85:
                return c
            return self.lit_for(None, None, type_)
        r = rng.random()
        if type_ == INT:
            if r < 0.35:
                op = rng.choice("+-*")
                a = self.expr(scope, INT, depth - 1)
                b = self.expr(scope, INT, depth - 1)
                if op == "*" and a.bound * b.bound >= MAX_BOUND:
                    op = "+"
                if a.bound + b.bound >= MAX_BOUND:  # BIGINT overflow: ERROR 1690 vs REAL
                    return Fn("GREATEST", [a, b], INT, bound=max(a.bound, b.bound),
                              sqlite_name="MAX")
                return Op(op, a, b)
            if r < 0.45:
                e = self.expr(scope, INT, depth - 1)
                if e.bound >= MAX_BOUND:  # ABS(-2**63) overflows in both, differently
                    return e
                return Fn("ABS", [e], INT, bound=e.bound)
            if r < 0.52:
                e = self.expr(scope, INT, depth - 1)
                if e.bound < (1 << 52):  # SQLite's ROUND returns a REAL
                    args = [e] + ([Lit(rng.randint(0, 2), INT, fixed=True)]
                                  if rng.random() < 0.7 else [])
                    return Fn("ROUND", args, INT, bound=e.bound)
                return e
            if r < 0.6:
                return Fn("LENGTH", [self.expr(scope, STR, depth - 1)], INT, bound=64)
            if r < 0.7:
                return self._coalesce(scope, INT, depth)
            if r < 0.76:
                # MySQL's GREATEST/LEAST are SQLite's multi-argument MAX/MIN (NULL if any
                # argument is NULL in both)
                a, b = self.expr(scope, INT, depth - 1), self.expr(scope, INT, depth - 1)
                name = rng.choice(["GREATEST", "LEAST"])
                return Fn(name, [a, b], INT, bound=max(a.bound, b.bound),
                          sqlite_name="MAX" if name == "GREATEST" else "MIN")
            if r < 0.8:
                a = self.expr(scope, INT, depth - 1)
                return Fn("NULLIF", [a, self.lit_for(None, None, INT)], INT, bound=a.bound)
            if r < 0.9 or not sub_ok:
                return self._case(scope, INT, depth)
            return self.scalar_sub(scope, INT)
        if type_ == DEC:
            if r < 0.35 and not exact:
                a = self.expr(scope, DEC, depth - 1, exact=False)
                b = self.expr(scope, rng.choice(NUMERIC), depth - 1, exact=False)
                op = rng.choice("+-*")
                if op == "*" and b.type == DEC and rng.random() < 0.5:
                    op = "+"
                if max(a.bound, b.bound) >= DOUBLE_EXACT:
                    # a double has 53 bits: d0 + 9223372036854775807 loses d0 in SQLite
                    b = Lit(rng.randint(-9, 9), INT)
                    if a.bound >= DOUBLE_EXACT:
                        a = Lit(_dec_value(rng), DEC)
                return Op(op, a, b)
            if r < 0.5:
                return Fn("ABS", [self.expr(scope, DEC, depth - 1, exact)], DEC,
                          exact=exact)
            if r < 0.7:
                return self._coalesce(scope, DEC, depth, exact)
            if r < 0.9 or not sub_ok:
                return self._case(scope, DEC, depth, exact)
            return self.scalar_sub(scope, DEC)
        # STR
        if r < 0.15:
            return Fn(rng.choice(["UPPER", "LOWER"]), [self.expr(scope, STR, depth - 1)], STR)
        if r < 0.25:
            return Fn("TRIM", [self.expr(scope, STR, depth - 1)], STR)
        if r < 0.4:
            args = [self.expr(scope, STR, depth - 1), Lit(rng.randint(1, 4), INT, fixed=True)]
            if rng.random() < 0.7:
                args.append(Lit(rng.randint(0, 4), INT, fixed=True))
            return Fn("SUBSTR", args, STR)
        if r < 0.5:
            frm = rng.choice(["a", "b", "x", "ab", "_", " ", "A", ""])
            to = rng.choice(["", "Z", "zz", "%"])
            return Fn("REPLACE", [self.expr(scope, STR, depth - 1), Lit(frm, STR), Lit(to, STR)],
                      STR)
        if r < 0.7:
            return Concat(self.expr(scope, STR, depth - 1), self.expr(scope, STR, depth - 1))
        if r < 0.8:
            return self._coalesce(scope, STR, depth)
        if r < 0.85:
            a = self.expr(scope, STR, depth - 1)
            return Fn("NULLIF", [a, self.lit_for(None, None, STR)], STR)
        if r < 0.95 or not sub_ok:
            return self._case(scope, STR, depth)
        return self.scalar_sub(scope, STR)

    def _coalesce(self, scope, type_, depth, exact=True) -> Expr:
        args = [self.expr(scope, type_, depth - 1, exact) for _ in range(self.rng.randint(1, 2))]
        args.append(self.lit_for(None, None, type_, null_p=0))
        name = "COALESCE" if len(args) != 2 or self.rng.random() < 0.5 else "IFNULL"
        return Fn(name, args, type_, exact=all(a.exact for a in args),
                  bound=max(a.bound for a in args))

    def _case(self, scope, type_, depth, exact=True) -> Expr:
        rng = self.rng
        subj = self._col(scope, [type_ if type_ != DEC else INT]) or self._col(scope, [INT])
        if rng.random() < 0.25 and subj is not None:
            tbl = self._table_of(scope, subj.alias)
            whens = [(self.lit_for(tbl, subj.column, subj.type, null_p=0),
                      self.expr(scope, type_, depth - 1, exact)) for _ in range(rng.randint(1, 2))]
            else_ = self.expr(scope, type_, depth - 1, exact) if rng.random() < 0.7 else None
            return Case(whens, else_, type_, subject=subj)
        whens = [(self.pred(scope, depth - 1), self.expr(scope, type_, depth - 1, exact))
                 for _ in range(rng.randint(1, 2))]
        else_ = self.expr(scope, type_, depth - 1, exact) if rng.random() < 0.7 else None
        return Case(whens, else_, type_)

    # -- predicates --------------------------------------------------------------------------

    def pred(self, scope, depth: int = 2, outer=None, sub_ok: bool = False) -> Expr:
        """A boolean expression over `scope` using only exact values."""
        rng = self.rng
        if depth > 0 and rng.random() < 0.35:
            r = rng.random()
            if r < 0.45:
                return BoolOp("AND", [self.pred(scope, depth - 1, outer, sub_ok)
                                      for _ in range(rng.randint(2, 3))])
            if r < 0.8:
                return BoolOp("OR", [self.pred(scope, depth - 1, outer, sub_ok)
                                     for _ in range(2)])
            return Not(self.pred(scope, depth - 1, outer, sub_ok))
        if sub_ok and rng.random() < 0.12:
            return self.sub_pred(scope)
        return self.leaf_pred(scope, depth)

    def leaf_pred(self, scope, depth: int = 1) -> Expr:
        rng = self.rng
        col = self._col(scope, [INT, STR, DEC])
        tbl = self._table_of(scope, col.alias)
        cc = col.column
        r = rng.random()
        # the left side: mostly the bare column (index paths), sometimes an exact expression
        left: Expr = col
        if depth > 0 and rng.random() < 0.2:
            left = self.expr(scope, col.type, 1) if col.type != DEC else col
        t = left.type
        if r < 0.4:
            op = rng.choice(["=", "=", "<>", "<", "<=", ">", ">=", "<=>"])
            if rng.random() < 0.2:
                other = self._col(scope, [t] if t == STR else NUMERIC)
                if other is not None:
                    return Cmp(op, left, other)
            lit_type = t if t == STR or rng.random() < 0.8 else rng.choice(NUMERIC)
            return Cmp(op, left, self.lit_for(tbl, cc, lit_type))
        if r < 0.52:
            a, b = self.lit_for(tbl, cc, t, 0.02), self.lit_for(tbl, cc, t, 0.02)
            return Between(left, a, b, rng.random() < 0.2)
        if r < 0.7:
            n = rng.randint(1, 4) if rng.random() < 0.8 else rng.randint(5, 15)
            items = [self.lit_for(tbl, cc, t, 0.1) for _ in range(n)]
            return InList(left, items, rng.random() < 0.25)
        if r < 0.8:
            return IsNull(left, rng.random() < 0.5)
        if t == STR:
            other = self._col(scope, [STR]) if rng.random() < 0.15 else None
            pat = other if other is not None else Lit(self.like_pattern(tbl, cc), STR)
            return Like(left, pat, rng.random() < 0.2)
        return Cmp(rng.choice(["<", ">="]), left, self.lit_for(tbl, cc, t))

    def like_pattern(self, tbl: Table, col: Column) -> str:
        rng = self.rng
        vals = self._values(tbl, col) if col.type == STR else []
        base = rng.choice(vals) if vals and rng.random() < 0.8 else _str_value(rng)
        chars = list(base)
        for i in range(len(chars)):
            if rng.random() < 0.25:
                chars[i] = rng.choice(LIKE_WILDS)
        pat = "".join(chars)
        r = rng.random()
        if r < 0.3:
            pat = pat[: rng.randint(0, len(pat))] + "%"
        elif r < 0.45:
            pat = "%" + pat[rng.randint(0, len(pat)):]
        elif r < 0.55:
            pat = "%" + pat + "%"
        return pat

    def sub_pred(self, scope) -> Expr:
        """IN / EXISTS subqueries: uncorrelated, and correlated EXISTS / IN."""
        rng = self.rng
        t = rng.choice(self.tables)
        a = self._new_alias("s")
        inner = [(a, t)]
        r = rng.random()
        correlate = rng.random() < 0.5
        where: list[Expr] = []
        if rng.random() < 0.7:
            # sometimes reads the outer row in any predicate, or nests another subquery
            self._depth += 1
            where.append(self.pred(inner + scope if rng.random() < 0.25 else inner, 1,
                                   sub_ok=self._depth < 3))
            self._depth -= 1
        if r < 0.45:
            outer_col = self._col(scope, [INT, STR, DEC])
            types = [STR] if outer_col.type == STR else [outer_col.type]
            inner_col = self._col(inner, types) or self._col(inner, NUMERIC)
            if inner_col is None or (outer_col.type == STR) != (inner_col.type == STR):
                return self.leaf_pred(scope)
            if correlate and rng.random() < 0.5:
                oc = self._col(scope, [INT])
                ic = self._col(inner, [INT])
                where.append(Cmp("=", ic, oc))
            sub = Select([inner_col], [Source(t, a)], _and(where), aliases=False)
            return InSub(outer_col, sub, rng.random() < 0.3)
        if correlate:
            oc = self._col(scope, [INT, STR])
            ic = self._col(inner, [oc.type])
            if ic is not None:
                where.append(Cmp(rng.choice(["=", "=", "<", ">="]), ic, oc))
        sub = Select([Lit(1, INT)], [Source(t, a)], _and(where), aliases=False)
        return Exists(sub, rng.random() < 0.3)

    def scalar_sub(self, scope, type_: str) -> Expr:
        """`(SELECT agg(...) FROM t WHERE ...)`, usually correlated with the outer row."""
        rng = self.rng
        t = rng.choice(self.tables)
        a = self._new_alias("s")
        inner = [(a, t)]
        where: list[Expr] = []
        if rng.random() < 0.75:
            oc = self._col(scope, [INT, STR])
            ic = self._col(inner, [oc.type])
            if ic is not None:
                where.append(Cmp("=", ic, oc))
        if rng.random() < 0.5:
            where.append(self.pred(inner, 1))
        if type_ == INT and rng.random() < 0.4:
            agg: Expr = Agg("COUNT", None if rng.random() < 0.5 else self._col(inner, [INT, STR]))
        else:
            c = self._col(inner, [type_]) or self._col(inner, [INT])
            names = ["MAX", "MIN", "SUM"] if c.type == INT and c.bound < SUM_BOUND else ["MAX",
                                                                                       "MIN"]
            agg = Agg(rng.choice(names), c)
        return Scalar(Select([agg], [Source(t, a)], _and(where), aliases=False))

    # -- queries ---------------------------------------------------------------------------

    KINDS = [("filter", 20), ("access", 20), ("expr", 9), ("agg", 6), ("group", 12),
             ("distinct", 5), ("join", 14), ("subquery", 9), ("union", 5), ("derived", 5)]

    def query(self) -> Query:
        kinds, weights = zip(*self.KINDS, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        return getattr(self, f"q_{kind}")()

    def queries(self, n: int) -> list[Query]:
        return [self.query() for _ in range(n)]

    def _single(self, table: Table | None = None):
        t = table or self.rng.choice(self.tables)
        a = self._new_alias("x")
        return t, a, [(a, t)]

    def _select_items(self, scope, n_lo=1, n_hi=4, exact=False, sub_ok=False) -> list[Expr]:
        rng = self.rng
        items: list[Expr] = []
        if rng.random() < 0.3:
            return [Col(a, c) for a, t in scope for c in t.columns]
        for _ in range(rng.randint(n_lo, n_hi)):
            r = rng.random()
            if r < 0.55:
                items.append(self._col(scope, [INT, STR, DEC]))
            elif r < 0.9:
                items.append(self.expr(scope, rng.choice([INT, STR, DEC]), 2, exact, sub_ok))
            else:
                items.append(self.pred(scope, 1))
        return items

    def _pk_order(self, scope) -> list[tuple[Expr, bool]]:
        return [(Col(a, t.col(k)), self.rng.random() < 0.3) for a, t in scope for k in t.pk]

    def _total_order(self, scope, sel: Select) -> None:
        """A random ORDER BY made total with the primary keys, maybe LIMIT/OFFSET."""
        rng = self.rng
        order: list[tuple[Expr | int, bool]] = []
        for _ in range(rng.randint(0, 2)):
            if rng.random() < 0.4 and sel.items:
                i = rng.randrange(len(sel.items))
                if sel.items[i].exact:
                    ref = i + 1 if rng.random() < 0.5 else Raw(f"c{i}", sel.items[i])
                    order.append((ref, rng.random() < 0.5))
                    continue
            e = self.expr(scope, rng.choice([INT, STR, DEC]), 1)
            if isinstance(e, Lit) and e.value is not None and "." not in e.sql(MYSQL) \
                    and e.type != STR:
                # an integer constant is a column position in both (and -1 an error in SQLite)
                e = self._col(scope, [INT])
            order.append((e, rng.random() < 0.5))
        sel.order_by = order + self._pk_order(scope)
        self._limit(sel)

    def _limit(self, sel) -> None:
        if self.rng.random() < 0.5:
            sel.limit = self.rng.randint(0, 12)
            if self.rng.random() < 0.5:
                sel.offset = self.rng.randint(0, 10)

    def q_filter(self) -> Query:
        t, a, scope = self._single()
        sel = Select(self._select_items(scope), [Source(t, a)],
                     self.pred(scope, 2, sub_ok=True) if self._chance(0.9) else None)
        ordered = self._chance(0.6)
        if ordered:
            self._total_order(scope, sel)
        return Query(sel, "filter", ordered)

    def q_access(self, table: Table | None = None) -> Query:
        """Conditions aimed at the primary key and the indexes (point get, handle range, index
        lookup with an equality prefix then IN or a range), plus a random residual filter."""
        rng = self.rng
        t, a, scope = self._single(table)
        ixs = [(None, tuple(t.pk), True)] + t.indexes
        _name, cols, _u = rng.choice(ixs)
        conj: list[Expr] = []
        n_eq = rng.randint(0, len(cols) - 1) if len(cols) > 1 else 0
        for cname in cols[:n_eq]:
            conj.append(Cmp("=", Col(a, t.col(cname)), self.lit_for(t, t.col(cname),
                                                                      t.col(cname).type, 0)))
        cname = cols[n_eq]
        col = t.col(cname)
        c = Col(a, col)
        r = rng.random()
        if r < 0.3:
            conj.append(Cmp("=", c, self.lit_for(t, col, col.type, 0.05)))
        elif r < 0.5:
            conj.append(InList(c, [self.lit_for(t, col, col.type, 0.1)
                                   for _ in range(rng.randint(1, 5))], False))
        elif r < 0.65:
            conj.append(Between(c, self.lit_for(t, col, col.type, 0.02),
                                self.lit_for(t, col, col.type, 0.02), False))
        else:
            for op in rng.sample(["<", "<=", ">", ">="], rng.randint(1, 2)):
                lt = col.type if col.type == STR or rng.random() < 0.8 else rng.choice(NUMERIC)
                lit = self.lit_for(t, col, lt, 0.02)
                conj.append(Cmp(op, c, lit) if rng.random() < 0.8 else Cmp(_flip(op), lit, c))
        if rng.random() < 0.3:
            conj.append(self.pred(scope, 1))
        rng.shuffle(conj)
        sel = Select(self._select_items(scope), [Source(t, a)], _and(conj))
        ordered = self._chance(0.5)
        if ordered:
            self._total_order(scope, sel)
        return Query(sel, "access", ordered)

    def q_expr(self) -> Query:
        t, a, scope = self._single()
        items = [self.expr(scope, self.rng.choice([INT, STR, DEC]), 3, exact=False, sub_ok=True)
                 for _ in range(self.rng.randint(1, 4))]
        sel = Select(items, [Source(t, a)], self.pred(scope, 1) if self._chance(0.5) else None)
        return Query(sel, "expr", False)

    def _agg(self, scope) -> Agg:
        rng = self.rng
        r = rng.random()
        if r < 0.2:
            return Agg("COUNT", None)
        if r < 0.35:
            return Agg("COUNT", self._col(scope, [INT, STR, DEC]), rng.random() < 0.3)
        summable = [c for c in self._cols(scope, NUMERIC) if c.bound < SUM_BOUND]
        if r < 0.55:
            c = rng.choice(summable)
            e = c if rng.random() < 0.7 else self.expr(scope, c.type, 1, exact=False)
            if e.bound >= SUM_BOUND:
                e = c
            return Agg("SUM", e, rng.random() < 0.15)
        if r < 0.85:
            e = self._col(scope, [INT, STR, DEC])
            if rng.random() < 0.3 and e.type != DEC:
                e = self.expr(scope, e.type, 1)
            return Agg(rng.choice(["MIN", "MAX"]), e)
        return Agg("AVG", rng.choice(summable), rng.random() < 0.1)

    def q_agg(self) -> Query:
        t, a, scope = self._single()
        items = [self._agg(scope) for _ in range(self.rng.randint(1, 4))]
        where = self.pred(scope, 1, sub_ok=True) if self._chance(0.5) else None
        return Query(Select(items, [Source(t, a)], where), "agg", True)

    def _having(self, scope) -> Expr:
        rng = self.rng
        parts = []
        for _ in range(rng.randint(1, 2)):
            r = rng.random()
            if r < 0.4:
                parts.append(Cmp(rng.choice([">", ">=", "=", "<"]), Agg("COUNT", None),
                                 Lit(rng.randint(0, 4), INT)))
            elif r < 0.7:
                c = rng.choice([x for x in self._cols(scope, [INT]) if x.bound < SUM_BOUND])
                parts.append(Cmp(rng.choice([">", "<", "<>"]), Agg("SUM", c),
                                 Lit(rng.randint(-5, 20), INT)))
            else:
                c = self._col(scope, [INT, STR, DEC])
                tbl = self._table_of(scope, c.alias)
                parts.append(Cmp(rng.choice([">", "<=", "="]), Agg(rng.choice(["MIN", "MAX"]), c),
                                 self.lit_for(tbl, c.column, c.type, 0)))
        return parts[0] if len(parts) == 1 else BoolOp(rng.choice(["AND", "OR"]), parts)

    def _group_keys(self, scope) -> list[Expr]:
        rng = self.rng
        keys: list[Expr] = []
        names: set[str] = set()
        for _ in range(rng.randint(1, 2)):
            c = self._col(scope, [INT, STR, DEC])
            if rng.random() < 0.2 and c.type == STR:
                name = rng.choice(["UPPER", "LOWER", "LENGTH"])
                g: Expr = Fn(name, [c], INT if name == "LENGTH" else STR, bound=64)
            elif rng.random() < 0.15 and c.type == INT and c.bound < MAX_BOUND:
                g = Fn("ABS", [c], INT, bound=c.bound)
            else:
                g = c
            key = g.sql(MYSQL)
            if key not in names:
                names.add(key)
                keys.append(g)
        return keys

    def q_group(self) -> Query:
        rng = self.rng
        if rng.random() < 0.25:
            scope, sources = self._join_sources()
        else:
            t, a, scope = self._single()
            sources = [Source(t, a)]
        keys = self._group_keys(scope)
        aggs = [self._agg(scope) for _ in range(rng.randint(1, 3))]
        items = keys + aggs
        where = self.pred(scope, 1, sub_ok=True) if rng.random() < 0.4 else None
        sel = Select(items, sources, where, group_by=keys,
                     having=self._having(scope) if rng.random() < 0.35 else None)
        ordered = rng.random() < 0.5
        if ordered:
            first = []
            if rng.random() < 0.3:
                i = rng.randrange(len(keys), len(items))
                if items[i].exact:
                    ref = rng.choice([i + 1, items[i], Raw(f"c{i}", items[i])])
                    first = [(ref, rng.random() < 0.5)]
            sel.order_by = first + [(i + 1, rng.random() < 0.3) for i in range(len(keys))]
            self._limit(sel)
        return Query(sel, "group", ordered)

    def q_distinct(self) -> Query:
        rng = self.rng
        t, a, scope = self._single()
        items = []
        for _ in range(rng.randint(1, 2)):
            items.append(self._col(scope, [INT, STR, DEC]) if rng.random() < 0.7
                         else self.expr(scope, rng.choice([INT, STR]), 1))
        sel = Select(items, [Source(t, a)], self.pred(scope, 1) if rng.random() < 0.5 else None,
                     distinct=True)
        ordered = rng.random() < 0.5
        if ordered:
            sel.order_by = [(i + 1, rng.random() < 0.3) for i in range(len(items))]
            self._limit(sel)
        return Query(sel, "distinct", ordered)

    def _join_on(self, left_scope, a: str, t: Table) -> Expr:
        """Equality on key columns (primary key, indexed) or plain columns, same type class,
        sometimes with an extra condition."""
        rng = self.rng
        right = [(a, t)]
        lints = self._cols(left_scope, [INT])
        if len(t.pk) == 2 and rng.random() < 0.4 and lints:  # the whole composite key
            conds = [Cmp("=", Col(a, t.col(k)), rng.choice(lints)) for k in t.pk]
            if rng.random() < 0.3:
                conds.append(self.leaf_pred(right, 0))
            return _and(conds)
        if rng.random() < 0.6:  # a key column of the new table
            name = rng.choice(sorted(t.indexed()))
            rc = Col(a, t.col(name))
        else:
            rc = self._col(right, [INT, STR, DEC])
        lc = self._col(left_scope, [STR] if rc.type == STR else NUMERIC)
        if lc is None:
            rc = self._col(right, [INT])
            lc = self._col(left_scope, NUMERIC)
        conds: list[Expr] = [Cmp("=", lc, rc) if rng.random() < 0.5 else Cmp("=", rc, lc)]
        r = rng.random()
        if r < 0.15:
            conds.append(self.leaf_pred(right, 0))
        elif r < 0.25:
            conds.append(self.leaf_pred(left_scope, 0))
        elif r < 0.3:
            conds = [Cmp(rng.choice(["<", ">="]), lc, rc)]  # a non-equi join
        return _and(conds)

    def _join_sources(self):
        rng = self.rng
        t0 = rng.choice(self.tables)
        a0 = self._new_alias("x")
        scope = [(a0, t0)]
        sources = [Source(t0, a0)]
        for _ in range(1 if rng.random() < 0.75 else 2):
            t = rng.choice(self.tables)
            a = self._new_alias("y")
            on = self._join_on(scope, a, t)
            sources.append(Source(t, a, rng.choice(["JOIN", "LEFT JOIN"]), on))
            scope = scope + [(a, t)]
        return scope, sources

    def q_join(self) -> Query:
        rng = self.rng
        scope, sources = self._join_sources()
        where = None
        if rng.random() < 0.6:
            where = self.pred(scope, 1, sub_ok=True)
            if rng.random() < 0.2 and sources[-1].join == "LEFT JOIN":
                a, t = scope[-1]
                where = IsNull(Col(a, t.col(t.pk[0])), False)  # anti-join
        sel = Select(self._select_items(scope), sources, where)
        ordered = rng.random() < 0.5
        if ordered:
            self._total_order(scope, sel)
        return Query(sel, "join", ordered)

    def q_subquery(self) -> Query:
        rng = self.rng
        t, a, scope = self._single()
        items = self._select_items(scope, 1, 2)
        if rng.random() < 0.5:
            items.append(self.scalar_sub(scope, rng.choice([INT, STR, DEC])))
        conj = [self.sub_pred(scope)]
        if rng.random() < 0.3:
            sc = self.scalar_sub(scope, INT)
            conj.append(Cmp(rng.choice(["=", "<", ">="]), self._col(scope, [INT]), sc))
        if rng.random() < 0.4:
            conj.append(self.pred(scope, 1))
        sel = Select(items, [Source(t, a)], _and(conj))
        ordered = rng.random() < 0.4
        if ordered:
            sel.order_by = self._pk_order(scope)
            self._limit(sel)
        return Query(sel, "subquery", ordered)

    def q_derived(self) -> Query:
        """A query over ``(SELECT ...) AS d``: a filtered projection or a grouped inner
        query, then a filter or a GROUP BY outside."""
        rng = self.rng
        t, a, scope = self._single()
        if rng.random() < 0.35:
            keys = self._group_keys(scope)
            inner = Select(keys + [self._agg(scope) for _ in range(rng.randint(1, 2))],
                           [Source(t, a)], group_by=keys)
            inner.items = [e if e.exact else Agg("COUNT", None) for e in inner.items]
        else:
            items = [self._col(scope, [INT, STR, DEC]) if rng.random() < 0.6
                     else self.expr(scope, rng.choice([INT, STR]), 1)
                     for _ in range(rng.randint(1, 3))]
            inner = Select(items, [Source(t, a)], self.pred(scope, 1, sub_ok=True)
                           if rng.random() < 0.6 else None, distinct=rng.random() < 0.2)
        sqltype = {INT: "BIGINT", STR: "VARCHAR(64)", DEC: "DECIMAL(20,2)"}
        cols = [Column(f"c{i}", sqltype[e.type], True, "derived", maxabs=max(e.bound, 1))
                for i, e in enumerate(inner.items)]
        dt = Table("derived", cols, [], [])
        da = self._new_alias("d")
        outer = [(da, dt)]
        if rng.random() < 0.3:
            keys = [Col(da, rng.choice(cols))]
            sel = Select(keys + [Agg("COUNT", None)], [Source(dt, da, sub=inner)],
                         self.pred(outer, 1) if rng.random() < 0.5 else None, group_by=keys)
            sel.order_by = [(1, rng.random() < 0.5)]
        else:
            items = [Col(da, c) for c in cols]
            if rng.random() < 0.4:
                items.append(self.expr(outer, rng.choice([INT, STR]), 1))
            sel = Select(items, [Source(dt, da, sub=inner)],
                         self.pred(outer, 2) if rng.random() < 0.8 else None)
            sel.order_by = [(i + 1, rng.random() < 0.3) for i in range(len(items))]
        ordered = rng.random() < 0.5
        if ordered:
            self._limit(sel)
        else:
            sel.order_by = []
        return Query(sel, "derived", ordered)

    def q_union(self) -> Query:
        rng = self.rng
        types = [rng.choice([INT, STR, DEC]) for _ in range(rng.randint(1, 2))]
        selects = []
        for _ in range(rng.randint(2, 3)):
            t, a, scope = self._single()
            items = []
            for ty in types:
                c = self._col(scope, [ty]) or self._col(scope, NUMERIC if ty != STR else [STR])
                items.append(c if rng.random() < 0.7 or ty == DEC else self.expr(scope, ty, 1))
            where = self.pred(scope, 1) if rng.random() < 0.7 else None
            selects.append(Select(items, [Source(t, a)], where, aliases=False))
        u = UnionQ(selects, rng.random() < 0.5)
        ordered = rng.random() < 0.4
        if ordered:
            u.order_by = [(i + 1, rng.random() < 0.3) for i in range(len(types))]
            if rng.random() < 0.5:
                u.limit = rng.randint(0, 10)
        # with UNION ALL duplicates tie on every column: still a total order of the values
        return Query(u, "union", ordered)

    # -- DML -------------------------------------------------------------------------------

    def _fresh_keys(self, t: Table, n: int) -> list[tuple]:
        used = {tuple(r[t.names.index(k)] for k in t.pk) for r in self.rows[t.name]}
        out = []
        while len(out) < n:
            if t.pk == ["k1", "k2"]:
                key = (self.rng.randint(-2, 8), self.rng.randint(-50, 2000))
            else:
                key = (self.rng.randint(-100, 5000),)
            if key not in used:
                used.add(key)
                out.append(key)
        return out

    def _fresh_unique(self, t: Table, c: Column, n: int) -> list:
        used = set(self._values(t, c))
        out = []
        while len(out) < n:
            v = (self.rng.randint(-1000, 10000) if c.type == INT
                 else "".join(self.rng.choice("abcxyzXYZ") for _ in range(6)))
            if v not in used:
                used.add(v)
                out.append(v)
        return out

    def new_rows(self, t: Table, n: int) -> list[tuple]:
        rng = self.rng
        keys = self._fresh_keys(t, n)
        uniq = {c.name: self._fresh_unique(t, c, n) for c in t.columns if c.unique}
        rows = []
        for i in range(n):
            key = iter(keys[i])
            row = []
            for c in t.columns:
                if c.name in t.pk:
                    row.append(next(key))
                elif c.nullable and rng.random() < 0.2:
                    row.append(None)
                elif c.unique:
                    row.append(uniq[c.name][i])
                elif c.type == INT:
                    row.append(rng.randint(-3, 9))
                elif c.type == STR:
                    row.append(_str_value(rng))
                else:
                    row.append(_dec_value(rng))
            rows.append(tuple(row))
        return rows

    def _stmt(self, t, kind, mysql, sqlite=None, errno=None) -> Statement:
        return Statement(t, kind, mysql, sqlite if sqlite is not None else mysql, errno)

    def dml(self, t: Table | None = None) -> Statement:
        """One DML statement on `t`; about one in five must fail on both engines."""
        rng = self.rng
        t = t or rng.choice(self.tables)
        r = rng.random()
        if r < 0.17 or not self.rows[t.name]:
            return self.dml_insert(t)
        if r < 0.27:
            return self.dml_conflicting_insert(t)
        if r < 0.5:
            return self.dml_update(t)
        if r < 0.65:
            return self.dml_delete(t)
        if r < 0.75:
            return self.dml_update_key(t)
        return self.dml_failing(t)

    def dml_conflicting_insert(self, t: Table) -> Statement:
        """REPLACE, INSERT IGNORE and INSERT ... ON DUPLICATE KEY UPDATE (SQLite: REPLACE,
        INSERT OR IGNORE, ON CONFLICT (pk) DO UPDATE) with rows whose primary keys partly
        exist.  Unique columns get fresh values except for REPLACE (which deletes every
        conflicting row in both); the upsert only updates non-key columns, each from itself
        or from VALUES(col) (SQLite: excluded.col)."""
        rng = self.rng
        rows = [list(r) for r in self.new_rows(t, rng.randint(1, 4))]
        existing = self.rows[t.name]
        for r in rows:
            if rng.random() < 0.5:
                old = rng.choice(existing)
                for k in t.pk:
                    r[t.names.index(k)] = old[t.names.index(k)]
        kind = rng.choice(["replace", "ignore", "upsert"])
        if kind == "replace":
            uniq = [c for c in t.columns if c.unique]
            if uniq and rng.random() < 0.5:
                vals = self._values(t, uniq[0])
                if vals:
                    rows[-1][t.names.index(uniq[0].name)] = rng.choice(vals)
        # no two new rows with the same key: which one wins is a different question
        seen, uniq_rows = set(), []
        for r in rows:
            key = tuple(r[t.names.index(k)] for k in t.pk)
            if key not in seen:
                seen.add(key)
                uniq_rows.append(tuple(r))
        body = insert_sql(t, uniq_rows)
        if kind == "replace":
            return self._stmt(t, "replace", "REPLACE" + body[len("INSERT"):])
        if kind == "ignore":
            return self._stmt(t, "insert", "INSERT IGNORE" + body[len("INSERT"):],
                              "INSERT OR IGNORE" + body[len("INSERT"):])
        cols = [c for c in t.columns if c.name not in t.pk and not c.unique]
        sets_my, sets_lite = [], []
        targets = rng.sample(cols, rng.randint(1, min(3, len(cols))))
        assigned = {c.name for c in targets}
        for c in targets:
            if rng.random() < 0.5:
                sets_my.append(f"{c.name} = VALUES({c.name})")
                sets_lite.append(f"{c.name} = excluded.{c.name}")
            else:
                my, lite = self._assign(t, t.name, c, [(t.name, t)], assigned)
                sets_my.append(my)
                sets_lite.append(lite)
        return self._stmt(t, "upsert", body + " ON DUPLICATE KEY UPDATE " + ", ".join(sets_my),
                          body + f" ON CONFLICT ({', '.join(t.pk)}) DO UPDATE SET "
                          + ", ".join(sets_lite))

    def dml_insert(self, t: Table) -> Statement:
        rows = self.new_rows(t, self.rng.randint(1, 5))
        cols = None
        if self.rng.random() < 0.4:
            # a column list in another order, nullable columns maybe omitted (default NULL)
            cols = [c.name for c in t.columns if not c.nullable or self.rng.random() < 0.7]
            self.rng.shuffle(cols)
        return self._stmt(t, "insert", insert_sql(t, rows, cols))

    def _assign(self, t: Table, a: str, c: Column, scope, assigned: set[str]) -> tuple[str, str]:
        """`c = expr` for both dialects.  The expression may read `c` itself and columns that
        are not assigned in the same statement (MySQL assigns left to right and later
        expressions see the new values; SQLite evaluates every expression on the old row)."""
        rng = self.rng
        col = Col(a if rng.random() < 0.5 else "", c)  # t.c or plain c: both the old value
        r = rng.random()
        if c.type == INT:
            opts = [Op(rng.choice("+-"), col, Lit(rng.randint(1, 5), INT)),
                    Lit(rng.randint(-3, 9), INT), Fn("ABS", [col], INT),
                    Op("-", Lit(0, INT), col)]
            others = [x for x in self.tables if x is not t]
            if others and rng.random() < 0.2:
                # (SELECT MAX(o.small) FROM other AS o WHERE o.x = t.y): another table only
                o = rng.choice(others)
                sa = self._new_alias("s")
                small = [x for x in scope_cols([(sa, o)], INT) if x.column.domain == "small"]
                mine = [x for x in scope_cols(scope, INT) if x.column.name not in assigned]
                if small and mine:
                    sub = Select([Agg(rng.choice(["MAX", "MIN", "COUNT"]), rng.choice(small))],
                                 [Source(o, sa)], Cmp("=", rng.choice(small), rng.choice(mine)),
                                 aliases=False)
                    opts = [Scalar(sub)]
            e: Expr = rng.choice(opts)
        elif c.type == STR:
            opts = [Fn("UPPER", [col], STR), Fn("LOWER", [col], STR), Fn("TRIM", [col], STR),
                    Fn("SUBSTR", [Concat(col, Lit(rng.choice(["x", "_", "%", " "]), STR)),
                                  Lit(1, INT), Lit(rng.randint(0, 10), INT)], STR),
                    Fn("REPLACE", [col, Lit("a", STR), Lit("b", STR)], STR),
                    Lit(_str_value(rng), STR)]
            e = rng.choice(opts)
        else:
            opts = [Op(rng.choice("+-"), col, Lit(_dec_value(rng), DEC)),
                    Op("-", Lit(0, INT), col), Fn("ABS", [col], DEC),
                    Lit(_dec_value(rng), DEC)]
            ints = [x for x in scope_cols(scope, INT)
                    if x.column.domain == "small" and x.column.name not in assigned]
            if ints:
                opts.append(Op("+", col, rng.choice(ints)))
            e = rng.choice(opts)
        if c.nullable and r < 0.1:
            e = Lit(None, c.type)
        if not c.nullable:
            default = {INT: Lit(rng.randint(-3, 9), INT), STR: Lit(_str_value(rng), STR),
                       DEC: Lit(_dec_value(rng), DEC)}[c.type]
            e = Fn("COALESCE", [e, default], c.type)
        lite = e.sql(SQLITE)
        if c.type == DEC:
            lite = f"ROUND({lite}, 2)"  # keep SQLite's REAL the nearest double
        return f"{c.name} = {e.sql(MYSQL)}", f"{c.name} = {lite}"

    def dml_update(self, t: Table) -> Statement:
        rng = self.rng
        a = t.name
        scope = [(a, t)]
        cols = [c for c in t.columns if c.name not in t.pk and not c.unique]
        targets = rng.sample(cols, min(len(cols), rng.randint(1, 2)))
        assigned = {c.name for c in targets}
        sets = [self._assign(t, a, c, scope, assigned) for c in targets]
        where = self._dml_where(t, a)
        my = f"UPDATE {t.name} SET {', '.join(s[0] for s in sets)}"
        lite = f"UPDATE {t.name} SET {', '.join(s[1] for s in sets)}"
        if where is not None:
            my += f" WHERE {where.sql(MYSQL)}"
            lite += f" WHERE {where.sql(SQLITE)}"
        return self._stmt(t, "update", my, lite)

    def _dml_where(self, t: Table, a: str) -> Expr | None:
        rng = self.rng
        scope = [(a, t)]
        r = rng.random()
        if r < 0.1:
            return None
        if r < 0.35:  # by primary key (point or range)
            k = t.col(t.pk[0])
            return self.leaf_pred([(a, t)], 0) if rng.random() < 0.3 else \
                Cmp(rng.choice(["=", "<", ">="]), Col(a, k), self.lit_for(t, k, INT, 0))
        if r < 0.45:  # an uncorrelated subquery on another table (never the same one: 1093)
            others = [x for x in self.tables if x is not t]
            if others:
                o = rng.choice(others)
                sa = self._new_alias("s")
                oc = self._col([(sa, o)], [INT])
                ic = self._col(scope, [INT])
                sub = Select([oc], [Source(o, sa)], self.pred([(sa, o)], 1), aliases=False)
                return InSub(ic, sub, rng.random() < 0.3)
        return self.pred(scope, 2)

    def dml_delete(self, t: Table) -> Statement:
        where = self._dml_where(t, t.name)
        others = [x for x in self.tables if x is not t]
        if others and self.rng.random() < 0.2:
            o = self.rng.choice(others)
            sa = self._new_alias("s")
            oc = self._col([(sa, o)], [INT])
            ic = self._col([(t.name, t)], [INT])
            cond = _and([Cmp("=", oc, ic), self.leaf_pred([(sa, o)], 0)])
            where = Exists(Select([Lit(1, INT)], [Source(o, sa)], cond, aliases=False),
                           self.rng.random() < 0.3)
        if where is None or self.rng.random() < 0.3:
            where = self.leaf_pred([(t.name, t)], 0)
        return self._stmt(t, "delete", f"DELETE FROM {t.name} WHERE {where.sql(MYSQL)}",
                          f"DELETE FROM {t.name} WHERE {where.sql(SQLITE)}")

    def dml_update_key(self, t: Table) -> Statement:
        """Change primary keys (to values no row has: the shift is larger than the key range,
        so no transient duplicates) or set a unique column of one row to a fresh value."""
        rng = self.rng
        uniq = [c for c in t.columns if c.unique]
        rows = self.rows[t.name]
        if uniq and rng.random() < 0.4:
            c = uniq[0]
            row = rng.choice(rows)
            v = self._fresh_unique(t, c, 1)[0] if rng.random() < 0.8 else None
            if v is None and not c.nullable:
                v = self._fresh_unique(t, c, 1)[0]
            where = " AND ".join(f"{k} = {lit_sql(row[t.names.index(k)])}" for k in t.pk)
            return self._stmt(t, "update", f"UPDATE {t.name} SET {c.name} = {lit_sql(v)} "
                                           f"WHERE {where}")
        k = t.pk[-1]
        kc = t.col(k)
        vals = [r[t.names.index(k)] for r in rows]
        if max(abs(v) for v in vals) > 1 << 30:
            return self.dml_update(t)
        shift = (max(vals) - min(vals) + 1 + rng.randint(0, 3)) * rng.choice([1, -1])
        if max(abs(v) for v in vals) + abs(shift) > (1 << 30):
            return self.dml_update(t)
        where = self.pred([(t.name, t)], 1)
        return self._stmt(t, "update", f"UPDATE {t.name} SET {kc.name} = {kc.name} + "
                                       f"{lit_sql(shift)} WHERE {where.sql(MYSQL)}",
                          f"UPDATE {t.name} SET {kc.name} = {kc.name} + {lit_sql(shift)} "
                          f"WHERE {where.sql(SQLITE)}")

    def dml_failing(self, t: Table) -> Statement:
        """Statements that must fail on both engines and leave the table unchanged: duplicate
        primary/unique keys (1062, also between rows of one INSERT and on the last row of a
        multi-row INSERT/UPDATE), NULL into NOT NULL (1048)."""
        rng = self.rng
        rows = self.rows[t.name]
        existing = rng.choice(rows)
        r = rng.random()
        if r < 0.25:  # duplicate primary key after some good rows
            new = self.new_rows(t, rng.randint(1, 3))
            dup = list(new[0])
            for k in t.pk:
                dup[t.names.index(k)] = existing[t.names.index(k)]
            return self._stmt(t, "insert", insert_sql(t, new + [tuple(dup)]), errno=1062)
        if r < 0.35:  # duplicate key inside one INSERT
            new = self.new_rows(t, 2)
            dup = list(new[1])
            for k in t.pk:
                dup[t.names.index(k)] = new[0][t.names.index(k)]
            return self._stmt(t, "insert", insert_sql(t, [new[0], tuple(dup)]), errno=1062)
        uniq = [c for c in t.columns if c.unique]
        if r < 0.5 and uniq:
            c = uniq[0]
            vals = self._values(t, c)
            if vals:
                new = list(self.new_rows(t, 1)[0])
                new[t.names.index(c.name)] = rng.choice(vals)
                return self._stmt(t, "insert", insert_sql(t, self.new_rows(t, 1) + [tuple(new)]),
                                  errno=1062)
        notnull = [c for c in t.columns if not c.nullable]
        if r < 0.65:  # NULL into a NOT NULL column (a key column too: the PK is NOT NULL)
            c = rng.choice(notnull)
            new = self.new_rows(t, rng.randint(1, 3))
            bad = list(new[-1])
            bad[t.names.index(c.name)] = None
            return self._stmt(t, "insert", insert_sql(t, new[:-1] + [tuple(bad)]), errno=1048)
        plain_nn = [c for c in notnull if c.name not in t.pk and not c.unique]
        if r < 0.8 and plain_nn:  # UPDATE of many rows, only the last one to NULL
            c = rng.choice(plain_nn)
            last = max(rows, key=lambda row: tuple(row[t.names.index(k)] for k in t.pk))
            cond = " AND ".join(f"{k} = {lit_sql(last[t.names.index(k)])}" for k in t.pk)
            step = "1" if c.type == INT else ("1.00" if c.type == DEC else "'x'")
            other = (f"CONCAT({c.name}, {step})" if c.type == STR else f"{c.name} + {step}")
            other_l = (f"({c.name} || {step})" if c.type == STR else other)
            lite_other = f"ROUND({other_l}, 2)" if c.type == DEC else other_l
            return self._stmt(
                t, "update",
                f"UPDATE {t.name} SET {c.name} = CASE WHEN {cond} THEN NULL ELSE {other} END",
                f"UPDATE {t.name} SET {c.name} = CASE WHEN {cond} THEN NULL ELSE {lite_other} END",
                errno=1048)
        # UPDATE a key to an existing row's key
        other = rng.choice(rows)
        if other is existing or len(rows) < 2:
            return self.dml_insert(t)
        if uniq and rng.random() < 0.5 and existing[t.names.index(uniq[0].name)] is not None:
            c = uniq[0]
            target = existing[t.names.index(c.name)]
            if other[t.names.index(c.name)] == target:
                return self.dml_insert(t)
            cond = " AND ".join(f"{k} = {lit_sql(other[t.names.index(k)])}" for k in t.pk)
            return self._stmt(t, "update", f"UPDATE {t.name} SET {c.name} = {lit_sql(target)} "
                                           f"WHERE {cond}", errno=1062)
        sets = ", ".join(f"{k} = {lit_sql(existing[t.names.index(k)])}" for k in t.pk)
        cond = " AND ".join(f"{k} = {lit_sql(other[t.names.index(k)])}" for k in t.pk)
        return self._stmt(t, "update", f"UPDATE {t.name} SET {sets} WHERE {cond}", errno=1062)


def scope_cols(scope, type_: str) -> list[Col]:
    return [Col(a, c) for a, t in scope for c in t.columns if c.type == type_]


def _and(conds: list[Expr]) -> Expr | None:
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else BoolOp("AND", conds)


def _flip(op: str) -> str:
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]


# Constructs left out of the corpus because MySQL and SQLite disagree by design (not bugs):
EXCLUDED = {
    "/ and %": "MySQL 1/2 = 0.5000 (DECIMAL), SQLite integer division gives 0; % on negatives"
               " and decimals differs",
    "|| for concatenation": "MySQL's || is logical OR; CONCAT() is rendered as SQLite's ||",
    "arithmetic on DECIMAL in predicates/ORDER BY/GROUP BY/DISTINCT/UNION": "SQLite computes"
               " with doubles (0.1 + 0.2 <> 0.3); only compared with a tolerance in results",
    "SUM/AVG of DECIMAL in HAVING": "the same double rounding could cross a boundary",
    "string vs number comparisons": "MySQL converts to DOUBLE, SQLite uses type affinity",
    "LIMIT without a total ORDER BY": "which rows come back is unspecified in both",
    "UPDATE reading a column assigned earlier in the same SET": "MySQL sees the new value,"
               " SQLite the old one",
    "UPDATE rowcount": "MySQL reports changed rows, SQLite matched rows",
    "multi-row scalar subqueries": "MySQL ERROR 1242, SQLite takes the first row",
    "subquery on the table being updated/deleted": "MySQL ERROR 1093, fine in SQLite",
    "LIKE with backslashes": "MySQL's default escape is backslash, SQLite has none",
    "ROUND on non-integers": "MySQL rounds DECIMAL half away from zero exactly, SQLite rounds"
                             " doubles",
    "integer overflow": "MySQL ERROR 1690, SQLite switches to REAL (only ABS and SUM raise)",
    "SUM/AVG of BIGINTs near 2**63": "SQLite's SUM raises 'integer overflow', its AVG is a"
               " double; MySQL's are exact DECIMALs",
    "DECIMAL arithmetic with BIGINTs beyond 2**50": "a double cannot hold d0 + 2**63 - 1",
    "literals beyond the BIGINT range": "DECIMAL in MySQL, a rounded REAL in SQLite",
    "integer constants in ORDER BY": "a column position in both; out of range is an error in"
               " both, and ORDER BY (-1) is an error in SQLite only (decimal constants are kept)",
    "strings longer than the column": "MySQL strict mode ERROR 1406, SQLite stores them",
    "SUBSTR with zero/negative positions, ROUND with negative places": "different conventions",
    "UPDATE of keys that collide transiently (SET id = id + 1)": "both check row by row in an"
               " unspecified order; keys are only moved by more than their range",
    "REPLACE / ON DUPLICATE KEY UPDATE row counts": "MySQL counts 2 for a replaced or updated"
               " row, SQLite 1",
    "upserts that conflict on a unique secondary key": "MySQL's ON DUPLICATE KEY fires on any"
               " unique key, SQLite's ON CONFLICT (pk) only on the primary key",
    "INSERT IGNORE of NULL into NOT NULL": "MySQL stores the implicit default with a warning,"
               " SQLite's OR IGNORE skips the row",
    "two rows with the same key in one REPLACE/upsert": "left out to keep the cases simple",
}
