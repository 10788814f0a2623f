"""The SQL editor: textual-textarea's editor (tree-sitter SQL highlighting, completion lists,
find, go to line, undo) with completion of keywords, tables and columns from the catalog."""

from __future__ import annotations

from textual.binding import Binding
from textual.document._syntax_aware_document import SyntaxAwareDocument
from textual_textarea import TextEditor

from tui import actions
from tui.backend.base import Catalog
from tui.sqltext import KEYWORDS, Statement, ident, location_of, offset_of, split, statement_at

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

actions.scope("editor", "SQL editor")
ACTIONS = actions.register(
    actions.Action("editor", "find", "ctrl+f", "Find", "Editor: find text", show=False),
    actions.Action("editor", "goto_line", "ctrl+g", "Go to line", "Editor: go to a line",
                   show=False),
    actions.Action("editor", "undo", "ctrl+z", "Undo", "Editor: undo (also restores text "
                   "replaced from the history)", show=False),
    actions.Action("editor", "toggle_comment", "ctrl+underscore", "Comment",
                   "Editor: comment or uncomment the selected lines", show=False),
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
    """

    def __init__(self, text: str = "", *, id: str | None = None,  # noqa: A002
                 use_system_clipboard: bool = False) -> None:
        super().__init__(language="sql", text=text, id=id, theme="css",
                         use_system_clipboard=use_system_clipboard,
                         word_completer=self._complete_word,
                         member_completer=self._complete_member,
                         path_completer=None)
        self.catalog = Catalog({})
        self.border_title = "SQL"

    def on_mount(self) -> None:
        if not getattr(self.app, "blink", True) and self.text_input is not None:
            self.text_input.cursor_blink = False

    # -- the statement to run ------------------------------------------------------------------

    def target(self, everything: bool = False) -> list[Statement]:
        """The statements to run, with offsets in the whole buffer: those of the selection if
        there is one, else the one under the cursor (or, with `everything`, all of them)."""
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

    def select_statement(self, st: Statement) -> None:
        from textual.widgets.text_area import Selection

        text = self.text
        self.selection = Selection(location_of(text, st.start), location_of(text, st.end))

    def action_undo(self) -> None:
        if self.text_input is not None:
            self.text_input.action_undo()

    def action_toggle_comment(self) -> None:
        if self.text_input is not None:
            self.text_input.action_toggle_comment()

    # -- completion ----------------------------------------------------------------------------

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
