"""`--theme ansi-dark` is 16 colours: every cell of every tab, dialog and the help screen is
drawn with the 16 ANSI colours (or the terminal's default), never a 256-colour or truecolor
code, so the console looks as meant in tmux, screen, over SSH and in a plain terminal.

The check reads what would be written to the terminal: the screen's full update (the
compositor's output, after Textual's colour filters), rendered by a truecolor console, both
as Rich segments (each colour's type) and as the escape codes themselves."""

from __future__ import annotations

import io
import re
import shutil

import pytest
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


@pytest.fixture(scope="module")
def _demo_template(tmp_path_factory):
    """The demo as `kintsugi demo` builds it (small): a crash to recover from, DDL jobs, dropped
    tables, damaged indexes, a backup."""
    from tests.tui.conftest import ENGINE_OPTIONS
    from tui import demo

    path = str(tmp_path_factory.mktemp("ansi") / "demo")
    demo.build(path, scale=0.02, segment_size=4 << 20, **ENGINE_OPTIONS)
    demo.run_crash(path, batches=4, open_orders=1_200)
    return path


@pytest.fixture
def demo_db(_demo_template, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(_demo_template, tmp_path / "demo", ignore=shutil.ignore_patterns("LOCK"))
    return "demo"  # (the demo's backup is of the template: the test takes its own)


async def visit(pilot, where: str, problems: dict, *keys: str) -> None:
    """Press `keys` (opening a dialog, a detail, a confirmation, or a refusal's toast), check
    the screen, and go back with Escape."""
    await pilot.press(*keys)
    await check(pilot, where, problems)
    if len(pilot.app.screen_stack) > 1:
        await pilot.press("escape")
        await settle(pilot)


@pilot_test
async def test_every_screen_is_sixteen_colours_under_the_ansi_theme(make_app, demo_db):
    from dataclasses import replace

    from textual.widgets import DataTable
    from textual.widgets.text_area import Selection

    from tui.config import load

    app = make_app(demo_db, initial_tab="recovery",
                   settings=replace(load(), theme="ansi-dark"))  # as --theme ansi-dark
    problems: dict[str, list[str]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await check(pilot, "recovery", problems)
        await visit(pilot, "recovery history detail", problems, "h", "enter")
        app.action_tab("ddl")
        await check(pilot, "ddl", problems)
        await visit(pilot, "ddl job detail", problems, "enter")
        await visit(pilot, "ddl x", problems, "x")
        ddl = app.pane("ddl")
        jobs = ddl.query_one("#jobs", DataTable)
        for row in range(jobs.row_count):  # a dropped table: the recover dialogs
            jobs.move_cursor(row=row, animate=False)
            if "drop table" in (ddl.selected().job_type if ddl.selected() else ""):
                break
        for key in ("r", "f"):
            await visit(pilot, f"ddl {key}", problems, key)
        app.action_tab("indexes")
        await check(pilot, "indexes", problems)
        await visit(pilot, "indexes checked", problems, "a")
        await visit(pilot, "indexes repair", problems, "f")
        app.action_tab("backups")
        await check(pilot, "backups", problems)
        await visit(pilot, "backups r refused", problems, "r")
        await pilot.press("b")  # take one: its dialog, then the list with a backup
        await check(pilot, "backup dialog", problems)
        await pilot.press("enter")
        await settle(pilot)
        assert app.pane("backups").data.backups
        await check(pilot, "backups after a backup", problems)
        app.action_tab("sql")
        await check(pilot, "sql (start)", problems)
        editor = app.pane("sql").editor
        editor.text = ""
        await pilot.press(*"SELECT * FROM cust")  # the completion list
        await check(pilot, "sql completion list", problems)
        await pilot.press("escape")
        await run_sql(pilot, "SELECT id, name, city FROM customers ORDER BY id")
        await check(pilot, "sql result (editor focused)", problems)
        editor.selection = Selection((0, 0), (0, 6))
        await check(pilot, "sql selection", problems)
        await pilot.press("f3")
        await check(pilot, "sql result (grid focused)", problems)
        await visit(pilot, "cell dialog", problems, "enter")
        await pilot.press("f2")
        await run_sql(pilot, "SELECT 1;\nSELEC 2 'a string' -- and a comment")
        editor.selection = Selection((1, 0), (1, 0))
        await pilot.press("f5")
        await settle(pilot)
        await check(pilot, "sql error", problems)
        await visit(pilot, "export dialog", problems, "ctrl+e")
        await visit(pilot, "history dialog", problems, "ctrl+r")
        editor.text = "DROP TABLE orders"
        await visit(pilot, "confirm dialog", problems, "f5")
        await visit(pilot, "help screen", problems, "f1")
        await visit(pilot, "command palette", problems, "ctrl+p", *"qu")
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
