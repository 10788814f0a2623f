"""The binary log's SQL statements, as MySQL 8 answers them (DESIGN.md, Binary log).

``SHOW BINARY LOGS`` (``SHOW MASTER LOGS``), ``SHOW BINLOG EVENTS [IN 'f'] [FROM pos]
[LIMIT [o,] n]``, ``SHOW MASTER STATUS`` / ``SHOW BINARY LOG STATUS``, ``PURGE BINARY|MASTER
LOGS TO 'f' | BEFORE expr`` and ``FLUSH [BINARY] LOGS``.  The writer (`engine.binlog`,
`core.log.binlog`) does the work; this module reads its files back with
`core.log.binlog_format` and words the answers as mysqld does (sql/rpl_source.cc, binlog.cc):

* binlog off (``--skip-log-bin``): SHOW BINARY LOGS is ERROR 1381; SHOW BINLOG EVENTS and
  SHOW MASTER STATUS answer an empty result (mysqld reads only ``if is_open()``); PURGE and
  FLUSH succeed doing nothing (``purge_source_logs_to_file`` answers OK when not open).
* SHOW BINLOG EVENTS: an unknown file is 1220 "... Could not find target log"; a FROM that is
  no event's position is 1220 "... Wrong offset or I/O error"; FROM past the end is empty.
* PURGE TO an unknown file is 1373 "Target log not found in binlog index"; TO the active
  file purges every file before it.  BEFORE evaluates ``UNIX_TIMESTAMP(expr)`` as mysqld does:
  a value that is no datetime is warning 1292 and purges nothing (the time is 0); reaching
  the active file is warning 1868.  The active file is never purged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from core.errors import OperationalError
from core.log import binlog_format as fmt
from core.log.binlog_format import EventType
from core.sql import dialect
from core.sql.result import Result

if TYPE_CHECKING:
    from core.sql.host import StatementHost

SERVER_ID = 1
_SHOW_KINDS = frozenset({"BINARY LOGS", "BINLOG EVENTS", "MASTER STATUS", "BINARY LOG STATUS"})
EVENT_COLUMNS = ["Log_name", "Pos", "Event_type", "Server_id", "End_log_pos", "Info"]
LOGS_COLUMNS = ["Log_name", "File_size", "Encrypted"]
STATUS_COLUMNS = ["File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"]
_ROWS = frozenset({EventType.WRITE_ROWS, EventType.UPDATE_ROWS, EventType.DELETE_ROWS})


def handles(node: exp.Expression) -> bool:
    """Whether `node` is one of this module's statements (the session's one hook)."""
    if isinstance(node, (dialect.PurgeBinaryLogs, dialect.FlushLogs)):
        return True
    return isinstance(node, exp.Show) and (node.name or "").upper() in _SHOW_KINDS


def run(session: StatementHost, node: exp.Expression) -> Result:
    if isinstance(node, dialect.PurgeBinaryLogs):
        return _purge(session, node)
    if isinstance(node, dialect.FlushLogs):
        return _flush(session)
    what = node.name.upper()
    binlog = session.db.engine.binlog
    if what == "BINARY LOGS":
        if binlog is None:
            raise OperationalError("You are not using binary logging", errno=1381,
                                   sqlstate="HY000")
        rows = [[name, size, "No"] for name, size in binlog.listing()]
        return Result(names=list(LOGS_COLUMNS), rows=rows, rowcount=len(rows))
    if what == "BINLOG EVENTS":
        rows = [] if binlog is None else _events(binlog, node, session)
        return Result(names=list(EVENT_COLUMNS), rows=rows, rowcount=len(rows))
    rows = []  # MASTER STATUS / BINARY LOG STATUS
    if binlog is not None:
        name, pos, executed = binlog.status()
        rows = [[name, pos, "", "", executed]]
    return Result(names=list(STATUS_COLUMNS), rows=rows, rowcount=len(rows))


# -- SHOW BINLOG EVENTS ------------------------------------------------------------------------


def _show_error(why: str) -> OperationalError:
    return OperationalError(f"Error when executing command SHOW BINLOG EVENTS: {why}",
                            errno=1220, sqlstate="HY000")


def _int_arg(node: exp.Expression, key: str) -> int | None:
    value = node.args.get(key)
    if value is None:
        return None
    try:
        return int(value.name)
    except ValueError:
        raise _show_error("Wrong offset or I/O error") from None


def _events(binlog: Any, node: exp.Show, session: StatementHost) -> list[list]:
    files = [name for name, _size in binlog.listing()]
    log = node.args.get("log")
    if log is None:
        name = files[0] if files else None
    else:
        name = _index_name(log.name)
    if name is None or name not in files:
        raise _show_error("Could not find target log")
    start = max(_int_arg(node, "position") or 0, len(fmt.MAGIC))
    offset = _int_arg(node, "offset") or 0
    limit = _int_arg(node, "limit")
    active, active_end, _gtids = binlog.status()
    end = active_end if name == active else None
    rows: list[list] = []
    damage: list[str] = []
    try:
        for ev, info in _with_info(event_list(os.path.join(binlog.directory, name), start, end,
                                              damage)):
            if limit is not None and len(rows) >= offset + limit:
                break
            rows.append([name, ev.pos, ev.name, SERVER_ID, ev.end, info])
        for why in damage:  # a damaged file must not look like one that simply ends there
            session.warn(1220, f"Error when executing command SHOW BINLOG EVENTS: the events "
                               f"of ./{name} stop at {why}; the rest of the file is not shown")
    except fmt.BinlogFormatError:
        raise _show_error("Binlog has bad magic number;  It's not a binary log file that "
                          "can be used by this version of MySQL") from None
    except FileNotFoundError:
        raise _show_error("Could not open log file") from None
    return rows[offset:]


def _index_name(text: str) -> str:
    """The file name as the index lists it (mysqld prefixes the binlog directory to what
    is given: 'binlog.000002' and './binlog.000002' name the same file, a path does not)."""
    head, base = os.path.split(text)
    return base if head in ("", ".") else text


def event_list(path: str, start: int = 0, end: int | None = None,
               damage: list[str] | None = None) -> Iterator[fmt.Event]:
    """The events of the binlog file at `path` from position `start` (which must be an
    event's position, else 1220 "Wrong offset") up to `end` (the active file's position:
    what is past it is being written).  Reading that stops early on damage tells `damage`
    why."""
    found = start <= len(fmt.MAGIC)
    tail = fmt.FileEnd()
    for ev in fmt.read_events(path, 0, tail):
        if end is not None and ev.pos >= end:
            return
        if ev.pos < start:
            continue
        if ev.pos == start:
            found = True
        if not found:
            raise _show_error("Wrong offset or I/O error")
        yield ev
    if not found and start < tail.pos:
        raise _show_error("Wrong offset or I/O error")
    if tail.problem and damage is not None and (end is None or tail.pos < end):
        damage.append(tail.problem)


def _with_info(events: Iterator[fmt.Event]) -> Iterator[tuple[fmt.Event, str]]:
    """Each event with its Info column; a rows event learns whether the next one ends its
    statement group (STMT_END_F), so each is held back by one event; a DDL statement shows
    its transaction's xid, from the Gtid event before it (MySQL 8's atomic DDL)."""
    held: fmt.Event | None = None
    xid = 0
    for ev in events:
        if held is not None:
            yield held, info(held, ev.kind not in _ROWS, xid)
        if ev.kind == EventType.GTID:
            xid = ev.fields[2] if len(ev.fields) > 2 else 0
        held = ev
    if held is not None:
        yield held, info(held, True, xid)


def info(ev: fmt.Event, last_rows: bool = True, xid: int = 0) -> str:
    """The Info column of SHOW BINLOG EVENTS, as mysqld's `pack_info` words it (`xid`: the
    transaction's, shown after a DDL statement)."""
    k, f = ev.kind, ev.fields
    try:
        if k == EventType.FORMAT_DESC:
            version = (f[0] or {}).get("server_version", fmt.SERVER_VERSION)
            return f"Server ver: {version}, Binlog ver: 4"
        if k == EventType.PREVIOUS_GTIDS:
            return str(f[0] or "")
        if k == EventType.GTID:
            return f"SET @@SESSION.GTID_NEXT= '{f[0]}:{f[1]}'"
        if k == EventType.QUERY:
            db, sql = f[0], f[1]
            if sql == "BEGIN":
                return sql
            text = f"use `{_tick(db)}`; {sql}" if db else str(sql)
            return f"{text} /* xid={xid} */" if xid else text
        if k == EventType.TABLE_MAP:
            return f"table_id: {f[0]} ({f[1]}.{f[2]})"
        if k in _ROWS:
            return f"table_id: {f[0]}" + (" flags: STMT_END_F" if last_rows else "")
        if k == EventType.XID:
            return f"COMMIT /* xid={f[0]} */"
        if k == EventType.ROTATE:
            return f"{f[0]};pos={len(fmt.MAGIC)}"
    except (IndexError, TypeError, AttributeError):
        return ""
    return ""


def _tick(name: str) -> str:
    return str(name).replace("`", "``")


# -- PURGE / FLUSH ------------------------------------------------------------------------------


def _purge(session: StatementHost, node: dialect.PurgeBinaryLogs) -> Result:
    to = node.args.get("to")
    purge_time = None if to is not None else _purge_time(session, node.args["before"])
    binlog = session.db.engine.binlog
    if binlog is None:  # mysqld: OK, nothing to purge
        return Result(rowcount=0)
    if to is not None:
        try:
            binlog.purge_to(_index_name(to.name))
        except KeyError:
            raise OperationalError("Target log not found in binlog index", errno=1373,
                                   sqlstate="HY000") from None
        return Result(rowcount=0)
    older = len(binlog.files) - 1
    purged = binlog.purge_before(purge_time)
    if len(purged) == older:  # every older file went: mysqld's loop reached the active one
        session.warn(1868, f"file ./{binlog.files[-1]} was not purged because it is the "
                           "active log file.")
    return Result(rowcount=0)


def _purge_time(session: StatementHost, before: exp.Expression) -> float:
    """``UNIX_TIMESTAMP(expr)`` as mysqld computes it for PURGE ... BEFORE: a value that is no
    datetime reads as 0 (nothing is older) with warning 1292."""
    value = session.constant(before)
    stamp = session.constant(exp.Anonymous(this="UNIX_TIMESTAMP", expressions=[before]))
    if stamp is None:
        if value is not None and not any(w[1] == 1292 for w in session.warnings):
            session.warn(1292, f"Incorrect datetime value: '{value}'")
        return 0.0
    return float(stamp)


def _flush(session: StatementHost) -> Result:
    """FLUSH [BINARY] LOGS: an implicit commit (as every FLUSH), then a new binlog file (the
    rotation also expires old files, binlog_expire_logs_seconds)."""
    commit = getattr(session, "implicit_commit", None)
    if commit is not None:
        commit()
    binlog = session.db.engine.binlog
    if binlog is not None:
        binlog.rotate()
    return Result(rowcount=0)
