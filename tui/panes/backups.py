"""Backups: the backups of this database, its binary log, and a timeline of transactions
to restore to just before one of them (point-in-time recovery, as `kintsugi restore`).

Three lists: the backups (time, LSN, size, GTID set, verification), the binlog files (time
range, size) and the binlog's transactions, newest first (time, GTID, tables with their
row counts, the statement for DDL; DROP, TRUNCATE and large DELETEs marked as the usual
mistakes).  `b` takes a new backup into a directory the user confirms, `v` verifies the
highlighted backup against its manifest, and `r` on a transaction restores into a NEW
directory to just before it: from the newest backup taken before it, replaying the binlog
up to it, behind a confirmation that says all of that.  Each runs in a thread worker with
a progress bar fed by the engine's events (BackupProgress, RestoreProgress); at the end
the restored database can be opened at once (the console reopens on it).

The open database is never written: backups and restores read it as any client does.
"""

from __future__ import annotations

import os
import shlex
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, ProgressBar, Static

from core.events import BackupFinished, BackupProgress, Event, RestoreFinished, RestoreProgress
from tui import actions
from tui.backend.base import BackendError
from tui.panes.backup_screens import BackupDestScreen, OpenRestoredScreen, RestoreScreen
from tui.panes.base import RefreshingPane
from tui.panes.indexes import colours_of
from tui.widgets import backup_words as words

if TYPE_CHECKING:
    from tui.backend.base import BackupInfo, BinlogFileInfo, TimelineEntry

actions.scope("backups", "Backups tab")
ACTIONS = actions.register(
    actions.Action("backups", "restore", "r", "Restore before",
                   "Backups: restore into a new directory to just before the highlighted "
                   "transaction (the newest backup taken before it, then the binary log "
                   "up to it), after a confirmation"),
    actions.Action("backups", "backup", "b", "Backup",
                   "Backups: take a hot backup of this database into a new directory you "
                   "confirm (default beside it: <dir>-backups/<time>)"),
    actions.Action("backups", "verify", "v", "Verify",
                   "Backups: check the highlighted backup's files against its manifest's "
                   "checksums"),
    actions.Action("backups", "refresh", "f5", "Refresh",
                   "Backups: read the backups, the binlog files and the timeline again",
                   show=False),
)

TIMELINE_LIMIT = 500  # the newest transactions listed
BACKUP_ROWS, FILE_ROWS = 5, 3  # rows shown at once (more scroll)
TICK = 0.1  # seconds: the progress bar follows the worker's latest event


def _columns(table: DataTable, heads: list[str], rows: list[list]) -> None:
    """Columns as wide as their text: a DataTable measures new rows only on idle, and a
    picture taken before showed them cut to their headings (`fill_table`'s reason)."""
    for i, head in enumerate(heads):
        width = max([cell_len(head), *(cell_len(str(r[i])) for r in rows)])
        table.add_column(head, key=head, width=width)


@dataclass
class BackupsRead:
    backups: list[BackupInfo] = field(default_factory=list)
    files: list[BinlogFileInfo] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)  # oldest first
    errors: dict[str, BackendError] = field(default_factory=dict)  # section -> why empty


class BackupsPane(RefreshingPane[BackupsRead]):
    TITLE = "Backups"
    ID = "backups"
    ORDER = 50
    SCOPE = "backups"
    BINDINGS = [
        *actions.bindings("backups"),
        Binding("tab", "focus_step(1)", "Next", show=False),
        Binding("shift+tab", "focus_step(-1)", "Previous", show=False),
    ]
    LOAD_ERROR_TITLE = "Backups"

    DEFAULT_CSS = """
    BackupsPane .section { height: 1; padding: 0 1; color: $text-primary;
        text-style: bold; }
    BackupsPane #backups-list { height: 2; overflow-x: hidden; }
    BackupsPane #binlog-list { height: 2; overflow-x: hidden; }
    BackupsPane #timeline { height: 1fr; min-height: 4; }
    BackupsPane #tx-detail { height: auto; max-height: 3; padding: 0 1; }
    BackupsPane #backup-work { height: 1; padding: 0 1; display: none; }
    BackupsPane #backup-work.-running { display: block; }
    BackupsPane #work-label { width: auto; }
    BackupsPane #work-bar { width: 1fr; min-width: 12; }
    BackupsPane #work-bar Bar { width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.data = BackupsRead()
        self.rows: list[TimelineEntry] = []  # the timeline's rows, newest first
        self.work: str = ""  # "backup" | "verify" | "restore" while one runs
        self.latest: Event | None = None  # the worker's last progress event
        self.note: tuple[str, str] | None = None  # (words, colour) under the timeline
        self.last_restore: str = ""  # the directory of the last restore (tests)
        self._note_at = ""
        self._lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the database ...", id="backups-summary", classes="summary")
        yield Static("Backups", classes="section", id="backups-title")
        yield DataTable(id="backups-list", cursor_type="row", zebra_stripes=True)
        yield Static("Binary log", classes="section", id="binlog-title")
        yield DataTable(id="binlog-list", cursor_type="row", show_cursor=False)
        yield Static("Transactions, newest first", classes="section", id="timeline-title")
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static("", id="tx-detail")
        with Horizontal(id="backup-work"):
            yield Static("", id="work-label")
            yield ProgressBar(total=100, show_eta=False, id="work-bar")

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)

    def focus_default(self) -> None:
        self.query_one("#timeline", DataTable).focus()

    def action_focus_step(self, step: int) -> None:
        chain = [self.query_one("#timeline", DataTable),
                 self.query_one("#backups-list", DataTable)]
        now = next((i for i, w in enumerate(chain) if w.has_focus), -1)
        chain[(now + step) % len(chain)].focus()

    def activated(self) -> None:
        super().activated()
        if self.ready and not self.work:
            self.load()

    def _colours(self) -> dict[str, str]:
        colours = colours_of(self.app)
        colours["primary"] = (self.app.current_theme.primary or "cyan").removeprefix("ansi_")
        return colours

    # -- reading -------------------------------------------------------------------------------

    def fetch(self) -> BackupsRead:
        read = BackupsRead()
        if not self.backend.IMPLEMENTS_BACKUP:
            read.errors["all"] = BackendError(1235, "42000", "this database keeps no "
                                              "backups or binary log the console can read")
            return read
        for name, call in (("backups", self.backend.backups),
                           ("files", self.backend.binlog_files),
                           ("timeline", lambda: self.backend.binlog_timeline(TIMELINE_LIMIT))):
            try:
                setattr(read, name, call())
            except BackendError as err:
                read.errors[name] = err
        return read

    def show(self, data: BackupsRead) -> None:
        self.data = data
        self._fill_backups()
        self._fill_files()
        self._fill_timeline()
        self._summary()
        self._detail()
        self.refresh(layout=True)  # a list shown or hidden: the timeline takes the rest

    def _fill_backups(self) -> None:
        table = self.query_one("#backups-list", DataTable)
        cursor = table.cursor_coordinate.row
        table.clear(columns=True)
        colours = self._colours()
        err = self.data.errors.get("backups") or self.data.errors.get("all")
        wide = (self.app.size.width or 120) >= 110
        heads = ["taken", "LSN", "size", "GTID set", "state", "directory"] if wide else \
            ["taken", "LSN", "size", "state", "directory"]
        title = self.query_one("#backups-title", Static)
        if err is not None or not self.data.backups:
            title.update(Text.assemble("Backups  ", (f"cannot list them: {err}", colours["error"])
                                       if err is not None else
                                       ("none yet: b takes one", "dim")))
            table.display = False
            return
        title.update("Backups")
        table.display = True
        rows = []
        for b in reversed(self.data.backups):  # newest first
            state = "DAMAGED" if words.damaged(b) else \
                "verified" if b.verified == "ok" else "not verified"
            style = colours["error"] if words.damaged(b) else \
                colours["success"] if b.verified == "ok" else ""
            cells = [words.when(b.finished, date=wide), f"{b.lsn:,}", words.size(b.bytes),
                     words.short_set(b.gtid), Text(state, style=style), words.shown(b.path)]
            if not wide:
                del cells[3]
            rows.append(cells)
        width = (table.size.width or self.app.size.width or 120) - 2
        used = sum(max(len(str(r[i])) for r in rows) + 2 for i in range(len(heads) - 1))
        room = max(12, width - used - 2)
        for cells in rows:
            path = cells[-1]
            cells[-1] = path if len(path) <= room else "…" + path[-(room - 1):]
        _columns(table, heads, rows)
        for cells in rows:
            table.add_row(*cells)
        # an explicit height: a table of `height: auto` measured its new rows only later,
        # and a picture taken before showed no list at all
        table.styles.height = min(len(rows), BACKUP_ROWS) + 1
        table.move_cursor(row=min(cursor, len(self.data.backups) - 1), animate=False)

    def _fill_files(self) -> None:
        table = self.query_one("#binlog-list", DataTable)
        table.clear(columns=True)
        err = self.data.errors.get("files") or self.data.errors.get("all")
        title = self.query_one("#binlog-title", Static)
        if err is not None or not self.data.files:
            title.update(Text.assemble("Binary log  ", (f"cannot read it: {err}",
                                                         self._colours()["error"])
                                       if err is not None else
                                       ("no files (the binary log is off?)", "dim")))
            table.display = False
            return
        title.update("Binary log")
        table.display = True
        rows = [[f.name, words.size(f.size), f"{f.transactions:,}", words.when(f.first_ts),
                 words.when(f.last_ts)] for f in self.data.files]
        _columns(table, ["file", "size", "transactions", "from", "to"], rows)
        for row in rows:
            table.add_row(*row)
        table.styles.height = min(len(self.data.files), FILE_ROWS) + 1

    def _fill_timeline(self) -> None:
        table = self.query_one("#timeline", DataTable)
        selected = self.selected()
        table.clear(columns=True)
        colours = self._colours()
        width = (table.size.width or self.app.size.width or 120) - 4
        wide = width >= 100
        self.rows = list(reversed(self.data.timeline))
        time_w = max([4, *(cell_len(words.when(t.ts, date=wide)) for t in self.rows)])
        gtid_w = max([4, *(cell_len(words.short_gtid(t.gtid) if wide else f"…:{t.seq}")
                           for t in self.rows)])
        table.add_column("", key="mark", width=1)  # widths given: see `fill_table`
        table.add_column("time", key="time", width=time_w)
        table.add_column("GTID", key="gtid", width=gtid_w)
        room = max(20, width - time_w - gtid_w - 8)
        table.add_column("what", key="what", width=room)
        for t in self.rows:
            mistake = words.is_mistake(t)
            style = f"bold {colours['error']}" if mistake else ""
            gtid = words.short_gtid(t.gtid) if wide else f"…:{t.seq}"
            table.add_row(Text("!" if mistake else "", style=style),
                          words.when(t.ts, date=wide), gtid,
                          Text(words.changes(t, room), style=style, no_wrap=True,
                               overflow="ellipsis"),
                          key=t.gtid)
        if self.rows:
            gtids = [t.gtid for t in self.rows]
            row = gtids.index(selected.gtid) if selected and selected.gtid in gtids else 0
            table.move_cursor(row=row, animate=False)

    def _summary(self) -> None:
        d = self.data
        text = Text()
        if "all" in d.errors:
            text.append(str(d.errors["all"]), style=self._colours()["error"])
            self.query_one("#backups-summary", Static).update(text)
            return
        n = len(d.backups)
        text.append(f"{n} backup{'s' if n != 1 else ''}", style="bold")
        if d.backups and (self.app.size.width or 120) >= 100:
            text.append(f", newest {words.when(d.backups[-1].finished, date=False)}")
        size = sum(f.size for f in d.files)
        text.append(f" · binlog {len(d.files)} file{'s' if len(d.files) != 1 else ''}, "
                    f"{words.size(size)}")
        marked = sum(1 for t in d.timeline if words.is_mistake(t))
        text.append(f" · {len(d.timeline):,} transaction{'s' if len(d.timeline) != 1 else ''}")
        if marked:
            text.append(f", {marked} marked !", style=f"bold {self._colours()['error']}")
        if (self.app.size.width or 120) >= 110:  # narrower: the footer says it
            text.append(" · r: restore to just before one", style="dim")
        self.query_one("#backups-summary", Static).update(text)

    # -- the highlighted transaction -------------------------------------------------------

    def selected(self) -> TimelineEntry | None:
        row = self.query_one("#timeline", DataTable).cursor_coordinate.row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def selected_backup(self) -> BackupInfo | None:
        row = self.query_one("#backups-list", DataTable).cursor_coordinate.row
        newest_first = list(reversed(self.data.backups))
        return newest_first[row] if 0 <= row < len(newest_first) else None

    @on(DataTable.RowHighlighted, "#timeline")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        t = self.selected()
        if self.note is not None and (t.gtid if t else "") != self._note_at:
            self.note = None  # the user moved on: the transaction's own line again
        self._detail()

    def _detail(self) -> None:
        out = self.query_one("#tx-detail", Static)
        colours = self._colours()
        if self.note is not None:
            # a span, not Text's base style: Textual reads a base style string as CSS ("red"
            # = #ff0000, truecolor) but a span's with Rich (ANSI red under the 16-colour theme)
            out.update(Text.assemble(self.note))
            return
        t = self.selected()
        if t is None:
            out.update(Text("No transaction in the binary log yet."
                            if "timeline" not in self.data.errors else
                            f"Cannot read the binary log: {self.data.errors['timeline']}",
                            style="dim"))
            return
        text = Text()
        text.append(f"{words.when(t.ts)} {t.gtid} ", style="bold")
        text.append(f"{t.file}:{t.pos} ", style="dim")
        text.append(words.changes(t, 200))
        plan = words.plan_restore(t, self.data.backups, self.data.timeline, "",
                                  complete=len(self.data.timeline) < TIMELINE_LIMIT)
        if plan.refusal and plan.errno == 1236:
            text.append("  r: the binlog after the backup was purged",
                        style=colours["warning"])
        elif plan.backup is not None:
            text.append(f"  r: from the backup of {words.when(plan.backup.finished)} + "
                        f"{plan.replay:,} transaction{'s' if plan.replay != 1 else ''}",
                        style=colours["success"])
        else:
            text.append("  r: no backup older than it", style=colours["warning"])
        out.update(text)

    def _say(self, words_: str, colour: str = "") -> None:
        t = self.selected()
        self.note = (words_, colour)
        self._note_at = t.gtid if t else ""  # kept until another row is highlighted
        self._detail()

    # -- progress ------------------------------------------------------------------------------

    def _sink(self, event: Event) -> None:
        """From the worker's thread: the latest event, drawn by the next tick."""
        with self._lock:
            self.latest = event

    def _tick(self) -> None:
        with self._lock:
            e, self.latest = self.latest, None
        if e is None or not self.work:
            return
        label, done, total = "", 0, 0
        match e:
            case BackupProgress(dest=dest, phase=phase, done=done, total=total, file=file):
                what = "Verify" if self.work == "verify" else "Backup into"
                label = f"{what} {words.shown(dest)}: {phase}"
                if done or total:
                    label += f" {words.size(done)}" + (f" of {words.size(total)}"
                                                       if total else "")
                label += f" {os.path.basename(file)}" if file else ""
            case RestoreProgress(dest=dest, phase=phase, done=done, total=total, gtid=gtid):
                unit = (lambda n: f"{n:,}") if phase == "replay" else words.size
                label = f"Restore into {words.shown(dest)}: {phase}"
                if done or total:
                    label += f" {unit(done)}" + (f" of {unit(total)}" if total else "")
                label += " transactions" if phase == "replay" else ""
                label += f", last {words.short_gtid(gtid)}" if phase == "replay" and gtid else ""
            case BackupFinished() | RestoreFinished():
                return
            case _:
                return
        self._bar(label, done, total)

    def _bar(self, label: str, done: int, total: int) -> None:
        box = self.query_one("#backup-work", Horizontal)
        box.set_class(True, "-running")
        lab = self.query_one("#work-label", Static)
        width = (self.size.width or self.app.size.width) - 16
        lab.update(Text(words.one_line(label, max(width, 10)), no_wrap=True))
        bar = self.query_one("#work-bar", ProgressBar)
        if total:
            bar.update(total=total, progress=min(done, total))
        else:  # not known yet (a phase starting, recovery): no percentage that would lie
            bar.update(total=None)

    def _start(self, work: str, label: str) -> bool:
        if self.work:
            self.notify(f"A {self.work} is running: wait for it to end.", title="Backups",
                        severity="warning", timeout=4)
            return False
        self.work = work
        self._bar(label, 0, 0)
        return True

    def _end(self) -> None:
        self.work = ""
        self.query_one("#backup-work", Horizontal).set_class(False, "-running")

    def _usable(self) -> bool:
        if not self.ready or not self.backend.IMPLEMENTS_BACKUP:
            self.notify("This database cannot take backups or restore from the console.",
                        title="Backups", severity="warning")
            return False
        return True

    # -- b: a new backup ---------------------------------------------------------------------

    def action_backup(self) -> None:
        if not self._usable():
            return
        default = words.default_backup_dir(self.backend.path)

        def chosen(dest: str | None) -> None:
            if dest and self._start("backup", f"Backup into {words.shown(dest)}: starting"):
                self.run_worker(lambda: self._backup_worker(dest), thread=True,
                                group="backups-work", exit_on_error=False)

        self.app.push_screen(BackupDestScreen(self.backend.path, default), chosen)

    def _backup_worker(self, dest: str) -> None:
        try:
            result: object = self.backend.take_backup(dest, self._sink)
        except BackendError as err:
            result = err
        self.app.call_from_thread(self._backed_up, dest, result)

    def _backed_up(self, dest: str, result: object) -> None:
        self._end()
        if isinstance(result, BackendError):
            self._say(f"Backup into {dest} failed: {result}", self._colours()["error"])
            self.notify(f"Backup into {dest} failed: {result}", title="Backup",
                        severity="error", timeout=10)
        else:
            b = result
            self._say(f"Backed up into {dest}: {words.size(getattr(b, 'bytes', 0))}, "
                      f"consistent at LSN {getattr(b, 'lsn', 0):,} "
                      f"(GTIDs {getattr(b, 'gtid', '') or '-'}).", self._colours()["success"])
            self.notify(f"Backed up into {dest}.", title="Backup", timeout=5)
        self.load()

    # -- v: verify ---------------------------------------------------------------------------

    def action_verify(self) -> None:
        if not self._usable():
            return
        b = self.selected_backup()
        if b is None:
            self.notify("No backup to verify: b takes one.", title="Verify", timeout=4)
            return
        if self._start("verify", f"Verify {words.shown(b.path)}: starting"):
            self.run_worker(lambda: self._verify_worker(b.path), thread=True,
                            group="backups-work", exit_on_error=False)

    def _verify_worker(self, path: str) -> None:
        try:
            result: object = self.backend.verify_backup(path, self._sink)
        except BackendError as err:
            result = err
        self.app.call_from_thread(self._verified, path, result)

    def _verified(self, path: str, result: object) -> None:
        self._end()
        colours = self._colours()
        if isinstance(result, BackendError):
            message, ok = f"Verify {path}: {result}", False
        elif getattr(result, "ok", False):
            message, ok = (f"{path}: every file matches its checksum "
                           f"({getattr(result, 'files', 0):,} files, "
                           f"{words.size(getattr(result, 'bytes', 0))})."), True
        else:
            problems = "; ".join(getattr(result, "problems", ()) or ()) or "damaged"
            message, ok = f"{path} is DAMAGED: {problems}", False
        self._say(message, colours["success"] if ok else colours["error"])
        self.notify(message, title="Verify", severity="information" if ok else "error",
                    timeout=6 if ok else 12)
        self.load()

    # -- r: restore to just before the highlighted transaction -------------------------------

    def plan(self) -> words.RestorePlan | None:
        t = self.selected()
        if t is None:
            return None
        return words.plan_restore(t, self.data.backups, self.data.timeline,
                                  words.default_restore_dir(self.backend.path),
                                  complete=len(self.data.timeline) < TIMELINE_LIMIT)

    def action_restore(self) -> None:
        if not self._usable():
            return
        plan = self.plan()
        if plan is None:
            self.notify("Highlight a transaction of the timeline first.", title="Restore",
                        timeout=4)
            return
        if "backups" in self.data.errors and not self.data.backups:
            plan = replace(plan, refusal="The backups of this database cannot be listed: "
                           f"{self.data.errors['backups'].msg}",
                           errno=self.data.errors["backups"].errno)
        if plan.refusal:
            message = f"ERROR {plan.errno}: {plan.refusal}"
            self._say(f"r refused: {message}", self._colours()["error"])
            self.notify(message, title="Restore", severity="error", timeout=10)
            return

        def answered(dest: str | bool | None) -> None:
            if isinstance(dest, str) and dest and \
                    self._start("restore", f"Restore into {words.shown(dest)}: starting"):
                self.run_worker(lambda: self._restore_worker(plan, dest), thread=True,
                                group="backups-work", exit_on_error=False)

        self.app.push_screen(RestoreScreen(plan), answered)

    def _restore_worker(self, plan: words.RestorePlan, dest: str) -> None:
        assert plan.backup is not None
        try:
            result: object = self.backend.restore(plan.backup.path, dest, plan.stop_gtid,
                                                  self._sink)
        except BackendError as err:
            result = err
        self.app.call_from_thread(self._restored, plan, dest, result)

    def _restored(self, plan: words.RestorePlan, dest: str, result: object) -> None:
        self._end()
        if isinstance(result, BackendError):
            message = f"Restore into {dest} failed, nothing is left there: {result}"
            self._say(message, self._colours()["error"])
            self.notify(message, title="Restore", severity="error", timeout=12)
            return
        self.last_restore = dest
        done = words.finished_words(dest, getattr(result, "replayed", 0),
                                    getattr(result, "stopped_before", "") or plan.stop_gtid,
                                    getattr(result, "seconds", 0.0))
        self._say(done, self._colours()["success"])
        command = f"kintsugi {shlex.quote(dest)}"
        can_open = hasattr(self.app, "reopen_path")

        def answered(yes: bool | None) -> None:
            if yes and can_open:
                self.app.reopen_path = dest  # type: ignore[attr-defined]
                self.app.exit(0)
            else:
                self.notify(f"Open it later with: {command}", title="Restored", timeout=10)

        self.app.push_screen(OpenRestoredScreen(done, dest, command, can_open), answered)
