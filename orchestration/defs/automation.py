"""The job, its schedule and the new-landing-files sensor (both on by default)."""

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from achilles_core.settings import Settings
from orchestration.defs.landing import newest_landed_file_mtime

pipeline_job = define_asset_job(
    "achilles_pipeline",
    selection=AssetSelection.all(),
    description="Landing → staging → marts → insights → published snapshot.",
)

_ACTIVE = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


def build_schedule(settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="recompute_schedule",
        job=pipeline_job,
        cron_schedule=settings.pipeline_cron,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Recompute everything on a fixed cadence (ACHILLES_PIPELINE_CRON).",
    )


def build_sensor(settings: Settings) -> SensorDefinition:
    @sensor(
        name="new_landing_files",
        job=pipeline_job,
        minimum_interval_seconds=settings.sensor_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description="Start a run when files land after the last run started.",
    )
    def new_landing_files(context: SensorEvaluationContext) -> SkipReason | RunRequest:
        newest = newest_landed_file_mtime(settings)
        if newest is None:
            return SkipReason("landing zone is empty")
        if context.cursor and newest <= float(context.cursor):
            return SkipReason("no new landing files")
        # One build at a time: DuckDB allows a single writer on the build file.
        active = context.instance.get_runs(
            RunsFilter(job_name=pipeline_job.name, statuses=_ACTIVE), limit=1
        )
        if active:
            return SkipReason("a pipeline run is in progress; will look again")
        context.update_cursor(str(newest))
        return RunRequest(run_key=f"landing-{newest}")

    return new_landing_files
