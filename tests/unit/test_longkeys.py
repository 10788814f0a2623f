"""Keys past LMDB's 511-byte limit: stored, ordered, scanned and read back like short ones."""

from __future__ import annotations

import os

import lmdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import CorruptionError
from core.storage import longkeys
from core.storage.overlay import INFINITY
from core.storage.tablespace import Tablespace
from core.txn.spill import SpillFile

# Keys that share long prefixes, so that groups (same 480-byte start) really occur.
_BASES = [b"", b"a" * 470, b"a" * 480, b"a" * 479 + b"b", b"z" * 600]
keys = st.builds(
    lambda base, tail: (base + tail)[:3600],
    st.sampled_from(_BASES),
    st.binary(min_size=1, max_size=40).map(lambda b: b * (1 + len(b) % 40)),
)
bounds = st.one_of(st.just(b""), keys)


def _model_scan(model: dict, lo: bytes, hi: bytes | None, reverse: bool):
    items = sorted((k, v) for k, v in model.items() if k >= lo and (hi is None or k < hi))
    return items[::-1] if reverse else items


@pytest.fixture
def space(tmp_path):
    ts = Tablespace.create(str(tmp_path / "t.kdb"), {"space_id": 7}, map_size=1 << 28)
    yield ts
    ts.close()


def _scan(ts: Tablespace, lo, hi, reverse):
    with ts.env.begin(db=ts.data_db) as txn:
        return list(longkeys.scan(txn.cursor(), lo, hi, reverse))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(keys, st.one_of(st.none(), st.binary(max_size=20))), max_size=60),
       lo=bounds, hi=st.one_of(st.none(), bounds), reverse=st.booleans())
def test_tablespace_matches_a_sorted_model(space, ops, lo, hi, reverse):
    with space.env.begin(write=True, db=space.data_db) as txn:
        txn.drop(space.data_db, delete=False)
    model: dict[bytes, bytes] = {}
    for key, value in ops:
        space.apply([(key, value)], None)
        if value is None:
            model.pop(key, None)
        else:
            model[key] = value
    assert _scan(space, lo, hi, reverse) == _model_scan(model, lo, hi, reverse)
    with space.env.begin(db=space.data_db) as txn:
        for key, _v in ops:
            assert longkeys.get(txn, key) == model.get(key)
    with space.env.begin(db=space.data_db) as txn:  # LMDB really held every key under 511
        assert all(len(k) <= 511 for k, _v in txn.cursor())


def test_long_keys_flag_survives_reopen_and_disables_values_only_scans(tmp_path):
    path = str(tmp_path / "t.kdb")
    ts = Tablespace.create(path, {"space_id": 3}, map_size=1 << 26)
    assert not ts.long_keys
    ts.apply([(b"k" * 600, b"v")], 9)
    assert ts.long_keys
    ts.close()
    ts = Tablespace.open(path, map_size=1 << 26)
    try:
        assert ts.long_keys and ts.applied_lsn == 9
    finally:
        ts.close()


def test_damaged_long_key_rest_is_reported_not_returned(space):
    key = b"q" * 700
    space.apply([(key, b"value")], None)
    with space.env.begin(write=True, db=space.data_db) as txn:
        stored = longkeys.stored_key(key)
        raw = bytearray(txn.get(stored))
        raw[10] ^= 0xFF  # inside the key's rest
        txn.put(stored, bytes(raw))
    with space.env.begin(db=space.data_db) as txn:
        with pytest.raises(CorruptionError):
            longkeys.get(txn, key)
        with pytest.raises(CorruptionError):
            list(longkeys.scan(txn.cursor()))


def test_spill_file_holds_long_keys(tmp_path):
    spill = SpillFile(str(tmp_path / "trx.kdb"))
    try:
        long_a, long_b = b"a" * 900 + b"2", b"a" * 900 + b"1"
        spill.write({5: {long_a: b"A", long_b: b"B", b"short": b"S"}, 6: {long_a: None}})
        assert spill.get(5, long_a, INFINITY) == b"A"
        assert spill.get(6, long_a, INFINITY) is None
        assert [k for k, _v in spill.latest_items(5)] == [long_b, long_a, b"short"]
        assert list(spill.keys(5, b"", None, True)) == [b"short", long_a, long_b]
    finally:
        spill.discard()


def test_lmdb_rejects_what_the_encoding_avoids(tmp_path):
    """The reason for the module: if LMDB ever accepted long keys, it could go."""
    env = lmdb.open(os.fspath(tmp_path / "raw"), map_size=1 << 20)
    try:
        with pytest.raises(lmdb.BadValsizeError), env.begin(write=True) as txn:
            txn.put(b"k" * 512, b"v")
    finally:
        env.close()
