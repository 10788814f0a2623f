"""The GC worker: a thread that, every `tidb_gc_run_interval`, moves the safe point to
now - `tidb_gc_life_time` and collects the delete ranges older than it (TiDB's GC worker,
`mysql.gc_delete_range` -> `mysql.gc_delete_range_done`).

Every time here is the engine's clock (`db.clock`), so a test moves a `ManualClock` past the
life time and calls `run_once()` instead of sleeping.  The safe point never moves backwards
(a clock set back, a life time made longer): the stored one is kept when it is later.  It is
stored before anything older is collected, in its own transaction: RECOVER TABLE compares a
drop with it under the writer lock, so a range it may still recover is never collected, and
a range GC collects is one RECOVER refuses (8055).  Rounds never run concurrently (the
thread, the console and tests all go through `run_once`), and none runs while
`tidb_gc_enable` is OFF.

At install (each open, writable only): space ids of every range, pending or done, are kept
away from new tables, the files a crash left behind after their deletion committed are
removed (`core.gc.collect.finish_done`), and a first safe point is stored when none ever was
(`first_safe_point`), so `mysql.tidb` always has a `tikv_gc_safe_point`; nothing is collected
at open.  Every stamp GC compares comes from `Database.now()`, which never goes below the last
round's time: a clock that jumps forward and back cannot make a fresh drop look expired.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from core.catalog import gcranges
from core.errors import Error, LockWaitTimeoutError
from core.events import GCRoundFinished, RecoveryWarning
from core.gc import collect
from core.sql.global_vars import gc_enabled
from core.txn import begin

Database = Any  # core.sql.session.Database

STOP_TIMEOUT = 10.0  # seconds `stop` waits for a round in progress (it stops between steps)


@dataclass
class GCReport:
    """What one round did: the safe point it stored (UNIX seconds, engine clock), the
    ranges it collected (range dicts), how many still wait; `enabled` False when
    `tidb_gc_enable` is OFF (nothing was done)."""

    safe_point: float
    run_at: float
    life_time: float
    collected: list[dict] = field(default_factory=list)
    pending: int = 0
    enabled: bool = True
    seconds: float = 0.0


def run_interval(view) -> float:
    """`tidb_gc_run_interval` in seconds (a Go duration; 10m0s by default).  Read as stored,
    not clamped to TiDB's 10m minimum as `SET GLOBAL` clamps it (`core.sql.global_vars`): a
    test writes "1s" to watch the thread's rounds; at least one second."""
    text = gcranges.global_variable(view, "tidb_gc_run_interval")
    if text is None:
        return gcranges.DEFAULT_RUN_INTERVAL
    try:
        return max(1.0, gcranges.parse_duration(text))
    except ValueError:
        return gcranges.DEFAULT_RUN_INTERVAL


class GCWorker:
    """`db.gc`: the thread and its rounds; `run_once()` runs a round now."""

    def __init__(self, db: Database):
        self.db = db
        self._round = threading.Lock()  # one round at a time
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: BaseException | None = None  # the last round's error, if it failed
        self.last_report: GCReport | None = None

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="kintsugi-gc", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread (between two steps of a round); never waits more than
        `STOP_TIMEOUT`."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT)

    def wake(self) -> None:
        """Run a round now rather than at the end of the interval."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self.db.engine.snapshot() as snap:
                    interval = run_interval(snap)
            except Error:
                interval = gcranges.DEFAULT_RUN_INTERVAL
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set() or self.db.engine.closed:
                return
            try:
                self.run_once()
                self.failure = None
            except LockWaitTimeoutError:
                continue  # a long transaction held the writer lock: next round
            except Exception as exc:  # noqa: BLE001 - kept for the console, retried next round
                self.failure = exc
                self._warn(f"GC round failed: {exc}")

    # -- a round ---------------------------------------------------------------------------

    def run_once(self) -> GCReport:
        """One round: store the safe point, collect every pending range older than it,
        emit `GCRangeCollected` per range and `GCRoundFinished`.  A read-only open changes
        nothing and reports the stored safe point."""
        with self._round:
            report = self._round_locked()
        self.last_report = report
        return report

    def _round_locked(self) -> GCReport:
        db = self.db
        engine = db.engine
        t0 = time.perf_counter()
        now = db.now()
        with engine.snapshot() as snap:
            life = gcranges.life_time(snap)
            stored = gcranges.safe_point(snap)
            enabled = gc_enabled(snap)
            pending = gcranges.pending(snap)
        old_point = float(stored["safe_point"]) if stored else None
        if not engine.background_allowed:
            return GCReport(old_point or 0.0, now, life, [], len(pending), enabled)
        if not enabled:
            point = old_point
            if point is None:  # a first safe point that passes no range left uncollected
                point = min([now - life] + [float(r.get("ts") or 0) - 0.001 for r in pending])
                self._store(point, now, life)
            return GCReport(point, now, life, [], len(pending), False,
                            time.perf_counter() - t0)
        point = now - life if old_point is None else max(now - life, old_point)
        self._store(point, now, life)
        collect.finish_done(db)
        collected: list[dict] = []
        for rng in pending:
            if self._stop.is_set():
                break
            if float(rng.get("ts") or 0) >= point:
                continue
            if rng.get("kind") == "index":
                event = collect.collect_index(db, rng, now, self._stop.is_set)
            else:
                event = collect.collect_table(db, rng, now)
            if event is not None:
                collected.append(rng)
                engine.sink(event)
        left = len(pending) - len(collected)
        seconds = time.perf_counter() - t0
        engine.sink(GCRoundFinished(point, now, life, len(collected), left, seconds))
        return GCReport(point, now, life, collected, left, True, seconds)

    def _store(self, point: float, now: float, life: float) -> None:
        with begin(self.db.engine, collect.LOCK_WAIT) as txn:
            gcranges.put_safe_point(txn, point, now, life)
        self.db.time_floor = max(self.db.time_floor, now)  # no later stamp goes below it

    def _warn(self, text: str) -> None:
        try:
            self.db.engine.sink(RecoveryWarning(text))
        except Exception:  # noqa: BLE001 - a listener's failure must not stop GC
            pass


def first_safe_point(db: Database) -> None:
    """At open: the engine's time never goes below the last round's (`Database.now`), and a
    database that never had a round gets a safe point that passes no pending range, so
    `mysql.tidb` always has one.  An open collects nothing: a short command (`kintsugi dump`,
    `kintsugi check`, `kintsugi sql -e`) must not delete a dropped table on its way; the
    thread's first round comes one run interval later."""
    with db.engine.snapshot() as snap:
        stored = gcranges.safe_point(snap)
        if stored is not None:
            db.time_floor = max(db.time_floor, float(stored.get("run_at") or 0))
            return
        life = gcranges.life_time(snap)
        pending = gcranges.pending(snap)
    now = db.now()
    point = min([now - life] + [float(r.get("ts") or 0) - 0.001 for r in pending])
    db.gc._store(point, now, life)


def reserve_range_ids(db: Database) -> None:
    """Keep every space id a range names (pending: RECOVER may bring it back; done: its
    file may still be there, and an id is never reused) away from new tables.  Under the
    writer lock, as `plan_space` hands ids out under it."""
    engine = db.engine
    txn = begin(engine, collect.LOCK_WAIT)
    try:
        view = txn.current_view()
        for rng in gcranges.pending(view) + gcranges.done(view):
            engine.reserve_space_id(int(rng.get("table_id") or 0))
    finally:
        txn.rollback()  # nothing written: no commit record either


def install(db: Database) -> None:
    """Give `db` its GC worker (`db.gc`); on a writable open, finish what a crash
    interrupted, run one round and start the thread."""
    worker = GCWorker(db)
    db.gc = worker
    engine = db.engine
    if engine.read_only or not engine.background_allowed:
        return
    try:
        reserve_range_ids(db)
        collect.finish_done(db)
        first_safe_point(db)
    except LockWaitTimeoutError:
        pass  # another connection's transaction: the thread's first round does it
    except (Error, OSError) as exc:  # never the open's failure: the thread retries
        worker.failure = exc
        worker._warn(f"GC at open failed: {exc}")
    worker.start()
