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

One module per family (`strings`, `encoding`, `regexp`, `control`, `numeric`, `temporal`,
`dateformat`, `interval`, `info`, `aggregate`, `json`), each registering into `registry` when it is
imported.  This package imports them all, so ``import core.sql.functions`` is all a caller
needs, and every name that was importable from here before the split still is.  The families
import the registry and, for dates, each other in one direction only (temporal <- dateformat
<- interval).  No name is registered twice, so the import order does not matter.
"""

from __future__ import annotations

# Each family registers its functions when imported.
from core.sql.functions import (  # noqa: F401
    aggregate,
    control,
    dateformat,
    encoding,
    info,
    interval,
    json,
    numeric,
    regexp,
    strings,
    temporal,
)
from core.sql.functions.aggregate import (
    Accumulator,
    AnyValueAcc,
    AvgAcc,
    BitAcc,
    CountAcc,
    GroupConcatAcc,
    MinMaxAcc,
    SumAcc,
    VarianceAcc,
    make_aggregate,
)
from core.sql.functions.dateformat import date_format, str_to_date
from core.sql.functions.info import VERSION
from core.sql.functions.interval import (
    INTERVAL_UNITS,
    check_unit,
    date_add,
    interval_parts,
    str_num,
)
from core.sql.functions.numeric import MySQLRandom
from core.sql.functions.regexp import regex
from core.sql.functions.registry import _NO_CONST, FUNCTIONS, FunctionDef, OutOfRange, lookup
from core.sql.functions.strings import fn_lpad, fn_repeat, fn_space, trim
from core.sql.functions.temporal import calc_week

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
# Importable from here as before the split: the compiler and the tests use them.  Any other
# function is in its family's module (``core.sql.functions.strings.fn_concat``).
__all__ += [
    "INTERVAL_UNITS",
    "VERSION",
    "_NO_CONST",
    "AnyValueAcc",
    "AvgAcc",
    "BitAcc",
    "CountAcc",
    "GroupConcatAcc",
    "MinMaxAcc",
    "MySQLRandom",
    "SumAcc",
    "VarianceAcc",
    "calc_week",
    "check_unit",
    "fn_lpad",
    "fn_repeat",
    "fn_space",
    "interval_parts",
    "regex",
    "str_num",
    "trim",
]
