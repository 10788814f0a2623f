"""A process that runs deterministic multi-statement SQL transactions and acknowledges each
COMMIT on stdout (the SQL version of `kv_worker`).

The database is a small bank: `accounts` (fixed set of accounts, the sum of the balances
never changes), `ledger` (one row per transfer, a UNIQUE index on `note`) and `bulk` (large
inserts with a secondary index, big enough to spill).  Transaction `i` is a pure function of
`(seed, i)`: `plan(seed, i)` lists its steps, the worker runs them through `core.connect`
(autocommit off) and `apply_plan` replays them on a Python model, so the checker can rebuild
the exact state after transactions `0..k` and compare it with what survived a SIGKILL.

Steps a transaction may contain:

* ``transfer``: UPDATE two accounts (two statements, or one ``CASE`` statement over both) and
  INSERT the ledger row;
* ``dup_note`` / ``dup_pk`` / ``dup_multi``: an INSERT that fails with a duplicate key (1062):
  the worker catches it and goes on, and the statement alone must be undone (``dup_multi``
  inserts a good row before the bad one in the same statement);
* ``dup_update``: an UPDATE of two accounts that moves the first one to id 999 and fails on
  the second with a duplicate primary key: the first row's move must be undone;
* ``bulk``: INSERT hundreds of ~150-byte rows (multi-row statements or ``executemany``);
  with the tiny spill limit the transaction spills to its spill file and the redo log;
* ``bulk_dup``: one 240-row INSERT whose last row repeats its first id: it spills *inside*
  the failing statement, which must still leave nothing behind;
* ``bulk_delete`` / ``bulk_update``: DELETE or UPDATE (changing the indexed column) of the
  rows an earlier transaction inserted;
* a *decoy*: some of the above followed by an explicit ROLLBACK (the SQL statement or
  `conn.rollback()`), before the transaction's real work.

Every transaction ends with a read of ``SUM(balance)`` (read-your-writes inside the
transaction) and COMMIT, then prints ``ACK i``.

Usage: python -m tests.crash.sql_worker DIR SEED [MAX_TXNS]
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field

N_ACCOUNTS = 40
INITIAL_BALANCE = 1000
TOTAL = N_ACCOUNTS * INITIAL_BALANCE
MOVED_ID = 999  # dup_update moves an account here, then fails
BULK_CHUNK = 60  # rows per multi-row INSERT statement
BULK_DUP_ROWS = 240  # rows of the failing INSERT that spills mid-statement

# Small flush interval/threshold, log segments and spill limit: kills land during flushes,
# checkpoints, segment switches and spills.
ENGINE_OPTIONS = {
    "flush_interval": 0.01,
    "flush_threshold": 300,
    "segment_size": 256 * 1024,
    "spill_limit": 64 * 1024,
}

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger (id BIGINT PRIMARY KEY, txn INT NOT NULL, "
    "src INT NOT NULL, dst INT NOT NULL, amount BIGINT NOT NULL, note VARCHAR(64) NOT NULL, "
    "UNIQUE KEY uk_note (note), KEY ix_txn (txn))",
    "CREATE TABLE IF NOT EXISTS bulk (id BIGINT PRIMARY KEY, txn INT NOT NULL, k INT NOT NULL, "
    "payload VARCHAR(255), KEY ix_k (k))",
)

INSERT_LEDGER = "INSERT INTO ledger (id, txn, src, dst, amount, note) VALUES (%s,%s,%s,%s,%s,%s)"
INSERT_LEDGER_2 = ("INSERT INTO ledger (id, txn, src, dst, amount, note) VALUES "
                   "(%s,%s,%s,%s,%s,%s), (%s,%s,%s,%s,%s,%s)")


def _bulk_insert_sql(n: int) -> str:
    return "INSERT INTO bulk (id, txn, k, payload) VALUES " + ", ".join(["(%s,%s,%s,%s)"] * n)


# --------------------------------------------------------------------------------------------
# the transactions
# --------------------------------------------------------------------------------------------


@dataclass
class Plan:
    i: int
    steps: list[tuple] = field(default_factory=list)
    decoy: list[tuple] | None = None  # run first, then rolled back
    rollback_via_sql: bool = True
    explicit_begin: bool = False


def ledger_id(i: int, j: int) -> int:
    return i * 100 + j


def note_of(i: int, j: int) -> str:
    return f"n{i}-{j}"


def _bulk_rows(rng: random.Random, i: int, first: int, n: int) -> list[tuple]:
    return [(i * 1000 + j, i, rng.randrange(50), f"{i}:{j}:" + "p" * rng.randrange(100, 160))
            for j in range(first, first + n)]


def _transfer(rng: random.Random, i: int, j: int, note: str | None = None) -> tuple:
    src = rng.randrange(N_ACCOUNTS)
    dst = (src + 1 + rng.randrange(N_ACCOUNTS - 1)) % N_ACCOUNTS
    amount = rng.randint(1, 300)
    return ("transfer", ledger_id(i, j), i, src, dst, amount, note or note_of(i, j),
            rng.random() < 0.3)


def plan(seed: int, i: int) -> Plan:
    """The steps of transaction `i` (and of its rolled-back decoy, if any)."""
    rng = random.Random(seed * 1_000_003 + i)
    p = Plan(i, explicit_begin=rng.random() < 0.2)
    steps = p.steps
    # transfer 0 always comes first: it marks the transaction as committed (ledger.txn = i)
    steps.append(_transfer(rng, i, 0))
    j = 1
    for _ in range(rng.randint(0, 3)):
        steps.append(_transfer(rng, i, j))
        j += 1
    r = rng.random()
    if r < 0.15:  # a duplicate note: of this transaction or of an older committed one
        old = rng.randrange(i) if i and rng.random() < 0.5 else i
        steps.append(("dup_note", ledger_id(i, 90), i, note_of(old, 0)))
    elif r < 0.25:
        steps.append(("dup_pk", ledger_id(i, 0), i, note_of(i, 91)))
    elif r < 0.35:  # a good row then a bad one in the same statement: both must go
        steps.append(("dup_multi", ledger_id(i, 92), ledger_id(i, 93), i, note_of(i, 0)))
    elif r < 0.45:
        a = rng.randrange(N_ACCOUNTS)
        b = (a + 1 + rng.randrange(N_ACCOUNTS - 1)) % N_ACCOUNTS
        steps.append(("dup_update", a, b))
    if rng.random() < 0.5:
        steps.append(_transfer(rng, i, j))
        j += 1
    if i % 7 == 3:  # a big transaction: spills with the worker's 64 KiB spill limit
        steps.append(("bulk", _bulk_rows(rng, i, 0, rng.randint(150, 400)),
                      rng.random() < 0.3))
        if i >= 14:
            steps.append(("bulk_update", i - 7))
        if i >= 28:
            steps.append(("bulk_delete", i - 21))
    if i % 11 == 5:  # fails after spilling inside the statement
        rows = _bulk_rows(rng, i, 500, BULK_DUP_ROWS - 1)
        steps.append(("bulk_dup", [*rows, rows[0]]))
        steps.append(_transfer(rng, i, j))
        j += 1
    if rng.random() < 0.12 or i % 13 == 8:
        decoy: list[tuple] = [_transfer(rng, i, 50 + d) for d in range(rng.randint(1, 3))]
        if i % 13 == 8:
            decoy.append(("bulk", _bulk_rows(rng, i, 700, 200), False))
        if rng.random() < 0.5:
            decoy.append(("dup_note", ledger_id(i, 94), i, note_of(i, 50)))
        p.decoy = decoy
        p.rollback_via_sql = rng.random() < 0.5
    return p


# --------------------------------------------------------------------------------------------
# running them through SQL
# --------------------------------------------------------------------------------------------


class UnexpectedSuccess(AssertionError):
    pass


def _expect_duplicate(cur, sql: str, params) -> None:
    from core.errors import IntegrityError

    try:
        cur.execute(sql, params)
    except IntegrityError as exc:
        if getattr(exc, "errno", None) != 1062:
            raise
        return
    raise UnexpectedSuccess(f"expected a duplicate-key error from {sql[:80]!r} {params!r}")


def run_step(cur, step: tuple) -> None:
    kind = step[0]
    if kind == "transfer":
        _k, lid, i, src, dst, amount, note, one_statement = step
        if one_statement:
            cur.execute("UPDATE accounts SET balance = CASE WHEN id = %s THEN balance - %s "
                        "ELSE balance + %s END WHERE id IN (%s, %s)",
                        (src, amount, amount, src, dst))
            if cur.rowcount != 2:
                raise AssertionError(f"CASE transfer changed {cur.rowcount} rows")
        else:
            cur.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", (amount, src))
            cur.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (amount, dst))
        cur.execute(INSERT_LEDGER, (lid, i, src, dst, amount, note))
    elif kind == "dup_note":
        _k, lid, i, note = step
        _expect_duplicate(cur, INSERT_LEDGER, (lid, i, 0, 1, 1, note))
    elif kind == "dup_pk":
        _k, lid, i, note = step
        _expect_duplicate(cur, INSERT_LEDGER, (lid, i, 0, 1, 1, note))
    elif kind == "dup_multi":
        _k, lid1, lid2, i, dup_note = step
        _expect_duplicate(cur, INSERT_LEDGER_2, (lid1, i, 2, 3, 5, f"m{lid1}",
                                                 lid2, i, 3, 2, 5, dup_note))
    elif kind == "dup_update":
        _k, a, b = step
        _expect_duplicate(cur, "UPDATE accounts SET balance = balance + 777, id = %s "
                          "WHERE id IN (%s, %s)", (MOVED_ID, a, b))
    elif kind == "bulk":
        _k, rows, many = step
        if many:
            cur.executemany("INSERT INTO bulk (id, txn, k, payload) VALUES (%s,%s,%s,%s)", rows)
        else:
            for s in range(0, len(rows), BULK_CHUNK):
                chunk = rows[s:s + BULK_CHUNK]
                cur.execute(_bulk_insert_sql(len(chunk)), [v for r in chunk for v in r])
    elif kind == "bulk_dup":
        _k, rows = step
        _expect_duplicate(cur, _bulk_insert_sql(len(rows)), [v for r in rows for v in r])
    elif kind == "bulk_update":
        cur.execute("UPDATE bulk SET k = k + 1 WHERE txn = %s", (step[1],))
    elif kind == "bulk_delete":
        cur.execute("DELETE FROM bulk WHERE txn = %s", (step[1],))
    else:
        raise ValueError(f"unknown step {kind}")


def run_txn(conn, seed: int, i: int) -> None:
    """Run transaction i (and its decoy) and commit it."""
    p = plan(seed, i)
    cur = conn.cursor()
    if p.decoy:
        cur.execute("BEGIN")
        for step in p.decoy:
            run_step(cur, step)
        if p.rollback_via_sql:
            cur.execute("ROLLBACK")
        else:
            conn.rollback()
    if p.explicit_begin:
        cur.execute("START TRANSACTION")
    for step in p.steps:
        run_step(cur, step)
    cur.execute("SELECT SUM(balance), COUNT(*) FROM accounts")
    total, n = cur.fetchone()
    if total != TOTAL or n != N_ACCOUNTS:
        raise AssertionError(f"txn {i}: inside the transaction SUM(balance)={total}, "
                             f"COUNT(*)={n}; expected {TOTAL}, {N_ACCOUNTS}")
    conn.commit()


def connect(path: str):
    """Autocommit off, the engine options above.  SQL_WORKER_NO_FLUSH=1 runs no flusher
    (everything stays in the log until close) and SQL_WORKER_APPLY_BATCH=N makes recovery
    apply in batches of N operations."""
    import os

    import core
    from core.recovery import redo_apply

    if os.environ.get("SQL_WORKER_APPLY_BATCH"):
        redo_apply.APPLY_BATCH_OPS = int(os.environ["SQL_WORKER_APPLY_BATCH"])
    options = dict(ENGINE_OPTIONS)
    if os.environ.get("SQL_WORKER_NO_FLUSH") == "1":
        options["flush_interval"] = 0
    return core.connect(path, create=True, autocommit=False, **options)


def setup(conn) -> None:
    """Create the tables and the accounts; idempotent (each DDL and the account INSERT are
    atomic, so a crash in the middle is finished by the next start)."""
    cur = conn.cursor()
    cur.execute("SELECT TABLE_NAME FROM information_schema.tables WHERE TABLE_SCHEMA = 'test'")
    have = {r[0].lower() for r in cur.fetchall()}
    conn.commit()
    for name, ddl in zip(("accounts", "ledger", "bulk"), SCHEMA, strict=True):
        if name not in have:  # (IF NOT EXISTS would still commit a DDL job row)
            cur.execute(ddl)
    cur.execute("SELECT COUNT(*) FROM accounts")
    if cur.fetchone()[0] == 0:
        cur.executemany("INSERT INTO accounts (id, balance) VALUES (%s, %s)",
                        [(a, INITIAL_BALANCE) for a in range(N_ACCOUNTS)])
    conn.commit()


def committed_count(conn) -> int:
    """How many transactions committed: every one inserts ledger rows with txn = i."""
    cur = conn.cursor()
    cur.execute("SELECT MAX(txn) FROM ledger")
    last = cur.fetchone()[0]
    conn.commit()
    return 0 if last is None else last + 1


# --------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------


@dataclass
class State:
    accounts: dict[int, int]
    ledger: dict[int, tuple]  # id -> (txn, src, dst, amount, note)
    bulk: dict[int, tuple]  # id -> (txn, k, payload)
    transfers: int = 0


def apply_step(st: State, step: tuple) -> None:
    kind = step[0]
    if kind == "transfer":
        _k, lid, i, src, dst, amount, note, _one = step
        st.accounts[src] -= amount
        st.accounts[dst] += amount
        st.ledger[lid] = (i, src, dst, amount, note)
        st.transfers += 1
    elif kind == "bulk":
        for rid, i, k, payload in step[1]:
            st.bulk[rid] = (i, k, payload)
    elif kind == "bulk_update":
        for rid, (t, k, payload) in list(st.bulk.items()):
            if t == step[1]:
                st.bulk[rid] = (t, k + 1, payload)
    elif kind == "bulk_delete":
        for rid in [rid for rid, row in st.bulk.items() if row[0] == step[1]]:
            del st.bulk[rid]
    # the dup_* and bulk_dup steps fail and change nothing


def model(seed: int, upto: int) -> State:
    """The state after transactions 0..upto-1 (decoys are rolled back: no effect)."""
    st = State({a: INITIAL_BALANCE for a in range(N_ACCOUNTS)}, {}, {})
    for i in range(upto):
        for step in plan(seed, i).steps:
            apply_step(st, step)
    return st


def read_state(conn) -> State:
    cur = conn.cursor()
    cur.execute("SELECT id, balance FROM accounts")
    accounts = dict(cur.fetchall())
    cur.execute("SELECT id, txn, src, dst, amount, note FROM ledger")
    ledger = {r[0]: tuple(r[1:]) for r in cur.fetchall()}
    cur.execute("SELECT id, txn, k, payload FROM bulk")
    bulk = {r[0]: tuple(r[1:]) for r in cur.fetchall()}
    conn.commit()
    return State(accounts, ledger, bulk, len(ledger))


# --------------------------------------------------------------------------------------------


def main() -> None:
    path, seed = sys.argv[1], int(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 10**9
    conn = connect(path)
    setup(conn)
    start = committed_count(conn)
    print(f"START {start}", flush=True)
    for i in range(start, start + limit):
        run_txn(conn, seed, i)
        print(f"ACK {i}", flush=True)
    conn.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
