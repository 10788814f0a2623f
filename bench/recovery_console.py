"""Does watching a recovery in the console slow it down?

`bench.recovery_apply`'s builder leaves N committed row operations only in the redo log (the
writer had no flusher and was SIGKILLed).  On identical copies, interleaved:

* `kintsugi recover DIR`, which prints every recovery event;
* `kintsugi DIR --headless --ready-file F` (the console, headless as in
  `bench.console_tui`), which starts its screens while the engine recovers in a child
  process (`core.recovery_child`) and shows every recovery event live, until it has drawn
  the recovered database (the ``usable`` mark it writes to F).

The measure is the recovery's own duration in each process, as the engine logs it in
``DIR/kintsugi.err`` ("Recovery finished in X s"): what the watching costs the recovery.
For information, the wall times (start to exit; start to the database drawn) are reported
too: they add the console's own start-up, which runs beside the recovery, and the machine's
load average (the console's drawing needs the second core: a busy machine raises the ratio).

Target: console / recover <= 1.10 (recovery durations, median of `--repeat` runs each).

    python -m bench.recovery_console [--records 1000000] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from bench.common import REPO_DIR, fmt_s, md_table, median, scratch_dir, verdict
from bench.console_tui import _env
from bench.recovery_apply import build_crashed, copy_db, publish

TARGET = 1.10


def _recovery_seconds(path: str) -> float:
    """The last "Recovery finished in X s" the engine wrote to the error log."""
    with open(os.path.join(path, "kintsugi.err")) as f:
        found = re.findall(r"Recovery finished in ([0-9.]+) s", f.read())
    if not found:
        raise RuntimeError(f"no 'Recovery finished' line in {path}/kintsugi.err")
    return float(found[-1])


def time_recover(path: str) -> tuple[float, float]:
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "tui.cli", "recover", path], cwd=REPO_DIR,
                          env=_env(), capture_output=True, text=True, timeout=600)
    secs = time.time() - t0
    if proc.returncode != 0 or "Recovery finished" not in proc.stdout:
        raise RuntimeError(f"kintsugi recover failed: {proc.stdout[-1000:]}{proc.stderr[-2000:]}")
    return secs, _recovery_seconds(path)


def time_console(path: str) -> tuple[float, float]:
    fd, ready = tempfile.mkstemp(prefix="ready-", suffix=".txt")
    os.close(fd)
    os.unlink(ready)
    try:
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-m", "tui.cli", "open", path, "--headless",
                               "--ready-file", ready], cwd=REPO_DIR, env=_env(),
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not os.path.exists(ready):
            raise RuntimeError(f"the console did not get ready: {proc.stderr[-2000:]}")
        with open(ready) as f:
            marks = dict(line.split() for line in f if line.strip())
        return float(marks["usable"]) - t0, _recovery_seconds(path)
    finally:
        if os.path.exists(ready):
            os.unlink(ready)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recovery_console",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000, help="row operations (1M)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (3)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rec, con = [], []
    load_start = os.getloadavg()[0]
    with scratch_dir("recovery_console", keep=args.keep) as d:
        src = os.path.join(d, "crashed")
        build_crashed(src, args.records)
        for r in range(args.repeat):
            for name, fn, out in (("recover", time_recover, rec),
                                  ("console", time_console, con)):
                work = copy_db(src, os.path.join(d, f"{name}{r}"))
                out.append(fn(work))
                shutil.rmtree(work)
                print(f"run {r}: {name} recovery {fmt_s(out[-1][1])}, wall "
                      f"{fmt_s(out[-1][0])}", flush=True)
    load_end = os.getloadavg()[0]
    t_rec, t_con = median([x[1] for x in rec]), median([x[1] for x in con])
    w_rec, w_con = median([x[0] for x in rec]), median([x[0] for x in con])
    ratio = t_con / t_rec
    ok = ratio <= TARGET
    rows = [["`kintsugi recover DIR`", fmt_s(t_rec), ", ".join(fmt_s(x[1]) for x in rec),
             f"{fmt_s(w_rec)} (start to exit)"],
            ["`kintsugi DIR --headless` (console)", fmt_s(t_con),
             ", ".join(fmt_s(x[1]) for x in con), f"{fmt_s(w_con)} (start to database drawn)"]]
    text = (
        f"### The console watching a recovery (`python -m bench.recovery_console --records "
        f"{args.records}`)\n\n"
        f"{args.records:,} committed row operations only in the redo log; each run on its own "
        f"copy, interleaved; median of {args.repeat}.\n\n"
        + md_table(["process", "recovery (median)", "recovery, all runs", "wall (median)"],
                   rows)
        + f"\n\n- recovery under the console / under `kintsugi recover` = **{ratio:.2f}x** "
        f"(target <= {TARGET}x): **{verdict(ok)}**\n"
        f"- for information, wall time console / recover = {w_con / w_rec:.2f}x (the "
        "console's start-up included)\n"
        f"- machine load (1-minute average) at the start / end: {load_start:.2f} / "
        f"{load_end:.2f} on {os.cpu_count()} CPUs.  The console recovers in a child process "
        "(its own core and interpreter lock) and draws beside it; other work on the machine "
        "takes that second core, and the ratio rises with it\n")
    publish("recovery_console", text, args, [
        {"name": f"console watching a {args.records:,}-record recovery vs kintsugi recover",
         "target": f"<= {TARGET}x", "ratio": ratio, "met": ok}])
    return 0


if __name__ == "__main__":
    sys.exit(main())
