"""(being built)"""

from __future__ import annotations

from typing import Any


def install(db: Any) -> None:
    """(being built)"""
