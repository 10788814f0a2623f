"""The `kintsugi` command line, run as a user would."""

from __future__ import annotations

import os

from click.testing import CliRunner

from core.kv import Engine
from tui.cli import main


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for cmd in ("demo", "info", "recover", "sql", "open"):
        assert cmd in result.output
    for cmd in ("demo", "info", "recover", "sql", "open"):
        sub = CliRunner().invoke(main, [cmd, "--help"])
        assert sub.exit_code == 0 and "Usage:" in sub.output


def test_info_on_a_missing_directory_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["info", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "ERROR 1049" in result.output and "Traceback" not in result.output


def test_info_on_a_locked_directory_names_the_holder(tmp_path):
    path = str(tmp_path / "db")
    with Engine.open(path, create=True, flush_interval=0):
        result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 1
    assert f"in use by process {os.getpid()}" in result.output


def test_demo_builds_crashes_and_recovers(tmp_path):
    path = str(tmp_path / "demo")
    # no terminal here, so the demo prints the recovery instead of opening the console
    result = CliRunner().invoke(main, ["demo", path, "--no-console", "--scale", "0.2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Database was not shutdown normally" in out
    assert "40 committed transaction(s), 1 without COMMIT" in out  # all replayed from the log
    assert "Rolled back trx with id" in out  # the open transaction at the kill
    assert "shop.orders" in out and "shop.customers" in out
    # the committed orders survived: 10,000 built + 40 x 25 committed by the child; the
    # 3,000 of the open transaction did not
    import core

    with core.connect(path, database="shop", flush_interval=0) as conn:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*), MAX(id) FROM orders")
        assert cur.fetchone() == (11_000, 11_000)
        cur.execute("SELECT COUNT(*) FROM order_items WHERE order_id > 11000")
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
    assert "ERROR 1030" in result.output and f"in use by process {os.getpid()}" in result.output


def test_console_needs_a_terminal(tmp_path):
    path = str(tmp_path / "db")
    Engine.open(path, create=True, flush_interval=0).close()
    result = CliRunner().invoke(main, [path])
    assert result.exit_code == 2 and "needs a terminal" in result.output
