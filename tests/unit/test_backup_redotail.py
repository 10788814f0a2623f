"""The backup's redo tail (core.backup.redotail): it follows the log across segment
switches into files that read back as the same log, learns the GTIDs of the commits it
copied, and fails with a clear 'run the backup again' when a checkpoint recycled a segment
before it was copied."""

from __future__ import annotations

import os

import pytest

import core
from core import api
from core.backup.redotail import RedoTail, SegmentRecycled
from core.log.control import ControlFile
from core.log.scanner import LogScanner


def _open(tmp_path):
    src = str(tmp_path / "db")
    conn = core.connect(src, create=True, autocommit=True, flush_interval=0,
                        segment_size=64 * 1024)
    cur = conn.cursor()
    cur.execute("create table t (i int primary key, pad varchar(300))")
    engine = api._registry[os.path.realpath(src)].engine
    dst = tmp_path / "bk"
    dst.mkdir()
    ctl = ControlFile(os.path.join(src, "control")).read()
    tail = RedoTail(os.path.join(src, "#redo"), str(dst), ctl.uuid, ctl.checkpoint_lsn)
    return conn, cur, engine, tail, ctl


def test_tail_follows_segment_switches(tmp_path):
    conn, cur, engine, tail, ctl = _open(tmp_path)
    for i in range(1, 401):
        cur.execute("insert into t values (%s, %s)", (i, "p" * 250))
        if i % 25 == 0:
            tail.pump()
    engine.log.sync()
    tail.pump()
    assert tail.lsn == engine.log.end_lsn
    segments = tail.finish()
    assert len(segments) >= 4  # it crossed several switches
    seen = sum(1 for _ in LogScanner(segments, ctl.checkpoint_lsn, known_durable=tail.lsn,
                                     segment_size=64 * 1024,
                                     last_segment=segments[-1].seq).records())
    assert seen > 400
    gtids = str(tail.gtid_set())
    assert gtids.endswith(":1-401")  # the CREATE (after the checkpoint), then the inserts
    tail.close()
    conn.close()


def test_recycled_segment_asks_for_a_retry(tmp_path):
    conn, cur, engine, tail, _ctl = _open(tmp_path)
    for i in range(1, 401):
        cur.execute("insert into t values (%s, %s)", (i, "p" * 250))
        if i % 50 == 0:
            engine.flush()  # checkpoints: the segments behind it are recycled
    with pytest.raises(SegmentRecycled, match="run the backup again") as exc:
        for _ in range(3):
            tail.pump()
    assert exc.value.errno == 1030
    tail.close()
    conn.close()
