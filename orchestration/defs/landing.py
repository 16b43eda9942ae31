"""The landing zone as an asset: compact small files, report volume, check freshness."""

import os
import time
from pathlib import Path

import pyarrow.parquet as pq
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
    asset_check,
)

from achilles_core.landing import (
    COLUMNS,
    LEFTOVER_TEMP_AGE_S,
    LandingZone,
    project_zones,
    write_manifest,
)
from achilles_core.settings import Settings
from orchestration.fingerprint import key, record_pending

LANDING_KEY = AssetKey(["landing", "events"])
METRICS_KEY = AssetKey(["landing", "metric_points"])
# OTLP metric points (/v1/metrics): landed by the API only, nothing here materializes them.
landing_metric_points = AssetSpec(
    key=METRICS_KEY,
    group_name="landing",
    description="Immutable Parquet files of OTLP metric points, one per export request.",
)
FRESHNESS_MAX_AGE_S = 24 * 3600
VERIFIED_MARKER = ".verified"


def newest_landed_file_mtime(settings: Settings) -> float | None:
    """Newest session-folder change: a file landed or a compaction ran there (or
    an OTLP metrics file landed)."""
    mtimes = [
        (zone.events_dir / sid).stat().st_mtime
        for _, zone in project_zones(settings)
        for sid in zone.session_ids()
    ]
    mtimes += [d.stat().st_mtime for d in settings.landing_dir.glob("metrics*") if d.is_dir()]
    return max(mtimes) if mtimes else None


@asset(
    key=LANDING_KEY,
    group_name="landing",
    description=(
        "Immutable Parquet files the ingest API lands, one folder per session of each "
        "project. Materializing compacts folders with many small files into one."
    ),
)
def landing_events(
    context: AssetExecutionContext, settings: ResourceParam[Settings]
) -> MaterializeResult:
    from orchestration.pipeline import hold_run_lock_for_process

    # A daemon- or UI-started run holds the data dir as `achilles run` does.
    hold_run_lock_for_process(settings)
    zones = [zone for _, zone in project_zones(settings)]
    bad: list[Path] = []
    quarantined: list[Path] = []
    files: list[Path] = []
    sessions = merged = rows = upgraded = session_count = 0
    for zone in zones:
        zone.remove_leftover_temp_files(older_than_s=LEFTOVER_TEMP_AGE_S)
        since = verified_since(zone)
        # A file's mtime is its write time, a moment before its rename into place: the
        # margin keeps a file renamed in during this pass in the next one.
        started = time.time() - 60.0
        zone_bad = quarantine_new_unreadable(zone, since)
        for f in zone_bad:
            context.log.warning(
                f"quarantined unreadable landing file {f} (see {zone.quarantine_dir})"
            )
        bad += zone_bad
        compacted, zone_merged = zone.compact(settings.compact_min_files)
        sessions += compacted
        merged += zone_merged
        zone_files = list(zone.all_files())
        for f in zone_files:
            # Files are immutable: one checked by an earlier pass is as it was (at
            # 10,000 files, opening each again cost 5-8 s a run).
            if _mtime(f) < since:
                continue
            meta = pq.read_metadata(f)
            rows += meta.num_rows
            if tuple(meta.schema.names) != COLUMNS:  # landed by an older version
                zone.upgrade_file(f)
                upgraded += 1
        record_verified(zone, started)  # after the upgrades: a crash before redoes them
        files += zone_files
        quarantined += zone.quarantined()
        session_count += len(zone.session_ids())
    # After this step's own changes (compaction, quarantine, upgrades), before dbt reads:
    # the files dbt builds from, and the fingerprint of what it is about to see.
    write_manifest(settings, files)
    fp = record_pending(settings, context.run_id)
    context.log.info(
        f"compacted {merged} files in {sessions} sessions; {len(files)} files remain; "
        f"{upgraded} files upgraded to the current columns; {len(bad)} quarantined now, "
        f"{len(quarantined)} in quarantine"
    )
    return MaterializeResult(
        metadata={
            "sessions": session_count,
            "files": len(files),
            "rows_in_new_files": rows,
            "files_compacted": merged,
            "files_upgraded": upgraded,
            "files_quarantined_now": MetadataValue.json([str(f) for f in bad]),
            "files_in_quarantine": len(quarantined),
            "path": MetadataValue.path(str(settings.landing_dir)),
            "fingerprint": key(fp),
        }
    )


def _marker(zone: LandingZone) -> Path:
    return zone.events_dir.parent / (VERIFIED_MARKER + zone.suffix)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def verified_since(zone: LandingZone) -> float:
    """When the last pass over `zone` started: files older than this were read whole
    and are in today's columns. 0 (check everything) when no pass was recorded by this
    version's columns, e.g. after an upgrade that added one."""
    marker = _marker(zone)
    try:
        if marker.read_text() != ",".join(COLUMNS):
            return 0.0
    except FileNotFoundError:
        return 0.0
    return _mtime(marker)


def record_verified(zone: LandingZone, started: float) -> None:
    """The pass that started at `started` checked every file: the next one starts there."""
    marker = _marker(zone)
    if zone.events_dir.parent.is_dir():
        marker.write_text(",".join(COLUMNS))  # the columns this pass checked files for
        os.utime(marker, (started, started))


def quarantine_new_unreadable(zone: LandingZone, since: float) -> list[Path]:
    """Read whole every file landed since `since` (the last pass, verified_since);
    quarantine those that fail. Files are immutable, so each is read once."""
    fresh = []
    for f in zone.all_files():
        try:
            if f.stat().st_mtime >= since:
                fresh.append(f)
        except FileNotFoundError:
            continue
    return zone.quarantine_unreadable(fresh)


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
