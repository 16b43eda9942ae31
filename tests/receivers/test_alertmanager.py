"""The Alertmanager receiver on the real payloads, and the incidents the warehouse
derives from alerts and Sentry errors (read through /v1/incidents)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from achilles_core.contract import validate_event
from achilles_core.settings import Settings
from ingest_api.app import create_app
from ingest_api.sources.alertmanager import parse_webhook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PING = "alertmonitor__Testing_md__firing_3alerts.json"
MEMORY = "prometheus-msteams__prom_post_request.json"


def payload(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "alertmanager" / name).read_text())


def resolved(notification: dict[str, Any], ends_at: str, only: int | None = None) -> dict:
    out = copy.deepcopy(notification)
    if only is not None:
        out["alerts"] = [out["alerts"][only]]
    out["status"] = "resolved"
    for alert in out["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = ends_at
    return out


@pytest.mark.parametrize("name", [PING, MEMORY])
def test_every_real_alert_becomes_a_valid_alert_event(name: str) -> None:
    raw = payload(name)
    result = parse_webhook(raw, received_at=AT)
    assert result.bad_lines == [] and len(result.events) == len(raw["alerts"])
    for event, alert in zip(result.events, raw["alerts"], strict=True):
        validate_event(event)
        assert event["event_type"] == "alert" and event["status"] == "firing"
        assert event["attributes"]["labels"] == alert["labels"]
        assert event["attributes"]["annotations"] == alert["annotations"]
    # v4 without a per-alert status (msteams) and Prometheus' nanosecond times.
    first = result.events[0]
    if name == MEMORY:
        assert first["timestamp"] == "2018-03-07T11:33:21.873077Z"
        assert first["severity"] == "warning" and first["error_type"] == "high_memory_load"
    else:
        assert first["severity"] == "error"  # "major"
        assert first["attributes"]["labels"]["severity"] == "major"


def test_retries_and_repeats_are_duplicates_and_resolution_is_new(client) -> None:
    raw = payload(PING)
    first = client.post("/v1/alertmanager", json=raw).json()
    assert first == {"alerts": 3, "accepted": 3, "duplicates": 0, "rejected": []}
    assert client.post("/v1/alertmanager", json=raw).json()["duplicates"] == 3
    done = client.post("/v1/alertmanager", json=resolved(raw, "2019-09-27T17:00:00Z")).json()
    assert done["accepted"] == 3


@pytest.mark.parametrize(
    "body", [b"", b"garbage", b"[]", b'{"alerts": 3}', b'{"version":"4"}', b"\xff\xfe"]
)
def test_garbage_is_400(client, body: bytes) -> None:
    assert client.post("/v1/alertmanager", content=body).status_code == 400


def test_a_key_is_required(settings) -> None:
    with TestClient(create_app(settings)) as anonymous:
        assert anonymous.post("/v1/alertmanager", json=payload(PING)).status_code == 401
        assert anonymous.get("/v1/incidents").status_code == 401


def test_gzip_body(client) -> None:
    import gzip

    body = gzip.compress(json.dumps(payload(MEMORY)).encode())
    r = client.post("/v1/alertmanager", content=body, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 200 and r.json()["accepted"] == 1


def test_incidents_before_any_run(client) -> None:
    assert client.get("/v1/incidents").json()["incidents"] == []
    assert client.get("/v1/incidents/inc-x").status_code == 404


# -- incidents, through the whole pipeline -----------------------------------------
def _sentry_event(base: dict[str, Any], n: int, at: datetime, error: str) -> dict[str, Any]:
    event = copy.deepcopy(base)
    event["event_id"] = f"{n:032x}"
    event["timestamp"] = at.timestamp()
    event["exception"]["values"][-1]["type"] = error
    return event


def _feed(client: TestClient, reverse: bool = False) -> None:
    """Alerts and Sentry errors a person would group as five incidents."""
    ping = payload(PING)
    critical = copy.deepcopy(ping)  # the same rule, escalated, 10 minutes later
    critical["alerts"] = [copy.deepcopy(ping["alerts"][0])]
    critical["alerts"][0]["labels"].update(instance="172.29.254.99", severity="critical")
    critical["alerts"][0]["startsAt"] = "2019-09-27T16:37:56Z"
    refire = copy.deepcopy(ping)  # a day later: a new incident
    refire["alerts"] = [copy.deepcopy(ping["alerts"][0])]
    refire["alerts"][0]["startsAt"] = "2019-09-28T09:00:00Z"
    notifications = [
        ping,
        critical,
        payload(MEMORY),
        resolved(ping, "2019-09-27T17:00:00Z"),
        resolved(critical, "2019-09-27T17:05:00Z"),
        refire,
    ]
    base = json.loads((FIXTURES / "sentry" / "incoming__python_zero_division.json").read_text())
    t0 = datetime(2026, 11, 2, 8, 5, tzinfo=UTC)
    errors = [_sentry_event(base, n, t0 + timedelta(hours=n), "KeyError") for n in range(6)]
    errors += [
        _sentry_event(base, 100 + n, t0 + timedelta(hours=6, minutes=n), "KeyError")
        for n in range(12)
    ]
    errors.append(_sentry_event(base, 200, t0 + timedelta(hours=6), "TimeoutError"))
    if reverse:
        notifications, errors = notifications[::-1], errors[::-1]
    for n in notifications:
        assert client.post("/v1/alertmanager", json=n).status_code == 200
    for e in errors:
        assert client.post("/api/4/store/", json=e).status_code == 200
    # An agent session with an error while the ping alerts fired.
    batch = {
        "session_id": "agent-1",
        "events": [
            {
                "event_type": "error",
                "source_type": "agent",
                "timestamp": "2019-09-27T16:20:00Z",
                "error_type": "ConnectionError",
                "message": "ping 172.29.254.30 timed out",
            }
        ],
    }
    assert client.post("/v1/events/batch", json=batch).json()["accepted"] == 1


@pytest.mark.slow
def test_incidents_from_alerts_and_errors(tmp_path: Path) -> None:
    from orchestration.pipeline import run_pipeline

    tables = []
    for reverse in (False, True):
        settings = Settings(data_dir=tmp_path / f"d{reverse}", _env_file=None)
        with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-key"}) as c:
            _feed(c, reverse)
        assert run_pipeline(settings, quiet=True)
        with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-key"}) as c:
            page = c.get("/v1/incidents", params={"limit": 3}).json()
            rest = c.get("/v1/incidents", params={"cursor": page["next_cursor"]}).json()
            incidents = page["incidents"] + rest["incidents"]
            assert rest["next_cursor"] is None
            tables.append(incidents)
            by_kind: dict[str, list[dict]] = {}
            for inc in incidents:
                by_kind.setdefault(inc["kind"], []).append(inc)
            assert sorted((k, len(v)) for k, v in by_kind.items()) == [
                ("alert_group", 3),
                ("error_spike", 1),
                ("new_error", 2),
            ]
            ping, memory, refire = _alert_incidents(by_kind["alert_group"])
            assert ping["member_count"] == 4 and ping["status"] == "resolved"
            assert ping["severity"] == "critical"  # the escalated alert is primary
            assert ping["closed_at"].startswith("2019-09-27T17:05:00")
            assert memory["status"] == "open" and memory["member_count"] == 1
            assert refire["status"] == "open" and refire["member_count"] == 1
            [spike] = by_kind["error_spike"]
            assert spike["title"] == "KeyError" and spike["member_count"] == 12
            assert spike["opened_at"].startswith("2026-11-02T14:05")
            assert sorted(i["title"] for i in by_kind["new_error"]) == ["KeyError", "TimeoutError"]

            filtered = c.get("/v1/incidents", params={"status": "resolved"}).json()["incidents"]
            assert [i["incident_id"] for i in filtered] == [ping["incident_id"]]
            crit = c.get("/v1/incidents", params={"severity": "critical"}).json()["incidents"]
            assert [i["incident_id"] for i in crit] == [ping["incident_id"]]
            recent = c.get("/v1/incidents", params={"since": "2026-01-01T00:00:00Z"}).json()
            assert {i["source"] for i in recent["incidents"]} == {"sentry"}

            detail = c.get(f"/v1/incidents/{ping['incident_id']}").json()
            primary = [m for m in detail["members"] if m["is_primary"]]
            assert [m["attributes"]["labels"]["instance"] for m in primary] == ["172.29.254.99"]
            report = c.get(f"/v1/incidents/{ping['incident_id']}/export?format=json").json()
            assert [e["session_id"] for e in report["related_errors"]] == ["agent-1"]
            whats = [t["what"] for t in report["timeline"]]
            assert whats.count("alert fired") == 4 and whats.count("alert resolved") == 4
            md = c.get(f"/v1/incidents/{ping['incident_id']}/export?format=md")
            assert md.headers["content-type"].startswith("text/markdown")
            assert "ICMP ping failed" in md.text and "agent-1" in md.text
    # Replaying the same events in another order gives the same incidents.
    assert sorted(tables[0], key=lambda i: i["incident_id"]) == sorted(
        tables[1], key=lambda i: i["incident_id"]
    )


def _alert_incidents(incidents: list[dict]) -> tuple[dict, dict, dict]:
    by_start = sorted(incidents, key=lambda i: i["opened_at"])
    memory, ping, refire = by_start
    return ping, memory, refire


# -- audit against real notifications --------------------------------------------
def test_a_long_description_or_many_labels_still_land(client) -> None:
    raw = payload(MEMORY)
    alert = raw["alerts"][0]
    alert["annotations"]["description"] = "log line\n" * 3000
    alert["labels"].update({f"label_{i}": "v" * 100 for i in range(200)})
    raw["truncatedAlerts"] = 2
    [event] = parse_webhook(raw, received_at=AT).events
    validate_event(event)
    assert event["attributes"]["labels"]["alertname"] == "high_memory_load"
    assert event["attributes"]["truncated_alerts"] == 2
    assert client.post("/v1/alertmanager", json=raw).json()["accepted"] == 1


@pytest.mark.parametrize(
    "label, severity",
    [("P1", "critical"), ("sev2", "error"), ("disaster", "critical"), ("p4", "info")],
)
def test_priority_style_severities(label: str, severity: str) -> None:
    raw = payload(MEMORY)
    raw["alerts"][0]["labels"]["severity"] = label
    assert parse_webhook(raw, received_at=AT).events[0]["severity"] == severity


def test_an_out_of_range_time_is_not_a_5xx(client) -> None:
    raw = payload(MEMORY)
    raw["alerts"][0]["startsAt"] = "9999-12-31T23:59:59-05:00"
    assert client.post("/v1/alertmanager", json=raw).status_code == 200
