"""The DDL Jobs tab on real jobs: pause, resume and cancel a throttled index build from the
keys (each behind its confirmation), a refusal in the engine's words, the filters, the full
view of a job, and pictures of each state (running with its bar, paused, cancelled, rolled
back with its error, interrupted by a crash and finished by recovery).

The pictures' database is built once: a child process builds an index and dies at a named
crash point after its second batch (`KINTSUGI_CRASH_AT`), the reopen carries the job on;
then a unique index meets a duplicate, one job is cancelled and one paused, each after
exactly one batch (a per-job throttle leaves 150 ms between steps, so the control lands
before the next).  Times are frozen on the pictures (`ddl_words.FROZEN_TIME`,
`text.FROZEN_SECONDS`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

import core
from core.errors import Error
from core.events import DDLReorgProgress
from tests.tui.conftest import ENGINE_OPTIONS, settle
from tests.tui.test_console import pilot_test
from tui.panes.ddl_screens import DDLControlScreen, DDLJobScreen

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL, WIDE = (80, 24), (120, 40)
SIZES = pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "120x40"])

CRASH_CHILD = """
import core
from core.errors import Error
conn = core.connect({path!r}, database="test", autocommit=True, flush_interval=0)
conn.execute("SET GLOBAL tidb_ddl_reorg_batch_size = 32")
conn.execute("ALTER TABLE c ADD INDEX ic (v)")  # dies in its step's commit: never returns
"""
# started, delete only, write only, write reorganization, batch 1, batch 2: killed after it
CRASH_AT = "ddl.after_step_commit:6"


def _table(conn, name: str, rows: int, *, unique_dup: bool = False) -> None:
    conn.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, v INT, w VARCHAR(10))")
    conn.cursor().executemany(
        f"INSERT INTO {name} VALUES (%s, %s, %s)",
        [(i, i * 7 % 1000, f"w{i % 10 if unique_dup else i}") for i in range(1, rows + 1)])


def _wait(conn, job_id: int, until, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = conn.ddl_job(job_id)
        if until(job):
            return job
        time.sleep(0.005)
    raise AssertionError(f"job {job_id} never got there: {conn.ddl_job(job_id)}")


def _build_crashed(path: str) -> None:
    """Three tables; a child builds `c.ic` and dies after its second batch."""
    conn = core.connect(path, create=True, autocommit=True, **ENGINE_OPTIONS)
    try:
        conn.execute("CREATE TABLE c (id INT PRIMARY KEY, v INT)")
        conn.cursor().executemany("INSERT INTO c VALUES (%s, %s)",
                                  [(i, i % 50) for i in range(1, 301)])
        _table(conn, "t", 600, unique_dup=True)
        _table(conn, "p", 600)
    finally:
        conn.close()
    env = dict(os.environ, KINTSUGI_CRASH_AT=CRASH_AT,
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    child = subprocess.run([sys.executable, "-c", CRASH_CHILD.format(path=path)], env=env,
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == -9, child.stderr  # SIGKILLed at the crash point


def _build(path: str) -> None:
    """The crashed database reopened (the job carried on), then a job for each end."""
    conn = core.connect(path, database="test", autocommit=True, **ENGINE_OPTIONS)
    try:
        conn.wait_ddl(4, 30)  # the crashed job: recovery named it, the worker finishes it
        try:
            conn.execute("ALTER TABLE t ADD UNIQUE INDEX uw (w)")  # 1062: rolled back
        except Error:
            pass
        job = conn.submit_ddl("ALTER TABLE t ADD INDEX iv (v)", batch_size=32, delay_ms=150)
        _wait(conn, job, lambda j: j["ROWS_DONE"] >= 32)
        conn.execute(f"ADMIN CANCEL DDL JOBS {job}")
        try:
            conn.wait_ddl(job, 30)
        except Error:
            pass
        job = conn.submit_ddl("ALTER TABLE p ADD INDEX pv (v)", batch_size=32, delay_ms=150)
        _wait(conn, job, lambda j: j["ROWS_DONE"] >= 32)
        conn.execute(f"ADMIN PAUSE DDL JOBS {job}")
        _wait(conn, job, lambda j: j["STATE"] == "paused")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def _crashed_template(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ddl") / "crashed")
    _build_crashed(path)
    return path


@pytest.fixture(scope="module")
def _jobs_template(_crashed_template, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("ddl") / "jobs")
    shutil.copytree(_crashed_template, path, ignore=shutil.ignore_patterns("LOCK"))
    _build(path)
    return path


@pytest.fixture
def jobs_db(_jobs_template, tmp_path, monkeypatch):
    """Jobs 4 (crashed, finished by recovery), 5 (1062, rolled back), 6 (cancelled after
    one batch), 7 (paused after one batch)."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(_jobs_template, tmp_path / "jobs", ignore=shutil.ignore_patterns("LOCK"))
    return "jobs"


@pytest.fixture
def frozen_jobs(monkeypatch):
    from tui import text
    from tui.panes import ddl_jobs
    from tui.widgets import ddl_words

    monkeypatch.setattr(text, "FROZEN_SECONDS", "12 ms")
    monkeypatch.setattr(ddl_words, "FROZEN_TIME", "2026-01-01 10:00:00")
    monkeypatch.setattr(ddl_jobs, "SAFETY_NET", 3600.0)  # no read replaces what is pictured


async def _until(pilot, check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never: {what}")


async def _select(pilot, job_id: int) -> None:
    pane = pilot.app.pane("ddl")
    await _until(pilot, lambda: job_id in pane.shown, f"job {job_id} listed")
    pane.query_one("#jobs").move_cursor(row=pane.shown.index(job_id), animate=False)
    await pilot.pause()


def _state(app, job_id: int) -> str:
    job = app.pane("ddl").board.job(job_id)
    return job.state if job else ""


# -- a real job, from the keys ---------------------------------------------------------------


@pilot_test
async def test_pause_resume_and_cancel_a_running_job(make_app, jobs_db):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        conn = core.connect(jobs_db, database="test", autocommit=True)  # the app's engine
        try:
            conn.execute("CREATE TABLE big (id INT PRIMARY KEY, v INT)")
            conn.cursor().executemany("INSERT INTO big VALUES (%s, %s)",
                                      [(i, i % 97) for i in range(1, 3001)])
        finally:
            conn.close()
        job = app.backend.submit_ddl("ALTER TABLE big ADD INDEX bv (v)", batch_size=16,
                                     delay_ms=40)
        pane = app.pane("ddl")
        await _until(pilot, lambda: (pane.board.job(job) or None) is not None
                     and pane.board.job(job).rows_done > 0, "progress from the events")
        assert job in pane.query_one("DDLProgress").show(pane.board.unfinished(), {})
        await _select(pilot, job)

        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, DDLControlScreen)
        said = app.screen.text()
        assert f"Pause job {job} (add index bv on test.big, write reorganization" in said
        assert "keeps its checkpoint" in said
        await pilot.press("y")
        await _until(pilot, lambda: _state(app, job) == "paused", "paused")
        done = pane.board.job(job).rows_done
        await pilot.pause(0.3)
        assert conn_rows(jobs_db, job) == done  # it stays where it stopped

        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, DDLControlScreen)
        assert "carries on from its checkpoint" in app.screen.text()
        await pilot.press("y")
        await _until(pilot, lambda: _state(app, job) == "running"
                     and pane.board.job(job).rows_done > done, "resumed, moving")

        await pilot.press("x")
        await pilot.pause()
        said = app.screen.text()
        assert f"Cancel job {job} (add index bv on test.big" in said
        assert "the entries written so far are deleted" in said
        await pilot.press("y")
        await _until(pilot, lambda: _state(app, job) == "cancelled", "cancelled")
        await settle(pilot)
        (big,) = [t for t in app.backend.indexes() if t.table == "big"]
        assert [ix[0] for ix in big.indexes] == ["PRIMARY"]  # the index is gone


def conn_rows(path: str, job_id: int) -> int:
    conn = core.connect(path, autocommit=True)
    try:
        return conn.ddl_job(job_id)["ROWS_DONE"]
    finally:
        conn.close()


@pilot_test
async def test_no_is_the_default_and_changes_nothing(make_app, jobs_db):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _select(pilot, 7)
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, DDLControlScreen)
        await pilot.press("enter")  # the focused button: don't resume
        await settle(pilot)
        assert _state(app, 7) == "paused"


@pilot_test
async def test_a_refusal_shows_the_engines_text_without_asking(make_app, jobs_db):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await _select(pilot, 4)  # synced
        await pilot.press("x")
        await settle(pilot)
        assert not isinstance(app.screen, DDLControlScreen)
        pane = app.pane("ddl")
        assert "error: [ddl:8225]This job:4 is finished, so can't be cancelled" in \
            pane.outcome[1]
        assert "nothing left to cancel" in pane.outcome[1]
        await pilot.press("u")
        await settle(pilot)
        assert "[ddl:8261]Job [4] can't be resumed: job has not been paused" in pane.outcome[1]
        await _select(pilot, 7)  # paused already
        await pilot.press("p")
        await settle(pilot)
        assert "[ddl:8262]Job [7] has already been paused" in pane.outcome[1]
        assert "Job 7" in str(pane.query_one("#ddl-detail-text").render())


# -- filters and the full view ----------------------------------------------------------------


@pilot_test
async def test_the_state_filter_and_the_word_filter(make_app, jobs_db):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        assert pane.shown[:4] == [7, 6, 5, 4]
        await pilot.press("s")  # unfinished
        assert pane.shown == [7]
        await pilot.press("s")  # paused
        assert pane.shown == [7]
        await pilot.press("s")  # failed
        assert pane.shown == [6, 5]
        assert "showing 2" in str(pane.query_one("#jobs-summary").render())
        await pilot.press("s", "s")  # synced, then all again
        assert pane.board.state_filter_name == "all"
        await pilot.press("slash")
        for key in "test.p ":
            await pilot.press("space" if key == " " else ("full_stop" if key == "." else key))
        assert pane.shown == [7, 3]  # the paused index build and the table's creation
        await pilot.press("escape")
        assert app.focused is pane.query_one("#jobs")
        await pilot.press("p")  # a key of the list again, not the filter's
        await pilot.pause()
        assert isinstance(app.screen, DDLControlScreen) or "8262" in pane.outcome[1]


@pilot_test
async def test_the_full_view_of_a_job_interrupted_by_a_crash(make_app, jobs_db):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _select(pilot, 4)
        await settle(pilot)
        box = str(app.pane("ddl").query_one("#ddl-detail-text").render())
        assert "Interrupted by a crash (case index): rolled forward" in box
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DDLJobScreen)
        text = app.screen.text()
        for step in ("queued", "started", "delete only", "write only", "write reorganization",
                     "interrupted by a crash", "public", "synced"):
            assert f"  {step}" in text, step
        assert "backfill at row 64 of ~300" in text
        await pilot.press("escape")
        await _select(pilot, 5)
        await pilot.press("enter")
        await settle(pilot)
        text = app.screen.text()
        assert "ERROR 1062 (23000): Duplicate entry" in text
        assert "Failed and rolled back" in text


@pilot_test
async def test_a_crash_recovered_in_the_consoles_recovery_process_is_named(
        make_app, _crashed_template, tmp_path):
    # the console recovers in a child process: its own open is a clean one, and the job is
    # still named as interrupted by the crash (the recovery ran after its last step)
    path = str(tmp_path / "crashed")
    shutil.copytree(_crashed_template, path, ignore=shutil.ignore_patterns("LOCK"))
    app = make_app(path, database="test", initial_tab="ddl", recover_in_child=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.recovered
        pane = app.pane("ddl")
        await _until(pilot, lambda: _state(app, 4) == "synced", "the job finished")
        await settle(pilot)
        assert pane.board.job(4).crash_case == "index"
        assert "interrupted by a crash (job 4)" in str(pane.query_one("#jobs-summary").render())


# -- pictures ----------------------------------------------------------------------------------


def _before(*keys: str, job: int | None = None, running: bool = False):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pane = pilot.app.pane("ddl")
        if running:  # job 7 caught while it runs: its state and a progress event, as they come
            from dataclasses import replace

            pane.board._replace(replace(pane.board.job(7), state="running"))
            pane.engine_events([DDLReorgProgress(7, "p", "backfill", 384, 600, 1_250.0, 0.2)])
            await pilot.pause(0.1)
        if job is not None:
            pane.query_one("#jobs").move_cursor(row=pane.shown.index(job), animate=False)
            await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@SIZES
def test_picture_running_with_progress(snap_compare, make_app, jobs_db, frozen_jobs, size):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=size, run_before=_before(job=7, running=True))


@SIZES
def test_picture_paused(snap_compare, make_app, jobs_db, frozen_jobs, size):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=size, run_before=_before(job=7))


def test_picture_cancelled(snap_compare, make_app, jobs_db, frozen_jobs):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=SMALL, run_before=_before(job=6))


def test_picture_rolled_back_with_its_error(snap_compare, make_app, jobs_db, frozen_jobs):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=WIDE, run_before=_before("enter", job=5))


@SIZES
def test_picture_interrupted_by_a_crash(snap_compare, make_app, jobs_db, frozen_jobs, size):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=size, run_before=_before("enter", job=4))


def test_picture_cancel_confirmation(snap_compare, make_app, jobs_db, frozen_jobs):
    app = make_app(jobs_db, database="test", initial_tab="ddl")
    assert snap_compare(app, terminal_size=SMALL, run_before=_before("x", job=7))


def test_picture_in_the_16_colour_theme(snap_compare, make_app, jobs_db, frozen_jobs):
    from dataclasses import replace

    from tui.config import load

    app = make_app(jobs_db, database="test", initial_tab="ddl",
                   settings=replace(load(), theme="ansi-dark"))
    assert snap_compare(app, terminal_size=SMALL, run_before=_before(job=7, running=True))


@pilot_test
async def test_the_help_screen_lists_the_tabs_keys(make_app, jobs_db):
    from tui.screens import HelpScreen

    app = make_app(jobs_db, database="test", initial_tab="ddl")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {k for heading, k, _help in app.screen.lines if heading == "DDL Jobs tab"}
        assert {"Enter", "x", "p", "u", "r", "f", "/", "s", "F5"} <= keys


def test_the_backend_lists_steps_controls_and_submits(jobs_db):
    from tui.backend import EmbeddedBackend
    from tui.backend.base import BackendError

    backend = EmbeddedBackend(jobs_db, database="test", recover_in_child=False,
                              **ENGINE_OPTIONS)
    backend.open(lambda e: None)
    try:
        assert backend.IMPLEMENTS_DDL_CONTROL
        jobs = {j.job_id: j for j in backend.ddl_job_list()}
        assert (jobs[7].state, jobs[7].paused_by, jobs[7].rows_done, jobs[7].rows_total) == \
            ("paused", "user", 32, 600)
        assert jobs[5].error.startswith("ERROR 1062 (23000)") and jobs[4].crash_case == "index"
        steps = backend.ddl_job_steps(4)
        assert [s.seq for s in steps] == sorted(s.seq for s in steps)
        crash = next(s for s in steps if s.step == "interrupted by a crash")
        assert crash.detail.startswith("case index: rolled forward")
        assert backend.control_ddl_job("resume", 4).startswith("error: [ddl:8261]")
        assert backend.control_ddl_job("cancel", 99) == "error: [ddl:8224]DDL Job:99 not found"
        with pytest.raises(BackendError) as bad:
            backend.control_ddl_job("drop", 4)
        assert bad.value.errno == 1064
        job = backend.submit_ddl("ALTER TABLE c DROP INDEX ic")
        assert job > 7 and backend.ddl_job_steps(job)[0].step == "queued"
        with pytest.raises(BackendError) as bad:
            backend.submit_ddl("ALTER TABLE nope ADD INDEX i (v)")
        assert bad.value.errno == 1146
    finally:
        backend.close()


# -- the model and its words, without a screen ------------------------------------------------


def _job(job_id: int, state: str, **kw):
    from tui.backend.base import DDLJobInfo

    base = dict(db_name="shop", table_name="orders", job_type="add index",
                schema_state="write reorganization", query="ALTER TABLE orders ADD INDEX idx_b (b)")
    return DDLJobInfo(job_id, state=state, **{**base, **kw})


def test_events_move_jobs_in_place_and_ask_for_a_read_when_needed():
    from core.events import DDLJobChanged, DDLJobRepaired, JobState, SchemaState
    from tui.widgets.ddl_board import DDLBoard

    board = DDLBoard()
    board.load([_job(1, "synced"), _job(2, "running", rows_total=1000)])
    changed, reread = board.note([DDLReorgProgress(2, "orders", "backfill", 410, 1000, 50.0,
                                                   11.8)])
    assert changed == {2} and not reread
    assert (board.job(2).rows_done, board.job(2).progress, board.rate(2)) == (410, 0.41, 50.0)
    changed, reread = board.note([DDLJobChanged(2, "add index", "shop", "orders",
                                                JobState.PAUSED, SchemaState.WRITE_REORGANIZATION,
                                                "paused")])
    assert changed == {2} and reread and board.job(2).state == "paused"
    assert board.note([DDLReorgProgress(3, "t", "backfill", 1, 2)]) == (set(), True)  # new job
    assert board.note([DDLJobRepaired(2, "add index", "orders", "index", "left paused")])[1]
    board.cycle_state_filter()  # unfinished
    assert [j.job_id for j in board.shown()] == [2]
    board.cycle_state_filter()
    board.cycle_state_filter()
    board.cycle_state_filter()  # synced
    assert [j.job_id for j in board.shown()] == [1]
    board.state_filter, board.text_filter = 0, "shop.orders 2"
    assert [j.job_id for j in board.shown()] == [2]


def test_the_words_of_a_confirmation_and_of_a_refusal():
    from tui.widgets import ddl_words as w

    running = _job(12, "running", progress=0.414, rows_total=1000, rows_done=414)
    assert w.question("cancel", running) == \
        "Cancel job 12 (add index idx_b on shop.orders, write reorganization, 41%)?"
    assert "the table stays as it was" in w.consequences("cancel", running)[0]
    assert w.refusal("cancel", running) == "" and w.refusal("resume", running)
    assert w.refusal("cancel", _job(3, "synced")) == "finished"
    assert w.refusal("pause", _job(3, "rollingback"))
    assert w.percent(_job(4, "running", progress=0.999)) == "99%"  # never 100% before the end
    ok, said = w.answer_words("pause", running, "successful")
    assert ok and "stops after the step it is in" in said
    ok, said = w.answer_words("cancel", _job(3, "synced"),
                              "error: [ddl:8225]This job:3 is finished, so can't be cancelled")
    assert not ok and "ADMIN CANCEL DDL JOBS 3 refused: error: [ddl:8225]" in said
    assert "nothing left to cancel" in said
    assert w.target(_job(5, "synced", job_type="drop index",
                         query="ALTER TABLE orders DROP INDEX idx_b")) == \
        "drop index idx_b on shop.orders"


@pilot_test
async def test_a_multi_schema_change_is_one_row(make_app, tmp_path):
    """An ALTER TABLE with several actions is one job; its `/* subjob */` rows (same JOB_ID
    in information_schema) are not rows of the list (they made the table's keys collide)."""
    path = str(tmp_path / "ms")
    conn = core.connect(path, create=True, autocommit=True)
    try:
        conn.cursor().execute("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
        conn.cursor().execute("ALTER TABLE t ADD COLUMN c INT, ADD INDEX ib (b)")
    finally:
        conn.close()
    app = make_app(path, database="test", initial_tab="ddl")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane = app.pane("ddl")
        assert pane.shown == [2, 1]
        await pilot.press("s", "s", "s", "s", "s")  # every filter, and back to all
        await pilot.pause()
        assert pane.shown == [2, 1]
        assert "2 jobs" in str(pane.query_one("#jobs-summary").render())
