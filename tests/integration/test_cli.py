"""The `kintsugi` command line, run as a user would."""

from __future__ import annotations

import os

from click.testing import CliRunner

from core.storage.engine import Engine
from tui.cli import main


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for cmd in ("demo", "info", "recover"):
        assert cmd in result.output
    for cmd in ("demo", "info", "recover"):
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
    result = CliRunner().invoke(main, ["demo", path])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Database was not shutdown normally" in out
    assert "Rolled back trx with id" in out  # the open transaction at the kill
    assert "shop.orders" in out and "shop.customers" in out
    # committed orders survived: 20000 built + 10000 committed by the child, two keys each
    with Engine.open(path, flush_interval=0) as eng:
        orders = next(s for s, ts in eng.spaces.items() if ts.header.get("table") == "orders")
        with eng.snapshot() as snap:
            assert sum(1 for _ in snap.scan(orders)) == 2 * 30_000
    again = CliRunner().invoke(main, ["recover", path])
    assert again.exit_code == 0 and "not shutdown normally" not in again.output
