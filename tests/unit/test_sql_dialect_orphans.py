"""ADMIN SHOW ORPHAN FILES / REMOVE ORPHAN FILE / ADOPT ORPHAN FILE parse and print back."""

from __future__ import annotations

import pytest

from core.errors import ProgrammingError
from core.sql.dialect import (
    AdminAdoptOrphanFile,
    AdminRemoveOrphanFile,
    AdminShowOrphanFiles,
    Kintsugi,
    parse_one,
)


def _roundtrip(node) -> None:
    assert parse_one(node.sql(dialect=Kintsugi)) == node


def test_show_orphan_files():
    node = parse_one("admin show orphan files")
    assert isinstance(node, AdminShowOrphanFiles)
    assert node.sql(dialect=Kintsugi) == "ADMIN SHOW ORPHAN FILES"


def test_remove_orphan_file():
    node = parse_one("ADMIN REMOVE ORPHAN FILE 'test/t.2.kdb'")
    assert isinstance(node, AdminRemoveOrphanFile)
    assert node.this.this == "test/t.2.kdb" and node.this.is_string
    _roundtrip(node)


@pytest.mark.parametrize(("sql", "to"), [
    ("ADMIN ADOPT ORPHAN FILE 'test/t.kdb'", None),
    ("ADMIN ADOPT ORPHAN FILE 'test/t.kdb' AS t2", "t2"),
    ("admin adopt orphan file \"a b/x.kdb\" as db1.t2", "db1.t2"),
])
def test_adopt_orphan_file(sql, to):
    node = parse_one(sql)
    assert isinstance(node, AdminAdoptOrphanFile)
    target = node.args.get("to")
    assert (None if target is None else ".".join(p for p in (target.db, target.name) if p)) \
        == to
    _roundtrip(node)


@pytest.mark.parametrize("sql", ["ADMIN REMOVE ORPHAN FILE test/t.kdb",
                                 "ADMIN REMOVE ORPHAN FILE", "ADMIN ADOPT ORPHAN FILE 'x' AS",
                                 "ADMIN SHOW ORPHAN"])
def test_malformed(sql):
    with pytest.raises(ProgrammingError) as exc:
        parse_one(sql)
    assert exc.value.errno == 1064
