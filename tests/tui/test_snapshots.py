"""Pictures of every screen (pytest-textual-snapshot), at 80x24 and at 160x48.

Real databases, real renders; elapsed times and cursors are frozen, animations are off
(TEXTUAL_ANIMATIONS=none, tests/conftest.py), and every picture is taken only once the
database is open and every worker has finished.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import settle

SMALL, WIDE = (80, 24), (160, 48)
SIZES = pytest.mark.parametrize("size", [SMALL, WIDE], ids=["80x24", "160x48"])


def _before(*keys: str, text: str | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        if text is not None:
            pilot.app.pane("sql").editor.text = text
            await pilot.pause()
        await pilot.pause(0.1)  # let the tables measure their new rows before a modal covers them
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@SIZES
def test_recovery_tab_after_a_crash(snap_compare, make_app, crashed_db, frozen, size):
    # small apply batches, as `kintsugi demo` opens: several batches, each on its own line
    app = make_app(crashed_db, initial_tab="recovery",
                   engine_options={"apply_batch_ops": 500})
    assert snap_compare(app, terminal_size=size, run_before=_before())


def test_recovery_lists_on_a_small_terminal(snap_compare, make_app, crashed_db, frozen):
    # "l": the batches, the transactions cleaned up, the history and the tablespaces
    app = make_app(crashed_db, initial_tab="recovery",
                   engine_options={"apply_batch_ops": 100})
    assert snap_compare(app, terminal_size=SMALL, run_before=_before("l"))


@SIZES
def test_recovery_history_detail(snap_compare, make_app, crashed_db, frozen, size):
    app = make_app(crashed_db, initial_tab="recovery")
    assert snap_compare(app, terminal_size=size, run_before=_before("h", "down", "enter"))


@SIZES
def test_recovery_tab_forced_banner(snap_compare, make_app, damaged_db, frozen, size):
    app = make_app(damaged_db, initial_tab="recovery", engine_options={"force_recovery": 1})
    assert snap_compare(app, terminal_size=size, run_before=_before())


def test_recovery_tab_forced_in_the_16_colour_theme(snap_compare, make_app, damaged_db,
                                                      frozen):
    from dataclasses import replace

    from tui.config import load

    app = make_app(damaged_db, initial_tab="recovery", engine_options={"force_recovery": 1},
                   settings=replace(load(), theme="ansi-dark"))
    assert snap_compare(app, terminal_size=SMALL, run_before=_before())


@SIZES
def test_ddl_jobs_tab(snap_compare, make_app, shop_db, frozen, size):
    app = make_app(shop_db, initial_tab="ddl")
    assert snap_compare(app, terminal_size=size, run_before=_before())


@SIZES
def test_indexes_tab(snap_compare, make_app, shop_db, frozen_checks, size):
    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=size, run_before=_before())


@pytest.fixture
def frozen_checks(frozen, monkeypatch):
    """Check times shown as a constant too."""
    from tui.widgets import index_detail

    monkeypatch.setattr(index_detail, "FROZEN_TIME", "2026-01-01 10:00")


async def _checking(pilot) -> None:
    """A check-all caught in its second table: the first checked, the engine's events of the
    second fed to the pane as they arrive from the engine (a real check of the small shop
    ends before a picture can be taken)."""
    from core.events import IndexAdminProgress, IndexAdminStarted
    from tui.panes.indexes import IndexEvents
    from tui.widgets.index_board import Job

    await _before("c")(pilot)  # shop.customers, checked for real
    pane = pilot.app.pane("indexes")
    tables = list(pane.board.tables)
    pane.board.job = Job("check", [t.name for t in tables], [t.rows_estimate for t in tables],
                         finished=["shop.customers"])
    pane.board.start_table("shop.order_items")
    pane._redraw()  # as the worker's start of a table does
    pane.post_message(IndexEvents([
        IndexAdminStarted("inconsistencies", "shop.order_items", ("idx_product",), 2_220),
        IndexAdminProgress("inconsistencies", "shop.order_items", "rows", 1_500, 2_220)]))
    await pilot.pause(0.1)
    pane.refresh_bindings()
    await pilot.pause(0.1)


@SIZES
def test_indexes_checking_with_progress(snap_compare, make_app, shop_db, frozen_checks, size):
    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=size, run_before=_checking)


@SIZES
def test_indexes_inconsistent_with_details(snap_compare, make_app, shop_db, frozen_checks,
                                           size):
    # "a" checks every table; the cursor goes to the first inconsistent index
    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=size, run_before=_before("a"))


def test_indexes_mismatched_entry_details(snap_compare, make_app, shop_db, frozen_checks):
    # order 7's idx_customer entry names another customer: row values beside index values
    async def run_before(pilot) -> None:
        await _before("a")(pilot)
        pane = pilot.app.pane("indexes")
        row = pane.keys.index(("shop.orders", "idx_customer"))
        pane.query_one("#index-table").move_cursor(row=row, animate=False)
        await settle(pilot)

    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


@SIZES
def test_indexes_repair_confirmation(snap_compare, make_app, shop_db, frozen_checks, size):
    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=size, run_before=_before("a", "f"))


@SIZES
def test_indexes_repaired_and_rechecked(snap_compare, make_app, shop_db, frozen_checks, size):
    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=size, run_before=_before("a", "f", "y"))


@SIZES
def test_sql_tab_with_results(snap_compare, make_app, shop_db, frozen, size):
    app = make_app(shop_db, initial_tab="sql")
    sql = ("SELECT o.id, c.name, o.status, o.ordered_at, o.total\n"
           "FROM orders o JOIN customers c ON c.id = o.customer_id\nORDER BY o.id")
    assert snap_compare(app, terminal_size=size, run_before=_before("f5", text=sql))


@SIZES
def test_sql_error_keeps_the_editor_text(snap_compare, make_app, shop_db, frozen, size):
    app = make_app(shop_db, initial_tab="sql")
    sql = "SELECT 1;\nSELECT name FROM customer WHERE id = 7"
    assert snap_compare(app, terminal_size=size, run_before=_before("f6", text=sql))


@SIZES
def test_confirm_before_delete_without_where(snap_compare, make_app, shop_db, frozen, size):
    app = make_app(shop_db, initial_tab="sql")
    assert snap_compare(app, terminal_size=size,
                        run_before=_before("f5", text="DELETE FROM order_items"))


@SIZES
def test_help_screen(snap_compare, make_app, shop_db, frozen, size):
    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=size, run_before=_before("f1"))


def test_sql_tab_in_the_16_colour_theme(snap_compare, make_app, shop_db, frozen):
    from dataclasses import replace

    from tui.config import load

    app = make_app(shop_db, initial_tab="sql", settings=replace(load(), theme="ansi-dark"))
    assert snap_compare(app, terminal_size=SMALL,
                        run_before=_before("f5", text="SELECT * FROM products ORDER BY id"))


def test_indexes_counts_unknown_after_admin_check(snap_compare, make_app, shop_db,
                                                   frozen_checks):
    # ADMIN CHECK TABLE (in the SQL tab) stopped at the first inconsistency: NULL counts
    async def run_before(pilot) -> None:
        await settle(pilot)
        from tui.backend.base import BackendError

        try:
            list(pilot.app.backend.execute("ADMIN CHECK TABLE customers"))
        except BackendError as err:  # 8223: the first inconsistency, as TiDB
            assert err.errno == 8223
        pilot.app.pane("indexes").load()
        await settle(pilot)

    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_indexes_a_damaged_row(snap_compare, make_app, shop_db, frozen_checks):
    # a row of shop.orders fails its checksum: 1877, and what can help (not an index repair)
    import core
    from core import faults

    conn = core.connect(shop_db, database="shop", autocommit=True)
    try:
        faults.corrupt_row(conn, "orders", 7)
    finally:
        conn.close()

    async def run_before(pilot) -> None:
        await settle(pilot)
        pane = pilot.app.pane("indexes")
        row = pane.keys.index(("shop.orders", "idx_customer"))
        pane.query_one("#index-table").move_cursor(row=row, animate=False)
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        pilot.app.clear_notifications()  # the box says it (the toast is a Pilot test's)
        await pilot.pause(0.1)

    app = make_app(shop_db, initial_tab="indexes")
    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
