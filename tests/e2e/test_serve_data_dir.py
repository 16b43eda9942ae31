"""`achilles serve --data-dir X` serves X, whatever folder it is started from (the
uvicorn workers build their own settings: they must be handed the resolved dir)."""

from __future__ import annotations

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


def test_serve_uses_the_data_dir_it_was_given(tmp_path: Path) -> None:
    given = tmp_path / "given"
    elsewhere = tmp_path / "elsewhere"  # has a data/ of its own, found from the cwd
    (elsewhere / "data").mkdir(parents=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ACHILLES_DATA_DIR"}
    achilles = str(Path(sys.executable).parent / "achilles")
    cmd = [achilles, "serve", "--port", str(port), "--data-dir", str(given)]
    proc = subprocess.Popen(
        cmd, cwd=elsewhere, env=env, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        health = None
        for _ in range(300):
            try:
                health = httpx.get(
                    f"http://127.0.0.1:{port}/health",
                    headers={"Authorization": "Bearer dev-key"},
                    timeout=1,
                ).json()
                break
            except httpx.HTTPError:
                assert proc.poll() is None, "the server exited"
                time.sleep(0.1)
        assert health is not None, "the server did not answer"
        assert health["data_dir"] == str(given.resolve())
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
