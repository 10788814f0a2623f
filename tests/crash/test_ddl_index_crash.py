"""Index jobs killed at every step: ADD INDEX, CREATE UNIQUE INDEX (with and without a
duplicate to meet) and DROP INDEX, SIGKILLed at the DDL worker's named crash points
(`ddl.before_step_commit:N`, `ddl.after_step_commit:N`, N chosen to land in delete only,
write only, write reorganization, mid-backfill, the step that makes the index public, and
the roll-back of a unique index) and at random moments while another thread writes rows.

After the reopen (in this process): the job's history has an "interrupted by a crash" entry
naming its case; the job finishes by itself (synced, or rollback done for the duplicate);
ADMIN CHECK TABLE passes and every key of the tablespace is a row or exactly the entry one
of the rows needs (nothing left of a rolled-back index); every acknowledged write is there.

Steps of ADD INDEX on `ROWS` = 2950 rows in batches of 100 (each a transaction, each passing
both crash points once): 1 queueing -> running, 2 -> delete only, 3 -> write only, 4 -> write
reorganization, 5..33 full backfill batches, 34 the last (partial) batch, which also makes
the index public and ends the job.  DROP INDEX: 1 start, 2 -> write only, 3 -> delete only,
4 -> delete reorganization, 5 removes the index and queues its entries for GC (TiDB's
way: they stay, unread, until a GC round past the life time deletes them, which `verify`
runs with a moved clock).  A
unique index over the duplicate at row 2000: 5..24 backfill, the 21st batch fails (it
commits nothing, so it passes no crash point) and the job rolls back: 25 -> delete only,
26 -> delete reorganization, 27..46 entry deletion, 47 removes the index.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.events import JobState
from tests.crash import ddl_index_worker as w
from tests.crash.harness import ROOT, WORKER_VARS

BATCH = 100
LAST_STEP = 34  # of ADD INDEX on w.ROWS rows in batches of BATCH
DROP_LAST_STEP = 5  # of DROP INDEX: its entries go to GC, not deleted by the job
DUP_LAST_STEP = 47  # of the unique index that meets the duplicate, rolled back
FINISH_TIMEOUT = 60.0


# -- running the worker ------------------------------------------------------------------------


def _popen(path: str, mode: str, writes: str, env: dict | None, delay: float, seed: int):
    environ = dict(os.environ)
    for var in WORKER_VARS:
        environ.pop(var, None)
    environ.update(env or {})
    args = [sys.executable, "-m", "tests.crash.ddl_index_worker", path, mode, writes,
            str(BATCH), str(delay), str(seed)]
    return subprocess.Popen(args, cwd=ROOT, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_to_crash_point(path: str, mode: str, writes: str, point: str) -> list[str]:
    proc = _popen(path, mode, writes, {"KINTSUGI_CRASH_AT": point}, 0.0, 1)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, (
        f"{point} was never reached (exit {proc.returncode}): {out[-500:]} {err[-3000:]}")
    return out.splitlines()


def run_and_kill(path: str, mode: str, writes: str, after: float, seed: int,
                 delay: float) -> tuple[list[str], float | None]:
    """SIGKILL the worker `after` seconds after its DDL statement began; (lines, the wall
    clock time of the kill, None when it finished first)."""
    proc = _popen(path, mode, writes, None, delay, seed)
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    began = None
    limit = time.monotonic() + 60
    killed = None
    while proc.poll() is None and time.monotonic() < limit:
        if began is None and "DDL BEGIN" in lines:
            began = time.monotonic()
        if began is not None and time.monotonic() - began >= after:
            killed = time.time()
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(timeout=30)
    reader.join(timeout=10)
    err = proc.stderr.read()
    assert killed or proc.returncode == 0, f"worker exited {proc.returncode}: {err[-3000:]}"
    return lines, killed if "CLOSED" not in lines else None


# -- what must hold after the reopen -----------------------------------------------------------


def expected_rows(runs: list[list[str]], dup: bool) -> list[dict]:
    """Every table state ({id: (b, c)}) the acknowledged writes allow: each run's write in
    flight at its kill may have committed or not (its commit can be published and durable
    before the ACK is printed)."""
    rows = {i: (3 * i, 0) for i in range(w.ROWS)}
    if dup:
        rows[w.DUP_AT] = (3 * w.DUP_OF, 0)

    def apply(target: dict, parts: list[str]) -> None:
        if parts[0] == "I":
            target[int(parts[1])] = (int(parts[2]), 0)
        else:
            row_id, col, v = int(parts[1]), parts[2], int(parts[3])
            b, c = target[row_id]
            target[row_id] = (v, c) if col == "b" else (b, v)

    states = [rows]
    for lines in runs:
        pending = None
        ops: list[tuple[str, list[str]]] = []
        for line in lines:
            head, _, rest = line.partition(" ")
            if head == "BEGIN":
                pending = rest.split()
            elif head == "ACK":
                ops.append(("ack", rest.split()))
                pending = None
            elif head == "FAIL":
                pending = None
        for st in states:
            for _kind, parts in ops:
                apply(st, parts)
        if pending is not None:
            more = []
            for st in states:
                alt = dict(st)
                apply(alt, pending)
                more.append(alt)
            states += more
    return states


def wait_for_jobs(conn, timeout: float = FINISH_TIMEOUT) -> None:
    cur = conn.cursor()
    deadline = time.monotonic() + timeout
    while True:
        cur.execute("SELECT JOB_ID, STATE FROM information_schema.ddl_jobs WHERE STATE NOT IN "
                    "('synced', 'done', 'rollback done', 'cancelled')")
        left = cur.fetchall()
        if not left:
            return
        assert time.monotonic() < deadline, (
            f"jobs {left} still unfinished {timeout:g} s after the reopen; worker failure: "
            f"{conn._db.ddl_jobs.worker.failure!r}")
        time.sleep(0.05)


def the_job(conn):
    db = conn._db
    with db.engine.snapshot() as snap:
        jobs = [j for j in db.catalog.jobs(snap) if j.job_type in ("add index", "drop index")]
    assert jobs, "no index job was written"
    return jobs[-1]


def check_index_keys(conn, *, gc_pending_ok: bool = False) -> None:
    """Every key of t's tablespace is a row or exactly the entry one of the rows needs for
    a public index (nothing left of a rolled-back or dropped index); `gc_pending_ok`: the
    entries of a dropped index still queued for GC are left out."""
    from core.catalog import gcranges
    from core.codec import row_prefix
    from core.codec.keys import index_prefix
    from core.sql.table import TableReader

    db = conn._db
    with db.engine.snapshot() as snap:
        table = db.catalog.schema(snap).table("test", "t")
        queued = [index_prefix(table.id, r["index_id"]) for r in gcranges.pending(snap)
                  if gc_pending_ok and r.get("kind") == "index" and r["table_id"] == table.id]
        assert all(ix.state == "public" for ix in table.indexes), table.indexes
        reader = TableReader(table)
        rp = row_prefix(table.id)
        wanted: dict[bytes, bytes] = {}
        stored: dict[bytes, bytes] = {}
        for k, v in snap.scan(table.id):
            k, v = bytes(k), bytes(v)
            if any(k.startswith(q) for q in queued):
                continue
            if k.startswith(rp):
                row = reader.decode(k, v)
                handle = reader.handle_from_key(k)
                for ix in table.secondary_indexes:
                    ik, iv = reader.index_entry(ix, row, handle)
                    wanted[ik] = iv
            else:
                stored[k] = v
    extra = sorted(set(stored) - set(wanted))[:3]
    missing = sorted(set(wanted) - set(stored))[:3]
    wrong = [x for x in wanted if x in stored and stored[x] != wanted[x]][:3]
    assert stored == wanted, f"entries out of step: extra {extra}, missing {missing}, wrong {wrong}"


def verify(path: str, mode: str, runs: list[list[str]], *, interrupted: bool | None,
           dup: bool = False, at: tuple | None = None, killed_at: float | None = None) -> None:
    """Reopen and check (see the module docstring).  `interrupted` None: the kill was at a
    random moment, so the job must have a crash entry unless it had ended before the kill;
    `at`: (state, schema state, rows done or None) the reopen must find the job in."""
    clock = ManualClock()
    conn = core.connect(path, autocommit=True, clock=clock)
    try:
        job = the_job(conn)
        if interrupted is None:
            noted = any(s["step"] == "interrupted by a crash" for s in job.steps)
            ended_before = job.end_time is not None and killed_at is not None \
                and job.end_time <= killed_at
            started = [st["at"] for st in job.steps if st["step"] == "started"]
            queued = killed_at is not None and (not started or started[0] > killed_at)
            assert noted or ended_before or queued or killed_at is None, (
                f"job {job.state} has no crash entry: {[s['step'] for s in job.steps]}")
            interrupted = noted
        if at is not None:
            crash = [s for s in job.steps if s["step"] == "interrupted by a crash"]
            assert crash, [s["step"] for s in job.steps]
            assert (crash[-1]["state"], crash[-1]["schema_state"]) == at[:2], crash[-1]
            if at[2] is not None:
                detail = crash[-1]["detail"]
                assert f"at row {at[2]:,} of ~" in detail, detail
                if not dup:  # the estimate counts the table's rows, not entries / 2
                    total = int(detail.split(" of ~", 1)[1].split(";")[0].replace(",", ""))
                    assert w.ROWS <= total <= w.ROWS * 1.1, detail
        if interrupted:
            notes = [s for s in job.steps if s["step"] == "interrupted by a crash"]
            assert notes, f"no crash entry in the history: {[s['step'] for s in job.steps]}"
            assert notes[-1]["detail"].startswith("case index: "), notes[-1]
            assert job.crash_case == "index"
        wait_for_jobs(conn)
        job = the_job(conn)
        want = JobState.ROLLBACK_DONE if dup else JobState.SYNCED
        assert job.state is want, (job.state, job.error, [s["step"] for s in job.steps])
        if dup:
            assert job.error_code == 1062, job.error
        cur = conn.cursor()
        cur.execute("ADMIN CHECK TABLE t")
        check_index_keys(conn, gc_pending_ok=True)
        if mode == "drop":  # its entries wait for GC: a round past the life time takes them
            clock.advance(gcranges.DEFAULT_LIFE_TIME + 60)
            conn._db.gc.run_once()
        check_index_keys(conn)
        cur.execute("SHOW INDEX FROM t")
        names = {r[2] for r in cur.fetchall()}
        present = mode != "drop" and not dup
        assert (w.INDEX_NAME[mode] in names) == present, names
        cur.execute("SELECT id, b, c FROM t ORDER BY id")
        got = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        states = expected_rows(runs, dup)
        rows = states[0]
        if got not in states:
            lost = sorted(k for k in set(rows) | set(got)
                          if all(got.get(k) != st.get(k) for st in states))
            pytest.fail(f"rows differ from the acknowledged writes at ids {lost[:10]}")
        if present:  # the index answers for the values the rows have now
            ix = w.INDEX_NAME[mode]
            for row_id in random.Random(len(got)).sample(sorted(got), 20):
                cur.execute(f"SELECT id FROM t FORCE INDEX ({ix}) WHERE b = %s",
                            (got[row_id][0],))
                assert (row_id,) in cur.fetchall(), (ix, row_id, got[row_id])
            cur.execute(f"EXPLAIN SELECT id FROM t WHERE b = {got[0][0]}")
            assert ix in str(cur.fetchall()), "the finished index is not used"
        cur.execute("INSERT INTO t (id, b, c) VALUES (%s, %s, 0)", (9_999_999, 77_777_777))
        check_index_keys(conn)
    finally:
        conn.close()


# -- the tests ---------------------------------------------------------------------------------

# (mode, point, hit, where the reopen finds the job: state, schema state, rows done)
NAMED = [
    ("add", "ddl.after_step_commit", 1, "running", "none", None),
    ("add", "ddl.after_step_commit", 2, "running", "delete only", None),
    ("add", "ddl.before_step_commit", 3, "running", "delete only", None),
    ("add", "ddl.after_step_commit", 3, "running", "write only", None),
    ("add", "ddl.after_step_commit", 4, "running", "write reorganization", 0),
    ("add", "ddl.before_step_commit", 12, "running", "write reorganization", 700),
    ("add", "ddl.after_step_commit", 20, "running", "write reorganization", 1600),
    ("add", "ddl.before_step_commit", LAST_STEP, "running", "write reorganization", 2900),
    ("unique", "ddl.before_step_commit", 4, "running", "write only", None),
    ("unique", "ddl.after_step_commit", 15, "running", "write reorganization", 1100),
    ("unique", "ddl.before_step_commit", LAST_STEP, "running", "write reorganization", 2900),
    ("drop", "ddl.after_step_commit", 2, "running", "write only", None),
    ("drop", "ddl.before_step_commit", 3, "running", "write only", None),
    ("drop", "ddl.after_step_commit", 3, "running", "delete only", None),
    ("drop", "ddl.after_step_commit", 4, "running", "delete reorganization", None),
    ("drop", "ddl.before_step_commit", DROP_LAST_STEP, "running", "delete reorganization",
     None),
]


@pytest.mark.parametrize(("mode", "point", "hit", "state", "schema_state", "done"), NAMED,
                         ids=[f"{m}-{p.split('.')[1]}-{n}" for m, p, n, *_ in NAMED])
def test_kill_at_a_job_step(tmp_path, mode, point, hit, state, schema_state, done):
    path = str(tmp_path / "db")
    w.setup(path, with_index=mode == "drop")
    lines = run_to_crash_point(path, mode, "updates", f"{point}:{hit}")
    assert "DDL DONE" not in lines
    verify(path, mode, [lines], interrupted=True, at=(state, schema_state, done))


# the unique index over the duplicate at row 2000: it fails in the batch of step 25.  While
# the index is delete only on its way back, an UPDATE of b deletes an entry and adds none, so
# the writer would make the roll-back a batch shorter: none writes when the count matters.
DUP_NAMED = [
    ("ddl.after_step_commit", 20, "running", "write reorganization", 1600, "updates"),
    ("ddl.before_step_commit", 25, "rollingback", "write reorganization", 2000, "updates"),
    ("ddl.after_step_commit", 26, "rollingback", "delete reorganization", 0, "updates"),
    ("ddl.before_step_commit", 33, "rollingback", "delete reorganization", 600, "updates"),
    ("ddl.before_step_commit", DUP_LAST_STEP, "rollingback", "delete reorganization", 2000,
     "none"),
]


@pytest.mark.parametrize(("point", "hit", "state", "schema_state", "done", "writes"),
                         DUP_NAMED, ids=[f"{p.split('.')[1]}-{n}" for p, n, *_ in DUP_NAMED])
def test_kill_a_unique_index_that_meets_a_duplicate(tmp_path, point, hit, state,
                                                     schema_state, done, writes):
    """The job fails with 1062 and rolls back; killed on the way (forward or back), it ends
    in rollback done after the reopen, with none of its entries left."""
    path = str(tmp_path / "db")
    w.setup(path, dup=True)
    lines = run_to_crash_point(path, "unique", writes, f"{point}:{hit}")
    assert "DDL DONE" not in lines
    verify(path, "unique", [lines], interrupted=True, dup=True,
           at=(state, schema_state, done))


RANDOM_TRIALS = [("add", 11), ("add", 12), ("unique", 13), ("drop", 14), ("drop", 15),
                 ("unique-dup", 16)]


@pytest.mark.parametrize(("mode", "seed"), RANDOM_TRIALS,
                         ids=[f"{m}-{s}" for m, s in RANDOM_TRIALS])
def test_kill_at_a_random_moment_while_rows_are_written(tmp_path, mode, seed):
    """A writer inserts and updates rows (the index columns too) throughout; the kill lands
    anywhere in the job (its batches are slowed down to spread it out)."""
    path = str(tmp_path / "db")
    dup = mode == "unique-dup"
    mode = "unique" if dup else mode
    w.setup(path, dup=dup, with_index=mode == "drop")
    after = random.Random(seed).uniform(0.05, 0.9)
    lines, killed_at = run_and_kill(path, mode, "mixed", after, seed, delay=0.03)
    assert any(x.startswith("ACK") for x in lines), "the writer acknowledged nothing"
    verify(path, mode, [lines], interrupted=None, dup=dup, killed_at=killed_at)


def test_killed_again_while_the_job_resumes(tmp_path):
    """Killed mid-backfill, then killed again while the reopened database carries the job
    on (writes going on both times): each crash has its entry, and the job still ends."""
    path = str(tmp_path / "db")
    w.setup(path)
    first = run_to_crash_point(path, "add", "updates", "ddl.after_step_commit:10")
    second = run_to_crash_point(path, "resume", "updates", "ddl.before_step_commit:8")
    verify(path, "add", [first, second], interrupted=True)
    conn = core.connect(path, autocommit=True)
    try:
        crashes = [s for s in the_job(conn).steps if s["step"] == "interrupted by a crash"]
        assert len(crashes) == 2, crashes
        assert "at row 600 of" in crashes[0]["detail"]
        assert "at row 1,300 of" in crashes[1]["detail"]
    finally:
        conn.close()
