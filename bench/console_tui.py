"""The console's speed: time to ready, and a big result (200,000 rows; 1M with --rows).

* **Ready**: `kintsugi DIR` on the demo database, from the moment the process is started
  until the database is open, every tab has loaded what it shows and that frame is drawn
  (the console runs headless and writes the time to a file, `--ready-file`).  Measured in
  the same run as the floor `python -c "import textual"` and, for information, as
  `python -c pass`.  Median of `--repeat` launches each, interleaved.  The demo database is
  opened after a clean shutdown and, separately, right after the demo's SIGKILL (crash
  recovery runs during the open).  The launches run with Python's bytecode cache on (as an
  installed copy has it: `PYTHONDONTWRITEBYTECODE` is dropped from their environment, and
  one untimed launch writes the cache first); without it every launch compiles the
  console's and the engine's sources again (~0.4 s).
* **Big result**: in one process, the console (headless, 160x48) runs `SELECT * FROM big`
  over a table of `--rows` rows (five columns: BIGINT, VARCHAR, INT, DECIMAL, DATETIME).
  First page = F5 pressed until the grid shows rows; all rows = until the result is
  complete.  Then page-down in the grid, `--pages` times, each timed until the frame after
  it is drawn.

Targets: ready within 0.5 s; the big result: first page within 2.5 s, page-down within
30 ms (median).

    python -m bench.console_tui [--rows 200000] [--repeat 5] [--pages 30] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

from bench.common import (
    REPO_DIR,
    dump_json,
    fmt_s,
    machine_info,
    machine_line,
    md_table,
    percentile,
    scratch_dir,
    verdict,
    write_results,
)

READY_TARGET = 0.5
FIRST_PAGE_TARGET = 2.5
PAGE_TARGET = 0.030  # the median page-down


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measured as installed: with compiled modules
    env["PYTHONPATH"] = REPO_DIR + os.pathsep + env.get("PYTHONPATH", "")
    env["KINTSUGI_HISTORY_FILE"] = os.devnull
    env["KINTSUGI_CONFIG"] = os.devnull + ".none"
    return env


def _wall(cmd: list[str]) -> float:
    t0 = time.time()
    subprocess.run(cmd, check=True, env=_env(), cwd=REPO_DIR)
    return time.time() - t0


def _ready(path: str) -> dict[str, float]:
    fd, ready = tempfile.mkstemp(prefix="ready-", suffix=".txt")
    os.close(fd)
    os.unlink(ready)
    try:
        t0 = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "tui.cli", "open", path, "-D", "shop", "--headless",
             "--ready-file", ready], env=_env(), cwd=REPO_DIR, capture_output=True, text=True,
            timeout=60)
        if proc.returncode != 0 or not os.path.exists(ready):
            raise RuntimeError(f"console did not get ready: {proc.stderr[-2000:]}")
        with open(ready) as f:
            marks = dict(line.split() for line in f if line.strip())
        return {k: float(v) - t0 for k, v in marks.items()}
    finally:
        if os.path.exists(ready):
            os.unlink(ready)


def bench_ready(path: str, repeat: int) -> dict:
    from tui import demo

    floor, bare, engine, usable, loaded, crashed = [], [], [], [], [], []
    open_only = (f"import core; core.connect({path!r}, database='shop', "
                 "autocommit=True).close()")
    _ready(path)  # untimed: writes the bytecode cache of every module a launch imports
    for _ in range(repeat):  # interleaved
        bare.append(_wall([sys.executable, "-c", "pass"]))
        floor.append(_wall([sys.executable, "-c", "import textual"]))
        engine.append(_wall([sys.executable, "-c", open_only]))
        marks = _ready(path)
        usable.append(marks["usable"])
        loaded.append(marks["loaded"])
    for _ in range(max(1, repeat // 2)):
        demo.run_crash(path)
        crashed.append(_ready(path)["usable"])
    return {"python": statistics.median(bare), "import_textual": statistics.median(floor),
            "engine_open": statistics.median(engine),
            "ready_clean": statistics.median(usable), "ready_clean_all": usable,
            "loaded_clean": statistics.median(loaded),
            "ready_after_crash": statistics.median(crashed)}


def build_big(path: str, rows: int) -> float:
    import core

    t0 = time.perf_counter()
    conn = core.connect(path, create=True, database="test", autocommit=False)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TABLE big (id BIGINT PRIMARY KEY, name VARCHAR(40), qty INT, "
                    "price DECIMAL(10,2), at DATETIME)")
        base = dt.datetime(2026, 1, 1)
        batch = 100_000
        for start in range(0, rows, batch):
            cur.executemany("INSERT INTO big VALUES (%s, %s, %s, %s, %s)", [
                (i, f"customer-{i:08d}", (i * 7919) % 1000, Decimal(i % 100_000) / 100,
                 base + dt.timedelta(seconds=i)) for i in range(start, min(rows, start + batch))])
            conn.commit()
    finally:
        conn.close()
    return time.perf_counter() - t0


async def _key_to_frame(app, key: str, changed, timeout: float = 60) -> float:
    """Seconds from `key` reaching the app to the end of the first frame drawn after
    `changed()` became true: what a user waits for (no Pilot pauses counted)."""
    from textual import events

    screen = app.screen
    frames: list[float] = []
    original = screen._compositor_refresh

    def refresh() -> None:
        original()
        frames.append(time.perf_counter())

    screen._compositor_refresh = refresh
    try:
        t0 = time.perf_counter()
        app.post_message(events.Key(key, None))
        seen_at = None
        while True:
            await asyncio.sleep(0.0005)
            if seen_at is None and changed():
                seen_at = time.perf_counter()
            if seen_at is not None and frames and frames[-1] >= seen_at:
                return frames[-1] - t0
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{key}: nothing changed on screen")
    finally:
        del screen._compositor_refresh


async def _grid_run(path: str, rows: int, pages: int) -> dict:
    from tui.app import KintsugiApp
    from tui.backend import EmbeddedBackend
    from tui.config import Settings
    from tui.widgets.grid import ResultsGrid

    backend = EmbeddedBackend(path, database="test")
    app = KintsugiApp(backend, Settings(max_rows=max(rows, 1_000_000)), initial_tab="sql",
                      blink=False)
    out: dict = {}
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            while not app.ready:
                await pilot.pause(0.01)
            await app.workers.wait_for_complete()
            pane = app.pane("sql")
            pane.editor.text = "SELECT * FROM big"
            await pilot.pause()
            pane.editor.focus()
            await pilot.pause()
            t0 = time.perf_counter()

            def grid_shown() -> bool:
                grid = app.query_one_optional(ResultsGrid)
                return grid is not None and grid.row_count > 0 and grid.is_mounted

            out["first_page"] = await _key_to_frame(app, "f5", grid_shown)
            out["first_page_rows"] = app.query_one(ResultsGrid).row_count
            while pane.run is not None:
                await asyncio.sleep(0.005)
            out["all_rows"] = time.perf_counter() - t0
            await pilot.pause()
            grid = app.query_one(ResultsGrid)
            out["rows_shown"] = grid.row_count
            grid.focus()
            await pilot.pause()
            times = []
            for _ in range(pages):
                before = grid.cursor_coordinate
                times.append(await _key_to_frame(
                    app, "pagedown", lambda b=before: grid.cursor_coordinate != b))
            before = grid.cursor_coordinate
            out["to_last_row"] = await _key_to_frame(
                app, "ctrl+end", lambda: grid.cursor_coordinate != before)
            out["last_row"] = grid.cursor_row
            times.sort()
            out["page_median"] = statistics.median(times)
            out["page_p95"] = percentile(times, 95)
            out["page_max"] = times[-1]
    finally:
        backend.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m bench.console_tui", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000,
                    help="rows of the big result (1000000 for the 1M-row case)")
    ap.add_argument("--repeat", type=int, default=5, help="launches per startup case")
    ap.add_argument("--pages", type=int, default=30, help="page-down presses to time")
    ap.add_argument("--keep", action="store_true", help="keep the scratch databases")
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    ap.add_argument("--json", help="write a summary here (for run_all)")
    args = ap.parse_args(argv)
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    info = machine_info()
    print(f"machine: {machine_line(info)}")
    from tui import demo

    with scratch_dir("console", keep=args.keep) as root:
        shop = os.path.join(root, "shop")
        t0 = time.perf_counter()
        demo.build(shop)
        print(f"demo database built in {time.perf_counter() - t0:.1f} s")
        ready = bench_ready(shop, args.repeat)
        print(f"ready: {ready}")
        big = os.path.join(root, "big")
        load = build_big(big, args.rows)
        print(f"{args.rows:,}-row table loaded in {load:.1f} s")
        grid = asyncio.run(_grid_run(big, args.rows, args.pages))
        print(f"grid: {grid}")

    ready_ok = ready["ready_clean"] <= READY_TARGET
    first_ok = grid["first_page"] <= FIRST_PAGE_TARGET
    page_ok = grid["page_median"] <= PAGE_TARGET
    text = "\n".join([
        f"### Console: time to ready, and a {args.rows:,}-row result "
        "(`python -m bench.console_tui`)",
        "",
        f"Startup: median of {args.repeat} launches of `kintsugi DIR` (headless) on the demo "
        "shop (50,000 orders after a clean shutdown), from process start until the database "
        "is open and drawn with the SQL editor taking keys (the other tabs are built and "
        "filled just after: the next row); each launch interleaved with the floor, "
        "`python -c \"import textual\"`.",
        "",
        md_table(["case", "median", "target", "verdict"], [
            ["python -c pass", fmt_s(ready["python"]), "", ""],
            ["python -c \"import textual\" (floor)", fmt_s(ready["import_textual"]), "", ""],
            ["for reference: a process that only imports the engine, opens the demo "
             "database and closes it", fmt_s(ready["engine_open"]), "", ""],
            ["console ready: database open, drawn, the editor takes keys",
             fmt_s(ready["ready_clean"]), f"<= {READY_TARGET * 1000:.0f} ms",
             verdict(ready_ok)],
            ["... and every tab's data loaded and drawn", fmt_s(ready["loaded_clean"]), "", ""],
            ["console ready right after the demo's SIGKILL (recovery runs during the open)",
             fmt_s(ready["ready_after_crash"]), "", ""],
        ]),
        "",
        f"Ready minus the floor: {fmt_s(ready['ready_clean'] - ready['import_textual'])}. "
        "The engine opens in a thread while the screens load, but both are Python and share "
        "the GIL, so their costs add up rather than overlap: the start-up is kept short by "
        "doing less (only the shown tab is built before the first frame, the others right "
        "after it; the directory check does not import the SQL layer; the garbage collector "
        "waits until the first frame; the editor's highlight query compiles in a thread, "
        "outside the GIL).",
        "",
        f"Big result: `SELECT * FROM big`, {args.rows:,} rows x 5 columns (BIGINT, "
        "VARCHAR, INT, DECIMAL, DATETIME), console headless at 160x48; table loaded in "
        f"{load:.1f} s (not timed).",
        "",
        md_table(["measure", "value", "target", "verdict"], [
            ["first page shown (F5 to rows on screen)", fmt_s(grid["first_page"]),
             f"<= {FIRST_PAGE_TARGET:.1f} s", verdict(first_ok)],
            ["all rows in the grid", fmt_s(grid["all_rows"]), "", ""],
            ["rows in the grid", f"{grid['rows_shown']:,}", "", ""],
            [f"page-down, median of {args.pages}", fmt_s(grid["page_median"]),
             f"<= {PAGE_TARGET * 1000:.0f} ms", verdict(page_ok)],
            [f"page-down, p95 of {args.pages}", fmt_s(grid["page_p95"]), "", ""],
            ["page-down, slowest", fmt_s(grid["page_max"]), "", ""],
            ["Ctrl+End to the last row", fmt_s(grid["to_last_row"]), "", ""],
        ]),
    ])
    print(text)
    if not args.no_write:
        write_results("console_tui", text, info)
    summary = {"ready": ready, "grid": grid, "targets_met": [ready_ok, first_ok, page_ok]}
    dump_json(args.json, summary)
    return summary


if __name__ == "__main__":
    main()
