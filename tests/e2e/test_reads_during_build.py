"""Read endpoints keep answering while a build runs: zero failures."""

import threading

import httpx
import pytest

from achilles.server import ServerProcess
from achilles_core.settings import Settings
from orchestration.pipeline import run_pipeline
from tests.pipeline_fixtures import build_warehouse

pytestmark = pytest.mark.slow


def test_reads_during_a_build(tmp_path):
    built = build_warehouse(tmp_path / "data")
    assert built.run_ok
    paths = [
        "/v1/sessions/sample-breakfix",
        "/v1/sessions/sample-breakfix/events",
        "/v1/sessions/sample-breakfix/errors",
        "/v1/sessions/sample-breakfix/correlations",
        "/v1/sessions/sample-breakfix/agent-performance",
    ]
    failures: list[str] = []
    done = threading.Event()
    count = [0]

    def loop():
        with httpx.Client(headers={"Authorization": "Bearer dev-key"}, timeout=10) as http:
            while not done.is_set():
                for p in paths:
                    try:
                        r = http.get(server.url + p)
                        if r.status_code != 200:
                            failures.append(f"{p}: {r.status_code} {r.text[:200]}")
                    except httpx.HTTPError as exc:
                        failures.append(f"{p}: {exc!r}")
                    count[0] += 1

    with ServerProcess(built.settings.data_dir) as server:
        threads = [threading.Thread(target=loop) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            ok = run_pipeline(
                Settings(data_dir=built.settings.data_dir, _env_file=None), quiet=True
            )
        finally:
            done.set()
            for t in threads:
                t.join()
    assert ok
    assert count[0] > 50, "the read loop barely ran"
    assert failures == []
