"""`achilles demo` against a real uvicorn server, then what it stored, read from disk."""

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from achilles.server import ServerProcess

pytestmark = pytest.mark.slow
ACHILLES = Path(sys.executable).parent / "achilles"


def test_demo_round_trip_against_a_running_server(tmp_path):
    data = tmp_path / "data"
    with ServerProcess(data, env={"ACHILLES_API_KEYS": "secret-1"}) as server:
        wrong = subprocess.run(
            [ACHILLES, "demo", "--url", server.url, "--api-key", "nope"],
            capture_output=True,
            text=True,
        )
        out = subprocess.run(
            [ACHILLES, "demo", "--url", server.url, "--api-key", "secret-1"],
            capture_output=True,
            text=True,
            env={**os.environ, "ACHILLES_DATA_DIR": "/nonexistent"},
        )
    assert wrong.returncode != 0 and "401" in (wrong.stderr + wrong.stdout)
    assert out.returncode == 0, out.stderr
    assert "Round trip OK" in out.stdout

    sessions = [p for p in (data / "landing" / "events").iterdir()]
    assert len(sessions) == 1 and sessions[0].name.startswith("demo-")
    rows = pq.read_table(sessions[0]).to_pylist()
    kinds = [r["event_type"] for r in sorted(rows, key=lambda r: r["timestamp"])]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end"
    assert 20 <= len(rows) - 2 <= 50
    assert {"agent_action", "test_run", "error", "human_action", "llm_call"} <= set(kinds)
    assert sum(r["input_tokens"] or 0 for r in rows) > 0


def test_demo_starts_its_own_server(tmp_path):
    out = subprocess.run(
        [ACHILLES, "demo", "--data-dir", str(tmp_path / "d")], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "Started a server" in out.stdout and "Round trip OK" in out.stdout
    assert any((tmp_path / "d" / "landing" / "events").iterdir())
    # A new user's `make demo` ends with where the dashboard is and how to open it.
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("Dashboard: http://127.0.0.1:8000/ui") and "achilles serve" in last
