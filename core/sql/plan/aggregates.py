"""The sqlglot node classes that are aggregate calls, in one place: the planner groups by
them (core.sql.plan.select) and ONLY_FULL_GROUP_BY looks through them
(core.sql.plan.group_check), and a list kept twice drifts (a new aggregate in one list only
read as a non-aggregated column in the other)."""

from sqlglot import exp

AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.GroupConcat, exp.Stddev,
              exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop,
              exp.BitwiseAndAgg, exp.BitwiseOrAgg, exp.BitwiseXorAgg,
              exp.JSONArrayAgg, exp.JSONObjectAgg)
