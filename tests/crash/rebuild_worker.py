"""A process that fills a table and runs one table-rebuilding ALTER with a small batch size,
for tests/crash/test_ddl_rebuild_crash.py: armed with KINTSUGI_CRASH_AT at one of the
rebuild's crash points, it SIGKILLs itself at that step of the job.

Usage: python -m tests.crash.rebuild_worker DIR ROWS   (the ALTER in $REBUILD_SQL)
"""

from __future__ import annotations

import os
import sys

import core

SCHEMA = "CREATE TABLE t (a INT PRIMARY KEY, b INT NOT NULL, c VARCHAR(20), KEY kb (b))"


def row(i: int) -> tuple:
    return i, i * 7 % 101, f"r{i}"


def main() -> None:
    path, rows = sys.argv[1], int(sys.argv[2])
    conn = core.connect(path, create=True, autocommit=True)
    cur = conn.cursor()
    cur.execute(SCHEMA)
    cur.executemany("INSERT INTO t VALUES (%s, %s, %s)", [row(i) for i in range(1, rows + 1)])
    conn._db.ddl_jobs.worker.batch_size = 8
    print("READY", flush=True)
    cur.execute(os.environ["REBUILD_SQL"])
    print("DONE", flush=True)
    conn.close()


if __name__ == "__main__":
    main()
