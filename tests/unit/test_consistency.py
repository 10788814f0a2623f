"""The consistency core's pure parts: the generated entry encoders must give the write path's
bytes for every value (or ADMIN CHECK would call a sound index broken, or worse, the
reverse), and TiDB's renderings must be exact."""

import datetime as dt
from decimal import Decimal

import pytest

from core.catalog.model import ColumnInfo, IndexInfo, TableInfo, type_from_sql
from core.check import consistency
from core.check.errors import (
    count_mismatch_error,
    data_inconsistency_error,
    datum_text,
    go_float,
    go_quote,
    handle_text,
    inconsistent_index_error,
    record_text,
)
from core.codec import encode_int, encode_values
from core.codec.entries import index_entry

TYPES = ["BIGINT", "BIGINT UNSIGNED", "VARCHAR(20)", "DOUBLE", "DECIMAL(10,2)", "DATE",
         "DATETIME(6)", "TIME", "VARBINARY(10)", "BOOLEAN"]
VALUES = {
    "BIGINT": [0, -1, 2**63 - 1, -2**63, None, True],
    "BIGINT UNSIGNED": [0, 2**63, 2**64 - 1, None],
    "VARCHAR(20)": ["", "a", "exactly8", "longer than sixteen", "é\u00e9", None],
    "DOUBLE": [0.0, -0.0, 1.5, -2.25, 1e300, None],
    "DECIMAL(10,2)": [Decimal("1.50"), Decimal("-0.01"), Decimal("0"), None],
    "DATE": [dt.date(2024, 2, 29), None],
    "DATETIME(6)": [dt.datetime(2024, 1, 2, 3, 4, 5, 6), None],
    "TIME": [dt.timedelta(hours=-30, seconds=1), None],
    "VARBINARY(10)": [b"", b"\x00\xff", None],
    "BOOLEAN": [0, 1, None],
}


def _table(handle: str, types: list[str], unique: bool) -> TableInfo:
    cols = [ColumnInfo(1, "id", type_from_sql("BIGINT"), nullable=False)]
    cols += [ColumnInfo(i + 2, f"c{i}", type_from_sql(t)) for i, t in enumerate(types)]
    pk = ["id"] if handle != "rowid" else []
    ixs = [IndexInfo(1, "PRIMARY", ["id"], unique=True, primary=True)] if pk else []
    ixs.append(IndexInfo(2, "ix", [f"c{i}" for i in range(len(types))], unique=unique))
    ixs.append(IndexInfo(3, "ix2", [f"c{len(types) - 1}", "id"], unique=not unique))
    return TableInfo(77, "db", "t", cols, ixs, handle=handle, pk_columns=pk)


@pytest.mark.parametrize("handle", ["int", "rowid", "clustered"])
@pytest.mark.parametrize("unique", [False, True])
@pytest.mark.parametrize("kind", TYPES)
def test_generated_entries_are_the_write_paths_bytes(handle, unique, kind):
    t = _table(handle, ["BIGINT", kind], unique)
    lay = consistency.Layout(t, t.secondary_indexes)
    for h in (7, -2**63, 2**63 - 1):
        hk = encode_values([h]) if handle == "clustered" else encode_int(h)
        hv = hk if handle == "clustered" else h
        for other in (5, None):
            for v in VALUES[kind]:
                row = [h, other, v, 0]  # the trailing 0 stands for the CRC item
                want = tuple(index_entry(77, ix.id, ix.unique,
                                         [row[t.column_index(c)] for c in ix.columns], hv)
                             for ix in t.secondary_indexes)
                assert lay.entries(row, hk) == want
                assert lay.generic(row, hk) == want


def test_a_wrongly_typed_value_takes_the_generic_path():
    t = _table("int", ["BIGINT", "VARCHAR(5)"], False)
    lay = consistency.Layout(t, t.secondary_indexes)
    hk = encode_int(3)
    for odd in (1.5, "7", b"x", Decimal(2), 2**64 - 1):
        row = [3, odd, odd, 0]
        assert lay.entries(row, hk) == lay.generic(row, hk)


def test_go_float_is_gos_percent_v():
    cases = {1.5: "1.5", 100000.0: "100000", 1e6: "1e+06", 123456789.0: "1.23456789e+08",
             0.0001: "0.0001", 0.00001: "1e-05", -2.5e-7: "-2.5e-07", 0.0: "0",
             1e21: "1e+21", 3.0: "3", -0.5: "-0.5"}
    for f, text in cases.items():
        assert go_float(f) == text


def test_datum_kinds():
    assert datum_text(10) == "KindInt64 10"
    assert datum_text(-10) == "KindInt64 -10"
    assert datum_text(2**63) == "KindUint64 9223372036854775808"
    assert datum_text(5, unsigned=True) == "KindUint64 5"
    assert datum_text("10") == "KindString 10"
    assert datum_text(None) == "KindNull <nil>"
    assert datum_text(b"hi") == "KindBytes [104 105]"
    assert datum_text(1.5) == "KindFloat64 1.5"
    assert datum_text(Decimal("1.50")) == "KindMysqlDecimal 1.50"
    assert datum_text(dt.date(2024, 1, 2)) == "KindMysqlTime 2024-01-02"
    assert datum_text(dt.datetime(2024, 1, 2, 3, 4, 5)) == "KindMysqlTime 2024-01-02 03:04:05"
    assert datum_text(dt.timedelta(hours=-25, minutes=-1)) == "KindMysqlDuration -25:01:00"
    assert datum_text(dt.time(1, 2, 3)) == "KindMysqlDuration 01:02:03"


def test_handles_and_quoting():
    assert handle_text(-1) == "-1"
    assert handle_text(encode_values(["hello", "hello"])) == "{hello, hello}"
    assert handle_text(encode_values([1, "a"])) == "{1, a}"
    assert go_quote('a "b" \\ \n') == '"a \\"b\\" \\\\ \\n"'
    assert record_text("3", None) == ""
    assert record_text("3", ("KindInt64 1", "KindString x")) == \
        "handle: 3, values: [KindInt64 1 KindString x]"


def test_tidb_error_texts():
    e = data_inconsistency_error("admin_test", "c2", "-1", None, ("KindInt64 -10",))
    assert (e.errno, e.sqlstate) == (8223, "HY000")
    assert e.msg == ('data inconsistency in table: admin_test, index: c2, handle: -1, '
                     'index-values:"" != record-values:"handle: -1, values: [KindInt64 -10]"')
    e = data_inconsistency_error("admin_test", "c2", "0", ("KindInt64 0",), None)
    assert e.msg == ('data inconsistency in table: admin_test, index: c2, handle: 0, '
                     'index-values:"handle: 0, values: [KindInt64 0]" != record-values:""')
    e = count_mismatch_error("idx", 3, 2)
    assert (e.errno, e.msg) == (8003, "table count 3 != index(idx) count 2")
    e = inconsistent_index_error("admin_test", "k2", 1, 0)
    assert (e.errno, e.sqlstate) == (8133, "HY000")
    assert e.msg == "data inconsistency in table: admin_test, index: k2, index-count:1 != " \
        "record-count:0"


def test_samples_keep_the_first_by_handle():
    s = consistency._Samples(2)
    for hk in (b"\x05", b"\x01", b"\x09", b"\x03"):
        s.add(consistency.Diff(consistency.DANGLING, hk, b"k", b"v"))
    assert [d.hk for d in s.diffs()] == [b"\x01", b"\x03"]
    assert not s.wants(b"\x04") and s.wants(b"\x02")
