"""What every pane of the console is: a tab with a title, a key, its actions, and hooks the
app calls when the database opens, when engine events arrive and when the schema changes.

Adding a pane is adding a module to `tui/panes/` that defines a `Pane` subclass with a
`TITLE`, an `ID` and an `ORDER`; the app finds it, makes its tab, its Alt+N key, its help
section and its palette entries.  A pane that shows something read from the database
derives from `RefreshingPane` and says only how to read it and how to show it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from rich.cells import cell_len
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.backend.base import BackendError

if TYPE_CHECKING:
    from core.events import Event
    from tui.backend.base import Backend

T = TypeVar("T")


class Pane(Vertical):
    TITLE: ClassVar[str] = ""
    ID: ClassVar[str] = ""
    ORDER: ClassVar[int] = 100
    SCOPE: ClassVar[str] = ""  # the registry scope of the pane's actions (defaults to ID)
    HEADING: ClassVar[str] = ""  # help-screen heading (defaults to "<TITLE> tab")

    DEFAULT_CSS = """
    Pane { height: 1fr; }
    Pane .pane-title { text-style: bold; color: $text-primary; height: 1; }
    Pane .coming { color: $text-muted; height: auto; padding: 0 1; }
    Pane .summary { height: auto; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__(id=f"pane-{self.ID}")
        self._replaying = False

    @property
    def backend(self) -> Backend:
        return self.app.backend  # type: ignore[attr-defined]

    @property
    def ready(self) -> bool:
        """The database is open (and the events being handled came after that)."""
        return bool(getattr(self.app, "ready", False)) and not self._replaying

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """A pane built after the database opened is told the open's events as they came:
        while they are replayed it is not `ready`, as the panes that saw them live were not."""
        self._replaying = True
        try:
            yield
        finally:
            self._replaying = False

    # hooks the app calls ---------------------------------------------------------------------

    def database_ready(self) -> None:
        """The database is open (called once)."""

    def engine_events(self, events: list[Event]) -> None:
        """A batch of engine events (recovery progress, flushes, checkpoints)."""

    def schema_changed(self) -> None:
        """A statement changed the schema: refresh what depends on it."""

    def activated(self) -> None:
        """The pane's tab became the active one."""
        self.focus_default()

    def focus_default(self) -> None:
        for w in self.query("*"):
            if w.focusable:
                w.focus()
                return


class RefreshingPane(Pane, Generic[T]):
    """A pane filled from the backend in a thread worker: when the database opens, when a
    statement changes the schema, and on its Refresh key (an action named "refresh" in the
    pane's scope).  A newer load supersedes a running one; a failed one is a notification,
    and the pane keeps what it showed."""

    LOAD_ERROR_TITLE: ClassVar[str] = ""  # the failure notification's title

    def fetch(self) -> T:
        """Read what the pane shows (in a worker thread: may block).  Raises BackendError."""
        raise NotImplementedError

    def show(self, data: T) -> None:
        """Put what `fetch` read on screen (on the event loop)."""
        raise NotImplementedError

    def database_ready(self) -> None:
        self.load()

    def schema_changed(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        if self.ready:
            self.load()

    def load(self) -> None:
        self.run_worker(self._load, thread=True, group=f"{self.ID}-load", exclusive=True,
                        exit_on_error=False)

    def _load(self) -> None:
        try:
            data = self.fetch()
        except BackendError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error",
                                      title=self.LOAD_ERROR_TITLE)
            return
        self.app.call_from_thread(self.show, data)


def fill_table(table: DataTable, headers: list[str], rows: list[list[str]],
               keys: list[str] | None = None, max_width: int = 60) -> None:
    """Replace a small table's contents, with column widths computed here from the text.

    Textual's DataTable measures new rows later, on idle; a picture (or a modal screen)
    taken before that shows columns cut to their headings' width."""
    cursor = table.cursor_coordinate
    table.clear(columns=True)
    for i, header in enumerate(headers):
        width = max([cell_len(header), *(cell_len(r[i]) for r in rows)])
        table.add_column(header, width=min(width, max_width))
    for n, row in enumerate(rows):
        table.add_row(*row, key=keys[n] if keys else None)
    if rows and table.show_cursor:
        table.move_cursor(row=min(cursor.row, len(rows) - 1), animate=False)


def coming(text: str) -> Static:
    """The plain note saying what a pane will do once its issue lands."""
    return Static(f"[b]Coming next:[/b] {text}", classes="coming")
