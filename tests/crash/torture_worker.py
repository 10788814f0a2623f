"""The crash torture's victim: several threads, each with its own connection, running a
randomised mixed SQL workload until the process is killed.

Every transaction has a unique tag (``r<run>t<thread>s<seq>``) carried by each row it writes,
so the checker needs no model to see whether a transaction is all there or not at all:

* ``ai`` (AUTO_INCREMENT primary key, secondary indexes on ``tag`` and ``k``): a transaction
  inserts ``n`` rows of its tag (``j`` = 0..n-1, ``k`` = `k0(tag, j)` + ``ver``); one row in
  autocommit, a few rows in several statements, or hundreds of ~200-byte rows (the engine's
  spill limit is lowered, so these spill);
* updates move a whole group (``ver`` and the indexed ``k`` both + 1);
* deletes of the highest ids record what they removed in ``gone`` (one row per group hit, with
  the count), so a group's rows in ``ai`` plus its counts in ``gone`` always make ``n``;
* purges drop old groups whole (rows and ``gone`` counts) and list them in ``purged``;
* decoys write rows tagged ``rb...`` (some spilled) and roll back: never visible;
* thread 0 also runs DDL on side tables (CREATE TABLE, a fill, CREATE/DROP INDEX or ALTER
  TABLE ADD/DROP INDEX, an UPDATE of the indexed column, DROP TABLE).

Protocol on stdout, one line each, written under a lock: ``B <tag> <kind> [detail]`` before a
transaction's first statement, ``A <json>`` only after its commit returned, ``F <tag> <errno>``
after one failed and was rolled back.  A pipe outlives the process, so the parent reads every
line written before the SIGKILL.

    python -m tests.crash.torture_worker DIR RUN          (the workload; never ends)
    python -m tests.crash.torture_worker --recover DIR    (only reopen: recovery, then exit)

``TORTURE_NO_FLUSH=1`` runs no flusher (everything stays in the redo log) and
``TORTURE_APPLY_BATCH=N`` makes recovery apply in small batches, so that a kill lands
inside recovery's apply.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import zlib

from tests.crash.sql_worker import ENGINE_OPTIONS as SQL_ENGINE_OPTIONS

THREADS = 3
KEEP_IDS = 2500  # purges drop groups whose rows are this far below the highest id
SIDE_TABLES = ("side_0", "side_1", "side_2")
SIDE_ROWS = 40
BIG_CHUNK = 50

# sql_worker's: a 10 ms flusher with a small threshold, 256 KiB log segments and a 64 KiB
# spill limit, so kills land in flushes, checkpoints, segment switches and spills
ENGINE_OPTIONS = dict(SQL_ENGINE_OPTIONS)

SCHEMA = (
    ("ai", "CREATE TABLE ai (id BIGINT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(48) NOT NULL, "
           "n INT NOT NULL, j INT NOT NULL, ver INT NOT NULL, k INT NOT NULL, "
           "pad VARCHAR(255) NOT NULL, KEY ix_tag (tag), KEY ix_k (k))"),
    ("gone", "CREATE TABLE gone (gid VARCHAR(100) PRIMARY KEY, orig_tag VARCHAR(48) NOT NULL, "
             "n INT NOT NULL, cnt INT NOT NULL, KEY ix_orig (orig_tag))"),
    ("purged", "CREATE TABLE purged (tag VARCHAR(48) PRIMARY KEY, "
               "del_tag VARCHAR(48) NOT NULL)"),
)
SIDE_DDL = ("CREATE TABLE {t} (id INT PRIMARY KEY, a INT NOT NULL, b VARCHAR(20) NOT NULL)")
INSERT_AI = "INSERT INTO ai (tag, n, j, ver, k, pad) VALUES "


def k0(tag: str, j: int) -> int:
    """The indexed value of row j of a group before any update (the checker recomputes it)."""
    return zlib.crc32(f"{tag}:{j}".encode()) % 100_000


def connect(path: str, **extra):
    """A connection with the torture's engine options (no flusher under TORTURE_NO_FLUSH)."""
    import core

    options = dict(ENGINE_OPTIONS)
    if os.environ.get("TORTURE_NO_FLUSH") == "1":
        options["flush_interval"] = 0
    options.update(extra)
    return core.connect(path, create=True, autocommit=False, **options)


def setup(path: str) -> None:
    """Create the three tables (the parent runs this once, before the first worker)."""
    conn = connect(path)
    try:
        cur = conn.cursor()
        cur.execute("SELECT TABLE_NAME FROM information_schema.tables "
                    "WHERE TABLE_SCHEMA = 'test'")
        have = {r[0].lower() for r in cur.fetchall()}
        conn.commit()
        for name, ddl in SCHEMA:
            if name not in have:
                cur.execute(ddl)
        conn.commit()
    finally:
        conn.close()


class Out:
    """stdout lines written whole, one thread at a time."""

    lock = threading.Lock()

    @classmethod
    def say(cls, line: str) -> None:
        with cls.lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# the transactions: each returns the acknowledgement (a dict) or None for nothing to report
# --------------------------------------------------------------------------------------------


def _rows(tag: str, first: int, count: int, n: int, rng: random.Random, pad: int) -> list:
    out = []
    for j in range(first, first + count):
        out += [tag, n, j, 0, k0(tag, j), "p" * rng.randrange(pad // 2, pad)]
    return out


def _insert(cur, tag: str, n: int, rng: random.Random, pad: int, chunk: int) -> None:
    for first in range(0, n, chunk):
        count = min(chunk, n - first)
        cur.execute(INSERT_AI + ", ".join(["(%s,%s,%s,%s,%s,%s)"] * count),
                    _rows(tag, first, count, n, rng, pad))


def _ids_of(cur, tag: str) -> list[int]:
    cur.execute("SELECT id FROM ai WHERE tag = %s", (tag,))
    return sorted(r[0] for r in cur.fetchall())


def _lock(cur) -> None:
    """Take the writer lock first, so the reads that follow see the latest commits."""
    cur.execute("UPDATE purged SET del_tag = del_tag WHERE tag = ''")


def t_auto1(conn, cur, rng, tag):
    conn.autocommit = True
    try:
        cur.execute(INSERT_AI + "(%s,%s,%s,%s,%s,%s)", _rows(tag, 0, 1, 1, rng, 40))
        ids = [cur.lastrowid]
    finally:
        conn.autocommit = False
    return {"tag": tag, "n": 1, "ids": ids}


def t_multi(conn, cur, rng, tag):
    n = rng.randint(2, 8)
    if rng.random() < 0.3:
        cur.execute("START TRANSACTION")
    _insert(cur, tag, n, rng, 60, rng.randint(1, n))
    ids = _ids_of(cur, tag)
    conn.commit()
    return {"tag": tag, "n": n, "ids": ids}


def t_big(conn, cur, rng, tag):
    n = rng.randint(250, 450)
    _insert(cur, tag, n, rng, 250, BIG_CHUNK)
    ids = _ids_of(cur, tag)
    conn.commit()
    return {"tag": tag, "n": n, "ids": ids}


def t_update(conn, cur, rng, tag):
    _lock(cur)
    cur.execute("SELECT tag FROM ai ORDER BY id DESC LIMIT 1 OFFSET %s", (rng.randrange(60),))
    row = cur.fetchone()
    if row is None:
        conn.rollback()
        return None
    group = row[0]
    cur.execute("UPDATE ai SET ver = ver + 1, k = k + 1 WHERE tag = %s", (group,))
    cur.execute("SELECT MIN(ver), MAX(ver) FROM ai WHERE tag = %s", (group,))
    lo, hi = cur.fetchone()
    if lo != hi:
        raise AssertionError(f"group {group} has versions {lo}..{hi} inside a transaction")
    conn.commit()
    return {"tag": tag, "upd": group, "ver": hi}


def t_deltop(conn, cur, rng, tag):
    _lock(cur)
    cur.execute("SELECT id, tag, n FROM ai ORDER BY id DESC LIMIT %s", (rng.randint(1, 4),))
    victims = cur.fetchall()
    if not victims:
        conn.rollback()
        return None
    ids = [v[0] for v in victims]
    cur.execute("DELETE FROM ai WHERE id IN (" + ", ".join(["%s"] * len(ids)) + ")", ids)
    if cur.rowcount != len(ids):
        raise AssertionError(f"deleted {cur.rowcount} of {len(ids)} rows read under the lock")
    hit: dict[str, list[int]] = {}
    for _id, orig, n in victims:
        hit.setdefault(orig, [n, 0])[1] += 1
    for orig, (n, cnt) in hit.items():
        cur.execute("INSERT INTO gone (gid, orig_tag, n, cnt) VALUES (%s, %s, %s, %s)",
                    (f"{tag}/{orig}", orig, n, cnt))
    conn.commit()
    return {"tag": tag, "del": {o: c for o, (_n, c) in hit.items()}, "ids": ids}


def t_purge(conn, cur, rng, tag):
    _lock(cur)
    cur.execute("SELECT MAX(id) FROM ai")
    top = cur.fetchone()[0]
    if top is None or top <= KEEP_IDS:
        conn.rollback()
        return None
    cur.execute("SELECT DISTINCT tag FROM ai WHERE id < %s LIMIT 8", (top - KEEP_IDS,))
    groups = sorted(r[0] for r in cur.fetchall())
    if not groups:
        conn.rollback()
        return None
    for g in groups:
        cur.execute("DELETE FROM ai WHERE tag = %s", (g,))
        cur.execute("DELETE FROM gone WHERE orig_tag = %s", (g,))
        cur.execute("INSERT INTO purged (tag, del_tag) VALUES (%s, %s)", (g, tag))
    conn.commit()
    return {"tag": tag, "purge": groups}


def t_decoy(conn, cur, rng, tag):
    rb = "rb" + tag
    if rng.random() < 0.3:
        _insert(cur, rb, 300, rng, 250, BIG_CHUNK)  # spills, then rolls back
    else:
        cur.execute("BEGIN")
        _insert(cur, rb, 3, rng, 40, 3)
    if rng.random() < 0.5:
        cur.execute("ROLLBACK")
    else:
        conn.rollback()
    return None


KINDS = {  # kind -> (weight, function)
    "auto1": (30, t_auto1),
    "multi": (25, t_multi),
    "big": (7, t_big),
    "update": (12, t_update),
    "deltop": (12, t_deltop),
    "purge": (6, t_purge),
    "decoy": (8, t_decoy),
}


# --------------------------------------------------------------------------------------------
# DDL on the side tables (thread 0 only): state = (exists, has index, filled)
# --------------------------------------------------------------------------------------------


def side_state(cur) -> dict[str, tuple[bool, bool, bool]]:
    """What each side table looks like now (the checker uses the same reading)."""
    cur.execute("SELECT TABLE_NAME FROM information_schema.tables WHERE TABLE_SCHEMA = 'test'")
    tables = {r[0].lower() for r in cur.fetchall()}
    cur.execute("SELECT TABLE_NAME, INDEX_NAME FROM information_schema.statistics "
                "WHERE TABLE_SCHEMA = 'test'")
    indexed = {r[0].lower() for r in cur.fetchall() if r[1] == "ix_a"}
    out = {}
    for t in SIDE_TABLES:
        filled = False
        if t in tables:
            cur.execute(f"SELECT COUNT(*) FROM {t}")
            filled = cur.fetchone()[0] > 0
        out[t] = (t in tables, t in indexed, filled)
    return out


def next_side_op(state: tuple[bool, bool, bool], rng: random.Random) -> str:
    exists, ix, filled = state
    if not exists:
        return "create"
    if not filled:
        return "fill"
    if ix:
        return rng.choice(["drop_index", "update"])
    return "add_index" if rng.random() < 0.7 else "drop"


def after_side_op(state: tuple[bool, bool, bool], op: str) -> tuple[bool, bool, bool]:
    """The state a committed `op` leaves (the checker's model of the DDL)."""
    exists, ix, filled = state
    return {"create": (True, False, False), "fill": (exists, ix, True),
            "add_index": (exists, True, filled), "drop_index": (exists, False, filled),
            "update": state, "drop": (False, False, False)}[op]


def t_ddl(conn, cur, rng, tag):
    table = rng.choice(SIDE_TABLES)
    state = side_state(cur)[table]
    conn.commit()
    op = next_side_op(state, rng)
    Out.say(f"B {tag} ddl {table} {op}")
    alt = rng.random() < 0.5
    if op == "create":
        cur.execute(SIDE_DDL.format(t=table))
    elif op == "fill":
        cur.execute(f"INSERT INTO {table} (id, a, b) VALUES "
                    + ", ".join(["(%s, %s, %s)"] * SIDE_ROWS),
                    [v for i in range(SIDE_ROWS) for v in (i, rng.randrange(1000), f"b{i}")])
        conn.commit()
    elif op == "add_index":
        cur.execute(f"ALTER TABLE {table} ADD INDEX ix_a (a)" if alt
                    else f"CREATE INDEX ix_a ON {table} (a)")
    elif op == "drop_index":
        cur.execute(f"ALTER TABLE {table} DROP INDEX ix_a" if alt
                    else f"DROP INDEX ix_a ON {table}")
    elif op == "update":
        cur.execute(f"UPDATE {table} SET a = a + 7, b = CONCAT(b, 'u') WHERE id < 30")
        conn.commit()
    else:
        cur.execute(f"DROP TABLE {table}")
    conn.commit()
    return {"tag": tag, "ddl": table, "op": op}


# --------------------------------------------------------------------------------------------


def worker_thread(path: str, run: int, t: int) -> None:
    from core.errors import Error

    rng = random.Random(run * 1009 + t)
    names = list(KINDS)
    weights = [KINDS[k][0] for k in names]
    conn = connect(path)
    cur = conn.cursor()
    seq = 0
    while True:
        seq += 1
        tag = f"r{run}t{t}s{seq}"
        if t == 0 and rng.random() < 0.12:
            kind, fn = "ddl", t_ddl  # says its own B line once it knows the operation
        else:
            kind = rng.choices(names, weights)[0]
            fn = KINDS[kind][1]
            Out.say(f"B {tag} {kind}")
        try:
            ack = fn(conn, cur, rng, tag)
        except Error as err:
            try:
                conn.rollback()
            except Error:
                conn = connect(path)
            cur = conn.cursor()
            Out.say(f"F {tag} {err.errno}")
            continue
        if ack is not None:
            Out.say("A " + json.dumps(ack, separators=(",", ":")))


def _guarded(path: str, run: int, t: int) -> None:
    try:
        worker_thread(path, run, t)
    except Exception:  # noqa: BLE001 - a bug in the workload or the engine: die loudly, not silently
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(3)


def recover_only(path: str) -> None:
    """Reopen (running recovery) in batches of TORTURE_APPLY_BATCH, then close."""
    if os.environ.get("TORTURE_APPLY_BATCH"):
        from core.recovery import redo_apply

        if hasattr(redo_apply, "APPLY_BATCH_OPS"):
            redo_apply.APPLY_BATCH_OPS = int(os.environ["TORTURE_APPLY_BATCH"])
    conn = connect(path)
    conn.close()
    print("RECOVERED", flush=True)


def main() -> None:
    if sys.argv[1] == "--recover":
        recover_only(sys.argv[2])
        return
    path, run = sys.argv[1], int(sys.argv[2])
    threads = int(os.environ.get("TORTURE_THREADS", THREADS))
    keep = connect(path)  # recovery (if any) before the threads start; holds the engine
    Out.say(f"START {run}")
    for t in range(threads):
        threading.Thread(target=_guarded, args=(path, run, t), daemon=True).start()
    threading.Event().wait()
    keep.close()


if __name__ == "__main__":
    main()
