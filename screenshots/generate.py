"""Regenerate every picture in screenshots/ from a real demo database.

    python screenshots/generate.py [--png]      (or: make screenshots)

Builds the demo shop in a scratch directory, crashes it as `kintsugi demo` does, then drives
the console headless with Textual's Pilot and saves one SVG per screen (and a PNG next to it
with --png, if cairosvg is installed).  Nothing here is mocked: the numbers on the pictures
are the demo's.  The forced-recovery picture is of a copy of the crashed demo whose log has
one byte flipped in its committed part, opened with --force-recovery 1 (only here: `make
demo` never damages anything).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "screenshots")
sys.path.insert(0, ROOT)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

DAMAGE_AT = 150_000  # bytes past the checkpoint: some of the writer's commits apply, the rest not

TOP_CUSTOMERS = """SELECT c.name, c.city, COUNT(*) AS orders, SUM(o.total) AS spent
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status <> 'cancelled'
GROUP BY c.name, c.city
ORDER BY spent DESC
LIMIT 20;"""


async def _settle(pilot) -> None:
    app = pilot.app
    while not (app.ready or app.open_error):
        await pilot.pause(0.02)
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause(0.1)


async def _wait_run(pilot) -> None:
    pane = pilot.app.pane("sql")
    await pilot.pause(0.05)
    while pane.run is not None:
        await pilot.pause(0.02)
    await _settle(pilot)


async def _run_sql(pilot, sql: str, key: str = "f5") -> None:
    pilot.app.pane("sql").editor.text = sql
    await pilot.pause()
    await pilot.press(key)
    await _wait_run(pilot)


def damage_log(path: str, past_checkpoint: int) -> None:
    """Flip one byte of the redo log `past_checkpoint` bytes after the checkpoint (inside a
    committed transaction's record): a normal open refuses, a forced one skips from there."""
    from core.log.control import ControlFile
    from core.log.segment import list_segments

    lsn = ControlFile(f"{path}/control").read().checkpoint_lsn + past_checkpoint
    seg = [s for s in list_segments(f"{path}/#redo", None) if s.start_lsn <= lsn][-1]
    with open(seg.path, "r+b") as f:
        f.seek(seg.file_offset(lsn))
        b = f.read(1)
        f.seek(seg.file_offset(lsn))
        f.write(bytes([b[0] ^ 0xFF]))


async def shoot(db: str, name: str, size: tuple[int, int], steps, *, tab: str = "sql",
                theme: str = "kintsugi", history: str, png: bool,
                **engine_options) -> None:
    from dataclasses import replace

    from tui.app import KintsugiApp
    from tui.backend import EmbeddedBackend
    from tui.config import load
    from tui.history import History

    backend = EmbeddedBackend(db, database="shop", **engine_options)
    settings = replace(load(), theme=theme, history_file=history)
    app = KintsugiApp(backend, settings, History(history).load(), initial_tab=tab,
                      blink=False)
    try:
        async with app.run_test(size=size) as pilot:
            await _settle(pilot)
            await steps(pilot)
            await pilot.pause(0.2)
            svg = os.path.join(OUT, f"{name}.svg")
            app.save_screenshot(svg)
    finally:
        backend.close()
    if png:
        try:
            import cairosvg
        except ImportError:
            print("(cairosvg is not installed: SVG only)")
        else:
            cairosvg.svg2png(url=svg, write_to=svg[:-4] + ".png", output_width=size[0] * 12)
    print(f"screenshots/{name}.svg")


async def main(png: bool) -> None:
    from tui import demo

    work = tempfile.mkdtemp(prefix="kintsugi-shots-")
    history = os.path.join(work, "history.jsonl")
    cwd = os.getcwd()
    os.chdir(work)  # the title bar shows the path as given: "demo-db"
    try:
        demo.build("demo-db")  # with an earlier crash: the recovery history has a row
        demo.run_crash("demo-db", ddl_jobs=True)  # as `kintsugi demo`: index builds too
        shutil.copytree("demo-db", "damaged-db")
        damage_log("damaged-db", DAMAGE_AT)
        wide, small = (120, 36), (80, 24)

        async def nothing(pilot) -> None:
            pass

        shutil.copytree("demo-db", "crashed-copy")  # the history picture recovers it again
        batches = {"apply_batch_ops": demo.APPLY_BATCH_OPS}  # as `kintsugi demo` reopens
        await shoot("demo-db", "recovery", wide, nothing, tab="recovery", history=history,
                    png=png, **batches)
        shutil.rmtree("demo-db")
        os.rename("crashed-copy", "demo-db")

        async def history_detail(pilot) -> None:  # this open's row, every column
            await pilot.press("h", "enter")
            await pilot.pause(0.2)

        await shoot("demo-db", "recovery-history", wide, history_detail, tab="recovery",
                    history=history, png=png, **batches)
        await shoot("damaged-db", "recovery-forced", wide, nothing, tab="recovery",
                    history=history, png=png, force_recovery=1, **batches)

        async def ddl_running(pilot) -> None:  # the throttled index build moving
            pane = pilot.app.pane("ddl")
            for _ in range(100):  # the crash's job finishes first, then the slow one runs
                job = next(iter(pane.board.unfinished()), None)
                if job is not None and job.state == "running" and job.rows_done and \
                        not job.crash_case:
                    break
                await pilot.pause(0.1)
            await pilot.pause(1.5)  # a rate and an ETA

        await shoot("demo-db", "ddl-jobs", wide, ddl_running, tab="ddl", history=history,
                    png=png)

        async def ddl_detail(pilot) -> None:  # the job the crash interrupted, every step
            await ddl_running(pilot)
            pane = pilot.app.pane("ddl")
            crashed = [j.job_id for j in pane.board.crashed() if j.job_type == "add index"
                       and j.state == "synced"]
            if crashed and crashed[0] in pane.shown:
                pane.query_one("#jobs").move_cursor(row=pane.shown.index(crashed[0]))
            await _settle(pilot)
            await pilot.press("enter")
            await _settle(pilot)

        await shoot("demo-db", "ddl-jobs-detail", wide, ddl_detail, tab="ddl",
                    history=history, png=png)

        async def ddl_recover(pilot) -> None:  # the demo's dropped table, inside the GC life time
            pane = pilot.app.pane("ddl")
            drop = next((j.job_id for j in pane.board.jobs if j.job_type == "drop table"
                         and j.table_name == demo.DROPPED[0][0]), None)
            if drop is not None and drop in pane.shown:
                pane.query_one("#jobs").move_cursor(row=pane.shown.index(drop))
            await _settle(pilot)

        await shoot("demo-db", "ddl-jobs-recover", wide, ddl_recover, tab="ddl",
                    history=history, png=png)

        async def ddl_recover_confirm(pilot) -> None:  # r: what comes back, before it runs
            await ddl_recover(pilot)
            await pilot.press("r")
            await pilot.pause(0.2)

        await shoot("demo-db", "ddl-jobs-recover-confirm", wide, ddl_recover_confirm,
                    tab="ddl", history=history, png=png)

        async def backups(pilot) -> None:  # the demo's backup, binlog, and its DROP TABLE
            pane = pilot.app.pane("backups")
            drop = next((i for i, t in enumerate(pane.rows)
                         if t.ddl == f"DROP TABLE {demo.DROPPED[0][0]}"), None)
            if drop is not None:
                pane.query_one("#timeline").move_cursor(row=drop)
            await _settle(pilot)

        await shoot("demo-db", "backups", wide, backups, tab="backups", history=history,
                    png=png)

        async def backups_confirm(pilot) -> None:  # r: from which backup, what is replayed
            await backups(pilot)
            await pilot.press("r")
            await pilot.pause(0.2)

        await shoot("demo-db", "backups-restore-confirm", wide, backups_confirm,
                    tab="backups", history=history, png=png)

        async def backups_restored(pilot) -> None:  # y: the restore runs, then "open it?"
            await backups_confirm(pilot)
            await pilot.press("y")
            pane = pilot.app.pane("backups")
            for _ in range(600):
                if not pane.work:
                    break
                await pilot.pause(0.1)
            await pilot.pause(0.2)

        await shoot("demo-db", "backups-restored", wide, backups_restored, tab="backups",
                    history=history, png=png)
        await shoot("demo-db", "backups-80x24", small, backups, tab="backups",
                    history=history, png=png)

        async def check_all(pilot) -> None:  # the demo's damaged indexes, found
            await pilot.press("a")
            await _settle(pilot)

        await shoot("demo-db", "indexes", wide, check_all, tab="indexes", history=history,
                    png=png)

        async def confirm_repair(pilot) -> None:
            await check_all(pilot)
            await pilot.press("f")
            await pilot.pause(0.2)

        await shoot("demo-db", "indexes-confirm", wide, confirm_repair, tab="indexes",
                    history=history, png=png)

        async def repaired(pilot) -> None:  # repairs the copy the pictures are taken of
            await confirm_repair(pilot)
            await pilot.press("y")
            await _settle(pilot)

        await shoot("demo-db", "indexes-repaired", wide, repaired, tab="indexes",
                    history=history, png=png)

        async def results(pilot) -> None:
            await _run_sql(pilot, TOP_CUSTOMERS)

        await shoot("demo-db", "sql-results", wide, results, history=history, png=png)

        async def large(pilot) -> None:
            await _run_sql(pilot, "SELECT * FROM order_items ORDER BY product_id, order_id")
            await pilot.press("f3")
            for _ in range(3):
                await pilot.press("pagedown")
            await pilot.pause(0.1)

        await shoot("demo-db", "sql-large-result", wide, large, history=history, png=png)

        async def error(pilot) -> None:
            await _run_sql(pilot, "SELECT COUNT(*) FROM orders;\n"
                                  "SELECT name, city FROM customer WHERE id = 42;", key="f6")

        await shoot("demo-db", "sql-error", wide, error, history=history, png=png)

        async def confirm(pilot) -> None:
            pilot.app.pane("sql").editor.text = "UPDATE products SET price = price * 1.10;"
            await pilot.press("f5")
            await pilot.pause(0.2)

        await shoot("demo-db", "confirm", wide, confirm, history=history, png=png)

        async def cell(pilot) -> None:
            await _run_sql(pilot, "SELECT id, sku, name, description FROM products")
            await pilot.press("f3", "right", "right", "right", "enter")
            await pilot.pause(0.2)

        await shoot("demo-db", "cell-detail", wide, cell, history=history, png=png)

        async def history_search(pilot) -> None:
            await pilot.press("ctrl+r")
            await pilot.pause(0.1)
            await pilot.press(*"orders")
            await pilot.pause(0.2)

        await shoot("demo-db", "history", wide, history_search, history=history, png=png)

        async def palette(pilot) -> None:
            await pilot.press("ctrl+p")
            await pilot.pause(0.2)
            await pilot.press(*"run")
            await pilot.pause(0.5)

        await shoot("demo-db", "palette", wide, palette, history=history, png=png)

        async def help_screen(pilot) -> None:
            await pilot.press("f1")
            await pilot.pause(0.2)

        await shoot("demo-db", "help", wide, help_screen, tab="indexes", history=history,
                    png=png)

        async def small_sql(pilot) -> None:
            await _run_sql(pilot, "SELECT id, sku, name, category, price, stock "
                                  "FROM products ORDER BY price DESC")

        await shoot("demo-db", "sql-80x24", small, small_sql, history=history, png=png)
        await shoot("demo-db", "sql-80x24-ansi", small, small_sql, theme="ansi-dark",
                    history=history, png=png)
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--png", action="store_true", help="also write PNGs (needs cairosvg)")
    asyncio.run(main(ap.parse_args().png))
