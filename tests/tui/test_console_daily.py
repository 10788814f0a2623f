"""The console as a daily tool: no transaction lost on the way out, tab keys that arrive
through tmux and ssh, a help screen that says each key once, a footer and title that fit
80 columns, a DDL statement that can be read whole.  Pilot on real databases."""

from __future__ import annotations

import asyncio
import functools

from tests.tui.conftest import ENGINE_OPTIONS, settle
from tui import actions
from tui.backend import EmbeddedBackend
from tui.screens import OpenTransactionScreen


def pilot_test(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


async def run_sql(pilot, sql: str) -> None:
    """Run every statement of `sql` (F6)."""
    pane = pilot.app.pane("sql")
    pane.editor.text = sql
    await pilot.press("f6")
    for _ in range(1000):
        await pilot.pause(0.02)
        if pane.run is None:
            break
    await settle(pilot)


def rows_of(path: str, sql: str) -> list[tuple]:
    """`sql`'s rows, read by a fresh open of the database directory."""
    from tui.backend import Rows

    b = EmbeddedBackend(path, database="shop", **ENGINE_OPTIONS)
    b.open(lambda _e: None)
    try:
        return [r for part in b.execute(sql) if isinstance(part, Rows) for r in part.rows]
    finally:
        b.close()


def screen_text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static"))


# -- 1. quitting with a transaction open asks -------------------------------------------------

INSERT = ("INSERT INTO customers (id, name, email, city, created_at) "
          "VALUES (9001, 'Quit Test', 'quit@example.com', 'Lisbon', '2026-01-02 10:00:00')")
COUNT = "SELECT COUNT(*) FROM customers WHERE id = 9001"


async def _begin_insert_and_quit(pilot) -> OpenTransactionScreen:
    app = pilot.app
    await settle(pilot)
    await run_sql(pilot, f"BEGIN; {INSERT}")
    assert app.backend.session_state().in_transaction
    await pilot.press("ctrl+q")
    await pilot.pause()
    assert isinstance(app.screen, OpenTransactionScreen), "quit without asking"


    return app.screen


@pilot_test
async def test_quit_with_a_transaction_open_asks_and_stay_keeps_it(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await _begin_insert_and_quit(pilot)
        text = screen_text(app)
        assert "transaction is open" in text and "1 statement" in text
        assert "INSERT INTO customers" in text and "loses it" in text
        assert app.screen.focused.id == "stay"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not dialog and app.is_running and app.return_code is None
        assert app.backend.session_state().in_transaction
        await pilot.press("ctrl+q")  # and again: the palette's Quit asks as well
        await pilot.pause()
        assert isinstance(app.screen, OpenTransactionScreen)
        await pilot.press("enter")  # Stay has the focus
        await pilot.pause()
        assert not isinstance(app.screen, OpenTransactionScreen) and app.is_running
        quit_action = next(a for a in actions.REGISTRY if a.name == "quit")
        app.run_registered(quit_action)  # the command palette's Quit
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, OpenTransactionScreen)
        await pilot.press("escape")
        await pilot.pause()
        # the Backups tab, after a restore, reopens the console on the restored copy
        app.reopen_path = "restored"
        app.exit(0)
        await pilot.pause()
        assert isinstance(app.screen, OpenTransactionScreen)
        assert "Opening restored: a transaction is open" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.reopen_path is None and app.return_code is None  # stayed, here


@pilot_test
async def test_roll_back_on_quit_loses_the_row_and_says_so_in_the_history(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await _begin_insert_and_quit(pilot)
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break
        assert app.return_code == 0
    app.backend.close()
    assert rows_of(shop_db, COUNT) == [(0,)]
    assert [e.sql for e in app.history.entries[-3:]] == ["BEGIN", INSERT, "ROLLBACK"]


@pilot_test
async def test_quit_in_autocommit_leaves_at_once(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, INSERT)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0
    app.backend.close()
    assert rows_of(shop_db, COUNT) == [(1,)]


@pilot_test
async def test_quit_while_a_statement_runs_asks_first_stay_keeps_it_commit_cancels_it(
        make_app, shop_db):
    """With a transaction open, Ctrl+Q asks before touching the running statement: Stay
    leaves it running; Commit cancels it, then commits."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await run_sql(pilot, f"BEGIN; {INSERT}")
        pane = app.pane("sql")
        pane.editor.text = "SELECT COUNT(*) FROM orders a, orders b, orders c"  # 10^9 rows
        await pilot.press("f5")
        for _ in range(200):
            await pilot.pause(0.02)
            if pane.run is not None and pane.run.index == 0:
                break
        run = pane.run
        assert run is not None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, OpenTransactionScreen)
        await pilot.press("s")  # Stay
        await pilot.pause(0.3)
        assert not isinstance(app.screen, OpenTransactionScreen)
        assert pane.run is run and run.state == "running"  # Stay did not cancel it
        assert not run.cancel_requested
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, OpenTransactionScreen)
        await pilot.press("c")
        for _ in range(500):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break
        assert run.state == "cancelled"  # Commit cancelled the statement first
        assert app.return_code == 0
    app.backend.close()
    assert rows_of(shop_db, COUNT) == [(1,)]


@pilot_test
async def test_quit_while_a_statement_runs_in_autocommit_asks_whether_to_stop_it(
        make_app, shop_db):
    """No transaction, but a statement running: quitting would cancel it (a write's changes
    rolled back), so Ctrl+Q asks; Stay leaves it running, q stops it and quits."""
    from tui.screens import QuitBusyScreen

    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.pane("sql")
        pane.editor.text = "SELECT COUNT(*) FROM orders a, orders b, orders c"  # 10^9 rows
        await pilot.press("f5")
        for _ in range(200):
            await pilot.pause(0.02)
            if pane.run is not None:
                break
        run = pane.run
        assert run is not None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitBusyScreen)
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "A statement has run for" in text and "orders a, orders b" in text
        await pilot.press("escape")  # Stay
        await pilot.pause(0.3)
        assert not isinstance(app.screen, QuitBusyScreen)
        assert pane.run is run and run.state == "running" and not run.cancel_requested
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitBusyScreen)
        await pilot.press("q")
        for _ in range(500):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break
        assert app.return_code == 0
    app.backend.close()
    assert rows_of(shop_db, COUNT) == [(0,)]


# -- 4. tab keys that arrive through tmux, screen and ssh ---------------------------------


def test_meta_digit_as_tmux_sends_it_is_alt_digit():
    """tmux `send-keys M-1`, screen and ssh send ESC 1 for Alt+1: Textual read it as `¡`."""
    from textual._xterm_parser import XTermParser

    import tui.app  # noqa: F401 - importing the console fixes the parser's table

    for digit in "12345":
        parser = XTermParser(debug=False)
        keys = [*parser.feed(f"\x1b{digit}"), *parser.feed("")]
        assert [k.key for k in keys] == [f"alt+{digit}"]
    parser = XTermParser(debug=False)
    assert [k.key for k in [*parser.feed("\u00a1£"), *parser.feed("")]] == [
        "inverted_exclamation_mark", "pound_sign"]  # typed characters stay characters


async def terminal_sends(pilot, data: str) -> None:
    """The key events Textual's terminal parser makes of `data`, posted to the app as its
    driver would."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser(debug=False)
    for event in [*parser.feed(data), *parser.feed("")]:
        pilot.app.post_message(event)
    await pilot.pause()
    await pilot.pause()


@pilot_test
async def test_tab_keys_from_the_editor_and_everywhere_and_the_help_on_them(make_app,
                                                                          shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tabs = app.query_one("#tabs")
        editor = app.pane("sql").editor
        assert editor in app.focused.ancestors_with_self  # typing goes to the editor
        await terminal_sends(pilot, "\x1b1")  # Alt+1 as tmux, screen and ssh send it
        assert tabs.active == "tab-recovery"
        await terminal_sends(pilot, "\x1b4")
        assert tabs.active == "tab-sql"
        await terminal_sends(pilot, "\x1b1")  # from the editor as well: nothing typed
        assert tabs.active == "tab-recovery"
        await terminal_sends(pilot, "\x1b4")
        assert tabs.active == "tab-sql" and editor.text == ""
        await pilot.press("f8")
        assert tabs.active == "tab-backups"
        await pilot.press("f7", "f7")
        assert tabs.active == "tab-indexes"
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        assert "Alt+1..5" in text and "F7 / F8" in text and "tmux" in text
        # 3. each key is said once: the comment action's sentence repeated "(Ctrl+/)"
        lines = app.screen.lines
        comment = [(k, h) for _s, k, h in lines if "comment or uncomment" in h]
        assert comment == [("Ctrl+/", "Editor: comment or uncomment the selected lines")]
        for _scope, keys, help_text in lines:
            for key in keys.split(" / "):
                assert f"({key})" not in help_text, (keys, help_text)


# -- 4. the footer and the title line at 80x24 --------------------------------------------


def footer_keys(app) -> list[tuple[str, bool]]:
    """(key, fully on screen) for every key the footer shows."""
    from tui.widgets.footer import Footer

    footer = app.query_one(Footer)
    width = app.size.width
    shown = [k for k in footer.children if k.display]
    return [(k.key_display, 0 <= k.region.x and k.region.right <= width) for k in shown]


def title_line(app) -> str:
    return str(app.query_one("#title").render())


@pilot_test
async def test_footer_keeps_help_and_quit_and_drops_whole_keys_at_80_columns(make_app,
                                                                           shop_db):
    app = make_app(shop_db, initial_tab="recovery")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for tab in ("recovery", "ddl", "indexes", "sql", "backups"):
            app.action_tab(tab)
            await settle(pilot)
            keys = footer_keys(app)
            assert ("F1", True) in keys and ("Ctrl+Q", True) in keys, (tab, keys)
            assert all(whole for _k, whole in keys), (tab, keys)
            regions = sorted(k.region for k in app.query("FooterKey") if k.display)
            for a, b in zip(regions, regions[1:], strict=False):
                assert a.right <= b.x, (tab, regions)  # none hides another
        app.action_tab("sql")
        await settle(pilot)
        assert [k for k, _w in footer_keys(app)][:2] == ["F5", "F6"]  # the pane's keys first
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        keys = [k for k, _w in footer_keys(app)]
        assert {"F5", "F6", "Ctrl+R", "Ctrl+E", "F1", "Ctrl+Q", "Ctrl+P"} <= set(keys)


@pilot_test
async def test_title_line_drops_whole_parts_instead_of_cutting_words(make_app, shop_db,
                                                                    tmp_path):
    import os

    deep = tmp_path / "var" / "lib" / "kintsugi" / "production-replica-eu-west"
    deep.parent.mkdir(parents=True)
    os.rename(shop_db, deep)
    path = str(deep.relative_to(tmp_path))
    app = make_app(path, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wide = title_line(app)
        assert wide == (f"KintsugiDB {path} │ database shop │ autocommit │ open, clean start")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        line = title_line(app)
        assert len(line) <= 78, line
        assert line == f"{path} │ db shop │ autocommit │ open", line
        await run_sql(pilot, "BEGIN")
        line = title_line(app)
        assert "in a transaction" in line and len(line) <= 78, line
        await run_sql(pilot, "ROLLBACK")


def test_title_parts_shrink_in_order_to_any_width():
    from tui.app import TitleParts

    parts = TitleParts([["KintsugiDB /srv/db/shop", "/srv/db/shop", "…/shop"],
                        ["database shop", "db shop"], ["in a transaction"],
                        ["open, recovered after a crash", "open, recovered", "recovered"]],
                       [3, 1, 0, 3, 2, 3, 0])
    assert parts.fitting(200) == ("KintsugiDB /srv/db/shop │ database shop │ in a transaction │ "
                                  "open, recovered after a crash")
    assert parts.fitting(70) == ("KintsugiDB /srv/db/shop │ db shop │ in a transaction │ "
                                 "open, recovered")
    assert parts.fitting(40) == "…/shop │ db shop │ in a transaction │ recovered"


# -- 5. a long DDL statement can be read whole ---------------------------------------------

WIDE = ("CREATE TABLE wide_table (id INT PRIMARY KEY, " +
        ", ".join(f"col_{i:02d} VARCHAR(40) NOT NULL DEFAULT ''" for i in range(40)) + ")")


@pilot_test
async def test_a_long_ddl_statement_says_what_is_hidden_and_scrolls(make_app, shop_db):
    from tui.widgets.ddl_detail import DDLJobDetail

    b = EmbeddedBackend(shop_db, database="shop", **ENGINE_OPTIONS)
    b.open(lambda _e: None)
    list(b.execute(WIDE))
    b.close()
    app = make_app(shop_db, initial_tab="ddl")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        box = app.query_one(DDLJobDetail)
        text = str(box.query_one("#ddl-detail-text").content)
        assert "col_39 VARCHAR(40)" in text  # the whole statement is in the box
        above, below = box.hidden_lines()
        assert above == 0 and below > 5
        assert f"↓ {below} more lines" in box.border_subtitle
        assert "Tab here" in box.border_subtitle
        app.pane("ddl").focus_default()
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is box
        await pilot.press("down", "down", "down")
        await pilot.pause()
        above, _below = box.hidden_lines()
        assert above == 3 and "↑ 3 more" in box.border_subtitle
        await pilot.press("end")
        await pilot.pause()
        assert box.hidden_lines()[1] == 0 and "more line" not in box.border_subtitle
        assert "col_39" in text
