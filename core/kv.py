"""The key-value engine as a whole: storage, recovery and transactions composed.

`core.storage.engine` is the storage layer only; this module (beside `core.api`, at the top of
the layering) opens it, runs crash recovery before it serves, and begins transactions.
Everything that wants transactional key-value access without SQL (the crash-test worker, the
KV benchmarks) opens an `Engine` from here.
"""

from __future__ import annotations

from core.storage.engine import Engine, destroy

__all__ = ["Engine", "destroy"]
