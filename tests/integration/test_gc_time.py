"""GC and the engine's time: a clock that jumps must not lose a fresh drop, and opening a
database (a short command such as `kintsugi dump` or `kintsugi check`) collects nothing."""

from __future__ import annotations

import os

import pytest

import core
from core.catalog import gcranges
from core.clock import ManualClock
from core.errors import Error

YEAR = 365 * 86400
PAST = gcranges.DEFAULT_LIFE_TIME + 60


def run(conn, *sqls):
    cur = conn.cursor()
    out = None
    for sql in sqls:
        cur.execute(sql)
        out = cur.fetchall() if cur.description is not None else cur.rowcount
    return out


def kdb_files(path: str) -> set[str]:
    return {f for f in os.listdir(os.path.join(path, "test")) if f.endswith(".kdb")}


@pytest.mark.parametrize("jump", [YEAR, -3600], ids=["forward-then-back", "back"])
def test_a_clock_jump_never_makes_a_fresh_drop_expired(tmp_path, jump):
    clock = ManualClock()
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True, clock=clock) as conn:
        run(conn, "CREATE TABLE t (a INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
        if jump > 0:
            clock.advance(jump)  # a round with the clock a year ahead...
        conn._db.gc.run_once()
        clock.advance(-jump if jump > 0 else jump)  # ...then the clock goes back (NTP)
        run(conn, "DROP TABLE t")
        assert run(conn, "SELECT STATE FROM information_schema.KINTSUGI_DROPPED_TABLES "
                         "WHERE TABLE_NAME = 't'") == [("recoverable",)]
        conn._db.gc.run_once()  # nothing is older than the safe point yet
        assert "t.kdb" in kdb_files(path)
        run(conn, "RECOVER TABLE t")
        assert run(conn, "SELECT COUNT(*) FROM t") == [(2,)]
        # the drop keeps its whole life time, counted from the last round's time
        run(conn, "DROP TABLE t")
        clock.advance(abs(jump) + PAST)  # until the clock passes that time + life time
        conn._db.gc.run_once()
        assert "t.kdb" not in kdb_files(path)
        with pytest.raises(Error) as err:
            run(conn, "RECOVER TABLE t")
        assert "GC safe point" in str(err.value)


def test_opening_collects_nothing(tmp_path):
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as conn:
        run(conn, "CREATE TABLE t (a INT PRIMARY KEY)", "INSERT INTO t VALUES (1)",
            "DROP TABLE t")
    # an hour later, a short command opens the database: the expired drop is still there
    later = ManualClock()
    later.advance(3600)
    with core.connect(path, autocommit=True, clock=later) as conn:
        assert "t.kdb" in kdb_files(path)
        assert run(conn, "SELECT STATE FROM information_schema.KINTSUGI_DROPPED_TABLES") == [
            ("recoverable",)]  # the stored safe point has not moved: no round ran
        run(conn, "RECOVER TABLE t")
        assert run(conn, "SELECT a FROM t") == [(1,)]
        run(conn, "DROP TABLE t")
        later.advance(PAST)
        conn._db.gc.run_once()  # the thread's round (here: by hand) collects it
        assert "t.kdb" not in kdb_files(path)
