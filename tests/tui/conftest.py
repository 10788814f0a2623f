"""Fixtures of the console tests: small real shop databases (clean and crashed), an app
factory, and an environment that never touches the user's config or history.

Databases are built once per session, with `time.time` frozen while building so that job
times and LSNs are the same on every run, then copied for each test.  Snapshot pictures
also freeze the elapsed times shown (`tui.text.FROZEN_SECONDS`) and the cursor blink.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

FROZEN_EPOCH = 1_767_261_600.0  # 2026-01-01 10:00:00 UTC
SHOP = {"customers": 100, "products": 24, "orders": 1_000}  # the demo at scale 0.02
ENGINE_OPTIONS = {"flush_interval": 0}  # no flusher thread: LSNs stay put during a test


@pytest.fixture(autouse=True)
def _console_env(tmp_path, monkeypatch):
    """No test reads or writes the user's config or history; times show in UTC."""
    monkeypatch.setenv("KINTSUGI_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("KINTSUGI_HISTORY_FILE", str(tmp_path / "history.jsonl"))
    for var in ("KINTSUGI_THEME", "KINTSUGI_MAX_ROWS", "KINTSUGI_HISTORY_SIZE"):
        monkeypatch.delenv(var, raising=False)
    saved_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved_tz
    time.tzset()


def _frozen_clock(work) -> None:
    real_time = time.time
    time.time = lambda: FROZEN_EPOCH  # job, commit and recovery times in the dictionary
    try:
        work()
    finally:
        time.time = real_time


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    """The clean shop, and a crashed copy that has recovered once already (the recovery
    history's first row) before its writer was killed again."""
    from tui import demo

    root = tmp_path_factory.mktemp("templates")
    clean, crashed = str(root / "clean"), str(root / "crashed")
    _frozen_clock(lambda: demo.build(clean, scale=0.02, segment_size=4 << 20,
                                     earlier_crash=False, ddl_jobs=False, dropped=False,
                                     backup=False, **ENGINE_OPTIONS))
    shutil.copytree(clean, crashed)
    _frozen_clock(lambda: demo.earlier_recovery(crashed, **ENGINE_OPTIONS))
    demo.run_crash(crashed, batches=4, open_orders=1_200)
    return {"clean": clean, "crashed": crashed}


def _copy(src: str, dst) -> str:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("LOCK"))
    return str(dst)


@pytest.fixture
def shop_db(_templates, tmp_path, monkeypatch):
    """A clean shop database, as the relative path "shop" (the title bar shows it)."""
    monkeypatch.chdir(tmp_path)
    _copy(_templates["clean"], tmp_path / "shop")
    return "shop"


@pytest.fixture
def crashed_db(_templates, tmp_path, monkeypatch):
    """A shop database whose writer was SIGKILLed with a transaction open."""
    monkeypatch.chdir(tmp_path)
    _copy(_templates["crashed"], tmp_path / "shop")
    return "shop"


def damage_log(path: str, past_checkpoint: int) -> int:
    """Flip one byte of the redo log `past_checkpoint` bytes after the checkpoint: a record
    in the committed part of the log is damaged (a normal open refuses with 1877, a forced
    one skips from there).  Returns the LSN damaged."""
    from core.log.control import ControlFile
    from core.log.segment import list_segments

    lsn = ControlFile(f"{path}/control").read().checkpoint_lsn + past_checkpoint
    seg = [s for s in list_segments(f"{path}/#redo", None) if s.start_lsn <= lsn][-1]
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(lsn))
        b = f.read(1)
        f.seek(seg.file_offset(lsn))
        f.write(bytes([b[0] ^ 0xFF]))
    return lsn


@pytest.fixture
def damaged_db(_templates, tmp_path, monkeypatch):
    """The crashed shop with a byte of its log flipped inside the writer's third commit:
    a forced open applies those two and skips the rest."""
    monkeypatch.chdir(tmp_path)
    _copy(_templates["crashed"], tmp_path / "damaged")
    damage_log("damaged", 12_000)
    return "damaged"


@pytest.fixture
def frozen(monkeypatch):
    """Elapsed times shown as a constant, for pictures."""
    from tui import text
    from tui.panes import recovery_history

    monkeypatch.setattr(text, "FROZEN_SECONDS", "12 ms")
    monkeypatch.setattr(recovery_history, "FROZEN_TIME", "2026-01-01 10:00:00")


@pytest.fixture
def make_app(tmp_path):
    """make_app(path, **app_kwargs) -> a KintsugiApp on a real backend (closed afterwards);
    crash recovery runs in the test's process unless `recover_in_child=True`."""
    from tui.app import KintsugiApp
    from tui.backend import EmbeddedBackend
    from tui.config import load
    from tui.history import History

    backends = []

    def make(path: str, *, database: str = "shop", history: History | None = None,
             settings=None, backend_class=EmbeddedBackend, engine_options=None,
             recover_in_child: bool = False, **kwargs) -> KintsugiApp:
        # recovery in this process unless asked: the tests watch the engine in-process
        # (test_recovery_child.py drives the child process the command line uses)
        backend = backend_class(path, database=database, recover_in_child=recover_in_child,
                                **{**ENGINE_OPTIONS, **(engine_options or {})})
        backends.append(backend)
        settings = settings or load()
        history = history or History(settings.history_file).load()
        kwargs.setdefault("blink", False)
        kwargs.setdefault("tune_gc", False)  # no process-wide GC changes in the test session
        return KintsugiApp(backend, settings, history, **kwargs)

    yield make
    for b in backends:
        b.close()


async def settle(pilot, app=None) -> None:
    """Wait until the database is open and every worker is done, then one more refresh."""
    app = app or pilot.app
    for _ in range(200):
        if app.ready or app.open_error is not None:
            break
        await pilot.pause(0.02)
    from textual.worker import WorkerCancelled

    for _ in range(3):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # a newer load superseded one: wait for that one next
            pass
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.05)
