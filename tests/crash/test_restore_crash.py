"""`kintsugi restore` SIGKILLed at its named points (core.backup.restore.RESTORE_POINTS) and
at random moments: DEST is either absent (only the hidden temporary was being built) or a
finished restore without the marker (the marker goes before the rename), and running the
restore again succeeds with the same contents as a restore that was never interrupted, or,
when DEST is there, refuses without --force and leaves DEST as it is (never deleted).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import pytest

import core
from core.backup.restore import MARKER, RESTORE_POINTS
from tests.backup_support.cold import cold_backup
from tests.crash.harness import ROOT, WORKER_VARS

GROUP = 25  # rows per restored commit: many commits, so mid_replay can strike late


def _contents(path: str) -> dict:
    conn = core.connect(path, autocommit=True)
    try:
        out = {}
        for t in ("a", "b"):
            out[t] = sorted(conn.execute(f"SELECT * FROM test.{t}").fetchall())
            conn.execute(f"ADMIN CHECK TABLE test.{t}")
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    root = tmp_path_factory.mktemp("restore_crash")
    src = str(root / "src")
    conn = core.connect(src, create=True, autocommit=True)
    q = conn.cursor().execute
    q("CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, u INT UNIQUE, v VARCHAR(20), "
      "KEY kv (v))")
    q("CREATE TABLE b (x INT, y INT, KEY ky (y))")
    q("INSERT INTO a (u, v) VALUES (0, 'start')")
    conn.close()
    bk = str(root / "bk")
    cold_backup(src, bk)
    conn = core.connect(src, autocommit=True)
    q = conn.cursor().execute
    rnd = random.Random(13)
    for i in range(1, 400):
        q("INSERT INTO a (u, v) VALUES (%s, %s)", (i, f"v{i % 17}"))
        q("INSERT INTO b VALUES (%s, %s)", (i, i % 11))
        if i % 5 == 0:
            q("UPDATE a SET v = 'upd' WHERE u = %s", (rnd.randrange(i),))
            q("DELETE FROM b WHERE x = %s", (rnd.randrange(i),))
    q("CREATE TABLE c (id INT PRIMARY KEY)")
    q("INSERT INTO a (u, v) VALUES (1000, 'end')")
    conn.close()
    ref = str(root / "reference")
    core.restore(bk, ref)
    return {"root": root, "bk": bk, "want": _contents(ref)}


def _spawn(bk: str, dest: str, point: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    for var in WORKER_VARS:
        env.pop(var, None)
    if point:
        env["KINTSUGI_CRASH_AT"] = point
    return subprocess.Popen([sys.executable, "-m", "tests.crash.restore_worker", bk, dest,
                             str(GROUP)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _nothing_finished(dest: str) -> None:
    assert not os.path.exists(dest), f"{dest} appeared although the restore was killed " \
        "before its rename"


def _finished(source, dest: str) -> None:
    """DEST was renamed into place: it is whole, and a rerun without --force refuses and
    deletes nothing."""
    assert not os.path.exists(os.path.join(dest, MARKER))
    assert _contents(dest) == source["want"]
    with pytest.raises(core.OperationalError) as info:
        core.restore(source["bk"], dest)
    assert info.value.errno == 1007
    assert _contents(dest) == source["want"]


def _rerun_and_compare(source, dest: str) -> None:
    r = core.restore(source["bk"], dest)
    assert not r.check_failures
    assert not os.path.exists(os.path.join(dest, MARKER))
    parent = os.path.dirname(dest)
    assert not [n for n in os.listdir(parent) if n.startswith(f".{os.path.basename(dest)}.")]
    assert _contents(dest) == source["want"]


@pytest.mark.parametrize("point", RESTORE_POINTS + ("restore.mid_replay:4",))
def test_kill_at_named_point(source, point):
    dest = str(source["root"] / f"d_{point.replace(':', '_').replace('.', '_')}")
    proc = _spawn(source["bk"], dest, point)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -9, (out, err)
    if point == "restore.after_rename":
        _finished(source, dest)
        return
    _nothing_finished(dest)
    _rerun_and_compare(source, dest)


def test_kill_at_random_moments(source):
    rnd = random.Random(int(os.environ.get("RESTORE_CRASH_SEED", "7")))
    start = time.monotonic()
    probe = _spawn(source["bk"], str(source["root"] / "timing"), None)
    probe.communicate(timeout=120)
    took = time.monotonic() - start
    for i in range(4):
        dest = str(source["root"] / f"rand{i}")
        proc = _spawn(source["bk"], dest, None)
        time.sleep(rnd.uniform(0.1, took))
        proc.kill()
        out, _err = proc.communicate(timeout=60)
        if os.path.exists(dest):  # the kill came after the rename: then it is whole
            _finished(source, dest)
            continue
        assert "DONE" not in out
        _nothing_finished(dest)
        _rerun_and_compare(source, dest)
