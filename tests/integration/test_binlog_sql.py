"""The binary log's SQL surface, as MySQL 8 answers it: SHOW BINARY LOGS / BINLOG EVENTS /
MASTER STATUS, PURGE and FLUSH, the binlog variables, sql_log_bin and --skip-log-bin."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import core
from core.errors import Error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _open(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, flush_interval=0.05, **kw)


@pytest.fixture
def db(tmp_path):
    conn = _open(tmp_path / "db")
    yield conn
    conn.close()


def run(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    if cur.description is None:
        return cur.rowcount
    return [list(r) for r in cur.fetchall()]


def columns(conn, sql):
    cur = conn.cursor()
    cur.execute(sql)
    cur.fetchall()
    return [d[0] for d in cur.description]


def warnings(conn):
    return [tuple(w) for w in run(conn, "SHOW WARNINGS")]


def fails(conn, sql, errno):
    with pytest.raises(Error) as e:
        run(conn, sql)
    assert e.value.errno == errno, e.value
    return str(e.value)


def files_on_disk(conn):
    return sorted(n for n in os.listdir(conn._engine.path) if n.startswith("binlog.0"))


def index_lines(conn):
    with open(os.path.join(conn._engine.path, "binlog.index")) as f:
        return f.read().splitlines()


def some_work(conn):
    run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    run(conn, "INSERT INTO t VALUES (1, 2), (3, 4)")
    run(conn, "UPDATE t SET b = 5 WHERE a = 1")
    run(conn, "DELETE FROM t WHERE a = 3")


def test_show_binary_logs_and_binlog_events(db):
    some_work(db)
    assert columns(db, "SHOW BINARY LOGS") == ["Log_name", "File_size", "Encrypted"]
    (logs,) = run(db, "SHOW BINARY LOGS")
    size = os.path.getsize(os.path.join(db._engine.path, "binlog.000001"))
    assert logs == ["binlog.000001", size, "No"]
    assert run(db, "SHOW MASTER LOGS") == [logs]
    assert columns(db, "SHOW BINLOG EVENTS") == ["Log_name", "Pos", "Event_type", "Server_id",
                                                 "End_log_pos", "Info"]
    events = run(db, "SHOW BINLOG EVENTS")
    assert [e[2] for e in events] == [
        "Format_desc", "Previous_gtids",
        "Gtid", "Query",
        "Gtid", "Query", "Table_map", "Write_rows", "Xid",
        "Gtid", "Query", "Table_map", "Update_rows", "Xid",
        "Gtid", "Query", "Table_map", "Delete_rows", "Xid"]
    assert all(e[0] == "binlog.000001" and e[3] == 1 for e in events)
    assert events[0][1] == 4
    for prev, nxt in zip(events, events[1:], strict=False):
        assert prev[4] == nxt[1]  # End_log_pos is the next event's Pos
    assert events[-1][4] == size
    uuid = run(db, "SELECT @@server_uuid")[0][0]
    info = [e[5] for e in events]
    assert info[0] == "Server ver: 8.0.36-KintsugiDB, Binlog ver: 4"
    assert info[1] == ""
    assert info[2] == f"SET @@SESSION.GTID_NEXT= '{uuid}:1'"
    assert info[3].startswith("use `test`; CREATE TABLE t (a INT PRIMARY KEY, b INT) /* xid=")
    assert info[5] == "BEGIN"
    assert info[6].startswith("table_id: ") and info[6].endswith(" (test.t)")
    assert info[7].endswith(" flags: STMT_END_F")
    assert info[8].startswith("COMMIT /* xid=") and info[8].endswith(" */")
    assert info[14] == f"SET @@SESSION.GTID_NEXT= '{uuid}:4'"

    assert run(db, "SHOW BINLOG EVENTS LIMIT 2") == events[:2]
    assert run(db, "SHOW BINLOG EVENTS LIMIT 3, 2") == events[3:5]
    assert run(db, f"SHOW BINLOG EVENTS FROM {events[4][1]} LIMIT 1") == [events[4]]
    assert run(db, "SHOW BINLOG EVENTS IN 'binlog.000001' FROM 4") == events
    assert run(db, f"SHOW BINLOG EVENTS FROM {size}") == []  # past the end: empty


def test_show_binlog_events_errors(db):
    some_work(db)
    msg = fails(db, "SHOW BINLOG EVENTS IN 'binlog.000009'", 1220)
    assert msg.endswith("Error when executing command SHOW BINLOG EVENTS: "
                        "Could not find target log")
    assert "(HY000)" in msg
    second = run(db, "SHOW BINLOG EVENTS")[1][1]
    msg = fails(db, f"SHOW BINLOG EVENTS FROM {second + 3}", 1220)  # inside an event
    assert msg.endswith("Error when executing command SHOW BINLOG EVENTS: "
                        "Wrong offset or I/O error")


def test_master_status_and_binary_log_status(db):
    some_work(db)
    names = ["File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"]
    assert columns(db, "SHOW MASTER STATUS") == names
    (row,) = run(db, "SHOW MASTER STATUS")
    uuid = run(db, "SELECT @@server_uuid")[0][0]
    size = os.path.getsize(os.path.join(db._engine.path, "binlog.000001"))
    assert row == ["binlog.000001", size, "", "", f"{uuid}:1-4"]
    assert run(db, "SHOW BINARY LOG STATUS") == [row]
    assert run(db, "SELECT @@gtid_executed, @@GLOBAL.gtid_executed") == [[f"{uuid}:1-4"] * 2]
    run(db, "INSERT INTO t VALUES (7, 7)")
    assert run(db, "SELECT @@gtid_executed")[0][0] == f"{uuid}:1-5"


def test_flush_rotates_and_the_new_file_carries_the_executed_set(db):
    some_work(db)
    uuid = run(db, "SELECT @@server_uuid")[0][0]
    assert run(db, "FLUSH BINARY LOGS") == 0
    assert [r[0] for r in run(db, "SHOW BINARY LOGS")] == ["binlog.000001", "binlog.000002"]
    last = run(db, "SHOW BINLOG EVENTS IN 'binlog.000001'")[-1]
    assert last[2:4] == ["Rotate", 1] and last[5] == "binlog.000002;pos=4"
    head = run(db, "SHOW BINLOG EVENTS IN 'binlog.000002'")
    assert [e[2] for e in head] == ["Format_desc", "Previous_gtids"]
    assert head[1][5] == f"{uuid}:1-4"
    run(db, "INSERT INTO t VALUES (8, 8)")
    assert run(db, "SHOW MASTER STATUS")[0][0] == "binlog.000002"
    run(db, "FLUSH LOGS")  # FLUSH LOGS rotates the binary log too
    assert run(db, "SHOW MASTER STATUS")[0][0] == "binlog.000003"
    assert run(db, "FLUSH LOCAL BINARY LOGS") == 0
    assert files_on_disk(db) == [f"binlog.00000{i}" for i in range(1, 5)]
    fails(db, "FLUSH TABLES", 1235)  # other FLUSH forms are still refused by name


def test_flush_commits_the_open_transaction(db):
    run(db, "CREATE TABLE t (a INT PRIMARY KEY)")
    run(db, "BEGIN")
    run(db, "INSERT INTO t VALUES (1)")
    run(db, "FLUSH BINARY LOGS")  # an implicit commit, as every FLUSH
    run(db, "ROLLBACK")
    assert run(db, "SELECT a FROM t") == [[1]]
    assert "Write_rows" in [e[2] for e in run(db, "SHOW BINLOG EVENTS")]


def test_purge_to_keeps_the_active_file_and_rewrites_the_index(db):
    some_work(db)
    for _ in range(3):
        run(db, "FLUSH BINARY LOGS")
    assert len(files_on_disk(db)) == 4
    msg = fails(db, "PURGE BINARY LOGS TO 'binlog.000009'", 1373)
    assert msg.endswith("Target log not found in binlog index") and "(HY000)" in msg
    assert len(files_on_disk(db)) == 4  # a failed PURGE changes nothing
    assert run(db, "PURGE BINARY LOGS TO 'binlog.000002'") == 0
    assert [r[0] for r in run(db, "SHOW BINARY LOGS")] == [
        "binlog.000002", "binlog.000003", "binlog.000004"]
    assert files_on_disk(db) == ["binlog.000002", "binlog.000003", "binlog.000004"]
    assert index_lines(db) == ["./binlog.000002", "./binlog.000003", "./binlog.000004"]
    run(db, "PURGE MASTER LOGS TO 'binlog.000004'")  # the active one: every file before it
    assert files_on_disk(db) == ["binlog.000004"] and warnings(db) == []
    assert index_lines(db) == ["./binlog.000004"]
    fails(db, "SHOW BINLOG EVENTS IN 'binlog.000002'", 1220)
    assert run(db, "SHOW BINLOG EVENTS")[0][0] == "binlog.000004"  # the first file listed


def test_purge_before(db):
    some_work(db)
    run(db, "FLUSH BINARY LOGS")
    assert run(db, "PURGE BINARY LOGS BEFORE 'garbage'") == 0
    assert warnings(db) == [("Warning", 1292, "Incorrect datetime value: 'garbage'")]
    assert run(db, "PURGE BINARY LOGS BEFORE '2001-01-01 00:00:00'") == 0
    assert warnings(db) == []
    assert len(files_on_disk(db)) == 2
    run(db, "PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 DAY")
    assert files_on_disk(db) == ["binlog.000002"]  # never the active file
    assert warnings(db) == [("Warning", 1868, "file ./binlog.000002 was not purged because "
                                              "it is the active log file.")]
    assert index_lines(db) == ["./binlog.000002"]


def test_rotation_by_a_small_max_binlog_size(db):
    run(db, "SET GLOBAL max_binlog_size = 5000")
    assert warnings(db) == [("Warning", 1292, "Truncated incorrect max_binlog_size value: "
                                              "'5000'")]
    assert run(db, "SELECT @@max_binlog_size") == [[4096]]
    assert db._engine.binlog.max_size == 4096
    run(db, "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(200))")
    for i in range(40):
        run(db, f"INSERT INTO t VALUES ({i}, '{'x' * 150}')")
    logs = run(db, "SHOW BINARY LOGS")
    assert len(logs) >= 2
    for name, size, _enc in logs[:-1]:
        assert size >= 4096
        assert run(db, f"SHOW BINLOG EVENTS IN '{name}'")[-1][2] == "Rotate"
    events = [e for name, _s, _e in logs for e in run(db, f"SHOW BINLOG EVENTS IN '{name}'")]
    assert sum(1 for e in events if e[2] == "Write_rows") == 40


def test_settable_variables_validate_like_mysql(db):
    fails(db, "SET max_binlog_size = 8192", 1229)
    fails(db, "SET SESSION binlog_expire_logs_seconds = 10", 1229)
    fails(db, "SET GLOBAL max_binlog_size = 'big'", 1232)
    run(db, "SET GLOBAL max_binlog_size = 1")
    assert run(db, "SELECT @@max_binlog_size") == [[4096]]
    run(db, "SET GLOBAL max_binlog_size = 99999999999")
    assert run(db, "SELECT @@max_binlog_size") == [[1 << 30]]
    run(db, "SET GLOBAL binlog_expire_logs_seconds = -5")
    assert run(db, "SELECT @@binlog_expire_logs_seconds") == [[0]]
    assert db._engine.binlog.expire_seconds == 0
    run(db, "SET GLOBAL binlog_expire_logs_seconds = DEFAULT, max_binlog_size = DEFAULT")
    assert run(db, "SELECT @@binlog_expire_logs_seconds, @@max_binlog_size") == [
        [2592000, 1 << 30]]


def test_read_only_and_fixed_variables(db):
    path = os.path.abspath(db._engine.path)
    assert run(db, "SELECT @@log_bin, @@log_bin_basename, @@log_bin_index, @@binlog_format, "
                   "@@binlog_row_image, @@gtid_mode, @@enforce_gtid_consistency, "
                   "@@server_id") == [[1, os.path.join(path, "binlog"),
                                       os.path.join(path, "binlog.index"), "ROW", "FULL", "ON",
                                       "ON", 1]]
    shown = dict(run(db, "SHOW VARIABLES LIKE 'log_bin%'"))
    assert shown["log_bin"] == "ON"
    for name in ("log_bin", "log_bin_basename", "server_uuid", "gtid_executed"):
        msg = fails(db, f"SET GLOBAL {name} = 1", 1238)
        assert f"Variable '{name}' is a read only variable" in msg
    fails(db, "SET GLOBAL binlog_format = 'STATEMENT'", 1235)
    run(db, "SET binlog_format = 'ROW'")  # the value it has: accepted


def test_variables_persist_across_reopen(tmp_path):
    conn = _open(tmp_path / "db")
    run(conn, "SET GLOBAL binlog_expire_logs_seconds = 3600, max_binlog_size = 8192")
    conn.close()
    conn = _open(tmp_path / "db")
    try:
        assert run(conn, "SELECT @@binlog_expire_logs_seconds, @@max_binlog_size") == [
            [3600, 8192]]
        assert dict(run(conn, "SHOW GLOBAL VARIABLES LIKE 'max_binlog_size'")) == {
            "max_binlog_size": "8192"}
        binlog = conn._engine.binlog
        assert (binlog.expire_seconds, binlog.max_size) == (3600, 8192)
    finally:
        conn.close()


def test_sql_log_bin_off_logs_nothing(db):
    run(db, "CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    before = run(db, "SHOW MASTER STATUS")[0]
    fails(db, "SET GLOBAL sql_log_bin = 0", 1228)
    fails(db, "SET sql_log_bin = 'maybe'", 1231)
    run(db, "SET sql_log_bin = 0")
    assert run(db, "SELECT @@sql_log_bin") == [[0]]
    run(db, "INSERT INTO t VALUES (1, 1)")
    run(db, "BEGIN")
    run(db, "UPDATE t SET b = 2")
    msg = fails(db, "SET sql_log_bin = 1", 1694)
    assert "Cannot modify @@session.sql_log_bin inside a transaction" in msg
    run(db, "COMMIT")
    run(db, "CREATE TABLE u (a INT PRIMARY KEY)")
    run(db, "ALTER TABLE t ADD INDEX ib (b)")  # an online (queued) DDL job
    run(db, "DROP TABLE u")
    assert run(db, "SHOW MASTER STATUS")[0] == before  # nothing logged, no GTID used
    run(db, "SET sql_log_bin = ON")
    run(db, "INSERT INTO t VALUES (2, 2)")
    run(db, "ALTER TABLE t ADD INDEX ib2 (b)")
    queries = [e[5].split(" /* xid=")[0] for e in run(db, "SHOW BINLOG EVENTS")
               if e[2] == "Query"]
    assert queries == ["use `test`; CREATE TABLE t (a INT PRIMARY KEY, b INT)", "BEGIN",
                       "use `test`; ALTER TABLE t ADD INDEX ib2 (b)"]
    uuid = run(db, "SELECT @@server_uuid")[0][0]
    assert run(db, "SELECT @@gtid_executed") == [[f"{uuid}:1-3"]]


def test_sql_log_bin_is_per_session(tmp_path):
    a = _open(tmp_path / "db")
    b = core.connect(str(tmp_path / "db"), autocommit=True)
    try:
        run(a, "CREATE TABLE t (a INT PRIMARY KEY)")
        run(a, "SET sql_log_bin = 0")
        run(a, "INSERT INTO t VALUES (1)")
        run(b, "INSERT INTO t VALUES (2)")
        assert run(b, "SELECT @@sql_log_bin") == [[1]]
        writes = [e for e in run(b, "SHOW BINLOG EVENTS") if e[2] == "Write_rows"]
        assert len(writes) == 1
    finally:
        b.close()
        a.close()


def test_log_bin_off(tmp_path):
    conn = _open(tmp_path / "db", log_bin=False)
    try:
        some_work(conn)
        assert files_on_disk(conn) == []
        assert not os.path.exists(os.path.join(conn._engine.path, "binlog.index"))
        msg = fails(conn, "SHOW BINARY LOGS", 1381)
        assert msg.endswith("You are not using binary logging") and "(HY000)" in msg
        fails(conn, "SHOW MASTER LOGS", 1381)
        assert run(conn, "SHOW BINLOG EVENTS") == []  # mysqld reads only an open binlog
        assert run(conn, "SHOW MASTER STATUS") == []
        assert run(conn, "PURGE BINARY LOGS TO 'binlog.000001'") == 0  # OK, as mysqld
        assert run(conn, "PURGE BINARY LOGS BEFORE NOW()") == 0
        assert run(conn, "FLUSH BINARY LOGS") == 0
        assert run(conn, "SELECT @@log_bin, @@log_bin_basename, @@gtid_executed") == [
            [0, None, ""]]
        assert dict(run(conn, "SHOW VARIABLES LIKE 'log_bin'")) == {"log_bin": "OFF"}
        assert files_on_disk(conn) == []
    finally:
        conn.close()


def test_cli_skip_log_bin(tmp_path):
    db = str(tmp_path / "db")

    def kintsugi(*args):
        return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    r = kintsugi("sql", db, "--create", "--skip-log-bin", "-e",
                 "CREATE TABLE t (a INT PRIMARY KEY); INSERT INTO t VALUES (1); "
                 "SELECT @@log_bin")
    assert r.returncode == 0, r.stderr
    assert not [n for n in os.listdir(db) if n.startswith("binlog")]
    r = kintsugi("sql", db, "--skip-log-bin", "-e", "SHOW BINARY LOGS")
    assert r.returncode == 1
    assert "ERROR 1381 (HY000) at line 1: You are not using binary logging" in r.stderr
    r = kintsugi("sql", db, "-e", "SHOW BINARY LOGS")  # without the flag: logging again
    assert r.returncode == 0, r.stderr
    assert "binlog.000001" in r.stdout
    for command in ("sql", "check", "dump", "recover", "open"):
        r = kintsugi(command, "--help")
        assert "--skip-log-bin" in r.stdout, command


def test_inspection_reads_the_binlog_without_opening(tmp_path):
    from core.api import inspect

    conn = _open(tmp_path / "db")
    try:
        some_work(conn)
        run(conn, "FLUSH BINARY LOGS")
        run(conn, "INSERT INTO t VALUES (9, 9)")
        file, pos, _do, _ignore, executed = run(conn, "SHOW MASTER STATUS")[0]
        seen = inspect(str(tmp_path / "db")).binlog  # while open, too
        assert (seen.files, seen.file, seen.position, seen.executed, seen.error) == (
            2, file, pos, executed, "")
    finally:
        conn.close()
    r = subprocess.run([sys.executable, "-m", "tui.cli", "info", str(tmp_path / "db")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"Binary log       {file} position {pos}, 2 file(s), GTIDs {executed}" in r.stdout
    off = _open(tmp_path / "off", log_bin=False)
    off.close()
    assert inspect(str(tmp_path / "off")).binlog is None
