"""ADMIN CHECK TABLE and ADMIN CHECK INDEX (being built: answers 1235 until then)."""

from __future__ import annotations

from core.errors import NotSupportedError


def _todo(what: str):
    raise NotSupportedError(f"This version of KintsugiDB doesn't yet support '{what}'",
                            errno=1235, sqlstate="42000")


def admin_check_table(session, node):
    _todo("ADMIN CHECK TABLE")


def admin_check_index(session, node):
    _todo("ADMIN CHECK INDEX")
