"""`kintsugi backup DIR DEST` and `kintsugi backup --verify DEST`.

A hot backup runs while the database is open elsewhere (it takes no lock); the summary line
says where the backup is consistent (LSN, GTID set) and where the binary log continues, which
is what a restore replays from.  `--verify` checks every file against the manifest's sizes
and CRC32Cs and prints one line per problem.  Progress goes to stderr when it is a terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click

from core.events import BackupProgress, Event
from tui.stderr_line import StderrLine, bar


class _Bar(StderrLine):
    """The backup's (or verification's) bytes, on stderr (a terminal only)."""

    def __call__(self, event: Event) -> None:
        if not isinstance(event, BackupProgress) or not self.due(event.done, event.total):
            return
        total = max(event.total, event.done, 1)
        name = event.file if len(event.file) <= 40 else "..." + event.file[-37:]
        self.show(f"{event.phase} {bar(event.done, total)} "
                  f"{_size(event.done)} / {_size(total)} {name}")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def command(fail: Callable) -> click.Command:
    """The `backup` command; `fail` prints an error as tui.cli does (ERROR nnnn, exit 1)."""

    @click.command("backup", short_help="Take a hot, consistent backup (or --verify one).")
    @click.argument("directory", required=False, type=click.Path(file_okay=False))
    @click.argument("dest", required=False, type=click.Path(file_okay=False))
    @click.option("--verify", "verify_dir", metavar="DEST", type=click.Path(file_okay=False),
                  help="Check the backup in DEST against its manifest instead of taking one.")
    @click.option("--force", is_flag=True, help="Replace a finished backup that is in DEST.")
    def backup(directory: str | None, dest: str | None, verify_dir: str | None,
               force: bool) -> None:
        """Back up the database in DIRECTORY into DEST (a new or empty directory) while it keeps
        running: the tablespaces are copied from LMDB read transactions and the redo log is
        followed meanwhile, so DEST is consistent at one log sequence number.  A manifest
        (LSN, GTID set, binlog file and position, per-file CRC32C) is written last: a backup
        that was interrupted has none and is redone by running the command again.

        With --verify DEST, check every file of a backup (missing, size, checksum, extra
        tablespaces); exit status 1 if anything is wrong.

        \b
        Examples:
          kintsugi backup mydb /backups/mydb-monday
          kintsugi backup --verify /backups/mydb-monday
        """
        if verify_dir is not None:
            if directory is not None or dest is not None:
                raise click.UsageError("--verify takes only the backup directory: "
                                       "kintsugi backup --verify DEST")
            _verify(verify_dir, fail)
            return
        if directory is None or dest is None:
            raise click.UsageError("name the database DIRECTORY and the backup DEST "
                                   "(or --verify DEST)")
        _backup(directory, dest, force, fail)

    return backup


def _backup(directory: str, dest: str, force: bool, fail) -> None:
    import core
    from core.errors import Error

    bar = _Bar() if sys.stderr.isatty() else None
    t0 = time.monotonic()
    try:
        info = core.backup_database(directory, dest, force=force, sink=bar or _ignore)
    except Error as err:
        if bar is not None:
            bar.clear()
        fail(err, directory)
        return
    if bar is not None:
        bar.clear()
    seconds = time.monotonic() - t0
    where = (f"the binlog continues at {info.binlog_file}:{info.binlog_pos}"
             if info.binlog_file else "the binary log is off")
    click.echo(f"Backup of {info.source} into {info.path}: consistent at LSN {info.lsn}, "
               f"GTID set {info.gtid or '(empty)'}, {_size(info.bytes)} in {info.files} "
               f"files, {seconds:.1f} s; {where}")


def _verify(dest: str, fail) -> None:
    import core
    from core.errors import CorruptionError, Error

    bar = _Bar() if sys.stderr.isatty() else None
    try:
        report = core.verify_backup(dest, sink=bar or _ignore)
    except Error as err:
        if bar is not None:
            bar.clear()
        fail(err)
        return
    if bar is not None:
        bar.clear()
    for problem in report.problems:
        click.echo(f"{report.path}/{problem}")
    if not report.ok:
        fail(CorruptionError(f"backup {report.path} is not usable: "
                             f"{len(report.problems)} problem(s), listed above"))
        return
    info = core.read_backup(dest)
    click.echo(f"Backup {report.path}: OK, {report.files} files, {_size(report.bytes)} "
               f"checked; consistent at LSN {info.lsn}, GTID set {info.gtid or '(empty)'}")


def _ignore(_event: Event) -> None:
    pass
