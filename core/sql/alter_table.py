"""ALTER TABLE column and key changes: checked in the session, carried out by a job.

`plan` reads every action of one ALTER TABLE (several make one job: TiDB's multi-schema
change, one sub-job per action) into the table definition it asks for, with MySQL 8's
errors, and says how the rows get there:

* nothing to copy (renaming a column, an index or the table, a new DEFAULT or COMMENT,
  NOT NULL dropped): the dictionary changes in the statement's own transaction, a one-step
  job like CREATE TABLE's;
* anything else (a column added, dropped, moved or of another type, a new or dropped
  primary key, several index changes, FORCE): a table rebuild job (core.ddl.rebuild) with
  the new definition and the map from old rows to new ones (core.sql.shadow.RowMap).
"""

from __future__ import annotations

import time
from typing import Any

from sqlglot import exp

from core.catalog.model import (
    HANDLE_CLUSTERED,
    HANDLE_INT,
    HANDLE_ROWID,
    ColumnInfo,
    IndexInfo,
    TableInfo,
)
from core.errors import NotSupportedError, ProgrammingError
from core.events import SchemaState
from core.sql import keyparts, limits, refusals, sqlmode
from core.sql.shadow import require_rule, revertible

DDLRunner = Any  # core.sql.ddl.DDLRunner (which imports this module)
# core.sql.ddl imports this module, so what this one needs of it is handed in: its
# `check_key` (MySQL's checks of a key) and its QUEUED answer
CheckKey = Any

INT_KINDS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT"}
# job types a table rebuild runs under (core.ddl.rebuild): an ALTER's single action, or
# several (one job, TiDB's multi-schema change)
REBUILD_TYPES = ("rebuild table", "add column", "drop column", "modify column",
                 "add primary key", "drop primary key", "multi-schema change")


def _err(msg: str, errno: int, sqlstate: str = "42000") -> ProgrammingError:
    return ProgrammingError(msg, errno=errno, sqlstate=sqlstate)


def _not_yet(what: str) -> NotSupportedError:
    return NotSupportedError(f"This version of KintsugiDB doesn't yet support '{what}'",
                             errno=1235, sqlstate="42000")


class Plan:
    """The definition an ALTER asks for, built one action at a time."""

    def __init__(self, runner: DDLRunner, table: TableInfo, check_key: CheckKey):
        self.runner = runner
        self.check_key = check_key
        self.source = table
        self.t = TableInfo.from_dict(table.to_dict())
        self.t.shadow = {}
        self.subjobs: list[dict] = []
        self.force = False  # FORCE / ENGINE=: rebuild even if nothing else asks for it
        self.rename_to: tuple[str, str] | None = None

    # -- helpers ------------------------------------------------------------------------------

    def _sub(self, job_type: str, detail: str) -> None:
        self.subjobs.append({"type": job_type, "detail": detail})

    def _reindex(self) -> None:
        self.t.__post_init__()

    def _column(self, name: str, errno: int = 1054) -> ColumnInfo:
        col = self.t.column(name)
        if col is None:
            if errno == 1091:
                raise _err(f"Can't DROP '{name}'; check that column/key exists", 1091)
            raise _err(f"Unknown column '{name}' in '{self.t.name}'", 1054, "42S22")
        return col

    def _parse_column(self, coldef: exp.ColumnDef) -> tuple[ColumnInfo, list[IndexInfo],
                                                               list[str]]:
        """One column definition read as CREATE TABLE reads it: (column, its inline UNIQUE
        keys, its inline PRIMARY KEY columns)."""
        refusals.check_table_element(coldef, self.runner.s.warn)
        alone = coldef.copy()  # AUTO_INCREMENT is checked against the whole table (finish)
        cons = alone.args.get("constraints") or []
        auto = [c for c in cons if isinstance(c.args.get("kind"),
                                              exp.AutoIncrementColumnConstraint)]
        alone.set("constraints", [c for c in cons if c not in auto])
        info = self.runner._table_info(exp.Schema(expressions=[alone]), self.t.schema,
                                       self.t.name)
        col = info.columns[0]
        col.auto_increment = bool(auto)
        return col, [ix for ix in info.indexes if not ix.primary], list(info.pk_columns)

    def _place(self, col: ColumnInfo, position: exp.ColumnPosition | None,
               at: int | None = None) -> None:
        cols = self.t.columns
        if position is None:
            cols.insert(len(cols) if at is None else at, col)
        elif (position.args.get("position") or "").upper() == "FIRST":
            cols.insert(0, col)
        else:
            after = position.this.name
            i = next((k for k, c in enumerate(cols) if c.name.lower() == after.lower()), None)
            if i is None:
                raise _err(f"Unknown column '{after}' in '{self.t.name}'", 1054, "42S22")
            cols.insert(i + 1, col)
        self._reindex()

    def _add_index(self, ix: IndexInfo) -> None:
        names = {i.name.lower() for i in self.t.indexes}
        if not ix.name:
            base = cand = ix.columns[0]
            n = 2
            while cand.lower() in names:
                cand, n = f"{base}_{n}", n + 1
            ix.name = cand
        if ix.name.lower() in names:
            raise _err(f"Duplicate key name '{ix.name}'", 1061)
        ix.id = self.t.next_index_id
        self.t.next_index_id += 1
        self.t.indexes.append(ix)

    def _set_primary(self, cols: list[str], lengths: list) -> None:
        if self.t.pk_columns or self.t.primary is not None:
            raise _err("Multiple primary key defined", 1068)
        by_name = {c.name.lower(): c for c in self.t.columns}
        for c in cols:
            if c.lower() not in by_name:
                raise _err(f"Key column '{c}' doesn't exist in table", 1072)
        names = [by_name[c.lower()].name for c in cols]
        for c in names:
            by_name[c.lower()].nullable = False
        self.t.pk_columns = names
        ix = IndexInfo(0, "PRIMARY", names, unique=True, primary=True, lengths=lengths)
        ix.id = self.t.next_index_id
        self.t.next_index_id += 1
        self.t.indexes.insert(0, ix)

    def _rename_in_keys(self, old: str, new: str) -> None:
        low = old.lower()
        for ix in self.t.indexes:
            ix.columns = [new if c.lower() == low else c for c in ix.columns]
        self.t.pk_columns = [new if c.lower() == low else c for c in self.t.pk_columns]

    # -- actions ------------------------------------------------------------------------------

    def add_column(self, coldef: exp.ColumnDef) -> None:
        col, uniques, pk = self._parse_column(coldef)
        if self.t.column(col.name) is not None:
            raise _err(f"Duplicate column name '{col.name}'", 1060)
        if len(self.t.columns) >= limits.MAX_COLUMNS:
            raise _err("Too many columns", 1117, "HY000")
        if col.auto_increment:
            raise _not_yet("ADD COLUMN ... AUTO_INCREMENT")
        col.id = self.t.next_column_id
        self.t.next_column_id += 1
        self._place(col, coldef.args.get("position"))
        for ix in uniques:
            ix.columns = [col.name]
            self._add_index(ix)
        if pk:
            self._set_primary([col.name], [])
        self._sub("add column", col.name)

    def drop_column(self, name: str, if_exists: bool = False) -> None:
        col = self.t.column(name)
        if col is None:
            if if_exists:
                self.runner.s.warn(1091, f"Can't DROP '{name}'; check that column/key exists",
                                   "Note")
                return
            self._column(name, 1091)
        if len(self.t.columns) == 1:
            raise _err("You can't delete all columns with ALTER TABLE; use DROP TABLE "
                       "instead", 1090)
        low = col.name.lower()
        self.t.columns = [c for c in self.t.columns if c is not col]
        kept = []
        for ix in self.t.indexes:  # MySQL 8: the column leaves its keys; an empty key goes
            pos = [i for i, c in enumerate(ix.columns) if c.lower() != low]
            if len(pos) != len(ix.columns):
                if ix.lengths:
                    ix.lengths = [ix.lengths[i] for i in pos]
                ix.columns = [ix.columns[i] for i in pos]
            if ix.columns:
                kept.append(ix)
        self.t.indexes = kept
        self.t.pk_columns = [c for c in self.t.pk_columns if c.lower() != low]
        self._reindex()
        self._sub("drop column", col.name)

    def modify_column(self, node: exp.ModifyColumn) -> None:
        coldef = node.this
        old_name = node.args["rename_from"].name if node.args.get("rename_from") else coldef.name
        old = self._column(old_name)
        col, uniques, pk = self._parse_column(coldef)
        if col.name.lower() != old.name.lower() and self.t.column(col.name) is not None:
            raise _err(f"Duplicate column name '{col.name}'", 1060)
        col.id = old.id
        if any(c.lower() == old.name.lower() for c in self.t.pk_columns):
            col.nullable = False  # a primary key column stays NOT NULL, as in MySQL
        at = self.t.columns.index(old)
        self.t.columns.remove(old)
        self._place(col, coldef.args.get("position"), at)
        if col.name != old.name:
            self._rename_in_keys(old.name, col.name)
        for ix in uniques:
            ix.columns = [col.name]
            self._add_index(ix)
        if pk:
            self._set_primary([col.name], [])
        renamed = node.args.get("rename_from") is not None
        self._sub("modify column", f"{old.name} -> {col.name}" if renamed else col.name)

    def alter_default(self, node: exp.AlterColumn) -> None:
        """ALTER [COLUMN] c SET DEFAULT v | DROP DEFAULT: the dictionary only."""
        from core.sql.types import coerce

        col = self._column(node.this.name)
        if node.args.get("drop"):
            col.default, col.has_default, col.default_now = None, False, False
        else:
            value = node.args["default"]
            if col.type.kind in ("JSON", "TEXT", "BLOB") or col.type.kind.endswith(("TEXT",
                                                                                      "BLOB")):
                raise _err(f"BLOB, TEXT, GEOMETRY or JSON column '{col.name}' can't have a "
                           "default value", 1101)
            try:
                v = self.runner.s.constant(value)
                v = None if v is None else coerce(v, col.type, col.name)
            except Exception as e:
                raise _err(f"Invalid default value for '{col.name}'", 1067) from e
            if v is None and not col.nullable:
                raise _err(f"Invalid default value for '{col.name}'", 1067)
            col.default, col.has_default, col.default_now = v, True, False
        self._sub("set default value", col.name)

    def rename_column(self, node: exp.RenameColumn) -> None:
        old, new = node.this.name, node.args["to"].name
        col = self._column(old)
        limits.check_identifier(new)
        if new.lower() != old.lower() and self.t.column(new) is not None:
            raise _err(f"Duplicate column name '{new}'", 1060)
        self._rename_in_keys(col.name, new)
        col.name = new
        self._reindex()
        self._sub("rename column", f"{old} -> {new}")

    def rename_index(self, node: exp.RenameIndex) -> None:
        old, new = node.this.name, node.args["to"].name
        ix = self.t.index(old)
        if ix is None:
            raise _err(f"Key '{old}' doesn't exist in table '{self.t.name}'", 1176, "42000")
        if ix.primary or new.upper() == "PRIMARY":
            raise _err(f"Incorrect index name '{new if not ix.primary else old}'", 1280)
        limits.check_identifier(new)
        if new.lower() != old.lower() and self.t.index(new) is not None:
            raise _err(f"Duplicate key name '{new}'", 1061)
        ix.name = new
        self._sub("rename index", f"{old} -> {new}")

    def rename_table(self, node: exp.AlterRename, schema) -> None:
        dst = node.this
        db = (dst.db or self.t.schema)
        if schema.database(db) is None:
            raise _err(f"Unknown database '{db}'", 1049)
        limits.check_identifier(dst.name)
        same = db.lower() == self.source.schema.lower() and \
            dst.name.lower() == self.source.name.lower()
        if not same and (schema.table(db, dst.name) or schema.view(db, dst.name)):
            raise _err(f"Table '{dst.name}' already exists", 1050, "42S01")
        self.t.schema, self.t.name = schema.database(db).name, dst.name
        self._sub("rename table", f"{self.source.name} -> {dst.name}")

    def add_constraint(self, act: exp.AddConstraint) -> None:
        refusals.check_alter_action(act, self.runner.s.warn)
        for c in act.expressions:
            if isinstance(c, exp.PrimaryKey):
                cols, lengths = keyparts.key_parts(c.expressions)
                self._set_primary(cols, lengths)
                self._sub("add primary key", ", ".join(cols))
            elif isinstance(c, exp.IndexColumnConstraint):
                cols, lengths = keyparts.key_parts(c.expressions)
                ix = IndexInfo(0, c.this.name if c.this else "", cols, lengths=lengths)
                self._add_index(ix)
                self._sub("add index", ix.name)
            elif isinstance(c, exp.UniqueColumnConstraint):
                target = c.this
                cols, lengths = keyparts.key_parts(target.expressions if target else [])
                ix = IndexInfo(0, target.this.name if target is not None and target.this
                               else "", cols, unique=True, lengths=lengths)
                self._add_index(ix)
                self._sub("add index", ix.name)
            else:
                raise _not_yet(f"ALTER TABLE ADD {c.sql(dialect='mysql')[:40]}")

    def drop_index(self, name: str, if_exists: bool = False) -> None:
        ix = self.t.index(name)
        if ix is None:
            if if_exists:
                self.runner.s.warn(1091, f"Can't DROP '{name}'; check that column/key exists",
                                   "Note")
                return
            raise _err(f"Can't DROP '{name}'; check that column/key exists", 1091)
        if ix.primary:
            self.drop_primary()
            return
        self.t.indexes = [i for i in self.t.indexes if i is not ix]
        self._sub("drop index", ix.name)

    def drop_primary(self) -> None:
        ix = self.t.primary
        if ix is None:
            raise _err("Can't DROP 'PRIMARY'; check that column/key exists", 1091)
        self.t.indexes = [i for i in self.t.indexes if i is not ix]
        self.t.pk_columns = []
        self._sub("drop primary key", "PRIMARY")

    # -- the result ---------------------------------------------------------------------------

    def finish(self) -> None:
        """Work out the handle and check every key and the auto-increment column, as
        CREATE TABLE does."""
        check_key = self.check_key
        t = self.t
        by_name = {c.name.lower(): c for c in t.columns}
        for ix in t.indexes:
            ix.lengths = check_key("" if ix.primary else ix.name, ix.columns, by_name,
                                   ix.lengths, ix.unique, None)
        pk = t.primary
        if pk is None:
            t.handle = HANDLE_ROWID
        elif len(pk.columns) == 1 and by_name[pk.columns[0].lower()].type.kind in INT_KINDS:
            t.handle = HANDLE_INT
        elif not pk.lengths:
            t.handle = HANDLE_CLUSTERED
        else:
            t.handle = HANDLE_ROWID
        t.pk_columns = list(pk.columns) if pk is not None else []
        autos = [c for c in t.columns if c.auto_increment]
        if len(autos) > 1 or (autos and not any(
                ix.columns[0].lower() == autos[0].name.lower() for ix in t.indexes)):
            raise _err("Incorrect table definition; there can be only one auto column and "
                       "it must be defined as a key", 1075)
        if autos and autos[0].type.kind not in INT_KINDS:
            raise _err(f"Incorrect column specifier for column '{autos[0].name}'", 1063)
        self._reindex()

    def row_map(self) -> list[list]:
        """Per new column: [position of its old column or -1, whether values convert]."""
        old_pos = {c.id: i for i, c in enumerate(self.source.columns)}
        out = []
        for c in self.t.columns:
            i = old_pos.get(c.id, -1)
            conv = i >= 0 and self.source.columns[i].type.sql() != c.type.sql()
            out.append([i, conv])
        return out

    def needs_copy(self) -> bool:
        """Whether rows or entries change (else the dictionary alone does)."""
        if self.force:
            return True
        s, t = self.source, self.t
        if [c.id for c in s.columns] != [c.id for c in t.columns] or s.handle != t.handle:
            return True
        for a, b in zip(s.columns, t.columns, strict=True):
            if a.type.sql() != b.type.sql() or (a.nullable and not b.nullable):
                return True
        if t.auto_increment_column is not None and (s.auto_increment_column is None or
                                                    s.auto_increment_column.id !=
                                                    t.auto_increment_column.id):
            return True

        def shape(ix: IndexInfo, table: TableInfo) -> tuple:
            ids = [table.column(c).id for c in ix.columns]
            return ix.id, tuple(ids), ix.unique, ix.primary, tuple(ix.lengths or ())

        return sorted(shape(i, s) for i in s.indexes) != sorted(shape(i, t) for i in t.indexes)


def _column_of(act) -> tuple[str, str] | None:
    """(what, column name) of an action on one column, else None."""
    if isinstance(act, exp.ColumnDef):
        return "ADD", act.name
    if isinstance(act, exp.ModifyColumn):
        this = act.this
        return "MODIFY", getattr(this, "name", "") or ""
    if isinstance(act, exp.RenameColumn):
        return "RENAME", act.this.name
    if isinstance(act, exp.AlterColumn):
        return "ALTER", act.this.name
    if isinstance(act, exp.Drop) and (act.args.get("kind") or "").upper() == "COLUMN":
        tables = act.args.get("tables") or []
        return ("DROP", tables[0].name) if len(tables) == 1 else None
    return None


def _added_key_name(act) -> str:
    """The name an ADD INDEX / ADD UNIQUE action gives its index ("" when unnamed)."""
    if not isinstance(act, exp.AddConstraint) or not act.expressions:
        return ""
    c = act.expressions[0]
    if isinstance(c, exp.IndexColumnConstraint):
        return c.this.name if c.this else ""
    if isinstance(c, exp.UniqueColumnConstraint) and c.this is not None:
        return c.this.this.name if c.this.this else ""
    return ""


def _no_column_twice(table: TableInfo, actions: list) -> None:
    """MySQL refuses one ALTER that changes a column twice (TiDB: "operate same column"):
    `ADD COLUMN y ..., DROP COLUMN y` is 1091 (DROP names the table as it was), `MODIFY b
    ..., DROP COLUMN b` and the like are 1054, checked before anything is planned."""
    seen: dict[str, str] = {}
    added_keys: set[str] = set()
    for act in actions:
        key_name = _added_key_name(act)
        if key_name:
            added_keys.add(key_name.lower())
        if isinstance(act, exp.Drop) and (act.args.get("kind") or "").upper() in ("INDEX",
                                                                                "KEY"):
            for t in act.args.get("tables") or []:
                if t.name.lower() in added_keys:  # DROP names the table as it was
                    raise _err(f"Can't DROP '{t.name}'; check that column/key exists", 1091)
        one = _column_of(act)
        if one is None or not one[1]:
            continue
        what, name = one
        key = name.lower()
        if key in seen:
            if what == "DROP" and seen[key] == "ADD":
                raise _err(f"Can't DROP '{name}'; check that column/key exists", 1091)
            raise _err(f"Unknown column '{name}' in '{table.name}'", 1054, "42S22")
        seen[key] = what


def plan(runner: DDLRunner, table: TableInfo, node: exp.Alter, txn, schema, job, *,
         queued: object, check_key: CheckKey):
    """Carry out or queue one ALTER TABLE (see the module docstring); `queued` is what the
    caller answers for a queued job."""
    p = Plan(runner, table, check_key)
    _no_column_twice(table, node.args.get("actions") or [])
    for act in node.args.get("actions") or []:
        if isinstance(act, exp.ColumnDef):
            p.add_column(act)
        elif isinstance(act, exp.ModifyColumn):
            p.modify_column(act)
        elif isinstance(act, exp.RenameColumn):
            p.rename_column(act)
        elif isinstance(act, exp.AlterColumn) and set(
                k for k, v in act.args.items() if v) <= {"this", "default", "drop"}:
            p.alter_default(act)
        elif isinstance(act, exp.RenameIndex):
            p.rename_index(act)
        elif isinstance(act, exp.AlterRename):
            p.rename_table(act, schema)
        elif isinstance(act, exp.AddConstraint):
            p.add_constraint(act)
        elif isinstance(act, exp.DropPrimaryKey):
            p.drop_primary()
        elif isinstance(act, exp.ForceProperty):
            p.force = True
            p._sub("rebuild table", "FORCE")
        elif isinstance(act, exp.Drop):
            kind = (act.args.get("kind") or "").upper()
            exists = bool(act.args.get("exists"))
            names = [t.name for t in act.args.get("tables") or []]
            if kind == "COLUMN":
                for n in names:
                    p.drop_column(n, exists)
            elif kind in ("INDEX", "KEY"):
                for n in names:
                    p.drop_index(n, exists)
            else:
                raise _not_yet(f"ALTER TABLE DROP {kind or act.sql(dialect='mysql')[:40]}")
        else:
            raise _not_yet(f"ALTER TABLE {act.sql(dialect='mysql')[:60]}")
    algorithm = "DEFAULT"
    for opt in node.args.get("options") or []:
        if isinstance(opt, exp.EngineProperty):
            p.force = True
            p._sub("rebuild table", f"ENGINE={opt.this.name}")
        elif isinstance(opt, exp.AlgorithmProperty) and \
                opt.this.name.upper() in ("DEFAULT", "INPLACE", "COPY", "INSTANT"):
            algorithm = opt.this.name.upper()  # every change here is online: all but
        elif isinstance(opt, exp.LockProperty) and \
                opt.this.name.upper() in ("DEFAULT", "NONE"):  # INSTANT hold
            pass
        else:
            raise _not_yet(f"ALTER TABLE {opt.sql(dialect='mysql')[:40]} together with other "
                           "changes")
    p.finish()
    job.db_name, job.table_name, job.table_id = table.schema, table.name, table.id
    job.schema_id = getattr(schema.database(table.schema), "id", 0)
    types = [sj["type"] for sj in p.subjobs]
    job.job_type = types[0] if len(types) == 1 else "multi-schema change"
    if len(types) > 1:
        job.args["subjobs"] = p.subjobs
    if not p.subjobs:  # e.g. DROP COLUMN IF EXISTS of a missing column: nothing to do
        return None
    if algorithm == "INSTANT" and p.needs_copy():
        raise _err("ALGORITHM=INSTANT is not supported for this operation. Try "
                   "ALGORITHM=COPY/INPLACE.", 1845, "0A000")
    if not p.needs_copy():
        t = p.t
        t.id = table.id
        runner.store.put_table(txn, t)
        job.table_name = t.name
        return None
    runner._require_space(table)
    require_rule(table, p.t)
    rebuild_job(runner, table, p.t, p.row_map(), job)
    return queued


def rebuild_job(runner: DDLRunner, table: TableInfo, target: TableInfo,
                spec: list[list], job) -> None:
    """Fill `job` as a table rebuild into `target` (its id is given when the job starts)."""
    target = TableInfo.from_dict(target.to_dict())
    target.id = 0
    if job.job_type not in REBUILD_TYPES:
        job.job_type = "rebuild table"
    job.db_name, job.table_name, job.table_id = table.schema, table.name, table.id
    job.schema_state = SchemaState.NONE
    job.args.update({
        "new_table": target.to_dict(),
        "map": spec,
        "strict": sqlmode.strict(runner.s.ctx),
        "now": time.time(),
        # after the switch, can the old table follow the new one's writes (case D)?
        "revertible": revertible(table, target, spec),
    })


def force_job(runner: DDLRunner, table: TableInfo, job) -> None:
    """ALTER TABLE t FORCE / ENGINE=...: the same table, every row and entry written anew."""
    runner._require_space(table)
    job.job_type = "rebuild table"
    with runner.s.db.engine.snapshot() as snap:
        db = runner.store.schema(snap).database(table.schema)
    job.schema_id = db.id if db is not None else 0
    spec = [[i, False] for i in range(len(table.columns))]
    target = TableInfo.from_dict(table.to_dict())
    target.shadow = {}
    rebuild_job(runner, table, target, spec, job)
