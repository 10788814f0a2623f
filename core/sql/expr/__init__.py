"""Compile sqlglot expressions into Python closures over rows, with MySQL semantics.

``compile_expr(node, scope, ctx)`` returns ``fn(row)``; a row is any sequence of values and
every column reference is resolved to a position *at compile time*, so evaluation does no name
lookups, no node dispatch and (on the common paths) no isinstance chains.  A WHERE over a
million rows calls one small closure per row.

Semantics follow MySQL where users can see them:

* NULL propagates through operators and functions; AND/OR/NOT/XOR use three-valued logic;
  comparisons with NULL are NULL, ``<=>`` is NULL-safe.  Predicates return 1, 0 or None
  (never Python bools, so ``SELECT a = 1`` shows 1); WHERE treating NULL as false is the
  caller's job (`compile_predicate` does it).
* Exact literals: ``1`` is int, ``1.5`` is Decimal, ``1e3`` is float (MySQL's DECIMAL vs
  DOUBLE literals).  Arithmetic types and errors come from `core.sql.types`.
* Strings compare binary (case-sensitive, NO PAD), see `core.sql.types`.

How the planner plugs in
------------------------
* `Scope.lookup_expr(node)` is asked FIRST for every node.  Returning a position (int) or a
  ready closure replaces the node's compilation: that is how aggregates, GROUP BY
  expressions, select-list aliases and outer-query columns are wired in.  An aggregate that
  reaches the compiler unmapped is ERROR 1111 "Invalid use of group function".
* Subqueries go through ``ctx.compile_subquery(query, outer_scope)`` which must return
  ``fn(outer_row) -> iterable of rows``; IN/EXISTS/scalar/ANY/ALL subqueries all use it.
* Placeholders read ``ctx.params[i]`` at *evaluation* time (so a cached plan can run again
  with new parameters); ``i`` is ``node.meta["param_index"]`` when the parser set it
  (`core.sql.dialect` does, in textual order), else ``ctx.param_counter`` in compile order
  (reset it per statement if you rely on that).  Assign a new ``ctx.params`` object per
  execution rather than mutating it: ``col = ?`` converts the parameter once per object.
  NOW(), CURDATE(), DATABASE(), LAST_INSERT_ID() also read the context at evaluation time.
  Only truly constant sub-expressions are folded at compile time; a constant that fails
  (``9223372036854775807 + 1``) raises when evaluated, not when compiled.

Layout
------
`scope` (Scope, EvalContext, the column errors) <- `compiler` (entry points, folding, the
handler registry) <- one module per node family: `leaves`, `arith`, `comparison`, `logic`
and `membership` (which also use `comparison`), `like`, `control`, `cast`, `calls` (which
also uses `arith`).  `arith` asks `signedness` which integer expressions are UNSIGNED (decided
at compile time: ``u - 100`` is ERROR 1690, not -97) and names an overflowing expression as
mysqld prints it (`item_text`).
`json` handles JSON syntax and JSON columns (`leaves` uses it).
Each family registers its handlers when imported and this package imports them all, so
``from core.sql.expr import compile_expr`` compiles every node kind, and every name that was
importable from here before the split still is.
"""

from __future__ import annotations

# Each node family registers its handlers when imported.
from core.sql.expr import (  # noqa: F401
    arith,
    calls,
    cast,
    comparison,
    control,
    json,
    leaves,
    like,
    logic,
    membership,
)
from core.sql.expr.calls import mysql_format_from_sqlglot
from core.sql.expr.cast import cast_function
from core.sql.expr.compiler import compile_expr, compile_predicate, constant_value, eval_const
from core.sql.expr.leaves import literal_value
from core.sql.expr.like import like_matcher
from core.sql.expr.scope import (
    AmbiguousColumnError,
    BadFieldError,
    EvalContext,
    Row,
    RowFn,
    RowScope,
    Scope,
)

__all__ = [
    "AmbiguousColumnError",
    "BadFieldError",
    "EvalContext",
    "RowScope",
    "Scope",
    "compile_expr",
    "compile_predicate",
    "constant_value",
    "eval_const",
    "like_matcher",
]
# Importable from here as before the split, though not part of the compiler's interface.
__all__ += ["Row", "RowFn", "cast_function", "literal_value", "mysql_format_from_sqlglot"]
