"""The argument JSON_ARRAYAGG and JSON_OBJECTAGG feed their accumulators
(`core.sql.functions.json.json_aggregate`): a tuple, because the planner's aggregates skip
NULL values and these two keep them (``JSON_ARRAYAGG(x)`` over a NULL gives ``[null]``;
a NULL value of JSON_OBJECTAGG is a member with value null)."""

from __future__ import annotations

from sqlglot import exp


def json_aggregate_argument(agg: exp.Expression) -> exp.Expression:
    if isinstance(agg, exp.JSONObjectAgg):
        kv = agg.expressions[0]
        return exp.Tuple(expressions=[kv.this, kv.expression])
    return exp.Tuple(expressions=[agg.this])
