"""Values print as the mysql 8 client prints them, wherever the console or `kintsugi sql`
shows them: DECIMAL with its scale and no exponent, TIME as [-]HH:MM:SS, DOUBLE as mysqld
writes it (my_gcvt).  The expected texts are MySQL 8.0's answers."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal

import pytest

import core
from tui.format import cell, double_text, format_table
from tui.resultset import ResultBuilder, export, text_of
from tui.widgets.grid import _mysql_cell_formatter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (select expression, what mysql 8 prints)
MYSQL_ANSWERS = [
    # DECIMAL: the value's scale, plain digits
    ("ROUND(123.456, -1)", "120"),
    ("0.0000001 * 1", "0.0000001"),
    ("CAST(1e-10 AS DECIMAL(20,15))", "0.000000000100000"),
    ("CAST(1 AS DECIMAL(10,2))", "1.00"),
    ("CAST(0 AS DECIMAL(5,3))", "0.000"),
    ("0.1 + 0.2", "0.3"),
    ("-0.0", "0.0"),
    ("CAST(1e25 AS DECIMAL(30,0))", "10000000000000000000000000"),
    # TIME
    ("SEC_TO_TIME(3661)", "01:01:01"),
    ("CAST('-00:00:01' AS TIME)", "-00:00:01"),
    ("CAST('838:59:59' AS TIME)", "838:59:59"),
    ("CAST('-838:59:59' AS TIME)", "-838:59:59"),
    ("CAST('01:01:01.5' AS TIME(6))", "01:01:01.500000"),
    ("TIME('00:00:00')", "00:00:00"),
    # DOUBLE
    ("1e0", "1"),
    ("1 + '1'", "2"),
    ("1e20", "1e20"),
    ("1e15", "1e15"),
    ("1e14", "100000000000000"),
    ("1.5e15", "1.5e15"),
    ("0.1e0 + 0.2e0", "0.30000000000000004"),
    ("-0.0e0", "-0"),
    ("123.456e0", "123.456"),
    ("1e-5", "0.00001"),
    ("1e-15", "0.000000000000001"),
    ("1e-16", "1e-16"),
    ("-1.5e-20", "-1.5e-20"),
    ("SQRT(2)", "1.4142135623730951"),
    # DATETIME: a fraction only when there is one (the column's fsp is not known)
    ("CAST('2020-01-01 00:00:00' AS DATETIME)", "2020-01-01 00:00:00"),
    ("CAST('2020-01-01 00:00:00.5' AS DATETIME(6))", "2020-01-01 00:00:00.500000"),
    ("CAST('2020-01-01' AS DATE)", "2020-01-01"),
    # kept as they were
    ("NULL", "NULL"),
    ("X'00FF'", "0x00ff"),
    ("'text'", "text"),
]


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """Every expression's value, from the real engine (one connection for the module)."""
    conn = core.connect(str(tmp_path_factory.mktemp("fmt") / "db"), create=True,
                        autocommit=True, flush_interval=0)
    cur = conn.cursor()
    values = {}
    for expr, _ in MYSQL_ANSWERS:
        cur.execute(f"SELECT {expr}")
        values[expr] = cur.fetchone()[0]
    conn.close()
    return values


@pytest.mark.parametrize(("expr", "mysql"), MYSQL_ANSWERS, ids=[e for e, _ in MYSQL_ANSWERS])
def test_cell_prints_what_mysql_prints(answers, expr, mysql):
    assert cell(answers[expr]) == mysql


def test_the_grid_the_copy_and_the_csv_show_the_same_text(answers, tmp_path):
    """Through the Arrow table the grid pages over: a column per expression."""
    names = [e for e, _ in MYSQL_ANSWERS]
    b = ResultBuilder(names)
    b.add([tuple(answers[e] for e in names)])
    row = b.table().to_pylist()[0]
    keys = list(row)
    for i, (expr, mysql) in enumerate(MYSQL_ANSWERS):
        value = row[keys[i]]
        if value is not None:  # NULL is the widget's own (null_rep), as before
            assert _mysql_cell_formatter(value, "NULL").plain == mysql, expr
        assert ("NULL" if value is None else text_of(value)) == mysql, expr
    export(b.table(), str(tmp_path / "r.csv"))
    fields = (tmp_path / "r.csv").read_text().splitlines()[1].split(",")
    assert fields == ["" if m == "NULL" else m for _, m in MYSQL_ANSWERS]


def test_json_export_keeps_decimals_exact_in_plain_digits(tmp_path):
    b = ResultBuilder(["d", "t"])
    b.add([(Decimal("1E-7"), dt.timedelta(hours=-1))])
    export(b.table(), str(tmp_path / "r.json"))
    assert '"d": "0.0000001"' in (tmp_path / "r.json").read_text()
    assert '"t": "-01:00:00"' in (tmp_path / "r.json").read_text()


def test_double_text_follows_my_gcvt():
    assert double_text(1234567890123456.0) == "1.234567890123456e15"  # no digit after point
    assert double_text(1234567890123456.8) == "1234567890123456.8"  # has one: plain
    assert double_text(1.7976931348623157e308) == "1.7976931348623157e308"
    assert double_text(5e-324) == "5e-324"
    assert double_text(100.0) == "100" and double_text(-123.0) == "-123"
    assert double_text(0.0) == "0"


def test_table_aligns_numbers_by_their_mysql_text():
    out = format_table(["x"], [(1e15,), (Decimal("1E-7"),)])
    assert out.splitlines()[3:5] == ["|      1e15 |", "| 0.0000001 |"]


def test_kintsugi_sql_table_and_batch_output(tmp_path):
    db = str(tmp_path / "db")
    sql = ("SELECT ROUND(123.456, -1) AS d, SEC_TO_TIME(3661) AS t, 1e0 AS one, "
           "1.5e15 AS big, CAST('-00:00:01' AS TIME) AS neg, X'00FF' AS b, NULL AS n")
    run = [sys.executable, "-m", "tui.cli", "sql", db]
    r = subprocess.run([*run, "--create", "-B", "-e", sql], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["d\tt\tone\tbig\tneg\tb\tn",
                                     "120\t01:01:01\t1\t1.5e15\t-00:00:01\t0x00ff\tNULL"]
    r = subprocess.run([*run, "-e", sql], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "| 120 | 01:01:01 |   1 | 1.5e15 | -00:00:01 | 0x00ff | NULL |" in r.stdout
