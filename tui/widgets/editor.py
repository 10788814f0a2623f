"""The SQL editor: textual-textarea's editor (tree-sitter SQL highlighting, completion lists,
find, go to line, undo) with completion of keywords, tables and columns from the catalog.

Its text area is `SqlTextArea` (tui.widgets.completion), whose completion popup cannot race
typing; its highlighting follows the app's theme (tui.widgets.editor_theme)."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.document._syntax_aware_document import SyntaxAwareDocument
from textual.theme import Theme
from textual.widgets import Label, OptionList
from textual_textarea import TextEditor
from textual_textarea.autocomplete import CompletionList
from textual_textarea.containers import FooterContainer, TextContainer

from tui import actions
from tui.backend.base import Catalog
from tui.sqltext import KEYWORDS, Statement, ident, location_of, offset_of, split, statement_at
from tui.widgets import editor_theme
from tui.widgets.completion import SqlTextArea

# Textual compiles the SQL highlight query each time a TextArea sets its language (twice for
# one editor: ~70 ms of the start-up).  Its own docstring says "Queries should be prepared
# once, then reused": a compiled tree-sitter Query is immutable, so one per language is kept.
_queries: dict = {}
_prepare_query = SyntaxAwareDocument.prepare_query


def _prepare_query_once(self, query: str):
    key = (id(self.language), query)
    if key not in _queries:
        _queries[key] = (self.language, _prepare_query(self, query))
    return _queries[key][1]


SyntaxAwareDocument.prepare_query = _prepare_query_once

# MySQL's 1064: "... near '<the statement from the error on>' at line N" (N counted from the
# statement's first line; the quoted part is cut at 80 characters)
NEAR = re.compile(r"near '(?P<near>.*)' at line (?P<line>\d+)\s*$", re.DOTALL)
TOKEN = re.compile(r"[\w$]+|`[^`]*`?|'[^']*'?|\"[^\"]*\"?|\S")


def error_offset(sql: str, message: str) -> int | None:
    """The offset in `sql` (the statement as run) where a syntax error `message` points."""
    m = NEAR.search(message)
    if not m:
        return None
    near, line = m["near"], int(m["line"])
    body = sql.rstrip()
    start = len(body) - len(body.lstrip())  # lines count from the first non-blank
    for _ in range(line - 1):
        nl = body.find("\n", start)
        if nl < 0:
            return None
        start = nl + 1
    if not near:
        return len(body)  # the statement ended too early
    if body.endswith(near) and len(body) - len(near) >= start:
        return len(body) - len(near)
    found = body.find(near, start)  # the quoted part was cut
    return found if found >= 0 else start


# errors that name what they could not find: "Unknown column 'o.nme' in 'field list'" (1054),
# "Table 'shop.customer' doesn't exist" (1146), "Column 'id' in field list is ambiguous" (1052)
NAMED = re.compile(r"^(?:Unknown column|Table|Column|Unknown table|FUNCTION|Unknown database)"
                   r" '([^']+)'")


def name_offset(sql: str, message: str) -> int | None:
    """The offset in `sql` of the name an error `message` quotes (the column or table it
    could not find), matched as a whole word, with or without backquotes; None if absent."""
    m = NAMED.search(message)
    if not m:
        return None
    name = m[1]
    for candidate in (name, name.rsplit(".", 1)[-1]):
        parts = [re.escape(p) for p in candidate.split(".")]
        pattern = r"\.".join(rf"`?{p}`?" for p in parts)
        found = re.search(rf"(?<![\w`.]){pattern}(?![\w`])", sql, re.IGNORECASE)
        if found:
            return found.start()
    return None


def token_at(sql: str, pos: int) -> tuple[int, int]:
    """The token starting at `pos` (or, at the end, the last one) as (start, end)."""
    m = TOKEN.search(sql, pos)
    if m and sql[pos:m.start()].strip() == "":
        return m.start(), m.end()
    last = None
    for last in TOKEN.finditer(sql):  # noqa: B007 - the last one
        pass
    return (last.start(), last.end()) if last else (pos, pos)


actions.scope("editor", "SQL editor")
ACTIONS = actions.register(
    actions.Action("editor", "find", "ctrl+f", "Find", "Editor: find text", show=False),
    actions.Action("editor", "goto_line", "ctrl+g", "Go to line", "Editor: go to a line",
                   show=False),
    actions.Action("editor", "undo", "ctrl+z", "Undo", "Editor: undo (also restores text "
                   "replaced from the history)", show=False),
    actions.Action("editor", "toggle_comment", "ctrl+underscore", "Comment",
                   "Editor: comment or uncomment the selected lines", show=False),
    # what the text area does itself (tui.widgets.completion), listed for the help screen
    actions.Action("editor", "complete", "tab", "Complete",
                   "Editor: accept the highlighted completion (the list opens as you type "
                   "keywords, tables, columns; Up/Down choose); without one, indent",
                   show=False, palette=False),
    actions.Action("editor", "newline", "enter", "Newline",
                   "Editor: a new line, always (it closes the completion list)", show=False,
                   palette=False),
)


class SqlEditor(TextEditor, inherit_bindings=False):
    SCOPE = "editor"
    BINDINGS = [Binding("ctrl+f", "find", "Find", show=False),
                Binding("ctrl+g", "goto_line", "Go to line", show=False)]

    DEFAULT_CSS = """
    SqlEditor { height: 1fr; border: round $secondary 40%; }
    SqlEditor:focus-within { border: round $primary; }
    SqlEditor TextContainer { overflow: hidden hidden; }
    SqlEditor TextAreaPlus { scrollbar-size-horizontal: 0; }  /* the cursor scrolls; no big bar */
    /* textual-textarea shades the cursor's line with `white 4%`: a truecolor grey under a
       16-colour theme (class -ansi, set from the app's theme), where it is left unshaded */
    SqlEditor.-ansi SqlTextArea .text-area--cursor-line { background: transparent; }
    SqlEditor.-ansi SqlTextArea .text-area--cursor-gutter { background: transparent; }
    """

    def __init__(self, text: str = "", *, id: str | None = None,  # noqa: A002
                 use_system_clipboard: bool = False) -> None:
        super().__init__(language="sql", text=text, id=id, theme=editor_theme.DEFAULT,
                         use_system_clipboard=use_system_clipboard,
                         word_completer=self._complete_word,
                         member_completer=self._complete_member,
                         path_completer=None)
        self.catalog = Catalog({})
        self.border_title = "SQL"

    def compose(self) -> ComposeResult:
        """TextEditor's widgets, with `SqlTextArea` as the text area."""
        self.text_container = TextContainer()
        self.completion_list = CompletionList()
        self.text_input = SqlTextArea(self._complete, self.completion_list,
                                      language=self._language, text=self._initial_text,
                                      read_only=self.read_only, show_cursor=self._show_cursor)
        self.footer = FooterContainer(classes="hide")
        self.footer_label = Label("", id="textarea__save_open_input_label")
        with self.text_container:
            yield self.text_input
            yield self.completion_list
        with self.footer:
            yield self.footer_label

    def on_mount(self) -> None:
        # runs before TextEditor.on_mount, which applies self._theme
        if self.text_input is not None:
            self.text_input.register_theme(editor_theme.DEFAULT_THEME)
            self.text_input.register_theme(editor_theme.ANSI_THEME)
            if not getattr(self.app, "blink", True):
                self.text_input.cursor_blink = False
        self._theme = editor_theme.theme_for(self.app)
        self.set_class(self._theme == editor_theme.ANSI, "-ansi")
        self.app.theme_changed_signal.subscribe(self, self._app_theme_changed)

    def _app_theme_changed(self, _theme: Theme) -> None:
        self.theme = editor_theme.theme_for(self.app)
        self.set_class(self.theme == editor_theme.ANSI, "-ansi")

    @on(OptionList.OptionSelected)
    def _completion_clicked(self, event: OptionList.OptionSelected) -> None:
        """A click on the popup: inserted only if the list is that of the text as it is."""
        event.stop()
        event.prevent_default()  # not TextEditor.insert_completion, which does not check
        if isinstance(self.text_input, SqlTextArea):
            self.text_input.accept_completion(getattr(event.option, "value", None))

    # -- the statement to run ------------------------------------------------------------------

    def target(self, everything: bool = False) -> list[Statement]:
        """The statements to run, with offsets in the whole buffer: those of the selection if
        there is one, else the one under the cursor (or, with `everything`, all of them)."""
        if isinstance(self.text_input, SqlTextArea):
            self.text_input.clear_error_mark()  # a new run: the old error is gone
        text = self.text
        selected = self.selected_text
        if selected.strip():
            start = min(self.selection.start, self.selection.end)
            base = offset_of(text, *start)
            return [Statement(s.text, s.start + base, s.end + base) for s in split(selected)]
        if everything:
            return split(text)
        line, col = self.selection.end
        st = statement_at(text, offset_of(text, line, col))
        return [st] if st else []

    def mark_error(self, st: Statement, message: str = "") -> str | None:
        """After `st` failed: the cursor goes where the error is (MySQL's 1064 `message` gives
        it; a 1054/1146/1052 names the column or table), else to the statement's start, and
        that token (or the statement's first line) is marked, not selected, so the next key
        edits rather than replaces.  Returns where the cursor went, "error" or "start" (None:
        the text was edited while it ran; untouched)."""
        from textual.widgets.text_area import Selection

        text = self.text
        if text[st.start:st.end] != st.text:
            return None
        pos = error_offset(st.text, message) if message else None
        if pos is None and message:
            pos = name_offset(st.text, message)
        if pos is None:
            start = st.start
            end = st.start + len(st.text.split("\n", 1)[0])
        else:
            start, end = token_at(st.text, pos)
            start, end = st.start + start, st.start + end
        here = location_of(text, start if pos is None else st.start + pos)
        self.selection = Selection(here, here)
        if isinstance(self.text_input, SqlTextArea):
            self.text_input.mark_error(location_of(text, start), location_of(text, end))
            self.text_input.scroll_cursor_visible()
        return "start" if pos is None else "error"

    def action_undo(self) -> None:
        if self.text_input is not None:
            self.text_input.action_undo()

    def action_toggle_comment(self) -> None:
        if self.text_input is not None:
            self.text_input.action_toggle_comment()

    # -- completion ----------------------------------------------------------------------------

    def _complete(self, mode: str, prefix: str) -> list[tuple[tuple[str, str], str]]:
        if mode == "member":
            return self._complete_member(prefix)
        if mode == "word":
            return self._complete_word(prefix)
        return []  # "path" (after a / or \\): nothing to complete in SQL

    def _complete_word(self, prefix: str) -> list[tuple[tuple[str, str], str]]:
        low = prefix.lower()
        out: list[tuple[tuple[str, str], str]] = []
        for name in self.catalog.tables():
            if name.lower().startswith(low):
                out.append(((name, "table"), ident(name)))
        for schema in sorted(self.catalog.schemas):
            if schema.lower().startswith(low):
                out.append(((schema, "database"), ident(schema)))
        for col in self.catalog.columns():
            if col.lower().startswith(low):
                out.append(((col, "column"), ident(col)))
        for kw in KEYWORDS:
            if kw.lower().startswith(low) and kw.lower() != low:
                value = kw if prefix[:1].isupper() else kw.lower()
                out.append(((value, "keyword"), value))
        return out[:50]

    def _complete_member(self, prefix: str) -> list[tuple[tuple[str, str], str]]:
        owner, _, rest = prefix.rpartition(".")
        owner = owner.strip("`\"'")
        low = rest.lower()
        out: list[tuple[tuple[str, str], str]] = []
        if owner in self.catalog.schemas or owner.lower() in {
                s.lower() for s in self.catalog.schemas}:
            for schema, tables in self.catalog.schemas.items():
                if schema.lower() == owner.lower():
                    out += [((t, "table"), f"{owner}.{ident(t)}") for t in sorted(tables)
                            if t.lower().startswith(low)]
            return out
        cols = self.catalog.columns(owner) or self.catalog.columns()
        return [((c, "column"), f"{owner}.{ident(c)}") for c in cols if c.lower().startswith(low)]
