"""A hexadecimal literal is a binary string, except in numeric context, where MySQL reads it
as the unsigned integer of its bytes (``0x10 + 0`` is 16, not the 0 a string would give)."""

import pytest

import core


def test_hex_in_arithmetic_is_an_unsigned_integer(q):
    assert q("SELECT 0x10 + 0, 0x10 - 1, X'41' + 1, -0x10, 0x10 * 2, 0xFF & 0x0F, "
             "(0x10) DIV 3") == [(16, 15, 66, -16, 32, 15, 5)]


def test_hex_elsewhere_stays_a_binary_string(q):
    assert q("SELECT 0x41, CONCAT(0x41, 'b'), LENGTH(0x4142)") == [(b"A", b"Ab", 2)]


def test_hex_operand_makes_the_arithmetic_unsigned(q):
    q("CREATE TABLE u (u INT UNSIGNED)")
    q("INSERT INTO u VALUES (3)")
    assert q("SELECT u + 0x10 FROM u") == [(19,)]
    with pytest.raises(core.DataError) as e:
        q("SELECT u - 0x10 FROM u")
    assert e.value.errno == 1690 and "BIGINT UNSIGNED" in str(e.value)
