"""Derived read endpoints over a real published warehouse (sample sessions)."""

import shutil

import pytest
from fastapi.testclient import TestClient

from achilles_core.settings import Settings
from ingest_api.app import create_app
from tests.conftest import AUTH

pytestmark = pytest.mark.slow


def test_session_summary_fields(built_client):
    s = built_client.get("/v1/sessions/sample-refactor-1").json()
    summary = s["summary"]
    assert summary["computed_at"] is not None
    assert summary["event_count"] == s["event_count"] == 22
    assert summary["error_count"] == 2
    assert summary["error_density"] == pytest.approx(200 / 22)
    assert (summary["test_runs_failed"], summary["test_runs_passed"]) == (2, 1)
    assert summary["agent_activity_score"] == 14  # 10 actions + 4 LLM calls
    assert summary["input_tokens"] > 0 and summary["llm_calls"] == 4


def test_session_errors_are_clustered_across_line_numbers(built_client):
    out = built_client.get("/v1/sessions/sample-refactor-1/errors").json()
    assert out["total"] == 1 and out["next_offset"] is None and out["computed_at"]
    cluster = out["clusters"][0]
    assert cluster["error_type"] == "AttributeError" and cluster["occurrences"] == 2
    # The same failure in the other refactor session joins the same cluster.
    assert (cluster["total_occurrences"], cluster["sessions_affected"]) == (4, 2)
    assert "line 88" not in cluster["normalized_message"]


def test_session_correlations(built_client):
    out = built_client.get("/v1/sessions/sample-refactor-1/correlations").json()
    strong = [c for c in out["correlations"] if c["confidence"] == 0.7]
    assert strong, out
    first = strong[0]
    assert first["agent"] == "claude-code" and first["action_file_path"] == "src/billing/invoice.py"
    assert 0 <= first["lag_s"] <= 10 and first["method"] == "time_window"
    filtered = built_client.get(
        "/v1/sessions/sample-refactor-1/correlations", params={"min_confidence": 0.5}
    ).json()
    assert all(c["confidence"] >= 0.5 for c in filtered["correlations"])
    page = built_client.get(
        "/v1/sessions/sample-refactor-1/correlations", params={"limit": 1}
    ).json()
    assert len(page["correlations"]) == 1 and page["total"] == out["total"]
    assert page["next_offset"] == (1 if out["total"] > 1 else None)


def test_session_agent_performance(built_client):
    out = built_client.get("/v1/sessions/sample-refactor-1/agent-performance").json()
    (agent,) = out["agents"]
    assert agent["agent"] == "claude-code" and agent["scope"] == "session"
    assert agent["total_actions"] == 10 and agent["induced_error_count"] >= 1
    assert 0 <= agent["success_rate"] < 1
    (overall,) = out["overall"]
    assert overall["scope"] == "overall" and overall["sessions_count"] == 2


def test_unknown_session_is_404_on_every_derived_endpoint(built_client):
    for tail in ("", "/errors", "/correlations", "/agent-performance"):
        assert built_client.get(f"/v1/sessions/nobody{tail}").status_code == 404


def test_session_not_yet_built_has_empty_derived_reads(built, tmp_path):
    # On a copy: what this test lands must not reach the shared warehouse's later builds.
    data = tmp_path / "data"
    shutil.copytree(built.settings.data_dir, data)
    event = {
        "event_type": "error",
        "source_type": "ci",
        "timestamp": "2026-11-21T10:00:00Z",
        "message": "boom",
    }
    with TestClient(create_app(Settings(data_dir=data, _env_file=None)), headers=AUTH) as c:
        posted = c.post("/v1/events/batch", json={"session_id": "fresh", "events": [event]})
        assert posted.json()["accepted"] == 1, posted.text
        assert c.get("/v1/sessions/fresh").json()["summary"] is None
        errors = c.get("/v1/sessions/fresh/errors").json()
        assert errors["clusters"] == [] and errors["total"] == 0


def test_health_reports_the_snapshot_time(built_client):
    assert built_client.get("/health").json()["warehouse_published_at"] is not None
