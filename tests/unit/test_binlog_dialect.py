"""PURGE / FLUSH [BINARY] LOGS / SHOW BINARY LOG STATUS parse into typed nodes that print
back; every other FLUSH or PURGE stays a Command (answered 1235 by name)."""

from __future__ import annotations

import pytest
from sqlglot import exp

from core.errors import ProgrammingError
from core.sql import dialect
from core.sql.statements import StatementKind, kind_of


@pytest.mark.parametrize("sql,printed", [
    ("PURGE BINARY LOGS TO 'binlog.000002'", "PURGE BINARY LOGS TO 'binlog.000002'"),
    ("purge master logs to 'binlog.000002'", "PURGE BINARY LOGS TO 'binlog.000002'"),
    ("PURGE BINARY LOGS BEFORE '2024-01-01 00:00:00'",
     "PURGE BINARY LOGS BEFORE '2024-01-01 00:00:00'"),
    ("PURGE BINARY LOGS BEFORE NOW() - INTERVAL 3 DAY",
     "PURGE BINARY LOGS BEFORE NOW() - INTERVAL '3' DAY"),
    ("FLUSH BINARY LOGS", "FLUSH BINARY LOGS"),
    ("flush local binary logs;", "FLUSH BINARY LOGS"),
    ("FLUSH NO_WRITE_TO_BINLOG LOGS", "FLUSH LOGS"),
])
def test_round_trip(sql, printed):
    node = dialect.parse_one(sql)
    assert isinstance(node, (dialect.PurgeBinaryLogs, dialect.FlushLogs))
    assert kind_of(node) is StatementKind.ADMIN
    out = node.sql(dialect=dialect.Kintsugi)
    assert out == printed
    assert dialect.parse_one(out) == node


def test_show_binary_log_status():
    node = dialect.parse_one("SHOW BINARY LOG STATUS")
    assert isinstance(node, exp.Show) and node.name == "BINARY LOG STATUS"
    assert dialect.parse_one("SHOW BINARY LOGS").name == "BINARY LOGS"


@pytest.mark.parametrize("sql", ["FLUSH TABLES", "FLUSH LOGS, TABLES", "FLUSH BINARY LOGS x",
                                 "PURGE foo"])
def test_other_forms_stay_commands(sql):
    assert isinstance(dialect.parse_one(sql), exp.Command)


@pytest.mark.parametrize("sql", ["PURGE BINARY LOGS", "PURGE BINARY LOGS TO binlog",
                                 "PURGE MASTER LOGS AFTER '2024-01-01'"])
def test_incomplete_purge_is_a_syntax_error(sql):
    with pytest.raises(ProgrammingError) as e:
        dialect.parse_one(sql)
    assert e.value.errno == 1064
