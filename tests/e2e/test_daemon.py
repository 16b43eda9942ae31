"""`achilles daemon`: with no UI open, an event posted to a real server is built and
published by the sensor alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from achilles.client import AchillesClient
from achilles.server import ServerProcess

pytestmark = pytest.mark.slow
ACHILLES = Path(sys.executable).parent / "achilles"
WAIT_S = 300  # daemon start, a sensor tick, and one whole build on a busy 2-core machine


def test_daemon_builds_and_publishes_a_new_event_without_the_ui(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "ACHILLES_DATA_DIR": str(data), "ACHILLES_SENSOR_INTERVAL_S": "5"}
    log = open(tmp_path / "daemon.log", "wb")  # noqa: SIM115
    daemon = subprocess.Popen(
        [ACHILLES, "daemon"], env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        with ServerProcess(data) as server, AchillesClient(server.url, "dev-key") as client:
            sid = client.start_session(session_id="daemon-e2e", agent="claude-code")
            client.send_batch(
                [
                    {
                        "event_type": "agent_action",
                        "source_type": "agent",
                        "timestamp": "2026-11-18T10:00:00+00:00",
                        "actor": "claude-code",
                        "file_path": "src/app.py",
                        "message": "edit src/app.py",
                    }
                ],
                sid,
            )
            deadline = time.monotonic() + WAIT_S
            summary = None
            while time.monotonic() < deadline and summary is None:
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
                time.sleep(3)
                summary = client.session(sid).get("summary")
            assert summary is not None, (
                f"not published within {WAIT_S} s; daemon log:\n"
                + (tmp_path / "daemon.log").read_text()[-3000:]
            )
            assert summary["event_count"] == 1
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
        log.close()
    assert (data / "warehouse" / "achilles.duckdb").exists()
