"""`kintsugi binlog`: the binary log printed as SQL that `kintsugi sql` replays.

The round trip is the proof: a mixed workload on database A (every column type, updates
that change primary keys, a table without one, a swap under a unique key, multi-table
transactions, DDL), its binlog replayed into an empty B, every table of B equal to A's and
passing ADMIN CHECK TABLE.  The filters are checked on what they leave in B.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest

import core
from core.errors import Error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYSTEM = {"information_schema", "mysql", "performance_schema", "sys"}

TYPES_TABLE = """CREATE TABLE types (
  id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
  bo BOOLEAN, dc DECIMAL(20,6), f FLOAT, d DOUBLE, ch CHAR(5), vc VARCHAR(100), tx TEXT,
  bn BINARY(4), vb VARBINARY(20), bl BLOB, dt DATE, dtm DATETIME(6), ts TIMESTAMP,
  tm TIME(3), j JSON, e ENUM('small','medium','large'), st SET('a','b','c'))"""

TRICKY = "it's a \"quote\", a back\\slash, a\nnewline, a\ttab, \x00 NUL, \x1a, é 😀 -- # /*"


def workload(a):
    """Everything the binlog must carry; returns nothing, A is the reference."""
    a("CREATE DATABASE shop")
    a("USE shop")
    a(TYPES_TABLE)
    a("INSERT INTO types VALUES (1, -128, 65535, -9223372036854775808, "
      "18446744073709551615, TRUE, -12345678901234.123456, 1.5, 0.1, 'ab', %s, %s, "
      "X'00FF0A27', X'005C27', X'0000', '2024-02-29', '2024-01-02 03:04:05.123456', "
      "'2024-01-02 03:04:05', '-838:59:59.000', '{\"k\": [1, 2.5, \"x\", null, true]}', "
      "'large', 'a,c')", (TRICKY, TRICKY))
    a("INSERT INTO types (id) VALUES (2)")  # NULLs everywhere
    a("INSERT INTO types (id, j, vc, f, d) VALUES (3, '\"just a string\"', '', -0.0, 1e300)")
    a("INSERT INTO types (id, j, e, st, tm) VALUES (4, '[]', 'small', '', '12:00:00.5')")
    a("UPDATE types SET vc = 'changed \\\\ once', j = '{\"a\": {\"b\": null}}' WHERE id = 2")
    a("UPDATE types SET id = 10 WHERE id = 4")  # primary key change
    a("DELETE FROM types WHERE id = 3")
    # clustered primary key, changed and not
    a("CREATE TABLE acct (region VARCHAR(10), num INT, owner VARCHAR(20), bal DECIMAL(10,2),"
      " PRIMARY KEY (region, num), KEY by_owner (owner))")
    a("INSERT INTO acct VALUES ('eu', 1, 'ann', 10.00), ('eu', 2, 'bob', 20.50), "
      "('us', 1, 'cy', 0)")
    a("UPDATE acct SET bal = bal + 1 WHERE region = 'eu'")
    a("UPDATE acct SET region = 'apac' WHERE num = 1 AND region = 'us'")
    # no primary key: duplicates, updates and deletes of one of two equal rows
    a("CREATE TABLE log (msg VARCHAR(50), n INT, f FLOAT, j JSON, b BLOB)")
    a("INSERT INTO log VALUES ('dup', 1, 0.1, '{\"x\": 1}', X'00'), ('dup', 1, 0.1, "
      "'{\"x\": 1}', X'00'), ('other', NULL, NULL, NULL, NULL), ('q''s', 2, 2.5, '[1]', '')")
    a("UPDATE log SET n = 5 WHERE msg = 'dup' LIMIT 1")
    a("DELETE FROM log WHERE msg = 'other'")
    a("UPDATE log SET j = '{\"x\": 2}' WHERE msg = 'q''s'")
    # a multi-table transaction, with a unique-key swap inside it
    a("CREATE TABLE seat (id INT PRIMARY KEY AUTO_INCREMENT, who VARCHAR(10), "
      "UNIQUE KEY (who))")
    a("INSERT INTO seat (who) VALUES ('x'), ('y'), ('z')")
    a("BEGIN")
    a("UPDATE seat SET who = 'tmp' WHERE id = 1")
    a("UPDATE seat SET who = 'x' WHERE id = 2")
    a("UPDATE seat SET who = 'y' WHERE id = 1")
    a("INSERT INTO acct VALUES ('eu', 3, 'dee', 1)")
    a("DELETE FROM log WHERE n = 2")
    a("COMMIT")
    # DDL: indexes, columns, rename, truncate, drop, another database
    a("ALTER TABLE acct ADD INDEX by_bal (bal)")
    a("ALTER TABLE seat ADD COLUMN note VARCHAR(20) DEFAULT 'none'")
    a("UPDATE seat SET note = 'vip' WHERE id = 3")
    a("ALTER TABLE types DROP COLUMN ti")
    a("CREATE TABLE gone (a INT PRIMARY KEY)")
    a("INSERT INTO gone VALUES (1), (2)")
    a("DROP TABLE gone")
    a("CREATE TABLE trunc (a INT)")
    a("INSERT INTO trunc VALUES (1)")
    a("TRUNCATE TABLE trunc")
    a("INSERT INTO trunc VALUES (2)")
    a("RENAME TABLE trunc TO trunc2")
    a("CREATE DATABASE other")
    a("CREATE TABLE other.t (id BIGINT PRIMARY KEY, v VARCHAR(10))")
    a("INSERT INTO other.t VALUES (1, 'o1'), (2, 'o2')")
    a("UPDATE other.t SET v = 'o2b' WHERE id = 2")
    a("CREATE VIEW v_acct AS SELECT region, SUM(bal) AS total FROM acct GROUP BY region")
    a("CREATE TABLE `odd``name` (`sp ace` INT PRIMARY KEY, `é` VARCHAR(5), `#c` INT)")
    a("INSERT INTO `odd``name` VALUES (1, 'x', 2), (2, 'y', NULL)")
    a("UPDATE `odd``name` SET `é` = 'z', `#c` = 3 WHERE `sp ace` = 2")


def runner(conn):
    cur = conn.cursor()

    def run(sql, params=None):
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else cur.rowcount

    return run


def qname(schema: str, table: str) -> str:
    return "`" + schema.replace("`", "``") + "`.`" + table.replace("`", "``") + "`"


def snapshot(conn) -> dict:
    """Every table's rows (sorted) and its columns, per schema."""
    run = runner(conn)
    out = {}
    for (schema,) in run("SHOW DATABASES"):
        if schema.lower() in SYSTEM:
            continue
        for row in run(f"SHOW FULL TABLES FROM `{schema}`"):
            if row[1] != "BASE TABLE":
                continue
            name = qname(schema, row[0])
            cols = [r[0] for r in run(f"SHOW COLUMNS FROM {name}")]
            rows = sorted(run(f"SELECT * FROM {name}"), key=repr)
            keys = sorted({r[2] for r in run(f"SHOW INDEX FROM {name}")})
            out[f"{schema}.{row[0]}"] = (cols, keys, rows)
    return out


def admin_check_all(conn) -> None:
    run = runner(conn)
    for name in snapshot(conn):
        schema, table = name.split(".", 1)
        run(f"ADMIN CHECK TABLE {qname(schema, table)}")  # raises on an inconsistency


def replay(sql: str, dest: str) -> None:
    """What `kintsugi sql DEST` does with the text, in process: each statement in turn,
    stopping at the first error."""
    conn = core.connect(dest, create=True, autocommit=True)
    try:
        cur = conn.cursor()
        for stmt in core.split_statements(sql):
            cur.execute(stmt)
    finally:
        conn.close()


def binlog_text(*sources: str, **opts) -> str:
    out = io.StringIO()
    core.binlog_sql(list(sources), out, **opts)
    return out.getvalue()


def kintsugi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """Database A after the workload (closed), and its snapshot."""
    path = str(tmp_path_factory.mktemp("binlog") / "a")
    conn = core.connect(path, create=True, autocommit=True)
    try:
        workload(runner(conn))
        snap = snapshot(conn)
    finally:
        conn.close()
    return path, snap


def test_round_trip_rebuilds_every_table(source, tmp_path):
    path, expected = source
    text = binlog_text(path)
    dest = str(tmp_path / "b")
    replay(text, dest)
    conn = core.connect(dest, autocommit=True)
    try:
        got = snapshot(conn)
        admin_check_all(conn)
        assert runner(conn)("SELECT * FROM shop.v_acct ORDER BY region")
    finally:
        conn.close()
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name
    assert "shop.gone" not in got and "shop.trunc2" in got
    assert len(got["shop.types"][2]) == 3 and len(got["shop.log"][2]) == 2


def test_output_shape(source):
    path, _ = source
    text = binlog_text(path)
    assert text.count("BEGIN;") == text.count("COMMIT;") > 5
    assert "# at " in text and "end_log_pos" in text
    uuid = core.binlog_timeline(path)[0].gtid.split(":")[0]
    assert f"# GTID {uuid}:1\n" in text
    assert "UPDATE `shop`.`acct` SET `bal`=11.00 WHERE `region`='eu' AND `num`=1;" in text
    assert ("DELETE FROM `shop`.`log` WHERE `msg` <=> 'other' AND `n` IS NULL AND `f` IS "
            "NULL AND `j` IS NULL AND `b` IS NULL LIMIT 1;") in text
    assert "`j` <=> CAST('{\\\"x\\\": 1}' AS JSON)" in text
    assert "has no primary key" in text
    assert "trade values between rows" in text  # the swap under UNIQUE (who)
    assert "USE `shop`;\nALTER TABLE acct ADD INDEX by_bal (bal);" in text
    assert "###" not in text
    # consecutive inserts of a table: one multi-row INSERT
    assert ("INSERT INTO `shop`.`acct` (`region`, `num`, `owner`, `bal`) VALUES ('eu', 1, "
            "'ann', 10.00),\n('eu', 2, 'bob', 20.50),\n('us', 1, 'cy', 0.00);") in text


def test_verbose_prints_row_images(source):
    path, _ = source
    text = binlog_text(path, verbose=True)
    assert "### INSERT INTO `shop`.`acct`\n### SET\n###   @1='eu' /* region */\n" in text
    assert "### UPDATE `other`.`t`\n### WHERE\n###   @1=2 /* id */\n###   @2='o2' /* v */\n" \
           "### SET\n###   @1=2 /* id */\n###   @2='o2b' /* v */\n" in text
    assert "### DELETE FROM `shop`.`log`\n### WHERE\n" in text
    # the tricky string stays on its comment line
    line = next(x for x in text.splitlines() if x.startswith("###   @12='it"))
    assert "\\n" in line and "\\0" in line
    replay_ok = text  # the comments do not change what replays
    assert core.split_statements(replay_ok)


def _position_of(path: str, predicate):
    return next(e for e in core.binlog_timeline(path) if predicate(e))


def test_stop_position_and_stop_datetime(source, tmp_path):
    path, _ = source
    drop = _position_of(path, lambda e: e.ddl and e.ddl.startswith("DROP TABLE gone"))
    text = binlog_text(path, stop_position=str(drop.pos))
    assert "DROP TABLE gone" not in text
    dest = str(tmp_path / "b1")
    replay(text, dest)
    conn = core.connect(dest, autocommit=True)
    try:
        assert runner(conn)("SELECT * FROM shop.gone ORDER BY a") == [(1,), (2,)]
        assert "other.t" not in snapshot(conn)
    finally:
        conn.close()
    named = binlog_text(path, stop_position=f"{drop.file}:{drop.pos}")
    assert named == text
    # --stop-datetime: a moment after everything prints everything, one before nothing
    late = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 3600))
    assert binlog_text(path, stop_datetime=late) == binlog_text(path)
    early = "2000-01-01 00:00:00"
    assert "BEGIN;" not in binlog_text(path, stop_datetime=early)
    assert "BEGIN;" not in binlog_text(path, start_datetime=late)


def test_stop_datetime_between_transactions(tmp_path):
    path = str(tmp_path / "a")
    conn = core.connect(path, create=True, autocommit=True)
    run = runner(conn)
    run("CREATE TABLE t (a INT PRIMARY KEY)")
    run("INSERT INTO t VALUES (1)")
    time.sleep(1.1)
    cut = time.time()
    time.sleep(0.05)
    run("INSERT INTO t VALUES (2)")
    conn.close()
    t = time.localtime(cut)
    text = binlog_text(path, stop_datetime=time.strftime("%Y-%m-%d %H:%M:%S", t)
                       + f".{int((cut % 1) * 1e6):06d}")
    assert "VALUES (1)" in text and "VALUES (2)" not in text
    text = binlog_text(path, start_datetime=time.strftime("%Y-%m-%d %H:%M:%S", t)
                       + f".{int((cut % 1) * 1e6):06d}")
    assert "VALUES (1)" not in text and "VALUES (2)" in text


def test_exclude_and_include_gtids(source, tmp_path):
    path, expected = source
    drop = _position_of(path, lambda e: e.ddl and e.ddl.startswith("DROP TABLE gone"))
    # a bare number names the binlog's own uuid
    text = binlog_text(path, exclude_gtids=str(drop.seq))
    assert "DROP TABLE gone" not in text
    assert binlog_text(path, exclude_gtids=drop.gtid) == text
    dest = str(tmp_path / "b")
    replay(text, dest)
    conn = core.connect(dest, autocommit=True)
    try:
        got = snapshot(conn)
    finally:
        conn.close()
    assert got.pop("shop.gone")[2] == [(1,), (2,)]
    assert got == expected  # everything else as in A
    only = binlog_text(path, include_gtids=drop.gtid)
    assert only.count("# GTID ") == 1 and "DROP TABLE gone" in only
    two = binlog_text(path, include_gtids=f"{drop.seq - 1}-{drop.seq}")
    assert two.count("# GTID ") == 2


def test_database_filter(source):
    path, _ = source
    text = binlog_text(path, database="other")
    assert "`other`.`t`" in text and "`shop`." not in text
    assert "CREATE TABLE other.t" not in text  # run with shop as the default database
    assert binlog_text(path, database="nothere").count("# GTID ") == 0


def test_start_position(source):
    path, _ = source
    entries = core.binlog_timeline(path)
    mid = entries[len(entries) // 2]
    text = binlog_text(path, start_position=str(mid.pos))
    assert text.count("# GTID ") == len(entries) - len(entries) // 2
    assert f"# GTID {mid.gtid}\n" in text


@pytest.mark.parametrize("opts, errno, words", [
    ({"stop_datetime": "yesterday"}, 1525, "Incorrect DATETIME value: 'yesterday'"),
    ({"start_datetime": "2024-13-01 00:00:00"}, 1525, "--start-datetime"),
    ({"stop_position": "abc"}, 1210, "--stop-position"),
    ({"stop_position": "binlog.000099:4"}, 1210, "not among the files read"),
    ({"exclude_gtids": "nonsense:1"}, 1772, "Malformed GTID set specification"),
    ({"include_gtids": "5-2"}, 1772, "not a valid interval"),
])
def test_bad_options_are_refused(source, opts, errno, words):
    path, _ = source
    out = io.StringIO()
    with pytest.raises(Error) as info:
        core.binlog_sql(path, out, **opts)
    assert info.value.errno == errno and words in str(info.value)
    assert out.getvalue() == ""  # nothing printed


def test_damaged_and_foreign_files(source, tmp_path):
    path, _ = source
    bad = str(tmp_path / "binlog.000001")
    data = bytearray(open(os.path.join(path, "binlog.000001"), "rb").read())
    data[600] ^= 0xFF  # inside an event in the middle
    open(bad, "wb").write(bytes(data))
    # the damaged copy followed by a good file: damage in a file that is not the last
    good = str(tmp_path / "binlog.000002")
    open(good, "wb").write(open(os.path.join(path, "binlog.000001"), "rb").read())
    with pytest.raises(Error) as info:
        core.binlog_sql([bad, good], io.StringIO())
    assert info.value.errno == 1877 and bad in str(info.value)
    assert "damaged at position" in str(info.value)
    # alone (the last file), damage that is not a cut-short tail is still damage
    with pytest.raises(Error) as info:
        core.binlog_sql([bad], io.StringIO())
    assert "checksum mismatch" in str(info.value)
    # a file cut short in its last transaction: that one is left out, with a note
    cut = str(tmp_path / "cut" / "binlog.000001")
    os.makedirs(os.path.dirname(cut))
    whole = open(os.path.join(path, "binlog.000001"), "rb").read()
    open(cut, "wb").write(whole[:-3])
    out = io.StringIO()
    summary = core.binlog_sql([cut], out)
    assert summary.notes and "not finished" in summary.notes[0]
    assert summary.transactions == len(core.binlog_timeline(path)) - 1
    foreign = str(tmp_path / "notes.txt")
    open(foreign, "w").write("hello")
    with pytest.raises(Error) as info:
        core.binlog_sql([foreign], io.StringIO())
    assert "is not a KintsugiDB binary log file" in str(info.value)
    with pytest.raises(Error) as info:
        core.binlog_sql([str(tmp_path / "missing")], io.StringIO())
    assert "no such binlog file or directory" in str(info.value)


def test_inserts_batched(tmp_path, monkeypatch):
    from core.backup import render

    monkeypatch.setattr(render, "INSERT_ROWS", 2)
    a = str(tmp_path / "a")
    conn = core.connect(a, create=True, autocommit=True)
    run = runner(conn)
    run("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(5))")
    run("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')")
    expected = run("SELECT * FROM t ORDER BY id")
    conn.close()
    text = binlog_text(a)
    assert text.count("INSERT INTO `test`.`t`") == 3
    b = str(tmp_path / "b")
    replay(text, b)
    conn = core.connect(b, autocommit=True)
    try:
        assert runner(conn)("SELECT * FROM t ORDER BY id") == expected
    finally:
        conn.close()


def test_cli_pipe_into_sql(tmp_path):
    """The real commands, one piped into the other, while A is still open here."""
    a = str(tmp_path / "a")
    conn = core.connect(a, create=True, autocommit=True)
    run = runner(conn)
    run("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(40), j JSON)")
    run("INSERT INTO t VALUES (1, %s, '{\"a\": 1}'), (2, 'two', NULL)", (TRICKY[:40],))
    run("CREATE TABLE n (x INT, y VARCHAR(5))")
    run("INSERT INTO n VALUES (1, 'a'), (1, 'a')")
    run("UPDATE n SET y = 'b' LIMIT 1")
    run("DELETE FROM t WHERE id = 2")
    run("DROP TABLE n")  # the mistake
    run("INSERT INTO t VALUES (3, 'after', '[]')")
    expected_t = run("SELECT * FROM t ORDER BY id")
    bad = _position_of(a, lambda e: e.ddl and e.ddl.startswith("DROP TABLE n"))
    try:
        r = kintsugi("binlog", a, "--exclude-gtids", bad.gtid)  # A is held by this process
        assert r.returncode == 0, r.stderr
        assert "DROP TABLE n" not in r.stdout
        b = str(tmp_path / "b")
        s = kintsugi("sql", b, "--create", stdin=r.stdout)
        assert s.returncode == 0, s.stderr
    finally:
        conn.close()
    conn = core.connect(b, autocommit=True)
    try:
        run = runner(conn)
        assert run("SELECT * FROM t ORDER BY id") == expected_t
        assert sorted(run("SELECT * FROM n")) == [(1, 'a'), (1, 'b')]
        run("ADMIN CHECK TABLE t")
        run("ADMIN CHECK TABLE n")
    finally:
        conn.close()


def test_cli_errors_and_help(tmp_path):
    r = kintsugi("binlog", "--help")
    assert r.returncode == 0 and "--exclude-gtids" in r.stdout and "kintsugi sql" in r.stdout
    foreign = tmp_path / "x.bin"
    foreign.write_bytes(b"not a binlog at all")
    r = kintsugi("binlog", str(foreign))
    assert r.returncode == 1 and r.stdout == ""
    assert "ERROR 1877" in r.stderr and "is not a KintsugiDB binary log file" in r.stderr
    a = str(tmp_path / "a")
    core.connect(a, create=True).close()
    r = kintsugi("binlog", a, "--stop-datetime", "noon")
    assert r.returncode == 1 and "ERROR 1525" in r.stderr and r.stdout == ""
    r = kintsugi("binlog", a, "--exclude-gtids", "x:y")
    assert r.returncode == 1 and "ERROR 1772" in r.stderr
    r = kintsugi("binlog", str(tmp_path))
    assert r.returncode == 1 and "has no binary log" in r.stderr
    conn = core.connect(a, autocommit=True)
    runner(conn)("CREATE TABLE t (a INT PRIMARY KEY)")
    runner(conn)("INSERT INTO t VALUES (1), (2), (3)")
    conn.close()
    first = os.path.join(a, "binlog.000001")
    data = bytearray(open(first, "rb").read())
    data[len(data) // 2] ^= 0x55
    open(first, "wb").write(bytes(data))
    r = kintsugi("binlog", a)
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert "ERROR 1877" in r.stderr and first in r.stderr and "damaged at position" in r.stderr


def test_cli_round_trip_of_the_whole_workload(source, tmp_path):
    """The full workload through the real pipe: `kintsugi sql` takes the text as it is."""
    path, expected = source
    r = kintsugi("binlog", path, "-v")  # the ### comments ride along harmlessly
    assert r.returncode == 0, r.stderr
    b = str(tmp_path / "b")
    s = kintsugi("sql", b, "--create", "-B", stdin=r.stdout)
    assert s.returncode == 0, s.stderr
    conn = core.connect(b, autocommit=True)
    try:
        assert snapshot(conn) == expected
        admin_check_all(conn)
    finally:
        conn.close()


def test_cli_reads_and_prints_local_time(tmp_path):
    """Datetimes are the local time of the one running the command, as mysqlbinlog's."""
    a = str(tmp_path / "a")
    conn = core.connect(a, create=True, autocommit=True)
    runner(conn)("CREATE TABLE t (a INT)")
    conn.close()
    ts = core.binlog_timeline(a)[0].ts
    env_tz = "Asia/Kolkata"  # UTC+05:30, no daylight saving
    shifted = time.gmtime(ts + 5.5 * 3600)
    env = dict(os.environ, TZ=env_tz)
    stamp = time.strftime("#%y%m%d ", shifted) + f"{shifted.tm_hour:2d}" + \
        time.strftime(":%M:%S", shifted)
    before = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts + 5.5 * 3600 - 2))
    after = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts + 5.5 * 3600 + 2))
    run = [sys.executable, "-m", "tui.cli", "binlog", a]
    r = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and stamp in r.stdout, (stamp, r.stdout)
    r = subprocess.run(run + ["--stop-datetime", before], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "CREATE TABLE t" not in r.stdout
    r = subprocess.run(run + ["--stop-datetime", after], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "CREATE TABLE t" in r.stdout


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_transactions_round_trip(tmp_path, seed):
    """Random multi-statement transactions on tables with an int key, a clustered key, and
    no key but a unique one: whatever commits in A replays into the same rows in B."""
    import random

    rnd = random.Random(seed)
    a = str(tmp_path / "a")
    conn = core.connect(a, create=True, autocommit=True)
    run = runner(conn)
    run("CREATE TABLE ti (id INT PRIMARY KEY, u INT, v VARCHAR(8), UNIQUE KEY (u))")
    run("CREATE TABLE tc (k VARCHAR(8), n INT, u INT, PRIMARY KEY (k, n), UNIQUE KEY (u))")
    run("CREATE TABLE tn (x INT, u INT, s VARCHAR(8), UNIQUE KEY (u))")

    def stmt() -> str:
        t = rnd.choice(["ti", "tc", "tn"])
        u, w = rnd.randrange(12), rnd.randrange(12)
        key = {"ti": "id", "tc": "n", "tn": "x"}[t]
        k = rnd.randrange(8)
        op = rnd.random()
        if op < 0.4:
            vals = {"ti": f"({k}, {u}, 'v{w}')", "tc": f"('k{w % 2}', {k}, {u})",
                    "tn": f"({k}, {u}, 's{w}')"}[t]
            return f"INSERT INTO {t} VALUES {vals}"
        if op < 0.6:
            return f"UPDATE {t} SET u = {u} WHERE {key} = {k}"
        if op < 0.7:
            return f"UPDATE {t} SET {key} = {key} + 1 WHERE u = {u}"
        if op < 0.8:
            return f"UPDATE {t} SET u = {u} WHERE u = {w}"
        return f"DELETE FROM {t} WHERE {key} = {k}"

    for _ in range(60):
        run("BEGIN")
        for _ in range(rnd.randrange(1, 6)):
            try:
                run(stmt())
            except Error:
                pass
        run("COMMIT" if rnd.random() < 0.85 else "ROLLBACK")
    expected = snapshot(conn)
    conn.close()
    b = str(tmp_path / "b")
    replay(binlog_text(a), b)
    conn = core.connect(b, autocommit=True)
    try:
        assert snapshot(conn) == expected
        admin_check_all(conn)
    finally:
        conn.close()


def test_several_files(tmp_path):
    """Rotated files read in their index's order; positions name a file or the first/last."""
    a = str(tmp_path / "a")
    conn = core.connect(a, create=True, autocommit=True)
    run = runner(conn)
    run("CREATE TABLE t (a INT PRIMARY KEY)")
    run("INSERT INTO t VALUES (1)")
    conn._engine.binlog.rotate()  # FLUSH BINARY LOGS (not in SQL yet)
    run("INSERT INTO t VALUES (2)")
    run("INSERT INTO t VALUES (3)")
    conn.close()
    entries = core.binlog_timeline(a)
    files = sorted({e.file for e in entries})
    assert files == ["binlog.000001", "binlog.000002"]
    text = binlog_text(a)
    assert "Start: binlog binlog.000002" in text
    assert "# Previous-GTIDs: " + entries[0].gtid.split(":")[0] + ":1-2" in text
    third = entries[-1]
    # a bare stop position is in the last file, a bare start position in the first
    assert binlog_text(a, stop_position=str(third.pos)).count("# GTID ") == 3
    assert binlog_text(a, start_position=str(entries[1].pos)).count("# GTID ") == 3
    named = binlog_text(a, start_position=f"binlog.000002:{third.pos}")
    assert named.count("# GTID ") == 1 and "VALUES (3)" in named
    # the files given one by one, the second alone
    second = binlog_text(os.path.join(a, "binlog.000002"))
    assert second.count("# GTID ") == 2 and "CREATE TABLE" not in second
    b = str(tmp_path / "b")
    replay(text, b)
    conn = core.connect(b, autocommit=True)
    try:
        assert runner(conn)("SELECT a FROM t ORDER BY a") == [(1,), (2,), (3,)]
    finally:
        conn.close()
