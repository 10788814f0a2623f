"""CREATE VIEW's text as MySQL stores it: `*` expanded, select items named.

MySQL expands ``SELECT *`` (and ``t.*``) into the columns the tables have when the view is
created and writes every select item with its name (``select `t`.`a` AS `a`,`t`.`b` AS `b`
from `t```), so a column added to the table later, or a table re-created with more columns,
does not change the view's columns.  `freeze` rewrites the parsed SELECT the same way before
its text is stored.  What it cannot resolve statically (a parenthesised join, an unknown
source) is left as written: the view then reads `*` at each use, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

# a FROM table -> its column names, or None when unknown
Columns = Callable[[exp.Table], list[str] | None]


def freeze(query: exp.Expression, table_columns: Columns,
           plan_names: Callable[[exp.Expression], list[str]]) -> exp.Expression:
    """`query` (a copy is changed in place and returned) with every `*` of every SELECT
    expanded, and the outermost SELECT's plain columns qualified by their table and every
    outermost item aliased with its name."""
    for sel in list(query.find_all(exp.Select)):
        sources = _sources(sel, table_columns, plan_names)
        if sources is not None:
            _expand(sel, sources)
    top = query
    while isinstance(top, exp.SetOperation):  # a UNION's names are its first SELECT's
        top = top.this
    if isinstance(top, exp.Select):
        sources = _sources(top, table_columns, plan_names)
        _name_items(top, sources or [])
    return query


def _sources(sel: exp.Select, table_columns: Columns,
             plan_names: Callable[[exp.Expression], list[str]]
             ) -> list[tuple[str, list[str]]] | None:
    """(alias, column names) of each FROM item of `sel`, in order; None if one is not
    known."""
    from_ = sel.args.get("from_")
    if from_ is None:
        return []
    items = [from_.this] + [j.this for j in sel.args.get("joins") or []]
    for j in sel.args.get("joins") or []:
        if j.args.get("using") or j.args.get("method"):  # USING / NATURAL: left as written
            return None
    out = []
    for item in items:
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            cols = table_columns(item)
            if cols is None:
                return None
            out.append((item.alias_or_name, cols))
        elif isinstance(item, exp.Subquery) and item.alias and isinstance(
                item.this, (exp.Select, exp.SetOperation)):
            alias = item.args.get("alias")
            if alias is not None and alias.columns:
                cols = [c.name for c in alias.columns]
            else:
                try:
                    cols = plan_names(item.this.copy())
                except Exception:  # noqa: BLE001 - the view's own planning reports it
                    return None
            out.append((item.alias, cols))
        else:
            return None
    return out


def _expand(sel: exp.Select, sources: list[tuple[str, list[str]]]) -> None:
    if not any(_is_star(e) for e in sel.expressions):
        return
    out: list[exp.Expression] = []
    for e in sel.expressions:
        if isinstance(e, exp.Star):
            out.extend(_item(a, n) for a, cols in sources for n in cols)
        elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and not e.args.get("db"):
            t = e.table.lower()
            hit = [(a, cols) for a, cols in sources if a.lower() == t]
            if len(hit) != 1:
                return  # an unknown `x.*`: the planner answers it
            out.extend(_item(a, n) for a, cols in hit for n in cols)
        else:
            out.append(e)
    sel.set("expressions", out)


def _is_star(e: exp.Expression) -> bool:
    return isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))


def _item(alias: str, name: str) -> exp.Expression:
    return exp.alias_(exp.column(name, table=alias, quoted=True), name, quoted=True)


def _name_items(sel: exp.Select, sources: list[tuple[str, list[str]]]) -> None:
    """`a` as `t`.`a` AS `a` when exactly one source has `a`; every other unnamed item
    named by its own text, as the engine names it."""
    out: list[exp.Expression] = []
    for e in sel.expressions:
        if isinstance(e, exp.Alias) or _is_star(e):
            out.append(e)
            continue
        if isinstance(e, exp.Column):
            name = e.name
            if not e.table:
                hits = [a for a, cols in sources if any(c.lower() == name.lower()
                                                        for c in cols)]
                if len(hits) == 1:
                    e = exp.column(name, table=hits[0], quoted=True)
            out.append(exp.alias_(e, name, quoted=True))
        else:
            out.append(exp.alias_(e, e.sql(dialect="mysql"), quoted=True))
    sel.set("expressions", out)


def table_columns_from(resolve: Callable[[str | None, str], Any]) -> Columns:
    """A `Columns` reading the planner's table resolver (base tables, views,
    information_schema)."""

    def columns(t: exp.Table) -> list[str] | None:
        try:
            found = resolve(t.db or None, t.name)
        except Exception:  # noqa: BLE001 - the view's own planning reports it
            return None
        cols = getattr(found, "columns", None)
        if not cols:
            return None
        return [c if isinstance(c, str) else c.name for c in cols]

    return columns
