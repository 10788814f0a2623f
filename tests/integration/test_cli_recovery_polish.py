"""What a red team and a new user found in `kintsugi info`, `sql`, `dump` and `recover`
(issue 9): false log damage while a writer appends, a muddled damage report, silent
recoveries, a dump that loads a partial table, SQL injected through a name's newline, a dump
written over the database's own files, and messages that advise what does not work."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time

import core
from core.api import inspect
from core.dump import quote_identifier as q
from core.errors import LogCorruptionError

from .test_dump import ROOT, crashed_writer, damage_log_middle, kintsugi
from .test_force_skip_rows import _damage

WRITER = """
import sys
import core
conn = core.connect(sys.argv[1], create=True, autocommit=True)
conn.execute("CREATE TABLE w (id INT PRIMARY KEY, v VARCHAR(200))")
print("READY", flush=True)
i = 0
while True:
    conn.execute("INSERT INTO w VALUES " + ",".join(
        f"({i * 20 + j}, '{'x' * 150}')" for j in range(20)))
    i += 1
"""


# -- 1. info while another process writes ------------------------------------------------


def test_info_while_a_writer_appends_reports_no_damage(tmp_path):
    """The scan reaches the end of the log while the writer fills it in: that is the end of
    a write in progress, never "log damage ... a normal open refuses it"."""
    path = str(tmp_path / "db")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, path], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(0.5)
        seen = []
        for _ in range(10):
            st = inspect(path)
            assert st.held_by_pid == proc.pid
            seen.append(st.end_lsn)
            assert st.log_damage is None, (st.log_damage, seen)
            assert not st.log_being_written
        assert seen[-1] > seen[0]  # it was writing all along
        out = kintsugi("info", path)
        assert out.returncode == 0 and "Log damage" not in out.stdout, out.stdout
    finally:
        proc.kill()
        proc.wait()


def test_damage_in_a_held_log_that_stays_is_only_possibly_damage(tmp_path):
    """Damage that does not go away while the log is held is reported as possible, not as a
    verdict, with the advice to look again once the writer stops."""
    path = str(tmp_path / "db")
    conn = core.connect(path, create=True, autocommit=True, flush_interval=0)
    try:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40))")
        for i in range(20):
            conn.execute("INSERT INTO t VALUES " + ",".join(
                f"({i * 10 + j}, 'row {i * 10 + j}')" for j in range(10)))
        damage_log_middle(path)
        st = inspect(path)
        assert st.log_damage is not None and st.log_being_written
        from click.testing import CliRunner

        from tui.cli import main

        text = CliRunner().invoke(main, ["info", path]).output
        assert (f"possibly damaged at lsn {st.log_damage.lsn} (the log is being written by "
                f"process {os.getpid()}; run `kintsugi info {path}` again after it stops)"
                in " ".join(text.split()))
        assert "a normal open refuses it" not in text and "--discard-damaged-log" not in text
    finally:
        conn.close()


# -- 2. info on a damaged log --------------------------------------------------------------


def test_info_on_a_damaged_log_says_where_it_ends_and_what_lies_past(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    st = inspect(path)
    dmg = st.log_damage
    assert dmg is not None and not st.log_being_written
    assert dmg.valid_to_lsn > dmg.lsn == st.end_lsn
    assert dmg.committed_past > 0 and dmg.records_past >= dmg.committed_past
    assert "lsn" not in dmg.reason and "redo." not in dmg.reason  # said once, beside it
    assert st.max_trx_in_log > st.next_trx_id  # the control file is at the checkpoint
    r = kintsugi("info", path)
    out = r.stdout
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert (f"End of log       readable up to lsn {dmg.lsn} (" in out
            and f"; damaged at {dmg.lsn}; valid records continue to lsn {dmg.valid_to_lsn}"
            in out)
    assert f"{dmg.committed_past} committed transaction(s) that a normal open cannot apply" \
        in out
    damage_line = next(line for line in out.splitlines() if line.startswith("Log damage"))
    assert damage_line.count(str(dmg.lsn)) == 1 and damage_line.count("redo.00000001") == 1
    assert "kintsugi info" not in out  # info does not send the reader to itself
    assert "--discard-damaged-log" in out
    assert (f"Next trx id      {st.max_trx_in_log + 1} (from the redo log; the control file "
            f"says {st.next_trx_id}, as of the last checkpoint)") in out


def test_info_without_system_kdb_advises_a_restore(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    os.unlink(os.path.join(path, "system.kdb"))
    out = " ".join(kintsugi("info", path).stdout.split())
    assert "Restore system.kdb from a backup" in out
    assert "opens without them" not in out
    # what the old advice said to do does fail
    r = kintsugi("sql", path, "--force-recovery", "1", "-e", "SELECT 1")
    assert r.returncode == 1 and "system.kdb" in r.stderr


# -- 3, 4. no silent recovery --------------------------------------------------------------


def test_sql_and_dump_say_that_they_recovered(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    copy = str(tmp_path / "copy")
    shutil.copytree(path, copy)
    r = kintsugi("sql", path, "-e", "SELECT COUNT(*) FROM t")
    assert r.returncode == 0 and "200" in r.stdout
    # 200 rows, the dictionary's bootstrap and the first GC safe point (core.gc.worker)
    assert ("[Note] [KintsugiDB] Recovered after a crash: 209 row operation(s) re-applied, "
            f"0 open transaction(s) cleaned up; the full log is in "
            f"{os.path.join(path, 'kintsugi.err')}") in r.stderr
    assert "Recovered" not in r.stdout  # stdout is the result only
    d = kintsugi("dump", copy)
    assert d.returncode == 0 and "Recovered after a crash: 209 row operation(s)" in d.stderr
    again = kintsugi("sql", path, "-e", "SELECT 1")
    assert again.returncode == 0 and again.stderr == ""  # nothing to say the second time


def test_forced_dump_says_what_it_could_not_apply(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    r = kintsugi("dump", path, "--force-recovery", "1")
    assert r.returncode == 0
    warning = [line for line in r.stderr.splitlines() if line.startswith("[Warning]")]
    assert len(warning) == 1 and "was not applied" in warning[0]
    assert "committed transaction(s) in or after it, touching test.t" in warning[0]
    assert "Warning" not in r.stdout


def test_recover_on_a_clean_database_says_no_recovery_was_needed(tmp_path):
    path = str(tmp_path / "db")
    core.connect(path, create=True).close()
    r = kintsugi("recover", path)
    assert r.returncode == 0
    assert "[Note] [KintsugiDB] The last shutdown was clean: no recovery was needed." \
        in r.stdout


# -- 5. dump safety --------------------------------------------------------------------------


def test_a_table_failing_mid_dump_loads_empty_never_partial(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20))")
        conn.cursor().executemany("INSERT INTO t VALUES (%s, %s)",
                                  [(i, f"s{i}") for i in range(1, 3001)])
        conn.execute("CREATE TABLE u (id INT PRIMARY KEY)")
        conn.execute("INSERT INTO u VALUES (1), (2)")
    _damage(path, "t", {2500})  # two batches of rows are written before it is met
    r = kintsugi("dump", path)
    assert r.returncode == 1
    assert r.stdout.count("INSERT INTO `t`") == 2  # written before the damage was met...
    assert "START TRANSACTION;" in r.stdout and "ROLLBACK;" in r.stdout  # ...and undone
    assert "-- ERROR: table `test`.`t` was NOT dumped: ERROR 1877" in r.stdout
    assert ("table test.t is NOT in the dump (damaged row at key "
            "7480000000000000015f7280000000000009c4): run "
            f"`kintsugi dump {path} --force-recovery 1` to skip damaged rows and save the "
            "rest") in r.stderr
    new = str(tmp_path / "new")
    load = kintsugi("sql", new, "--create", stdin=r.stdout)
    assert load.returncode == 0, load.stderr
    with core.connect(new) as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM u").fetchone() == (2,)


def test_newlines_in_names_cannot_inject_sql_and_load_back(tmp_path):
    path = str(tmp_path / "r13\nCREATE DATABASE pwned;")
    schema, table, column = "d\nCREATE DATABASE pwned2;", "t\n-- x", "c\nDROP TABLE u;"
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {q(schema)}")
        conn.execute(f"CREATE TABLE {q(schema)}.{q(table)} ({q(column)} INT PRIMARY KEY, "
                     f"`b``q` VARCHAR(10), KEY {q('i' + chr(10) + 'x')} (`b``q`))")
        conn.execute(f"INSERT INTO {q(schema)}.{q(table)} VALUES (1, 'one'), (2, 'two')")
        conn.execute("CREATE TABLE u (id INT PRIMARY KEY)")
    r = kintsugi("dump", path)
    assert r.returncode == 0, r.stderr
    assert "\nCREATE DATABASE pwned;\n" not in r.stdout  # the directory's name, as SQL
    assert f"-- Directory: {os.path.dirname(path)}/r13\\nCREATE DATABASE pwned;" in r.stdout
    new = str(tmp_path / "new")
    load = kintsugi("sql", new, "--create", stdin=r.stdout)
    assert load.returncode == 0, load.stderr
    with core.connect(new, database=None) as conn:
        names = {row[0] for row in conn.execute("SHOW DATABASES").fetchall()}
        assert names == {"information_schema", "mysql", "test", schema}  # mysql: the GC tables
        cur = conn.execute(f"SELECT * FROM {q(schema)}.{q(table)} ORDER BY 1")
        assert cur.fetchall() == [(1, "one"), (2, "two")]
        assert [d[0] for d in cur.description] == [column, "b`q"]
        assert conn.execute("SELECT COUNT(*) FROM test.u").fetchone() == (0,)


def _hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_dump_output_files_are_checked(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    control = os.path.join(path, "control")
    before = _hash(control)
    for target in (control, os.path.join(path, "..", "db", "x.sql")):
        r = kintsugi("dump", path, "-o", target, "--force")
        assert r.returncode == 1 and r.stderr.startswith("ERROR 1210 (HY000): "), r.stderr
        assert "inside the database directory" in r.stderr
    assert _hash(control) == before and not os.path.exists(os.path.join(path, "x.sql"))
    assert kintsugi("sql", path, "-e", "SELECT COUNT(*) FROM t").returncode == 0
    existing = tmp_path / "k1.sql"
    existing.write_text("keep")
    r = kintsugi("dump", path, "-o", str(existing))
    assert r.returncode == 1 and existing.read_text() == "keep"
    assert r.stderr.strip() == (f"ERROR 1086 (HY000): File '{existing}' already exists; use "
                                "--force to overwrite it")
    r = kintsugi("dump", path, "-o", "/nonexistent/x.sql")
    assert r.returncode == 1 and r.stderr.startswith("ERROR 1017 (HY000): ")
    assert "'/nonexistent/x.sql'" in r.stderr and "partial" not in r.stderr


# -- 6. messages ---------------------------------------------------------------------------


def test_a_hint_is_a_sentence_of_its_own(tmp_path):
    from tui.cli import error_line

    line = error_line(LogCorruptionError("redo log corruption at lsn 5; open with "
                                         "force_recovery >= 1 to stop there"), "/d")
    assert "to stop there. Hint: Save what is readable" in line
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    r = kintsugi("sql", path, "-e", "SELECT 1")
    assert r.returncode == 1 and "there. Hint: Save" in r.stderr and "  " not in r.stderr


def test_create_is_advised_only_where_it_exists_and_works(tmp_path):
    missing = str(tmp_path / "none")
    for cmd in ("recover", "dump"):
        r = kintsugi(cmd, missing)
        assert r.returncode == 1 and "ERROR 1049" in r.stderr and "--create" not in r.stderr
    r = kintsugi("sql", missing, "-e", "SELECT 1")
    assert "use --create to make a new database there" in r.stderr
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("x")
    r = kintsugi("sql", str(full), "-e", "SELECT 1")
    assert "--create makes a database only in a missing or empty directory" in r.stderr
    assert "to make one there" not in r.stderr
    assert kintsugi("sql", str(full), "--create", "-e", "SELECT 1").returncode == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "use --create to make one there" in kintsugi("sql", str(empty), "-e", "1").stderr


def test_info_into_a_closed_pipe_is_quiet(tmp_path):
    """`kintsugi info DIR | head -1`: the reader is gone before info writes (closed here
    before the child has even started up); no ERROR 1030, exit 0, as `sql -B` does."""
    path = str(tmp_path / "db")
    core.connect(path, create=True).close()
    r, w = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "info", path], cwd=ROOT,
                            stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    os.close(r)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""


def test_sql_force_exits_1_after_an_error_and_says_so(tmp_path):
    path = str(tmp_path / "db")
    core.connect(path, create=True).close()
    r = kintsugi("sql", path, "-f", stdin="SELECT nosuch;\nSELECT 41 + 1;\n")
    assert r.returncode == 1 and "42" in r.stdout and "ERROR 1054" in r.stderr
    help_text = " ".join(kintsugi("sql", "--help").stdout.split())
    assert "exit status is still 1 if any statement failed" in help_text


def test_scan_directories_naming_no_directory_is_an_error(tmp_path):
    """`--scan-directories ";;"` (or "") names no directory: an error, not a silent normal
    open (the API's `scan_directories=[]` is the same 1210)."""
    db = str(tmp_path / "db")
    core.connect(db, create=True).close()
    for spelling in (";;", ""):
        res = kintsugi("sql", db, "--scan-directories", spelling, "-e", "SELECT 1")
        assert res.returncode == 1, res
        assert res.stderr.startswith("ERROR 1210 (HY000): --scan-directories names no "), res
    try:
        core.connect(db, scan_directories=[])
    except core.Error as err:
        assert err.errno == 1210
    else:
        raise AssertionError("scan_directories=[] opened")
