"""`kintsugi dump`: SQL that `kintsugi sql` loads back to the same data, also from a damaged
database opened with --force-recovery."""

from __future__ import annotations

import datetime as dt
import io
import os
import pty
import signal
import subprocess
import sys
from decimal import Decimal

import pytest

import core
from core.dump import DumpProgress, dump, sql_literal
from core.events import EventLog

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kintsugi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


ALL_TYPES = """CREATE TABLE every_type (
    id BIGINT AUTO_INCREMENT PRIMARY KEY, i INT NOT NULL DEFAULT 3, u INT UNSIGNED,
    ti TINYINT, big BIGINT UNSIGNED, bo BOOLEAN, d DECIMAL(30,10), f DOUBLE, fl FLOAT,
    c CHAR(4), v VARCHAR(80), tx TEXT, bl BLOB, vb VARBINARY(16),
    da DATE, dt DATETIME(6), ts TIMESTAMP, tm TIME(6),
    KEY idx_v (v), UNIQUE KEY uk_iu (i, u))"""

ROWS = [
    (1, -2147483648, 4294967295, -128, 18446744073709551615, 1,
     Decimal("12345678901234567890.0123456789"), 0.1, 1.100000023841858, "ab",
     "it's a \"quote\" and a \\ backslash", "line1\nline2\r\ttab\x00nul\x1aZ ü 日本 🎉",
     b"\x00\x01'\\\xff", b"", dt.date(1000, 1, 1), dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
     dt.datetime(2024, 1, 1, 0, 0, 1), dt.timedelta(hours=-838, minutes=-59, seconds=-59)),
    (2, 0, 0, 0, 0, 0, Decimal("-0.0000000001"), -1e300, -3.5, "", "", "", b"", b"x",
     dt.date(9999, 12, 31), dt.datetime(1970, 1, 1), dt.datetime(2038, 1, 19, 3, 14, 7),
     dt.timedelta(hours=838, minutes=59, seconds=58, microseconds=500001)),
    (3, 7, None, None, None, None, None, None, None, None, None, None, None, None, None, None,
     None, None),
    (4, 8, 1, 1, 1, 1, Decimal("1E+5"), 1.7976931348623157e308, 5e-324 * 0 + 1e-45, "1234",
     "%_ LIKE wildcards; semicolon; -- not a comment /* nor this */", "'", b"\n;", b"\\",
     dt.date(2000, 2, 29), dt.datetime(2000, 1, 1, 12), None, dt.timedelta(0)),
]


def _build(path: str) -> None:
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute(ALL_TYPES)
        conn.cursor().executemany(
            "INSERT INTO every_type VALUES (%s" + ", %s" * 17 + ")", ROWS)
        conn.execute("CREATE TABLE empty_one (id INT PRIMARY KEY, note VARCHAR(10))")
        conn.execute("CREATE TABLE many (id INT PRIMARY KEY, k INT, s VARCHAR(30), KEY ik (k))")
        conn.cursor().executemany("INSERT INTO many VALUES (%s, %s, %s)",
                                  [(i, i % 7, f"row {i} 'q'") for i in range(2500)])
        conn.execute("CREATE DATABASE `other db`")
        conn.execute("CREATE TABLE `other db`.`we``ird` (`a b` INT PRIMARY KEY)")
        conn.execute("INSERT INTO `other db`.`we``ird` VALUES (1), (2)")


def _contents(path: str) -> dict:
    out = {}
    with core.connect(path, database=None) as conn:
        cur = conn.cursor()
        for schema, table in [("test", "every_type"), ("test", "empty_one"), ("test", "many"),
                              ("other db", "we`ird")]:
            name = f"`{schema}`.`{table.replace('`', '``')}`"
            cur.execute(f"SELECT * FROM {name} ORDER BY 1")
            rows = cur.fetchall()
            cur.execute(f"SHOW CREATE TABLE {name}")
            out[(schema, table)] = (rows, cur.fetchone()[1])
    return out


def test_dump_loads_back_to_identical_data(tmp_path):
    src, dst = str(tmp_path / "src"), str(tmp_path / "dst")
    _build(src)
    r = kintsugi("dump", src)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # a pipe, not a terminal: no progress bar, nothing else
    text = r.stdout
    assert text.startswith("-- KintsugiDB dump")
    assert "CREATE DATABASE IF NOT EXISTS `test`;" in text and "USE `other db`;" in text
    assert "information_schema" not in text
    assert "DROP TABLE IF EXISTS `many`;" in text and "KEY `ik` (`k`)" in text
    # 2,500 rows: three multi-row INSERTs of at most 1,000 rows
    assert text.count("INSERT INTO `many`") == 3
    assert "INSERT INTO `empty_one`" not in text and "CREATE TABLE `empty_one`" in text
    load = kintsugi("sql", dst, "--create", stdin=text)
    assert load.returncode == 0, load.stderr
    before, after = _contents(src), _contents(dst)
    assert after == before
    rows = after[("test", "every_type")][0]
    assert rows[0][11] == ROWS[0][11] and rows[0][12] == ROWS[0][12]  # unicode, NUL, bytes
    assert len(after[("test", "many")][0]) == 2500


def test_dump_api_streams_progress_and_filters(tmp_path):
    src = str(tmp_path / "src")
    _build(src)
    out, events = io.StringIO(), EventLog()
    summary = dump(src, out, database="test", tables=["many"], sink=events, batch_rows=400)
    assert (summary.schemas, summary.tables, summary.rows, summary.failed) == (1, 1, 2500, [])
    progress = events.of(DumpProgress)
    assert progress[-1] == DumpProgress("test", "many", 2500, 2500, done=True)
    assert [p.rows for p in progress if not p.done][:3] == [0, 400, 800]
    assert out.getvalue().count("INSERT INTO `many`") == 7  # 400 rows per statement
    assert "every_type" not in out.getvalue()
    with pytest.raises(core.Error) as e:
        dump(src, io.StringIO(), database="test", tables=["nope"])
    assert e.value.errno == 1146


def test_literals():
    assert sql_literal(None) == "NULL"
    assert sql_literal("a'b\\c\n\x00\x1a\"") == "'a\\'b\\\\c\\n\\0\\Z\\\"'"
    assert sql_literal(b"\x00\xff") == "X'00FF'"
    assert sql_literal(Decimal("1E+5")) == "100000" and sql_literal(Decimal("-1E-10")) == \
        "-0.0000000001"
    assert float(sql_literal(0.1)) == 0.1 and sql_literal(float("nan")) == "NULL"
    assert sql_literal(dt.timedelta(days=-1, seconds=68403)) == "'-04:59:57'"
    assert sql_literal(dt.timedelta(hours=838, microseconds=5)) == "'838:00:00.000005'"
    assert sql_literal(dt.datetime(2024, 1, 2, 3, 4, 5, 6)) == "'2024-01-02 03:04:05.000006'"


def test_output_file_is_not_overwritten_without_force(tmp_path):
    src = str(tmp_path / "src")
    with core.connect(src, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
    target = tmp_path / "out.sql"
    target.write_text("keep me")
    r = kintsugi("dump", src, "-o", str(target))
    assert r.returncode == 1 and "use --force" in r.stderr and "ERROR 1086" in r.stderr
    assert target.read_text() == "keep me"
    r = kintsugi("dump", src, "-o", str(target), "--force")
    assert r.returncode == 0 and "INSERT INTO `t`" in target.read_text()
    help_text = kintsugi("dump", "--help").stdout
    assert "--force-recovery" in help_text and "Examples:" in help_text


CHILD = """
import sys, time
import core
conn = core.connect(sys.argv[1], create=True, autocommit=True, flush_interval=0)
conn.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40))")
for i in range(20):
    conn.execute("INSERT INTO t VALUES " + ",".join(
        f"({i * 10 + j}, 'row {i * 10 + j}')" for j in range(10)))
print("READY", flush=True)
time.sleep(120)
"""


def crashed_writer(path: str) -> None:
    """A child commits 200 rows in 20 transactions (no flush: all of it only in the redo
    log) and is SIGKILLed."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, path], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "READY"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def damage_log_middle(path: str) -> None:
    """Flip bytes inside a record in the middle of the log: records after it stay valid,
    so this is corruption of acknowledged data, not a torn tail."""
    seg = os.path.join(path, "#redo", "redo.00000001")
    with open(seg, "r+b") as f:
        off = 4096 + 3800
        f.seek(off)
        raw = f.read(4)
        f.seek(off)
        f.write(bytes(b ^ 0xFF for b in raw))


def test_dump_under_force_recovery_saves_what_is_readable(tmp_path):
    path = str(tmp_path / "db")
    crashed_writer(path)
    damage_log_middle(path)
    refused = kintsugi("dump", path)
    assert refused.returncode == 1 and "ERROR 1877" in refused.stderr
    assert f"kintsugi dump {path} --force-recovery 1 > dump.sql" in refused.stderr
    assert "--discard-damaged-log" in refused.stderr and "Traceback" not in refused.stderr
    target = tmp_path / "rescue.sql"
    assert kintsugi("dump", path, "-o", str(target)).returncode == 1
    assert os.listdir(tmp_path) == ["db"]  # no FILE, no partial file left behind
    assert kintsugi("dump", path, "-o", str(target), "--force-recovery", "1").returncode == 0
    assert "INSERT INTO `t`" in target.read_text()
    r = kintsugi("dump", path, "--force-recovery", "1")
    assert r.returncode == 0, r.stderr
    assert "force_recovery = 1" in r.stdout
    new = str(tmp_path / "new")
    assert kintsugi("sql", new, "--create", stdin=r.stdout).returncode == 0
    with core.connect(new) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM t ORDER BY id").fetchall()]
    # the transactions before the damage, whole, in order; none after it
    assert 0 < len(ids) < 200 and len(ids) % 10 == 0 and ids == list(range(len(ids)))


def test_a_table_that_cannot_be_read_is_reported_and_skipped(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE a (id INT PRIMARY KEY)")
        conn.execute("CREATE TABLE b (id INT PRIMARY KEY)")
        conn.execute("CREATE TABLE c (id INT PRIMARY KEY)")
        for t in "abc":
            conn.execute(f"INSERT INTO {t} VALUES (1), (2)")
    os.unlink(os.path.join(path, "test", "b.kdb"))
    r = kintsugi("dump", path, "--force-recovery", "1")
    assert r.returncode == 1
    assert "[ERROR]" in r.stderr and "test.b" in r.stderr and "1812" in r.stderr
    assert "INSERT INTO `a`" in r.stdout and "INSERT INTO `c`" in r.stdout
    assert "-- ERROR: table `test`.`b` was NOT dumped" in r.stdout


def test_progress_bar_only_on_a_terminal(tmp_path):
    """stderr a terminal (a pty here): the rewritten progress line and a summary; the
    piped run of the round-trip test above showed that a pipe gets nothing."""
    src = str(tmp_path / "src")
    with core.connect(src, create=True, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        conn.cursor().executemany("INSERT INTO t VALUES (%s)", [(i,) for i in range(3000)])
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "dump", src, "-o",
                             str(tmp_path / "out.sql")], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(primary, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    assert proc.wait(timeout=60) == 0
    shown = b"".join(chunks).decode()
    assert "\r" in shown and "test.t" in shown and "3,000 rows" in shown
    assert "Dumped 1 table(s), 3000 row(s) from 1 schema(s)." in shown
