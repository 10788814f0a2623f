"""The Recovery tab: the log folded, the bars, the transactions cleaned up, the forced
banner and the history, first from a synthetic event stream in the engine's documented
order (a forced open with 3 batches, 200 scan lines and a RedoSkipped warning), paced so
that the live state can be checked, then on a real crashed database."""

from __future__ import annotations

import datetime as dt
import threading

from core import events as ev
from core.events.wording import format_lsn
from core.status import RecoveryRecord
from tests.tui.conftest import settle
from tests.tui.test_console import body_text, pilot_test, run_sql, status_text
from tui.backend.base import (
    Backend,
    DatabaseInfo,
    Outcome,
    RecoveryHistory,
    SessionState,
    TablespaceInfo,
)
from tui.widgets.recovery_log import CollapsingLog, event_lines

CKPT, SKIP_FROM, SKIP_TO = 1_000, 250_000, 300_000
COLUMNS = ["ID", "START_TIME", "END_TIME", "REASON", "CHECKPOINT_LSN", "END_LSN",
           "RECORDS_SCANNED", "RECORDS_APPLIED", "TRANSACTIONS_ROLLED_BACK", "ROWS_DISCARDED",
           "FORCE_RECOVERY", "SKIPPED_LSN_RANGE", "OUTCOME", "SKIPPED_COMMITS",
           "SKIPPED_TABLES", "MISSING_TABLESPACES"]
T0 = dt.datetime(2026, 1, 1, 10, 0, 0)


def stream(path: str) -> tuple[list[ev.Event], list[ev.Event]]:
    """A forced open's events, as (before the pause, after it): the pause falls inside the
    third batch."""
    before: list[ev.Event] = [
        ev.RecoveryStarted(CKPT, path, force_recovery=1),
        ev.CheckpointFound(CKPT, f"{path}/#redo/redo.00000001"),
    ]
    before += [ev.RedoScanProgress(CKPT + 1_000 * i, i * 10, CKPT, SKIP_TO)
               for i in range(1, 201)]
    before += [
        ev.RedoSkipped(SKIP_FROM, SKIP_TO, 17, ("shop.orders", "shop.order_items"),
                       "checksum mismatch", 1),
        ev.RedoScanDone(CKPT, SKIP_FROM, 2_000, 40, 2),
    ]
    for batch in (1, 2, 3):
        lo = CKPT + (batch - 1) * 80_000
        before.append(ev.RedoApplyBatch(100, batch, lo, lo + 80_000))
        for pct in range(10, 101, 10):
            before.append(ev.RedoApplyProgress((batch - 1) * 100 + pct, 300, pct, batch))
            if batch == 3 and pct == 40:
                return before, _rest()
        before.append(ev.RedoApplyBatchDone(batch, 100, batch * 100, 300))
    raise AssertionError("unreachable")


def _rest() -> list[ev.Event]:
    out: list[ev.Event] = [ev.RedoApplyProgress(200 + pct, 300, pct, 3)
                           for pct in range(50, 101, 10)]
    return out + [
        ev.RedoApplyBatchDone(3, 100, 300, 300),
        ev.TransactionsToRollBack(2, 500),
        ev.TrxIdCounter(99),
        ev.TransactionDiscarded(97, 300, ("shop.orders",), False),
        ev.TransactionDiscarded(98, 200, ("shop.order_items", "shop.orders"), True),
        ev.RecoveryFinished(SKIP_FROM, 300, 2, 0.5, batches=3, skipped_commits=17),
        ev.DatabaseOpened("/abs/db", SKIP_FROM, False),
    ]


RECORD = RecoveryRecord(
    id=2, start_time=1_767_261_600.0, end_time=1_767_261_600.5, reason="forced",
    checkpoint_lsn=CKPT, end_lsn=SKIP_FROM, records_scanned=2_000, records_applied=300,
    transactions_rolled_back=2, rows_discarded=500, force_recovery=1,
    skipped_lsn_range=f"{SKIP_FROM}-{SKIP_TO}", outcome="read-only: redo skipped",
    skipped_commits=17, skipped_tables=("shop.orders", "shop.order_items"))


class ScriptedBackend(Backend):
    """A backend whose open emits a scripted event stream, pausing inside it until the test
    releases it: what a forced open of a damaged log would report."""

    IMPLEMENTS_RECOVERY = True
    kind = "scripted"

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.release = threading.Event()
        self.paused = threading.Event()

    def open(self, sink) -> None:
        before, after = stream("/abs/db")
        for e in before:
            sink(e)
        self.paused.set()
        assert self.release.wait(20)
        for e in after:
            sink(e)

    def close(self) -> None:
        pass

    def execute(self, sql: str):
        yield Outcome(sql, None, 0, 0.0)

    def session_state(self) -> SessionState:
        return SessionState("shop", False, read_only=True, force_recovery=1)

    def database_info(self) -> DatabaseInfo:
        return DatabaseInfo(self.path, SKIP_FROM, SKIP_FROM, CKPT, (1,),
                            (TablespaceInfo(0, "system (dictionary)", "system.kdb", CKPT),),
                            0, True, force_recovery=1, recovery=RECORD)

    def recovery_history(self) -> RecoveryHistory:
        rows = [
            (2, T0, T0, "forced", CKPT, SKIP_FROM, 2_000, 300, 2, 500, 1,
             f"{SKIP_FROM}-{SKIP_TO}", "read-only: redo skipped", 17,
             "shop.orders,shop.order_items", ""),
            (1, T0, T0, "crash", 500, CKPT, 40, 30, 1, 12, 0, "", "recovered", 0, "", ""),
        ]
        return RecoveryHistory(COLUMNS, rows)


def _text(widget) -> str:
    return str(widget.render())


@pilot_test
async def test_a_forced_open_live_then_readable(make_app):
    from tui.app import KintsugiApp
    from tui.config import load
    from tui.history import History

    backend = ScriptedBackend("damaged-db")
    app = KintsugiApp(backend, load(), History("/dev/null"), initial_tab="recovery",
                      blink=False, tune_gc=False)
    async with app.run_test(size=(160, 48)) as pilot:
        pane = app.pane("recovery")
        for _ in range(200):
            await pilot.pause(0.02)
            if backend.paused.is_set() and len(pane.events) >= 200 + 30:
                break
        await pilot.pause(0.2)
        # live: the scan is done, batch 3 of an unknown number runs
        assert "Crash recovery running" in _text(pane.query_one("#recovery-state"))
        bars = pane.query_one("RecoveryBars").progress
        assert (bars.scan_progress, bars.scan_total) == (SKIP_FROM - CKPT, SKIP_FROM - CKPT)
        lsns = f"lsn {format_lsn(CKPT + 160_000)}..{format_lsn(CKPT + 240_000)}"
        assert bars.apply_label() == f"Batch 3 of ?: {lsns}, 40%"
        assert bars.overall_label() == "overall 240/300"
        assert pane.query_one("#apply-bar").percentage == 0.4
        shown = pane.log.shown_text().splitlines()
        scans = [ln for ln in shown if "Doing recovery: scanned up to" in ln]
        assert scans == [f"[Note] Doing recovery: scanned up to log sequence number "
                         f"{CKPT + 200_000}  ×200"]
        assert "[Note] 10% 20% 30% 40%" in shown  # batch 3 so far, on one line
        assert not any(ln.startswith("[Note] 10%") and ln.count("%") == 1 for ln in shown)
        # the warning is in the log and in the strip that stays in view
        warnings = pane.query_one("#recovery-warnings")
        assert warnings.display and "[Warning]" in _text(warnings)
        assert "250000 to 300000" in _text(warnings)
        banner = pane.query_one("#recovery-banner")
        assert banner.display and "READ-ONLY" in banner.text
        backend.release.set()
        await settle(pilot)

        # afterwards
        shown = pane.log.shown_text().splitlines()
        assert any(ln.startswith("[Note] Apply batch 1 completed: 100 redo log records")
                   for ln in shown), shown  # the batch before the previous one, folded
        steps = [ln for ln in shown if ln.startswith("[Note] 10% 20%")]
        assert steps == ["[Note] 10% 20% 30% 40% 50% 60% 70% 80% 90% 100% "
                         "Apply batch completed!"] * 2  # batches 2 and 3
        assert len(pane.log.model.raw) > 200 + 3 * 10  # every line is kept for "a"
        assert bars.apply_label() == f"Batch 3 of 3: {lsns}, 100%"
        assert bars.overall_label() == "overall 300/300"
        trx = pane.query_one("#recovery-trx")
        assert [trx.get_row_at(i) for i in range(trx.row_count)] == [
            ["97", "300", "discarded", "shop.orders"],
            ["98", "200", "spill kept (force 3+)", "shop.order_items, shop.orders"]]
        text = banner.text
        for words in ("READ-ONLY", "--force-recovery 1", "ERROR 1881",
                      "lsn 250,000 (0/3D090) to 300,000 (0/493E0)",
                      "17 committed transaction(s)", "shop.orders, shop.order_items",
                      "kintsugi dump damaged-db --force-recovery 1 > dump.sql",
                      "kintsugi recover damaged-db --force-recovery 1 --discard-damaged-log"):
            assert words in text, words
        assert "READ-ONLY" in _text(pane.query_one("#recovery-state"))
        assert (app.open_state.forced, app.open_state.skipped_commits) == (1, 17)
        assert "READ-ONLY" in _text(app.query_one("#title")) and "READ-ONLY" in app.sub_title

        # every line, then folded again
        await pilot.press("a")
        assert len(pane.log.shown_text().splitlines()) == len(pane.log.model.raw)
        await pilot.press("a")
        assert len(pane.log.shown_text().splitlines()) < 40

        # the history, and one row's every column
        history = pane.query_one("#recovery-history")
        assert history.row_count == 2 and app.focused is history
        await pilot.press("down", "enter")
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "RecoveryDetailScreen"
        detail = screen.text()
        for name in COLUMNS:
            assert f"{name}: " in detail, name
        assert "REASON: crash" in detail and "CHECKPOINT_LSN: 500 (0/1F4)" in detail
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ != "RecoveryDetailScreen"



def test_the_log_folds_repeats_and_keeps_every_line():
    log = CollapsingLog()
    before, after = stream("/db")
    for e in before + after:
        log.add_event(e, event_lines(e, seconds=str, path=str))
    shown = [line.shown() for line in log.view()]
    assert sum("scanned up to" in s for s in shown) == 1
    assert len(shown) < 25 < len(log.raw)
    assert {w.level for w in log.warnings} == {"Warning"}
    assert any("250000 to 300000" in w.text for w in log.warnings)  # the skipped redo
    assert len(log.view(every_line=True)) == len(log.raw)
    log.add("Note", "same")
    log.add("Note", "same")
    assert log.view()[-1].shown() == "[Note] same  ×2"


@pilot_test
async def test_the_recovery_tab_on_a_real_crash(make_app, crashed_db):
    from core.events import TransactionDiscarded

    app = make_app(crashed_db, initial_tab="recovery")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.pane("recovery")
        assert "Recovered" in _text(pane.query_one("#recovery-state"))
        discarded = [e for e in pane.events if isinstance(e, TransactionDiscarded)]
        assert len(discarded) == 1
        trx = pane.query_one("#recovery-trx")
        e = discarded[0]
        assert trx.get_row_at(0) == [str(e.trx_id), f"{e.row_operations:,}", "discarded",
                                     ", ".join(e.tables) or "-"]
        bars = pane.query_one("RecoveryBars").progress
        assert bars.finished and bars.scan_progress == bars.scan_total > 0
        assert bars.applied == bars.total > 0
        assert not pane.query_one("#recovery-banner").display
        shown = pane.log.shown_text()
        assert shown.count("Doing recovery: scanned up to") == 1
        # the earlier crash of the template and this one: two rows, newest first
        history = pane.query_one("#recovery-history")
        assert history.row_count == 2, pane.history
        assert history.get_row_at(0)[0] == "2" and history.get_row_at(1)[0] == "1"
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "RecoveryDetailScreen"
        detail = app.screen.text()
        assert "REASON: crash" in detail and f"ROWS_DISCARDED: {e.row_operations:,}" in detail


@pilot_test
async def test_a_forced_open_of_a_clean_database_is_read_only_and_says_so(make_app, shop_db):
    app = make_app(shop_db, initial_tab="recovery", engine_options={"force_recovery": 1})
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        pane = app.pane("recovery")
        banner = pane.query_one("#recovery-banner")
        assert banner.display and "READ-ONLY" in banner.text
        assert "Nothing was skipped" in banner.text and "without --force-recovery" in banner.text
        assert "READ-ONLY" in _text(app.query_one("#title"))
        app.action_tab("sql")
        await pilot.pause()
        await run_sql(pilot, "DELETE FROM orders WHERE id = 1")
        assert "Error 1881" in status_text(app)
        body = body_text(app)
        assert "ERROR 1881 (HY000): Operation not allowed when force_recovery > 0" in body
        assert "kintsugi dump shop --force-recovery 1 > dump.sql" in body, body  # what to do
