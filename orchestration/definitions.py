"""Dagster entry point: `dagster dev -m orchestration.definitions` (or `achilles ui`).

Only assembles; each concern lives in `orchestration/defs/`. The dbt manifest must
exist first (`achilles ui`/`achilles run` prepare it; see orchestration/project.py).
"""

from dagster import Definitions

from ingest_api.settings import Settings
from orchestration.defs.automation import build_schedule, build_sensor, pipeline_job
from orchestration.defs.dbt import achilles_dbt_models, dbt_resource
from orchestration.defs.insights import insights
from orchestration.defs.landing import landing_events, landing_freshness
from orchestration.defs.publish import published_warehouse

_settings = Settings()

defs = Definitions(
    assets=[landing_events, achilles_dbt_models, insights, published_warehouse],
    asset_checks=[landing_freshness],
    jobs=[pipeline_job],
    schedules=[build_schedule(_settings)],
    sensors=[build_sensor(_settings)],
    resources={"dbt": dbt_resource()},
)
