"""`kintsugi backup DIR DEST` and `kintsugi backup --verify DEST`: a summary line with the
LSN, GTID set, size, time and binlog position; problems one per line; MySQL-coded errors
and exit status 1."""

from __future__ import annotations

import os

from click.testing import CliRunner

import core
from tui.cli import main


def make(tmp_path) -> str:
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as c:
        c.execute("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
        c.execute("INSERT INTO t VALUES (1, 1), (2, 2)")
    return path


def test_backup_then_verify(tmp_path):
    src = make(tmp_path)
    dest = str(tmp_path / "bk")
    r = CliRunner().invoke(main, ["backup", src, dest])
    assert r.exit_code == 0, r.output
    info = core.read_backup(dest)
    assert f"consistent at LSN {info.lsn}, GTID set {info.gtid}" in r.output
    assert info.gtid.endswith(":1-2")
    assert f"the binlog continues at {info.binlog_file}:{info.binlog_pos}" in r.output
    assert " files, " in r.output and " s; " in r.output
    r = CliRunner().invoke(main, ["backup", "--verify", dest])
    assert r.exit_code == 0, r.output
    assert f"Backup {dest}: OK, {info.files} files" in r.output


def test_errors_have_codes_and_exit_1(tmp_path):
    src = make(tmp_path)
    dest = str(tmp_path / "bk")
    assert CliRunner().invoke(main, ["backup", src, dest]).exit_code == 0
    r = CliRunner().invoke(main, ["backup", src, dest])
    assert r.exit_code == 1
    assert "ERROR 1007 (HY000)" in r.output and "--force" in r.output
    assert CliRunner().invoke(main, ["backup", "--force", src, dest]).exit_code == 0
    with open(os.path.join(dest, "test", "t.kdb"), "r+b") as f:
        f.seek(100)
        f.write(b"\xff")
    r = CliRunner().invoke(main, ["backup", "--verify", dest])
    assert r.exit_code == 1
    assert f"{dest}/test/t.kdb: crc32c" in r.output
    assert "ERROR 1877 (HY000)" in r.output
    r = CliRunner().invoke(main, ["backup", str(tmp_path / "nope"), str(tmp_path / "bk2")])
    assert r.exit_code == 1 and "ERROR 1049" in r.output
    r = CliRunner().invoke(main, ["backup", "--verify", str(tmp_path)])
    assert r.exit_code == 1 and "manifest.json" in r.output
    r = CliRunner().invoke(main, ["backup", src])
    assert r.exit_code == 2 and "DEST" in r.output
