"""ADMIN SHOW INDEX INCONSISTENCIES (being built: answers 1235 until then)."""

from __future__ import annotations

from core.admin.check import _todo


def admin_show_inconsistencies(session, node):
    _todo("ADMIN SHOW INDEX INCONSISTENCIES")
