"""The console's panes, one module each.  `discover()` imports every module of this package
and returns the `Pane` subclasses it defines, in their `ORDER`."""

from __future__ import annotations

import importlib
import pkgutil

from tui.panes.base import Pane


def discover() -> list[type[Pane]]:
    found: dict[str, type[Pane]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Pane) and value is not Pane \
                    and value.ID and value.__module__ == module.__name__:
                found[value.ID] = value
    return sorted(found.values(), key=lambda p: (p.ORDER, p.ID))
