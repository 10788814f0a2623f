"""RANGE window frames with INTERVAL offsets over a temporal ORDER BY key (MySQL 8):
moving sums over days and hours, DESC order, NULL keys, and MySQL's 3586/3588/3589."""

import datetime as dt

import pytest

import core


@pytest.fixture
def sales(q):
    q("CREATE TABLE s (d DATE, v INT, t DATETIME)")
    q("INSERT INTO s VALUES ('2024-01-01', 1, '2024-01-01 10:00:00'), "
      "('2024-01-03', 2, '2024-01-01 11:00:00'), ('2024-01-08', 4, '2024-01-02 09:00:00'), "
      "('2024-01-09', 8, NULL), (NULL, 16, '2024-01-01 10:30:00')")
    return q


def D(day):
    return dt.date(2024, 1, day)


def test_moving_sum_over_days(sales):
    rows = sales("SELECT d, SUM(v) OVER (ORDER BY d RANGE BETWEEN INTERVAL 2 DAY PRECEDING "
                 "AND CURRENT ROW) FROM s ORDER BY d")
    # a NULL key's frame is its NULL peers
    assert rows == [(None, 16), (D(1), 1), (D(3), 3), (D(8), 4), (D(9), 12)]


def test_desc_order_and_following(sales):
    rows = sales("SELECT d, SUM(v) OVER (ORDER BY d DESC RANGE BETWEEN INTERVAL 2 DAY "
                 "PRECEDING AND INTERVAL 1 DAY FOLLOWING) FROM s ORDER BY d DESC")
    assert rows == [(D(9), 12), (D(8), 12), (D(3), 2), (D(1), 3), (None, 16)]


def test_datetime_key_with_hours_and_a_parameter(sales, conn):
    rows = sales("SELECT t, COUNT(*) OVER (ORDER BY t RANGE INTERVAL 1 HOUR PRECEDING) "
                 "FROM s WHERE t IS NOT NULL ORDER BY t")
    assert [r[1] for r in rows] == [1, 2, 3, 1]
    cur = conn.cursor()
    cur.execute("SELECT COUNT(*) OVER (ORDER BY t RANGE INTERVAL %s MINUTE PRECEDING) "
                "FROM s WHERE t IS NOT NULL ORDER BY t", (30,))
    assert [r[0] for r in cur.fetchall()] == [1, 2, 2, 1]


def test_interval_past_the_calendar_takes_every_row(sales):
    rows = sales("SELECT SUM(v) OVER (ORDER BY d RANGE BETWEEN INTERVAL 5000 YEAR PRECEDING "
                 "AND INTERVAL 9000 YEAR FOLLOWING) FROM s WHERE d IS NOT NULL")
    assert rows == [(15,)] * 4


@pytest.mark.parametrize("sql, errno", [
    ("SELECT SUM(v) OVER (ORDER BY d RANGE 2 PRECEDING) FROM s", 3588),
    ("SELECT SUM(v) OVER (ORDER BY v RANGE INTERVAL 2 DAY PRECEDING) FROM s", 3589),
    ("SELECT SUM(v) OVER (ORDER BY d, v RANGE INTERVAL 2 DAY PRECEDING) FROM s", 3587),
    ("SELECT SUM(v) OVER (ORDER BY d ROWS INTERVAL 2 DAY PRECEDING) FROM s", 3586),
    ("SELECT SUM(v) OVER (ORDER BY d RANGE INTERVAL -1 DAY PRECEDING) FROM s", 3586),
])
def test_errors(sales, sql, errno):
    with pytest.raises(core.Error) as e:
        sales(sql)
    assert e.value.errno == errno, str(e.value)
