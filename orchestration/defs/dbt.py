"""dbt models as Dagster assets; dbt tests appear as asset checks."""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Config, ResourceParam
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from achilles_core.landing import manifest_path
from achilles_core.settings import Settings
from orchestration import dbt_in_process, spark_engine
from orchestration.defs.landing import LANDING_KEY, METRICS_KEY
from orchestration.fingerprint import project_digest
from orchestration.priority import lower_priority
from orchestration.project import DBT_EXECUTABLE, dbt_project, dbt_settings_vars
from orchestration.publish import mark_full_refresh


class AchillesTranslator(DagsterDbtTranslator):
    """Maps the landing source onto the landing asset and groups models by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["name"] == "events":
                return LANDING_KEY
            return METRICS_KEY  # landing.metric_points

        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"


class DbtBuildConfig(Config):
    full_refresh: bool = False
    """Re-derive every session, not only those with new landing files (dbt --full-refresh)."""


def dbt_vars(settings: Settings) -> str:
    return json.dumps(
        {
            "dedupe_window_s": settings.dedupe_window_s,
            "correlation_window_s": settings.correlation_window_s,
            # written by the landing step just before (achilles_core/landing.py)
            "landing_manifest": str(manifest_path(settings)),
            **(spark_engine.spark_vars(settings) if spark_engine.is_spark(settings) else {}),
        }
    )


def check_dbt_environment(settings: Settings) -> None:
    """dagster-dbt hands dbt this process's environment (it takes no env of its own), so
    the process must start with the settings' dbt variables, as run_pipeline and
    `achilles ui` arrange. Anything else would build some other warehouse: refuse it."""
    wrong = sorted(k for k, v in dbt_settings_vars(settings).items() if os.environ.get(k) != v)
    if wrong:
        raise RuntimeError(
            f"this process's {', '.join(wrong)} disagree with the settings, and dbt reads "
            "them from here: start Dagster with `achilles ui` or `achilles run`, or export "
            "them (ACHILLES_DATA_DIR as an absolute path)"
        )


TRANSLATOR = AchillesTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _whole_project(context: AssetExecutionContext) -> bool:
    """Every model and every check of the project is selected (the pipeline job). The
    context's own assets definition is the subset, so compare with the whole one."""
    return set(context.selected_asset_keys) == set(achilles_dbt_models.keys) and set(
        context.selected_asset_check_keys
    ) == set(achilles_dbt_models.check_keys)


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=TRANSLATOR)
def achilles_dbt_models(
    context: AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: DbtCliResource,
    settings: ResourceParam[Settings],
) -> Iterator[Any]:
    check_dbt_environment(settings)
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    # Unit tests check the SQL on fixed inputs, not the data: `make test` runs them,
    # the recurring build skips them (dbt's advice for production runs).
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", dbt_vars(settings)]
    # A warehouse built by other models (an upgrade of Achilles) is rebuilt from the
    # landing zone, so an incremental model never meets a table of an older shape.
    built_by = settings.warehouse_dir / "build.project-digest"
    digest = project_digest()
    stale = settings.build_db.exists() and (not built_by.exists() or built_by.read_text() != digest)
    if stale and not config.full_refresh:
        context.log.info("the dbt project changed since the last build: full refresh")
    if config.full_refresh or stale:
        args.append("--full-refresh")
        mark_full_refresh(settings)  # every row may change: the next publish is whole
    if spark_engine.is_spark(settings):
        spark_engine.prepare(settings)
    if _whole_project(context):
        # The pipeline's build: dbt in this process, no start-up of its own (see module).
        yield from dbt_in_process.build(
            context,
            args,
            settings.data_dir,
            manifest=json.loads(dbt_project.manifest_path.read_bytes()),
            translator=TRANSLATOR,
            nice=settings.build_nice,
        )
    else:
        # A subset picked in the UI: dagster-dbt turns the selection into dbt's.
        invocation = dbt.cli(args, context=context)
        lower_priority(settings.build_nice, invocation.process.pid)
        yield from invocation.stream()
    if spark_engine.is_spark(settings):
        counts = spark_engine.load_export(settings)
        context.log.info(f"loaded from Spark into the DuckDB build warehouse: {counts}")
    built_by.write_text(digest)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE))
