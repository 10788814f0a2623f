"""The Kintsugi SQL dialect: typed nodes for TiDB/MySQL admin statements, MySQL forms sqlglot
already handles, placeholders, and MySQL-style 1064 syntax errors."""

from __future__ import annotations

import pytest
from sqlglot import exp

from core.errors import ProgrammingError
from core.sql.dialect import (
    AdminCancelDDLJobs,
    AdminCheckIndex,
    AdminChecksumTable,
    AdminCheckTable,
    AdminCleanupIndex,
    AdminCleanupTableLock,
    AdminPauseDDLJobs,
    AdminRecoverIndex,
    AdminRepairIndex,
    AdminResumeDDLJobs,
    AdminShowDDL,
    AdminShowDDLJobQueries,
    AdminShowDDLJobs,
    AdminShowIndexInconsistencies,
    AdminStatement,
    CheckTable,
    FlashbackDatabase,
    FlashbackTable,
    Kintsugi,
    RecoverTable,
    ReleaseSavepoint,
    RenamePair,
    RenameTable,
    ReplaceInto,
    Savepoint,
    is_table_describe,
    parse,
    parse_one,
    placeholders,
    to_placeholders,
)


def one(sql: str, cls: type[exp.Expr]) -> exp.Expr:
    node = parse_one(sql)
    assert type(node) is cls, f"{sql!r} parsed to {type(node).__name__}, not {cls.__name__}"
    return node


def table_names(nodes: list[exp.Expr]) -> list[str]:
    """'db.t' / 't' for each exp.Table."""
    assert all(isinstance(n, exp.Table) for n in nodes)
    return [f"{n.db}.{n.name}" if n.db else n.name for n in nodes]


def ints(nodes: list[exp.Expr]) -> list[int]:
    assert all(isinstance(n, exp.Literal) and not n.is_string for n in nodes)
    return [int(n.this) for n in nodes]


def roundtrip(node: exp.Expr) -> None:
    """The generator prints SQL that parses back into an equal tree."""
    text = node.sql(dialect=Kintsugi)
    assert parse_one(text) == node, text


# --- ADMIN ----------------------------------------------------------------------------------


def test_admin_check_table_lists_schema_qualified_tables():
    node = one("ADMIN CHECK TABLE t1, db.t2", AdminCheckTable)
    assert isinstance(node, AdminStatement)
    assert table_names(node.expressions) == ["t1", "db.t2"]
    assert node.expressions[1].db == "db"
    roundtrip(node)


def test_admin_check_index_without_ranges():
    node = one("ADMIN CHECK INDEX db.t idx_a", AdminCheckIndex)
    assert table_names([node.this]) == ["db.t"]
    assert isinstance(node.args["index"], exp.Identifier)
    assert node.args["index"].name == "idx_a"
    assert node.args.get("ranges") is None
    roundtrip(node)


def test_admin_check_index_with_handle_ranges():
    node = one("ADMIN CHECK INDEX t idx (1, 10), (-5, 20)", AdminCheckIndex)
    ranges = node.args["ranges"]
    assert all(isinstance(r, exp.Tuple) for r in ranges)
    assert [ints(r.expressions) for r in ranges] == [[1, 10], [-5, 20]]
    roundtrip(node)


def test_admin_check_index_accepts_primary_as_index_name():
    node = one("ADMIN CHECK INDEX t PRIMARY", AdminCheckIndex)
    assert node.args["index"].name.upper() == "PRIMARY"


@pytest.mark.parametrize(
    ("sql", "cls"),
    [
        ("ADMIN RECOVER INDEX db.t i1", AdminRecoverIndex),
        ("ADMIN CLEANUP INDEX db.t i1", AdminCleanupIndex),
    ],
)
def test_admin_recover_and_cleanup_index(sql, cls):
    node = one(sql, cls)
    assert table_names([node.this]) == ["db.t"]
    assert node.args["index"].name == "i1"
    roundtrip(node)


def test_admin_repair_index_and_show_index_inconsistencies():
    node = parse_one("ADMIN REPAIR INDEX db.t idx")
    assert isinstance(node, AdminRepairIndex) and isinstance(node, AdminStatement)
    assert (node.this.db, node.this.name, node.args["index"].name) == ("db", "t", "idx")
    whole = parse_one("admin show index inconsistencies t;")
    assert isinstance(whole, AdminShowIndexInconsistencies) and whole.args["index"] is None
    one = parse_one("ADMIN SHOW INDEX INCONSISTENCIES t `my idx`")
    assert one.args["index"].name == "my idx"
    assert one.sql(dialect=Kintsugi) == "ADMIN SHOW INDEX INCONSISTENCIES t `my idx`"
    for bad in ("ADMIN SHOW INDEX INCONSISTENCIES", "ADMIN REPAIR INDEX t",
                "ADMIN SHOW INDEX INCONSISTENCIES t i j"):
        with pytest.raises(ProgrammingError) as info:
            parse_one(bad)
        assert info.value.errno == 1064


@pytest.mark.parametrize("sql, near", [
    ("INSERT INTO t VALUES (1),", ""),
    ("INSERT INTO t VALUES (1),,(2)", ",(2)"),
    ("INSERT INTO t VALUES (1,,2)", ",2)"),
    ("SELECT a,, b FROM t", ", b FROM t"),
])
def test_an_empty_item_in_a_comma_list_is_a_syntax_error(sql, near):
    """sqlglot drops empty items; MySQL rejects them (a lost row must never be silent)."""
    with pytest.raises(ProgrammingError) as info:
        parse_one(sql)
    assert info.value.errno == 1064 and f"near '{near}'" in info.value.msg


def test_admin_cleanup_table_lock():
    node = one("ADMIN CLEANUP TABLE LOCK t1, t2", AdminCleanupTableLock)
    assert table_names(node.expressions) == ["t1", "t2"]
    roundtrip(node)


def test_admin_checksum_table():
    node = one("ADMIN CHECKSUM TABLE t, db.t2", AdminChecksumTable)
    assert table_names(node.expressions) == ["t", "db.t2"]
    roundtrip(node)


def test_admin_show_ddl():
    node = one("ADMIN SHOW DDL", AdminShowDDL)
    assert node.sql(dialect=Kintsugi) == "ADMIN SHOW DDL"


def test_admin_show_ddl_jobs_plain():
    node = one("ADMIN SHOW DDL JOBS", AdminShowDDLJobs)
    assert node.args.get("count") is None
    assert node.args.get("where") is None
    roundtrip(node)


def test_admin_show_ddl_jobs_count_and_where():
    node = one("ADMIN SHOW DDL JOBS 5 WHERE state = 'done'", AdminShowDDLJobs)
    assert ints([node.args["count"]]) == [5]
    where = node.args["where"]
    assert isinstance(where, exp.Where)
    assert isinstance(where.this, exp.EQ)
    assert where.this.this.name == "state"
    roundtrip(node)


def test_admin_show_ddl_jobs_where_without_count():
    node = one("ADMIN SHOW DDL JOBS WHERE job_id > 3", AdminShowDDLJobs)
    assert node.args.get("count") is None
    assert isinstance(node.args["where"].this, exp.GT)


def test_admin_show_ddl_job_queries_by_id():
    node = one("ADMIN SHOW DDL JOB QUERIES 7, 9", AdminShowDDLJobQueries)
    assert ints(node.expressions) == [7, 9]
    assert node.args.get("limit") is None
    roundtrip(node)


@pytest.mark.parametrize(
    ("sql", "limit", "offset"),
    [
        ("ADMIN SHOW DDL JOB QUERIES LIMIT 3", 3, None),
        ("ADMIN SHOW DDL JOB QUERIES LIMIT 3 OFFSET 2", 3, 2),
        ("ADMIN SHOW DDL JOB QUERIES LIMIT 2, 3", 3, 2),  # LIMIT offset, count
    ],
)
def test_admin_show_ddl_job_queries_limit_offset(sql, limit, offset):
    node = one(sql, AdminShowDDLJobQueries)
    assert not node.expressions
    assert ints([node.args["limit"]]) == [limit]
    if offset is None:
        assert node.args.get("offset") is None
    else:
        assert ints([node.args["offset"]]) == [offset]
    roundtrip(node)


@pytest.mark.parametrize(
    ("sql", "cls", "ids"),
    [
        ("ADMIN CANCEL DDL JOBS 1, 2", AdminCancelDDLJobs, [1, 2]),
        ("ADMIN PAUSE DDL JOBS 3", AdminPauseDDLJobs, [3]),
        ("admin resume ddl jobs 4, 5, 6", AdminResumeDDLJobs, [4, 5, 6]),
    ],
)
def test_admin_ddl_job_control(sql, cls, ids):
    node = one(sql, cls)
    assert ints(node.expressions) == ids
    roundtrip(node)


# --- RECOVER / FLASHBACK / CHECK / RENAME ---------------------------------------------------


def test_recover_table_by_name():
    node = one("RECOVER TABLE db.t", RecoverTable)
    assert table_names([node.this]) == ["db.t"]
    assert node.args.get("job") is None
    roundtrip(node)


def test_recover_table_by_job():
    node = one("RECOVER TABLE BY JOB 123", RecoverTable)
    assert node.this is None
    assert ints([node.args["job"]]) == [123]
    roundtrip(node)


def test_flashback_table_with_and_without_new_name():
    node = one("FLASHBACK TABLE db.t", FlashbackTable)
    assert table_names([node.this]) == ["db.t"]
    assert node.args.get("to") is None
    renamed = one("FLASHBACK TABLE t TO t2", FlashbackTable)
    assert renamed.args["to"].name == "t2"
    roundtrip(renamed)


def test_flashback_database():
    node = one("FLASHBACK DATABASE d TO d2", FlashbackDatabase)
    assert node.name == "d"
    assert node.args["to"].name == "d2"
    roundtrip(node)


@pytest.mark.parametrize(
    ("sql", "option"),
    [
        ("CHECK TABLE t, db.t2", None),
        ("CHECK TABLE t, db.t2 QUICK", "QUICK"),
        ("CHECK TABLE t, db.t2 extended", "EXTENDED"),
        ("CHECK TABLE t, db.t2 FOR UPGRADE", "FOR UPGRADE"),
        ("CHECK TABLE t, db.t2 FAST MEDIUM", "FAST MEDIUM"),
    ],
)
def test_check_table(sql, option):
    node = one(sql, CheckTable)
    assert table_names(node.expressions) == ["t", "db.t2"]
    assert node.args.get("option") == option
    roundtrip(node)


def test_rename_table_pairs():
    node = one("RENAME TABLE a TO b, db.c TO db2.d", RenameTable)
    pairs = node.expressions
    assert all(isinstance(p, RenamePair) for p in pairs)
    assert [(table_names([p.this])[0], table_names([p.args["to"]])[0]) for p in pairs] == [
        ("a", "b"),
        ("db.c", "db2.d"),
    ]
    roundtrip(node)


def test_rename_user_is_a_command_not_an_error():
    assert isinstance(parse_one("RENAME USER a TO b"), exp.Command)


# --- REPLACE --------------------------------------------------------------------------------


def test_replace_values_is_an_insert_subclass():
    node = one("REPLACE INTO t (a, b) VALUES (1, 2), (3, 4)", ReplaceInto)
    assert isinstance(node, exp.Insert)
    schema = node.this
    assert isinstance(schema, exp.Schema)
    assert schema.this.name == "t"
    assert [c.name for c in schema.expressions] == ["a", "b"]
    values = node.expression
    assert isinstance(values, exp.Values)
    assert len(values.expressions) == 2
    roundtrip(node)


def test_replace_select_and_without_into():
    node = one("REPLACE INTO db.t SELECT * FROM u", ReplaceInto)
    assert table_names([node.this]) == ["db.t"]
    assert isinstance(node.expression, exp.Select)
    bare = one("REPLACE t VALUES (1)", ReplaceInto)
    assert bare.this.name == "t"
    assert bare.sql(dialect=Kintsugi) == "REPLACE INTO t VALUES (1)"


def test_plain_insert_is_not_a_replace():
    node = parse_one("INSERT INTO t VALUES (1)")
    assert type(node) is exp.Insert


def test_replace_with_on_duplicate_key_update_is_a_syntax_error():
    with pytest.raises(ProgrammingError) as info:
        parse("REPLACE INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1")
    assert "near 'ON DUPLICATE KEY UPDATE a = 1'" in info.value.msg


# --- SHOW / DESCRIBE / EXPLAIN --------------------------------------------------------------


def test_show_databases():
    node = one("SHOW DATABASES", exp.Show)
    assert node.name == "DATABASES"


def test_show_tables_from_db_like():
    node = one("SHOW TABLES FROM db LIKE 'x%'", exp.Show)
    assert node.name == "TABLES"
    assert node.args["db"].name == "db"
    assert node.args["like"].this == "x%"
    assert not node.args.get("full")


def test_show_full_tables():
    node = one("SHOW FULL TABLES", exp.Show)
    assert node.name == "TABLES"
    assert node.args["full"] is True


@pytest.mark.parametrize("sql", ["SHOW CREATE TABLE db.t", "SHOW CREATE TABLE t"])
def test_show_create_table(sql):
    node = one(sql, exp.Show)
    assert node.name == "CREATE TABLE"
    assert node.args["target"].name == "t"
    db = node.args.get("db")
    assert (db.name if db else None) == ("db" if "db." in sql else None)


@pytest.mark.parametrize(
    "sql",
    [
        "SHOW INDEX FROM t FROM db",
        "SHOW INDEXES FROM t FROM db",
        "SHOW KEYS FROM t IN db",
        "SHOW INDEX IN t FROM db",
        "SHOW INDEX FROM db.t",
    ],
)
def test_show_index_variants_normalise_to_index(sql):
    node = one(sql, exp.Show)
    assert node.name == "INDEX"
    assert node.args["target"].name == "t"
    assert node.args["db"].name == "db"


@pytest.mark.parametrize(
    ("sql", "full"),
    [
        ("SHOW COLUMNS FROM t FROM db LIKE 'a%'", None),
        ("SHOW FULL COLUMNS FROM t FROM db LIKE 'a%'", True),
        ("SHOW FIELDS FROM t FROM db LIKE 'a%'", None),
        ("SHOW FULL FIELDS FROM t IN db LIKE 'a%'", True),
    ],
)
def test_show_columns(sql, full):
    node = one(sql, exp.Show)
    assert node.name == "COLUMNS"
    assert node.args["target"].name == "t"
    assert node.args["db"].name == "db"
    assert node.args["like"].this == "a%"
    assert node.args.get("full") == full


@pytest.mark.parametrize("sql", ["DESCRIBE t", "DESC db.t", "EXPLAIN t"])
def test_describe_table(sql):
    node = one(sql, exp.Describe)
    assert is_table_describe(node)
    assert node.this.name == "t"


@pytest.mark.parametrize(
    ("sql", "inner"),
    [
        ("EXPLAIN SELECT * FROM t", exp.Select),
        ("DESCRIBE SELECT 1", exp.Select),
        ("EXPLAIN DELETE FROM t WHERE a = 1", exp.Delete),
        ("EXPLAIN REPLACE INTO t VALUES (1)", ReplaceInto),
    ],
)
def test_explain_statement_is_not_a_table_describe(sql, inner):
    node = one(sql, exp.Describe)
    assert not is_table_describe(node)
    assert type(node.this) is inner


def test_is_table_describe_false_for_other_statements():
    assert not is_table_describe(parse_one("SELECT 1"))


# --- transactions ---------------------------------------------------------------------------


@pytest.mark.parametrize("sql", ["BEGIN", "begin work", "START TRANSACTION"])
def test_begin_forms(sql):
    node = one(sql, exp.Transaction)
    assert not node.args.get("modes")


def test_start_transaction_characteristics():
    node = one("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", exp.Transaction)
    assert node.args["modes"] == ["WITH CONSISTENT SNAPSHOT", "READ ONLY"]
    roundtrip(node)


@pytest.mark.parametrize(
    ("sql", "cls"),
    [("COMMIT", exp.Commit), ("COMMIT WORK", exp.Commit), ("ROLLBACK", exp.Rollback)],
)
def test_commit_rollback(sql, cls):
    one(sql, cls)


def test_savepoints():
    assert one("SAVEPOINT s1", Savepoint).name == "s1"
    assert one("RELEASE SAVEPOINT s1", ReleaseSavepoint).name == "s1"
    assert one("ROLLBACK TO SAVEPOINT s1", exp.Rollback).args["savepoint"].name == "s1"
    roundtrip(parse_one("SAVEPOINT s1"))
    roundtrip(parse_one("RELEASE SAVEPOINT s1"))


# --- ordinary DDL / DML ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "kind", "exists"),
    [
        ("CREATE DATABASE d", "DATABASE", False),
        ("CREATE DATABASE IF NOT EXISTS d", "DATABASE", True),
        ("CREATE SCHEMA IF NOT EXISTS d", "DATABASE", True),  # SCHEMA is normalised
    ],
)
def test_create_database(sql, kind, exists):
    node = one(sql, exp.Create)
    assert node.kind == kind
    assert bool(node.args.get("exists")) is exists
    assert node.this.name == "d"


@pytest.mark.parametrize(
    ("sql", "exists"),
    [
        ("DROP DATABASE d", False),
        ("DROP DATABASE IF EXISTS d", True),
        ("DROP SCHEMA IF EXISTS d", True),
    ],
)
def test_drop_database(sql, exists):
    node = one(sql, exp.Drop)
    assert node.kind == "DATABASE"
    assert bool(node.args.get("exists")) is exists
    assert table_names(node.args["tables"]) == ["d"]  # sqlglot keeps DROP targets in `tables`


def test_create_table_with_column_options_and_inline_indexes():
    node = one(
        "CREATE TABLE db.t (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL "
        "DEFAULT 'x', u INT UNIQUE, INDEX idx_n (name), KEY k2 (u, name)) "
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        exp.Create,
    )
    assert node.kind == "TABLE"
    schema = node.this
    assert table_names([schema.this]) == ["db.t"]
    cols = {c.name: c for c in schema.expressions if isinstance(c, exp.ColumnDef)}
    assert list(cols) == ["id", "name", "u"]

    def kinds(col: exp.ColumnDef) -> set[type]:
        return {type(c.args["kind"]) for c in col.constraints}

    assert {exp.AutoIncrementColumnConstraint, exp.PrimaryKeyColumnConstraint} <= kinds(cols["id"])
    assert {exp.NotNullColumnConstraint, exp.DefaultColumnConstraint} <= kinds(cols["name"])
    assert exp.UniqueColumnConstraint in kinds(cols["u"])
    indexes = [e for e in schema.expressions if isinstance(e, exp.IndexColumnConstraint)]
    assert [i.name for i in indexes] == ["idx_n", "k2"]
    assert [c.name for c in indexes[1].expressions] == ["u", "name"]


def test_create_table_composite_primary_key():
    node = one("CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))", exp.Create)
    pk = [e for e in node.this.expressions if isinstance(e, exp.PrimaryKey)]
    assert len(pk) == 1
    assert [c.name for c in pk[0].expressions] == ["a", "b"]


@pytest.mark.parametrize(
    ("sql", "unique"),
    [("CREATE UNIQUE INDEX i ON db.t (a, b)", True), ("CREATE INDEX i ON db.t (a, b)", False)],
)
def test_create_index(sql, unique):
    node = one(sql, exp.Create)
    assert node.kind == "INDEX"
    assert bool(node.args.get("unique")) is unique
    index = node.this
    assert isinstance(index, exp.Index)
    assert index.name == "i"
    assert table_names([index.args["table"]]) == ["db.t"]
    assert [c.name for c in index.args["params"].args["columns"]] == ["a", "b"]


def test_drop_index_on_table():
    node = one("DROP INDEX i ON db.t", exp.Drop)
    assert node.kind == "INDEX"
    assert table_names(node.args["tables"]) == ["i"]  # the index name, as a Table
    assert table_names([node.args["cluster"].this]) == ["db.t"]  # ON db.t


def test_alter_table_add_and_drop_index():
    add = one("ALTER TABLE t ADD INDEX i (a)", exp.Alter)
    assert add.this.name == "t"
    (action,) = add.args["actions"]
    assert isinstance(action, exp.AddConstraint)
    (index,) = action.expressions
    assert isinstance(index, exp.IndexColumnConstraint)
    assert index.name == "i"
    assert [c.name for c in index.expressions] == ["a"]
    drop = one("ALTER TABLE t DROP INDEX i", exp.Alter)
    (action,) = drop.args["actions"]
    assert isinstance(action, exp.Drop)
    assert action.kind == "INDEX"
    assert table_names(action.args["tables"]) == ["i"]


def test_drop_table_if_exists_many():
    node = one("DROP TABLE IF EXISTS a, db.b", exp.Drop)
    assert node.kind == "TABLE"
    assert node.args["exists"] is True
    assert table_names(node.args["tables"]) == ["a", "db.b"]


@pytest.mark.parametrize("sql", ["TRUNCATE TABLE db.t", "TRUNCATE db.t"])
def test_truncate(sql):
    node = one(sql, exp.TruncateTable)
    assert table_names(node.expressions) == ["db.t"]


def test_use():
    assert one("USE db", exp.Use).this.name == "db"
    assert one("USE `my db`", exp.Use).this.name == "my db"


def test_insert_on_duplicate_key_update_with_values_function():
    node = one(
        "INSERT INTO t (a, b) VALUES (1, 2) ON DUPLICATE KEY UPDATE b = VALUES(b)", exp.Insert
    )
    conflict = node.args["conflict"]
    assert isinstance(conflict, exp.OnConflict)
    assert conflict.args.get("duplicate")
    (assignment,) = conflict.expressions
    assert assignment.this.name == "b"
    values_call = assignment.expression
    assert isinstance(values_call, exp.Anonymous)
    assert values_call.name.upper() == "VALUES"
    assert values_call.expressions[0].name == "b"


def test_insert_select_and_insert_set():
    node = one("INSERT INTO t SELECT * FROM u", exp.Insert)
    assert isinstance(node.expression, exp.Select)
    node = one("INSERT INTO t SET a = 1, b = 2", exp.Insert)
    assert [c.name for c in node.this.expressions] == ["a", "b"]


def test_update_with_order_by_limit():
    node = one("UPDATE t SET a = 1 WHERE b = 2 ORDER BY c LIMIT 3", exp.Update)
    assert node.this.name == "t"
    assert node.expressions[0].this.name == "a"
    assert node.args["order"].expressions[0].this.name == "c"
    assert node.args["limit"].expression.this == "3"


def test_delete_with_order_by_limit():
    node = one("DELETE FROM t WHERE a = 1 ORDER BY b LIMIT 2", exp.Delete)
    assert node.this.name == "t"
    assert isinstance(node.args["where"], exp.Where)
    assert node.args["order"].expressions[0].this.name == "b"
    assert node.args["limit"].expression.this == "2"


def test_select_join_subquery_union():
    node = one(
        "SELECT a FROM t JOIN u ON t.id = u.id WHERE a IN (SELECT b FROM v) UNION SELECT 1",
        exp.Union,
    )
    left = node.this
    assert isinstance(left, exp.Select)
    assert left.args["joins"][0].this.name == "u"
    assert isinstance(left.args["where"].this.args["query"].this, exp.Select)


def test_unknown_but_valid_mysql_statements_are_commands():
    for sql in ("FLUSH TABLES", "LOCK TABLES t READ", "SHOW FOO", "DO 1"):
        assert isinstance(parse_one(sql), exp.Command), sql


def test_set_user_variable_still_parses():
    assert isinstance(parse_one("SET @a = 1"), exp.Set)


def test_deeply_nested_parentheses_parse():
    node = parse_one("SELECT " + "(" * 150 + "1" + ")" * 150)
    assert isinstance(node, exp.Select)


# --- statement splitting --------------------------------------------------------------------


def test_parse_splits_statements_and_skips_empty_ones():
    nodes = parse(";; SELECT 'a;b' ; -- c;\n INSERT INTO `x;y` VALUES (1);;  ; ")
    assert [type(n) for n in nodes] == [exp.Select, exp.Insert]
    assert nodes[0].expressions[0].this == "a;b"
    assert nodes[1].this.name == "x;y"


def test_parse_empty_input():
    assert parse("") == []
    assert parse(" ; -- only a comment") == []
    with pytest.raises(ProgrammingError) as info:
        parse_one("  ")
    assert info.value.errno == 1065


def test_parse_one_rejects_a_second_statement():
    assert isinstance(parse_one("SELECT 1;"), exp.Select)
    with pytest.raises(ProgrammingError) as info:
        parse_one("SELECT 1; SELECT 2")
    assert info.value.errno == 1064
    assert "near 'SELECT 2'" in info.value.msg


# --- placeholders ---------------------------------------------------------------------------


def test_question_marks_parse_as_placeholders_in_order():
    node = parse_one("SELECT * FROM t WHERE a = ? AND b IN (?, ?)")
    found = placeholders(node)
    assert len(found) == 3
    assert all(isinstance(p, exp.Placeholder) for p in found)
    assert [p.meta["param_index"] for p in found] == [0, 1, 2]
    assert found[0].parent.this.name == "a"
    assert found[1].parent.this.name == "b"


def test_placeholder_order_is_textual_not_tree_order():
    node = parse_one("SELECT f(?) = ? FROM t WHERE a = (SELECT ?) LIMIT ?")
    assert [p.meta["param_index"] for p in placeholders(node)] == [0, 1, 2, 3]
    assert isinstance(placeholders(node)[0].parent, exp.Anonymous)
    # find_all is breadth-first: it would bind the parameters in the wrong order
    assert [p.meta["param_index"] for p in node.find_all(exp.Placeholder)] != [0, 1, 2, 3]


def test_param_index_runs_across_statements():
    first, second = parse("INSERT INTO t VALUES (?, ?); UPDATE t SET a = ? WHERE b = ?")
    assert [p.meta["param_index"] for p in placeholders(first)] == [0, 1]
    assert [p.meta["param_index"] for p in placeholders(second)] == [2, 3]


def test_to_placeholders_rewrites_only_outside_literals_and_comments():
    sql, count = to_placeholders(
        "SELECT * FROM t WHERE a = %s AND b IN (%s, %s) AND c LIKE 'x%%' AND d = '%s' "
        'AND e = "%s" AND `%s` = 1 AND f = 7 % 2 /* %s */ -- %s\n AND g = %s # %s'
    )
    assert count == 4
    assert sql == (
        "SELECT * FROM t WHERE a = ? AND b IN (?, ?) AND c LIKE 'x%' AND d = '%s' "
        'AND e = "%s" AND `%s` = 1 AND f = 7 % 2 /* %s */ -- %s\n AND g = ? # %s'
    )


def test_to_placeholders_handles_escaped_quotes():
    sql, count = to_placeholders(r"SELECT 'it''s %s', 'a\'%s', `x``%s` FROM t WHERE a = %s")
    assert count == 1
    assert sql.endswith("a = ?")
    assert "'it''s %s'" in sql


def test_to_placeholders_output_parses_with_matching_count():
    sql, count = to_placeholders("INSERT INTO t (a, b) VALUES (%s, %s)")
    node = parse_one(sql)
    assert len(placeholders(node)) == count == 2


def test_percent_percent_s_is_a_literal_percent_s():
    assert to_placeholders("SELECT a %%s") == ("SELECT a %s", 0)


# --- errors ---------------------------------------------------------------------------------

PREFIX = (
    "You have an error in your SQL syntax; check the manual that corresponds to your MySQL "
    "server version for the right syntax to use near "
)


@pytest.mark.parametrize(
    ("sql", "near", "line"),
    [
        ("SELEC 1", "SELEC 1", 1),
        ("SELECT * FROM", "", 1),
        ("ADMIN FROB", "FROB", 1),
        ("ADMIN CHECK INDEX t", "", 1),
        ("ADMIN CANCEL DDL JOBS 1, x", "x", 1),
        ("ADMIN CANCEL DDL JOBS 1.5", "1.5", 1),
        ("RECOVER t", "t", 1),
        ("CHECK t", "t", 1),
        ("RENAME TABLE a b", "b", 1),
        ("SELECT 'abc", "'abc", 1),
        ("SELECT a,\n  b\nFRM t", "t", 3),
        ("SELECT 1;\nSELECT 2 3", "3", 1),
        ("UPDATE t SET", "", 1),
        ("INSERT INTO t", "", 1),
        ("START", "", 1),
        ("FOO BAR", "FOO BAR", 1),
        ("CACHE TABLE x", "CACHE TABLE x", 1),
    ],
)
def test_syntax_errors_use_mysql_message(sql, near, line):
    with pytest.raises(ProgrammingError) as info:
        parse(sql)
    err = info.value
    assert err.errno == 1064
    assert err.sqlstate == "42000"
    assert err.msg == f"{PREFIX}'{near}' at line {line}"


def test_near_text_is_cut_at_80_characters():
    sql = "SELECT 1 2 " + "x" * 200
    with pytest.raises(ProgrammingError) as info:
        parse(sql)
    near = info.value.msg.split("near '", 1)[1].rsplit("' at line", 1)[0]
    assert near == ("2 " + "x" * 200)[:80]


@pytest.mark.parametrize("sql", ["SELEC 1", "SELECT * FROM", "ADMIN FROB"])
def test_bad_sql_raises_programming_error_1064_near(sql):
    with pytest.raises(ProgrammingError) as info:
        parse_one(sql)
    assert info.value.errno == 1064
    assert "near" in str(info.value)


def test_dialect_is_registered_with_sqlglot():
    import sqlglot

    node = sqlglot.parse_one("ADMIN SHOW DDL JOBS 2", read="kintsugi")
    assert isinstance(node, AdminShowDDLJobs)
    assert node.sql(dialect="kintsugi") == "ADMIN SHOW DDL JOBS 2"
