"""An online ALTER's statement reaches the binary log in the step that makes its change
visible, not at its last step.

A table rebuild (ADD COLUMN) switches the dictionary to the new table one step before it
ends; a statement between the two already writes rows with the new column.  Killed right
after the switch (`ddl.rebuild.after_switch`), the job is left for the next open while an
UPDATE writes a 3-column row: the binlog must hold the ALTER before that UPDATE, or a
restore replays a row the table cannot take (1532).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import core
from tests.crash.harness import ROOT, WORKER_VARS

CHILD = """
import sys
import core
src = sys.argv[1]
c = core.connect(src, autocommit=True, database="d")
c.execute("ALTER TABLE t ADD COLUMN c INT DEFAULT 5")
"""


def test_alter_is_logged_at_the_switch(tmp_path):
    src = str(tmp_path / "src")
    conn = core.connect(src, create=True, autocommit=True, database=None)
    conn.execute("CREATE DATABASE d")
    conn.execute("CREATE TABLE d.t (id INT PRIMARY KEY, v INT)")
    conn.execute("INSERT INTO d.t VALUES (1, 1), (2, 2)")
    conn.close()
    bk = str(tmp_path / "bk")
    core.backup_database(src, bk)

    env = {k: v for k, v in os.environ.items() if k not in WORKER_VARS}
    env["KINTSUGI_CRASH_AT"] = "ddl.rebuild.after_switch"
    proc = subprocess.run([sys.executable, "-c", CHILD, src], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]

    conn = core.connect(src, autocommit=True, database="d")
    try:
        assert [r[0] for r in conn.execute("SHOW COLUMNS FROM t").fetchall()] == \
            ["id", "v", "c"]  # switched: visible although the job did not end
        conn.execute("UPDATE t SET v = v + 10 WHERE id = 1")
    finally:
        conn.close()
    kinds = [(e.ddl or "rows") for e in core.binlog_timeline(src)]
    alter = next(i for i, k in enumerate(kinds) if k.upper().startswith("ALTER"))
    assert alter < len(kinds) - 1  # the UPDATE comes after it

    dst = str(tmp_path / "dst")
    core.restore(bk, dst)
    conn = core.connect(dst, autocommit=True, database="d")
    try:
        assert conn.execute("SELECT * FROM t ORDER BY id").fetchall() == [(1, 11, 5), (2, 2, 5)]
    finally:
        conn.close()
