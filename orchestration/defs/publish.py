"""The published snapshot: the last step of every run."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)

from achilles_core.settings import Settings
from orchestration.fingerprint import promote_pending
from orchestration.priority import lower_priority
from orchestration.publish import PUBLISHED_TABLES, publish

PUBLISHED_KEY = AssetKey(["warehouse", "published"])
# Everything that must be built before a snapshot is taken.
PUBLISH_DEPS = [AssetKey([t]) for t in PUBLISHED_TABLES]


@asset(
    key=PUBLISHED_KEY,
    deps=PUBLISH_DEPS,
    group_name="published",
    description=(
        "Read-only DuckDB snapshot (warehouse/achilles.duckdb) that the API and ad-hoc SQL "
        "read; swapped in atomically after a successful build."
    ),
)
def published_warehouse(
    context: AssetExecutionContext, settings: ResourceParam[Settings]
) -> MaterializeResult:
    lower_priority(settings.build_nice)
    result = publish(settings)
    promote_pending(settings)  # what this snapshot was built from: a rerun can skip
    whole = [t for t in result["row_counts"] if t not in result["incremental"]]
    context.log.info(
        f"published {result['path']}: changed sessions only in "
        f"{', '.join(result['incremental']) or 'no table'}; whole: {', '.join(whole)}"
    )
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(result["path"]),
            "published_at": result["published_at"].isoformat(),
            "incremental_tables": MetadataValue.json(result["incremental"]),
            **{f"rows.{k}": v for k, v in result["row_counts"].items()},
        }
    )
