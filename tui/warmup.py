"""Start-up work done beside the main thread: compiling the SQL editor's highlight query.

Textual compiles a TextArea's tree-sitter highlight query when the editor is built: ~40 ms
of the console's start, on the main thread, just before the first frame.  Tree-sitter
compiles without holding the interpreter lock, so a thread started while the panes are
still being imported does it alongside; the editor then takes the compiled query (waiting
for the thread if it has not finished yet).  Anything else asked of `prepare_query` goes to
Textual's own.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

_started = False


def start_highlight_query(language_name: str = "sql") -> None:
    """Compile `language_name`'s built-in highlight query in a thread (once per process);
    call before the editor's module is imported.  Without tree-sitter, nothing happens."""
    global _started
    if _started:
        return
    _started = True
    import textual
    from textual._tree_sitter import get_language
    from textual.document._syntax_aware_document import SyntaxAwareDocument

    language = get_language(language_name)  # cached by Textual: the editor gets this one
    if language is None:
        return
    original = SyntaxAwareDocument.prepare_query
    compiled: Future = Future()
    source: list[str] = []

    def compile_query() -> None:
        try:
            source.append((Path(textual.__file__).parent / "tree-sitter" / "highlights"
                           / f"{language_name}.scm").read_text())  # where Textual reads it
            compiled.set_result(original(_Document(language), source[0]))
        except BaseException as err:  # noqa: BLE001 - the editor compiles it itself then
            compiled.set_exception(err)

    def prepare_query(self: Any, query: str) -> Any:
        if self.language is language and not compiled.exception() and source \
                and query == source[0]:
            return compiled.result()
        return original(self, query)

    def wait_then_prepare(self: Any, query: str) -> Any:
        compiled.exception()  # waits for the thread: it compiles that very query
        return prepare_query(self, query)

    SyntaxAwareDocument.prepare_query = wait_then_prepare  # type: ignore[method-assign]
    threading.Thread(target=compile_query, name="kintsugi-highlight-query",
                     daemon=True).start()


class _Document:
    """What `SyntaxAwareDocument.prepare_query` reads of its document: the language."""

    def __init__(self, language: Any) -> None:
        self.language = language
