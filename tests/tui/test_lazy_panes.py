"""The console builds only the shown tab's pane before its first frame (issue 14, "speed a
DBA feels"); the others are built just after, or when first shown, and must then show what
a pane built with the screen shows: the open's events replayed, the open itself, the data.
And the results grid's cheaper drawing draws what the widget's own does."""

from __future__ import annotations

import asyncio
import functools

from tests.tui.conftest import settle


def pilot_test(fn):
    """Run an async Pilot test on its own event loop."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


def _text(widget) -> str:
    return str(widget.render())


@pilot_test
async def test_only_the_shown_pane_is_built_with_the_screen(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        assert [p.ID for p in app.panes] == ["sql"]  # before the open: the shown one only
        await settle(pilot)
        for _ in range(100):  # then the others, one per frame
            if app.all_panes_built:
                break
            await pilot.pause(0.02)
        assert {p.ID for p in app.panes} == {c.ID for c in app.pane_classes}
        await settle(pilot)
        recovery = app.pane("recovery")
        assert "Clean" in _text(recovery.query_one("#recovery-state"))
        assert "started; log sequence number" in recovery.log.shown_text()  # the open event
        assert app.pane("ddl").query_one("#jobs").row_count >= 0


@pilot_test
async def test_a_pane_built_after_a_crash_recovery_tells_it_as_one_built_before(
        make_app, crashed_db):
    """The Recovery tab built after the open (the SQL tab shown) gets the recovery's events
    replayed: the same state line, bars and cleaned-up transaction as when it is shown."""
    from core.events import TransactionDiscarded

    app = make_app(crashed_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_tab("recovery")
        await settle(pilot)
        pane = app.pane("recovery")
        assert app.query_one("TabbedContent").active == "tab-recovery"
        assert "Recovered" in _text(pane.query_one("#recovery-state"))
        discarded = [e for e in pane.events if isinstance(e, TransactionDiscarded)]
        assert len(discarded) == 1
        assert pane.query_one("#recovery-trx").row_count == 1
        bars = pane.query_one("RecoveryBars").progress
        assert bars.finished and bars.applied == bars.total > 0
        assert pane.log.shown_text().count("Doing recovery: scanned up to") == 1
        assert pane.query_one("#recovery-history").row_count == 2


@pilot_test
async def test_a_tab_shown_before_it_was_built_gets_its_data_and_focus(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_tab("backups")  # may still be unbuilt: built, filled, focused
        await settle(pilot)
        pane = app.pane("backups")
        assert app.query_one("TabbedContent").active == "tab-backups"
        assert app.focused is not None and pane in app.focused.ancestors_with_self
        assert "Waiting" not in _text(pane.query_one("#backups-summary"))


@pilot_test
async def test_the_grid_draws_plain_cells_as_the_widget_does(make_app, shop_db):
    """Every cell of a result with NULLs, markup-like and wide text, numbers and dates,
    drawn by the grid's short path and by textual-fastdatatable's own, under the cursor and
    not: the same characters in the same styles."""
    from textual.strip import Strip
    from textual_fastdatatable import DataTable

    from tui.widgets.grid import ResultsGrid

    def drawn(lines) -> list:
        return [[(s.text, s.style) for s in Strip(line).simplify()] for line in lines]

    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("sql")
        pane.editor.text = ("SELECT id, customer_id, NULL AS n, '[b]x[/b]' AS markup, "
                            "'a:smile: b' AS emoji, 'ü漢字' AS wide, -1.5 AS num, "
                            "CAST('2020-01-02' AS DATE) AS d, '' AS empty FROM orders "
                            "ORDER BY id LIMIT 30")
        await pilot.press("f5")
        await settle(pilot)
        grid = app.query_one(ResultsGrid)
        cache = grid._cell_render_cache
        base = grid.rich_style
        short = 0
        for row in range(grid.row_count):
            for column in range(grid.column_count):
                width = grid.ordered_columns[column].render_width
                style = grid._get_row_style(row, base)
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    cache.clear()
                    mine = grid._render_cell(row, column, style, width, cursor, hover)
                    cache.clear()
                    theirs = DataTable._render_cell(grid, row, column, style, width, cursor,
                                                    hover)
                    assert drawn(mine) == drawn(theirs), (row, column, cursor, hover)
                    short += len(mine[0]) == 1
        cache.clear()
        assert short > grid.row_count * 3  # the short path drew most of them
