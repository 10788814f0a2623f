"""core.sql.expr / core.sql.functions: expressions parsed by sqlglot (MySQL dialect), compiled
to closures and evaluated, with MySQL's results (NULL logic, types, errors)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from core.errors import DataError, Error, NotSupportedError, ProgrammingError
from core.sql.expr import (
    AmbiguousColumnError,
    BadFieldError,
    EvalContext,
    RowScope,
    Scope,
    compile_expr,
    compile_predicate,
    constant_value,
    eval_const,
    like_matcher,
)
from core.sql.functions import FUNCTIONS, make_aggregate

NOW = dt.datetime(2024, 3, 15, 10, 20, 30)
COLUMNS = [("t", "a"), ("t", "b"), ("t", "s"), ("u", "n"), ("u", "d")]
ROW = (1, 2, "Hello", None, dt.date(2024, 1, 31))


def parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one("SELECT " + sql, read="mysql").expressions[0]


def ctx(**kw: Any) -> EvalContext:
    kw.setdefault("now", NOW)
    kw.setdefault("current_db", "test")
    return EvalContext(**kw)


def ev(sql: str, row: tuple = ROW, scope: Scope | None = None, **kw: Any) -> Any:
    node = parse(sql)
    return compile_expr(node, scope or RowScope(COLUMNS), ctx(**kw))(row)


def err(sql: str, **kw: Any) -> Error:
    with pytest.raises(Error) as ei:
        ev(sql, **kw)
    return ei.value


# --- three-valued logic ------------------------------------------------------------------------

T3 = [1, 0, None]


def sql_lit(v: Any) -> str:
    return "NULL" if v is None else str(v)


def mysql_and(a, b):
    if a == 0 or b == 0:
        return 0
    if a is None or b is None:
        return None
    return 1


def mysql_or(a, b):
    if a == 1 or b == 1:
        return 1
    if a is None or b is None:
        return None
    return 0


@pytest.mark.parametrize("a, b", list(itertools.product(T3, T3)))
def test_truth_tables(a, b):
    A, B = sql_lit(a), sql_lit(b)
    assert ev(f"{A} AND {B}") == mysql_and(a, b)
    assert ev(f"{A} OR {B}") == mysql_or(a, b)
    assert ev(f"{A} XOR {B}") == (None if a is None or b is None else int(a != b))
    assert ev(f"{A} <=> {B}") == int(a == b)
    assert ev(f"{A} = {B}") == (None if a is None or b is None else int(a == b))


@pytest.mark.parametrize("a, expected", [(1, 0), (0, 1), (None, None)])
def test_not(a, expected):
    assert ev(f"NOT {sql_lit(a)}") == expected
    assert ev(f"!{sql_lit(a)}") == expected


def test_logic_over_columns_and_non_boolean_values():
    # n is NULL in ROW, a = 1, s = 'Hello' (a string is false: it converts to 0)
    assert ev("n > 0 AND a = 1") is None
    assert ev("n > 0 AND a = 2") == 0
    assert ev("n > 0 OR a = 1") == 1
    assert ev("a AND b") == 1
    assert ev("s AND a") == 0
    assert ev("'1x' AND a") == 1
    assert ev("2.5 AND 0.0") == 0
    assert ev("a = 1 AND b = 2 AND s = 'Hello' AND n IS NULL") == 1
    assert ev("a = 1 AND b = 2 AND n = 3") is None
    assert ev("a = 1 && b = 3") == 0
    assert ev("a = 5 || b = 2") == 1


def test_and_short_circuits_on_false_like_mysql():
    # the right side would overflow; FALSE AND x never evaluates x
    assert ev("0 AND 9223372036854775807 + a > 0") == 0
    assert ev("a = 2 AND 9223372036854775807 + a > 0") == 0
    with pytest.raises(DataError):
        ev("a = 1 AND 9223372036854775807 + a > 0")


@pytest.mark.parametrize("sql, expected", [
    ("NULL IS NULL", 1), ("n IS NULL", 1), ("a IS NULL", 0), ("n IS NOT NULL", 0),
    ("1 IS TRUE", 1), ("0 IS TRUE", 0), ("NULL IS TRUE", 0), ("0 IS FALSE", 1),
    ("NULL IS FALSE", 0), ("NULL IS NOT TRUE", 1), ("NULL IS UNKNOWN", 1),
    ("'abc' IS FALSE", 1), ("ISNULL(n)", 1), ("ISNULL(a)", 0),
])
def test_is(sql, expected):
    assert ev(sql) == expected


# --- comparisons ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sql, expected", [
    ("1 = 1", 1), ("1 <> 1", 0), ("1 != 2", 1), ("1 < 2", 1), ("2 <= 2", 1), ("3 > 2", 1),
    ("2 >= 3", 0), ("1 = 1.0", 1), ("0.1 = 0.1e0", 1), ("1 = NULL", None),
    ("NULL <> NULL", None), ("'10' = 10", 1), ("'10' > '9'", 0), ("10 > '9'", 1),
    ("'abc' = 0", 1), ("'1abc' = 1", 1), ("'' = 0", 1), ("' 5' = 5", 1),
    ("'a' = 'A'", 0), ("'a' < 'B'", 0), ("'a' = 'a '", 0),
    ("DATE '2024-01-31' = '2024-01-31'", 1), ("d = '2024-01-31'", 1), ("d < '2024-02-01'", 1),
    ("d = 20240131", 1), ("DATE '2024-01-01' < TIMESTAMP '2024-01-01 00:00:01'", 1),
    ("DATE '2024-01-01' = TIMESTAMP '2024-01-01 00:00:00'", 1),
    ("'2024-01-31' = d", 1), ("5 > a", 1), ("1 = a", 1), ("a = '1'", 1), ("s = 'Hello'", 1),
    ("s = 'hello'", 0), ("s > 'Hello world'", 0), ("a = b - 1", 1), ("s = 5", 0),
    ("(1, 2) = (1, 2)", 1), ("(1, 2) = (1, 3)", 0), ("(1, NULL) = (1, 2)", None),
    ("(1, NULL) = (2, 2)", 0), ("(1, 2) < (1, 3)", 1), ("(2, 0) > (1, 9)", 1),
    ("(1, 2) <> (1, 2)", 0), ("(NULL, 1) <=> (NULL, 1)", 1),
])
def test_comparisons(sql, expected):
    assert ev(sql) == expected


@pytest.mark.parametrize("sql, expected", [
    ("2 BETWEEN 1 AND 3", 1), ("2 BETWEEN 3 AND 1", 0), ("1 BETWEEN 1 AND 1", 1),
    ("NULL BETWEEN 1 AND 2", None), ("2 BETWEEN 1 AND NULL", None),
    ("1 BETWEEN 2 AND NULL", 0), ("3 BETWEEN NULL AND 2", 0), ("2 BETWEEN NULL AND 3", None),
    ("2 NOT BETWEEN 1 AND 3", 0), ("'b' BETWEEN 'a' AND 'c'", 1), ("'5' BETWEEN 1 AND 10", 1),
    ("d BETWEEN '2024-01-01' AND '2024-01-31'", 1), ("a BETWEEN 1.5 AND 2", 0),
    ("2.5 BETWEEN a AND b + 1", 1),
])
def test_between(sql, expected):
    assert ev(sql) == expected


@pytest.mark.parametrize("sql, expected", [
    ("2 IN (0, 3, 5, 7)", 0), ("3 IN (0, 3, 5)", 1), ("'wefwf' IN ('wee', 'wefwf')", 1),
    ("1 IN (1, NULL)", 1), ("2 IN (1, NULL)", None), ("NULL IN (1, 2)", None),
    ("2 NOT IN (1, NULL)", None), ("1 NOT IN (2, 3)", 1), ("1 NOT IN (1, NULL)", 0),
    ("'2' IN (1, 2)", 1), ("2 IN ('1', '2')", 1), ("1.0 IN (1, 2)", 1), ("0.1e0 IN (0.1)", 1),
    ("a IN (b - 1, 7)", 1), ("a IN (b, n)", None), ("s IN ('hello')", 0),
    ("d IN ('2024-01-31')", 1), ("(1, 2) IN ((1, 2), (3, 4))", 1),
    ("(1, 5) IN ((1, 2), (3, 4))", 0), ("(1, NULL) IN ((1, 2))", None),
])
def test_in(sql, expected):
    assert ev(sql) == expected


def test_in_fast_paths_agree_with_mysql_on_mixed_rows():
    scope = RowScope([(None, "x")])
    f = compile_expr(parse("x IN (1, 2, 3)"), scope, ctx())
    assert [f((v,)) for v in (1, 4, None, "2", 2.0, Decimal("3.0"), "x")] == [1, 0, None, 1, 1,
                                                                              1, 0]
    g = compile_expr(parse("x IN ('a', 'b')"), scope, ctx())
    assert [g((v,)) for v in ("a", "A", None, 0)] == [1, 0, None, 1]  # 0 = 'a' numerically


# --- LIKE / REGEXP -------------------------------------------------------------------------------


@pytest.mark.parametrize("sql, expected", [
    ("'abc' LIKE 'a%'", 1), ("'abc' LIKE '%c'", 1), ("'abc' LIKE '%b%'", 1),
    ("'abc' LIKE 'a_c'", 1), ("'abc' LIKE 'a_'", 0), ("'abc' LIKE 'abc'", 1),
    ("'abc' LIKE 'ABC'", 0), ("'' LIKE '%'", 1), ("'' LIKE '_'", 0), ("NULL LIKE 'a'", None),
    ("'a' LIKE NULL", None), ("'a_c' LIKE 'a\\_c'", 1), ("'abc' LIKE 'a\\_c'", 0),
    ("'50%' LIKE '50\\%'", 1), ("'500' LIKE '50\\%'", 0), ("'a|%' LIKE 'a||%' ESCAPE '|'", 1),
    ("'a%' LIKE 'a|%' ESCAPE '|'", 1), ("'ab' LIKE 'a|%' ESCAPE '|'", 0),
    ("'a\\\\b' LIKE 'a\\\\\\\\b'", 1), ("'abc' NOT LIKE 'a%'", 0), ("'xbc' NOT LIKE 'a%'", 1),
    ("NULL NOT LIKE 'a'", None), ("123 LIKE '12%'", 1), ("1.50 LIKE '1.5_'", 1),
    ("d LIKE '2024-01%'", 1), ("'a\\nb' LIKE 'a_b'", 1), ("'x.y' LIKE 'x_y'", 1),
    ("'x+y' LIKE 'x+%'", 1), ("s LIKE 'He%o'", 1), ("s LIKE 'he%'", 0),
])
def test_like(sql, expected):
    assert ev(sql) == expected


def test_like_matcher_shapes():
    assert like_matcher("a%")("abc") and not like_matcher("a%")("bac")
    assert like_matcher("%%b%%")("abc")
    assert like_matcher("a%c%e")("abcde") and not like_matcher("a%c%e")("abcd")
    assert like_matcher("a|_", "|")("a_") and not like_matcher("a|_", "|")("ab")
    assert like_matcher("a\\")("a\\")  # a trailing escape character is literal


def test_like_with_column_pattern():
    scope = RowScope([(None, "v"), (None, "p")])
    f = compile_expr(parse("v LIKE p"), scope, ctx())
    assert [f(r) for r in [("abc", "a%"), ("abc", "b%"), ("abc", None)]] == [1, 0, None]


@pytest.mark.parametrize("sql, expected", [
    ("'abc' REGEXP 'b'", 1), ("'abc' REGEXP '^b'", 0), ("'abc' RLIKE 'B'", 0),
    ("'abc' NOT REGEXP 'z'", 1), ("REGEXP_LIKE('Abc', '^a', 'i')", 1), ("NULL REGEXP 'a'", None),
    ("REGEXP_REPLACE('a1b2', '[0-9]', 'X')", "aXbX"), ("REGEXP_SUBSTR('ab12cd', '[0-9]+')", "12"),
    ("REGEXP_INSTR('ab12cd', '[0-9]')", 3),
])
def test_regexp(sql, expected):
    assert ev(sql) == expected


def test_bad_regexp_is_an_error():
    assert err("'a' REGEXP '('").errno == 3685


# --- arithmetic ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sql, expected", [
    ("1 + 2", 3), ("a + b", 3), ("b - 5", -3), ("a * 3", 3), ("1 / 3", Decimal("0.3333")),
    ("6 / 3", Decimal("2.0000")), ("1.0 / 3", Decimal("0.33333")), ("1 / 0", None),
    ("1 / n", None), ("n + 1", None), ("7 DIV 2", 3), ("-7 DIV 2", -3), ("7 DIV 0", None),
    ("7 % 3", 1), ("-7 % 3", -1), ("7 MOD -3", 1), ("MOD(29, 9)", 2), ("MOD(34.5, 3)",
                                                                          Decimal("1.5")),
    ("7 % 0", None), ("1.5 * 2", Decimal("3.0")), ("0.1 + 0.2", Decimal("0.3")),
    ("1e0 + 1", 2.0), ("'3' + 1", 4.0), ("'3abc' * 2", 6.0), ("-a", -1), ("- -a", 1),
    ("-9223372036854775808", -9223372036854775808), ("18446744073709551615", 2**64 - 1),
    ("18446744073709551616", Decimal("18446744073709551616")),
    ("9223372036854775807 + 0", 9223372036854775807), ("18446744073709551615 - 1", 2**64 - 2),
    ("5 & 3", 1), ("5 | 3", 7), ("5 ^ 3", 6), ("~0", 2**64 - 1), ("1 << 3", 8), ("8 >> 2", 2),
    ("-1 & 255", 255), ("b * 2 + 1", 5), ("(a + 1) * b", 4), ("1 - 2.5", Decimal("-1.5")),
])
def test_arithmetic(sql, expected):
    got = ev(sql)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize("sql, message", [
    ("9223372036854775807 + 1", "BIGINT value is out of range in '(9223372036854775807 + 1)'"),
    ("9223372036854775807 + a", "BIGINT value is out of range in '(9223372036854775807 + a)'"),
    ("-9223372036854775808 - a",
     "BIGINT value is out of range in '(-9223372036854775808 - a)'"),
    ("4611686018427387904 * b", "BIGINT value is out of range in '(4611686018427387904 * b)'"),
    ("18446744073709551615 + a",
     "BIGINT UNSIGNED value is out of range in '(18446744073709551615 + a)'"),
    ("-(-9223372036854775808)", "BIGINT value is out of range in '-(-9223372036854775808)'"),
    ("1e308 * 10", "DOUBLE value is out of range in '(1e308 * 10)'"),
    ("EXP(1000)", "DOUBLE value is out of range in 'EXP(1000)'"),
])
def test_overflow_is_error_1690(sql, message):
    e = err(sql)
    assert (e.errno, e.sqlstate, e.msg) == (1690, "22003", message)


def test_constant_overflow_is_raised_at_evaluation_not_compilation():
    f = compile_expr(parse("9223372036854775807 + 1"), Scope(), ctx())
    with pytest.raises(DataError):
        f(())


def test_division_by_zero_warns():
    c = ctx()
    compile_expr(parse("a / 0"), RowScope(COLUMNS), c)(ROW)
    assert c.warnings == [("Warning", 1365, "Division by 0")]


# --- CASE / IF / COALESCE -----------------------------------------------------------------------


CONTROL_CASES = [
    ("CASE 1 WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'more' END", "one"),
    ("CASE 3 WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'more' END", "more"),
    ("CASE 3 WHEN 1 THEN 'one' END", None), ("CASE NULL WHEN NULL THEN 1 ELSE 2 END", 2),
    ("CASE 'B' WHEN 'a' THEN 1 WHEN 'b' THEN 2 END", None), ("CASE '2' WHEN 2 THEN 'x' END", "x"),
    ("CASE WHEN a > 1 THEN 'big' WHEN a = 1 THEN 'one' END", "one"),
    ("CASE WHEN n THEN 1 ELSE 0 END", 0), ("CASE WHEN s THEN 1 ELSE 0 END", 0),
    ("IF(1 > 2, 2, 3)", 3), ("IF(1 < 2, 'yes', 'no')", "yes"), ("IF(NULL, 1, 2)", 2),
    ("IF('0.0', 1, 2)", 2), ("IFNULL(NULL, 10)", 10), ("IFNULL(1, 0)", 1),
    ("IFNULL(n, s)", "Hello"), ("NULLIF(1, 1)", None), ("NULLIF(1, 2)", 1),
    ("NULLIF(NULL, 1)", None), ("COALESCE(NULL, NULL, 3)", 3), ("COALESCE(n, a)", 1),
    ("COALESCE(NULL)", None),
]


@pytest.mark.parametrize("sql, expected", CONTROL_CASES)
def test_control_flow(sql, expected):
    assert ev(sql) == expected


# --- CAST ----------------------------------------------------------------------------------------


CAST_CASES = [
    ("CAST('12abc' AS SIGNED)", 12), ("CAST('abc' AS SIGNED)", 0), ("CAST(1.5 AS SIGNED)", 2),
    ("CAST(-1.5 AS SIGNED)", -2), ("CAST(-1 AS UNSIGNED)", 18446744073709551615),
    ("CAST('2.7' AS SIGNED INTEGER)", 2), ("CONVERT('42', SIGNED)", 42),
    ("CAST(1.235 AS DECIMAL(5,2))", Decimal("1.24")), ("CAST(12345 AS DECIMAL(3,1))",
                                                         Decimal("99.9")),
    ("CAST('1.5' AS DECIMAL)", Decimal("2")), ("CAST(123 AS CHAR)", "123"),
    ("CAST('abcdef' AS CHAR(3))", "abc"), ("CAST(1.50 AS CHAR)", "1.50"),
    ("CAST('2024-01-31 10:00:00' AS DATE)", dt.date(2024, 1, 31)),
    ("CAST('2024-02-30' AS DATE)", None), ("CAST('abc' AS DATE)", None),
    ("CAST('2024-01-31' AS DATETIME)", dt.datetime(2024, 1, 31)),
    ("CAST('2024-01-31 10:00:00.5' AS DATETIME)", dt.datetime(2024, 1, 31, 10, 0, 1)),
    ("CAST('2024-01-31 10:00:00.5' AS DATETIME(1))",
     dt.datetime(2024, 1, 31, 10, 0, 0, 500000)),
    ("CAST('10:11:12' AS TIME)", dt.timedelta(hours=10, minutes=11, seconds=12)),
    ("CAST('1.5' AS DOUBLE)", 1.5), ("CAST(d AS CHAR)", "2024-01-31"),
    ("CAST(NULL AS SIGNED)", None), ("CAST('ab' AS BINARY)", b"ab"),
    ("CAST('ab' AS BINARY(4))", b"ab\x00\x00"), ("CONVERT(s USING utf8mb4)", "Hello"),
    ("DATE '2024-02-29'", dt.date(2024, 2, 29)),
    ("TIMESTAMP '2024-02-29 10:11:12'", dt.datetime(2024, 2, 29, 10, 11, 12)),
    ("BINARY s = 'Hello'", 1),
]


@pytest.mark.parametrize("sql, expected", CAST_CASES)
def test_cast(sql, expected):
    got = ev(sql)
    assert got == expected
    assert type(got) is type(expected)


def test_unsupported_cast():
    e = err("CAST(a AS YEAR)")
    assert isinstance(e, NotSupportedError) and e.errno == 1235


# --- functions -----------------------------------------------------------------------------------

FUNCTION_CASES = [
    # strings
    ("CONCAT('My', 'S', 'QL')", "MySQL"), ("CONCAT('My', NULL, 'QL')", None),
    ("CONCAT(14.3)", "14.3"), ("CONCAT(s, a)", "Hello1"), ("'a' 'b'", "ab"),
    ("CONCAT_WS(',', 'First', NULL, 'Last')", "First,Last"), ("CONCAT_WS(NULL, 'a')", None),
    ("LENGTH('héllo')", 6), ("OCTET_LENGTH('ab')", 2), ("CHAR_LENGTH('héllo')", 5),
    ("CHARACTER_LENGTH('ab')", 2), ("LENGTH(NULL)", None), ("BIT_LENGTH('a')", 8),
    ("LOWER('QuAd')", "quad"), ("LCASE('A')", "a"), ("UPPER(s)", "HELLO"), ("UCASE('b')", "B"),
    ("SUBSTRING('Quadratically', 5)", "ratically"), ("SUBSTRING('foobarbar' FROM 4)", "barbar"),
    ("SUBSTRING('Quadratically', 5, 6)", "ratica"), ("SUBSTRING('Sakila', -3)", "ila"),
    ("SUBSTRING('Sakila', -5, 3)", "aki"), ("SUBSTRING('Sakila' FROM -4 FOR 2)", "ki"),
    ("SUBSTRING('abc', 0)", ""), ("SUBSTRING('abc', 10)", ""), ("SUBSTR('abc', 2, 1)", "b"),
    ("MID('abcdef', 2, 3)", "bcd"), ("SUBSTRING('abc', 2, -1)", ""),
    ("LEFT('foobarbar', 5)", "fooba"), ("RIGHT('foobarbar', 4)", "rbar"), ("LEFT('ab', -1)", ""),
    ("TRIM('  bar   ')", "bar"), ("TRIM(LEADING 'x' FROM 'xxxbarxxx')", "barxxx"),
    ("TRIM(BOTH 'x' FROM 'xxxbarxxx')", "bar"), ("TRIM(TRAILING 'xyz' FROM 'barxxyz')", "barx"),
    ("TRIM('x' FROM 'xxaxx')", "a"), ("LTRIM('  a ')", "a "), ("RTRIM(' a  ')", " a"),
    ("TRIM('\ta ')", "\ta"), ("REPLACE('www.mysql.com', 'w', 'Ww')", "WwWwWw.mysql.com"),
    ("REPLACE('abc', '', 'x')", "abc"), ("REVERSE('abc')", "cba"),
    ("REPEAT('ab', 3)", "ababab"), ("REPEAT('ab', 0)", ""), ("SPACE(3)", "   "),
    ("LPAD('hi', 4, '??')", "??hi"), ("LPAD('hi', 1, '??')", "h"), ("RPAD('hi', 5, '?')", "hi???"),
    ("RPAD('hi', 5, '')", None), ("LPAD('hi', -1, 'x')", None),
    ("INSTR('foobarbar', 'bar')", 4), ("INSTR('xbar', 'foobar')", 0),
    ("LOCATE('bar', 'foobarbar')", 4), ("LOCATE('xbar', 'foobar')", 0),
    ("LOCATE('bar', 'foobarbar', 5)", 7), ("POSITION('bar' IN 'foobarbar')", 4),
    ("ASCII('2')", 50), ("ASCII('dx')", 100), ("ASCII('')", 0), ("ORD('a')", 97),
    ("HEX('abc')", "616263"), ("HEX(255)", "FF"), ("HEX(-1)", "FFFFFFFFFFFFFFFF"),
    ("UNHEX('4D7953514C')", b"MySQL"), ("UNHEX('GG')", None), ("x'4D79'", b"My"),
    ("0x41", b"A"), ("b'101'", 5), ("STRCMP('text', 'text2')", -1), ("STRCMP('b', 'a')", 1),
    ("STRCMP('a', 'a')", 0), ("FORMAT(12332.123456, 4)", "12,332.1235"),
    ("FORMAT(12332.1, 4)", "12,332.1000"), ("FORMAT(12332.2, 0)", "12,332"),
    ("FORMAT(-1234.5, 0)", "-1,235"), ("SUBSTRING_INDEX('www.mysql.com', '.', 2)", "www.mysql"),
    ("SUBSTRING_INDEX('www.mysql.com', '.', -2)", "mysql.com"),
    ("FIELD('Bb', 'Aa', 'Bb', 'Cc')", 2), ("FIELD('Gg', 'Aa')", 0), ("ELT(2, 'a', 'b')", "b"),
    ("ELT(3, 'a', 'b')", None), ("FIND_IN_SET('b', 'a,b,c')", 2), ("CHAR(77, 121)", b"My"),
    ("INSERT('Quadratic', 3, 4, 'What')", "QuWhattic"), ("QUOTE('Don''t')", "'Don\\'t'"),
    ("MD5('a')", "0cc175b9c0f1b6a831c399e269772661"),
    ("SHA1('a')", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"),
    ("SHA2('a', 256)", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
    ("TO_BASE64('abc')", "YWJj"), ("FROM_BASE64('YWJj')", b"abc"), ("CRC32('MySQL')", 3259397556),
    ("BIN(12)", "1100"), ("OCT(12)", "14"), ("CONV('a', 16, 2)", "1010"),
    ("CONV('6E', 18, 8)", "172"), ("INET_ATON('10.0.5.9')", 167773449),
    ("INET_NTOA(167773449)", "10.0.5.9"),
    # math
    ("ABS(-32)", 32), ("ABS(-1.5)", Decimal("1.5")), ("CEIL(1.23)", 2), ("CEILING(-1.23)", -1),
    ("FLOOR(1.23)", 1), ("FLOOR(-1.23)", -2), ("CEIL(1.5e0)", 2.0),
    ("ROUND(2.5)", Decimal("3")), ("ROUND(-2.5)", Decimal("-3")), ("ROUND(2.5e0)", 2.0),
    ("ROUND(3.5e0)", 4.0), ("ROUND(1.298, 1)", Decimal("1.3")), ("ROUND(1.298, 0)", Decimal("1")),
    ("ROUND(23.298, -1)", Decimal("20")), ("ROUND(15, -1)", 20), ("ROUND(-15, -1)", -20),
    ("ROUND(7)", 7), ("ROUND(1.5e0, 1)", 1.5), ("ROUND(NULL)", None),
    ("TRUNCATE(1.223, 1)", Decimal("1.2")), ("TRUNCATE(1.999, 1)", Decimal("1.9")),
    ("TRUNCATE(-1.999, 1)", Decimal("-1.9")), ("TRUNCATE(122, -2)", 100),
    ("TRUNCATE(1.999e0, 0)", 1.0), ("POW(2, 10)", 1024.0), ("POWER(2, -2)", 0.25),
    ("SQRT(4)", 2.0), ("SQRT(-16)", None), ("EXP(0)", 1.0), ("LN(1)", 0.0), ("LN(0)", None),
    ("LOG(1)", 0.0), ("LOG(2, 65536)", 16.0), ("LOG(1, 100)", None), ("LOG2(65536)", 16.0),
    ("LOG10(100)", 2.0), ("LOG10(-1)", None), ("SIGN(-32)", -1), ("SIGN(0)", 0),
    ("SIGN(234)", 1), ("PI()", 3.141592653589793), ("DEGREES(PI())", 180.0),
    ("RADIANS(180)", 3.141592653589793), ("SIN(0)", 0.0), ("COS(0)", 1.0), ("ASIN(2)", None),
    ("ATAN2(0, 1)", 0.0), ("GREATEST(2, 0)", 2), ("GREATEST(34.0, 3.0, 767.0)", Decimal("767.0")),
    ("GREATEST('B', 'A', 'C')", "C"), ("LEAST(2, 0)", 0), ("LEAST(2, NULL)", None),
    ("LEAST('a', 'B')", "B"), ("GREATEST(d, '2024-02-01')", "2024-02-01"),
    # dates and times (NOW = 2024-03-15 10:20:30)
    ("NOW()", NOW), ("NOW(3)", NOW), ("CURRENT_TIMESTAMP", NOW), ("CURRENT_TIMESTAMP()", NOW),
    ("LOCALTIMESTAMP()", NOW), ("CURDATE()", dt.date(2024, 3, 15)),
    ("CURRENT_DATE", dt.date(2024, 3, 15)), ("CURTIME()", dt.timedelta(hours=10, minutes=20,
                                                                        seconds=30)),
    ("DATE('2024-01-31 10:11:12')", dt.date(2024, 1, 31)), ("DATE('x')", None),
    ("TIME('2024-01-31 10:11:12')", dt.timedelta(hours=10, minutes=11, seconds=12)),
    ("TIMESTAMP('2024-01-31')", dt.datetime(2024, 1, 31)),
    ("TIMESTAMP('2024-01-31', '01:00:00')", dt.datetime(2024, 1, 31, 1)),
    ("YEAR('2024-01-31')", 2024), ("MONTH(d)", 1), ("DAY(d)", 31), ("DAYOFMONTH(d)", 31),
    ("HOUR('10:11:12')", 10), ("HOUR('2024-01-31 23:11:12')", 23), ("HOUR('100:00:00')", 100),
    ("MINUTE('10:11:12')", 11), ("SECOND('10:11:12')", 12), ("MICROSECOND('10:11:12.5')", 500000),
    ("HOUR(d)", 0), ("QUARTER('2024-05-01')", 2), ("DAYOFWEEK('2024-01-07')", 1),
    ("DAYOFWEEK('2024-01-06')", 7), ("WEEKDAY('2024-01-07')", 6), ("DAYOFYEAR('2024-12-31')", 366),
    ("DAYNAME('2024-01-07')", "Sunday"), ("MONTHNAME('2024-02-01')", "February"),
    ("WEEK('2024-01-01')", 0), ("WEEK('2024-01-07')", 1), ("WEEK('2024-12-31', 3)", 1),
    ("WEEKOFYEAR('2024-12-31')", 1), ("YEARWEEK('2024-12-31', 3)", 202501),
    ("YEAR('not a date')", None), ("MONTH(NULL)", None),
    ("LAST_DAY('2024-02-10')", dt.date(2024, 2, 29)), ("LAST_DAY('2023-02-10')",
                                                        dt.date(2023, 2, 28)),
    ("DATE_FORMAT('2024-01-05 13:04:05', '%W %M %D %Y %h:%i %p')",
     "Friday January 5th 2024 01:04 PM"),
    ("DATE_FORMAT('2024-01-05 13:04:05', '%Y-%m-%d %H:%i:%s')", "2024-01-05 13:04:05"),
    ("DATE_FORMAT('2024-01-05', '%a %b %e %c %y %j %T %%')", "Fri Jan 5 1 24 005 00:00:00 %"),
    ("DATE_FORMAT('2024-01-05 03:04:05.123', '%k %l %r %f')", "3 3 03:04:05 AM 123000"),
    ("DATE_FORMAT('2024-12-31', '%U %u %V %v %X %x')", "52 53 52 01 2024 2025"),
    ("DATE_FORMAT(d, '%d/%m/%Y')", "31/01/2024"), ("DATE_FORMAT('x', '%Y')", None),
    ("TIME_FORMAT('100:00:00', '%H %k %h %i')", "100 100 04 00"),
    ("DATE_ADD('2024-01-31', INTERVAL 1 MONTH)", "2024-02-29"),
    ("DATE '2024-01-31' + INTERVAL 1 MONTH", dt.date(2024, 2, 29)),
    ("INTERVAL 1 MONTH + DATE '2024-01-31'", dt.date(2024, 2, 29)),
    ("d + INTERVAL 1 MONTH", dt.date(2024, 2, 29)), ("d - INTERVAL 2 MONTH", dt.date(2023, 11, 30)),
    ("DATE_SUB('2024-03-31', INTERVAL 1 MONTH)", "2024-02-29"),
    ("DATE '2024-02-29' + INTERVAL 1 YEAR", dt.date(2025, 2, 28)),
    ("DATE '2024-01-31' + INTERVAL 1 QUARTER", dt.date(2024, 4, 30)),
    ("DATE '2024-01-31' + INTERVAL 2 WEEK", dt.date(2024, 2, 14)),
    ("DATE_ADD('2023-12-31 23:59:59', INTERVAL 1 SECOND)", "2024-01-01 00:00:00"),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL 1 HOUR)", dt.datetime(2024, 1, 1, 1)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL -1 DAY)", dt.date(2023, 12, 31)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL '1:30' HOUR_MINUTE)", dt.datetime(2024, 1, 1, 1, 30)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL '1 2' DAY_HOUR)", dt.datetime(2024, 1, 2, 2)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL '1-2' YEAR_MONTH)", dt.date(2025, 3, 1)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL '-1 1:1:1' DAY_SECOND)",
     dt.datetime(2023, 12, 30, 22, 58, 59)),
    ("DATE_ADD(TIMESTAMP '2024-01-01 00:00:00', INTERVAL 1.5 SECOND)",
     dt.datetime(2024, 1, 1, 0, 0, 1, 500000)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL a DAY)", dt.date(2024, 1, 2)),
    ("DATE_ADD(DATE '2024-01-01', INTERVAL n DAY)", None),
    ("DATE_ADD('2024-02-30', INTERVAL 1 DAY)", None),
    ("DATE_ADD(DATE '9999-12-31', INTERVAL 1 DAY)", None),
    ("ADDDATE(DATE '2024-01-01', 31)", dt.date(2024, 2, 1)),
    ("ADDDATE(DATE '2024-01-31', INTERVAL 1 MONTH)", dt.date(2024, 2, 29)),
    ("SUBDATE(DATE '2024-01-01', 1)", dt.date(2023, 12, 31)),
    ("TIMESTAMPADD(MINUTE, 90, '2024-01-01')", "2024-01-01 01:30:00"),
    ("DATEDIFF('2024-03-01', '2024-02-01')", 29),
    ("DATEDIFF('2024-01-01 23:59:59', '2024-01-02 00:00:00')", -1),
    ("TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-02-29')", 0),
    ("TIMESTAMPDIFF(MONTH, '2024-01-31', '2024-03-31')", 2),
    ("TIMESTAMPDIFF(YEAR, '2000-02-29', '2024-02-28')", 23),
    ("TIMESTAMPDIFF(YEAR, '2024-02-28', '2000-02-29')", -23),
    ("TIMESTAMPDIFF(SECOND, '2024-01-01 00:00:00', '2024-01-01 00:01:30')", 90),
    ("TIMESTAMPDIFF(MINUTE, '2024-01-01 00:00:00', '2024-01-01 00:01:30')", 1),
    ("TIMESTAMPDIFF(DAY, '2024-01-02', '2024-01-01')", -1),
    ("TIMESTAMPDIFF(WEEK, '2024-01-01', '2024-01-20')", 2),
    ("TIMESTAMPDIFF(QUARTER, '2024-01-01', '2024-12-31')", 3),
    ("UNIX_TIMESTAMP(FROM_UNIXTIME(1700000000))", 1700000000),
    ("UNIX_TIMESTAMP('1960-01-01')", 0), ("FROM_UNIXTIME(-1)", None),
    ("DATE_FORMAT(FROM_UNIXTIME(1700000000.5), '%f')", "500000"),
    ("STR_TO_DATE('May 1, 2013', '%M %d,%Y')", dt.date(2013, 5, 1)),
    ("STR_TO_DATE('05/01/2024', '%d/%m/%Y')", dt.date(2024, 1, 5)),
    ("STR_TO_DATE('2024-01-05 13:04:05', '%Y-%m-%d %H:%i:%s')",
     dt.datetime(2024, 1, 5, 13, 4, 5)),
    ("STR_TO_DATE('a09:30:17', 'a%h:%i:%s')", dt.timedelta(hours=9, minutes=30, seconds=17)),
    ("STR_TO_DATE('09:30:17a', '%h:%i:%s')", dt.timedelta(hours=9, minutes=30, seconds=17)),
    ("STR_TO_DATE('01:04 PM 2024-01-05', '%h:%i %p %Y-%m-%d')", dt.datetime(2024, 1, 5, 13, 4)),
    ("STR_TO_DATE('2024-02-30', '%Y-%m-%d')", None), ("STR_TO_DATE('abc', '%Y')", None),
    ("STR_TO_DATE('24-1-5', '%y-%m-%d')", dt.date(2024, 1, 5)),
    ("MAKEDATE(2024, 60)", dt.date(2024, 2, 29)), ("FROM_DAYS(739281)", dt.date(2024, 1, 31)),
    ("TO_DAYS('2024-01-31')", 739281), ("TO_DAYS(950501)", 728779),
    ("TIME_TO_SEC('22:23:00')", 80580), ("SEC_TO_TIME(2378)", dt.timedelta(seconds=2378)),
    ("MAKETIME(12, 15, 30)", dt.timedelta(hours=12, minutes=15, seconds=30)),
    ("TIMEDIFF('2024-01-01 00:00:00', '2023-12-31 23:00:00')", dt.timedelta(hours=1)),
    ("TIMEDIFF('10:00:00', '11:30:00')", -dt.timedelta(hours=1, minutes=30)),
    ("ADDTIME('2024-01-01 23:00:00', '02:00:00')", dt.datetime(2024, 1, 2, 1)),
    ("EXTRACT(YEAR FROM '2024-03-05')", 2024), ("EXTRACT(YEAR_MONTH FROM '2024-03-05')", 202403),
    ("EXTRACT(HOUR FROM '2024-03-05 07:08:09')", 7),
    ("EXTRACT(DAY_MINUTE FROM '2024-03-05 07:08:09')", 50708),
    # session information
    ("DATABASE()", "test"), ("SCHEMA()", "test"), ("VERSION()", "8.0.11-KintsugiDB"),
    ("CONNECTION_ID()", 1), ("LAST_INSERT_ID()", 0), ("USER()", "root@localhost"),
    ("CURRENT_USER()", "root@localhost"), ("@@version", "8.0.11-KintsugiDB"),
    ("@@SESSION.autocommit", 1), ("@undefined_var", None),
]


@pytest.mark.parametrize("sql, expected", FUNCTION_CASES)
def test_functions(sql, expected):
    got = ev(sql)
    assert got == expected
    assert type(got) is type(expected)


def test_every_mapped_typed_node_evaluates():
    """The typed nodes sqlglot's MySQL dialect produces, and the class each one is."""
    cases = FUNCTION_CASES + CONTROL_CASES + CAST_CASES
    seen = {type(parse(sql)).__name__ for sql, _ in cases}
    for cls in ("Substring", "Trim", "DateAdd", "DateSub", "If", "Coalesce", "Cast",
                "Anonymous", "StrPosition", "Pad", "Length", "TimeToStr", "StrToDate",
                "StrToTime", "TimestampDiff", "DateDiff", "UnixToTime", "Round", "Trunc",
                "Log", "Ln", "Greatest", "Concat", "ConcatWs", "Extract", "TsOrDsToDate",
                "Year", "DayOfWeek", "Week", "LastDay", "CurrentTimestamp", "CurrentDate",
                "CurrentSchema", "CurrentVersion", "NumberToStr", "SubstringIndex", "Chr",
                "Stuff", "Space", "Repeat", "Pow", "Paren", "Add", "Nullif", "Case"):
        assert cls in seen, cls


def test_sysdate_and_uuid_are_not_folded():
    f = compile_expr(parse("UUID()"), Scope(), ctx())
    assert f(()) != f(())
    assert constant_value(f) is None
    assert len(f(())) == 36


def test_rand_matches_mysql_and_restarts_per_statement():
    c = ctx()
    f = compile_expr(parse("RAND(3)"), Scope(), c)
    assert [f(()), f(())] == [0.9057697559760601, 0.37307905813034536]
    c.run_token = object()  # the session marks each statement run
    assert f(()) == 0.9057697559760601
    g = compile_expr(parse("RAND()"), Scope(), c)
    assert 0 <= g(()) < 1 and g(()) != g(())


def test_unix_time_in_the_session_time_zone():
    c = ctx(time_zone=dt.UTC)
    assert compile_expr(parse("UNIX_TIMESTAMP('1970-01-02 00:00:00')"), Scope(), c)(()) == 86400
    assert compile_expr(parse("FROM_UNIXTIME(86400.25)"), Scope(), c)(()) == dt.datetime(
        1970, 1, 2, 0, 0, 0, 250000)
    assert compile_expr(parse("FROM_UNIXTIME(86400, '%Y %D')"), Scope(), c)(()) == "1970 2nd"
    assert compile_expr(parse("UNIX_TIMESTAMP(NULL)"), Scope(), c)(()) is None
    assert compile_expr(parse("UNIX_TIMESTAMP()"), Scope(), c)(()) == int(
        NOW.replace(tzinfo=dt.UTC).timestamp())
    assert compile_expr(parse("UTC_TIMESTAMP()"), Scope(), c)(()) == NOW


def test_last_insert_id_with_argument_sets_it():
    c = ctx()
    assert compile_expr(parse("LAST_INSERT_ID(42)"), Scope(), c)(()) == 42
    assert c.last_insert_id == 42
    assert compile_expr(parse("LAST_INSERT_ID()"), Scope(), c)(()) == 42


def test_wrong_argument_count_is_1582():
    for sql, name in [("MID('a')", "MID"), ("LPAD('a', 2)", "LPAD"), ("DATABASE(1)", "DATABASE"),
                      ("STRCMP('a')", "STRCMP"), ("weekday()", "weekday")]:
        e = err(sql)
        assert (e.errno, e.sqlstate) == (1582, "42000")
        assert e.msg == f"Incorrect parameter count in the call to native function '{name}'"


def test_unknown_function_is_1305():
    e = err("no_such_fn(1)")
    assert (e.errno, e.sqlstate) == (1305, "42000")
    assert e.msg == "FUNCTION test.no_such_fn does not exist"
    e = err("Foo()", current_db=None)
    assert e.msg == "FUNCTION Foo does not exist"


def test_registry_has_the_documented_functions():
    for name in ("CONCAT", "CONCAT_WS", "LENGTH", "CHAR_LENGTH", "SUBSTRING", "TRIM", "LPAD",
                 "INSTR", "LOCATE", "FORMAT", "ROUND", "TRUNCATE", "POW", "SQRT", "RAND",
                 "GREATEST", "NOW", "CURDATE", "DATE_FORMAT", "DATE_ADD", "DATEDIFF",
                 "TIMESTAMPDIFF", "UNIX_TIMESTAMP", "FROM_UNIXTIME", "STR_TO_DATE", "LAST_DAY",
                 "DATABASE", "VERSION", "CONNECTION_ID", "LAST_INSERT_ID"):
        assert name in FUNCTIONS


def test_unknown_system_variable():
    assert err("@@no_such_var").errno == 1193


def test_aggregate_not_mapped_by_the_planner_is_1111():
    e = err("SUM(a) + 1")
    assert (e.errno, e.msg) == (1111, "Invalid use of group function")


def test_window_function_outside_the_select_list_is_3593():
    # the planner maps window calls of the select list and ORDER BY to computed columns
    # (core.sql.plan.window); one that reaches the compiler is in a context MySQL refuses
    e = err("ROW_NUMBER() OVER (ORDER BY a)")
    assert (e.errno, e.msg) == (
        3593, "You cannot use the window function 'row_number' in this context.'")


# --- names, placeholders, context -----------------------------------------------------------------


def test_column_resolution():
    assert ev("a") == 1 and ev("t.a") == 1 and ev("T.A") == 1 and ev("u.d") == ROW[4]
    e = err("zz")
    assert isinstance(e, BadFieldError)
    assert (e.errno, e.sqlstate, e.msg) == (1054, "42S22", "Unknown column 'zz' in 'field list'")
    e = err("u.a")
    assert e.msg == "Unknown column 'u.a' in 'field list'"
    scope = RowScope([("t", "id"), ("u", "id")], clause="where clause")
    with pytest.raises(AmbiguousColumnError) as ei:
        compile_expr(parse("id = 1"), scope, ctx())
    assert (ei.value.errno, ei.value.sqlstate, ei.value.msg) == (
        1052, "23000", "Column 'id' in where clause is ambiguous")
    assert compile_expr(parse("u.id"), scope, ctx())((1, 2)) == 2


def test_lookup_expr_comes_first_with_positions_or_closures():
    sum_a = parse("SUM(a)")
    group_expr = parse("a + 1")
    scope = RowScope([(None, "a")], exprs={sum_a: 1, group_expr: 2})
    f = compile_expr(parse("SUM(a) * 2 + (a + 1)"), scope, ctx())
    assert f((5, 10, 6)) == 26

    class ClosureScope(RowScope):
        def lookup_expr(self, node):
            if isinstance(node, exp.Count):
                return lambda row: 99
            return None

    g = compile_expr(parse("COUNT(*) + a"), ClosureScope([(None, "a")]), ctx())
    assert g((1,)) == 100


def test_placeholders_read_params_at_evaluation_time():
    node = parse("a + ? = ?")
    # numbered as the dialect does it, by position in the text (here deliberately swapped)
    node.this.expression.meta["param_index"] = 1
    node.expression.meta["param_index"] = 0
    c = ctx(params=[11, 10])
    f = compile_expr(node, RowScope([(None, "a")]), c)
    assert f((1,)) == 1
    c.params = [5, 4]  # a cached plan runs again with new parameters
    assert f((1,)) == 1
    c.params = [5, 5]
    assert f((1,)) == 0


def test_placeholders_without_meta_number_in_compile_order_and_normalize_values():
    c = ctx(params=[True, dt.time(1, 2, 3), bytearray(b"x"), None])
    fs = [compile_expr(parse("?"), Scope(), c) for _ in range(4)]
    assert [f(()) for f in fs] == [1, dt.timedelta(hours=1, minutes=2, seconds=3), b"x", None]
    with pytest.raises(ProgrammingError) as ei:
        compile_expr(parse("?"), Scope(), c)
    assert ei.value.errno == 1210


def test_column_compared_with_a_placeholder():
    c = ctx(params=["2024-01-31"])
    scope = RowScope([(None, "d")])
    node = parse("d = ?")
    node.expression.meta["param_index"] = 0
    f = compile_expr(node, scope, c)
    assert f((dt.date(2024, 1, 31),)) == 1 and f((None,)) is None
    c.params = [None]
    assert f((dt.date(2024, 1, 31),)) is None and f((None,)) is None
    c.params = [dt.date(2024, 1, 30)]
    assert f((dt.date(2024, 1, 31),)) == 0
    node = parse("? < d")
    node.this.meta["param_index"] = 0
    g = compile_expr(node, scope, c)
    assert g((dt.date(2024, 1, 31),)) == 1


def test_context_functions_read_the_context_at_evaluation_time():
    c = ctx()
    f = compile_expr(parse("NOW()"), Scope(), c)
    g = compile_expr(parse("DATABASE()"), Scope(), c)
    assert f(()) == NOW and g(()) == "test"
    c.now = dt.datetime(2030, 1, 1)
    c.current_db = "other"
    assert f(()) == dt.datetime(2030, 1, 1) and g(()) == "other"


def test_constants_are_folded():
    f = compile_expr(parse("CONCAT('a', UPPER('b'), 1 + 2)"), Scope(), ctx())
    assert constant_value(f) == "aB3"
    assert eval_const(parse("DATE '2024-01-31' + INTERVAL 1 DAY")) == dt.date(2024, 2, 1)
    assert constant_value(compile_expr(parse("a + 1"), RowScope(COLUMNS), ctx())) is None


def test_compile_predicate_uses_mysql_truthiness():
    scope = RowScope([(None, "s")])
    p = compile_predicate(parse("s"), scope, ctx())
    assert [bool(p((v,))) for v in ("abc", "1", "0.5", "", None)] == [False, True, True, False,
                                                                     False]


def test_tuples_compile_to_tuples():
    assert ev("(a, s)") == (1, "Hello")


# --- subqueries -----------------------------------------------------------------------------------


class FakePlanner:
    """compile_subquery for tests: rows per subquery text, or a function of the outer row."""

    def __init__(self, results: dict[str, Any]):
        self.results = results
        self.calls: list[str] = []

    def __call__(self, node: exp.Expression, outer_scope: Scope):
        text = node.sql(dialect="mysql")
        self.calls.append(text)
        res = self.results[text]
        return res if callable(res) else (lambda outer_row: res)


def sub_ctx(results: dict[str, Any]) -> EvalContext:
    return ctx(compile_subquery=FakePlanner(results))


@pytest.mark.parametrize("sql, rows, expected", [
    ("(SELECT x FROM s)", [(7,)], 7),
    ("(SELECT x FROM s)", [], None),
    ("(SELECT x FROM s) + 1", [(7,)], 8),
    ("a IN (SELECT x FROM s)", [(1,), (2,)], 1),
    ("a IN (SELECT x FROM s)", [(3,), (None,)], None),
    ("a IN (SELECT x FROM s)", [(3,)], 0),
    ("a IN (SELECT x FROM s)", [], 0),
    ("n IN (SELECT x FROM s)", [], 0),
    ("n IN (SELECT x FROM s)", [(1,)], None),
    ("a NOT IN (SELECT x FROM s)", [(3,), (None,)], None),
    ("a NOT IN (SELECT x FROM s)", [(3,)], 1),
    ("EXISTS (SELECT x FROM s)", [(None,)], 1),
    ("EXISTS (SELECT x FROM s)", [], 0),
    ("NOT EXISTS (SELECT x FROM s)", [], 1),
    ("a = ANY (SELECT x FROM s)", [(0,), (1,)], 1),
    ("a > ALL (SELECT x FROM s)", [(0,), (-1,)], 1),
    ("a > ALL (SELECT x FROM s)", [(0,), (None,)], None),
    ("a > ALL (SELECT x FROM s)", [], 1),
    ("a < ANY (SELECT x FROM s)", [(0,), (None,)], None),
    ("(a, b) IN (SELECT x FROM s)", [(1, 2)], 1),
])
def test_subqueries(sql, rows, expected):
    assert ev(sql, **{"compile_subquery": FakePlanner({"SELECT x FROM s": rows})}) == expected


def test_scalar_subquery_with_two_rows_is_1242():
    e = err("(SELECT x FROM s)", compile_subquery=FakePlanner({"SELECT x FROM s": [(1,), (2,)]}))
    assert (e.errno, e.sqlstate, e.msg) == (1242, "21000", "Subquery returns more than 1 row")


def test_scalar_subquery_with_two_columns_is_1241():
    e = err("(SELECT x FROM s)", compile_subquery=FakePlanner({"SELECT x FROM s": [(1, 2)]}))
    assert (e.errno, e.msg) == (1241, "Operand should contain 1 column(s)")


def test_correlated_subquery_sees_the_outer_row():
    planner = FakePlanner({"SELECT x FROM s": lambda outer: [(outer[0] * 10,)]})
    c = ctx(compile_subquery=planner)
    f = compile_expr(parse("(SELECT x FROM s) + a"), RowScope(COLUMNS), c)
    assert f(ROW) == 11 and f((2,) + ROW[1:]) == 22


def test_in_subquery_reuses_an_uncorrelated_result_list():
    rows = [(i,) for i in range(1000)]
    c = ctx(compile_subquery=FakePlanner({"SELECT x FROM s": rows}))
    f = compile_expr(parse("a IN (SELECT x FROM s)"), RowScope([(None, "a")]), c)
    assert sum(f((i,)) for i in range(2000)) == 1000


def test_subquery_without_a_planner_is_not_supported():
    assert isinstance(err("EXISTS (SELECT 1)"), NotSupportedError)


# --- aggregates ---------------------------------------------------------------------------------


def agg(name: str, values: list, distinct: bool = False, **kw: Any) -> Any:
    acc = make_aggregate(name, distinct, **kw)
    for v in values:
        acc.add(v)
    return acc.result()


def test_aggregates():
    assert agg("COUNT", [1, None, 3]) == 2
    assert agg("COUNT", []) == 0
    assert agg("COUNT", [1, 1, 2, None], distinct=True) == 2
    assert agg("COUNT", [(1, 2), (1, 2), (1, None), (2, 2)], distinct=True) == 2
    assert agg("SUM", [1, 2, None]) == 3
    assert agg("SUM", []) is None
    assert agg("SUM", [None]) is None
    assert agg("SUM", [1, Decimal("1.5")]) == Decimal("2.5")
    assert agg("SUM", [1, 1, 2], distinct=True) == 3
    assert type(agg("SUM", [1.5, 2])) is float
    assert agg("AVG", [1, 2]) == Decimal("1.5000")
    assert agg("AVG", [1, 2, 2]) == Decimal("1.6667")
    assert str(agg("AVG", [Decimal("1.5"), 2])) == "1.75000"
    assert agg("AVG", [1.0, 2.0]) == 1.5
    assert agg("AVG", []) is None
    assert agg("MIN", [3, None, Decimal("2.5"), 7]) == Decimal("2.5")
    assert agg("MAX", ["b", "a", None]) == "b"
    assert agg("MAX", []) is None
    assert agg("MAX", [dt.date(2024, 1, 1), dt.date(2023, 1, 1)]) == dt.date(2024, 1, 1)
    assert agg("GROUP_CONCAT", ["a", None, 1, "a"]) == "a,1,a"
    assert agg("GROUP_CONCAT", ["a", "b", "a"], distinct=True, separator=";") == "a;b"
    assert agg("GROUPCONCAT", []) is None
    assert agg("GROUP_CONCAT", ["abc"] * 500) == ",".join(["abc"] * 500)[:1024]
    assert agg("ANY_VALUE", [5, 6]) == 5
    assert agg("BIT_OR", [1, 2, None]) == 3
    assert agg("STDDEV_POP", [2, 4, 4, 4, 5, 5, 7, 9]) == 2.0
    with pytest.raises(NotSupportedError):
        make_aggregate("MEDIAN")
