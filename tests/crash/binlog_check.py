"""The checker of the binary-log crash tests: after a SIGKILL and a reopen, the binlog holds
exactly the committed transactions, in commit order, with sequential GTIDs.

Used by `tests.crash.test_binlog_crash` and `bench.binlog_torture`.  `check(path, acks, ...)`
reopens the database (recovery refills the binlog from the redo log), replays the binlog's
row changes on empty tables and compares the result with the tables themselves: a
transaction missing from the binlog, one the database does not have, or two in the wrong
order shows as a difference (or as a before-image that does not match the replayed row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.backup.events import files_of, transactions
from tests.crash import binlog_worker as w

_CREATE = re.compile(r"CREATE TABLE\s+(?:IF NOT EXISTS\s+)?`?(\w+)`?", re.I)


@dataclass
class Checked:
    transactions: int
    files: int
    last_seq: int


def _tables(cur) -> dict[str, dict]:
    cur.execute("SHOW TABLES")
    names = [r[0] for r in cur.fetchall()]
    out: dict[str, dict] = {}
    for name in names:
        if name in ("t1", "t2", "marks"):
            cur.execute(f"SELECT * FROM {name}")
            out[name] = {r[0]: list(r) for r in cur.fetchall()}
        else:
            out[name] = {}
    return out


def replay(path: str) -> tuple[list, dict[str, dict], set[str], list[tuple[int, int]]]:
    """(transactions, rows per table, tables the DDLs created, (thread, n) of the markers in
    binlog order); raises AssertionError on a GTID gap or a before-image mismatch."""
    txns = list(transactions(files_of(path)))
    uuid = txns[0].uuid if txns else ""
    seqs = [t.seq for t in txns]
    assert all(t.uuid == uuid for t in txns), "GTIDs of more than one uuid"
    assert seqs == list(range(1, len(seqs) + 1)), (
        f"GTIDs not sequential from 1: {_first_gap(seqs)}")
    model: dict[str, dict] = {}
    created: set[str] = set()
    marks: list[tuple[int, int]] = []
    for t in txns:
        if t.ddl is not None:
            m = _CREATE.search(t.ddl)
            if m:
                created.add(m.group(1))
            continue
        for tc in t.tables:
            rows = model.setdefault(tc.table, {})
            for r in tc.rows:
                h = r.handle
                if r.kind == "insert":
                    assert h not in rows, f"{t.gtid}: insert of {tc.table} {h} already there"
                    rows[h] = r.after
                    if tc.table == "marks":
                        marks.append((r.after[1], r.after[2]))
                elif r.kind == "update":
                    assert rows.get(h) == r.before, (
                        f"{t.gtid}: update of {tc.table} {h}: before {r.before}, replay has "
                        f"{rows.get(h)}")
                    rows[h] = r.after
                else:
                    assert rows.get(h) == r.before, (
                        f"{t.gtid}: delete of {tc.table} {h}: before {r.before}, replay has "
                        f"{rows.get(h)}")
                    del rows[h]
    return txns, model, created, marks


def _first_gap(seqs: list[int]) -> str:
    for want, got in enumerate(seqs, 1):
        if want != got:
            return f"position {want - 1} has {got}, expected {want}"
    return "?"


def check(path: str, acks: list[int], seed: int, mode: str) -> Checked:
    """Reopen `path`, check the binlog against the tables and the acknowledgements, commit
    one more transaction and check it took the next GTID."""
    conn = w.connect(path, autocommit=True)
    try:
        cur = conn.cursor()
        state = _tables(cur)
        txns, model, created, marks = replay(path)
        for name in ("t1", "t2", "marks"):
            got, want = state.get(name, {}), model.get(name, {})
            if got != want:
                extra = sorted(set(want) - set(got))[:5]
                missing = sorted(set(got) - set(want))[:5]
                wrong = [(k, got[k], want[k]) for k in got if k in want and got[k] != want[k]]
                raise AssertionError(
                    f"{name}: the binlog's replay differs from the table: in the binlog only "
                    f"{extra}, in the table only {missing}, different {wrong[:5]}")
        tables = {n for n in state if n.startswith("d")}
        assert created >= tables and {n for n in created if n.startswith("d")} == tables, (
            f"DDL: the binlog created {sorted(created)}, the database has {sorted(tables)}")
        for i in acks:
            if mode == "mix" and w.kind_of(seed, i) == "ddl":
                assert f"d{i}" in created, f"acknowledged DDL {i} missing from the binlog"
            else:
                assert i in model.get("marks", {}), f"acknowledged commit {i} not in the binlog"
        last: dict[int, int] = {}
        for thread, n in marks:  # commit order: each thread's markers in its order
            assert n > last.get(thread, -1), f"thread {thread}: marker {n} after {last[thread]}"
            last[thread] = n
        # the reopened database logs on, with the next GTID
        binlog = conn._db.engine.binlog
        assert binlog.next_seq == len(txns) + 1, (binlog.next_seq, len(txns))
        n = len(txns)
        if "marks" not in state:  # killed before the setup made it
            cur.execute(w.SCHEMA[2])
            n += 1
        cur.execute("INSERT INTO marks VALUES (%s, 99, %s)", (-n - 1, n + 1))
        after = list(transactions(files_of(path)))
        assert [t.seq for t in after[len(txns):]] == list(range(len(txns) + 1, n + 2)), (
            f"the next commits logged as {[t.gtid for t in after[len(txns):]]}, not from "
            f"seq {len(txns) + 1}")
        assert after[-1].uuid == binlog.uuid
        return Checked(len(txns), len(files_of(path)), n + 1)
    finally:
        conn.close()
