"""The demo database: a small shop, and a crash to recover from.

`kintsugi demo` builds it (if the directory is new), then starts a child process that keeps
committing orders and kills it with SIGKILL mid-stream, so that opening the database shows a
real crash recovery: the log scan, the re-applied batches and the rolled-back transaction.
Until the console lands, this is how a new user sees what the engine is for.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal

from core.codec import encode_row, index_key, row_key
from core.storage.engine import Engine

CUSTOMERS = 2_000
ORDERS = 20_000
FIRST = ["Aiko", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas",
         "Kenji", "Lucia", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tala"]
LAST = ["Abe", "Bauer", "Costa", "Diallo", "Eriksen", "Fujita", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Sato"]
CITIES = ["Kyoto", "Lisbon", "Lagos", "Oslo", "Lima", "Seoul", "Austin", "Porto", "Cairo"]
PRODUCTS = ["tea bowl", "lacquer tray", "gold leaf kit", "brush set", "kiln gloves",
            "urushi jar", "repair kit", "glaze sampler", "display stand", "gift box"]


def table_ids(engine: Engine) -> dict[str, int]:
    return {ts.header.get("table"): sid for sid, ts in engine.spaces.items() if sid}


def build(engine: Engine, seed: int = 42) -> dict[str, int]:
    """Create shop.customers and shop.orders (with an index on orders.customer_id)."""
    rng = random.Random(seed)
    with engine.begin() as txn:
        cust = txn.create_space("shop", "customers")
        orders = txn.create_space("shop", "orders")
    with engine.begin() as txn:
        for i in range(1, CUSTOMERS + 1):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            since = dt.date(2020, 1, 1) + dt.timedelta(rng.randrange(2000))
            txn.put(cust, row_key(cust, i), encode_row([i, name, rng.choice(CITIES), since]))
    base = dt.datetime(2026, 1, 1)
    with engine.begin() as txn:
        for i in range(1, ORDERS + 1):
            add_order(txn, orders, i, rng, base)
    engine.flush()
    return {"customers": cust, "orders": orders}


def add_order(txn, orders: int, i: int, rng: random.Random, base: dt.datetime) -> None:
    customer = rng.randrange(1, CUSTOMERS + 1)
    price = Decimal(rng.randrange(500, 50_000)) / 100
    txn.put(orders, row_key(orders, i), encode_row(
        [i, customer, rng.choice(PRODUCTS), rng.randint(1, 5), price,
         base + dt.timedelta(minutes=i)]))
    txn.put(orders, index_key(orders, 1, [customer], i), b"")


def crash_child(path: str) -> None:
    """Commit orders forever in batches; one big transaction stays open.  The parent kills us."""
    engine = Engine.open(path, flush_interval=0.2, spill_limit=256 * 1024)
    orders = table_ids(engine)["orders"]
    with engine.snapshot() as snap:
        last = next(snap.scan(orders, row_key(orders, 0), row_key(orders, 1 << 62),
                              reverse=True), None)
    n = (int.from_bytes(last[0][-8:], "big") ^ (1 << 63)) + 1 if last else 1
    rng = random.Random(n)
    base = dt.datetime(2026, 1, 1)
    for _batch in range(40):
        with engine.begin() as txn:
            for _ in range(250):
                add_order(txn, orders, n, rng, base)
                n += 1
    print("COMMITTED", n - 1, flush=True)
    txn = engine.begin()  # open when the kill comes: recovery must roll it back
    for _ in range(3000):
        add_order(txn, orders, n, rng, base)
        n += 1
    print("READY", flush=True)
    time.sleep(60)


def run_crash(path: str) -> int:
    """Start the child, wait until it has committed and holds an open transaction, kill it."""
    proc = subprocess.Popen([sys.executable, "-m", "tui.demo", path], stdout=subprocess.PIPE,
                            text=True)
    committed = 0
    for line in proc.stdout:
        if line.startswith("COMMITTED"):
            committed = int(line.split()[1])
        if line.startswith("READY"):
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return committed


if __name__ == "__main__":
    crash_child(sys.argv[1])
