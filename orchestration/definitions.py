"""Dagster entry point: `dagster dev -m orchestration.definitions` (or `achilles ui`).

Only assembles; each concern lives in `orchestration/defs/`. The dbt manifest must
exist first (`achilles ui`/`achilles run` prepare it; see orchestration/project.py).
Importing this module reads nothing: Dagster calls `defs()` when it loads the code.
"""

from dagster import Definitions, definitions

from achilles_core.settings import Settings
from orchestration.defs.automation import build_schedule, build_sensor, pipeline_job
from orchestration.defs.dbt import achilles_dbt_models, dbt_resource
from orchestration.defs.insights import insights
from orchestration.defs.landing import landing_events, landing_freshness, landing_metric_points
from orchestration.defs.publish import published_warehouse


def build_definitions(settings: Settings) -> Definitions:
    """Everything Dagster runs, given the settings (a resource for assets and checks)."""
    return Definitions(
        assets=[
            landing_events,
            landing_metric_points,
            achilles_dbt_models,
            insights,
            published_warehouse,
        ],
        asset_checks=[landing_freshness],
        jobs=[pipeline_job],
        schedules=[build_schedule(settings)],
        sensors=[build_sensor(settings)],
        resources={"dbt": dbt_resource(), "settings": settings},
    )


@definitions
def defs() -> Definitions:
    # The settings come from the environment only, never from a .env file in whatever
    # folder Dagster was started from: `achilles ui` passes them all (settings_env).
    return build_definitions(Settings(_env_file=None))
