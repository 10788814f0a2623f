"""A HAVING name that is both a select alias and a column: MySQL takes a GROUP BY column
first, then the alias, then any other column (MySQL 8 manual, SELECT: HAVING)."""


def test_alias_wins_over_a_column_not_in_group_by(q):
    q("CREATE TABLE t (a INT, n INT)")
    q("INSERT INTO t VALUES (1, 0), (1, 0), (2, 9)")
    assert q("SELECT a, COUNT(*) AS n FROM t GROUP BY a HAVING n > 1") == [(1, 2)]
    # n in GROUP BY: the column
    assert q("SELECT a, COUNT(*) AS n FROM t GROUP BY a, n HAVING n > 1") == [(2, 1)]
    assert q("SELECT a AS n, COUNT(*) FROM t GROUP BY a HAVING n > 1") == [(2, 1)]
