"""The crash torture's driver and checker, shared by `tests/crash/test_torture.py` (a short
run in CI) and `bench/recovery_torture.py` (hundreds of kills).

One *trial* starts `tests.crash.torture_worker` on the database and kills it, then reopens
the database in this process and checks it.  Trials are of three kinds:

* ``random``: SIGKILL after a random number of acknowledged commits plus a random delay;
* ``point``: the worker arms a named crash point (`core.crashpoints.POINTS`) at a random hit
  and kills itself there;
* ``recovery``: a worker without flusher fills the redo log and is killed; a reopen with
  small apply batches dies at ``recovery.mid_apply``; a ``kintsugi recover`` is killed after
  a random delay; then the check (three kills).

The check needs no model of the workload (see `torture_worker`): every group of rows of one
transaction tag is whole, every acknowledged commit is there (its rows, its update, its
deletes, its purge, its DDL), no rolled-back or never-begun tag is visible, every secondary
index returns exactly what a full scan returns (and ``CHECK TABLE ... EXTENDED`` says OK once
the engine has it), and AUTO_INCREMENT never hands out an id twice: no two acknowledgements
share an id and, after every reopen, the next id is above every id ever acknowledged (even
after the highest rows were deleted).

Problems are collected by category instead of stopping at the first, so one run reports
everything it saw; the category ``autoinc`` is kept apart because the engine restores the
counter from the rows today (it waits on the auto-increment persistence work).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from core.crashpoints import POINTS
from tests.crash import torture_worker as w
from tests.crash.harness import ROOT, WORKER_VARS, spawn

KINTSUGI = os.path.join(os.path.dirname(sys.executable), "kintsugi")
TORTURE_VARS = (*WORKER_VARS, "TORTURE_NO_FLUSH", "TORTURE_APPLY_BATCH", "TORTURE_THREADS")

# The hit at which each named point fires is drawn from this range (points that fire on every
# commit get later hits than those that fire per flush, checkpoint or spill).
HIT_RANGE = {
    "log.after_write": (5, 80),
    "log.after_sync": (5, 80),
    "commit.after_overlay": (5, 80),
    "flush.before_apply": (2, 20),
    "flush.mid_apply": (2, 20),
    "flush.after_apply": (2, 20),
    "checkpoint.before_control": (1, 6),
    "checkpoint.after_control": (1, 6),
    "spill.after_write": (1, 4),
    "ddl.before_step_commit": (1, 6),  # the side tables' index jobs (a few steps each)
    "ddl.after_step_commit": (1, 6),
}
WORKLOAD_POINTS = tuple(p for p in POINTS if p != "recovery.mid_apply")
POINT_TIMEOUT = 15.0
INDEX_BOUND = {"tag": "''", "orig_tag": "''", "k": "-1", "a": "-1"}  # WHERE col >= bound


@dataclass
class Ledger:
    """Everything the workers said, across all trials."""

    begun: set[str] = field(default_factory=set)
    inserts: dict[str, int] = field(default_factory=dict)  # acked tag -> n
    ids: dict[int, str] = field(default_factory=dict)  # acked AUTO_INCREMENT id -> tag
    group_ids: dict[str, list[int]] = field(default_factory=dict)
    max_id: int = 0
    updates: dict[str, int] = field(default_factory=dict)  # group -> highest acked ver
    deletes: list[tuple[str, str, list[int]]] = field(default_factory=list)  # tag, group, ids
    purges: set[str] = field(default_factory=set)
    side: dict[str, tuple[bool, bool, bool]] = field(
        default_factory=lambda: {t: (False, False, False) for t in w.SIDE_TABLES})
    inflight_ddl: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> tag, op
    acks: int = 0
    failures: Counter = field(default_factory=Counter)  # errno -> count


@dataclass
class Report:
    kills: Counter = field(default_factory=Counter)  # kind of kill -> count
    trials: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (category, message)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    check_table: str = "not tried"
    ledger: Ledger = field(default_factory=Ledger)

    @property
    def total_kills(self) -> int:
        return sum(self.kills.values())

    def problem(self, category: str, message: str) -> None:
        self.problems.append((category, message))

    def by_category(self, exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for cat, msg in self.problems:
            if cat not in exclude:
                out.setdefault(cat, []).append(msg)
        return out

    def summary(self, exclude: tuple[str, ...] = ()) -> str:
        cats = self.by_category(exclude)
        return "\n".join(f"{cat}: {len(msgs)} problem(s), e.g. " + " | ".join(msgs[:3])
                         for cat, msgs in cats.items())


# --------------------------------------------------------------------------------------------
# running processes
# --------------------------------------------------------------------------------------------


def _env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TORTURE_VARS}
    env.update(extra or {})
    return env


class LineReader(threading.Thread):
    """Keeps the worker's stdout drained (a full pipe would block it) and counts ACKs."""

    def __init__(self, proc: subprocess.Popen):
        super().__init__(daemon=True)
        self.proc = proc
        self.lines: list[str] = []
        self.acks = 0

    def run(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("A "):
                self.acks += 1


def run_worker(path: str, run: int, env_extra: dict | None, *, kill_after_acks: int | None,
               rng: random.Random, timeout: float = POINT_TIMEOUT
               ) -> tuple[list[str], int, str, bool]:
    """Run a worker; kill it after `kill_after_acks` acknowledgements (and a random delay),
    or wait for it to die at its crash point.  Returns (lines, returncode, stderr, whether we
    had to kill it)."""
    proc = spawn("tests.crash.torture_worker", path, run, env_extra)
    reader = LineReader(proc)
    reader.start()
    deadline = time.monotonic() + timeout
    we_killed = False
    if kill_after_acks is not None:
        while (reader.acks < kill_after_acks and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.002)
        time.sleep(rng.random() * 0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            we_killed = True
    else:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            we_killed = True
    proc.wait()
    reader.join()
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return reader.lines, proc.returncode, err, we_killed


def run_recover(path: str, *, crash_at: str | None = None, kill_after: float | None = None,
                apply_batch: int = 300) -> int:
    """Reopen in a subprocess: `torture_worker --recover` with a crash point armed, or the
    `kintsugi recover` command line killed after `kill_after` seconds.  Returns its
    returncode (-9: it died by SIGKILL)."""
    if crash_at is not None:
        cmd = [sys.executable, "-m", "tests.crash.torture_worker", "--recover", path]
        env = _env({"KINTSUGI_CRASH_AT": crash_at, "TORTURE_APPLY_BATCH": str(apply_batch)})
    else:
        cmd = [KINTSUGI, "recover", path]
        env = _env()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=kill_after if kill_after is not None else 120)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    err = proc.stderr.read()
    proc.stderr.close()
    if proc.returncode not in (0, -signal.SIGKILL):
        raise RuntimeError(f"{' '.join(cmd[1:3])} failed ({proc.returncode}): {err[-2000:]}")
    return proc.returncode


# --------------------------------------------------------------------------------------------
# reading what the worker said
# --------------------------------------------------------------------------------------------


def absorb(lines: list[str], ledger: Ledger, report: Report) -> None:
    """Fold a worker's lines into the ledger (in the order they were written)."""
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "B":
            parts = rest.split()
            ledger.begun.add(parts[0])
            if parts[1] == "ddl":
                ledger.inflight_ddl[parts[2]] = (parts[0], parts[3])
        elif kind == "F":
            tag, errno = rest.split()
            ledger.failures[errno] += 1
            for table, (t, _op) in list(ledger.inflight_ddl.items()):
                if t == tag:  # a failed DDL statement changed nothing
                    del ledger.inflight_ddl[table]
        elif kind == "A":
            _ack(json.loads(rest), ledger, report)


def _ack(a: dict, ledger: Ledger, report: Report) -> None:
    ledger.acks += 1
    tag = a["tag"]
    if "n" in a:
        ledger.inserts[tag] = a["n"]
        ledger.group_ids[tag] = a["ids"]
        for i in a["ids"]:
            other = ledger.ids.get(i)
            if other is not None and other != tag:
                report.problem("autoinc", f"id {i} acknowledged for {other} and again for "
                                          f"{tag}")
            ledger.ids[i] = tag
            ledger.max_id = max(ledger.max_id, i)
    elif "upd" in a:
        ledger.updates[a["upd"]] = max(ledger.updates.get(a["upd"], 0), a["ver"])
    elif "del" in a:
        for group in a["del"]:
            ledger.deletes.append((tag, group, a["ids"]))
    elif "purge" in a:
        ledger.purges.update(a["purge"])
    elif "ddl" in a:
        table = a["ddl"]
        ledger.side[table] = w.after_side_op(ledger.side[table], a["op"])
        ledger.inflight_ddl.pop(table, None)


# --------------------------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------------------------


def verify(path: str, ledger: Ledger, report: Report, probe_tag: str) -> None:
    """Reopen (recovering) in this process and check everything; problems go to `report`."""
    from core.errors import Error

    try:
        conn = w.connect(path)
    except Error as err:
        report.problem("open", f"reopen failed: {err}")
        return
    try:
        cur = conn.cursor()
        _check_rows(cur, ledger, report)
        conn.commit()
        _wait_for_ddl_jobs(conn, cur, report)
        _check_side_tables(cur, ledger, report)
        conn.commit()
        _check_indexes(cur, report)
        conn.commit()
        _probe_autoinc(conn, cur, ledger, report, probe_tag)
    except Error as err:
        report.problem("open", f"a check's query failed: {err}")
    finally:
        conn.close()


def _check_rows(cur, ledger: Ledger, report: Report) -> None:
    P = report.problem
    cur.execute("SELECT id, tag, n, j, ver, k FROM ai")
    groups: dict[str, dict] = {}
    ai_ids: set[int] = set()
    for rid, tag, n, j, ver, k in cur.fetchall():
        g = groups.setdefault(tag, {"n": set(), "rows": 0, "gone": 0, "vers": set(),
                                    "js": set(), "ids": set()})
        g["n"].add(n)
        g["rows"] += 1
        g["vers"].add(ver)
        g["js"].add(j)
        g["ids"].add(rid)
        ai_ids.add(rid)
        if k != w.k0(tag, j) + ver:
            P("atomicity", f"row {rid} of {tag}: k={k}, expected {w.k0(tag, j) + ver} "
                           f"(ver {ver}): its index column and version disagree")
    cur.execute("SELECT gid, orig_tag, n, cnt FROM gone")
    gone_ids = set()
    for gid, orig, n, cnt in cur.fetchall():
        gone_ids.add(gid)
        del_tag = gid.split("/", 1)[0]
        if del_tag not in ledger.begun:
            P("phantom", f"gone row {gid}: delete {del_tag} was never begun")
        g = groups.setdefault(orig, {"n": set(), "rows": 0, "gone": 0, "vers": set(),
                                     "js": set(), "ids": set()})
        g["n"].add(n)
        g["gone"] += cnt
    cur.execute("SELECT tag, del_tag FROM purged")
    purged = dict(cur.fetchall())
    for tag, del_tag in purged.items():
        if del_tag not in ledger.begun:
            P("phantom", f"purged {tag} by {del_tag}, which was never begun")
    for tag, g in groups.items():
        if tag.startswith("rb"):
            P("phantom", f"{g['rows']} row(s) of rolled-back transaction {tag} are visible")
            continue
        if tag not in ledger.begun:
            P("phantom", f"{g['rows']} row(s) of {tag}, a transaction never begun")
        if len(g["n"]) != 1:
            P("atomicity", f"{tag}: rows disagree on n: {sorted(g['n'])}")
            continue
        n = next(iter(g["n"]))
        if g["rows"] + g["gone"] != n:
            P("atomicity", f"{tag}: {g['rows']} row(s) + {g['gone']} deleted, of {n}")
        if len(g["js"]) != g["rows"]:
            P("atomicity", f"{tag}: {g['rows']} rows but {len(g['js'])} distinct j")
        if len(g["vers"]) > 1:
            P("atomicity", f"{tag}: an update applied to part of the group: versions "
                           f"{sorted(g['vers'])}")
        if tag in purged:
            P("atomicity", f"{tag} is purged but still has rows")
        acked_ids = ledger.group_ids.get(tag)
        if acked_ids is not None and not g["ids"] <= set(acked_ids):
            P("atomicity", f"{tag}: ids {sorted(g['ids'] - set(acked_ids))[:5]} are not the "
                           f"ids its commit returned")
    for tag, n in ledger.inserts.items():
        if tag not in groups and tag not in purged:
            P("lost", f"acknowledged insert {tag} ({n} rows) is gone")
    for group, ver in ledger.updates.items():
        g = groups.get(group)
        if g and g["rows"] and max(g["vers"]) < ver:
            P("lost", f"acknowledged update of {group} to version {ver}: found "
                      f"{sorted(g['vers'])}")
    for tag, group, ids in ledger.deletes:
        if group not in purged and f"{tag}/{group}" not in gone_ids:
            P("lost", f"acknowledged delete {tag} of rows of {group}: no gone row")
        back = set(ids) & ai_ids
        if back:
            P("lost", f"acknowledged delete {tag}: ids {sorted(back)[:5]} are back in ai")
    for group in ledger.purges:
        if group not in purged:
            P("lost", f"acknowledged purge of {group}: not in purged")
        elif group in groups and groups[group]["rows"]:
            P("lost", f"acknowledged purge of {group}: {groups[group]['rows']} rows remain")


def _wait_for_ddl_jobs(conn, cur, report: Report, timeout: float = 60.0) -> None:
    """A DDL job the kill interrupted resumes by itself once the database is open again:
    its table is checked once the job finished, forward or back (the in-flight DDL may
    land either way, an acknowledged one must have landed)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        cur.execute("SELECT JOB_ID, STATE FROM information_schema.ddl_jobs WHERE STATE NOT IN "
                    "('synced', 'cancelled', 'rollback done')")
        left = cur.fetchall()
        conn.commit()
        if not left:
            return
        if time.monotonic() > deadline:
            report.problem("ddl", f"DDL jobs still unfinished {timeout:g} s after the reopen: "
                                  f"{left}")
            return
        time.sleep(0.05)


def _check_side_tables(cur, ledger: Ledger, report: Report) -> None:
    seen = w.side_state(cur)
    for table, state in seen.items():
        want = ledger.side[table]
        allowed = [want]
        if table in ledger.inflight_ddl:
            allowed.append(w.after_side_op(want, ledger.inflight_ddl[table][1]))
        if state not in allowed:
            report.problem("ddl", f"{table} is (exists, index, filled) = {state}; after the "
                                  f"acknowledged DDL it must be one of {allowed}")
        if state[0]:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            count = cur.fetchone()[0]
            if count not in (0, w.SIDE_ROWS):
                report.problem("atomicity", f"{table} has {count} rows, not 0 or "
                                            f"{w.SIDE_ROWS}")
        ledger.side[table] = state
    ledger.inflight_ddl.clear()


def _check_indexes(cur, report: Report) -> None:
    """Every secondary index returns exactly the rows of a full scan (the plan is checked to
    use the index), and CHECK TABLE ... EXTENDED says OK where the engine has it."""
    from core.errors import Error

    cur.execute("SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM "
                "information_schema.statistics WHERE TABLE_SCHEMA = 'test'")
    indexes: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for table, index, seq, col in cur.fetchall():
        indexes.setdefault((table.lower(), index), []).append((seq, col))
    pks = {t: [c for _s, c in sorted(cols)] for (t, ix), cols in indexes.items()
           if ix == "PRIMARY"}
    for (table, index), cols in sorted(indexes.items()):
        if index == "PRIMARY":
            continue
        cols = [c for _s, c in sorted(cols)]
        first = cols[0]
        if first not in INDEX_BOUND:
            report.problem("index", f"the check does not know how to range-scan {first}")
            continue
        wanted = ", ".join(pks[table] + cols)
        where = f"{first} >= {INDEX_BOUND[first]}"
        cur.execute(f"EXPLAIN SELECT {wanted} FROM {table} FORCE INDEX ({index}) WHERE {where}")
        plan = " ".join(str(c) for r in cur.fetchall() for c in r)
        if f"index:{index}" not in plan:
            report.problem("index", f"{table}.{index}: FORCE INDEX did not use it: {plan}")
            continue
        cur.execute(f"SELECT {wanted} FROM {table} FORCE INDEX ({index}) WHERE {where}")
        via_index = sorted(cur.fetchall())
        cur.execute(f"SELECT {wanted} FROM {table} IGNORE INDEX ({index})")
        via_scan = sorted(cur.fetchall())
        if via_index != via_scan:
            extra = sorted(set(via_index) - set(via_scan))[:3]
            missing = sorted(set(via_scan) - set(via_index))[:3]
            report.problem("index", f"{table}.{index}: {len(via_index)} rows through the "
                                    f"index, {len(via_scan)} by a full scan; extra {extra}, "
                                    f"missing {missing}")
    if report.check_table == "unsupported":
        return
    for table in sorted(pks):
        try:
            cur.execute(f"CHECK TABLE {table} EXTENDED")
            rows = cur.fetchall()
        except Error as err:
            if err.errno in (1235, 1064):
                report.check_table = "unsupported"
                return
            raise
        report.check_table = "used"
        if not rows or tuple(rows[-1][2:4]) != ("status", "OK"):
            report.problem("index", f"CHECK TABLE {table} EXTENDED: {rows}")


def _probe_autoinc(conn, cur, ledger: Ledger, report: Report, tag: str) -> None:
    """Insert one row: its id must be above every id ever acknowledged."""
    ledger.begun.add(tag)
    cur.execute(w.INSERT_AI + "(%s,%s,%s,%s,%s,%s)", (tag, 1, 0, 0, w.k0(tag, 0), ""))
    new_id = cur.lastrowid
    conn.commit()
    if new_id <= ledger.max_id:
        report.problem("autoinc", f"after reopening, the next AUTO_INCREMENT id is {new_id}, "
                                  f"but {ledger.max_id} was acknowledged before (ids reused "
                                  "after the highest rows were deleted)")
    _ack({"tag": tag, "n": 1, "ids": [new_id]}, ledger, report)


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def schedule(kills: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """Trials adding up to `kills` kills: every named point in turn, a recovery trial (three
    kills) every ~12 kills, random kills for the rest, shuffled."""
    trials: list[tuple[str, str | None]] = []
    left = kills
    n_recovery = max(1, kills // 12)
    for _ in range(n_recovery):
        if left >= 3:
            trials.append(("recovery", None))
            left -= 3
    i = 0
    while left > 0 and i < max(len(WORKLOAD_POINTS), left // 3):
        trials.append(("point", WORKLOAD_POINTS[i % len(WORKLOAD_POINTS)]))
        left -= 1
        i += 1
    trials += [("random", None)] * left
    rng.shuffle(trials)
    return trials


def torture(path: str, kills: int, seed: int = 1, *, max_seconds: float | None = None,
            progress=None) -> Report:
    """Run trials on a new database in `path` until `kills` kills were made (the schedule,
    then random trials for any a trial did not deliver), or until `max_seconds` passed."""
    rng = random.Random(seed)
    report = Report()
    ledger = report.ledger
    w.setup(path)
    t0 = time.monotonic()
    trials = schedule(kills, rng)
    run = 0
    while report.total_kills < kills and run < 2 * kills + 10:
        if max_seconds is not None and time.monotonic() - t0 > max_seconds:
            report.notes.append(f"stopped after {max_seconds:.0f} s")
            break
        kind, point = trials[run] if run < len(trials) else ("random", None)
        run += 1
        _trial(path, run, kind, point, rng, report)
        report.trials += 1
        verify(path, ledger, report, f"probe{run}")
        if progress:
            progress(report)
    report.seconds = time.monotonic() - t0
    return report


def _trial(path: str, run: int, kind: str, point: str | None, rng: random.Random,
           report: Report) -> None:
    ledger = report.ledger
    if kind == "point":
        lo, hi = HIT_RANGE[point]
        env = {"KINTSUGI_CRASH_AT": f"{point}:{rng.randint(lo, hi)}"}
        lines, rc, err, we_killed = run_worker(path, run, env, kill_after_acks=None, rng=rng)
        absorb(lines, ledger, report)
        if rc != -signal.SIGKILL:
            report.problem("worker", f"worker {run} ({point}) exited {rc}: {err[-1500:]}")
        elif we_killed:
            report.notes.append(f"{point} not reached within {POINT_TIMEOUT:.0f} s "
                                "(killed at random instead)")
            report.kills["random"] += 1
        else:
            report.kills[point] += 1
        return
    env = {"TORTURE_NO_FLUSH": "1"} if kind == "recovery" else None
    want = rng.randint(60, 160) if kind == "recovery" else rng.randint(1, 60)
    lines, rc, err, we_killed = run_worker(path, run, env, kill_after_acks=want, rng=rng)
    absorb(lines, ledger, report)
    if rc != -signal.SIGKILL or not we_killed:
        report.problem("worker", f"worker {run} died by itself ({rc}): {err[-1500:]}")
        return
    report.kills["random"] += 1
    if kind != "recovery":
        return
    if run_recover(path, crash_at=f"recovery.mid_apply:{rng.randint(1, 3)}") == -9:
        report.kills["recovery.mid_apply"] += 1
    else:
        report.notes.append(f"trial {run}: recovery finished before its crash point")
    if run_recover(path, kill_after=rng.uniform(0.15, 0.4)) == -9:
        report.kills["kintsugi recover (random)"] += 1
