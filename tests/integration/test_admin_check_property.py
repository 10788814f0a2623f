"""The fast path must never call an inconsistent table consistent (a TiDB release did, for
some collations).  Random damage (core.faults) on unique, composite, string, nullable and
clustered indexes; after each round the consistency core (fast checksums, buckets, exact
comparison in groups) and a naive row-by-row comparison written here must agree on whether
each index is consistent and on the count of each kind, and ADMIN CHECK must fail exactly
when they say inconsistent."""

import random

import pytest

import core
from core import faults
from core.catalog.model import HANDLE_CLUSTERED
from core.check import consistency
from core.check.errors import handle_text
from core.codec import decode_index_key, decode_int, encode_int, prefix_next
from core.codec.entries import index_entry
from core.codec.rows import decode_row
from core.errors import CorruptionError

SCHEMAS = {
    "ti": ("CREATE TABLE ti (id BIGINT PRIMARY KEY, a INT, s VARCHAR(20), n INT, "
           "INDEX ia (a), UNIQUE INDEX us (s), INDEX ias (a, s), UNIQUE INDEX un (n))"),
    "tr": "CREATE TABLE tr (a INT, s VARCHAR(20), INDEX ia (a), UNIQUE INDEX us (s, a))",
    "tc": ("CREATE TABLE tc (k VARCHAR(10), m INT, a INT, PRIMARY KEY (k, m), INDEX ia (a), "
           "UNIQUE INDEX ua (a, m))"),
}
N = 60


def _fill(cur, rnd):
    for ddl in SCHEMAS.values():
        cur.execute(ddl)
    for i in range(N):
        a = rnd.randrange(10)
        s = f"s{i:03d}" if rnd.random() < 0.8 else None
        n = i if rnd.random() < 0.3 else None  # many NULLs in a unique index
        h = {0: -2**63, 5: 2**63 - 1, 10: 0}.get(i, i * 7919 - 200_000)  # BIGINT edges
        cur.execute("INSERT INTO ti VALUES (%s, %s, %s, %s)", (h, a, s, n))
        cur.execute("INSERT INTO tr VALUES (%s, %s)", (a, s))
        cur.execute("INSERT INTO tc VALUES (%s, %s, %s)", (f"k{i % 13}", i, a))


def _naive(view, table, ix):
    """(missing, dangling, mismatched) by the definitions, with dicts."""
    clustered = table.handle == HANDLE_CLUSTERED
    from core.codec import row_prefix

    rp = row_prefix(table.id)
    want = {}
    damaged = set()  # rows that cannot be read: their entries are not judged
    for k, v in view.scan(table.id, rp, prefix_next(rp)):
        hk = bytes(k[len(rp):])
        try:
            row = decode_row(v)
        except CorruptionError:
            damaged.add(hk)
            continue
        handle = hk if clustered else decode_int(hk)
        want[hk] = index_entry(table.id, ix.id, ix.unique,
                               [row[table.column_index(c)] for c in ix.columns], handle)
    from core.codec import index_prefix

    lo = index_prefix(table.id, ix.id)
    by_handle = {}
    for k, v in view.scan(table.id, lo, prefix_next(lo)):
        handle = decode_index_key(k, len(ix.columns), common_handle=clustered)[3]
        if v != b"0":
            handle = v if clustered else decode_int(v)
        hk = handle if clustered else encode_int(handle)
        by_handle.setdefault(hk, []).append((bytes(k), bytes(v)))
    missing = dangling = mismatched = 0
    bad = set()
    for hk, entries in by_handle.items():
        if hk in damaged:
            continue
        if hk not in want:
            dangling += len(entries)
            bad.add(hk)
        else:
            wrong = sum(e != want[hk] for e in entries)
            mismatched += wrong
            if wrong:
                bad.add(hk)
    missing = sum(hk not in by_handle for hk in want)
    bad |= {hk for hk in want if hk not in by_handle}
    first = None if not bad else min(bad)
    if first is not None:
        first = handle_text(first if clustered else decode_int(first))
    return missing, dangling, mismatched, first


def _damage(conn, rnd, handles):
    table = rnd.choice(list(SCHEMAS))
    hs = handles[table]
    if not hs:
        return
    ixs = {"ti": ["ia", "us", "ias", "un"], "tr": ["ia", "us"], "tc": ["ia", "ua"]}[table]
    ix = rnd.choice(ixs)
    ncols = {"ia": 1, "us": 1 if table == "ti" else 2, "ias": 2, "un": 1, "ua": 2}[ix]
    h = rnd.choice(hs)
    kind = rnd.randrange(5)

    def values():
        return [rnd.choice([rnd.randrange(12), f"s{rnd.randrange(N):03d}", None])
                for _ in range(ncols)]
    try:
        if kind == 0:
            faults.remove_index_entries(conn, table, ix, rnd.sample(hs, min(3, len(hs))))
        elif kind == 1:
            other = rnd.choice(hs) if rnd.random() < 0.5 else \
                ((f"z{rnd.randrange(99)}", rnd.randrange(99)) if table == "tc"
                 else rnd.randrange(-10**6, 10**6))
            faults.add_dangling_index_entry(conn, table, ix, values(), other)
        elif kind == 2:
            faults.change_index_entry(conn, table, ix, h, values())
        elif kind == 3:
            faults.remove_rows_keep_index(conn, table, [h])
            hs.remove(h)
        else:
            faults.corrupt_row(conn, table, h)
            hs.remove(h)
    except core.Error:
        pass  # a value the column cannot hold, a row already gone: no damage this time


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fast_path_and_row_by_row_always_agree(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(consistency, "BLOCK", 8)  # many buckets, gaps between them
    rnd = random.Random(seed)
    conn = core.connect(str(tmp_path / "db"), create=True, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE DATABASE p")
    cur.execute("USE p")
    _fill(cur, rnd)
    db = conn._db
    with db.engine.snapshot() as snap:
        schema = db.schema(snap)
        handles = {}
        for name in SCHEMAS:
            t = schema.table("p", name)
            rp = consistency.row_prefix(t.id)
            handles[name] = [
                (decode_int(bytes(k[11:])) if t.handle != HANDLE_CLUSTERED else
                 tuple(decode_row(v)[i] for i in (0, 1)))
                for k, v in snap.scan(t.id, rp, prefix_next(rp))]
    seen_bad = 0
    for _round in range(15):
        for _ in range(rnd.randrange(1, 3)):
            _damage(conn, rnd, handles)
        with db.engine.snapshot() as snap:
            schema = db.schema(snap)
            for name in SCHEMAS:
                t = schema.table("p", name)
                hold = rnd.choice([3, 10, 10_000])
                results = consistency.compare(snap, t, limit=1000, hold=hold)
                firsts = {}
                for r in results:
                    m, d, x, firsts[r.index.name] = _naive(snap, t, r.index)
                    assert (r.missing, r.dangling, r.mismatched) == (m, d, x) or \
                        (r.consistent and (m, d, x) == (0, 0, 0)), (name, r)
                    assert r.consistent == ((m, d, x) == (0, 0, 0)), (name, r.index.name)
                    assert len(r.diffs) == min(1000, m + d + x)
                    seen_bad += not r.consistent
                _, first = consistency.first_difference(snap, t)
                assert (first is None) == all(r.consistent for r in results)
                if first is not None:  # the first inconsistent index, its smallest handle
                    bad_ix = next(r.index for r in results if not r.consistent)
                    assert first[0].name == bad_ix.name
                    assert first[1].handle == firsts[bad_ix.name]
    assert seen_bad  # the damage did reach the checks
    conn.close()
