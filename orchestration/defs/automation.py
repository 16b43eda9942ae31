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


IN_PROGRESS = SkipReason("a pipeline run is in progress; will look again")


def _active_runs(instance: DagsterInstance) -> list[DagsterRun]:
    """The pipeline's runs queued or in progress. One build at a time: DuckDB allows a
    single writer on the build file. A run left "started" by a killed `achilles run`
    never ends by itself, and would keep every later tick waiting: it is marked failed."""
    active = []
    for run in instance.get_runs(RunsFilter(job_name=pipeline_job.name, statuses=_ACTIVE)):
        if _alive(run):
            active.append(run)
        else:
            instance.report_run_failed(run)
    return active


def _run_in_progress(instance: DagsterInstance) -> SkipReason | None:
    return IN_PROGRESS if _active_runs(instance) else None


def _queue_behind(
    settings: Settings, active: list[DagsterRun], context: SensorEvaluationContext
) -> RunRequest | None:
    """The next run, asked for while the daemon's run builds, once files landed that the
    running one does not build. It waits in Dagster's queue (one run at a time) and
    starts as soon as the running one ends, not at the sensor's next look after it.

    Only behind a run of the queue (not `achilles run`'s, which the queue does not
    count), and only once that run's landing step has recorded what it builds from:
    until then it builds whatever lands. The landing zone is listed only then."""
    if len(active) != 1:
        return None  # one is queued already
    (run,) = active
    if run.status != DagsterRunStatus.STARTED or RUN_PID_TAG in run.tags:
        return None
    building = fingerprint.pending(settings)
    if building is None or building.get("run_id") != run.run_id:
        return None
    run_key = fingerprint.key(fingerprint.fingerprint(settings))
    if run_key == fingerprint.key(building):
        return None
    context.update_cursor(run_key)
    return RunRequest(run_key=f"landing-{run_key}")


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
        active = _active_runs(context.instance)
        if active:
            return _queue_behind(settings, active, context) or IN_PROGRESS
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
