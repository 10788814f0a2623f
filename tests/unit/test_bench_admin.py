"""The index-consistency benchmark (`bench.admin_index`) runs end to end at a few hundred rows:
its loader, the index wipe, every child process (the ADMIN statements, SQLite, the bare LMDB
read) and the answers each child checks, so a change that breaks the benchmark fails CI
rather than the next full-size run.  The timings at this size mean nothing; only that every
measure ran, saw the right answer and reported its memory.
"""

from __future__ import annotations

import json

from bench import admin_index

ROWS = 300


def _run(tmp_path, *extra: str) -> dict:
    out = tmp_path / "summary.json"
    admin_index.main(["--rows", str(ROWS), "--repeat", "1", "--no-write", "--json", str(out),
                      "--data", str(tmp_path / "data"), *extra])
    return json.loads(out.read_text())


def test_harness_alone_measures_sqlite_and_the_bare_read(tmp_path):
    summary = _run(tmp_path, "--harness-only")
    assert set(summary["medians"]) == {"bare", "plain", "integrity", "reindex"}
    assert summary["targets"] == []
    for hwm, anon in summary["peaks"].values():
        assert 0 < anon <= hwm


def test_every_admin_statement_is_measured_against_its_target(tmp_path):
    summary = _run(tmp_path)
    assert set(summary["medians"]) == {"bare", "plain", "check", "show", "recover",
                                       "integrity", "reindex"}
    assert all(t > 0 for t in summary["medians"].values())
    names = [t["name"] for t in summary["targets"]]
    assert len(names) == 7, names
    assert sum("peak RssAnon" in n for n in names) == 3
    for t in summary["targets"]:
        assert t["ratio"] > 0 and isinstance(t["met"], bool)
    # the index wipe removed every entry, and the RECOVER child checked it added them all back
    assert any(k.startswith("copy + delete every t_qty entry") for k in summary["prep"])
