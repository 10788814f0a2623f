"""Control-flow functions called by name: IFNULL(), NULLIF(), COALESCE(), ISNULL(),
ANY_VALUE().  They are not strict (a NULL argument is their point).  sqlglot's typed nodes
for the same functions (exp.Coalesce, exp.If, exp.Nullif) are compiled directly by
`core.sql.expr.control`; these serve ``exp.Anonymous`` calls.
"""

from __future__ import annotations

from typing import Any

from core.sql.functions.registry import _reg
from core.sql.types import compare


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
