"""Unit tests of the SQL layer's limits (core/sql/limits.py and their users)."""

from __future__ import annotations

import time

import pytest

from core.errors import Error, ProgrammingError
from core.sql import functions as F
from core.sql import limits
from core.sql.cancel import CancelToken, QueryInterrupted
from core.sql.ddl import key_part_bytes
from core.sql.types import SqlType, cast_signed, to_int


def test_check_identifier():
    limits.check_identifier("a" * 64)
    with pytest.raises(ProgrammingError) as ei:
        limits.check_identifier("a" * 65)
    assert ei.value.errno == 1059 and ei.value.msg == f"Identifier name '{'a' * 65}' is too long"


@pytest.mark.parametrize("t,n", [
    (SqlType("VARCHAR", length=768), 3072), (SqlType("CHAR", length=10), 40),
    (SqlType("VARBINARY", length=3072), 3072), (SqlType("INT"), 4), (SqlType("BIGINT"), 8),
    (SqlType("DECIMAL", precision=10, scale=2), 5),
    (SqlType("DECIMAL", precision=65, scale=30), 30),
    (SqlType("DATETIME", precision=6), 8), (SqlType("DATE"), 3),
])
def test_key_part_bytes(t, n):
    assert key_part_bytes(t) == n


def test_packet_limit_is_checked_before_building():
    limits.set_packet_limit(1024)
    try:
        with pytest.raises(limits.PacketTooLarge) as ei:
            F.fn_repeat("ab", 10**15)
        assert ei.value.warning() == (
            1301, "Result of repeat() was larger than max_allowed_packet (1024) - truncated")
        with pytest.raises(limits.PacketTooLarge):
            F.fn_space(2 * 10**9)
        with pytest.raises(limits.PacketTooLarge):
            F.fn_lpad("x", 2 * 10**9, "y")
        assert F.fn_repeat("ab", 512) == "ab" * 512
        from core.sql.functions.encoding import fn_to_base64
        from core.sql.functions.strings import fn_hex

        for name, grow in (("hex", fn_hex), ("to_base64", fn_to_base64)):
            with pytest.raises(limits.PacketTooLarge) as ei:
                grow("x" * 800)  # the input fits; what it grows into does not
            assert f"Result of {name}()" in ei.value.warning()[1]
        assert fn_hex("x" * 512) == "78" * 512
    finally:
        limits.set_packet_limit(None)
    assert limits.packet_limit() == limits.DEFAULT_MAX_ALLOWED_PACKET


def test_group_concat_keeps_only_what_it_returns():
    acc = F.GroupConcatAcc(max_len=10)
    for i in range(100000):
        acc.add(f"value{i}")
    assert len(acc.parts) < 5
    assert acc.result() == "value0,val"


def test_cancel_token_deadline_is_3024():
    token = CancelToken(deadline=time.monotonic() - 1)
    with pytest.raises(limits.QueryTimeoutError) as ei:
        token.check()
    assert ei.value.errno == 3024
    with pytest.raises(limits.QueryTimeoutError):
        token.finish()
    plain = CancelToken()
    assert plain.cancel()
    with pytest.raises(QueryInterrupted):
        plain.check()
    done = CancelToken(deadline=time.monotonic() - 1)
    done.finish()  # finished before anyone checked the clock: it stands
    done.check()


def test_memory_tracker_charges_per_block():
    tracker = limits.MemoryTracker(10_000)
    rows = [[i, "x" * 10] for i in range(10)]
    assert list(tracker.metered(rows)) == rows  # less than a block's worth fits
    with pytest.raises(limits.MemoryQuotaError) as ei:
        list(tracker.metered([[i, "x" * 100] for i in range(10_000)]))
    assert ei.value.errno == 8175
    unlimited = limits.MemoryTracker(0)
    rows = [[1]] * 1000
    assert unlimited.metered(rows) is not None and list(unlimited.metered(rows)) == rows


def test_huge_digit_strings_do_not_raise_value_error():
    assert to_int("9" * 5000) > 2**64
    assert to_int("-" + "9" * 5000) < -(2**64)
    assert cast_signed("9" * 5000) == 2**63 - 1


def test_check_params():
    assert limits.check_params(None) is None
    assert limits.check_params((1,)) == (1,)
    assert limits.check_params(iter([1, 2])) == [1, 2]
    for bad in (5, "ab", b"x", 1.5):
        with pytest.raises(Error) as ei:
            limits.check_params(bad)
        assert ei.value.errno == 1210


def test_scripts_run_every_statement_kind_and_create_index_needs_columns(tmp_path):
    """Fuzzer findings: script statements are re-rendered in the engine's own dialect (RENAME
    TABLE, REPLACE), and CREATE INDEX without a column list is a syntax error, not a
    TypeError."""
    import core

    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t1 (id INT PRIMARY KEY, a INT)")
        cur.executescript("RENAME TABLE t1 TO t2; REPLACE INTO t2 (id, a) VALUES (1, 7); "
                          "SELECT a FROM t2")
        assert cur.fetchall() == [(7,)]
        with pytest.raises(core.ProgrammingError) as err:
            cur.execute("CREATE UNIQUE INDEX fx3 ON t2")
        assert err.value.errno == 1064


def test_limit_of_two_to_the_64_minus_one_means_all_rows(tmp_path):
    """MySQL's idiom for "every row after the offset" (a fuzzer finding: islice refused it)."""
    import core

    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO t VALUES (1), (2), (3)")
        cur.execute("SELECT id FROM t LIMIT 1, 18446744073709551615")
        assert cur.fetchall() == [(2,), (3,)]
        cur.execute("SELECT id FROM t ORDER BY id DESC LIMIT 18446744073709551615")
        assert cur.fetchall() == [(3,), (2,), (1,)]


def test_insert_without_a_table_name_is_a_syntax_error(tmp_path):
    import core

    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        with pytest.raises(core.ProgrammingError) as err:
            c.cursor().execute("REPLACE INTO ( d , v ) VALUES ( 1 , 2 )")
        assert err.value.errno == 1064


def test_a_script_runs_the_statements_before_a_syntax_error(tmp_path):
    """As the mysql client: statements are parsed one at a time, so those before a bad one
    stay done (a new user's finding: the whole script used to be parsed first)."""
    import core

    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        cur = c.cursor()
        with pytest.raises(core.ProgrammingError) as err:
            cur.executescript("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);"
                              " SELEC oops; INSERT INTO t VALUES (2)")
        assert err.value.errno == 1064
        cur.execute("SELECT id FROM t")
        assert cur.fetchall() == [(1,)]
        with pytest.raises(core.ProgrammingError) as err:
            cur.execute("SELECT 1; SELECT 2")
        assert "executescript()" in err.value.msg


def test_red_team_round_with_huge_negative_places_and_a_schema_named_control(tmp_path):
    """ROUND(1, -1e20) used to build 10**1e20 and hang; a schema named like an engine file
    used to fail with FileExistsError."""
    import core

    with core.connect(str(tmp_path / "db"), create=True, autocommit=True) as c:
        cur = c.cursor()
        cur.execute("SELECT ROUND(1, -1e20), TRUNCATE(1, -100000000), ROUND(1234, -2)")
        assert cur.fetchall() == [(0, 0, 1200)]
        cur.execute("CREATE DATABASE control")
        cur.execute("CREATE TABLE control.t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO control.t VALUES (1)")
        cur.execute("SELECT id FROM control.t")
        assert cur.fetchall() == [(1,)]
