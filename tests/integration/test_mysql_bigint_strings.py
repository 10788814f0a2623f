"""An integer column against a quoted integer compares as integers (MySQL converts the
constant to the column's type), not as doubles that cannot tell 2^53 + 1 from 2^53."""

import pytest


@pytest.mark.parametrize("indexed", [False, True])
def test_quoted_integer_against_bigint(q, indexed):
    q("CREATE TABLE big (id INT PRIMARY KEY, s BIGINT, u BIGINT UNSIGNED"
      + (", KEY (s), KEY (u))" if indexed else ")"))
    q("INSERT INTO big VALUES (1, 9007199254740993, 18446744073709551614), "
      "(2, 9007199254740992, 18446744073709551615)")
    assert q("SELECT id FROM big WHERE s = '9007199254740992'") == [(2,)]
    assert q("SELECT id FROM big WHERE s > '9007199254740992'") == [(1,)]
    assert q("SELECT id FROM big WHERE u = '18446744073709551615'") == [(2,)]
    assert q("SELECT id FROM big WHERE s = ' 9007199254740992 '") == [(2,)]
    assert q("DELETE FROM big WHERE s = '9007199254740992'") == 1
    assert q("SELECT id FROM big") == [(1,)]
