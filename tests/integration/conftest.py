import pytest

import core


@pytest.fixture
def conn(tmp_path):
    c = core.connect(str(tmp_path / "db"), create=True, autocommit=True, flush_interval=0.05)
    yield c
    c.close()


@pytest.fixture
def q(conn):
    """Run one statement; return fetched rows for queries, rowcount otherwise."""
    cur = conn.cursor()

    def run(sql, params=None):
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else cur.rowcount

    run.cursor = cur
    return run
