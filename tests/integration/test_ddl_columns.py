"""Column and key changes through table rebuild jobs (core.ddl.rebuild, core.sql.alter_table):
each ALTER action with MySQL 8's results and errors, a failed change leaving the table
exactly as it was, several actions as one job with a row per sub-job, and DML running on
the table while its rows are copied (a small batch size, a writer thread), ending with
ADMIN CHECK TABLE passing and every write in the new table."""

from __future__ import annotations

import glob
import os
import random
import threading

import pytest

import core


@pytest.fixture
def db(conn):
    return conn._db


def _files(conn, path) -> set[str]:
    """The tablespace files in the data directory, relative, system.kdb left out."""
    root = str(path)
    return {os.path.relpath(p, root) for p in glob.glob(os.path.join(root, "*", "*.kdb"))}


def _known(conn) -> set[str]:
    """The files the dictionary knows: its tables' and the GC queue's."""
    engine = conn._db.engine
    with engine.snapshot() as snap:
        schema = conn._db.catalog.schema(snap)
        ids = set(schema.tables_by_id) | {g["table_id"] for g in conn._db.catalog.gc_ranges(snap)}
    return {engine.spaces[i].header["path"] for i in ids if i in engine.spaces}


def _table(conn, name="t"):
    with conn._db.engine.snapshot() as snap:
        return conn._db.catalog.schema(snap).table("test", name)


def _gc_ids(conn) -> set[int]:
    with conn._db.engine.snapshot() as snap:
        return {g["table_id"] for g in conn._db.catalog.gc_ranges(snap)}


def _err(q, sql) -> core.Error:
    with pytest.raises(core.Error) as info:
        q(sql)
    return info.value


def _create(sql: str) -> str:
    return next(r for r in sql.splitlines() if r)


def _show(q, t="t") -> str:
    return q(f"SHOW CREATE TABLE {t}")[0][1]


# -- each action ------------------------------------------------------------------------------


def test_force_copies_into_a_new_tablespace_and_gives_the_old_one_to_gc(conn, q, tmp_path):
    q("CREATE TABLE t (a INT PRIMARY KEY AUTO_INCREMENT, b INT, c VARCHAR(10), KEY kb (b), "
      "UNIQUE KEY uc (c))")
    q("INSERT INTO t (b, c) VALUES (10, 'x'), (20, 'y'), (NULL, 'z')")
    old = _table(conn).id
    q("ALTER TABLE t FORCE")
    new = _table(conn)
    assert new.id != old and not new.shadow and old in _gc_ids(conn)
    assert q("SELECT * FROM t ORDER BY a") == [(1, 10, "x"), (2, 20, "y"), (3, None, "z")]
    assert q("SELECT a FROM t WHERE c = 'y'") == [(2,)]
    assert q("ADMIN CHECK TABLE t") == 0
    q("INSERT INTO t (b, c) VALUES (40, 'w')")  # the counter came along
    assert q("SELECT a FROM t WHERE c = 'w'") == [(4,)]
    q("ALTER TABLE t ENGINE=InnoDB")
    assert q("SELECT COUNT(*) FROM t") == [(4,)]
    job = q("ADMIN SHOW DDL JOBS 1")[0]
    assert job[3] == "rebuild table" and job[11] == "synced" and job[7] == 4
    assert _files(conn, tmp_path / "db") <= _known(conn)  # nothing the dictionary lost


def test_add_column_with_defaults_and_positions(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(5))")
    q("INSERT INTO t VALUES (1, 'x'), (2, NULL)")
    q("ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 7")
    q("ALTER TABLE t ADD d VARCHAR(3) NOT NULL FIRST")  # old rows: the implicit default ''
    q("ALTER TABLE t ADD COLUMN e DECIMAL(5,2) AFTER a")
    q("ALTER TABLE t ADD COLUMN f INT NOT NULL")  # 0
    assert [r[0] for r in q("SHOW COLUMNS FROM t")] == ["d", "a", "e", "b", "c", "f"]
    assert q("SELECT * FROM t ORDER BY a") == [("", 1, None, "x", 7, 0),
                                               ("", 2, None, None, 7, 0)]
    assert _err(q, "INSERT INTO t (a, d) VALUES (3, 'z')").errno == 1364  # f: no DEFAULT
    q("INSERT INTO t (a, d, f) VALUES (3, 'z', 9)")
    assert q("SELECT c, f FROM t WHERE a = 3") == [(7, 9)]
    assert _err(q, "ALTER TABLE t ADD COLUMN c INT").errno == 1060
    assert _err(q, "ALTER TABLE t ADD COLUMN g INT AFTER nope").errno == 1054
    q("ALTER TABLE t ADD COLUMN g INT UNIQUE")
    assert "UNIQUE KEY `g` (`g`)" in _show(q)
    assert q("ADMIN CHECK TABLE t") == 0


def test_drop_column_leaves_its_keys_as_mysql(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, c INT, d INT, KEY kbc (b, c), KEY kc (c), "
      "UNIQUE KEY ud (d))")
    q("INSERT INTO t VALUES (1, 1, 1, 1), (2, 2, 1, 2)")
    q("ALTER TABLE t DROP COLUMN c")  # kbc keeps b; kc had only c: gone
    shown = _show(q)
    assert "KEY `kbc` (`b`)" in shown and "`kc`" not in shown and "`c`" not in shown
    assert q("SELECT * FROM t ORDER BY a") == [(1, 1, 1), (2, 2, 2)]
    assert q("SELECT a FROM t WHERE b = 2") == [(2,)]
    e = _err(q, "ALTER TABLE t DROP COLUMN nope")
    assert e.errno == 1091 and "Can't DROP 'nope'" in e.msg
    q("ALTER TABLE t DROP b, DROP d")
    e = _err(q, "ALTER TABLE t DROP COLUMN a")
    assert e.errno == 1090
    assert q("SELECT * FROM t ORDER BY a") == [(1,), (2,)]
    assert q("ADMIN CHECK TABLE t") == 0


def test_modify_and_change_convert_rows_or_fail_and_change_nothing(conn, q, tmp_path):
    q("CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(10), c INT, KEY kb (b))")
    q("INSERT INTO t VALUES (1, '12', 300), (2, 'x', 5), (3, NULL, NULL)")
    before = (_table(conn).id, q("SELECT * FROM t ORDER BY a"), _show(q))
    e = _err(q, "ALTER TABLE t MODIFY b INT")
    assert e.errno == 1366 and "Incorrect integer value: 'x' for column 'b' at row 2" in e.msg
    e = _err(q, "ALTER TABLE t MODIFY COLUMN c TINYINT")
    assert e.errno == 1264 and "Out of range value for column 'c' at row 1" in e.msg
    e = _err(q, "ALTER TABLE t MODIFY c INT NOT NULL")
    assert e.errno == 1138 and e.msg == "Invalid use of NULL value"
    assert (_table(conn).id, q("SELECT * FROM t ORDER BY a"), _show(q)) == before
    assert q("SELECT STATE FROM information_schema.ddl_jobs WHERE JOB_ID = "
              "(SELECT MAX(JOB_ID) FROM information_schema.ddl_jobs)") == [("rollback done",)]
    assert _files(conn, tmp_path / "db") <= _known(conn)
    q("DELETE FROM t WHERE a = 2")
    q("ALTER TABLE t CHANGE b bb BIGINT")  # '12' converts
    assert q("SELECT * FROM t ORDER BY a") == [(1, 12, 300), (3, None, None)]
    assert "KEY `kb` (`bb`)" in _show(q)
    assert q("SELECT a FROM t WHERE bb = 12") == [(1,)]
    q("SET sql_mode = ''")  # not strict: MySQL's adjusted value
    q("ALTER TABLE t MODIFY c TINYINT")
    assert q("SELECT c FROM t ORDER BY a") == [(127,), (None,)]
    q("ALTER TABLE t MODIFY c TINYINT NOT NULL")
    assert q("SELECT c FROM t ORDER BY a") == [(127,), (0,)]
    assert q("ADMIN CHECK TABLE t") == 0


def test_renames_change_only_the_dictionary(conn, q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY kb (b))")
    q("CREATE TABLE other (x INT)")
    q("INSERT INTO t VALUES (1, 2)")
    tid = _table(conn).id
    q("ALTER TABLE t RENAME COLUMN b TO bb")
    q("ALTER TABLE t RENAME INDEX kb TO kbb")
    q("ALTER TABLE t CHANGE a aa INT")  # the same type: no copy either
    q("ALTER TABLE t MODIFY bb INT COMMENT 'hello' DEFAULT 5")
    assert _table(conn).id == tid
    shown = _show(q)
    assert "`aa` int NOT NULL" in shown and "KEY `kbb` (`bb`)" in shown and "hello" in shown
    assert q("SELECT aa FROM t WHERE bb = 2") == [(1,)]
    assert _err(q, "ALTER TABLE t RENAME COLUMN nope TO x").errno == 1054
    assert _err(q, "ALTER TABLE t RENAME COLUMN aa TO bb").errno == 1060
    assert _err(q, "ALTER TABLE t RENAME INDEX nope TO x").errno == 1176
    assert _err(q, "ALTER TABLE t RENAME TO other").errno == 1050
    q("ALTER TABLE t RENAME TO u")
    assert _table(conn, "u").id == tid and _table(conn) is None
    assert q("SELECT * FROM u") == [(1, 2)]
    jobs = q("SELECT JOB_TYPE FROM information_schema.ddl_jobs ORDER BY JOB_ID DESC LIMIT 5")
    assert [r[0] for r in jobs] == ["rename table", "modify column", "modify column",
                                    "rename index", "rename column"]


def test_primary_keys_added_and_dropped(conn, q):
    q("CREATE TABLE t (a INT NOT NULL, b VARCHAR(5))")
    q("INSERT INTO t VALUES (2, 'x'), (1, 'y'), (2, 'z')")
    e = _err(q, "ALTER TABLE t ADD PRIMARY KEY (a)")
    assert e.errno == 1062 and e.msg == "Duplicate entry '2' for key 't.PRIMARY'"
    assert q("SELECT * FROM t") == [(2, "x"), (1, "y"), (2, "z")]  # untouched, rowid order
    q("DELETE FROM t WHERE b = 'z'")
    q("ALTER TABLE t ADD PRIMARY KEY (a)")
    assert q("SELECT * FROM t") == [(1, "y"), (2, "x")]  # now clustered on a
    assert _err(q, "ALTER TABLE t ADD PRIMARY KEY (b)").errno == 1068
    q("ALTER TABLE t DROP PRIMARY KEY")
    assert "PRIMARY" not in _show(q)
    assert _err(q, "ALTER TABLE t DROP PRIMARY KEY").errno == 1091
    q("INSERT INTO t VALUES (2, 'again')")  # no key now: duplicates are fine
    assert q("SELECT COUNT(*) FROM t WHERE a = 2") == [(2,)]
    q("CREATE TABLE c (x VARCHAR(5), y INT, PRIMARY KEY (x, y))")
    e = _err(q, "ALTER TABLE c DROP PRIMARY KEY")
    assert e.errno == 1235 and "DROP PRIMARY KEY" in e.msg
    q("ALTER TABLE c ADD COLUMN z INT")  # a clustered table can still be rebuilt
    assert q("ADMIN CHECK TABLE c") == 0 and q("ADMIN CHECK TABLE t") == 0


def test_several_actions_are_one_job_with_a_row_per_sub_job(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, c INT, KEY kc (c))")
    q("INSERT INTO t VALUES (1, 2, 3)")
    q("ALTER TABLE t DROP COLUMN b, ADD COLUMN d INT DEFAULT 4, ADD INDEX kd (d), "
      "DROP INDEX kc, RENAME COLUMN c TO cc")
    assert q("SELECT * FROM t") == [(1, 3, 4)]
    rows = q("ADMIN SHOW DDL JOBS 1")
    assert [r[3] for r in rows] == ["multi-schema change", "drop column /* subjob */",
                                    "add column /* subjob */", "add index /* subjob */",
                                    "drop index /* subjob */", "rename column /* subjob */"]
    assert len({r[0] for r in rows}) == 1 and all(r[11] == "synced" for r in rows)
    shown = _show(q)
    assert "KEY `kd` (`d`)" in shown and "`kc`" not in shown
    assert q("SELECT a FROM t WHERE d = 4") == [(1,)]
    e = _err(q, "ALTER TABLE t ADD COLUMN e INT, DROP COLUMN nope")  # all or nothing
    assert e.errno == 1091 and "`e`" not in _show(q)
    assert q("ADMIN CHECK TABLE t") == 0


# -- online: DML while the rows are copied ------------------------------------------------------


def _alter_while_copying(conn, q, tmp_path, sql: str, job_type: str):
    """Start `sql` in a thread of its own with a slow copy; return once the job copied its
    first batch: (thread, [its error], job id)."""
    worker = conn._db.ddl_jobs.worker
    worker.batch_size = 8
    worker.batch_delay = 0.02
    box: list = []

    def alter():
        c = core.connect(str(tmp_path / "db"), autocommit=True)
        try:
            c.cursor().execute(sql)
        except core.Error as exc:
            box.append(exc)
        finally:
            c.close()

    th = threading.Thread(target=alter)
    th.start()
    for _ in range(300):
        rows = q("ADMIN SHOW DDL JOBS 1")
        if rows and rows[0][3] == job_type and rows[0][7] > 0:
            return th, box, rows[0][0]
        threading.Event().wait(0.01)
    raise AssertionError("the job never copied a batch")


def _writer_thread(path, stop: threading.Event, model: dict, errors: list, lo: int):
    """Insert, update and delete rows of t while the ALTER runs; `model` ends as the rows
    the table must hold."""
    c = core.connect(path, autocommit=True)
    cur = c.cursor()
    rnd = random.Random(lo)
    nxt = lo
    try:
        while not stop.is_set():
            model["ops"] = model.get("ops", 0) + 1
            op = rnd.random()
            if op < 0.5:
                cur.execute("INSERT INTO t (a, b) VALUES (%s, %s)", (nxt, nxt * 2))
                model[nxt] = nxt * 2
                nxt += 1
            elif op < 0.8:
                k = rnd.choice([k for k in model if k != "ops"])
                cur.execute("UPDATE t SET b = b + 1 WHERE a = %s", (k,))
                model[k] += 1
            else:
                k = rnd.choice([k for k in model if k != "ops"])
                cur.execute("DELETE FROM t WHERE a = %s", (k,))
                del model[k]
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        c.close()


@pytest.mark.parametrize("alter, expect", [
    ("ALTER TABLE t FORCE", lambda a, b: (a, b)),
    ("ALTER TABLE t ADD COLUMN c INT DEFAULT 5, MODIFY b BIGINT",
     lambda a, b: (a, b, 5)),
    ("ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (b, a)", lambda a, b: (a, b)),
])
def test_dml_during_the_copy_is_kept(conn, q, tmp_path, alter, expect):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT, KEY kb (b))")
    model = {i: i * 2 for i in range(1, 301)}
    q("INSERT INTO t VALUES " + ", ".join(f"({a}, {b})" for a, b in model.items()))
    worker = conn._db.ddl_jobs.worker
    worker.batch_size = 8
    worker.batch_delay = 0.002
    stop, errors = threading.Event(), []
    th = threading.Thread(target=_writer_thread,
                          args=(str(tmp_path / "db"), stop, model, errors, 1000))
    th.start()
    try:
        q(alter)
    finally:
        stop.set()
        th.join(30)
    assert not errors, errors
    ops = model.pop("ops")
    steps = [s for s in conn._db.ddl_jobs.job(q("ADMIN SHOW DDL JOBS 1")[0][0]).steps]
    assert ops > 5, ops  # the writes ran while the job copied, batch after batch
    assert [s["step"] for s in steps][-4:] == ["switching", "switched", "old table to GC",
                                               "synced"]
    got = q("SELECT * FROM t ORDER BY a")
    assert got == [expect(a, b) for a, b in sorted(model.items())]
    assert q("ADMIN CHECK TABLE t") == 0
    assert not _table(conn).shadow
    job = q("ADMIN SHOW DDL JOBS 1")[0]
    assert job[11] == "synced"


def test_cancel_during_the_copy_leaves_the_table_as_it_was(conn, q, tmp_path):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES " + ", ".join(f"({i}, {i})" for i in range(1, 201)))
    tid = _table(conn).id
    th, box, job_id = _alter_while_copying(conn, q, tmp_path, "ALTER TABLE t ADD COLUMN c INT",
                                           "add column")
    q("INSERT INTO t VALUES (500, 500)")  # a write while it copies
    assert q(f"ADMIN CANCEL DDL JOBS {job_id}") == [(str(job_id), "successful")]
    th.join(30)
    assert box and box[0].errno == 8214
    t = _table(conn)
    assert t.id == tid and not t.shadow and [c.name for c in t.columns] == ["a", "b"]
    assert q("SELECT COUNT(*), SUM(b) FROM t") == [(201, 20100 + 500)]
    assert q("ADMIN CHECK TABLE t") == 0
    new_id = conn._db.ddl_jobs.job(job_id).args["new_table_id"]
    assert new_id in _gc_ids(conn)  # the new tablespace went to GC, not left behind
    assert _files(conn, tmp_path / "db") <= _known(conn)


def test_a_write_the_new_table_cannot_take_fails_the_job_not_the_write(conn, q, tmp_path):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES " + ", ".join(f"({i}, {i % 100})" for i in range(1, 201)))
    th, box, _job = _alter_while_copying(conn, q, tmp_path, "ALTER TABLE t MODIFY b TINYINT",
                                         "modify column")
    q("INSERT INTO t VALUES (0, 1000)")  # below the checkpoint: the new table gets it now
    th.join(30)
    assert box and box[0].errno == 1264, box
    assert q("SELECT b FROM t WHERE a = 0") == [(1000,)]  # the write stayed
    assert q("SELECT COUNT(*) FROM t") == [(201,)]
    assert [c.type.kind for c in _table(conn).columns] == ["INT", "INT"]
    assert q("ADMIN CHECK TABLE t") == 0
    assert _files(conn, tmp_path / "db") <= _known(conn)


def test_auto_increment_and_defaults_change(q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES (1, 2), (5, 3)")
    assert _err(q, "ALTER TABLE t MODIFY b INT AUTO_INCREMENT").errno == 1075  # not a key
    q("ALTER TABLE t MODIFY a INT AUTO_INCREMENT")
    q("INSERT INTO t (b) VALUES (7)")
    assert q("SELECT * FROM t ORDER BY a") == [(1, 2), (5, 3), (6, 7)]
    e = _err(q, "ALTER TABLE t ADD COLUMN id INT AUTO_INCREMENT")
    assert e.errno == 1235 and "AUTO_INCREMENT" in e.msg
    q("ALTER TABLE t ALTER COLUMN b SET DEFAULT 9")
    q("INSERT INTO t (a) VALUES (10)")
    assert q("SELECT b FROM t WHERE a = 10") == [(9,)]
    q("ALTER TABLE t ALTER b DROP DEFAULT")
    assert "DEFAULT 9" not in _show(q)
    assert _err(q, "ALTER TABLE t ALTER COLUMN b SET DEFAULT 'zz'").errno == 1067
    e = _err(q, "ALTER TABLE t ADD COLUMN c INT CHECK (c > 0)")
    assert e.errno == 1235 and "CHECK" in e.msg


def test_a_name_taken_while_copying_fails_the_rename_at_the_switch(conn, q, tmp_path):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES " + ", ".join(f"({i}, {i})" for i in range(1, 201)))
    th, box, _job = _alter_while_copying(conn, q, tmp_path,
                                         "ALTER TABLE t ADD COLUMN c INT, RENAME TO u",
                                         "multi-schema change")
    q("CREATE TABLE u (x INT)")
    th.join(30)
    assert box and box[0].errno == 1050, box
    assert [c.name for c in _table(conn).columns] == ["a", "b"]
    assert q("SELECT COUNT(*) FROM t") == [(200,)] and q("SELECT * FROM u") == []


def test_alter_options_and_column_lists(conn, q):
    q("CREATE TABLE t (a INT PRIMARY KEY, b INT)")
    q("INSERT INTO t VALUES (1, 2)")
    q("ALTER TABLE t ADD (c INT, `comment` TEXT), ALGORITHM=INPLACE, LOCK=NONE")
    q("ALTER TABLE t ADD COLUMN d INT DEFAULT 1, ENGINE=InnoDB")
    assert q("SELECT * FROM t") == [(1, 2, None, None, 1)]
    e = _err(q, "ALTER TABLE t ADD COLUMN e INT, ALGORITHM=INSTANT")
    assert e.errno == 1845 and "ALGORITHM=INSTANT is not supported" in e.msg
    tid = _table(conn).id
    q("ALTER TABLE t RENAME COLUMN d TO dd, ALGORITHM=INSTANT")  # the dictionary only
    assert _table(conn).id == tid
    e = _err(q, "ALTER TABLE t ADD COLUMN e INT, LOCK=EXCLUSIVE")
    assert e.errno == 1235 and "LOCK=" in e.msg
    assert "`e`" not in _show(q)
