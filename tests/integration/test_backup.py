"""Hot backups (core.backup.backup): taken while another process or other threads commit,
a copy of the backup opened with core.connect (crash recovery replays the copied redo) is
exactly the state as of the manifest's LSN: a prefix of the commits, with the GTID set and
binlog position that go with it.  Verification finds damaged, truncated, missing, extra and
foreign files; an interrupted backup is redone; a non-empty directory is refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

import core
from core.backup import backup as B
from core.backup import manifest as mf
from core.errors import CorruptionError, OperationalError
from core.events import BackupFinished, BackupProgress
from core.log import binlog_format as fmt
from tests.crash.harness import ROOT, WORKER_VARS, AckReader

BASE_GTIDS = 3  # the worker's two CREATE TABLE and the counter's first row


def _writer(path: str, n: int, segment: int = 1 << 20) -> tuple[subprocess.Popen, AckReader]:
    env = {k: v for k, v in os.environ.items() if k not in WORKER_VARS}
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash.backup_worker", "write", path,
                             str(n), str(segment)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reader = AckReader(proc)
    reader.start()
    return proc, reader


def _wait_acks(reader: AckReader, proc: subprocess.Popen, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(reader.acks) < n:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.01)


def restored_state(dest: str, tmp) -> tuple[int, int, int]:
    """(count(t), max(t.i), c.n) of a copy of the backup opened by crash recovery."""
    copy = str(tmp)
    shutil.copytree(dest, copy)
    conn = core.connect(copy, autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute("select count(*), coalesce(max(i), 0) from t")
        count, top = cur.fetchall()[0]
        cur.execute("select n from c")
        (n,), = cur.fetchall()
        cur.execute("admin check table t")
        return count, top, n
    finally:
        conn.close()


def _last_seq(gtid: str) -> int:
    return int(gtid.split(":")[-1].split("-")[-1])


def _binlog_before(source: str, name: str, pos: int) -> tuple[str, int] | None:
    """The GTID of the transaction that ends at `name`:`pos` in the source's binlog."""
    last = None
    for ev in fmt.read_events(os.path.join(source, name)):
        if ev.end > pos:
            break
        if ev.kind == fmt.EventType.GTID:
            last = (ev.fields[0], ev.fields[1])
    return last


def test_backup_of_a_database_another_process_writes(tmp_path):
    src = str(tmp_path / "db")
    proc, reader = _writer(src, 200000, segment=256 * 1024)
    try:
        _wait_acks(reader, proc, 300)
        before = reader.acks[-1]
        info = core.backup_database(src, str(tmp_path / "bk"))
        after = reader.acks[-1]
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode != 0  # it was still writing: the backup was hot
    count, top, n = restored_state(str(tmp_path / "bk"), tmp_path / "copy")
    assert count == top == n  # each row together with its counter: a consistent prefix
    assert before <= n <= after + 1
    assert _last_seq(info.gtid) == BASE_GTIDS + n
    assert info.binlog_file.startswith("binlog.")
    uuid, seq = _binlog_before(src, info.binlog_file, info.binlog_pos)
    assert seq == BASE_GTIDS + n and uuid in info.gtid
    assert B.verify(str(tmp_path / "bk")).ok
    assert [b.path for b in core.list_backups(src)] == [str(tmp_path / "bk")]


def test_backup_in_process_while_threads_write(tmp_path):
    src = str(tmp_path / "db")
    conn = core.connect(src, create=True, autocommit=True, flush_interval=0.02,
                        segment_size=256 * 1024)
    cur = conn.cursor()
    cur.execute("create table t (i int primary key, pad varchar(200))")
    cur.execute("create table c (id int primary key, n int)")
    cur.execute("insert into c values (1, 0)")
    stop = threading.Event()
    done: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        c = core.connect(src)
        k = c.cursor()
        try:
            while not stop.is_set():
                with lock:  # one counter: each thread takes the next i
                    k.execute("select n from c")
                    i = k.fetchall()[0][0] + 1
                    k.execute("insert into t values (%s, %s)", (i, "y" * 150))
                    k.execute("update c set n = %s where id = 1", (i,))
                    c.commit()
                    done.append(i)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        while len(done) < 200:
            time.sleep(0.01)
        events: list = []
        info = core.backup_database(src, str(tmp_path / "bk"), sink=events.append)
        more = len(done)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    cur.execute("create table later (a int)")  # the engine is fine after the backup
    conn.close()
    assert any(isinstance(e, BackupProgress) and e.file == "test/t.kdb" for e in events)
    assert isinstance(events[-1], BackupFinished) and events[-1].lsn == info.lsn
    count, top, n = restored_state(str(tmp_path / "bk"), tmp_path / "copy")
    assert count == top == n and 200 <= n <= more
    assert _last_seq(info.gtid) == BASE_GTIDS + n


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished backup of a small database (the tests below copy it before damaging)."""
    root = tmp_path_factory.mktemp("bk")
    src = str(root / "db")
    conn = core.connect(src, create=True, autocommit=True)
    cur = conn.cursor()
    cur.execute("create table t (i int primary key, pad varchar(200))")
    cur.execute("create table c (id int primary key, n int)")
    cur.execute("insert into c values (1, 3)")
    cur.execute("insert into t values (1, 'a'), (2, 'b'), (3, 'c')")
    core.backup_database(src, str(root / "bk"))
    conn.close()
    return str(root / "bk")


def _damaged(finished: str, tmp_path) -> str:
    dest = str(tmp_path / "bk")
    shutil.copytree(finished, dest)
    return dest


def test_verify_ok_and_restored_state(finished, tmp_path):
    report = core.verify_backup(finished)
    assert report.ok and report.files == 5 and report.problems == ()
    assert core.read_backup(finished).verified == "ok"
    assert restored_state(finished, tmp_path / "copy") == (3, 3, 3)


def test_verify_finds_a_flipped_byte(finished, tmp_path):
    dest = _damaged(finished, tmp_path)
    with open(os.path.join(dest, "test", "t.kdb"), "r+b") as f:
        f.seek(5000)
        b = f.read(1)
        f.seek(5000)
        f.write(bytes([b[0] ^ 0x40]))
    report = core.verify_backup(dest)
    assert not report.ok
    assert len(report.problems) == 1 and report.problems[0].startswith("test/t.kdb: crc32c")
    assert "crc32c" in core.read_backup(dest).verified


def test_verify_finds_truncated_missing_and_extra_files(finished, tmp_path):
    dest = _damaged(finished, tmp_path)
    seg = os.path.join(dest, "#redo", "redo.00000001")
    os.truncate(seg, os.path.getsize(seg) // 2)
    os.unlink(os.path.join(dest, "test", "c.kdb"))
    shutil.copyfile(os.path.join(dest, "test", "t.kdb"), os.path.join(dest, "test", "x.kdb"))
    problems = core.verify_backup(dest).problems
    assert any(p.startswith("#redo/redo.00000001: size") and "truncated" in p
               for p in problems)
    assert "test/c.kdb: missing" in problems
    assert any(p.startswith("test/x.kdb: an extra tablespace") for p in problems)
    assert len(problems) == 3


@pytest.mark.parametrize("text, why", [
    ('{"format": 1, "kind": "something-else"}', "not a KintsugiDB backup manifest"),
    ('{"format": 1, "kind": "kintsugi-backup", "lsn": 5', "not valid JSON"),
    ('{"format": 1, "kind": "kintsugi-backup", "lsn": "x"}', "field \"source\""),
    (None, "is missing"),
])
def test_foreign_or_damaged_manifest(finished, tmp_path, text, why):
    dest = _damaged(finished, tmp_path)
    path = os.path.join(dest, mf.MANIFEST)
    if text is None:
        os.unlink(path)
    else:
        with open(path, "w") as f:
            f.write(text)
    with pytest.raises(CorruptionError) as exc:
        core.read_backup(dest)
    assert exc.value.errno == 1877 and "manifest.json" in exc.value.msg and why in exc.value.msg
    report = core.verify_backup(dest)
    assert not report.ok and report.problems[0].startswith("manifest.json:")
    assert why in report.problems[0]


def test_refuses_non_empty_and_finished_destinations(tmp_path):
    src = str(tmp_path / "db")
    core.connect(src, create=True, autocommit=True).close()
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OperationalError) as exc:
        core.backup_database(src, str(other))
    assert exc.value.errno == 1007 and "not empty" in exc.value.msg
    assert os.listdir(other) == ["notes.txt"]  # nothing changed
    core.backup_database(src, str(tmp_path / "bk"))
    with pytest.raises(OperationalError) as exc:
        core.backup_database(src, str(tmp_path / "bk"))
    assert "finished backup" in exc.value.msg and "--force" in exc.value.msg
    first = core.read_backup(str(tmp_path / "bk")).finished
    assert core.backup_database(src, str(tmp_path / "bk"), force=True).finished > first
    with pytest.raises(core.errors.ProgrammingError):
        core.backup_database(src, os.path.join(src, "inside"))
    assert len(core.list_backups(src)) == 1  # the same directory, listed once


def test_rerun_after_an_interrupted_backup(finished, tmp_path):
    """What a SIGKILL leaves (the marker, some files, no manifest) is not a backup, and
    the next run into the same directory clears it and finishes."""
    dest = _damaged(finished, tmp_path)
    os.unlink(os.path.join(dest, mf.MANIFEST))
    with open(os.path.join(dest, mf.MARKER), "w") as f:
        f.write("pid 1\n")
    with pytest.raises(CorruptionError, match="interrupted"):
        core.read_backup(dest)
    src = json.load(open(os.path.join(finished, mf.MANIFEST)))["source"]
    info = core.backup_database(src, dest)
    assert core.verify_backup(dest).ok and not os.path.exists(os.path.join(dest, mf.MARKER))
    assert info.files == 5


def test_tables_created_and_dropped_during_the_backup(tmp_path):
    """A table created while the backup copies (its map entry still only in the redo), one
    dropped meanwhile: the restored copy has exactly what was committed at its LSN."""
    src = str(tmp_path / "db")
    conn = core.connect(src, create=True, autocommit=True, flush_interval=0.02)
    cur = conn.cursor()
    for name in ("a", "b", "gone"):
        cur.execute(f"create table {name} (i int primary key, v varchar(50), key kv (v))")
        cur.execute(f"insert into {name} values (1, 'x'), (2, 'y')")
    done = []

    def sink(ev) -> None:
        if isinstance(ev, BackupProgress) and ev.phase == "tablespaces" and not done:
            done.append(ev.file)
            other = conn.cursor()
            other.execute("create table born (i int primary key, v varchar(50), key kv (v))")
            other.execute("insert into born values (7, 'new'), (8, 'newer')")
            other.execute("drop table gone")
            other.execute("insert into a values (3, 'z')")

    info = core.backup_database(src, str(tmp_path / "bk"), sink=sink)
    conn.close()
    assert done == ["system.kdb"]
    assert core.verify_backup(str(tmp_path / "bk")).ok
    shutil.copytree(str(tmp_path / "bk"), str(tmp_path / "copy"))
    with core.connect(str(tmp_path / "copy"), autocommit=True) as c:
        k = c.cursor()
        k.execute("select i, v from born order by i")
        assert k.fetchall() == [(7, "new"), (8, "newer")]
        k.execute("select count(*) from a")
        assert k.fetchall() == [(3,)]
        k.execute("show tables")
        assert sorted(r[0] for r in k.fetchall()) == ["a", "b", "born"]
        k.execute("admin check table a, b, born")
    assert _last_seq(info.gtid) == 6 + 4
    assert _binlog_before(src, info.binlog_file, info.binlog_pos)[1] == 10


def test_backup_with_the_binlog_off(tmp_path):
    src = str(tmp_path / "db")
    with core.connect(src, create=True, autocommit=True, log_bin=False) as conn:
        cur = conn.cursor()
        cur.execute("create table t (i int primary key, pad varchar(200))")
        cur.execute("create table c (id int primary key, n int)")
        cur.execute("insert into c values (1, 2)")
        cur.execute("insert into t values (1, 'a'), (2, 'b')")
        info = core.backup_database(src, str(tmp_path / "bk"))
    assert (info.binlog_file, info.binlog_pos) == ("", 0)
    assert restored_state(str(tmp_path / "bk"), tmp_path / "copy") == (2, 2, 2)


def _rewrite(dest: str, change) -> None:
    """Edit manifest.json by hand (as a person would), keeping its own crc32c as it was."""
    path = os.path.join(dest, mf.MANIFEST)
    data = json.load(open(path))
    change(data)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


@pytest.mark.parametrize("change, why", [
    (lambda m: m.update(gtid_executed=m["gtid_executed"][:-1] + "9"), "changed or damaged"),
    (lambda m: m.update(lsn=m["lsn"] + 10), "changed or damaged"),
    (lambda m: m.pop("crc32c"), "no checksum of its own"),
])
def test_manifest_checks_itself(finished, tmp_path, change, why):
    """A manifest edited by hand (a GTID range widened, a flipped digit) or without its own
    checksum is refused by read (verify and the console) with 1877 naming manifest.json."""
    dest = _damaged(finished, tmp_path)
    _rewrite(dest, lambda m: None)  # reformatted only: the canonical JSON is the same
    assert core.read_backup(dest).lsn == core.read_backup(finished).lsn
    assert core.verify_backup(dest).ok
    _rewrite(dest, change)
    with pytest.raises(CorruptionError) as exc:
        core.read_backup(dest)
    assert exc.value.errno == 1877 and "manifest.json" in exc.value.msg and why in exc.value.msg
    report = core.verify_backup(dest)
    assert not report.ok and report.problems[0].startswith("manifest.json:")
    assert why in report.problems[0]


def _finished_time(dest: str) -> float:
    return core.read_backup(dest).finished


def _siblings(dest: str) -> list[str]:
    parent, name = os.path.split(dest)
    return sorted(n for n in os.listdir(parent) if n.startswith(f".{name}."))


@pytest.mark.parametrize("exchange", [True, False])
def test_force_builds_aside_and_swaps(tmp_path, monkeypatch, exchange):
    """--force over a finished backup writes the new one into a hidden sibling and swaps
    it in only when it is finished (with or without an atomic exchange): a failure on the
    way leaves the old backup whole and nothing aside; the history lists DEST once."""
    if not exchange:
        monkeypatch.setattr(B, "_exchange", lambda a, b: False)
    src = str(tmp_path / "db")
    conn = core.connect(src, create=True, autocommit=True)
    cur = conn.cursor()
    cur.execute("create table t (i int primary key)")
    cur.execute("insert into t values (1)")
    bk = str(tmp_path / "bk")
    first = core.backup_database(src, bk)
    cur.execute("insert into t values (2)")

    def broken(self, rels):
        assert os.path.basename(self.dest) == ".bk.kintsugi-new"
        raise OperationalError("the disk went away", errno=1030)
    with monkeypatch.context() as m:
        m.setattr(B._Backup, "_checksums", broken)
        with pytest.raises(OperationalError, match="went away"):
            core.backup_database(src, bk, force=True)
    assert _finished_time(bk) == first.finished and core.verify_backup(bk).ok
    assert _siblings(bk) == []
    second = core.backup_database(src, bk, force=True)
    assert second.path == bk and second.lsn > first.lsn and second.gtid.endswith(":1-3")
    assert core.verify_backup(bk).ok and _siblings(bk) == []
    assert not os.path.exists(os.path.join(bk, mf.MARKER))
    assert [b.path for b in core.list_backups(src)] == [bk]
    conn.close()


def test_force_clears_what_a_crash_left_aside(tmp_path):
    src = str(tmp_path / "db")
    core.connect(src, create=True, autocommit=True).close()
    bk = str(tmp_path / "bk")
    first = core.backup_database(src, bk)
    # a crash between the two renames (no atomic exchange): the old backup is put back
    os.rename(bk, str(tmp_path / ".bk.kintsugi-old"))
    os.makedirs(str(tmp_path / ".bk.kintsugi-new" / "#redo"))
    open(str(tmp_path / ".bk.kintsugi-new" / mf.MARKER), "w").close()
    with pytest.raises(OperationalError, match="finished backup"):
        core.backup_database(src, bk)
    assert _finished_time(bk) == first.finished and _siblings(bk) == []
    # a crash after the swap: the old backup aside is removed by the next run
    shutil.copytree(bk, str(tmp_path / ".bk.kintsugi-new"))
    core.backup_database(src, bk, force=True)
    assert _siblings(bk) == [] and core.verify_backup(bk).ok
    # something else under our hidden name is not removed
    os.makedirs(str(tmp_path / ".bk.kintsugi-new"))
    open(str(tmp_path / ".bk.kintsugi-new" / "mine.txt"), "w").close()
    with pytest.raises(OperationalError, match="in the way") as exc:
        core.backup_database(src, bk, force=True)
    assert exc.value.errno == 1007
    assert os.listdir(str(tmp_path / ".bk.kintsugi-new")) == ["mine.txt"]


def test_destination_overlapping_the_data_directory(tmp_path):
    """DEST equal to, inside, or above the data directory (also through a symlink) is
    refused with 1210 before anything is written; a missing parent is created; a parent
    that is a file is a clear 1006."""
    src = str(tmp_path / "data" / "db")
    core.connect(src, create=True, autocommit=True).close()
    before = sorted(os.listdir(src))
    os.symlink(src, str(tmp_path / "link"))
    for dest in (src, src + "/", os.path.join(src, "bk"), os.path.join(src, "test", "bk"),
                 str(tmp_path / "data"), str(tmp_path), str(tmp_path / "link" / "bk"),
                 str(tmp_path / "data" / "x" / ".." / "db" / "bk")):
        with pytest.raises(core.errors.ProgrammingError) as exc:
            core.backup_database(src, dest)
        assert exc.value.errno == 1210 and "overlap" in exc.value.msg
    assert sorted(os.listdir(src)) == before and not os.path.exists(str(tmp_path / "data" / "x"))
    info = core.backup_database(src, str(tmp_path / "backups" / "deep" / "bk"))
    assert core.verify_backup(info.path).ok
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OperationalError) as exc:
        core.backup_database(src, str(tmp_path / "afile" / "sub" / "bk"))
    assert exc.value.errno == 1006 and "afile is a file" in exc.value.msg


def test_force_through_a_symlinked_destination(tmp_path):
    src = str(tmp_path / "db")
    core.connect(src, create=True, autocommit=True).close()
    real = str(tmp_path / "real")
    core.backup_database(src, real)
    os.symlink(real, str(tmp_path / "bk"))
    info = core.backup_database(src, str(tmp_path / "bk"), force=True)
    assert info.path == real and os.path.islink(str(tmp_path / "bk"))
    assert core.verify_backup(str(tmp_path / "bk")).ok and _siblings(real) == []


def test_a_recorded_backup_that_moved_or_broke_stays_listed_as_unusable(tmp_path):
    """The history keeps naming a backup the DBA took: moved away, it is listed with why it
    cannot be used (the console then says so instead of "no backup yet")."""
    src = str(tmp_path / "db")
    conn = core.connect(src, create=True, autocommit=True)
    conn.execute("create table t (i int primary key)")
    conn.close()
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    core.backup_database(src, a)
    core.backup_database(src, b)
    shutil.move(a, str(tmp_path / "moved"))
    with open(os.path.join(b, "manifest.json"), "a", encoding="utf-8") as f:
        f.write(" ")  # still valid JSON, same content: usable
    listed = {x.path: x.verified for x in core.list_backups(src)}
    assert set(listed) == {a, b}
    assert "gone" in listed[a] and listed[b] == ""
