"""Scalar SQL functions and aggregate accumulators, with MySQL's semantics.

The registry `FUNCTIONS` maps an upper-case name to a `FunctionDef`.  The expression compiler
(`core.sql.expr`) maps sqlglot's typed nodes (``exp.Substring``, ``exp.Trim``, ``exp.DateAdd``,
...) and ``exp.Anonymous`` calls onto these names, checks the argument count
(ERROR 1582 "Incorrect parameter count in the call to native function 'X'") and builds a
closure.  Unknown names are ERROR 1305 "FUNCTION db.x does not exist".

Most functions are *strict*: a NULL argument makes the result NULL without calling the
implementation, which keeps the implementations free of NULL checks.  Functions that read the
statement's context (NOW(), DATABASE(), LAST_INSERT_ID()) take the `EvalContext` first and are
never constant-folded, because a compiled plan may be cached and run again with a new context.
"""

from __future__ import annotations

import base64
import calendar
import datetime as _dt
import hashlib
import math
import random
import re
import time as _time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from core.errors import DataError, NotSupportedError, ProgrammingError
from core.sql.limits import check_packet, packet_limit
from core.sql.types import (
    DEC,
    UINT64_MAX,
    compare,
    mod,
    round_half_away,
    to_date,
    to_datetime,
    to_double,
    to_int,
    to_number,
    to_str,
    to_temporal,
    to_time,
)

__all__ = [
    "FUNCTIONS",
    "Accumulator",
    "FunctionDef",
    "OutOfRange",
    "date_add",
    "date_format",
    "lookup",
    "make_aggregate",
    "str_to_date",
]

date = _dt.date
datetime = _dt.datetime
timedelta = _dt.timedelta

VERSION = "8.0.11-KintsugiDB"


class OutOfRange(DataError):
    """ERROR 1690 from inside a function; the compiler rewrites the message to name the
    whole expression (``DOUBLE value is out of range in 'exp(1000)'``)."""

    errno = 1690
    sqlstate = "22003"

    def __init__(self, kind: str = "DOUBLE"):
        super().__init__(f"{kind} value is out of range")
        self.kind = kind


@dataclass(frozen=True)
class FunctionDef:
    """One scalar function.

    * `strict`: any NULL argument gives NULL without calling `impl`.
    * `context`: `impl` takes the EvalContext as its first argument (and is never folded).
    * `volatile`: never constant-folded (RAND, UUID, SYSDATE).
    * `factory`: `impl(ctx, arg_fns)` is called once at compile time and returns the
      row function itself (for per-call-site state such as RAND(seed)'s generator).
    """

    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None
    strict: bool = True
    context: bool = False
    volatile: bool = False
    factory: bool = False

    def check_arity(self, n: int, shown: str | None = None) -> None:
        if n < self.min_args or (self.max_args is not None and n > self.max_args):
            raise ProgrammingError(
                f"Incorrect parameter count in the call to native function '{shown or self.name}'",
                errno=1582, sqlstate="42000")


FUNCTIONS: dict[str, FunctionDef] = {}


def _reg(names: str, min_args: int, max_args: int | None = -1, **flags: bool):
    """Register `impl` under space-separated `names`; `max_args=-1` means = min_args."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        hi = min_args if max_args == -1 else max_args
        for name in names.split():
            FUNCTIONS[name] = FunctionDef(name, fn, min_args, hi, **flags)
        return fn

    return deco


def lookup(name: str, db: str | None = None, shown: str | None = None) -> FunctionDef:
    """The function called `name`, or ERROR 1305 naming it as MySQL does
    (``FUNCTION db.x does not exist``)."""
    f = FUNCTIONS.get(name.upper())
    if f is None:
        who = shown or name
        full = f"{db}.{who}" if db else who
        raise ProgrammingError(f"FUNCTION {full} does not exist", errno=1305, sqlstate="42000")
    return f


def _s(v: Any) -> str:
    return v if type(v) is str else to_str(v)


# --- strings ----------------------------------------------------------------------------------


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


@_reg("LOWER LCASE", 1)
def fn_lower(s: Any) -> Any:
    return s if type(s) is bytes else _s(s).lower()


@_reg("UPPER UCASE", 1)
def fn_upper(s: Any) -> Any:
    return s if type(s) is bytes else _s(s).upper()


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


@_reg("MD5", 1)
def fn_md5(s: Any) -> str:
    return hashlib.md5(_bytes(s)).hexdigest()


@_reg("SHA1 SHA", 1)
def fn_sha1(s: Any) -> str:
    return hashlib.sha1(_bytes(s)).hexdigest()


@_reg("SHA2", 2)
def fn_sha2(s: Any, bits: Any) -> str | None:
    algo = {0: "sha256", 224: "sha224", 256: "sha256", 384: "sha384", 512: "sha512"}
    name = algo.get(to_int(bits))
    return None if name is None else hashlib.new(name, _bytes(s)).hexdigest()


@_reg("CRC32", 1)
def fn_crc32(s: Any) -> int:
    return zlib.crc32(_bytes(s))


@_reg("TO_BASE64", 1)
def fn_to_base64(s: Any) -> str:
    return base64.b64encode(_bytes(s)).decode("ascii")


@_reg("FROM_BASE64", 1)
def fn_from_base64(s: Any) -> bytes | None:
    try:
        return base64.b64decode(_s(s), validate=True)
    except ValueError:
        return None


def _bytes(v: Any) -> bytes:
    return v if type(v) is bytes else _s(v).encode("utf-8")


@_reg("BIN", 1)
def fn_bin(n: Any) -> str:
    k = to_int(n)
    return format(k & UINT64_MAX if k < 0 else k, "b")


@_reg("OCT", 1)
def fn_oct(n: Any) -> str:
    k = to_int(n)
    return format(k & UINT64_MAX if k < 0 else k, "o")


@_reg("CONV", 3)
def fn_conv(n: Any, from_base: Any, to_base: Any) -> str | None:
    fb, tb = abs(to_int(from_base)), to_int(to_base)
    if not (2 <= fb <= 36 and 2 <= abs(tb) <= 36):
        return None
    s = _s(n).strip()
    m = re.match(r"-?[0-9a-zA-Z]*", s)
    digits = m.group(0) if m else ""
    valid = ""
    for ch in digits.lstrip("-"):
        if int(ch, 36) >= fb:
            break
        valid += ch
    v = int(valid, fb) if valid else 0
    if digits.startswith("-"):
        v = -v
    if tb > 0 and v < 0:
        v &= UINT64_MAX
    neg = v < 0
    v = abs(v)
    chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    base = abs(tb)
    while True:
        v, r = divmod(v, base)
        out = chars[r] + out
        if not v:
            break
    return ("-" if neg else "") + out


@_reg("INET_ATON", 1)
def fn_inet_aton(s: Any) -> int | None:
    parts = _s(s).split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    nums = [int(p) for p in parts]
    if len(nums) < 4:  # MySQL: 'a.b' means a.0.0.b
        nums = nums[:-1] + [0] * (4 - len(nums)) + nums[-1:]
    return (nums[0] << 24) | (nums[1] << 16) | (nums[2] << 8) | nums[3]


@_reg("INET_NTOA", 1)
def fn_inet_ntoa(n: Any) -> str | None:
    k = to_int(n)
    if not 0 <= k <= 0xFFFFFFFF:
        return None
    return ".".join(str((k >> s) & 255) for s in (24, 16, 8, 0))


_REGEX_CACHE: dict[tuple[str, int], re.Pattern[str]] = {}


def regex(pattern: Any, flags_text: Any = None) -> re.Pattern[str]:
    """A compiled REGEXP pattern (cached).  Case-sensitive by default (binary collation);
    match_type letters: c (case-sensitive), i (insensitive), m (multi-line), n (. matches
    newline).  A bad pattern is ERROR 3692 like MySQL's ICU errors."""
    p = _s(pattern)
    flags = 0
    for ch in _s(flags_text) if flags_text is not None else "":
        if ch == "i":
            flags |= re.IGNORECASE
        elif ch == "c":
            flags &= ~re.IGNORECASE
        elif ch == "m":
            flags |= re.MULTILINE
        elif ch == "n":
            flags |= re.DOTALL
        elif ch != "u":
            raise ProgrammingError("Incorrect arguments to regexp_like.", errno=1210,
                                   sqlstate="HY000")
    key = (p, flags)
    rx = _REGEX_CACHE.get(key)
    if rx is None:
        try:
            rx = re.compile(p, flags)
        except re.error as e:
            raise ProgrammingError(f"Illegal argument to a regular expression: {e}",
                                   errno=3685, sqlstate="HY000") from None
        if len(_REGEX_CACHE) > 1024:
            _REGEX_CACHE.clear()
        _REGEX_CACHE[key] = rx
    return rx


@_reg("REGEXP_LIKE", 2, 3)
def fn_regexp_like(s: Any, pattern: Any, flags: Any = None) -> int:
    return 1 if regex(pattern, flags).search(_s(s)) is not None else 0


@_reg("REGEXP_REPLACE", 3, 6)
def fn_regexp_replace(s: Any, pattern: Any, repl: Any, pos: Any = 1, occurrence: Any = 0,
                      flags: Any = None) -> str:
    s = _s(s)
    start = max(to_int(pos), 1) - 1
    occ = to_int(occurrence)
    rx = regex(pattern, flags)
    r = re.sub(r"\$(\d)", r"\\\1", _s(repl))
    head, tail = s[:start], s[start:]
    if occ <= 0:
        return head + rx.sub(r, tail)
    count = 0

    def one(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return m.expand(r) if count == occ else m.group(0)

    return head + rx.sub(one, tail)


@_reg("REGEXP_SUBSTR", 2, 5)
def fn_regexp_substr(s: Any, pattern: Any, pos: Any = 1, occurrence: Any = 1,
                     flags: Any = None) -> str | None:
    s = _s(s)
    start = max(to_int(pos), 1) - 1
    occ = max(to_int(occurrence), 1)
    for i, m in enumerate(regex(pattern, flags).finditer(s, start), 1):
        if i == occ:
            return m.group(0)
    return None


@_reg("REGEXP_INSTR", 2, 6)
def fn_regexp_instr(s: Any, pattern: Any, pos: Any = 1, occurrence: Any = 1,
                    return_option: Any = 0, flags: Any = None) -> int:
    s = _s(s)
    start = max(to_int(pos), 1) - 1
    occ = max(to_int(occurrence), 1)
    for i, m in enumerate(regex(pattern, flags).finditer(s, start), 1):
        if i == occ:
            return (m.end() if to_int(return_option) else m.start()) + 1
    return 0


# --- control flow (the typed sqlglot nodes are compiled directly; these serve Anonymous) -------


@_reg("IFNULL", 2, strict=False)
def fn_ifnull(a: Any, b: Any) -> Any:
    return b if a is None else a


@_reg("NULLIF", 2, strict=False)
def fn_nullif(a: Any, b: Any) -> Any:
    return None if a is not None and compare(a, b) == 0 else a


@_reg("COALESCE", 1, None, strict=False)
def fn_coalesce(*args: Any) -> Any:
    for a in args:
        if a is not None:
            return a
    return None


@_reg("ISNULL", 1, strict=False)
def fn_isnull(a: Any) -> int:
    return 1 if a is None else 0


@_reg("ANY_VALUE", 1, strict=False)
def fn_any_value(a: Any) -> Any:
    return a


# --- math -------------------------------------------------------------------------------------


def _num(v: Any) -> int | float | Decimal:
    t = type(v)
    if t is int or t is float or t is Decimal:
        return v
    return to_number(v)


def _checked(f: float, kind: str = "DOUBLE") -> float:
    if f in (math.inf, -math.inf) or f != f:
        raise OutOfRange(kind)
    return f


@_reg("ABS", 1)
def fn_abs(v: Any) -> Any:
    x = _num(v)
    if type(x) is Decimal:
        return DEC.abs(x)
    r = abs(x)
    if type(r) is int and r > 9223372036854775807 and x < 0:
        raise OutOfRange("BIGINT")  # ABS(-9223372036854775808), as MySQL's int_op
    return r


@_reg("SIGN", 1)
def fn_sign(v: Any) -> int:
    x = _num(v)
    return (x > 0) - (x < 0)


@_reg("CEIL CEILING", 1)
def fn_ceil(v: Any) -> Any:
    """Exact input gives an integer, a double gives a double."""
    x = _num(v)
    if type(x) is float:
        return float(math.ceil(x)) if math.isfinite(x) else x
    return x if type(x) is int else int(x.to_integral_value(rounding="ROUND_CEILING"))


@_reg("FLOOR", 1)
def fn_floor(v: Any) -> Any:
    x = _num(v)
    if type(x) is float:
        return float(math.floor(x)) if math.isfinite(x) else x
    return x if type(x) is int else int(x.to_integral_value(rounding="ROUND_FLOOR"))


@_reg("ROUND", 1, 2)
def fn_round(v: Any, d: Any = 0) -> Any:
    """Exact values round half away from zero (``ROUND(2.5)`` = 3, ``ROUND(-2.5)`` = -3);
    doubles round half to even like MySQL's rint() (``ROUND(2.5e0)`` = 2)."""
    x = _num(v)
    places = to_int(d)
    t = type(x)
    if t is int:
        if places >= 0:
            return x
        if places < -70:  # past any integer's digits: 0, without building 10**1e20
            return 0
        q = 10 ** (-places)
        r = (abs(x) + q // 2) // q * q
        return -r if x < 0 else r
    if t is Decimal:
        if places >= 0:
            return x.quantize(Decimal(1).scaleb(-min(places, 30)), rounding=ROUND_HALF_UP,
                              context=DEC)
        q = Decimal(1).scaleb(-places)
        return (x / q).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=DEC) * q
    if not math.isfinite(x):
        return x
    if places >= 0:
        if places > 308:  # every double is already exact at 308 places
            return x
        tmp = 10.0 ** places
        scaled = x * tmp
        return x if math.isinf(scaled) else round(scaled) / tmp
    if -places > 308:  # rounds to a power of ten above DOUBLE's range: 0, as mysqld
        return 0.0
    tmp = 10.0 ** (-places)
    return float(round(x / tmp) * tmp)


@_reg("TRUNCATE", 2)
def fn_truncate(v: Any, d: Any) -> Any:
    x = _num(v)
    places = to_int(d)
    t = type(x)
    if t is int:
        if places >= 0:
            return x
        if places < -70:
            return 0
        q = 10 ** (-places)
        r = abs(x) // q * q
        return -r if x < 0 else r
    if t is Decimal:
        if places >= 0:
            return x.quantize(Decimal(1).scaleb(-min(places, 30)), rounding=ROUND_DOWN,
                              context=DEC)
        q = Decimal(1).scaleb(-places)
        return (x / q).quantize(Decimal(1), rounding=ROUND_DOWN, context=DEC) * q
    if not math.isfinite(x):
        return x
    tmp = 10.0 ** abs(places)
    if places >= 0:
        scaled = x * tmp
        return float(math.trunc(scaled)) / tmp if math.isfinite(scaled) else x
    return float(math.trunc(x / tmp) * tmp)


@_reg("MOD", 2)
def fn_mod(a: Any, b: Any) -> Any:
    return mod(a, b)


@_reg("POW POWER", 2)
def fn_pow(a: Any, b: Any) -> float | None:
    try:
        return _checked(math.pow(to_double(a), to_double(b)))
    except OverflowError:
        raise OutOfRange() from None
    except (ValueError, ZeroDivisionError):
        return None  # POW(-8, 1/3), POW(0, -1): NULL, as MySQL


@_reg("SQRT", 1)
def fn_sqrt(v: Any) -> float | None:
    x = to_double(v)
    return math.sqrt(x) if x >= 0 else None


@_reg("EXP", 1)
def fn_exp(v: Any) -> float:
    try:
        return math.exp(to_double(v))
    except OverflowError:
        raise OutOfRange() from None


@_reg("LN", 1)
def fn_ln(v: Any) -> float | None:
    x = to_double(v)
    return math.log(x) if x > 0 else None


@_reg("LOG", 1, 2)
def fn_log(a: Any, b: Any = None) -> float | None:
    """LOG(x) is the natural log; LOG(b, x) the base-b log; NULL outside the domain."""
    if b is None:
        return fn_ln(a)
    base, x = to_double(a), to_double(b)
    if x <= 0 or base <= 0 or base == 1:
        return None
    return math.log(x) / math.log(base)


@_reg("LOG2", 1)
def fn_log2(v: Any) -> float | None:
    x = to_double(v)
    return math.log2(x) if x > 0 else None


@_reg("LOG10", 1)
def fn_log10(v: Any) -> float | None:
    x = to_double(v)
    return math.log10(x) if x > 0 else None


@_reg("PI", 0)
def fn_pi() -> float:
    return math.pi


def _domain(fn: Callable[[float], float]) -> Callable[[Any], float | None]:
    def impl(v: Any) -> float | None:
        try:
            return fn(to_double(v))
        except (ValueError, ZeroDivisionError):
            return None

    return impl


for _name, _f in (("SIN", math.sin), ("COS", math.cos), ("TAN", math.tan),
                  ("ASIN", math.asin), ("ACOS", math.acos), ("DEGREES", math.degrees),
                  ("RADIANS", math.radians)):
    _reg(_name, 1)(_domain(_f))


@_reg("COT", 1)
def fn_cot(v: Any) -> float:
    t = math.tan(to_double(v))
    if t == 0:
        raise OutOfRange()
    return 1.0 / t


@_reg("ATAN", 1, 2)
def fn_atan(a: Any, b: Any = None) -> float:
    if b is None:
        return math.atan(to_double(a))
    return math.atan2(to_double(a), to_double(b))


@_reg("ATAN2", 2)
def fn_atan2(a: Any, b: Any) -> float:
    return math.atan2(to_double(a), to_double(b))


class MySQLRandom:
    """MySQL's RAND(N) generator (``my_rnd``), so that seeded sequences match a real
    server: ``RAND(3)`` starts 0.9057697559760601."""

    MAX = 0x3FFFFFFF

    def __init__(self, seed: int):
        tmp = seed & 0xFFFFFFFF
        self.seed1 = ((tmp * 0x10001 + 55555555) & 0xFFFFFFFF) % self.MAX
        self.seed2 = ((tmp * 0x10000001) & 0xFFFFFFFF) % self.MAX

    def random(self) -> float:
        self.seed1 = (self.seed1 * 3 + self.seed2) % self.MAX
        self.seed2 = (self.seed1 + self.seed2 + 33) % self.MAX
        return self.seed1 / float(self.MAX)


def _rand_factory(ctx: Any, args: Sequence[Callable[[Any], Any]]) -> Callable[[Any], float]:
    """RAND() draws from the context's generator; RAND(N) with a constant N is one seeded
    sequence per call site and statement run; a non-constant N reseeds on every row (MySQL)."""
    if not args:
        def rand(row: Any) -> float:
            rng = getattr(ctx, "rng", None)
            return rng.random() if rng is not None else random.random()

        return rand
    seed_fn = args[0]
    const_seed = getattr(seed_fn, "const_value", _NO_CONST)
    if const_seed is not _NO_CONST:
        state: dict[str, Any] = {"token": _NO_CONST, "gen": None}

        def rand_seeded(row: Any) -> float:
            token = getattr(ctx, "run_token", None)
            if state["gen"] is None or state["token"] is not token:
                state["gen"] = MySQLRandom(to_int(const_seed) or 0)
                state["token"] = token
            return state["gen"].random()

        return rand_seeded

    def rand_reseed(row: Any) -> float:
        return MySQLRandom(to_int(seed_fn(row)) or 0).random()

    return rand_reseed


_NO_CONST = object()
_reg("RAND", 0, 1, factory=True, volatile=True)(_rand_factory)


@_reg("GREATEST", 2, None)
def fn_greatest(*args: Any) -> Any:
    return _extreme(args, 1)


@_reg("LEAST", 2, None)
def fn_least(*args: Any) -> Any:
    return _extreme(args, -1)


def _extreme(args: Sequence[Any], sign: int) -> Any:
    """MySQL: all numbers compare as numbers; any string among numbers makes it a string
    comparison."""
    if any(type(a) is str for a in args) and not all(type(a) is str for a in args):
        if any(isinstance(a, (int, float, Decimal)) for a in args):
            strs = [to_str(a) for a in args]
            best = 0
            for i in range(1, len(strs)):
                if (strs[i] > strs[best]) - (strs[i] < strs[best]) == sign:
                    best = i
            return strs[best]
    best_v = args[0]
    for a in args[1:]:
        if compare(a, best_v) == sign:
            best_v = a
    return best_v


# --- dates and times -------------------------------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _fsp_now(v: datetime, fsp: Any) -> datetime:
    n = 0 if fsp is None else to_int(fsp)
    if not 0 <= n <= 6:
        raise ProgrammingError(f"Too-big precision {n} specified for 'now'. Maximum is 6.",
                               errno=1426, sqlstate="42000")
    unit = 10 ** (6 - n)
    return v.replace(microsecond=v.microsecond // unit * unit)


def _ctx_now(ctx: Any) -> datetime:
    now = getattr(ctx, "now", None)
    return now if now is not None else datetime.now()


@_reg("NOW CURRENT_TIMESTAMP LOCALTIME LOCALTIMESTAMP", 0, 1, context=True, strict=False)
def fn_now(ctx: Any, fsp: Any = None) -> datetime:
    """The statement's fixed time (``ctx.now``), truncated to `fsp` digits."""
    return _fsp_now(_ctx_now(ctx), fsp)


@_reg("SYSDATE", 0, 1, volatile=True, strict=False)
def fn_sysdate(fsp: Any = None) -> datetime:
    """The time at evaluation, not at statement start (MySQL's SYSDATE)."""
    return _fsp_now(datetime.now(), fsp)


@_reg("CURDATE CURRENT_DATE", 0, context=True)
def fn_curdate(ctx: Any) -> date:
    return _ctx_now(ctx).date()


@_reg("CURTIME CURRENT_TIME", 0, 1, context=True, strict=False)
def fn_curtime(ctx: Any, fsp: Any = None) -> timedelta:
    n = _fsp_now(_ctx_now(ctx), fsp)
    return timedelta(hours=n.hour, minutes=n.minute, seconds=n.second,
                     microseconds=n.microsecond)


def _utc_now(ctx: Any) -> datetime:
    now = _ctx_now(ctx)
    tz = getattr(ctx, "time_zone", None)
    aware = now.replace(tzinfo=tz) if tz is not None else now.astimezone()
    return aware.astimezone(_dt.UTC).replace(tzinfo=None)


@_reg("UTC_TIMESTAMP", 0, 1, context=True, strict=False)
def fn_utc_timestamp(ctx: Any, fsp: Any = None) -> datetime:
    return _fsp_now(_utc_now(ctx), fsp)


@_reg("UTC_DATE", 0, context=True)
def fn_utc_date(ctx: Any) -> date:
    return _utc_now(ctx).date()


@_reg("UTC_TIME", 0, 1, context=True, strict=False)
def fn_utc_time(ctx: Any, fsp: Any = None) -> timedelta:
    n = _fsp_now(_utc_now(ctx), fsp)
    return timedelta(hours=n.hour, minutes=n.minute, seconds=n.second,
                     microseconds=n.microsecond)


@_reg("DATE", 1)
def fn_date(v: Any) -> date | None:
    return to_date(v)


@_reg("TIME", 1)
def fn_time(v: Any) -> timedelta | None:
    return to_time(v)


@_reg("TIMESTAMP", 1, 2)
def fn_timestamp(v: Any, add_time: Any = None) -> datetime | None:
    d = to_datetime(v)
    if d is None or add_time is None:
        return d
    t = to_time(add_time)
    return None if t is None else d + t


def _dt_part(v: Any) -> date | datetime | None:
    return to_temporal(v)


@_reg("YEAR", 1)
def fn_year(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.year


@_reg("MONTH", 1)
def fn_month(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.month


@_reg("DAY DAYOFMONTH", 1)
def fn_day(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.day


@_reg("QUARTER", 1)
def fn_quarter(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else (d.month + 2) // 3


def _time_part(v: Any) -> timedelta | None:
    if type(v) is datetime:
        return timedelta(hours=v.hour, minutes=v.minute, seconds=v.second,
                         microseconds=v.microsecond)
    if type(v) is date:
        return timedelta(0)
    return to_time(v)


@_reg("HOUR", 1)
def fn_hour(v: Any) -> int | None:
    """For a TIME the hours may exceed 23 (``HOUR('100:00:00')`` = 100)."""
    t = _time_part(v)
    if t is None:
        return None
    secs = abs(t.days * 86400 + t.seconds)
    return secs // 3600


@_reg("MINUTE", 1)
def fn_minute(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return abs(t.days * 86400 + t.seconds) // 60 % 60


@_reg("SECOND", 1)
def fn_second(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return abs(t.days * 86400 + t.seconds) % 60


@_reg("MICROSECOND", 1)
def fn_microsecond(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return abs(t).microseconds


@_reg("DAYOFWEEK", 1)
def fn_dayofweek(v: Any) -> int | None:
    """1 = Sunday .. 7 = Saturday (ODBC)."""
    d = _dt_part(v)
    return None if d is None else (d.weekday() + 1) % 7 + 1


@_reg("WEEKDAY", 1)
def fn_weekday(v: Any) -> int | None:
    """0 = Monday .. 6 = Sunday."""
    d = _dt_part(v)
    return None if d is None else d.weekday()


@_reg("DAYOFYEAR", 1)
def fn_dayofyear(v: Any) -> int | None:
    d = _dt_part(v)
    return None if d is None else d.timetuple().tm_yday


@_reg("DAYNAME", 1)
def fn_dayname(v: Any) -> str | None:
    d = _dt_part(v)
    return None if d is None else _DAYS[d.weekday()]


@_reg("MONTHNAME", 1)
def fn_monthname(v: Any) -> str | None:
    d = _dt_part(v)
    return None if d is None else _MONTHS[d.month - 1]


@_reg("LAST_DAY", 1)
def fn_last_day(v: Any) -> date | None:
    d = _dt_part(v)
    if d is None:
        return None
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


# MySQL's week computation (sql_time.cc calc_week), so WEEK()/%U/%V/%X agree with a server.
_WEEK_MONDAY_FIRST, _WEEK_YEAR, _WEEK_FIRST_WEEKDAY = 1, 2, 4


def _days_in_year(y: int) -> int:
    return 366 if calendar.isleap(y) else 365


def calc_week(d: date, behaviour: int) -> tuple[int, int]:
    """(week, year) of `d` under MySQL's week `behaviour` flags."""
    monday_first = bool(behaviour & _WEEK_MONDAY_FIRST)
    week_year = bool(behaviour & _WEEK_YEAR)
    first_weekday = bool(behaviour & _WEEK_FIRST_WEEKDAY)
    daynr = d.toordinal()
    first = date(d.year, 1, 1)
    first_daynr = first.toordinal()
    weekday = first.weekday() if monday_first else (first.weekday() + 1) % 7
    year = d.year
    if d.month == 1 and d.day <= 7 - weekday:
        if not week_year and ((first_weekday and weekday != 0)
                              or (not first_weekday and weekday >= 4)):
            return 0, year
        week_year = True
        year -= 1
        days = _days_in_year(year)
        first_daynr -= days
        weekday = (weekday + 53 * 7 - days) % 7
    if (first_weekday and weekday != 0) or (not first_weekday and weekday >= 4):
        days = daynr - (first_daynr + (7 - weekday))
    else:
        days = daynr - (first_daynr - weekday)
    if week_year and days >= 52 * 7:
        weekday = (weekday + _days_in_year(year)) % 7
        if (not first_weekday and weekday < 4) or (first_weekday and weekday == 0):
            return 1, year + 1
    return days // 7 + 1, year


def _week_mode(mode: int) -> int:
    m = mode & 7
    if not m & _WEEK_MONDAY_FIRST:
        m ^= _WEEK_FIRST_WEEKDAY
    return m


@_reg("WEEK", 1, 2)
def fn_week(v: Any, mode: Any = 0) -> int | None:
    d = _dt_part(v)
    return None if d is None else calc_week(d, _week_mode(to_int(mode)))[0]


@_reg("WEEKOFYEAR", 1)
def fn_weekofyear(v: Any) -> int | None:
    return fn_week(v, 3)


@_reg("YEARWEEK", 1, 2)
def fn_yearweek(v: Any, mode: Any = 0) -> int | None:
    d = _dt_part(v)
    if d is None:
        return None
    week, year = calc_week(d, _week_mode(to_int(mode)) | _WEEK_YEAR)
    return year * 100 + week


def _ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def date_format(v: Any, fmt: str, time_only: bool = False) -> str | None:
    """MySQL DATE_FORMAT (and TIME_FORMAT when `time_only`)."""
    if time_only:
        t = to_time(v)
        if t is None:
            return None
        secs = abs(t.days * 86400 + t.seconds)
        hh, mi, ss, us = secs // 3600, secs // 60 % 60, secs % 60, abs(t).microseconds
        d = None
    else:
        d = to_temporal(v)
        if d is None:
            return None
        if type(d) is datetime:
            hh, mi, ss, us = d.hour, d.minute, d.second, d.microsecond
        else:
            hh = mi = ss = us = 0
    out: list[str] = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%" or i + 1 == n:
            out.append(c)
            i += 1
            continue
        s = fmt[i + 1]
        i += 2
        h12 = (hh % 12) or 12
        if s == "H":
            out.append(f"{hh:02d}")
        elif s == "k":
            out.append(str(hh))
        elif s in "hI":
            out.append(f"{h12:02d}")
        elif s == "l":
            out.append(str(h12))
        elif s == "i":
            out.append(f"{mi:02d}")
        elif s in "sS":
            out.append(f"{ss:02d}")
        elif s == "f":
            out.append(f"{us:06d}")
        elif s == "p":
            out.append("AM" if hh % 24 < 12 else "PM")
        elif s == "r":
            out.append(f"{h12:02d}:{mi:02d}:{ss:02d} {'AM' if hh % 24 < 12 else 'PM'}")
        elif s == "T":
            out.append(f"{hh:02d}:{mi:02d}:{ss:02d}")
        elif s == "%":
            out.append("%")
        elif d is None:
            if s in "YyXxmcdeDjUuVvaWbMw":
                return None
            out.append(s)
        elif s == "Y":
            out.append(f"{d.year:04d}")
        elif s == "y":
            out.append(f"{d.year % 100:02d}")
        elif s == "m":
            out.append(f"{d.month:02d}")
        elif s == "c":
            out.append(str(d.month))
        elif s == "d":
            out.append(f"{d.day:02d}")
        elif s == "e":
            out.append(str(d.day))
        elif s == "D":
            out.append(f"{d.day}{_ordinal_suffix(d.day)}")
        elif s == "j":
            out.append(f"{d.timetuple().tm_yday:03d}")
        elif s == "M":
            out.append(_MONTHS[d.month - 1])
        elif s == "b":
            out.append(_MONTHS[d.month - 1][:3])
        elif s == "W":
            out.append(_DAYS[d.weekday()])
        elif s == "a":
            out.append(_DAYS[d.weekday()][:3])
        elif s == "w":
            out.append(str((d.weekday() + 1) % 7))
        elif s == "U":
            out.append(f"{calc_week(d, _WEEK_FIRST_WEEKDAY)[0]:02d}")
        elif s == "u":
            out.append(f"{calc_week(d, _WEEK_MONDAY_FIRST)[0]:02d}")
        elif s == "V":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_FIRST_WEEKDAY)[0]:02d}")
        elif s == "v":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_MONDAY_FIRST)[0]:02d}")
        elif s == "X":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_FIRST_WEEKDAY)[1]:04d}")
        elif s == "x":
            out.append(f"{calc_week(d, _WEEK_YEAR | _WEEK_MONDAY_FIRST)[1]:04d}")
        else:
            out.append(s)
    return "".join(out)


@_reg("DATE_FORMAT", 2)
def fn_date_format(v: Any, fmt: Any) -> str | None:
    return date_format(v, _s(fmt))


@_reg("TIME_FORMAT", 2)
def fn_time_format(v: Any, fmt: Any) -> str | None:
    return date_format(v, _s(fmt), time_only=True)


_MONTH_LOOKUP = {m.lower(): i for i, m in enumerate(_MONTHS, 1)}
_MONTH_LOOKUP.update({m[:3].lower(): i for i, m in enumerate(_MONTHS, 1)})
_DAY_NAMES = {d.lower() for d in _DAYS} | {d[:3].lower() for d in _DAYS}


def str_to_date(s: str, fmt: str) -> date | datetime | timedelta | None:
    """MySQL STR_TO_DATE: a DATE when the format has only date parts, a DATETIME when it has
    both, a TIME when only time parts; NULL when the string does not match or the date is
    invalid.  Text after the last format item is ignored (MySQL warns)."""
    vals: dict[str, int] = {}
    pm: bool | None = None
    ndigits = 0
    pos, i, n, ln = 0, 0, len(fmt), len(s)

    def digits(maxlen: int) -> int | None:
        nonlocal pos, ndigits
        while pos < ln and s[pos].isspace():
            pos += 1
        start = pos
        while pos < ln and pos - start < maxlen and s[pos].isdigit():
            pos += 1
        ndigits = pos - start
        return int(s[start:pos]) if ndigits else None

    def word(allowed: set[str] | dict[str, int]) -> str | None:
        nonlocal pos
        start = pos
        while pos < ln and s[pos].isalpha():
            pos += 1
        w = s[start:pos].lower()
        return w if w in allowed else None

    while i < n:
        c = fmt[i]
        if c.isspace():
            i += 1
            while pos < ln and s[pos].isspace():
                pos += 1
            continue
        if c != "%" or i + 1 == n:
            if pos >= ln or s[pos] != c:
                return None
            pos += 1
            i += 1
            continue
        spec = fmt[i + 1]
        i += 2
        if spec in "Yy":
            v = digits(4 if spec == "Y" else 2)
            if v is None:
                return None
            if ndigits <= 2:  # MySQL applies the 2-digit year rule to %Y as well
                v += 2000 if v < 70 else 1900
            vals["year"] = v
        elif spec in "mc":
            v = digits(2)
            if v is None:
                return None
            vals["month"] = v
        elif spec in "de":
            v = digits(2)
            if v is None:
                return None
            vals["day"] = v
        elif spec == "D":
            v = digits(2)
            if v is None:
                return None
            vals["day"] = v
            pos += 2 if s[pos:pos + 2].isalpha() else 0
        elif spec in "Hk":
            v = digits(2)
            if v is None:
                return None
            vals["hour"] = v
        elif spec in "hIl":
            v = digits(2)
            if v is None or not 1 <= v <= 12:
                return None
            vals["hour12"] = v
        elif spec == "i":
            v = digits(2)
            if v is None:
                return None
            vals["minute"] = v
        elif spec in "sS":
            v = digits(2)
            if v is None:
                return None
            vals["second"] = v
        elif spec == "f":
            start = pos
            while pos < ln and pos - start < 6 and s[pos].isdigit():
                pos += 1
            if pos == start:
                return None
            vals["micro"] = int(s[start:pos].ljust(6, "0"))
        elif spec == "p":
            w = s[pos:pos + 2].upper()
            if w not in ("AM", "PM"):
                return None
            pm = w == "PM"
            pos += 2
        elif spec in "Mb":
            w = word(_MONTH_LOOKUP)
            if w is None:
                return None
            vals["month"] = _MONTH_LOOKUP[w]
        elif spec in "Wa":
            if word(_DAY_NAMES) is None:
                return None
        elif spec == "j":
            v = digits(3)
            if v is None:
                return None
            vals["yday"] = v
        elif spec == "T":
            sub = str_to_date(s[pos:], "%H:%i:%s")
            if not isinstance(sub, timedelta):
                return None
            secs = sub.seconds
            vals.update(hour=secs // 3600, minute=secs // 60 % 60, second=secs % 60)
            m = re.match(r"\s*\d{1,2}:\d{1,2}:\d{1,2}", s[pos:])
            pos += m.end() if m else 0
        elif spec == "r":
            m = re.match(r"\s*(\d{1,2}):(\d{1,2}):(\d{1,2})\s*([AaPp][Mm])", s[pos:])
            if m is None:
                return None
            vals.update(hour12=int(m.group(1)), minute=int(m.group(2)), second=int(m.group(3)))
            pm = m.group(4).upper() == "PM"
            pos += m.end()
        elif spec == "%":
            if pos >= ln or s[pos] != "%":
                return None
            pos += 1
        else:
            return None
    has_date = any(k in vals for k in ("year", "month", "day", "yday"))
    has_time = any(k in vals for k in ("hour", "hour12", "minute", "second", "micro"))
    hour = vals.get("hour", 0)
    if "hour12" in vals:
        hour = vals["hour12"] % 12 + (12 if pm else 0)
    elif pm is not None and "hour" in vals:
        return None
    minute, second, micro = vals.get("minute", 0), vals.get("second", 0), vals.get("micro", 0)
    if minute > 59 or second > 59:
        return None
    if not has_date:
        if hour > 838:
            return None
        return timedelta(hours=hour, minutes=minute, seconds=second, microseconds=micro)
    if hour > 23:
        return None
    year = vals.get("year", 0)
    try:
        if "yday" in vals and "month" not in vals and "day" not in vals:
            d = date(year, 1, 1) + timedelta(days=vals["yday"] - 1)
        else:
            d = date(year, vals.get("month", 0), vals.get("day", 0))
    except (ValueError, OverflowError):
        return None
    if has_time:
        return datetime(d.year, d.month, d.day, hour, minute, second, micro)
    return d


@_reg("STR_TO_DATE", 2)
def fn_str_to_date(s: Any, fmt: Any) -> Any:
    return str_to_date(_s(s), _s(fmt))


# INTERVAL arithmetic ---------------------------------------------------------------------------

_SIMPLE_UNITS = {"MICROSECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER",
                 "YEAR"}
# composite unit -> its fields, largest first
_COMPOSITE_UNITS = {
    "SECOND_MICROSECOND": ("SECOND", "MICROSECOND"),
    "MINUTE_MICROSECOND": ("MINUTE", "SECOND", "MICROSECOND"),
    "MINUTE_SECOND": ("MINUTE", "SECOND"),
    "HOUR_MICROSECOND": ("HOUR", "MINUTE", "SECOND", "MICROSECOND"),
    "HOUR_SECOND": ("HOUR", "MINUTE", "SECOND"),
    "HOUR_MINUTE": ("HOUR", "MINUTE"),
    "DAY_MICROSECOND": ("DAY", "HOUR", "MINUTE", "SECOND", "MICROSECOND"),
    "DAY_SECOND": ("DAY", "HOUR", "MINUTE", "SECOND"),
    "DAY_MINUTE": ("DAY", "HOUR", "MINUTE"),
    "DAY_HOUR": ("DAY", "HOUR"),
    "YEAR_MONTH": ("YEAR", "MONTH"),
}
INTERVAL_UNITS = _SIMPLE_UNITS | set(_COMPOSITE_UNITS)
_USEC = {"MICROSECOND": 1, "SECOND": 1_000_000, "MINUTE": 60_000_000, "HOUR": 3_600_000_000,
         "DAY": 86_400_000_000, "WEEK": 604_800_000_000}


def check_unit(unit: str) -> str:
    u = unit.upper()
    if u not in INTERVAL_UNITS:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{unit}'",
            errno=1064, sqlstate="42000")
    return u


def interval_parts(amount: Any, unit: str) -> tuple[int, int] | None:
    """An INTERVAL as (months, microseconds), or None for a NULL/invalid amount."""
    if amount is None:
        return None
    if unit in _COMPOSITE_UNITS:
        fields = _COMPOSITE_UNITS[unit]
        text = _s(amount).strip()
        neg = text.startswith("-")
        nums = re.findall(r"\d+", text)
        if not nums or len(nums) > len(fields):
            return None
        # Too few numbers: MySQL assumes the leftmost fields were left out.
        named = dict(zip(fields[len(fields) - len(nums):], nums, strict=True))
        months, usec = 0, 0
        for f, txt in named.items():
            if f == "MICROSECOND":
                # the last part of a *_MICROSECOND value is a fraction: '1.5' = 1.500000 s
                val = int(txt.ljust(6, "0")[:6]) if len(nums) > 1 else int(txt)
            else:
                val = int(txt)
            if f == "YEAR":
                months += 12 * val
            elif f == "MONTH":
                months += val
            else:
                usec += val * _USEC[f]
        return (-months, -usec) if neg else (months, usec)
    t = type(amount)
    if unit == "SECOND":
        num = to_number(amount) if t is not str else Decimal(str_num(amount))
        if type(num) is int:
            return 0, num * 1_000_000
        d = Decimal(repr(num)) if type(num) is float else Decimal(num)
        return 0, int((d * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))
    if t is str or t is bytes:
        n = to_int(amount)
    else:
        num = to_number(amount)
        n = num if type(num) is int else round_half_away(num)
    if unit == "YEAR":
        return 12 * n, 0
    if unit == "QUARTER":
        return 3 * n, 0
    if unit == "MONTH":
        return n, 0
    return 0, n * _USEC[unit]


def str_num(s: str) -> str:
    m = re.match(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))", s)
    return m.group(1) if m else "0"


def _add_months(d: date | datetime, months: int) -> date | datetime | None:
    total = d.year * 12 + (d.month - 1) + months
    y, m = divmod(total, 12)
    if not 1 <= y <= 9999:
        return None
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return d.replace(year=y, month=m + 1, day=day)


def date_add(v: Any, amount: Any, unit: str, sign: int = 1) -> Any:
    """DATE_ADD / DATE_SUB / ``d + INTERVAL n unit``.

    Month arithmetic clamps to the month's last day (2024-01-31 + 1 MONTH = 2024-02-29).
    A DATE stays a DATE for day-or-larger units and becomes a DATETIME otherwise; a string
    argument gives a string result (MySQL's VARCHAR); a result outside years 1..9999 or an
    invalid date is NULL.
    """
    parts = interval_parts(amount, unit)
    if parts is None or v is None:
        return None
    months, usec = parts
    if sign < 0:
        months, usec = -months, -usec
    as_text = type(v) is str or type(v) is bytes
    if type(v) is timedelta:
        if months:
            return None
        r = v + timedelta(microseconds=usec)
        return r
    d = to_temporal(v)
    if d is None:
        return None
    if type(d) is date and usec % _USEC["DAY"] != 0:
        d = datetime(d.year, d.month, d.day)
    try:
        if months:
            d = _add_months(d, months)
            if d is None:
                return None
        if usec:
            d = d + timedelta(microseconds=usec)
    except OverflowError:
        return None
    if not 1 <= d.year <= 9999:
        return None
    return to_str(d) if as_text else d


@_reg("DATE_ADD", 3)
def fn_date_add(v: Any, amount: Any, unit: Any) -> Any:
    return date_add(v, amount, check_unit(_s(unit)))


@_reg("DATE_SUB", 3)
def fn_date_sub(v: Any, amount: Any, unit: Any) -> Any:
    return date_add(v, amount, check_unit(_s(unit)), -1)


@_reg("ADDDATE", 2, 3)
def fn_adddate(v: Any, amount: Any, unit: Any = "DAY") -> Any:
    return date_add(v, amount, check_unit(_s(unit)))


@_reg("SUBDATE", 2, 3)
def fn_subdate(v: Any, amount: Any, unit: Any = "DAY") -> Any:
    return date_add(v, amount, check_unit(_s(unit)), -1)


@_reg("TIMESTAMPADD", 3)
def fn_timestampadd(unit: Any, amount: Any, v: Any) -> Any:
    return date_add(v, amount, check_unit(_s(unit)))


@_reg("DATEDIFF", 2)
def fn_datediff(a: Any, b: Any) -> int | None:
    """Days from `b` to `a`, ignoring times."""
    x, y = to_date(a), to_date(b)
    if x is None or y is None:
        return None
    return x.toordinal() - y.toordinal()


@_reg("TIMESTAMPDIFF", 3)
def fn_timestampdiff(unit: Any, a: Any, b: Any) -> int | None:
    """``b - a`` in whole `unit`s, truncated toward zero; months count only when the day and
    time of month have been reached (MySQL)."""
    u = check_unit(_s(unit))
    x, y = to_datetime(a), to_datetime(b)
    if x is None or y is None:
        return None
    if u in ("MONTH", "QUARTER", "YEAR"):
        months = (y.year - x.year) * 12 + (y.month - x.month)
        rx = (x.day, x.hour, x.minute, x.second, x.microsecond)
        ry = (y.day, y.hour, y.minute, y.second, y.microsecond)
        if y >= x and ry < rx:
            months -= 1
        elif y < x and ry > rx:
            months += 1
        div = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}[u]
        q = abs(months) // div
        return -q if months < 0 else q
    if u not in _USEC:
        raise ProgrammingError(
            "You have an error in your SQL syntax; check the manual that corresponds to your "
            f"MySQL server version for the right syntax to use near '{u}'",
            errno=1064, sqlstate="42000")
    delta = y - x
    us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    q = abs(us) // _USEC[u]
    return -q if us < 0 else q


def _tz(ctx: Any) -> _dt.tzinfo | None:
    return getattr(ctx, "time_zone", None)


@_reg("UNIX_TIMESTAMP", 0, 1, context=True, strict=False)
def fn_unix_timestamp(ctx: Any, *args: Any) -> int | Decimal | None:
    """Seconds since the epoch of a local time (the session time zone, ``ctx.time_zone``,
    default the system's); 0 before the epoch as in MySQL; a Decimal when the time has
    fractional seconds.  UNIX_TIMESTAMP(NULL) is NULL, UNIX_TIMESTAMP() is now."""
    if not args:
        d = _ctx_now(ctx).replace(microsecond=0)
    else:
        v = args[0]
        if v is None:
            return None
        d = to_datetime(v)
        if d is None:
            return None
    tz = _tz(ctx)
    aware = d.replace(tzinfo=tz) if tz is not None else d.astimezone()
    ts = aware.timestamp()
    if ts < 0:
        return 0
    if d.microsecond:
        return Decimal(int(ts)) + Decimal(d.microsecond).scaleb(-6)
    return int(ts)


@_reg("FROM_UNIXTIME", 1, 2, context=True)
def fn_from_unixtime(ctx: Any, n: Any, fmt: Any = None) -> Any:
    num = to_number(n)
    if num < 0 or num > 32536771199:
        return None
    d = Decimal(repr(num)) if type(num) is float else Decimal(num)
    secs = int(d)
    micro = int(((d - secs) * 1_000_000).to_integral_value(rounding=ROUND_HALF_UP))
    tz = _tz(ctx)
    base = datetime.fromtimestamp(secs, tz) if tz is not None else datetime.fromtimestamp(secs)
    r = base.replace(tzinfo=None, microsecond=micro)
    return r if fmt is None else date_format(r, _s(fmt))


@_reg("MAKEDATE", 2)
def fn_makedate(year: Any, doy: Any) -> date | None:
    y, n = to_int(year), to_int(doy)
    if n < 1 or not 0 <= y <= 9999:
        return None
    if y < 70:
        y += 2000
    elif y < 100:
        y += 1900
    try:
        return date(y, 1, 1) + timedelta(days=n - 1)
    except OverflowError:
        return None


@_reg("MAKETIME", 3)
def fn_maketime(h: Any, m: Any, s: Any) -> timedelta | None:
    hh, mm = to_int(h), to_int(m)
    ss = to_number(s)
    if not 0 <= mm <= 59 or not 0 <= ss < 60:
        return None
    sec = Decimal(repr(ss)) if type(ss) is float else Decimal(ss)
    t = timedelta(hours=abs(hh), minutes=mm, microseconds=int(sec * 1_000_000))
    return -t if hh < 0 else t


@_reg("FROM_DAYS", 1)
def fn_from_days(n: Any) -> date | None:
    k = to_int(n)
    if k < 366:
        return None
    try:
        return date.fromordinal(k - 365)
    except (ValueError, OverflowError):
        return None


@_reg("TO_DAYS", 1)
def fn_to_days(v: Any) -> int | None:
    d = to_date(v)
    return None if d is None else d.toordinal() + 365


@_reg("TO_SECONDS", 1)
def fn_to_seconds(v: Any) -> int | None:
    d = to_datetime(v)
    if d is None:
        return None
    return (d.toordinal() + 365) * 86400 + d.hour * 3600 + d.minute * 60 + d.second


@_reg("TIME_TO_SEC", 1)
def fn_time_to_sec(v: Any) -> int | None:
    t = _time_part(v)
    if t is None:
        return None
    return t.days * 86400 + t.seconds if t >= timedelta(0) else -((-t).days * 86400
                                                                   + (-t).seconds)


@_reg("SEC_TO_TIME", 1)
def fn_sec_to_time(v: Any) -> timedelta:
    num = to_number(v)
    d = Decimal(repr(num)) if type(num) is float else Decimal(num)
    t = timedelta(microseconds=int(d * 1_000_000))
    cap = timedelta(hours=838, minutes=59, seconds=59)
    return max(-cap, min(cap, t))


@_reg("TIMEDIFF", 2)
def fn_timediff(a: Any, b: Any) -> timedelta | None:
    """``a - b`` for two TIMEs or two DATETIMEs; NULL when they are of different kinds."""
    ta = type(a) in (datetime, date) or (type(a) is str and to_temporal(a) is not None
                                          and ":" in a and "-" in a)
    tb = type(b) in (datetime, date) or (type(b) is str and to_temporal(b) is not None
                                          and ":" in b and "-" in b)
    if ta != tb:
        return None
    if ta:
        x, y = to_datetime(a), to_datetime(b)
    else:
        x, y = to_time(a), to_time(b)
    if x is None or y is None:
        return None
    r = x - y
    cap = timedelta(hours=838, minutes=59, seconds=59)
    return max(-cap, min(cap, r))


@_reg("ADDTIME", 2)
def fn_addtime(a: Any, b: Any) -> Any:
    t = to_time(b)
    if t is None:
        return None
    if type(a) is timedelta or (type(a) is str and to_temporal(a) is None):
        x = to_time(a)
        return None if x is None else x + t
    d = to_datetime(a)
    return None if d is None else d + t


@_reg("SUBTIME", 2)
def fn_subtime(a: Any, b: Any) -> Any:
    t = to_time(b)
    return None if t is None else fn_addtime(a, -t)


_EXTRACT = {
    "YEAR": lambda d, t: d.year, "MONTH": lambda d, t: d.month, "DAY": lambda d, t: d.day,
    "QUARTER": lambda d, t: (d.month + 2) // 3,
    "WEEK": lambda d, t: calc_week(d, _week_mode(0))[0],
    "HOUR": lambda d, t: t[0], "MINUTE": lambda d, t: t[1], "SECOND": lambda d, t: t[2],
    "MICROSECOND": lambda d, t: t[3],
    "YEAR_MONTH": lambda d, t: d.year * 100 + d.month,
    "DAY_HOUR": lambda d, t: d.day * 100 + t[0],
    "DAY_MINUTE": lambda d, t: (d.day * 100 + t[0]) * 100 + t[1],
    "DAY_SECOND": lambda d, t: ((d.day * 100 + t[0]) * 100 + t[1]) * 100 + t[2],
    "HOUR_MINUTE": lambda d, t: t[0] * 100 + t[1],
    "HOUR_SECOND": lambda d, t: (t[0] * 100 + t[1]) * 100 + t[2],
    "MINUTE_SECOND": lambda d, t: t[1] * 100 + t[2],
    "SECOND_MICROSECOND": lambda d, t: t[2] * 1000000 + t[3],
}


@_reg("EXTRACT", 2)
def fn_extract(unit: Any, v: Any) -> int | None:
    u = check_unit(_s(unit))
    if type(v) is timedelta or (type(v) is str and to_temporal(v) is None):
        tv = to_time(v)
        if tv is None:
            return None
        secs = abs(tv.days * 86400 + tv.seconds)
        parts = (secs // 3600, secs // 60 % 60, secs % 60, abs(tv).microseconds)
        if u in ("YEAR", "MONTH", "DAY", "QUARTER", "WEEK", "YEAR_MONTH"):
            return 0
        d = date(2000, 1, 1)
    else:
        d = to_temporal(v)
        if d is None:
            return None
        if type(d) is datetime:
            parts = (d.hour, d.minute, d.second, d.microsecond)
        else:
            parts = (0, 0, 0, 0)
    return _EXTRACT[u](d, parts)


# --- session information ----------------------------------------------------------------------


@_reg("DATABASE SCHEMA", 0, context=True, strict=False)
def fn_database(ctx: Any) -> str | None:
    return getattr(ctx, "current_db", None)


@_reg("VERSION", 0, context=True, strict=False)
def fn_version(ctx: Any) -> str:
    return getattr(ctx, "version", VERSION)


@_reg("CONNECTION_ID", 0, context=True, strict=False)
def fn_connection_id(ctx: Any) -> int:
    return getattr(ctx, "connection_id", 1)


@_reg("LAST_INSERT_ID", 0, 1, context=True, strict=False)
def fn_last_insert_id(ctx: Any, *args: Any) -> Any:
    """LAST_INSERT_ID() reads ``ctx.last_insert_id``; LAST_INSERT_ID(expr) returns `expr` and
    stores it there for the session to pick up (MySQL's idiom for sequence tables)."""
    if args:
        v = args[0]
        if v is not None:
            ctx.last_insert_id = to_int(v)
        return v
    return getattr(ctx, "last_insert_id", 0)


@_reg("USER CURRENT_USER SESSION_USER SYSTEM_USER", 0, context=True, strict=False)
def fn_user(ctx: Any) -> str:
    return getattr(ctx, "user", "root@localhost")


@_reg("ROW_COUNT", 0, context=True, strict=False)
def fn_row_count(ctx: Any) -> int:
    return getattr(ctx, "row_count", -1)


@_reg("FOUND_ROWS", 0, context=True, strict=False)
def fn_found_rows(ctx: Any) -> int:
    return getattr(ctx, "found_rows", 0)


@_reg("UUID", 0, volatile=True)
def fn_uuid() -> str:
    return str(uuid.uuid1())


@_reg("SLEEP", 1, volatile=True)
def fn_sleep(n: Any) -> int:
    _time.sleep(max(0.0, to_double(n)))
    return 0


# --- aggregates -------------------------------------------------------------------------------


class Accumulator:
    """One group's running state of an aggregate.  The planner creates one per group with
    `make_aggregate`, calls `add(value)` per row (COUNT(*) passes 1 per row), then
    `result()`.  NULL values are skipped by every aggregate, as in MySQL."""

    __slots__ = ("seen",)

    def __init__(self, distinct: bool = False):
        self.seen: set | None = set() if distinct else None

    def _fresh(self, v: Any) -> bool:
        """DISTINCT: True the first time a value (by MySQL equality) is seen."""
        seen = self.seen
        if seen is None:
            return True
        key = _distinct_key(v)
        if key in seen:
            return False
        seen.add(key)
        return True

    def add(self, value: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def result(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


def _distinct_key(v: Any) -> Any:
    # int/Decimal/float that are equal hash equally in Python, as MySQL's DISTINCT wants;
    # a float is widened so 0.1 (double) and 0.1 (decimal) meet.
    if type(v) is tuple:
        return tuple(_distinct_key(x) for x in v)
    if type(v) is Decimal and v == v.to_integral_value():
        return int(v)
    return v


def _has_null(v: Any) -> bool:
    return v is None or (type(v) is tuple and any(x is None for x in v))


class CountAcc(Accumulator):
    __slots__ = ("n",)

    def __init__(self, distinct: bool = False):
        super().__init__(distinct)
        self.n = 0

    def add(self, value: Any) -> None:
        if _has_null(value):
            return
        if self.seen is not None and not self._fresh(value):
            return
        self.n += 1

    def result(self) -> int:
        return self.n


class SumAcc(Accumulator):
    """SUM: exact inputs give an exact result (int for all-int input, which MySQL would type
    as DECIMAL; the value is the same), any double gives a double; no rows give NULL."""

    __slots__ = ("total", "n", "scale")

    def __init__(self, distinct: bool = False):
        super().__init__(distinct)
        self.total: Any = None
        self.n = 0
        self.scale = 0

    def add(self, value: Any) -> None:
        if value is None:
            return
        if self.seen is not None and not self._fresh(value):
            return
        t = type(value)
        if t is not int and t is not float and t is not Decimal:
            value = to_number(value)
            t = type(value)
        if t is Decimal:
            e = value.as_tuple().exponent
            if isinstance(e, int) and -e > self.scale:
                self.scale = -e
        self.n += 1
        tot = self.total
        if tot is None:
            self.total = value
        elif type(tot) is int and t is int:
            self.total = tot + value
        elif type(tot) is float or t is float:
            self.total = float(tot) + float(value)
        else:
            self.total = DEC.add(Decimal(tot), Decimal(value))

    def result(self) -> Any:
        total = self.total
        if type(total) is float and not math.isfinite(total):
            raise OutOfRange("DOUBLE")  # mysqld: "DOUBLE value is out of range in 'sum(f)'"
        return total


class AvgAcc(SumAcc):
    """AVG: exact inputs give a DECIMAL with 4 more digits of scale than the inputs (MySQL's
    div_precision_increment), doubles give a double."""

    __slots__ = ()

    def result(self) -> Any:
        if self.total is None:
            return None
        if type(self.total) is float:
            if not math.isfinite(self.total):
                raise OutOfRange("DOUBLE")
            return self.total / self.n
        q = Decimal(1).scaleb(-min(self.scale + 4, 30))
        return DEC.divide(Decimal(self.total), Decimal(self.n)).quantize(q, context=DEC)


class MinMaxAcc(Accumulator):
    __slots__ = ("best", "sign")

    def __init__(self, sign: int):
        super().__init__(False)
        self.best: Any = None
        self.sign = sign

    def add(self, value: Any) -> None:
        if value is None:
            return
        best = self.best
        if best is None:
            self.best = value
        elif type(value) is type(best):
            if (value > best) if self.sign > 0 else (value < best):
                self.best = value
        elif compare(value, best) == self.sign:
            self.best = value

    def result(self) -> Any:
        return self.best


class GroupConcatAcc(Accumulator):
    """GROUP_CONCAT: non-NULL values as strings joined by `separator`, cut at `max_len`
    characters (MySQL's group_concat_max_len, 1024 by default, counts bytes; we count
    characters).  ORDER BY inside GROUP_CONCAT is the caller's: add values in order."""

    __slots__ = ("parts", "separator", "max_len", "length")

    def __init__(self, distinct: bool = False, separator: str = ",", max_len: int = 1024):
        super().__init__(distinct)
        self.parts: list[str] = []
        self.separator = separator
        self.max_len = max_len
        self.length = 0  # characters kept so far: past max_len the rest would be cut anyway

    def add(self, value: Any) -> None:
        if _has_null(value):
            return
        if self.seen is not None and not self._fresh(value):
            return
        if self.length > self.max_len:
            return  # the result is cut at max_len: keeping more only costs memory
        if type(value) is tuple:
            part = "".join(to_str(x) for x in value)
        else:
            part = value if type(value) is str else to_str(value)
        self.parts.append(part)
        self.length += len(part) + len(self.separator)

    def result(self) -> str | None:
        if not self.parts:
            return None
        s = self.separator.join(self.parts)
        return s[: self.max_len] if len(s) > self.max_len else s


class AnyValueAcc(Accumulator):
    __slots__ = ("value", "set")

    def __init__(self) -> None:
        super().__init__(False)
        self.value: Any = None
        self.set = False

    def add(self, value: Any) -> None:
        if not self.set:
            self.value, self.set = value, True

    def result(self) -> Any:
        return self.value


class BitAcc(Accumulator):
    __slots__ = ("acc", "op")

    def __init__(self, op: str):
        super().__init__(False)
        self.op = op
        self.acc = UINT64_MAX if op == "AND" else 0

    def add(self, value: Any) -> None:
        if value is None:
            return
        v = to_int(value) & UINT64_MAX
        if self.op == "AND":
            self.acc &= v
        elif self.op == "OR":
            self.acc |= v
        else:
            self.acc ^= v

    def result(self) -> int:
        return self.acc


class VarianceAcc(Accumulator):
    """VARIANCE/STDDEV (population or sample), as doubles (Welford's method)."""

    __slots__ = ("n", "mean", "m2", "sample", "root")

    def __init__(self, sample: bool, root: bool, distinct: bool = False):
        super().__init__(distinct)
        self.n, self.mean, self.m2 = 0, 0.0, 0.0
        self.sample, self.root = sample, root

    def add(self, value: Any) -> None:
        if value is None:
            return
        if self.seen is not None and not self._fresh(value):
            return
        x = to_double(value)
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def result(self) -> float | None:
        n = self.n - (1 if self.sample else 0)
        if self.n == 0 or n <= 0:
            return None
        v = self.m2 / n
        return math.sqrt(v) if self.root else v


_AGG_ALIASES = {
    "GROUPCONCAT": "GROUP_CONCAT", "ANYVALUE": "ANY_VALUE", "STD": "STDDEV_POP",
    "STDDEV": "STDDEV_POP", "STDDEVPOP": "STDDEV_POP", "STDDEVSAMP": "STDDEV_SAMP",
    "VARIANCE": "VAR_POP", "VARIANCEPOP": "VAR_POP", "VARPOP": "VAR_POP",
    "VARIANCESAMP": "VAR_SAMP", "VARSAMP": "VAR_SAMP", "BITWISEANDAGG": "BIT_AND",
    "BITWISEORAGG": "BIT_OR", "BITWISEXORAGG": "BIT_XOR",
}


def make_aggregate(name: str, distinct: bool = False, *, separator: str = ",",
                   max_len: int = 1024) -> Accumulator:
    """A fresh accumulator for aggregate `name` (COUNT, SUM, AVG, MIN, MAX, GROUP_CONCAT,
    ANY_VALUE, BIT_AND/OR/XOR, STDDEV[_POP|_SAMP], VAR_POP/VAR_SAMP/VARIANCE; sqlglot class
    names such as ``GROUPCONCAT`` are accepted too).

    COUNT(*) is COUNT with the caller adding 1 per row; COUNT(DISTINCT a, b) adds tuples (a
    tuple with a NULL is skipped).  SUM/AVG/MIN/MAX of no rows give NULL, COUNT gives 0.
    """
    key = name.upper()
    key = _AGG_ALIASES.get(key, key)
    if key == "COUNT":
        return CountAcc(distinct)
    if key == "SUM":
        return SumAcc(distinct)
    if key == "AVG":
        return AvgAcc(distinct)
    if key == "MIN":
        return MinMaxAcc(-1)
    if key == "MAX":
        return MinMaxAcc(1)
    if key == "GROUP_CONCAT":
        return GroupConcatAcc(distinct, separator, max_len)
    if key == "ANY_VALUE":
        return AnyValueAcc()
    if key in ("BIT_AND", "BIT_OR", "BIT_XOR"):
        return BitAcc(key[4:])
    if key in ("STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP"):
        return VarianceAcc(key.endswith("SAMP"), key.startswith("STDDEV"), distinct)
    raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{name}'",
                            errno=1235, sqlstate="42000")

