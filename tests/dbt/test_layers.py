"""The dbt layers read downward: staging from the landing source, intermediate from
staging and intermediate, marts from anything below (checked on the parsed manifest)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # one `dbt parse`

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT_BIN = Path(os.environ.get("ACHILLES_DBT_BIN", REPO_ROOT / ".venv" / "bin" / "dbt"))
RANK = {"staging": 0, "intermediate": 1, "marts": 2}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, dict]:
    data_dir = tmp_path_factory.mktemp("parse")
    env = {
        **os.environ,
        "ACHILLES_DATA_DIR": str(data_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET_PATH": str(data_dir / "target"),
        "DBT_LOG_PATH": str(data_dir / "logs"),
    }
    args = ["parse", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)]
    proc = subprocess.run([str(DBT_BIN), *args], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((data_dir / "target" / "manifest.json").read_text())
    return {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}


def layer(node: dict) -> str:
    return node["fqn"][1]


def test_every_model_is_in_a_layer_named_by_its_prefix(models):
    for node in models.values():
        name = node["name"]
        assert layer(node) in RANK, name
        assert name.startswith("stg_") == (layer(node) == "staging"), name
        assert name.startswith("int_") == (layer(node) == "intermediate"), name


def test_no_model_reads_a_layer_above_its_own(models):
    for node in models.values():
        for parent in node["depends_on"]["nodes"]:
            if parent.startswith("source."):
                assert layer(node) == "staging", (node["name"], parent)
                continue
            above = RANK[layer(models[parent])] > RANK[layer(node)]
            assert not above, f"{node['name']} ({layer(node)}) reads {parent}"
