"""Damage on purpose: make a table's indexes disagree with its rows (being built)."""
