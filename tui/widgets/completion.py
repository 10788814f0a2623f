"""The editor's text area: textual-textarea's, with a completion popup that never races typing
(and a mark on the spot where the last statement failed).

textual-textarea (0.19) works out the word to complete inside its key handler, before the key's
character is inserted, and talks to the popup through messages posted to the text area's own
queue.  Keys typed fast are already queued, so they are handled before those messages: an
Enter found the completer still "active" (the message closing it waited behind the Enter) and
was given to the popup, which swallowed the newline and inserted a stale suggestion
(`SELEC 2;SELECT 3;SELECT`); a thread worker's list computed for older text could open after
newer keys and be inserted over them.

`SqlTextArea` keeps the library's key handling (when a word or `owner.` completion starts,
brackets, indentation) and changes what depends on timing:

- closing the popup happens at once (the library's `TextAreaHideCompletionList`, which many of
  its actions post, is handled when posted, not after the keys queued behind it);
- a request for completions is handled after the keys before it, for the text and cursor as
  they then are; its worker's answer carries that state and is dropped if the text, the
  cursor or the completion mode has changed since (it is never shown nor inserted);
- Enter is always a newline (and closes the popup); Tab accepts the highlighted completion,
  and Up/Down/PageUp/PageDown move in the popup, against a list brought up to date on the spot
  if the worker has not answered yet, so what a key does depends on the keys before it, never
  on how fast the worker was.  With nothing to complete, Tab indents as before.

The error mark is one more highlight among the syntax highlights (the theme's `ERROR_MARK`
style), so it scrolls and redraws with the text; any edit removes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual import events, on, work
from textual.message import Message
from textual.widgets.text_area import Edit, EditResult, Location, Selection
from textual_textarea.autocomplete import CompletionList
from textual_textarea.messages import TextAreaHideCompletionList
from textual_textarea.text_editor import TextAreaPlus

Items = Sequence[tuple[tuple[str, str], str]]
Completer = Callable[[str, str], Items]  # (mode "word" | "member" | "path", prefix) -> items
State = tuple[str, Selection, str | None]  # text, selection, completion mode
ERROR_MARK = "kintsugi.error"  # the highlight name of the error mark, styled by the theme
LIST_KEYS = {"up": "action_cursor_up", "down": "action_cursor_down",
             "pageup": "action_page_up", "pagedown": "action_page_down"}


class SqlTextArea(TextAreaPlus, inherit_bindings=False):
    """TextAreaPlus whose completion popup always matches the text and cursor it is shown for."""

    BINDINGS = TextAreaPlus.BINDINGS
    shown_for: State | None = None  # the state the open popup's list was made for
    _refresh_pending = False  # a _Refresh is queued
    error_mark: tuple[Location, Location] | None = None  # where the last run failed

    class _Refresh(Message, bubble=False):
        """Bring the popup up to date (posted behind the keys already queued)."""

    class CompletionsFound(Message, bubble=False):
        """A worker's completions, for the state they were computed for."""

        def __init__(self, state: State, prefix: str, items: Items) -> None:
            super().__init__()
            self.state, self.prefix, self.items = state, prefix, items

    def __init__(self, completer: Completer, completion_list: CompletionList, **kwargs) -> None:
        self.completer = completer
        self.completion_list = completion_list
        super().__init__(**kwargs)

    # -- the state a list belongs to -----------------------------------------------------------

    def completion_state(self) -> State:
        return self.text, self.selection, self.completer_active

    @property
    def popup_is_current(self) -> bool:
        """The popup is open and lists the completions of the text and cursor as they are."""
        return (self.completion_list.is_open and self.shown_for is not None
                and self.shown_for == self.completion_state())

    def close_completions(self) -> None:
        self.completer_active = None
        self.shown_for = None
        self.completion_list.is_open = False

    # -- the library's messages, handled in order -----------------------------------------------

    def post_message(self, message: Message) -> bool:
        """The library posts these two to itself from its key handlers and actions (on the
        UI thread); handled here, in the order of the keys, instead of behind queued keys."""
        if isinstance(message, TextAreaHideCompletionList):
            self.close_completions()
            return True
        if isinstance(message, TextAreaPlus.ShowCompletionList):
            if not self._refresh_pending:  # one request for a burst of keys
                self._refresh_pending = True
                super().post_message(self._Refresh())
            return True
        return super().post_message(message)

    # -- the error mark ------------------------------------------------------------------------

    def mark_error(self, start: Location, end: Location) -> None:
        self.error_mark = (start, end)
        self._build_highlight_map()
        self.refresh()

    def clear_error_mark(self) -> None:
        if self.error_mark is not None:
            self.error_mark = None
            self._build_highlight_map()
            self.refresh()

    def _build_highlight_map(self) -> None:
        super()._build_highlight_map()
        if self.error_mark is None:
            return
        (row, col), (end_row, end_col) = self.error_mark
        lines = self.document.lines
        for r in range(row, min(end_row, len(lines) - 1) + 1):
            line = lines[r]
            a = len(line[:col].encode()) if r == row else 0
            b = len(line[:end_col].encode()) if r == end_row else len(line.encode())
            self._highlights[r].append((a, max(b, a + 1), ERROR_MARK))

    def edit(self, edit: Edit) -> EditResult:
        self.error_mark = None  # rebuilt without it by the edit
        result = super().edit(edit)
        self._drop_if_stale()
        return result

    def action_undo(self) -> None:  # undo and redo change the text without edit()
        self.clear_error_mark()
        super().action_undo()

    def action_redo(self) -> None:
        self.clear_error_mark()
        super().action_redo()

    def watch_selection(self) -> None:
        self._drop_if_stale()

    def _drop_if_stale(self) -> None:
        """Text or cursor changed by something other than typing (a keystroke that goes on
        completing has a refresh pending): a list made for the old text closes."""
        if self.shown_for is not None and not self._refresh_pending \
                and self.shown_for != self.completion_state():
            self.close_completions()

    @on(_Refresh)
    def _refresh(self, event: _Refresh) -> None:
        event.stop()
        self._refresh_pending = False
        if self.completer_active is None:
            return
        prefix = self._get_word_before_cursor()
        if not prefix:
            self.close_completions()
            return
        self._find_completions(self.completion_state(), prefix)

    @work(thread=True, exclusive=True, group="completion", exit_on_error=False)
    def _find_completions(self, state: State, prefix: str) -> None:
        mode = state[2] or "word"
        self.post_message(self.CompletionsFound(state, prefix, list(self.completer(mode,
                                                                                    prefix))))

    @on(CompletionsFound)
    def _found(self, event: CompletionsFound) -> None:
        event.stop()
        if self._refresh_pending or self.completer_active is None \
                or event.state != self.completion_state():
            return  # computed for an older text or cursor: never shown
        self._show(event.state, event.prefix, event.items)

    def _show(self, state: State, prefix: str, items: Items) -> None:
        if not items:
            self.close_completions()
            return
        x, y, _w, _h = self.region
        popup = self.completion_list
        popup.cursor_offset = self.cursor_screen_offset - (x, y)
        popup.populate_and_position_list(CompletionList.CompletionsReady(prefix, list(items)))
        self.shown_for = state

    def _bring_popup_up_to_date(self) -> None:
        """Synchronously, for a key that acts on the popup before the worker answered."""
        if self.completer_active is None or self.popup_is_current:
            return
        self._refresh_pending = False
        prefix = self._get_word_before_cursor()
        if not prefix:
            self.close_completions()
            return
        state = self.completion_state()
        self._show(state, prefix, self.completer(state[2] or "word", prefix))

    # -- keys that act on the popup ------------------------------------------------------------

    def accept_completion(self, value: str | None = None) -> bool:
        """Insert `value` (default: the highlighted item) if the popup is current."""
        if not self.popup_is_current:
            return False
        if value is None:
            popup = self.completion_list
            index = popup.highlighted
            if index is None:
                return False
            value = getattr(popup.get_option_at_index(index), "value", None)
            if not value:
                return False
        self.replace_current_word(value)
        self.close_completions()
        return True

    def _handle_enter(self, event: events.Key) -> None:
        self.close_completions()
        super()._handle_enter(event)  # a newline, indented like the line before

    def _handle_tab(self, event: events.Key) -> None:
        if not self.read_only:
            self._bring_popup_up_to_date()
            if self.accept_completion():
                event.stop()
                event.prevent_default()
                return
        self.close_completions()
        super()._handle_tab(event)  # indent

    def _handle_shift_tab(self, event: events.Key) -> None:
        self.close_completions()
        super()._handle_shift_tab(event)  # dedent

    def _handle_up_down(self, event: events.Key) -> None:
        self._bring_popup_up_to_date()
        if not self.popup_is_current:
            self.close_completions()
            return  # the cursor moves
        event.stop()
        event.prevent_default()
        getattr(self.completion_list, LIST_KEYS[event.key])()
