"""`kintsugi restore`: a backup plus the binary log up to a point, into a new directory.

The work is `core.restore`; this module parses the stop point, draws the progress bar on
stderr (a terminal only) and prints the summary.  Registered on the `kintsugi` group by
tui/cli.py.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from core.events import Event, RestoreProgress, null_sink
from tui.stderr_line import StderrLine, bar

_PHASES = {"verify": "checking the backup", "copy": "copying files",
           "recover": "crash recovery of the copy", "replay": "replaying the binlog",
           "check": "ADMIN CHECK TABLE"}


def parse_datetime(text: str) -> float:
    """'YYYY-MM-DD HH:MM:SS[.ffffff]' in local time, as mysqlbinlog reads it (or UNIX
    seconds)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text.strip().replace("T", " ")).timestamp()
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected 'YYYY-MM-DD HH:MM:SS' (local time)",
                                 param_hint="--stop-datetime") from None


class _Bar(StderrLine):
    """The restore's phase and how far it is, on stderr (a terminal only)."""

    def __call__(self, event: Event) -> None:
        if not isinstance(event, RestoreProgress) or not self.due(event.done, event.total):
            return
        what = _PHASES.get(event.phase, event.phase)
        shown = ""
        if event.total:
            unit = " bytes" if event.phase in ("copy", "verify") else ""
            shown = f"{bar(event.done, event.total)} {event.done:,}/{event.total:,}{unit}"
        tail = f" {event.gtid}" if event.gtid else ""
        self.show(f"{what}: {shown}{tail}"[:160])


@click.command(short_help="Restore a backup, then replay the binlog up to a point in time.")
@click.argument("backup", type=click.Path(file_okay=False))
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--stop-datetime", metavar="'YYYY-MM-DD HH:MM:SS[.ffffff]'",
              help="Replay the transactions committed before this time (local time; "
                   "fractions of a second too: several can share one second).")
@click.option("--stop-position", metavar="[FILE:]POS",
              help="Stop at the transaction starting at or after this binlog position "
                   "(no FILE: the newest binlog file).")
@click.option("--stop-gtid", metavar="GTID",
              help="Stop just before this transaction (uuid:n, or n for the source's uuid).")
@click.option("--exclude-gtids", metavar="SET",
              help="Skip these transactions (uuid:1-3:7, or 7 for the source's uuid) and "
                   "replay the rest.")
@click.option("--binlog-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Read the binlog here (a copy of the binlog files with binlog.index) "
                   "instead of the source directory the backup names.")
@click.option("--force", is_flag=True,
              help="DEST exists and is not empty: put it aside as DEST.replaced-<time> "
                   "(never deleted) and restore in its place.  Refused when a process has "
                   "DEST open, or DEST is, contains or is inside the backup or the source.")
def restore(backup: str, dest: str, stop_datetime: str | None, stop_position: str | None,
            stop_gtid: str | None, exclude_gtids: str | None, binlog_dir: str | None,
            force: bool) -> None:
    """Restore BACKUP (made by `kintsugi backup`) into the new directory DEST, then replay
    the source's binary log from the backup's point up to the stop you give (none: all of
    it).  The backup's files are checked first; DEST appears only once it is complete, so
    an interrupted restore leaves nothing half-done there, and running it again works.
    Every table is checked (ADMIN CHECK TABLE) before DEST is put in place.  A DDL job the
    backup caught unfinished is rolled back in the copy; the binlog replays its statement
    if the source finished it.

    \b
    Undo a mistaken DROP TABLE at 14:02:13 (find its time or GTID with
    `kintsugi binlog SOURCE`):
      kintsugi restore /backups/mon shop-restored --stop-datetime '2026-11-26 14:02:13'
      kintsugi restore /backups/mon shop-restored --stop-gtid 3f2c...:812
    Or keep everything after it except the DROP:
      kintsugi restore /backups/mon shop-restored --exclude-gtids 3f2c...:812
    Then: kintsugi shop-restored
    """
    import core

    when = parse_datetime(stop_datetime) if stop_datetime is not None else None
    if sum(x is not None for x in (when, stop_position, stop_gtid)) > 1:
        raise click.UsageError("give one of --stop-datetime, --stop-position, --stop-gtid")
    bar = _Bar() if sys.stderr.isatty() else None
    try:
        report = core.restore(backup, dest, stop_datetime=when, stop_position=stop_position,
                              stop_gtid=stop_gtid, exclude_gtids=exclude_gtids,
                              binlog_dir=binlog_dir, force=force,
                              sink=bar if bar is not None else null_sink)
    finally:  # an error goes up to the `kintsugi` group: one ERROR line, exit 1
        if bar is not None:
            bar.clear()
    click.echo(f"Restored {report.backup} into {report.dest} in {report.seconds:.1f}s")
    click.echo(f"  replayed {report.replayed:,} binlog transaction(s), {report.rows:,} row "
               f"change(s)" + (f"; skipped {report.skipped:,} (--exclude-gtids)"
                               if report.skipped else ""))
    click.echo("  stopped before " + " ".join(report.stopped_before.split())
               if report.stopped_before else "  replayed to the end of the binary log")
    if not report.stopped_before and (when is not None or stop_position or stop_gtid):
        # a stop point past the last transaction: the mistake it was meant to leave out,
        # if it is in the binlog, was replayed too
        click.echo("  NOTE: the stop point lies after the last transaction of the binary "
                   "log, so nothing was left out; check the time (local) or use "
                   "--stop-gtid with the GTID `kintsugi binlog -v` shows")
    click.echo(f"  executed GTIDs: {report.gtid or '(none)'}")
    if report.replaced:
        click.echo(f"  the previous {report.dest} was put aside as {report.replaced}")
    click.echo(f"  ADMIN CHECK TABLE: {len(report.tables_checked)} table(s), "
               + ("all OK" if not report.check_failures
                  else f"{len(report.check_failures)} FAILED"))
    for line in report.check_failures:
        click.echo(f"    {line}")
    click.echo(f"Open it with: kintsugi {report.dest}")
    if report.check_failures:
        sys.exit(2)
