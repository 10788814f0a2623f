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
    assert "ERROR 1146 (42S02) at line 1: Table 'test.missing' doesn't exist" in r.stderr
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
    assert proc.wait(timeout=120) == 141, err  # as mysql, killed by SIGPIPE: 128 + 13
    assert head == ["id\tid\tid\n", "0\t0\t0\n", "0\t0\t1\n"]
    assert err == ""


def test_a_reader_leaving_stops_the_script_and_rolls_its_transaction_back(tmp_path):
    """After the pipe breaks nothing more runs (not the INSERT after the SELECT), the open
    transaction is rolled back, and the status says so: 141, no traceback."""
    db = str(tmp_path / "db")
    kintsugi("sql", db, "--create", "-e", "CREATE TABLE a (id INT PRIMARY KEY); INSERT INTO a "
             "VALUES " + ", ".join(f"({i})" for i in range(100)) + "; CREATE TABLE p (id INT)")
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "sql", db, "-B", "-e",
                             "BEGIN; INSERT INTO p VALUES (1); "
                             "SELECT x.id, y.id, z.id FROM a x, a y, a z; "
                             "INSERT INTO p VALUES (2); COMMIT; INSERT INTO p VALUES (3)"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141 and err == ""
    r = kintsugi("sql", db, "-B", "-e", "SELECT COUNT(*) FROM p")
    assert r.stdout.splitlines() == ["COUNT(*)", "0"], r.stderr


def test_a_result_with_warnings_says_how_many_like_mysql(tmp_path):
    """"1 row in set, 1 warning": a forced open's skipped damaged rows are warnings, and
    the result line must not hide them (SHOW WARNINGS lists them)."""
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-e", "SELECT 1/0; SELECT 1")
    assert r.returncode == 0, r.stderr
    assert "1 row in set, 1 warning (" in r.stdout
    assert r.stdout.rstrip().endswith("sec)") and "1 row in set (" in r.stdout


SYNTAX = ("You have an error in your SQL syntax; check the manual that corresponds to your "
          "MySQL server version for the right syntax to use near 'SELEC 2' at line 1")


def test_a_syntax_error_stops_at_that_statement_not_before_the_first(tmp_path):
    """The script is split first (the one MySQL lexer), then run statement by statement:
    a 1064 in the second does not keep the first from running; -f runs the third too."""
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-B", "-e", "SELECT 1; SELEC 2; SELECT 3")
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["1", "1"]
    assert r.stderr.splitlines() == [f"ERROR 1064 (42000) at line 1: {SYNTAX}"]
    r = kintsugi("sql", db, "-B", "-f", "-e", "SELECT 1; SELEC 2; SELECT 3")
    assert r.returncode == 1  # as mysql --force: the failure still shows in the status
    assert r.stdout.splitlines() == ["1", "1", "3", "3"]
    assert r.stderr.splitlines() == [f"ERROR 1064 (42000) at line 1: {SYNTAX}"]


def test_errors_name_the_line_of_the_script_where_the_statement_begins(tmp_path):
    db = str(tmp_path / "db")
    script = ("SELECT 1;\n"
              "\n"
              "-- a comment before it does not count as its first line\n"
              "SELEC 2;\n"
              "SELECT\n  3 +\n  nope;\n"
              "SELECT 4;\n")
    r = kintsugi("sql", db, "--create", "-B", "-f", stdin=script)
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["1", "1", "4", "4"]
    assert r.stderr.splitlines() == [
        f"ERROR 1064 (42000) at line 4: {SYNTAX}",
        "ERROR 1054 (42S22) at line 5: Unknown column 'nope' in 'field list'"]
    # without -f the script stops at line 4: the first statement ran, nothing after it
    r = kintsugi("sql", db, "-B", stdin=script)
    assert r.returncode == 1 and r.stdout.splitlines() == ["1", "1"]
    assert r.stderr.splitlines() == [f"ERROR 1064 (42000) at line 4: {SYNTAX}"]


def test_a_syntax_error_inside_a_statement_counts_its_own_lines(tmp_path):
    """mysqld's "at line M" counts from the statement's first line; the client's "at line N"
    from the script's."""
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-B", stdin="SELECT 1;\nSELECT 2,\n  3 FRM x;\n")
    assert r.returncode == 1
    assert r.stderr.startswith("ERROR 1064 (42000) at line 2: You have an error")
    assert r.stderr.rstrip().endswith("at line 2"), r.stderr


def test_an_unterminated_string_runs_what_precedes_it(tmp_path):
    """Text that cannot be split (an open quote) is reported at its statement's line; the
    statements before it run, as in mysql."""
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-B", "-f",
                 stdin="SELECT 1;\nSELECT 'abc;\nSELECT 3;\n")
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["1", "1"]
    assert r.stderr.startswith("ERROR 1064 (42000) at line 2: You have an error"), r.stderr
    assert "near ''abc;" in r.stderr


def test_a_script_does_not_load_the_interactive_client(tmp_path):
    """-e and pipes never import prompt_toolkit (the interactive client's library)."""
    db = str(tmp_path / "db")
    code = ("import sys\nfrom click.testing import CliRunner\nfrom tui.cli import main\n"
            f"r = CliRunner().invoke(main, ['sql', {db!r}, '--create', '-e', 'SELECT 1'])\n"
            "print(r.exit_code, 'prompt_toolkit' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.stdout.split() == ["0", "False"], r.stdout + r.stderr


def test_mysql_client_syntax_in_scripts(tmp_path):
    """\\G and \\g end statements, `use db` needs no `;`, `source`/`\\.` run files (nested,
    errors naming the file and its line), a BOM at the start is skipped."""
    db = str(tmp_path / "db")
    inner = tmp_path / "inner.sql"
    inner.write_text("SELECT 'inner' AS w;\n\nSELECT * FROM nowhere;\nSELECT 'not run';\n")
    outer = tmp_path / "outer.sql"
    outer.write_text(f"SELECT 'outer' AS w;\n\\. {inner}\n")
    script = ("\ufeffCREATE DATABASE s2;\nuse s2\nSELECT DATABASE() AS d, 2 AS n\\G\n"
              f"SELECT 'a\\G' AS q\\g\nsource {outer}\nSELECT 'after';\n")
    r = kintsugi("sql", db, "--create", stdin=script)
    assert r.returncode == 1
    assert "*************************** 1. row ***************************\n"\
           "d: s2\nn: 2\n" in r.stdout
    assert "| a\\G |" in r.stdout or "| aG |" in r.stdout  # in a string it is no terminator
    assert "| outer |" in r.stdout and "| inner |" in r.stdout
    assert "not run" not in r.stdout and "after" not in r.stdout
    assert r.stderr.splitlines() == [
        f"ERROR 1146 (42S02) at line 3 in file: '{inner}': Table 's2.nowhere' doesn't exist"]


def test_scripts_refuse_delimiter_bad_files_and_endless_sourcing(tmp_path):
    db = str(tmp_path / "db")
    r = kintsugi("sql", db, "--create", "-B", stdin="SELECT 1;\nDELIMITER //\nSELECT 2//\n")
    assert r.returncode == 1 and r.stdout.splitlines() == ["1", "1"]
    assert r.stderr.startswith("ERROR 1235 (42000) at line 2: This version of KintsugiDB "
                               "doesn't yet support 'DELIMITER'")
    binary = tmp_path / "bin.sql"
    binary.write_bytes(b"SELECT '\xff\xfe';\n")
    r = kintsugi("sql", db, "-B", "-e", f"SELECT 1;\nsource {binary}\nSELECT 2;")
    assert r.returncode == 1 and r.stdout.splitlines() == ["1", "1"]
    assert r.stderr.splitlines() == [
        f"ERROR 1105 (HY000) at line 2: Failed to read file '{binary}': not UTF-8 text "
        "(byte 0xff at offset 8)"]
    loop = tmp_path / "loop.sql"
    loop.write_text(f"source {loop}\n")
    r = kintsugi("sql", db, "-B", "-e", f"source {loop}")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().endswith("files source each other more than 16 deep"), r.stderr
    assert f"in file: '{loop}'" in r.stderr
