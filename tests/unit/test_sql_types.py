"""core.sql.types: column types, strict-mode storing, comparison, sorting and arithmetic.

Expected values are MySQL 8.0's (strict mode, utf8mb4_0900_bin-style binary strings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlglot import exp

from core.errors import DataError, NotSupportedError, ProgrammingError
from core.sql import types as T
from core.sql.types import SqlType, coerce, compare, sort_key


def build(text: str) -> SqlType:
    return SqlType.from_sqlglot(exp.DataType.build(text, dialect="mysql"))


# --- SqlType ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "int", "int unsigned", "bigint", "bigint unsigned", "tinyint", "tinyint(1)",
    "tinyint(1) unsigned", "smallint", "mediumint unsigned", "decimal(10,2)",
    "decimal(65,30)", "decimal(10,2) unsigned", "float", "double", "float(7,2)",
    "double unsigned", "char(1)", "char(10)", "varchar(20)", "tinytext", "text",
    "mediumtext", "longtext", "binary(4)", "varbinary(10)", "tinyblob", "blob", "mediumblob",
    "longblob", "date", "datetime", "datetime(6)", "timestamp", "timestamp(3)", "time",
    "time(2)",
])
def test_sql_spelling_round_trips_through_the_parser(text):
    # the catalog stores t.sql() and rebuilds it with exp.DataType.build(..., "mysql")
    t = build(text)
    assert t.sql() == text
    assert build(t.sql()) == t


@pytest.mark.parametrize("text, spelled", [
    ("BOOLEAN", "tinyint(1)"), ("BOOL", "tinyint(1)"), ("INT(11)", "int"),
    ("INTEGER", "int"), ("BIGINT(20) UNSIGNED", "bigint unsigned"),
    ("DECIMAL", "decimal(10,0)"), ("NUMERIC(5)", "decimal(5,0)"), ("DEC(4,1)", "decimal(4,1)"),
    ("CHAR", "char(1)"), ("BINARY", "binary(1)"), ("FLOAT(30)", "double"),
    ("FLOAT(10)", "float"), ("SERIAL", "bigint unsigned"), ("NVARCHAR(5)", "varchar(5)"),
    ("VARCHAR(10) CHARACTER SET utf8mb4", "varchar(10)"),
])
def test_mysql_defaults_and_synonyms(text, spelled):
    assert build(text).sql() == spelled


def test_boolean_is_tinyint_1():
    assert build("BOOLEAN") == build("TINYINT(1)") == SqlType("BOOLEAN")
    assert SqlType("BOOLEAN").int_range == (-128, 127)
    assert SqlType("DECIMAL") == SqlType("DECIMAL", precision=10, scale=0)


@pytest.mark.parametrize("text, errno, fragment", [
    ("DECIMAL(66,2)", 1426, "Too-big precision 66 specified for 'c'. Maximum is 65."),
    ("DECIMAL(40,31)", 1425, "Too big scale 31 specified for column 'c'. Maximum is 30."),
    ("DECIMAL(5,6)", 1427, "M must be >= D (column 'c')"),
    ("VARCHAR(16384)", 1074, "Column length too big for column 'c' (max = 16383)"),
    ("CHAR(256)", 1074, "(max = 255)"),
    ("DATETIME(7)", 1426, "Too-big precision 7 specified for 'c'. Maximum is 6."),
])
def test_impossible_type_parameters_are_mysql_ddl_errors(text, errno, fragment):
    with pytest.raises(ProgrammingError) as ei:
        SqlType.from_sqlglot(exp.DataType.build(text, dialect="mysql"), column="c")
    assert ei.value.errno == errno
    assert fragment in ei.value.msg


@pytest.mark.parametrize("text", ["BIT(1)", "YEAR"])
def test_unsupported_types_are_1235_and_still_programming_errors(text):
    with pytest.raises(NotSupportedError) as ei:
        build(text)
    assert ei.value.errno == 1235 and ei.value.sqlstate == "42000"
    assert isinstance(ei.value, ProgrammingError)
    assert "doesn't yet support" in ei.value.msg


@pytest.mark.parametrize("text, code, pytype", [
    ("int", 3, int), ("bigint", 8, int), ("tinyint(1)", 1, int), ("decimal(5,2)", 246, Decimal),
    ("double", 5, float), ("float", 4, float), ("varchar(3)", 253, str), ("char(3)", 254, str),
    ("text", 252, str), ("blob", 252, bytes), ("varbinary(3)", 253, bytes),
    ("date", 10, dt.date), ("datetime", 12, dt.datetime), ("timestamp", 7, dt.datetime),
    ("time", 11, dt.timedelta),
])
def test_description_type_codes_and_python_types(text, code, pytype):
    t = build(text)
    assert t.type_code == code
    assert t.python_type is pytype


def test_pep249_type_objects():
    assert T.STRING == build("varchar(3)").type_code
    assert T.NUMBER == build("int").type_code
    assert T.NUMBER != build("varchar(3)").type_code
    assert T.DATETIME == build("datetime").type_code
    assert T.BINARY == build("blob").type_code
    assert T.type_code_of_value(Decimal("1.5")) == 246
    assert T.type_code_of_value(None) == 6


# --- coerce: values that are stored --------------------------------------------------------------


@pytest.mark.parametrize("text, value, stored", [
    ("int", 5, 5),
    ("int", "12", 12),
    ("int", " 3 ", 3),
    ("int", "12.5", 13),  # MySQL rounds numeric strings for integer columns
    ("int", "1e3", 1000),
    ("int", Decimal("2.5"), 3),  # a DECIMAL rounds halves away from zero
    ("int", Decimal("-2.5"), -3),
    ("int", 2.5, 2),  # a DOUBLE rounds halves to even (rint), as mysqld's Field_long::store
    ("int", -2.5, -2),
    ("int", 3.5, 4),
    ("int", Decimal("2.4999"), 2),
    ("int", True, 1),
    ("int", -2147483648, -2147483648),
    ("int unsigned", 4294967295, 4294967295),
    ("bigint unsigned", 2**64 - 1, 2**64 - 1),
    ("tinyint(1)", True, 1),
    ("tinyint(1)", False, 0),
    ("tinyint(1)", 5, 5),
    ("decimal(5,2)", Decimal("1.235"), Decimal("1.24")),
    ("decimal(5,2)", Decimal("-1.235"), Decimal("-1.24")),
    ("decimal(5,2)", " 1.5", Decimal("1.50")),
    ("decimal(5,2)", 3, Decimal("3.00")),
    ("decimal(5,2)", 0.1, Decimal("0.10")),
    ("decimal(5,2)", 999.994, Decimal("999.99")),
    ("double", "1.5", 1.5),
    ("double", 3, 3.0),
    ("double", Decimal("0.1"), 0.1),
    ("varchar(3)", "abc", "abc"),
    ("varchar(3)", "ab   ", "ab "),  # excess trailing spaces are cut, not an error
    ("varchar(3)", 12, "12"),
    ("varchar(3)", b"ab", "ab"),
    ("char(3)", "a  ", "a"),  # CHAR reads back without its padding
    ("text", "x" * 1000, "x" * 1000),
    ("varbinary(4)", "ab", b"ab"),
    ("binary(4)", b"ab", b"ab\x00\x00"),
    ("date", "2024-02-29", dt.date(2024, 2, 29)),
    ("date", "2024/2/9", dt.date(2024, 2, 9)),
    ("date", "20240229", dt.date(2024, 2, 29)),
    ("date", 20240229, dt.date(2024, 2, 29)),
    ("date", "2024-02-29 10:11:12", dt.date(2024, 2, 29)),
    ("date", dt.datetime(2024, 1, 1, 5), dt.date(2024, 1, 1)),
    ("datetime", "2024-01-01", dt.datetime(2024, 1, 1)),
    ("datetime", "2024-01-01T10:11:12", dt.datetime(2024, 1, 1, 10, 11, 12)),
    ("datetime", "2024-01-01 10:00:00.6", dt.datetime(2024, 1, 1, 10, 0, 1)),  # rounded
    ("datetime(3)", "2024-01-01 10:00:00.1234", dt.datetime(2024, 1, 1, 10, 0, 0, 123000)),
    ("datetime(6)", "2024-01-01 10:00:00.123456", dt.datetime(2024, 1, 1, 10, 0, 0, 123456)),
    ("datetime", dt.date(2024, 1, 1), dt.datetime(2024, 1, 1)),
    ("timestamp", "2038-01-19 03:14:07", dt.datetime(2038, 1, 19, 3, 14, 7)),
    ("time", "10:11:12", dt.timedelta(hours=10, minutes=11, seconds=12)),
    ("time", "838:59:59", dt.timedelta(hours=838, minutes=59, seconds=59)),
    ("time", "-01:30", -dt.timedelta(hours=1, minutes=30)),
    ("time", 101112, dt.timedelta(hours=10, minutes=11, seconds=12)),
    ("time", dt.time(1, 2, 3), dt.timedelta(hours=1, minutes=2, seconds=3)),
    ("int", None, None),
])
def test_coerce_converts_like_mysql_strict_mode(text, value, stored):
    got = coerce(value, build(text), "c")
    assert got == stored
    assert type(got) is type(stored)


@pytest.mark.parametrize("text, value, errno, sqlstate, message", [
    ("int", 2**31, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("int", -(2**31) - 1, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("tinyint", 128, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("tinyint unsigned", -1, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("bigint", 2**63, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("int", "abc", 1366, "HY000", "Incorrect integer value: 'abc' for column 'c' at row 1"),
    ("int", "", 1366, "HY000", "Incorrect integer value: '' for column 'c' at row 1"),
    ("int", "12abc", 1265, "01000", "Data truncated for column 'c' at row 1"),
    ("decimal(5,2)", "x", 1366, "HY000",
     "Incorrect decimal value: 'x' for column 'c' at row 1"),
    ("decimal(5,2)", 1000, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("decimal(5,2)", Decimal("999.995"), 1264, "22003",
     "Out of range value for column 'c' at row 1"),
    ("decimal(5,2) unsigned", -1, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("double", "abc", 1265, "01000", "Data truncated for column 'c' at row 1"),
    ("float", 1e39, 1264, "22003", "Out of range value for column 'c' at row 1"),
    ("varchar(3)", "abcd", 1406, "22001", "Data too long for column 'c' at row 1"),
    ("char(2)", "abc", 1406, "22001", "Data too long for column 'c' at row 1"),
    ("varbinary(2)", b"abc", 1406, "22001", "Data too long for column 'c' at row 1"),
    ("tinytext", "é" * 128, 1406, "22001", "Data too long for column 'c' at row 1"),
    ("date", "2024-02-30", 1292, "22007",
     "Incorrect date value: '2024-02-30' for column 'c' at row 1"),
    ("date", "x", 1292, "22007", "Incorrect date value: 'x' for column 'c' at row 1"),
    ("date", "0000-00-00", 1292, "22007",
     "Incorrect date value: '0000-00-00' for column 'c' at row 1"),
    ("datetime", "2024-13-01 00:00:00", 1292, "22007",
     "Incorrect datetime value: '2024-13-01 00:00:00' for column 'c' at row 1"),
    ("timestamp", "1969-12-31 00:00:00", 1292, "22007",
     "Incorrect datetime value: '1969-12-31 00:00:00' for column 'c' at row 1"),
    ("time", "839:00:00", 1292, "22007",
     "Incorrect time value: '839:00:00' for column 'c' at row 1"),
    ("varchar(3)", b"\xff", 1366, "HY000",
     "Incorrect string value: '\\xFF' for column 'c' at row 1"),
])
def test_coerce_errors_carry_mysql_codes_and_wording(text, value, errno, sqlstate, message):
    with pytest.raises(DataError) as ei:
        coerce(value, build(text), "c")
    assert (ei.value.errno, ei.value.sqlstate, ei.value.msg) == (errno, sqlstate, message)


def test_coerce_names_the_row():
    with pytest.raises(DataError) as ei:
        coerce("abcd", build("varchar(3)"), "name", row=7)
    assert str(ei.value) == "ERROR 1406 (22001): Data too long for column 'name' at row 7"


def test_make_coercer_is_cached_per_type():
    t = build("int")
    assert T.make_coercer(t) is T.make_coercer(build("int"))
    assert T.make_coercer(t)("7", "c", 1) == 7


# --- comparison ---------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b, expected", [
    (1, 1, 0), (1, 2, -1), (2, 1, 1),
    (1, Decimal("1.0"), 0), (2, Decimal("1.5"), 1), (Decimal("0.1"), 0.1, 0),
    (1, 1.0, 0), (3, 2.5, 1),
    (10, "10", 0), ("10", 9, 1), ("12abc", 12, 0), ("abc", 0, 0), ("", 0, 0),
    (" 5", 5, 0), ("1e2", 100, 0),
    ("10", "9", -1),  # two strings compare as strings
    ("a", "A", 1), ("a", "a", 0), ("a", "a ", -1),  # binary, case-sensitive, NO PAD
    ("é", "z", 1),  # code point order (= utf8mb4 byte order)
    (b"a", b"b", -1), ("a", b"a", 0),
    (dt.date(2024, 1, 31), "2024-01-31", 0), ("2024-02-01", dt.date(2024, 1, 31), 1),
    (dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0), 0),
    (dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0, 1), -1),
    (dt.datetime(2024, 1, 1, 10), "2024-01-01 10:00:00", 0),
    (dt.date(2024, 1, 1), "2024-01-01 10:00:00", -1),
    (dt.timedelta(hours=10), "10:00:00", 0), (dt.timedelta(hours=10), "09:59:59", 1),
    (True, 1, 0),
])
def test_compare(a, b, expected):
    assert compare(a, b) == expected
    assert compare(b, a) == -expected


@pytest.mark.parametrize("a, b", [(None, 1), (1, None), (None, None), ("x", None)])
def test_compare_with_null_is_unknown(a, b):
    assert compare(a, b) is None


def test_sort_key_orders_like_order_by():
    values = [3, None, Decimal("2.5"), 1.5, -1, None, 2]
    assert sorted(values, key=sort_key) == [None, None, -1, 1.5, 2, Decimal("2.5"), 3]
    # DESC: NULLs last, as in MySQL
    assert sorted(values, key=sort_key, reverse=True)[-2:] == [None, None]
    dates = [dt.datetime(2024, 1, 1, 1), dt.date(2024, 1, 1), dt.date(2023, 12, 31)]
    assert sorted(dates, key=sort_key) == [dt.date(2023, 12, 31), dt.date(2024, 1, 1),
                                           dt.datetime(2024, 1, 1, 1)]
    assert sorted(["b", "B", "a", "A"], key=sort_key) == ["A", "B", "a", "b"]


def test_sort_key_agrees_with_compare_within_a_class():
    vals = [5, Decimal("4.5"), 4.75, -2, 0, Decimal("-2.5"), 10**20]
    ordered = sorted(vals, key=sort_key)
    for x, y in zip(ordered, ordered[1:], strict=False):
        assert compare(x, y) <= 0


# --- arithmetic ---------------------------------------------------------------------------------


def test_integer_arithmetic_stays_integer():
    assert T.add(2, 3) == 5 and type(T.add(2, 3)) is int
    assert T.mul(-4, 5) == -20
    assert T.sub(2, 5) == -3


@pytest.mark.parametrize("fn, a, b, message", [
    (T.add, 2**63 - 1, 1, "BIGINT value is out of range in '(a + b)'"),
    (T.sub, -(2**63), 1, "BIGINT value is out of range in '(a + b)'"),
    (T.mul, 2**62, 2, "BIGINT value is out of range in '(a + b)'"),
    (T.add, 2**64 - 1, 1, "BIGINT UNSIGNED value is out of range in '(a + b)'"),
])
def test_bigint_overflow_is_error_1690(fn, a, b, message):
    with pytest.raises(DataError) as ei:
        fn(a, b, "(a + b)")
    assert (ei.value.errno, ei.value.sqlstate, ei.value.msg) == (1690, "22003", message)


def test_unsigned_operands_may_exceed_the_signed_range():
    assert T.add(2**63, 5) == 2**63 + 5  # a BIGINT UNSIGNED value
    assert T.sub(2**64 - 1, 1) == 2**64 - 2


def test_negation_overflow():
    with pytest.raises(DataError) as ei:
        T.neg(-(2**63), "-(-9223372036854775808)")
    assert ei.value.msg == "BIGINT value is out of range in '-(-9223372036854775808)'"
    assert T.neg(2**63) == -(2**63)  # an unsigned value whose negation still fits
    with pytest.raises(DataError):
        T.neg(2**63 + 1)
    assert T.neg(Decimal("1.50")) == Decimal("-1.50")


@pytest.mark.parametrize("a, b, expected", [
    (1, 3, Decimal("0.3333")),  # div_precision_increment = 4
    (2, 3, Decimal("0.6667")),
    (6, 3, Decimal("2.0000")),
    (Decimal("1.0"), 3, Decimal("0.33333")),  # dividend scale + 4
    (Decimal("1.00"), 3, Decimal("0.333333")),
    (1, Decimal("0.3"), Decimal("3.3333")),
    (-1, 3, Decimal("-0.3333")),
    (1.0, 4, 0.25),
    (1, 0, None), (Decimal("1.5"), 0, None), (1.5, 0.0, None),
    ("6", 4, 1.5),  # strings make it a double operation
])
def test_division(a, b, expected):
    got = T.div(a, b)
    assert got == expected
    if expected is not None:
        assert type(got) is type(expected)
        if isinstance(expected, Decimal):
            assert got.as_tuple().exponent == expected.as_tuple().exponent


@pytest.mark.parametrize("a, b, expected", [
    (7, 2, 3), (-7, 2, -3), (7, -2, -3), (Decimal("7.5"), 2, 3), (7, 0, None), (1, 3, 0),
])
def test_integer_division_truncates_toward_zero(a, b, expected):
    assert T.intdiv(a, b) == expected


@pytest.mark.parametrize("a, b, expected", [
    (7, 3, 1), (-7, 3, -1), (7, -3, 1), (Decimal("34.5"), 3, Decimal("1.5")),
    (Decimal("-7.5"), 2, Decimal("-1.5")), (5.5, 2, 1.5), (7, 0, None),
])
def test_modulo_sign_follows_the_dividend(a, b, expected):
    assert T.mod(a, b) == expected


def test_mixed_types():
    assert T.add(1, Decimal("1.5")) == Decimal("2.5")
    assert type(T.add(1, 1.5)) is float
    assert T.mul(Decimal("1.5"), Decimal("1.5")) == Decimal("2.25")
    assert T.add("3", 1) == 4.0 and type(T.add("3", 1)) is float
    assert T.add(None, 1) is None
    assert T.add(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")
    # 65-digit precision, not the default context's 28
    big = Decimal("1" * 40)
    assert T.add(big, 1) == Decimal("1" * 39 + "2")


def test_double_overflow_is_1690():
    with pytest.raises(DataError) as ei:
        T.mul(1e308, 10.0, "(x * 10)")
    assert ei.value.msg == "DOUBLE value is out of range in '(x * 10)'"


# --- conversions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (Decimal("1.50"), "1.50"), (Decimal("1E+2"), "100"), (1.5, "1.5"), (100.0, "100"),
    (1e20, "1e20"), (0.1, "0.1"), (-0.0, "-0"), (dt.date(2024, 1, 5), "2024-01-05"),
    (dt.datetime(2024, 1, 5, 1, 2, 3), "2024-01-05 01:02:03"),
    (dt.datetime(2024, 1, 5, 1, 2, 3, 50), "2024-01-05 01:02:03.000050"),
    (dt.timedelta(hours=100, seconds=5), "100:00:05"),
    (-dt.timedelta(hours=1, minutes=30), "-01:30:00"), (b"ab", "ab"), (None, None),
])
def test_to_str(value, text):
    assert T.to_str(value) == text


@pytest.mark.parametrize("text, value", [
    ("12abc", 12.0), ("abc", 0.0), ("", 0.0), ("  -3.5e1x", -35.0), (".5", 0.5),
    ("0x10", 0.0), ("1e", 1.0), ("+7", 7.0),
])
def test_string_to_double_takes_the_numeric_prefix(text, value):
    assert T.to_double(text) == value


@pytest.mark.parametrize("text, value", [
    ("2024-01-31", dt.date(2024, 1, 31)), ("24-01-31", dt.date(2024, 1, 31)),
    ("99-01-31", dt.date(1999, 1, 31)), ("2024.1.5", dt.date(2024, 1, 5)),
    ("2024-01-31 10:11", dt.datetime(2024, 1, 31, 10, 11)),
    ("20240131101112", dt.datetime(2024, 1, 31, 10, 11, 12)),
    ("2024-01-31 23:59:59.9999995", dt.datetime(2024, 2, 1, 0, 0, 0)),
    ("2024-02-30", None), ("0000-00-00", None), ("nonsense", None), ("2024-01", None),
])
def test_parse_temporal(text, value):
    assert T.parse_temporal(text) == value


@pytest.mark.parametrize("fn, value, expected", [
    (T.cast_signed, "12abc", 12), (T.cast_signed, "2.7", 2), (T.cast_signed, 2.5, 2),
    (T.cast_signed, Decimal("2.5"), 3),
    (T.cast_signed, Decimal("-2.5"), -3), (T.cast_signed, 2**64 - 1, -1),
    (T.cast_unsigned, -1, 2**64 - 1), (T.cast_unsigned, "5", 5),
    (T.cast_char, 12, "12"), (T.cast_double, "1.5x", 1.5),
    (T.cast_datetime, "2024-01-01", dt.datetime(2024, 1, 1)), (T.cast_datetime, "x", None),
    (T.cast_time, "1:2:3", dt.timedelta(hours=1, minutes=2, seconds=3)),
])
def test_cast_helpers(fn, value, expected):
    assert fn(value) == expected


def test_cast_decimal_rounds_and_clamps():
    assert T.cast_decimal(Decimal("1.235"), 5, 2) == Decimal("1.24")
    assert T.cast_decimal(12345, 3, 1) == Decimal("99.9")
    assert T.cast_decimal(-12345, 3, 1) == Decimal("-99.9")
    assert T.cast_decimal("abc", 5, 2) == Decimal("0.00")


def test_truth():
    assert T.truth(None) is None
    assert T.truth("abc") is False and T.truth("1x") is True and T.truth("0.0") is False
    assert T.truth(Decimal("0.00")) is False and T.truth(dt.date(2024, 1, 1)) is True
    assert T.truth(dt.timedelta(0)) is False
