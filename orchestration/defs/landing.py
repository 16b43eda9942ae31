"""The landing zone as an asset: compact small files, report volume, check freshness."""

import time

import pyarrow.parquet as pq
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
    asset_check,
)

from achilles_core.landing import COLUMNS, LandingZone
from achilles_core.settings import Settings

LANDING_KEY = AssetKey(["landing", "events"])
FRESHNESS_MAX_AGE_S = 24 * 3600


def newest_landed_file_mtime(settings: Settings) -> float | None:
    """Newest session-folder change: a file landed or a compaction ran there."""
    zone = LandingZone(settings.events_dir)
    mtimes = [(zone.events_dir / sid).stat().st_mtime for sid in zone.session_ids()]
    return max(mtimes) if mtimes else None


@asset(
    key=LANDING_KEY,
    group_name="landing",
    description=(
        "Immutable Parquet files the ingest API lands, one folder per session. "
        "Materializing compacts folders with many small files into one."
    ),
)
def landing_events(
    context: AssetExecutionContext, settings: ResourceParam[Settings]
) -> MaterializeResult:
    zone = LandingZone(settings.events_dir)
    sessions, merged = zone.compact(settings.compact_min_files)
    files = list(zone.all_files())
    rows, upgraded = 0, 0
    for f in files:
        meta = pq.read_metadata(f)
        rows += meta.num_rows
        if tuple(meta.schema.names) != COLUMNS:  # landed by an older version
            zone.upgrade_file(f)
            upgraded += 1
    context.log.info(
        f"compacted {merged} files in {sessions} sessions; {len(files)} files remain; "
        f"{upgraded} files upgraded to the current columns"
    )
    return MaterializeResult(
        metadata={
            "sessions": len(zone.session_ids()),
            "files": len(files),
            "landed_rows": rows,
            "files_compacted": merged,
            "files_upgraded": upgraded,
            "path": MetadataValue.path(str(zone.events_dir)),
        }
    )


@asset_check(asset=LANDING_KEY, description="New events landed within the last 24 hours.")
def landing_freshness(settings: ResourceParam[Settings]) -> AssetCheckResult:
    newest = newest_landed_file_mtime(settings)
    if newest is None:
        return AssetCheckResult(
            passed=False, severity=AssetCheckSeverity.WARN, metadata={"reason": "no files"}
        )
    age = time.time() - newest
    return AssetCheckResult(
        passed=age <= FRESHNESS_MAX_AGE_S,
        severity=AssetCheckSeverity.WARN,
        metadata={"newest_file_age_s": round(age, 1)},
    )
