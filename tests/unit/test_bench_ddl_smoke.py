"""The online-DDL benchmark (`bench.ddl_online`) runs end to end at a couple of thousand rows:
the loads, the ADD INDEX / SQLite / bare-LMDB build children, the DML-during-the-build child
(which checks the index afterwards), the crash children really SIGKILLed at a DDL crash point
and at their own kill, and the reopens (the last one waits for the job to finish and checks
the index), so a change that breaks the benchmark fails CI rather than the next full run.
The timings at this size mean nothing; only that every measure ran and saw the right answer.
"""

from __future__ import annotations

import json

from bench import ddl_online

ROWS = 2000


def test_every_part_runs_and_reports_its_target(tmp_path):
    out = tmp_path / "summary.json"
    ddl_online.main(["--rows", str(ROWS), "--crash-rows", str(ROWS), "--quick",
                     "--configs", "64", "--dml-seconds", "0.3", "--steps", "1,6",
                     "--repeat", "1", "--no-write", "--json", str(out)])
    summary = json.loads(out.read_text())
    assert [t["target"] for t in summary["targets"]] == ["<= 2x", ">= 50%", "within 2x"]
    for t in summary["targets"]:
        assert t["ratio"] > 0 and isinstance(t["met"], bool)
    assert all(summary["build"][k] > 0 for k in ("kdb", "sqlite", "bare"))
    (dml,) = summary["dml"]
    assert dml["batch"] == 64 and dml["base"]["ops"] > 0 and dml["build"] > 0
    # two steps x two crash points; each reopened job went on to a consistent index
    crashes = summary["crashes"]
    assert [(c["step"], c["point"]) for c in crashes] == [
        (step, point) for step in ("none -> delete only", "backfill: last batch -> public, "
                                   "synced") for point in ddl_online.POINTS] + [
        (f"rebuild: {name}", spec.split(":")[0]) for name, spec in ddl_online.REBUILD_CASES]
    # the rebuild: A and B roll forward, C and D wait for the DBA (the finishing run resumes)
    assert [c["repair"] for c in crashes[4:]] == [
        "case A: rolled forward", "case B: rolled forward", "case C: paused for the DBA",
        "case D: paused for the DBA"]
    assert all(c["finished"] and c["ddl"] > 0 and c["plain"] > 0 for c in crashes)
    # killed before the last step committed, the open's repair rolls the job forward;
    # killed after it, the job was already synced and needs no repair
    assert crashes[2]["repair"] == "rolled forward"
    assert crashes[3]["repair"] == "none needed"
