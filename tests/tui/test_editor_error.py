"""After an error the cursor is at the error, which is marked, not selected: the next key
edits the statement instead of replacing it."""

from __future__ import annotations

from tests.tui.conftest import settle
from tests.tui.test_console import pilot_test, status_text, wait_run
from tui.widgets import editor_theme
from tui.widgets.completion import ERROR_MARK


def marked_text(area, row: int) -> str:
    """The characters of editor line `row` drawn with the error mark's style (underlined,
    in its colour; the cell under the cursor keeps the underline)."""
    themes = {t.name: t for t in (editor_theme.DEFAULT_THEME, editor_theme.ANSI_THEME)}
    style = themes[area.theme].syntax_styles[ERROR_MARK]
    y = row - area.scroll_offset.y
    cursor = area.cursor_location
    out = ""
    x = -area.gutter_width
    for seg in area.render_line(y):
        for ch in seg.text:
            at_cursor = (row, x) == cursor
            if seg.style is not None and seg.style.underline and (
                    at_cursor or seg.style.color == style.color):
                out += ch
            x += 1
    return out


async def run_statement(pilot, text: str, line: int, column: int = 0, key: str = "f5"):
    from textual.widgets.text_area import Selection

    editor = pilot.app.pane("sql").editor
    editor.text = text
    editor.selection = Selection((line, column), (line, column))
    editor.focus()
    await pilot.press(key)
    await wait_run(pilot)
    return editor


@pilot_test
async def test_a_syntax_error_puts_the_cursor_on_it_and_marks_it(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        editor = await run_statement(pilot, "SELECT 1;\nSELEC 2;", line=1)
        area = editor.text_input
        assert "ERROR 1064" in str(app.pane("sql").results.query_one("#result-body")
                                   .children[0].render())
        assert editor.selection.start == editor.selection.end == (1, 0)
        assert editor.selected_text == ""
        assert area.error_mark == ((1, 0), (1, 5))
        assert marked_text(area, 1) == "SELEC"
        assert "cursor at the error" in status_text(app)
        assert "keeps your text" not in status_text(app)
        await pilot.press("x")  # edits, does not replace the statement
        assert editor.text == "SELECT 1;\nxSELEC 2;"
        assert area.error_mark is None and marked_text(area, 1) == ""


@pilot_test
async def test_an_error_further_in_a_statement_of_several_lines(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sql = "SELECT 1;\n\nSELECT id,\n       name\n  FRM customers\n WHERE id = 1;\nSELECT 3"
        editor = await run_statement(pilot, sql, line=3)
        area = editor.text_input
        # MySQL says: near 'customers\n WHERE id = 1' at line 3 (of the statement)
        assert editor.selection.start == editor.selection.end == (4, 6)
        assert marked_text(area, 4) == "customers"
        # the next run clears the mark
        await pilot.press("f6")
        await wait_run(pilot)
        await pilot.press("ctrl+home")
        assert area.error_mark is not None  # F6 fails on the same statement, marks it again
        editor.text = "SELECT 1"
        await pilot.press("f5")
        await wait_run(pilot)
        assert area.error_mark is None


@pilot_test
async def test_an_error_without_a_position_puts_the_cursor_at_the_statement(make_app,
                                                                            shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sql = "SELECT 1;\n  SELECT (SELECT 1 UNION SELECT 2);\nSELECT 3"
        editor = await run_statement(pilot, sql, line=1, column=4)
        assert "Error 1242" in status_text(app)
        assert "cursor at its start" in status_text(app)
        assert editor.selection.start == editor.selection.end == (1, 2)
        assert editor.selected_text == ""
        assert marked_text(editor.text_input, 1) == "SELECT (SELECT 1 UNION SELECT 2)"
        await pilot.press("ctrl+z")  # undo is an edit too: the mark goes
        assert editor.text_input.error_mark is None
        editor.text = sql
        await run_statement(pilot, sql, line=1, column=4)
        await pilot.press("x")
        assert editor.text == "SELECT 1;\n  xSELECT (SELECT 1 UNION SELECT 2);\nSELECT 3"


@pilot_test
async def test_an_error_naming_a_table_or_column_puts_the_cursor_on_it(make_app, shop_db):
    """1146 and 1054 quote what they could not find: the cursor goes to it, as for a 1064."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sql = "SELECT 1;\n  SELECT name FROM customer WHERE id = 7;\nSELECT 3"
        editor = await run_statement(pilot, sql, line=1, column=4)
        assert "Error 1146" in status_text(app) and "cursor at the error" in status_text(app)
        assert editor.selection.start == editor.selection.end == (1, 19)
        assert marked_text(editor.text_input, 1) == "customer"
        sql = "SELECT id,\n       nme\nFROM orders"
        editor = await run_statement(pilot, sql, line=0)
        assert "Error 1054" in status_text(app), status_text(app)
        assert editor.selection.start == editor.selection.end == (1, 7)
        assert marked_text(editor.text_input, 1) == "nme"
