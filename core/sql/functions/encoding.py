"""Hashes and encodings: MD5(), SHA1(), SHA2(), CRC32(), TO_BASE64(), FROM_BASE64(), and
numbers in other bases (BIN(), OCT(), CONV()) and as IPv4 addresses (INET_ATON(),
INET_NTOA()).  Callers reach them through `FUNCTIONS`; HEX()/UNHEX() stay with the strings.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from typing import Any

from core.sql.functions.registry import _reg, _s
from core.sql.limits import check_packet
from core.sql.types import UINT64_MAX, to_int


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
    b = _bytes(s)
    check_packet("to_base64", (len(b) + 2) // 3 * 4)
    return base64.b64encode(b).decode("ascii")


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
