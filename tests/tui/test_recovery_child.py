"""Crash recovery in a child process (`tui.backend.recovery_process`, `core.recovery_child`),
as `kintsugi DIR` runs it: the same events in the same order as a recovery in the console's
own process, the child's errors with their MySQL codes, the database held by another
process named, and the Recovery tab showing the same log either way."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

import pytest

from core.events import DatabaseOpened, EventLog, RecoveryFinished, TransactionDiscarded
from tests.tui.conftest import ENGINE_OPTIONS, settle
from tests.tui.test_console import pilot_test
from tui.backend.base import BackendError
from tui.backend.embedded import EmbeddedBackend

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARYING = {"path", "segment", "seconds"}  # the copy's directory, the time it took


def _open(path: str, in_child: bool) -> tuple[EventLog, EmbeddedBackend]:
    log = EventLog()
    backend = EmbeddedBackend(path, database="shop", recover_in_child=in_child,
                              **ENGINE_OPTIONS)
    backend.open(log)
    return log, backend


def _plain(e) -> tuple:
    return (type(e).__name__, *(getattr(e, f.name) for f in dataclasses.fields(e)
                                if f.name not in VARYING))


def test_the_child_sends_the_events_of_an_in_process_recovery_in_order(crashed_db):
    shutil.copytree(crashed_db, "twin", ignore=shutil.ignore_patterns("LOCK"))
    child_log, child = _open(crashed_db, in_child=True)
    own_log, own = _open("twin", in_child=False)
    try:
        assert [_plain(e) for e in child_log.events] == [_plain(e) for e in own_log.events]
        assert len(child_log.of(TransactionDiscarded)) == 1  # the open transaction
        opened = child_log.of(DatabaseOpened)
        assert len(opened) == 1 and not opened[0].clean  # one open, which recovered
        # the recovery ran in the child, and its record reached this process
        assert child._child_record is not None and own._child_record is None
        finished = child_log.of(RecoveryFinished)[0]
        record = child.database_info().recovery
        assert record is not None and record.records_applied == finished.applied_records
        assert own.database_info().recovery is not None
        assert child.session_state().database == "shop"
        rows = list(child.execute("SELECT COUNT(*) FROM orders"))[1].rows
        assert rows == list(own.execute("SELECT COUNT(*) FROM orders"))[1].rows
    finally:
        child.close()
        own.close()


def test_an_error_in_the_child_reaches_the_console_with_its_code(damaged_db):
    with pytest.raises(BackendError) as in_child:
        _open(damaged_db, in_child=True)
    with pytest.raises(BackendError) as in_process:
        _open(damaged_db, in_child=False)
    assert in_child.value.errno == 1877
    assert (in_child.value.errno, in_child.value.sqlstate, in_child.value.msg,
            in_child.value.hint) == (in_process.value.errno, in_process.value.sqlstate,
                                     in_process.value.msg, in_process.value.hint)
    assert "--force-recovery" in in_child.value.hint  # the CLI's words, not the API's


def test_a_database_held_by_another_process_is_named(crashed_db):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import core, sys; c = core.connect(sys.argv[1], database=None);"
         " print('open', flush=True); sys.stdin.read()", crashed_db],
        cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": REPO}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(BackendError) as err:
            _open(crashed_db, in_child=True)
        assert err.value.errno == 1030 and str(holder.pid) in err.value.msg
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_forced_opens_stay_in_this_process(damaged_db):
    backend = EmbeddedBackend(damaged_db, force_recovery=1)
    assert not backend.recover_in_child  # the redo is replayed in memory: here, or nowhere
    assert EmbeddedBackend(damaged_db).recover_in_child


@pilot_test
async def test_the_recovery_tab_shows_the_same_log_either_way(make_app, crashed_db, frozen,
                                                              tmp_path, monkeypatch):
    twin = tmp_path / "twin"
    twin.mkdir()
    shutil.copytree(crashed_db, twin / "shop", ignore=shutil.ignore_patterns("LOCK"))
    shown = []
    for where, in_child in ((tmp_path, True), (twin, False)):
        monkeypatch.chdir(where)  # both typed as "shop": the same paths on screen
        app = make_app("shop", initial_tab="recovery", recover_in_child=in_child)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            pane = app.pane("recovery")
            assert app.ready and app.open_state.recovered and not app.open_state.clean
            shown.append((pane.log.shown_text(), pane.query_one("BatchList").shown_text(),
                          str(pane.query_one("#recovery-state").render()),
                          [type(e).__name__ for e in pane.events]))
    assert shown[0] == shown[1]
    assert "Rolling back trx with id" in shown[0][0]


def test_a_child_killed_mid_recovery_is_recovered_in_this_process(crashed_db):
    """SIGKILL of the child at its first event: recovery is crash-safe, so this process
    recovers what is left and says why, in a [Warning] line."""
    import signal

    from core.events import RecoveryStarted, RecoveryWarning

    backend = EmbeddedBackend(crashed_db, database="shop", **ENGINE_OPTIONS)
    log = EventLog()
    killed = []

    def sink(e) -> None:
        if not killed and backend._child is not None:
            os.kill(backend._child.proc.pid, signal.SIGKILL)
            killed.append(backend._child.proc)
        log(e)

    try:
        backend.open(sink)
        if killed[0].wait() == 0:
            pytest.skip("the child had finished before the kill landed")
        warnings = log.of(RecoveryWarning)
        assert len(warnings) == 1 and "killed by signal 9" in warnings[0].message
        assert backend._child_record is None  # this process recovered
        assert backend.database_info().recovery is not None
        assert log.of(RecoveryStarted)  # its own recovery, after the child's first event
        assert not log.of(DatabaseOpened)[-1].clean
    finally:
        backend.close()
