"""The sqllogictest runner's own rules, on small inline files: parsing (comments, line
numbers, skipif/onlyif, halt, hash-threshold), rendering values as the reference's MySQL
(ODBC) engine did, the sort modes, the md5 of hashed results, and the verdicts, so that a
pass count from the corpus means what it says.  A runner that rendered or compared wrongly
would turn engine bugs into passes (or correct answers into failures) across thousands of
records; these tests pin each rule on a case small enough to check by hand.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from tests.sqllogic import runner
from tests.sqllogic.runner import FAILED, PASSED, SKIPPED, TIMED_OUT

SCRIPT = """\
# a comment before the first record
hash-threshold 8

statement ok
CREATE TABLE t1(a INTEGER, b TEXT)
\r
statement error
CREATE TABLE t1(a INTEGER)

skipif mysql # not compatible
statement ok
SOMETHING ONLY SQLITE KNOWS

onlyif mysql
query I rowsort label-1
SELECT a
# a comment inside the record
FROM t1
----
1
2

query IT nosort
SELECT 1, 'x'
----
1
x

onlyif mssql
halt

query R valuesort
SELECT 1
----
30 values hashing to 0123456789abcdef0123456789abcdef
"""


def test_parse_records_kinds_lines_and_bodies():
    recs = runner.parse(SCRIPT)
    kinds = [r.kind for r in recs]
    assert kinds == ["hash-threshold", "statement", "statement", "statement", "query",
                     "query", "halt", "query"]
    ht, ok, err, sk, q1, q2, halt, q3 = recs
    assert ht.threshold == 8 and ht.line == 2
    assert ok.line == 4 and ok.sql == "CREATE TABLE t1(a INTEGER, b TEXT)"
    assert not ok.expect_error and err.expect_error and err.line == 7
    # the skipif line is a condition; the record's line is its statement keyword's
    assert sk.conditions == [("skipif", "mysql")] and sk.line == 11
    # comments inside a record are dropped; SQL and results split at ----
    assert q1.sql == "SELECT a\nFROM t1" and q1.expected == ["1", "2"]
    assert (q1.types, q1.sort_mode, q1.label) == ("I", "rowsort", "label-1")
    assert q2.types == "IT" and q2.sort_mode == "nosort" and q2.expected == ["1", "x"]
    assert halt.conditions == [("onlyif", "mssql")]
    assert q3.expected == ["30 values hashing to 0123456789abcdef0123456789abcdef"]


def test_a_query_without_results_and_bad_headers():
    recs = runner.parse("query I\nSELECT 1\n\nquery IX rowsort\nSELECT 1\n\n"
                        "query I upsidedown\nSELECT 1\n\nstatement maybe\nSELECT 1\n\n"
                        "frobnicate now\n")
    assert recs[0].expected == [] and not recs[0].has_results and recs[0].sort_mode == "nosort"
    assert "type character" in recs[1].bad_header
    assert "sort method" in recs[2].bad_header
    assert "'ok' or 'error'" in recs[3].bad_header
    assert recs[4].kind == "unknown" and recs[4].word == "frobnicate"


def test_skipif_and_onlyif_as_mysql():
    recs = runner.parse("skipif MySQL\nstatement ok\nA\n\nonlyif mysql\nstatement ok\nB\n\n"
                        "onlyif sqlite\nstatement ok\nC\n\nskipif sqlite\nskipif mysql\n"
                        "statement ok\nD\n")
    assert [r.skipped_for("mysql") for r in recs] == [True, False, True, True]
    assert [r.skipped_for("sqlite") for r in recs] == [False, True, False, True]


def test_plan_stops_at_a_halt_that_applies_and_numbers_counted_records():
    steps, halt = runner.plan(runner.parse(SCRIPT))
    assert halt is None  # the halt is for mssql only
    assert runner.counted(steps) == 6  # 4 statements + 3 queries, less none (skipped count)
    text = "statement ok\nA\n\nskipif sqlite\nhalt\n\nstatement ok\nB\n"
    steps, halt = runner.plan(runner.parse(text))
    assert halt == 5 and runner.counted(steps) == 1


def test_plan_sample_takes_every_nth_query_and_all_statements():
    text = "".join(f"query I nosort\nSELECT {i}\n----\n{i}\n\nstatement ok\nS{i}\n\n"
                   for i in range(10))
    steps, _ = runner.plan(runner.parse(text), every=3)
    chosen = [s.record.sql for s in steps if s.index is not None]
    assert chosen == ["SELECT 0", "S0", "S1", "S2", "SELECT 3", "S3", "S4", "S5",
                      "SELECT 6", "S6", "S7", "S8", "SELECT 9", "S9"]
    assert [s.index for s in steps if s.index is not None] == list(range(14))
    # excluding a query (by its line) does not shift which others the sample takes
    line_of_3 = next(s.record.line for s in steps if s.record.sql == "SELECT 3")
    steps, _ = runner.plan(runner.parse(text), every=3, exclude={line_of_3})
    chosen = [s.record.sql for s in steps if s.index is not None and s.record.kind == "query"]
    assert chosen == ["SELECT 0", "SELECT 6", "SELECT 9"]


@pytest.mark.parametrize(("value", "type_char", "text"), [
    (None, "I", "NULL"), (None, "R", "NULL"), (None, "T", "NULL"),
    (7, "I", "7"), (-7, "I", "-7"), (True, "I", "1"),
    (Decimal("2.9000"), "I", "2"), (Decimal("-2.9"), "I", "-2"),  # truncated, as SQL_C_SLONG
    (2.5, "I", "2"), (-0.5, "I", "0"),
    ("12abc", "I", "12"), ("abc", "I", "0"), (" -3.7", "I", "-3"),
    (1, "R", "1.000"), (Decimal("2.5"), "R", "2.500"), (2.0005, "R", "2.001"),
    (-0.0001, "R", "-0.000"), ("3.14159x", "R", "3.142"), ("x", "R", "0.000"),
    (1e20, "R", "100000000000000000000.000"),
    ("", "T", "(empty)"), ("abc", "T", "abc"), ("a\tb\n", "T", "a@b@"),
    ("é", "T", "@@"),  # each byte of its UTF-8 outside printable ASCII
    (b"\x00z", "T", "@z"), (Decimal("1.50"), "T", "1.50"), (0.5, "T", "0.5"),
    (3.0, "T", "3"), (1e20, "T", "1e20"), (42, "T", "42"),
])
def test_format_value(value, type_char, text):
    assert runner.format_value(value, type_char) == text


def test_text_is_cut_to_the_drivers_buffer():
    assert runner.format_value("x" * 600, "T") == "x" * 511


def test_temporal_values_render_as_mysql_sends_them():
    import datetime as dt

    assert runner.format_value(dt.date(2020, 1, 2), "T") == "2020-01-02"
    assert runner.format_value(dt.datetime(2020, 1, 2, 3, 4, 5), "T") == "2020-01-02 03:04:05"
    assert runner.format_value(dt.timedelta(hours=-1, minutes=-2), "T") == "-01:02:00"
    assert runner.format_value(dt.date(2020, 1, 2), "I") == "2020"


def test_sort_modes_compare_rendered_strings():
    values = ["10", "b", "9", "a", "10", "a"]
    assert runner.sort_values(values, 2, "nosort") == values
    # rows as strings: "10" < "9"; ties broken by the next column
    assert runner.sort_values(values, 2, "rowsort") == ["10", "a", "10", "b", "9", "a"]
    assert runner.sort_values(values, 2, "valuesort") == ["10", "10", "9", "a", "a", "b"]


def test_hash_is_md5_of_values_each_followed_by_newline():
    assert runner.hash_values([]) == "d41d8cd98f00b204e9800998ecf8427e"
    assert runner.hash_values(["1"]) == "b026324c6904b2a9cb4b88d6d61c81d1"  # `echo 1|md5sum`
    assert runner.hash_values(["1", "2"]) == hashlib.md5(b"1\n2\n").hexdigest()


def _query(expected: list[str], types: str = "I", sort: str = "nosort") -> runner.Record:
    return runner.Record(kind="query", line=1, types=types, sort_mode=sort,
                         expected=expected, has_results=True)


def test_compare_hashes_above_the_threshold_only():
    values = [str(i) for i in range(9)]
    digest = runner.hash_values(values)
    ok, got, _ = runner.compare(_query([f"9 values hashing to {digest}"]), values, 8)
    assert ok and got == [f"9 values hashing to {digest}"]
    ok, _, _ = runner.compare(_query(values), values, 8)
    assert not ok  # 9 values over a threshold of 8 must be given as a hash
    ok, _, _ = runner.compare(_query(values[:8]), values[:8], 8)
    assert ok  # exactly the threshold: compared value by value
    ok, _, _ = runner.compare(_query(values), values, 0)
    assert ok  # a threshold of 0 never hashes


def test_compare_sorts_before_hashing():
    values = ["3", "1", "2"] * 3
    digest = runner.hash_values(sorted(values))
    ok, _, _ = runner.compare(_query([f"9 values hashing to {digest}"], sort="valuesort"),
                              values, 8)
    assert ok
    ok, _, _ = runner.compare(_query([f"9 values hashing to {digest}"]), values, 8)
    assert not ok  # nosort keeps the engine's order, which hashes differently


def test_compare_is_strict_about_the_number_of_values():
    # the reference would pass both (it compares up to the shorter list); a wrong count fails
    assert not runner.compare(_query(["1", "2"]), ["1"], 8)[0]
    assert not runner.compare(_query(["1"]), ["1", "2"], 8)[0]
    assert not runner.compare(_query(["1"]), [], 8)[0]
    assert runner.compare(_query([]), [], 8)[0]


def _outcome(rows=None, ncols=0, error=None, timed_out=False):
    return runner._Outcome(rows, ncols, error, timed_out, 0.0)


def test_check_record_verdicts():
    import core

    labels: dict[str, str] = {}
    st_ok = runner.Record(kind="statement", line=3, sql="S")
    st_err = runner.Record(kind="statement", line=4, sql="S", expect_error=True)
    boom = core.ProgrammingError("no such table", errno=1146, sqlstate="42S02")
    assert runner.check_record(st_ok, _outcome(), 8, labels) == (PASSED, None)
    assert runner.check_record(st_err, _outcome(error=boom), 8, labels) == (PASSED, None)
    code, fail = runner.check_record(st_ok, _outcome(error=boom), 8, labels)
    assert code == FAILED and fail.kind == "unexpected error" and "1146" in fail.got
    code, fail = runner.check_record(st_err, _outcome(), 8, labels)
    assert code == FAILED and fail.kind == "unexpected success"
    assert runner.check_record(st_ok, _outcome(timed_out=True), 8, labels)[0] == TIMED_OUT
    q = _query(["1", "x"], types="IT")
    assert runner.check_record(q, _outcome([(1, "x")], 2), 8, labels) == (PASSED, None)
    code, fail = runner.check_record(q, _outcome([(1,)], 1), 8, labels)
    assert code == FAILED and fail.kind == "wrong number of result columns"
    code, fail = runner.check_record(q, _outcome([(2, "x")], 2), 8, labels)
    assert code == FAILED and fail.kind == "wrong result" and fail.got == "2\nx"
    code, fail = runner.check_record(q, _outcome(error=boom), 8, labels)
    assert code == FAILED and fail.kind == "unexpected error"


def test_labels_must_agree():
    labels: dict[str, str] = {}
    a = _query(["1"])
    a.label = "L"
    b = _query(["2"])
    b.label = "L"
    assert runner.check_record(a, _outcome([(1,)], 1), 8, labels)[0] == PASSED
    code, fail = runner.check_record(b, _outcome([(2,)], 1), 8, labels)
    assert code == FAILED and "label" in fail.kind


def test_expected_hash_of_a_skipped_labelled_query():
    assert runner.expected_hash(_query(["12 values hashing to abc"])) == "abc"
    assert runner.expected_hash(_query(["1", "2"])) == runner.hash_values(["1", "2"])
    assert runner.expected_hash(_query([])) is None


def test_failure_tags_group_errors_by_code_and_message():
    f = runner.Failure(1, "unexpected error", "S", "ok",
                       "ERROR 1146 (42S02): Table 'slt.t9' doesn't exist")
    assert runner.failure_tag(f) == "ERROR 1146 (42S02): Table '...' doesn't exist"
    assert runner.failure_tag(runner.Failure(1, "wrong result", "S", "", "")) == "wrong result"
    f = runner.Failure(1, "unexpected error", "S", "ok",
                       "ERROR 1235 (42000): unsupported DDL: CREATE VIEW v AS SELECT 1")
    assert runner.failure_tag(f) == "ERROR 1235 (42000): unsupported DDL"
    f = runner.Failure(1, "unexpected error", "S", "ok",
                       "ERROR 1235 (42000): This version doesn't yet support 'INTERSECT'")
    assert runner.failure_tag(f) == f.got


# --- against the engine ----------------------------------------------------------------------

ENGINE_SCRIPT = """\
statement ok
CREATE TABLE t1(a INTEGER, b VARCHAR(10))

statement ok
INSERT INTO t1 VALUES(1, 'one'), (2, ''), (3, NULL)

statement error
INSERT INTO nope VALUES(1)

query IT rowsort
SELECT a, b FROM t1
----
1
one
2
(empty)
3
NULL

query I nosort
SELECT a FROM t1 ORDER BY a DESC
----
3
2
1

skipif mysql
query I nosort
SELECT nonsense
----
1

query R nosort
SELECT a / 2 FROM t1 WHERE a = 3
----
1.500

query I nosort
SELECT a FROM t1 WHERE a = 1
----
7

statement ok
SELECT 1 FROM nowhere_at_all
"""


def _run_inline(text: str, budget: float = 2.0):
    steps, _ = runner.plan(runner.parse(text))
    msgs: list = []
    db = runner._Database(budget)
    try:
        runner.execute_steps(steps, db, msgs.append)
    finally:
        db.close()
    return steps, [m for m in msgs if m[0] == "rec"]


def test_execute_steps_against_the_engine():
    steps, recs = _run_inline(ENGINE_SCRIPT)
    codes = "".join(m[2] for m in recs)
    assert codes == PASSED * 5 + SKIPPED + PASSED + FAILED + FAILED
    wrong = recs[7][3]
    assert wrong["kind"] == "wrong result" and wrong["expected"] == "7" and wrong["got"] == "1"
    assert wrong["line"] == 38 and "WHERE a = 1" in wrong["sql"]
    assert recs[8][3]["kind"] == "unexpected error" and recs[8][5].startswith("ERROR 1146")


SLOW = "SELECT COUNT(*) FROM t a, t b, t c, t d, t e, t f"


def _slow_script(after: int = 3) -> str:
    text = "statement ok\nCREATE TABLE t(x INTEGER)\n\n"
    text += "".join(f"statement ok\nINSERT INTO t VALUES({i})\n\n" for i in range(40))
    text += f"query I nosort\n{SLOW}\n----\n0\n\n"
    text += "".join(f"query I nosort\nSELECT COUNT(*) + {i} FROM t\n----\n{40 + i}\n\n"
                    for i in range(after))
    return text


def test_a_statement_over_budget_is_cancelled_and_the_next_ones_run():
    _steps, recs = _run_inline(_slow_script(), budget=1.0)
    codes = "".join(m[2] for m in recs)
    assert codes == PASSED * 41 + TIMED_OUT + PASSED * 3


def test_run_file_in_a_worker(tmp_path):
    path = tmp_path / "inline.test"
    path.write_text(ENGINE_SCRIPT)
    res = runner.run_file(str(path))
    assert (res.records, res.passed, res.failed, res.skipped, res.timed_out) == (9, 6, 2, 1, 0)
    assert [f.line for f in res.failures] == [38, 43]
    assert res.failure_tags == {"wrong result": 1,
                                "ERROR 1146 (42S02): Table '...' doesn't exist": 1}
    assert res.outcomes == "PPPPPSPFF" and not res.errors and not res.killed


def test_a_stalled_worker_is_replaced_and_replays_the_statements(tmp_path):
    # a grace below zero makes the supervisor give up on the slow query before its cancel
    # comes: the worker is killed, and a new one rebuilds the table and runs what follows
    path = tmp_path / "slow.test"
    path.write_text(_slow_script())
    res = runner.run_file(str(path), budget=4.0, grace=-3.0)
    assert res.restarts == 1, res
    assert res.outcomes == PASSED * 41 + TIMED_OUT + PASSED * 3


def test_the_wall_limit_counts_the_rest_as_timed_out(tmp_path):
    path = tmp_path / "slow.test"
    path.write_text(_slow_script(after=5))
    res = runner.run_file(str(path), budget=30.0, wall=4.0)
    assert res.killed
    assert res.outcomes.endswith(TIMED_OUT * 6) and len(res.outcomes) == 47


def test_sample_passed_derives_the_sample_from_a_full_run(tmp_path):
    text = "statement ok\nCREATE TABLE t(x INTEGER)\n\n" + "".join(
        f"query I nosort\nSELECT {i}\n----\n{i if i % 2 else 99}\n\n" for i in range(10))
    path = tmp_path / "s.test"
    path.write_text(text)
    full = runner.run_file(str(path))
    assert full.outcomes == "P" + "FP" * 5
    sampled = runner.run_file(str(path), every=3)  # queries 0, 3, 6, 9
    assert sampled.outcomes == "P" + "FPFP"
    assert runner.sample_passed(str(path), full, 3) == sampled.passed == 3
