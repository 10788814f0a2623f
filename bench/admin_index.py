"""Index consistency at scale: ADMIN CHECK TABLE, ADMIN SHOW INDEX INCONSISTENCIES and ADMIN
RECOVER INDEX on N rows (default 1M) with one secondary index, against SQLite and a bare read.

The table is ``t (id BIGINT PRIMARY KEY, name VARCHAR(32), qty INT, price DOUBLE, note
VARCHAR(100), KEY t_qty (qty))`` with the ~100-byte rows of `bench.common.make_row`, loaded
with the SQL layer's row writer (`bench.sql_scan.kdb_load`: the bytes an INSERT stores, in
100k-row transactions) and flushed; SQLite holds the same rows with ``CREATE INDEX t_qty ON
t(qty)``.  Loading is not timed.  Every measured statement runs in a fresh child process of
its own (warm page cache), which reports the statement's time, the process's peak RSS while it
ran (``VmHWM``, reset just before it) and its peak ``RssAnon`` (private memory, sampled every
50 ms):

* **bare read** (the floor): the table's tablespace file ``<dir>/test/t.kdb``, opened read-only
  with py-lmdb after the database was closed (everything flushed), one cursor over its whole
  ``data`` database: every row and every index entry, keys and values;
* for information, a **plain loop**: the same cursor doing a checksum pass row by row in plain
  Python (each row's CRC32C, msgpack decode, the key of the entry it needs, a count and a sum
  of CRC32Cs of those keys against the stored index keys'), to show what the engine's own
  code adds to, or saves over, the obvious implementation;
* ``ADMIN CHECK TABLE t`` (consistent: no rows) and SQLite's ``PRAGMA integrity_check``;
* ``ADMIN SHOW INDEX INCONSISTENCIES t`` (one row, all counts 0);
* ``ADMIN RECOVER INDEX t t_qty`` on a copy of the database whose index has no entries at all
  (made once by deleting the index's key range through `core.txn` in 100k-key transactions;
  each run gets a fresh file copy), expecting ``ADDED_COUNT = SCAN_COUNT = N``, followed on the
  first run by an untimed ADMIN CHECK TABLE that must pass; against SQLite's ``REINDEX t_qty``.

Targets (same-run medians of ``--repeat`` interleaved runs): CHECK TABLE no slower than
SQLite's integrity_check (moonshot) and within 1.5x of the bare read; RECOVER INDEX <= 1.5x
SQLite's REINDEX; SHOW INDEX INCONSISTENCIES <= 1.2x CHECK TABLE; peak memory under 300 MB for
each statement (the issue sets it at 10M rows: ``--rows 10000000 --repeat 1``, long).

    python -m bench.admin_index [--rows 1000000] [--repeat 3] [--profile] [--harness-only]
                                [--data DIR [--prepare-only]] [--note TEXT]

``--data DIR`` builds the databases there and keeps them (or reuses them): a 10M-row load
takes minutes, so it can be prepared beforehand with ``--prepare-only``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time

from bench.common import (
    OUT_DIR,
    MemSampler,
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    mb,
    md_table,
    median,
    profile_report,
    reset_peak_rss,
    run_child,
    scratch_dir,
    verdict,
    write_results,
)

MODULE = "bench.admin_index"
INDEX = "t_qty"
QTY = 2  # position of qty in a row (make_row)
DELETE_BATCH = 100_000  # index keys per deleting transaction
RSS_LIMIT = 300 << 20
CHECK_SQL = "ADMIN CHECK TABLE t"
SHOW_SQL = "ADMIN SHOW INDEX INCONSISTENCIES t"
RECOVER_SQL = f"ADMIN RECOVER INDEX t {INDEX}"

# the measures (child modes), labelled as in the results table
CHECK = "check"
SHOW = "show"
RECOVER = "recover"
BARE = "bare"
PLAIN = "plain"
INTEGRITY = "integrity"
REINDEX = "reindex"
LABELS = {
    BARE: "bare LMDB read of t.kdb (rows + index entries)",
    PLAIN: "(info) plain Python loop: the read + CRC, decode, entry, sum",
    CHECK: f"KintsugiDB `{CHECK_SQL}`",
    SHOW: f"KintsugiDB `{SHOW_SQL}`",
    INTEGRITY: "SQLite `PRAGMA integrity_check`",
    RECOVER: f"KintsugiDB `{RECOVER_SQL}` (every entry missing)",
    REINDEX: f"SQLite `REINDEX {INDEX}`",
}
KDB_STATEMENTS = {CHECK: CHECK_SQL, SHOW: SHOW_SQL, RECOVER: RECOVER_SQL}


# --------------------------------------------------------------------------------------------
# children: python -m bench.admin_index --child MODE PATH ROWS --child-out FILE
# --------------------------------------------------------------------------------------------


def _vmhwm() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _measured(fn) -> dict:
    """Run fn() with a memory sampler; its time and this process's memory peaks while it ran
    (VmHWM is reset first: opening a database has a transient peak of its own, ~110 MB)."""
    if not reset_peak_rss():
        raise RuntimeError("cannot reset VmHWM (/proc/self/clear_refs)")
    with MemSampler() as mem:
        t0 = time.perf_counter()
        out = fn()
        secs = time.perf_counter() - t0
    return {"seconds": secs, "vmhwm": _vmhwm(), "rss_anon": mem.peak("RssAnon"),
            "rss_file": mem.peak("RssFile"), "result": out}


def child_load(path: str, rows: int) -> dict:
    """Create and load the KintsugiDB database (flushed, closed); where its files are."""
    from bench.sql_scan import kdb_create, kdb_load

    t0 = time.perf_counter()
    conn, tid = kdb_create(path, index=True)
    try:
        kdb_load(conn, rows, "fast")
        space = conn._engine.spaces[tid].path
        with conn._engine.snapshot() as snap:
            iid = conn._db.catalog.schema(snap).table("test", "t").index(INDEX).id
    finally:
        conn.close()
    return {"seconds": time.perf_counter() - t0, "table_id": tid, "index_id": iid,
            "tablespace": space}


def child_unindex(path: str, rows: int) -> dict:
    """Delete every entry of index t_qty (the rows stay) through core.txn, in transactions
    of DELETE_BATCH keys read from one snapshot; flush and close."""
    import core
    from core.sql.table import index_range
    from core.txn import begin

    t0 = time.perf_counter()
    conn = core.connect(path, autocommit=True)
    try:
        db = conn._db
        eng = db.engine
        with eng.snapshot() as snap:
            table = db.catalog.schema(snap).table("test", "t")
        ix = table.index(INDEX)
        lo, hi = index_range(table.id, ix.id)
        deleted = 0

        def delete(keys: list[bytes]) -> None:
            txn = begin(eng)
            for k in keys:
                txn.delete(table.id, k)
            txn.commit()

        with eng.snapshot() as snap:
            batch: list[bytes] = []
            for k, _v in snap.scan(table.id, lo, hi):
                batch.append(k)
                if len(batch) >= DELETE_BATCH:
                    delete(batch)
                    deleted += len(batch)
                    batch = []
            if batch:
                delete(batch)
                deleted += len(batch)
        eng.flush()
    finally:
        conn.close()
    if deleted != rows:
        raise AssertionError(f"deleted {deleted} index entries, expected {rows}")
    return {"seconds": time.perf_counter() - t0, "deleted": deleted}


def _expect(name: str, got, rows: int) -> None:
    """Each statement's answer on this data, or an AssertionError."""
    if name == CHECK:
        ok = got == []
    elif name == SHOW:
        ok = (len(got) == 1 and str(got[0][0]).lower() == INDEX
              and tuple(got[0][1:6]) == (rows, rows, 0, 0, 0))
    else:
        ok = len(got) == 1 and tuple(got[0][:2]) == (rows, rows)
    if not ok:
        raise AssertionError(f"{KDB_STATEMENTS[name]}: unexpected answer {got!r:.500}")


def _rows(cur) -> list[list]:
    """The statement's rows; [] for one that answers with no result set (CHECK TABLE)."""
    return [] if cur.description is None else [list(r) for r in cur.fetchall()]


def child_kdb(name: str, path: str, rows: int, *, verify: bool = False,
              profile: bool = False) -> dict:
    """One ADMIN statement on a fresh connection, timed; then (verify) CHECK TABLE, untimed."""
    import core
    from core.errors import Error

    sql = KDB_STATEMENTS[name]
    conn = core.connect(path, autocommit=True)
    try:
        cur = conn.cursor()

        def run():
            cur.execute(sql)
            return _rows(cur)

        prof = None
        try:
            if profile:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
            res = _measured(run)
        except Error as exc:
            if getattr(exc, "errno", None) == 1235:
                return {"unavailable": str(exc)}
            raise
        finally:
            if prof is not None:
                prof.disable()
        if prof is not None:
            print(f"\n=== cProfile: {sql} ({rows:,} rows) ===")
            print(profile_report([prof], limit=30))
            print(profile_report([prof], limit=20, sort="cumulative"))
        _expect(name, res["result"], rows)
        if verify:
            cur.execute(CHECK_SQL)
            after = _rows(cur)
            if after:
                raise AssertionError(f"CHECK TABLE after RECOVER answered {after!r:.500}")
            res["verified"] = True
    finally:
        conn.close()
    res["result"] = res["result"][:1]
    return res


def child_bare(space_path: str, rows: int) -> dict:
    """Every key and value of the tablespace's data database, one raw py-lmdb cursor."""
    import lmdb

    env = lmdb.open(space_path, subdir=False, readonly=True, lock=False, max_dbs=4,
                    readahead=False)
    try:
        data = env.open_db(b"data", create=False)

        def run() -> int:
            n = 0
            with env.begin(db=data) as txn:
                for _k, _v in txn.cursor().iternext():
                    n += 1
            return n

        res = _measured(run)
    finally:
        env.close()
    if res["result"] != 2 * rows:
        raise AssertionError(f"bare read saw {res['result']} entries, expected {2 * rows}")
    return res


def child_plain(space_path: str, rows: int, ids: str) -> dict:
    """A checksum pass written the obvious way, row by row, on the same raw cursor as the bare
    read: each row's CRC32C checked, the row decoded and the key of the entry it needs built (the
    handle's bytes taken from the row key); a count and a sum of CRC32Cs of those keys,
    against a count and a sum of CRC32Cs of the stored index keys."""
    import lmdb
    import msgpack
    from crc32c import crc32c

    from core.codec import CRC_RESIDUE, INT_FLAG, encode_values, index_prefix, row_prefix

    tid, iid = (int(x) for x in ids.split(","))
    rp, ip = row_prefix(tid), index_prefix(tid, iid)
    skip, flag = len(rp), bytes([INT_FLAG])
    unpackb = msgpack.unpackb
    env = lmdb.open(space_path, subdir=False, readonly=True, lock=False, max_dbs=4,
                    readahead=False)
    try:
        data = env.open_db(b"data", create=False)

        def run() -> tuple[int, int, int, int]:
            nr = ni = sr = si = 0
            with env.begin(db=data) as txn:
                for k, v in txn.cursor().iternext():
                    if k.startswith(rp):
                        if crc32c(v) != CRC_RESIDUE:
                            raise AssertionError(f"row {k.hex()} fails its CRC32C")
                        sr += crc32c(ip + encode_values((unpackb(v)[QTY],)) + flag + k[skip:])
                        nr += 1
                    elif k.startswith(ip):
                        si += crc32c(k)
                        ni += 1
            return nr, ni, sr, si

        res = _measured(run)
    finally:
        env.close()
    nr, ni, sr, si = res["result"]
    if not (nr == ni == rows and sr == si):
        raise AssertionError(f"plain loop: {nr} rows, {ni} entries, sums {sr} / {si}")
    res["result"] = None
    return res


def child_sqlite(name: str, path: str, rows: int) -> dict:
    """PRAGMA integrity_check (must answer ok) or REINDEX, autocommit: REINDEX commits in the
    database's WAL mode with SQLite's default synchronous=FULL, as each RECOVER batch does."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if name == INTEGRITY:
            res = _measured(lambda: conn.execute("PRAGMA integrity_check").fetchall())
            if res["result"] != [("ok",)]:
                raise AssertionError(f"integrity_check: {res['result']!r:.500}")
        else:
            res = _measured(lambda: conn.execute(f"REINDEX {INDEX}").fetchall())
        res["result"] = None
    finally:
        conn.close()
    return res


def child_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog=f"python -m {MODULE} --child")
    ap.add_argument("--child", required=True)
    ap.add_argument("path")
    ap.add_argument("rows", type=int)
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--ids", help="table id,index id (the plain loop)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--child-out", required=True)
    a = ap.parse_args(argv)
    mode = a.child
    if mode == "load":
        res = child_load(a.path, a.rows)
    elif mode == "unindex":
        res = child_unindex(a.path, a.rows)
    elif mode in KDB_STATEMENTS:
        res = child_kdb(mode, a.path, a.rows, verify=a.verify, profile=a.profile)
    elif mode == BARE:
        res = child_bare(a.path, a.rows)
    elif mode == PLAIN:
        res = child_plain(a.path, a.rows, a.ids)
    elif mode in (INTEGRITY, REINDEX):
        res = child_sqlite(mode, a.path, a.rows)
    else:
        raise SystemExit(f"unknown child mode {mode!r}")
    with open(a.child_out, "w") as f:
        json.dump(res, f)
    return 0


def child(mode: str, path: str, rows: int, *extra: str) -> dict:
    return run_child(MODULE, ["--child", mode, path, str(rows), *extra])


# --------------------------------------------------------------------------------------------
# the benchmark
# --------------------------------------------------------------------------------------------


def copy_db(src: str, dst: str) -> str:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*-lock", "LOCK"))
    return dst


def probe(names: list[str]) -> None:
    """Fail fast, on a 3-row table, if the engine does not have the statements yet."""
    import tempfile

    import core
    from core.errors import Error

    with tempfile.TemporaryDirectory(dir=OUT_DIR) as d:
        conn = core.connect(os.path.join(d, "probe"), create=True, autocommit=True)
        try:
            conn.execute(f"CREATE TABLE t (id BIGINT PRIMARY KEY, qty INT, KEY {INDEX} (qty))")
            conn.execute("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)")
            for name in names:
                try:
                    _rows(conn.execute(KDB_STATEMENTS[name]))
                except Error as exc:
                    if getattr(exc, "errno", None) != 1235:
                        raise
                    raise SystemExit(f"{KDB_STATEMENTS[name]}: {exc} -- run with "
                                     "--harness-only until the engine has it") from None
        finally:
            conn.close()


def prepare(data: str, rows: int, *, empty_index: bool) -> dict:
    """The databases the runs read, built in `data` (or reused from an earlier --data run of
    the same size: `dataset.json` says what is there): KintsugiDB (`kdb`), SQLite
    (`bench.sqlite`) and, with `empty_index`, a copy of kdb whose index has no entries
    (`kdb-noindex`)."""
    from bench.sql_scan import sqlite_load

    os.makedirs(data, exist_ok=True)
    meta_path = os.path.join(data, "dataset.json")
    ds: dict = {}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            ds = json.load(f)
        if ds.get("rows") != rows:
            raise SystemExit(f"{data} holds a dataset of {ds.get('rows')} rows, not {rows}")
        print(f"  reusing the dataset in {data}", flush=True)
    ds["rows"] = rows
    prep = ds.setdefault("prep", {})
    kdb = os.path.join(data, "kdb")
    if "table_id" not in ds:
        shutil.rmtree(kdb, ignore_errors=True)
        loaded = child("load", kdb, rows)
        ds.update(table_id=loaded["table_id"], index_id=loaded["index_id"],
                  space=os.path.relpath(loaded["tablespace"], data))
        prep["KintsugiDB load (row writer, 100k-row transactions, flushed)"] = (
            loaded["seconds"])
        print(f"  loaded KintsugiDB in {fmt_s(loaded['seconds'])}", flush=True)
        _save(meta_path, ds)
    lite = os.path.join(data, "bench.sqlite")
    if "sqlite" not in ds:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lite + suffix)
        t0 = time.perf_counter()
        sqlite_load(lite, rows, index=True).close()
        secs = time.perf_counter() - t0
        prep["SQLite load (executemany, one transaction, index pre-created)"] = secs
        ds["sqlite"] = True
        print(f"  loaded SQLite in {fmt_s(secs)}", flush=True)
        _save(meta_path, ds)
    empty = os.path.join(data, "kdb-noindex")
    if empty_index and "empty" not in ds:
        shutil.rmtree(empty, ignore_errors=True)
        t0 = time.perf_counter()
        copy_db(kdb, empty)
        res = child("unindex", empty, rows)
        prep["copy + delete every t_qty entry through core.txn"] = time.perf_counter() - t0
        ds["empty"] = True
        print(f"  removed {res['deleted']:,} index entries in {fmt_s(res['seconds'])}",
              flush=True)
        _save(meta_path, ds)
    return dict(ds, kdb=kdb, sqlite=lite, empty=empty, space=os.path.join(data, ds["space"]))


def _save(path: str, ds: dict) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(ds, f, indent=1)
    os.replace(path + ".tmp", path)


def _warm(paths: list[str]) -> int:
    """Read every file under `paths` once, so that every measure starts on a warm page cache
    (a dataset reused with --data may have left it); the bytes read."""
    total = 0
    for top in paths:
        files = [top] if os.path.isfile(top) else [
            os.path.join(d, f) for d, _dirs, fs in os.walk(top) for f in fs]
        for name in files:
            with contextlib.suppress(OSError), open(name, "rb") as f:
                while chunk := f.read(8 << 20):
                    total += len(chunk)
    return total


def section_name(rows: int) -> str:
    return "admin_index" if rows == 1_000_000 else f"admin_index_{_short(rows)}"


def _short(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


def main(argv: list[str] | None = None) -> dict:
    if argv is None:
        argv = sys.argv[1:]
    if "--child" in argv:
        child_main(argv)
        return {}
    ap = argparse.ArgumentParser(
        prog=f"python -m {MODULE}",
        description="ADMIN CHECK TABLE / SHOW INDEX INCONSISTENCIES / RECOVER INDEX on N rows "
        "with one secondary index, vs SQLite's integrity_check / REINDEX and a bare LMDB read; "
        "each statement in its own process (time, peak RSS).",
    )
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (1000000)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs; medians (3)")
    ap.add_argument("--profile", action="store_true",
                    help="after the timed runs, run each ADMIN statement once more under "
                    "cProfile and print where its time goes")
    ap.add_argument("--harness-only", action="store_true",
                    help="measure only the SQLite side and the bare read (the ADMIN "
                    "statements are skipped; nothing is written to RESULTS.md)")
    ap.add_argument("--note", default="",
                    help="a line for RESULTS.md (e.g. what else ran on the machine)")
    ap.add_argument("--data", help="build the databases in this directory and keep them, or "
                    "reuse the ones an earlier run of the same --rows left there")
    ap.add_argument("--prepare-only", action="store_true",
                    help="only build the databases (with --data: for a later run)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--json", help="also write a JSON summary to this path")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    info = machine_info()
    print(f"machine: {machine_line(info)}", flush=True)
    n = args.rows
    kdb_names = [] if args.harness_only else [CHECK, SHOW, RECOVER]
    order = [BARE, PLAIN, *[x for x in (CHECK, SHOW) if x in kdb_names], INTEGRITY,
             *[x for x in (RECOVER,) if x in kdb_names], REINDEX]
    runs: dict[str, list[dict]] = {name: [] for name in order}
    if kdb_names and not args.prepare_only:
        probe(kdb_names)
    load_before = _loadavg()
    with scratch_dir("admin_index", keep=args.keep) as root:
        ds = prepare(args.data or root, n, empty_index=RECOVER in kdb_names)
        if args.prepare_only:
            print(f"  dataset ready in {args.data or root}")
            return {}
        prep = ds["prep"]
        kdb, lite, empty, space = ds["kdb"], ds["sqlite"], ds["empty"], ds["space"]
        space_size = os.path.getsize(space)
        t0 = time.perf_counter()
        warmed = _warm([kdb, lite, *([empty] if RECOVER in kdb_names else [])])
        print(f"  read {mb(warmed)} of database files into the page cache in "
              f"{fmt_s(time.perf_counter() - t0)}", flush=True)
        for r in range(args.repeat):
            for name in order:
                if name == BARE:
                    res = child(BARE, space, n)
                elif name == PLAIN:
                    res = child(PLAIN, space, n, "--ids", f"{ds['table_id']},{ds['index_id']}")
                elif name in (CHECK, SHOW):
                    res = child(name, kdb, n)
                elif name == RECOVER:
                    work = copy_db(empty, os.path.join(root, f"recover{r}"))
                    res = child(RECOVER, work, n, *(["--verify"] if r == 0 else []))
                    if "unavailable" in res:
                        raise SystemExit(f"{RECOVER_SQL}: {res['unavailable']}")
                    shutil.rmtree(work)
                else:
                    res = child(name, lite, n)
                runs[name].append(res)
                print(f"  run {r + 1}: {LABELS[name]:60s} {fmt_s(res['seconds']):>8s}  "
                      f"VmHWM {mb(res['vmhwm'])}, RssAnon {mb(res['rss_anon'])}", flush=True)
        load_after = _loadavg()
        if args.profile:
            for name in kdb_names:
                if name == RECOVER:
                    work = copy_db(empty, os.path.join(root, "recover-profile"))
                    child(RECOVER, work, n, "--profile")
                else:
                    child(name, kdb, n, "--profile")

    med = {name: median([x["seconds"] for x in rs]) for name, rs in runs.items()}
    peak = {name: (max(x["vmhwm"] for x in rs), max(x["rss_anon"] for x in rs))
            for name, rs in runs.items()}
    base = med[BARE]
    rows_table = [[LABELS[name], fmt_s(med[name]), f"{n / med[name]:,.0f}",
                   f"{med[name] / base:.2f}x", mb(peak[name][0]), mb(peak[name][1])]
                  for name in order]
    table = md_table(["measure", f"median of {args.repeat}", "rows/s", "vs bare read",
                      "peak RSS (VmHWM)", "peak RssAnon"], rows_table)
    targets: list[dict] = []
    lines: list[str] = []

    def target(name: str, what: str, ratio: float, limit: float, tgt: str,
               extra: str = "") -> None:
        met = ratio <= limit
        targets.append({"name": name, "target": tgt, "ratio": ratio, "met": met})
        lines.append(f"- {what} = **{ratio:.2f}x** (target {tgt}): **{verdict(met)}**{extra}")

    if kdb_names:
        c, s, rc = med[CHECK], med[SHOW], med[RECOVER]
        target(f"ADMIN CHECK TABLE at {n:,} rows vs SQLite integrity_check",
               "CHECK TABLE / SQLite `PRAGMA integrity_check`", c / med[INTEGRITY], 1.0,
               "<= 1.0x, moonshot")
        target(f"ADMIN CHECK TABLE at {n:,} rows vs bare read",
               "CHECK TABLE / bare LMDB read of the table and its index", c / base, 1.5,
               "<= 1.5x")
        target(f"ADMIN RECOVER INDEX of {n:,} entries vs SQLite REINDEX",
               "RECOVER INDEX (every entry missing) / SQLite `REINDEX`", rc / med[REINDEX],
               1.5, "<= 1.5x")
        target(f"ADMIN SHOW INDEX INCONSISTENCIES at {n:,} rows vs CHECK TABLE",
               "SHOW INDEX INCONSISTENCIES / CHECK TABLE", s / c, 1.2, "<= 1.2x")
        lines.append(f"- for information: CHECK TABLE / the plain Python loop = "
                     f"{c / med[PLAIN]:.2f}x; the plain loop / bare read = "
                     f"{med[PLAIN] / base:.2f}x; SQLite `integrity_check` / bare read = "
                     f"{med[INTEGRITY] / base:.2f}x")
        for name in kdb_names:
            hwm, anon = peak[name]
            short = KDB_STATEMENTS[name].split(" t")[0]
            target(f"{short} peak RssAnon at {n:,} rows < 300 MB",
                   f"{short}: peak RssAnon {mb(anon)} / 300 MB", anon / RSS_LIMIT, 1.0,
                   "< 300 MB" + ("" if n >= 10_000_000 else ", set at 10M rows"),
                   f"; peak VmHWM {mb(hwm)} ({verdict(hwm < RSS_LIMIT)} if counted on "
                   "VmHWM, which includes the LMDB file pages it mapped)")
    lines.append("- preparation (not timed): " + "; ".join(
        f"{k} {fmt_s(v)}" for k, v in prep.items()))
    lines.append(f"- load average (1/5/15 min) before the runs {load_before}, after "
                 f"{load_after}" + (f"; {args.note}" if args.note else ""))
    text = (
        f"### Index consistency at scale (`python -m {MODULE} --rows {n}`)\n\n"
        f"{n:,} rows (~100-byte values) of `t (id BIGINT PRIMARY KEY, name, qty INT, price "
        f"DOUBLE, note, KEY {INDEX} (qty))` ({mb(space_size)} tablespace), the same rows in "
        f"SQLite with an index on qty.  Each measure in a fresh child process on a warm page "
        f"cache (every database file is read once before the runs); median of {args.repeat} "
        f"interleaved runs; peaks are the maxima over the runs.  "
        f"The bare read is one raw py-lmdb cursor over the closed tablespace file's whole "
        f"`data` database ({2 * n:,} keys and values: rows and index entries).  The plain loop "
        f"(for information) reads the same cursor and does a checksum pass row by row in "
        f"plain Python: each row's CRC32C checked, the row decoded (msgpack), the key of the entry "
        f"it needs built, and a count and a sum of CRC32Cs of those keys compared with the "
        f"stored index keys'.  RECOVER runs on a fresh copy whose `{INDEX}` has no entries at "
        f"all (its first run followed by an ADMIN CHECK TABLE that passed).  Peak RSS is "
        f"VmHWM reset just before the statement; it counts the pages of the tablespace file a "
        f"process mapped through LMDB (reclaimable page cache); RssAnon is its private "
        f"memory.\n\n{table}\n\n" + "\n".join(lines) + "\n"
    )
    print()
    print(text)
    if not args.no_write and not args.harness_only:
        write_results(section_name(n), text, info)
    summary = {"benchmark": MODULE.split(".")[1], "targets": targets, "medians": med,
               "peaks": peak, "prep": prep}
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
