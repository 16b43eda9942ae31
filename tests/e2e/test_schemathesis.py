"""The API against its own OpenAPI spec, fuzzed by schemathesis (issue 13, part 3).

A real `achilles serve` process (so the middleware, uvicorn and the spec are the
ones users get), bounded: a fixed generation (deterministic mode, seed 42),
50 examples per operation, about 20-60 s. Fails on any 5xx, on any response the
spec does not declare or describe, and on invalid input that is accepted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from achilles.server import ServerProcess

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)


def test_api_matches_its_spec_and_never_5xx(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with ServerProcess(tmp_path / "data", log_path=log) as server:
        # A few real sessions, so reads and ends find something besides 404s.
        auth = {"Authorization": "Bearer dev-key"}
        for sid in ("fuzz-a", "fuzz-b"):
            httpx.post(f"{server.url}/v1/sessions/start", json={"session_id": sid}, headers=auth)
        cmd = [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{server.url}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            "50",
            "--seed",
            "42",
            "--generation-deterministic",
            "--no-shrink",
            "--request-timeout",
            "20",
            "--header",
            "Authorization: Bearer dev-key",
        ]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    server_log = log.read_text(errors="replace") if log.exists() else ""
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:] + server_log[-4000:]
    assert "Traceback" not in server_log, server_log[-4000:]
