"""Clauses KintsugiDB parses but does not carry out, refused with ERROR 1235 naming them.

sqlglot reads far more of MySQL than the engine implements; a clause it parsed and the
engine then dropped (a CHECK constraint, a FOREIGN KEY, ``WITH ROLLUP``, a ``_ci``
collation) made a DBA believe something happened that did not.  Each such clause is
refused here before anything changes, naming it, as mysqld answers for a feature it lacks.
What the engine does carry out (NOT NULL, DEFAULT, AUTO_INCREMENT, keys, COMMENT, the
utf8mb4/binary character set and its binary collation) passes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from core.errors import NotSupportedError, ProgrammingError

# Character sets and collations whose behaviour is the engine's: text is stored as Unicode
# and compared by code point (utf8mb4_bin; ``binary`` compares bytes, the same order for
# UTF-8).  A _ci/_ai collation would compare 'a' = 'A': results would differ, so refused.
CHARSETS = frozenset({"utf8mb4", "binary"})
COLLATIONS = frozenset({"utf8mb4_bin", "binary"})
# Column constraints the CREATE TABLE reader carries out (core.sql.ddl._table_info), or
# checks below (character set, collation).
_HANDLED = (exp.NotNullColumnConstraint, exp.PrimaryKeyColumnConstraint,
            exp.UniqueColumnConstraint, exp.AutoIncrementColumnConstraint,
            exp.DefaultColumnConstraint, exp.CommentColumnConstraint)
_COLUMN_FEATURES: dict[type, str] = {
    exp.CheckColumnConstraint: "CHECK constraints",
    exp.Reference: "FOREIGN KEY",
    exp.ComputedColumnConstraint: "generated columns",
    exp.GeneratedAsIdentityColumnConstraint: "generated columns",
    exp.OnUpdateColumnConstraint: "ON UPDATE CURRENT_TIMESTAMP",
    exp.InvisibleColumnConstraint: "INVISIBLE columns",
    exp.ZeroFillColumnConstraint: "ZEROFILL",
}


Warn = Callable[..., None]  # StatementHost.warn(code, message, level)


def not_yet(feature: str) -> NotSupportedError:
    return NotSupportedError(f"This version of KintsugiDB doesn't yet support '{feature}'",
                             errno=1235, sqlstate="42000")


def check_charset(name: str) -> None:
    """A CHARACTER SET the engine's storage matches, else 1235 naming it."""
    if name.lower() not in CHARSETS:
        raise not_yet(f"CHARACTER SET {name}")


def check_collation(name: str) -> None:
    """A collation whose comparisons are the engine's (binary), else 1235 naming it."""
    if name.lower() not in COLLATIONS:
        raise not_yet(f"COLLATE {name}")


def _name(node: exp.Expression | None) -> str:
    return node.name if node is not None else ""


def _column_constraint(kind: exp.Expression) -> None:
    if isinstance(kind, _HANDLED):
        return
    if isinstance(kind, exp.CharacterSetColumnConstraint):
        return check_charset(_name(kind.this))
    if isinstance(kind, exp.CollateColumnConstraint):
        return check_collation(_name(kind.this))
    feature = _COLUMN_FEATURES.get(type(kind))
    if feature is None:  # anything else parsed (COLUMN_FORMAT, STORAGE, SRID, ...)
        feature = kind.sql(dialect="mysql").split("(")[0].strip()[:40] or type(kind).__name__
    raise not_yet(feature)


DESC_NOTE = ("This version of KintsugiDB doesn't yet support 'descending index key parts "
             "(DESC)': the index is kept in ascending order (query results are the same; "
             "SHOW CREATE TABLE does not show DESC)")


def _key_parts(parts: list, warn: Warn | None) -> None:
    """Index key parts: MySQL 8 keeps a DESC part in descending order.  That order is never
    visible in a result (only in the speed of a backward scan), and the sqllogictest corpus
    creates such indexes by the hundred, so DESC is accepted, with a Note saying it is
    stored ascending; without a `warn` to say so (none today) it is refused."""
    for p in parts:
        if isinstance(p, exp.Ordered) and p.args.get("desc"):
            if warn is None:
                raise not_yet("descending index key parts (DESC)")
            warn(1235, DESC_NOTE, "Note")
            return


def _index_options(item: exp.Expression) -> None:
    for opt in item.args.get("options") or []:
        if isinstance(opt, exp.IndexConstraintOption) and opt.args.get("visible") is False:
            raise not_yet("INVISIBLE indexes")


def check_table_element(item: exp.Expression, warn: Warn | None = None) -> None:
    """One element of a CREATE TABLE's list, or of ALTER TABLE ... ADD."""
    if isinstance(item, exp.ColumnDef):
        for cons in item.args.get("constraints") or []:
            kind = cons.args.get("kind") if isinstance(cons, exp.ColumnConstraint) else cons
            if kind is not None:
                _column_constraint(kind)
        return
    if isinstance(item, exp.Constraint):  # CONSTRAINT name <CHECK | FOREIGN KEY | ...>
        for e in item.expressions:
            check_table_element(e, warn)
        return
    if isinstance(item, exp.CheckColumnConstraint):
        raise not_yet("CHECK constraints")
    if isinstance(item, exp.ForeignKey):
        raise not_yet("FOREIGN KEY")
    if isinstance(item, exp.PrimaryKey):
        _key_parts(item.expressions, warn)
        _index_options(item)
    elif isinstance(item, exp.IndexColumnConstraint):
        _key_parts(item.expressions, warn)
        _index_options(item)
    elif isinstance(item, exp.UniqueColumnConstraint):
        target = item.this
        _key_parts(target.expressions if target is not None else [], warn)
        _index_options(item)


def check_table_options(props: exp.Properties | None) -> None:
    """Table options: DEFAULT CHARSET / COLLATE must be what the engine does."""
    for p in (props.expressions if props is not None else []):
        if isinstance(p, exp.CharacterSetProperty):
            check_charset(_name(p.this))
        elif isinstance(p, exp.CollateProperty):
            check_collation(_name(p.this))


def check_create_table(node: exp.Create, warn: Warn | None = None) -> None:
    """Refuse, before anything is written, what a CREATE TABLE would silently drop."""
    sch = node.this
    if isinstance(sch, exp.Schema):
        for item in sch.expressions:
            check_table_element(item, warn)
    check_table_options(node.args.get("properties"))


def check_alter_action(act: exp.Expression, warn: Warn | None = None) -> None:
    """ALTER TABLE ... ADD [CONSTRAINT] CHECK / FOREIGN KEY / an index with DESC parts."""
    if isinstance(act, exp.AddConstraint):
        for c in act.expressions:
            check_table_element(c, warn)


def check_create_index(node: exp.Create, warn: Warn | None = None) -> None:
    """CREATE INDEX i ON t (a DESC)."""
    index = node.this
    params = index.args.get("params") if isinstance(index, exp.Index) else None
    if params is not None:
        _key_parts(params.args.get("columns") or [], warn)


def check_select(sel: exp.Select) -> None:
    """GROUP BY ... WITH ROLLUP was parsed and dropped (the super-aggregate rows were
    missing); GROUPING() only means something with it.  WITH CUBE is not MySQL (1064)."""
    group = sel.args.get("group")
    if group is not None:
        if group.args.get("cube") or any(isinstance(e, exp.Cube) for e in group.expressions):
            raise ProgrammingError(
                "You have an error in your SQL syntax; check the manual that corresponds to "
                "your MySQL server version for the right syntax to use near 'CUBE' at line 1",
                errno=1064, sqlstate="42000")
        if group.args.get("rollup") or any(isinstance(e, exp.Rollup)
                                           for e in group.expressions):
            raise not_yet("GROUP BY ... WITH ROLLUP")
        if group.args.get("grouping_sets"):
            raise not_yet("GROUPING SETS")
    if sel.find(exp.Grouping) is not None:
        raise not_yet("GROUPING()")


def table_elements(sch: exp.Schema) -> list[exp.Expression]:
    """A CREATE TABLE's elements with ``CONSTRAINT name`` unwrapped: ``CONSTRAINT pk
    PRIMARY KEY (b)`` and ``CONSTRAINT uq UNIQUE (a)`` were dropped whole (no key at all).
    As in MySQL, a UNIQUE key without its own name takes the constraint's."""
    out: list[exp.Expression] = []
    for item in sch.expressions:
        if not isinstance(item, exp.Constraint):
            out.append(item)
            continue
        for e in item.expressions:
            target = e.this if isinstance(e, exp.UniqueColumnConstraint) else None
            if isinstance(target, exp.Schema) and target.this is None and item.this:
                e = e.copy()
                e.this.set("this", exp.to_identifier(item.this.name))
            out.append(e)
    return out
