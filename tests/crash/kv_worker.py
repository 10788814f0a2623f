"""A process that commits deterministic transactions and acknowledges each one on stdout.

Transaction `i` is a pure function of `(seed, i)`, so the checker can rebuild the exact state
that transactions `0..k` produce and compare it with what survived a SIGKILL.  The worker
runs with a tiny flush interval, small log segments and a small spill limit, so that kills
land during flushes, checkpoints, segment switches and spills too.

Usage: python -m tests.crash.kv_worker DIR SEED [MAX_TXNS]
"""

from __future__ import annotations

import random
import sys

SPACE_SCHEMA, SPACE_TABLE = "crash", "kv"
KEYSPACE = 3000
BIG_EVERY = 23  # every 23rd transaction is large enough to spill


def marker(i: int) -> bytes:
    return b"m%08d" % i


def txn_ops(seed: int, i: int) -> list[tuple[bytes, bytes | None]]:
    """The writes of transaction i: (key, value) with value None for a delete."""
    rng = random.Random(seed * 1_000_003 + i)
    n = 2500 if i % BIG_EVERY == BIG_EVERY - 1 else rng.randint(1, 12)
    ops = []
    for j in range(n):
        key = b"k%05d" % rng.randrange(KEYSPACE)
        if rng.random() < 0.2:
            ops.append((key, None))
        else:
            ops.append((key, b"%d:%d:" % (i, j) + b"x" * rng.randrange(64)))
    ops.append((marker(i), b"%d" % i))
    return ops


def model(seed: int, upto: int) -> dict[bytes, bytes]:
    """The state after transactions 0..upto-1."""
    state: dict[bytes, bytes] = {}
    for i in range(upto):
        for k, v in txn_ops(seed, i):
            if v is None:
                state.pop(k, None)
            else:
                state[k] = v
    return state


def find_space(engine) -> int | None:
    for sid, ts in engine.spaces.items():
        if ts.header.get("table") == SPACE_TABLE:
            return sid
    return None


def open_engine(path: str, **kw):
    """Open with settings that make flushes, checkpoints, segment switches and spills frequent.

    KV_WORKER_NO_FLUSH=1 runs no flusher (everything stays in the log until close), and
    KV_WORKER_APPLY_BATCH=N makes recovery apply in batches of N operations.
    """
    import os

    from core.kv import Engine
    from core.recovery import redo_apply

    if os.environ.get("KV_WORKER_APPLY_BATCH"):
        redo_apply.APPLY_BATCH_OPS = int(os.environ["KV_WORKER_APPLY_BATCH"])
    no_flush = os.environ.get("KV_WORKER_NO_FLUSH") == "1"
    return Engine.open(
        path,
        create=True,
        flush_interval=0 if no_flush else 0.01,
        flush_threshold=500,
        segment_size=256 * 1024,
        spill_limit=96 * 1024,
        **kw,
    )


def committed_count(engine, space: int) -> int:
    with engine.snapshot() as snap:
        last = next(snap.scan(space, b"m", b"n", reverse=True), None)
    return 0 if last is None else int(last[1]) + 1


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
    engine = open_engine(path)
    space = find_space(engine)
    if space is None:
        with engine.begin() as txn:
            space = txn.create_space(SPACE_SCHEMA, SPACE_TABLE)
    start = committed_count(engine, space)
    print(f"START {start}", flush=True)
    for i in range(start, start + limit):
        txn = engine.begin()
        for k, v in txn_ops(seed, i):
            if v is None:
                txn.delete(space, k)
            else:
                txn.put(space, k, v)
        txn.commit()
        print(f"ACK {i}", flush=True)
    engine.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
