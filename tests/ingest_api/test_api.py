"""Every endpoint and its error paths, through FastAPI's test client."""

import gc

import pytest
from fastapi.testclient import TestClient

from achilles_core.settings import Settings
from ingest_api.app import create_app


def event(ts="2026-11-21T10:00:00Z", **over):
    return {"event_type": "agent_action", "source_type": "agent", "timestamp": ts, **over}


# -- health and auth ---------------------------------------------------------------------


def test_health_needs_no_key(settings):
    with TestClient(create_app(settings)) as anon:
        r = anon.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/v1/sessions/start"),
        ("post", "/v1/sessions/end"),
        ("post", "/v1/events/batch"),
        ("get", "/v1/sessions/x"),
        ("get", "/v1/sessions/x/events"),
    ],
)
def test_every_endpoint_needs_a_key(settings, method, path):
    with TestClient(create_app(settings)) as anon:
        missing = getattr(anon, method)(path)
        wrong = getattr(anon, method)(path, headers={"Authorization": "Bearer nope"})
    assert missing.status_code == 401 and "missing API key" in missing.json()["detail"]
    assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid API key"


def test_configured_keys_replace_the_dev_key(tmp_path):
    settings = Settings(data_dir=tmp_path, api_keys="k1, k2", _env_file=None)
    with TestClient(create_app(settings)) as c:
        assert c.get("/v1/sessions/x", headers={"Authorization": "Bearer k2"}).status_code == 404
        assert (
            c.get("/v1/sessions/x", headers={"Authorization": "Bearer dev-key"}).status_code == 401
        )


def test_api_keys_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ACHILLES_API_KEYS", "alpha,beta")
    monkeypatch.setenv("ACHILLES_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.api_keys == ["alpha", "beta"] and settings.data_dir == tmp_path


def test_dev_key_warning_is_logged(settings, caplog):
    create_app(settings)
    assert "ACHILLES_API_KEYS is not set" in caplog.text


# -- sessions ----------------------------------------------------------------------------


def test_start_with_client_id_then_again(client):
    body = {"session_id": "sess-1", "agent": "codex", "repo": "r", "branch": "main"}
    first = client.post("/v1/sessions/start", json=body)
    again = client.post("/v1/sessions/start", json=body)
    assert first.status_code == 201 and first.json() == {"session_id": "sess-1", "created": True}
    assert again.status_code == 200 and again.json()["created"] is False
    s = client.get("/v1/sessions/sess-1").json()
    assert (s["agent"], s["actor"], s["repo"], s["branch"]) == ("codex", "codex", "r", "main")
    assert s["event_count"] == 0 and s["started_at"] is not None


def test_start_without_id_makes_one(client):
    r = client.post("/v1/sessions/start", json={})
    assert r.status_code == 201
    assert client.get(f"/v1/sessions/{r.json()['session_id']}").status_code == 200


def test_start_rejects_a_path_like_id(client):
    r = client.post("/v1/sessions/start", json={"session_id": "../../etc"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "session_id"]


def test_start_rejects_naive_started_at(client):
    r = client.post("/v1/sessions/start", json={"started_at": "2026-11-21T10:00:00"})
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["field"] == "started_at" and "UTC offset" in item["reason"]


def test_start_rejects_oversized_metadata(client):
    r = client.post("/v1/sessions/start", json={"metadata": {"x": "y" * 20000}})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "attributes"


def test_end_session(client):
    client.post("/v1/sessions/start", json={"session_id": "s"})
    r = client.post("/v1/sessions/end", json={"session_id": "s", "outcome": "failed"})
    assert r.status_code == 200 and r.json() == {
        "session_id": "s",
        "ended": True,
        "outcome": "failed",
    }
    assert client.post("/v1/sessions/end", json={"session_id": "s"}).json()["ended"] is False
    s = client.get("/v1/sessions/s").json()
    assert s["outcome"] == "failed" and s["ended_at"] is not None


def test_end_unknown_session_is_404(client):
    r = client.post("/v1/sessions/end", json={"session_id": "never"})
    assert r.status_code == 404 and "never" in r.json()["detail"]


def test_end_needs_session_id(client):
    assert client.post("/v1/sessions/end", json={}).status_code == 422


def test_get_unknown_session_is_404(client):
    assert client.get("/v1/sessions/nope").status_code == 404
    assert client.get("/v1/sessions/nope/events").status_code == 404


def test_get_session_with_bad_id_is_422(client):
    assert client.get("/v1/sessions/a..b c").status_code == 422


# -- batches -----------------------------------------------------------------------------


def test_batch_mixes_good_and_bad_events(client):
    r = client.post(
        "/v1/events/batch",
        json={
            "session_id": "s",
            "events": [
                event(file_path="a.py"),
                event(event_type="deploy"),
                event(timestamp="2026-11-21 10:00"),
                "not an object",
                event(ts="2026-11-21T10:00:05Z", session_id="other"),
            ],
        },
    )
    assert r.status_code == 207  # some rejected: a client checking only the status notices
    out = r.json()
    assert (out["accepted"], out["duplicates"], out["rejected"]) == (2, 0, 3)
    res = out["results"]
    assert [x["index"] for x in res] == [0, 1, 2, 3, 4]
    assert res[0]["status"] == "accepted" and res[0]["event_id"].startswith("h-")
    assert res[1]["field"] == "event_type" and "must be one of" in res[1]["reason"]
    assert res[2]["field"] == "timestamp" and "UTC offset" in res[2]["reason"]
    assert res[3] == {
        "index": 3,
        "status": "rejected",
        "event_id": None,
        "field": "event",
        "reason": "must be a JSON object",
    }
    assert client.get("/v1/sessions/other").json()["event_count"] == 1


def test_batch_event_without_any_session_id_is_rejected(client):
    res = client.post("/v1/events/batch", json={"events": [event()]}).json()["results"][0]
    assert (res["status"], res["field"], res["reason"]) == ("rejected", "session_id", "required")


def test_batch_client_event_id_is_returned(client):
    res = client.post(
        "/v1/events/batch", json={"session_id": "s", "events": [event(event_id="e1")]}
    )
    assert res.json()["results"][0]["event_id"] == "e1"


def test_session_exists_implicitly(client):
    client.post("/v1/events/batch", json={"session_id": "implicit", "events": [event()]})
    s = client.get("/v1/sessions/implicit").json()
    assert s["event_count"] == 1 and s["started_at"] is None


def test_malformed_json_is_400(client):
    r = client.post(
        "/v1/events/batch", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]


@pytest.mark.parametrize(
    "body,needle",
    [([], "'events' list"), ({"events": {}}, "'events' list"), ({"events": [], "x": 1}, "unknown")],
)
def test_wrong_shape_is_422(client, body, needle):
    r = client.post("/v1/events/batch", json=body)
    assert r.status_code == 422 and needle in r.json()["detail"]


def test_bad_default_session_id_is_422(client):
    r = client.post("/v1/events/batch", json={"session_id": "../x", "events": []})
    assert r.status_code == 422 and r.json()["detail"].startswith("session_id:")


def test_wrong_content_type_is_415(client):
    r = client.post("/v1/events/batch", content=b"events=1", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and "application/json" in r.json()["detail"]


def test_oversized_body_is_413(tmp_path):
    settings = Settings(data_dir=tmp_path, max_body_bytes=1000, _env_file=None)
    with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-key"}) as c:
        r = c.post("/v1/events/batch", json={"events": [event(message="x" * 2000)]})
    assert r.status_code == 413 and "1000 bytes" in r.json()["detail"]


def test_too_many_events_is_413(tmp_path):
    settings = Settings(data_dir=tmp_path, max_batch_events=3, _env_file=None)
    with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-key"}) as c:
        r = c.post("/v1/events/batch", json={"session_id": "s", "events": [event()] * 4})
    assert r.status_code == 413 and "limit is 3" in r.json()["detail"]


# -- reading events ----------------------------------------------------------------------


def test_events_ordered_by_timestamp_then_event_id_and_paginated(client):
    # Two batches, out of timestamp order, with a tie on the timestamp across batches:
    # the tie goes by event_id (the warehouse's event_seq order), not by arrival.
    tie = "2026-11-21T10:00:03Z"
    client.post(
        "/v1/events/batch",
        json={
            "session_id": "s",
            "events": [
                event(tie, event_id="z", message="c"),
                event("2026-11-21T10:00:01Z", message="a"),
            ],
        },
    )
    client.post(
        "/v1/events/batch",
        json={
            "session_id": "s",
            "events": [
                event(tie, event_id="m", message="d"),
                event("2026-11-21T10:00:02Z", message="b"),
            ],
        },
    )
    page1 = client.get("/v1/sessions/s/events", params={"limit": 3}).json()
    page2 = client.get("/v1/sessions/s/events", params={"limit": 3, "offset": 3}).json()
    assert [e["message"] for e in page1["events"] + page2["events"]] == ["a", "b", "d", "c"]
    assert (page1["total"], page1["next_offset"], page2["next_offset"]) == (4, 3, None)
    past_end = client.get("/v1/sessions/s/events", params={"offset": 10}).json()
    assert past_end["events"] == [] and past_end["total"] == 4


def test_events_round_trip_every_field(client):
    full = event(
        event_id="e-full",
        actor="claude-code",
        file_path="src/a.py",
        message="Edit",
        error_type="None",
        severity="warning",
        status="ok",
        parent_id="turn-1",
        trace_id="t1",
        span_id="sp1",
        model="m",
        input_tokens=10,
        output_tokens=5,
        cost_usd=0.25,
        attributes={"tool": "Edit", "nested": {"n": [1, 2]}},
    )
    client.post("/v1/events/batch", json={"session_id": "s", "events": [full]})
    got = client.get("/v1/sessions/s/events").json()["events"][0]
    for key, value in full.items():
        if key != "timestamp":
            assert got[key] == value, key
    assert got["timestamp"] == "2026-11-21T10:00:00Z" and got["received_at"]


def test_events_limit_bounds(client):
    client.post("/v1/events/batch", json={"session_id": "s", "events": [event()]})
    assert client.get("/v1/sessions/s/events", params={"limit": 0}).status_code == 422
    assert client.get("/v1/sessions/s/events", params={"limit": 1001}).status_code == 422


def test_openapi_documents_the_batch_body_with_an_example(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/events/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"]["events"][0]["event_type"] == "agent_action"
    assert "/v1/sessions/{session_id}/events" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_landed_file_is_parquet_under_the_session_folder(client, settings):
    client.post("/v1/events/batch", json={"session_id": "s", "events": [event()]})
    files = list((settings.events_dir / "s").iterdir())
    assert len(files) == 1 and files[0].suffix == ".parquet"
    assert files[0].read_bytes()[:4] == b"PAR1"


def test_a_worker_collects_less_often_while_serving_and_restores_the_collector(settings):
    """The app freezes what lives as long as the worker and raises the young-object
    threshold while it serves; a host that embeds it (a test, another ASGI server)
    gets its collector back as it was."""
    before = (gc.get_threshold(), gc.get_freeze_count())
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_threshold()[0] == 10_000 and gc.get_freeze_count() > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
