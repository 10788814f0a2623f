"""ALTER TABLE with actions of several kinds parses into one `exp.Alter` whose actions keep
their order (a multi-schema change), and a list of one kind still ends at the next kind."""

from __future__ import annotations

import pytest
from sqlglot import exp

from core.errors import ProgrammingError
from core.sql import dialect


def _actions(sql: str) -> list[str]:
    node = dialect.parse_one(sql)
    assert isinstance(node, exp.Alter)
    return [type(a).__name__ for a in node.args["actions"]]


def test_mixed_actions_keep_their_order():
    assert _actions("ALTER TABLE t DROP COLUMN c, ADD COLUMN d INT, ADD INDEX i (d), "
                    "DROP INDEX j, MODIFY e BIGINT, RENAME COLUMN f TO g, "
                    "ADD PRIMARY KEY (a), DROP PRIMARY KEY, CHANGE h hh INT") == [
        "Drop", "ColumnDef", "AddConstraint", "Drop", "ModifyColumn", "RenameColumn",
        "AddConstraint", "DropPrimaryKey", "ModifyColumn"]


def test_lists_of_one_kind_and_parenthesised_columns():
    assert _actions("ALTER TABLE t ADD COLUMN c INT, ADD d INT") == ["ColumnDef", "ColumnDef"]
    assert _actions("ALTER TABLE t ADD INDEX i (a, b), ADD UNIQUE (c, d)") == [
        "AddConstraint", "AddConstraint"]
    assert _actions("ALTER TABLE t ADD (c INT, d INT DEFAULT 4), DROP b") == [
        "ColumnDef", "ColumnDef", "Drop"]
    assert _actions("ALTER TABLE t DROP c, DROP d") == ["Drop", "Drop"]


@pytest.mark.parametrize("sql", ["ALTER TABLE t DROP COLUMN c, d",
                                 "ALTER TABLE t ADD (c INT",
                                 "ALTER TABLE t ADD COLUMN c INT,"])
def test_broken_lists_are_syntax_errors(sql):
    with pytest.raises(ProgrammingError) as info:
        dialect.parse_one(sql)
    assert info.value.errno == 1064
