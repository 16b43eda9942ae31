"""The monitoring agent as an asset: runs the LangGraph insight step on the build warehouse."""

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from ingest_api.settings import Settings
from orchestration.graphs.config import InsightConfig
from orchestration.graphs.graph import run_insights
from orchestration.project import lower_priority
from orchestration.publish import DBT_MARTS

INSIGHTS_KEY = AssetKey(["insights"])
MART_DEPS = [AssetKey([t]) for t in DBT_MARTS]


def insight_config(settings: Settings) -> InsightConfig:
    return InsightConfig(
        error_density_threshold=settings.insight_error_density_threshold,
        repeated_error_threshold=settings.insight_repeated_error_threshold,
        crash_loop_min_events=settings.insight_crash_loop_min_events,
        crash_loop_window_s=settings.insight_crash_loop_window_s,
        no_progress_actions=settings.insight_no_progress_actions,
        llm_provider=settings.llm_provider,
        llm_base_url=settings.llm_base_url,
        llm_api_key=settings.llm_api_key,
        llm_model=settings.llm_model,
    )


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
def insights(context: AssetExecutionContext) -> MaterializeResult:
    settings = Settings()
    lower_priority(settings.build_nice)
    con = duckdb.connect(
        str(settings.build_db), config={"memory_limit": settings.duckdb_memory_limit}
    )
    try:
        totals = run_insights(con, insight_config(settings))
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
