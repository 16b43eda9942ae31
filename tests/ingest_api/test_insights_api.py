"""`GET /v1/insights/recent` over the sample warehouse, and before anything is published."""

import pytest


def test_no_snapshot_yet_gives_an_empty_list(client):
    r = client.get("/v1/insights/recent")
    assert r.status_code == 200 and r.json() == {"computed_at": None, "insights": []}


def test_bad_filters_are_422(client):
    assert client.get("/v1/insights/recent", params={"kind": "nope"}).status_code == 422
    assert client.get("/v1/insights/recent", params={"limit": 0}).status_code == 422
    assert client.get("/v1/insights/recent", params={"since": "yesterday"}).status_code == 422


@pytest.mark.slow
def test_sample_insights_by_kind(built_client):
    def kinds(**params):
        out = built_client.get("/v1/insights/recent", params={"limit": 500, **params}).json()
        return {i["kind"] for i in out["insights"]}

    assert kinds(session_id="sample-crashloop") >= {"crash_loop", "repeated_error"}
    assert "break_fix_cycle" in kinds(session_id="sample-breakfix")
    assert kinds(session_id="sample-refactor-1") == {"agent_caused_error"}
    assert kinds(kind="crash_loop", severity="critical") == {"crash_loop"}
    assert kinds(session_id="sample-refactor-1", status="resolved") == set()
