"""`kintsugi info DIR` lists the tablespaces of dropped tables apart from the live ones, with
the job that dropped each and the time left before GC."""

from __future__ import annotations

import time

from click.testing import CliRunner

import core
from core.clock import ManualClock
from tui.cli import dropped_text, gc_text, main


def _make(path: str, ago: float, *, gc_off: bool = False) -> dict[str, int]:
    """A database whose drops happened `ago` seconds before now (the engine's clock runs
    behind the wall clock by that much; `kintsugi info` reads the wall clock)."""
    c = core.connect(path, create=True, autocommit=True,
                     clock=ManualClock(start=time.time() - ago))
    try:
        cur = c.cursor()
        cur.execute("CREATE DATABASE shop")
        cur.execute("USE shop")
        cur.execute("CREATE TABLE gone (a INT PRIMARY KEY, b INT, KEY (b))")
        cur.execute("INSERT INTO gone VALUES (1, 1), (2, 2)")
        cur.execute("CREATE TABLE emptied (a INT PRIMARY KEY)")
        cur.execute("INSERT INTO emptied VALUES (1)")
        cur.execute("CREATE TABLE rebuilt (a INT PRIMARY KEY, b INT)")
        cur.execute("CREATE TABLE kept (a INT PRIMARY KEY)")
        cur.execute("DROP TABLE gone")
        cur.execute("TRUNCATE TABLE emptied")
        cur.execute("ALTER TABLE rebuilt MODIFY b BIGINT")
        if gc_off:
            cur.execute("SET GLOBAL tidb_gc_enable = OFF")
        cur.execute("ADMIN SHOW DDL JOBS 20")
        return {r[3]: r[0] for r in cur.fetchall()}
    finally:
        c.close()


def _info(path: str) -> str:
    result = CliRunner().invoke(main, ["info", path])
    assert result.exit_code == 0, result.output
    return result.output


def _sections(out: str) -> tuple[list[str], list[str]]:
    live_part, _, rest = out.partition("Dropped tables awaiting GC")
    dropped_part = rest.split("\n\n")[0]
    live = [ln for ln in live_part.splitlines() if ".kdb" in ln]
    dropped = [ln for ln in dropped_part.splitlines() if ".kdb" in ln]
    return live, dropped


def test_info_lists_dropped_tables_apart_with_their_job_and_gc_time(tmp_path):
    path = str(tmp_path / "db")
    jobs = _make(path, ago=480)  # 8 minutes ago: GC in 2 minutes (life time 10m0s)
    out = _info(path)
    assert "Dropped tables awaiting GC (3;" in out
    live, dropped = _sections(out)
    by_file = {ln.split()[4]: ln for ln in dropped}
    assert by_file["shop/gone.kdb"].endswith(f"dropped by job {jobs['drop table']}, "
                                             "GC in 2 min")
    assert " shop.gone " in by_file["shop/gone.kdb"]
    assert by_file["shop/emptied.kdb"].endswith(
        f"truncated by job {jobs['truncate table']}, GC in 2 min")
    rebuilt = by_file["shop/rebuilt.kdb"]
    assert f"left by job {jobs['modify column']} (modify column), not recoverable, " \
           "GC in 2 min" in rebuilt
    # the live tables, and only they, in the main list
    live_names = [ln.split()[1] for ln in live]
    assert "shop.gone" not in live_names
    assert live_names.count("shop.emptied") == 1 and live_names.count("shop.rebuilt") == 1
    assert "shop.kept" in live_names
    assert not any("dropped" in ln or "GC" in ln for ln in live)


def test_info_says_gc_due_once_the_life_time_has_passed(tmp_path):
    path = str(tmp_path / "db")
    jobs = _make(path, ago=900)
    _live, dropped = _sections(_info(path))
    gone = next(ln for ln in dropped if "shop/gone.kdb" in ln)
    assert gone.endswith(f"dropped by job {jobs['drop table']}, GC due")


def test_info_says_gc_disabled(tmp_path):
    path = str(tmp_path / "db")
    _make(path, ago=60, gc_off=True)
    _live, dropped = _sections(_info(path))
    assert len(dropped) == 3 and all(ln.endswith("GC disabled") for ln in dropped)


def test_info_without_drops_has_no_dropped_section(tmp_path):
    path = str(tmp_path / "db")
    c = core.connect(path, create=True, autocommit=True)
    c.execute("CREATE TABLE t (a INT)")
    c.close()
    assert "Dropped tables" not in _info(path)


def test_gc_wording():
    assert gc_text(1000.0, 520.0) == "GC in 8 min"
    assert gc_text(1000.0, 955.0) == "GC in 45 s"
    assert gc_text(1000.0 + 7500, 1000.0) == "GC in 2 h 5 min"
    assert gc_text(1000.0, 1000.0) == "GC due"
    assert gc_text(5000.0, 1000.0, state="expired") == "GC due"
    assert gc_text(5000.0, 1000.0, enabled=False) == "GC disabled"
    assert dropped_text(12, "drop table", "GC in 8 min") == "dropped by job 12, GC in 8 min"
    assert dropped_text(3, "drop schema", "GC due") == \
        "dropped with its database by job 3, GC due"


def test_tables_are_listed_under_their_names_now(tmp_path):
    """A file's header keeps the name it was created under; RENAME TABLE and FLASHBACK ...
    TO change only the dictionary: `kintsugi info` (a closed or an open database) and
    `Connection.info()` name each tablespace as the dictionary does now."""
    path = str(tmp_path / "db")
    with core.connect(path, create=True, autocommit=True) as c:
        cur = c.cursor()
        for sql in ("CREATE TABLE t (a INT PRIMARY KEY)", "RENAME TABLE t TO t_renamed",
                    "CREATE TABLE c (a INT)", "TRUNCATE TABLE c", "FLASHBACK TABLE c TO c_old",
                    "DROP TABLE c_old"):
            cur.execute(sql)
        names = {ts.name: ts.drop_job_id for ts in c.info().tablespaces}
        assert "test.t_renamed" in names and "test.t" not in names
        assert names["test.c"] is None and names["test.c_old"] is not None
    out = CliRunner().invoke(main, ["info", path]).output
    live, _, dropped = out.partition("Dropped tables awaiting GC")
    assert "test.t_renamed" in live and "test.c " in live and "test.c_old" not in live
    assert "test.c_old" in dropped and "FLASHBACK DATABASE" in dropped
