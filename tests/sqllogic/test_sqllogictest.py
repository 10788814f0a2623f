"""The public sqllogictest corpus, run as engine ``mysql``, must not lose ground (issue 15).

One test per ``.test`` file of the corpus directory (``$KINTSUGI_SLT_DIR``, else
``<repo>/../shared/sqllogictest``, else ``/work/shared/sqllogictest``; the files are read
where they lie, never copied here).  Each test fails when fewer of its file's records pass
than ``tests/sqllogic/baseline.json`` records, and shows the first failures; a count above the
baseline is printed as a hint to raise it.  Without the corpus directory every test skips,
saying where it looked.

What CI runs is a deterministic **sample**: every statement of every file (later queries need
the data) and every ``runner.CI_EVERY``-th query record, less the queries that timed out in
the baseline's full run (listed in the baseline: each would spend its whole budget to fail
again, and select5's hundreds of them alone would take many minutes).  The full corpus takes
over 20 minutes on a 2-core machine (select5's 7- and 8-table joins, about 1-2 s each, reach
the bench's per-file limit); CI must stay within a few, and this sample took 45 s on that
machine with another test run going (index_delete's 6,476 statements are a third of it).
So CI holds the line (nothing that passed may stop passing), while the full run, with
the counts written to ``bench/RESULTS.md``, is ``python -m bench.sqllogictest``, whose
``--update-baseline`` writes both baselines (the sample's derived from the full run, since
queries change no data).  ``KINTSUGI_SLT_EVERY=1`` runs the full files here, against the full
baseline.

The files run two at a time, each in a worker process of its own with a fresh database (the
first test of the module starts them all; the others collect their results).  A statement
gets ``KINTSUGI_SLT_BUDGET`` seconds (default 5: more than the bench's 2, so a busy CI machine
does not turn a query the bench saw pass into a time-out); each file gets a wall-clock limit.
"""

from __future__ import annotations

import os
import threading

import pytest

from tests.sqllogic import runner

CORPUS = runner.corpus_dir()
FILES = runner.corpus_files(CORPUS)
EVERY = int(os.environ.get("KINTSUGI_SLT_EVERY", runner.CI_EVERY))
BUDGET = float(os.environ.get("KINTSUGI_SLT_BUDGET", "5"))
WALL = float(os.environ.get("KINTSUGI_SLT_WALL", "300"))
JOBS = int(os.environ.get("KINTSUGI_SLT_JOBS", "2"))

# the whole batch runs in the first test's setup: its time-out must cover every file
pytestmark = pytest.mark.timeout(max(900, int(WALL * len(FILES) / max(1, JOBS)) + 120))

if FILES:
    PARAMS = [pytest.param(p, id=os.path.basename(p)) for p in FILES]
else:
    PARAMS = [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(
        reason=f"no sqllogictest corpus: {CORPUS} does not exist or holds no .test files "
        "(set KINTSUGI_SLT_DIR)"))]


def _baseline_counts() -> tuple[dict[str, int] | None, str]:
    """The counts this run is held to, and what they are."""
    data = runner.load_baseline()
    if EVERY == 1:
        return data.get("full"), "full-run baseline"
    sample = data.get("sample") or {}
    if sample.get("every") != EVERY:
        return None, f"no baseline for a sample of 1 query in {EVERY}"
    return sample.get("counts"), f"sample baseline (1 query in {EVERY})"


def _excluded() -> dict[str, list[int]]:
    """Per file, the query lines the sample leaves out (timed out in the baseline's run)."""
    if EVERY == 1:
        return {}
    return (runner.load_baseline().get("sample") or {}).get("excluded") or {}


class _Batch:
    """Runs every selected file once, `JOBS` at a time, on first use."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: dict[str, runner.FileResult] | None = None

    def get(self, paths: list[str]) -> dict[str, runner.FileResult]:
        with self.lock:
            if self.results is None:
                excluded = _excluded()
                done = runner.run_files(paths, jobs=JOBS, every=EVERY, budget=BUDGET,
                                        wall=WALL, exclude_by_name=excluded)
                self.results = {r.name: r for r in done}
            return self.results


_BATCH = _Batch()


@pytest.fixture(scope="module")
def results(request) -> dict[str, runner.FileResult]:
    selected = [item.callspec.params["path"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")
                and item.callspec.params.get("path")]
    return _BATCH.get(selected or FILES)


@pytest.mark.parametrize("path", PARAMS)
def test_corpus_file_passes_at_least_its_baseline(path, results):
    name = os.path.basename(path)
    res = results[name]
    counts, what = _baseline_counts()
    summary = (f"{name}: {res.passed:,} of {res.records:,} records passed, {res.failed:,} "
               f"failed, {res.skipped:,} skipped, {res.timed_out:,} timed out "
               f"({res.seconds:.1f} s, 1 query in {EVERY})")
    print(summary)
    assert not res.errors, f"{summary}\nworker errors: {res.errors}"
    assert counts is not None, (f"{what}: run `python -m bench.sqllogictest "
                                "--update-baseline` to write tests/sqllogic/baseline.json")
    assert name in counts, (f"{name} has no entry in the {what}: run `python -m "
                            f"bench.sqllogictest --files {name} --update-baseline`")
    expected = counts[name]
    if res.passed > expected:
        print(f"{name}: {res.passed} passed, above the {what} of {expected}: raise it with "
              "`python -m bench.sqllogictest --update-baseline`")
    if res.passed < expected:
        failures = "\n".join(runner.iter_failures(res))
        timeouts = ", ".join(map(str, res.timeouts))
        pytest.fail(f"{summary}\nbelow the {what} of {expected:,} passed\n"
                    f"first failures:\n{failures or '(none)'}\n"
                    f"time-outs at lines: {timeouts or '(none)'}", pytrace=False)
