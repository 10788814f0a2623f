"""String functions (CONCAT() ... QUOTE()), with MySQL's semantics for binary arguments
and its packet limit on results that grow (REPEAT(), LPAD(), SPACE()).

Registered in `FUNCTIONS`; the expression compiler reaches them by name
(`core.sql.expr.calls`), TRIM(LEADING/TRAILING ...) as TRIM_LEADING/TRIM_TRAILING.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.sql.functions.registry import _reg, _s
from core.sql.limits import check_packet, packet_limit
from core.sql.types import DEC, UINT64_MAX, compare, to_int, to_number, to_str


@_reg("CONCAT", 1, None)
def fn_concat(*args: Any) -> Any:
    """NULL if any argument is NULL (strict); a binary argument makes the result binary."""
    if any(type(a) is bytes for a in args):
        parts = [a if type(a) is bytes else _s(a).encode("utf-8") for a in args]
        check_packet("concat", sum(map(len, parts)))
        return b"".join(parts)
    strs = [a if type(a) is str else to_str(a) for a in args]
    if len(strs) > 1:
        check_packet("concat", sum(map(len, strs)))
    return "".join(strs)


@_reg("CONCAT_WS", 2, None, strict=False)
def fn_concat_ws(sep: Any, *args: Any) -> str | None:
    """NULL separator gives NULL; NULL arguments are skipped."""
    if sep is None:
        return None
    sep = _s(sep)
    parts = [_s(a) for a in args if a is not None]
    check_packet("concat_ws", sum(map(len, parts)) + len(sep) * max(len(parts) - 1, 0))
    return sep.join(parts)


@_reg("LENGTH OCTET_LENGTH", 1)
def fn_length(s: Any) -> int:
    """Length in bytes (utf8mb4)."""
    if type(s) is bytes:
        return len(s)
    s = _s(s)
    return len(s) if s.isascii() else len(s.encode("utf-8"))


@_reg("CHAR_LENGTH CHARACTER_LENGTH", 1)
def fn_char_length(s: Any) -> int:
    return len(s) if type(s) in (str, bytes) else len(_s(s))


@_reg("BIT_LENGTH", 1)
def fn_bit_length(s: Any) -> int:
    return 8 * fn_length(s)


def _simple_upper(ch: str) -> str:
    """One character's simple (1:1) uppercase, as MySQL's utf8mb4 case tables: a
    character whose full mapping grows ('ß' -> 'SS', 'ﬁ' -> 'FI') keeps itself, unless its
    titlecase is one character (the Greek iota-subscript letters: 'ᾳ' -> 'ᾼ')."""
    u = ch.upper()
    if len(u) == 1:
        return u
    t = ch.title()
    return t if len(t) == 1 else ch


def _simple_lower(ch: str) -> str:
    """One character's simple lowercase: 'İ' (full mapping 'i' + a combining dot) is 'i'."""
    lo = ch.lower()
    return lo if len(lo) == 1 else lo[0]


@_reg("LOWER LCASE", 1)
def fn_lower(s: Any) -> Any:
    """MySQL maps case one character to one character, so the length never changes."""
    if type(s) is bytes:
        return s
    s = _s(s)
    r = s.lower()
    if len(r) == len(s):
        return r  # no character grew, so each mapped 1:1
    return "".join(map(_simple_lower, s))


@_reg("UPPER UCASE", 1)
def fn_upper(s: Any) -> Any:
    """UPPER('ß') is 'ß' in MySQL (simple case mapping; Python's full mapping gives 'SS')."""
    if type(s) is bytes:
        return s
    s = _s(s)
    r = s.upper()
    if len(r) == len(s):
        return r
    return "".join(map(_simple_upper, s))


def _text(v: Any) -> str | bytes:
    return v if type(v) is str or type(v) is bytes else to_str(v)


@_reg("SUBSTRING SUBSTR MID", 2, 3)
def fn_substring(s: Any, pos: Any, length: Any = None) -> Any:
    """1-based; a negative start counts from the end; start 0 or beyond the end is ''."""
    s = _text(s)
    p = to_int(pos)
    n = len(s)
    if p > 0:
        start = p - 1
    elif p < 0 and -p <= n:
        start = n + p
    else:
        return s[:0]
    if length is None:
        return s[start:]
    ln = to_int(length)
    if ln <= 0:
        return s[:0]
    return s[start:start + ln]


@_reg("LEFT", 2)
def fn_left(s: Any, n: Any) -> Any:
    s, k = _text(s), to_int(n)
    return s[:k] if k > 0 else s[:0]


@_reg("RIGHT", 2)
def fn_right(s: Any, n: Any) -> Any:
    s, k = _text(s), to_int(n)
    return s[-k:] if k > 0 else s[:0]


def trim(s: Any, remstr: Any = " ", leading: bool = True, trailing: bool = True) -> Any:
    """MySQL TRIM removes whole occurrences of `remstr` (a string, not a character set)."""
    s = _text(s)
    r = _text(remstr)
    if type(s) is not type(r):
        r = r.encode("utf-8") if type(r) is str else r.decode("utf-8", "replace")
    if not r:
        return s
    if len(r) == 1:
        if leading and trailing:
            return s.strip(r)
        return s.lstrip(r) if leading else s.rstrip(r)
    k = len(r)
    start, end = 0, len(s)
    if leading:
        while s.startswith(r, start, end):
            start += k
    if trailing:
        while end - start >= k and s.endswith(r, start, end):
            end -= k
    return s[start:end]


@_reg("TRIM", 1, 2)
def fn_trim(s: Any, remstr: Any = " ") -> Any:
    return trim(s, remstr)


@_reg("TRIM_LEADING", 2)
def fn_trim_leading(s: Any, remstr: Any) -> Any:
    return trim(s, remstr, trailing=False)


@_reg("TRIM_TRAILING", 2)
def fn_trim_trailing(s: Any, remstr: Any) -> Any:
    return trim(s, remstr, leading=False)


@_reg("LTRIM", 1)
def fn_ltrim(s: Any) -> Any:
    """Only spaces, like MySQL (not tabs or newlines)."""
    return trim(s, " ", trailing=False)


@_reg("RTRIM", 1)
def fn_rtrim(s: Any) -> Any:
    return trim(s, " ", leading=False)


@_reg("REPLACE", 3)
def fn_replace(s: Any, old: Any, new: Any) -> Any:
    s, old, new = _s(s), _s(old), _s(new)
    if not old:
        return s
    if len(new) > len(old) and len(s) + (len(new) - len(old)) * len(s) // len(old) > \
            packet_limit():  # only then count the matches, before building anything
        check_packet("replace", len(s) + s.count(old) * (len(new) - len(old)))
    return s.replace(old, new)


@_reg("REVERSE", 1)
def fn_reverse(s: Any) -> Any:
    return _text(s)[::-1]


@_reg("REPEAT", 2)
def fn_repeat(s: Any, n: Any) -> Any:
    k = to_int(n)
    s = _text(s)
    if k <= 0:
        return s[:0]
    check_packet("repeat", len(s) * k)
    return s * k


@_reg("SPACE", 1)
def fn_space(n: Any) -> str:
    k = to_int(n)
    if k <= 0:
        return ""
    check_packet("space", k)
    return " " * k


def _pad(s: Any, n: Any, pad: Any, left: bool) -> Any:
    s, k, p = _s(s), to_int(n), _s(pad)
    if k < 0:
        return None
    if len(s) >= k:
        return s[:k]
    if not p:
        return None
    check_packet("lpad" if left else "rpad", k)
    fill = (p * ((k - len(s)) // len(p) + 1))[: k - len(s)]
    return fill + s if left else s + fill


@_reg("LPAD", 3)
def fn_lpad(s: Any, n: Any, pad: Any) -> Any:
    return _pad(s, n, pad, True)


@_reg("RPAD", 3)
def fn_rpad(s: Any, n: Any, pad: Any) -> Any:
    return _pad(s, n, pad, False)


@_reg("INSTR", 2)
def fn_instr(s: Any, sub: Any) -> int:
    return _s(s).find(_s(sub)) + 1


@_reg("LOCATE POSITION", 2, 3)
def fn_locate(sub: Any, s: Any, pos: Any = 1) -> int:
    p = to_int(pos)
    if p < 1:
        return 0
    s, sub = _s(s), _s(sub)
    if p > len(s) + 1:
        return 0
    return s.find(sub, p - 1) + 1


@_reg("ASCII", 1)
def fn_ascii(s: Any) -> int:
    b = s if type(s) is bytes else _s(s).encode("utf-8")
    return b[0] if b else 0


@_reg("ORD", 1)
def fn_ord(s: Any) -> int:
    """The first character's utf8mb4 bytes as a big-endian number (MySQL's ORD)."""
    if type(s) is bytes:
        return s[0] if s else 0
    s = _s(s)
    if not s:
        return 0
    return int.from_bytes(s[0].encode("utf-8"), "big")


@_reg("HEX", 1)
def fn_hex(v: Any) -> str:
    """Numbers as hexadecimal of their (64-bit two's complement) integer value, strings as
    the hex of their bytes."""
    t = type(v)
    if t is int or t is float or t is Decimal or t is bool:
        n = to_int(v)
        return format(n & UINT64_MAX if n < 0 else n, "X")
    b = v if t is bytes else _s(v).encode("utf-8")
    check_packet("hex", 2 * len(b))
    return b.hex().upper()


@_reg("UNHEX", 1)
def fn_unhex(v: Any) -> bytes | None:
    s = _s(v)
    if len(s) % 2:
        s = "0" + s
    try:
        return bytes.fromhex(s)
    except ValueError:
        return None


@_reg("STRCMP", 2)
def fn_strcmp(a: Any, b: Any) -> int:
    a, b = _s(a), _s(b)
    return (a > b) - (a < b)


@_reg("FORMAT", 2, 3)
def fn_format(x: Any, d: Any, _locale: Any = None) -> str:
    """``FORMAT(1234567.891, 2)`` = '1,234,567.89', halves away from zero."""
    places = max(0, min(to_int(d), 30))
    v = to_number(x)
    dv = Decimal(repr(v)) if type(v) is float else Decimal(v)
    if not dv.is_finite():
        return to_str(v)
    # enough precision for every digit of a large value (FORMAT(1e300, 2) has 303)
    wide = DEC.copy()
    wide.prec = max(DEC.prec, dv.adjusted() + places + 2)
    q = dv.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=wide)
    return format(q, f",.{places}f")


@_reg("SUBSTRING_INDEX", 3)
def fn_substring_index(s: Any, delim: Any, count: Any) -> str:
    s, d, n = _s(s), _s(delim), to_int(count)
    if not d or n == 0:
        return ""
    parts = s.split(d)
    if n > 0:
        return d.join(parts[:n])
    return d.join(parts[n:])


@_reg("FIELD", 2, None, strict=False)
def fn_field(x: Any, *args: Any) -> int:
    """1-based index of the first argument equal to `x`; 0 if none or `x` is NULL."""
    if x is None:
        return 0
    for i, a in enumerate(args, 1):
        if a is not None and compare(x, a) == 0:
            return i
    return 0


@_reg("ELT", 2, None, strict=False)
def fn_elt(n: Any, *args: Any) -> Any:
    k = to_int(n)
    if k is None or not 1 <= k <= len(args):
        return None
    return args[k - 1]


@_reg("FIND_IN_SET", 2)
def fn_find_in_set(s: Any, lst: Any) -> int:
    s, lst = _s(s), _s(lst)
    if not lst:
        return 0
    try:
        return lst.split(",").index(s) + 1
    except ValueError:
        return 0


@_reg("CHAR", 1, None, strict=False)
def fn_char(*args: Any) -> bytes:
    """A binary string of the given byte values (NULLs skipped), as MySQL's CHAR()."""
    out = bytearray()
    for a in args:
        if a is None:
            continue
        n = to_int(a) & 0xFFFFFFFF
        out += n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return bytes(out)


@_reg("INSERT", 4)
def fn_insert(s: Any, pos: Any, length: Any, new: Any) -> str:
    s, p, n, new = _s(s), to_int(pos), to_int(length), _s(new)
    if p < 1 or p > len(s):
        return s
    if n < 0 or p - 1 + n > len(s):
        n = len(s) - p + 1
    check_packet("insert", len(s) - n + len(new))
    return s[: p - 1] + new + s[p - 1 + n:]


@_reg("QUOTE", 1, strict=False)
def fn_quote(s: Any) -> str:
    if s is None:
        return "NULL"
    s = _s(s)
    out = s.replace("\\", "\\\\").replace("'", "\\'").replace("\0", "\\0").replace("\x1a", "\\Z")
    return f"'{out}'"
