"""A process that runs one GC round over the ranges `setup` left, for `test_gc_crash` to
SIGKILL at a named GC crash point (`KINTSUGI_CRASH_AT`, set by the test).

`setup` (in the test process) makes `keep` (rows and an index: must come through intact),
drops `gone`, truncates `trunc` and drops index `ib` of `ix` (`ROWS` entries), so the round
has two table ranges and one index range to collect.  The child opens the database with a
`ManualClock`, moves it past the GC life time and calls `run_once()`; GC deletes index
entries `INDEX_BATCH` at a time here, so the round has several index batches to die between.

Usage: python -m tests.crash.gc_worker DIR
"""

from __future__ import annotations

import sys

import core
from core.catalog import gcranges
from core.clock import ManualClock

ROWS = 1200
INDEX_BATCH = 500


def setup(path: str, extra: int = 0) -> dict[str, int]:
    """The database the round works on; returns the table ids by name (before the drops).
    `extra` more tables (`x0`, `x1`, ...) are made and dropped first, for a longer round."""
    conn = core.connect(path, create=True, autocommit=True)
    try:
        cur = conn.cursor()
        for i in range(extra):
            cur.execute(f"CREATE TABLE x{i} (id INT PRIMARY KEY, b INT, KEY ib (b))")
            cur.execute(f"INSERT INTO x{i} VALUES (1, 1), (2, 2)")
            cur.execute(f"DROP INDEX ib ON x{i}" if i % 2 else f"DROP TABLE x{i}")
        for name in ("keep", "gone", "trunc", "ix"):
            cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, b INT, KEY ib (b))")
            cur.execute(f"INSERT INTO {name} VALUES " +
                        ", ".join(f"({i}, {i * 7})" for i in range(ROWS)))
        cur.execute("SELECT TABLE_NAME, TIDB_TABLE_ID FROM information_schema.tables "
                    "WHERE TABLE_SCHEMA = 'test'")
        ids = {name: int(tid) for name, tid in cur.fetchall()}
        cur.execute("DROP TABLE gone")
        cur.execute("TRUNCATE TABLE trunc")
        cur.execute("DROP INDEX ib ON ix")
        return ids
    finally:
        conn.close()


def main(argv: list[str]) -> None:
    import core.gc.collect

    core.gc.collect.INDEX_BATCH = INDEX_BATCH
    clock = ManualClock()
    conn = core.connect(argv[0], autocommit=True, clock=clock)
    clock.advance(gcranges.DEFAULT_LIFE_TIME + 60)
    print("GC BEGIN", flush=True)
    report = conn._db.gc.run_once()
    print(f"GC DONE {len(report.collected)}", flush=True)
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
