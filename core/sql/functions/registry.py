"""The registry of scalar functions: `FUNCTIONS` (upper-case name -> `FunctionDef`), `lookup`,
and the `_reg` decorator with which every family module of this package registers its
functions.

It is a module of its own so that the families (strings, numeric, temporal, ...) depend on it
and never on each other's registrations; the package `__init__` imports every family, so
importing `core.sql.functions` fills the registry.  The expression compiler
(`core.sql.expr.calls`) looks names up here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import DataError, ProgrammingError
from core.sql.types import to_str


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


# "Not a compile-time constant": the default of `getattr(fn, "const_value", _NO_CONST)`, shared
# with the compiler (`core.sql.expr`) because None is a constant like any other.
_NO_CONST = object()


def _s(v: Any) -> str:
    return v if type(v) is str else to_str(v)
