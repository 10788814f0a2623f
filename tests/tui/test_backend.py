"""The console's adapter over the engine: streaming, errors with codes, cancellation."""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from core.events import DatabaseOpened, GCRoundFinished
from core.events.wording import format_event
from tui.backend import (
    ACCEPTED,
    TOO_LATE,
    BackendError,
    Columns,
    EmbeddedBackend,
    Outcome,
    Rows,
    check_directory,
)


@pytest.fixture
def backend(tmp_path):
    b = EmbeddedBackend(str(tmp_path / "db"), create=True, flush_interval=0)
    events = []
    b.open(events.append)
    b.events = events
    yield b
    b.close()


def run(b, sql):
    return list(b.execute(sql))


def fill(b, n=300):
    run(b, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))")
    run(b, "INSERT INTO t VALUES " + ",".join(f"({i}, 'v{i}')" for i in range(n)))


def cancel_after(b, seconds):
    """Cancel from another thread after `seconds`; the answers land in the returned list."""
    answers = []

    def go():
        time.sleep(seconds)
        answers.append(b.cancel())

    threading.Thread(target=go, daemon=True).start()
    return answers


def test_open_reports_events_and_session(backend):
    # the engine's own objects (a new database's first GC round may report itself too)
    opened = [e for e in backend.events if not isinstance(e, GCRoundFinished)]
    assert [type(e) for e in opened] == [DatabaseOpened]
    assert format_event(opened[0]).startswith("Database ")
    state = backend.session_state()
    assert state.database == "test" and not state.in_transaction


def test_a_query_streams_columns_then_chunks_then_the_outcome(backend):
    fill(backend, 5_000)
    parts = run(backend, "SELECT * FROM t ORDER BY id")
    assert isinstance(parts[0], Columns) and parts[0].names == ["id", "v"]
    chunks = [p for p in parts if isinstance(p, Rows)]
    assert len(chunks) >= 2  # streamed, not one materialised block
    assert sum(len(c.rows) for c in chunks) == 5_000
    assert chunks[0].rows[0] == (0, "v0")
    assert isinstance(parts[-1], Outcome) and parts[-1].rowcount == 5_000
    # the first rows of 25 million come at once: the plan is read as it runs
    t0 = time.monotonic()
    stream = backend.execute("SELECT a.id, b.id FROM t a, t b")
    assert isinstance(next(stream), Columns) and len(next(stream).rows) > 0
    assert time.monotonic() - t0 < 2
    stream.close()  # abandoned: the rest is discarded, the session stays usable
    assert run(backend, "SELECT COUNT(*) FROM t")[1].rows == [(5_000,)]


def test_errors_carry_mysql_codes(backend):
    with pytest.raises(BackendError) as e:
        run(backend, "SELECT * FROM nowhere")
    assert (e.value.errno, e.value.sqlstate) == (1146, "42S02")
    assert str(e.value) == "ERROR 1146 (42S02): Table 'test.nowhere' doesn't exist"
    fill(backend, 3)
    with pytest.raises(BackendError) as e:
        run(backend, "INSERT INTO t VALUES (1, 'dup')")
    assert e.value.errno == 1062
    assert run(backend, "SELECT COUNT(*) FROM t")[1].rows == [(3,)]


def test_cancel_stops_a_cross_join_promptly(backend):
    fill(backend, 1_000)
    answers = cancel_after(backend, 0.2)
    t0 = time.monotonic()
    with pytest.raises(BackendError) as e:
        run(backend, "SELECT COUNT(*) FROM t a, t b, t c")  # 10^9 rows
    assert e.value.interrupted and e.value.errno == 1317
    assert time.monotonic() - t0 < 2
    assert [a.accepted for a in answers] == [True]
    assert run(backend, "SELECT COUNT(*) FROM t")[1].rows == [(1_000,)]  # still usable


def test_a_cancelled_update_is_rolled_back(backend):
    fill(backend, 1_000)
    cancel_after(backend, 0.2)
    with pytest.raises(BackendError) as e:
        run(backend, "UPDATE t SET v = 'changed' WHERE id IN (SELECT id FROM "
                     "(SELECT a.id FROM t a, t b, t c WHERE a.id = b.id + c.id) AS d)")
    assert e.value.interrupted
    assert run(backend, "SELECT COUNT(*) FROM t WHERE v = 'changed'")[1].rows == [(0,)]
    assert not backend.session_state().in_transaction


def test_settled_statements_refuse_a_late_cancel(backend):
    fill(backend, 3)
    parts = run(backend, "UPDATE t SET v = 'x'")
    assert parts[-1].rowcount == 3
    assert backend.cancel() == TOO_LATE
    assert run(backend, "SELECT COUNT(*) FROM t WHERE v = 'x'")[1].rows == [(3,)]


def test_cancel_before_commit_never_reports_success(backend):
    """The decision is made once: a cancel that is accepted means no Outcome and nothing
    changed; one that is not means the statement stands, whenever it lands."""
    fill(backend, 10)
    rng = random.Random(8)
    for i in range(30):
        answers = cancel_after(backend, rng.uniform(0, 0.004))
        try:
            parts = run(backend, f"UPDATE t SET v = 'x{i}' WHERE id < 5")
        except BackendError as e:
            assert e.interrupted
            parts = None
        while not answers:
            time.sleep(0.001)
        changed = run(backend, f"SELECT COUNT(*) FROM t WHERE v = 'x{i}'")[1].rows[0][0]
        if answers[0].accepted:
            assert parts is None and changed == 0
        else:
            assert isinstance(parts[-1], Outcome) and changed == 5


def test_an_online_ddl_is_cancelled_with_its_job(backend):
    """Esc on a running CREATE INDEX: the engine cancels its job, which rolls back; the
    statement fails with 1317 and the table is as it was."""
    fill(backend, 20_000)
    done = threading.Event()
    errors = []

    def ddl():
        try:
            run(backend, "CREATE INDEX idx_v ON t (v)")
        except BackendError as err:
            errors.append(err)
        done.set()

    answer = TOO_LATE
    threading.Thread(target=ddl, daemon=True).start()
    while not done.is_set() and answer != ACCEPTED:
        answer = backend.cancel()
    assert answer == ACCEPTED
    assert done.wait(30)
    assert [e.errno for e in errors] == [1317]
    (t,) = backend.indexes()
    assert [ix[0] for ix in t.indexes] == ["PRIMARY"]


def test_explicit_transactions_span_statements(backend):
    fill(backend, 2)
    run(backend, "BEGIN")
    assert backend.session_state().in_transaction
    run(backend, "DELETE FROM t")
    run(backend, "ROLLBACK")
    assert run(backend, "SELECT COUNT(*) FROM t")[1].rows == [(2,)]


def test_introspection_for_the_panes(backend):
    fill(backend, 2)
    run(backend, "CREATE INDEX idx_v ON t (v)")
    info = backend.database_info()
    assert info.end_lsn >= info.checkpoint_lsn > 0
    assert [ts.name for ts in info.tablespaces] == ["system (dictionary)", "test.t"]
    jobs = backend.ddl_jobs()
    assert "JOB_ID" in jobs.names and len(jobs.rows) >= 2
    (t,) = backend.indexes()
    assert [ix[0] for ix in t.indexes] == ["PRIMARY", "idx_v"]
    assert backend.catalog().columns("t") == ["id", "v"]


def test_the_recovery_history_and_an_engine_without_one(backend, monkeypatch):
    info = backend.database_info()
    assert info.force_recovery == 0 and info.recovery is None  # a new database: no recovery
    assert not backend.session_state().read_only
    history = backend.recovery_history()
    assert "OUTCOME" in history.names and history.rows == [] and history.note == ""

    def no_such_table(sql):
        raise BackendError(1146, "42S02", "Table 'information_schema.RECOVERY_HISTORY' "
                           "doesn't exist")

    monkeypatch.setattr(backend, "_meta_query", no_such_table)
    history = backend.recovery_history()  # an older engine: empty, and says why
    assert history.rows == [] and "RECOVERY_HISTORY" in history.note


def test_check_directory_fails_fast_with_the_engine_wording(tmp_path):
    with pytest.raises(BackendError) as e:
        check_directory(str(tmp_path / "none"))
    assert e.value.errno == 1049 and "does not exist" in e.value.msg
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendError) as e:
        check_directory(str(tmp_path / "empty"))  # not "no such directory"
    assert e.value.errno == 1049 and "not a KintsugiDB database" in e.value.msg
    check_directory(str(tmp_path / "new"), create=True)  # --create: fine
    b = EmbeddedBackend(str(tmp_path / "db"), create=True, flush_interval=0)
    b.open(lambda e: None)
    try:
        with pytest.raises(BackendError) as e:
            check_directory(str(tmp_path / "db"))
        assert e.value.errno == 1030 and f"process {os.getpid()}" in e.value.msg
    finally:
        b.close()
    check_directory(str(tmp_path / "db"))  # free again
