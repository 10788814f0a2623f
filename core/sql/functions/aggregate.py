"""Aggregate accumulators (COUNT, SUM, AVG, MIN, MAX, GROUP_CONCAT, ANY_VALUE, BIT_*,
STDDEV/VARIANCE).  The planner (`core.sql.session`) creates one per group with
`make_aggregate` and feeds it a value per row, so `add` is on the hot path of every GROUP BY.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from core.errors import NotSupportedError
from core.sql.functions.json import json_aggregate
from core.sql.functions.registry import OutOfRange
from core.sql.types import (
    DEC,
    UINT64_MAX,
    compare,
    sort_key,
    to_double,
    to_int,
    to_number,
    to_str,
)
from core.sql.types.arith import ScaledDecimal, shown_value
from core.sql.types.json import JsonText, json_compare, json_group_key


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
    if type(v) is JsonText:
        return json_group_key(v)
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
    as DECIMAL; the value is the same), any double gives a double; no rows give NULL.

    An argument with a division (``SUM(8/a)``) arrives as a `ScaledDecimal`: its kept digits
    are added (as mysqld adds val_decimal) and the result is rounded to the scale the
    argument's type shows, so SUM(1/3) over three rows is 1.0000."""

    __slots__ = ("total", "n", "scale", "rescale")

    def __init__(self, distinct: bool = False):
        super().__init__(distinct)
        self.total: Any = None
        self.n = 0
        self.scale = 0
        self.rescale = False  # a kept value was added: round the total to `scale`

    def add(self, value: Any) -> None:
        if value is None:
            return
        t = type(value)
        if t is ScaledDecimal:
            if value.shown > self.scale:
                self.scale = value.shown
            self.rescale = True
            value = Decimal(value)
            t = Decimal
            if self.seen is not None and not self._fresh(value):
                return
        else:
            if self.seen is not None and not self._fresh(value):
                return
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
        if self.rescale and type(total) is Decimal:
            return shown_value(total, min(self.scale, 30))
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
            if type(value) is JsonText:  # JSON values by JSON order, not their text
                if json_compare(value.doc, best.doc) == self.sign:
                    self.best = value
            elif (value > best) if self.sign > 0 else (value < best):
                self.best = value
        elif compare(value, best) == self.sign:
            self.best = value

    def result(self) -> Any:
        return self.best


class GroupConcatAcc(Accumulator):
    """GROUP_CONCAT: non-NULL values as strings joined by `separator`, cut at `max_len`
    characters (MySQL's group_concat_max_len, 1024 by default, counts bytes; we count
    characters).  ORDER BY inside GROUP_CONCAT is the caller's: add values in order."""

    __slots__ = ("parts", "separator", "max_len", "length", "on_cut")

    def __init__(self, distinct: bool = False, separator: str = ",", max_len: int = 1024):
        super().__init__(distinct)
        self.parts: list[str] = []
        self.separator = separator
        self.max_len = max_len
        self.length = 0  # characters kept so far: past max_len the rest would be cut anyway
        self.on_cut: Any = None  # called when the result is cut (the session warns 1260)

    def add(self, value: Any) -> None:
        if _has_null(value):
            return
        if self.seen is not None and not self._fresh(value):
            return
        if self.length > self.max_len:
            return  # the result is cut at max_len: keeping more only costs memory
        self._append(value)

    def _append(self, value: Any) -> None:
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
        if len(s) <= self.max_len:
            return s
        if self.on_cut is not None:
            self.on_cut()
        return s[: self.max_len]


class OrderedGroupConcatAcc(GroupConcatAcc):
    """GROUP_CONCAT(... ORDER BY k [DESC], ...): each value is added with its sort keys as
    ``(value, keys)``; all are kept and sorted when the group ends (MySQL's order: NULL
    keys first ascending, ties in arrival order), then joined and cut at `max_len`.  The cut
    cannot come earlier: the last row to arrive may sort first."""

    __slots__ = ("items", "desc")

    def __init__(self, distinct: bool, separator: str, max_len: int, desc: tuple[bool, ...]):
        super().__init__(distinct, separator, max_len)
        self.items: list[tuple[tuple, Any]] = []
        self.desc = desc

    def add(self, value: Any) -> None:
        v, keys = value
        if _has_null(v):
            return
        if self.seen is not None and not self._fresh(v):
            return
        self.items.append((keys, v))

    def result(self) -> str | None:
        items = self.items
        if not items:
            return None
        # stable, least significant key first, as ORDER BY sorts (NULL first, last if DESC)
        for j in reversed(range(len(self.desc))):
            items.sort(key=lambda it, j=j: sort_key(it[0][j]), reverse=self.desc[j])
        for _keys, v in items:
            if self.length > self.max_len:
                break
            self._append(v)
        return super().result()


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
                   max_len: int = 1024, order_desc: tuple[bool, ...] | None = None
                   ) -> Accumulator:
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
        if order_desc:  # GROUP_CONCAT(... ORDER BY ...): values come as (value, keys)
            return OrderedGroupConcatAcc(distinct, separator, max_len, order_desc)
        return GroupConcatAcc(distinct, separator, max_len)
    if key == "ANY_VALUE":
        return AnyValueAcc()
    if key in ("BIT_AND", "BIT_OR", "BIT_XOR"):
        return BitAcc(key[4:])
    if key in ("STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP"):
        return VarianceAcc(key.endswith("SAMP"), key.startswith("STDDEV"), distinct)
    if key in ("JSON_ARRAYAGG", "JSON_OBJECTAGG"):
        return json_aggregate(key)
    raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{name}'",
                            errno=1235, sqlstate="42000")
