"""dbt models as Dagster assets; dbt tests appear as asset checks."""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from ingest_api.settings import Settings
from orchestration.defs.landing import LANDING_KEY
from orchestration.project import DBT_EXECUTABLE, dbt_env, dbt_project, lower_priority


class AchillesTranslator(DagsterDbtTranslator):
    """Maps the landing source onto the landing asset and groups models by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return LANDING_KEY
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"


def dbt_vars(settings: Settings) -> str:
    return json.dumps(
        {
            "dedupe_window_s": settings.dedupe_window_s,
            "correlation_window_s": settings.correlation_window_s,
        }
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=AchillesTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def achilles_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    settings = Settings()
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    # dbt reads the data dir (absolute) and thread count from its environment.
    os.environ.update(
        {k: v for k, v in dbt_env(settings).items() if k.startswith(("ACHILLES_", "DBT_"))}
    )
    # Unit tests check the SQL on fixed inputs, not the data: `make test` runs them,
    # the recurring build skips them (dbt's advice for production runs).
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", dbt_vars(settings)]
    invocation = dbt.cli(args, context=context)
    lower_priority(settings.build_nice, invocation.process.pid)
    yield from invocation.stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))
