"""The job, its schedule and the new-landing-files sensor (both on by default).

Both skip when the landing zone, the dbt project and the rule settings are as the
published snapshot was built from (orchestration/fingerprint.py): no idle builds.
They run wherever a Dagster daemon runs: `achilles daemon` (headless) or `achilles ui`.
"""

import os

from dagster import (
    AssetSelection,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
    sensor,
)

from achilles_core.settings import Settings
from orchestration import fingerprint

# Run logs at info: Dagster's default console level is debug, one line per engine event.
INFO_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

pipeline_job = define_asset_job(
    "achilles_pipeline",
    selection=AssetSelection.all(),
    description="Landing → staging → marts → insights → published snapshot.",
    config=INFO_LOGS,
    # The steps run one after another anyway (one DuckDB writer); a subprocess per
    # step cost ~5 s each here (ENVIRONMENT.md).
    executor_def=in_process_executor,
)

# `achilles run` tags its runs with the pid of the process that executes them.
RUN_PID_TAG = "achilles/pid"

_ACTIVE = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


def _alive(run: DagsterRun) -> bool:
    """False for a run of `achilles run` whose process is gone (killed with -9, it never
    marked the run finished); runs the daemon launched are watched by Dagster itself."""
    pid = run.tags.get(RUN_PID_TAG, "")
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_in_progress(instance: DagsterInstance) -> SkipReason | None:
    """One build at a time: DuckDB allows a single writer on the build file. A run left
    "started" by a killed `achilles run` never ends by itself, and would keep every
    later tick waiting: it is marked failed."""
    active = RunsFilter(job_name=pipeline_job.name, statuses=_ACTIVE)
    for run in instance.get_runs(active, limit=10):
        if _alive(run):
            return SkipReason("a pipeline run is in progress; will look again")
        instance.report_run_failed(run)
    return None


def _nothing_new(settings: Settings, current: dict | None = None) -> SkipReason | None:
    last = fingerprint.unchanged_since_publish(settings, current)
    if last is None:
        return None
    return SkipReason(
        f"nothing new since the snapshot built at {last.get('recorded_at', '?')} "
        f"({last['landing']['files']} landing files unchanged)"
    )


def build_schedule(settings: Settings) -> ScheduleDefinition:
    @schedule(
        name="recompute_schedule",
        job=pipeline_job,
        cron_schedule=settings.pipeline_cron,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Recompute on a fixed cadence (ACHILLES_PIPELINE_CRON), unless nothing "
        "changed since the published snapshot.",
    )
    def recompute_schedule(context: ScheduleEvaluationContext) -> SkipReason | RunRequest:
        # A run in progress already builds what landed (or the sensor's next look will):
        # at a daemon's start the schedule's missed tick and the sensor both asked.
        return _run_in_progress(context.instance) or _nothing_new(settings) or RunRequest()

    return recompute_schedule


def build_sensor(settings: Settings) -> SensorDefinition:
    @sensor(
        name="new_landing_files",
        job=pipeline_job,
        minimum_interval_seconds=settings.sensor_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description="Start a run when the landing zone changed since the published snapshot.",
    )
    def new_landing_files(context: SensorEvaluationContext) -> SkipReason | RunRequest:
        # A run in progress first: one query, where listing the landing zone costs
        # 0.2-0.3 s of CPU at 10,000 files, taken from the build it would wait for.
        busy = _run_in_progress(context.instance)
        if busy is not None:
            return busy
        current = fingerprint.fingerprint(settings)
        if current["landing"]["files"] == 0:
            return SkipReason("landing zone is empty")
        skip = _nothing_new(settings, current)
        if skip is not None:
            return skip
        run_key = fingerprint.key(current)
        context.update_cursor(run_key)
        # The same landing state is requested once: Dagster drops a repeated run key.
        return RunRequest(run_key=f"landing-{run_key}")

    return new_landing_files
