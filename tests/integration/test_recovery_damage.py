"""Targeted damage, through the command line: each is detected and reported as one
``ERROR nnnn`` line that says *where* (file and LSN, offset or key), never a traceback or a
signal, and never wrong rows.

`test_damaged_files.py` sprays bytes over whole files and only asks for a clean outcome; this
module aims at the places the recovery issue names and checks the message too:

* the redo log, in the middle of its committed part (valid records follow the damage): a
  flipped body byte and a flipped frame header; refused naming the segment and the LSN;
  ``--force-recovery 1`` opens with a subset and a ``[Warning]`` naming the skipped LSN;
  ``kintsugi info`` changes nothing;
* a tablespace (``.kdb``): bytes flipped inside one row on a data page, and that whole data
  page zeroed; the read fails naming the table or file and the key or offset, and
  ``CHECK TABLE`` does not say OK;
* the control file: one slot (either) damaged opens with exactly the committed rows; both
  damaged is refused naming the file;
* a deleted tablespace: refused naming the table and the path; ``--force-recovery 1`` opens,
  the other table reads correctly and the missing one fails with ERROR 1812;
* a full disk: a 4 MiB tmpfs mounted in a private mount namespace (``unshare --user
  --map-root-user --mount``, no root needed where user namespaces are allowed; skipped
  otherwise): the write that does not fit fails with ERROR 1021 naming the file, what was
  acknowledged stays readable, and after space is freed everything acknowledged is there.

The two databases (committed and closed; committed with no flusher, then killed) are the
ones `test_damaged_files` builds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.log.control import SLOT_SIZE
from core.log.record import HEADER
from core.log.segment import SEGMENT_HEADER_SIZE
from tests.integration import test_damaged_files as damaged
from tests.integration.test_damaged_files import (
    ERROR_LINE,
    KINTSUGI,
    QUERIES,
    ROOT,
    _batch_output,
    _judge_cli,
    _run,
    error_lines,
)

SQL_TEXT = "; ".join(QUERIES.values())
FRAME = HEADER  # a redo frame's header: length, crc32c, lsn, synced
CONTROL_SLOT = SLOT_SIZE  # the control file's two slots
PAGE = 4096


databases = damaged.databases  # the same two databases, built once for this module too


# -- helpers ---------------------------------------------------------------------------------


def _copy(src: str, dst: str) -> str:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*-lock", "LOCK"))
    return dst


def _flip(path: str, offset: int, n: int = 3) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        data = bytearray(f.read(n))
        f.seek(offset)
        f.write(bytes(b ^ 0xA5 for b in data))


def _frames(segment: str) -> list[tuple[int, int, int]]:
    """(file offset, body length, lsn) of every valid-looking frame of a redo segment."""
    with open(segment, "rb") as f:
        data = f.read()
    pos, out = SEGMENT_HEADER_SIZE, []
    while pos + FRAME.size <= len(data):
        length, _crc, lsn, _synced = FRAME.unpack_from(data, pos)
        if length == 0:
            break
        out.append((pos, length, lsn))
        pos += FRAME.size + length
    return out


def _error_line(res) -> str:
    """The one ERROR line of a failed command (asserting there is exactly one, no traceback,
    no signal)."""
    assert not isinstance(res, str), res
    assert res.returncode == 1, (f"exit {res.returncode}, expected 1 (an error)\n"
                                 f"stdout: {res.stdout[-1500:]}\nstderr: {res.stderr[-1500:]}")
    assert "Traceback" not in res.stderr + res.stdout, res.stderr[-2000:]
    lines = error_lines(res.stderr)
    assert len(lines) == 1 and ERROR_LINE.match(lines[0]), (
        f"stderr is not one 'ERROR nnnn (SQLSTATE): ...' line: {res.stderr[-2000:]}")
    return lines[0]


def _ok(res) -> str:
    assert not isinstance(res, str), res
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr[-2000:]}"
    assert "Traceback" not in res.stderr + res.stdout, res.stderr[-2000:]
    return res.stdout


def _no_wrong_rows(res, expected_out: str, what: str, forced: bool = False) -> None:
    problems = _judge_cli(res, what, expected_out, forced=forced)
    assert not problems, "\n".join(problems)


def _tree_digest(path: str) -> str:
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith("-lock") or name == "LOCK":
                continue
            p = os.path.join(root, name)
            h.update(os.path.relpath(p, path).encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def _cli(*args: str):
    return _run([KINTSUGI, *args])


# -- the redo log ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["body", "header"])
def test_log_damaged_in_its_committed_middle(databases, tmp_path, where):
    src, expected = databases["killed"]
    base = _copy(src, str(tmp_path / "base"))
    segment = sorted(os.listdir(os.path.join(base, "#redo")))[0]
    seg_path = os.path.join(base, "#redo", segment)
    frames = _frames(seg_path)
    assert len(frames) >= 5, f"too few records to damage the middle: {frames}"
    pos, length, lsn = frames[len(frames) // 2]
    _flip(seg_path, pos + FRAME.size + length // 2 if where == "body" else pos + 4)
    d = {k: _copy(base, str(tmp_path / k)) for k in ("sql", "recover", "forced", "fsql", "info")}

    with ThreadPoolExecutor(5) as pool:
        runs = list(pool.map(_run, [
            [KINTSUGI, "sql", d["sql"], "-B", "-e", SQL_TEXT],
            [KINTSUGI, "recover", d["recover"]],
            [KINTSUGI, "recover", d["forced"], "--force-recovery", "1"],
            [KINTSUGI, "sql", d["fsql"], "--force-recovery", "1", "-B", "-e", SQL_TEXT]]))
    for res in runs[:2]:
        line = _error_line(res)
        assert line.startswith("ERROR 1877 "), line
        assert segment in line, f"the message does not name the segment {segment}: {line}"
        assert str(lsn) in line or str(pos) in line, (
            f"the message does not give the LSN {lsn} (file offset {pos}): {line}")
        assert res.stdout == "" or "Traceback" not in res.stdout

    out = _ok(runs[2])
    warnings = [ln for ln in out.splitlines() if "[Warning]" in ln and str(lsn) in ln]
    assert warnings, f"no [Warning] line naming the skipped LSN {lsn}:\n{out[-3000:]}"
    _no_wrong_rows(runs[3], _batch_output(expected), "sql --force-recovery 1", forced=True)

    before = _tree_digest(d["info"])
    _ok(_cli("info", d["info"]))
    assert _tree_digest(d["info"]) == before, "kintsugi info changed the damaged database"


# -- a tablespace ------------------------------------------------------------------------------


def _row_copies(kdb: str) -> list[int]:
    """File offsets of the value of one row in the middle of the table, in every copy of it
    the file holds (LMDB's copy-on-write leaves older copies in free pages; damaging all of
    them makes sure the live one is hit).  A row key is ``t`` + 8-byte table id + ``_r`` +
    8-byte handle (19 bytes); the value follows it."""
    with open(kdb, "rb") as f:
        data = f.read()
    keys = sorted({data[m.start():m.start() + 19]
                   for m in re.finditer(rb"t.{8}_r\x80.{7}", data, re.S)})
    assert len(keys) > 20, f"{len(keys)} row keys found in {kdb}"
    key = keys[len(keys) // 2]
    return [m.start() + 19 for m in re.finditer(re.escape(key), data)]


def _mentions_place(line: str) -> bool:
    """Names the file or table, and a key, page or offset in it."""
    names = any(s in line for s in ("t1.kdb", "test.t1", "`test`.`t1`", "'test.t1'"))
    place = re.search(r"\b(key|page|offset|at)\b\s*[0-9a-fx]", line, re.I) is not None
    return names and place


@pytest.mark.parametrize("how", ["row-bytes", "zeroed-page"])
def test_tablespace_page_damage(databases, tmp_path, how):
    src, expected = databases["clean"]
    base = _copy(src, str(tmp_path / "base"))
    kdb = os.path.join(base, "test", "t1.kdb")
    for offset in _row_copies(kdb):
        if how == "row-bytes":
            _flip(kdb, offset + 3, 2)
        else:
            with open(kdb, "r+b") as f:
                f.seek(offset // PAGE * PAGE)
                f.write(b"\0" * PAGE)
    scan = "SELECT id, name, amount FROM t1 ORDER BY id"
    by_index = "SELECT id, name FROM t1 WHERE name >= '' ORDER BY name, id"
    for i, sql in enumerate((scan, by_index)):
        d = _copy(base, str(tmp_path / f"q{i}"))
        res = _cli("sql", d, "-B", "-e", sql)
        assert not isinstance(res, str), res
        assert res.returncode >= 0, (
            f"{sql}: killed by signal {-res.returncode}: {res.stderr[-1000:]}")
        if res.returncode == 0:  # only if every row it printed is right (the damage missed)
            pytest.fail(f"{sql} read the damaged table without an error:\n{res.stdout[:500]}")
        line = _error_line(res)
        assert _mentions_place(line), f"the error does not say where: {line}"
        want = _batch_output(expected)
        assert all(r in want.splitlines() for r in res.stdout.splitlines()[1:]), (
            "printed rows that were never committed before failing")
    d = _copy(base, str(tmp_path / "check"))
    res = _cli("sql", d, "-B", "-e", "CHECK TABLE t1 EXTENDED")
    assert not isinstance(res, str) and res.returncode >= 0, res
    assert "Traceback" not in res.stderr
    if res.returncode == 0:
        last = res.stdout.strip().splitlines()[-1].split("\t")
        assert last[2:4] == ["error", "Corrupt"], f"CHECK TABLE on a damaged table: {last}"
    else:
        _error_line(res)
    d = _copy(base, str(tmp_path / "t2"))  # the other table is untouched and reads right
    # (a zeroed tree page makes t1.kdb unreadable at open: a normal open refuses the whole
    # database naming the file, and a forced one goes on without it)
    forced = ["--force-recovery", "1"] if how == "zeroed-page" else []
    assert _ok(_cli("sql", d, *forced, "-B", "-e", QUERIES["t2"])).splitlines()[1:] == [
        "\t".join(r) for r in expected["t2"]]
    if forced:
        line = _error_line(_cli("sql", d, *forced, "-B", "-e", scan))
        assert line.startswith(
            "ERROR 1812 (HY000) at line 1: Tablespace is missing for table "), line


# -- the control file --------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "slot"), [("clean", 0), ("clean", 1), ("killed", 0),
                                            ("killed", 1)])
def test_control_file_one_slot_damaged(databases, tmp_path, mode, slot):
    """The other slot is a complete older checkpoint: the open uses it (or refuses cleanly,
    naming the control file) and never shows wrong rows."""
    src, expected = databases[mode]
    d = _copy(src, str(tmp_path / "db"))
    _flip(os.path.join(d, "control"), slot * CONTROL_SLOT + 40, 8)
    res = _cli("sql", d, "-B", "-e", SQL_TEXT)
    if res.returncode != 0:
        line = _error_line(res)
        assert "control" in line, line
    _no_wrong_rows(res, _batch_output(expected), f"sql, control slot {slot} damaged")


def test_control_file_both_slots_damaged(databases, tmp_path):
    src, _expected = databases["clean"]
    base = _copy(src, str(tmp_path / "base"))
    ctl = os.path.join(base, "control")
    _flip(ctl, 40, 8)
    _flip(ctl, CONTROL_SLOT + 40, 8)
    cmds = []
    for i, args in enumerate((["sql", "-B", "-e", SQL_TEXT], ["recover"],
                              ["recover", "--force-recovery", "1"], ["info"])):
        d = _copy(base, str(tmp_path / f"c{i}"))
        cmds.append((d, [KINTSUGI, args[0], d, *args[1:]]))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_run, [c for _d, c in cmds]))
    for (d, _c), res in zip(cmds, results, strict=True):
        line = _error_line(res)
        assert os.path.join(d, "control") in line or "control file" in line, line
        assert "slot" in line, f"the message does not say which part is damaged: {line}"


# -- a deleted tablespace ------------------------------------------------------------------------


def test_deleted_tablespace(databases, tmp_path):
    src, expected = databases["clean"]
    base = _copy(src, str(tmp_path / "base"))
    os.remove(os.path.join(base, "test", "t1.kdb"))
    d = _copy(base, str(tmp_path / "open"))
    line = _error_line(_cli("sql", d, "-B", "-e", QUERIES["t2"]))
    assert "`test`.`t1`" in line and os.path.join("test", "t1.kdb") in line, line

    d = _copy(base, str(tmp_path / "forced"))
    out = _ok(_cli("recover", d, "--force-recovery", "1"))
    assert any("[Warning]" in ln and "t1" in ln for ln in out.splitlines()), out[-2000:]
    d = _copy(base, str(tmp_path / "t2"))
    out = _ok(_cli("sql", d, "--force-recovery", "1", "-B", "-e", QUERIES["t2"]))
    assert out.splitlines()[1:] == ["\t".join(r) for r in expected["t2"]]
    d = _copy(base, str(tmp_path / "t1"))
    line = _error_line(_cli("sql", d, "--force-recovery", "1", "-B", "-e", QUERIES["t1"]))
    assert line == ("ERROR 1812 (HY000) at line 1: Tablespace is missing for table "
                    "`test`.`t1`."), line


# -- a full disk --------------------------------------------------------------------------------

FULL_DISK = textwrap.dedent("""
    import json, os, subprocess, sys
    mnt, kintsugi, flush_interval = sys.argv[1], sys.argv[2], float(sys.argv[3])
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], check=True)
    import core
    from core.errors import Error
    db = os.path.join(mnt, "db")
    out = {}
    conn = core.connect(db, create=True, autocommit=True, segment_size=256 * 1024,
                        flush_interval=flush_interval)
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(3000) NOT NULL)")
    with open(os.path.join(mnt, "filler"), "wb") as f:  # freed at the end
        f.write(b"f" * 1536 * 1024)
    acked = -1
    try:
        for i in range(100000):
            cur.execute("INSERT INTO t VALUES (%s, REPEAT('x', 2500))", (i,))
            acked = i
    except Error as err:
        out["api_error"] = [err.errno, str(err)]
    try:
        conn.close()
    except Error as err:
        out["close_error"] = [err.errno, str(err)]
    out["acked"] = acked
    def cli(*a):
        p = subprocess.run([kintsugi, *a], capture_output=True, text=True, timeout=60)
        return [p.returncode, p.stdout, p.stderr]
    out["insert"] = cli("sql", db, "-e", "INSERT INTO t VALUES (999999, REPEAT('y', 2500))")
    out["read_full"] = cli("sql", db, "-B", "-e", "SELECT COUNT(*), MIN(id), MAX(id) FROM t")
    os.remove(os.path.join(mnt, "filler"))
    # and more room: without a flusher the whole table is still only in the redo log, and
    # applying it at the next open needs more than the filler gave back
    subprocess.run(["mount", "-o", "remount,size=16m", mnt], check=True)
    out["read_freed"] = cli("sql", db, "-B", "-e",
                            "SELECT COUNT(*), MIN(id), MAX(id) FROM t WHERE id < 999999")
    print("RESULT " + json.dumps(out), flush=True)
""")


def _unshare() -> list[str] | None:
    cmd = ["unshare", "--user", "--map-root-user", "--mount"]
    try:
        ok = subprocess.run([*cmd, "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                            capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return None
    return cmd if ok else None


@pytest.mark.parametrize("filled_by", ["redo", "flusher"])
def test_full_disk(tmp_path, filled_by):
    """`redo`: no flusher, so the redo log write is what meets the full disk; `flusher`: the
    background flusher applies to the tablespace as it goes (usually the first to fail)."""
    cmd = _unshare()
    if cmd is None:
        pytest.skip("cannot mount a tmpfs in a private mount namespace here")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    interval = "0" if filled_by == "redo" else "0.01"
    res = subprocess.run([*cmd, sys.executable, "-c", FULL_DISK, str(mnt), KINTSUGI, interval],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert "RESULT " in res.stdout, f"exit {res.returncode}: {res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    out = json.loads(res.stdout.split("RESULT ", 1)[1])
    acked = out["acked"]
    assert acked > 50, out
    errno, msg = out["api_error"]
    assert errno == 1021 and "Disk full" in msg, out["api_error"]
    assert os.path.join(str(mnt), "db") in msg, f"the error does not name the file: {msg}"
    rc, _stdout, stderr = out["insert"]
    assert rc == 1, out["insert"]
    lines = error_lines(stderr)
    assert len(lines) == 1 and ERROR_LINE.match(lines[0]), stderr
    assert lines[0].startswith(("ERROR 1021 ", "ERROR 1030 ")) or "Disk full" in lines[0], lines
    for key in ("read_full", "read_freed"):
        rc, stdout, stderr = out[key]
        assert "Traceback" not in stderr, stderr
        if key == "read_full" and rc != 0:  # a clean error is acceptable while full
            lines = error_lines(stderr)
            assert len(lines) == 1 and ERROR_LINE.match(lines[0]), stderr
            continue
        assert rc == 0, (key, stderr)
        count, lo, hi = stdout.splitlines()[1].split("\t")
        assert int(hi) >= acked and int(lo) == 0, (key, stdout, acked)
        assert int(count) == int(hi) + 1, f"{key}: ids 0..{hi} but {count} rows"
        assert int(hi) <= acked + 1, f"{key}: rows past the last acknowledged insert"
