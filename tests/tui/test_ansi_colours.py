"""`--theme ansi-dark` is 16 colours: every cell of every tab, dialog and the help screen is
drawn with the 16 ANSI colours (or the terminal's default), never a 256-colour or truecolor
code, so the console looks as meant in tmux, screen, over SSH and in a plain terminal.

The check reads what would be written to the terminal: the screen's full update (the
compositor's output, after Textual's colour filters), rendered by a truecolor console, both
as Rich segments (each colour's type) and as the escape codes themselves."""

from __future__ import annotations

import io
import re

from rich.color import ColorType
from rich.console import Console

from tests.tui.conftest import settle
from tests.tui.test_console import pilot_test, run_sql

ALLOWED = {ColorType.STANDARD, ColorType.DEFAULT}
WIDE_CODE = re.compile(r"\x1b\[[0-9;]*?(?:38|48|58);[25];[0-9;]*m")


def wide_colours(app) -> list[str]:
    """Every cell drawn now with a colour outside the 16 (as 'colour: text'), deduplicated."""
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    console = Console(file=io.StringIO(), width=app.size.width, height=app.size.height,
                      force_terminal=True, color_system="truecolor", legacy_windows=False)
    found: dict[str, str] = {}
    for seg in console.render(update):
        style = seg.style
        if style is None or seg.control:
            continue
        for what, colour in (("fg", style.color), ("bg", style.bgcolor)):
            if colour is not None and colour.type not in ALLOWED:
                found.setdefault(f"{what} {colour.name}", seg.text.strip()[:40])
    with console.capture() as capture:
        console.print(update)
    for code in sorted(set(WIDE_CODE.findall(capture.get()))):
        found.setdefault(f"code {code!r}", "")
    return [f"{k}: {v!r}" for k, v in found.items()]


async def check(pilot, where: str, problems: dict) -> None:
    await settle(pilot)
    bad = wide_colours(pilot.app)
    if bad:
        problems[where] = bad


@pilot_test
async def test_every_screen_is_sixteen_colours_under_the_ansi_theme(make_app, crashed_db):
    from dataclasses import replace

    from textual.widgets.text_area import Selection

    from tui.config import load

    app = make_app(crashed_db, initial_tab="recovery",
                   settings=replace(load(), theme="ansi-dark"))  # as --theme ansi-dark
    problems: dict[str, list[str]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await check(pilot, "recovery", problems)
        for tab in ("ddl", "indexes", "backups"):
            app.action_tab(tab)
            await check(pilot, tab, problems)
        app.action_tab("sql")
        await check(pilot, "sql (start)", problems)
        editor = app.pane("sql").editor
        await pilot.press(*"SELECT * FROM cust")  # the completion list
        await check(pilot, "sql completion list", problems)
        await pilot.press("escape")
        await run_sql(pilot, "SELECT id, name, city FROM customers ORDER BY id")
        await check(pilot, "sql result (editor focused)", problems)
        editor.selection = Selection((0, 0), (0, 6))
        await check(pilot, "sql selection", problems)
        await pilot.press("f3")
        await check(pilot, "sql result (grid focused)", problems)
        await pilot.press("enter")
        await check(pilot, "cell dialog", problems)
        await pilot.press("escape")
        await pilot.press("f2")
        await run_sql(pilot, "SELECT 1;\nSELEC 2 'a string' -- and a comment")
        editor.selection = Selection((1, 0), (1, 0))
        await pilot.press("f5")
        await settle(pilot)
        await check(pilot, "sql error", problems)
        await pilot.press("ctrl+e")
        await check(pilot, "export dialog", problems)
        await pilot.press("escape")
        await pilot.press("ctrl+r")
        await check(pilot, "history dialog", problems)
        await pilot.press("escape")
        editor.text = "DROP TABLE orders"
        await pilot.press("f5")
        await check(pilot, "confirm dialog", problems)
        await pilot.press("n")
        await pilot.press("f1")
        await check(pilot, "help screen", problems)
        await pilot.press("escape")
    assert not problems, "\n".join(f"{where}: {bad}" for where, bad in problems.items())


@pilot_test
async def test_the_editor_highlighting_follows_the_theme(make_app, shop_db):
    """The default theme keeps its colours; Ctrl+T switches the editor to 16 colours too."""
    from tui.widgets import editor_theme

    app = make_app(shop_db, initial_tab="sql", sql_text="SELECT 'x' -- note")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        area = app.pane("sql").editor.text_input
        assert area.theme == editor_theme.DEFAULT
        assert wide_colours(app)  # the default theme is not 16 colours (truecolor is fine)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme == "ansi-dark" and area.theme == editor_theme.ANSI
        assert wide_colours(app) == []
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme == "kintsugi" and area.theme == editor_theme.DEFAULT
