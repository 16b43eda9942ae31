"""Read endpoints keep answering while a build runs, and then serve the new snapshot."""

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from achilles.client import AchillesClient
from achilles.scenarios import break_fix_session
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

    fresh = break_fix_session(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
    with ServerProcess(built.settings.data_dir) as server:
        api = AchillesClient(server.url, "dev-key")
        # A session only the next snapshot will hold; the server has the first one open.
        assert api.send_batch(fresh, "fresh-session")["accepted"] == len(fresh)
        assert api.get("/v1/sessions/fresh-session")["summary"] is None
        assert api.get("/v1/sessions/sample-breakfix")["summary"] is not None
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
        # The running server now answers from the second snapshot, derived data included.
        detail = api.get("/v1/sessions/fresh-session")
        errors = api.get("/v1/sessions/fresh-session/errors")
        correlations = api.get("/v1/sessions/fresh-session/correlations")
        api.http.close()
    assert ok
    assert detail["summary"] is not None
    assert detail["summary"]["error_count"] > 0
    assert errors["clusters"], errors
    assert correlations["correlations"], correlations
    assert count[0] > 50, "the read loop barely ran"
    assert failures == []
