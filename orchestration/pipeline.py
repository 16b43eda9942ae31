"""Run the whole pipeline once, in process, on a persistent Dagster instance.

Used by `achilles run`, the demo and the tests; runs show up in the Dagster UI
because DAGSTER_HOME lives under the data dir.
"""

from __future__ import annotations

import logging
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


def run_pipeline(settings: Settings, quiet: bool = False) -> bool:
    """Materialize every asset once; True when the run (dbt tests included) succeeded."""
    from dagster import DagsterInstance

    from orchestration.project import prepare_manifest

    os.environ["ACHILLES_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    prepare_dagster_home(settings)
    prepare_manifest(settings)
    from orchestration.definitions import defs

    job = defs.resolve_job_def("achilles_pipeline")
    if quiet:  # the run log still goes to the instance (and the UI)
        logging.getLogger("dagster").setLevel(logging.WARNING)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    return result.success
