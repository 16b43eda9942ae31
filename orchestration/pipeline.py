"""Run the whole pipeline once on a persistent Dagster instance.

Used by `achilles run`, the demo and the tests; runs show up in the Dagster UI
because the instance lives under the data dir. The run happens in a child process
started with the settings as its environment: dbt, which dagster-dbt starts with
the environment of the process it runs in, then reads the same settings, and
nobody's `os.environ` is changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from achilles_core.settings import ENV_PREFIX, Settings, settings_env

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
"""
QUIET, FULL_REFRESH = "--quiet", "--full-refresh"


def prepare_dagster_home(settings: Settings) -> Path:
    """Create the Dagster instance folder under the data dir; returns its path."""
    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def dagster_env(settings: Settings) -> dict[str, str]:
    """Environment for a Dagster process: this one's, with every ACHILLES_* variable
    replaced by the settings (so the child builds exactly these) and its instance."""
    from orchestration.project import dbt_settings_vars

    inherited = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return {
        **inherited,
        **settings_env(settings),
        **dbt_settings_vars(settings),
        "DAGSTER_HOME": str(prepare_dagster_home(settings)),
    }


def run_pipeline(settings: Settings, quiet: bool = False, full_refresh: bool = False) -> bool:
    """Materialize every asset once; True when the run (dbt tests included) succeeded.

    `full_refresh`: dbt re-derives every session (its --full-refresh flag) instead of
    only those with new landing files.
    `quiet`: the console gets warnings only; the rest (dbt's output) goes to a log
    file. The full run log is still in the Dagster instance (and so in the UI).
    """
    from orchestration.project import prepare_manifest

    prepare_manifest(settings)
    cmd = [sys.executable, "-m", "orchestration.pipeline"]
    cmd += [QUIET] if quiet else []
    cmd += [FULL_REFRESH] if full_refresh else []
    env = dagster_env(settings)
    if not quiet:
        return subprocess.run(cmd, env=env).returncode == 0
    with open(pipeline_log_path(settings), "a") as log:
        return subprocess.run(cmd, env=env, stdout=log).returncode == 0


def _execute(quiet: bool, full_refresh: bool) -> bool:
    """The child's side: the settings and the instance come from the environment."""
    from dagster import DagsterInstance

    from orchestration.definitions import build_definitions

    settings = Settings(_env_file=None)
    job = build_definitions(settings).resolve_job_def("achilles_pipeline")
    run_config: dict = {"ops": {"achilles_dbt_models": {"config": {"full_refresh": full_refresh}}}}
    if quiet:
        run_config["loggers"] = {"console": {"config": {"log_level": "WARNING"}}}
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False
        )
    return result.success


def pipeline_log_path(settings: Settings) -> Path:
    folder = Path(settings.data_dir).resolve() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "pipeline.log"


if __name__ == "__main__":
    sys.exit(0 if _execute(QUIET in sys.argv, FULL_REFRESH in sys.argv) else 1)
