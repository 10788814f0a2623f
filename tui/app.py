"""The console: one Textual app, a tab per pane, a title line, the footer.

The app owns the backend, the history and the settings; panes reach the backend through
`self.app.backend` only.  Opening the database runs in a thread worker, so recovery is
watched live in the Recovery tab; the engine's events arrive, as the engine's own objects,
in batches through one `EventPump` (which holds those emitted before the app was up).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Static, TabbedContent, TabPane

from core.events import Event, RecoveryStarted
from tui import actions
from tui import text as fmt
from tui.backend.base import Backend, BackendError
from tui.config import Settings
from tui.events import EventPump, OpenState
from tui.history import Entry, History
from tui.messages import DatabaseReady, EngineEvents, OpenFailed
from tui.open_transaction import Pending, pending
from tui.panes import discover
from tui.panes.base import Pane
from tui.screens import HelpScreen, OpenFailedScreen, OpenTransactionScreen, QuitBusyScreen
from tui.terminal_keys import read_meta_digits_as_alt
from tui.warmup import start_highlight_query
from tui.widgets.footer import Footer  # Help and Quit stay visible at 80 columns

KINTSUGI_THEME = Theme(
    name="kintsugi",
    primary="#D4A52C",  # gold, the seams of a repaired bowl
    secondary="#8FA6B8",
    accent="#E0B44A",
    warning="#E8A33D",
    error="#E5534B",
    success="#6CC08B",
    foreground="#E6E1D6",
    background="#15171C",
    surface="#1D2027",
    panel="#262A33",
    dark=True,
)
ANSI_THEME = "ansi-dark"

read_meta_digits_as_alt()  # Alt+1 through tmux/ssh (ESC 1) switches tabs, not types ¡
start_highlight_query()  # in a thread while the panes' modules load (the editor's is one)
PANE_CLASSES = discover()
for _i, _cls in enumerate(PANE_CLASSES[:9], start=1):
    actions.register(actions.Action("app", f"tab('{_cls.ID}')", f"{_i},alt+{_i}", _cls.TITLE,
                                    f"Go to the {_cls.TITLE} tab", show=False))
    if _cls.SCOPE and _cls.SCOPE not in actions.SCOPES:
        actions.scope(_cls.SCOPE, _cls.HEADING or f"{_cls.TITLE} tab")


def _tune_gc() -> None:
    """Full garbage collections paused the console for ~100 ms now and then (a page-down
    over a 1M-row result took 150-200 ms instead of 65).  Objects alive once the console is
    up (modules, widgets, styles) are moved out of the collector's sight, and full
    collections are made a hundred times rarer (the grid's caches are freed by reference
    counts, not by the collector).  Measured on a 1M-row result: page-down slowest of 60
    199 ms -> 73 ms, median unchanged (66 ms).

    The command line turns the collector off while the console starts (its imports and
    first screen made ~250 collections, 7% of the start-up): it is turned on here."""
    gc.freeze()
    gen0, gen1, _gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, 1000)
    gc.enable()


@dataclass
class TitleParts:
    """The title line's parts, each in forms from the longest to the shortest."""

    forms: list[list[str]]  # per part, its markup forms, longest first
    order: list[int]  # which part shrinks next, one form per step

    def fitting(self, width: int) -> str:
        step = [0] * len(self.forms)

        def line() -> str:
            return " │ ".join(f[i] for f, i in zip(self.forms, step, strict=True) if f[i])

        text = line()
        for part in self.order:
            if Content.from_markup(text).cell_length <= width:
                break
            if step[part] + 1 < len(self.forms[part]):
                step[part] += 1
                text = line()
        return text


class TitleBar(Static):
    """One line: the product, the database, the session, the state, all in words.

    Each part comes in forms from the longest to the shortest ("" drops it); when the line
    is too narrow, parts shrink one step at a time in `TitleParts.order`, so a word is
    never cut in the middle (at 80 columns "open, recovered after a crash" becomes
    "recovered", "database shop" "db shop", and the product name goes)."""

    DEFAULT_CSS = """
    TitleBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, parts: TitleParts, **kwargs) -> None:
        super().__init__(**kwargs)
        self.parts = parts

    def show(self, parts: TitleParts) -> None:
        self.parts = parts
        self.refresh(layout=False)

    def render(self) -> Content:
        return Content.from_markup(self.parts.fitting(self.content_size.width or 1 << 16))


class KintsugiApp(App[int]):
    TITLE = "KintsugiDB"
    CSS = """
    Screen { layout: vertical; }
    TabbedContent { height: 1fr; }
    TabbedContent > ContentSwitcher { height: 1fr; }
    TabPane { padding: 0; height: 1fr; }
    Footer { height: 1; }
    * { scrollbar-background: $panel; scrollbar-background-hover: $panel;
        scrollbar-background-active: $panel; scrollbar-color: $foreground 25%;
        scrollbar-color-hover: $foreground 40%; scrollbar-color-active: $primary;
        scrollbar-corner-color: $panel; scrollbar-size-vertical: 1; }
    /* the command palette's own CSS draws plain `black` (#000000, and blended at 50%) and
       `blank` borders in Textual's default border green: truecolor codes under 16 colours */
    CommandPalette:ansi #--input { border: hkey ansi_bright_black; }
    CommandInput:ansi { border: blank ansi_default; }
    CommandList:ansi { border-top: blank ansi_default; border-bottom: hkey ansi_bright_black; }
    SearchIcon:ansi { color: ansi_default; }
    """
    ENABLE_COMMAND_PALETTE = True
    # Alt+digit reaches the app before the focused widget: from a terminal it arrives as
    # alt+1 carrying the character "1" (ESC 1), which the editor would type
    BINDINGS = actions.bindings("app") + [
        Binding(f"alt+{i}", f"tab('{cls.ID}')", show=False, priority=True)
        for i, cls in enumerate(PANE_CLASSES[:9], start=1)]

    def __init__(self, backend: Backend, settings: Settings | None = None,
                 history: History | None = None, *, initial_tab: str | None = None,
                 sql_text: str = "", system_clipboard: bool = False,
                 ready_file: str | None = None, blink: bool = True,
                 tune_gc: bool = True, pump: EventPump | None = None) -> None:
        self.settings = settings or Settings()
        self.pane_classes = PANE_CLASSES
        super().__init__()
        self.backend = backend
        self.history = history or History(os.devnull)
        self.initial_tab = initial_tab or self.pane_classes[0].ID
        self.sql_text = sql_text
        self.system_clipboard = system_clipboard
        self.blink = blink  # False freezes cursors (snapshot tests)
        self.tune_gc = tune_gc
        self.ready = False
        self.open_error: BackendError | None = None
        self.ready_file = ready_file
        self.pump = pump or EventPump()  # given when the open started before the app
        self.open_state = OpenState()
        self.reopen_path: str | None = None  # on exit, the console opens this one (a restore)
        self.started = time.time()  # this session's statements are the history's newer ones
        self._leaving = False  # the open transaction was settled: exit() closes at once
        # the panes are built lazily: the shown one with the screen, the others once the
        # database is open and drawn (one per frame) or when first asked for
        self._built: dict[str, Pane] = {}  # mounted (maybe not composed yet)
        self._caught_up: set[str] = set()  # composed and told everything: events reach it
        self._on_built: dict[str, list[Callable[[], None]]] = {}
        self._early_events: list[Event] = []  # before the open finished, for panes built later
        self._late_events: list[Event] = []  # after it, while a pane is not built yet
        # the theme is chosen before the first style pass: switching it after the mount
        # re-applied every style, a seventh of the start-up time
        self.register_theme(KINTSUGI_THEME)
        self._theme_warning = ""
        theme = self.settings.theme
        if theme not in self.available_themes:
            self._theme_warning = (f"Unknown theme {theme!r}; using kintsugi. Known: "
                                   f"{', '.join(sorted(self.available_themes))}")
            theme = "kintsugi"
        self.theme = theme

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Only the shown tab's pane is built with the screen: building all five took a
        fifth of the start-up (their widgets, styles and first reads).  The others are
        built once the open database is drawn, or when first shown (`pane`)."""
        yield TitleBar(self._title_text(), id="title")
        with TabbedContent(initial=f"tab-{self.initial_tab}", id="tabs"):
            for i, cls in enumerate(self.pane_classes, start=1):
                with TabPane(f"{i} {cls.TITLE}", id=f"tab-{cls.ID}"):
                    if cls.ID == self.initial_tab:
                        pane = self._built[cls.ID] = cls()
                        self._caught_up.add(cls.ID)  # composed with the screen
                        yield pane
        yield Footer()

    def on_mount(self) -> None:
        if self._theme_warning:
            self.notify(self._theme_warning, severity="warning")
        if self.history.load_error:
            self.notify(self.history.load_error, severity="warning")
        self.call_after_refresh(self._focus_active)
        if self.tune_gc:  # a long recovery: the collector on meanwhile (see _tune_gc)
            self.set_timer(2.0, gc.enable)
        self.pump.attach(lambda batch: self.post_message(EngineEvents(batch)))
        self._open()

    @property
    def panes(self) -> list[Pane]:
        """The panes built so far and told everything that happened: every batch of engine
        events goes to each.  (A pane not built yet is told when it is: `_catch_up`.)"""
        return [self._built[c.ID] for c in self.pane_classes if c.ID in self._caught_up]

    def pane(self, pane_id: str) -> Pane:
        """The pane, built now if it was not yet (its widgets are composed on the next
        turn of the event loop; what happened so far is replayed to it then)."""
        return self._built.get(pane_id) or self._build(pane_id)

    @property
    def all_panes_built(self) -> bool:
        return len(self._caught_up) == len(self.pane_classes)

    def _build(self, pane_id: str) -> Pane:
        cls = next((c for c in self.pane_classes if c.ID == pane_id), None)
        if cls is None:
            raise NoMatches(f"No pane {pane_id!r}")
        pane = self._built[pane_id] = cls()
        mounted = self.query_one(f"#tab-{pane_id}", TabPane).mount(pane)

        async def composed() -> None:
            await mounted
            self._catch_up(pane)

        self.run_worker(composed(), group="build-pane", exit_on_error=False)
        return pane

    def _catch_up(self, pane: Pane) -> None:
        """Tell a pane built late what the ones built with the screen heard: the open's
        events (as they came, before the database was ready), the open itself, and the
        events since."""
        with pane.replaying():
            pane.engine_events(list(self._early_events))
        if self.ready:
            pane.database_ready()
            if self._late_events:
                pane.engine_events(list(self._late_events))
        self._caught_up.add(pane.ID)
        if self.all_panes_built:  # nobody else needs them
            self._early_events.clear()
            self._late_events.clear()
        for callback in self._on_built.pop(pane.ID, []):
            callback()

    def when_built(self, pane_id: str, callback: Callable[[], None]) -> None:
        """Call `callback` once the pane is built and caught up (now if it is)."""
        if pane_id in self._caught_up:
            callback()
            return
        self._on_built.setdefault(pane_id, []).append(callback)
        self.pane(pane_id)

    def _build_rest(self) -> None:
        """Build the panes not shown yet, one per frame, so that keys typed meanwhile wait
        for one pane's build at most."""
        rest = [c.ID for c in self.pane_classes if c.ID not in self._built]
        if rest:
            self.when_built(rest[0], lambda: self.call_after_refresh(self._build_rest))

    def _focus_active(self) -> None:
        tabs = self.query_one(TabbedContent)
        active = (tabs.active or "").removeprefix("tab-")
        if active:
            self.pane(active).focus_default()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane_id = (event.pane.id or "").removeprefix("tab-")
        if pane_id:
            self.when_built(pane_id, lambda: self._activated(pane_id))

    def _activated(self, pane_id: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active == f"tab-{pane_id}":  # still the shown one once built
            self._built[pane_id].activated()

    # -- opening -----------------------------------------------------------------------------

    @work(thread=True, group="open", exit_on_error=False)
    def _open(self) -> None:
        try:
            self.backend.start_open(self.pump)
            self.backend.wait_open()
        except Exception as err:  # noqa: BLE001 - any failure to open is shown, with its code
            self.pump.flush()
            self.post_message(OpenFailed(BackendError.wrap(err)))
            return
        self.pump.flush()
        self.post_message(DatabaseReady())

    @property
    def recovered(self) -> bool:
        return bool(self.open_state.recovered)

    @on(EngineEvents)
    def _engine_events(self, message: EngineEvents) -> None:
        if not self.is_running or self._exit:  # a DDL job's events go on while the app closes
            return
        if not self.all_panes_built:
            (self._late_events if self.ready else self._early_events).extend(message.events)
        for e in message.events:
            self.open_state.note(e)
            match e:
                case RecoveryStarted():
                    self._update_title()
        for pane in self.panes:
            pane.engine_events(message.events)

    @on(DatabaseReady)
    def _opened(self) -> None:
        self.ready = True
        if self.tune_gc:
            self.call_after_refresh(_tune_gc)
        self._update_title()
        for pane in self.panes:
            pane.database_ready()
        state = self.backend.session_state()
        on_recovery = (self.query_one(TabbedContent).active or "") == "tab-recovery"
        if state.read_only and state.force_recovery and not on_recovery:  # else: its banner
            self.notify(f"Opened READ-ONLY with --force-recovery {state.force_recovery}: "
                        "writes fail with ERROR 1881. What the open skipped is in the "
                        "Recovery tab's banner.", title="READ-ONLY", severity="warning",
                        timeout=10)
        elif self.recovered and not on_recovery:
            self.notify("The database was not shut down cleanly; crash recovery ran. "
                        "Details in the Recovery tab (press 1 outside the editor).",
                        title="Recovered",
                        timeout=8)
        if self.ready_file:
            self.call_after_refresh(self._mark, "usable")
            self._when_loaded()
        else:
            self.call_after_refresh(self._warm_up)
        self.call_after_refresh(self._build_rest)

    def _warm_up(self) -> None:
        """Import the results grid (pyarrow, fastdatatable) in the background, so the first
        query does not wait for it and the start does not either."""
        import threading

        def imports() -> None:
            import tui.resultset
            import tui.widgets.grid  # noqa: F401

        threading.Thread(target=imports, name="kintsugi-warm-up", daemon=True).start()

    def _mark(self, what: str) -> None:
        """Benchmarks: "usable" once the open database is drawn and the focused pane takes
        keys; "loaded" once every tab has its data on screen too."""
        with open(self.ready_file, "a") as f:
            f.write(f"{what} {time.time():.6f}\n")

    @work(group="ready", exit_on_error=False)
    async def _when_loaded(self) -> None:
        while not self.all_panes_built or any(
                w.group not in ("ready",) and not w.is_finished for w in self.workers):
            await asyncio.sleep(0.005)

        def done() -> None:
            self._mark("loaded")
            self.exit(0)

        self.call_after_refresh(done)

    @on(OpenFailed)
    def _open_failed(self, message: OpenFailed) -> None:
        if self.tune_gc:
            gc.enable()  # off while the console started (see _tune_gc)
        self.open_error = message.error
        self._update_title()
        self.push_screen(OpenFailedScreen(self.backend.path, message.error))

    # -- the title line ------------------------------------------------------------------------

    def _title_text(self) -> TitleParts:
        path = fmt.markup(self.backend.path)
        short = os.path.basename(os.path.normpath(path)) or path
        where = [f"[b $primary]KintsugiDB[/] [b]{path}[/b]", f"[b]{path}[/b]"]
        if short != path:
            where.append(f"[b]…/{short}[/b]")
        if self.open_error is not None:
            return TitleParts([where, [f"[b $error]not open[/]: error {self.open_error.errno}"]],
                              [0, 0])
        if not self.ready:
            return TitleParts([where, ["[b $warning]opening[/] ..."]], [0, 0])
        state = self.backend.session_state()
        db = fmt.markup(state.database or "(none)")
        database = [f"database [b]{db}[/b]", f"db [b]{db}[/b]"]
        session = (["[b $warning]in a transaction[/]"] if state.in_transaction
                   else ["autocommit", ""])
        if state.read_only and state.force_recovery:
            status = [f"[b reverse $error] READ-ONLY [/] forced recovery "
                      f"(--force-recovery {state.force_recovery})",
                      f"[b reverse $error] READ-ONLY [/] --force-recovery "
                      f"{state.force_recovery}",
                      "[b reverse $error] READ-ONLY [/]"]
        elif self.backend.IMPLEMENTS_RECOVERY:
            status = (["[b $success]open[/], recovered after a crash",
                       "[b $success]open[/], recovered", "[b $success]recovered[/]"]
                      if self.recovered else
                      ["[b $success]open[/], clean start", "[b $success]open[/]"])
        else:
            status = ["[b $success]connected[/]"]
        # what goes first: the words around the state, then the product's name, the
        # autocommit word, the path's directories; the transaction is never dropped
        return TitleParts([where, database, session, status], [3, 1, 0, 3, 2, 3, 0])

    def _update_title(self) -> None:
        self.query_one(TitleBar).show(self._title_text())
        if self.ready and self.open_error is None:
            state = self.backend.session_state()
            self.sub_title = (f"READ-ONLY (forced recovery, level {state.force_recovery})"
                              if state.read_only and state.force_recovery else "")

    def session_changed(self) -> None:
        self._update_title()

    def schema_changed(self) -> None:
        for pane in self.panes:
            pane.schema_changed()
        self._update_title()

    # -- app actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Tabs do not switch under a dialog (a digit typed in one is the dialog's)."""
        if action in ("tab", "next_tab", "previous_tab") and len(self.screen_stack) > 1:
            return False
        return True

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_tab(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{pane_id}"

    def _step_tab(self, step: int) -> None:
        ids = [c.ID for c in self.pane_classes]
        active = (self.query_one(TabbedContent).active or "").removeprefix("tab-")
        i = ids.index(active) if active in ids else 0
        self.action_tab(ids[(i + step) % len(ids)])

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def action_toggle_ansi(self) -> None:
        self.theme = "kintsugi" if self.theme == ANSI_THEME else ANSI_THEME
        self.notify(f"Theme: {self.theme}", timeout=2)

    async def action_quit(self) -> None:
        """Quit: `exit` asks first when a transaction is open or work is running."""
        self.exit(return_code=1 if self.open_error else 0)

    # -- leaving: an open transaction is never dropped without asking -----------------------

    def exit(self, result: int | None = None, return_code: int = 0,
             message: object = None) -> None:
        """Every way out of the console closes the database (Ctrl+Q, the palette's Quit, a
        restore that opens another database): with a transaction open, ask first whether
        to commit it, roll it back, or stay; with a statement or an export running, whether
        to stop it.  A running statement goes on until the answer (Stay leaves it running)."""
        if self._leaving:
            super().exit(result, return_code, message)  # type: ignore[arg-type]
            return
        if isinstance(self.screen, OpenTransactionScreen | QuitBusyScreen):
            return  # already asking
        if not self.transaction_open():
            busy = self._busy()
            if not busy:
                self._leaving = True
                super().exit(result, return_code, message)  # type: ignore[arg-type]
                return

            def stop(yes: bool | None) -> None:
                if not yes:
                    self.reopen_path = None
                    return
                if self.backend.IMPLEMENTS_CANCEL:
                    self.backend.cancel()  # the backend closes after the statement ends
                self._leaving = True
                super(KintsugiApp, self).exit(result, return_code, message)  # type: ignore[arg-type]

            closing = f"Opening {self.reopen_path}" if self.reopen_path else "Quitting"
            self.push_screen(QuitBusyScreen(busy, closing), stop)
            return
        held = pending(self.history.entries, self.backend.path, self.started)
        closing = (f"Opening {self.reopen_path}" if self.reopen_path else "Quitting")

        def answered(how: str | None) -> None:
            if how is None:
                if self.reopen_path:
                    self.notify(f"Stayed. Open the restored database later with: "
                                f"kintsugi {self.reopen_path}", timeout=10)
                self.reopen_path = None
                return
            if self.backend.IMPLEMENTS_CANCEL:
                self.backend.cancel()  # a running statement stops; COMMIT/ROLLBACK follow it
            self._end_transaction(how, held, (result, return_code, message))

        self.push_screen(OpenTransactionScreen(held.summary(), held.lines(), closing),
                         answered)

    @property
    def closing(self) -> bool:
        """The console is closing (the answers are in): panes stop drawing late results."""
        return self._leaving

    def _busy(self) -> list[str]:
        """Work quitting would stop (the SQL tab's running statement or export), in words."""
        sql = self._built.get("sql")
        busy = getattr(sql, "busy", None)
        return busy() if callable(busy) else []

    def transaction_open(self) -> bool:
        if not self.ready or self.open_error is not None:
            return False
        try:
            return self.backend.session_state().in_transaction
        except Exception:  # noqa: BLE001 - a closed or broken backend holds no transaction
            return False

    @work(thread=True, group="close", exit_on_error=False)
    def _end_transaction(self, how: str, held: Pending, leave: tuple) -> None:
        """COMMIT or ROLLBACK in a thread: a cancelled statement may still be ending (the
        backend runs this one after it)."""
        sql = "COMMIT" if how == "commit" else "ROLLBACK"
        try:
            for _part in self.backend.execute(sql):
                pass
        except Exception as err:  # noqa: BLE001 - shown with its code; the console stays
            self.call_from_thread(self._end_failed, sql, BackendError.wrap(err))
            return
        self.call_from_thread(self._transaction_ended, sql, held, leave)

    def _end_failed(self, sql: str, err: BackendError) -> None:
        self.reopen_path = None
        self._update_title()
        self.notify(f"{sql} failed, the console stays open: ERROR {err.errno} "
                    f"({err.sqlstate}): {err.msg}", title=sql, severity="error", timeout=12)

    def _transaction_ended(self, sql: str, held: Pending, leave: tuple) -> None:
        state = self.backend.session_state()  # the history says the INSERTs were undone
        self.history.add(Entry(sql=sql, database=state.database, path=self.backend.path,
                               status="ok", rows=0))
        self._leaving = True
        self.exit(*leave)

    # -- the command palette, fed by the registry -------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for a in actions.REGISTRY:
            if not a.palette or not a.keys:
                continue
            title = f"{a.label}  ({a.keys_text})"
            yield SystemCommand(title, a.help, lambda a=a: self.run_registered(a))
        yield SystemCommand("Choose a theme", "Pick any of Textual's themes",
                            self.action_change_theme)

    def run_registered(self, a: actions.Action) -> None:
        if a.scope == "app":
            self.call_later(self.run_action, a.name)
            return
        for cls in self.pane_classes:
            if cls.SCOPE == a.scope:  # the pane's own action: the pane, built if need be
                self.action_tab(cls.ID)
                self.when_built(cls.ID, lambda cls=cls: self.call_later(
                    self.run_action, a.name, self._built[cls.ID]))
                return
        for pane in self.panes:
            owner = next((w for w in pane.query("*")
                          if getattr(w, "SCOPE", None) == a.scope), None)
            if owner is not None:
                self.action_tab(pane.ID)
                self.call_later(self.run_action, a.name, owner)
                return
        rest = [c.ID for c in self.pane_classes if c.ID not in self._caught_up]
        if rest:  # a widget of a pane not built yet: build them, then look again
            for pane_id in rest[:-1]:
                self.pane(pane_id)
            self.when_built(rest[-1], lambda: self.call_after_refresh(self.run_registered, a))
            return
        self.notify(f"{a.label}: not available here", severity="warning")
