"""The Spark engine's settings (issue 17) need no Spark to check."""

from pathlib import Path

import yaml

from orchestration.spark_engine import SPARK_SQL_SETTINGS

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def test_both_spark_targets_and_the_thrift_server_command_share_one_set_of_settings():
    outputs = yaml.safe_load(PROFILES.read_text())["achilles"]["outputs"]
    session = outputs["spark_session"]["server_side_parameters"]
    thrift = outputs["spark_thrift"]["server_side_parameters"]
    assert thrift == SPARK_SQL_SETTINGS
    assert {k: session[k] for k in SPARK_SQL_SETTINGS} == SPARK_SQL_SETTINGS
