"""Typing in the SQL editor with completion on: every key lands, in order, whatever the
completion worker does; Enter is a newline, Tab accepts the highlighted completion."""

from __future__ import annotations

import random

from textual import events

from tests.tui.conftest import settle
from tests.tui.test_console import pilot_test
from tui.widgets.completion import SqlTextArea

# words that open the completion list on the shop's catalog (tables, columns, keywords),
# member completions ("o.", "c.na") and words that complete to nothing
WORDS = ["SELECT", "SEL", "sel", "FROM", "WHERE", "WH", "customers", "cust", "orders", "ord",
         "order_items", "name", "na", "city", "ci", "id", "o.id", "c.na", "c.city", "COUNT",
         "SUM", "su", "GROUP", "BY", "ORDER", "total", "to", "status", "x", "2", "42"]
KEY_OF = {" ": "space", ";": "semicolon", ".": "full_stop", "\n": "enter", "_": "underscore"}


def keystrokes(n: int, seed: int) -> tuple[list[str], str]:
    """`n` characters of SQL-ish text (words, spaces, semicolons, newlines), as typed.

    No line starts with a blank: Enter copies the indentation of the line it ends."""
    rnd = random.Random(seed)
    text = ""
    while len(text) < n:
        text += rnd.choice(WORDS)
        text += rnd.choice([" ", " ", " ", ";", "\n", ";\n", " ", "; "])
    text = text[:n]
    return list(text), text


def key_event(ch: str) -> events.Key:
    if ch == "\n":
        return events.Key("enter", "\r")
    return events.Key(KEY_OF.get(ch, ch), ch)


async def _editor_ready(app, pilot):
    await settle(pilot)
    editor = app.pane("sql").editor
    assert editor.catalog.tables(), "the catalog is loaded (the list opens on table names)"
    editor.text = ""
    editor.focus()
    await pilot.pause()
    assert isinstance(editor.text_input, SqlTextArea) and editor.text_input.has_focus
    return editor


@pilot_test
async def test_keystrokes_pressed_one_by_one(make_app, shop_db):
    """Through Pilot.press (which lets the app go idle after each key, so it is slow: the
    2,000 keys are in the burst test below)."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await _editor_ready(app, pilot)
        chars, expected = keystrokes(120, seed=14)
        await pilot.press(*[KEY_OF.get(c, c) for c in chars])
        await settle(pilot)
        assert editor.text == expected


@pilot_test
async def test_two_thousand_keystrokes_in_bursts_like_a_terminal(make_app, shop_db):
    """Keys arrive in bursts (tmux send-keys, a paste typed out, a fast typist): many are
    queued before the editor handles the first.  The issue's case comes first."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await _editor_ready(app, pilot)
        opened = 0
        for seed in range(8):
            chars, expected = keystrokes(250, seed=seed)
            if seed == 0:
                chars = list("SELEC 2;\nSELECT 3;\n") + chars
                expected = "SELEC 2;\nSELECT 3;\n" + expected
            editor.text = ""
            await pilot.pause()
            for i, ch in enumerate(chars):
                app.post_message(key_event(ch))  # no wait: the keys queue up
                if i % 40 == 39:
                    await pilot.pause(0.005)  # the worker answers between two bursts
                    opened += editor.completion_list.is_open
            await settle(pilot)
            assert editor.text == expected, f"seed {seed}"
        assert opened, "the completion list did open while typing"


@pilot_test
async def test_enter_with_the_list_open_is_a_newline_and_tab_accepts(make_app, shop_db):
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await _editor_ready(app, pilot)
        area = editor.text_input
        await pilot.press(*"SELECT * FROM cust")
        await settle(pilot)
        popup = editor.completion_list
        assert popup.is_open and area.popup_is_current
        labels = [str(popup.get_option_at_index(i).prompt) for i in range(popup.option_count)]
        assert labels[0].startswith("customers")
        await pilot.press("enter")
        assert editor.text == "SELECT * FROM cust\n" and not popup.is_open
        assert editor.selection.end == (1, 0)

        editor.text = ""
        await pilot.press(*"SELECT * FROM cust")
        await settle(pilot)
        assert popup.is_open
        await pilot.press("tab")
        assert editor.text == "SELECT * FROM customers" and not popup.is_open
        # a member completion
        await pilot.press("space", *"c", "space", *"WHERE", "space", *"c.ci")
        await settle(pilot)
        assert popup.is_open
        await pilot.press("tab")
        assert editor.text == "SELECT * FROM customers c WHERE c.city"
        # Down, then Tab: the second item
        await pilot.press("space", *"AND", "space", *"cust")
        await settle(pilot)
        second = popup.get_option_at_index(1).value
        await pilot.press("down", "tab")
        assert editor.text == f"SELECT * FROM customers c WHERE c.city AND {second}"
        # with nothing to complete Tab indents, as before
        await pilot.press("enter", "tab")
        assert editor.text.endswith("\n    ")


@pilot_test
async def test_tab_typed_before_the_list_opened_completes_what_was_typed(make_app, shop_db):
    """Tab right after the word, before the worker answered: the completion of the text as
    it is, never of an older prefix (and never lost, never a stray indentation)."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await _editor_ready(app, pilot)
        for ch in "SELECT * FROM ord":
            app.post_message(key_event(ch))
        app.post_message(events.Key("tab", "\t"))
        for ch in " WHERE ":
            app.post_message(key_event(ch))
        await settle(pilot)
        assert editor.text == "SELECT * FROM order_items WHERE "  # the first of the list
        assert not editor.completion_list.is_open


@pilot_test
async def test_a_stale_list_is_never_shown_nor_inserted(make_app, shop_db):
    """A worker's answer for an older text arrives after newer keys: it is dropped."""
    app = make_app(shop_db, initial_tab="sql")
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await _editor_ready(app, pilot)
        area = editor.text_input
        await pilot.press(*"SELECT * FROM cu")
        await settle(pilot)
        old_state = area.completion_state()
        await pilot.press("semicolon", "enter")
        assert not editor.completion_list.is_open
        # the answer of a slow worker for "cu", arriving now
        area.post_message(SqlTextArea.CompletionsFound(
            old_state, "cu", [(("customers", "table"), "customers")]))
        await pilot.pause()
        assert not editor.completion_list.is_open
        await pilot.press("tab")  # nothing to complete: an indentation, not "customers"
        assert editor.text == "SELECT * FROM cu;\n    "
