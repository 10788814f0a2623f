"""The Recovery tab: the log folded, the bars, the transactions cleaned up, the forced
banner and the history, first from a synthetic event stream in the engine's documented
order (a forced open with 3 batches, 200 scan lines and a RedoSkipped warning), paced so
that the live state can be checked, then on a real crashed database."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest

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


@contextlib.asynccontextmanager
async def recovery_tab(make_app, path: str, size: tuple[int, int], **engine_options):
    """The console on `path` at its Recovery tab, open and settled: (pilot, pane)."""
    app = make_app(path, initial_tab="recovery", engine_options=engine_options)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot, app.pane("recovery")


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
        # every batch listed with its records, LSN range (as the bar writes it) and state
        batches = pane.query_one("#recovery-batches")
        rows = [batches.get_row_at(i) for i in range(batches.row_count)]
        assert rows == [
            [str(n), "100", f"{format_lsn(CKPT + (n - 1) * 80_000)}.."
             f"{format_lsn(CKPT + n * 80_000)}", status]
            for n, status in ((1, "completed"), (2, "completed"), (3, "applying 40%"))]
        backend.release.set()
        await settle(pilot)

        # afterwards
        shown = pane.log.shown_text().splitlines()
        assert "[Note] Apply batch 1 completed: 100 redo log records (every 10% step " \
            "reached)" in shown, shown  # the batch before the previous one, folded
        steps = [ln for ln in shown if ln.startswith("[Note] 10% 20%")]
        assert steps == ["[Note] 10% 20% 30% 40% 50% 60% 70% 80% 90% 100% "
                         "Apply batch completed!"] * 2  # batches 2 and 3
        assert len(pane.log.model.raw) > 200 + 3 * 10  # every line is kept for "a"
        assert bars.apply_label() == f"Batch 3 of 3: {lsns}, 100%"
        assert [batches.get_row_at(i)[3] for i in range(3)] == ["completed"] * 3
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

    async with recovery_tab(make_app, crashed_db, (80, 24)) as (pilot, pane):
        app = pane.app
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
    async with recovery_tab(make_app, shop_db, (120, 36), force_recovery=1) as (pilot, pane):
        app = pane.app
        banner = pane.query_one("#recovery-banner")
        assert banner.display and "READ-ONLY" in banner.text
        assert "Nothing was skipped" in banner.text and "without --force-recovery" in banner.text
        assert "READ-ONLY" in _text(app.query_one("#title"))
        app.action_tab("sql")
        await pilot.pause()
        await run_sql(pilot, "DELETE FROM orders WHERE id = 1")
        assert "Error 1881" in status_text(app)
        body = body_text(app)
        # the console is a command-line tool: the engine's argument is named as the flag
        assert "ERROR 1881 (HY000): Operation not allowed when --force-recovery > 0" in body
        assert "kintsugi dump shop --force-recovery 1 > dump.sql" in body, body  # what to do


@pilot_test
async def test_a_checkpoint_after_a_clean_open_keeps_nothing_to_do(make_app, shop_db):
    """A clean open settles the bars ("nothing to do"); the flusher's first checkpoint a
    moment later redrew them from the empty progress model as "not started" / "waiting"."""
    from tui.messages import EngineEvents

    async with recovery_tab(make_app, shop_db, (120, 36)) as (pilot, pane):
        app = pane.app
        assert "nothing to do" in _text(pane.query_one("#scan-label"))
        app.post_message(EngineEvents([ev.CheckpointDone(CKPT + 10)]))
        await pilot.pause(0.1)
        assert "nothing to do" in _text(pane.query_one("#scan-label"))
        assert "nothing to do" in _text(pane.query_one("#apply-label"))


# -- the batch list, the folded batches, the history's columns, the banner's advice ----------


def _batch_events(n: int, records: int = 100) -> list[ev.Event]:
    out: list[ev.Event] = []
    for b in range(1, n + 1):
        lo = CKPT + (b - 1) * 1_000
        out.append(ev.RedoApplyBatch(records, b, lo, lo + 1_000))
        out += [ev.RedoApplyProgress(b * records, n * records, pct, b)
                for pct in range(10, 101, 10)]
        out.append(ev.RedoApplyBatchDone(b, records, b * records, n * records))
    return out


def test_folded_batches_say_how_many_without_a_count_suffix():
    log = CollapsingLog()
    for e in _batch_events(5):
        log.add_event(e, event_lines(e, seconds=str, path=str))
    shown = [line.shown() for line in log.view()]
    assert shown[0] == ("[Note] Apply batches 1-3 completed: 3 batches, 300 redo log records "
                        "in all (every 10% step reached)"), shown  # not "300 ... ×3"
    assert not any("×" in s for s in shown)


def test_the_batch_list_keeps_the_last_few_and_sums_up_the_earlier():
    from tui.widgets.recovery_batches import SHOWN, Batches

    batches = Batches()
    events = _batch_events(7)
    for e in events[:-3]:  # batch 7 is at 80%
        batches.note(e)
    rows = [b.cells() for b in batches.rows()]
    assert [r[0] for r in rows] == [str(n) for n in range(8 - SHOWN, 8)]
    assert rows[-1] == ["7", "100", f"{format_lsn(CKPT + 6_000)}..{format_lsn(CKPT + 7_000)}",
                        "applying 80%"]
    assert batches.earlier() == (f"+3 earlier (batches 1-3: 300 records, {format_lsn(CKPT)}.."
                                 f"{format_lsn(CKPT + 3_000)}, completed)")
    batches.note(ev.RecoveryFinished(CKPT, 700, 0, 0.1, batches=7))
    assert batches.rows()[-1].status == "completed"


def test_the_history_list_shows_the_outcome_before_the_numbers():
    from tui.panes.recovery_history import listed_rows

    rows = ScriptedBackend("db").recovery_history().rows
    missing = (3, T0, T0, "forced", CKPT, CKPT, 0, 0, 0, 0, 1, "", "read-only (...)", 0, "",
               "shop.orders")
    discard = (4, T0, T0, "discard-damaged-log", CKPT, CKPT, 0, 0, 0, 0, 1, "1-2", "log ...",
               1, "shop.orders", "")
    headers, cells = listed_rows(COLUMNS, [*rows, missing, discard])
    assert headers == ["id", "started", "reason", "force", "outcome", "applied",
                       "rolled back"]
    assert [c[4] for c in cells] == ["17 commits NOT applied", "recovered",
                                     "1 file missing", "log cut, 1 commit lost"]
    assert cells[3][2] == "discard log" and cells[0][1] == "01-01 10:00"


def test_the_banner_advises_from_what_happened():
    from tui.widgets.recovery_banner import ForcedSummary

    def advice(**kw) -> str:
        s = ForcedSummary(**kw)
        return s.lines("db")[-1].plain

    redo = advice(level=1, ranges=[(5, 9)], commits=2)
    assert "kintsugi dump db --force-recovery 1 > dump.sql" in redo
    assert "kintsugi recover db --force-recovery 1 --discard-damaged-log" in redo
    missing = advice(level=1, missing=["shop.orders"])
    assert "--discard-damaged-log" not in missing  # it fails with 1210: no damage to discard
    assert "--scan-directories DIR" in missing
    assert "kintsugi sql NEWDIR --create < dump.sql" in missing
    level6 = advice(level=6, ranges=[(5, 9)], commits=2)
    assert "open without --force-recovery to apply it" in level6
    assert "--discard-damaged-log" not in level6
    nothing = advice(level=2)
    assert "the data is complete" in nothing and "without --force-recovery is safe" in nothing


def _visible(table, heading: str) -> bool:
    """The column `heading` and every one before it fit the table's width (uncut)."""
    right = 0
    for column in table.ordered_columns:
        right += column.get_render_width(table)
        if str(column.label) == heading:
            return right <= table.scrollable_content_region.width
    raise AssertionError(f"no column {heading}")


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
@pilot_test
async def test_a_forced_open_shows_outcome_files_and_a_closed_banner(make_app, damaged_db,
                                                                      size):
    async with recovery_tab(make_app, damaged_db, size, force_recovery=1) as (pilot, pane):
        if pane.narrow:
            await pilot.press("l")  # the lists instead of the log
            await settle(pilot)
        history = pane.query_one("#recovery-history")
        assert history.get_row_at(0)[4].endswith("NOT applied")
        assert _visible(history, "outcome")
        assert _visible(pane.query_one("#tablespaces"), "file (tablespace)")
        banner = pane.query_one("#recovery-banner")
        assert banner.styles.border_bottom[0] == "heavy"  # the box is closed
        assert banner.outer_size.height >= len(banner.text.splitlines()) + 1
        # the engine's log lines in the command line's words
        shown = pane.log.shown_text()
        assert "!!! --force-recovery is set to 1 !!!" in shown
        assert "force_recovery" not in shown
        assert "+" not in pane.query_one("BatchList").shown_text()  # one batch: no "+N earlier"


@pilot_test
async def test_shrinking_the_terminal_keeps_the_tabs_keys(make_app, crashed_db):
    async with recovery_tab(make_app, crashed_db, (120, 40)) as (pilot, pane):
        app = pane.app
        assert app.focused is pane.query_one("#recovery-history")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert pane.narrow and app.focused is pane.query_one("#recovery-log")
        await pilot.press("l")  # the hidden history had the focus: "l" did nothing
        await pilot.pause()
        assert pane.has_class("-lists")


@pilot_test
async def test_a_missing_tablespace_alone_is_not_sent_to_discard_the_log(make_app, shop_db):
    import os

    os.remove(os.path.join(shop_db, "shop", "customers.kdb"))
    async with recovery_tab(make_app, shop_db, (120, 36), force_recovery=1) as (pilot, pane):
        text = pane.query_one("#recovery-banner").text
        assert "MISSING TABLESPACES: shop.customers" in text
        assert "--discard-damaged-log" not in text  # it would fail: no damage to discard
        assert "--scan-directories DIR" in text
        assert "kintsugi dump shop --force-recovery 1 > dump.sql" in text
        assert "kintsugi sql NEWDIR --create < dump.sql" in text
        assert _text(pane.query_one("#recovery-trx-note")) == "None: there was no crash."
        history = pane.query_one("#recovery-history")
        assert history.get_row_at(0)[4] == "1 file missing" and _visible(history, "outcome")


@pilot_test
async def test_a_clean_open_lists_no_batches_and_says_why(make_app, shop_db):
    async with recovery_tab(make_app, shop_db, (120, 36)) as (pilot, pane):
        assert pane.query_one("BatchList").shown_text() == "None: there was no crash."
        assert not pane.query_one("#recovery-batches").display
        assert "Clean" in _text(pane.query_one("#recovery-state"))
        assert pane.log.shown_text()  # the open said something in the log
