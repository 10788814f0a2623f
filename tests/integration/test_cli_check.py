"""`kintsugi check`: one line per index, repairs on request, an exit status for scripts."""

from __future__ import annotations

from click.testing import CliRunner

import core
from core import faults
from tui.cli import main


def make(tmp_path) -> str:
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as c:
        c.execute("CREATE DATABASE shop")
        c.execute("CREATE TABLE shop.t (a INT PRIMARY KEY, b INT, c INT, KEY ib (b), "
                  "KEY ic (c))")
        c.execute("INSERT INTO shop.t VALUES (1, 1, 1), (2, 2, 2), (3, 3, 3)")
        c.execute("CREATE TABLE test.u (a INT PRIMARY KEY, b INT, KEY ib (b))")
        c.execute("INSERT INTO test.u VALUES (1, 1)")
        faults.remove_index_entries(c, "shop.t", "ib", [2])
        faults.add_dangling_index_entry(c, "shop.t", "ic", [9], 9)
    return path


def test_check_reports_each_index_and_exits_2(tmp_path):
    path = make(tmp_path)
    r = CliRunner().invoke(main, ["check", path])
    assert r.exit_code == 2, r.output
    assert "shop.t.ib: INCONSISTENT: 1 missing, 0 dangling, 0 mismatched" in r.output
    assert "shop.t.ic: INCONSISTENT: 0 missing, 1 dangling, 0 mismatched" in r.output
    assert "test.u.ib: consistent (1 rows, 1 entries)" in r.output
    assert "Checked 3 index(es) of 2 table(s)" in r.output


def test_repair_fixes_each_index_with_the_statement_that_fits(tmp_path):
    path = make(tmp_path)
    r = CliRunner().invoke(main, ["check", path, "shop", "--repair"])
    assert r.exit_code == 0, r.output
    assert "repaired: ADMIN RECOVER INDEX shop.t ib -> ADDED_COUNT 1, SCAN_COUNT 3; " \
           "re-check: consistent" in r.output
    assert "repaired: ADMIN CLEANUP INDEX shop.t ic -> REMOVED_COUNT 1" in r.output
    assert "test.u" not in r.output.split("Checked")[0]  # only the database named
    again = CliRunner().invoke(main, ["check", path])
    assert again.exit_code == 0 and "INCONSISTENT" not in again.output


def test_errors_have_codes_and_exit_1(tmp_path):
    path = make(tmp_path)
    r = CliRunner().invoke(main, ["check", path, "nope"])
    assert r.exit_code == 1 and "ERROR 1049" in r.output
    r = CliRunner().invoke(main, ["check", path, "shop", "nope"])
    assert r.exit_code == 1 and "shop.nope: ERROR 1146" in r.output
    r = CliRunner().invoke(main, ["check", str(tmp_path / "missing")])
    assert r.exit_code == 1 and "ERROR 1049" in r.output


def test_a_forced_open_checks_but_does_not_repair(tmp_path):
    path = make(tmp_path)
    r = CliRunner().invoke(main, ["check", path, "shop", "--repair", "--force-recovery", "1"])
    assert r.exit_code == 1
    assert "ERROR 1881" in r.output and "INCONSISTENT: 1 missing" in r.output
