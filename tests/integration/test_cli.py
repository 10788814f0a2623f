"""The `kintsugi` command line, run as a user would."""

from __future__ import annotations

import os

from click.testing import CliRunner

from core.kv import Engine
from tui.cli import main

COMMANDS = ("backup", "binlog", "check", "demo", "dump", "info", "open", "recover", "restore",
            "sql")


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:")[1].strip().splitlines()
    # every command, each with a whole one-line description (no "..." cut)
    assert [line.split()[0] for line in listed] == list(COMMANDS)
    assert all(len(line.split()) > 3 and not line.endswith("...") for line in listed)
    for cmd in COMMANDS:
        assert f"kintsugi {cmd if cmd != 'open' else 'DIR'}" in result.output  # the summary
        sub = CliRunner().invoke(main, [cmd, "--help"])
        assert sub.exit_code == 0 and "Usage:" in sub.output


def test_every_opening_command_has_the_same_flags():
    for cmd in ("open", "sql", "recover", "dump", "demo", "check"):
        text = CliRunner().invoke(main, [cmd, "--help"]).output
        assert "--force-recovery N" in text and '--scan-directories "DIR;DIR"' in text, cmd
        assert "force_recovery" not in text and "scan_directories" not in text
    assert "--discard-damaged-log" in CliRunner().invoke(main, ["recover", "--help"]).output


def test_engine_wording_becomes_flags():
    from tui.cli import _cli_wording

    text = _cli_wording("open with force_recovery >= 1, scan_directories=['/a', '/b'] or "
                        "discard_damaged_log=True; use --create (create=True)")
    assert text == ('open with --force-recovery 1, --scan-directories "/a;/b" or '
                    "--discard-damaged-log; use --create")


def test_info_on_a_missing_directory_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["info", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "ERROR 1049" in result.output and "Traceback" not in result.output


def test_info_reads_a_directory_that_is_held(tmp_path):
    path = str(tmp_path / "db")
    with Engine.open(path, create=True, flush_interval=0):
        result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 0, result.output
    assert f"open in process {os.getpid()}" in result.output


def test_demo_builds_crashes_and_recovers(tmp_path):
    path = str(tmp_path / "demo")
    # no terminal here, so the demo prints the recovery instead of opening the console
    result = CliRunner().invoke(main, ["demo", path, "--no-console", "--scale", "0.2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Database was not shutdown normally" in out
    import re

    import core

    # all replayed from the log: the writer's 40 commits, and the steps of the index build it
    # had started (each step of a DDL job is a transaction of its own)
    committed = re.search(r"(\d+) committed transaction\(s\), 1 without COMMIT", out)
    assert committed is not None and int(committed.group(1)) > 40, out
    assert "Rolled back trx with id" in out  # the open transaction at the kill
    assert "shop.orders" in out and "shop.customers" in out
    # the committed orders survived, up to the last one the writer acknowledged; the 3,000
    # of the open transaction did not

    acked = int(re.search(r"acknowledged orders up to #(\d+)", out).group(1))
    assert acked >= 11_000
    with core.connect(path, database="shop", flush_interval=0) as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*), MAX(id) FROM orders")
        assert cur.fetchone() == (acked, acked)
        cur.execute("SELECT COUNT(*) FROM order_items WHERE order_id > %s", (acked,))
        assert cur.fetchone() == (0,)
    again = CliRunner().invoke(main, ["recover", path])
    assert again.exit_code == 0 and "not shutdown normally" not in again.output


def test_console_on_a_missing_directory_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, [str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "ERROR 1049" in result.output and "Traceback" not in result.output


def test_console_on_a_locked_directory_names_the_holder(tmp_path):
    path = str(tmp_path / "db")
    with Engine.open(path, create=True, flush_interval=0):
        result = CliRunner().invoke(main, [path])
    assert result.exit_code == 1
    assert "ERROR 1030" in result.output and f"held by process {os.getpid()}" in result.output
    assert f"`kintsugi info {path}` reads it while it is held" in result.output


def test_console_needs_a_terminal(tmp_path):
    path = str(tmp_path / "db")
    Engine.open(path, create=True, flush_interval=0).close()
    result = CliRunner().invoke(main, [path])
    assert result.exit_code == 2 and "needs a terminal" in result.output


def test_a_mistyped_command_is_no_such_command(tmp_path):
    """`kintsugi inf DIR` is a typo of `info`, not a database called `inf` with an extra
    argument; a path, or a new name with --create, still opens the console."""
    path = str(tmp_path / "db")
    result = CliRunner().invoke(main, ["inf", path])
    assert result.exit_code == 2
    assert "No such command 'inf'. Did you mean 'info'?" in result.output
    assert "unexpected extra argument" not in result.output
    result = CliRunner().invoke(main, ["recovr"])
    assert "No such command 'recovr'. Did you mean 'recover'?" in result.output
    result = CliRunner().invoke(main, ["mydb", "extra"])  # not a command, not a path
    assert result.exit_code == 2 and "No such command 'mydb'." in result.output
    # not typos: a path (existing or not) and a new name followed by options go to `open`
    os.makedirs(tmp_path / "info")  # a directory that happens to be named like a command
    for args in ([str(tmp_path / "nope")], ["nodb"], ["./inf"], [str(tmp_path / "info")]):
        result = CliRunner().invoke(main, args)
        assert "No such command" not in result.output, args
        assert "ERROR 1049" in result.output, (args, result.output)
    for name in ("newdb", "infos"):  # to be created: even a name close to a command
        result = CliRunner().invoke(main, [name, "--create", "--no-such-flag"])
        assert "No such command" not in result.output and "--no-such-flag" in result.output


def test_info_says_what_entries_counts(tmp_path):
    import core

    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True)
    conn.execute("CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY ia (a))")
    conn.execute("INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
    conn.close()
    result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("space"))
    assert "entries" in lines[header]
    assert "entries = rows + secondary index entries" in lines[header + 1]
    row = next(line for line in lines if "test.t " in line)
    assert row.split()[2] == "6"  # 3 rows + 3 entries of index ia
