"""The monitoring agent as an asset: runs the LangGraph insight step on the build warehouse."""

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, ResourceParam, asset

from achilles_core.settings import Settings
from orchestration.graphs.graph import run_insights
from orchestration.priority import lower_priority
from orchestration.publish import DBT_MARTS

INSIGHTS_KEY = AssetKey(["insights"])
MART_DEPS = [AssetKey([t]) for t in DBT_MARTS]


@asset(
    key=INSIGHTS_KEY,
    deps=MART_DEPS,
    group_name="insights",
    description=(
        "Deterministic insights (high_error_density, agent_caused_error, break_fix_cycle, "
        "repeated_error, crash_loop, no_progress) from the LangGraph monitoring agent; "
        "re-runs never duplicate them, and ones that no longer hold are marked resolved."
    ),
)
def insights(
    context: AssetExecutionContext, settings: ResourceParam[Settings]
) -> MaterializeResult:
    lower_priority(settings.build_nice)
    con = duckdb.connect(
        str(settings.build_db), config={"memory_limit": settings.duckdb_memory_limit}
    )
    try:
        totals = run_insights(con, settings.insight)
    finally:
        con.close()
    context.log.info(f"insights: {totals}")
    return MaterializeResult(
        metadata={
            **{f"open.{k}": v for k, v in totals["open_by_kind"].items()},
            **{
                k: totals[k]
                for k in ("sessions_evaluated", "new", "changed", "resolved", "narrated")
            },
        }
    )
