"""Damaged files: every kind of file of a database, damaged every way we can think of, opened
through the API and through the command line.  Nothing may kill the process, print a
traceback or return wrong data.

Two small databases are built once (two tables, rows, a unique and two secondary indexes):
``clean`` is committed and closed cleanly; ``killed`` is committed with no flusher (the rows
live only in the redo log) and then a writer with an open transaction is killed with SIGKILL,
so the open must replay the log.  For each file kind (the redo segments ``#redo/redo.*``, each
table's ``.kdb``, ``system.kdb``, the ``control`` file) and each damage (truncated to half /
to 0 bytes, zeroed whole / first 4 KiB, bytes flipped in the header pages / in the body,
deleted, swapped with the other table's ``.kdb``) a copy of the database is damaged and then,
each on its own copy and each in its own process (damage can SIGBUS):

* ``api``: ``core.connect(dir)`` and a read of every row (through the primary key and through
  a secondary index); if that fails, ``core.connect(dir, force_recovery=1)`` and the same read;
* ``sql``: ``kintsugi sql DIR -B -e "SELECT ..."``;
* ``info``: ``kintsugi info DIR``;
* ``recover``: ``kintsugi recover DIR --force-recovery 1``.

The outcome must be one of: success with exactly the committed rows; a ``core.errors.Error``
with an int MySQL errno (the CLI: exactly one stderr line ``ERROR nnnn (SQLSTATE): ...`` and
exit code 1); or, only for a forced open (``force_recovery=1``, ``recover --force-recovery
1``), success with a subset of the committed rows (what could be salvaged) but never a row
that was not committed.  Never a signal, a hang, a traceback or a raw Python exception.
"""

from __future__ import annotations

import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KINTSUGI = os.path.join(os.path.dirname(sys.executable), "kintsugi")
TIMEOUT = 30
SEGMENT = 1 << 20  # small redo segments: copies stay cheap
# (`kintsugi sql` names the script's line, as mysql in batch mode: "ERROR nnnn (S) at line N:")
ERROR_LINE = re.compile(r"^ERROR \d{4} \([0-9A-Z]{5}\)( at line \d+)?: \S.*$")
# what the CLI prints on stderr besides errors: the open's own log lines (a recovery, what a
# forced open could not apply), in kintsugi.err's shape
LOG_LINE = re.compile(r"^\[(Note|Warning)\] \[KintsugiDB\] ")


def error_lines(stderr: str) -> list[str]:
    """The non-empty lines of a command's stderr that are not its [Note]/[Warning] lines."""
    return [ln for ln in stderr.splitlines() if ln.strip() and not LOG_LINE.match(ln)]

SCHEMA = [
    "CREATE TABLE t1 (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, amount DECIMAL(10,2), "
    "KEY ix_name (name))",
    "CREATE TABLE t2 (id INT PRIMARY KEY, t1_id INT, cat VARCHAR(10), note VARCHAR(200), "
    "UNIQUE KEY ux_note (note), KEY ix_cat (cat))",
]
QUERIES = {  # name -> SQL; every row, and reads through the secondary indexes
    "t1": "SELECT id, name, amount FROM t1 ORDER BY id",
    "t2": "SELECT id, t1_id, cat, note FROM t2 ORDER BY id",
    "t1_by_name": "SELECT id, name FROM t1 WHERE name >= 'name-050' AND name < 'name-100' "
                  "ORDER BY name, id",
    "t2_by_cat": "SELECT id, cat FROM t2 WHERE cat = 'c3' ORDER BY id",
}

BUILD = textwrap.dedent("""
    import sys, time, core
    path, mode, segment = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opts = dict(segment_size=segment)
    if mode == "killed":
        opts["flush_interval"] = 0  # no flusher: the committed rows live only in the redo log
    conn = core.connect(path, create=True, **opts)
    cur = conn.cursor()
    for s in %(schema)r:
        cur.execute(s)
    conn.commit()
    for lo in range(0, 240, 60):
        cur.execute("INSERT INTO t1 VALUES " + ", ".join(
            f"({i}, 'name-{i * 7 %% 240:03d}', {i * 13 %% 1000}.{i %% 100:02d})"
            for i in range(lo, lo + 60)))
        cur.execute("INSERT INTO t2 VALUES " + ", ".join(
            f"({i}, {i %% 240}, 'c{i %% 7}', CONCAT('note {i:04d} ', REPEAT('x', {100 + i %% 90})))"
            for i in range(lo, lo + 60)))
        conn.commit()
    if mode == "clean":
        conn.close()
        print("DONE", flush=True)
    else:
        cur.execute("INSERT INTO t1 VALUES (9999, 'uncommitted', 1)")
        cur.execute("UPDATE t2 SET cat = 'zz' WHERE id < 100")
        cur.execute("DELETE FROM t1 WHERE id < 50")
        print("OPEN", flush=True)
        time.sleep(600)
""") % {"schema": SCHEMA}

API_CHECK = textwrap.dedent("""
    import json, sys
    import core
    from core.errors import Error
    path, force = sys.argv[1], int(sys.argv[2])
    queries = json.loads(sys.argv[3])
    out = {}
    try:
        conn = core.connect(path, force_recovery=force) if force else core.connect(path)
        try:
            cur = conn.cursor()
            rows = {}
            for name, sql in queries.items():
                cur.execute(sql)
                rows[name] = [[str(v) for v in r] for r in cur.fetchall()]
            out["rows"] = rows
        finally:
            conn.close()
    except Error as err:
        out["error"] = {"errno": err.errno, "sqlstate": err.sqlstate, "msg": str(err),
                        "int": isinstance(err.errno, int)}
    print("RESULT " + json.dumps(out), flush=True)
""")


def _run(args: list[str], cwd: str = ROOT) -> subprocess.CompletedProcess | str:
    try:
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                              env=dict(os.environ, PYTHONFAULTHANDLER="1"))
    except subprocess.TimeoutExpired:
        return f"hangs (no exit within {TIMEOUT} s)"


def _build(path: str, mode: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", BUILD, path, mode, str(SEGMENT)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if mode == "killed":
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert line in ("DONE", "OPEN"), f"building the {mode} database failed:\n{err}"


def _expected(path: str) -> dict:
    """The committed rows, read from an undamaged copy (and checked for size)."""
    work = path + "-expected"
    shutil.copytree(path, work)
    res = _run([sys.executable, "-c", API_CHECK, work, "0", json.dumps(QUERIES)])
    shutil.rmtree(work)
    assert not isinstance(res, str) and res.returncode == 0, res
    out = json.loads(res.stdout.split("RESULT ", 1)[1])
    rows = out["rows"]
    assert len(rows["t1"]) == 240 and len(rows["t2"]) == 240, out
    assert len(rows["t2_by_cat"]) > 20 and len(rows["t1_by_name"]) > 20
    return rows


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    base = tmp_path_factory.mktemp("damaged")
    out = {}
    for mode in ("clean", "killed"):
        path = str(base / mode)
        _build(path, mode)
        out[mode] = (path, _expected(path))
    return out


# -- the damages ------------------------------------------------------------------------------


def _last_data(data: bytes) -> int:
    stripped = data.rstrip(b"\0")
    return max(len(stripped), 1)


def _flip(path: str, lo: int, hi: int, seed: str) -> None:
    rng = random.Random(seed)
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        hi = min(hi, len(data))
        if hi <= lo:
            lo, hi = 0, len(data)
        for _ in range(24):
            i = rng.randrange(lo, hi)
            data[i] ^= rng.choice([0xFF, 0x01, 0x80, 0x5A])
        f.seek(0)
        f.write(data)


def damage(path: str, how: str, other: str | None, seed: str) -> None:
    size = os.path.getsize(path)
    if how == "truncated-half":
        os.truncate(path, size // 2)
    elif how == "truncated-0":
        os.truncate(path, 0)
    elif how == "zeroed":
        with open(path, "r+b") as f:
            f.write(b"\0" * size)
    elif how == "zeroed-4k":
        with open(path, "r+b") as f:
            f.write(b"\0" * min(4096, size))
    elif how == "flipped-header":
        _flip(path, 0, 8192, seed)
    elif how == "flipped-body":
        with open(path, "rb") as f:
            end = _last_data(f.read())
        _flip(path, min(8192, end // 2), end, seed)
    elif how == "deleted":
        os.remove(path)
    elif how == "swapped":
        tmp = path + ".swap"
        os.rename(path, tmp)
        os.rename(other, path)
        os.rename(tmp, other)
    else:
        raise AssertionError(how)


KINDS = {  # kind -> (glob of the files it damages, the file it swaps with)
    "redo": ("#redo/redo.*", None),
    "t1.kdb": ("test/t1.kdb", "test/t2.kdb"),
    "t2.kdb": ("test/t2.kdb", "test/t1.kdb"),
    "system.kdb": ("system.kdb", None),
    "control": ("control", None),
}
DAMAGES = ["truncated-half", "truncated-0", "zeroed", "zeroed-4k", "flipped-header",
           "flipped-body", "deleted", "swapped"]
CASES = [(mode, kind, how) for mode in ("clean", "killed") for kind in KINDS for how in DAMAGES
         if how != "swapped" or KINDS[kind][1] is not None]


def _damaged_copy(src: str, dst: str, kind: str, how: str) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*-lock", "LOCK"))
    pattern, other = KINDS[kind]
    files = sorted(glob.glob(os.path.join(dst, pattern)))
    assert files, f"no {pattern} in {os.listdir(dst)}"
    for p in files:
        damage(p, how, os.path.join(dst, other) if other else None, f"{kind}-{how}-{p[-6:]}")


# -- judging outcomes ---------------------------------------------------------------------------


def _process_problems(res, what: str) -> list[str]:
    if isinstance(res, str):
        return [f"{what}: {res}"]
    out = []
    if res.returncode < 0:
        out.append(f"{what}: killed by {signal.Signals(-res.returncode).name}"
                   + _tail(res.stderr))
    if "Traceback" in res.stderr or "Traceback" in res.stdout:
        last = [ln for ln in res.stderr.strip().splitlines() if ln.strip()][-1:]
        out.append(f"{what}: prints a traceback ({last[0] if last else '?'})")
    return out


def _tail(text: str, n: int = 3) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (" [" + " | ".join(lines[-n:]) + "]") if lines else ""


def _judge_rows(got: dict, expected: dict, forced: bool, what: str) -> list[str]:
    problems = []
    for name, want in expected.items():
        rows = got.get(name)
        if rows is None:
            problems.append(f"{what}: no result for {name}")
            continue
        if forced:
            extra = [r for r in rows if r not in want]
            if extra:
                problems.append(f"{what}: {len(extra)} row(s) of {name} that were never "
                                f"committed, e.g. {extra[0]}")
        elif rows != want:
            problems.append(f"{what}: wrong data in {name}: {len(rows)} rows, expected "
                            f"{len(want)}; first difference "
                            f"{next((a, b) for a, b in zip(rows + [None] * len(want), want + [None] * len(rows), strict=False) if a != b)}")  # noqa: E501
    return problems


def _judge_api(res, expected: dict, forced: bool) -> list[str]:
    what = f"api{' force_recovery=1' if forced else ''}"
    problems = _process_problems(res, what)
    if problems:
        return problems
    if "RESULT " not in res.stdout:
        return [f"{what}: exit {res.returncode} without a result{_tail(res.stderr)}"]
    out = json.loads(res.stdout.split("RESULT ", 1)[1])
    if "error" in out:
        e = out["error"]
        if not e["int"] or not ERROR_LINE.match(e["msg"]):
            return [f"{what}: an error without a MySQL code: {e}"]
        return []
    return _judge_rows(out["rows"], expected, forced, what)


def _judge_cli(res, what: str, expected_out: str | None, forced: bool = False) -> list[str]:
    problems = _process_problems(res, what)
    if problems:
        return problems
    if res.returncode == 0:
        if expected_out is not None and res.stdout != expected_out:
            got, want = res.stdout.splitlines(), expected_out.splitlines()
            if forced and set(got) <= set(want):
                return []
            diff = next(((a, b) for a, b in zip(got + [""] * len(want), want + [""] * len(got),
                                                strict=False) if a != b), None)
            return [f"{what}: exit 0 with wrong output ({len(got)} lines, expected "
                    f"{len(want)}; first difference {diff})"]
        return []
    lines = error_lines(res.stderr)
    if len(lines) != 1 or not ERROR_LINE.match(lines[0]):
        return [f"{what}: exit {res.returncode} without one 'ERROR nnnn (SQLSTATE): ...' "
                f"line on stderr: {_tail(res.stderr, 4) or '(nothing)'}"]
    if res.returncode != 1:
        return [f"{what}: exit code {res.returncode}, expected 1 ({lines[0]})"]
    if expected_out is not None and not expected_out.startswith(res.stdout):
        return [f"{what}: printed wrong rows before failing ({lines[0]})"]
    return []


def _batch_output(expected: dict) -> str:
    """What `kintsugi sql -B` prints for QUERIES on the undamaged database."""
    heads = {"t1": "id\tname\tamount", "t2": "id\tt1_id\tcat\tnote",
             "t1_by_name": "id\tname", "t2_by_cat": "id\tcat"}
    out = []
    for name in QUERIES:
        out.append(heads[name])
        out += ["\t".join(r) for r in expected[name]]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(("mode", "kind", "how"), CASES,
                         ids=[f"{m}-{k}-{h}" for m, k, h in CASES])
def test_damaged_file(databases, tmp_path, mode, kind, how):
    src, expected = databases[mode]
    dirs = {}
    for tool in ("api", "api-forced", "sql", "info", "recover"):
        dirs[tool] = str(tmp_path / tool)
        _damaged_copy(src, dirs[tool], kind, how)
    sql_text = "; ".join(QUERIES.values())
    runs = {
        "api": [sys.executable, "-c", API_CHECK, dirs["api"], "0", json.dumps(QUERIES)],
        "api-forced": [sys.executable, "-c", API_CHECK, dirs["api-forced"], "1",
                       json.dumps(QUERIES)],
        "sql": [KINTSUGI, "sql", dirs["sql"], "-B", "-e", sql_text],
        "info": [KINTSUGI, "info", dirs["info"]],
        "recover": [KINTSUGI, "recover", dirs["recover"], "--force-recovery", "1"],
    }
    forced = runs.pop("api-forced")
    with ThreadPoolExecutor(len(runs)) as pool:
        results = dict(zip(runs, pool.map(_run, runs.values()), strict=True))
    problems = []
    problems += _judge_api(results["api"], expected, forced=False)
    if problems or '"error"' in getattr(results["api"], "stdout", ""):
        # what a user does next: open it with force_recovery (and a healthy open needs not)
        problems += _judge_api(_run(forced), expected, forced=True)
    problems += _judge_cli(results["sql"], "kintsugi sql", _batch_output(expected))
    problems += _judge_cli(results["info"], "kintsugi info", None)
    problems += _judge_cli(results["recover"], "kintsugi recover --force-recovery 1", None,
                           forced=True)
    if problems:
        pytest.fail(f"{mode} database, {kind} {how}:\n  " + "\n  ".join(problems),
                    pytrace=False)


def test_the_matrix_can_fail(databases, tmp_path):
    """The judges catch what they must: wrong rows, a traceback, a signal, a bare message."""
    _, expected = databases["clean"]
    wrong = {k: v[:-1] for k, v in expected.items()}
    assert _judge_rows(wrong, expected, False, "x")
    assert not _judge_rows(wrong, expected, True, "x")  # a forced open may salvage a subset
    assert _judge_rows({k: v + [["9999", "?"]] for k, v in expected.items()}, expected, True,
                       "x")
    cp = subprocess.CompletedProcess
    assert _judge_cli(cp([], -7, "", ""), "x", None)
    assert _judge_cli(cp([], 1, "", "Traceback (most recent call last):\n ...\nKeyError: 1\n"),
                      "x", None)
    assert _judge_cli(cp([], 1, "", "kintsugi: ERROR 1877 (HY000): damaged\n"), "x", None)
    assert _judge_cli(cp([], 1, "", "ERROR 1877 (HY000): a\nERROR 1105 (HY000): b\n"), "x",
                      None)
    assert not _judge_cli(cp([], 1, "", "ERROR 1877 (HY000): damaged\n"), "x", None)
    assert _judge_cli(cp([], 0, "id\n1\n", ""), "x", "id\n2\n")
    assert _judge_cli(_run([sys.executable, "-c", "import os; os.abort()"]), "x", None)
