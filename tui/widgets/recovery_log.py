"""The Recovery tab's log: InnoDB's lines, without the repeated ones drowning the rest.

A recovery of a big log says "Doing recovery: scanned up to ..." hundreds of times and
"10%" ... "100%" for each of dozens of batches; the one `[Warning]` that matters (redo that
a forced open skipped, a torn tail) scrolled away under them.  `CollapsingLog` keeps every
line (`raw`, for "show every line") and a folded view (`lines`):

- consecutive scan lines are one line, updated in place, with a ×N count;
- a batch's 10% steps and its "Apply batch completed!" join onto one line;
- once a newer batch starts, the completed batches before it fold into one summary line;
- other identical consecutive lines are one line with a ×N count;
- warnings and errors are also kept apart (`warnings`), for a strip that stays in view.

`CollapsingLog` is plain data (tested on its own); `RecoveryLog` is the widget.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

import core.events as ev
from core.events.wording import format_event
from tui.wording import cli_wording as flag_wording  # the CLI's translation, shared

LEVELS = ("Note", "Warning", "ERROR")
WARNINGS_SHOWN = 4  # the warnings strip's lines
LEVEL_STYLE = {"Note": "$text-muted", "Warning": "bold $warning", "ERROR": "bold $error"}


@dataclass(eq=False)  # lines are found by identity: two may read the same
class Line:
    """One line as shown: `count` lines of the same `group` folded into it."""

    level: str
    text: str
    count: int = 1
    group: object = None
    show_count: bool = True  # a ×N suffix (not for the joined 10% steps)
    records: int = 0  # folded batches: their records, added up
    first_batch: int = 0
    last_batch: int = 0

    def shown(self) -> str:
        suffix = f"  ×{self.count}" if self.count > 1 and self.show_count else ""
        return f"[{self.level}] {self.text}{suffix}"


@functools.cache
def _log_lines_function() -> Callable | None:
    """`core.events.wording.log_lines(e)`, with the keyword arguments it accepts of
    `seconds` and `path` (the console freezes durations in pictures and shows paths as the
    user typed them); None while the engine's wording has no such function."""
    from core.events import wording

    fn = getattr(wording, "log_lines", None)
    if fn is None:
        return None
    try:
        accepted = set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        accepted = set()

    def call(e: ev.Event, seconds: Callable, path: Callable) -> list[tuple[str, str]]:
        kwargs = {k: v for k, v in (("seconds", seconds), ("path", path)) if k in accepted}
        return [(str(level), str(text)) for level, text in fn(e, **kwargs)]

    return call


def event_lines(e: ev.Event, *, seconds: Callable[[float], str],
                path: Callable[[str], str], root: str = "", shown_root: str = ""
                ) -> list[tuple[str, str]]:
    """The (level, text) lines of an event, in the engine's words.  Absolute paths under
    the database's directory (`root`) are shown as the user gave it (`shown_root`), and
    the engine's argument names as the command line's flags ("force_recovery = 1" is
    "--force-recovery 1" on screen; kintsugi.err keeps InnoDB's spelling)."""
    call = _log_lines_function()
    if call is not None:
        lines = call(e, seconds, path)
    else:
        text = format_event(e, seconds=seconds, path=path)
        lines = [] if text is None else [("Note", text)]
        if isinstance(e, (ev.TornTailCut, ev.RedoSkipped, ev.TablespaceMissing)):
            lines = [("Warning", t) for _lvl, t in lines] or [("Warning", _fallback(e))]
    if root and shown_root and root != shown_root:
        lines = [(lvl, t.replace(root + os.sep, shown_root + os.sep).replace(root, shown_root))
                 for lvl, t in lines]
    return [(lvl if lvl in LEVELS else "Note", flag_wording(t)) for lvl, t in lines]


def _fallback(e: ev.Event) -> str:
    """Words for the warning events the engine's formatter does not know yet."""
    match e:
        case ev.RedoSkipped():
            return (f"force_recovery: redo from lsn {e.from_lsn} to {e.to_lsn} not applied "
                    f"({e.commits} commit(s))")
        case ev.TablespaceMissing():
            return f"Tablespace {e.space_id} of {e.table} is missing: {e.path}"
    return type(e).__name__


@dataclass
class CollapsingLog:
    """The recovery log, folded (see the module's docstring)."""

    raw: list[tuple[str, str]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    warnings: list[Line] = field(default_factory=list)
    _batch: dict[int, list[Line]] = field(default_factory=dict)  # batch -> its lines
    _folded: Line | None = None

    def add_event(self, e: ev.Event, lines: list[tuple[str, str]]) -> None:
        for level, text in lines:
            self.raw.append((level, text))
        if not lines:
            return
        match e:
            case ev.RedoScanProgress():
                level, text = lines[-1]
                last = self.lines[-1] if self.lines else None
                if last is not None and last.group == "scan":
                    last.text = text
                    last.count += 1
                else:
                    self.lines.append(Line(level, text, group="scan"))
                return
            case ev.RedoApplyBatch(batch=batch, records=records):
                self._fold_before(batch)
                for level, text in lines:
                    self._append(level, text)
                self._batch[batch] = [self.lines[-1]]
                self.lines[-1].records = records
                return
            case ev.RedoApplyProgress(batch=batch, percent=percent):
                self._join(batch, f"{percent}%", lines)
                return
            case ev.RedoApplyBatchDone(batch=batch):
                self._join(batch, lines[-1][1], lines)
                return
        for level, text in lines:
            self._append(level, text)

    def add(self, level: str, text: str) -> None:
        """A line of the console's own (not an engine event)."""
        self.raw.append((level, text))
        self._append(level, text)

    # -- folding -------------------------------------------------------------------------------

    def _append(self, level: str, text: str) -> None:
        last = self.lines[-1] if self.lines else None
        if last is not None and last.group is None and (last.level, last.text) == (level, text):
            last.count += 1
        else:
            self.lines.append(Line(level, text))
        if level != "Note":
            last_w = self.warnings[-1] if self.warnings else None
            if last_w is not None and (last_w.level, last_w.text) == (level, text):
                last_w.count += 1
            else:
                self.warnings.append(Line(level, text))

    def _join(self, batch: int, step: str, lines: list[tuple[str, str]]) -> None:
        """A 10% step or the batch's end: onto the batch's step line (a new one when
        another line came between, so that the order stays true)."""
        own = self._batch.setdefault(batch, [])
        steps = own[-1] if len(own) > 1 else None
        if steps is not None and self.lines and self.lines[-1] is steps:
            steps.text += " " + step
            steps.count += 1
        else:
            self.lines.append(Line(lines[-1][0], step, group=("steps", batch),
                                   show_count=False))
            own.append(self.lines[-1])
        for level, text in lines:
            if level != "Note":
                self._append(level, text)

    def _fold_before(self, batch: int) -> None:
        """Batch `batch` starts: the completed batch before the previous one folds into the
        summary line, if its lines are where the summary can take them."""
        old = batch - 2
        own = self._batch.get(old)
        if not own:
            return
        if self._folded is None or self._folded not in self.lines:
            at = self.lines.index(own[0]) if own[0] in self.lines else None
            if at is None:
                return
            # no ×N: the line says how many batches it folds (×2 read as "4,088 twice")
            self._folded = Line(own[0].level, "", group="folded", count=0,
                                show_count=False, first_batch=old)
            self.lines.insert(at, self._folded)
        folded = self._folded
        for line in own:
            if line in self.lines:
                self.lines.remove(line)
        folded.count += 1
        folded.last_batch = old
        folded.records += own[0].records
        first = folded.first_batch
        if old > first:
            folded.text = (f"Apply batches {first}-{old} completed: {folded.count} batches, "
                           f"{folded.records:,} redo log records in all (every 10% step "
                           "reached)")
        else:
            folded.text = (f"Apply batch {first} completed: {folded.records:,} redo log "
                           "records (every 10% step reached)")
        del self._batch[old]

    # -- what the widget shows -----------------------------------------------------------------

    def view(self, every_line: bool = False) -> list[Line]:
        if every_line:
            return [Line(level, text) for level, text in self.raw]
        return list(self.lines)


def styled(line: Line) -> Content:
    """A line with its level in words and in colour (readable in 16 colours too)."""
    suffix = f"  ×{line.count}" if line.count > 1 and line.show_count else ""
    text_style = "" if line.level == "Note" else LEVEL_STYLE[line.level]
    return Content.assemble((f"[{line.level}]", LEVEL_STYLE[line.level]), " ",
                            (line.text, text_style), (suffix, "bold $accent"))


class RecoveryLog(Vertical):
    """The warnings strip (always in view while there are any) above the folded log."""

    DEFAULT_CSS = """
    RecoveryLog { height: 1fr; }
    /* no tinted background: in the 16-colour theme it is solid yellow under yellow text */
    RecoveryLog #recovery-warnings { height: auto; max-height: 5; display: none;
        border-left: outer $warning; padding: 0 1 0 1; text-wrap: nowrap;
        text-overflow: ellipsis; }
    RecoveryLog.-warned #recovery-warnings { display: block; }
    RecoveryLog #recovery-log { height: 1fr; min-height: 3; border: round $secondary 40%;
        border-title-color: $text-secondary; padding: 0 1; }
    RecoveryLog #recovery-lines { min-height: 100%; }  /* short logs start at the top */
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.model = CollapsingLog()
        self.every_line = False
        self.hint = "a: every line"
        self.warnings_shown = WARNINGS_SHOWN  # fewer on a small terminal (`set_warnings_shown`)
        self._shown: tuple | None = None  # what `refresh_lines` drew last

    def compose(self) -> ComposeResult:
        yield Static("", id="recovery-warnings")  # kept in view: the log scrolls, not this
        # a Static in a scroll, not a RichLog: a RichLog wraps each line at the width it
        # has when the line arrives, and recovery lines arrive before the layout
        log = VerticalScroll(Static("", id="recovery-lines"), id="recovery-log")
        log.border_title = "Open log (InnoDB-style, repeats folded)"
        log.border_subtitle = "a: every line"
        yield log

    def on_mount(self) -> None:
        # anchored: the layout itself keeps the last line in view, whenever lines arrive
        self.query_one("#recovery-log", VerticalScroll).anchor()

    def set_hint(self, keys: str) -> None:
        """The keys named on the log's frame."""
        self.hint = keys
        log = self.query_one("#recovery-log", VerticalScroll)
        log.border_subtitle = keys.replace("every line", "fold repeats") if self.every_line \
            else keys

    def set_warnings_shown(self, most: int) -> None:
        """How many warnings the strip shows (a small terminal under a forced open's
        banner keeps room for the log: the banner says what the warnings say)."""
        if most != self.warnings_shown:
            self.warnings_shown = most
            self.refresh_lines()

    def toggle_every_line(self) -> None:
        self.every_line = not self.every_line
        log = self.query_one("#recovery-log", VerticalScroll)
        log.border_title = ("Open log (InnoDB-style, every line)" if self.every_line
                            else "Open log (InnoDB-style, repeats folded)")
        self.set_hint(self.hint)
        self.refresh_lines()

    def refresh_lines(self) -> None:
        """Draw the log again if a line changed since the last time (each batch of events
        calls this; the text is rebuilt whole, but it is the folded log, a few dozen lines)."""
        shown = self.model.view(self.every_line)
        key = (self.every_line, self.warnings_shown, len(self.model.raw),
               tuple((line.level, line.text, line.count) for line in shown),
               tuple((w.level, w.text, w.count) for w in self.model.warnings))
        if key == self._shown:
            return
        self._shown = key
        self.query_one("#recovery-lines", Static).update(
            Content("\n").join(styled(line) for line in shown))
        warnings = self.model.warnings
        self.set_class(bool(warnings), "-warned")
        if warnings:
            # one line each (the log below has them whole); the latest when there are many
            # "N earlier" only where it saves a line
            most = len(warnings) if len(warnings) <= self.warnings_shown + 1 \
                else self.warnings_shown
            shown = [styled(w) for w in warnings[-most:]]
            if len(warnings) > most:
                shown.insert(0, Content.styled(
                    f"{len(warnings) - most} earlier warning(s) in the log below",
                    "$text-muted"))
            self.query_one("#recovery-warnings", Static).update(Content("\n").join(shown))

    def shown_text(self) -> str:
        """The log as shown, plain (tests)."""
        return "\n".join(line.shown() for line in self.model.view(self.every_line))
