"""Do a table's indexes hold exactly the entries its rows need?  The one core behind CHECK
TABLE ... EXTENDED, ADMIN CHECK TABLE / INDEX and ADMIN SHOW INDEX INCONSISTENCIES.

Pure functions over a read view (one snapshot) and a `TableInfo`; nothing here imports SQL.

**Fast path** (every call): one scan of the rows computes, for each index, the entry each row
needs, as the exact stored bytes (`core.codec.entries.index_entry`, with the common column
types inlined into one generated loop), and adds up a hash of each (key, value) pair; one
scan of each index adds up the same hash over the stored pairs.  Equal counts and equal sums:
the index is consistent.  The sum is order-independent, so the two scans need no sort and
hold nothing.  The hash is Python's hash of the (key, value) tuple: SipHash-1-3 of each
bytes object under this process's random key, mixed by the tuple hash, a 64-bit keyed PRF;
two different multisets of entries agree with probability about 2**-64, and no one can
build a collision without the key.  The exact bytes are hashed, never decoded values, so no
collation or normalisation can make two different entries look equal (a TiDB release once
called inconsistent tables consistent under some collations).

**Only on a mismatch:** the row scan also kept, per block of `BLOCK` rows in handle order,
the block's first and last handle, its count and its sums (a few thousand numbers at 10M
rows).  One more scan of the bad index decodes each entry's handle (the value of a unique
entry, the key's suffix otherwise) and adds it to its block's bucket; entries whose handle
falls between two blocks, or outside all of them, have no row at all: dangling, counted
without being held.  Buckets whose count or sum differ are then compared exactly: their rows
are read again by key range (only theirs) and their expected entries held, at most `HOLD` at
a time (more bad buckets: several groups, one more scan of the index each); a bad bucket
without any entry is all missing, counted without holding anything.

Each difference is one of (per index; a handle is a row's key):

* missing: a row that needs an entry, and no entry of the index points at it;
* dangling: an entry whose handle has no row (or a row that cannot be read);
* mismatched: an entry whose handle's row exists but needs another key or value.

Memory stays bounded whatever the damage: per-block numbers, at most `HOLD` expected entries,
and a few samples.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

from crc32c import crc32c

from core.catalog.model import HANDLE_CLUSTERED, IndexInfo, TableInfo
from core.check.errors import handle_text, values_text
from core.codec import (
    INT_FLAG,
    decode_index_key,
    decode_int,
    encode_bytes,
    encode_value,
    index_prefix,
    prefix_next,
    row_prefix,
)
from core.codec.entries import NON_UNIQUE_VALUE, index_entry
from core.codec.rows import corrupt_row, row_damage, row_decoder
from core.errors import CorruptionError
from core.events import IndexReport, IndexSample

BLOCK = 4096  # rows per bucket of the fast path; also the unit of progress
HOLD = 400_000  # expected entries held at once when comparing bad buckets exactly
HOLD_BYTES = 96 << 20  # ... and at most about this much memory for them (wide keys)
ENTRY_OVERHEAD = 220  # bytes of Python objects around one held entry (tuple, dict slot)
_K = itemgetter(0)
_V = itemgetter(1)
SAMPLES = 3  # samples per index in an IndexReport

MISSING, DANGLING, MISMATCHED = "missing", "dangling", "mismatched"
_KIND_ORDER = {MISSING: 0, DANGLING: 1, MISMATCHED: 2}

Step = Callable[[str, int, int], None]
# (row key, stored value, what is wrong, kind: "checksum" | "decode" | "width" | "index")
OnDamage = Callable[[bytes, bytes, str, str], None]


def _no_step(_phase: str, _done: int, _total: int) -> None:
    return None


def _ignore(_key: bytes, _value: bytes, _problem: str, _kind: str) -> None:
    return None


@dataclass(frozen=True)
class Diff:
    """One difference, as found: the row handle's key bytes (`hk`, None if the entry's
    handle cannot be decoded), the stored entry (absent for a missing one) and, for a
    missing one, the entry the row needs."""

    kind: str
    hk: bytes | None
    key: bytes
    value: bytes

    @property
    def order(self) -> tuple[bytes, int]:
        return (self.hk or b"", _KIND_ORDER[self.kind])


@dataclass
class IndexResult:
    """What the core found about one index."""

    index: IndexInfo
    rows: int = 0  # rows read (damaged ones included)
    sound: int = 0  # rows that need an entry (read, decoded and indexable)
    entries: int = 0
    consistent: bool = True
    missing: int = 0
    dangling: int = 0
    mismatched: int = 0
    unverified: int = 0  # entries pointing at a damaged row (a forced open skips it)
    diffs: list[Diff] = field(default_factory=list)  # the first `limit` by handle

    @property
    def differences(self) -> int:
        return self.missing + self.dangling + self.mismatched


# --- what the rows need: compiled per table -------------------------------------------------

_S = 1 << 63
_CRC, _RESIDUE, _UNPACK, _HOOK = row_decoder()
_STRUCTS: dict[str, Any] = {}


def _packer(fmt: str):
    s = _STRUCTS.get(fmt)
    if s is None:
        s = _STRUCTS[fmt] = struct.Struct(">" + fmt).pack
    return s


class WidthError(ValueError):
    """A row whose number of values is not the table's."""

    def __init__(self, row: Any):
        super().__init__("wrong number of values")
        self.row = row


class _NullInUnique(Exception):
    """A NULL in a unique index's values: the entry takes the non-unique form (slow path)."""


def _enc_not_null(v: Any) -> bytes:
    if v is None:
        raise _NullInUnique
    return encode_value(v)


class Layout:
    """How the rows of `table` map to entries of `indexes`: one generated loop that hashes
    every row's entries (the fast path) and one function per index giving the exact
    (key, value) a row needs.  The common column types (integers, strings) are encoded
    inline; anything else, and any value that does not fit the inline form (NULL, an
    unsigned value past 2**63, a value of an unexpected type), takes `index_entry`, so the
    bytes are always exactly those of the write path."""

    def __init__(self, table: TableInfo, indexes: Sequence[IndexInfo]):
        self.table = table
        self.indexes = list(indexes)
        self.tid = table.id
        self.clustered = table.handle == HANDLE_CLUSTERED
        self.row_prefix = row_prefix(table.id)
        self.hoff = len(self.row_prefix)
        self.width = len(table.columns) + 1  # the CRC is the last item
        self.pos = [[table.column_index(c) for c in ix.columns] for ix in self.indexes]
        self.prefixes = [index_prefix(table.id, ix.id) for ix in self.indexes]
        self.unsigned = [[bool(table.columns[p].type.unsigned) for p in pos]
                         for pos in self.pos]
        self.block, self.entries = self._compile()

    def handle(self, hk: bytes) -> int | bytes:
        return hk if self.clustered else decode_int(hk)

    def generic(self, row: list, hk: bytes) -> tuple[tuple[bytes, bytes], ...]:
        handle = self.handle(hk)
        return tuple(index_entry(self.tid, ix.id, ix.unique,
                                 ix.key_values([row[p] for p in pos]), handle)
                     for ix, pos in zip(self.indexes, self.pos, strict=True))

    def _expr(self, j: int, ix: IndexInfo, ns: dict) -> tuple[str, str]:
        """(key expression, value expression) of index j over `row` and `hk`."""
        segs: list[tuple[str, list[str]] | str] = []  # (struct fmt, args) or an expression

        def fixed(fmt: str, *args: str) -> None:
            if segs and isinstance(segs[-1], tuple):
                segs[-1] = (segs[-1][0] + fmt, segs[-1][1] + list(args))
            else:
                segs.append((fmt, list(args)))

        prefix = self.prefixes[j]
        ns[f"P{j}"] = prefix
        fixed(f"{len(prefix)}s", f"P{j}")
        lengths = ix.lengths or [None] * len(self.pos[j])
        for p, n in zip(self.pos[j], lengths, strict=True):
            try:
                py = self.table.columns[p].type.python_type
            except KeyError:
                py = object
            # a prefix part keeps row[p][:n] (IndexInfo.key_values); NULL fails the slice
            # and takes the slow path, as it fails the inline forms
            v = f"row[{p}]" if n is None else f"row[{p}][:{int(n)}]"
            if py is int:
                fixed("BQ", str(INT_FLAG), f"{v} + S")
            elif py is str:
                segs.append(f"SF + eb({v}.encode('utf-8', 'surrogatepass'))")
            else:
                segs.append(f"{'ennv' if ix.unique else 'env'}({v})")
        if ix.unique:
            value = "hk"
        else:
            value = "NV"
            if self.clustered:
                segs.append("hk")
            else:
                fixed("B8s", str(INT_FLAG), "hk")
        parts = []
        for s in segs:
            if isinstance(s, tuple):
                name = f"pk_{len(ns)}"
                ns[name] = _packer(s[0])
                parts.append(f"{name}({', '.join(s[1])})")
            else:
                parts.append(s)
        return " + ".join(parts), value

    def _compile(self):
        ns: dict[str, Any] = {"crc": _CRC, "residue": _RESIDUE, "unpackb": _UNPACK,
                              "hook": _HOOK, "S": _S, "SF": b"\x0b", "eb": encode_bytes,
                              "env": encode_value, "ennv": _enc_not_null,
                              "NV": NON_UNIQUE_VALUE, "W": self.width, "H": self.hoff,
                              "slow": self.generic, "WidthError": WidthError, "hash": hash}
        exprs = [self._expr(j, ix, ns) for j, ix in enumerate(self.indexes)]
        n = len(exprs)
        hs = ", ".join(f"h{j}" for j in range(n)) + ("," if n == 1 else "")
        lines = ["def block(pairs, bad):"]
        lines += [f"    s{j} = 0" for j in range(n)]
        lines += [
            "    for k, v in pairs:",
            "        if crc(v) != residue:",
            "            bad.append((k, v, 'checksum', None))",
            "            continue",
            "        try:",
            "            row = unpackb(v, ext_hook=hook)",
            "            if len(row) != W:",
            "                raise WidthError(row)",
            "        except Exception as e:",
            "            bad.append((k, v, 'decode', e))",
            "            continue",
            "        hk = k[H:]",
            "        try:",
        ]
        lines += [f"            h{j} = hash(({key}, {val}))" for j, (key, val) in enumerate(exprs)]
        lines += [
            "        except Exception:",
            "            try:",
            f"                {hs} = map(hash, slow(row, hk))",
            "            except Exception as e:",
            "                bad.append((k, v, 'index', e))",
            "                continue",
        ]
        lines += [f"        s{j} += h{j}" for j in range(n)]
        lines.append(f"    return [{', '.join(f's{j}' for j in range(n))}]")
        lines += ["", "def entries(row, hk):", "    try:",
                  f"        return ({', '.join(f'({k}, {v})' for k, v in exprs)}"
                  f"{',' if n == 1 else ''})",
                  "    except Exception:",
                  "        return slow(row, hk)"]
        code = compile("\n".join(lines) + "\n", f"<index entries of {self.table.full_name}>",
                       "exec")
        exec(code, ns)  # generated from positions and types only: no names, no user text
        return ns["block"], ns["entries"]

    def decode(self, v: bytes) -> list | None:
        """A sound row's values (None: damaged, as the fast path saw it)."""
        return _decode_row(v, self.width)

    def entry_handle(self, j: int, k: bytes, v: bytes) -> bytes | None:
        """The row handle (as key bytes) a stored entry of index j points at."""
        if v != NON_UNIQUE_VALUE:
            return v
        if not self.clustered:
            if len(k) >= 9 and k[-9] == INT_FLAG:
                return k[-8:]
            return None
        try:
            h = decode_index_key(k, len(self.pos[j]), common_handle=True)[3]
        except Exception:  # noqa: BLE001 - an undecodable entry: dangling
            return None
        return h if h else None


def _decode_row(v: bytes, width: int) -> list | None:
    if _CRC(v) != _RESIDUE:
        return None
    try:
        row = _UNPACK(v, ext_hook=_HOOK)
    except Exception:  # noqa: BLE001 - damage, reported by the fast path
        return None
    if type(row) is not list or len(row) != width:
        return None
    return row


def damage_problem(kind: str, value: bytes, detail: Any, ncols: int) -> str:
    """What is wrong with a row the core could not use, in words."""
    if kind == "checksum":
        if len(value) <= 5:
            return f"row value truncated to {len(value)} bytes"
        stored = int.from_bytes(bytes(value[-4:]), "little")
        return f"checksum mismatch (stored 0x{stored:08x}, computed 0x{crc32c(value[:-4]):08x})"
    if kind == "decode" and isinstance(detail, WidthError):
        row = detail.row
        size = len(row) - 1 if type(row) is list else 0
        return f"row has {size} values, the table has {ncols} columns"
    if kind == "decode":
        return f"undecodable row payload ({detail})"
    return f"row cannot be indexed ({detail})"


def damage_error(table: TableInfo, key: bytes, value: bytes, problem: str,
                 kind: str) -> CorruptionError:
    """The CorruptionError (1877) a read of that row raises."""
    if kind == "checksum":
        return row_damage(value, table.full_name, key)
    return corrupt_row(table.full_name, key, problem)


# --- scanning -------------------------------------------------------------------------------


def _blocks(view, tid: int, lo: bytes, hi: bytes | None) -> Iterator[list]:
    """Lists of up to BLOCK (key, value) pairs in [lo, hi): the scan runs unbounded and the
    last block is cut with one bisect, so no per-pair bound test is paid."""
    it = view.scan(tid, lo, None)
    while True:
        blk = list(islice(it, BLOCK))
        if not blk:
            return
        if hi is not None and blk[-1][0] >= hi:
            blk = blk[:bisect.bisect_left(blk, (hi,))]
            if blk:
                yield blk
            return
        yield blk


@dataclass
class _RowPass:
    rows: int = 0
    sound: int = 0
    firsts: list = field(default_factory=list)
    lasts: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    sums: list = field(default_factory=list)  # per block: a list of one sum per index
    # handles (key bytes) of rows that could not be read: their entries cannot be judged
    damaged: set = field(default_factory=set)


def _row_pass(view, lay: Layout, step: Step, on_damage: OnDamage) -> _RowPass:
    out = _RowPass()
    block, H = lay.block, lay.hoff
    bad: list = []
    ncols = lay.width - 1
    for blk in _blocks(view, lay.tid, lay.row_prefix, None):
        sums = block(blk, bad)
        n = len(blk)
        if bad:
            for k, v, kind, detail in bad:
                if isinstance(detail, WidthError):
                    kind = "width"
                on_damage(k, v, damage_problem(kind, v, detail, ncols), kind)
                out.damaged.add(bytes(k[H:]))
            n -= len(bad)
            bad.clear()
        out.firsts.append(blk[0][0][H:])
        out.lasts.append(blk[-1][0][H:])
        out.counts.append(n)
        out.sums.append(sums)
        out.rows += len(blk)
        out.sound += n
        step("rows", out.rows, 0)
    return out


def _index_range(lay: Layout, j: int) -> tuple[bytes, bytes]:
    lo = lay.prefixes[j]
    return lo, prefix_next(lo)


def _index_pass(view, lay: Layout, j: int, step: Step) -> tuple[int, int]:
    """Count and sum of one index: the pairs are hashed as they come (one C loop per
    block), never held."""
    lo, hi = _index_range(lay, j)
    n = total = 0
    phase = f"index {lay.indexes[j].name}"
    it = view.scan(lay.tid, lo, hi)
    while True:
        hs = list(map(hash, islice(it, BLOCK)))
        if not hs:
            return n, total
        n += len(hs)
        total += sum(hs)
        step(phase, n, 0)


class _Samples:
    """The first `limit` differences by handle, whatever order they are found in."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: list[tuple[tuple[bytes, int], Diff]] = []

    def wants(self, hk: bytes | None) -> bool:
        return self.limit > 0 and (len(self.items) < self.limit or
                                   (hk or b"") < self.items[-1][0][0])

    def add(self, d: Diff) -> None:
        if self.limit <= 0:
            return
        if len(self.items) >= self.limit and d.order >= self.items[-1][0]:
            return
        bisect.insort(self.items, (d.order, d), key=lambda t: t[0])
        del self.items[self.limit:]

    def diffs(self) -> list[Diff]:
        return [d for _o, d in self.items]


def _compare_index(view, lay: Layout, j: int, rp: _RowPass, res: IndexResult,
                   step: Step, limit: int, hold: int, first_bucket_only: bool) -> None:
    """The bucket pass and the exact comparison of the bad buckets of index j."""
    name = lay.indexes[j].name
    firsts, lasts = rp.firsts, rp.lasts
    nb = len(firsts)
    cnt = [0] * nb
    sm = [0] * nb
    samples = _Samples(limit)
    lo, hi = _index_range(lay, j)
    handle_of = lay.entry_handle
    right = bisect.bisect_right
    seen = 0
    damaged = rp.damaged
    nbytes = 0
    for blk in _blocks(view, lay.tid, lo, hi):
        nbytes += sum(map(len, map(_K, blk))) + sum(map(len, map(_V, blk)))
        for kv in blk:
            k, v = kv
            hk = handle_of(j, k, v)
            if damaged and hk in damaged:  # its row cannot be read: neither side counts it
                res.unverified += 1
                continue
            i = -1 if hk is None else right(firsts, hk) - 1
            if i < 0 or hk > lasts[i]:  # no row can have this handle
                res.dangling += 1
                if samples.wants(hk):
                    samples.add(Diff(DANGLING, hk, k, v))
                continue
            cnt[i] += 1
            sm[i] += hash(kv)
        seen += len(blk)
        step(f"buckets {name}", seen, 0)
    bad = [i for i in range(nb)
           if cnt[i] != rp.counts[i] or sm[i] != rp.sums[i][j]]
    if seen:  # held entries cost their bytes (twice: wanted and seen) plus a dict slot
        hold = max(BLOCK, min(hold, HOLD_BYTES // (2 * nbytes // seen + ENTRY_OVERHEAD)))
    if first_bucket_only:
        # ADMIN CHECK: the first difference by handle is either a dangling entry outside
        # the rows' blocks (already a sample) or in the first bad bucket that has one.
        for i in bad:
            before = res.differences
            _buckets(view, lay, j, rp, [i], cnt, res, samples, step, hold)
            if res.differences > before:
                break
        res.diffs = samples.diffs()
        return
    _buckets(view, lay, j, rp, bad, cnt, res, samples, step, hold)
    res.diffs = samples.diffs()


def _buckets(view, lay: Layout, j: int, rp: _RowPass, bad: list[int], cnt: list[int],
             res: IndexResult, samples: _Samples, step: Step, hold: int) -> None:
    """The exact comparison of bad buckets, in groups of at most `hold` rows."""
    firsts, lasts = rp.firsts, rp.lasts
    groups: list[list[int]] = []
    size = 0
    for i in bad:
        if cnt[i] == 0:  # no entry at all: every row of the bucket is missing
            res.missing += rp.counts[i]
            if samples.wants(firsts[i]):
                _missing_samples(view, lay, j, firsts[i], lasts[i], samples)
            continue
        if not groups or size + rp.counts[i] > hold:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += rp.counts[i]
    for g in groups:
        _exact(view, lay, j, rp, g, res, samples, step)


def _bucket_rows(view, lay: Layout, first: bytes, last: bytes) -> Iterator[tuple[bytes, list]]:
    """(handle bytes, row) of the sound rows whose handle lies in [first, last]."""
    lo = lay.row_prefix + first
    hi = lay.row_prefix + last + b"\x00"
    H = lay.hoff
    for blk in _blocks(view, lay.tid, lo, hi):
        for k, v in blk:
            row = lay.decode(v)
            if row is not None:
                yield k[H:], row


def _missing_samples(view, lay: Layout, j: int, first: bytes, last: bytes,
                     samples: _Samples) -> None:
    for hk, row in _bucket_rows(view, lay, first, last):
        if not samples.wants(hk):
            return
        try:
            k, v = lay.entries(row, hk)[j]
        except Exception:  # noqa: BLE001 - not indexable: not counted as a row
            continue
        samples.add(Diff(MISSING, hk, k, v))


def _exact(view, lay: Layout, j: int, rp: _RowPass, group: list[int], res: IndexResult,
           samples: _Samples, step: Step) -> None:
    """Exact comparison of one group of bad buckets of index j."""
    want: dict[bytes, tuple[bytes, bytes]] = {}
    entries = lay.entries
    for i in group:
        for hk, row in _bucket_rows(view, lay, rp.firsts[i], rp.lasts[i]):
            try:
                want[hk] = entries(row, hk)[j]
            except Exception:  # noqa: BLE001 - not indexable: the fast path left it out
                continue
    member = bytearray(len(rp.firsts))
    for i in group:
        member[i] = 1
    firsts, lasts = rp.firsts, rp.lasts
    right = bisect.bisect_right
    hit: set[bytes] = set()
    lo, hi = _index_range(lay, j)
    seen = 0
    name = lay.indexes[j].name
    for blk in _blocks(view, lay.tid, lo, hi):
        for kv in blk:
            k, v = kv
            hk = lay.entry_handle(j, k, v)
            if hk is None or hk in rp.damaged:
                continue  # counted by the bucket pass (dangling / unverified)
            i = right(firsts, hk) - 1
            if i < 0 or hk > lasts[i] or not member[i]:
                continue
            w = want.get(hk)
            if w is None:
                res.dangling += 1
                if samples.wants(hk):
                    samples.add(Diff(DANGLING, hk, k, v))
            elif w == kv:
                hit.add(hk)
            else:
                res.mismatched += 1
                hit.add(hk)
                if samples.wants(hk):
                    samples.add(Diff(MISMATCHED, hk, k, v))
        seen += len(blk)
        step(f"compare {name}", seen, 0)
    for hk, (k, v) in want.items():
        if hk not in hit:
            res.missing += 1
            if samples.wants(hk):
                samples.add(Diff(MISSING, hk, k, v))


# --- the entry points -----------------------------------------------------------------------


def compare(view, table: TableInfo, indexes: Sequence[IndexInfo] | None = None, *,
            step: Step | None = None, on_damage: OnDamage | None = None,
            limit: int = SAMPLES, hold: int | None = None,
            first_only: bool = False) -> list[IndexResult]:
    """The fast path for every index of `indexes` (default: the table's public secondary
    ones), then the exact comparison of those that disagree.  `limit` differences per
    index are kept (the first by handle); with `first_only`, only the first inconsistent
    index is compared, and only as far as its first difference (ADMIN CHECK).  Damaged rows
    go to `on_damage` (default: skipped); their entries are not judged (`unverified`)."""
    ixs = [ix for ix in (indexes if indexes is not None else table.secondary_indexes)
           if ix.state == "public"]
    step = step or _no_step
    on_damage = on_damage or _ignore
    results = [IndexResult(ix) for ix in ixs]
    if not ixs:
        return results
    lay = Layout(table, ixs)
    rp = _row_pass(view, lay, step, on_damage)
    for j, res in enumerate(results):
        res.rows, res.sound = rp.rows, rp.sound
        res.entries, total = _index_pass(view, lay, j, step)
        res.consistent = res.entries == rp.sound and total == sum(s[j] for s in rp.sums)
    for j, res in enumerate(results):
        if res.consistent:
            continue
        _compare_index(view, lay, j, rp, res, step, 1 if first_only else limit,
                       HOLD if hold is None else hold, first_only)
        if rp.damaged and not res.differences:  # only the damaged rows' entries differed
            res.consistent = True
            continue
        if first_only:
            break
    return results


def sample_of(view, table: TableInfo, ix: IndexInfo, d: Diff) -> IndexSample:
    """One difference in TiDB's rendering: the handle, the row's values of the index's
    columns (None: no row) and the entry's values (None: no entry)."""
    clustered = table.handle == HANDLE_CLUSTERED
    pos = [table.column_index(c) for c in ix.columns]
    unsigned = [bool(table.columns[p].type.unsigned) for p in pos]
    handle: int | bytes | None = None
    if d.hk is not None:
        try:
            handle = d.hk if clustered else decode_int(d.hk)
        except Exception:  # noqa: BLE001
            handle = None
    row_values = index_values = None
    if d.kind in (MISSING, MISMATCHED) and d.hk is not None:
        raw = view.get(table.id, row_prefix(table.id) + d.hk)
        row = None if raw is None else _decode_row(raw, len(table.columns) + 1)
        if row is not None:  # as the entry holds them: prefix parts cut
            row_values = values_text(ix.key_values([row[p] for p in pos]), unsigned)
    if d.kind in (DANGLING, MISMATCHED):
        try:
            vals = decode_index_key(d.key, len(pos), common_handle=clustered)[2]
            index_values = values_text(vals, unsigned)
        except Exception:  # noqa: BLE001 - a damaged key: show its bytes
            index_values = (f"KindBytes 0x{d.key.hex()}",)
    htext = handle_text(handle) if handle is not None else \
        ("0x" + d.hk.hex() if d.hk else "?")
    return IndexSample(d.kind, htext, row_values, index_values)


def reports(view, table: TableInfo, results: Sequence[IndexResult],
            samples: int = SAMPLES) -> list[IndexReport]:
    """The IndexReports (ADMIN SHOW INDEX INCONSISTENCIES, the console) of `compare`'s
    results."""
    out = []
    for r in results:
        out.append(IndexReport(
            r.index.name, r.rows, r.entries, r.missing, r.dangling, r.mismatched,
            tuple(sample_of(view, table, r.index, d) for d in r.diffs[:samples])))
    return out


def inconsistencies(view, table: TableInfo, indexes: Sequence[IndexInfo] | None = None, *,
                    step: Step | None = None, on_damage: OnDamage | None = None,
                    samples: int = SAMPLES, hold: int | None = None) -> list[IndexReport]:
    """The whole picture: one IndexReport per index, exact counts of each kind."""
    results = compare(view, table, indexes, step=step, on_damage=on_damage, limit=samples,
                      hold=hold)
    return reports(view, table, results, samples)


def first_difference(view, table: TableInfo, indexes: Sequence[IndexInfo] | None = None, *,
                     step: Step | None = None, on_damage: OnDamage | None = None
                     ) -> tuple[list[IndexResult], tuple[IndexInfo, IndexSample] | None]:
    """ADMIN CHECK: the fast path for every index, then the first difference (by handle) of
    the first inconsistent index, or None.  The other inconsistent indexes are known to be
    inconsistent (`consistent` False) but not compared."""
    results = compare(view, table, indexes, step=step, on_damage=on_damage, limit=1,
                      first_only=True)
    for r in results:
        if not r.consistent:
            if r.diffs:
                return results, (r.index, sample_of(view, table, r.index, r.diffs[0]))
            return results, (r.index, IndexSample(MISMATCHED, "?"))
    return results, None


def index_blocks(view, tid: int, prefix: bytes) -> Iterator[list]:
    """Blocks of the (key, value) pairs of one index (its `prefix`), in key order."""
    return _blocks(view, tid, prefix, prefix_next(prefix))
