"""The interactive `kintsugi sql DIR`, driven through a pseudo-terminal as a user types.

Each test starts the real client (`python -m tui.cli sql DIR`) under pexpect and waits for
what the user sees: the `kintsugi [db]>` prompt, the tables, the `ERROR nnnn` lines.  Keys
are sent only once the prompt is back, as a person would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pexpect
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPT_STARTS = "\x1b[?2004h"  # bracketed paste on: a prompt begins
INPUT_ACCEPTED = "\x1b[?2004l"  # and off: the input was accepted (or cleared by Ctrl+C)
TIMEOUT = 60  # generous for a loaded machine; each step normally takes well under a second


def kintsugi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> str:
    db = str(tmp_path_factory.mktemp("client") / "db")
    r = kintsugi("sql", db, "--create", "-e",
                 "CREATE DATABASE shop; USE shop; "
                 "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20), "
                 "city VARCHAR(20)); "
                 "INSERT INTO customers VALUES (1, 'Ann', 'Oslo'), (2, 'Bob', 'Rome'); "
                 "CREATE TABLE a (id INT PRIMARY KEY); "
                 "INSERT INTO a WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                 "FROM s WHERE n < 300) SELECT n FROM s")
    assert r.returncode == 0, r.stderr
    return db


@pytest.fixture
def history(tmp_path) -> str:
    return str(tmp_path / "history.jsonl")


class Client:
    """The client in a pty: `run()` types a line and waits for the prompt after it."""

    def __init__(self, db: str, history: str, *args: str, env: dict | None = None,
                 size: tuple[int, int] = (40, 120)) -> None:
        environ = {k: v for k, v in os.environ.items() if k not in ("PAGER", "EDITOR")}
        environ.update(KINTSUGI_HISTORY_FILE=history, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm",
                       KINTSUGI_PAGER="0")
        environ.update(env or {})
        self.child = pexpect.spawn(sys.executable, ["-m", "tui.cli", "sql", db, *args],
                                   cwd=ROOT, env=environ, dimensions=size,
                                   encoding="utf-8", timeout=TIMEOUT)

    def prompt(self, db: str = "shop") -> str:
        """Wait for the prompt; returns what was printed before it."""
        self.child.expect_exact(f"kintsugi [{db}]>")
        return self.child.before

    def until_prompt(self, db: str = "shop") -> str:
        """What is printed until the next prompt starts (prompt_toolkit turns bracketed
        paste on, `ESC[?2004h`, as each prompt begins: the prompt's text alone is drawn
        again at every key)."""
        self.child.expect_exact(PROMPT_STARTS)
        out = self.child.before
        self.prompt(db)
        return out

    def run(self, line: str, db: str = "shop") -> str:
        """Type `line` and Enter; what the client printed for it."""
        self.child.send(line + "\r")
        self.child.expect_exact(INPUT_ACCEPTED)
        return self.until_prompt(db)

    def quit(self) -> int:
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def client(shop, history):
    c = Client(shop, history, "-D", "shop")
    c.prompt()
    yield c
    c.close()


def test_a_multi_line_statement_ended_by_backslash_g_prints_rows_vertically(client):
    client.child.send("SELECT id, name\r")
    client.child.expect_exact("->")  # the continuation prompt: the statement is unfinished
    client.child.send("FROM customers\r")
    client.child.expect_exact("->")
    out = client.run("ORDER BY id\\G")
    assert "*************************** 1. row ***************************" in out
    assert "  id: 1\r\nname: Ann" in out
    assert "*************************** 2. row ***************************" in out
    assert "2 rows in set (" in out
    out = client.run("SELECT COUNT(*) AS n FROM customers;")
    assert "| n |" in out and "| 2 |" in out and "1 row in set (" in out
    out = client.run("UPDATE customers SET city = 'Oslo' WHERE id = 1;")
    assert "Query OK, 0 rows affected (" in out
    out = client.run("SELECT * FROM customers WHERE id > 5;")
    assert "Empty set (" in out
    assert client.quit() == 0


def test_tab_completes_columns_tables_and_databases(client):
    client.child.send("SELECT na\t")
    time.sleep(0.3)
    client.child.send(" FROM custom\t")
    time.sleep(0.3)
    out = client.run(" ORDER BY id;")
    assert "| name |" in out and "| Bob  |" in out and "2 rows in set" in out
    client.child.send("use te\t")
    time.sleep(0.3)
    out = client.run("", db="test")
    assert "Database changed" in out
    client.child.send("SELECT COUNT(*) FROM shop.cus\t")
    time.sleep(0.3)
    out = client.run(";", db="test")
    assert "| COUNT(*) |" in out and "|        2 |" in out


def test_errors_keep_the_client_and_warnings_show_with_backslash_w(client):
    out = client.run("SELEC 1;")
    assert "ERROR 1064 (42000): You have an error in your SQL syntax" in out
    assert "at line 1:" not in out  # mysql's interactive form: no script line
    out = client.run("SELECT 1/0 AS q;")
    assert "1 row in set, 1 warning (" in out
    assert "Warning (Code 1365)" not in out
    assert "Show warnings enabled." in client.run("\\W")
    out = client.run("SELECT 1/0 AS q;")
    assert "Warning (Code 1365): Division by 0" in out


def test_use_source_status_and_help(client, tmp_path):
    script = tmp_path / "load.sql"
    script.write_text("SELECT 'from the file' AS f;\n\nSELECT * FROM nowhere;\nSELECT 3;\n")
    out = client.run(f"source {script}")
    assert "from the file" in out
    assert f"ERROR 1146 (42S02) at line 3 in file: '{script}': Table 'shop.nowhere'" in out
    assert "| 3 |" not in out  # a sourced file stops at its first error
    out = client.run("\\u test", db="test")
    assert "Database changed" in out
    out = client.run("\\s", db="test")
    assert "Current database:   test" in out
    assert "Database directory:" in out and "Server version:" in out and "Uptime:" in out
    assert "Transaction:        none" in out
    client.run("BEGIN;", db="test")
    assert "Transaction:        open" in client.run("status", db="test")
    client.run("ROLLBACK;", db="test")
    out = client.run("help", db="test")
    assert "source    (\\.) Execute an SQL script file" in out
    assert "ERROR 1049 (42000): Unknown database 'nope'" in client.run("use nope", db="test")


def test_ctrl_c_cancels_the_running_statement_and_the_client_stays(client, history):
    client.child.send("SELECT COUNT(*) FROM a w, a x, a y, a z;\r")  # 8.1e9 rows: never ends
    client.child.expect_exact(INPUT_ACCEPTED)
    time.sleep(1.0)
    client.child.sendintr()
    out = client.until_prompt()
    assert "ERROR 1317 (70100): Query execution was interrupted" in out
    assert "|        2 |" in client.run("SELECT COUNT(*) FROM customers;")
    # Ctrl+C at the prompt clears the line being typed, nothing runs
    client.child.send("SELECT 'never run'")
    time.sleep(0.3)
    client.child.sendintr()
    client.child.expect_exact(INPUT_ACCEPTED)
    assert "never run" not in client.until_prompt()
    out = client.run("SELECT 'ran' AS r;")
    assert "| ran |" in out
    assert client.quit() == 0
    entries = [json.loads(line) for line in open(history, encoding="utf-8")]
    cancelled = [e for e in entries if e["sql"].startswith("SELECT COUNT(*) FROM a w")]
    assert cancelled and cancelled[0]["status"] == "cancelled"
    assert cancelled[0]["error"].startswith("ERROR 1317")
    assert not any("never run" in e["sql"] for e in entries)


def test_history_is_the_consoles_file(shop, history):
    """What the console ran comes back with Up; what the client runs is written as the
    console writes its own entries."""
    with open(history, "w", encoding="utf-8") as f:
        f.write(json.dumps({"sql": "SELECT 'from the console' AS c", "ts": 1.0,
                            "database": "shop", "path": shop, "status": "ok", "rows": 1,
                            "seconds": 0.01, "error": ""}) + "\n")
    c = Client(shop, history, "-D", "shop")
    try:
        c.prompt()
        c.child.send("\x1b[A")  # Up: the newest entry, the console's statement
        time.sleep(0.3)
        out = c.run(";")
        assert "| from the console |" in out
        c.run("SELECT 7 AS seven;")
        assert c.quit() == 0
    finally:
        c.close()
    entries = [json.loads(line) for line in open(history, encoding="utf-8")]
    mine = entries[-1]
    assert mine["sql"] == "SELECT 7 AS seven"
    assert mine["status"] == "ok" and mine["rows"] == 1 and mine["database"] == "shop"
    assert mine["path"] == shop and mine["seconds"] >= 0
    assert entries[-2]["sql"] == "SELECT 'from the console' AS c"


@pytest.mark.parametrize(("answer", "said", "kept"), [("c", "Committed.", True),
                                                       ("r", "Rolled back.", False)])
def test_quitting_with_an_open_transaction_asks(shop, history, answer, said, kept):
    c = Client(shop, history, "-D", "shop")
    value = 1000 if kept else 2000
    try:
        c.prompt()
        c.run("BEGIN;")
        c.run(f"INSERT INTO a VALUES ({value});")
        c.child.sendcontrol("d")
        c.child.expect_exact("A transaction is open. [c]ommit it, [r]oll it back, or [s]tay?")
        c.child.send("s\r")  # stay: nothing is decided yet
        c.child.expect_exact("Staying; the transaction is still open.")
        c.prompt()
        c.child.sendcontrol("d")
        c.child.expect_exact("[s]tay?")
        c.child.send(answer + "\r")
        c.child.expect_exact(said)
        c.child.expect_exact("Bye")
        c.child.expect(pexpect.EOF)
        c.child.close()
        assert c.child.exitstatus == 0
    finally:
        c.close()
    r = kintsugi("sql", shop, "-D", "shop", "-B", "-e",
                 f"SELECT COUNT(*) FROM a WHERE id = {value}")
    assert r.stdout.splitlines() == ["COUNT(*)", "1" if kept else "0"], r.stderr


def test_backslash_e_edits_the_input_in_editor(shop, history, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\necho \"SELECT 42 AS answer;\" > \"$1\"\n")
    editor.chmod(0o755)
    c = Client(shop, history, "-D", "shop", env={"EDITOR": str(editor), "VISUAL": ""})
    try:
        c.prompt()
        c.child.send("SELECT 1\\e\r")  # the editor replaces the input; Enter then runs it
        time.sleep(1.0)
        c.child.send("\r")
        c.child.expect_exact("| answer |")
        c.child.expect_exact("|     42 |")
    finally:
        c.close()


def test_a_pager_takes_the_results_when_asked(shop, history):
    c = Client(shop, history, "-D", "shop", "--pager",
               env={"PAGER": "sed 's/^/paged: /'"})
    try:
        c.prompt()
        out = c.run("SELECT 5 AS five;")
        assert "paged: | five |" in out and "paged: 1 row in set" in out
        assert "PAGER set to stdout" in c.run("nopager")
        out = c.run("SELECT 6 AS six;")
        assert "| six |" in out and "paged:" not in out
    finally:
        c.close()


def test_by_default_only_a_result_taller_than_the_screen_is_paged(shop, history):
    c = Client(shop, history, "-D", "shop", env={"PAGER": "sed 's/^/paged: /'",
                                                  "KINTSUGI_PAGER": ""}, size=(12, 100))
    try:
        c.prompt()
        out = c.run("SELECT id FROM a WHERE id <= 3;")
        assert "|  3 |" in out and "paged:" not in out
        out = c.run("SELECT id FROM a WHERE id <= 30;")
        assert "paged: | 30 |" in out and "paged: 30 rows in set" in out
    finally:
        c.close()


def test_a_closed_terminal_rolls_back_and_closes_cleanly(shop, history):
    """SIGHUP (the terminal window closed, the SSH link dropped) leaves as a quit does: the
    open transaction is rolled back and the database closed, so no recovery is needed."""
    import signal

    c = Client(shop, history, "-D", "shop")
    try:
        c.prompt()
        c.run("BEGIN;")
        c.run("INSERT INTO a VALUES (3000);")
        c.child.kill(signal.SIGHUP)
        c.child.expect(pexpect.EOF)
    finally:
        c.close()
    r = kintsugi("sql", shop, "-D", "shop", "-B", "-e", "SELECT COUNT(*) FROM a WHERE id = 3000")
    assert r.stdout.splitlines() == ["COUNT(*)", "0"]
    assert "Recovered after a crash" not in r.stderr, r.stderr


def test_a_source_file_that_is_not_utf8_keeps_the_client_and_its_transaction(client,
                                                                            tmp_path):
    binary = tmp_path / "bin.sql"
    binary.write_bytes(b"INSERT INTO a VALUES (7001);\n-- \xff\xfe\n")
    client.run("BEGIN;")
    client.run("INSERT INTO a VALUES (7000);")
    out = client.run(f"source {binary}")
    assert (f"ERROR 1105 (HY000): Failed to read file '{binary}': not UTF-8 text (byte 0xff "
            "at offset 32)") in out
    assert "Transaction:        open" in client.run("status")
    out = client.run("SELECT COUNT(*) AS n FROM a WHERE id >= 7000;")
    assert "| 1 |" in out  # the file ran nothing, the transaction's own row is still there
    client.run("ROLLBACK;")
    assert client.quit() == 0


def test_ctrl_c_stops_the_rest_of_that_input(client):
    client.child.send("SELECT COUNT(*) FROM a w, a x, a y, a z; INSERT INTO a VALUES (7100);"
                      "\r")
    client.child.expect_exact(INPUT_ACCEPTED)
    time.sleep(1.0)
    client.child.sendintr()
    out = client.until_prompt()
    assert "ERROR 1317 (70100): Query execution was interrupted" in out
    assert "Query OK" not in out
    out = client.run("SELECT COUNT(*) AS n FROM a WHERE id = 7100;")
    assert "| 0 |" in out
    assert client.quit() == 0


def test_backslash_c_inside_an_open_string_is_text(client):
    client.child.send("SELECT 'a;\r")
    client.child.expect_exact("->")
    client.child.send("b\\c\r")  # in the string: the input goes on, it is not cleared
    client.child.expect_exact("->")
    out = client.run("' AS s;")
    assert "1 row in set" in out and "bc" in out


def test_a_history_file_with_torn_or_mistyped_lines_still_starts(shop, history):
    with open(history, "wb") as f:
        f.write(b'{"sql": "SELECT 41 + 1 AS answer", "ts": 1}\n{"sql": null}\n'
                b'{"sql": 5, "ts": "x"}\n{"sql": "INSERT INTO t VALUES (\xc3')
    c = Client(shop, history, "-D", "shop")
    try:
        c.prompt()
        c.child.send("\x1b[A")  # Up: the one good entry
        time.sleep(0.3)
        out = c.run(";")
        assert "| answer |" in out and "|     42 |" in out
        assert c.quit() == 0
    finally:
        c.close()


def test_delimiter_is_refused_with_1235(client):
    out = client.run("DELIMITER //")
    assert "ERROR 1235 (42000): This version of KintsugiDB doesn't yet support 'DELIMITER'" in out
    assert "| 1 |" in client.run("SELECT 1;")
