"""The crash test of the storage engine, repeated through SQL: multi-statement transactions
are all-or-nothing after SIGKILL.

A worker (`tests.crash.sql_worker`) runs deterministic transactions through `core.connect`
with autocommit off -- bank transfers (UPDATE two accounts + INSERT a ledger row), statements
that fail with a duplicate key inside the transaction (caught; the rest of the transaction
must survive), large INSERTs that spill, explicit ROLLBACKs -- and prints ``ACK i`` after each
COMMIT.  The test kills it with SIGKILL at random moments and at every named crash point,
reopens the database and checks:

* the state is exactly the model after transactions ``0..k-1``, with ``k`` at least the last
  acknowledged transaction + 1 (at most one more: a commit is durable a moment before its
  ACK is printed);
* invariants that need no model: the sum of the balances is constant, the ledger has one row
  per committed transfer and replaying it gives every balance;
* every index entry in the tablespaces belongs to a row and every row has its entries.

``KINTSUGI_SQL_CRASH_TRIALS`` sets the number of random kills (default 20).
"""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from core.crashpoints import POINTS
from tests.crash import sql_worker as w
from tests.crash.harness import AckReader, spawn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRIALS = int(os.environ.get("KINTSUGI_SQL_CRASH_TRIALS", "20"))

# On which hits each named point fires: late enough that the worker has committed a few
# transactions (and spilled, flushed, checkpointed) before it dies, and a second, later hit so
# that the kill lands in other kinds of transactions (spills inside a failing statement, ...).
HITS = {
    "log.after_write": (40, 97),
    "log.after_sync": (45, 120),
    "commit.after_overlay": (30, 77),
    "flush.before_apply": (6, 25),
    "flush.mid_apply": (9, 30),
    "flush.after_apply": (6, 21),
    "checkpoint.before_control": (6, 19),
    "checkpoint.after_control": (6, 23),
    "spill.after_write": (4, 7, 13),
}


def _spawn(path: str, seed: int, env_extra: dict | None = None, limit: int | None = None):
    return spawn("tests.crash.sql_worker", path, seed, env_extra, limit)


_Reader = AckReader


def _setup(path: str) -> None:
    conn = w.connect(path)
    try:
        w.setup(conn)
    finally:
        conn.close()


def _check_indexes(conn) -> None:
    """Every key of each table's tablespace is a row or exactly the index entry one of the
    rows needs (raw read of the tablespaces through an engine snapshot)."""
    from core.codec import row_prefix
    from core.sql.table import TableReader

    db = conn._session.db
    with conn._engine.snapshot() as snap:
        schema = db.catalog.schema(snap)
        for name in ("accounts", "ledger", "bulk"):
            table = schema.table("test", name)
            assert table is not None, f"table {name} is gone"
            reader = TableReader(table)
            rp = row_prefix(table.id)
            wanted: dict[bytes, bytes] = {}
            stored: dict[bytes, bytes] = {}
            for k, v in snap.scan(table.id):
                k, v = bytes(k), bytes(v)
                if k.startswith(rp):
                    row = reader.decode(k, v)
                    handle = reader.handle_from_key(k)
                    for ix in table.secondary_indexes:
                        ik, iv = reader.index_entry(ix, row, handle)
                        wanted[ik] = iv
                else:
                    stored[k] = v
            if stored != wanted:
                orphans = sorted(set(stored) - set(wanted))[:3]
                missing = sorted(set(wanted) - set(stored))[:3]
                wrong = [x for x in wanted if x in stored and stored[x] != wanted[x]][:3]
                pytest.fail(f"{name}: index entries out of step with the rows: orphan "
                            f"{orphans}, missing {missing}, wrong value {wrong}")


def check_state(conn, seed: int, last_acked: int) -> int:
    """Check everything in an open connection; return the number of committed transactions."""
    k = w.committed_count(conn)
    assert k >= last_acked + 1, f"acknowledged transaction {last_acked} lost (have {k})"
    assert k <= last_acked + 2, f"{k} transactions present but only {last_acked + 1} acked"
    st = w.read_state(conn)

    # invariants that need no model
    assert len(st.accounts) == w.N_ACCOUNTS, f"accounts: {sorted(st.accounts)}"
    total = sum(st.accounts.values())
    assert total == w.TOTAL, f"sum of balances is {total}, not {w.TOTAL}"
    replay = {a: w.INITIAL_BALANCE for a in range(w.N_ACCOUNTS)}
    for _txn, src, dst, amount, _note in st.ledger.values():
        replay[src] -= amount
        replay[dst] += amount
    assert replay == st.accounts, "the balances do not follow from the ledger"

    # exactly the model after k transactions
    expected = w.model(seed, k)
    assert len(st.ledger) == expected.transfers, (
        f"{len(st.ledger)} ledger rows for {expected.transfers} committed transfers")
    for name in ("accounts", "ledger", "bulk"):
        got, want = getattr(st, name), getattr(expected, name)
        if got != want:
            extra = sorted(set(got) - set(want))[:5]
            missing = sorted(set(want) - set(got))[:5]
            wrong = [(x, got[x], want[x]) for x in want if x in got and got[x] != want[x]][:5]
            pytest.fail(f"{name} after {k} transactions differs from the model: extra "
                        f"{extra}, missing {missing}, wrong (id, got, want) {wrong}")
    _check_indexes(conn)
    return k


def verify(path: str, seed: int, last_acked: int, run_more: int = 0) -> int:
    """Reopen (recovering), check, optionally run `run_more` transactions in this process and
    check again; returns the number of committed transactions."""
    conn = w.connect(path)
    try:
        k = check_state(conn, seed, last_acked)
        if run_more:
            for i in range(k, k + run_more):
                w.run_txn(conn, seed, i)
            k = check_state(conn, seed, k + run_more - 1)
    finally:
        conn.close()
    return k


@pytest.mark.slow
def test_random_kills_keep_transactions_atomic(tmp_path):
    rng = random.Random(int(os.environ.get("KINTSUGI_CRASH_SEED", "20261122")))
    path = str(tmp_path / "db")
    seed = 3
    _setup(path)
    last_acked = -1
    for _trial in range(TRIALS):
        proc = _spawn(path, seed)
        reader = _Reader(proc)
        reader.start()
        deadline = time.monotonic() + 20
        want = len(reader.acks) + rng.randint(1, 30)
        while len(reader.acks) < want and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.random() * 0.03)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join()
        err = proc.stderr.read()
        assert proc.returncode == -signal.SIGKILL, f"the worker died by itself: {err[-3000:]}"
        assert reader.start_at is not None, f"worker did not start: {err[-3000:]}"
        if reader.acks:
            last_acked = max(last_acked, reader.acks[-1])
        last_acked = max(last_acked, reader.start_at - 1)
        k = verify(path, seed, last_acked)
        last_acked = k - 1
    assert last_acked > 2 * TRIALS, "the workers made too little progress to test anything"
    verify(path, seed, last_acked, run_more=3)


@pytest.mark.slow
@pytest.mark.parametrize(("point", "hit"), [(p, n) for p in POINTS if p != "recovery.mid_apply"
                                            and not p.startswith("ddl.")
                                            for n in HITS.get(p, (3,))])
def test_kill_at_named_point(tmp_path, point, hit):
    """Die exactly at each named crash point, check, then keep working on the same files."""
    path = str(tmp_path / "db")
    seed = 11
    _setup(path)
    proc = _spawn(path, seed, {"KINTSUGI_CRASH_AT": f"{point}:{hit}"},
                  limit=150)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"{point} was never reached: {err[-3000:]}"
    acks = [int(x.split()[1]) for x in out.splitlines() if x.startswith("ACK ")]
    verify(path, seed, acks[-1] if acks else -1, run_more=5)


@pytest.mark.slow
def test_kill_during_recovery_then_recover_again(tmp_path):
    """No flusher: everything stays in the redo log; die in recovery's second apply batch,
    then recover again."""
    path = str(tmp_path / "db")
    seed = 5
    _setup(path)
    no_flush = {"SQL_WORKER_NO_FLUSH": "1"}
    proc = _spawn(path, seed, {**no_flush, "KINTSUGI_CRASH_AT": "commit.after_overlay:41"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err[-3000:]
    acks = [int(x.split()[1]) for x in out.splitlines() if x.startswith("ACK ")]
    assert acks[-1] == 39, acks[-3:]  # the decoys commit nothing: one hit per transaction
    proc = _spawn(path, seed, {**no_flush, "SQL_WORKER_APPLY_BATCH": "200",
                               "KINTSUGI_CRASH_AT": "recovery.mid_apply:2"}, limit=1)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"recovery never reached its second batch: {err}"
    assert "START" not in out
    verify(path, seed, 39, run_more=3)
