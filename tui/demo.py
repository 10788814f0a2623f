"""The demo database: a small shop, and a crash to recover from.

`kintsugi demo` builds it with SQL (if the directory is new): `shop.customers`,
`shop.products`, `shop.orders` and `shop.order_items`, tens of thousands of rows with
primary keys, unique keys and secondary indexes.  Then it starts a child process that
commits orders and is killed with SIGKILL while a large transaction is still open, so that
opening the database shows a real crash recovery: the log scan, the re-applied batches and
the rolled-back transaction.  The console's Recovery tab shows it live.

`build` also crashes the new database once, small, and reopens it (`earlier_crash`), so that
the recovery history (information_schema.RECOVERY_HISTORY, the Recovery tab's list) already
has a row when the console opens on the demo's main crash.

And it damages three indexes on purpose with `core.faults` (`damage_indexes`), durably, as a
lost page or a bug would: the Indexes tab has something to find and repair.  `order_items`
is left consistent.

Schema changes run as jobs, and the DDL Jobs tab has one in every interesting state: `build`
leaves a unique index that met a duplicate (rolled back, ERROR 1062), one cancelled 40%
through its backfill and one paused (`finished_jobs`, `paused_job`); the crash child, with
`ddl_jobs=True`, has an index build mid-backfill when it is killed (recovery names the case
and the job finishes by itself at full speed after the reopen) and queues a second one
throttled to run for minutes, so that the tab moves when the console opens.

And it drops a table and truncates another (`dropped_tables`), with `tidb_gc_life_time` set
to an hour first (persisted): GC keeps their data for that long, so the DDL Jobs tab has a
drop and a truncate to bring back (RECOVER TABLE, FLASHBACK TABLE ... TO) while the user
explores.  A later `kintsugi demo` on the same directory drops `reviews` again when the
previous one was brought back or collected (`fresh_drop`).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal

import core

CUSTOMERS = 5_000
PRODUCTS = 300
ORDERS = 50_000
SCHEMA = "shop"

FIRST = ["Aiko", "Bruno", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hana", "Ines", "Jonas",
         "Kenji", "Lucia", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tala",
         "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zofia"]
LAST = ["Abe", "Bauer", "Costa", "Diallo", "Eriksen", "Fujita", "Garcia", "Haddad", "Ito",
        "Jensen", "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Sato",
        "Tanaka", "Umarov", "Varga", "Weber", "Yilmaz", "Zhang"]
CITIES = [("Kyoto", "JP"), ("Osaka", "JP"), ("Lisbon", "PT"), ("Porto", "PT"), ("Lagos", "NG"),
          ("Oslo", "NO"), ("Lima", "PE"), ("Seoul", "KR"), ("Austin", "US"), ("Boston", "US"),
          ("Cairo", "EG"), ("Lyon", "FR"), ("Turin", "IT"), ("Krakow", "PL"), ("Izmir", "TR")]
CATEGORIES = {
    "Ceramics": ["tea bowl", "sake cup", "serving plate", "vase", "incense holder"],
    "Lacquer": ["urushi jar", "lacquer tray", "bento box", "soup bowl"],
    "Repair kits": ["gold leaf kit", "silver repair kit", "beginner kintsugi kit",
                    "urushi repair set"],
    "Tools": ["brush set", "spatula set", "kiln gloves", "polishing stones", "bamboo stylus"],
    "Books": ["guide to kintsugi", "history of urushi", "glaze recipes"],
}
FINISHES = ["gold", "silver", "copper", "black", "red", "natural", "platinum"]
STATUSES = [("delivered", 70), ("shipped", 12), ("paid", 8), ("new", 5), ("cancelled", 5)]

DDL = [
    f"CREATE DATABASE {SCHEMA}",
    f"USE {SCHEMA}",
    """CREATE TABLE customers (
        id INT PRIMARY KEY AUTO_INCREMENT,
        name VARCHAR(80) NOT NULL,
        email VARCHAR(120) NOT NULL,
        city VARCHAR(40),
        country CHAR(2),
        created_at DATETIME NOT NULL,
        UNIQUE KEY uk_email (email),
        KEY idx_city (city)
    )""",
    """CREATE TABLE products (
        id INT PRIMARY KEY,
        sku VARCHAR(20) NOT NULL,
        name VARCHAR(100) NOT NULL,
        category VARCHAR(30) NOT NULL,
        price DECIMAL(10,2) NOT NULL,
        stock INT NOT NULL,
        description TEXT,
        UNIQUE KEY uk_sku (sku),
        KEY idx_category (category)
    )""",
    """CREATE TABLE orders (
        id BIGINT PRIMARY KEY,
        customer_id INT NOT NULL,
        status VARCHAR(12) NOT NULL,
        ordered_at DATETIME NOT NULL,
        total DECIMAL(12,2) NOT NULL,
        KEY idx_customer (customer_id),
        KEY idx_status_date (status, ordered_at)
    )""",
    """CREATE TABLE order_items (
        order_id BIGINT NOT NULL,
        line INT NOT NULL,
        product_id INT NOT NULL,
        qty INT NOT NULL,
        unit_price DECIMAL(10,2) NOT NULL,
        PRIMARY KEY (order_id, line),
        KEY idx_product (product_id)
    )""",
]

BASE = dt.datetime(2025, 1, 1, 8, 0, 0)

GC_LIFE_TIME = "1h"  # the demo's: long enough to explore before GC takes the dropped table
REVIEWS = 2_000  # rows of the dropped table at scale 1
CARTS = 300  # rows of the truncated one
DROPPED = (  # (table, its CREATE TABLE, what happens to it)
    ("reviews", """CREATE TABLE reviews (
        id INT PRIMARY KEY AUTO_INCREMENT,
        product_id INT NOT NULL,
        customer_id INT NOT NULL,
        stars TINYINT NOT NULL,
        body VARCHAR(200),
        reviewed_at DATETIME NOT NULL,
        KEY idx_product (product_id),
        KEY idx_stars (stars)
    )""", "drop table"),
    ("carts", """CREATE TABLE carts (
        customer_id INT PRIMARY KEY,
        items INT NOT NULL,
        updated_at DATETIME NOT NULL,
        KEY idx_updated (updated_at)
    )""", "truncate table"),
)
REVIEW_WORDS = ["Beautiful seams.", "Arrived well wrapped.", "Smaller than expected.",
                "The gold catches the light.", "A perfect gift.", "Kit was easy to follow.",
                "Glaze colour as pictured.", "Took two weeks to cure, worth it."]

APPLY_BATCH_OPS = 2_000  # the demo reopens with small redo apply batches: see `kintsugi demo`


def _product_rows(rng: random.Random, n: int) -> list[tuple]:
    rows = []
    names = [(cat, item) for cat, items in CATEGORIES.items() for item in items]
    for i in range(1, n + 1):
        cat, item = names[(i - 1) % len(names)]
        finish = FINISHES[(i * 3 + i // 7) % len(FINISHES)]
        name = f"{finish.capitalize()} {item}"
        price = Decimal(rng.randrange(800, 42_000)) / 100
        desc = (f"{name}, hand-finished in small batches.\n"
                f"Category: {cat}. Finish: {finish}. "
                + " ".join(rng.choice([
                    "Each piece is unique; the seams follow the original cracks.",
                    "Food safe once cured for two weeks.",
                    "Ships wrapped in washi paper with a care card.",
                    "Made with natural urushi lacquer and real metal powder.",
                    "Suitable for beginners; instructions included.",
                    "Wipe with a soft cloth; no dishwasher.",
                ]) for _ in range(rng.randint(2, 5))))
        rows.append((i, f"KT-{i:04d}", name, cat, price, rng.randint(0, 500), desc))
    return rows


def _customer_rows(rng: random.Random, n: int) -> list[tuple]:
    rows = []
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country = rng.choice(CITIES)
        created = BASE - dt.timedelta(days=rng.randrange(1500), minutes=rng.randrange(1440))
        rows.append((i, f"{first} {last}", f"{first}.{last}.{i}@example.com".lower(), city,
                     country, created))
    return rows


def _weighted_status(rng: random.Random) -> str:
    r = rng.randrange(100)
    for status, weight in STATUSES:
        if r < weight:
            return status
        r -= weight
    return "delivered"


def order_rows(rng: random.Random, first_id: int, n: int, prices: dict[int, Decimal],
               customers: int) -> tuple[list[tuple], list[tuple]]:
    """`n` orders from `first_id` and their items: (orders, order_items)."""
    orders, items = [], []
    product_ids = list(prices)
    for oid in range(first_id, first_id + n):
        total = Decimal("0.00")
        for line in range(1, rng.choice((1, 1, 2, 2, 3, 4)) + 1):
            pid = rng.choice(product_ids)
            qty = rng.choice((1, 1, 1, 2, 3))
            price = prices[pid]
            total += price * qty
            items.append((oid, line, pid, qty, price))
        when = BASE + dt.timedelta(minutes=oid * 13 + rng.randrange(13))
        orders.append((oid, rng.randrange(1, customers + 1), _weighted_status(rng), when, total))
    return orders, items


def _insert(cur, table: str, rows: list[tuple], batch: int = 5_000) -> None:
    marks = ", ".join(["%s"] * len(rows[0]))
    sql = f"INSERT INTO {table} VALUES ({marks})"
    for i in range(0, len(rows), batch):
        cur.executemany(sql, rows[i:i + batch])


def build(path: str, *, scale: float = 1.0, seed: int = 42,
          say: Callable[[str], None] = lambda s: None, earlier_crash: bool = True,
          damaged_indexes: bool = True, ddl_jobs: bool = True, dropped: bool = True,
          backup: bool = True, **engine_options) -> dict[str, int]:
    """Create the shop schema in a new database at `path` and fill it.  Returns row counts.

    `damaged_indexes`: then make three indexes disagree with their rows (`damage_indexes`);
    `earlier_crash`: then crash a small writer and reopen (see `earlier_recovery`);
    `ddl_jobs`: leave a failed, a cancelled and a paused DDL job (`finished_jobs`,
    `paused_job`); `dropped`: a dropped and a truncated table inside the GC life time
    (`dropped_tables`); `backup`: a backup taken before them, with normal work around the
    drop (`backup_and_work`), for the Backups tab to restore to just before it."""
    rng = random.Random(seed)
    n_cust = max(10, int(CUSTOMERS * scale))
    n_prod = max(10, int(PRODUCTS * min(1.0, scale * 4)))
    n_orders = max(20, int(ORDERS * scale))
    conn = core.connect(path, create=True, autocommit=True, **engine_options)
    try:
        cur = conn.cursor()
        for stmt in DDL:
            cur.execute(stmt)
        conn.autocommit = False
        counts = {}
        t0 = time.perf_counter()
        products = _product_rows(rng, n_prod)
        _insert(cur, "products", products)
        customers = _customer_rows(rng, n_cust)
        _insert(cur, "customers", customers)
        conn.commit()
        prices = {p[0]: p[4] for p in products}
        orders, items = order_rows(rng, 1, n_orders, prices, n_cust)
        _insert(cur, "orders", orders)
        _insert(cur, "order_items", items)
        conn.commit()
        counts = {"customers": n_cust, "products": n_prod, "orders": n_orders,
                  "order_items": len(items)}
        say(f"  {', '.join(f'{k} {v:,}' for k, v in counts.items())} rows "
            f"in {time.perf_counter() - t0:.1f} s")
        if backup:
            say(f"  {backup_and_work(conn, path, rng, prices, n_cust)}")
        jobs = finished_jobs(conn) if ddl_jobs else []
        if dropped:
            jobs.extend(dropped_tables(conn, scale, n_cust, n_prod))
        if backup:
            normal_work(conn, rng, prices, n_cust, 3)  # after the mistakes: left out
    finally:
        conn.close()
    if damaged_indexes:
        done = damage_indexes(path, **engine_options)
        say(f"  indexes damaged on purpose (core.faults): {'; '.join(done)}")

    def pause(conn) -> None:  # after the earlier crash: its reopen would name the job's case
        if ddl_jobs:
            jobs.append(paused_job(conn))

    if earlier_crash:
        earlier_recovery(path, then=pause, **engine_options)
        say("  an earlier crash, recovered (the first row of the recovery history)")
    elif ddl_jobs:
        conn = core.connect(path, database=SCHEMA, autocommit=True, **engine_options)
        try:
            pause(conn)
        finally:
            conn.close()
    if jobs:
        say(f"  DDL jobs: {'; '.join(jobs)}")
    return counts


DDL_JOBS = (  # (table, statement, what happens to it): `build`'s, for the tests
    ("customers", "ALTER TABLE customers ADD UNIQUE INDEX uk_city (city)", "rollback done"),
    ("customers", "ALTER TABLE customers ADD INDEX idx_name (name)", "cancelled"),
    ("products", "ALTER TABLE products ADD INDEX idx_price (price)", "paused"),
)
# the crash child's: one interrupted mid-backfill, one throttled to run for minutes after
CRASH_JOBS = ("ALTER TABLE orders ADD INDEX idx_total (total)",
              "ALTER TABLE order_items ADD INDEX idx_qty (qty)")
SLOW_BATCH, SLOW_DELAY_MS = 64, 250  # the second: ~7 minutes for the full-size demo


def _wait_job(conn, job_id: int, until: Callable[[dict], bool], timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = conn.ddl_job(job_id)
        if job is None or until(job) or time.monotonic() > deadline:
            return job or {}
        time.sleep(0.005)


def _rows(cur, table: str) -> int:
    cur.execute(f"SELECT COUNT(*) FROM {table}")
    return int(cur.fetchone()[0])


def finished_jobs(conn) -> list[str]:
    """Two jobs in the history: a unique index that meets a duplicate city (it rolls back,
    ERROR 1062) and an index cancelled 40% through its backfill.  What was done, in words."""
    from core.errors import Error

    conn.autocommit = True
    cur = conn.cursor()
    (_t, failing, _s), (_t, cancelled, _s), _paused = DDL_JOBS
    done = []
    try:
        cur.execute(f"USE {SCHEMA}")
        cur.execute(failing)
    except Error as err:
        done.append(f"uk_city rolled back ({err.errno})")
    # batches of a twentieth of the table: a small demo gets its states too
    batch = max(4, min(256, _rows(cur, "customers") // 20))
    job = conn.submit_ddl(cancelled, batch_size=batch, delay_ms=5)
    part = _wait_job(conn, job, lambda j: (j["ROWS_TOTAL"] or 0) > 0
                     and (j["ROWS_DONE"] or 0) * 5 >= j["ROWS_TOTAL"] * 2)
    cur.execute(f"ADMIN CANCEL DDL JOBS {job}")
    try:
        conn.wait_ddl(job, 30)
    except Error:
        pass
    done.append(f"idx_name cancelled at {part.get('ROWS_DONE', 0):,} rows")
    return done


def paused_job(conn) -> str:
    """An index build paused after its first batch, on `products`, which nothing else alters
    (a paused job holds up the other schema changes of its table)."""
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"USE {SCHEMA}")
    batch = max(4, min(64, _rows(cur, "products") // 5))
    job = conn.submit_ddl(DDL_JOBS[2][1], batch_size=batch, delay_ms=10)
    _wait_job(conn, job, lambda j: (j["ROWS_DONE"] or 0) > 0)
    cur.execute(f"ADMIN PAUSE DDL JOBS {job}")
    got = _wait_job(conn, job, lambda j: j["STATE"] == "paused")
    return f"idx_price paused at {got.get('ROWS_DONE', 0):,} rows"

WORK_TRANSACTIONS = 8  # the normal work between the backup and the demo's drop


def normal_work(conn, rng: random.Random, prices: dict[int, Decimal], customers: int,
                n: int = WORK_TRANSACTIONS) -> int:
    """`n` small transactions as a shop makes them: new orders with their items, a status
    change, a stock correction.  Returns the last order id."""
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute(f"USE {SCHEMA}")
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM orders")
    next_id = cur.fetchone()[0] + 1
    for i in range(n):
        orders, items = order_rows(rng, next_id, 3, prices, customers)
        _insert(cur, "orders", orders)
        _insert(cur, "order_items", items)
        if i % 3 == 1:
            cur.execute("UPDATE orders SET status = 'shipped' WHERE status = 'paid' "
                        f"AND id <= {rng.randrange(20, next_id)} ORDER BY id LIMIT 2")
        if i % 3 == 2:
            cur.execute(f"UPDATE products SET stock = stock - 1 WHERE id = "
                        f"{rng.choice(list(prices))}")
        conn.commit()
        next_id += 3
    conn.autocommit = True
    return next_id - 1


def backup_and_work(conn, path: str, rng: random.Random, prices: dict[int, Decimal],
                    customers: int) -> str:
    """A hot backup of the shop beside it (`<path>-backups/<time>`, as the Backups tab's
    `b` names them), then a stretch of normal work: the drop and the truncate that follow
    are after the backup, so the Backups tab restores to just before either.  What was
    done, in words."""
    from core.errors import Error
    from tui.widgets.backup_words import default_backup_dir, size

    dest = default_backup_dir(path)
    try:
        info = core.backup_database(path, dest)
        done = f"a backup in {dest} ({size(info.bytes)}, LSN {info.lsn:,})"
    except (ImportError, Error, OSError) as err:  # an engine without backups: no backup
        done = f"no backup ({err})"
    last = normal_work(conn, rng, prices, customers)
    return f"{done}, then {WORK_TRANSACTIONS} transactions of normal work (orders to #{last})"


def _fill_dropped(cur, table: str, scale: float, customers: int, products: int) -> int:
    """The rows of one of `DROPPED`'s tables; how many."""
    rng = random.Random(table)
    if table == "reviews":
        n = max(20, int(REVIEWS * scale))
        rows = [(i, rng.randrange(1, products + 1), rng.randrange(1, customers + 1),
                 rng.choice((3, 4, 4, 5, 5, 5)), rng.choice(REVIEW_WORDS),
                 BASE + dt.timedelta(hours=i * 7)) for i in range(1, n + 1)]
    else:
        n = min(customers, max(10, int(CARTS * scale)))
        rows = [(i, rng.randint(1, 6), BASE + dt.timedelta(minutes=i * 11))
                for i in range(1, n + 1)]
    _insert(cur, table, rows)
    return n


def dropped_tables(conn, scale: float = 1.0, customers: int = CUSTOMERS,
                   products: int = PRODUCTS) -> list[str]:
    """`shop.reviews` (rows, two secondary indexes) dropped and `shop.carts` truncated,
    after `SET GLOBAL tidb_gc_life_time` to `GC_LIFE_TIME`: both recoverable for an hour.
    What was done, in words."""
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f"USE {SCHEMA}")
    cur.execute(f"SET GLOBAL tidb_gc_life_time = '{GC_LIFE_TIME}'")
    done = []
    for table, create, fate in DROPPED:
        cur.execute(create)
        n = _fill_dropped(cur, table, scale, customers, products)
        cur.execute(f"{fate.split()[0].upper()} TABLE {table}")
        done.append(f"{table} ({n:,} rows) {'dropped' if fate == 'drop table' else 'truncated'}")
    return [f"{'; '.join(done)}, recoverable for {GC_LIFE_TIME} (tidb_gc_life_time)"]


def fresh_drop(path: str, **engine_options) -> str:
    """On a demo built earlier: drop `reviews` again when nothing of an earlier drop is left
    to bring back (it was recovered, or GC collected it), so the DDL Jobs tab has a drop
    inside the GC life time again.  What was done, in words ("" when nothing was)."""
    from core.errors import Error

    conn = core.connect(path, database=SCHEMA, autocommit=True, **engine_options)
    try:
        cur = conn.cursor()
        try:
            cur.execute("SELECT COUNT(*) FROM information_schema.KINTSUGI_DROPPED_TABLES "
                        "WHERE STATE = 'recoverable' AND JOB_TYPE = 'drop table'")
            if cur.fetchone()[0]:
                return ""
        except Error:
            return ""  # an engine without the list: leave the demo as it is
        cur.execute("SELECT COUNT(*) FROM customers")
        customers = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM products")
        products = cur.fetchone()[0]
        table, create, _fate = DROPPED[0]
        cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE TABLE_SCHEMA = "
                    f"'{SCHEMA}' AND TABLE_NAME = '{table}'")
        if not cur.fetchone()[0]:  # collected: made again (brought back: dropped as it is)
            cur.execute(create)
            _fill_dropped(cur, table, customers / CUSTOMERS, customers, products)
        n = _rows(cur, table)
        cur.execute(f"DROP TABLE {table}")
        return (f"{SCHEMA}.{table} ({n:,} rows) dropped again, for the DDL Jobs tab to bring "
                "back (the last drop was brought back or collected)")
    finally:
        conn.close()


DAMAGE = (  # (table, index, what): what `damage_indexes` does, for the demo's own tests
    ("customers", "idx_city", "missing"),
    ("products", "idx_category", "dangling"),
    ("orders", "idx_customer", "mismatched"),
)


def damage_indexes(path: str, **engine_options) -> list[str]:
    """Make three indexes disagree with their rows, durably (through the redo log, as any
    write): three customers lose their `idx_city` entries, `idx_category` gets two entries
    for products that do not exist, and order 7's `idx_customer` entry names another
    customer.  Returns what was done, in words.  A few milliseconds."""
    from core import faults

    conn = core.connect(path, database=SCHEMA, autocommit=True, **engine_options)
    try:
        done = []
        n = faults.remove_index_entries(conn, "customers", "idx_city", [2, 3, 5])
        done.append(f"customers.idx_city {n} missing")
        n = faults.add_dangling_index_entry(conn, "products", "idx_category", ["Ceramics"],
                                            9_001)
        n += faults.add_dangling_index_entry(conn, "products", "idx_category", ["Tools"],
                                             9_002)
        done.append(f"products.idx_category {n} dangling")
        cur = conn.cursor()
        cur.execute("SELECT customer_id FROM orders WHERE id = 7")
        (customer,) = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM customers")
        (customers,) = cur.fetchone()
        faults.change_index_entry(conn, "orders", "idx_customer", 7,
                                  [customer % customers + 1])
        done.append("orders.idx_customer 1 mismatched")
        return done
    finally:
        conn.close()


def earlier_recovery(path: str, then: Callable | None = None, **engine_options) -> None:
    """Crash a small writer (two commits, one open transaction) and reopen the database, so
    that recovery runs once before the demo's main crash: the recovery history then has a
    row already, and the Recovery tab a list to show.  About half a second.  `then(conn)`
    runs on the reopened database before it closes."""
    run_crash(path, batches=2, open_orders=200)
    conn = core.connect(path, database=None, **engine_options)
    try:
        if then is not None:
            then(conn)
    finally:
        conn.close()


def _start_crash_jobs(conn) -> int | None:
    """The crash child's two index builds (see the module's docstring); the first's id, or
    None when an earlier run of the demo made them already."""
    cur = conn.cursor()
    cur.execute("SELECT COUNT(*) FROM information_schema.statistics WHERE TABLE_SCHEMA = "
                f"'{SCHEMA}' AND INDEX_NAME IN ('idx_total', 'idx_qty')")
    if cur.fetchone()[0]:
        return None
    # each job's own throttle, kept with it across the restart (a SET GLOBAL would persist
    # and override both, and every later DDL of the demo database): the first crawls until
    # the kill and finishes in seconds after the reopen, the second runs for minutes
    first = conn.submit_ddl(CRASH_JOBS[0], batch_size=64, delay_ms=10)
    conn.submit_ddl(CRASH_JOBS[1], batch_size=SLOW_BATCH, delay_ms=SLOW_DELAY_MS)
    return first


def crash_child(path: str, batches: int = 40, open_orders: int = 3_000,
                ddl_jobs: bool = False) -> None:
    """Commit orders in small transactions, then keep a large one open.  The parent kills us.
    `ddl_jobs`: with two index builds queued first, the first one mid-backfill at the kill."""
    # no flusher: every commit stays in the redo log only, so recovery must replay them all
    conn = core.connect(path, database=SCHEMA, autocommit=True, flush_interval=0,
                        spill_limit=256 * 1024)
    job = _start_crash_jobs(conn) if ddl_jobs else None
    cur = conn.cursor()
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM orders")
    next_id = cur.fetchone()[0] + 1
    cur.execute("SELECT COUNT(*) FROM customers")
    customers = cur.fetchone()[0]
    cur.execute("SELECT id, price FROM products")
    prices = dict(cur.fetchall())
    rng = random.Random(next_id)
    conn.autocommit = False
    for _batch in range(batches):
        orders, items = order_rows(rng, next_id, 25, prices, customers)
        _insert(cur, "orders", orders)
        _insert(cur, "order_items", items)
        conn.commit()
        next_id += 25
    print("COMMITTED", next_id - 1, flush=True)
    if job is not None:  # far enough into the backfill that the bar shows where it was
        conn.autocommit = True  # each look a fresh snapshot
        _wait_job(conn, job, lambda j: (j["ROWS_DONE"] or 0)
                  >= min(1_000, max(1, (j["ROWS_TOTAL"] or 0) // 4)), timeout=10)
        conn.autocommit = False
    orders, items = order_rows(rng, next_id, open_orders, prices, customers)  # never committed
    _insert(cur, "orders", orders)
    _insert(cur, "order_items", items)
    print("READY", flush=True)
    time.sleep(60)


TABLES = ("customers", "products", "orders", "order_items")


def check_demo(path: str) -> None:
    """Refuse, in one sentence, a database that is not the demo shop, before a writer is
    started on it: the writer would fail on the first missing table.  Reads the tablespace
    headers only (`core.api.inspect` writes nothing and runs no recovery)."""
    from core.api import inspect

    spaces = inspect(path).tablespaces
    if any(ts.space_id == 0 and (ts.error or ts.missing) for ts in spaces):
        return  # the dictionary cannot be read: the writer's open says why, in one line
    found = {ts.name for ts in spaces}
    missing = [t for t in TABLES if f"{SCHEMA}.{t}" not in found]
    if missing:
        what = "has no schema `shop`" if len(missing) == len(TABLES) else \
            "lacks " + ", ".join(f"`{SCHEMA}`.`{t}`" for t in missing)
        raise RuntimeError(f"{path} is a KintsugiDB database but not the demo shop (it {what}); "
                           "`kintsugi demo` crashes only a database it built: give it a new "
                           f"directory, or open this one with `kintsugi {shlex.quote(path)}`")


def run_crash(path: str, batches: int = 40, open_orders: int = 3_000,
              ddl_jobs: bool = False) -> int:
    """Start the child, wait until it has committed and holds an open transaction, kill it.
    Returns the last order id the child had committed.  `ddl_jobs`: the child also starts
    the two index builds of `CRASH_JOBS` (`kintsugi demo`'s main crash).

    The child's stderr is kept, never shown raw: if it fails, its last line (the error) is
    the RuntimeError's message."""
    check_demo(path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    committed, ready = 0, False
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen([sys.executable, "-m", "tui.demo", path, str(batches),
                                 str(open_orders), *(["ddl"] if ddl_jobs else [])],
                                stdout=subprocess.PIPE, stderr=errors,
                                text=True, env=env)
        try:
            for line in proc.stdout:
                if line.startswith("COMMITTED"):
                    committed = int(line.split()[1])
                if line.startswith("READY"):
                    ready = True
                    break
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        if not (committed and ready):
            errors.seek(0)
            lines = [ln.strip() for ln in errors.read().splitlines() if ln.strip()]
            # the child's own "ERROR nnnn" (its message may run on several lines), else
            # the last line (a traceback's ends with the exception)
            first = max((i for i, ln in enumerate(lines) if ln.startswith("ERROR ")),
                        default=len(lines) - 1)
            why = f": {' '.join(lines[first:])}" if lines else ""
            raise RuntimeError(f"the demo writer on {path} stopped before it held an open "
                               f"transaction{why}")
    return committed


def _child_main(argv: list[str]) -> int:
    """The child's entry: a database error is one line on stderr (the parent shows it)."""
    from core.errors import Error

    try:
        crash_child(argv[0], *(int(a) for a in argv[1:3]), ddl_jobs="ddl" in argv[3:])
    except Error as err:
        print(err, file=sys.stderr)  # "ERROR nnnn (SQLSTATE): message"
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
