"""A process that runs one DROP or RECOVER statement on a prepared database and dies at a
named crash point armed just before it, for `test_drop_recover_crash` to check after the
reopen.

`setup` (run in the test process) makes `t (id INT AUTO_INCREMENT PRIMARY KEY, b INT, c
VARCHAR(20), KEY ib (b), UNIQUE KEY uc (c))` with `ROWS` rows and database `d` with two
tables and a view; `dropped=True` drops `t` and `d` first (for the RECOVER modes).

The crash point is armed only once the database is open (so no commit of the open itself can
meet it); the worker prints ``ARMED``, runs the statement, prints ``DONE`` and lingers a
moment so the flusher and checkpointer points after the commit can be reached too.

Usage: python -m tests.crash.recover_worker DIR MODE POINT
  MODE: drop_table | recover_table | flashback_to | drop_db | flashback_db
"""

from __future__ import annotations

import sys
import time

import core
from core import crashpoints

ROWS = 3000
ENGINE_OPTIONS = {"flush_interval": 0.02, "flush_threshold": 500}

STATEMENTS = {
    "drop_table": "DROP TABLE t",
    "recover_table": "RECOVER TABLE t",
    "flashback_to": "FLASHBACK TABLE t TO t2",
    "drop_db": "DROP DATABASE d",
    "flashback_db": "FLASHBACK DATABASE d",
}


def connect(path: str, create: bool = False):
    return core.connect(path, create=create, autocommit=True, **ENGINE_OPTIONS)


def setup(path: str, *, dropped: bool = False) -> None:
    conn = connect(path, create=True)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, b INT NOT NULL, "
                    "c VARCHAR(20) NOT NULL, KEY ib (b), UNIQUE KEY uc (c))")
        cur.execute("BEGIN")
        for k in range(0, ROWS, 500):
            n = min(500, ROWS - k)
            cur.execute("INSERT INTO t (b, c) VALUES " + ", ".join(["(%s, %s)"] * n),
                        [v for i in range(k, k + n) for v in (i % 97, f"c{i}")])
        cur.execute("COMMIT")
        cur.execute("CREATE DATABASE d")
        cur.execute("CREATE TABLE d.x (a INT PRIMARY KEY, s VARCHAR(10), KEY (s))")
        cur.execute("CREATE TABLE d.y (a INT AUTO_INCREMENT PRIMARY KEY)")
        cur.execute("INSERT INTO d.x VALUES " + ", ".join(f"({i}, 's{i}')" for i in range(200)))
        cur.execute("INSERT INTO d.y (a) VALUES (NULL), (NULL), (NULL)")
        cur.execute("CREATE VIEW d.v AS SELECT a, s FROM d.x WHERE a < 10")
        if dropped:
            cur.execute("DROP TABLE t")
            cur.execute("DROP DATABASE d")
    finally:
        conn.close()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> None:
    path, mode, point = argv[0], argv[1], argv[2]
    conn = connect(path)
    crashpoints._targets[point] = 1  # armed now: the open's own commits are behind us
    say("ARMED")
    conn.cursor().execute(STATEMENTS[mode])
    say("DONE")
    time.sleep(3.0)  # the flusher and the checkpointer meet their points meanwhile
    say("LINGERED")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
