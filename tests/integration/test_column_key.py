"""COLUMN_KEY (DESCRIBE's Key) as MySQL: PRI on every column of a composite primary key."""


def test_every_primary_key_column_is_pri(q):
    q("CREATE TABLE t (a INT, b INT, c INT, d INT, PRIMARY KEY (a, b), KEY (c), UNIQUE (d))")
    assert [(r[0], r[3]) for r in q("DESCRIBE t")] == [("a", "PRI"), ("b", "PRI"),
                                                      ("c", "MUL"), ("d", "UNI")]
    assert q("SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS "
             "WHERE TABLE_NAME = 't' ORDER BY ORDINAL_POSITION") == [
        ("a", "PRI"), ("b", "PRI"), ("c", "MUL"), ("d", "UNI")]
