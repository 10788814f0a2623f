"""Transactions over the storage's commit pipeline: `begin(pipeline)` starts one."""

from core.txn.transaction import Transaction, begin

__all__ = ["Transaction", "begin"]
