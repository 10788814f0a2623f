"""The Backups tab on real databases: the binlog files and the timeline of a real binlog;
a backup taken with `b`, verified with `v`; a DROP TABLE selected in the timeline, `r`,
confirmed: the restore runs in a worker and the new directory has the table back (with
its rows and indexes) and none of the changes after the drop; the refusals (no backup
older than the transaction, a damaged backup, a directory that exists) in words with their
codes; "open it now" hands the directory to the command line, which reopens on it.

Each test builds its database in its own directory, with a fixed database uuid and a
frozen clock (the GTIDs and times on the pictures are the same on every run).
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

import core
from tests.tui.conftest import ENGINE_OPTIONS, FROZEN_EPOCH, settle
from tests.tui.test_console import pilot_test
from tui.backend.base import Backend, BackendError, BackupInfo, TimelineEntry
from tui.panes.backup_screens import (
    BackupDestScreen,
    OpenRestoredScreen,
    RestoreScreen,
    dest_problem,
)
from tui.widgets import backup_words as words

SMALL, WIDE = (80, 24), (120, 40)
UUID = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
BACKUP = os.path.join("db-backups", "20260101-100000")


def _build(path: str, monkeypatch, *, backup: bool = True) -> None:
    """orders (30 rows, idx_customer) and notes; a backup (after 5 transactions); then
    an update, the mistake (DROP TABLE orders), and two inserts into notes after it."""
    monkeypatch.setattr(uuid, "uuid4", lambda: UUID)
    monkeypatch.setattr(time, "time", lambda: FROZEN_EPOCH)
    conn = core.connect(path, create=True, database="test", autocommit=True, **ENGINE_OPTIONS)
    try:
        conn.execute("CREATE TABLE orders (id INT PRIMARY KEY, customer INT, total INT, "
                     "KEY idx_customer (customer))")
        conn.execute("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(40))")
        conn.cursor().executemany("INSERT INTO orders VALUES (%s, %s, %s)",
                                  [(i, i % 7, i * 10) for i in range(1, 21)])
        conn.execute("INSERT INTO notes VALUES (1, 'before the backup')")
        conn.cursor().executemany("INSERT INTO orders VALUES (%s, %s, %s)",
                                  [(i, i % 7, i * 10) for i in range(21, 31)])
        if backup:
            core.backup_database(path, BACKUP)
        conn.execute("UPDATE orders SET total = 0 WHERE id <= 3")  # after it: replayed
        conn.execute("DROP TABLE orders")  # the mistake
        conn.execute("INSERT INTO notes VALUES (2, 'after the drop')")
        conn.execute("INSERT INTO notes VALUES (3, 'later still')")
    finally:
        conn.close()
    monkeypatch.undo()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        _build("db", mp)
    return "db"


@pytest.fixture
def db_no_backup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        _build("db", mp, backup=False)
    return "db"


@pytest.fixture
def frozen_times(monkeypatch):
    from tui import text

    monkeypatch.setattr(text, "FROZEN_SECONDS", "12 ms")
    monkeypatch.setattr(words, "FROZEN_TIME", "2026-01-01 10:00:00")


async def _until(pilot, check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never: {what}")


async def _select(pilot, ddl: str) -> None:
    pane = pilot.app.pane("backups")
    await _until(pilot, lambda: any(t.ddl == ddl for t in pane.rows), f"{ddl} listed")
    row = next(i for i, t in enumerate(pane.rows) if t.ddl == ddl)
    pane.query_one("#timeline").move_cursor(row=row, animate=False)
    await pilot.pause()


def _detail(app) -> str:
    return str(app.pane("backups").query_one("#tx-detail").render())


# -- the words, without a database ----------------------------------------------------------


def _entry(seq: int, ddl: str | None = None, tables=()):
    return TimelineEntry(f"{UUID}:{seq}", seq, FROZEN_EPOCH + seq, "binlog.000001",
                              4 + seq, 5 + seq, ddl, "test" if ddl else None, tables)


def _backup(path: str, last: int, verified: str = ""):
    return BackupInfo(path, "db", FROZEN_EPOCH + last, FROZEN_EPOCH + last, 100 * last,
                           f"{UUID}:1-{last}", "binlog.000001", 10, 1_000, 3, verified)


def test_a_gtid_set_is_read_from_its_text():
    assert words.gtid_set(f"{UUID}:1-5:7,AB:3") == {str(UUID): [(1, 5), (7, 7)],
                                                     "ab": [(3, 3)]}
    assert words.holds(f"{UUID}:1-5:7", f"{UUID}:7")
    assert not words.holds(f"{UUID}:1-5:7", f"{UUID}:6")
    assert not words.holds("", f"{UUID}:1")


def test_the_plan_starts_from_the_newest_backup_taken_before_the_transaction():
    timeline = [_entry(i) for i in range(1, 9)] + [_entry(9, "DROP TABLE orders"),
                                                   _entry(10)]
    old, new, late = _backup("b1", 3), _backup("b2", 6), _backup("b3", 10)
    plan = words.plan_restore(timeline[8], [old, new, late], timeline, "dest")
    assert plan.backup is new and plan.replay == 2 and plan.last.seq == 8  # 7 and 8
    assert plan.stop_gtid == f"{UUID}:9"
    # a damaged backup is never chosen: the older one is, with more to replay
    damaged = _backup("b2", 6, verified="data.kdb: checksum mismatch")
    plan = words.plan_restore(timeline[8], [old, damaged], timeline, "dest")
    assert plan.backup is old and plan.replay == 5
    # every backup holds the transaction: refused, in words, with a code
    plan = words.plan_restore(timeline[1], [old, new], timeline, "dest")
    assert plan.backup is None and plan.errno == 1105
    assert "every backup was taken after it" in plan.refusal
    assert "there is no backup" in words.plan_restore(timeline[1], [], timeline, "d").refusal


def test_a_purged_binlog_after_the_backup_is_refused_before_anything_runs():
    timeline = [_entry(i) for i in (1, 2, 3, 7, 8)]  # 4-6: their file was purged
    plan = words.plan_restore(timeline[4], [_backup("b1", 3)], timeline, "d")
    assert plan.errno == 1236 and f"{UUID}:4-6 are in no binlog file" in plan.refusal
    # only the newest part of the binlog listed: the engine decides
    plan = words.plan_restore(timeline[4], [_backup("b1", 3)], timeline, "d", complete=False)
    assert plan.backup is not None and not plan.refusal
    # a backup taken after the gap needs nothing purged
    assert not words.plan_restore(timeline[4], [_backup("b2", 6)], timeline, "d").refusal


def test_mistakes_are_drops_truncates_and_large_deletes():
    assert words.is_mistake(_entry(1, "DROP TABLE orders"))
    assert words.is_mistake(_entry(1, "  truncate table carts"))
    assert not words.is_mistake(_entry(1, "CREATE TABLE t (a INT)"))
    assert words.is_mistake(_entry(1, tables=(("test.t", 0, 0, 500),)))
    assert not words.is_mistake(_entry(1, tables=(("test.t", 3, 1, 500),)))
    assert words.changes(_entry(1, tables=(("test.t", 3, 1, 2),))) == "test.t +3 ~1 -2"


def test_a_restore_goes_into_a_new_directory(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    (tmp_path / "empty").mkdir()
    assert "exists and is not empty" in dest_problem(str(tmp_path / "full"))
    assert dest_problem(str(tmp_path / "empty")) == ""
    assert dest_problem(str(tmp_path / "new")) == ""
    assert dest_problem("  ") == "Give a directory."


# -- the tab on a real database -------------------------------------------------------------


@pilot_test
async def test_the_tab_shows_the_binlog_files_and_the_timeline(make_app, db_no_backup):
    app = make_app(db_no_backup, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        pane = app.pane("backups")
        assert [f.name for f in pane.data.files] == ["binlog.000001"]
        assert pane.data.files[0].transactions == 9
        ddl = [t.ddl for t in pane.rows if t.ddl]
        assert ddl[0] == "DROP TABLE orders"  # newest first
        first = pane.rows[-1]
        assert first.gtid == f"{UUID}:1" and first.ddl.startswith("CREATE TABLE orders")
        inserts = [t for t in pane.rows if t.tables == (("test.orders", 20, 0, 0),)]
        assert len(inserts) == 1
        summary = str(pane.query_one("#backups-summary").render())
        assert "9 transactions, 1 marked !" in summary
        await _select(pilot, "DROP TABLE orders")
        assert "DROP TABLE orders" in _detail(app)


@pilot_test
async def test_r_without_an_older_backup_is_refused_in_words(make_app, db_no_backup):
    app = make_app(db_no_backup, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _select(pilot, "DROP TABLE orders")
        await pilot.press("r")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, RestoreScreen)
        said = _detail(app)
        assert said.startswith("r refused: ERROR ")
        assert "ERROR 1105" in said and "there is no backup of this database" in said


@pilot_test
async def test_restore_to_just_before_a_drop(make_app, db):
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        pane = app.pane("backups")
        assert [words.shown(b.path) for b in pane.data.backups] == [BACKUP]
        await _select(pilot, "DROP TABLE orders")
        assert "r: from the backup of" in _detail(app) and "+ 1 transaction" in _detail(app)
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the confirmation")
        text = app.screen.text()
        assert f"From the backup {BACKUP}" in text
        assert "Then replays 1 transaction of the binary log, up to just before this one " \
            f"({words.short_gtid(f'{UUID}:7')})" in text
        dest = app.screen.dest()
        assert dest.startswith("db-restored-")
        await pilot.press("y")
        await _until(pilot, lambda: isinstance(app.screen, OpenRestoredScreen),
                     "the restore's end", timeout=60)
        assert pane.last_restore == dest
        await pilot.press("n")
        await pilot.pause()
        assert app.reopen_path is None
    conn = core.connect(dest, database="test", autocommit=True)
    try:
        assert conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 30
        assert conn.execute("SELECT SUM(total) FROM orders WHERE id <= 3").fetchone()[0] == 0
        assert [r[0] for r in conn.execute("SELECT id FROM notes ORDER BY id").fetchall()] \
            == [1]  # nothing after the drop
        conn.execute("ADMIN CHECK TABLE orders")
        names = {r[2] for r in conn.execute("SHOW INDEX FROM orders").fetchall()}
        assert "idx_customer" in names
    finally:
        conn.close()


@pilot_test
async def test_open_it_now_reopens_the_console_on_the_restored_database(make_app, db):
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _select(pilot, "DROP TABLE orders")
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the confirmation")
        dest = app.screen.dest()
        await pilot.press("y")
        await _until(pilot, lambda: isinstance(app.screen, OpenRestoredScreen),
                     "the restore's end", timeout=60)
        assert f"kintsugi {dest}" in app.screen.text()
        await pilot.press("y")
        await pilot.pause()
    assert app.reopen_path == dest


@pilot_test
async def test_r_on_a_transaction_inside_the_backup_is_refused(make_app, db):
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        pane = app.pane("backups")
        await _until(pilot, lambda: pane.rows, "the timeline")
        row = next(i for i, t in enumerate(pane.rows) if t.seq == 2)  # CREATE TABLE notes
        pane.query_one("#timeline").move_cursor(row=row, animate=False)
        await pilot.pause()
        assert "no backup older than it" in _detail(app)
        await pilot.press("r")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, RestoreScreen)
        assert "ERROR 1105" in _detail(app) and "every backup was taken after it" in _detail(app)


@pilot_test
async def test_r_after_a_purged_binlog_is_refused_with_1236(make_app, db):
    conn = core.connect(db, database="test", autocommit=True, **ENGINE_OPTIONS)
    try:
        binlog = conn._engine.binlog  # FLUSH BINARY LOGS, PURGE BINARY LOGS TO
        binlog.rotate()
        conn.execute("INSERT INTO notes VALUES (4, 'in the second file')")
        binlog.purge_to("binlog.000002")  # the backup's position goes with binlog.000001
    finally:
        conn.close()
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        pane = app.pane("backups")
        assert [f.name for f in pane.data.files] == ["binlog.000002"]
        assert [t.seq for t in pane.rows] == [10]
        assert "the binlog after the backup was purged" in _detail(app)
        await pilot.press("r")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, RestoreScreen)
        assert "ERROR 1236" in _detail(app) and f"{UUID}:6-9" in _detail(app)


@pilot_test
async def test_a_damaged_backup_fails_the_restore_with_its_code(make_app, db):
    victim = max((os.path.join(d, f) for d, _s, fs in os.walk(BACKUP) for f in fs
                  if not f.startswith(("manifest", "MANIFEST"))), key=os.path.getsize)
    with open(victim, "r+b") as f:
        f.seek(os.path.getsize(victim) // 2)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _select(pilot, "DROP TABLE orders")
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the confirmation")
        dest = app.screen.dest()
        await pilot.press("y")
        pane = app.pane("backups")
        await _until(pilot, lambda: not pane.work and "failed" in _detail(app), "the failure",
                     timeout=60)
        assert "ERROR 1877" in _detail(app)
        assert not isinstance(app.screen, OpenRestoredScreen)
    assert not os.path.exists(os.path.join(dest, "control")) or not os.listdir(dest)


@pilot_test
async def test_an_existing_directory_is_refused_in_the_confirmation(make_app, db):
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _select(pilot, "DROP TABLE orders")
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the confirmation")
        inp = app.screen.query_one("#restore-dest")
        inp.value = "db"  # the database itself
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, RestoreScreen)
        assert "exists and is not empty" in app.screen.problem()
        await pilot.press("escape")
        await pilot.pause()
        assert not app.pane("backups").work


@pilot_test
async def test_b_takes_a_backup_and_v_verifies_it(make_app, db):
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        pane = app.pane("backups")
        await pilot.press("b")
        await _until(pilot, lambda: isinstance(app.screen, BackupDestScreen), "the dialog")
        dest = app.screen.query_one("#backup-dest").value
        assert dest.startswith(os.path.join("db-backups", ""))
        await pilot.press("enter")
        await _until(pilot, lambda: len(pane.data.backups) == 2 and not pane.work,
                     "the new backup listed", timeout=60)
        assert "Backed up into" in _detail(app)
        assert os.path.samefile(pane.data.backups[-1].path, dest)
        await settle(pilot)
        pane.query_one("#backups-list").focus()
        await pilot.press("v")  # the highlighted one: the newest, at the top
        await _until(pilot, lambda: not pane.work and "checksum" in _detail(app), "verified",
                     timeout=60)
        assert "every file matches its checksum" in _detail(app)
        await _until(pilot, lambda: pane.data.backups[-1].verified == "ok",
                     "the state read again")
        cell = pane.query_one("#backups-list").get_cell_at((0, 4))
        assert str(cell) == "verified"


@pilot_test
async def test_an_unsupported_backend_says_so(make_app, db_no_backup):
    from tui.backend import EmbeddedBackend

    class NoBackups(EmbeddedBackend):
        IMPLEMENTS_BACKUP = False

    app = make_app(db_no_backup, database="test", initial_tab="backups",
                   backend_class=NoBackups)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert "ERROR 1235" in str(app.pane("backups").query_one("#backups-summary").render())
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, BackupDestScreen)  # nothing asked
        with pytest.raises(BackendError) as err:  # what a backend without backups answers
            Backend.take_backup(app.backend, "x", lambda e: None)
        assert err.value.errno == 1235


# -- pictures -------------------------------------------------------------------------------


def _before(*keys: str, ddl: str = "DROP TABLE orders"):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await _select(pilot, ddl)
        await pilot.pause(0.1)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "120x40"])
def test_picture_the_tab(snap_compare, make_app, db, frozen_times, size):
    app = make_app(db, database="test", initial_tab="backups")
    assert snap_compare(app, terminal_size=size, run_before=_before())


def test_picture_the_restore_confirmation(snap_compare, make_app, db, frozen_times):
    app = make_app(db, database="test", initial_tab="backups")
    assert snap_compare(app, terminal_size=WIDE, run_before=_before("r"))


def test_picture_in_the_16_colour_theme(snap_compare, make_app, db, frozen_times):
    from dataclasses import replace

    from tui.config import load

    app = make_app(db, database="test", initial_tab="backups",
                   settings=replace(load(), theme="ansi-dark"))
    assert snap_compare(app, terminal_size=SMALL, run_before=_before())


def test_the_command_line_reopens_the_console_on_the_restored_database(tmp_path,
                                                                        monkeypatch):
    # "Open it now?" y: the app ends with `reopen_path`, and `kintsugi DIR` opens that
    from tui import cli
    from tui.app import KintsugiApp
    from tui.config import load

    for name in ("first", "restored"):
        core.connect(str(tmp_path / name), create=True).close()
    opened = []

    def run(app, headless=False):
        opened.append(app.backend.path)
        if len(opened) == 1:
            app.reopen_path = str(tmp_path / "restored")

    monkeypatch.setattr(KintsugiApp, "run", run)
    cli._console(str(tmp_path / "first"), load(), headless=True)
    assert opened == [str(tmp_path / "first"), str(tmp_path / "restored")]


@pilot_test
async def test_the_confirmation_buttons_answer_as_their_keys_do(make_app, db):
    """Enter on the focused "Don't" closes the dialog (it crashed with a second dismiss);
    the "Restore" button runs the restore as `y` does."""
    app = make_app(db, database="test", initial_tab="backups")
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await _select(pilot, "DROP TABLE orders")
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the confirmation")
        await pilot.press("enter")  # "Don't" has the focus
        await pilot.pause()
        assert not isinstance(app.screen, RestoreScreen)
        assert not app.pane("backups").work
        await pilot.press("r")
        await _until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the confirmation")
        app.screen.query_one("#yes").press()
        await _until(pilot, lambda: isinstance(app.screen, OpenRestoredScreen),
                     "the restore's end", timeout=60)
        await pilot.press("n")
        await pilot.pause()
