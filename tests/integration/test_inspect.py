"""`core.api.inspect` / `kintsugi info`: read-only, on a crashed database and on one that
another process holds."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys

from click.testing import CliRunner

import core
from core.api import inspect
from tui.cli import main

from .test_dump import CHILD, ROOT, crashed_writer, damage_log_middle, kintsugi


def snapshot(path: str) -> dict[str, str]:
    """Every file under `path` (LMDB -lock files and LOCK included) -> its SHA-256."""
    out = {}
    for root, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def test_info_on_a_crashed_database_reports_and_changes_nothing(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    before = snapshot(path)
    assert any(n.endswith(".kdb-lock") for n in before)  # the -lock files are checked too
    st = inspect(path)
    assert st.recovery_needed and not st.clean_shutdown and st.held_by_pid is None
    assert st.records_past_checkpoint >= 21 and st.committed_past_checkpoint >= 20
    assert st.redo_bytes_past_checkpoint == st.end_lsn - st.checkpoint_lsn > 0
    assert st.row_operations_to_apply >= 200 and st.log_damage is None
    assert [s.seq for s in st.segments] == [1]
    assert st.history == ()  # no open has recovered yet
    names = {ts.name: ts for ts in st.tablespaces}
    assert names["system (dictionary)"].space_id == 0 and "test.t" in names
    result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 0, result.output
    assert (f"Recovery needed  yes — {st.redo_bytes_past_checkpoint:,} bytes / "
            f"{st.records_past_checkpoint:,} records of redo past the checkpoint; "
            f"`kintsugi recover {os.path.abspath(path)}` runs it") in result.output
    assert snapshot(path) == before  # not one byte written, no file created or removed
    # recovery does what info announced; afterwards there is nothing left to do
    rec = CliRunner().invoke(main, ["recover", path])
    assert rec.exit_code == 0 and "[Note] [KintsugiDB] Database was not shutdown normally!" \
        in rec.output
    after = inspect(path)
    assert not after.recovery_needed and after.clean_shutdown
    assert after.records_past_checkpoint == 0
    t = next(ts for ts in after.tablespaces if ts.name == "test.t")
    assert t.entries == 200 and t.applied_lsn > 0 and not t.missing
    assert [r.reason for r in after.history] == ["crash"]  # read from system.kdb
    assert after.history[0].records_applied == st.row_operations_to_apply
    assert "Recovery history (1 row(s)" in CliRunner().invoke(main, ["info", path]).output


def test_info_reports_log_damage_with_file_and_lsn(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    before = snapshot(path)
    st = inspect(path)
    assert st.log_damage is not None
    assert st.log_damage.file.endswith("redo.00000001")
    # the record holding the flipped bytes (LSN 8192 + 3800) is where the readable log ends
    assert st.checkpoint_lsn < st.log_damage.lsn <= 8192 + 3800
    assert st.end_lsn == st.log_damage.lsn
    assert "checksum mismatch" in st.log_damage.reason.replace("CRC", "checksum")  # either wording
    result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 0
    assert f"Log damage       at lsn {st.log_damage.lsn}" in result.output
    assert "--discard-damaged-log" in result.output and "Traceback" not in result.output
    assert snapshot(path) == before


HOLDER = """
import sys
import core
conn = core.connect(sys.argv[1], create=True, autocommit=True)
conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
conn.execute("INSERT INTO t VALUES (1), (2), (3)")
print("READY", flush=True)
sys.stdin.read()
conn.close()
"""


def test_info_works_while_another_process_holds_the_database(tmp_path):
    path = str(tmp_path / "db")
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, path], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY"
        st = inspect(path)
        assert st.held_by_pid == proc.pid and not st.recovery_needed
        assert all(not ts.error for ts in st.tablespaces), st.tablespaces
        result = CliRunner().invoke(main, ["info", path])
        assert result.exit_code == 0, result.output
        assert f"open in process {proc.pid}" in result.output
        # an opener is refused, told who holds it and what works meanwhile
        r = kintsugi("sql", path, "-e", "SELECT 1")
        assert r.returncode == 1 and "ERROR 1030" in r.stderr
        assert f"held by process {proc.pid} (python -c" in r.stderr
        assert f"`kintsugi info {os.path.abspath(path)}` reads it while it is held" in r.stderr
        assert f"stop process {proc.pid}" in r.stderr and "inspect()" not in r.stderr
        try:
            core.connect(path)
        except core.Error as err:  # the API names its function, not the command
            assert err.errno == 1030 and "inspect()" in err.msg
        else:
            raise AssertionError("a second opener must be refused")
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert inspect(path).clean_shutdown


def test_inspect_in_the_process_that_holds_the_database(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True, flush_interval=0) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        st = inspect(path)
        assert st.held_by_pid == os.getpid() and not st.recovery_needed
        assert all(not ts.error for ts in st.tablespaces), st.tablespaces
        assert st.records_past_checkpoint > 0  # nothing flushed: all of it in the redo
    assert core.inspect(path).clean_shutdown  # the package exports the function


def test_missing_directory_not_a_database_and_locked_are_told_apart(tmp_path):
    missing = str(tmp_path / "none")
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["info", missing], [missing], ["sql", missing, "-e", "SELECT 1"],
                 ["dump", missing], ["recover", missing]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1 and "ERROR 1049" in r.output, (args, r.output)
        assert "does not exist" in r.output and "no control file" not in r.output, r.output
        assert "Traceback" not in r.output
    for args in (["info", str(empty)], [str(empty)], ["dump", str(empty)]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1 and "ERROR 1049" in r.output, (args, r.output)
        assert "exists but has no control file" in r.output, r.output
    r = CliRunner().invoke(main, [str(empty)])
    assert "use --create" in r.output and "create=True" not in r.output


def test_recover_ends_a_forced_open_with_a_warning_that_says_what_next(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    r = CliRunner().invoke(main, ["recover", path])
    assert r.exit_code == 1 and "ERROR 1877" in r.output
    assert f"kintsugi dump {path} --force-recovery 1 > dump.sql" in r.output
    r = CliRunner().invoke(main, ["recover", path, "--force-recovery", "1"])
    assert r.exit_code == 0, r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("[Warning] [KintsugiDB] Forced recovery (--force-recovery 1)")
    assert "was not applied" in last and f"kintsugi dump {path} --force-recovery 1" in last
    assert "--discard-damaged-log" in last


def test_sigkill_of_the_child_is_real(tmp_path):
    """The crash helper really kills: the directory lock is free at once afterwards and the
    control file still says the database is open."""
    path = str(tmp_path / "db")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, path], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY"
    assert inspect(path).held_by_pid == proc.pid
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    st = inspect(path)
    assert st.held_by_pid is None and st.recovery_needed


def test_dump_then_discard_the_damaged_log_leads_to_a_writable_database(tmp_path):
    """The way out the 1877 hint gives: dump under --force-recovery 1, then
    --discard-damaged-log; the database opens writable again."""
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    saved = kintsugi("dump", path, "--force-recovery", "1")
    assert saved.returncode == 0, saved.stderr
    r = CliRunner().invoke(main, ["recover", path, "--force-recovery", "1",
                                  "--discard-damaged-log"])
    assert r.exit_code == 0, r.output
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("[Warning] [KintsugiDB]") and "writable again" in last
    assert not inspect(path).recovery_needed and inspect(path).log_damage is None
    w = kintsugi("sql", path, "-e", "INSERT INTO t VALUES (100000, 'after'); "
                 "SELECT COUNT(*) FROM t")
    assert w.returncode == 0, w.stderr
