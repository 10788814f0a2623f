"""JSON columns and the JSON functions, with MySQL 8's answers (issue 15, "The SQL a DBA
reaches for"): validation on write (3140), the canonical text, paths and their errors (3143),
`->` / `->>`, comparisons of extracted values, the modifying functions, the aggregates,
DDL limits (1101, 3152), the metadata and the dump round trip."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal

import pytest

import core
from core.dump import dump
from core.errors import Error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def err(q, sql):
    with pytest.raises(Error) as e:
        q(sql)
    return e.value.errno, str(e.value)


@pytest.fixture
def docs(q):
    q("CREATE TABLE j (id INT PRIMARY KEY, doc JSON)")
    q("""INSERT INTO j VALUES
         (1, '{"n": 10, "s": "bob", "t": [1, 2, 3], "f": true}'),
         (2, '{"n": 9, "s": "al", "t": []}'),
         (3, '{"n": "10"}'),
         (4, NULL)""")
    return q


# --- the column type ------------------------------------------------------------------------


def test_stored_in_mysqls_canonical_form(q):
    q("CREATE TABLE j (a JSON)")
    q("""INSERT INTO j VALUES ('{"bb":[1,2],"a" : 1,"a":2, "ccc":null,"b":{"y":1,"x":"é"}}')""")
    q("INSERT INTO j VALUES ('  [1.50, 1e2, -7, true, \"x\\\\ny\"]  ')")
    q("INSERT INTO j VALUES ('18446744073709551616'), ('\"str\"'), ('null')")
    # keys sorted by length then bytewise, the last duplicate kept, ", " and ": "
    assert q("SELECT a FROM j") == [
        ('{"a": 2, "b": {"x": "é", "y": 1}, "bb": [1, 2], "ccc": null}',),
        ('[1.5, 100.0, -7, true, "x\\ny"]',),
        ("1.8446744073709552e19",), ('"str"',), ("null",)]


def test_invalid_json_is_3140(q):
    q("CREATE TABLE j (a JSON)")
    assert err(q, "INSERT INTO j VALUES ('{bad')") == (
        3140, 'ERROR 3140 (22032): Invalid JSON text: "Missing a name for object member." '
        "at position 1 in value for column 'j.a'.")
    assert err(q, "INSERT INTO j VALUES ('[1,')")[0] == 3140
    assert "The document is empty." in err(q, "INSERT INTO j VALUES ('')")[1]
    assert "not a JSON text, may need CAST" in err(q, "INSERT INTO j VALUES (1)")[1]
    assert "followed by other values" in err(q, "INSERT INTO j VALUES ('1 2')")[1]
    q("INSERT INTO j VALUES (CAST(1 AS JSON)), (NULL)")
    assert err(q, "UPDATE j SET a = 'nope'")[0] == 3140
    assert q("SELECT a FROM j") == [("1",), (None,)]


def test_default_literal_and_indexes_are_refused(q):
    assert err(q, "CREATE TABLE j (a JSON DEFAULT '[]')") == (
        1101, "ERROR 1101 (42000): BLOB, TEXT, GEOMETRY or JSON column 'a' can't have a "
        "default value")
    assert err(q, "CREATE TABLE j (a JSON, KEY (a))") == (
        3152, "ERROR 3152 (42000): JSON column 'a' supports indexing only via generated "
        "columns on a specified JSON path.")
    assert err(q, "CREATE TABLE j (a JSON PRIMARY KEY)")[0] == 3152
    assert err(q, "CREATE TABLE j (a JSON UNIQUE)")[0] == 3152
    # DEFAULT NULL and an expression default (MySQL 8.0.13+) are fine
    q("CREATE TABLE j (id INT, a JSON DEFAULT NULL, b JSON DEFAULT (JSON_ARRAY()))")
    assert err(q, "CREATE INDEX i ON j (a)")[0] == 3152
    q("INSERT INTO j (id) VALUES (1)")
    assert q("SELECT a, b FROM j") == [(None, "[]")]


def test_metadata_shows_json(q, conn):
    q("CREATE TABLE j (id INT PRIMARY KEY, a JSON NOT NULL)")
    create = q("SHOW CREATE TABLE j")[0][1]
    assert "`a` json NOT NULL" in create
    assert q("DESCRIBE j")[1][:2] == ("a", "json")
    assert q("SELECT DATA_TYPE, COLUMN_TYPE FROM information_schema.COLUMNS "
             "WHERE TABLE_NAME = 'j' AND COLUMN_NAME = 'a'") == [("json", "json")]
    q("INSERT INTO j VALUES (1, '[1]')")
    cur = conn.cursor()
    cur.execute("SELECT a, a->'$[0]', a->>'$[0]', JSON_TYPE(a) FROM j")
    assert [d[1] for d in cur.description] == ["JSON", "JSON", "VAR_STRING", "VAR_STRING"]
    assert cur.fetchall() == [("[1]", "1", "1", "ARRAY")]


def test_dump_round_trips_a_json_column(tmp_path):
    src, dst = str(tmp_path / "src"), str(tmp_path / "dst")
    with core.connect(src, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE j (id INT PRIMARY KEY, a JSON, b JSON DEFAULT (JSON_OBJECT()))")
        conn.execute("""INSERT INTO j VALUES (1, '{"k": "it''s \\\\"q\\\\"", "n": [1, 2.5]}',
                        '[]'), (2, NULL, 'null')""")
    out = io.StringIO()
    dump(src, out)
    text = out.getvalue()
    load = subprocess.run([sys.executable, "-m", "tui.cli", "sql", dst, "--create"], cwd=ROOT,
                          input=text, capture_output=True, text=True, timeout=120)
    assert load.returncode == 0, load.stderr
    rows = []
    for path in (src, dst):
        with core.connect(path) as conn:
            cur = conn.cursor()
            cur.execute("SELECT id, a, b, a->>'$.k' FROM test.j ORDER BY id")
            got = cur.fetchall()
            cur.execute("SHOW CREATE TABLE test.j")
            rows.append((got, cur.fetchone()[1]))
    assert rows[0] == rows[1]
    assert rows[1][0] == [(1, '{"k": "it\'s \\"q\\"", "n": [1, 2.5]}', "[]", 'it\'s "q"'),
                          (2, None, "null", None)]


# --- paths and extraction -------------------------------------------------------------------


def test_arrow_operators(docs):
    q = docs
    assert q("SELECT doc->'$.s', doc->>'$.s', doc->'$.t', doc->'$.t[1]', doc->>'$.missing' "
             "FROM j WHERE id = 1") == [('"bob"', "bob", "[1, 2, 3]", "2", None)]
    assert q("SELECT JSON_EXTRACT(doc, '$.n'), JSON_EXTRACT(doc, '$.n', '$.s') FROM j "
             "ORDER BY id") == [("10", '[10, "bob"]'), ("9", '[9, "al"]'),
                                ('"10"', '["10"]'), (None, None)]
    # inside function arguments `->` is a path, not a lambda
    assert q("SELECT JSON_TYPE(doc->'$.n'), COALESCE(doc->'$.zz', 'none'), "
             "CONCAT('x', doc->'$.s', doc->>'$.s') FROM j WHERE id = 1") == \
        [("INTEGER", "none", 'x"bob"bob')]


def test_path_syntax(q):
    doc = '{"a": {"b": 1}, "c": {"b": 2}, "a b": 5, "arr": [1, 2, 3, 4]}'
    assert q(f"""SELECT JSON_EXTRACT('{doc}', '$.*.b'), JSON_EXTRACT('{doc}', '$**.b'),
                 JSON_EXTRACT('{doc}', '$."a b"'), JSON_EXTRACT('{doc}', '$.arr[*]'),
                 JSON_EXTRACT('{doc}', '$.arr[last]'), JSON_EXTRACT('{doc}', '$.arr[last-1]'),
                 JSON_EXTRACT('{doc}', '$.arr[1 to 2]'), JSON_EXTRACT('{doc}', '$ . arr [ 0 ]'),
                 JSON_EXTRACT('{doc}', '$.arr[9]'), JSON_EXTRACT('{doc}', '$.a[0]'),
                 JSON_EXTRACT('{doc}', '$.a[1]'), JSON_EXTRACT('{doc}', '$')""") == [(
        "[1, 2]", "[1, 2]", "5", "[1, 2, 3, 4]", "4", "3", "[2, 3]", "1", None,
        '{"b": 1}', None, '{"a": {"b": 1}, "c": {"b": 2}, "a b": 5, "arr": [1, 2, 3, 4]}')]


@pytest.mark.parametrize("path, pos", [("abc", 0), ("$.", 2), ("$[", 2), ("$.a[x]", 4),
                                       ("$**", 3)])
def test_invalid_path_is_3143(q, path, pos):
    assert err(q, f"SELECT JSON_EXTRACT('[1]', '{path}')") == (
        3143, "ERROR 3143 (42000): Invalid JSON path expression. The error is around "
        f"character position {pos}.")


def test_invalid_json_argument_is_3141_and_wrong_type_3146(q):
    assert err(q, "SELECT JSON_EXTRACT('[1', '$')") == (
        3141, "ERROR 3141 (22032): Invalid JSON text in argument 1 to function json_extract: "
        "\"Missing a comma or ']' after an array element.\" at position 2.")
    assert err(q, "SELECT JSON_CONTAINS('[1]', '{x')")[1].startswith(
        "ERROR 3141 (22032): Invalid JSON text in argument 2 to function json_contains")
    assert err(q, "SELECT CAST('x' AS JSON)")[1].endswith(
        'function cast_as_json: "Invalid value." at position 0.')
    assert err(q, "SELECT JSON_EXTRACT('[1]', '$.1a')")[0] == 3143
    assert err(q, "SELECT JSON_TYPE(1)") == (
        3146, "ERROR 3146 (22032): Invalid data type for JSON data in argument 1 to function "
        "json_type; a JSON string or JSON type is required.")


def test_null_in_null_out(q):
    assert q("SELECT JSON_EXTRACT(NULL, '$'), JSON_EXTRACT('[1]', NULL), JSON_TYPE(NULL), "
             "JSON_KEYS(NULL), JSON_LENGTH(NULL), JSON_UNQUOTE(NULL), JSON_VALID(NULL), "
             "JSON_SET(NULL, '$.a', 1), JSON_CONTAINS('[1]', NULL), CAST(NULL AS JSON)") == \
        [(None,) * 10]
    # NULL as a value is JSON null
    assert q("SELECT JSON_ARRAY(NULL), JSON_OBJECT('a', NULL), JSON_SET('{}', '$.a', NULL)") \
        == [("[null]", '{"a": null}', '{"a": null}')]


# --- comparisons and ordering ---------------------------------------------------------------


def test_extracted_values_compare_as_json(docs):
    q = docs
    assert q("SELECT id FROM j WHERE doc->'$.n' = 10") == [(1,)]  # "10" (a string) is not
    assert q("SELECT id FROM j WHERE doc->'$.n' > 9 ORDER BY id") == [(1,), (3,)]
    assert q("SELECT id FROM j WHERE doc->'$.s' = 'bob'") == [(1,)]
    assert q("SELECT id FROM j WHERE doc->>'$.n' = '10' ORDER BY id") == [(1,), (3,)]
    # TRUE is a boolean against JSON (get_json_atom_wrapper: is_bool_func): JSON true
    assert q("SELECT id FROM j WHERE doc->'$.f' = TRUE") == [(1,)]
    assert q("SELECT id FROM j WHERE doc->'$.f' = CAST('true' AS JSON)") == [(1,)]
    assert q("SELECT CAST('1' AS JSON) = CAST('1.0' AS JSON), "
             "CAST('[1, 2]' AS JSON) = '[1, 2]', CAST('[1,2]' AS JSON) = CAST('[1, 2]' AS JSON)"
             ) == [(1, 0, 1)]


def test_truth_and_casts_of_json_values(docs):
    q = docs
    q("""INSERT INTO j VALUES (5, '{"f": false, "n": 0, "s": "2x"}')""")
    assert q("SELECT id FROM j WHERE doc->'$.f'") == [(1,)]
    assert q("SELECT id FROM j WHERE NOT doc->'$.f'") == [(5,)]
    assert q("SELECT CAST(doc->'$.n' AS SIGNED), CAST(doc->'$.n' AS DECIMAL(5,1)), "
             "CAST(doc->'$.s' AS CHAR), CAST(doc->'$.f' AS UNSIGNED) FROM j WHERE id IN (1, 5) "
             "ORDER BY id") == [(10, Decimal("10.0"), '"bob"', 1), (0, Decimal("0.0"), '"2x"', 0)]
    # arithmetic on a JSON value is a double, as MySQL
    assert q("SELECT doc->'$.n' + 1, SUM(doc->'$.n') FROM j WHERE id = 1") == [(11.0, 10.0)]


def test_order_by_extracted_value_is_json_order(docs):
    q = docs
    q("CREATE TABLE s (id INT PRIMARY KEY, v JSON)")
    q("INSERT INTO s VALUES (1, '10'), (2, '9'), (3, '\"a\"'), (4, 'null')")
    assert q("SELECT id FROM s ORDER BY v") == [(4,), (2,), (1,), (3,)]
    # NULL, then numbers numerically, then strings
    assert q("SELECT id FROM j ORDER BY doc->'$.n'") == [(4,), (2,), (1,), (3,)]
    # ->> gives text: '10' < '9'
    assert q("SELECT id FROM j ORDER BY doc->>'$.n', id") == [(4,), (1,), (3,), (2,)]


# --- constructors and the other functions ---------------------------------------------------


def test_constructors(q):
    assert q("SELECT JSON_OBJECT('x', TRUE, 'y', 1.50, 'z', 1 = 2, 'w', 2.5e0, 's', 'q\"'), "
             "JSON_ARRAY(1, 'a', 1 = 1, NULL, JSON_ARRAY(2)), JSON_OBJECT(), JSON_ARRAY(), "
             "JSON_OBJECT('d', DATE '2024-01-02', 't', TIMESTAMP '2024-01-02 03:04:05')") == [(
        '{"s": "q\\"", "w": 2.5, "x": true, "y": 1.50, "z": false}',
        '[1, "a", true, null, [2]]', "{}", "[]",
        '{"d": "2024-01-02", "t": "2024-01-02 03:04:05.000000"}')]
    assert err(q, "SELECT JSON_OBJECT(NULL, 1)") == (
        3158, "ERROR 3158 (22032): JSON documents may not contain NULL member names.")


def test_a_json_column_is_embedded_a_string_is_quoted(docs):
    q = docs
    assert q("SELECT JSON_ARRAY(doc->'$.t', doc->>'$.s'), JSON_ARRAY(CAST(doc->'$.t' AS CHAR)) "
             "FROM j WHERE id = 1") == [('[[1, 2, 3], "bob"]', '["[1, 2, 3]"]')]
    assert q("SELECT JSON_OBJECT('d', doc) FROM j WHERE id = 3") == [('{"d": {"n": "10"}}',)]
    assert q("SELECT JSON_ARRAY(d) FROM (SELECT doc AS d FROM j WHERE id = 3) x") == \
        [('[{"n": "10"}]',)]


def test_scalar_functions(q):
    d = '{"a": 1, "b": [1, 2, {"c": 3}], "cc": "x"}'
    assert q(f"""SELECT JSON_TYPE('{d}'), JSON_TYPE(JSON_EXTRACT('{d}', '$.b')),
                 JSON_TYPE(JSON_EXTRACT('{d}', '$.cc')), JSON_TYPE('1.5'), JSON_TYPE('null'),
                 JSON_TYPE('18446744073709551615'), JSON_TYPE(JSON_OBJECT('x', 1.5)->'$.x'),
                 JSON_LENGTH('{d}'), JSON_LENGTH('{d}', '$.b'), JSON_LENGTH('3'),
                 JSON_LENGTH('{d}', '$.zz'), JSON_KEYS('{d}'), JSON_KEYS('{d}', '$.b[2]'),
                 JSON_KEYS('[1]'), JSON_DEPTH('{d}'), JSON_VALID('{d}'), JSON_VALID('{{'),
                 JSON_VALID(1), JSON_QUOTE('a"b'), JSON_UNQUOTE('"a\\\\tb"'),
                 JSON_UNQUOTE('plain')""") == [(
        "OBJECT", "ARRAY", "STRING", "DOUBLE", "NULL", "UNSIGNED INTEGER", "DECIMAL",
        3, 3, 1, None, '["a", "b", "cc"]', '["c"]', None, 4, 1, 0, 0, '"a\\"b"', "a\tb",
        "plain")]


def test_contains(q):
    assert q("""SELECT JSON_CONTAINS('{"a": 1, "b": [1, 2]}', '{"b": [2]}'),
                JSON_CONTAINS('{"a": 1, "b": [1, 2]}', '1', '$.a'),
                JSON_CONTAINS('[1, [2, 3]]', '[3]'), JSON_CONTAINS('[1, 2]', '"1"'),
                JSON_CONTAINS('{"a": 1}', '1'), JSON_CONTAINS('{"a": 1}', '1', '$.zz'),
                JSON_CONTAINS_PATH('{"a": 1}', 'one', '$.a', '$.b'),
                JSON_CONTAINS_PATH('{"a": 1}', 'all', '$.a', '$.b'),
                JSON_CONTAINS_PATH('{"b": {"a": [1]}}', 'one', '$**.a'),
                2 MEMBER OF ('[1, 2]'), '2' MEMBER OF ('[1, 2]'),
                JSON_OVERLAPS('[1, 3]', '[3, 4]')""") == [
        (1, 1, 1, 0, 0, None, 1, 0, 1, 1, 0, 1)]
    assert err(q, "SELECT JSON_CONTAINS_PATH('{}', 'any', '$')") == (
        3154, "ERROR 3154 (42000): The oneOrAll argument to json_contains_path may take these "
        "values: 'one' or 'all'.")
    assert err(q, "SELECT JSON_CONTAINS('[1]', '1', '$[*]')")[0] == 3149


def test_modifying_functions(q):
    assert q("""SELECT JSON_SET('{"a": 1}', '$.a', 2, '$.b', 3),
                JSON_INSERT('{"a": 1}', '$.a', 2, '$.b', 3),
                JSON_REPLACE('{"a": 1}', '$.a', 2, '$.b', 3),
                JSON_SET('[1]', '$[5]', 2), JSON_SET('{"a": 1}', '$.a[1]', 2),
                JSON_SET('{"a": 1}', '$.x.y', 2), JSON_SET('1', '$', '[]'),
                JSON_REMOVE('{"a": 1, "b": [1, 2]}', '$.b[0]', '$.a', '$.zz'),
                JSON_ARRAY_APPEND('[1, [2]]', '$[1]', 3, '$', 4),
                JSON_ARRAY_INSERT('[1, 2]', '$[1]', 'x', '$[9]', 'z'),
                JSON_MERGE_PATCH('{"a": 1, "b": 2}', '{"a": null, "c": 3}'),
                JSON_MERGE_PRESERVE('{"a": 1}', '{"a": 2}', '[3]')""") == [(
        '{"a": 2, "b": 3}', '{"a": 1, "b": 3}', '{"a": 2}', "[1, 2]", '{"a": [1, 2]}',
        '{"a": 1}', '"[]"', '{"b": [2]}', "[1, [2, 3], 4]", '[1, "x", 2, "z"]',
        '{"b": 2, "c": 3}', '[{"a": [1, 2]}, 3]')]
    assert err(q, "SELECT JSON_SET('{}', '$.*', 1)") == (
        3149, "ERROR 3149 (42000): In this situation, path expressions may not contain the * "
        "and ** tokens or an array range.")
    assert err(q, "SELECT JSON_REMOVE('[1]', '$')") == (
        3153, "ERROR 3153 (42000): The path expression '$' is not allowed in this context.")
    assert err(q, "SELECT JSON_ARRAY_INSERT('[1]', '$.a', 1)")[0] == 3165


def test_update_with_json_set(docs):
    q = docs
    q("UPDATE j SET doc = JSON_SET(doc, '$.n', doc->'$.n' + 1, '$.new', 'x') WHERE id = 2")
    # JSON + number is a double in MySQL: 10.0
    assert q("SELECT doc FROM j WHERE id = 2") == [
        ('{"n": 10.0, "s": "al", "t": [], "new": "x"}',)]
    q("UPDATE j SET doc = JSON_REMOVE(doc, '$.t') WHERE doc->'$.s' = 'bob'")
    assert q("SELECT doc FROM j WHERE id = 1") == [('{"f": true, "n": 10, "s": "bob"}',)]


def test_cast_as_json(q):
    assert q("""SELECT CAST('{"b": 1, "a": [1.50]}' AS JSON), CAST(1 AS JSON),
                CAST(1.5 AS JSON), CAST('"s"' AS JSON), JSON_TYPE(CAST(1.5 AS JSON))""") == \
        [('{"a": [1.5], "b": 1}', "1", "1.5", '"s"', "DECIMAL")]


def test_aggregates(q):
    q("CREATE TABLE t (g INT, k VARCHAR(5), v INT)")
    q("INSERT INTO t VALUES (1, 'a', 1), (1, 'b', NULL), (2, 'c', 3), (2, 'c', 4)")
    assert q("SELECT g, JSON_ARRAYAGG(v), JSON_OBJECTAGG(k, v) FROM t GROUP BY g ORDER BY g") \
        == [(1, "[1, null]", '{"a": 1, "b": null}'), (2, "[3, 4]", '{"c": 4}')]
    assert q("SELECT JSON_ARRAYAGG(v) FROM t WHERE g > 5") == [(None,)]
    q("INSERT INTO t VALUES (3, NULL, 1)")
    assert err(q, "SELECT JSON_OBJECTAGG(k, v) FROM t")[0] == 3158


def test_window_and_upsert(q):
    q("CREATE TABLE t (id INT PRIMARY KEY, v INT, doc JSON)")
    q("INSERT INTO t VALUES (1, 5, '[1]'), (2, NULL, NULL), (3, 7, NULL)")
    assert q("SELECT id, JSON_ARRAYAGG(v) OVER (ORDER BY id) FROM t") == [
        (1, "[5]"), (2, "[5, null]"), (3, "[5, null, 7]")]
    assert err(q, "SELECT JSON_OBJECTAGG(id, v) OVER () FROM t")[0] == 1235
    # the old value and VALUES() of a JSON column are JSON values, embedded, not quoted
    q("""INSERT INTO t VALUES (1, 0, '{"b": 2}')
         ON DUPLICATE KEY UPDATE doc = JSON_ARRAY(doc, VALUES(doc))""")
    assert q("SELECT doc FROM t WHERE id = 1") == [('[[1], {"b": 2}]',)]
    assert err(q, "INSERT INTO t VALUES (1, 0, '[1]') ON DUPLICATE KEY UPDATE doc = 'x'")[1] \
        .endswith("at position 0 in value for column 't.doc'.")


def test_search_and_pretty(q):
    assert q("""SELECT JSON_SEARCH('{"a": "abc", "b": ["abd", "x"]}', 'all', 'ab%'),
                JSON_SEARCH('{"a": "abc", "b": ["abd"]}', 'one', 'abd'),
                JSON_SEARCH('["x"]', 'one', 'y'),
                JSON_PRETTY('{"a": [1, 2], "b": {}}')""") == [(
        '["$.a", "$.b[0]"]', '"$.b[0]"', None,
        '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}')]


def test_json_value(q):
    d = '{"a": 1.5, "s": "x", "o": [1]}'
    assert q(f"""SELECT JSON_VALUE('{d}', '$.a'), JSON_VALUE('{d}', '$.a' RETURNING DECIMAL(4,2)),
                 JSON_VALUE('{d}', '$.s'), JSON_VALUE('{d}', '$.o'), JSON_VALUE('{d}', '$.z')""") \
        == [("1.5", Decimal("1.50"), "x", None, None)]


def test_json_functions_not_built_answer_1235(q):
    for sql, name in [("SELECT JSON_STORAGE_SIZE('[1]')", "JSON_STORAGE_SIZE"),
                      ("SELECT JSON_SCHEMA_VALID('{}', '1')", "JSON_SCHEMA_VALID"),
                      ("SELECT JSON_VALUE('{}', '$.z' DEFAULT 1 ON EMPTY)", "ON EMPTY")]:
        errno, text = err(q, sql)
        assert errno == 1235 and name in text


def test_json_table_answers_1235(q):
    assert err(q, "SELECT * FROM JSON_TABLE('[1, 2]', '$[*]' COLUMNS (x INT PATH '$')) AS t") \
        == (1235, "ERROR 1235 (42000): This version of KintsugiDB doesn't yet support "
            "'JSON_TABLE'")


def test_too_deep_document(q):
    deep = "[" * 101 + "]" * 101
    assert err(q, f"SELECT JSON_VALID('{deep}'), JSON_TYPE('{deep}')")[0] == 3157
    assert q(f"SELECT JSON_DEPTH('{'[' * 100 + ']' * 100}')") == [(100,)]


def test_json_values_in_numeric_context(q):
    """Json_wrapper::coerce_real: a JSON string is parsed, true is 1 (not the text's 0)."""
    q("CREATE TABLE jn (doc JSON)")
    q("""INSERT INTO jn VALUES ('{"a": "10"}'), ('{"a": 2.5}'), ('{"a": 2}'), ('{"a": true}')""")
    assert q("""SELECT JSON_EXTRACT('{"a": "1"}', '$.a') + 1""") == [(2.0,)]
    assert [float(r[0]) for r in q("SELECT doc->'$.a' + 0 FROM jn")] == [10.0, 2.5, 2.0, 1.0]
    assert q("SELECT SUM(doc->'$.a') FROM jn") == [(15.5,)]


def test_min_max_of_a_json_column_use_json_order(q):
    """MySQL's min_max_update_json_field: null < numbers < strings < objects < ... < true."""
    q("CREATE TABLE js (id INT, j JSON)")
    q("""INSERT INTO js VALUES (1, '1'), (2, '1.0'), (3, 'true'), (4, 'null'), (5, '"a"'),
         (6, '{}')""")
    assert q("SELECT MIN(j), MAX(j) FROM js") == [("null", "true")]
    assert q("SELECT MAX(j) FROM js WHERE id IN (1, 5)") == [('"a"',)]


def test_json_against_a_boolean_is_json_true_or_false(q):
    """MySQL's get_json_atom_wrapper: TRUE, FALSE and predicates compared with a JSON value
    are JSON true/false, so `doc->'$.active' = true` does not match the number 1."""
    q("CREATE TABLE jb (id INT, j JSON)")
    q("""INSERT INTO jb VALUES (1, '{"active": true}'), (2, '{"active": false}'),
         (3, '{"active": 1}'), (4, 'true')""")
    assert q("SELECT id FROM jb WHERE j->'$.active' = TRUE") == [(1,)]
    assert q("SELECT id FROM jb WHERE j->'$.active' = FALSE") == [(2,)]
    assert q("SELECT id FROM jb WHERE j = TRUE") == [(4,)]
    assert q("SELECT id FROM jb WHERE j->'$.active' = 1") == [(3,)]
    assert q("""SELECT JSON_EXTRACT('{"b": true}', '$.b') = (1 = 1)""") == [(1,)]


def test_group_by_and_distinct_use_json_equality(q):
    q("CREATE TABLE jg (id INT, j JSON)")
    q("""INSERT INTO jg VALUES (1, '1'), (2, '1.0'), (3, 'true'), (4, '{"a": 1, "b": 2}'),
         (5, '{"b": 2, "a": 1.0}'), (6, '[1, 2]')""")
    assert q("SELECT COUNT(*) FROM (SELECT j FROM jg GROUP BY j) g") == [(4,)]
    assert q("SELECT COUNT(DISTINCT j) FROM jg") == [(4,)]
    assert len(q("SELECT DISTINCT j FROM jg")) == 4
