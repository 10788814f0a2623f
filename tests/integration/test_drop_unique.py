"""DROP TABLE naming one table twice is MySQL's 1066, and changes nothing."""

import pytest

import core
from core.errors import ProgrammingError


def test_drop_table_naming_a_table_twice_is_1066(tmp_path):
    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE a (x INT)")
        for sql in ("DROP TABLE a, a", "DROP TABLE IF EXISTS a, test.A"):
            with pytest.raises(ProgrammingError) as err:
                cur.execute(sql)
            assert err.value.errno == 1066 and "'" in err.value.msg
        cur.execute("SELECT COUNT(*) FROM information_schema.ddl_jobs WHERE JOB_TYPE = "
                    "'drop table'")
        assert cur.fetchall() == [(0,)]
        cur.execute("DROP TABLE a")  # still there
