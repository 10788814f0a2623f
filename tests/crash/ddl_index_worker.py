"""A process that runs one index job (ADD INDEX, CREATE UNIQUE INDEX or DROP INDEX) on table
`t` while another thread writes rows, acknowledging each write on stdout, for
`test_ddl_index_crash` to SIGKILL (at a named crash point of the DDL worker, or at a random
moment) and check after the reopen.

The table is made by `setup` in the test process: `t (id INT PRIMARY KEY, b INT NOT NULL,
c INT NOT NULL)` with `ROWS` rows, `b = 3 * id` (unique) and `c = 0`; `dup=True` repeats one
`b` late in the table so a unique index meets it mid-backfill; `with_index=True` adds `ib(b)`
for DROP INDEX to drop.

Writer lines: ``BEGIN I id b`` / ``ACK I id b`` for an INSERT (c = 0), ``BEGIN U id col v`` /
``ACK U id col v`` for an UPDATE of one column of one row.  A write that is in flight when
the process dies may or may not have committed; an acknowledged one must be there.

Usage: python -m tests.crash.ddl_index_worker DIR MODE WRITES BATCH DELAY SEED
  MODE: add | unique | drop, or resume (wait for the job a crash left);
  WRITES: none | updates | mixed; BATCH: backfill batch size;
  DELAY: seconds between two batches of the job (to spread a random kill over it).
"""

from __future__ import annotations

import random
import sys
import threading
import time

import core

ROWS = 2950
DUP_AT = 2000  # the row whose b repeats row DUP_OF's (dup=True)
DUP_OF = 10
INSERT_BASE = 1_000_000  # ids the writer inserts
B_BASE = 50_000_000  # b values the writer writes (never equal to a table's 3 * id)
ENGINE_OPTIONS = {"flush_interval": 0.02, "flush_threshold": 500, "segment_size": 512 * 1024}

STATEMENTS = {
    "add": "ALTER TABLE t ADD INDEX ib (b)",
    "unique": "CREATE UNIQUE INDEX ub ON t (b)",
    "drop": "DROP INDEX ib ON t",
}
INDEX_NAME = {"add": "ib", "unique": "ub", "drop": "ib"}


def connect(path: str, create: bool = False):
    return core.connect(path, create=create, autocommit=True, **ENGINE_OPTIONS)


def setup(path: str, *, dup: bool = False, with_index: bool = False) -> None:
    conn = connect(path, create=True)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY, b INT NOT NULL, c INT NOT NULL"
                    + (", KEY ib (b)" if with_index else "") + ")")
        rows = [(i, 3 * i, 0) for i in range(ROWS)]
        if dup:
            rows[DUP_AT] = (DUP_AT, 3 * DUP_OF, 0)
        cur.execute("BEGIN")
        for k in range(0, ROWS, 500):
            chunk = rows[k:k + 500]
            cur.execute("INSERT INTO t VALUES " + ", ".join(["(%s, %s, %s)"] * len(chunk)),
                        [v for r in chunk for v in r])
        cur.execute("COMMIT")
    finally:
        conn.close()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def writer(path: str, kind: str, seed: int, stop: threading.Event) -> None:
    conn = connect(path)
    cur = conn.cursor()
    rng = random.Random(seed)
    i = 0
    while not stop.is_set():
        i += 1
        if kind == "mixed" and rng.random() < 0.5:
            row_id, b = INSERT_BASE + i, B_BASE + i
            say(f"BEGIN I {row_id} {b}")
            try:
                cur.execute("INSERT INTO t (id, b, c) VALUES (%s, %s, 0)", (row_id, b))
            except core.Error as exc:
                say(f"FAIL {exc.errno}")
                continue
            say(f"ACK I {row_id} {b}")
        else:
            row_id = rng.randrange(ROWS)
            if row_id in (DUP_AT, DUP_OF):  # keep the duplicate a unique index must meet
                continue
            col = "b" if rng.random() < 0.5 else "c"
            v = B_BASE + i if col == "b" else i
            say(f"BEGIN U {row_id} {col} {v}")
            try:
                cur.execute(f"UPDATE t SET {col} = %s WHERE id = %s", (v, row_id))
            except core.Error as exc:
                say(f"FAIL {exc.errno}")
                continue
            say(f"ACK U {row_id} {col} {v}")
        time.sleep(0.002)
    conn.close()


def main(argv: list[str]) -> None:
    path, mode, writes = argv[0], argv[1], argv[2]
    batch, delay, seed = int(argv[3]), float(argv[4]), int(argv[5])
    import core.ddl.worker

    # the worker thread starts inside connect and may resume a job at once: its batch size
    # must be ours from its first step
    core.ddl.worker.DEFAULT_BATCH_SIZE = batch
    conn = connect(path)
    worker = conn._db.ddl_jobs.worker  # a test worker may reach into the engine
    worker.batch_size = batch
    worker.batch_delay = delay
    stop = threading.Event()
    thread = None
    if writes != "none":
        thread = threading.Thread(target=writer, args=(path, writes, seed, stop), daemon=True)
        thread.start()
        time.sleep(0.05)
    say("DDL BEGIN")
    try:
        if mode == "resume":  # the job a crash interrupted resumes by itself: wait for it
            cur = conn.cursor()
            while True:
                cur.execute("SELECT COUNT(*) FROM information_schema.ddl_jobs WHERE STATE NOT "
                            "IN ('synced', 'done', 'rollback done', 'cancelled')")
                if cur.fetchall()[0][0] == 0:
                    break
                time.sleep(0.01)
        else:
            conn.cursor().execute(STATEMENTS[mode])
        say("DDL DONE")
    except core.Error as exc:
        say(f"DDL ERROR {exc.errno}")
    time.sleep(0.05)
    stop.set()
    if thread is not None:
        thread.join()
    conn.close()
    say("CLOSED")


if __name__ == "__main__":
    main(sys.argv[1:])
