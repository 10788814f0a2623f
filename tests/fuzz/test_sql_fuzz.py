"""The SQL fuzzer, short: no statement may crash or hang the process, raise anything but a
MySQL error, change anything when it fails, or leave a database that reopens differently.

Knobs (the defaults keep CI under ~30 s on two cores):

* ``KINTSUGI_FUZZ_STATEMENTS``: cases per seed (default 600);
* ``KINTSUGI_FUZZ_SEEDS``: how many seeds (default 2), starting at ``KINTSUGI_FUZZ_SEED``
  (default 0).

The long run is ``python -m bench.fuzz_sql --statements N --seed S``.  A failure prints each
group of findings with its first statement and the tail of its traceback; reproduce one with
``sqlfuzz.run(0, 0, dir, cases=[sql])``.

The second half checks the supervisor itself against a fake engine (crash by signal, exit,
hang, raw exception, a raw exception wrapped as 1105, a bad errno, a failing statement that
writes, an acknowledged write that is gone after reopening), so a fuzz run that passes has
really been looking.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.fuzz import sqlfuzz

STATEMENTS = int(os.environ.get("KINTSUGI_FUZZ_STATEMENTS", "600"))
SEEDS = int(os.environ.get("KINTSUGI_FUZZ_SEEDS", "2"))
BASE_SEED = int(os.environ.get("KINTSUGI_FUZZ_SEED", "0"))


@pytest.mark.parametrize("seed", range(BASE_SEED, BASE_SEED + SEEDS), ids=lambda s: f"seed{s}")
def test_fuzz_no_crash_no_raw_error_no_change(tmp_path, seed):
    report = sqlfuzz.run(STATEMENTS, seed, str(tmp_path), reopen_every=STATEMENTS // 2)
    assert report.cases == STATEMENTS, report.summary()
    assert report.ok > STATEMENTS // 5, report.summary()  # the schema was built, SQL ran
    assert len(report.errors) >= 5, report.summary()  # and bad SQL was refused
    assert report.reopens >= 2, report.summary()
    if report.failures:
        pytest.fail("\n" + report.summary(), pytrace=False)


def test_generator_is_deterministic_and_varied():
    a, b = sqlfuzz.FuzzGenerator(7), sqlfuzz.FuzzGenerator(7)
    assert a.setup() == b.setup()
    ca, cb = a.cases(400), b.cases(400)
    assert [c.sql for c in ca] == [c.sql for c in cb]
    assert {c.kind for c in ca} == set(sqlfuzz.FuzzGenerator.WEIGHTS)
    text = "\n".join(c.sql for c in ca)
    for needle in ("REPEAT(", "1e400", "START TRANSACTION", "CREATE TABLE", "\x00", "\ud800"):
        assert needle in text or any(needle in s for s in sqlfuzz.ODD_LITERALS), needle
    assert max(len(c.sql) for c in ca) > 2000  # long values and deep expressions
    assert any(c.multi for c in ca)
    assert [c.sql for c in sqlfuzz.FuzzGenerator(8).cases(50)] != [c.sql for c in ca[:50]]


# -- the supervisor against a fake engine -------------------------------------------------------


class _FakeCursor:
    def __init__(self, conn):
        self.conn = conn
        self.description = None
        self._rows: list = []

    def execute(self, sql, params=None):
        from core.errors import Error, IntegrityError, ProgrammingError

        st = self.conn.state
        self.description, self._rows = None, []
        rows = None
        if sql == "SHOW DATABASES":
            rows = [("information_schema",), ("test",)]
        elif sql.startswith("SHOW TABLES"):
            rows = [("t",)]
        elif sql.startswith("SELECT * FROM `test`.`t`"):
            rows = [tuple(r) for r in st]
        elif "information_schema" in sql:
            rows = []
        elif sql in ("COMMIT", "ok"):
            pass
        elif sql == "write":
            st.append([len(st)])
            self.conn.save()
        elif sql == "volatile write":  # acknowledged, never made durable
            st.append([-len(st)])
        elif sql == "error":
            raise ProgrammingError("You have an error in your SQL syntax", errno=1064)
        elif sql == "bad errno":
            raise Error("no number", errno="1064")
        elif sql == "raw":
            raise KeyError("boom")
        elif sql == "wrapped":
            raise Error("Internal error: KeyError: 'boom'")
        elif sql == "half write":
            st.append([len(st)])
            raise IntegrityError("Duplicate entry '1' for key 'PRIMARY'")
        elif sql == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        elif sql == "exit":
            os._exit(3)
        elif sql == "hang":
            time.sleep(60)
        else:
            raise ProgrammingError(f"fake engine: {sql!r}", errno=1064)
        if rows is not None:
            self.description = [("c",)]
            self._rows = rows
        return self

    def fetchall(self):
        return self._rows


class _FakeConn:
    def __init__(self, path):
        self.path = path
        with open(path) as f:
            self.state = json.load(f)

    def save(self):
        with open(self.path, "w") as f:
            json.dump(self.state, f)

    def cursor(self):
        return _FakeCursor(self)

    def close(self):
        pass


def fake_connect(path, *, create=False, autocommit=True, **options):
    if create:
        with open(path, "w") as f:
            json.dump([], f)
    return _FakeConn(path)


def test_supervisor_reports_every_kind_of_failure(tmp_path):
    cases = ["ok", "write", "error", "raw", "wrapped", "bad errno", "half write", "segfault", "ok",
             "exit", "ok", "hang", "write", "volatile write", "write; error"]
    report = sqlfuzz.run(0, 0, str(tmp_path), timeout=3, reopen_every=None, cases=cases, setup=[],
                         connect="tests.fuzz.test_sql_fuzz:fake_connect")
    got = [(f.sql, f.problem) for f in report.failures]
    assert got == [
        ("raw", "raw-exception"),
        ("wrapped", "internal-error"),
        ("bad errno", "bad-error"),
        ("half write", "state-changed"),
        ("segfault", "crash"),
        ("exit", "crash"),
        ("hang", "hang"),
        ("", "reopen"),  # the volatile write was acknowledged, then lost
    ], report.summary()
    by_sql = {f.sql: f for f in report.failures}
    assert "KeyError: 'boom'" in by_sql["raw"].detail
    assert "SIGSEGV" in by_sql["segfault"].detail
    assert "exited with code 3" in by_sql["exit"].detail
    assert "rows of test.t" in by_sql[""].detail
    assert report.restarts == 3  # the run went on after each crash and hang
    assert report.cases == len(cases)
    assert report.errors[1064] == 2  # "error" and the multi-statement text (no state check)
    assert "hang" in report.summary()
