"""A sign after an exponent's digits ends the number, as in MySQL (sqlglot read
``1e0+1`` as one number and ``1e1+2e1`` as an identifier)."""


def test_exponent_followed_by_a_sign(q):
    assert q("SELECT 1e0+1, 1e1+2e1, 0.1e0+0.2e0, 1e+1, 1.5e-3+1, 2e2-1") == [
        (2.0, 30.0, 0.30000000000000004, 10.0, 1.0015, 199.0)]
    q("CREATE TABLE t (a INT, d DOUBLE)")
    q("INSERT INTO t VALUES (1, 1e0+1)")
    assert q("SELECT d FROM t WHERE d = 1e0+1") == [(2.0,)]
    assert q("SELECT 'a1e0+1'") == [("a1e0+1",)]
