"""The Dagster definitions and one real run of the whole job over the sample sessions."""

import os

import duckdb
import pytest
from dagster import AssetKey, DefaultScheduleStatus, DefaultSensorStatus

from orchestration.publish import META_TABLE, PUBLISHED_TABLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def defs(built):
    from orchestration.definitions import build_definitions

    return build_definitions(built.settings)


def test_asset_keys_and_groups(defs):
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == {
        "landing/events": "landing",
        "stg_landing_sessions": "staging",
        "stg_events": "staging",
        "int_events_deduplicated": "intermediate",
        "int_errors_normalized": "intermediate",
        "int_action_error_correlations": "intermediate",
        "int_change_set_correlations": "intermediate",
        "int_agent_session_performance": "intermediate",
        "int_llm_models": "intermediate",
        "int_model_prices": "intermediate",
        "int_fixed_failures": "intermediate",
        "landing_sessions": "marts",
        "events": "marts",
        "sessions": "marts",
        "error_clusters": "marts",
        "session_error_clusters": "marts",
        "error_occurrences": "marts",
        "event_correlations": "marts",
        "agent_performance": "marts",
        "llm_usage": "marts",
        "session_usage": "marts",
        "usage_daily": "marts",
        # receivers (#12)
        "int_alert_instances": "intermediate",
        "incident_members": "marts",
        "incidents": "marts",
        "landing/metric_points": "landing",
        "stg_metric_points": "staging",
        "metrics": "marts",
        "insights": "insights",
        "warehouse/published": "published",
    }


def test_graph_runs_landing_to_published(defs):
    graph = defs.resolve_asset_graph()
    published = AssetKey(["warehouse", "published"])
    upstream = graph.upstream_key_iterator(published)
    assert AssetKey(["insights"]) in set(upstream)
    assert AssetKey(["landing", "events"]) in graph.get(AssetKey(["stg_events"])).parent_keys
    assert AssetKey(["sessions"]) in graph.get(AssetKey(["insights"])).parent_keys


def test_dbt_tests_are_asset_checks_and_landing_has_freshness(defs):
    checks = {
        (k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys
    }
    assert ("landing/events", "landing_freshness") in checks
    assert sum(1 for a, _ in checks if a == "events") >= 2  # unique + not null at least
    assert any(name.startswith("unique_") for _, name in checks)


def test_schedule_and_sensor_are_on_by_default(defs):
    schedule = defs.resolve_schedule_def("recompute_schedule")
    sensor = defs.resolve_sensor_def("new_landing_files")
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "*/15 * * * *"
    assert sensor.default_status == DefaultSensorStatus.RUNNING


def test_the_run_reports_each_dbt_model_and_test_to_dagster(built):
    # The whole-project build runs dbt in the run's own process and hands over only
    # dbt's result events (orchestration/dbt_in_process.py): each must still reach the UI.
    from dagster import DagsterInstance
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    from orchestration.defs.dbt import achilles_dbt_models

    instance = DagsterInstance.from_config(str(built.settings.dagster_home))
    unmaterialized = [
        k.to_user_string()
        for k in achilles_dbt_models.keys
        if instance.get_latest_materialization_event(k) is None
    ]
    assert unmaterialized == []
    checks = achilles_dbt_models.check_keys
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(checks))
    assert len(checks) > 40
    assert {k.name: latest[k].status if k in latest else None for k in checks} == {
        k.name: AssetCheckExecutionRecordStatus.SUCCEEDED for k in checks
    }


def test_published_snapshot_has_every_table(built):
    con = duckdb.connect(str(built.settings.published_db), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert set(PUBLISHED_TABLES) | {META_TABLE} <= tables
    assert con.execute("select count(*) from sessions where project_id = 'default'").fetchone()[
        0
    ] == len(built.sessions)
    con.close()


def test_published_file_opens_while_another_reader_holds_it(built):
    a = duckdb.connect(str(built.settings.published_db), read_only=True)
    b = duckdb.connect(str(built.settings.published_db), read_only=True)
    assert (
        a.execute("select count(*) from events").fetchone()
        == b.execute("select count(*) from events").fetchone()
    )
    a.close()
    b.close()


def test_full_refresh_rederives_every_session(tmp_path):
    """A normal run only re-derives sessions with new landing files; `full_refresh`
    (achilles run --full-refresh) re-derives them all: a session whose folder was
    moved away survives a normal run and is gone after a full refresh."""
    from orchestration.pipeline import run_pipeline
    from tests.pipeline_fixtures import build_warehouse

    wh = build_warehouse(tmp_path / "data")
    assert wh.run_ok
    moved = wh.sessions[0]["start"]["session_id"]
    (wh.settings.events_dir / moved).rename(tmp_path / "moved-away")

    def published_sessions() -> set[str]:
        con = duckdb.connect(str(wh.settings.published_db), read_only=True)
        try:
            return {
                r[0]
                for r in con.execute(
                    "select session_id from sessions where project_id = 'default'"
                ).fetchall()
            }
        finally:
            con.close()

    environ = dict(os.environ)
    assert run_pipeline(wh.settings, quiet=True)
    assert moved in published_sessions()
    assert run_pipeline(wh.settings, quiet=True, full_refresh=True)
    assert moved not in published_sessions()
    assert len(published_sessions()) == len(wh.sessions) - 1
    assert dict(os.environ) == environ  # runs get their environment, never change this one


def test_definitions_read_the_environment_not_a_dotenv_in_the_current_folder(
    built, tmp_path, monkeypatch
):
    from orchestration.definitions import defs

    (tmp_path / ".env").write_text("ACHILLES_PIPELINE_CRON=0 3 * * *\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACHILLES_PIPELINE_CRON", raising=False)
    assert defs().resolve_schedule_def("recompute_schedule").cron_schedule == "*/15 * * * *"
    monkeypatch.setenv("ACHILLES_PIPELINE_CRON", "0 4 * * *")
    assert defs().resolve_schedule_def("recompute_schedule").cron_schedule == "0 4 * * *"


def test_a_subset_picked_in_the_ui_builds_only_it_through_dagster_dbt(built, tmp_path, monkeypatch):
    # The whole project builds in the run's own process (orchestration/dbt_in_process.py);
    # a subset goes through dagster-dbt, which turns the selection into dbt's.
    import shutil

    from dagster import DagsterInstance, materialize

    from achilles_core.settings import Settings
    from orchestration.defs.dbt import achilles_dbt_models, dbt_resource
    from orchestration.project import dbt_settings_vars

    data = tmp_path / "data"
    shutil.copytree(
        built.settings.data_dir, data, ignore=shutil.ignore_patterns("dagster_home", "*.lock")
    )
    settings = Settings(data_dir=data, _env_file=None)
    for name, value in dbt_settings_vars(settings).items():
        monkeypatch.setenv(name, value)
    result = materialize(
        [achilles_dbt_models],
        selection=[AssetKey("error_clusters")],
        resources={"dbt": dbt_resource(), "settings": settings},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    built_keys = {e.asset_key for e in result.get_asset_materialization_events()}
    assert built_keys == {AssetKey("error_clusters")}
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.asset_key == AssetKey("error_clusters") for c in checks)
    assert all(c.passed for c in checks)
