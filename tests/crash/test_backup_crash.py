"""A backup process SIGKILLed at each named point (core.crashpoints.BACKUP_POINTS) and at
random moments of its copy, while another process keeps committing to the source: what is
left never looks finished (no manifest: `read_backup` says it was interrupted, `verify`
fails), except after the manifest is in place, when the backup is whole; running the backup
again into the same directory works and restores to a consistent state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

import core
from core.backup import backup as B
from core.backup import manifest as mf
from core.crashpoints import BACKUP_POINTS
from core.errors import CorruptionError, OperationalError
from tests.crash.harness import ROOT, WORKER_VARS
from tests.integration.test_backup import _wait_acks, _writer, restored_state


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A database another process keeps writing for the whole module."""
    path = str(tmp_path_factory.mktemp("src") / "db")
    proc, reader = _writer(path, 10_000_000, segment=1 << 20)
    _wait_acks(reader, proc, 500)
    yield path
    proc.kill()
    proc.wait()


def _backup_proc(src: str, dest: str, point: str | None = None, force: bool = False
                 ) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in WORKER_VARS}
    if point:
        env["KINTSUGI_CRASH_AT"] = point
    args = [src, dest, *(["force"] if force else [])]
    return subprocess.Popen([sys.executable, "-m", "tests.crash.backup_worker", "backup", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _not_finished(dest: str) -> None:
    assert not os.path.exists(os.path.join(dest, mf.MANIFEST))
    with pytest.raises(CorruptionError, match="interrupted|not a KintsugiDB backup"):
        core.read_backup(dest)
    assert not core.verify_backup(dest).ok


def _rerun_is_consistent(src: str, dest: str, tmp_path, *, force: bool = False) -> None:
    info = core.backup_database(src, dest, force=force)
    assert core.verify_backup(dest).ok
    assert not os.path.exists(os.path.join(dest, mf.MARKER))
    count, top, n = restored_state(dest, tmp_path / "copy")
    assert count == top == n > 0
    assert info.gtid.endswith(f"-{n + 3}")


@pytest.mark.parametrize("point", BACKUP_POINTS)
def test_killed_at_a_named_point(source, tmp_path, point):
    dest = str(tmp_path / "bk")
    proc = _backup_proc(source, dest, point)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, (out, err)
    assert "DONE" not in out
    if point == "backup.after_manifest":
        # the manifest is written last: once it is there the backup is whole
        assert os.path.exists(os.path.join(dest, mf.MARKER))
        assert core.verify_backup(dest).ok
        count, top, n = restored_state(dest, tmp_path / "first")
        assert count == top == n
        with pytest.raises(OperationalError, match="finished backup"):
            core.backup_database(source, dest)
        _rerun_is_consistent(source, dest, tmp_path, force=True)
        return
    _not_finished(dest)
    _rerun_is_consistent(source, dest, tmp_path)


def test_killed_at_random_moments(source, tmp_path):
    rng = random.Random(int(os.environ.get("KINTSUGI_SEED", "13")))
    dest = str(tmp_path / "bk")
    finished = 0
    for _round in range(4):
        proc = _backup_proc(source, dest)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _err = proc.communicate(timeout=60)
        if "DONE" in out or os.path.exists(os.path.join(dest, mf.MANIFEST)):
            finished += 1  # it finished (or wrote its manifest) before the kill
            assert core.verify_backup(dest).ok
            os.unlink(os.path.join(dest, mf.MANIFEST))  # make the next round start over
            with open(os.path.join(dest, mf.MARKER), "w") as f:
                f.write("test\n")
            continue
        _not_finished(dest)
    _rerun_is_consistent(source, dest, tmp_path)


@pytest.mark.parametrize("point", BACKUP_POINTS + B.FORCE_POINTS)
def test_force_killed_at_a_named_point(source, tmp_path, point):
    """`backup --force` over a finished backup, SIGKILLed anywhere: DEST holds the old
    finished backup until the new one is swapped in, then the new one; never neither.  At
    worst a hidden sibling is left, which the next run clears."""
    dest = str(tmp_path / "bk")
    old = core.backup_database(source, dest)
    proc = _backup_proc(source, dest, point, force=True)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, (out, err)
    info = core.read_backup(dest)
    if point == "backup.after_swap":
        assert info.finished > old.finished and info.lsn > old.lsn
    else:
        assert (info.finished, info.lsn, info.gtid) == (old.finished, old.lsn, old.gtid)
    assert core.verify_backup(dest).ok
    count, top, n = restored_state(dest, tmp_path / "first")
    assert count == top == n and info.gtid.endswith(f"-{n + 3}")
    _rerun_is_consistent(source, dest, tmp_path, force=True)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".bk.")]
    assert [b.path for b in core.list_backups(source)].count(dest) == 1
