"""`kintsugi restore` refusing what would damage something or silently restore the wrong
thing (a DEST that is open or overlaps the source or the backup, a mistyped stop position or
exclude set, a foreign binlog file), and a restored copy that is private and whose tables
with odd names are checked.  Each refusal leaves DEST, the source and the backup as they were.
"""

from __future__ import annotations

import os
import shutil
import stat

import pytest

import core
from core.backup.restore import MARKER
from core.errors import Error
from tests.backup_support.cold import cold_backup


def _rows(path: str, sql: str) -> list:
    conn = core.connect(path, autocommit=True)
    try:
        return sorted(conn.execute(sql).fetchall(), key=repr)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("refusals")
    src = str(root / "src")
    conn = core.connect(src, create=True, autocommit=True)
    conn.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
    conn.execute("INSERT INTO t VALUES (1, 1)")
    conn.close()
    bk = str(root / "bk")
    cold_backup(src, bk)
    conn = core.connect(src, autocommit=True)
    conn.execute("INSERT INTO t VALUES (2, 2)")
    conn.execute("CREATE TABLE `we``ird` (`a``b` INT PRIMARY KEY, KEY `k``1` (`a``b`))")
    conn.execute("INSERT INTO `we``ird` VALUES (7)")
    conn._db.engine.binlog.rotate()
    conn.execute("INSERT INTO t VALUES (3, 3)")
    conn.close()
    return {"root": root, "src": src, "bk": bk}


def _intact(world) -> None:
    assert _rows(world["src"], "SELECT * FROM test.t") == [(1, 1), (2, 2), (3, 3)]
    assert core.verify_backup(world["bk"]).ok


def test_refuses_a_dest_open_in_a_process(world):
    dest = str(world["root"] / "open")
    held = core.connect(dest, create=True, autocommit=True)
    try:
        held.execute("CREATE TABLE mine (a INT)")
        before = sorted(os.listdir(dest))
        with pytest.raises(Error) as e:
            core.restore(world["bk"], dest, force=True)
        assert e.value.errno == 1030 and f"process {os.getpid()}" in e.value.msg
        assert sorted(os.listdir(dest)) == before
        assert not [n for n in os.listdir(world["root"]) if n.startswith("open.replaced")]
        held.execute("INSERT INTO mine VALUES (1)")  # still its own database
    finally:
        held.close()
    r = core.restore(world["bk"], dest, force=True)  # closed: now it may be put aside
    assert os.path.exists(os.path.join(r.replaced, "control"))


@pytest.mark.parametrize("where", ["source_schema", "inside_source", "ancestor", "backup",
                                   "inside_backup", "source", "binlog_dir"])
def test_refuses_a_dest_overlapping_the_source_or_the_backup(world, where, tmp_path):
    src, bk = world["src"], world["bk"]
    kwargs = {}
    dest = {"source_schema": os.path.join(src, "test"), "inside_source": os.path.join(src, "x"),
            "ancestor": str(world["root"]), "backup": bk, "inside_backup": os.path.join(bk, "x"),
            "source": src, "binlog_dir": str(tmp_path / "bl" / "sub")}[where]
    if where == "binlog_dir":
        kwargs["binlog_dir"] = str(tmp_path / "bl")
        shutil.copytree(src, kwargs["binlog_dir"],
                        ignore=lambda d, names: [n for n in names if not n.startswith("binlog")])
    for force in (False, True):
        existed = os.path.exists(dest)
        with pytest.raises(Error) as e:
            core.restore(bk, dest, force=force, **kwargs)
        assert e.value.errno == 1210 and "cannot write over, into or around" in e.value.msg
        assert os.path.exists(dest) == existed
    _intact(world)


def test_refuses_mistyped_stop_positions_and_exclude_sets(world):
    dest = str(world["root"] / "mistyped")
    tl = core.binlog_timeline(world["src"])
    first = tl[0]
    uuid = first.gtid.rpartition(":")[0]
    wrong = uuid[:-1] + ("0" if uuid[-1] != "0" else "1")  # off by one character
    size = os.path.getsize(os.path.join(world["src"], first.file))
    cases = [({"exclude_gtids": f"{wrong}:2"}, 1236, "no transaction of the binary log"),
             ({"exclude_gtids": "999"}, 1236, "no transaction of the binary log"),
             ({"stop_position": "binlog.000099:4"}, 1210, "binlog.000099 is not among"),
             ({"stop_position": f"{first.file}:{size + 100}"}, 1210, "past the end"),
             ({"stop_position": f"{first.file}:{first.pos + 1}"}, 1210,
              "not an event boundary")]
    for kwargs, errno, text in cases:
        with pytest.raises(Error) as e:
            core.restore(world["bk"], dest, **kwargs)
        assert e.value.errno == errno and text in e.value.msg, (kwargs, e.value)
        assert not os.path.exists(dest)
    last = tl[-1]  # a real boundary is still accepted
    r = core.restore(world["bk"], dest, stop_position=f"{last.file}:{last.pos}")
    assert last.gtid in r.stopped_before


def test_refuses_a_foreign_binlog_file_anywhere_in_the_directory(world, tmp_path):
    other = str(tmp_path / "other")
    conn = core.connect(other, create=True, autocommit=True)
    conn.execute("CREATE TABLE z (a INT)")
    conn.close()
    copy = str(tmp_path / "bl")
    os.makedirs(copy)
    names = [ln.strip()[2:] for ln in open(os.path.join(world["src"], "binlog.index"))]
    for n in names:
        shutil.copyfile(os.path.join(world["src"], n), os.path.join(copy, n))
    foreign = f"binlog.{len(names) + 1:06d}"
    shutil.copyfile(os.path.join(other, "binlog.000001"), os.path.join(copy, foreign))
    with open(os.path.join(copy, "binlog.index"), "w") as f:
        f.write("".join(f"./{n}\n" for n in names + [foreign]))
    dest = str(tmp_path / "r")
    with pytest.raises(Error) as e:
        core.restore(world["bk"], dest, binlog_dir=copy)
    assert e.value.errno == 1236 and foreign in e.value.msg and "another database" in e.value.msg
    assert not os.path.exists(dest)


def test_restored_files_are_private_and_odd_names_are_checked(world, tmp_path):
    dest = str(tmp_path / "private")
    r = core.restore(world["bk"], dest)
    assert "test.we`ird" in r.tables_checked and not r.check_failures
    for d, _dirs, files in os.walk(dest):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
        for n in files:
            mode = stat.S_IMODE(os.lstat(os.path.join(d, n)).st_mode)
            assert mode == 0o600, (os.path.join(d, n), oct(mode))
    assert _rows(dest, "SELECT * FROM test.`we``ird`") == [(7,)]


def test_a_dest_holding_an_old_marker_is_never_deleted_without_force(world, tmp_path):
    dest = str(tmp_path / "marked")
    os.makedirs(dest)
    for n in (MARKER, "precious"):
        open(os.path.join(dest, n), "w").close()
    with pytest.raises(Error) as e:
        core.restore(world["bk"], dest)
    assert e.value.errno == 1007
    assert sorted(os.listdir(dest)) == sorted([MARKER, "precious"])
