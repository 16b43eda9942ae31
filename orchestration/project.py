"""Where the dbt project lives and how its manifest is prepared.

dagster-dbt reads `target/manifest.json` when the definitions load, so every
entry point (`achilles run`, `achilles ui`, the tests) calls `prepare_manifest()`
first; loading the definitions never runs dbt by itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from achilles_core.settings import Settings
from orchestration.fingerprint import DBT_PROJECT_DIR, project_files

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_settings_vars(settings: Settings) -> dict[str, str]:
    """What dbt reads of the settings (profiles.yml, macros): from its environment."""
    return {
        "ACHILLES_DATA_DIR": str(Path(settings.data_dir).resolve()),
        "ACHILLES_DBT_THREADS": str(settings.dbt_threads),
        "ACHILLES_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "ACHILLES_ENGINE": settings.engine,  # profiles.yml's target
        "ACHILLES_SPARK_HOST": settings.spark_host,
        "ACHILLES_SPARK_PORT": str(settings.spark_port),
        "ACHILLES_SPARK_DRIVER_MEMORY": settings.spark_driver_memory,
        "ACHILLES_SPARK_SHUFFLE_PARTITIONS": str(settings.spark_shuffle_partitions),
    }


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment for a dbt subprocess: the settings it reads, no usage pings."""
    return {
        **os.environ,
        **dbt_settings_vars(settings),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
    }


def _newest_source_mtime() -> float:
    return max(p.stat().st_mtime for p in project_files())


def prepare_manifest(settings: Settings | None = None, force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project files."""
    from orchestration.spark_engine import check_installed

    settings = settings or Settings()
    check_installed(settings)
    if not force and MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_source_mtime():
        return MANIFEST
    result = subprocess.run(
        [str(DBT_EXECUTABLE), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--quiet"],
        env=dbt_env(settings),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return MANIFEST
