"""Run the whole pipeline once, in process, on a persistent Dagster instance.

Used by `achilles run`, the demo and the tests; runs show up in the Dagster UI
because DAGSTER_HOME lives under the data dir.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ingest_api.settings import Settings

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
"""


def prepare_dagster_home(settings: Settings) -> Path:
    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_pipeline(settings: Settings, quiet: bool = False, full_refresh: bool = False) -> bool:
    """Materialize every asset once; True when the run (dbt tests included) succeeded.

    `full_refresh`: dbt re-derives every session (DBT_FULL_REFRESH, which dbt reads
    like its --full-refresh flag) instead of only those with new landing files.
    """
    saved = os.environ.get("DBT_FULL_REFRESH")
    if full_refresh:
        os.environ["DBT_FULL_REFRESH"] = "true"
    try:
        return _run(settings, quiet)
    finally:
        if saved is None:
            os.environ.pop("DBT_FULL_REFRESH", None)
        else:
            os.environ["DBT_FULL_REFRESH"] = saved


def _run(settings: Settings, quiet: bool) -> bool:
    from dagster import DagsterInstance

    from orchestration.project import prepare_manifest

    os.environ["ACHILLES_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    prepare_dagster_home(settings)
    prepare_manifest(settings)
    from orchestration.definitions import defs

    job = defs.resolve_job_def("achilles_pipeline")
    if not quiet:
        with DagsterInstance.get() as instance:
            return job.execute_in_process(instance=instance, raise_on_error=False).success
    # Quiet: the console gets warnings only; dbt's output goes to a log file.
    # The full run log is still in the Dagster instance (and so in the UI).
    log_path = pipeline_log_path(settings)
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with (
        DagsterInstance.get() as instance,
        open(log_path, "a") as log,
        contextlib.redirect_stdout(log),
    ):
        result = job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False
        )
    return result.success


def pipeline_log_path(settings: Settings) -> Path:
    folder = Path(settings.data_dir).resolve() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "pipeline.log"
