"""`kintsugi sql DIR -e ...` and piped statements, as scripts use them."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kintsugi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_execute_prints_tables_like_mysql(tmp_path):
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-e",
                 "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10)); "
                 "INSERT INTO t VALUES (1, 'one'), (22, NULL); SELECT * FROM t ORDER BY id")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Query OK, 2 rows affected" in out
    assert "| id | name |" in out
    assert "|  1 | one  |" in out and "| 22 | NULL |" in out
    assert "2 rows in set" in out


def test_statements_from_stdin_and_batch_mode(tmp_path):
    db = str(tmp_path / "db")
    kintsugi("sql", db, "--create", "-e", "CREATE TABLE t (a INT); INSERT INTO t VALUES (5)")
    r = kintsugi("sql", db, "-B", stdin="SELECT a, a * 2 AS b FROM t;\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["a\tb", "5\t10"]


def test_error_has_code_and_exit_status(tmp_path):
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-e", "SELECT * FROM missing; SELECT 1")
    assert r.returncode == 1
    assert "ERROR 1146 (42S02): Table 'test.missing' doesn't exist" in r.stderr
    assert "1 row in set" not in r.stdout  # stops at the first error, like mysql
    r = kintsugi("sql", db, "-f", "-e", "SELECT * FROM missing; SELECT 1")
    assert r.returncode == 1 and "1 row in set" in r.stdout  # --force goes on


def test_missing_database_directory(tmp_path):
    r = kintsugi("sql", str(tmp_path / "nope"), "-e", "SELECT 1")
    assert r.returncode == 1
    assert "ERROR 1049" in r.stderr and "Traceback" not in r.stderr


def test_batch_mode_streams_into_a_pipe_that_closes_early(tmp_path):
    """`kintsugi sql -B ... | head`: rows print as the plan makes them (a 1M-row result does
    not have to be built first), and the reader leaving is not an error."""
    db = str(tmp_path / "db")
    kintsugi("sql", db, "--create", "-e", "CREATE TABLE a (id INT PRIMARY KEY); INSERT INTO a "
             "VALUES " + ", ".join(f"({i})" for i in range(100)))
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "sql", db, "-B", "-e",
                             "SELECT x.id, y.id, z.id FROM a x, a y, a z"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    head = [proc.stdout.readline() for _ in range(3)]
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert head == ["id\tid\tid\n", "0\t0\t0\n", "0\t0\t1\n"]
    assert err == ""


def test_a_result_with_warnings_says_how_many_like_mysql(tmp_path):
    """"1 row in set, 1 warning": a forced open's skipped damaged rows are warnings, and
    the result line must not hide them (SHOW WARNINGS lists them)."""
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-e", "SELECT 1/0; SELECT 1")
    assert r.returncode == 0, r.stderr
    assert "1 row in set, 1 warning (" in r.stdout
    assert r.stdout.rstrip().endswith("sec)") and "1 row in set (" in r.stdout
