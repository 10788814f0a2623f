"""A damaged binary log at open: a lost or garbled index is rebuilt from the files (never a
new binlog.000001 over the old one), damage that is not a torn tail the redo gives back is
refused (1877) instead of cut, --skip-log-bin then opens and leaves it as it is, the open's
scan and rotation do not decode the whole file, and SHOW BINLOG EVENTS says where a damaged
file stops."""

from __future__ import annotations

import os

import pytest

import core
from core.errors import CorruptionError, Error
from core.log import binlog as bl
from core.log import binlog_format as fmt


def _open(path, **kw):
    return core.connect(str(path), create=True, autocommit=True, flush_interval=0.05, **kw)


def run(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    if cur.description is None:
        return cur.rowcount
    return [list(r) for r in cur.fetchall()]


def executed(conn) -> str:
    return run(conn, "SHOW MASTER STATUS")[0][4]


def make(path, n: int = 6):
    """A database with a table and `n` committed transactions, closed cleanly."""
    conn = _open(path)
    run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(200))")
    for i in range(n - 1):
        run(conn, "INSERT INTO t VALUES (%s, %s)", (i, "x" * 100))
    gtids = executed(conn)
    conn.close()
    return gtids


def errlog(path) -> str:
    with open(os.path.join(path, "kintsugi.err")) as f:
        return f.read()


def seqs(gtids: str) -> str:
    return gtids.split(":", 1)[1]


@pytest.mark.parametrize("how", ["deleted", "emptied", "garbled", "binary", "stale"])
def test_lost_index_is_rebuilt_never_a_new_first_file(tmp_path, how):
    path = tmp_path / "db"
    before = make(path)
    assert seqs(before) == "1-6"
    f1 = path / "binlog.000001"
    data = f1.read_bytes()
    index = path / "binlog.index"
    if how == "deleted":
        index.unlink()
    elif how == "emptied":
        index.write_text("")
    elif how == "garbled":
        index.write_text("hello\n./nothing.here\n")
    elif how == "binary":
        index.write_bytes(b"\xff\xfe\x00garbage")
    else:  # it names only a file that is not there
        index.write_text("./binlog.000009\n")
    conn = core.connect(str(path), autocommit=True)
    try:
        assert f1.read_bytes() == data  # not truncated, not rewritten
        assert executed(conn) == before
        run(conn, "INSERT INTO t VALUES (100, 'y')")
        assert seqs(executed(conn)) == "1-7"  # GTIDs go on, never reused
    finally:
        conn.close()
    assert f1.read_bytes().startswith(data)
    assert index.read_text() == "./binlog.000001\n"
    assert any("Warning" in line and "binlog.index" in line and "rebuilt" in line
               for line in errlog(path).splitlines())


def test_lost_index_with_a_foreign_file_is_refused_naming_it(tmp_path):
    make(tmp_path / "other", 2)
    path = tmp_path / "db"
    make(path)
    os.replace(tmp_path / "other" / "binlog.000001", path / "binlog.000002")
    (path / "binlog.index").unlink()
    with pytest.raises(CorruptionError) as e:
        core.connect(str(path), autocommit=True)
    assert e.value.errno == 1877 and "binlog.000002" in str(e.value)


def test_an_existing_file_is_never_overwritten_by_a_new_one(tmp_path):
    w = bl.BinlogWriter.open(str(tmp_path), "3e11fa47-71ca-11e1-9e33-c80aa9429562")
    try:
        w.enqueue(1, 1, fmt.gtid(1.0, w.uuid, 1, 1) + fmt.query(1.0, "d", "CREATE TABLE x (a INT)"))
        w.write_through(1)
        data = (tmp_path / "binlog.000001").read_bytes()
        with pytest.raises(CorruptionError):
            w._start_file("binlog.000001", w.executed)
        assert (tmp_path / "binlog.000001").read_bytes() == data
    finally:
        w.close()


def _flip(p, pos: int) -> None:
    with open(p, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0xFF]))


def test_damage_in_the_middle_after_a_clean_close_is_refused(tmp_path):
    path = tmp_path / "db"
    before = make(path, 20)
    f1 = path / "binlog.000001"
    size = f1.stat().st_size
    _flip(f1, size // 2)
    data = f1.read_bytes()
    with pytest.raises(CorruptionError) as e:
        core.connect(str(path), autocommit=True)
    text = str(e.value)
    assert e.value.errno == 1877 and "binlog.000001" in text and "position" in text
    assert "--skip-log-bin" in text and "binlog.*" in text
    assert f1.read_bytes() == data  # nothing cut
    # --skip-log-bin opens, warns, and leaves the binary log untouched
    conn = core.connect(str(path), autocommit=True, log_bin=False)
    try:
        assert run(conn, "SELECT COUNT(*) FROM t") == [[19]]
    finally:
        conn.close()
    assert f1.read_bytes() == data
    assert "--skip-log-bin" in errlog(path)
    assert seqs(before) == "1-20"


def test_damage_in_the_last_event_after_a_clean_close_is_refused(tmp_path):
    """Nothing intact follows it, but the redo log does not give the transaction back (the
    close checkpointed): cutting it would lose a committed GTID."""
    path = tmp_path / "db"
    make(path, 5)
    f1 = path / "binlog.000001"
    _flip(f1, f1.stat().st_size - 3)
    data = f1.read_bytes()
    with pytest.raises(CorruptionError) as e:
        core.connect(str(path), autocommit=True)
    assert e.value.errno == 1877 and "binlog.000001" in str(e.value)
    assert f1.read_bytes() == data


def test_a_torn_tail_the_redo_gives_back_is_cut_and_rewritten(tmp_path):
    """The writer's contract with recovery: a tail that is a start of what the redo log
    gives back is cut and written again, nothing else."""
    d = str(tmp_path)
    uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
    txn = [fmt.gtid(1.0, uuid, s, s) + fmt.query(1.0, "d", f"CREATE TABLE x{s} (a INT)")
           for s in (1, 2, 3)]
    w = bl.BinlogWriter.open(d, uuid)
    for s in (1, 2):
        w.enqueue(s, s, txn[s - 1])
        w.write_through(s)
    w.close()
    p = os.path.join(d, "binlog.000001")
    with open(p, "ab") as f:
        f.write(txn[2][:len(txn[2]) // 2])
    w = bl.BinlogWriter.open(d, uuid)
    try:
        assert w.recover(txn) == 1
        assert str(w.executed) == f"{uuid}:1-3"
    finally:
        w.close()
    # the same tail with a byte that is not what the redo gives back: refused
    with open(p, "ab") as f:
        f.write(b"\x01" + txn[2][1:10])
    w = bl.BinlogWriter.open(d, uuid)
    try:
        with pytest.raises(CorruptionError):
            w.recover([])
    finally:
        w.close()


def test_a_row_over_64_mib_is_logged_and_read_back(tmp_path):
    path = tmp_path / "db"
    conn = _open(path)
    try:
        run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b LONGBLOB)")
        run(conn, "INSERT INTO t VALUES (1, %s)", (b"\x01" * (65 * 1024 * 1024),))
        run(conn, "INSERT INTO t VALUES (2, 'after')")
        before = executed(conn)
    finally:
        conn.close()
    conn = core.connect(str(path), autocommit=True)
    try:
        assert executed(conn) == before and seqs(before) == "1-3"
    finally:
        conn.close()
    assert "cut" not in errlog(path)


def test_an_event_over_the_limit_fails_its_commit(tmp_path, monkeypatch):
    path = tmp_path / "db"
    conn = _open(path)
    try:
        run(conn, "CREATE TABLE t (a INT PRIMARY KEY, b LONGBLOB)")
        monkeypatch.setattr(fmt, "MAX_EVENT", 4096)
        with pytest.raises(Error) as e:
            run(conn, "INSERT INTO t VALUES (1, %s)", (b"\x01" * 10000,))
        assert e.value.errno == 1197
        monkeypatch.undo()
        assert run(conn, "SELECT COUNT(*) FROM t") == [[0]]
        run(conn, "INSERT INTO t VALUES (2, 'after')")
        assert seqs(executed(conn)) == "1-2"
    finally:
        conn.close()


def test_rotation_and_open_do_not_decode_the_whole_file(tmp_path, monkeypatch):
    path = tmp_path / "db"
    make(path, 60)
    monkeypatch.setattr(fmt, "read_events", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("read_events")))
    monkeypatch.setattr(fmt, "transaction_ends", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("transaction_ends")))
    conn = core.connect(str(path), autocommit=True)
    try:
        run(conn, "FLUSH BINARY LOGS")
        run(conn, "INSERT INTO t VALUES (1000, 'z')")
        assert seqs(executed(conn)) == "1-61"
    finally:
        conn.close()


def test_show_binlog_events_warns_where_a_damaged_file_stops(tmp_path):
    path = tmp_path / "db"
    make(path, 20)
    conn = core.connect(str(path), autocommit=True)
    try:
        run(conn, "FLUSH BINARY LOGS")
    finally:
        conn.close()
    f1 = path / "binlog.000001"
    _flip(f1, f1.stat().st_size // 2)
    conn = core.connect(str(path), autocommit=True)
    try:
        rows = run(conn, "SHOW BINLOG EVENTS IN 'binlog.000001'")
        assert rows and rows[-1][2] != "Rotate"
        warns = run(conn, "SHOW WARNINGS")
        assert [w[1] for w in warns] == [1220], warns
        assert "position" in warns[0][2]
    finally:
        conn.close()


@pytest.mark.parametrize("size", [0, 3, 30])
def test_a_headless_last_file_in_the_index_is_made_again(tmp_path, size):
    """Power lost right after a rotation listed the new file: it is empty or half a head."""
    path = tmp_path / "db"
    make(path, 3)
    conn = core.connect(str(path), autocommit=True)
    try:
        run(conn, "FLUSH BINARY LOGS")
    finally:
        conn.close()
    os.truncate(path / "binlog.000002", size)
    conn = core.connect(str(path), autocommit=True)
    try:
        run(conn, "INSERT INTO t VALUES (1000, 'z')")
        assert seqs(executed(conn)) == "1-4"
    finally:
        conn.close()
    assert fmt.file_head(str(path / "binlog.000002"))[1].endswith(":1-3")
