"""ADMIN RECOVER / CLEANUP / REPAIR INDEX (being built: answers 1235 until then)."""

from __future__ import annotations

from core.admin.check import _todo


def admin_recover_index(session, node):
    _todo("ADMIN RECOVER INDEX")


def admin_cleanup_index(session, node):
    _todo("ADMIN CLEANUP INDEX")


def admin_repair_index(session, node):
    _todo("ADMIN REPAIR INDEX")
