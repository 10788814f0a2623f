"""force_recovery >= 1 skips damaged rows, as InnoDB's SRV_FORCE_IGNORE_CORRUPT lets
`SELECT * FROM t` skip corrupt records so the table can be dumped.  Real files: rows are
damaged in the table's .kdb behind the engine's back (a flipped byte, so the CRC fails, or a
payload whose CRC holds but which does not decode); every read path (full scan, the
pushed-down aggregates, point get, handle range, index lookup, joins, streaming) returns
the good rows with warning 1877 per damaged row and flags the table in memory; a normal open
still fails with 1877; `kintsugi dump --force-recovery 1` writes every good row and says on
stderr how many it skipped.  At the end, two small fixes made alongside: ON DUPLICATE KEY
UPDATE raising the auto-increment counter, and CHECK TABLE classified as interruptible."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest
from crc32c import crc32c

import core
from core.codec import decode_row_key
from core.errors import CorruptionError, OperationalError
from tests.damage import edit_tablespace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = 60
BAD = (7, 23)  # 7: checksum fails; 23: checksum holds, payload undecodable
GOOD = [i for i in range(1, N + 1) if i not in BAD]


def _conn(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, **kw)


def _q(cur, sql, params=None):
    cur.execute(sql, params)
    return cur.fetchall() if cur.description else None


def _kdb(path, table: str) -> str:
    files = glob.glob(os.path.join(str(path), "test", f"{table}*.kdb"))
    assert len(files) == 1, files
    return files[0]


def _edit(path, table: str, fn) -> None:
    """Change a table's tablespace file directly, as damage would (the database closed)."""
    edit_tablespace(_kdb(path, table), fn)


def _row_keys(txn) -> list[bytes]:
    return [bytes(k) for k, _v in txn.cursor() if k[9:11] == b"_r"]


def _flip(txn, key: bytes) -> None:
    v = bytearray(txn.get(key))
    v[2] ^= 0x5A  # the CRC no longer matches
    txn.put(key, bytes(v))


def _undecodable(txn, key: bytes) -> None:
    body = b"\x93\xc1\x01\xce"  # an array whose 2nd item is the never-used byte 0xc1
    txn.put(key, body + crc32c(body).to_bytes(4, "little"))


def _damage(path, table: str, handles, how=_flip) -> None:
    def fn(txn):
        for k in _row_keys(txn):
            if decode_row_key(k)[1] in handles:
                how(txn, k)
    _edit(path, table, fn)


def _build(path) -> None:
    conn = _conn(path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE t (id INT PRIMARY KEY, b INT NOT NULL, s VARCHAR(20), KEY ib (b))")
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)",
                    [(i, i * 10, f"s{i}") for i in range(1, N + 1)])
    _q(cur, "CREATE TABLE u (id INT PRIMARY KEY, tid INT, KEY it (tid))")
    cur.executemany("INSERT INTO u VALUES (%s, %s)", [(i, i) for i in range(1, N + 1)])
    conn.close()  # a clean close: everything is in the tablespace files
    _damage(path, "t", {BAD[0]})
    _damage(path, "t", {BAD[1]}, _undecodable)


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    path = tmp_path_factory.mktemp("forced")
    _build(path)
    return path


def _skips(cur) -> list[int]:
    """The handles warning 1877 says were skipped, in order."""
    out = []
    for level, code, msg in cur.warnings:
        assert (level, code) == ("Warning", 1877), cur.warnings
        assert msg.startswith("Skipped damaged row ") and msg.endswith("(force_recovery 1)")
        out.append(int(msg.split()[3]))
    return out


def test_every_read_path_returns_the_good_rows_with_a_warning_per_damaged_row(damaged):
    conn = core.connect(str(damaged), autocommit=True, force_recovery=1)
    cur = conn.cursor()
    rows = _q(cur, "SELECT * FROM t")
    assert rows == [(i, i * 10, f"s{i}") for i in GOOD]
    assert _skips(cur) == list(BAD)
    msg = cur.warnings[0][2]
    assert "(key 74" in msg and "of `test`.`t`: checksum mismatch" in msg
    assert "undecodable row payload" in cur.warnings[1][2]
    cases = [
        ("SELECT COUNT(*) FROM t", [(N - 2,)], list(BAD)),  # pushed-down aggregate
        ("SELECT SUM(b), COUNT(s) FROM t", [(sum(i * 10 for i in GOOD), N - 2)], list(BAD)),
        ("SELECT SUM(b) FROM t", [(sum(i * 10 for i in GOOD),)], list(BAD)),
        ("SELECT id FROM t WHERE id = 7", [], [7]),  # point get
        ("SELECT id FROM t WHERE id IN (6, 7, 8)", [(6,), (8,)], [7]),
        ("SELECT id FROM t WHERE id BETWEEN 5 AND 25", [(i,) for i in range(5, 26)
                                                        if i not in BAD], list(BAD)),
        ("SELECT id FROM t WHERE b IN (60, 70, 230, 240)", [(6,), (24,)], list(BAD)),  # index
        ("SELECT id FROM t WHERE b >= 200 AND b < 250", [(20,), (21,), (22,), (24,)], [23]),
        ("SELECT id FROM t ORDER BY id DESC LIMIT 20", [(i,) for i in GOOD[::-1][:20]], []),
        ("SELECT id FROM t ORDER BY id DESC", [(i,) for i in GOOD[::-1]], [23, 7]),
        ("SELECT COUNT(*) FROM t WHERE s LIKE 's%'", [(N - 2,)], list(BAD)),
        # joins: t fetched by handle per u row (each damaged row warned once), by index,
        # and scanned on both sides of a self-join
        ("SELECT u.id FROM u JOIN t ON t.id = u.tid WHERE u.id BETWEEN 5 AND 8",
         [(5,), (6,), (8,)], [7]),
        ("SELECT COUNT(*) FROM u JOIN t ON t.b = u.tid * 10", [(N - 2,)], None),
        ("SELECT COUNT(*) FROM t a JOIN t b ON a.s = b.s", [(N - 2,)], None),
        ("SELECT COUNT(*) FROM u LEFT JOIN t ON t.id = u.tid WHERE t.id IS NULL", [(2,)], None),
        ("SELECT id FROM u WHERE tid NOT IN (SELECT id FROM t) ORDER BY id", [(7,), (23,)],
         None),
    ]
    for sql, want, skipped in cases:
        assert _q(cur, sql) == want, sql
        got = _skips(cur)
        if skipped is None:
            assert sorted(got) == list(BAD), (sql, got)
        else:
            assert got == skipped, (sql, got)
    flags = conn._db.flags.all()  # flagged in memory, never written on a read-only open
    assert [(f.table, f.index_id, f.persisted) for f in flags] == [("test.t", 0, False)]
    assert _q(cur, "SELECT COUNT(*) FROM u") == [(N,)] and cur.warnings == []
    with pytest.raises(OperationalError) as e:
        _q(cur, "DELETE FROM t WHERE id = 7")
    assert e.value.errno == 1881
    conn.close()


def test_a_streaming_cursor_gets_its_warnings_once_the_rows_are_read(damaged):
    conn = core.connect(str(damaged), autocommit=True, force_recovery=1)
    cur = conn.cursor(stream=True)
    cur.execute("SELECT id FROM t")
    first = cur.fetchmany(5)
    assert [r[0] for r in first] == GOOD[:5]
    rest = cur.fetchall()
    assert [r[0] for r in first + rest] == GOOD
    assert _skips(cur) == list(BAD)
    conn.close()


def test_a_normal_open_still_fails_with_1877(damaged, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(damaged, copy)
    conn = core.connect(str(copy), autocommit=True)
    cur = conn.cursor()
    for sql in ("SELECT * FROM t", "SELECT COUNT(*) FROM t", "SELECT id FROM t WHERE id = 7",
                "SELECT id FROM t WHERE b = 230"):
        with pytest.raises(CorruptionError) as e:
            _q(cur, sql)
        assert e.value.errno == 1877, sql
    assert [f.table for f in conn._db.flags.all()] == ["test.t"]
    conn.close()


def test_past_100_damaged_rows_one_warning_counts_the_rest(tmp_path):
    conn = _conn(tmp_path)
    conn.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    conn.cursor().executemany("INSERT INTO t VALUES (%s, %s)", [(i, i) for i in range(300)])
    conn.close()
    bad = set(range(0, 300, 2)[:130])
    _damage(tmp_path, "t", bad)
    conn = core.connect(str(tmp_path), autocommit=True, force_recovery=1)
    cur = conn.cursor()
    assert _q(cur, "SELECT COUNT(*) FROM t") == [(300 - 130,)]
    assert len(cur.warnings) == 101
    assert all(w[2].startswith("Skipped damaged row ") for w in cur.warnings[:100])
    assert cur.warnings[100] == ("Warning", 1877, "Skipped 130 damaged rows in all; only the "
                                 "first 100 are listed (force_recovery 1)")
    rows = _q(cur, "SELECT id FROM t")
    assert [r[0] for r in rows] == [i for i in range(300) if i not in bad]
    assert len(cur.warnings) == 101
    conn.close()


def test_clustered_and_rowid_tables_name_the_row_by_its_key(tmp_path):
    conn = _conn(tmp_path)
    conn.execute("CREATE TABLE c (a VARCHAR(10), n INT, v INT, PRIMARY KEY (a, n))")
    conn.execute("INSERT INTO c VALUES ('x', 1, 1), ('x', 2, 2), ('y', 1, 3)")
    conn.execute("CREATE TABLE r (v INT)")
    conn.execute("INSERT INTO r VALUES (10), (20), (30)")
    conn.close()
    _edit(tmp_path, "c", lambda txn: _flip(txn, _row_keys(txn)[1]))  # ('x', 2)
    _damage(tmp_path, "r", {2})
    conn = core.connect(str(tmp_path), autocommit=True, force_recovery=1)
    cur = conn.cursor()
    assert _q(cur, "SELECT v FROM c") == [(1,), (3,)]
    assert cur.warnings[0][2].startswith("Skipped damaged row (x-2) (key ")
    assert _q(cur, "SELECT v FROM c WHERE a = 'x'") == [(1,)]
    assert _q(cur, "SELECT v FROM r") == [(10,), (30,)]
    assert _skips(cur) == [2]
    conn.close()


def kintsugi(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_dump_writes_every_good_row_and_counts_the_skipped_ones(damaged, tmp_path):
    import shutil

    copy = tmp_path / "copy"  # a normal open flags the table on disk: not in the shared one
    shutil.copytree(damaged, copy)
    refused = kintsugi("dump", str(copy))
    assert refused.returncode == 1 and "1877" in refused.stderr
    r = kintsugi("dump", str(damaged), "--force-recovery", "1")
    assert r.returncode == 0, r.stderr
    assert "test.t: skipped 2 damaged row(s)" in r.stderr and "Traceback" not in r.stderr
    assert "test.u" not in r.stderr
    assert "-- WARNING: 2 damaged row(s) of `test`.`t`" in r.stdout
    new = tmp_path / "new"
    loaded = kintsugi("sql", str(new), "--create", stdin=r.stdout)
    assert loaded.returncode == 0, loaded.stderr
    with core.connect(str(new)) as conn:
        assert conn.execute("SELECT * FROM t ORDER BY id").fetchall() == \
            [(i, i * 10, f"s{i}") for i in GOOD]
        assert conn.execute("SELECT COUNT(*) FROM u").fetchone() == (N,)
        assert conn.execute("CHECK TABLE t EXTENDED").fetchall() == \
            [("test.t", "check", "status", "OK")]


def test_dump_api_reports_the_skipped_rows(damaged):
    import io

    from core.dump import dump

    seen = []
    summary = dump(str(damaged), io.StringIO(), force_recovery=1,
                   on_skipped=lambda name, n: seen.append((name, n)))
    assert seen == summary.skipped == [("test.t", 2)]
    assert summary.rows == 2 * N - 2 and not summary.failed


# -- made alongside ------------------------------------------------------------------------


def test_on_duplicate_key_update_of_the_auto_increment_column_raises_the_counter(tmp_path):
    conn = _conn(tmp_path)
    cur = conn.cursor()
    _q(cur, "CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, k INT, UNIQUE KEY uk (k))")
    _q(cur, "INSERT INTO a (k) VALUES (1), (2)")
    _q(cur, "INSERT INTO a (k) VALUES (1) ON DUPLICATE KEY UPDATE id = 100")
    _q(cur, "INSERT INTO a (k) VALUES (3)")
    assert _q(cur, "SELECT id, k FROM a ORDER BY id") == [(2, 2), (100, 1), (101, 3)]
    _q(cur, "INSERT INTO a (k) VALUES (3) ON DUPLICATE KEY UPDATE id = 500")
    _q(cur, "DELETE FROM a WHERE id = 500")
    conn.close()
    conn = _conn(tmp_path)  # persisted: a restart does not go back below it
    cur = conn.cursor()
    _q(cur, "INSERT INTO a (k) VALUES (4)")
    assert _q(cur, "SELECT id FROM a WHERE k = 4") == [(501,)]
    conn.close()


def test_check_table_is_classified_interruptible():
    kind = core.api.classify("CHECK TABLE t")
    assert kind is core.api.StatementKind.CHECK and kind.interruptible
    assert core.api.classify("CHECK TABLE t EXTENDED").interruptible
    assert core.api.classify("ADMIN CHECK TABLE t").interruptible  # batches: cancellable
