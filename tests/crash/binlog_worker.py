"""A process that commits through SQL with the binary log on and acknowledges each commit,
for `tests.crash.test_binlog_crash` (and `bench.binlog_torture`).

Modes (argv[3]):

* ``mix``: one thread, transaction `i` chosen by `(seed, i)`: a single-row autocommit INSERT,
  a multi-row multi-table transaction, an UPDATE + DELETE of earlier rows, a DDL
  (CREATE TABLE d<i>), or a big INSERT that spills (the spill limit is 64 KiB).
* ``threads``: four threads commit small transactions together, so group commit forms
  groups (thread `t` numbers its transactions `t * 1_000_000 + k`).
* ``reopen``: open the database (recovery and the binlog's refill from the redo log) and
  close it: crash points placed in the refill kill it there.

Every transaction inserts its marker row `marks(i, thread, n)` (`n` counts the thread's
transactions), so the checker finds each acknowledged commit in the binlog; a DDL's marker
is its table `d<i>`.  The worker prints ``ACK i`` once the commit returned.

``BINLOG_WORKER_MAX_SIZE`` sets max_binlog_size (tiny: rotations); ``BINLOG_WORKER_NO_FLUSH``
runs no flusher (no checkpoint: the redo keeps every transaction).

Usage: python -m tests.crash.binlog_worker DIR SEED MODE [MAX_TXNS]
"""

from __future__ import annotations

import os
import random
import sys
import threading

import core

THREADS = 4
SPILL_ROWS = 400  # ~200 bytes each: past the 64 KiB spill limit

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS t1 (id BIGINT PRIMARY KEY, v INT NOT NULL, s VARCHAR(255))",
    "CREATE TABLE IF NOT EXISTS t2 (id INT PRIMARY KEY, v BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS marks (i BIGINT PRIMARY KEY, thread INT NOT NULL, "
    "n INT NOT NULL)",
)


def engine_options() -> dict:
    no_flush = os.environ.get("BINLOG_WORKER_NO_FLUSH")
    return {"flush_interval": 0 if no_flush else 0.01, "flush_threshold": 300,
            "segment_size": 256 * 1024, "spill_limit": 64 * 1024}


def connect(path: str, autocommit: bool = False, **extra):
    conn = core.connect(path, create=True, autocommit=autocommit, **engine_options(), **extra)
    size = os.environ.get("BINLOG_WORKER_MAX_SIZE")
    binlog = conn._db.engine.binlog
    if size and binlog is not None:
        binlog.max_size = int(size)
    return conn


def setup(path: str) -> None:
    conn = connect(path, autocommit=True)
    cur = conn.cursor()
    for sql in SCHEMA:
        cur.execute(sql)
    cur.execute("INSERT IGNORE INTO t2 VALUES (1, 0), (2, 0), (3, 0)")
    conn.close()


def _ack(i: int, lock: threading.Lock) -> None:
    with lock:
        sys.stdout.write(f"ACK {i}\n")
        sys.stdout.flush()


def kind_of(seed: int, i: int) -> str:
    r = random.Random(seed * 1_000_003 + i).random()
    if i % 17 == 16:
        return "ddl"
    if i % 11 == 5:
        return "spill"
    if r < 0.35:
        return "auto"
    if r < 0.75:
        return "multi"
    return "change"


def run_mix(path: str, seed: int, limit: int) -> None:
    lock = threading.Lock()
    auto = connect(path, autocommit=True)
    conn = connect(path)
    acur, cur = auto.cursor(), conn.cursor()
    sys.stdout.write("START 0\n")
    sys.stdout.flush()
    for i in range(limit):
        kind = kind_of(seed, i)
        rnd = random.Random(seed * 7919 + i)
        if kind == "auto":
            acur.execute("INSERT INTO marks VALUES (%s, 0, %s)", (i, i))
        elif kind == "ddl":
            acur.execute(f"CREATE TABLE d{i} (a INT PRIMARY KEY, b VARCHAR(20))")
        elif kind == "spill":
            pad = "x" * 180
            rows = [(i * 1000 + k, k, f"{pad}{i}") for k in range(SPILL_ROWS)]
            cur.executemany("INSERT INTO t1 VALUES (%s, %s, %s)", rows)
            cur.execute("INSERT INTO marks VALUES (%s, 0, %s)", (i, i))
            conn.commit()
        elif kind == "multi":
            cur.execute("INSERT INTO t1 VALUES (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)",
                        (i * 1000, 1, "a", i * 1000 + 1, 2, "b", i * 1000 + 2, 3, None))
            cur.execute("UPDATE t2 SET v = v + %s WHERE id = %s", (i, rnd.randint(1, 3)))
            cur.execute("INSERT INTO marks VALUES (%s, 0, %s)", (i, i))
            conn.commit()
        else:  # change: UPDATE and DELETE rows of earlier transactions
            lo = rnd.randrange(0, max(1, i)) * 1000
            cur.execute("UPDATE t1 SET v = v + 1, s = %s WHERE id >= %s AND id < %s",
                        (f"u{i}", lo, lo + 2))
            cur.execute("DELETE FROM t1 WHERE id = %s", (lo + 2,))
            cur.execute("INSERT INTO marks VALUES (%s, 0, %s)", (i, i))
            conn.commit()
        _ack(i, lock)
    conn.close()
    auto.close()


def run_threads(path: str, seed: int, limit: int) -> None:
    lock = threading.Lock()
    conns = [connect(path) for _ in range(THREADS)]
    sys.stdout.write("START 0\n")
    sys.stdout.flush()

    def work(t: int) -> None:
        cur = conns[t].cursor()
        for k in range(limit):
            i = t * 1_000_000 + k
            cur.execute("INSERT INTO marks VALUES (%s, %s, %s)", (i, t, k))
            cur.execute("INSERT INTO t1 VALUES (%s, %s, %s)", (i, k, f"t{t}"))
            conns[t].commit()
            _ack(i, lock)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for c in conns:
        c.close()


def main() -> None:
    path, seed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 10**9
    if mode == "reopen":
        connect(path).close()
        print("REOPENED", flush=True)
        return
    setup(path)
    (run_threads if mode == "threads" else run_mix)(path, seed, limit)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
