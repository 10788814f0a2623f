"""Transactions over the storage's commit pipeline: `begin(pipeline)` starts one;
`begin_bookkeeping(pipeline)` one whose wait for the writer lock is short."""

from core.txn.transaction import Transaction, begin, begin_bookkeeping

__all__ = ["Transaction", "begin", "begin_bookkeeping"]
