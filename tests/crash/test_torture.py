"""Crash torture, CI size: a randomised mixed workload (several threads, small, multi-statement
and spilled transactions, AUTO_INCREMENT, deletes of the highest ids, DDL on side tables) is
SIGKILLed at random moments, at every named crash point and during recovery itself (a reopen
dying at ``recovery.mid_apply``, a ``kintsugi recover`` killed at random), and the database is
checked after every kill (see `tests/crash/torture.py` for what is checked).

One run of about 30 kills is shared by the tests below, each asserting one family of
promises.  ``KINTSUGI_TORTURE_KILLS`` and ``KINTSUGI_TORTURE_SEED`` change the run;
``python -m bench.recovery_torture --kills 500`` is the long version.
"""

from __future__ import annotations

import os

import pytest

from tests.crash import torture as T
from tests.crash import torture_worker as w

KILLS = int(os.environ.get("KINTSUGI_TORTURE_KILLS", "30"))
SEED = int(os.environ.get("KINTSUGI_TORTURE_SEED", "20261125"))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> T.Report:
    path = str(tmp_path_factory.mktemp("torture") / "db")
    return T.torture(path, KILLS, SEED)


@pytest.mark.slow
def test_every_acknowledged_commit_survives_and_nothing_else(report):
    """No acknowledged commit lost, every transaction whole or absent, nothing rolled back or
    never begun visible, the DDL as acknowledged, the workers never died by themselves."""
    assert report.total_kills >= KILLS * 0.9, (report.kills, report.notes)
    assert report.ledger.acks > 5 * KILLS, "too little work between kills to test anything"
    problems = report.summary(exclude=("autoinc",))
    assert not problems, f"after {report.total_kills} kills:\n{problems}"


@pytest.mark.slow
def test_every_index_agrees_with_its_table(report):
    """Checked after each kill by FORCE INDEX scans against full scans (and CHECK TABLE
    EXTENDED where available); this test fails alone if only that went wrong."""
    assert not report.by_category().get("index"), report.summary()


@pytest.mark.slow
def test_auto_increment_never_reused(report):
    """No id acknowledged twice; after every reopen the next id is above every id ever
    acknowledged, even when the highest rows had been deleted before the kill."""
    deletes = sum(1 for _ in report.ledger.deletes)
    assert deletes > KILLS, "too few deletes of the highest ids to test the counter"
    assert not report.by_category().get("autoinc"), report.summary()


@pytest.mark.slow
def test_every_crash_point_was_hit(report):
    """The run reached every named crash point, recovery's included, and killed a
    `kintsugi recover` at least once (else the torture tests less than it claims)."""
    from core.crashpoints import POINTS

    missing = [p for p in POINTS if not report.kills.get(p)]
    assert not missing, f"never killed at {missing}; kills {dict(report.kills)}"


def test_the_checker_can_fail(tmp_path):
    """Plant each kind of damage the torture looks for; the check must report every one."""
    path = str(tmp_path / "db")
    w.setup(path)
    conn = w.connect(path)
    cur = conn.cursor()

    def put(tag: str, n: int, js, ver: int = 0, k_off: int = 0) -> None:
        for j in js:
            cur.execute(w.INSERT_AI + "(%s,%s,%s,%s,%s,%s)",
                        (tag, n, j, ver, w.k0(tag, j) + ver + k_off, ""))

    put("r0t0s1", 3, [0, 1])  # one row of three missing
    put("rbr0t0s2", 1, [0])  # a rolled-back transaction's row
    put("r0t0s3", 2, [0, 1], k_off=5)  # indexed column out of step with the version
    put("r0t0s4", 1, [0])  # never begun
    conn.commit()
    conn.close()
    report = T.Report()
    ledger = report.ledger
    ledger.begun |= {"r0t0s1", "r0t0s3", "r0t0s5"}
    ledger.inserts["r0t0s5"] = 2  # acknowledged, not there
    ledger.max_id = 10**6  # ids up to here were acknowledged: the next must be above
    ledger.side["side_0"] = (True, False, False)  # acknowledged CREATE, table absent
    T.verify(path, ledger, report, "probe")
    found = report.by_category()
    for cat in ("atomicity", "phantom", "lost", "autoinc", "ddl"):
        assert found.get(cat), f"{cat} not reported: {report.summary()}"
    assert len(found["atomicity"]) >= 3, found["atomicity"]
    assert len(found["phantom"]) >= 2, found["phantom"]
