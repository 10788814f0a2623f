"""TiDB's texts for the index ADMIN statements: the 8223 / 8003 errors of ADMIN CHECK and the
SAMPLE column of ADMIN SHOW INDEX INCONSISTENCIES, from the consistency core's samples.

The value rendering itself (`KindInt64 10`, `{v1, v2}`, Go quoting) and the error classes
live in `core.check.errors`, below the SQL layer, because a query that meets a dangling
entry raises 8133 from there (`inconsistent_index_error`).
"""

from __future__ import annotations

from collections.abc import Iterable

from core.check.errors import (
    DataInconsistencyError,
    IndexCountMismatchError,
    count_mismatch_error,
    data_inconsistency_error,
    go_quote,
    inconsistent_index_error,
    record_text,
)
from core.events import IndexReport, IndexSample

__all__ = ["DataInconsistencyError", "IndexCountMismatchError", "count_mismatch_error",
           "data_inconsistency_error", "inconsistent_index_error", "sample_error",
           "sample_text", "samples_text"]

SAMPLE_LIMIT = 3  # samples shown in the SAMPLE column


def sample_error(table: str, index: str, s: IndexSample) -> DataInconsistencyError:
    """8223 for one sample: TiDB's ``data inconsistency in table: t, index: idx, handle: H,
    index-values:"..." != record-values:"..."`` (`table` is the bare table name, as TiDB
    prints it)."""
    return data_inconsistency_error(table, index, s.handle, s.index_values, s.row_values)


def sample_text(s: IndexSample) -> str:
    """One sample as the SAMPLE column shows it: its kind, then TiDB's two sides."""
    return (f"{s.kind} handle: {s.handle}, "
            f"index-values:{go_quote(record_text(s.handle, s.index_values))} != "
            f"record-values:{go_quote(record_text(s.handle, s.row_values))}")


def samples_text(samples: Iterable[IndexSample], limit: int = SAMPLE_LIMIT) -> str | None:
    """The SAMPLE column: up to `limit` samples joined by "; ", NULL (None) when there is
    none (a consistent index)."""
    parts = [sample_text(s) for s in list(samples)[:limit]]
    return "; ".join(parts) if parts else None


def report_row(r: IndexReport) -> list:
    """One row of ADMIN SHOW INDEX INCONSISTENCIES."""
    return [r.index, r.rows_scanned, r.entries_scanned, r.missing, r.dangling, r.mismatched,
            samples_text(r.samples)]
