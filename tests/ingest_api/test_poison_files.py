"""A landing file that cannot be read is quarantined, not fatal (issue 13, part 2).

Before: a truncated or non-Parquet file in a session folder made every read and
every write of that session a 500, and failed every build naming no file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from achilles_core.landing import REASON_SUFFIX, LandingZone
from ingest_api.app import create_app

AUTH = {"Authorization": "Bearer dev-key"}


def event(ts: str, **over):
    return {"event_type": "agent_action", "source_type": "agent", "timestamp": ts, **over}


def _land(settings, sid: str, n: int) -> list[Path]:
    with TestClient(create_app(settings), headers=AUTH) as c:
        for i in range(n):
            body = {"session_id": sid, "events": [event(f"2026-11-21T10:00:0{i}Z", message=str(i))]}
            assert c.post("/v1/events/batch", json=body).status_code == 200
    return LandingZone(settings.events_dir).session_files(sid)


def _poison(settings, sid: str, kind: str) -> Path:
    files = _land(settings, sid, 3)
    if kind == "truncated":
        victim = files[1]
        data = victim.read_bytes()
        victim.write_bytes(data[: len(data) // 2])
        return victim
    junk = files[0].parent / "00000000000000000002-junk.parquet"
    junk.write_bytes(b"this is not parquet at all")
    return junk


@pytest.mark.parametrize("kind", ["truncated", "junk"])
@pytest.mark.parametrize("first", ["read", "write"])
def test_bad_file_is_quarantined_and_the_session_lives_on(settings, kind, first):
    bad = _poison(settings, "s", kind)
    zone = LandingZone(settings.events_dir)
    # A fresh app: no dedupe state cached from the writes above.
    with TestClient(create_app(settings), headers=AUTH) as c:
        if first == "write":
            w = c.post(
                "/v1/events/batch",
                json={"session_id": "s", "events": [event("2026-11-21T11:00:00Z")]},
            )
            assert w.status_code == 200 and w.json()["accepted"] == 1
        r = c.get("/v1/sessions/s/events")
        assert r.status_code == 200
        kept = 2 if kind == "truncated" else 3
        assert r.json()["total"] == kept + (first == "write")
        assert c.get("/v1/sessions/s").status_code == 200
        w = c.post(
            "/v1/events/batch", json={"session_id": "s", "events": [event("2026-11-21T12:00:00Z")]}
        )
        assert w.status_code == 200
        health = c.get("/health").json()
    assert not bad.exists()
    (moved,) = zone.quarantined()
    assert moved.name == bad.name and moved.parent.name == "s"
    reason = moved.with_name(moved.name + REASON_SUFFIX).read_text()
    assert str(bad) in reason and "reason: " in reason
    assert health["quarantined_files"] == 1 and health["disk_free_bytes"] > 0


def test_compaction_quarantines_instead_of_failing(settings):
    bad = _poison(settings, "c", "junk")
    zone = LandingZone(settings.events_dir)
    assert zone.compact_session("c", min_files=2) == 3
    assert len(zone.session_files("c")) == 1 and not bad.exists()
    assert [p.name for p in zone.quarantined()] == [bad.name]
