"""`achilles ui` serves the Dagster UI with the whole asset graph, schedule and sensor on."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from achilles.server import free_port

pytestmark = pytest.mark.slow
ACHILLES = Path(sys.executable).parent / "achilles"

QUERY = """
{
  assetNodes { assetKey { path } groupName }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        schedules { name scheduleState { status } }
        sensors { name sensorState { status } }
      }
    }
  }
}
"""


def test_ui_serves_the_asset_graph(tmp_path):
    port = free_port()
    env = {**os.environ, "ACHILLES_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [ACHILLES, "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        data = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and data is None:
            time.sleep(1)
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=10
                )
                body = r.json()
                if body.get("data", {}).get("assetNodes"):
                    data = body["data"]
            except (httpx.HTTPError, ValueError):
                continue
        assert data is not None, "the Dagster UI did not answer with the asset graph"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # A slow shutdown: in CI this test took 70 s (17-20 s alone), as if it used
            # the whole minute it had here. The answers are in, so stop it outright.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in data["assetNodes"]}
    assert groups["landing/events"] == "landing"
    assert groups["stg_events"] == "staging"
    assert groups["sessions"] == "marts"
    assert groups["insights"] == "insights"
    assert groups["warehouse/published"] == "published"
    (repo,) = data["repositoriesOrError"]["nodes"]
    assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {
        "recompute_schedule": "RUNNING"
    }
    assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]} == {
        "new_landing_files": "RUNNING"
    }
    assert (tmp_path / "data" / "dagster_home" / "dagster.yaml").exists()
