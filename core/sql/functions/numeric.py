"""Mathematical functions (ABS() ... ATAN2(), RAND(), GREATEST(), LEAST()).

Results past DOUBLE's range raise `OutOfRange`, which the compiler rewrites into ERROR 1690
naming the whole expression.  RAND(N) reproduces MySQL's generator (`MySQLRandom`) so that
seeded sequences match a server.  Callers reach these through `FUNCTIONS`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from core.sql.functions.registry import _NO_CONST, OutOfRange, _reg
from core.sql.types import DEC, compare, mod, to_double, to_int, to_number, to_str


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
