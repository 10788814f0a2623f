"""A SET GLOBAL of a persisted variable is durable when it returns: SIGKILL the process right
after and the reopened database has it (recovery replays it from the redo log)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import core

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHILD = """
import sys, time
import core
c = core.connect(sys.argv[1], create=True, autocommit=True, flush_interval=3600)
c.execute("SET GLOBAL tidb_gc_life_time = '36h', GLOBAL tidb_gc_enable = OFF")
c.execute("SET GLOBAL tidb_ddl_reorg_batch_size = 777")
print("ACK", flush=True)
time.sleep(600)
"""


def test_set_global_survives_a_sigkill(tmp_path):
    path = str(tmp_path / "db")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, path], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ACK", proc.stderr.read()[-2000:]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    c = core.connect(path, autocommit=True)
    try:
        cur = c.cursor()
        cur.execute("SELECT @@tidb_gc_life_time, @@tidb_gc_enable, "
                    "@@tidb_ddl_reorg_batch_size")
        assert cur.fetchall() == [("36h0m0s", "OFF", 777)]
    finally:
        c.close()
